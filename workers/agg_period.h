/*  agg_period: the periods figures are counted in.

    A period is either a calendar month cut in a time zone (the default: months in Beijing
    time, UTC+8, named "YYYY-MM"), or, for demonstrations, a fixed length of time aligned
    to the unix epoch and named by its start as an RFC 3339 UTC time
    ("2026-11-30T15:59:00Z"). Times are unix milliseconds (UTC). The calendar is
    dajia_time's; this module only chooses between months and fixed lengths.
*/
#ifndef AGG_PERIOD_H
#define AGG_PERIOD_H

#include <stdbool.h>
#include <stdint.h>

#include "dajia_time.h"

#define AGG_PERIOD_MAX 32 /* bytes of a period name, with the NUL */

typedef struct {
    int64_t length_ms;     /* > 0: fixed-length periods; 0: calendar months */
    int32_t tz_offset_min; /* months are cut at local midnight of this offset */
} agg_period_spec_t;

/* Start (unix ms) of the period that contains `at_ms`. */
int64_t
agg_period_start(const agg_period_spec_t *spec, int64_t at_ms);

/* Start of the period after (resp. before) the one starting at `start_ms`. */
int64_t
agg_period_next(const agg_period_spec_t *spec, int64_t start_ms);
int64_t
agg_period_prev(const agg_period_spec_t *spec, int64_t start_ms);

/* Writes the name of the period that starts at `start_ms` into `buf` (AGG_PERIOD_MAX
   bytes): "YYYY-MM" for months, RFC 3339 UTC for fixed periods. */
void
agg_period_name(const agg_period_spec_t *spec, int64_t start_ms, char buf[AGG_PERIOD_MAX]);

/* Name of the period that contains `at_ms` (agg_period_start then agg_period_name). */
void
agg_period_name_at(const agg_period_spec_t *spec, int64_t at_ms, char buf[AGG_PERIOD_MAX]);

/* Parses a month name "YYYY-MM" (months only). Returns true and sets *start_ms to the
   start of that month in the spec's zone; false when `name` is not such a month or the
   spec has fixed-length periods. */
bool
agg_period_parse_month(const agg_period_spec_t *spec, const char *name, int64_t *start_ms);

#endif
