/*  Unit tests for broker_config: defaults, file, environment, flags, validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker_config.h"
#include "broker_wakeup.h"
#include "test_util.h"
#include "worker_keys.h"

static char s_dir[TEST_UTIL_DIR_MAX];

static int
setup(void **state)
{
    (void)state;
    assert_ok(test_util_dir_make(s_dir, sizeof s_dir, "config"));
    unsetenv("DAJIA_API");
    unsetenv("DAJIA_DATA");
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    int rc = test_util_dir_remove(s_dir);
    unsetenv("DAJIA_API");
    unsetenv("DAJIA_DATA");
    return rc == 0 ? 0 : -1;
}

static const char *
s_write_config(const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/dajia.cfg", s_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void
test_defaults_serve_one_machine_with_23_units(void **state)
{
    (void)state;
    broker_config_t *config = NULL;
    char err[256] = "";
    assert_int_equal(broker_config_load(NULL, &config, err, sizeof err), 0);
    assert_string_equal(broker_config_get(config, "broker/api"), "tcp://127.0.0.1:7400");
    assert_string_equal(broker_config_get(config, "broker/data"), "./var/broker");
    assert_int_equal(broker_config_member_count(config), 23);
    assert_true(broker_config_is_member(config, "psb"));
    assert_true(broker_config_is_member(config, "procuratorate"));
    assert_false(broker_config_is_member(config, "nobody"));
    assert_false(broker_config_is_member(config, ""));
    assert_int_equal(broker_config_validate(config, err, sizeof err), 0);
    broker_config_destroy(&config);
    assert_null(config);
}

static void
test_file_then_env_then_flag_override(void **state)
{
    (void)state;
    const char *path = s_write_config("broker\n    api = \"ipc://from-file\"\n"
                                      "    data = \"/tmp/from-file\"\n");
    setenv("DAJIA_DATA", "/tmp/from-env", 1);
    broker_config_t *config = NULL;
    char err[256] = "";
    assert_int_equal(broker_config_load(path, &config, err, sizeof err), 0);
    assert_string_equal(broker_config_get(config, "broker/api"), "ipc://from-file");
    assert_string_equal(broker_config_get(config, "broker/data"), "/tmp/from-env");
    assert_int_equal(broker_config_set(config, "broker/data", "/tmp/from-flag"), 0);
    assert_string_equal(broker_config_get(config, "broker/data"), "/tmp/from-flag");
    assert_int_equal(broker_config_set(config, "broker/nonsense", "x"), -1);
    broker_config_destroy(&config);
}

static void
test_members_section_replaces_the_default_list(void **state)
{
    (void)state;
    const char *path = s_write_config("members\n    psb\n        name = \"Police\"\n"
                                      "    customs\n");
    broker_config_t *config = NULL;
    char err[256] = "";
    assert_int_equal(broker_config_load(path, &config, err, sizeof err), 0);
    assert_int_equal(broker_config_member_count(config), 2);
    assert_true(broker_config_is_member(config, "customs"));
    assert_false(broker_config_is_member(config, "msa"));
    broker_config_destroy(&config);
}

static void
test_worker_sections_are_left_to_the_workers(void **state)
{
    (void)state;
    const char *path = s_write_config("escalate\n    value_major_fen = 1000\n"
                                      "circulate\n    period_seconds = 60\n"
                                      "broker\n    api = \"ipc://x\"\n");
    broker_config_t *config = NULL;
    char err[256] = "";
    assert_int_equal(broker_config_load(path, &config, err, sizeof err), 0);
    assert_string_equal(broker_config_get(config, "broker/api"), "ipc://x");
    assert_int_equal(broker_config_member_count(config), 23);
    assert_string_equal(broker_config_member(config, 0), "agri"); /* in code order */
    assert_null(broker_config_member(config, 23));
    broker_config_destroy(&config);
}

static void
test_unknown_key_in_file_is_named(void **state)
{
    (void)state;
    const char *path = s_write_config("broker\n    apu = \"tcp://x\"\n");
    broker_config_t *config = NULL;
    char err[256] = "";
    assert_int_equal(broker_config_load(path, &config, err, sizeof err), -1);
    assert_null(config);
    assert_non_null(strstr(err, "broker/apu"));
}

static void
test_missing_file_is_an_error(void **state)
{
    (void)state;
    broker_config_t *config = NULL;
    char err[256] = "";
    assert_int_equal(broker_config_load("/nonexistent/dajia.cfg", &config, err, sizeof err), -1);
    assert_non_null(strstr(err, "no such configuration file"));
}

static void
test_sizes_take_suffixes_and_refuse_words(void **state)
{
    (void)state;
    broker_config_t *config = NULL;
    char err[256] = "";
    size_t value = 0;
    assert_int_equal(broker_config_load(NULL, &config, err, sizeof err), 0);
    broker_config_set(config, "broker/map_size", "64M");
    assert_int_equal(broker_config_size(config, "broker/map_size", &value, err, sizeof err), 0);
    assert_int_equal(value, 64u << 20);
    broker_config_set(config, "broker/map_size", "2k");
    assert_int_equal(broker_config_size(config, "broker/map_size", &value, err, sizeof err), 0);
    assert_int_equal(value, 2048);
    broker_config_set(config, "broker/map_size", "lots");
    assert_int_equal(broker_config_size(config, "broker/map_size", &value, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a size"));
    assert_int_equal(broker_config_validate(config, err, sizeof err), -1);
    broker_config_set(config, "broker/map_size", "-5");
    assert_int_equal(broker_config_size(config, "broker/map_size", &value, err, sizeof err), -1);
    broker_config_destroy(&config);
}

static void
test_validate_refuses_bad_endpoint_and_limits(void **state)
{
    (void)state;
    broker_config_t *config = NULL;
    char err[256] = "";
    assert_int_equal(broker_config_load(NULL, &config, err, sizeof err), 0);
    broker_config_set(config, "broker/api", "localhost:7400");
    assert_int_equal(broker_config_validate(config, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a ZeroMQ endpoint"));
    broker_config_set(config, "broker/api", "tcp://127.0.0.1:7400");
    broker_config_set(config, "broker/batch_max", "0");
    assert_int_equal(broker_config_validate(config, err, sizeof err), -1);
    assert_non_null(strstr(err, "batch_max"));
    broker_config_destroy(&config);
}

/* broker/cpu_wakeup_us: off by default, a whole number of microseconds when set. */
static void
test_cpu_wakeup_is_off_unless_set_to_microseconds(void **state)
{
    (void)state;
    broker_config_t *config = NULL;
    char err[256] = "";
    int32_t us = 7;
    assert_int_equal(broker_config_load(NULL, &config, err, sizeof err), 0);
    assert_int_equal(broker_config_wakeup_us(config, &us, err, sizeof err), 0);
    assert_int_equal(us, -1);
    broker_config_set(config, "broker/cpu_wakeup_us", "0");
    assert_int_equal(broker_config_wakeup_us(config, &us, err, sizeof err), 0);
    assert_int_equal(us, 0);
    broker_config_set(config, "broker/cpu_wakeup_us", "50");
    assert_int_equal(broker_config_validate(config, err, sizeof err), 0);
    static const char *const bad[] = {"-1", "1k", "fast", "1000001", "5us"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        broker_config_set(config, "broker/cpu_wakeup_us", bad[i]);
        assert_int_equal(broker_config_validate(config, err, sizeof err), -1);
        assert_non_null(strstr(err, "cpu_wakeup_us"));
    }
    broker_config_destroy(&config);
}

/* The request is the bound as a binary 32-bit number, held while the descriptor is
   open; a device that cannot be written is an error, with nothing held. A file stands
   in for the device. */
static void
test_cpu_wakeup_request_writes_the_bound(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/qos", s_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    close(fd);
    fd = broker_wakeup_request(path, 20);
    assert_true(fd >= 0);
    broker_wakeup_release(&fd);
    assert_int_equal(fd, -1);
    broker_wakeup_release(&fd); /* twice is harmless */
    int32_t written = 0;
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(&written, sizeof written, 1, f), 1);
    fclose(f);
    assert_int_equal(written, 20);
    unlink(path);
    assert_int_equal(broker_wakeup_request(path, 0), -ENOENT);
    assert_int_equal(broker_wakeup_request(path, -1), -EINVAL);
}

static void
test_print_config_shows_every_key_and_member(void **state)
{
    (void)state;
    broker_config_t *config = NULL;
    char err[256] = "";
    assert_int_equal(broker_config_load(NULL, &config, err, sizeof err), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    broker_config_print(config, out);
    fclose(out);
    for (const broker_config_key_t *k = broker_config_keys(); k->path; k++) {
        assert_non_null(strstr(text, k->env));
        assert_non_null(strstr(text, k->flag));
    }
    assert_non_null(strstr(text, "procuratorate"));
    /* what it prints is itself a configuration file the broker reads back */
    const char *path = s_write_config(text);
    broker_config_t *again = NULL;
    assert_int_equal(broker_config_load(path, &again, err, sizeof err), 0);
    assert_int_equal(broker_config_member_count(again), 23);
    assert_string_equal(broker_config_get(again, "broker/api"),
                        broker_config_get(config, "broker/api"));
    broker_config_destroy(&again);
    free(text);
    broker_config_destroy(&config);
}

/* broker/region: the first 2, 4 or 6 digits of an administrative code, 4115 (Xinyang)
   unless set; anything else stops the start, naming the key. */
static void
test_region_is_a_prefix_of_administrative_codes(void **state)
{
    (void)state;
    broker_config_t *config = NULL;
    char err[256] = "";
    assert_int_equal(broker_config_load(NULL, &config, err, sizeof err), 0);
    assert_string_equal(broker_config_get(config, "broker/region"), "4115");
    static const char *const good[] = {"41", "4115", "411502"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        broker_config_set(config, "broker/region", good[i]);
        assert_int_equal(broker_config_validate(config, err, sizeof err), 0);
    }
    static const char *const bad[] = {"", "4", "411", "41150", "4115021", "Xinyang", "41-15"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        broker_config_set(config, "broker/region", bad[i]);
        assert_int_equal(broker_config_validate(config, err, sizeof err), -1);
        assert_non_null(strstr(err, "broker/region"));
        assert_non_null(strstr(err, "2, 4 or 6 digits"));
    }
    broker_config_destroy(&config);
    const char *path = s_write_config("broker\n    region = \"410\"\n");
    assert_int_equal(broker_config_load(path, &config, err, sizeof err), 0);
    assert_int_equal(broker_config_validate(config, err, sizeof err), -1);
    assert_non_null(strstr(err, "broker/region = \"410\""));
    broker_config_destroy(&config);
}

/* What dajia-broker --print-config writes (its keys and members, then each worker's
   section: worker_keys_print) is one file that the broker and each worker read back. */
static void
test_print_config_with_worker_sections_reads_back(void **state)
{
    (void)state;
    broker_config_t *config = NULL;
    char err[512] = "";
    assert_int_equal(broker_config_load(NULL, &config, err, sizeof err), 0);
    broker_config_set(config, "broker/region", "41");
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    broker_config_print(config, out);
    worker_settings_t *settings = worker_settings_new();
    assert_int_equal(worker_settings_set(settings, "circulate/members", "psb,msa"), 0);
    for (size_t i = 0; i < WORKER_KEYS_SERVICES; i++)
        worker_keys_print(settings, worker_keys_services[i], out);
    worker_settings_destroy(&settings);
    fclose(out);
    const char *path = s_write_config(text);
    broker_config_t *again = NULL;
    assert_int_equal(broker_config_load(path, &again, err, sizeof err), 0);
    assert_int_equal(broker_config_validate(again, err, sizeof err), 0);
    assert_string_equal(broker_config_get(again, "broker/region"), "41");
    broker_config_destroy(&again);
    for (size_t i = 0; i < WORKER_KEYS_SERVICES; i++) {
        settings = worker_settings_new();
        if (worker_settings_load(settings, path, worker_keys_services[i], err, sizeof err) != 0)
            fail_msg("%s: %s", worker_keys_services[i], err);
        worker_settings_destroy(&settings);
    }
    settings = worker_settings_new();
    assert_int_equal(worker_settings_load(settings, path, "escalate", err, sizeof err), 0);
    assert_int_equal(worker_settings_int(settings, "escalate/deadline_filing_hours", 0), 360);
    worker_settings_destroy(&settings);
    free(text);
    broker_config_destroy(&config);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults_serve_one_machine_with_23_units, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_file_then_env_then_flag_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_members_section_replaces_the_default_list, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_worker_sections_are_left_to_the_workers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key_in_file_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sizes_take_suffixes_and_refuse_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validate_refuses_bad_endpoint_and_limits, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cpu_wakeup_is_off_unless_set_to_microseconds, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cpu_wakeup_request_writes_the_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print_config_shows_every_key_and_member, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_region_is_a_prefix_of_administrative_codes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_print_config_with_worker_sections_reads_back, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("broker_config", tests, NULL, NULL);
}
