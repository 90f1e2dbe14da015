/*  Integration: kill -9 of the broker loses no acknowledged event and stores nothing twice
    (guarantees 1 and 2 across a crash).

    Four agents submit 2,500 events each while a raw client submits events one at a time
    and writes down every ACCEPTED/DUPLICATE ack it gets, with its log_seq. Once the
    broker has visibly made progress it is killed with SIGKILL, in the middle of all
    that. Then:
      - the log on disk, read before anything else touches it, already holds every
        event acked so far, at the log_seq the ack named;
      - the broker restarts on the same directory and the same ipc:// endpoint, the
        agents and the raw client reconnect by themselves and finish;
      - the final log holds every event exactly once, log_seq without gaps, and still
        every acked event at its acked log_seq.
*/
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"

/* A string that lives until the teardown. */
#define S_STR(...) ((char *)harness_autofree(harness_strf(__VA_ARGS__)))

#define S_AGENTS          4
#define S_EVENTS_PER_UNIT 2500
#define S_AGENT_EVENTS    (S_AGENTS * S_EVENTS_PER_UNIT)
#define S_RAW_UNIT        "court"
#define S_RAW_MAX         100000
#define S_RAW_RESEND_MS   500    /* the raw client resends an unanswered event */
#define S_KILL_AFTER      1000   /* accepted events before the kill */
#define S_RAW_BEFORE_KILL 5      /* raw acks before the kill */
#define S_RAW_AFTER       5      /* raw acks after the restart before it stops */
#define S_PROGRESS_MS     120000 /* how long progress may take to show (ASan, load) */
#define S_POLL_MS         10     /* between polls of STATS */
#define S_WAIT_MS         240000

enum { S_RAW_RUN, S_RAW_FINISH, S_RAW_ABORT };

static const char *const s_units[S_AGENTS] = {"psb", "customs", "msa", "tax"};

/* What the raw client saw: ack i is for event "raw-<i>". */
typedef struct {
    char endpoint[256];
    pthread_mutex_t lock;
    uint64_t seqs[S_RAW_MAX]; /* log_seq of each acked raw event */
    size_t acked;             /* raw-0 .. raw-(acked-1) have acks */
    size_t mismatches;        /* a DUPLICATE that named another log_seq */
    size_t rejected;
    size_t strays;      /* acks that were not for a raw event sent */
    atomic_int mode;    /* S_RAW_RUN, S_RAW_FINISH, S_RAW_ABORT */
    atomic_bool failed; /* could not set up its socket */
} raw_t;

typedef struct {
    harness_fixture_t base; /* the directory, the broker; base.api: the endpoint it reported */
    char *api;              /* the endpoint it is started on */
    harness_proc_t *agents[S_AGENTS];
    harness_client_t *probe; /* asks STATS while the test waits for progress */
    raw_t *raw;
    pthread_t raw_thread;
    bool raw_started;
} fixture_t;

static int
s_setup(void **state)
{
    fixture_t *fx = harness_fixture_new(state, sizeof *fx);
    if (!fx)
        return -1;
    fx->raw = calloc(1, sizeof *fx->raw);
    if (!fx->raw)
        return -1;
    pthread_mutex_init(&fx->raw->lock, NULL);
    /* A fixed endpoint, so the restarted broker is where the clients left it. */
    fx->api = harness_strf("ipc://%s/api", fx->base.dir);
    return harness_broker_start(fx->base.data, fx->api, NULL, &fx->base.broker, fx->base.api,
                                sizeof fx->base.api);
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    harness_client_destroy(&fx->probe);
    if (fx->raw_started) {
        /* It may be waiting for a broker that is gone: it notices within one timeout. */
        atomic_store(&fx->raw->mode, S_RAW_ABORT);
        pthread_join(fx->raw_thread, NULL);
    }
    for (size_t i = 0; i < S_AGENTS; i++)
        harness_proc_destroy(&fx->agents[i]);
    if (fx->raw) {
        pthread_mutex_destroy(&fx->raw->lock);
        free(fx->raw);
    }
    free(fx->api);
    return harness_fixture_teardown(state);
}

/* ------------------------------------------------------------------ raw client */

/* Submits raw-0, raw-1, ... one at a time, resending each until it is acked, and keeps
   every ack's log_seq. A crash in between only delays it: the DEALER reconnects. On
   S_RAW_FINISH it stops after the event in hand is acked (so every raw event it sent is
   acked); on S_RAW_ABORT it stops at once. */
static void *
s_raw_main(void *arg)
{
    raw_t *raw = arg;
    harness_client_t *client = NULL;
    if (harness_client_new(raw->endpoint, S_RAW_RESEND_MS, &client) != 0) {
        atomic_store(&raw->failed, true);
        return NULL;
    }
    for (size_t n = 0; n < S_RAW_MAX && atomic_load(&raw->mode) == S_RAW_RUN; n++) {
        char id[32], case_no[32];
        snprintf(id, sizeof id, "raw-%zu", n);
        snprintf(case_no, sizeof case_no, "COURT-%06zu", n);
        Dajia__Envelope env;
        Dajia__CaseReport report;
        harness_envelope_init(&env, &report, S_RAW_UNIT, id, case_no);
        bool settled = false, refused = false;
        while (!settled && !refused && atomic_load(&raw->mode) != S_RAW_ABORT) {
            if (harness_client_submit(client, &env) != 0)
                continue; /* no peer within the send timeout: try again */
            /* Read until this event's ack, or a timeout (then send it again). Acks of
               earlier copies of this or older events may come too: check, then skip. */
            Dajia__Ack *ack = NULL;
            while (!settled && !refused && harness_client_recv_ack(client, &ack) == 0) {
                size_t which = 0;
                bool ours = sscanf(ack->event_id, "raw-%zu", &which) == 1 && which <= n;
                pthread_mutex_lock(&raw->lock);
                if (!ours) {
                    raw->strays++;
                } else if (ack->status == DAJIA__ACK_STATUS__ACK_STATUS_REJECTED) {
                    raw->rejected++;
                    refused = which == n;
                } else if (which < n) {
                    raw->mismatches += raw->seqs[which] != ack->log_seq;
                } else {
                    raw->seqs[n] = ack->log_seq;
                    raw->acked = n + 1;
                    settled = true;
                }
                pthread_mutex_unlock(&raw->lock);
                dajia__ack__free_unpacked(ack, NULL);
            }
        }
        if (!settled)
            break;
    }
    harness_client_destroy(&client);
    return NULL;
}

static size_t
s_raw_acked(raw_t *raw)
{
    pthread_mutex_lock(&raw->lock);
    size_t acked = raw->acked;
    pthread_mutex_unlock(&raw->lock);
    return acked;
}

static size_t
s_raw_rejected(raw_t *raw)
{
    pthread_mutex_lock(&raw->lock);
    size_t rejected = raw->rejected;
    pthread_mutex_unlock(&raw->lock);
    return rejected;
}

/* ------------------------------------------------------------------ checks */

/* Every raw event acked among the first `acked` is in `sorted` at its acked log_seq. */
static void
s_assert_raw_acks_kept(raw_t *raw, size_t acked, const harness_record_t *sorted, size_t count,
                       const char *when)
{
    for (size_t n = 0; n < acked; n++) {
        char id[32];
        snprintf(id, sizeof id, "raw-%zu", n);
        const harness_record_t *rec = harness_records_find(sorted, count, S_RAW_UNIT, id);
        if (!rec)
            fail_msg("%s: %s was acked with log_seq %llu but is not in the log", when, id,
                     (unsigned long long)raw->seqs[n]);
        if (rec->log_seq != raw->seqs[n])
            fail_msg("%s: %s was acked with log_seq %llu but is stored at %llu", when, id,
                     (unsigned long long)raw->seqs[n], (unsigned long long)rec->log_seq);
    }
}

/* ------------------------------------------------------------------ the test */

static void
test_crash_broker_killed_mid_submission_loses_no_ack_and_stores_once(void **state)
{
    fixture_t *fx = *state;
    raw_t *raw = fx->raw;
    snprintf(raw->endpoint, sizeof raw->endpoint, "%s", fx->api);

    char *files[S_AGENTS], *states[S_AGENTS], *prefixes[S_AGENTS];
    for (size_t i = 0; i < S_AGENTS; i++) {
        files[i] = S_STR("%s/%s.jsonl", fx->base.dir, s_units[i]);
        states[i] = S_STR("%s/agent-%s", fx->base.dir, s_units[i]);
        prefixes[i] = S_STR("crash-%s-", s_units[i]);
        assert_int_equal(
            harness_write_cases(files[i], s_units[i], "CRASH", prefixes[i], 1, S_EVENTS_PER_UNIT),
            0);
    }

    /* czmq sets itself up on the first socket, and that is not thread-safe: do it here,
       before the raw client's thread and this one both make sockets. */
    zsys_init();
    assert_int_equal(pthread_create(&fx->raw_thread, NULL, s_raw_main, raw), 0);
    fx->raw_started = true;
    for (size_t i = 0; i < S_AGENTS; i++) {
        /* A small window keeps the agents busy for a while, so the kill lands among
           them; a long timeout lets them wait out the restart. */
        const char *argv[] = {
            DAJIA_AGENT_BIN, "--broker", fx->api,  "--unit",    s_units[i], "--state",
            states[i],       "--window", "8",      "--timeout", "120",      "--resend-ms",
            "1000",          "submit",   files[i], NULL};
        assert_int_equal(harness_proc_start(argv, NULL, &fx->agents[i]), 0);
    }

    /* Wait for progress (not for time): enough stored, and some raw acks in hand. */
    assert_int_equal(harness_client_new(fx->base.api, HARNESS_RECV_TIMEOUT_MS, &fx->probe), 0);
    harness_client_t *probe = fx->probe;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int64_t accepted = 0;
    while (true) {
        accepted = harness_client_accepted(probe);
        assert_true(accepted >= 0);
        if (accepted >= S_KILL_AFTER && s_raw_acked(raw) >= S_RAW_BEFORE_KILL)
            break;
        assert_false(atomic_load(&raw->failed));
        assert_true(harness_proc_running(fx->base.broker));
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) * 1000 > S_PROGRESS_MS)
            fail_msg("no progress: %lld accepted, %zu raw acks", (long long)accepted,
                     s_raw_acked(raw));
        harness_sleep_ms(S_POLL_MS);
    }
    harness_client_destroy(&fx->probe);

    assert_int_equal(harness_proc_kill(fx->base.broker), 128 + SIGKILL);
    size_t acked_before = s_raw_acked(raw);
    size_t agents_done = 0;
    for (size_t i = 0; i < S_AGENTS; i++)
        agents_done += !harness_proc_running(fx->agents[i]);
    print_message("killed the broker after %lld accepted; %zu raw acks; %zu of %d agents "
                  "had finished\n",
                  (long long)accepted, acked_before, agents_done, S_AGENTS);

    /* Before anything writes again: every acked event is on disk at its log_seq. */
    harness_record_t *records = NULL;
    size_t count = 0;
    assert_int_equal(harness_dump(fx->base.data, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(harness_check_log(records, count), 0);
    harness_records_sort(records, count);
    s_assert_raw_acks_kept(raw, acked_before, records, count, "after the kill");
    print_message("the log held %zu events at the kill\n", count);

    /* Same directory, same endpoint: everyone reconnects by themselves. */
    harness_proc_destroy(&fx->base.broker);
    char endpoint[256];
    assert_int_equal(harness_broker_start(fx->base.data, fx->api, NULL, &fx->base.broker, endpoint,
                                          sizeof endpoint),
                     0);
    assert_string_equal(endpoint, fx->api);

    clock_gettime(CLOCK_MONOTONIC, &start);
    while (s_raw_acked(raw) < acked_before + S_RAW_AFTER) {
        assert_int_equal(s_raw_rejected(raw), 0);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) * 1000 > S_PROGRESS_MS)
            fail_msg("the raw client got no ack after the restart");
        harness_sleep_ms(S_POLL_MS);
    }
    atomic_store(&raw->mode, S_RAW_FINISH);
    pthread_join(fx->raw_thread, NULL);
    fx->raw_started = false;
    assert_int_equal(raw->rejected, 0);
    assert_int_equal(raw->mismatches, 0);
    assert_int_equal(raw->strays, 0);

    assert_int_equal(harness_proc_wait_all(fx->agents, S_AGENTS, S_WAIT_MS), 0);
    for (size_t i = 0; i < S_AGENTS; i++)
        if (harness_proc_status(fx->agents[i]) != 0)
            fail_msg("agent %s exited %d; stdout:\n%s", s_units[i],
                     harness_proc_status(fx->agents[i]), harness_proc_stdout(fx->agents[i]));

    /* The end: every event exactly once, no gap, every ack honoured. */
    assert_int_equal(harness_dump(fx->base.data, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(harness_check_log(records, count), 0);
    assert_int_equal(count, S_AGENT_EVENTS + raw->acked);
    harness_records_sort(records, count);
    for (size_t i = 0; i < S_AGENTS; i++) {
        for (size_t n = 1; n <= S_EVENTS_PER_UNIT; n++) {
            char id[64];
            snprintf(id, sizeof id, "%s%zu", prefixes[i], n);
            if (!harness_records_find(records, count, s_units[i], id))
                fail_msg("%s/%s is missing from the log", s_units[i], id);
        }
    }
    s_assert_raw_acks_kept(raw, raw->acked, records, count, "at the end");

    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_crash_broker_killed_mid_submission_loses_no_ack_and_stores_once, s_setup,
            s_teardown),
    };
    return cmocka_run_group_tests_name("integration.crash", tests, NULL, NULL);
}
