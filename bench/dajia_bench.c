/*  dajia-bench: load generator for the broker's api, and the latency/throughput report.

    N agents, each with its own DEALER connection, submit CaseReport envelopes of about
    300 bytes. T threads carry them (--threads, a share of the agents each, polled
    together), since a thread per connection would cost the two cores more than the
    broker does: at most 8 with full windows, one at a fixed rate, where a thread per
    agent would wake for every send of its own. The messages are built before the clock starts (a
   small pool per agent, each encoded once); a send copies one and writes a fresh counter into its
   event_id, so the bench spends its time in the broker, not in protobuf. Two ways to load:

      full windows (default)  each agent keeps W events in flight and sends one more for
                              every ack: the broker's best throughput at that concurrency.
      fixed rate (--rate R)   R events/s in total, spread evenly over the agents, sent at
                              scheduled times whatever the acks do (an open loop). Latency
                              is taken from the *scheduled* time, so a broker that stalls
                              is charged for the sends it delayed (no coordinated omission).

    Only what happens between the end of the warmup and the end of the run is measured:
    ACCEPTED acks per second (each one is an event on disk), ack latency percentiles from
    a log-linear histogram merged over the threads, and events per commit from the
    broker's STATS before and after. Rejected or duplicate acks mean the bench itself is
    wrong; they are reported and make the exit status 1. There are no pass/fail
    thresholds: this program measures, it does not judge.

    End to end (--e2e, fixed rate, 1000/s unless --rate says otherwise): the broker runs
    its workers, and every event is a case of its own (a unique case_no) whose value is
    above the major-case threshold (rule E3), so the escalate worker escalates each event
    once. A subscriber thread follows the office feed and takes, for each event, the time
    from its *scheduled* send to the first escalation naming it (source_event_id) on the
    feed: ingest, fsync, dispatch, the worker's commit, the feed log's commit and the
    publication, all included. Events whose escalation has not arrived a few seconds
    after the last ack are counted as missing (and make the exit status 1: the feeds
    promise that nothing is lost).

    With --spawn (the default when --broker is not given) the bench starts the broker
    itself on tcp://127.0.0.1:* in a fresh temporary data directory, reads its READY line,
    stops it with SIGTERM at the end and removes the directory.
*/
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "dajia.pb-c.h"
#include "dajia_api.h"
#include "bench_hist.h"

/* ================================================================== constants */

#define BENCH_MAX_AGENTS       999   /* the thread number is 3 digits of event_id */
#define BENCH_POOL_SIZE        64    /* pre-encoded messages per agent */
#define BENCH_COUNTER_DIGITS   10    /* the per-agent counter at the end of event_id */
#define BENCH_ID_PREFIX_LEN    14    /* "b" + 8 hex run id + "-" + 3 digits + "-" */
#define BENCH_READY_TIMEOUT_MS 30000 /* broker startup */
#define BENCH_STOP_TIMEOUT_MS  5000  /* SIGTERM, then SIGKILL */
#define BENCH_STATS_TIMEOUT_MS 5000
#define BENCH_STALL_NS         (10 * NS_PER_S)   /* window mode: no ack for this long */
#define BENCH_DRAIN_NS         (3 * NS_PER_S)    /* wait for acks after the run */
#define BENCH_BURST_MAX        256               /* sends per loop turn before reading acks */
#define BENCH_LAG_WARN_MS      1.0               /* rate mode: sends this late mean a busy bench */
#define BENCH_START_DELAY_NS   (200 * NS_PER_MS) /* let the DEALERs connect first */
#define BENCH_E2E_RATE         1000              /* --e2e without --rate */
#define BENCH_E2E_STRAGGLE_NS  (5 * NS_PER_S)    /* wait for escalations after the acks */
#define BENCH_E2E_VALUE_FEN    6000000000LL      /* 60 million yuan: a major case (E3) */
#define BENCH_E2E_POLL_MS      100
#define BENCH_DEFAULT_THREADS  8 /* full windows: most runner threads by default */
#define NS_PER_S               1000000000ULL
#define NS_PER_MS              1000000ULL

/* The 23 member units of the default configuration. */
static const char *const s_units[] = {
    "publicity", "polilegal", "govoffice", "drc",   "iit",           "psb",
    "justice",   "finance",   "eco",       "agri",  "commerce",      "culture",
    "health",    "pboc",      "customs",   "tax",   "msa",           "cac",
    "forestea",  "post",      "tobacco",   "court", "procuratorate",
};
#define BENCH_UNIT_COUNT (sizeof(s_units) / sizeof(s_units[0]))

/* ================================================================== types */

typedef struct {
    const char *broker; /* --broker: use this endpoint, spawn nothing */
    const char *spawn;  /* --spawn: the broker binary to start */
    bool with_workers;  /* --with-workers: the spawned broker runs its workers */
    bool e2e;           /* --e2e: submit -> escalation latency (implies workers) */
    const char *office; /* --office: the office feed of a --broker */
    const char *label;  /* --label: name of the scenario in the report */
    int agents;
    int threads; /* runner threads carrying the agents */
    int window;
    double rate; /* events/s in total; 0: full windows */
    double duration_s;
    double warmup_s;
    bool json;
    bool header;
} bench_config_t;

/* What one agent thread did. Written by the thread, read by main after the join. */
typedef struct {
    uint64_t sent;
    uint64_t acks;
    uint64_t accepted; /* over the whole run, warmup and drain included */
    uint64_t duplicates;
    uint64_t rejected;
    uint64_t measured;  /* ACCEPTED acks received inside the measured interval */
    uint64_t unmatched; /* replies the agent could not pair with a send */
    uint64_t bytes;     /* payload bytes sent */
    bool stalled;
    char first_reject[160]; /* the first reject's reason, for the report */
} agent_result_t;

typedef struct {
    int index;
    const bench_config_t *cfg;
    const char *unit;
    void *sock; /* DEALER, owned; created in main, used only here */
    char prefix[BENCH_ID_PREFIX_LEN + 1];
    uint8_t *pool[BENCH_POOL_SIZE];
    size_t pool_len[BENCH_POOL_SIZE];
    size_t counter_at[BENCH_POOL_SIZE]; /* offset of the counter digits in pool[i] */
    size_t case_at[BENCH_POOL_SIZE];    /* e2e: the counter digits in case_no; else 0 */
    uint8_t *scratch;                   /* the message being sent */
    uint64_t *sent_at;                  /* window mode: send time by counter & ring_mask */
    uint64_t ring_mask;
    uint64_t t_start, t_warm, t_end;
    uint64_t first_due;     /* rate mode: when counter 0 is due */
    double interval_ns;     /* rate mode */
    bench_hist_t *hist;     /* ack latency */
    bench_hist_t *lag;      /* rate mode: how late each send left */
    uint64_t counter;       /* events sent so far; the next one's number */
    uint64_t inflight;      /* sent and not acked */
    uint64_t last_progress; /* window mode: when an ack last came */
    uint64_t next_due;      /* rate mode: when the next send is due */
    bool done;              /* a send or receive failed, or it stalled */
    agent_result_t result;
} agent_t;

/* One thread driving a run of consecutive agents, each on its own connection: the
   agents are independent members, the threads only the bench's way of carrying them
   without a thread per connection (which would cost the two cores more than the
   broker does). */
typedef struct {
    agent_t *agents; /* borrowed: agents[0 .. count) */
    int count;
    struct pollfd *fds; /* the agents' ZMQ_FDs, owned */
    uint64_t t_start, t_end;
    pthread_t thread;
    bool started;
} runner_t;

typedef struct {
    bool ok;
    uint64_t accepted;
    uint64_t batches;
    uint64_t rejected;
} broker_stats_t;

typedef struct {
    pid_t pid;
    char *dir; /* temp dir holding data/ and broker.log */
    char endpoint[256];
    char office[256]; /* the office feed, "" when READY named none */
} spawned_t;

/* E2E: the subscriber thread that follows the office feed. */
typedef struct {
    const bench_config_t *cfg;
    void *sock;            /* SUB to the office feed, owned; used only by the thread */
    const agent_t *agents; /* their prefixes, schedules and windows (read only) */
    int n_agents;
    uint8_t **seen;            /* per agent: counter -> an escalation arrived */
    uint64_t *cap;             /* per agent: counters that can exist */
    bench_hist_t *hist;        /* scheduled send -> escalation on the feed */
    uint64_t deadline;         /* give up on stragglers then */
    _Atomic uint64_t expected; /* accepted events, set by main after the agents end;
                                  UINT64_MAX until then */
    uint64_t escalations;      /* escalation items received */
    uint64_t events;           /* distinct events of this run that escalated */
    uint64_t foreign;          /* escalations not of this run's events */
    uint64_t bad;              /* messages that were not FeedItems */
    pthread_t thread;
    bool started;
} e2e_sub_t;

static volatile sig_atomic_t s_interrupted = 0;
static atomic_bool s_stop = false;

/* ================================================================== helpers */

static uint64_t
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void
s_sleep_until(uint64_t deadline)
{
    while (!s_interrupted) {
        uint64_t now = s_now();
        if (now >= deadline)
            return;
        uint64_t left = deadline - now;
        if (left > 100 * NS_PER_MS)
            left = 100 * NS_PER_MS; /* wake now and then to notice Ctrl-C */
        struct timespec ts = {(time_t)(left / NS_PER_S), (long)(left % NS_PER_S)};
        nanosleep(&ts, NULL);
    }
}

static void
s_on_signal(int sig)
{
    (void)sig;
    s_interrupted = 1;
    atomic_store(&s_stop, true);
}

static int
s_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0)
        fprintf(stderr, "dajia-bench: cannot remove %s: %s\n", path, strerror(errno));
    return 0;
}

static void
s_rm_tree(const char *dir)
{
    nftw(dir, s_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The unsigned integer after "key": in a flat JSON text, or false if absent. Enough for
   the broker's STATS, whose top-level keys are unique and not prefixes of each other once
   the closing quote is part of the needle. */
static bool
s_json_u64(const char *json, const char *key, uint64_t *value)
{
    char needle[64];
    snprintf(needle, sizeof needle, "\"%s\":", key);
    const char *at = strstr(json, needle);
    if (!at)
        return false;
    at += strlen(needle);
    while (*at == ' ')
        at++;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(at, &end, 10);
    if (end == at || errno)
        return false;
    *value = v;
    return true;
}

/* ================================================================== ack decoding */

/* The fields of an Ack the bench needs, read straight off the wire: a protobuf-c unpack
   per ack would cost the bench more than the broker spends on it. */
typedef struct {
    const uint8_t *event_id;
    size_t event_id_len;
    uint64_t status;
    uint64_t reason;
    const uint8_t *reason_text;
    size_t reason_text_len;
} wire_ack_t;

static bool
s_varint(const uint8_t **p, const uint8_t *end, uint64_t *value)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t byte = *(*p)++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *value = v;
            return true;
        }
    }
    return false;
}

static bool
s_ack_parse(const uint8_t *data, size_t len, wire_ack_t *ack)
{
    const uint8_t *p = data, *end = data + len;
    memset(ack, 0, sizeof *ack);
    while (p < end) {
        uint64_t tag, v;
        if (!s_varint(&p, end, &tag))
            return false;
        uint64_t field = tag >> 3;
        switch (tag & 7) {
        case 0:
            if (!s_varint(&p, end, &v))
                return false;
            if (field == 2)
                ack->status = v;
            else if (field == 4)
                ack->reason = v;
            break;
        case 1:
            if (end - p < 8)
                return false;
            p += 8;
            break;
        case 2:
            if (!s_varint(&p, end, &v) || v > (uint64_t)(end - p))
                return false;
            if (field == 1) {
                ack->event_id = p;
                ack->event_id_len = (size_t)v;
            } else if (field == 5) {
                ack->reason_text = p;
                ack->reason_text_len = (size_t)v;
            }
            p += v;
            break;
        case 5:
            if (end - p < 4)
                return false;
            p += 4;
            break;
        default:
            return false;
        }
    }
    return true;
}

/* ================================================================== messages */

static int
s_agent_build_pool(agent_t *self, const char *run_id, int64_t now_ms)
{
    snprintf(self->prefix, sizeof self->prefix, "b%s-%03d-", run_id, self->index);
    size_t biggest = 0;
    for (int i = 0; i < BENCH_POOL_SIZE; i++) {
        char event_id[64], case_no[48], reporter[48];
        snprintf(event_id, sizeof event_id, "%s%0*d", self->prefix, BENCH_COUNTER_DIGITS, 0);
        bool e2e = self->cfg->e2e;
        if (e2e) /* one case per event: the counter goes in here too */
            snprintf(case_no, sizeof case_no, "%s-E2E-%03d-%0*d", self->unit, self->index,
                     BENCH_COUNTER_DIGITS, 0);
        else
            snprintf(case_no, sizeof case_no, "%s-BENCH-%03d-%04d", self->unit, self->index, i);
        snprintf(reporter, sizeof reporter, "liaison-%s-%d", self->unit, i % 4);

        Dajia__GoodsCategory goods[2] = {DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_TEA,
                                         DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_FOOD};
        Dajia__CaseReport report = DAJIA__CASE_REPORT__INIT;
        report.case_no = case_no;
        report.case_name = "Counterfeit Xinyang Maojian tea sold through an online shop";
        report.handling_agency = "City Market Supervision Administration, Pingqiao branch";
        report.category = DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING;
        report.n_goods = 1 + (size_t)(i % 2);
        report.goods = goods;
        report.right_holder = "Xinyang Maojian Tea Association";
        report.brand = "Xinyang Maojian";
        report.ecommerce = true;
        report.case_value_fen = e2e ? BENCH_E2E_VALUE_FEN : 1250000 + i * 100;
        report.illegal_business_fen = 830000 + i * 10;
        report.clue_received_at = now_ms - 30LL * 86400000;
        report.filed_at = now_ms - 20LL * 86400000;
        report.stage = DAJIA__CASE_STAGE__CASE_STAGE_FILED;
        report.scope = DAJIA__REGION_SCOPE__REGION_SCOPE_CITY;

        Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
        env.event_id = event_id;
        env.unit = (char *)self->unit;
        env.reporter = reporter;
        env.occurred_at = now_ms - 3600000 - i;
        env.reported_at = now_ms;
        env.region = "411502";
        env.body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
        env.case_report = &report;

        size_t len = dajia__envelope__get_packed_size(&env);
        uint8_t *buf = malloc(len);
        if (!buf)
            return -ENOMEM;
        dajia__envelope__pack(&env, buf);
        uint8_t *id_at = memmem(buf, len, event_id, strlen(event_id));
        if (!id_at) {
            free(buf);
            return -EINVAL;
        }
        self->pool[i] = buf;
        self->pool_len[i] = len;
        self->counter_at[i] = (size_t)(id_at - buf) + BENCH_ID_PREFIX_LEN;
        if (e2e) {
            uint8_t *case_at = memmem(buf, len, case_no, strlen(case_no));
            if (!case_at)
                return -EINVAL; /* buf is freed with the pool */
            self->case_at[i] = (size_t)(case_at - buf) + strlen(case_no) - BENCH_COUNTER_DIGITS;
        }
        if (len > biggest)
            biggest = len;
    }
    self->scratch = malloc(biggest);
    return self->scratch ? 0 : -ENOMEM;
}

/* Writes `counter` as BENCH_COUNTER_DIGITS decimal digits at `at`. */
static void
s_write_counter(uint8_t *at, uint64_t counter)
{
    for (int i = BENCH_COUNTER_DIGITS - 1; i >= 0; i--) {
        at[i] = (uint8_t)('0' + counter % 10);
        counter /= 10;
    }
}

static bool
s_read_counter(const agent_t *self, const wire_ack_t *ack, uint64_t *counter)
{
    if (ack->event_id_len != BENCH_ID_PREFIX_LEN + BENCH_COUNTER_DIGITS ||
        memcmp(ack->event_id, self->prefix, BENCH_ID_PREFIX_LEN) != 0)
        return false;
    uint64_t v = 0;
    for (size_t i = BENCH_ID_PREFIX_LEN; i < ack->event_id_len; i++) {
        uint8_t c = ack->event_id[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (uint64_t)(c - '0');
    }
    *counter = v;
    return true;
}

/* ================================================================== agent thread */

static int
s_agent_send(agent_t *self, uint64_t counter)
{
    size_t slot = (size_t)(counter % BENCH_POOL_SIZE);
    size_t len = self->pool_len[slot];
    memcpy(self->scratch, self->pool[slot], len);
    s_write_counter(self->scratch + self->counter_at[slot], counter);
    if (self->case_at[slot])
        s_write_counter(self->scratch + self->case_at[slot], counter);
    if (zmq_send(self->sock, DAJIA_API_SUBMIT, DAJIA_API_LEN(DAJIA_API_SUBMIT), ZMQ_SNDMORE) < 0)
        return -errno;
    if (zmq_send(self->sock, self->scratch, len, 0) < 0)
        return -errno;
    self->result.sent++;
    self->result.bytes += len;
    return 0;
}

/* Reads every reply waiting on the socket without blocking. Returns the number of acks
   that matched one of our sends (each frees one slot of the window), or -errno. */
static int
s_agent_read_acks(agent_t *self)
{
    int matched = 0;
    zmq_msg_t cmd, body;
    zmq_msg_init(&cmd);
    zmq_msg_init(&body);
    while (true) {
        if (zmq_msg_recv(&cmd, self->sock, ZMQ_DONTWAIT) < 0) {
            if (errno == EAGAIN)
                break;
            matched = -errno;
            break;
        }
        bool two = zmq_msg_more(&cmd);
        if (!two || zmq_msg_recv(&body, self->sock, 0) < 0) {
            self->result.unmatched++;
            continue;
        }
        /* Anything after the second frame is not part of an ACK; drop it. */
        while (zmq_msg_more(&body) && zmq_msg_recv(&body, self->sock, 0) >= 0)
            self->result.unmatched++;
        uint64_t now = s_now();
        wire_ack_t ack;
        uint64_t counter;
        if (!dajia_api_word_is(zmq_msg_data(&cmd), zmq_msg_size(&cmd), DAJIA_API_ACK) ||
            !s_ack_parse(zmq_msg_data(&body), zmq_msg_size(&body), &ack) ||
            !s_read_counter(self, &ack, &counter)) {
            self->result.unmatched++;
            continue;
        }
        matched++;
        self->result.acks++;
        bool in_window = now >= self->t_warm && now < self->t_end;
        if (ack.status == DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED) {
            self->result.accepted++;
            if (in_window) {
                self->result.measured++;
                uint64_t since;
                if (self->cfg->rate > 0)
                    since = self->first_due + (uint64_t)((double)counter * self->interval_ns);
                else
                    since = self->sent_at[counter & self->ring_mask];
                bench_hist_record(self->hist, now > since ? now - since : 0);
            }
        } else if (ack.status == DAJIA__ACK_STATUS__ACK_STATUS_DUPLICATE) {
            self->result.duplicates++;
        } else {
            if (self->result.rejected++ == 0)
                snprintf(self->result.first_reject, sizeof self->result.first_reject,
                         "reason %" PRIu64 ": %.*s", ack.reason,
                         (int)(ack.reason_text_len > 120 ? 120 : ack.reason_text_len),
                         ack.reason_text ? (const char *)ack.reason_text : "");
        }
    }
    zmq_msg_close(&cmd);
    zmq_msg_close(&body);
    return matched;
}

/* ================================================================== runner thread */

/* Sends what the agent may send now: in window mode, until W events are in flight; in
   rate mode, whatever is due (late: up to BENCH_BURST_MAX at a time), setting
   self->next_due. Marks the agent done when a send fails. */
static void
s_agent_send_some(agent_t *self, uint64_t now)
{
    if (self->cfg->rate <= 0) {
        uint64_t window = (uint64_t)self->cfg->window;
        while (self->inflight < window) {
            self->sent_at[self->counter & self->ring_mask] = now;
            if (s_agent_send(self, self->counter) != 0) {
                self->done = true;
                return;
            }
            self->counter++;
            self->inflight++;
        }
        return;
    }
    int burst = 0;
    uint64_t due = self->first_due + (uint64_t)((double)self->counter * self->interval_ns);
    while (due <= now && due < self->t_end && burst < BENCH_BURST_MAX) {
        uint64_t sent = s_now();
        if (sent >= self->t_warm)
            bench_hist_record(self->lag, sent - due);
        if (s_agent_send(self, self->counter) != 0) {
            self->done = true;
            return;
        }
        self->counter++;
        self->inflight++;
        burst++;
        due = self->first_due + (uint64_t)((double)self->counter * self->interval_ns);
    }
    self->next_due = burst < BENCH_BURST_MAX ? due : now; /* behind: no waiting */
}

/* Reads the agent's acks; in window mode an agent that hears nothing for
   BENCH_STALL_NS is stalled, and done. */
static void
s_agent_take_acks(agent_t *self, uint64_t now)
{
    int got = s_agent_read_acks(self);
    if (got < 0) {
        self->done = true;
        return;
    }
    if (got > 0) {
        self->inflight -= (uint64_t)got <= self->inflight ? (uint64_t)got : self->inflight;
        self->last_progress = now;
    } else if (self->cfg->rate <= 0 && self->inflight > 0 &&
               now - self->last_progress > BENCH_STALL_NS) {
        self->result.stalled = true;
        self->done = true;
    }
}

/* Waits until a reply is ready on one of the runner's sockets, or `deadline` passes, to
   the microsecond: ppoll on the sockets' ZMQ_FDs, which signal edges, so ZMQ_EVENTS is
   asked first and again after every wakeup, as the libzmq manual requires. */
static void
s_runner_wait(runner_t *self, uint64_t deadline)
{
    while (!atomic_load_explicit(&s_stop, memory_order_relaxed)) {
        for (int i = 0; i < self->count; i++) {
            int events = 0;
            size_t size = sizeof events;
            if (zmq_getsockopt(self->agents[i].sock, ZMQ_EVENTS, &events, &size) != 0 ||
                (events & ZMQ_POLLIN))
                return;
        }
        uint64_t now = s_now();
        if (now >= deadline)
            return;
        uint64_t left = deadline - now;
        struct timespec ts = {(time_t)(left / NS_PER_S), (long)(left % NS_PER_S)};
        if (ppoll(self->fds, (nfds_t)self->count, &ts, NULL) == 0)
            return;
    }
}

/* Drives the runner's agents until the end of the run, then waits (at most
   BENCH_DRAIN_NS) for the acks of what they sent. */
static void
s_runner_run(runner_t *self)
{
    uint64_t now = s_now();
    for (int i = 0; i < self->count; i++)
        self->agents[i].last_progress = now;
    while (!atomic_load_explicit(&s_stop, memory_order_relaxed)) {
        now = s_now();
        if (now >= self->t_end)
            break;
        uint64_t wake = now + 100 * NS_PER_MS;
        if (wake > self->t_end)
            wake = self->t_end;
        for (int i = 0; i < self->count; i++) {
            agent_t *a = &self->agents[i];
            if (a->done)
                continue;
            s_agent_send_some(a, now);
            if (a->cfg->rate > 0 && a->next_due < wake)
                wake = a->next_due;
        }
        s_runner_wait(self, wake);
        now = s_now();
        for (int i = 0; i < self->count; i++)
            if (!self->agents[i].done)
                s_agent_take_acks(&self->agents[i], now);
    }
    uint64_t drain_end = s_now() + BENCH_DRAIN_NS;
    while (!s_interrupted && (now = s_now()) < drain_end) {
        bool waiting = false;
        for (int i = 0; i < self->count; i++) {
            agent_t *a = &self->agents[i];
            if (!a->done && a->inflight > 0) {
                s_agent_take_acks(a, now);
                waiting = waiting || (!a->done && a->inflight > 0);
            }
        }
        if (!waiting)
            break;
        s_runner_wait(self, drain_end);
    }
}

static void *
s_runner_main(void *arg)
{
    runner_t *self = arg;
    s_sleep_until(self->t_start);
    s_runner_run(self);
    return NULL;
}

static void
s_agent_free(agent_t *self)
{
    for (int i = 0; i < BENCH_POOL_SIZE; i++)
        free(self->pool[i]);
    free(self->scratch);
    free(self->sent_at);
    bench_hist_destroy(&self->hist);
    bench_hist_destroy(&self->lag);
    if (self->sock)
        zmq_close(self->sock);
}

/* ================================================================== e2e subscriber */

/* The agent and counter of one of this run's event ids ("b<run>-<agent>-<counter>"), or
   false for anything else. */
static bool
s_e2e_event(const e2e_sub_t *self, const char *event_id, int *agent, uint64_t *counter)
{
    if (strlen(event_id) != BENCH_ID_PREFIX_LEN + BENCH_COUNTER_DIGITS)
        return false;
    /* the prefix up to the agent number is the run's: compare it with agent 0's */
    const char *first = self->agents[0].prefix;
    size_t run_len = BENCH_ID_PREFIX_LEN - 4; /* "b" + 8 hex + "-" */
    if (memcmp(event_id, first, run_len) != 0 || event_id[BENCH_ID_PREFIX_LEN - 1] != '-')
        return false;
    int a = 0;
    for (size_t i = run_len; i < run_len + 3; i++) {
        if (event_id[i] < '0' || event_id[i] > '9')
            return false;
        a = a * 10 + (event_id[i] - '0');
    }
    uint64_t c = 0;
    for (size_t i = BENCH_ID_PREFIX_LEN; event_id[i]; i++) {
        if (event_id[i] < '0' || event_id[i] > '9')
            return false;
        c = c * 10 + (uint64_t)(event_id[i] - '0');
    }
    if (a >= self->n_agents || c >= self->cap[a])
        return false;
    *agent = a;
    *counter = c;
    return true;
}

/* One message of the office feed: [topic][FeedItem]. */
static void
s_e2e_take(e2e_sub_t *self, zmq_msg_t *body, uint64_t now)
{
    Dajia__FeedItem *item =
        dajia__feed_item__unpack(NULL, zmq_msg_size(body), (const uint8_t *)zmq_msg_data(body));
    if (!item) {
        self->bad++;
        return;
    }
    if (item->item_case == DAJIA__FEED_ITEM__ITEM_ESCALATION && item->escalation) {
        self->escalations++;
        int a;
        uint64_t c;
        const char *source = item->escalation->source_event_id;
        if (!source || !s_e2e_event(self, source, &a, &c)) {
            self->foreign++;
        } else if (!self->seen[a][c]) {
            /* the first escalation of the event: the one a reader waits for */
            self->seen[a][c] = 1;
            self->events++;
            const agent_t *ag = &self->agents[a];
            uint64_t due = ag->first_due + (uint64_t)((double)c * ag->interval_ns);
            if (due >= ag->t_warm && due < ag->t_end)
                bench_hist_record(self->hist, now > due ? now - due : 0);
        }
    }
    dajia__feed_item__free_unpacked(item, NULL);
}

static void *
s_e2e_main(void *arg)
{
    e2e_sub_t *self = arg;
    zmq_msg_t topic, body;
    zmq_msg_init(&topic);
    zmq_msg_init(&body);
    while (!atomic_load_explicit(&s_stop, memory_order_relaxed)) {
        uint64_t expected = atomic_load(&self->expected);
        if (expected != UINT64_MAX && self->events >= expected)
            break;
        if (s_now() >= self->deadline)
            break;
        zmq_pollitem_t item = {self->sock, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, BENCH_E2E_POLL_MS);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc <= 0)
            continue;
        while (zmq_msg_recv(&topic, self->sock, ZMQ_DONTWAIT) >= 0) {
            uint64_t now = s_now();
            if (!zmq_msg_more(&topic) || zmq_msg_recv(&body, self->sock, 0) < 0) {
                self->bad++;
                continue;
            }
            bool extra = zmq_msg_more(&body);
            s_e2e_take(self, &body, now);
            while (extra && zmq_msg_recv(&body, self->sock, 0) >= 0) {
                extra = zmq_msg_more(&body);
                self->bad++;
            }
        }
    }
    zmq_msg_close(&topic);
    zmq_msg_close(&body);
    return NULL;
}

/* Connects the subscriber to the office feed, early: a SUB gets nothing published
   before its subscription reaches the broker. Returns 0, or -1 after saying why. */
static int
s_e2e_connect(e2e_sub_t *self, void *ctx, const char *office)
{
    self->sock = zmq_socket(ctx, ZMQ_SUB);
    if (!self->sock) {
        fprintf(stderr, "dajia-bench: socket: %s\n", zmq_strerror(errno));
        return -1;
    }
    int zero = 0;
    zmq_setsockopt(self->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(self->sock, ZMQ_RCVHWM, &zero, sizeof zero); /* the bench drops nothing */
    if (zmq_setsockopt(self->sock, ZMQ_SUBSCRIBE, DAJIA_TOPIC_ESCALATION,
                       DAJIA_API_LEN(DAJIA_TOPIC_ESCALATION)) != 0 ||
        zmq_connect(self->sock, office) != 0) {
        fprintf(stderr, "dajia-bench: office feed %s: %s\n", office, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

/* Sizes the subscriber's tables from the agents' schedules (already set). Returns 0, or
   -1 after saying why. */
static int
s_e2e_init(e2e_sub_t *self, const bench_config_t *cfg, const agent_t *agents)
{
    self->cfg = cfg;
    self->agents = agents;
    self->n_agents = cfg->agents;
    atomic_store(&self->expected, UINT64_MAX);
    self->hist = bench_hist_new();
    self->seen = calloc((size_t)cfg->agents, sizeof *self->seen);
    self->cap = calloc((size_t)cfg->agents, sizeof *self->cap);
    if (!self->hist || !self->seen || !self->cap) {
        fprintf(stderr, "dajia-bench: out of memory\n");
        return -1;
    }
    for (int i = 0; i < cfg->agents; i++) {
        const agent_t *a = &agents[i];
        /* an agent sends counter c while first_due + c * interval < t_end */
        self->cap[i] = (uint64_t)((double)(a->t_end - a->first_due) / a->interval_ns) + 2;
        self->seen[i] = calloc(self->cap[i], 1);
        if (!self->seen[i]) {
            fprintf(stderr, "dajia-bench: out of memory\n");
            return -1;
        }
    }
    return 0;
}

static void
s_e2e_free(e2e_sub_t *self)
{
    if (self->started)
        pthread_join(self->thread, NULL);
    self->started = false;
    if (self->seen)
        for (int i = 0; i < self->n_agents; i++)
            free(self->seen[i]);
    free(self->seen);
    free(self->cap);
    bench_hist_destroy(&self->hist);
    if (self->sock)
        zmq_close(self->sock);
}

/* ================================================================== broker */

static void
s_default_broker(char *buf, size_t size)
{
    /* Next to this executable (an install), else where the build tree puts it. */
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            static const char *const places[] = {"dajia-broker", "../broker/dajia-broker"};
            for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
                int n = snprintf(buf, size, "%s/%s", self, places[i]);
                if (n > 0 && (size_t)n < size && access(buf, X_OK) == 0)
                    return;
            }
        }
    }
    snprintf(buf, size, "dajia-broker"); /* from PATH */
}

/* Copies the value of `key` ("office=") in the READY line `line` into `out`; "" when the
   line has none or it does not fit. */
static void
s_ready_field(const char *line, const char *key, char *out, size_t size)
{
    out[0] = '\0';
    const char *at = strstr(line, key);
    if (!at)
        return;
    at += strlen(key);
    size_t len = strcspn(at, " \t\r");
    if (len < size) {
        memcpy(out, at, len);
        out[len] = '\0';
    }
}

/* Reads the child's stdout until "READY api=<endpoint> ..." or the timeout; the office
   feed's endpoint, when the line names one, goes into `office`. */
static int
s_read_ready(int fd, char *endpoint, size_t size, char *office, size_t office_size)
{
    char buf[4096];
    size_t used = 0;
    uint64_t deadline = s_now() + BENCH_READY_TIMEOUT_MS * NS_PER_MS;
    while (!s_interrupted) {
        uint64_t now = s_now();
        if (now >= deadline)
            return -ETIMEDOUT;
        struct pollfd pfd = {fd, POLLIN, 0};
        int rc = poll(&pfd, 1, (int)((deadline - now) / NS_PER_MS) + 1);
        if (rc < 0 && errno != EINTR)
            return -errno;
        if (rc <= 0)
            continue;
        ssize_t got = read(fd, buf + used, sizeof buf - 1 - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -EPIPE; /* exited before READY */
        used += (size_t)got;
        buf[used] = '\0';
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = '\0';
            const char *api = strncmp(line, "READY ", 6) == 0 ? strstr(line, "api=") : NULL;
            if (api) {
                api += 4;
                size_t len = strcspn(api, " \t\r");
                if (len == 0 || len >= size)
                    return -EINVAL;
                memcpy(endpoint, api, len);
                endpoint[len] = '\0';
                s_ready_field(line, " office=", office, office_size);
                return 0;
            }
            line = nl + 1;
        }
        used = strlen(line);
        memmove(buf, line, used);
        if (used == sizeof buf - 1)
            used = 0; /* an absurdly long line: forget it */
    }
    return -EINTR;
}

static void
s_broker_stop(spawned_t *self)
{
    if (self->pid > 0) {
        int status = 0;
        kill(self->pid, SIGTERM);
        uint64_t deadline = s_now() + BENCH_STOP_TIMEOUT_MS * NS_PER_MS;
        pid_t done = 0;
        while ((done = waitpid(self->pid, &status, WNOHANG)) == 0 && s_now() < deadline) {
            struct timespec ts = {0, 10 * (long)NS_PER_MS};
            nanosleep(&ts, NULL);
        }
        if (done == 0) {
            fprintf(stderr, "dajia-bench: broker did not stop on SIGTERM; killing it\n");
            killpg(self->pid, SIGKILL);
            waitpid(self->pid, &status, 0);
        } else if (done > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            fprintf(stderr, "dajia-bench: broker exited with status %d (see %s/broker.log)\n",
                    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), self->dir);
        }
        self->pid = 0;
    }
    if (self->dir) {
        s_rm_tree(self->dir);
        free(self->dir);
        self->dir = NULL;
    }
}

static int
s_broker_spawn(const char *binary, bool with_workers, spawned_t *self)
{
    int pipefd[2] = {-1, -1};
    int logfd = -1;
    int rc = 0;
    const char *tmp = getenv("TMPDIR");
    char tmpl[PATH_MAX], data[PATH_MAX + 8], log[PATH_MAX + 16];
    snprintf(tmpl, sizeof tmpl, "%s/dajia-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpl)) {
        rc = -errno;
        fprintf(stderr, "dajia-bench: mkdtemp %s: %s\n", tmpl, strerror(errno));
        goto out;
    }
    self->dir = strdup(tmpl);
    if (!self->dir) {
        rc = -ENOMEM;
        goto out;
    }
    snprintf(data, sizeof data, "%s/data", tmpl);
    snprintf(log, sizeof log, "%s/broker.log", tmpl);
    if (mkdir(data, 0700) != 0 || pipe2(pipefd, O_CLOEXEC) != 0) {
        rc = -errno;
        fprintf(stderr, "dajia-bench: %s: %s\n", data, strerror(errno));
        goto out;
    }
    logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (logfd < 0) {
        rc = -errno;
        fprintf(stderr, "dajia-bench: %s: %s\n", log, strerror(errno));
        goto out;
    }
    /* Ingest alone by default: the broker starts no workers (their threads would share
       the two cores with the bench); --with-workers measures the whole broker. */
    char *argv[] = {(char *)binary,
                    "--data",
                    data,
                    "--api",
                    "tcp://127.0.0.1:*",
                    "--workers",
                    "tcp://127.0.0.1:*",
                    with_workers ? NULL : "--external-workers",
                    NULL};
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        rc = -errno;
        goto out;
    }
    if (pid == 0) {
        /* Child: only async-signal-safe calls until exec. The broker dies with the
           bench rather than outlive a crashed one. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        dup2(pipefd[1], STDOUT_FILENO);
        dup2(logfd, STDERR_FILENO);
        execvp(binary, argv);
        static const char msg[] = "dajia-bench: cannot exec the broker\n";
        ssize_t ignored = write(logfd, msg, sizeof msg - 1);
        (void)ignored;
        _exit(127);
    }
    setpgid(pid, pid);
    self->pid = pid;
    close(pipefd[1]);
    pipefd[1] = -1;
    rc = s_read_ready(pipefd[0], self->endpoint, sizeof self->endpoint, self->office,
                      sizeof self->office);
    if (rc != 0)
        fprintf(stderr, "dajia-bench: broker %s gave no READY line (%s); its log: %s\n", binary,
                strerror(-rc), log);
out:
    if (pipefd[0] >= 0)
        close(pipefd[0]); /* the broker writes nothing after READY */
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    if (logfd >= 0)
        close(logfd);
    return rc;
}

/* Asks the broker for STATS on a socket of its own. */
static broker_stats_t
s_broker_stats(void *ctx, const char *endpoint)
{
    broker_stats_t stats = {false, 0, 0, 0};
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    if (!sock)
        return stats;
    int linger = 0, timeout = BENCH_STATS_TIMEOUT_MS;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_connect(sock, endpoint) != 0 ||
        zmq_send(sock, DAJIA_API_STATS, DAJIA_API_LEN(DAJIA_API_STATS), ZMQ_SNDMORE) < 0 ||
        zmq_send(sock, "", 0, 0) < 0)
        goto out;
    if (zmq_msg_recv(&msg, sock, 0) < 0 ||
        !dajia_api_word_is(zmq_msg_data(&msg), zmq_msg_size(&msg), DAJIA_API_STATS_REPLY) ||
        !zmq_msg_more(&msg))
        goto out;
    if (zmq_msg_recv(&msg, sock, 0) < 0)
        goto out;
    size_t len = zmq_msg_size(&msg);
    char *json = malloc(len + 1);
    if (!json)
        goto out;
    memcpy(json, zmq_msg_data(&msg), len);
    json[len] = '\0';
    stats.ok = s_json_u64(json, "accepted", &stats.accepted) &&
               s_json_u64(json, "batches", &stats.batches);
    s_json_u64(json, "rejected", &stats.rejected);
    free(json);
out:
    zmq_msg_close(&msg);
    zmq_close(sock);
    return stats;
}

/* ================================================================== report */

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
} report_t;

static void
s_report_print(const bench_config_t *cfg, const report_t *r)
{
    char label[64];
    if (cfg->label)
        snprintf(label, sizeof label, "%s", cfg->label);
    else if (cfg->e2e)
        snprintf(label, sizeof label, "e2e %dx rate %.0f/s", cfg->agents, cfg->rate);
    else if (cfg->rate > 0)
        snprintf(label, sizeof label, "%dx rate %.0f/s", cfg->agents, cfg->rate);
    else
        snprintf(label, sizeof label, "%dx window %d", cfg->agents, cfg->window);
    double msg_bytes = r->sent ? (double)r->bytes / (double)r->sent : 0;
    if (cfg->json) {
        /* The label is the user's text: keep the JSON valid whatever it holds. */
        for (char *c = label; *c; c++)
            if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
                *c = '_';
        /* window 0: fixed-rate mode; rate 0: full-window mode */
        printf("{\"label\":\"%s\",\"agents\":%d,\"window\":%d,\"rate\":%.0f,"
               "\"duration_s\":%.3f,\"warmup_s\":%.3f,\"message_bytes\":%.0f,"
               "\"sent\":%" PRIu64 ",\"accepted\":%" PRIu64 ",\"measured\":%" PRIu64 ","
               "\"events_per_s\":%.1f,"
               "\"latency_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},",
               label, cfg->agents, cfg->rate > 0 ? 0 : cfg->window, cfg->rate, r->seconds,
               cfg->warmup_s, msg_bytes, r->sent, r->accepted, r->measured, r->events_per_s,
               r->p50_ms, r->p99_ms, r->p999_ms, r->max_ms);
        if (r->per_commit >= 0)
            printf("\"events_per_commit\":%.1f,", r->per_commit);
        else
            printf("\"events_per_commit\":null,");
        if (cfg->rate > 0)
            printf("\"send_lag_ms\":{\"p99\":%.3f,\"max\":%.3f},", r->lag_p99_ms, r->lag_max_ms);
        if (cfg->e2e)
            printf("\"e2e_latency_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,"
                   "\"max\":%.3f},\"e2e_measured\":%" PRIu64 ",\"escalated\":%" PRIu64
                   ",\"missing\":%" PRIu64 ",",
                   r->e2e_p50_ms, r->e2e_p99_ms, r->e2e_p999_ms, r->e2e_max_ms, r->e2e_measured,
                   r->escalated, r->missing);
        printf("\"rejected\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"unmatched\":%" PRIu64
               ",\"stalled_agents\":%d}\n",
               r->rejected, r->duplicates, r->unmatched, r->stalled);
    } else {
        /* e2e rows: the latencies are submit -> escalation on the office feed, and
           "missing" counts escalations that never came; other rows: submit -> ack. */
        if (cfg->header)
            printf("%-34s %6s %6s %8s %11s %8s %8s %8s %9s %8s %8s\n", "scenario", "agents",
                   "window", "rate/s", "events/s", "p50 ms", "p99 ms", "p999 ms", "ev/commit",
                   "rejected", "missing");
        char rate[16], window[16], per_commit[16];
        snprintf(rate, sizeof rate, cfg->rate > 0 ? "%.0f" : "-", cfg->rate);
        snprintf(window, sizeof window, cfg->rate > 0 ? "-" : "%d", cfg->window);
        if (r->per_commit >= 0)
            snprintf(per_commit, sizeof per_commit, "%.1f", r->per_commit);
        else
            snprintf(per_commit, sizeof per_commit, "?");
        char missing[24];
        snprintf(missing, sizeof missing, cfg->e2e ? "%" PRIu64 : "-", r->missing);
        printf("%-34s %6d %6s %8s %11.0f %8.3f %8.3f %8.3f %9s %8" PRIu64 " %8s\n", label,
               cfg->agents, window, rate, r->events_per_s, cfg->e2e ? r->e2e_p50_ms : r->p50_ms,
               cfg->e2e ? r->e2e_p99_ms : r->p99_ms, cfg->e2e ? r->e2e_p999_ms : r->p999_ms,
               per_commit, r->rejected, missing);
    }
    fflush(stdout);
    if (r->rejected)
        fprintf(stderr, "dajia-bench: %" PRIu64 " events were rejected (first: %s)\n", r->rejected,
                r->first_reject);
    if (r->duplicates)
        fprintf(stderr, "dajia-bench: %" PRIu64 " duplicate acks\n", r->duplicates);
    if (r->missing)
        fprintf(stderr,
                "dajia-bench: %" PRIu64 " of %" PRIu64 " stored events had no escalation "
                "on the office feed %.0f s after the run\n",
                r->missing, r->missing + r->escalated,
                (double)(BENCH_DRAIN_NS + BENCH_E2E_STRAGGLE_NS) / (double)NS_PER_S);
    if (r->foreign)
        fprintf(stderr, "dajia-bench: %" PRIu64 " escalations named no event of this run\n",
                r->foreign);
    if (r->unmatched)
        fprintf(stderr,
                "dajia-bench: %" PRIu64 " replies were not acks of this run's events "
                "(a rejection that names no event, or a broken reply)\n",
                r->unmatched);
    if (r->stalled)
        fprintf(stderr, "dajia-bench: %d agents got no ack for %llu s and gave up\n", r->stalled,
                (unsigned long long)(BENCH_STALL_NS / NS_PER_S));
    if (cfg->rate > 0 && r->lag_p99_ms > BENCH_LAG_WARN_MS)
        fprintf(stderr,
                "dajia-bench: 1%% of the sends left more than %.1f ms late (worst %.1f ms): "
                "the bench itself is short of CPU, and the latencies include its delays; "
                "try fewer --agents\n",
                r->lag_p99_ms, r->lag_max_ms);
    if (cfg->rate > 0 && r->seconds > 0 && r->events_per_s < 0.9 * cfg->rate)
        fprintf(stderr,
                "dajia-bench: offered %.0f/s but %.0f/s were stored: "
                "the broker is saturated at this rate\n",
                cfg->rate, r->events_per_s);
}

/* ================================================================== main */

static void
s_usage(FILE *out)
{
    fprintf(
        out,
        "usage: dajia-bench [--broker ENDPOINT [--office ENDPOINT] | --spawn BROKER_BIN]\n"
        "                   [--agents N] [--threads T] [--window W] [--rate EVENTS_PER_S] [--e2e]\n"
        "                   [--duration S] [--warmup S] [--label NAME] [--no-header]\n"
        "                   [--json]\n"
        "\n"
        "Loads a dajia broker with CaseReport submissions and reports durable\n"
        "events/s, ack latency percentiles and events per commit; with --e2e, the\n"
        "latency from submit to the event's escalation on the office feed.\n"
        "\n"
        "  --broker ENDPOINT  use a running broker (it remembers every event id:\n"
        "                     each run makes new ones)\n"
        "  --office ENDPOINT  with --broker and --e2e: its office feed\n"
        "  --spawn BIN        start BIN on tcp://127.0.0.1:* in a temporary data dir\n"
        "                     (default: dajia-broker next to this program)\n"
        "  --with-workers     the spawned broker runs its in-process workers too\n"
        "                     (default: ingest alone, --external-workers)\n"
        "  --e2e              end to end: every event is a major case the escalate\n"
        "                     worker escalates; measure scheduled send -> escalation\n"
        "                     on the office feed (fixed rate, default %d/s; implies\n"
        "                     --with-workers)\n"
        "  --agents N         agents, one DEALER connection each (default 8, max %d)\n"
        "  --threads T        threads that carry the agents, each a share of them\n"
        "                     (default: one per agent, at most %d; with --rate, one)\n"
        "  --window W         events in flight per agent (default 128)\n"
        "  --rate R           offer R events/s in total, open loop; latency from the\n"
        "                     scheduled send time (default: full windows)\n"
        "  --duration S       measured seconds after the warmup (default 5)\n"
        "  --warmup S         seconds not measured at the start (default 1)\n"
        "  --label NAME       scenario name in the report\n"
        "  --no-header        leave out the table header\n"
        "  --json             one JSON object instead of the table\n"
        "  -h, --help         this text\n"
        "\n"
        "Exit status: 0 measured, 1 the run failed, events were rejected or (--e2e)\n"
        "escalations were missing, 2 usage.\n",
        BENCH_E2E_RATE, BENCH_MAX_AGENTS, BENCH_DEFAULT_THREADS);
}

static int
s_parse_double(const char *text, double min, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || v < min || v != v)
        return -1;
    *out = v;
    return 0;
}

static int
s_parse_args(int argc, char **argv, bench_config_t *cfg)
{
    static const struct option options[] = {
        {"broker", required_argument, NULL, 'b'},  {"spawn", required_argument, NULL, 's'},
        {"agents", required_argument, NULL, 'n'},  {"window", required_argument, NULL, 'w'},
        {"rate", required_argument, NULL, 'r'},    {"duration", required_argument, NULL, 'd'},
        {"warmup", required_argument, NULL, 'u'},  {"label", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},          {"no-header", no_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},          {"with-workers", no_argument, NULL, 'W'},
        {"e2e", no_argument, NULL, 'E'},           {"office", required_argument, NULL, 'o'},
        {"threads", required_argument, NULL, 't'}, {NULL, 0, NULL, 0},
    };
    int opt, longindex = 0;
    double v;
    while ((opt = getopt_long(argc, argv, "h", options, &longindex)) != -1) {
        switch (opt) {
        case 'b':
            cfg->broker = optarg;
            break;
        case 'W':
            cfg->with_workers = true;
            break;
        case 'E':
            cfg->e2e = true;
            break;
        case 'o':
            cfg->office = optarg;
            break;
        case 's':
            cfg->spawn = optarg;
            break;
        case 'n':
            if (s_parse_double(optarg, 1, &v) || v > BENCH_MAX_AGENTS || v != (int)v)
                goto bad;
            cfg->agents = (int)v;
            break;
        case 't':
            if (s_parse_double(optarg, 1, &v) || v > BENCH_MAX_AGENTS || v != (int)v)
                goto bad;
            cfg->threads = (int)v;
            break;
        case 'w':
            if (s_parse_double(optarg, 1, &v) || v > 1000000 || v != (int)v)
                goto bad;
            cfg->window = (int)v;
            break;
        case 'r':
            if (s_parse_double(optarg, 0, &cfg->rate))
                goto bad;
            break;
        case 'd':
            if (s_parse_double(optarg, 0.1, &cfg->duration_s))
                goto bad;
            break;
        case 'u':
            if (s_parse_double(optarg, 0, &cfg->warmup_s))
                goto bad;
            break;
        case 'l':
            cfg->label = optarg;
            break;
        case 'j':
            cfg->json = true;
            break;
        case 'H':
            cfg->header = false;
            break;
        case 'h':
            s_usage(stdout);
            exit(0);
        default:
            s_usage(stderr);
            return -1;
        }
        continue;
    bad:
        fprintf(stderr, "dajia-bench: bad value for --%s: %s\n", options[longindex].name, optarg);
        return -1;
    }
    if (optind != argc) {
        fprintf(stderr, "dajia-bench: unexpected argument: %s\n", argv[optind]);
        return -1;
    }
    if (cfg->threads == 0) /* an open loop wakes for every send: one thread batches them */
        cfg->threads = cfg->rate > 0 ? 1 : BENCH_DEFAULT_THREADS;
    if (cfg->threads > cfg->agents)
        cfg->threads = cfg->agents;
    if (cfg->broker && cfg->spawn) {
        fprintf(stderr, "dajia-bench: --broker and --spawn exclude each other\n");
        return -1;
    }
    if (cfg->e2e) {
        cfg->with_workers = true;
        if (cfg->rate <= 0)
            cfg->rate = BENCH_E2E_RATE; /* e2e is always an open loop */
        if (cfg->broker && !cfg->office) {
            fprintf(stderr, "dajia-bench: --e2e with --broker needs --office ENDPOINT\n");
            return -1;
        }
    } else if (cfg->office) {
        fprintf(stderr, "dajia-bench: --office is for --e2e\n");
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    bench_config_t cfg = {
        .agents = 8,
        .window = 128,
        .rate = 0,
        .duration_s = 5,
        .warmup_s = 1,
        .header = true,
    };
    if (s_parse_args(argc, argv, &cfg) != 0)
        return 2;

    int status = 1;
    void *ctx = NULL;
    agent_t *agents = NULL;
    runner_t *runners = NULL;
    bench_hist_t *total = NULL, *lag = NULL;
    e2e_sub_t sub;
    memset(&sub, 0, sizeof sub);
    spawned_t spawned = {0, NULL, "", ""};
    char binary[PATH_MAX];

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    const char *endpoint = cfg.broker;
    if (!endpoint) {
        if (cfg.spawn)
            snprintf(binary, sizeof binary, "%s", cfg.spawn);
        else
            s_default_broker(binary, sizeof binary);
        if (s_broker_spawn(binary, cfg.with_workers, &spawned) != 0)
            goto out;
        endpoint = spawned.endpoint;
    }

    ctx = zmq_ctx_new();
    agents = calloc((size_t)cfg.agents, sizeof *agents);
    runners = calloc((size_t)cfg.threads, sizeof *runners);
    total = bench_hist_new();
    lag = bench_hist_new();
    if (!ctx || !agents || !runners || !total || !lag) {
        fprintf(stderr, "dajia-bench: out of memory\n");
        goto out;
    }
    if (cfg.e2e) {
        const char *office = cfg.office ? cfg.office : spawned.office;
        if (!*office) {
            fprintf(stderr, "dajia-bench: the broker's READY line names no office feed\n");
            goto out;
        }
        if (s_e2e_connect(&sub, ctx, office) != 0)
            goto out;
    }

    /* A run id in every event_id, so runs against the same broker never collide. */
    struct timespec real;
    clock_gettime(CLOCK_REALTIME, &real);
    char run_id[9];
    snprintf(run_id, sizeof run_id, "%08x",
             (unsigned)((uint64_t)real.tv_sec * 2654435761u ^ (uint64_t)real.tv_nsec ^
                        (uint64_t)getpid() << 16));
    int64_t now_ms = (int64_t)real.tv_sec * 1000 + real.tv_nsec / 1000000;

    uint64_t ring = 1;
    while (ring < (uint64_t)cfg.window)
        ring <<= 1;
    for (int i = 0; i < cfg.agents; i++) {
        agent_t *a = &agents[i];
        a->index = i;
        a->cfg = &cfg;
        a->unit = s_units[(size_t)i % BENCH_UNIT_COUNT];
        a->hist = bench_hist_new();
        a->lag = bench_hist_new();
        a->ring_mask = ring - 1;
        a->sent_at = cfg.rate > 0 ? NULL : calloc(ring, sizeof(uint64_t));
        a->sock = zmq_socket(ctx, ZMQ_DEALER);
        if (!a->hist || !a->lag || (cfg.rate <= 0 && !a->sent_at) || !a->sock ||
            s_agent_build_pool(a, run_id, now_ms) != 0) {
            fprintf(stderr, "dajia-bench: cannot set up agent %d: %s\n", i, strerror(errno));
            goto out;
        }
        /* Unbounded queues: in an open loop the bench must never block on a send. */
        int zero = 0;
        zmq_setsockopt(a->sock, ZMQ_LINGER, &zero, sizeof zero);
        zmq_setsockopt(a->sock, ZMQ_SNDHWM, &zero, sizeof zero);
        zmq_setsockopt(a->sock, ZMQ_RCVHWM, &zero, sizeof zero);
        if (zmq_connect(a->sock, endpoint) != 0) {
            fprintf(stderr, "dajia-bench: connect %s: %s\n", endpoint, zmq_strerror(errno));
            goto out;
        }
    }

    uint64_t t_start = s_now() + BENCH_START_DELAY_NS;
    uint64_t t_warm = t_start + (uint64_t)(cfg.warmup_s * (double)NS_PER_S);
    uint64_t t_end = t_warm + (uint64_t)(cfg.duration_s * (double)NS_PER_S);
    double interval = cfg.rate > 0 ? (double)NS_PER_S * cfg.agents / cfg.rate : 0;
    for (int i = 0; i < cfg.agents; i++) {
        agent_t *a = &agents[i];
        a->t_start = t_start;
        a->t_warm = t_warm;
        a->t_end = t_end;
        a->interval_ns = interval;
        a->first_due = t_start + (uint64_t)(interval * i / cfg.agents); /* staggered */
    }
    if (cfg.e2e) {
        if (s_e2e_init(&sub, &cfg, agents) != 0)
            goto out;
        sub.deadline = t_end + BENCH_DRAIN_NS + BENCH_E2E_STRAGGLE_NS;
        if (pthread_create(&sub.thread, NULL, s_e2e_main, &sub) != 0) {
            fprintf(stderr, "dajia-bench: cannot start the subscriber thread\n");
            goto out;
        }
        sub.started = true;
    }
    /* The agents are dealt out in runs, as evenly as they go, one run per thread. */
    for (int t = 0, first = 0; t < cfg.threads; t++) {
        runner_t *r = &runners[t];
        r->count = cfg.agents / cfg.threads + (t < cfg.agents % cfg.threads ? 1 : 0);
        r->agents = &agents[first];
        first += r->count;
        r->t_start = t_start;
        r->t_end = t_end;
        r->fds = calloc((size_t)r->count, sizeof *r->fds);
        if (!r->fds) {
            fprintf(stderr, "dajia-bench: out of memory\n");
            goto out;
        }
        for (int i = 0; i < r->count; i++) {
            size_t size = sizeof r->fds[i].fd;
            if (zmq_getsockopt(r->agents[i].sock, ZMQ_FD, &r->fds[i].fd, &size) != 0) {
                fprintf(stderr, "dajia-bench: ZMQ_FD: %s\n", zmq_strerror(errno));
                goto out;
            }
            r->fds[i].events = POLLIN;
        }
    }
    for (int t = 0; t < cfg.threads; t++) {
        if (pthread_create(&runners[t].thread, NULL, s_runner_main, &runners[t]) != 0) {
            fprintf(stderr, "dajia-bench: cannot start thread %d\n", t);
            atomic_store(&s_stop, true);
            goto out;
        }
        runners[t].started = true;
    }

    s_sleep_until(t_warm);
    broker_stats_t before = s_broker_stats(ctx, endpoint);
    s_sleep_until(t_end);
    broker_stats_t after = s_broker_stats(ctx, endpoint);
    uint64_t t_stats = s_now();

    report_t r;
    memset(&r, 0, sizeof r);
    r.first_reject = "";
    for (int t = 0; t < cfg.threads; t++) {
        pthread_join(runners[t].thread, NULL);
        runners[t].started = false;
    }
    for (int i = 0; i < cfg.agents; i++) {
        agent_t *a = &agents[i];
        r.sent += a->result.sent;
        r.accepted += a->result.accepted;
        r.duplicates += a->result.duplicates;
        r.rejected += a->result.rejected;
        r.unmatched += a->result.unmatched;
        r.measured += a->result.measured;
        r.bytes += a->result.bytes;
        r.stalled += a->result.stalled;
        if (a->result.rejected && !*r.first_reject)
            r.first_reject = a->result.first_reject;
        bench_hist_merge(total, a->hist);
        bench_hist_merge(lag, a->lag);
    }
    if (cfg.e2e) {
        /* every accepted event should escalate; wait for the stragglers */
        atomic_store(&sub.expected, r.accepted);
        pthread_join(sub.thread, NULL);
        sub.started = false;
        r.e2e_measured = bench_hist_count(sub.hist);
        r.escalated = sub.events;
        r.missing = r.accepted > sub.events ? r.accepted - sub.events : 0;
        r.foreign = sub.foreign;
        r.e2e_p50_ms = (double)bench_hist_quantile(sub.hist, 0.50) / (double)NS_PER_MS;
        r.e2e_p99_ms = (double)bench_hist_quantile(sub.hist, 0.99) / (double)NS_PER_MS;
        r.e2e_p999_ms = (double)bench_hist_quantile(sub.hist, 0.999) / (double)NS_PER_MS;
        r.e2e_max_ms = (double)bench_hist_max(sub.hist) / (double)NS_PER_MS;
    }
    uint64_t t_last = t_stats < t_end ? t_stats : t_end; /* interrupted: shorter run */
    r.seconds = t_last > t_warm ? (double)(t_last - t_warm) / (double)NS_PER_S : 0;
    r.events_per_s = r.seconds > 0 ? (double)r.measured / r.seconds : 0;
    r.p50_ms = (double)bench_hist_quantile(total, 0.50) / (double)NS_PER_MS;
    r.p99_ms = (double)bench_hist_quantile(total, 0.99) / (double)NS_PER_MS;
    r.p999_ms = (double)bench_hist_quantile(total, 0.999) / (double)NS_PER_MS;
    r.max_ms = (double)bench_hist_max(total) / (double)NS_PER_MS;
    r.lag_p99_ms = (double)bench_hist_quantile(lag, 0.99) / (double)NS_PER_MS;
    r.lag_max_ms = (double)bench_hist_max(lag) / (double)NS_PER_MS;
    r.per_commit = -1;
    if (before.ok && after.ok && after.batches > before.batches)
        r.per_commit =
            (double)(after.accepted - before.accepted) / (double)(after.batches - before.batches);
    s_report_print(&cfg, &r);
    if (r.measured == 0 && !s_interrupted)
        fprintf(stderr,
                "dajia-bench: no event was stored while measuring; is a broker "
                "serving %s?\n",
                endpoint);
    else if (!before.ok || !after.ok)
        fprintf(stderr, "dajia-bench: the broker did not answer STATS; events per commit "
                        "unknown\n");
    bool failed = r.rejected || r.unmatched || r.stalled || r.measured == 0 || r.missing ||
                  (cfg.e2e && r.e2e_measured == 0);
    status = failed || s_interrupted ? 1 : 0;

out:
    atomic_store(&s_stop, true);
    if (sub.started) /* before the agents go: it reads their schedules */
        pthread_join(sub.thread, NULL);
    sub.started = false;
    if (runners) {
        for (int t = 0; t < cfg.threads; t++) {
            if (runners[t].started)
                pthread_join(runners[t].thread, NULL);
            free(runners[t].fds);
        }
        free(runners);
    }
    if (agents) {
        for (int i = 0; i < cfg.agents; i++)
            s_agent_free(&agents[i]);
        free(agents);
    }
    s_e2e_free(&sub);
    bench_hist_destroy(&total);
    bench_hist_destroy(&lag);
    if (ctx)
        zmq_ctx_term(ctx);
    s_broker_stop(&spawned);
    return status;
}
