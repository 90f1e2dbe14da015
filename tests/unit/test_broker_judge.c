/*  Unit tests for broker_judge: every deferred item of a batch judged once, by any of
    the pool's threads, the refused ones marked, the others left as they were, and the
    items in their places. Run under TSan (make test-tsan) it checks the hand-over of
    slices between the writer and the helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_batch.h"
#include "broker_judge.h"
#include "test_util.h"

#define TEST_ITEMS 1000

typedef struct {
    atomic_int calls;
    int64_t now_ms; /* what every call must be given */
} judge_arg_t;

/* Accepts an item whose body starts with "ok", refuses the rest; keys it by its body. */
static int
s_judge(broker_item_t *item, int64_t now_ms, dajia_arena_t *arena, void *arg)
{
    judge_arg_t *a = arg;
    atomic_fetch_add(&a->calls, 1);
    assert_int_equal(now_ms, a->now_ms);
    assert_non_null(arena);
    const char *body = zmq_msg_data(&item->body);
    size_t len = zmq_msg_size(&item->body);
    if (len < 2 || memcmp(body, "ok", 2) != 0)
        return -1;
    memcpy(item->key, body, len);
    item->key_len = (uint16_t)len;
    return 0;
}

/* A batch of `count` items: every third one not deferred (judged already), every
   seventh refused when judged. */
static broker_batch_t *
s_batch(size_t count, int64_t now_ms)
{
    broker_batch_t *batch = broker_batch_new(count);
    assert_non_null(batch);
    for (size_t i = 0; i < count; i++) {
        broker_item_t *item = broker_batch_next_item(batch);
        char body[32];
        int len = snprintf(body, sizeof body, "%s-%zu", i % 7 == 0 ? "no" : "ok", i);
        assert_int_equal(zmq_msg_init_size(&item->body, (size_t)len), 0);
        memcpy(zmq_msg_data(&item->body), body, (size_t)len);
        item->deferred = i % 3 != 0;
        broker_batch_commit_item(batch);
    }
    batch->received_at = now_ms;
    return batch;
}

static void
s_check(broker_batch_t *batch, int calls)
{
    int deferred = 0;
    for (size_t i = 0; i < batch->count; i++) {
        broker_item_t *item = &batch->items[i];
        assert_false(item->deferred);
        if (i % 3 == 0) {
            assert_int_equal(item->status, BROKER_ITEM_PENDING);
            assert_int_equal(item->key_len, 0);
            continue;
        }
        deferred++;
        char body[32];
        int len = snprintf(body, sizeof body, "%s-%zu", i % 7 == 0 ? "no" : "ok", i);
        if (i % 7 == 0) {
            assert_int_equal(item->status, BROKER_ITEM_REJECTED);
        } else {
            assert_int_equal(item->status, BROKER_ITEM_PENDING);
            assert_int_equal(item->key_len, len);
            assert_memory_equal(item->key, body, (size_t)len);
        }
    }
    assert_int_equal(calls, deferred);
}

static void
s_run(size_t threads, size_t count)
{
    judge_arg_t arg = {.now_ms = 1764806400000};
    atomic_init(&arg.calls, 0);
    broker_judge_t *judge = NULL;
    assert_ok(broker_judge_new(threads, s_judge, &arg, 4096, &judge));
    assert_int_equal(broker_judge_threads(judge), threads);
    for (int round = 0; round < 20; round++) {
        atomic_store(&arg.calls, 0);
        broker_batch_t *batch = s_batch(count, arg.now_ms);
        broker_judge_batch(judge, batch);
        s_check(batch, atomic_load(&arg.calls));
        broker_batch_destroy(&batch);
    }
    broker_judge_destroy(&judge);
    assert_null(judge);
}

static void
test_one_judge(void **state)
{
    (void)state;
    s_run(1, TEST_ITEMS);
}

static void
test_four_judges_share_a_batch(void **state)
{
    (void)state;
    s_run(4, TEST_ITEMS);
}

static void
test_small_batches_and_more_judges_than_slices(void **state)
{
    (void)state;
    s_run(8, 3);
    s_run(8, 130);
    s_run(BROKER_JUDGE_THREADS_MAX, TEST_ITEMS);
}

static void
test_bounds(void **state)
{
    (void)state;
    judge_arg_t arg = {0};
    broker_judge_t *judge = NULL;
    assert_int_not_equal(broker_judge_new(0, s_judge, &arg, 4096, &judge), 0);
    assert_int_not_equal(
        broker_judge_new(BROKER_JUDGE_THREADS_MAX + 1, s_judge, &arg, 4096, &judge), 0);
    assert_null(judge);
    broker_judge_destroy(NULL);
    broker_judge_destroy(&judge);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_judge),
        cmocka_unit_test(test_four_judges_share_a_batch),
        cmocka_unit_test(test_small_batches_and_more_judges_than_slices),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
