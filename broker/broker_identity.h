/*  broker_identity: the identity of the broker's store, and the answer to HELLO.

    A store is given a random identity the first time a broker opens it, kept in the
    meta table (DAJIA_TABLE_META, key DAJIA_META_STORE_ID: proto/dajia_tables.h).
    `dajia-ctl restore` drops it from the store it restores, so a broker on a restored
    store gives it a new one. An agent asks for it (HELLO, proto/dajia_api.h) and, when
    it is not the identity of the store that acknowledged the events the agent keeps,
    sends those again (docs/design.md, "Restore and resend").
*/
#ifndef BROKER_IDENTITY_H
#define BROKER_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define BROKER_IDENTITY_MAX   64                        /* longest identity read from a store */
#define BROKER_ID_TXT         (BROKER_IDENTITY_MAX + 1) /* an identity and its NUL */
#define BROKER_IDENTITY_HELLO 128 /* a packed Hello always fits this many bytes */

/* Reads the identity of `store` into `id` (`size` > BROKER_IDENTITY_MAX bytes), making
   and storing a new one (32 hex digits) when it has none. Returns 0, -EINVAL or a store
   code. */
int
broker_identity_load(store_t *store, char *id, size_t size);

/* Packs the Hello for `id` and `last_log_seq` into `buf` (BROKER_IDENTITY_HELLO bytes)
   and returns its length. */
size_t
broker_identity_hello(const char *id, uint64_t last_log_seq, uint8_t *buf);

#endif
