/*  bench_report: what a run measured, and how it is written: one row of the table (the
    header first unless --no-header), or one JSON object (--json); then on stderr a line
    for each thing that went wrong or makes the figures doubtful.

    With --compare, a row (or object) holds two runs of the scenario, against the
    reference (bench_baseline.h) and against the broker, and their ratios.

    Table rows of an --e2e run give the submit -> escalation latencies and the escalations
    that never came ("missing"); other rows give submit -> ack. There are no pass/fail
    thresholds: the report measures, it does not judge.
*/
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdint.h>

#include "bench_config.h"

typedef struct {
    uint64_t sent, accepted, duplicates, rejected, unmatched, measured, bytes;
    int stalled;
    double seconds;
    double events_per_s;
    double p50_ms, p99_ms, p999_ms, max_ms;
    double lag_p99_ms, lag_max_ms; /* rate mode: the bench's own lateness */
    double per_commit;             /* < 0: unknown */
    const char *first_reject;
    /* e2e: scheduled send -> escalation on the office feed */
    uint64_t e2e_measured; /* events of the measured interval that escalated */
    uint64_t escalated;    /* events of the whole run that escalated */
    uint64_t missing;      /* accepted events with no escalation at the end */
    uint64_t foreign;      /* escalations of no event of this run */
    double e2e_p50_ms, e2e_p99_ms, e2e_p999_ms, e2e_max_ms;
} bench_report_t;

/* Writes the report of a run made with `cfg` on stdout (flushed), and its warnings on
   stderr. */
void
bench_report_print(const bench_config_t *cfg, const bench_report_t *r);

/* --compare: writes the run against the reference (`ref`; NULL when there was none,
   --e2e) and the run against the broker (`r`) as one row or JSON object, with the
   ratios of the broker's events/s and p99 to the reference's, and the warnings of
   both. */
void
bench_report_print_compare(const bench_config_t *cfg, const bench_report_t *ref,
                           const bench_report_t *r);

#endif
