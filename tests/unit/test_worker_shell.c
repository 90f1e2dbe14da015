/*  test_worker_shell: the shell around a fake core, against a fake broker ROUTER.

    The fake core counts how often each log_seq is applied (in memory, so a second
    application shows even when the state would hide it) and emits one escalation per
    event whose source_log_seq is the event's seq; a tick at FAKE_TICK_FIRE emits one
    escalation (every time: the fake keeps no timers, so a tick number shows whether the
    shell ticked the core again or sent stored outputs). The test plays the broker frame
    by frame.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "test_util.h"
#include "worker_shell.h"

#define FAKE_MAX_SEQ   64
#define FAKE_TICK_FIRE 1800000000000LL
#define RECV_MS        10000

static int s_applied[FAKE_MAX_SEQ];
static int64_t s_submitted[FAKE_MAX_SEQ]; /* what apply read with worker_event_submitted_at */
static int s_ticks_fired;
/* Every call of the fake core in order: "apply 3", "tick 1796000000001". */
#define FAKE_MAX_CALLS 64
static char s_calls[FAKE_MAX_CALLS][40];
static size_t s_call_count;

static void
s_call_log(const char *what, int64_t value)
{
    if (s_call_count < FAKE_MAX_CALLS)
        snprintf(s_calls[s_call_count++], sizeof s_calls[0], "%s %" PRId64, what, value);
}

/* ================================================================ fake core */

static int
s_fake_create(const worker_settings_t *settings, void **core)
{
    (void)settings;
    *core = &s_applied;
    return 0;
}

static int
s_fake_apply(void *core, store_txn_t *txn, const worker_event_t *event, worker_outputs_t *out)
{
    (void)core;
    if (event->log_seq < FAKE_MAX_SEQ) {
        s_applied[event->log_seq]++;
        s_submitted[event->log_seq] = worker_event_submitted_at(event);
    }
    s_call_log("apply", (int64_t)event->log_seq);
    unsigned char key[8];
    store_u64_to_key(event->log_seq, key);
    int rc = store_put(txn, "fake.seen", key, sizeof key, event->env->event_id,
                       strlen(event->env->event_id), 0);
    if (rc)
        return rc;
    char id[32];
    snprintf(id, sizeof id, "E1:%s", event->env->event_id);
    Dajia__Escalation esc = DAJIA__ESCALATION__INIT;
    esc.escalation_id = id;
    esc.rule = "E1";
    esc.source_log_seq = event->log_seq;
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.audience = DAJIA__AUDIENCE__AUDIENCE_OFFICE;
    item.source_log_seq = event->log_seq;
    item.item_case = DAJIA__FEED_ITEM__ITEM_ESCALATION;
    item.escalation = &esc;
    return worker_outputs_add(out, &item);
}

static int
s_fake_tick(void *core, store_txn_t *txn, int64_t now_ms, worker_outputs_t *out)
{
    (void)core;
    (void)txn;
    s_call_log("tick", now_ms);
    if (now_ms != FAKE_TICK_FIRE)
        return 0;
    s_ticks_fired++;
    Dajia__Escalation esc = DAJIA__ESCALATION__INIT;
    esc.escalation_id = "OVERDUE-7D:m1";
    esc.rule = "OVERDUE-7D";
    esc.escalated_at = now_ms;
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.audience = DAJIA__AUDIENCE__AUDIENCE_OFFICE;
    item.item_case = DAJIA__FEED_ITEM__ITEM_ESCALATION;
    item.escalation = &esc;
    return worker_outputs_add(out, &item);
}

static void
s_fake_destroy(void **core)
{
    *core = NULL;
}

static const worker_service_t s_fake = {.name = "fake",
                                        .create = s_fake_create,
                                        .apply = s_fake_apply,
                                        .tick = s_fake_tick,
                                        .destroy = s_fake_destroy};

/* The same core, ticked before each event at the event's submission time (as the
   circulate worker is) rather than at worker_event_time. */
static const worker_service_t s_fake_submitted = {.name = "fake",
                                                  .create = s_fake_create,
                                                  .apply = s_fake_apply,
                                                  .tick = s_fake_tick,
                                                  .destroy = s_fake_destroy,
                                                  .event_time = worker_event_submitted_at};

/* ================================================================ fixture */

typedef struct {
    char dir[TEST_UTIL_DIR_MAX];
    char endpoint[64];
    zsock_t *router;
    worker_shell_t *shell;
    zactor_t *actor;
    zframe_t *peer;                  /* the shell's routing id, from its READY */
    const worker_service_t *service; /* NULL: s_fake */
} fixture_t;

static int s_counter;

/* Starts a shell on the fixture's directory; returns its READY's last applied seq. */
static uint64_t
s_start_shell(fixture_t *f)
{
    char err[256] = "";
    worker_shell_options_t opts = {.service = f->service ? f->service : &s_fake,
                                   .broker = f->endpoint,
                                   .state_dir = f->dir,
                                   .heartbeat_ms = 200};
    int rc = worker_shell_new(&opts, &f->shell, err, sizeof err);
    if (rc)
        fail_msg("worker_shell_new: %s", err);
    f->actor = zactor_new(worker_shell_actor, f->shell);
    assert_non_null(f->actor);
    zmsg_t *msg = zmsg_recv(f->router);
    assert_non_null(msg);
    zframe_destroy(&f->peer);
    f->peer = zmsg_pop(msg);
    char *command = zmsg_popstr(msg);
    char *service = zmsg_popstr(msg);
    zframe_t *applied = zmsg_pop(msg);
    assert_string_equal(command, "READY");
    assert_string_equal(service, "fake");
    assert_int_equal(zframe_size(applied), 8);
    uint64_t last = store_key_to_u64(zframe_data(applied));
    free(command);
    free(service);
    zframe_destroy(&applied);
    zmsg_destroy(&msg);
    return last;
}

static void
s_stop_shell(fixture_t *f)
{
    zactor_destroy(&f->actor);
    worker_shell_destroy(&f->shell);
}

static int
setup(void **state)
{
    memset(s_applied, 0, sizeof s_applied);
    memset(s_submitted, 0, sizeof s_submitted);
    s_ticks_fired = 0;
    s_call_count = 0;
    fixture_t *f = calloc(1, sizeof *f);
    if (test_util_dir_make(f->dir, sizeof f->dir, "shell") != 0)
        return -1;
    snprintf(f->endpoint, sizeof f->endpoint, "inproc://test-shell-%d", ++s_counter);
    f->router = zsock_new_router(f->endpoint);
    if (!f->router)
        return -1;
    zsock_set_rcvtimeo(f->router, RECV_MS);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    s_stop_shell(f);
    zframe_destroy(&f->peer);
    zsock_destroy(&f->router);
    int rc = test_util_dir_remove(f->dir);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* ================================================================ the fake broker */

static void
s_send_to_shell(fixture_t *f, const char *command, const void *body, size_t len)
{
    zmsg_t *msg = zmsg_new();
    zmsg_append(msg, &(zframe_t *){zframe_dup(f->peer)});
    zmsg_addstr(msg, command);
    if (body)
        zmsg_addmem(msg, body, len);
    assert_int_equal(zmsg_send(&msg, f->router), 0);
}

static void
s_send_u64(fixture_t *f, const char *command, uint64_t value)
{
    unsigned char buf[8];
    store_u64_to_key(value, buf);
    s_send_to_shell(f, command, buf, sizeof buf);
}

/* Sends the EVENT of log record `seq`: occurred at `occurred_at` (0: unset), received at
   `received_at`, with the submission time the broker trusted (0: none). */
static void
s_send_record(fixture_t *f, uint64_t seq, int64_t occurred_at, int64_t received_at,
              int64_t submitted_at)
{
    char id[32];
    snprintf(id, sizeof id, "ev-%" PRIu64, seq);
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = id;
    env.unit = "psb";
    env.occurred_at = occurred_at;
    uint8_t envbuf[256];
    size_t envlen = dajia__envelope__pack(&env, envbuf);
    Dajia__LogRecord rec = DAJIA__LOG_RECORD__INIT;
    rec.log_seq = seq;
    rec.received_at = received_at;
    rec.submitted_at = submitted_at;
    rec.envelope.data = envbuf;
    rec.envelope.len = envlen;
    uint8_t buf[512];
    size_t len = dajia__log_record__pack(&rec, buf);
    s_send_to_shell(f, "EVENT", buf, len);
}

static void
s_send_event_at(fixture_t *f, uint64_t seq, int64_t occurred_at, int64_t received_at)
{
    s_send_record(f, seq, occurred_at, received_at, 0);
}

static void
s_send_event_submitted(fixture_t *f, uint64_t seq, int64_t submitted_at)
{
    s_send_record(f, seq, 0, 1796000000000LL + (int64_t)seq, submitted_at);
}

static void
s_send_event(fixture_t *f, uint64_t seq)
{
    s_send_event_submitted(f, seq, 0);
}

/* Sends ["HEARTBEAT", cursor, last tick stored]. */
static void
s_send_heartbeat(fixture_t *f, uint64_t cursor, uint64_t tick)
{
    unsigned char c[8], t[8];
    store_u64_to_key(cursor, c);
    store_u64_to_key(tick, t);
    zmsg_t *msg = zmsg_new();
    zmsg_append(msg, &(zframe_t *){zframe_dup(f->peer)});
    zmsg_addstr(msg, "HEARTBEAT");
    zmsg_addmem(msg, c, sizeof c);
    zmsg_addmem(msg, t, sizeof t);
    assert_int_equal(zmsg_send(&msg, f->router), 0);
}

/* Receives the next message that is not a HEARTBEAT; returns it without the routing id. */
static zmsg_t *
s_recv(fixture_t *f)
{
    for (;;) {
        zmsg_t *msg = zmsg_recv(f->router);
        assert_non_null(msg);
        zframe_t *peer = zmsg_pop(msg);
        zframe_destroy(&peer);
        if (!zframe_streq(zmsg_first(msg), "HEARTBEAT"))
            return msg;
        zmsg_destroy(&msg);
    }
}

/* Expects ["DONE", seq, outputs...]; returns the number of outputs and checks that each
   is an escalation from `seq`. */
static size_t
s_expect_done(fixture_t *f, uint64_t seq)
{
    zmsg_t *msg = s_recv(f);
    assert_true(zframe_streq(zmsg_first(msg), "DONE"));
    zframe_t *seq_frame = zmsg_next(msg);
    assert_int_equal(zframe_size(seq_frame), 8);
    assert_int_equal(store_key_to_u64(zframe_data(seq_frame)), seq);
    size_t n = 0;
    for (zframe_t *out = zmsg_next(msg); out; out = zmsg_next(msg), n++) {
        Dajia__FeedItem *item = dajia__feed_item__unpack(NULL, zframe_size(out), zframe_data(out));
        assert_non_null(item);
        assert_int_equal(item->item_case, DAJIA__FEED_ITEM__ITEM_ESCALATION);
        assert_int_equal(item->source_log_seq, seq);
        dajia__feed_item__free_unpacked(item, NULL);
    }
    zmsg_destroy(&msg);
    return n;
}

/* Expects ["TICKED", tick_no, outputs...] and checks each output is the fake's overdue
   escalation; returns the number of outputs. */
static size_t
s_expect_ticked(fixture_t *f, uint64_t tick_no)
{
    zmsg_t *msg = s_recv(f);
    assert_true(zframe_streq(zmsg_first(msg), "TICKED"));
    zframe_t *no = zmsg_next(msg);
    assert_non_null(no);
    assert_int_equal(zframe_size(no), 8);
    assert_int_equal(store_key_to_u64(zframe_data(no)), tick_no);
    size_t n = 0;
    for (zframe_t *out = zmsg_next(msg); out; out = zmsg_next(msg), n++) {
        Dajia__FeedItem *item = dajia__feed_item__unpack(NULL, zframe_size(out), zframe_data(out));
        assert_non_null(item);
        assert_int_equal(item->item_case, DAJIA__FEED_ITEM__ITEM_ESCALATION);
        assert_string_equal(item->escalation->rule, "OVERDUE-7D");
        assert_int_equal(item->escalation->escalated_at, FAKE_TICK_FIRE);
        dajia__feed_item__free_unpacked(item, NULL);
    }
    zmsg_destroy(&msg);
    return n;
}

/* Waits for the shell to register again (it does after three silent heartbeats of the
   broker, or when started); the new routing id replaces the old. */
static void
s_expect_ready(fixture_t *f)
{
    for (;;) {
        zmsg_t *msg = zmsg_recv(f->router);
        assert_non_null(msg);
        zframe_t *peer = zmsg_pop(msg);
        if (zframe_streq(zmsg_first(msg), "READY")) {
            zframe_destroy(&f->peer);
            f->peer = peer;
            zmsg_destroy(&msg);
            return;
        }
        assert_true(zframe_streq(zmsg_first(msg), "HEARTBEAT"));
        zframe_destroy(&peer);
        zmsg_destroy(&msg);
    }
}

/* ================================================================ tests */

/* A broker that does not know the connection answers its HEARTBEAT with REGISTER: the
   shell sends READY at once, on the same connection, not after three silent heartbeats
   (heartbeat_ms 200 here: well under 600 ms), and a burst of REGISTERs costs one READY. */
static void
test_shell_register_makes_it_ready_again_at_once(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(s_start_shell(f), 0);
    s_send_heartbeat(f, 0, 0); /* registered */
    zclock_sleep(250);         /* one heartbeat interval since the READY */
    int64_t asked = zclock_mono();
    s_send_to_shell(f, "REGISTER", NULL, 0);
    s_send_to_shell(f, "REGISTER", NULL, 0);
    zframe_t *before = zframe_dup(f->peer);
    s_expect_ready(f);
    int64_t took = zclock_mono() - asked;
    assert_true(zframe_eq(before, f->peer)); /* the same connection */
    zframe_destroy(&before);
    if (took >= 3 * 200)
        fail_msg("READY came %" PRId64 " ms after REGISTER: no faster than the liveness timeout",
                 took);
    /* The second REGISTER made no second READY: only heartbeats follow, then events
       are answered as before. */
    s_send_heartbeat(f, 0, 0);
    s_send_event(f, 1);
    assert_int_equal(s_expect_done(f, 1), 1);
}

static void
test_shell_events_answered_in_order_with_outputs(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(s_start_shell(f), 0);
    for (uint64_t seq = 1; seq <= 3; seq++)
        s_send_event(f, seq);
    for (uint64_t seq = 1; seq <= 3; seq++)
        assert_int_equal(s_expect_done(f, seq), 1);
    assert_int_equal(s_applied[1] + s_applied[2] + s_applied[3], 3);
}

/* A core reads when the unit first submitted an event: the time the broker trusted
   (the Office's import of history), else the broker's receipt time. */
static void
test_shell_event_carries_the_submission_time(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(s_start_shell(f), 0);
    s_send_event(f, 1);
    s_send_event_submitted(f, 2, 1735689600000LL); /* 2025-01-01T00:00:00Z */
    assert_int_equal(s_expect_done(f, 1), 1);
    assert_int_equal(s_expect_done(f, 2), 1);
    assert_int_equal(s_submitted[1], 1796000000000LL + 1); /* received_at */
    assert_int_equal(s_submitted[2], 1735689600000LL);
}

static void
test_shell_redelivered_event_applied_once_and_outputs_resent(void **state)
{
    fixture_t *f = *state;
    s_start_shell(f);
    s_send_event(f, 1);
    s_send_event(f, 2);
    assert_int_equal(s_expect_done(f, 1), 1);
    assert_int_equal(s_expect_done(f, 2), 1);
    /* the broker lost the DONE of 2 and delivers it again */
    s_send_event(f, 2);
    assert_int_equal(s_expect_done(f, 2), 1); /* the same escalation, from storage */
    assert_int_equal(s_applied[2], 1);
    s_send_event(f, 3);
    assert_int_equal(s_expect_done(f, 3), 1);
    assert_int_equal(s_applied[3], 1);
}

static void
test_shell_last_applied_survives_reopen(void **state)
{
    fixture_t *f = *state;
    s_start_shell(f);
    for (uint64_t seq = 1; seq <= 4; seq++)
        s_send_event(f, seq);
    for (uint64_t seq = 1; seq <= 4; seq++)
        s_expect_done(f, seq);
    s_stop_shell(f);
    /* a new process on the same state says so in its READY and skips 1..4 */
    assert_int_equal(s_start_shell(f), 4);
    assert_int_equal(worker_shell_last_applied(f->shell), 4);
    s_send_event(f, 4);
    assert_int_equal(s_expect_done(f, 4), 1); /* kept: the broker never confirmed it */
    s_send_event(f, 5);
    assert_int_equal(s_expect_done(f, 5), 1);
    assert_int_equal(s_applied[4], 1);
    assert_int_equal(s_applied[5], 1);
}

static void
test_shell_outputs_dropped_once_broker_confirms(void **state)
{
    fixture_t *f = *state;
    s_start_shell(f);
    s_send_event(f, 1);
    s_send_event(f, 2);
    s_expect_done(f, 1);
    s_expect_done(f, 2);
    s_send_u64(f, "HEARTBEAT", 1); /* the broker stored the DONE of 1 */
    s_send_event(f, 1);
    assert_int_equal(s_expect_done(f, 1), 0); /* pruned: nothing to send again */
    s_send_event(f, 2);
    assert_int_equal(s_expect_done(f, 2), 1); /* not confirmed yet: still kept */
    assert_int_equal(s_applied[1], 1);
}

static void
test_shell_tick_outputs_sent_as_ticked(void **state)
{
    fixture_t *f = *state;
    s_start_shell(f);
    s_send_u64(f, "TICK", FAKE_TICK_FIRE - 1000); /* nothing due */
    s_send_u64(f, "TICK", FAKE_TICK_FIRE);
    assert_int_equal(s_expect_ticked(f, 1), 1); /* the first tick with outputs: 1 */
    assert_int_equal(s_ticks_fired, 1);
}

static void
test_shell_lost_tick_outputs_resent_after_reregistration(void **state)
{
    fixture_t *f = *state;
    s_start_shell(f);
    s_send_heartbeat(f, 0, 0); /* registered; no tick stored */
    s_send_u64(f, "TICK", FAKE_TICK_FIRE);
    assert_int_equal(s_expect_ticked(f, 1), 1);
    /* The broker "dies" before storing it: it says nothing more, so after three missed
       heartbeats the shell registers again. */
    s_expect_ready(f);
    s_send_heartbeat(f, 0, 0);                  /* the new broker has no tick stored */
    assert_int_equal(s_expect_ticked(f, 1), 1); /* the same outputs, the same number */
    assert_int_equal(s_ticks_fired, 1);         /* from storage, not a second tick */
    /* Confirmed: pruned, so neither a new registration nor a new process sends it again;
       the next tick takes the next number. */
    s_send_heartbeat(f, 0, 1);
    s_send_event(f, 1); /* its answer shows the heartbeat was handled */
    assert_int_equal(s_expect_done(f, 1), 1);
    s_stop_shell(f);
    s_start_shell(f);
    s_send_heartbeat(f, 0, 0);
    s_send_u64(f, "TICK", FAKE_TICK_FIRE);
    assert_int_equal(s_expect_ticked(f, 2), 1); /* not tick 1 again first */
    assert_int_equal(s_ticks_fired, 2);
}

static void
test_shell_unconfirmed_tick_resent_after_a_heartbeat(void **state)
{
    fixture_t *f = *state;
    s_start_shell(f);
    s_send_heartbeat(f, 0, 0);
    s_send_u64(f, "TICK", FAKE_TICK_FIRE);
    assert_int_equal(s_expect_ticked(f, 1), 1);
    s_send_heartbeat(f, 0, 0); /* may have crossed the TICKED: nothing sent again */
    s_send_heartbeat(f, 0, 0); /* a whole heartbeat later still missing: lost */
    assert_int_equal(s_expect_ticked(f, 1), 1);
    s_send_heartbeat(f, 0, 1); /* stored: pruned */
    s_send_heartbeat(f, 0, 0); /* (a confirmation never goes back) */
    s_send_u64(f, "TICK", FAKE_TICK_FIRE);
    assert_int_equal(s_expect_ticked(f, 2), 1);
    assert_int_equal(s_ticks_fired, 2);
}

static void
test_shell_tick_numbers_continue_past_broker_ticks(void **state)
{
    fixture_t *f = *state;
    s_start_shell(f);
    /* a fresh state, but the broker stored ticks up to 7 (from another worker): the
       first tick with outputs is 8, not 1, which the broker would drop as stored */
    s_send_heartbeat(f, 0, 7);
    s_send_u64(f, "TICK", FAKE_TICK_FIRE);
    assert_int_equal(s_expect_ticked(f, 8), 1);
}

/* The tick clock (worker_core.h): before an event whose time is past the clock the core
   is ticked at that time, in the event's transaction; an event's time is occurred_at
   but never after received_at; no tick after an event at its receipt time; a TICK never
   moves the clock back; the clock survives a restart. */
static void
test_shell_ticks_at_event_time_before_each_event(void **state)
{
    fixture_t *f = *state;
    const int64_t t = 1796000000000LL;
    s_start_shell(f);
    s_send_u64(f, "TICK", (uint64_t)(t - 1000)); /* the broker's clock */
    s_send_event_at(f, 1, t, t + 5000);          /* occurred after the clock */
    s_send_event_at(f, 2, t - 3000, t + 6000);   /* occurred before it: no tick */
    s_send_event_at(f, 3, t + 9000, t + 7000);   /* "occurred" after its receipt */
    s_send_event_at(f, 4, 0, t + 8000);          /* no occurred_at: its receipt */
    for (uint64_t seq = 1; seq <= 4; seq++)
        assert_int_equal(s_expect_done(f, seq), 1);
    s_send_u64(f, "TICK", (uint64_t)(t - 60000)); /* behind: ticks at the clock */
    s_send_event_at(f, 5, t + 8000, t + 9000);    /* at the clock: no tick */
    assert_int_equal(s_expect_done(f, 5), 1);
    const char *expected[] = {
        "tick 1795999999000",
        "tick 1796000000000",
        "apply 1",
        "apply 2",
        "tick 1796000007000",
        "apply 3",
        "tick 1796000008000",
        "apply 4",
        "tick 1796000008000",
        "apply 5",
    };
    size_t n = sizeof expected / sizeof expected[0];
    for (size_t i = 0; i < s_call_count && i < n; i++)
        if (strcmp(s_calls[i], expected[i]) != 0)
            fail_msg("call %zu: \"%s\", expected \"%s\"", i, s_calls[i], expected[i]);
    assert_int_equal(s_call_count, n);

    /* A new process resumes the clock stored with the last events. */
    s_stop_shell(f);
    s_call_count = 0;
    s_start_shell(f);
    s_send_u64(f, "TICK", (uint64_t)(t - 60000));
    s_send_event_at(f, 6, t - 60000, t + 10000);
    assert_int_equal(s_expect_done(f, 6), 1);
    assert_int_equal(s_call_count, 2);
    assert_string_equal(s_calls[0], "tick 1796000008000");
    assert_string_equal(s_calls[1], "apply 6");
}

/* A service that names its own event time (worker_service_t.event_time) is ticked at
   it: here the submission time, also when the event is dated after it (an import whose
   unit's clock ran ahead) or before it; never back in time. */
static void
test_shell_ticks_at_the_services_event_time(void **state)
{
    fixture_t *f = *state;
    f->service = &s_fake_submitted;
    const int64_t t = 1796000000000LL;
    s_start_shell(f);
    s_send_record(f, 1, t + 5000, t + 90000, t + 2000); /* dated after its submission */
    s_send_record(f, 2, t - 9000, t + 91000, t + 4000); /* dated before it */
    s_send_record(f, 3, t + 9000, t + 92000, t + 3000); /* submitted before the clock */
    s_send_event_at(f, 4, t + 9000, t + 93000);         /* no submission time: received */
    for (uint64_t seq = 1; seq <= 4; seq++)
        assert_int_equal(s_expect_done(f, seq), 1);
    const char *expected[] = {
        "tick 1796000002000", "apply 1", "tick 1796000004000", "apply 2", "apply 3",
        "tick 1796000093000", "apply 4",
    };
    size_t n = sizeof expected / sizeof expected[0];
    for (size_t i = 0; i < s_call_count && i < n; i++)
        if (strcmp(s_calls[i], expected[i]) != 0)
            fail_msg("call %zu: \"%s\", expected \"%s\"", i, s_calls[i], expected[i]);
    assert_int_equal(s_call_count, n);
}

static void
test_shell_bad_record_skipped_and_answered(void **state)
{
    fixture_t *f = *state;
    s_start_shell(f);
    /* a LogRecord whose envelope bytes do not decode: answered, never applied */
    Dajia__LogRecord rec = DAJIA__LOG_RECORD__INIT;
    rec.log_seq = 1;
    uint8_t junk[] = {0xff, 0xff, 0xff};
    rec.envelope.data = junk;
    rec.envelope.len = sizeof junk;
    uint8_t buf[64];
    size_t len = dajia__log_record__pack(&rec, buf);
    s_send_to_shell(f, "EVENT", buf, len);
    s_send_event(f, 2);
    assert_int_equal(s_expect_done(f, 1), 0);
    assert_int_equal(s_expect_done(f, 2), 1);
    assert_int_equal(s_applied[1], 0);
}

int
main(void)
{
    zsys_init();
    zsys_set_logstream(stderr);
    zsys_set_logsystem(false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_shell_register_makes_it_ready_again_at_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shell_event_carries_the_submission_time, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shell_events_answered_in_order_with_outputs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_shell_redelivered_event_applied_once_and_outputs_resent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shell_last_applied_survives_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shell_outputs_dropped_once_broker_confirms, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shell_tick_outputs_sent_as_ticked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shell_ticks_at_event_time_before_each_event, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shell_ticks_at_the_services_event_time, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shell_bad_record_skipped_and_answered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shell_lost_tick_outputs_resent_after_reregistration,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_shell_unconfirmed_tick_resent_after_a_heartbeat, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shell_tick_numbers_continue_past_broker_ticks, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
