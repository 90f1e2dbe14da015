/*  bench_agent: one simulated member unit on its own DEALER (see bench_agent.h).

    The hot path is a memcpy and two zmq_sends per event, and a non-blocking read of the
    acks with the Ack's fields taken off the wire (bench_ack.h): the bench must spend its
    time in the broker, not in itself. With full windows the send time of each counter
    in flight is kept in a ring the size of the window rounded up to a power of two.
*/
#include "bench_agent.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "dajia.pb-c.h"
#include "dajia_api.h"
#include "bench_ack.h"

#define BENCH_POOL_SIZE     64           /* pre-encoded messages per agent */
#define BENCH_BURST_MAX     256          /* sends per loop turn before reading acks */
#define BENCH_E2E_VALUE_FEN 6000000000LL /* 60 million yuan: a major case (E3) */

/* The 23 member units of the default configuration. */
static const char *const s_units[] = {
    "publicity", "polilegal", "govoffice", "drc",   "iit",           "psb",
    "justice",   "finance",   "eco",       "agri",  "commerce",      "culture",
    "health",    "pboc",      "customs",   "tax",   "msa",           "cac",
    "forestea",  "post",      "tobacco",   "court", "procuratorate",
};
#define BENCH_UNIT_COUNT (sizeof(s_units) / sizeof(s_units[0]))

struct bench_agent_t {
    int index;
    const bench_config_t *cfg;
    const char *unit;
    void *sock; /* DEALER, owned */
    char prefix[BENCH_ID_PREFIX_LEN + 1];
    uint8_t *pool[BENCH_POOL_SIZE];
    size_t pool_len[BENCH_POOL_SIZE];
    size_t counter_at[BENCH_POOL_SIZE]; /* offset of the counter digits in pool[i] */
    size_t case_at[BENCH_POOL_SIZE];    /* e2e: the counter digits in case_no; else 0 */
    uint8_t *scratch;                   /* the message being sent */
    uint64_t *sent_at;                  /* window mode: send time by counter & ring_mask */
    uint64_t ring_mask;
    uint64_t t_warm, t_end;
    uint64_t first_due;     /* rate mode: when counter 0 is due */
    double interval_ns;     /* rate mode */
    bench_hist_t *hist;     /* ack latency */
    bench_hist_t *lag;      /* rate mode: how late each send left */
    uint64_t counter;       /* events sent so far; the next one's number */
    uint64_t inflight;      /* sent and not acked */
    uint64_t last_progress; /* window mode: when an ack last came */
    uint64_t next_due;      /* rate mode: when the next send is due */
    bool done;              /* a send or receive failed, or it stalled */
    bench_agent_result_t result;
};

/* ================================================================== messages */

static int
s_agent_build_pool(bench_agent_t *self, const char *run_id, int64_t now_ms)
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
s_read_counter(const bench_agent_t *self, const bench_ack_t *ack, uint64_t *counter)
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

/* ================================================================== lifecycle */

int
bench_agent_new(int index, const bench_config_t *cfg, void *ctx, const char *endpoint,
                const char *run_id, int64_t now_ms, bench_agent_t **out)
{
    uint64_t ring = 1;
    while (ring < (uint64_t)cfg->window)
        ring <<= 1;
    bench_agent_t *self = calloc(1, sizeof *self);
    if (self) {
        self->index = index;
        self->cfg = cfg;
        self->unit = s_units[(size_t)index % BENCH_UNIT_COUNT];
        self->hist = bench_hist_new();
        self->lag = bench_hist_new();
        self->ring_mask = ring - 1;
        self->sent_at = cfg->rate > 0 ? NULL : calloc(ring, sizeof(uint64_t));
        self->sock = zmq_socket(ctx, ZMQ_DEALER);
    }
    if (!self || !self->hist || !self->lag || (cfg->rate <= 0 && !self->sent_at) || !self->sock ||
        s_agent_build_pool(self, run_id, now_ms) != 0) {
        fprintf(stderr, "dajia-bench: cannot set up agent %d: %s\n", index, strerror(errno));
        goto out;
    }
    /* Unbounded queues: in an open loop the bench must never block on a send. */
    int zero = 0;
    zmq_setsockopt(self->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(self->sock, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(self->sock, ZMQ_RCVHWM, &zero, sizeof zero);
    if (zmq_connect(self->sock, endpoint) != 0) {
        fprintf(stderr, "dajia-bench: connect %s: %s\n", endpoint, zmq_strerror(errno));
        goto out;
    }
    *out = self;
    return 0;
out:
    bench_agent_destroy(&self);
    return -1;
}

void
bench_agent_destroy(bench_agent_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bench_agent_t *self = *self_p;
    for (int i = 0; i < BENCH_POOL_SIZE; i++)
        free(self->pool[i]);
    free(self->scratch);
    free(self->sent_at);
    bench_hist_destroy(&self->hist);
    bench_hist_destroy(&self->lag);
    if (self->sock)
        zmq_close(self->sock);
    free(self);
    *self_p = NULL;
}

void
bench_agent_schedule(bench_agent_t *self, uint64_t t_warm, uint64_t t_end, uint64_t first_due,
                     double interval_ns)
{
    self->t_warm = t_warm;
    self->t_end = t_end;
    self->first_due = first_due;
    self->interval_ns = interval_ns;
}

void
bench_agent_begin(bench_agent_t *self, uint64_t now)
{
    self->last_progress = now;
}

/* ================================================================== sending and acks */

static int
s_agent_send(bench_agent_t *self, uint64_t counter)
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
s_agent_read_acks(bench_agent_t *self)
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
        uint64_t now = bench_clock_now();
        bench_ack_t ack;
        uint64_t counter;
        if (!dajia_api_word_is(zmq_msg_data(&cmd), zmq_msg_size(&cmd), DAJIA_API_ACK) ||
            bench_ack_parse(zmq_msg_data(&body), zmq_msg_size(&body), &ack) != 0 ||
            !s_read_counter(self, &ack, &counter)) {
            self->result.unmatched++;
            continue;
        }
        matched++;
        self->result.acks++;
        bool in_window = bench_agent_measures(self, now);
        if (ack.status == DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED) {
            self->result.accepted++;
            if (in_window) {
                self->result.measured++;
                uint64_t since = self->cfg->rate > 0 ? bench_agent_due(self, counter)
                                                     : self->sent_at[counter & self->ring_mask];
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

/* In window mode, sends until W events are in flight; in rate mode, whatever is due
   (late: up to BENCH_BURST_MAX at a time), setting self->next_due. */
void
bench_agent_send_some(bench_agent_t *self, uint64_t now)
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
    uint64_t due = bench_agent_due(self, self->counter);
    while (due <= now && due < self->t_end && burst < BENCH_BURST_MAX) {
        uint64_t sent = bench_clock_now();
        if (sent >= self->t_warm)
            bench_hist_record(self->lag, sent - due);
        if (s_agent_send(self, self->counter) != 0) {
            self->done = true;
            return;
        }
        self->counter++;
        self->inflight++;
        burst++;
        due = bench_agent_due(self, self->counter);
    }
    self->next_due = burst < BENCH_BURST_MAX ? due : now; /* behind: no waiting */
}

void
bench_agent_take_acks(bench_agent_t *self, uint64_t now)
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

/* ================================================================== what others read */

bool
bench_agent_done(const bench_agent_t *self)
{
    return self->done;
}

bool
bench_agent_awaits_acks(const bench_agent_t *self)
{
    return !self->done && self->inflight > 0;
}

uint64_t
bench_agent_next_due(const bench_agent_t *self)
{
    return self->cfg->rate > 0 ? self->next_due : UINT64_MAX;
}

int
bench_agent_fd(const bench_agent_t *self, int *fd)
{
    size_t size = sizeof *fd;
    return zmq_getsockopt(self->sock, ZMQ_FD, fd, &size) == 0 ? 0 : -errno;
}

bool
bench_agent_readable(const bench_agent_t *self)
{
    int events = 0;
    size_t size = sizeof events;
    return zmq_getsockopt(self->sock, ZMQ_EVENTS, &events, &size) != 0 || (events & ZMQ_POLLIN);
}

uint64_t
bench_agent_due(const bench_agent_t *self, uint64_t counter)
{
    return self->first_due + (uint64_t)((double)counter * self->interval_ns);
}

bool
bench_agent_measures(const bench_agent_t *self, uint64_t t)
{
    return t >= self->t_warm && t < self->t_end;
}

uint64_t
bench_agent_schedule_size(const bench_agent_t *self)
{
    /* an agent sends counter c while first_due + c * interval < t_end */
    return (uint64_t)((double)(self->t_end - self->first_due) / self->interval_ns) + 2;
}

const char *
bench_agent_prefix(const bench_agent_t *self)
{
    return self->prefix;
}

const bench_agent_result_t *
bench_agent_result(const bench_agent_t *self)
{
    return &self->result;
}

const bench_hist_t *
bench_agent_latency(const bench_agent_t *self)
{
    return self->hist;
}

const bench_hist_t *
bench_agent_lag(const bench_agent_t *self)
{
    return self->lag;
}
