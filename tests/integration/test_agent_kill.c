/*  Integration: an agent killed with SIGKILL in the middle of a file loses nothing and
    duplicates nothing (guarantee 3, with guarantee 2 behind it).

    The agent keeps each event in its LMDB outbox from before the send until the ack.
    Killed half way, some events are stored and acked, some stored but not acked, some
    only in the outbox. So at the kill every event the agent had taken in must be either
    in the broker's log or in the outbox; `dajia-agent flush` must then store everything
    the outbox held; and running the same submit again must end with exit 0 and every
    event of the file in the log exactly once.
*/
#include <ctype.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"

#define S_UNIT        "msa"
#define S_ID_PREFIX   "ak-"
#define S_EVENTS      20000
#define S_KILL_AFTER  1000 /* events the broker accepted before the kill */
#define S_PROGRESS_MS 120000
#define S_POLL_NS     5000000L /* 5 ms between polls of STATS */
#define S_WAIT_MS     240000

typedef struct {
    harness_fixture_t base; /* the directory, the broker and its endpoint (api) */
    char *file;
    char *state;
    harness_proc_t *agent;
    harness_client_t *probe; /* asks STATS while the test waits for progress */
} fixture_t;

static int
s_setup(void **state)
{
    fixture_t *fx = harness_fixture_new(state, sizeof *fx);
    if (!fx)
        return -1;
    fx->file = harness_strf("%s/cases.jsonl", fx->base.dir);
    fx->state = harness_strf("%s/agent", fx->base.dir);
    return harness_fixture_start_broker(&fx->base, NULL);
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    harness_client_destroy(&fx->probe);
    harness_proc_destroy(&fx->agent);
    free(fx->file);
    free(fx->state);
    return harness_fixture_teardown(state);
}

/* Runs an agent command to completion; its texts live until the teardown. */
static harness_result_t
s_agent(const fixture_t *fx, const char *command, const char *file)
{
    const char *argv[] = {DAJIA_AGENT_BIN, "--broker",  fx->base.api, "--unit", S_UNIT, "--state",
                          fx->state,       "--timeout", "120",        command,  file,   NULL};
    harness_result_t run;
    assert_int_equal(harness_run(argv, NULL, S_WAIT_MS, &run), 0);
    harness_autofree(run.out);
    harness_autofree(run.err);
    return run;
}

/* Marks in `seen` (indexed 1..S_EVENTS) every event of the file the log holds. Returns
   how many records the log has; fails on a gap, a duplicate or a stranger. */
static size_t
s_mark_log(const fixture_t *fx, bool *seen)
{
    harness_record_t *records = NULL;
    size_t count = 0;
    assert_int_equal(harness_dump(fx->base.data, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(harness_check_log(records, count), 0);
    for (size_t i = 0; i < count; i++) {
        unsigned long n = 0;
        char *end = NULL;
        if (strcmp(records[i].unit, S_UNIT) == 0 &&
            strncmp(records[i].event_id, S_ID_PREFIX, strlen(S_ID_PREFIX)) == 0)
            n = strtoul(records[i].event_id + strlen(S_ID_PREFIX), &end, 10);
        if (n < 1 || n > S_EVENTS || !end || *end)
            fail_msg("the log holds %s/%s, which is not in the file", records[i].unit,
                     records[i].event_id);
        seen[n] = true;
    }
    return count;
}

/* Marks in `seen` every event `dajia-agent outbox` lists as waiting. Returns how many. */
static size_t
s_mark_outbox(const fixture_t *fx, bool *seen)
{
    const char *argv[] = {DAJIA_AGENT_BIN, "--unit", S_UNIT, "--state", fx->state, "outbox", NULL};
    harness_result_t run;
    assert_int_equal(harness_run(argv, NULL, HARNESS_RUN_TIMEOUT_MS, &run), 0);
    harness_autofree(run.out);
    harness_autofree(run.err);
    if (run.status != 0)
        fail_msg("dajia-agent outbox exited %d: %s", run.status, run.err);
    size_t count = 0;
    size_t plen = strlen(S_ID_PREFIX);
    for (const char *at = run.out; (at = strstr(at, S_ID_PREFIX)) != NULL; at += plen) {
        if (at != run.out && !isspace((unsigned char)at[-1]))
            continue;
        char *end = NULL;
        unsigned long n = strtoul(at + plen, &end, 10);
        if (n >= 1 && n <= S_EVENTS && end && (isspace((unsigned char)*end) || !*end)) {
            seen[n] = true;
            count++;
        }
    }
    return count;
}

static void
test_agent_kill_outbox_keeps_unacked_and_rerun_stores_every_event_once(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(harness_write_cases(fx->file, S_UNIT, "AK", S_ID_PREFIX, 1, S_EVENTS), 0);
    const char *argv[] = {DAJIA_AGENT_BIN, "--broker",  fx->base.api, "--unit", S_UNIT,   "--state",
                          fx->state,       "--timeout", "120",        "submit", fx->file, NULL};
    assert_int_equal(harness_proc_start(argv, NULL, &fx->agent), 0);

    /* Kill it once the broker shows that part of the file is through. */
    assert_int_equal(harness_client_new(fx->base.api, HARNESS_RECV_TIMEOUT_MS, &fx->probe), 0);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int64_t accepted = 0;
    while (harness_proc_running(fx->agent)) {
        char *json = harness_autofree(harness_client_stats(fx->probe));
        assert_non_null(json);
        accepted = harness_json_u64(json, "accepted");
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
        print_message("killed the agent with %lld of %d events accepted\n", (long long)accepted,
                      S_EVENTS);
    else
        /* A fast machine may finish first; what follows must hold all the same. */
        print_message("the agent finished (status %d) before it could be killed\n", status);
    harness_proc_destroy(&fx->agent);

    /* At the kill, every event the agent had taken in is in the log or in the outbox.
       It reads the file in order, so what it had taken in is ak-1 .. ak-M. */
    bool *in_log = harness_autofree(calloc(S_EVENTS + 1, sizeof(bool)));
    bool *in_outbox = harness_autofree(calloc(S_EVENTS + 1, sizeof(bool)));
    assert_non_null(in_log);
    assert_non_null(in_outbox);
    size_t logged = s_mark_log(fx, in_log);
    size_t waiting = s_mark_outbox(fx, in_outbox);
    print_message("at the kill: %zu events in the log, %zu waiting in the outbox\n", logged,
                  waiting);
    int highest = 0;
    for (int n = 1; n <= S_EVENTS; n++)
        if (in_log[n] || in_outbox[n])
            highest = n;
    for (int n = 1; n <= highest; n++)
        if (!in_log[n] && !in_outbox[n])
            fail_msg("%s%d is neither stored nor in the outbox: lost", S_ID_PREFIX, n);

    /* flush sends what the outbox held, from the outbox alone. */
    harness_result_t run = s_agent(fx, "flush", NULL);
    if (run.status != 0)
        fail_msg("flush exited %d:\n%s%s", run.status, run.out, run.err);
    memset(in_log, 0, (S_EVENTS + 1) * sizeof(bool));
    s_mark_log(fx, in_log);
    for (int n = 1; n <= S_EVENTS; n++)
        if (in_outbox[n] && !in_log[n])
            fail_msg("%s%d waited in the outbox but flush did not store it", S_ID_PREFIX, n);

    /* The same submit again finishes the file, storing nothing twice. */
    run = s_agent(fx, "submit", fx->file);
    if (run.status != 0)
        fail_msg("the rerun exited %d:\n%s%s", run.status, run.out, run.err);
    memset(in_log, 0, (S_EVENTS + 1) * sizeof(bool));
    assert_int_equal(s_mark_log(fx, in_log), S_EVENTS);
    for (int n = 1; n <= S_EVENTS; n++)
        if (!in_log[n])
            fail_msg("%s%d is missing from the log", S_ID_PREFIX, n);

    /* Nothing waits in the outbox any more. */
    memset(in_outbox, 0, (S_EVENTS + 1) * sizeof(bool));
    assert_int_equal(s_mark_outbox(fx, in_outbox), 0);

    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_agent_kill_outbox_keeps_unacked_and_rerun_stores_every_event_once, s_setup,
            s_teardown),
    };
    return cmocka_run_group_tests_name("integration.agent_kill", tests, NULL, NULL);
}
