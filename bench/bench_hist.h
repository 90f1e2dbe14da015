/*  bench_hist: a log-linear latency histogram in the manner of HdrHistogram.

    Values (nanoseconds here, but any unit works) below 2^(BENCH_HIST_SUB_BITS + 1) are
    counted exactly; above that every power of two is split into 2^BENCH_HIST_SUB_BITS
    equal buckets, so a reported percentile is within 1 / 2^BENCH_HIST_SUB_BITS (under
    1 %) of the true value, from microseconds to minutes, in a fixed 60 KB table.
    Recording is a shift and an increment: cheap enough for the send/ack hot loop.
    Each thread keeps its own histogram; bench_hist_merge() adds them up at the end.
*/
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_HIST_SUB_BITS 7

typedef struct bench_hist_t bench_hist_t;

/* A new, empty histogram, or NULL when memory ran out. Free with bench_hist_destroy(). */
bench_hist_t *
bench_hist_new(void);

/* Frees the histogram; accepts NULL and sets *self_p to NULL. */
void
bench_hist_destroy(bench_hist_t **self_p);

/* Counts one value. */
void
bench_hist_record(bench_hist_t *self, uint64_t value);

/* Adds every count of `other` to `self`. */
void
bench_hist_merge(bench_hist_t *self, const bench_hist_t *other);

/* Number of values recorded. */
uint64_t
bench_hist_count(const bench_hist_t *self);

/* The largest value recorded (exact), 0 when empty. */
uint64_t
bench_hist_max(const bench_hist_t *self);

/* The value at `quantile` (0.0 .. 1.0): the highest value of the bucket that holds it,
   so the answer errs on the slow side by at most one bucket width. 0 when empty. */
uint64_t
bench_hist_quantile(const bench_hist_t *self, double quantile);

#endif
