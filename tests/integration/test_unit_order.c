/*  Integration: a unit's reports take effect in the order the unit made them, whatever
    order they are stored in (issue 9, part 8; docs/domain.md §4.2, "Order").

    Each test makes two runs of a broker (its workers as threads) fed by dajia-agent: one
    in order, one out of it, and folds each run's aggregate from a REPLAY of the public
    feed, as a dashboard would (the latest row per cell, all-zero rows left out). The two
    folds must be equal cell by cell, and their totals must be the figures worked out by
    hand from the reports.
      - A correction stored before the report it corrects: in order, one agent run
        submits the report, then its correction; out of order, one agent run submits the
        correction, a second run the report.
      - A report stored after a correction of an earlier report, though the unit made it
        before that correction: the test submits the three events itself, numbered as the
        agent would number them, in order (R1, R2, C1) and as R1, C1, R2.
      - A broker killed with SIGKILL while the agent submits several reports of each of
        its cases, then restarted on the same directory and endpoint: the agent resends
        what was not answered and the figures are those of a run with no kill.
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

#define S_FIGS        13
#define S_CELL_MAX    512
#define S_POLL_MS     50
#define S_DEADLINE_MS 120000
#define S_CASES       30
#define S_REPORTS     8 /* per case, in the kill test */
#define S_KILL_EVENTS (S_CASES * S_REPORTS)
#define S_KILL_AFTER  (S_KILL_EVENTS / 4) /* accepted before the kill */

typedef struct {
    char period[16];
    char unit[32];
    int category, goods;
    int64_t f[S_FIGS];
} cell_t;

typedef struct {
    cell_t cells[S_CELL_MAX];
    size_t count;
    uint64_t next_seq, through;
} fold_t;

typedef struct {
    harness_fixture_t base; /* the directory and the broker on base.data */
    char *api, *state;      /* the broker's ipc endpoint; the agent's state directory */
    harness_client_t *client;
    fold_t fold;
} run_t;

typedef struct {
    run_t runs[2];
} fixture_t;

/* ================================================================ plumbing */

static int
s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    *state = fx;
    for (size_t i = 0; i < 2; i++) {
        run_t *run = &fx->runs[i];
        if (harness_fixture_init(&run->base) != 0)
            return -1;
        run->api = harness_strf("ipc://%s/api", run->base.dir);
        run->state = harness_strf("%s/agent", run->base.dir);
        run->fold.next_seq = 1;
    }
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    for (size_t i = 0; fx && i < 2; i++) {
        run_t *run = &fx->runs[i];
        harness_client_destroy(&run->client);
        harness_fixture_clear(&run->base);
        free(run->api);
        free(run->state);
    }
    free(fx);
    harness_autofree_all();
    return 0;
}

static void
s_broker_start(run_t *run)
{
    char endpoint[256];
    assert_int_equal(harness_broker_start(run->base.data, run->api, NULL, &run->base.broker,
                                          endpoint, sizeof endpoint),
                     0);
    assert_string_equal(endpoint, run->api);
    if (!run->client)
        assert_int_equal(harness_client_new(run->api, HARNESS_RECV_TIMEOUT_MS, &run->client), 0);
}

static harness_proc_t *
s_agent_start(run_t *run, const char *file)
{
    const char *argv[] = {DAJIA_AGENT_BIN, "--broker", run->api, "--unit",    "msa", "--state",
                          run->state,      "--window", "8",      "--timeout", "120", "--resend-ms",
                          "300",           "submit",   file,     NULL};
    harness_proc_t *agent = NULL;
    assert_int_equal(harness_proc_start(argv, NULL, &agent), 0);
    return agent;
}

static void
s_agent_finish(harness_proc_t **agent)
{
    int status = harness_proc_wait(*agent, S_DEADLINE_MS);
    if (status != 0)
        fail_msg("dajia-agent exited %d; stdout:\n%s", status, harness_proc_stdout(*agent));
    harness_proc_destroy(agent);
}

static void
s_agent_run(run_t *run, const char *file)
{
    harness_proc_t *agent = s_agent_start(run, file);
    s_agent_finish(&agent);
}

/* ================================================================ the fold */

static void
s_fold_row(fold_t *fold, const Dajia__AggregateRow *row)
{
    assert_true(row->period && strlen(row->period) < sizeof fold->cells[0].period);
    assert_true(row->unit && strlen(row->unit) < sizeof fold->cells[0].unit);
    cell_t *c = NULL;
    for (size_t i = 0; i < fold->count && !c; i++) {
        cell_t *x = &fold->cells[i];
        if (x->category == (int)row->category && x->goods == (int)row->goods &&
            strcmp(x->period, row->period) == 0 && strcmp(x->unit, row->unit) == 0)
            c = x;
    }
    if (!c) {
        assert_true(fold->count < S_CELL_MAX);
        c = &fold->cells[fold->count++];
        snprintf(c->period, sizeof c->period, "%s", row->period);
        snprintf(c->unit, sizeof c->unit, "%s", row->unit);
        c->category = (int)row->category;
        c->goods = (int)row->goods;
    }
    const Dajia__Figures *f = row->figures;
    int64_t v[S_FIGS] = {0};
    if (f) {
        int64_t w[S_FIGS] = {f->cases_filed,        f->cases_closed,
                             f->case_value_fen,     f->fines_confiscations_fen,
                             f->loss_recovered_fen, f->transfers_to_police,
                             f->dens_destroyed,     f->suspects_arrested,
                             f->arrests_approved,   f->prosecutions,
                             f->judgments,          f->suspects_detained,
                             f->persons_prosecuted};
        memcpy(v, w, sizeof v);
    }
    memcpy(c->f, v, sizeof v);
}

static void
s_fold_replay(run_t *run)
{
    fold_t *fold = &run->fold;
    bool more = true;
    while (more) {
        Dajia__FeedBatch *batch = NULL;
        assert_int_equal(harness_client_replay(run->client, DAJIA__AUDIENCE__AUDIENCE_PUBLIC,
                                               fold->next_seq, 0, &batch),
                         0);
        for (size_t i = 0; i < batch->n_items; i++) {
            const Dajia__FeedItem *item = batch->items[i];
            fold->next_seq = item->public_seq + 1; /* a public reader's position */
            if (item->item_case != DAJIA__FEED_ITEM__ITEM_AGGREGATE)
                continue;
            for (size_t r = 0; r < item->aggregate->n_rows; r++)
                s_fold_row(fold, item->aggregate->rows[r]);
            if (item->aggregate->through_log_seq > fold->through)
                fold->through = item->aggregate->through_log_seq;
        }
        more = batch->more && batch->n_items > 0;
        dajia__feed_batch__free_unpacked(batch, NULL);
    }
}

/* Folds until an AggregateUpdate counts every event of the log (`events` of them). */
static void
s_wait_counted(run_t *run, uint64_t events)
{
    int64_t deadline = harness_now_ms() + S_DEADLINE_MS;
    while (s_fold_replay(run), run->fold.through < events) {
        if (harness_now_ms() > deadline)
            fail_msg("the aggregate counts through %llu of %llu events",
                     (unsigned long long)run->fold.through, (unsigned long long)events);
        zclock_sleep(S_POLL_MS); /* the next emission is up to a second away */
    }
}

static bool
s_zero(const cell_t *c)
{
    for (size_t i = 0; i < S_FIGS; i++)
        if (c->f[i])
            return false;
    return true;
}

/* Every non-zero cell of `a` is in `b` with the same figures. */
static void
s_fold_within(const fold_t *a, const fold_t *b, const char *a_name, const char *b_name)
{
    for (size_t i = 0; i < a->count; i++) {
        const cell_t *c = &a->cells[i];
        if (s_zero(c))
            continue;
        const cell_t *d = NULL;
        for (size_t j = 0; j < b->count && !d; j++)
            if (b->cells[j].category == c->category && b->cells[j].goods == c->goods &&
                strcmp(b->cells[j].period, c->period) == 0 &&
                strcmp(b->cells[j].unit, c->unit) == 0)
                d = &b->cells[j];
        if (!d)
            fail_msg("cell %s/%s/%d/%d is in %s, not in %s", c->period, c->unit, c->category,
                     c->goods, a_name, b_name);
        for (size_t f = 0; f < S_FIGS; f++)
            if (c->f[f] != d->f[f])
                fail_msg("cell %s/%s/%d/%d figure %zu: %s %lld, %s %lld", c->period, c->unit,
                         c->category, c->goods, f, a_name, (long long)c->f[f], b_name,
                         (long long)d->f[f]);
    }
}

static void
s_folds_equal(const fixture_t *fx)
{
    s_fold_within(&fx->runs[0].fold, &fx->runs[1].fold, "in order", "out of order");
    s_fold_within(&fx->runs[1].fold, &fx->runs[0].fold, "out of order", "in order");
}

/* The sum of figure `f` over every cell of the fold in `period` (NULL: all). */
static int64_t
s_total(const fold_t *fold, const char *period, size_t f)
{
    int64_t sum = 0;
    for (size_t i = 0; i < fold->count; i++)
        if (!period || strcmp(fold->cells[i].period, period) == 0)
            sum += fold->cells[i].f[f];
    return sum;
}

enum { F_FILED = 0, F_CLOSED = 1, F_VALUE = 2, F_FINES = 3, F_ARRESTED = 7 };

/* ================================================================ the reports */

static FILE *
s_open(const char *path)
{
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    return file;
}

static void
s_close(FILE *file)
{
    assert_int_equal(ferror(file), 0);
    assert_int_equal(fclose(file), 0);
}

/* Case A's report (Aug 10, filed, 1000.00 yuan, 3 arrested) and its correction (Oct 20:
   1200.00 yuan, 4 arrested); case B, two reports in order (Sep 5 filed 500.00 with 1
   arrested, Oct 5 closed with 2). */
static const char s_report_a[] =
    "{\"event_id\":\"ord-a1\",\"unit\":\"msa\",\"occurred_at\":\"2026-08-10T04:00:00Z\","
    "\"case_report\":{\"case_no\":\"ORD-A\",\"category\":\"trademark_counterfeiting\","
    "\"goods\":[\"tea\"],\"stage\":\"filed\",\"filed_at\":\"2026-08-10T04:00:00Z\","
    "\"case_value_fen\":100000,\"suspects_arrested\":3}}\n";
static const char s_correction_a[] =
    "{\"event_id\":\"ord-a2\",\"unit\":\"msa\",\"occurred_at\":\"2026-10-20T04:00:00Z\","
    "\"supersedes_event_id\":\"ord-a1\","
    "\"case_report\":{\"case_no\":\"ORD-A\",\"category\":\"trademark_counterfeiting\","
    "\"goods\":[\"tea\"],\"stage\":\"filed\",\"filed_at\":\"2026-08-10T04:00:00Z\","
    "\"case_value_fen\":120000,\"suspects_arrested\":4}}\n";
static const char s_reports_b[] =
    "{\"event_id\":\"ord-b1\",\"unit\":\"msa\",\"occurred_at\":\"2026-09-05T04:00:00Z\","
    "\"case_report\":{\"case_no\":\"ORD-B\",\"category\":\"trademark_counterfeiting\","
    "\"goods\":[\"tea\"],\"stage\":\"filed\",\"filed_at\":\"2026-09-05T04:00:00Z\","
    "\"case_value_fen\":50000,\"suspects_arrested\":1}}\n"
    "{\"event_id\":\"ord-b2\",\"unit\":\"msa\",\"occurred_at\":\"2026-10-05T04:00:00Z\","
    "\"case_report\":{\"case_no\":\"ORD-B\",\"category\":\"trademark_counterfeiting\","
    "\"goods\":[\"tea\"],\"stage\":\"closed\",\"filed_at\":\"2026-09-05T04:00:00Z\","
    "\"closed_at\":\"2026-10-05T04:00:00Z\",\"case_value_fen\":50000,"
    "\"suspects_arrested\":2}}\n";

/* Report r of case k for the kill test: the case is filed on day k + 1 of March (2026),
   then reported once a month from March to October; each report raises the value by
   10.00 yuan and the arrests by one plus k % 3; the last report of an odd case closes
   it. Every date is named, so no fact depends on which report came first. */
static void
s_write_kill_report(FILE *file, size_t k, size_t r)
{
    int day = (int)k % 28 + 1;
    fprintf(file,
            "{\"event_id\":\"kill-%zu-%zu\",\"unit\":\"msa\","
            "\"occurred_at\":\"2026-%02zu-%02dT04:00:00Z\","
            "\"case_report\":{\"case_no\":\"KILL-%zu\",\"category\":\"%s\",\"goods\":[\"tea\"],"
            "\"stage\":\"%s\",\"filed_at\":\"2026-03-%02dT04:00:00Z\",",
            k, r, 3 + r, day, k, k % 2 ? "trademark_counterfeiting" : "patent_passing_off",
            r + 1 == S_REPORTS && k % 2 ? "closed"
            : r                         ? "investigating"
                                        : "filed",
            day);
    if (r + 1 == S_REPORTS && k % 2)
        fprintf(file, "\"closed_at\":\"2026-%02zu-%02dT04:00:00Z\",", 3 + r, day);
    fprintf(file, "\"case_value_fen\":%zu,\"suspects_arrested\":%zu}}\n",
            100000 + k * 100 + r * 1000, (r + 1) * (1 + k % 3));
}

/* ================================================================ tests */

static void
test_correction_stored_before_its_report_counts_as_in_order(void **state)
{
    fixture_t *fx = *state;
    run_t *in = &fx->runs[0], *out = &fx->runs[1];

    const char *all = harness_autofree(harness_strf("%s/all.jsonl", in->base.dir));
    FILE *file = s_open(all);
    fputs(s_report_a, file);
    fputs(s_reports_b, file);
    fputs(s_correction_a, file);
    s_close(file);
    s_broker_start(in);
    s_agent_run(in, all);
    s_wait_counted(in, 4);

    /* Out of order: the correction alone first, then the report it corrects. */
    const char *first = harness_autofree(harness_strf("%s/first.jsonl", out->base.dir));
    const char *then = harness_autofree(harness_strf("%s/then.jsonl", out->base.dir));
    file = s_open(first);
    fputs(s_correction_a, file);
    s_close(file);
    file = s_open(then);
    fputs(s_report_a, file);
    fputs(s_reports_b, file);
    s_close(file);
    s_broker_start(out);
    s_agent_run(out, first);
    s_wait_counted(out, 1);
    /* Until its report comes the correction counts on its own, at its own time. */
    assert_int_equal(s_total(&out->fold, "2026-10", F_ARRESTED), 4);
    s_agent_run(out, then);
    s_wait_counted(out, 4);

    s_folds_equal(fx);
    /* By hand: Aug: A filed, 1200.00 yuan, 4 arrested (the correction in the report's
       place). Sep: B filed, 500.00, 1 arrested. Oct: B closed, 1 more arrested. */
    for (size_t i = 0; i < 2; i++) {
        const fold_t *fold = &fx->runs[i].fold;
        assert_int_equal(s_total(fold, "2026-08", F_FILED), 1);
        assert_int_equal(s_total(fold, "2026-08", F_VALUE), 120000);
        assert_int_equal(s_total(fold, "2026-08", F_ARRESTED), 4);
        assert_int_equal(s_total(fold, "2026-09", F_FILED), 1);
        assert_int_equal(s_total(fold, "2026-09", F_VALUE), 50000);
        assert_int_equal(s_total(fold, "2026-09", F_ARRESTED), 1);
        assert_int_equal(s_total(fold, "2026-10", F_CLOSED), 1);
        assert_int_equal(s_total(fold, "2026-10", F_ARRESTED), 1);
        assert_int_equal(s_total(fold, "2026-10", F_FILED), 0);
    }
}

/* Case ORD-C of msa, in the unit's order: R1 (Aug 10: filed, 1000.00 yuan, 2 arrested),
   R2 (Sep 10: closed, the value carried forward, fines 500.00, 5 arrested), C1 (Oct 10:
   corrects R1 to 1500.00 yuan and 3 arrested). */
typedef struct {
    const char *id, *supersedes;
    uint64_t unit_seq;
    int64_t at, closed_at, value, fines, arrested;
} s_direct_t;

#define S_AUG10 1786327200000LL /* 2026-08-10 10:00 Beijing */
#define S_SEP10 1789005600000LL
#define S_OCT10 1791597600000LL

static const s_direct_t s_direct[] = {
    {"ord-c1", NULL, 1, S_AUG10, 0, 100000, 0, 2},
    {"ord-c2", NULL, 2, S_SEP10, S_SEP10, 100000, 50000, 5},
    {"ord-c3", "ord-c1", 3, S_OCT10, 0, 150000, 0, 3},
};

/* Submits s_direct[i] as msa's, with its unit_seq, and waits for its acceptance. */
static void
s_submit_direct(run_t *run, size_t i)
{
    const s_direct_t *d = &s_direct[i];
    Dajia__Envelope env;
    Dajia__CaseReport report;
    harness_envelope_init(&env, &report, "msa", d->id, "ORD-C");
    env.unit_seq = d->unit_seq;
    env.occurred_at = d->at;
    env.supersedes_event_id = (char *)(d->supersedes ? d->supersedes : "");
    report.stage =
        d->closed_at ? DAJIA__CASE_STAGE__CASE_STAGE_CLOSED : DAJIA__CASE_STAGE__CASE_STAGE_FILED;
    report.filed_at = S_AUG10;
    report.closed_at = d->closed_at;
    report.case_value_fen = d->value;
    report.fines_confiscations_fen = d->fines;
    report.suspects_arrested = d->arrested;
    assert_int_equal(harness_client_submit(run->client, &env), 0);
    Dajia__Ack *ack = NULL;
    assert_int_equal(harness_client_recv_ack(run->client, &ack), 0);
    Dajia__AckStatus status = ack->status;
    dajia__ack__free_unpacked(ack, NULL);
    assert_int_equal(status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
}

static void
test_report_stored_after_a_later_correction_counts_as_in_order(void **state)
{
    fixture_t *fx = *state;
    const size_t orders[2][3] = {{0, 1, 2}, {0, 2, 1}};
    for (size_t r = 0; r < 2; r++) {
        s_broker_start(&fx->runs[r]);
        for (size_t i = 0; i < 3; i++)
            s_submit_direct(&fx->runs[r], orders[r][i]);
        s_wait_counted(&fx->runs[r], 3);
    }
    s_folds_equal(fx);
    /* By hand: R2 carried R1's value forward, so C1's 1500.00 stands; R1's increase
       becomes 3 (C1's total) in Aug, R2's stays 5 - 2 = 3 in Sep. Aug: filed, 1500.00,
       3 arrested. Sep: closed, fines 500.00, 3 arrested. */
    for (size_t i = 0; i < 2; i++) {
        const fold_t *fold = &fx->runs[i].fold;
        assert_int_equal(s_total(fold, "2026-08", F_FILED), 1);
        assert_int_equal(s_total(fold, "2026-08", F_VALUE), 150000);
        assert_int_equal(s_total(fold, "2026-08", F_ARRESTED), 3);
        assert_int_equal(s_total(fold, "2026-09", F_CLOSED), 1);
        assert_int_equal(s_total(fold, "2026-09", F_FINES), 50000);
        assert_int_equal(s_total(fold, "2026-09", F_ARRESTED), 3);
        assert_int_equal(s_total(fold, "2026-09", F_VALUE), 0);
    }
}

static int64_t
s_stats_accepted(harness_client_t *client)
{
    char *json = harness_client_stats(client);
    int64_t accepted = json ? (int64_t)harness_json_u64(json, "accepted") : -1;
    free(json);
    return accepted;
}

static void
test_broker_killed_mid_stream_counts_as_in_order(void **state)
{
    fixture_t *fx = *state;
    const char *files[2];
    for (size_t i = 0; i < 2; i++) {
        files[i] = harness_autofree(harness_strf("%s/cases.jsonl", fx->runs[i].base.dir));
        FILE *file = s_open(files[i]);
        /* Report r of every case, then report r + 1 of every case: the reports of a case
           are spread over the stream. */
        for (size_t r = 0; r < S_REPORTS; r++)
            for (size_t k = 0; k < S_CASES; k++)
                s_write_kill_report(file, k, r);
        s_close(file);
    }

    run_t *in = &fx->runs[0], *out = &fx->runs[1];
    s_broker_start(in);
    s_agent_run(in, files[0]);
    s_wait_counted(in, S_KILL_EVENTS);

    s_broker_start(out);
    harness_proc_t *agent = s_agent_start(out, files[1]);
    int64_t deadline = harness_now_ms() + S_DEADLINE_MS;
    int64_t accepted;
    while ((accepted = s_stats_accepted(out->client)) < S_KILL_AFTER) {
        assert_true(accepted >= 0);
        if (harness_now_ms() > deadline)
            fail_msg("no progress before the kill: %lld accepted", (long long)accepted);
        zclock_sleep(5); /* polling the broker's counters */
    }
    assert_int_equal(harness_proc_kill(out->base.broker), 128 + SIGKILL);
    print_message("killed the broker after %lld of %d accepted\n", (long long)accepted,
                  S_KILL_EVENTS);
    harness_proc_destroy(&out->base.broker);
    s_broker_start(out);
    s_agent_finish(&agent);
    s_wait_counted(out, S_KILL_EVENTS);

    s_folds_equal(fx);
    /* By hand: every case filed once, in March, at its last value; its arrests, the
       last report's total, spread one report a month; the odd cases closed in October. */
    int64_t value = 0, arrested = 0;
    for (size_t k = 0; k < S_CASES; k++) {
        value += 100000 + (int64_t)k * 100 + (S_REPORTS - 1) * 1000;
        arrested += S_REPORTS * (1 + (int64_t)k % 3);
    }
    for (size_t i = 0; i < 2; i++) {
        const fold_t *fold = &fx->runs[i].fold;
        assert_int_equal(s_total(fold, "2026-03", F_FILED), S_CASES);
        assert_int_equal(s_total(fold, NULL, F_FILED), S_CASES);
        assert_int_equal(s_total(fold, "2026-03", F_VALUE), value);
        assert_int_equal(s_total(fold, NULL, F_ARRESTED), arrested);
        assert_int_equal(s_total(fold, "2026-05", F_ARRESTED), arrested / S_REPORTS);
        assert_int_equal(s_total(fold, "2026-10", F_CLOSED), S_CASES / 2);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_correction_stored_before_its_report_counts_as_in_order,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(
            test_report_stored_after_a_later_correction_counts_as_in_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_broker_killed_mid_stream_counts_as_in_order, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
