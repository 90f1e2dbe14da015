/*  dash_http: the dashboard's web server (see dash_http.h).

    libmicrohttpd calls the handler several times per request: once when the headers are
    in (we only look at them), once per piece of body, and once more when the body is
    done, which is when we answer. The per-request state is made by the URI callback,
    which sees the raw request target (so that its length can be checked before
    anything else), and freed by the completion callback.
*/
#include "dash_http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dajia_log.h"
#include "dash_assets.h"
#include "dash_buf.h"
#include "dash_csv.h"
#include "dash_metrics.h"
#include "dash_query.h"
#include "dash_render.h"
#include "dash_xlsx.h"

#define S_MEMORY_LIMIT   (32 * 1024) /* per connection: headers beyond this are refused */
#define S_STACK_SIZE     (512 * 1024)
#define S_ARGS_MAX       16
#define S_STREAM_WAIT_MS 15000
#define S_STREAM_RING    4096
#define S_NEXT_MAX       512
#define S_PEER_MAX       INET6_ADDRSTRLEN

#define S_CSP                                                                                      \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "                    \
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

struct dash_http_t {
    dash_http_options_t o;
    struct MHD_Daemon *daemon;
    bool tls;
    bool auth; /* HTTP users are on */
    dash_auth_t *sessions;
    unsigned port;
    atomic_uint_fast64_t requests[DASH_METRICS_CODES];
};

/* One request. */
typedef struct {
    char *uri; /* the raw request target, with its query */
    size_t uri_len;
    bool started;
    bool answered; /* a response went out early (413) */
    dash_buf_t body;
    char peer[S_PEER_MAX];
    bool peer_loopback;
    char user[DASH_USERS_NAME_MAX + 1];
    dash_role_t role; /* of the session; NONE without one */
    const char *token;
} s_req_t;

static const char *
s_t(dash_http_t *self, const char *zh, const char *en)
{
    return self->o.lang == DAJIA_LANG_EN ? en : zh;
}

// ====================================================================== answers

static void
s_headers(dash_http_t *self, struct MHD_Response *resp, const char *type, bool cache)
{
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Content-Security-Policy", S_CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    /* same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on the
       login form, and the same-origin check below could not tell it from another site. */
    MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Cache-Control", cache ? "max-age=3600" : "no-store");
    if (self->tls)
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
}

static void
s_count(dash_http_t *self, unsigned status)
{
    atomic_fetch_add(&self->requests[dash_metrics_code_slot((int)status)], 1);
}

/* Sends `body` (taken) with `status`; `extra` is NULL-terminated header name/value
   pairs. */
static enum MHD_Result
s_send(dash_http_t *self, struct MHD_Connection *c, unsigned status, const char *type,
       dash_buf_t *body, bool cache, const char *const *extra)
{
    size_t len = 0;
    char *data = dash_buf_take(body, &len);
    if (!data) {
        static const char oom[] = "out of memory\n";
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        type = "text/plain; charset=utf-8";
        data = strdup(oom);
        len = data ? strlen(oom) : 0;
        extra = NULL;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, data, data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(data);
        return MHD_NO;
    }
    s_headers(self, resp, type, cache);
    for (size_t i = 0; extra && extra[i]; i += 2)
        MHD_add_response_header(resp, extra[i], extra[i + 1]);
    enum MHD_Result rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    s_count(self, status);
    return rc;
}

static void
s_page_ctx(dash_http_t *self, const s_req_t *r, dash_page_ctx_t *p)
{
    memset(p, 0, sizeof *p);
    dash_follow_status_t st;
    dash_follow_status(self->o.follow, &st);
    p->lang = self->o.lang;
    p->auth = self->auth;
    p->user = *r->user ? r->user : NULL;
    p->role = *r->user ? dash_role_name(r->role) : NULL;
    p->show_office = self->o.office_key && (!self->auth || r->role == DASH_ROLE_OFFICE);
    p->broker_up = st.up;
    snprintf(p->reason, sizeof p->reason, "%s", st.reason);
    p->down_since_ms = st.up ? 0 : st.since_ms;
    p->feed_seq = st.view_seq;
    p->events_since = dash_sse_last(self->o.sse);
    p->now_ms = zclock_time();
}

static enum MHD_Result
s_error(dash_http_t *self, struct MHD_Connection *c, const s_req_t *r, unsigned status,
        const char *title, const char *text)
{
    dash_page_ctx_t p;
    s_page_ctx(self, r, &p);
    dash_buf_t b = {0};
    dash_render_message(&b, &p, (int)status, title, text);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
        const char *allow[] = {"Allow", "GET, HEAD", NULL};
        return s_send(self, c, status, "text/html; charset=utf-8", &b, false, allow);
    }
    return s_send(self, c, status, "text/html; charset=utf-8", &b, false, NULL);
}

static enum MHD_Result
s_redirect(dash_http_t *self, struct MHD_Connection *c, const char *location, const char *cookie)
{
    dash_buf_t b = {0};
    dash_buf_puts(&b, "<!DOCTYPE html><title>303</title><a href=\"");
    dash_buf_html(&b, location);
    dash_buf_puts(&b, "\">→</a>\n");
    const char *extra[] = {"Location", location, cookie ? "Set-Cookie" : NULL, cookie, NULL};
    return s_send(self, c, MHD_HTTP_SEE_OTHER, "text/html; charset=utf-8", &b, false, extra);
}

static enum MHD_Result
s_text(dash_http_t *self, struct MHD_Connection *c, unsigned status, const char *text)
{
    dash_buf_t b = {0};
    dash_buf_puts(&b, text);
    return s_send(self, c, status, "text/plain; charset=utf-8", &b, false, NULL);
}

// ====================================================================== who asks

static void
s_peer(struct MHD_Connection *c, s_req_t *r)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    snprintf(r->peer, sizeof r->peer, "?");
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, r->peer, sizeof r->peer);
        r->peer_loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, r->peer, sizeof r->peer);
        r->peer_loopback =
            IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
            (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127);
    }
}

static void
s_session(dash_http_t *self, struct MHD_Connection *c, s_req_t *r)
{
    r->role = DASH_ROLE_NONE;
    r->user[0] = '\0';
    if (!self->auth)
        return;
    r->token = MHD_lookup_connection_value(c, MHD_COOKIE_KIND,
                                           self->tls ? DASH_AUTH_COOKIE_TLS : DASH_AUTH_COOKIE);
    if (r->token && !dash_auth_session(self->sessions, r->token, zclock_time(), r->user, &r->role))
        r->token = NULL;
}

/* May this request see a page (office: an office page)? 0 when it may; else answers. */
static enum MHD_Result
s_guard(dash_http_t *self, struct MHD_Connection *c, s_req_t *r, bool office, bool *answered)
{
    *answered = true;
    if (office && !self->o.office_key)
        return s_error(
            self, c, r, MHD_HTTP_NOT_FOUND, s_t(self, "没有此页面", "Not found"),
            s_t(self, "本看板使用看板密钥跟随公开通报流，没有办公室页面（需以 office 密钥启动）。",
                "This dashboard follows the public feed with a dashboard key: the "
                "office pages need the office key."));
    if (self->auth && r->role == DASH_ROLE_NONE) {
        dash_buf_t loc = {0};
        dash_buf_puts(&loc, "/login?next=");
        dash_buf_url(&loc, r->uri ? r->uri : "/");
        enum MHD_Result rc = s_redirect(self, c, loc.data ? loc.data : "/login", NULL);
        dash_buf_reset(&loc);
        return rc;
    }
    if (office && self->auth && r->role != DASH_ROLE_OFFICE)
        return s_error(self, c, r, MHD_HTTP_FORBIDDEN, s_t(self, "无权查看", "Forbidden"),
                       s_t(self, "此页面仅限领导小组办公室（office 角色）查看。",
                           "This page is for the Office only (the office role)."));
    *answered = false;
    return MHD_YES;
}

// ====================================================================== query

typedef struct {
    dash_query_t *q;
    char err[256];
    int rc;
    size_t count;
} s_args_t;

static enum MHD_Result
s_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    s_args_t *a = cls;
    if (++a->count > S_ARGS_MAX) {
        snprintf(a->err, sizeof a->err, "too many query parameters (at most %d)", S_ARGS_MAX);
        a->rc = -EINVAL;
        return MHD_NO;
    }
    a->rc = dash_query_param(a->q, key, value, a->err, sizeof a->err);
    return a->rc == 0 ? MHD_YES : MHD_NO;
}

/* Checks the query of a path that takes no parameter but `allowed` (NULL: none), whose
   value goes to *value. Returns 0, or -EINVAL with a sentence in `err`. */
static int
s_only_arg(struct MHD_Connection *c, const char *allowed, const char **value, char *err,
           size_t errlen)
{
    *value = NULL;
    int n = MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, NULL, NULL);
    if (n == 0)
        return 0;
    if (allowed && n == 1 &&
        (*value = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, allowed)) != NULL)
        return 0;
    if (allowed)
        snprintf(err, errlen, "the only query parameter here is \"%s\"\n", allowed);
    else
        snprintf(err, errlen, "this path takes no query parameters\n");
    return -EINVAL;
}

// ====================================================================== pages

static const char *
s_page_file(dash_page_t page)
{
    switch (page) {
    case DASH_PAGE_FIGURES:
        return "figures";
    case DASH_PAGE_BULLETINS:
        return "bulletins";
    case DASH_PAGE_BULLETIN:
        return "bulletin";
    case DASH_PAGE_ESCALATIONS:
        return "escalations";
    case DASH_PAGE_MATTERS:
        return "matters";
    case DASH_PAGE_COMPLIANCE:
        return "compliance";
    default:
        return "table";
    }
}

static enum MHD_Result
s_download(dash_http_t *self, struct MHD_Connection *c, s_req_t *r, const dash_query_t *q,
           const dash_view_t *view, const dash_report_ctx_t *rctx)
{
    if (!*q->table) {
        dash_follow_done(self->o.follow);
        return s_error(self, c, r, MHD_HTTP_BAD_REQUEST, s_t(self, "请求有误", "Bad request"),
                       "parameter \"table\" is needed for a download: the id of one of the "
                       "page's tables");
    }
    dash_tables_t tables = {0};
    dash_render_tables(view, rctx, q, &tables, NULL);
    dash_table_t *t = dash_tables_find(&tables, q->table);
    dash_buf_t b = {0};
    int rc = 0;
    if (t && q->format == DASH_FORMAT_CSV)
        dash_csv_write(&b, t);
    else if (t)
        rc = dash_xlsx_write(&b, t, self->o.tmpdir);
    dash_follow_done(self->o.follow);
    if (!t || tables.failed) {
        dash_tables_free(&tables);
        dash_buf_reset(&b);
        if (!tables.failed) {
            char text[128];
            snprintf(text, sizeof text, "parameter \"table\": this page has no table \"%s\"",
                     q->table);
            return s_error(self, c, r, MHD_HTTP_BAD_REQUEST, s_t(self, "请求有误", "Bad request"),
                           text);
        }
        return s_text(self, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    }
    char name[160], period[DAJIA_TIME_PERIOD_MAX], disposition[200];
    snprintf(name, sizeof name, "%s-%s", s_page_file(q->page), q->table);
    if (q->page == DASH_PAGE_BULLETIN) {
        /* The period as a file name: "2026-11", or "2026-12-04T19-20-00Z". */
        size_t k = strlen(name);
        name[k++] = '-';
        for (const char *b = q->bulletin; *b && k + 1 < sizeof name; b++)
            name[k++] = *b == ':' || *b == '+' ? '-' : *b;
        name[k] = '\0';
    } else if (q->has_period)
        snprintf(name + strlen(name), sizeof name - strlen(name), "-%s",
                 dajia_time_period_format(q->period, period, sizeof period));
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s.%s\"", name,
             q->format == DASH_FORMAT_CSV ? "csv" : "xlsx");
    dash_tables_free(&tables);
    if (rc) {
        dash_buf_reset(&b);
        return s_text(self, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot write the workbook\n");
    }
    const char *extra[] = {"Content-Disposition", disposition, NULL};
    return s_send(self, c, MHD_HTTP_OK,
                  q->format == DASH_FORMAT_CSV
                      ? "text/csv; charset=utf-8"
                      : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                  &b, false, extra);
}

static enum MHD_Result
s_page(dash_http_t *self, struct MHD_Connection *c, s_req_t *r, dash_query_t *q)
{
    bool office = q->page == DASH_PAGE_ESCALATIONS || q->page == DASH_PAGE_MATTERS ||
                  q->page == DASH_PAGE_COMPLIANCE;
    bool answered;
    enum MHD_Result rc = s_guard(self, c, r, office, &answered);
    if (answered)
        return rc;
    s_args_t args = {.q = q};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, s_arg, &args);
    if (args.rc)
        return s_error(self, c, r, MHD_HTTP_BAD_REQUEST, s_t(self, "请求有误", "Bad request"),
                       args.err);
    if (*q->table && q->format == DASH_FORMAT_HTML)
        return s_error(self, c, r, MHD_HTTP_BAD_REQUEST, s_t(self, "请求有误", "Bad request"),
                       "parameter \"table\" belongs to the downloads (.csv, .xlsx)");
    dash_page_ctx_t p;
    s_page_ctx(self, r, &p); /* before the view: see dash_render.h on events_since */
    dash_report_ctx_t rctx = self->o.report;
    rctx.now_ms = p.now_ms;
    const dash_view_t *view = dash_follow_read(self->o.follow);
    if (q->format != DASH_FORMAT_HTML)
        return s_download(self, c, r, q, view, &rctx);
    dash_buf_t b = {0};
    int prc = dash_render_page(&b, &p, view, &rctx, q);
    dash_follow_done(self->o.follow);
    if (prc == -ENOENT) {
        dash_buf_reset(&b);
        return s_error(self, c, r, MHD_HTTP_NOT_FOUND, s_t(self, "没有此通报", "No such bulletin"),
                       s_t(self, "该期别（或版次）的通报尚未印发。",
                           "No bulletin of that period (or issue) has been issued."));
    }
    if (prc) {
        dash_buf_reset(&b);
        return s_text(self, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    }
    return s_send(self, c, MHD_HTTP_OK, "text/html; charset=utf-8", &b, false, NULL);
}

// ====================================================================== operations

static enum MHD_Result
s_healthz(dash_http_t *self, struct MHD_Connection *c)
{
    dash_follow_status_t st;
    dash_follow_status(self->o.follow, &st);
    dash_buf_t b = {0};
    if (st.up)
        dash_buf_printf(&b, "ok: following the broker's feed, item %" PRIu64 "\n", st.view_seq);
    else
        dash_buf_printf(&b,
                        "not following the broker: %s (serving the last state, feed item "
                        "%" PRIu64 ")\n",
                        st.reason, st.view_seq);
    return s_send(self, c, st.up ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                  "text/plain; charset=utf-8", &b, false, NULL);
}

static enum MHD_Result
s_metrics(dash_http_t *self, struct MHD_Connection *c)
{
    dash_metrics_t m = {0};
    dash_follow_status(self->o.follow, &m.follow);
    char *stats = dash_follow_stats(self->o.follow);
    m.stats_json = stats;
    const dash_view_t *view = dash_follow_read(self->o.follow);
    const dash_row_t *const *rows;
    const Dajia__FeedItem *const *items;
    m.cells = dash_view_rows(view, &rows);
    m.escalations = dash_view_escalations(view, &items);
    m.matters = dash_view_matters(view, &items);
    m.bulletins = dash_view_bulletins(view, &items);
    dash_follow_done(self->o.follow);
    m.streams = dash_sse_streams(self->o.sse);
    m.events = dash_sse_published(self->o.sse);
    m.sessions = self->sessions ? dash_auth_sessions(self->sessions) : 0;
    for (size_t i = 0; i < DASH_METRICS_CODES; i++)
        m.requests[i] = atomic_load(&self->requests[i]);
    dash_buf_t b = {0};
    dash_metrics_write(&b, &m);
    free(stats);
    return s_send(self, c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", &b, false,
                  NULL);
}

// ====================================================================== sessions

/* The value of `name` in an urlencoded form, decoded into `out`. False when missing. */
static bool
s_form(const char *body, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);
    for (const char *p = body; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t o = 0;
            for (size_t i = nlen + 1; i < len && o + 1 < size; i++) {
                char ch = p[i];
                if (ch == '+')
                    ch = ' ';
                else if (ch == '%' && i + 2 < len + 0 + 1 && isxdigit((unsigned char)p[i + 1]) &&
                         isxdigit((unsigned char)p[i + 2])) {
                    char hex[3] = {p[i + 1], p[i + 2], 0};
                    ch = (char)strtol(hex, NULL, 16);
                    i += 2;
                }
                out[o++] = ch;
            }
            out[o] = '\0';
            return true;
        }
        p = amp ? amp + 1 : NULL;
    }
    return false;
}

/* A page of this dashboard to go to after login; anything else becomes "/". */
static const char *
s_safe_next(const char *next)
{
    if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\' || strlen(next) >= S_NEXT_MAX)
        return "/";
    for (const char *p = next; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == '\\')
            return "/";
    return next;
}

/* A POST from a page of another site is refused: the browser says where it comes from. */
static bool
s_same_origin(dash_http_t *self, struct MHD_Connection *c)
{
    const char *site = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
    if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
        return false;
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (!origin)
        return true;
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    char expected[300];
    snprintf(expected, sizeof expected, "%s://%s", self->tls ? "https" : "http", host ? host : "");
    return strcmp(origin, expected) == 0;
}

static enum MHD_Result
s_login(dash_http_t *self, struct MHD_Connection *c, s_req_t *r, bool post)
{
    dash_page_ctx_t p;
    s_page_ctx(self, r, &p);
    if (!self->auth)
        return s_redirect(self, c, "/", NULL);
    if (!post) {
        int n = MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, NULL, NULL);
        const char *next = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "next");
        if (n > (next ? 1 : 0))
            return s_error(self, c, r, MHD_HTTP_BAD_REQUEST, s_t(self, "请求有误", "Bad request"),
                           "the only query parameter of /login is \"next\"");
        dash_buf_t b = {0};
        dash_render_login(&b, &p, NULL, s_safe_next(next));
        return s_send(self, c, MHD_HTTP_OK, "text/html; charset=utf-8", &b, false, NULL);
    }
    if (!s_same_origin(self, c))
        return s_error(self, c, r, MHD_HTTP_FORBIDDEN, s_t(self, "无权操作", "Forbidden"),
                       "a login form of another site");
    char user[DASH_USERS_NAME_MAX + 2] = "", password[DASH_USERS_PASSWORD_MAX + 2] = "",
                                    next[S_NEXT_MAX] = "/";
    const char *body = r->body.data ? r->body.data : "";
    s_form(body, "user", user, sizeof user);
    s_form(body, "password", password, sizeof password);
    s_form(body, "next", next, sizeof next);
    char token[DASH_AUTH_TOKEN_MAX];
    int64_t retry = 0;
    dash_auth_result_t res =
        dash_auth_login(self->sessions, r->peer, user, password, zclock_time(), token, &retry);
    explicit_bzero(password, sizeof password);
    if (res == DASH_AUTH_OK) {
        dajia_log_info("http: %s logged in from %s", user, r->peer);
        char cookie[256];
        dash_auth_cookie(token, self->tls, cookie, sizeof cookie);
        return s_redirect(self, c, s_safe_next(next), cookie);
    }
    dash_buf_t b = {0};
    unsigned status = MHD_HTTP_FORBIDDEN;
    char text[160], after[32];
    const char *extra[3] = {NULL, NULL, NULL};
    if (res == DASH_AUTH_THROTTLED) {
        status = MHD_HTTP_TOO_MANY_REQUESTS;
        long long s = (long long)((retry + 999) / 1000);
        snprintf(after, sizeof after, "%lld", s);
        snprintf(text, sizeof text, "%s %lld %s",
                 s_t(self, "登录失败次数过多，请在", "Too many failed logins: try again in"), s,
                 s_t(self, "秒后再试。", "s."));
        extra[0] = "Retry-After";
        extra[1] = after;
    } else if (res == DASH_AUTH_FULL) {
        status = MHD_HTTP_SERVICE_UNAVAILABLE;
        snprintf(text, sizeof text, "%s",
                 s_t(self, "会话已满，请稍后再试。", "Too many sessions; try later."));
    } else {
        dajia_log_warning("http: failed login for \"%.32s\" from %s", user, r->peer);
        snprintf(text, sizeof text, "%s",
                 s_t(self, "用户名或密码错误。", "Wrong user name or password."));
    }
    dash_render_login(&b, &p, text, s_safe_next(next));
    return s_send(self, c, status, "text/html; charset=utf-8", &b, false, extra[0] ? extra : NULL);
}

static enum MHD_Result
s_logout(dash_http_t *self, struct MHD_Connection *c, s_req_t *r)
{
    if (!s_same_origin(self, c))
        return s_error(self, c, r, MHD_HTTP_FORBIDDEN, s_t(self, "无权操作", "Forbidden"),
                       "a logout form of another site");
    if (r->token)
        dash_auth_logout(self->sessions, r->token);
    char cookie[256];
    dash_auth_cookie(NULL, self->tls, cookie, sizeof cookie);
    return s_redirect(self, c, self->auth ? "/login" : "/", self->auth ? cookie : NULL);
}

// ====================================================================== events

typedef struct {
    dash_http_t *http;
    uint64_t after;
    bool office;
    dash_buf_t pending;
    size_t off;
} s_stream_t;

static ssize_t
s_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    s_stream_t *st = cls;
    if (st->off >= st->pending.len) {
        dash_buf_reset(&st->pending);
        st->off = 0;
        uint64_t id = 0;
        char *event = NULL, *data = NULL;
        int rc = dash_sse_next(st->http->o.sse, st->after, st->office, S_STREAM_WAIT_MS, &id,
                               &event, &data);
        if (rc == 0) {
            dash_buf_printf(&st->pending, "id: %" PRIu64 "\nevent: %s\ndata: %s\n\n", id, event,
                            data);
            st->after = id;
        } else if (rc == -ETIMEDOUT) {
            dash_buf_puts(&st->pending, ": keepalive\n\n");
        } else if (rc == -ERANGE) {
            /* Fell behind the ring: the page starts again from a fresh state. */
            st->after = dash_sse_last(st->http->o.sse);
            dash_buf_puts(&st->pending, "event: reload\ndata: {}\n\n");
        } else {
            free(event);
            free(data);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        free(event);
        free(data);
        if (st->pending.failed)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = st->pending.len - st->off;
    if (n > max)
        n = max;
    memcpy(buf, st->pending.data + st->off, n);
    st->off += n;
    return (ssize_t)n;
}

static void
s_stream_free(void *cls)
{
    s_stream_t *st = cls;
    dash_sse_leave(st->http->o.sse);
    dash_buf_reset(&st->pending);
    free(st);
}

static enum MHD_Result
s_events(dash_http_t *self, struct MHD_Connection *c, s_req_t *r)
{
    if (self->auth && r->role == DASH_ROLE_NONE)
        return s_text(self, c, MHD_HTTP_UNAUTHORIZED, "log in first\n");
    const char *since = NULL;
    char err[128];
    if (s_only_arg(c, "since", &since, err, sizeof err) != 0)
        return s_text(self, c, MHD_HTTP_BAD_REQUEST, err);
    const char *last_id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
    const char *from = last_id ? last_id : since;
    uint64_t after = dash_sse_last(self->o.sse);
    if (from) {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(from, &end, 10);
        if (!*from || *end || errno || from[0] == '-')
            return s_text(self, c, MHD_HTTP_BAD_REQUEST,
                          "parameter \"since\": expected an event id (a whole number)\n");
        after = v;
    }
    s_stream_t *st = calloc(1, sizeof *st);
    if (!st)
        return MHD_NO;
    st->http = self;
    st->after = after;
    st->office = self->o.office_key && (!self->auth || r->role == DASH_ROLE_OFFICE);
    dash_buf_printf(&st->pending, "retry: 2000\n\nevent: hello\ndata: {\"after\":%" PRIu64 "}\n\n",
                    after);
    dash_sse_join(self->o.sse);
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, s_stream_read, st, s_stream_free);
    if (!resp) {
        s_stream_free(st);
        return MHD_NO;
    }
    s_headers(self, resp, "text/event-stream; charset=utf-8", false);
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    s_count(self, MHD_HTTP_OK);
    return rc;
}

// ====================================================================== routing

static enum MHD_Result
s_route(dash_http_t *self, struct MHD_Connection *c, s_req_t *r, const char *url,
        const char *method)
{
    bool get =
        strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    s_peer(c, r);
    if (r->uri_len > DASH_HTTP_URI_MAX)
        return s_error(self, c, r, MHD_HTTP_URI_TOO_LONG, s_t(self, "请求过长", "URI too long"),
                       "the request target is longer than 2048 bytes");
    s_session(self, c, r);
    if (strcmp(url, "/login") == 0 && (get || post))
        return s_login(self, c, r, post);
    if (strcmp(url, "/logout") == 0 && post)
        return s_logout(self, c, r);
    if (!get) {
        bool known = strcmp(url, "/login") == 0 || strcmp(url, "/logout") == 0;
        if (known || dash_query_path(url, &(dash_query_t){0}) == 0 ||
            strcmp(url, "/healthz") == 0 || strcmp(url, "/metrics") == 0 ||
            strcmp(url, "/events") == 0)
            return s_error(self, c, r, MHD_HTTP_METHOD_NOT_ALLOWED,
                           s_t(self, "不支持的请求方法", "Method not allowed"),
                           strcmp(url, "/logout") == 0 ? "use POST" : "use GET");
        return s_error(self, c, r, MHD_HTTP_NOT_FOUND, s_t(self, "没有此页面", "Not found"), url);
    }
    char err[128];
    const char *ignored;
    if (strcmp(url, "/healthz") == 0 || strcmp(url, "/metrics") == 0) {
        if (s_only_arg(c, NULL, &ignored, err, sizeof err) != 0)
            return s_text(self, c, MHD_HTTP_BAD_REQUEST, err);
        bool metrics = url[1] == 'm';
        if (metrics && !r->peer_loopback && self->auth && r->role != DASH_ROLE_OFFICE)
            return s_text(self, c, MHD_HTTP_FORBIDDEN,
                          "/metrics from another host needs an office session\n");
        return metrics ? s_metrics(self, c) : s_healthz(self, c);
    }
    if (strncmp(url, "/static/", 8) == 0) {
        size_t len = 0;
        const char *type = NULL;
        const unsigned char *data = dash_asset(url, &len, &type);
        if (!data)
            return s_error(self, c, r, MHD_HTTP_NOT_FOUND, s_t(self, "没有此页面", "Not found"),
                           url);
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return MHD_NO;
        s_headers(self, resp, type, true);
        enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        s_count(self, MHD_HTTP_OK);
        return rc;
    }
    if (strcmp(url, "/events") == 0)
        return s_events(self, c, r);
    dash_query_t q;
    if (dash_query_path(url, &q) == 0)
        return s_page(self, c, r, &q);
    return s_error(self, c, r, MHD_HTTP_NOT_FOUND, s_t(self, "没有此页面", "Not found"),
                   s_t(self, "没有这个页面。", "There is no such page."));
}

static enum MHD_Result
s_handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
         const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    dash_http_t *self = cls;
    s_req_t *r = *con_cls;
    if (!r)
        return MHD_NO; /* the URI callback ran out of memory: drop the connection */
    if (!r->started) {
        r->started = true;
        const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (length && strtoull(length, NULL, 10) > DASH_HTTP_BODY_MAX) {
            r->answered = true;
            return s_text(self, c, MHD_HTTP_CONTENT_TOO_LARGE,
                          "request body larger than 4096 bytes\n");
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->answered && r->body.len + *upload_size > DASH_HTTP_BODY_MAX) {
            r->answered = true;
            *upload_size = 0;
            return s_text(self, c, MHD_HTTP_CONTENT_TOO_LARGE,
                          "request body larger than 4096 bytes\n");
        }
        if (!r->answered)
            dash_buf_add(&r->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->answered)
        return MHD_YES;
    return s_route(self, c, r, url, method);
}

static void *
s_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    s_req_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->uri_len = strlen(uri);
    r->uri = strndup(uri, DASH_HTTP_URI_MAX);
    if (!r->uri) {
        free(r);
        return NULL;
    }
    return r;
}

static void
s_completed(void *cls, struct MHD_Connection *c, void **con_cls,
            enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    s_req_t *r = *con_cls;
    if (!r)
        return;
    dash_buf_reset(&r->body);
    free(r->uri);
    free(r);
    *con_cls = NULL;
}

static void
s_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n')
        line[--n] = '\0';
    dajia_log_warning("http: %s", line);
}

// ====================================================================== life

/* Splits "HOST:PORT" / "[HOST]:PORT". Returns 0 or -EINVAL. */
static int
s_split(const char *bind, char *host, size_t hsize, unsigned *port)
{
    const char *colon = strrchr(bind, ':');
    if (!colon || colon == bind)
        return -EINVAL;
    size_t hlen = (size_t)(colon - bind);
    const char *h = bind;
    if (bind[0] == '[') {
        if (hlen < 2 || bind[hlen - 1] != ']')
            return -EINVAL;
        h++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= hsize)
        return -EINVAL;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    char *end = NULL;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || p > 65535)
        return -EINVAL;
    *port = (unsigned)p;
    return 0;
}

bool
dash_http_bind_is_loopback(const char *bind)
{
    char host[256];
    unsigned port;
    if (s_split(bind, host, sizeof host, &port) != 0)
        return false;
    if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
        return true;
    struct in_addr a;
    return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

int
dash_http_start(const dash_http_options_t *o, dash_http_t **out, char *err, size_t errlen)
{
    char host[256];
    unsigned port = 0;
    if (s_split(o->bind, host, sizeof host, &port) != 0) {
        snprintf(err, errlen, "--http \"%s\": expected HOST:PORT, e.g. 127.0.0.1:7480", o->bind);
        return -1;
    }
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    bool v6 = false;
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        v6 = true;
    } else {
        snprintf(err, errlen, "--http \"%s\": \"%s\" is not an IP address", o->bind, host);
        return -1;
    }
    bool tls = o->tls_cert && o->tls_key;
    if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errlen, "this libmicrohttpd was built without TLS");
        return -1;
    }
    dash_http_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    self->o = *o;
    self->tls = tls;
    self->auth = dash_users_count(o->users) > 0;
    if (self->auth && !(self->sessions = dash_auth_new(o->users))) {
        snprintf(err, errlen, "cannot start the session table (libsodium)");
        free(self);
        return -1;
    }
    struct MHD_OptionItem opts[16];
    size_t n = 0;
    /* The logger first, so that the library's messages about the options reach it too. */
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)s_log, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, DASH_HTTP_CONNECTIONS, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, DASH_HTTP_IDLE_S, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, S_MEMORY_LIMIT, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_STACK_SIZE, S_STACK_SIZE, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)s_uri, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)s_completed, NULL};
    if (tls) {
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)o->tls_key};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)o->tls_cert};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0) |
                     (tls ? MHD_USE_TLS : 0);
    self->daemon = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, s_handle, self,
                                    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!self->daemon) {
        snprintf(err, errlen, "cannot serve HTTP on %s: %s%s", o->bind, strerror(errno),
                 tls ? " (or the TLS certificate and key do not go together)" : "");
        dash_auth_destroy(&self->sessions);
        free(self);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : port;
    *out = self;
    return 0;
}

unsigned
dash_http_port(const dash_http_t *self)
{
    return self->port;
}

void
dash_http_stop(dash_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dash_http_t *self = *self_p;
    /* The streams wait in the hub: wake them so that their threads can end. */
    dash_sse_close(self->o.sse);
    MHD_stop_daemon(self->daemon);
    dash_auth_destroy(&self->sessions);
    free(self);
    *self_p = NULL;
}
