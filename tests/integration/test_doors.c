/*  Integration: no open doors (issue 10, findings 4 and 5). The broker refuses to start
    on an endpoint nobody guards, and says why and what to do instead:
    - without keys, an endpoint other hosts may reach (tcp on 0.0.0.0 or on every
      interface): the api, the feeds and the workers endpoint alike;
    - with keys, an abstract ipc endpoint (ipc://@NAME), which has no file whose mode
      could keep other local users out, and would give each the role "local".
    broker/insecure (--insecure, DAJIA_INSECURE=1) opens such an endpoint anyway, with a
    warning at every start. The refused endpoints are never bound, so no test here opens
    a port beyond loopback; the insecure start is shown on an abstract ipc endpoint.
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

#define S_STR(...)   ((char *)harness_autofree(harness_strf(__VA_ARGS__)))
#define S_REFUSAL_MS 20000 /* a refused broker exits at once; an old one would serve on */
#define S_ARGS_MAX   24

typedef harness_fixture_t fixture_t;

static int
s_setup(void **state)
{
    return harness_fixture_setup_keys(state, "psb");
}

/* Runs the broker with `args` (NULL-terminated) after --data, and `env`, expecting it
   to refuse: exit 1 at once, no READY, and a line on stderr that names `endpoint`,
   says "refusing" and shows the way out, --insecure. Returns its stderr. */
static const char *
s_expect_refusal(fixture_t *fx, const char *const *args, const char *const *env,
                 const char *endpoint)
{
    const char *argv[S_ARGS_MAX] = {DAJIA_BROKER_BIN, "--data", fx->data};
    size_t n = 3;
    for (size_t i = 0; args[i]; i++) {
        assert_true(n < S_ARGS_MAX - 1);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    harness_opts_t opts = {env, true};
    harness_result_t run;
    assert_int_equal(harness_run(argv, &opts, S_REFUSAL_MS, &run), 0);
    const char *err = S_STR("%s", run.err);
    const char *out = S_STR("%s", run.out);
    int status = run.status;
    harness_result_free(&run);
    if (status != 1 || strstr(out, "READY"))
        fail_msg("the broker did not refuse %s (status %d%s); stdout:\n%s\nstderr:\n%s", endpoint,
                 status, status == -1 ? ": still serving when stopped" : "", out, err);
    const char *line = strstr(err, "refusing to listen");
    if (!line || !strstr(line, endpoint) || !strstr(line, "--insecure"))
        fail_msg("no sentence refusing %s with the way out in:\n%s", endpoint, err);
    return err;
}

static void
test_without_keys_every_endpoint_beyond_loopback_is_refused(void **state)
{
    fixture_t *fx = *state;
    const char *api[] = {"--api", "tcp://0.0.0.0:*", NULL};
    const char *err = s_expect_refusal(fx, api, NULL, "the api on tcp://0.0.0.0:*");
    assert_non_null(strstr(err, "--keys"));
    const char *office[] = {"--api", "tcp://127.0.0.1:*", "--office", "tcp://*:*", NULL};
    s_expect_refusal(fx, office, NULL, "the office feed on tcp://*:*");
    const char *public_feed[] = {"--api", "tcp://127.0.0.1:*", "--public", "tcp://0.0.0.0:*", NULL};
    s_expect_refusal(fx, public_feed, NULL, "the public feed on tcp://0.0.0.0:*");
    /* The workers endpoint too: a rogue worker there would get every unit's events. */
    const char *workers[] = {"--api",     "tcp://127.0.0.1:*", "--external-workers",
                             "--workers", "tcp://0.0.0.0:*",   NULL};
    s_expect_refusal(fx, workers, NULL, "the workers on tcp://0.0.0.0:*");
    /* As docker-compose.yml had it, set by the environment. */
    const char *env[] = {"DAJIA_API=tcp://0.0.0.0:*", "DAJIA_OFFICE=tcp://127.0.0.1:*",
                         "DAJIA_PUBLIC=tcp://127.0.0.1:*", NULL};
    const char *none[] = {NULL};
    s_expect_refusal(fx, none, env, "the api on tcp://0.0.0.0:*");
}

static void
test_with_keys_an_abstract_ipc_endpoint_is_refused(void **state)
{
    fixture_t *fx = *state;
    const char *api = S_STR("ipc://@dajia-doors-%d", (int)getpid());
    const char *args[] = {"--keys", fx->keys, "--api", api, NULL};
    const char *err = s_expect_refusal(fx, args, NULL, S_STR("the api on %s", api));
    assert_non_null(strstr(err, "abstract"));
    const char *feed = S_STR("ipc://@dajia-doors-office-%d", (int)getpid());
    const char *office[] = {"--keys",   fx->keys, "--api", "tcp://127.0.0.1:*",
                            "--office", feed,     NULL};
    s_expect_refusal(fx, office, NULL, S_STR("the office feed on %s", feed));
}

/* --insecure (or DAJIA_INSECURE=1) opens it, and the broker says so at every start. */
static void
test_insecure_opens_it_with_a_warning_at_every_start(void **state)
{
    fixture_t *fx = *state;
    const char *api = S_STR("ipc://@dajia-doors-%d", (int)getpid());
    for (int start = 0; start < 2; start++) {
        const char *flag[] = {DAJIA_BROKER_BIN, "--data", fx->data,     "--keys", fx->keys,
                              "--api",          api,      "--insecure", NULL};
        const char *plain[] = {DAJIA_BROKER_BIN, "--data", fx->data, "--keys",
                               fx->keys,         "--api",  api,      NULL};
        const char *env[] = {"DAJIA_INSECURE=1", NULL};
        harness_opts_t opts = {start == 0 ? NULL : env, true};
        assert_int_equal(harness_proc_start(start == 0 ? flag : plain, &opts, &fx->broker), 0);
        char endpoint[256];
        if (harness_proc_wait_ready(fx->broker, HARNESS_READY_TIMEOUT_MS, endpoint,
                                    sizeof endpoint) != 0)
            fail_msg("no READY with broker/insecure: %s", harness_proc_stderr(fx->broker));
        assert_string_equal(endpoint, api);
        const char *warning = strstr(harness_proc_stderr(fx->broker), " warning dajia-broker: ");
        if (!warning || !strstr(warning, "INSECURE") || !strstr(warning, api))
            fail_msg("start %d: no warning about %s:\n%s", start + 1, api,
                     harness_proc_stderr(fx->broker));
        assert_int_equal(harness_proc_stop(fx->broker), 0);
        harness_proc_destroy(&fx->broker);
    }
}

/* The defaults open no door and say nothing about doors. */
static void
test_loopback_and_ipc_paths_start_without_a_word(void **state)
{
    fixture_t *fx = *state;
    const char *sock = S_STR("ipc://%s/api.sock", fx->dir);
    const char *cases[][8] = {
        {DAJIA_BROKER_BIN, "--data", fx->data, "--api", "tcp://127.0.0.1:*", NULL},
        {DAJIA_BROKER_BIN, "--data", fx->data, "--api", sock, "--keys", fx->keys, NULL},
        {DAJIA_BROKER_BIN, "--data", fx->data, "--api", "tcp://127.0.0.1:*", "--keys", fx->keys,
         NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        harness_opts_t opts = {NULL, true};
        assert_int_equal(harness_proc_start(cases[i], &opts, &fx->broker), 0);
        char endpoint[256];
        if (harness_proc_wait_ready(fx->broker, HARNESS_READY_TIMEOUT_MS, endpoint,
                                    sizeof endpoint) != 0)
            fail_msg("%s did not start: %s", cases[i][4], harness_proc_stderr(fx->broker));
        assert_int_equal(harness_proc_stop(fx->broker), 0);
        if (strstr(harness_proc_stderr(fx->broker), "INSECURE"))
            fail_msg("a warning for %s:\n%s", cases[i][4], harness_proc_stderr(fx->broker));
        harness_proc_destroy(&fx->broker);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_without_keys_every_endpoint_beyond_loopback_is_refused,
                                        s_setup, harness_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_with_keys_an_abstract_ipc_endpoint_is_refused, s_setup,
                                        harness_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_insecure_opens_it_with_a_warning_at_every_start,
                                        s_setup, harness_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_loopback_and_ipc_paths_start_without_a_word, s_setup,
                                        harness_fixture_teardown),
    };
    return cmocka_run_group_tests_name("integration.doors", tests, NULL, NULL);
}
