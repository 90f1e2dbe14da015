/*  bench_clock: the bench's time line. A monotonic clock in nanoseconds, waits until a
    deadline, and the stop that cuts every wait and every thread's loop short: Ctrl-C or
    SIGTERM (the run was interrupted), or main ending the run early after a failure.
*/
#ifndef BENCH_CLOCK_H
#define BENCH_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define NS_PER_S  1000000000ULL
#define NS_PER_MS 1000000ULL

/* Now on the monotonic clock, in nanoseconds. */
uint64_t
bench_clock_now(void);

/* Sleeps until `deadline` (bench_clock_now() time), or until the run is interrupted;
   wakes now and then to notice. */
void
bench_clock_sleep_until(uint64_t deadline);

/* Makes SIGINT and SIGTERM interrupt the run (and stop every thread). Call once, from
   main, before any thread starts. */
void
bench_clock_catch_signals(void);

/* True once SIGINT or SIGTERM came: what was measured is cut short. */
bool
bench_clock_interrupted(void);

/* Asks every thread to end its loop. Safe from any thread. */
void
bench_clock_stop(void);

/* Takes back bench_clock_stop() for the next run of the same program (--compare runs
   two), unless the run was interrupted. Call with no thread of the last run left. */
void
bench_clock_rearm(void);

/* True once the run was interrupted or bench_clock_stop() was called. Cheap: the
   threads ask it on every turn of their loops. */
bool
bench_clock_stopping(void);

#endif
