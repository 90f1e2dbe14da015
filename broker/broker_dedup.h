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
    reading that log record. A table is a power of two of slots, made for the log's size
    at start and doubled when it passes 70% full, so it is 35% to 70% full: 23 to 46
    bytes per stored event (16 KB at the least), plus, for the few hundred thousand
    inserts a doubling takes to move its entries over, the old table beside the new one.
    A hash collision costs one read, never a wrong answer. The hash is keyed with a
    random seed, drawn when the index is first built and kept in its file, so that no
    unit can choose event ids that collide on purpose (the file is as private as the
    log).

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

/* The same with the hash keyed by `seed` (an index saved with broker_dedup_seed's). */
broker_dedup_t *
broker_dedup_new_seeded(size_t expected, uint64_t seed);

/* The key of the index's hash. */
uint64_t
broker_dedup_seed(const broker_dedup_t *self);

/* Frees the index; accepts NULL, sets *self_p NULL. */
void
broker_dedup_destroy(broker_dedup_t **self_p);

/* The index's hash of `key` (len bytes): what find, insert and remove take. Never 0
   (the index file marks "no entry" with 0). */
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

/* What broker_dedup_scan calls for each record it reads, in log order: `hash` is the
   key's hash, or 0 when the key was in the index already (the record is not entered).
   A non-zero return ends the scan with that value. */
typedef int(broker_dedup_each_fn)(uint64_t log_seq, uint64_t hash, void *arg);

/* Enters the records of the log in `store` from `from_seq` on, in one read
   transaction, calling `each` (may be NULL) for each. Sets *scanned (may be NULL) to the
   number read. Returns 0, a store error (STORE_CORRUPT for a record that cannot be
   read), -ENOMEM, or each's value. Should the log hold a key twice (the broker never
   writes that), the first record is the one the index keeps. */
int
broker_dedup_scan(broker_dedup_t *self, store_t *store, uint64_t from_seq,
                  broker_dedup_each_fn *each, void *arg, uint64_t *scanned);

/* Builds the index of the whole log in `store` (broker_dedup_scan from the first
   record into a table made for the log's size). Returns 0 and sets *out, or as
   broker_dedup_scan. */
int
broker_dedup_rebuild(store_t *store, broker_dedup_t **out);

#endif
