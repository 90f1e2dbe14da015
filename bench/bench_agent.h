/*  bench_agent: one simulated member unit, on a DEALER connection of its own.

    An agent sends CaseReport envelopes of about 300 bytes, built before the clock starts:
    a pool of BENCH_POOL_SIZE messages, each encoded once, and a send copies one and writes
    its counter into the event_id (and, for --e2e, into the case_no: a case per event).
    The event_id is "b<run id: 8 hex>-<agent: 3 digits>-<counter: 10 digits>", so an ack
    names the agent and the send it answers.

    Two ways to send. Full windows: keep `window` events in flight, one more for every
    ack, and time each ack from its send. Fixed rate: counter c is due at
    first_due + c * interval, sent then whatever the acks do (an open loop), and its ack
    is timed from that *scheduled* time, so a broker that stalls is charged for the sends
    it delayed (no coordinated omission). Only acks that arrive between t_warm and t_end
    are measured.

    An agent belongs to one runner thread (bench_runner.h) once the run starts; other
    threads may read its schedule (bench_agent_due, _measures, _schedule_size, _prefix),
    which does not change after bench_agent_schedule(), and main reads its result after
    joining that thread.
*/
#ifndef BENCH_AGENT_H
#define BENCH_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "bench_clock.h"
#include "bench_config.h"
#include "bench_hist.h"

#define BENCH_ID_PREFIX_LEN  14              /* "b" + 8 hex run id + "-" + 3 digits + "-" */
#define BENCH_COUNTER_DIGITS 10              /* the per-agent counter at the end of event_id */
#define BENCH_STALL_NS       (10 * NS_PER_S) /* window mode: no ack for this long */

typedef struct bench_agent_t bench_agent_t;

/* What one agent did. */
typedef struct {
    uint64_t sent;
    uint64_t acks;
    uint64_t accepted; /* over the whole run, warmup and drain included */
    uint64_t duplicates;
    uint64_t rejected;
    uint64_t measured;  /* ACCEPTED acks received inside the measured interval */
    uint64_t unmatched; /* replies the agent could not pair with a send */
    uint64_t bytes;     /* payload bytes sent */
    bool stalled;
    char first_reject[160]; /* the first reject's reason, for the report */
} bench_agent_result_t;

/* Agent number `index` of the run `run_id` (8 hex digits), its messages built (dated
   around `now_ms`, wall-clock milliseconds) and its DEALER, made in `ctx`, connected to
   `endpoint`. `cfg` is borrowed and must outlive the agent. Returns 0 and sets *out, or
   -1 after saying why on stderr. */
int
bench_agent_new(int index, const bench_config_t *cfg, void *ctx, const char *endpoint,
                const char *run_id, int64_t now_ms, bench_agent_t **out);

/* Frees the agent and closes its socket; accepts NULL and sets *self_p to NULL. */
void
bench_agent_destroy(bench_agent_t **self_p);

/* Sets the run's measured interval [t_warm, t_end) (sends stop at t_end) and, with a
   fixed rate, when counter 0 is due and the nanoseconds between two sends. */
void
bench_agent_schedule(bench_agent_t *self, uint64_t t_warm, uint64_t t_end, uint64_t first_due,
                     double interval_ns);

/* The run starts for the agent at `now`: a stall is counted from there. */
void
bench_agent_begin(bench_agent_t *self, uint64_t now);

/* Sends what the agent may send at `now`: with full windows until the window is full,
   at a fixed rate whatever is due (a bounded burst when late). A failed send ends the
   agent (bench_agent_done). */
void
bench_agent_send_some(bench_agent_t *self, uint64_t now);

/* Reads every reply waiting, without blocking, and counts it. With full windows, an
   agent that has events in flight and heard nothing for BENCH_STALL_NS is stalled, and
   done. */
void
bench_agent_take_acks(bench_agent_t *self, uint64_t now);

/* True once a send or receive failed or the agent stalled: it does nothing more. */
bool
bench_agent_done(const bench_agent_t *self);

/* True while the agent is not done and some of its sends have no ack yet. */
bool
bench_agent_awaits_acks(const bench_agent_t *self);

/* At a fixed rate, when the next send is due (as of the last bench_agent_send_some);
   UINT64_MAX with full windows. */
uint64_t
bench_agent_next_due(const bench_agent_t *self);

/* The file descriptor that signals the socket's events (ZMQ_FD: edge-triggered, see
   bench_agent_readable). Returns 0, or -errno. */
int
bench_agent_fd(const bench_agent_t *self, int *fd);

/* True when a reply is ready to read (or the socket cannot say: then reading finds out). */
bool
bench_agent_readable(const bench_agent_t *self);

/* At a fixed rate, when send number `counter` is due. */
uint64_t
bench_agent_due(const bench_agent_t *self, uint64_t counter);

/* True when `t` falls in the measured interval [t_warm, t_end). */
bool
bench_agent_measures(const bench_agent_t *self, uint64_t t);

/* At a fixed rate, a bound on the counters the schedule can reach: no send's counter is
   at or above it. */
uint64_t
bench_agent_schedule_size(const bench_agent_t *self);

/* The event_id prefix of the agent's events, "b<run id>-<agent>-". Owned by the agent. */
const char *
bench_agent_prefix(const bench_agent_t *self);

/* What the agent did. Owned by the agent; read it after its runner thread ended. */
const bench_agent_result_t *
bench_agent_result(const bench_agent_t *self);

/* Ack latency (measured interval only), and at a fixed rate how late each send left.
   Owned by the agent; read them after its runner thread ended. */
const bench_hist_t *
bench_agent_latency(const bench_agent_t *self);

const bench_hist_t *
bench_agent_lag(const bench_agent_t *self);

#endif
