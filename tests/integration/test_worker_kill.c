/*  Integration: a worker killed with SIGKILL mid-stream is replaced and the aggregate it
    publishes is exactly the one of a run with no crash (issue 3; README guarantee 4).

    Run A: a broker with --external-workers and one `dajia-worker --service aggregate`
    process. Half the events go in and are counted (an AggregateUpdate is on the feed);
    then, while the second half is being submitted, the worker gets SIGKILL with events
    in flight, the rest arrive while it is down, and a new process on the same state
    directory takes over. Run B: the same events, in the same order, no crash.

    Each run's final aggregate is folded from a REPLAY of the public feed, as a dashboard
    would: the latest row per (period, unit, category, goods), rows whose figures are all
    zero left out (whether a cell that went back to zero was published depends on when
    the ticks fell, not on what was counted). The two folds must be equal, cell by cell,
    and their totals must match the figures worked out by hand from the events below.

    (That the escalate feed repeats no escalation after a worker is killed is checked by
    test_dispatch.c.)
*/
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#ifndef DAJIA_WORKER_BIN
#error "DAJIA_WORKER_BIN must be defined by the build"
#endif

#define S_STR(...) ((char *)harness_autofree(harness_strf(__VA_ARGS__)))

#define S_EVENTS      2000
#define S_UNITS       4
#define S_CASES       125 /* per unit: each case is reported 4 times */
#define S_CHUNK       100 /* submits before their acks are read */
#define S_CELL_MAX    1024
#define S_POLL_MS     50    /* between two REPLAYs while waiting */
#define S_DEADLINE_MS 90000 /* for a run to be counted completely */
#define S_DAY_MS      86400000LL

/* 2026-09-15T00:00:00Z, 2026-11-20T00:00:00Z, 2026-11-25T00:00:00Z (Beijing: the same
   days, 08:00): every date below is mid-month in both time zones. */
#define S_SEP15 1789430400000LL
#define S_NOV20 1795132800000LL
#define S_NOV25 1795564800000LL

static const char *const s_units[S_UNITS] = {"msa", "psb", "tax", "customs"};

typedef struct {
    char period[16];
    char unit[32];
    int category;
    int goods;
    int64_t f[11]; /* the Figures, in field order */
} cell_t;

typedef struct {
    cell_t cells[S_CELL_MAX];
    size_t count;
    uint64_t next_seq; /* the next feed_seq to ask REPLAY for */
    uint64_t through;  /* the highest through_log_seq seen */
    size_t updates;    /* AggregateUpdate items folded */
} fold_t;

typedef struct {
    harness_fixture_t base; /* the directory, the broker on base.data, its endpoint base.api */
    char *state;            /* the aggregate worker's state directory */
    harness_proc_t *workers[2];
    harness_client_t *client;
    char workers_endpoint[256];
    fold_t fold;
} run_t;

typedef struct {
    run_t runs[2];
    char worker_bin[4096];
} fixture_t;

/* ================================================================ the events */

/* Event i of the stream (i < S_EVENTS): unit i % 4, case k = (i / 4) % 125, report
   r = i / 500 (0..3) of that case. What a case is at report r:
     r = 0            filed
     r >= 1           closed (closed_at, fines (k + 1) * 100 fen), or filed again (a
                      repeat that changes nothing) when k % 3 == 0
     r >= 2           revoked when k % 7 == 0; judgment effective (closed) when
                      k % 3 == 1; otherwise as at r = 1 (another repeat)
     r = 3            case value raised by 500 fen
   filed_at is September, October or November by k % 3; category and goods vary with k.
   The very last event is a new case ("msa-final", filed in November), so the last
   event changes a cell and the final AggregateUpdate names through_log_seq S_EVENTS. */
static void
s_event(size_t i, Dajia__Envelope *env, Dajia__CaseReport *report, Dajia__GoodsCategory *goods,
        char *event_id, char *case_no, size_t size)
{
    size_t k = (i / S_UNITS) % S_CASES, r = i / (S_UNITS * S_CASES);
    const char *unit = s_units[i % S_UNITS];
    snprintf(event_id, size, "it-wk-%zu", i);
    if (i == S_EVENTS - 1)
        snprintf(case_no, size, "msa-final");
    else
        snprintf(case_no, size, "%s-K%zu", unit, k);
    harness_envelope_init(env, report, i == S_EVENTS - 1 ? "msa" : unit, event_id, case_no);
    env->occurred_at = S_NOV25 + (int64_t)i * 1000;
    env->reported_at = env->occurred_at + 1000;
    report->category = k % 2 ? DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING
                             : DAJIA__CASE_CATEGORY__CASE_CATEGORY_PATENT_PASSING_OFF;
    *goods = (Dajia__GoodsCategory)(k % 4 + 1);
    report->n_goods = 1;
    report->goods = goods;
    report->filed_at = S_SEP15 + (int64_t)(k % 3) * 30 * S_DAY_MS;
    report->case_value_fen = (int64_t)(k + 1) * 1000 + (r >= 3 ? 500 : 0);
    if (i == S_EVENTS - 1) {
        report->stage = DAJIA__CASE_STAGE__CASE_STAGE_FILED;
        report->filed_at = S_NOV20;
        report->case_value_fen = 1;
        return;
    }
    Dajia__CaseStage stage = DAJIA__CASE_STAGE__CASE_STAGE_FILED;
    if (r >= 1 && k % 3 != 0)
        stage = DAJIA__CASE_STAGE__CASE_STAGE_CLOSED;
    if (r >= 2 && k % 7 == 0)
        stage = DAJIA__CASE_STAGE__CASE_STAGE_REVOKED;
    else if (r >= 2 && k % 3 == 1)
        stage = DAJIA__CASE_STAGE__CASE_STAGE_JUDGMENT_EFFECTIVE;
    report->stage = stage;
    if (stage == DAJIA__CASE_STAGE__CASE_STAGE_CLOSED ||
        stage == DAJIA__CASE_STAGE__CASE_STAGE_JUDGMENT_EFFECTIVE) {
        report->closed_at = S_NOV20;
        report->decision_at = S_NOV20;
        report->fines_confiscations_fen = (int64_t)(k + 1) * 100;
    }
    if (stage == DAJIA__CASE_STAGE__CASE_STAGE_JUDGMENT_EFFECTIVE)
        report->persons_judged = 1;
}

/* ================================================================ plumbing */

static void
s_worker_bin(fixture_t *fx)
{
    snprintf(fx->worker_bin, sizeof fx->worker_bin, "%s", DAJIA_WORKER_BIN);
}

static int
s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    *state = fx;
    s_worker_bin(fx);
    for (size_t i = 0; i < 2; i++) {
        run_t *run = &fx->runs[i];
        if (harness_fixture_init(&run->base) != 0)
            return -1;
        run->state = harness_strf("%s/aggregate", run->base.dir);
        run->fold.next_seq = 1;
    }
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    for (size_t i = 0; i < 2; i++) {
        run_t *run = &fx->runs[i];
        harness_client_destroy(&run->client);
        for (size_t w = 0; w < 2; w++)
            harness_proc_destroy(&run->workers[w]);
        harness_fixture_clear(&run->base);
        free(run->state);
    }
    free(fx);
    harness_autofree_all();
    return 0;
}

static void
s_broker_start(run_t *run)
{
    const char *extra[] = {"--external-workers", "--workers", "tcp://127.0.0.1:*", NULL};
    assert_int_equal(harness_fixture_start_broker(&run->base, extra), 0);
    assert_int_equal(harness_ready_field(run->base.broker, "workers=", run->workers_endpoint,
                                         sizeof run->workers_endpoint),
                     0);
    assert_int_equal(harness_client_new(run->base.api, HARNESS_RECV_TIMEOUT_MS, &run->client), 0);
}

static harness_proc_t *
s_worker_start(fixture_t *fx, run_t *run)
{
    const char *argv[] = {fx->worker_bin,        "--service", "aggregate", "--broker",
                          run->workers_endpoint, "--state",   run->state,  NULL};
    harness_proc_t *proc = NULL;
    assert_int_equal(harness_proc_start(argv, NULL, &proc), 0);
    int64_t deadline = harness_now_ms() + HARNESS_READY_TIMEOUT_MS;
    while (!strstr(harness_proc_stdout(proc), "READY service=aggregate\n")) {
        if (!harness_proc_running(proc) || harness_now_ms() > deadline)
            fail_msg("dajia-worker gave no READY line: %s", harness_proc_stdout(proc));
        zclock_sleep(10); /* polling the child's pipe, not waiting for readiness */
    }
    return proc;
}

/* Submits events [first, first + count) in chunks, each chunk's acks read before the
   next goes (the broker's ROUTER would drop acks beyond the pipe's high-water mark). */
static void
s_submit(run_t *run, size_t first, size_t count)
{
    for (size_t at = first; at < first + count; at += S_CHUNK) {
        size_t n = first + count - at < S_CHUNK ? first + count - at : S_CHUNK;
        for (size_t i = at; i < at + n; i++) {
            Dajia__Envelope env;
            Dajia__CaseReport report;
            Dajia__GoodsCategory goods;
            char event_id[64], case_no[64];
            s_event(i, &env, &report, &goods, event_id, case_no, sizeof event_id);
            assert_int_equal(harness_client_submit(run->client, &env), 0);
        }
        for (size_t i = 0; i < n; i++) {
            Dajia__Ack *ack = NULL;
            assert_int_equal(harness_client_recv_ack(run->client, &ack), 0);
            assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
            dajia__ack__free_unpacked(ack, NULL);
        }
    }
}

/* ================================================================ the fold */

static void
s_figures(const Dajia__Figures *f, int64_t out[11])
{
    memset(out, 0, 11 * sizeof *out);
    if (!f)
        return;
    int64_t v[11] = {f->cases_filed,        f->cases_closed,
                     f->case_value_fen,     f->fines_confiscations_fen,
                     f->loss_recovered_fen, f->transfers_to_police,
                     f->dens_destroyed,     f->suspects_arrested,
                     f->arrests_approved,   f->prosecutions,
                     f->judgments};
    memcpy(out, v, sizeof v);
}

static cell_t *
s_cell(fold_t *fold, const char *period, const char *unit, int category, int goods)
{
    for (size_t i = 0; i < fold->count; i++) {
        cell_t *c = &fold->cells[i];
        if (c->category == category && c->goods == goods && strcmp(c->period, period) == 0 &&
            strcmp(c->unit, unit) == 0)
            return c;
    }
    return NULL;
}

/* The latest row of each cell replaces what the fold held for it. */
static void
s_fold_row(fold_t *fold, const Dajia__AggregateRow *row)
{
    assert_non_null(row->period);
    assert_non_null(row->unit);
    assert_true(strlen(row->period) < sizeof fold->cells[0].period);
    assert_true(strlen(row->unit) < sizeof fold->cells[0].unit);
    cell_t *c = s_cell(fold, row->period, row->unit, (int)row->category, (int)row->goods);
    if (!c) {
        assert_true(fold->count < S_CELL_MAX);
        c = &fold->cells[fold->count++];
        snprintf(c->period, sizeof c->period, "%s", row->period);
        snprintf(c->unit, sizeof c->unit, "%s", row->unit);
        c->category = (int)row->category;
        c->goods = (int)row->goods;
    }
    s_figures(row->figures, c->f);
}

/* Folds what the public feed holds past what was folded already. */
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
        assert_int_equal(batch->reason, DAJIA__REASON__REASON_NONE);
        for (size_t i = 0; i < batch->n_items; i++) {
            const Dajia__FeedItem *item = batch->items[i];
            /* a public reader's position: consecutive public numbers, no feed_seq */
            assert_int_equal(item->public_seq, fold->next_seq);
            assert_int_equal(item->feed_seq, 0);
            fold->next_seq = item->public_seq + 1;
            if (item->item_case != DAJIA__FEED_ITEM__ITEM_AGGREGATE)
                continue;
            fold->updates++;
            for (size_t r = 0; r < item->aggregate->n_rows; r++)
                s_fold_row(fold, item->aggregate->rows[r]);
            if (item->aggregate->through_log_seq > fold->through)
                fold->through = item->aggregate->through_log_seq;
        }
        more = batch->more && batch->n_items > 0;
        dajia__feed_batch__free_unpacked(batch, NULL);
    }
}

/* Polls the public feed until an AggregateUpdate counts every event up to `seq`. */
static void
s_wait_through(run_t *run, uint64_t seq)
{
    int64_t deadline = harness_now_ms() + S_DEADLINE_MS;
    for (;;) {
        s_fold_replay(run);
        if (run->fold.through >= seq)
            return;
        if (harness_now_ms() > deadline)
            fail_msg("after %d s the aggregate counts events through %llu of %llu "
                     "(%zu updates)",
                     S_DEADLINE_MS / 1000, (unsigned long long)run->fold.through,
                     (unsigned long long)seq, run->fold.updates);
        zclock_sleep(S_POLL_MS); /* the next tick is up to a second away */
    }
}

static bool
s_zero(const cell_t *c)
{
    for (size_t i = 0; i < 11; i++)
        if (c->f[i])
            return false;
    return true;
}

/* Every non-zero cell of `a` is in `b` with the same figures, and the other way round. */
static void
s_fold_compare(const fold_t *a, const fold_t *b, const char *a_name, const char *b_name)
{
    for (size_t i = 0; i < a->count; i++) {
        const cell_t *c = &a->cells[i];
        if (s_zero(c))
            continue;
        cell_t *d = s_cell((fold_t *)b, c->period, c->unit, c->category, c->goods);
        if (!d)
            fail_msg("cell %s/%s/%d/%d is in %s, not in %s", c->period, c->unit, c->category,
                     c->goods, a_name, b_name);
        for (size_t f = 0; f < 11; f++)
            if (c->f[f] != d->f[f])
                fail_msg("cell %s/%s/%d/%d figure %zu: %s %lld, %s %lld", c->period, c->unit,
                         c->category, c->goods, f, a_name, (long long)c->f[f], b_name,
                         (long long)d->f[f]);
    }
}

static void
s_totals(const fold_t *fold, int64_t totals[11])
{
    memset(totals, 0, 11 * sizeof *totals);
    for (size_t i = 0; i < fold->count; i++)
        for (size_t f = 0; f < 11; f++)
            totals[f] += fold->cells[i].f[f];
}

/* ================================================================ tests */

static void
test_worker_kill_replacement_aggregate_equals_uncrashed_run(void **state)
{
    fixture_t *fx = *state;
    if (access(fx->worker_bin, X_OK) != 0)
        fail_msg("no dajia-worker at \"%s\"", fx->worker_bin);

    /* Run A: the worker dies mid-stream. */
    run_t *a = &fx->runs[0];
    s_broker_start(a);
    a->workers[0] = s_worker_start(fx, a);
    s_submit(a, 0, S_EVENTS / 2);
    s_wait_through(a, 1); /* it has counted and published something */
    assert_true(a->fold.through < S_EVENTS);
    /* a quarter more arrive and are dispatched, then kill -9 with events in flight */
    s_submit(a, S_EVENTS / 2, S_EVENTS / 4);
    assert_int_equal(harness_proc_kill(a->workers[0]), 128 + SIGKILL);
    s_submit(a, S_EVENTS / 2 + S_EVENTS / 4, S_EVENTS / 4); /* while it is down */
    a->workers[1] = s_worker_start(fx, a);                  /* same state directory */
    s_wait_through(a, S_EVENTS);

    /* Run B: the same events, no crash. */
    run_t *b = &fx->runs[1];
    s_broker_start(b);
    b->workers[0] = s_worker_start(fx, b);
    s_submit(b, 0, S_EVENTS);
    s_wait_through(b, S_EVENTS);

    s_fold_compare(&a->fold, &b->fold, "run A (killed)", "run B");
    s_fold_compare(&b->fold, &a->fold, "run B", "run A (killed)");

    /* The totals, by hand. 4 units x 125 cases + "msa-final" = 501 cases.
       cases_filed: every case not revoked. Revoked: k % 7 == 0, k = 0, 7, ..., 119:
       18 per unit, 72 in all -> 501 - 72 = 429.
       cases_closed: latest stage closed or judgment effective: k % 3 != 0 and not
       revoked. k % 3 != 0: 125 - 42 (k = 0, 3, ..., 123) = 83 per unit; of those
       revoked (k % 7 == 0 but not k % 21 == 0): 18 - 6 = 12 -> 71 per unit, 284.
       judgments: persons_judged 1 for k % 3 == 1 and not revoked: k = 1, 4, ..., 124
       is 42 values, less those with k % 7 == 0 (7, 28, 49, 70, 91, 112: 6) = 36 per
       unit, 144. */
    int64_t totals[11];
    s_totals(&b->fold, totals);
    assert_int_equal(totals[0], 429);
    assert_int_equal(totals[1], 284);
    assert_int_equal(totals[10], 144);

    assert_int_equal(harness_proc_stop(a->workers[1]), 0);
    assert_int_equal(harness_proc_stop(b->workers[0]), 0);
    assert_int_equal(harness_proc_stop(a->base.broker), 0);
    assert_int_equal(harness_proc_stop(b->base.broker), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_worker_kill_replacement_aggregate_equals_uncrashed_run,
                                        s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
