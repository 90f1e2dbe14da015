/*  office_figures: the fold behind `dajia-office figures`, and its table. */
#include "office_figures.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "office_format.h"

#define S_CELL DAJIA_LABEL_TEXT_MAX

struct office_figures_t {
    Dajia__AggregateRow **rows; /* owned copies, one per cell */
    size_t n;
    const Dajia__AggregateRow **view; /* the last rows() answer */
};

office_figures_t *
office_figures_new(void)
{
    return calloc(1, sizeof(office_figures_t));
}

void
office_figures_destroy(office_figures_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    office_figures_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        dajia__aggregate_row__free_unpacked(self->rows[i], NULL);
    free(self->rows);
    free(self->view);
    free(self);
    *self_p = NULL;
}

static bool
s_same_cell(const Dajia__AggregateRow *a, const Dajia__AggregateRow *b)
{
    return a->category == b->category && a->goods == b->goods &&
           strcmp(a->period, b->period) == 0 && strcmp(a->unit, b->unit) == 0;
}

int
office_figures_add(office_figures_t *self, const Dajia__FeedItem *item)
{
    if (item->item_case != DAJIA__FEED_ITEM__ITEM_AGGREGATE || !item->aggregate)
        return 0;
    for (size_t r = 0; r < item->aggregate->n_rows; r++) {
        const Dajia__AggregateRow *row = item->aggregate->rows[r];
        Dajia__AggregateRow *copy = office_message_copy(&row->base);
        if (!copy)
            return -ENOMEM;
        size_t i = 0;
        while (i < self->n && !s_same_cell(self->rows[i], copy))
            i++;
        if (i < self->n) {
            dajia__aggregate_row__free_unpacked(self->rows[i], NULL);
            self->rows[i] = copy; /* the current figures of the cell replace the old */
            continue;
        }
        Dajia__AggregateRow **grown = realloc(self->rows, (self->n + 1) * sizeof *grown);
        if (!grown) {
            dajia__aggregate_row__free_unpacked(copy, NULL);
            return -ENOMEM;
        }
        self->rows = grown;
        self->rows[self->n++] = copy;
    }
    return 0;
}

static bool
s_is_figure(const ProtobufCFieldDescriptor *f)
{
    return f->type == PROTOBUF_C_TYPE_INT64 && f->label != PROTOBUF_C_LABEL_REPEATED;
}

static int64_t
s_value(const Dajia__Figures *f, const ProtobufCFieldDescriptor *field)
{
    return f ? *(const int64_t *)(const void *)((const char *)f + field->offset) : 0;
}

static bool
s_counts(const Dajia__AggregateRow *row)
{
    const ProtobufCMessageDescriptor *d = &dajia__figures__descriptor;
    for (unsigned i = 0; i < d->n_fields; i++)
        if (s_is_figure(&d->fields[i]) && s_value(row->figures, &d->fields[i]) != 0)
            return true;
    return false;
}

static size_t
s_rank(const char *unit)
{
    size_t n = 0;
    const dajia_member_t *members = dajia_members_default(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(members[i].code, unit) == 0)
            return i;
    return n;
}

static int
s_cmp(const void *pa, const void *pb)
{
    const Dajia__AggregateRow *a = *(const Dajia__AggregateRow *const *)pa;
    const Dajia__AggregateRow *b = *(const Dajia__AggregateRow *const *)pb;
    size_t ra = s_rank(a->unit), rb = s_rank(b->unit);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    int c = strcmp(a->unit, b->unit);
    if (c)
        return c;
    if (a->category != b->category)
        return a->category < b->category ? -1 : 1;
    return a->goods < b->goods ? -1 : a->goods > b->goods;
}

size_t
office_figures_rows(office_figures_t *self, const char *period, const char *unit,
                    const Dajia__AggregateRow *const **rows)
{
    const Dajia__AggregateRow **view = realloc(self->view, (self->n ? self->n : 1) * sizeof *view);
    if (!view)
        return (size_t)-1;
    self->view = view;
    size_t n = 0;
    for (size_t i = 0; i < self->n; i++) {
        const Dajia__AggregateRow *row = self->rows[i];
        if (strcmp(row->period, period) == 0 && (!unit || strcmp(row->unit, unit) == 0) &&
            s_counts(row))
            view[n++] = row;
    }
    qsort(view, n, sizeof *view, s_cmp);
    *rows = view;
    return n;
}

#define S_W(lang, zh, en) ((lang) == DAJIA_LANG_EN ? (en) : (zh))

static void
s_cell(FILE *out, int64_t v, dajia_measure_t measure)
{
    char buf[S_CELL];
    fprintf(out, " %s |",
            measure == DAJIA_MEASURE_FEN ? dajia_label_money_wan(v, buf, sizeof buf)
                                         : dajia_label_number(v, buf, sizeof buf));
}

int
office_figures_print(FILE *out, const char *period, const Dajia__AggregateRow *const *rows,
                     size_t n, dajia_lang_t lang)
{
    const ProtobufCMessageDescriptor *d = &dajia__figures__descriptor;
    char title[S_CELL];
    dajia_time_period_t p;
    if (dajia_time_period_parse(period, strlen(period), &p) == 0)
        dajia_label_period(p, lang, title, sizeof title);
    else
        snprintf(title, sizeof title, "%s", period);
    fprintf(out, S_W(lang, "%s案件数据（当前）\n\n", "Figures of %s (as they stand now)\n\n"),
            title);
    fprintf(out, "| %s |",
            S_W(lang, "成员单位 | 案件类别 | 商品类别", "Member unit | Case category | Goods"));
    size_t columns = 3;
    for (unsigned i = 0; i < d->n_fields; i++) {
        if (!s_is_figure(&d->fields[i]))
            continue;
        dajia_measure_t measure;
        const char *label = dajia_label_figure(d->fields[i].name, lang, &measure);
        if (measure == DAJIA_MEASURE_FEN)
            fprintf(out, S_W(lang, " %s（%s） |", " %s (%s) |"), label, dajia_label_wan_unit(lang));
        else
            fprintf(out, " %s |", label);
        columns++;
    }
    fprintf(out, "\n|");
    for (size_t i = 0; i < columns; i++)
        fprintf(out, "---|");
    fprintf(out, "\n");
    int64_t total[64] = {0};
    for (size_t r = 0; r < n; r++) {
        const Dajia__AggregateRow *row = rows[r];
        fprintf(out, "| %s | %s | %s |", dajia_label_member(NULL, 0, row->unit, lang),
                dajia_label_enum(&dajia__case_category__descriptor, row->category, lang),
                dajia_label_enum(&dajia__goods_category__descriptor, row->goods, lang));
        for (unsigned i = 0, k = 0; i < d->n_fields; i++) {
            if (!s_is_figure(&d->fields[i]))
                continue;
            dajia_measure_t measure;
            dajia_label_figure(d->fields[i].name, lang, &measure);
            int64_t v = s_value(row->figures, &d->fields[i]);
            if (k < 64)
                total[k++] += v;
            s_cell(out, v, measure);
        }
        fprintf(out, "\n");
    }
    if (!n) {
        fprintf(out, "%s\n", S_W(lang, "\n本月无案件数据。", "\nNo figures for this month."));
        return ferror(out) ? -EIO : 0;
    }
    fprintf(out, "| %s | | |", S_W(lang, "合计", "Total"));
    for (unsigned i = 0, k = 0; i < d->n_fields; i++) {
        if (!s_is_figure(&d->fields[i]))
            continue;
        dajia_measure_t measure;
        dajia_label_figure(d->fields[i].name, lang, &measure);
        s_cell(out, k < 64 ? total[k] : 0, measure);
        k++;
    }
    fprintf(out, "\n");
    return ferror(out) ? -EIO : 0;
}
