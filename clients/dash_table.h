/*  dash_table: one table of the dashboard, as data: what the page, the CSV and the XLSX
    download each write in their own way, so the three always hold the same figures.

    A table has an id (the name a download asks for: "units", "escalations"), a title,
    columns with a kind, and rows of cells. A cell holds a number (a count, money in fen,
    or a change: the current value against a base) or text. A row may be marked as the
    total row, and may carry a CSS class ("overdue") and an id (an escalation's, so the
    live page adds a row only once).

    The table owns every string given to it (copied).
*/
#ifndef DASH_TABLE_H
#define DASH_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    DASH_COL_TEXT = 0, /* text */
    DASH_COL_COUNT,    /* a whole number */
    DASH_COL_FEN,      /* money in fen, shown in 万元 */
    DASH_COL_CHANGE,   /* a change in per cent: cell n against cell base */
    DASH_COL_SHARE,    /* a share in per cent: cell n of cell base */
} dash_col_t;

typedef struct {
    int64_t n;    /* the number (COUNT, FEN), or the current value (CHANGE, SHARE) */
    int64_t base; /* CHANGE and SHARE: what n is measured against (0: no base) */
    char *text;   /* TEXT: owned; NULL reads as "" */
    char *href;   /* TEXT: a link, owned; NULL: none */
} dash_cell_t;

typedef struct {
    dash_cell_t *cells; /* one per column */
    bool total;         /* the total row */
    char *css;          /* class of the row, owned; NULL: none */
    char *id;           /* id of the row, owned; NULL: none */
} dash_trow_t;

typedef struct {
    char *header; /* owned */
    dash_col_t kind;
    char *key; /* a stable name for the column (machine use: data-col), owned */
} dash_tcol_t;

typedef struct {
    char *id;    /* owned */
    char *title; /* owned */
    char *note;  /* a sentence under the table; owned, NULL: none */
    size_t n_cols;
    dash_tcol_t *cols;
    size_t n_rows, cap_rows;
    dash_trow_t *rows;
    bool failed; /* memory ran out while filling: the table is incomplete */
} dash_table_t;

/* A new table with `n_cols` columns (headers set with dash_table_col). NULL when memory
   ran out. */
dash_table_t *
dash_table_new(const char *id, const char *title, size_t n_cols);

/* Accepts NULL; sets *self_p to NULL. */
void
dash_table_destroy(dash_table_t **self_p);

/* Sets column `i`. */
void
dash_table_col(dash_table_t *self, size_t i, const char *key, const char *header, dash_col_t kind);

/* Sets the note under the table. */
void
dash_table_note(dash_table_t *self, const char *note);

/* Appends a row of empty cells and returns its index ((size_t)-1 when memory ran out:
   the setters below ignore that index). */
size_t
dash_table_row(dash_table_t *self);

void
dash_table_text(dash_table_t *self, size_t row, size_t col, const char *text);
void
dash_table_link(dash_table_t *self, size_t row, size_t col, const char *text, const char *href);
void
dash_table_num(dash_table_t *self, size_t row, size_t col, int64_t n);
void
dash_table_ratio(dash_table_t *self, size_t row, size_t col, int64_t n, int64_t base);
void
dash_table_mark(dash_table_t *self, size_t row, bool total, const char *css, const char *id);

/* A change in per mille, rounded half away from zero: (n - base) * 1000 / base. Returns
   false when there is no base (base 0). */
bool
dash_table_change_permille(int64_t n, int64_t base, int64_t *permille);

/* A share in per mille: n * 1000 / base. Returns false when base is 0. */
bool
dash_table_share_permille(int64_t n, int64_t base, int64_t *permille);

/* A list of tables, as a page builds them. */
typedef struct {
    dash_table_t **items;
    size_t count;
    bool failed;
} dash_tables_t;

void
dash_tables_add(dash_tables_t *self, dash_table_t *table);

/* The table with `id`, or NULL. */
dash_table_t *
dash_tables_find(const dash_tables_t *self, const char *id);

void
dash_tables_free(dash_tables_t *self);

#endif
