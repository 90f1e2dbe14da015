/*  test_bench: dajia-bench against the broker it starts itself, in both of its modes,
    with the agents carried by fewer threads than there are agents.

    A benchmark measures and a test asserts behaviour, so no timing is checked here:
    only that the bench stores every event it sends, exactly once (every send answered
    ACCEPTED, none rejected, duplicated or left unanswered), measures something, exits
    0, and removes the broker's temporary data directory when it is done.
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

/* Runs the bench with `args` (NULL-terminated), its TMPDIR a fresh directory, and
   checks its JSON report. */
static void
s_bench(const char *const *args, int agents)
{
    char *dir = harness_tmpdir_new();
    assert_non_null(dir);
    const char *argv[24] = {DAJIA_BENCH_BIN, "--spawn", DAJIA_BROKER_BIN, "--json",
                            "--duration",    "0.5",     "--warmup",       "0.2"};
    size_t n = 8;
    for (size_t i = 0; args[i] && n < sizeof argv / sizeof argv[0] - 1; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char *tmpdir = harness_strf("TMPDIR=%s", dir);
    const char *env[] = {tmpdir, NULL};
    harness_opts_t opts = {env, true};
    harness_result_t run;
    assert_int_equal(harness_run(argv, &opts, HARNESS_RUN_TIMEOUT_MS, &run), 0);
    if (run.status != 0)
        fail_msg("dajia-bench exited %d:\n%s\n%s", run.status, run.out, run.err);
    json_error_t error;
    json_t *report = json_loads(run.out, 0, &error);
    if (!report)
        fail_msg("the report is not JSON (%s):\n%s", error.text, run.out);
    assert_int_equal(s_int(report, "agents"), agents);
    json_int_t sent = s_int(report, "sent");
    assert_true(sent > 0);
    assert_int_equal(s_int(report, "accepted"), sent);
    assert_true(s_int(report, "measured") > 0);
    assert_int_equal(s_int(report, "rejected"), 0);
    assert_int_equal(s_int(report, "duplicates"), 0);
    assert_int_equal(s_int(report, "unmatched"), 0);
    assert_int_equal(s_int(report, "stalled_agents"), 0);
    json_decref(report);
    harness_result_free(&run);
    free(tmpdir);
    assert_int_equal(s_entries(dir), 0); /* the broker's data went with it */
    harness_rm_rf(dir);
    free(dir);
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bench_window_mode_stores_every_event_it_sends),
        cmocka_unit_test(test_bench_rate_mode_stores_every_event_it_sends),
        cmocka_unit_test(test_bench_threads_beyond_the_agents_are_not_started),
    };
    return cmocka_run_group_tests_name("bench", tests, NULL, NULL);
}
