/*  test_notices: a notice to one unit reaches that unit, and no one else but the Office.

    A real broker with keys (`dajia-ctl keys init`) and its escalate worker; unit psb's
    agent submits progress on a major matter psb never reported. The escalate worker
    sends the Office its DQ1 escalation and psb a notice (docs/domain.md §5.11), which
    `dajia-agent notices` of psb prints, once across runs, and customs's agent does not.
    Over the api, with the certificates of each role: psb reads its notice by REPLAY,
    customs gets nothing of it when naming psb (refused) or itself (empty), a dashboard
    key is refused, the office reads it, and a public replay shows it nowhere.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define S_STR(...) ((char *)harness_autofree(harness_strf(__VA_ARGS__)))
#define S_UNITS    "customs,psb"
#define S_WAIT_MS  30000

typedef harness_fixture_t fixture_t;

static int
s_setup(void **state)
{
    if (harness_fixture_setup_keys(state, S_UNITS) != 0)
        return -1;
    fixture_t *fx = *state;
    const char *argv[] = {DAJIA_BROKER_BIN,    "--data", fx->data, "--api",
                          "tcp://127.0.0.1:*", "--keys", fx->keys, NULL};
    harness_opts_t opts = {.capture_stderr = true};
    if (harness_proc_start(argv, &opts, &fx->broker) != 0)
        return -1;
    return harness_proc_wait_ready(fx->broker, HARNESS_READY_TIMEOUT_MS, fx->api, sizeof fx->api);
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    int status = fx->broker ? harness_proc_stop(fx->broker) : 0;
    if (status != 0)
        fprintf(stderr, "the broker exited with %d; stderr:\n%s\n", status,
                harness_proc_stderr(fx->broker));
    harness_fixture_teardown(state);
    return status == 0 ? 0 : -1;
}

/* Runs dajia-agent as `unit` (its certificate) with `command` and `arg` (may be NULL). */
static void
s_agent(fixture_t *fx, const char *unit, const char *command, const char *arg,
        harness_result_t *run)
{
    const char *argv[] = {DAJIA_AGENT_BIN,
                          "--broker",
                          fx->api,
                          "--keys",
                          fx->keys,
                          "--name",
                          unit,
                          "--state",
                          S_STR("%s/agent-%s", fx->dir, unit),
                          "--timeout",
                          "20",
                          command,
                          arg,
                          NULL};
    assert_int_equal(harness_run(argv, NULL, HARNESS_RUN_TIMEOUT_MS, run), 0);
    if (run->status != 0)
        fail_msg("dajia-agent %s %s: %d: %s", unit, command, run->status, run->err);
}

/* A REPLAY over the api with the certificate `name`; returns the answer (caller frees). */
static Dajia__FeedBatch *
s_replay(fixture_t *fx, const char *name, Dajia__Audience audience, const char *unit)
{
    zcert_t *own = zcert_load(S_STR("%s/secret/%s.cert_secret", fx->keys, name));
    zcert_t *broker = zcert_load(S_STR("%s/broker.cert", fx->keys));
    assert_non_null(own);
    assert_non_null(broker);
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    assert_non_null(sock);
    zsock_set_linger(sock, 0);
    zsock_set_rcvtimeo(sock, HARNESS_RECV_TIMEOUT_MS);
    zcert_apply(own, sock);
    zsock_set_curve_serverkey(sock, zcert_public_txt(broker));
    assert_int_equal(zsock_connect(sock, "%s", fx->api), 0);
    Dajia__ReplayRequest req = DAJIA__REPLAY_REQUEST__INIT;
    req.from_seq = 1;
    req.audience = audience;
    req.unit = (char *)unit;
    uint8_t buf[256];
    size_t len = dajia__replay_request__pack(&req, buf);
    zmsg_t *msg = zmsg_new();
    zmsg_addstr(msg, "REPLAY");
    zmsg_addmem(msg, buf, len);
    assert_int_equal(zmsg_send(&msg, sock), 0);
    zmsg_t *reply = zmsg_recv(sock);
    if (!reply)
        fail_msg("no answer to a REPLAY of certificate %s", name);
    zframe_t *cmd = zmsg_first(reply), *body = zmsg_next(reply);
    assert_true(zframe_streq(cmd, "FEED"));
    Dajia__FeedBatch *batch = dajia__feed_batch__unpack(NULL, zframe_size(body), zframe_data(body));
    assert_non_null(batch);
    zmsg_destroy(&reply);
    zsock_destroy(&sock);
    zcert_destroy(&own);
    zcert_destroy(&broker);
    return batch;
}

static void
test_a_notice_reaches_its_unit_only(void **state)
{
    fixture_t *fx = *state;
    char *file = S_STR("%s/progress.jsonl", fx->dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fprintf(f, "{\"event_id\": \"prog-nope-1\", \"reporter\": \"王丽\", "
               "\"occurred_at\": \"2026-11-03T09:30:00+08:00\", \"region\": \"411502\", "
               "\"matter_progress\": {\"matter_id\": \"MM-NOPE\", \"seq\": 1, "
               "\"status\": \"in_progress\", \"narrative\": \"已召开协调会。\"}}\n");
    assert_int_equal(fclose(f), 0);
    harness_result_t run;
    s_agent(fx, "psb", "submit", file, &run);
    harness_result_free(&run);

    /* The worker answers within a moment: psb's agent prints the notice once it is in. */
    char *printed = NULL;
    for (int waited = 0; waited < S_WAIT_MS && !printed; waited += 500) {
        s_agent(fx, "psb", "notices", NULL, &run);
        if (*run.out)
            printed = S_STR("%s", run.out);
        else
            zclock_sleep(500);
        harness_result_free(&run);
    }
    if (!printed)
        fail_msg("dajia-agent notices of psb printed nothing in %d ms", S_WAIT_MS);
    assert_non_null(strstr(printed, "[DQ1]"));
    assert_non_null(strstr(printed, "prog-nope-1"));
    assert_non_null(strstr(printed, "MM-NOPE"));
    /* Chinese first, then English, and what to do */
    const char *zh = strstr(printed, "本单位报送的事件prog-nope-1");
    const char *en = strstr(printed, "Your event prog-nope-1");
    assert_non_null(zh);
    assert_non_null(en);
    assert_true(zh < en);
    assert_non_null(strstr(printed, "请补报该重大事项的报告"));
    /* once: the next run prints nothing */
    s_agent(fx, "psb", "notices", NULL, &run);
    assert_string_equal(run.out, "");
    assert_non_null(strstr(run.err, "0 new notices"));
    harness_result_free(&run);
    /* customs's agent: nothing */
    s_agent(fx, "customs", "notices", NULL, &run);
    assert_string_equal(run.out, "");
    assert_null(strstr(run.err, "prog-nope-1"));
    harness_result_free(&run);

    /* Over the api, each role. */
    Dajia__FeedBatch *b = s_replay(fx, "psb", DAJIA__AUDIENCE__AUDIENCE_UNIT, "");
    assert_int_equal(b->reason, DAJIA__REASON__REASON_NONE);
    assert_int_equal(b->n_items, 1);
    assert_int_equal(b->items[0]->unit_seq, 1);
    assert_int_equal(b->items[0]->feed_seq, 0);
    assert_string_equal(b->items[0]->notice->event_id, "prog-nope-1");
    dajia__feed_batch__free_unpacked(b, NULL);
    b = s_replay(fx, "customs", DAJIA__AUDIENCE__AUDIENCE_UNIT, "psb");
    assert_int_equal(b->reason, DAJIA__REASON__REASON_FORBIDDEN);
    assert_int_equal(b->n_items, 0);
    dajia__feed_batch__free_unpacked(b, NULL);
    b = s_replay(fx, "customs", DAJIA__AUDIENCE__AUDIENCE_UNIT, "");
    assert_int_equal(b->reason, DAJIA__REASON__REASON_NONE);
    assert_int_equal(b->n_items, 0);
    assert_int_equal(b->last_feed_seq, 0);
    dajia__feed_batch__free_unpacked(b, NULL);
    b = s_replay(fx, "dashboard", DAJIA__AUDIENCE__AUDIENCE_UNIT, "psb");
    assert_int_equal(b->reason, DAJIA__REASON__REASON_FORBIDDEN);
    dajia__feed_batch__free_unpacked(b, NULL);
    /* the public feed: no notice, and its numbers count nothing but public items */
    b = s_replay(fx, "dashboard", DAJIA__AUDIENCE__AUDIENCE_PUBLIC, NULL);
    assert_int_equal(b->reason, DAJIA__REASON__REASON_NONE);
    for (size_t i = 0; i < b->n_items; i++) {
        assert_int_equal(b->items[i]->audience, DAJIA__AUDIENCE__AUDIENCE_PUBLIC);
        assert_int_equal(b->items[i]->feed_seq, 0);
        assert_int_equal(b->items[i]->public_seq, i + 1);
    }
    assert_int_equal(b->last_feed_seq, b->n_items);
    dajia__feed_batch__free_unpacked(b, NULL);
    /* the office: psb's notice by naming psb, and both items in the whole feed */
    b = s_replay(fx, "office", DAJIA__AUDIENCE__AUDIENCE_UNIT, "psb");
    assert_int_equal(b->reason, DAJIA__REASON__REASON_NONE);
    assert_int_equal(b->n_items, 1);
    dajia__feed_batch__free_unpacked(b, NULL);
    b = s_replay(fx, "office", DAJIA__AUDIENCE__AUDIENCE_OFFICE, NULL);
    size_t notices = 0, dq1 = 0;
    for (size_t i = 0; i < b->n_items; i++) {
        notices += b->items[i]->item_case == DAJIA__FEED_ITEM__ITEM_NOTICE;
        dq1 += b->items[i]->item_case == DAJIA__FEED_ITEM__ITEM_ESCALATION &&
               strcmp(b->items[i]->escalation->rule, "DQ1") == 0;
    }
    assert_int_equal(notices, 1);
    assert_int_equal(dq1, 1);
    dajia__feed_batch__free_unpacked(b, NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_notice_reaches_its_unit_only, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
