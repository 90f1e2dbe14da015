/*  test_office_output: reading back what `dajia-office watch` wrote to a file, so that
    the item it was writing when it was killed is not written twice, nor cut.
*/
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "office_output.h"

#define T_LINE "{\"feed_seq\":\"42\",\"escalation\":{\"rule\":\"E3\"}}\n"

/* A temporary file holding `text` (unlinked); returns a descriptor reading it. */
static int
s_file(const char *text)
{
    char path[] = "/tmp/dajia-test-output-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(office_output_write(fd, text, strlen(text)), 0);
    return fd;
}

/* office_output_written on a file holding `text`, for T_LINE. */
static size_t
s_written(const char *text, bool *newline)
{
    int fd = s_file(text);
    size_t done = office_output_written(fd, T_LINE, strlen(T_LINE), newline);
    close(fd);
    return done;
}

static void
test_whole_line_at_the_end_was_written(void **state)
{
    (void)state;
    bool nl = true;
    size_t len = strlen(T_LINE);
    assert_int_equal(s_written("{\"feed_seq\":\"41\"}\n" T_LINE, &nl), len);
    assert_false(nl);
    assert_int_equal(s_written(T_LINE, &nl), len); /* the whole file */
    assert_false(nl);
}

static void
test_other_lines_at_the_end_mean_not_written(void **state)
{
    (void)state;
    bool nl = true;
    assert_int_equal(s_written("", &nl), 0);
    assert_false(nl);
    assert_int_equal(s_written("{\"feed_seq\":\"41\"}\n", &nl), 0);
    assert_false(nl);
    /* The line must begin a line: the same bytes glued to another are not it. */
    assert_int_equal(s_written("x" T_LINE, &nl), 0);
    /* The line, then something after it: written earlier, this is not the moment. */
    assert_int_equal(s_written(T_LINE "{\"feed_seq\":\"43\"}\n", &nl), 0);
}

static void
test_unfinished_line_is_finished_or_left(void **state)
{
    (void)state;
    bool nl = true;
    /* A write cut short: the first 10 bytes are there, the rest is to come. */
    char cut[64];
    snprintf(cut, sizeof cut, "{\"feed_seq\":\"41\"}\n%.10s", T_LINE);
    assert_int_equal(s_written(cut, &nl), 10);
    assert_false(nl);
    snprintf(cut, sizeof cut, "%.10s", T_LINE); /* alone in the file */
    assert_int_equal(s_written(cut, &nl), 10);
    /* An unfinished line of something else: not ours; start a new line. */
    assert_int_equal(s_written("{\"feed_seq\":\"41\"}\nsomething else", &nl), 0);
    assert_true(nl);
    assert_int_equal(s_written("{\"feed_seq\":\"41\"}\n{\"feed_seq\":\"9", &nl), 0);
    assert_true(nl);
}

static void
test_reader_only_for_a_regular_file(void **state)
{
    (void)state;
    int fd = s_file("abc\n");
    int reader = office_output_reader(fd);
    assert_true(reader >= 0);
    bool nl;
    assert_int_equal(office_output_written(reader, "abc\n", 4, &nl), 4);
    close(reader);
    close(fd);
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    assert_int_equal(office_output_reader(pipefd[1]), -1);
    close(pipefd[0]);
    close(pipefd[1]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_line_at_the_end_was_written),
        cmocka_unit_test(test_other_lines_at_the_end_mean_not_written),
        cmocka_unit_test(test_unfinished_line_is_finished_or_left),
        cmocka_unit_test(test_reader_only_for_a_regular_file),
    };
    return cmocka_run_group_tests_name("unit.office_output", tests, NULL, NULL);
}
