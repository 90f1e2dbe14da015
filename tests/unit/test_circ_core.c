/*  test_circ_core.c: the circulate core (workers/circ_*): bulletins at period boundaries.

    Each test opens a store in a fresh mkdtemp directory and drives worker_circulate as the
    shell would (apply and tick inside store_write). Expected bulletins are worked out by
    hand in the comments. Times are Beijing wall-clock times (UTC+8) as unix ms; the test
    of the period helpers in test_agg_core.c checks the same arithmetic.
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

/* Beijing 10:00 of these days (00:00 for DEC01 and JAN01), unix ms. */
#define OCT01 1790820000000LL
#define OCT05 1791165600000LL
#define OCT10 1791597600000LL
#define OCT15 1792029600000LL
#define OCT20 1792461600000LL
#define NOV02 1793584800000LL
#define NOV05 1793844000000LL
#define NOV08 1794103200000LL
#define NOV10 1794276000000LL
#define NOV12 1794448800000LL
#define NOV20 1795140000000LL
#define NOV25 1795572000000LL
#define DEC01 1796054400000LL
#define DEC05 1796436000000LL
#define DEC10 1796868000000LL
#define JAN01 1798732800000LL

#define FOOD      DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_FOOD
#define DRUG      DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_DRUG
#define TRADEMARK DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING

/* ------------------------------------------------------------------ fixture */

typedef struct {
    char dir[256];
    store_t *store;
    void *core;
    worker_outputs_t *out;
    uint64_t seq;
} fixture_t;

static int
s_open(void **state, const char *period_seconds)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    if (test_util_store_make(fx->dir, sizeof fx->dir, "circ", &fx->store) != 0)
        return -1;
    worker_settings_t *settings = worker_settings_new();
    worker_settings_set(settings, "circulate/members", "psb,msa,customs,court,tax");
    if (period_seconds)
        worker_settings_set(settings, "circulate/period_seconds", period_seconds);
    int rc = worker_circulate.create(settings, &fx->core);
    worker_settings_destroy(&settings);
    fx->out = worker_outputs_new();
    *state = fx;
    return rc == 0 && fx->out ? 0 : -1;
}

static int
s_setup(void **state)
{
    return s_open(state, NULL);
}

static int
s_setup_demo(void **state)
{
    return s_open(state, "10");
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    worker_circulate.destroy(&fx->core);
    worker_outputs_destroy(&fx->out);
    int rc = test_util_store_remove(&fx->store, fx->dir);
    free(fx);
    return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ driving */

typedef struct {
    fixture_t *fx;
    const Dajia__Envelope *env;
    int64_t received_at;
    int64_t now_ms;
} s_call_t;

static int
s_apply_batch(store_txn_t *txn, void *arg)
{
    s_call_t *call = arg;
    worker_event_t event = {
        .log_seq = call->fx->seq, .received_at = call->received_at, .env = call->env};
    return worker_circulate.apply(call->fx->core, txn, &event, call->fx->out);
}

static int
s_tick_batch(store_txn_t *txn, void *arg)
{
    s_call_t *call = arg;
    return worker_circulate.tick(call->fx->core, txn, call->now_ms, call->fx->out);
}

/* Applies `env` received at `received_at`; returns the number of items it produced. */
static size_t
s_apply(fixture_t *fx, Dajia__Envelope *env, int64_t received_at)
{
    worker_outputs_clear(fx->out);
    fx->seq++;
    s_call_t call = {fx, env, received_at, 0};
    assert_ok(store_write(fx->store, s_apply_batch, &call));
    return worker_outputs_count(fx->out);
}

static size_t
s_tick(fixture_t *fx, int64_t now_ms)
{
    worker_outputs_clear(fx->out);
    s_call_t call = {fx, NULL, 0, now_ms};
    assert_ok(store_write(fx->store, s_tick_batch, &call));
    return worker_outputs_count(fx->out);
}

/* The bulletin in output i; free with dajia__feed_item__free_unpacked. */
static Dajia__FeedItem *
s_bulletin(fixture_t *fx, size_t i)
{
    size_t len = 0;
    const uint8_t *data = worker_outputs_get(fx->out, i, &len);
    assert_non_null(data);
    Dajia__FeedItem *item = dajia__feed_item__unpack(NULL, len, data);
    assert_non_null(item);
    assert_int_equal(item->item_case, DAJIA__FEED_ITEM__ITEM_BULLETIN);
    assert_int_equal(item->audience, DAJIA__AUDIENCE__AUDIENCE_PUBLIC);
    assert_string_equal(item->service, "circulate");
    return item;
}

/* ------------------------------------------------------------------ events */

static size_t
s_case(fixture_t *fx, const char *id, const char *unit, const char *case_no, int stage, int goods,
       int64_t occurred, int64_t filed_at, int64_t closed_at, int64_t value_fen, int ecommerce,
       int rural)
{
    Dajia__GoodsCategory g = (Dajia__GoodsCategory)goods;
    Dajia__CaseReport cr = DAJIA__CASE_REPORT__INIT;
    cr.case_no = (char *)case_no;
    cr.category = TRADEMARK;
    cr.n_goods = 1;
    cr.goods = &g;
    cr.stage = (Dajia__CaseStage)stage;
    cr.filed_at = filed_at;
    cr.closed_at = closed_at;
    cr.case_value_fen = value_fen;
    cr.ecommerce = ecommerce;
    cr.rural = rural;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = (char *)id;
    env.unit = (char *)unit;
    env.occurred_at = occurred;
    env.body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
    env.case_report = &cr;
    return s_apply(fx, &env, occurred);
}

static size_t
s_info(fixture_t *fx, const char *id, const char *unit, const char *period, int kind,
       const char *title, int zero, int64_t at)
{
    Dajia__DynamicInfo info = DAJIA__DYNAMIC_INFO__INIT;
    info.info_id = (char *)id;
    info.period = (char *)period;
    info.kind = (Dajia__InfoKind)kind;
    info.title = (char *)title;
    info.zero_report = zero;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = (char *)id;
    env.unit = (char *)unit;
    env.occurred_at = at;
    env.body_case = DAJIA__ENVELOPE__BODY_DYNAMIC_INFO;
    env.dynamic_info = &info;
    return s_apply(fx, &env, at);
}

static size_t
s_matter(fixture_t *fx, const char *unit, const char *matter_id, int severity, int64_t at,
         int64_t next_due)
{
    Dajia__MajorMatterReport m = DAJIA__MAJOR_MATTER_REPORT__INIT;
    m.matter_id = (char *)matter_id;
    m.type = DAJIA__MATTER_TYPE__MATTER_TYPE_MAJOR_CASE;
    m.severity = (Dajia__Severity)severity;
    m.title = (char *)matter_id;
    m.next_update_due_at = next_due;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = (char *)matter_id;
    env.unit = (char *)unit;
    env.occurred_at = at;
    env.body_case = DAJIA__ENVELOPE__BODY_MAJOR_MATTER;
    env.major_matter = &m;
    return s_apply(fx, &env, at);
}

static size_t
s_progress(fixture_t *fx, const char *id, const char *unit, const char *matter_id, uint32_t seq,
           int status, int64_t at, int64_t next_due)
{
    Dajia__MajorMatterProgress p = DAJIA__MAJOR_MATTER_PROGRESS__INIT;
    p.matter_id = (char *)matter_id;
    p.seq = seq;
    p.status = (Dajia__MatterStatus)status;
    p.narrative = "progress";
    p.next_update_due_at = next_due;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = (char *)id;
    env.unit = (char *)unit;
    env.occurred_at = at;
    env.body_case = DAJIA__ENVELOPE__BODY_MATTER_PROGRESS;
    env.matter_progress = &p;
    return s_apply(fx, &env, at);
}

enum {
    FILED = DAJIA__CASE_STAGE__CASE_STAGE_FILED,
    CLOSED = DAJIA__CASE_STAGE__CASE_STAGE_CLOSED,
};

static const Dajia__AggregateRow *
s_row(Dajia__AggregateRow **rows, size_t n, const char *unit, int goods)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i]->unit, unit) == 0 && (int)rows[i]->goods == goods)
            return rows[i];
    fail_msg("no row for unit '%s' goods %d", unit, goods);
    return NULL;
}

/* ------------------------------------------------------------------ tests */

static void
test_bulletin_has_figures_and_previous_period(void **state)
{
    fixture_t *fx = *state;
    /* October: psb case A filed Oct 15, 1000.00 yuan, e-commerce. The first event opens
       October. */
    assert_int_equal(s_case(fx, "e1", "psb", "A", FILED, FOOD, OCT15, OCT15, 0, 100000, 1, 0), 0);
    /* November: A closed on Nov 10 (filed in October); psb B filed Nov 10, 2500.00 yuan,
       rural; msa C filed Nov 8, 500.00 yuan, drug. The first November event closes
       October (event time), so its apply produces October's bulletin. */
    assert_int_equal(s_case(fx, "e2", "psb", "A", CLOSED, FOOD, NOV10, OCT15, NOV10, 100000, 1, 0),
                     1);
    Dajia__FeedItem *oct = s_bulletin(fx, 0);
    assert_string_equal(oct->bulletin->period, "2026-10");
    assert_int_equal(oct->bulletin->n_figures, 1);
    assert_int_equal(oct->bulletin->figures[0]->figures->cases_filed, 1);
    dajia__feed_item__free_unpacked(oct, NULL);
    assert_int_equal(s_case(fx, "e3", "psb", "B", FILED, FOOD, NOV10, NOV10, 0, 250000, 0, 1), 0);
    assert_int_equal(s_case(fx, "e4", "msa", "C", FILED, DRUG, NOV08, NOV08, 0, 50000, 0, 0), 0);

    /* The tick at Dec 1 00:00 Beijing ends November. */
    assert_int_equal(s_tick(fx, DEC01 - 1), 0);
    assert_int_equal(s_tick(fx, DEC01), 1);
    Dajia__FeedItem *item = s_bulletin(fx, 0);
    Dajia__Bulletin *b = item->bulletin;
    assert_string_equal(b->period, "2026-11");
    assert_int_equal(b->produced_at, DEC01);
    /* item 1: psb: filed 1 (B), closed 1 (A), value 250000; msa: filed 1, value 50000 */
    assert_int_equal(b->n_figures, 2);
    const Dajia__AggregateRow *psb = s_row(b->figures, b->n_figures, "psb", 0);
    assert_int_equal(psb->category, TRADEMARK);
    assert_int_equal(psb->figures->cases_filed, 1);
    assert_int_equal(psb->figures->cases_closed, 1);
    assert_int_equal(psb->figures->case_value_fen, 250000);
    const Dajia__AggregateRow *msa = s_row(b->figures, b->n_figures, "msa", 0);
    assert_int_equal(msa->figures->cases_filed, 1);
    assert_int_equal(msa->figures->case_value_fen, 50000);
    /* previous period (October): psb filed 1, value 100000 -> change +0 filed, +1 closed */
    assert_int_equal(b->n_previous, 1);
    assert_string_equal(b->previous[0]->period, "2026-10");
    assert_int_equal(b->previous[0]->figures->cases_filed, 1);
    assert_int_equal(b->previous[0]->figures->case_value_fen, 100000);
    /* item 2: food = B filed + A closed, value 250000; drug = C */
    assert_int_equal(b->n_by_goods, 2);
    const Dajia__AggregateRow *food = s_row(b->by_goods, b->n_by_goods, "", FOOD);
    assert_int_equal(food->figures->cases_filed, 1);
    assert_int_equal(food->figures->cases_closed, 1);
    assert_int_equal(food->figures->case_value_fen, 250000);
    assert_int_equal(s_row(b->by_goods, b->n_by_goods, "", DRUG)->figures->cases_filed, 1);
    /* channels: A (e-commerce) closed in November; B (rural) filed, 250000 */
    assert_int_equal(b->ecommerce->cases_filed, 0);
    assert_int_equal(b->ecommerce->cases_closed, 1);
    assert_int_equal(b->rural->cases_filed, 1);
    assert_int_equal(b->rural->case_value_fen, 250000);
    assert_int_equal(b->postal_express->cases_filed, 0);
    /* markdown: money in yuan with two decimals, the change against October */
    assert_non_null(strstr(b->markdown, "2500.00"));
    assert_non_null(strstr(b->markdown, "| psb | TRADEMARK_COUNTERFEITING | 1 (+0) | 1 (+1) |"));
    assert_non_null(strstr(b->markdown, "filed 2 (+1)"));
    dajia__feed_item__free_unpacked(item, NULL);
}

static void
test_compliance_statuses_and_silent_units(void **state)
{
    fixture_t *fx = *state;
    /* psb: a case of Oct 20, received Oct 20: on time for October. It opens October. */
    assert_int_equal(s_case(fx, "e1", "psb", "A", FILED, FOOD, OCT20, OCT20, 0, 100, 0, 0), 0);
    /* customs: zero report for October on Nov 5; the event (Nov 5) ends October: its
       bulletin comes out now, judging September (October's deadline, Nov 10 24:00, is
       still ahead), where all five members are missing. */
    assert_int_equal(s_info(fx, "i1", "customs", "2026-10",
                            DAJIA__INFO_KIND__INFO_KIND_WORK_DYNAMIC, "", 1, NOV05),
                     1);
    Dajia__FeedItem *oct = s_bulletin(fx, 0);
    assert_string_equal(oct->bulletin->compliance_period, "2026-09");
    assert_int_equal(oct->bulletin->n_compliance, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(oct->bulletin->compliance[i]->status, "missing");
    dajia__feed_item__free_unpacked(oct, NULL);
    /* msa: October's dynamic on Nov 12, after the deadline: late */
    assert_int_equal(s_info(fx, "i2", "msa", "2026-10", DAJIA__INFO_KIND__INFO_KIND_WORK_DYNAMIC,
                            "Market sweep", 0, NOV12),
                     0);
    /* tax: November's dynamic on Nov 20: nothing for October, but not silent in November */
    assert_int_equal(s_info(fx, "i3", "tax", "2026-11", DAJIA__INFO_KIND__INFO_KIND_TYPICAL_CASE,
                            "Fake tea ring", 0, NOV20),
                     0);
    /* court: nothing at all */
    assert_int_equal(s_tick(fx, DEC01), 1);
    Dajia__FeedItem *item = s_bulletin(fx, 0);
    Dajia__Bulletin *b = item->bulletin;
    assert_string_equal(b->period, "2026-11");
    /* at Dec 1, October's deadline has passed and November's (Dec 10 24:00) has not */
    assert_string_equal(b->compliance_period, "2026-10");
    static const char *const expected[][2] = {{"psb", "on_time"},
                                              {"msa", "late"},
                                              {"customs", "zero_report"},
                                              {"court", "missing"},
                                              {"tax", "missing"}};
    assert_int_equal(b->n_compliance, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(b->compliance[i]->unit, expected[i][0]);
        assert_string_equal(b->compliance[i]->status, expected[i][1]);
    }
    assert_int_equal(b->compliance[0]->events, 1);
    assert_int_equal(b->compliance[0]->last_report_at, OCT20);
    /* silent in November: everyone but tax (msa's and customs' reports were for October) */
    assert_int_equal(b->n_silent_units, 4);
    assert_string_equal(b->silent_units[0], "psb");
    assert_string_equal(b->silent_units[1], "msa");
    assert_string_equal(b->silent_units[2], "customs");
    assert_string_equal(b->silent_units[3], "court");
    /* item 5: tax's typical case is November's */
    assert_int_equal(b->n_dynamics, 1);
    assert_string_equal(b->dynamics[0]->title, "Fake tea ring");
    assert_non_null(strstr(b->markdown, "| msa | late | 1 |"));
    dajia__feed_item__free_unpacked(item, NULL);
}

static void
test_overdue_matters_come_first(void **state)
{
    fixture_t *fx = *state;
    enum {
        MAJOR = DAJIA__SEVERITY__SEVERITY_MAJOR,
        EMAJOR = DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR
    };
    /* m1 psb Oct 1, default 15 days: due Oct 16 10:00; at Dec 1 00:00: 45 d 14 h -> 45 */
    s_matter(fx, "psb", "m1", MAJOR, OCT01, 0);
    /* m4 court Oct 5, closed Oct 10: not listed in November */
    s_matter(fx, "court", "m4", MAJOR, OCT05, 0);
    s_progress(fx, "p4", "court", "m4", 1, DAJIA__MATTER_STATUS__MATTER_STATUS_CLOSED, OCT10, 0);
    /* m5 tax Nov 2, in progress Nov 20, next due Dec 5: not overdue */
    s_matter(fx, "tax", "m5", MAJOR, NOV02, 0);
    s_progress(fx, "p5", "tax", "m5", 1, DAJIA__MATTER_STATUS__MATTER_STATUS_IN_PROGRESS, NOV20,
               DEC05);
    /* a repeat of progress 1 saying "blocked" is ignored (seq not above the last) */
    s_progress(fx, "p5b", "tax", "m5", 1, DAJIA__MATTER_STATUS__MATTER_STATUS_BLOCKED, NOV20, 0);
    /* m2 msa especially major Nov 20: 7 days, due Nov 27 10:00 -> 3 d 14 h -> 3 */
    s_matter(fx, "msa", "m2", EMAJOR, NOV20, 0);
    /* m3 customs Nov 25, next due Dec 10: not overdue, still open */
    s_matter(fx, "customs", "m3", MAJOR, NOV25, DEC10);

    assert_int_equal(s_tick(fx, DEC01), 1);
    Dajia__FeedItem *item = s_bulletin(fx, 0);
    Dajia__Bulletin *b = item->bulletin;
    /* overdue first, most days first; then open before in progress */
    static const struct {
        const char *id;
        int64_t days;
        int status;
    } expected[] = {{"m1", 45, DAJIA__MATTER_STATUS__MATTER_STATUS_OPEN},
                    {"m2", 3, DAJIA__MATTER_STATUS__MATTER_STATUS_OPEN},
                    {"m3", 0, DAJIA__MATTER_STATUS__MATTER_STATUS_OPEN},
                    {"m5", 0, DAJIA__MATTER_STATUS__MATTER_STATUS_IN_PROGRESS}};
    assert_int_equal(b->n_matters, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(b->matters[i]->matter_id, expected[i].id);
        assert_int_equal(b->matters[i]->days_overdue, expected[i].days);
        assert_int_equal(b->matters[i]->status, expected[i].status);
    }
    assert_int_equal(b->matters[3]->last_progress_at, NOV20);
    assert_int_equal(b->matters[3]->next_update_due_at, DEC05);
    dajia__feed_item__free_unpacked(item, NULL);
}

static void
test_bulletin_is_produced_once(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(s_tick(fx, NOV10), 0); /* opens November */
    assert_int_equal(s_tick(fx, DEC01), 1);
    assert_int_equal(s_tick(fx, DEC01), 0);
    assert_int_equal(s_tick(fx, DEC01 + 1000), 0);
    /* a late November report past the boundary fires nothing again */
    assert_int_equal(s_case(fx, "e1", "psb", "A", FILED, FOOD, NOV25, NOV25, 0, 100, 0, 0), 0);
    assert_int_equal(s_case(fx, "e2", "psb", "B", FILED, FOOD, DEC05, DEC05, 0, 100, 0, 0), 0);
    /* a clock going back does not reopen anything */
    assert_int_equal(s_tick(fx, NOV20), 0);
    assert_int_equal(s_tick(fx, JAN01), 1);
    Dajia__FeedItem *item = s_bulletin(fx, 0);
    assert_string_equal(item->bulletin->period, "2026-12");
    assert_int_equal(item->bulletin->n_figures, 1);
    assert_int_equal(item->bulletin->figures[0]->figures->cases_filed, 1);
    dajia__feed_item__free_unpacked(item, NULL);
}

static void
test_demo_periods_of_n_seconds(void **state)
{
    fixture_t *fx = *state;
    /* 10-second periods; NOV10 is 2026-11-10T02:00:00Z, a multiple of 10 s */
    int64_t t0 = NOV10;
    assert_int_equal(s_tick(fx, t0), 0);
    assert_int_equal(s_case(fx, "e1", "psb", "A", FILED, FOOD, t0 + 3000, t0 + 3000, 0, 100, 0, 0),
                     0);
    assert_int_equal(s_tick(fx, t0 + 9999), 0);
    assert_int_equal(s_tick(fx, t0 + 10000), 1);
    Dajia__FeedItem *item = s_bulletin(fx, 0);
    assert_string_equal(item->bulletin->period, "2026-11-10T02:00:00Z");
    assert_int_equal(item->bulletin->figures[0]->figures->cases_filed, 1);
    /* with fixed periods the deadline is the end: the period judges itself */
    assert_string_equal(item->bulletin->compliance_period, "2026-11-10T02:00:00Z");
    assert_string_equal(item->bulletin->compliance[0]->status, "on_time");
    assert_int_equal(item->bulletin->n_silent_units, 4);
    dajia__feed_item__free_unpacked(item, NULL);
    /* 25 s later two more periods have ended: both come out, in order */
    assert_int_equal(s_tick(fx, t0 + 35000), 2);
    item = s_bulletin(fx, 0);
    assert_string_equal(item->bulletin->period, "2026-11-10T02:00:10Z");
    assert_int_equal(item->bulletin->n_figures, 0);
    assert_int_equal(item->bulletin->n_previous, 1); /* the first period's case */
    dajia__feed_item__free_unpacked(item, NULL);
    item = s_bulletin(fx, 1);
    assert_string_equal(item->bulletin->period, "2026-11-10T02:00:20Z");
    dajia__feed_item__free_unpacked(item, NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bulletin_has_figures_and_previous_period, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_compliance_statuses_and_silent_units, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_overdue_matters_come_first, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bulletin_is_produced_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_demo_periods_of_n_seconds, s_setup_demo, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
