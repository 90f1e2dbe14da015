/*  dash_http: the dashboard's web server, over libmicrohttpd.

    Paths:
      /, /figures, /bulletins, /bulletins/YYYY-MM        public pages
      /escalations, /matters, /compliance                office pages (office key only)
      <page>.csv?table=ID, <page>.xlsx?table=ID          one table of the page as a file
      /events                                            the live pages' event stream (SSE)
      /login (GET, POST), /logout (POST)                 sessions, when HTTP users are on
      /healthz, /metrics                                 operations
      /static/dash.css, /static/dash.js                  the compiled-in assets
    Anything else is 404; a method a path does not take is 405; a query parameter a page
    does not take or cannot read is 400, naming it; a request line over 2 KiB is 414, a
    request body over 4 KiB 413, headers beyond the connection's memory 431 (the
    library's own answer).

    Who sees what. With HTTP users (a users file with at least one user), every page
    needs a session: without one a page redirects to /login; the office pages need the
    office role (a viewer gets 403). Without users (allowed on a loopback address only)
    every page is open to whoever reaches the port. The office pages exist only when the
    dashboard follows the feed with the office key; with a dashboard key they are 404.
    /healthz and /metrics answer anyone on a loopback address; from elsewhere /metrics
    needs an office session too.

    Every answer carries a Content-Security-Policy that allows this origin's own scripts,
    styles and connections and nothing else (no inline script or style, no frames), plus
    X-Content-Type-Options, Referrer-Policy and, with TLS, Strict-Transport-Security.
    A POST whose Origin is another site's is refused (403).

    One thread per connection, so that an event stream may wait for its next event; the
    connections are bounded (DASH_HTTP_CONNECTIONS) and idle ones closed after
    DASH_HTTP_IDLE_S seconds (streams send a comment every 15 s to stay open).
*/
#ifndef DASH_HTTP_H
#define DASH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dash_auth.h"
#include "dash_follow.h"
#include "dash_labels.h"
#include "dash_report.h"
#include "dash_sse.h"
#include "dash_users.h"

#define DASH_HTTP_CONNECTIONS 1000
#define DASH_HTTP_IDLE_S      60
#define DASH_HTTP_URI_MAX     2048
#define DASH_HTTP_BODY_MAX    4096

typedef struct {
    const char *bind;     /* "127.0.0.1:7480", "[::1]:0", "0.0.0.0:443" */
    const char *tls_cert; /* PEM text of the certificate (chain); NULL: plain HTTP */
    const char *tls_key;  /* PEM text of its key */
    dajia_lang_t lang;
    bool office_key;           /* the view holds office items: the office pages exist */
    const dash_users_t *users; /* NULL or empty: no HTTP users */
    dash_follow_t *follow;
    dash_sse_t *sse;
    dash_report_ctx_t report; /* language and members (now_ms is set per request) */
    const char *tmpdir;       /* for the XLSX files; NULL: $TMPDIR or /tmp */
} dash_http_options_t;

typedef struct dash_http_t dash_http_t;

/* Binds and starts serving. Returns 0 and sets *out, or -1 with a sentence in `err`. */
int
dash_http_start(const dash_http_options_t *options, dash_http_t **out, char *err, size_t errlen);

/* The port it listens on (the real one when the address said 0). */
unsigned
dash_http_port(const dash_http_t *self);

/* Closes the event streams, stops serving, frees. Accepts NULL; sets *self_p to NULL. */
void
dash_http_stop(dash_http_t **self_p);

/* Is the host of `bind` ("HOST:PORT") a loopback address (127.0.0.0/8, ::1, localhost)?
   Sets *port_ok when the port parses. */
bool
dash_http_bind_is_loopback(const char *bind);

#endif
