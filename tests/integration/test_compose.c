/*  Integration: docker-compose.yml is a valid Compose file with the services we ship.

    No Docker engine runs here, so the file is checked by `docker-compose config`, which
    parses and validates it without one. docker-compose is an optional external tool
    (Debian package docker-compose; scripts/setup installs it): where it is not in PATH
    the program exits with S_NOT_RUN, which ctest reports as not run (SKIP_RETURN_CODE in
    CMakeLists.txt), never as passed. The Dockerfile the services build is checked by
    test_dockerfile.c, which needs no tool.

    No open doors (issue 10): every service whose command names a tcp:// endpoint, to
    bind it or to connect to it, uses a key directory (--keys DIR, or DAJIA_KEYS in its
    environment) on a volume it mounts, and that volume is made by a one-shot service
    running `dajia-ctl keys init`. The check reads `docker-compose config`'s resolved
    file, whose layout is fixed (two spaces per level, a list's items "- item" at its
    key's level, a mapping's two spaces in), so a few lines
    of C read it without a YAML library; a scratch file with a keyless service shows the
    check fails where it should.

    The dashboard (issue 11) serves loopback only, as dajia-dash requires without TLS and
    HTTP users: a dajia-dash service binds a loopback address unless its command gives
    --tls-cert, --tls-key and --users; one on loopback shares the host's network
    (network_mode: host), so that the host's 127.0.0.1:7480 is where it serves; and every
    port any service publishes is on the host's loopback. A scratch file breaking each
    rule shows the check fails where it should.
*/
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

#ifndef DAJIA_COMPOSE_FILE
#error "DAJIA_COMPOSE_FILE must be defined by the build"
#endif

#define S_COMPOSE "docker-compose"
#define S_NOT_RUN 77 /* SKIP_RETURN_CODE of this test in CMakeLists.txt */

/* Is `name` an executable in PATH? */
static bool
s_in_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path)
        return false;
    char *copy = strdup(path), *save = NULL;
    bool found = false;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char *full = harness_strf("%s/%s", dir, name);
        found = access(full, X_OK) == 0;
        free(full);
    }
    free(copy);
    return found;
}

static harness_result_t
s_compose(const char *file, const char *a, const char *b)
{
    const char *argv[] = {S_COMPOSE, "--no-ansi", "-f", file, "config", a, b, NULL};
    /* "--no-ansi" keeps the output plain. */
    harness_opts_t opts = {NULL, true};
    harness_result_t run;
    assert_int_equal(harness_run(argv, &opts, HARNESS_RUN_TIMEOUT_MS, &run), 0);
    harness_autofree(run.out);
    harness_autofree(run.err);
    return run;
}

/* `docker-compose config` (with `a`, may be NULL) of a scratch compose file holding
   `text`. */
static harness_result_t
s_compose_scratch(const char *text, const char *a)
{
    char *dir = harness_autofree(harness_tmpdir_new());
    assert_non_null(dir);
    char *file = harness_autofree(harness_strf("%s/docker-compose.yml", dir));
    FILE *out = fopen(file, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
    harness_result_t run = s_compose(file, a, NULL);
    harness_rm_rf(dir);
    return run;
}

static void
test_compose_file_validates(void **state)
{
    (void)state;
    harness_result_t run = s_compose(DAJIA_COMPOSE_FILE, "-q", NULL);
    if (run.status != 0)
        fail_msg("docker-compose config rejected %s:\n%s", DAJIA_COMPOSE_FILE, run.err);
}

static void
test_compose_file_has_broker_workers_simulator_and_data_volume(void **state)
{
    (void)state;
    harness_result_t run = s_compose(DAJIA_COMPOSE_FILE, "--services", NULL);
    assert_int_equal(run.status, 0);
    const char *want[] = {"broker\n",    "aggregate\n", "escalate\n",
                          "circulate\n", "simulator\n", "dashboard\n"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(run.out, want[i]))
            fail_msg("no service %.*s in:\n%s", (int)strlen(want[i]) - 1, want[i], run.out);
    run = s_compose(DAJIA_COMPOSE_FILE, "--volumes", NULL);
    assert_int_equal(run.status, 0);
    assert_non_null(strstr(run.out, "broker-data\n"));
    /* The resolved file: the broker leaves the workers to their services, which reach
       it by its service name. */
    run = s_compose(DAJIA_COMPOSE_FILE, NULL, NULL);
    assert_int_equal(run.status, 0);
    assert_non_null(strstr(run.out, "--external-workers"));
    assert_non_null(strstr(run.out, "tcp://broker:7401"));
    assert_non_null(strstr(run.out, "dajia-sim"));
}

/* One service of the resolved file: its command items, volumes, environment and ports,
   each "\n"-joined, and its network_mode. */
typedef struct {
    char name[64];
    char *command, *volumes, *environment, *ports;
    char network[64];
} s_service_t;

#define S_SERVICES_MAX 16

static char *
s_append(char *list, const char *item, size_t len)
{
    char *joined = harness_strf("%s%.*s\n", list ? list : "", (int)len, item);
    free(list);
    return joined;
}

/* Reads the services of the resolved file `text` into `out`; returns how many. */
static size_t
s_services(const char *text, s_service_t *out)
{
    const char *at = strstr(text, "\nservices:\n");
    if (!at && strncmp(text, "services:\n", 10) == 0)
        at = text - 1;
    assert_non_null(at);
    at += strlen("\nservices:\n");
    size_t n = 0;
    s_service_t *svc = NULL;
    char **list = NULL; /* the list being read */
    while (*at) {
        size_t len = strcspn(at, "\n");
        size_t indent = strspn(at, " ");
        if (indent == 0 && len > 0)
            break; /* the next top-level key */
        const char *word = at + indent;
        size_t wlen = len - indent;
        if (indent == 2 && wlen > 1 && word[wlen - 1] == ':') {
            assert_true(n < S_SERVICES_MAX);
            svc = &out[n++];
            memset(svc, 0, sizeof *svc);
            snprintf(svc->name, sizeof svc->name, "%.*s", (int)wlen - 1, word);
            list = NULL;
        } else if (svc && indent == 4 && strncmp(word, "network_mode: ", 14) == 0) {
            snprintf(svc->network, sizeof svc->network, "%.*s", (int)wlen - 14, word + 14);
            list = NULL;
        } else if (svc && indent == 4 && strncmp(word, "- ", 2) != 0) {
            list = wlen == 8 && strncmp(word, "command:", 8) == 0         ? &svc->command
                   : wlen == 8 && strncmp(word, "volumes:", 8) == 0       ? &svc->volumes
                   : wlen == 12 && strncmp(word, "environment:", 12) == 0 ? &svc->environment
                   : wlen == 6 && strncmp(word, "ports:", 6) == 0         ? &svc->ports
                                                                          : NULL;
        } else if (list && indent >= 4) {
            if (strncmp(word, "- ", 2) == 0) /* a list item: command, volumes */
                *list = s_append(*list, word + 2, wlen - 2);
            else /* a mapping: environment */
                *list = s_append(*list, word, wlen);
        }
        at += len + (at[len] == '\n');
    }
    return n;
}

static void
s_services_free(s_service_t *svc, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(svc[i].command);
        free(svc[i].volumes);
        free(svc[i].environment);
        free(svc[i].ports);
    }
}

/* The key directory a service's command or environment names, or NULL. */
static const char *
s_keys_dir(const s_service_t *svc, char *buf, size_t size)
{
    const char *cmd = svc->command ? svc->command : "";
    const char *at = strstr(cmd, "--keys=");
    if (at)
        at += strlen("--keys=");
    else if ((at = strstr(cmd, "--keys\n")) != NULL)
        at += strlen("--keys\n");
    else if (svc->environment && (at = strstr(svc->environment, "DAJIA_KEYS: ")) != NULL)
        at += strlen("DAJIA_KEYS: ");
    if (!at)
        return NULL;
    snprintf(buf, size, "%.*s", (int)strcspn(at, "\n"), at);
    return buf;
}

/* The volume mounted on `dir` by `svc` ("keys" of "keys:/var/lib/dajia/keys:ro"), or
   NULL. */
static const char *
s_volume_on(const s_service_t *svc, const char *dir, char *buf, size_t size)
{
    for (const char *at = svc->volumes; at && *at; at += strcspn(at, "\n") + 1) {
        size_t len = strcspn(at, "\n");
        const char *colon = memchr(at, ':', len);
        if (!colon)
            continue;
        size_t target = strcspn(colon + 1, ":\n");
        if (target == strlen(dir) && strncmp(colon + 1, dir, target) == 0) {
            snprintf(buf, size, "%.*s", (int)(colon - at), at);
            return buf;
        }
    }
    return NULL;
}

/* What is wrong with the keys of the resolved compose file `text`, one line a problem;
   "" when nothing is. */
static const char *
s_keys_problems(const char *text)
{
    s_service_t svc[S_SERVICES_MAX];
    size_t n = s_services(text, svc);
    const char *report = "";
    /* The volumes a one-shot `dajia-ctl keys init` service makes keys in. */
    char made[S_SERVICES_MAX][64];
    size_t nmade = 0;
    for (size_t i = 0; i < n; i++) {
        /* As one line: the items of an exec form, or one shell string. */
        char *cmd = harness_autofree(harness_strf("%s", svc[i].command ? svc[i].command : ""));
        for (char *c = cmd; *c; c++)
            if (*c == '\n')
                *c = ' ';
        const char *init = strstr(cmd, "dajia-ctl keys init --dir ");
        if (!init)
            continue;
        init += strlen("dajia-ctl ");
        char dir[256];
        snprintf(dir, sizeof dir, "%.*s", (int)strcspn(init + 16, " \n"), init + 16);
        if (s_volume_on(&svc[i], dir, made[nmade], sizeof made[nmade]))
            nmade++;
    }
    size_t speaking = 0;
    for (size_t i = 0; i < n; i++) {
        if (!svc[i].command || !strstr(svc[i].command, "tcp://"))
            continue;
        speaking++;
        char dir[256], volume[64];
        if (!s_keys_dir(&svc[i], dir, sizeof dir)) {
            report = harness_autofree(
                harness_strf("%sservice %s speaks tcp without keys\n", report, svc[i].name));
            continue;
        }
        if (!s_volume_on(&svc[i], dir, volume, sizeof volume)) {
            report = harness_autofree(
                harness_strf("%sservice %s: its keys %s are on no volume it mounts\n", report,
                             svc[i].name, dir));
            continue;
        }
        bool known = false;
        for (size_t k = 0; k < nmade && !known; k++)
            known = strcmp(made[k], volume) == 0;
        if (!known)
            report = harness_autofree(
                harness_strf("%sservice %s: no one-shot `dajia-ctl keys init` service makes the "
                             "keys in volume %s\n",
                             report, svc[i].name, volume));
    }
    if (speaking == 0)
        report = harness_autofree(harness_strf("%sno service speaks tcp at all\n", report));
    s_services_free(svc, n);
    return report;
}

static void
test_every_service_that_speaks_tcp_uses_the_keys(void **state)
{
    (void)state;
    harness_result_t run = s_compose(DAJIA_COMPOSE_FILE, NULL, NULL);
    assert_int_equal(run.status, 0);
    const char *problems = s_keys_problems(run.out);
    if (*problems)
        fail_msg("%s opens doors:\n%s", DAJIA_COMPOSE_FILE, problems);
    /* The broker binds every interface, which it does only with keys. */
    assert_non_null(strstr(run.out, "--api=tcp://0.0.0.0:7400"));
    assert_non_null(strstr(run.out, "condition: service_completed_successfully"));
}

/* The item after `option` in a "\n"-joined command, into buf; NULL when absent. */
static const char *
s_option(const char *command, const char *option, char *buf, size_t size)
{
    char *item = harness_autofree(harness_strf("%s\n", option));
    for (const char *at = command; at && *at; at += strcspn(at, "\n") + 1)
        if (strncmp(at, item, strlen(item)) == 0) {
            at += strlen(item);
            snprintf(buf, size, "%.*s", (int)strcspn(at, "\n"), at);
            return buf;
        }
    return NULL;
}

/* What is wrong with the dashboards and the published ports of the resolved compose file
   `text`, one line a problem; "" when nothing is. Sets *dashboards to how many services
   run dajia-dash. */
static const char *
s_dashboard_problems(const char *text, size_t *dashboards)
{
    s_service_t svc[S_SERVICES_MAX];
    size_t n = s_services(text, svc);
    const char *report = "";
    *dashboards = 0;
    for (size_t i = 0; i < n; i++) {
        /* "127.0.0.1:7400:7400/tcp"; without a host address the long syntax, whose
           "published: 7480" line is the port opened on every interface. */
        for (const char *p = svc[i].ports; p && *p; p += strcspn(p, "\n") + 1) {
            int len = (int)strcspn(p, "\n");
            if (strncmp(p, "127.0.0.1:", 10) == 0 || strncmp(p, "target: ", 8) == 0 ||
                strncmp(p, "protocol: ", 10) == 0 || strncmp(p, "mode: ", 6) == 0)
                continue;
            report = harness_autofree(
                harness_strf("%sservice %s publishes a port beyond the host's loopback: %.*s\n",
                             report, svc[i].name, len, p));
        }
        const char *cmd = svc[i].command ? svc[i].command : "";
        if (strncmp(cmd, "dajia-dash\n", 11) != 0)
            continue;
        ++*dashboards;
        char http[128], buf[256];
        if (!s_option(cmd, "--http", http, sizeof http))
            snprintf(http, sizeof http, "127.0.0.1:7480"); /* its default */
        bool loopback = strncmp(http, "127.", 4) == 0 || strncmp(http, "localhost:", 10) == 0 ||
                        strncmp(http, "[::1]:", 6) == 0;
        bool guarded = s_option(cmd, "--tls-cert", buf, sizeof buf) &&
                       s_option(cmd, "--tls-key", buf, sizeof buf) &&
                       s_option(cmd, "--users", buf, sizeof buf);
        if (!loopback && !guarded)
            report = harness_autofree(
                harness_strf("%sservice %s: dajia-dash serves %s without TLS and HTTP users\n",
                             report, svc[i].name, http));
        if (loopback && strcmp(svc[i].network, "host") != 0)
            report = harness_autofree(
                harness_strf("%sservice %s: dajia-dash serves loopback inside its container, "
                             "where nothing reaches it\n",
                             report, svc[i].name));
    }
    s_services_free(svc, n);
    return report;
}

static void
test_dashboard_serves_the_hosts_loopback_with_the_dashboard_key(void **state)
{
    (void)state;
    harness_result_t run = s_compose(DAJIA_COMPOSE_FILE, NULL, NULL);
    assert_int_equal(run.status, 0);
    size_t dashboards = 0;
    const char *problems = s_dashboard_problems(run.out, &dashboards);
    if (*problems)
        fail_msg("%s opens doors:\n%s", DAJIA_COMPOSE_FILE, problems);
    assert_int_equal(dashboards, 1);
    s_service_t svc[S_SERVICES_MAX];
    size_t n = s_services(run.out, svc);
    const s_service_t *dash = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(svc[i].name, "dashboard") == 0)
            dash = &svc[i];
    assert_non_null(dash);
    char buf[256];
    /* The public feed with the dashboard key, on the host's 127.0.0.1:7480, from the
       ports the broker publishes there. */
    assert_string_equal(s_option(dash->command, "--name", buf, sizeof buf), "dashboard");
    assert_string_equal(s_option(dash->command, "--http", buf, sizeof buf), "127.0.0.1:7480");
    assert_string_equal(s_option(dash->command, "--feed", buf, sizeof buf), "tcp://127.0.0.1:7403");
    assert_string_equal(s_option(dash->command, "--broker", buf, sizeof buf),
                        "tcp://127.0.0.1:7400");
    assert_non_null(strstr(run.out, "- 127.0.0.1:7403:7403/tcp"));
    assert_non_null(strstr(run.out, "- 127.0.0.1:7400:7400/tcp"));
    /* Its view kept on a volume of its own. */
    const char *state_dir = s_option(dash->command, "--state", buf, sizeof buf);
    assert_non_null(state_dir);
    char volume[64];
    assert_string_equal(s_volume_on(dash, state_dir, volume, sizeof volume), "dashboard-state");
    s_services_free(svc, n);
}

static void
test_open_dashboards_are_caught(void **state)
{
    (void)state;
    harness_result_t run = s_compose_scratch(
        "version: \"3.8\"\n"
        "services:\n"
        "  wide:\n"
        "    image: dajia\n"
        "    command: [dajia-dash, --http, \"0.0.0.0:7480\"]\n"
        "    ports: [\"7480:7480\"]\n"
        "  guarded:\n"
        "    image: dajia\n"
        "    command: [dajia-dash, --http, \"0.0.0.0:7480\", --tls-cert, /c, --tls-key, /k,\n"
        "              --users, /u]\n"
        "    ports: [\"127.0.0.1:7481:7480\"]\n"
        "  unreachable:\n"
        "    image: dajia\n"
        "    command: [dajia-dash]\n"
        "  host:\n"
        "    image: dajia\n"
        "    network_mode: host\n"
        "    command: [dajia-dash, --http, \"127.0.0.1:7480\"]\n",
        NULL);
    assert_int_equal(run.status, 0);
    size_t dashboards = 0;
    assert_string_equal(s_dashboard_problems(run.out, &dashboards),
                        "service unreachable: dajia-dash serves loopback inside its container, "
                        "where nothing reaches it\n"
                        "service wide publishes a port beyond the host's loopback: "
                        "published: 7480\n"
                        "service wide: dajia-dash serves 0.0.0.0:7480 without TLS and HTTP "
                        "users\n");
    assert_int_equal(dashboards, 4);
}

static void
test_keyless_service_is_caught(void **state)
{
    (void)state;
    harness_result_t run = s_compose_scratch(
        "version: \"3.8\"\n"
        "services:\n"
        "  keys:\n"
        "    image: dajia\n"
        "    command: [dajia-ctl, keys, init, --dir, /k]\n"
        "    volumes: [\"keys:/k\"]\n"
        "  broker:\n"
        "    image: dajia\n"
        "    command: [dajia-broker, \"--keys=/k\", \"--api=tcp://0.0.0.0:7400\"]\n"
        "    volumes: [\"keys:/k:ro\"]\n"
        "  open:\n"
        "    image: dajia\n"
        "    command: [dajia-broker, --api, \"tcp://0.0.0.0:7400\", --insecure]\n"
        "  nowhere:\n"
        "    image: dajia\n"
        "    command: [dajia-worker, --broker, \"tcp://broker:7401\", --keys, /k]\n"
        "  other:\n"
        "    image: dajia\n"
        "    environment: {DAJIA_KEYS: /o}\n"
        "    command: [dajia-sim, --broker, \"tcp://broker:7400\"]\n"
        "    volumes: [\"other:/o:ro\"]\n"
        "  quiet:\n"
        "    image: dajia\n"
        "    command: [sleep, \"1\"]\n"
        "volumes:\n"
        "  keys:\n"
        "  other:\n",
        NULL);
    assert_int_equal(run.status, 0);
    assert_string_equal(s_keys_problems(run.out),
                        "service nowhere: its keys /k are on no volume it mounts\n"
                        "service open speaks tcp without keys\n"
                        "service other: no one-shot `dajia-ctl keys init` service makes the "
                        "keys in volume other\n");
}

static void
test_broken_compose_file_is_caught(void **state)
{
    (void)state;
    /* The check above must be able to fail: a service with an unknown key. */
    harness_result_t run = s_compose_scratch(
        "version: \"3.8\"\nservices:\n  broker:\n    image: dajia\n    no_such_key: 1\n", "-q");
    assert_int_not_equal(run.status, 0);
}

static int
s_teardown(void **state)
{
    (void)state;
    harness_autofree_all();
    return 0;
}

int
main(void)
{
    if (!s_in_path(S_COMPOSE)) {
        fprintf(stderr, "%s is not in PATH: the Compose file was not checked\n", S_COMPOSE);
        return S_NOT_RUN;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_compose_file_validates, s_teardown),
        cmocka_unit_test_teardown(test_compose_file_has_broker_workers_simulator_and_data_volume,
                                  s_teardown),
        cmocka_unit_test_teardown(test_every_service_that_speaks_tcp_uses_the_keys, s_teardown),
        cmocka_unit_test_teardown(test_keyless_service_is_caught, s_teardown),
        cmocka_unit_test_teardown(test_dashboard_serves_the_hosts_loopback_with_the_dashboard_key,
                                  s_teardown),
        cmocka_unit_test_teardown(test_open_dashboards_are_caught, s_teardown),
        cmocka_unit_test_teardown(test_broken_compose_file_is_caught, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
