/*  Integration: bad input gets a clear error and changes nothing (guarantee 7).

    A raw DEALER sends the broker every kind of wrong request, one at a time: frames that
    are not a request, envelopes that do not decode, envelopes that decode but break a
    rule. Each must come back REJECTED with its reason code and a sentence; afterwards
    the broker must still store a valid event, count the rejections by reason in STATS,
    and hold nothing in its log but that one valid event.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dajia_codec.h"
#include "harness.h"

/* A string that lives until the teardown. */
#define S_STR(...) ((char *)harness_autofree(harness_strf(__VA_ARGS__)))

#define S_RANDOM_LEN      200
#define S_OVER_CAP_LEN    70000     /* over the 65536 default cap, under libzmq's limit */
#define S_OVER_WIRE_LEN   (2 << 20) /* over the broker's wire cap: libzmq drops the peer */
#define S_LONG_TEXT_LEN   20000     /* longer than any text limit, under the size cap */
#define S_MAX_CASES       32

typedef struct {
    char *dir;
    char *data;
    harness_proc_t *broker;
    harness_client_t *client;
    uint8_t *packed;             /* the last s_pack() */
    uint8_t *big;                /* large frames */
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
    if (harness_broker_start(fx->data, "tcp://127.0.0.1:*", NULL, &fx->broker, fx->endpoint,
                             sizeof fx->endpoint)
        != 0)
        return -1;
    return harness_client_new(fx->endpoint, HARNESS_RECV_TIMEOUT_MS, &fx->client);
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    harness_client_destroy(&fx->client);
    harness_proc_destroy(&fx->broker);
    free(fx->packed);
    free(fx->big);
    if (fx->dir)
        harness_rm_rf(fx->dir);
    free(fx->dir);
    free(fx->data);
    free(fx);
    harness_autofree_all();
    return 0;
}

/* Packs `env` into the fixture's buffer (valid until the next call; the teardown frees
   it, so a failed assertion leaks nothing). */
static uint8_t *
s_pack(fixture_t *fx, const Dajia__Envelope *env, size_t *len)
{
    *len = dajia__envelope__get_packed_size(env);
    free(fx->packed);
    fx->packed = malloc(*len ? *len : 1);
    assert_non_null(fx->packed);
    dajia__envelope__pack(env, fx->packed);
    return fx->packed;
}

/* What the test expects for one bad request, and what it got. */
typedef struct {
    const char *what;
    Dajia__Reason got;
} s_outcome_t;

/* Sends one request of `count` frames and checks that it is REJECTED with `reason` (or
   `alternative`, when the contract allows two; pass `reason` twice otherwise) and a
   sentence. Returns the reason the broker gave. */
static Dajia__Reason
s_expect_rejected_id(fixture_t *fx, const char *what, size_t count, const void *const *frames,
                     const size_t *lens, Dajia__Reason reason, Dajia__Reason alternative,
                     const char *event_id)
{
    assert_int_equal(harness_client_send(fx->client, count, frames, lens), 0);
    Dajia__Ack *ack = NULL;
    int rc = harness_client_recv_ack(fx->client, &ack);
    if (rc != 0)
        fail_msg("%s: no ACK came back (%d)", what, rc);
    /* Copy what is checked and free the ack first: a failed check must not leak. */
    Dajia__AckStatus status = ack->status;
    Dajia__Reason got = ack->reason;
    char text[DAJIA_REASON_TEXT_MAX], id[DAJIA_MAX_ID * 2];
    snprintf(text, sizeof text, "%s", ack->reason_text ? ack->reason_text : "");
    snprintf(id, sizeof id, "%s", ack->event_id ? ack->event_id : "");
    dajia__ack__free_unpacked(ack, NULL);

    if (status != DAJIA__ACK_STATUS__ACK_STATUS_REJECTED || (got != reason && got != alternative))
        fail_msg("%s: expected REJECTED/%s, got status %d reason %s (\"%s\")", what,
                 dajia_reason_name(reason), status, dajia_reason_name(got), text);
    if (!*text)
        fail_msg("%s: the rejection carries no reason_text", what);
    /* An envelope that decoded is answered with its event_id, so that a client with many
       events in flight can tell which one was refused. */
    if (event_id && strcmp(id, event_id) != 0)
        fail_msg("%s: the rejection names event_id \"%s\", expected \"%s\"", what, id,
                 event_id);
    print_message("%-28s -> %-16s %s\n", what, dajia_reason_name(got), text);
    return got;
}

static Dajia__Reason
s_expect_rejected(fixture_t *fx, const char *what, size_t count, const void *const *frames,
                  const size_t *lens, Dajia__Reason reason, Dajia__Reason alternative)
{
    return s_expect_rejected_id(fx, what, count, frames, lens, reason, alternative, NULL);
}

static Dajia__Reason
s_expect_envelope_rejected(fixture_t *fx, const char *what, const Dajia__Envelope *env,
                           Dajia__Reason reason)
{
    size_t len = 0;
    uint8_t *buf = s_pack(fx, env, &len);
    const void *frames[] = {"SUBMIT", buf};
    const size_t lens[] = {6, len};
    Dajia__Reason got = s_expect_rejected_id(fx, what, 2, frames, lens, reason, reason,
                                             env->event_id);
    return got;
}

static void
test_bad_input_each_request_rejected_with_reason_and_nothing_stored(void **state)
{
    fixture_t *fx = *state;
    s_outcome_t outcomes[S_MAX_CASES];
    size_t n = 0;
    Dajia__Envelope env;
    Dajia__CaseReport report;

    /* Fixed "random" bytes, so a failure can be replayed. */
    uint8_t noise[S_RANDOM_LEN];
    srand(20261129);
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (uint8_t)(rand() & 0xff);

    /* --- requests that are not SUBMIT + one body --- */
    {
        /* One frame of noise: not a command the broker knows, and not two frames either;
           the protocol allows either reason for it. */
        noise[0] = 0xfe; /* never the first byte of "SUBMIT" or "STATS" */
        const void *frames[] = {noise};
        const size_t lens[] = {sizeof noise};
        outcomes[n++] = (s_outcome_t){
            "random bytes, one frame",
            s_expect_rejected(fx, "random bytes, one frame", 1, frames, lens,
                              DAJIA__REASON__REASON_UNKNOWN_COMMAND,
                              DAJIA__REASON__REASON_BAD_FRAMES)};
    }
    {
        const void *frames[] = {"SUBMIT"};
        const size_t lens[] = {6};
        outcomes[n++] = (s_outcome_t){
            "SUBMIT without a body",
            s_expect_rejected(fx, "SUBMIT without a body", 1, frames, lens,
                              DAJIA__REASON__REASON_BAD_FRAMES,
                              DAJIA__REASON__REASON_BAD_FRAMES)};
    }
    {
        const void *frames[] = {"", ""};
        const size_t lens[] = {0, 0};
        outcomes[n++] = (s_outcome_t){
            "empty frames",
            s_expect_rejected(fx, "empty frames", 2, frames, lens,
                              DAJIA__REASON__REASON_BAD_FRAMES,
                              DAJIA__REASON__REASON_BAD_FRAMES)};
    }
    {
        /* A valid envelope with a frame too many: must not be stored. */
        harness_envelope_init(&env, &report, "psb", "extra-frames-1", "PSB-EXTRA-1");
        size_t len = 0;
        uint8_t *buf = s_pack(fx, &env, &len);
        const void *frames[] = {"SUBMIT", buf, "trailer"};
        const size_t lens[] = {6, len, 7};
        outcomes[n++] = (s_outcome_t){
            "extra frame",
            s_expect_rejected(fx, "extra frame", 3, frames, lens,
                              DAJIA__REASON__REASON_BAD_FRAMES,
                              DAJIA__REASON__REASON_BAD_FRAMES)};
    }
    {
        harness_envelope_init(&env, &report, "psb", "unknown-command-1", "PSB-CMD-1");
        size_t len = 0;
        uint8_t *buf = s_pack(fx, &env, &len);
        const void *frames[] = {"DELETE", buf};
        const size_t lens[] = {6, len};
        outcomes[n++] = (s_outcome_t){
            "unknown command",
            s_expect_rejected(fx, "unknown command", 2, frames, lens,
                              DAJIA__REASON__REASON_UNKNOWN_COMMAND,
                              DAJIA__REASON__REASON_UNKNOWN_COMMAND)};
    }

    /* --- bodies that are not an Envelope --- */
    {
        /* Noise whose first byte is a tag with field number 0: never valid protobuf. */
        noise[0] = 0x07;
        const void *frames[] = {"SUBMIT", noise};
        const size_t lens[] = {6, sizeof noise};
        outcomes[n++] = (s_outcome_t){
            "SUBMIT + random bytes",
            s_expect_rejected(fx, "SUBMIT + random bytes", 2, frames, lens,
                              DAJIA__REASON__REASON_MALFORMED,
                              DAJIA__REASON__REASON_MALFORMED)};
    }
    {
        /* The body is encoded last, so cutting bytes off the end cuts the body's
           length-delimited field short. */
        harness_envelope_init(&env, &report, "psb", "truncated-1", "PSB-TRUNC-1");
        size_t len = 0;
        uint8_t *buf = s_pack(fx, &env, &len);
        const void *frames[] = {"SUBMIT", buf};
        const size_t lens[] = {6, len - 5};
        outcomes[n++] = (s_outcome_t){
            "truncated envelope",
            s_expect_rejected(fx, "truncated envelope", 2, frames, lens,
                              DAJIA__REASON__REASON_MALFORMED,
                              DAJIA__REASON__REASON_MALFORMED)};
    }
    {
        fx->big = calloc(1, S_OVER_CAP_LEN);
        assert_non_null(fx->big);
        const void *frames[] = {"SUBMIT", fx->big};
        const size_t lens[] = {6, S_OVER_CAP_LEN};
        outcomes[n++] = (s_outcome_t){
            "70,000-byte body",
            s_expect_rejected(fx, "70,000-byte body", 2, frames, lens,
                              DAJIA__REASON__REASON_TOO_LARGE,
                              DAJIA__REASON__REASON_TOO_LARGE)};
        free(fx->big);
        fx->big = NULL;
    }

    /* --- envelopes that decode but break a rule; one fault each --- */
    harness_envelope_init(&env, &report, "atlantis", "unknown-unit-1", "X-1");
    outcomes[n++] = (s_outcome_t){"unknown unit",
                                  s_expect_envelope_rejected(fx, "unknown unit", &env,
                                                             DAJIA__REASON__REASON_UNKNOWN_UNIT)};

    harness_envelope_init(&env, &report, "psb", "no-body-1", "PSB-NOBODY-1");
    env.body_case = DAJIA__ENVELOPE__BODY__NOT_SET;
    env.case_report = NULL;
    outcomes[n++] = (s_outcome_t){"missing body",
                                  s_expect_envelope_rejected(fx, "missing body", &env,
                                                             DAJIA__REASON__REASON_MISSING_BODY)};

    harness_envelope_init(&env, &report, "psb", "negative-1", "PSB-NEG-1");
    report.case_value_fen = -100;
    outcomes[n++] = (s_outcome_t){
        "negative amount",
        s_expect_envelope_rejected(fx, "negative amount", &env,
                                   DAJIA__REASON__REASON_NEGATIVE_AMOUNT)};

    static char long_text[S_LONG_TEXT_LEN + 1];
    memset(long_text, 'x', S_LONG_TEXT_LEN);
    long_text[S_LONG_TEXT_LEN] = '\0';
    harness_envelope_init(&env, &report, "psb", "long-text-1", "PSB-LONG-1");
    report.case_name = long_text;
    outcomes[n++] = (s_outcome_t){
        "over-long string",
        s_expect_envelope_rejected(fx, "over-long string", &env,
                                   DAJIA__REASON__REASON_STRING_TOO_LONG)};

    harness_envelope_init(&env, &report, "psb", "", "PSB-NOID-1");
    outcomes[n++] = (s_outcome_t){
        "missing event_id",
        s_expect_envelope_rejected(fx, "missing event_id", &env,
                                   DAJIA__REASON__REASON_MISSING_EVENT_ID)};

    harness_envelope_init(&env, &report, "psb", "bad id/1", "PSB-BADID-1");
    outcomes[n++] = (s_outcome_t){"bad event_id",
                                  s_expect_envelope_rejected(fx, "bad event_id", &env,
                                                             DAJIA__REASON__REASON_BAD_ID)};

    harness_envelope_init(&env, &report, "psb", "future-1", "PSB-FUT-1");
    env.occurred_at = harness_now_ms() + 30LL * 86400 * 1000;
    outcomes[n++] = (s_outcome_t){
        "time in the future",
        s_expect_envelope_rejected(fx, "time in the future", &env,
                                   DAJIA__REASON__REASON_TIME_IN_FUTURE)};

    harness_envelope_init(&env, &report, "psb", "ancient-1", "PSB-OLD-1");
    env.occurred_at = 631152000000LL; /* 1990-01-01 */
    outcomes[n++] = (s_outcome_t){
        "time before 2000",
        s_expect_envelope_rejected(fx, "time before 2000", &env,
                                   DAJIA__REASON__REASON_TIME_BEFORE_2000)};

    harness_envelope_init(&env, &report, "psb", "gbk-1", "PSB-GBK-1");
    report.case_name = "\xbc\xd9\xc3\xb0"; /* "假冒" in GBK: not UTF-8 */
    outcomes[n++] = (s_outcome_t){"invalid UTF-8",
                                  s_expect_envelope_rejected(fx, "invalid UTF-8", &env,
                                                             DAJIA__REASON__REASON_INVALID_UTF8)};

    harness_envelope_init(&env, &report, "psb", "enum-1", "PSB-ENUM-1");
    report.stage = (Dajia__CaseStage)999;
    outcomes[n++] = (s_outcome_t){
        "enum out of range",
        s_expect_envelope_rejected(fx, "enum out of range", &env,
                                   DAJIA__REASON__REASON_ENUM_OUT_OF_RANGE)};

    harness_envelope_init(&env, &report, "psb", "no-case-no-1", "");
    outcomes[n++] = (s_outcome_t){
        "missing case_no",
        s_expect_envelope_rejected(fx, "missing case_no", &env,
                                   DAJIA__REASON__REASON_MISSING_FIELD)};

    /* --- the broker is unharmed: a valid event is stored --- */
    harness_envelope_init(&env, &report, "psb", "valid-1", "PSB-VALID-1");
    assert_int_equal(harness_client_submit(fx->client, &env), 0);
    Dajia__Ack *ack = NULL;
    assert_int_equal(harness_client_recv_ack(fx->client, &ack), 0);
    Dajia__AckStatus status = ack->status;
    uint64_t log_seq = ack->log_seq;
    bool same_id = strcmp(ack->event_id, "valid-1") == 0;
    dajia__ack__free_unpacked(ack, NULL);
    assert_int_equal(status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
    assert_true(same_id);
    assert_int_equal(log_seq, 1);

    /* --- STATS counts every rejection under its reason --- */
    char *stats = harness_autofree(harness_client_stats(fx->client));
    assert_non_null(stats);
    print_message("STATS %s\n", stats);
    assert_int_equal(harness_json_u64(stats, "accepted"), 1);
    assert_int_equal(harness_json_u64(stats, "rejected"), (int64_t)n);
    for (size_t i = 0; i < n; i++) {
        int64_t expected = 0;
        for (size_t j = 0; j < n; j++)
            expected += outcomes[j].got == outcomes[i].got;
        char *path = S_STR("rejected_by_reason/%s", dajia_reason_name(outcomes[i].got));
        int64_t counted = harness_json_u64(stats, path);
        if (counted != expected)
            fail_msg("STATS %s is %lld, expected %lld (after \"%s\")", path, (long long)counted,
                     (long long)expected, outcomes[i].what);
    }

    /* --- the log holds the valid event and nothing else --- */
    harness_record_t *records = NULL;
    size_t count = 0;
    assert_int_equal(harness_dump(fx->data, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(count, 1);
    assert_int_equal(records[0].log_seq, 1);
    assert_string_equal(records[0].unit, "psb");
    assert_string_equal(records[0].event_id, "valid-1");

    assert_int_equal(harness_proc_stop(fx->broker), 0);
}

static void
test_bad_input_oversized_wire_frame_costs_only_that_connection(void **state)
{
    fixture_t *fx = *state;
    /* A frame past the broker's wire cap makes libzmq drop that peer; the broker itself
       must carry on serving others. */
    harness_client_t *rude = NULL;
    assert_int_equal(harness_client_new(fx->endpoint, 1000, &rude), 0);
    fx->big = calloc(1, S_OVER_WIRE_LEN);
    assert_non_null(fx->big);
    const void *frames[] = {"SUBMIT", fx->big};
    const size_t lens[] = {6, S_OVER_WIRE_LEN};
    int sent = harness_client_send(rude, 2, frames, lens);
    harness_client_destroy(&rude);
    assert_int_equal(sent, 0);

    Dajia__Envelope env;
    Dajia__CaseReport report;
    harness_envelope_init(&env, &report, "customs", "after-huge-1", "CUS-1");
    assert_int_equal(harness_client_submit(fx->client, &env), 0);
    Dajia__Ack *ack = NULL;
    assert_int_equal(harness_client_recv_ack(fx->client, &ack), 0);
    Dajia__AckStatus status = ack->status;
    bool same_id = strcmp(ack->event_id, "after-huge-1") == 0;
    dajia__ack__free_unpacked(ack, NULL);
    assert_int_equal(status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
    assert_true(same_id);

    assert_true(harness_proc_running(fx->broker));
    assert_int_equal(harness_proc_stop(fx->broker), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_bad_input_each_request_rejected_with_reason_and_nothing_stored, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown(
            test_bad_input_oversized_wire_frame_costs_only_that_connection, s_setup,
            s_teardown),
    };
    int failed = cmocka_run_group_tests_name("integration.bad_input", tests, NULL, NULL);
    zsys_shutdown();
    return failed;
}
