/*  agent_csv: case reports from a spreadsheet saved as CSV, one row per case report.

    The first row names the columns, in Chinese or English (docs/fields.md, "CSV"):
    案件编号 or case_no, 案件类别 or category, 案值（元） or case_value_yuan, ... Columns
    may come in any order; a column whose name starts with # (and 序号, 备注) is skipped.
    Money columns say their unit in their name: 元 / _yuan (86,400.00), 万元 / _wan
    (8.64) or 分 / _fen (8640000). Cells hold what a person writes: values by their
    Chinese label or English name (地理标志 or geographical_indication), yes/no as 是/否,
    dates as 2026-11-03, 2026/11/3, 2026年11月3日 or an Excel day number, with an
    optional time (Beijing time), lists separated by 、 ; ， or |, units and regions by
    code or name (市市场监管局, 浉河区). An empty cell leaves the field unset. Without
    an 发生日期 (occurred_at) column, or with the cell empty, a row's latest date stands
    for when its change happened.

    The reader turns each row into the JSON of an Envelope holding a case_report, which
    the agent then reads like any other JSON report, so that every check, derived id and
    message is the same. Mistakes in cells are passed to the problem callback naming
    the row's line and the column; a row with such mistakes still yields the JSON of
    what was right, so the caller can report every mistake of the row at once.

    Delimiter: a comma, or a tab or semicolon when the header row holds more of those
    (Excel's "Unicode text" is tab-separated). Quoting as RFC 4180: a cell in double
    quotes may hold the delimiter, line breaks and "" for a quote.
*/
#ifndef AGENT_CSV_H
#define AGENT_CSV_H

#include <stdbool.h>
#include <stddef.h>

typedef struct agent_csv_t agent_csv_t;

/* One mistake: the line of its row (1: the header), the field of the column at fault
   ("case_report.stage"; "" for the header or the row as a whole) and a sentence that
   names the column. */
typedef void(agent_csv_problem_fn)(long line, const char *field, const char *message, void *arg);

/* Does `text` look like a CSV file of case reports: does its first line name at least
   one column the reader knows? */
bool
agent_csv_sniff(const char *text, size_t len);

/* Reads the header of `text` (`len` bytes of UTF-8, borrowed: it must outlive the
   reader). Returns 0 and sets *out (destroy with agent_csv_destroy); -ENOMEM; or -1
   after passing each problem of the header to `problem` (a column it does not know, a
   money column without its unit, a column given twice, a required column missing): no
   row can be read then. */
int
agent_csv_open(const char *text, size_t len, agent_csv_problem_fn *problem, void *arg,
               agent_csv_t **out);

/* Frees the reader; accepts NULL and sets *self_p to NULL. */
void
agent_csv_destroy(agent_csv_t **self_p);

/* The next row that holds anything. Returns 1 and sets *json (the Envelope as JSON text,
   the caller frees it), *line (where the row starts) and *problems (how many mistakes of
   its cells were passed to the problem callback); 0 after the last row; -ENOMEM. */
int
agent_csv_next(agent_csv_t *self, char **json, long *line, int *problems);

/* The header cell of the column that fills `field` (a field path as the JSON mapper and
   the checks name it: "occurred_at", "case_report.stage", "case_report.goods[1]"), or
   NULL when no column does. Borrowed from the reader. */
const char *
agent_csv_column_of(const agent_csv_t *self, const char *field);

/* The Chinese header of the column for `field` ("occurred_at" -> "发生日期"), for a
   message about a column the file does not have, or NULL. Static. */
const char *
agent_csv_column_name(const char *field);

/* One column the reader knows, for the field reference and `dajia-agent template csv`. */
typedef struct {
    const char *field;   /* "case_report.case_value_fen", "occurred_at" */
    const char *zh;      /* "案值（元）": the Chinese header, with the unit for money */
    const char *en;      /* "case_value_yuan": the English header */
    const char *aliases; /* other Chinese headers taken, "|"-separated; "" if none */
    const char *example; /* a cell of the example row; "" to leave it empty */
    bool required;       /* the header must have it */
} agent_csv_column_t;

/* Every column, in the order of a template's header. Sets *count. Static. */
const agent_csv_column_t *
agent_csv_columns(size_t *count);

/* A header-only CSV file with one example row, in Chinese (`chinese`) or English
   column names, as `dajia-agent template csv` prints it. Returns a string the caller
   frees, or NULL when memory ran out. */
char *
agent_csv_template(bool chinese);

#endif
