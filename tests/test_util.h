/*  test_util: what the unit and integration tests share.

    assert_ok(expr) fails the test with the expression, the code and its sentence
    (dajia_strerror) when `expr` is not 0, like nng's NUTS_PASS. The directory helpers
    give each test a fresh directory under $TMPDIR (/tmp when unset, or when too long for
    an ipc:// path inside it) and remove it with everything in it; the store helpers do
    the same with a store opened there, for tests of code that runs over one.

    assert_ok calls cmocka's fail_msg: a file that uses it includes <cmocka.h> too.
*/
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stddef.h>

#include "dajia_error.h"
#include "store.h"

/* Room for a directory made here: "$TMPDIR/dajia-<name>-XXXXXX" (TMPDIR at most 40
   bytes, name at most 16) plus a little for what a test appends. */
#define TEST_UTIL_DIR_MAX 96

#define assert_ok(expr)                                                                            \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != 0)                                                                              \
            fail_msg("%s: %s (%d)", #expr, dajia_strerror(rc_), rc_);                              \
    } while (0)

/* Makes a fresh directory "$TMPDIR/dajia-<name>-XXXXXX" (mode 0700) and writes its path
   into `dir` (`size` bytes). Returns 0, -ENAMETOOLONG when it does not fit, or -errno. */
int
test_util_dir_make(char *dir, size_t size, const char *name);

/* Removes `path` and everything under it (rm -rf, without following links). Returns 0
   (also when `path` does not exist), or -errno of the first failure. */
int
test_util_dir_remove(const char *path);

/* test_util_dir_make, then store_open with the defaults there. Returns 0 and sets
 *store, or a code (the directory is removed again). */
int
test_util_store_make(char *dir, size_t size, const char *name, store_t **store);

/* Closes *store (may be NULL; sets it NULL) and removes `dir`. Returns as
   test_util_dir_remove. */
int
test_util_store_remove(store_t **store, const char *dir);

#endif
