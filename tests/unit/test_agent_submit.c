/*  test_agent_submit: files of reports into the outbox (clients/agent_submit), as a
    liaison hands them over.

    One JSON object, a JSON array, JSON Lines, pretty-printed objects with notes, CSV in
    UTF-8, UTF-8 with a byte order mark, GBK and UTF-16; a report with three mistakes
    (all three said at once, each with file, line, field and hint); a syntax error that
    stops its file with one message; the rejected table kept per file. Each test runs
    over an outbox of its own in a fresh directory.
*/
#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent_outbox.h"
#include "agent_submit.h"
#include "agent_template.h"
#include "dajia.pb-c.h"
#include "test_util.h"

#define S_MAX_MESSAGES 32

typedef struct {
    char dir[TEST_UTIL_DIR_MAX];
    agent_outbox_t *outbox;
    agent_submit_t *submit;
    int count;
    char messages[S_MAX_MESSAGES][1024];
} fixture_t;

static void
s_on_problem(const char *message, void *arg)
{
    fixture_t *fx = arg;
    if (fx->count < S_MAX_MESSAGES)
        snprintf(fx->messages[fx->count], sizeof fx->messages[0], "%s", message);
    fx->count++;
}

static int
s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx || test_util_dir_make(fx->dir, sizeof fx->dir, "submit") != 0 ||
        agent_outbox_open(fx->dir, &fx->outbox) != 0 ||
        agent_submit_new(fx->outbox, "msa", s_on_problem, fx, &fx->submit) != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    agent_submit_destroy(&fx->submit);
    agent_outbox_destroy(&fx->outbox);
    int rc = test_util_dir_remove(fx->dir);
    free(fx);
    return rc == 0 ? 0 : -1;
}

/* Submits `len` bytes named `name` and flushes; returns the counts after. */
static agent_submit_counts_t
s_submit(fixture_t *fx, const char *name, const char *data, size_t len)
{
    fx->count = 0;
    assert_ok(agent_submit_text(fx->submit, name, data, len));
    assert_ok(agent_submit_flush(fx->submit));
    agent_submit_counts_t counts;
    agent_submit_counts(fx->submit, &counts);
    return counts;
}

static uint64_t
s_rejected(fixture_t *fx)
{
    uint64_t rejected = 99;
    assert_ok(agent_outbox_counts(fx->outbox, NULL, &rejected));
    return rejected;
}

static uint64_t
s_waiting(fixture_t *fx)
{
    uint64_t waiting = 99;
    assert_ok(agent_outbox_counts(fx->outbox, &waiting, NULL));
    return waiting;
}

#define assert_said(fx, i, words)                                                                  \
    do {                                                                                           \
        if ((i) >= (fx)->count || !strstr((fx)->messages[i], (words)))                             \
            fail_msg("message %d is \"%s\", not about \"%s\"", (int)(i),                           \
                     (i) < (fx)->count ? (fx)->messages[i] : "(none)", (words));                   \
    } while (0)

#define S_CASE(no, day)                                                                            \
    "{\"occurred_at\":\"2026-11-" day "\",\"case_report\":{\"case_no\":\"" no "\","                \
    "\"category\":\"trademark_counterfeiting\",\"stage\":\"filed\"}}"

static void
test_json_array_of_two(void **state)
{
    fixture_t *fx = *state;
    const char *text = "[\n  " S_CASE("A-1", "03") ",\n  " S_CASE("A-2", "04") "\n]\n";
    agent_submit_counts_t c = s_submit(fx, "two.json", text, strlen(text));
    if (fx->count)
        fail_msg("%s", fx->messages[0]);
    assert_int_equal(c.read, 2);
    assert_int_equal(c.queued, 2);
    assert_int_equal(c.rejected, 0);
    /* The same reports as JSON Lines make the same ids: nothing new. */
    const char *lines = S_CASE("A-1", "03") "\n" S_CASE("A-2", "04") "\n";
    c = s_submit(fx, "two.jsonl", lines, strlen(lines));
    assert_int_equal(c.queued, 2);
    assert_int_equal(c.waiting, 2);
    assert_int_equal(s_waiting(fx), 2);
}

static void
test_three_mistakes_said_at_once(void **state)
{
    fixture_t *fx = *state;
    const char *text = "{\n"
                       "  \"occurred_at\": \"2026-11-03T09:30:00+08:00\",\n"
                       "  \"case_report\": {\n"
                       "    \"case_no\": \"信市监处罚〔2026〕118号\",\n"
                       "    \"category\": \"geographical_indication\",\n"
                       "    \"case_value\": 8640000,\n"
                       "    \"fines_confiscations_fen\": \"86400.00\"\n"
                       "  }\n"
                       "}\n";
    agent_submit_counts_t c = s_submit(fx, "case.json", text, strlen(text));
    assert_int_equal(fx->count, 3);
    assert_said(fx, 0,
                "case.json:6:5: unknown key \"case_value\" in CaseReport at case_report; did you "
                "mean `case_value_fen`?");
    assert_said(fx, 1,
                "case.json:7:5: case_report.fines_confiscations_fen: \"86400.00\" is not a whole "
                "number of fen");
    assert_said(fx, 1, "86,400.00 yuan is 8640000 fen");
    assert_said(fx, 2, "case.json:1: missing_field: case_report.stage is missing");
    assert_int_equal(c.read, 1);
    assert_int_equal(c.rejected, 1);
    assert_int_equal(c.mistakes, 3);
    assert_int_equal(c.by_reason[DAJIA__REASON__REASON_MALFORMED], 1);
    assert_int_equal(s_rejected(fx), 1);
    assert_int_equal(s_waiting(fx), 0);
}

static void
test_syntax_error_stops_the_file_with_one_message(void **state)
{
    fixture_t *fx = *state;
    /* A missing comma between the items of an array. */
    const char *array = "[\n  " S_CASE("B-1", "03") "\n  " S_CASE("B-2", "04") "\n]\n";
    agent_submit_counts_t c = s_submit(fx, "array.json", array, strlen(array));
    assert_int_equal(fx->count, 1);
    assert_said(fx, 0, "array.json:3:3: ");
    assert_said(fx, 0, "nothing of this file was queued");
    assert_int_equal(c.queued, 0);
    assert_int_equal(c.rejected, 1);

    /* Pretty-printed objects, the second without its closing brace. */
    const char *objects = "{\n  \"occurred_at\": \"2026-11-03\",\n  \"case_report\": {\"case_no\": "
                          "\"C-1\", \"category\": \"other\", \"stage\": \"clue\"}\n}\n"
                          "{\n  \"occurred_at\": \"2026-11-04\",\n  \"case_report\": {\n"
                          "{\n  \"occurred_at\": \"2026-11-05\"\n}\n";
    c = s_submit(fx, "objects.json", objects, strlen(objects));
    assert_int_equal(fx->count, 1);
    assert_said(fx, 0, "objects.json:");
    assert_int_equal(s_waiting(fx), 0);

    /* In JSON Lines a broken line costs that line only. */
    const char *lines = S_CASE("D-1", "03") "\n{\"occurred_at\":\n" S_CASE("D-2", "04") "\n";
    c = s_submit(fx, "lines.jsonl", lines, strlen(lines));
    assert_int_equal(fx->count, 1);
    assert_said(fx, 0, "lines.jsonl:2:");
    assert_int_equal(s_waiting(fx), 2);
}

static void
test_notes_are_skipped_and_templates_submit_clean(void **state)
{
    fixture_t *fx = *state;
    static const char *const types[] = {"case_report",  "major_matter", "matter_progress",
                                        "dynamic_info", "csv",          "csv_en"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        assert_non_null(out);
        assert_int_equal(agent_template_print(out, types[i]), 0);
        assert_int_equal(fclose(out), 0);
        char name[64];
        snprintf(name, sizeof name, "template-%s", types[i]);
        agent_submit_counts_t before;
        agent_submit_counts(fx->submit, &before);
        agent_submit_counts_t c = s_submit(fx, name, text, len);
        if (fx->count)
            fail_msg("template %s: %s", types[i], fx->messages[0]);
        assert_int_equal(c.read - before.read, 1);
        assert_int_equal(c.queued + c.waiting - before.queued - before.waiting, 1);
        free(text);
    }
    assert_int_equal(agent_template_print(stdout, "case"), -1);
    assert_string_equal(agent_template_near("case_reprot"), "case_report");
}

/* `text` converted to `to` with iconv, after `bom` (caller frees). */
static char *
s_encode(const char *to, const char *bom, const char *text, size_t *len)
{
    iconv_t cd = iconv_open(to, "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t in_left = strlen(text), cap = in_left * 4 + 8, out_left = cap;
    char *buf = malloc(cap + 4), *in = (char *)text, *out = buf + strlen(bom);
    assert_non_null(buf);
    memcpy(buf, bom, strlen(bom));
    assert_true(iconv(cd, &in, &in_left, &out, &out_left) != (size_t)-1);
    iconv_close(cd);
    *len = strlen(bom) + cap - out_left;
    return buf;
}

static void
test_csv_in_every_encoding_is_the_same_report(void **state)
{
    fixture_t *fx = *state;
    const char *csv = "案件编号,案件类别,办理阶段,案值（元）,立案日期,涉案商品类别\n"
                      "信市监处罚〔2026〕118号,地理标志,立案,\"86,400.00\",2026/10/22,茶叶\n";
    agent_submit_counts_t c = s_submit(fx, "utf8.csv", csv, strlen(csv));
    if (fx->count)
        fail_msg("%s", fx->messages[0]);
    assert_int_equal(c.queued, 1);
    static const struct {
        const char *to, *bom, *name;
    } forms[] = {
        {"UTF-8", "\xEF\xBB\xBF", "bom.csv"},
        {"GBK", "", "gbk.csv"},
        {"UTF-16LE", "\xFF\xFE", "utf16le.txt"},
        {"UTF-16BE", "\xFE\xFF", "utf16be.txt"},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        size_t len = 0;
        char *data = s_encode(forms[i].to, forms[i].bom, csv, &len);
        agent_submit_counts_t before = c;
        c = s_submit(fx, forms[i].name, data, len);
        if (fx->count)
            fail_msg("%s: %s", forms[i].name, fx->messages[0]);
        /* Read as the same report: its derived id is waiting already. */
        assert_int_equal(c.read - before.read, 1);
        assert_int_equal(c.queued - before.queued, 0);
        assert_int_equal(c.waiting - before.waiting, 1);
        free(data);
    }
    assert_int_equal(s_waiting(fx), 1);
}

static void
test_csv_row_mistakes_said_with_column(void **state)
{
    fixture_t *fx = *state;
    const char *csv = "案件编号,案件类别,办理阶段,案值（元）\n"
                      "A-1,地理标志,立案,100\n"
                      "A-2,地理标誌,,8.6万\n";
    agent_submit_counts_t c = s_submit(fx, "cases.csv", csv, strlen(csv));
    assert_int_equal(fx->count, 5);
    /* No 发生日期 column and no date in the row: said with the column to add. */
    assert_said(fx, 0, "cases.csv:2: missing_field: occurred_at is missing");
    assert_said(fx, 0, "the file has no column 发生日期 for it");
    assert_said(fx, 1,
                "cases.csv:3: column 案件类别: \"地理标誌\" is not a value of CaseCategory; "
                "did you mean \"地理标志\"?");
    assert_said(fx, 2, "cases.csv:3: column 案值（元）: \"8.6万\" is not an amount in yuan");
    assert_said(fx, 3, "cases.csv:3: missing_field: occurred_at is missing");
    assert_said(fx, 4, "cases.csv:3: column 办理阶段: missing_field: case_report.stage is missing");
    assert_int_equal(c.rejected, 2);
    assert_int_equal(c.mistakes, 5);
}

static void
test_a_file_submitted_again_replaces_its_rejections(void **state)
{
    fixture_t *fx = *state;
    const char *bad = "{\"occurred_at\":\"2026-11-03\",\"case_report\":{\"case_no\":\"E-1\"}}\n"
                      "{\"unit\":\"psb\"," S_CASE("E-2", "03") "\n";
    const char *other = "{\"occurred_at\":\"2026-11-03\",\"case_report\":{\"case_no\":\"F-1\"}}\n"
                        "{\"unit\":\"psb\"," S_CASE("F-2", "03") "\n";
    s_submit(fx, "mixed.jsonl", bad, strlen(bad));
    assert_int_equal(s_rejected(fx), 2);
    s_submit(fx, "other.jsonl", other, strlen(other));
    assert_int_equal(s_rejected(fx), 4);
    /* Fixed: mixed.jsonl's entries go; other.jsonl's stay. */
    const char *good = S_CASE("E-1", "03") "\n";
    s_submit(fx, "mixed.jsonl", good, strlen(good));
    assert_int_equal(s_rejected(fx), 2);
    assert_int_equal(s_waiting(fx), 1);
}

static void
test_unreadable_files_refused_by_name(void **state)
{
    fixture_t *fx = *state;
    agent_submit_counts_t c = s_submit(fx, "cases.xlsx", "PK\x03\x04\x14\x00", 6);
    assert_int_equal(fx->count, 1);
    assert_said(fx, 0, "cases.xlsx: is a zip archive, most likely an Excel workbook (.xlsx)");
    assert_int_equal(c.rejected, 1);
    const char *text = "just some words\n";
    s_submit(fx, "notes.json", text, strlen(text));
    assert_said(fx, 0, "notes.json:1:1: expected '{' to start a report");
}

/* The examples of docs/fields.md, submitted as a liaison would copy them: each complete
   report (a block that starts with an object, an array or a header row) is taken
   without a mistake. */
static void
test_field_reference_examples_submit_clean(void **state)
{
    fixture_t *fx = *state;
    char path[4096];
    const char *slash = strrchr(__FILE__, '/');
    int dir = slash ? (int)(slash - __FILE__) : 0;
    snprintf(path, sizeof path, "%.*s%s../../docs/fields.md", dir, __FILE__, slash ? "/" : "");
    FILE *file = fopen(path, "r");
    if (!file)
        fail_msg("cannot open %s", path);
    static char doc[256 * 1024];
    size_t len = fread(doc, 1, sizeof doc - 1, file);
    fclose(file);
    doc[len] = '\0';
    int blocks = 0;
    for (char *at = doc; (at = strstr(at, "```")) != NULL;) {
        char *body = strchr(at, '\n');
        assert_non_null(body);
        bool json = strncmp(at, "```json\n", 8) == 0, csv = strncmp(at, "```csv\n", 7) == 0;
        char *end = strstr(body + 1, "```");
        assert_non_null(end);
        at = end + 3;
        if ((!json && !csv) || (json && body[1] != '{' && body[1] != '['))
            continue;
        char name[32];
        snprintf(name, sizeof name, "fields-md-%d.%s", blocks++, csv ? "csv" : "json");
        agent_submit_counts_t before;
        agent_submit_counts(fx->submit, &before);
        agent_submit_counts_t c = s_submit(fx, name, body + 1, (size_t)(end - body - 1));
        if (fx->count)
            fail_msg("docs/fields.md example %d: %s", blocks, fx->messages[0]);
        assert_true(c.read > before.read);
        assert_int_equal(c.rejected, before.rejected);
    }
    assert_true(blocks >= 5);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
        T(test_json_array_of_two),
        T(test_three_mistakes_said_at_once),
        T(test_syntax_error_stops_the_file_with_one_message),
        T(test_notes_are_skipped_and_templates_submit_clean),
        T(test_csv_in_every_encoding_is_the_same_report),
        T(test_csv_row_mistakes_said_with_column),
        T(test_a_file_submitted_again_replaces_its_rejections),
        T(test_unreadable_files_refused_by_name),
        T(test_field_reference_examples_submit_clean),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
