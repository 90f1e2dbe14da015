/*  Integration: the broker's storage fills up (a map it may not grow past). It must
    answer "storage unavailable" with a reason, ack nothing it has not stored, keep
    serving, and store again once it has room (guarantee 1 under a full disk).
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

#define S_MAX_EVENTS 40000 /* far more than the small map can hold */
#define S_RECV_MS    10000

typedef struct {
    char *dir;
    char *data;
    harness_proc_t *broker;
    char endpoint[256];
} fixture_t;

static int
s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    *state = fx;
    fx->dir = harness_tmpdir_new();
    if (!fx->dir)
        return -1;
    fx->data = harness_strf("%s/broker", fx->dir);
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    harness_proc_destroy(&fx->broker);
    if (fx->dir)
        harness_rm_rf(fx->dir);
    free(fx->dir);
    free(fx->data);
    free(fx);
    harness_autofree_all();
    return 0;
}

/* Submits event `n` and returns its ack (caller frees). */
static Dajia__Ack *
s_submit(harness_client_t *client, int n)
{
    char event_id[32], case_no[32];
    snprintf(event_id, sizeof event_id, "full-%d", n);
    snprintf(case_no, sizeof case_no, "CASE-%d", n);
    Dajia__Envelope env;
    Dajia__CaseReport report;
    harness_envelope_init(&env, &report, "msa", event_id, case_no);
    report.case_name = "a case name long enough to fill pages of the map quickly, "
                       "repeated so that each event takes a few hundred bytes of the log "
                       "and the small map fills after some hundreds of events";
    assert_int_equal(harness_client_submit(client, &env), 0);
    Dajia__Ack *ack = NULL;
    assert_int_equal(harness_client_recv_ack(client, &ack), 0);
    assert_string_equal(ack->event_id, event_id);
    return ack;
}

static void
test_storage_full_refuses_clearly_keeps_acked_and_recovers(void **state)
{
    fixture_t *fx = *state;
    const char *const small[] = {"--map-size", "64k", "--max-map-size", "256k", NULL};
    assert_int_equal(harness_broker_start(fx->data, "tcp://127.0.0.1:*", small, &fx->broker,
                                          fx->endpoint, sizeof fx->endpoint),
                     0);
    harness_client_t *client = NULL;
    assert_int_equal(harness_client_new(fx->endpoint, S_RECV_MS, &client), 0);

    /* Fill it: every ack is ACCEPTED until the first "storage unavailable". */
    uint64_t *seqs = calloc(S_MAX_EVENTS, sizeof *seqs);
    int accepted = 0, full_at = -1;
    for (int n = 0; n < S_MAX_EVENTS && full_at < 0; n++) {
        Dajia__Ack *ack = s_submit(client, n);
        if (ack->status == DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED) {
            seqs[n] = ack->log_seq;
            assert_int_equal(ack->log_seq, (uint64_t)accepted + 1);
            accepted++;
        } else {
            assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_REJECTED);
            assert_int_equal(ack->reason, DAJIA__REASON__REASON_STORAGE_UNAVAILABLE);
            assert_true(strlen(ack->reason_text) > 10);
            assert_int_equal(ack->log_seq, 0);
            full_at = n;
        }
        dajia__ack__free_unpacked(ack, NULL);
    }
    assert_true(full_at > 0);
    assert_true(accepted > 10);

    /* Still serving: it answers and counts the failure. (Whether the next event fits
       depends on pages LMDB frees meanwhile, so the test does not ask.) */
    char *stats = harness_client_stats(client);
    assert_non_null(stats);
    assert_true(harness_json_u64(stats, "storage_failures") >= 1);
    assert_true(harness_json_u64(stats, "rejected_by_reason/storage_unavailable") >= 1);
    assert_int_equal(harness_json_u64(stats, "accepted"), accepted);
    free(stats);
    harness_client_destroy(&client);
    assert_int_equal(harness_proc_stop(fx->broker), 0);
    harness_proc_destroy(&fx->broker);

    /* Everything acked is stored, at its acked seq; nothing refused is. */
    harness_record_t *records = NULL;
    size_t count = 0;
    assert_int_equal(harness_dump(fx->data, &records, &count), 0);
    assert_int_equal(count, (size_t)accepted);
    assert_int_equal(harness_check_log(records, count), 0);
    harness_records_sort(records, count);
    for (int n = 0; n < full_at; n++) {
        char id[32];
        snprintf(id, sizeof id, "full-%d", n);
        const harness_record_t *r = harness_records_find(records, count, "msa", id);
        assert_non_null(r);
        assert_int_equal(r->log_seq, seqs[n]);
    }
    char refused[32];
    snprintf(refused, sizeof refused, "full-%d", full_at);
    assert_null(harness_records_find(records, count, "msa", refused));
    free(records);

    /* Room again (no cap): the refused event is stored, the old ones are duplicates. */
    assert_int_equal(harness_broker_start(fx->data, "tcp://127.0.0.1:*", NULL, &fx->broker,
                                          fx->endpoint, sizeof fx->endpoint),
                     0);
    assert_int_equal(harness_client_new(fx->endpoint, S_RECV_MS, &client), 0);
    Dajia__Ack *ack = s_submit(client, full_at);
    assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
    assert_int_equal(ack->log_seq, (uint64_t)accepted + 1);
    dajia__ack__free_unpacked(ack, NULL);
    ack = s_submit(client, 0);
    assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_DUPLICATE);
    assert_int_equal(ack->log_seq, seqs[0]);
    dajia__ack__free_unpacked(ack, NULL);
    harness_client_destroy(&client);
    assert_int_equal(harness_proc_stop(fx->broker), 0);
    free(seqs);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_storage_full_refuses_clearly_keeps_acked_and_recovers,
                                        s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name("storage_full", tests, NULL, NULL);
}
