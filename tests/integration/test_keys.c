/*  Integration: a unit's key travels as one file (issue 12, part 1).

    The Office exports a unit's key file (`dajia-ctl keys export customs > FILE`: mode
    0600 although the shell made the file with its umask; refused on a terminal); the
    liaison's machine, a directory of its own with nothing in it, installs it
    (`dajia-agent keys import FILE`) and then reports from there with no further flag:
    the import put the key where the agent looks. A client that shows no key at all is
    refused by the broker during the handshake, and the broker says so in its log with
    the reason.
*/
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define S_STR(...) ((char *)harness_autofree(harness_strf(__VA_ARGS__)))

#define S_LOG_MS 20000 /* for a log line the broker writes within milliseconds */

/* keys: the Office's key directory. */
typedef harness_fixture_t fixture_t;

static harness_result_t
s_run(const char *const *argv)
{
    harness_result_t run;
    assert_int_equal(harness_run_autofree(argv, &run), 0);
    return run;
}

/* Runs the shell command `cmd` (so that it may redirect and change directory). */
static harness_result_t
s_sh(const char *cmd)
{
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    return s_run(argv);
}

static int
s_mode(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* Makes the Office's keys and starts a broker with them, its stderr captured. */
static void
s_start(fixture_t *fx)
{
    const char *init[] = {DAJIA_CTL_BIN, "keys",    "init",        "--dir",
                          fx->keys,      "--units", "customs,psb", NULL};
    harness_result_t run = s_run(init);
    if (run.status != 0)
        fail_msg("keys init exited %d:\n%s", run.status, run.err);
    const char *argv[] = {DAJIA_BROKER_BIN,    "--data", fx->data, "--api",
                          "tcp://127.0.0.1:*", "--keys", fx->keys, NULL};
    harness_opts_t opts = {.capture_stderr = true};
    assert_int_equal(harness_proc_start(argv, &opts, &fx->broker), 0);
    if (harness_proc_wait_ready(fx->broker, HARNESS_READY_TIMEOUT_MS, fx->api, sizeof fx->api))
        fail_msg("no READY from the broker:\n%s", harness_proc_stderr(fx->broker));
}

static void
test_keys_export_import_then_report_with_no_flag(void **state)
{
    fixture_t *fx = *state;
    s_start(fx);

    /* The Office: the shell makes the file 0644 (umask 022), the export makes it 0600. */
    char *file = S_STR("%s/customs.dajia-key", fx->dir);
    harness_result_t run =
        s_sh(S_STR("umask 022 && exec '%s' keys export customs --dir '%s' > '%s'", DAJIA_CTL_BIN,
                   fx->keys, file));
    if (run.status != 0)
        fail_msg("keys export exited %d:\n%s", run.status, run.err);
    assert_int_equal(s_mode(file), 0600);
    assert_non_null(strstr(run.err, "dajia-agent keys import"));

    /* The liaison's machine: an empty directory, no DAJIA_KEYS. */
    char *pc = S_STR("%s/pc", fx->dir);
    assert_int_equal(mkdir(pc, 0755), 0);
    run = s_sh(S_STR("unset DAJIA_KEYS; cd '%s' && exec '%s' keys import '%s'", pc, DAJIA_AGENT_BIN,
                     file));
    if (run.status != 0)
        fail_msg("keys import exited %d:\n%s%s", run.status, run.out, run.err);
    print_message("%s", run.out);
    assert_non_null(strstr(run.out, "customs"));
    assert_int_equal(s_mode(S_STR("%s/var/keys", pc)), 0700);
    assert_int_equal(s_mode(S_STR("%s/var/keys/secret", pc)), 0700);
    assert_int_equal(s_mode(S_STR("%s/var/keys/secret/customs.cert_secret", pc)), 0600);
    assert_int_equal(s_mode(S_STR("%s/var/keys/broker.cert", pc)) & 0600, 0600);

    /* Reporting from there finds the key by itself: stored, over CURVE. */
    char *cases = S_STR("%s/cases.jsonl", pc);
    assert_int_equal(harness_write_cases(cases, "customs", "KEY", "key-", 1, 3), 0);
    run = s_sh(S_STR("unset DAJIA_KEYS DAJIA_NAME; cd '%s' && exec '%s' --broker '%s' --unit "
                     "customs --timeout 60 submit cases.jsonl",
                     pc, DAJIA_AGENT_BIN, fx->api));
    if (run.status != 0)
        fail_msg("submit with the imported key exited %d:\n%s%s\nbroker:\n%s", run.status, run.out,
                 run.err, harness_proc_stderr(fx->broker));
    harness_record_t *records = NULL;
    size_t count = 0;
    assert_int_equal(harness_dump(fx->data, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(count, 3);

    /* Another broker's key file does not silently replace this one. */
    char *other = S_STR("%s/other", fx->dir);
    const char *init[] = {DAJIA_CTL_BIN, "keys",    "init",    "--dir",
                          other,         "--units", "customs", NULL};
    assert_int_equal(s_run(init).status, 0);
    char *other_file = S_STR("%s/other.dajia-key", fx->dir);
    assert_int_equal(s_sh(S_STR("exec '%s' keys export customs --dir '%s' > '%s'", DAJIA_CTL_BIN,
                                other, other_file))
                         .status,
                     0);
    run = s_sh(S_STR("unset DAJIA_KEYS; cd '%s' && exec '%s' keys import '%s'", pc, DAJIA_AGENT_BIN,
                     other_file));
    assert_int_equal(run.status, 1);
    assert_non_null(strstr(run.err, "--force"));
    assert_int_equal(harness_proc_stop(fx->broker), 0);
}

static void
test_keys_export_refuses_a_terminal(void **state)
{
    fixture_t *fx = *state;
    const char *init[] = {DAJIA_CTL_BIN, "keys", "init", "--dir", fx->keys, "--units", "psb", NULL};
    assert_int_equal(s_run(init).status, 0);

    /* Standard output on a pseudo-terminal, as when the person forgets the "> FILE". */
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    char *slave_name = S_STR("%s", ptsname(master));
    char *err_path = S_STR("%s/export.err", fx->dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int slave = open(slave_name, O_RDWR);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (slave < 0 || err < 0 || dup2(slave, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
            _exit(127);
        execl(DAJIA_CTL_BIN, DAJIA_CTL_BIN, "keys", "export", "psb", "--dir", fx->keys,
              (char *)NULL);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    /* What reached the terminal: no secret key. */
    char screen[4096] = "";
    int flags = fcntl(master, F_GETFL);
    fcntl(master, F_SETFL, flags | O_NONBLOCK);
    ssize_t n = read(master, screen, sizeof screen - 1);
    screen[n > 0 ? n : 0] = 0;
    close(master);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
    assert_null(strstr(screen, "secret-key"));
    FILE *f = fopen(err_path, "r");
    assert_non_null(f);
    char err[1024] = "";
    size_t len = fread(err, 1, sizeof err - 1, f);
    err[len] = 0;
    fclose(f);
    assert_non_null(strstr(err, "> psb.dajia-key"));
}

static void
test_keys_broker_logs_a_client_without_a_key(void **state)
{
    fixture_t *fx = *state;
    s_start(fx);
    /* A plain socket: no CURVE at all, as a client that found no key would connect. */
    harness_client_t *client = NULL;
    assert_int_equal(harness_client_new(fx->api, 1000, &client), 0);
    const char *frames[] = {"STATS", ""};
    const size_t lens[] = {5, 0};
    assert_int_equal(harness_client_send(client, 2, (const void *const *)frames, lens), 0);
    int64_t deadline = harness_now_ms() + S_LOG_MS;
    while (!strstr(harness_proc_stderr(fx->broker), "handshake: refused") &&
           harness_now_ms() < deadline) {
        harness_proc_running(fx->broker);
        usleep(20 * 1000);
    }
    /* Who notices the mismatch first depends on timing: the broker ("did not use
       CURVE"), or the client, which hangs up; either way the line says what to do. */
    const char *log = harness_proc_stderr(fx->broker);
    const char *line = strstr(log, "handshake: refused a connection to the api");
    if (!line || !strstr(line, "without its key file"))
        fail_msg("the broker did not log the refused handshake:\n%.4000s",
                 line ? line : log + (strlen(log) > 3000 ? strlen(log) - 3000 : 0));
    /* Nothing got through: no answer. */
    zmsg_t *reply = NULL;
    assert_int_equal(harness_client_recv(client, &reply), -EAGAIN);
    harness_client_destroy(&client);
    assert_int_equal(harness_proc_stop(fx->broker), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keys_export_import_then_report_with_no_flag,
                                        harness_fixture_setup, harness_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_keys_export_refuses_a_terminal, harness_fixture_setup,
                                        harness_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_keys_broker_logs_a_client_without_a_key,
                                        harness_fixture_setup, harness_fixture_teardown),
    };
    return cmocka_run_group_tests_name("integration.keys", tests, NULL, NULL);
}
