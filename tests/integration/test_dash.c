/*  Integration: dajia-dash, the web dashboard, with the real broker, the simulator and a
    real headless browser (chromium over the DevTools pipe, tests/integration/browser.h).

    One broker for the whole program, its clock (DAJIA_CLOCK) a few seconds before the end
    of the month and its reports due then (circulate/deadline_day 0) so that a month's
    bulletin is issued, and the next month's compliance opens, while the tests run; the simulator
    reports for the 23 units; three dashboards follow it:
      A  the office key, no HTTP users (loopback), every page open;
      B  the office key with HTTP users (an office user and a viewer);
      C  a dashboard key (the public feed only).
    What each page should show is read independently from the broker's feeds with REPLAY
    over the api, and compared number by number with what the browser shows and what the
    downloads hold. Screenshots of every page and the printed bulletin are kept under the
    build directory (DAJIA_DASH_SHOTS).
*/
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "browser.h"
#include "dajia_labels.h"
#include "dajia_time.h"
#include "harness.h"
#include "http_client.h"

#ifndef DAJIA_DASH_BIN
#error "DAJIA_DASH_BIN must be defined by the build"
#endif
#ifndef DAJIA_SIM_BIN
#error "DAJIA_SIM_BIN must be defined by the build"
#endif
#ifndef DAJIA_DASH_SHOTS
#error "DAJIA_DASH_SHOTS must be defined by the build"
#endif
#ifndef DAJIA_RUN_SCRIPT
#error "DAJIA_RUN_SCRIPT must be defined by the build"
#endif

#define S_STR(...)    ((char *)harness_autofree(harness_strf(__VA_ARGS__)))
#define S_WAIT_MS     60000
#define S_POLL_MS     200
#define S_LEAD_MS     15000 /* the broker's clock starts this long before the month ends */
#define S_SIM_EVENTS  "400"
#define S_OFFICE_PASS "office-password-1"
#define S_VIEWER_PASS "viewer-password-1"
#define S_LIVE_CASE   "DASH-LIVE-E3"
#define S_LIVE_VALUE  (600000LL * 100) /* 600,000 yuan: E3, a major case */

typedef struct {
    harness_proc_t *proc;
    unsigned port;
} s_dash_t;

typedef struct {
    char *dir;
    harness_proc_t *broker;
    harness_client_t *client;
    char api[256];
    int64_t clock_ahead_ms; /* the broker's clock is this far ahead of the wall clock */
    s_dash_t a, b, c;
    browser_t *browser;
} fixture_t;

static fixture_t *s_fx;

// ====================================================================== helpers

/* Starts a dashboard with `extra` arguments and waits for its READY line. */
static int
s_dash_start(fixture_t *fx, const char *state, const char *const *extra, s_dash_t *out)
{
    const char *argv[32] = {DAJIA_DASH_BIN, "--broker", fx->api,     "--http", "127.0.0.1:0",
                            "--state",      state,      "--timeout", "2"};
    size_t n = 9;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    const char *env[] = {"DAJIA_KEYS", "DAJIA_USERS", NULL};
    harness_opts_t opts = {.env = env};
    int rc = harness_proc_start(argv, &opts, &out->proc);
    if (rc)
        return rc;
    for (int waited = 0; waited < S_WAIT_MS; waited += S_POLL_MS) {
        const char *text = harness_proc_stdout(out->proc);
        const char *ready = strstr(text, "READY http=");
        const char *eol = ready ? strchr(ready, '\n') : NULL;
        if (eol) {
            /* "READY http=http://127.0.0.1:PORT/": the port follows the last colon. */
            const char *colon = ready;
            for (const char *p = ready; p < eol; p++)
                if (*p == ':')
                    colon = p;
            out->port = (unsigned)strtoul(colon + 1, NULL, 10);
            return out->port ? 0 : -EPROTO;
        }
        if (!harness_proc_running(out->proc)) {
            fprintf(stderr, "dajia-dash exited before READY (status %d):\n%s\n",
                    harness_proc_status(out->proc), text);
            return -ECHILD;
        }
        usleep(S_POLL_MS * 1000);
    }
    return -ETIMEDOUT;
}

/* Adds an HTTP user with dajia-ctl, the password on its standard input. */
static void
s_user_add(const char *file, const char *name, const char *role, const char *password)
{
    char *cmd = S_STR("printf '%%s\\n' '%s' | '%s' users add %s --role %s --file '%s'", password,
                      DAJIA_CTL_BIN, name, role, file);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    harness_result_t res = {0};
    assert_int_equal(harness_run(argv, NULL, HARNESS_RUN_TIMEOUT_MS, &res), 0);
    if (res.status != 0)
        fail_msg("dajia-ctl users add %s failed (%d): %s", name, res.status, res.err);
    harness_result_free(&res);
}

static http_response_t
s_get(unsigned port, const char *target, const char *cookie)
{
    http_response_t res;
    char *headers = cookie ? S_STR("Cookie: %s\r\n", cookie) : NULL;
    int rc = http_request(port, "GET", target, headers, NULL, &res);
    if (rc)
        fail_msg("GET %s on port %u: %s", target, port, strerror(-rc));
    return res;
}

/* Logs in on dashboard B and returns the session cookie ("name=token"). */
static char *
s_login(unsigned port, const char *user, const char *password)
{
    http_response_t res;
    char *body = S_STR("user=%s&password=%s&next=%%2F", user, password);
    assert_int_equal(http_request(port, "POST", "/login", NULL, body, &res), 0);
    assert_int_equal(res.status, 303);
    char cookie[256];
    assert_non_null(http_header(&res, "Set-Cookie", cookie, sizeof cookie));
    /* The session cookie's guards. */
    assert_non_null(strstr(cookie, "HttpOnly"));
    assert_non_null(strstr(cookie, "SameSite=Strict"));
    *strchr(cookie, ';') = '\0';
    http_response_free(&res);
    return S_STR("%s", cookie);
}

/* Money in 万元 as the pages write it: two decimals, half away from zero, separators. */
static char *
s_wan(int64_t fen)
{
    uint64_t mag = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    uint64_t cents = mag / 10000 + (mag % 10000 >= 5000);
    char digits[32], grouped[48];
    int n = snprintf(digits, sizeof digits, "%" PRIu64, cents / 100);
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            grouped[o++] = ',';
        grouped[o++] = digits[i];
    }
    grouped[o] = '\0';
    return S_STR("%s%s.%02" PRIu64, fen < 0 && cents ? "-" : "", grouped, cents % 100);
}

// ====================================================================== the feed

typedef struct {
    zhashx_t *cells;       /* "period|unit|cat|goods" -> int64_t[2] {filed, value}: public items */
    zlistx_t *escalations; /* escalation_id strings (office feed) */
    zlistx_t *reasons;     /* their reasons */
    Dajia__FeedItem *bulletin; /* the public bulletin with the most cases filed (a copy) */
    int64_t bulletin_filed, bulletin_value;
    zhashx_t *compliance;    /* "period|unit" -> the latest status (office feed) */
    zhashx_t *months;        /* period -> int64_t[2] {deadline, latest produced_at} */
    int64_t compliance_seen; /* the latest produced_at of a compliance item */
    uint64_t last;           /* the newest feed_seq of the audience asked */
} s_fold_t;

static void
s_fold_free(s_fold_t *f)
{
    zhashx_destroy(&f->cells);
    zlistx_destroy(&f->escalations);
    zlistx_destroy(&f->reasons);
    zhashx_destroy(&f->compliance);
    zhashx_destroy(&f->months);
    if (f->bulletin)
        dajia__feed_item__free_unpacked(f->bulletin, NULL);
    memset(f, 0, sizeof *f);
}

static void
s_free_ptr(void **p)
{
    free(*p);
    *p = NULL;
}

/* Reads the whole feed of `audience` by REPLAY and folds it as the dashboard should. */
static void
s_fold(fixture_t *fx, Dajia__Audience audience, s_fold_t *f)
{
    memset(f, 0, sizeof *f);
    f->cells = zhashx_new();
    zhashx_set_destructor(f->cells, s_free_ptr);
    f->escalations = zlistx_new();
    zlistx_set_destructor(f->escalations, (zlistx_destructor_fn *)zstr_free);
    f->reasons = zlistx_new();
    zlistx_set_destructor(f->reasons, (zlistx_destructor_fn *)zstr_free);
    f->compliance = zhashx_new();
    zhashx_set_destructor(f->compliance, s_free_ptr);
    f->months = zhashx_new();
    zhashx_set_destructor(f->months, s_free_ptr);
    uint64_t from = 1;
    for (;;) {
        Dajia__FeedBatch *batch = NULL;
        assert_int_equal(harness_client_replay(fx->client, audience, from, 0, &batch), 0);
        assert_int_equal(batch->reason, DAJIA__REASON__REASON_NONE);
        /* Not batch->last_feed_seq, the broker's newest item of any audience: office-only
           items (the compliance ones among them) may come after the last public one. */
        for (size_t i = 0; i < batch->n_items; i++) {
            const Dajia__FeedItem *it = batch->items[i];
            /* the position in the reader's numbering: public_seq for a public reader */
            uint64_t seq =
                audience == DAJIA__AUDIENCE__AUDIENCE_OFFICE ? it->feed_seq : it->public_seq;
            from = seq + 1;
            f->last = seq;
            bool pub = it->audience == DAJIA__AUDIENCE__AUDIENCE_PUBLIC;
            if (it->item_case == DAJIA__FEED_ITEM__ITEM_AGGREGATE && pub) {
                for (size_t r = 0; r < it->aggregate->n_rows; r++) {
                    const Dajia__AggregateRow *row = it->aggregate->rows[r];
                    char key[160];
                    snprintf(key, sizeof key, "%s|%s|%d|%d", row->period, row->unit,
                             (int)row->category, (int)row->goods);
                    int64_t *v = calloc(2, sizeof *v);
                    v[0] = row->figures ? row->figures->cases_filed : 0;
                    v[1] = row->figures ? row->figures->case_value_fen : 0;
                    zhashx_update(f->cells, key, v);
                }
            } else if (it->item_case == DAJIA__FEED_ITEM__ITEM_COMPLIANCE) {
                const Dajia__ComplianceUpdate *u = it->compliance;
                int64_t *month = calloc(2, sizeof *month);
                month[0] = u->deadline_at;
                month[1] = it->produced_at;
                zhashx_update(f->months, u->period, month);
                for (size_t r = 0; r < u->n_units; r++)
                    zhashx_update(f->compliance, S_STR("%s|%s", u->period, u->units[r]->unit),
                                  strdup(u->units[r]->status));
                if (it->produced_at > f->compliance_seen)
                    f->compliance_seen = it->produced_at;
            } else if (it->item_case == DAJIA__FEED_ITEM__ITEM_ESCALATION) {
                zlistx_add_end(f->escalations, strdup(it->escalation->escalation_id));
                zlistx_add_end(f->reasons, strdup(it->escalation->reason));
            } else if (it->item_case == DAJIA__FEED_ITEM__ITEM_BULLETIN && pub) {
                int64_t filed = 0, value = 0;
                for (size_t r = 0; r < it->bulletin->n_figures; r++) {
                    filed += it->bulletin->figures[r]->figures->cases_filed;
                    value += it->bulletin->figures[r]->figures->case_value_fen;
                }
                if (!f->bulletin || filed >= f->bulletin_filed) {
                    if (f->bulletin)
                        dajia__feed_item__free_unpacked(f->bulletin, NULL);
                    size_t len = dajia__feed_item__get_packed_size(it);
                    uint8_t *buf = malloc(len + 1);
                    dajia__feed_item__pack(it, buf);
                    f->bulletin = dajia__feed_item__unpack(NULL, len, buf);
                    free(buf);
                    f->bulletin_filed = filed;
                    f->bulletin_value = value;
                }
            }
        }
        bool more = batch->more && batch->n_items > 0;
        dajia__feed_batch__free_unpacked(batch, NULL);
        if (!more)
            break;
    }
}

/* The latest month with figures, and its cases filed and case value. */
static void
s_month_totals(const s_fold_t *f, char month[8], int64_t *filed, int64_t *value)
{
    month[0] = '\0';
    *filed = *value = 0;
    for (int64_t *v = zhashx_first(f->cells); v; v = zhashx_next(f->cells)) {
        const char *key = zhashx_cursor(f->cells);
        if ((v[0] || v[1]) && strncmp(key, month, 7) > 0)
            snprintf(month, 8, "%.7s", key);
    }
    for (int64_t *v = zhashx_first(f->cells); v; v = zhashx_next(f->cells))
        if (strncmp(zhashx_cursor(f->cells), month, 7) == 0) {
            *filed += v[0];
            *value += v[1];
        }
}

/* The values (data-v) of the total row of table `id` in `html`, at most `max`. */
static size_t
s_total_row(const char *html, const char *id, int64_t *values, size_t max)
{
    const char *table = strstr(html, S_STR("<table class=\"data\" id=\"%s\"", id));
    const char *foot = table ? strstr(table, "<tfoot>") : NULL;
    const char *end = foot ? strstr(foot, "</tr>") : NULL;
    size_t n = 0;
    for (const char *p = foot; p && p < end && n < max; p++) {
        p = strstr(p, "data-v=\"");
        if (!p || p > end)
            break;
        values[n++] = strtoll(p + strlen("data-v=\""), NULL, 10);
    }
    return n;
}

/* The value of the sample `name` (with its labels) in a /metrics text; fails when the
   text has none. */
static double
s_metric_value(const char *text, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = text; (p = strstr(p, name)) != NULL; p += len)
        if ((p == text || p[-1] == '\n') && p[len] == ' ')
            return strtod(p + len + 1, NULL);
    fail_msg("/metrics has no %s", name);
    return -1;
}

/* Waits until dashboard `port` has every feed item up to `seq`. */
static void
s_wait_seq(unsigned port, uint64_t seq)
{
    for (int waited = 0; waited < S_WAIT_MS; waited += S_POLL_MS) {
        http_response_t res = s_get(port, "/healthz", NULL);
        const char *item = strstr(res.body, "item ");
        uint64_t at = item ? strtoull(item + 5, NULL, 10) : 0;
        int status = res.status;
        http_response_free(&res);
        if (status == 200 && at >= seq)
            return;
        usleep(S_POLL_MS * 1000);
    }
    fail_msg("dashboard on port %u did not reach feed item %" PRIu64, port, seq);
}

static void
s_shot(fixture_t *fx, const char *name)
{
    char *path = S_STR("%s/%s.png", DAJIA_DASH_SHOTS, name);
    assert_int_equal(browser_screenshot(fx->browser, path), 0);
}

static void
s_open(fixture_t *fx, unsigned port, const char *target)
{
    assert_int_equal(browser_open(fx->browser, S_STR("http://127.0.0.1:%u%s", port, target)), 0);
}

// ====================================================================== setup

static int
s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    *state = s_fx = fx;
    fx->dir = harness_tmpdir_new();
    if (!fx->dir)
        return -1;
    mkdir(DAJIA_DASH_SHOTS, 0755);

    /* The broker's clock: S_LEAD_MS before the end of this month, Beijing time. */
    int64_t now = harness_now_ms();
    dajia_time_period_t month = dajia_time_period_of(DAJIA_TIME_MONTH, now, DAJIA_TIME_BEIJING_MIN);
    int64_t clock = dajia_time_period_end(month, DAJIA_TIME_BEIJING_MIN) - S_LEAD_MS;
    fx->clock_ahead_ms = clock - now;
    /* The broker inherits it; nothing else started here reads it. */
    setenv("DAJIA_CLOCK", S_STR("%" PRId64, clock), 1);
    char *data = S_STR("%s/broker", fx->dir);
    char *office = S_STR("ipc://%s/office.ipc", fx->dir);
    char *pub = S_STR("ipc://%s/public.ipc", fx->dir);
    /* Reports due at the month's end (not the 10th of the next month), so that the
       month's bulletin is issued S_LEAD_MS after the start, as in scripts/demo. */
    char *config = S_STR("%s/broker.cfg", fx->dir);
    FILE *cfg = fopen(config, "w");
    if (!cfg || fputs("circulate\n    deadline_day = 0\n", cfg) < 0 || fclose(cfg) != 0)
        return -1;
    const char *extra[] = {"-c", config, "--office", office, "--public", pub, NULL};
    int rc = harness_broker_start(data, "tcp://127.0.0.1:*", extra, &fx->broker, fx->api,
                                  sizeof fx->api);
    unsetenv("DAJIA_CLOCK");
    if (rc)
        return -1;
    if (harness_client_new(fx->api, HARNESS_RECV_TIMEOUT_MS, &fx->client) != 0)
        return -1;

    /* The 23 units report. */
    const char *sim[] = {DAJIA_SIM_BIN, "--broker",   fx->api,  "--rate", S_SIM_EVENTS,
                         "--count",     S_SIM_EVENTS, "--seed", "11",     NULL};
    harness_result_t res = {0};
    if (harness_run(sim, NULL, HARNESS_RUN_TIMEOUT_MS, &res) != 0 || res.status != 0) {
        fprintf(stderr, "dajia-sim failed: %s\n%s\n", res.out, res.err);
        harness_result_free(&res);
        return -1;
    }
    harness_result_free(&res);

    char *users = S_STR("%s/users", fx->dir);
    s_user_add(users, "office1", "office", S_OFFICE_PASS);
    s_user_add(users, "viewer1", "viewer", S_VIEWER_PASS);
    const char *a[] = {"--name", "office", "--feed", office, NULL};
    const char *b[] = {"--name", "office", "--feed", office, "--users", users, NULL};
    const char *c[] = {"--name", "dashboard", "--feed", pub, NULL};
    if (s_dash_start(fx, S_STR("%s/dash-a", fx->dir), a, &fx->a) != 0 ||
        s_dash_start(fx, S_STR("%s/dash-b", fx->dir), b, &fx->b) != 0 ||
        s_dash_start(fx, S_STR("%s/dash-c", fx->dir), c, &fx->c) != 0)
        return -1;
    return browser_start(S_STR("%s/chromium", fx->dir), &fx->browser) == 0 ? 0 : -1;
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    browser_stop(&fx->browser);
    /* A dashboard stops cleanly on SIGTERM: status 0 (under a sanitizer, no report). */
    int rc = 0;
    s_dash_t *dashes[] = {&fx->a, &fx->b, &fx->c};
    for (size_t i = 0; i < 3; i++) {
        if (dashes[i]->proc) {
            int status = harness_proc_stop(dashes[i]->proc);
            if (status != 0) {
                fprintf(stderr, "dajia-dash exited %d:\n%s\n", status,
                        harness_proc_stdout(dashes[i]->proc));
                rc = -1;
            }
        }
        harness_proc_destroy(&dashes[i]->proc);
    }
    harness_client_destroy(&fx->client);
    if (fx->broker)
        harness_proc_stop(fx->broker);
    harness_proc_destroy(&fx->broker);
    if (fx->dir)
        harness_rm_rf(fx->dir);
    free(fx->dir);
    free(fx);
    harness_autofree_all();
    return rc;
}

static int
s_after_each(void **state)
{
    (void)state;
    harness_autofree_all();
    return 0;
}

// ====================================================================== tests

/* Where dashboard A's figures page, as the browser shows it, and its CSV and XLSX
   downloads of the units table differ from `filed` cases and `value` fen of `month`:
   NULL when they all agree. The checks that do not depend on the feed's progress (the
   formats, the labels) are asserted here. */
static const char *
s_figures_differ(fixture_t *fx, const char *month, int64_t filed, int64_t value)
{
    int64_t shown[32];
    /* In the browser: the total row, the headline card, and the amount as a person reads
       it (万元, two decimals, separators). */
    s_open(fx, fx->a.port, "/figures");
    char *html = browser_html(fx->browser);
    assert_non_null(html);
    harness_autofree(html);
    assert_true(s_total_row(html, "units", shown, 32) >= 7);
    if (shown[0] != filed || shown[6] != value)
        return S_STR("the browser's total row shows %" PRId64 " cases, %" PRId64 " fen", shown[0],
                     shown[6]);
    const char *card = strstr(html, "id=\"card-cases_filed\"");
    assert_non_null(card);
    int64_t carded = strtoll(strstr(card, "data-v=\"") + strlen("data-v=\""), NULL, 10);
    if (carded != filed)
        return S_STR("the headline card shows %" PRId64 " cases", carded);
    if (!strstr(html, S_STR(">%s<", s_wan(value))))
        return S_STR("the browser does not show %s (万元)", s_wan(value));
    assert_non_null(strstr(html, "市公安局")); /* member names, in Chinese */
    assert_non_null(strstr(html, "<svg"));     /* the charts, drawn at the server */
    s_shot(fx, "figures");

    /* The CSV of the same table: the last line is the total. */
    http_response_t csv =
        s_get(fx->a.port, S_STR("/figures.csv?table=units&period=%s", month), NULL);
    assert_int_equal(csv.status, 200);
    assert_memory_equal(csv.body, "\xEF\xBB\xBF", 3);
    char *last = NULL;
    size_t lines = 0;
    for (char *line = strtok(csv.body, "\r\n"); line; line = strtok(NULL, "\r\n")) {
        last = line;
        lines++;
    }
    assert_non_null(last);
    char *fields[32];
    size_t nf = 0;
    for (char *p = last; p && nf < 32; nf++) {
        fields[nf] = p;
        p = strchr(p, ',');
        if (p)
            *p++ = '\0';
    }
    assert_true(nf >= 8);
    assert_string_equal(fields[0], "合计");
    const char *differ = NULL;
    if (strtoll(fields[1], NULL, 10) != filed ||
        strcmp(fields[7], S_STR("%" PRId64 ".%06" PRId64, value / 1000000, value % 1000000)) != 0)
        differ = S_STR("the CSV's total is %s cases, %s万元", fields[1], fields[7]);
    http_response_free(&csv);
    if (differ)
        return differ;

    /* The XLSX: a zip of XML; the total row is the last one, below the title and the
       header (row 3). */
    http_response_t xlsx =
        s_get(fx->a.port, S_STR("/figures.xlsx?table=units&period=%s", month), NULL);
    assert_int_equal(xlsx.status, 200);
    char *path = S_STR("%s/units.xlsx", fx->dir);
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(xlsx.body, 1, xlsx.body_len, out), xlsx.body_len);
    fclose(out);
    http_response_free(&xlsx);
    const char *unzip[] = {"unzip", "-p", path, "xl/worksheets/sheet1.xml", NULL};
    harness_result_t res = {0};
    assert_int_equal(harness_run(unzip, NULL, HARNESS_RUN_TIMEOUT_MS, &res), 0);
    harness_autofree(res.out);
    harness_autofree(res.err);
    assert_int_equal(res.status, 0);
    size_t total_row = 3 + (lines - 1); /* header at row 3, then the rows */
    const char *b = strstr(res.out, S_STR("<c r=\"B%zu\"", total_row));
    const char *h = strstr(res.out, S_STR("<c r=\"H%zu\"", total_row));
    if (!b || !h)
        return S_STR("the XLSX has no total row %zu (the CSV has %zu lines)", total_row, lines);
    int64_t xlsx_filed = strtoll(strstr(b, "<v>") + 3, NULL, 10);
    double wan = strtod(strstr(h, "<v>") + 3, NULL);
    if (xlsx_filed != filed ||
        !(wan * 1000000.0 > (double)value - 0.5 && wan * 1000000.0 < (double)value + 0.5))
        return S_STR("the XLSX's total is %" PRId64 " cases, %f万元", xlsx_filed, wan);
    return NULL;
}

/* The figures page shows the totals the public feed carries, in the browser and in the
   CSV and XLSX downloads of the same table. The aggregate worker sends changed figures
   once a second, and may still be working through the simulator's reports: a view that
   differs from the feed fails the test only when the public feed held still meanwhile
   (no item after the one the comparison was made with); otherwise it is made again
   with the newer feed. */
static void
test_figures_match_feed(void **state)
{
    fixture_t *fx = *state;
    int64_t deadline = harness_now_ms() + 2 * S_WAIT_MS;
    for (;;) {
        char month[8];
        int64_t filed = 0, value = 0, shown[32];
        s_fold_t f;
        s_fold(fx, DAJIA__AUDIENCE__AUDIENCE_OFFICE, &f); /* f.last: a feed_seq, as a's */
        s_month_totals(&f, month, &filed, &value);
        uint64_t last = f.last;
        s_fold_free(&f);
        if (filed == 0) { /* no figures yet: the first emission is up to a second away */
            if (harness_now_ms() > deadline)
                fail_msg("no figures came on the public feed");
            zclock_sleep(500);
            continue;
        }
        s_wait_seq(fx->a.port, last);
        http_response_t res = s_get(fx->a.port, "/figures", NULL);
        assert_int_equal(res.status, 200);
        size_t n = s_total_row(res.body, "units", shown, 32);
        http_response_free(&res);
        assert_true(n >= 7);
        const char *differ =
            shown[0] != filed || shown[6] != value
                ? S_STR("the page shows %" PRId64 " cases, %" PRId64 " fen", shown[0], shown[6])
                : s_figures_differ(fx, month, filed, value);
        if (!differ)
            return;
        s_fold(fx, DAJIA__AUDIENCE__AUDIENCE_OFFICE, &f);
        bool held_still = f.last == last;
        s_fold_free(&f);
        if (held_still || harness_now_ms() > deadline)
            fail_msg("the feed has %" PRId64 " cases, %" PRId64 " fen in %s (through item %" PRIu64
                     "): %s%s",
                     filed, value, month, last, differ,
                     held_still ? "" : " (and the feed never held still)");
        zclock_sleep(500); /* the next emission is up to a second away */
    }
}

/* An escalation submitted while the escalations page is open appears in it without a
   reload. */
static void
test_live_escalation(void **state)
{
    fixture_t *fx = *state;
    s_open(fx, fx->a.port, "/escalations");
    assert_true(browser_wait_true(
        fx->browser, "document.body.getAttribute('data-stream') === 'open'", S_WAIT_MS));
    /* A mark that a reload would wipe out. */
    free(browser_eval(fx->browser, "window.dashMark = 42"));
    char *has = S_STR("document.getElementById('escalations-body').textContent.includes('%s')",
                      S_LIVE_CASE);
    char *before = browser_eval(fx->browser, has);
    assert_string_equal(harness_autofree(before), "false");

    Dajia__Envelope env;
    Dajia__CaseReport report;
    harness_envelope_init(&env, &report, "msa", "dash-live-1", S_LIVE_CASE);
    report.case_value_fen = S_LIVE_VALUE;
    assert_int_equal(harness_client_submit(fx->client, &env), 0);
    Dajia__Ack *ack = NULL;
    assert_int_equal(harness_client_recv_ack(fx->client, &ack), 0);
    assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
    dajia__ack__free_unpacked(ack, NULL);

    if (!browser_wait_true(fx->browser, has, S_WAIT_MS))
        fail_msg("the escalation of %s did not appear on the open page", S_LIVE_CASE);
    char *mark = browser_eval(fx->browser, "window.dashMark");
    assert_string_equal(harness_autofree(mark), "42"); /* the same page: no reload */
    char *live =
        browser_eval(fx->browser, "document.querySelectorAll('#escalations-body tr.live').length");
    assert_true(atoi(harness_autofree(live)) >= 1);
    s_shot(fx, "escalations");

    /* The other office pages, for the screenshots and a look at their content. */
    s_open(fx, fx->a.port, "/matters");
    char *html = harness_autofree(browser_html(fx->browser));
    assert_non_null(strstr(html, "id=\"matters\""));
    s_shot(fx, "matters");
}

/* The open month of the fold at `now` (the earliest deadline not passed, as the page
   chooses it), or NULL; sets *deadline. */
static const char *
s_open_month(s_fold_t *f, int64_t now, int64_t *deadline)
{
    const char *open = NULL;
    for (int64_t *m = zhashx_first(f->months); m; m = zhashx_next(f->months))
        if (m[0] >= now && (!open || m[0] < *deadline)) {
            open = zhashx_cursor(f->months);
            *deadline = m[0];
        }
    return open;
}

/* Compliance now: the page shows the open month as the office feed says it, unit by
   unit; a unit that reports while the page is open turns on time without a reload; a
   viewer and the public dashboard are refused it. */
static void
test_compliance_now(void **state)
{
    fixture_t *fx = *state;
    /* The broker's month ends S_LEAD_MS after it started; then the next month opens,
       every unit pending, due at its end: wait for it. */
    s_fold_t f = {0};
    const char *open = NULL, *unit = NULL;
    int64_t deadline = 0;
    for (int waited = 0; waited < 2 * S_WAIT_MS; waited += 1000) {
        s_fold(fx, DAJIA__AUDIENCE__AUDIENCE_OFFICE, &f);
        int64_t now = harness_now_ms() + fx->clock_ahead_ms;
        if (f.compliance_seen > now)
            now = f.compliance_seen;
        open = s_open_month(&f, now + 60000, &deadline); /* not about to close */
        for (void *st = zhashx_first(f.compliance); open && !unit && st;
             st = zhashx_next(f.compliance)) {
            const char *key = zhashx_cursor(f.compliance);
            if (strncmp(key, open, strlen(open)) == 0 && key[strlen(open)] == '|' &&
                strcmp(st, "pending") == 0)
                unit = S_STR("%s", key + strlen(open) + 1);
        }
        if (unit)
            break;
        s_fold_free(&f);
        sleep(1);
    }
    if (!unit)
        fail_msg("no open month with a unit pending came on the office feed");
    s_wait_seq(fx->a.port, f.last);

    s_open(fx, fx->a.port, "/compliance");
    char *period = harness_autofree(
        browser_eval(fx->browser, "document.getElementById('compliance-now').dataset.period"));
    assert_string_equal(period, S_STR("\"%s\"", open)); /* a JSON string */
    /* Every unit's row: its id and its state as the feed says it. */
    char *rows = harness_autofree(browser_eval(
        fx->browser, "Array.from(document.querySelectorAll('#compliance-body tr'))"
                     ".map(function (r) { return r.id + '=' + r.className; }).join(',')"));
    if (rows[0] == '"') { /* a JSON string; ids and classes need no escapes */
        rows++;
        rows[strlen(rows) - 1] = '\0';
    }
    size_t n = 0;
    for (void *st = zhashx_first(f.compliance); st; st = zhashx_next(f.compliance)) {
        const char *key = zhashx_cursor(f.compliance);
        if (strncmp(key, open, strlen(open)) != 0 || key[strlen(open)] != '|')
            continue;
        char *want = S_STR("compliance-%s=%s", key + strlen(open) + 1, (const char *)st);
        size_t len = strlen(want);
        const char *at = strstr(rows, want);
        if (!at || (at != rows && at[-1] != ',') || (at[len] != ',' && at[len] != '\0'))
            fail_msg("the compliance page lacks %s: %s", want, rows);
        n++;
    }
    assert_int_equal(n, 23);
    assert_non_null(strstr(rows, S_STR("compliance-%s=pending", unit)));
    char *title = harness_autofree(
        browser_eval(fx->browser, "document.querySelector('#t-compliance h2').textContent"));
    char day[DAJIA_LABEL_TEXT_MAX];
    dajia_label_date(deadline - 1, DAJIA_TIME_BEIJING_MIN, DAJIA_LANG_ZH, day, sizeof day);
    if (!strstr(title, S_STR("%s24时", day)))
        fail_msg("the title does not give the deadline %s24时: %s", day, title);

    /* The unit reports: its row turns on time, the same page (no reload). */
    free(browser_eval(fx->browser, "window.dashMark = 7"));
    Dajia__Envelope env;
    Dajia__CaseReport report;
    harness_envelope_init(&env, &report, unit, S_STR("dash-compliance-%s", unit), "DASH-COMP-1");
    int64_t *month = zhashx_lookup(f.months, open);
    env.occurred_at = env.reported_at = month[1]; /* in the open month, by the broker's clock */
    assert_int_equal(harness_client_submit(fx->client, &env), 0);
    Dajia__Ack *ack = NULL;
    assert_int_equal(harness_client_recv_ack(fx->client, &ack), 0);
    assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
    dajia__ack__free_unpacked(ack, NULL);
    char *turned = S_STR("document.getElementById('compliance-%s').className === 'on_time'", unit);
    if (!browser_wait_true(fx->browser, turned, S_WAIT_MS))
        fail_msg("the row of %s did not turn on time on the open page", unit);
    char *mark = browser_eval(fx->browser, "window.dashMark");
    assert_string_equal(harness_autofree(mark), "7");
    s_shot(fx, "compliance");
    s_fold_free(&f);

    /* Office only: a viewer gets 403, the public dashboard has no such page. */
    char *viewer = s_login(fx->b.port, "viewer1", S_VIEWER_PASS);
    const char *paths[] = {"/compliance", "/compliance.csv?table=compliance"};
    for (size_t i = 0; i < 2; i++) {
        http_response_t res = s_get(fx->b.port, paths[i], viewer);
        assert_int_equal(res.status, 403);
        assert_null(strstr(res.body, "compliance-body"));
        http_response_free(&res);
        res = s_get(fx->c.port, paths[i], NULL);
        assert_int_equal(res.status, 404);
        assert_null(strstr(res.body, "compliance-body"));
        http_response_free(&res);
    }
    char *office = s_login(fx->b.port, "office1", S_OFFICE_PASS);
    http_response_t res = s_get(fx->b.port, "/compliance.csv?table=compliance", office);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.body, dajia_label_compliance("on_time", DAJIA_LANG_ZH)));
    http_response_free(&res);
}

/* With HTTP users: a request without a session is sent to the login page, a viewer is
   refused the office pages, the office role sees them; in the browser and exactly. */
static void
test_office_pages_guarded(void **state)
{
    fixture_t *fx = *state;
    unsigned port = fx->b.port;
    http_response_t res = s_get(port, "/escalations", NULL);
    assert_int_equal(res.status, 303);
    char loc[256];
    assert_non_null(http_header(&res, "Location", loc, sizeof loc));
    assert_non_null(strstr(loc, "/login"));
    assert_null(strstr(res.body, "escalations-body"));
    char csp[512];
    assert_non_null(http_header(&res, "Content-Security-Policy", csp, sizeof csp));
    assert_non_null(strstr(csp, "script-src 'self'"));
    http_response_free(&res);
    const char *closed[] = {"/matters", "/compliance", "/figures",
                            "/escalations.csv?table=escalations"};
    for (size_t i = 0; i < sizeof closed / sizeof closed[0]; i++) {
        res = s_get(port, closed[i], NULL);
        assert_int_equal(res.status, 303);
        http_response_free(&res);
    }
    res = s_get(port, "/events", NULL);
    assert_int_equal(res.status, 401);
    http_response_free(&res);

    /* A wrong password is refused. */
    assert_int_equal(
        http_request(port, "POST", "/login", NULL, "user=office1&password=not-the-password", &res),
        0);
    assert_int_equal(res.status, 403);
    http_response_free(&res);

    char *viewer = s_login(port, "viewer1", S_VIEWER_PASS);
    res = s_get(port, "/escalations", viewer);
    assert_int_equal(res.status, 403);
    assert_null(strstr(res.body, "escalations-body"));
    http_response_free(&res);
    res = s_get(port, "/figures", viewer);
    assert_int_equal(res.status, 200);
    assert_null(strstr(res.body, "href=\"/escalations\"")); /* not even in the navigation */
    http_response_free(&res);
    char *office = s_login(port, "office1", S_OFFICE_PASS);
    res = s_get(port, "/escalations", office);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.body, "escalations-body"));
    http_response_free(&res);

    /* The same in the browser, through the login form and its cookie. */
    s_open(fx, port, "/escalations");
    assert_true(browser_wait_true(fx->browser, "location.pathname === '/login'", S_WAIT_MS));
    s_shot(fx, "login");
    free(browser_eval(fx->browser,
                      S_STR("document.querySelector('input[name=user]').value = 'viewer1';"
                            "document.querySelector('input[name=password]').value = '%s';"
                            "document.querySelector('form.login').submit()",
                            S_VIEWER_PASS)));
    if (!browser_wait_true(fx->browser, "location.pathname === '/escalations'", S_WAIT_MS)) {
        char *where = browser_eval(fx->browser, "location.href + ': ' + document.body.innerText");
        fail_msg("the viewer's login did not lead to /escalations: %.400s", where ? where : "?");
    }
    assert_true(browser_wait_true(
        fx->browser,
        "location.pathname === '/escalations' && document.querySelector('h1') !== null && "
        "document.querySelector('h1').textContent.startsWith('403') && "
        "document.getElementById('escalations-body') === null",
        S_WAIT_MS));
    free(browser_eval(fx->browser, "document.querySelector('form.who').submit()"));
    assert_true(browser_wait_true(fx->browser, "location.pathname === '/login'", S_WAIT_MS));
    s_open(fx, port, "/login?next=%2Fescalations");
    free(browser_eval(fx->browser,
                      S_STR("document.querySelector('input[name=user]').value = 'office1';"
                            "document.querySelector('input[name=password]').value = '%s';"
                            "document.querySelector('form.login').submit()",
                            S_OFFICE_PASS)));
    assert_true(browser_wait_true(fx->browser,
                                  "location.pathname === '/escalations' && "
                                  "document.getElementById('escalations-body') !== null",
                                  S_WAIT_MS));
}

/* No public page carries an office item: with the public key the office pages do not
   exist, and no public page (of any dashboard) holds an escalation's id or reason. */
static void
test_public_never_office(void **state)
{
    fixture_t *fx = *state;
    s_fold_t f;
    s_fold(fx, DAJIA__AUDIENCE__AUDIENCE_OFFICE, &f);
    assert_true(zlistx_size(f.escalations) > 0);
    s_wait_seq(fx->a.port, f.last);
    http_response_t res = s_get(fx->c.port, "/escalations", NULL);
    assert_int_equal(res.status, 404);
    http_response_free(&res);
    res = s_get(fx->c.port, "/matters", NULL);
    assert_int_equal(res.status, 404);
    http_response_free(&res);

    char *viewer = s_login(fx->b.port, "viewer1", S_VIEWER_PASS);
    struct {
        unsigned port;
        const char *cookie;
    } dashes[] = {{fx->a.port, NULL}, {fx->b.port, viewer}, {fx->c.port, NULL}};
    const char *pages[] = {"/figures", "/bulletins", "/figures.csv?table=units"};
    for (size_t d = 0; d < 3; d++)
        for (size_t p = 0; p < sizeof pages / sizeof pages[0]; p++) {
            res = s_get(dashes[d].port, pages[p], dashes[d].cookie);
            assert_int_equal(res.status, 200);
            for (char *id = zlistx_first(f.escalations); id; id = zlistx_next(f.escalations))
                if (strstr(res.body, id))
                    fail_msg("public page %s shows escalation %s", pages[p], id);
            for (char *why = zlistx_first(f.reasons); why; why = zlistx_next(f.reasons))
                if (*why && strstr(res.body, why))
                    fail_msg("public page %s shows an escalation's reason: %s", pages[p], why);
            http_response_free(&res);
        }
    /* And as the browser shows the public dashboard's figures. */
    s_open(fx, fx->c.port, "/figures");
    char *html = harness_autofree(browser_html(fx->browser));
    for (char *id = zlistx_first(f.escalations); id; id = zlistx_next(f.escalations))
        assert_null(strstr(html, id));
    assert_null(strstr(html, "href=\"/escalations\""));
    s_fold_free(&f);
}

/* The month's bulletin, printed to PDF by the browser, holds its totals. */
static void
test_bulletin_pdf(void **state)
{
    fixture_t *fx = *state;
    s_fold_t f = {0};
    /* The broker's month ends S_LEAD_MS after it started: wait for its bulletin. */
    for (int waited = 0; waited < 2 * S_WAIT_MS; waited += 1000) {
        s_fold(fx, DAJIA__AUDIENCE__AUDIENCE_OFFICE, &f); /* f.last: a feed_seq, as a's */
        if (f.bulletin && f.bulletin_filed > 0)
            break;
        s_fold_free(&f);
        sleep(1);
    }
    if (!f.bulletin)
        fail_msg("no bulletin with figures was issued");
    s_wait_seq(fx->a.port, f.last);
    const char *period = f.bulletin->bulletin->period;
    s_open(fx, fx->a.port, "/bulletins");
    char *html = harness_autofree(browser_html(fx->browser));
    assert_non_null(strstr(html, S_STR("/bulletins/%s", period)));
    s_shot(fx, "bulletins");

    s_open(fx, fx->a.port, S_STR("/bulletins/%s", period));
    html = harness_autofree(browser_html(fx->browser));
    int64_t shown[32];
    assert_true(s_total_row(html, "units", shown, 32) >= 6);
    assert_int_equal(shown[0], f.bulletin_filed);
    assert_non_null(strstr(html, "打击侵权假冒工作通报"));
    s_shot(fx, "bulletin");
    char *pdf = S_STR("%s/bulletin.pdf", DAJIA_DASH_SHOTS);
    assert_int_equal(browser_pdf(fx->browser, pdf), 0);
    const char *argv[] = {"pdftotext", "-layout", pdf, "-", NULL};
    harness_result_t res = {0};
    assert_int_equal(harness_run(argv, NULL, HARNESS_RUN_TIMEOUT_MS, &res), 0);
    assert_int_equal(res.status, 0);
    char *value = s_wan(f.bulletin_value);
    if (!strstr(res.out, value) || !strstr(res.out, S_STR("%" PRId64, f.bulletin_filed)) ||
        !strstr(res.out, "合计"))
        fail_msg("the printed bulletin lacks its totals (%" PRId64 " cases, %s 万元):\n%.3000s",
                 f.bulletin_filed, value, res.out);
    harness_result_free(&res);
    s_fold_free(&f);
}

/* Bad input: unknown paths, bad parameters (named), oversized requests; and the
   operations endpoints. */
static void
test_bad_input_and_operations(void **state)
{
    fixture_t *fx = *state;
    unsigned port = fx->a.port;
    http_response_t res = s_get(port, "/no/such/page", NULL);
    assert_int_equal(res.status, 404);
    http_response_free(&res);
    res = s_get(port, "/figures?period=2026-13", NULL);
    assert_int_equal(res.status, 400);
    assert_non_null(strstr(res.body, "period"));
    http_response_free(&res);
    res = s_get(port, "/figures?colour=red", NULL);
    assert_int_equal(res.status, 400);
    assert_non_null(strstr(res.body, "colour"));
    http_response_free(&res);
    res = s_get(port, "/escalations?level=huge", NULL);
    assert_int_equal(res.status, 400);
    assert_non_null(strstr(res.body, "level"));
    http_response_free(&res);
    res = s_get(port, "/figures.csv", NULL);
    assert_int_equal(res.status, 400);
    assert_non_null(strstr(res.body, "table"));
    http_response_free(&res);
    char *long_target = calloc(1, 4000);
    memcpy(long_target, "/figures?period=", 16);
    memset(long_target + 16, '9', 3000);
    res = s_get(port, long_target, NULL);
    free(long_target);
    assert_int_equal(res.status, 414);
    http_response_free(&res);
    char *big = calloc(1, 10000);
    memset(big, 'x', 9999);
    assert_int_equal(http_request(port, "POST", "/login", NULL, big, &res), 0);
    free(big);
    assert_int_equal(res.status, 413);
    http_response_free(&res);
    assert_int_equal(http_request(port, "DELETE", "/figures", NULL, NULL, &res), 0);
    assert_int_equal(res.status, 405);
    http_response_free(&res);

    res = s_get(port, "/healthz", NULL);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
    res = s_get(port, "/metrics", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.body, "dajia_dash_up 1"));
    assert_non_null(strstr(res.body, "\ndajia_broker_accepted_total "));
    assert_non_null(strstr(res.body, "dajia_broker_commit_latency_seconds{quantile=\"0.99\"}"));
    assert_non_null(strstr(res.body, "\ndajia_feed_last_seq "));
    http_response_free(&res);

    /* The commit latency as a histogram (one observation per batch) and each worker
       service's lag, which is 0 once the workers have caught up with the log. */
    bool caught_up = false;
    for (int waited = 0; !caught_up && waited < S_WAIT_MS; waited += S_POLL_MS) {
        res = s_get(port, "/metrics", NULL);
        assert_int_equal(res.status, 200);
        double batches = s_metric_value(res.body, "dajia_broker_batches_total");
        double count = s_metric_value(res.body, "dajia_broker_commit_seconds_count");
        double inf = s_metric_value(res.body, "dajia_broker_commit_seconds_bucket{le=\"+Inf\"}");
        double le1 = s_metric_value(res.body, "dajia_broker_commit_seconds_bucket{le=\"0.001\"}");
        double le1s = s_metric_value(res.body, "dajia_broker_commit_seconds_bucket{le=\"1\"}");
        double sum = s_metric_value(res.body, "dajia_broker_commit_seconds_sum");
        assert_true(batches > 0);
        assert_true(count == batches);
        assert_true(inf == count);
        assert_true(le1 >= 0 && le1 <= le1s && le1s <= inf);
        assert_true(sum > 0);
        double last = s_metric_value(res.body, "dajia_broker_log_last_seq");
        caught_up = true;
        const char *services[] = {"aggregate", "escalate", "circulate"};
        for (size_t i = 0; i < 3; i++) {
            double lag = s_metric_value(
                res.body, S_STR("dajia_broker_worker_lag{service=\"%s\"}", services[i]));
            double cursor = s_metric_value(
                res.body, S_STR("dajia_broker_worker_cursor{service=\"%s\"}", services[i]));
            assert_true(lag >= 0 && cursor >= 0);
            assert_true(lag == last - cursor);
            caught_up = caught_up && lag == 0;
        }
        http_response_free(&res);
        if (!caught_up)
            usleep(S_POLL_MS * 1000);
    }
    if (!caught_up)
        fail_msg("a worker service's lag did not come down to 0 on /metrics");
}

/* A dashboard started again reads its view from its state directory and replays only
   what came since: the same figures at once, and few items applied. */
static void
test_restart_keeps_the_view(void **state)
{
    fixture_t *fx = *state;
    int64_t deadline = harness_now_ms() + S_WAIT_MS;
    uint64_t last = 0;
    for (;;) {
        s_fold_t f;
        s_fold(fx, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, &f);
        last = f.last;
        s_fold_free(&f);
        s_wait_seq(fx->c.port, last);
        http_response_t res = s_get(fx->c.port, "/figures", NULL);
        int64_t before[32];
        assert_true(s_total_row(res.body, "units", before, 32) >= 7);
        http_response_free(&res);
        assert_int_equal(harness_proc_stop(fx->c.proc), 0);
        harness_proc_destroy(&fx->c.proc);
        char *kept = S_STR("%s/dash-c/view.public_seq", fx->dir);
        struct stat st;
        assert_int_equal(stat(kept, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);

        const char *c[] = {"--name", "dashboard", "--feed", S_STR("ipc://%s/public.ipc", fx->dir),
                           NULL};
        assert_int_equal(s_dash_start(fx, S_STR("%s/dash-c", fx->dir), c, &fx->c), 0);
        res = s_get(fx->c.port, "/figures", NULL);
        int64_t after[32];
        assert_true(s_total_row(res.body, "units", after, 32) >= 7);
        http_response_free(&res);
        if (after[0] == before[0] && after[6] == before[6])
            break;
        /* Different figures are a fault unless the feed moved on meanwhile (the
           aggregate worker's next emission): then the restarted dashboard may show it. */
        s_fold(fx, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, &f);
        bool held_still = f.last == last;
        s_fold_free(&f);
        if (held_still || harness_now_ms() > deadline)
            fail_msg("the restarted dashboard shows %" PRId64 " cases, %" PRId64 " fen; "
                     "before it stopped, %" PRId64 " and %" PRId64 "%s",
                     after[0], after[6], before[0], before[6],
                     held_still ? "" : " (and the feed never held still)");
    }
    s_wait_seq(fx->c.port, last);
    http_response_t res = s_get(fx->c.port, "/metrics", NULL);
    const char *items = strstr(res.body, "\ndajia_dash_items_total ");
    assert_non_null(items);
    uint64_t applied = strtoull(items + strlen("\ndajia_dash_items_total "), NULL, 10);
    if (applied * 2 > last)
        fail_msg("the restarted dashboard applied %" PRIu64 " of %" PRIu64 " items: it replayed "
                 "the feed instead of reading its view",
                 applied, last);
    http_response_free(&res);
}

/* The broker goes away: every page says so and keeps the last state, /healthz is 503.
   Last, since it stops the broker. */
static void
test_broker_down(void **state)
{
    fixture_t *fx = *state;
    /* The last state: dashboard A has every item of the office feed. */
    s_fold_t f;
    s_fold(fx, DAJIA__AUDIENCE__AUDIENCE_OFFICE, &f);
    uint64_t last = f.last;
    s_fold_free(&f);
    s_wait_seq(fx->a.port, last);
    http_response_t res = s_get(fx->a.port, "/figures", NULL);
    int64_t before[32];
    assert_true(s_total_row(res.body, "units", before, 32) >= 7);
    http_response_free(&res);
    harness_proc_stop(fx->broker);
    harness_proc_destroy(&fx->broker);
    bool down = false;
    for (int waited = 0; waited < S_WAIT_MS && !down; waited += S_POLL_MS) {
        res = s_get(fx->a.port, "/healthz", NULL);
        down = res.status == 503;
        http_response_free(&res);
        if (!down)
            usleep(S_POLL_MS * 1000);
    }
    assert_true(down);
    const char *pages[] = {"/figures", "/bulletins", "/escalations", "/matters"};
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        res = s_get(fx->a.port, pages[i], NULL);
        assert_int_equal(res.status, 200);
        assert_non_null(strstr(res.body, "class=\"banner down\""));
        http_response_free(&res);
    }
    res = s_get(fx->a.port, "/figures", NULL);
    int64_t after[32];
    assert_true(s_total_row(res.body, "units", after, 32) >= 7);
    if (after[0] != before[0] || after[6] != before[6]) {
        const char *h1 = strstr(res.body, "<h1>");
        fail_msg("the figures changed while the broker was down: %" PRId64 " cases, %" PRId64
                 " fen before, %" PRId64 " and %" PRId64 " after (%.100s)",
                 before[0], before[6], after[0], after[6], h1 ? h1 : "");
    }
    http_response_free(&res);
}

/* Runs `cmd` with /bin/sh; returns its stdout (autofreed) and sets *status. */
static char *
s_sh(const char *cmd, int *status)
{
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    harness_result_t res = {0};
    assert_int_equal(harness_run(argv, NULL, HARNESS_RUN_TIMEOUT_MS, &res), 0);
    *status = res.status;
    char *out = S_STR("%s%s", res.out, res.err);
    harness_result_free(&res);
    return out;
}

/* Any address but loopback needs TLS and HTTP users; with both it serves HTTPS, and the
   session cookie is Secure and bound to the host. */
static void
test_exposed_address_needs_tls_and_users(void **state)
{
    fixture_t *fx = *state;
    const char *argv[] = {DAJIA_DASH_BIN, "--broker",   fx->api, "--http",
                          "0.0.0.0:0",    "--no-state", NULL};
    const char *env[] = {"DAJIA_KEYS", "DAJIA_USERS", NULL};
    harness_opts_t opts = {.env = env};
    harness_result_t res = {0};
    assert_int_equal(harness_run(argv, &opts, HARNESS_RUN_TIMEOUT_MS, &res), 0);
    assert_int_equal(res.status, 1);
    assert_non_null(strstr(res.err, "--tls-cert"));
    assert_non_null(strstr(res.err, "no HTTP users"));
    harness_result_free(&res);

    char *cert = S_STR("%s/cert.pem", fx->dir), *key = S_STR("%s/key.pem", fx->dir);
    int status;
    char *out = s_sh(S_STR("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                           "-nodes -keyout '%s' -out '%s' -days 2 -subj /CN=localhost && "
                           "chmod 600 '%s'",
                           key, cert, key),
                     &status);
    if (status != 0)
        fail_msg("openssl could not make a test certificate: %s", out);
    s_dash_t d = {0};
    const char *tls[] = {"--http",    "0.0.0.0:0", "--tls-cert", cert,
                         "--tls-key", key,         "--users",    S_STR("%s/users", fx->dir),
                         NULL};
    assert_int_equal(s_dash_start(fx, S_STR("%s/dash-tls", fx->dir), tls, &d), 0);
    assert_non_null(strstr(harness_proc_stdout(d.proc), "READY http=https://"));
    out = s_sh(S_STR("printf 'POST /login HTTP/1.1\\r\\nHost: 127.0.0.1:%u\\r\\n"
                     "Content-Type: application/x-www-form-urlencoded\\r\\n"
                     "Content-Length: %zu\\r\\nConnection: close\\r\\n\\r\\n%s' | "
                     "openssl s_client -connect 127.0.0.1:%u -quiet -ign_eof 2>/dev/null",
                     d.port, strlen("user=office1&password=" S_OFFICE_PASS),
                     "user=office1&password=" S_OFFICE_PASS, d.port),
               &status);
    if (!strstr(out, "HTTP/1.1 303") || !strstr(out, "Set-Cookie: __Host-dajia_session=") ||
        !strstr(out, "; Secure") || !strstr(out, "Strict-Transport-Security"))
        fail_msg("the login over TLS did not answer as it should:\n%.2000s", out);
    /* Plain HTTP on the TLS port gets nothing. */
    http_response_t plain;
    int rc = http_request(d.port, "GET", "/healthz", NULL, NULL, &plain);
    assert_true(rc != 0 || plain.status == 0 || plain.status == 400);
    if (rc == 0)
        http_response_free(&plain);
    assert_int_equal(harness_proc_stop(d.proc), 0);
    harness_proc_destroy(&d.proc);
}

/* make run: scripts/run starts the broker and the dashboard, prints the DASH line, and one
   interrupt to the whole process group (a terminal's Ctrl-C) stops both. */
static void
test_run_script_starts_both_and_one_interrupt_stops_both(void **state)
{
    fixture_t *fx = *state;
    char *var = S_STR("%s/run-var", fx->dir);
    const char *argv[] = {"/bin/sh", DAJIA_RUN_SCRIPT, DAJIA_BUILD_DIR, NULL};
    const char *env[] = {S_STR("RUN_VAR=%s", var),
                         "DAJIA_API=tcp://127.0.0.1:*",
                         "DAJIA_HTTP=127.0.0.1:0",
                         "DAJIA_KEYS",
                         "DAJIA_USERS",
                         "DAJIA_CLOCK",
                         NULL};
    harness_opts_t opts = {.env = env};
    harness_proc_t *run = NULL;
    assert_int_equal(harness_proc_start(argv, &opts, &run), 0);
    unsigned port = 0;
    for (int waited = 0; waited < S_WAIT_MS && !port; waited += S_POLL_MS) {
        const char *line = strstr(harness_proc_stdout(run), "DASH http://127.0.0.1:");
        if (line && strchr(line, '\n'))
            port = (unsigned)strtoul(line + strlen("DASH http://127.0.0.1:"), NULL, 10);
        else if (!harness_proc_running(run))
            break;
        else
            usleep(S_POLL_MS * 1000);
    }
    if (!port)
        fail_msg("scripts/run printed no DASH line:\n%s", harness_proc_stdout(run));
    s_wait_seq(port, 0); /* following the broker it started */
    http_response_t res = s_get(port, "/escalations", NULL);
    assert_int_equal(res.status, 200); /* with the Office's key */
    http_response_free(&res);
    assert_int_equal(kill(-harness_proc_pid(run), SIGINT), 0);
    int status = harness_proc_wait(run, S_WAIT_MS);
    assert_true(status == 130 || status == 128 + SIGINT);
    /* Both are gone: nothing answers on the dashboard's port, and the broker's log is
       closed (a second broker opens it at once). */
    assert_int_not_equal(http_request(port, "GET", "/healthz", NULL, NULL, &res), 0);
    harness_proc_t *again = NULL;
    char api[256];
    assert_int_equal(harness_broker_start(S_STR("%s/broker", var), "tcp://127.0.0.1:*", NULL,
                                          &again, api, sizeof api),
                     0);
    assert_int_equal(harness_proc_stop(again), 0);
    harness_proc_destroy(&again);
    harness_proc_destroy(&run);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_figures_match_feed, s_after_each),
        cmocka_unit_test_teardown(test_live_escalation, s_after_each),
        cmocka_unit_test_teardown(test_office_pages_guarded, s_after_each),
        cmocka_unit_test_teardown(test_public_never_office, s_after_each),
        cmocka_unit_test_teardown(test_bulletin_pdf, s_after_each),
        cmocka_unit_test_teardown(test_compliance_now, s_after_each),
        cmocka_unit_test_teardown(test_bad_input_and_operations, s_after_each),
        cmocka_unit_test_teardown(test_exposed_address_needs_tls_and_users, s_after_each),
        cmocka_unit_test_teardown(test_run_script_starts_both_and_one_interrupt_stops_both,
                                  s_after_each),
        cmocka_unit_test_teardown(test_restart_keeps_the_view, s_after_each),
        cmocka_unit_test_teardown(test_broker_down, s_after_each),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
