/*  dash_view: what the dashboard shows, held in memory: the feed items folded into the
    current figures, escalations, major matters and bulletins.

    The view is a fold of the feed, item after item in feed_seq order:
    - an AggregateUpdate replaces the figures of each cell it carries (period x unit x
      case category x goods category); a cell whose figures are all zero is forgotten,
      as the aggregate worker forgets it (workers/agg_core.c);
    - an Escalation is added once (by escalation_id), in arrival order;
    - a MatterLine replaces the one held for its unit + matter_id;
    - a Bulletin is added once (by period and produced_at): a revision of a period is a
      second bulletin of that period, kept beside the first;
    - a ComplianceUpdate replaces, per month and unit, the row held (docs/domain.md §7.5):
      the latest row of every unit the feed named for the month, in the order first named.
    Every held thing remembers its item's audience, so a public page can be built from
    public items only, whatever key the dashboard follows the feed with.

    The whole view can be written out as one FeedBatch (dash_view_export) and read back
    (dash_view_import): the dashboard's state directory keeps it, with the feed_seq it
    reached, so a restart replays only what came since.

    Not thread-safe: the dashboard guards it with a read-write lock (dash_follow). What
    the accessors return is borrowed until the next apply, import or destroy.
*/
#ifndef DASH_VIEW_H
#define DASH_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dajia.pb-c.h"

/* The figures of message Figures, in its field order. */
typedef enum {
    DASH_FIG_CASES_FILED = 0,
    DASH_FIG_CASES_CLOSED,
    DASH_FIG_CASE_VALUE_FEN,
    DASH_FIG_FINES_FEN,
    DASH_FIG_LOSS_RECOVERED_FEN,
    DASH_FIG_TRANSFERS,
    DASH_FIG_DENS,
    DASH_FIG_ARRESTED,
    DASH_FIG_ARRESTS_APPROVED,
    DASH_FIG_PROSECUTIONS,
    DASH_FIG_JUDGMENTS,
    DASH_FIG_COUNT
} dash_fig_t;

/* The field name of figure `fig` in message Figures ("cases_filed"). Static. */
const char *
dash_fig_name(dash_fig_t fig);

/* Is figure `fig` money (fen)? */
bool
dash_fig_is_money(dash_fig_t fig);

/* The figures of a Figures message (NULL: zeros) into `v`. */
void
dash_fig_from(const Dajia__Figures *figures, int64_t v[DASH_FIG_COUNT]);

#define DASH_PERIOD_MAX 8  /* "YYYY-MM" and its NUL */
#define DASH_UNIT_MAX   65 /* a unit code (<= 64 bytes) and its NUL */

/* One cell of the figures. */
typedef struct {
    char period[DASH_PERIOD_MAX];
    char unit[DASH_UNIT_MAX];
    int category; /* Dajia__CaseCategory */
    int goods;    /* Dajia__GoodsCategory */
    bool public_; /* came in an item of audience PUBLIC */
    int64_t v[DASH_FIG_COUNT];
} dash_row_t;

typedef struct dash_view_t dash_view_t;

/* A new, empty view, or NULL when memory ran out. */
dash_view_t *
dash_view_new(void);

/* Accepts NULL; sets *self_p to NULL. */
void
dash_view_destroy(dash_view_t **self_p);

/* What an applied item changed, for the live pages. */
typedef enum {
    DASH_VIEW_NOTHING = 0,
    DASH_VIEW_FIGURES,
    DASH_VIEW_ESCALATION,
    DASH_VIEW_MATTER,
    DASH_VIEW_BULLETIN,
    DASH_VIEW_COMPLIANCE,
} dash_view_change_t;

/* Folds `item` in (the view keeps copies of what it holds). Sets *change (may be NULL).
   Items of a kind the view does not know are counted and ignored. Returns 0 or -ENOMEM
   (the view is then as before the item, but for rows already replaced). */
int
dash_view_apply(dash_view_t *self, const Dajia__FeedItem *item, dash_view_change_t *change);

/* The highest feed_seq applied (0: none). */
uint64_t
dash_view_last_seq(const dash_view_t *self);

/* Items applied, and items of a kind the view does not show. */
uint64_t
dash_view_items(const dash_view_t *self);
uint64_t
dash_view_ignored(const dash_view_t *self);

/* Every cell, in no set order. Sets *rows; returns the count. */
size_t
dash_view_rows(const dash_view_t *self, const dash_row_t *const **rows);

/* The escalations, oldest first (FeedItems with item_case ESCALATION). */
size_t
dash_view_escalations(const dash_view_t *self, const Dajia__FeedItem *const **items);

/* The latest MatterLine of every major matter, in the order first seen. */
size_t
dash_view_matters(const dash_view_t *self, const Dajia__FeedItem *const **items);

/* The bulletins, oldest first (revisions included). */
size_t
dash_view_bulletins(const dash_view_t *self, const Dajia__FeedItem *const **items);

#define DASH_STATUS_MAX 24 /* a compliance status ("zero_report") and its NUL */

/* One unit's reporting for a month, as the latest row of the feed said it. */
typedef struct {
    char unit[DASH_UNIT_MAX];
    char status[DASH_STATUS_MAX]; /* "on_time", "late", "missing", "pending", "zero_report" */
    bool late;                    /* its first report came after the deadline */
    int64_t first_report_at, last_report_at, events;
} dash_unit_compliance_t;

/* One month's reporting compliance. */
typedef struct {
    char *period;                  /* "YYYY-MM" (the worker's period name) */
    int64_t deadline_at;           /* reports are on time up to this instant */
    dash_unit_compliance_t *units; /* the units in the order the feed first named them */
    size_t n_units, cap;
} dash_compliance_t;

/* The months with compliance, in the order first seen. */
size_t
dash_view_compliance(const dash_view_t *self, const dash_compliance_t *const **months);

/* The latest produced_at of the compliance items applied: the worker's clock had reached
   it (0: none). */
int64_t
dash_view_compliance_seen(const dash_view_t *self);

/* The whole view as one packed FeedBatch (last_feed_seq: dash_view_last_seq). *data is
   the caller's (free()). Returns 0 or -ENOMEM. */
int
dash_view_export(const dash_view_t *self, uint8_t **data, size_t *len);

/* Applies a FeedBatch written by dash_view_export to an empty view and sets its last
   feed_seq. Returns 0, -EPROTO when the bytes do not decode, or -ENOMEM. */
int
dash_view_import(dash_view_t *self, const uint8_t *data, size_t len);

#endif
