/*  test_bench: dajia-bench against the broker it starts itself, in both of its modes,
    with the agents carried by fewer threads than there are agents; against the
    reference server (--baseline); and both in one run (--compare).

    A benchmark measures and a test asserts behaviour, so no timing is checked here:
    only that the bench stores every event it sends, exactly once (every send answered
    ACCEPTED, none rejected, duplicated or left unanswered), measures something, exits
    0, and removes the broker's (and the reference's) temporary data directory when it
    is done; and that bench/cpu-per-event.sh reports each thread's CPU time.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Entries left in `dir`. */
static int
s_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static json_int_t
s_int(json_t *report, const char *key)
{
    json_t *value = json_object_get(report, key);
    if (!json_is_integer(value))
        fail_msg("the report has no integer \"%s\"", key);
    return json_integer_value(value);
}

/* The fields of one run in `report`: every event sent was stored once and answered. */
static void
s_check_run(json_t *report, const char *who)
{
    if (!json_is_object(report))
        fail_msg("the report has no run of %s", who);
    json_int_t sent = s_int(report, "sent");
    assert_true(sent > 0);
    assert_int_equal(s_int(report, "accepted"), sent);
    assert_true(s_int(report, "measured") > 0);
    assert_int_equal(s_int(report, "rejected"), 0);
    assert_int_equal(s_int(report, "duplicates"), 0);
    assert_int_equal(s_int(report, "unmatched"), 0);
    assert_int_equal(s_int(report, "stalled_agents"), 0);
}

/* Runs `argv` (NULL-terminated) with its TMPDIR a fresh directory, and returns what it
   printed (the caller frees it) once it exited 0 and left the directory empty: the
   servers' data went with them. */
static char *
s_run_clean(const char *const *argv)
{
    char *dir = harness_tmpdir_new();
    assert_non_null(dir);
    char *tmpdir = harness_strf("TMPDIR=%s", dir);
    const char *env[] = {tmpdir, NULL};
    harness_opts_t opts = {env, true};
    harness_result_t run;
    assert_int_equal(harness_run(argv, &opts, HARNESS_RUN_TIMEOUT_MS, &run), 0);
    if (run.status != 0)
        fail_msg("%s exited %d:\n%s\n%s", argv[0], run.status, run.out, run.err);
    char *out = harness_strf("%s", run.out);
    harness_result_free(&run);
    free(tmpdir);
    assert_int_equal(s_entries(dir), 0);
    harness_rm_rf(dir);
    free(dir);
    return out;
}

/* Runs the bench with `args` (NULL-terminated) as s_run_clean does, and returns its JSON
   report (the caller frees it with json_decref). */
static json_t *
s_bench_run(const char *const *args)
{
    const char *argv[24] = {DAJIA_BENCH_BIN, "--json", "--duration", "0.5", "--warmup", "0.2"};
    size_t n = 6;
    for (size_t i = 0; args[i] && n < sizeof argv / sizeof argv[0] - 1; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char *out = s_run_clean(argv);
    json_error_t error;
    json_t *report = json_loads(out, 0, &error);
    if (!report)
        fail_msg("the report is not JSON (%s):\n%s", error.text, out);
    free(out);
    return report;
}

/* The bench against the broker it starts, with `args`: every event stored once. */
static void
s_bench(const char *const *args, int agents)
{
    const char *argv[16] = {"--spawn", DAJIA_BROKER_BIN};
    size_t n = 2;
    for (size_t i = 0; args[i] && n < sizeof argv / sizeof argv[0] - 1; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    json_t *report = s_bench_run(argv);
    assert_int_equal(s_int(report, "agents"), agents);
    s_check_run(report, "the broker");
    json_decref(report);
}

/* Full windows: 5 agents on 2 threads, each keeping 4 events in flight. */
static void
test_bench_window_mode_stores_every_event_it_sends(void **state)
{
    const char *args[] = {"--agents", "5", "--threads", "2", "--window", "4", NULL};
    (void)state;
    s_bench(args, 5);
}

/* A fixed rate: 5 agents on the default single thread, 600 events/s in all. */
static void
test_bench_rate_mode_stores_every_event_it_sends(void **state)
{
    const char *args[] = {"--agents", "5", "--rate", "600", NULL};
    (void)state;
    s_bench(args, 5);
}

/* More threads asked for than there are agents: one agent each. */
static void
test_bench_threads_beyond_the_agents_are_not_started(void **state)
{
    const char *args[] = {"--agents", "2", "--threads", "9", "--window", "2", NULL};
    (void)state;
    s_bench(args, 2);
}

/* The reference alone, full windows: it too answers every event once, ACCEPTED with
   its event_id, and its STATS give events per commit. */
static void
test_bench_baseline_acknowledges_every_event_it_is_sent(void **state)
{
    const char *args[] = {"--baseline", "--agents", "5", "--threads", "2", "--window", "4", NULL};
    (void)state;
    json_t *report = s_bench_run(args);
    assert_int_equal(s_int(report, "agents"), 5);
    s_check_run(report, "the reference");
    assert_true(json_is_number(json_object_get(report, "events_per_commit")));
    json_decref(report);
}

/* Both in one run at a fixed rate: the reference's run and the broker's, each whole,
   and the ratios. */
static void
test_bench_compare_runs_the_reference_then_the_broker(void **state)
{
    const char *args[] = {"--compare", "--spawn", DAJIA_BROKER_BIN, "--agents", "3", "--rate",
                          "600",       NULL};
    (void)state;
    json_t *report = s_bench_run(args);
    assert_int_equal(s_int(report, "agents"), 3);
    s_check_run(json_object_get(report, "reference"), "the reference");
    s_check_run(json_object_get(report, "dajia"), "the broker");
    assert_true(json_is_number(json_object_get(report, "events_per_s_ratio")));
    assert_true(json_is_number(json_object_get(report, "p99_ratio")));
    json_decref(report);
}

/* bench/cpu-per-event.sh against `server` (the broker, or "reference"): one line with
   the CPU time per event of the server in all, of the bench, and of each thread
   (libzmq's I/O thread among them), each above zero, and nothing left in TMPDIR. */
static void
s_cpu_script(const char *server)
{
    const char *argv[] = {
        "sh", DAJIA_CPU_SCRIPT, DAJIA_BENCH_BIN, server,     "--agents", "3", "--window",
        "4",  "--duration",     "0.5",           "--warmup", "0.2",      NULL};
    char *out = s_run_clean(argv);
    double server_us = 0, bench_us = 0, io_us = 0;
    if (sscanf(out, "server=%lf bench=%lf", &server_us, &bench_us) != 2)
        fail_msg("no figures in:\n%s", out);
    const char *io = strstr(out, "ZMQbg/IO/0=");
    if (!io || sscanf(io, "ZMQbg/IO/0=%lf", &io_us) != 1)
        fail_msg("no I/O thread in:\n%s", out);
    assert_true(server_us > 0 && bench_us > 0 && io_us > 0);
    assert_true(io_us <= server_us);
    free(out);
}

static void
test_bench_cpu_script_measures_the_broker_thread_by_thread(void **state)
{
    (void)state;
    s_cpu_script(DAJIA_BROKER_BIN);
}

static void
test_bench_cpu_script_measures_the_reference(void **state)
{
    (void)state;
    s_cpu_script("reference");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bench_window_mode_stores_every_event_it_sends),
        cmocka_unit_test(test_bench_rate_mode_stores_every_event_it_sends),
        cmocka_unit_test(test_bench_threads_beyond_the_agents_are_not_started),
        cmocka_unit_test(test_bench_baseline_acknowledges_every_event_it_is_sent),
        cmocka_unit_test(test_bench_compare_runs_the_reference_then_the_broker),
        cmocka_unit_test(test_bench_cpu_script_measures_the_broker_thread_by_thread),
        cmocka_unit_test(test_bench_cpu_script_measures_the_reference),
    };
    return cmocka_run_group_tests_name("bench", tests, NULL, NULL);
}
