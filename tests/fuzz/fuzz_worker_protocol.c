/*  fuzz_worker_protocol: what a worker may send the broker, over inproc.

    The real dispatcher (broker_dispatch_start, the thread dajia-broker runs for its
    workers and feeds) runs on a store of its own in a temporary directory, every
    endpoint on inproc://, with a window of S_WINDOW events and a heartbeat of
    S_HEARTBEAT_MS. Its log holds S_SEED_EVENTS events from the start and one more every
    S_CHECK_EVERY inputs. These peers of this process talk to it:

      - the fuzzed worker, a DEALER registered for S_HOME: each input is one message it
        sends (see tests/fuzz/README.md and fuzz_util.h for the format: a frame count,
        length-prefixed frames, and optionally a valid command put in front, "DONE" with
        the log_seq the dispatcher expects next, "TICKED" with the tick number due, ...,
        or options: sent as a standby of S_OTHER, the dispatcher's next store failing).
        Then it says READY for S_HOME again: the answer (a HEARTBEAT) comes after the
        input's message is handled, and the next input finds it registered as before;
      - two well-behaved workers, DEALERs that answer every EVENT with DONE and keep their
        registration alive: the oracle worker of S_ORACLE, whose DONEs carry one FeedItem,
        and the worker of S_OTHER, whose DONEs carry none;
      - two SUBs, on the office and public feeds.

    After each input (each receive has a deadline of S_TIMEOUT_MS; a missed one is a hang):
      - the dispatcher answered the READY: it is alive and reads the workers socket;
      - whatever it sent the workers is well-formed: EVENTs are LogRecords of the log,
        HEARTBEATs carry the cursor and the tick number, TICKs a time;
      - the feed log holds FeedItems only, numbered 1, 2, 3 ... by key and by feed_seq,
        each with a service of the dispatcher and an item set, each packed as protobuf-c
        packs it (a fixed point); the cursor table holds 8-byte values only, and no
        service's cursor is past the end of the log (a DONE for an event never sent
        once moved it there: see tests/fuzz/README.md);
      - what the feeds published is what the feed log holds, byte for byte, in order:
        office every item, without gaps (once the SUB's subscription shows), public the
        public ones only, none left out; topics match the items;
      - the well-behaved workers keep getting heartbeats and are sent events in order,
        from at or below what they applied, without gaps; every S_CHECK_EVERY inputs an
        event is appended to the log, the oracle worker must be sent it, and once it
        answers, its item must be published on the office feed.

    The dispatcher keeps its state from one input to the next (that is what is fuzzed),
    so a reproducer may need the inputs before it, or to run several times (-runs=N).
    Its log lines are dropped unless DAJIA_FUZZ_LOG is set in the environment. Every
    S_RECYCLE_INPUTS inputs, or when the feed passes S_RECYCLE_FEED items, the dispatcher
    is stopped and started afresh on an empty directory.
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
#include <sys/stat.h>
#include <unistd.h>

#include <czmq.h>

#include "broker_batch.h"
#include "broker_dispatch.h"
#include "broker_feed.h"
#include "dajia.pb-c.h"
#include "dajia_clock.h"
#include "dajia_error.h"
#include "dajia_tables.h"
#include "fuzz_util.h"
#include "store.h"

#define S_HOME           "aggregate" /* the fuzzed worker's service */
#define S_ORACLE         "escalate"  /* the oracle worker's service */
#define S_OTHER          "circulate" /* the other well-behaved worker's */
#define S_WINDOW         4           /* events in flight per worker */
#define S_HEARTBEAT_MS   100         /* the dispatcher's: a worker dies after 3 missed */
#define S_TIMEOUT_MS     10000       /* an answer slower than this is a hang */
#define S_SEED_EVENTS    8           /* events in the log when the dispatcher starts */
#define S_CHECK_EVERY    64          /* inputs between two events for the oracle worker */
#define S_RECYCLE_INPUTS 20000       /* inputs before the dispatcher starts afresh */
#define S_RECYCLE_FEED   100000      /* or feed items */
#define S_PATH_MAX       4096
#define S_FRAMES         (FUZZ_WORKER_MAX_FRAMES + 2) /* the input's, and a prefix of two */
#define S_NO_LIMIT       UINT64_MAX

static const char *const s_services[] = {"aggregate", "escalate", "circulate", NULL};

typedef struct {
    const uint8_t *data[S_FRAMES];
    size_t size[S_FRAMES];
    size_t count;
    uint8_t number[8]; /* the prefix's log_seq or tick number */
    bool standby;      /* sent as a standby (of S_OTHER), not as S_HOME's active worker */
    bool fail;         /* the dispatcher's next store fails */
} s_message_t;

/* A well-behaved worker: answers every EVENT with DONE, keeps its registration. */
typedef struct {
    const char *service;
    bool outputs; /* its DONEs carry an item */
    zsock_t *sock;
    uint64_t applied; /* the last event it was sent in order */
    int64_t sent_at;  /* when it last sent anything (monotonic ms) */
    int64_t beat_at;  /* when it last had a heartbeat */
} s_peer_t;

typedef struct {
    char dir[S_PATH_MAX];  /* ours, removed at exit */
    char data[S_PATH_MAX]; /* the current dispatcher's store */
    unsigned generation;
    bool running;
    bool log; /* DAJIA_FUZZ_LOG: the dispatcher's log lines go to stderr */
    store_t *store;
    broker_dispatch_t *dispatch;
    zsock_t *fuzz;   /* the fuzzed worker */
    s_peer_t oracle; /* a well-behaved worker of S_ORACLE, whose items are checked */
    s_peer_t other;  /* a well-behaved worker of S_OTHER, without outputs */
    zsock_t *office, *public_feed;
    uint64_t log_seq; /* the last event in the log */
    /* What the fuzzed worker takes as due for S_HOME: a guess, for the prefixes only. */
    uint64_t due, tick_due;
    bool tick_known;
    pthread_t thread; /* the fuzzer's */
    /* What is checked already. */
    uint64_t feed_checked;
    uint64_t office_seen, public_seen; /* the last feed_seq (office) or public_seq (public)
                                          each SUB had; 0: none yet */
    uint64_t public_feed_seen;         /* the feed_seq of the last public item seen */
    uint64_t inputs;                   /* since this dispatcher started */
} s_fuzz_t;

static s_fuzz_t s_fuzz;

/* Set: the dispatcher's next store fails (the disk is full), through the store's test
   seam. The fuzzer's own writes (events appended to the log) are not failed. */
static atomic_bool s_fail_commit;

static int
s_commit_hook(void)
{
    if (pthread_equal(pthread_self(), s_fuzz.thread))
        return 0;
    return atomic_exchange(&s_fail_commit, false) ? ENOSPC : 0;
}

/* ================================================================== helpers */

static bool
s_is(const uint8_t *data, size_t size, const char *text)
{
    size_t len = strlen(text);
    return size == len && memcmp(data, text, len) == 0;
}

static bool
s_is_service(const uint8_t *data, size_t size)
{
    for (size_t i = 0; s_services[i]; i++)
        if (s_is(data, size, s_services[i]))
            return true;
    return false;
}

/* libFuzzer's timer (SIGALRM, for -timeout) interrupts blocking calls now and then:
   EINTR is retried. */
static void
s_send(zsock_t *sock, const s_message_t *msg)
{
    void *handle = zsock_resolve(sock);
    for (size_t i = 0; i < msg->count; i++) {
        int flags = i + 1 < msg->count ? ZMQ_SNDMORE : 0;
        int rc;
        do
            rc = zmq_send(handle, msg->data[i], msg->size[i], flags);
        while (rc < 0 && zmq_errno() == EINTR);
        if (rc != (int)msg->size[i])
            FUZZ_FAIL("cannot send frame %zu: %s", i, zmq_strerror(zmq_errno()));
    }
}

static void
s_add(s_message_t *msg, const void *data, size_t size)
{
    msg->data[msg->count] = data;
    msg->size[msg->count] = size;
    msg->count++;
}

/* The next message on `sock` before `deadline` (monotonic ms), or NULL if none came. */
static zmsg_t *
s_recv(zsock_t *sock, int64_t deadline)
{
    zmq_pollitem_t item = {zsock_resolve(sock), 0, ZMQ_POLLIN, 0};
    for (;;) {
        int64_t left = deadline - zclock_mono();
        int rc = zmq_poll(&item, 1, left > 0 ? (long)left : 0);
        if (rc < 0 && zmq_errno() != EINTR)
            FUZZ_FAIL("cannot wait for a message: %s", zmq_strerror(zmq_errno()));
        if (rc > 0 && (item.revents & ZMQ_POLLIN))
            break;
        if (left <= 0)
            return NULL;
    }
    /* A message arrives whole: its frames are all there, nothing blocks. */
    zmsg_t *msg = zmsg_recv(sock);
    FUZZ_CHECK(msg, "cannot read a message: %s", zmq_strerror(zmq_errno()));
    return msg;
}

static uint64_t
s_u64(zframe_t *frame)
{
    return store_key_to_u64(zframe_data(frame));
}

/* ==================================================================== the log */

typedef struct {
    unsigned char key[8];
    uint8_t *record;
    size_t len;
} s_append_t;

static int
s_append_batch(store_txn_t *txn, void *arg)
{
    s_append_t *a = arg;
    return store_put(txn, DAJIA_TABLE_LOG, a->key, sizeof a->key, a->record, a->len, STORE_APPEND);
}

/* Appends one valid event to the log, as the api's writer would, and tells the
   dispatcher when it runs. */
static void
s_append_event(void)
{
    uint64_t seq = s_fuzz.log_seq + 1;
    int64_t now = dajia_clock_now_ms();
    char event_id[32], case_no[32];
    snprintf(event_id, sizeof event_id, "fuzz-%u-%" PRIu64, s_fuzz.generation, seq);
    snprintf(case_no, sizeof case_no, "F-%" PRIu64, seq);
    Dajia__CaseReport report = DAJIA__CASE_REPORT__INIT;
    report.case_no = case_no;
    report.category = DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING;
    report.stage = DAJIA__CASE_STAGE__CASE_STAGE_FILED;
    report.case_value_fen = (int64_t)seq * 100;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = event_id;
    env.unit = "msa";
    env.occurred_at = now - 3600 * 1000;
    env.reported_at = now - 1000;
    env.region = "411502";
    env.body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
    env.case_report = &report;
    size_t env_len = dajia__envelope__get_packed_size(&env);
    uint8_t *env_data = malloc(env_len + 1);
    FUZZ_CHECK(env_data, "out of memory");
    dajia__envelope__pack(&env, env_data);

    Dajia__LogRecord record = DAJIA__LOG_RECORD__INIT;
    record.log_seq = seq;
    record.received_at = now;
    record.envelope.data = env_data;
    record.envelope.len = env_len;
    s_append_t a;
    store_u64_to_key(seq, a.key);
    a.len = dajia__log_record__get_packed_size(&record);
    a.record = malloc(a.len + 1);
    FUZZ_CHECK(a.record, "out of memory");
    dajia__log_record__pack(&record, a.record);
    int rc = store_write(s_fuzz.store, s_append_batch, &a);
    FUZZ_CHECK(rc == 0, "cannot append to the log: %s", dajia_strerror(rc));
    free(a.record);
    free(env_data);
    s_fuzz.log_seq = seq;
    if (s_fuzz.dispatch)
        broker_dispatch_notify(s_fuzz.dispatch, seq);
}

/* ============================================================ broker -> worker */

typedef enum { S_EVENT, S_BEAT, S_TICK, S_REGISTER } s_kind_t;

/* Checks a message the dispatcher sent a worker; returns its kind, and sets *value to
   the EVENT's log_seq, the HEARTBEAT's cursor or the TICK's time, *tick to the
   HEARTBEAT's tick number. */
static s_kind_t
s_from_broker(zmsg_t *msg, const char *who, uint64_t *value, uint64_t *tick)
{
    size_t n = zmsg_size(msg);
    zframe_t *command = zmsg_first(msg);
    *value = *tick = 0;
    if (zframe_streq(command, "EVENT")) {
        FUZZ_CHECK(n == 2, "an EVENT of %zu frames to the %s worker", n, who);
        zframe_t *body = zmsg_next(msg);
        Dajia__LogRecord *record =
            dajia__log_record__unpack(NULL, zframe_size(body), zframe_data(body));
        FUZZ_CHECK(record, "an EVENT to the %s worker that is not a LogRecord", who);
        FUZZ_CHECK(record->log_seq >= 1 && record->log_seq <= s_fuzz.log_seq,
                   "the %s worker was sent log_seq %" PRIu64 "; the log ends at %" PRIu64, who,
                   record->log_seq, s_fuzz.log_seq);
        *value = record->log_seq;
        dajia__log_record__free_unpacked(record, NULL);
        /* As the log holds it. */
        store_txn_t *txn = NULL;
        unsigned char key[8];
        store_u64_to_key(*value, key);
        const void *data;
        size_t len;
        int rc = store_read_begin(s_fuzz.store, &txn);
        if (rc == 0)
            rc = store_get(txn, DAJIA_TABLE_LOG, key, sizeof key, &data, &len);
        FUZZ_CHECK(rc == 0, "cannot read log_seq %" PRIu64 ": %s", *value, dajia_strerror(rc));
        FUZZ_CHECK(len == zframe_size(body) && memcmp(data, zframe_data(body), len) == 0,
                   "the %s worker was sent log_seq %" PRIu64 " otherwise than the log holds it",
                   who, *value);
        store_txn_end(&txn);
        return S_EVENT;
    }
    if (zframe_streq(command, "HEARTBEAT")) {
        /* [cursor [last tick stored]] (dajia_worker_protocol.h) */
        FUZZ_CHECK(n <= 3, "a HEARTBEAT of %zu frames to the %s worker", n, who);
        for (zframe_t *f = zmsg_next(msg); f; f = zmsg_next(msg))
            FUZZ_CHECK(zframe_size(f) == 8,
                       "a HEARTBEAT to the %s worker with a frame of %zu "
                       "bytes",
                       who, zframe_size(f));
        zframe_t *cursor = n >= 2 ? zmsg_first(msg) : NULL;
        cursor = cursor ? zmsg_next(msg) : NULL;
        zframe_t *last_tick = cursor ? zmsg_next(msg) : NULL;
        *value = cursor ? s_u64(cursor) : 0;
        *tick = last_tick ? s_u64(last_tick) : 0;
        return S_BEAT;
    }
    if (zframe_streq(command, "TICK")) {
        zframe_t *now = zmsg_next(msg);
        FUZZ_CHECK(n == 2 && zframe_size(now) == 8, "a TICK to the %s worker of %zu frames", who,
                   n);
        *value = s_u64(now);
        return S_TICK;
    }
    if (zframe_streq(command, "REGISTER")) {
        /* the answer to a HEARTBEAT of a connection the dispatcher does not know */
        FUZZ_CHECK(n == 1, "a REGISTER of %zu frames to the %s worker", n, who);
        return S_REGISTER;
    }
    FUZZ_FAIL("the %s worker was sent a command \"%.*s\"", who, (int)zframe_size(command),
              (const char *)zframe_data(command));
}

/* ========================================================= well-behaved workers */

/* The oracle worker's output for an event: an aggregate update for everyone. */
static size_t
s_oracle_item(uint64_t seq, uint8_t *packed, size_t size)
{
    Dajia__AggregateUpdate update = DAJIA__AGGREGATE_UPDATE__INIT;
    update.through_log_seq = seq;
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.audience = DAJIA__AUDIENCE__AUDIENCE_PUBLIC;
    item.source_log_seq = seq;
    item.produced_at = dajia_clock_now_ms();
    item.item_case = DAJIA__FEED_ITEM__ITEM_AGGREGATE;
    item.aggregate = &update;
    size_t len = dajia__feed_item__get_packed_size(&item);
    FUZZ_CHECK(len <= size, "an oracle item of %zu bytes", len);
    dajia__feed_item__pack(&item, packed);
    return len;
}

/* Answers an event: DONE, with the oracle worker's item when `peer` makes outputs. */
static void
s_peer_done(s_peer_t *peer, uint64_t seq)
{
    uint8_t packed[128], number[8];
    store_u64_to_key(seq, number);
    s_message_t msg = {.count = 0};
    s_add(&msg, "DONE", 4);
    s_add(&msg, number, sizeof number);
    if (peer->outputs)
        s_add(&msg, packed, s_oracle_item(seq, packed, sizeof packed));
    s_send(peer->sock, &msg);
    peer->sent_at = zclock_mono();
}

/* Handles what a well-behaved worker was sent, as a worker shell would: an EVENT is
   answered with DONE. Returns the kind, and the EVENT's log_seq in *seq. */
static s_kind_t
s_peer_handle(s_peer_t *peer, zmsg_t *msg, uint64_t *seq)
{
    uint64_t tick;
    s_kind_t kind = s_from_broker(msg, peer->service, seq, &tick);
    if (kind == S_EVENT) {
        /* Delivery starts again at or below what it applied, then goes in order. */
        FUZZ_CHECK(*seq <= peer->applied + 1,
                   "the %s worker was sent log_seq %" PRIu64 " after %" PRIu64
                   ": events in between skipped",
                   peer->service, *seq, peer->applied);
        s_peer_done(peer, *seq);
        if (*seq > peer->applied)
            peer->applied = *seq;
    } else if (kind == S_BEAT) {
        peer->beat_at = zclock_mono();
    }
    return kind;
}

/* Registers a well-behaved worker (again); the answer is a HEARTBEAT. */
static void
s_peer_ready(s_peer_t *peer)
{
    uint8_t applied[8];
    store_u64_to_key(peer->applied, applied);
    s_message_t msg = {.count = 0};
    s_add(&msg, "READY", 5);
    s_add(&msg, peer->service, strlen(peer->service));
    s_add(&msg, applied, sizeof applied);
    s_send(peer->sock, &msg);
    int64_t sent = peer->sent_at = zclock_mono();
    int64_t deadline = sent + S_TIMEOUT_MS;
    for (;;) {
        zmsg_t *reply = s_recv(peer->sock, deadline);
        if (!reply)
            FUZZ_FAIL("the %s worker's READY got no HEARTBEAT within %d ms", peer->service,
                      S_TIMEOUT_MS);
        uint64_t seq;
        s_kind_t kind = s_peer_handle(peer, reply, &seq);
        zmsg_destroy(&reply);
        if (kind == S_BEAT && peer->beat_at >= sent)
            return;
    }
}

/* Keeps a well-behaved worker registered: a HEARTBEAT every half period; after a silence
   that may have cost its registration (the dispatcher takes 3 periods), READY again. */
static void
s_peer_alive(s_peer_t *peer)
{
    int64_t silent = zclock_mono() - peer->sent_at;
    if (silent > S_HEARTBEAT_MS) {
        s_peer_ready(peer);
        return;
    }
    if (silent >= S_HEARTBEAT_MS / 2) {
        s_message_t msg = {.count = 0};
        s_add(&msg, "HEARTBEAT", 9);
        s_send(peer->sock, &msg);
        peer->sent_at = zclock_mono();
    }
    /* Registered all along: the dispatcher's heartbeats keep coming. */
    FUZZ_CHECK(zclock_mono() - peer->beat_at <= S_TIMEOUT_MS,
               "the %s worker had no HEARTBEAT for %" PRId64 " ms", peer->service,
               zclock_mono() - peer->beat_at);
}

/* Answers what a well-behaved worker has been sent so far. */
static void
s_peer_serve(s_peer_t *peer)
{
    zmsg_t *msg;
    while ((msg = s_recv(peer->sock, 0))) {
        uint64_t seq;
        s_peer_handle(peer, msg, &seq);
        zmsg_destroy(&msg);
    }
}

/* Answers what the oracle worker is sent until it has been sent log_seq `until`, which
   must come within S_TIMEOUT_MS. */
static void
s_oracle_await(uint64_t until)
{
    s_peer_t *peer = &s_fuzz.oracle;
    int64_t deadline = zclock_mono() + S_TIMEOUT_MS;
    for (;;) {
        s_peer_alive(peer); /* which may READY again, and be sent `until` meanwhile */
        if (peer->applied >= until)
            return;
        int64_t wait = zclock_mono() + S_HEARTBEAT_MS / 2;
        zmsg_t *msg = s_recv(peer->sock, wait < deadline ? wait : deadline);
        if (!msg) {
            if (zclock_mono() >= deadline)
                FUZZ_FAIL("the %s worker was not sent log_seq %" PRIu64 " within %d ms "
                          "(it applied %" PRIu64 ")",
                          peer->service, until, S_TIMEOUT_MS, peer->applied);
            continue;
        }
        uint64_t seq;
        s_peer_handle(peer, msg, &seq);
        zmsg_destroy(&msg);
    }
}

/* ================================================================= the feeds */

/* The stored item `feed_seq`, or NULL (in `txn`). */
static Dajia__FeedItem *
s_stored_item(store_txn_t *txn, uint64_t feed_seq, const void **data, size_t *len)
{
    unsigned char key[8];
    store_u64_to_key(feed_seq, key);
    int rc = store_get(txn, DAJIA_TABLE_FEED, key, sizeof key, data, len);
    FUZZ_CHECK(rc == 0, "feed item %" PRIu64 " was published but is not stored: %s", feed_seq,
               dajia_strerror(rc));
    return dajia__feed_item__unpack(NULL, *len, *data);
}

/* The feed_seq of the public item numbered `public_seq`, through the public index. */
static uint64_t
s_public_feed_seq(store_txn_t *txn, uint64_t public_seq)
{
    unsigned char key[8];
    store_u64_to_key(public_seq, key);
    const void *data;
    size_t len;
    int rc = store_get(txn, DAJIA_TABLE_FEED_PUBLIC_SEQ, key, sizeof key, &data, &len);
    FUZZ_CHECK(rc == 0 && len == DAJIA_TABLE_U64,
               "public item %" PRIu64 " was published but is not indexed: %s", public_seq,
               dajia_strerror(rc));
    return store_key_to_u64(data);
}

/* Checks one message of a feed; returns its item (the caller frees it). The office feed
   sends items as stored, numbered by feed_seq; the public feed sends public items only,
   numbered by public_seq without gaps, with feed_seq 0 (docs: proto/dajia_tables.h). */
static Dajia__FeedItem *
s_published(zmsg_t *msg, bool office)
{
    const char *feed = office ? "office" : "public";
    FUZZ_CHECK(zmsg_size(msg) == 2, "a %s feed message of %zu frames", feed, zmsg_size(msg));
    zframe_t *topic = zmsg_first(msg), *body = zmsg_next(msg);
    Dajia__FeedItem *item = dajia__feed_item__unpack(NULL, zframe_size(body), zframe_data(body));
    FUZZ_CHECK(item, "the %s feed published something that is not a FeedItem", feed);
    FUZZ_CHECK(zframe_streq(topic, broker_feed_topic(item->item_case)),
               "the %s feed published item %" PRIu64 " under topic \"%.*s\"", feed, item->feed_seq,
               (int)zframe_size(topic), (const char *)zframe_data(topic));
    uint64_t seq = office ? item->feed_seq : item->public_seq;
    uint64_t *seen = office ? &s_fuzz.office_seen : &s_fuzz.public_seen;
    if (office)
        FUZZ_CHECK(!*seen || seq == *seen + 1,
                   "the office feed went from item %" PRIu64 " to %" PRIu64, *seen, seq);
    else
        FUZZ_CHECK(item->audience == DAJIA__AUDIENCE__AUDIENCE_PUBLIC && item->feed_seq == 0 &&
                       (!*seen || seq == *seen + 1),
                   "the public feed published public item %" PRIu64
                   " (audience %d, feed_seq %" PRIu64 ") after %" PRIu64,
                   seq, (int)item->audience, item->feed_seq, *seen);

    /* Stored before it was published, with the same bytes (a public item: but for its
       feed_seq); nothing public left out. */
    store_txn_t *txn = NULL;
    int rc = store_read_begin(s_fuzz.store, &txn);
    FUZZ_CHECK(rc == 0, "cannot read the store: %s", dajia_strerror(rc));
    uint64_t feed_seq = office ? seq : s_public_feed_seq(txn, seq);
    const void *data;
    size_t len;
    Dajia__FeedItem *stored = s_stored_item(txn, feed_seq, &data, &len);
    FUZZ_CHECK(stored, "stored feed item %" PRIu64 " does not unpack", feed_seq);
    uint8_t *expect = (uint8_t *)data;
    if (!office) {
        FUZZ_CHECK(stored->public_seq == seq,
                   "stored feed item %" PRIu64 " has public_seq %" PRIu64 ", published as %" PRIu64,
                   feed_seq, stored->public_seq, seq);
        stored->feed_seq = 0;
        len = dajia__feed_item__get_packed_size(stored);
        expect = malloc(len ? len : 1);
        FUZZ_CHECK(expect, "out of memory");
        dajia__feed_item__pack(stored, expect);
    }
    FUZZ_CHECK(len == zframe_size(body) && memcmp(expect, zframe_data(body), len) == 0,
               "the %s feed published item %" PRIu64 " otherwise than it is stored", feed, seq);
    if (!office)
        free(expect);
    dajia__feed_item__free_unpacked(stored, NULL);
    uint64_t *public_feed = &s_fuzz.public_feed_seen;
    for (uint64_t s = *public_feed + 1; !office && *public_feed && s < feed_seq; s++) {
        Dajia__FeedItem *skipped = s_stored_item(txn, s, &data, &len);
        FUZZ_CHECK(skipped, "stored feed item %" PRIu64 " does not unpack", s);
        FUZZ_CHECK(skipped->audience != DAJIA__AUDIENCE__AUDIENCE_PUBLIC,
                   "the public feed left out item %" PRIu64, s);
        dajia__feed_item__free_unpacked(skipped, NULL);
    }
    store_txn_end(&txn);
    *seen = seq;
    if (!office)
        *public_feed = feed_seq;
    return item;
}

static void
s_drain_feed(zsock_t *sub, bool office)
{
    zmsg_t *msg;
    while ((msg = s_recv(sub, 0))) {
        dajia__feed_item__free_unpacked(s_published(msg, office), NULL);
        zmsg_destroy(&msg);
    }
}

/* Waits until the office feed publishes the oracle worker's item for `seq`. The oracle
   worker goes on answering meanwhile: a store that failed sends the event again. */
static void
s_await_item(uint64_t seq)
{
    int64_t deadline = zclock_mono() + S_TIMEOUT_MS;
    for (;;) {
        s_peer_alive(&s_fuzz.oracle);
        s_peer_serve(&s_fuzz.oracle);
        /* Until the office feed or the oracle worker has something. */
        zmq_pollitem_t items[] = {{zsock_resolve(s_fuzz.office), 0, ZMQ_POLLIN, 0},
                                  {zsock_resolve(s_fuzz.oracle.sock), 0, ZMQ_POLLIN, 0}};
        int64_t wait = zclock_mono() + S_HEARTBEAT_MS / 2;
        wait = (wait < deadline ? wait : deadline) - zclock_mono();
        if (zmq_poll(items, 2, wait > 0 ? (long)wait : 0) < 0 && zmq_errno() != EINTR)
            FUZZ_FAIL("cannot wait for a message: %s", zmq_strerror(zmq_errno()));
        zmsg_t *msg = s_recv(s_fuzz.office, 0);
        if (!msg && zclock_mono() >= deadline)
            FUZZ_FAIL("the %s worker's item for log_seq %" PRIu64 " was not published within "
                      "%d ms (the office feed is at item %" PRIu64 ")",
                      S_ORACLE, seq, S_TIMEOUT_MS, s_fuzz.office_seen);
        if (!msg)
            continue;
        Dajia__FeedItem *item = s_published(msg, true);
        zmsg_destroy(&msg);
        bool found = strcmp(item->service, S_ORACLE) == 0 && item->source_log_seq == seq &&
                     item->item_case == DAJIA__FEED_ITEM__ITEM_AGGREGATE;
        dajia__feed_item__free_unpacked(item, NULL);
        if (found)
            return;
    }
}

/* ================================================================ the store */

static bool
s_packs_to(const Dajia__FeedItem *item, const void *data, size_t len)
{
    size_t size = dajia__feed_item__get_packed_size(item);
    if (size != len)
        return false;
    uint8_t *buf = malloc(size + 1);
    FUZZ_CHECK(buf, "out of memory");
    dajia__feed_item__pack(item, buf);
    bool same = memcmp(buf, data, size) == 0;
    free(buf);
    return same;
}

/* The items stored since the last look, and the cursors. */
static void
s_check_store(void)
{
    store_txn_t *txn = NULL;
    store_cursor_t *cursor = NULL;
    int rc = store_read_begin(s_fuzz.store, &txn);
    FUZZ_CHECK(rc == 0, "cannot read the store: %s", dajia_strerror(rc));
    rc = store_cursor_open(txn, DAJIA_TABLE_FEED, &cursor);
    FUZZ_CHECK(rc == 0 || rc == STORE_NOTFOUND, "cannot read the feed: %s", dajia_strerror(rc));
    if (rc == 0) {
        unsigned char key[8];
        store_u64_to_key(s_fuzz.feed_checked + 1, key);
        const void *k, *v;
        size_t kl, vl;
        for (rc = store_cursor_seek(cursor, key, sizeof key, &k, &kl, &v, &vl); rc == 0;
             rc = store_cursor_next(cursor, &k, &kl, &v, &vl)) {
            uint64_t want = s_fuzz.feed_checked + 1;
            FUZZ_CHECK(kl == 8 && store_key_to_u64(k) == want,
                       "the feed holds a key of %zu bytes (%" PRIu64 ") where %" PRIu64 " is due",
                       kl, kl == 8 ? store_key_to_u64(k) : 0, want);
            Dajia__FeedItem *item = dajia__feed_item__unpack(NULL, vl, v);
            FUZZ_CHECK(item, "stored feed item %" PRIu64 " does not unpack", want);
            FUZZ_CHECK(item->feed_seq == want,
                       "stored feed item %" PRIu64 " says feed_seq %" PRIu64, want, item->feed_seq);
            FUZZ_CHECK(s_is_service((const uint8_t *)item->service, strlen(item->service)),
                       "stored feed item %" PRIu64 " has service \"%s\"", want, item->service);
            FUZZ_CHECK(item->item_case != DAJIA__FEED_ITEM__ITEM__NOT_SET,
                       "stored feed item %" PRIu64 " holds no item", want);
            FUZZ_CHECK(s_packs_to(item, v, vl),
                       "stored feed item %" PRIu64 " is not as protobuf-c packs it", want);
            dajia__feed_item__free_unpacked(item, NULL);
            s_fuzz.feed_checked = want;
        }
        FUZZ_CHECK(rc == STORE_NOTFOUND, "cannot read the feed: %s", dajia_strerror(rc));
        store_cursor_close(&cursor);
    }
    for (size_t i = 0; s_services[i]; i++) {
        const void *v;
        size_t vl;
        char key[64];
        rc = store_get(txn, DAJIA_TABLE_CURSOR, s_services[i], strlen(s_services[i]), &v, &vl);
        FUZZ_CHECK(rc == 0 || rc == STORE_NOTFOUND, "cannot read the cursors: %s",
                   dajia_strerror(rc));
        FUZZ_CHECK(rc != 0 || vl == 8, "the cursor of %s has %zu bytes", s_services[i], vl);
        if (rc == 0)
            FUZZ_CHECK(store_key_to_u64(v) <= s_fuzz.log_seq,
                       "the cursor of %s is at log_seq %" PRIu64 ", past the log's end (%" PRIu64
                       "): a DONE was stored for an event never sent",
                       s_services[i], store_key_to_u64(v), s_fuzz.log_seq);
        snprintf(key, sizeof key, "%s" DAJIA_CURSOR_TICK, s_services[i]);
        rc = store_get(txn, DAJIA_TABLE_CURSOR, key, strlen(key), &v, &vl);
        FUZZ_CHECK(rc == 0 || rc == STORE_NOTFOUND, "cannot read the cursors: %s",
                   dajia_strerror(rc));
        FUZZ_CHECK(rc != 0 || vl == 8, "the tick of %s has %zu bytes", s_services[i], vl);
    }
    store_txn_end(&txn);
}

/* ================================================================ lifecycle */

static void
s_connect(zsock_t **sock, int type, const char *endpoint)
{
    *sock = zsock_new(type);
    FUZZ_CHECK(*sock, "cannot create a socket");
    zsock_set_linger(*sock, 0);
    zsock_set_sndtimeo(*sock, S_TIMEOUT_MS);
    if (type == ZMQ_SUB)
        zsock_set_subscribe(*sock, "");
    if (zsock_connect(*sock, "%s", endpoint) != 0)
        FUZZ_FAIL("cannot connect to %s", endpoint);
}

static void
s_sync(size_t beats, bool reset);

/* Starts a dispatcher on a fresh store, registers the workers and waits until the
   oracle worker has been sent the events of the log. */
static void
s_start(void)
{
    char err[512];
    s_fuzz.generation++;
    snprintf(s_fuzz.data, sizeof s_fuzz.data, "%s/dispatch-%u", s_fuzz.dir, s_fuzz.generation);
    if (mkdir(s_fuzz.data, 0700) != 0)
        FUZZ_FAIL("mkdir %s: %s", s_fuzz.data, strerror(errno));
    int rc = store_open(s_fuzz.data, NULL, &s_fuzz.store);
    FUZZ_CHECK(rc == 0, "cannot open a store in %s: %s", s_fuzz.data, dajia_strerror(rc));
    s_fuzz.log_seq = 0;
    for (int i = 0; i < S_SEED_EVENTS; i++)
        s_append_event();

    char endpoint[3][128];
    static const char *const names[] = {"workers", "office", "public"};
    for (int i = 0; i < 3; i++)
        snprintf(endpoint[i], sizeof endpoint[i], "inproc://fuzz-worker-%d-%u-%s", (int)getpid(),
                 s_fuzz.generation, names[i]);
    broker_dispatch_options_t opts = {.store = s_fuzz.store,
                                      .last_log_seq = 0,
                                      .workers = endpoint[0],
                                      .office = endpoint[1],
                                      .public_feed = endpoint[2],
                                      .services = s_services,
                                      .window = S_WINDOW,
                                      .heartbeat_ms = S_HEARTBEAT_MS};
    if (broker_dispatch_start(&opts, &s_fuzz.dispatch, err, sizeof err) != 0)
        FUZZ_FAIL("broker_dispatch_start: %s", err);
    s_fuzz.running = true;
    /* The log has events the dispatcher was not told of at its start. */
    broker_dispatch_notify(s_fuzz.dispatch, s_fuzz.log_seq);

    s_connect(&s_fuzz.office, ZMQ_SUB, endpoint[1]);
    s_connect(&s_fuzz.public_feed, ZMQ_SUB, endpoint[2]);
    s_connect(&s_fuzz.fuzz, ZMQ_DEALER, endpoint[0]);
    s_peer_t *peers[] = {&s_fuzz.oracle, &s_fuzz.other};
    for (size_t i = 0; i < 2; i++) {
        s_connect(&peers[i]->sock, ZMQ_DEALER, endpoint[0]);
        peers[i]->service = i == 0 ? S_ORACLE : S_OTHER;
        peers[i]->outputs = i == 0;
        peers[i]->applied = 0;
        peers[i]->beat_at = zclock_mono();
    }
    s_fuzz.feed_checked = s_fuzz.office_seen = s_fuzz.public_seen = s_fuzz.public_feed_seen = 0;
    s_fuzz.inputs = 0;
    s_fuzz.due = s_fuzz.tick_due = 1;
    s_fuzz.tick_known = false;
    s_peer_ready(&s_fuzz.oracle);
    s_peer_ready(&s_fuzz.other);
    s_oracle_await(s_fuzz.log_seq);
    s_sync(1, false);
}

/* Stops the dispatcher (it stores what it has first) and removes its store. */
static void
s_stop(void)
{
    if (!s_fuzz.running)
        return;
    atomic_store(&s_fail_commit, false);
    broker_dispatch_destroy(&s_fuzz.dispatch);
    zsock_destroy(&s_fuzz.fuzz);
    zsock_destroy(&s_fuzz.oracle.sock);
    zsock_destroy(&s_fuzz.other.sock);
    zsock_destroy(&s_fuzz.office);
    zsock_destroy(&s_fuzz.public_feed);
    store_destroy(&s_fuzz.store);
    fuzz_remove_tree(s_fuzz.data);
    s_fuzz.running = false;
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
    /* libFuzzer handles SIGINT itself. */
    zsys_handler_set(NULL);
    zsys_init();
    s_fuzz.log = getenv("DAJIA_FUZZ_LOG") != NULL;
    s_fuzz.thread = pthread_self();
    store_commit_hook = s_commit_hook;
    zsys_set_logsystem(false);
    zsys_set_logstream(s_fuzz.log ? stderr : NULL);
    /* tmpfs when there is one: the dispatcher syncs each group it stores. */
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(s_fuzz.dir, sizeof s_fuzz.dir, "%s/dajia-fuzz-worker-XXXXXX", tmp);
    if (!mkdtemp(s_fuzz.dir))
        FUZZ_FAIL("mkdtemp %s: %s", s_fuzz.dir, strerror(errno));
    s_start();
    /* Registered after zsys_init, so it runs before czmq's own shutdown. */
    atexit(s_cleanup);
}

/* ============================================================ the fuzzed worker */

/* The fuzzed worker says READY for S_HOME, delivery from its cursor on, and waits for
   `beats` HEARTBEATs: its own answer, and any the input's message earned. The
   dispatcher reads one peer's messages in order, so the input's message is handled by
   then. (A periodic heartbeat may pass for one of them: then the input is handled a
   moment later, in the same group.) */
static void
s_sync(size_t beats, bool reset)
{
    uint8_t applied[8];
    store_u64_to_key(S_NO_LIMIT, applied);
    s_message_t msg = {.count = 0};
    s_add(&msg, "READY", 5);
    s_add(&msg, S_HOME, strlen(S_HOME));
    s_add(&msg, applied, sizeof applied);
    s_send(s_fuzz.fuzz, &msg);
    int64_t deadline = zclock_mono() + S_TIMEOUT_MS;
    uint64_t cursor = 0, tick = 0;
    for (size_t got = 0; got < beats;) {
        zmsg_t *reply = s_recv(s_fuzz.fuzz, deadline);
        if (!reply)
            FUZZ_FAIL("the dispatcher answered %zu of %zu READYs within %d ms", got, beats,
                      S_TIMEOUT_MS);
        uint64_t value, last_tick;
        if (s_from_broker(reply, S_HOME, &value, &last_tick) == S_BEAT) {
            cursor = value;
            tick = last_tick;
            got++;
        }
        zmsg_destroy(&reply);
    }
    /* After a store that failed, what was pending is due again. */
    if (reset || cursor + 1 > s_fuzz.due)
        s_fuzz.due = cursor + 1;
    if (tick > 0) {
        s_fuzz.tick_known = true;
        if (reset || tick + 1 > s_fuzz.tick_due)
            s_fuzz.tick_due = tick + 1;
    }
}

/* What the fuzzed worker was sent since the last look: checked, then dropped. */
static void
s_drain_fuzz(void)
{
    zmsg_t *msg;
    while ((msg = s_recv(s_fuzz.fuzz, 0))) {
        uint64_t value, tick;
        s_from_broker(msg, S_HOME, &value, &tick);
        zmsg_destroy(&msg);
    }
}

/* The input format (fuzz_util.h): byte 0 gives the frame count, a prefix and its
   argument; each frame but the last is a 2-byte little-endian length and that many
   bytes (cut short at the end of the input); the last frame is whatever remains. */
static void
s_parse(const uint8_t *data, size_t size, s_message_t *msg)
{
    static const char *const unknown = "unknown";
    memset(msg, 0, sizeof *msg);
    unsigned byte0 = size ? data[0] : 0;
    size_t count = 1 + (byte0 & 7);
    unsigned prefix = (byte0 >> 3) & 7, arg = byte0 >> 6;
    uint64_t number = 0;
    switch (prefix) {
    case FUZZ_WORKER_READY:
        s_add(msg, "READY", 5);
        break;
    case FUZZ_WORKER_READY_SERVICE: {
        const char *service = arg < 3 ? s_services[arg] : unknown;
        s_add(msg, "READY", 5);
        s_add(msg, service, strlen(service));
        break;
    }
    case FUZZ_WORKER_DONE:
        s_add(msg, "DONE", 4);
        break;
    case FUZZ_WORKER_DONE_SEQ:
        number = arg == 0   ? s_fuzz.due
                 : arg == 1 ? s_fuzz.due - 1
                 : arg == 2 ? s_fuzz.due + 1
                            : s_fuzz.log_seq;
        store_u64_to_key(number, msg->number);
        s_add(msg, "DONE", 4);
        s_add(msg, msg->number, sizeof msg->number);
        break;
    case FUZZ_WORKER_TICKED:
        s_add(msg, "TICKED", 6);
        break;
    case FUZZ_WORKER_TICKED_NO:
        number = arg == 0   ? s_fuzz.tick_due
                 : arg == 1 ? s_fuzz.tick_due - 1
                 : arg == 2 ? s_fuzz.tick_due + 1
                            : 1;
        store_u64_to_key(number, msg->number);
        s_add(msg, "TICKED", 6);
        s_add(msg, msg->number, sizeof msg->number);
        break;
    case FUZZ_WORKER_HEARTBEAT:
        s_add(msg, "HEARTBEAT", 9);
        break;
    default:
        break;
    }
    /* The prefixes without an argument take two options from its bits instead. */
    if (prefix != FUZZ_WORKER_READY_SERVICE && prefix != FUZZ_WORKER_DONE_SEQ &&
        prefix != FUZZ_WORKER_TICKED_NO) {
        msg->standby = arg & FUZZ_WORKER_STANDBY;
        msg->fail = arg & FUZZ_WORKER_STORE_FAILS;
    }
    size_t at = size ? 1 : 0;
    for (size_t i = 0; i < count; i++) {
        size_t left = size - at, len = left;
        if (i + 1 < count) {
            len = left >= 2 ? (size_t)data[at] | (size_t)data[at + 1] << 8 : 0;
            at += left >= 2 ? 2 : left;
            left = size - at;
            if (len > left)
                len = left;
        }
        s_add(msg, data + at, len);
        at += len;
    }
}

/* What the dispatcher makes of the message, as far as the prefixes need to know: how
   many HEARTBEATs it answers (a READY it takes is answered), and what is due next. */
static size_t
s_note(const s_message_t *msg)
{
    bool number = msg->count >= 2 && msg->size[1] == 8;
    uint64_t value = number ? store_key_to_u64(msg->data[1]) : 0;
    if (s_is(msg->data[0], msg->size[0], "READY"))
        return msg->count >= 3 && s_is_service(msg->data[1], msg->size[1]) && msg->size[2] == 8;
    if (msg->standby)
        return 0; /* a standby's answers are dropped */
    if (s_is(msg->data[0], msg->size[0], "DONE") && number && value == s_fuzz.due)
        s_fuzz.due++;
    if (s_is(msg->data[0], msg->size[0], "TICKED") && number && value > 0) {
        if (!s_fuzz.tick_known) {
            s_fuzz.tick_known = true;
            s_fuzz.tick_due = value + 1;
        } else if (value == s_fuzz.tick_due) {
            s_fuzz.tick_due++;
        }
    }
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_fuzz.running)
        s_init();
    s_drain_fuzz();
    s_message_t msg;
    s_parse(data, size, &msg);
    size_t beats = 1;
    if (msg.standby) {
        /* S_OTHER's worker is active: this one waits behind it. */
        uint8_t applied[8];
        store_u64_to_key(0, applied);
        s_message_t ready = {.count = 0};
        s_add(&ready, "READY", 5);
        s_add(&ready, S_OTHER, strlen(S_OTHER));
        s_add(&ready, applied, sizeof applied);
        s_send(s_fuzz.fuzz, &ready);
        beats++;
    }
    if (msg.fail)
        atomic_store(&s_fail_commit, true);
    s_send(s_fuzz.fuzz, &msg);
    beats += s_note(&msg);
    s_sync(beats, msg.fail);

    s_peer_t *peers[] = {&s_fuzz.oracle, &s_fuzz.other};
    for (size_t i = 0; i < 2; i++) {
        s_peer_alive(peers[i]);
        s_peer_serve(peers[i]);
    }
    s_drain_feed(s_fuzz.office, true);
    s_drain_feed(s_fuzz.public_feed, false);
    s_check_store();

    if (++s_fuzz.inputs % S_CHECK_EVERY == 0) {
        s_append_event();
        s_oracle_await(s_fuzz.log_seq);
        /* Its item is published once the office SUB shows it is subscribed. */
        if (s_fuzz.office_seen)
            s_await_item(s_fuzz.log_seq);
    }
    if (s_fuzz.inputs >= S_RECYCLE_INPUTS || s_fuzz.feed_checked >= S_RECYCLE_FEED) {
        s_stop();
        s_start();
    }
    return 0;
}
