/*  agg_period: calendar months in a fixed time zone, and fixed-length demo periods.

    The civil-date conversions are Howard Hinnant's days_from_civil / civil_from_days
    (public domain): exact for every date an int64 of milliseconds can hold, and they
    need no tables, no TZ database and no locks, unlike timegm()/gmtime_r().
*/
#include "agg_period.h"

#include <stdio.h>
#include <string.h>

#define S_MS_PER_MIN (60LL * 1000)

/* Division rounding towards minus infinity (C's / rounds towards zero). */
static int64_t
s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

int64_t
agg_days_from_civil(int64_t year, unsigned month, unsigned day)
{
    int64_t m = month;
    year -= m <= 2;
    int64_t era = s_floor_div(year, 400);
    int64_t yoe = year - era * 400;                                           /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)day - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                      /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void
agg_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
    days += 719468;
    int64_t era = s_floor_div(days, 146097);
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *year = y + (*month <= 2);
}

static int64_t
s_offset_ms(const agg_period_spec_t *spec)
{
    return (int64_t)spec->tz_offset_min * S_MS_PER_MIN;
}

/* Start (UTC ms) of month `month` of `year` in the spec's zone; months may overflow. */
static int64_t
s_month_start(const agg_period_spec_t *spec, int64_t year, int64_t month)
{
    int64_t index = year * 12 + (month - 1);
    year = s_floor_div(index, 12);
    month = index - year * 12 + 1;
    return agg_days_from_civil(year, (unsigned)month, 1) * AGG_MS_PER_DAY - s_offset_ms(spec);
}

static void
s_local_civil(const agg_period_spec_t *spec, int64_t at_ms, int64_t *year, unsigned *month)
{
    unsigned day;
    int64_t days = s_floor_div(at_ms + s_offset_ms(spec), AGG_MS_PER_DAY);
    agg_civil_from_days(days, year, month, &day);
}

int64_t
agg_period_start(const agg_period_spec_t *spec, int64_t at_ms)
{
    if (spec->length_ms > 0)
        return s_floor_div(at_ms, spec->length_ms) * spec->length_ms;
    int64_t year;
    unsigned month;
    s_local_civil(spec, at_ms, &year, &month);
    return s_month_start(spec, year, month);
}

int64_t
agg_period_next(const agg_period_spec_t *spec, int64_t start_ms)
{
    if (spec->length_ms > 0)
        return start_ms + spec->length_ms;
    int64_t year;
    unsigned month;
    s_local_civil(spec, start_ms, &year, &month);
    return s_month_start(spec, year, (int64_t)month + 1);
}

int64_t
agg_period_prev(const agg_period_spec_t *spec, int64_t start_ms)
{
    if (spec->length_ms > 0)
        return start_ms - spec->length_ms;
    int64_t year;
    unsigned month;
    s_local_civil(spec, start_ms, &year, &month);
    return s_month_start(spec, year, (int64_t)month - 1);
}

void
agg_period_name(const agg_period_spec_t *spec, int64_t start_ms, char buf[AGG_PERIOD_MAX])
{
    int64_t year;
    unsigned month, day;
    if (spec->length_ms > 0) {
        int64_t days = s_floor_div(start_ms, AGG_MS_PER_DAY);
        int64_t ms_of_day = start_ms - days * AGG_MS_PER_DAY;
        int64_t secs = ms_of_day / 1000;
        agg_civil_from_days(days, &year, &month, &day);
        snprintf(buf, AGG_PERIOD_MAX, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)year, month,
                 day, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
        return;
    }
    s_local_civil(spec, start_ms, &year, &month);
    snprintf(buf, AGG_PERIOD_MAX, "%04lld-%02u", (long long)year, month);
}

void
agg_period_name_at(const agg_period_spec_t *spec, int64_t at_ms, char buf[AGG_PERIOD_MAX])
{
    agg_period_name(spec, agg_period_start(spec, at_ms), buf);
}

bool
agg_period_parse_month(const agg_period_spec_t *spec, const char *name, int64_t *start_ms)
{
    if (spec->length_ms > 0 || strlen(name) != 7 || name[4] != '-')
        return false;
    for (int i = 0; i < 7; i++)
        if (i != 4 && (name[i] < '0' || name[i] > '9'))
            return false;
    int64_t year =
        (name[0] - '0') * 1000 + (name[1] - '0') * 100 + (name[2] - '0') * 10 + (name[3] - '0');
    int month = (name[5] - '0') * 10 + (name[6] - '0');
    if (month < 1 || month > 12)
        return false;
    *start_ms = s_month_start(spec, year, month);
    return true;
}
