/*  Integration: who may speak and who may listen (guarantee 6), with real processes over
    tcp://127.0.0.1 and the keys `dajia-ctl keys init` makes.

    The broker is started with `--keys DIR` (CURVE on every tcp endpoint, its own ZAP
    handler: broker/broker_auth.h) and, where a test needs them, tcp feed endpoints (`--office`,
    `--public`) or a worker endpoint (`--workers` with `--external-workers`). The clients
    here are plain czmq sockets made CURVE clients with zcert_load() on the files of the
    key directory, so the files are checked to be ordinary czmq certificates too. Whether
    a connection was admitted is read from the client socket's monitor (handshake
    succeeded, or failed with ZAP status 400), never guessed from a timeout alone.

    Revoking a key also ends the connections it already has on the feeds and the worker
    socket (ZAP is asked at the handshake only, so the broker makes every peer of those
    endpoints connect again): the tests at the end watch that from the clients' side,
    on each socket's monitor (closed by the broker, then refused or admitted again).

    Nothing here asks the programs what they support first: a broker or an agent that
    has lost `--keys`, the feed endpoints or the worker endpoint fails the tests that
    use them.
*/
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#ifndef DAJIA_WORKER_BIN
#error "DAJIA_WORKER_BIN must be defined by the build"
#endif

#define S_STR(...) ((char *)harness_autofree(harness_strf(__VA_ARGS__)))

#define S_HANDSHAKE_MS 10000            /* a CURVE handshake on loopback takes milliseconds */
#define S_SILENCE_MS   1500             /* how long "no answer" is waited for */
#define S_REVOKE_MS    15000            /* SIGHUP or the directory watch must act within this */
#define S_ESCALATE_MS  60000            /* for the in-process workers to publish an escalation */
#define S_VALUE_FEN    (600000LL * 100) /* 600k yuan: a major case, escalated */
#define S_MAX_SOCKS    24
#define S_BEAT_MS      300 /* a test's own worker socket says HEARTBEAT this often */

/* The roles' certificates made by `keys init --units customs,psb,tax`. */
#define S_UNITS "customs,psb,tax"

typedef enum { S_ADMITTED, S_REFUSED, S_NO_ANSWER } s_handshake_t;

typedef struct {
    harness_fixture_t base; /* the directories and the broker */
    char office[64];
    char public_[64];
    char workers[64];
    zsock_t *socks[S_MAX_SOCKS];
    size_t nsocks;
    uint64_t event_no;
    harness_proc_t *worker; /* a dajia-worker process, when a test starts one */
} fixture_t;

/* ====================================================================== the broker */

/* Copies the endpoint the READY line reports as `name`=ENDPOINT into `buf`. */
static void
s_ready_endpoint(fixture_t *fx, const char *name, char *buf, size_t size)
{
    const char *out = harness_proc_stdout(fx->base.broker);
    const char *line = strstr(out, "READY ");
    char *token = S_STR(" %s=", name);
    const char *at = line ? strstr(line, token) : NULL;
    if (!at)
        fail_msg("the broker's READY line names no %s endpoint: %s", name, out);
    at += strlen(token);
    size_t len = strcspn(at, " \r\n");
    assert_true(len > 0 && len < size);
    memcpy(buf, at, len);
    buf[len] = 0;
}

/* Starts the broker with --keys and `extra` (NULL-terminated), stderr captured (the
   refusals are logged there), and waits for READY. */
static void
s_start(fixture_t *fx, const char *const *extra)
{
    const char *argv[24] = {DAJIA_BROKER_BIN,    "--data", fx->base.data, "--api",
                            "tcp://127.0.0.1:*", "--keys", fx->base.keys};
    size_t n = 7;
    for (size_t i = 0; extra && extra[i] && n < 23; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    harness_opts_t opts = {.capture_stderr = true};
    assert_int_equal(harness_proc_start(argv, &opts, &fx->base.broker), 0);
    int rc = harness_proc_wait_ready(fx->base.broker, HARNESS_READY_TIMEOUT_MS, fx->base.api,
                                     sizeof fx->base.api);
    if (rc != 0) {
        char *why = S_STR("%s", harness_proc_stderr(fx->base.broker));
        harness_proc_destroy(&fx->base.broker);
        fail_msg("the broker did not start (%s); stderr:\n%s", strerror(-rc), why);
    }
}

/* The broker with tcp office and public feeds (in-process workers), on ports it
   chooses and reports in its READY line. */
static void
s_start_with_feeds(fixture_t *fx)
{
    const char *extra[] = {"--office", "tcp://127.0.0.1:*", "--public", "tcp://127.0.0.1:*", NULL};
    s_start(fx, extra);
    s_ready_endpoint(fx, "office", fx->office, sizeof fx->office);
    s_ready_endpoint(fx, "public", fx->public_, sizeof fx->public_);
}

static int
s_setup(void **state)
{
    fixture_t *fx = harness_fixture_new(state, sizeof *fx);
    if (!fx)
        return -1;
    return harness_keys_init(fx->base.keys, S_UNITS);
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    int worker_status = 0;
    for (size_t i = 0; i < fx->nsocks; i++)
        zsock_destroy(&fx->socks[i]);
    if (fx->worker) {
        int status = harness_proc_stop(fx->worker);
        if (status != 0)
            fprintf(stderr, "dajia-worker exited with %d; stderr:\n%s\n", status,
                    harness_proc_stderr(fx->worker));
        harness_proc_destroy(&fx->worker);
        worker_status = status;
    }
    if (fx->base.broker) {
        int status = harness_proc_stop(fx->base.broker);
        if (status != 0)
            fprintf(stderr, "the broker exited with %d; stderr:\n%s\n", status,
                    harness_proc_stderr(fx->base.broker));
        assert_int_equal(status, 0);
    }
    harness_fixture_teardown(state);
    assert_int_equal(worker_status, 0);
    return 0;
}

/* ====================================================================== clients */

/* A CURVE client socket of `type` with the key pair of certificate `name` (a fresh key
   nobody knows when NULL; `cert` non-NULL: that key pair, borrowed), for the broker's key
   in the key directory. Destroyed by the teardown. */
static zsock_t *
s_socket(fixture_t *fx, int type, const char *name, zcert_t *cert)
{
    zcert_t *own = cert   ? zcert_dup(cert)
                   : name ? zcert_load(S_STR("%s/secret/%s.cert_secret", fx->base.keys, name))
                          : zcert_new();
    assert_non_null(own);
    zcert_t *broker = zcert_load(S_STR("%s/broker.cert", fx->base.keys));
    assert_non_null(broker);
    zsock_t *sock = zsock_new(type);
    assert_non_null(sock);
    assert_true(fx->nsocks < S_MAX_SOCKS);
    fx->socks[fx->nsocks++] = sock;
    zsock_set_linger(sock, 0);
    zsock_set_rcvtimeo(sock, HARNESS_RECV_TIMEOUT_MS);
    zsock_set_sndtimeo(sock, HARNESS_RECV_TIMEOUT_MS);
    zcert_apply(own, sock);
    zsock_set_curve_serverkey(sock, zcert_public_txt(broker));
    if (type == ZMQ_SUB)
        zsock_set_subscribe(sock, "");
    zcert_destroy(&own);
    zcert_destroy(&broker);
    return sock;
}

/* Connects `sock` to `endpoint` and reports the handshake's outcome from the socket's
   monitor. */
static s_handshake_t
s_connect(zsock_t *sock, const char *endpoint)
{
    static unsigned monitors;
    char name[64];
    snprintf(name, sizeof name, "inproc://test-auth-monitor-%u", monitors++);
    void *handle = zsock_resolve(sock);
    assert_int_equal(zmq_socket_monitor(handle, name,
                                        ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                                            ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                            ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL),
                     0);
    zsock_t *pair = zsock_new(ZMQ_PAIR);
    assert_non_null(pair);
    assert_int_equal(zsock_connect(pair, "%s", name), 0);
    assert_int_equal(zsock_connect(sock, "%s", endpoint), 0);
    s_handshake_t result = S_NO_ANSWER;
    zpoller_t *poller = zpoller_new(pair, NULL);
    assert_non_null(poller);
    if (zpoller_wait(poller, S_HANDSHAKE_MS) == pair) {
        zmsg_t *event = zmsg_recv(pair);
        zframe_t *head = event ? zmsg_first(event) : NULL;
        if (head && zframe_size(head) >= 6) {
            uint16_t id;
            memcpy(&id, zframe_data(head), sizeof id);
            result = id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED     ? S_ADMITTED
                     : id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? S_REFUSED
                                                             : S_NO_ANSWER;
        }
        zmsg_destroy(&event);
    }
    zpoller_destroy(&poller);
    zmq_socket_monitor(handle, NULL, 0);
    zsock_destroy(&pair);
    return result;
}

/* A socket of certificate `name` connected to `endpoint`, asserting the outcome. */
static zsock_t *
s_client(fixture_t *fx, int type, const char *name, const char *endpoint, s_handshake_t expect)
{
    zsock_t *sock = s_socket(fx, type, name, NULL);
    s_handshake_t got = s_connect(sock, endpoint);
    if (got != expect)
        fail_msg("certificate %s on %s: handshake %s, expected %s; broker stderr:\n%s",
                 name ? name : "(unknown key)", endpoint,
                 got == S_ADMITTED  ? "admitted"
                 : got == S_REFUSED ? "refused"
                                    : "silent",
                 expect == S_ADMITTED  ? "admitted"
                 : expect == S_REFUSED ? "refused"
                                       : "silent",
                 harness_proc_stderr(fx->base.broker));
    return sock;
}

/* Sends [command][body] and waits up to `timeout_ms` for the reply. NULL: none (also
   when the message could not even be queued: a refused DEALER has no peer). */
static zmsg_t *
s_request(zsock_t *sock, const char *command, const void *body, size_t len, int timeout_ms)
{
    zmsg_t *msg = zmsg_new();
    assert_non_null(msg);
    zmsg_addstr(msg, command);
    zmsg_addmem(msg, body, len);
    zsock_set_sndtimeo(sock, timeout_ms);
    if (zmsg_send(&msg, sock) != 0) {
        zmsg_destroy(&msg);
        return NULL;
    }
    zpoller_t *poller = zpoller_new(sock, NULL);
    zmsg_t *reply = zpoller_wait(poller, timeout_ms) == sock ? zmsg_recv(sock) : NULL;
    zpoller_destroy(&poller);
    return reply;
}

/* Submits one case report naming `unit`, with event_id `id`. Returns the Ack (caller
   frees), or NULL when no ACK came within `timeout_ms`. */
static Dajia__Ack *
s_submit(zsock_t *sock, const char *unit, const char *id, int64_t value_fen, int timeout_ms)
{
    Dajia__Envelope env;
    Dajia__CaseReport report;
    harness_envelope_init(&env, &report, unit, id, id);
    if (value_fen)
        report.case_value_fen = value_fen;
    size_t len = dajia__envelope__get_packed_size(&env);
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    dajia__envelope__pack(&env, buf);
    zmsg_t *reply = s_request(sock, "SUBMIT", buf, len, timeout_ms);
    free(buf);
    if (!reply)
        return NULL;
    zframe_t *cmd = zmsg_first(reply), *body = zmsg_next(reply);
    Dajia__Ack *ack = NULL;
    if (cmd && body && zframe_streq(cmd, "ACK"))
        ack = dajia__ack__unpack(NULL, zframe_size(body), zframe_data(body));
    zmsg_destroy(&reply);
    assert_non_null(ack);
    return ack;
}

static char *
s_event_id(fixture_t *fx, const char *tag)
{
    return S_STR("auth-%s-%" PRIu64, tag, ++fx->event_no);
}

/* Asks STATS with certificate `name`. Returns the JSON (autofreed), or NULL when the
   broker answered with a refusal (an ACK). */
static char *
s_stats(fixture_t *fx, const char *name)
{
    zsock_t *sock = s_client(fx, ZMQ_DEALER, name, fx->base.api, S_ADMITTED);
    zmsg_t *reply = s_request(sock, "STATS", "", 0, HARNESS_RECV_TIMEOUT_MS);
    assert_non_null(reply);
    zframe_t *cmd = zmsg_first(reply), *body = zmsg_next(reply);
    char *json = NULL;
    if (zframe_streq(cmd, "STATS"))
        json = S_STR("%.*s", (int)zframe_size(body), (const char *)zframe_data(body));
    else {
        assert_true(zframe_streq(cmd, "ACK"));
        Dajia__Ack *ack = dajia__ack__unpack(NULL, zframe_size(body), zframe_data(body));
        assert_non_null(ack);
        assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_REJECTED);
        assert_true(strlen(ack->reason_text) > 0); /* a reason the client can print */
        dajia__ack__free_unpacked(ack, NULL);
    }
    zmsg_destroy(&reply);
    return json;
}

/* Is (unit, event_id) in the broker's stored log? */
static bool
s_stored(fixture_t *fx, const char *unit, const char *event_id)
{
    harness_record_t *records = NULL;
    size_t count = 0;
    assert_int_equal(harness_dump(fx->base.data, &records, &count), 0);
    bool found = false;
    for (size_t i = 0; i < count && !found; i++)
        found = strcmp(records[i].event_id, event_id) == 0 &&
                (!unit || strcmp(records[i].unit, unit) == 0);
    free(records);
    return found;
}

/* The Z85 public key of certificate `name`. */
static const char *
s_key_of(fixture_t *fx, const char *name)
{
    zcert_t *cert = zcert_load(S_STR("%s/public/%s.cert", fx->base.keys, name));
    assert_non_null(cert);
    char *key = S_STR("%s", zcert_public_txt(cert));
    zcert_destroy(&cert);
    return key;
}

static void
s_ctl_keys(fixture_t *fx, const char *command, const char *arg)
{
    const char *argv[] = {DAJIA_CTL_BIN, "keys", command, arg, "--dir", fx->base.keys, NULL};
    harness_result_t run;
    assert_int_equal(harness_run(argv, NULL, HARNESS_RUN_TIMEOUT_MS, &run), 0);
    if (run.status != 0)
        fail_msg("dajia-ctl keys %s %s: %d: %s", command, arg, run.status, run.err);
    harness_result_free(&run);
}

/* ====================================================================== identity */

static void
test_unit_submitting_as_itself_is_accepted(void **state)
{
    fixture_t *fx = *state;
    s_start(fx, NULL);
    zsock_t *customs = s_client(fx, ZMQ_DEALER, "customs", fx->base.api, S_ADMITTED);
    char *id = s_event_id(fx, "own");
    Dajia__Ack *ack = s_submit(customs, "customs", id, 0, HARNESS_RECV_TIMEOUT_MS);
    assert_non_null(ack);
    assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
    dajia__ack__free_unpacked(ack, NULL);
    assert_true(s_stored(fx, "customs", id));
}

static void
test_unit_submitting_as_another_unit_is_rejected_and_not_stored(void **state)
{
    fixture_t *fx = *state;
    s_start(fx, NULL);
    zsock_t *customs = s_client(fx, ZMQ_DEALER, "customs", fx->base.api, S_ADMITTED);
    char *id = s_event_id(fx, "impostor");
    Dajia__Ack *ack = s_submit(customs, "psb", id, 0, HARNESS_RECV_TIMEOUT_MS);
    assert_non_null(ack);
    assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_REJECTED);
    assert_int_equal(ack->reason, DAJIA__REASON__REASON_UNIT_MISMATCH);
    assert_true(strlen(ack->reason_text) > 0);
    dajia__ack__free_unpacked(ack, NULL);
    assert_false(s_stored(fx, NULL, id));
    /* Counted, and logged with the key that tried. */
    char *json = s_stats(fx, "admin");
    assert_non_null(json);
    assert_int_equal(harness_json_u64(json, "rejected_by_reason/unit_mismatch"), 1);
    assert_int_equal(harness_json_u64(json, "accepted"), 0);
    int64_t deadline = harness_now_ms() + HARNESS_RECV_TIMEOUT_MS;
    const char *key = s_key_of(fx, "customs");
    while (!strstr(harness_proc_stderr(fx->base.broker), key) && harness_now_ms() < deadline) {
        harness_proc_running(fx->base.broker); /* reads what the broker wrote */
        zclock_sleep(20);
    }
    assert_non_null(strstr(harness_proc_stderr(fx->base.broker), key));
}

static void
test_unknown_key_cannot_connect_and_reaches_nothing(void **state)
{
    fixture_t *fx = *state;
    s_start(fx, NULL);
    zsock_t *stranger = s_client(fx, ZMQ_DEALER, NULL, fx->base.api, S_REFUSED);
    Dajia__Ack *ack = s_submit(stranger, "customs", s_event_id(fx, "stranger"), 0, S_SILENCE_MS);
    assert_null(ack);
    char *json = s_stats(fx, "admin");
    assert_non_null(json);
    assert_int_equal(harness_json_u64(json, "received"), 0);
    assert_int_equal(harness_json_u64(json, "rejected"), 0);
}

static void
test_revoked_unit_is_refused_after_revoke(void **state)
{
    fixture_t *fx = *state;
    s_start(fx, NULL);
    /* Keep psb's key pair: the revoke deletes its secret file. */
    zcert_t *psb = zcert_load(S_STR("%s/secret/psb.cert_secret", fx->base.keys));
    assert_non_null(psb);
    zsock_t *before = s_socket(fx, ZMQ_DEALER, NULL, psb);
    assert_int_equal(s_connect(before, fx->base.api), S_ADMITTED);
    char *id = s_event_id(fx, "before");
    Dajia__Ack *ack = s_submit(before, "psb", id, 0, HARNESS_RECV_TIMEOUT_MS);
    assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
    dajia__ack__free_unpacked(ack, NULL);

    s_ctl_keys(fx, "revoke", "psb");
    assert_int_equal(kill(harness_proc_pid(fx->base.broker), SIGHUP), 0);
    /* A new connection with the revoked key is refused (SIGHUP, or the watch). */
    int64_t deadline = harness_now_ms() + S_REVOKE_MS;
    s_handshake_t got = S_ADMITTED;
    while (got != S_REFUSED && harness_now_ms() < deadline) {
        zsock_t *sock = s_socket(fx, ZMQ_DEALER, NULL, psb);
        got = s_connect(sock, fx->base.api);
        zsock_destroy(&sock);
        fx->nsocks--;
        if (got != S_REFUSED)
            zclock_sleep(100);
    }
    zcert_destroy(&psb);
    assert_int_equal(got, S_REFUSED);
    assert_true(harness_proc_running(fx->base.broker)); /* SIGHUP reloads; it does not kill */

    /* The connection made before the revoke stores nothing more either. */
    char *after = s_event_id(fx, "after");
    ack = s_submit(before, "psb", after, 0, S_SILENCE_MS * 2);
    if (ack) {
        assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_REJECTED);
        assert_true(strlen(ack->reason_text) > 0);
        dajia__ack__free_unpacked(ack, NULL);
    }
    assert_false(s_stored(fx, NULL, after));
    assert_true(s_stored(fx, "psb", id));
    /* Other units go on. */
    zsock_t *tax = s_client(fx, ZMQ_DEALER, "tax", fx->base.api, S_ADMITTED);
    ack = s_submit(tax, "tax", s_event_id(fx, "tax"), 0, HARNESS_RECV_TIMEOUT_MS);
    assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
    dajia__ack__free_unpacked(ack, NULL);
}

/* ====================================================================== roles */

static void
test_dashboard_submitting_is_refused(void **state)
{
    fixture_t *fx = *state;
    s_start(fx, NULL);
    zsock_t *dash = s_client(fx, ZMQ_DEALER, "dashboard", fx->base.api, S_ADMITTED);
    char *id = s_event_id(fx, "dash");
    Dajia__Ack *ack = s_submit(dash, "customs", id, 0, HARNESS_RECV_TIMEOUT_MS);
    assert_non_null(ack);
    assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_REJECTED);
    assert_true(strlen(ack->reason_text) > 0);
    dajia__ack__free_unpacked(ack, NULL);
    assert_false(s_stored(fx, NULL, id));
    /* The office may (the import of history: test_import.c), for any member unit. */
    zsock_t *office = s_client(fx, ZMQ_DEALER, "office", fx->base.api, S_ADMITTED);
    ack = s_submit(office, "customs", s_event_id(fx, "office"), 0, HARNESS_RECV_TIMEOUT_MS);
    assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
    dajia__ack__free_unpacked(ack, NULL);
}

static void
test_stats_is_for_admin_and_office_only(void **state)
{
    fixture_t *fx = *state;
    s_start(fx, NULL);
    assert_non_null(s_stats(fx, "admin"));
    assert_non_null(s_stats(fx, "office"));
    assert_null(s_stats(fx, "customs"));
    assert_null(s_stats(fx, "dashboard"));
}

/* A REPLAY request for `audience` with certificate `name`. Returns true when refused
   (an ACK, or a FeedBatch with a reason), false when served. */
static bool
s_replay_refused(fixture_t *fx, const char *name, Dajia__Audience audience)
{
    zsock_t *sock = s_client(fx, ZMQ_DEALER, name, fx->base.api, S_ADMITTED);
    Dajia__ReplayRequest req = DAJIA__REPLAY_REQUEST__INIT;
    req.from_seq = 1;
    req.audience = audience;
    uint8_t buf[64];
    size_t len = dajia__replay_request__pack(&req, buf);
    zmsg_t *reply = s_request(sock, "REPLAY", buf, len, HARNESS_RECV_TIMEOUT_MS);
    assert_non_null(reply);
    zframe_t *cmd = zmsg_first(reply), *body = zmsg_next(reply);
    bool refused = true;
    if (zframe_streq(cmd, "FEED")) {
        Dajia__FeedBatch *batch =
            dajia__feed_batch__unpack(NULL, zframe_size(body), zframe_data(body));
        assert_non_null(batch);
        refused = batch->reason != DAJIA__REASON__REASON_NONE;
        if (refused) {
            assert_int_equal(batch->n_items, 0);
            assert_true(strlen(batch->reason_text) > 0);
        }
        dajia__feed_batch__free_unpacked(batch, NULL);
    } else {
        assert_true(zframe_streq(cmd, "ACK"));
        Dajia__Ack *ack = dajia__ack__unpack(NULL, zframe_size(body), zframe_data(body));
        assert_non_null(ack);
        assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_REJECTED);
        assert_int_not_equal(ack->reason, DAJIA__REASON__REASON_UNKNOWN_COMMAND);
        dajia__ack__free_unpacked(ack, NULL);
    }
    zmsg_destroy(&reply);
    return refused;
}

static void
test_unit_on_the_office_feed_receives_nothing_and_replay_is_refused(void **state)
{
    fixture_t *fx = *state;
    s_start_with_feeds(fx);
    zsock_t *office = s_client(fx, ZMQ_SUB, "office", fx->office, S_ADMITTED);
    zsock_t *spy = s_client(fx, ZMQ_SUB, "customs", fx->office, S_REFUSED);
    s_client(fx, ZMQ_SUB, "dashboard", fx->office, S_REFUSED);
    s_client(fx, ZMQ_SUB, "customs", fx->public_, S_ADMITTED);
    s_client(fx, ZMQ_SUB, "worker-aggregate", fx->public_, S_REFUSED);

    /* A major case: the escalation goes out on the office feed. */
    zsock_t *customs = s_client(fx, ZMQ_DEALER, "customs", fx->base.api, S_ADMITTED);
    Dajia__Ack *ack =
        s_submit(customs, "customs", s_event_id(fx, "major"), S_VALUE_FEN, HARNESS_RECV_TIMEOUT_MS);
    assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
    dajia__ack__free_unpacked(ack, NULL);
    zpoller_t *poller = zpoller_new(office, NULL);
    bool published = zpoller_wait(poller, S_ESCALATE_MS) == office;
    zpoller_destroy(&poller);
    assert_true(published);
    zmsg_t *item = zmsg_recv(office);
    assert_non_null(item);
    zmsg_destroy(&item);
    /* The office got it; the unit's subscription got nothing. */
    poller = zpoller_new(spy, NULL);
    assert_null(zpoller_wait(poller, S_SILENCE_MS));
    zpoller_destroy(&poller);

    assert_true(s_replay_refused(fx, "customs", DAJIA__AUDIENCE__AUDIENCE_OFFICE));
    assert_true(s_replay_refused(fx, "dashboard", DAJIA__AUDIENCE__AUDIENCE_OFFICE));
    assert_false(s_replay_refused(fx, "office", DAJIA__AUDIENCE__AUDIENCE_OFFICE));
    assert_false(s_replay_refused(fx, "customs", DAJIA__AUDIENCE__AUDIENCE_PUBLIC));
    assert_false(s_replay_refused(fx, "dashboard", DAJIA__AUDIENCE__AUDIENCE_PUBLIC));
}

static void
test_worker_socket_refuses_other_roles(void **state)
{
    fixture_t *fx = *state;
    const char *extra[] = {"--workers", "tcp://127.0.0.1:*", "--external-workers", NULL};
    s_start(fx, extra);
    s_ready_endpoint(fx, "workers", fx->workers, sizeof fx->workers);
    s_client(fx, ZMQ_DEALER, "customs", fx->workers, S_REFUSED);
    s_client(fx, ZMQ_DEALER, "office", fx->workers, S_REFUSED);
    s_client(fx, ZMQ_DEALER, "admin", fx->workers, S_REFUSED);
    s_client(fx, ZMQ_DEALER, NULL, fx->workers, S_REFUSED);
    s_client(fx, ZMQ_DEALER, "worker-escalate", fx->workers, S_ADMITTED);
    /* And a worker key is no client of the api. */
    s_client(fx, ZMQ_DEALER, "worker-escalate", fx->base.api, S_REFUSED);
}

/* ====================================================================== the agent */

static void
test_agent_with_its_certificate_submits_as_its_unit(void **state)
{
    fixture_t *fx = *state;
    harness_result_t run;
    s_start(fx, NULL);
    char *file = S_STR("%s/tax.jsonl", fx->base.dir);
    assert_int_equal(harness_write_cases(file, "tax", "agent", "auth-agent-", 1, 3), 0);
    const char *argv[] = {DAJIA_AGENT_BIN,
                          "--broker",
                          fx->base.api,
                          "--keys",
                          fx->base.keys,
                          "--name",
                          "tax",
                          "--state",
                          S_STR("%s/agent-tax", fx->base.dir),
                          "--timeout",
                          "60",
                          "submit",
                          file,
                          NULL};
    assert_int_equal(harness_run(argv, NULL, HARNESS_RUN_TIMEOUT_MS, &run), 0);
    if (run.status != 0)
        fail_msg("dajia-agent: %d: %s", run.status, run.err);
    harness_result_free(&run);
    for (int i = 1; i <= 3; i++)
        assert_true(s_stored(fx, "tax", S_STR("auth-agent-%d", i)));

    /* A key pair the broker does not know (from another key directory, beside this
       broker's public key): the agent says it was refused instead of waiting. */
    char *other = S_STR("%s/other-keys", fx->base.dir);
    const char *init[] = {DAJIA_CTL_BIN, "keys", "init", "--units", "psb", "--dir", other, NULL};
    assert_int_equal(harness_run(init, NULL, HARNESS_RUN_TIMEOUT_MS, &run), 0);
    assert_int_equal(run.status, 0);
    harness_result_free(&run);
    char *copy = S_STR("cp '%s/broker.cert' '%s/broker.cert'", fx->base.keys, other);
    assert_int_equal(system(copy), 0);
    char *psb_file = S_STR("%s/psb.jsonl", fx->base.dir);
    assert_int_equal(harness_write_cases(psb_file, "psb", "agent", "auth-psb-", 1, 1), 0);
    const char *refused[] = {DAJIA_AGENT_BIN, "--broker", fx->base.api,
                             "--keys",        other,      "--name",
                             "psb",           "--state",  S_STR("%s/agent-psb", fx->base.dir),
                             "--timeout",     "10",       "submit",
                             psb_file,        NULL};
    assert_int_equal(harness_run(refused, NULL, HARNESS_RUN_TIMEOUT_MS, &run), 0);
    assert_int_not_equal(run.status, 0);
    assert_non_null(strstr(run.err, "refused"));
    harness_result_free(&run);
    assert_false(s_stored(fx, "psb", "auth-psb-1"));
}

/* ====================================================================== revoking open
   connections */

/* The connection events a test follows on a client socket. */
#define S_WATCHED                                                                                  \
    (ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

/* A monitor on `sock` (not yet connected), kept for the whole test: its PAIR end, read
   with s_await. Destroyed by the teardown. */
static zsock_t *
s_watch(fixture_t *fx, zsock_t *sock)
{
    static unsigned watches;
    char *name = S_STR("inproc://test-auth-watch-%u", watches++);
    assert_int_equal(zmq_socket_monitor(zsock_resolve(sock), name, S_WATCHED), 0);
    zsock_t *pair = zsock_new(ZMQ_PAIR);
    assert_non_null(pair);
    assert_true(fx->nsocks < S_MAX_SOCKS);
    fx->socks[fx->nsocks++] = pair;
    assert_int_equal(zsock_connect(pair, "%s", name), 0);
    return pair;
}

/* Waits up to `timeout_ms` for connection event `want` on monitor `pair`, passing over
   the others. */
static bool
s_await(zsock_t *pair, int want, int timeout_ms)
{
    int64_t deadline = harness_now_ms() + timeout_ms;
    zpoller_t *poller = zpoller_new(pair, NULL);
    assert_non_null(poller);
    bool seen = false;
    while (!seen) {
        int64_t left = deadline - harness_now_ms();
        if (left <= 0 || zpoller_wait(poller, (int)left) != pair)
            break;
        zmsg_t *event = zmsg_recv(pair);
        zframe_t *head = event ? zmsg_first(event) : NULL;
        if (head && zframe_size(head) >= 6) {
            uint16_t id;
            memcpy(&id, zframe_data(head), sizeof id);
            seen = id == want;
        }
        zmsg_destroy(&event);
    }
    zpoller_destroy(&poller);
    return seen;
}

/* Reads and drops what `sock` holds already; returns how many messages. */
static size_t
s_drain(zsock_t *sock)
{
    size_t n = 0;
    while (zsock_events(sock) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv(sock);
        if (!msg)
            break;
        zmsg_destroy(&msg);
        n++;
    }
    return n;
}

/* A socket of certificate `name` with a monitor (*watch), connected to `endpoint` and
   admitted. */
static zsock_t *
s_watched_client(fixture_t *fx, int type, const char *name, const char *endpoint, zsock_t **watch)
{
    zsock_t *sock = s_socket(fx, type, name, NULL);
    *watch = s_watch(fx, sock);
    assert_int_equal(zsock_connect(sock, "%s", endpoint), 0);
    if (!s_await(*watch, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, S_HANDSHAKE_MS))
        fail_msg("certificate %s was not admitted on %s; broker stderr:\n%s", name, endpoint,
                 harness_proc_stderr(fx->base.broker));
    return sock;
}

/* dajia-ctl keys add --role ROLE --name NAME. */
static void
s_ctl_keys_add(fixture_t *fx, const char *role, const char *name)
{
    const char *argv[] = {DAJIA_CTL_BIN, "keys", "add",   "--role",      role,
                          "--name",      name,   "--dir", fx->base.keys, NULL};
    harness_result_t run;
    assert_int_equal(harness_run(argv, NULL, HARNESS_RUN_TIMEOUT_MS, &run), 0);
    if (run.status != 0)
        fail_msg("dajia-ctl keys add --role %s --name %s: %d: %s", role, name, run.status, run.err);
    harness_result_free(&run);
}

/* Revokes certificate `name` and tells the broker at once (SIGHUP). */
static void
s_revoke(fixture_t *fx, const char *name)
{
    s_ctl_keys(fx, "revoke", name);
    assert_int_equal(kill(harness_proc_pid(fx->base.broker), SIGHUP), 0);
}

/* Has the broker said, in plain words, that it closes the connections? */
static void
s_assert_closing_logged(fixture_t *fx)
{
    int64_t deadline = harness_now_ms() + HARNESS_RECV_TIMEOUT_MS;
    const char *line = "revoked; closing the";
    while (!strstr(harness_proc_stderr(fx->base.broker), line) && harness_now_ms() < deadline) {
        harness_proc_running(fx->base.broker); /* reads what the broker wrote */
        zclock_sleep(20);
    }
    if (!strstr(harness_proc_stderr(fx->base.broker), line))
        fail_msg("the broker did not log \"%s\":\n%s", line, harness_proc_stderr(fx->base.broker));
}

/* Submits a case of customs (a major one when `major`) and asserts it was accepted.
   Returns its log_seq. */
static uint64_t
s_submit_case(fixture_t *fx, zsock_t *customs, bool major)
{
    Dajia__Ack *ack = s_submit(customs, "customs", s_event_id(fx, "live"), major ? S_VALUE_FEN : 0,
                               HARNESS_RECV_TIMEOUT_MS);
    assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
    uint64_t seq = ack->log_seq;
    dajia__ack__free_unpacked(ack, NULL);
    return seq;
}

static void
test_revoked_subscriber_is_cut_off_and_the_others_go_on(void **state)
{
    fixture_t *fx = *state;
    s_ctl_keys_add(fx, "dashboard", "dashboard-2");
    s_start_with_feeds(fx);
    zsock_t *gone_watch, *kept_watch, *office_watch;
    zsock_t *gone = s_watched_client(fx, ZMQ_SUB, "dashboard", fx->public_, &gone_watch);
    zsock_t *kept = s_watched_client(fx, ZMQ_SUB, "dashboard-2", fx->public_, &kept_watch);
    zsock_t *office = s_watched_client(fx, ZMQ_SUB, "office", fx->office, &office_watch);
    zsock_t *customs = s_client(fx, ZMQ_DEALER, "customs", fx->base.api, S_ADMITTED);

    /* Before: both dashboards get the aggregate a case makes (in-process workers). */
    s_submit_case(fx, customs, false);
    zpoller_t *poller = zpoller_new(gone, NULL);
    assert_true(zpoller_wait(poller, S_ESCALATE_MS) == gone);
    zpoller_destroy(&poller);
    poller = zpoller_new(kept, NULL);
    assert_true(zpoller_wait(poller, S_ESCALATE_MS) == kept);
    zpoller_destroy(&poller);

    s_revoke(fx, "dashboard");
    /* The broker closes the revoked dashboard's open connection, and refuses it when
       libzmq connects it again by itself. */
    if (!s_await(gone_watch, ZMQ_EVENT_DISCONNECTED, S_REVOKE_MS))
        fail_msg("the revoked dashboard's subscription is still open; broker stderr:\n%s",
                 harness_proc_stderr(fx->base.broker));
    assert_true(s_await(gone_watch, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, S_REVOKE_MS));
    s_assert_closing_logged(fx);
    /* What came before the close may still be queued; nothing can come after it. */
    s_drain(gone);
    /* The trusted subscribers were closed too, and admitted again. */
    assert_true(s_await(kept_watch, ZMQ_EVENT_DISCONNECTED, S_REVOKE_MS));
    assert_true(s_await(kept_watch, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, S_REVOKE_MS));
    assert_true(s_await(office_watch, ZMQ_EVENT_DISCONNECTED, S_REVOKE_MS));
    assert_true(s_await(office_watch, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, S_REVOKE_MS));
    s_drain(kept);
    s_drain(office);

    /* After: new items reach the trusted dashboard on the same endpoint (its SUB sends
       its subscription again when it is next used: a case is submitted again until one
       of its items arrives), never the revoked one. */
    poller = zpoller_new(kept, gone, NULL);
    assert_non_null(poller);
    int64_t deadline = harness_now_ms() + S_ESCALATE_MS;
    bool received = false;
    while (!received && harness_now_ms() < deadline) {
        zsock_events(kept); /* lets its socket send the subscription again */
        s_submit_case(fx, customs, false);
        int64_t until = harness_now_ms() + S_ESCALATE_MS / 6;
        for (int64_t left; !received && (left = until - harness_now_ms()) > 0;) {
            void *which = zpoller_wait(poller, (int)left);
            if (which == gone)
                fail_msg("the revoked dashboard received an item after its connection was "
                         "closed");
            if (which == kept) {
                zmsg_t *item = zmsg_recv(kept);
                assert_non_null(item);
                zmsg_destroy(&item);
                received = true;
            } else if (!which) {
                break;
            }
        }
    }
    assert_true(received);
    /* And the revoked one stays silent a while longer. */
    assert_null(zpoller_wait(poller, S_SILENCE_MS));
    zpoller_destroy(&poller);
}

/* Sends [command] on a worker socket of the test's own; dropped when the socket has no
   connection (a refused one). */
static void
s_worker_say(zsock_t *sock, const char *command)
{
    zsock_set_sndtimeo(sock, 0);
    zstr_send(sock, command);
}

/* Registers a worker socket of the test's own for `service`, having applied nothing,
   and waits for the broker's HEARTBEAT that confirms it. */
static void
s_worker_register(zsock_t *sock, const char *service)
{
    zmsg_t *ready = zmsg_new();
    assert_non_null(ready);
    uint8_t applied[8] = {0}; /* u64 big-endian: 0 */
    zmsg_addstr(ready, "READY");
    zmsg_addstr(ready, service);
    zmsg_addmem(ready, applied, sizeof applied);
    assert_int_equal(zmsg_send(&ready, sock), 0);
    zpoller_t *poller = zpoller_new(sock, NULL);
    assert_true(zpoller_wait(poller, HARNESS_RECV_TIMEOUT_MS) == sock);
    zpoller_destroy(&poller);
    zmsg_t *reply = zmsg_recv(sock);
    assert_non_null(reply);
    assert_true(zframe_streq(zmsg_first(reply), "HEARTBEAT"));
    zmsg_destroy(&reply);
}

/* Waits up to `timeout_ms` for an EVENT on `sock` (a worker socket of the test's own),
   saying HEARTBEAT every S_BEAT_MS meanwhile so that the broker keeps it as alive. */
static bool
s_worker_await_event(zsock_t *sock, int timeout_ms)
{
    int64_t deadline = harness_now_ms() + timeout_ms;
    zpoller_t *poller = zpoller_new(sock, NULL);
    assert_non_null(poller);
    bool event = false;
    while (!event && harness_now_ms() < deadline) {
        if (zpoller_wait(poller, S_BEAT_MS) == sock) {
            zmsg_t *msg = zmsg_recv(sock);
            assert_non_null(msg);
            event = zframe_streq(zmsg_first(msg), "EVENT");
            zmsg_destroy(&msg);
        }
        s_worker_say(sock, "HEARTBEAT");
    }
    zpoller_destroy(&poller);
    return event;
}

/* The escalations stored in the feed, read with REPLAY (office) through `office`:
   count[seq] for each source log_seq up to `max_seq`; *dupes the escalation ids seen
   twice. */
static void
s_escalations(zsock_t *office, uint64_t max_seq, unsigned *count, size_t *dupes)
{
    memset(count, 0, (max_seq + 1) * sizeof *count);
    *dupes = 0;
    zhash_t *ids = zhash_new();
    assert_non_null(ids);
    uint64_t from = 1;
    for (bool more = true; more;) {
        Dajia__ReplayRequest req = DAJIA__REPLAY_REQUEST__INIT;
        req.from_seq = from;
        req.audience = DAJIA__AUDIENCE__AUDIENCE_OFFICE;
        uint8_t buf[64];
        size_t len = dajia__replay_request__pack(&req, buf);
        zmsg_t *reply = s_request(office, "REPLAY", buf, len, HARNESS_RECV_TIMEOUT_MS);
        assert_non_null(reply);
        zframe_t *cmd = zmsg_first(reply), *body = zmsg_next(reply);
        assert_true(zframe_streq(cmd, "FEED"));
        Dajia__FeedBatch *batch =
            dajia__feed_batch__unpack(NULL, zframe_size(body), zframe_data(body));
        zmsg_destroy(&reply);
        assert_non_null(batch);
        assert_int_equal(batch->reason, DAJIA__REASON__REASON_NONE);
        for (size_t i = 0; i < batch->n_items; i++) {
            const Dajia__FeedItem *item = batch->items[i];
            from = item->feed_seq + 1;
            if (item->item_case != DAJIA__FEED_ITEM__ITEM_ESCALATION)
                continue;
            const Dajia__Escalation *esc = item->escalation;
            if (esc->source_log_seq <= max_seq)
                count[esc->source_log_seq]++;
            if (zhash_insert(ids, esc->escalation_id, (void *)"") != 0)
                (*dupes)++;
        }
        more = batch->more && batch->n_items > 0;
        dajia__feed_batch__free_unpacked(batch, NULL);
    }
    zhash_destroy(&ids);
}

static void
test_revoked_worker_is_cut_off_and_its_events_go_to_the_honest_one(void **state)
{
    fixture_t *fx = *state;
    s_ctl_keys_add(fx, "worker", "worker-rogue");
    const char *extra[] = {
        "--workers",         "tcp://127.0.0.1:*", "--external-workers", "--office",
        "tcp://127.0.0.1:*", "--public",          "tcp://127.0.0.1:*",  NULL};
    s_start(fx, extra);
    s_ready_endpoint(fx, "workers", fx->workers, sizeof fx->workers);

    /* The worker to be revoked registers first, so it is the escalate service's active
       worker; it is a socket of the test's own, to see what it is sent. */
    zsock_t *rogue_watch;
    zsock_t *rogue = s_watched_client(fx, ZMQ_DEALER, "worker-rogue", fx->workers, &rogue_watch);
    s_worker_register(rogue, "escalate");

    /* The honest worker, a real dajia-worker, waits as a standby. */
    const char *argv[] = {DAJIA_WORKER_BIN,
                          "--service",
                          "escalate",
                          "--broker",
                          fx->workers,
                          "--keys",
                          fx->base.keys,
                          "--name",
                          "worker-escalate",
                          "--state",
                          S_STR("%s/worker-escalate", fx->base.dir),
                          NULL};
    harness_opts_t opts = {.capture_stderr = true};
    assert_int_equal(harness_proc_start(argv, &opts, &fx->worker), 0);
    int64_t deadline = harness_now_ms() + HARNESS_READY_TIMEOUT_MS, beat = 0;
    while (!strstr(harness_proc_stdout(fx->worker), "READY service=escalate\n")) {
        if (!harness_proc_running(fx->worker) || harness_now_ms() > deadline)
            fail_msg("dajia-worker gave no READY line: %s%s", harness_proc_stdout(fx->worker),
                     harness_proc_stderr(fx->worker));
        if (harness_now_ms() - beat >= S_BEAT_MS) {
            s_worker_say(rogue, "HEARTBEAT");
            beat = harness_now_ms();
        }
        zclock_sleep(10); /* polling the child's pipe, not waiting for readiness */
    }

    /* A major case goes to the rogue, which keeps it in flight (no DONE). */
    zsock_t *customs = s_client(fx, ZMQ_DEALER, "customs", fx->base.api, S_ADMITTED);
    uint64_t first = s_submit_case(fx, customs, true);
    assert_true(s_worker_await_event(rogue, HARNESS_RECV_TIMEOUT_MS));

    s_revoke(fx, "worker-rogue");
    if (!s_await(rogue_watch, ZMQ_EVENT_DISCONNECTED, S_REVOKE_MS))
        fail_msg("the revoked worker's connection is still open; broker stderr:\n%s",
                 harness_proc_stderr(fx->base.broker));
    assert_true(s_await(rogue_watch, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, S_REVOKE_MS));
    s_assert_closing_logged(fx);
    s_drain(rogue); /* sent before the close */

    /* Two more major cases. The honest worker registers again and gets all three, the
       one the rogue had in flight included, each once; the rogue gets nothing. */
    uint64_t last = first;
    for (int i = 0; i < 2; i++)
        last = s_submit_case(fx, customs, true);
    assert_int_equal(last, first + 2);
    zsock_t *office = s_client(fx, ZMQ_DEALER, "office", fx->base.api, S_ADMITTED);
    unsigned *count = harness_autofree(calloc(last + 1, sizeof *count));
    assert_non_null(count);
    size_t dupes = 0;
    bool all = false;
    zpoller_t *poller = zpoller_new(rogue, NULL);
    assert_non_null(poller);
    deadline = harness_now_ms() + S_ESCALATE_MS;
    while (!all && harness_now_ms() < deadline) {
        if (zpoller_wait(poller, S_SILENCE_MS / 3) == rogue)
            fail_msg("the revoked worker was sent something after its connection was closed");
        s_escalations(office, last, count, &dupes);
        all = true;
        for (uint64_t seq = first; seq <= last; seq++)
            all = all && count[seq] > 0;
    }
    if (!all)
        fail_msg("escalations of log_seq %" PRIu64 "..%" PRIu64 ": %u, %u, %u; worker "
                 "stderr:\n%s\nbroker stderr:\n%s",
                 first, last, count[first], count[first + 1], count[last],
                 harness_proc_stderr(fx->worker), harness_proc_stderr(fx->base.broker));
    assert_null(zpoller_wait(poller, S_SILENCE_MS));
    zpoller_destroy(&poller);
    s_escalations(office, last, count, &dupes);
    assert_int_equal(dupes, 0);
    for (uint64_t seq = first; seq <= last; seq++)
        assert_true(count[seq] > 0);
}

int
main(void)
{
    zsys_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unit_submitting_as_itself_is_accepted, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(
            test_unit_submitting_as_another_unit_is_rejected_and_not_stored, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key_cannot_connect_and_reaches_nothing,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_revoked_unit_is_refused_after_revoke, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_dashboard_submitting_is_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stats_is_for_admin_and_office_only, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(
            test_unit_on_the_office_feed_receives_nothing_and_replay_is_refused, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown(test_worker_socket_refuses_other_roles, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_agent_with_its_certificate_submits_as_its_unit,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_revoked_subscriber_is_cut_off_and_the_others_go_on,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(
            test_revoked_worker_is_cut_off_and_its_events_go_to_the_honest_one, s_setup,
            s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
