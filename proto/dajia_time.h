/*  dajia_time: every calendar computation the project makes, in one place.

    A time is unix milliseconds (UTC) in an int64_t. This module writes and reads times
    as RFC 3339 text, turns them into civil dates and wall-clock times, writes local times
    for people, and cuts time into the periods the Office counts in: months, quarters and
    years.

    Local time is a fixed offset east of UTC, in minutes. The Office's is Beijing time,
    DAJIA_TIME_BEIJING_MIN: China keeps no daylight saving time, so a fixed offset is
    exact, and a TZ database would add nothing but a dependency on the host. Everything
    here is pure arithmetic on the proleptic Gregorian calendar: no clock (dajia_clock
    reads that), no TZ variable, no locale, no libc time functions, thread-safe.
*/
#ifndef DAJIA_TIME_H
#define DAJIA_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DAJIA_TIME_MS_PER_SEC  1000LL
#define DAJIA_TIME_MS_PER_MIN  (60 * DAJIA_TIME_MS_PER_SEC)
#define DAJIA_TIME_MS_PER_HOUR (60 * DAJIA_TIME_MS_PER_MIN)
#define DAJIA_TIME_MS_PER_DAY  (24 * DAJIA_TIME_MS_PER_HOUR)

/* Beijing time, UTC+8, in minutes east of UTC: where the Office's days, months,
   quarters and years begin. */
#define DAJIA_TIME_BEIJING_MIN 480

#define DAJIA_TIME_TEXT_MAX   32 /* bytes of an RFC 3339 time as written here, with the NUL */
#define DAJIA_TIME_LOCAL_MAX  24 /* bytes of any local "YYYY-MM-DD HH:MM", with the NUL */
#define DAJIA_TIME_PERIOD_MAX 16 /* bytes of a period name, with the NUL */

// ================================================================== RFC 3339

/* Writes `ms` as RFC 3339 in UTC: "2026-11-29T08:00:00Z", with ".123" before the Z when
   the milliseconds are not zero. A time whose year lies outside 0000..9999, which RFC
   3339 cannot spell, is written as its decimal number of milliseconds. Truncates to
   `size` bytes like snprintf (DAJIA_TIME_TEXT_MAX always fits). Returns buf. */
char *
dajia_time_format(int64_t ms, char *buf, size_t size);

/* Parses an RFC 3339 date-time into unix milliseconds: "YYYY-MM-DDTHH:MM:SS", with T, t
   or a space between date and time, an optional fraction of any number of digits
   (milliseconds are kept, finer digits dropped), and Z, z or a +HH:MM / -HH:MM offset
   (at most 23:59). A second 60 (a leap second) is taken as the next minute's second 0.
   A plain date "YYYY-MM-DD" is midnight UTC. Returns 0, or -EINVAL when `text` is NULL
   or not one of these, or names a day that does not exist. */
int
dajia_time_parse(const char *text, int64_t *ms);

// ============================================================== civil dates

/* True when `year` has a 29th of February (every 4th year, not every 100th, but every
   400th: 2000 and 2024 are leap years, 1900 and 2100 are not). */
bool
dajia_time_is_leap(int64_t year);

/* Days in `month` (1..12) of `year`. */
int
dajia_time_days_in_month(int64_t year, int month);

/* Days since 1970-01-01 of a civil date (month 1..12, day 1..31; not checked), and the
   inverse. Exact for any date a time in milliseconds can hold. */
int64_t
dajia_time_days_from_civil(int64_t year, int month, int day);
void
dajia_time_civil_from_days(int64_t days, int64_t *year, int *month, int *day);

/* A wall-clock time, broken down. */
typedef struct {
    int64_t year;
    int month;  /* 1..12 */
    int day;    /* 1..31 */
    int hour;   /* 0..23 */
    int minute; /* 0..59 */
    int second; /* 0..59 */
    int ms;     /* 0..999 */
} dajia_time_civil_t;

/* The wall-clock time of `ms` at `offset_min` minutes east of UTC. */
void
dajia_time_to_civil(int64_t ms, int32_t offset_min, dajia_time_civil_t *civil);

/* The time (unix ms) of wall-clock time `civil` at `offset_min` minutes east of UTC.
   Fields beyond their range carry over (second 60 is the next minute's 0); the month
   must be 1..12. */
int64_t
dajia_time_from_civil(const dajia_time_civil_t *civil, int32_t offset_min);

// ============================================================== local text

/* Write the wall-clock date "2026-11-30" (format_date) or date and minute
   "2026-11-30 08:00" (format_minute) of `ms` at `offset_min` minutes east of UTC, for a
   person to read. Years beyond 9999 take more digits. Return 0, or -ERANGE when the text
   does not fit in `size` bytes (`buf` then holds as much as fits; DAJIA_TIME_LOCAL_MAX
   bytes hold any time). */
int
dajia_time_format_date(int64_t ms, int32_t offset_min, char *buf, size_t size);
int
dajia_time_format_minute(int64_t ms, int32_t offset_min, char *buf, size_t size);

// ================================================================== periods

typedef enum {
    DAJIA_TIME_MONTH = 1,
    DAJIA_TIME_QUARTER = 2, /* January to March is Q1 */
    DAJIA_TIME_YEAR = 3,
} dajia_time_unit_t;

/* A calendar period: a month, a quarter or a year. Where it starts and ends depends on
   the offset it is cut at (for the Office, Beijing time). A value; build it with
   dajia_time_period_of or dajia_time_period_parse, or by hand with `index` in range. */
typedef struct {
    dajia_time_unit_t unit;
    int64_t year;
    int index; /* the month 1..12, the quarter 1..4, or 1 for a year */
} dajia_time_period_t;

/* The `unit` that holds time `ms` at `offset_min` minutes east of UTC:
   2026-10-31T16:00:00Z is November 2026 in Beijing time. */
dajia_time_period_t
dajia_time_period_of(dajia_time_unit_t unit, int64_t ms, int32_t offset_min);

/* The first instant (unix ms) of `period` at `offset_min`, and the first instant after
   it (the start of the next period): a period is [start, end). */
int64_t
dajia_time_period_start(dajia_time_period_t period, int32_t offset_min);
int64_t
dajia_time_period_end(dajia_time_period_t period, int32_t offset_min);

/* The period after `period`, the one before it, and the same period a year earlier
   (2026-Q1 -> 2026-Q2, 2025-Q4, 2025-Q1). */
dajia_time_period_t
dajia_time_period_next(dajia_time_period_t period);
dajia_time_period_t
dajia_time_period_prev(dajia_time_period_t period);
dajia_time_period_t
dajia_time_period_last_year(dajia_time_period_t period);

/* Parses the `len` bytes at `text` (no NUL needed) as a period name: "2026-11" (month
   01..12), "2026-Q4" (quarter 1..4, capital Q) or "2026" (a year), always four digits of
   year. Returns 0 and sets *period, or -EINVAL. */
int
dajia_time_period_parse(const char *text, size_t len, dajia_time_period_t *period);

/* Writes the name of `period` as dajia_time_period_parse reads it ("2026-11", "2026-Q4",
   "2026"); truncates like snprintf (DAJIA_TIME_PERIOD_MAX always fits). Returns buf. */
char *
dajia_time_period_format(dajia_time_period_t period, char *buf, size_t size);

#endif
