/*  broker_dispatch: delivery of the log to the workers, the feed log and publication.

    One thread, one loop: poll the workers ROUTER, the control pipe and the two XPUBs
    (whose subscription messages are read and dropped) with a timeout that ends at the
    next heartbeat. Everything the ROUTER has ready is read as one group; the outputs of
    the group's DONEs and TICKEDs go into the feed log, and the cursors forward, in one
    write transaction, so under load one sync covers many answers. Only after it commits
    are the items published and more events sent.
*/
#include "broker_dispatch.h"
#include "dajia_log.h"

#include <czmq.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "broker_batch.h"
#include "broker_feed.h"
#include "broker_guard.h"
#include "dajia.pb-c.h"
#include "dajia_clock.h"
#include "dajia_error.h"
#include "dajia_tables.h"
#include "dajia_worker_protocol.h"

#define DISPATCH_GROUP_MAX        4096 /* messages read before one write */
#define DISPATCH_CURSOR_SAVE_MS   1000 /* cursors alone are stored this often */
#define DISPATCH_IDENTITY_MAX     256
#define DISPATCH_HWM              100000
#define DISPATCH_TERM             "$TERM"
#define DISPATCH_WAKE             "W"
#define DISPATCH_TICK_KEY_MAX     128
#define DISPATCH_REBIND_RETRY_MS  10   /* a listener closing in the io thread */
#define DISPATCH_REBIND_WARN_MS   1000 /* then a line, and again this often x 60 */
#define DISPATCH_SOCKETS          3
#define DISPATCH_BACKOFF_FIRST_MS 10   /* the first pause after the store refused a group */
#define DISPATCH_BACKOFF_MAX_MS   1000 /* doubling up to this while it goes on refusing */

static const char *s_default_services[] = {"aggregate", "escalate", "circulate", NULL};

/* ================================================================ state */

typedef struct s_service_t s_service_t;

typedef struct s_worker_t {
    unsigned char id[DISPATCH_IDENTITY_MAX];
    size_t id_len;
    s_service_t *service;
    uint64_t last_applied; /* as the worker said in READY */
    int64_t expires_at;    /* monotonic ms; silent past this = dead */
    struct s_worker_t *next;
} s_worker_t;

struct s_service_t {
    char *name;
    uint64_t cursor;            /* durable: last DONE stored */
    uint64_t pending;           /* cursor once the group being gathered commits */
    s_worker_t *active;         /* NULL: no worker; the others wait as standbys */
    uint64_t sent;              /* last seq sent to the active worker */
    uint64_t acked;             /* last DONE seq from the active worker */
    uint64_t tick;              /* durable: last tick number whose outputs are stored */
    uint64_t tick_pending;      /* tick once the group being gathered commits */
    bool tick_known;            /* tick numbers known: the next must follow tick_pending */
    uint64_t tick_base;         /* the first tick taken while none was known */
    uint64_t abandoned;         /* last seq sent before a failed store dropped what was in flight:
                                   answers up to it may still come, and are not news */
    atomic_uint_fast64_t shown; /* cursor, for the api thread (broker_dispatch_cursors) */
};

struct broker_dispatch_t {
    store_t *store;
    zsock_t *workers, *office, *public_feed;
    zsock_t *pipe_api;    /* api thread's end */
    zsock_t *pipe_thread; /* dispatch thread's end */
    char *endpoint[DISPATCH_SOCKETS];
    broker_auth_t *auth;                     /* borrowed; NULL: no CURVE */
    void (*on_read)(zmsg_t *msg, void *arg); /* the owner's, with on_read_arg */
    void *on_read_arg;
    pthread_t thread;
    bool running;
    atomic_uint_fast64_t last_log_seq;
    atomic_bool signalled;

    /* dispatch thread only */
    s_service_t *services;
    size_t service_count;
    s_worker_t *worker_list;
    unsigned window;
    int heartbeat_ms;
    uint64_t log_seq;             /* newest seq the thread knows of */
    uint64_t feed_seq;            /* newest feed_seq stored */
    broker_feed_entry_t *entries; /* the group's outputs, prepared */
    size_t entry_count, entry_cap;
    bool group_cursor_moved;
    int64_t cursor_saved_ms;        /* when cursors were last stored (monotonic) */
    uint64_t withdrawn_seen;        /* broker_auth_withdrawn() when last acted on */
    bool unbound[DISPATCH_SOCKETS]; /* listener closed, not yet open again */
    int64_t unbound_at;             /* when (monotonic ms) */
    int64_t unbound_warned;         /* when the last line about it was written */
    int store_backoff_ms;           /* 0: the store takes writes; else the current pause */
    int64_t store_retry_at;         /* no delivery before this (monotonic ms) */
    uint64_t store_refusals;        /* failed stores since the last that succeeded */
    dajia_log_limit_t refused_log;  /* the lines about it (dajia_log.h) */
    dajia_log_limit_t took_log;
};

/* ================================================================ helpers */

static s_service_t *
s_service_find(broker_dispatch_t *self, const char *name, size_t len)
{
    for (size_t i = 0; i < self->service_count; i++)
        if (strlen(self->services[i].name) == len && memcmp(self->services[i].name, name, len) == 0)
            return &self->services[i];
    return NULL;
}

static s_worker_t *
s_worker_find(broker_dispatch_t *self, zframe_t *identity)
{
    for (s_worker_t *w = self->worker_list; w; w = w->next)
        if (w->id_len == zframe_size(identity) &&
            memcmp(w->id, zframe_data(identity), w->id_len) == 0)
            return w;
    return NULL;
}

/* Sends [identity][command][u64] to the peer `id`; without `value` only two frames. */
static void
s_send_to(broker_dispatch_t *self, const void *id, size_t id_len, const char *command,
          const uint64_t *value)
{
    void *sock = zsock_resolve(self->workers);
    uint8_t buf[WORKER_U64_SIZE];
    if (zmq_send(sock, id, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return;
    zmq_send(sock, command, strlen(command), value ? ZMQ_SNDMORE : 0);
    if (value) {
        worker_u64_put(*value, buf);
        zmq_send(sock, buf, sizeof buf, 0);
    }
}

static void
s_send(broker_dispatch_t *self, s_worker_t *w, const char *command, const uint64_t *value)
{
    s_send_to(self, w->id, w->id_len, command, value);
}

/* Sends ["HEARTBEAT", cursor, last tick stored] to a worker: what it may prune. */
static void
s_send_heartbeat(broker_dispatch_t *self, s_worker_t *w)
{
    void *sock = zsock_resolve(self->workers);
    uint8_t cursor[WORKER_U64_SIZE], tick[WORKER_U64_SIZE];
    if (zmq_send(sock, w->id, w->id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return;
    worker_u64_put(w->service->cursor, cursor);
    worker_u64_put(w->service->tick, tick);
    worker_send_command(sock, WORKER_CMD_HEARTBEAT, ZMQ_SNDMORE);
    zmq_send(sock, cursor, sizeof cursor, ZMQ_SNDMORE);
    zmq_send(sock, tick, sizeof tick, 0);
}

/* The cursor table's key for the last tick of `service`; returns its length. */
static size_t
s_tick_key(const s_service_t *service, char key[DISPATCH_TICK_KEY_MAX])
{
    int n = snprintf(key, DISPATCH_TICK_KEY_MAX, "%s" DAJIA_CURSOR_TICK, service->name);
    return n < 0 ? 0 : (size_t)n < DISPATCH_TICK_KEY_MAX ? (size_t)n : DISPATCH_TICK_KEY_MAX - 1;
}

/* The active worker for `service` becomes `w` (NULL: none). Delivery starts again at
   min(cursor, what the worker has applied) + 1. */
static void
s_activate(s_service_t *service, s_worker_t *w)
{
    service->active = w;
    if (!w)
        return;
    uint64_t from = service->cursor < w->last_applied ? service->cursor : w->last_applied;
    service->sent = from;
    service->acked = from;
    service->abandoned = 0;
    dajia_log_info("dispatch: %s worker active, delivering from log_seq %" PRIu64
                   " (cursor %" PRIu64 ", worker applied %" PRIu64 ")",
                   service->name, from + 1, service->cursor, w->last_applied);
}

static void
s_worker_remove(broker_dispatch_t *self, s_worker_t *dead)
{
    s_worker_t **p = &self->worker_list;
    while (*p && *p != dead)
        p = &(*p)->next;
    if (*p)
        *p = dead->next;
    s_service_t *service = dead->service;
    if (service->active == dead) {
        s_worker_t *standby = NULL;
        for (s_worker_t *w = self->worker_list; w && !standby; w = w->next)
            if (w->service == service)
                standby = w;
        s_activate(service, standby);
        if (!standby)
            dajia_log_warning("dispatch: no %s worker left; its events wait", service->name);
    }
    free(dead);
}

/* ================================================================ delivery */

/* Sends the active workers what the log holds beyond what they were sent, up to the
   window. One short read transaction per service. */
static void
s_pump(broker_dispatch_t *self)
{
    if (self->store_backoff_ms && zclock_mono() < self->store_retry_at)
        return; /* the store refused the last group: nothing new until it is tried again */
    void *sock = zsock_resolve(self->workers);
    for (size_t i = 0; i < self->service_count; i++) {
        s_service_t *service = &self->services[i];
        s_worker_t *w = service->active;
        if (!w || service->sent >= self->log_seq || service->sent - service->acked >= self->window)
            continue;
        store_txn_t *txn = NULL;
        store_cursor_t *cursor = NULL;
        int rc = store_read_begin(self->store, &txn);
        if (rc == 0)
            rc = store_cursor_open(txn, DAJIA_TABLE_LOG, &cursor);
        unsigned char key[8];
        store_u64_to_key(service->sent + 1, key);
        const void *k, *v;
        size_t kl, vl;
        if (rc == 0)
            rc = store_cursor_seek(cursor, key, sizeof key, &k, &kl, &v, &vl);
        while (rc == 0 && service->sent - service->acked < self->window) {
            uint64_t seq = kl == 8 ? store_key_to_u64(k) : 0;
            if (seq != service->sent + 1)
                break; /* the log has no gaps; anything else is not ours yet */
            if (zmq_send(sock, w->id, w->id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
                break; /* its queue is full: the rest waits for its DONEs */
            worker_send_command(sock, WORKER_CMD_EVENT, ZMQ_SNDMORE);
            zmq_send(sock, v, vl, 0);
            service->sent = seq;
            rc = store_cursor_next(cursor, &k, &kl, &v, &vl);
        }
        if (rc != 0 && rc != STORE_NOTFOUND)
            dajia_log_error_limited("dispatch: cannot read the log for %s at %" PRIu64 ": %s",
                                    service->name, service->sent + 1, dajia_strerror(rc));
        store_cursor_close(&cursor);
        store_txn_end(&txn);
    }
}

/* ================================================================ the group */

/* Prepares the outputs in frames after `first` of `msg` as feed entries. */
static void
s_take_outputs(broker_dispatch_t *self, s_service_t *service, zmsg_t *msg, uint64_t log_seq)
{
    for (zframe_t *f = zmsg_next(msg); f; f = zmsg_next(msg)) {
        if (self->entry_count == self->entry_cap) {
            size_t cap = self->entry_cap ? self->entry_cap * 2 : 64;
            broker_feed_entry_t *grown = realloc(self->entries, cap * sizeof *grown);
            if (!grown) {
                dajia_log_error_limited("dispatch: out of memory for the outputs of %s",
                                        service->name);
                return;
            }
            memset(grown + self->entry_cap, 0, (cap - self->entry_cap) * sizeof *grown);
            self->entries = grown;
            self->entry_cap = cap;
        }
        uint64_t feed_seq = self->feed_seq + self->entry_count + 1;
        int rc = broker_feed_prepare(zframe_data(f), zframe_size(f), service->name, feed_seq,
                                     &self->entries[self->entry_count]);
        if (rc) {
            dajia_log_warning_limited("dispatch: %s sent an output for log_seq %" PRIu64
                                      " that is not a "
                                      "FeedItem (%zu bytes); dropped",
                                      service->name, log_seq, zframe_size(f));
            continue;
        }
        self->entry_count++;
    }
}

static void
s_on_done(broker_dispatch_t *self, s_worker_t *w, zmsg_t *msg)
{
    s_service_t *service = w->service;
    uint64_t seq = 0;
    if (!worker_frame_u64(zmsg_next(msg), &seq)) {
        dajia_log_warning_limited("dispatch: a DONE from %s without its log_seq; ignored",
                                  service->name);
        return;
    }
    if (service->active != w)
        return; /* a late answer of a worker that was replaced */
    if (seq > service->sent && seq <= service->abandoned)
        return; /* answers what was in flight when a store failed: delivered again */
    if (seq > service->sent) {
        /* Never sent to it: storing its outputs would move the cursor past events the
           service has not seen, and acked past sent would stop delivery to this worker.
           Found by tests/fuzz/fuzz_worker_protocol. */
        dajia_log_warning_limited("dispatch: %s answered log_seq %" PRIu64 ", which it was not "
                                  "sent "
                                  "(last sent %" PRIu64 "); ignored",
                                  service->name, seq, service->sent);
        return;
    }
    if (seq > service->acked)
        service->acked = seq;
    if (seq <= service->pending)
        return; /* stored already: its outputs are in the feed */
    if (seq != service->pending + 1) {
        if (seq > service->abandoned) /* else an answer from before a failed store */
            dajia_log_warning_limited("dispatch: %s answered log_seq %" PRIu64 " while %" PRIu64
                                      " is due; ignored",
                                      service->name, seq, service->pending + 1);
        return;
    }
    s_take_outputs(self, service, msg, seq);
    service->pending = seq;
    self->group_cursor_moved = true;
}

/* ["TICKED", tick number, FeedItem...]: the outputs of a timer tick, numbered by the
   worker so that a tick sent again (our store failed, or the worker could not know we
   had them) is stored once. Numbers follow one another: the worker sends again the ones
   we do not confirm, in order, so a number past the next one means one in between was
   lost here, and it is dropped until the one due comes. Only while we know no tick of the
   service (a new store) is the first number taken as it comes. */
static void
s_on_ticked(broker_dispatch_t *self, s_worker_t *w, zmsg_t *msg)
{
    s_service_t *service = w->service;
    uint64_t tick_no = 0;
    /* UINT64_MAX too: the worker numbers the next tick one past it, which wraps to 0
       ("no outputs"), and every later tick would be dropped as stored already. */
    if (!worker_frame_u64(zmsg_next(msg), &tick_no) || tick_no == 0 || tick_no == UINT64_MAX) {
        dajia_log_warning_limited("dispatch: a TICKED from %s without its tick number; ignored",
                                  service->name);
        return;
    }
    if (service->active != w || tick_no <= service->tick_pending)
        return; /* a standby's, or stored already */
    bool known = service->tick_known || service->tick_pending > 0;
    if (known && tick_no != service->tick_pending + 1) {
        dajia_log_warning_limited("dispatch: %s sent tick %" PRIu64 " while %" PRIu64
                                  " is due; ignored until the worker sends that one again",
                                  service->name, tick_no, service->tick_pending + 1);
        return;
    }
    if (!known)
        service->tick_base = tick_no;
    s_take_outputs(self, service, msg, 0);
    service->tick_pending = tick_no;
    self->group_cursor_moved = true;
}

static void
s_on_ready(broker_dispatch_t *self, zframe_t *identity, zmsg_t *msg)
{
    zframe_t *name = zmsg_next(msg);
    uint64_t last_applied = 0;
    s_service_t *service =
        name ? s_service_find(self, (const char *)zframe_data(name), zframe_size(name)) : NULL;
    if (!service || zframe_size(identity) > DISPATCH_IDENTITY_MAX ||
        !worker_frame_u64(zmsg_next(msg), &last_applied)) {
        dajia_log_warning_limited("dispatch: a READY for an unknown service or without its "
                                  "last applied seq; ignored");
        return;
    }
    s_worker_t *old = s_worker_find(self, identity);
    if (old)
        s_worker_remove(self, old);
    s_worker_t *w = calloc(1, sizeof *w);
    if (!w) {
        dajia_log_error_limited("dispatch: out of memory for a %s worker", service->name);
        return;
    }
    memcpy(w->id, zframe_data(identity), zframe_size(identity));
    w->id_len = zframe_size(identity);
    w->service = service;
    w->last_applied = last_applied;
    w->expires_at = zclock_mono() + (int64_t)self->heartbeat_ms * BROKER_DISPATCH_LIVENESS;
    s_worker_t **tail = &self->worker_list; /* standbys take over in arrival order */
    while (*tail)
        tail = &(*tail)->next;
    *tail = w;
    dajia_log_info("dispatch: %s worker registered (applied through %" PRIu64 ")%s", service->name,
                   last_applied, service->active ? "; it waits as a standby" : "");
    if (!service->active)
        s_activate(service, w);
    s_send_heartbeat(self, w); /* confirms the registration */
}

/* Handles one message from the workers ROUTER. */
static void
s_on_message(broker_dispatch_t *self, zmsg_t *msg)
{
    zframe_t *identity = zmsg_first(msg);
    zframe_t *command = zmsg_next(msg);
    if (!command)
        return;
    if (worker_frame_is(command, WORKER_CMD_READY)) {
        s_on_ready(self, identity, msg);
        return;
    }
    s_worker_t *w = s_worker_find(self, identity);
    if (!w) {
        /* Not registered: the broker restarted, or forgot it when keys were withdrawn.
           Its heartbeat (one a second) gets REGISTER, so it sends READY now instead of
           after three missed heartbeats of ours. */
        if (worker_frame_is(command, WORKER_CMD_HEARTBEAT))
            s_send_to(self, zframe_data(identity), zframe_size(identity), WORKER_CMD_REGISTER,
                      NULL);
        return;
    }
    w->expires_at = zclock_mono() + (int64_t)self->heartbeat_ms * BROKER_DISPATCH_LIVENESS;
    if (worker_frame_is(command, WORKER_CMD_DONE))
        s_on_done(self, w, msg);
    else if (worker_frame_is(command, WORKER_CMD_TICKED))
        s_on_ticked(self, w, msg);
    else if (!worker_frame_is(command, WORKER_CMD_HEARTBEAT))
        dajia_log_warning_limited("dispatch: unknown command from a %s worker; ignored",
                                  w->service->name);
}

static int
s_write_group(store_txn_t *txn, void *arg)
{
    broker_dispatch_t *self = arg;
    for (size_t i = 0; i < self->entry_count; i++) {
        int rc = broker_feed_put(txn, &self->entries[i]);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < self->service_count; i++) {
        s_service_t *service = &self->services[i];
        if (service->pending == service->cursor)
            continue;
        unsigned char value[8];
        store_u64_to_key(service->pending, value);
        int rc = store_put(txn, DAJIA_TABLE_CURSOR, service->name, strlen(service->name), value,
                           sizeof value, 0);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < self->service_count; i++) {
        s_service_t *service = &self->services[i];
        if (service->tick_pending == service->tick)
            continue;
        unsigned char value[8];
        char key[DISPATCH_TICK_KEY_MAX];
        store_u64_to_key(service->tick_pending, value);
        int rc = store_put(txn, DAJIA_TABLE_CURSOR, key, s_tick_key(service, key), value,
                           sizeof value, 0);
        if (rc)
            return rc;
    }
    return 0;
}

static void
s_publish(broker_dispatch_t *self, const broker_feed_entry_t *e)
{
    void *office = zsock_resolve(self->office), *pub = zsock_resolve(self->public_feed);
    zmq_send(office, e->topic, strlen(e->topic), ZMQ_SNDMORE);
    zmq_send(office, e->data, e->len, 0);
    if (e->audience == DAJIA__AUDIENCE__AUDIENCE_PUBLIC && e->public_data) {
        /* numbered for the public (public_seq), without the feed_seq (broker_feed.h) */
        zmq_send(pub, e->topic, strlen(e->topic), ZMQ_SNDMORE);
        zmq_send(pub, e->public_data, e->public_len, 0);
    }
}

/* The store refused a group (a full disk, most likely): what was taken is delivered
   again, but not at once, or the loop would spin, delivering and failing as fast as the
   worker answers, a line each time (issue 10). Delivery pauses DISPATCH_BACKOFF_FIRST_MS,
   twice as long after each refusal in a row, up to DISPATCH_BACKOFF_MAX_MS. A nearly
   full store may take one group and refuse the next, so both lines, the refusal and the
   recovery, are rate-limited (dajia_log.h): the first of each, then a count. */
static void
s_store_refused(broker_dispatch_t *self, int rc, int64_t now)
{
    self->store_backoff_ms =
        self->store_backoff_ms ? self->store_backoff_ms * 2 : DISPATCH_BACKOFF_FIRST_MS;
    if (self->store_backoff_ms > DISPATCH_BACKOFF_MAX_MS)
        self->store_backoff_ms = DISPATCH_BACKOFF_MAX_MS;
    self->store_refusals++;
    self->store_retry_at = now + self->store_backoff_ms;
    dajia_log_limited(&self->refused_log, DAJIA_LOG_ERROR,
                      "dispatch: cannot store %zu feed items and the cursors: %s; delivery "
                      "waits, trying again at most every %d ms until the store takes writes",
                      self->entry_count, dajia_strerror(rc), DISPATCH_BACKOFF_MAX_MS);
}

/* A group stored: the end of a pause, if there was one. */
static void
s_store_took(broker_dispatch_t *self)
{
    if (self->store_backoff_ms == 0)
        return;
    dajia_log_limited(&self->took_log, DAJIA_LOG_INFO,
                      "dispatch: the store takes writes again after %" PRIu64
                      " refused; delivery goes on",
                      self->store_refusals);
    self->store_backoff_ms = 0;
    self->store_refusals = 0;
}

/* Stores the group gathered (outputs and cursors) in one transaction, then publishes.

   A group without feed items only moves cursors, and those are saved lazily (at most
   every DISPATCH_CURSOR_SAVE_MS, and when `force`): each save is a synced commit that
   holds LMDB's write lock against the ingest writer, and a cursor behind the truth only
   means the workers are sent again events they have applied, which they skip. Feed
   items are never lazy: they and the cursor up to their event are stored together
   before they are published, so a redelivered event cannot store its outputs twice. */
static void
s_commit_group(broker_dispatch_t *self, bool force)
{
    if (self->entry_count == 0 && !self->group_cursor_moved)
        return;
    int64_t mono = zclock_mono();
    if (self->entry_count == 0 && !force && mono - self->cursor_saved_ms < DISPATCH_CURSOR_SAVE_MS)
        return;
    int rc = store_write(self->store, s_write_group, self);
    if (rc == 0)
        self->cursor_saved_ms = mono;
    for (size_t i = 0; i < self->service_count; i++) {
        s_service_t *service = &self->services[i];
        if (rc == 0) {
            service->cursor = service->pending;
            atomic_store_explicit(&service->shown, service->cursor, memory_order_relaxed);
            service->tick = service->tick_pending;
            if (service->tick > 0)
                service->tick_known = true;
            continue;
        }
        /* Not stored. Ticks: the worker sends them again when our heartbeats show them
           missing, from the first we took (when we knew none, from the number it began
           with). Events: delivered again from the cursor; the worker skips what it has
           applied and sends the same outputs again. */
        if (!service->tick_known && service->tick_pending != service->tick) {
            service->tick_known = true;
            service->tick_pending = service->tick_base - 1;
        } else {
            service->tick_pending = service->tick;
        }
        if (service->pending != service->cursor) {
            service->pending = service->cursor;
            if (service->active) {
                if (service->sent > service->abandoned)
                    service->abandoned = service->sent;
                service->sent = service->acked = service->cursor;
            }
        }
    }
    if (rc == 0) {
        for (size_t i = 0; i < self->entry_count; i++)
            s_publish(self, &self->entries[i]);
        self->feed_seq += self->entry_count;
        s_store_took(self);
    } else {
        s_store_refused(self, rc, mono);
    }
    for (size_t i = 0; i < self->entry_count; i++)
        broker_feed_entry_clear(&self->entries[i]);
    self->entry_count = 0;
    self->group_cursor_moved = false;
}

/* ================================================================ timers */

static void
s_heartbeat(broker_dispatch_t *self)
{
    int64_t mono = zclock_mono();
    s_worker_t *w = self->worker_list;
    while (w) {
        s_worker_t *next = w->next;
        if (mono > w->expires_at) {
            dajia_log_warning_limited("dispatch: a %s worker missed %d heartbeats: taken as dead",
                                      w->service->name, BROKER_DISPATCH_LIVENESS);
            s_worker_remove(self, w);
        }
        w = next;
    }
    uint64_t now = (uint64_t)dajia_clock_now_ms();
    for (w = self->worker_list; w; w = w->next) {
        s_service_t *service = w->service;
        s_send_heartbeat(self, w);
        /* Timers fire only for a worker that has caught up with the log: a tick ahead of
           the events still in flight could fire a timer those events would have
           stopped. */
        if (service->active == w && service->acked == service->sent &&
            service->sent >= self->log_seq)
            s_send(self, w, WORKER_CMD_TICK, &now);
    }
}

/* ================================================================ revocation */

/* ZAP is asked at the handshake only: a connection admitted before its key was revoked
   stays open, and the feeds and the workers ROUTER would go on sending to it. libzmq
   cannot close one peer of a socket, so when keys are taken away every peer of the
   guarded (tcp, CURVE) endpoints is made to connect again: the listener is unbound and
   bound again on the same endpoint (the resolved one, so a port chosen with :* stays).
   Unbinding closes the connections it accepted (tried with libzmq 4.3.4: they are
   children of the listener and go with it, but only as the socket's own thread goes on
   using the socket, which the loop's poll does; a socket left untouched keeps them).
   Destroying and recreating the socket closes them as well, but would need its options
   set again and finds the port busy more often (the reaper thread frees it later).
   Honest peers reconnect by themselves, meet the ZAP handler with the new certificate
   set and go on: subscribers see a gap in feed_seq (or an idle feed) and replay what
   they missed; workers re-register (below). A revoked key fails the handshake. Inproc
   and ipc peers carry no key and stay. */

static zsock_t *
s_socket_of(broker_dispatch_t *self, int which)
{
    return which == BROKER_DISPATCH_WORKERS  ? self->workers
           : which == BROKER_DISPATCH_OFFICE ? self->office
                                             : self->public_feed;
}

static bool
s_guarded(const broker_dispatch_t *self, int which)
{
    return broker_guard_is_curve(self->auth, self->endpoint[which]);
}

/* Forgets every registered worker: their connections are about to close, and a worker
   that connects again comes from a new ROUTER identity and says READY again (after
   its liveness runs out without our heartbeats). The cursors are stored first, as far
   as the answers go, so that registration delivers again exactly what was in flight:
   from min(cursor, what the worker applied) + 1. Answers still queued from the old
   connections come from identities no longer known and are dropped; the events they
   answer are among those delivered again, and a worker sends the stored outputs of
   an event it has applied already. */
static void
s_workers_forget(broker_dispatch_t *self)
{
    s_commit_group(self, true);
    size_t count = 0;
    while (self->worker_list) {
        s_worker_t *next = self->worker_list->next;
        free(self->worker_list);
        self->worker_list = next;
        count++;
    }
    for (size_t i = 0; i < self->service_count; i++) {
        s_service_t *service = &self->services[i];
        service->active = NULL;
        service->sent = service->acked = service->cursor;
    }
    if (count)
        dajia_log_info("dispatch: %zu worker%s must register again; events they had in flight "
                       "go out again then",
                       count, count == 1 ? "" : "s");
}

/* Opens again the listeners closed by s_reopen. The port may still be held by the
   closing listener (libzmq's io thread closes it a moment later): then the loop tries
   again on its next turn, in DISPATCH_REBIND_RETRY_MS, and says so after
   DISPATCH_REBIND_WARN_MS (a port taken meanwhile by another program would need an
   operator). */
static void
s_rebind(broker_dispatch_t *self)
{
    int64_t now = zclock_mono();
    int64_t every = self->unbound_warned ? DISPATCH_REBIND_WARN_MS * 60 : DISPATCH_REBIND_WARN_MS;
    bool warn = now - (self->unbound_warned ? self->unbound_warned : self->unbound_at) >= every;
    bool warned = false;
    for (int i = 0; i < DISPATCH_SOCKETS; i++) {
        if (!self->unbound[i])
            continue;
        if (zmq_bind(zsock_resolve(s_socket_of(self, i)), self->endpoint[i]) == 0) {
            self->unbound[i] = false;
            if (self->unbound_warned)
                dajia_log_info("dispatch: listening on %s again", self->endpoint[i]);
        } else if (warn) {
            dajia_log_warning("dispatch: cannot listen on %s again yet: %s; trying on",
                              self->endpoint[i], zmq_strerror(zmq_errno()));
            warned = true;
        }
    }
    if (warned)
        self->unbound_warned = now;
}

static bool
s_rebind_pending(const broker_dispatch_t *self)
{
    for (int i = 0; i < DISPATCH_SOCKETS; i++)
        if (self->unbound[i])
            return true;
    return false;
}

/* Acts when the auth module has taken keys away since the last look: one atomic load
   per turn of the loop. */
static void
s_reopen(broker_dispatch_t *self)
{
    uint64_t withdrawn = broker_auth_withdrawn(self->auth);
    if (withdrawn == self->withdrawn_seen)
        return;
    uint64_t keys = withdrawn - self->withdrawn_seen;
    self->withdrawn_seen = withdrawn;
    bool workers = s_guarded(self, BROKER_DISPATCH_WORKERS);
    bool feeds = s_guarded(self, BROKER_DISPATCH_OFFICE) || s_guarded(self, BROKER_DISPATCH_PUBLIC);
    if (!workers && !feeds)
        return; /* local peers only: they show no key */
    dajia_log_info("auth: %" PRIu64 " key%s revoked; closing the %s connections so every peer "
                   "shows its key again",
                   keys, keys == 1 ? "" : "s",
                   workers && feeds ? "feed and worker"
                   : feeds          ? "feed"
                                    : "worker");
    if (workers)
        s_workers_forget(self);
    for (int i = 0; i < DISPATCH_SOCKETS; i++) {
        if (!s_guarded(self, i) || self->unbound[i])
            continue; /* already closed, waiting to open again */
        if (zmq_unbind(zsock_resolve(s_socket_of(self, i)), self->endpoint[i]) != 0) {
            dajia_log_error("dispatch: cannot close the connections of %s: %s", self->endpoint[i],
                            zmq_strerror(zmq_errno()));
            continue;
        }
        self->unbound[i] = true;
    }
    self->unbound_at = zclock_mono();
    self->unbound_warned = 0;
    s_rebind(self);
}

/* ================================================================ the thread */

static void
s_drain_subscriptions(zsock_t *xpub)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    while (zmq_msg_recv(&msg, zsock_resolve(xpub), ZMQ_DONTWAIT) >= 0)
        ;
    zmq_msg_close(&msg);
}

/* Reads the control pipe; returns true on $TERM. */
static bool
s_on_pipe(broker_dispatch_t *self)
{
    bool term = false;
    char buf[16];
    int n;
    while ((n = zmq_recv(zsock_resolve(self->pipe_thread), buf, sizeof buf, ZMQ_DONTWAIT)) >= 0)
        if ((size_t)n == strlen(DISPATCH_TERM) && memcmp(buf, DISPATCH_TERM, (size_t)n) == 0)
            term = true;
    atomic_store(&self->signalled, false);
    uint64_t seq = atomic_load(&self->last_log_seq);
    if (seq > self->log_seq)
        self->log_seq = seq;
    return term;
}

static void *
s_run(void *arg)
{
    broker_dispatch_t *self = arg;
    int64_t next_beat = zclock_mono() + self->heartbeat_ms;
    bool term = false;
    while (!term) {
        if (self->auth)
            s_reopen(self);
        if (s_rebind_pending(self))
            s_rebind(self);
        zmq_pollitem_t items[] = {
            {zsock_resolve(self->pipe_thread), 0, ZMQ_POLLIN, 0},
            {zsock_resolve(self->workers), 0, ZMQ_POLLIN, 0},
            {zsock_resolve(self->office), 0, ZMQ_POLLIN, 0},
            {zsock_resolve(self->public_feed), 0, ZMQ_POLLIN, 0},
        };
        int64_t now = zclock_mono();
        int64_t wait = next_beat - now;
        if (s_rebind_pending(self) && wait > DISPATCH_REBIND_RETRY_MS)
            wait = DISPATCH_REBIND_RETRY_MS;
        if (self->store_backoff_ms && self->store_retry_at - now < wait)
            wait = self->store_retry_at - now; /* then s_pump delivers again */
        int rc = zmq_poll(items, 4, wait > 0 ? wait : 0);
        if (rc < 0 && zmq_errno() != EINTR) {
            dajia_log_error("dispatch: poll failed: %s", zmq_strerror(zmq_errno()));
            break;
        }
        if (rc > 0 && (items[0].revents & ZMQ_POLLIN))
            term = s_on_pipe(self);
        if (rc > 0 && (items[1].revents & ZMQ_POLLIN)) {
            for (int n = 0; n < DISPATCH_GROUP_MAX; n++) {
                if (!(zsock_events(self->workers) & ZMQ_POLLIN))
                    break;
                zmsg_t *msg = zmsg_recv(self->workers);
                if (!msg)
                    break;
                if (self->on_read)
                    self->on_read(msg, self->on_read_arg);
                s_on_message(self, msg);
                zmsg_destroy(&msg);
            }
            s_commit_group(self, false);
        }
        if (rc > 0 && (items[2].revents & ZMQ_POLLIN))
            s_drain_subscriptions(self->office);
        if (rc > 0 && (items[3].revents & ZMQ_POLLIN))
            s_drain_subscriptions(self->public_feed);
        if (zclock_mono() >= next_beat) {
            s_commit_group(self, false);
            s_heartbeat(self);
            next_beat = zclock_mono() + self->heartbeat_ms;
        }
        s_pump(self);
    }
    s_commit_group(self, true); /* the cursors, as far as they got */
    return NULL;
}

/* ================================================================ lifecycle */

static int
s_load_cursors(broker_dispatch_t *self)
{
    store_txn_t *txn = NULL;
    int rc = store_read_begin(self->store, &txn);
    if (rc)
        return rc;
    for (size_t i = 0; i < self->service_count && rc == 0; i++) {
        s_service_t *service = &self->services[i];
        const void *v;
        size_t vl;
        rc = store_get(txn, DAJIA_TABLE_CURSOR, service->name, strlen(service->name), &v, &vl);
        if (rc == 0 && vl == 8)
            service->cursor = service->pending = store_key_to_u64(v);
        else if (rc == STORE_NOTFOUND)
            rc = 0;
        char key[DISPATCH_TICK_KEY_MAX];
        if (rc == 0)
            rc = store_get(txn, DAJIA_TABLE_CURSOR, key, s_tick_key(service, key), &v, &vl);
        if (rc == 0 && vl == 8) {
            service->tick = service->tick_pending = store_key_to_u64(v);
            service->tick_known = true;
        } else if (rc == STORE_NOTFOUND) {
            rc = 0;
        }
    }
    if (rc == 0)
        rc = broker_feed_last_seq(txn, &self->feed_seq);
    store_txn_end(&txn);
    return rc;
}

int
broker_dispatch_start(const broker_dispatch_options_t *opts, broker_dispatch_t **out, char *err,
                      size_t errlen)
{
    if (errlen)
        err[0] = '\0'; /* a failure below that says nothing is out of memory */
    broker_dispatch_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    self->store = opts->store;
    self->auth = opts->auth;
    self->withdrawn_seen = broker_auth_withdrawn(opts->auth);
    self->log_seq = opts->last_log_seq;
    atomic_init(&self->last_log_seq, opts->last_log_seq);
    atomic_init(&self->signalled, false);
    self->window = opts->window ? opts->window : BROKER_DISPATCH_WINDOW;
    self->heartbeat_ms = opts->heartbeat_ms > 0 ? opts->heartbeat_ms : BROKER_DISPATCH_HEARTBEAT_MS;
    const char *const *names = opts->services ? opts->services : s_default_services;
    while (names[self->service_count])
        self->service_count++;
    self->services = calloc(self->service_count ? self->service_count : 1, sizeof *self->services);
    if (!self->services)
        goto out;
    for (size_t i = 0; i < self->service_count; i++)
        if (!(self->services[i].name = strdup(names[i])))
            goto out;
    int rc = s_load_cursors(self);
    if (rc) {
        snprintf(err, errlen, "cannot read the cursors and the feed: %s", dajia_strerror(rc));
        goto out;
    }
    for (size_t i = 0; i < self->service_count; i++)
        atomic_init(&self->services[i].shown, self->services[i].cursor);

    self->workers = zsock_new(ZMQ_ROUTER);
    self->office = zsock_new(ZMQ_XPUB);
    self->public_feed = zsock_new(ZMQ_XPUB);
    if (!self->workers || !self->office || !self->public_feed)
        goto out;
    zsock_set_sndhwm(self->workers, DISPATCH_HWM);
    zsock_set_rcvhwm(self->workers, DISPATCH_HWM);
    zsock_set_sndhwm(self->office, DISPATCH_HWM);
    zsock_set_sndhwm(self->public_feed, DISPATCH_HWM);
    zsock_set_linger(self->workers, 0);
    self->on_read = opts->on_read;
    self->on_read_arg = opts->arg;
    if (opts->prepare && (opts->prepare(self->workers, BROKER_DISPATCH_WORKERS, opts->workers,
                                        opts->arg, err, errlen) ||
                          opts->prepare(self->office, BROKER_DISPATCH_OFFICE, opts->office,
                                        opts->arg, err, errlen) ||
                          opts->prepare(self->public_feed, BROKER_DISPATCH_PUBLIC,
                                        opts->public_feed, opts->arg, err, errlen)))
        goto out;
    if (broker_guard_listen(self->workers, opts->workers, opts->auth, opts->insecure,
                            BROKER_AUTH_DOMAIN_WORKERS, "the workers",
                            &self->endpoint[BROKER_DISPATCH_WORKERS], err, errlen) ||
        broker_guard_listen(self->office, opts->office, opts->auth, opts->insecure,
                            BROKER_AUTH_DOMAIN_OFFICE, "the office feed",
                            &self->endpoint[BROKER_DISPATCH_OFFICE], err, errlen) ||
        broker_guard_listen(self->public_feed, opts->public_feed, opts->auth, opts->insecure,
                            BROKER_AUTH_DOMAIN_PUBLIC, "the public feed",
                            &self->endpoint[BROKER_DISPATCH_PUBLIC], err, errlen))
        goto out;
    self->pipe_thread = zsys_create_pipe(&self->pipe_api);
    if (!self->pipe_thread)
        goto out;
    /* Read before the thread starts: from then on feed_seq is the thread's. */
    uint64_t feed_seq = self->feed_seq;
    rc = pthread_create(&self->thread, NULL, s_run, self);
    if (rc) {
        snprintf(err, errlen, "cannot start the dispatch thread: %s", strerror(rc));
        goto out;
    }
    self->running = true;
    dajia_log_info(
        "dispatch: workers on %s, office feed on %s, public feed on %s; feed holds %" PRIu64
        " items",
        self->endpoint[0], self->endpoint[1], self->endpoint[2], feed_seq);
    *out = self;
    return 0;
out:
    if (errlen && !err[0]) /* nothing said yet: an allocation failed */
        snprintf(err, errlen, "out of memory (or out of sockets) starting the dispatcher");
    broker_dispatch_destroy(&self);
    return -1;
}

void
broker_dispatch_notify(broker_dispatch_t *self, uint64_t last_log_seq)
{
    atomic_store(&self->last_log_seq, last_log_seq);
    if (!atomic_exchange(&self->signalled, true))
        zmq_send(zsock_resolve(self->pipe_api), DISPATCH_WAKE, 1, ZMQ_DONTWAIT);
}

size_t
broker_dispatch_cursors(broker_dispatch_t *self, const char **names, uint64_t *cursors, size_t max)
{
    size_t n = self ? self->service_count : 0;
    for (size_t i = 0; i < n && i < max; i++) {
        names[i] = self->services[i].name;
        cursors[i] = atomic_load_explicit(&self->services[i].shown, memory_order_relaxed);
    }
    return n < max ? n : max;
}

const char *
broker_dispatch_endpoint(broker_dispatch_t *self, broker_dispatch_socket_t which)
{
    return self->endpoint[which];
}

void
broker_dispatch_destroy(broker_dispatch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_dispatch_t *self = *self_p;
    if (self->running) {
        zstr_send(self->pipe_api, DISPATCH_TERM);
        pthread_join(self->thread, NULL);
    }
    zsock_destroy(&self->workers);
    zsock_destroy(&self->office);
    zsock_destroy(&self->public_feed);
    zsock_destroy(&self->pipe_api);
    zsock_destroy(&self->pipe_thread);
    for (size_t i = 0; i < DISPATCH_SOCKETS; i++)
        free(self->endpoint[i]);
    while (self->worker_list) {
        s_worker_t *next = self->worker_list->next;
        free(self->worker_list);
        self->worker_list = next;
    }
    for (size_t i = 0; i < self->service_count; i++)
        free(self->services[i].name);
    free(self->services);
    for (size_t i = 0; i < self->entry_cap; i++)
        broker_feed_entry_clear(&self->entries[i]);
    free(self->entries);
    free(self);
    *self_p = NULL;
}
