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
    assert_int_equal(batch->items[0]->feed_seq, 2);
    assert_int_equal(batch->items[1]->feed_seq, 4);
    assert_int_equal(batch->items[2]->feed_seq, 6);
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
    broker_feed_batch_destroy(&batch);
    assert_ok(broker_feed_replay(f->store, 5, DAJIA__AUDIENCE__AUDIENCE_OFFICE, 2, &batch));
    assert_int_equal(batch->n_items, 1);
    assert_false(batch->more);
    broker_feed_batch_destroy(&batch);
    /* past the end: empty, not an error */
    assert_ok(broker_feed_replay(f->store, 99, DAJIA__AUDIENCE__AUDIENCE_OFFICE, 2, &batch));
    assert_int_equal(batch->n_items, 0);
    assert_int_equal(batch->last_feed_seq, 5);
    assert_false(batch->more);
    broker_feed_batch_destroy(&batch);
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
        cmocka_unit_test_setup_teardown(test_feed_replay_of_empty_store_is_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_survives_reopen, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
