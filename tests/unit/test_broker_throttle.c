/*  Unit tests for broker_throttle: the per-connection reject budget.

    The throttle is given the time (milliseconds of the monotonic clock) by the test, so
    seconds begin and end where the test says. Routing ids are plain byte strings here,
    as ZeroMQ hands them to the broker.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "broker_throttle.h"

#define S_BUDGET 3
#define S_T0_MS  5000 /* a time inside monotonic second 5 */

static int
s_setup(void **state)
{
    broker_throttle_t *throttle = NULL;
    if (broker_throttle_new(S_BUDGET, &throttle) != 0)
        return -1;
    broker_throttle_set_now(throttle, S_T0_MS);
    *state = throttle;
    return 0;
}

static int
s_teardown(void **state)
{
    broker_throttle_t *throttle = *state;
    broker_throttle_destroy(&throttle);
    assert_null(throttle);
    broker_throttle_destroy(&throttle); /* NULL is fine */
    broker_throttle_destroy(NULL);
    return 0;
}

static void
s_charge(broker_throttle_t *t, const char *id, int times)
{
    for (int i = 0; i < times; i++)
        broker_throttle_charge(t, id, strlen(id));
}

static broker_throttle_verdict_t
s_check(broker_throttle_t *t, const char *id)
{
    char notice[256] = "";
    return broker_throttle_check(t, id, strlen(id), notice, sizeof notice);
}

static void
test_within_budget_every_request_passes(void **state)
{
    broker_throttle_t *t = *state;
    assert_int_equal(broker_throttle_budget(t), S_BUDGET);
    assert_int_equal(s_check(t, "peer-1"), BROKER_THROTTLE_PASS);
    s_charge(t, "peer-1", S_BUDGET - 1);
    for (int i = 0; i < 10; i++)
        assert_int_equal(s_check(t, "peer-1"), BROKER_THROTTLE_PASS);
    assert_int_equal(broker_throttle_dropped(t), 0);
}

static void
test_over_budget_one_notice_then_drops(void **state)
{
    broker_throttle_t *t = *state;
    s_charge(t, "peer-1", S_BUDGET);
    char notice[256] = "";
    assert_int_equal(broker_throttle_check(t, "peer-1", 6, notice, sizeof notice),
                     BROKER_THROTTLE_NOTICE);
    assert_non_null(strstr(notice, "too many rejected requests from this connection"));
    assert_non_null(strstr(notice, "(3 in one second, budget 3)"));
    /* the rest of the second: dropped, and no notice written */
    for (int i = 0; i < 5; i++) {
        char untouched[16] = "untouched";
        assert_int_equal(broker_throttle_check(t, "peer-1", 6, untouched, sizeof untouched),
                         BROKER_THROTTLE_DROP);
        assert_string_equal(untouched, "untouched");
    }
    assert_int_equal(broker_throttle_dropped(t), 6);
}

static void
test_notice_fits_a_small_buffer(void **state)
{
    broker_throttle_t *t = *state;
    s_charge(t, "peer-1", S_BUDGET);
    char notice[8];
    memset(notice, 'x', sizeof notice);
    assert_int_equal(broker_throttle_check(t, "peer-1", 6, notice, sizeof notice),
                     BROKER_THROTTLE_NOTICE);
    assert_int_equal(strlen(notice), sizeof notice - 1);
}

static void
test_other_connections_are_not_throttled(void **state)
{
    broker_throttle_t *t = *state;
    s_charge(t, "peer-1", S_BUDGET);
    s_charge(t, "peer-2", S_BUDGET - 1);
    assert_int_equal(s_check(t, "peer-1"), BROKER_THROTTLE_NOTICE);
    assert_int_equal(s_check(t, "peer-2"), BROKER_THROTTLE_PASS);
    assert_int_equal(s_check(t, "peer-1x"), BROKER_THROTTLE_PASS); /* a longer id */
    assert_int_equal(s_check(t, "peer-"), BROKER_THROTTLE_PASS);   /* a shorter one */
    assert_int_equal(s_check(t, "peer-3"), BROKER_THROTTLE_PASS);
    assert_int_equal(s_check(t, "peer-1"), BROKER_THROTTLE_DROP);
}

static void
test_a_new_second_brings_a_new_budget(void **state)
{
    broker_throttle_t *t = *state;
    s_charge(t, "peer-1", S_BUDGET);
    assert_int_equal(s_check(t, "peer-1"), BROKER_THROTTLE_NOTICE);
    /* the last millisecond of the same second: still throttled */
    broker_throttle_set_now(t, S_T0_MS + 999);
    assert_int_equal(s_check(t, "peer-1"), BROKER_THROTTLE_DROP);
    /* the next second: a fresh budget, spent again from zero */
    broker_throttle_set_now(t, S_T0_MS + 1000);
    assert_int_equal(s_check(t, "peer-1"), BROKER_THROTTLE_PASS);
    s_charge(t, "peer-1", S_BUDGET - 1);
    assert_int_equal(s_check(t, "peer-1"), BROKER_THROTTLE_PASS);
    s_charge(t, "peer-1", 1);
    assert_int_equal(s_check(t, "peer-1"), BROKER_THROTTLE_NOTICE); /* one notice again */
    assert_int_equal(s_check(t, "peer-1"), BROKER_THROTTLE_DROP);
    assert_int_equal(broker_throttle_dropped(t), 4);
    /* a second is a thousand milliseconds: the budget is spent until the next one only */
    broker_throttle_set_now(t, S_T0_MS + 1999);
    assert_int_equal(s_check(t, "peer-1"), BROKER_THROTTLE_DROP);
    broker_throttle_set_now(t, S_T0_MS + 2000);
    assert_int_equal(s_check(t, "peer-1"), BROKER_THROTTLE_PASS);
}

static void
test_ids_of_no_or_too_many_bytes_are_never_charged(void **state)
{
    broker_throttle_t *t = *state;
    unsigned char long_id[BROKER_THROTTLE_ID_MAX + 1];
    memset(long_id, 'a', sizeof long_id);
    for (int i = 0; i < 10 * S_BUDGET; i++) {
        broker_throttle_charge(t, "", 0);
        broker_throttle_charge(t, long_id, sizeof long_id);
    }
    /* make the throttle look up ids at all: someone is over budget */
    s_charge(t, "peer-1", S_BUDGET);
    char notice[64];
    assert_int_equal(broker_throttle_check(t, "", 0, notice, sizeof notice), BROKER_THROTTLE_PASS);
    assert_int_equal(broker_throttle_check(t, long_id, sizeof long_id, notice, sizeof notice),
                     BROKER_THROTTLE_PASS);
    /* the longest id a routing id can be is tracked like any other */
    broker_throttle_charge(t, long_id, BROKER_THROTTLE_ID_MAX);
    broker_throttle_charge(t, long_id, BROKER_THROTTLE_ID_MAX);
    broker_throttle_charge(t, long_id, BROKER_THROTTLE_ID_MAX);
    assert_int_equal(
        broker_throttle_check(t, long_id, BROKER_THROTTLE_ID_MAX, notice, sizeof notice),
        BROKER_THROTTLE_NOTICE);
}

/* The table is bounded: a crowd of connections rejected once each, many more than it
   has slots, makes it forget some of them, but the one with the most rejections (the
   flooder) is forgotten last, so it stays throttled. */
static void
test_a_crowd_does_not_push_the_flooder_out(void **state)
{
    broker_throttle_t *t = *state;
    s_charge(t, "flooder", S_BUDGET);
    char id[32];
    for (int i = 0; i < 20 * BROKER_THROTTLE_SLOTS; i++) {
        snprintf(id, sizeof id, "crowd-%d", i);
        s_charge(t, id, 1);
    }
    assert_int_equal(s_check(t, "flooder"), BROKER_THROTTLE_NOTICE);
    assert_int_equal(s_check(t, "flooder"), BROKER_THROTTLE_DROP);
    /* and the crowd itself, within budget, passes */
    for (int i = 0; i < 20 * BROKER_THROTTLE_SLOTS; i += 97) {
        snprintf(id, sizeof id, "crowd-%d", i);
        assert_int_equal(s_check(t, id), BROKER_THROTTLE_PASS);
    }
}

/* A budget of one: the first rejection throttles. */
static void
test_budget_of_one(void **state)
{
    (void)state;
    broker_throttle_t *t = NULL;
    assert_int_equal(broker_throttle_new(1, &t), 0);
    broker_throttle_set_now(t, S_T0_MS);
    assert_int_equal(s_check(t, "peer-1"), BROKER_THROTTLE_PASS);
    s_charge(t, "peer-1", 1);
    assert_int_equal(s_check(t, "peer-1"), BROKER_THROTTLE_NOTICE);
    assert_int_equal(s_check(t, "peer-1"), BROKER_THROTTLE_DROP);
    broker_throttle_destroy(&t);
    assert_null(t);
}

/* The replay budget's use: spent says whether a connection used its budget this second,
   without a notice, a drop or any count of its own. */
static void
test_spent_tells_without_side_effects(void **state)
{
    broker_throttle_t *t = *state;
    assert_false(broker_throttle_spent(t, "reader", 6));
    s_charge(t, "reader", S_BUDGET - 1);
    assert_false(broker_throttle_spent(t, "reader", 6));
    s_charge(t, "reader", 1);
    assert_true(broker_throttle_spent(t, "reader", 6));
    assert_true(broker_throttle_spent(t, "reader", 6)); /* asking again changes nothing */
    assert_false(broker_throttle_spent(t, "other", 5));
    assert_int_equal(broker_throttle_dropped(t), 0);
    /* a new second: a new budget */
    broker_throttle_set_now(t, S_T0_MS + 1000);
    assert_false(broker_throttle_spent(t, "reader", 6));
    /* ids the throttle never charges have never spent anything */
    assert_false(broker_throttle_spent(t, "", 0));
    char big[BROKER_THROTTLE_ID_MAX + 1];
    memset(big, 'x', sizeof big);
    assert_false(broker_throttle_spent(t, big, sizeof big));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_within_budget_every_request_passes, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_over_budget_one_notice_then_drops, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_notice_fits_a_small_buffer, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_other_connections_are_not_throttled, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_new_second_brings_a_new_budget, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_ids_of_no_or_too_many_bytes_are_never_charged, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_crowd_does_not_push_the_flooder_out, s_setup,
                                        s_teardown),
        cmocka_unit_test(test_budget_of_one),
        cmocka_unit_test_setup_teardown(test_spent_tells_without_side_effects, s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name("broker_throttle", tests, NULL, NULL);
}
