/*  dash_report: the tables of each page, built from the view for one request.

    Figures: for a month P (the query's period), by member unit and by case category: the
    figures of P, the previous month and the same month a year before, with the change
    against each; by goods category with each one's share; the 12 months up to P (the
    trend); and by sales channel when the feed carries the month's bulletin (the channel
    figures come only with a bulletin). A unit or category in the query narrows every
    table to it. Only public items count: these are public pages.

    Office pages: the escalations newest first (filters: unit, rule, level), the open
    major matters overdue first with the time to their next progress, and reporting
    compliance now, from the ComplianceUpdates the circulate worker publishes: the open
    month unit by unit, each member's state in the other months.

    Bulletins: the list, and the tables of one bulletin as its printable page shows them.

    Each builder appends its tables to `out` (dash_tables_t; `out->failed` when memory ran
    out) and reads the view under the caller's read lock.
*/
#ifndef DASH_REPORT_H
#define DASH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dajia_time.h"
#include "dash_buf.h"
#include "dash_labels.h"
#include "dash_table.h"
#include "dash_view.h"

typedef struct {
    dajia_lang_t lang;
    const dajia_member_t *members; /* the configured members; NULL: the default 23 */
    size_t n_members;
    int64_t now_ms; /* for times to a deadline */
} dash_report_ctx_t;

/* The member units to list, in order: the configured ones, or the default 23. */
const dajia_member_t *
dash_report_members(const dash_report_ctx_t *ctx, size_t *count);

typedef struct {
    dajia_time_period_t period; /* a month */
    char unit[DASH_UNIT_MAX];   /* "": every unit */
    int category;               /* -1: every category */
} dash_figquery_t;

/* The month the figures page shows by default: the latest month with public figures,
   else the month of ctx->now_ms (Beijing time). */
dajia_time_period_t
dash_report_default_month(const dash_view_t *view, const dash_report_ctx_t *ctx);

/* The months with public figures, newest first, at most `max`, into `out`. Returns how
   many. */
size_t
dash_report_months(const dash_view_t *view, dajia_time_period_t *out, size_t max);

/* Tables "units", "categories", "goods", "trend" and, with a bulletin for the month,
   "channels". */
void
dash_report_figures(const dash_view_t *view, const dash_report_ctx_t *ctx, const dash_figquery_t *q,
                    dash_tables_t *out);

/* The newest public bulletin of `period` (NULL: of any period), or NULL. */
const Dajia__FeedItem *
dash_report_bulletin_of(const dash_view_t *view, const char *period);

typedef struct {
    const char *unit; /* NULL or "": all */
    const char *rule; /* NULL or "": all; "E3", or a family: "OVERDUE", "DEADLINE" */
    int level;        /* 0: all; else a Dajia__Severity */
} dash_escfilter_t;

/* Does escalation `e` pass `f`? */
bool
dash_report_escalation_passes(const Dajia__Escalation *e, const dash_escfilter_t *f);

/* Table "escalations", newest first; at most `limit` rows (0: all). */
void
dash_report_escalations(const dash_view_t *view, const dash_report_ctx_t *ctx,
                        const dash_escfilter_t *f, size_t limit, dash_tables_t *out);

/* One escalation as the cells of the escalations table would show it, as a JSON object
   for the live page: {"id","time","rule","level","unit","subject","reason","action",
   "source"}. Appends to `buf`. */
void
dash_report_escalation_json(const Dajia__FeedItem *item, const dash_report_ctx_t *ctx,
                            dash_buf_t *buf);

/* Table "matters": open major matters, overdue first. */
void
dash_report_matters(const dash_view_t *view, const dash_report_ctx_t *ctx, dash_tables_t *out);

#define DASH_REPORT_COMPLIANCE_MONTHS 12 /* the other months the compliance page shows */

/* "Now" for compliance: ctx->now_ms, or the latest compliance item's produced_at when
   the worker's clock is ahead of ours (it had reached it). */
int64_t
dash_report_compliance_now(const dash_view_t *view, const dash_report_ctx_t *ctx);

/* The open month: the one whose reports are still being collected, the earliest whose
   deadline has not passed at dash_report_compliance_now (on 5 November, October, due on
   the 10th); else the month with the latest deadline; NULL when the feed has carried no
   compliance. Borrowed from the view. */
const dash_compliance_t *
dash_report_compliance_open(const dash_view_t *view, const dash_report_ctx_t *ctx);

/* Tables "compliance" (the open month unit by unit: the state in words, a pending one
   with the days left and a pending one past the deadline missing, the deadline, the
   first and last report and their count; each row's class its state, its id
   "compliance-UNIT") and "history" (each member unit's state in up to
   DASH_REPORT_COMPLIANCE_MONTHS other months, latest deadline first; only when there
   are any). Nothing when the feed has carried no compliance. */
void
dash_report_compliance(const dash_view_t *view, const dash_report_ctx_t *ctx, dash_tables_t *out);

/* Table "bulletins": every public bulletin, newest period first, revisions numbered. */
void
dash_report_bulletins(const dash_view_t *view, const dash_report_ctx_t *ctx, dash_tables_t *out);

/* Which revision `item` is among the public bulletins of its period (1: the first
   issue). */
int
dash_report_bulletin_revision(const dash_view_t *view, const Dajia__FeedItem *item);

/* A period's name as a title says it: a month "2026-11" as "2026年11月"; any other name
   (a demonstration period's RFC 3339 start) as it is. Returns buf. */
const char *
dash_report_period_label(const char *period, dajia_lang_t lang, char *buf, size_t size);

/* The public bulletin of `period`, revision `rev` (1: the first; 0: the newest), or
   NULL. */
const Dajia__FeedItem *
dash_report_bulletin_find(const dash_view_t *view, const char *period, int rev);

/* The tables of one bulletin: "units" (by unit, against the previous period),
   "categories", "goods", "channels", "matters", "dynamics", "compliance". */
void
dash_report_bulletin(const Dajia__Bulletin *b, const dash_report_ctx_t *ctx, dash_tables_t *out);

#endif
