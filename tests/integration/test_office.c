/*  Integration: dajia-office against the real broker and its in-process workers, and
    dajia-sim's load accepted by the real broker.

    The office client catches up on exactly the escalations it missed while it was not
    running (none twice, none left out), and then follows new ones live. What it should
    print is read independently from the broker's feed log with REPLAY over the api.
    An ACK to REPLAY (a broker that lost replay, or refuses it) fails the test.
*/
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "office_fixture.h"

#ifndef DAJIA_SIM_BIN
#error "DAJIA_SIM_BIN must be defined by the build"
#endif

#define S_STR(...) ((char *)harness_autofree(harness_strf(__VA_ARGS__)))
#define S_MAX_SEQS 256
#define S_WAIT_MS  60000 /* for the workers to turn events into escalations */
#define S_POLL_MS  50

typedef struct {
    office_fixture_t base; /* the broker */
    harness_client_t *client;
    uint64_t event_no;
} fixture_t;

static int
s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    *state = fx;
    if (office_fixture_start(&fx->base) != 0)
        return -1;
    return harness_client_new(fx->base.api, HARNESS_RECV_TIMEOUT_MS, &fx->client) == 0 ? 0 : -1;
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    harness_client_destroy(&fx->client);
    office_fixture_stop(&fx->base);
    free(fx);
    return 0;
}

// ====================================================================== the feed

typedef struct {
    uint64_t seqs[S_MAX_SEQS];
    char case_nos[S_MAX_SEQS][OFFICE_FIXTURE_CASE_NO];
    size_t n;
} s_escalations_t;

/* Reads every escalation of the office feed with REPLAY. */
static void
s_feed(fixture_t *fx, s_escalations_t *out)
{
    memset(out, 0, sizeof *out);
    out->n = office_fixture_escalations(fx->client, out->seqs, out->case_nos, S_MAX_SEQS);
}

/* Submits `count` cases of 600k yuan named "<tag>-<i>" and waits until each has an
   escalation in the feed; then fills `feed` with every escalation. */
static void
s_submit_and_wait(fixture_t *fx, const char *tag, size_t count, s_escalations_t *feed)
{
    for (size_t i = 0; i < count; i++) {
        Dajia__Envelope env;
        Dajia__CaseReport report;
        char *id = S_STR("office-it-%" PRIu64, ++fx->event_no);
        char *case_no = S_STR("%s-%zu", tag, i);
        office_fixture_case(&env, &report, id, case_no);
        assert_int_equal(harness_client_submit(fx->client, &env), 0);
        Dajia__Ack *ack = NULL;
        assert_int_equal(harness_client_recv_ack(fx->client, &ack), 0);
        assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
        dajia__ack__free_unpacked(ack, NULL);
    }
    int64_t deadline = harness_now_ms() + S_WAIT_MS;
    for (;;) {
        s_feed(fx, feed);
        size_t seen = 0;
        for (size_t i = 0; i < count; i++) {
            char *case_no = S_STR("%s-%zu", tag, i);
            for (size_t k = 0; k < feed->n; k++)
                if (strcmp(feed->case_nos[k], case_no) == 0) {
                    seen++;
                    break;
                }
        }
        if (seen == count)
            return;
        if (harness_now_ms() > deadline)
            fail_msg("only %zu of %zu cases of %s escalated within %d s", seen, count, tag,
                     S_WAIT_MS / 1000);
        zclock_sleep(S_POLL_MS);
    }
}

/* The feed_seqs of the escalations in `json_lines` (dajia-office --json output). */
static size_t
s_printed(const char *json_lines, uint64_t *seqs, size_t max)
{
    size_t n = 0;
    const char *line = json_lines;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        json_error_t err;
        json_t *obj = json_loadb(line, len, 0, &err);
        if (!obj)
            fail_msg("not a JSON line: %.*s (%s)", (int)len, line, err.text);
        assert_non_null(json_object_get(obj, "escalation"));
        json_t *seq = json_object_get(obj, "feed_seq");
        assert_true(json_is_integer(seq));
        assert_true(n < max);
        seqs[n++] = (uint64_t)json_integer_value(seq);
        json_decref(obj);
        line += len + (end ? 1 : 0);
    }
    return n;
}

static harness_result_t
s_office(fixture_t *fx, const char *a, const char *b, const char *c, const char *d)
{
    const char **argv = office_fixture_argv(&fx->base, NULL, a, b, c, d, NULL);
    harness_result_t run;
    assert_int_equal(harness_run_autofree(argv, &run), 0);
    return run;
}

/* Asserts that `printed` holds exactly feed seqs (from, to] of `feed`, in order. */
static void
s_expect(const uint64_t *printed, size_t n, const s_escalations_t *feed, size_t from, size_t to)
{
    if (n != to - from)
        fail_msg("printed %zu escalations, expected %zu", n, to - from);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(printed[i], feed->seqs[from + i]);
}

// ====================================================================== tests

static void
test_watch_catches_up_exactly_the_missed_escalations(void **state)
{
    fixture_t *fx = *state;
    s_escalations_t feed;
    uint64_t printed[S_MAX_SEQS];

    /* 1. Three escalations; the office catches up on them. */
    s_submit_and_wait(fx, "A", 3, &feed);
    size_t had = feed.n;
    harness_result_t run = s_office(fx, "--json", "watch", "--once", NULL);
    if (run.status != 0)
        fail_msg("watch --once: exit %d: %s", run.status, run.err);
    s_expect(printed, s_printed(run.out, printed, S_MAX_SEQS), &feed, 0, had);

    /* 2. Offline: four more. On start it prints exactly those, none of the first. */
    s_submit_and_wait(fx, "B", 4, &feed);
    size_t missed = feed.n - had;
    assert_true(missed >= 4);
    run = s_office(fx, "--json", "watch", "--count", S_STR("%zu", missed));
    if (run.status != 0)
        fail_msg("watch --count: exit %d: %s", run.status, run.err);
    s_expect(printed, s_printed(run.out, printed, S_MAX_SEQS), &feed, had, feed.n);
    had = feed.n;

    /* 3. Nothing new: nothing printed. */
    run = s_office(fx, "--json", "watch", "--once", NULL);
    assert_int_equal(run.status, 0);
    assert_string_equal(run.out, "");

    /* 4. Live: the watcher runs while two more cases come in. */
    const char **argv =
        office_fixture_argv(&fx->base, NULL, "--json", "watch", "--count", "2", NULL);
    harness_proc_t *watcher = NULL;
    assert_int_equal(harness_proc_start(argv, NULL, &watcher), 0);
    s_submit_and_wait(fx, "C", 2, &feed);
    int status = harness_proc_wait(watcher, S_WAIT_MS);
    if (status != 0) {
        harness_proc_destroy(&watcher);
        fail_msg("the live watcher ended with %d", status);
    }
    size_t n = s_printed(harness_proc_stdout(watcher), printed, S_MAX_SEQS);
    harness_proc_destroy(&watcher);
    s_expect(printed, n, &feed, had, had + 2);
}

static void
test_human_watch_and_matters_and_missing_bulletin(void **state)
{
    fixture_t *fx = *state;
    s_escalations_t feed;
    s_submit_and_wait(fx, "H", 1, &feed);
    harness_result_t run = s_office(fx, "watch", "--once", NULL, NULL);
    assert_int_equal(run.status, 0);
    /* time, level, rule, unit, case, reason */
    assert_non_null(strstr(run.out, "customs"));
    assert_non_null(strstr(run.out, "case H-0"));
    run = s_office(fx, "matters", NULL, NULL, NULL);
    assert_int_equal(run.status, 0);
    assert_non_null(strstr(run.out, "open major matter"));
    run = s_office(fx, "bulletin", "--period", "2001-01", NULL);
    assert_int_equal(run.status, 1);
    assert_non_null(strstr(run.err, "no bulletin for 2001-01"));
}

static void
test_office_errors_are_clear(void **state)
{
    fixture_t *fx = *state;
    /* Nobody listens there: an error within the 5 s answer timeout, exit 1. */
    const char *argv[] = {DAJIA_OFFICE_BIN, "--broker", "tcp://127.0.0.1:1", "--timeout", "1",
                          "matters",        NULL};
    harness_result_t run;
    int64_t t0 = harness_now_ms();
    assert_int_equal(harness_run_autofree(argv, &run), 0);
    assert_int_equal(run.status, 1);
    assert_non_null(strstr(run.err, "no answer from the broker"));
    assert_true(harness_now_ms() - t0 < 10000);
    /* usage */
    run = s_office(fx, "frobnicate", NULL, NULL, NULL);
    assert_int_equal(run.status, 2);
    run = s_office(fx, "bulletin", "--period", "2026-13", NULL);
    assert_int_equal(run.status, 2);
}

static void
test_sim_load_is_all_accepted_and_a_rerun_all_duplicates(void **state)
{
    fixture_t *fx = *state;
    /* The same seed and the same start: the same events. Without --start the run ends at
       the present, which has moved by the second run. */
    const char *argv[] = {DAJIA_SIM_BIN,
                          "--broker",
                          fx->base.api,
                          "--count",
                          "500",
                          "--rate",
                          "2000",
                          "--seed",
                          "9",
                          "--start",
                          "2026-11-01T00:00:00+08:00",
                          NULL};
    harness_result_t run;
    assert_int_equal(harness_run_autofree(argv, &run), 0);
    if (run.status != 0)
        fail_msg("dajia-sim: exit %d\n%s%s", run.status, run.out, run.err);
    assert_non_null(strstr(run.out, "sent 500 accepted 500 duplicates 0 rejected 0 unanswered 0"));
    /* Same seed: same event ids, so the broker stores nothing twice. */
    assert_int_equal(harness_run_autofree(argv, &run), 0);
    assert_int_equal(run.status, 0);
    assert_non_null(strstr(run.out, "sent 500 accepted 0 duplicates 500 rejected 0"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_watch_catches_up_exactly_the_missed_escalations,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_human_watch_and_matters_and_missing_bulletin, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_office_errors_are_clear, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_sim_load_is_all_accepted_and_a_rerun_all_duplicates,
                                        s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
