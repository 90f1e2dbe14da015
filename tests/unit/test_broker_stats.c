/*  Unit tests for broker_stats: histogram percentiles and the STATS JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "broker_stats.h"

static void
test_quantiles_of_uniform_values_are_within_bucket_error(void **state)
{
    (void)state;
    broker_hist_t *hist = calloc(1, sizeof *hist);
    for (uint64_t v = 1; v <= 10000; v++)
        broker_hist_record(hist, v);
    double p50 = broker_hist_quantile(hist, 0.5);
    double p99 = broker_hist_quantile(hist, 0.99);
    assert_true(p50 > 5000 * 0.93 && p50 < 5000 * 1.07);
    assert_true(p99 > 9900 * 0.93 && p99 < 9900 * 1.07);
    assert_true(broker_hist_quantile(hist, 1.0) >= p99);
    free(hist);
}

static void
test_empty_histogram_reads_zero_and_small_values_are_exact(void **state)
{
    (void)state;
    broker_hist_t *hist = calloc(1, sizeof *hist);
    assert_true(broker_hist_quantile(hist, 0.5) == 0.0);
    broker_hist_record(hist, 3);
    assert_true(broker_hist_quantile(hist, 0.5) == 3.0);
    broker_hist_record(hist, UINT64_MAX); /* clamps, does not overflow */
    assert_true(broker_hist_quantile(hist, 1.0) > 1e9);
    free(hist);
}

static void
test_json_counts_rejections_by_reason_name(void **state)
{
    (void)state;
    broker_stats_t *stats = calloc(1, sizeof *stats);
    broker_stats_init(stats, 1000);
    stats->accepted = 7;
    stats->batches = 2;
    stats->batch_events = 7;
    broker_stats_reject(stats, DAJIA__REASON__REASON_UNKNOWN_UNIT);
    broker_stats_reject(stats, DAJIA__REASON__REASON_UNKNOWN_UNIT);
    broker_stats_reject(stats, DAJIA__REASON__REASON_MALFORMED);
    char *text = broker_stats_json(stats, 61000);
    assert_non_null(text);
    json_error_t err;
    json_t *root = json_loads(text, 0, &err);
    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(root, "accepted")), 7);
    assert_int_equal(json_integer_value(json_object_get(root, "rejected")), 3);
    json_t *by = json_object_get(root, "rejected_by_reason");
    assert_int_equal(json_integer_value(json_object_get(by, "unknown_unit")), 2);
    assert_int_equal(json_integer_value(json_object_get(by, "malformed")), 1);
    assert_true(json_real_value(json_object_get(root, "mean_batch")) == 3.5);
    assert_int_equal(json_integer_value(json_object_get(root, "uptime_s")), 60);
    json_decref(root);
    free(text);
    free(stats);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantiles_of_uniform_values_are_within_bucket_error),
        cmocka_unit_test(test_empty_histogram_reads_zero_and_small_values_are_exact),
        cmocka_unit_test(test_json_counts_rejections_by_reason_name),
    };
    return cmocka_run_group_tests_name("broker_stats", tests, NULL, NULL);
}
