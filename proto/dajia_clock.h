/*  dajia_clock: the one clock the broker reads for timers.

    It is the wall clock, unless the environment variable DAJIA_CLOCK names the moment
    the clock starts at: an RFC 3339 time ("2026-11-30T23:59:58Z") or unix milliseconds
    ("1796054398000"). From there it advances in real time, so a test can put the broker
    just before a month's end or a deadline and watch the timers fire. The variable is
    read once, on the first call. Cores never read any clock: the broker's TICK carries
    this one's time to them.
*/
#ifndef DAJIA_CLOCK_H
#define DAJIA_CLOCK_H

#include <stdint.h>

#define DAJIA_CLOCK_ENV "DAJIA_CLOCK"

/* Now, in unix milliseconds (UTC). Thread-safe. A DAJIA_CLOCK that does not parse is
   reported once on stderr and ignored (the wall clock is used). */
int64_t
dajia_clock_now_ms(void);

/* Parses a DAJIA_CLOCK value: RFC 3339 (as dajia_time_parse reads it) or unix
   milliseconds. Returns 0 and sets *ms, or -1 when `text` is neither. */
int
dajia_clock_parse(const char *text, int64_t *ms);

#endif
