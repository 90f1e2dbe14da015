/*  broker_feed: the feed log, where every output of the workers is kept for readers.

    Table "feed" of the broker's store (its layout: proto/dajia_tables.h): key feed_seq,
    value the packed FeedItem with feed_seq and service set, no gaps. An item
    is stored (in the same transaction as the cursor of the service that made it) before
    it is published, so a reader that missed it asks for it again with replay (guarantee
    5). Beside it, table "feed_public" indexes the public items, so that a public reader
    reads public items only: the work of a replay is bounded by the items it answers
    with, however many office items lie between them.

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

/* An output made ready for the log: packed with its feed_seq, plus what publication
   needs. `data` is owned by the entry: broker_feed_entry_clear() frees it. */
typedef struct {
    uint64_t feed_seq;
    Dajia__Audience audience;
    const char *topic; /* one of dajia_api.h's DAJIA_TOPIC_* */
    uint8_t *data;
    size_t len;
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

/* Inside a batch: appends `entry` to the feed table (and a public one to the public
   index). Returns 0 or a store code. */
int
broker_feed_put(store_txn_t *txn, const broker_feed_entry_t *entry);

/* The newest feed_seq held (0 when the feed is empty), in `txn`. */
int
broker_feed_last_seq(store_txn_t *txn, uint64_t *last);

/* The topic a FeedItem is published under, from its item case; "" for none. Static. */
const char *
broker_feed_topic(Dajia__FeedItem__ItemCase item_case);

/* Brings the feed_public index up to date with the feed: indexes the public items after
   its last key (items an older broker stored, or that were written straight into the
   table). Run it before anything appends to the feed. Sets *added to the number of items
   indexed. Returns 0 or a store code. */
int
broker_feed_index_update(store_t *store, uint64_t *added);

/* A replay answer, packed: a FeedBatch ready to send. */
typedef struct {
    uint8_t *data; /* malloc'd: the caller frees it */
    size_t len;    /* bytes of data */
    size_t items;  /* items in it */
    bool more;     /* items beyond the batch exist */
    uint64_t next; /* with more: the feed_seq to ask from next */
    uint64_t last; /* last_feed_seq as answered */
} broker_feed_answer_t;

/* Reads up to `max` items (0: BROKER_FEED_REPLAY_MAX; capped at BROKER_FEED_REPLAY_CAP)
   with feed_seq >= `from` that `audience` may see, and packs them as a FeedBatch.
   AUDIENCE_OFFICE sees everything; any other value public items only, read through the
   public index, and its last_feed_seq is the newest public item's (nothing in the answer
   counts office items). Sets `more` and `next_seq` when items beyond the batch exist: the
   reader asks again from next_seq. An unreadable stored item is skipped, not an error.
   Returns 0 or a store code; *out is the caller's. */
int
broker_feed_replay_pack(store_t *store, uint64_t from, Dajia__Audience audience, uint32_t max,
                        broker_feed_answer_t *out);

/* The same answer unpacked (tests, tools). *out is the caller's: free it with
   broker_feed_batch_destroy(). Returns 0, a store code or -ENOMEM. */
int
broker_feed_replay(store_t *store, uint64_t from, Dajia__Audience audience, uint32_t max,
                   Dajia__FeedBatch **out);

/* Frees a batch from broker_feed_replay(); accepts NULL and sets *batch_p to NULL. */
void
broker_feed_batch_destroy(Dajia__FeedBatch **batch_p);

#endif
