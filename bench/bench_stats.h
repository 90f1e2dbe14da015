/*  bench_stats: the broker's own counters, asked for with STATS before and after the
    measured interval, so the report can say how many events each commit (each fsync)
    carried while the bench measured.
*/
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stdint.h>

typedef struct {
    uint64_t accepted; /* events stored since the broker started */
    uint64_t batches;  /* commits since the broker started */
    uint64_t rejected; /* 0 when the answer lacked it */
} bench_stats_t;

/* Asks the broker at `endpoint` for STATS, on a DEALER of its own made in `ctx`, waiting
   at most BENCH_STATS_TIMEOUT_MS. Returns 0 with `stats` filled, or -1 when no answer
   came or it held no "accepted" or "batches" (then `stats` holds what was read). */
int
bench_stats_ask(void *ctx, const char *endpoint, bench_stats_t *stats);

#endif
