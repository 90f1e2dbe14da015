/*  dajia_log: the log line of every program (see dajia_log.h for the format and why).

    czmq's own logger formats its time with localtime(), whose result is one static
    buffer shared by every thread, and prints a two-digit year without a zone; this one
    builds the whole line in a buffer of its own and writes it at once.
*/
#include "dajia_log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DAJIA_LOG_LINE_MAX 4096 /* longer messages are cut, the line still ends */

static const char *s_ident = "dajia";

static const char *const s_level_names[] = {
    [DAJIA_LOG_ERROR] = "error",
    [DAJIA_LOG_WARNING] = "warning",
    [DAJIA_LOG_INFO] = "info",
    [DAJIA_LOG_DEBUG] = "debug",
};

void
dajia_log_set_ident(const char *ident)
{
    if (ident && *ident)
        s_ident = ident;
}

char *
dajia_log_format_time(long long ms, char *buf, unsigned len)
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int millis = (int)(ms - (long long)secs * 1000);
    struct tm tm;
    if (!localtime_r(&secs, &tm)) {
        snprintf(buf, len, "%lld", ms);
        return buf;
    }
    long off = tm.tm_gmtoff / 60; /* minutes east of UTC */
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02ld:%02ld",
             (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100,
             tm.tm_min % 100, tm.tm_sec % 100, millis % 1000, sign, (off / 60) % 100, off % 60);
    return buf;
}

static void
s_vlog(dajia_log_level_t level, const char *suffix, const char *fmt, va_list args)
    __attribute__((format(printf, 3, 0)));

/* Writes one line: the prefix, the message of `fmt` and `args`, and `suffix` (may be
   ""). A message too long for the line is cut before the suffix, which is kept. */
static void
s_vlog(dajia_log_level_t level, const char *suffix, const char *fmt, va_list args)
{
    if ((unsigned)level > DAJIA_LOG_DEBUG)
        level = DAJIA_LOG_ERROR;
    int saved = errno; /* a caller may still want its errno after logging */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char when[40];
    dajia_log_format_time((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, when, sizeof when);

    char line[DAJIA_LOG_LINE_MAX];
    size_t room = sizeof line - strlen(suffix) - 1; /* the suffix and the newline fit */
    int n = snprintf(line, room, "%s %s %s: ", when, s_level_names[level], s_ident);
    if (n < 0)
        n = 0;
    size_t used = (size_t)n < room ? (size_t)n : room - 1;
    int m = vsnprintf(line + used, room - used, fmt, args);
    if (m > 0)
        used += (size_t)m < room - used ? (size_t)m : room - used - 1;
    memcpy(line + used, suffix, strlen(suffix));
    used += strlen(suffix);
    line[used++] = '\n';
    const char *p = line;
    while (used > 0) {
        ssize_t w = write(STDERR_FILENO, p, used);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* nowhere to log to: nothing better to do */
        p += w;
        used -= (size_t)w;
    }
    errno = saved;
}

void
dajia_log(dajia_log_level_t level, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    s_vlog(level, "", fmt, args);
    va_end(args);
}

void
dajia_log_limited(dajia_log_limit_t *limit, dajia_log_level_t level, const char *fmt, ...)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int_least64_t now = (int_least64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    int_least64_t next = atomic_load_explicit(&limit->next_ms, memory_order_relaxed);
    int every = limit->every_ms > 0 ? limit->every_ms : DAJIA_LOG_EVERY_MS;
    /* next 0: nothing written yet. Of threads that find the interval over at once, the
       one whose exchange succeeds writes; the others are counted. */
    if ((next != 0 && now < next) ||
        !atomic_compare_exchange_strong(&limit->next_ms, &next, now + every)) {
        atomic_fetch_add_explicit(&limit->suppressed, 1, memory_order_relaxed);
        return;
    }
    uint_least64_t more = atomic_exchange(&limit->suppressed, 0);
    char suffix[80] = "";
    if (more)
        snprintf(suffix, sizeof suffix, " (%" PRIuLEAST64 " more since the last such line)", more);
    va_list args;
    va_start(args, fmt);
    s_vlog(level, suffix, fmt, args);
    va_end(args);
}
