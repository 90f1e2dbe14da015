/*  broker_peers: the guard thread that bounds each connection (see broker_peers.h).

    State is kept per file descriptor, in tables as long as the process may have
    descriptors (RLIMIT_NOFILE, capped): descriptors are small numbers, unique among
    the open connections, and libzmq names each connection by its descriptor both in
    monitor events and on every message it delivers (ZMQ_SRCFD). The credit column is
    written by the threads that read the sockets (atomics); the rest belongs to the
    guard thread. A descriptor is taken when a socket's monitor says ACCEPTED and let go
    on DISCONNECTED, or when it no longer is a socket.

    The monitors' PAIR pipes are unbounded on the guard's side (RCVHWM 0): libzmq sends
    monitor events from its io thread and would block it on a full pipe.
*/
#include "broker_peers.h"
#include "dajia_log.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "broker_tcpinfo.h"

#define S_FD_CAP   (1 << 20) /* descriptors tracked at most */
#define S_FD_FLOOR 1024      /* tracked at least, whatever the limit says */
#define S_TRIM_MS  5000      /* free memory is given back to the system this often */

/* The guard thread's view of one descriptor. */
typedef struct {
    uint8_t owner;  /* 0: none; else the socket's number + 1 */
    bool tcp;       /* TCP_INFO answers for it */
    uint32_t slot;  /* its place in the list of live descriptors */
    int64_t offset; /* credit beyond what was read (framing estimated high), so that
                       held = read - credit - offset never goes below 0 */
} s_conn_t;

typedef struct {
    broker_peers_socket_t opts;
    zsock_t *monitor; /* our end of its monitor */
    size_t live;      /* connections now */
} s_watched_t;

/* Names of inproc endpoints: a number never used before in this process. A name made
   from an address could be bound again, by the next object at the same address, before
   libzmq has let go of the last one (it unbinds a closed socket asynchronously). */
static atomic_uint s_inproc_serial;

struct broker_peers_t {
    s_watched_t sockets[BROKER_PEERS_SOCKETS];
    int count;
    size_t fd_max; /* entries in conns and credit */
    s_conn_t *conns;
    atomic_uint_fast64_t *credit;
    atomic_int_fast64_t *active; /* when each was last credited (monotonic ms) */
    int *live;                   /* the descriptors watched now, in no order */
    size_t live_count;
    pthread_t thread;
    bool running;
    atomic_bool stop;
    atomic_uint_fast64_t closed, refused;
    int64_t logged_ms;    /* a closing or refusal was last logged */
    uint64_t logged_held; /* the largest holding closed since then */
};

int
broker_peers_new(broker_peers_t **out)
{
    broker_peers_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    struct rlimit limit;
    size_t fds = S_FD_FLOOR;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
        limit.rlim_cur > fds)
        fds = limit.rlim_cur;
    if (fds > S_FD_CAP)
        fds = S_FD_CAP;
    self->fd_max = fds;
    /* calloc'd: pages of descriptors never used stay untouched */
    self->conns = calloc(fds, sizeof *self->conns);
    self->credit = calloc(fds, sizeof *self->credit);
    self->active = calloc(fds, sizeof *self->active);
    self->live = calloc(fds, sizeof *self->live);
    if (!self->conns || !self->credit || !self->active || !self->live) {
        broker_peers_destroy(&self);
        return -ENOMEM;
    }
    atomic_init(&self->stop, false);
    atomic_init(&self->closed, 0);
    atomic_init(&self->refused, 0);
    *out = self;
    return 0;
}

void
broker_peers_destroy(broker_peers_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_peers_t *self = *self_p;
    if (self->running) {
        atomic_store(&self->stop, true);
        pthread_join(self->thread, NULL);
    }
    for (int i = 0; i < self->count; i++)
        zsock_destroy(&self->sockets[i].monitor);
    free(self->conns);
    free(self->credit);
    free(self->active);
    free(self->live);
    free(self);
    *self_p = NULL;
}

int
broker_peers_watch(broker_peers_t *self, zsock_t *sock, const broker_peers_socket_t *opts,
                   int *which)
{
    if (self->running)
        return -EBUSY;
    if (self->count == BROKER_PEERS_SOCKETS)
        return -ENOSPC;
    s_watched_t *w = &self->sockets[self->count];
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "inproc://dajia-peers-%u",
             atomic_fetch_add(&s_inproc_serial, 1));
    if (zmq_socket_monitor(zsock_resolve(sock), endpoint,
                           ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0)
        return -zmq_errno();
    w->monitor = zsock_new(ZMQ_PAIR);
    if (!w->monitor)
        return -ENOMEM;
    zsock_set_rcvhwm(w->monitor, 0);
    if (zsock_connect(w->monitor, "%s", endpoint) != 0) {
        zsock_destroy(&w->monitor);
        return -EINVAL;
    }
    w->opts = *opts;
    w->live = 0;
    *which = self->count++;
    return 0;
}

int
broker_peers_fd(zmq_msg_t *frame)
{
    return zmq_msg_get(frame, ZMQ_SRCFD);
}

size_t
broker_peers_wire(const broker_peers_t *self, int which, size_t size)
{
    if (self && which >= 0 && which < self->count && self->sockets[which].opts.curve)
        size += BROKER_PEERS_CURVE_MAX; /* the frame travels inside a MESSAGE command */
    return size + (size > 255 ? 9 : 2); /* ZMTP: flags and a 1- or 8-byte size */
}

void
broker_peers_credit(broker_peers_t *self, int fd, size_t bytes)
{
    if (!self || fd < 0 || (size_t)fd >= self->fd_max)
        return;
    atomic_fetch_add_explicit(&self->credit[fd], bytes, memory_order_relaxed);
    atomic_store_explicit(&self->active[fd], zclock_mono(), memory_order_relaxed);
}

uint64_t
broker_peers_closed(const broker_peers_t *self)
{
    return self ? atomic_load(&((broker_peers_t *)self)->closed) : 0;
}

uint64_t
broker_peers_refused(const broker_peers_t *self)
{
    return self ? atomic_load(&((broker_peers_t *)self)->refused) : 0;
}

/* ================================================================ the thread */

static void
s_forget(broker_peers_t *self, int fd)
{
    s_conn_t *c = &self->conns[fd];
    if (!c->owner)
        return;
    if (self->sockets[c->owner - 1].live > 0)
        self->sockets[c->owner - 1].live--;
    /* the last live descriptor takes its place in the list */
    int moved = self->live[--self->live_count];
    self->live[c->slot] = moved;
    self->conns[moved].slot = c->slot;
    memset(c, 0, sizeof *c);
}

/* Logs a closing or a refusal, at most every BROKER_PEERS_LOG_MS. */
static void
s_log(broker_peers_t *self, const s_watched_t *w, const char *what, uint64_t held)
{
    if (held > self->logged_held)
        self->logged_held = held;
    int64_t now = zclock_mono();
    if (self->logged_ms && now - self->logged_ms < BROKER_PEERS_LOG_MS)
        return;
    if (held)
        dajia_log_warning(
            "closed a connection of %s that made the broker hold %" PRIu64
            " bytes (bound %zu: a message that never ends, or one that is "
            "never read); %" PRIu64 " closed and %" PRIu64 " refused for being too many so far",
            w->opts.name, self->logged_held, w->opts.in_max, (uint64_t)atomic_load(&self->closed),
            (uint64_t)atomic_load(&self->refused));
    else
        dajia_log_warning("too many connections to %s: it has %zu already (%s); %" PRIu64
                          " closed for that so far",
                          w->opts.name, w->live, what, (uint64_t)atomic_load(&self->refused));
    self->logged_ms = now;
    self->logged_held = 0;
}

/* The live connection of socket `i` credited the longest ago (or never since it came),
   or -1. */
static int
s_idlest(broker_peers_t *self, int i)
{
    int idlest = -1;
    int64_t oldest = INT64_MAX;
    for (size_t n = 0; n < self->live_count; n++) {
        int fd = self->live[n];
        if (self->conns[fd].owner != i + 1)
            continue;
        int64_t when = atomic_load_explicit(&self->active[fd], memory_order_relaxed);
        if (when < oldest) {
            oldest = when;
            idlest = fd;
        }
    }
    return idlest;
}

/* Reads the events waiting on socket `i`'s monitor. */
static void
s_on_events(broker_peers_t *self, int i)
{
    s_watched_t *w = &self->sockets[i];
    void *handle = zsock_resolve(w->monitor);
    for (;;) {
        zmq_msg_t first, second;
        zmq_msg_init(&first);
        if (zmq_msg_recv(&first, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&first);
            return;
        }
        zmq_msg_init(&second);
        if (zmq_msg_more(&first))
            zmq_msg_recv(&second, handle, 0); /* the endpoint: not needed */
        uint16_t event = 0;
        uint32_t value = 0;
        if (zmq_msg_size(&first) == 6) {
            memcpy(&event, zmq_msg_data(&first), sizeof event);
            memcpy(&value, (uint8_t *)zmq_msg_data(&first) + 2, sizeof value);
        }
        zmq_msg_close(&first);
        zmq_msg_close(&second);
        int fd = (int)value;
        if (fd < 0 || (size_t)fd >= self->fd_max)
            continue;
        s_conn_t *c = &self->conns[fd];
        if (event == ZMQ_EVENT_DISCONNECTED) {
            /* The credit starts afresh here, not at ACCEPTED: the reader may credit a
               new connection's first messages before its ACCEPTED is read here. (Not
               when the descriptor already serves another socket's connection.) */
            if (c->owner == 0 || c->owner == i + 1)
                atomic_store(&self->credit[fd], 0);
            if (c->owner == i + 1)
                s_forget(self, fd);
        } else if (event == ZMQ_EVENT_ACCEPTED) {
            s_forget(self, fd); /* a connection we missed the end of */
            if (w->opts.max_connections && w->live >= w->opts.max_connections) {
                int idlest = w->opts.evicts_idle ? s_idlest(self, i) : -1;
                broker_tcpinfo_shutdown(idlest >= 0 ? idlest : fd);
                atomic_fetch_add(&self->refused, 1);
                char limit[96];
                snprintf(limit, sizeof limit, "its bound is %zu; %s", w->opts.max_connections,
                         idlest >= 0 ? "the idlest was closed" : "the new one was closed");
                s_log(self, w, limit, 0);
                if (idlest < 0)
                    continue;
                s_forget(self, idlest);
            }
            broker_tcpinfo_t info;
            c->owner = (uint8_t)(i + 1);
            c->tcp = broker_tcpinfo_read(fd, &info, false) == 0 && info.tcp;
            c->offset = 0;
            c->slot = (uint32_t)self->live_count;
            self->live[self->live_count++] = fd;
            atomic_store(&self->active[fd], zclock_mono());
            w->live++;
        }
    }
}

/* Looks at every connection's bytes; shuts down those over their socket's bound.
   Returns true when it shut one down. */
static bool
s_check(broker_peers_t *self)
{
    bool closed = false;
    /* backwards: forgetting one moves the last into its place, already looked at */
    for (size_t i = self->live_count; i-- > 0;) {
        int fd = self->live[i];
        s_conn_t *c = &self->conns[fd];
        s_watched_t *w = &self->sockets[c->owner - 1];
        broker_tcpinfo_t info;
        if (broker_tcpinfo_read(fd, &info, false) != 0) {
            s_forget(self, fd); /* closed without an event we saw */
            continue;
        }
        if (!c->tcp || !w->opts.in_max)
            continue;
        int64_t credit = w->opts.credited ? (int64_t)atomic_load(&self->credit[fd]) : 0;
        int64_t held = (int64_t)info.received - credit - c->offset;
        if (held > (int64_t)w->opts.in_max) {
            /* the kernel may still hold some of it: ask how much before judging */
            if (broker_tcpinfo_read(fd, &info, true) != 0)
                continue;
            held = (int64_t)info.received - (int64_t)info.inq - credit - c->offset;
        }
        if (held < 0) {
            c->offset += held; /* credited more than read (framing estimated high) */
        } else if (held > (int64_t)w->opts.in_max) {
            broker_tcpinfo_shutdown(fd);
            atomic_fetch_add(&self->closed, 1);
            s_log(self, w, NULL, (uint64_t)held);
            s_forget(self, fd);
            closed = true;
        }
    }
    return closed;
}

static void *
s_run(void *arg)
{
    broker_peers_t *self = arg;
    zmq_pollitem_t items[BROKER_PEERS_SOCKETS];
    for (int i = 0; i < self->count; i++)
        items[i] = (zmq_pollitem_t){zsock_resolve(self->sockets[i].monitor), 0, ZMQ_POLLIN, 0};
    int64_t next_check = zclock_mono() + BROKER_PEERS_CHECK_MS;
    int64_t next_trim = zclock_mono() + S_TRIM_MS;
    while (!atomic_load(&self->stop)) {
        int64_t wait = next_check - zclock_mono();
        int rc = zmq_poll(items, self->count, wait > 0 ? wait : 0);
        if (rc < 0 && zmq_errno() != EINTR)
            break;
        for (int i = 0; rc > 0 && i < self->count; i++)
            if (items[i].revents & ZMQ_POLLIN)
                s_on_events(self, i);
        int64_t now = zclock_mono();
        if (now < next_check)
            continue;
        next_check = now + BROKER_PEERS_CHECK_MS;
        /* A closed connection's memory is freed by libzmq's io thread a moment later;
           the next look gives it back to the system. */
        if (s_check(self))
            next_trim = now + BROKER_PEERS_CHECK_MS;
        if (now >= next_trim) {
            malloc_trim(0);
            next_trim = now + S_TRIM_MS;
        }
    }
    return NULL;
}

int
broker_peers_start(broker_peers_t *self)
{
    if (self->running)
        return -EBUSY;
    int rc = pthread_create(&self->thread, NULL, s_run, self);
    if (rc)
        return -rc;
    self->running = true;
    return 0;
}
