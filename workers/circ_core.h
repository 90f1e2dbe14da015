/*  circ_core: what the circulate core's files share (private to workers/circ_*).

    circ_core.c     settings, the clock (deadlines, revisions, months opening), apply/tick
    circ_records.c  per unit and month: what was reported when (compliance), and the
                    month's dynamic information
    circ_matters.c  major matters with every progress, so a month sees them as they stood
    circ_bulletin.c a month's Bulletin read from the state, and the changes between two
    circ_render.c   the Bulletin as a person reads it (Chinese, or English by a setting)

    State tables (all in the worker's store, prefixed "circ."):
      circ.cells, circ.cases, circ.events  figures, kept by agg_figures with channel masks
      circ.reports   month NUL unit -> reports(8) zero(8) first_at(8) last_at(8) spare(8)
                     (a 32-byte record of an earlier version is read as such: see
                     circ_records.c)
      circ.matters   unit NUL matter_id -> 0xD2 type(1) spare(2) interval(4) MatterLine
                     packed (the latest report: title, severity, opened at, due at)
      circ.progress  unit NUL matter_id NUL seq(4) -> occurred_at(8) due_at(8) status(4)
                     event_id
      circ.info      month NUL unit NUL info_id -> InfoLine packed
      circ.meta      "first" -> start of the first month judged; "next" -> start of the
                     earliest month whose bulletin is not issued; "opened" -> start of the
                     latest month whose compliance table went out (unix ms, 8 bytes)
      circ.issued    month -> revision(4) + the latest revision's Bulletin packed (no text)
      circ.pending   month -> when its next revision is due (8)
      circ.sources   month NUL log_seq(8) -> BulletinSource packed: why it will be revised
    Months are period names ("YYYY-MM", or RFC 3339 for fixed demonstration periods).
*/
#ifndef CIRC_CORE_H
#define CIRC_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agg_figures.h"
#include "dajia_labels.h"
#include "esc_rules.h"
#include "worker_core.h"

#define CIRC_TABLE_REPORTS  "circ.reports"
#define CIRC_TABLE_MATTERS  "circ.matters"
#define CIRC_TABLE_PROGRESS "circ.progress"
#define CIRC_TABLE_INFO     "circ.info"
#define CIRC_TABLE_META     "circ.meta"
#define CIRC_TABLE_ISSUED   "circ.issued"
#define CIRC_TABLE_PENDING  "circ.pending"
#define CIRC_TABLE_SOURCES  "circ.sources"
#define CIRC_KEY_MAX        (AGG_PERIOD_MAX + 2 * AGG_UNIT_MAX + 8)

extern const agg_tables_t circ_tables;

typedef struct {
    agg_period_spec_t spec;
    int64_t grace_ms;          /* circulate/grace_seconds: the bulletin waits past the deadline */
    int64_t deadline_day;      /* months: reports due by this day of the next month, 24:00 */
    int64_t deadline_ms;       /* fixed periods: reports due this long after the end */
    bool has_go_live;          /* circulate/go_live is set */
    int64_t go_live;           /* ... the start of that month */
    dajia_lang_t lang;         /* circulate/language */
    esc_intervals_t intervals; /* escalate/matter_interval_days, ..._urgent_days */
    int64_t leader_days;       /* escalate/overdue_leader_days */
    char **members;            /* the units judged (circulate/members), in §2's order */
    size_t n_members;
    dajia_member_t *names; /* the configured member names (worker_settings_members), for */
    size_t n_names;        /* dajia_label_member; NULL, 0: the 23 defaults' */
} circ_config_t;

/* When reports for the period starting at `start_ms` stop being on time (unix ms): a
   report received at or before it is on time (docs/domain.md §7.2). */
int64_t
circ_deadline(const circ_config_t *cfg, int64_t start_ms);

/* The name of the period starting at `start_ms`. */
void
circ_period_name(const circ_config_t *cfg, int64_t start_ms, char buf[AGG_PERIOD_MAX]);

/* The start of the period named `name` (as circ_period_name writes it). Returns true and
   sets *start_ms, or false when it is no such name. */
bool
circ_period_parse(const circ_config_t *cfg, const char *name, int64_t *start_ms);

/* ================================================================ records */

/* The start of the period an event reports for (docs/domain.md §7.1). */
int64_t
circ_subject_start(const circ_config_t *cfg, const Dajia__Envelope *env);

/* What a unit sent for a period. */
typedef struct {
    uint64_t reports; /* reports other than zero reports */
    uint64_t zero;    /* zero reports */
    int64_t first_at; /* when it first submitted (0: never) */
    int64_t last_at;  /* when it last submitted */
} circ_reports_t;

/* The record of `unit` for the period starting at `start_ms` (zeros when absent).
   Returns 0, a store error or -EINVAL on a damaged record. */
int
circ_reports_get(store_txn_t *txn, const circ_config_t *cfg, int64_t start_ms, const char *unit,
                 circ_reports_t *r);

/* Adds one report (a zero report when `zero`) submitted at `at`. */
int
circ_reports_add(store_txn_t *txn, const circ_config_t *cfg, int64_t start_ms, const char *unit,
                 bool zero, int64_t at);

/* Judges a record at time `now` (docs/domain.md §7.3) into `u`: status (static text),
   late, first and last report, events, deadline. `u` must be initialised; its unit and
   period are left alone. */
void
circ_compliance_judge(const circ_config_t *cfg, int64_t start_ms, int64_t now,
                      const circ_reports_t *r, Dajia__UnitCompliance *u);

/* Keeps a DynamicInfo of a kind the bulletin lists (item 5). */
int
circ_info_record(store_txn_t *txn, const circ_config_t *cfg, const Dajia__Envelope *env);

/* The InfoLines of the period `name`, campaign progress first, then work dynamics, then
   typical cases; each owned (dajia__info_line__free_unpacked), the array too. */
int
circ_info_read(store_txn_t *txn, const char *name, Dajia__InfoLine ***items, size_t *count);

/* ================================================================ matters */

/* Keeps a MajorMatterReport or MajorMatterProgress (other events: nothing). Sets *since to
   the earliest event time whose picture it changed (0: none), so the bulletins of months
   ending after it can be revised. */
int
circ_matters_apply(store_txn_t *txn, const Dajia__Envelope *env, int64_t *since);

/* The matters item 4 of the period [start_ms, end_ms) lists, each as it stood at end_ms
   (docs/domain.md §6.3), overdue first. Each owned, the array too. */
int
circ_matters_read(store_txn_t *txn, const circ_config_t *cfg, int64_t start_ms, int64_t end_ms,
                  Dajia__MatterLine ***items, size_t *count);

/* ================================================================ bulletins */

/* The bulletin of the period starting at `start_ms` as the state holds it now, compliance
   judged at `now`: every section as data, no revision, no text. *out is owned: free
   with dajia__bulletin__free_unpacked. Returns 0, -ENOMEM, a store error or -EINVAL. */
int
circ_bulletin_read(store_txn_t *txn, const circ_config_t *cfg, int64_t start_ms, int64_t now,
                   Dajia__Bulletin **out);

/* Appends to after->changes what differs from `before` (figures field by field, each
   unit's compliance, the matters listed, the dynamics). `after` must be owned by the
   default allocator (from circ_bulletin_read or an unpack). Returns the number of
   changes, or -ENOMEM. */
int
circ_bulletin_diff(const Dajia__Bulletin *before, Dajia__Bulletin *after);

/* The markdown of `b` in cfg->lang (docs/domain.md §6.2). Returns a malloc'd string or
   NULL when memory ran out. */
char *
circ_render(const circ_config_t *cfg, const Dajia__Bulletin *b);

#endif
