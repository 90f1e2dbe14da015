/*  dash_csv: one table as CSV (RFC 4180), for a spreadsheet.

    UTF-8 with a byte-order mark (so that a spreadsheet opening it by double click reads
    the Chinese as Chinese), CRLF line ends, the column headers first, then every row,
    the total row included. Numbers are written without separators: counts as integers,
    money in 万元 with six decimals (exact to the fen, so that sums agree with the page's
    totals to the cent), changes and shares in per cent with one decimal (empty without
    a base). Text is quoted when it holds a comma, a quote or a line break, and a cell
    that a spreadsheet would take for a formula (=, +, -, @ first) gets a leading '.
*/
#ifndef DASH_CSV_H
#define DASH_CSV_H

#include "dash_buf.h"
#include "dash_table.h"

void
dash_csv_write(dash_buf_t *out, const dash_table_t *table);

/* The number of a cell as the CSV writes it (no separators), into `buf`. */
const char *
dash_csv_number(const dash_table_t *table, size_t row, size_t col, char *buf, size_t size);

#endif
