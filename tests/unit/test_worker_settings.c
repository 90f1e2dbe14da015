/*  Unit tests for worker settings: defaults, overrides, loading a service's section, and
    the checks of worker_keys.h: an unknown key or a value of the wrong form is refused
    with the key and the accepted form named; --print-config's sections list every key
    and read back; every key a core reads (found in the sources) is a known key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker_core.h"
#include "worker_keys.h"

/* Writes `text` to a new temporary file; its path goes to `path` (unlink it after). */
static void
s_file(char path[32], const char *text)
{
    snprintf(path, 32, "/tmp/dajia-settings-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Loads section `service` of a file holding `text`; returns load's result, `err` filled. */
static int
s_load_text(worker_settings_t *settings, const char *service, const char *text, char *err,
            size_t errlen)
{
    char path[32];
    s_file(path, text);
    int rc = worker_settings_load(settings, path, service, err, errlen);
    unlink(path);
    return rc;
}

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

static void
test_load_refuses_an_unknown_key_naming_it(void **state)
{
    (void)state;
    worker_settings_t *settings = worker_settings_new();
    char err[512] = "";
    assert_int_equal(
        s_load_text(settings, "escalate", "escalate\n    value_majr_fen = 1000\n", err, sizeof err),
        -1);
    assert_non_null(strstr(err, "unknown key \"escalate/value_majr_fen\""));
    assert_non_null(strstr(err, "did you mean escalate/value_major_fen?"));
    assert_non_null(strstr(err, "/tmp/dajia-settings-")); /* the file */
    /* nothing like any key: no guess */
    assert_int_equal(
        s_load_text(settings, "circulate", "circulate\n    colour = blue\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown key \"circulate/colour\"; --print-config"));
    /* another section's keys are not this worker's business */
    assert_int_equal(
        s_load_text(settings, "aggregate", "escalate\n    colour = blue\n", err, sizeof err), 0);
    /* a section inside the section */
    assert_int_equal(s_load_text(settings, "aggregate", "aggregate\n    tz\n        offset = 480\n",
                                 err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "aggregate/tz"));
    worker_settings_destroy(&settings);
}

static void
test_load_refuses_bad_values_with_the_accepted_form(void **state)
{
    (void)state;
    static const struct {
        const char *service, *line, *words;
    } bad[] = {
        {"escalate", "value_major_fen = \"500,000\"",
         "escalate/value_major_fen = \"500,000\" is not accepted: it must be a whole number of "
         "fen (1 yuan = 100 fen) from 0 up, in digits only (like 50000000)"},
        {"escalate", "value_major_fen = abc", "escalate/value_major_fen = \"abc\""},
        {"escalate", "value_major_fen = -5", "from 0 up"},
        {"escalate", "value_major_fen = 5e7", "in digits only"},
        {"escalate", "value_major_fen = \"\"", "escalate/value_major_fen = \"\""},
        {"escalate", "value_major_fen = 99999999999999999999", "from 0 up"},
        {"escalate", "e5_trademark_counterfeiting_business_fen = -1",
         "escalate/e5_trademark_counterfeiting_business_fen = \"-1\""},
        {"escalate", "matter_interval_days = 0",
         "a whole number of days from 1 to 366, in digits only (like 15)"},
        {"escalate", "matter_interval_days = \"15 days\"", "matter_interval_days"},
        {"escalate", "overdue_director_days = -7", "from 0 to 366"},
        {"escalate", "deadline_filing_hours = 0", "a whole number of hours from 1 to 8784"},
        {"escalate", "tz_offset_min = +480", "minutes east of UTC from -840 to 840"},
        {"escalate", "rules = \"E1,E9\"",
         "\"E9\" is no rule; the rules are E1 E2 E3 E4 E5 MM "
         "OVERDUE DEADLINE DQ"},
        {"escalate", "rules = DQ1", "\"DQ1\" is no rule"},
        {"escalate", "language = fr",
         "escalate/language = \"fr\" is not accepted: it must be zh or en"},
        {"escalate", "language = \"zh-CN\"", "escalate/language = \"zh-CN\""},
        {"escalate", "language = \"\"", "escalate/language = \"\""},
        {"escalate", "unit_quiet_seconds = -1", "a whole number of seconds from 0 to 31622400"},
        {"escalate", "unit_quiet_seconds = 1m", "escalate/unit_quiet_seconds = \"1m\""},
        {"aggregate", "tz_offset_min = 900", "aggregate/tz_offset_min = \"900\""},
        {"circulate", "deadline_day = 32", "from 0 to 31"},
        {"circulate", "period_seconds = \"1 minute\"", "circulate/period_seconds"},
        {"circulate", "members = \"\"", "must name at least one unit"},
        {"circulate", "members = \"psb;msa\"", "\"psb;msa\" is not a unit code"},
        {"circulate", "go_live = 2026-9",
         "circulate/go_live = \"2026-9\" is not accepted: it "
         "must be a month, the year and the month in digits (like 2026-09)"},
        {"circulate", "go_live = 2026-Q3", "circulate/go_live = \"2026-Q3\""},
        {"circulate", "go_live = \"\"", "circulate/go_live = \"\""},
        {"circulate", "language = EN", "circulate/language = \"EN\" is not accepted"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256], err[512] = "";
        snprintf(text, sizeof text, "%s\n    %s\n", bad[i].service, bad[i].line);
        worker_settings_t *settings = worker_settings_new();
        int rc = s_load_text(settings, bad[i].service, text, err, sizeof err);
        worker_settings_destroy(&settings);
        if (rc != -1)
            fail_msg("%s/%s was accepted", bad[i].service, bad[i].line);
        if (!strstr(err, bad[i].words))
            fail_msg("%s: \"%s\" does not contain \"%s\"", bad[i].line, err, bad[i].words);
    }
    /* and the good ones of the same keys */
    worker_settings_t *settings = worker_settings_new();
    char err[512] = "";
    assert_int_equal(s_load_text(settings, "escalate",
                                 "escalate\n    value_major_fen = 30000000\n"
                                 "    rules = \"E1, E3 MM\"\n    tz_offset_min = -300\n"
                                 "    overdue_remind_days = 0\n"
                                 "    e5_trademark_counterfeiting_business_fen = 0\n"
                                 "    language = en\n    unit_quiet_seconds = 0\n",
                                 err, sizeof err),
                     0);
    assert_string_equal(worker_settings_str(settings, "escalate/language", ""), "en");
    assert_int_equal(worker_settings_int(settings, "escalate/unit_quiet_seconds", -1), 0);
    assert_int_equal(
        s_load_text(settings, "escalate", "escalate\n    rules = \"E1 DQ\"\n", err, sizeof err), 0);
    /* the members section beside it is no worker's keys (worker_settings_load_members) */
    assert_int_equal(s_load_text(settings, "escalate",
                                 "members\n    psb\n        name = \"市公安局\"\n"
                                 "escalate\n    language = zh\n",
                                 err, sizeof err),
                     0);
    assert_int_equal(worker_settings_int(settings, "escalate/value_major_fen", 0), 30000000);
    assert_int_equal(worker_settings_int(settings, "escalate/tz_offset_min", 0), -300);
    assert_int_equal(s_load_text(settings, "circulate",
                                 "circulate\n    members = \"psb msa,customs\"\n"
                                 "    deadline_day = 0\n    go_live = 2026-09\n"
                                 "    language = en\n",
                                 err, sizeof err),
                     0);
    assert_string_equal(worker_settings_str(settings, "circulate/go_live", ""), "2026-09");
    assert_int_equal(
        s_load_text(settings, "escalate", "escalate\n    rules = \"\"\n", err, sizeof err), 0);
    worker_settings_destroy(&settings);
}

typedef struct {
    const char *text;
    size_t keys, missing;
} s_listed_t;

static int
s_listed(const worker_key_t *key, void *arg)
{
    s_listed_t *l = arg;
    char line[WORKER_KEY_MAX + 8];
    snprintf(line, sizeof line, "    %s = ", strchr(key->key, '/') + 1);
    l->keys++;
    if (!strstr(l->text, line))
        l->missing++;
    return 0;
}

/* Prints the section of `service` from `settings` into a new string (caller frees). */
static char *
s_print(const worker_settings_t *settings, const char *service)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    worker_keys_print(settings, service, out);
    fclose(out);
    return text;
}

/* --print-config's section of each service lists every key with its value, and is a
   file that -c reads back to the same settings (and prints the same again). */
static void
test_print_lists_every_key_and_reads_back(void **state)
{
    (void)state;
    size_t total = 0;
    for (size_t i = 0; i < WORKER_KEYS_SERVICES; i++) {
        const char *service = worker_keys_services[i];
        worker_settings_t *settings = worker_settings_new();
        char err[512] = "";
        /* a few values of its own, the rest the defaults */
        const char *own = i == 0   ? "aggregate\n    tz_offset_min = 0\n"
                          : i == 1 ? "escalate\n    value_major_fen = 1234\n"
                                     "    e5_ip_agency_gains_fen = 77\n    rules = \"E2 E5\"\n"
                                     "    language = en\n"
                                   : "circulate\n    members = \"psb,msa\"\n"
                                     "    go_live = 2026-09\n";
        assert_int_equal(s_load_text(settings, service, own, err, sizeof err), 0);
        char *text = s_print(settings, service);
        s_listed_t listed = {text, 0, 0};
        worker_keys_each(service, s_listed, &listed);
        assert_true(listed.keys > 0);
        if (listed.missing)
            fail_msg("%zu keys of %s missing from:\n%s", listed.missing, service, text);
        total += listed.keys;

        worker_settings_t *again = worker_settings_new();
        assert_int_equal(s_load_text(again, service, text, err, sizeof err), 0);
        char *text2 = s_print(again, service);
        assert_string_equal(text, text2);
        if (i == 1) {
            assert_int_equal(worker_settings_int(again, "escalate/value_major_fen", 0), 1234);
            assert_int_equal(worker_settings_int(again, "escalate/e5_ip_agency_gains_fen", 0), 77);
            assert_string_equal(worker_settings_str(again, "escalate/rules", ""), "E2 E5");
            assert_string_equal(worker_settings_str(again, "escalate/language", ""), "en");
            assert_int_equal(worker_settings_int(again, "escalate/unit_quiet_seconds", -1), 60);
            assert_int_equal(worker_settings_int(again, "escalate/matter_interval_days", 0), 15);
            assert_int_equal(
                worker_settings_int(again, "escalate/e5_trademark_counterfeiting_business_fen", 0),
                5000000);
        }
        if (i == 2) {
            assert_string_equal(worker_settings_str(again, "circulate/members", ""), "psb,msa");
            assert_string_equal(worker_settings_str(again, "circulate/go_live", ""), "2026-09");
            assert_string_equal(worker_settings_str(again, "circulate/language", ""), "zh");
        }
        free(text2);
        free(text);
        worker_settings_destroy(&again);
        worker_settings_destroy(&settings);
    }
    /* 1 + (rules, language, quiet, 2 values, 17 x 6 E5, 2 intervals, 3 overdue steps,
       6 deadlines, zone) + (6, go_live, language) */
    assert_int_equal(total, 1 + 119 + 8);
    /* unset members print as a comment: a dajia-worker's default is not the broker's */
    worker_settings_t *empty = worker_settings_new();
    char *text = s_print(empty, "circulate");
    assert_non_null(strstr(text, "    # members = "));
    assert_non_null(strstr(text, "    # go_live = "));
    free(text);
    worker_settings_destroy(&empty);
}

/* Every "service/key" literal in the sources of the workers and the broker names a key
   of worker_keys (so a key a core starts reading is listed, checked and printed). */
static void
test_every_key_a_core_reads_is_listed(void **state)
{
    (void)state;
    static const char *const dirs[] = {"workers", "broker"};
    const char *slash = strrchr(__FILE__, '/');
    int base = slash ? (int)(slash - __FILE__) : 0;
    size_t found = 0;
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%.*s/../../%s", base, __FILE__, dirs[d]);
        DIR *listing = opendir(dir);
        assert_non_null(listing);
        struct dirent *entry;
        while ((entry = readdir(listing)) != NULL) {
            size_t n = strlen(entry->d_name);
            if (n < 3 || strcmp(entry->d_name + n - 2, ".c") != 0 ||
                strcmp(entry->d_name, "worker_keys.c") == 0)
                continue;
            char path[4400];
            snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
            FILE *f = fopen(path, "r");
            assert_non_null(f);
            char line[1024];
            while (fgets(line, sizeof line, f)) {
                for (size_t i = 0; i < WORKER_KEYS_SERVICES; i++) {
                    char quote[32];
                    snprintf(quote, sizeof quote, "\"%s/", worker_keys_services[i]);
                    for (char *at = strstr(line, quote); at; at = strstr(at + 1, quote)) {
                        size_t len = strspn(at + 1, "abcdefghijklmnopqrstuvwxyz0123456789_/");
                        if (at[1 + len] != '"')
                            continue; /* a format ("e5_%s") or not a key */
                        char key[WORKER_KEY_MAX];
                        snprintf(key, sizeof key, "%.*s", (int)len, at + 1);
                        worker_key_t k;
                        if (!worker_keys_find(key, &k))
                            fail_msg("%s reads \"%s\", which worker_keys does not list", path, key);
                        found++;
                    }
                }
            }
            fclose(f);
        }
        closedir(listing);
    }
    assert_true(found >= 15); /* the scan sees the cores' keys at all */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unset_keys_take_the_fallback),
        cmocka_unit_test(test_load_takes_only_the_services_section),
        cmocka_unit_test(test_load_refuses_an_unknown_key_naming_it),
        cmocka_unit_test(test_load_refuses_bad_values_with_the_accepted_form),
        cmocka_unit_test(test_print_lists_every_key_and_reads_back),
        cmocka_unit_test(test_every_key_a_core_reads_is_listed),
    };
    return cmocka_run_group_tests_name("worker_settings", tests, NULL, NULL);
}
