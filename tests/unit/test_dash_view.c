/*  test_dash_view: the dashboard's view model (feed items -> the view) and the tables its
    pages build from it (dash_report), including what a public page may hold. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dash_report.h"
#include "dash_view.h"
#include "test_util.h"

#define T_CAT_TM     DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING
#define T_CAT_GI     DAJIA__CASE_CATEGORY__CASE_CATEGORY_GEOGRAPHICAL_INDICATION
#define T_GOODS_TEA  DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_TEA
#define T_GOODS_FOOD DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_FOOD
#define T_PUBLIC     DAJIA__AUDIENCE__AUDIENCE_PUBLIC
#define T_OFFICE     DAJIA__AUDIENCE__AUDIENCE_OFFICE
/* 2026-11-30T00:00:00Z, 08:00 in Beijing. */
#define T_NOV30      1795996800000LL
#define T_DAY_MS     (24LL * 3600 * 1000)

/* One aggregate row, and items made of rows. */
typedef struct {
    Dajia__AggregateRow row;
    Dajia__Figures fig;
} t_row_t;

static void
t_row(t_row_t *r, const char *period, const char *unit, int cat, int goods, int64_t filed,
      int64_t value_fen)
{
    dajia__aggregate_row__init(&r->row);
    dajia__figures__init(&r->fig);
    r->row.period = (char *)period;
    r->row.unit = (char *)unit;
    r->row.category = (Dajia__CaseCategory)cat;
    r->row.goods = (Dajia__GoodsCategory)goods;
    r->fig.cases_filed = filed;
    r->fig.case_value_fen = value_fen;
    r->row.figures = &r->fig;
}

/* Applies `item` as feed item `seq` of `audience`; returns what it changed. */
static dash_view_change_t
t_apply_item(dash_view_t *view, Dajia__FeedItem *item, uint64_t seq, Dajia__Audience audience)
{
    item->feed_seq = seq;
    item->audience = audience;
    dash_view_change_t change = DASH_VIEW_NOTHING;
    assert_ok(dash_view_apply(view, item, &change));
    return change;
}

/* Applies an AggregateUpdate of `n` rows with `seq` and `audience`. */
static dash_view_change_t
t_apply_rows(dash_view_t *view, uint64_t seq, Dajia__Audience audience, t_row_t *rows, size_t n)
{
    Dajia__AggregateRow *ptrs[16];
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &rows[i].row;
    Dajia__AggregateUpdate up = DAJIA__AGGREGATE_UPDATE__INIT;
    up.rows = ptrs;
    up.n_rows = n;
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.item_case = DAJIA__FEED_ITEM__ITEM_AGGREGATE;
    item.aggregate = &up;
    return t_apply_item(view, &item, seq, audience);
}

static void
t_apply_escalation(dash_view_t *view, uint64_t seq, const char *id, const char *rule,
                   const char *unit, int level, dash_view_change_t *change)
{
    Dajia__Escalation e = DAJIA__ESCALATION__INIT;
    e.escalation_id = (char *)id;
    e.rule = (char *)rule;
    e.unit = (char *)unit;
    e.level = (Dajia__Severity)level;
    e.case_no = "C-1";
    e.reason = "case value is at least 500000 yuan";
    e.escalated_at = T_NOV30;
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.item_case = DAJIA__FEED_ITEM__ITEM_ESCALATION;
    item.escalation = &e;
    dash_view_change_t what = t_apply_item(view, &item, seq, T_OFFICE);
    if (change)
        *change = what;
}

static void
t_apply_matter(dash_view_t *view, uint64_t seq, const char *unit, const char *id, int status,
               int64_t overdue, int64_t next_due)
{
    Dajia__MatterLine m = DAJIA__MATTER_LINE__INIT;
    m.unit = (char *)unit;
    m.matter_id = (char *)id;
    m.title = "a major matter";
    m.status = (Dajia__MatterStatus)status;
    m.severity = DAJIA__SEVERITY__SEVERITY_MAJOR;
    m.days_overdue = overdue;
    m.next_update_due_at = next_due;
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.item_case = DAJIA__FEED_ITEM__ITEM_MATTER;
    item.matter = &m;
    t_apply_item(view, &item, seq, T_OFFICE);
}

static const dash_row_t *
t_find(const dash_view_t *view, const char *period, const char *unit, int cat, int goods)
{
    const dash_row_t *const *rows;
    size_t n = dash_view_rows(view, &rows);
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i]->period, period) == 0 && strcmp(rows[i]->unit, unit) == 0 &&
            rows[i]->category == cat && rows[i]->goods == goods)
            return rows[i];
    return NULL;
}

static dash_table_t *
t_table(dash_tables_t *tables, const char *id)
{
    dash_table_t *t = dash_tables_find(tables, id);
    if (!t)
        fail_msg("no table %s", id);
    return t;
}

/* The column of `t` whose key is `key`. */
static size_t
t_col(const dash_table_t *t, const char *key)
{
    for (size_t c = 0; c < t->n_cols; c++)
        if (strcmp(t->cols[c].key, key) == 0)
            return c;
    fail_msg("table %s has no column %s", t->id, key);
    return 0;
}

/* The row of `t` whose first cell reads `name`. */
static const dash_trow_t *
t_trow(const dash_table_t *t, const char *name)
{
    for (size_t r = 0; r < t->n_rows; r++)
        if (t->rows[r].cells[0].text && strcmp(t->rows[r].cells[0].text, name) == 0)
            return &t->rows[r];
    fail_msg("table %s has no row %s", t->id, name);
    return NULL;
}

// ====================================================================== the view

static void
test_aggregate_rows_replace_and_zero_rows_are_forgotten(void **state)
{
    (void)state;
    dash_view_t *view = dash_view_new();
    assert_non_null(view);
    t_row_t rows[3];
    t_row(&rows[0], "2026-11", "psb", T_CAT_TM, T_GOODS_TEA, 2, 100);
    t_row(&rows[1], "2026-11", "msa", T_CAT_GI, T_GOODS_TEA, 3, 200);
    t_row(&rows[2], "2026-11", "customs", T_CAT_TM, T_GOODS_FOOD, 4, 300);
    assert_int_equal(t_apply_rows(view, 1, T_PUBLIC, rows, 3), DASH_VIEW_FIGURES);
    const dash_row_t *const *all;
    assert_int_equal(dash_view_rows(view, &all), 3);

    /* A row replaces, never adds. */
    t_row(&rows[1], "2026-11", "msa", T_CAT_GI, T_GOODS_TEA, 5, 250);
    t_apply_rows(view, 2, T_PUBLIC, &rows[1], 1);
    assert_int_equal(dash_view_rows(view, &all), 3);
    assert_int_equal(t_find(view, "2026-11", "msa", T_CAT_GI, T_GOODS_TEA)->v[DASH_FIG_CASES_FILED],
                     5);

    /* Zero figures: forgotten; the cell that took its slot is still found and updated. */
    t_row(&rows[0], "2026-11", "psb", T_CAT_TM, T_GOODS_TEA, 0, 0);
    t_apply_rows(view, 3, T_PUBLIC, &rows[0], 1);
    assert_int_equal(dash_view_rows(view, &all), 2);
    assert_null(t_find(view, "2026-11", "psb", T_CAT_TM, T_GOODS_TEA));
    t_row(&rows[2], "2026-11", "customs", T_CAT_TM, T_GOODS_FOOD, 7, 700);
    t_apply_rows(view, 4, T_PUBLIC, &rows[2], 1);
    assert_int_equal(dash_view_rows(view, &all), 2);
    assert_int_equal(
        t_find(view, "2026-11", "customs", T_CAT_TM, T_GOODS_FOOD)->v[DASH_FIG_CASE_VALUE_FEN],
        700);
    /* A zero row never seen adds nothing. */
    t_row(&rows[0], "2026-10", "psb", T_CAT_TM, T_GOODS_TEA, 0, 0);
    t_apply_rows(view, 5, T_PUBLIC, &rows[0], 1);
    assert_int_equal(dash_view_rows(view, &all), 2);
    assert_int_equal(dash_view_last_seq(view), 5);
    dash_view_destroy(&view);
    assert_null(view);
    dash_view_destroy(NULL);
}

static void
test_escalations_once_matters_replaced_unknown_items_ignored(void **state)
{
    (void)state;
    dash_view_t *view = dash_view_new();
    dash_view_change_t change;
    t_apply_escalation(view, 1, "E3:psb/C-1", "E3", "psb", DAJIA__SEVERITY__SEVERITY_MAJOR,
                       &change);
    assert_int_equal(change, DASH_VIEW_ESCALATION);
    t_apply_escalation(view, 2, "E3:psb/C-1", "E3", "psb", DAJIA__SEVERITY__SEVERITY_MAJOR,
                       &change);
    assert_int_equal(change, DASH_VIEW_NOTHING);
    const Dajia__FeedItem *const *items;
    assert_int_equal(dash_view_escalations(view, &items), 1);

    t_apply_matter(view, 3, "msa", "M-1", DAJIA__MATTER_STATUS__MATTER_STATUS_OPEN, 0, 0);
    t_apply_matter(view, 4, "msa", "M-1", DAJIA__MATTER_STATUS__MATTER_STATUS_IN_PROGRESS, 2, 0);
    assert_int_equal(dash_view_matters(view, &items), 1);
    assert_int_equal(items[0]->matter->status, DAJIA__MATTER_STATUS__MATTER_STATUS_IN_PROGRESS);

    Dajia__FeedItem unknown = DAJIA__FEED_ITEM__INIT;
    unknown.feed_seq = 9;
    assert_ok(dash_view_apply(view, &unknown, &change));
    assert_int_equal(change, DASH_VIEW_NOTHING);
    assert_int_equal(dash_view_ignored(view), 1);
    assert_int_equal(dash_view_last_seq(view), 9);
    dash_view_destroy(&view);
}

static void
test_export_and_import_give_the_same_view(void **state)
{
    (void)state;
    dash_view_t *view = dash_view_new();
    t_row_t rows[2];
    t_row(&rows[0], "2026-11", "psb", T_CAT_TM, T_GOODS_TEA, 2, 100);
    t_row(&rows[1], "2026-10", "msa", T_CAT_GI, T_GOODS_TEA, 3, 200);
    t_apply_rows(view, 1, T_PUBLIC, rows, 2);
    t_apply_escalation(view, 2, "E3:psb/C-1", "E3", "psb", DAJIA__SEVERITY__SEVERITY_MAJOR, NULL);
    t_apply_matter(view, 3, "msa", "M-1", DAJIA__MATTER_STATUS__MATTER_STATUS_OPEN, 0, 0);
    uint8_t *data = NULL;
    size_t len = 0;
    assert_ok(dash_view_export(view, &data, &len));
    dash_view_t *copy = dash_view_new();
    assert_ok(dash_view_import(copy, data, len));
    assert_int_equal(dash_view_last_seq(copy), 3);
    const dash_row_t *const *r;
    const Dajia__FeedItem *const *items;
    assert_int_equal(dash_view_rows(copy, &r), 2);
    assert_int_equal(
        t_find(copy, "2026-10", "msa", T_CAT_GI, T_GOODS_TEA)->v[DASH_FIG_CASE_VALUE_FEN], 200);
    assert_true(t_find(copy, "2026-10", "msa", T_CAT_GI, T_GOODS_TEA)->public_);
    assert_int_equal(dash_view_escalations(copy, &items), 1);
    assert_int_equal(dash_view_matters(copy, &items), 1);
    /* Importing what was had already changes nothing: every kind is kept once. */
    assert_ok(dash_view_import(copy, data, len));
    assert_int_equal(dash_view_rows(copy, &r), 2);
    assert_int_equal(dash_view_escalations(copy, &items), 1);
    assert_int_equal(dash_view_import(copy, (const uint8_t *)"\xff\xff\xff", 3), -EPROTO);
    free(data);
    dash_view_destroy(&view);
    dash_view_destroy(&copy);
}

// ====================================================================== the tables

static void
test_figures_by_unit_against_previous_month_and_last_year(void **state)
{
    (void)state;
    dash_view_t *view = dash_view_new();
    t_row_t rows[6];
    t_row(&rows[0], "2026-11", "psb", T_CAT_TM, T_GOODS_TEA, 6, 2000000);
    t_row(&rows[1], "2026-11", "psb", T_CAT_GI, T_GOODS_FOOD, 4, 1000000);
    t_row(&rows[2], "2026-10", "psb", T_CAT_TM, T_GOODS_TEA, 8, 1000000);
    t_row(&rows[3], "2025-11", "psb", T_CAT_TM, T_GOODS_TEA, 5, 0);
    t_row(&rows[4], "2026-11", "msa", T_CAT_GI, T_GOODS_TEA, 10, 500000);
    t_row(&rows[5], "2026-11", "newunit", T_CAT_GI, T_GOODS_TEA, 1, 1);
    t_apply_rows(view, 1, T_PUBLIC, rows, 6);
    /* An office-only row must not count on a public page. */
    t_row_t secret;
    t_row(&secret, "2026-11", "psb", T_CAT_TM, T_GOODS_TEA + 1, 1000, 1000);
    t_apply_rows(view, 2, T_OFFICE, &secret, 1);

    dash_report_ctx_t ctx = {.lang = DAJIA_LANG_ZH, .now_ms = T_NOV30};
    dajia_time_period_t nov = dash_report_default_month(view, &ctx);
    assert_int_equal(nov.year, 2026);
    assert_int_equal(nov.index, 11);
    dash_figquery_t q = {.period = nov, .category = -1};
    dash_tables_t tables = {0};
    dash_report_figures(view, &ctx, &q, &tables);
    assert_false(tables.failed);
    dash_table_t *units = t_table(&tables, "units");
    /* The 23 members in their order, then any other unit, then the total. */
    assert_int_equal(units->n_rows, 23 + 1 + 1);
    assert_string_equal(units->rows[0].cells[0].text, "市委宣传部");
    const dash_trow_t *psb = t_trow(units, "市公安局");
    assert_int_equal(psb->cells[t_col(units, "cases_filed")].n, 10);
    assert_int_equal(psb->cells[t_col(units, "cases_filed_prev")].n, 8);
    assert_int_equal(psb->cells[t_col(units, "cases_filed_ly")].n, 5);
    const dash_cell_t *mom = &psb->cells[t_col(units, "cases_filed_mom")];
    int64_t pm;
    assert_true(dash_table_change_permille(mom->n, mom->base, &pm));
    assert_int_equal(pm, 250); /* 10 against 8: +25.0% */
    const dash_cell_t *yoy = &psb->cells[t_col(units, "cases_filed_yoy")];
    assert_true(dash_table_change_permille(yoy->n, yoy->base, &pm));
    assert_int_equal(pm, 1000); /* 10 against 5: +100.0% */
    assert_int_equal(psb->cells[t_col(units, "case_value_fen")].n, 3000000);
    assert_string_equal(units->rows[23].cells[0].text, "newunit");
    const dash_trow_t *total = &units->rows[units->n_rows - 1];
    assert_true(total->total);
    assert_int_equal(total->cells[t_col(units, "cases_filed")].n, 21);
    assert_int_equal(total->cells[t_col(units, "case_value_fen")].n, 3500001);

    /* By category, and by goods with shares of the total. */
    dash_table_t *cats = t_table(&tables, "categories");
    assert_int_equal(t_trow(cats, "地理标志")->cells[1].n, 15);
    assert_int_equal(t_trow(cats, "假冒注册商标")->cells[1].n, 6);
    dash_table_t *goods = t_table(&tables, "goods");
    const dash_trow_t *tea = t_trow(goods, "茶叶");
    assert_int_equal(tea->cells[t_col(goods, "cases_filed")].n, 17);
    const dash_cell_t *share = &tea->cells[t_col(goods, "cases_filed_share")];
    assert_true(dash_table_share_permille(share->n, share->base, &pm));
    assert_int_equal(pm, 810); /* 17 of 21 */

    /* The trend: 12 months, oldest first, ending at November. */
    dash_table_t *trend = t_table(&tables, "trend");
    assert_int_equal(trend->n_rows, 12);
    assert_string_equal(trend->rows[11].cells[0].text, "2026-11");
    assert_int_equal(trend->rows[11].cells[1].n, 21);
    assert_string_equal(trend->rows[10].cells[0].text, "2026-10");
    assert_int_equal(trend->rows[10].cells[1].n, 8);
    assert_null(dash_tables_find(&tables, "channels")); /* no bulletin yet */
    dash_tables_free(&tables);

    /* A unit narrows every table to it; a category likewise. */
    snprintf(q.unit, sizeof q.unit, "msa");
    dash_report_figures(view, &ctx, &q, &tables);
    units = t_table(&tables, "units");
    assert_int_equal(units->n_rows, 2);
    assert_int_equal(units->rows[1].cells[1].n, 10);
    dash_tables_free(&tables);
    q.unit[0] = '\0';
    q.category = T_CAT_TM;
    dash_report_figures(view, &ctx, &q, &tables);
    units = t_table(&tables, "units");
    assert_int_equal(units->rows[units->n_rows - 1].cells[1].n, 6);
    dash_tables_free(&tables);
    dash_view_destroy(&view);
}

static void
test_escalation_filters_and_newest_first(void **state)
{
    (void)state;
    dash_view_t *view = dash_view_new();
    t_apply_escalation(view, 1, "E3:psb/C-1", "E3", "psb", DAJIA__SEVERITY__SEVERITY_MAJOR, NULL);
    t_apply_escalation(view, 2, "OVERDUE-7D:msa/M-1", "OVERDUE-7D", "msa",
                       DAJIA__SEVERITY__SEVERITY_MAJOR, NULL);
    t_apply_escalation(view, 3, "MM-PROGRESS:msa/M-1", "MM-PROGRESS", "msa",
                       DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR, NULL);
    dash_report_ctx_t ctx = {.lang = DAJIA_LANG_ZH, .now_ms = T_NOV30};
    dash_escfilter_t all = {0};
    dash_tables_t tables = {0};
    dash_report_escalations(view, &ctx, &all, 0, &tables);
    dash_table_t *t = t_table(&tables, "escalations");
    assert_int_equal(t->n_rows, 3);
    assert_string_equal(t->rows[0].id, "MM-PROGRESS:msa/M-1"); /* newest first */
    assert_string_equal(t->rows[0].cells[t_col(t, "escalated_at")].text, "2026年11月30日 08:00");
    assert_string_equal(t->rows[0].cells[t_col(t, "level")].text, "特别重大");
    assert_string_equal(t->rows[0].cells[t_col(t, "unit")].text, "市市场监管局");
    dash_tables_free(&tables);

    dash_escfilter_t f = {.rule = "OVERDUE"};
    dash_report_escalations(view, &ctx, &f, 0, &tables);
    t = t_table(&tables, "escalations");
    assert_int_equal(t->n_rows, 1);
    assert_string_equal(t->rows[0].id, "OVERDUE-7D:msa/M-1");
    dash_tables_free(&tables);
    dash_escfilter_t mm = {.rule = "MM"}; /* MM alone, not MM-PROGRESS */
    dash_report_escalations(view, &ctx, &mm, 0, &tables);
    assert_int_equal(t_table(&tables, "escalations")->n_rows, 0);
    dash_tables_free(&tables);
    dash_escfilter_t lvl = {.unit = "msa", .level = DAJIA__SEVERITY__SEVERITY_MAJOR};
    dash_report_escalations(view, &ctx, &lvl, 0, &tables);
    assert_int_equal(t_table(&tables, "escalations")->n_rows, 1);
    dash_tables_free(&tables);
    dash_report_escalations(view, &ctx, &all, 2, &tables);
    assert_int_equal(t_table(&tables, "escalations")->n_rows, 2);
    dash_tables_free(&tables);
    dash_view_destroy(&view);
}

static void
test_open_matters_overdue_first_with_time_to_next(void **state)
{
    (void)state;
    dash_view_t *view = dash_view_new();
    t_apply_matter(view, 1, "msa", "M-late", DAJIA__MATTER_STATUS__MATTER_STATUS_OPEN, 0,
                   T_NOV30 - 2 * T_DAY_MS);
    t_apply_matter(view, 2, "psb", "M-soon", DAJIA__MATTER_STATUS__MATTER_STATUS_IN_PROGRESS, 0,
                   T_NOV30 + 3 * T_DAY_MS + 5 * 3600 * 1000);
    t_apply_matter(view, 3, "tax", "M-overdue", DAJIA__MATTER_STATUS__MATTER_STATUS_BLOCKED, 9, 0);
    t_apply_matter(view, 4, "court", "M-done", DAJIA__MATTER_STATUS__MATTER_STATUS_CLOSED, 20, 0);
    dash_report_ctx_t ctx = {.lang = DAJIA_LANG_ZH, .now_ms = T_NOV30};
    dash_tables_t tables = {0};
    dash_report_matters(view, &ctx, &tables);
    dash_table_t *t = t_table(&tables, "matters");
    assert_int_equal(t->n_rows, 3); /* the closed one is not open */
    size_t id = t_col(t, "matter_id"), left = t_col(t, "time_to_next");
    assert_string_equal(t->rows[0].cells[id].text, "M-overdue");
    assert_string_equal(t->rows[0].css, "overdue");
    assert_string_equal(t->rows[1].cells[id].text, "M-late");
    assert_string_equal(t->rows[1].cells[left].text, "已逾期2天0小时");
    assert_string_equal(t->rows[1].css, "overdue");
    assert_string_equal(t->rows[2].cells[id].text, "M-soon");
    assert_string_equal(t->rows[2].cells[left].text, "还有3天5小时");
    assert_null(t->rows[2].css);
    dash_tables_free(&tables);
    dash_view_destroy(&view);
}

static void
test_bulletin_tables_and_revisions(void **state)
{
    (void)state;
    dash_view_t *view = dash_view_new();
    t_row_t cur[2], prev[1];
    t_row(&cur[0], "2026-11", "psb", T_CAT_TM, 0, 4, 1000000);
    t_row(&cur[1], "2026-11", "msa", T_CAT_GI, 0, 6, 3000000);
    t_row(&prev[0], "2026-10", "psb", T_CAT_TM, 0, 5, 0);
    Dajia__AggregateRow *cp[] = {&cur[0].row, &cur[1].row}, *pp[] = {&prev[0].row};
    Dajia__Figures ecommerce = DAJIA__FIGURES__INIT;
    ecommerce.cases_filed = 3;
    Dajia__UnitCompliance c1 = DAJIA__UNIT_COMPLIANCE__INIT;
    c1.unit = "psb";
    c1.status = "late";
    Dajia__UnitCompliance *comp[] = {&c1};
    Dajia__Bulletin b = DAJIA__BULLETIN__INIT;
    b.period = "2026-11";
    b.produced_at = T_NOV30 + T_DAY_MS;
    b.figures = cp;
    b.n_figures = 2;
    b.previous = pp;
    b.n_previous = 1;
    b.ecommerce = &ecommerce;
    b.compliance = comp;
    b.n_compliance = 1;
    b.compliance_period = "2026-10";
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.feed_seq = 1;
    item.audience = T_PUBLIC;
    item.item_case = DAJIA__FEED_ITEM__ITEM_BULLETIN;
    item.bulletin = &b;
    dash_view_change_t change;
    assert_ok(dash_view_apply(view, &item, &change));
    assert_int_equal(change, DASH_VIEW_BULLETIN);
    assert_ok(dash_view_apply(view, &item, &change)); /* the same one again */
    assert_int_equal(change, DASH_VIEW_NOTHING);
    b.produced_at += 1000; /* a revision */
    item.feed_seq = 2;
    assert_ok(dash_view_apply(view, &item, &change));

    dash_report_ctx_t ctx = {.lang = DAJIA_LANG_ZH, .now_ms = T_NOV30};
    dash_tables_t tables = {0};
    dash_report_bulletins(view, &ctx, &tables);
    dash_table_t *list = t_table(&tables, "bulletins");
    assert_int_equal(list->n_rows, 2);
    assert_string_equal(list->rows[0].cells[1].text, "第1次修订");
    assert_string_equal(list->rows[0].cells[0].href, "/bulletins/2026-11?rev=2");
    assert_string_equal(list->rows[1].cells[1].text, "首次印发");
    assert_int_equal(list->rows[0].cells[t_col(list, "cases_filed")].n, 10);
    dash_tables_free(&tables);
    const Dajia__FeedItem *first = dash_report_bulletin_find(view, "2026-11", 1);
    const Dajia__FeedItem *newest = dash_report_bulletin_find(view, "2026-11", 0);
    assert_non_null(first);
    assert_int_equal(newest->feed_seq, 2);
    assert_int_equal(dash_report_bulletin_revision(view, newest), 2);
    assert_null(dash_report_bulletin_find(view, "2026-11", 3));

    dash_report_bulletin(newest->bulletin, &ctx, &tables);
    dash_table_t *units = t_table(&tables, "units");
    const dash_trow_t *total = &units->rows[units->n_rows - 1];
    assert_int_equal(total->cells[1].n, 10);
    assert_int_equal(total->cells[2].n, 5); /* the previous period */
    assert_int_equal(t_trow(t_table(&tables, "channels"), "电子商务")->cells[1].n, 3);
    assert_string_equal(t_trow(t_table(&tables, "compliance"), "市公安局")->cells[1].text,
                        "逾期报送");
    dash_tables_free(&tables);

    /* The figures page takes the channels from the month's bulletin. */
    t_apply_rows(view, 3, T_PUBLIC, cur, 2);
    dash_figquery_t q = {.period = dash_report_default_month(view, &ctx), .category = -1};
    dash_report_figures(view, &ctx, &q, &tables);
    assert_non_null(dash_tables_find(&tables, "channels"));
    dash_tables_free(&tables);
    /* A bulletin's compliance is its own: the compliance page waits for the feed's. */
    dash_report_compliance(view, &ctx, &tables);
    assert_int_equal(tables.count, 0);
    assert_null(dash_report_compliance_open(view, &ctx));
    dash_view_destroy(&view);
}

// ====================================================================== compliance

#define T_HOUR_MS (3600LL * 1000)
/* Deadlines: the 10th of the next month, 24:00 in Beijing (16:00 UTC). */
#define T_SEP_DUE (T_NOV30 - 51 * T_DAY_MS + 16 * T_HOUR_MS)
#define T_OCT_DUE (T_NOV30 - 20 * T_DAY_MS + 16 * T_HOUR_MS)
#define T_NOV_DUE (T_NOV30 + 10 * T_DAY_MS + 16 * T_HOUR_MS)
/* 5 November, 10:00 in Beijing. */
#define T_NOV5    (T_NOV30 - 25 * T_DAY_MS + 2 * T_HOUR_MS)

/* Applies a ComplianceUpdate of `period` with rows "unit:status[:late]". */
static dash_view_change_t
t_apply_compliance(dash_view_t *view, uint64_t seq, const char *period, int64_t deadline,
                   int64_t produced_at, const char *const *rows, size_t n)
{
    Dajia__UnitCompliance u[8], *ptrs[8];
    char text[8][64];
    for (size_t i = 0; i < n; i++) {
        dajia__unit_compliance__init(&u[i]);
        snprintf(text[i], sizeof text[i], "%s", rows[i]);
        char *status = strchr(text[i], ':');
        *status++ = '\0';
        char *late = strchr(status, ':');
        if (late)
            *late = '\0';
        u[i].unit = text[i];
        u[i].status = status;
        u[i].late = late != NULL;
        u[i].period = (char *)period;
        u[i].deadline_at = deadline;
        u[i].events = strcmp(status, "pending") == 0 ? 0 : 2;
        u[i].first_report_at = u[i].events ? deadline - 3 * T_DAY_MS : 0;
        u[i].last_report_at = u[i].first_report_at;
        ptrs[i] = &u[i];
    }
    Dajia__ComplianceUpdate up = DAJIA__COMPLIANCE_UPDATE__INIT;
    up.period = (char *)period;
    up.deadline_at = deadline;
    up.units = ptrs;
    up.n_units = n;
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.produced_at = produced_at;
    item.item_case = DAJIA__FEED_ITEM__ITEM_COMPLIANCE;
    item.compliance = &up;
    return t_apply_item(view, &item, seq, T_OFFICE);
}

/* A view with September (closed), October (open on 5 November) and November. */
static dash_view_t *
t_compliance_view(void)
{
    dash_view_t *view = dash_view_new();
    const char *oct[] = {"psb:pending", "msa:on_time", "customs:zero_report:late", "agri:pending"};
    assert_int_equal(t_apply_compliance(view, 1, "2026-10", T_OCT_DUE, T_NOV5 - T_DAY_MS, oct, 4),
                     DASH_VIEW_COMPLIANCE);
    const char *sep[] = {"psb:late:late", "msa:missing", "agri:on_time"};
    t_apply_compliance(view, 2, "2026-09", T_SEP_DUE, T_NOV5 - T_DAY_MS, sep, 3);
    const char *nov[] = {"psb:pending", "msa:pending"};
    t_apply_compliance(view, 3, "2026-11", T_NOV_DUE, T_NOV5 - T_DAY_MS, nov, 2);
    const char *later[] = {"agri:on_time"}; /* a unit's row replaces the one held */
    t_apply_compliance(view, 4, "2026-10", T_OCT_DUE, T_NOV5 - 1000, later, 1);
    return view;
}

static void
test_compliance_latest_row_per_month_and_unit_kept_and_exported(void **state)
{
    (void)state;
    dash_view_t *view = t_compliance_view();
    const dash_compliance_t *const *months;
    assert_int_equal(dash_view_compliance(view, &months), 3);
    assert_string_equal(months[0]->period, "2026-10");
    assert_int_equal(months[0]->deadline_at, T_OCT_DUE);
    assert_int_equal(months[0]->n_units, 4);
    assert_string_equal(months[0]->units[3].unit, "agri"); /* in the order first named */
    assert_string_equal(months[0]->units[3].status, "on_time");
    assert_int_equal(dash_view_compliance_seen(view), T_NOV5 - 1000);

    uint8_t *data = NULL;
    size_t len = 0;
    assert_ok(dash_view_export(view, &data, &len));
    dash_view_t *copy = dash_view_new();
    assert_ok(dash_view_import(copy, data, len));
    free(data);
    assert_int_equal(dash_view_compliance(copy, &months), 3);
    assert_int_equal(months[0]->n_units, 4);
    assert_string_equal(months[0]->units[3].status, "on_time");
    assert_string_equal(months[2]->period, "2026-11");
    assert_int_equal(months[2]->deadline_at, T_NOV_DUE);
    assert_int_equal(dash_view_compliance_seen(copy), T_NOV5 - 1000);
    assert_int_equal(dash_view_last_seq(copy), 4);
    dash_view_destroy(&copy);
    dash_view_destroy(&view);
}

static void
test_compliance_page_open_month_then_others(void **state)
{
    (void)state;
    dash_view_t *view = t_compliance_view();
    /* 5 November: October is open (due on the 10th). */
    dash_report_ctx_t ctx = {.lang = DAJIA_LANG_ZH, .now_ms = T_NOV5};
    assert_string_equal(dash_report_compliance_open(view, &ctx)->period, "2026-10");
    dash_tables_t tables = {0};
    dash_report_compliance(view, &ctx, &tables);
    dash_table_t *t = t_table(&tables, "compliance");
    assert_non_null(strstr(t->title, "2026年10月"));
    assert_non_null(strstr(t->title, "2026年11月10日24时"));
    assert_non_null(strstr(t->title, "还有5天截止"));
    assert_int_equal(t->n_rows, 4);
    size_t status = t_col(t, "status"), events = t_col(t, "events");
    const dash_trow_t *psb = t_trow(t, "市公安局");
    assert_string_equal(psb->cells[status].text, "待报送（还有5天截止）");
    assert_string_equal(psb->css, "pending");
    assert_string_equal(psb->id, "compliance-psb");
    assert_string_equal(psb->cells[t_col(t, "first_report_at")].text, "—");
    assert_string_equal(psb->cells[t_col(t, "deadline_at")].text, "2026年11月10日24时");
    assert_string_equal(t_trow(t, "信阳海关")->cells[status].text, "零申报（逾期报送）");
    const dash_trow_t *msa = t_trow(t, "市市场监管局");
    assert_string_equal(msa->cells[status].text, "按时报送");
    assert_int_equal(msa->cells[events].n, 2);
    assert_string_equal(t_trow(t, "市农业农村局")->css, "on_time");
    assert_non_null(strstr(t->note, "按时报送2家"));
    assert_non_null(strstr(t->note, "待报送1家"));
    /* The other months, the latest deadline first: November, then September. */
    dash_table_t *h = t_table(&tables, "history");
    assert_int_equal(h->n_cols, 3);
    assert_string_equal(h->cols[1].key, "2026-11");
    assert_string_equal(h->cols[2].key, "2026-09");
    assert_non_null(strstr(h->cols[2].header, "2026年10月10日24时"));
    assert_int_equal(h->n_rows, 23); /* every member unit */
    assert_string_equal(t_trow(h, "市公安局")->cells[2].text, "逾期报送");
    assert_string_equal(t_trow(h, "市市场监管局")->cells[2].text, "未报送");
    assert_string_equal(t_trow(h, "市市场监管局")->cells[1].text, "待报送（还有35天截止）");
    assert_string_equal(t_trow(h, "市财政局")->cells[1].text, "—");
    dash_tables_free(&tables);

    /* 11 November: October has closed and November is open; a unit still pending in
       October is missing. */
    ctx.now_ms = T_OCT_DUE + T_HOUR_MS;
    assert_string_equal(dash_report_compliance_open(view, &ctx)->period, "2026-11");
    dash_report_compliance(view, &ctx, &tables);
    h = t_table(&tables, "history");
    assert_string_equal(h->cols[1].key, "2026-10");
    assert_string_equal(t_trow(h, "市公安局")->cells[1].text, "未报送");
    t = t_table(&tables, "compliance");
    assert_string_equal(t_trow(t, "市公安局")->css, "pending");
    dash_tables_free(&tables);

    /* The worker's clock ahead of ours counts as now. */
    ctx.now_ms = T_NOV5 - 10 * T_DAY_MS;
    assert_int_equal(dash_report_compliance_now(view, &ctx), T_NOV5 - 1000);

    /* Once every deadline has passed, the latest month is the one shown. */
    ctx.now_ms = T_NOV_DUE + T_DAY_MS;
    dash_report_compliance(view, &ctx, &tables);
    t = t_table(&tables, "compliance");
    assert_non_null(strstr(t->title, "已截止"));
    assert_string_equal(t_trow(t, "市公安局")->css, "missing");
    dash_tables_free(&tables);

    ctx.lang = DAJIA_LANG_EN;
    ctx.now_ms = T_NOV5;
    dash_report_compliance(view, &ctx, &tables);
    t = t_table(&tables, "compliance");
    assert_string_equal(t_trow(t, "Public Security Bureau")->cells[status].text,
                        "pending (due in 5 days)");
    assert_non_null(strstr(t->title, "2026-11-10 24:00"));
    dash_tables_free(&tables);
    dash_view_destroy(&view);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aggregate_rows_replace_and_zero_rows_are_forgotten),
        cmocka_unit_test(test_escalations_once_matters_replaced_unknown_items_ignored),
        cmocka_unit_test(test_export_and_import_give_the_same_view),
        cmocka_unit_test(test_figures_by_unit_against_previous_month_and_last_year),
        cmocka_unit_test(test_escalation_filters_and_newest_first),
        cmocka_unit_test(test_open_matters_overdue_first_with_time_to_next),
        cmocka_unit_test(test_bulletin_tables_and_revisions),
        cmocka_unit_test(test_compliance_latest_row_per_month_and_unit_kept_and_exported),
        cmocka_unit_test(test_compliance_page_open_month_then_others),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
