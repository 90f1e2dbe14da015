/*  bench_clock: the monotonic clock, deadline waits and the run's stop (see bench_clock.h).

    Two flags: `interrupted` is the signal's (a volatile sig_atomic_t, the only kind a
    handler may set), `stop` is what the threads watch; a signal sets both, main only the
    second when it gives up on a run that could not start.
*/
#include "bench_clock.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define S_SLEEP_SLICE_NS (100 * NS_PER_MS) /* how often a sleep looks for Ctrl-C */

static volatile sig_atomic_t s_interrupted = 0;
static atomic_bool s_stop = false;

uint64_t
bench_clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

void
bench_clock_sleep_until(uint64_t deadline)
{
    while (!s_interrupted) {
        uint64_t now = bench_clock_now();
        if (now >= deadline)
            return;
        uint64_t left = deadline - now;
        if (left > S_SLEEP_SLICE_NS)
            left = S_SLEEP_SLICE_NS; /* wake now and then to notice Ctrl-C */
        struct timespec ts = {(time_t)(left / NS_PER_S), (long)(left % NS_PER_S)};
        nanosleep(&ts, NULL);
    }
}

static void
s_on_signal(int sig)
{
    (void)sig;
    s_interrupted = 1;
    atomic_store(&s_stop, true);
}

void
bench_clock_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool
bench_clock_interrupted(void)
{
    return s_interrupted != 0;
}

void
bench_clock_stop(void)
{
    atomic_store(&s_stop, true);
}

bool
bench_clock_stopping(void)
{
    return atomic_load_explicit(&s_stop, memory_order_relaxed);
}

void
bench_clock_rearm(void)
{
    if (!s_interrupted)
        atomic_store(&s_stop, false);
}
