/*  worker_shell: the socket side of a worker. See worker_shell.h for the protocol.

    The loop polls the DEALER (and the actor pipe) until the next heartbeat is due. What
    the DEALER has ready is read at once: consecutive EVENTs are applied as one batch in
    one write transaction, then answered with one DONE each; any other message first
    flushes the events read before it, so answers keep the order of the log.
*/
#include "worker_shell.h"
#include "dajia_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dajia_error.h"
#include "store.h"
#include "worker_store.h"
#include "dajia_worker_protocol.h"

#define SHELL_KEY_APPLIED  "applied"
#define SHELL_KEY_TICK     "tick"
#define SHELL_KEY_CLOCK    "clock"
#define SHELL_PRUNE_MAX    4096 /* stored outputs deleted per transaction */
#define SHELL_HWM          100000
#define SHELL_RETRY_MS     1000 /* pause before reconnecting after a store failure, */
#define SHELL_RETRY_MAX_MS 8000 /* doubled after each failure in a row up to this */
#define SHELL_PAUSE_STEP   100  /* a pause looks for $TERM or a signal this often */
#define SHELL_RESEND_MAX   4096 /* stored ticks sent again at once, at most */

typedef struct {
    uint64_t seq;
    int64_t received_at;
    int64_t submitted_at; /* the trusted submission time, else received_at */
    Dajia__Envelope *env; /* NULL: the record did not decode; skipped */
    worker_outputs_t *out;
    bool applied; /* applied by the batch now (not before) */
} s_event_t;

struct worker_shell_t {
    const worker_service_t *service;
    char *broker;
    char *state_dir;
    int heartbeat_ms;
    void (*on_registered)(const char *service, void *arg);
    void *arg;
    bool verbose;
    zcert_t *cert; /* NULL: no CURVE */
    char *broker_key;

    store_t *store;
    void *core;
    zsock_t *dealer;
    uint64_t last_applied;
    uint64_t confirmed;          /* the broker's cursor: outputs up to it may go */
    uint64_t pruned;             /* outputs up to here are deleted */
    uint64_t last_tick;          /* the last tick number given (durable) */
    uint64_t tick_confirmed;     /* the broker's last stored tick: outputs up to it may go */
    uint64_t tick_pruned;        /* tick outputs up to here are deleted */
    uint64_t tick_mark;          /* last tick number sent when the last heartbeat came */
    int64_t clock;               /* the tick clock: the last time the core was ticked at */
    bool tick_resend;            /* send the unconfirmed ticks at the next heartbeat */
    bool registered;             /* the broker answered since the last READY */
    int64_t ready_at;            /* when the last READY went (zclock_mono) */
    bool announced;              /* on_registered was called */
    bool reconnect;              /* a failed write: start again from what is durable */
    int retry_ms;                /* the pause before that; 0: no failure since the last write */
    dajia_log_limit_t store_log; /* this service's store failures (dajia_log.h) */
    int64_t broker_expires;      /* monotonic ms */
    int64_t next_beat;

    s_event_t events[WORKER_SHELL_BATCH_MAX];
    size_t event_count;
    worker_outputs_t *tick_out;
};

/* ================================================================ helpers */

/* A failure of the store (the disk, the map), as opposed to the core refusing an event:
   the first is retried, the second skips the event. */
static bool
s_is_store_failure(int rc)
{
    return (rc <= STORE_NOTFOUND && rc >= STORE_ERROR) || rc == -ENOSPC || rc == -EIO ||
           rc == -ENOMEM;
}

static void
s_event_clear(s_event_t *e)
{
    dajia__envelope__free_unpacked(e->env, NULL);
    e->env = NULL;
    if (e->out)
        worker_outputs_clear(e->out);
    e->applied = false;
}

/* ================================================================ stored outputs */

/* Encodes `out` as u32 length + bytes per item. Returns a malloc'd buffer or NULL. */
static uint8_t *
s_outputs_encode(const worker_outputs_t *out, size_t *len)
{
    size_t total = 0, n = worker_outputs_count(out);
    for (size_t i = 0; i < n; i++) {
        size_t l;
        worker_outputs_get(out, i, &l);
        total += 4 + l;
    }
    uint8_t *buf = malloc(total ? total : 1), *p = buf;
    if (!buf)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t l;
        const uint8_t *data = worker_outputs_get(out, i, &l);
        p[0] = (uint8_t)(l >> 24);
        p[1] = (uint8_t)(l >> 16);
        p[2] = (uint8_t)(l >> 8);
        p[3] = (uint8_t)l;
        memcpy(p + 4, data, l);
        p += 4 + l;
    }
    *len = total;
    return buf;
}

/* Deletes the entries of `table` (keys u64) up to `confirmed`, at most SHELL_PRUNE_MAX;
   sets *through to how far it got (from `pruned`, how far it had got before). */
static int
s_prune_table(store_txn_t *txn, const char *table, uint64_t confirmed, uint64_t pruned,
              uint64_t *through)
{
    *through = pruned;
    if (confirmed <= pruned)
        return 0;
    store_cursor_t *cursor = NULL;
    int rc = store_cursor_open(txn, table, &cursor);
    if (rc == STORE_NOTFOUND) {
        *through = confirmed;
        return 0;
    }
    if (rc)
        return rc;
    uint64_t *found = calloc(SHELL_PRUNE_MAX, sizeof *found);
    if (!found) {
        store_cursor_close(&cursor);
        return -ENOMEM;
    }
    size_t n = 0;
    const void *k, *v;
    size_t kl, vl;
    for (rc = store_cursor_seek(cursor, NULL, 0, &k, &kl, &v, &vl); rc == 0 && n < SHELL_PRUNE_MAX;
         rc = store_cursor_next(cursor, &k, &kl, &v, &vl)) {
        uint64_t seq = kl == 8 ? store_key_to_u64(k) : 0;
        if (seq > confirmed)
            break;
        found[n++] = seq;
    }
    store_cursor_close(&cursor);
    if (rc == STORE_NOTFOUND || rc == 0)
        rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned char key[8];
        store_u64_to_key(found[i], key);
        rc = store_del(txn, table, key, sizeof key);
    }
    if (rc == 0)
        *through = n == SHELL_PRUNE_MAX ? found[n - 1] : confirmed;
    free(found);
    return rc;
}

/* ================================================================ applying events */

typedef struct {
    worker_shell_t *self;
    size_t from, count; /* the events of this write */
    bool apply;         /* false: record them as applied without the core */
    uint64_t last;      /* result: last applied */
    uint64_t pruned;
    size_t failed; /* index of the event the core refused */
    uint64_t tick_pruned;
    uint64_t tick_no; /* for a tick: its number when it made outputs, else 0 */
    int64_t clock;    /* result: the tick clock after this write */
} s_batch_t;

/* Deletes the event and tick outputs the broker has confirmed (b->pruned and
   b->tick_pruned say how far it got). */
static int
s_prune(worker_shell_t *self, store_txn_t *txn, s_batch_t *b)
{
    int rc =
        s_prune_table(txn, WORKER_SHELL_TABLE_OUTPUT, self->confirmed, self->pruned, &b->pruned);
    if (rc == 0)
        rc = s_prune_table(txn, WORKER_SHELL_TABLE_TICKS, self->tick_confirmed, self->tick_pruned,
                           &b->tick_pruned);
    return rc;
}

static int
s_write_events(store_txn_t *txn, void *arg)
{
    s_batch_t *b = arg;
    worker_shell_t *self = b->self;
    b->last = self->last_applied;
    b->clock = self->clock;
    for (size_t i = b->from; i < b->from + b->count; i++) {
        s_event_t *e = &self->events[i];
        e->applied = false;
        worker_outputs_clear(e->out);
        if (e->seq <= b->last)
            continue;
        if (e->env && b->apply) {
            worker_event_t event = {.log_seq = e->seq,
                                    .received_at = e->received_at,
                                    .env = e->env,
                                    .submitted_at = e->submitted_at};
            /* What fell due before this event fires before it, in its transaction
               (worker_core.h: the tick clock). */
            int64_t at = self->service->event_time ? self->service->event_time(&event)
                                                   : worker_event_time(&event);
            int rc = 0;
            if (self->service->tick && at > b->clock) {
                rc = self->service->tick(self->core, txn, at, e->out);
                b->clock = at;
            }
            if (rc == 0)
                rc = self->service->apply(self->core, txn, &event, e->out);
            if (rc) {
                b->failed = i;
                return rc;
            }
        }
        if (worker_outputs_count(e->out) > 0) {
            size_t len = 0;
            uint8_t *buf = s_outputs_encode(e->out, &len);
            if (!buf)
                return -ENOMEM;
            unsigned char key[8];
            store_u64_to_key(e->seq, key);
            int rc = store_put(txn, WORKER_SHELL_TABLE_OUTPUT, key, sizeof key, buf, len, 0);
            free(buf);
            if (rc)
                return rc;
        }
        b->last = e->seq;
        e->applied = true;
    }
    int rc = 0;
    if (b->last != self->last_applied)
        rc = worker_store_u64_put(txn, WORKER_SHELL_TABLE_STATE, SHELL_KEY_APPLIED, b->last);
    if (rc == 0 && b->clock != self->clock)
        rc = worker_store_u64_put(txn, WORKER_SHELL_TABLE_STATE, SHELL_KEY_CLOCK,
                                  (uint64_t)b->clock);
    if (rc == 0)
        rc = s_prune(self, txn, b);
    return rc;
}

/* Sends the outputs `stored` (encoded by s_outputs_encode) as frames, the last without
   ZMQ_SNDMORE. The caller has sent the frames before them with ZMQ_SNDMORE and calls
   only with stored_len >= 4. */
static void
s_send_stored(void *sock, const uint8_t *p, size_t stored_len)
{
    while (stored_len >= 4) {
        size_t len = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
        if (len > stored_len - 4)
            len = stored_len - 4; /* our own bytes: cannot happen, but never overread */
        stored_len -= 4 + len;
        zmq_send(sock, p + 4, len, stored_len >= 4 ? ZMQ_SNDMORE : 0);
        p += 4 + len;
    }
}

/* Sends ["DONE", seq, outputs...], the outputs from `out` or, when NULL, as stored. */
static void
s_send_done(worker_shell_t *self, s_event_t *e, store_txn_t *txn)
{
    void *sock = zsock_resolve(self->dealer);
    unsigned char key[8];
    store_u64_to_key(e->seq, key);
    uint8_t seq[WORKER_U64_SIZE];
    worker_u64_put(e->seq, seq);
    const void *stored = NULL;
    size_t stored_len = 0;
    if (!e->applied && txn &&
        store_get(txn, WORKER_SHELL_TABLE_OUTPUT, key, sizeof key, &stored, &stored_len))
        stored_len = 0; /* none, or pruned: the broker has them already */
    size_t n = e->applied ? worker_outputs_count(e->out) : 0;
    bool more = n > 0 || stored_len > 0;
    worker_send_command(sock, WORKER_CMD_DONE, ZMQ_SNDMORE);
    zmq_send(sock, seq, sizeof seq, more ? ZMQ_SNDMORE : 0);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *data = worker_outputs_get(e->out, i, &len);
        zmq_send(sock, data, len, i + 1 < n ? ZMQ_SNDMORE : 0);
    }
    s_send_stored(sock, stored, stored_len);
}

static int
s_write(worker_shell_t *self, s_batch_t *b)
{
    b->failed = SIZE_MAX;
    int rc = store_write(self->store, s_write_events, b);
    if (rc == 0) {
        self->retry_ms = 0;
        self->last_applied = b->last;
        self->clock = b->clock;
        self->pruned = b->pruned;
        self->tick_pruned = b->tick_pruned;
    }
    return rc;
}

/* Applies the events read so far and answers each. */
static void
s_flush_events(worker_shell_t *self)
{
    if (self->event_count == 0)
        return;
    s_batch_t b = {self, 0, self->event_count, true, 0, 0, SIZE_MAX, 0, 0, 0};
    int rc = s_write(self, &b);
    if (rc && !s_is_store_failure(rc)) {
        /* The core refused an event: apply one at a time, skipping the ones it refuses,
           so one bad event cannot stop the service. */
        for (size_t i = 0; i < self->event_count && (rc == 0 || !s_is_store_failure(rc)); i++) {
            s_batch_t one = {self, i, 1, true, 0, 0, SIZE_MAX, 0, 0, 0};
            rc = s_write(self, &one);
            if (rc && !s_is_store_failure(rc)) {
                dajia_log_error_limited(
                    "%s: the core failed on log_seq %" PRIu64 " (%s); the event is skipped",
                    self->service->name, self->events[i].seq, dajia_strerror(rc));
                one.apply = false;
                rc = s_write(self, &one);
            }
        }
    }
    if (rc) {
        self->retry_ms = self->retry_ms ? self->retry_ms * 2 : SHELL_RETRY_MS;
        if (self->retry_ms > SHELL_RETRY_MAX_MS)
            self->retry_ms = SHELL_RETRY_MAX_MS;
        dajia_log_limited(&self->store_log, DAJIA_LOG_ERROR,
                          "%s: cannot store the state after log_seq %" PRIu64
                          ": %s; away for %d ms, then reconnecting to have the events again",
                          self->service->name, self->last_applied, dajia_strerror(rc),
                          self->retry_ms);
        self->reconnect = true;
    }
    if (self->verbose)
        dajia_log_debug("%s: %zu events read, applied through log_seq %" PRIu64,
                        self->service->name, self->event_count, self->last_applied);
    store_txn_t *txn = NULL;
    bool resend = false;
    for (size_t i = 0; i < self->event_count; i++)
        if (!self->events[i].applied && self->events[i].seq <= self->last_applied)
            resend = true;
    if (resend && store_read_begin(self->store, &txn) != 0)
        txn = NULL;
    for (size_t i = 0; i < self->event_count; i++) {
        s_event_t *e = &self->events[i];
        if (e->applied || e->seq <= self->last_applied)
            s_send_done(self, e, txn);
        s_event_clear(e);
    }
    store_txn_end(&txn);
    self->event_count = 0;
}

/* Keeps an EVENT for the batch (flushing a full batch first). */
static void
s_take_event(worker_shell_t *self, zmsg_t *msg)
{
    zframe_t *body = zmsg_next(msg);
    if (!body)
        return;
    Dajia__LogRecord *rec = dajia__log_record__unpack(NULL, zframe_size(body), zframe_data(body));
    if (!rec || rec->log_seq == 0) {
        dajia_log_warning_limited("%s: an EVENT that is not a LogRecord (%zu bytes); ignored",
                                  self->service->name, zframe_size(body));
        dajia__log_record__free_unpacked(rec, NULL);
        return;
    }
    if (self->event_count == WORKER_SHELL_BATCH_MAX)
        s_flush_events(self);
    s_event_t *e = &self->events[self->event_count];
    e->seq = rec->log_seq;
    e->received_at = rec->received_at;
    e->submitted_at = rec->submitted_at ? rec->submitted_at : rec->received_at;
    e->env = dajia__envelope__unpack(NULL, rec->envelope.len, rec->envelope.data);
    if (!e->env)
        dajia_log_error_limited("%s: log_seq %" PRIu64 " holds no readable envelope; skipped",
                                self->service->name, e->seq);
    dajia__log_record__free_unpacked(rec, NULL);
    self->event_count++;
}

/* ================================================================ ticks */

static int
s_write_tick(store_txn_t *txn, void *arg)
{
    s_batch_t *b = arg;
    worker_shell_t *self = b->self;
    b->tick_no = 0;
    worker_outputs_clear(self->tick_out);
    int rc = self->service->tick(self->core, txn, b->clock, self->tick_out);
    if (rc == 0 && worker_outputs_count(self->tick_out) > 0) {
        /* Numbered past what the broker has too: a fresh state must not reuse numbers
           the broker has stored (it would drop the outputs as known). */
        uint64_t tick_no =
            (self->last_tick > self->tick_confirmed ? self->last_tick : self->tick_confirmed) + 1;
        size_t len = 0;
        uint8_t *buf = s_outputs_encode(self->tick_out, &len);
        if (!buf)
            return -ENOMEM;
        unsigned char key[8];
        store_u64_to_key(tick_no, key);
        rc = store_put(txn, WORKER_SHELL_TABLE_TICKS, key, sizeof key, buf, len, 0);
        free(buf);
        if (rc == 0)
            rc = worker_store_u64_put(txn, WORKER_SHELL_TABLE_STATE, SHELL_KEY_TICK, tick_no);
        /* The clock is stored with what it fired; a tick that fired nothing writes
           nothing, so an idle worker does not sync its store every second. */
        if (rc == 0)
            rc = worker_store_u64_put(txn, WORKER_SHELL_TABLE_STATE, SHELL_KEY_CLOCK,
                                      (uint64_t)b->clock);
        if (rc == 0)
            b->tick_no = tick_no;
    }
    if (rc == 0)
        rc = s_prune(self, txn, b);
    return rc;
}

static void
s_on_tick(worker_shell_t *self, zmsg_t *msg)
{
    uint64_t now = 0;
    if (!self->service->tick || !worker_frame_u64(zmsg_next(msg), &now))
        return;
    /* The broker sends TICK only while we have answered every event of the log, so its
       clock may move ours; it never moves it back. */
    int64_t at = (int64_t)now > self->clock ? (int64_t)now : self->clock;
    s_batch_t b = {self, 0, 0, false, 0, self->pruned, SIZE_MAX, self->tick_pruned, 0, at};
    int rc = store_write(self->store, s_write_tick, &b);
    if (rc) {
        dajia_log_error_limited("%s: the tick at %" PRIu64 " failed: %s", self->service->name, now,
                                dajia_strerror(rc));
        return;
    }
    self->clock = at;
    self->pruned = b.pruned;
    self->tick_pruned = b.tick_pruned;
    if (b.tick_no == 0)
        return;
    self->last_tick = b.tick_no;
    size_t n = worker_outputs_count(self->tick_out);
    void *sock = zsock_resolve(self->dealer);
    uint8_t number[WORKER_U64_SIZE];
    worker_u64_put(b.tick_no, number);
    worker_send_command(sock, WORKER_CMD_TICKED, ZMQ_SNDMORE);
    zmq_send(sock, number, sizeof number, ZMQ_SNDMORE);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *data = worker_outputs_get(self->tick_out, i, &len);
        zmq_send(sock, data, len, i + 1 < n ? ZMQ_SNDMORE : 0);
    }
}

/* Sends again, in order, the stored outputs of the ticks the broker has not confirmed. */
static void
s_resend_ticks(worker_shell_t *self)
{
    if (self->last_tick <= self->tick_confirmed)
        return;
    store_txn_t *txn = NULL;
    store_cursor_t *cursor = NULL;
    int rc = store_read_begin(self->store, &txn);
    unsigned char key[8];
    store_u64_to_key(self->tick_confirmed + 1, key);
    const void *k, *v;
    size_t kl, vl;
    if (rc == 0)
        rc = worker_store_seek(txn, WORKER_SHELL_TABLE_TICKS, key, sizeof key, &cursor, &k, &kl, &v,
                               &vl);
    void *sock = zsock_resolve(self->dealer);
    size_t sent = 0;
    for (; rc == 0 && sent < SHELL_RESEND_MAX; rc = store_cursor_next(cursor, &k, &kl, &v, &vl)) {
        if (kl != 8 || vl < 4)
            continue; /* not ours, or no outputs: nothing to send */
        uint8_t number[WORKER_U64_SIZE];
        worker_u64_put(store_key_to_u64(k), number); /* the stored key, in the wire's form */
        worker_send_command(sock, WORKER_CMD_TICKED, ZMQ_SNDMORE);
        zmq_send(sock, number, sizeof number, ZMQ_SNDMORE);
        s_send_stored(sock, v, vl);
        sent++;
    }
    if (rc != 0 && rc != STORE_NOTFOUND)
        dajia_log_error_limited("%s: cannot read the stored tick outputs: %s", self->service->name,
                                dajia_strerror(rc));
    else if (sent && self->verbose)
        dajia_log_debug("%s: sent again the outputs of %zu ticks after tick %" PRIu64,
                        self->service->name, sent, self->tick_confirmed);
    store_cursor_close(&cursor);
    store_txn_end(&txn);
}

/* ================================================================ heartbeats */

static int
s_write_prune(store_txn_t *txn, void *arg)
{
    s_batch_t *b = arg;
    return s_prune(b->self, txn, b);
}

static void
s_on_heartbeat(worker_shell_t *self, zmsg_t *msg)
{
    uint64_t cursor = 0, tick = 0;
    if (worker_frame_u64(zmsg_next(msg), &cursor) && cursor > self->confirmed)
        self->confirmed = cursor;
    bool has_tick = worker_frame_u64(zmsg_next(msg), &tick);
    if (has_tick && tick > self->tick_confirmed)
        self->tick_confirmed = tick;
    if (self->confirmed > self->pruned || self->tick_confirmed > self->tick_pruned) {
        s_batch_t b = {self, 0, 0, false, 0, self->pruned, SIZE_MAX, self->tick_pruned, 0, 0};
        if (store_write(self->store, s_write_prune, &b) == 0) {
            self->pruned = b.pruned;
            self->tick_pruned = b.tick_pruned;
        }
    }
    /* Ticks sent before the previous heartbeat and still not stored were lost (or the
       broker could not store them): send them again. A broker that does not say which
       ticks it has stored gets them once per registration. */
    if (self->tick_resend || (has_tick && self->tick_confirmed < self->tick_mark))
        s_resend_ticks(self);
    self->tick_resend = false;
    self->tick_mark = self->last_tick;
}

/* ================================================================ connection */

/* READY on the current socket: registers (again) with the broker. */
static void
s_send_ready(worker_shell_t *self)
{
    uint8_t applied[WORKER_U64_SIZE];
    worker_u64_put(self->last_applied, applied);
    void *sock = zsock_resolve(self->dealer);
    worker_send_command(sock, WORKER_CMD_READY, ZMQ_SNDMORE);
    zmq_send(sock, self->service->name, strlen(self->service->name), ZMQ_SNDMORE);
    zmq_send(sock, applied, sizeof applied, 0);
    self->registered = false; /* the next answer confirms it */
    self->ready_at = zclock_mono();
    self->tick_resend = true; /* the unconfirmed ticks, once the broker answers */
    self->broker_expires = self->ready_at + (int64_t)self->heartbeat_ms * WORKER_SHELL_LIVENESS;
    if (self->verbose)
        dajia_log_debug("%s: registering with %s, applied through %" PRIu64, self->service->name,
                        self->broker, self->last_applied);
}

static int
s_connect(worker_shell_t *self)
{
    zsock_destroy(&self->dealer);
    self->dealer = zsock_new(ZMQ_DEALER);
    if (!self->dealer)
        return -1;
    zsock_set_linger(self->dealer, 0);
    zsock_set_rcvhwm(self->dealer, SHELL_HWM);
    zsock_set_sndhwm(self->dealer, SHELL_HWM);
    if (self->cert) {
        zcert_apply(self->cert, self->dealer);
        zsock_set_curve_serverkey(self->dealer, self->broker_key);
    }
    if (zsock_connect(self->dealer, "%s", self->broker) < 0) {
        dajia_log_error("%s: cannot connect to %s: %s", self->service->name, self->broker,
                        zmq_strerror(zmq_errno()));
        return -1;
    }
    s_send_ready(self);
    return 0;
}

/* Handles one message from the broker (EVENTs are only gathered). */
static void
s_on_message(worker_shell_t *self, zmsg_t *msg)
{
    zframe_t *command = zmsg_first(msg);
    if (worker_frame_is(command, WORKER_CMD_REGISTER)) {
        /* The broker does not know this connection (it restarted, or closed every
           connection when keys were withdrawn): register again, at most once per
           heartbeat interval however many answers ask for it. */
        if (zclock_mono() - self->ready_at >= self->heartbeat_ms) {
            dajia_log_info("%s: the broker asks us to register again", self->service->name);
            s_send_ready(self);
        }
        return;
    }
    self->broker_expires = zclock_mono() + (int64_t)self->heartbeat_ms * WORKER_SHELL_LIVENESS;
    if (!self->registered) {
        self->registered = true;
        dajia_log_info("%s: registered with %s", self->service->name, self->broker);
        if (self->on_registered && !self->announced)
            self->on_registered(self->service->name, self->arg);
        self->announced = true;
    }
    if (worker_frame_is(command, WORKER_CMD_EVENT)) {
        s_take_event(self, msg);
        return;
    }
    s_flush_events(self);
    if (worker_frame_is(command, WORKER_CMD_TICK))
        s_on_tick(self, msg);
    else if (worker_frame_is(command, WORKER_CMD_HEARTBEAT))
        s_on_heartbeat(self, msg);
    else
        dajia_log_warning_limited("%s: unknown command from the broker; ignored",
                                  self->service->name);
}

static bool
s_pipe_term(zsock_t *pipe)
{
    char *command = zstr_recv(pipe);
    bool term = !command || streq(command, "$TERM");
    zstr_free(&command);
    return term;
}

/* After a failed write: away from the broker for self->retry_ms (no socket, so nothing
   is sent to us meanwhile), watching for $TERM on `pipe` or an interrupt. Returns true
   when told to stop. A store that keeps failing (a full disk) is tried at most every
   SHELL_RETRY_MAX_MS, not as fast as the broker can deliver. */
static bool
s_pause(worker_shell_t *self, zsock_t *pipe)
{
    zsock_destroy(&self->dealer);
    int64_t until = zclock_mono() + self->retry_ms;
    for (int64_t now = zclock_mono(); now < until; now = zclock_mono()) {
        if (!pipe && zsys_interrupted)
            return true;
        int64_t wait = until - now < SHELL_PAUSE_STEP ? until - now : SHELL_PAUSE_STEP;
        zmq_pollitem_t item = {pipe ? zsock_resolve(pipe) : NULL, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, pipe ? 1 : 0, wait);
        if (rc > 0 && s_pipe_term(pipe))
            return true;
    }
    return false;
}

int
worker_shell_run(worker_shell_t *self, zsock_t *pipe)
{
    if (s_connect(self) != 0)
        return -1;
    self->next_beat = zclock_mono() + self->heartbeat_ms;
    while (pipe || !zsys_interrupted) {
        zmq_pollitem_t items[] = {
            {zsock_resolve(self->dealer), 0, ZMQ_POLLIN, 0},
            {pipe ? zsock_resolve(pipe) : NULL, 0, ZMQ_POLLIN, 0},
        };
        int64_t wait = self->next_beat - zclock_mono();
        int rc = zmq_poll(items, pipe ? 2 : 1, wait > 0 ? wait : 0);
        if (rc < 0) {
            if (zmq_errno() == EINTR)
                continue;
            dajia_log_error("%s: poll failed: %s", self->service->name, zmq_strerror(zmq_errno()));
            return -1;
        }
        if (pipe && (items[1].revents & ZMQ_POLLIN) && s_pipe_term(pipe))
            break;
        if (items[0].revents & ZMQ_POLLIN) {
            for (int n = 0; n < WORKER_SHELL_BATCH_MAX * 2; n++) {
                if (!(zsock_events(self->dealer) & ZMQ_POLLIN))
                    break;
                zmsg_t *msg = zmsg_recv(self->dealer);
                if (!msg)
                    break;
                s_on_message(self, msg);
                zmsg_destroy(&msg);
            }
            s_flush_events(self);
        }
        int64_t now = zclock_mono();
        if (now >= self->next_beat) {
            worker_send_command(zsock_resolve(self->dealer), WORKER_CMD_HEARTBEAT, 0);
            self->next_beat = now + self->heartbeat_ms;
        }
        if (self->reconnect || now > self->broker_expires) {
            if (self->reconnect && s_pause(self, pipe))
                break;
            if (!self->reconnect && self->registered)
                dajia_log_warning("%s: no word from the broker for %d heartbeats; reconnecting",
                                  self->service->name, WORKER_SHELL_LIVENESS);
            self->registered = false; /* the next answer confirms the new READY */
            self->reconnect = false;
            if (s_connect(self) != 0)
                return -1;
        }
    }
    s_flush_events(self);
    return 0;
}

void
worker_shell_actor(zsock_t *pipe, void *args)
{
    zsock_signal(pipe, 0);
    worker_shell_run(args, pipe);
}

/* ================================================================ lifecycle */

/* Reads the u64 at `key` of the shell's state table into *value (0 when absent). */
static int
s_get_u64(store_txn_t *txn, const char *key, uint64_t *value)
{
    const void *v;
    size_t vl;
    *value = 0;
    int rc = store_get(txn, WORKER_SHELL_TABLE_STATE, key, strlen(key), &v, &vl);
    if (rc == 0 && vl == 8)
        *value = store_key_to_u64(v);
    return rc == STORE_NOTFOUND ? 0 : rc;
}

/* Reads the last applied log_seq, the last tick number and the tick clock. */
static int
s_read_state(worker_shell_t *self)
{
    store_txn_t *txn = NULL;
    int rc = store_read_begin(self->store, &txn);
    if (rc)
        return rc;
    uint64_t clock = 0;
    rc = s_get_u64(txn, SHELL_KEY_APPLIED, &self->last_applied);
    if (rc == 0)
        rc = s_get_u64(txn, SHELL_KEY_TICK, &self->last_tick);
    if (rc == 0)
        rc = s_get_u64(txn, SHELL_KEY_CLOCK, &clock);
    self->clock = (int64_t)clock;
    store_txn_end(&txn);
    return rc;
}

int
worker_shell_new(const worker_shell_options_t *opts, worker_shell_t **out, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0'; /* a failure below that says nothing is out of memory */
    worker_shell_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    self->service = opts->service;
    self->heartbeat_ms = opts->heartbeat_ms > 0 ? opts->heartbeat_ms : WORKER_SHELL_HEARTBEAT_MS;
    self->on_registered = opts->on_registered;
    self->arg = opts->arg;
    self->verbose = opts->verbose;
    self->broker = strdup(opts->broker);
    self->state_dir = strdup(opts->state_dir);
    self->tick_out = worker_outputs_new();
    if (!self->broker || !self->state_dir || !self->tick_out)
        goto out;
    if (opts->cert) {
        if (!opts->broker_key) {
            snprintf(err, errlen, "a CURVE certificate needs the broker's public key");
            goto out;
        }
        self->cert = zcert_dup(opts->cert);
        self->broker_key = strdup(opts->broker_key);
        if (!self->cert || !self->broker_key)
            goto out;
    }
    for (size_t i = 0; i < WORKER_SHELL_BATCH_MAX; i++)
        if (!(self->events[i].out = worker_outputs_new()))
            goto out;
    if (zsys_dir_create("%s", self->state_dir) != 0) {
        snprintf(err, errlen, "cannot create the state directory %s: %s", self->state_dir,
                 strerror(errno));
        goto out;
    }
    int rc = store_open(self->state_dir, NULL, &self->store);
    if (rc == 0)
        rc = s_read_state(self);
    if (rc) {
        snprintf(err, errlen, "cannot open the state in %s: %s", self->state_dir,
                 dajia_strerror(rc));
        goto out;
    }
    worker_settings_t *empty = NULL;
    const worker_settings_t *settings = opts->settings;
    if (!settings && !(settings = empty = worker_settings_new()))
        goto out;
    rc = self->service->create(settings, &self->core);
    worker_settings_destroy(&empty);
    if (rc) {
        snprintf(err, errlen, "cannot create the %s core: %s", self->service->name,
                 dajia_strerror(rc));
        goto out;
    }
    dajia_log_info("%s: state in %s, applied through log_seq %" PRIu64, self->service->name,
                   self->state_dir, self->last_applied);
    *out = self;
    return 0;
out:
    if (errlen && !err[0]) /* nothing said yet: an allocation failed */
        snprintf(err, errlen, "out of memory");
    worker_shell_destroy(&self);
    return -1;
}

uint64_t
worker_shell_last_applied(const worker_shell_t *self)
{
    return self->last_applied;
}

/* ================================================================ services */

const worker_service_t *
worker_service_find(const char *name)
{
    const worker_service_t *services[] = {&worker_aggregate, &worker_escalate, &worker_circulate};
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
        if (streq(services[i]->name, name))
            return services[i];
    return NULL;
}

void
worker_shell_destroy(worker_shell_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    worker_shell_t *self = *self_p;
    if (self->core && self->service->destroy)
        self->service->destroy(&self->core);
    zsock_destroy(&self->dealer);
    store_destroy(&self->store);
    for (size_t i = 0; i < WORKER_SHELL_BATCH_MAX; i++) {
        s_event_clear(&self->events[i]);
        worker_outputs_destroy(&self->events[i].out);
    }
    worker_outputs_destroy(&self->tick_out);
    free(self->broker);
    free(self->state_dir);
    zcert_destroy(&self->cert);
    free(self->broker_key);
    free(self);
    *self_p = NULL;
}
