/*  dajia-dash-bench: how fast the web dashboard renders its pages and delivers new items
    to open pages, with a view the size of a busy year (issue 11).

    It starts a broker of its own (with its workers) and a dajia-dash following it, and
    fills the feed through the real pipeline: --cells case reports, each in a figure cell
    of its own (month x unit x case category x goods category), one in ten with a case
    value that escalates (E3), so the view holds --cells figure cells and --cells / 10
    escalations. Then:

    1. render: builds the same view in this process from the broker's feed (REPLAY) and
       times dash_render_page, the dashboard's own page code, --renders times per page:
       the time a page costs at the server;
    2. http: times GET of each page from the running dajia-dash over loopback (a new
       connection each), what a browser waits for;
    3. live: opens --streams event streams (GET /events) and a subscription to the
       broker's office feed, then reports --items new escalations one at a time; for
       each, the time from its publication on the feed (when this process receives it)
       to its arrival on every stream.

    Every wait is bounded; a stream that misses an item fails the run (exit 1).
*/
#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_broker.h"
#include "bench_hist.h"
#include "dajia.pb-c.h"
#include "dajia_api.h"
#include "dash_buf.h"
#include "dash_query.h"
#include "dash_render.h"
#include "dash_view.h"

#ifndef DAJIA_DASH_BIN
#error "DAJIA_DASH_BIN must be defined by the build"
#endif

#define S_NAME         "dajia-dash-bench"
#define S_WAIT_MS      120000
#define S_ITEM_WAIT_MS 10000
#define S_WINDOW       256
#define S_E3_FEN       (600000LL * 100)
#define S_DAY_MS       (24LL * 3600 * 1000)

static const char *const s_units[] = {
    "publicity", "polilegal", "govoffice", "drc",   "iit",           "psb",
    "justice",   "finance",   "eco",       "agri",  "commerce",      "culture",
    "health",    "pboc",      "customs",   "tax",   "msa",           "cac",
    "forestea",  "post",      "tobacco",   "court", "procuratorate",
};
#define S_UNITS 23
#define S_CATS  17
#define S_GOODS 19

typedef struct {
    long cells;
    long renders;
    long gets;
    long streams;
    long items;
} s_options_t;

static int64_t
s_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t
s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_die(const char *what)
{
    fprintf(stderr, S_NAME ": %s\n", what);
    exit(1);
}

// ====================================================================== events

/* Case report `i`: a cell of its own (unit, category, goods and month from i), every
   tenth one (and every one past the cells: the live items) escalating. */
static int
s_submit(zsock_t *api, long i, bool escalate)
{
    Dajia__CaseReport r = DAJIA__CASE_REPORT__INIT;
    char case_no[32], event_id[32];
    snprintf(case_no, sizeof case_no, "BENCH-%ld", i);
    snprintf(event_id, sizeof event_id, "dash-bench-%ld", i);
    Dajia__GoodsCategory goods = (Dajia__GoodsCategory)(1 + (i / (S_UNITS * S_CATS)) % S_GOODS);
    long month = i / (S_UNITS * S_CATS * S_GOODS);
    int64_t now = s_now_ms();
    r.case_no = case_no;
    r.category = (Dajia__CaseCategory)(1 + (i / S_UNITS) % S_CATS);
    r.goods = &goods;
    r.n_goods = 1;
    r.stage = DAJIA__CASE_STAGE__CASE_STAGE_FILED;
    r.case_value_fen = escalate ? S_E3_FEN : 100000 + i;
    r.filed_at = now - S_DAY_MS - month * 31 * S_DAY_MS;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = event_id;
    env.unit = (char *)s_units[i % S_UNITS];
    env.reporter = "dash bench";
    env.region = "411502";
    env.reported_at = now;
    env.occurred_at = r.filed_at;
    env.body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
    env.case_report = &r;
    uint8_t buf[1024];
    size_t len = dajia__envelope__get_packed_size(&env);
    if (len > sizeof buf)
        return -EMSGSIZE;
    dajia__envelope__pack(&env, buf);
    void *raw = zsock_resolve(api);
    if (zmq_send(raw, DAJIA_API_SUBMIT, strlen(DAJIA_API_SUBMIT), ZMQ_SNDMORE) < 0 ||
        zmq_send(raw, buf, len, 0) < 0)
        return -errno;
    return 0;
}

/* Waits for one ACK; returns 0 when it says stored. */
static int
s_ack(zsock_t *api)
{
    zmq_pollitem_t item = {zsock_resolve(api), 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, S_ITEM_WAIT_MS) <= 0)
        return -ETIMEDOUT;
    zmsg_t *msg = zmsg_recv(api);
    zframe_t *body = msg ? zmsg_last(msg) : NULL;
    Dajia__Ack *ack = body ? dajia__ack__unpack(NULL, zframe_size(body), zframe_data(body)) : NULL;
    int rc = ack && (ack->status == DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED ||
                     ack->status == DAJIA__ACK_STATUS__ACK_STATUS_DUPLICATE)
                 ? 0
                 : -EPROTO;
    if (rc && ack)
        fprintf(stderr, S_NAME ": refused: %s\n", ack->reason_text);
    if (ack)
        dajia__ack__free_unpacked(ack, NULL);
    zmsg_destroy(&msg);
    return rc;
}

/* The broker's feed, replayed: every item folded into `view` (may be NULL); returns the
   newest feed_seq. */
static uint64_t
s_replay(zsock_t *api, dash_view_t *view)
{
    uint64_t from = view ? 1 : UINT64_MAX, last = 0;
    for (;;) {
        Dajia__ReplayRequest req = DAJIA__REPLAY_REQUEST__INIT;
        req.from_seq = from;
        req.audience = DAJIA__AUDIENCE__AUDIENCE_OFFICE;
        uint8_t buf[64];
        size_t len = dajia__replay_request__pack(&req, buf);
        void *raw = zsock_resolve(api);
        zmq_send(raw, DAJIA_API_REPLAY, strlen(DAJIA_API_REPLAY), ZMQ_SNDMORE);
        zmq_send(raw, buf, len, 0);
        zmq_pollitem_t item = {raw, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, S_ITEM_WAIT_MS) <= 0)
            s_die("the broker does not answer REPLAY");
        zmsg_t *msg = zmsg_recv(api);
        zframe_t *body = zmsg_last(msg);
        Dajia__FeedBatch *b = dajia__feed_batch__unpack(NULL, zframe_size(body), zframe_data(body));
        zmsg_destroy(&msg);
        if (!b)
            s_die("the broker's feed batch does not decode");
        last = b->last_feed_seq;
        for (size_t i = 0; view && i < b->n_items; i++) {
            if (dash_view_apply(view, b->items[i], NULL) != 0)
                s_die("out of memory");
            from = b->items[i]->feed_seq + 1;
        }
        bool more = view && b->more && b->n_items;
        dajia__feed_batch__free_unpacked(b, NULL);
        if (!more)
            return last;
    }
}

// ====================================================================== the dashboard

static pid_t s_dash_pid;

static void
s_dash_stop(void)
{
    if (s_dash_pid > 0) {
        kill(s_dash_pid, SIGTERM);
        waitpid(s_dash_pid, NULL, 0);
        s_dash_pid = 0;
    }
}

/* Starts dajia-dash on a free port; returns the port. */
static unsigned
s_dash_start(const char *api, const char *office)
{
    int out[2];
    if (pipe(out) != 0)
        s_die("pipe");
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        /* The broker runs without keys: so does the dashboard (no ./var/keys there). */
        unsetenv("DAJIA_KEYS");
        unsetenv("DAJIA_USERS");
        if (chdir("/") != 0)
            _exit(127);
        execl(DAJIA_DASH_BIN, DAJIA_DASH_BIN, "--broker", api, "--feed", office, "--name", "office",
              "--http", "127.0.0.1:0", "--no-state", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    s_dash_pid = pid;
    char line[512] = "";
    size_t n = 0;
    int64_t deadline = s_mono_ns() + (int64_t)S_WAIT_MS * 1000000;
    while (!strchr(line, '\n') && n + 1 < sizeof line && s_mono_ns() < deadline) {
        struct pollfd p = {out[0], POLLIN, 0};
        if (poll(&p, 1, 1000) <= 0)
            continue;
        ssize_t got = read(out[0], line + n, sizeof line - 1 - n);
        if (got <= 0)
            break;
        n += (size_t)got;
        line[n] = '\0';
    }
    close(out[0]);
    const char *colon = strrchr(line, ':');
    unsigned port =
        colon && strstr(line, "READY http=") ? (unsigned)strtoul(colon + 1, NULL, 10) : 0;
    if (!port)
        s_die("dajia-dash gave no READY line");
    return port;
}

static int
s_connect(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        s_die("cannot connect to dajia-dash");
    return fd;
}

/* GET `target`; returns the body (caller frees). */
static char *
s_get(unsigned port, const char *target)
{
    int fd = s_connect(port);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", target);
    if (write(fd, req, (size_t)n) != n)
        s_die("cannot send a request");
    dash_buf_t b = {0};
    char chunk[65536];
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, S_ITEM_WAIT_MS) <= 0)
            s_die("no answer from dajia-dash");
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got <= 0)
            break;
        dash_buf_add(&b, chunk, (size_t)got);
    }
    close(fd);
    if (!b.data || strncmp(b.data, "HTTP/1.1 200", 12) != 0) {
        fprintf(stderr, S_NAME ": GET %s: %.80s\n", target, b.data ? b.data : "(nothing)");
        exit(1);
    }
    return dash_buf_take(&b, NULL);
}

// ====================================================================== report

static void
s_row(const char *what, bench_hist_t *h)
{
    printf("%-34s %7" PRIu64 " %9.2f %9.2f %9.2f\n", what, bench_hist_count(h),
           bench_hist_quantile(h, 0.50) / 1e6, bench_hist_quantile(h, 0.99) / 1e6,
           bench_hist_max(h) / 1e6);
}

static const char *const s_pages[] = {"/figures",     "/figures?unit=psb",
                                      "/escalations", "/escalations?limit=100000",
                                      "/matters",     "/bulletins"};
#define S_PAGES (sizeof s_pages / sizeof s_pages[0])

/* Times dash_render_page on `view`, as the server would for each page. */
static void
s_render(const dash_view_t *view, long renders)
{
    printf("\n%-34s %7s %9s %9s %9s\n", "render at the server (in-process)", "renders", "p50 ms",
           "p99 ms", "max ms");
    dash_page_ctx_t p = {.lang = DAJIA_LANG_ZH, .broker_up = true, .show_office = true};
    dash_report_ctx_t r = {.lang = DAJIA_LANG_ZH};
    for (size_t i = 0; i < S_PAGES; i++) {
        dash_query_t q;
        char path[128];
        snprintf(path, sizeof path, "%s", s_pages[i]);
        char *query = strchr(path, '?');
        if (query)
            *query++ = '\0';
        if (dash_query_path(path, &q) != 0)
            s_die("bad page");
        char err[128];
        for (char *kv = query ? strtok(query, "&") : NULL; kv; kv = strtok(NULL, "&")) {
            char *eq = strchr(kv, '=');
            *eq = '\0';
            if (dash_query_param(&q, kv, eq + 1, err, sizeof err) != 0)
                s_die(err);
        }
        bench_hist_t *h = bench_hist_new();
        size_t bytes = 0;
        for (long k = 0; k < renders; k++) {
            p.now_ms = r.now_ms = s_now_ms();
            dash_buf_t out = {0};
            int64_t t0 = s_mono_ns();
            if (dash_render_page(&out, &p, view, &r, &q) != 0)
                s_die("render failed");
            bench_hist_record(h, (uint64_t)(s_mono_ns() - t0));
            bytes = out.len;
            dash_buf_reset(&out);
        }
        char what[96];
        snprintf(what, sizeof what, "%s (%zu KB)", s_pages[i], bytes / 1024);
        s_row(what, h);
        bench_hist_destroy(&h);
    }
}

static void
s_http(unsigned port, long gets)
{
    printf("\n%-34s %7s %9s %9s %9s\n", "GET over loopback (new connection)", "GETs", "p50 ms",
           "p99 ms", "max ms");
    for (size_t i = 0; i < S_PAGES; i++) {
        bench_hist_t *h = bench_hist_new();
        for (long k = 0; k < gets; k++) {
            int64_t t0 = s_mono_ns();
            free(s_get(port, s_pages[i]));
            bench_hist_record(h, (uint64_t)(s_mono_ns() - t0));
        }
        s_row(s_pages[i], h);
        bench_hist_destroy(&h);
    }
}

// ====================================================================== live

typedef struct {
    int fd;
    dash_buf_t in;
    size_t scanned;
} s_stream_t;

static void
s_live(unsigned port, zsock_t *api, const char *office, const s_options_t *o, long first)
{
    zsock_t *sub = zsock_new_sub(office, DAJIA_TOPIC_ESCALATION);
    if (!sub)
        s_die("cannot subscribe to the office feed");
    s_stream_t *st = calloc((size_t)o->streams, sizeof *st);
    struct pollfd *pfd = calloc((size_t)o->streams, sizeof *pfd);
    zmq_pollitem_t *items = calloc((size_t)o->streams + 1, sizeof *items);
    for (long s = 0; s < o->streams; s++) {
        st[s].fd = s_connect(port);
        const char req[] = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        if (write(st[s].fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1))
            s_die("cannot open a stream");
    }
    /* Every stream open (its hello read) before the first item. */
    for (long s = 0; s < o->streams; s++) {
        char buf[4096];
        while (!st[s].in.data || !strstr(st[s].in.data, "event: hello")) {
            struct pollfd p = {st[s].fd, POLLIN, 0};
            if (poll(&p, 1, S_ITEM_WAIT_MS) <= 0)
                s_die("a stream did not open");
            ssize_t got = read(st[s].fd, buf, sizeof buf);
            if (got <= 0)
                s_die("a stream closed");
            dash_buf_add(&st[s].in, buf, (size_t)got);
        }
        st[s].scanned = st[s].in.len;
    }
    zclock_sleep(500); /* the subscription takes effect */
    bench_hist_t *h = bench_hist_new();
    long early = 0;
    for (long k = 0; k < o->items; k++) {
        long i = first + k;
        if (s_submit(api, i, true) != 0 || s_ack(api) != 0)
            s_die("a live item was refused");
        /* The escalation's id ends in "/BENCH-<i>" (E3, major); in the stream's JSON a
           quote follows it. */
        char needle[64], id_end[64];
        snprintf(needle, sizeof needle, "/BENCH-%ld\"", i);
        snprintf(id_end, sizeof id_end, "/BENCH-%ld", i);
        int64_t published = 0;
        int64_t *arrived = calloc((size_t)o->streams, sizeof *arrived);
        long pending = o->streams;
        int64_t deadline = s_mono_ns() + (int64_t)S_ITEM_WAIT_MS * 1000000;
        while ((pending || !published) && s_mono_ns() < deadline) {
            items[0] = (zmq_pollitem_t){zsock_resolve(sub), 0, ZMQ_POLLIN, 0};
            for (long s = 0; s < o->streams; s++)
                items[s + 1] = (zmq_pollitem_t){NULL, st[s].fd, ZMQ_POLLIN, 0};
            if (zmq_poll(items, (int)o->streams + 1, 1000) <= 0)
                continue;
            int64_t now = s_mono_ns();
            if (items[0].revents & ZMQ_POLLIN) {
                zmsg_t *msg = zmsg_recv(sub);
                zframe_t *body = msg ? zmsg_last(msg) : NULL;
                Dajia__FeedItem *it =
                    body ? dajia__feed_item__unpack(NULL, zframe_size(body), zframe_data(body))
                         : NULL;
                const char *eid = it && it->escalation ? it->escalation->escalation_id : "";
                size_t elen = strlen(eid), nlen = strlen(id_end);
                if (elen >= nlen && strcmp(eid + elen - nlen, id_end) == 0 && !published)
                    published = now;
                if (it)
                    dajia__feed_item__free_unpacked(it, NULL);
                zmsg_destroy(&msg);
            }
            for (long s = 0; s < o->streams; s++) {
                if (!(items[s + 1].revents & ZMQ_POLLIN))
                    continue;
                char buf[16384];
                ssize_t got = read(st[s].fd, buf, sizeof buf);
                if (got <= 0)
                    s_die("a stream closed");
                dash_buf_add(&st[s].in, buf, (size_t)got);
                if (!arrived[s] && strstr(st[s].in.data + st[s].scanned, needle)) {
                    arrived[s] = now;
                    pending--;
                }
            }
        }
        if (pending || !published) {
            fprintf(stderr, S_NAME ": item %ld: %ld streams missed it%s\n", i, pending,
                    published ? "" : " (and the feed never showed it)");
            exit(1);
        }
        for (long s = 0; s < o->streams; s++) {
            /* A stream may get the item before this process reads it from the feed: the
               dashboard's follower and this subscriber race for the same message. */
            int64_t d = arrived[s] - published;
            if (d < 0)
                early++;
            bench_hist_record(h, (uint64_t)(d < 0 ? 0 : d));
            st[s].scanned = st[s].in.len;
        }
        free(arrived);
    }
    printf("\n%-34s %7s %9s %9s %9s\n", "live: feed publication -> stream", "events", "p50 ms",
           "p99 ms", "max ms");
    char what[96];
    snprintf(what, sizeof what, "%ld streams x %ld escalations", o->streams, o->items);
    s_row(what, h);
    if (early)
        printf("(%ld of them reached the stream before this process read the feed: counted as 0)\n",
               early);
    bench_hist_destroy(&h);
    for (long s = 0; s < o->streams; s++) {
        close(st[s].fd);
        dash_buf_reset(&st[s].in);
    }
    free(st);
    free(pfd);
    free(items);
    zsock_destroy(&sub);
}

// ====================================================================== main

static long
s_num(const char *text, const char *flag)
{
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < 1 || v > 1000000) {
        fprintf(stderr, S_NAME ": %s: expected a number from 1, got \"%s\"\n", flag, text);
        exit(2);
    }
    return v;
}

int
main(int argc, char **argv)
{
    s_options_t o = {.cells = 10000, .renders = 200, .gets = 50, .streams = 200, .items = 50};
    static const struct option longopts[] = {
        {"cells", required_argument, NULL, 'c'},
        {"renders", required_argument, NULL, 'r'},
        {"gets", required_argument, NULL, 'g'},
        {"streams", required_argument, NULL, 's'},
        {"items", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            o.cells = s_num(optarg, "--cells");
            break;
        case 'r':
            o.renders = s_num(optarg, "--renders");
            break;
        case 'g':
            o.gets = s_num(optarg, "--gets");
            break;
        case 's':
            o.streams = s_num(optarg, "--streams");
            break;
        case 'i':
            o.items = s_num(optarg, "--items");
            break;
        case 'h':
            printf("usage: " S_NAME " [--cells N] [--renders N] [--gets N] [--streams N] "
                   "[--items N]\n"
                   "  --cells N     figure cells in the view, one case each (10000); one in ten\n"
                   "                escalates, so the view holds N/10 escalations\n"
                   "  --renders N   in-process renders per page (200)\n"
                   "  --gets N      HTTP GETs per page (50)\n"
                   "  --streams N   open event streams (200)\n"
                   "  --items N     new escalations sent to the streams (50)\n");
            return 0;
        default:
            return 2;
        }
    }
    if (o.cells > (long)S_UNITS * S_CATS * S_GOODS * 12)
        s_die("--cells: at most 89148 (23 units x 17 categories x 19 goods x 12 months)");
    signal(SIGPIPE, SIG_IGN);
    zsys_init();
    zsys_set_max_sockets(0);
    char broker_bin[4096];
    bench_broker_default(broker_bin, sizeof broker_bin);
    bench_broker_t *broker = NULL;
    if (bench_broker_spawn(broker_bin, true, &broker) != 0)
        return 1;
    const char *api_ep = bench_broker_endpoint(broker);
    const char *office = bench_broker_office(broker);
    zsock_t *api = zsock_new_dealer(api_ep);
    if (!api)
        s_die("cannot connect to the broker");
    atexit(s_dash_stop);

    /* Fill the feed: one case per cell, a window of submissions in flight. */
    int64_t t0 = s_mono_ns();
    long sent = 0, acked = 0;
    while (acked < o.cells) {
        while (sent < o.cells && sent - acked < S_WINDOW)
            if (s_submit(api, sent, sent % 10 == 0) != 0)
                s_die("cannot submit");
            else
                sent++;
        if (s_ack(api) != 0)
            s_die("an event was not stored");
        acked++;
    }
    printf("%ld case reports stored in %.1f s\n", o.cells, (s_mono_ns() - t0) / 1e9);

    /* The workers turn them into figures and escalations; wait for the feed to settle. */
    uint64_t last = 0, before = 1;
    while (last != before) {
        before = last;
        zclock_sleep(2000);
        last = s_replay(api, NULL);
    }
    unsigned port = s_dash_start(api_ep, office);
    for (int64_t deadline = s_mono_ns() + (int64_t)S_WAIT_MS * 1000000;; zclock_sleep(200)) {
        char *health = s_get(port, "/healthz");
        const char *item = strstr(health, "item ");
        uint64_t at = item ? strtoull(item + 5, NULL, 10) : 0;
        free(health);
        if (at >= last)
            break;
        if (s_mono_ns() > deadline)
            s_die("dajia-dash did not catch up with the feed");
    }
    dash_view_t *view = dash_view_new();
    s_replay(api, view);
    const dash_row_t *const *rows;
    const Dajia__FeedItem *const *esc;
    printf("the view: %zu figure cells, %zu escalations, feed item %" PRIu64 "\n",
           dash_view_rows(view, &rows), dash_view_escalations(view, &esc), last);

    s_render(view, o.renders);
    s_http(port, o.gets);
    s_live(port, api, office, &o, o.cells);
    dash_view_destroy(&view);
    s_dash_stop();
    zsock_destroy(&api);
    bench_broker_destroy(&broker);
    return 0;
}
