/*  Integration: dajia-agent as a liaison officer uses it (issue 12, parts 1 and 2).

    Each test runs the real agent (and, where it needs one, a real broker) and checks the
    words a liaison reads: where the agent looked for a key and what to do without one,
    before anything is sent; that a full broker store is said to be one, with the events
    safe in the outbox; a spreadsheet saved in GBK imported and stored, the refusals
    counted in the closing summary with which of them the broker counts; the refused list
    cleared; a unit's name given for its code answered with the codes; a template
    submitted as it is printed.
*/
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* A string that lives until the teardown. */
#define S_STR(...) ((char *)harness_autofree(harness_strf(__VA_ARGS__)))

/* The directory and the broker a test starts there. */
typedef harness_fixture_t fixture_t;

/* No key directory may be found by accident: not from the environment. */
static const char *const s_no_keys_env[] = {"DAJIA_KEYS", "DAJIA_UNIT", "DAJIA_BROKER", NULL};

/* Runs argv to completion in the test's directory (so that ./var/keys is the test's);
   the texts live until the teardown. */
static harness_result_t
s_run_in(const char *dir, const char *const *argv)
{
    char *command = S_STR("cd '%s' && exec", dir);
    for (size_t i = 0; argv[i]; i++)
        command = S_STR("%s '%s'", command, argv[i]);
    const char *sh[] = {"/bin/sh", "-c", command, NULL};
    harness_result_t run;
    assert_int_equal(harness_run_env_autofree(sh, s_no_keys_env, &run), 0);
    return run;
}

static void
s_write(const char *path, const char *data, size_t len)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(data, 1, len, file), len);
    assert_int_equal(fclose(file), 0);
}

#define assert_says(text, words)                                                                   \
    do {                                                                                           \
        if (!strstr((text), (words)))                                                              \
            fail_msg("the agent does not say \"%s\":\n%s", (words), (text));                       \
    } while (0)

#define assert_silent_about(text, words)                                                           \
    do {                                                                                           \
        if (strstr((text), (words)))                                                               \
            fail_msg("the agent says \"%s\":\n%s", (words), (text));                               \
    } while (0)

static void
test_liaison_no_key_says_where_it_looked_before_connecting(void **state)
{
    fixture_t *fx = *state;
    char *file = S_STR("%s/msa.jsonl", fx->dir);
    assert_int_equal(harness_write_cases(file, "msa", "NOKEY", NULL, 1, 3), 0);
    /* A broker elsewhere (TEST-NET-1, where nothing answers); --timeout far longer than
       the test waits: the agent must not try. */
    const char *submit[] = {DAJIA_AGENT_BIN,
                            "--broker",
                            "tcp://192.0.2.1:7400",
                            "--unit",
                            "msa",
                            "--timeout",
                            "600",
                            "submit",
                            file,
                            NULL};
    int64_t start = harness_now_ms();
    harness_result_t run = s_run_in(fx->dir, submit);
    int64_t took = harness_now_ms() - start;
    print_message("%s", run.err);
    if (run.status != 3)
        fail_msg("exit %d, expected 3 (waiting):\n%s", run.status, run.err);
    assert_true(took < 60000);
    assert_says(run.err, "no key found for unit \"msa\"");
    assert_says(run.err, "--keys (not given), $DAJIA_KEYS (not set) and ./var/keys");
    assert_says(run.err, S_STR("(in %s: no broker.cert there)", fx->dir));
    assert_says(run.err, "ask the Office for your unit's key file, then `dajia-agent keys import "
                         "FILE`");
    assert_says(run.err, "3 events still waiting in the outbox; run `dajia-agent flush` once the "
                         "key is in place");
    assert_silent_about(run.err, "no answer from the broker");

    /* The events wait for the key. */
    const char *outbox[] = {DAJIA_AGENT_BIN, "--unit", "msa", "outbox", NULL};
    run = s_run_in(fx->dir, outbox);
    assert_int_equal(run.status, 0);
    assert_says(run.out, "3 events waiting");

    /* The same without a broker at all: flush says the same, also before connecting. */
    const char *flush[] = {DAJIA_AGENT_BIN, "--broker", "tcp://192.0.2.1:7400", "--unit", "msa",
                           "flush",         NULL};
    run = s_run_in(fx->dir, flush);
    assert_int_equal(run.status, 3);
    assert_says(run.err, "no key found for unit \"msa\"");
}

static void
test_liaison_storage_unavailable_says_events_wait_safely(void **state)
{
    fixture_t *fx = *state;
    char *data = S_STR("%s/broker", fx->dir);
    char endpoint[256];
    const char *const small[] = {"--map-size", "64k", "--max-map-size", "256k", NULL};
    assert_int_equal(harness_broker_start(data, "tcp://127.0.0.1:*", small, &fx->broker, endpoint,
                                          sizeof endpoint),
                     0);
    /* Far more than 256k hold. */
    char *file = S_STR("%s/many.jsonl", fx->dir);
    assert_int_equal(harness_write_cases(file, "msa", "FULL", NULL, 1, 6000), 0);
    const char *submit[] = {DAJIA_AGENT_BIN, "--broker",  endpoint, "--unit",
                            "msa",           "--timeout", "4",      "--resend-ms",
                            "300",           "submit",    file,     NULL};
    harness_result_t run = s_run_in(fx->dir, submit);
    print_message("%s", run.err);
    if (run.status != 3)
        fail_msg("exit %d, expected 3 (waiting):\n%s", run.status, run.err);
    assert_says(run.err, S_STR("the broker at %s cannot store events right now", endpoint));
    assert_says(run.err, "answered storage_unavailable");
    assert_says(run.err, "the events wait safely in the outbox, nothing is lost");
    assert_says(run.err, "still waiting in the outbox; run `dajia-agent flush` later");
    assert_silent_about(run.err, "no answer from the broker");
    assert_int_equal(harness_proc_stop(fx->broker), 0);
}

/* `text` in GBK, as Excel saves "CSV (逗号分隔)" on a Chinese Windows. */
static char *
s_gbk(const char *text, size_t *len)
{
    iconv_t cd = iconv_open("GBK", "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t in_left = strlen(text), cap = in_left * 2 + 8, out_left = cap;
    char *buf = harness_autofree(malloc(cap)), *in = (char *)text, *out = buf;
    assert_true(iconv(cd, &in, &in_left, &out, &out_left) != (size_t)-1);
    iconv_close(cd);
    *len = cap - out_left;
    return buf;
}

static void
test_liaison_gbk_spreadsheet_stored_and_refusals_counted(void **state)
{
    fixture_t *fx = *state;
    char *config = S_STR("%s/members.cfg", fx->dir);
    const char *members = "members\n    msa\n        name = \"市市场监管局\"\n";
    s_write(config, members, strlen(members));
    char *data = S_STR("%s/broker", fx->dir);
    char endpoint[256];
    const char *extra[] = {"-c", config, NULL};
    assert_int_equal(harness_broker_start(data, "tcp://127.0.0.1:*", extra, &fx->broker, endpoint,
                                          sizeof endpoint),
                     0);

    const char *csv =
        "序号,案件编号,案件类别,办理阶段,案值（元）,立案日期,涉案商品类别,电子商务\r\n"
        "1,信市监处罚〔2026〕118号,地理标志,立案,\"86,400.00\",2026/10/22,茶叶,是\r\n"
        "2,信市监处罚〔2026〕131号,假冒注册商标,结案,\"12,000\",2026/11/2,酒类,否\r\n"
        "3,信市监处罚〔2026〕140号,地理标誌,立案,100,2026/11/5,茶叶,否\r\n";
    size_t len = 0;
    char *gbk = s_gbk(csv, &len);
    char *file = S_STR("%s/cases.csv", fx->dir);
    s_write(file, gbk, len);
    const char *import[] = {DAJIA_AGENT_BIN, "--broker", endpoint, "--unit", "msa",
                            "--timeout",     "30",       "import", file,     NULL};
    harness_result_t run = s_run_in(fx->dir, import);
    print_message("%s", run.err);
    if (run.status != 1)
        fail_msg("exit %d, expected 1 (one row refused):\n%s", run.status, run.err);
    assert_says(run.err, "cases.csv: CSV, GBK text (converted to UTF-8)");
    assert_says(run.err, "cases.csv:4: column 案件类别: \"地理标誌\" is not a value of "
                         "CaseCategory; did you mean \"地理标志\"?");
    assert_says(run.err, "3 reports read: 2 queued, 0 already waiting, 1 refused here");
    assert_says(run.err, "refused here, never sent, so not in the broker's stats: 1 malformed");
    assert_says(run.err, "2 stored (2 new, 0 duplicates), 1 rejected, 0 waiting");
    harness_record_t *records = NULL;
    size_t count = 0;
    assert_int_equal(harness_dump(data, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(count, 2);

    /* A refusal the broker makes is counted as its own: a unit it does not list. */
    char *other = S_STR("%s/tax.jsonl", fx->dir);
    assert_int_equal(harness_write_cases(other, "tax", "T", NULL, 1, 1), 0);
    const char *tax[] = {DAJIA_AGENT_BIN, "--broker", endpoint, "--unit", "tax",
                         "--timeout",     "30",       "submit", other,    NULL};
    run = s_run_in(fx->dir, tax);
    assert_int_equal(run.status, 1);
    assert_says(run.err, "refused by the broker (counted in its stats): 1 unknown_unit");
    assert_says(run.err, "the broker does not know unit \"tax\"");
    assert_says(run.err, "the member units' codes (the broker's configuration may differ)");
    assert_int_equal(harness_proc_stop(fx->broker), 0);
}

static void
test_liaison_rejected_list_cleared(void **state)
{
    fixture_t *fx = *state;
    char *file = S_STR("%s/bad.jsonl", fx->dir);
    const char *bad = "{\"occurred_at\":\"2026-11-03\",\"case_report\":{\"case_no\":\"X\"}}\n"
                      "not json\n";
    s_write(file, bad, strlen(bad));
    const char *submit[] = {DAJIA_AGENT_BIN, "--unit", "msa", "--timeout", "0",
                            "submit",        file,     NULL};
    harness_result_t run = s_run_in(fx->dir, submit);
    assert_int_equal(run.status, 1);
    const char *list[] = {DAJIA_AGENT_BIN, "--unit", "msa", "rejected", NULL};
    run = s_run_in(fx->dir, list);
    assert_int_equal(run.status, 0);
    assert_says(run.out, "2 rejected");
    const char *clear[] = {DAJIA_AGENT_BIN, "--unit", "msa", "rejected", "--clear", NULL};
    run = s_run_in(fx->dir, clear);
    assert_int_equal(run.status, 0);
    assert_says(run.out, "2 refused reports cleared from the list");
    run = s_run_in(fx->dir, list);
    assert_says(run.out, "0 rejected");
    const char *misplaced[] = {DAJIA_AGENT_BIN, "--unit", "msa", "outbox", "--clear", NULL};
    run = s_run_in(fx->dir, misplaced);
    assert_int_equal(run.status, 2);
    assert_says(run.err, "--clear goes with the rejected command only");
}

static void
test_liaison_unit_name_answered_with_the_codes(void **state)
{
    fixture_t *fx = *state;
    const char *named[] = {DAJIA_AGENT_BIN, "--unit", "信阳海关", "submit", "x.json", NULL};
    harness_result_t run = s_run_in(fx->dir, named);
    assert_int_equal(run.status, 2);
    assert_says(run.err, "\"信阳海关\" is a unit's name; its code is customs: give --unit customs");
    assert_says(run.err, "  customs        信阳海关\n");
    assert_says(run.err, "  msa            市市场监管局\n");
    const char *unknown[] = {DAJIA_AGENT_BIN, "--unit", "某某局", "outbox", NULL};
    run = s_run_in(fx->dir, unknown);
    assert_int_equal(run.status, 2);
    assert_says(run.err, "\"某某局\" is not a unit code");
    assert_says(run.err, "  psb            市公安局\n");
}

static void
test_liaison_template_submitted_as_printed(void **state)
{
    fixture_t *fx = *state;
    char *data = S_STR("%s/broker", fx->dir);
    char endpoint[256];
    assert_int_equal(harness_broker_start(data, "tcp://127.0.0.1:*", NULL, &fx->broker, endpoint,
                                          sizeof endpoint),
                     0);
    const char *types[] = {"case_report", "major_matter", "matter_progress", "dynamic_info", "csv"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        const char *print[] = {DAJIA_AGENT_BIN, "template", types[i], NULL};
        harness_result_t run = s_run_in(fx->dir, print);
        assert_int_equal(run.status, 0);
        char *file = S_STR("%s/%s.%s", fx->dir, types[i], i == 4 ? "csv" : "json");
        s_write(file, run.out, strlen(run.out));
        const char *submit[] = {DAJIA_AGENT_BIN, "--broker", endpoint, "--unit", "msa",
                                "--timeout",     "30",       "submit", file,     NULL};
        run = s_run_in(fx->dir, submit);
        if (run.status != 0)
            fail_msg("template %s submitted: exit %d\n%s", types[i], run.status, run.err);
        assert_says(run.err, "1 stored (1 new, 0 duplicates), 0 rejected, 0 waiting");
    }
    const char *wrong[] = {DAJIA_AGENT_BIN, "template", "case_reprot", NULL};
    harness_result_t run = s_run_in(fx->dir, wrong);
    assert_int_equal(run.status, 2);
    assert_says(run.err, "no template \"case_reprot\"; did you mean case_report?");
    assert_int_equal(harness_proc_stop(fx->broker), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name)                                                                                    \
    cmocka_unit_test_setup_teardown(name, harness_fixture_setup, harness_fixture_teardown)
        T(test_liaison_no_key_says_where_it_looked_before_connecting),
        T(test_liaison_storage_unavailable_says_events_wait_safely),
        T(test_liaison_gbk_spreadsheet_stored_and_refusals_counted),
        T(test_liaison_rejected_list_cleared),
        T(test_liaison_unit_name_answered_with_the_codes),
        T(test_liaison_template_submitted_as_printed),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
