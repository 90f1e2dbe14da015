/*  Integration: `make demo` (scripts/demo) shows the whole flow, a bulletin included.

    The script starts its own broker with the clock just before a month's reporting
    deadline, runs the simulator, prints the escalations, matters and who reported, and
    waits for the month's bulletin.
    Here it runs on free ports (DEMO_API=tcp://127.0.0.1:*), in a temporary directory
    (DEMO_VAR), with a short simulation; the test checks that it ends well and that the
    bulletin it prints counts the cases the simulator reported, and that the data fit
    the clock: the compliance list judges the month the demo closes, in which all the
    units but the few the simulator makes late or silent reported on time, and the cases
    filed that month are about as many as the month before.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#ifndef DAJIA_DEMO_SCRIPT
#error "DAJIA_DEMO_SCRIPT and DAJIA_BUILD_DIR must be defined by the build"
#endif

static void
test_demo_prints_escalations_and_the_months_bulletin(void **state)
{
    (void)state;
    char *dir = harness_tmpdir_new();
    assert_non_null(dir);
    harness_autofree(dir);
    char *var = harness_strf("DEMO_VAR=%s/var", dir);
    harness_autofree(var);
    const char *env[] = {
        var, "DEMO_API=tcp://127.0.0.1:*", "DEMO_SECONDS=3", "DEMO_RATE=800", "DAJIA_CLOCK", NULL};
    const char *argv[] = {"sh", DAJIA_DEMO_SCRIPT, DAJIA_BUILD_DIR, NULL};
    harness_opts_t opts = {env, true};
    harness_result_t run;
    assert_int_equal(harness_run(argv, &opts, HARNESS_RUN_TIMEOUT_MS, &run), 0);
    harness_autofree(run.out);
    harness_autofree(run.err);
    if (run.status != 0)
        fail_msg("scripts/demo exited %d\nstdout:\n%s\nstderr:\n%s", run.status, run.out, run.err);
    const char *want[] = {"rejected 0 unanswered 0",    "== escalations that reached the Office",
                          "== open major matters",      "== who has reported for",
                          "信息报送情况（报送截止时间", "打击侵权假冒工作通报",
                          "## 五、信息报送情况",        "demo: done"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(run.out, want[i]))
            fail_msg("no \"%s\" in the demo's output:\n%s", want[i], run.out);
    /* The simulator's cases are counted in the bulletin's total. */
    const char *total = strstr(run.out, "合计：立案");
    assert_non_null(total);
    long filed = strtol(total + strlen("合计：立案"), NULL, 10);
    if (filed <= 0)
        fail_msg("the bulletin counts no case:\n%s", run.out);
    /* The bulletin is the closing month's: the one the demo waited for. */
    const char *waiting = strstr(run.out, "waiting for the month ");
    assert_non_null(waiting);
    int year = 0, month = 0;
    if (sscanf(waiting + strlen("waiting for the month "), "%4d-%2d", &year, &month) != 2)
        fail_msg("no month after \"waiting for the month\":\n%s", run.out);
    char *judged = harness_autofree(harness_strf("打击侵权假冒工作通报（%d年%d月）", year, month));
    if (!strstr(run.out, judged))
        fail_msg("the bulletin is not that of %04d-%02d, the month it closes:\n%s", year, month,
                 run.out);
    /* All units but the 3 late and 2 silent ones the simulator plays reported on time. */
    const char *compliance = strstr(strstr(run.out, judged), "## 五、信息报送情况");
    assert_non_null(compliance);
    size_t on_time = 0, behind = 0;
    for (const char *at = compliance; (at = strstr(at, " | ")) != NULL; at++) {
        on_time += strncmp(at, " | 按时报送 |", strlen(" | 按时报送 |")) == 0;
        behind += strncmp(at, " | 逾期报送 |", strlen(" | 逾期报送 |")) == 0 ||
                  strncmp(at, " | 未报送 |", strlen(" | 未报送 |")) == 0;
    }
    if (on_time < 18 || behind > 5)
        fail_msg("%zu units on time, %zu late or missing:\n%s", on_time, behind, run.out);
    /* This month's filings against the last month's: a plausible change. */
    const char *last = strstr(total, "（上月");
    assert_non_null(last);
    long before = strtol(last + strlen("（上月"), NULL, 10);
    if (before <= 0 || filed * 3 < before * 2 || filed * 2 > before * 3)
        fail_msg("filed %ld this month against %ld the month before:\n%s", filed, before, run.out);
    /* Every escalation line names a rule and a unit: at least one arrived. */
    const char *esc = strstr(run.out, "== escalations that reached the Office");
    const char *matters = strstr(run.out, "== open major matters");
    assert_true(esc && matters && strstr(esc, "-> ") && strstr(esc, "-> ") < matters);
    harness_rm_rf(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_prints_escalations_and_the_months_bulletin),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    harness_autofree_all();
    return rc;
}
