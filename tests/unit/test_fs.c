/*  test_fs: creating directories with their parents and syncing a directory (dajia_fs).

    A path of missing parents is made whole with the mode asked for; an existing
    directory is fine; a file where a directory should be, or an empty path, is refused;
    a directory syncs, a missing one does not.
*/
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dajia_fs.h"
#include "test_util.h"

typedef struct {
    char root[TEST_UTIL_DIR_MAX];
} s_fixture_t;

static int
s_setup(void **state)
{
    static s_fixture_t fx;
    if (test_util_dir_make(fx.root, sizeof fx.root, "fs") != 0)
        return -1;
    *state = &fx;
    return 0;
}

static int
s_teardown(void **state)
{
    s_fixture_t *fx = *state;
    return test_util_dir_remove(fx->root) == 0 ? 0 : -1;
}

static mode_t
s_mode(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    return st.st_mode & 0777;
}

static void
test_mkdir_p_makes_parents_with_mode(void **state)
{
    s_fixture_t *fx = *state;
    char parent[TEST_UTIL_DIR_MAX + 16], path[TEST_UTIL_DIR_MAX + 32];
    snprintf(parent, sizeof parent, "%s/a/b", fx->root);
    snprintf(path, sizeof path, "%s/a/b/c/", fx->root); /* a trailing slash too */
    mode_t old = umask(0);
    int rc = dajia_fs_mkdir_p(path, 0750);
    umask(old);
    assert_ok(rc);
    assert_int_equal(s_mode(path), 0750);
    assert_int_equal(s_mode(parent), 0750);
    /* Once more: an existing directory is fine. */
    assert_ok(dajia_fs_mkdir_p(path, 0700));
    assert_ok(dajia_fs_sync_dir(path));
}

static void
test_mkdir_p_refuses_a_file_and_nothing(void **state)
{
    s_fixture_t *fx = *state;
    char file[TEST_UTIL_DIR_MAX + 16], below[TEST_UTIL_DIR_MAX + 32];
    snprintf(file, sizeof file, "%s/file", fx->root);
    snprintf(below, sizeof below, "%s/file/sub", fx->root);
    int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(dajia_fs_mkdir_p(file, 0700), -ENOTDIR);
    assert_int_equal(dajia_fs_mkdir_p(below, 0700), -ENOTDIR);
    assert_int_equal(dajia_fs_mkdir_p("", 0700), -EINVAL);
    assert_int_equal(dajia_fs_mkdir_p(NULL, 0700), -EINVAL);
}

static void
test_sync_dir_needs_a_directory(void **state)
{
    s_fixture_t *fx = *state;
    char missing[TEST_UTIL_DIR_MAX + 16];
    snprintf(missing, sizeof missing, "%s/missing", fx->root);
    assert_ok(dajia_fs_sync_dir(fx->root));
    assert_int_equal(dajia_fs_sync_dir(missing), -ENOENT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mkdir_p_makes_parents_with_mode, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_mkdir_p_refuses_a_file_and_nothing, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_sync_dir_needs_a_directory, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
