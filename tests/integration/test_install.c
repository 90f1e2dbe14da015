/*  Integration: `make install` into a temporary root (issue 12, part 3).

    `cmake --install <this build> --prefix /usr` with DESTDIR set to a fresh directory
    puts the programs, the default configuration, the man pages, the documentation, the
    systemd units and the sysusers and tmpfiles entries where a Debian system has them.
    Then, inside that root: the installed programs answer --version with this build's
    version; the installed broker reads the installed configuration; `man` renders every
    man page, and finds dajia-agent's by name on a MANPATH; `systemd-analyze verify
    --root` finds nothing to say about the units (the root gets the host's targets and
    slices and a /bin/kill, as a real system has them); and installing again keeps a
    configuration file the administrator has edited.
*/
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#ifndef DAJIA_BUILD_DIR
#error "DAJIA_BUILD_DIR must be defined by the build"
#endif
#ifndef DAJIA_CMAKE_COMMAND
#error "DAJIA_CMAKE_COMMAND must be defined by the build"
#endif
#ifndef DAJIA_PROJECT_VERSION
#error "DAJIA_PROJECT_VERSION must be defined by the build"
#endif
#ifndef DAJIA_HAS_DASH
#error "DAJIA_HAS_DASH must be defined by the build"
#endif

#define S_STR(...) ((char *)harness_autofree(harness_strf(__VA_ARGS__)))

/* Where systemd keeps its own units on Debian (/lib is /usr/lib on bookworm). */
#define S_SYSTEMD_UNITS "/lib/systemd/system"

static const char *const s_programs[] = {
    "dajia-broker", "dajia-agent", "dajia-worker", "dajia-office",
    "dajia-sim",    "dajia-ctl",   "dajia-bench",  DAJIA_HAS_DASH ? "dajia-dash" : NULL,
};
#define S_PROGRAMS (sizeof s_programs / sizeof s_programs[0])

/* The directory installed into. */
typedef harness_fixture_t fixture_t;

static harness_result_t
s_run(const char *const *argv, const char *const *env)
{
    harness_result_t run;
    assert_int_equal(harness_run_env_autofree(argv, env, &run), 0);
    return run;
}

static harness_result_t
s_sh(const char *cmd)
{
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    return s_run(argv, NULL);
}

/* The whole file at `path` (lives until the teardown). */
static char *
s_read(const char *path)
{
    FILE *file = fopen(path, "r");
    if (!file)
        fail_msg("%s was not installed: %s", path, strerror(errno));
    char *text = harness_autofree(calloc(1, 1 << 20));
    size_t n = fread(text, 1, (1 << 20) - 1, file);
    text[n] = 0;
    fclose(file);
    return text;
}

static void
s_install(const fixture_t *fx)
{
    const char *argv[] = {DAJIA_CMAKE_COMMAND, "--install", DAJIA_BUILD_DIR,
                          "--prefix",          "/usr",      NULL};
    const char *env[] = {S_STR("DESTDIR=%s", fx->dir), NULL};
    harness_result_t run = s_run(argv, env);
    if (run.status != 0)
        fail_msg("cmake --install exited %d:\n%s%s", run.status, run.out, run.err);
}

static void
s_contains(const char *what, const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("%s has no \"%s\":\n%.3000s", what, needle, text);
}

static void
test_install_programs_config_and_docs(void **state)
{
    fixture_t *fx = *state;
    s_install(fx);
    for (size_t i = 0; i < S_PROGRAMS && s_programs[i]; i++) {
        char *path = S_STR("%s/usr/bin/%s", fx->dir, s_programs[i]);
        if (access(path, X_OK) != 0)
            fail_msg("%s is not installed as a program: %s", path, strerror(errno));
    }
    const char *version[] = {S_STR("%s/usr/bin/dajia-agent", fx->dir), "--version", NULL};
    harness_result_t run = s_run(version, NULL);
    assert_int_equal(run.status, 0);
    s_contains("dajia-agent --version", run.out,
               "dajia-agent " DAJIA_PROJECT_VERSION " (revision ");

    /* The configuration: an installed system's paths, and the installed broker reads it. */
    char *conf_path = S_STR("%s/etc/dajia/dajia.conf", fx->dir);
    char *conf = s_read(conf_path);
    s_contains("dajia.conf", conf, "data = \"/var/lib/dajia/broker\"");
    s_contains("dajia.conf", conf, "keys = \"/etc/dajia/keys\"");
    const char *check[] = {S_STR("%s/usr/bin/dajia-broker", fx->dir), "-c", conf_path,
                           "--print-config", NULL};
    run = s_run(check, NULL);
    if (run.status != 0)
        fail_msg("the installed broker does not read the installed dajia.conf:\n%s", run.err);
    s_contains("--print-config", run.out, "/var/lib/dajia/broker");

    s_contains("README.md", s_read(S_STR("%s/usr/share/doc/dajia/README.md", fx->dir)),
               "## Install");
    s_read(S_STR("%s/usr/share/doc/dajia/docs/domain.md", fx->dir));
    s_contains("sysusers.d", s_read(S_STR("%s/usr/lib/sysusers.d/dajia.conf", fx->dir)), "u dajia");
    s_contains("tmpfiles.d", s_read(S_STR("%s/usr/lib/tmpfiles.d/dajia.conf", fx->dir)),
               "d /etc/dajia/keys 0700 dajia dajia");

    /* Installing again keeps what the administrator changed. */
    FILE *file = fopen(conf_path, "a");
    assert_non_null(file);
    fputs("# edited by the administrator\n", file);
    fclose(file);
    s_install(fx);
    s_contains("the kept dajia.conf", s_read(conf_path), "# edited by the administrator");
    s_contains("dajia.conf.new", s_read(S_STR("%s.new", conf_path)), "/var/lib/dajia/broker");
}

static void
test_install_man_pages_render(void **state)
{
    fixture_t *fx = *state;
    s_install(fx);
    const char *env[] = {"MANPAGER=cat", "PAGER=cat", "MANWIDTH=80", "LC_ALL=C.UTF-8", NULL};
    for (size_t i = 0; i < S_PROGRAMS && s_programs[i]; i++) {
        const char *argv[] = {"man", "-l",
                              S_STR("%s/usr/share/man/man1/%s.1", fx->dir, s_programs[i]), NULL};
        harness_result_t run = s_run(argv, env);
        if (run.status != 0 || !strstr(run.out, "NAME") || !strstr(run.out, "SEE ALSO") ||
            !strstr(run.out, s_programs[i]))
            fail_msg("man -l %s.1: exit %d\n%s%s", s_programs[i], run.status, run.out, run.err);
    }
    /* By name, as `man dajia-agent` finds it once the root is the system. */
    const char *env_path[] = {"MANPAGER=cat",
                              "PAGER=cat",
                              "MANWIDTH=80",
                              "LC_ALL=C.UTF-8",
                              S_STR("MANPATH=%s/usr/share/man", fx->dir),
                              NULL};
    const char *argv[] = {"man", "dajia-agent", NULL};
    harness_result_t run = s_run(argv, env_path);
    if (run.status != 0)
        fail_msg("man dajia-agent: exit %d\n%s", run.status, run.err);
    s_contains("man dajia-agent", run.out, "keys import");
    s_contains("man dajia-agent", run.out, "DAJIA_BROKER");
}

static void
test_install_units_pass_systemd_analyze_verify(void **state)
{
    fixture_t *fx = *state;
    s_install(fx);
    char *units = S_STR("%s/usr/lib/systemd/system", fx->dir);
    char *broker = s_read(S_STR("%s/dajia-broker.service", units));
    s_contains("dajia-broker.service", broker,
               "ExecStart=/usr/bin/dajia-broker -c "
               "/etc/dajia/dajia.conf");
    const char *hardening[] = {"User=dajia",         "ProtectSystem=strict", "NoNewPrivileges=yes",
                               "Restart=on-failure", "StateDirectory=dajia", "Type=exec"};
    for (size_t i = 0; i < sizeof hardening / sizeof hardening[0]; i++)
        s_contains("dajia-broker.service", broker, hardening[i]);
    s_contains("dajia-worker@.service", s_read(S_STR("%s/dajia-worker@.service", units)),
               "ExecStart=/usr/bin/dajia-worker --service %i");
    char *dash = S_STR("%s/dajia-dash.service", units);
    if (DAJIA_HAS_DASH)
        s_contains("dajia-dash.service", s_read(dash), "--http 127.0.0.1:7480");
    else
        assert_int_not_equal(access(dash, F_OK), 0); /* no unit for a program not built */

    /* What a system has around the units: systemd's targets and slices, and /bin/kill
       (merged /usr: /bin is usr/bin). */
    harness_result_t run = s_sh(S_STR("cp -n " S_SYSTEMD_UNITS "/*.target " S_SYSTEMD_UNITS
                                      "/*.slice '%s'/ && ln -s usr/bin '%s/bin' && cp "
                                      "/bin/kill '%s/usr/bin/kill'",
                                      units, fx->dir, fx->dir));
    if (run.status != 0)
        fail_msg("cannot prepare the root for systemd-analyze:\n%s", run.err);
    const char *argv[] = {"systemd-analyze",
                          "verify",
                          S_STR("--root=%s", fx->dir),
                          "--man=no",
                          "/usr/lib/systemd/system/dajia-broker.service",
                          "/usr/lib/systemd/system/dajia-worker@.service",
                          "/usr/lib/systemd/system/dajia-worker@escalate.service",
                          DAJIA_HAS_DASH ? "/usr/lib/systemd/system/dajia-dash.service" : NULL,
                          NULL};
    run = s_run(argv, NULL);
    /* A warning (an unknown key, a bad value) is exit 0 with a line on stderr: a failure. */
    if (run.status != 0 || *run.err)
        fail_msg("systemd-analyze verify: exit %d\n%s%s", run.status, run.out, run.err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_install_programs_config_and_docs,
                                        harness_fixture_setup, harness_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_install_man_pages_render, harness_fixture_setup,
                                        harness_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_install_units_pass_systemd_analyze_verify,
                                        harness_fixture_setup, harness_fixture_teardown),
    };
    return cmocka_run_group_tests_name("integration.install", tests, NULL, NULL);
}
