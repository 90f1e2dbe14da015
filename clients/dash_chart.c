/*  dash_chart: SVG charts of the dashboard's tables (see dash_chart.h).

    Sizes are in SVG user units; the SVG scales to its container (viewBox, width 100%),
    so one drawing fits a phone and a printed page.
*/
#include "dash_chart.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dash_labels.h"

#define S_WIDTH      720
#define S_LABEL_W    190
#define S_VALUE_W    90
#define S_BAR_H      18
#define S_BAR_GAP    6
#define S_TOP        28
#define S_LINE_H     240
#define S_PAD_LEFT   60
#define S_PAD_RIGHT  20
#define S_PAD_BOTTOM 36

const char *
dash_chart_cell_text(const dash_table_t *table, size_t row, size_t col, char *buf, size_t size)
{
    const dash_cell_t *cell = &table->rows[row].cells[col];
    int64_t pm;
    switch (table->cols[col].kind) {
    case DASH_COL_TEXT:
        snprintf(buf, size, "%s", cell->text ? cell->text : "");
        break;
    case DASH_COL_COUNT:
        dajia_label_number(cell->n, buf, size);
        break;
    case DASH_COL_FEN:
        dajia_label_money_wan(cell->n, buf, size);
        break;
    case DASH_COL_CHANGE:
        if (dash_table_change_permille(cell->n, cell->base, &pm))
            snprintf(buf, size, "%s%" PRId64 ".%" PRId64 "%%",
                     pm > 0   ? "+"
                     : pm < 0 ? "-"
                              : "",
                     (pm < 0 ? -pm : pm) / 10, (pm < 0 ? -pm : pm) % 10);
        else
            snprintf(buf, size, "—");
        break;
    case DASH_COL_SHARE:
        if (dash_table_share_permille(cell->n, cell->base, &pm))
            snprintf(buf, size, "%" PRId64 ".%" PRId64 "%%", pm / 10, pm % 10);
        else
            snprintf(buf, size, "—");
        break;
    }
    return buf;
}

typedef struct {
    size_t row;
    int64_t v;
} s_bar_t;

static int
s_bar_cmp(const void *a, const void *b)
{
    const s_bar_t *x = a, *y = b;
    if (x->v != y->v)
        return x->v > y->v ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

void
dash_chart_bars(dash_buf_t *out, const dash_table_t *table, size_t label_col, size_t col,
                size_t max, const char *title)
{
    s_bar_t *bars = calloc(table->n_rows ? table->n_rows : 1, sizeof *bars);
    if (!bars) {
        out->failed = true;
        return;
    }
    size_t n = 0;
    int64_t top = 0;
    for (size_t r = 0; r < table->n_rows; r++) {
        if (table->rows[r].total)
            continue;
        int64_t v = table->rows[r].cells[col].n;
        if (v <= 0)
            continue;
        bars[n].row = r;
        bars[n++].v = v;
        if (v > top)
            top = v;
    }
    qsort(bars, n, sizeof *bars, s_bar_cmp);
    if (max && n > max)
        n = max;
    int height = S_TOP + (int)n * (S_BAR_H + S_BAR_GAP) + 8;
    dash_buf_printf(out,
                    "<figure class=\"chart\"><svg role=\"img\" viewBox=\"0 0 %d %d\" "
                    "width=\"100%%\" xmlns=\"http://www.w3.org/2000/svg\"><title>",
                    S_WIDTH, height);
    dash_buf_html(out, title);
    dash_buf_puts(out, "</title><text class=\"chart-title\" x=\"0\" y=\"16\">");
    dash_buf_html(out, title);
    dash_buf_puts(out, "</text>");
    int span = S_WIDTH - S_LABEL_W - S_VALUE_W;
    for (size_t i = 0; i < n; i++) {
        char label[256], value[DAJIA_LABEL_TEXT_MAX];
        dash_chart_cell_text(table, bars[i].row, label_col, label, sizeof label);
        dash_chart_cell_text(table, bars[i].row, col, value, sizeof value);
        int y = S_TOP + (int)i * (S_BAR_H + S_BAR_GAP);
        int w = top ? (int)((long double)bars[i].v * span / top) : 0;
        if (w < 1)
            w = 1;
        dash_buf_printf(out, "<text class=\"chart-label\" x=\"%d\" y=\"%d\" text-anchor=\"end\">",
                        S_LABEL_W - 8, y + S_BAR_H - 5);
        dash_buf_html(out, label);
        dash_buf_printf(out,
                        "</text><rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                        "fill=\"#b3261e\"><title>",
                        S_LABEL_W, y, w, S_BAR_H);
        dash_buf_html(out, label);
        dash_buf_puts(out, ": ");
        dash_buf_html(out, value);
        dash_buf_printf(out, "</title></rect><text class=\"chart-value\" x=\"%d\" y=\"%d\">",
                        S_LABEL_W + w + 6, y + S_BAR_H - 5);
        dash_buf_html(out, value);
        dash_buf_puts(out, "</text>");
    }
    if (n == 0)
        dash_buf_printf(out, "<text class=\"chart-label\" x=\"0\" y=\"%d\">—</text>", S_TOP + 12);
    dash_buf_puts(out, "</svg></figure>\n");
    free(bars);
}

void
dash_chart_line(dash_buf_t *out, const dash_table_t *table, size_t label_col, size_t col,
                const char *title)
{
    size_t n = table->n_rows;
    int64_t top = 0;
    for (size_t r = 0; r < n; r++)
        if (table->rows[r].cells[col].n > top)
            top = table->rows[r].cells[col].n;
    /* A round top for the axis: 1, 2 or 5 times a power of ten. */
    int64_t axis = 1;
    for (int64_t p = 1;; p *= 10) {
        if (p >= top) {
            axis = p;
            break;
        }
        if (2 * p >= top) {
            axis = 2 * p;
            break;
        }
        if (5 * p >= top) {
            axis = 5 * p;
            break;
        }
    }
    int w = S_WIDTH - S_PAD_LEFT - S_PAD_RIGHT;
    int h = S_LINE_H - S_TOP - S_PAD_BOTTOM;
    dash_buf_printf(out,
                    "<figure class=\"chart\"><svg role=\"img\" viewBox=\"0 0 %d %d\" "
                    "width=\"100%%\" xmlns=\"http://www.w3.org/2000/svg\"><title>",
                    S_WIDTH, S_LINE_H);
    dash_buf_html(out, title);
    dash_buf_puts(out, "</title><text class=\"chart-title\" x=\"0\" y=\"16\">");
    dash_buf_html(out, title);
    dash_buf_puts(out, "</text>");
    /* Axes and three grid lines with their values. */
    for (int g = 0; g <= 2; g++) {
        int y = S_TOP + h - g * h / 2;
        char v[DAJIA_LABEL_TEXT_MAX];
        int64_t gv = axis * g / 2;
        if (table->cols[col].kind == DASH_COL_FEN)
            dajia_label_money_wan(gv, v, sizeof v);
        else
            dajia_label_number(gv, v, sizeof v);
        dash_buf_printf(out,
                        "<line class=\"grid\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                        "stroke=\"#ccc\"/><text class=\"chart-label\" x=\"%d\" y=\"%d\" "
                        "text-anchor=\"end\">%s</text>",
                        S_PAD_LEFT, y, S_PAD_LEFT + w, y, S_PAD_LEFT - 6, y + 4, v);
    }
    if (n > 0) {
        dash_buf_puts(out, "<polyline class=\"line\" fill=\"none\" stroke=\"#b3261e\" "
                           "stroke-width=\"2\" points=\"");
        for (size_t r = 0; r < n; r++) {
            int x = S_PAD_LEFT + (n > 1 ? (int)(r * (size_t)w / (n - 1)) : w / 2);
            int y = S_TOP + h - (int)((long double)table->rows[r].cells[col].n * h / axis);
            dash_buf_printf(out, "%s%d,%d", r ? " " : "", x, y);
        }
        dash_buf_puts(out, "\"/>");
        for (size_t r = 0; r < n; r++) {
            int x = S_PAD_LEFT + (n > 1 ? (int)(r * (size_t)w / (n - 1)) : w / 2);
            int y = S_TOP + h - (int)((long double)table->rows[r].cells[col].n * h / axis);
            char label[64], value[DAJIA_LABEL_TEXT_MAX];
            dash_chart_cell_text(table, r, label_col, label, sizeof label);
            dash_chart_cell_text(table, r, col, value, sizeof value);
            dash_buf_printf(out, "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"#b3261e\"><title>", x,
                            y);
            dash_buf_html(out, label);
            dash_buf_puts(out, ": ");
            dash_buf_html(out, value);
            /* The month's number under its point: "11" of "2026-11". */
            const char *month = strlen(label) == 7 ? label + 5 : label;
            dash_buf_printf(out,
                            "</title></circle><text class=\"chart-label\" x=\"%d\" y=\"%d\" "
                            "text-anchor=\"middle\">",
                            x, S_TOP + h + 18);
            dash_buf_html(out, month);
            dash_buf_puts(out, "</text>");
        }
    }
    dash_buf_puts(out, "</svg></figure>\n");
}
