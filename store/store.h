/*  store: durable tables of bytes, over LMDB. The only code in dajia that includes lmdb.h.

    A store is one LMDB environment in a directory, holding named tables. Keys and values
    are bytes; the store knows no message types. Writes happen in a batch: one write
    transaction that holds many puts and commits once, with a full sync, so a batch is on
    disk when store_write() returns 0. The map grows by itself: when a batch finds the map
    full, the store aborts it, doubles the map and runs the batch again, so no size has to
    be guessed up front (store_options_t.max_map_size caps it when a cap is wanted).

    Threads: one writer at a time (LMDB's rule); any number of readers, each with its own
    read transaction. Keep read transactions short: growing the map waits until none is
    open in this process. So a thread must not hold a read transaction while it calls
    store_write(), nor, on a read-only store, hold one while it begins another.
    Processes: a second process may open the same directory read-only while the owner
    writes (dajia-ctl dump does). Do not open a store before fork(), nor open the same
    directory twice in one process (LMDB's rules).

    Errors: functions return 0 on success, a negative errno for system failures, or one of
    the STORE_* codes; dajia_strerror() names them all.
*/
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dajia_error.h" /* the STORE_* codes (-30900 ..): STORE_NOTFOUND, STORE_FULL, ... */

#define STORE_MAX_TABLES 16
#define STORE_MAX_KEY    511 /* LMDB's default key size limit */

/* Flags for store_put(). */
#define STORE_NOOVERWRITE 0x1 /* fail with STORE_KEYEXIST if the key is there */
#define STORE_APPEND      0x2 /* keys come in increasing order (fast path for logs) */

typedef struct store_t store_t;
typedef struct store_txn_t store_txn_t;
typedef struct store_cursor_t store_cursor_t;

typedef struct {
    bool read_only;          /* open an existing store for reading only */
    size_t initial_map_size; /* bytes; 0: 64 MiB */
    size_t max_map_size;     /* bytes; 0: no cap but the disk */
    unsigned max_readers;    /* 0: 126 */
} store_options_t;

typedef struct {
    size_t map_size;     /* bytes reserved for the map now */
    size_t used_bytes;   /* pages in use x page size */
    unsigned grow_count; /* times this process grew the map */
} store_stats_t;

/* Opens (creating if needed, unless read_only) the store in directory `dir`, which must
   exist. `opts` may be NULL for the defaults. Sets *out only on success; the caller
   destroys it with store_destroy(). */
int
store_open(const char *dir, const store_options_t *opts, store_t **out);

/* Closes the store; accepts NULL and sets *self_p to NULL. No transaction may be open. */
void
store_destroy(store_t **self_p);

/* ------------------------------------------------------------------ writing */

/* A batch: called inside one write transaction; returns 0 to commit, non-zero to abort
   (that value is then returned by store_write). It may run more than once: after a
   map-full it is run again from the start on a larger map, so it must compute its
   results afresh each time and only publish them after store_write() returns 0. */
typedef int(store_batch_fn)(store_txn_t *txn, void *arg);

/* Runs `fn` in a write transaction and commits it with a full sync. Returns 0 once the
   batch is durable; `fn`'s own non-zero result; STORE_FULL when the map cannot grow
   (max_map_size reached or no space on disk), in which case nothing was written. */
int
store_write(store_t *self, store_batch_fn *fn, void *arg);

/* Inside a batch: puts `key` -> `val` in `table` (created on first use). */
int
store_put(store_txn_t *txn, const char *table, const void *key, size_t klen, const void *val,
          size_t vlen, unsigned flags);

/* Inside a batch: deletes `key` from `table`. Returns STORE_NOTFOUND if absent. */
int
store_del(store_txn_t *txn, const char *table, const void *key, size_t klen);

/* ------------------------------------------------------------------ reading */

/* Begins a read transaction (a consistent snapshot). Free with store_txn_end(). */
int
store_read_begin(store_t *self, store_txn_t **out);

/* Ends a read transaction; accepts NULL and sets *txn_p to NULL. */
void
store_txn_end(store_txn_t **txn_p);

/* Looks `key` up in `table`, inside a read or write transaction. On success *val and
   *vlen point into the map: valid until the transaction ends (or, in a write
   transaction, until the next put or del). Returns STORE_NOTFOUND when absent, also when
   the table does not exist yet. */
int
store_get(store_txn_t *txn, const char *table, const void *key, size_t klen, const void **val,
          size_t *vlen);

/* Number of entries in `table` (0 if the table does not exist). */
int
store_count(store_txn_t *txn, const char *table, uint64_t *count);

/* Opens a cursor on `table` in `txn`. Returns STORE_NOTFOUND if the table does not exist.
   Close with store_cursor_close() before the transaction ends. */
int
store_cursor_open(store_txn_t *txn, const char *table, store_cursor_t **out);

void
store_cursor_close(store_cursor_t **cursor_p);

/* Positions at the first key >= `key` (klen 0: the first key). */
int
store_cursor_seek(store_cursor_t *cursor, const void *key, size_t klen, const void **k, size_t *kl,
                  const void **v, size_t *vl);

/* Moves to the next entry. Returns STORE_NOTFOUND at the end. */
int
store_cursor_next(store_cursor_t *cursor, const void **k, size_t *kl, const void **v, size_t *vl);

/* Positions at the last entry of the table. Returns STORE_NOTFOUND if it is empty. */
int
store_cursor_last(store_cursor_t *cursor, const void **k, size_t *kl, const void **v, size_t *vl);

/* ------------------------------------------------------------------ copying */

/* Writes a copy of the store into directory `target` (it must exist and hold no
   data.mdb): one consistent snapshot of every table, as one read transaction sees it,
   compacted (free pages left out, so the copy is as small as the data), synced, mode
   0600. Safe while this or another process writes: a hot backup. Works on a read-only
   store too. The copy opens as a store of its own with store_open(). Returns 0; -EEXIST
   when `target` holds a data.mdb already; -errno; a STORE_* code. */
int
store_copy(store_t *self, const char *target);

/* ------------------------------------------------------------------ misc */

/* Gives back the pages of the map this process has read: they leave its resident set
   (RSS) and stay in the kernel's page cache, so a later read finds them there without
   a disk access. For after a scan of a whole table (the broker reads its log at start),
   which would otherwise leave every page of the file counted against the process. Data
   read before stays valid: the map is of the file, and a page is read in again when it
   is touched. Returns 0 or a negative errno. */
int
store_release_pages(store_t *self);

/* Fills `stats`. */
int
store_stats(store_t *self, store_stats_t *stats);

/* Big-endian 8-byte keys, so that numeric order is key order. */
void
store_u64_to_key(uint64_t value, unsigned char key[8]);
uint64_t
store_key_to_u64(const unsigned char key[8]);

/* Test seam: when set, called before each commit; a non-zero return is taken as the
   commit's LMDB result (e.g. MDB_MAP_FULL as STORE_FULL's source, or ENOSPC). */
extern int (*store_commit_hook)(void);

#endif
