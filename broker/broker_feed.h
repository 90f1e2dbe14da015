/*  broker_feed: the feed log, where every output of the workers is kept for readers.

    Table "feed" of the broker's store (its layout: proto/dajia_tables.h): key feed_seq,
    value the packed FeedItem with feed_seq and service set, no gaps. An item
    is stored (in the same transaction as the cursor of the service that made it) before
    it is published, so a reader that missed it asks for it again with replay (guarantee
    5). Replay reads with a read transaction only: any thread may call it.
*/
#ifndef BROKER_FEED_H
#define BROKER_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "dajia.pb-c.h"
#include "dajia_error.h" /* BROKER_FEED_MALFORMED (-31200): an output that is not a FeedItem */
#include "store.h"

#define BROKER_FEED_REPLAY_MAX   1000       /* items per FeedBatch by default */
#define BROKER_FEED_REPLAY_CAP   10000      /* most items a request may ask for */
#define BROKER_FEED_REPLAY_BYTES (4u << 20) /* a FeedBatch stops growing past this */

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

/* Inside a batch: appends `entry` to the feed table. Returns 0 or a store code. */
int
broker_feed_put(store_txn_t *txn, const broker_feed_entry_t *entry);

/* The newest feed_seq held (0 when the feed is empty), in `txn`. */
int
broker_feed_last_seq(store_txn_t *txn, uint64_t *last);

/* The topic a FeedItem is published under, from its item case; "" for none. Static. */
const char *
broker_feed_topic(Dajia__FeedItem__ItemCase item_case);

/* Reads up to `max` items (0: BROKER_FEED_REPLAY_MAX; capped at BROKER_FEED_REPLAY_CAP)
   with feed_seq >= `from` that `audience` may see: AUDIENCE_OFFICE sees everything, any
   other value public items only. Sets `more` when items beyond the batch exist, and
   last_feed_seq. *out is the caller's: free it with broker_feed_batch_destroy(). Returns
   0 or a store code (an unreadable stored item is skipped, not an error). */
int
broker_feed_replay(store_t *store, uint64_t from, Dajia__Audience audience, uint32_t max,
                   Dajia__FeedBatch **out);

/* Frees a batch from broker_feed_replay(); accepts NULL and sets *batch_p to NULL. */
void
broker_feed_batch_destroy(Dajia__FeedBatch **batch_p);

#endif
