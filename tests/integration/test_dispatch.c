/*  Integration: events reach the workers and their outputs reach readers (guarantees 4
    and 5).

    Each event is a case with a value far above the "major" threshold, so the escalate
    core escalates every one of them. The tests follow the office feed as a reader
    should (the Clone pattern: subscribe, take live items in feed_seq order, replay on a
    gap or a silence) and check that every event escalated exactly once, that feed_seq
    has no gap, and that replay from 1 returns the very bytes that were published. One
    test runs the workers as separate dajia-worker processes and kills one mid-stream.
    One plays an escalate worker frame by frame to check that tick outputs are stored
    once per tick number, across a broker restart.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define S_STR(...) ((char *)harness_autofree(harness_strf(__VA_ARGS__)))

#define S_EVENTS       60
#define S_STREAM       400          /* events per half of the kill test */
#define S_MAJOR_FEN    6000000000LL /* 60 million yuan: major by any threshold */
#define S_LIVE_WAIT_MS 500          /* silence after which the reader replays */
#define S_DEADLINE_MS  60000
#define S_FEED_MAX     8192

typedef struct {
    harness_fixture_t base; /* the directory, the broker on base.data, its endpoint base.api */
    harness_proc_t *workers[2];
    char office[256];
    char workers_endpoint[256];
    harness_client_t *client;
    zsock_t *sub;
    /* what the reader holds, in feed_seq order: feed_seq i + 1 at index i */
    zchunk_t *items[S_FEED_MAX];
    size_t count;
    size_t live; /* how many came from the live feed */
} fixture_t;

/* ================================================================ plumbing */

static int
s_start(fixture_t *fx, bool external)
{
    const char *extra[] = {"--external-workers", "--workers", "tcp://127.0.0.1:*", NULL};
    int rc = harness_fixture_start_broker(&fx->base, external ? extra : NULL);
    if (rc)
        return rc;
    assert_int_equal(harness_ready_field(fx->base.broker, "office=", fx->office, sizeof fx->office),
                     0);
    assert_int_equal(harness_ready_field(fx->base.broker, "workers=", fx->workers_endpoint,
                                         sizeof fx->workers_endpoint),
                     0);
    if (harness_client_new(fx->base.api, HARNESS_RECV_TIMEOUT_MS, &fx->client))
        return -1;
    fx->sub = zsock_new_sub(fx->office, "");
    return fx->sub ? 0 : -1;
}

static int
s_setup(void **state)
{
    return harness_fixture_new(state, sizeof(fixture_t)) ? 0 : -1;
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    zsock_destroy(&fx->sub);
    harness_client_destroy(&fx->client);
    for (size_t i = 0; i < 2; i++)
        harness_proc_destroy(&fx->workers[i]);
    for (size_t i = 0; i < fx->count; i++)
        zchunk_destroy(&fx->items[i]);
    return harness_fixture_teardown(state);
}

static void
s_submit(fixture_t *fx, size_t first, size_t count)
{
    for (size_t i = first; i < first + count; i++) {
        Dajia__Envelope env;
        Dajia__CaseReport report;
        char *id = S_STR("it-dispatch-%zu", i);
        harness_envelope_init(&env, &report, "msa", id, S_STR("msa-major-%zu", i));
        report.case_value_fen = S_MAJOR_FEN;
        assert_int_equal(harness_client_submit(fx->client, &env), 0);
    }
    for (size_t i = 0; i < count; i++) {
        Dajia__Ack *ack = NULL;
        assert_int_equal(harness_client_recv_ack(fx->client, &ack), 0);
        assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
        dajia__ack__free_unpacked(ack, NULL);
    }
}

/* Sends REPLAY and returns the FeedBatch (caller frees). */
static Dajia__FeedBatch *
s_replay(fixture_t *fx, uint64_t from, uint32_t max)
{
    Dajia__FeedBatch *batch = NULL;
    assert_int_equal(
        harness_client_replay(fx->client, DAJIA__AUDIENCE__AUDIENCE_OFFICE, from, max, &batch), 0);
    assert_int_equal(batch->reason, DAJIA__REASON__REASON_NONE);
    return batch;
}

static void
s_keep(fixture_t *fx, const void *data, size_t len)
{
    assert_true(fx->count < S_FEED_MAX);
    fx->items[fx->count++] = zchunk_new(data, len);
}

/* Replays everything after what the reader holds, in small pages. */
static void
s_catch_up(fixture_t *fx)
{
    Dajia__FeedBatch *batch;
    do {
        batch = s_replay(fx, fx->count + 1, 7);
        for (size_t i = 0; i < batch->n_items; i++) {
            assert_int_equal(batch->items[i]->feed_seq, fx->count + 1); /* no gap */
            size_t len = dajia__feed_item__get_packed_size(batch->items[i]);
            uint8_t *buf = malloc(len ? len : 1);
            dajia__feed_item__pack(batch->items[i], buf);
            s_keep(fx, buf, len);
            free(buf);
        }
        bool more = batch->more;
        dajia__feed_batch__free_unpacked(batch, NULL);
        if (!more)
            break;
    } while (true);
}

/* The escalations held, as a count of each source_log_seq; fails on an escalation_id
   seen twice. Returns how many source events escalated. */
static size_t
s_escalated_events(fixture_t *fx, size_t events)
{
    size_t *per_seq = calloc(events + 1, sizeof *per_seq);
    zhash_t *ids = zhash_new();
    size_t covered = 0;
    for (size_t i = 0; i < fx->count; i++) {
        Dajia__FeedItem *item =
            dajia__feed_item__unpack(NULL, zchunk_size(fx->items[i]), zchunk_data(fx->items[i]));
        assert_non_null(item);
        assert_int_equal(item->feed_seq, i + 1);
        if (item->item_case == DAJIA__FEED_ITEM__ITEM_ESCALATION) {
            const char *id = item->escalation->escalation_id;
            if (zhash_lookup(ids, id))
                fail_msg("escalation %s is in the feed twice", id);
            zhash_insert(ids, id, "x");
            uint64_t src = item->escalation->source_log_seq;
            if (src >= 1 && src <= events && per_seq[src]++ == 0)
                covered++;
        }
        dajia__feed_item__free_unpacked(item, NULL);
    }
    zhash_destroy(&ids);
    free(per_seq);
    return covered;
}

/* Follows the office feed (Clone pattern) until every one of `events` events has
   escalated, or the deadline. */
static void
s_follow(fixture_t *fx, size_t events)
{
    zsock_set_rcvtimeo(fx->sub, S_LIVE_WAIT_MS);
    int64_t deadline = harness_now_ms() + S_DEADLINE_MS;
    while (s_escalated_events(fx, events) < events) {
        if (harness_now_ms() > deadline)
            fail_msg("after %d s only %zu of %zu events escalated (%zu feed items)",
                     S_DEADLINE_MS / 1000, s_escalated_events(fx, events), events, fx->count);
        for (int n = 0; n < 1000; n++) {
            zmsg_t *msg = zmsg_recv(fx->sub);
            if (!msg) {
                s_catch_up(fx); /* silence: maybe we joined late */
                break;
            }
            assert_int_equal(zmsg_size(msg), 2);
            zframe_t *body = zmsg_last(msg);
            Dajia__FeedItem *item =
                dajia__feed_item__unpack(NULL, zframe_size(body), zframe_data(body));
            assert_non_null(item);
            uint64_t seq = item->feed_seq;
            dajia__feed_item__free_unpacked(item, NULL);
            if (seq == fx->count + 1) {
                s_keep(fx, zframe_data(body), zframe_size(body));
                fx->live++;
            } else if (seq > fx->count + 1) {
                s_catch_up(fx); /* a gap: what we missed is in the log */
            }
            zmsg_destroy(&msg);
        }
    }
}

/* Replay from 1 returns exactly the bytes the reader holds. */
static void
s_check_replay_matches(fixture_t *fx)
{
    Dajia__FeedBatch *batch = s_replay(fx, 1, 0);
    assert_true(batch->n_items >= fx->count);
    for (size_t i = 0; i < fx->count; i++) {
        size_t len = dajia__feed_item__get_packed_size(batch->items[i]);
        uint8_t *buf = malloc(len ? len : 1);
        dajia__feed_item__pack(batch->items[i], buf);
        assert_int_equal(len, zchunk_size(fx->items[i]));
        assert_memory_equal(buf, zchunk_data(fx->items[i]), len);
        free(buf);
    }
    dajia__feed_batch__free_unpacked(batch, NULL);
}

static harness_proc_t *
s_worker_start(fixture_t *fx, const char *service, const char *state_dir)
{
    const char *argv[] = {DAJIA_WORKER_BIN,     "--service", service,   "--broker",
                          fx->workers_endpoint, "--state",   state_dir, NULL};
    harness_proc_t *proc = NULL;
    assert_int_equal(harness_proc_start(argv, NULL, &proc), 0);
    char *expect = S_STR("READY service=%s\n", service);
    int64_t deadline = harness_now_ms() + HARNESS_READY_TIMEOUT_MS;
    while (!strstr(harness_proc_stdout(proc), expect)) {
        if (!harness_proc_running(proc) || harness_now_ms() > deadline)
            fail_msg("dajia-worker %s gave no READY line: %s", service, harness_proc_stdout(proc));
        zclock_sleep(10); /* polling the child's pipe, not waiting for readiness */
    }
    return proc;
}

/* ================================================================ a fake worker */

/* Registers a fake escalate worker (a DEALER) on the broker's workers endpoint. */
static zsock_t *
s_fake_worker(fixture_t *fx)
{
    zsock_t *dealer = zsock_new_dealer(fx->workers_endpoint);
    assert_non_null(dealer);
    zsock_set_rcvtimeo(dealer, HARNESS_RECV_TIMEOUT_MS);
    unsigned char applied[8] = {0};
    zmsg_t *msg = zmsg_new();
    zmsg_addstr(msg, "READY");
    zmsg_addstr(msg, "escalate");
    zmsg_addmem(msg, applied, sizeof applied);
    assert_int_equal(zmsg_send(&msg, dealer), 0);
    return dealer;
}

/* Sends ["TICKED", tick_no, one escalation `id`]. */
static void
s_fake_ticked(zsock_t *dealer, uint64_t tick_no, const char *id)
{
    Dajia__Escalation esc = DAJIA__ESCALATION__INIT;
    esc.escalation_id = (char *)id;
    esc.rule = "OVERDUE-7D";
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.audience = DAJIA__AUDIENCE__AUDIENCE_OFFICE;
    item.item_case = DAJIA__FEED_ITEM__ITEM_ESCALATION;
    item.escalation = &esc;
    uint8_t buf[256];
    assert_true(dajia__feed_item__get_packed_size(&item) <= sizeof buf);
    size_t len = dajia__feed_item__pack(&item, buf);
    unsigned char no[8];
    for (int i = 0; i < 8; i++)
        no[i] = (unsigned char)(tick_no >> (56 - 8 * i));
    zmsg_t *msg = zmsg_new();
    zmsg_addstr(msg, "TICKED");
    zmsg_addmem(msg, no, sizeof no);
    zmsg_addmem(msg, buf, len);
    assert_int_equal(zmsg_send(&msg, dealer), 0);
}

/* Reads the broker's messages (TICKs too) until a HEARTBEAT says tick `tick_no` is
   stored; fails past the deadline. */
static void
s_fake_wait_tick(zsock_t *dealer, uint64_t tick_no)
{
    int64_t deadline = harness_now_ms() + S_DEADLINE_MS;
    uint64_t seen = 0;
    while (harness_now_ms() < deadline) {
        zmsg_t *msg = zmsg_recv(dealer);
        assert_non_null(msg);
        if (zframe_streq(zmsg_first(msg), "HEARTBEAT") && zmsg_size(msg) == 3) {
            zframe_t *tick = zmsg_last(msg);
            assert_int_equal(zframe_size(tick), 8);
            seen = 0;
            for (int i = 0; i < 8; i++)
                seen = seen << 8 | zframe_data(tick)[i];
        }
        zmsg_destroy(&msg);
        if (seen == tick_no)
            return;
        assert_true(seen < tick_no);
    }
    fail_msg("the broker never confirmed tick %" PRIu64 " (last %" PRIu64 ")", tick_no, seen);
}

/* The feed holds exactly the escalations `ids`, in this order. */
static void
s_feed_is(fixture_t *fx, const char *const *ids, size_t count)
{
    Dajia__FeedBatch *batch = s_replay(fx, 1, 0);
    assert_int_equal(batch->n_items, count);
    for (size_t i = 0; i < count; i++) {
        assert_int_equal(batch->items[i]->feed_seq, i + 1);
        assert_int_equal(batch->items[i]->item_case, DAJIA__FEED_ITEM__ITEM_ESCALATION);
        assert_string_equal(batch->items[i]->escalation->escalation_id, ids[i]);
        assert_string_equal(batch->items[i]->service, "escalate");
    }
    dajia__feed_batch__free_unpacked(batch, NULL);
}

/* ================================================================ tests */

static void
test_dispatch_in_process_escalations_reach_office_feed_in_order(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(s_start(fx, false), 0);
    s_submit(fx, 0, S_EVENTS);
    s_follow(fx, S_EVENTS);
    assert_true(fx->live > 0); /* publication works, not only replay */
    s_check_replay_matches(fx);
    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
}

static void
test_dispatch_feed_and_cursors_survive_broker_restart(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(s_start(fx, false), 0);
    s_submit(fx, 0, S_EVENTS / 2);
    s_follow(fx, S_EVENTS / 2);
    size_t before = fx->count;
    zsock_destroy(&fx->sub);
    harness_client_destroy(&fx->client);
    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
    harness_proc_destroy(&fx->base.broker);
    /* same data: the workers resume where they were, nothing is escalated again */
    assert_int_equal(s_start(fx, false), 0);
    s_submit(fx, S_EVENTS / 2, S_EVENTS / 2);
    s_follow(fx, S_EVENTS);
    assert_true(fx->count > before);
    s_check_replay_matches(fx);
}

static void
test_dispatch_worker_killed_midstream_loses_and_repeats_nothing(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(s_start(fx, true), 0);
    char *esc_state = S_STR("%s/escalate", fx->base.dir);
    fx->workers[0] = s_worker_start(fx, "escalate", esc_state);
    s_submit(fx, 0, S_STREAM);
    /* let part of the stream through, then kill -9 the worker */
    zsock_set_rcvtimeo(fx->sub, HARNESS_RECV_TIMEOUT_MS);
    zmsg_t *first = zmsg_recv(fx->sub);
    assert_non_null(first);
    zmsg_destroy(&first);
    harness_proc_kill(fx->workers[0]);
    s_submit(fx, S_STREAM, S_STREAM); /* more arrive while it is down */
    /* a new process on the same state takes over once the broker declares it dead */
    fx->workers[1] = s_worker_start(fx, "escalate", esc_state);
    s_follow(fx, 2 * S_STREAM);
    s_check_replay_matches(fx);
    assert_int_equal(harness_proc_stop(fx->workers[1]), 0);
    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
}

static void
test_dispatch_tick_outputs_stored_once_per_tick_number(void **state)
{
    fixture_t *fx = *state;
    const char *ids[] = {"OVERDUE-7D:a", "OVERDUE-7D:b", "OVERDUE-7D:c"};
    assert_int_equal(s_start(fx, true), 0);
    zsock_t *worker = s_fake_worker(fx);
    s_fake_wait_tick(worker, 0); /* registered: no tick stored yet */
    s_fake_ticked(worker, 1, ids[0]);
    s_fake_ticked(worker, 1, ids[0]); /* sent again: stored already */
    s_fake_ticked(worker, 3, ids[2]); /* 2 is due: dropped */
    s_fake_ticked(worker, 2, ids[1]);
    s_fake_wait_tick(worker, 2);
    s_feed_is(fx, ids, 2);
    zsock_destroy(&worker);
    /* the tick number is durable: after a restart 2 is still known, 3 is taken */
    zsock_destroy(&fx->sub);
    harness_client_destroy(&fx->client);
    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
    harness_proc_destroy(&fx->base.broker);
    assert_int_equal(s_start(fx, true), 0);
    worker = s_fake_worker(fx);
    s_fake_wait_tick(worker, 2);
    s_fake_ticked(worker, 2, ids[1]);
    s_fake_ticked(worker, 3, ids[2]);
    s_fake_wait_tick(worker, 3);
    s_feed_is(fx, ids, 3);
    zsock_destroy(&worker);
    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
}

static void
test_dispatch_replay_refuses_malformed_request(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(s_start(fx, false), 0);
    const void *data[] = {"REPLAY", "\xff\xff\xff"};
    const size_t lens[] = {6, 3};
    assert_int_equal(harness_client_send(fx->client, 2, data, lens), 0);
    zmsg_t *msg = NULL;
    assert_int_equal(harness_client_recv(fx->client, &msg), 0);
    assert_true(zframe_streq(zmsg_first(msg), "FEED"));
    zframe_t *body = zmsg_next(msg);
    Dajia__FeedBatch *batch = dajia__feed_batch__unpack(NULL, zframe_size(body), zframe_data(body));
    assert_non_null(batch);
    assert_int_equal(batch->reason, DAJIA__REASON__REASON_MALFORMED);
    assert_int_equal(batch->n_items, 0);
    dajia__feed_batch__free_unpacked(batch, NULL);
    zmsg_destroy(&msg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_dispatch_in_process_escalations_reach_office_feed_in_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_feed_and_cursors_survive_broker_restart,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(
            test_dispatch_worker_killed_midstream_loses_and_repeats_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_tick_outputs_stored_once_per_tick_number,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_replay_refuses_malformed_request, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
