/*  test_office_follow: the feed follower against a fake broker.

    The fake is an actor with the broker's two feed-side sockets: a ROUTER answering
    REPLAY from a feed of T_FEED items (at most T_BATCH per answer, so `more` is used) and
    an XPUB. The test moves it through its pipe: STORE n (items up to n are stored, not
    published: published while nobody listened), PUBLISH n (store up to n, then publish
    item n), MODE mute|old|sparse|normal (never answer; answer as a broker without
    replay; answer as a broker that reads a bounded number of items an answer, most of
    them not for this reader, and says where it got to with next_seq).
*/
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <czmq.h>

#include "office_follow.h"
#include "test_util.h"

#define T_FEED    12
#define T_BATCH   3
#define T_TIMEOUT 5000
#define T_IDLE_MS 50
#define T_SPARSE  4 /* mode sparse: the reader sees every 4th item */

// ====================================================================== fake broker

typedef struct {
    char api[128];
    char feed[128];
} t_endpoints_t;

/* Item `seq` of the feed: an office item, or in mode "public" the public item numbered
   `seq` as a broker sends it to a public reader (public_seq, no feed_seq). */
static void
s_item_init(Dajia__FeedItem *item, Dajia__Escalation *esc, uint64_t seq, bool public_)
{
    *item = (Dajia__FeedItem)DAJIA__FEED_ITEM__INIT;
    *esc = (Dajia__Escalation)DAJIA__ESCALATION__INIT;
    item->feed_seq = public_ ? 0 : seq;
    item->public_seq = public_ ? seq : 0;
    item->audience = public_ ? DAJIA__AUDIENCE__AUDIENCE_PUBLIC : DAJIA__AUDIENCE__AUDIENCE_OFFICE;
    item->service = "escalate";
    item->item_case = DAJIA__FEED_ITEM__ITEM_ESCALATION;
    item->escalation = esc;
    esc->rule = "E3";
    esc->unit = "customs";
    esc->case_no = "customs-1";
}

static void
s_publish(zsock_t *pub, uint64_t seq, bool public_)
{
    Dajia__FeedItem item;
    Dajia__Escalation esc;
    s_item_init(&item, &esc, seq, public_);
    uint8_t buf[256];
    size_t len = dajia__feed_item__pack(&item, buf);
    zsock_send(pub, "sb", "escalation", buf, len);
}

static void
s_answer(zsock_t *router, zmsg_t *msg, uint64_t stored, const char *mode)
{
    zframe_t *id = zmsg_pop(msg);
    zframe_t *cmd = zmsg_pop(msg);
    zframe_t *body = zmsg_pop(msg);
    if (strcmp(mode, "mute") == 0)
        goto out;
    zmsg_t *reply = zmsg_new();
    zmsg_append(reply, &id);
    if (strcmp(mode, "old") == 0 || !cmd || !zframe_streq(cmd, "REPLAY") || !body) {
        Dajia__Ack ack = DAJIA__ACK__INIT;
        ack.status = DAJIA__ACK_STATUS__ACK_STATUS_REJECTED;
        ack.reason = DAJIA__REASON__REASON_UNKNOWN_COMMAND;
        ack.reason_text = "unknown command";
        uint8_t buf[128];
        zmsg_addstr(reply, "ACK");
        zmsg_addmem(reply, buf, dajia__ack__pack(&ack, buf));
    } else {
        Dajia__ReplayRequest *req =
            dajia__replay_request__unpack(NULL, zframe_size(body), zframe_data(body));
        assert_non_null(req);
        uint64_t from = req->from_seq ? req->from_seq : 1;
        dajia__replay_request__free_unpacked(req, NULL);
        Dajia__FeedItem items[T_BATCH], *ptrs[T_BATCH];
        Dajia__Escalation escs[T_BATCH];
        size_t n = 0;
        Dajia__FeedBatch batch = DAJIA__FEED_BATCH__INIT;
        if (strcmp(mode, "sparse") == 0) {
            /* A broker that reads at most T_BATCH items an answer, of which the reader
               may see only every T_SPARSE-th: answers with none at all say where it got
               to, and more (next_seq). */
            uint64_t seq = from;
            for (; seq <= stored && seq < from + T_BATCH; seq++) {
                if (seq % T_SPARSE)
                    continue;
                s_item_init(&items[n], &escs[n], seq, false);
                ptrs[n] = &items[n];
                n++;
            }
            batch.more = seq <= stored;
            batch.next_seq = batch.more ? seq : 0;
        } else {
            for (uint64_t seq = from; seq <= stored && n < T_BATCH; seq++, n++) {
                s_item_init(&items[n], &escs[n], seq, strcmp(mode, "public") == 0);
                ptrs[n] = &items[n];
            }
            batch.more = from + n <= stored;
        }
        batch.items = ptrs;
        batch.n_items = n;
        batch.last_feed_seq = stored;
        uint8_t buf[2048];
        zmsg_addstr(reply, "FEED");
        zmsg_addmem(reply, buf, dajia__feed_batch__pack(&batch, buf));
    }
    zmsg_send(&reply, router);
out:
    zframe_destroy(&id);
    zframe_destroy(&cmd);
    zframe_destroy(&body);
}

static void
s_fake_broker(zsock_t *pipe, void *arg)
{
    t_endpoints_t *ends = arg;
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    zsock_t *pub = zsock_new(ZMQ_XPUB);
    int api_port = zsock_bind(router, "tcp://127.0.0.1:*");
    int feed_port = zsock_bind(pub, "tcp://127.0.0.1:*");
    snprintf(ends->api, sizeof ends->api, "tcp://127.0.0.1:%d", api_port);
    snprintf(ends->feed, sizeof ends->feed, "tcp://127.0.0.1:%d", feed_port);
    zsock_signal(pipe, 0);
    uint64_t stored = 0;
    char mode[16] = "normal";
    zpoller_t *poller = zpoller_new(pipe, router, pub, NULL);
    while (true) {
        void *which = zpoller_wait(poller, -1);
        if (which == pipe) {
            char *cmd = NULL, *value = NULL;
            zstr_recvx(pipe, &cmd, &value, NULL);
            bool term = !cmd || streq(cmd, "$TERM");
            if (!term && streq(cmd, "STORE"))
                stored = strtoull(value, NULL, 10);
            else if (!term && streq(cmd, "PUBLISH")) {
                uint64_t seq = strtoull(value, NULL, 10);
                stored = seq > stored ? seq : stored;
                s_publish(pub, seq, streq(mode, "public"));
            } else if (!term && streq(cmd, "MODE"))
                snprintf(mode, sizeof mode, "%s", value);
            zstr_free(&cmd);
            zstr_free(&value);
            if (term)
                break;
            zsock_signal(pipe, 0);
        } else if (which == router) {
            zmsg_t *msg = zmsg_recv(router);
            s_answer(router, msg, stored, mode);
            zmsg_destroy(&msg);
        } else if (which == pub) {
            zframe_t *sub = zframe_recv(pub); /* subscriptions: nothing to do */
            zframe_destroy(&sub);
        } else {
            break;
        }
    }
    zpoller_destroy(&poller);
    zsock_destroy(&router);
    zsock_destroy(&pub);
}

static void
s_tell(zactor_t *fake, const char *cmd, uint64_t value)
{
    char text[32];
    snprintf(text, sizeof text, "%llu", (unsigned long long)value);
    zstr_sendx(fake, cmd, text, NULL);
    zsock_wait(fake);
}

// ====================================================================== fixture

typedef struct {
    t_endpoints_t ends;
    zactor_t *fake;
    char dir[TEST_UTIL_DIR_MAX];
    uint64_t got[4 * T_FEED];
    size_t n_got;
    size_t stop_after; /* the callback stops after this many (0: never) */
    bool drive;        /* the callback moves the fake along (see the run test) */
    bool public_;      /* the follower reads the public feed */
} t_fixture_t;

static int
s_setup(void **state)
{
    t_fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->fake = zactor_new(s_fake_broker, &f->ends);
    assert_non_null(f->fake);
    assert_ok(test_util_dir_make(f->dir, sizeof f->dir, "follow"));
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    t_fixture_t *f = *state;
    zactor_destroy(&f->fake);
    int rc = test_util_dir_remove(f->dir);
    free(f);
    return rc == 0 ? 0 : -1;
}

static int
s_collect(const Dajia__FeedItem *item, void *arg)
{
    t_fixture_t *f = arg;
    assert_true(f->n_got < sizeof f->got / sizeof f->got[0]);
    /* the position in the reader's numbering: a public reader is told no feed_seq */
    uint64_t seq = f->public_ ? item->public_seq : item->feed_seq;
    if (f->public_)
        assert_int_equal(item->feed_seq, 0);
    f->got[f->n_got++] = seq;
    if (f->drive && seq == 4) {
        /* Live: 5 is published; 6 is stored but its publication is lost; 7 is published
           (a gap: 6 must come by replay); 5 is published again (a duplicate). */
        s_tell(f->fake, "PUBLISH", 5);
        s_tell(f->fake, "STORE", 6);
        s_tell(f->fake, "PUBLISH", 7);
        s_tell(f->fake, "PUBLISH", 5);
    }
    return f->stop_after && f->n_got >= f->stop_after ? 1 : 0;
}

static office_follow_t *
s_follower(t_fixture_t *f, bool live, int timeout_ms)
{
    office_follow_options_t o = {
        .api = f->ends.api,
        .feed = live ? f->ends.feed : NULL,
        .audience =
            f->public_ ? DAJIA__AUDIENCE__AUDIENCE_PUBLIC : DAJIA__AUDIENCE__AUDIENCE_OFFICE,
        .state_dir = f->dir,
        .from_seq = 1,
        .timeout_ms = timeout_ms,
        .idle_check_ms = T_IDLE_MS,
    };
    office_follow_t *follow = NULL;
    assert_int_equal(office_follow_new(&o, &follow), 0);
    return follow;
}

// ====================================================================== tests

static void
test_judge_table(void **state)
{
    (void)state;
    struct {
        uint64_t last, seq;
        office_follow_verdict_t want;
    } cases[] = {
        {0, 1, OFFICE_FOLLOW_NEXT},
        {0, 2, OFFICE_FOLLOW_GAP},
        {5, 5, OFFICE_FOLLOW_DROP},
        {5, 4, OFFICE_FOLLOW_DROP},
        {5, 6, OFFICE_FOLLOW_NEXT},
        {5, 9, OFFICE_FOLLOW_GAP},
        {UINT64_MAX - 1, UINT64_MAX, OFFICE_FOLLOW_NEXT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(office_follow_judge(cases[i].last, cases[i].seq), cases[i].want);
}

static void
test_state_survives_and_rejects_garbage(void **state)
{
    t_fixture_t *f = *state;
    uint64_t seq = 99;
    assert_int_equal(office_follow_state_load(f->dir, &seq), 0);
    assert_int_equal(seq, 0); /* no file yet */
    assert_int_equal(office_follow_state_save(f->dir, 1234567890123ULL), 0);
    assert_int_equal(office_follow_state_load(f->dir, &seq), 0);
    assert_int_equal(seq, 1234567890123ULL);
    char *path = zsys_sprintf("%s/%s", f->dir, OFFICE_FOLLOW_STATE_FILE);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs("12x\n", file);
    fclose(file);
    zstr_free(&path);
    assert_int_equal(office_follow_state_load(f->dir, &seq), OFFICE_FOLLOW_STATE);
}

static void
test_catch_up_delivers_everything_once_in_batches(void **state)
{
    t_fixture_t *f = *state;
    s_tell(f->fake, "STORE", 8); /* 8 items: batches of 3, 3, 2 */
    office_follow_t *follow = s_follower(f, false, T_TIMEOUT);
    assert_int_equal(office_follow_catch_up(follow, s_collect, f), 0);
    assert_int_equal(f->n_got, 8);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(f->got[i], i + 1);
    assert_int_equal(office_follow_last(follow), 8);
    /* Nothing new: nothing delivered. */
    assert_int_equal(office_follow_catch_up(follow, s_collect, f), 0);
    assert_int_equal(f->n_got, 8);
    office_follow_destroy(&follow);
    assert_null(follow);

    /* A new follower on the same state starts after 8: only 9 and 10. */
    s_tell(f->fake, "STORE", 10);
    follow = s_follower(f, false, T_TIMEOUT);
    assert_int_equal(office_follow_last(follow), 8);
    assert_int_equal(office_follow_catch_up(follow, s_collect, f), 0);
    assert_int_equal(f->n_got, 10);
    assert_int_equal(f->got[8], 9);
    assert_int_equal(f->got[9], 10);
    office_follow_destroy(&follow);
}

static void
test_run_fills_gaps_and_drops_duplicates(void **state)
{
    t_fixture_t *f = *state;
    s_tell(f->fake, "STORE", 4);
    f->drive = true;
    f->stop_after = 7;
    office_follow_t *follow = s_follower(f, true, T_TIMEOUT);
    assert_int_equal(office_follow_run(follow, s_collect, f), 1);
    /* Whatever came live and whatever by replay: 1..7, each once, in order. */
    assert_int_equal(f->n_got, 7);
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(f->got[i], i + 1);
    office_follow_destroy(&follow);
    uint64_t kept = 0;
    assert_int_equal(office_follow_state_load(f->dir, &kept), 0);
    assert_int_equal(kept, 7);
}

/* The public reader (the public dashboard's follower) goes by public_seq: the items of a
   public feed carry no feed_seq, and a public_seq missing live is a gap it replays. */
static void
test_public_reader_fills_gaps_by_public_seq(void **state)
{
    t_fixture_t *f = *state;
    zstr_sendx(f->fake, "MODE", "public", NULL);
    zsock_wait(f->fake);
    s_tell(f->fake, "STORE", 4);
    f->public_ = true;
    f->drive = true;
    f->stop_after = 7;
    office_follow_t *follow = s_follower(f, true, T_TIMEOUT);
    assert_int_equal(office_follow_run(follow, s_collect, f), 1);
    assert_int_equal(f->n_got, 7);
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(f->got[i], i + 1);
    office_follow_destroy(&follow);
    uint64_t kept = 0;
    assert_int_equal(office_follow_state_load(f->dir, &kept), 0);
    assert_int_equal(kept, 7);
}

static void
test_catch_up_goes_on_from_next_seq_through_answers_without_items(void **state)
{
    t_fixture_t *f = *state;
    s_tell(f->fake, "STORE", T_FEED);
    zstr_sendx(f->fake, "MODE", "sparse", NULL);
    zsock_wait(f->fake);
    office_follow_t *follow = s_follower(f, false, T_TIMEOUT);
    /* The first answer (1..3) holds nothing: a reader that only trusted the items
       received would think itself stuck. */
    assert_int_equal(office_follow_catch_up(follow, s_collect, f), 0);
    assert_int_equal(f->n_got, T_FEED / T_SPARSE);
    for (size_t i = 0; i < f->n_got; i++)
        assert_int_equal(f->got[i], (i + 1) * T_SPARSE);
    assert_int_equal(office_follow_last(follow), T_FEED);
    office_follow_destroy(&follow);
}

static void
test_stop_in_catch_up_keeps_position(void **state)
{
    t_fixture_t *f = *state;
    s_tell(f->fake, "STORE", 6);
    f->stop_after = 2;
    office_follow_t *follow = s_follower(f, false, T_TIMEOUT);
    assert_int_equal(office_follow_catch_up(follow, s_collect, f), 1);
    assert_int_equal(office_follow_last(follow), 2);
    office_follow_destroy(&follow);
    uint64_t kept = 0;
    assert_int_equal(office_follow_state_load(f->dir, &kept), 0);
    assert_int_equal(kept, 2);
}

static void
test_silent_broker_times_out(void **state)
{
    t_fixture_t *f = *state;
    s_tell(f->fake, "STORE", 3);
    zstr_sendx(f->fake, "MODE", "mute", NULL);
    zsock_wait(f->fake);
    office_follow_t *follow = s_follower(f, false, 200);
    assert_int_equal(office_follow_catch_up(follow, s_collect, f), OFFICE_FOLLOW_TIMEOUT);
    assert_non_null(strstr(office_follow_error(follow), "no answer"));
    assert_int_equal(f->n_got, 0);
    office_follow_destroy(&follow);
}

static void
test_broker_without_replay_is_a_refusal(void **state)
{
    t_fixture_t *f = *state;
    zstr_sendx(f->fake, "MODE", "old", NULL);
    zsock_wait(f->fake);
    office_follow_t *follow = s_follower(f, false, T_TIMEOUT);
    assert_int_equal(office_follow_catch_up(follow, s_collect, f), OFFICE_FOLLOW_REFUSED);
    assert_non_null(strstr(office_follow_error(follow), "unknown_command"));
    office_follow_destroy(&follow);
}

static void
test_bad_options_are_refused(void **state)
{
    (void)state;
    office_follow_t *follow = NULL;
    office_follow_options_t none = {0};
    assert_int_equal(office_follow_new(&none, &follow), -EINVAL);
    office_follow_options_t bad = {.api = "not an endpoint"};
    assert_int_equal(office_follow_new(&bad, &follow), -EINVAL);
    assert_null(follow);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge_table),
        cmocka_unit_test_setup_teardown(test_state_survives_and_rejects_garbage, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_catch_up_delivers_everything_once_in_batches, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_run_fills_gaps_and_drops_duplicates, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_public_reader_fills_gaps_by_public_seq, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(
            test_catch_up_goes_on_from_next_seq_through_answers_without_items, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stop_in_catch_up_keeps_position, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_silent_broker_times_out, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_broker_without_replay_is_a_refusal, s_setup,
                                        s_teardown),
        cmocka_unit_test(test_bad_options_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
