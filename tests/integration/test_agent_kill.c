/*  Integration: an agent killed with SIGKILL in the middle of a file loses nothing and
    duplicates nothing once it is run again (guarantee 3, with guarantee 2 behind it).

    The agent keeps each event in its LMDB outbox from before the send until the ack.
    Killed half way, some events are stored and acked, some stored but not acked, some
    only in the outbox. Running the same command again on the same state directory must
    end with exit 0 and every event of the file in the broker's log exactly once.
*/
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"

#define S_UNIT         "msa"
#define S_EVENTS       20000
#define S_KILL_AFTER   1000        /* events the broker accepted before the kill */
#define S_PROGRESS_MS  120000
#define S_POLL_NS      5000000L    /* 5 ms between polls of STATS */
#define S_WAIT_MS      240000

typedef struct {
    char *dir;
    char *data;
    char *file;
    char *state;
    harness_proc_t *broker;
    harness_proc_t *agent;
    harness_client_t *probe;     /* asks STATS while the test waits for progress */
    char endpoint[256];
} fixture_t;

static int
s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    *state = fx;
    fx->dir = harness_tmpdir_new();
    if (!fx->dir)
        return -1;
    fx->data = harness_strf("%s/broker", fx->dir);
    fx->file = harness_strf("%s/cases.jsonl", fx->dir);
    fx->state = harness_strf("%s/agent", fx->dir);
    return harness_broker_start(fx->data, "tcp://127.0.0.1:*", NULL, &fx->broker,
                                fx->endpoint, sizeof fx->endpoint);
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    harness_client_destroy(&fx->probe);
    harness_proc_destroy(&fx->agent);
    harness_proc_destroy(&fx->broker);
    if (fx->dir)
        harness_rm_rf(fx->dir);
    free(fx->dir);
    free(fx->data);
    free(fx->file);
    free(fx->state);
    free(fx);
    harness_autofree_all();
    return 0;
}

static void
test_agent_kill_rerun_stores_every_event_once(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(harness_write_cases(fx->file, S_UNIT, "AK", "ak-", 1, S_EVENTS), 0);
    const char *argv[] = {DAJIA_AGENT_BIN, "--broker", fx->endpoint, "--unit", S_UNIT,
                          "--state", fx->state, "--timeout", "120", "submit", fx->file, NULL};
    assert_int_equal(harness_proc_start(argv, NULL, &fx->agent), 0);

    /* Kill it once the broker shows that part of the file is through. */
    assert_int_equal(harness_client_new(fx->endpoint, HARNESS_RECV_TIMEOUT_MS, &fx->probe), 0);
    harness_client_t *probe = fx->probe;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int64_t accepted = 0;
    while (harness_proc_running(fx->agent)) {
        char *json = harness_client_stats(probe);
        assert_non_null(json);
        accepted = harness_json_u64(json, "accepted");
        free(json);
        if (accepted >= S_KILL_AFTER)
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) * 1000 > S_PROGRESS_MS)
            fail_msg("the agent made no progress: %lld accepted", (long long)accepted);
        struct timespec pause = {0, S_POLL_NS};
        nanosleep(&pause, NULL);
    }
    harness_client_destroy(&fx->probe);
    int status = harness_proc_kill(fx->agent);
    if (status == 128 + SIGKILL)
        print_message("killed the agent with %lld of %d events accepted\n",
                      (long long)accepted, S_EVENTS);
    else
        /* A fast machine may finish first; the rerun below must hold all the same. */
        print_message("the agent finished (status %d) before it could be killed\n", status);
    harness_proc_destroy(&fx->agent);

    harness_record_t *records = NULL;
    size_t count = 0;
    assert_int_equal(harness_dump(fx->data, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(harness_check_log(records, count), 0);
    print_message("the log held %zu events after the kill\n", count);

    /* The same command again: it finishes what was left. */
    harness_result_t run;
    assert_int_equal(harness_run(argv, NULL, S_WAIT_MS, &run), 0);
    harness_autofree(run.out);
    harness_autofree(run.err);
    if (run.status != 0)
        fail_msg("the rerun exited %d:\n%s%s", run.status, run.out, run.err);

    assert_int_equal(harness_dump(fx->data, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(count, S_EVENTS);
    assert_int_equal(harness_check_log(records, count), 0);
    harness_records_sort(records, count);
    for (int n = 1; n <= S_EVENTS; n++) {
        char id[32];
        snprintf(id, sizeof id, "ak-%d", n);
        if (!harness_records_find(records, count, S_UNIT, id))
            fail_msg("%s is missing from the log", id);
    }

    /* Nothing waits in the outbox any more. */
    const char *outbox[] = {DAJIA_AGENT_BIN, "--unit", S_UNIT, "--state", fx->state, "outbox",
                            NULL};
    assert_int_equal(harness_run(outbox, NULL, HARNESS_RUN_TIMEOUT_MS, &run), 0);
    harness_autofree(run.out);
    harness_autofree(run.err);
    assert_int_equal(run.status, 0);
    if (strstr(run.out, "ak-"))
        fail_msg("events still wait in the outbox:\n%.2000s", run.out);

    assert_int_equal(harness_proc_stop(fx->broker), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_agent_kill_rerun_stores_every_event_once,
                                        s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name("integration.agent_kill", tests, NULL, NULL);
}
