/*  broker_identity: the store's identity (see broker_identity.h).

    The identity only has to differ between two stores an agent may meet one after the
    other: a random UUID from czmq is plenty, and it is written once, in its own
    transaction, before the broker serves anything.
*/
#include "broker_identity.h"

#include <czmq.h>
#include <errno.h>
#include <string.h>

#include "dajia.pb-c.h"
#include "dajia_tables.h"

static int
s_put_id(store_txn_t *txn, void *arg)
{
    const char *id = arg;
    return store_put(txn, DAJIA_TABLE_META, DAJIA_META_STORE_ID, strlen(DAJIA_META_STORE_ID), id,
                     strlen(id), 0);
}

int
broker_identity_load(store_t *store, char *id, size_t size)
{
    if (size <= BROKER_IDENTITY_MAX)
        return -EINVAL;
    store_txn_t *txn = NULL;
    const void *val = NULL;
    size_t vlen = 0;
    int rc = store_read_begin(store, &txn);
    if (rc == 0)
        rc = store_get(txn, DAJIA_TABLE_META, DAJIA_META_STORE_ID, strlen(DAJIA_META_STORE_ID),
                       &val, &vlen);
    if (rc == 0 && vlen > 0 && vlen <= BROKER_IDENTITY_MAX) {
        memcpy(id, val, vlen);
        id[vlen] = '\0';
    } else if (rc == 0)
        rc = STORE_NOTFOUND; /* empty or too long: made anew */
    store_txn_end(&txn);
    if (rc != STORE_NOTFOUND)
        return rc;
    zuuid_t *uuid = zuuid_new();
    if (!uuid)
        return -ENOMEM;
    snprintf(id, size, "%s", zuuid_str(uuid));
    zuuid_destroy(&uuid);
    return store_write(store, s_put_id, id);
}

size_t
broker_identity_hello(const char *id, uint64_t last_log_seq, uint8_t *buf)
{
    Dajia__Hello hello = DAJIA__HELLO__INIT;
    hello.store_id = (char *)id;
    hello.last_log_seq = last_log_seq;
    return dajia__hello__pack(&hello, buf);
}
