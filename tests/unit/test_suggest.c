/*  test_suggest: "did you mean ...?" (dajia_suggest).

    Near misses of keys, enum values, Chinese column names and unit codes find their
    word; words far from every candidate find none; the nearest wins, the first on a tie.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dajia_suggest.h"

static const char *
s_best(const char *word, const char *const *candidates)
{
    dajia_suggest_t s;
    dajia_suggest_init(&s, word);
    for (size_t i = 0; candidates[i]; i++)
        dajia_suggest_add(&s, candidates[i]);
    return dajia_suggest_best(&s);
}

static void
test_near_misses_found(void **state)
{
    (void)state;
    const char *const keys[] = {"case_no",   "case_name", "case_value_fen", "category", "stage",
                                "sales_fen", NULL};
    assert_string_equal(s_best("case_value", keys), "case_value_fen");
    assert_string_equal(s_best("catgeory", keys), "category");
    assert_string_equal(s_best("Stage", keys), "stage");
    assert_string_equal(s_best("case_nr", keys), "case_no");
    const char *const stages[] = {"clue", "filed", "investigating", "closed", NULL};
    assert_string_equal(s_best("filled", stages), "filed");
    assert_string_equal(s_best("fiiled", stages), "filed");
    const char *const columns[] = {"案件编号", "案件名称", "案值（元）", "立案日期", NULL};
    assert_string_equal(s_best("案件编码", columns), "案件编号");
}

static void
test_far_words_find_nothing(void **state)
{
    (void)state;
    const char *const keys[] = {"case_no", "stage", "region", NULL};
    assert_null(s_best("xyz", keys));
    assert_null(s_best("stage", keys)); /* the word itself */
    assert_null(s_best("", keys));
    const char *const units[] = {"customs", "psb", "msa", NULL};
    assert_null(s_best("信阳海关", units));
}

static void
test_distance(void **state)
{
    (void)state;
    assert_int_equal(dajia_suggest_distance("filed", "filled"), 1);
    assert_int_equal(dajia_suggest_distance("abcd", "abdc"), 1);
    assert_int_equal(dajia_suggest_distance("ABC", "abc"), 0);
    assert_int_equal(dajia_suggest_distance("案件编号", "案件编码"), 1);
    assert_int_equal(dajia_suggest_distance("", "abc"), 3);
    assert_int_equal(dajia_suggest_distance("\xFF", "abc"), -1);
    char longer[100];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(dajia_suggest_distance(longer, "a"), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_near_misses_found),
        cmocka_unit_test(test_far_words_find_nothing),
        cmocka_unit_test(test_distance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
