/*  circ_bulletin: a month's Bulletin read from the circulate core's state, and the changes
    between two bulletins of one month (what a revision lists).

    Item 1 rows are by unit and case category (goods and channels summed), with the
    previous month's rows beside them; item 2 rows are by goods (units and categories
    summed) and the five channel totals (a case with several channel flags counts in each
    of its channels: channels are not a partition). Item 4 is circ_matters_read's, item 5
    circ_info_read's. Item 6 judges the bulletin's own month: it is read after the month's
    reporting deadline, so no unit is still "pending" in it (docs/domain.md §7.4).

    Everything is built into a message owned by the default allocator (every string and
    submessage malloc'd), so that the caller frees it with dajia__bulletin__free_unpacked
    like an unpacked one, and the diff can append to it.
*/
#include "circ_core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ================================================================ owned pieces

static char *
s_strdup(const char *s)
{
    return strdup(s ? s : "");
}

/* Appends `item` to the repeated field (*items, *n); the array grows by one. */
static int
s_push(void ***items, size_t *n, void *item)
{
    if (!item)
        return -ENOMEM;
    void **grown = realloc(*items, (*n + 1) * sizeof *grown);
    if (!grown)
        return -ENOMEM;
    grown[(*n)++] = item;
    *items = grown;
    return 0;
}

#define S_PUSH(arr, n, item) s_push((void ***)&(arr), &(n), (item))

static Dajia__Figures *
s_figures_new(const agg_figures_t *f)
{
    Dajia__Figures *out = malloc(sizeof *out);
    if (out) {
        dajia__figures__init(out);
        agg_figures_to_proto(f, out);
    }
    return out;
}

static Dajia__AggregateRow *
s_row_new(const char *period, const char *unit, int category, int goods, const agg_figures_t *f)
{
    Dajia__AggregateRow *row = malloc(sizeof *row);
    if (!row)
        return NULL;
    dajia__aggregate_row__init(row);
    row->period = s_strdup(period);
    row->unit = s_strdup(unit);
    row->category = (Dajia__CaseCategory)category;
    row->goods = (Dajia__GoodsCategory)goods;
    row->figures = s_figures_new(f);
    if (!row->period || !row->unit || !row->figures) {
        dajia__aggregate_row__free_unpacked(row, NULL);
        return NULL;
    }
    return row;
}

// ================================================================ figures

typedef struct {
    char unit[AGG_UNIT_MAX];
    int category;
    int goods;
    size_t rank; /* the unit's place in circulate/members (others after, by code) */
    agg_figures_t f;
} s_row_t;

typedef struct {
    s_row_t *items;
    size_t count, cap;
} s_rows_t;

static s_row_t *
s_rows_find(s_rows_t *rows, const char *unit, int category, int goods)
{
    for (size_t i = rows->count; i-- > 0;)
        if (rows->items[i].category == category && rows->items[i].goods == goods &&
            strcmp(rows->items[i].unit, unit) == 0)
            return &rows->items[i];
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

typedef struct {
    s_rows_t by_unit;  /* unit x category */
    s_rows_t by_goods; /* goods */
    agg_figures_t channels[AGG_CHANNEL_COUNT];
} s_period_t;

static int
s_take_cell(const agg_cell_t *cell, void *arg)
{
    s_period_t *p = arg;
    s_row_t *row = s_rows_find(&p->by_unit, cell->unit, cell->category, 0);
    s_row_t *goods = s_rows_find(&p->by_goods, "", 0, cell->goods);
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
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    int c = strcmp(x->unit, y->unit);
    if (c)
        return c;
    if (x->category != y->category)
        return x->category < y->category ? -1 : 1;
    return x->goods < y->goods ? -1 : x->goods > y->goods;
}

static size_t
s_rank(const circ_config_t *cfg, const char *unit)
{
    for (size_t i = 0; i < cfg->n_members; i++)
        if (strcmp(cfg->members[i], unit) == 0)
            return i;
    return cfg->n_members;
}

/* Reads the period's cells, units in member order, leaving out rows whose figures are
   all zero (a cell that fell back to zero is kept in the store, but counts nothing). */
static int
s_read_period(store_txn_t *txn, const circ_config_t *cfg, const char *name, s_period_t *p)
{
    int rc = agg_figures_read_period(txn, circ_tables.cells, name, s_take_cell, p);
    s_rows_t *lists[2] = {&p->by_unit, &p->by_goods};
    for (size_t l = 0; rc == 0 && l < 2; l++) {
        size_t kept = 0;
        for (size_t i = 0; i < lists[l]->count; i++) {
            lists[l]->items[i].rank = s_rank(cfg, lists[l]->items[i].unit);
            if (!agg_figures_is_zero(&lists[l]->items[i].f))
                lists[l]->items[kept++] = lists[l]->items[i];
        }
        lists[l]->count = kept;
        if (kept)
            qsort(lists[l]->items, kept, sizeof(s_row_t), s_cmp_row);
    }
    return rc;
}

static void
s_period_free(s_period_t *p)
{
    free(p->by_unit.items);
    free(p->by_goods.items);
}

static int
s_rows_out(const s_rows_t *rows, const char *period, Dajia__AggregateRow ***out, size_t *n)
{
    for (size_t i = 0; i < rows->count; i++) {
        const s_row_t *r = &rows->items[i];
        int rc = S_PUSH(*out, *n, s_row_new(period, r->unit, r->category, r->goods, &r->f));
        if (rc)
            return rc;
    }
    return 0;
}

/* Items 1 and 2. */
static int
s_build_figures(store_txn_t *txn, const circ_config_t *cfg, int64_t start, Dajia__Bulletin *b)
{
    char prev[AGG_PERIOD_MAX];
    circ_period_name(cfg, agg_period_prev(&cfg->spec, start), prev);
    s_period_t cur = {0}, before = {0};
    int rc = s_read_period(txn, cfg, b->period, &cur);
    if (rc == 0)
        rc = s_read_period(txn, cfg, prev, &before);
    if (rc == 0)
        rc = s_rows_out(&cur.by_unit, b->period, &b->figures, &b->n_figures);
    if (rc == 0)
        rc = s_rows_out(&before.by_unit, prev, &b->previous, &b->n_previous);
    if (rc == 0)
        rc = s_rows_out(&cur.by_goods, b->period, &b->by_goods, &b->n_by_goods);
    Dajia__Figures **channels[AGG_CHANNEL_COUNT] = {
        &b->ecommerce, &b->key_physical_market, &b->rural, &b->import_export, &b->postal_express};
    for (int c = 0; rc == 0 && c < AGG_CHANNEL_COUNT; c++)
        if (!(*channels[c] = s_figures_new(&cur.channels[c])))
            rc = -ENOMEM;
    s_period_free(&cur);
    s_period_free(&before);
    return rc;
}

// ================================================================ compliance

/* Item 6: every member's reporting for the bulletin's month, judged at `now`; and the
   members that sent nothing at all for it. */
static int
s_build_compliance(store_txn_t *txn, const circ_config_t *cfg, int64_t start, int64_t now,
                   Dajia__Bulletin *b)
{
    for (size_t i = 0; i < cfg->n_members; i++) {
        circ_reports_t r;
        int rc = circ_reports_get(txn, cfg, start, cfg->members[i], &r);
        if (rc)
            return rc;
        Dajia__UnitCompliance judged = DAJIA__UNIT_COMPLIANCE__INIT;
        circ_compliance_judge(cfg, start, now, &r, &judged);
        Dajia__UnitCompliance *u = malloc(sizeof *u);
        if (!u)
            return -ENOMEM;
        *u = judged;
        u->unit = s_strdup(cfg->members[i]);
        u->status = s_strdup(judged.status);
        u->period = s_strdup(b->period);
        if ((rc = S_PUSH(b->compliance, b->n_compliance, u)) != 0) {
            dajia__unit_compliance__free_unpacked(u, NULL);
            return rc;
        }
        if (!u->unit || !u->status || !u->period)
            return -ENOMEM;
        if (r.reports + r.zero == 0 &&
            (rc = S_PUSH(b->silent_units, b->n_silent_units, s_strdup(cfg->members[i]))) != 0)
            return rc;
    }
    b->compliance_period = s_strdup(b->period);
    return b->compliance_period ? 0 : -ENOMEM;
}

int
circ_bulletin_read(store_txn_t *txn, const circ_config_t *cfg, int64_t start_ms, int64_t now,
                   Dajia__Bulletin **out)
{
    Dajia__Bulletin *b = malloc(sizeof *b);
    if (!b)
        return -ENOMEM;
    dajia__bulletin__init(b);
    char name[AGG_PERIOD_MAX];
    circ_period_name(cfg, start_ms, name);
    int rc = (b->period = s_strdup(name)) ? 0 : -ENOMEM;
    b->deadline_at = circ_deadline(cfg, start_ms);
    if (rc == 0)
        rc = s_build_figures(txn, cfg, start_ms, b);
    if (rc == 0)
        rc = circ_matters_read(txn, cfg, start_ms, agg_period_next(&cfg->spec, start_ms),
                               &b->matters, &b->n_matters);
    if (rc == 0)
        rc = circ_info_read(txn, name, &b->dynamics, &b->n_dynamics);
    if (rc == 0)
        rc = s_build_compliance(txn, cfg, start_ms, now, b);
    if (rc) {
        dajia__bulletin__free_unpacked(b, NULL);
        return rc;
    }
    *out = b;
    return 0;
}

// ================================================================ changes

static int
s_change(Dajia__Bulletin *after, const char *section, const char *unit, int category,
         const char *field, int64_t before, int64_t now, const char *before_text,
         const char *after_text)
{
    Dajia__BulletinChange *c = malloc(sizeof *c);
    if (!c)
        return -ENOMEM;
    dajia__bulletin_change__init(c);
    c->section = s_strdup(section);
    c->unit = s_strdup(unit);
    c->category = (Dajia__CaseCategory)category;
    c->field = s_strdup(field);
    c->before = before;
    c->after = now;
    c->before_text = s_strdup(before_text);
    c->after_text = s_strdup(after_text);
    int rc = (c->section && c->unit && c->field && c->before_text && c->after_text)
                 ? S_PUSH(after->changes, after->n_changes, c)
                 : -ENOMEM;
    if (rc)
        dajia__bulletin_change__free_unpacked(c, NULL);
    return rc;
}

static const Dajia__AggregateRow *
s_find_row(Dajia__AggregateRow *const *rows, size_t n, const char *unit, int category)
{
    for (size_t i = 0; i < n; i++)
        if ((int)rows[i]->category == category && strcmp(rows[i]->unit, unit) == 0)
            return rows[i];
    return NULL;
}

static int64_t
s_figure(const Dajia__Figures *f, const ProtobufCFieldDescriptor *field)
{
    return f ? *(const int64_t *)(const void *)((const char *)f + field->offset) : 0;
}

/* Every figure of one unit x category row that differs (a row absent is all zeros). */
static int
s_diff_row(Dajia__Bulletin *after, const char *unit, int category, const Dajia__Figures *was,
           const Dajia__Figures *is)
{
    const ProtobufCMessageDescriptor *d = &dajia__figures__descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &d->fields[i];
        if (field->type != PROTOBUF_C_TYPE_INT64 || field->label == PROTOBUF_C_LABEL_REPEATED)
            continue;
        int64_t x = s_figure(was, field), y = s_figure(is, field);
        if (x != y) {
            int rc = s_change(after, "figures", unit, category, field->name, x, y, "", "");
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int
s_diff_figures(const Dajia__Bulletin *before, Dajia__Bulletin *after)
{
    size_t n_after = after->n_figures; /* s_change does not touch figures */
    for (size_t i = 0; i < n_after; i++) {
        const Dajia__AggregateRow *is = after->figures[i];
        const Dajia__AggregateRow *was =
            s_find_row(before->figures, before->n_figures, is->unit, is->category);
        int rc = s_diff_row(after, is->unit, is->category, was ? was->figures : NULL, is->figures);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < before->n_figures; i++) {
        const Dajia__AggregateRow *was = before->figures[i];
        if (s_find_row(after->figures, n_after, was->unit, was->category))
            continue;
        int rc = s_diff_row(after, was->unit, was->category, was->figures, NULL);
        if (rc)
            return rc;
    }
    return 0;
}

static int
s_diff_compliance(const Dajia__Bulletin *before, Dajia__Bulletin *after)
{
    for (size_t i = 0; i < after->n_compliance; i++) {
        const Dajia__UnitCompliance *is = after->compliance[i];
        const Dajia__UnitCompliance *was = NULL;
        for (size_t j = 0; j < before->n_compliance && !was; j++)
            if (strcmp(before->compliance[j]->unit, is->unit) == 0)
                was = before->compliance[j];
        const char *was_status = was ? was->status : "";
        bool was_late = was && was->late;
        if (strcmp(was_status, is->status) == 0 && was_late == is->late)
            continue;
        int rc = s_change(after, "compliance", is->unit, 0, "status", was_late, is->late,
                          was_status, is->status);
        if (rc)
            return rc;
    }
    return 0;
}

static const char *
s_status_name(Dajia__MatterStatus status)
{
    switch (status) {
    case DAJIA__MATTER_STATUS__MATTER_STATUS_OPEN:
        return "open";
    case DAJIA__MATTER_STATUS__MATTER_STATUS_IN_PROGRESS:
        return "in_progress";
    case DAJIA__MATTER_STATUS__MATTER_STATUS_BLOCKED:
        return "blocked";
    case DAJIA__MATTER_STATUS__MATTER_STATUS_RESOLVED:
        return "resolved";
    case DAJIA__MATTER_STATUS__MATTER_STATUS_CLOSED:
        return "closed";
    default:
        return "unspecified";
    }
}

static const Dajia__MatterLine *
s_find_matter(Dajia__MatterLine *const *items, size_t n, const Dajia__MatterLine *m)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i]->unit, m->unit) == 0 && strcmp(items[i]->matter_id, m->matter_id) == 0)
            return items[i];
    return NULL;
}

static int
s_diff_matters(const Dajia__Bulletin *before, Dajia__Bulletin *after)
{
    for (size_t i = 0; i < after->n_matters; i++) {
        const Dajia__MatterLine *is = after->matters[i];
        const Dajia__MatterLine *was = s_find_matter(before->matters, before->n_matters, is);
        if (was && was->status == is->status && was->days_overdue == is->days_overdue &&
            was->next_update_due_at == is->next_update_due_at && strcmp(was->title, is->title) == 0)
            continue;
        int rc = s_change(after, "matters", is->unit, 0, is->matter_id, was ? was->days_overdue : 0,
                          is->days_overdue, was ? s_status_name(was->status) : "",
                          s_status_name(is->status));
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < before->n_matters; i++) {
        const Dajia__MatterLine *was = before->matters[i];
        if (s_find_matter(after->matters, after->n_matters, was))
            continue;
        int rc = s_change(after, "matters", was->unit, 0, was->matter_id, was->days_overdue, 0,
                          s_status_name(was->status), "");
        if (rc)
            return rc;
    }
    return 0;
}

static const char *
s_kind_name(Dajia__InfoKind kind)
{
    switch (kind) {
    case DAJIA__INFO_KIND__INFO_KIND_CAMPAIGN_PROGRESS:
        return "campaign_progress";
    case DAJIA__INFO_KIND__INFO_KIND_WORK_DYNAMIC:
        return "work_dynamic";
    case DAJIA__INFO_KIND__INFO_KIND_TYPICAL_CASE:
        return "typical_case";
    default:
        return "other";
    }
}

/* How many lines of `items` are (unit, kind, title) of `line`. */
static size_t
s_count_info(Dajia__InfoLine *const *items, size_t n, const Dajia__InfoLine *line)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += items[i]->kind == line->kind && strcmp(items[i]->unit, line->unit) == 0 &&
                 strcmp(items[i]->title, line->title) == 0;
    return count;
}

static int
s_diff_dynamics(const Dajia__Bulletin *before, Dajia__Bulletin *after)
{
    /* a multiset: a line is new when there are more of it now than before, once */
    for (size_t i = 0; i < after->n_dynamics; i++) {
        const Dajia__InfoLine *d = after->dynamics[i];
        if (s_count_info(after->dynamics, i, d) > 0)
            continue; /* counted at its first occurrence */
        size_t now = s_count_info(after->dynamics, after->n_dynamics, d);
        size_t was = s_count_info(before->dynamics, before->n_dynamics, d);
        for (size_t k = was; k < now; k++) {
            int rc =
                s_change(after, "dynamics", d->unit, 0, s_kind_name(d->kind), 0, 1, "", d->title);
            if (rc)
                return rc;
        }
    }
    for (size_t i = 0; i < before->n_dynamics; i++) {
        const Dajia__InfoLine *d = before->dynamics[i];
        if (s_count_info(before->dynamics, i, d) > 0)
            continue;
        size_t was = s_count_info(before->dynamics, before->n_dynamics, d);
        size_t now = s_count_info(after->dynamics, after->n_dynamics, d);
        for (size_t k = now; k < was; k++) {
            int rc =
                s_change(after, "dynamics", d->unit, 0, s_kind_name(d->kind), 1, 0, d->title, "");
            if (rc)
                return rc;
        }
    }
    return 0;
}

int
circ_bulletin_diff(const Dajia__Bulletin *before, Dajia__Bulletin *after)
{
    size_t had = after->n_changes;
    int rc = s_diff_figures(before, after);
    if (rc == 0)
        rc = s_diff_compliance(before, after);
    if (rc == 0)
        rc = s_diff_matters(before, after);
    if (rc == 0)
        rc = s_diff_dynamics(before, after);
    return rc ? rc : (int)(after->n_changes - had);
}
