/*  circ_core: what the circulate core's files share (private to workers/circ_*).

    State tables (all in the worker's store, prefixed "circ."):
      circ.cells, circ.cases, circ.events  figures, kept by agg_figures with channel masks
      circ.reports  subject period NUL unit -> on_time(8) late(8) zero(8) last_report_at(8)
      circ.matters  unit NUL matter_id      -> interval_days(4) last_seq(4) MatterLine packed
      circ.info     period NUL unit NUL info_id -> InfoLine packed
      circ.meta     "open" -> start (unix ms) of the earliest period without a bulletin
      circ.done     period name -> produced_at of its bulletin (each period once)
*/
#ifndef CIRC_CORE_H
#define CIRC_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "agg_figures.h"
#include "worker_core.h"

#define CIRC_TABLE_REPORTS "circ.reports"
#define CIRC_TABLE_MATTERS "circ.matters"
#define CIRC_TABLE_INFO    "circ.info"
#define CIRC_TABLE_META    "circ.meta"
#define CIRC_TABLE_DONE    "circ.done"
#define CIRC_REPORT_BYTES  32
#define CIRC_MATTER_HEAD   8

extern const agg_tables_t circ_tables;

typedef struct {
    agg_period_spec_t spec;
    int64_t grace_ms;     /* circulate/grace_seconds */
    int64_t deadline_day; /* months: reports due by this day of the next month, 24:00 */
    int64_t deadline_ms;  /* fixed periods: reports due this long after the end */
    char **members;       /* circulate/members, in configured order */
    size_t n_members;
} circ_config_t;

/* When reports for the period starting at `start_ms` are due (unix ms). */
int64_t
circ_deadline(const circ_config_t *cfg, int64_t start_ms);

/* Builds the bulletin of the period starting at `start_ms` from the state in `txn` and
   appends it to `out` as a FeedItem (audience PUBLIC, service "circulate").
   Returns 0, -ENOMEM, a store error or -EINVAL on damaged state. */
int
circ_bulletin_build(store_txn_t *txn, const circ_config_t *cfg, int64_t start_ms,
                    int64_t produced_at, uint64_t source_log_seq, worker_outputs_t *out);

#endif
