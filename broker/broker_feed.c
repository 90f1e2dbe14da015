/*  broker_feed: append, read and replay the feed log.

    Items are re-packed once when they are appended (to carry their feed_seq and service)
    and stored as they will be published, so publication and replay send stored bytes: a
    replay answer is written field by field around the stored items (a FeedBatch's items
    are its field 1, each a length-delimited FeedItem), not built and packed again.
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
    int rc =
        store_put(txn, DAJIA_TABLE_FEED, key, sizeof key, entry->data, entry->len, STORE_APPEND);
    if (rc == 0 && entry->audience == DAJIA__AUDIENCE__AUDIENCE_PUBLIC)
        rc = store_put(txn, DAJIA_TABLE_FEED_PUBLIC, key, sizeof key, "", 0, STORE_APPEND);
    return rc;
}

/* The last key of `table` (0 when it is empty or missing), in `txn`. */
static int
s_last_key(store_txn_t *txn, const char *table, uint64_t *last)
{
    store_cursor_t *cursor = NULL;
    *last = 0;
    int rc = store_cursor_open(txn, table, &cursor);
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

int
broker_feed_last_seq(store_txn_t *txn, uint64_t *last)
{
    return s_last_key(txn, DAJIA_TABLE_FEED, last);
}

/* ================================================================ the public index */

#define S_INDEX_CHUNK 100000 /* feed items read per write transaction of the update */

typedef struct {
    uint64_t from;    /* first feed_seq to look at */
    uint64_t reached; /* set by the batch: the feed_seq after the last one looked at */
    uint64_t added;   /* set by the batch: keys put */
    bool done;        /* set by the batch: the feed's end was reached */
} s_index_job_t;

/* One chunk of the update, in a write transaction; run again from scratch after a
   map-full, so its results are set afresh each time. */
static int
s_index_chunk(store_txn_t *txn, void *arg)
{
    s_index_job_t *job = arg;
    job->reached = job->from;
    job->added = 0;
    job->done = false;
    store_cursor_t *cursor = NULL;
    int rc = store_cursor_open(txn, DAJIA_TABLE_FEED, &cursor);
    if (rc == STORE_NOTFOUND) {
        job->done = true;
        return 0;
    }
    if (rc)
        return rc;
    unsigned char start[8];
    store_u64_to_key(job->from, start);
    const void *k, *v;
    size_t kl, vl, seen = 0;
    for (rc = store_cursor_seek(cursor, start, sizeof start, &k, &kl, &v, &vl); rc == 0;
         rc = store_cursor_next(cursor, &k, &kl, &v, &vl)) {
        if (seen++ == S_INDEX_CHUNK)
            break;
        if (kl != 8)
            continue;
        job->reached = store_key_to_u64(k) + 1;
        Dajia__FeedItem *item = dajia__feed_item__unpack(NULL, vl, v);
        bool public_item = item && item->audience == DAJIA__AUDIENCE__AUDIENCE_PUBLIC;
        dajia__feed_item__free_unpacked(item, NULL);
        if (!public_item)
            continue;
        /* The key points into the map, which the put may change: copy it first. */
        unsigned char key[8];
        memcpy(key, k, sizeof key);
        int put = store_put(txn, DAJIA_TABLE_FEED_PUBLIC, key, sizeof key, "", 0, STORE_APPEND);
        if (put) {
            rc = put;
            break;
        }
        job->added++;
    }
    if (rc == STORE_NOTFOUND) {
        job->done = true;
        rc = 0;
    }
    store_cursor_close(&cursor);
    return rc;
}

int
broker_feed_index_update(store_t *store, uint64_t *added)
{
    *added = 0;
    store_txn_t *txn = NULL;
    uint64_t indexed = 0, last = 0;
    int rc = store_read_begin(store, &txn);
    if (rc == 0)
        rc = s_last_key(txn, DAJIA_TABLE_FEED_PUBLIC, &indexed);
    if (rc == 0)
        rc = s_last_key(txn, DAJIA_TABLE_FEED, &last);
    store_txn_end(&txn);
    s_index_job_t job = {.from = indexed + 1};
    while (rc == 0 && job.from <= last) {
        rc = store_write(store, s_index_chunk, &job);
        if (rc)
            break;
        *added += job.added;
        if (job.done || job.reached <= job.from)
            break;
        job.from = job.reached;
    }
    return rc;
}

/* ================================================================ replay */

/* A growing buffer for the packed answer. */
typedef struct {
    uint8_t *data;
    size_t len, cap;
} s_buf_t;

static int
s_buf_reserve(s_buf_t *buf, size_t more)
{
    if (buf->len + more <= buf->cap)
        return 0;
    size_t cap = buf->cap ? buf->cap : 4096;
    while (cap < buf->len + more)
        cap *= 2;
    uint8_t *grown = realloc(buf->data, cap);
    if (!grown)
        return -ENOMEM;
    buf->data = grown;
    buf->cap = cap;
    return 0;
}

/* Appends a protobuf varint. Room for 10 bytes must be reserved. */
static void
s_buf_varint(s_buf_t *buf, uint64_t value)
{
    while (value >= 0x80) {
        buf->data[buf->len++] = (uint8_t)(value | 0x80);
        value >>= 7;
    }
    buf->data[buf->len++] = (uint8_t)value;
}

/* Field tags of FeedBatch (dajia.proto): (number << 3) | wire type. */
#define S_TAG_ITEMS    ((1u << 3) | 2u) /* repeated FeedItem, length-delimited */
#define S_TAG_LAST     ((2u << 3) | 0u) /* last_feed_seq, varint */
#define S_TAG_MORE     ((3u << 3) | 0u) /* more, varint */
#define S_TAG_NEXT_SEQ ((6u << 3) | 0u) /* next_seq, varint */
#define S_VARINT_MAX   10

/* Is the stored item `v` one `office` (or else a public reader) may be sent? It must
   decode, and a public reader's must be public: the index says so, this makes sure. */
static bool
s_sendable(const void *v, size_t vl, bool office)
{
    Dajia__FeedItem *item = dajia__feed_item__unpack(NULL, vl, v);
    bool ok = item && (office || item->audience == DAJIA__AUDIENCE__AUDIENCE_PUBLIC);
    dajia__feed_item__free_unpacked(item, NULL);
    return ok;
}

int
broker_feed_replay_pack(store_t *store, uint64_t from, Dajia__Audience audience, uint32_t max,
                        broker_feed_answer_t *out)
{
    memset(out, 0, sizeof *out);
    bool office = audience == DAJIA__AUDIENCE__AUDIENCE_OFFICE;
    /* The office reads the feed itself; anyone else the index of public items, whose
       keys lead to the items in the feed. */
    const char *table = office ? DAJIA_TABLE_FEED : DAJIA_TABLE_FEED_PUBLIC;
    if (max == 0)
        max = BROKER_FEED_REPLAY_MAX;
    if (max > BROKER_FEED_REPLAY_CAP)
        max = BROKER_FEED_REPLAY_CAP;
    s_buf_t buf = {0};
    store_txn_t *txn = NULL;
    store_cursor_t *cursor = NULL;
    int rc = store_read_begin(store, &txn);
    if (rc == 0)
        rc = s_last_key(txn, table, &out->last);
    if (rc == 0)
        rc = store_cursor_open(txn, table, &cursor);
    if (rc)
        goto out; /* STORE_NOTFOUND: no such table yet, an empty answer */
    unsigned char start[8];
    store_u64_to_key(from ? from : 1, start);
    const void *k, *v;
    size_t kl, vl;
    uint32_t read = 0;
    for (rc = store_cursor_seek(cursor, start, sizeof start, &k, &kl, &v, &vl); rc == 0;
         rc = store_cursor_next(cursor, &k, &kl, &v, &vl)) {
        if (kl != 8)
            continue; /* never written so */
        if (read == max || buf.len >= BROKER_FEED_REPLAY_BYTES) {
            /* items follow that this reader may see: it asks again from here */
            out->more = true;
            out->next = store_key_to_u64(k);
            break;
        }
        read++; /* counted whether sent or skipped: the work is bounded, not the answer */
        if (!office) {
            rc = store_get(txn, DAJIA_TABLE_FEED, k, kl, &v, &vl);
            if (rc == STORE_NOTFOUND) {
                rc = 0;
                continue;
            }
            if (rc)
                break;
        }
        if (!s_sendable(v, vl, office))
            continue; /* never written so; skipping beats a stuck reader */
        rc = s_buf_reserve(&buf, 1 + S_VARINT_MAX + vl);
        if (rc)
            break;
        buf.data[buf.len++] = S_TAG_ITEMS;
        s_buf_varint(&buf, vl);
        memcpy(buf.data + buf.len, v, vl);
        buf.len += vl;
        out->items++;
    }
    if (rc == STORE_NOTFOUND)
        rc = 0;
out:
    if (rc == STORE_NOTFOUND) {
        out->last = 0;
        rc = 0;
    }
    store_cursor_close(&cursor);
    store_txn_end(&txn);
    if (rc == 0)
        rc = s_buf_reserve(&buf, 3 * (1 + S_VARINT_MAX));
    if (rc) {
        free(buf.data);
        memset(out, 0, sizeof *out);
        return rc;
    }
    if (out->last) {
        buf.data[buf.len++] = S_TAG_LAST;
        s_buf_varint(&buf, out->last);
    }
    if (out->more) {
        buf.data[buf.len++] = S_TAG_MORE;
        buf.data[buf.len++] = 1;
        buf.data[buf.len++] = S_TAG_NEXT_SEQ;
        s_buf_varint(&buf, out->next);
    }
    out->data = buf.data;
    out->len = buf.len;
    return 0;
}

int
broker_feed_replay(store_t *store, uint64_t from, Dajia__Audience audience, uint32_t max,
                   Dajia__FeedBatch **out)
{
    broker_feed_answer_t answer;
    int rc = broker_feed_replay_pack(store, from, audience, max, &answer);
    if (rc)
        return rc;
    *out = dajia__feed_batch__unpack(NULL, answer.len, answer.data ? answer.data : (uint8_t *)"");
    free(answer.data);
    return *out ? 0 : -ENOMEM;
}

void
broker_feed_batch_destroy(Dajia__FeedBatch **batch_p)
{
    if (!batch_p || !*batch_p)
        return;
    dajia__feed_batch__free_unpacked(*batch_p, NULL);
    *batch_p = NULL;
}
