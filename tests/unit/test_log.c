/*  test_log: the log line's format (ISO 8601 local time with its zone, level, program),
    checked in a fixed zone, and that a line is written whole to standard error.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dajia_log.h"

/* 2026-11-30T16:00:00.250Z */
#define T_MS 1796054400250LL

static void
s_zone(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static void
test_time_in_beijing_carries_its_offset(void **state)
{
    (void)state;
    char buf[40];
    s_zone("CST-8");
    assert_string_equal(dajia_log_format_time(T_MS, buf, sizeof buf),
                        "2026-12-01T00:00:00.250+08:00");
}

static void
test_time_in_utc_and_west_of_it(void **state)
{
    (void)state;
    char buf[40];
    s_zone("UTC0");
    assert_string_equal(dajia_log_format_time(T_MS, buf, sizeof buf),
                        "2026-11-30T16:00:00.250+00:00");
    s_zone("XST5:30"); /* 5 h 30 min west */
    assert_string_equal(dajia_log_format_time(T_MS, buf, sizeof buf),
                        "2026-11-30T10:30:00.250-05:30");
}

static void
test_time_before_1970_rounds_down(void **state)
{
    (void)state;
    char buf[40];
    s_zone("UTC0");
    assert_string_equal(dajia_log_format_time(-1, buf, sizeof buf),
                        "1969-12-31T23:59:59.999+00:00");
}

/* Runs dajia_log with stderr sent to a file, returns what it wrote (caller frees). */
static char *
s_capture(dajia_log_level_t level, const char *message)
{
    char path[] = "/tmp/dajia-test-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    dajia_log(level, "%s", message);
    dup2(saved, STDERR_FILENO);
    close(saved);
    off_t size = lseek(fd, 0, SEEK_END);
    char *text = calloc(1, (size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(pread(fd, text, (size_t)size, 0), size);
    close(fd);
    return text;
}

static void
test_line_has_time_level_program_and_message(void **state)
{
    (void)state;
    s_zone("CST-8");
    dajia_log_set_ident("dajia-test");
    char *line = s_capture(DAJIA_LOG_WARNING, "disk almost full");
    /* 2026-12-04T18:45:14.123+08:00 warning dajia-test: disk almost full\n */
    assert_int_equal(strlen(line), 29 + strlen(" warning dajia-test: disk almost full\n"));
    assert_int_equal(line[4], '-');
    assert_int_equal(line[10], 'T');
    assert_int_equal(line[19], '.');
    assert_memory_equal(line + 23, "+08:00", 6);
    assert_string_equal(line + 29, " warning dajia-test: disk almost full\n");
    free(line);
}

static void
test_long_message_is_cut_but_ends_its_line(void **state)
{
    (void)state;
    char *big = malloc(10000);
    assert_non_null(big);
    memset(big, 'x', 9999);
    big[9999] = '\0';
    char *line = s_capture(DAJIA_LOG_ERROR, big);
    size_t len = strlen(line);
    assert_true(len < 4097);
    assert_int_equal(line[len - 1], '\n');
    assert_non_null(strstr(line, " error "));
    free(line);
    free(big);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_in_beijing_carries_its_offset),
        cmocka_unit_test(test_time_in_utc_and_west_of_it),
        cmocka_unit_test(test_time_before_1970_rounds_down),
        cmocka_unit_test(test_line_has_time_level_program_and_message),
        cmocka_unit_test(test_long_message_is_cut_but_ends_its_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
