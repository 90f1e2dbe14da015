/*  Integration: the same events give the same escalations whether they arrive live or as
    a backlog (issue 9, part 4; docs/domain.md §8).

    A stream of nine events over thirty days, written for this test: a major matter of
    agri reported on time with progress every ten days; a major matter of msa never
    reported on again (overdue 1, 7 and 15 days); an msa case transferred to the police
    whose police decision and handover are each reported after their deadline; a psb case
    worth 800,000 yuan. Each event makes an office feed item of its own, so the test can
    tell when it has been applied.

    Live: the broker (with its in-process workers) is started once per event with
    DAJIA_CLOCK a second after the event occurred, the event is submitted and applied, and
    the broker is stopped; a last start at the end of the stream lets the remaining timers
    fire. Backlog: a fresh broker whose clock is at the end of the stream takes all nine
    events at once. Both read the office feed: the escalations (every field, words
    included) and the last state of each major matter must be the same, and the
    escalations those worked out by hand. The escalate worker is told to take a unit as
    quiet after 5 s without its events (escalate/unit_quiet_seconds), so the test does not
    wait the default minute.
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

#define S_T0        1793577600000LL /* 2026-11-02T00:00:00Z, 08:00 in Beijing */
#define S_DAY       86400000LL
#define S_END       (S_T0 + 40 * S_DAY)
#define S_QUIET_S   5
#define S_WAIT_MS   60000 /* for what a run should produce */
#define S_SETTLE_MS 8000  /* more than the quiet time and a tick: nothing more may come */
#define S_LINES     64

typedef struct {
    char *dir;
    char *config;
    harness_proc_t *broker;
    harness_client_t *client;
    char api[256];
    char *lines[2][S_LINES]; /* per run: escalations, then "~matter " states */
    size_t n_lines[2];
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
    fx->config = harness_strf("%s/dajia.cfg", fx->dir);
    FILE *f = fopen(fx->config, "w");
    if (!f)
        return -1;
    fprintf(f, "escalate\n    unit_quiet_seconds = %d\n", S_QUIET_S);
    return fclose(f) == 0 ? 0 : -1;
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    harness_client_destroy(&fx->client);
    harness_proc_destroy(&fx->broker);
    for (int r = 0; r < 2; r++)
        for (size_t i = 0; i < fx->n_lines[r]; i++)
            free(fx->lines[r][i]);
    if (fx->dir)
        harness_rm_rf(fx->dir);
    free(fx->dir);
    free(fx->config);
    free(fx);
    harness_autofree_all();
    return 0;
}

/* The broker on `data` with its clock at `clock_ms`. */
static void
s_start(fixture_t *fx, const char *data, int64_t clock_ms)
{
    char *clock = harness_autofree(harness_strf("DAJIA_CLOCK=%lld", (long long)clock_ms));
    const char *argv[] = {DAJIA_BROKER_BIN,    "--data",   data,       "--api",
                          "tcp://127.0.0.1:*", "--config", fx->config, NULL};
    const char *env[] = {clock, NULL};
    harness_opts_t opts = {.env = env, .capture_stderr = false};
    assert_int_equal(harness_proc_start(argv, &opts, &fx->broker), 0);
    int rc = harness_proc_wait_ready(fx->broker, HARNESS_READY_TIMEOUT_MS, fx->api, sizeof fx->api);
    if (rc)
        fail_msg("the broker gave no READY line (%d): %s", rc, harness_proc_stdout(fx->broker));
    assert_int_equal(harness_client_new(fx->api, HARNESS_RECV_TIMEOUT_MS, &fx->client), 0);
}

static void
s_stop(fixture_t *fx)
{
    harness_client_destroy(&fx->client);
    assert_int_equal(harness_proc_stop(fx->broker), 0);
    harness_proc_destroy(&fx->broker);
}

/* ================================================================ the stream */

#define S_EVENTS 9

typedef struct {
    Dajia__Envelope env;
    Dajia__CaseReport report;
    Dajia__MajorMatterReport matter;
    Dajia__MajorMatterProgress progress;
    char event_id[32];
} s_event_t;

static void
s_envelope(s_event_t *ev, size_t i, const char *unit, int64_t at)
{
    dajia__envelope__init(&ev->env);
    snprintf(ev->event_id, sizeof ev->event_id, "backlog-%zu", i);
    ev->env.event_id = ev->event_id;
    ev->env.unit = (char *)unit;
    ev->env.reporter = "integration test";
    ev->env.region = "411502";
    ev->env.occurred_at = at;
    ev->env.reported_at = at + 60000;
}

static Dajia__CaseReport *
s_case(s_event_t *ev, size_t i, const char *unit, const char *case_no, int64_t at)
{
    s_envelope(ev, i, unit, at);
    dajia__case_report__init(&ev->report);
    ev->report.case_no = (char *)case_no;
    ev->report.category = DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING;
    ev->report.stage = DAJIA__CASE_STAGE__CASE_STAGE_FILED;
    ev->report.case_value_fen = 1250000; /* 12,500 yuan: no E3 */
    ev->env.body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
    ev->env.case_report = &ev->report;
    return &ev->report;
}

static void
s_matter(s_event_t *ev, size_t i, const char *unit, const char *matter_id, int64_t at)
{
    s_envelope(ev, i, unit, at);
    dajia__major_matter_report__init(&ev->matter);
    ev->matter.matter_id = (char *)matter_id;
    ev->matter.type = DAJIA__MATTER_TYPE__MATTER_TYPE_MAJOR_CASE;
    ev->matter.severity = DAJIA__SEVERITY__SEVERITY_MAJOR; /* progress every 15 days */
    ev->matter.title = "跨省制售假冒化肥案";
    ev->env.body_case = DAJIA__ENVELOPE__BODY_MAJOR_MATTER;
    ev->env.major_matter = &ev->matter;
}

static void
s_progress(s_event_t *ev, size_t i, const char *unit, const char *matter_id, uint32_t seq,
           Dajia__MatterStatus status, int64_t at)
{
    s_envelope(ev, i, unit, at);
    dajia__major_matter_progress__init(&ev->progress);
    ev->progress.matter_id = (char *)matter_id;
    ev->progress.seq = seq;
    ev->progress.status = status;
    ev->progress.narrative = "查封仓库两处";
    ev->env.body_case = DAJIA__ENVELOPE__BODY_MATTER_PROGRESS;
    ev->env.matter_progress = &ev->progress;
}

/* The nine events, occurred_at ascending. */
static void
s_stream(s_event_t *ev)
{
    const int64_t d = S_DAY;
    s_matter(&ev[0], 0, "agri", "MM-A", S_T0);    /* due T0 + 15 d */
    s_matter(&ev[1], 1, "msa", "MM-B", S_T0 + d); /* due T0 + 16 d, never reported on */
    Dajia__CaseReport *r = s_case(&ev[2], 2, "msa", "L-1", S_T0 + 2 * d);
    r->linkage = DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_TRANSFERRED; /* decision by T0 + 5 d */
    r->transferred_at = S_T0 + 2 * d;
    s_case(&ev[3], 3, "psb", "V-1", S_T0 + 3 * d)->case_value_fen = 80000000;
    r = s_case(&ev[4], 4, "msa", "L-1", S_T0 + 6 * d); /* decided day 4, reported day 6 */
    r->linkage = DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_POLICE_FILED; /* handover by T0 + 7 d */
    r->police_decision_at = S_T0 + 4 * d;
    r->case_value_fen = 60000000;
    r = s_case(&ev[5], 5, "msa", "L-1", S_T0 + 8 * d);
    r->linkage = DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_MATERIALS_HANDED_OVER;
    r->media_attention = 1;
    s_progress(&ev[6], 6, "agri", "MM-A", 1, DAJIA__MATTER_STATUS__MATTER_STATUS_IN_PROGRESS,
               S_T0 + 10 * d);
    s_progress(&ev[7], 7, "agri", "MM-A", 2, DAJIA__MATTER_STATUS__MATTER_STATUS_IN_PROGRESS,
               S_T0 + 20 * d);
    s_progress(&ev[8], 8, "agri", "MM-A", 3, DAJIA__MATTER_STATUS__MATTER_STATUS_RESOLVED,
               S_T0 + 30 * d);
}

/* The escalations worked out by hand (docs/domain.md §5), sorted. */
static const char *const s_expected[] = {
    "DEADLINE-HANDOVER:msa/L-1@1794182400000",        /* T0 + 7 d */
    "DEADLINE-POLICE-DECISION:msa/L-1@1794009600000", /* T0 + 5 d */
    "E1:msa/L-1:transferred",
    "E3:msa/L-1",
    "E3:psb/V-1",
    "E4:msa/L-1:media",
    "MM:agri/MM-A",
    "MM:msa/MM-B",
    "OVERDUE-15D:msa/MM-B@1794960000000", /* due T0 + 16 d */
    "OVERDUE-1D:msa/MM-B@1794960000000",
    "OVERDUE-7D:msa/MM-B@1794960000000",
};
#define S_EXPECTED (sizeof s_expected / sizeof s_expected[0])

/* Submits `env` and returns its log_seq. */
static uint64_t
s_submit(fixture_t *fx, const Dajia__Envelope *env)
{
    assert_int_equal(harness_client_submit(fx->client, env), 0);
    Dajia__Ack *ack = NULL;
    assert_int_equal(harness_client_recv_ack(fx->client, &ack), 0);
    if (ack->status != DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED)
        fail_msg("%s was not accepted: %s", env->event_id, ack->reason_text);
    uint64_t seq = ack->log_seq;
    dajia__ack__free_unpacked(ack, NULL);
    return seq;
}

/* ================================================================ the office feed */

typedef struct {
    size_t escalations;
    bool has_source; /* an escalate item of the wanted source_log_seq */
} s_seen_t;

/* Reads the whole office feed; counts escalations, looks for an escalate item of
   `source` (0: none wanted) and, when `run` >= 0, keeps the run's lines. */
static s_seen_t
s_read_feed(fixture_t *fx, uint64_t source, int run)
{
    s_seen_t seen = {0, false};
    char *matters[S_LINES] = {0};
    size_t n_matters = 0;
    uint64_t from = 1;
    bool more = true;
    while (more) {
        Dajia__FeedBatch *batch = NULL;
        assert_int_equal(
            harness_client_replay(fx->client, DAJIA__AUDIENCE__AUDIENCE_OFFICE, from, 0, &batch),
            0);
        assert_int_equal(batch->reason, DAJIA__REASON__REASON_NONE);
        for (size_t i = 0; i < batch->n_items; i++) {
            const Dajia__FeedItem *item = batch->items[i];
            from = item->feed_seq + 1;
            if (strcmp(item->service, "escalate") != 0)
                continue;
            if (source && item->source_log_seq == source)
                seen.has_source = true;
            char *line = NULL;
            if (item->item_case == DAJIA__FEED_ITEM__ITEM_ESCALATION) {
                const Dajia__Escalation *e = item->escalation;
                seen.escalations++;
                if (run >= 0)
                    line = harness_strf("%s|%s|%d|%s|%s|%s|%s|%s|%lld|%lld|%s", e->escalation_id,
                                        e->rule, (int)e->level, e->unit, e->case_no, e->matter_id,
                                        e->source_event_id, e->action, (long long)e->escalated_at,
                                        (long long)e->due_at, e->reason);
                if (line) {
                    assert_true(fx->n_lines[run] < S_LINES);
                    fx->lines[run][fx->n_lines[run]++] = line;
                }
            } else if (run >= 0 && item->item_case == DAJIA__FEED_ITEM__ITEM_MATTER) {
                /* The last line of each matter is its state. */
                const Dajia__MatterLine *m = item->matter;
                line = harness_strf(
                    "~matter %s/%s|%d|%d|%lld|%lld|%lld|%s", m->unit, m->matter_id,
                    (int)m->severity, (int)m->status, (long long)m->last_progress_at,
                    (long long)m->next_update_due_at, (long long)m->days_overdue, m->title);
                size_t key = strcspn(line, "|") + 1, at = 0;
                while (at < n_matters && strncmp(matters[at], line, key) != 0)
                    at++;
                assert_true(at < S_LINES);
                if (at == n_matters)
                    n_matters++;
                else
                    free(matters[at]);
                matters[at] = line;
            }
        }
        more = batch->more && batch->n_items > 0;
        dajia__feed_batch__free_unpacked(batch, NULL);
    }
    for (size_t i = 0; i < n_matters; i++) {
        assert_true(fx->n_lines[run] < S_LINES);
        fx->lines[run][fx->n_lines[run]++] = matters[i];
    }
    return seen;
}

/* Waits until the office feed holds an escalate item of `source`. */
static void
s_wait_source(fixture_t *fx, uint64_t source)
{
    int64_t deadline = harness_now_ms() + S_WAIT_MS;
    while (!s_read_feed(fx, source, -1).has_source) {
        if (harness_now_ms() > deadline)
            fail_msg("log_seq %llu made no escalate item in %d s", (unsigned long long)source,
                     S_WAIT_MS / 1000);
        zclock_sleep(50);
    }
}

/* The escalate worker's lag behind the log (STATS), or -1 when STATS does not answer. */
static int64_t
s_escalate_lag(fixture_t *fx)
{
    char *json = harness_client_stats(fx->client);
    int64_t lag = json ? harness_json_u64(json, "workers/escalate/lag") : -1;
    free(json);
    return lag;
}

/* Waits for `count` escalations and for the escalate worker to have applied the whole
   log, then a while longer, and keeps what the feed holds. */
static void
s_settle(fixture_t *fx, int run)
{
    int64_t deadline = harness_now_ms() + S_WAIT_MS;
    while (s_read_feed(fx, 0, -1).escalations < S_EXPECTED || s_escalate_lag(fx) != 0) {
        if (harness_now_ms() > deadline)
            break; /* the comparison below says what is missing */
        zclock_sleep(200);
    }
    zclock_sleep(S_SETTLE_MS);
    s_read_feed(fx, 0, run);
}

static int
s_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ================================================================ the test */

static void
test_backlog_and_live_give_the_same_escalations_and_matter_states(void **state)
{
    fixture_t *fx = *state;
    s_event_t events[S_EVENTS];
    s_stream(events);

    /* Live: a broker per event, its clock a second after the event. */
    char *data = harness_autofree(harness_strf("%s/live/data", fx->dir));
    for (size_t i = 0; i < S_EVENTS; i++) {
        s_start(fx, data, events[i].env.occurred_at + 1000);
        uint64_t seq = s_submit(fx, &events[i].env);
        s_wait_source(fx, seq);
        s_stop(fx);
    }
    s_start(fx, data, S_END);
    s_settle(fx, 0);
    s_stop(fx);

    /* Backlog: the clock at the end, everything at once. */
    data = harness_autofree(harness_strf("%s/backlog/data", fx->dir));
    s_start(fx, data, S_END);
    for (size_t i = 0; i < S_EVENTS; i++)
        s_submit(fx, &events[i].env);
    s_settle(fx, 1);
    s_stop(fx);

    for (int r = 0; r < 2; r++)
        qsort(fx->lines[r], fx->n_lines[r], sizeof(char *), s_cmp);
    for (size_t i = 0; i < fx->n_lines[0]; i++)
        print_message("live:    %s\n", fx->lines[0][i]);
    for (size_t i = 0; i < fx->n_lines[1]; i++)
        print_message("backlog: %s\n", fx->lines[1][i]);

    /* The escalations are those worked out by hand (the lines sort escalations, by id,
       before the "~matter " states). */
    assert_true(fx->n_lines[0] >= S_EXPECTED);
    for (size_t i = 0; i < S_EXPECTED; i++)
        if (strncmp(fx->lines[0][i], s_expected[i], strlen(s_expected[i])) != 0 ||
            fx->lines[0][i][strlen(s_expected[i])] != '|')
            fail_msg("escalation %zu: %s, expected %s", i, fx->lines[0][i], s_expected[i]);
    assert_int_equal(fx->n_lines[0], S_EXPECTED + 2); /* and the states of MM-A and MM-B */
    assert_non_null(strstr(fx->lines[0][S_EXPECTED], "~matter agri/MM-A|"));

    /* Both runs, every field. */
    assert_int_equal(fx->n_lines[1], fx->n_lines[0]);
    for (size_t i = 0; i < fx->n_lines[0]; i++)
        assert_string_equal(fx->lines[1][i], fx->lines[0][i]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_backlog_and_live_give_the_same_escalations_and_matter_states, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
