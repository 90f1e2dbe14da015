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

static void
test_fixed_bounds_count_values_at_or_below_them_and_json_has_the_histogram(void **state)
{
    (void)state;
    broker_stats_t *stats = calloc(1, sizeof *stats);
    broker_stats_init(stats, 0);
    const uint64_t values[] = {50, 100, 101, 999, 1000, 1001, 2000000};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        broker_hist_record(&stats->commit_us, values[i]);
    const broker_hist_t *h = &stats->commit_us;
    assert_int_equal(broker_hist_bounds_us[0], 100);
    assert_int_equal(broker_hist_bounds_us[BROKER_HIST_BOUNDS - 1], 1000000);
    assert_int_equal(h->le[0], 2);                      /* <= 0.1 ms: 50, 100 */
    assert_int_equal(h->le[1], 3);                      /* <= 0.25 ms: and 101 */
    assert_int_equal(h->le[2], 3);                      /* <= 0.5 ms */
    assert_int_equal(h->le[3], 5);                      /* <= 1 ms: and 999, 1000 */
    assert_int_equal(h->le[4], 6);                      /* <= 2.5 ms: and 1001 */
    assert_int_equal(h->le[BROKER_HIST_BOUNDS - 1], 6); /* 2 s is above every bound */
    assert_int_equal(h->total, 7);
    assert_int_equal(h->sum, 50 + 100 + 101 + 999 + 1000 + 1001 + 2000000);

    stats->last_seq = 40;
    stats->services = 2;
    stats->service_name[0] = "aggregate";
    stats->service_cursor[0] = 40;
    stats->service_name[1] = "escalate";
    stats->service_cursor[1] = 33;
    char *text = broker_stats_json(stats, 0);
    assert_non_null(text);
    json_error_t err;
    json_t *root = json_loads(text, 0, &err);
    assert_non_null(root);
    json_t *commit = json_object_get(root, "commit_ms");
    json_t *bounds = json_object_get(commit, "bounds");
    json_t *buckets = json_object_get(commit, "buckets");
    assert_int_equal(json_array_size(bounds), BROKER_HIST_BOUNDS);
    assert_int_equal(json_array_size(buckets), BROKER_HIST_BOUNDS + 1); /* and +Inf */
    assert_true(json_real_value(json_array_get(bounds, 0)) == 0.1);
    assert_true(json_real_value(json_array_get(bounds, BROKER_HIST_BOUNDS - 1)) == 1000.0);
    assert_int_equal(json_integer_value(json_array_get(buckets, 3)), 5);
    assert_int_equal(json_integer_value(json_array_get(buckets, BROKER_HIST_BOUNDS)), 7);
    assert_int_equal(json_integer_value(json_object_get(commit, "count")), 7);
    assert_true(json_real_value(json_object_get(commit, "sum")) == 2003.251);
    json_t *workers = json_object_get(root, "workers");
    assert_int_equal(json_object_size(workers), 2);
    json_t *agg = json_object_get(workers, "aggregate");
    assert_int_equal(json_integer_value(json_object_get(agg, "cursor")), 40);
    assert_int_equal(json_integer_value(json_object_get(agg, "lag")), 0);
    json_t *esc = json_object_get(workers, "escalate");
    assert_int_equal(json_integer_value(json_object_get(esc, "lag")), 7);
    json_decref(root);
    free(text);
    free(stats);
}

static void
test_sum_saturates(void **state)
{
    (void)state;
    broker_hist_t *hist = calloc(1, sizeof *hist);
    broker_hist_record(hist, UINT64_MAX - 1);
    broker_hist_record(hist, 5);
    assert_true(hist->sum == UINT64_MAX);
    assert_int_equal(hist->le[0], 1);
    free(hist);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantiles_of_uniform_values_are_within_bucket_error),
        cmocka_unit_test(test_empty_histogram_reads_zero_and_small_values_are_exact),
        cmocka_unit_test(test_json_counts_rejections_by_reason_name),
        cmocka_unit_test(
            test_fixed_bounds_count_values_at_or_below_them_and_json_has_the_histogram),
        cmocka_unit_test(test_sum_saturates),
    };
    return cmocka_run_group_tests_name("broker_stats", tests, NULL, NULL);
}
