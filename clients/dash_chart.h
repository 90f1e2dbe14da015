/*  dash_chart: the figures page's charts as inline SVG, drawn at the server from the same
    tables the page shows, so they need no JavaScript and no script library, and obey a
    Content-Security-Policy that allows no inline style (colours are presentation
    attributes and classes of the stylesheet).

    bars    one horizontal bar per row of a table (the total row left out), longest
            first: the cases filed by unit, the goods shares;
    line    one point per row, in the table's order: the 12-month trend.

    Each draws from column `col` of `table`, with the row's label from column `label_col`.
*/
#ifndef DASH_CHART_H
#define DASH_CHART_H

#include <stddef.h>

#include "dash_buf.h"
#include "dash_table.h"

/* At most `max` bars (0: all), each labelled with its value as the table shows it. */
void
dash_chart_bars(dash_buf_t *out, const dash_table_t *table, size_t label_col, size_t col,
                size_t max, const char *title);

void
dash_chart_line(dash_buf_t *out, const dash_table_t *table, size_t label_col, size_t col,
                const char *title);

/* A cell as a person reads it, into `buf`: a count with separators, money in 万元, a
   change or share in per cent ("+12.5%", "—" without a base), text as it is. */
const char *
dash_chart_cell_text(const dash_table_t *table, size_t row, size_t col, char *buf, size_t size);

#endif
