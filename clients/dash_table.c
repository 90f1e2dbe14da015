/*  dash_table: the dashboard's tables as data (see dash_table.h). */
#include "dash_table.h"

#include <stdlib.h>
#include <string.h>

static char *
s_dup(dash_table_t *self, const char *text)
{
    if (!text)
        return NULL;
    char *copy = strdup(text);
    if (!copy)
        self->failed = true;
    return copy;
}

dash_table_t *
dash_table_new(const char *id, const char *title, size_t n_cols)
{
    dash_table_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->id = strdup(id);
    self->title = strdup(title ? title : "");
    self->cols = calloc(n_cols ? n_cols : 1, sizeof *self->cols);
    self->n_cols = n_cols;
    if (!self->id || !self->title || !self->cols)
        dash_table_destroy(&self);
    return self;
}

void
dash_table_destroy(dash_table_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dash_table_t *self = *self_p;
    for (size_t r = 0; r < self->n_rows; r++) {
        dash_trow_t *row = &self->rows[r];
        for (size_t c = 0; row->cells && c < self->n_cols; c++) {
            free(row->cells[c].text);
            free(row->cells[c].href);
        }
        free(row->cells);
        free(row->css);
        free(row->id);
    }
    free(self->rows);
    for (size_t c = 0; self->cols && c < self->n_cols; c++) {
        free(self->cols[c].header);
        free(self->cols[c].key);
    }
    free(self->cols);
    free(self->id);
    free(self->title);
    free(self->note);
    free(self);
    *self_p = NULL;
}

void
dash_table_col(dash_table_t *self, size_t i, const char *key, const char *header, dash_col_t kind)
{
    if (i >= self->n_cols)
        return;
    free(self->cols[i].header);
    free(self->cols[i].key);
    self->cols[i].header = s_dup(self, header);
    self->cols[i].key = s_dup(self, key);
    self->cols[i].kind = kind;
}

void
dash_table_note(dash_table_t *self, const char *note)
{
    free(self->note);
    self->note = s_dup(self, note);
}

size_t
dash_table_row(dash_table_t *self)
{
    if (self->n_rows == self->cap_rows) {
        size_t cap = self->cap_rows ? self->cap_rows * 2 : 32;
        dash_trow_t *grown = realloc(self->rows, cap * sizeof *grown);
        if (!grown) {
            self->failed = true;
            return (size_t)-1;
        }
        self->rows = grown;
        self->cap_rows = cap;
    }
    dash_trow_t *row = &self->rows[self->n_rows];
    memset(row, 0, sizeof *row);
    row->cells = calloc(self->n_cols ? self->n_cols : 1, sizeof *row->cells);
    if (!row->cells) {
        self->failed = true;
        return (size_t)-1;
    }
    return self->n_rows++;
}

static dash_cell_t *
s_cell(dash_table_t *self, size_t row, size_t col)
{
    if (row >= self->n_rows || col >= self->n_cols)
        return NULL;
    return &self->rows[row].cells[col];
}

void
dash_table_text(dash_table_t *self, size_t row, size_t col, const char *text)
{
    dash_cell_t *cell = s_cell(self, row, col);
    if (!cell)
        return;
    free(cell->text);
    cell->text = s_dup(self, text);
}

void
dash_table_link(dash_table_t *self, size_t row, size_t col, const char *text, const char *href)
{
    dash_cell_t *cell = s_cell(self, row, col);
    if (!cell)
        return;
    dash_table_text(self, row, col, text);
    free(cell->href);
    cell->href = s_dup(self, href);
}

void
dash_table_num(dash_table_t *self, size_t row, size_t col, int64_t n)
{
    dash_cell_t *cell = s_cell(self, row, col);
    if (cell)
        cell->n = n;
}

void
dash_table_ratio(dash_table_t *self, size_t row, size_t col, int64_t n, int64_t base)
{
    dash_cell_t *cell = s_cell(self, row, col);
    if (cell) {
        cell->n = n;
        cell->base = base;
    }
}

void
dash_table_mark(dash_table_t *self, size_t row, bool total, const char *css, const char *id)
{
    if (row >= self->n_rows)
        return;
    dash_trow_t *r = &self->rows[row];
    r->total = total;
    free(r->css);
    free(r->id);
    r->css = s_dup(self, css);
    r->id = s_dup(self, id);
}

/* num / den rounded half away from zero, in long double to stay exact enough for any
   figure this schema counts. */
static int64_t
s_round_div(long double num, long double den)
{
    long double q = num / den;
    return (int64_t)(q < 0 ? q - 0.5L : q + 0.5L);
}

bool
dash_table_change_permille(int64_t n, int64_t base, int64_t *permille)
{
    if (base == 0)
        return false;
    *permille = s_round_div(((long double)n - (long double)base) * 1000.0L,
                            base < 0 ? -(long double)base : (long double)base);
    return true;
}

bool
dash_table_share_permille(int64_t n, int64_t base, int64_t *permille)
{
    if (base == 0)
        return false;
    *permille = s_round_div((long double)n * 1000.0L, (long double)base);
    return true;
}

void
dash_tables_add(dash_tables_t *self, dash_table_t *table)
{
    if (!table || table->failed) {
        self->failed = true;
        dash_table_destroy(&table);
        return;
    }
    dash_table_t **grown = realloc(self->items, (self->count + 1) * sizeof *grown);
    if (!grown) {
        self->failed = true;
        dash_table_destroy(&table);
        return;
    }
    self->items = grown;
    self->items[self->count++] = table;
}

dash_table_t *
dash_tables_find(const dash_tables_t *self, const char *id)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp(self->items[i]->id, id) == 0)
            return self->items[i];
    return NULL;
}

void
dash_tables_free(dash_tables_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        dash_table_destroy(&self->items[i]);
    free(self->items);
    memset(self, 0, sizeof *self);
}
