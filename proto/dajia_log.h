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
*/
#ifndef DAJIA_LOG_H
#define DAJIA_LOG_H

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

/* Formats the time `ms` (unix ms) as the log does, in the local zone: 30 bytes and a NUL.
   Returns `buf`. For tests and for programs that print local times the same way. */
char *
dajia_log_format_time(long long ms, char *buf, unsigned len);

#endif
