/*  dajia_clock: wall clock, or a settable start moment that then runs in real time.

    The offset between the configured start and the wall clock at the first call is
    computed once (pthread_once), so every thread sees the same shifted clock.
*/
#include "dajia_clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dajia_time.h"

static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static int64_t s_offset_ms; /* added to the wall clock */

static int64_t
s_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
dajia_clock_parse(const char *text, int64_t *ms)
{
    if (!text || !*text)
        return -1;
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno == 0 && end != text && *end == '\0' && value >= 0) {
        *ms = value;
        return 0;
    }
    return dajia_time_parse(text, ms) == 0 ? 0 : -1;
}

static void
s_init(void)
{
    const char *text = getenv(DAJIA_CLOCK_ENV);
    if (!text || !*text)
        return;
    int64_t start = 0;
    if (dajia_clock_parse(text, &start) != 0) {
        fprintf(stderr,
                "%s=\"%s\" is neither an RFC 3339 time nor unix milliseconds; "
                "using the wall clock\n",
                DAJIA_CLOCK_ENV, text);
        return;
    }
    s_offset_ms = start - s_wall_ms();
}

int64_t
dajia_clock_now_ms(void)
{
    pthread_once(&s_once, s_init);
    return s_wall_ms() + s_offset_ms;
}
