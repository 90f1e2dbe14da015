/*  broker_server: the api ROUTER, validation, and group commit through the writer.

    The loop polls the api ROUTER, the writer's socket and the replay thread's pipe.
    Whenever the api has messages ready it reads them into the writer's open batch (as
    many as there is room for, broker_writer.h); the writer takes that batch the moment
    its last commit is done; whenever the writer gives a batch back, every event in it is
    acknowledged. So under light load a batch is one event (lowest latency), and under
    heavy load one sync covers thousands, with no timer anywhere. Without room (a full
    batch, or 2 x batch_max events read and unanswered) the loop stops reading from the
    api socket until the writer makes some: that is the broker's back-pressure.

    Who judges the events (broker/judge_threads, broker_judge.h): by default not this
    loop. It reads a SUBMIT, checks who sent it, and keeps it in the batch unjudged; the
    writer judges the batch (with helper threads when there are more judges) before its
    commit, and this loop answers the refused ones with the batch. With judge_threads 0
    it judges each event as it reads it. The judging itself (s_judge) answers nobody and
    reads only what does not change while the broker runs, so either may run it.

    With a key directory (broker/keys) every tcp socket is a CURVE server behind the
    broker's ZAP handler (broker_auth.h), which attaches the peer's role, unit and key to
    each message. Each request is then judged on its first frame: a role that may do the
    command, a key still trusted (so a revoke reaches open connections), and for SUBMIT
    an envelope naming the certificate's own unit.

    Reject floods: each connection has a budget of rejections a second
    (broker/reject_budget, broker_throttle.h). Past it, its requests that second are read
    off the socket and dropped, undecoded and unanswered (counted as "throttled" in
    STATS), after one REJECTED/FORBIDDEN notice saying so. The drain also reads at most a
    batch's worth of requests before the loop commits and answers, so a flood of rejects
    cannot hold valid events of others back.

    Replays are judged here and answered by the replay thread (broker_replay.h), so that a
    REPLAY costs this loop a hand-over, never a read of the feed; the loop polls the replay
    thread's pipe beside the api and the writer and sends its answers.

    Memory per peer (README, Security): each connection may make the broker hold a bounded
    number of bytes (broker_peers.h watches what it sends; BROKER_API_RCVHWM requests), and
    a bounded queue of answers (BROKER_API_SNDHWM, one REPLAY answer in flight). A peer
    that does not read its answers loses them: the api socket is ROUTER_MANDATORY and
    every send DONTWAIT, so an answer that finds the peer's queue full is dropped, counted
    ("answers_dropped"), and the peer asks again (an agent resends, a reader replays).
*/
#include "broker_server.h"
#include "dajia_log.h"

#include <czmq.h>
#include <errno.h>
#include <stdatomic.h>
#include <malloc.h>
#include <string.h>

#include "broker_ack.h"
#include "broker_auth.h"
#include "broker_batch.h"
#include "broker_dedup.h"
#include "broker_dedup_file.h"
#include "broker_dispatch.h"
#include "broker_feed.h"
#include "broker_guard.h"
#include "broker_identity.h"
#include "broker_judge.h"
#include "broker_peers.h"
#include "broker_replay.h"
#include "broker_stats.h"
#include "broker_throttle.h"
#include "broker_writer.h"
#include "dajia_api.h"
#include "dajia_arena.h"
#include "dajia_wire.h"
#include "dajia_clock.h"
#include "dajia_codec.h"
#include "dajia_error.h"
#include "store.h"

#define BROKER_API_SNDHWM                                                                          \
    1024                        /* answers queued per peer: 8 agent windows (a batch               \
                                   answers all its events at once) */
#define BROKER_API_RCVHWM   128 /* requests waiting per peer: an agent's window */
#define BROKER_API_IN_WIRES 4   /* a peer may make the api hold this many largest frames */
#define BROKER_FILL_CHUNK   32  /* requests read into the open batch at a time */
#define BROKER_FEED_SNDHWM                                                                         \
    1000 /* items queued per feed reader; past it a reader that                                    \
            does not keep up loses items and replays them */
#define BROKER_FEED_MAXMSG                                                                         \
    4096                                  /* a subscription frame (1 byte and a topic), and the    \
                                             handshake's commands (CURVE INITIATE, metadata) */
#define BROKER_FEED_IN_MAX    16384       /* bytes one feed reader may send: subscriptions */
#define BROKER_WORKERS_IN_MAX (64u << 20) /* bytes a worker connection may make it hold */
#define BROKER_WORKERS_MAXMSG                                                                      \
    (16u << 20) /* a worker's frame: an output (a busy month's                                     \
                   bulletin is the largest) */
#define BROKER_WORKERS_CONN                                                                        \
    16 /* worker connections at once: 3 services and                                               \
          their standbys */
#define BROKER_CEILING_ITEM                                                                        \
    (16u << 10)                          /* a feed item, as the ceiling counts it:                 \
                                            escalations and aggregates are under 2 KB, a           \
                                            month's bulletin (one item) may be larger */
#define BROKER_CONN_OVERHEAD (64u << 10) /* libzmq's own per connection: buffers, pipes */
#define BROKER_ANSWER_MAX    1024        /* an answer in a peer's queue: frames, Ack, text */
#define BROKER_MEMORY_BASE   (32u << 20) /* code, libraries, threads, LMDB's own: 8 MB idle */
#define BROKER_DECODE_OVERSHOOT                                                                    \
    (64u << 20) /* what the io thread may decode between two looks                                 \
                   of broker_peers (BROKER_PEERS_CHECK_MS) */
#define BROKER_MAX_CONNECTIONS 65536
#define BROKER_MMAP_THRESHOLD  (128 << 10)
#define BROKER_LINGER_MS       2000
#define BROKER_POLL_MS         1000
#define BROKER_ACK_MAX         512         /* an encoded Ack, reason text included */
#define BROKER_CREDIT_RUN      (64u << 10) /* bytes of one connection credited at once */
#define BROKER_WIRE_CAP_MIN    (1u << 20)
#define BROKER_ARENA_BYTES     (256u << 10) /* an unpacked event of the largest size fits */
#define BROKER_KEY_TXT         41           /* a Z85 CURVE key and its NUL */

/* Who sent a request, from the metadata the ZAP handler attached to its connection.
   Pointers into the message's metadata: valid while the command frame is open. */
typedef struct {
    const char *role; /* NULL: no auth on this socket (or no role: refused) */
    const char *unit; /* role unit only */
    const char *key;  /* Z85; NULL for ipc peers (role "local") */
} s_peer_t;

/* Names of inproc endpoints: a number never used before in this process. A name made
   from an address could be bound again, by the next object at the same address, before
   libzmq has let go of the last one (it unbinds a closed socket asynchronously). */
static atomic_uint s_inproc_serial;

struct broker_server_t {
    broker_config_t *config; /* borrowed */
    store_t *store;
    broker_writer_t *writer;
    broker_dispatch_t *dispatch; /* workers, feed log, publication: a thread of its own */
    zsock_t *api;
    void *api_handle; /* zsock_resolve(api), for the hot path */
    char *endpoint;
    broker_batch_t *fill; /* the writer's open batch, between fill_begin and fill_end */
    size_t batch_max;     /* broker/batch_max */
    dajia_limits_t limits;
    char region[DAJIA_REGION_PREFIX_MAX + 1]; /* broker/region, for limits.region_prefix */
    broker_stats_t stats;
    int64_t now_ms;                   /* clock read once per drain */
    bool verbose;                     /* log each rejection */
    dajia_arena_t *arena;             /* decoding memory, reset after each event */
    dajia_log_limit_t storage_log;    /* storage failures' line (dajia_log.h) */
    broker_auth_t *auth;              /* NULL: no CURVE, no roles */
    volatile sig_atomic_t *reload;    /* set by SIGHUP: re-read the key directory */
    char trusted_key[BROKER_KEY_TXT]; /* last key found trusted in this drain, or "" */
    dajia_log_limit_t mismatch_log;   /* unit mismatches' line */
    uint64_t mismatches;              /* unit mismatches since the start */
    broker_throttle_t *throttle;      /* the reject budget; NULL: no limit */
    broker_replay_t *replay;          /* the replay thread */
    broker_peers_t *peers;            /* the bounds per connection */
    int api_which;                    /* the api socket's number in `peers` */
    int workers_which;                /* the workers socket's */
    size_t max_connections;           /* broker/max_connections */
    char store_id[BROKER_ID_TXT];     /* the store's identity, for HELLO */
    size_t judge_threads;             /* broker/judge_threads; 0: this thread judges */
    int credit_fd;                    /* the connection whose credit waits, or -1 */
    size_t credit_bytes;              /* what waits to be credited to it */
};

/* ================================================================ answers */

/* Sends the routing frame that begins an answer, consuming it. False when the answer
   cannot go (the peer is gone, or its queue is full: it does not read): the answer is
   dropped and counted, and the peer asks again. Only the routing frame can fail: the
   rest of a message follows it into the same queue. */
static bool
s_send_routing(broker_server_t *self, zmq_msg_t *routing)
{
    if (zmq_msg_send(routing, self->api_handle, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        return true;
    zmq_msg_close(routing);
    self->stats.answers_dropped++;
    return false;
}

/* Sends [routing][ACK][Ack] and consumes `routing` (closed even when sending fails:
   a client that went away simply misses its answer and resends). */
static void
s_send_ack(broker_server_t *self, zmq_msg_t *routing, const char *event_id, Dajia__AckStatus status,
           uint64_t log_seq, Dajia__Reason reason, const char *text, int64_t received_at)
{
    Dajia__Ack ack = DAJIA__ACK__INIT;
    ack.event_id = (char *)(event_id ? event_id : "");
    ack.status = status;
    ack.log_seq = log_seq;
    ack.reason = reason;
    ack.reason_text = (char *)(text ? text : "");
    ack.received_at = received_at;
    uint8_t buf[BROKER_ACK_MAX];
    size_t len = 0;
    if (reason == DAJIA__REASON__REASON_NONE && !*ack.reason_text)
        len = broker_ack_pack_plain(buf, sizeof buf, ack.event_id, status, log_seq, received_at);
    if (!len) {
        len = dajia__ack__get_packed_size(&ack);
        if (len > sizeof buf) {
            ack.reason_text = (char *)dajia_reason_text(reason);
            len = dajia__ack__get_packed_size(&ack);
        }
        dajia__ack__pack(&ack, buf);
    }
    if (!s_send_routing(self, routing))
        return;
    zmq_send(self->api_handle, DAJIA_API_ACK, DAJIA_API_LEN(DAJIA_API_ACK),
             ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(self->api_handle, buf, len, ZMQ_DONTWAIT);
}

/* ================================================================ reject budget */

/* Is the connection of `routing` over its reject budget this second? If so the request
   is dropped: the first one of the second is answered with a notice, the rest not at
   all. Returns true when the request was dealt with (the caller only closes its
   frames). `read_now`: the request was just read (else it was counted as received when
   it was, and the judges refused it since: broker_judge.h). */
static bool
s_throttled_as(broker_server_t *self, zmq_msg_t *routing, bool read_now)
{
    if (!self->throttle)
        return false;
    char text[DAJIA_REASON_TEXT_MAX];
    broker_throttle_verdict_t verdict = broker_throttle_check(
        self->throttle, zmq_msg_data(routing), zmq_msg_size(routing), text, sizeof text);
    if (verdict == BROKER_THROTTLE_PASS)
        return false;
    if (read_now)
        self->stats.received++;
    self->stats.throttled++;
    if (verdict == BROKER_THROTTLE_NOTICE)
        s_send_ack(self, routing, NULL, DAJIA__ACK_STATUS__ACK_STATUS_REJECTED, 0,
                   DAJIA__REASON__REASON_FORBIDDEN, text, 0);
    return true;
}

static bool
s_throttled(broker_server_t *self, zmq_msg_t *routing)
{
    return s_throttled_as(self, routing, true);
}

/* ================================================================ rejections */

/* Answers REJECTED and counts it; a rejection the client caused (all but storage
   failures) is charged to its connection's budget. Consumes `routing`. */
static void
s_reject(broker_server_t *self, zmq_msg_t *routing, const char *event_id,
         const dajia_verdict_t *verdict)
{
    broker_stats_reject(&self->stats, verdict->reason);
    if (self->throttle && verdict->reason != DAJIA__REASON__REASON_STORAGE_UNAVAILABLE)
        broker_throttle_charge(self->throttle, zmq_msg_data(routing), zmq_msg_size(routing));
    if (self->verbose)
        dajia_log_debug("rejected %s: %s: %s", event_id && *event_id ? event_id : "(no id)",
                        dajia_reason_name(verdict->reason), verdict->text);
    s_send_ack(self, routing, event_id, DAJIA__ACK_STATUS__ACK_STATUS_REJECTED, 0, verdict->reason,
               verdict->text, 0);
}

static void
s_reply_stats(broker_server_t *self, zmq_msg_t *routing)
{
    self->stats.replay_waited = broker_replay_waited(self->replay);
    self->stats.peers_closed = broker_peers_closed(self->peers);
    self->stats.peers_refused = broker_peers_refused(self->peers);
    self->stats.services =
        broker_dispatch_cursors(self->dispatch, self->stats.service_name,
                                self->stats.service_cursor, BROKER_STATS_SERVICES);
    char *json = broker_stats_json(&self->stats, zclock_time());
    if (!s_send_routing(self, routing)) {
        free(json);
        return;
    }
    zmq_send(self->api_handle, DAJIA_API_STATS_REPLY, DAJIA_API_LEN(DAJIA_API_STATS_REPLY),
             ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(self->api_handle, json ? json : "{}", json ? strlen(json) : 2, ZMQ_DONTWAIT);
    free(json);
}

/* Answers HELLO: the store's identity and the log's last log_seq (broker_identity.h). */
static void
s_reply_hello(broker_server_t *self, zmq_msg_t *routing)
{
    uint8_t buf[BROKER_IDENTITY_HELLO];
    size_t len = broker_identity_hello(self->store_id, self->stats.last_seq, buf);
    if (!s_send_routing(self, routing))
        return;
    zmq_send(self->api_handle, DAJIA_API_HELLO_REPLY, DAJIA_API_LEN(DAJIA_API_HELLO_REPLY),
             ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(self->api_handle, buf, len, ZMQ_DONTWAIT);
}

/* Answers a REPLAY at once with a FeedBatch that refuses it. Consumes `routing`. */
static void
s_refuse_replay(broker_server_t *self, zmq_msg_t *routing, Dajia__Reason reason, const char *text)
{
    Dajia__FeedBatch refused = DAJIA__FEED_BATCH__INIT;
    refused.reason = reason;
    refused.reason_text = (char *)text;
    uint8_t buf[512];
    size_t len = dajia__feed_batch__get_packed_size(&refused);
    if (len > sizeof buf) {
        refused.reason_text = "";
        len = dajia__feed_batch__get_packed_size(&refused);
    }
    dajia__feed_batch__pack(&refused, buf);
    if (!s_send_routing(self, routing))
        return;
    zmq_send(self->api_handle, DAJIA_API_FEED, DAJIA_API_LEN(DAJIA_API_FEED),
             ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(self->api_handle, buf, len, ZMQ_DONTWAIT);
}

/* Judges ["REPLAY", ReplayRequest] and hands it to the replay thread, which reads the
   feed log; its answer, ["FEED", FeedBatch], goes out from s_forward_replays. With auth,
   the audience asked for decides who may (broker_replay_judge): office items the office
   role, public items the unit, office and dashboard roles, one unit's items that unit's
   key and the office role. A connection gets one REPLAY at a time
   (broker_replay.h); one more meanwhile is refused and charged to its reject budget. */
static void
s_reply_replay(broker_server_t *self, zmq_msg_t *routing, zmq_msg_t *command, zmq_msg_t *body,
               const s_peer_t *peer)
{
    char text[200];
    self->stats.replays++;
    Dajia__ReplayRequest *req =
        body ? dajia__replay_request__unpack(NULL, zmq_msg_size(body), zmq_msg_data(body)) : NULL;
    if (!req) {
        s_refuse_replay(self, routing,
                        body ? DAJIA__REASON__REASON_MALFORMED : DAJIA__REASON__REASON_BAD_FRAMES,
                        body ? "the body is not a ReplayRequest"
                             : "a " DAJIA_API_REPLAY " has two frames: the command and a "
                               "ReplayRequest");
        goto out;
    }
    broker_replay_request_t job;
    Dajia__Reason refused = broker_replay_judge(self->auth != NULL, peer->role, peer->unit, req,
                                                &job, text, sizeof text);
    if (refused != DAJIA__REASON__REASON_NONE) {
        s_refuse_replay(self, routing, refused, text);
        goto out;
    }
    int fd = broker_peers_fd(command);
    if (broker_replay_admit(self->replay, zmq_msg_data(routing), zmq_msg_size(routing), fd) !=
        BROKER_REPLAY_GO) {
        self->stats.replay_busy++;
        if (self->throttle)
            broker_throttle_charge(self->throttle, zmq_msg_data(routing), zmq_msg_size(routing));
        s_refuse_replay(self, routing, DAJIA__REASON__REASON_FORBIDDEN,
                        "one " DAJIA_API_REPLAY " at a time: read the answer to the previous "
                        "one, then ask again");
        goto out;
    }
    job.fd = fd;
    if (broker_replay_submit(self->replay, routing, &job) != 0)
        dajia_log_error("could not hand a replay to the replay thread; it goes unanswered");
out:
    dajia__replay_request__free_unpacked(req, NULL);
}

/* Sends the answers the replay thread has ready. */
static void
s_forward_replays(broker_server_t *self)
{
    broker_replay_answer_t answer;
    while (broker_replay_take(self->replay, &answer) == 0) {
        size_t bytes = zmq_msg_size(&answer.body);
        bool sent = s_send_routing(self, &answer.routing);
        if (sent) {
            zmq_send(self->api_handle, DAJIA_API_FEED, DAJIA_API_LEN(DAJIA_API_FEED),
                     ZMQ_SNDMORE | ZMQ_DONTWAIT);
            zmq_msg_send(&answer.body, self->api_handle, ZMQ_DONTWAIT);
            self->stats.replay_answers++;
            self->stats.replay_items += answer.items;
        }
        broker_replay_sent(self->replay, &answer, sent, bytes);
        zmq_msg_close(&answer.routing);
        zmq_msg_close(&answer.body);
    }
}

static void
s_answer_refused(broker_server_t *self, broker_item_t *item, int64_t judged_at);

/* Answers every event of a batch the writer gave back. */
static void
s_answer_batch(broker_server_t *self, broker_batch_t *batch)
{
    broker_stats_t *st = &self->stats;
    st->batches++;
    st->batch_events += batch->count;
    broker_hist_record(&st->commit_us, batch->commit_us);
    st->last_seq = batch->last_seq;
    if (!batch->rc)
        broker_dispatch_notify(self->dispatch, batch->last_seq);
    st->map_bytes = batch->map_bytes;
    st->used_bytes = batch->used_bytes;
    if (batch->rc) {
        st->storage_failures++;
        /* Rate-limited (dajia_log.h): an operator must act, but a full disk must not
           also fill the log. */
        dajia_log_limited(&self->storage_log, DAJIA_LOG_ERROR,
                          "could not store a batch of %zu events: %s; they are answered "
                          "\"storage unavailable\" and their agents will send them again "
                          "(%" PRIu64 " failed batches so far)",
                          batch->count, dajia_strerror(batch->rc), st->storage_failures);
    }
    for (size_t i = 0; i < batch->count; i++) {
        broker_item_t *item = &batch->items[i];
        if (item->status == BROKER_ITEM_REJECTED) {
            s_answer_refused(self, item, batch->received_at);
            continue;
        }
        size_t id_len;
        const char *event_id = broker_item_event_id(item, &id_len);
        if (batch->rc) {
            dajia_verdict_t verdict;
            dajia_verdict_set(&verdict, DAJIA__REASON__REASON_STORAGE_UNAVAILABLE, "%s (%s)",
                              dajia_reason_text(DAJIA__REASON__REASON_STORAGE_UNAVAILABLE),
                              dajia_strerror(batch->rc));
            s_reject(self, &item->routing, event_id, &verdict);
            continue;
        }
        bool dup = item->status == BROKER_ITEM_DUPLICATE;
        if (dup)
            st->duplicates++;
        else
            st->accepted++;
        s_send_ack(self, &item->routing, event_id,
                   dup ? DAJIA__ACK_STATUS__ACK_STATUS_DUPLICATE
                       : DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED,
                   item->log_seq, DAJIA__REASON__REASON_NONE, "", batch->received_at);
    }
}

/* ================================================================ batches */

/* Answers the batches the writer finished (waiting for each with `wait`, until the
   writer's end), and gives them back. */
static void
s_collect(broker_server_t *self, bool wait)
{
    broker_batch_t *done;
    while ((done = broker_writer_take(self->writer, wait)) != NULL) {
        s_answer_batch(self, done);
        broker_writer_give(self->writer, done);
    }
}

/* ================================================================ requests */

static bool
s_unit_known(const char *unit, void *arg)
{
    return broker_config_is_member(arg, unit);
}

static bool
s_frame_is(zmq_msg_t *frame, const char *text)
{
    size_t len = strlen(text);
    return zmq_msg_size(frame) == len && memcmp(zmq_msg_data(frame), text, len) == 0;
}

/* True when `text` is 1..max characters of printable ASCII. */
static bool
s_printable_ascii(const char *text, size_t max)
{
    size_t n = 0;
    for (; text && text[n]; n++)
        if (n >= max || text[n] < 0x20 || text[n] > 0x7E)
            return false;
    return n > 0;
}

/* Rejects the event in item->body, naming it when it decodes at all: the agent matches
   answers by event_id, so a rejection it can match moves the event out of its outbox
   at once instead of being sent again. Rare path: decoding twice costs nothing here. */
static void
s_reject_named(broker_server_t *self, broker_item_t *item, const dajia_verdict_t *verdict)
{
    Dajia__Envelope *env = NULL;
    char event_id[DAJIA_MAX_ID + 1] = "";
    size_t size = zmq_msg_size(&item->body);
    if (verdict->reason != DAJIA__REASON__REASON_TOO_LARGE &&
        verdict->reason != DAJIA__REASON__REASON_MALFORMED)
        env = dajia__envelope__unpack(NULL, size, zmq_msg_data(&item->body));
    /* Echo only printable ASCII: the answer must stay a valid protobuf (strings are
       UTF-8) and readable whatever the event held. Found by tests/fuzz. */
    if (env && s_printable_ascii(env->event_id, DAJIA_MAX_ID))
        snprintf(event_id, sizeof event_id, "%s", env->event_id);
    dajia__envelope__free_unpacked(env, NULL);
    s_reject(self, &item->routing, event_id, verdict);
}

/* Logs a unit mismatch with the key that tried, rate-limited (dajia_log.h): the first,
   then a line every DAJIA_LOG_EVERY_MS with a count, whichever keys take turns (a flood
   must not fill the log). */
static void
s_log_mismatch(broker_server_t *self, const s_peer_t *peer, const char *claimed)
{
    self->mismatches++;
    dajia_log_limited(&self->mismatch_log, DAJIA_LOG_WARNING,
                      "unit mismatch: the certificate of unit %s (key %s) submitted an event as "
                      "unit %s; rejected, nothing stored (%" PRIu64 " mismatches so far)",
                      peer->unit, peer->key ? peer->key : "(none)", claimed, self->mismatches);
}

/* What judging an event found: kept, or why not. Judging itself answers nobody (it may
   run on a judge thread, broker_judge.h); the api thread answers from this. */
typedef enum {
    S_JUDGED_OK,
    S_JUDGED_REJECT,       /* verdict, event_id */
    S_JUDGED_REJECT_NAMED, /* verdict; the id is read again from the body */
    S_JUDGED_MISMATCH,     /* unit and event_id: the event claims another unit */
} s_judged_kind_t;

typedef struct {
    s_judged_kind_t kind;
    dajia_verdict_t verdict;
    char unit[DAJIA_MAX_ID + 1];
    char event_id[DAJIA_MAX_ID + 1];
} s_judged_t;

/* Fills the item's key from an accepted event's unit and event_id. Validation bounds
   both by DAJIA_MAX_ID, so the length check is defence in depth. */
static int
s_set_key(broker_item_t *item, const char *unit, size_t unit_len, const char *event_id,
          size_t id_len, s_judged_t *judged)
{
    if (unit_len + id_len + 2 > BROKER_KEY_MAX) {
        judged->kind = S_JUDGED_REJECT;
        judged->event_id[0] = '\0';
        dajia_verdict_set(&judged->verdict, DAJIA__REASON__REASON_STRING_TOO_LONG,
                          "unit and event_id together are too long");
        return -1;
    }
    memcpy(item->key, unit, unit_len);
    item->key[unit_len] = '\0';
    memcpy(item->key + unit_len + 1, event_id, id_len);
    item->key[unit_len + 1 + id_len] = '\0'; /* for the Ack, not part of the key */
    item->unit_len = (uint16_t)unit_len;
    item->key_len = (uint16_t)(unit_len + 1 + id_len);
    return 0;
}

/* An event of another unit than the sender's certificate. */
static int
s_judged_mismatch(s_judged_t *judged, const char *unit, size_t unit_len, const char *event_id,
                  size_t id_len)
{
    judged->kind = S_JUDGED_MISMATCH;
    snprintf(judged->unit, sizeof judged->unit, "%.*s", (int)unit_len, unit);
    snprintf(judged->event_id, sizeof judged->event_id, "%.*s", (int)id_len, event_id);
    return -1;
}

/* May `peer` set an event's submitted_at, the time its unit first submitted it? The
   Office imports history with it (an office or admin certificate); a unit may not date
   its own submissions, since compliance is judged on them. With no keys every peer is
   trusted, as it is for everything else, and so is an ipc peer ("local"), whose access
   control is the socket file's permissions. */
static bool
s_may_date_submission(const broker_server_t *self, const s_peer_t *peer)
{
    if (!self->auth)
        return true;
    return peer->role &&
           (streq(peer->role, BROKER_AUTH_ROLE_OFFICE) ||
            streq(peer->role, BROKER_AUTH_ROLE_ADMIN) || streq(peer->role, BROKER_AUTH_ROLE_LOCAL));
}

/* Keeps an accepted event's submitted_at (0: none) for its log record, or refuses it
   from a peer that may not set it. */
static int
s_take_submitted_at(const broker_server_t *self, broker_item_t *item, const s_peer_t *peer,
                    int64_t submitted_at, const char *event_id, size_t id_len, s_judged_t *judged)
{
    if (submitted_at && !s_may_date_submission(self, peer)) {
        judged->kind = S_JUDGED_REJECT;
        snprintf(judged->event_id, sizeof judged->event_id, "%.*s", (int)id_len, event_id);
        dajia_verdict_set(&judged->verdict, DAJIA__REASON__REASON_FORBIDDEN,
                          "submitted_at is for the Office's import of history: a certificate "
                          "of role %s may not set it; leave it out (the broker records when it "
                          "received the event)",
                          peer->role ? peer->role : "(none)");
        return -1;
    }
    item->submitted_at = submitted_at;
    return 0;
}

/* Judges the event in item->body, sent by `peer`, at `now_ms`: 0 with the item's key
   filled, or -1 with why in `judged`. A unit certificate may only submit its own unit's
   events. Reads only what does not change while the broker runs, and writes only the
   item and `arena` (the caller resets it): judge threads call it at once.

   Nearly every event is a good one, and dajia_wire_accept says so from its bytes
   without unpacking it. Whatever the fast path cannot vouch for is decoded in full
   (into the arena), which gives the verdict and its sentence. */
static int
s_judge(const broker_server_t *self, broker_item_t *item, const s_peer_t *peer, int64_t now_ms,
        dajia_arena_t *arena, s_judged_t *judged)
{
    Dajia__Envelope *env = NULL;
    const void *data = zmq_msg_data(&item->body);
    size_t size = zmq_msg_size(&item->body);
    dajia_wire_keys_t keys;
    if (dajia_wire_accept(data, size, &self->limits, now_ms, s_unit_known, self->config, &keys)) {
        if (peer->unit && (strlen(peer->unit) != keys.unit_len ||
                           memcmp(peer->unit, keys.unit, keys.unit_len) != 0))
            return s_judged_mismatch(judged, keys.unit, keys.unit_len, keys.event_id,
                                     keys.event_id_len);
        if (s_take_submitted_at(self, item, peer, keys.submitted_at, keys.event_id,
                                keys.event_id_len, judged))
            return -1;
        return s_set_key(item, keys.unit, keys.unit_len, keys.event_id, keys.event_id_len, judged);
    }
    if (dajia_envelope_decode_with(data, size, &self->limits, now_ms, s_unit_known, self->config,
                                   dajia_arena_allocator(arena), &env, &judged->verdict) != 0) {
        judged->kind = S_JUDGED_REJECT_NAMED;
        return -1;
    }
    if (peer->unit && strcmp(peer->unit, env->unit) != 0)
        return s_judged_mismatch(judged, env->unit, strlen(env->unit), env->event_id,
                                 strlen(env->event_id));
    if (s_take_submitted_at(self, item, peer, env->submitted_at, env->event_id,
                            strlen(env->event_id), judged))
        return -1;
    return s_set_key(item, env->unit, strlen(env->unit), env->event_id, strlen(env->event_id),
                     judged);
}

/* Answers an event judging refused (consumes the item's routing). */
static void
s_answer_judged(broker_server_t *self, broker_item_t *item, const s_peer_t *peer,
                const s_judged_t *judged)
{
    dajia_verdict_t verdict;
    switch (judged->kind) {
    case S_JUDGED_REJECT_NAMED:
        s_reject_named(self, item, &judged->verdict);
        break;
    case S_JUDGED_MISMATCH:
        s_log_mismatch(self, peer, judged->unit);
        dajia_verdict_set(&verdict, DAJIA__REASON__REASON_UNIT_MISMATCH,
                          "this certificate is unit %s's; it cannot submit events of unit %s",
                          peer->unit, judged->unit);
        s_reject(self, &item->routing, judged->event_id, &verdict);
        break;
    case S_JUDGED_REJECT:
    default:
        s_reject(self, &item->routing, judged->event_id, &judged->verdict);
        break;
    }
}

/* Who sent a request, from the metadata auth attached to its command frame; with no
   auth, nobody in particular (every check passes). */
static void
s_peer_read(const broker_server_t *self, zmq_msg_t *command, s_peer_t *peer)
{
    peer->role = self->auth ? zmq_msg_gets(command, BROKER_AUTH_PROP_ROLE) : NULL;
    peer->unit = self->auth ? zmq_msg_gets(command, BROKER_AUTH_PROP_UNIT) : NULL;
    peer->key = self->auth ? zmq_msg_gets(command, BROKER_AUTH_PROP_KEY) : NULL;
}

/* Judges the event of `item` on the api thread as it is read: 0 when it is kept, -1
   after answering the client (the item's routing is consumed). */
static int
s_take_event(broker_server_t *self, broker_item_t *item, const s_peer_t *peer)
{
    s_judged_t judged;
    int rc = s_judge(self, item, peer, self->now_ms, self->arena, &judged);
    if (rc)
        s_answer_judged(self, item, peer, &judged);
    dajia_arena_reset(self->arena);
    return rc;
}

/* Judges a deferred event on a judge thread (broker_judge_fn). */
static int
s_judge_deferred(broker_item_t *item, int64_t now_ms, dajia_arena_t *arena, void *arg)
{
    const broker_server_t *self = arg;
    s_peer_t peer;
    s_judged_t judged;
    s_peer_read(self, &item->command, &peer);
    return s_judge(self, item, &peer, now_ms, arena, &judged);
}

/* Answers an event the judges refused: judged again here, at the same time and on the
   same bytes, for the reason's sentence (refusals are rare; the judges keep none). The
   reject budget is applied here as well as when the request was read: a connection's
   refusals are charged only now, so a flood read before the first of them was charged
   is answered only up to the budget, like one judged as it was read. */
static void
s_answer_refused(broker_server_t *self, broker_item_t *item, int64_t judged_at)
{
    s_peer_t peer;
    s_judged_t judged;
    if (s_throttled_as(self, &item->routing, false))
        return;
    s_peer_read(self, &item->command, &peer);
    if (s_judge(self, item, &peer, judged_at, self->arena, &judged) == 0) {
        judged.kind = S_JUDGED_REJECT; /* cannot happen: the same judgement twice */
        judged.event_id[0] = '\0';
        dajia_verdict_set(&judged.verdict, DAJIA__REASON__REASON_MALFORMED, "%s",
                          dajia_reason_text(DAJIA__REASON__REASON_MALFORMED));
    }
    dajia_arena_reset(self->arena);
    s_answer_judged(self, item, &peer, &judged);
}

/* Is `key` still trusted? One lookup per key and drain: requests from one connection
   come in runs, and a revoke is seen by the next drain. */
static bool
s_key_trusted(broker_server_t *self, const char *key)
{
    if (*self->trusted_key && strcmp(key, self->trusted_key) == 0)
        return true;
    if (!broker_auth_trusts(self->auth, key))
        return false;
    snprintf(self->trusted_key, sizeof self->trusted_key, "%s", key);
    return true;
}

/* Reads who sent `command` and whether they may send it at all. Returns true, or
   false with the refusal in `verdict`. REPLAY is judged later, by its audience. */
static bool
s_peer_judge(broker_server_t *self, zmq_msg_t *command, s_peer_t *peer, dajia_verdict_t *verdict)
{
    peer->role = zmq_msg_gets(command, BROKER_AUTH_PROP_ROLE);
    peer->unit = zmq_msg_gets(command, BROKER_AUTH_PROP_UNIT);
    peer->key = zmq_msg_gets(command, BROKER_AUTH_PROP_KEY);
    if (!peer->role) {
        dajia_verdict_set(verdict, DAJIA__REASON__REASON_FORBIDDEN,
                          "this connection has no role: connect with a certificate");
        return false;
    }
    if (peer->key && !s_key_trusted(self, peer->key)) {
        dajia_verdict_set(verdict, DAJIA__REASON__REASON_FORBIDDEN,
                          "this certificate is no longer trusted (revoked); ask the Office "
                          "for a new one");
        return false;
    }
    const char *name = s_frame_is(command, DAJIA_API_SUBMIT)  ? DAJIA_API_SUBMIT
                       : s_frame_is(command, DAJIA_API_STATS) ? DAJIA_API_STATS
                                                              : NULL;
    if (name && !broker_auth_allows(peer->role, BROKER_AUTH_DOMAIN_API, name)) {
        dajia_verdict_set(verdict, DAJIA__REASON__REASON_FORBIDDEN,
                          "a certificate of role %s may not %s: that needs %s", peer->role, name,
                          broker_auth_needs(BROKER_AUTH_DOMAIN_API, name));
        return false;
    }
    return true;
}

/* Hands what waits to be credited to broker_peers. */
static void
s_credit_flush(broker_server_t *self)
{
    if (self->credit_bytes)
        broker_peers_credit(self->peers, self->credit_fd, self->credit_bytes);
    self->credit_fd = -1;
    self->credit_bytes = 0;
}

/* Credits `wire` bytes read from connection `fd`. Requests come in runs from one
   connection: a run is credited at once when the next request is another's, when it
   reaches BROKER_CREDIT_RUN, or at the end of the drain (broker_peers_credit reads the
   clock and writes two atomics: once a run, not once a request). Meanwhile the
   connection counts as holding at most BROKER_CREDIT_RUN bytes more than it does. */
static void
s_credit(broker_server_t *self, int fd, size_t wire)
{
    if (fd != self->credit_fd || self->credit_bytes >= BROKER_CREDIT_RUN)
        s_credit_flush(self);
    self->credit_fd = fd;
    self->credit_bytes += wire;
}

/* Reads one request (all its frames) into `item` and either keeps it in the batch (a
   valid SUBMIT) or answers it at once. Returns 0 when a request was read, -1 when the
   socket had nothing more (or failed). */
static int
s_read_request(broker_server_t *self, broker_item_t *item)
{
    if (zmq_msg_recv(&item->routing, self->api_handle, ZMQ_DONTWAIT) < 0)
        return -1;
    zmq_msg_t command, extra;
    zmq_msg_init(&command);
    int frames = 0;
    bool more = zmq_msg_more(&item->routing);
    if (more && zmq_msg_recv(&command, self->api_handle, 0) >= 0) {
        frames = 1;
        more = zmq_msg_more(&command);
    }
    if (more && zmq_msg_recv(&item->body, self->api_handle, 0) >= 0) {
        frames = 2;
        more = zmq_msg_more(&item->body);
    }
    size_t wire = 0;
    if (frames >= 1)
        wire += broker_peers_wire(self->peers, self->api_which, zmq_msg_size(&command));
    if (frames >= 2)
        wire += broker_peers_wire(self->peers, self->api_which, zmq_msg_size(&item->body));
    while (more) { /* frames beyond the protocol's two: read and count */
        zmq_msg_init(&extra);
        if (zmq_msg_recv(&extra, self->api_handle, 0) < 0)
            break;
        frames++;
        more = zmq_msg_more(&extra);
        wire += broker_peers_wire(self->peers, self->api_which, zmq_msg_size(&extra));
        zmq_msg_close(&extra);
    }
    /* What was read is no longer held: broker_peers bounds the rest. */
    if (frames >= 1)
        s_credit(self, broker_peers_fd(&command), wire);

    dajia_verdict_t verdict;
    bool kept = false;
    s_peer_t peer = {NULL, NULL, NULL};
    if (s_throttled(self, &item->routing))
        goto out;
    if (self->auth && frames >= 1 && !s_peer_judge(self, &command, &peer, &verdict)) {
        self->stats.received++;
        s_reject(self, &item->routing, NULL, &verdict);
        goto out;
    }
    /* SUBMIT first: nearly every request is one. */
    bool submit = frames >= 1 && s_frame_is(&command, DAJIA_API_SUBMIT);
    if (!submit && frames >= 1 && s_frame_is(&command, DAJIA_API_STATS)) {
        s_reply_stats(self, &item->routing);
        goto out;
    }
    if (!submit && frames >= 1 && s_frame_is(&command, DAJIA_API_HELLO)) {
        s_reply_hello(self, &item->routing);
        goto out;
    }
    if (!submit && frames >= 1 && s_frame_is(&command, DAJIA_API_REPLAY)) {
        s_reply_replay(self, &item->routing, &command,
                       frames == DAJIA_API_FRAMES ? &item->body : NULL, &peer);
        goto out;
    }
    self->stats.received++;
    if (frames == 0 || zmq_msg_size(&command) == 0) {
        dajia_verdict_set(&verdict, DAJIA__REASON__REASON_BAD_FRAMES,
                          "the request has no command: send two frames, \"" DAJIA_API_SUBMIT
                          "\" and the event");
        s_reject(self, &item->routing, NULL, &verdict);
    } else if (!submit) {
        dajia_verdict_set(&verdict, DAJIA__REASON__REASON_UNKNOWN_COMMAND,
                          "unknown command (%zu bytes); the broker knows " DAJIA_API_SUBMIT
                          ", " DAJIA_API_STATS ", " DAJIA_API_REPLAY " and " DAJIA_API_HELLO,
                          zmq_msg_size(&command));
        s_reject(self, &item->routing, NULL, &verdict);
    } else if (frames != DAJIA_API_FRAMES) {
        dajia_verdict_set(&verdict, DAJIA__REASON__REASON_BAD_FRAMES,
                          "a " DAJIA_API_SUBMIT
                          " has exactly two frames, the command and the event; "
                          "this one had %d",
                          frames);
        s_reject(self, &item->routing, NULL, &verdict);
    } else if (self->judge_threads) {
        /* Judged by the judges before the commit (broker_judge.h). */
        zmq_msg_init(&item->command);
        zmq_msg_move(&item->command, &command);
        item->has_command = true;
        item->deferred = true;
        kept = true;
    } else if (s_take_event(self, item, &peer) == 0) {
        kept = true;
    }
out:
    zmq_msg_close(&command);
    if (kept) {
        broker_batch_commit_item(self->fill);
    } else {
        zmq_msg_close(&item->routing);
        zmq_msg_close(&item->body);
    }
    return 0;
}

/* Reads what is ready on the api socket, up to the room left in the batch. */
static void
s_drain(broker_server_t *self)
{
    self->now_ms = dajia_clock_now_ms();
    if (self->throttle)
        broker_throttle_set_now(self->throttle, zclock_mono());
    self->trusted_key[0] = '\0';
    /* At most a batch's worth of reads, full or not: a flood of requests that are all
       answered at once (rejects, throttled ones) must not keep the loop from committing
       and answering the events it holds. */
    size_t reads = self->batch_max;
    bool more = true;
    while (more && reads > 0) {
        /* A few requests at a time into the writer's open batch, so that the writer,
           done with a commit, never waits long for it. */
        size_t room;
        self->fill = broker_writer_fill_begin(self->writer, &room);
        size_t chunk = room < BROKER_FILL_CHUNK ? room : BROKER_FILL_CHUNK;
        if (chunk > reads)
            chunk = reads;
        more = chunk > 0;
        broker_item_t *item;
        for (size_t i = 0; i < chunk && (item = broker_batch_next_item(self->fill)) != NULL; i++) {
            reads--;
            if (s_read_request(self, item) != 0) {
                zmq_msg_close(&item->routing);
                zmq_msg_close(&item->body);
                more = false;
                break;
            }
        }
        broker_writer_fill_end(self->writer);
        self->fill = NULL;
    }
    s_credit_flush(self);
}

/* ================================================================ lifecycle */

/* The endpoint of `key`, or when it is empty one beside the api: the same ephemeral tcp
   port kind (tests), an ipc path with `suffix`, or the documented default. Returns a
   string the caller frees, or NULL. */
static char *
s_endpoint_beside_api(broker_config_t *config, const char *key, const char *suffix,
                      const char *fallback)
{
    const char *value = broker_config_get(config, key);
    if (*value)
        return strdup(value);
    const char *api = broker_config_get(config, "broker/api");
    size_t len = strlen(api);
    if (strncmp(api, "tcp://", 6) == 0 && len > 2 && streq(api + len - 2, ":*"))
        return strdup(api);
    if (strncmp(api, "ipc://", 6) == 0)
        return zsys_sprintf("%s-%s", api, suffix);
    return strdup(fallback);
}

/* The dispatcher's sockets get their bounds here, beside the api's, so that the memory
   ceiling (s_memory_ceiling) is computed where they are set. */
static int
s_prepare_dispatch(zsock_t *sock, broker_dispatch_socket_t which, const char *endpoint, void *arg,
                   char *err, size_t errlen)
{
    broker_server_t *self = arg;
    broker_peers_socket_t bounds = {.curve = broker_guard_is_curve(self->auth, endpoint),
                                    .max_connections = self->max_connections};
    int *number = NULL, ignored = 0;
    if (which == BROKER_DISPATCH_WORKERS) {
        /* Workers hold keys of their own role: bounds against mistakes, not attacks. */
        zsock_set_rcvhwm(sock, 2 * BROKER_DISPATCH_WINDOW);
        zsock_set_maxmsgsize(sock, (int)BROKER_WORKERS_MAXMSG);
        bounds.name = "the workers";
        bounds.credited = true;
        bounds.in_max = BROKER_WORKERS_IN_MAX;
        bounds.max_connections = BROKER_WORKERS_CONN;
        number = &self->workers_which;
    } else {
        /* A reader only subscribes: tiny frames, few of them. What it is sent waits in a
           queue of BROKER_FEED_SNDHWM items; past it the XPUB drops items for it (the
           reader sees the gap in feed_seq and replays). */
        zsock_set_sndhwm(sock, BROKER_FEED_SNDHWM);
        zsock_set_rcvhwm(sock, BROKER_FEED_SNDHWM);
        zsock_set_maxmsgsize(sock, BROKER_FEED_MAXMSG);
        bounds.name = which == BROKER_DISPATCH_OFFICE ? "the office feed" : "the public feed";
        bounds.in_max = BROKER_FEED_IN_MAX;
        number = &ignored;
    }
    int rc = broker_peers_watch(self->peers, sock, &bounds, number);
    if (rc) {
        snprintf(err, errlen, "cannot watch the connections of %s: %s", bounds.name,
                 dajia_strerror(rc));
        return -1;
    }
    return 0;
}

/* Credits what the dispatcher read from a worker connection (broker_peers.h). */
static void
s_on_worker_read(zmsg_t *msg, void *arg)
{
    broker_server_t *self = arg;
    zframe_t *first = zmsg_first(msg); /* the routing id: made by the ROUTER, not sent */
    const char *fd = first ? zframe_meta(first, "__fd") : NULL;
    size_t wire = 0;
    for (zframe_t *f = zmsg_next(msg); f; f = zmsg_next(msg))
        wire += broker_peers_wire(self->peers, self->workers_which, zframe_size(f));
    broker_peers_credit(self->peers, fd ? atoi(fd) : -1, wire);
}

/* Starts the dispatcher: workers ROUTER, feeds, cursors. Returns 0 or -1 with `err`. */
/* broker/insecure: endpoints nobody guards are opened, with a warning (broker_guard.h). */
static bool
s_insecure(broker_config_t *config)
{
    return streq(broker_config_get(config, "broker/insecure"), "1");
}

static int
s_dispatch_start(broker_server_t *self, uint64_t last_seq, char *err, size_t errlen)
{
    bool external = streq(broker_config_get(self->config, "broker/external_workers"), "1");
    char *workers =
        s_endpoint_beside_api(self->config, "broker/workers", "workers",
                              external ? "tcp://127.0.0.1:7401" : "inproc://dajia-workers");
    char *office =
        s_endpoint_beside_api(self->config, "broker/office", "office", "tcp://127.0.0.1:7402");
    char *public_feed =
        s_endpoint_beside_api(self->config, "broker/public", "public", "tcp://127.0.0.1:7403");
    int rc = -1;
    if (!workers || !office || !public_feed) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (!external && !*broker_config_get(self->config, "broker/workers")) {
        /* in-process workers: inproc, unique per server so tests may run several */
        free(workers);
        workers = zsys_sprintf("inproc://dajia-workers-%u", atomic_fetch_add(&s_inproc_serial, 1));
    }
    broker_dispatch_options_t opts = {.store = self->store,
                                      .last_log_seq = last_seq,
                                      .workers = workers,
                                      .office = office,
                                      .public_feed = public_feed,
                                      .auth = self->auth,
                                      .insecure = s_insecure(self->config),
                                      .prepare = s_prepare_dispatch,
                                      .on_read = s_on_worker_read,
                                      .arg = self};
    rc = broker_dispatch_start(&opts, &self->dispatch, err, errlen);
out:
    free(workers);
    free(office);
    free(public_feed);
    return rc;
}

/* The most memory the broker may come to hold with this configuration, not counting
   the dedup index (which grows with the log) nor in-process workers' own: the formula of
   README, Security, term by term. Every term is a bound this file or broker_peers sets,
   but the size of the feed items (BROKER_CEILING_ITEM), which the workers decide. */
static uint64_t
s_memory_ceiling(const broker_server_t *self, size_t max_message, size_t batch_max, size_t wire_cap,
                 bool external_workers)
{
    uint64_t conns = self->max_connections;
    /* three batches of item slots, two of them full of events of the largest size */
    uint64_t batches = 3 * (uint64_t)batch_max * sizeof(broker_item_t) +
                       2 * (uint64_t)batch_max * (max_message + BROKER_ANSWER_MAX);
    /* each api connection: what it sends (broker_peers' bound), the answers queued for
       it, one replay answer in flight, and libzmq's own */
    uint64_t api = BROKER_API_IN_WIRES * (uint64_t)wire_cap + BROKER_PEERS_SLACK +
                   BROKER_API_SNDHWM * (uint64_t)BROKER_ANSWER_MAX + BROKER_FEED_REPLAY_BYTES +
                   BROKER_CEILING_ITEM + BROKER_CONN_OVERHEAD;
    /* each feed reader: its subscriptions, its queue's slots, libzmq's own; the items
       themselves are shared by every queue: at most one queue's worth per feed */
    uint64_t reader = BROKER_FEED_IN_MAX + BROKER_FEED_SNDHWM * 256u + BROKER_CONN_OVERHEAD;
    uint64_t items = 2 * (uint64_t)BROKER_FEED_SNDHWM * BROKER_CEILING_ITEM;
    /* workers over tcp or ipc (in-process ones speak inproc: no connection to bound) */
    uint64_t workers =
        external_workers
            ? BROKER_WORKERS_CONN * ((uint64_t)BROKER_WORKERS_IN_MAX + BROKER_CONN_OVERHEAD)
            : 0;
    /* the replay thread builds one answer at a time; each judge decodes into its arena */
    uint64_t replay = BROKER_FEED_REPLAY_BYTES + BROKER_CEILING_ITEM;
    uint64_t judges = (uint64_t)self->judge_threads * BROKER_ARENA_BYTES;
    return BROKER_MEMORY_BASE + batches + conns * api + 2 * conns * reader + items + workers +
           replay + judges + BROKER_DECODE_OVERSHOOT;
}

int
broker_server_new(broker_config_t *config, broker_server_t **out, char *err, size_t errlen)
{
    broker_server_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    self->credit_fd = -1;
    self->config = config;
    /* Large blocks (a replay answer, a big frame) are mapped and unmapped whole, so that
       memory a flood made the broker take goes back to the system when it is over (glibc
       otherwise raises this threshold as it frees such blocks, and keeps them). */
    mallopt(M_MMAP_THRESHOLD, BROKER_MMAP_THRESHOLD);
    size_t max_message = 0, batch_max = 0, map_size = 0, max_map = 0, max_repeated = 0,
           max_future = 0, reject_budget = 0, replay_budget = 0;
    if (broker_config_size(config, "broker/max_message", &max_message, err, errlen) ||
        broker_config_size(config, "broker/batch_max", &batch_max, err, errlen) ||
        broker_config_size(config, "broker/map_size", &map_size, err, errlen) ||
        broker_config_size(config, "broker/max_map_size", &max_map, err, errlen) ||
        broker_config_size(config, "limits/max_repeated", &max_repeated, err, errlen) ||
        broker_config_size(config, "limits/max_future", &max_future, err, errlen) ||
        broker_config_size(config, "broker/reject_budget", &reject_budget, err, errlen) ||
        broker_config_size(config, "broker/replay_budget", &replay_budget, err, errlen) ||
        broker_config_size(config, "broker/max_connections", &self->max_connections, err, errlen) ||
        broker_config_size(config, "broker/judge_threads", &self->judge_threads, err, errlen))
        goto out;
    if (self->judge_threads > BROKER_JUDGE_THREADS_MAX) {
        snprintf(err, errlen, "broker/judge_threads must lie between 0 and %d",
                 BROKER_JUDGE_THREADS_MAX);
        goto out;
    }
    if (reject_budget > UINT32_MAX || replay_budget > UINT32_MAX) {
        snprintf(err, errlen, "broker/%s must be at most %" PRIu32 " a second",
                 reject_budget > UINT32_MAX ? "reject_budget" : "replay_budget", UINT32_MAX);
        goto out;
    }
    if (self->max_connections < 1 || self->max_connections > BROKER_MAX_CONNECTIONS) {
        snprintf(err, errlen, "broker/max_connections must lie between 1 and %d",
                 BROKER_MAX_CONNECTIONS);
        goto out;
    }
    if (reject_budget && broker_throttle_new((uint32_t)reject_budget, &self->throttle) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    dajia_limits_default(&self->limits);
    self->limits.max_message = max_message;
    self->limits.max_repeated = max_repeated;
    self->limits.max_future_ms = (int64_t)max_future * 1000;
    snprintf(self->region, sizeof self->region, "%s", broker_config_get(config, "broker/region"));
    self->limits.region_prefix = self->region;

    const char *data = broker_config_get(config, "broker/data");
    if (zsys_dir_create("%s", data) != 0) {
        snprintf(err, errlen, "cannot create the data directory %s: %s", data, strerror(errno));
        goto out;
    }
    store_options_t opts = {.initial_map_size = map_size, .max_map_size = max_map};
    int rc = store_open(data, &opts, &self->store);
    if (rc) {
        snprintf(err, errlen, "cannot open the log in %s: %s", data, dajia_strerror(rc));
        goto out;
    }
    uint64_t last_seq = 0;
    rc = broker_log_last_seq(self->store, &last_seq);
    if (rc) {
        snprintf(err, errlen, "cannot read the log in %s: %s", data, dajia_strerror(rc));
        goto out;
    }
    rc = broker_identity_load(self->store, self->store_id, sizeof self->store_id);
    if (rc) {
        snprintf(err, errlen, "cannot read the store's identity in %s: %s", data,
                 dajia_strerror(rc));
        goto out;
    }
    self->arena = dajia_arena_new(BROKER_ARENA_BYTES);
    self->batch_max = batch_max;
    if (!self->arena) {
        snprintf(err, errlen, "out of memory for the decoder's arena");
        goto out;
    }
    /* The ZAP handler before any guarded socket: without one libzmq admits every key. */
    const char *keys = broker_config_get(config, "broker/keys");
    if (*keys) {
        rc = broker_auth_start(keys, &self->auth);
        if (rc) {
            snprintf(err, errlen, "cannot use the key directory %s: %s", keys, dajia_strerror(rc));
            goto out;
        }
        dajia_log_info("CURVE on every tcp endpoint; %zu certificates trusted (keys in %s)",
                       broker_auth_size(self->auth), keys);
    }
    /* Every key the log holds, for the writer to tell new events from repeats: from the
       index's file and the log after it, or from the whole log. */
    broker_dedup_t *dedup = NULL;
    broker_dedup_file_t *dedup_file = NULL;
    broker_dedup_file_report_t made;
    char *dedup_path = zsys_sprintf("%s/%s", data, BROKER_DEDUP_FILE_NAME);
    int64_t began = zclock_mono();
    rc = dedup_path ? broker_dedup_file_open(self->store, dedup_path, &dedup, &dedup_file, &made)
                    : -ENOMEM;
    zstr_free(&dedup_path);
    if (rc) {
        snprintf(err, errlen, "cannot read the log in %s to index its events: %s", data,
                 dajia_strerror(rc));
        goto out;
    }
    if (!made.loaded)
        dajia_log_info("dedup index file not used (%s): read the whole log", made.why);
    dajia_log_info("indexed the %zu events of the log in %" PRId64 " ms (%zu MB of memory): "
                   "%" PRIu64 " from the index file, %" PRIu64 " read from the log",
                   broker_dedup_count(dedup), zclock_mono() - began,
                   broker_dedup_bytes(dedup) >> 20, made.from_file, made.scanned);
    self->stats.index_bytes = broker_dedup_bytes(dedup);
    broker_judge_t *judge = NULL;
    rc = self->judge_threads ? broker_judge_new(self->judge_threads, s_judge_deferred, self,
                                                BROKER_ARENA_BYTES, &judge)
                             : 0;
    if (rc == 0)
        rc = broker_writer_start(self->store, last_seq, batch_max, &dedup, &dedup_file, &judge,
                                 &self->writer);
    broker_dedup_destroy(&dedup); /* only when the writer did not take them */
    broker_dedup_file_destroy(&dedup_file);
    broker_judge_destroy(&judge);
    if (rc) {
        snprintf(err, errlen, "cannot start the writer thread (batches of %zu events): %s",
                 batch_max, dajia_strerror(rc));
        goto out;
    }
    /* The public index before anything appends to the feed (broker_feed.h). */
    uint64_t indexed = 0;
    rc = broker_feed_index_update(self->store, &indexed);
    if (rc) {
        snprintf(err, errlen, "cannot index the public items of the feed in %s: %s", data,
                 dajia_strerror(rc));
        goto out;
    }
    if (indexed)
        dajia_log_info("numbered and indexed %" PRIu64 " public and unit items of the feed",
                       indexed);
    rc = broker_replay_start(self->store, (uint32_t)replay_budget, &self->replay);
    if (rc == 0)
        rc = broker_peers_new(&self->peers);
    if (rc) {
        snprintf(err, errlen, "cannot start the replay thread: %s", dajia_strerror(rc));
        goto out;
    }

    self->api = zsock_new(ZMQ_ROUTER);
    if (!self->api) {
        snprintf(err, errlen, "cannot create the api socket: %s", zmq_strerror(zmq_errno()));
        goto out;
    }
    zsock_set_sndhwm(self->api, BROKER_API_SNDHWM);
    zsock_set_rcvhwm(self->api, BROKER_API_RCVHWM);
    zsock_set_router_mandatory(self->api, 1); /* a full queue fails the send: see above */
    zsock_set_linger(self->api, BROKER_LINGER_MS);
    /* Frames beyond this cost a disconnect in libzmq; frames between max_message and
       this are read and answered TOO_LARGE, so a client learns why. */
    size_t wire_cap = max_message * 2 > BROKER_WIRE_CAP_MIN ? max_message * 2 : BROKER_WIRE_CAP_MIN;
    zsock_set_maxmsgsize(self->api, (int)wire_cap);
    const char *api = broker_config_get(config, "broker/api");
    broker_peers_socket_t bounds = {.name = "the api",
                                    .credited = true,
                                    .curve = broker_guard_is_curve(self->auth, api),
                                    .in_max = BROKER_API_IN_WIRES * wire_cap + BROKER_PEERS_SLACK,
                                    .max_connections = self->max_connections,
                                    .evicts_idle = true};
    rc = broker_peers_watch(self->peers, self->api, &bounds, &self->api_which);
    if (rc) {
        snprintf(err, errlen, "cannot watch the connections of the api: %s", dajia_strerror(rc));
        goto out;
    }
    if (broker_guard_listen(self->api, api, self->auth, s_insecure(config), BROKER_AUTH_DOMAIN_API,
                            "the api", &self->endpoint, err, errlen) != 0)
        goto out;
    self->api_handle = zsock_resolve(self->api);
    if (s_dispatch_start(self, last_seq, err, errlen) != 0)
        goto out;
    rc = broker_peers_start(self->peers);
    if (rc) {
        snprintf(err, errlen, "cannot start the connection guard: %s", dajia_strerror(rc));
        goto out;
    }
    uint64_t index_bytes = self->stats.index_bytes;
    broker_stats_init(&self->stats, zclock_time());
    self->stats.last_seq = last_seq;
    self->stats.index_bytes = index_bytes;
    bool external =
        strncmp(broker_server_feed_endpoint(self, BROKER_DISPATCH_WORKERS), "inproc://", 9) != 0;
    self->stats.memory_ceiling = s_memory_ceiling(self, max_message, batch_max, wire_cap, external);
    dajia_log_info("memory ceiling for this configuration: %" PRIu64 " MB, plus the index of "
                   "the log's events (%" PRIu64 " MB now; README, Security)",
                   self->stats.memory_ceiling >> 20, index_bytes >> 20);
    dajia_log_info("log in %s holds %" PRIu64 " events; %zu member units", data, last_seq,
                   broker_config_member_count(config));
    *out = self;
    return 0;
out:
    broker_server_destroy(&self);
    return -1;
}

void
broker_server_destroy(broker_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_server_t *self = *self_p;
    broker_replay_destroy(&self->replay); /* before the store it reads */
    broker_dispatch_destroy(&self->dispatch);
    broker_writer_destroy(&self->writer);
    zsock_destroy(&self->api);
    broker_peers_destroy(&self->peers); /* after every socket it watches is closed */
    dajia_arena_destroy(&self->arena);
    store_destroy(&self->store);
    broker_auth_destroy(&self->auth); /* after every socket it guards is closed */
    broker_throttle_destroy(&self->throttle);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

void
broker_server_set_verbose(broker_server_t *self, bool verbose)
{
    self->verbose = verbose;
}

void
broker_server_set_reload_flag(broker_server_t *self, volatile sig_atomic_t *flag)
{
    self->reload = flag;
}

/* Re-reads the key directory when SIGHUP asked for it. */
static void
s_reload_keys(broker_server_t *self)
{
    if (!self->reload || !*self->reload)
        return;
    *self->reload = 0;
    if (!self->auth) {
        dajia_log_info("SIGHUP: no key directory to re-read (started without keys)");
        return;
    }
    int rc = broker_auth_reload(self->auth);
    if (rc)
        dajia_log_error("SIGHUP: cannot re-read the keys, the previous ones stay: %s",
                        dajia_strerror(rc));
    else
        dajia_log_info("SIGHUP: keys re-read; %zu certificates trusted",
                       broker_auth_size(self->auth));
}

const char *
broker_server_endpoint(broker_server_t *self)
{
    return self->endpoint;
}

const char *
broker_server_feed_endpoint(broker_server_t *self, broker_dispatch_socket_t which)
{
    return broker_dispatch_endpoint(self->dispatch, which);
}

int
broker_server_run(broker_server_t *self)
{
    while (!zsys_interrupted) {
        s_reload_keys(self);
        zmq_pollitem_t items[] = {
            {zsock_resolve(broker_writer_sock(self->writer)), 0, ZMQ_POLLIN, 0},
            {broker_replay_handle(self->replay), 0, ZMQ_POLLIN, 0},
            {self->api_handle, 0, ZMQ_POLLIN, 0},
        };
        /* Without room, only the writer can make some: stop reading. */
        int count = broker_writer_room(self->writer) > 0 ? 3 : 2;
        int rc = zmq_poll(items, count, BROKER_POLL_MS);
        if (rc < 0) {
            if (zmq_errno() == EINTR)
                continue;
            dajia_log_error("polling the api socket failed: %s", zmq_strerror(zmq_errno()));
            return -1;
        }
        if (items[0].revents & ZMQ_POLLIN)
            s_collect(self, false);
        if (items[1].revents & ZMQ_POLLIN)
            s_forward_replays(self);
        if (count > 2 && (items[2].revents & ZMQ_POLLIN))
            s_drain(self);
    }
    /* Interrupted: nothing more is read; what was read is committed and answered. */
    broker_writer_stop(self->writer);
    s_collect(self, true);
    dajia_log_info("stopped with the log at seq %" PRIu64, self->stats.last_seq);
    return 0;
}
