/*  test_broker_replay: the replay thread, its budget a second, and the gate that lets a
    connection have one REPLAY in flight until its peer acknowledged the answer.

    The gate is driven with a real loopback tcp connection (the kernel's TCP_INFO is what
    it reads): the "broker" end's descriptor is the connection's, and the test plays the
    peer that reads, or does not.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <czmq.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker_feed.h"
#include "broker_replay.h"
#include "store.h"
#include "test_util.h"

#define S_ITEMS   20
#define S_WAIT_MS 3000

typedef struct {
    char dir[TEST_UTIL_DIR_MAX];
    store_t *store;
    broker_replay_t *replay;
} fixture_t;

static int
s_append(store_txn_t *txn, void *arg)
{
    (void)arg;
    for (uint64_t seq = 1; seq <= S_ITEMS; seq++) {
        Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
        Dajia__AggregateUpdate agg = DAJIA__AGGREGATE_UPDATE__INIT;
        item.audience = DAJIA__AUDIENCE__AUDIENCE_PUBLIC;
        item.item_case = DAJIA__FEED_ITEM__ITEM_AGGREGATE;
        item.aggregate = &agg;
        uint8_t raw[64];
        size_t len = dajia__feed_item__pack(&item, raw);
        broker_feed_entry_t entry = {0};
        int rc = broker_feed_prepare(raw, len, "aggregate", seq, &entry);
        if (rc == 0)
            rc = broker_feed_put(txn, &entry);
        broker_feed_entry_clear(&entry);
        if (rc)
            return rc;
    }
    return 0;
}

static int
s_setup_budget(void **state, uint32_t budget)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f || test_util_store_make(f->dir, sizeof f->dir, "replay", &f->store) != 0 ||
        store_write(f->store, s_append, NULL) != 0 ||
        broker_replay_start(f->store, budget, &f->replay) != 0)
        return -1;
    *state = f;
    return 0;
}

static int
s_setup(void **state)
{
    return s_setup_budget(state, 0);
}

static int
s_setup_budget_2(void **state)
{
    return s_setup_budget(state, 2);
}

static int
s_teardown(void **state)
{
    fixture_t *f = *state;
    broker_replay_destroy(&f->replay);
    assert_null(f->replay);
    broker_replay_destroy(NULL);
    int rc = test_util_store_remove(&f->store, f->dir);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* Hands a REPLAY of connection `id` (descriptor `fd`) over, after the gate said GO. */
static void
s_submit(fixture_t *f, const char *id, int fd, uint64_t from, uint32_t max)
{
    assert_int_equal(broker_replay_admit(f->replay, id, strlen(id), fd), BROKER_REPLAY_GO);
    zmq_msg_t routing;
    zmq_msg_init_size(&routing, strlen(id));
    memcpy(zmq_msg_data(&routing), id, strlen(id));
    broker_replay_request_t req = {
        .from = from, .max = max, .audience = DAJIA__AUDIENCE__AUDIENCE_PUBLIC, .fd = fd};
    assert_ok(broker_replay_submit(f->replay, &routing, &req));
}

/* Waits up to `ms` for an answer. Returns true and fills `answer` when one came. */
static bool
s_take(fixture_t *f, broker_replay_answer_t *answer, int ms)
{
    zmq_pollitem_t item = {broker_replay_handle(f->replay), 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, ms) <= 0)
        return false;
    return broker_replay_take(f->replay, answer) == 0;
}

static void
s_answer_close(broker_replay_answer_t *answer)
{
    zmq_msg_close(&answer->routing);
    zmq_msg_close(&answer->body);
}

/* ====================================================================== tests */

static void
test_an_answer_comes_back_to_its_connection(void **state)
{
    fixture_t *f = *state;
    s_submit(f, "reader-1", -1, 5, 3);
    broker_replay_answer_t answer;
    assert_true(s_take(f, &answer, S_WAIT_MS));
    assert_int_equal(zmq_msg_size(&answer.routing), strlen("reader-1"));
    assert_memory_equal(zmq_msg_data(&answer.routing), "reader-1", strlen("reader-1"));
    assert_int_equal(answer.items, 3);
    Dajia__FeedBatch *batch =
        dajia__feed_batch__unpack(NULL, zmq_msg_size(&answer.body), zmq_msg_data(&answer.body));
    assert_non_null(batch);
    assert_int_equal(batch->n_items, 3);
    /* a public reader: its own numbering (public_seq), no feed_seq */
    assert_int_equal(batch->items[0]->public_seq, 5);
    assert_int_equal(batch->items[0]->feed_seq, 0);
    assert_true(batch->more);
    assert_int_equal(batch->next_seq, 8);
    dajia__feed_batch__free_unpacked(batch, NULL);
    broker_replay_sent(f->replay, &answer, true, zmq_msg_size(&answer.body));
    s_answer_close(&answer);
    assert_int_equal(broker_replay_waited(f->replay), 0);
}

/* A budget of 2 a second: a third REPLAY of the same connection waits for the next
   second, another connection's does not. */
static void
test_over_budget_a_replay_waits_for_the_next_second(void **state)
{
    fixture_t *f = *state;
    /* start just after a second begins, so the three fall in one second */
    while (zclock_mono() % 1000 > 100)
        zclock_sleep(5);
    int64_t t0 = zclock_mono();
    for (int i = 0; i < 3; i++)
        s_submit(f, "busy", -1, 1, 1);
    s_submit(f, "other", -1, 1, 1);
    broker_replay_answer_t answer;
    int busy = 0, other = 0;
    while (busy + other < 3 && s_take(f, &answer, 300)) {
        if (zmq_msg_size(&answer.routing) == 4)
            busy++;
        else
            other++;
        s_answer_close(&answer);
    }
    assert_int_equal(busy, 2);
    assert_int_equal(other, 1);
    assert_true(zclock_mono() / 1000 == t0 / 1000); /* all within the first second */
    assert_int_equal(broker_replay_waited(f->replay), 1);
    /* the third comes in the next second */
    assert_true(s_take(f, &answer, S_WAIT_MS));
    assert_true(zclock_mono() / 1000 > t0 / 1000);
    assert_int_equal(zmq_msg_size(&answer.routing), 4);
    s_answer_close(&answer);
}

/* A loopback tcp connection: [0] the broker's end, [1] the peer's. */
static void
s_tcp_pair(int fds[2])
{
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(listener, 1), 0);
    assert_int_equal(getsockname(listener, (struct sockaddr *)&addr, &len), 0);
    fds[1] = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(fds[1], (struct sockaddr *)&addr, sizeof addr), 0);
    fds[0] = accept(listener, NULL, NULL);
    assert_true(fds[0] >= 0);
    close(listener);
}

/* Writes bytes [from, to) of the answer on the broker's end, and lets the peer's
   kernel acknowledge them (at once on loopback, whether its program reads or not: what
   the gate bounds is what the broker holds, and those bytes it no longer holds). */
static void
s_write(int fd, const zmq_msg_t *body, size_t from, size_t to)
{
    const uint8_t *data = zmq_msg_data((zmq_msg_t *)body);
    assert_int_equal(send(fd, data + from, to - from, 0), (ssize_t)(to - from));
    zclock_sleep(50);
}

static void
test_the_gate_holds_until_the_peer_acknowledged_the_answer(void **state)
{
    fixture_t *f = *state;
    int fds[2];
    s_tcp_pair(fds);
    s_submit(f, "peer", fds[0], 1, 0);
    /* in the thread: a second one is refused */
    assert_int_equal(broker_replay_admit(f->replay, "peer", 4, fds[0]), BROKER_REPLAY_BUSY);
    broker_replay_answer_t answer;
    assert_true(s_take(f, &answer, S_WAIT_MS));
    size_t bytes = zmq_msg_size(&answer.body);
    assert_true(bytes > 2);
    /* handed to the socket: the gate waits for its bytes to be acknowledged */
    broker_replay_sent(f->replay, &answer, true, bytes);
    assert_int_equal(broker_replay_admit(f->replay, "peer", 4, fds[0]), BROKER_REPLAY_BUSY);
    s_write(fds[0], &answer.body, 0, bytes / 2);
    assert_int_equal(broker_replay_admit(f->replay, "peer", 4, fds[0]), BROKER_REPLAY_BUSY);
    s_write(fds[0], &answer.body, bytes / 2, bytes);
    assert_int_equal(broker_replay_admit(f->replay, "peer", 4, fds[0]), BROKER_REPLAY_GO);
    s_answer_close(&answer);
    /* another routing id on the same descriptor (the connection was replaced) is new */
    assert_int_equal(broker_replay_admit(f->replay, "next", 4, fds[0]), BROKER_REPLAY_GO);
    close(fds[0]);
    close(fds[1]);
}

static void
test_an_answer_not_sent_opens_the_gate(void **state)
{
    fixture_t *f = *state;
    int fds[2];
    s_tcp_pair(fds);
    s_submit(f, "gone", fds[0], 1, 0);
    broker_replay_answer_t answer;
    assert_true(s_take(f, &answer, S_WAIT_MS));
    /* the peer's queue was full, or it went: it may ask again */
    broker_replay_sent(f->replay, &answer, false, 0);
    s_answer_close(&answer);
    assert_int_equal(broker_replay_admit(f->replay, "gone", 4, fds[0]), BROKER_REPLAY_GO);
    close(fds[0]);
    close(fds[1]);
}

/* ====================================================================== who reads what */

static Dajia__Reason
s_judge(bool auth, const char *role, const char *peer_unit, Dajia__Audience audience,
        const char *unit, broker_replay_request_t *job)
{
    Dajia__ReplayRequest req = DAJIA__REPLAY_REQUEST__INIT;
    req.from_seq = 7;
    req.audience = audience;
    req.unit = (char *)unit;
    char text[200] = "";
    Dajia__Reason reason = broker_replay_judge(auth, role, peer_unit, &req, job, text, sizeof text);
    if (reason != DAJIA__REASON__REASON_NONE)
        assert_true(strlen(text) > 0); /* a refusal says why */
    return reason;
}

static void
test_a_unit_reads_its_own_notices_only(void **state)
{
    (void)state;
    const Dajia__Audience U = DAJIA__AUDIENCE__AUDIENCE_UNIT;
    broker_replay_request_t job;
    /* unit A: its own, named or not */
    assert_int_equal(s_judge(true, "unit", "msa", U, "", &job), DAJIA__REASON__REASON_NONE);
    assert_string_equal(job.unit, "msa");
    assert_int_equal(job.audience, U);
    assert_int_equal(job.from, 7);
    assert_int_equal(s_judge(true, "unit", "msa", U, "msa", &job), DAJIA__REASON__REASON_NONE);
    assert_string_equal(job.unit, "msa");
    /* unit A cannot read unit B's */
    assert_int_equal(s_judge(true, "unit", "msa", U, "psb", &job), DAJIA__REASON__REASON_FORBIDDEN);
    /* a public reader (dashboard) cannot read any unit's */
    assert_int_equal(s_judge(true, "dashboard", NULL, U, "msa", &job),
                     DAJIA__REASON__REASON_FORBIDDEN);
    assert_int_equal(s_judge(true, "worker", NULL, U, "msa", &job),
                     DAJIA__REASON__REASON_FORBIDDEN);
    /* the office reads any unit's, named */
    assert_int_equal(s_judge(true, "office", NULL, U, "psb", &job), DAJIA__REASON__REASON_NONE);
    assert_string_equal(job.unit, "psb");
    assert_int_equal(s_judge(true, "office", NULL, U, "", &job), DAJIA__REASON__REASON_MALFORMED);
    /* without keys the unit is named */
    assert_int_equal(s_judge(false, NULL, NULL, U, "psb", &job), DAJIA__REASON__REASON_NONE);
    assert_string_equal(job.unit, "psb");
    /* the other audiences as before: a unit reads public items, not the office's */
    assert_int_equal(s_judge(true, "unit", "msa", DAJIA__AUDIENCE__AUDIENCE_PUBLIC, "", &job),
                     DAJIA__REASON__REASON_NONE);
    assert_int_equal(job.audience, DAJIA__AUDIENCE__AUDIENCE_PUBLIC);
    assert_string_equal(job.unit, "");
    assert_int_equal(s_judge(true, "unit", "msa", DAJIA__AUDIENCE__AUDIENCE_OFFICE, "", &job),
                     DAJIA__REASON__REASON_FORBIDDEN);
    assert_int_equal(s_judge(true, "dashboard", NULL, 99, "", &job), DAJIA__REASON__REASON_NONE);
    assert_int_equal(job.audience, DAJIA__AUDIENCE__AUDIENCE_PUBLIC);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_unit_reads_its_own_notices_only),
        cmocka_unit_test_setup_teardown(test_an_answer_comes_back_to_its_connection, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_over_budget_a_replay_waits_for_the_next_second,
                                        s_setup_budget_2, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_gate_holds_until_the_peer_acknowledged_the_answer,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_an_answer_not_sent_opens_the_gate, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests_name("broker_replay", tests, NULL, NULL);
}
