/*  circ_bulletin: builds one period's Bulletin from the circulate core's state, and
    renders it as markdown for people (Chinese headings with English, money in yuan).

    Item 1 rows are by unit and case category (goods and channels summed); item 2 rows
    are by goods (units and categories summed) and the five channel totals (a case with
    several channel flags counts in each of its channels: channels are not a partition).
    Item 4 lists the matters still open, and those whose last progress fell in the period,
    overdue ones first (most days overdue first), measured at the end of the period.
*/
#include "circ_core.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_GOODS           256
#define S_COMPLIANCE_LOOKBACK 24

/* ================================================================ growing buffers */

typedef struct {
    char *data;
    size_t len, cap;
    int failed;
} s_text_t;

static void __attribute__((format(printf, 2, 3))) s_text_printf(s_text_t *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n =
            vsnprintf(t->data ? t->data + t->len : NULL, t->data ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
            return;
        }
        if (t->data && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 4096;
        while (cap < t->len + (size_t)n + 1)
            cap *= 2;
        char *data = realloc(t->data, cap);
        if (!data) {
            t->failed = 1;
            return;
        }
        t->data = data;
        t->cap = cap;
    }
}

typedef struct {
    char unit[AGG_UNIT_MAX];
    int category;
    int goods;
    agg_figures_t f;
} s_row_t;

typedef struct {
    s_row_t *items;
    size_t count, cap;
} s_rows_t;

static s_row_t *
s_rows_find(s_rows_t *rows, const char *unit, int category, int goods, bool create)
{
    for (size_t i = rows->count; i-- > 0;)
        if (rows->items[i].category == category && rows->items[i].goods == goods &&
            strcmp(rows->items[i].unit, unit) == 0)
            return &rows->items[i];
    if (!create)
        return NULL;
    if (rows->count == rows->cap) {
        size_t cap = rows->cap ? rows->cap * 2 : 64;
        s_row_t *items = realloc(rows->items, cap * sizeof *items);
        if (!items)
            return NULL;
        rows->items = items;
        rows->cap = cap;
    }
    s_row_t *row = &rows->items[rows->count++];
    memset(row, 0, sizeof *row);
    snprintf(row->unit, sizeof row->unit, "%s", unit);
    row->category = category;
    row->goods = goods;
    return row;
}

/* ================================================================ reading state */

typedef struct {
    s_rows_t by_unit;  /* unit x category */
    s_rows_t by_goods; /* goods */
    agg_figures_t channels[AGG_CHANNEL_COUNT];
    int failed;
} s_period_t;

static int
s_take_cell(const agg_cell_t *cell, void *arg)
{
    s_period_t *p = arg;
    s_row_t *row = s_rows_find(&p->by_unit, cell->unit, cell->category, 0, true);
    s_row_t *goods = s_rows_find(&p->by_goods, "", 0, cell->goods, true);
    if (!row || !goods)
        return -ENOMEM;
    agg_figures_add(&row->f, &cell->figures);
    agg_figures_add(&goods->f, &cell->figures);
    for (int c = 0; c < AGG_CHANNEL_COUNT; c++)
        if (cell->channels & (1u << c))
            agg_figures_add(&p->channels[c], &cell->figures);
    return 0;
}

static int
s_cmp_row(const void *a, const void *b)
{
    const s_row_t *x = a, *y = b;
    int c = strcmp(x->unit, y->unit);
    if (c)
        return c;
    if (x->category != y->category)
        return x->category < y->category ? -1 : 1;
    return x->goods < y->goods ? -1 : x->goods > y->goods;
}

static int
s_read_period(store_txn_t *txn, const char *name, s_period_t *p)
{
    int rc = agg_figures_read_period(txn, circ_tables.cells, name, s_take_cell, p);
    if (rc == 0) {
        if (p->by_unit.count)
            qsort(p->by_unit.items, p->by_unit.count, sizeof(s_row_t), s_cmp_row);
        if (p->by_goods.count)
            qsort(p->by_goods.items, p->by_goods.count, sizeof(s_row_t), s_cmp_row);
    }
    return rc;
}

typedef struct {
    Dajia__MatterLine **items;
    size_t count, cap;
} s_matters_t;

static int
s_cmp_matter(const void *a, const void *b)
{
    const Dajia__MatterLine *x = *(Dajia__MatterLine *const *)a;
    const Dajia__MatterLine *y = *(Dajia__MatterLine *const *)b;
    if (x->days_overdue != y->days_overdue)
        return x->days_overdue > y->days_overdue ? -1 : 1;
    if (x->status != y->status)
        return x->status < y->status ? -1 : 1;
    int c = strcmp(x->unit, y->unit);
    return c ? c : strcmp(x->matter_id, y->matter_id);
}

static bool
s_matter_closed(const Dajia__MatterLine *m)
{
    return m->status == DAJIA__MATTER_STATUS__MATTER_STATUS_RESOLVED ||
           m->status == DAJIA__MATTER_STATUS__MATTER_STATUS_CLOSED;
}

static int
s_read_matters(store_txn_t *txn, int64_t start, int64_t end, s_matters_t *m)
{
    store_cursor_t *cursor = NULL;
    int rc = store_cursor_open(txn, CIRC_TABLE_MATTERS, &cursor);
    if (rc == STORE_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    const void *k, *v;
    size_t kl, vl;
    rc = store_cursor_seek(cursor, NULL, 0, &k, &kl, &v, &vl);
    while (rc == 0) {
        if (vl < CIRC_MATTER_HEAD) {
            rc = -EINVAL;
            break;
        }
        Dajia__MatterLine *line = dajia__matter_line__unpack(NULL, vl - CIRC_MATTER_HEAD,
                                                             (const uint8_t *)v + CIRC_MATTER_HEAD);
        if (!line) {
            rc = -EINVAL;
            break;
        }
        bool closed = s_matter_closed(line);
        bool listed = (!closed && line->last_progress_at < end) ||
                      (line->last_progress_at >= start && line->last_progress_at < end);
        if (!listed) {
            dajia__matter_line__free_unpacked(line, NULL);
        } else {
            if (!closed && line->next_update_due_at && end > line->next_update_due_at)
                line->days_overdue = (end - line->next_update_due_at) / DAJIA_TIME_MS_PER_DAY;
            if (m->count == m->cap) {
                size_t cap = m->cap ? m->cap * 2 : 16;
                Dajia__MatterLine **items = realloc(m->items, cap * sizeof *items);
                if (!items) {
                    dajia__matter_line__free_unpacked(line, NULL);
                    rc = -ENOMEM;
                    break;
                }
                m->items = items;
                m->cap = cap;
            }
            m->items[m->count++] = line;
        }
        rc = store_cursor_next(cursor, &k, &kl, &v, &vl);
    }
    store_cursor_close(&cursor);
    if (rc == STORE_NOTFOUND)
        rc = 0;
    if (rc == 0 && m->count)
        qsort(m->items, m->count, sizeof *m->items, s_cmp_matter);
    return rc;
}

typedef struct {
    Dajia__InfoLine **items;
    size_t count, cap;
} s_infos_t;

static int
s_kind_rank(Dajia__InfoKind kind)
{
    switch (kind) {
    case DAJIA__INFO_KIND__INFO_KIND_CAMPAIGN_PROGRESS:
        return 0;
    case DAJIA__INFO_KIND__INFO_KIND_WORK_DYNAMIC:
        return 1;
    default:
        return 2;
    }
}

static int
s_cmp_info(const void *a, const void *b)
{
    const Dajia__InfoLine *x = *(Dajia__InfoLine *const *)a;
    const Dajia__InfoLine *y = *(Dajia__InfoLine *const *)b;
    int rx = s_kind_rank(x->kind), ry = s_kind_rank(y->kind);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    return strcmp(x->unit, y->unit); /* stable enough: keys came in unit, id order */
}

static int
s_read_infos(store_txn_t *txn, const char *period, s_infos_t *infos)
{
    size_t plen = strlen(period);
    store_cursor_t *cursor = NULL;
    int rc = store_cursor_open(txn, CIRC_TABLE_INFO, &cursor);
    if (rc == STORE_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    const void *k, *v;
    size_t kl, vl;
    rc = store_cursor_seek(cursor, period, plen + 1, &k, &kl, &v, &vl);
    while (rc == 0 && kl > plen && memcmp(k, period, plen + 1) == 0) {
        Dajia__InfoLine *line = dajia__info_line__unpack(NULL, vl, v);
        if (!line) {
            rc = -EINVAL;
            break;
        }
        if (infos->count == infos->cap) {
            size_t cap = infos->cap ? infos->cap * 2 : 16;
            Dajia__InfoLine **items = realloc(infos->items, cap * sizeof *items);
            if (!items) {
                dajia__info_line__free_unpacked(line, NULL);
                rc = -ENOMEM;
                break;
            }
            infos->items = items;
            infos->cap = cap;
        }
        infos->items[infos->count++] = line;
        rc = store_cursor_next(cursor, &k, &kl, &v, &vl);
    }
    store_cursor_close(&cursor);
    if (rc == STORE_NOTFOUND)
        rc = 0;
    if (rc == 0 && infos->count > 1) {
        /* insertion sort: stable, so units keep their key order within a kind */
        for (size_t i = 1; i < infos->count; i++)
            for (size_t j = i; j > 0 && s_cmp_info(&infos->items[j - 1], &infos->items[j]) > 0;
                 j--) {
                Dajia__InfoLine *tmp = infos->items[j];
                infos->items[j] = infos->items[j - 1];
                infos->items[j - 1] = tmp;
            }
    }
    return rc;
}

/* One unit's record in circ.reports for one period: the events it sent on time, late,
   and as zero reports, and when the last one came. */
typedef struct {
    uint64_t on_time;
    uint64_t late;
    uint64_t zero;
    int64_t last_report_at;
    bool found; /* the unit has a record for the period (it reported at all) */
} s_unit_reports_t;

/* The unit's record for `period`: returns 0 and fills `r` (zeros when absent). */
static int
s_read_report(store_txn_t *txn, const char *period, const char *unit, s_unit_reports_t *r)
{
    uint8_t key[AGG_PERIOD_MAX + AGG_UNIT_MAX + 1];
    size_t plen = strlen(period), ulen = strlen(unit);
    memcpy(key, period, plen + 1);
    memcpy(key + plen + 1, unit, ulen);
    const void *val;
    size_t vlen;
    int rc = store_get(txn, CIRC_TABLE_REPORTS, key, plen + 1 + ulen, &val, &vlen);
    memset(r, 0, sizeof *r);
    r->found = rc == 0;
    if (rc == STORE_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (vlen != CIRC_REPORT_BYTES)
        return -EINVAL;
    const unsigned char *rec = val;
    r->on_time = store_key_to_u64(rec);
    r->late = store_key_to_u64(rec + 8);
    r->zero = store_key_to_u64(rec + 16);
    r->last_report_at = (int64_t)store_key_to_u64(rec + 24);
    return 0;
}

/* ================================================================ markdown */

static const char *
s_enum_name(const ProtobufCEnumDescriptor *desc, int value, size_t prefix_len)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(desc, value);
    return v && strlen(v->name) > prefix_len ? v->name + prefix_len : "?";
}

/* Money in fen as yuan with two decimals. */
static const char *
s_yuan(char buf[32], int64_t fen)
{
    uint64_t mag = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    snprintf(buf, 32, "%s%llu.%02llu", fen < 0 ? "-" : "", (unsigned long long)(mag / 100),
             (unsigned long long)(mag % 100));
    return buf;
}

static const char *
s_date(char buf[32], const agg_period_spec_t *spec, int64_t at)
{
    if (!at)
        return "-";
    dajia_time_format_date(at, spec->tz_offset_min, buf, 32);
    return buf;
}

static void
s_change(s_text_t *t, int64_t now, int64_t before)
{
    s_text_printf(t, "%lld (%+lld)", (long long)now, (long long)(now - before));
}

#define S_CAT_PREFIX    (sizeof "CASE_CATEGORY_" - 1)
#define S_GOODS_PREFIX  (sizeof "GOODS_CATEGORY_" - 1)
#define S_STATUS_PREFIX (sizeof "MATTER_STATUS_" - 1)
#define S_KIND_PREFIX   (sizeof "INFO_KIND_" - 1)

/* Item 1: figures by unit and category, each against the previous period, and totals. */
static void
s_render_figures(s_text_t *t, s_period_t *cur, s_period_t *prev)
{
    char m1[32], m2[32];
    s_text_printf(t, "## 一、案件数据 Figures by unit and category\n\n");
    if (!cur->by_unit.count) {
        s_text_printf(t, "No cases counted in this period.\n\n");
    } else {
        s_text_printf(t,
                      "| 单位 Unit | 类别 Category | 立案 Filed (vs prev) | 结案 Closed (vs prev) "
                      "| 涉案金额 Value (yuan) | 罚没款 Fines (yuan) | 挽回损失 Recovered (yuan) "
                      "| 移送公安 Transfers | 捣毁窝点 Dens | 抓获 Arrested | 批捕 Approved "
                      "| 起诉 Prosecuted | 判决 Judged |\n");
        s_text_printf(t, "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    }
    agg_figures_t total = {{0}}, total_prev = {{0}};
    for (size_t i = 0; i < prev->by_unit.count; i++)
        agg_figures_add(&total_prev, &prev->by_unit.items[i].f);
    for (size_t i = 0; i < cur->by_unit.count; i++) {
        const s_row_t *r = &cur->by_unit.items[i];
        const s_row_t *p = s_rows_find(&prev->by_unit, r->unit, r->category, 0, false);
        agg_figures_t zero = {{0}};
        const agg_figures_t *pf = p ? &p->f : &zero;
        agg_figures_add(&total, &r->f);
        s_text_printf(t, "| %s | %s | ", r->unit,
                      s_enum_name(&dajia__case_category__descriptor, r->category, S_CAT_PREFIX));
        s_change(t, r->f.v[AGG_FIG_FILED], pf->v[AGG_FIG_FILED]);
        s_text_printf(t, " | ");
        s_change(t, r->f.v[AGG_FIG_CLOSED], pf->v[AGG_FIG_CLOSED]);
        char m3[32];
        s_text_printf(
            t, " | %s | %s | %s | %lld | %lld | %lld | %lld | %lld | %lld |\n",
            s_yuan(m1, r->f.v[AGG_FIG_VALUE_FEN]), s_yuan(m2, r->f.v[AGG_FIG_FINES_FEN]),
            s_yuan(m3, r->f.v[AGG_FIG_LOSS_RECOVERED_FEN]), (long long)r->f.v[AGG_FIG_TRANSFERS],
            (long long)r->f.v[AGG_FIG_DENS], (long long)r->f.v[AGG_FIG_ARRESTED],
            (long long)r->f.v[AGG_FIG_ARRESTS_APPROVED], (long long)r->f.v[AGG_FIG_PROSECUTIONS],
            (long long)r->f.v[AGG_FIG_JUDGMENTS]);
    }
    s_text_printf(t, "\n合计 Total: filed ");
    s_change(t, total.v[AGG_FIG_FILED], total_prev.v[AGG_FIG_FILED]);
    s_text_printf(t, ", closed ");
    s_change(t, total.v[AGG_FIG_CLOSED], total_prev.v[AGG_FIG_CLOSED]);
    s_text_printf(t, ", value %s yuan (previous period %s yuan), transfers to police %lld.\n\n",
                  s_yuan(m1, total.v[AGG_FIG_VALUE_FEN]),
                  s_yuan(m2, total_prev.v[AGG_FIG_VALUE_FEN]),
                  (long long)total.v[AGG_FIG_TRANSFERS]);
}

/* Item 2: figures by goods, then by channel. */
static void
s_render_goods(s_text_t *t, const s_period_t *cur)
{
    char m1[32];
    s_text_printf(t, "## 二、商品与渠道 Goods and channels\n\n");
    if (cur->by_goods.count) {
        s_text_printf(t, "| 商品 Goods | 立案 Filed | 结案 Closed | 涉案金额 Value (yuan) |\n");
        s_text_printf(t, "|---|---|---|---|\n");
    }
    for (size_t i = 0; i < cur->by_goods.count; i++) {
        const s_row_t *r = &cur->by_goods.items[i];
        s_text_printf(t, "| %s | %lld | %lld | %s |\n",
                      s_enum_name(&dajia__goods_category__descriptor, r->goods, S_GOODS_PREFIX),
                      (long long)r->f.v[AGG_FIG_FILED], (long long)r->f.v[AGG_FIG_CLOSED],
                      s_yuan(m1, r->f.v[AGG_FIG_VALUE_FEN]));
    }
    static const char *const channel_names[AGG_CHANNEL_COUNT] = {
        "电商 E-commerce", "重点市场 Key physical markets", "农村 Rural", "进出口 Import/export",
        "寄递 Postal/express"};
    s_text_printf(t, "\n");
    for (int c = 0; c < AGG_CHANNEL_COUNT; c++)
        s_text_printf(t, "- %s: filed %lld, closed %lld, value %s yuan\n", channel_names[c],
                      (long long)cur->channels[c].v[AGG_FIG_FILED],
                      (long long)cur->channels[c].v[AGG_FIG_CLOSED],
                      s_yuan(m1, cur->channels[c].v[AGG_FIG_VALUE_FEN]));
}

/* Item 4: the major matters, overdue first. */
static void
s_render_matters(s_text_t *t, const circ_config_t *cfg, const Dajia__Bulletin *b)
{
    char m1[32], m2[32];
    s_text_printf(t, "\n## 四、重大事项 Major matters (overdue first)\n\n");
    if (!b->n_matters)
        s_text_printf(t, "None.\n");
    else
        s_text_printf(t, "| 单位 Unit | 事项 Matter | 标题 Title | 状态 Status | 最近进展 Last "
                         "progress | 下次报送 Next due | 逾期天数 Days overdue |\n"
                         "|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < b->n_matters; i++) {
        const Dajia__MatterLine *m = b->matters[i];
        s_text_printf(t, "| %s | %s | %s | %s | %s | %s | %lld |\n", m->unit, m->matter_id,
                      m->title,
                      s_enum_name(&dajia__matter_status__descriptor, m->status, S_STATUS_PREFIX),
                      s_date(m1, &cfg->spec, m->last_progress_at),
                      s_date(m2, &cfg->spec, m->next_update_due_at), (long long)m->days_overdue);
    }
}

/* Item 5: campaign progress, work dynamics and typical cases. */
static void
s_render_dynamics(s_text_t *t, const Dajia__Bulletin *b)
{
    s_text_printf(t, "\n## 五、工作动态 Campaign progress, work dynamics, typical cases\n\n");
    if (!b->n_dynamics)
        s_text_printf(t, "None.\n");
    for (size_t i = 0; i < b->n_dynamics; i++) {
        const Dajia__InfoLine *d = b->dynamics[i];
        s_text_printf(t, "- [%s] %s: %s%s%s%s\n",
                      s_enum_name(&dajia__info_kind__descriptor, d->kind, S_KIND_PREFIX), d->unit,
                      d->title, *d->campaign_tag ? " (" : "", d->campaign_tag,
                      *d->campaign_tag ? ")" : "");
    }
}

/* Item 6: reporting compliance, and the units silent in this period. */
static void
s_render_compliance(s_text_t *t, const Dajia__Bulletin *b)
{
    s_text_printf(t, "\n## 六、报送情况 Reporting compliance (%s)\n\n",
                  *b->compliance_period ? b->compliance_period : "no period past its deadline");
    if (b->n_compliance)
        s_text_printf(t, "| 单位 Unit | 状态 Status | 报送条数 Events |\n|---|---|---|\n");
    for (size_t i = 0; i < b->n_compliance; i++)
        s_text_printf(t, "| %s | %s | %lld |\n", b->compliance[i]->unit, b->compliance[i]->status,
                      (long long)b->compliance[i]->events);
    s_text_printf(t, "\n本期未报送单位 Units silent in %s: ", b->period);
    if (!b->n_silent_units)
        s_text_printf(t, "none");
    for (size_t i = 0; i < b->n_silent_units; i++)
        s_text_printf(t, "%s%s", i ? ", " : "", b->silent_units[i]);
    s_text_printf(t, "\n");
}

static void
s_render(s_text_t *t, const circ_config_t *cfg, const Dajia__Bulletin *b, s_period_t *cur,
         s_period_t *prev)
{
    s_text_printf(t, "# 打击侵权假冒工作通报 Circulation bulletin %s\n\n", b->period);
    s_render_figures(t, cur, prev);
    s_render_goods(t, cur);
    s_render_matters(t, cfg, b);
    s_render_dynamics(t, b);
    s_render_compliance(t, b);
}

/* ================================================================ building */

typedef struct {
    Dajia__AggregateRow *rows;
    Dajia__AggregateRow **ptrs;
    Dajia__Figures *figures;
} s_proto_rows_t;

static int
s_proto_rows(const s_rows_t *rows, const char *period, s_proto_rows_t *out)
{
    size_t n = rows->count ? rows->count : 1;
    out->rows = calloc(n, sizeof *out->rows);
    out->ptrs = calloc(n, sizeof *out->ptrs);
    out->figures = calloc(n, sizeof *out->figures);
    if (!out->rows || !out->ptrs || !out->figures)
        return -ENOMEM;
    for (size_t i = 0; i < rows->count; i++) {
        const s_row_t *r = &rows->items[i];
        dajia__figures__init(&out->figures[i]);
        agg_figures_to_proto(&r->f, &out->figures[i]);
        dajia__aggregate_row__init(&out->rows[i]);
        out->rows[i].period = (char *)period;
        out->rows[i].unit = (char *)r->unit;
        out->rows[i].category = (Dajia__CaseCategory)r->category;
        out->rows[i].goods = (Dajia__GoodsCategory)r->goods;
        out->rows[i].figures = &out->figures[i];
        out->ptrs[i] = &out->rows[i];
    }
    return 0;
}

static void
s_proto_rows_free(s_proto_rows_t *p)
{
    free(p->rows);
    free(p->ptrs);
    free(p->figures);
}

/* Everything one bulletin is made of while it is built: read from the store, then
   pointed to by `b` (which owns nothing of it). */
typedef struct {
    const circ_config_t *cfg;
    store_txn_t *txn;
    int64_t start_ms, end_ms; /* the period */
    char name[AGG_PERIOD_MAX], prev_name[AGG_PERIOD_MAX];
    char compliance_name[AGG_PERIOD_MAX]; /* item 6's period, "" when none */
    s_period_t cur, prev;
    s_proto_rows_t p_cur, p_prev, p_goods;
    Dajia__Figures channels[AGG_CHANNEL_COUNT];
    s_matters_t matters;
    s_infos_t infos;
    Dajia__UnitCompliance *compliance;
    Dajia__UnitCompliance **compliance_ptrs;
    char **silent;
    s_text_t md;
    Dajia__Bulletin b;
} s_bulletin_t;

/* Items 1 and 2: the period's figures by unit and category (and the previous period's,
   to compare), by goods, and by channel. */
static int
s_build_figures(s_bulletin_t *bt)
{
    int rc = s_read_period(bt->txn, bt->name, &bt->cur);
    if (rc == 0)
        rc = s_read_period(bt->txn, bt->prev_name, &bt->prev);
    if (rc == 0)
        rc = s_proto_rows(&bt->cur.by_unit, bt->name, &bt->p_cur);
    if (rc == 0)
        rc = s_proto_rows(&bt->prev.by_unit, bt->prev_name, &bt->p_prev);
    if (rc == 0)
        rc = s_proto_rows(&bt->cur.by_goods, bt->name, &bt->p_goods);
    if (rc)
        return rc;
    Dajia__Bulletin *b = &bt->b;
    b->n_figures = bt->cur.by_unit.count;
    b->figures = bt->p_cur.ptrs;
    b->n_previous = bt->prev.by_unit.count;
    b->previous = bt->p_prev.ptrs;
    b->n_by_goods = bt->cur.by_goods.count;
    b->by_goods = bt->p_goods.ptrs;
    for (int c = 0; c < AGG_CHANNEL_COUNT; c++) {
        dajia__figures__init(&bt->channels[c]);
        agg_figures_to_proto(&bt->cur.channels[c], &bt->channels[c]);
    }
    b->ecommerce = &bt->channels[0];
    b->key_physical_market = &bt->channels[1];
    b->rural = &bt->channels[2];
    b->import_export = &bt->channels[3];
    b->postal_express = &bt->channels[4];
    return 0;
}

/* Item 4: the major matters still open or that moved in the period. */
static int
s_build_matters(s_bulletin_t *bt)
{
    int rc = s_read_matters(bt->txn, bt->start_ms, bt->end_ms, &bt->matters);
    if (rc)
        return rc;
    bt->b.n_matters = bt->matters.count;
    bt->b.matters = bt->matters.items;
    return 0;
}

/* Item 5: the period's campaign progress, work dynamics and typical cases. */
static int
s_build_dynamics(s_bulletin_t *bt)
{
    int rc = s_read_infos(bt->txn, bt->name, &bt->infos);
    if (rc)
        return rc;
    bt->b.n_dynamics = bt->infos.count;
    bt->b.dynamics = bt->infos.items;
    return 0;
}

/* A unit's reporting status for a period past its deadline. */
static const char *
s_compliance_status(const s_unit_reports_t *r)
{
    return r->on_time ? "on_time" : r->late ? "late" : r->zero ? "zero_report" : "missing";
}

/* Item 6: how each member reported in the latest period whose deadline has passed when
   the bulletin is produced (none within S_COMPLIANCE_LOOKBACK periods: no table). */
static int
s_build_compliance(s_bulletin_t *bt)
{
    const circ_config_t *cfg = bt->cfg;
    const agg_period_spec_t *spec = &cfg->spec;
    Dajia__Bulletin *b = &bt->b;
    int64_t q = bt->start_ms;
    for (int i = 0; i < S_COMPLIANCE_LOOKBACK && circ_deadline(cfg, q) > b->produced_at; i++)
        q = agg_period_prev(spec, q);
    if (circ_deadline(cfg, q) <= b->produced_at)
        agg_period_name(spec, q, bt->compliance_name);
    b->compliance_period = bt->compliance_name;
    b->compliance = bt->compliance_ptrs;
    for (size_t i = 0; *bt->compliance_name && i < cfg->n_members; i++) {
        s_unit_reports_t reports;
        int rc = s_read_report(bt->txn, bt->compliance_name, cfg->members[i], &reports);
        if (rc)
            return rc;
        Dajia__UnitCompliance *u = &bt->compliance[b->n_compliance];
        dajia__unit_compliance__init(u);
        u->unit = cfg->members[i];
        u->status = (char *)s_compliance_status(&reports);
        u->last_report_at = reports.last_report_at;
        u->events = (int64_t)(reports.on_time + reports.late + reports.zero);
        bt->compliance_ptrs[b->n_compliance++] = u;
    }
    return 0;
}

/* Item 6, its last line: the members that sent nothing at all for this period. */
static int
s_build_silent(s_bulletin_t *bt)
{
    const circ_config_t *cfg = bt->cfg;
    bt->b.silent_units = bt->silent;
    for (size_t i = 0; i < cfg->n_members; i++) {
        s_unit_reports_t reports;
        int rc = s_read_report(bt->txn, bt->name, cfg->members[i], &reports);
        if (rc)
            return rc;
        if (!reports.found)
            bt->silent[bt->b.n_silent_units++] = cfg->members[i];
    }
    return 0;
}

static void
s_bulletin_free(s_bulletin_t *bt)
{
    free(bt->cur.by_unit.items);
    free(bt->cur.by_goods.items);
    free(bt->prev.by_unit.items);
    free(bt->prev.by_goods.items);
    for (size_t i = 0; i < bt->matters.count; i++)
        dajia__matter_line__free_unpacked(bt->matters.items[i], NULL);
    free(bt->matters.items);
    for (size_t i = 0; i < bt->infos.count; i++)
        dajia__info_line__free_unpacked(bt->infos.items[i], NULL);
    free(bt->infos.items);
    s_proto_rows_free(&bt->p_cur);
    s_proto_rows_free(&bt->p_prev);
    s_proto_rows_free(&bt->p_goods);
    free(bt->compliance);
    free(bt->compliance_ptrs);
    free(bt->silent);
    free(bt->md.data);
}

int
circ_bulletin_build(store_txn_t *txn, const circ_config_t *cfg, int64_t start_ms,
                    int64_t produced_at, uint64_t source_log_seq, worker_outputs_t *out)
{
    const agg_period_spec_t *spec = &cfg->spec;
    s_bulletin_t bulletin, *bt = &bulletin;
    memset(bt, 0, sizeof *bt);
    bt->cfg = cfg;
    bt->txn = txn;
    bt->start_ms = start_ms;
    bt->end_ms = agg_period_next(spec, start_ms);
    agg_period_name(spec, start_ms, bt->name);
    agg_period_name(spec, agg_period_prev(spec, start_ms), bt->prev_name);
    dajia__bulletin__init(&bt->b);
    bt->b.period = bt->name;
    bt->b.produced_at = produced_at;
    bt->compliance = calloc(cfg->n_members + 1, sizeof *bt->compliance);
    bt->compliance_ptrs = calloc(cfg->n_members + 1, sizeof *bt->compliance_ptrs);
    bt->silent = calloc(cfg->n_members + 1, sizeof *bt->silent);
    int rc = -ENOMEM;
    if (!bt->compliance || !bt->compliance_ptrs || !bt->silent)
        goto out;
    rc = s_build_figures(bt);
    if (rc == 0)
        rc = s_build_matters(bt);
    if (rc == 0)
        rc = s_build_dynamics(bt);
    if (rc == 0)
        rc = s_build_compliance(bt);
    if (rc == 0)
        rc = s_build_silent(bt);
    if (rc)
        goto out;

    s_render(&bt->md, cfg, &bt->b, &bt->cur, &bt->prev);
    rc = -ENOMEM;
    if (bt->md.failed || !bt->md.data)
        goto out;
    bt->b.markdown = bt->md.data;

    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.audience = DAJIA__AUDIENCE__AUDIENCE_PUBLIC;
    item.service = (char *)worker_circulate.name;
    item.source_log_seq = source_log_seq;
    item.produced_at = produced_at;
    item.item_case = DAJIA__FEED_ITEM__ITEM_BULLETIN;
    item.bulletin = &bt->b;
    rc = worker_outputs_add(out, &item);
out:
    s_bulletin_free(bt);
    return rc;
}
