/*  test_broker_feed: appending to the feed log and replaying it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_feed.h"
#include "store.h"
#include "test_util.h"

typedef struct {
    char dir[TEST_UTIL_DIR_MAX];
    store_t *store;
} fixture_t;

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f || test_util_store_make(f->dir, sizeof f->dir, "feed", &f->store) != 0)
        return -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    int rc = test_util_store_remove(&f->store, f->dir);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* Packs an item as a worker would send it (feed_seq 0, no service). */
static size_t
s_item(uint8_t *buf, Dajia__Audience audience, uint64_t source_seq)
{
    static Dajia__Escalation esc = DAJIA__ESCALATION__INIT;
    static Dajia__AggregateUpdate agg = DAJIA__AGGREGATE_UPDATE__INIT;
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.audience = audience;
    item.source_log_seq = source_seq;
    item.produced_at = 1796000000000LL;
    if (audience == DAJIA__AUDIENCE__AUDIENCE_OFFICE) {
        esc.rule = "E1";
        item.item_case = DAJIA__FEED_ITEM__ITEM_ESCALATION;
        item.escalation = &esc;
    } else {
        agg.through_log_seq = source_seq;
        item.item_case = DAJIA__FEED_ITEM__ITEM_AGGREGATE;
        item.aggregate = &agg;
    }
    return dajia__feed_item__pack(&item, buf);
}

typedef struct {
    broker_feed_entry_t *entries;
    size_t count;
} s_append_t;

static int
s_append(store_txn_t *txn, void *arg)
{
    s_append_t *a = arg;
    for (size_t i = 0; i < a->count; i++) {
        int rc = broker_feed_put(txn, &a->entries[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* Appends `count` items alternating office, public, office, ... starting after the last
   feed_seq stored, as the dispatcher does. */
static void
s_append_items(store_t *store, size_t count)
{
    store_txn_t *txn = NULL;
    uint64_t last = 0;
    assert_ok(store_read_begin(store, &txn));
    assert_ok(broker_feed_last_seq(txn, &last));
    store_txn_end(&txn);
    broker_feed_entry_t *entries = calloc(count, sizeof *entries);
    for (size_t i = 0; i < count; i++) {
        uint8_t raw[256];
        uint64_t seq = last + i + 1;
        Dajia__Audience audience =
            seq % 2 ? DAJIA__AUDIENCE__AUDIENCE_OFFICE : DAJIA__AUDIENCE__AUDIENCE_PUBLIC;
        size_t len = s_item(raw, audience, seq * 10);
        assert_ok(broker_feed_prepare(raw, len, "escalate", seq, &entries[i]));
    }
    s_append_t a = {entries, count};
    assert_ok(store_write(store, s_append, &a));
    for (size_t i = 0; i < count; i++)
        broker_feed_entry_clear(&entries[i]);
    free(entries);
}

static void
test_feed_prepare_sets_seq_service_topic(void **state)
{
    (void)state;
    uint8_t raw[256];
    size_t len = s_item(raw, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, 7);
    broker_feed_entry_t entry = {0};
    assert_ok(broker_feed_prepare(raw, len, "aggregate", 42, &entry));
    assert_int_equal(entry.feed_seq, 42);
    assert_int_equal(entry.audience, DAJIA__AUDIENCE__AUDIENCE_PUBLIC);
    assert_string_equal(entry.topic, "aggregate");
    Dajia__FeedItem *item = dajia__feed_item__unpack(NULL, entry.len, entry.data);
    assert_non_null(item);
    assert_int_equal(item->feed_seq, 42);
    assert_string_equal(item->service, "aggregate");
    assert_int_equal(item->source_log_seq, 7);
    dajia__feed_item__free_unpacked(item, NULL);
    broker_feed_entry_clear(&entry);
}

static void
test_feed_prepare_refuses_bytes_that_are_no_item(void **state)
{
    (void)state;
    broker_feed_entry_t entry = {0};
    uint8_t junk[] = {0xff, 0xff, 0xff, 0xff};
    assert_int_equal(broker_feed_prepare(junk, sizeof junk, "escalate", 1, &entry),
                     BROKER_FEED_MALFORMED);
    /* a FeedItem with no item set is refused too */
    Dajia__FeedItem empty = DAJIA__FEED_ITEM__INIT;
    uint8_t buf[32];
    size_t len = dajia__feed_item__pack(&empty, buf);
    assert_int_equal(broker_feed_prepare(buf, len, "escalate", 1, &entry), BROKER_FEED_MALFORMED);
    assert_null(entry.data);
}

static void
test_feed_replay_from_start_returns_consecutive_seqs(void **state)
{
    fixture_t *f = *state;
    s_append_items(f->store, 3);
    s_append_items(f->store, 2); /* appends continue at 4 */
    Dajia__FeedBatch *batch = NULL;
    assert_ok(broker_feed_replay(f->store, 1, DAJIA__AUDIENCE__AUDIENCE_OFFICE, 0, &batch));
    assert_int_equal(batch->n_items, 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(batch->items[i]->feed_seq, i + 1);
    assert_int_equal(batch->last_feed_seq, 5);
    assert_false(batch->more);
    broker_feed_batch_destroy(&batch);
    assert_null(batch);
}

static void
test_feed_replay_public_sees_public_items_only(void **state)
{
    fixture_t *f = *state;
    s_append_items(f->store, 6); /* odd seqs office, even seqs public */
    Dajia__FeedBatch *batch = NULL;
    assert_ok(broker_feed_replay(f->store, 0, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, 0, &batch));
    assert_int_equal(batch->n_items, 3);
    /* numbered 1, 2, 3 among the public items (feed_seq 2, 4, 6, not shown) */
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(batch->items[i]->public_seq, i + 1);
        assert_int_equal(batch->items[i]->feed_seq, 0);
        assert_int_equal(batch->items[i]->source_log_seq, (2 * i + 2) * 10);
    }
    broker_feed_batch_destroy(&batch);
    /* an unspecified audience is treated as public, never as the office */
    assert_ok(broker_feed_replay(f->store, 0, DAJIA__AUDIENCE__AUDIENCE_UNSPECIFIED, 0, &batch));
    assert_int_equal(batch->n_items, 3);
    broker_feed_batch_destroy(&batch);
}

static void
test_feed_replay_pages_with_more(void **state)
{
    fixture_t *f = *state;
    s_append_items(f->store, 5);
    Dajia__FeedBatch *batch = NULL;
    /* pages of 2: [3,4] more, [5] done */
    assert_ok(broker_feed_replay(f->store, 3, DAJIA__AUDIENCE__AUDIENCE_OFFICE, 2, &batch));
    assert_int_equal(batch->n_items, 2);
    assert_int_equal(batch->items[0]->feed_seq, 3);
    assert_int_equal(batch->items[1]->feed_seq, 4);
    assert_true(batch->more);
    assert_int_equal(batch->next_seq, 5); /* where to ask from next */
    broker_feed_batch_destroy(&batch);
    assert_ok(broker_feed_replay(f->store, 5, DAJIA__AUDIENCE__AUDIENCE_OFFICE, 2, &batch));
    assert_int_equal(batch->n_items, 1);
    assert_false(batch->more);
    assert_int_equal(batch->next_seq, 0);
    broker_feed_batch_destroy(&batch);
    /* past the end: empty, not an error */
    assert_ok(broker_feed_replay(f->store, 99, DAJIA__AUDIENCE__AUDIENCE_OFFICE, 2, &batch));
    assert_int_equal(batch->n_items, 0);
    assert_int_equal(batch->last_feed_seq, 5);
    assert_false(batch->more);
    broker_feed_batch_destroy(&batch);
}

/* Appends `count` items of one audience, as s_append_items does. */
static void
s_append_audience(store_t *store, size_t count, Dajia__Audience audience)
{
    store_txn_t *txn = NULL;
    uint64_t last = 0;
    assert_ok(store_read_begin(store, &txn));
    assert_ok(broker_feed_last_seq(txn, &last));
    store_txn_end(&txn);
    broker_feed_entry_t *entries = calloc(count, sizeof *entries);
    for (size_t i = 0; i < count; i++) {
        uint8_t raw[256];
        size_t len = s_item(raw, audience, (last + i + 1) * 10);
        assert_ok(broker_feed_prepare(raw, len, "escalate", last + i + 1, &entries[i]));
    }
    s_append_t a = {entries, count};
    assert_ok(store_write(store, s_append, &a));
    for (size_t i = 0; i < count; i++)
        broker_feed_entry_clear(&entries[i]);
    free(entries);
}

static void
test_feed_replay_public_reveals_no_office_count(void **state)
{
    fixture_t *f = *state;
    s_append_audience(f->store, 3, DAJIA__AUDIENCE__AUDIENCE_PUBLIC);  /* 1..3 */
    s_append_audience(f->store, 50, DAJIA__AUDIENCE__AUDIENCE_OFFICE); /* 4..53 */
    Dajia__FeedBatch *batch = NULL;
    assert_ok(broker_feed_replay(f->store, 1, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, 0, &batch));
    assert_int_equal(batch->n_items, 3);
    /* the newest public item's seq, not the feed's: the 50 escalations stay unseen */
    assert_int_equal(batch->last_feed_seq, 3);
    assert_false(batch->more);
    broker_feed_batch_destroy(&batch);
    /* nor does a public item stored after them show how many lie between */
    s_append_audience(f->store, 1, DAJIA__AUDIENCE__AUDIENCE_PUBLIC); /* 54 */
    assert_ok(broker_feed_replay(f->store, 4, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, 0, &batch));
    assert_int_equal(batch->n_items, 1);
    assert_int_equal(batch->items[0]->public_seq, 4);
    assert_int_equal(batch->items[0]->feed_seq, 0);
    assert_int_equal(batch->last_feed_seq, 4);
    broker_feed_batch_destroy(&batch);
    /* asking past the public items finds nothing, and learns nothing either */
    assert_ok(broker_feed_replay(f->store, 5, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, 0, &batch));
    assert_int_equal(batch->n_items, 0);
    assert_int_equal(batch->last_feed_seq, 4);
    assert_false(batch->more);
    assert_int_equal(batch->next_seq, 0);
    broker_feed_batch_destroy(&batch);
    /* the office sees it all, by feed_seq, with each public item's number */
    assert_ok(broker_feed_replay(f->store, 1, DAJIA__AUDIENCE__AUDIENCE_OFFICE, 0, &batch));
    assert_int_equal(batch->last_feed_seq, 54);
    assert_int_equal(batch->n_items, 54);
    assert_int_equal(batch->items[53]->feed_seq, 54);
    assert_int_equal(batch->items[53]->public_seq, 4);
    broker_feed_batch_destroy(&batch);
}

static void
test_feed_replay_public_pages_through_the_index(void **state)
{
    fixture_t *f = *state;
    /* public items far apart: 1, 102, 203, ... with office items between */
    for (int i = 0; i < 5; i++) {
        s_append_audience(f->store, 1, DAJIA__AUDIENCE__AUDIENCE_PUBLIC);
        s_append_audience(f->store, 100, DAJIA__AUDIENCE__AUDIENCE_OFFICE);
    }
    Dajia__FeedBatch *batch = NULL;
    uint64_t from = 1, got = 0;
    for (int pages = 0;; pages++) {
        assert_true(pages < 5);
        assert_ok(broker_feed_replay(f->store, from, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, 2, &batch));
        for (size_t i = 0; i < batch->n_items; i++) {
            /* consecutive, whatever lies between them in the feed */
            assert_int_equal(batch->items[i]->public_seq, got + 1);
            assert_int_equal(batch->items[i]->feed_seq, 0);
            assert_int_equal(batch->items[i]->source_log_seq, (1 + got * 101) * 10);
            assert_int_equal(batch->items[i]->audience, DAJIA__AUDIENCE__AUDIENCE_PUBLIC);
            got++;
        }
        bool more = batch->more;
        /* a page of 2 public items reads 2 index keys: next_seq is the next public item */
        if (more)
            assert_int_equal(batch->next_seq, got + 1);
        from = batch->next_seq;
        broker_feed_batch_destroy(&batch);
        if (!more)
            break;
    }
    assert_int_equal(got, 5);
}

typedef struct {
    const uint8_t *data;
    size_t len;
    uint64_t seq;
} s_raw_t;

/* Writes one item straight into the feed table, as an older broker did: no index. */
static int
s_put_raw(store_txn_t *txn, void *arg)
{
    s_raw_t *raw = arg;
    unsigned char key[8];
    store_u64_to_key(raw->seq, key);
    return store_put(txn, "feed", key, sizeof key, raw->data, raw->len, STORE_APPEND);
}

static void
test_feed_index_update_indexes_items_written_without_it(void **state)
{
    fixture_t *f = *state;
    s_append_audience(f->store, 2, DAJIA__AUDIENCE__AUDIENCE_PUBLIC); /* 1, 2: indexed */
    for (uint64_t seq = 3; seq <= 8; seq++) {
        uint8_t item[256];
        size_t len = s_item(
            item, seq % 2 ? DAJIA__AUDIENCE__AUDIENCE_OFFICE : DAJIA__AUDIENCE__AUDIENCE_PUBLIC,
            seq * 10);
        broker_feed_entry_t entry = {0};
        assert_ok(broker_feed_prepare(item, len, "aggregate", seq, &entry));
        s_raw_t raw = {entry.data, entry.len, seq};
        assert_ok(store_write(f->store, s_put_raw, &raw));
        broker_feed_entry_clear(&entry);
    }
    Dajia__FeedBatch *batch = NULL;
    assert_ok(broker_feed_replay(f->store, 1, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, 0, &batch));
    assert_int_equal(batch->n_items, 2); /* 4, 6, 8 are not in the index yet */
    broker_feed_batch_destroy(&batch);
    uint64_t added = 0;
    assert_ok(broker_feed_index_update(f->store, &added));
    assert_int_equal(added, 3);
    assert_ok(broker_feed_index_update(f->store, &added)); /* up to date: nothing */
    assert_int_equal(added, 0);
    assert_ok(broker_feed_replay(f->store, 1, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, 0, &batch));
    assert_int_equal(batch->n_items, 5);
    uint64_t want[] = {1, 2, 4, 6, 8}; /* their feed_seq */
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(batch->items[i]->public_seq, i + 1);
        assert_int_equal(batch->items[i]->feed_seq, 0);
        assert_int_equal(batch->items[i]->source_log_seq, want[i] * 10);
    }
    assert_int_equal(batch->last_feed_seq, 5);
    broker_feed_batch_destroy(&batch);
    /* and the items appended from now on go on from there */
    s_append_audience(f->store, 1, DAJIA__AUDIENCE__AUDIENCE_PUBLIC); /* feed_seq 9 */
    assert_ok(broker_feed_replay(f->store, 6, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, 0, &batch));
    assert_int_equal(batch->n_items, 1);
    assert_int_equal(batch->items[0]->public_seq, 6);
    assert_int_equal(batch->items[0]->source_log_seq, 90);
    broker_feed_batch_destroy(&batch);
}

static void
test_feed_replay_answer_is_bounded_in_bytes(void **state)
{
    fixture_t *f = *state;
    s_append_audience(f->store, 3000, DAJIA__AUDIENCE__AUDIENCE_OFFICE);
    broker_feed_answer_t answer;
    assert_ok(broker_feed_replay_pack(f->store, 1, DAJIA__AUDIENCE__AUDIENCE_OFFICE,
                                      BROKER_FEED_REPLAY_CAP, &answer));
    assert_int_equal(answer.items, 3000); /* small items: all fit */
    assert_false(answer.more);
    assert_true(answer.len < BROKER_FEED_REPLAY_BYTES);
    free(answer.data);
    assert_ok(
        broker_feed_replay_pack(f->store, 1, DAJIA__AUDIENCE__AUDIENCE_OFFICE, 1000, &answer));
    assert_int_equal(answer.items, 1000);
    assert_true(answer.more);
    assert_int_equal(answer.next, 1001);
    Dajia__FeedBatch *batch = dajia__feed_batch__unpack(NULL, answer.len, answer.data);
    assert_non_null(batch);
    assert_int_equal(batch->n_items, 1000);
    assert_int_equal(batch->next_seq, 1001);
    assert_int_equal(batch->last_feed_seq, 3000);
    dajia__feed_batch__free_unpacked(batch, NULL);
    free(answer.data);
}

static void
test_feed_replay_of_empty_store_is_empty(void **state)
{
    fixture_t *f = *state;
    Dajia__FeedBatch *batch = NULL;
    assert_ok(broker_feed_replay(f->store, 1, DAJIA__AUDIENCE__AUDIENCE_OFFICE, 0, &batch));
    assert_int_equal(batch->n_items, 0);
    assert_int_equal(batch->last_feed_seq, 0);
    broker_feed_batch_destroy(&batch);
}

static void
test_feed_survives_reopen(void **state)
{
    fixture_t *f = *state;
    s_append_items(f->store, 3);
    store_destroy(&f->store);
    assert_ok(store_open(f->dir, NULL, &f->store));
    s_append_items(f->store, 1); /* continues at 4 */
    Dajia__FeedBatch *batch = NULL;
    assert_ok(broker_feed_replay(f->store, 1, DAJIA__AUDIENCE__AUDIENCE_OFFICE, 0, &batch));
    assert_int_equal(batch->n_items, 4);
    assert_int_equal(batch->items[3]->feed_seq, 4);
    assert_int_equal(batch->items[2]->source_log_seq, 30);
    broker_feed_batch_destroy(&batch);
}

/* ====================================================================== numbering */

/* Appends one item for `unit` (AUDIENCE_UNIT, a notice) after the last feed_seq. */
static void
s_append_unit(store_t *store, const char *unit)
{
    store_txn_t *txn = NULL;
    uint64_t last = 0;
    assert_ok(store_read_begin(store, &txn));
    assert_ok(broker_feed_last_seq(txn, &last));
    store_txn_end(&txn);
    Dajia__UnitNotice notice = DAJIA__UNIT_NOTICE__INIT;
    notice.rule = "DQ1";
    notice.unit = (char *)unit;
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.audience = DAJIA__AUDIENCE__AUDIENCE_UNIT;
    item.unit = (char *)unit;
    item.source_log_seq = (last + 1) * 10;
    item.item_case = DAJIA__FEED_ITEM__ITEM_NOTICE;
    item.notice = &notice;
    uint8_t raw[256];
    size_t len = dajia__feed_item__pack(&item, raw);
    broker_feed_entry_t entry = {0};
    assert_ok(broker_feed_prepare(raw, len, "escalate", last + 1, &entry));
    assert_string_equal(entry.topic, "notice");
    s_append_t a = {&entry, 1};
    assert_ok(store_write(store, s_append, &a));
    broker_feed_entry_clear(&entry);
}

/* What the public feed publishes live carries the public number and no feed_seq: the
   gap between two public items' numbers counts no office item (issue 10). */
static void
test_feed_put_numbers_public_items_for_the_public_feed(void **state)
{
    fixture_t *f = *state;
    uint64_t feed_seq = 0;
    for (uint64_t public_seq = 1; public_seq <= 3; public_seq++) {
        s_append_audience(f->store, 7, DAJIA__AUDIENCE__AUDIENCE_OFFICE);
        feed_seq += 8;
        uint8_t raw[256];
        size_t len = s_item(raw, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, feed_seq * 10);
        broker_feed_entry_t entry = {0};
        assert_ok(broker_feed_prepare(raw, len, "aggregate", feed_seq, &entry));
        s_append_t a = {&entry, 1};
        assert_ok(store_write(f->store, s_append, &a));
        assert_int_equal(entry.public_seq, public_seq);
        /* live, on the public feed: its number, no feed_seq */
        assert_non_null(entry.public_data);
        Dajia__FeedItem *item = dajia__feed_item__unpack(NULL, entry.public_len, entry.public_data);
        assert_non_null(item);
        assert_int_equal(item->feed_seq, 0);
        assert_int_equal(item->public_seq, public_seq);
        assert_int_equal(item->source_log_seq, feed_seq * 10);
        dajia__feed_item__free_unpacked(item, NULL);
        /* as stored (the Office's): both */
        item = dajia__feed_item__unpack(NULL, entry.len, entry.data);
        assert_int_equal(item->feed_seq, feed_seq);
        assert_int_equal(item->public_seq, public_seq);
        dajia__feed_item__free_unpacked(item, NULL);
        broker_feed_entry_clear(&entry);
    }
    /* an office item has no public form */
    uint8_t raw[256];
    size_t len = s_item(raw, DAJIA__AUDIENCE__AUDIENCE_OFFICE, 1);
    broker_feed_entry_t entry = {0};
    assert_ok(broker_feed_prepare(raw, len, "escalate", feed_seq + 1, &entry));
    s_append_t a = {&entry, 1};
    assert_ok(store_write(f->store, s_append, &a));
    assert_null(entry.public_data);
    assert_int_equal(entry.public_seq, 0);
    broker_feed_entry_clear(&entry);
}

/* A unit's items: its own numbering, readable by that unit's replay only; the public
   reader sees none, the Office all. */
static void
test_feed_unit_items_are_numbered_and_read_per_unit(void **state)
{
    fixture_t *f = *state;
    s_append_unit(f->store, "msa");                                   /* 1: msa 1 */
    s_append_audience(f->store, 2, DAJIA__AUDIENCE__AUDIENCE_OFFICE); /* 2, 3 */
    s_append_unit(f->store, "psb");                                   /* 4: psb 1 */
    s_append_audience(f->store, 1, DAJIA__AUDIENCE__AUDIENCE_PUBLIC); /* 5 */
    s_append_unit(f->store, "msa");                                   /* 6: msa 2 */
    s_append_unit(f->store, "ms");                                    /* 7: ms 1 (a prefix) */
    Dajia__FeedBatch *batch = NULL;
    assert_ok(broker_feed_replay_unit(f->store, "msa", 1, 0, &batch));
    assert_int_equal(batch->n_items, 2);
    uint64_t want[] = {10, 60};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(batch->items[i]->unit_seq, i + 1);
        assert_int_equal(batch->items[i]->feed_seq, 0);
        assert_string_equal(batch->items[i]->unit, "msa");
        assert_int_equal(batch->items[i]->source_log_seq, want[i]);
        assert_int_equal(batch->items[i]->item_case, DAJIA__FEED_ITEM__ITEM_NOTICE);
    }
    assert_int_equal(batch->last_feed_seq, 2);
    broker_feed_batch_destroy(&batch);
    /* paging in the unit's numbering */
    assert_ok(broker_feed_replay_unit(f->store, "msa", 1, 1, &batch));
    assert_int_equal(batch->n_items, 1);
    assert_true(batch->more);
    assert_int_equal(batch->next_seq, 2);
    broker_feed_batch_destroy(&batch);
    assert_ok(broker_feed_replay_unit(f->store, "msa", 3, 0, &batch));
    assert_int_equal(batch->n_items, 0);
    assert_int_equal(batch->last_feed_seq, 2);
    broker_feed_batch_destroy(&batch);
    assert_ok(broker_feed_replay_unit(f->store, "psb", 1, 0, &batch));
    assert_int_equal(batch->n_items, 1);
    assert_string_equal(batch->items[0]->unit, "psb");
    assert_int_equal(batch->last_feed_seq, 1);
    broker_feed_batch_destroy(&batch);
    assert_ok(broker_feed_replay_unit(f->store, "ms", 1, 0, &batch));
    assert_int_equal(batch->n_items, 1);
    assert_string_equal(batch->items[0]->unit, "ms");
    broker_feed_batch_destroy(&batch);
    /* a unit with none, and no unit at all: nothing, and nothing counted */
    assert_ok(broker_feed_replay_unit(f->store, "tax", 1, 0, &batch));
    assert_int_equal(batch->n_items, 0);
    assert_int_equal(batch->last_feed_seq, 0);
    broker_feed_batch_destroy(&batch);
    assert_ok(broker_feed_replay_unit(f->store, "", 1, 0, &batch));
    assert_int_equal(batch->n_items, 0);
    broker_feed_batch_destroy(&batch);
    /* the public reader: the one public item, none of the units' */
    assert_ok(broker_feed_replay(f->store, 1, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, 0, &batch));
    assert_int_equal(batch->n_items, 1);
    assert_int_equal(batch->items[0]->audience, DAJIA__AUDIENCE__AUDIENCE_PUBLIC);
    assert_int_equal(batch->last_feed_seq, 1);
    broker_feed_batch_destroy(&batch);
    /* the Office: everything */
    assert_ok(broker_feed_replay(f->store, 1, DAJIA__AUDIENCE__AUDIENCE_OFFICE, 0, &batch));
    assert_int_equal(batch->n_items, 7);
    assert_int_equal(batch->items[5]->unit_seq, 2);
    assert_int_equal(batch->items[5]->feed_seq, 6);
    broker_feed_batch_destroy(&batch);
}

typedef struct {
    uint64_t seq;
} s_old_key_t;

/* Writes a key of the old public index ("feed_public": feed_seq -> nothing). */
static int
s_put_old_index(store_txn_t *txn, void *arg)
{
    s_old_key_t *o = arg;
    unsigned char key[8];
    store_u64_to_key(o->seq, key);
    return store_put(txn, "feed_public", key, sizeof key, "", 0, STORE_APPEND);
}

/* A store an older broker wrote: items with no numbers, its public index keyed by
   feed_seq. The update numbers every public and unit item from the feed, with no gaps,
   and what is appended afterwards goes on from there. */
static void
test_feed_index_update_numbers_a_store_an_older_broker_wrote(void **state)
{
    fixture_t *f = *state;
    for (uint64_t seq = 1; seq <= 12; seq++) {
        uint8_t item[256];
        size_t len = s_item(
            item, seq % 3 ? DAJIA__AUDIENCE__AUDIENCE_OFFICE : DAJIA__AUDIENCE__AUDIENCE_PUBLIC,
            seq * 10); /* public: 3, 6, 9, 12 */
        broker_feed_entry_t entry = {0};
        assert_ok(broker_feed_prepare(item, len, "aggregate", seq, &entry));
        s_raw_t raw = {entry.data, entry.len, seq};
        assert_ok(store_write(f->store, s_put_raw, &raw));
        broker_feed_entry_clear(&entry);
        if (seq % 3 == 0) {
            s_old_key_t old = {seq};
            assert_ok(store_write(f->store, s_put_old_index, &old));
        }
    }
    uint64_t added = 0;
    assert_ok(broker_feed_index_update(f->store, &added));
    assert_int_equal(added, 4);
    Dajia__FeedBatch *batch = NULL;
    assert_ok(broker_feed_replay(f->store, 1, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, 0, &batch));
    assert_int_equal(batch->n_items, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(batch->items[i]->public_seq, i + 1);
        assert_int_equal(batch->items[i]->feed_seq, 0);
        assert_int_equal(batch->items[i]->source_log_seq, (3 * i + 3) * 10);
    }
    assert_int_equal(batch->last_feed_seq, 4);
    broker_feed_batch_destroy(&batch);
    /* from a public position, not a feed_seq: from 3 is the third public item */
    assert_ok(broker_feed_replay(f->store, 3, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, 0, &batch));
    assert_int_equal(batch->n_items, 2);
    assert_int_equal(batch->items[0]->source_log_seq, 90);
    broker_feed_batch_destroy(&batch);
    assert_ok(broker_feed_index_update(f->store, &added));
    assert_int_equal(added, 0);
    s_append_audience(f->store, 2, DAJIA__AUDIENCE__AUDIENCE_OFFICE); /* 13, 14 */
    s_append_audience(f->store, 1, DAJIA__AUDIENCE__AUDIENCE_PUBLIC); /* 15: public 5 */
    s_append_unit(f->store, "msa");                                   /* 16: msa 1 */
    assert_ok(broker_feed_replay(f->store, 5, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, 0, &batch));
    assert_int_equal(batch->n_items, 1);
    assert_int_equal(batch->items[0]->public_seq, 5);
    assert_int_equal(batch->items[0]->source_log_seq, 150);
    broker_feed_batch_destroy(&batch);
    /* after a unit's item, the update starts after it too */
    assert_ok(broker_feed_index_update(f->store, &added));
    assert_int_equal(added, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feed_prepare_sets_seq_service_topic),
        cmocka_unit_test(test_feed_prepare_refuses_bytes_that_are_no_item),
        cmocka_unit_test_setup_teardown(test_feed_replay_from_start_returns_consecutive_seqs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_feed_replay_public_sees_public_items_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_feed_replay_pages_with_more, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_replay_public_reveals_no_office_count, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_feed_replay_public_pages_through_the_index, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_feed_index_update_indexes_items_written_without_it,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_replay_answer_is_bounded_in_bytes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_feed_replay_of_empty_store_is_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_survives_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_put_numbers_public_items_for_the_public_feed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_unit_items_are_numbered_and_read_per_unit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_feed_index_update_numbers_a_store_an_older_broker_wrote, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
