/*  test_util: temporary directories and stores for the tests, one copy instead of one
    per test file.

    Removal walks the tree with nftw (depth first, not following links) instead of
    running "rm -rf" through a shell, so a path with a quote in it cannot go wrong and a
    failure comes back as a code.
*/
#include "test_util.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ipc:// paths must fit in sun_path (108 bytes): a longer TMPDIR falls back to /tmp. */
#define S_TMPDIR_MAX 40

int
test_util_dir_make(char *dir, size_t size, const char *name)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp || strlen(tmp) > S_TMPDIR_MAX)
        tmp = "/tmp";
    int n = snprintf(dir, size, "%s/dajia-%s-XXXXXX", tmp, name);
    if (n < 0 || (size_t)n >= size)
        return -ENAMETOOLONG;
    return mkdtemp(dir) ? 0 : -errno;
}

/* nftw has no argument for its callback: the first failure of the walk in progress. */
static _Thread_local int s_remove_error;

static int
s_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0 && s_remove_error == 0)
        s_remove_error = -errno;
    return 0;
}

int
test_util_dir_remove(const char *path)
{
    s_remove_error = 0;
    if (nftw(path, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && s_remove_error == 0)
        s_remove_error = errno == ENOENT ? 0 : -errno;
    return s_remove_error;
}

int
test_util_store_make(char *dir, size_t size, const char *name, store_t **store)
{
    int rc = test_util_dir_make(dir, size, name);
    if (rc)
        return rc;
    rc = store_open(dir, NULL, store);
    if (rc)
        test_util_dir_remove(dir);
    return rc;
}

int
test_util_store_remove(store_t **store, const char *dir)
{
    store_destroy(store);
    return test_util_dir_remove(dir);
}
