/*  worker_store: the store idioms the worker cores and the shell share (worker_store.h):
    one reading of "a table not made yet is empty" and of a u64 meta value, instead of
    one per core. */
#include "worker_store.h"

#include <errno.h>
#include <string.h>

int
worker_store_u64_get(store_txn_t *txn, const char *table, const char *key, uint64_t *value,
                     bool *found)
{
    const void *val;
    size_t vlen;
    int rc = store_get(txn, table, key, strlen(key), &val, &vlen);
    *found = false;
    if (rc == STORE_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (vlen != 8)
        return -EINVAL;
    *value = store_key_to_u64(val);
    *found = true;
    return 0;
}

int
worker_store_u64_put(store_txn_t *txn, const char *table, const char *key, uint64_t value)
{
    uint8_t val[8];
    store_u64_to_key(value, val);
    return store_put(txn, table, key, strlen(key), val, sizeof val, 0);
}

int
worker_store_seek(store_txn_t *txn, const char *table, const void *from, size_t flen,
                  store_cursor_t **cursor, const void **k, size_t *kl, const void **v, size_t *vl)
{
    *cursor = NULL;
    int rc = store_cursor_open(txn, table, cursor);
    if (rc)
        return rc;
    return store_cursor_seek(*cursor, from, flen, k, kl, v, vl);
}
