/*  dash_render: the dashboard's pages as HTML, written at the server.

    Every page works without JavaScript: the tables, the filters (plain GET forms), the
    charts (inline SVG, dash_chart) and the downloads are all in the HTML. The one script
    (/static/dash.js) only adds live updates: new escalations appear at the top of their
    table, and the figures and bulletin pages fetch themselves again when the feed
    changes them. The page names that script and the stylesheet by URL; nothing inline,
    so the Content-Security-Policy can allow the dashboard's own files only.

    Every page shows, at the top, whether the dashboard follows the broker; when it does
    not, a banner says since when and why, and that the page shows the last good state.

    A table on a page carries, per numeric cell, the exact number in data-v (fen for
    money), so a program reading the page finds the same figures the downloads hold.
*/
#ifndef DASH_RENDER_H
#define DASH_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "dash_buf.h"
#include "dash_query.h"
#include "dash_report.h"
#include "dash_table.h"
#include "dash_view.h"

#define DASH_REASON_MAX 256

/* What every page says around its content. */
typedef struct {
    dajia_lang_t lang;
    bool show_office;             /* the navigation lists the office pages */
    bool auth;                    /* HTTP users are on: show the user and a logout button */
    const char *user;             /* the logged-in user, or NULL */
    const char *role;             /* "office" or "viewer", or NULL */
    bool broker_up;               /* the dashboard follows the broker */
    char reason[DASH_REASON_MAX]; /* when not: why */
    int64_t down_since_ms;        /* when not: since when (0: never followed it) */
    uint64_t feed_seq;            /* the last feed item in the view */
    uint64_t events_since;        /* the live events' id when the page was made (dash_sse) */
    int64_t now_ms;
} dash_page_ctx_t;

/* The tables of page q->page (all of them; a download picks one by id). For a bulletin
   page sets *bulletin to the bulletin shown (NULL when there is none of that period and
   revision: the page does not exist). */
void
dash_render_tables(const dash_view_t *view, const dash_report_ctx_t *rctx, const dash_query_t *q,
                   dash_tables_t *out, const Dajia__FeedItem **bulletin);

/* Writes page q->page as HTML. Returns 0, -ENOENT when the page does not exist (a
   bulletin of a period with none), or -ENOMEM. */
int
dash_render_page(dash_buf_t *out, const dash_page_ctx_t *pctx, const dash_view_t *view,
                 const dash_report_ctx_t *rctx, const dash_query_t *q);

/* A page that only says something: an error (status 400, 403, 404, ...) or a notice. */
void
dash_render_message(dash_buf_t *out, const dash_page_ctx_t *pctx, int status, const char *title,
                    const char *text);

/* The login form; `error` (may be NULL) says why the last attempt failed; `next` is the
   page to go to afterwards (a path of this dashboard). */
void
dash_render_login(dash_buf_t *out, const dash_page_ctx_t *pctx, const char *error,
                  const char *next);

/* One table as HTML (what the pages use; exposed for tests). */
void
dash_render_table(dash_buf_t *out, const dash_table_t *t, dajia_lang_t lang);

#endif
