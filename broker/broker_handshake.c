/*  broker_handshake: the refused handshakes of the broker's CURVE sockets, from their
    monitor events (see broker_handshake.h for what is logged and how often).

    libzmq reports a failed handshake as HANDSHAKE_FAILED_PROTOCOL (with a protocol
    error: mechanism mismatch for a plaintext client, "cryptographic" for a wrong broker
    key) or HANDSHAKE_FAILED_NO_DETAIL, followed at once by DISCONNECTED with the
    connection's file descriptor; ACCEPTED came earlier with the same descriptor. So the
    thread remembers each accepted descriptor's peer address and, when a DISCONNECTED
    follows a failure, logs the failure with that address. A ZAP refusal
    (HANDSHAKE_FAILED_AUTH) is broker_auth's to log, with the key: it is only counted out
    here.

    The thread must not stop on SIGINT: the broker's sockets send their monitor events
    until they close, so the poller is nonstop and only $TERM ends it.
*/
#include "broker_handshake.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dajia_log.h"

#define S_EVENTS                                                                                   \
    (ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |          \
     ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |                       \
     ZMQ_EVENT_MONITOR_STOPPED)
#define S_ADDR_MAX     64   /* "[ipv6]:port" */
#define S_WHAT_MAX     64   /* "the office feed" */
#define S_ENDPOINT_MAX 256  /* the socket's own endpoint, as the events name it */
#define S_PEERS_MAX    4096 /* descriptors remembered per socket; then forgotten */
#define S_DRAIN_MS     5000 /* after $TERM, how long the monitors of closed sockets may take */
#define S_UNKNOWN_ADDR "an address the broker could not read (the connection was already closed)"

/* Why a handshake failed, as counted. */
enum { S_NO_CURVE, S_WRONG_KEY, S_PROTOCOL, S_CLOSED, S_REASONS, S_NONE = -1 };

/* The words for each reason in a count line. */
static const char *const s_reason_short[S_REASONS] = {
    [S_NO_CURVE] = "without CURVE",
    [S_WRONG_KEY] = "with another broker's key",
    [S_PROTOCOL] = "with a protocol error",
    [S_CLOSED] = "hung up during the handshake",
};

/* One watched socket, as the thread sees it. */
typedef struct {
    zsock_t *pair; /* connected to the socket's monitor */
    char what[S_WHAT_MAX];
    char endpoint[S_ENDPOINT_MAX];
    zhash_t *peers; /* descriptor ("%u") -> peer address */
    int pending;    /* reason of a failure whose DISCONNECTED has not come yet */
    uint32_t pending_value;
    int64_t window_start; /* when the open period began */
    int64_t window_end;   /* 0: no period open, the next refusal is logged at once */
    uint64_t counts[S_REASONS];
    char last_addr[S_ADDR_MAX];
} s_watched_t;

struct broker_handshake_t {
    zactor_t *actor;
    pthread_mutex_t lock; /* one watch request at a time on the actor's pipe */
    int64_t every_ms;
    atomic_uint_fast64_t refused;
};

/* Names the monitor endpoints: unique in the process, also across instances (a closed
   socket's inproc endpoint is released later, on libzmq's reaper thread). */
static atomic_uint s_monitors;

/* ====================================================================== the thread */

/* The peer address of descriptor `fd` into `buf`, or "" when it cannot be read. */
static void
s_peer_address(int fd, char *buf, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "";
    buf[0] = 0;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        if (inet_ntop(AF_INET, &in->sin_addr, host, sizeof host))
            snprintf(buf, size, "%s:%u", host, (unsigned)ntohs(in->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        if (inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host))
            snprintf(buf, size, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
    }
}

/* The reason of a HANDSHAKE_FAILED_PROTOCOL with protocol error `value`. */
static int
s_protocol_reason(uint32_t value)
{
    if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        return S_NO_CURVE;
    if (value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
        return S_WRONG_KEY;
    return S_PROTOCOL;
}

/* The sentence for one refusal. */
static void
s_reason_text(int reason, uint32_t value, char *buf, size_t size)
{
    switch (reason) {
    case S_NO_CURVE:
        snprintf(buf, size,
                 "it did not use CURVE: a client without its key file? (`dajia-ctl keys "
                 "export NAME` makes one)");
        break;
    case S_WRONG_KEY:
        snprintf(buf, size,
                 "its CURVE handshake does not decrypt: the client holds another "
                 "broker's public key (broker.cert)");
        break;
    case S_PROTOCOL:
        snprintf(buf, size, "ZeroMQ protocol error 0x%" PRIx32 " in the handshake", value);
        break;
    default:
        /* A client without keys often notices the mismatch first and hangs up. */
        snprintf(buf, size,
                 "the client hung up during the handshake (%s): a client without "
                 "its key file, or one holding another broker's public key?",
                 value ? strerror((int)value) : "closed");
        break;
    }
}

/* Logs what the period of `w` counted, and opens the next period when there was
   something to log (or closes it: the next refusal is logged at once). */
static void
s_flush(broker_handshake_t *self, s_watched_t *w, int64_t now)
{
    uint64_t total = 0;
    for (int r = 0; r < S_REASONS; r++)
        total += w->counts[r];
    if (total == 0) {
        w->window_end = 0;
        return;
    }
    char reasons[256] = "";
    size_t used = 0;
    for (int r = 0; r < S_REASONS && used < sizeof reasons; r++)
        if (w->counts[r]) {
            int n = snprintf(reasons + used, sizeof reasons - used, "%s%" PRIu64 " %s",
                             used ? ", " : "", w->counts[r], s_reason_short[r]);
            used += n > 0 ? (size_t)n : 0;
        }
    dajia_log_warning("handshake: refused %" PRIu64 " more connection%s to %s (%s) in the last "
                      "%" PRId64 " s: %s; the last from %s",
                      total, total == 1 ? "" : "s", w->what, w->endpoint,
                      (now - w->window_start + 999) / 1000, reasons,
                      *w->last_addr ? w->last_addr : S_UNKNOWN_ADDR);
    memset(w->counts, 0, sizeof w->counts);
    w->window_start = now;
    w->window_end = now + self->every_ms;
}

/* One refused handshake on `w` from `addr` ("" when unknown). */
static void
s_refused(broker_handshake_t *self, s_watched_t *w, int reason, uint32_t value, const char *addr)
{
    atomic_fetch_add(&self->refused, 1);
    if (w->window_end) {
        w->counts[reason]++;
        snprintf(w->last_addr, sizeof w->last_addr, "%s", addr);
        return;
    }
    char why[256];
    s_reason_text(reason, value, why, sizeof why);
    dajia_log_warning("handshake: refused a connection to %s (%s) from %s: %s", w->what,
                      w->endpoint, *addr ? addr : S_UNKNOWN_ADDR, why);
    w->window_start = zclock_mono();
    w->window_end = w->window_start + self->every_ms;
}

/* Reads one monitor event of `w`. Returns false when the monitor has stopped (the
   socket is closed). */
static bool
s_event(broker_handshake_t *self, s_watched_t *w)
{
    zmsg_t *msg = zmsg_recv(w->pair);
    zframe_t *head = msg ? zmsg_first(msg) : NULL;
    zframe_t *where = msg ? zmsg_next(msg) : NULL;
    if (!head || zframe_size(head) < 6) {
        zmsg_destroy(&msg); /* not an event: skip it */
        return true;
    }
    uint16_t event;
    uint32_t value;
    memcpy(&event, zframe_data(head), sizeof event);
    memcpy(&value, zframe_data(head) + 2, sizeof value);
    if (where && !*w->endpoint) {
        size_t len = zframe_size(where) < sizeof w->endpoint - 1 ? zframe_size(where)
                                                                 : sizeof w->endpoint - 1;
        memcpy(w->endpoint, zframe_data(where), len);
        w->endpoint[len] = 0;
    }
    zmsg_destroy(&msg);

    char fd_key[16];
    snprintf(fd_key, sizeof fd_key, "%" PRIu32, value);
    switch (event) {
    case ZMQ_EVENT_ACCEPTED: {
        char addr[S_ADDR_MAX];
        s_peer_address((int)value, addr, sizeof addr);
        if (zhash_size(w->peers) >= S_PEERS_MAX) {
            zhash_destroy(&w->peers); /* the worst is an unknown address later */
            w->peers = zhash_new();
        }
        if (!w->peers)
            break;
        zhash_delete(w->peers, fd_key);
        if (*addr) {
            char *copy = strdup(addr);
            if (copy && zhash_insert(w->peers, fd_key, copy) == 0)
                zhash_freefn(w->peers, fd_key, free);
            else
                free(copy);
        }
        break;
    }
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        w->pending = s_protocol_reason(value);
        w->pending_value = value;
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        w->pending = S_CLOSED;
        w->pending_value = value;
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        w->pending = S_NONE; /* ZAP refused it: broker_auth logged it with the key */
        break;
    case ZMQ_EVENT_DISCONNECTED: {
        if (w->pending != S_NONE) {
            const char *addr = w->peers ? zhash_lookup(w->peers, fd_key) : NULL;
            s_refused(self, w, w->pending, w->pending_value, addr ? addr : "");
            w->pending = S_NONE;
        }
        if (w->peers)
            zhash_delete(w->peers, fd_key);
        break;
    }
    case ZMQ_EVENT_MONITOR_STOPPED:
        return false;
    default:
        break;
    }
    return true;
}

static void
s_watched_destroy(broker_handshake_t *self, s_watched_t **w_p)
{
    s_watched_t *w = *w_p;
    if (!w)
        return;
    s_flush(self, w, zclock_mono());
    zsock_destroy(&w->pair);
    zhash_destroy(&w->peers);
    free(w);
    *w_p = NULL;
}

/* WATCH <monitor endpoint> <what>: connects to the monitor. Signals 0 or -errno. */
static void
s_add(broker_handshake_t *self, zmsg_t *msg, zlist_t *watched, zpoller_t *poller, zsock_t *pipe)
{
    char *endpoint = zmsg_popstr(msg);
    char *what = zmsg_popstr(msg);
    int rc = 0;
    s_watched_t *w = endpoint && what ? calloc(1, sizeof *w) : NULL;
    if (!w) {
        rc = -ENOMEM;
        goto out;
    }
    w->pending = S_NONE;
    snprintf(w->what, sizeof w->what, "%s", what);
    w->peers = zhash_new();
    w->pair = zsock_new(ZMQ_PAIR);
    if (!w->peers || !w->pair || zsock_connect(w->pair, "%s", endpoint) != 0 ||
        zpoller_add(poller, w->pair) != 0 || zlist_append(watched, w) != 0) {
        zpoller_remove(poller, w->pair);
        rc = -ENOMEM;
    }
out:
    if (rc && w)
        s_watched_destroy(self, &w);
    zstr_free(&endpoint);
    zstr_free(&what);
    zsock_signal(pipe, (byte)(rc ? 1 : 0));
}

static void
s_actor(zsock_t *pipe, void *arg)
{
    broker_handshake_t *self = arg;
    zlist_t *watched = zlist_new();
    zpoller_t *poller = zpoller_new(pipe, NULL);
    bool ok = watched && poller;
    if (poller)
        zpoller_set_nonstop(poller, true);
    zsock_signal(pipe, ok ? 0 : 1);
    int64_t drain_until = 0; /* after $TERM: until the watched sockets' monitors stop */
    while (ok && (!drain_until || (zlist_size(watched) && zclock_mono() < drain_until))) {
        /* Wake for the earliest period's end, and at the end of the drain. */
        int64_t now = zclock_mono(), wait = drain_until ? drain_until - now : -1;
        for (s_watched_t *w = zlist_first(watched); w; w = zlist_next(watched))
            if (w->window_end && (wait < 0 || w->window_end - now < wait))
                wait = w->window_end - now > 0 ? w->window_end - now : 0;
        void *which = zpoller_wait(poller, wait < 0 ? -1 : (int)wait);
        if (which == pipe && !drain_until) {
            zmsg_t *msg = zmsg_recv(pipe);
            char *command = msg ? zmsg_popstr(msg) : NULL;
            if (!command || strcmp(command, "$TERM") == 0) {
                drain_until = zclock_mono() + S_DRAIN_MS;
                zpoller_remove(poller, pipe);
            } else if (strcmp(command, "WATCH") == 0)
                s_add(self, msg, watched, poller, pipe);
            zstr_free(&command);
            zmsg_destroy(&msg);
        } else if (which) {
            for (s_watched_t *w = zlist_first(watched); w; w = zlist_next(watched))
                if (w->pair == which) {
                    if (!s_event(self, w)) {
                        zpoller_remove(poller, w->pair);
                        zlist_remove(watched, w);
                        s_watched_destroy(self, &w);
                    }
                    break;
                }
        }
        now = zclock_mono();
        for (s_watched_t *w = zlist_first(watched); w; w = zlist_next(watched))
            if (w->window_end && now >= w->window_end)
                s_flush(self, w, now);
    }
    /* A socket still open would block libzmq on its next event were its monitor's peer
       gone: that peer is left open (czmq closes it at exit). */
    if (watched && zlist_size(watched))
        dajia_log_error("handshake: %zu watched socket%s still open when the watch ended",
                        zlist_size(watched), zlist_size(watched) == 1 ? "" : "s");
    for (s_watched_t *w = watched ? zlist_first(watched) : NULL; w; w = zlist_next(watched)) {
        zpoller_remove(poller, w->pair);
        w->pair = NULL;
        s_watched_destroy(self, &w); /* logs what its last period counted */
    }
    zlist_destroy(&watched);
    zpoller_destroy(&poller);
}

/* ====================================================================== the api */

int
broker_handshake_new(int64_t every_ms, broker_handshake_t **out)
{
    if (every_ms <= 0 || every_ms > INT32_MAX || !out)
        return -EINVAL;
    broker_handshake_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    self->every_ms = every_ms;
    atomic_init(&self->refused, 0);
    pthread_mutex_init(&self->lock, NULL);
    self->actor = zactor_new(s_actor, self);
    if (!self->actor) {
        broker_handshake_destroy(&self);
        return -ENOMEM;
    }
    *out = self;
    return 0;
}

int
broker_handshake_watch(broker_handshake_t *self, void *sock, const char *what)
{
    if (!self || !sock || !what)
        return -EINVAL;
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "inproc://dajia-handshake-%u",
             atomic_fetch_add(&s_monitors, 1));
    if (zmq_socket_monitor(zsock_resolve(sock), endpoint, S_EVENTS) != 0)
        return -errno;
    pthread_mutex_lock(&self->lock);
    int rc = zstr_sendx(self->actor, "WATCH", endpoint, what, NULL) == 0 ? 0 : -EIO;
    if (rc == 0 && zsock_wait(self->actor) != 0)
        rc = -ENOMEM;
    pthread_mutex_unlock(&self->lock);
    if (rc)
        zmq_socket_monitor(zsock_resolve(sock), NULL, 0);
    return rc;
}

uint64_t
broker_handshake_refused(broker_handshake_t *self)
{
    return self ? atomic_load(&self->refused) : 0;
}

void
broker_handshake_destroy(broker_handshake_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_handshake_t *self = *self_p;
    zactor_destroy(&self->actor);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}
