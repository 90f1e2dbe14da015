/*  dash_report: the tables of the dashboard's pages (see dash_report.h).

    The figures are summed in one pass over the view's cells: each cell whose month is P,
    the month before P or P a year before goes to its unit's and its category's sums, and
    each cell of the 12 months up to P to the trend. With 10,000 cells that pass is well
    under a millisecond; an index by month would save nothing a person could notice.
*/
#include "dash_report.h"
#include "dash_query.h"
#include "office_compliance.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TREND_MONTHS 12
#define S_CAT_SLOTS    64 /* case categories counted one by one; later ones go to "other" */
#define S_GOODS_SLOTS  64
#define S_TEXT         DAJIA_LABEL_TEXT_MAX

typedef struct {
    int64_t cur[DASH_FIG_COUNT];
    int64_t prev[DASH_FIG_COUNT];
    int64_t ly[DASH_FIG_COUNT]; /* the same month a year before */
    bool seen;                  /* any cell in the three months */
} s_acc_t;

static const char *
s_t(const dash_report_ctx_t *ctx, const char *zh, const char *en)
{
    return ctx->lang == DAJIA_LANG_EN ? en : zh;
}

static void
s_acc_add(int64_t into[DASH_FIG_COUNT], const int64_t v[DASH_FIG_COUNT])
{
    for (int i = 0; i < DASH_FIG_COUNT; i++)
        into[i] += v[i];
}

/* Months since year 0 of "YYYY-MM", or -1. */
static int64_t
s_month_num(const char *period)
{
    dajia_time_period_t p;
    if (dajia_time_period_parse(period, strlen(period), &p) != 0 || p.unit != DAJIA_TIME_MONTH)
        return -1;
    return p.year * 12 + (p.index - 1);
}

static int64_t
s_period_num(dajia_time_period_t p)
{
    return p.year * 12 + (p.index - 1);
}

static dajia_time_period_t
s_period_from_num(int64_t n)
{
    dajia_time_period_t p = {DAJIA_TIME_MONTH, n / 12, (int)(n % 12) + 1};
    return p;
}

const dajia_member_t *
dash_report_members(const dash_report_ctx_t *ctx, size_t *count)
{
    if (ctx->members && ctx->n_members) {
        *count = ctx->n_members;
        return ctx->members;
    }
    return dajia_members_default(count);
}

static const char *
s_member(const dash_report_ctx_t *ctx, const char *code)
{
    return dajia_label_member(ctx->members, ctx->n_members, code, ctx->lang);
}

static const char *
s_enum(const dash_report_ctx_t *ctx, const ProtobufCEnumDescriptor *desc, int value)
{
    return dajia_label_enum(desc, value, ctx->lang);
}

// ================================================================= months

dajia_time_period_t
dash_report_default_month(const dash_view_t *view, const dash_report_ctx_t *ctx)
{
    const dash_row_t *const *rows;
    size_t n = dash_view_rows(view, &rows);
    int64_t best = -1;
    for (size_t i = 0; i < n; i++) {
        if (!rows[i]->public_)
            continue;
        int64_t m = s_month_num(rows[i]->period);
        if (m > best)
            best = m;
    }
    if (best >= 0)
        return s_period_from_num(best);
    return dajia_time_period_of(DAJIA_TIME_MONTH, ctx->now_ms, DAJIA_TIME_BEIJING_MIN);
}

static int
s_num_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

size_t
dash_report_months(const dash_view_t *view, dajia_time_period_t *out, size_t max)
{
    const dash_row_t *const *rows;
    size_t n = dash_view_rows(view, &rows);
    /* Distinct months: few, so a small sorted set is enough. */
    int64_t seen[256];
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rows[i]->public_)
            continue;
        int64_t m = s_month_num(rows[i]->period);
        if (m < 0)
            continue;
        bool had = false;
        for (size_t k = 0; k < count && !had; k++)
            had = seen[k] == m;
        if (!had && count < sizeof seen / sizeof seen[0])
            seen[count++] = m;
    }
    qsort(seen, count, sizeof seen[0], s_num_desc);
    size_t k = 0;
    for (; k < count && k < max; k++)
        out[k] = s_period_from_num(seen[k]);
    return k;
}

// ================================================================= figure tables

/* Sets column `c` of `t` to figure `fig`: its label (money with 万元 after it), keyed by
   its field name. */
static void
s_fig_col(dash_table_t *t, size_t c, const dash_report_ctx_t *ctx, dash_fig_t fig)
{
    char head[128];
    const char *name = dash_fig_name(fig);
    const char *label = dajia_label_figure(name, ctx->lang, NULL);
    bool money = dash_fig_is_money(fig);
    if (money) {
        snprintf(head, sizeof head, "%s（%s）", label, dajia_label_wan_unit(ctx->lang));
        label = head;
    }
    dash_table_col(t, c, name, label, money ? DASH_COL_FEN : DASH_COL_COUNT);
}

/* Columns `first`, `first` + 1, ... of `t`: the figures `figs`. */
static void
s_fig_cols(dash_table_t *t, size_t first, const dash_report_ctx_t *ctx, const dash_fig_t *figs,
           size_t n)
{
    for (size_t i = 0; i < n; i++)
        s_fig_col(t, first + i, ctx, figs[i]);
}

/* Row `r`'s cells for the columns s_fig_cols made: the figures `figs` of `v`. */
static void
s_fig_cells(dash_table_t *t, size_t r, size_t first, const int64_t v[DASH_FIG_COUNT],
            const dash_fig_t *figs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dash_table_num(t, r, first + i, v[figs[i]]);
}

#define S_N(array) (sizeof(array) / sizeof((array)[0]))

/* A column as a table names it, in both languages. */
typedef struct {
    const char *key, *zh, *en;
    dash_col_t kind;
} s_col_t;

/* A new table with the columns `cols`, or NULL when memory ran out. */
static dash_table_t *
s_table(const dash_report_ctx_t *ctx, const char *id, const char *title, const s_col_t *cols,
        size_t n)
{
    dash_table_t *t = dash_table_new(id, title, n);
    for (size_t c = 0; t && c < n; c++)
        dash_table_col(t, c, cols[c].key, s_t(ctx, cols[c].zh, cols[c].en), cols[c].kind);
    return t;
}

/* Row `r`'s cells `first`, `first` + 1, ...: the texts `texts`. */
static void
s_texts(dash_table_t *t, size_t r, size_t first, const char *const *texts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dash_table_text(t, r, first + i, texts[i]);
}

/* A time as a cell reads it, in Beijing time: its minute, or with `day` its date; "—"
   when unset. Returns buf or that dash. */
static const char *
s_when(const dash_report_ctx_t *ctx, int64_t at, bool day, char *buf, size_t size)
{
    if (!at)
        return "—";
    return day ? dajia_label_date(at, DAJIA_TIME_BEIJING_MIN, ctx->lang, buf, size)
               : dajia_label_minute(at, DAJIA_TIME_BEIJING_MIN, ctx->lang, buf, size);
}

/* The figures a table by unit or category ends with, after those it compares. */
static const dash_fig_t s_fig_rest[] = {
    DASH_FIG_FINES_FEN, DASH_FIG_LOSS_RECOVERED_FEN, DASH_FIG_TRANSFERS,    DASH_FIG_DENS,
    DASH_FIG_ARRESTED,  DASH_FIG_ARRESTS_APPROVED,   DASH_FIG_PROSECUTIONS, DASH_FIG_JUDGMENTS};

/* The columns of a figures table by unit or category. With `ly`, the same month a year
   before and the change against it. */
static dash_table_t *
s_fig_table(const dash_report_ctx_t *ctx, const char *id, const char *title, const char *first,
            bool ly, const char *prev_name)
{
    size_t n_cols = ly ? 18 : 15;
    dash_table_t *t = dash_table_new(id, title, n_cols);
    if (!t)
        return NULL;
    char head[128];
    size_t c = 0;
    dash_table_col(t, c++, "name", first, DASH_COL_TEXT);
    s_fig_col(t, c++, ctx, DASH_FIG_CASES_FILED);
    snprintf(head, sizeof head, "%s%s", prev_name, s_t(ctx, "立案数", " filed"));
    dash_table_col(t, c++, "cases_filed_prev", head, DASH_COL_COUNT);
    dash_table_col(t, c++, "cases_filed_mom", s_t(ctx, "环比", "Change"), DASH_COL_CHANGE);
    if (ly) {
        dash_table_col(t, c++, "cases_filed_ly", s_t(ctx, "去年同月立案数", "Same month last year"),
                       DASH_COL_COUNT);
        dash_table_col(t, c++, "cases_filed_yoy", s_t(ctx, "同比", "Year on year"),
                       DASH_COL_CHANGE);
    }
    s_fig_col(t, c++, ctx, DASH_FIG_CASES_CLOSED);
    s_fig_col(t, c++, ctx, DASH_FIG_CASE_VALUE_FEN);
    dash_table_col(t, c++, "case_value_mom", s_t(ctx, "案值环比", "Value change"), DASH_COL_CHANGE);
    if (ly)
        dash_table_col(t, c++, "case_value_yoy", s_t(ctx, "案值同比", "Value year on year"),
                       DASH_COL_CHANGE);
    s_fig_cols(t, c, ctx, s_fig_rest, S_N(s_fig_rest));
    return t;
}

/* One row of a table made by s_fig_table. */
static void
s_fig_row(dash_table_t *t, const char *name, const char *href, const s_acc_t *a, bool ly,
          bool total)
{
    size_t r = dash_table_row(t);
    size_t c = 0;
    if (href)
        dash_table_link(t, r, c++, name, href);
    else
        dash_table_text(t, r, c++, name);
    dash_table_num(t, r, c++, a->cur[DASH_FIG_CASES_FILED]);
    dash_table_num(t, r, c++, a->prev[DASH_FIG_CASES_FILED]);
    dash_table_ratio(t, r, c++, a->cur[DASH_FIG_CASES_FILED], a->prev[DASH_FIG_CASES_FILED]);
    if (ly) {
        dash_table_num(t, r, c++, a->ly[DASH_FIG_CASES_FILED]);
        dash_table_ratio(t, r, c++, a->cur[DASH_FIG_CASES_FILED], a->ly[DASH_FIG_CASES_FILED]);
    }
    dash_table_num(t, r, c++, a->cur[DASH_FIG_CASES_CLOSED]);
    dash_table_num(t, r, c++, a->cur[DASH_FIG_CASE_VALUE_FEN]);
    dash_table_ratio(t, r, c++, a->cur[DASH_FIG_CASE_VALUE_FEN], a->prev[DASH_FIG_CASE_VALUE_FEN]);
    if (ly)
        dash_table_ratio(t, r, c++, a->cur[DASH_FIG_CASE_VALUE_FEN],
                         a->ly[DASH_FIG_CASE_VALUE_FEN]);
    s_fig_cells(t, r, c, a->cur, s_fig_rest, S_N(s_fig_rest));
    if (total)
        dash_table_mark(t, r, true, "total", NULL);
}

static int
s_cat_slot(int category)
{
    return category >= 0 && category < S_CAT_SLOTS ? category
                                                   : DAJIA__CASE_CATEGORY__CASE_CATEGORY_OTHER;
}

static int
s_goods_slot(int goods)
{
    return goods >= 0 && goods < S_GOODS_SLOTS ? goods
                                               : DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_OTHER;
}

/* The units a figures table lists: the members in their order, then any other unit the
   cells name. */
typedef struct {
    char **codes; /* borrowed from the members or the rows */
    s_acc_t *acc;
    size_t count, cap;
    zhashx_t *index; /* code -> slot + 1 */
} s_units_t;

static size_t
s_units_slot(s_units_t *u, const char *code)
{
    size_t slot = (size_t)(uintptr_t)zhashx_lookup(u->index, code);
    if (slot)
        return slot - 1;
    if (u->count == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 64;
        char **codes = realloc(u->codes, cap * sizeof *codes);
        if (codes)
            u->codes = codes;
        s_acc_t *acc = realloc(u->acc, cap * sizeof *acc);
        if (acc)
            u->acc = acc;
        if (!codes || !acc)
            return (size_t)-1;
        u->cap = cap;
    }
    u->codes[u->count] = (char *)code;
    memset(&u->acc[u->count], 0, sizeof u->acc[0]);
    if (zhashx_insert(u->index, code, (void *)(uintptr_t)(u->count + 1)) != 0)
        return (size_t)-1;
    return u->count++;
}

static void
s_href_figures(char *buf, size_t size, const char *period, const char *unit, int category)
{
    int n = snprintf(buf, size, "/figures?period=%s", period);
    if (unit && *unit && n > 0 && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, "&unit=%s", unit);
    char name[48];
    if (category > 0 && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, "&category=%s",
                 dash_query_category_name(category, name, sizeof name));
}

void
dash_report_figures(const dash_view_t *view, const dash_report_ctx_t *ctx, const dash_figquery_t *q,
                    dash_tables_t *out)
{
    int64_t p = s_period_num(q->period);
    char pname[DAJIA_TIME_PERIOD_MAX];
    dajia_time_period_format(q->period, pname, sizeof pname);
    s_units_t units = {0};
    units.index = zhashx_new();
    s_acc_t *cats = calloc(S_CAT_SLOTS, sizeof *cats);
    int64_t(*goods)[DASH_FIG_COUNT] = calloc(S_GOODS_SLOTS, sizeof *goods);
    int64_t trend[S_TREND_MONTHS][DASH_FIG_COUNT];
    memset(trend, 0, sizeof trend);
    s_acc_t total = {0};
    if (!units.index || !cats || !goods) {
        out->failed = true;
        goto out;
    }
    size_t n_members;
    const dajia_member_t *members = dash_report_members(ctx, &n_members);
    for (size_t i = 0; i < n_members; i++)
        if (!*q->unit || strcmp(q->unit, members[i].code) == 0)
            if (s_units_slot(&units, members[i].code) == (size_t)-1) {
                out->failed = true;
                goto out;
            }

    const dash_row_t *const *rows;
    size_t n = dash_view_rows(view, &rows);
    for (size_t i = 0; i < n; i++) {
        const dash_row_t *r = rows[i];
        if (!r->public_)
            continue;
        if (*q->unit && strcmp(q->unit, r->unit) != 0)
            continue;
        if (q->category >= 0 && q->category != r->category)
            continue;
        int64_t m = s_month_num(r->period);
        if (m < 0)
            continue;
        int64_t delta = p - m;
        if (delta >= 0 && delta < S_TREND_MONTHS)
            s_acc_add(trend[delta], r->v);
        int64_t *u_into = NULL, *c_into = NULL, *t_into = NULL;
        size_t slot = 0;
        if (delta == 0 || delta == 1 || delta == 12) {
            slot = s_units_slot(&units, r->unit);
            if (slot == (size_t)-1) {
                out->failed = true;
                goto out;
            }
            s_acc_t *ua = &units.acc[slot], *ca = &cats[s_cat_slot(r->category)];
            ua->seen = ca->seen = true;
            u_into = delta == 0 ? ua->cur : delta == 1 ? ua->prev : ua->ly;
            c_into = delta == 0 ? ca->cur : delta == 1 ? ca->prev : ca->ly;
            t_into = delta == 0 ? total.cur : delta == 1 ? total.prev : total.ly;
            s_acc_add(u_into, r->v);
            s_acc_add(c_into, r->v);
            s_acc_add(t_into, r->v);
        }
        if (delta == 0)
            s_acc_add(goods[s_goods_slot(r->goods)], r->v);
    }

    char title[256], period_label[S_TEXT], href[256];
    dajia_label_period(q->period, ctx->lang, period_label, sizeof period_label);
    const char *prev_name = s_t(ctx, "上月", "Previous month, ");

    /* By unit. */
    snprintf(title, sizeof title, "%s %s", period_label,
             s_t(ctx, "各成员单位案件查办情况", "figures by member unit"));
    dash_table_t *t =
        s_fig_table(ctx, "units", title, s_t(ctx, "成员单位", "Member unit"), true, prev_name);
    for (size_t i = 0; t && i < units.count; i++) {
        s_href_figures(href, sizeof href, pname, units.codes[i], q->category);
        s_fig_row(t, s_member(ctx, units.codes[i]), href, &units.acc[i], true, false);
    }
    if (t)
        s_fig_row(t, s_t(ctx, "合计", "Total"), NULL, &total, true, true);
    dash_tables_add(out, t);

    /* By case category: the categories with figures in any of the three months. */
    snprintf(title, sizeof title, "%s %s", period_label,
             s_t(ctx, "按案件类别", "figures by case category"));
    t = s_fig_table(ctx, "categories", title, s_t(ctx, "案件类别", "Case category"), true,
                    prev_name);
    for (int c = 0; t && c < S_CAT_SLOTS; c++) {
        if (!cats[c].seen)
            continue;
        s_href_figures(href, sizeof href, pname, q->unit, c);
        s_fig_row(t, s_enum(ctx, &dajia__case_category__descriptor, c), href, &cats[c], true,
                  false);
    }
    if (t)
        s_fig_row(t, s_t(ctx, "合计", "Total"), NULL, &total, true, true);
    dash_tables_add(out, t);

    /* By goods category, with shares of the cases filed and of the value. */
    snprintf(title, sizeof title, "%s %s", period_label,
             s_t(ctx, "按商品类别", "figures by goods category"));
    t = dash_table_new("goods", title, 6);
    if (t) {
        dash_table_col(t, 0, "name", s_t(ctx, "商品类别", "Goods category"), DASH_COL_TEXT);
        s_fig_col(t, 1, ctx, DASH_FIG_CASES_FILED);
        dash_table_col(t, 2, "cases_filed_share", s_t(ctx, "立案占比", "Share of cases"),
                       DASH_COL_SHARE);
        s_fig_col(t, 3, ctx, DASH_FIG_CASE_VALUE_FEN);
        dash_table_col(t, 4, "case_value_share", s_t(ctx, "案值占比", "Share of value"),
                       DASH_COL_SHARE);
        s_fig_col(t, 5, ctx, DASH_FIG_CASES_CLOSED);
        for (int g = 0; g < S_GOODS_SLOTS; g++) {
            bool any = false;
            for (int f = 0; f < DASH_FIG_COUNT; f++)
                any = any || goods[g][f];
            if (!any)
                continue;
            size_t r = dash_table_row(t);
            dash_table_text(t, r, 0, s_enum(ctx, &dajia__goods_category__descriptor, g));
            dash_table_num(t, r, 1, goods[g][DASH_FIG_CASES_FILED]);
            dash_table_ratio(t, r, 2, goods[g][DASH_FIG_CASES_FILED],
                             total.cur[DASH_FIG_CASES_FILED]);
            dash_table_num(t, r, 3, goods[g][DASH_FIG_CASE_VALUE_FEN]);
            dash_table_ratio(t, r, 4, goods[g][DASH_FIG_CASE_VALUE_FEN],
                             total.cur[DASH_FIG_CASE_VALUE_FEN]);
            dash_table_num(t, r, 5, goods[g][DASH_FIG_CASES_CLOSED]);
        }
        size_t r = dash_table_row(t);
        dash_table_text(t, r, 0, s_t(ctx, "合计", "Total"));
        dash_table_num(t, r, 1, total.cur[DASH_FIG_CASES_FILED]);
        dash_table_ratio(t, r, 2, total.cur[DASH_FIG_CASES_FILED], total.cur[DASH_FIG_CASES_FILED]);
        dash_table_num(t, r, 3, total.cur[DASH_FIG_CASE_VALUE_FEN]);
        dash_table_ratio(t, r, 4, total.cur[DASH_FIG_CASE_VALUE_FEN],
                         total.cur[DASH_FIG_CASE_VALUE_FEN]);
        dash_table_num(t, r, 5, total.cur[DASH_FIG_CASES_CLOSED]);
        dash_table_mark(t, r, true, "total", NULL);
    }
    dash_tables_add(out, t);

    /* The 12 months up to P, oldest first. */
    snprintf(title, sizeof title, "%s %s", s_t(ctx, "近12个月趋势", "The 12 months up to"),
             ctx->lang == DAJIA_LANG_EN ? period_label : "");
    static const dash_fig_t trend_figs[] = {DASH_FIG_CASES_FILED, DASH_FIG_CASES_CLOSED,
                                            DASH_FIG_CASE_VALUE_FEN, DASH_FIG_FINES_FEN};
    t = dash_table_new("trend", title, 1 + S_N(trend_figs));
    if (t) {
        dash_table_col(t, 0, "period", s_t(ctx, "月份", "Month"), DASH_COL_TEXT);
        s_fig_cols(t, 1, ctx, trend_figs, S_N(trend_figs));
        for (int d = S_TREND_MONTHS - 1; d >= 0; d--) {
            char name[DAJIA_TIME_PERIOD_MAX];
            dajia_time_period_format(s_period_from_num(p - d), name, sizeof name);
            size_t r = dash_table_row(t);
            dash_table_text(t, r, 0, name);
            s_fig_cells(t, r, 1, trend[d], trend_figs, S_N(trend_figs));
        }
    }
    dash_tables_add(out, t);

    /* Channels come only with the month's bulletin, for the whole city. */
    const Dajia__FeedItem *b = dash_report_bulletin_of(view, pname);
    if (b && !*q->unit && q->category < 0) {
        dash_tables_t bt = {0};
        dash_report_bulletin(b->bulletin, ctx, &bt);
        for (size_t i = 0; i < bt.count; i++)
            if (strcmp(bt.items[i]->id, "channels") == 0) {
                dash_tables_add(out, bt.items[i]);
                bt.items[i] = NULL;
            }
        if (bt.failed)
            out->failed = true;
        for (size_t i = 0; i < bt.count; i++)
            dash_table_destroy(&bt.items[i]);
        free(bt.items);
    }
out:
    zhashx_destroy(&units.index);
    free(units.codes);
    free(units.acc);
    free(cats);
    free(goods);
}

// ================================================================= bulletins

const Dajia__FeedItem *
dash_report_bulletin_of(const dash_view_t *view, const char *period)
{
    const Dajia__FeedItem *const *items;
    size_t n = dash_view_bulletins(view, &items);
    const Dajia__FeedItem *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const Dajia__FeedItem *it = items[i];
        if (it->audience != DAJIA__AUDIENCE__AUDIENCE_PUBLIC)
            continue;
        if (period && strcmp(it->bulletin->period, period) != 0)
            continue;
        /* Later in the feed wins a tie: a revision replaces what it revises. */
        if (!best || strcmp(it->bulletin->period, best->bulletin->period) >= 0)
            best = it;
    }
    return best;
}

int
dash_report_bulletin_revision(const dash_view_t *view, const Dajia__FeedItem *item)
{
    const Dajia__FeedItem *const *items;
    size_t n = dash_view_bulletins(view, &items);
    int rev = 0;
    for (size_t i = 0; i < n; i++) {
        if (items[i]->audience != DAJIA__AUDIENCE__AUDIENCE_PUBLIC ||
            strcmp(items[i]->bulletin->period, item->bulletin->period) != 0)
            continue;
        rev++;
        if (items[i] == item)
            return rev;
    }
    return rev;
}

const char *
dash_report_period_label(const char *period, dajia_lang_t lang, char *buf, size_t size)
{
    dajia_time_period_t p;
    if (dajia_time_period_parse(period, strlen(period), &p) == 0 && p.unit == DAJIA_TIME_MONTH)
        dajia_label_period(p, lang, buf, size);
    else
        snprintf(buf, size, "%s", period);
    return buf;
}

const Dajia__FeedItem *
dash_report_bulletin_find(const dash_view_t *view, const char *period, int rev)
{
    if (rev <= 0)
        return dash_report_bulletin_of(view, period);
    const Dajia__FeedItem *const *items;
    size_t n = dash_view_bulletins(view, &items);
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        if (items[i]->audience != DAJIA__AUDIENCE__AUDIENCE_PUBLIC ||
            strcmp(items[i]->bulletin->period, period) != 0)
            continue;
        if (++k == rev)
            return items[i];
    }
    return NULL;
}

static int64_t
s_sum(const Dajia__AggregateRow *const *rows, size_t n, dash_fig_t fig)
{
    int64_t sum = 0, v[DASH_FIG_COUNT];
    for (size_t i = 0; i < n; i++) {
        dash_fig_from(rows[i]->figures, v);
        sum += v[fig];
    }
    return sum;
}

/* A bulletin as they are sorted in the list: newest period first, then newest issue. */
static int
s_bulletin_cmp(const void *a, const void *b)
{
    const Dajia__FeedItem *x = *(const Dajia__FeedItem *const *)a;
    const Dajia__FeedItem *y = *(const Dajia__FeedItem *const *)b;
    int c = strcmp(y->bulletin->period, x->bulletin->period);
    if (c)
        return c;
    return x->feed_seq < y->feed_seq ? 1 : x->feed_seq > y->feed_seq ? -1 : 0;
}

void
dash_report_bulletins(const dash_view_t *view, const dash_report_ctx_t *ctx, dash_tables_t *out)
{
    const Dajia__FeedItem *const *items;
    size_t n = dash_view_bulletins(view, &items);
    const Dajia__FeedItem **list = calloc(n ? n : 1, sizeof *list);
    dash_table_t *t = dash_table_new("bulletins", s_t(ctx, "工作通报", "Bulletins"), 6);
    if (!list || !t) {
        free(list);
        dash_table_destroy(&t);
        out->failed = true;
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i]->audience == DAJIA__AUDIENCE__AUDIENCE_PUBLIC)
            list[k++] = items[i];
    qsort(list, k, sizeof *list, s_bulletin_cmp);
    dash_table_col(t, 0, "period", s_t(ctx, "通报期别", "Period"), DASH_COL_TEXT);
    dash_table_col(t, 1, "revision", s_t(ctx, "版次", "Issue"), DASH_COL_TEXT);
    dash_table_col(t, 2, "produced_at", s_t(ctx, "印发时间", "Issued at"), DASH_COL_TEXT);
    s_fig_col(t, 3, ctx, DASH_FIG_CASES_FILED);
    s_fig_col(t, 4, ctx, DASH_FIG_CASE_VALUE_FEN);
    dash_table_col(t, 5, "matters", s_t(ctx, "重大事项", "Major matters"), DASH_COL_COUNT);
    for (size_t i = 0; i < k; i++) {
        const Dajia__Bulletin *b = list[i]->bulletin;
        int rev = dash_report_bulletin_revision(view, list[i]);
        char label[S_TEXT], revtext[S_TEXT], when[S_TEXT];
        dash_report_period_label(b->period, ctx->lang, label, sizeof label);
        dash_buf_t href = {0};
        dash_buf_puts(&href, "/bulletins/");
        dash_buf_url(&href, b->period);
        dash_buf_printf(&href, "?rev=%d", rev);
        if (rev <= 1)
            snprintf(revtext, sizeof revtext, "%s", s_t(ctx, "首次印发", "first issue"));
        else if (ctx->lang == DAJIA_LANG_EN)
            snprintf(revtext, sizeof revtext, "revision %d", rev - 1);
        else
            snprintf(revtext, sizeof revtext, "第%d次修订", rev - 1);
        size_t r = dash_table_row(t);
        dash_table_link(t, r, 0, label, href.data ? href.data : "/bulletins");
        dash_buf_reset(&href);
        dash_table_text(t, r, 1, revtext);
        dash_table_text(t, r, 2,
                        dajia_label_minute(b->produced_at, DAJIA_TIME_BEIJING_MIN, ctx->lang, when,
                                           sizeof when));
        dash_table_num(t, r, 3,
                       s_sum((const Dajia__AggregateRow *const *)b->figures, b->n_figures,
                             DASH_FIG_CASES_FILED));
        dash_table_num(t, r, 4,
                       s_sum((const Dajia__AggregateRow *const *)b->figures, b->n_figures,
                             DASH_FIG_CASE_VALUE_FEN));
        dash_table_num(t, r, 5, (int64_t)b->n_matters);
    }
    free(list);
    dash_tables_add(out, t);
}

/* Sums `rows` by unit (by_unit) or by category into `keys`/`acc` (`prev`: into .prev). */
typedef struct {
    char keys[256][DASH_UNIT_MAX];
    s_acc_t acc[256];
    size_t count;
} s_groups_t;

static void
s_group(s_groups_t *g, Dajia__AggregateRow *const *rows, size_t n, bool by_unit, bool prev)
{
    for (size_t i = 0; i < n; i++) {
        char key[DASH_UNIT_MAX];
        if (by_unit)
            snprintf(key, sizeof key, "%s", rows[i]->unit ? rows[i]->unit : "");
        else
            snprintf(key, sizeof key, "%d", (int)rows[i]->category);
        size_t k = 0;
        while (k < g->count && strcmp(g->keys[k], key) != 0)
            k++;
        if (k == g->count) {
            if (g->count == sizeof g->keys / sizeof g->keys[0])
                continue;
            memcpy(g->keys[g->count], key, sizeof key);
            memset(&g->acc[g->count], 0, sizeof g->acc[0]);
            g->count++;
        }
        int64_t v[DASH_FIG_COUNT];
        dash_fig_from(rows[i]->figures, v);
        s_acc_add(prev ? g->acc[k].prev : g->acc[k].cur, v);
    }
}

static void
s_bulletin_groups(const Dajia__Bulletin *b, const dash_report_ctx_t *ctx, bool by_unit,
                  dash_tables_t *out)
{
    s_groups_t *g = calloc(1, sizeof *g);
    if (!g) {
        out->failed = true;
        return;
    }
    /* Every member is listed, in the members' order, whether it reported or not. */
    if (by_unit) {
        size_t n_members;
        const dajia_member_t *members = dash_report_members(ctx, &n_members);
        for (size_t i = 0; i < n_members && g->count < 256; i++)
            snprintf(g->keys[g->count++], DASH_UNIT_MAX, "%s", members[i].code);
    }
    s_group(g, b->figures, b->n_figures, by_unit, false);
    s_group(g, b->previous, b->n_previous, by_unit, true);
    dash_table_t *t = s_fig_table(
        ctx, by_unit ? "units" : "categories",
        by_unit ? s_t(ctx, "各成员单位案件查办情况", "Figures by member unit")
                : s_t(ctx, "按案件类别", "Figures by case category"),
        by_unit ? s_t(ctx, "成员单位", "Member unit") : s_t(ctx, "案件类别", "Case category"),
        false, s_t(ctx, "上期", "Previous period, "));
    s_acc_t total = {0};
    for (size_t i = 0; t && i < g->count; i++) {
        s_acc_add(total.cur, g->acc[i].cur);
        s_acc_add(total.prev, g->acc[i].prev);
        const char *name = by_unit
                               ? s_member(ctx, g->keys[i])
                               : s_enum(ctx, &dajia__case_category__descriptor, atoi(g->keys[i]));
        s_fig_row(t, name, NULL, &g->acc[i], false, false);
    }
    if (t)
        s_fig_row(t, s_t(ctx, "合计", "Total"), NULL, &total, false, true);
    dash_tables_add(out, t);
    free(g);
}

void
dash_report_bulletin(const Dajia__Bulletin *b, const dash_report_ctx_t *ctx, dash_tables_t *out)
{
    dajia_lang_t l = ctx->lang;
    char when[S_TEXT], when2[S_TEXT];
    s_bulletin_groups(b, ctx, true, out);
    s_bulletin_groups(b, ctx, false, out);

    static const dash_fig_t goods_figs[] = {DASH_FIG_CASES_FILED, DASH_FIG_CASES_CLOSED,
                                            DASH_FIG_CASE_VALUE_FEN};
    dash_table_t *t =
        dash_table_new("goods", s_t(ctx, "按商品类别", "By goods category"), 1 + S_N(goods_figs));
    if (t) {
        dash_table_col(t, 0, "name", s_t(ctx, "商品类别", "Goods category"), DASH_COL_TEXT);
        s_fig_cols(t, 1, ctx, goods_figs, S_N(goods_figs));
        for (size_t i = 0; i < b->n_by_goods; i++) {
            int64_t v[DASH_FIG_COUNT];
            dash_fig_from(b->by_goods[i]->figures, v);
            size_t r = dash_table_row(t);
            dash_table_text(t, r, 0,
                            s_enum(ctx, &dajia__goods_category__descriptor, b->by_goods[i]->goods));
            s_fig_cells(t, r, 1, v, goods_figs, S_N(goods_figs));
        }
    }
    dash_tables_add(out, t);

    static const dash_fig_t channel_figs[] = {DASH_FIG_CASES_FILED, DASH_FIG_CASES_CLOSED,
                                              DASH_FIG_CASE_VALUE_FEN, DASH_FIG_FINES_FEN,
                                              DASH_FIG_TRANSFERS};
    t = dash_table_new("channels", s_t(ctx, "按流通渠道", "By sales channel"),
                       1 + S_N(channel_figs));
    if (t) {
        dash_table_col(t, 0, "name", s_t(ctx, "渠道", "Channel"), DASH_COL_TEXT);
        s_fig_cols(t, 1, ctx, channel_figs, S_N(channel_figs));
        const struct {
            const char *field;
            const Dajia__Figures *f;
        } ch[] = {{"ecommerce", b->ecommerce},
                  {"key_physical_market", b->key_physical_market},
                  {"rural", b->rural},
                  {"import_export", b->import_export},
                  {"postal_express", b->postal_express}};
        for (size_t i = 0; i < sizeof ch / sizeof ch[0]; i++) {
            int64_t v[DASH_FIG_COUNT];
            dash_fig_from(ch[i].f, v);
            size_t r = dash_table_row(t);
            dash_table_text(t, r, 0, dajia_label_channel(ch[i].field, l));
            s_fig_cells(t, r, 1, v, channel_figs, S_N(channel_figs));
        }
        dash_table_note(t, s_t(ctx, "一件案件可涉及多个渠道，各渠道之和可大于合计。",
                               "A case may go through several channels: the channels may add up "
                               "to more than the total."));
    }
    dash_tables_add(out, t);

    static const s_col_t matter_cols[] = {
        {"unit", "单位", "Unit", DASH_COL_TEXT},
        {"matter_id", "事项编号", "Matter", DASH_COL_TEXT},
        {"title", "标题", "Title", DASH_COL_TEXT},
        {"status", "状态", "Status", DASH_COL_TEXT},
        {"last_progress_at", "最近进展", "Last progress", DASH_COL_TEXT},
        {"next_update_due_at", "下次报送期限", "Next progress due", DASH_COL_TEXT},
        {"days_overdue", "逾期天数", "Days overdue", DASH_COL_COUNT}};
    t = s_table(ctx, "matters", s_t(ctx, "重大事项（逾期的在前）", "Major matters (overdue first)"),
                matter_cols, S_N(matter_cols));
    if (t) {
        for (size_t i = 0; i < b->n_matters; i++) {
            const Dajia__MatterLine *m = b->matters[i];
            size_t r = dash_table_row(t);
            const char *cells[] = {s_member(ctx, m->unit),
                                   m->matter_id,
                                   m->title,
                                   s_enum(ctx, &dajia__matter_status__descriptor, m->status),
                                   s_when(ctx, m->last_progress_at, true, when, sizeof when),
                                   s_when(ctx, m->next_update_due_at, true, when2, sizeof when2)};
            s_texts(t, r, 0, cells, S_N(cells));
            dash_table_num(t, r, 6, m->days_overdue);
            if (m->days_overdue > 0)
                dash_table_mark(t, r, false, "overdue", NULL);
        }
    }
    dash_tables_add(out, t);

    static const s_col_t dynamics_cols[] = {
        {"kind", "类型", "Kind", DASH_COL_TEXT},
        {"unit", "单位", "Unit", DASH_COL_TEXT},
        {"title", "标题", "Title", DASH_COL_TEXT},
        {"campaign_tag", "专项行动", "Campaign", DASH_COL_TEXT}};
    t = s_table(
        ctx, "dynamics",
        s_t(ctx, "工作动态、专项行动和典型案例", "Campaign progress, work dynamics, typical cases"),
        dynamics_cols, S_N(dynamics_cols));
    for (size_t i = 0; t && i < b->n_dynamics; i++) {
        const Dajia__InfoLine *d = b->dynamics[i];
        const char *cells[] = {s_enum(ctx, &dajia__info_kind__descriptor, d->kind),
                               s_member(ctx, d->unit), d->title, d->campaign_tag};
        s_texts(t, dash_table_row(t), 0, cells, S_N(cells));
    }
    dash_tables_add(out, t);

    char title[160];
    snprintf(title, sizeof title, "%s%s%s", s_t(ctx, "信息报送情况", "Reporting compliance"),
             *b->compliance_period ? " " : "", b->compliance_period);
    static const s_col_t compliance_cols[] = {{"unit", "单位", "Unit", DASH_COL_TEXT},
                                              {"status", "报送情况", "Status", DASH_COL_TEXT},
                                              {"events", "报送条数", "Reports", DASH_COL_COUNT}};
    t = s_table(ctx, "compliance", title, compliance_cols, S_N(compliance_cols));
    if (t) {
        for (size_t i = 0; i < b->n_compliance; i++) {
            size_t r = dash_table_row(t);
            dash_table_text(t, r, 0, s_member(ctx, b->compliance[i]->unit));
            dash_table_text(t, r, 1, dajia_label_compliance(b->compliance[i]->status, l));
            dash_table_num(t, r, 2, b->compliance[i]->events);
        }
        dash_buf_t note = {0};
        dash_buf_puts(&note, s_t(ctx, "本期未报送任何信息的单位：", "Units silent this period: "));
        for (size_t i = 0; i < b->n_silent_units; i++)
            dash_buf_printf(&note, "%s%s", i ? s_t(ctx, "、", ", ") : "",
                            s_member(ctx, b->silent_units[i]));
        if (!b->n_silent_units)
            dash_buf_puts(&note, s_t(ctx, "无", "none"));
        dash_table_note(t, note.data);
        dash_buf_reset(&note);
    }
    dash_tables_add(out, t);
}

// ================================================================= office pages

bool
dash_report_escalation_passes(const Dajia__Escalation *e, const dash_escfilter_t *f)
{
    if (f->unit && *f->unit && strcmp(e->unit, f->unit) != 0)
        return false;
    if (f->level && (int)e->level != f->level)
        return false;
    if (f->rule && *f->rule) {
        size_t n = strlen(f->rule);
        /* "OVERDUE" takes OVERDUE-1D, -7D, -15D; "MM" takes MM only, not MM-PROGRESS. */
        bool same = strcmp(e->rule, f->rule) == 0;
        bool family =
            strncmp(e->rule, f->rule, n) == 0 && e->rule[n] == '-' && strcmp(f->rule, "MM") != 0;
        if (!same && !family)
            return false;
    }
    return true;
}

static void
s_escalation_cells(const Dajia__FeedItem *item, const dash_report_ctx_t *ctx, const char *cells[8],
                   char when[S_TEXT], char subject[256], char due[S_TEXT])
{
    const Dajia__Escalation *e = item->escalation;
    dajia_label_minute(e->escalated_at, DAJIA_TIME_BEIJING_MIN, ctx->lang, when, S_TEXT);
    if (*e->case_no && *e->matter_id)
        snprintf(subject, 256, "%s / %s", e->case_no, e->matter_id);
    else
        snprintf(subject, 256, "%s", *e->case_no ? e->case_no : e->matter_id);
    if (e->due_at)
        dajia_label_minute(e->due_at, DAJIA_TIME_BEIJING_MIN, ctx->lang, due, S_TEXT);
    else
        snprintf(due, S_TEXT, "—");
    cells[0] = when;
    cells[1] = e->rule;
    cells[2] = s_enum(ctx, &dajia__severity__descriptor, e->level);
    cells[3] = s_member(ctx, e->unit);
    cells[4] = subject;
    cells[5] = e->reason;
    cells[6] = e->action;
    cells[7] = due;
}

void
dash_report_escalations(const dash_view_t *view, const dash_report_ctx_t *ctx,
                        const dash_escfilter_t *f, size_t limit, dash_tables_t *out)
{
    static const s_col_t cols[] = {{"escalated_at", "时间", "Time", DASH_COL_TEXT},
                                   {"rule", "规则", "Rule", DASH_COL_TEXT},
                                   {"rule_name", "规则说明", "What", DASH_COL_TEXT},
                                   {"level", "级别", "Level", DASH_COL_TEXT},
                                   {"unit", "单位", "Unit", DASH_COL_TEXT},
                                   {"subject", "案件或事项", "Case or matter", DASH_COL_TEXT},
                                   {"reason", "原因", "Reason", DASH_COL_TEXT},
                                   {"action", "处理要求", "Action", DASH_COL_TEXT},
                                   {"due_at", "期限", "Due", DASH_COL_TEXT},
                                   {"source", "来源事件", "Source event", DASH_COL_TEXT}};
    dash_table_t *t =
        s_table(ctx, "escalations", s_t(ctx, "督办事项（最新在前）", "Escalations (newest first)"),
                cols, S_N(cols));
    if (!t) {
        out->failed = true;
        return;
    }
    const Dajia__FeedItem *const *items;
    size_t n = dash_view_escalations(view, &items);
    size_t shown = 0;
    for (size_t i = n; i-- > 0 && (!limit || shown < limit);) {
        const Dajia__Escalation *e = items[i]->escalation;
        if (!dash_report_escalation_passes(e, f))
            continue;
        const char *cells[8];
        char when[S_TEXT], subject[256], due[S_TEXT], source[160];
        s_escalation_cells(items[i], ctx, cells, when, subject, due);
        snprintf(source, sizeof source, "%s #%" PRIu64, e->source_event_id, e->source_log_seq);
        size_t r = dash_table_row(t);
        s_texts(t, r, 0, cells, 2);
        dash_table_text(t, r, 2, dash_label_rule(e->rule, ctx->lang));
        s_texts(t, r, 3, cells + 2, 6);
        dash_table_text(t, r, 9, source);
        dash_table_mark(t, r, false,
                        e->level == DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR ? "especially"
                                                                               : NULL,
                        e->escalation_id);
        shown++;
    }
    dash_tables_add(out, t);
}

void
dash_report_escalation_json(const Dajia__FeedItem *item, const dash_report_ctx_t *ctx,
                            dash_buf_t *buf)
{
    const Dajia__Escalation *e = item->escalation;
    const char *cells[8];
    char when[S_TEXT], subject[256], due[S_TEXT], source[160];
    s_escalation_cells(item, ctx, cells, when, subject, due);
    snprintf(source, sizeof source, "%s #%" PRIu64, e->source_event_id, e->source_log_seq);
    const char *names[] = {"time", "rule", "level", "unit", "subject", "reason", "action", "due"};
    dash_buf_puts(buf, "{\"id\":\"");
    dash_buf_json(buf, e->escalation_id);
    dash_buf_puts(buf, "\",\"especially\":");
    dash_buf_puts(buf, e->level == DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR ? "true" : "false");
    dash_buf_puts(buf, ",\"rule_name\":\"");
    dash_buf_json(buf, dash_label_rule(e->rule, ctx->lang));
    dash_buf_puts(buf, "\"");
    for (size_t i = 0; i < 8; i++) {
        dash_buf_printf(buf, ",\"%s\":\"", names[i]);
        dash_buf_json(buf, cells[i]);
        dash_buf_puts(buf, "\"");
    }
    dash_buf_puts(buf, ",\"source\":\"");
    dash_buf_json(buf, source);
    dash_buf_puts(buf, "\"}");
}

/* Open matters: overdue first (most days first), then the soonest next progress (none
   last), then unit and matter id. */
static int
s_matter_cmp(const void *a, const void *b)
{
    const Dajia__MatterLine *x = (*(const Dajia__FeedItem *const *)a)->matter;
    const Dajia__MatterLine *y = (*(const Dajia__FeedItem *const *)b)->matter;
    if (x->days_overdue != y->days_overdue)
        return x->days_overdue > y->days_overdue ? -1 : 1;
    int64_t xd = x->next_update_due_at ? x->next_update_due_at : INT64_MAX;
    int64_t yd = y->next_update_due_at ? y->next_update_due_at : INT64_MAX;
    if (xd != yd)
        return xd < yd ? -1 : 1;
    int c = strcmp(x->unit, y->unit);
    return c ? c : strcmp(x->matter_id, y->matter_id);
}

/* "还有2天5小时" / "in 2 d 5 h", "已逾期3天" / "3 d overdue". */
static void
s_time_to(const dash_report_ctx_t *ctx, int64_t due, char *buf, size_t size)
{
    if (!due) {
        snprintf(buf, size, "—");
        return;
    }
    int64_t left = due - ctx->now_ms;
    int64_t mag = left < 0 ? -left : left;
    int64_t days = mag / DAJIA_TIME_MS_PER_DAY;
    int64_t hours = (mag % DAJIA_TIME_MS_PER_DAY) / DAJIA_TIME_MS_PER_HOUR;
    if (ctx->lang == DAJIA_LANG_EN)
        snprintf(buf, size,
                 left >= 0 ? "in %" PRId64 " d %" PRId64 " h"
                           : "%" PRId64 " d %" PRId64 " h overdue",
                 days, hours);
    else
        snprintf(buf, size,
                 left >= 0 ? "还有%" PRId64 "天%" PRId64 "小时"
                           : "已逾期%" PRId64 "天%" PRId64 "小时",
                 days, hours);
}

void
dash_report_matters(const dash_view_t *view, const dash_report_ctx_t *ctx, dash_tables_t *out)
{
    const Dajia__FeedItem *const *items;
    size_t n = dash_view_matters(view, &items);
    const Dajia__FeedItem **open = calloc(n ? n : 1, sizeof *open);
    static const s_col_t cols[] = {
        {"days_overdue", "逾期天数", "Days overdue", DASH_COL_COUNT},
        {"severity", "级别", "Level", DASH_COL_TEXT},
        {"status", "状态", "Status", DASH_COL_TEXT},
        {"unit", "单位", "Unit", DASH_COL_TEXT},
        {"matter_id", "事项编号", "Matter", DASH_COL_TEXT},
        {"title", "标题", "Title", DASH_COL_TEXT},
        {"last_progress_at", "最近进展", "Last progress", DASH_COL_TEXT},
        {"next_update_due_at", "下次进展期限", "Next progress due", DASH_COL_TEXT},
        {"time_to_next", "距下次进展", "Time to next progress", DASH_COL_TEXT}};
    dash_table_t *t =
        s_table(ctx, "matters",
                s_t(ctx, "未办结的重大事项（逾期的在前）", "Open major matters (overdue first)"),
                cols, S_N(cols));
    if (!open || !t) {
        free(open);
        dash_table_destroy(&t);
        out->failed = true;
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        Dajia__MatterStatus s = items[i]->matter->status;
        if (s != DAJIA__MATTER_STATUS__MATTER_STATUS_RESOLVED &&
            s != DAJIA__MATTER_STATUS__MATTER_STATUS_CLOSED)
            open[k++] = items[i];
    }
    qsort(open, k, sizeof *open, s_matter_cmp);
    for (size_t i = 0; i < k; i++) {
        const Dajia__MatterLine *m = open[i]->matter;
        char last[S_TEXT], next[S_TEXT], left[S_TEXT];
        size_t r = dash_table_row(t);
        s_time_to(ctx, m->next_update_due_at, left, sizeof left);
        const char *cells[] = {s_enum(ctx, &dajia__severity__descriptor, m->severity),
                               s_enum(ctx, &dajia__matter_status__descriptor, m->status),
                               s_member(ctx, m->unit),
                               m->matter_id,
                               m->title,
                               s_when(ctx, m->last_progress_at, false, last, sizeof last),
                               s_when(ctx, m->next_update_due_at, false, next, sizeof next),
                               left};
        dash_table_num(t, r, 0, m->days_overdue);
        s_texts(t, r, 1, cells, S_N(cells));
        bool overdue =
            m->days_overdue > 0 || (m->next_update_due_at && m->next_update_due_at < ctx->now_ms);
        if (overdue)
            dash_table_mark(t, r, false, "overdue", NULL);
    }
    free(open);
    dash_tables_add(out, t);
}

// ================================================================= compliance

/* The state of row `u` at `now`: a unit still pending once the deadline has passed is
   missing (the worker says so too, at its next tick). */
static const char *
s_state(const dash_unit_compliance_t *u, int64_t deadline_at, int64_t now)
{
    return strcmp(u->status, "pending") == 0 && now > deadline_at ? "missing" : u->status;
}

/* A deadline as people say it: the end of its last day, "2026年11月10日24时" /
   "2026-11-10 24:00"; one that is not midnight as its minute. */
static const char *
s_deadline(const dash_report_ctx_t *ctx, int64_t at, char *buf, size_t size)
{
    int64_t local = at + (int64_t)DAJIA_TIME_BEIJING_MIN * DAJIA_TIME_MS_PER_MIN;
    if (local % DAJIA_TIME_MS_PER_DAY != 0)
        return dajia_label_minute(at, DAJIA_TIME_BEIJING_MIN, ctx->lang, buf, size);
    dajia_label_date(at - 1, DAJIA_TIME_BEIJING_MIN, ctx->lang, buf, size);
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "%s", s_t(ctx, "24时", " 24:00"));
    return buf;
}

/* "还有5天截止" / "due in 5 days", "今天截止" / "due today", "已截止" / "closed". */
static const char *
s_due(const dash_report_ctx_t *ctx, int64_t deadline_at, int64_t now, char *buf, size_t size)
{
    if (now > deadline_at)
        return s_t(ctx, "已截止", "closed");
    int64_t days = office_compliance_due_in_days(deadline_at, now, DAJIA_TIME_BEIJING_MIN);
    if (days <= 0)
        return s_t(ctx, "今天截止", "due today");
    char n[S_TEXT];
    dajia_label_quantity(days, DAJIA_MEASURE_DAYS, ctx->lang, n, sizeof n);
    snprintf(buf, size, ctx->lang == DAJIA_LANG_EN ? "due in %s" : "还有%s截止", n);
    return buf;
}

/* A unit's state in words: "待报送（还有5天截止）", "零申报（逾期）", "逾期报送". */
static const char *
s_state_words(const dash_report_ctx_t *ctx, const dash_unit_compliance_t *u, int64_t deadline_at,
              int64_t now, char *buf, size_t size)
{
    const char *state = s_state(u, deadline_at, now);
    const char *word = dajia_label_compliance(state, ctx->lang);
    char due[S_TEXT];
    const char *more = NULL;
    if (strcmp(state, "pending") == 0)
        more = s_due(ctx, deadline_at, now, due, sizeof due);
    else if (strcmp(state, "zero_report") == 0)
        more = dajia_label_compliance(u->late ? "late" : "on_time", ctx->lang);
    if (more)
        snprintf(buf, size, ctx->lang == DAJIA_LANG_EN ? "%s (%s)" : "%s（%s）", word, more);
    else
        snprintf(buf, size, "%s", word);
    return buf;
}

/* The months other than `open`, latest deadline first, at most `max`. */
static size_t
s_other_months(const dash_compliance_t *const *months, size_t n, const dash_compliance_t *open,
               const dash_compliance_t **out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (months[i] == open)
            continue;
        /* insertion into the first `max`, latest deadline first */
        size_t at = k;
        while (at > 0 && out[at - 1]->deadline_at < months[i]->deadline_at)
            at--;
        if (at >= max)
            continue;
        size_t last = k < max ? k : max - 1;
        memmove(&out[at + 1], &out[at], (last - at) * sizeof *out);
        out[at] = months[i];
        if (k < max)
            k++;
    }
    return k;
}

const dash_compliance_t *
dash_report_compliance_open(const dash_view_t *view, const dash_report_ctx_t *ctx)
{
    const dash_compliance_t *const *months;
    size_t n = dash_view_compliance(view, &months);
    int64_t now = dash_report_compliance_now(view, ctx);
    const dash_compliance_t *open = NULL, *latest = NULL;
    for (size_t i = 0; i < n; i++) {
        const dash_compliance_t *m = months[i];
        if (!latest || m->deadline_at > latest->deadline_at)
            latest = m;
        if (m->deadline_at >= now && (!open || m->deadline_at < open->deadline_at))
            open = m;
    }
    return open ? open : latest;
}

int64_t
dash_report_compliance_now(const dash_view_t *view, const dash_report_ctx_t *ctx)
{
    int64_t seen = dash_view_compliance_seen(view);
    return seen > ctx->now_ms ? seen : ctx->now_ms;
}

/* Table "compliance": the open month, unit by unit. */
static dash_table_t *
s_compliance_month(const dash_report_ctx_t *ctx, const dash_compliance_t *m, int64_t now)
{
    char period[S_TEXT], deadline[S_TEXT], due[S_TEXT], title[3 * S_TEXT];
    dash_report_period_label(m->period, ctx->lang, period, sizeof period);
    snprintf(title, sizeof title,
             ctx->lang == DAJIA_LANG_EN ? "Reporting for %s (due by %s, %s)"
                                        : "%s信息报送情况（报送截止时间：%s，%s）",
             period, s_deadline(ctx, m->deadline_at, deadline, sizeof deadline),
             s_due(ctx, m->deadline_at, now, due, sizeof due));
    static const s_col_t cols[] = {
        {"unit", "成员单位", "Member unit", DASH_COL_TEXT},
        {"status", "报送情况", "Reporting", DASH_COL_TEXT},
        {"deadline_at", "报送截止时间", "Due by", DASH_COL_TEXT},
        {"first_report_at", "首次报送时间", "First submitted", DASH_COL_TEXT},
        {"last_report_at", "最近报送时间", "Last submitted", DASH_COL_TEXT},
        {"events", "报送条数", "Reports", DASH_COL_COUNT}};
    dash_table_t *t = s_table(ctx, "compliance", title, cols, S_N(cols));
    if (!t)
        return NULL;
    static const char *const order[] = {"on_time", "late", "zero_report", "pending", "missing"};
    int64_t count[5] = {0};
    for (size_t i = 0; i < m->n_units; i++) {
        const dash_unit_compliance_t *u = &m->units[i];
        const char *state = s_state(u, m->deadline_at, now);
        char words[2 * S_TEXT], first[S_TEXT], last[S_TEXT], id[DASH_UNIT_MAX + 16];
        for (size_t k = 0; k < 5; k++)
            count[k] += strcmp(state, order[k]) == 0;
        const char *cells[] = {
            s_member(ctx, u->unit), s_state_words(ctx, u, m->deadline_at, now, words, sizeof words),
            deadline, s_when(ctx, u->first_report_at, false, first, sizeof first),
            s_when(ctx, u->last_report_at, false, last, sizeof last)};
        size_t r = dash_table_row(t);
        s_texts(t, r, 0, cells, S_N(cells));
        dash_table_num(t, r, 5, u->events);
        snprintf(id, sizeof id, "compliance-%s", u->unit);
        dash_table_mark(t, r, false, state, id);
    }
    char note[4 * S_TEXT];
    snprintf(note, sizeof note,
             ctx->lang == DAJIA_LANG_EN
                 ? "On time: %" PRId64 "; late: %" PRId64 "; zero reports: %" PRId64
                   "; pending: %" PRId64 "; missing: %" PRId64 "."
                 : "按时报送%" PRId64 "家，逾期报送%" PRId64 "家，零申报%" PRId64
                   "家，待报送%" PRId64 "家，未报送%" PRId64 "家。",
             count[0], count[1], count[2], count[3], count[4]);
    dash_table_note(t, note);
    return t;
}

/* Table "history": each member unit's state in the other months, latest deadline first. */
static dash_table_t *
s_compliance_history(const dash_report_ctx_t *ctx, const dash_compliance_t *const *months, size_t n,
                     int64_t now)
{
    dash_table_t *t = dash_table_new(
        "history",
        s_t(ctx, "各月信息报送情况", "Reporting in the other months (latest deadline first)"),
        1 + n);
    if (!t)
        return NULL;
    dash_table_col(t, 0, "unit", s_t(ctx, "成员单位", "Member unit"), DASH_COL_TEXT);
    for (size_t c = 0; c < n; c++) {
        char period[S_TEXT], deadline[S_TEXT], header[3 * S_TEXT];
        snprintf(header, sizeof header,
                 ctx->lang == DAJIA_LANG_EN ? "%s (due by %s)" : "%s（%s截止）",
                 dash_report_period_label(months[c]->period, ctx->lang, period, sizeof period),
                 s_deadline(ctx, months[c]->deadline_at, deadline, sizeof deadline));
        dash_table_col(t, 1 + c, months[c]->period, header, DASH_COL_TEXT);
    }
    size_t n_members;
    const dajia_member_t *members = dash_report_members(ctx, &n_members);
    for (size_t i = 0; i < n_members; i++) {
        size_t r = dash_table_row(t);
        dash_table_text(t, r, 0, s_member(ctx, members[i].code));
        for (size_t c = 0; c < n; c++) {
            const dash_compliance_t *m = months[c];
            const dash_unit_compliance_t *u = NULL;
            for (size_t j = 0; !u && j < m->n_units; j++)
                if (strcmp(m->units[j].unit, members[i].code) == 0)
                    u = &m->units[j];
            char words[2 * S_TEXT];
            dash_table_text(t, r, 1 + c,
                            u ? s_state_words(ctx, u, m->deadline_at, now, words, sizeof words)
                              : "—");
        }
    }
    return t;
}

void
dash_report_compliance(const dash_view_t *view, const dash_report_ctx_t *ctx, dash_tables_t *out)
{
    const dash_compliance_t *open = dash_report_compliance_open(view, ctx);
    if (!open)
        return;
    int64_t now = dash_report_compliance_now(view, ctx);
    const dash_compliance_t *const *months;
    size_t n = dash_view_compliance(view, &months);
    const dash_compliance_t *others[DASH_REPORT_COMPLIANCE_MONTHS];
    size_t k = s_other_months(months, n, open, others, DASH_REPORT_COMPLIANCE_MONTHS);
    dash_table_t *t = s_compliance_month(ctx, open, now);
    if (!t)
        out->failed = true;
    dash_tables_add(out, t);
    if (k) {
        t = s_compliance_history(ctx, others, k, now);
        if (!t)
            out->failed = true;
        dash_tables_add(out, t);
    }
}
