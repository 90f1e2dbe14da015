/*  broker_replay: the replay thread, its budget, and the api thread's gate (see the
    header).

    The two threads speak over a pair of inproc PAIR sockets with no high-water mark: the
    gate lets each connection have one REPLAY over there, so the queue is bounded by the
    connections. Api -> thread: [routing id][s_job_t]; thread -> api: [routing id]
    [s_job_t][FeedBatch]. The answer's bytes travel without a copy: the message owns the
    buffer broker_feed_replay_pack made, and frees it once libzmq has sent it.

    The gate is a table indexed by file descriptor (connections have distinct ones while
    open), each entry remembering a hash of the routing id it is for, so that an entry
    left by a connection whose descriptor now serves another is recognised and reset.
*/
#include "broker_replay.h"
#include "dajia_log.h"

#include <czmq.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "broker_auth.h"
#include "broker_feed.h"
#include "broker_tcpinfo.h"
#include "broker_throttle.h"
#include "dajia_api.h"
#include "dajia_error.h"

#define S_FD_CAP   (1 << 20) /* descriptors the gate tracks at most */
#define S_FD_FLOOR 1024
#define S_TERM     "$TERM"

/* What travels with a REPLAY to the thread and back. */
typedef struct {
    broker_replay_request_t req;
    uint64_t id_hash;
    uint32_t items; /* on the way back */
} s_job_t;

/* A REPLAY waiting in the thread for its connection's next second of budget. */
typedef struct s_waiting_t {
    zmq_msg_t routing;
    s_job_t job;
    struct s_waiting_t *next;
} s_waiting_t;

typedef enum { S_GATE_OPEN = 0, S_GATE_QUEUED, S_GATE_SENT } s_gate_state_t;

typedef struct {
    uint8_t state;   /* s_gate_state_t */
    uint64_t hash;   /* the routing id it is for */
    uint64_t target; /* S_GATE_SENT on tcp: open once the peer acknowledged this many bytes */
} s_gate_t;

/* Names of inproc endpoints: a number never used before in this process. A name made
   from an address could be bound again, by the next object at the same address, before
   libzmq has let go of the last one (it unbinds a closed socket asynchronously). */
static atomic_uint s_inproc_serial;

struct broker_replay_t {
    store_t *store;
    zsock_t *api_end, *thread_end;
    pthread_t thread;
    bool running;
    atomic_uint_fast64_t waited;
    /* the api thread's */
    s_gate_t *gates;
    size_t gate_count;
    /* the thread's */
    broker_throttle_t *budget;
    s_waiting_t *waiting, *waiting_tail;
    int64_t waiting_second; /* the monotonic second in which the waiting began to wait */
};

static uint64_t
s_hash(const void *id, size_t len)
{
    const uint8_t *p = id;
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* ================================================================ the thread */

/* Frees an answer's bytes once libzmq has sent them (any thread). */
static void
s_free_answer(void *data, void *hint)
{
    (void)hint;
    free(data);
}

/* Answers one REPLAY: reads the feed, sends [routing][job][FeedBatch] back. */
static void
s_serve(broker_replay_t *self, zmq_msg_t *routing, s_job_t *job)
{
    broker_feed_answer_t answer;
    void *sock = zsock_resolve(self->thread_end);
    int rc = broker_feed_replay_for(self->store, job->req.from, job->req.audience, job->req.unit,
                                    job->req.max, &answer);
    zmq_msg_t body;
    if (rc) {
        dajia_log_error("cannot read the feed log for a replay from %" PRIu64 ": %s", job->req.from,
                        dajia_strerror(rc));
        Dajia__FeedBatch refused = DAJIA__FEED_BATCH__INIT;
        refused.reason = DAJIA__REASON__REASON_STORAGE_UNAVAILABLE;
        refused.reason_text = (char *)dajia_strerror(rc);
        size_t len = dajia__feed_batch__get_packed_size(&refused);
        zmq_msg_init_size(&body, len);
        dajia__feed_batch__pack(&refused, zmq_msg_data(&body));
        job->items = 0;
    } else if (answer.len == 0) {
        zmq_msg_init(&body); /* an empty FeedBatch packs to no bytes */
        free(answer.data);
        job->items = 0;
    } else {
        zmq_msg_init_data(&body, answer.data, answer.len, s_free_answer, NULL);
        job->items = (uint32_t)answer.items;
    }
    zmq_msg_send(routing, sock, ZMQ_SNDMORE);
    zmq_send(sock, job, sizeof *job, ZMQ_SNDMORE);
    zmq_msg_send(&body, sock, 0);
    zmq_msg_close(&body);
}

/* Serves `job` now if its connection's budget allows, or keeps it for the next second.
   Takes `routing`. */
static void
s_take_job(broker_replay_t *self, zmq_msg_t *routing, s_job_t *job)
{
    const void *id = zmq_msg_data(routing);
    size_t len = zmq_msg_size(routing);
    if (!self->budget) {
        s_serve(self, routing, job);
        return;
    }
    broker_throttle_set_now(self->budget, zclock_mono());
    if (!broker_throttle_spent(self->budget, id, len)) {
        broker_throttle_charge(self->budget, id, len);
        s_serve(self, routing, job);
        return;
    }
    s_waiting_t *w = calloc(1, sizeof *w);
    if (!w) { /* no memory to wait: serve it, the budget is no bound on memory */
        s_serve(self, routing, job);
        return;
    }
    zmq_msg_init(&w->routing);
    zmq_msg_move(&w->routing, routing);
    w->job = *job;
    if (self->waiting_tail) {
        self->waiting_tail->next = w;
    } else {
        self->waiting = w;
        self->waiting_second = zclock_mono() / 1000;
    }
    self->waiting_tail = w;
    atomic_fetch_add(&self->waited, 1);
}

/* Serves the waiting REPLAYs whose connections have budget again (a new second). */
static void
s_serve_waiting(broker_replay_t *self)
{
    s_waiting_t *list = self->waiting;
    self->waiting = self->waiting_tail = NULL;
    while (list) {
        s_waiting_t *w = list;
        list = w->next;
        s_take_job(self, &w->routing, &w->job); /* serves it, or queues it again */
        zmq_msg_close(&w->routing);
        free(w);
    }
}

/* Milliseconds until the next second of the monotonic clock. */
static int
s_to_next_second(void)
{
    return (int)(1000 - zclock_mono() % 1000) + 1;
}

static void *
s_run(void *arg)
{
    broker_replay_t *self = arg;
    /* Under CPU contention the api thread's acks come first: replays only wait. */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), BROKER_REPLAY_NICE);
    void *sock = zsock_resolve(self->thread_end);
    for (;;) {
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, self->waiting ? s_to_next_second() : -1);
        if (rc < 0 && zmq_errno() != EINTR)
            break;
        if (self->waiting && zclock_mono() / 1000 > self->waiting_second)
            s_serve_waiting(self); /* a new second: a new budget */
        if (!(item.revents & ZMQ_POLLIN))
            continue;
        zmq_msg_t routing, job;
        zmq_msg_init(&routing);
        zmq_msg_init(&job);
        if (zmq_msg_recv(&routing, sock, 0) < 0)
            break;
        bool term = zmq_msg_size(&routing) == strlen(S_TERM) &&
                    memcmp(zmq_msg_data(&routing), S_TERM, strlen(S_TERM)) == 0 &&
                    !zmq_msg_more(&routing);
        if (term) {
            zmq_msg_close(&routing);
            zmq_msg_close(&job);
            break;
        }
        if (zmq_msg_more(&routing) && zmq_msg_recv(&job, sock, 0) >= 0 &&
            zmq_msg_size(&job) == sizeof(s_job_t)) {
            s_job_t copy;
            memcpy(&copy, zmq_msg_data(&job), sizeof copy);
            s_take_job(self, &routing, &copy);
        }
        zmq_msg_close(&routing);
        zmq_msg_close(&job);
    }
    while (self->waiting) { /* stopping: what waits is dropped */
        s_waiting_t *w = self->waiting;
        self->waiting = w->next;
        zmq_msg_close(&w->routing);
        free(w);
    }
    return NULL;
}

/* ================================================================ lifecycle */

int
broker_replay_start(store_t *store, uint32_t budget, broker_replay_t **out)
{
    broker_replay_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    int rc = -ENOMEM;
    self->store = store;
    atomic_init(&self->waited, 0);
    struct rlimit limit;
    size_t fds = S_FD_FLOOR;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
        limit.rlim_cur > fds)
        fds = limit.rlim_cur;
    self->gate_count = fds > S_FD_CAP ? S_FD_CAP : fds;
    self->gates = calloc(self->gate_count, sizeof *self->gates); /* untouched until used */
    if (!self->gates || (budget && broker_throttle_new(budget, &self->budget) != 0))
        goto out;
    self->api_end = zsock_new(ZMQ_PAIR);
    self->thread_end = zsock_new(ZMQ_PAIR);
    if (!self->api_end || !self->thread_end)
        goto out;
    /* No high-water mark: the gate bounds what is over there (see above). */
    zsock_set_sndhwm(self->api_end, 0);
    zsock_set_rcvhwm(self->api_end, 0);
    zsock_set_sndhwm(self->thread_end, 0);
    zsock_set_rcvhwm(self->thread_end, 0);
    rc = -EINVAL;
    unsigned serial = atomic_fetch_add(&s_inproc_serial, 1);
    if (zsock_bind(self->thread_end, "inproc://dajia-replay-%u", serial) != 0 ||
        zsock_connect(self->api_end, "inproc://dajia-replay-%u", serial) != 0)
        goto out;
    rc = pthread_create(&self->thread, NULL, s_run, self);
    if (rc) {
        rc = -rc;
        goto out;
    }
    self->running = true;
    *out = self;
    return 0;
out:
    broker_replay_destroy(&self);
    return rc;
}

void
broker_replay_destroy(broker_replay_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_replay_t *self = *self_p;
    if (self->running) {
        zstr_send(self->api_end, S_TERM);
        pthread_join(self->thread, NULL);
    }
    zsock_destroy(&self->api_end);
    zsock_destroy(&self->thread_end);
    broker_throttle_destroy(&self->budget);
    free(self->gates);
    free(self);
    *self_p = NULL;
}

void *
broker_replay_handle(broker_replay_t *self)
{
    return zsock_resolve(self->api_end);
}

uint64_t
broker_replay_waited(const broker_replay_t *self)
{
    return atomic_load(&((broker_replay_t *)self)->waited);
}

/* ================================================================ who reads what */

/* The ZAP domain whose rules judge a replay of `audience` (broker_auth_allows). */
static const char *
s_domain(Dajia__Audience audience)
{
    switch (audience) {
    case DAJIA__AUDIENCE__AUDIENCE_OFFICE:
        return BROKER_AUTH_DOMAIN_OFFICE;
    case DAJIA__AUDIENCE__AUDIENCE_UNIT:
        return BROKER_AUTH_DOMAIN_UNIT;
    default:
        return BROKER_AUTH_DOMAIN_PUBLIC;
    }
}

Dajia__Reason
broker_replay_judge(bool auth, const char *role, const char *peer_unit,
                    const Dajia__ReplayRequest *req, broker_replay_request_t *job, char *text,
                    size_t textlen)
{
    Dajia__Audience audience = req->audience;
    if (audience != DAJIA__AUDIENCE__AUDIENCE_OFFICE && audience != DAJIA__AUDIENCE__AUDIENCE_UNIT)
        audience = DAJIA__AUDIENCE__AUDIENCE_PUBLIC;
    const char *domain = s_domain(audience);
    if (auth && !broker_auth_allows(role, domain, DAJIA_API_REPLAY)) {
        snprintf(text, textlen,
                 "a certificate of role %s may not replay the %s feed: that needs %s",
                 role ? role : "(none)", domain, broker_auth_needs(domain, DAJIA_API_REPLAY));
        return DAJIA__REASON__REASON_FORBIDDEN;
    }
    memset(job, 0, sizeof *job);
    job->from = req->from_seq;
    job->max = req->max_items;
    job->audience = audience;
    job->fd = -1;
    if (audience != DAJIA__AUDIENCE__AUDIENCE_UNIT)
        return DAJIA__REASON__REASON_NONE;
    const char *asked = req->unit ? req->unit : "";
    const char *unit = asked;
    if (auth && role && strcmp(role, BROKER_AUTH_ROLE_UNIT) == 0) {
        /* a unit reads its own notices, whatever it names */
        if (!peer_unit || !*peer_unit || (*asked && strcmp(asked, peer_unit) != 0)) {
            snprintf(text, textlen,
                     "the certificate of unit %s may read its own unit's notices only, not "
                     "those of %s",
                     peer_unit && *peer_unit ? peer_unit : "(none)", asked);
            return DAJIA__REASON__REASON_FORBIDDEN;
        }
        unit = peer_unit;
    }
    if (!*unit || strlen(unit) >= sizeof job->unit) {
        snprintf(text, textlen, "a replay of a unit's notices names the unit (the unit field)");
        return DAJIA__REASON__REASON_MALFORMED;
    }
    snprintf(job->unit, sizeof job->unit, "%s", unit);
    return DAJIA__REASON__REASON_NONE;
}

/* ================================================================ the gate */

static s_gate_t *
s_gate(broker_replay_t *self, int fd)
{
    return fd >= 0 && (size_t)fd < self->gate_count ? &self->gates[fd] : NULL;
}

broker_replay_verdict_t
broker_replay_admit(broker_replay_t *self, const void *id, size_t id_len, int fd)
{
    s_gate_t *gate = s_gate(self, fd);
    if (!gate)
        return BROKER_REPLAY_GO; /* inproc: in-process peers */
    uint64_t hash = s_hash(id, id_len);
    if (gate->state != S_GATE_OPEN && gate->hash == hash) {
        if (gate->state == S_GATE_QUEUED)
            return BROKER_REPLAY_BUSY;
        broker_tcpinfo_t info;
        if (broker_tcpinfo_read(fd, &info, false) == 0 && info.tcp && info.acked < gate->target)
            return BROKER_REPLAY_BUSY; /* the previous answer is not read yet */
    }
    gate->state = S_GATE_QUEUED;
    gate->hash = hash;
    gate->target = 0;
    return BROKER_REPLAY_GO;
}

int
broker_replay_submit(broker_replay_t *self, zmq_msg_t *routing, const broker_replay_request_t *req)
{
    s_job_t job = {
        .req = *req, .id_hash = s_hash(zmq_msg_data(routing), zmq_msg_size(routing)), .items = 0};
    void *sock = zsock_resolve(self->api_end);
    int rc = 0;
    if (zmq_msg_send(routing, sock, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        rc = -zmq_errno();
        zmq_msg_close(routing);
    } else if (zmq_send(sock, &job, sizeof job, ZMQ_DONTWAIT) < 0) {
        rc = -zmq_errno(); /* cannot happen on a PAIR with no high-water mark */
    }
    if (rc) {
        s_gate_t *gate = s_gate(self, req->fd);
        if (gate && gate->hash == job.id_hash)
            gate->state = S_GATE_OPEN;
    }
    return rc;
}

int
broker_replay_take(broker_replay_t *self, broker_replay_answer_t *answer)
{
    void *sock = zsock_resolve(self->api_end);
    zmq_msg_t job;
    zmq_msg_init(&answer->routing);
    zmq_msg_init(&answer->body);
    zmq_msg_init(&job);
    if (zmq_msg_recv(&answer->routing, sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&job);
        return -EAGAIN;
    }
    /* the other two frames are there: a message arrives whole */
    zmq_msg_recv(&job, sock, 0);
    zmq_msg_recv(&answer->body, sock, 0);
    s_job_t copy = {0};
    if (zmq_msg_size(&job) == sizeof copy)
        memcpy(&copy, zmq_msg_data(&job), sizeof copy);
    zmq_msg_close(&job);
    answer->fd = copy.req.fd;
    answer->items = copy.items;
    answer->id_hash = copy.id_hash;
    /* What the connection has written so far, read before the answer is sent: once it
       is, libzmq's io thread may write some of it at once, and counting those bytes here
       too would set a target the peer never reaches. */
    broker_tcpinfo_t info;
    answer->written = 0;
    answer->tcp = broker_tcpinfo_read(answer->fd, &info, true) == 0 && info.tcp;
    if (answer->tcp)
        answer->written = info.acked + info.outq;
    return 0;
}

void
broker_replay_sent(broker_replay_t *self, const broker_replay_answer_t *answer, bool sent,
                   size_t bytes)
{
    s_gate_t *gate = s_gate(self, answer->fd);
    if (!gate || gate->hash != answer->id_hash || gate->state != S_GATE_QUEUED)
        return;
    if (!sent || !answer->tcp) {
        gate->state = S_GATE_OPEN; /* not sent, or not tcp */
        return;
    }
    /* Everything written before it, then this answer: at least this many bytes will have
       been acknowledged once the peer has the whole answer (its framing and anything
       libzmq still held before it only make the true end later). */
    gate->state = S_GATE_SENT;
    gate->target = answer->written + bytes;
}
