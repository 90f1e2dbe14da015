/*  dash_xlsx: tables as XLSX workbooks (see dash_xlsx.h). */
#include "dash_xlsx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsxwriter.h>

#define S_FEN_PER_WAN 1000000.0
#define S_HEAD_ROW    2

static int
s_read_file(const char *path, dash_buf_t *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -EIO;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        dash_buf_add(out, chunk, n);
    int rc = ferror(f) ? -EIO : out->failed ? -ENOMEM : 0;
    fclose(f);
    return rc;
}

int
dash_xlsx_write(dash_buf_t *out, const dash_table_t *t, const char *tmpdir)
{
    if (!tmpdir)
        tmpdir = getenv("TMPDIR");
    if (!tmpdir || !*tmpdir)
        tmpdir = "/tmp";
    char path[4096];
    snprintf(path, sizeof path, "%s/dajia-dash-XXXXXX", tmpdir);
    int fd = mkstemp(path);
    if (fd < 0)
        return -EIO;
    close(fd);
    int rc = -EIO;
    lxw_workbook_options options = {
        .constant_memory = LXW_FALSE, .tmpdir = (char *)tmpdir, .use_zip64 = LXW_FALSE};
    lxw_workbook *wb = workbook_new_opt(path, &options);
    if (!wb)
        goto out;
    lxw_worksheet *ws = workbook_add_worksheet(wb, t->id);
    lxw_format *bold = workbook_add_format(wb);
    lxw_format *head = workbook_add_format(wb);
    lxw_format *count = workbook_add_format(wb);
    lxw_format *money = workbook_add_format(wb);
    lxw_format *pct = workbook_add_format(wb);
    lxw_format *count_b = workbook_add_format(wb);
    lxw_format *money_b = workbook_add_format(wb);
    lxw_format *pct_b = workbook_add_format(wb);
    if (!ws || !bold || !head || !count || !money || !pct || !count_b || !money_b || !pct_b) {
        workbook_close(wb);
        goto out;
    }
    format_set_bold(bold);
    format_set_bold(head);
    format_set_bottom(head, LXW_BORDER_THIN);
    format_set_text_wrap(head);
    format_set_num_format(count, "#,##0");
    format_set_num_format(money, "#,##0.00");
    format_set_num_format(pct, "0.0%");
    format_set_num_format(count_b, "#,##0");
    format_set_num_format(money_b, "#,##0.00");
    format_set_num_format(pct_b, "0.0%");
    format_set_bold(count_b);
    format_set_bold(money_b);
    format_set_bold(pct_b);
    worksheet_write_string(ws, 0, 0, t->title, bold);
    for (size_t c = 0; c < t->n_cols; c++) {
        worksheet_write_string(ws, S_HEAD_ROW, (lxw_col_t)c, t->cols[c].header, head);
        worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, c == 0 ? 24 : 14, NULL);
    }
    worksheet_freeze_panes(ws, S_HEAD_ROW + 1, 1);
    for (size_t r = 0; r < t->n_rows; r++) {
        lxw_row_t row = (lxw_row_t)(S_HEAD_ROW + 1 + r);
        bool total = t->rows[r].total;
        for (size_t c = 0; c < t->n_cols; c++) {
            const dash_cell_t *cell = &t->rows[r].cells[c];
            lxw_col_t col = (lxw_col_t)c;
            int64_t pm;
            switch (t->cols[c].kind) {
            case DASH_COL_TEXT:
                worksheet_write_string(ws, row, col, cell->text ? cell->text : "",
                                       total ? bold : NULL);
                break;
            case DASH_COL_COUNT:
                worksheet_write_number(ws, row, col, (double)cell->n, total ? count_b : count);
                break;
            case DASH_COL_FEN:
                worksheet_write_number(ws, row, col, (double)cell->n / S_FEN_PER_WAN,
                                       total ? money_b : money);
                break;
            case DASH_COL_CHANGE:
                if (dash_table_change_permille(cell->n, cell->base, &pm))
                    worksheet_write_number(ws, row, col, (double)pm / 1000.0, total ? pct_b : pct);
                break;
            case DASH_COL_SHARE:
                if (dash_table_share_permille(cell->n, cell->base, &pm))
                    worksheet_write_number(ws, row, col, (double)pm / 1000.0, total ? pct_b : pct);
                break;
            }
        }
    }
    if (t->note)
        worksheet_write_string(ws, (lxw_row_t)(S_HEAD_ROW + 2 + t->n_rows), 0, t->note, NULL);
    if (workbook_close(wb) != LXW_NO_ERROR)
        goto out;
    rc = s_read_file(path, out);
out:
    unlink(path);
    return rc;
}
