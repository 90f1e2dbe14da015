/*  bench_hist: log-linear latency histogram (see bench_hist.h).

    Layout of the bucket table, with S = BENCH_HIST_SUB_BITS:
      [0, 2^(S+1))                one bucket per value (exact)
      then for shift = 1, 2, ...  2^S buckets of width 2^shift covering
                                  [2^(S+shift), 2^(S+shift+1))
    so a value with its highest set bit at position msb >= S+1 lands in
    group shift = msb - S, sub-bucket (value >> shift) - 2^S.
*/
#include "bench_hist.h"

#include <stdlib.h>

#define S_SUB_COUNT (1u << BENCH_HIST_SUB_BITS)
#define S_EXACT     (2u * S_SUB_COUNT)
#define S_GROUPS    (64 - BENCH_HIST_SUB_BITS - 1)
#define S_BUCKETS   (S_EXACT + S_GROUPS * S_SUB_COUNT)

struct bench_hist_t {
    uint64_t total;
    uint64_t max;
    uint64_t counts[S_BUCKETS];
};

static size_t
s_index(uint64_t value)
{
    if (value < S_EXACT)
        return (size_t)value;
    int msb = 63 - __builtin_clzll(value);
    int shift = msb - BENCH_HIST_SUB_BITS;
    size_t sub = (size_t)(value >> shift) - S_SUB_COUNT;
    return S_EXACT + (size_t)(shift - 1) * S_SUB_COUNT + sub;
}

/* The highest value that falls in bucket `index`. */
static uint64_t
s_highest(size_t index)
{
    if (index < S_EXACT)
        return index;
    size_t rel = index - S_EXACT;
    int shift = (int)(rel / S_SUB_COUNT) + 1;
    uint64_t sub = rel % S_SUB_COUNT;
    uint64_t low = (S_SUB_COUNT + sub) << shift;
    return low + ((uint64_t)1 << shift) - 1;
}

bench_hist_t *
bench_hist_new(void)
{
    return calloc(1, sizeof(bench_hist_t));
}

void
bench_hist_destroy(bench_hist_t **self_p)
{
    if (self_p && *self_p) {
        free(*self_p);
        *self_p = NULL;
    }
}

void
bench_hist_record(bench_hist_t *self, uint64_t value)
{
    self->counts[s_index(value)]++;
    self->total++;
    if (value > self->max)
        self->max = value;
}

void
bench_hist_merge(bench_hist_t *self, const bench_hist_t *other)
{
    for (size_t i = 0; i < S_BUCKETS; i++)
        self->counts[i] += other->counts[i];
    self->total += other->total;
    if (other->max > self->max)
        self->max = other->max;
}

uint64_t
bench_hist_count(const bench_hist_t *self)
{
    return self->total;
}

uint64_t
bench_hist_max(const bench_hist_t *self)
{
    return self->max;
}

uint64_t
bench_hist_quantile(const bench_hist_t *self, double quantile)
{
    if (self->total == 0)
        return 0;
    if (quantile < 0.0)
        quantile = 0.0;
    if (quantile > 1.0)
        quantile = 1.0;
    /* The rank of the value wanted, 1-based: the smallest value with at least
       quantile * total values at or below it. */
    uint64_t rank = (uint64_t)(quantile * (double)self->total + 0.5);
    if (rank < 1)
        rank = 1;
    if (rank > self->total)
        rank = self->total;
    uint64_t seen = 0;
    for (size_t i = 0; i < S_BUCKETS; i++) {
        seen += self->counts[i];
        if (seen >= rank) {
            uint64_t high = s_highest(i);
            return high < self->max ? high : self->max;
        }
    }
    return self->max;
}
