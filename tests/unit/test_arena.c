/*  Unit tests for dajia_arena: unpacking into an arena, spilling, reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dajia.pb-c.h"
#include "dajia_arena.h"
#include "dajia_codec.h"

static size_t
s_pack_case(uint8_t *buf, const char *case_no, const char *big)
{
    Dajia__CaseReport report = DAJIA__CASE_REPORT__INIT;
    report.case_no = (char *)case_no;
    report.case_name = (char *)big;
    report.category = DAJIA__CASE_CATEGORY__CASE_CATEGORY_OTHER;
    report.stage = DAJIA__CASE_STAGE__CASE_STAGE_FILED;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = "e-1";
    env.unit = "psb";
    env.occurred_at = 1764403200000LL;
    env.body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
    env.case_report = &report;
    return dajia__envelope__pack(&env, buf);
}

static void
test_unpacked_message_lives_in_the_arena_until_reset(void **state)
{
    (void)state;
    uint8_t buf[1024];
    size_t len = s_pack_case(buf, "C-1", "a name");
    dajia_arena_t *arena = dajia_arena_new(4096);
    assert_non_null(arena);
    for (int round = 0; round < 1000; round++) { /* reuse never grows memory */
        Dajia__Envelope *env = dajia__envelope__unpack(dajia_arena_allocator(arena), len, buf);
        assert_non_null(env);
        assert_string_equal(env->case_report->case_no, "C-1");
        assert_string_equal(env->unit, "psb");
        dajia_arena_reset(arena);
    }
    dajia_arena_destroy(&arena);
    assert_null(arena);
    dajia_arena_destroy(&arena); /* accepts NULL */
}

static void
test_allocations_beyond_the_block_spill_and_are_freed(void **state)
{
    (void)state;
    char *big = malloc(20000);
    memset(big, 'x', 19999);
    big[19999] = '\0';
    uint8_t *buf = malloc(21000);
    size_t len = s_pack_case(buf, "C-2", big);
    dajia_arena_t *arena = dajia_arena_new(256); /* far too small: spills */
    Dajia__Envelope *env = dajia__envelope__unpack(dajia_arena_allocator(arena), len, buf);
    assert_non_null(env);
    assert_int_equal(strlen(env->case_report->case_name), 19999);
    dajia_arena_reset(arena); /* LeakSanitizer checks the spill */
    dajia_arena_destroy(&arena);
    free(buf);
    free(big);
}

static void
test_decode_with_arena_validates_like_decode(void **state)
{
    (void)state;
    uint8_t buf[1024];
    size_t len = s_pack_case(buf, "", "no case number");
    dajia_arena_t *arena = dajia_arena_new(4096);
    Dajia__Envelope *env = NULL;
    dajia_verdict_t verdict;
    assert_int_equal(dajia_envelope_decode_with(buf, len, NULL, 1764403200000LL, NULL, NULL,
                                                dajia_arena_allocator(arena), &env, &verdict),
                     -1);
    assert_null(env);
    assert_int_equal(verdict.reason, DAJIA__REASON__REASON_MISSING_FIELD);
    assert_non_null(strstr(verdict.text, "case_no"));
    dajia_arena_reset(arena);
    len = s_pack_case(buf, "C-3", "ok");
    assert_int_equal(dajia_envelope_decode_with(buf, len, NULL, 1764403200000LL, NULL, NULL,
                                                dajia_arena_allocator(arena), &env, &verdict),
                     0);
    assert_string_equal(env->case_report->case_no, "C-3");
    dajia_arena_destroy(&arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unpacked_message_lives_in_the_arena_until_reset),
        cmocka_unit_test(test_allocations_beyond_the_block_spill_and_are_freed),
        cmocka_unit_test(test_decode_with_arena_validates_like_decode),
    };
    return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
