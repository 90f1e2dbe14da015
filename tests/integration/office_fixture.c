/*  office_fixture: one broker set-up for the dajia-office tests, so that the catch-up
    test and the kill test start the broker, build dajia-office's command line and
    submit escalating cases the same way. */
#include "office_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#define S_MAX_ARGS 32

/* The office feed's endpoint in the fixture's directory; freed by harness_autofree_all(). */
static const char *
s_office(const office_fixture_t *fx)
{
    return harness_autofree(harness_strf("ipc://%s/office.ipc", fx->dir));
}

int
office_fixture_start(office_fixture_t *fx)
{
    if (harness_fixture_init(fx) != 0)
        return -1;
    const char *extra[] = {"--office", s_office(fx), "--public",
                           harness_autofree(harness_strf("ipc://%s/public.ipc", fx->dir)), NULL};
    return harness_fixture_start_broker(fx, extra) == 0 ? 0 : -1;
}

void
office_fixture_stop(office_fixture_t *fx)
{
    if (fx->broker)
        assert_int_equal(harness_proc_stop(fx->broker), 0);
    harness_fixture_clear(fx);
    harness_autofree_all();
}

const char **
office_fixture_argv(const office_fixture_t *fx, const char *const *before, ...)
{
    const char **argv = harness_autofree(calloc(S_MAX_ARGS + 1, sizeof *argv));
    assert_non_null(argv);
    size_t n = 0;
    for (; before && before[n]; n++)
        argv[n] = before[n];
    const char *state = harness_autofree(harness_strf("%s/office", fx->dir));
    const char *ours[] = {DAJIA_OFFICE_BIN, "--broker", fx->api, "--office",
                          s_office(fx),     "--state",  state};
    for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
        argv[n++] = ours[i];
    va_list ap;
    va_start(ap, before);
    for (const char *arg = va_arg(ap, const char *); arg; arg = va_arg(ap, const char *)) {
        assert_true(n < S_MAX_ARGS);
        argv[n++] = arg;
    }
    va_end(ap);
    return argv;
}

size_t
office_fixture_escalations(harness_client_t *client, uint64_t *seqs,
                           char (*case_nos)[OFFICE_FIXTURE_CASE_NO], size_t max)
{
    size_t n = 0;
    uint64_t from = 1;
    for (;;) {
        Dajia__ReplayRequest req = DAJIA__REPLAY_REQUEST__INIT;
        req.from_seq = from;
        req.audience = DAJIA__AUDIENCE__AUDIENCE_OFFICE;
        uint8_t buf[64];
        size_t len = dajia__replay_request__pack(&req, buf);
        const void *data[] = {"REPLAY", buf};
        size_t lens[] = {6, len};
        assert_int_equal(harness_client_send(client, 2, data, lens), 0);
        zmsg_t *reply = NULL;
        assert_int_equal(harness_client_recv(client, &reply), 0);
        zframe_t *cmd = zmsg_first(reply);
        zframe_t *body = zmsg_next(reply);
        if (zframe_streq(cmd, "ACK")) {
            Dajia__Ack *ack = dajia__ack__unpack(NULL, zframe_size(body), zframe_data(body));
            char *why = harness_autofree(
                harness_strf("%s", ack && ack->reason_text ? ack->reason_text : ""));
            dajia__ack__free_unpacked(ack, NULL);
            zmsg_destroy(&reply);
            fail_msg("REPLAY was answered with an ACK, not a FEED: %s", why);
        }
        assert_true(zframe_streq(cmd, "FEED"));
        Dajia__FeedBatch *batch =
            dajia__feed_batch__unpack(NULL, zframe_size(body), zframe_data(body));
        zmsg_destroy(&reply);
        assert_non_null(batch);
        for (size_t i = 0; i < batch->n_items; i++) {
            const Dajia__FeedItem *item = batch->items[i];
            from = item->feed_seq + 1;
            if (item->item_case != DAJIA__FEED_ITEM__ITEM_ESCALATION)
                continue;
            assert_true(n < max);
            seqs[n] = item->feed_seq;
            if (case_nos)
                snprintf(case_nos[n], OFFICE_FIXTURE_CASE_NO, "%s", item->escalation->case_no);
            n++;
        }
        bool more = batch->more && batch->n_items > 0;
        dajia__feed_batch__free_unpacked(batch, NULL);
        if (!more)
            return n;
    }
}

void
office_fixture_case(Dajia__Envelope *env, Dajia__CaseReport *report, const char *event_id,
                    const char *case_no)
{
    harness_envelope_init(env, report, "customs", event_id, case_no);
    report->case_value_fen = OFFICE_FIXTURE_VALUE_FEN;
}
