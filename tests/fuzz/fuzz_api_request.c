/*  fuzz_api_request: the broker's api, whole requests of any shape, over inproc.

    A real broker server (broker_server_new, the same object dajia-broker runs) serves on
    a thread of this process, with its log in a temporary directory and every endpoint
    moved to inproc://. Each input is one request of 1 to S_MAX_FRAMES frames, sent by a
    DEALER; the target waits for the answer and checks it against what the protocol
    promises (see tests/fuzz/README.md for the input format):

      - every request gets exactly one answer, within S_RECV_TIMEOUT_MS: the broker
        neither dies nor hangs nor stays silent;
      - STATS is answered with JSON whose counters equal the answers given so far;
      - HELLO, with any number of frames, is answered HELLO with a Hello: the same
        store_id for as long as this broker runs, and the last log_seq acknowledged;
      - anything but a two-frame SUBMIT is REJECTED with BAD_FRAMES or UNKNOWN_COMMAND
        (a command the broker has since learned may answer in its own way, but an ACK
        it sends must still be a well-formed refusal);
      - a SUBMIT is judged by the codec itself, run here at two moments that enclose
        the broker's reading of its clock: t0, a little before sending (the broker reads
        the clock once per drain of its socket, and a drain may have begun just before),
        and t1, after the answer. Validity only grows with time (the only clock rule is
        an upper bound), so: ACCEPTED or DUPLICATE requires the event to be valid at t1;
        REJECTED requires it to be invalid at t0, with the same reason whenever t0 and t1
        agree on one;
      - ACCEPTED comes once per (unit, event_id), with log_seq one past the last;
        DUPLICATE only after that, with the original log_seq (guarantees 1 and 2);
      - every reason text is non-empty UTF-8, every event_id echoed is within limits.

    Every S_RECYCLE_SEQ stored events the broker is stopped and started afresh on an
    empty directory, so a long run neither fills the disk nor the dedup table here.
*/
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <czmq.h>
#include <jansson.h>

#include "broker_config.h"
#include "broker_server.h"
#include "dajia_api.h"
#include "dajia_clock.h"
#include "dajia_codec.h"
#include "fuzz_util.h"

#define S_MAX_FRAMES      5      /* frames in one request: 1 .. S_MAX_FRAMES */
#define S_MAX_MESSAGE     "2048" /* the broker's size cap, low so inputs can pass it */
#define S_MAX_REPEATED    "16"
#define S_MAX_FUTURE_S    "86400"
#define S_RECV_TIMEOUT_MS 20000 /* an answer slower than this is a hang */
#define S_RECYCLE_SEQ     20000 /* stored events before the broker starts afresh */
#define S_STATS_EVERY     1024  /* inputs between two STATS checks of our own */
#define S_REASON_SLOTS    64
#define S_CLOCK_SLACK_MS  1000 /* a drain of the api socket lasts less than this */
#define S_PATH_MAX        4096

typedef struct {
    uint64_t requests; /* requests other than STATS */
    uint64_t accepted;
    uint64_t duplicates;
    uint64_t rejected;
    uint64_t by_reason[S_REASON_SLOTS];
} s_counts_t;

typedef struct {
    char dir[S_PATH_MAX];      /* ours, removed at exit */
    char data[S_PATH_MAX];     /* the current broker's log */
    char endpoint[S_PATH_MAX]; /* the current broker's api */
    unsigned generation;
    broker_config_t *config;
    broker_server_t *server;
    pthread_t thread;
    bool running;
    atomic_int serve_rc; /* what broker_server_run returned; 1 while it runs */
    zsock_t *client;
    dajia_limits_t limits;
    char region[DAJIA_REGION_PREFIX_MAX + 1]; /* broker/region, for limits.region_prefix */
    zhashx_t *stored;                         /* "unit\nevent_id" -> log_seq (uintptr_t) */
    uint64_t last_seq;
    char store_id[DAJIA_MAX_ID + 1]; /* what the first HELLO said; "" before */
    s_counts_t counts;
    uint64_t inputs;
} s_fuzz_t;

static s_fuzz_t s_fuzz;

/* ==================================================================== broker */

static void *
s_serve(void *arg)
{
    atomic_store(&s_fuzz.serve_rc, broker_server_run(arg));
    return NULL;
}

static void
s_set(const char *key, const char *value)
{
    if (broker_config_set(s_fuzz.config, key, value) != 0)
        FUZZ_FAIL("the broker has no configuration key %s", key);
}

/* Starts a broker on a fresh directory, every endpoint of it on inproc://. */
static void
s_start(void)
{
    char err[512];
    s_fuzz.generation++;
    snprintf(s_fuzz.data, sizeof s_fuzz.data, "%s/broker-%u", s_fuzz.dir, s_fuzz.generation);
    if (broker_config_load(NULL, &s_fuzz.config, err, sizeof err) != 0)
        FUZZ_FAIL("configuration: %s", err);
    s_set("broker/data", s_fuzz.data);
    s_set("broker/max_message", S_MAX_MESSAGE);
    s_set("limits/max_repeated", S_MAX_REPEATED);
    s_set("limits/max_future", S_MAX_FUTURE_S);
    /* Nothing of this broker may take a port or a path on this machine, nor share state
       with the one before: every endpoint goes to inproc://, and the in-process workers
       keep their state beside this log. Keys this broker does not know are skipped. */
    static const char *const endpoints[] = {"broker/api", "broker/workers", "broker/office",
                                            "broker/public"};
    for (const broker_config_key_t *k = broker_config_keys(); k->path; k++) {
        const char *value = broker_config_get(s_fuzz.config, k->path);
        bool endpoint =
            value && (strncmp(value, "tcp://", 6) == 0 || strncmp(value, "ipc://", 6) == 0);
        for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++)
            endpoint = endpoint || strcmp(k->path, endpoints[i]) == 0;
        if (!endpoint)
            continue;
        char inproc[S_PATH_MAX];
        snprintf(inproc, sizeof inproc, "inproc://fuzz-%d-%u-%s", (int)getpid(), s_fuzz.generation,
                 k->path);
        s_set(k->path, inproc);
    }
    char state[S_PATH_MAX];
    snprintf(state, sizeof state, "%s/workers-%u", s_fuzz.dir, s_fuzz.generation);
    broker_config_set(s_fuzz.config, "worker/state", state);
    /* No key directory: inproc needs no CURVE, and the oracle below knows no identities
       (a unit certificate would add "unit mismatch" to the codec's verdicts). */
    broker_config_set(s_fuzz.config, "broker/keys", "");
    /* No reject budget: this client earns thousands of rejections a second, and the
       requests of a throttled connection go unanswered by design. */
    broker_config_set(s_fuzz.config, "broker/reject_budget", "0");
    snprintf(s_fuzz.endpoint, sizeof s_fuzz.endpoint, "%s",
             broker_config_get(s_fuzz.config, "broker/api"));
    if (broker_config_validate(s_fuzz.config, err, sizeof err) != 0)
        FUZZ_FAIL("configuration: %s", err);

    dajia_limits_default(&s_fuzz.limits);
    s_fuzz.limits.max_message = (size_t)atol(S_MAX_MESSAGE);
    s_fuzz.limits.max_repeated = (size_t)atol(S_MAX_REPEATED);
    s_fuzz.limits.max_future_ms = atoll(S_MAX_FUTURE_S) * 1000;
    /* The broker's region, as it refuses a region outside it (broker/region). */
    snprintf(s_fuzz.region, sizeof s_fuzz.region, "%s",
             broker_config_get(s_fuzz.config, "broker/region"));
    s_fuzz.limits.region_prefix = s_fuzz.region;

    if (broker_server_new(s_fuzz.config, &s_fuzz.server, err, sizeof err) != 0)
        FUZZ_FAIL("broker_server_new: %s", err);
    atomic_store(&s_fuzz.serve_rc, 1);
    if (pthread_create(&s_fuzz.thread, NULL, s_serve, s_fuzz.server) != 0)
        FUZZ_FAIL("cannot start the broker thread");
    s_fuzz.running = true;

    s_fuzz.client = zsock_new(ZMQ_DEALER);
    FUZZ_CHECK(s_fuzz.client, "cannot create a DEALER");
    zsock_set_rcvtimeo(s_fuzz.client, S_RECV_TIMEOUT_MS);
    zsock_set_sndtimeo(s_fuzz.client, S_RECV_TIMEOUT_MS);
    zsock_set_linger(s_fuzz.client, 0);
    if (zsock_connect(s_fuzz.client, "%s", s_fuzz.endpoint) != 0)
        FUZZ_FAIL("cannot connect to %s", s_fuzz.endpoint);

    s_fuzz.stored = zhashx_new();
    FUZZ_CHECK(s_fuzz.stored, "out of memory");
    s_fuzz.last_seq = 0;
    s_fuzz.store_id[0] = '\0';
    memset(&s_fuzz.counts, 0, sizeof s_fuzz.counts);
}

/* Stops the broker (as SIGTERM would) and removes its directory. */
static void
s_stop(void)
{
    if (!s_fuzz.running)
        return;
    zsys_interrupted = 1;
    /* The loop notices at its next wakeup; a request makes that now. */
    zstr_sendm(s_fuzz.client, DAJIA_API_STATS);
    zstr_send(s_fuzz.client, "");
    pthread_join(s_fuzz.thread, NULL);
    zsys_interrupted = 0;
    s_fuzz.running = false;
    zsock_destroy(&s_fuzz.client);
    broker_server_destroy(&s_fuzz.server);
    broker_config_destroy(&s_fuzz.config);
    zhashx_destroy(&s_fuzz.stored);
    /* The log and whatever the workers kept: everything of this generation. */
    fuzz_remove_tree(s_fuzz.data);
    char state[S_PATH_MAX];
    snprintf(state, sizeof state, "%s/workers-%u", s_fuzz.dir, s_fuzz.generation);
    fuzz_remove_tree(state);
}

static void
s_cleanup(void)
{
    s_stop();
    fuzz_remove_tree(s_fuzz.dir);
}

static void
s_init(void)
{
    /* libFuzzer handles SIGINT itself; the broker loop is stopped by s_stop. */
    zsys_handler_set(NULL);
    zsys_init();
    const char *tmp = getenv("TMPDIR");
    snprintf(s_fuzz.dir, sizeof s_fuzz.dir, "%s/dajia-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(s_fuzz.dir))
        FUZZ_FAIL("mkdtemp %s: %s", s_fuzz.dir, strerror(errno));
    s_start();
    /* Registered after zsys_init, so it runs before czmq's own shutdown. */
    atexit(s_cleanup);
}

/* ================================================================== requests */

typedef struct {
    const uint8_t *data[S_MAX_FRAMES];
    size_t size[S_MAX_FRAMES];
    size_t count;
} s_request_t;

/* The input format: byte 0 picks the number of frames (1 + byte % S_MAX_FRAMES); each
   frame but the last is a 2-byte little-endian length and that many bytes (cut short at
   the end of the input); the last frame is whatever remains. */
static void
s_parse(const uint8_t *data, size_t size, s_request_t *req)
{
    memset(req, 0, sizeof *req);
    req->count = size ? 1 + data[0] % S_MAX_FRAMES : 1;
    size_t at = size ? 1 : 0;
    for (size_t i = 0; i < req->count; i++) {
        size_t left = size - at, len = left;
        if (i + 1 < req->count) {
            len = left >= 2 ? (size_t)data[at] | (size_t)data[at + 1] << 8 : 0;
            at += left >= 2 ? 2 : left;
            left = size - at;
            if (len > left)
                len = left;
        }
        req->data[i] = data + at;
        req->size[i] = len;
        at += len;
    }
}

static bool
s_frame_is(const s_request_t *req, size_t i, const char *text)
{
    size_t len = strlen(text);
    return i < req->count && req->size[i] == len && memcmp(req->data[i], text, len) == 0;
}

/* libFuzzer's timer (SIGALRM, for -timeout) interrupts blocking calls now and then:
   EINTR is retried, here as in the broker. */
static void
s_send(const s_request_t *req)
{
    void *handle = zsock_resolve(s_fuzz.client);
    for (size_t i = 0; i < req->count; i++) {
        int flags = i + 1 < req->count ? ZMQ_SNDMORE : 0;
        int rc;
        do
            rc = zmq_send(handle, req->data[i], req->size[i], flags);
        while (rc < 0 && zmq_errno() == EINTR);
        if (rc != (int)req->size[i])
            FUZZ_FAIL("cannot send frame %zu: %s", i, zmq_strerror(zmq_errno()));
    }
}

/* The answer: exactly one message, in time. */
static zmsg_t *
s_answer(void)
{
    int64_t deadline = zclock_mono() + S_RECV_TIMEOUT_MS;
    zmq_pollitem_t item = {zsock_resolve(s_fuzz.client), 0, ZMQ_POLLIN, 0};
    for (;;) {
        int64_t left = deadline - zclock_mono();
        if (left <= 0) {
            int rc = atomic_load(&s_fuzz.serve_rc);
            if (rc == 1)
                FUZZ_FAIL("no answer within %d ms; the broker loop still runs", S_RECV_TIMEOUT_MS);
            FUZZ_FAIL("no answer within %d ms; the broker loop returned %d", S_RECV_TIMEOUT_MS, rc);
        }
        int rc = zmq_poll(&item, 1, (long)left);
        if (rc < 0 && zmq_errno() != EINTR)
            FUZZ_FAIL("cannot wait for the answer: %s", zmq_strerror(zmq_errno()));
        if (rc > 0 && (item.revents & ZMQ_POLLIN))
            break;
    }
    /* A message arrives whole: its frames are all there, nothing blocks. */
    zmsg_t *reply = zmsg_recv(s_fuzz.client);
    FUZZ_CHECK(reply, "cannot read the answer: %s", zmq_strerror(zmq_errno()));
    FUZZ_CHECK(zmsg_size(reply) == 2, "an answer of %zu frames", zmsg_size(reply));
    return reply;
}

static bool
s_frame_eq(zframe_t *frame, const char *text)
{
    return zframe_size(frame) == strlen(text) &&
           memcmp(zframe_data(frame), text, zframe_size(frame)) == 0;
}

static json_int_t
s_json_int(json_t *obj, const char *key)
{
    json_t *value = json_object_get(obj, key);
    FUZZ_CHECK(json_is_integer(value), "STATS has no integer \"%s\"", key);
    return json_integer_value(value);
}

/* STATS agrees with every answer given since this broker started. */
static void
s_check_stats(zframe_t *body)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)zframe_data(body), zframe_size(body), 0, &jerr);
    FUZZ_CHECK(json_is_object(root), "STATS is not a JSON object: %s", jerr.text);
    const s_counts_t *c = &s_fuzz.counts;
    json_int_t received = s_json_int(root, "received");
    FUZZ_CHECK(received >= (json_int_t)(c->accepted + c->duplicates + c->rejected) &&
                   received <= (json_int_t)c->requests,
               "received %lld, but %" PRIu64 " requests got %" PRIu64 " acks", (long long)received,
               c->requests, c->accepted + c->duplicates + c->rejected);
    FUZZ_CHECK(s_json_int(root, "accepted") == (json_int_t)c->accepted, "accepted differs");
    FUZZ_CHECK(s_json_int(root, "duplicates") == (json_int_t)c->duplicates, "duplicates differ");
    FUZZ_CHECK(s_json_int(root, "rejected") == (json_int_t)c->rejected, "rejected differs");
    json_t *by_reason = json_object_get(root, "rejected_by_reason");
    FUZZ_CHECK(json_is_object(by_reason), "STATS has no rejected_by_reason");
    for (int r = 1; r < S_REASON_SLOTS; r++) {
        if (!c->by_reason[r])
            continue;
        const char *name = dajia_reason_name((Dajia__Reason)r);
        json_t *n = json_object_get(by_reason, name);
        FUZZ_CHECK(json_is_integer(n) && json_integer_value(n) == (json_int_t)c->by_reason[r],
                   "rejected_by_reason.%s differs (%" PRIu64 " answered)", name, c->by_reason[r]);
    }
    json_t *log = json_object_get(root, "log");
    FUZZ_CHECK(json_is_object(log), "STATS has no log");
    FUZZ_CHECK(s_json_int(log, "last_seq") == (json_int_t)s_fuzz.last_seq,
               "log.last_seq %lld, the last ack said %" PRIu64,
               (long long)s_json_int(log, "last_seq"), s_fuzz.last_seq);
    json_decref(root);
}

static Dajia__Ack *
s_ack(zmsg_t *reply)
{
    zframe_t *body = zmsg_last(reply);
    Dajia__Ack *ack = dajia__ack__unpack(NULL, zframe_size(body), zframe_data(body));
    FUZZ_CHECK(ack, "an ACK that does not decode");
    FUZZ_CHECK(ack->status == DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED ||
                   ack->status == DAJIA__ACK_STATUS__ACK_STATUS_DUPLICATE ||
                   ack->status == DAJIA__ACK_STATUS__ACK_STATUS_REJECTED,
               "ack status %d", (int)ack->status);
    FUZZ_CHECK(strlen(ack->event_id) <= DAJIA_MAX_ID &&
                   fuzz_utf8_valid(ack->event_id, strlen(ack->event_id)),
               "an ack names an event_id no event may have");
    FUZZ_CHECK(fuzz_utf8_valid(ack->reason_text, strlen(ack->reason_text)),
               "reason_text is not UTF-8");
    if (ack->status == DAJIA__ACK_STATUS__ACK_STATUS_REJECTED) {
        FUZZ_CHECK(ack->reason != DAJIA__REASON__REASON_NONE, "rejected without a reason");
        FUZZ_CHECK(*ack->reason_text, "rejected without a sentence");
        FUZZ_CHECK(ack->log_seq == 0, "rejected with log_seq %" PRIu64, ack->log_seq);
        s_fuzz.counts.rejected++;
        s_fuzz.counts.by_reason[(unsigned)ack->reason % S_REASON_SLOTS]++;
    } else {
        FUZZ_CHECK(ack->reason == DAJIA__REASON__REASON_NONE, "stored with reason %s",
                   dajia_reason_name(ack->reason));
        FUZZ_CHECK(ack->log_seq > 0, "stored without a log_seq");
        if (ack->status == DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED)
            s_fuzz.counts.accepted++;
        else
            s_fuzz.counts.duplicates++;
    }
    return ack;
}

static bool
s_known(const char *unit, void *arg)
{
    return broker_config_is_member(arg, unit);
}

/* The codec's verdict on `body` at `now_ms`, as the broker reaches it. */
static Dajia__Reason
s_verdict(const s_request_t *req, int64_t now_ms, Dajia__Envelope **out)
{
    dajia_verdict_t verdict;
    Dajia__Envelope *env = NULL;
    if (dajia_envelope_decode(req->data[1], req->size[1], &s_fuzz.limits, now_ms, s_known,
                              s_fuzz.config, &env, &verdict) != 0)
        return verdict.reason;
    if (out)
        *out = env;
    else
        dajia__envelope__free_unpacked(env, NULL);
    return DAJIA__REASON__REASON_NONE;
}

static void
s_check_submit(const s_request_t *req, int64_t t0, int64_t t1, const Dajia__Ack *ack)
{
    Dajia__Envelope *env = NULL;
    Dajia__Reason before = s_verdict(req, t0, NULL);
    Dajia__Reason after = s_verdict(req, t1, &env);
    if (ack->status == DAJIA__ACK_STATUS__ACK_STATUS_REJECTED) {
        if (ack->reason == DAJIA__REASON__REASON_STORAGE_UNAVAILABLE)
            FUZZ_CHECK(after == DAJIA__REASON__REASON_NONE, "a bad event was tried for storage");
        else
            FUZZ_CHECK(before != DAJIA__REASON__REASON_NONE,
                       "rejected (%s: %s) though valid when sent", dajia_reason_name(ack->reason),
                       ack->reason_text);
        if (before == after && ack->reason != DAJIA__REASON__REASON_STORAGE_UNAVAILABLE)
            FUZZ_CHECK(ack->reason == before, "rejected as %s, the codec says %s",
                       dajia_reason_name(ack->reason), dajia_reason_name(before));
        dajia__envelope__free_unpacked(env, NULL);
        return;
    }
    if (after != DAJIA__REASON__REASON_NONE)
        FUZZ_FAIL("stored an event the codec refuses (%s)", dajia_reason_name(after));
    FUZZ_CHECK(strcmp(ack->event_id, env->event_id) == 0, "ack for \"%s\", sent \"%s\"",
               ack->event_id, env->event_id);
    FUZZ_CHECK(ack->received_at >= t0 && ack->received_at <= t1,
               "received_at %" PRId64 " outside [%" PRId64 ", %" PRId64 "]", ack->received_at, t0,
               t1);
    char *key = zsys_sprintf("%s\n%s", env->unit, env->event_id);
    FUZZ_CHECK(key, "out of memory");
    void *seen = zhashx_lookup(s_fuzz.stored, key);
    if (ack->status == DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED) {
        FUZZ_CHECK(!seen, "%s/%s stored twice (first at %" PRIuPTR ")", env->unit, env->event_id,
                   (uintptr_t)seen);
        FUZZ_CHECK(ack->log_seq == s_fuzz.last_seq + 1, "log_seq %" PRIu64 " after %" PRIu64,
                   ack->log_seq, s_fuzz.last_seq);
        s_fuzz.last_seq = ack->log_seq;
        zhashx_insert(s_fuzz.stored, key, (void *)(uintptr_t)ack->log_seq);
    } else {
        FUZZ_CHECK(seen, "DUPLICATE for %s/%s, never stored", env->unit, env->event_id);
        FUZZ_CHECK(ack->log_seq == (uintptr_t)seen,
                   "DUPLICATE with log_seq %" PRIu64 ", stored at %" PRIuPTR, ack->log_seq,
                   (uintptr_t)seen);
    }
    zstr_free(&key);
    dajia__envelope__free_unpacked(env, NULL);
}

/* A FEED that answers a REPLAY holds items in order from the one asked for, only
   public ones unless the office's were asked for, says nothing of items past its
   last_feed_seq, and when it says `more` it says where to go on (next_seq), past every
   item it holds: a reader that asks again from there neither misses nor repeats one. */
static void
s_check_replay(const s_request_t *req, const Dajia__FeedBatch *batch)
{
    if (batch->reason != DAJIA__REASON__REASON_NONE) {
        FUZZ_CHECK(batch->n_items == 0 && !batch->more, "a refused replay with items");
        return;
    }
    Dajia__ReplayRequest *ask =
        req->count == 2 ? dajia__replay_request__unpack(NULL, req->size[1], req->data[1]) : NULL;
    FUZZ_CHECK(ask, "a replay answered that was not a ReplayRequest");
    uint64_t from = ask->from_seq ? ask->from_seq : 1, prev = 0;
    bool office = ask->audience == DAJIA__AUDIENCE__AUDIENCE_OFFICE;
    for (size_t i = 0; i < batch->n_items; i++) {
        const Dajia__FeedItem *item = batch->items[i];
        FUZZ_CHECK(item->feed_seq >= from && item->feed_seq > prev,
                   "item %" PRIu64 " out of order (from %" PRIu64 ", after %" PRIu64 ")",
                   item->feed_seq, from, prev);
        FUZZ_CHECK(office || item->audience == DAJIA__AUDIENCE__AUDIENCE_PUBLIC,
                   "an office item %" PRIu64 " in a public replay", item->feed_seq);
        FUZZ_CHECK(item->feed_seq <= batch->last_feed_seq,
                   "item %" PRIu64 " past last_feed_seq %" PRIu64, item->feed_seq,
                   batch->last_feed_seq);
        prev = item->feed_seq;
    }
    if (batch->more)
        FUZZ_CHECK(batch->next_seq > prev && batch->next_seq > from,
                   "more, but next_seq %" PRIu64 " does not move past %" PRIu64, batch->next_seq,
                   prev > from ? prev : from);
    dajia__replay_request__free_unpacked(ask, NULL);
}

/* HELLO: the store's identity, the same for as long as this broker runs (a fresh
   directory is a new store), and the last log_seq this client was told of. */
static void
s_check_hello(zmsg_t *reply)
{
    FUZZ_CHECK(s_frame_eq(zmsg_first(reply), DAJIA_API_HELLO_REPLY), "HELLO answered otherwise");
    zframe_t *body = zmsg_last(reply);
    Dajia__Hello *hello = dajia__hello__unpack(NULL, zframe_size(body), zframe_data(body));
    FUZZ_CHECK(hello, "a HELLO answer that does not decode");
    size_t len = strlen(hello->store_id);
    FUZZ_CHECK(len > 0 && len <= DAJIA_MAX_ID && fuzz_utf8_valid(hello->store_id, len),
               "a HELLO without a store_id, or with one no id may be");
    if (!s_fuzz.store_id[0])
        memcpy(s_fuzz.store_id, hello->store_id, len + 1);
    FUZZ_CHECK(strcmp(s_fuzz.store_id, hello->store_id) == 0,
               "the store_id changed from %s to %s while the broker ran", s_fuzz.store_id,
               hello->store_id);
    FUZZ_CHECK(hello->last_log_seq == s_fuzz.last_seq,
               "HELLO says last_log_seq %" PRIu64 ", the last ack said %" PRIu64,
               hello->last_log_seq, s_fuzz.last_seq);
    dajia__hello__free_unpacked(hello, NULL);
}

/* A request that is not SUBMIT, STATS or HELLO. */
static void
s_check_other(const s_request_t *req, zmsg_t *reply)
{
    zframe_t *kind = zmsg_first(reply);
    if (s_frame_eq(kind, DAJIA_API_FEED)) {
        /* REPLAY, once the broker has feeds: the batch must decode. */
        zframe_t *body = zmsg_last(reply);
        Dajia__FeedBatch *batch =
            dajia__feed_batch__unpack(NULL, zframe_size(body), zframe_data(body));
        FUZZ_CHECK(batch, "a FEED answer that does not decode");
        FUZZ_CHECK(s_frame_is(req, 0, DAJIA_API_REPLAY), "FEED in answer to something else");
        s_check_replay(req, batch);
        dajia__feed_batch__free_unpacked(batch, NULL);
        return;
    }
    FUZZ_CHECK(s_frame_eq(kind, DAJIA_API_ACK), "an answer that is neither ACK, STATS nor FEED");
    Dajia__Ack *ack = s_ack(reply);
    FUZZ_CHECK(ack->status == DAJIA__ACK_STATUS__ACK_STATUS_REJECTED, "a bad request was %s",
               ack->status == DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED ? "accepted" : "a duplicate");
    bool known = s_frame_is(req, 0, DAJIA_API_SUBMIT) || s_frame_is(req, 0, DAJIA_API_REPLAY);
    Dajia__Reason want = (req->size[0] == 0 || known) ? DAJIA__REASON__REASON_BAD_FRAMES
                                                      : DAJIA__REASON__REASON_UNKNOWN_COMMAND;
    /* A command the broker learned later may refuse for reasons of its own. */
    if (!s_frame_is(req, 0, DAJIA_API_REPLAY))
        FUZZ_CHECK(ack->reason == want, "answered %s, expected %s", dajia_reason_name(ack->reason),
                   dajia_reason_name(want));
    dajia__ack__free_unpacked(ack, NULL);
}

static void
s_stats(void)
{
    s_request_t req = {.count = 2};
    req.data[0] = (const uint8_t *)DAJIA_API_STATS;
    req.size[0] = DAJIA_API_LEN(DAJIA_API_STATS);
    req.data[1] = (const uint8_t *)"";
    s_send(&req);
    zmsg_t *reply = s_answer();
    FUZZ_CHECK(s_frame_eq(zmsg_first(reply), DAJIA_API_STATS_REPLY), "STATS answered otherwise");
    s_check_stats(zmsg_last(reply));
    zmsg_destroy(&reply);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_fuzz.running)
        s_init();
    s_request_t req;
    s_parse(data, size, &req);

    int64_t t0 = dajia_clock_now_ms() - S_CLOCK_SLACK_MS;
    s_send(&req);
    zmsg_t *reply = s_answer();
    int64_t t1 = dajia_clock_now_ms();

    if (s_frame_is(&req, 0, DAJIA_API_STATS)) {
        FUZZ_CHECK(s_frame_eq(zmsg_first(reply), DAJIA_API_STATS_REPLY),
                   "STATS answered otherwise");
        s_check_stats(zmsg_last(reply));
    } else if (s_frame_is(&req, 0, DAJIA_API_HELLO)) {
        s_check_hello(reply);
    } else {
        s_fuzz.counts.requests++;
        if (req.count == 2 && s_frame_is(&req, 0, DAJIA_API_SUBMIT)) {
            FUZZ_CHECK(s_frame_eq(zmsg_first(reply), DAJIA_API_ACK), "SUBMIT answered otherwise");
            Dajia__Ack *ack = s_ack(reply);
            s_check_submit(&req, t0, t1, ack);
            dajia__ack__free_unpacked(ack, NULL);
        } else
            s_check_other(&req, reply);
    }
    zmsg_destroy(&reply);

    if (++s_fuzz.inputs % S_STATS_EVERY == 0)
        s_stats();
    if (s_fuzz.last_seq >= S_RECYCLE_SEQ) {
        s_stop();
        s_start();
    }
    return 0;
}
