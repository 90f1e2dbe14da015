/*  test_agg_core.c: the aggregate core and its figures helpers (workers/agg_*).

    Each test opens a store in a fresh mkdtemp directory, applies envelopes through
    worker_aggregate inside store_write() as the shell would, and reads the cells back.
    Expected figures are worked out by hand next to each table entry. Times are Beijing
    wall-clock times (UTC+8) turned into unix ms by s_bj().
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_figures.h"
#include "store.h"
#include "test_util.h"
#include "worker_core.h"

#define MAX_EVENTS 8
#define MAX_CELLS  6

enum { TRADEMARK = DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING };
enum {
    NO_GOODS = DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_UNSPECIFIED,
    FOOD = DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_FOOD,
    DRUG = DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_DRUG,
};
enum {
    CLUE = DAJIA__CASE_STAGE__CASE_STAGE_CLUE,
    FILED = DAJIA__CASE_STAGE__CASE_STAGE_FILED,
    CLOSED = DAJIA__CASE_STAGE__CASE_STAGE_CLOSED,
    REVOKED = DAJIA__CASE_STAGE__CASE_STAGE_REVOKED,
    CRIMINAL = DAJIA__CASE_STAGE__CASE_STAGE_CRIMINAL_INVESTIGATION,
};

/* Beijing local time -> unix ms. */
static int64_t
s_bj(int y, unsigned m, unsigned d, int h, int min)
{
    return dajia_time_days_from_civil(y, m, d) * DAJIA_TIME_MS_PER_DAY +
           ((h - 8) * 60LL + min) * 60000;
}

/* ------------------------------------------------------------------ fixture */

typedef struct {
    char dir[256];
    store_t *store;
    void *core;
    worker_outputs_t *out;
    uint64_t seq;
} fixture_t;

static int
s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    if (test_util_store_make(fx->dir, sizeof fx->dir, "agg", &fx->store) != 0)
        return -1;
    worker_settings_t *settings = worker_settings_new();
    int rc = worker_aggregate.create(settings, &fx->core);
    worker_settings_destroy(&settings);
    fx->out = worker_outputs_new();
    *state = fx;
    return rc == 0 && fx->out ? 0 : -1;
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    worker_aggregate.destroy(&fx->core);
    worker_outputs_destroy(&fx->out);
    int rc = test_util_store_remove(&fx->store, fx->dir);
    free(fx);
    return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ events */

/* One case report, as a test table writes it. */
typedef struct {
    const char *event_id;
    const char *unit;
    const char *case_no;
    const char *supersedes;
    int stage;
    int goods[2]; /* up to two goods; 0 ends */
    int64_t occurred_at;
    int64_t filed_at;
    int64_t closed_at;
    int64_t decision_at;
    int64_t value_fen;
    int64_t fines_fen;
    int linkage;
    int64_t transferred_at;
    int arrested;
} case_t;

typedef struct {
    fixture_t *fx;
    const case_t *c;
    int64_t now_ms;
} s_call_t;

static int
s_apply_batch(store_txn_t *txn, void *arg)
{
    s_call_t *call = arg;
    const case_t *c = call->c;
    Dajia__GoodsCategory goods[2];
    size_t n_goods = 0;
    while (n_goods < 2 && c->goods[n_goods])
        goods[n_goods] = (Dajia__GoodsCategory)c->goods[n_goods], n_goods++;
    Dajia__CaseReport cr = DAJIA__CASE_REPORT__INIT;
    cr.case_no = (char *)c->case_no;
    cr.category = DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING;
    cr.n_goods = n_goods;
    cr.goods = goods;
    cr.stage = (Dajia__CaseStage)c->stage;
    cr.filed_at = c->filed_at;
    cr.closed_at = c->closed_at;
    cr.decision_at = c->decision_at;
    cr.case_value_fen = c->value_fen;
    cr.fines_confiscations_fen = c->fines_fen;
    cr.linkage = (Dajia__LinkageStatus)c->linkage;
    cr.transferred_at = c->transferred_at;
    cr.suspects_arrested = c->arrested;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = (char *)c->event_id;
    env.unit = (char *)c->unit;
    env.occurred_at = c->occurred_at;
    env.supersedes_event_id = (char *)(c->supersedes ? c->supersedes : "");
    env.body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
    env.case_report = &cr;
    worker_event_t event = {.log_seq = call->fx->seq, .received_at = c->occurred_at, .env = &env};
    return worker_aggregate.apply(call->fx->core, txn, &event, call->fx->out);
}

static void
s_apply(fixture_t *fx, const case_t *c)
{
    fx->seq++;
    s_call_t call = {fx, c, 0};
    assert_ok(store_write(fx->store, s_apply_batch, &call));
}

static int
s_tick_batch(store_txn_t *txn, void *arg)
{
    s_call_t *call = arg;
    return worker_aggregate.tick(call->fx->core, txn, call->now_ms, call->fx->out);
}

/* Ticks at `now_ms`; returns the number of items it emitted (left in fx->out). */
static size_t
s_tick(fixture_t *fx, int64_t now_ms)
{
    worker_outputs_clear(fx->out);
    s_call_t call = {fx, NULL, now_ms};
    assert_ok(store_write(fx->store, s_tick_batch, &call));
    return worker_outputs_count(fx->out);
}

/* ------------------------------------------------------------------ cells */

typedef struct {
    const char *period;
    const char *unit;
    int goods;
    int64_t filed, closed, value_fen, fines_fen, transfers, arrested;
} cell_t;

static void
s_expect_cells(fixture_t *fx, const cell_t *cells, size_t n, const char *label)
{
    store_txn_t *txn = NULL;
    assert_ok(store_read_begin(fx->store, &txn));
    uint64_t count = 0;
    assert_ok(store_count(txn, "agg.cells", &count));
    if (count != n)
        fail_msg("%s: %llu cells, expected %zu", label, (unsigned long long)count, n);
    for (size_t i = 0; i < n; i++) {
        const cell_t *e = &cells[i];
        uint8_t key[AGG_CELL_KEY_MAX];
        size_t klen = agg_cell_key(key, e->period, e->unit, TRADEMARK, e->goods, 0);
        agg_figures_t f;
        assert_ok(agg_cell_get(txn, "agg.cells", key, klen, &f));
        int64_t got[6] = {f.v[AGG_FIG_FILED],     f.v[AGG_FIG_CLOSED],    f.v[AGG_FIG_VALUE_FEN],
                          f.v[AGG_FIG_FINES_FEN], f.v[AGG_FIG_TRANSFERS], f.v[AGG_FIG_ARRESTED]};
        int64_t want[6] = {e->filed,     e->closed,    e->value_fen,
                           e->fines_fen, e->transfers, e->arrested};
        for (int j = 0; j < 6; j++)
            if (got[j] != want[j])
                fail_msg("%s: cell %s/%s/%d figure %d is %lld, expected %lld", label, e->period,
                         e->unit, e->goods, j, (long long)got[j], (long long)want[j]);
    }
    store_txn_end(&txn);
}

/* ------------------------------------------------------------------ table */

typedef struct {
    const char *name;
    case_t events[MAX_EVENTS];
    cell_t cells[MAX_CELLS];
} scenario_t;

/* Beijing 10:00 on these days, as unix ms (checked against s_bj() in a test). */
#define OCT15      1792029600000LL
#define OCT20      1792461600000LL
#define NOV08      1794103200000LL
#define NOV10      1794276000000LL
#define NOV01_0030 1793464200000LL /* 2026-11-01 00:30 Beijing = 2026-10-31T16:30Z */

/* Positional shorthands that expand to designated initializers. */
#define CASE(p_id, p_unit, p_no, p_sup, p_stage, p_g1, p_g2, p_occ, p_filed, p_closed, p_decision, \
             p_value, p_fines, p_linkage, p_transferred, p_arrested)                               \
    {                                                                                              \
        .event_id = p_id, .unit = p_unit, .case_no = p_no, .supersedes = p_sup, .stage = p_stage,  \
        .goods = {p_g1, p_g2}, .occurred_at = p_occ, .filed_at = p_filed, .closed_at = p_closed,   \
        .decision_at = p_decision, .value_fen = p_value, .fines_fen = p_fines,                     \
        .linkage = p_linkage, .transferred_at = p_transferred, .arrested = p_arrested              \
    }
#define CELL(p_period, p_unit, p_goods, p_filed, p_closed, p_value, p_fines, p_transfers,          \
             p_arrested)                                                                           \
    {                                                                                              \
        .period = p_period, .unit = p_unit, .goods = p_goods, .filed = p_filed,                    \
        .closed = p_closed, .value_fen = p_value, .fines_fen = p_fines, .transfers = p_transfers,  \
        .arrested = p_arrested                                                                     \
    }

static void
s_run_scenario(const scenario_t *s)
{
    fixture_t *fx = NULL;
    assert_int_equal(s_setup((void **)&fx), 0);
    size_t n_cells = 0;
    for (size_t i = 0; i < MAX_EVENTS && s->events[i].event_id; i++)
        s_apply(fx, &s->events[i]);
    while (n_cells < MAX_CELLS && s->cells[n_cells].period)
        n_cells++;
    s_expect_cells(fx, s->cells, n_cells, s->name);
    s_teardown((void **)&fx);
}

static const scenario_t s_scenarios[] = {
    {"repeat of the same stage counts once",
     /* three reports of psb/A filed in October: one case, value 1000.00 yuan once */
     {CASE("e1", "psb", "A", NULL, FILED, FOOD, 0, OCT15, OCT15, 0, 0, 100000, 0, 0, 0, 0),
      CASE("e2", "psb", "A", NULL, FILED, FOOD, 0, OCT20, OCT15, 0, 0, 100000, 0, 0, 0, 0),
      CASE("e3", "psb", "A", NULL, FILED, FOOD, 0, OCT20, OCT15, 0, 0, 100000, 0, 0, 0, 0)},
     {CELL("2026-10", "psb", FOOD, 1, 0, 100000, 0, 0, 0)}},
    {"correction replaces the superseded value",
     /* e2 corrects e1's value 1000.00 -> 2500.00: filed 1, value 250000 fen */
     {CASE("e1", "psb", "A", NULL, FILED, FOOD, 0, OCT15, OCT15, 0, 0, 100000, 0, 0, 0, 0),
      CASE("e2", "psb", "A", "e1", FILED, FOOD, 0, OCT20, OCT15, 0, 0, 250000, 0, 0, 0, 0)},
     {CELL("2026-10", "psb", FOOD, 1, 0, 250000, 0, 0, 0)}},
    {"correction moving the case number withdraws the old key",
     /* e2 says e1's case was B, not A: A withdrawn, B counted once */
     {CASE("e1", "msa", "A", NULL, FILED, FOOD, 0, OCT15, OCT15, 0, 0, 100000, 0, 0, 0, 0),
      CASE("e2", "msa", "B", "e1", FILED, FOOD, 0, OCT15, OCT15, 0, 0, 100000, 0, 0, 0, 0)},
     {CELL("2026-10", "msa", FOOD, 1, 0, 100000, 0, 0, 0)}},
    {"correction of a replaced report leaves the latest state",
     /* e2 (closed in Nov, filed in Oct, value 1500.00) replaced e1; e3 corrects e1 only:
        Oct filed 1 value 150000, Nov closed 1 */
     {CASE("e1", "psb", "A", NULL, FILED, FOOD, 0, OCT15, OCT15, 0, 0, 100000, 0, 0, 0, 0),
      CASE("e2", "psb", "A", NULL, CLOSED, FOOD, 0, NOV10, OCT15, NOV10, 0, 150000, 0, 0, 0, 0),
      CASE("e3", "psb", "A", "e1", FILED, FOOD, 0, OCT15, OCT15, 0, 0, 900000, 0, 0, 0, 0)},
     {CELL("2026-10", "psb", FOOD, 1, 0, 150000, 0, 0, 0),
      CELL("2026-11", "psb", FOOD, 0, 1, 0, 0, 0, 0)}},
    {"stage move filed in October closed in November",
     /* filed Oct 15 value 1000.00; closed Nov 10 with fines 50.00 decided Nov 8:
        Oct filed 1 value 100000; Nov closed 1 fines 5000 */
     {CASE("e1", "psb", "A", NULL, FILED, FOOD, 0, OCT15, OCT15, 0, 0, 100000, 0, 0, 0, 0),
      CASE("e2", "psb", "A", NULL, CLOSED, FOOD, 0, NOV10, OCT15, NOV10, NOV08, 100000, 5000, 0, 0,
           0)},
     {CELL("2026-10", "psb", FOOD, 1, 0, 100000, 0, 0, 0),
      CELL("2026-11", "psb", FOOD, 0, 1, 0, 5000, 0, 0)}},
    {"revoked case withdraws everything",
     {CASE("e1", "psb", "A", NULL, FILED, FOOD, 0, OCT15, OCT15, 0, 0, 100000, 0, 0, 0, 0),
      CASE("e2", "psb", "A", NULL, REVOKED, FOOD, 0, OCT20, OCT15, 0, 0, 100000, 0, 0, 0, 0)},
     {{NULL}}},
    {"clue is not filed",
     {CASE("e1", "psb", "A", NULL, CLUE, FOOD, 0, OCT15, 0, 0, 0, 100000, 0, 0, 0, 0)},
     {{NULL}}},
    {"two units with the same case number are two cases",
     {CASE("e1", "psb", "A", NULL, FILED, FOOD, 0, OCT15, OCT15, 0, 0, 100000, 0, 0, 0, 0),
      CASE("e1", "msa", "A", NULL, FILED, FOOD, 0, OCT15, OCT15, 0, 0, 300000, 0, 0, 0, 0)},
     {CELL("2026-10", "psb", FOOD, 1, 0, 100000, 0, 0, 0),
      CELL("2026-10", "msa", FOOD, 1, 0, 300000, 0, 0, 0)}},
    {"goods attribution to the first category",
     /* A names drug then food: drug only. B names none: unspecified. Sum = 2 cases. */
     {CASE("e1", "psb", "A", NULL, FILED, DRUG, FOOD, OCT15, OCT15, 0, 0, 100000, 0, 0, 0, 0),
      CASE("e2", "psb", "B", NULL, FILED, 0, 0, OCT15, OCT15, 0, 0, 200000, 0, 0, 0, 0)},
     {CELL("2026-10", "psb", DRUG, 1, 0, 100000, 0, 0, 0),
      CELL("2026-10", "psb", NO_GOODS, 1, 0, 200000, 0, 0, 0)}},
    {"Beijing midnight decides the month",
     /* filed 2026-11-01 00:30 Beijing = 2026-10-31T16:30Z: November */
     {CASE("e1", "psb", "A", NULL, FILED, FOOD, 0, NOV01_0030, NOV01_0030, 0, 0, 100, 0, 0, 0, 0)},
     {CELL("2026-11", "psb", FOOD, 1, 0, 100, 0, 0, 0)}},
    {"transfer and criminal counters go to their own periods",
     /* filed Oct 15; transferred Oct 20 (linkage police filed); report of Nov 10 with 3
        arrested: Oct filed 1 transfers 1, Nov arrested 3 */
     {CASE("e1", "psb", "A", NULL, CRIMINAL, FOOD, 0, NOV10, OCT15, 0, 0, 0, 0,
           DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_POLICE_FILED, OCT20, 3)},
     {CELL("2026-10", "psb", FOOD, 1, 0, 0, 0, 1, 0),
      CELL("2026-11", "psb", FOOD, 0, 0, 0, 0, 0, 3)}},
};

static void
test_scenarios_match_hand_computed_cells(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_scenarios / sizeof s_scenarios[0]; i++)
        s_run_scenario(&s_scenarios[i]);
}

/* ------------------------------------------------------------------ ticks */

static Dajia__FeedItem *
s_item(fixture_t *fx, size_t i)
{
    size_t len = 0;
    const uint8_t *data = worker_outputs_get(fx->out, i, &len);
    assert_non_null(data);
    Dajia__FeedItem *item = dajia__feed_item__unpack(NULL, len, data);
    assert_non_null(item);
    return item;
}

static void
test_apply_emits_nothing_and_tick_emits_once(void **state)
{
    fixture_t *fx = *state;
    case_t e1 =
        CASE("e1", "psb", "A", NULL, FILED, FOOD, 0, OCT15, OCT15, 0, 0, 100000, 0, 0, 0, 0);
    s_apply(fx, &e1);
    assert_int_equal(worker_outputs_count(fx->out), 0);

    int64_t t0 = NOV10;
    assert_int_equal(s_tick(fx, t0), 1);
    Dajia__FeedItem *item = s_item(fx, 0);
    assert_int_equal(item->audience, DAJIA__AUDIENCE__AUDIENCE_PUBLIC);
    assert_string_equal(item->service, "aggregate");
    assert_int_equal(item->item_case, DAJIA__FEED_ITEM__ITEM_AGGREGATE);
    assert_int_equal(item->aggregate->through_log_seq, 1);
    assert_int_equal(item->aggregate->n_rows, 1);
    Dajia__AggregateRow *row = item->aggregate->rows[0];
    assert_string_equal(row->period, "2026-10");
    assert_string_equal(row->unit, "psb");
    assert_int_equal(row->goods, FOOD);
    assert_int_equal(row->figures->cases_filed, 1);
    assert_int_equal(row->figures->case_value_fen, 100000);
    dajia__feed_item__free_unpacked(item, NULL);

    /* nothing changed: no emission, however much later */
    assert_int_equal(s_tick(fx, t0 + 1000), 0);
    assert_int_equal(s_tick(fx, t0 + 60000), 0);
    /* a repeat of the same report changes no figure: still nothing */
    case_t e2 = e1;
    e2.event_id = "e2";
    s_apply(fx, &e2);
    assert_int_equal(s_tick(fx, t0 + 62000), 0);
}

static void
test_tick_emits_at_most_once_per_second(void **state)
{
    fixture_t *fx = *state;
    case_t e1 =
        CASE("e1", "psb", "A", NULL, FILED, FOOD, 0, OCT15, OCT15, 0, 0, 100000, 0, 0, 0, 0);
    int64_t t0 = NOV10;
    s_apply(fx, &e1);
    assert_int_equal(s_tick(fx, t0), 1);
    /* revoke it 0.5 s later: the change waits for the next second */
    case_t e2 = e1;
    e2.event_id = "e2";
    e2.stage = REVOKED;
    s_apply(fx, &e2);
    assert_int_equal(s_tick(fx, t0 + 500), 0);
    assert_int_equal(s_tick(fx, t0 - 3000), 0); /* a clock behind the last emission waits */
    assert_int_equal(s_tick(fx, t0 + 1000), 1);
    Dajia__FeedItem *item = s_item(fx, 0);
    assert_int_equal(item->aggregate->through_log_seq, 2);
    assert_int_equal(item->aggregate->n_rows, 1);
    /* the withdrawn cell comes out with zero figures, so readers drop it */
    assert_int_equal(item->aggregate->rows[0]->figures->cases_filed, 0);
    assert_int_equal(item->aggregate->rows[0]->figures->case_value_fen, 0);
    dajia__feed_item__free_unpacked(item, NULL);
    assert_int_equal(s_tick(fx, t0 + 2000), 0);
}

static void
test_stage_move_emits_both_periods(void **state)
{
    fixture_t *fx = *state;
    case_t e1 =
        CASE("e1", "psb", "A", NULL, FILED, FOOD, 0, OCT15, OCT15, 0, 0, 100000, 0, 0, 0, 0);
    case_t e2 = CASE("e2", "psb", "A", NULL, CLOSED, FOOD, 0, NOV10, OCT15, NOV10, NOV08, 100000,
                     5000, 0, 0, 0);
    s_apply(fx, &e1);
    assert_int_equal(s_tick(fx, NOV10), 1);
    s_apply(fx, &e2);
    assert_int_equal(s_tick(fx, NOV10 + 1000), 1);
    Dajia__FeedItem *item = s_item(fx, 0);
    /* only November changed: October's filed figures are the same as before */
    assert_int_equal(item->aggregate->n_rows, 1);
    assert_string_equal(item->aggregate->rows[0]->period, "2026-11");
    assert_int_equal(item->aggregate->rows[0]->figures->cases_closed, 1);
    assert_int_equal(item->aggregate->rows[0]->figures->fines_confiscations_fen, 5000);
    dajia__feed_item__free_unpacked(item, NULL);
}

/* ------------------------------------------------------------------ helpers */

typedef struct {
    size_t count;
    int64_t filed;
} s_sum_t;

static int
s_sum_cell(const agg_cell_t *cell, void *arg)
{
    s_sum_t *sum = arg;
    sum->count++;
    sum->filed += cell->figures.v[AGG_FIG_FILED];
    return 0;
}

static void
test_read_period_returns_only_that_period(void **state)
{
    fixture_t *fx = *state;
    const case_t events[] = {
        CASE("e1", "psb", "A", NULL, FILED, FOOD, 0, OCT15, OCT15, 0, 0, 1, 0, 0, 0, 0),
        CASE("e2", "msa", "B", NULL, FILED, DRUG, 0, OCT20, OCT20, 0, 0, 1, 0, 0, 0, 0),
        CASE("e3", "psb", "C", NULL, FILED, FOOD, 0, NOV10, NOV10, 0, 0, 1, 0, 0, 0, 0),
    };
    for (size_t i = 0; i < 3; i++)
        s_apply(fx, &events[i]);
    store_txn_t *txn = NULL;
    assert_ok(store_read_begin(fx->store, &txn));
    s_sum_t oct = {0}, nov = {0}, dec = {0};
    assert_ok(agg_figures_read_period(txn, "agg.cells", "2026-10", s_sum_cell, &oct));
    assert_ok(agg_figures_read_period(txn, "agg.cells", "2026-11", s_sum_cell, &nov));
    assert_ok(agg_figures_read_period(txn, "agg.cells", "2026-12", s_sum_cell, &dec));
    store_txn_end(&txn);
    assert_int_equal(oct.count, 2); /* psb/food and msa/drug */
    assert_int_equal(oct.filed, 2);
    assert_int_equal(nov.count, 1);
    assert_int_equal(dec.count, 0);
}

static void
test_period_names_and_bounds(void **state)
{
    (void)state;
    agg_period_spec_t month = {0, DAJIA_TIME_BEIJING_MIN};
    /* the literal times of the tables */
    assert_int_equal(OCT15, s_bj(2026, 10, 15, 10, 0));
    assert_int_equal(OCT20, s_bj(2026, 10, 20, 10, 0));
    assert_int_equal(NOV08, s_bj(2026, 11, 8, 10, 0));
    assert_int_equal(NOV10, s_bj(2026, 11, 10, 10, 0));
    assert_int_equal(NOV01_0030, s_bj(2026, 11, 1, 0, 30));
    char name[AGG_PERIOD_MAX];
    /* 2026-10-31T16:00Z is 2026-11-01 00:00 Beijing */
    int64_t nov1 = s_bj(2026, 11, 1, 0, 0);
    agg_period_name_at(&month, nov1 - 1, name);
    assert_string_equal(name, "2026-10");
    agg_period_name_at(&month, nov1, name);
    assert_string_equal(name, "2026-11");
    assert_int_equal(agg_period_start(&month, nov1 + 12345), nov1);
    assert_int_equal(agg_period_next(&month, s_bj(2026, 12, 1, 0, 0)), s_bj(2027, 1, 1, 0, 0));
    assert_int_equal(agg_period_prev(&month, s_bj(2026, 1, 1, 0, 0)), s_bj(2025, 12, 1, 0, 0));
    int64_t parsed = 0;
    assert_true(agg_period_parse_month(&month, "2026-11", &parsed));
    assert_int_equal(parsed, nov1);
    assert_false(agg_period_parse_month(&month, "2026-13", &parsed));
    assert_false(agg_period_parse_month(&month, "2026-Q4", &parsed));

    agg_period_spec_t demo = {60000, DAJIA_TIME_BEIJING_MIN};
    /* 2026-11-30T15:59:58.500Z lies in the minute starting 15:59:00Z */
    int64_t at = dajia_time_days_from_civil(2026, 11, 30) * DAJIA_TIME_MS_PER_DAY +
                 (15 * 3600 + 59 * 60 + 58) * 1000LL + 500;
    agg_period_name_at(&demo, at, name);
    assert_string_equal(name, "2026-11-30T15:59:00Z");
    assert_int_equal(agg_period_next(&demo, agg_period_start(&demo, at)) - at, 1500);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenarios_match_hand_computed_cells),
        cmocka_unit_test_setup_teardown(test_apply_emits_nothing_and_tick_emits_once, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_tick_emits_at_most_once_per_second, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_stage_move_emits_both_periods, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_read_period_returns_only_that_period, s_setup,
                                        s_teardown),
        cmocka_unit_test(test_period_names_and_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
