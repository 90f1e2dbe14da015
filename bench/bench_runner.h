/*  bench_runner: a thread that carries a share of the agents.

    The agents are independent members, each on its own connection; the runners are only
    the bench's way of carrying them without a thread per connection, which would cost
    the two cores more than the broker does (and at a fixed rate wake once for every
    send of each agent). A runner sends for its agents, waits on all their sockets at
    once, reads their acks, and after the end of the run waits at most BENCH_DRAIN_NS
    for the acks of what they sent.
*/
#ifndef BENCH_RUNNER_H
#define BENCH_RUNNER_H

#include <stdint.h>

#include "bench_agent.h"
#include "bench_clock.h"

#define BENCH_DRAIN_NS (3 * NS_PER_S) /* wait for acks after the run */

typedef struct bench_runner_t bench_runner_t;

/* A runner for agents[0 .. count) (borrowed: they must outlive it, and belong to it from
   bench_runner_start until it ends), which starts sending at `t_start` and stops at
   `t_end`. Returns 0 and sets *out, or -1 after saying why on stderr. */
int
bench_runner_new(bench_agent_t **agents, int count, uint64_t t_start, uint64_t t_end,
                 bench_runner_t **out);

/* Starts the thread. Returns 0, or -errno. */
int
bench_runner_start(bench_runner_t *self);

/* Waits for the thread to end (after the drain, or sooner once bench_clock_stop() was
   called). Does nothing when it is not running. */
void
bench_runner_join(bench_runner_t *self);

/* Joins the thread if it runs, then frees the runner (not its agents). Accepts NULL and
   sets *self_p to NULL. */
void
bench_runner_destroy(bench_runner_t **self_p);

#endif
