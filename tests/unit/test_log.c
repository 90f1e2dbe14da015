/*  test_log: the log line's format (ISO 8601 local time with its zone, level, program),
    checked in a fixed zone, and that a line is written whole to standard error; the
    rate limit of lines that repeat (once, then a line with a count every interval),
    also with threads logging at one site at once.
*/
#include <pthread.h>
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

/* Sends stderr to a fresh unlinked file; returns its descriptor, *saved the old stderr. */
static int
s_redirect(int *saved)
{
    char path[] = "/tmp/dajia-test-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    fflush(stderr);
    *saved = dup(STDERR_FILENO);
    assert_true(*saved >= 0);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    return fd;
}

/* Puts stderr back and returns what went to `fd` (caller frees). */
static char *
s_restore(int fd, int saved)
{
    dup2(saved, STDERR_FILENO);
    close(saved);
    off_t size = lseek(fd, 0, SEEK_END);
    char *text = calloc(1, (size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(pread(fd, text, (size_t)size, 0), size);
    close(fd);
    return text;
}

/* Runs dajia_log with stderr sent to a file, returns what it wrote (caller frees). */
static char *
s_capture(dajia_log_level_t level, const char *message)
{
    int saved;
    int fd = s_redirect(&saved);
    dajia_log(level, "%s", message);
    return s_restore(fd, saved);
}

static size_t
s_count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *at = text; (at = strstr(at, needle)) != NULL; at += strlen(needle))
        n++;
    return n;
}

/* The sum of every "(N more since" in `text`. */
static uint64_t
s_more(const char *text)
{
    uint64_t sum = 0;
    for (const char *at = text; (at = strstr(at, " (")) != NULL; at += 2) {
        char *end = NULL;
        unsigned long long n = strtoull(at + 2, &end, 10);
        if (end != at + 2 && strncmp(end, " more since the last such line)", 31) == 0)
            sum += n;
    }
    return sum;
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

static void
test_limited_line_once_then_a_count_per_interval(void **state)
{
    (void)state;
    static dajia_log_limit_t limit = {.every_ms = 300};
    int saved;
    int fd = s_redirect(&saved);
    for (int i = 0; i < 1000; i++)
        dajia_log_limited(&limit, DAJIA_LOG_ERROR, "store refused batch %d", i);
    usleep(400 * 1000);
    dajia_log_limited(&limit, DAJIA_LOG_ERROR, "store refused batch %d", 1000);
    dajia_log_limited(&limit, DAJIA_LOG_ERROR, "store refused batch %d", 1001);
    char *text = s_restore(fd, saved);
    /* The first, then one after the interval carrying the 999 left out between. */
    assert_int_equal(s_count(text, "\n"), 2);
    assert_non_null(strstr(text, " error dajia-test: store refused batch 0\n"));
    assert_non_null(strstr(text, "store refused batch 1000 (999 more since the last such line)\n"));
    assert_int_equal(atomic_load(&limit.suppressed), 1); /* 1001, for the next line */
    free(text);
}

static void
test_limited_suffix_survives_a_long_message(void **state)
{
    (void)state;
    /* a second apart: the second line falls inside it even on a loaded machine */
    static dajia_log_limit_t limit = {.every_ms = 1000};
    char *big = malloc(10000);
    assert_non_null(big);
    memset(big, 'x', 9999);
    big[9999] = '\0';
    int saved;
    int fd = s_redirect(&saved);
    dajia_log_limited(&limit, DAJIA_LOG_WARNING, "%s", big);
    dajia_log_limited(&limit, DAJIA_LOG_WARNING, "%s", big); /* counted: within the second */
    usleep(1100 * 1000);
    dajia_log_limited(&limit, DAJIA_LOG_WARNING, "%s", big);
    char *text = s_restore(fd, saved);
    assert_int_equal(s_count(text, "\n"), 2);
    assert_non_null(strstr(text, "x (1 more since the last such line)\n"));
    assert_true(strlen(strrchr(text, 'T')) < 4097);
    free(text);
    free(big);
}

#define T_THREADS    4
#define T_PER_THREAD 20000

static dajia_log_limit_t s_shared = {.every_ms = 20};

static void *
s_hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < T_PER_THREAD; i++) {
        dajia_log_limited(&s_shared, DAJIA_LOG_WARNING, "peer sent a bad frame %d", i);
        if (i % 1000 == 0)
            usleep(1000);
    }
    return NULL;
}

static void
test_limited_from_threads_counts_every_line(void **state)
{
    (void)state;
    int saved;
    int fd = s_redirect(&saved);
    pthread_t threads[T_THREADS];
    for (int i = 0; i < T_THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, s_hammer, NULL), 0);
    for (int i = 0; i < T_THREADS; i++)
        pthread_join(threads[i], NULL);
    char *text = s_restore(fd, saved);
    /* Every call is either a line or counted in one (or still pending): none lost. */
    uint64_t lines = s_count(text, "\n");
    assert_int_equal(s_count(text, "peer sent a bad frame"), lines);
    assert_int_equal(lines + s_more(text) + atomic_load(&s_shared.suppressed),
                     (uint64_t)T_THREADS * T_PER_THREAD);
    /* A few lines, not tens of thousands: the run lasts well under a second. */
    assert_true(lines >= 1);
    assert_true(lines < 500);
    free(text);
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
        cmocka_unit_test(test_limited_line_once_then_a_count_per_interval),
        cmocka_unit_test(test_limited_suffix_survives_a_long_message),
        cmocka_unit_test(test_limited_from_threads_counts_every_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
