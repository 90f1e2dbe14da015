/*  Integration: the dedup index's file (broker_dedup_file.h) never makes the broker
    give a wrong answer, whatever happened to it (issue 13).

    1. Killed while it writes the file. Agents submit events while the broker is killed
       with SIGKILL again and again, at random moments of its work (every commit appends
       to the file, so each kill lands among those writes), and a few times while it
       starts with no file, reading the log and writing a new one. After each kill the
       broker starts again on what the kill left. In the end every event is in the log
       once, and every stored event sent again is answered DUPLICATE with the log_seq it
       was stored at.
    2. Started with a file that is cut short, another log's, or newer than the log (the
       log put back from an older copy). Each time, every event the log holds, sent
       again, is answered DUPLICATE with its log_seq, and every event it does not hold
       is taken as new; and the broker's log says why the file was set aside.
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
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* A string that lives until the teardown. */
#define S_STR(...) ((char *)harness_autofree(harness_strf(__VA_ARGS__)))

#define S_AGENTS          3
#define S_EVENTS_PER_UNIT 3000
#define S_KILLS           5   /* kills while it serves */
#define S_START_KILLS     3   /* kills while it starts without a file */
#define S_STEP_MIN        150 /* events accepted between two kills: at least */
#define S_STEP_SPREAD     600 /* and up to this many more */
#define S_START_KILL_MS   40  /* a kill at start comes within this many ms */
#define S_WINDOW          100 /* events in flight when sending again */
#define S_PROGRESS_MS     120000
#define S_WAIT_MS         240000
#define S_POLL_MS         10
#define S_INDEX           "dedup.index"

static const char *const s_units[S_AGENTS] = {"psb", "customs", "tax"};

typedef struct {
    harness_fixture_t base; /* the directory, the broker's data and the broker */
    char *api;              /* the same after every restart */
    harness_proc_t *agents[S_AGENTS];
    harness_client_t *client;
    int loaded_starts; /* starts that took entries from the file */
} fixture_t;

static int
s_setup(void **state)
{
    fixture_t *fx = harness_fixture_new(state, sizeof *fx);
    if (!fx)
        return -1;
    fx->api = harness_strf("ipc://%s/api", fx->base.dir);
    zsys_init();
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    harness_client_destroy(&fx->client);
    for (size_t i = 0; i < S_AGENTS; i++)
        harness_proc_destroy(&fx->agents[i]);
    free(fx->api);
    return harness_fixture_teardown(state);
}

/* ------------------------------------------------------------------ the broker */

/* Starts the broker on `data` (its stderr kept) and waits for READY. */
static harness_proc_t *
s_broker_start(const char *data, const char *api)
{
    const char *argv[] = {DAJIA_BROKER_BIN, "--data", data, "--api", api, NULL};
    harness_opts_t opts = {NULL, true};
    harness_proc_t *proc = NULL;
    assert_int_equal(harness_proc_start(argv, &opts, &proc), 0);
    char endpoint[256];
    int rc = harness_proc_wait_ready(proc, HARNESS_READY_TIMEOUT_MS, endpoint, sizeof endpoint);
    if (rc != 0)
        fail_msg("the broker gave no READY line (%d):\n%s", rc, harness_proc_stderr(proc));
    return proc;
}

/* How many log records the broker's start took from the index file, from its line
   "... N from the index file ..."; -1 when the line is not there. */
static long long
s_from_file(harness_proc_t *broker)
{
    harness_proc_running(broker); /* reads what it wrote */
    const char *err = harness_proc_stderr(broker);
    const char *at = strstr(err, " from the index file");
    if (!at)
        return -1;
    while (at > err && at[-1] >= '0' && at[-1] <= '9')
        at--;
    return strtoll(at, NULL, 10);
}

static int64_t
s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ sending again */

/* Sends (unit, ids[i]) for every i < count, S_WINDOW at a time, and sets status[i] and
   seq[i] from each one's ack. */
static void
s_send_all(harness_client_t *client, const char *unit, char *const *ids, size_t count, int *status,
           uint64_t *seq)
{
    for (size_t first = 0; first < count; first += S_WINDOW) {
        size_t n = count - first < S_WINDOW ? count - first : S_WINDOW;
        for (size_t i = first; i < first + n; i++) {
            Dajia__Envelope env;
            Dajia__CaseReport report;
            char case_no[96];
            snprintf(case_no, sizeof case_no, "%s-AGAIN-%zu", unit, i);
            harness_envelope_init(&env, &report, unit, ids[i], case_no);
            assert_int_equal(harness_client_submit(client, &env), 0);
            status[i] = -1;
        }
        for (size_t got = 0; got < n; got++) {
            Dajia__Ack *ack = NULL;
            assert_int_equal(harness_client_recv_ack(client, &ack), 0);
            size_t i = first;
            while (i < first + n && strcmp(ids[i], ack->event_id) != 0)
                i++;
            if (i == first + n)
                fail_msg("an ack for %s, which was not sent", ack->event_id);
            status[i] = (int)ack->status;
            seq[i] = ack->log_seq;
            if (ack->status == DAJIA__ACK_STATUS__ACK_STATUS_REJECTED)
                print_message("%s/%s rejected: %s\n", unit, ids[i], ack->reason_text);

            dajia__ack__free_unpacked(ack, NULL);
        }
    }
}

/* Every record of the log, sent again, is a DUPLICATE of itself. */
static void
s_assert_log_is_answered(harness_client_t *client, const harness_record_t *records, size_t count,
                         size_t every)
{
    for (size_t i = 0; i < count; i += every) {
        char *ids[1] = {(char *)records[i].event_id};
        int status = 0;
        uint64_t seq = 0;
        s_send_all(client, records[i].unit, ids, 1, &status, &seq);
        if (status != DAJIA__ACK_STATUS__ACK_STATUS_DUPLICATE || seq != records[i].log_seq)
            fail_msg("%s/%s, stored at log_seq %llu, sent again: status %d, log_seq %llu",
                     records[i].unit, records[i].event_id, (unsigned long long)records[i].log_seq,
                     status, (unsigned long long)seq);
    }
}

/* ------------------------------------------------------------------ 1: kills */

static void
test_killed_while_writing_the_index_it_still_answers_right(void **state)
{
    fixture_t *fx = *state;
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    srand(seed);
    print_message("random seed %u\n", seed);
    fx->base.broker = s_broker_start(fx->base.data, fx->api);
    char *prefixes[S_AGENTS];
    for (size_t i = 0; i < S_AGENTS; i++) {
        char *file = S_STR("%s/%s.jsonl", fx->base.dir, s_units[i]);
        char *agent_state = S_STR("%s/agent-%s", fx->base.dir, s_units[i]);
        prefixes[i] = S_STR("idx-%s-", s_units[i]);
        assert_int_equal(
            harness_write_cases(file, s_units[i], "IDX", prefixes[i], 1, S_EVENTS_PER_UNIT), 0);
        const char *argv[] = {
            DAJIA_AGENT_BIN, "--broker", fx->api, "--unit",    s_units[i], "--state",
            agent_state,     "--window", "8",     "--timeout", "120",      "--resend-ms",
            "1000",          "submit",   file,    NULL};
        assert_int_equal(harness_proc_start(argv, NULL, &fx->agents[i]), 0);
    }
    assert_int_equal(harness_client_new(fx->api, HARNESS_RECV_TIMEOUT_MS, &fx->client), 0);

    int64_t accepted = 0;
    for (int round = 0; round < S_KILLS + S_START_KILLS; round++) {
        if (round < S_KILLS) {
            /* Serving: a kill after a random number of events more. */
            int64_t target = accepted + S_STEP_MIN + rand() % S_STEP_SPREAD;
            int64_t start = s_mono_ms();
            while (accepted < target && accepted < (int64_t)S_AGENTS * S_EVENTS_PER_UNIT) {
                int64_t now = harness_client_accepted(fx->client);
                if (now >= 0)
                    accepted = now;
                if (s_mono_ms() - start > S_PROGRESS_MS)
                    fail_msg("no progress: %lld accepted", (long long)accepted);
                assert_true(harness_proc_running(fx->base.broker));
                harness_sleep_ms(S_POLL_MS);
            }
            if (s_from_file(fx->base.broker) > 0)
                fx->loaded_starts++;
            assert_int_equal(harness_proc_kill(fx->base.broker), 128 + SIGKILL);
            harness_proc_destroy(&fx->base.broker);
            accepted = 0; /* STATS count from each start */
        } else {
            /* Starting with no file: a kill while it reads the log and writes one (the
               broker serving now is killed first: two on one log is not a case). */
            assert_int_equal(harness_proc_kill(fx->base.broker), 128 + SIGKILL);
            harness_proc_destroy(&fx->base.broker);
            unlink(S_STR("%s/%s", fx->base.data, S_INDEX));
            const char *argv[] = {DAJIA_BROKER_BIN, "--data", fx->base.data,
                                  "--api",          fx->api,  NULL};
            harness_opts_t opts = {NULL, true};
            assert_int_equal(harness_proc_start(argv, &opts, &fx->base.broker), 0);
            struct timespec ts = {0, (long)(rand() % S_START_KILL_MS) * 1000000L};
            nanosleep(&ts, NULL);
            harness_proc_kill(fx->base.broker); /* it may have ended already: no status asked */
            harness_proc_destroy(&fx->base.broker);
        }
        fx->base.broker = s_broker_start(fx->base.data, fx->api);
    }
    print_message("%d of %d starts after a kill while serving took entries from the file\n",
                  fx->loaded_starts, S_KILLS - 1);
    assert_true(fx->loaded_starts > 0);

    assert_int_equal(harness_proc_wait_all(fx->agents, S_AGENTS, S_WAIT_MS), 0);
    for (size_t i = 0; i < S_AGENTS; i++)
        if (harness_proc_status(fx->agents[i]) != 0)
            fail_msg("agent %s exited %d; stdout:\n%s", s_units[i],
                     harness_proc_status(fx->agents[i]), harness_proc_stdout(fx->agents[i]));

    /* Every event once, and the events sent again are duplicates of themselves, by the
       broker that started last (on the file its last kill left) and by one that starts
       after a clean stop. */
    harness_record_t *records = NULL;
    size_t count = 0;
    assert_int_equal(harness_dump(fx->base.data, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(harness_check_log(records, count), 0);
    assert_int_equal(count, (size_t)S_AGENTS * S_EVENTS_PER_UNIT);
    s_assert_log_is_answered(fx->client, records, count, 7);
    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
    harness_proc_destroy(&fx->base.broker);
    fx->base.broker = s_broker_start(fx->base.data, fx->api);
    assert_int_equal(s_from_file(fx->base.broker), (long long)count);
    s_assert_log_is_answered(fx->client, records + 1, count - 1, 5);
    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
}

/* ------------------------------------------------------------------ 2: bad files */

#define S_FIRST  600 /* events before the copy of the log */
#define S_SECOND 400 /* events after it */
#define S_MORE   50  /* new events of each start */

/* ids[i] = "<prefix><i>" for i < count, living until the teardown. */
static char **
s_ids(const char *prefix, size_t count)
{
    char **ids = harness_autofree(calloc(count, sizeof *ids));
    assert_non_null(ids);
    for (size_t i = 0; i < count; i++)
        ids[i] = S_STR("%s%zu", prefix, i);
    return ids;
}

/* Sends ids[from .. to) and checks each answer: DUPLICATE at seqs[i] for i < stored,
   else ACCEPTED (its seq then kept in seqs[i]). */
static void
s_expect(harness_client_t *client, char **ids, uint64_t *seqs, size_t from, size_t to,
         size_t stored, const char *when)
{
    size_t n = to - from;
    int *status = calloc(n, sizeof *status);
    uint64_t *got = calloc(n, sizeof *got);
    assert_non_null(status);
    assert_non_null(got);
    s_send_all(client, "psb", ids + from, n, status, got);
    for (size_t k = 0; k < n; k++) {
        size_t i = from + k;
        int want = i < stored ? DAJIA__ACK_STATUS__ACK_STATUS_DUPLICATE
                              : DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED;
        if (status[k] != want || (i < stored && got[k] != seqs[i]))
            fail_msg("%s: %s answered status %d log_seq %llu; expected %s at %llu", when, ids[i],
                     status[k], (unsigned long long)got[k],
                     want == DAJIA__ACK_STATUS__ACK_STATUS_DUPLICATE ? "DUPLICATE" : "ACCEPTED",
                     (unsigned long long)(i < stored ? seqs[i] : 0));
        if (i >= stored)
            seqs[i] = got[k];
    }
    free(status);
    free(got);
}

/* Copies the file `from` to `to` through the shell's cp. */
static void
s_cp(const char *from, const char *to)
{
    const char *argv[] = {"cp", from, to, NULL};
    harness_result_t run;
    assert_int_equal(harness_run(argv, NULL, HARNESS_RUN_TIMEOUT_MS, &run), 0);
    assert_int_equal(run.status, 0);
    harness_result_free(&run);
}

/* Starts the broker, checks what its log says about the file, and connects. */
static void
s_start(fixture_t *fx, const char *expect_line)
{
    fx->base.broker = s_broker_start(fx->base.data, fx->api);
    if (expect_line) {
        harness_proc_running(fx->base.broker);
        if (!strstr(harness_proc_stderr(fx->base.broker), expect_line))
            fail_msg("the broker's log does not say \"%s\":\n%s", expect_line,
                     harness_proc_stderr(fx->base.broker));
    }
    assert_int_equal(harness_client_new(fx->api, HARNESS_RECV_TIMEOUT_MS, &fx->client), 0);
}

static void
s_stop(fixture_t *fx)
{
    harness_client_destroy(&fx->client);
    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
    harness_proc_destroy(&fx->base.broker);
}

static void
test_a_cut_foreign_or_stale_index_file_gives_no_wrong_answer(void **state)
{
    fixture_t *fx = *state;
    size_t total = S_FIRST + S_SECOND + 3 * S_MORE;
    char **ids = s_ids("bad-file-", total);
    uint64_t *seqs = harness_autofree(calloc(total, sizeof *seqs));
    char *index = S_STR("%s/%s", fx->base.data, S_INDEX);
    char *older = S_STR("%s/older.mdb", fx->base.dir);

    /* A log of S_FIRST events, copied; then S_SECOND more: the file covers them all. */
    s_start(fx, NULL);
    s_expect(fx->client, ids, seqs, 0, S_FIRST, 0, "first events");
    s_stop(fx);
    s_cp(S_STR("%s/data.mdb", fx->base.data), older);
    s_start(fx, " from the index file");
    s_expect(fx->client, ids, seqs, 0, S_FIRST + S_SECOND, S_FIRST, "more events");
    s_stop(fx);
    size_t stored = S_FIRST + S_SECOND;

    /* Cut short (in its second chunk): the start reads the rest from the log. */
    assert_int_equal(truncate(index, 2 * 4096 + 100), 0);
    s_start(fx, "508 from the index file");
    s_expect(fx->client, ids, seqs, 0, stored + S_MORE, stored, "a file cut short");
    s_stop(fx);
    stored += S_MORE;

    /* Another log's file, of fewer events than ours (more would be a file newer than
       the log, the case below): that broker's events are others than ours. Its workers
       keep their state beside its data, not beside ours. */
    char *other = S_STR("%s/other/broker", fx->base.dir);
    size_t other_count = stored - 100;
    char **other_ids = s_ids("other-log-", other_count);
    uint64_t *other_seqs = harness_autofree(calloc(other_count, sizeof *other_seqs));
    fx->base.broker = s_broker_start(other, S_STR("ipc://%s/other-api", fx->base.dir));
    assert_int_equal(harness_client_new(S_STR("ipc://%s/other-api", fx->base.dir),
                                        HARNESS_RECV_TIMEOUT_MS, &fx->client),
                     0);
    s_expect(fx->client, other_ids, other_seqs, 0, other_count, 0, "the other log");
    s_stop(fx);
    s_cp(S_STR("%s/%s", other, S_INDEX), index);
    s_start(fx, "another log");
    s_expect(fx->client, ids, seqs, 0, stored + S_MORE, stored, "another log's file");
    s_stop(fx);
    stored += S_MORE;

    /* The log put back from its copy of S_FIRST events, the file left newer: the events
       after the copy are not in the log, and are new again. */
    s_cp(older, S_STR("%s/data.mdb", fx->base.data));
    s_start(fx, "older copy");
    s_expect(fx->client, ids, seqs, 0, S_FIRST, S_FIRST, "the log put back");
    int *status = calloc(stored - S_FIRST, sizeof *status);
    uint64_t *got = calloc(stored - S_FIRST, sizeof *got);
    assert_non_null(status);
    assert_non_null(got);
    s_send_all(fx->client, "psb", ids + S_FIRST, stored - S_FIRST, status, got);
    for (size_t k = 0; k < stored - S_FIRST; k++)
        if (status[k] != DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED || got[k] != S_FIRST + 1 + k)
            fail_msg("the log put back: %s answered status %d log_seq %llu; expected ACCEPTED "
                     "at %zu",
                     ids[S_FIRST + k], status[k], (unsigned long long)got[k], S_FIRST + 1 + k);
    free(status);
    free(got);
    s_stop(fx);

    /* The log in the end: every event once. */
    harness_record_t *records = NULL;
    size_t count = 0;
    assert_int_equal(harness_dump(fx->base.data, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(harness_check_log(records, count), 0);
    assert_int_equal(count, stored);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_killed_while_writing_the_index_it_still_answers_right,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(
            test_a_cut_foreign_or_stale_index_file_gives_no_wrong_answer, s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name("integration.dedup_index", tests, NULL, NULL);
}
