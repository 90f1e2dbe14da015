/*  dajia_tables: the tables of the broker's store that other programs read (header only).

    The broker writes them; dajia-ctl dump reads the log straight from the store's files,
    the workers receive log records as they are stored, and replay serves the feed. The
    tables, in the store (store.h) of the broker's data directory:

      table   key                                value
      log     log_seq: u64                       a LogRecord, packed: log_seq, the
                                                 broker's received_at, and the Envelope
                                                 exactly as the unit sent it (bytes)
      feed    feed_seq: u64                      a FeedItem, packed, with feed_seq and
                                                 service set by the broker
      cursor  a service name ("aggregate", ...)  u64: the last log_seq whose DONE (and
                                                 its outputs) is stored; contiguous
              "<service>" DAJIA_CURSOR_TICK      u64: the last tick number of that
                                                 service whose outputs are stored
      feed_public feed_seq: u64                  nothing (0 bytes): the feed_seq of each
                                                 public item. Written by older brokers
                                                 only; no longer read (see below)
      feed_public_seq  public_seq: u64           u64: the feed_seq of the public item
                                                 numbered public_seq (1, 2, ... no gaps)
      feed_unit   unit code, a NUL byte,         u64: the feed_seq of that unit's item
                  unit_seq: u64                  numbered unit_seq (1, 2, ... no gaps, per
                                                 unit): items of audience UNIT
      feed_unit_last  unit code                  u64: the unit's last unit_seq
      meta    "store_id"                         the store's identity (text), made by the
                                                 broker when it first opens the store and
                                                 dropped by `dajia-ctl restore`, so that a
                                                 restored store has a new one (HELLO)

    feed_public_seq and feed_unit (with feed_unit_last) are indexes of feed, written in the
    transaction that stores the item, which also gets its number (FeedItem.public_seq,
    unit_seq). A reader that is not the Office reads through one of them: public items
    only, or one unit's only, numbered with no gaps, so nothing it is sent counts the
    items it may not see (the gaps in feed_seq between public items would count the
    office items). A broker brings them up to date when it starts (items an older broker
    stored, or that were written without it), from the greatest feed_seq they point at to
    the end of feed: they never point at an item feed lacks, and replay takes every item
    it reads from feed. A store an older broker wrote has feed_public, keyed by feed_seq,
    instead: its meaning could not change, so the new indexes have new names and are
    built from feed at the first start (its items keep their stored bytes: replay sets
    the number from the index).

    A u64 is 8 bytes, big-endian, in the store's key encoding (store_u64_to_key,
    store_key_to_u64), so that keys sort as numbers. log_seq and feed_seq start at 1 and
    have no gaps; a record, once committed, is never rewritten or deleted. Each cursor
    value only grows, and is written in the transaction that stores what it counts.

    Change rule, as for the schema (dajia.proto): only add. A table's name, its keys and
    the encoding of its values never change; a record's message grows only as
    dajia.proto allows, so every reader reads every record ever written. Something new is
    a new table, or a new kind of cursor key (a new suffix), never a new meaning for an
    old one.
*/
#ifndef DAJIA_TABLES_H
#define DAJIA_TABLES_H

#define DAJIA_TABLE_LOG             "log"    /* log_seq -> LogRecord: every accepted event */
#define DAJIA_TABLE_FEED            "feed"   /* feed_seq -> FeedItem: every output of the workers */
#define DAJIA_TABLE_CURSOR          "cursor" /* service (or service + DAJIA_CURSOR_TICK) -> u64 */
#define DAJIA_TABLE_FEED_PUBLIC     "feed_public"     /* older brokers': feed_seq -> nothing */
#define DAJIA_TABLE_FEED_PUBLIC_SEQ "feed_public_seq" /* public_seq -> feed_seq */
#define DAJIA_TABLE_FEED_UNIT       "feed_unit"       /* unit NUL unit_seq -> feed_seq */
#define DAJIA_TABLE_FEED_UNIT_LAST  "feed_unit_last"  /* unit -> its last unit_seq */

#define DAJIA_TABLE_META    "meta"     /* a name -> its value */
#define DAJIA_META_STORE_ID "store_id" /* meta key: the store's identity (text) */

#define DAJIA_CURSOR_TICK ".tick" /* cursor key "<service>.tick": the last tick stored */
#define DAJIA_TABLE_U64   8       /* bytes of a u64 key or cursor value */

#endif
