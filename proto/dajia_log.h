/*  dajia_log: one log line format for every program and thread.

    A line is the local date, time and zone (ISO 8601, milliseconds), the level, the
    program and the message:

        2026-12-04T18:45:14.123+08:00 warning dajia-broker: dispatch: ...

    Lines go to standard error (a daemon's journal picks them up there), each written
    with one write(2), so lines of two threads never interleave. Safe from any thread;
    the time is taken with localtime_r, never a shared buffer. Debug lines are the
    caller's to guard: each is written only under its module's verbose setting (the
    programs' -v). Levels, as the programs use them: error, an operator must act; warning, degraded
   but running; info, the lifecycle (start, effective configuration, endpoints, shutdown); debug,
   per-message detail. Never log payloads above debug.

    A line that can repeat once per event, per message or per turn of a loop (a peer's
    bad frame, a store that refuses writes) goes through dajia_log_limited: the first
    occurrence is written, then at most one line every DAJIA_LOG_EVERY_MS at that call
    site, which says how many were left out since the last one written:

        ... error dajia-broker: dispatch: cannot store 325 feed items ... (1204 more since
        the last such line)

    so a fault that repeats a million times a second writes a line every 10 s, not a
    disk full of lines. Lines left out after the last one written are counted, and the
    count is written with the next occurrence (if none comes, it is not written).
*/
#ifndef DAJIA_LOG_H
#define DAJIA_LOG_H

#include <stdatomic.h>
#include <stdint.h>

typedef enum {
    DAJIA_LOG_ERROR,
    DAJIA_LOG_WARNING,
    DAJIA_LOG_INFO,
    DAJIA_LOG_DEBUG,
} dajia_log_level_t;

/* The program's name on each line (borrowed: a string literal or argv[0]'s basename,
   alive until exit). Call once at the start, before any thread logs. */
void
dajia_log_set_ident(const char *ident);

/* Writes one line at `level`; printf-style. */
void
dajia_log(dajia_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define dajia_log_error(...)   dajia_log(DAJIA_LOG_ERROR, __VA_ARGS__)
#define dajia_log_warning(...) dajia_log(DAJIA_LOG_WARNING, __VA_ARGS__)
#define dajia_log_info(...)    dajia_log(DAJIA_LOG_INFO, __VA_ARGS__)
#define dajia_log_debug(...)   dajia_log(DAJIA_LOG_DEBUG, __VA_ARGS__)

/* One line of one call site, rate-limited (see above). Static storage, zero-initialised
   (DAJIA_LOG_LIMITED declares one per call site); `every_ms` 0 means DAJIA_LOG_EVERY_MS.
   Safe from any number of threads at once: the fields are atomics, and of threads
   logging at the same moment one writes and the others are counted. */
#define DAJIA_LOG_EVERY_MS 10000

typedef struct {
    int every_ms;
    _Atomic int_least64_t next_ms;     /* monotonic ms before which lines are only counted */
    _Atomic uint_least64_t suppressed; /* counted since the last line written */
} dajia_log_limit_t;

/* Writes one line at `level` as dajia_log does, unless `limit` wrote one less than its
   interval ago; then only counts it. A line written after some were counted ends with
   "(N more since the last such line)". */
void
dajia_log_limited(dajia_log_limit_t *limit, dajia_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* dajia_log_limited with a limit of the call site's own (every DAJIA_LOG_EVERY_MS). */
#define DAJIA_LOG_LIMITED(level, ...)                                                              \
    do {                                                                                           \
        static dajia_log_limit_t dajia_log_site_;                                                  \
        dajia_log_limited(&dajia_log_site_, (level), __VA_ARGS__);                                 \
    } while (0)

#define dajia_log_error_limited(...)   DAJIA_LOG_LIMITED(DAJIA_LOG_ERROR, __VA_ARGS__)
#define dajia_log_warning_limited(...) DAJIA_LOG_LIMITED(DAJIA_LOG_WARNING, __VA_ARGS__)

/* Formats the time `ms` (unix ms) as the log does, in the local zone: 30 bytes and a NUL.
   Returns `buf`. For tests and for programs that print local times the same way. */
char *
dajia_log_format_time(long long ms, char *buf, unsigned len);

#endif
