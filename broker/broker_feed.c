/*  broker_feed: append, read and replay the feed log.

    Items are re-packed once when they are appended (to carry their feed_seq and service)
    and stored as they will be published, so publication and replay send stored bytes.
*/
#include "broker_feed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dajia_api.h"
#include "dajia_tables.h"

/* ================================================================ append */

const char *
broker_feed_topic(Dajia__FeedItem__ItemCase item_case)
{
    switch (item_case) {
    case DAJIA__FEED_ITEM__ITEM_ESCALATION:
        return DAJIA_TOPIC_ESCALATION;
    case DAJIA__FEED_ITEM__ITEM_AGGREGATE:
        return DAJIA_TOPIC_AGGREGATE;
    case DAJIA__FEED_ITEM__ITEM_BULLETIN:
        return DAJIA_TOPIC_BULLETIN;
    case DAJIA__FEED_ITEM__ITEM_MATTER:
        return DAJIA_TOPIC_MATTER;
    case DAJIA__FEED_ITEM__ITEM_COMPLIANCE:
        return DAJIA_TOPIC_COMPLIANCE;
    default:
        return "";
    }
}

int
broker_feed_prepare(const uint8_t *raw, size_t len, const char *service, uint64_t feed_seq,
                    broker_feed_entry_t *entry)
{
    int rc = BROKER_FEED_MALFORMED;
    Dajia__FeedItem *item = dajia__feed_item__unpack(NULL, len, raw);
    if (!item || item->item_case == DAJIA__FEED_ITEM__ITEM__NOT_SET)
        goto out;
    char *their_service = item->service;
    item->feed_seq = feed_seq;
    item->service = (char *)service;
    size_t size = dajia__feed_item__get_packed_size(item);
    uint8_t *data = malloc(size ? size : 1);
    if (!data) {
        item->service = their_service;
        rc = -ENOMEM;
        goto out;
    }
    dajia__feed_item__pack(item, data);
    item->service = their_service; /* free_unpacked frees what unpack allocated */
    broker_feed_entry_clear(entry);
    entry->feed_seq = feed_seq;
    entry->audience = item->audience;
    entry->topic = broker_feed_topic(item->item_case);
    entry->data = data;
    entry->len = size;
    rc = 0;
out:
    dajia__feed_item__free_unpacked(item, NULL);
    return rc;
}

void
broker_feed_entry_clear(broker_feed_entry_t *entry)
{
    free(entry->data);
    memset(entry, 0, sizeof *entry);
}

int
broker_feed_put(store_txn_t *txn, const broker_feed_entry_t *entry)
{
    unsigned char key[8];
    store_u64_to_key(entry->feed_seq, key);
    return store_put(txn, DAJIA_TABLE_FEED, key, sizeof key, entry->data, entry->len, STORE_APPEND);
}

int
broker_feed_last_seq(store_txn_t *txn, uint64_t *last)
{
    store_cursor_t *cursor = NULL;
    *last = 0;
    int rc = store_cursor_open(txn, DAJIA_TABLE_FEED, &cursor);
    if (rc == STORE_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    const void *k, *v;
    size_t kl, vl;
    rc = store_cursor_last(cursor, &k, &kl, &v, &vl);
    if (rc == 0 && kl == 8)
        *last = store_key_to_u64(k);
    store_cursor_close(&cursor);
    return rc == STORE_NOTFOUND ? 0 : rc;
}

/* ================================================================ replay */

static bool
s_visible(const Dajia__FeedItem *item, Dajia__Audience audience)
{
    return audience == DAJIA__AUDIENCE__AUDIENCE_OFFICE ||
           item->audience == DAJIA__AUDIENCE__AUDIENCE_PUBLIC;
}

int
broker_feed_replay(store_t *store, uint64_t from, Dajia__Audience audience, uint32_t max,
                   Dajia__FeedBatch **out)
{
    store_txn_t *txn = NULL;
    store_cursor_t *cursor = NULL;
    Dajia__FeedBatch *batch = calloc(1, sizeof *batch);
    int rc = -ENOMEM;
    if (!batch)
        goto out;
    dajia__feed_batch__init(batch);
    if (max == 0)
        max = BROKER_FEED_REPLAY_MAX;
    if (max > BROKER_FEED_REPLAY_CAP)
        max = BROKER_FEED_REPLAY_CAP;
    batch->items = calloc(max, sizeof *batch->items);
    if (!batch->items)
        goto out;
    rc = store_read_begin(store, &txn);
    if (rc)
        goto out;
    rc = broker_feed_last_seq(txn, &batch->last_feed_seq);
    if (rc)
        goto out;
    rc = store_cursor_open(txn, DAJIA_TABLE_FEED, &cursor);
    if (rc == STORE_NOTFOUND) { /* no feed table yet: an empty answer */
        *out = batch;
        batch = NULL;
        rc = 0;
        goto out;
    }
    if (rc)
        goto out;
    unsigned char key[8];
    store_u64_to_key(from ? from : 1, key);
    const void *k, *v;
    size_t kl, vl, bytes = 0;
    for (rc = store_cursor_seek(cursor, key, sizeof key, &k, &kl, &v, &vl); rc == 0;
         rc = store_cursor_next(cursor, &k, &kl, &v, &vl)) {
        if (batch->n_items == max || bytes >= BROKER_FEED_REPLAY_BYTES) {
            /* something visible may still follow: the reader asks again to find out */
            batch->more = true;
            break;
        }
        Dajia__FeedItem *item = dajia__feed_item__unpack(NULL, vl, v);
        if (!item)
            continue; /* never written so; skipping beats a stuck reader */
        if (!s_visible(item, audience)) {
            dajia__feed_item__free_unpacked(item, NULL);
            continue;
        }
        batch->items[batch->n_items++] = item;
        bytes += vl;
    }
    if (rc == STORE_NOTFOUND)
        rc = 0;
    if (rc)
        goto out;
    *out = batch;
    batch = NULL;
out:
    store_cursor_close(&cursor);
    store_txn_end(&txn);
    broker_feed_batch_destroy(&batch);
    return rc;
}

void
broker_feed_batch_destroy(Dajia__FeedBatch **batch_p)
{
    if (!batch_p || !*batch_p)
        return;
    Dajia__FeedBatch *batch = *batch_p;
    for (size_t i = 0; i < batch->n_items; i++)
        dajia__feed_item__free_unpacked(batch->items[i], NULL);
    free(batch->items);
    free(batch);
    *batch_p = NULL;
}
