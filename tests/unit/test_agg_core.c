/*  test_agg_core.c: the aggregate core and its figures helpers (workers/agg_*).

    Each test opens a store in a fresh mkdtemp directory, applies envelopes through
    worker_aggregate inside store_write() as the shell would, and reads the cells back.
    The scenario table holds, for every counting rule of agg_core.c (docs/domain.md
    §4.3), a short sequence of reports and the cells (month x unit x category x goods,
    all thirteen figures) expected after given reports, worked out by hand in the comment
    above each entry. A second table (s_order_cases) holds cases of a few reports and
    corrections with the cells the unit's order gives, and every order the log could
    hold them in is run against it. Times are Beijing wall-clock times (UTC+8): the literals below
   are checked against s_bj() in test_period_names_and_bounds.
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
#include "dajia_time.h"
#include "store.h"
#include "test_util.h"
#include "worker_core.h"

#define MAX_EVENTS 8
#define MAX_CHECKS 4
#define MAX_CELLS  6

enum {
    TRADEMARK = DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING,
    PATENT = DAJIA__CASE_CATEGORY__CASE_CATEGORY_PATENT_PASSING_OFF,
};
enum {
    NO_GOODS = DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_UNSPECIFIED,
    FOOD = DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_FOOD,
    DRUG = DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_DRUG,
};
#define STAGE(name) DAJIA__CASE_STAGE__CASE_STAGE_##name
#define LINK(name)  DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_##name
enum {
    CLUE = STAGE(CLUE),
    FILED = STAGE(FILED),
    INVESTIGATING = STAGE(INVESTIGATING),
    PENALTY = STAGE(PENALTY_DECIDED),
    CLOSED = STAGE(CLOSED),
    HANDED = STAGE(HANDED_TO_OTHER_AGENCY),
    CRIMINAL = STAGE(CRIMINAL_INVESTIGATION),
    ARREST_APPROVED = STAGE(ARREST_APPROVED),
    REVOKED = STAGE(REVOKED),
};
/* Figure indices, short, for designated initializers: {[F_FILED] = 1, ...}. */
enum {
    F_FILED = AGG_FIG_FILED,
    F_CLOSED = AGG_FIG_CLOSED,
    F_VALUE = AGG_FIG_VALUE_FEN,
    F_FINES = AGG_FIG_FINES_FEN,
    F_LOSS = AGG_FIG_LOSS_RECOVERED_FEN,
    F_TRANSF = AGG_FIG_TRANSFERS,
    F_DENS = AGG_FIG_DENS,
    F_ARR = AGG_FIG_ARRESTED,
    F_APPR = AGG_FIG_ARRESTS_APPROVED,
    F_PROS = AGG_FIG_PROSECUTIONS,
    F_JUDG = AGG_FIG_JUDGMENTS,
    F_DET = AGG_FIG_DETAINED,
    F_PERS = AGG_FIG_PERSONS_PROSECUTED,
};

/* Beijing 10:00 on these days of 2026 (unless named otherwise), as unix ms. */
#define AUG05      1785895200000LL
#define AUG10      1786327200000LL
#define AUG20      1787191200000LL
#define AUG25      1787623200000LL
#define AUG31_2330 1788190200000LL /* 2026-08-31 23:30 Beijing = 15:30Z */
#define SEP03      1788400800000LL
#define SEP05      1788573600000LL
#define SEP08      1788832800000LL
#define SEP10      1789005600000LL
#define SEP15      1789437600000LL
#define SEP20      1789869600000LL
#define OCT01      1790820000000LL
#define OCT05      1791165600000LL
#define OCT10      1791597600000LL
#define OCT15      1792029600000LL
#define OCT20      1792461600000LL
#define NOV08      1794103200000LL
#define NOV10      1794276000000LL
#define NOV01_0030 1793464200000LL /* 2026-11-01 00:30 Beijing = 2026-10-31T16:30Z */

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

/* One report, as a test table writes it: unset fields are zero, as in protobuf. */
typedef struct {
    const char *id, *unit, *no, *supersedes;
    bool not_case; /* the event carries a DynamicInfo, not a case report */
    uint64_t useq; /* Envelope.unit_seq: the unit's own order (0: none) */
    int category;  /* 0: trademark counterfeiting */
    int stage, linkage;
    int goods[2]; /* up to two goods; 0 ends */
    int64_t occ, filed, closed, decision, transferred;
    int64_t value, fines, loss;
    int dens, arrested, approved, prosecuted, judged;
    int detained, persons; /* suspects detained, persons prosecuted */
} report_t;

/* A report literal (a macro, so that the formatter packs its fields). */
#define R(...)                                                                                     \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }

typedef struct {
    fixture_t *fx;
    const report_t *r;
    int64_t now_ms;
} s_call_t;

typedef int(s_env_fn)(const Dajia__Envelope *env, void *arg);

/* Builds the envelope of `r` and hands it to `fn` (it is borrowed for the call). */
static int
s_with_envelope(const report_t *r, s_env_fn *fn, void *arg)
{
    Dajia__GoodsCategory goods[2];
    size_t n_goods = 0;
    while (n_goods < 2 && r->goods[n_goods])
        goods[n_goods] = (Dajia__GoodsCategory)r->goods[n_goods], n_goods++;
    Dajia__CaseReport cr = DAJIA__CASE_REPORT__INIT;
    cr.case_no = (char *)r->no;
    cr.category = (Dajia__CaseCategory)(r->category ? r->category : TRADEMARK);
    cr.n_goods = n_goods;
    cr.goods = goods;
    cr.stage = (Dajia__CaseStage)r->stage;
    cr.linkage = (Dajia__LinkageStatus)r->linkage;
    cr.filed_at = r->filed;
    cr.closed_at = r->closed;
    cr.decision_at = r->decision;
    cr.transferred_at = r->transferred;
    cr.case_value_fen = r->value;
    cr.fines_confiscations_fen = r->fines;
    cr.loss_recovered_fen = r->loss;
    cr.dens_destroyed = r->dens;
    cr.suspects_arrested = r->arrested;
    cr.suspects_detained = r->detained;
    cr.arrests_approved = r->approved;
    cr.prosecuted_cases = r->prosecuted;
    cr.prosecuted_persons = r->persons;
    cr.persons_judged = r->judged;
    cr.seized_quantity = 1000; /* not a figure: must change nothing */
    Dajia__DynamicInfo info = DAJIA__DYNAMIC_INFO__INIT;
    info.info_id = "info-1";
    info.period = "2026-10";
    info.kind = DAJIA__INFO_KIND__INFO_KIND_WORK_DYNAMIC;
    info.title = "work dynamic";
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = (char *)r->id;
    env.unit = (char *)r->unit;
    env.occurred_at = r->occ;
    env.unit_seq = r->useq;
    env.supersedes_event_id = (char *)(r->supersedes ? r->supersedes : "");
    if (r->not_case) {
        env.body_case = DAJIA__ENVELOPE__BODY_DYNAMIC_INFO;
        env.dynamic_info = &info;
    } else {
        env.body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
        env.case_report = &cr;
    }
    return fn(&env, arg);
}

typedef struct {
    fixture_t *fx;
    store_txn_t *txn;
} s_core_call_t;

static int
s_core_apply(const Dajia__Envelope *env, void *arg)
{
    s_core_call_t *cc = arg;
    worker_event_t event = {.log_seq = cc->fx->seq, .received_at = env->occurred_at, .env = env};
    return worker_aggregate.apply(cc->fx->core, cc->txn, &event, cc->fx->out);
}

static int
s_apply_batch(store_txn_t *txn, void *arg)
{
    s_call_t *call = arg;
    s_core_call_t cc = {call->fx, txn};
    return s_with_envelope(call->r, s_core_apply, &cc);
}

/* agg_figures_apply_event() itself, with other tables and periods than the core's. */
typedef struct {
    const agg_tables_t *tables;
    const agg_period_spec_t *spec;
    uint64_t log_seq;
    const report_t *r;
    store_txn_t *txn;
} s_direct_t;

static int
s_direct_env(const Dajia__Envelope *env, void *arg)
{
    s_direct_t *d = arg;
    return agg_figures_apply_event(d->txn, d->tables, d->spec, d->log_seq, env, NULL, NULL);
}

static int
s_apply_direct(store_txn_t *txn, void *arg)
{
    s_direct_t *d = arg;
    d->txn = txn;
    return s_with_envelope(d->r, s_direct_env, d);
}

static void
s_apply(fixture_t *fx, const report_t *r)
{
    fx->seq++;
    s_call_t call = {fx, r, 0};
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
    const char *period, *unit;
    int category; /* 0: trademark counterfeiting */
    int goods;
    int64_t f[AGG_FIG_COUNT];
} cell_t;

static const char *const s_figure_names[AGG_FIG_COUNT] = {
    "filed",    "closed",   "value_fen",    "fines_fen", "loss_fen", "transfers",         "dens",
    "arrested", "approved", "prosecutions", "judgments", "detained", "persons_prosecuted"};

/* The store holds exactly `cells` (n of them), each with exactly these figures. */
static void
s_expect_cells(fixture_t *fx, const char *table, const cell_t *cells, size_t n, const char *label,
               size_t after)
{
    store_txn_t *txn = NULL;
    assert_ok(store_read_begin(fx->store, &txn));
    uint64_t count = 0;
    int rc = store_count(txn, table, &count);
    if (rc == STORE_NOTFOUND)
        count = 0;
    else
        assert_ok(rc);
    if (count != n)
        fail_msg("%s, after report %zu: %llu cells, expected %zu", label, after,
                 (unsigned long long)count, n);
    for (size_t i = 0; i < n; i++) {
        const cell_t *e = &cells[i];
        uint8_t key[AGG_CELL_KEY_MAX];
        size_t klen = agg_cell_key(key, e->period, e->unit, e->category ? e->category : TRADEMARK,
                                   e->goods, 0);
        agg_figures_t f;
        assert_ok(agg_cell_get(txn, table, key, klen, &f));
        for (int j = 0; j < AGG_FIG_COUNT; j++)
            if (f.v[j] != e->f[j])
                fail_msg("%s, after report %zu: cell %s/%s/%d/%d %s is %lld, expected %lld", label,
                         after, e->period, e->unit, e->category, e->goods, s_figure_names[j],
                         (long long)f.v[j], (long long)e->f[j]);
    }
    store_txn_end(&txn);
}

/* ------------------------------------------------------------------ scenarios */

typedef struct {
    size_t after; /* checked once this many reports are applied; 0 ends the list */
    cell_t cells[MAX_CELLS];
} check_t;

typedef struct {
    const char *name;
    report_t events[MAX_EVENTS];
    check_t checks[MAX_CHECKS];
} scenario_t;

static void
s_run_scenario(const scenario_t *s)
{
    fixture_t *fx = NULL;
    assert_int_equal(s_setup((void **)&fx), 0);
    size_t applied = 0, checked = 0;
    for (size_t i = 0; i < MAX_EVENTS && s->events[i].id; i++) {
        s_apply(fx, &s->events[i]);
        applied++;
        for (size_t c = 0; c < MAX_CHECKS && s->checks[c].after; c++) {
            if (s->checks[c].after != applied)
                continue;
            size_t n = 0;
            while (n < MAX_CELLS && s->checks[c].cells[n].period)
                n++;
            s_expect_cells(fx, "agg.cells", s->checks[c].cells, n, s->name, applied);
            checked++;
        }
    }
    for (size_t c = 0; c < MAX_CHECKS && s->checks[c].after; c++)
        if (s->checks[c].after > applied)
            fail_msg("%s: a check after report %zu, but only %zu reports", s->name,
                     s->checks[c].after, applied);
    if (checked == 0)
        fail_msg("%s: nothing checked", s->name);
    s_teardown((void **)&fx);
}

/* A report of the table (a macro, so that the formatter packs its fields). */
#define R(...)                                                                                     \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }
/* An empty check list entry: "after n reports, no cell at all". */
#define NO_CELLS                                                                                   \
    {                                                                                              \
        {                                                                                          \
            NULL                                                                                   \
        }                                                                                          \
    }

static const scenario_t s_scenarios[] = {
    /* ---------------------------------------------------------- identity and repeats */
    {"repeat of the same stage counts once",
     /* three reports of psb/A filed Oct 15: one case, value 1000.00 yuan once */
     {R(.id = "e1", .unit = "psb", .no = "A", .stage = FILED, .goods = {FOOD}, .occ = OCT15,
        .filed = OCT15, .value = 100000),
      R(.id = "e2", .unit = "psb", .no = "A", .stage = FILED, .goods = {FOOD}, .occ = OCT20,
        .filed = OCT15, .value = 100000),
      R(.id = "e3", .unit = "psb", .no = "A", .stage = FILED, .goods = {FOOD}, .occ = OCT20,
        .filed = OCT15, .value = 100000)},
     {{3, {{"2026-10", "psb", .goods = FOOD, .f = {[F_FILED] = 1, [F_VALUE] = 100000}}}}}},
    {"two units with the same case number are two cases",
     {R(.id = "e1", .unit = "psb", .no = "A", .stage = FILED, .goods = {FOOD}, .occ = OCT15,
        .filed = OCT15, .value = 100000),
      R(.id = "e1", .unit = "msa", .no = "A", .stage = FILED, .goods = {FOOD}, .occ = OCT15,
        .filed = OCT15, .value = 300000)},
     {{2,
       {{"2026-10", "psb", .goods = FOOD, .f = {[F_FILED] = 1, [F_VALUE] = 100000}},
        {"2026-10", "msa", .goods = FOOD, .f = {[F_FILED] = 1, [F_VALUE] = 300000}}}}}},
    {"goods: the first category only",
     /* A names drug then food: drug only. B names none: unspecified. Sum = 2 cases. */
     {R(.id = "e1", .unit = "psb", .no = "A", .stage = FILED, .goods = {DRUG, FOOD}, .occ = OCT15,
        .filed = OCT15, .value = 100000),
      R(.id = "e2", .unit = "psb", .no = "B", .stage = FILED, .occ = OCT15, .filed = OCT15,
        .value = 200000)},
     {{2,
       {{"2026-10", "psb", .goods = DRUG, .f = {[F_FILED] = 1, [F_VALUE] = 100000}},
        {"2026-10", "psb", .goods = NO_GOODS, .f = {[F_FILED] = 1, [F_VALUE] = 200000}}}}}},
    {"Beijing midnight decides the month",
     /* filed 2026-11-01 00:30 Beijing = 2026-10-31T16:30Z: November; arrests reported
        2026-08-31 23:30 Beijing = 15:30Z: August */
     {R(.id = "e1", .unit = "psb", .no = "A", .stage = FILED, .occ = NOV01_0030,
        .filed = NOV01_0030, .value = 100),
      R(.id = "e2", .unit = "psb", .no = "B", .stage = CRIMINAL, .occ = AUG31_2330,
        .filed = AUG31_2330, .arrested = 1)},
     {{2,
       {{"2026-11", "psb", .f = {[F_FILED] = 1, [F_VALUE] = 100}},
        {"2026-08", "psb", .f = {[F_FILED] = 1, [F_ARR] = 1}}}}}},

    /* ---------------------------------------------------------- filed and value */
    {"a clue is not filed and has no value",
     {R(.id = "e1", .unit = "psb", .no = "A", .stage = CLUE, .goods = {FOOD}, .occ = OCT15,
        .value = 100000)},
     {{1, NO_CELLS}}},
    {"a case never filed (clue handed over) is neither filed nor valued",
     /* A: clue in Aug, handed to the police Sep 3 (transferred, no filed_at): a transfer
        in Sep, no filing, no value (the enum puts handed_to_other_agency after filed,
        which counted it filed before issue 9).
        B: filed Aug 5 (1000 fen), handed to another agency Sep 8 with no filed_at and no
        linkage: still filed in Aug from its first report, no transfer.
        C: first reported handed over Sep 20, naming filed_at Sep 15 (700 fen): filed Sep.
        Aug: filed 1 value 1000. Sep: transfers 1, filed 1 value 700. */
     {R(.id = "e1", .unit = "msa", .no = "A", .stage = CLUE, .occ = AUG10, .value = 300000),
      R(.id = "e2", .unit = "msa", .no = "A", .stage = HANDED, .linkage = LINK(TRANSFERRED),
        .occ = SEP03, .transferred = SEP03, .value = 300000),
      R(.id = "e3", .unit = "msa", .no = "B", .stage = FILED, .occ = AUG05, .filed = AUG05,
        .value = 1000),
      R(.id = "e4", .unit = "msa", .no = "B", .stage = HANDED, .linkage = LINK(NONE), .occ = SEP08,
        .value = 1000),
      R(.id = "e5", .unit = "msa", .no = "C", .stage = HANDED, .occ = SEP20, .filed = SEP15,
        .value = 700)},
     {{2, {{"2026-09", "msa", .f = {[F_TRANSF] = 1}}}},
      {5,
       {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 1000}},
        {"2026-09", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 700, [F_TRANSF] = 1}}}}}},
    {"filed without filed_at: the first report's month, kept by later reports",
     /* filed reported Aug 20 without a date: Aug. Investigating Oct 10, still no date: the
        filing stays in Aug (it used to follow the latest report). */
     {R(.id = "e1", .unit = "msa", .no = "A", .stage = FILED, .occ = AUG20, .value = 500),
      R(.id = "e2", .unit = "msa", .no = "A", .stage = INVESTIGATING, .occ = OCT10, .value = 500)},
     {{1, {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 500}}}},
      {2, {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 500}}}}}},
    {"a later report that changes a dated fact changes that fact's month",
     /* filed Aug 10 at 1000 fen; the Sep 15 report names filed_at Sep 3 and value 1500:
        the filing and its value are Sep 3's (the month of the fact as now stated); a
        report repeating them (Oct 10) changes nothing. */
     {R(.id = "e1", .unit = "msa", .no = "A", .stage = FILED, .occ = AUG10, .filed = AUG10,
        .value = 1000),
      R(.id = "e2", .unit = "msa", .no = "A", .stage = FILED, .occ = SEP15, .filed = SEP03,
        .value = 1500),
      R(.id = "e3", .unit = "msa", .no = "A", .stage = INVESTIGATING, .occ = OCT10, .filed = SEP03,
        .value = 1500)},
     {{1, {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 1000}}}},
      {3, {{"2026-09", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 1500}}}}}},

    /* ---------------------------------------------------------- closed, money */
    {"filed in October, closed in November",
     /* filed Oct 15 value 1000.00; closed Nov 10 with fines 50.00 decided Nov 8:
        Oct filed 1 value 100000; Nov closed 1 fines 5000 */
     {R(.id = "e1", .unit = "psb", .no = "A", .stage = FILED, .goods = {FOOD}, .occ = OCT15,
        .filed = OCT15, .value = 100000),
      R(.id = "e2", .unit = "psb", .no = "A", .stage = CLOSED, .goods = {FOOD}, .occ = NOV10,
        .filed = OCT15, .closed = NOV10, .decision = NOV08, .value = 100000, .fines = 5000)},
     {{2,
       {{"2026-10", "psb", .goods = FOOD, .f = {[F_FILED] = 1, [F_VALUE] = 100000}},
        {"2026-11", "psb", .goods = FOOD, .f = {[F_CLOSED] = 1, [F_FINES] = 5000}}}}}},
    {"fines and loss recovered: decision date, else closing date, else the report",
     /* A: penalty decided Aug 25 (fines 5000, loss 1000) reported Aug 25, closed Sep 10:
           money in Aug by the decision date, closed in Sep.
        B: closed Sep 15 with fines 2000, no decision date: money in Sep (closed_at).
        C: penalty reported Oct 5 without a decision date (fines 300): Oct, the report's
           month; closed Nov 10 still without one: the money stays in Oct (the date the
           case already has wins over the closing date).
        Filed: A and B Aug 5 (10000 + 20000 fen), C Oct 1 (3000 fen).
        Aug: filed 2 value 30000 fines 5000 loss 1000. Sep: closed 2 fines 2000.
        Oct: filed 1 value 3000 fines 300. Nov: closed 1. */
     {R(.id = "a1", .unit = "msa", .no = "A", .stage = PENALTY, .occ = AUG25, .filed = AUG05,
        .decision = AUG25, .value = 10000, .fines = 5000, .loss = 1000),
      R(.id = "a2", .unit = "msa", .no = "A", .stage = CLOSED, .occ = SEP10, .filed = AUG05,
        .decision = AUG25, .closed = SEP10, .value = 10000, .fines = 5000, .loss = 1000),
      R(.id = "b1", .unit = "msa", .no = "B", .stage = CLOSED, .occ = SEP15, .filed = AUG05,
        .closed = SEP15, .value = 20000, .fines = 2000),
      R(.id = "c1", .unit = "msa", .no = "C", .stage = PENALTY, .occ = OCT05, .filed = OCT01,
        .value = 3000, .fines = 300),
      R(.id = "c2", .unit = "msa", .no = "C", .stage = CLOSED, .occ = NOV10, .filed = OCT01,
        .closed = NOV10, .value = 3000, .fines = 300)},
     {{1,
       {{"2026-08", "msa",
         .f = {[F_FILED] = 1, [F_VALUE] = 10000, [F_FINES] = 5000, [F_LOSS] = 1000}}}},
      {5,
       {{"2026-08", "msa",
         .f = {[F_FILED] = 2, [F_VALUE] = 30000, [F_FINES] = 5000, [F_LOSS] = 1000}},
        {"2026-09", "msa", .f = {[F_CLOSED] = 2, [F_FINES] = 2000}},
        {"2026-10", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 3000, [F_FINES] = 300}},
        {"2026-11", "msa", .f = {[F_CLOSED] = 1}}}}}},
    {"judgment effective closes; revoked withdraws every dated figure",
     /* A: in trial Aug 10 (filed Aug 10), judgment effective Oct 10 with 2 persons
        judged: closed in Oct (no closed_at: the report), judgments +2 in Oct.
        B: filed Aug 10 (100 fen) with 2 arrested, revoked Oct 10 still stating 2
        arrested: the filing leaves Aug; the arrests were made and stay (counters are
        what the reports state).
        Aug: filed 1 (A), arrested 2 (B). Oct: closed 1, judgments 2. */
     {R(.id = "a1", .unit = "court", .no = "A", .stage = STAGE(IN_TRIAL), .occ = AUG10,
        .filed = AUG10),
      R(.id = "a2", .unit = "court", .no = "A", .stage = STAGE(JUDGMENT_EFFECTIVE), .occ = OCT10,
        .filed = AUG10, .judged = 2),
      R(.id = "b1", .unit = "court", .no = "B", .stage = FILED, .occ = AUG10, .filed = AUG10,
        .value = 100, .arrested = 2),
      R(.id = "b2", .unit = "court", .no = "B", .stage = REVOKED, .occ = OCT10, .filed = AUG10,
        .value = 100, .arrested = 2)},
     {{3,
       {{"2026-08", "court", .f = {[F_FILED] = 2, [F_VALUE] = 100, [F_ARR] = 2}},
        {"2026-10", "court", .f = {[F_CLOSED] = 1, [F_JUDG] = 2}}}},
      {4,
       {{"2026-08", "court", .f = {[F_FILED] = 1, [F_ARR] = 2}},
        {"2026-10", "court", .f = {[F_CLOSED] = 1, [F_JUDG] = 2}}}}}},

    /* ---------------------------------------------------------- counters */
    {"a case spanning Aug-Oct: August's counters stay in August",
     /* Aug 10: filed, 1 den, 3 arrested -> Aug. Sep 15: the same totals -> nothing.
        Oct 20 progress: 5 arrested, 2 arrests approved -> Oct +2 arrested, +2 approved;
        August unchanged (before issue 9 every counter moved to October). Nov 10: closed,
        fines 200.00 and loss 50.00 decided Nov 8, totals unchanged -> Nov closed only. */
     {R(.id = "e1", .unit = "msa", .no = "A", .stage = FILED, .occ = AUG10, .filed = AUG10,
        .value = 500000, .dens = 1, .arrested = 3),
      R(.id = "e2", .unit = "msa", .no = "A", .stage = INVESTIGATING, .occ = SEP15, .filed = AUG10,
        .value = 500000, .dens = 1, .arrested = 3),
      R(.id = "e3", .unit = "msa", .no = "A", .stage = INVESTIGATING, .occ = OCT20, .filed = AUG10,
        .value = 500000, .dens = 1, .arrested = 5, .approved = 2),
      R(.id = "e4", .unit = "msa", .no = "A", .stage = CLOSED, .occ = NOV10, .filed = AUG10,
        .closed = NOV10, .decision = NOV08, .value = 500000, .fines = 20000, .loss = 5000,
        .dens = 1, .arrested = 5, .approved = 2)},
     {{2,
       {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 500000, [F_DENS] = 1, [F_ARR] = 3}}}},
      {3,
       {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 500000, [F_DENS] = 1, [F_ARR] = 3}},
        {"2026-10", "msa", .f = {[F_ARR] = 2, [F_APPR] = 2}}}},
      {4,
       {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 500000, [F_DENS] = 1, [F_ARR] = 3}},
        {"2026-10", "msa", .f = {[F_ARR] = 2, [F_APPR] = 2}},
        {"2026-11", "msa", .f = {[F_CLOSED] = 1, [F_FINES] = 20000, [F_LOSS] = 5000}}}}}},
    {"every counter: prosecutions and judgments by the report that raised them",
     /* procuratorate: Sep 10 prosecuted 1 case (2 arrests approved); Oct 15 another
        prosecution of the same case file: 2. court: Oct 15 judged 3, Nov 10 judged 4.
        Sep: procuratorate prosecutions 1, approved 2, filed 1 (filed Sep 10).
        Oct: procuratorate prosecutions +1; court judgments 3, filed 1 (Oct 15).
        Nov: court judgments +1, closed 1. */
     {R(.id = "p1", .unit = "procuratorate", .no = "P", .stage = STAGE(PROSECUTED), .occ = SEP10,
        .filed = SEP10, .approved = 2, .prosecuted = 1),
      R(.id = "p2", .unit = "procuratorate", .no = "P", .stage = STAGE(PROSECUTED), .occ = OCT15,
        .filed = SEP10, .approved = 2, .prosecuted = 2),
      R(.id = "c1", .unit = "court", .no = "J", .stage = STAGE(IN_TRIAL), .occ = OCT15,
        .filed = OCT15, .judged = 3),
      R(.id = "c2", .unit = "court", .no = "J", .stage = STAGE(JUDGMENT_EFFECTIVE), .occ = NOV10,
        .filed = OCT15, .closed = NOV10, .judged = 4)},
     {{4,
       {{"2026-09", "procuratorate", .f = {[F_FILED] = 1, [F_APPR] = 2, [F_PROS] = 1}},
        {"2026-10", "procuratorate", .f = {[F_PROS] = 1}},
        {"2026-10", "court", .f = {[F_FILED] = 1, [F_JUDG] = 3}},
        {"2026-11", "court", .f = {[F_CLOSED] = 1, [F_JUDG] = 1}}}}}},
    {"suspects detained and persons prosecuted: by the report that raised them",
     /* psb/A: Aug 10 criminal investigation (filed Aug 10), 3 detained -> Aug +3. Sep 15:
        5 detained -> Sep +2. procuratorate/P: Oct 15 prosecuted, 1 case and 4 persons
        (filed Oct 15) -> Oct prosecutions 1, persons 4. Nov 10: 1 case, 6 persons -> Nov
        persons +2. Then Nov 20 (occurred Nov 10) a correction of psb's Sep report: 4
        detained -> Sep +1 instead of +2; Aug, Oct and Nov unchanged.
        Aug psb: filed 1, detained 3. Sep psb: detained 2, then 1.
        Oct procuratorate: filed 1, prosecutions 1, persons 4. Nov procuratorate: persons 2. */
     {R(.id = "a1", .unit = "psb", .no = "A", .stage = CRIMINAL, .occ = AUG10, .filed = AUG10,
        .detained = 3),
      R(.id = "a2", .unit = "psb", .no = "A", .stage = CRIMINAL, .occ = SEP15, .filed = AUG10,
        .detained = 5),
      R(.id = "p1", .unit = "procuratorate", .no = "P", .stage = STAGE(PROSECUTED), .occ = OCT15,
        .filed = OCT15, .prosecuted = 1, .persons = 4),
      R(.id = "p2", .unit = "procuratorate", .no = "P", .stage = STAGE(PROSECUTED), .occ = NOV10,
        .filed = OCT15, .prosecuted = 1, .persons = 6),
      R(.id = "a3", .unit = "psb", .no = "A", .supersedes = "a2", .stage = CRIMINAL, .occ = NOV10,
        .filed = AUG10, .detained = 4)},
     {{2,
       {{"2026-08", "psb", .f = {[F_FILED] = 1, [F_DET] = 3}},
        {"2026-09", "psb", .f = {[F_DET] = 2}}}},
      {4,
       {{"2026-08", "psb", .f = {[F_FILED] = 1, [F_DET] = 3}},
        {"2026-09", "psb", .f = {[F_DET] = 2}},
        {"2026-10", "procuratorate", .f = {[F_FILED] = 1, [F_PROS] = 1, [F_PERS] = 4}},
        {"2026-11", "procuratorate", .f = {[F_PERS] = 2}}}},
      {5,
       {{"2026-08", "psb", .f = {[F_FILED] = 1, [F_DET] = 3}},
        {"2026-09", "psb", .f = {[F_DET] = 1}},
        {"2026-10", "procuratorate", .f = {[F_FILED] = 1, [F_PROS] = 1, [F_PERS] = 4}},
        {"2026-11", "procuratorate", .f = {[F_PERS] = 2}}}}}},
    {"a lower total counts as a decrease in the lowering report's month",
     /* Aug 10: 3 arrested. Oct 10: the unit now states 2 (no correction): Aug keeps 3,
        Oct -1, so the months add up to the case's total, 2. */
     {R(.id = "e1", .unit = "psb", .no = "A", .stage = CRIMINAL, .occ = AUG10, .filed = AUG10,
        .arrested = 3),
      R(.id = "e2", .unit = "psb", .no = "A", .stage = CRIMINAL, .occ = OCT10, .filed = AUG10,
        .arrested = 2)},
     {{2,
       {{"2026-08", "psb", .f = {[F_FILED] = 1, [F_ARR] = 3}},
        {"2026-10", "psb", .f = {[F_ARR] = -1}}}}}},
    {"reclassified case: dated figures move cells, counters stay in theirs",
     /* Aug 10 trademark, filed, 2 arrested. Oct 10 the same case as patent passing-off:
        the filing moves to Aug/patent; the arrests stay in Aug/trademark. */
     {R(.id = "e1", .unit = "msa", .no = "A", .stage = FILED, .occ = AUG10, .filed = AUG10,
        .value = 900, .arrested = 2),
      R(.id = "e2", .unit = "msa", .no = "A", .category = PATENT, .stage = FILED, .occ = OCT10,
        .filed = AUG10, .value = 900, .arrested = 2)},
     {{2,
       {{"2026-08", "msa", .f = {[F_ARR] = 2}},
        {"2026-08", "msa", .category = PATENT, .f = {[F_FILED] = 1, [F_VALUE] = 900}}}}}},

    /* ---------------------------------------------------------- transfers */
    {"a transfer and the police case it became count one transfer",
     /* msa/A filed Aug 20 (8000.00 yuan), handed to the police Sep 5 (transferred), then
        police filed (Sep 10, same transferred_at): one transfer, Sep, under msa.
        psb/P is the case the police received: criminal investigation, linkage police
        filed, transferred_at Sep 5, filed Sep 10, 2 arrested, 1 den: filed under psb,
        no transfer (before issue 9 it counted a second one). Oct 15: 2 arrests approved.
        Aug msa: filed 1 value 800000. Sep msa: transfers 1.
        Sep psb: filed 1 value 800000 dens 1 arrested 2. Oct psb: approved 2. */
     {R(.id = "m1", .unit = "msa", .no = "A", .stage = FILED, .linkage = LINK(SUSPECTED),
        .occ = AUG20, .filed = AUG20, .value = 800000),
      R(.id = "m2", .unit = "msa", .no = "A", .stage = HANDED, .linkage = LINK(TRANSFERRED),
        .occ = SEP05, .filed = AUG20, .transferred = SEP05, .value = 800000),
      R(.id = "m3", .unit = "msa", .no = "A", .stage = HANDED, .linkage = LINK(POLICE_FILED),
        .occ = SEP10, .filed = AUG20, .transferred = SEP05, .value = 800000),
      R(.id = "p1", .unit = "psb", .no = "P", .stage = CRIMINAL, .linkage = LINK(POLICE_FILED),
        .occ = SEP10, .filed = SEP10, .transferred = SEP05, .value = 800000, .dens = 1,
        .arrested = 2),
      R(.id = "p2", .unit = "psb", .no = "P", .stage = ARREST_APPROVED,
        .linkage = LINK(POLICE_FILED), .occ = OCT15, .filed = SEP10, .transferred = SEP05,
        .value = 800000, .dens = 1, .arrested = 2, .approved = 2)},
     {{3,
       {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 800000}},
        {"2026-09", "msa", .f = {[F_TRANSF] = 1}}}},
      {5,
       {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 800000}},
        {"2026-09", "msa", .f = {[F_TRANSF] = 1}},
        {"2026-09", "psb", .f = {[F_FILED] = 1, [F_VALUE] = 800000, [F_DENS] = 1, [F_ARR] = 2}},
        {"2026-10", "psb", .f = {[F_APPR] = 2}}}}}},
    {"a transfer without its date stays in the month first reported",
     /* linkage transferred reported Sep 5 without transferred_at: Sep. Police declined
        reported Oct 15, still without it: the transfer stays in Sep (once). */
     {R(.id = "e1", .unit = "tobacco", .no = "A", .stage = FILED, .linkage = LINK(TRANSFERRED),
        .occ = SEP05, .filed = SEP05),
      R(.id = "e2", .unit = "tobacco", .no = "A", .stage = FILED, .linkage = LINK(POLICE_DECLINED),
        .occ = OCT15, .filed = SEP05)},
     {{2, {{"2026-09", "tobacco", .f = {[F_FILED] = 1, [F_TRANSF] = 1}}}}}},

    /* ---------------------------------------------------------- corrections */
    {"correction replaces the superseded value",
     /* e2 corrects e1's value 1000.00 -> 2500.00: filed 1, value 250000 fen */
     {R(.id = "e1", .unit = "psb", .no = "A", .stage = FILED, .goods = {FOOD}, .occ = OCT15,
        .filed = OCT15, .value = 100000),
      R(.id = "e2", .unit = "psb", .no = "A", .supersedes = "e1", .stage = FILED, .goods = {FOOD},
        .occ = OCT20, .filed = OCT15, .value = 250000)},
     {{2, {{"2026-10", "psb", .goods = FOOD, .f = {[F_FILED] = 1, [F_VALUE] = 250000}}}}}},
    {"a correction of an August report arriving in October changes August by the correction",
     /* Aug 10: filed, 1000.00 yuan, 3 arrested. Oct 15 progress copies those. Oct 20: a
        correction of the Aug report: 1200.00 yuan, 4 arrested, 1 den. The value the Oct
        report carried forward unchanged takes the correction's; the Aug report's
        increase becomes 4 arrested and 1 den, in Aug; Oct gets nothing. A Nov report
        stating the corrected figures changes nothing.
        Aug: filed 1 value 120000 dens 1 arrested 4. */
     {R(.id = "e1", .unit = "msa", .no = "A", .stage = FILED, .occ = AUG10, .filed = AUG10,
        .value = 100000, .arrested = 3),
      R(.id = "e2", .unit = "msa", .no = "A", .stage = INVESTIGATING, .occ = OCT15, .filed = AUG10,
        .value = 100000, .arrested = 3),
      R(.id = "e3", .unit = "msa", .no = "A", .supersedes = "e1", .stage = FILED, .occ = OCT20,
        .filed = AUG10, .value = 120000, .dens = 1, .arrested = 4),
      R(.id = "e4", .unit = "msa", .no = "A", .stage = INVESTIGATING, .occ = NOV10, .filed = AUG10,
        .value = 120000, .dens = 1, .arrested = 4)},
     {{2, {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 100000, [F_ARR] = 3}}}},
      {3,
       {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 120000, [F_DENS] = 1, [F_ARR] = 4}}}},
      {4,
       {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 120000, [F_DENS] = 1, [F_ARR] = 4}}}}}},
    {"a correction of the September report changes September only",
     /* Aug 10: 3 arrested. Sep 15: 5 (+2 in Sep). Oct 20 corrects the Sep report to 6:
        Sep +3; Aug and Oct unchanged. Then a second correction of the same Sep report
        (superseding the first correction) to 4: Sep +1. */
     {R(.id = "e1", .unit = "psb", .no = "A", .stage = CRIMINAL, .occ = AUG10, .filed = AUG10,
        .arrested = 3),
      R(.id = "e2", .unit = "psb", .no = "A", .stage = CRIMINAL, .occ = SEP15, .filed = AUG10,
        .arrested = 5),
      R(.id = "e3", .unit = "psb", .no = "A", .supersedes = "e2", .stage = CRIMINAL, .occ = OCT20,
        .filed = AUG10, .arrested = 6),
      R(.id = "e4", .unit = "psb", .no = "A", .supersedes = "e3", .stage = CRIMINAL, .occ = OCT20,
        .filed = AUG10, .arrested = 4)},
     {{3,
       {{"2026-08", "psb", .f = {[F_FILED] = 1, [F_ARR] = 3}},
        {"2026-09", "psb", .f = {[F_ARR] = 3}}}},
      {4,
       {{"2026-08", "psb", .f = {[F_FILED] = 1, [F_ARR] = 3}},
        {"2026-09", "psb", .f = {[F_ARR] = 1}}}}}},
    {"a second correction of the original report replaces the first correction",
     /* e2 corrects e1 (2 arrested -> 5), e3 corrects e1 again (-> 4): the case states 4,
        all in Aug. */
     {R(.id = "e1", .unit = "psb", .no = "A", .stage = CRIMINAL, .occ = AUG10, .filed = AUG10,
        .arrested = 2),
      R(.id = "e2", .unit = "psb", .no = "A", .supersedes = "e1", .stage = CRIMINAL, .occ = OCT20,
        .filed = AUG10, .arrested = 5),
      R(.id = "e3", .unit = "psb", .no = "A", .supersedes = "e1", .stage = CRIMINAL, .occ = OCT20,
        .filed = AUG10, .arrested = 4)},
     {{2, {{"2026-08", "psb", .f = {[F_FILED] = 1, [F_ARR] = 5}}}},
      {3, {{"2026-08", "psb", .f = {[F_FILED] = 1, [F_ARR] = 4}}}}}},
    {"a correction of an earlier report leaves what a later report changed",
     /* e2 (closed in Nov, filed in Oct, value 1500.00) followed e1; e3 corrects e1's value
        to 9000.00: e2 had changed the value, so e2's stands.
        Oct filed 1 value 150000, Nov closed 1 */
     {R(.id = "e1", .unit = "psb", .no = "A", .stage = FILED, .goods = {FOOD}, .occ = OCT15,
        .filed = OCT15, .value = 100000),
      R(.id = "e2", .unit = "psb", .no = "A", .stage = CLOSED, .goods = {FOOD}, .occ = NOV10,
        .filed = OCT15, .closed = NOV10, .value = 150000),
      R(.id = "e3", .unit = "psb", .no = "A", .supersedes = "e1", .stage = FILED, .goods = {FOOD},
        .occ = OCT15, .filed = OCT15, .value = 900000)},
     {{3,
       {{"2026-10", "psb", .goods = FOOD, .f = {[F_FILED] = 1, [F_VALUE] = 150000}},
        {"2026-11", "psb", .goods = FOOD, .f = {[F_CLOSED] = 1}}}}}},
    {"a correction of a filing that never was withdraws it from its month",
     /* Aug 10 reported filed (700 fen); the Oct 20 correction says it was still a clue: the
        filing and value leave Aug. */
     {R(.id = "e1", .unit = "msa", .no = "A", .stage = FILED, .occ = AUG10, .filed = AUG10,
        .value = 700),
      R(.id = "e2", .unit = "msa", .no = "A", .supersedes = "e1", .stage = CLUE, .occ = OCT20,
        .value = 700)},
     {{1, {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 700}}}}, {2, NO_CELLS}}},
    {"correction moving the case number withdraws the old key",
     /* e2 says e1's case was B, not A: A withdrawn, B counted once */
     {R(.id = "e1", .unit = "msa", .no = "A", .stage = FILED, .goods = {FOOD}, .occ = OCT15,
        .filed = OCT15, .value = 100000),
      R(.id = "e2", .unit = "msa", .no = "B", .supersedes = "e1", .stage = FILED, .goods = {FOOD},
        .occ = OCT15, .filed = OCT15, .value = 100000)},
     {{2, {{"2026-10", "msa", .goods = FOOD, .f = {[F_FILED] = 1, [F_VALUE] = 100000}}}}}},
    {"a correction moving a later report to another case keeps its month",
     /* A: Aug 10 filed (100 fen), 2 arrested; Sep 10 progress, 3 arrested (+1 in Sep).
        Oct 20: the Sep report was case C (filed Sep 10, 70 fen, 1 arrested). A keeps its
        Aug figures (its other report); the Sep +1 leaves A; C counts in Sep, the
        corrected report's month: filed 1 value 70 arrested 1.
        Aug: filed 1 value 100 arrested 2. Sep: filed 1 value 70 arrested 1. */
     {R(.id = "e1", .unit = "msa", .no = "A", .stage = FILED, .occ = AUG10, .filed = AUG10,
        .value = 100, .arrested = 2),
      R(.id = "e2", .unit = "msa", .no = "A", .stage = INVESTIGATING, .occ = SEP10, .filed = AUG10,
        .value = 100, .arrested = 3),
      R(.id = "e3", .unit = "msa", .no = "C", .supersedes = "e2", .stage = FILED, .occ = OCT20,
        .filed = SEP10, .value = 70, .arrested = 1)},
     {{2,
       {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 100, [F_ARR] = 2}},
        {"2026-09", "msa", .f = {[F_ARR] = 1}}}},
      {3,
       {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 100, [F_ARR] = 2}},
        {"2026-09", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 70, [F_ARR] = 1}}}}}},
    {"a correction that is no case report withdraws the report",
     {R(.id = "e1", .unit = "msa", .no = "A", .stage = FILED, .occ = AUG10, .filed = AUG10,
        .value = 100, .arrested = 1),
      R(.id = "e2", .unit = "msa", .supersedes = "e1", .not_case = true, .occ = OCT20)},
     {{1, {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 100, [F_ARR] = 1}}}},
      {2, NO_CELLS}}},
    {"a correction stored before the report it corrects takes its place when it comes",
     /* e2 corrects e1 but is stored first: until e1 comes it counts on its own (filed Aug
        10, 1200.00, 4 arrested at its own time, Oct 20). e1 then takes its place in the
        unit's order and e2 stands in e1's place, as in the order the unit made them:
        the 4 arrested move to e1's month (before, e1 counted nothing and they stayed
        in Oct). Aug: filed 1 value 120000 arrested 4. */
     {R(.id = "e2", .unit = "msa", .no = "A", .supersedes = "e1", .stage = FILED, .occ = OCT20,
        .filed = AUG10, .value = 120000, .arrested = 4, .useq = 2),
      R(.id = "e1", .unit = "msa", .no = "A", .stage = FILED, .occ = AUG10, .filed = AUG10,
        .value = 100000, .arrested = 3, .useq = 1),
      R(.id = "e1", .unit = "msa", .no = "A", .stage = FILED, .occ = AUG10, .filed = AUG10,
        .value = 100000, .arrested = 3, .useq = 1)},
     {{1,
       {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 120000}},
        {"2026-10", "msa", .f = {[F_ARR] = 4}}}},
      {2, {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 120000, [F_ARR] = 4}}}},
      {3, {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 120000, [F_ARR] = 4}}}}}},
    {"a correction stored before its report, and a second correction, then the report",
     /* e2 and e3 both correct e1 and are stored before it; e3 replaces e2's statement. When
        e1 comes, e3 stands in its place: Aug 10, 2 arrested, value 900 (in order: e1
        counts 3 in Aug, e2 makes it 5, e3 makes it 2). A later report e4 (Oct 5, 6
        arrested) then counts +4 in Oct. */
     {R(.id = "e2", .unit = "psb", .no = "A", .supersedes = "e1", .stage = CRIMINAL, .occ = SEP15,
        .filed = AUG10, .value = 500, .arrested = 5, .useq = 2),
      R(.id = "e3", .unit = "psb", .no = "A", .supersedes = "e1", .stage = CRIMINAL, .occ = SEP20,
        .filed = AUG10, .value = 900, .arrested = 2, .useq = 3),
      R(.id = "e1", .unit = "psb", .no = "A", .stage = CRIMINAL, .occ = AUG10, .filed = AUG10,
        .value = 100, .arrested = 3, .useq = 1),
      R(.id = "e4", .unit = "psb", .no = "A", .stage = CRIMINAL, .occ = OCT05, .filed = AUG10,
        .value = 900, .arrested = 6, .useq = 4)},
     {{2,
       {{"2026-08", "psb", .f = {[F_FILED] = 1, [F_VALUE] = 900}},
        {"2026-09", "psb", .f = {[F_ARR] = 2}}}},
      {3, {{"2026-08", "psb", .f = {[F_FILED] = 1, [F_VALUE] = 900, [F_ARR] = 2}}}},
      {4,
       {{"2026-08", "psb", .f = {[F_FILED] = 1, [F_VALUE] = 900, [F_ARR] = 2}},
        {"2026-10", "psb", .f = {[F_ARR] = 4}}}}}},

    /* ---------------------------------------------------------- the unit's order */
    {"an older snapshot stored after a newer one does not undo it",
     /* The unit's e1 (Aug 10: filed, 1000 fen, 3 arrested) is stored after its e2 (Oct 10:
        investigating, 1500 fen, 5 arrested). e2 stands (value 1500); e1's increase (3)
        counts in Aug and e2's becomes the rest (2) in Oct: what the order the unit made
        them gives. Before: e1 put the value back to 1000 and Oct lost 2 arrests. */
     {R(.id = "e2", .unit = "msa", .no = "A", .stage = INVESTIGATING, .occ = OCT10, .filed = AUG10,
        .value = 1500, .arrested = 5, .useq = 8),
      R(.id = "e1", .unit = "msa", .no = "A", .stage = FILED, .occ = AUG10, .filed = AUG10,
        .value = 1000, .arrested = 3, .useq = 7)},
     {{1,
       {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 1500}},
        {"2026-10", "msa", .f = {[F_ARR] = 5}}}},
      {2,
       {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 1500, [F_ARR] = 3}},
        {"2026-10", "msa", .f = {[F_ARR] = 2}}}}}},
    {"the middle report stored last takes its increase from the one after it",
     /* Unit order e1 (Aug, 1 arrested), e2 (Sep, 4), e3 (Oct, 6); stored e1, e3, e2.
        After e3: Aug 1, Oct 5. e2 comes: Sep 3 and Oct 2, as in order. */
     {R(.id = "e1", .unit = "psb", .no = "A", .stage = CRIMINAL, .occ = AUG10, .filed = AUG10,
        .arrested = 1, .useq = 1),
      R(.id = "e3", .unit = "psb", .no = "A", .stage = CRIMINAL, .occ = OCT10, .filed = AUG10,
        .arrested = 6, .useq = 3),
      R(.id = "e2", .unit = "psb", .no = "A", .stage = CRIMINAL, .occ = SEP15, .filed = AUG10,
        .arrested = 4, .useq = 2)},
     {{2,
       {{"2026-08", "psb", .f = {[F_FILED] = 1, [F_ARR] = 1}},
        {"2026-10", "psb", .f = {[F_ARR] = 5}}}},
      {3,
       {{"2026-08", "psb", .f = {[F_FILED] = 1, [F_ARR] = 1}},
        {"2026-09", "psb", .f = {[F_ARR] = 3}},
        {"2026-10", "psb", .f = {[F_ARR] = 2}}}}}},
    {"the unit's number decides, not the report's time; unnumbered reports come first",
     /* e1 has no unit_seq (an older agent): Oct 10, closed. e2 (unit_seq 1) reopens it
        as investigating with an earlier time, Sep 20: it comes after e1 all the same and
        its statement stands (not closed). e0, unnumbered, Aug 10, stored last, is older
        than both by its time: it changes no fact and counts its 2 arrested in Aug, e1's
        increase becoming the rest. Aug: filed 1, value 300, arrested 2; Oct: arrested 1. */
     {R(.id = "e1", .unit = "msa", .no = "A", .stage = CLOSED, .occ = OCT10, .filed = AUG10,
        .closed = OCT10, .value = 300, .arrested = 3),
      R(.id = "e2", .unit = "msa", .no = "A", .stage = INVESTIGATING, .occ = SEP20, .filed = AUG10,
        .value = 300, .arrested = 3, .useq = 1),
      R(.id = "e0", .unit = "msa", .no = "A", .stage = FILED, .occ = AUG10, .filed = AUG10,
        .value = 100, .arrested = 2)},
     {{1,
       {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 300}},
        {"2026-10", "msa", .f = {[F_CLOSED] = 1, [F_ARR] = 3}}}},
      {2,
       {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 300}},
        {"2026-10", "msa", .f = {[F_ARR] = 3}}}},
      {3,
       {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 300, [F_ARR] = 2}},
        {"2026-10", "msa", .f = {[F_ARR] = 1}}}}}},
};

static void
test_scenarios_match_hand_computed_cells(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_scenarios / sizeof s_scenarios[0]; i++)
        s_run_scenario(&s_scenarios[i]);
}

/* ------------------------------------------------------------------ every arrival order */

#define MAX_ORDER_EVENTS 4

/* Events of one case in the order the unit made them (unit_seq ascending), and the cells
   expected once all have come, worked out by hand from that order. */
typedef struct {
    const char *name;
    report_t events[MAX_ORDER_EVENTS];
    cell_t cells[MAX_CELLS];
} order_case_t;

static const order_case_t s_order_cases[] = {
    {"R1, R2, then C1 correcting R1",
     /* R1 (Aug 10): filed Aug 10, 1000 fen, 2 arrested. R2 (Sep 10): closed Sep 10, value
        carried forward, fines 500 (dated by the closing), 5 arrested: +3 in Sep. C1 (Oct
        10) corrects R1: value 1500, 3 arrested. R2 carried the value forward unchanged
        from R1, so it takes C1's 1500; R2's closing and fines stay. R1's increase becomes
        2 + (3 - 2) = 3, in R1's month; R2's stays 3.
        Aug: filed 1, value 1500, arrested 3. Sep: closed 1, fines 500, arrested 3. */
     {R(.id = "r1", .unit = "msa", .no = "A", .stage = FILED, .goods = {FOOD}, .occ = AUG10,
        .filed = AUG10, .value = 1000, .arrested = 2, .useq = 1),
      R(.id = "r2", .unit = "msa", .no = "A", .stage = CLOSED, .goods = {FOOD}, .occ = SEP10,
        .filed = AUG10, .closed = SEP10, .value = 1000, .fines = 500, .arrested = 5, .useq = 2),
      R(.id = "c1", .unit = "msa", .no = "A", .supersedes = "r1", .stage = FILED, .goods = {FOOD},
        .occ = OCT10, .filed = AUG10, .value = 1500, .arrested = 3, .useq = 3)},
     {{"2026-08", "msa", .goods = FOOD, .f = {[F_FILED] = 1, [F_VALUE] = 1500, [F_ARR] = 3}},
      {"2026-09", "msa", .goods = FOOD, .f = {[F_CLOSED] = 1, [F_FINES] = 500, [F_ARR] = 3}}}},
    {"R1, R2, then C2 correcting R2",
     /* R1 and R2 as above. C2 (Oct 10) corrects R2: fines 800, 4 arrested. The case's
        statement is R2's, so it takes C2's facts: fines 800 in Sep. R2's increase
        becomes 3 + (4 - 5) = 2, in Sep; R1's stays 2 in Aug.
        Aug: filed 1, value 1000, arrested 2. Sep: closed 1, fines 800, arrested 2. */
     {R(.id = "r1", .unit = "msa", .no = "A", .stage = FILED, .goods = {FOOD}, .occ = AUG10,
        .filed = AUG10, .value = 1000, .arrested = 2, .useq = 1),
      R(.id = "r2", .unit = "msa", .no = "A", .stage = CLOSED, .goods = {FOOD}, .occ = SEP10,
        .filed = AUG10, .closed = SEP10, .value = 1000, .fines = 500, .arrested = 5, .useq = 2),
      R(.id = "c2", .unit = "msa", .no = "A", .supersedes = "r2", .stage = CLOSED, .goods = {FOOD},
        .occ = OCT10, .filed = AUG10, .closed = SEP10, .value = 1000, .fines = 800, .arrested = 4,
        .useq = 3)},
     {{"2026-08", "msa", .goods = FOOD, .f = {[F_FILED] = 1, [F_VALUE] = 1000, [F_ARR] = 2}},
      {"2026-09", "msa", .goods = FOOD, .f = {[F_CLOSED] = 1, [F_FINES] = 800, [F_ARR] = 2}}}},
    {"R1, R2, then two corrections of R1",
     /* R1 (Aug 10): filed, 1000 fen, 2 arrested. R2 (Sep 10): investigating, same value,
        5 arrested: +3 in Sep. C1a (Oct 10) corrects R1: 1200 fen, 3 arrested; C1b (Oct 20)
        corrects R1 again: 1500 fen, 1 arrested, and replaces C1a's statement. The value
        was carried forward by R2, so it is C1b's 1500; R1's increase is 2 + (3 - 2) +
        (1 - 3) = 1 in Aug; R2's stays 3 in Sep.
        Aug: filed 1, value 1500, arrested 1. Sep: arrested 3. */
     {R(.id = "r1", .unit = "msa", .no = "A", .stage = FILED, .occ = AUG10, .filed = AUG10,
        .value = 1000, .arrested = 2, .useq = 1),
      R(.id = "r2", .unit = "msa", .no = "A", .stage = INVESTIGATING, .occ = SEP10, .filed = AUG10,
        .value = 1000, .arrested = 5, .useq = 2),
      R(.id = "c1a", .unit = "msa", .no = "A", .supersedes = "r1", .stage = FILED, .occ = OCT10,
        .filed = AUG10, .value = 1200, .arrested = 3, .useq = 3),
      R(.id = "c1b", .unit = "msa", .no = "A", .supersedes = "r1", .stage = FILED, .occ = OCT20,
        .filed = AUG10, .value = 1500, .arrested = 1, .useq = 4)},
     {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 1500, [F_ARR] = 1}},
      {"2026-09", "msa", .f = {[F_ARR] = 3}}}},
    {"R2 moves the filing to another month, then C1 corrects R1",
     /* R1 (Aug 10): filed Aug 10, 1000 fen, 1 arrested. R2 (Sep 10) states filed Sep 5:
        the filing and value move to Sep; +1 arrested in Sep. C1 (Oct 10) corrects R1's
        value to 2000 (filed Aug 10 as R1 said): R2 changed the date, so Sep 5 stays; R2
        carried the value forward, so it becomes 2000. R1's increase stays 1 in Aug.
        Aug: arrested 1. Sep: filed 1, value 2000, arrested 1. */
     {R(.id = "r1", .unit = "psb", .no = "B", .stage = FILED, .occ = AUG10, .filed = AUG10,
        .value = 1000, .arrested = 1, .useq = 1),
      R(.id = "r2", .unit = "psb", .no = "B", .stage = INVESTIGATING, .occ = SEP10, .filed = SEP05,
        .value = 1000, .arrested = 2, .useq = 2),
      R(.id = "c1", .unit = "psb", .no = "B", .supersedes = "r1", .stage = FILED, .occ = OCT10,
        .filed = AUG10, .value = 2000, .arrested = 1, .useq = 3)},
     {{"2026-08", "psb", .f = {[F_ARR] = 1}},
      {"2026-09", "psb", .f = {[F_FILED] = 1, [F_VALUE] = 2000, [F_ARR] = 1}}}},
    {"R1, R2 of case A, then C1 moving R1 to case B",
     /* R1 (Aug 10) and R2 (Sep 10) of A: filed Aug 10, 1000 fen; 2 arrested in Aug, +3 in
        Sep. C1 (Oct 10) corrects R1 as a report of case B (filed Aug 10, 700 fen, 1
        arrested): R1's 2 arrested leave A; A keeps its statement (R2's); B counts in R1's
        place and month. One cell holds both cases.
        Aug: filed 2, value 1700, arrested 1. Sep: arrested 3. */
     {R(.id = "r1", .unit = "msa", .no = "A", .stage = FILED, .occ = AUG10, .filed = AUG10,
        .value = 1000, .arrested = 2, .useq = 1),
      R(.id = "r2", .unit = "msa", .no = "A", .stage = INVESTIGATING, .occ = SEP10, .filed = AUG10,
        .value = 1000, .arrested = 5, .useq = 2),
      R(.id = "c1", .unit = "msa", .no = "B", .supersedes = "r1", .stage = FILED, .occ = OCT10,
        .filed = AUG10, .value = 700, .arrested = 1, .useq = 3)},
     {{"2026-08", "msa", .f = {[F_FILED] = 2, [F_VALUE] = 1700, [F_ARR] = 1}},
      {"2026-09", "msa", .f = {[F_ARR] = 3}}}},
    {"R1, W withdrawing R1, then C correcting W",
     /* R1 (Aug 10): filed Aug 10, 1000 fen, 2 arrested. W (Oct 10) corrects R1 with no
        case report: R1 is withdrawn. C (Oct 20) corrects W, so R1 again: filed Aug 10,
        1500 fen, 3 arrested, in R1's place. Aug: filed 1, value 1500, arrested 3. */
     {R(.id = "r1", .unit = "msa", .no = "A", .stage = FILED, .occ = AUG10, .filed = AUG10,
        .value = 1000, .arrested = 2, .useq = 1),
      R(.id = "w", .unit = "msa", .supersedes = "r1", .not_case = true, .occ = OCT10, .useq = 2),
      R(.id = "c", .unit = "msa", .no = "A", .supersedes = "w", .stage = FILED, .occ = OCT20,
        .filed = AUG10, .value = 1500, .arrested = 3, .useq = 3)},
     {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 1500, [F_ARR] = 3}}}},
    {"R1, R2, then two corrections of R1, case number starting with byte 0x01",
     /* As "R1, R2, then two corrections of R1": a case_no the broker accepts (any text
        without NUL) is journaled like any other. */
     {R(.id = "r1", .unit = "msa",
        .no = "\x01"
              "A",
        .stage = FILED, .occ = AUG10, .filed = AUG10, .value = 1000, .arrested = 2, .useq = 1),
      R(.id = "r2", .unit = "msa",
        .no = "\x01"
              "A",
        .stage = INVESTIGATING, .occ = SEP10, .filed = AUG10, .value = 1000, .arrested = 5,
        .useq = 2),
      R(.id = "c1a", .unit = "msa",
        .no = "\x01"
              "A",
        .supersedes = "r1", .stage = FILED, .occ = OCT10, .filed = AUG10, .value = 1200,
        .arrested = 3, .useq = 3),
      R(.id = "c1b", .unit = "msa",
        .no = "\x01"
              "A",
        .supersedes = "r1", .stage = FILED, .occ = OCT20, .filed = AUG10, .value = 1500,
        .arrested = 1, .useq = 4)},
     {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 1500, [F_ARR] = 1}},
      {"2026-09", "msa", .f = {[F_ARR] = 3}}}},
    {"R1, R2, C1 correcting R1, then C2 correcting C1",
     /* R1 (Aug 10): filed, 1000 fen, 2 arrested. R2 (Sep 10): same value, 4 arrested: +2
        in Sep. C1 (Oct 10) corrects R1: 1200 fen, 3 arrested: the value R2 carried
        forward becomes 1200, R1's increase 3. C2 (Oct 20) corrects C1, so R1 again: 1100
        fen, 2 arrested: the value becomes 1100, R1's increase 3 + (2 - 3) = 2.
        Aug: filed 1, value 1100, arrested 2. Sep: arrested 2. */
     {R(.id = "r1", .unit = "msa", .no = "A", .stage = FILED, .occ = AUG10, .filed = AUG10,
        .value = 1000, .arrested = 2, .useq = 1),
      R(.id = "r2", .unit = "msa", .no = "A", .stage = INVESTIGATING, .occ = SEP10, .filed = AUG10,
        .value = 1000, .arrested = 4, .useq = 2),
      R(.id = "c1", .unit = "msa", .no = "A", .supersedes = "r1", .stage = FILED, .occ = OCT10,
        .filed = AUG10, .value = 1200, .arrested = 3, .useq = 3),
      R(.id = "c2", .unit = "msa", .no = "A", .supersedes = "c1", .stage = FILED, .occ = OCT20,
        .filed = AUG10, .value = 1100, .arrested = 2, .useq = 4)},
     {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 1100, [F_ARR] = 2}},
      {"2026-09", "msa", .f = {[F_ARR] = 2}}}},
};

/* Whether the store holds exactly `cells` (n); if not, says what differs in `why`. */
static bool
s_cells_are(fixture_t *fx, const cell_t *cells, size_t n, char *why, size_t why_size)
{
    store_txn_t *txn = NULL;
    assert_ok(store_read_begin(fx->store, &txn));
    uint64_t count = 0;
    int rc = store_count(txn, "agg.cells", &count);
    if (rc == STORE_NOTFOUND)
        count = 0;
    else
        assert_ok(rc);
    bool same = count == n;
    if (!same)
        snprintf(why, why_size, "%llu cells, expected %zu", (unsigned long long)count, n);
    for (size_t i = 0; same && i < n; i++) {
        const cell_t *e = &cells[i];
        uint8_t key[AGG_CELL_KEY_MAX];
        size_t klen = agg_cell_key(key, e->period, e->unit, e->category ? e->category : TRADEMARK,
                                   e->goods, 0);
        agg_figures_t f;
        assert_ok(agg_cell_get(txn, "agg.cells", key, klen, &f));
        for (int j = 0; same && j < AGG_FIG_COUNT; j++)
            if (f.v[j] != e->f[j]) {
                snprintf(why, why_size, "%s %s is %lld, expected %lld", e->period,
                         s_figure_names[j], (long long)f.v[j], (long long)e->f[j]);
                same = false;
            }
    }
    store_txn_end(&txn);
    return same;
}

/* The next permutation of idx[0..n) in lexicographic order; false after the last. */
static bool
s_next_permutation(size_t *idx, size_t n)
{
    size_t i = n - 1;
    while (i > 0 && idx[i - 1] >= idx[i])
        i--;
    if (i == 0)
        return false;
    size_t j = n - 1;
    while (idx[j] <= idx[i - 1])
        j--;
    size_t t = idx[i - 1];
    idx[i - 1] = idx[j], idx[j] = t;
    for (size_t a = i, b = n - 1; a < b; a++, b--)
        t = idx[a], idx[a] = idx[b], idx[b] = t;
    return true;
}

/* docs/domain.md §4.2, "Order": for every case of s_order_cases, every order the log can
   hold its events in (the first being the unit's own) gives the hand-worked cells. All
   the orders are tried before the test fails, and the message lists those that differ. */
static void
test_every_arrival_order_gives_the_unit_order_figures(void **state)
{
    (void)state;
    char failures[2048] = "";
    size_t failed = 0, runs = 0;
    for (size_t c = 0; c < sizeof s_order_cases / sizeof s_order_cases[0]; c++) {
        const order_case_t *oc = &s_order_cases[c];
        size_t n = 0, cells = 0, idx[MAX_ORDER_EVENTS];
        while (n < MAX_ORDER_EVENTS && oc->events[n].id)
            idx[n] = n, n++;
        while (cells < MAX_CELLS && oc->cells[cells].period)
            cells++;
        do {
            fixture_t *fx = NULL;
            assert_int_equal(s_setup((void **)&fx), 0);
            char arrival[64] = "", why[128];
            for (size_t i = 0; i < n; i++) {
                s_apply(fx, &oc->events[idx[i]]);
                size_t len = strlen(arrival);
                snprintf(arrival + len, sizeof arrival - len, "%s%s", i ? " " : "",
                         oc->events[idx[i]].id);
            }
            runs++;
            if (!s_cells_are(fx, oc->cells, cells, why, sizeof why)) {
                print_message("%s: stored %s: %s\n", oc->name, arrival, why);
                size_t len = strlen(failures);
                snprintf(failures + len, sizeof failures - len, "\n  %s: stored %s: %s", oc->name,
                         arrival, why);
                failed++;
            }
            s_teardown((void **)&fx);
        } while (s_next_permutation(idx, n));
    }
    if (failed)
        fail_msg("%zu of %zu arrival orders differ from the unit's order:%s", failed, runs,
                 failures);
}

/* docs/domain.md §4.2, "Cost": a case with more events than a replay takes (256) is not
   replayed: a report stored late is taken on the figures as they stand, which for an
   older snapshot gives what the unit's order gives, and later reports count as before.
   msa/A: reports 2..258 (Sep 10, investigating, filed Aug 10, k arrested), then report 1
   (Aug 10, filed, 1 arrested) stored last: Aug 1 arrested, Sep 257 (the first stored
   report's increase becomes the rest). Report 259 (Oct 10, 300 arrested): Oct +42. */
static void
test_a_case_too_long_to_replay_is_taken_as_it_stands(void **state)
{
    fixture_t *fx = *state;
    char id[16];
    for (int k = 2; k <= 259; k++) {
        if (k == 259) {
            report_t r1 = R(.id = "r1", .unit = "msa", .no = "A", .stage = FILED, .occ = AUG10,
                            .filed = AUG10, .value = 1000, .arrested = 1, .useq = 1);
            s_apply(fx, &r1);
            cell_t cells[] = {
                {"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 1000, [F_ARR] = 1}},
                {"2026-09", "msa", .f = {[F_ARR] = 257}}};
            s_expect_cells(fx, "agg.cells", cells, 2, "report 1 stored last", 258);
        }
        snprintf(id, sizeof id, "r%d", k);
        report_t r = R(.id = id, .unit = "msa", .no = "A", .stage = INVESTIGATING,
                       .occ = k == 259 ? OCT10 : SEP10, .filed = AUG10, .value = 1000,
                       .arrested = k == 259 ? 300 : k, .useq = (uint64_t)k);
        s_apply(fx, &r);
    }
    cell_t cells[] = {{"2026-08", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 1000, [F_ARR] = 1}},
                      {"2026-09", "msa", .f = {[F_ARR] = 257}},
                      {"2026-10", "msa", .f = {[F_ARR] = 42}}};
    s_expect_cells(fx, "agg.cells", cells, 3, "report 259", 259);
}

/* Every stage, by name, with and without a transfer linkage: filed or not, and a transfer
   or not. One unit per stage so each lands in its own cell. Hand-worked from the lists
   of docs/domain.md §4.3 ("Filed", "Transfers"): never from the enum's order. */
static void
test_each_stage_filed_and_transfer(void **state)
{
    fixture_t *fx = *state;
    static const struct {
        int stage;
        bool filed, transfer;
    } rows[] = {
        {CLUE, false, true},
        {FILED, true, true},
        {INVESTIGATING, true, true},
        {PENALTY, true, true},
        {CLOSED, true, true},
        {HANDED, false, true}, /* without filed_at and never filed before */
        {CRIMINAL, true, false},
        {ARREST_APPROVED, true, false},
        {STAGE(PROSECUTED), true, false},
        {STAGE(IN_TRIAL), true, false},
        {STAGE(JUDGMENT_EFFECTIVE), true, false},
        {REVOKED, false, false},
        {STAGE(REVOKED) + 1, false, true}, /* a stage added later: not filed */
    };
    char units[sizeof rows / sizeof rows[0]][8];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        snprintf(units[i], sizeof units[i], "u%02zu", i);
        report_t r = R(.id = "e1", .unit = units[i], .no = "A", .stage = rows[i].stage,
                       .linkage = LINK(MATERIALS_HANDED_OVER), .occ = OCT10, .value = 10);
        s_apply(fx, &r);
    }
    store_txn_t *txn = NULL;
    assert_ok(store_read_begin(fx->store, &txn));
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint8_t key[AGG_CELL_KEY_MAX];
        size_t klen = agg_cell_key(key, "2026-10", units[i], TRADEMARK, NO_GOODS, 0);
        agg_figures_t f;
        assert_ok(agg_cell_get(txn, "agg.cells", key, klen, &f));
        bool closed = rows[i].stage == CLOSED || rows[i].stage == STAGE(JUDGMENT_EFFECTIVE);
        if (f.v[F_FILED] != rows[i].filed || f.v[F_VALUE] != (rows[i].filed ? 10 : 0) ||
            f.v[F_TRANSF] != rows[i].transfer || f.v[F_CLOSED] != closed)
            fail_msg("stage %d: filed %lld value %lld transfers %lld closed %lld", rows[i].stage,
                     (long long)f.v[F_FILED], (long long)f.v[F_VALUE], (long long)f.v[F_TRANSF],
                     (long long)f.v[F_CLOSED]);
    }
    store_txn_end(&txn);
    /* Every linkage with an administrative stage: a transfer from "transferred" on, in
       the order of the proto (which here is the lifecycle, but the code lists them). */
    static const struct {
        int linkage;
        bool transfer;
    } links[] = {
        {LINK(NONE), false},
        {LINK(SUSPECTED), false},
        {LINK(REPORT_PENDING_APPROVAL), false},
        {LINK(NOT_APPROVED), false},
        {LINK(APPROVED), false},
        {LINK(TRANSFERRED), true},
        {LINK(POLICE_FILED), true},
        {LINK(POLICE_DECLINED), true},
        {LINK(RECONSIDERATION_REQUESTED), true},
        {LINK(RECONSIDERATION_DECIDED), true},
        {LINK(SUPERVISION_REQUESTED), true},
        {LINK(PROCURATORATE_NOTIFIED_FILING), true},
        {LINK(MATERIALS_HANDED_OVER), true},
        {LINK(REVERSE_TRANSFERRED), true},
    };
    char case_no[sizeof links / sizeof links[0]][8];
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        snprintf(case_no[i], sizeof case_no[i], "L%02zu", i);
        report_t r = R(.id = case_no[i], .unit = "agri", .no = case_no[i], .stage = FILED,
                       .linkage = links[i].linkage, .occ = NOV10, .filed = NOV10);
        s_apply(fx, &r);
    }
    int64_t want = 0;
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        want += links[i].transfer;
    assert_int_equal(want, 9);
    assert_ok(store_read_begin(fx->store, &txn));
    uint8_t key[AGG_CELL_KEY_MAX];
    size_t klen = agg_cell_key(key, "2026-11", "agri", TRADEMARK, NO_GOODS, 0);
    agg_figures_t f;
    assert_ok(agg_cell_get(txn, "agg.cells", key, klen, &f));
    store_txn_end(&txn);
    assert_int_equal(f.v[F_FILED], 14);
    assert_int_equal(f.v[F_TRANSF], want);
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
    report_t e1 = R(.id = "e1", .unit = "psb", .no = "A", .stage = FILED, .goods = {FOOD},
                    .occ = OCT15, .filed = OCT15, .value = 100000);
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
    report_t e2 = e1;
    e2.id = "e2";
    s_apply(fx, &e2);
    assert_int_equal(s_tick(fx, t0 + 62000), 0);
}

/* The two counters issue 9 added travel in the AggregateUpdate's Figures. */
static void
test_tick_emits_detained_and_persons_prosecuted(void **state)
{
    fixture_t *fx = *state;
    report_t e1 = R(.id = "e1", .unit = "procuratorate", .no = "P", .stage = STAGE(PROSECUTED),
                    .occ = OCT15, .filed = OCT15, .detained = 2, .prosecuted = 1, .persons = 3);
    s_apply(fx, &e1);
    assert_int_equal(s_tick(fx, NOV10), 1);
    Dajia__FeedItem *item = s_item(fx, 0);
    assert_int_equal(item->aggregate->n_rows, 1);
    const Dajia__Figures *f = item->aggregate->rows[0]->figures;
    assert_int_equal(f->suspects_detained, 2);
    assert_int_equal(f->prosecutions, 1);
    assert_int_equal(f->persons_prosecuted, 3);
    agg_figures_t back;
    agg_figures_from_proto(f, &back);
    assert_int_equal(back.v[F_DET], 2);
    assert_int_equal(back.v[F_PERS], 3);
    dajia__feed_item__free_unpacked(item, NULL);
}

static void
test_tick_emits_at_most_once_per_second(void **state)
{
    fixture_t *fx = *state;
    report_t e1 = R(.id = "e1", .unit = "psb", .no = "A", .stage = FILED, .goods = {FOOD},
                    .occ = OCT15, .filed = OCT15, .value = 100000);
    int64_t t0 = NOV10;
    s_apply(fx, &e1);
    assert_int_equal(s_tick(fx, t0), 1);
    /* revoke it 0.5 s later: the change waits for the next second */
    report_t e2 = e1;
    e2.id = "e2";
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
    report_t e1 = R(.id = "e1", .unit = "psb", .no = "A", .stage = FILED, .goods = {FOOD},
                    .occ = OCT15, .filed = OCT15, .value = 100000);
    report_t e2 =
        R(.id = "e2", .unit = "psb", .no = "A", .stage = CLOSED, .goods = {FOOD}, .occ = NOV10,
          .filed = OCT15, .closed = NOV10, .decision = NOV08, .value = 100000, .fines = 5000);
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

/* A report stored late has its case counted again (docs/domain.md §4.2): only the cells
   whose figures that changes are marked. e1 (Aug 10: filed, 1 arrested) and e3 (Oct 10, 3
   arrested) are emitted; e2 (Sep 10, 2 arrested) then comes: Sep 1 and Oct 1 arrested
   (Oct was 2), Aug stays as it was and is not sent again. */
static void
test_a_replay_marks_only_the_cells_it_changes(void **state)
{
    fixture_t *fx = *state;
    report_t e1 = R(.id = "e1", .unit = "psb", .no = "A", .stage = FILED, .occ = AUG10,
                    .filed = AUG10, .value = 1000, .arrested = 1, .useq = 1);
    report_t e2 = R(.id = "e2", .unit = "psb", .no = "A", .stage = INVESTIGATING, .occ = SEP10,
                    .filed = AUG10, .value = 1000, .arrested = 2, .useq = 2);
    report_t e3 = R(.id = "e3", .unit = "psb", .no = "A", .stage = INVESTIGATING, .occ = OCT10,
                    .filed = AUG10, .value = 1000, .arrested = 3, .useq = 3);
    s_apply(fx, &e1);
    s_apply(fx, &e3);
    assert_int_equal(s_tick(fx, NOV10), 1);
    s_apply(fx, &e2);
    assert_int_equal(s_tick(fx, NOV10 + 1000), 1);
    Dajia__FeedItem *item = s_item(fx, 0);
    assert_int_equal(item->aggregate->n_rows, 2);
    assert_string_equal(item->aggregate->rows[0]->period, "2026-09");
    assert_int_equal(item->aggregate->rows[0]->figures->suspects_arrested, 1);
    assert_string_equal(item->aggregate->rows[1]->period, "2026-10");
    assert_int_equal(item->aggregate->rows[1]->figures->suspects_arrested, 1);
    dajia__feed_item__free_unpacked(item, NULL);
}

/* ------------------------------------------------------------------ layout 1 */

static void
s_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

typedef struct {
    const char *table;
    uint8_t key[160], val[400];
    size_t klen, vlen;
} s_raw_t;

static int
s_put_raw(store_txn_t *txn, void *arg)
{
    const s_raw_t *raw = arg;
    return store_put(txn, raw->table, raw->key, raw->klen, raw->val, raw->vlen, 0);
}

/* Writes, as the version before issue 9 did, the case `unit`/`case_no` at `position` with
   one part per period: its latest report's contribution. */
static void
s_v1_case(store_t *store, const char *table, const char *unit, const char *case_no,
          uint64_t position, int category, const char *const periods[], const agg_figures_t parts[],
          size_t n)
{
    s_raw_t raw = {.table = table};
    raw.klen = (size_t)snprintf((char *)raw.key, sizeof raw.key, "%s%c%s", unit, 0, case_no);
    s_be64(raw.val, position);
    raw.val[8] = (uint8_t)category, raw.val[9] = 0, raw.val[10] = 0, raw.val[11] = (uint8_t)n;
    raw.vlen = 12;
    for (size_t i = 0; i < n; i++) {
        size_t plen = strlen(periods[i]);
        raw.val[raw.vlen++] = (uint8_t)plen;
        memcpy(raw.val + raw.vlen, periods[i], plen);
        raw.vlen += plen;
        uint8_t whole[AGG_FIGURES_BYTES]; /* layout 1 held the first eleven figures */
        agg_figures_encode(&parts[i], whole);
        memcpy(raw.val + raw.vlen, whole, AGG_FIGURES_BYTES_V2);
        raw.vlen += AGG_FIGURES_BYTES_V2;
    }
    assert_ok(store_write(store, s_put_raw, &raw));
}

/* ... and its event record: position + case_no. */
static void
s_v1_event(store_t *store, const char *table, const char *unit, const char *event_id,
           uint64_t position, const char *case_no)
{
    s_raw_t raw = {.table = table};
    raw.klen = (size_t)snprintf((char *)raw.key, sizeof raw.key, "%s%c%s", unit, 0, event_id);
    s_be64(raw.val, position);
    raw.vlen = 8 + strlen(case_no);
    memcpy(raw.val + 8, case_no, strlen(case_no));
    assert_ok(store_write(store, s_put_raw, &raw));
}

static void
s_v1_cell(store_t *store, const char *table, const char *period, const char *unit, int category,
          const agg_figures_t *f)
{
    s_raw_t raw = {.table = table};
    raw.klen = agg_cell_key(raw.key, period, unit, category, NO_GOODS, 0);
    agg_figures_encode(f, raw.val);
    raw.vlen = AGG_FIGURES_BYTES_V2; /* layouts 1 and 2 held the first eleven figures */
    assert_ok(store_write(store, s_put_raw, &raw));
}

/* A state written before issue 9 is read and converted: a correction of a case's current
   report corrects its figures (counters in the period layout 1 counted them in), one of
   an older report changes nothing, a later report repeating the facts changes nothing. */
static void
test_layout1_state_is_converted(void **state)
{
    fixture_t *fx = *state;
    /* msa/A: one report e1 (log_seq 1), filed Oct, 1000.00 yuan, 3 arrested.
       msa/B: b1 (2) then b2 (3): filed Oct, 5.00 yuan; b2 reported 2 arrested in Nov. */
    const char *const a_periods[] = {"2026-10"};
    const agg_figures_t a_parts[] = {{{[F_FILED] = 1, [F_VALUE] = 100000, [F_ARR] = 3}}};
    const char *const b_periods[] = {"2026-10", "2026-11"};
    const agg_figures_t b_parts[] = {{{[F_FILED] = 1, [F_VALUE] = 500}}, {{[F_ARR] = 2}}};
    s_v1_case(fx->store, "agg.cases", "msa", "A", 1, TRADEMARK, a_periods, a_parts, 1);
    s_v1_case(fx->store, "agg.cases", "msa", "B", 3, TRADEMARK, b_periods, b_parts, 2);
    s_v1_event(fx->store, "agg.events", "msa", "e1", 1, "A");
    s_v1_event(fx->store, "agg.events", "msa", "b1", 2, "B");
    s_v1_event(fx->store, "agg.events", "msa", "b2", 3, "B");
    const agg_figures_t oct = {{[F_FILED] = 2, [F_VALUE] = 100500, [F_ARR] = 3}};
    const agg_figures_t nov = {{[F_ARR] = 2}};
    s_v1_cell(fx->store, "agg.cells", "2026-10", "msa", TRADEMARK, &oct);
    s_v1_cell(fx->store, "agg.cells", "2026-11", "msa", TRADEMARK, &nov);
    fx->seq = 3;

    /* c1 corrects e1, A's current report: 1500.00 yuan, 4 arrested -> Oct value +50000,
       arrested +1 (in Oct, where layout 1 counted them). c2 corrects b1, replaced by b2:
       nothing. b3 repeats B's facts in Nov (filed Oct 15 falls in the same month as the
       converted date, Oct 1): nothing. */
    const report_t events[] = {
        R(.id = "c1", .unit = "msa", .no = "A", .supersedes = "e1", .stage = FILED, .occ = OCT20,
          .filed = OCT15, .value = 150000, .arrested = 4),
        R(.id = "c2", .unit = "msa", .no = "B", .supersedes = "b1", .stage = FILED, .occ = OCT20,
          .filed = OCT15, .value = 999900, .arrested = 9),
        R(.id = "b3", .unit = "msa", .no = "B", .stage = INVESTIGATING, .occ = NOV10,
          .filed = OCT15, .value = 500, .arrested = 2),
    };
    for (size_t i = 0; i < 3; i++)
        s_apply(fx, &events[i]);
    const cell_t want[] = {
        {"2026-10", "msa", .f = {[F_FILED] = 2, [F_VALUE] = 150500, [F_ARR] = 4}},
        {"2026-11", "msa", .f = {[F_ARR] = 2}},
    };
    s_expect_cells(fx, "agg.cells", want, 2, "layout 1", 3);

    /* Fixed-length demo periods are named by their start (RFC 3339): a layout-1 part
       there converts too. Circulate's tables, with channel masks. */
    const agg_period_spec_t demo = {60000, DAJIA_TIME_BEIJING_MIN};
    const agg_tables_t tables = {
        .cells = "t.cells", .cases = "t.cases", .events = "t.events", .channels = true};
    const char *const d_periods[] = {"2026-11-30T15:59:00Z"};
    const agg_figures_t d_parts[] = {{{[F_FILED] = 1, [F_VALUE] = 7}}};
    s_v1_case(fx->store, tables.cases, "psb", "X", 1, TRADEMARK, d_periods, d_parts, 1);
    s_v1_event(fx->store, tables.events, "psb", "x1", 1, "X");
    s_v1_cell(fx->store, tables.cells, d_periods[0], "psb", TRADEMARK, &d_parts[0]);
    /* x2 corrects x1: value 8, filed_at left out -> the converted date, the same minute */
    int64_t minute =
        dajia_time_days_from_civil(2026, 11, 30) * DAJIA_TIME_MS_PER_DAY + (15 * 60 + 59) * 60000LL;
    report_t x2 = R(.id = "x2", .unit = "psb", .no = "X", .supersedes = "x1", .stage = FILED,
                    .occ = minute + 5 * 60000, .value = 8);
    fx->seq++;
    s_direct_t direct = {.tables = &tables, .spec = &demo, .log_seq = fx->seq, .r = &x2};
    assert_ok(store_write(fx->store, s_apply_direct, &direct));
    const cell_t want_demo[] = {{d_periods[0], "psb", .f = {[F_FILED] = 1, [F_VALUE] = 8}}};
    s_expect_cells(fx, tables.cells, want_demo, 1, "layout 1, demo periods", 1);
}

/* ------------------------------------------------------------------ layout 2 */

/* facts(60) as layout 2 and 3 write them: category goods channels flags, then filed_at
   value_fen closed_at money_at fines_fen loss_fen transferred_at. Filed only. */
static size_t
s_v2_facts(uint8_t *p, int category, int64_t filed_at, int64_t value_fen)
{
    p[0] = (uint8_t)category, p[1] = NO_GOODS, p[2] = 0, p[3] = 0x01; /* filed */
    const int64_t dated[7] = {filed_at, value_fen, 0, 0, 0, 0, 0};
    for (int i = 0; i < 7; i++)
        s_be64(p + 4 + 8 * i, (uint64_t)dated[i]);
    return 60;
}

/* Five counters: dens, arrested, approved, prosecutions, judgments. */
static size_t
s_v2_counters(uint8_t *p, int64_t arrested)
{
    const int64_t c[5] = {0, arrested, 0, 0, 0};
    for (int i = 0; i < 5; i++)
        s_be64(p + 8 * i, (uint64_t)c[i]);
    return 40;
}

/* A state written before the counters of suspects detained and persons prosecuted (issue
   9, layout 2) is read: its records are told by their length and tag, the two counters
   it never held start from zero, and a correction of one of its reports leaves them where
   they are counted, so the months add up to the case's totals. */
static void
test_layout2_state_is_read(void **state)
{
    fixture_t *fx = *state;
    /* msa/A: one report e1 (log_seq 1) of Oct 15: filed Oct 15, 1000 fen, 3 arrested. */
    s_raw_t raw = {.table = "agg.cases"};
    raw.klen = (size_t)snprintf((char *)raw.key, sizeof raw.key, "msa%cA", 0);
    raw.val[0] = 'C';
    s_be64(raw.val + 1, 1);
    memcpy(raw.val + 9, "\0\0\0\1", 4); /* one report */
    raw.vlen = 13;
    raw.vlen += s_v2_facts(raw.val + raw.vlen, TRADEMARK, OCT15, 1000);
    raw.vlen += s_v2_counters(raw.val + raw.vlen, 3);
    assert_int_equal(raw.vlen, 113);
    assert_ok(store_write(fx->store, s_put_raw, &raw));

    raw = (s_raw_t){.table = "agg.events"};
    raw.klen = (size_t)snprintf((char *)raw.key, sizeof raw.key, "msa%ce1", 0);
    raw.val[0] = 'R';
    s_be64(raw.val + 1, 1);
    s_be64(raw.val + 9, (uint64_t)OCT15);
    raw.vlen = 17;
    raw.vlen += s_v2_counters(raw.val + raw.vlen, 3); /* stated */
    raw.vlen += s_v2_counters(raw.val + raw.vlen, 3); /* raised */
    raw.vlen += s_v2_facts(raw.val + raw.vlen, TRADEMARK, OCT15, 1000);
    raw.val[raw.vlen++] = 'A';
    assert_ok(store_write(fx->store, s_put_raw, &raw));
    const agg_figures_t oct = {{[F_FILED] = 1, [F_VALUE] = 1000, [F_ARR] = 3}};
    s_v1_cell(fx->store, "agg.cells", "2026-10", "msa", TRADEMARK, &oct); /* 11 figures */
    fx->seq = 1;
    const cell_t before[] = {
        {"2026-10", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 1000, [F_ARR] = 3}}};
    s_expect_cells(fx, "agg.cells", before, 1, "layout 2 as written", 0);

    /* e2, Nov 10: the same facts, 3 arrested, 2 detained: the case never counted any
       detained, so Nov +2. c1 corrects e1: 4 arrested and 2 detained: Oct arrested +1;
       the detained stay in Nov (what e1 stated of them is not known).
       Oct: filed 1 value 1000 arrested 4. Nov: detained 2 (the case's total). */
    const report_t events[] = {
        R(.id = "e2", .unit = "msa", .no = "A", .stage = INVESTIGATING, .occ = NOV10,
          .filed = OCT15, .value = 1000, .arrested = 3, .detained = 2),
        R(.id = "c1", .unit = "msa", .no = "A", .supersedes = "e1", .stage = FILED, .occ = OCT20,
          .filed = OCT15, .value = 1000, .arrested = 4, .detained = 2),
    };
    s_apply(fx, &events[0]);
    const cell_t mid[] = {
        {"2026-10", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 1000, [F_ARR] = 3}},
        {"2026-11", "msa", .f = {[F_DET] = 2}},
    };
    s_expect_cells(fx, "agg.cells", mid, 2, "layout 2", 1);
    s_apply(fx, &events[1]);
    const cell_t want[] = {
        {"2026-10", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 1000, [F_ARR] = 4}},
        {"2026-11", "msa", .f = {[F_DET] = 2}},
    };
    s_expect_cells(fx, "agg.cells", want, 2, "layout 2", 2);

    /* A second correction of e1 (now written in layout 3) that says 1 detained moves
       Oct by -1: it knows what e1 stated of them since c1. */
    report_t c2 = R(.id = "c2", .unit = "msa", .no = "A", .supersedes = "e1", .stage = FILED,
                    .occ = OCT20, .filed = OCT15, .value = 1000, .arrested = 4, .detained = 1);
    s_apply(fx, &c2);
    const cell_t last[] = {
        {"2026-10", "msa", .f = {[F_FILED] = 1, [F_VALUE] = 1000, [F_ARR] = 4, [F_DET] = -1}},
        {"2026-11", "msa", .f = {[F_DET] = 2}},
    };
    s_expect_cells(fx, "agg.cells", last, 2, "layout 2, corrected twice", 3);
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
    const report_t events[] = {
        R(.id = "e1", .unit = "psb", .no = "A", .stage = FILED, .goods = {FOOD}, .occ = OCT15,
          .filed = OCT15, .value = 1),
        R(.id = "e2", .unit = "msa", .no = "B", .stage = FILED, .goods = {DRUG}, .occ = OCT20,
          .filed = OCT20, .value = 1),
        R(.id = "e3", .unit = "psb", .no = "C", .stage = FILED, .goods = {FOOD}, .occ = NOV10,
          .filed = NOV10, .value = 1),
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
    static const struct {
        int64_t literal;
        unsigned month, day;
        int hour, minute;
    } times[] = {
        {AUG05, 8, 5, 10, 0},       {AUG10, 8, 10, 10, 0},       {AUG20, 8, 20, 10, 0},
        {AUG25, 8, 25, 10, 0},      {AUG31_2330, 8, 31, 23, 30}, {SEP03, 9, 3, 10, 0},
        {SEP05, 9, 5, 10, 0},       {SEP08, 9, 8, 10, 0},        {SEP10, 9, 10, 10, 0},
        {SEP15, 9, 15, 10, 0},      {SEP20, 9, 20, 10, 0},       {OCT01, 10, 1, 10, 0},
        {OCT05, 10, 5, 10, 0},      {OCT10, 10, 10, 10, 0},      {OCT15, 10, 15, 10, 0},
        {OCT20, 10, 20, 10, 0},     {NOV08, 11, 8, 10, 0},       {NOV10, 11, 10, 10, 0},
        {NOV01_0030, 11, 1, 0, 30},
    };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        assert_int_equal(times[i].literal,
                         s_bj(2026, times[i].month, times[i].day, times[i].hour, times[i].minute));
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
        cmocka_unit_test(test_every_arrival_order_gives_the_unit_order_figures),
        cmocka_unit_test_setup_teardown(test_a_case_too_long_to_replay_is_taken_as_it_stands,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_apply_emits_nothing_and_tick_emits_once, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_tick_emits_at_most_once_per_second, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_tick_emits_detained_and_persons_prosecuted, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_stage_move_emits_both_periods, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_replay_marks_only_the_cells_it_changes, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_read_period_returns_only_that_period, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_each_stage_filed_and_transfer, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_layout1_state_is_converted, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_layout2_state_is_read, s_setup, s_teardown),
        cmocka_unit_test(test_period_names_and_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
