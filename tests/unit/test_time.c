/*  test_time: dajia_time's calendar, checked against values worked out by hand.

    Day numbers count from 1970-01-01 (day 0): 2000-01-01 is 30 * 365 + 7 leap days
    (1972..1996) = 10957; 2024-01-01 is 54 * 365 + 13 (1972..2020) = 19723; 2100-01-01 is
    130 * 365 + 32 (1972..2096) = 47482; 1900-01-01 is -(70 * 365 + 17) = -25567. A day
    is 86,400,000 ms, and Beijing time is UTC+8, so a Beijing midnight is 16:00Z of the
    day before.
*/
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dajia_time.h"

#define T_DAY   86400000LL
#define T_HOUR  3600000LL
#define T_BJ    DAJIA_TIME_BEIJING_MIN
#define T_MONTH DAJIA_TIME_MONTH
#define T_QTR   DAJIA_TIME_QUARTER
#define T_YEAR  DAJIA_TIME_YEAR

/* 2026-01-01 is 56 * 365 + 14 (1972..2024) = 20454; November 1st is 304 days later. */
#define T_2026_11_01 20758LL
/* 2026-11-01 00:00 in Beijing = 2026-10-31T16:00:00Z */
#define T_NOV_BJ     ((T_2026_11_01 - 1) * T_DAY + 16 * T_HOUR)

static int64_t
s_parse(const char *text)
{
    int64_t ms = 0;
    if (dajia_time_parse(text, &ms) != 0)
        fail_msg("\"%s\" refused", text);
    return ms;
}

static dajia_time_period_t
s_period(const char *name)
{
    dajia_time_period_t p;
    if (dajia_time_period_parse(name, strlen(name), &p) != 0)
        fail_msg("period \"%s\" refused", name);
    return p;
}

static void
assert_period(dajia_time_period_t p, const char *name)
{
    char buf[DAJIA_TIME_PERIOD_MAX];
    assert_string_equal(dajia_time_period_format(p, buf, sizeof buf), name);
}

// ============================================================== civil dates

static void
test_leap_years(void **state)
{
    (void)state;
    assert_true(dajia_time_is_leap(2024));
    assert_true(dajia_time_is_leap(2000));  /* every 400th */
    assert_false(dajia_time_is_leap(2100)); /* every 100th is not */
    assert_false(dajia_time_is_leap(1900));
    assert_false(dajia_time_is_leap(2026));
    assert_true(dajia_time_is_leap(0));
    assert_int_equal(dajia_time_days_in_month(2024, 2), 29);
    assert_int_equal(dajia_time_days_in_month(2000, 2), 29);
    assert_int_equal(dajia_time_days_in_month(2100, 2), 28);
    assert_int_equal(dajia_time_days_in_month(2026, 2), 28);
    assert_int_equal(dajia_time_days_in_month(2026, 4), 30);
    assert_int_equal(dajia_time_days_in_month(2026, 12), 31);
}

static void
test_days_from_civil_by_hand(void **state)
{
    (void)state;
    assert_int_equal(dajia_time_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(dajia_time_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(dajia_time_days_from_civil(2000, 1, 1), 10957);
    assert_int_equal(dajia_time_days_from_civil(2000, 2, 29), 10957 + 31 + 28);
    assert_int_equal(dajia_time_days_from_civil(2000, 3, 1), 10957 + 31 + 29);
    assert_int_equal(dajia_time_days_from_civil(2024, 2, 29), 19723 + 31 + 28);
    assert_int_equal(dajia_time_days_from_civil(2024, 3, 1), 19723 + 31 + 29);
    /* 2100 has no 29th of February: the 28th is followed by March 1st */
    assert_int_equal(dajia_time_days_from_civil(2100, 2, 28), 47482 + 31 + 27);
    assert_int_equal(dajia_time_days_from_civil(2100, 3, 1), 47482 + 31 + 28);
    assert_int_equal(dajia_time_days_from_civil(1900, 1, 1), -25567);
    assert_int_equal(dajia_time_days_from_civil(2026, 11, 1), T_2026_11_01);

    int64_t y;
    int m, d;
    dajia_time_civil_from_days(19723 + 31 + 28, &y, &m, &d);
    assert_true(y == 2024 && m == 2 && d == 29);
    dajia_time_civil_from_days(47482 + 31 + 28, &y, &m, &d);
    assert_true(y == 2100 && m == 3 && d == 1);
    dajia_time_civil_from_days(-1, &y, &m, &d);
    assert_true(y == 1969 && m == 12 && d == 31);
    dajia_time_civil_from_days(-25567, &y, &m, &d);
    assert_true(y == 1900 && m == 1 && d == 1);
}

/* Walking day by day from 1599-12-31 to 2401-01-01, the inverse steps through the
   calendar exactly as days_in_month says, and days_from_civil undoes it. */
static void
test_civil_walk_round_trip(void **state)
{
    (void)state;
    int64_t first = dajia_time_days_from_civil(1599, 12, 31);
    int64_t last = dajia_time_days_from_civil(2401, 1, 1);
    int64_t y = 1599;
    int m = 12, d = 31;
    for (int64_t days = first; days <= last; days++) {
        int64_t gy;
        int gm, gd;
        dajia_time_civil_from_days(days, &gy, &gm, &gd);
        if (gy != y || gm != m || gd != d)
            fail_msg("day %lld is %lld-%d-%d, expected %lld-%d-%d", (long long)days, (long long)gy,
                     gm, gd, (long long)y, m, d);
        if (dajia_time_days_from_civil(y, m, d) != days)
            fail_msg("%lld-%d-%d is not day %lld", (long long)y, m, d, (long long)days);
        if (++d > dajia_time_days_in_month(y, m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
}

static void
test_civil_time_at_an_offset(void **state)
{
    (void)state;
    dajia_time_civil_t c;
    dajia_time_to_civil(T_NOV_BJ, T_BJ, &c);
    assert_true(c.year == 2026 && c.month == 11 && c.day == 1);
    assert_true(c.hour == 0 && c.minute == 0 && c.second == 0 && c.ms == 0);
    dajia_time_to_civil(T_NOV_BJ - 1, T_BJ, &c);
    assert_true(c.year == 2026 && c.month == 10 && c.day == 31);
    assert_true(c.hour == 23 && c.minute == 59 && c.second == 59 && c.ms == 999);
    dajia_time_to_civil(-1, 0, &c); /* before 1970: rounds down, not towards zero */
    assert_true(c.year == 1969 && c.month == 12 && c.day == 31 && c.hour == 23 && c.ms == 999);
    /* UTC-5: 2026-11-01T03:00Z is 22:00 the day before */
    dajia_time_to_civil(T_2026_11_01 * T_DAY + 3 * T_HOUR, -300, &c);
    assert_true(c.month == 10 && c.day == 31 && c.hour == 22);

    dajia_time_civil_t nov1 = {.year = 2026, .month = 11, .day = 1};
    assert_int_equal(dajia_time_from_civil(&nov1, T_BJ), T_NOV_BJ);
    assert_int_equal(dajia_time_from_civil(&nov1, 0), T_2026_11_01 * T_DAY);
    dajia_time_civil_t full = {2026, 11, 29, 16, 0, 0, 123};
    assert_int_equal(dajia_time_from_civil(&full, T_BJ),
                     (T_2026_11_01 + 28) * T_DAY + 8 * T_HOUR + 123);
}

// ================================================================== RFC 3339

static void
test_rfc3339_format(void **state)
{
    (void)state;
    char buf[DAJIA_TIME_TEXT_MAX];
    assert_string_equal(dajia_time_format(0, buf, sizeof buf), "1970-01-01T00:00:00Z");
    assert_string_equal(dajia_time_format(T_NOV_BJ, buf, sizeof buf), "2026-10-31T16:00:00Z");
    assert_string_equal(dajia_time_format(T_NOV_BJ + 7, buf, sizeof buf),
                        "2026-10-31T16:00:00.007Z");
    assert_string_equal(dajia_time_format(-1, buf, sizeof buf), "1969-12-31T23:59:59.999Z");
    assert_string_equal(dajia_time_format((19723 + 31 + 28) * T_DAY, buf, sizeof buf),
                        "2024-02-29T00:00:00Z");
    /* the ends of four-digit years: beyond them, a number of milliseconds */
    int64_t year0 = dajia_time_days_from_civil(0, 1, 1) * T_DAY;
    int64_t year10000 = dajia_time_days_from_civil(10000, 1, 1) * T_DAY;
    assert_string_equal(dajia_time_format(year0, buf, sizeof buf), "0000-01-01T00:00:00Z");
    assert_string_equal(dajia_time_format(year10000 - 1, buf, sizeof buf),
                        "9999-12-31T23:59:59.999Z");
    assert_string_equal(dajia_time_format(year10000, buf, sizeof buf), "253402300800000");
    assert_string_equal(dajia_time_format(year0 - 1, buf, sizeof buf), "-62167219200001");
    assert_string_equal(dajia_time_format(INT64_MIN, buf, sizeof buf), "-9223372036854775808");
    /* a short buffer is cut, never overrun */
    char small[8];
    assert_string_equal(dajia_time_format(0, small, sizeof small), "1970-01");
}

static void
test_rfc3339_parse_accepts(void **state)
{
    (void)state;
    int64_t nov29 = (T_2026_11_01 + 28) * T_DAY + 8 * T_HOUR; /* 2026-11-29T08:00:00Z */
    static const char *const same[] = {
        "2026-11-29T08:00:00Z",      "2026-11-29t08:00:00z",      "2026-11-29 08:00:00Z",
        "2026-11-29T16:00:00+08:00", "2026-11-29T03:30:00-04:30", "2026-11-29T08:00:00-00:00",
        "2026-11-30T07:59:00+23:59", "2026-11-29T08:00:00.0009Z",
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        if (s_parse(same[i]) != nov29)
            fail_msg("\"%s\" is %lld", same[i], (long long)s_parse(same[i]));
    assert_int_equal(s_parse("2026-11-29T08:00:00.5Z"), nov29 + 500);
    assert_int_equal(s_parse("2026-11-29T08:00:00.98765Z"), nov29 + 987);
    /* a plain date is midnight UTC, not Beijing */
    assert_int_equal(s_parse("2026-11-01"), T_2026_11_01 * T_DAY);
    assert_int_equal(s_parse("2024-02-29"), (19723 + 31 + 28) * T_DAY);
    assert_int_equal(s_parse("2000-02-29"), (10957 + 31 + 28) * T_DAY);
    /* a leap second is the next minute's second 0 */
    assert_int_equal(s_parse("2016-12-31T23:59:60Z"), s_parse("2017-01-01T00:00:00Z"));
    assert_int_equal(s_parse("1969-12-31T23:59:59.999Z"), -1);
    assert_int_equal(s_parse("0000-01-01T00:00:00Z"), -62167219200000LL);
}

static void
test_rfc3339_parse_refuses(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2026-02-29",                /* 2026 is not a leap year */
        "2100-02-29",                /* nor is 2100 */
        "1900-02-29",                /* nor 1900 */
        "2026-13-01",                /* month 13 */
        "2026-00-10",                /* month 0 */
        "2026-11-31",                /* November has 30 days */
        "2026-11-00",                /* day 0 */
        "2026-11-29T24:00:00Z",      /* hour 24 */
        "2026-11-29T08:60:00Z",      /* minute 60 */
        "2026-11-29T08:00:61Z",      /* second 61 */
        "2026-11-29T08:00:00",       /* no zone */
        "2026-11-29T08:00Z",         /* no seconds */
        "2026-11-29T08:00:00.Z",     /* a point without digits */
        "2026-11-29T08:00:00+24:00", /* offset hour 24 */
        "2026-11-29T08:00:00+08:60", /* offset minute 60 */
        "2026-11-29T08:00:00+0800",  /* offset without colon */
        "2026-11-29T08:00:00Z ",     /* trailing text */
        " 2026-11-29",               /* leading text */
        "2026-11-29Z",               /* a zone on a plain date */
        "2026-11-29X08:00:00Z",      /* neither T nor a space */
        "26-11-29",                  /* two-digit year */
        "2026-1-29",                 /* one-digit month */
        "+2026-11-29",               /* a sign on the year */
        "2026/11/29",
        "1796083200000", /* milliseconds are dajia_clock's, not RFC 3339 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 42;
        if (dajia_time_parse(bad[i], &ms) != -EINVAL)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_int_equal(ms, 42); /* untouched */
    }
    int64_t ms;
    assert_int_equal(dajia_time_parse(NULL, &ms), -EINVAL);
    assert_int_equal(dajia_time_parse("2026-11-29", NULL), -EINVAL);
}

static void
test_rfc3339_round_trip(void **state)
{
    (void)state;
    /* every hour of 1999..2101 (leap days and the 2100 non-leap day included), with a
       millisecond part on odd hours */
    int64_t from = dajia_time_days_from_civil(1999, 1, 1) * T_DAY;
    int64_t to = dajia_time_days_from_civil(2102, 1, 1) * T_DAY;
    int n = 0;
    for (int64_t ms = from; ms < to; ms += T_HOUR, n++) {
        int64_t at = ms + (n % 2 ? n % 1000 : 0);
        char buf[DAJIA_TIME_TEXT_MAX];
        int64_t back = 0;
        dajia_time_format(at, buf, sizeof buf);
        if (dajia_time_parse(buf, &back) != 0 || back != at)
            fail_msg("%lld -> \"%s\" -> %lld", (long long)at, buf, (long long)back);
    }
}

// ============================================================== local text

static void
test_local_text(void **state)
{
    (void)state;
    char buf[DAJIA_TIME_LOCAL_MAX];
    assert_int_equal(dajia_time_format_minute(T_NOV_BJ, T_BJ, buf, sizeof buf), 0);
    assert_string_equal(buf, "2026-11-01 00:00");
    assert_int_equal(dajia_time_format_minute(T_NOV_BJ - 1, T_BJ, buf, sizeof buf), 0);
    assert_string_equal(buf, "2026-10-31 23:59");
    assert_int_equal(dajia_time_format_minute(T_NOV_BJ, 0, buf, sizeof buf), 0);
    assert_string_equal(buf, "2026-10-31 16:00");
    assert_int_equal(dajia_time_format_minute(T_NOV_BJ, 330, buf, sizeof buf), 0); /* UTC+5:30 */
    assert_string_equal(buf, "2026-10-31 21:30");
    assert_int_equal(dajia_time_format_date(T_NOV_BJ, T_BJ, buf, sizeof buf), 0);
    assert_string_equal(buf, "2026-11-01");
    assert_int_equal(dajia_time_format_date(T_NOV_BJ - 1, T_BJ, buf, sizeof buf), 0);
    assert_string_equal(buf, "2026-10-31");
    /* the leap days, in Beijing: 2024-02-28T16:00Z opens the 29th, 2100's opens March */
    assert_int_equal(dajia_time_format_date(s_parse("2024-02-28T16:00:00Z"), T_BJ, buf, 11), 0);
    assert_string_equal(buf, "2024-02-29");
    assert_int_equal(dajia_time_format_date(s_parse("2100-02-28T16:00:00Z"), T_BJ, buf, 11), 0);
    assert_string_equal(buf, "2100-03-01");
    /* one byte short */
    assert_int_equal(dajia_time_format_date(T_NOV_BJ, T_BJ, buf, 10), -ERANGE);
    assert_int_equal(dajia_time_format_minute(T_NOV_BJ, T_BJ, buf, 16), -ERANGE);
    /* any time fits DAJIA_TIME_LOCAL_MAX */
    assert_int_equal(dajia_time_format_minute(INT64_MAX, 14 * 60, buf, sizeof buf), 0);
    assert_int_equal(dajia_time_format_minute(INT64_MIN, -14 * 60, buf, sizeof buf), 0);
}

// ================================================================== periods

static void
test_period_of_a_time_in_beijing(void **state)
{
    (void)state;
    /* 2026-10-31T16:00:00Z is 2026-11-01 00:00 in Beijing: November, Q4 */
    assert_period(dajia_time_period_of(T_MONTH, T_NOV_BJ, T_BJ), "2026-11");
    assert_period(dajia_time_period_of(T_MONTH, T_NOV_BJ - 1, T_BJ), "2026-10");
    assert_period(dajia_time_period_of(T_MONTH, T_NOV_BJ, 0), "2026-10"); /* in UTC */
    assert_period(dajia_time_period_of(T_QTR, T_NOV_BJ, T_BJ), "2026-Q4");
    assert_period(dajia_time_period_of(T_YEAR, T_NOV_BJ, T_BJ), "2026");
    /* 2026-12-31T16:00:00Z opens 2027 in Beijing */
    int64_t y2027 = s_parse("2026-12-31T16:00:00Z");
    assert_period(dajia_time_period_of(T_MONTH, y2027, T_BJ), "2027-01");
    assert_period(dajia_time_period_of(T_QTR, y2027, T_BJ), "2027-Q1");
    assert_period(dajia_time_period_of(T_YEAR, y2027, T_BJ), "2027");
    assert_period(dajia_time_period_of(T_MONTH, y2027 - 1, T_BJ), "2026-12");
    assert_period(dajia_time_period_of(T_QTR, y2027 - 1, T_BJ), "2026-Q4");
    assert_period(dajia_time_period_of(T_YEAR, y2027 - 1, T_BJ), "2026");
    /* the quarters' first and last months */
    assert_period(dajia_time_period_of(T_QTR, s_parse("2026-03-31T15:59:59.999Z"), T_BJ),
                  "2026-Q1");
    assert_period(dajia_time_period_of(T_QTR, s_parse("2026-03-31T16:00:00Z"), T_BJ), "2026-Q2");
    assert_period(dajia_time_period_of(T_QTR, s_parse("2026-06-30T16:00:00Z"), T_BJ), "2026-Q3");
    assert_period(dajia_time_period_of(T_QTR, s_parse("2026-09-30T16:00:00Z"), T_BJ), "2026-Q4");
    /* the leap day in Beijing is still February */
    assert_period(dajia_time_period_of(T_MONTH, s_parse("2024-02-29T15:59:59Z"), T_BJ), "2024-02");
    assert_period(dajia_time_period_of(T_MONTH, s_parse("2024-02-29T16:00:00Z"), T_BJ), "2024-03");
}

static void
test_period_start_and_end(void **state)
{
    (void)state;
    dajia_time_period_t nov = s_period("2026-11");
    assert_int_equal(dajia_time_period_start(nov, T_BJ), T_NOV_BJ);
    assert_int_equal(dajia_time_period_end(nov, T_BJ), T_NOV_BJ + 30 * T_DAY);
    assert_int_equal(dajia_time_period_end(nov, T_BJ), s_parse("2026-11-30T16:00:00Z"));
    assert_int_equal(dajia_time_period_start(nov, 0), T_2026_11_01 * T_DAY);
    /* February: 29 days in 2024, 28 in 2100 */
    assert_int_equal(dajia_time_period_end(s_period("2024-02"), T_BJ) -
                         dajia_time_period_start(s_period("2024-02"), T_BJ),
                     29 * T_DAY);
    assert_int_equal(dajia_time_period_end(s_period("2100-02"), T_BJ),
                     s_parse("2100-02-28T16:00:00Z"));
    assert_int_equal(dajia_time_period_end(s_period("2000-02"), T_BJ),
                     s_parse("2000-02-29T16:00:00Z"));
    /* December ends at the next year's start */
    assert_int_equal(dajia_time_period_end(s_period("2026-12"), T_BJ),
                     s_parse("2026-12-31T16:00:00Z"));
    dajia_time_period_t q4 = s_period("2026-Q4");
    assert_int_equal(dajia_time_period_start(q4, T_BJ), s_parse("2026-09-30T16:00:00Z"));
    assert_int_equal(dajia_time_period_end(q4, T_BJ), s_parse("2026-12-31T16:00:00Z"));
    dajia_time_period_t q1 = s_period("2024-Q1"); /* 31 + 29 + 31 days */
    assert_int_equal(dajia_time_period_end(q1, T_BJ) - dajia_time_period_start(q1, T_BJ),
                     91 * T_DAY);
    dajia_time_period_t y = s_period("2026");
    assert_int_equal(dajia_time_period_start(y, T_BJ), s_parse("2025-12-31T16:00:00Z"));
    assert_int_equal(dajia_time_period_end(y, T_BJ), s_parse("2026-12-31T16:00:00Z"));
    assert_int_equal(dajia_time_period_end(s_period("2024"), 0) -
                         dajia_time_period_start(s_period("2024"), 0),
                     366 * T_DAY);
    assert_int_equal(dajia_time_period_end(s_period("2100"), 0) -
                         dajia_time_period_start(s_period("2100"), 0),
                     365 * T_DAY);
}

static void
test_period_steps(void **state)
{
    (void)state;
    assert_period(dajia_time_period_next(s_period("2026-11")), "2026-12");
    assert_period(dajia_time_period_next(s_period("2026-12")), "2027-01");
    assert_period(dajia_time_period_prev(s_period("2026-01")), "2025-12");
    assert_period(dajia_time_period_next(s_period("2026-Q4")), "2027-Q1");
    assert_period(dajia_time_period_prev(s_period("2026-Q1")), "2025-Q4");
    assert_period(dajia_time_period_prev(s_period("2026-Q3")), "2026-Q2");
    assert_period(dajia_time_period_next(s_period("2026")), "2027");
    assert_period(dajia_time_period_prev(s_period("2026")), "2025");
    assert_period(dajia_time_period_last_year(s_period("2026-11")), "2025-11");
    assert_period(dajia_time_period_last_year(s_period("2026-01")), "2025-01");
    assert_period(dajia_time_period_last_year(s_period("2026-Q3")), "2025-Q3");
    assert_period(dajia_time_period_last_year(s_period("2026")), "2025");
    /* a period's end is the next one's start, all along */
    dajia_time_period_t m = s_period("1999-01");
    for (int i = 0; i < 12 * 103; i++) {
        dajia_time_period_t next = dajia_time_period_next(m);
        if (dajia_time_period_end(m, T_BJ) != dajia_time_period_start(next, T_BJ))
            fail_msg("month %d: end and next start differ", i);
        if (dajia_time_period_of(T_MONTH, dajia_time_period_start(next, T_BJ) - 1, T_BJ).index !=
            m.index)
            fail_msg("month %d: the last millisecond is not in it", i);
        m = next;
    }
    assert_period(m, "2102-01");
}

static void
test_period_parse_and_format(void **state)
{
    (void)state;
    static const char *const good[] = {"2026-11", "2026-01", "2026-12", "2026-Q1", "2026-Q4",
                                       "2026",    "0000",    "9999-12", "2000-02"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_period(s_period(good[i]), good[i]);
    dajia_time_period_t p = s_period("2026-Q4");
    assert_true(p.unit == T_QTR && p.year == 2026 && p.index == 4);
    p = s_period("2026-03");
    assert_true(p.unit == T_MONTH && p.year == 2026 && p.index == 3);
    p = s_period("2026");
    assert_true(p.unit == T_YEAR && p.year == 2026 && p.index == 1);
    /* the length given is the name: no NUL needed */
    assert_int_equal(dajia_time_period_parse("2026-11-05", 7, &p), 0);
    assert_period(p, "2026-11");

    static const char *const bad[] = {"",        "2026-13",    "2026-00", "2026-Q0", "2026-Q5",
                                      "2026-q4", "2026-1",     "2026-1 ", "202611",  "2026/11",
                                      "26-11",   "2026-11-01", "2026-Q",  "abcd",    "20266",
                                      "2026-",   "+026",       "2026-Q12"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (dajia_time_period_parse(bad[i], strlen(bad[i]), &p) != -EINVAL)
            fail_msg("period \"%s\" accepted", bad[i]);
    assert_int_equal(dajia_time_period_parse(NULL, 0, &p), -EINVAL);
    char small[5];
    assert_string_equal(dajia_time_period_format(s_period("2026-Q4"), small, sizeof small), "2026");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_days_from_civil_by_hand),
        cmocka_unit_test(test_civil_walk_round_trip),
        cmocka_unit_test(test_civil_time_at_an_offset),
        cmocka_unit_test(test_rfc3339_format),
        cmocka_unit_test(test_rfc3339_parse_accepts),
        cmocka_unit_test(test_rfc3339_parse_refuses),
        cmocka_unit_test(test_rfc3339_round_trip),
        cmocka_unit_test(test_local_text),
        cmocka_unit_test(test_period_of_a_time_in_beijing),
        cmocka_unit_test(test_period_start_and_end),
        cmocka_unit_test(test_period_steps),
        cmocka_unit_test(test_period_parse_and_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
