/*  dash_csv: tables as CSV (see dash_csv.h). */
#include "dash_csv.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define S_FEN_PER_WAN 1000000

const char *
dash_csv_number(const dash_table_t *t, size_t row, size_t col, char *buf, size_t size)
{
    const dash_cell_t *cell = &t->rows[row].cells[col];
    int64_t pm;
    uint64_t mag;
    switch (t->cols[col].kind) {
    case DASH_COL_COUNT:
        snprintf(buf, size, "%" PRId64, cell->n);
        break;
    case DASH_COL_FEN:
        mag = cell->n < 0 ? (uint64_t)0 - (uint64_t)cell->n : (uint64_t)cell->n;
        snprintf(buf, size, "%s%" PRIu64 ".%06" PRIu64, cell->n < 0 ? "-" : "", mag / S_FEN_PER_WAN,
                 mag % S_FEN_PER_WAN);
        break;
    case DASH_COL_CHANGE:
        if (dash_table_change_permille(cell->n, cell->base, &pm))
            snprintf(buf, size, "%s%" PRId64 ".%" PRId64, pm < 0 ? "-" : "",
                     (pm < 0 ? -pm : pm) / 10, (pm < 0 ? -pm : pm) % 10);
        else
            snprintf(buf, size, "%s", "");
        break;
    case DASH_COL_SHARE:
        if (dash_table_share_permille(cell->n, cell->base, &pm))
            snprintf(buf, size, "%" PRId64 ".%" PRId64, pm / 10, pm % 10);
        else
            snprintf(buf, size, "%s", "");
        break;
    default:
        snprintf(buf, size, "%s", cell->text ? cell->text : "");
        break;
    }
    return buf;
}

static void
s_text(dash_buf_t *out, const char *text)
{
    if (!text)
        text = "";
    bool formula = strchr("=+-@", text[0]) && text[0];
    bool quote = formula || strpbrk(text, ",\"\r\n") != NULL;
    if (!quote) {
        dash_buf_puts(out, text);
        return;
    }
    dash_buf_puts(out, "\"");
    if (formula)
        dash_buf_puts(out, "'");
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            dash_buf_puts(out, "\"\"");
        else
            dash_buf_add(out, p, 1);
    }
    dash_buf_puts(out, "\"");
}

void
dash_csv_write(dash_buf_t *out, const dash_table_t *t)
{
    dash_buf_puts(out, "\xEF\xBB\xBF");
    for (size_t c = 0; c < t->n_cols; c++) {
        if (c)
            dash_buf_puts(out, ",");
        s_text(out, t->cols[c].header);
    }
    dash_buf_puts(out, "\r\n");
    for (size_t r = 0; r < t->n_rows; r++) {
        for (size_t c = 0; c < t->n_cols; c++) {
            if (c)
                dash_buf_puts(out, ",");
            char num[64];
            if (t->cols[c].kind == DASH_COL_TEXT)
                s_text(out, t->rows[r].cells[c].text);
            else
                dash_buf_puts(out, dash_csv_number(t, r, c, num, sizeof num));
        }
        dash_buf_puts(out, "\r\n");
    }
}
