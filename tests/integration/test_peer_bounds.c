/*  test_peer_bounds: what a peer can make the broker hold is bounded, and the broker
    keeps serving honest peers meanwhile (issue 10, findings 2 and 3).

    The broker runs without keys (anyone may connect: the worst case), with a small
    configuration, on a feed of S_FEED office items written into its store. It reports
    the memory ceiling of its configuration in STATS (peers.memory_ceiling: the formula
    of the README's Security section). Each attack below would have made it hold far
    more than that before issue 10; each is bounded in bytes sent and in time:

    - a reader that never reads: REPLAYs of S_ANSWER_KB answers, sent without reading
      one (before, every answer queued in the broker: 2 connections x 6,000 took it to
      950 MB);
    - an unfinished multipart SUBMIT: frame after frame, never the last one (before,
      libzmq kept them all: 1,000 x 1 MB, 989 MB);
    - an oversized subscription frame on the public feed (before, the XPUBs had no size
      limit: a 1 GB "subscription", 985 MB), and an unfinished multipart one;
    - many idle connections, on the api and on the public feed.

    After each, the broker's memory (VmHWM, the peak, from /proc) is under the ceiling,
    and an honest client still submits, replays and reads STATS. Under a sanitizer the
    process is larger by the sanitizer's own memory: S_SANITIZER_* below allow for it.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "load.h"

#define S_FEED          30000 /* office items, S_PADDING bytes of text each */
#define S_PADDING       300
#define S_ANSWER_ITEMS  1000         /* items a REPLAY of the non-reader asks for: ~350 KB */
#define S_NONREADER_REQ 3000         /* REPLAYs it sends, reading none */
#define S_FRAME         (512u << 10) /* frames of the multipart attack (under the 1 MB cap) */
#define S_MAX_CONN      16
#define S_IDLE_CONN     (4 * S_MAX_CONN)
#define S_TIMEOUT_MS    20000
#define S_SETTLE_MS     60000 /* for the broker to deal with an attack, on a loaded machine */
#define S_MB            (1024.0 * 1024.0)

#ifdef DAJIA_TEST_SANITIZED
/* ASan's shadow and quarantine, TSan's shadow: the same broker takes more memory. */
#define S_SANITIZER_FACTOR 4
#define S_SANITIZER_EXTRA  (512ull << 20)
#else
#define S_SANITIZER_FACTOR 1
#define S_SANITIZER_EXTRA  0
#endif

typedef struct {
    harness_fixture_t base; /* the directory, the broker on base.data, its endpoint base.api */
    char office[128], public_[128];
    uint64_t ceiling; /* bytes the broker may hold, as it says, index included */
    uint64_t limit;   /* the same, allowing for a sanitizer */
    uint64_t event_no;
} fixture_t;

/* Copies the endpoint the READY line reports as `name`=ENDPOINT into `buf`. */
static void
s_ready_endpoint(fixture_t *fx, const char *name, char *buf, size_t size)
{
    const char *line = strstr(harness_proc_stdout(fx->base.broker), "READY ");
    char token[32];
    snprintf(token, sizeof token, " %s=", name);
    const char *at = line ? strstr(line, token) : NULL;
    assert_non_null(at);
    at += strlen(token);
    size_t len = strcspn(at, " \r\n");
    assert_true(len > 0 && len < size);
    memcpy(buf, at, len);
    buf[len] = '\0';
}

static char *
s_stats(fixture_t *fx)
{
    harness_client_t *client = NULL;
    assert_int_equal(harness_client_new(fx->base.api, S_TIMEOUT_MS, &client), 0);
    char *json = harness_client_stats(client);
    harness_client_destroy(&client);
    assert_non_null(json);
    return json;
}

/* The broker's peak memory so far must lie under the ceiling. */
static void
s_check_memory(fixture_t *fx, const char *after)
{
    uint64_t peak = load_proc_memory(harness_proc_pid(fx->base.broker), "VmHWM");
    uint64_t now = load_proc_memory(harness_proc_pid(fx->base.broker), "VmRSS");
    printf("# after %s: broker memory %.1f MB now, %.1f MB at its peak (ceiling %.1f MB)\n", after,
           (double)now / S_MB, (double)peak / S_MB, (double)fx->ceiling / S_MB);
    assert_true(peak > 0);
    if (peak > fx->limit)
        fail_msg("after %s the broker held %.1f MB, over its ceiling of %.1f MB", after,
                 (double)peak / S_MB, (double)fx->limit / S_MB);
}

/* An honest client: one event accepted, one public replay answered, within the usual
   timeouts. */
static void
s_check_honest(fixture_t *fx)
{
    harness_client_t *client = NULL;
    assert_int_equal(harness_client_new(fx->base.api, S_TIMEOUT_MS, &client), 0);
    char id[64], case_no[64];
    snprintf(id, sizeof id, "honest-%" PRIu64, fx->event_no);
    snprintf(case_no, sizeof case_no, "customs-honest-%" PRIu64, fx->event_no++);
    Dajia__Envelope env;
    Dajia__CaseReport report;
    harness_envelope_init(&env, &report, "customs", id, case_no);
    assert_int_equal(harness_client_submit(client, &env), 0);
    Dajia__Ack *ack = NULL;
    assert_int_equal(harness_client_recv_ack(client, &ack), 0);
    assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
    dajia__ack__free_unpacked(ack, NULL);
    Dajia__FeedBatch *batch = NULL;
    assert_int_equal(harness_client_replay(client, DAJIA__AUDIENCE__AUDIENCE_OFFICE, 1, 10, &batch),
                     0);
    assert_int_equal(batch->reason, DAJIA__REASON__REASON_NONE);
    assert_int_equal(batch->n_items, 10);
    assert_int_equal(batch->items[0]->feed_seq, 1);
    dajia__feed_batch__free_unpacked(batch, NULL);
    harness_client_destroy(&client);
}

/* Sends frames of `frame` bytes with MORE, never the last one, until `limit` bytes went
   or the broker closed the connection; returns the bytes sent. */
static uint64_t
s_never_ending(int fd, uint64_t frame, uint64_t limit)
{
    uint64_t sent = 0;
    while (sent < limit) {
        if (load_zmtp_send_frame(fd, NULL, frame, true) != 0 ||
            load_zmtp_send_bytes(fd, 'x', frame) != 0)
            break;
        sent += frame;
    }
    return sent;
}

/* ====================================================================== fixture */

static int
s_setup(void **state)
{
    fixture_t *fx = harness_fixture_new(state, sizeof *fx);
    if (!fx)
        return -1;
    int rc = load_feed_write(fx->base.data, S_FEED, 0, S_PADDING);
    if (rc) {
        fprintf(stderr, "cannot write the feed: %d\n", rc);
        return -1;
    }
    char max_conn[16];
    snprintf(max_conn, sizeof max_conn, "%d", S_MAX_CONN);
    const char *extra[] = {"--max-message",
                           "4096",
                           "--batch-max",
                           "1024",
                           "--max-connections",
                           max_conn,
                           "--office",
                           "tcp://127.0.0.1:*",
                           "--public",
                           "tcp://127.0.0.1:*",
                           NULL};
    rc = harness_fixture_start_broker(&fx->base, extra);
    if (rc)
        return -1;
    s_ready_endpoint(fx, "office", fx->office, sizeof fx->office);
    s_ready_endpoint(fx, "public", fx->public_, sizeof fx->public_);
    char *json = s_stats(fx);
    int64_t ceiling = harness_json_u64(json, "peers/memory_ceiling");
    int64_t index = harness_json_u64(json, "peers/index_bytes");
    free(json);
    if (ceiling <= 0 || index < 0) {
        fprintf(stderr, "the broker reports no memory ceiling\n");
        return -1;
    }
    fx->ceiling = (uint64_t)ceiling + (uint64_t)index;
    fx->limit = fx->ceiling * S_SANITIZER_FACTOR + S_SANITIZER_EXTRA;
    printf("# memory ceiling of this configuration: %.1f MB\n", (double)fx->ceiling / S_MB);
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    int status = fx->base.broker ? harness_proc_stop(fx->base.broker) : 0;
    if (status != 0)
        fprintf(stderr, "the broker exited with %d\n", status);
    harness_fixture_teardown(state);
    return status == 0 ? 0 : -1;
}

/* ====================================================================== tests */

static void
test_a_reader_that_never_reads_holds_one_answer(void **state)
{
    fixture_t *fx = *state;
    /* A tiny receive window, and no reads at all. */
    int fd = load_zmtp_connect(fx->base.api, "DEALER", 4096, S_TIMEOUT_MS);
    assert_true(fd >= 0);
    Dajia__ReplayRequest req = DAJIA__REPLAY_REQUEST__INIT;
    req.from_seq = 1;
    req.audience = DAJIA__AUDIENCE__AUDIENCE_OFFICE;
    req.max_items = S_ANSWER_ITEMS;
    uint8_t body[64];
    size_t len = dajia__replay_request__pack(&req, body);
    int sent = 0;
    for (; sent < S_NONREADER_REQ; sent++)
        if (load_zmtp_send_frame(fd, "REPLAY", 6, true) != 0 ||
            load_zmtp_send_frame(fd, body, len, false) != 0)
            break;
    printf("# a reader that never reads sent %d REPLAYs of ~%d items each\n", sent, S_ANSWER_ITEMS);
    /* Let the broker answer what it would: until it has dealt with every REPLAY sent
       (answered, refused as busy or throttled), or S_SETTLE_MS. */
    int64_t deadline = harness_now_ms() + S_SETTLE_MS;
    for (;;) {
        char *json = s_stats(fx);
        int64_t dealt =
            harness_json_u64(json, "replay/requests") + harness_json_u64(json, "throttled");
        free(json);
        if (dealt >= sent || harness_now_ms() > deadline)
            break;
        zclock_sleep(100); /* polling the broker's counters */
    }
    s_check_memory(fx, "a reader that never reads");
    s_check_honest(fx);
    char *json = s_stats(fx);
    printf("# stats: %s\n", json);
    /* one answer went out; the rest were refused (one at a time) or throttled */
    assert_true(harness_json_u64(json, "replay/answers") >= 1);
    assert_true(harness_json_u64(json, "replay/busy") + harness_json_u64(json, "throttled") > 0);
    free(json);
    close(fd);
}

static void
test_an_unfinished_multipart_submit_is_cut_off(void **state)
{
    fixture_t *fx = *state;
    int fd = load_zmtp_connect(fx->base.api, "DEALER", 0, S_TIMEOUT_MS);
    assert_true(fd >= 0);
    assert_int_equal(load_zmtp_send_frame(fd, "SUBMIT", 6, true), 0);
    uint64_t limit = fx->limit + (64u << 20);
    uint64_t sent = s_never_ending(fd, S_FRAME, limit);
    printf("# an unfinished SUBMIT sent %.1f MB before the broker closed it\n",
           (double)sent / S_MB);
    zclock_sleep(200);
    s_check_memory(fx, "an unfinished multipart SUBMIT");
    if (sent >= limit)
        fail_msg("the broker took %.1f MB of one unfinished message without closing it",
                 (double)sent / S_MB);
    close(fd);
    s_check_honest(fx);
}

static void
test_subscriptions_are_bounded(void **state)
{
    fixture_t *fx = *state;
    uint64_t limit = fx->limit + (64u << 20);
    /* One "subscription" frame of a gigabyte: refused at its header. */
    int fd = load_zmtp_connect(fx->public_, "SUB", 0, S_TIMEOUT_MS);
    assert_true(fd >= 0);
    uint64_t sent = 0;
    if (load_zmtp_send_frame(fd, NULL, 1ull << 30, false) == 0)
        for (; sent < limit; sent += 1u << 20)
            if (load_zmtp_send_bytes(fd, 1, 1u << 20) != 0)
                break;
    printf("# a 1 GB subscription frame: %.1f MB of it sent before the broker closed it\n",
           (double)sent / S_MB);
    close(fd);
    assert_true(sent < limit);
    /* Subscription frames that never end. */
    fd = load_zmtp_connect(fx->public_, "SUB", 0, S_TIMEOUT_MS);
    assert_true(fd >= 0);
    sent = s_never_ending(fd, 2048, limit);
    printf("# an unfinished multipart subscription: %.1f MB sent before the broker closed it\n",
           (double)sent / S_MB);
    close(fd);
    zclock_sleep(200);
    s_check_memory(fx, "oversized and unfinished subscriptions");
    assert_true(sent < limit);
    char *json = s_stats(fx);
    assert_true(harness_json_u64(json, "peers/closed") >= 1);
    free(json);
    s_check_honest(fx);
}

/* How many of the S_IDLE_CONN connections on each socket the broker has closed. */
static int
s_closed(const int *api, const int *feed)
{
    int closed = 0;
    for (int i = 0; i < S_IDLE_CONN; i++)
        closed +=
            (api[i] >= 0 && load_zmtp_closed(api[i])) + (feed[i] >= 0 && load_zmtp_closed(feed[i]));
    return closed;
}

static void
test_idle_connections_do_not_lock_out_honest_peers(void **state)
{
    fixture_t *fx = *state;
    int api[S_IDLE_CONN], feed[S_IDLE_CONN];
    int opened = 0;
    for (int i = 0; i < S_IDLE_CONN; i++) {
        api[i] = load_zmtp_connect(fx->base.api, "DEALER", 0, S_TIMEOUT_MS);
        feed[i] = load_zmtp_connect(fx->public_, "SUB", 0, S_TIMEOUT_MS);
        opened += (api[i] >= 0) + (feed[i] >= 0);
    }
    printf("# opened %d idle connections (api and public feed, %d allowed on each)\n", opened,
           S_MAX_CONN);
    /* The guard looks every few ms: wait until it has closed all it should (a closed
       connection stays closed), so that the honest client comes last. */
    int64_t deadline = harness_now_ms() + S_SETTLE_MS;
    while (s_closed(api, feed) < opened - 2 * S_MAX_CONN && harness_now_ms() < deadline)
        zclock_sleep(100); /* polling the connections; the assertions below say the rest */
    /* The honest client comes last and is served: the idlest connection made room. */
    s_check_honest(fx);
    s_check_honest(fx);
    s_check_memory(fx, "many idle connections");
    int closed = s_closed(api, feed);
    for (int i = 0; i < S_IDLE_CONN; i++) {
        if (api[i] >= 0)
            close(api[i]);
        if (feed[i] >= 0)
            close(feed[i]);
    }
    char *json = s_stats(fx);
    int64_t refused = harness_json_u64(json, "peers/refused");
    printf("# the broker closed %d of them (stats: %" PRId64 " refused)\n", closed, refused);
    free(json);
    /* at most S_MAX_CONN stayed open on each socket */
    assert_true(closed >= opened - 2 * S_MAX_CONN);
    assert_true(refused >= opened - 2 * S_MAX_CONN);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_reader_that_never_reads_holds_one_answer, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_an_unfinished_multipart_submit_is_cut_off, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_subscriptions_are_bounded, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_idle_connections_do_not_lock_out_honest_peers, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
