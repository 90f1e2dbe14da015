/*  bench_e2e: the office-feed subscriber of an --e2e run (see bench_e2e.h).

    It keeps a byte per counter each agent's schedule can reach, so the first escalation
    of an event is told from a repeat (a worker that is sent an event again escalates it
    again) without a hash table. It ends when every stored event has escalated, at the
    deadline, or when the run stops.
*/
#include "bench_e2e.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "dajia.pb-c.h"
#include "dajia_api.h"

#define BENCH_E2E_POLL_MS 100

struct bench_e2e_t {
    void *sock;                         /* SUB to the office feed, owned; used only by the thread */
    const bench_agent_t *const *agents; /* their prefixes and schedules (read only) */
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
};

/* The agent and counter of one of this run's event ids ("b<run>-<agent>-<counter>"), or
   false for anything else. */
static bool
s_e2e_event(const bench_e2e_t *self, const char *event_id, int *agent, uint64_t *counter)
{
    if (strlen(event_id) != BENCH_ID_PREFIX_LEN + BENCH_COUNTER_DIGITS)
        return false;
    /* the prefix up to the agent number is the run's: compare it with agent 0's */
    const char *first = bench_agent_prefix(self->agents[0]);
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
s_e2e_take(bench_e2e_t *self, zmq_msg_t *body, uint64_t now)
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
            const bench_agent_t *ag = self->agents[a];
            uint64_t due = bench_agent_due(ag, c);
            if (bench_agent_measures(ag, due))
                bench_hist_record(self->hist, now > due ? now - due : 0);
        }
    }
    dajia__feed_item__free_unpacked(item, NULL);
}

static void *
s_e2e_main(void *arg)
{
    bench_e2e_t *self = arg;
    zmq_msg_t topic, body;
    zmq_msg_init(&topic);
    zmq_msg_init(&body);
    while (!bench_clock_stopping()) {
        uint64_t expected = atomic_load(&self->expected);
        if (expected != UINT64_MAX && self->events >= expected)
            break;
        if (bench_clock_now() >= self->deadline)
            break;
        zmq_pollitem_t item = {self->sock, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, BENCH_E2E_POLL_MS);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc <= 0)
            continue;
        while (zmq_msg_recv(&topic, self->sock, ZMQ_DONTWAIT) >= 0) {
            uint64_t now = bench_clock_now();
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

int
bench_e2e_new(void *ctx, const char *office, bench_e2e_t **out)
{
    bench_e2e_t *self = calloc(1, sizeof *self);
    if (!self) {
        fprintf(stderr, "dajia-bench: out of memory\n");
        return -1;
    }
    atomic_init(&self->expected, UINT64_MAX);
    self->sock = zmq_socket(ctx, ZMQ_SUB);
    if (!self->sock) {
        fprintf(stderr, "dajia-bench: socket: %s\n", zmq_strerror(errno));
        goto out;
    }
    int zero = 0;
    zmq_setsockopt(self->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(self->sock, ZMQ_RCVHWM, &zero, sizeof zero); /* the bench drops nothing */
    if (zmq_setsockopt(self->sock, ZMQ_SUBSCRIBE, DAJIA_TOPIC_ESCALATION,
                       DAJIA_API_LEN(DAJIA_TOPIC_ESCALATION)) != 0 ||
        zmq_connect(self->sock, office) != 0) {
        fprintf(stderr, "dajia-bench: office feed %s: %s\n", office, zmq_strerror(errno));
        goto out;
    }
    *out = self;
    return 0;
out:
    bench_e2e_destroy(&self);
    return -1;
}

/* Sizes the subscriber's tables from the agents' schedules. Returns 0, or -1 after
   saying why. */
static int
s_e2e_size(bench_e2e_t *self, const bench_agent_t *const *agents, int count)
{
    self->agents = agents;
    self->n_agents = count;
    self->hist = bench_hist_new();
    self->seen = calloc((size_t)count, sizeof *self->seen);
    self->cap = calloc((size_t)count, sizeof *self->cap);
    if (!self->hist || !self->seen || !self->cap) {
        fprintf(stderr, "dajia-bench: out of memory\n");
        return -1;
    }
    for (int i = 0; i < count; i++) {
        self->cap[i] = bench_agent_schedule_size(agents[i]);
        self->seen[i] = calloc(self->cap[i], 1);
        if (!self->seen[i]) {
            fprintf(stderr, "dajia-bench: out of memory\n");
            return -1;
        }
    }
    return 0;
}

int
bench_e2e_start(bench_e2e_t *self, const bench_agent_t *const *agents, int count, uint64_t deadline)
{
    if (s_e2e_size(self, agents, count) != 0)
        return -1;
    self->deadline = deadline;
    if (pthread_create(&self->thread, NULL, s_e2e_main, self) != 0) {
        fprintf(stderr, "dajia-bench: cannot start the subscriber thread\n");
        return -1;
    }
    self->started = true;
    return 0;
}

void
bench_e2e_finish(bench_e2e_t *self, uint64_t expected)
{
    atomic_store(&self->expected, expected);
    if (self->started)
        pthread_join(self->thread, NULL);
    self->started = false;
}

const bench_hist_t *
bench_e2e_latency(const bench_e2e_t *self)
{
    return self->hist;
}

uint64_t
bench_e2e_events(const bench_e2e_t *self)
{
    return self->events;
}

uint64_t
bench_e2e_foreign(const bench_e2e_t *self)
{
    return self->foreign;
}

void
bench_e2e_destroy(bench_e2e_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bench_e2e_t *self = *self_p;
    if (self->started)
        pthread_join(self->thread, NULL);
    if (self->seen)
        for (int i = 0; i < self->n_agents; i++)
            free(self->seen[i]);
    free(self->seen);
    free(self->cap);
    bench_hist_destroy(&self->hist);
    if (self->sock)
        zmq_close(self->sock);
    free(self);
    *self_p = NULL;
}
