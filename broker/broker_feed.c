/*  broker_feed: append, read and replay the feed log.

    Items are re-packed once when they are appended (to carry their feed_seq and service)
    and stored as they will be published, so publication and replay send stored bytes: a
    replay answer is written field by field around the stored items (a FeedBatch's items
    are its field 1, each a length-delimited FeedItem), not built and packed again.
*/
#include "broker_feed.h"

#include <errno.h>
#include <stdio.h>
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
    case DAJIA__FEED_ITEM__ITEM_NOTICE:
        return DAJIA_TOPIC_NOTICE;
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
    item->public_seq = 0; /* the broker numbers them (broker_feed_put) */
    item->unit_seq = 0;
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
    /* A unit's item without a unit (or with one too long to be a code) reaches the
       Office only: it is stored, and indexed for no unit. */
    if (item->audience == DAJIA__AUDIENCE__AUDIENCE_UNIT && item->unit &&
        strlen(item->unit) < sizeof entry->unit)
        snprintf(entry->unit, sizeof entry->unit, "%s", item->unit);
    rc = 0;
out:
    dajia__feed_item__free_unpacked(item, NULL);
    return rc;
}

void
broker_feed_entry_clear(broker_feed_entry_t *entry)
{
    free(entry->data);
    free(entry->public_data);
    memset(entry, 0, sizeof *entry);
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

/* ================================================================ the indexes */

/* A key of the unit index: the unit, a NUL, then unit_seq (8 bytes, big-endian), so that
   one unit's keys lie together in order. Returns its length. */
static size_t
s_unit_key(const char *unit, uint64_t seq, unsigned char key[BROKER_FEED_UNIT_MAX + 8])
{
    size_t ul = strlen(unit);
    memcpy(key, unit, ul + 1);
    store_u64_to_key(seq, key + ul + 1);
    return ul + 1 + 8;
}

/* The unit's last unit_seq (0: none yet). */
static int
s_unit_last(store_txn_t *txn, const char *unit, uint64_t *last)
{
    const void *v;
    size_t vl;
    *last = 0;
    int rc = store_get(txn, DAJIA_TABLE_FEED_UNIT_LAST, unit, strlen(unit), &v, &vl);
    if (rc == 0 && vl == 8)
        *last = store_key_to_u64(v);
    return rc == STORE_NOTFOUND ? 0 : rc;
}

/* Gives the public item `feed_seq` the next public_seq, in the index. */
static int
s_index_public(store_txn_t *txn, uint64_t feed_seq, uint64_t *public_seq)
{
    uint64_t last = 0;
    int rc = s_last_key(txn, DAJIA_TABLE_FEED_PUBLIC_SEQ, &last);
    if (rc)
        return rc;
    *public_seq = last + 1;
    unsigned char key[8], value[8];
    store_u64_to_key(*public_seq, key);
    store_u64_to_key(feed_seq, value);
    return store_put(txn, DAJIA_TABLE_FEED_PUBLIC_SEQ, key, sizeof key, value, sizeof value,
                     STORE_APPEND);
}

/* Gives the item `feed_seq` for `unit` the unit's next unit_seq, in the index. */
static int
s_index_unit(store_txn_t *txn, const char *unit, uint64_t feed_seq, uint64_t *unit_seq)
{
    uint64_t last = 0;
    int rc = s_unit_last(txn, unit, &last);
    if (rc)
        return rc;
    *unit_seq = last + 1;
    unsigned char key[BROKER_FEED_UNIT_MAX + 8], value[8];
    size_t kl = s_unit_key(unit, *unit_seq, key);
    store_u64_to_key(feed_seq, value);
    rc = store_put(txn, DAJIA_TABLE_FEED_UNIT, key, kl, value, sizeof value, 0);
    store_u64_to_key(*unit_seq, value);
    if (rc == 0)
        rc = store_put(txn, DAJIA_TABLE_FEED_UNIT_LAST, unit, strlen(unit), value, sizeof value, 0);
    return rc;
}

/* Packs `item` into a new buffer. */
static int
s_pack(const Dajia__FeedItem *item, uint8_t **data, size_t *len)
{
    size_t size = dajia__feed_item__get_packed_size(item);
    uint8_t *bytes = malloc(size ? size : 1);
    if (!bytes)
        return -ENOMEM;
    dajia__feed_item__pack(item, bytes);
    free(*data);
    *data = bytes;
    *len = size;
    return 0;
}

/* Writes the entry's numbers into its bytes: `data` as stored (feed_seq and its number),
   `public_data` as the public feed sends it (no feed_seq). */
static int
s_number(broker_feed_entry_t *entry)
{
    Dajia__FeedItem *item = dajia__feed_item__unpack(NULL, entry->len, entry->data);
    if (!item)
        return BROKER_FEED_MALFORMED; /* prepared by us: cannot happen */
    item->public_seq = entry->public_seq;
    item->unit_seq = entry->unit_seq;
    int rc = s_pack(item, &entry->data, &entry->len);
    if (rc == 0 && entry->public_seq) {
        item->feed_seq = 0;
        rc = s_pack(item, &entry->public_data, &entry->public_len);
    }
    dajia__feed_item__free_unpacked(item, NULL);
    return rc;
}

int
broker_feed_put(store_txn_t *txn, broker_feed_entry_t *entry)
{
    int rc = 0;
    entry->public_seq = entry->unit_seq = 0;
    if (entry->audience == DAJIA__AUDIENCE__AUDIENCE_PUBLIC)
        rc = s_index_public(txn, entry->feed_seq, &entry->public_seq);
    else if (entry->audience == DAJIA__AUDIENCE__AUDIENCE_UNIT && entry->unit[0])
        rc = s_index_unit(txn, entry->unit, entry->feed_seq, &entry->unit_seq);
    if (rc == 0 && (entry->public_seq || entry->unit_seq))
        rc = s_number(entry);
    unsigned char key[8];
    store_u64_to_key(entry->feed_seq, key);
    if (rc == 0)
        rc = store_put(txn, DAJIA_TABLE_FEED, key, sizeof key, entry->data, entry->len,
                       STORE_APPEND);
    return rc;
}

/* The feed_seq the indexes reach: the greatest feed_seq any index entry points at. */
static int
s_indexed_through(store_t *store, uint64_t *through)
{
    store_txn_t *txn = NULL;
    store_cursor_t *cursor = NULL;
    *through = 0;
    int rc = store_read_begin(store, &txn);
    if (rc)
        return rc;
    const void *k, *v;
    size_t kl, vl;
    rc = store_cursor_open(txn, DAJIA_TABLE_FEED_PUBLIC_SEQ, &cursor);
    if (rc == 0)
        rc = store_cursor_last(cursor, &k, &kl, &v, &vl);
    if (rc == 0 && vl == 8)
        *through = store_key_to_u64(v);
    store_cursor_close(&cursor);
    if (rc == STORE_NOTFOUND)
        rc = 0;
    /* each unit's newest entry */
    if (rc == 0)
        rc = store_cursor_open(txn, DAJIA_TABLE_FEED_UNIT_LAST, &cursor);
    if (rc == 0)
        rc = store_cursor_seek(cursor, "", 0, &k, &kl, &v, &vl);
    for (; rc == 0; rc = store_cursor_next(cursor, &k, &kl, &v, &vl)) {
        char unit[BROKER_FEED_UNIT_MAX];
        if (kl >= sizeof unit || vl != 8)
            continue;
        memcpy(unit, k, kl);
        unit[kl] = '\0';
        unsigned char key[BROKER_FEED_UNIT_MAX + 8];
        size_t ikl = s_unit_key(unit, store_key_to_u64(v), key);
        const void *fv;
        size_t fvl;
        if (store_get(txn, DAJIA_TABLE_FEED_UNIT, key, ikl, &fv, &fvl) == 0 && fvl == 8 &&
            store_key_to_u64(fv) > *through)
            *through = store_key_to_u64(fv);
    }
    if (rc == STORE_NOTFOUND)
        rc = 0;
    store_cursor_close(&cursor);
    store_txn_end(&txn);
    return rc;
}

#define S_INDEX_CHUNK 100000 /* feed items read per write transaction of the update */

typedef struct {
    uint64_t from;    /* first feed_seq to look at */
    uint64_t reached; /* set by the batch: the feed_seq after the last one looked at */
    uint64_t added;   /* set by the batch: items indexed */
    bool done;        /* set by the batch: the feed's end was reached */
} s_index_job_t;

/* One chunk of the update, in a write transaction; run again from scratch after a
   map-full, so its results are set afresh each time. The stored items are left as they
   are: replay sets a reader's number from the index. */
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
        uint64_t feed_seq = store_key_to_u64(k);
        job->reached = feed_seq + 1;
        Dajia__FeedItem *item = dajia__feed_item__unpack(NULL, vl, v);
        Dajia__Audience audience = item ? item->audience : DAJIA__AUDIENCE__AUDIENCE_OFFICE;
        char unit[BROKER_FEED_UNIT_MAX] = "";
        if (item && item->unit && strlen(item->unit) < sizeof unit)
            snprintf(unit, sizeof unit, "%s", item->unit);
        dajia__feed_item__free_unpacked(item, NULL);
        /* The puts may move the map under the cursor's k and v: nothing of them is
           used after this point but through the cursor, which is repositioned. */
        uint64_t seq = 0;
        int put = 0;
        if (audience == DAJIA__AUDIENCE__AUDIENCE_PUBLIC)
            put = s_index_public(txn, feed_seq, &seq);
        else if (audience == DAJIA__AUDIENCE__AUDIENCE_UNIT && unit[0])
            put = s_index_unit(txn, unit, feed_seq, &seq);
        else
            continue;
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
    int rc = s_indexed_through(store, &indexed);
    if (rc == 0)
        rc = store_read_begin(store, &txn);
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

/* Appends the stored item `v` to the answer as the Office gets it: the stored bytes, if
   they decode (never written otherwise; skipping beats a stuck reader). */
static int
s_add_office(s_buf_t *buf, const void *v, size_t vl, bool *added)
{
    Dajia__FeedItem *item = dajia__feed_item__unpack(NULL, vl, v);
    *added = item != NULL;
    dajia__feed_item__free_unpacked(item, NULL);
    if (!*added)
        return 0;
    int rc = s_buf_reserve(buf, 1 + S_VARINT_MAX + vl);
    if (rc)
        return rc;
    buf->data[buf->len++] = S_TAG_ITEMS;
    s_buf_varint(buf, vl);
    memcpy(buf->data + buf->len, v, vl);
    buf->len += vl;
    return 0;
}

/* Appends the stored item `v` to the answer as a reader other than the Office gets it:
   without its feed_seq, with its number `seq` in the reader's numbering (set here too
   for an item stored before the broker numbered them). It must be of `audience` (and
   for `unit`): the index says so, this makes sure. */
static int
s_add_numbered(s_buf_t *buf, const void *v, size_t vl, Dajia__Audience audience, const char *unit,
               uint64_t seq, bool *added)
{
    Dajia__FeedItem *item = dajia__feed_item__unpack(NULL, vl, v);
    *added = item && item->audience == audience &&
             (audience != DAJIA__AUDIENCE__AUDIENCE_UNIT || strcmp(item->unit, unit) == 0);
    int rc = 0;
    if (*added) {
        item->feed_seq = 0;
        if (audience == DAJIA__AUDIENCE__AUDIENCE_UNIT)
            item->unit_seq = seq;
        else
            item->public_seq = seq;
        size_t size = dajia__feed_item__get_packed_size(item);
        rc = s_buf_reserve(buf, 1 + S_VARINT_MAX + size);
        if (rc == 0) {
            buf->data[buf->len++] = S_TAG_ITEMS;
            s_buf_varint(buf, size);
            buf->len += dajia__feed_item__pack(item, buf->data + buf->len);
        }
    }
    dajia__feed_item__free_unpacked(item, NULL);
    return rc;
}

/* Where a reader reads: the table, the prefix its keys share (a unit's code and NUL in
   the unit index; none elsewhere), and its newest number. */
typedef struct {
    const char *table;
    unsigned char prefix[BROKER_FEED_UNIT_MAX];
    size_t plen;
} s_range_t;

static int
s_range_last(store_txn_t *txn, Dajia__Audience audience, const char *unit, uint64_t *last)
{
    if (audience == DAJIA__AUDIENCE__AUDIENCE_OFFICE)
        return s_last_key(txn, DAJIA_TABLE_FEED, last);
    if (audience == DAJIA__AUDIENCE__AUDIENCE_UNIT)
        return s_unit_last(txn, unit, last);
    return s_last_key(txn, DAJIA_TABLE_FEED_PUBLIC_SEQ, last);
}

int
broker_feed_replay_for(store_t *store, uint64_t from, Dajia__Audience audience, const char *unit,
                       uint32_t max, broker_feed_answer_t *out)
{
    memset(out, 0, sizeof *out);
    bool office = audience == DAJIA__AUDIENCE__AUDIENCE_OFFICE;
    if (audience != DAJIA__AUDIENCE__AUDIENCE_UNIT && !office)
        audience = DAJIA__AUDIENCE__AUDIENCE_PUBLIC;
    if (!unit || strlen(unit) >= BROKER_FEED_UNIT_MAX)
        unit = "";
    /* The office reads the feed itself; anyone else an index, whose values lead to the
       items in the feed. A unit's range starts with its code and a NUL. */
    s_range_t range = {.table = office ? DAJIA_TABLE_FEED
                                : audience == DAJIA__AUDIENCE__AUDIENCE_UNIT
                                    ? DAJIA_TABLE_FEED_UNIT
                                    : DAJIA_TABLE_FEED_PUBLIC_SEQ};
    if (audience == DAJIA__AUDIENCE__AUDIENCE_UNIT) {
        range.plen = strlen(unit) + 1;
        memcpy(range.prefix, unit, range.plen);
    }
    if (max == 0)
        max = BROKER_FEED_REPLAY_MAX;
    if (max > BROKER_FEED_REPLAY_CAP)
        max = BROKER_FEED_REPLAY_CAP;
    s_buf_t buf = {0};
    store_txn_t *txn = NULL;
    store_cursor_t *cursor = NULL;
    int rc = store_read_begin(store, &txn);
    if (rc == 0 && audience == DAJIA__AUDIENCE__AUDIENCE_UNIT && !unit[0])
        goto out; /* nobody's: nothing */
    if (rc == 0)
        rc = s_range_last(txn, audience, unit, &out->last);
    if (rc == 0)
        rc = store_cursor_open(txn, range.table, &cursor);
    if (rc)
        goto out; /* STORE_NOTFOUND: no such table yet, an empty answer */
    unsigned char start[BROKER_FEED_UNIT_MAX + 8];
    memcpy(start, range.prefix, range.plen);
    store_u64_to_key(from ? from : 1, start + range.plen);
    const void *k, *v;
    size_t kl, vl;
    uint32_t read = 0;
    for (rc = store_cursor_seek(cursor, start, range.plen + 8, &k, &kl, &v, &vl); rc == 0;
         rc = store_cursor_next(cursor, &k, &kl, &v, &vl)) {
        if (kl < range.plen || memcmp(k, range.prefix, range.plen) != 0) {
            rc = STORE_NOTFOUND; /* past the unit's range */
            break;
        }
        if (kl != range.plen + 8)
            continue; /* never written so */
        uint64_t seq = store_key_to_u64((const unsigned char *)k + range.plen);
        if (read == max || buf.len >= BROKER_FEED_REPLAY_BYTES) {
            /* items follow that this reader may see: it asks again from here */
            out->more = true;
            out->next = seq;
            break;
        }
        read++; /* counted whether sent or skipped: the work is bounded, not the answer */
        bool added = false;
        if (office) {
            rc = s_add_office(&buf, v, vl, &added);
        } else {
            if (vl != 8)
                continue;
            unsigned char feed_key[8];
            memcpy(feed_key, v, sizeof feed_key);
            const void *item;
            size_t il;
            rc = store_get(txn, DAJIA_TABLE_FEED, feed_key, sizeof feed_key, &item, &il);
            if (rc == STORE_NOTFOUND) {
                rc = 0;
                continue;
            }
            if (rc == 0)
                rc = s_add_numbered(&buf, item, il, audience, unit, seq, &added);
        }
        if (rc)
            break;
        out->items += added;
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
broker_feed_replay_pack(store_t *store, uint64_t from, Dajia__Audience audience, uint32_t max,
                        broker_feed_answer_t *out)
{
    return broker_feed_replay_for(store, from, audience, NULL, max, out);
}

/* Unpacks an answer into *out. */
static int
s_unpack_answer(int rc, broker_feed_answer_t *answer, Dajia__FeedBatch **out)
{
    if (rc)
        return rc;
    *out =
        dajia__feed_batch__unpack(NULL, answer->len, answer->data ? answer->data : (uint8_t *)"");
    free(answer->data);
    return *out ? 0 : -ENOMEM;
}

int
broker_feed_replay_unit(store_t *store, const char *unit, uint64_t from, uint32_t max,
                        Dajia__FeedBatch **out)
{
    broker_feed_answer_t answer;
    int rc =
        broker_feed_replay_for(store, from, DAJIA__AUDIENCE__AUDIENCE_UNIT, unit, max, &answer);
    return s_unpack_answer(rc, &answer, out);
}

int
broker_feed_replay(store_t *store, uint64_t from, Dajia__Audience audience, uint32_t max,
                   Dajia__FeedBatch **out)
{
    broker_feed_answer_t answer;
    int rc = broker_feed_replay_pack(store, from, audience, max, &answer);
    return s_unpack_answer(rc, &answer, out);
}

void
broker_feed_batch_destroy(Dajia__FeedBatch **batch_p)
{
    if (!batch_p || !*batch_p)
        return;
    dajia__feed_batch__free_unpacked(*batch_p, NULL);
    *batch_p = NULL;
}
