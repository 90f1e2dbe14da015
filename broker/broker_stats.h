/*  broker_stats: the broker's counters, and a latency histogram for commit times.

    Owned and updated by the api thread only (the writer reports its figures back with
    each batch, the dispatcher's cursors are read from its snapshot when STATS is
    answered), so no locks are needed. The histogram is log-linear: 16 sub-buckets per
    power of two of microseconds, which bounds the error of a percentile to ~6%. Beside
    it, exact cumulative counts at fixed bounds (0.1 ms to 1 s) and the sum: what a
    Prometheus histogram publishes, which the log-linear cells cannot give exactly
    because the bounds do not fall on their edges.
*/
#ifndef BROKER_STATS_H
#define BROKER_STATS_H

#include <stdint.h>

#include "dajia.pb-c.h"

#define BROKER_HIST_SUB       16
#define BROKER_HIST_POWERS    40
#define BROKER_REASON_SLOTS   64 /* Reason values we count one by one; more go to "other" */
#define BROKER_HIST_BOUNDS    13 /* the fixed bounds of broker_hist_bounds_us */
#define BROKER_STATS_SERVICES 16 /* worker services whose lag STATS reports */

/* The fixed bounds, in microseconds: 100, 250, 500, 1000, ... 1000000 (0.1 ms to 1 s). */
extern const uint64_t broker_hist_bounds_us[BROKER_HIST_BOUNDS];

typedef struct {
    uint64_t counts[BROKER_HIST_POWERS * BROKER_HIST_SUB];
    uint64_t total;
    uint64_t le[BROKER_HIST_BOUNDS]; /* values <= broker_hist_bounds_us[k] (cumulative) */
    uint64_t sum;                    /* of the values (stays at UINT64_MAX once there) */
} broker_hist_t;

typedef struct {
    int64_t started_ms;
    uint64_t received;   /* messages read from the api socket */
    uint64_t accepted;   /* events stored for the first time */
    uint64_t duplicates; /* events stored before (answered with the original seq) */
    uint64_t rejected;   /* events refused, by reason below */
    uint64_t rejected_by_reason[BROKER_REASON_SLOTS];
    uint64_t throttled;        /* requests dropped undecoded: their connection was over
                                  its reject budget (broker/reject_budget) */
    uint64_t batches;          /* write transactions committed */
    uint64_t batch_events;     /* events in those transactions */
    uint64_t storage_failures; /* batches the store could not commit */
    broker_hist_t commit_us;   /* commit (write + sync) time per batch */
    uint64_t last_seq;
    uint64_t map_bytes;
    uint64_t used_bytes;
    /* replays and the bounds per peer (README, Security) */
    uint64_t replays;         /* REPLAY requests read */
    uint64_t replay_busy;     /* refused: the connection had one in flight */
    uint64_t replay_waited;   /* waited for the next second of their connection's budget */
    uint64_t replay_answers;  /* answers sent */
    uint64_t replay_items;    /* items in them */
    uint64_t answers_dropped; /* answers of any kind the peer's full queue refused */
    uint64_t peers_closed;    /* connections shut down for holding too much */
    uint64_t peers_refused;   /* connections refused past broker/max_connections */
    uint64_t memory_ceiling;  /* bytes, the dedup index not included */
    uint64_t index_bytes;     /* the dedup index when the broker started */
    /* the worker services and their cursors (broker_dispatch_cursors): lag = last_seq
       minus the cursor */
    size_t services;
    const char *service_name[BROKER_STATS_SERVICES]; /* borrowed from the dispatcher */
    uint64_t service_cursor[BROKER_STATS_SERVICES];
} broker_stats_t;

/* Zeroes `stats` and sets its start time. */
void
broker_stats_init(broker_stats_t *stats, int64_t now_ms);

/* Counts one rejection. */
void
broker_stats_reject(broker_stats_t *stats, Dajia__Reason reason);

/* Records one value (microseconds) in a histogram. */
void
broker_hist_record(broker_hist_t *hist, uint64_t value);

/* The value at quantile q (0..1), in the same unit; 0 if empty. */
double
broker_hist_quantile(const broker_hist_t *hist, double q);

/* The stats as one JSON object (the STATS reply). Caller frees with free(). */
char *
broker_stats_json(const broker_stats_t *stats, int64_t now_ms);

#endif
