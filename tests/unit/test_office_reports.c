/*  test_office_reports: what `dajia-office compliance`, `figures` and `bulletin
    --revisions` fold from the feed and print (clients/office_compliance, office_figures,
    office_revisions). Times are Beijing wall-clock times; expectations worked by hand.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dajia_time.h"
#include "office_compliance.h"
#include "office_figures.h"
#include "office_format.h"
#include "office_revisions.h"

static int64_t
s_bj(int64_t year, int month, int day, int hour, int minute)
{
    dajia_time_civil_t c = {year, month, day, hour, minute, 0, 0};
    return dajia_time_from_civil(&c, DAJIA_TIME_BEIJING_MIN);
}

/* What `fn` printed, in a buffer the caller frees. */
typedef struct {
    char *text;
    size_t len;
    FILE *out;
} s_capture_t;

static void
s_capture_open(s_capture_t *c)
{
    c->out = open_memstream(&c->text, &c->len);
    assert_non_null(c->out);
}

static const char *
s_capture_close(s_capture_t *c)
{
    fclose(c->out);
    return c->text;
}

static void
s_expect(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("no \"%s\" in:\n%s", want, text);
}

// ================================================================== compliance

static void
s_add_rows(office_compliance_t *fold, const char *period, int64_t deadline,
           const char *const (*rows)[3], size_t n)
{
    Dajia__UnitCompliance u[8];
    Dajia__UnitCompliance *p[8];
    for (size_t i = 0; i < n; i++) {
        dajia__unit_compliance__init(&u[i]);
        u[i].unit = (char *)rows[i][0];
        u[i].status = (char *)rows[i][1];
        u[i].late = strcmp(rows[i][2], "late") == 0;
        u[i].period = (char *)period;
        u[i].deadline_at = deadline;
        u[i].events = strcmp(rows[i][1], "pending") != 0 && strcmp(rows[i][1], "missing") != 0;
        u[i].first_report_at = u[i].events ? s_bj(2026, 10, 20, 10, 0) : 0;
        p[i] = &u[i];
    }
    Dajia__ComplianceUpdate update = DAJIA__COMPLIANCE_UPDATE__INIT;
    update.period = (char *)period;
    update.deadline_at = deadline;
    update.n_units = n;
    update.units = p;
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.item_case = DAJIA__FEED_ITEM__ITEM_COMPLIANCE;
    item.compliance = &update;
    assert_int_equal(office_compliance_add(fold, &item), 0);
}

static void
test_due_in_days(void **state)
{
    (void)state;
    /* October's reports are due by Nov 10 24:00 (the instant Nov 11 00:00) */
    int64_t d = s_bj(2026, 11, 11, 0, 0);
    assert_int_equal(office_compliance_due_in_days(d, s_bj(2026, 10, 31, 23, 59), 480), 10);
    assert_int_equal(office_compliance_due_in_days(d, s_bj(2026, 11, 1, 0, 0), 480), 9);
    assert_int_equal(office_compliance_due_in_days(d, s_bj(2026, 11, 5, 10, 0), 480), 5);
    assert_int_equal(office_compliance_due_in_days(d, s_bj(2026, 11, 10, 23, 59), 480), 0);
    assert_int_equal(office_compliance_due_in_days(d, d, 480), -1);
}

static void
test_compliance_fold_open_month_and_table(void **state)
{
    (void)state;
    office_compliance_t *fold = office_compliance_new();
    assert_non_null(fold);
    int64_t oct = s_bj(2026, 11, 11, 0, 0), nov = s_bj(2026, 12, 11, 0, 0);
    assert_null(office_compliance_open_period(fold, oct));
    /* October's table when it opened, then rows as the units reported */
    static const char *const opened[][3] = {{"psb", "pending", ""},
                                            {"customs", "pending", ""},
                                            {"tax", "pending", ""},
                                            {"court", "pending", ""}};
    s_add_rows(fold, "2026-10", oct, opened, 4);
    static const char *const later[][3] = {{"psb", "on_time", ""},
                                           {"customs", "zero_report", "late"}};
    s_add_rows(fold, "2026-10", oct, later, 2);
    s_add_rows(fold, "2026-11", nov, opened, 4);

    /* the open month: the earliest whose reports are still due */
    assert_string_equal(office_compliance_open_period(fold, s_bj(2026, 11, 5, 10, 0)), "2026-10");
    assert_string_equal(office_compliance_open_period(fold, oct), "2026-10");
    assert_string_equal(office_compliance_open_period(fold, oct + 1), "2026-11");
    assert_string_equal(office_compliance_open_period(fold, s_bj(2027, 1, 1, 0, 0)), "2026-11");

    const Dajia__UnitCompliance *const *rows = NULL;
    int64_t deadline = 0;
    int64_t now = s_bj(2026, 11, 5, 10, 0);
    size_t n = office_compliance_rows(fold, "2026-10", now, &rows, &deadline);
    assert_int_equal(n, 4);
    assert_int_equal(deadline, oct);
    assert_string_equal(rows[0]->unit, "psb"); /* the order of the first table */
    assert_string_equal(rows[0]->status, "on_time");
    assert_string_equal(rows[2]->status, "pending");
    s_capture_t cap;
    s_capture_open(&cap);
    assert_int_equal(
        office_compliance_print(cap.out, "2026-10", deadline, now, rows, n, DAJIA_LANG_ZH), 0);
    const char *text = s_capture_close(&cap);
    s_expect(text, "2026年10月信息报送情况（报送截止时间：2026年11月10日24时，还有5天截止）");
    s_expect(text, "| 市公安局 | 按时报送 | 2026年10月20日 10:00 | 1 |");
    s_expect(text, "| 信阳海关 | 零申报（逾期报送） |");
    s_expect(text, "| 市税务局 | 待报送（还有5天截止） | — | 0 |");
    s_expect(text, "按时报送1家，逾期报送0家，零申报1家，待报送2家，未报送0家。");
    free(cap.text);

    /* past the deadline a row still pending reads missing */
    n = office_compliance_rows(fold, "2026-10", oct + 1, &rows, &deadline);
    assert_string_equal(rows[2]->status, "missing");
    s_capture_open(&cap);
    assert_int_equal(
        office_compliance_print(cap.out, "2026-10", deadline, oct + 1, rows, n, DAJIA_LANG_EN), 0);
    text = s_capture_close(&cap);
    s_expect(text, "Reporting for October 2026 (due by 2026-11-10 24:00, closed)");
    s_expect(text, "| Tax Bureau | missing |");
    free(cap.text);
    assert_int_equal(office_compliance_rows(fold, "2026-08", now, &rows, &deadline), 0);
    office_compliance_destroy(&fold);
    office_compliance_destroy(&fold);
}

// ================================================================== figures

static void
s_add_update(office_figures_t *fold, const char *unit, const char *period, int goods, int64_t filed,
             int64_t value_fen)
{
    Dajia__Figures f = DAJIA__FIGURES__INIT;
    f.cases_filed = filed;
    f.case_value_fen = value_fen;
    Dajia__AggregateRow row = DAJIA__AGGREGATE_ROW__INIT;
    row.period = (char *)period;
    row.unit = (char *)unit;
    row.category = DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING;
    row.goods = (Dajia__GoodsCategory)goods;
    row.figures = &f;
    Dajia__AggregateRow *rows[1] = {&row};
    Dajia__AggregateUpdate update = DAJIA__AGGREGATE_UPDATE__INIT;
    update.n_rows = 1;
    update.rows = rows;
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.item_case = DAJIA__FEED_ITEM__ITEM_AGGREGATE;
    item.aggregate = &update;
    assert_int_equal(office_figures_add(fold, &item), 0);
}

static void
test_figures_fold_replaces_rows(void **state)
{
    (void)state;
    enum { FOOD = 1, TEA = 6 };
    office_figures_t *fold = office_figures_new();
    assert_non_null(fold);
    s_add_update(fold, "msa", "2026-10", TEA, 1, 1200000);
    s_add_update(fold, "psb", "2026-10", FOOD, 1, 500000);
    s_add_update(fold, "msa", "2026-10", TEA, 2, 2000000); /* replaces, not adds */
    s_add_update(fold, "tax", "2026-10", FOOD, 1, 100);
    s_add_update(fold, "tax", "2026-10", FOOD, 0, 0);  /* fell back to zero: not shown */
    s_add_update(fold, "msa", "2026-11", TEA, 5, 100); /* another month */
    const Dajia__AggregateRow *const *rows = NULL;
    size_t n = office_figures_rows(fold, "2026-10", NULL, &rows);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0]->unit, "psb"); /* the members' order: psb before msa */
    assert_string_equal(rows[1]->unit, "msa");
    assert_int_equal(rows[1]->figures->cases_filed, 2);
    assert_int_equal(rows[1]->figures->case_value_fen, 2000000);
    s_capture_t cap;
    s_capture_open(&cap);
    assert_int_equal(office_figures_print(cap.out, "2026-10", rows, n, DAJIA_LANG_ZH), 0);
    const char *text = s_capture_close(&cap);
    s_expect(text, "2026年10月案件数据（当前）");
    s_expect(text, "| 市市场监管局 | 假冒注册商标 | 茶叶 | 2 | 0 | 2.00 |");
    s_expect(text, "| 合计 | | | 3 | 0 | 2.50 |");
    free(cap.text);
    n = office_figures_rows(fold, "2026-10", "msa", &rows);
    assert_int_equal(n, 1);
    assert_int_equal(office_figures_rows(fold, "2026-12", NULL, &rows), 0);
    office_figures_destroy(&fold);
}

// ================================================================== revisions

static void
test_revisions_print_changes_and_why(void **state)
{
    (void)state;
    Dajia__Bulletin first = DAJIA__BULLETIN__INIT, second = DAJIA__BULLETIN__INIT;
    first.period = second.period = "2026-10";
    first.revision = 1;
    first.produced_at = s_bj(2026, 11, 11, 0, 0) + 500;
    first.deadline_at = first.cutoff_at = s_bj(2026, 11, 11, 0, 0);
    second.revision = 2;
    second.produced_at = s_bj(2026, 11, 21, 0, 1);
    second.cutoff_at = s_bj(2026, 11, 21, 0, 0);
    Dajia__BulletinChange value = DAJIA__BULLETIN_CHANGE__INIT, status = value;
    value.section = "figures";
    value.unit = "msa";
    value.category = DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING;
    value.field = "case_value_fen";
    value.before = 10000000;
    value.after = 15000000;
    status.section = "compliance";
    status.unit = "customs";
    status.field = "status";
    status.before_text = "missing";
    status.after_text = "late";
    Dajia__BulletinChange *changes[] = {&value, &status};
    Dajia__BulletinSource fix = DAJIA__BULLETIN_SOURCE__INIT;
    fix.unit = "msa";
    fix.event_id = "e5";
    fix.supersedes_event_id = "e1";
    fix.subject = "M-1";
    fix.late = true;
    fix.received_at = s_bj(2026, 11, 20, 10, 0);
    Dajia__BulletinSource *sources[] = {&fix};
    second.n_changes = 2;
    second.changes = changes;
    second.n_sources = 1;
    second.sources = sources;
    const Dajia__Bulletin *revs[] = {&first, &second};
    s_capture_t cap;
    s_capture_open(&cap);
    assert_int_equal(office_revisions_print(cap.out, revs, 2, DAJIA_LANG_ZH), 0);
    const char *text = s_capture_close(&cap);
    s_expect(text, "第1版  2026年11月11日 00:00印发，汇总2026年11月10日24时前收到的报送\n");
    s_expect(text, "第2版  2026年11月21日 00:01印发，汇总2026年11月20日24时前收到的报送\n"
                   "  修订内容：\n"
                   "    市市场监管局 假冒注册商标 案值：10.00万元 → 15.00万元\n"
                   "    信阳海关 报送情况：未报送 → 逾期报送\n"
                   "  修订原因：\n"
                   "    市市场监管局 2026年11月20日 10:00收到 更正（事件e5更正e1，M-1）\n");
    free(cap.text);
}

static void
test_watch_line_of_a_compliance_item(void **state)
{
    (void)state;
    Dajia__UnitCompliance psb = DAJIA__UNIT_COMPLIANCE__INIT, tax = psb;
    psb.unit = "psb";
    psb.status = "on_time";
    tax.unit = "tax";
    tax.status = "zero_report";
    tax.late = true;
    Dajia__UnitCompliance *units[] = {&psb, &tax};
    Dajia__ComplianceUpdate update = DAJIA__COMPLIANCE_UPDATE__INIT;
    update.period = "2026-10";
    update.n_units = 2;
    update.units = units;
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.item_case = DAJIA__FEED_ITEM__ITEM_COMPLIANCE;
    item.compliance = &update;
    item.produced_at = s_bj(2026, 11, 11, 0, 0);
    s_capture_t cap;
    s_capture_open(&cap);
    assert_int_equal(office_print_item(cap.out, &item), 0);
    const char *text = s_capture_close(&cap);
    assert_string_equal(text,
                        "2026-11-11 00:00  reporting for 2026-10: psb on_time tax zero_report "
                        "(late)\n");
    free(cap.text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_due_in_days),
        cmocka_unit_test(test_compliance_fold_open_month_and_table),
        cmocka_unit_test(test_figures_fold_replaces_rows),
        cmocka_unit_test(test_revisions_print_changes_and_why),
        cmocka_unit_test(test_watch_line_of_a_compliance_item),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
