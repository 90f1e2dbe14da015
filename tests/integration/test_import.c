/*  Integration: the Office's import of history, with real processes over tcp and keys.

    An event may carry `submitted_at`, the time its unit first submitted it, so that an
    import of a year's history keeps the submission times compliance is judged on. The
    broker keeps it (LogRecord.submitted_at, which every worker reads as the submission
    time) only from the Office: a certificate of role office or admin. A unit's
    certificate may not date its own submissions: such an event is refused as forbidden,
    naming submitted_at, and nothing is stored; without it the same event is taken.
    Without keys every peer is trusted, with this as with everything else.

    The broker is started with `--keys DIR` (made by `dajia-ctl keys init`); the clients
    are plain czmq DEALERs made CURVE clients with dajia_keydir, as every program is. What
    the broker stored is read back with `dajia-ctl dump` after it stopped.
*/
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "dajia_codec.h"
#include "dajia_json.h"
#include "dajia_keydir.h"
#include "harness.h"

#define S_STR(...)     ((char *)harness_autofree(harness_strf(__VA_ARGS__)))
#define S_HANDSHAKE_MS 10000
#define S_DAY_MS       (24LL * 3600 * 1000)
#define S_MAX_SOCKS    4

typedef struct {
    harness_fixture_t base; /* the directories and the broker */
    zsock_t *socks[S_MAX_SOCKS];
    size_t nsocks;
} fixture_t;

static int
s_setup(void **state)
{
    fixture_t *fx = harness_fixture_new(state, sizeof *fx);
    if (!fx || harness_keys_init(fx->base.keys, "msa,psb") != 0)
        return -1;
    const char *broker[] = {"--keys", fx->base.keys, NULL};
    return harness_fixture_start_broker(&fx->base, broker);
}

/* A broker without keys: every peer is trusted, as for everything else. */
static int
s_setup_no_keys(void **state)
{
    fixture_t *fx = harness_fixture_new(state, sizeof *fx);
    if (!fx)
        return -1;
    return harness_fixture_start_broker(&fx->base, NULL);
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    for (size_t i = 0; fx && i < fx->nsocks; i++)
        zsock_destroy(&fx->socks[i]);
    return harness_fixture_teardown(state);
}

/* A DEALER with certificate `name` of the key directory, connected to the api once the
   broker has admitted it (the handshake is waited for, so a refusal fails here). */
static zsock_t *
s_client(fixture_t *fx, const char *name)
{
    zcert_t *own = NULL;
    char broker_key[DAJIA_KEYDIR_KEY_TXT];
    assert_int_equal(dajia_keydir_load(fx->base.keys, name, &own), 0);
    assert_int_equal(dajia_keydir_broker_key(fx->base.keys, broker_key), 0);
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    assert_non_null(sock);
    assert_true(fx->nsocks < S_MAX_SOCKS);
    fx->socks[fx->nsocks++] = sock;
    zsock_set_linger(sock, 0);
    zsock_set_rcvtimeo(sock, HARNESS_RECV_TIMEOUT_MS);
    zsock_set_sndtimeo(sock, HARNESS_RECV_TIMEOUT_MS);
    assert_int_equal(dajia_keydir_apply(sock, own, broker_key), 0);
    zcert_destroy(&own);
    int rc = dajia_keydir_connect(sock, fx->base.api, S_HANDSHAKE_MS);
    if (rc != 0)
        fail_msg("certificate %s was not admitted (%d)", name, rc);
    return sock;
}

/* Submits a case report of `unit` with event_id `id` and `submitted_at` (0: none) from
   `sock`; returns the Ack (freed by the caller). */
static Dajia__Ack *
s_submit(zsock_t *sock, const char *unit, const char *id, int64_t submitted_at)
{
    Dajia__Envelope env;
    Dajia__CaseReport report;
    harness_envelope_init(&env, &report, unit, id, id);
    env.submitted_at = submitted_at;
    if (submitted_at) /* an event of last year, made when it was submitted */
        env.occurred_at = submitted_at - 3600 * 1000;
    size_t len = dajia__envelope__get_packed_size(&env);
    uint8_t *buf = harness_autofree(malloc(len));
    assert_non_null(buf);
    dajia__envelope__pack(&env, buf);
    zmsg_t *msg = zmsg_new();
    zmsg_addstr(msg, "SUBMIT");
    zmsg_addmem(msg, buf, len);
    assert_int_equal(zmsg_send(&msg, sock), 0);
    zmsg_t *reply = zmsg_recv(sock);
    if (!reply)
        fail_msg("%s: no answer within %d ms", id, HARNESS_RECV_TIMEOUT_MS);
    zframe_t *cmd = zmsg_first(reply), *body = zmsg_next(reply);
    Dajia__Ack *ack = NULL;
    if (cmd && body && zframe_streq(cmd, "ACK"))
        ack = dajia__ack__unpack(NULL, zframe_size(body), zframe_data(body));
    zmsg_destroy(&reply);
    assert_non_null(ack);
    return ack;
}

static void
s_expect_status(Dajia__Ack *ack, Dajia__AckStatus status, Dajia__Reason reason, const char *words)
{
    char text[256];
    snprintf(text, sizeof text, "%s", ack->reason_text);
    Dajia__AckStatus got = ack->status;
    Dajia__Reason got_reason = ack->reason;
    dajia__ack__free_unpacked(ack, NULL);
    print_message("-> status %d, %s: %s\n", got, dajia_reason_name(got_reason), text);
    assert_int_equal(got, status);
    assert_int_equal(got_reason, reason);
    if (words && !strstr(text, words))
        fail_msg("\"%s\" does not contain \"%s\"", text, words);
}

/* The submission time the dump shows for (unit, event_id): its submitted_at, or 0 when
   the broker kept none; -1 when the event is not in the log. */
static int64_t
s_dumped_submitted_at(const char *dump, const char *unit, const char *event_id)
{
    int64_t found = -1;
    const char *line = dump;
    while (line && *line && found < 0) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        json_t *root = json_loadb(line, len, 0, NULL);
        json_t *event = root ? json_object_get(root, "event") : NULL;
        const char *u = json_string_value(json_object_get(event, "unit"));
        const char *id = json_string_value(json_object_get(event, "event_id"));
        if (u && id && strcmp(u, unit) == 0 && strcmp(id, event_id) == 0) {
            const char *at = json_string_value(json_object_get(root, "submitted_at"));
            long long ms = 0;
            assert_non_null(json_string_value(json_object_get(root, "received_at")));
            if (at && dajia_json_parse_time(at, &ms) != 0)
                fail_msg("the dump's submitted_at \"%s\" is not a time", at);
            found = at ? (int64_t)ms : 0;
        }
        json_decref(root);
        line = end ? end + 1 : NULL;
    }
    return found;
}

/* The dump of the fixture's broker, stopped first. */
static char *
s_dump(fixture_t *fx)
{
    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
    const char *argv[] = {DAJIA_CTL_BIN, "--data", fx->base.data, "dump", NULL};
    harness_result_t run;
    assert_int_equal(harness_run(argv, NULL, HARNESS_RUN_TIMEOUT_MS, &run), 0);
    char *dump = harness_autofree(run.out);
    run.out = NULL;
    int status = run.status;
    harness_result_free(&run);
    assert_int_equal(status, 0);
    return dump;
}

static void
test_import_submitted_at_trusted_from_the_office_only(void **state)
{
    fixture_t *fx = *state;
    const int64_t last_year = harness_now_ms() - 300 * S_DAY_MS;
    const int64_t last_month = harness_now_ms() - 40 * S_DAY_MS;

    /* A unit may not date its own submission: refused, naming the field. */
    zsock_t *msa = s_client(fx, "msa");
    s_expect_status(s_submit(msa, "msa", "msa-backdated-1", last_month),
                    DAJIA__ACK_STATUS__ACK_STATUS_REJECTED, DAJIA__REASON__REASON_FORBIDDEN,
                    "submitted_at");
    s_expect_status(s_submit(msa, "msa", "msa-live-1", 0), DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED,
                    DAJIA__REASON__REASON_NONE, NULL);

    /* The Office imports history, for any member unit, with the original times. */
    zsock_t *office = s_client(fx, "office");
    s_expect_status(s_submit(office, "psb", "psb-history-1", last_year),
                    DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED, DAJIA__REASON__REASON_NONE, NULL);
    zsock_t *admin = s_client(fx, "admin");
    s_expect_status(s_submit(admin, "msa", "msa-history-1", last_month),
                    DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED, DAJIA__REASON__REASON_NONE, NULL);
    /* ... but not in a unit's name anything the schema refuses (still judged in full). */
    s_expect_status(s_submit(office, "atlantis", "atlantis-1", last_year),
                    DAJIA__ACK_STATUS__ACK_STATUS_REJECTED, DAJIA__REASON__REASON_UNKNOWN_UNIT,
                    NULL);
    /* A dashboard submits nothing. */
    zsock_t *dashboard = s_client(fx, "dashboard");
    s_expect_status(s_submit(dashboard, "psb", "psb-dash-1", 0),
                    DAJIA__ACK_STATUS__ACK_STATUS_REJECTED, DAJIA__REASON__REASON_FORBIDDEN, NULL);

    /* What the log holds: the Office's times, and none for the unit's own event. */
    char *dump = s_dump(fx);
    print_message("%s", dump);
    assert_int_equal(s_dumped_submitted_at(dump, "msa", "msa-live-1"), 0);
    assert_int_equal(s_dumped_submitted_at(dump, "psb", "psb-history-1"), last_year);
    assert_int_equal(s_dumped_submitted_at(dump, "msa", "msa-history-1"), last_month);
    assert_int_equal(s_dumped_submitted_at(dump, "msa", "msa-backdated-1"), -1);
    assert_int_equal(s_dumped_submitted_at(dump, "psb", "psb-dash-1"), -1);
}

static void
test_import_without_keys_every_peer_is_trusted(void **state)
{
    fixture_t *fx = *state;
    const int64_t last_year = harness_now_ms() - 300 * S_DAY_MS;
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    assert_non_null(sock);
    fx->socks[fx->nsocks++] = sock;
    zsock_set_linger(sock, 0);
    zsock_set_rcvtimeo(sock, HARNESS_RECV_TIMEOUT_MS);
    assert_int_equal(zsock_connect(sock, "%s", fx->base.api), 0);
    s_expect_status(s_submit(sock, "tax", "tax-history-1", last_year),
                    DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED, DAJIA__REASON__REASON_NONE, NULL);
    assert_int_equal(s_dumped_submitted_at(s_dump(fx), "tax", "tax-history-1"), last_year);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_import_submitted_at_trusted_from_the_office_only,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_import_without_keys_every_peer_is_trusted,
                                        s_setup_no_keys, s_teardown),
    };
    int failed = cmocka_run_group_tests_name("integration.import", tests, NULL, NULL);
    zsys_shutdown();
    return failed;
}
