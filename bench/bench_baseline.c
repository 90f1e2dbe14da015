/*  bench_baseline: the reference server (see bench_baseline.h).

    Single-threaded on purpose: receive, commit, answer, in turn. The messages of a drain
    are kept as they were received (zmq_msg_t, no copy) until their acks are sent.
*/
#include "bench_baseline.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "dajia_api.h"
#include "dajia_error.h"
#include "bench_wire.h"
#include "store.h"

#define BASELINE_TABLE   "log"
#define BASELINE_HWM     1000000 /* as the broker's api socket */
#define BASELINE_POLL_MS 1000
#define BASELINE_ID_MAX  255 /* an event_id longer than this is answered cut short */

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

typedef struct {
    void *sock;
    store_t *store;
    zmq_msg_t routing[BENCH_BASELINE_CAP];
    zmq_msg_t body[BENCH_BASELINE_CAP];
    size_t count;
    uint64_t last_seq;
    uint64_t accepted, batches;
} s_server_t;

/* The envelope's field 1 (event_id): a walk over the tags, skipping other fields, no
   more. Sets *id (NULL when absent) and *len. */
static void
s_event_id(const uint8_t *p, size_t size, const uint8_t **id, size_t *len)
{
    const uint8_t *end = p + size;
    *id = NULL;
    *len = 0;
    bench_wire_field_t f;
    while (p < end && bench_wire_next(&p, end, &f) == 0) {
        if (f.type == 2 && f.number == 1) {
            *id = f.bytes;
            *len = f.len;
            return;
        }
    }
}

/* The batch: every body kept, appended under the next log_seqs. */
static int
s_append(store_txn_t *txn, void *arg)
{
    s_server_t *self = arg;
    for (size_t i = 0; i < self->count; i++) {
        unsigned char key[8];
        store_u64_to_key(self->last_seq + 1 + i, key);
        int rc = store_put(txn, BASELINE_TABLE, key, sizeof key, zmq_msg_data(&self->body[i]),
                           zmq_msg_size(&self->body[i]), STORE_APPEND);
        if (rc)
            return rc;
    }
    return 0;
}

/* [routing][ACK][Ack{event_id, status ACCEPTED}]; consumes the routing frame. */
static void
s_ack(s_server_t *self, size_t i)
{
    const uint8_t *id = NULL;
    size_t len = 0;
    s_event_id(zmq_msg_data(&self->body[i]), zmq_msg_size(&self->body[i]), &id, &len);
    if (len > BASELINE_ID_MAX)
        len = BASELINE_ID_MAX;
    uint8_t ack[BASELINE_ID_MAX + 8];
    size_t n = 0;
    ack[n++] = (1 << 3) | 2; /* event_id: its length as a varint of one or two bytes */
    if (len >= 0x80) {
        ack[n++] = (uint8_t)(0x80 | (len & 0x7f));
        ack[n++] = (uint8_t)(len >> 7);
    } else {
        ack[n++] = (uint8_t)len;
    }
    if (len)
        memcpy(ack + n, id, len);
    n += len;
    ack[n++] = (2 << 3) | 0; /* status */
    ack[n++] = 1;            /* ACK_STATUS_ACCEPTED */
    if (zmq_msg_send(&self->routing[i], self->sock, ZMQ_SNDMORE) < 0) {
        zmq_msg_close(&self->routing[i]);
        return;
    }
    zmq_send(self->sock, DAJIA_API_ACK, DAJIA_API_LEN(DAJIA_API_ACK), ZMQ_SNDMORE);
    zmq_send(self->sock, ack, n, 0);
}

static void
s_stats(s_server_t *self, zmq_msg_t *routing)
{
    char json[128];
    int n = snprintf(json, sizeof json, "{\"accepted\":%" PRIu64 ",\"batches\":%" PRIu64 "}",
                     self->accepted, self->batches);
    if (zmq_msg_send(routing, self->sock, ZMQ_SNDMORE) < 0)
        return;
    zmq_send(self->sock, DAJIA_API_STATS_REPLY, DAJIA_API_LEN(DAJIA_API_STATS_REPLY), ZMQ_SNDMORE);
    zmq_send(self->sock, json, (size_t)n, 0);
}

/* Reads what is ready, up to the cap: SUBMITs are kept, STATS answered, the rest
   dropped. */
static void
s_drain(s_server_t *self)
{
    zmq_msg_t cmd, extra;
    zmq_msg_init(&cmd);
    zmq_msg_init(&extra);
    while (self->count < BENCH_BASELINE_CAP) {
        zmq_msg_t *routing = &self->routing[self->count];
        zmq_msg_t *body = &self->body[self->count];
        zmq_msg_init(routing);
        zmq_msg_init(body);
        if (zmq_msg_recv(routing, self->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(routing);
            zmq_msg_close(body);
            break;
        }
        bool has_cmd = zmq_msg_more(routing) && zmq_msg_recv(&cmd, self->sock, 0) >= 0;
        bool has_body = has_cmd && zmq_msg_more(&cmd) && zmq_msg_recv(body, self->sock, 0) >= 0;
        while (has_body && zmq_msg_more(body) && zmq_msg_recv(&extra, self->sock, 0) >= 0)
            if (!zmq_msg_more(&extra))
                break;
        if (has_body &&
            dajia_api_word_is(zmq_msg_data(&cmd), zmq_msg_size(&cmd), DAJIA_API_SUBMIT)) {
            self->count++;
            continue;
        }
        if (has_cmd && dajia_api_word_is(zmq_msg_data(&cmd), zmq_msg_size(&cmd), DAJIA_API_STATS))
            s_stats(self, routing);
        zmq_msg_close(routing);
        zmq_msg_close(body);
    }
    zmq_msg_close(&cmd);
    zmq_msg_close(&extra);
}

/* Commits what the drain kept and answers it. Returns 0, or the store's error. */
static int
s_commit(s_server_t *self)
{
    if (!self->count)
        return 0;
    int rc = store_write(self->store, s_append, self);
    for (size_t i = 0; i < self->count; i++) {
        if (rc == 0)
            s_ack(self, i);
        zmq_msg_close(&self->routing[i]);
        zmq_msg_close(&self->body[i]);
    }
    if (rc == 0) {
        self->last_seq += self->count;
        self->accepted += self->count;
        self->batches++;
    }
    self->count = 0;
    return rc;
}

static int
s_serve(s_server_t *self)
{
    while (!s_stop) {
        zmq_pollitem_t item = {self->sock, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, BASELINE_POLL_MS);
        if (rc < 0 && zmq_errno() == EINTR)
            continue;
        if (rc < 0) {
            fprintf(stderr, "baseline: poll: %s\n", zmq_strerror(zmq_errno()));
            return 1;
        }
        if (rc == 0)
            continue;
        s_drain(self);
        rc = s_commit(self);
        if (rc) {
            fprintf(stderr, "baseline: commit: %s\n", dajia_strerror(rc));
            return 1;
        }
    }
    return 0;
}

int
bench_baseline_serve(const char *dir)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int status = 1;
    void *ctx = zmq_ctx_new();
    s_server_t *self = calloc(1, sizeof *self);
    if (!ctx || !self) {
        fprintf(stderr, "baseline: out of memory\n");
        goto out;
    }
    int rc = store_open(dir, NULL, &self->store);
    if (rc) {
        fprintf(stderr, "baseline: cannot open a store in %s: %s\n", dir, dajia_strerror(rc));
        goto out;
    }
    self->sock = zmq_socket(ctx, ZMQ_ROUTER);
    int hwm = BASELINE_HWM, linger = 0;
    char endpoint[256];
    size_t size = sizeof endpoint;
    if (!self->sock || zmq_setsockopt(self->sock, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(self->sock, "tcp://127.0.0.1:*") != 0 ||
        zmq_getsockopt(self->sock, ZMQ_LAST_ENDPOINT, endpoint, &size) != 0) {
        fprintf(stderr, "baseline: cannot listen: %s\n", zmq_strerror(zmq_errno()));
        goto out;
    }
    printf("READY api=%s\n", endpoint);
    fflush(stdout);
    status = s_serve(self);
out:
    if (self) {
        if (self->sock)
            zmq_close(self->sock);
        store_destroy(&self->store);
        free(self);
    }
    if (ctx)
        zmq_ctx_term(ctx);
    return status;
}
