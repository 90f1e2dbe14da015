/*  agg_period: calendar months in a fixed time zone, and fixed-length demo periods.

    Months are dajia_time periods cut at the spec's offset. Fixed-length periods are
    counted from the epoch, so that every worker cuts them at the same instants without
    sharing any state.
*/
#include "agg_period.h"

#include <string.h>

/* The month that holds `at_ms` in the spec's zone. */
static dajia_time_period_t
s_month(const agg_period_spec_t *spec, int64_t at_ms)
{
    return dajia_time_period_of(DAJIA_TIME_MONTH, at_ms, spec->tz_offset_min);
}

int64_t
agg_period_start(const agg_period_spec_t *spec, int64_t at_ms)
{
    if (spec->length_ms > 0) {
        /* rounding towards minus infinity, for times before 1970 */
        int64_t n = at_ms / spec->length_ms - (at_ms % spec->length_ms < 0);
        return n * spec->length_ms;
    }
    return dajia_time_period_start(s_month(spec, at_ms), spec->tz_offset_min);
}

int64_t
agg_period_next(const agg_period_spec_t *spec, int64_t start_ms)
{
    if (spec->length_ms > 0)
        return start_ms + spec->length_ms;
    return dajia_time_period_end(s_month(spec, start_ms), spec->tz_offset_min);
}

int64_t
agg_period_prev(const agg_period_spec_t *spec, int64_t start_ms)
{
    if (spec->length_ms > 0)
        return start_ms - spec->length_ms;
    return dajia_time_period_start(dajia_time_period_prev(s_month(spec, start_ms)),
                                   spec->tz_offset_min);
}

void
agg_period_name(const agg_period_spec_t *spec, int64_t start_ms, char buf[AGG_PERIOD_MAX])
{
    if (spec->length_ms > 0)
        dajia_time_format(start_ms, buf, AGG_PERIOD_MAX);
    else
        dajia_time_period_format(s_month(spec, start_ms), buf, AGG_PERIOD_MAX);
}

void
agg_period_name_at(const agg_period_spec_t *spec, int64_t at_ms, char buf[AGG_PERIOD_MAX])
{
    agg_period_name(spec, agg_period_start(spec, at_ms), buf);
}

bool
agg_period_parse_month(const agg_period_spec_t *spec, const char *name, int64_t *start_ms)
{
    dajia_time_period_t month;
    if (spec->length_ms > 0 || dajia_time_period_parse(name, strlen(name), &month) != 0 ||
        month.unit != DAJIA_TIME_MONTH)
        return false;
    *start_ms = dajia_time_period_start(month, spec->tz_offset_min);
    return true;
}
