/*  worker_store: the store idioms the worker cores and the shell share.

    A worker's tables are made by their first write, so a table that does not exist yet
    reads as empty; these helpers say so once: a u64 kept under a name (the cores' meta
    values), and a cursor opened at a key of a table that may not exist.
*/
#ifndef WORKER_STORE_H
#define WORKER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Reads the 8-byte big-endian value under `key` in `table`. Returns 0 (*found says
   whether there was one; *value is left alone when not), -EINVAL when the value is not
   8 bytes, or an error. */
int
worker_store_u64_get(store_txn_t *txn, const char *table, const char *key, uint64_t *value,
                     bool *found);

/* Writes `value` under `key` in `table`, 8 bytes big-endian. */
int
worker_store_u64_put(store_txn_t *txn, const char *table, const char *key, uint64_t value);

/* Opens a cursor on `table` (*cursor) at the first key >= `from` (`flen` bytes; 0: the
   first key) and reads that entry into *k, *kl, *v, *vl. Returns 0, STORE_NOTFOUND when
   the table does not exist (*cursor is then NULL) or has no such key, or an error. The
   caller closes *cursor with store_cursor_close() in every case (NULL is accepted). */
int
worker_store_seek(store_txn_t *txn, const char *table, const void *from, size_t flen,
                  store_cursor_t **cursor, const void **k, size_t *kl, const void **v, size_t *vl);

#endif
