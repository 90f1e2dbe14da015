/*  Unit tests for broker_batch: dedup and append, the heart of guarantees 1 and 2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_batch.h"
#include "broker_dedup.h"
#include "dajia.pb-c.h"
#include "dajia_tables.h"
#include "store.h"
#include "test_util.h"

typedef struct {
    char dir[TEST_UTIL_DIR_MAX];
    store_t *store;
    broker_dedup_t *dedup;
} fixture_t;

static int
setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    assert_ok(test_util_store_make(fx->dir, sizeof fx->dir, "batch", &fx->store));
    fx->dedup = broker_dedup_new(0);
    assert_non_null(fx->dedup);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *fx = *state;
    broker_dedup_destroy(&fx->dedup);
    int rc = test_util_store_remove(&fx->store, fx->dir);
    free(fx);
    return rc == 0 ? 0 : -1;
}

/* Adds an event with `unit` and `event_id` whose body is a packed Envelope with
   `payload` as its reporter (only the key matters to the batch). */
static void
s_add(broker_batch_t *batch, const char *unit, const char *event_id, const char *payload)
{
    broker_item_t *item = broker_batch_next_item(batch);
    assert_non_null(item);
    size_t ul = strlen(unit), il = strlen(event_id);
    memcpy(item->key, unit, ul + 1);
    memcpy(item->key + ul + 1, event_id, il + 1);
    item->unit_len = (uint16_t)ul;
    item->key_len = (uint16_t)(ul + 1 + il);
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.unit = (char *)unit;
    env.event_id = (char *)event_id;
    env.reporter = (char *)payload;
    size_t len = dajia__envelope__get_packed_size(&env);
    zmq_msg_close(&item->body);
    zmq_msg_init_size(&item->body, len);
    dajia__envelope__pack(&env, zmq_msg_data(&item->body));
    broker_batch_commit_item(batch);
}

typedef struct {
    broker_batch_t *batch;
    uint64_t first, next;
    int runs;
    broker_dedup_t *dedup;
} apply_t;

static int
s_apply(store_txn_t *txn, void *arg)
{
    apply_t *a = arg;
    a->runs++;
    return broker_batch_apply(a->batch, txn, a->dedup, a->first, &a->next);
}

static void
test_new_events_get_consecutive_seqs(void **state)
{
    fixture_t *fx = *state;
    broker_batch_t *batch = broker_batch_new(8);
    s_add(batch, "psb", "e1", "one");
    s_add(batch, "psb", "e2", "two");
    s_add(batch, "customs", "e1", "three"); /* same id, other unit: a new event */
    apply_t a = {batch, 1, 0, 0, fx->dedup};
    assert_int_equal(store_write(fx->store, s_apply, &a), 0);
    assert_int_equal(a.next, 4);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(batch->items[i].status, BROKER_ITEM_ACCEPTED);
        assert_int_equal(batch->items[i].log_seq, i + 1);
    }
    uint64_t last = 0;
    assert_int_equal(broker_log_last_seq(fx->store, &last), 0);
    assert_int_equal(last, 3);
    broker_batch_destroy(&batch);
    assert_null(batch);
}

static void
test_duplicate_in_same_batch_and_later_batch_gets_original_seq(void **state)
{
    fixture_t *fx = *state;
    broker_batch_t *batch = broker_batch_new(8);
    s_add(batch, "psb", "e1", "one");
    s_add(batch, "psb", "e1", "one again");
    apply_t a = {batch, 1, 0, 0, fx->dedup};
    assert_int_equal(store_write(fx->store, s_apply, &a), 0);
    assert_int_equal(batch->items[0].status, BROKER_ITEM_ACCEPTED);
    assert_int_equal(batch->items[1].status, BROKER_ITEM_DUPLICATE);
    assert_int_equal(batch->items[1].log_seq, 1);
    broker_batch_reset(batch);
    assert_int_equal(batch->count, 0);

    s_add(batch, "psb", "e2", "two");
    s_add(batch, "psb", "e1", "one a third time");
    apply_t b = {batch, a.next, 0, 0, fx->dedup};
    assert_int_equal(store_write(fx->store, s_apply, &b), 0);
    assert_int_equal(batch->items[0].status, BROKER_ITEM_ACCEPTED);
    assert_int_equal(batch->items[0].log_seq, 2);
    assert_int_equal(batch->items[1].status, BROKER_ITEM_DUPLICATE);
    assert_int_equal(batch->items[1].log_seq, 1);
    assert_int_equal(b.next, 3);
    broker_batch_destroy(&batch);
}

static void
test_log_record_holds_the_exact_bytes_sent(void **state)
{
    fixture_t *fx = *state;
    broker_batch_t *batch = broker_batch_new(2);
    s_add(batch, "msa", "x-1", "the envelope bytes");
    batch->received_at = 1764403200123LL;
    apply_t a = {batch, 41, 0, 0, fx->dedup};
    assert_int_equal(store_write(fx->store, s_apply, &a), 0);

    store_txn_t *txn = NULL;
    assert_int_equal(store_read_begin(fx->store, &txn), 0);
    unsigned char key[8];
    store_u64_to_key(41, key);
    const void *val = NULL;
    size_t vlen = 0;
    assert_int_equal(store_get(txn, DAJIA_TABLE_LOG, key, 8, &val, &vlen), 0);
    Dajia__LogRecord *rec = dajia__log_record__unpack(NULL, vlen, val);
    assert_non_null(rec);
    assert_int_equal(rec->log_seq, 41);
    assert_int_equal(rec->received_at, 1764403200123LL);
    const broker_item_t *item = &batch->items[0];
    assert_int_equal(rec->envelope.len, zmq_msg_size((zmq_msg_t *)&item->body));
    assert_memory_equal(rec->envelope.data, zmq_msg_data((zmq_msg_t *)&item->body),
                        rec->envelope.len);
    /* and the dedup index reads its key back from those bytes */
    const char *unit, *id;
    size_t unit_len, id_len;
    assert_int_equal(broker_dedup_record_key(val, vlen, &unit, &unit_len, &id, &id_len), 0);
    assert_int_equal(unit_len, 3);
    assert_memory_equal(unit, "msa", 3);
    assert_int_equal(id_len, 3);
    assert_memory_equal(id, "x-1", 3);
    dajia__log_record__free_unpacked(rec, NULL);
    store_txn_end(&txn);
    broker_batch_destroy(&batch);
}

/* A submission time the broker trusted (the Office's import) follows the envelope as
   field 4, and the record is still what protobuf-c reads, its key still found. */
static void
test_log_record_keeps_a_trusted_submission_time(void **state)
{
    fixture_t *fx = *state;
    broker_batch_t *batch = broker_batch_new(2);
    s_add(batch, "msa", "imported-1", "an event of last year");
    batch->items[0].submitted_at = 1735689600000LL; /* 2025-01-01T00:00:00Z */
    s_add(batch, "msa", "live-1", "an event of today");
    batch->received_at = 1764403200123LL;
    apply_t a = {batch, 1, 0, 0, fx->dedup};
    assert_int_equal(store_write(fx->store, s_apply, &a), 0);
    store_txn_t *txn = NULL;
    assert_int_equal(store_read_begin(fx->store, &txn), 0);
    for (uint64_t seq = 1; seq <= 2; seq++) {
        unsigned char key[8];
        store_u64_to_key(seq, key);
        const void *val = NULL;
        size_t vlen = 0;
        assert_int_equal(store_get(txn, DAJIA_TABLE_LOG, key, 8, &val, &vlen), 0);
        Dajia__LogRecord *rec = dajia__log_record__unpack(NULL, vlen, val);
        assert_non_null(rec);
        assert_int_equal(rec->received_at, 1764403200123LL);
        assert_int_equal(rec->submitted_at, seq == 1 ? 1735689600000LL : 0);
        /* protobuf-c writes the same bytes */
        size_t packed = dajia__log_record__get_packed_size(rec);
        assert_int_equal(packed, vlen);
        uint8_t *again = malloc(packed);
        assert_non_null(again);
        dajia__log_record__pack(rec, again);
        assert_memory_equal(again, val, vlen);
        free(again);
        const char *unit, *id;
        size_t unit_len, id_len;
        assert_int_equal(broker_dedup_record_key(val, vlen, &unit, &unit_len, &id, &id_len), 0);
        assert_int_equal(id_len, seq == 1 ? 10 : 6);
        dajia__log_record__free_unpacked(rec, NULL);
    }
    store_txn_end(&txn);
    /* a reused item starts without one */
    broker_batch_reset(batch);
    assert_int_equal(broker_batch_next_item(batch)->submitted_at, 0);
    broker_batch_destroy(&batch);
}

static int
s_apply_then_abort(store_txn_t *txn, void *arg)
{
    s_apply(txn, arg);
    return 7;
}

static void
test_apply_run_twice_gives_the_same_answer(void **state)
{
    /* store_write runs a batch again after growing the map: the second run must not
       take the first run's writes (thrown away) for duplicates, nor keep its seqs. */
    fixture_t *fx = *state;
    broker_batch_t *batch = broker_batch_new(4);
    s_add(batch, "psb", "a", "1");
    s_add(batch, "psb", "b", "2");
    apply_t a = {batch, 1, 0, 0, fx->dedup};
    assert_int_equal(store_write(fx->store, s_apply_then_abort, &a), 7);
    broker_batch_rollback(batch, fx->dedup); /* as the writer does */
    assert_int_equal(broker_dedup_count(fx->dedup), 0);
    uint64_t last = 99;
    assert_int_equal(broker_log_last_seq(fx->store, &last), 0);
    assert_int_equal(last, 0);
    assert_int_equal(store_write(fx->store, s_apply, &a), 0);
    assert_int_equal(batch->items[0].status, BROKER_ITEM_ACCEPTED);
    assert_int_equal(batch->items[0].log_seq, 1);
    assert_int_equal(batch->items[1].status, BROKER_ITEM_ACCEPTED);
    assert_int_equal(batch->items[1].log_seq, 2);
    broker_batch_destroy(&batch);
}

static int
s_fail_commit(void)
{
    return ENOSPC;
}

static void
test_failed_commit_stores_nothing(void **state)
{
    fixture_t *fx = *state;
    broker_batch_t *batch = broker_batch_new(4);
    s_add(batch, "psb", "a", "1");
    apply_t a = {batch, 1, 0, 0, fx->dedup};
    store_commit_hook = s_fail_commit;
    int rc = store_write(fx->store, s_apply, &a);
    store_commit_hook = NULL;
    assert_int_not_equal(rc, 0);
    broker_batch_rollback(batch, fx->dedup); /* as the writer does */
    assert_int_equal(broker_dedup_count(fx->dedup), 0);
    uint64_t last = 99;
    assert_int_equal(broker_log_last_seq(fx->store, &last), 0);
    assert_int_equal(last, 0);
    /* the same event afterwards is new, not a duplicate of what was never stored */
    broker_batch_reset(batch);
    s_add(batch, "psb", "a", "1");
    apply_t b = {batch, 1, 0, 0, fx->dedup};
    assert_int_equal(store_write(fx->store, s_apply, &b), 0);
    assert_int_equal(batch->items[0].status, BROKER_ITEM_ACCEPTED);
    assert_int_equal(batch->items[0].log_seq, 1);
    broker_batch_destroy(&batch);
}

/* LMDB's MDB_MAP_FULL, for the commit hook; only store/ may include lmdb.h. */
#define TEST_MDB_MAP_FULL (-30792)
static int s_full_once;

static int
s_map_full_once(void)
{
    return s_full_once-- > 0 ? TEST_MDB_MAP_FULL : 0;
}

/* A commit that finds the map full makes store_write grow it and run the batch again in
   a new transaction: the rerun takes back what the first run entered in the index, so
   the index ends as if the batch ran once. */
static void
test_rerun_after_map_growth_enters_each_key_once(void **state)
{
    fixture_t *fx = *state;
    broker_batch_t *batch = broker_batch_new(4);
    s_add(batch, "psb", "a", "1");
    s_add(batch, "psb", "b", "2");
    apply_t a = {batch, 1, 0, 0, fx->dedup};
    s_full_once = 1;
    store_commit_hook = s_map_full_once;
    int rc = store_write(fx->store, s_apply, &a);
    store_commit_hook = NULL;
    assert_int_equal(rc, 0);
    assert_int_equal(a.runs, 2);
    assert_int_equal(broker_dedup_count(fx->dedup), 2);
    assert_int_equal(batch->items[0].status, BROKER_ITEM_ACCEPTED);
    assert_int_equal(batch->items[0].log_seq, 1);
    assert_int_equal(batch->items[1].status, BROKER_ITEM_ACCEPTED);
    assert_int_equal(batch->items[1].log_seq, 2);
    broker_batch_reset(batch);
    s_add(batch, "psb", "b", "again");
    apply_t b = {batch, a.next, 0, 0, fx->dedup};
    assert_int_equal(store_write(fx->store, s_apply, &b), 0);
    assert_int_equal(batch->items[0].status, BROKER_ITEM_DUPLICATE);
    assert_int_equal(batch->items[0].log_seq, 2);
    broker_batch_destroy(&batch);
}

/* The index is rebuilt from the log alone: a broker that starts again knows every key. */
static void
test_rebuilt_index_knows_every_stored_key(void **state)
{
    fixture_t *fx = *state;
    broker_batch_t *batch = broker_batch_new(300);
    char id[32];
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof id, "e-%d", i);
        s_add(batch, i % 2 ? "psb" : "customs", id, "x");
    }
    apply_t a = {batch, 1, 0, 0, fx->dedup};
    assert_int_equal(store_write(fx->store, s_apply, &a), 0);
    broker_batch_reset(batch);

    broker_dedup_t *rebuilt = NULL;
    assert_int_equal(broker_dedup_rebuild(fx->store, &rebuilt), 0);
    assert_int_equal(broker_dedup_count(rebuilt), 300);
    for (int i = 0; i < 300; i += 7) {
        snprintf(id, sizeof id, "e-%d", i);
        s_add(batch, i % 2 ? "psb" : "customs", id, "repeat");
    }
    s_add(batch, "customs", "e-1", "new: e-1 was psb's");
    apply_t b = {batch, a.next, 0, 0, rebuilt};
    assert_int_equal(store_write(fx->store, s_apply, &b), 0);
    for (size_t k = 0; k + 1 < batch->count; k++) {
        assert_int_equal(batch->items[k].status, BROKER_ITEM_DUPLICATE);
        assert_int_equal(batch->items[k].log_seq, k * 7 + 1);
    }
    assert_int_equal(batch->items[batch->count - 1].status, BROKER_ITEM_ACCEPTED);
    assert_int_equal(batch->items[batch->count - 1].log_seq, 301);
    broker_dedup_destroy(&rebuilt);
    broker_batch_destroy(&batch);
}

static void
test_full_batch_refuses_more_items(void **state)
{
    (void)state;
    broker_batch_t *batch = broker_batch_new(1);
    s_add(batch, "psb", "a", "1");
    assert_null(broker_batch_next_item(batch));
    size_t len = 0;
    const char *id = broker_item_event_id(&batch->items[0], &len);
    assert_int_equal(len, 1);
    assert_memory_equal(id, "a", 1);
    broker_batch_destroy(&batch);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_events_get_consecutive_seqs, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_duplicate_in_same_batch_and_later_batch_gets_original_seq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_record_holds_the_exact_bytes_sent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_log_record_keeps_a_trusted_submission_time, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_apply_run_twice_gives_the_same_answer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failed_commit_stores_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rerun_after_map_growth_enters_each_key_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rebuilt_index_knows_every_stored_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_batch_refuses_more_items, setup, teardown),
    };
    return cmocka_run_group_tests_name("broker_batch", tests, NULL, NULL);
}
