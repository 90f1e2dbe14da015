/*  dash_xlsx: one table as an XLSX workbook (libxlsxwriter), for a spreadsheet.

    One worksheet named after the table's id: the title in the first row, the column
    headers in the third (frozen), then the rows, the total row in bold. Cells are
    numbers where the page shows numbers, formatted as the page shows them: counts with
    separators, money in 万元 (the cell's value is exact: fen / 1,000,000) with two
    decimals, changes and shares as percentages with one decimal.

    libxlsxwriter writes to a file: the workbook is written to a temporary file in
    `tmpdir` (NULL: $TMPDIR or /tmp), read back and removed.
*/
#ifndef DASH_XLSX_H
#define DASH_XLSX_H

#include "dash_buf.h"
#include "dash_table.h"

/* Appends the workbook's bytes to `out`. Returns 0, -ENOMEM, or -EIO (the temporary file
   could not be written or read). */
int
dash_xlsx_write(dash_buf_t *out, const dash_table_t *table, const char *tmpdir);

#endif
