/*  broker_feed: the feed log, where every output of the workers is kept for readers.

    Table "feed" of the broker's store (its layout: proto/dajia_tables.h): key feed_seq,
    value the packed FeedItem with feed_seq and service set, no gaps. An item
    is stored (in the same transaction as the cursor of the service that made it) before
    it is published, so a reader that missed it asks for it again with replay (guarantee
    5). Beside it, two indexes give the items that not everyone may read their own
    numbering, with no gaps, assigned when the item is stored:
    - "feed_public_seq": public_seq -> feed_seq, the public items;
    - "feed_unit": (unit, unit_seq) -> feed_seq, the items for one unit (AUDIENCE_UNIT),
      with "feed_unit_last": unit -> its last unit_seq.
    A public reader reads the public index, a unit its own range of the unit index: the
    work of a replay is bounded by the items it answers with, however many others lie
    between them, and what it is sent counts only what it may see. Such a reader gets its
    items with feed_seq 0 and its own number set (public_seq, unit_seq), and its positions
    (from, next, last) in that numbering: the gaps in feed_seq between public items would
    count the office items (issue 10). The Office reads the feed itself, by feed_seq.

    Replay reads with a read transaction only: any thread may call it. It reads at most
    the items it may answer with (never more than BROKER_FEED_REPLAY_CAP) and at most
    about BROKER_FEED_REPLAY_BYTES of them, so each read transaction is short (the store
    grows its map only once none is open).
*/
#ifndef BROKER_FEED_H
#define BROKER_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dajia.pb-c.h"
#include "dajia_error.h" /* BROKER_FEED_MALFORMED (-31200): an output that is not a FeedItem */
#include "store.h"

#define BROKER_FEED_REPLAY_MAX   1000       /* items per FeedBatch by default */
#define BROKER_FEED_REPLAY_CAP   10000      /* most items a request may ask for */
#define BROKER_FEED_REPLAY_BYTES (1u << 20) /* a FeedBatch stops growing past this */

#define BROKER_FEED_UNIT_MAX 65 /* a unit code (at most 64 bytes) and its NUL */

/* An output made ready for the log: packed with its feed_seq, plus what publication
   needs. `data` and `public_data` are owned by the entry: broker_feed_entry_clear()
   frees them. */
typedef struct {
    uint64_t feed_seq;
    Dajia__Audience audience;
    const char *topic; /* one of dajia_api.h's DAJIA_TOPIC_* */
    uint8_t *data;     /* as stored and sent to the Office */
    size_t len;
    char unit[BROKER_FEED_UNIT_MAX]; /* AUDIENCE_UNIT: the unit it is for ("": none) */
    /* Set by broker_feed_put: */
    uint64_t public_seq, unit_seq; /* its number among the public items / the unit's */
    uint8_t *public_data;          /* a public item as the public feed sends it: feed_seq 0 */
    size_t public_len;
} broker_feed_entry_t;

/* Decodes the output `raw` of `service`, sets its feed_seq and service, and packs it
   into `entry`. Returns 0; BROKER_FEED_MALFORMED when `raw` is not a FeedItem with an
   item set; -ENOMEM. */
int
broker_feed_prepare(const uint8_t *raw, size_t len, const char *service, uint64_t feed_seq,
                    broker_feed_entry_t *entry);

/* Frees the entry's bytes; the entry may be prepared again. Accepts a zeroed entry. */
void
broker_feed_entry_clear(broker_feed_entry_t *entry);

/* Inside a batch: numbers `entry` (a public item the next public_seq, a unit's item its
   unit's next unit_seq, read from the indexes in `txn`), appends it to the feed table
   and to its index, and sets its public_seq or unit_seq, its `data` to the bytes stored
   (with that number) and, for a public item, `public_data`. May be called again for the
   same entry after the batch was rolled back. Returns 0, a store code or -ENOMEM. */
int
broker_feed_put(store_txn_t *txn, broker_feed_entry_t *entry);

/* The newest feed_seq held (0 when the feed is empty), in `txn`. */
int
broker_feed_last_seq(store_txn_t *txn, uint64_t *last);

/* The topic a FeedItem is published under, from its item case; "" for none. Static. */
const char *
broker_feed_topic(Dajia__FeedItem__ItemCase item_case);

/* Brings the indexes up to date with the feed: numbers and indexes the public and unit
   items stored after the last one indexed (items an older broker stored, or that were
   written straight into the table; a store an older broker wrote has no index of this
   kind, and is indexed whole: its "feed_public" table, keyed by feed_seq, is no longer
   read). Run it before anything appends to the feed. Sets *added to the number of items
   indexed. Returns 0 or a store code. */
int
broker_feed_index_update(store_t *store, uint64_t *added);

/* A replay answer, packed: a FeedBatch ready to send. */
typedef struct {
    uint8_t *data; /* malloc'd: the caller frees it */
    size_t len;    /* bytes of data */
    size_t items;  /* items in it */
    bool more;     /* items beyond the batch exist */
    uint64_t next; /* with more: the position to ask from next (the reader's numbering) */
    uint64_t last; /* last_feed_seq as answered (the reader's numbering) */
} broker_feed_answer_t;

/* Reads up to `max` items (0: BROKER_FEED_REPLAY_MAX; capped at BROKER_FEED_REPLAY_CAP)
   from position `from` on that `audience` may see, and packs them as a FeedBatch.
   AUDIENCE_OFFICE sees everything, by feed_seq, as stored; AUDIENCE_UNIT the items for
   `unit` only, by unit_seq; any other value public items only, by public_seq. The last
   two get feed_seq 0 and their number set, and last_feed_seq is their newest item's
   number: nothing in the answer counts items they may not see. Sets `more` and `next`
   when items beyond the batch exist: the reader asks again from next. An unreadable
   stored item is skipped, not an error. Who may read which audience is the caller's
   to judge (broker_replay_judge). Returns 0 or a store code; *out is the caller's. */
int
broker_feed_replay_for(store_t *store, uint64_t from, Dajia__Audience audience, const char *unit,
                       uint32_t max, broker_feed_answer_t *out);

/* broker_feed_replay_for for the office or public audience (no unit). */
int
broker_feed_replay_pack(store_t *store, uint64_t from, Dajia__Audience audience, uint32_t max,
                        broker_feed_answer_t *out);

/* The same answer unpacked (tests, tools). *out is the caller's: free it with
   broker_feed_batch_destroy(). Returns 0, a store code or -ENOMEM. */
int
broker_feed_replay(store_t *store, uint64_t from, Dajia__Audience audience, uint32_t max,
                   Dajia__FeedBatch **out);

/* The unpacked answer to a unit reading its own items (tests, tools). */
int
broker_feed_replay_unit(store_t *store, const char *unit, uint64_t from, uint32_t max,
                        Dajia__FeedBatch **out);

/* Frees a batch from broker_feed_replay(); accepts NULL and sets *batch_p to NULL. */
void
broker_feed_batch_destroy(Dajia__FeedBatch **batch_p);

#endif
