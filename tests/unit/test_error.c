/*  test_error.c: the one error space (proto/dajia_error).

    The checks walk the tables the registry exports, which the header's lists make, so a
    code added to the list is checked without touching this file: every code is unique,
    lies in its own module's block (outside errno's range, LMDB's and every other
    block), and has a sentence of its own rather than the unknown-code fallback.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dajia_error.h"
#include "test_util.h"

/* LMDB's own codes (MDB_KEYEXIST .. MDB_LAST_ERRCODE): store.c maps them, never returns
   them, and no module block may cover them. */
#define TEST_MDB_FIRST (-30799)
#define TEST_MDB_LAST  (-30780)

#define TEST_UNKNOWN "unknown error"

static bool
s_is_fallback(const char *text)
{
    return strncmp(text, TEST_UNKNOWN, strlen(TEST_UNKNOWN)) == 0;
}

/* The block of `module`, or NULL. */
static const dajia_error_module_t *
s_module(const char *module)
{
    size_t count = 0;
    const dajia_error_module_t *modules = dajia_error_modules(&count);
    for (size_t i = 0; i < count; i++)
        if (strcmp(modules[i].module, module) == 0)
            return &modules[i];
    return NULL;
}

static bool
s_in_block(const dajia_error_module_t *m, int code)
{
    return code <= m->base && code > m->base - DAJIA_ERROR_BLOCK;
}

static void
test_blocks_lie_outside_errno_and_lmdb_and_each_other(void **state)
{
    (void)state;
    size_t count = 0;
    const dajia_error_module_t *modules = dajia_error_modules(&count);
    assert_true(count >= 6);
    for (size_t i = 0; i < count; i++) {
        const dajia_error_module_t *m = &modules[i];
        int low = m->base - DAJIA_ERROR_BLOCK + 1;
        if (m->base >= -DAJIA_ERROR_ERRNO_MAX)
            fail_msg("module %s: block at %d overlaps errno", m->module, m->base);
        if (low <= TEST_MDB_FIRST && m->base >= TEST_MDB_LAST)
            fail_msg("module %s: block at %d overlaps LMDB's codes", m->module, m->base);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(modules[j].module, m->module) == 0)
                fail_msg("module %s is listed twice", m->module);
            if (s_in_block(&modules[j], m->base) || s_in_block(&modules[j], low))
                fail_msg("modules %s and %s overlap", modules[j].module, m->module);
        }
    }
}

static void
test_every_code_is_unique_in_its_block_and_named(void **state)
{
    (void)state;
    size_t count = 0;
    const dajia_error_code_t *codes = dajia_error_codes(&count);
    assert_true(count > 0);
    for (size_t i = 0; i < count; i++) {
        const dajia_error_code_t *c = &codes[i];
        const dajia_error_module_t *m = s_module(c->module);
        if (!m)
            fail_msg("%s: module %s has no block", c->name, c->module);
        if (!s_in_block(m, c->code))
            fail_msg("%s (%d) is outside the block of %s (%d ..)", c->name, c->code, c->module,
                     m->base);
        for (size_t j = 0; j < i; j++) {
            if (codes[j].code == c->code)
                fail_msg("%s and %s are both %d", codes[j].name, c->name, c->code);
            if (strcmp(codes[j].name, c->name) == 0)
                fail_msg("%s is listed twice", c->name);
            /* Two codes of one module with one sentence: a reader could not tell them
               apart. (Modules may share one: each says the same of libzmq's CURVE.) */
            if (strcmp(codes[j].module, c->module) == 0 && strcmp(codes[j].text, c->text) == 0)
                fail_msg("%s and %s have the same sentence", codes[j].name, c->name);
        }
        assert_non_null(c->text);
        assert_true(strlen(c->text) > 0);
        const char *text = dajia_strerror(c->code);
        if (s_is_fallback(text) || strcmp(text, c->text) != 0)
            fail_msg("%s: dajia_strerror says \"%s\"", c->name, text);
    }
}

/* The collision this registry was made for: two modules had -30950. */
static void
test_feed_and_outbox_codes_differ(void **state)
{
    (void)state;
    assert_int_not_equal(BROKER_FEED_MALFORMED, AGENT_OUTBOX_WRONG_UNIT);
    assert_true(s_in_block(s_module("broker_feed"), BROKER_FEED_MALFORMED));
    assert_true(s_in_block(s_module("agent_outbox"), AGENT_OUTBOX_WRONG_UNIT));
    assert_true(s_in_block(s_module("office_follow"), OFFICE_FOLLOW_TIMEOUT));
    assert_true(OFFICE_FOLLOW_TIMEOUT < -DAJIA_ERROR_ERRNO_MAX);
}

static void
test_strerror_of_success_errno_and_unknown_codes(void **state)
{
    (void)state;
    assert_string_equal(dajia_strerror(0), "success");
    assert_string_equal(dajia_strerror(-ENOENT), strerror(ENOENT));
    assert_string_equal(dajia_strerror(-ETIMEDOUT), strerror(ETIMEDOUT));
    /* Not a code: the fallback, with the number to grep for. */
    assert_string_equal(dajia_strerror(-30950), "unknown error -30950");
    assert_string_equal(dajia_strerror(-99999), "unknown error -99999");
    assert_string_equal(dajia_strerror(12345), "unknown error 12345");
    assert_true(s_is_fallback(dajia_strerror(-4000))); /* errno's range, but no errno */
    assert_true(s_is_fallback(dajia_strerror(TEST_MDB_FIRST)));
    /* A bad code says so however it is spelt, and never NULL. */
    const int odd[] = {1, -DAJIA_ERROR_ERRNO_MAX - 1, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        assert_non_null(dajia_strerror(odd[i]));
        assert_true(s_is_fallback(dajia_strerror(odd[i])));
    }
}

static void
test_dir_helpers_make_and_remove_a_tree(void **state)
{
    (void)state;
    char dir[TEST_UTIL_DIR_MAX];
    assert_ok(test_util_dir_make(dir, sizeof dir, "error"));
    char path[TEST_UTIL_DIR_MAX + 32];
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/sub/file", dir);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fclose(file);
    assert_ok(test_util_dir_remove(dir));
    assert_int_equal(access(dir, F_OK), -1);
    assert_ok(test_util_dir_remove(dir)); /* already gone: nothing to do */
    char tiny[8];
    assert_int_equal(test_util_dir_make(tiny, sizeof tiny, "error"), -ENAMETOOLONG);
}

static void
test_store_helpers_open_and_remove_a_store(void **state)
{
    (void)state;
    char dir[TEST_UTIL_DIR_MAX];
    store_t *store = NULL;
    assert_ok(test_util_store_make(dir, sizeof dir, "error", &store));
    assert_non_null(store);
    assert_ok(test_util_store_remove(&store, dir));
    assert_null(store);
    assert_int_equal(access(dir, F_OK), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_lie_outside_errno_and_lmdb_and_each_other),
        cmocka_unit_test(test_every_code_is_unique_in_its_block_and_named),
        cmocka_unit_test(test_feed_and_outbox_codes_differ),
        cmocka_unit_test(test_strerror_of_success_errno_and_unknown_codes),
        cmocka_unit_test(test_dir_helpers_make_and_remove_a_tree),
        cmocka_unit_test(test_store_helpers_open_and_remove_a_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
