/*  broker_batch: the events of one group commit, and how they go into the log.

    The api thread fills a batch with validated events (their routing id and bytes moved
    in, not copied); the writer thread applies it to the store in one transaction:
    for each event, the dedup index (unit NUL event_id -> log_seq, of every event the log
    holds: broker_dedup.h) either has no entry, and the event is appended to the log with
    the next log_seq and entered in the index, or has one, and the event is a DUPLICATE of
    that seq. The api thread then answers every event of the batch at once.
*/
#ifndef BROKER_BATCH_H
#define BROKER_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "dajia_codec.h"
#include "store.h"

#define BROKER_KEY_MAX (2 * DAJIA_MAX_ID + 2) /* unit NUL event_id */

typedef enum {
    BROKER_ITEM_PENDING = 0,
    BROKER_ITEM_ACCEPTED,
    BROKER_ITEM_DUPLICATE,
    BROKER_ITEM_REJECTED, /* refused by the judges (broker_judge.h); not stored */
} broker_item_status_t;

typedef struct {
    zmq_msg_t routing;        /* who sent it (ROUTER identity frame) */
    zmq_msg_t body;           /* the packed Envelope, exactly as sent */
    char key[BROKER_KEY_MAX]; /* unit NUL event_id */
    uint16_t key_len;
    uint16_t unit_len;    /* event_id starts at key + unit_len + 1 */
    int64_t submitted_at; /* the envelope's submitted_at when the sender may set it, else 0 */
    broker_item_status_t status;
    uint64_t log_seq;
    uint64_t hash; /* the key's in the dedup index (set by apply) */
    /* A SUBMIT read but not yet judged (broker/judge_threads > 0, broker_judge.h): the
       judges fill the key, or set the status REJECTED, before the batch is applied. Its
       command frame is kept for who sent it (the metadata auth attached). */
    bool deferred;
    bool has_command;  /* `command` holds a message (only deferred items have one) */
    zmq_msg_t command; /* uninitialised without has_command */
} broker_item_t;

typedef struct {
    broker_item_t *items;
    size_t count;
    size_t capacity;
    int64_t received_at; /* when the writer took the batch for its commit; also the "now"
                            its deferred items are judged at */
    /* Filled by the writer: */
    int rc;             /* 0, or the store's error: nothing of the batch stored */
    uint64_t commit_us; /* time in store_write, sync included */
    uint64_t last_seq;  /* the log's last seq after the batch */
    size_t map_bytes;
    size_t used_bytes;
} broker_batch_t;

/* A batch with room for `capacity` events, or NULL when memory ran out. */
broker_batch_t *
broker_batch_new(size_t capacity);

/* Closes any messages still held and frees the batch; accepts NULL, sets *self_p NULL. */
void
broker_batch_destroy(broker_batch_t **self_p);

/* The next free item (its messages initialised, empty), or NULL if the batch is full.
   The item counts once broker_batch_commit_item() is called. */
broker_item_t *
broker_batch_next_item(broker_batch_t *self);

/* Counts the item returned by the last broker_batch_next_item(). */
void
broker_batch_commit_item(broker_batch_t *self);

/* Closes the messages of every item and empties the batch for reuse. */
void
broker_batch_reset(broker_batch_t *self);

/* The event id of an item (not NUL-terminated: length given). */
static inline const char *
broker_item_event_id(const broker_item_t *item, size_t *len)
{
    *len = (size_t)(item->key_len - item->unit_len - 1);
    return item->key + item->unit_len + 1;
}

struct broker_dedup_t;

/* Writes the batch into the log in `txn`: looks each event up in `dedup`, appends the
   new ones with log_seq from `first_seq` on (*next_seq: the one after the last) and
   enters them in `dedup`. Sets each item's status and log_seq; REJECTED items are
   left as they are. Runs again from the start
   if the store retries the transaction: it first takes back what an earlier run
   entered. When the transaction is not committed in the end, the caller takes back the
   entries with broker_batch_rollback. */
int
broker_batch_apply(broker_batch_t *self, store_txn_t *txn, struct broker_dedup_t *dedup,
                   uint64_t first_seq, uint64_t *next_seq);

/* Removes from `dedup` what broker_batch_apply entered, and marks the items PENDING
   again (REJECTED ones stay so): for a transaction that was aborted or failed to commit. */
void
broker_batch_rollback(broker_batch_t *self, struct broker_dedup_t *dedup);

/* The last log_seq in the store (0 for an empty log). */
int
broker_log_last_seq(store_t *store, uint64_t *last_seq);

#endif
