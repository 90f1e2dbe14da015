/*  dash_metrics: /metrics in the Prometheus text format (version 0.0.4).

    The dashboard's own gauges and counters (following or not, its feed position, items
    applied, reconnects, open event streams, sessions, requests by status), and the
    broker's, translated from its STATS answer: events received, accepted, duplicates,
    rejected by reason, throttled, batches, storage failures, the commit latency as a
    histogram (dajia_broker_commit_seconds: cumulative buckets from 0.1 ms to 1 s, +Inf,
    sum and count) and its p50 and p99, each worker service's cursor and lag behind the
    log (dajia_broker_worker_lag{service=...}), the log's last seq and size, the uptime;
    and the feed's last sequence (from a REPLAY). What an older broker's STATS lacks is
    said in a comment rather than invented.
*/
#ifndef DASH_METRICS_H
#define DASH_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "dash_buf.h"
#include "dash_follow.h"

#define DASH_METRICS_CODES 14

/* The HTTP statuses counted one by one, and their count; the last slot is "other". */
extern const int dash_metrics_codes[DASH_METRICS_CODES];

typedef struct {
    dash_follow_status_t follow;
    const char *stats_json; /* the broker's STATS text, or NULL */
    size_t cells, escalations, matters, bulletins;
    size_t streams;  /* open event streams */
    uint64_t events; /* events published to the streams */
    size_t sessions; /* open HTTP sessions */
    uint64_t requests[DASH_METRICS_CODES];
} dash_metrics_t;

/* The slot of `status` in dash_metrics_codes. */
size_t
dash_metrics_code_slot(int status);

void
dash_metrics_write(dash_buf_t *out, const dash_metrics_t *m);

#endif
