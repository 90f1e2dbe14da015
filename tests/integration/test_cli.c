/*  Integration: the command lines of the eight programs (dajia-broker, dajia-agent,
    dajia-worker, dajia-office, dajia-sim, dajia-ctl, dajia-bench, dajia-dash).

    Every one answers --help on stdout with exit 0 and a usage text that names it, and
    --version with "NAME VERSION (revision REV)", the project's version and the same
    source revision for all eight; a bad flag is a usage error, exit 2, with a message on
    stderr that names it. The broker's --print-config shows the effective values (file <
    environment < flags), the workers' settings included, and a misspelt or malformed
    worker setting stops the start; the agent's
    exit status tells a script what happened: 0 all stored, 1 some rejected (and
    `dajia-agent rejected` names them with the reason), 3 some still waiting because the
    broker could not be reached (and `dajia-agent flush` sends them once it can).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#ifndef DAJIA_WORKER_BIN
#error "DAJIA_WORKER_BIN must be defined by the build"
#endif
#ifndef DAJIA_OFFICE_BIN
#error "DAJIA_OFFICE_BIN must be defined by the build"
#endif
#ifndef DAJIA_SIM_BIN
#error "DAJIA_SIM_BIN must be defined by the build"
#endif
#ifndef DAJIA_BENCH_BIN
#error "DAJIA_BENCH_BIN must be defined by the build"
#endif
#ifndef DAJIA_DASH_BIN
#error "DAJIA_DASH_BIN must be defined by the build"
#endif
#ifndef DAJIA_PROJECT_VERSION
#error "DAJIA_PROJECT_VERSION must be defined by the build"
#endif

/* A string that lives until the teardown. */
#define S_STR(...) ((char *)harness_autofree(harness_strf(__VA_ARGS__)))

/* The directory and the broker a test starts there. */
typedef harness_fixture_t fixture_t;

/* Every program the project installs, with the name its texts must give. */
static const struct {
    const char *path;
    const char *name;
} s_programs[] = {
    {DAJIA_BROKER_BIN, "dajia-broker"}, {DAJIA_AGENT_BIN, "dajia-agent"},
    {DAJIA_WORKER_BIN, "dajia-worker"}, {DAJIA_OFFICE_BIN, "dajia-office"},
    {DAJIA_SIM_BIN, "dajia-sim"},       {DAJIA_CTL_BIN, "dajia-ctl"},
    {DAJIA_BENCH_BIN, "dajia-bench"},   {DAJIA_DASH_BIN, "dajia-dash"},
};
#define S_PROGRAMS (sizeof s_programs / sizeof s_programs[0])

static bool
s_contains_nocase(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *at = text; *at; at++)
        if (strncasecmp(at, word, n) == 0)
            return true;
    return false;
}

/* Runs argv to completion; the texts live until the teardown. */
static harness_result_t
s_run(const char *const *argv, const char *const *env)
{
    harness_result_t run;
    assert_int_equal(harness_run_env_autofree(argv, env, &run), 0);
    return run;
}

static void
s_write(const char *path, const char *text)
{
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(text, file);
    assert_int_equal(fclose(file), 0);
}

static size_t
s_dump(const char *data, harness_record_t **records)
{
    size_t count = 0;
    assert_int_equal(harness_dump(data, records, &count), 0);
    harness_autofree(*records);
    return count;
}

/* ------------------------------------------------------------------ every program */

static void
test_cli_help_prints_usage_and_exits_zero(void **state)
{
    (void)state;
    assert_int_equal(S_PROGRAMS, 8);
    for (size_t i = 0; i < S_PROGRAMS; i++) {
        const char *argv[] = {s_programs[i].path, "--help", NULL};
        harness_result_t run = s_run(argv, NULL);
        if (run.status != 0 || !s_contains_nocase(run.out, "usage") ||
            !strstr(run.out, s_programs[i].name))
            fail_msg("%s --help: exit %d, expected 0 and a usage text naming %s on stdout:\n%s",
                     s_programs[i].name, run.status, s_programs[i].name, run.out);
    }
}

static void
test_cli_version_names_program_version_and_revision(void **state)
{
    (void)state;
    char first_revision[128] = "";
    for (size_t i = 0; i < S_PROGRAMS; i++) {
        const char *argv[] = {s_programs[i].path, "--version", NULL};
        harness_result_t run = s_run(argv, NULL);
        char *prefix = S_STR("%s " DAJIA_PROJECT_VERSION " (revision ", s_programs[i].name);
        const char *rev = run.out + strlen(prefix);
        size_t rev_len = strncmp(run.out, prefix, strlen(prefix)) == 0 ? strcspn(rev, ")\n") : 0;
        if (run.status != 0 || *run.err || rev_len == 0 || rev_len >= sizeof first_revision ||
            rev[rev_len] != ')')
            fail_msg("%s --version: exit %d, expected 0 and \"%s<revision>)\" on stdout only; "
                     "stdout:\n%s\nstderr:\n%s",
                     s_programs[i].name, run.status, prefix, run.out, run.err);
        /* One build, one revision: every program was built from the same tree. */
        if (i == 0)
            snprintf(first_revision, sizeof first_revision, "%.*s", (int)rev_len, rev);
        else if (strlen(first_revision) != rev_len || strncmp(first_revision, rev, rev_len) != 0)
            fail_msg("%s says revision \"%.*s\", %s said \"%s\"", s_programs[i].name, (int)rev_len,
                     rev, s_programs[0].name, first_revision);
    }
}

static void
test_cli_bad_flag_exits_two_with_message(void **state)
{
    (void)state;
    for (size_t i = 0; i < S_PROGRAMS; i++) {
        const char *argv[] = {s_programs[i].path, "--no-such-flag", NULL};
        harness_result_t run = s_run(argv, NULL);
        /* The message goes to stderr; nothing to stdout, which a script may be reading. */
        if (run.status != 2 || !strstr(run.err, s_programs[i].name) || *run.out)
            fail_msg("%s --no-such-flag: exit %d, expected 2 and a message naming it on "
                     "stderr only; stdout:\n%s\nstderr:\n%s",
                     s_programs[i].name, run.status, run.out, run.err);
    }
}

/* ------------------------------------------------------------------ broker */

static void
test_cli_print_config_shows_file_env_and_flag_overrides(void **state)
{
    fixture_t *fx = *state;
    char *config = S_STR("%s/broker.cfg", fx->dir);
    s_write(config, S_STR("broker\n"
                          "    data = \"%s/from-file\"\n"
                          "    api = \"ipc://%s/from-file\"\n"
                          "    batch_max = 4321\n",
                          fx->dir, fx->dir));
    char *flag_data = S_STR("%s/from-flag-data", fx->dir);
    const char *env[] = {S_STR("DAJIA_DATA=%s/from-env-data", fx->dir),
                         S_STR("DAJIA_API=ipc://%s/from-env-api", fx->dir), NULL};
    const char *argv[] = {DAJIA_BROKER_BIN, "-c", config, "--data", flag_data,
                          "--print-config", NULL};
    harness_result_t run = s_run(argv, env);
    if (run.status != 0)
        fail_msg("--print-config exited %d: %s", run.status, run.err);
    print_message("%s", run.out);

    /* data: the flag beats the environment and the file. api: the environment beats the
       file. batch_max: the file beats the default. */
    assert_non_null(strstr(run.out, flag_data));
    assert_non_null(strstr(run.out, S_STR("ipc://%s/from-env-api", fx->dir)));
    assert_null(strstr(run.out, "from-env-data"));
    assert_null(strstr(run.out, "from-file"));
    assert_non_null(strstr(run.out, "4321"));
    /* It only prints: no log was made. */
    assert_int_not_equal(access(S_STR("%s/data.mdb", flag_data), F_OK), 0);
}

/* A misspelt worker key or a value like "500,000" stops the broker (in-process workers
   or not) and dajia-worker -c before they serve, naming the key and the accepted form;
   the broker's --print-config lists every worker key, and what it prints starts the
   broker and the worker again. */
static void
test_cli_bad_worker_settings_stop_the_start_naming_the_key(void **state)
{
    fixture_t *fx = *state;
    char *data = S_STR("%s/broker", fx->dir);
    char *bad = S_STR("%s/bad.cfg", fx->dir);
    s_write(bad, "escalate\n    value_major_fen = 50000000\n    matter_intervall_days = 10\n");
    const char *broker[] = {DAJIA_BROKER_BIN,    "-c", bad, "--data", data, "--api",
                            "tcp://127.0.0.1:*", NULL};
    harness_result_t run = s_run(broker, NULL);
    print_message("%s", run.err);
    assert_int_equal(run.status, 1);
    assert_non_null(strstr(run.err, "unknown key \"escalate/matter_intervall_days\""));
    assert_non_null(strstr(run.err, "did you mean escalate/matter_interval_days?"));
    assert_null(strstr(run.out, "READY"));
    assert_int_not_equal(access(S_STR("%s/data.mdb", data), F_OK), 0); /* it never opened */
    const char *external[] = {
        DAJIA_BROKER_BIN,     "-c", bad, "--data", data, "--api", "tcp://127.0.0.1:*",
        "--external-workers", NULL};
    run = s_run(external, NULL);
    assert_int_equal(run.status, 1);
    assert_non_null(strstr(run.err, "escalate/matter_intervall_days"));

    s_write(bad, "escalate\n    value_major_fen = \"500,000\"\n");
    run = s_run(broker, NULL);
    print_message("%s", run.err);
    assert_int_equal(run.status, 1);
    assert_non_null(strstr(run.err, "escalate/value_major_fen = \"500,000\" is not accepted"));
    assert_non_null(strstr(run.err, "in digits only"));
    const char *worker[] = {DAJIA_WORKER_BIN, "--service", "escalate", "-c", bad, NULL};
    run = s_run(worker, NULL);
    print_message("%s", run.err);
    assert_int_equal(run.status, 1);
    assert_non_null(strstr(run.err, "escalate/value_major_fen = \"500,000\" is not accepted"));
    s_write(bad, "escalate\n    language = fr\n");
    run = s_run(broker, NULL);
    assert_int_equal(run.status, 1);
    assert_non_null(strstr(run.err, "escalate/language = \"fr\" is not accepted"));

    /* --print-config: every worker key, and a file both programs start with. */
    const char *print[] = {DAJIA_BROKER_BIN, "--data", data, "--print-config", NULL};
    run = s_run(print, NULL);
    assert_int_equal(run.status, 0);
    static const char *const keys[] = {"    tz_offset_min = \"480\"",
                                       "    rules = \"E1 E2 E3 E4 E5 MM OVERDUE DEADLINE DQ\"",
                                       "    language = \"zh\"",
                                       "    unit_quiet_seconds = \"60\"",
                                       "    e5_shoddy_products_sales3_unsold_fen = \"15000000\"",
                                       "    deadline_filing_hours = \"360\"",
                                       "    overdue_leader_days = \"15\"",
                                       "    deadline_day = \"10\"",
                                       "    members = \"agri,"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strstr(run.out, keys[i]))
            fail_msg("--print-config lacks \"%s\":\n%s", keys[i], run.out);
    char *good = S_STR("%s/good.cfg", fx->dir);
    s_write(good, run.out);
    const char *again[] = {DAJIA_BROKER_BIN, "-c", good, "--print-config", NULL};
    harness_result_t run2 = s_run(again, NULL);
    assert_int_equal(run2.status, 0);
    assert_string_equal(run2.out, run.out);
    const char *worker_print[] = {DAJIA_WORKER_BIN, "--service", "circulate", "-c", good,
                                  "--print-config", NULL};
    run2 = s_run(worker_print, NULL);
    assert_int_equal(run2.status, 0);
    assert_non_null(strstr(run2.out, "    members = \"agri,"));
}

/* ------------------------------------------------------------------ agent */

static void
test_cli_agent_exit_one_when_broker_rejects_and_lists_it(void **state)
{
    fixture_t *fx = *state;
    /* A broker whose members leave out "tax": the agent (which does not know the member
       list) sends the event, the broker refuses it as an unknown unit. */
    char *config = S_STR("%s/members.cfg", fx->dir);
    s_write(config, "members\n"
                    "    psb\n"
                    "        name = \"Public Security Bureau\"\n"
                    "    customs\n"
                    "        name = \"Customs\"\n");
    char *data = S_STR("%s/broker", fx->dir);
    char endpoint[256];
    const char *extra[] = {"-c", config, NULL};
    assert_int_equal(harness_broker_start(data, "tcp://127.0.0.1:*", extra, &fx->broker, endpoint,
                                          sizeof endpoint),
                     0);

    char *file = S_STR("%s/tax.jsonl", fx->dir);
    char *agent_state = S_STR("%s/agent-tax", fx->dir);
    assert_int_equal(harness_write_cases(file, "tax", "REJ", "tax-event-", 1, 1), 0);
    const char *submit[] = {DAJIA_AGENT_BIN, "--broker",  endpoint, "--unit", "tax", "--state",
                            agent_state,     "--timeout", "30",     "submit", file,  NULL};
    harness_result_t run = s_run(submit, NULL);
    if (run.status != 1)
        fail_msg("submit of a refused unit exited %d, expected 1:\n%s%s", run.status, run.out,
                 run.err);

    const char *rejected[] = {DAJIA_AGENT_BIN, "--unit",   "tax", "--state",
                              agent_state,     "rejected", NULL};
    run = s_run(rejected, NULL);
    assert_int_equal(run.status, 0);
    print_message("dajia-agent rejected:\n%s", run.out);
    assert_non_null(strstr(run.out, "tax-event-1"));
    if (!strstr(run.out, "unknown_unit") && !s_contains_nocase(run.out, "not a member"))
        fail_msg("the listing does not give the reason:\n%s", run.out);

    /* Nothing waits any more, and the broker stored nothing. */
    const char *outbox[] = {DAJIA_AGENT_BIN, "--unit", "tax", "--state",
                            agent_state,     "outbox", NULL};
    run = s_run(outbox, NULL);
    assert_int_equal(run.status, 0);
    assert_null(strstr(run.out, "tax-event-1"));
    harness_record_t *records = NULL;
    assert_int_equal(s_dump(data, &records), 0);
    assert_int_equal(harness_proc_stop(fx->broker), 0);
}

static void
test_cli_agent_exit_three_when_unreachable_then_flush_sends(void **state)
{
    fixture_t *fx = *state;
    char *api = S_STR("ipc://%s/api", fx->dir);
    char *file = S_STR("%s/psb.jsonl", fx->dir);
    char *agent_state = S_STR("%s/agent-psb", fx->dir);
    assert_int_equal(harness_write_cases(file, "psb", "LATE", "late-", 1, 3), 0);

    /* No broker yet: after --timeout the events still wait, exit 3. */
    const char *submit[] = {DAJIA_AGENT_BIN, "--broker",  api, "--unit", "psb", "--state",
                            agent_state,     "--timeout", "2", "submit", file,  NULL};
    harness_result_t run = s_run(submit, NULL);
    if (run.status != 3)
        fail_msg("submit with no broker exited %d, expected 3:\n%s%s", run.status, run.out,
                 run.err);

    const char *outbox[] = {DAJIA_AGENT_BIN, "--unit", "psb", "--state",
                            agent_state,     "outbox", NULL};
    run = s_run(outbox, NULL);
    assert_int_equal(run.status, 0);
    for (int n = 1; n <= 3; n++)
        if (!strstr(run.out, S_STR("late-%d", n)))
            fail_msg("late-%d is not listed as waiting:\n%s", n, run.out);

    /* The broker comes up; flush sends what waited (the unit from the environment). */
    char *data = S_STR("%s/broker", fx->dir);
    char endpoint[256];
    assert_int_equal(harness_broker_start(data, api, NULL, &fx->broker, endpoint, sizeof endpoint),
                     0);
    const char *flush[] = {DAJIA_AGENT_BIN, "--broker", api,     "--state", agent_state,
                           "--timeout",     "60",       "flush", NULL};
    const char *env[] = {"DAJIA_UNIT=psb", NULL};
    run = s_run(flush, env);
    if (run.status != 0)
        fail_msg("flush exited %d:\n%s%s", run.status, run.out, run.err);

    harness_record_t *records = NULL;
    size_t count = s_dump(data, &records);
    assert_int_equal(count, 3);
    assert_int_equal(harness_check_log(records, count), 0);
    harness_records_sort(records, count);
    assert_non_null(harness_records_find(records, count, "psb", "late-1"));
    assert_non_null(harness_records_find(records, count, "psb", "late-2"));
    assert_non_null(harness_records_find(records, count, "psb", "late-3"));

    run = s_run(outbox, NULL);
    assert_int_equal(run.status, 0);
    assert_null(strstr(run.out, "late-"));
    assert_int_equal(harness_proc_stop(fx->broker), 0);
}

static void
test_cli_agent_usage_errors_exit_two(void **state)
{
    fixture_t *fx = *state;
    char *agent_state = S_STR("%s/agent", fx->dir);
    char *file = S_STR("%s/psb.jsonl", fx->dir);
    assert_int_equal(harness_write_cases(file, "psb", "USAGE", NULL, 1, 1), 0);

    const char *no_command[] = {DAJIA_AGENT_BIN, "--unit", "psb", "--state", agent_state, NULL};
    harness_result_t run = s_run(no_command, NULL);
    assert_int_equal(run.status, 2);
    assert_true(*run.err);

    /* submit must know the unit (outbox and the like read it from the state). */
    const char *no_unit_env[] = {"DAJIA_UNIT", NULL}; /* unset */
    const char *no_unit[] = {DAJIA_AGENT_BIN, "--state", agent_state, "submit", file, NULL};
    run = s_run(no_unit, no_unit_env);
    assert_int_equal(run.status, 2);
    assert_true(*run.err);

    const char *bad_window[] = {DAJIA_AGENT_BIN, "--unit", "psb",    "--state", agent_state,
                                "--window",      "zero",   "outbox", NULL};
    run = s_run(bad_window, NULL);
    assert_int_equal(run.status, 2);

    const char *bad_command[] = {DAJIA_AGENT_BIN, "--unit", "psb", "--state",
                                 agent_state,     "launch", NULL};
    run = s_run(bad_command, NULL);
    assert_int_equal(run.status, 2);

    /* ctl: a command it does not know. */
    const char *ctl_bad[] = {DAJIA_CTL_BIN, "launch", NULL};
    run = s_run(ctl_bad, NULL);
    assert_int_equal(run.status, 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cli_help_prints_usage_and_exits_zero,
                                        harness_fixture_setup, harness_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_cli_version_names_program_version_and_revision,
                                        harness_fixture_setup, harness_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_cli_bad_flag_exits_two_with_message,
                                        harness_fixture_setup, harness_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_cli_print_config_shows_file_env_and_flag_overrides,
                                        harness_fixture_setup, harness_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_cli_bad_worker_settings_stop_the_start_naming_the_key,
                                        harness_fixture_setup, harness_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_cli_agent_exit_one_when_broker_rejects_and_lists_it,
                                        harness_fixture_setup, harness_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_cli_agent_exit_three_when_unreachable_then_flush_sends,
                                        harness_fixture_setup, harness_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_cli_agent_usage_errors_exit_two, harness_fixture_setup,
                                        harness_fixture_teardown),
    };
    return cmocka_run_group_tests_name("integration.cli", tests, NULL, NULL);
}
