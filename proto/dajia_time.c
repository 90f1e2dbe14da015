/*  dajia_time: RFC 3339, civil dates, local text and calendar periods, by arithmetic.

    The civil-date conversions are Howard Hinnant's days_from_civil / civil_from_days
    (public domain): exact for every date an int64 of milliseconds can hold, with no
    tables and no locks, and without timegm() (not in C11 or POSIX) or gmtime_r(), which
    work in seconds of a time_t whose width the platform decides. Divisions that may meet
    a negative number (times before 1970, offsets west of UTC) round towards minus
    infinity, so that the millisecond before 1970 is 1969-12-31T23:59:59.999Z and not
    1970-01-01.

    A period is kept as (unit, year, index) rather than as its start, so that the same
    value names the same month whatever offset it is later cut at, and stepping it is
    counting, with no day arithmetic.
*/
#include "dajia_time.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#define S_YEAR_DIGITS 4

/* Division rounding towards minus infinity (C's / rounds towards zero); b > 0. */
static int64_t
s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b < 0)
        q--;
    return q;
}

// ============================================================== civil dates

bool
dajia_time_is_leap(int64_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int
dajia_time_days_in_month(int64_t year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && dajia_time_is_leap(year) ? 29 : days[month - 1];
}

int64_t
dajia_time_days_from_civil(int64_t year, int month, int day)
{
    /* Years start on 1 March here, so that the leap day is the last day of a year. */
    year -= month <= 2;
    int64_t era = s_floor_div(year, 400);
    int64_t yoe = year - era * 400;                                              /* [0, 399] */
    int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                         /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void
dajia_time_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    days += 719468;
    int64_t era = s_floor_div(days, 146097);
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

void
dajia_time_to_civil(int64_t ms, int32_t offset_min, dajia_time_civil_t *civil)
{
    /* Split into days and the time of day before adding the offset, so that no sum or
       product can overflow however large `ms` is. */
    int64_t days = ms / DAJIA_TIME_MS_PER_DAY;
    int64_t of_day = ms % DAJIA_TIME_MS_PER_DAY + offset_min * DAJIA_TIME_MS_PER_MIN;
    int64_t carry = s_floor_div(of_day, DAJIA_TIME_MS_PER_DAY);
    days += carry;
    of_day -= carry * DAJIA_TIME_MS_PER_DAY;
    dajia_time_civil_from_days(days, &civil->year, &civil->month, &civil->day);
    civil->hour = (int)(of_day / DAJIA_TIME_MS_PER_HOUR);
    civil->minute = (int)(of_day / DAJIA_TIME_MS_PER_MIN % 60);
    civil->second = (int)(of_day / DAJIA_TIME_MS_PER_SEC % 60);
    civil->ms = (int)(of_day % DAJIA_TIME_MS_PER_SEC);
}

int64_t
dajia_time_from_civil(const dajia_time_civil_t *civil, int32_t offset_min)
{
    return dajia_time_days_from_civil(civil->year, civil->month, civil->day) *
               DAJIA_TIME_MS_PER_DAY +
           civil->hour * DAJIA_TIME_MS_PER_HOUR + civil->minute * DAJIA_TIME_MS_PER_MIN +
           civil->second * DAJIA_TIME_MS_PER_SEC + civil->ms - offset_min * DAJIA_TIME_MS_PER_MIN;
}

// ================================================================== RFC 3339

char *
dajia_time_format(int64_t ms, char *buf, size_t size)
{
    if (!buf || size == 0)
        return buf;
    dajia_time_civil_t c;
    dajia_time_to_civil(ms, 0, &c);
    /* RFC 3339 has four-digit years only; a time outside them is written as a plain
       number of milliseconds, which the JSON reader accepts too, so nothing is lost. */
    if (c.year < 0 || c.year > 9999) {
        snprintf(buf, size, "%" PRId64, ms);
        return buf;
    }
    if (c.ms)
        snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)c.year, c.month, c.day,
                 c.hour, c.minute, c.second, c.ms);
    else
        snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)c.year, c.month, c.day, c.hour,
                 c.minute, c.second);
    return buf;
}

/* Reads exactly `n` decimal digits. */
static bool
s_read_digits(const char **p, int n, int *value)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *value = v;
    return true;
}

static bool
s_expect(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

/* Reads ".digits" if it is there: any number of digits, milliseconds kept. */
static bool
s_read_fraction(const char **p, int *ms)
{
    *ms = 0;
    if (**p != '.')
        return true;
    (*p)++;
    int digits = 0;
    for (; **p >= '0' && **p <= '9'; (*p)++, digits++)
        if (digits < 3)
            *ms = *ms * 10 + (**p - '0');
    if (digits == 0)
        return false;
    for (; digits < 3; digits++)
        *ms *= 10;
    return true;
}

/* Reads "Z", "z", "+HH:MM" or "-HH:MM" into minutes east of UTC. */
static bool
s_read_offset(const char **p, int32_t *offset_min)
{
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        *offset_min = 0;
        return true;
    }
    if (**p != '+' && **p != '-')
        return false;
    int sign = **p == '-' ? -1 : 1, hours, minutes;
    (*p)++;
    if (!s_read_digits(p, 2, &hours) || !s_expect(p, ':') || !s_read_digits(p, 2, &minutes) ||
        hours > 23 || minutes > 59)
        return false;
    *offset_min = sign * (hours * 60 + minutes);
    return true;
}

int
dajia_time_parse(const char *text, int64_t *ms)
{
    if (!text || !ms)
        return -EINVAL;
    const char *p = text;
    int year, month, day;
    dajia_time_civil_t c = {0};
    int32_t offset_min = 0;
    if (!s_read_digits(&p, S_YEAR_DIGITS, &year) || !s_expect(&p, '-') ||
        !s_read_digits(&p, 2, &month) || !s_expect(&p, '-') || !s_read_digits(&p, 2, &day))
        return -EINVAL;
    if (*p) {
        /* RFC 3339 allows a space or a lower-case t instead of T, and a lower-case z. */
        if (*p != 'T' && *p != 't' && *p != ' ')
            return -EINVAL;
        p++;
        if (!s_read_digits(&p, 2, &c.hour) || !s_expect(&p, ':') ||
            !s_read_digits(&p, 2, &c.minute) || !s_expect(&p, ':') ||
            !s_read_digits(&p, 2, &c.second) || !s_read_fraction(&p, &c.ms) ||
            !s_read_offset(&p, &offset_min) || *p)
            return -EINVAL;
    }
    /* Second 60 is a leap second, which RFC 3339 allows; from_civil carries it over. */
    if (month < 1 || month > 12 || day < 1 || day > dajia_time_days_in_month(year, month) ||
        c.hour > 23 || c.minute > 59 || c.second > 60)
        return -EINVAL;
    c.year = year;
    c.month = month;
    c.day = day;
    *ms = dajia_time_from_civil(&c, offset_min);
    return 0;
}

// ============================================================== local text

/* snprintf's result as this module's return code. */
static int
s_fits(int written, size_t size)
{
    return written >= 0 && (size_t)written < size ? 0 : -ERANGE;
}

int
dajia_time_format_date(int64_t ms, int32_t offset_min, char *buf, size_t size)
{
    dajia_time_civil_t c;
    dajia_time_to_civil(ms, offset_min, &c);
    return s_fits(snprintf(buf, size, "%04" PRId64 "-%02d-%02d", c.year, c.month, c.day), size);
}

int
dajia_time_format_minute(int64_t ms, int32_t offset_min, char *buf, size_t size)
{
    dajia_time_civil_t c;
    dajia_time_to_civil(ms, offset_min, &c);
    return s_fits(snprintf(buf, size, "%04" PRId64 "-%02d-%02d %02d:%02d", c.year, c.month, c.day,
                           c.hour, c.minute),
                  size);
}

// ================================================================== periods

/* Periods of `unit` in a year (12 / that is the months in one). */
static int
s_per_year(dajia_time_unit_t unit)
{
    return unit == DAJIA_TIME_MONTH ? 12 : unit == DAJIA_TIME_QUARTER ? 4 : 1;
}

/* The period `n` periods after `period` (before, for n < 0). */
static dajia_time_period_t
s_add(dajia_time_period_t period, int64_t n)
{
    int64_t per_year = s_per_year(period.unit);
    int64_t count = period.year * per_year + (period.index - 1) + n;
    period.year = s_floor_div(count, per_year);
    period.index = (int)(count - period.year * per_year) + 1;
    return period;
}

dajia_time_period_t
dajia_time_period_of(dajia_time_unit_t unit, int64_t ms, int32_t offset_min)
{
    dajia_time_civil_t c;
    dajia_time_to_civil(ms, offset_min, &c);
    dajia_time_period_t period = {unit, c.year, 1};
    period.index = (c.month - 1) / (12 / s_per_year(unit)) + 1;
    return period;
}

int64_t
dajia_time_period_start(dajia_time_period_t period, int32_t offset_min)
{
    int months = 12 / s_per_year(period.unit);
    dajia_time_civil_t c = {
        .year = period.year, .month = (period.index - 1) * months + 1, .day = 1};
    return dajia_time_from_civil(&c, offset_min);
}

int64_t
dajia_time_period_end(dajia_time_period_t period, int32_t offset_min)
{
    return dajia_time_period_start(s_add(period, 1), offset_min);
}

dajia_time_period_t
dajia_time_period_next(dajia_time_period_t period)
{
    return s_add(period, 1);
}

dajia_time_period_t
dajia_time_period_prev(dajia_time_period_t period)
{
    return s_add(period, -1);
}

dajia_time_period_t
dajia_time_period_last_year(dajia_time_period_t period)
{
    return s_add(period, -s_per_year(period.unit));
}

int
dajia_time_period_parse(const char *text, size_t len, dajia_time_period_t *period)
{
    if (!text || !period || (len != 4 && len != 7))
        return -EINVAL;
    const char *p = text;
    int year, index;
    if (!s_read_digits(&p, S_YEAR_DIGITS, &year))
        return -EINVAL;
    if (len == 4) {
        *period = (dajia_time_period_t){DAJIA_TIME_YEAR, year, 1};
        return 0;
    }
    if (!s_expect(&p, '-'))
        return -EINVAL;
    if (s_expect(&p, 'Q')) {
        if (!s_read_digits(&p, 1, &index) || index < 1 || index > 4)
            return -EINVAL;
        *period = (dajia_time_period_t){DAJIA_TIME_QUARTER, year, index};
        return 0;
    }
    if (!s_read_digits(&p, 2, &index) || index < 1 || index > 12)
        return -EINVAL;
    *period = (dajia_time_period_t){DAJIA_TIME_MONTH, year, index};
    return 0;
}

char *
dajia_time_period_format(dajia_time_period_t period, char *buf, size_t size)
{
    if (!buf || size == 0)
        return buf;
    if (period.unit == DAJIA_TIME_MONTH)
        snprintf(buf, size, "%04" PRId64 "-%02d", period.year, period.index);
    else if (period.unit == DAJIA_TIME_QUARTER)
        snprintf(buf, size, "%04" PRId64 "-Q%d", period.year, period.index);
    else
        snprintf(buf, size, "%04" PRId64, period.year);
    return buf;
}
