/*  Integration: docker-compose.yml is a valid Compose file with the services we ship.

    No Docker engine runs here, so the file is checked by `docker-compose config`, which
    parses and validates it without one. docker-compose is an optional external tool
    (Debian package docker-compose; scripts/setup installs it): where it is not in PATH
    the program exits with S_NOT_RUN, which ctest reports as not run (SKIP_RETURN_CODE in
    CMakeLists.txt), never as passed. The Dockerfile the services build is checked by
    test_dockerfile.c, which needs no tool.
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
    const char *want[] = {"broker\n", "aggregate\n", "escalate\n", "circulate\n", "simulator\n"};
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

static void
test_broken_compose_file_is_caught(void **state)
{
    (void)state;
    /* The check above must be able to fail: a service with an unknown key. */
    char *dir = harness_autofree(harness_tmpdir_new());
    assert_non_null(dir);
    char *file = harness_autofree(harness_strf("%s/docker-compose.yml", dir));
    FILE *out = fopen(file, "w");
    assert_non_null(out);
    fputs("version: \"3.8\"\nservices:\n  broker:\n    image: dajia\n    no_such_key: 1\n", out);
    fclose(out);
    harness_result_t run = s_compose(file, "-q", NULL);
    harness_rm_rf(dir);
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
        cmocka_unit_test_teardown(test_broken_compose_file_is_caught, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
