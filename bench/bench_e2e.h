/*  bench_e2e: end to end, the subscriber that times each event to its escalation.

    With --e2e every event is a case of its own whose value is above the major-case
    threshold (rule E3), so the escalate worker escalates each event once. A thread of
    this module follows the office feed and takes, for each event, the time from its
    *scheduled* send to the first escalation naming it (source_event_id) on the feed:
    ingest, fsync, dispatch, the worker's commit, the feed log's commit and the
    publication, all included. Events whose escalation has not come when the thread
    gives up are missing (the feeds promise that nothing is lost).
*/
#ifndef BENCH_E2E_H
#define BENCH_E2E_H

#include <stdint.h>

#include "bench_agent.h"
#include "bench_clock.h"
#include "bench_hist.h"

#define BENCH_E2E_STRAGGLE_NS (5 * NS_PER_S) /* wait for escalations after the acks */

typedef struct bench_e2e_t bench_e2e_t;

/* A subscriber to the escalations of the office feed at `office`, on a SUB made in `ctx`,
   connected now: a SUB gets nothing published before its subscription reaches the
   broker, so this comes before the first send. Returns 0 and sets *out, or -1 after
   saying why on stderr. */
int
bench_e2e_new(void *ctx, const char *office, bench_e2e_t **out);

/* Starts the thread for agents[0 .. count) (borrowed, read only: their prefixes and
   schedules, already set; they must outlive the thread), giving up at `deadline`
   (bench_clock_now() time). Returns 0, or -1 after saying why on stderr. */
int
bench_e2e_start(bench_e2e_t *self, const bench_agent_t *const *agents, int count,
                uint64_t deadline);

/* Tells the thread that `expected` events were stored (so it may end as soon as each has
   escalated) and waits for it to end. */
void
bench_e2e_finish(bench_e2e_t *self, uint64_t expected);

/* Scheduled send -> escalation, for the events scheduled in the measured interval.
   Owned by the subscriber; read it after bench_e2e_finish. */
const bench_hist_t *
bench_e2e_latency(const bench_e2e_t *self);

/* Distinct events of this run that escalated (read after bench_e2e_finish). */
uint64_t
bench_e2e_events(const bench_e2e_t *self);

/* Escalations that named no event of this run (read after bench_e2e_finish). */
uint64_t
bench_e2e_foreign(const bench_e2e_t *self);

/* Joins the thread if it runs (it ends once bench_clock_stop() was called), closes the
   socket and frees the subscriber. Accepts NULL and sets *self_p to NULL. */
void
bench_e2e_destroy(bench_e2e_t **self_p);

#endif
