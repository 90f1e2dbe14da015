/*  test_money: amounts of money as people write them (dajia_money).

    Yuan with separators and decimals, 万元, fen, the marks a spreadsheet adds, and the
    edges: the largest amounts an int64 of fen holds, a fraction of a fen, separators in
    the wrong place.
*/
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dajia_money.h"

static int64_t
s_parse(const char *text, int64_t unit)
{
    int64_t fen = 77;
    int rc = dajia_money_parse(text, unit, &fen);
    if (rc)
        fail_msg("\"%s\" refused: %d", text, rc);
    return fen;
}

static void
test_yuan_as_people_write_it(void **state)
{
    (void)state;
    assert_int_equal(s_parse("86400.00", DAJIA_MONEY_YUAN), 8640000);
    assert_int_equal(s_parse("86,400.00", DAJIA_MONEY_YUAN), 8640000);
    assert_int_equal(s_parse("86\xEF\xBC\x8C"
                             "400",
                             DAJIA_MONEY_YUAN),
                     8640000);
    assert_int_equal(s_parse("¥86,400.5", DAJIA_MONEY_YUAN), 8640050);
    assert_int_equal(s_parse(" ￥ 1,234,567.89 元 ", DAJIA_MONEY_YUAN), 123456789);
    assert_int_equal(s_parse("RMB 0.01", DAJIA_MONEY_YUAN), 1);
    assert_int_equal(s_parse("-12.3", DAJIA_MONEY_YUAN), -1230);
    assert_int_equal(s_parse("0", DAJIA_MONEY_YUAN), 0);
}

static void
test_wan_and_fen(void **state)
{
    (void)state;
    assert_int_equal(s_parse("8.64", DAJIA_MONEY_WAN), 8640000);
    assert_int_equal(s_parse("8.64万元", DAJIA_MONEY_WAN), 8640000);
    assert_int_equal(s_parse("0.000001", DAJIA_MONEY_WAN), 1);
    assert_int_equal(s_parse("8640000", DAJIA_MONEY_FEN), 8640000);
    assert_int_equal(s_parse("8640000.00", DAJIA_MONEY_FEN), 8640000);
    assert_int_equal(s_parse("8640000分", DAJIA_MONEY_FEN), 8640000);
}

static void
test_refusals(void **state)
{
    (void)state;
    int64_t fen = 0;
    static const char *const bad[] = {"",     " ",   "abc",   "1,2345", "12,34.5",
                                      ",123", "1.",  "1..2",  "1.2.3",  "--1",
                                      "1e5",  "1 2", "12元x", "12万元"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (dajia_money_parse(bad[i], DAJIA_MONEY_YUAN, &fen) != -EINVAL)
            fail_msg("\"%s\" was not refused as no amount", bad[i]);
    assert_int_equal(dajia_money_parse("1.234", DAJIA_MONEY_YUAN, &fen), -EDOM);
    assert_int_equal(dajia_money_parse("1.5", DAJIA_MONEY_FEN, &fen), -EDOM);
    assert_int_equal(dajia_money_parse("1.230", DAJIA_MONEY_YUAN, &fen), 0);
    assert_int_equal(fen, 123);
    assert_int_equal(dajia_money_parse("1", 7, &fen), -EINVAL);
    assert_int_equal(dajia_money_parse(NULL, DAJIA_MONEY_YUAN, &fen), -EINVAL);
}

static void
test_int64_edges(void **state)
{
    (void)state;
    int64_t fen = 0;
    assert_int_equal(s_parse("92233720368547758.07", DAJIA_MONEY_YUAN), INT64_MAX);
    assert_int_equal(s_parse("-92233720368547758.08", DAJIA_MONEY_YUAN), INT64_MIN);
    assert_int_equal(dajia_money_parse("92233720368547758.08", DAJIA_MONEY_YUAN, &fen), -ERANGE);
    assert_int_equal(dajia_money_parse("99999999999999999999999", DAJIA_MONEY_YUAN, &fen), -ERANGE);
    assert_int_equal(dajia_money_parse("9223372036854775808", DAJIA_MONEY_FEN, &fen), -ERANGE);
}

static void
test_format_yuan(void **state)
{
    (void)state;
    char buf[DAJIA_MONEY_TEXT_MAX];
    assert_string_equal(dajia_money_format_yuan(8640000, buf, sizeof buf), "86,400.00");
    assert_string_equal(dajia_money_format_yuan(-5, buf, sizeof buf), "-0.05");
    assert_string_equal(dajia_money_format_yuan(0, buf, sizeof buf), "0.00");
    assert_string_equal(dajia_money_format_yuan(123456789, buf, sizeof buf), "1,234,567.89");
    assert_string_equal(dajia_money_format_yuan(INT64_MIN, buf, sizeof buf),
                        "-92,233,720,368,547,758.08");
    assert_string_equal(dajia_money_format_yuan(8640000, buf, 5), "");
    /* What it writes reads back. */
    for (int64_t v = -100001; v < 100001; v += 997) {
        int64_t back = 0;
        assert_int_equal(
            dajia_money_parse(dajia_money_format_yuan(v, buf, sizeof buf), DAJIA_MONEY_YUAN, &back),
            0);
        assert_int_equal(back, v);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yuan_as_people_write_it),
        cmocka_unit_test(test_wan_and_fen),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_int64_edges),
        cmocka_unit_test(test_format_yuan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
