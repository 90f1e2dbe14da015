/*  Unit tests for worker settings: defaults, overrides, loading a service's section. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker_core.h"

static void
test_unset_keys_take_the_fallback(void **state)
{
    (void)state;
    worker_settings_t *settings = worker_settings_new();
    assert_int_equal(worker_settings_int(settings, "escalate/value_major_fen", 50000000), 50000000);
    assert_string_equal(worker_settings_str(settings, "circulate/members", "psb"), "psb");
    assert_int_equal(worker_settings_set(settings, "escalate/value_major_fen", "123"), 0);
    assert_int_equal(worker_settings_int(settings, "escalate/value_major_fen", 1), 123);
    assert_int_equal(worker_settings_set(settings, "escalate/value_major_fen", "lots"), 0);
    assert_int_equal(worker_settings_int(settings, "escalate/value_major_fen", 7), 7);
    worker_settings_destroy(&settings);
    assert_null(settings);
}

static void
test_load_takes_only_the_services_section(void **state)
{
    (void)state;
    char path[] = "/tmp/dajia-settings-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("broker\n    api = \"tcp://127.0.0.1:7400\"\n"
          "escalate\n    value_major_fen = 1000\n    matter_interval_days = 10\n"
          "circulate\n    period_seconds = 60\n",
          f);
    fclose(f);
    worker_settings_t *settings = worker_settings_new();
    char err[256] = "";
    assert_int_equal(worker_settings_load(settings, path, "escalate", err, sizeof err), 0);
    assert_int_equal(worker_settings_int(settings, "escalate/value_major_fen", 0), 1000);
    assert_int_equal(worker_settings_int(settings, "escalate/matter_interval_days", 0), 10);
    assert_int_equal(worker_settings_int(settings, "circulate/period_seconds", -1), -1);
    assert_int_equal(worker_settings_load(settings, path, "aggregate", err, sizeof err), 0);
    assert_int_equal(
        worker_settings_load(settings, "/nonexistent.cfg", "escalate", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent.cfg"));
    worker_settings_destroy(&settings);
    unlink(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unset_keys_take_the_fallback),
        cmocka_unit_test(test_load_takes_only_the_services_section),
    };
    return cmocka_run_group_tests_name("worker_settings", tests, NULL, NULL);
}
