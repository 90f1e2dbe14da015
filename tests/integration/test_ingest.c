/*  Integration: four agents submit 10,000 events at once; the broker stores each exactly
    once, in one gapless log (guarantees 1 and 2 on the happy path).

    The events carry no event_id: each agent derives one from the content, so submitting
    the same file again must make the same ids and store nothing new.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

/* A string that lives until the teardown. */
#define S_STR(...) ((char *)harness_autofree(harness_strf(__VA_ARGS__)))

#define S_AGENTS          4
#define S_EVENTS_PER_UNIT 2500
#define S_EVENTS          (S_AGENTS * S_EVENTS_PER_UNIT)
#define S_AGENT_TIMEOUT   "120" /* seconds without progress before an agent gives up */
#define S_WAIT_MS         240000

static const char *const s_units[S_AGENTS] = {"psb", "customs", "msa", "tax"};

typedef struct {
    harness_fixture_t base; /* the directory, the broker and its endpoint (api) */
    harness_proc_t *agents[S_AGENTS];
} fixture_t;

static int
s_setup(void **state)
{
    fixture_t *fx = harness_fixture_new(state, sizeof *fx);
    if (!fx)
        return -1;
    return harness_fixture_start_broker(&fx->base, NULL);
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    for (size_t i = 0; fx && i < S_AGENTS; i++)
        harness_proc_destroy(&fx->agents[i]);
    return harness_fixture_teardown(state);
}

static char *
s_file(const fixture_t *fx, size_t unit)
{
    return S_STR("%s/%s.jsonl", fx->base.dir, s_units[unit]);
}

static char *
s_state(const fixture_t *fx, size_t unit)
{
    return S_STR("%s/agent-%s", fx->base.dir, s_units[unit]);
}

static void
s_assert_exit(harness_proc_t *proc, int expected, const char *what)
{
    int status = harness_proc_status(proc);
    if (status != expected)
        fail_msg("%s exited %d, expected %d; stdout:\n%s", what, status, expected,
                 harness_proc_stdout(proc));
}

/* `dajia-ctl stats` against the running broker, as JSON text (lives until teardown). */
static char *
s_ctl_stats(const fixture_t *fx)
{
    const char *argv[] = {DAJIA_CTL_BIN, "--broker", fx->base.api, "stats", NULL};
    harness_result_t run;
    assert_int_equal(harness_run(argv, NULL, HARNESS_RUN_TIMEOUT_MS, &run), 0);
    harness_autofree(run.out);
    harness_autofree(run.err);
    if (run.status != 0)
        fail_msg("dajia-ctl stats exited %d: %s", run.status, run.err);
    return run.out;
}

static void
test_ingest_four_agents_store_every_event_once(void **state)
{
    fixture_t *fx = *state;
    for (size_t i = 0; i < S_AGENTS; i++) {
        assert_int_equal(
            harness_write_cases(s_file(fx, i), s_units[i], "ING", NULL, 1, S_EVENTS_PER_UNIT), 0);
    }

    /* Four agents at once, each its own unit, state and file. */
    for (size_t i = 0; i < S_AGENTS; i++) {
        const char *argv[] = {DAJIA_AGENT_BIN, "--broker", fx->base.api,   "--unit",
                              s_units[i],      "--state",  s_state(fx, i), "--timeout",
                              S_AGENT_TIMEOUT, "submit",   s_file(fx, i),  NULL};
        assert_int_equal(harness_proc_start(argv, NULL, &fx->agents[i]), 0);
    }
    assert_int_equal(harness_proc_wait_all(fx->agents, S_AGENTS, S_WAIT_MS), 0);
    for (size_t i = 0; i < S_AGENTS; i++)
        s_assert_exit(fx->agents[i], 0, s_units[i]);

    /* The log: 10,000 records, log_seq 1..10,000, every (unit, event_id) once. */
    harness_record_t *records = NULL;
    size_t count = 0;
    assert_int_equal(harness_dump(fx->base.data, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(count, S_EVENTS);
    assert_int_equal(harness_check_log(records, count), 0);
    size_t per_unit[S_AGENTS] = {0};
    for (size_t r = 0; r < count; r++) {
        bool known = false;
        for (size_t i = 0; i < S_AGENTS; i++) {
            if (strcmp(records[r].unit, s_units[i]) == 0) {
                per_unit[i]++;
                known = true;
            }
        }
        if (!known)
            fail_msg("record %zu has unit \"%s\", which no agent sent", r, records[r].unit);
        /* Derived ids: "d-" and 40 hex digits. */
        assert_int_equal(strlen(records[r].event_id), 42);
        assert_memory_equal(records[r].event_id, "d-", 2);
    }
    for (size_t i = 0; i < S_AGENTS; i++)
        assert_int_equal(per_unit[i], S_EVENTS_PER_UNIT);

    char *stats = s_ctl_stats(fx);
    print_message("STATS after the first submission: %s\n", stats);
    assert_int_equal(harness_json_u64(stats, "accepted"), S_EVENTS);
    assert_int_equal(harness_json_u64(stats, "rejected"), 0);
    assert_int_equal(harness_json_u64(stats, "duplicates"), 0);
    assert_int_equal(harness_json_u64(stats, "log/last_seq"), S_EVENTS);

    /* The same file again: the agent derives the same ids, the broker answers DUPLICATE
       for each, and nothing new is stored. */
    harness_proc_destroy(&fx->agents[0]);
    const char *again[] = {DAJIA_AGENT_BIN, "--broker", fx->base.api,   "--unit",
                           s_units[0],      "--state",  s_state(fx, 0), "--timeout",
                           S_AGENT_TIMEOUT, "submit",   s_file(fx, 0),  NULL};
    harness_result_t run;
    assert_int_equal(harness_run(again, NULL, S_WAIT_MS, &run), 0);
    harness_autofree(run.out);
    harness_autofree(run.err);
    if (run.status != 0)
        fail_msg("second submission exited %d: %s%s", run.status, run.out, run.err);

    assert_int_equal(harness_dump(fx->base.data, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(count, S_EVENTS);
    assert_int_equal(harness_check_log(records, count), 0);

    stats = s_ctl_stats(fx);
    print_message("STATS after the second submission: %s\n", stats);
    assert_int_equal(harness_json_u64(stats, "accepted"), S_EVENTS);
    assert_int_equal(harness_json_u64(stats, "duplicates"), S_EVENTS_PER_UNIT);
    assert_int_equal(harness_json_u64(stats, "log/last_seq"), S_EVENTS);

    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ingest_four_agents_store_every_event_once, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests_name("integration.ingest", tests, NULL, NULL);
}
