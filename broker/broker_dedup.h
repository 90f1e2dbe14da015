/*  broker_dedup: which (unit, event_id) the log already holds, in memory.

    Guarantee 2 (nothing stored twice) needs, for every event that arrives, the answer to
    "is this (unit, event_id) in the log, and at which log_seq?". The log itself is the
    record that is kept for ever; this index is derived from it: rebuilt by reading the
    log when the broker starts (broker_dedup_rebuild), then kept up to date by the writer
    thread as it appends. It is not written to disk, so a commit writes only the log's
    pages: a dedup B-tree in LMDB made every event dirty a leaf page of its own, in
    random places, and the sync of those pages was most of the cost of a commit (see
    docs/design.md §4).

    An open-addressing table (linear probing, at most 70% full) of 16-byte slots: a
    keyed 64-bit hash of the key and the log_seq (0 marks an empty slot). The key itself
    is not kept: a slot whose hash matches is only a candidate, which is confirmed by
    reading that log record. So memory is 23 to 46 bytes per stored event once the table
    has grown (the rebuild makes room for twice the log: 64 MB for 1.26 million), and a
    hash collision costs one read, never a wrong answer. The hash is
    keyed with a random seed per process, so that no unit can choose event ids that
    collide on purpose.

    Threads: none of its own; one thread at a time (the writer's, after the rebuild).
*/
#ifndef BROKER_DEDUP_H
#define BROKER_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

typedef struct broker_dedup_t broker_dedup_t;

/* An empty index with room for `expected` keys before it grows. Returns NULL when
   memory ran out. Destroy with broker_dedup_destroy. */
broker_dedup_t *
broker_dedup_new(size_t expected);

/* Frees the index; accepts NULL, sets *self_p NULL. */
void
broker_dedup_destroy(broker_dedup_t **self_p);

/* The index's hash of `key` (len bytes): what find, insert and remove take. */
uint64_t
broker_dedup_hash(const broker_dedup_t *self, const void *key, size_t len);

/* Does the log record `log_seq` hold the key being looked for? Returns 1 yes, 0 no, or
   a negative error that ends the lookup. */
typedef int(broker_dedup_match_fn)(uint64_t log_seq, void *arg);

/* Asks the CPU to bring the slot where a lookup of `hash` starts into its cache: in a
   table of millions each lookup is a cache miss, and a batch that prefetches all its
   slots first waits for those misses together instead of one after the other. */
void
broker_dedup_prefetch(const broker_dedup_t *self, uint64_t hash);

/* Looks for the key of hash `hash`: each candidate is put to `match`. Returns 0 and
   sets *log_seq when a candidate matches, STORE_NOTFOUND when none does, or match's
   error. */
int
broker_dedup_find(const broker_dedup_t *self, uint64_t hash, broker_dedup_match_fn *match,
                  void *arg, uint64_t *log_seq);

/* Records that the key of hash `hash` is at `log_seq` (not 0); the caller has made sure
   it is not there yet. Past 70% full the table starts doubling: its entries move to the
   new table a few on each insert, so no insert waits for all of them. Returns 0, or -ENOMEM (the
   index is unchanged), or -EINVAL for seq 0. */
int
broker_dedup_insert(broker_dedup_t *self, uint64_t hash, uint64_t log_seq);

/* Takes back an insert (hash and seq as given to it), for a transaction that was not
   committed. Returns true if the entry was there. */
bool
broker_dedup_remove(broker_dedup_t *self, uint64_t hash, uint64_t log_seq);

/* Keys held. */
size_t
broker_dedup_count(const broker_dedup_t *self);

/* Bytes of memory the table takes. */
size_t
broker_dedup_bytes(const broker_dedup_t *self);

/* The key of a log record as the api thread builds it (unit NUL event_id), read from
   the stored LogRecord bytes. Sets *unit and *event_id (pointers into `record`) and their
   lengths. Returns 0, or STORE_CORRUPT when the record is not a LogRecord holding an
   Envelope with both fields. */
int
broker_dedup_record_key(const void *record, size_t len, const char **unit, size_t *unit_len,
                        const char **event_id, size_t *event_id_len);

/* Looks `key` (unit NUL event_id, `len` bytes, hash `hash`) up: each candidate's record
   is read from the log (DAJIA_TABLE_LOG of dajia_tables.h) in `txn`, which sees the
   records the transaction itself has added. Returns 0 and sets *log_seq, STORE_NOTFOUND,
   or a store error (STORE_CORRUPT when a candidate's record cannot be read). */
int
broker_dedup_lookup(const broker_dedup_t *self, store_txn_t *txn, const void *key, size_t len,
                    uint64_t hash, uint64_t *log_seq);

/* Builds the index of the log in `store`: reads every record in a read transaction.
   Returns 0 and sets *out, or a store error (STORE_CORRUPT for a record that cannot be
   read), or -ENOMEM. Should the log hold a key twice (the broker never writes that),
   the first record is the one the index keeps. */
int
broker_dedup_rebuild(store_t *store, broker_dedup_t **out);

#endif
