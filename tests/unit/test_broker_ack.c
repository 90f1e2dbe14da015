/*  Unit tests for broker_ack: an Ack packed by hand is byte for byte the one protobuf-c
    packs, for every status, event ids of every length class, and log_seq and received_at
    at the edges of their varints (received_at negative too); and it reads back.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include "broker_ack.h"

#define S_BUF 512

/* Packs with both and compares; returns the length. */
static size_t
s_same(const char *event_id, Dajia__AckStatus status, uint64_t log_seq, int64_t received_at)
{
    Dajia__Ack ack = DAJIA__ACK__INIT;
    ack.event_id = (char *)event_id;
    ack.status = status;
    ack.log_seq = log_seq;
    ack.received_at = received_at;
    ack.reason_text = "";
    uint8_t want[S_BUF], got[S_BUF];
    size_t want_len = dajia__ack__pack(&ack, want);
    size_t got_len = broker_ack_pack_plain(got, sizeof got, event_id, status, log_seq, received_at);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    return got_len;
}

static void
test_same_bytes_as_protobuf_c(void **state)
{
    (void)state;
    char long_id[200];
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0'; /* a length of two varint bytes */
    const char *ids[] = {"", "a", "b0123abcd-003-0000000123", long_id};
    const uint64_t seqs[] = {0, 1, 127, 128, 16383, 16384, UINT64_C(1) << 35, UINT64_MAX};
    const int64_t times[] = {
        0, 1, -1, 127, 128, INT64_C(1764892800000), -INT64_C(1764892800000), INT64_MIN, INT64_MAX};
    const Dajia__AckStatus statuses[] = {
        DAJIA__ACK_STATUS__ACK_STATUS_UNSPECIFIED, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED,
        DAJIA__ACK_STATUS__ACK_STATUS_DUPLICATE, DAJIA__ACK_STATUS__ACK_STATUS_REJECTED};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        for (size_t s = 0; s < sizeof statuses / sizeof statuses[0]; s++)
            for (size_t q = 0; q < sizeof seqs / sizeof seqs[0]; q++)
                for (size_t t = 0; t < sizeof times / sizeof times[0]; t++)
                    s_same(ids[i], statuses[s], seqs[q], times[t]);
}

static void
test_reads_back(void **state)
{
    (void)state;
    uint8_t buf[S_BUF];
    size_t len = broker_ack_pack_plain(buf, sizeof buf, "b0123abcd-003-0000000123",
                                       DAJIA__ACK_STATUS__ACK_STATUS_DUPLICATE, 4242,
                                       INT64_C(1764892800123));
    Dajia__Ack *ack = dajia__ack__unpack(NULL, len, buf);
    assert_non_null(ack);
    assert_string_equal(ack->event_id, "b0123abcd-003-0000000123");
    assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_DUPLICATE);
    assert_int_equal(ack->log_seq, 4242);
    assert_int_equal(ack->reason, DAJIA__REASON__REASON_NONE);
    assert_string_equal(ack->reason_text, "");
    assert_int_equal(ack->received_at, INT64_C(1764892800123));
    dajia__ack__free_unpacked(ack, NULL);
}

static void
test_too_small_a_buffer(void **state)
{
    (void)state;
    uint8_t buf[S_BUF];
    /* 0: the caller packs with protobuf-c, which checks the size itself */
    assert_int_equal(broker_ack_pack_plain(buf, 20, "b0123abcd-003-0000000123",
                                           DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED, 1, 1),
                     0);
    assert_true(broker_ack_pack_plain(buf, sizeof buf, "b0123abcd-003-0000000123",
                                      DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED, 1, 1) > 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes_as_protobuf_c),
        cmocka_unit_test(test_reads_back),
        cmocka_unit_test(test_too_small_a_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
