/*  test_office_format: the Office's lines, the matters fold and the bulletin pick. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "office_format.h"

#define T_DAY_MS (24LL * 3600 * 1000)
/* 2026-11-30T00:00:00Z, which is 08:00 in Beijing. */
#define T_NOV30  1795996800000LL

/* Prints through `print` into a string; caller frees. */
static char *
s_capture(int (*print)(FILE *, const void *), const void *what)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(print(out, what), 0);
    fclose(out);
    return text;
}

static int
s_print_item(FILE *out, const void *item)
{
    return office_print_item(out, item);
}

static void
test_escalation_line_names_time_level_rule_unit_key_and_reason(void **state)
{
    (void)state;
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    Dajia__Escalation esc = DAJIA__ESCALATION__INIT;
    item.item_case = DAJIA__FEED_ITEM__ITEM_ESCALATION;
    item.escalation = &esc;
    esc.rule = "E3";
    esc.level = DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR;
    esc.unit = "customs";
    esc.case_no = "customs-2026-7";
    esc.reason = "case value 2500000 yuan is at least 2000000";
    esc.escalated_at = T_NOV30;
    char *line = s_capture(s_print_item, &item);
    assert_string_equal(line, "2026-11-30 08:00  especially major  E3          customs        "
                              "case customs-2026-7  case value 2500000 yuan is at least "
                              "2000000\n");
    free(line);

    /* a matter escalation with a due date and an action */
    esc.case_no = "";
    esc.matter_id = "health-MM-1";
    esc.rule = "OVERDUE-7D";
    esc.level = DAJIA__SEVERITY__SEVERITY_MAJOR;
    esc.due_at = T_NOV30 - 7 * T_DAY_MS;
    esc.action = "notify office";
    esc.reason = "progress 7 days overdue";
    line = s_capture(s_print_item, &item);
    assert_non_null(strstr(line, "  major  "));
    assert_non_null(strstr(line, "matter health-MM-1  progress 7 days overdue (due 2026-11-23 "
                                 "08:00) -> notify office\n"));
    free(line);
}

static void
test_time_is_beijing_time(void **state)
{
    (void)state;
    char buf[OFFICE_TIME_SIZE];
    /* 2026-11-30T16:00Z is already December 1st in Beijing */
    assert_string_equal(office_format_time(T_NOV30 + 16 * 3600 * 1000, buf, sizeof buf),
                        "2026-12-01 00:00");
    assert_string_equal(office_format_time(0, buf, sizeof buf), "-");
}

/* A FeedItem carrying a MatterLine. */
typedef struct {
    Dajia__FeedItem item;
    Dajia__MatterLine line;
} t_matter_t;

static void
s_matter(t_matter_t *m, uint64_t seq, const char *unit, const char *id, Dajia__MatterStatus st,
         int64_t overdue, int64_t due)
{
    m->item = (Dajia__FeedItem)DAJIA__FEED_ITEM__INIT;
    m->line = (Dajia__MatterLine)DAJIA__MATTER_LINE__INIT;
    m->item.feed_seq = seq;
    m->item.item_case = DAJIA__FEED_ITEM__ITEM_MATTER;
    m->item.matter = &m->line;
    m->line.unit = (char *)unit;
    m->line.matter_id = (char *)id;
    m->line.title = "t";
    m->line.severity = DAJIA__SEVERITY__SEVERITY_MAJOR;
    m->line.status = st;
    m->line.days_overdue = overdue;
    m->line.next_update_due_at = due;
}

static void
test_matters_fold_keeps_latest_open_overdue_first(void **state)
{
    (void)state;
    const Dajia__MatterStatus OPEN = DAJIA__MATTER_STATUS__MATTER_STATUS_IN_PROGRESS;
    const Dajia__MatterStatus DONE = DAJIA__MATTER_STATUS__MATTER_STATUS_RESOLVED;
    t_matter_t m[8];
    /* feed order; the fold keeps the last line per unit + matter_id */
    s_matter(&m[0], 1, "msa", "A", OPEN, 0, T_NOV30 + 5 * T_DAY_MS);      /* later replaced */
    s_matter(&m[1], 2, "psb", "B", OPEN, 0, T_NOV30 + 2 * T_DAY_MS);      /* on time, due soon */
    s_matter(&m[2], 3, "cac", "C", OPEN, 0, T_NOV30 + 9 * T_DAY_MS);      /* on time, due later */
    s_matter(&m[3], 4, "msa", "A", OPEN, 3, T_NOV30 - 3 * T_DAY_MS);      /* now 3 days over */
    s_matter(&m[4], 5, "health", "D", OPEN, 12, T_NOV30 - 12 * T_DAY_MS); /* 12 days over */
    s_matter(&m[5], 6, "tax", "E", OPEN, 1, T_NOV30);                     /* will be resolved */
    s_matter(&m[6], 7, "tax", "E", DONE, 0, 0);                           /* resolved: not open */
    s_matter(&m[7], 8, "psb", "A", OPEN, 0, 0);                           /* no due date: last */
    office_matters_t *fold = office_matters_new();
    assert_non_null(fold);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(office_matters_add(fold, &m[i].item), 0);
    /* an item of another kind is ignored */
    Dajia__FeedItem other = DAJIA__FEED_ITEM__INIT;
    assert_int_equal(office_matters_add(fold, &other), 0);

    const Dajia__FeedItem *const *open = NULL;
    size_t n = office_matters_open(fold, &open);
    /* open: msa/A (latest: 3 over), psb/B, cac/C, health/D, psb/A; tax/E resolved */
    assert_int_equal(n, 5);
    const char *want[][2] = {
        {"health", "D"}, {"msa", "A"}, {"psb", "B"}, {"cac", "C"}, {"psb", "A"}};
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(open[i]->matter->unit, want[i][0]);
        assert_string_equal(open[i]->matter->matter_id, want[i][1]);
    }
    assert_int_equal(open[1]->feed_seq, 4); /* the latest line of msa/A */
    office_matters_destroy(&fold);
    assert_null(fold);
}

static int
s_print_matter(FILE *out, const void *line)
{
    return office_print_matter(out, line);
}

static void
test_matter_line_shows_overdue_days(void **state)
{
    (void)state;
    t_matter_t m;
    s_matter(&m, 1, "health", "D", DAJIA__MATTER_STATUS__MATTER_STATUS_BLOCKED, 12,
             T_NOV30 - 12 * T_DAY_MS);
    m.line.title = "fake drug chain";
    char *line = s_capture(s_print_matter, &m.line);
    assert_string_equal(line, "12d over   major             blocked      health         D  last - "
                              " due 2026-11-18 08:00  fake drug chain\n");
    free(line);
}

static void
test_bulletin_pick_by_period_and_latest(void **state)
{
    (void)state;
    Dajia__Bulletin oct = DAJIA__BULLETIN__INIT, nov = DAJIA__BULLETIN__INIT,
                    nov2 = DAJIA__BULLETIN__INIT, sep = DAJIA__BULLETIN__INIT;
    oct.period = "2026-10";
    nov.period = "2026-11";
    nov2.period = "2026-11";
    sep.period = "2026-09";
    /* feed order: oct, nov, sep (a late one), nov2 (a reissue) */
    const Dajia__Bulletin *feed[] = {&oct, &nov, &sep, &nov2};
    struct {
        const char *period;
        const Dajia__Bulletin *want;
    } cases[] = {
        {NULL, &nov2}, /* the latest period, the reissue winning the tie */
        {"2026-10", &oct}, {"2026-09", &sep}, {"2026-11", &nov2}, {"2026-12", NULL}, /* none */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const Dajia__Bulletin *held = NULL;
        for (size_t i = 0; i < 4; i++)
            if (office_bulletin_better(held, feed[i], cases[c].period))
                held = feed[i];
        assert_ptr_equal(held, cases[c].want);
    }
}

static void
test_item_copy_is_deep(void **state)
{
    (void)state;
    t_matter_t m;
    s_matter(&m, 42, "msa", "A", DAJIA__MATTER_STATUS__MATTER_STATUS_OPEN, 2, T_NOV30);
    Dajia__FeedItem *copy = office_item_copy(&m.item);
    assert_non_null(copy);
    m.line.unit = "changed";
    assert_int_equal(copy->feed_seq, 42);
    assert_string_equal(copy->matter->unit, "msa");
    dajia__feed_item__free_unpacked(copy, NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escalation_line_names_time_level_rule_unit_key_and_reason),
        cmocka_unit_test(test_time_is_beijing_time),
        cmocka_unit_test(test_matters_fold_keeps_latest_open_overdue_first),
        cmocka_unit_test(test_matter_line_shows_overdue_days),
        cmocka_unit_test(test_bulletin_pick_by_period_and_latest),
        cmocka_unit_test(test_item_copy_is_deep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
