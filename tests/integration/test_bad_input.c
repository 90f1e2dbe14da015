/*  Integration: bad input gets a clear error and changes nothing (guarantee 7).

    A raw DEALER sends the broker every kind of wrong request, one at a time: frames that
    are not a request, envelopes that do not decode, envelopes that decode but break a
    rule. Each must come back REJECTED with its reason code and a sentence; afterwards
    the broker must still store a valid event, count the rejections by reason in STATS,
    and hold in its log exactly what it held before the bad requests, plus that event.
    Most of the bad envelopes are protobuf bytes written by hand (the table s_cases
    below), since a protobuf library cannot be made to write them.

    A client that floods rejects is throttled: past broker/reject_budget rejections in a
    second its requests are dropped unanswered (after one notice), while the events of
    other clients keep flowing.

    Units a report names (involved_units, a related case's unit) must be member codes and
    `region` an administrative code of the configured region (broker/region): each such
    refusal names the field.
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

#define S_RANDOM_LEN    200
#define S_OVER_CAP_LEN  70000     /* over the 65536 default cap, under libzmq's limit */
#define S_OVER_WIRE_LEN (2 << 20) /* over the broker's wire cap: libzmq drops the peer */
#define S_LONG_TEXT_LEN 20000     /* longer than any text limit, under the size cap */
#define S_MAX_CASES                                                                                \
    96                                /* and under the reject budget (100 a second), or the        \
                                         broker would throttle the test's own client */
#define S_BUF_CAP         (80u << 10) /* one hand-written body; the largest is 70,000 */
#define S_HUGE_REPEATED   10000       /* items in a "huge repeated field" (the limit is 64) */
#define S_FLOOD           5000        /* bad requests one connection sends as fast as it can */
#define S_STEADY          100         /* valid events another connection sends meanwhile */
#define S_FLOOD_NO_BUDGET 300         /* bad requests when the budget is off */
#define S_FLOOD_RECV_MS   3000        /* the flooder's wait for answers that may never come */
#define S_THROTTLE_TEXT   "too many rejected requests"

typedef struct {
    harness_fixture_t base; /* the directory, the broker and its endpoint (api) */
    harness_client_t *client;
    uint8_t *packed; /* the last s_pack() */
    uint8_t *big;    /* large frames */
} fixture_t;

static int
s_setup_with(void **state, const char *const *extra)
{
    fixture_t *fx = harness_fixture_new(state, sizeof *fx);
    if (!fx || harness_fixture_start_broker(&fx->base, extra) != 0)
        return -1;
    return harness_client_new(fx->base.api, HARNESS_RECV_TIMEOUT_MS, &fx->client);
}

static int
s_setup(void **state)
{
    return s_setup_with(state, NULL);
}

static int
s_setup_no_budget(void **state)
{
    static const char *const extra[] = {"--reject-budget", "0", NULL};
    return s_setup_with(state, extra);
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    harness_client_destroy(&fx->client);
    free(fx->packed);
    free(fx->big);
    return harness_fixture_teardown(state);
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
        fail_msg("%s: the rejection names event_id \"%s\", expected \"%s\"", what, id, event_id);
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
    Dajia__Reason got =
        s_expect_rejected_id(fx, what, 2, frames, lens, reason, reason, env->event_id);
    return got;
}

/* Submits `env` (event_id `id`) and checks it is ACCEPTED with `log_seq` (0: any). */
static void
s_expect_accepted(harness_client_t *client, const Dajia__Envelope *env, const char *id,
                  uint64_t log_seq)
{
    assert_int_equal(harness_client_submit(client, env), 0);
    Dajia__Ack *ack = NULL;
    assert_int_equal(harness_client_recv_ack(client, &ack), 0);
    Dajia__AckStatus status = ack->status;
    uint64_t seq = ack->log_seq;
    bool same_id = strcmp(ack->event_id, id) == 0;
    dajia__ack__free_unpacked(ack, NULL);
    assert_int_equal(status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
    assert_true(same_id);
    if (log_seq)
        assert_int_equal(seq, log_seq);
}

/* ================================================================ hand-written bytes */

/* A protobuf writer small enough to get wrong on purpose. */
typedef struct {
    uint8_t *data;
    size_t len;
} s_buf_t;

#define S_WT_VARINT  0
#define S_WT_FIXED64 1
#define S_WT_LEN     2
#define S_WT_GROUP   3
#define S_WT_FIXED32 5
#define S_WT_INVALID 7

static void
s_raw(s_buf_t *b, const void *data, size_t len)
{
    assert_true(b->len + len <= S_BUF_CAP);
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

static void
s_bytes(s_buf_t *b, size_t count, ...)
{
    va_list ap;
    va_start(ap, count);
    for (size_t i = 0; i < count; i++) {
        uint8_t byte = (uint8_t)va_arg(ap, int);
        s_raw(b, &byte, 1);
    }
    va_end(ap);
}

static void
s_varint(s_buf_t *b, uint64_t value)
{
    do {
        uint8_t byte = (uint8_t)(value & 0x7f);
        value >>= 7;
        if (value)
            byte |= 0x80;
        s_raw(b, &byte, 1);
    } while (value);
}

static void
s_tag(s_buf_t *b, unsigned field, unsigned wire_type)
{
    s_varint(b, (uint64_t)field << 3 | wire_type);
}

static void
s_int(s_buf_t *b, unsigned field, uint64_t value)
{
    s_tag(b, field, S_WT_VARINT);
    s_varint(b, value);
}

static void
s_str(s_buf_t *b, unsigned field, const char *text, size_t len)
{
    s_tag(b, field, S_WT_LEN);
    s_varint(b, len);
    s_raw(b, text, len);
}

static void
s_sub(s_buf_t *b, unsigned field, const s_buf_t *sub)
{
    s_str(b, field, (const char *)sub->data, sub->len);
}

/* Field numbers of dajia.proto the cases use. */
enum {
    S_ENV_EVENT_ID = 1,
    S_ENV_UNIT = 2,
    S_ENV_REPORTER = 3,
    S_ENV_OCCURRED_AT = 4,
    S_ENV_REGION = 6,
    S_ENV_CASE_REPORT = 10,
    S_ENV_MAJOR_MATTER = 11,
    S_ENV_DYNAMIC_INFO = 13,
    S_CR_CASE_NO = 1,
    S_CR_PLATFORM_IDS = 2,
    S_CR_CASE_NAME = 3,
    S_CR_CATEGORY = 5,
    S_CR_GOODS = 6,
    S_CR_STAGE = 29,
    S_CR_SUSPECTS_ARRESTED = 36,
    S_CR_INVOLVED_UNITS = 49,
    S_DI_INFO_ID = 1,
    S_DI_PERIOD = 2,
    S_DI_KIND = 3,
    S_DI_TITLE = 4,
};

#define S_STR_LIT(b, field, lit) s_str(b, field, lit, sizeof lit - 1)

/* The envelope fields before the body: event_id `id`, unit psb, an hour-old time. */
static void
s_head(s_buf_t *b, const char *id)
{
    s_str(b, S_ENV_EVENT_ID, id, strlen(id));
    S_STR_LIT(b, S_ENV_UNIT, "psb");
    S_STR_LIT(b, S_ENV_REPORTER, "integration test");
    s_int(b, S_ENV_OCCURRED_AT, (uint64_t)(harness_now_ms() - 3600 * 1000));
}

/* The fields a CaseReport needs: case_no, category, stage. */
static void
s_report(s_buf_t *b)
{
    S_STR_LIT(b, S_CR_CASE_NO, "PSB-HAND-1");
    s_int(b, S_CR_CATEGORY, 2);
    s_int(b, S_CR_STAGE, 2);
}

/* Every hand-written request. frames: "S" = SUBMIT + the body, or as described.
   Unless said otherwise the body is a valid head (s_head) and a valid case report
   (s_report) with the fault added to it.

   case                         what is wrong                                   reason
   -------------------------------------------------------------------------------------
   frames and size
   F_LOWER      "submit" + valid body: commands are case-sensitive              UNKNOWN_COMMAND
   F_NUL        "SUBMIT\0" (7 bytes) + valid body                               UNKNOWN_COMMAND
   F_NO_CMD     "" + valid body: zero-length command frame                      BAD_FRAMES
   F_EMPTY_3RD  "SUBMIT" + valid body + "": a zero-length extra frame           BAD_FRAMES
   F_FOUR       "SUBMIT" + valid body + "a" + "b"                               BAD_FRAMES
   F_EMPTY_BODY "SUBMIT" + "": a zero-length body is an empty Envelope          MISSING_EVENT_ID
   F_CAP_PLUS_1 a body of 65,537 bytes, one over the cap                        TOO_LARGE
   wire format (protobuf-c refuses these)
   W_VARINT_CUT occurred_at's varint ends in a continuation byte: 20 80         MALFORMED
   W_VARINT_11  an 11-byte varint: 20 ff x10 01                                 MALFORMED
   W_STR_VARINT event_id sent as a varint (wire type 0): 08 01                  MALFORMED
   W_INT_LEN    occurred_at sent length-delimited: 22 01 00                     MALFORMED
   W_MSG_FIX32  case_report sent as fixed32: 55 00 00 00 00                     MALFORMED
   W_INT_FIX64  occurred_at sent as fixed64: 21 + 8 bytes                       MALFORMED
   W_GROUP      start-group wire type on event_id: 0b                           MALFORMED
   W_WT7        wire type 7 (none such): 0f                                     MALFORMED
   W_FIELD0     a tag with field number 0: 00 00                                MALFORMED
   W_FIELD0_LONG  field 0 in an overlong tag (80 00; protobuf-c reads it)       MALFORMED
   W_LEN_PAST   event_id's length (5) past the end: 0a 05 61 62                 MALFORMED
   W_LEN_HUGE   event_id's length is 2^32-1: 0a ff ff ff ff 0f 61               MALFORMED
   W_NEST_OVER  inside case_report (4 bytes), case_no claims 10 bytes; the
                envelope goes on after it, so only the nested bound is broken   MALFORMED
   W_NEST_PAST  case_report claims 127 bytes, 3 follow                          MALFORMED
   W_NEST_CUT   inside case_report, category's varint is cut: 52 02 28 80       MALFORMED
   W_PACK_CUT   packed goods whose last varint is cut: 32 02 01 80              MALFORMED
   W_FIX32_CUT  unknown field 15, fixed32 with 2 bytes: 7d 01 02                MALFORMED
   W_UNK_PAST   unknown field 99, length 100 with 3 bytes                       MALFORMED
   strings
   U_ID         event_id "\xc3\x28": a lead byte without its continuation        INVALID_UTF8
   U_UNIT       unit "\x80psb": a stray continuation byte                       INVALID_UTF8
   U_OVERLONG   reporter with an overlong "/" (c0 af)                           INVALID_UTF8
   U_SURROGATE  case_name with a UTF-16 surrogate (ed a0 80)                    INVALID_UTF8
   U_CUT        region ending inside a character (e5 81)                        INVALID_UTF8
   U_ABOVE_MAX  a platform id above U+10FFFF (f4 90 80 80)                      INVALID_UTF8
   U_ID_LONG    event_id of 65 bytes (the limit is 64)                          STRING_TOO_LONG
   repeated fields
   R_65_IDS     65 platform_ids (the limit is 64)                               TOO_MANY_ITEMS
   R_HUGE_PACK  10,000 goods, packed                                            TOO_MANY_ITEMS
   R_HUGE_STRS  10,000 empty involved_units                                     TOO_MANY_ITEMS
   R_ENUM_PACK  packed goods holding 999                                        ENUM_OUT_OF_RANGE
   values
   V_NEG_COUNT  suspects_arrested -1 as a 10-byte varint                        NEGATIVE_COUNT
   V_TWO_BODIES a case_report then an empty major_matter: the last one wins     MISSING_FIELD
   V_EMPTY_BODY case_report present but empty (52 00)                           MISSING_FIELD
   V_PERIOD     dynamic_info with period "2026-13"                              BAD_PERIOD
*/
typedef enum {
    F_LOWER,
    F_NUL,
    F_NO_CMD,
    F_EMPTY_3RD,
    F_FOUR,
    F_EMPTY_BODY,
    F_CAP_PLUS_1,
    W_VARINT_CUT,
    W_VARINT_11,
    W_STR_VARINT,
    W_INT_LEN,
    W_MSG_FIX32,
    W_INT_FIX64,
    W_GROUP,
    W_WT7,
    W_FIELD0,
    W_FIELD0_LONG,
    W_LEN_PAST,
    W_LEN_HUGE,
    W_NEST_OVER,
    W_NEST_PAST,
    W_NEST_CUT,
    W_PACK_CUT,
    W_FIX32_CUT,
    W_UNK_PAST,
    U_ID,
    U_UNIT,
    U_OVERLONG,
    U_SURROGATE,
    U_CUT,
    U_ABOVE_MAX,
    U_ID_LONG,
    R_65_IDS,
    R_HUGE_PACK,
    R_HUGE_STRS,
    R_ENUM_PACK,
    V_NEG_COUNT,
    V_TWO_BODIES,
    V_EMPTY_BODY,
    V_PERIOD,
} s_case_id_t;

typedef struct {
    s_case_id_t id;
    const char *what;
    Dajia__Reason reason;
} s_case_t;

#define S_R(name) DAJIA__REASON__REASON_##name
static const s_case_t s_cases[] = {
    {F_LOWER, "lower-case command", S_R(UNKNOWN_COMMAND)},
    {F_NUL, "command with a NUL", S_R(UNKNOWN_COMMAND)},
    {F_NO_CMD, "zero-length command", S_R(BAD_FRAMES)},
    {F_EMPTY_3RD, "zero-length extra frame", S_R(BAD_FRAMES)},
    {F_FOUR, "four frames", S_R(BAD_FRAMES)},
    {F_EMPTY_BODY, "zero-length body", S_R(MISSING_EVENT_ID)},
    {F_CAP_PLUS_1, "one byte over the cap", S_R(TOO_LARGE)},
    {W_VARINT_CUT, "truncated varint", S_R(MALFORMED)},
    {W_VARINT_11, "11-byte varint", S_R(MALFORMED)},
    {W_STR_VARINT, "string as varint", S_R(MALFORMED)},
    {W_INT_LEN, "int64 as length-delimited", S_R(MALFORMED)},
    {W_MSG_FIX32, "message as fixed32", S_R(MALFORMED)},
    {W_INT_FIX64, "int64 as fixed64", S_R(MALFORMED)},
    {W_GROUP, "start-group wire type", S_R(MALFORMED)},
    {W_WT7, "wire type 7", S_R(MALFORMED)},
    {W_FIELD0, "field number 0", S_R(MALFORMED)},
    {W_FIELD0_LONG, "field 0, overlong tag", S_R(MALFORMED)},
    {W_LEN_PAST, "length past the end", S_R(MALFORMED)},
    {W_LEN_HUGE, "length of 4 GiB", S_R(MALFORMED)},
    {W_NEST_OVER, "nested length overflow", S_R(MALFORMED)},
    {W_NEST_PAST, "sub-message past the end", S_R(MALFORMED)},
    {W_NEST_CUT, "nested truncated varint", S_R(MALFORMED)},
    {W_PACK_CUT, "packed list cut short", S_R(MALFORMED)},
    {W_FIX32_CUT, "fixed32 cut short", S_R(MALFORMED)},
    {W_UNK_PAST, "unknown field past the end", S_R(MALFORMED)},
    {U_ID, "bad UTF-8 in event_id", S_R(INVALID_UTF8)},
    {U_UNIT, "bad UTF-8 in unit", S_R(INVALID_UTF8)},
    {U_OVERLONG, "overlong UTF-8", S_R(INVALID_UTF8)},
    {U_SURROGATE, "UTF-8 surrogate", S_R(INVALID_UTF8)},
    {U_CUT, "UTF-8 cut mid-character", S_R(INVALID_UTF8)},
    {U_ABOVE_MAX, "UTF-8 above U+10FFFF", S_R(INVALID_UTF8)},
    {U_ID_LONG, "65-byte event_id", S_R(STRING_TOO_LONG)},
    {R_65_IDS, "65 platform ids", S_R(TOO_MANY_ITEMS)},
    {R_HUGE_PACK, "10,000 packed goods", S_R(TOO_MANY_ITEMS)},
    {R_HUGE_STRS, "10,000 empty strings", S_R(TOO_MANY_ITEMS)},
    {R_ENUM_PACK, "packed enum out of range", S_R(ENUM_OUT_OF_RANGE)},
    {V_NEG_COUNT, "negative count", S_R(NEGATIVE_COUNT)},
    {V_TWO_BODIES, "two bodies", S_R(MISSING_FIELD)},
    {V_EMPTY_BODY, "empty case_report", S_R(MISSING_FIELD)},
    {V_PERIOD, "bad period", S_R(BAD_PERIOD)},
};
#undef S_R

/* A request: up to four frames. */
typedef struct {
    size_t count;
    const void *frames[4];
    size_t lens[4];
} s_request_t;

/* Writes case `id` into `body` (and `sub`, scratch) and sets `req` to send it. */
static void
s_build(s_case_id_t id, s_buf_t *body, s_buf_t *sub, s_request_t *req)
{
    body->len = sub->len = 0;
    *req = (s_request_t){2, {"SUBMIT", body->data}, {6, 0}};
    char id_text[32];
    snprintf(id_text, sizeof id_text, "hand-%d", (int)id);
    /* the valid parts most cases start from */
    bool head = true, report = true;
    switch (id) {
    case F_EMPTY_BODY:
    case W_VARINT_CUT:
    case W_VARINT_11:
    case W_STR_VARINT:
    case W_INT_LEN:
    case W_GROUP:
    case W_WT7:
    case W_FIELD0:
    case W_LEN_PAST:
    case W_LEN_HUGE:
    case U_ID:
    case U_UNIT:
    case U_ID_LONG:
    case F_CAP_PLUS_1:
        head = report = false;
        break;
    case W_NEST_OVER:
    case W_NEST_PAST:
    case W_NEST_CUT:
    case V_TWO_BODIES:
    case V_EMPTY_BODY:
    case V_PERIOD:
    case W_MSG_FIX32:
        report = false;
        break;
    default:
        break;
    }
    /* faults inside the case report go into `sub` before it is written; any other
       fault goes after a complete report, at the end of the body */
    bool fault_in_sub = id == W_PACK_CUT || id == U_SURROGATE || id == U_ABOVE_MAX ||
                        id == R_65_IDS || id == R_HUGE_PACK || id == R_HUGE_STRS ||
                        id == R_ENUM_PACK || id == V_NEG_COUNT;
    if (head)
        s_head(body, id_text);
    if (report)
        s_report(sub);
    if (report && !fault_in_sub) {
        s_sub(body, S_ENV_CASE_REPORT, sub);
        sub->len = 0;
    }

    switch (id) {
    case F_LOWER:
        req->frames[0] = "submit";
        break;
    case F_NUL:
        req->frames[0] = "SUBMIT\0";
        req->lens[0] = 7;
        break;
    case F_NO_CMD:
        req->frames[0] = "";
        req->lens[0] = 0;
        break;
    case F_EMPTY_3RD:
        req->count = 3;
        req->frames[2] = "";
        req->lens[2] = 0;
        break;
    case F_FOUR:
        req->count = 4;
        req->frames[2] = "a";
        req->frames[3] = "b";
        req->lens[2] = req->lens[3] = 1;
        break;
    case F_EMPTY_BODY:
        break;
    case F_CAP_PLUS_1: {
        /* a well-formed envelope padded with an unknown string field to 65,537 bytes */
        s_head(body, id_text);
        size_t pad = DAJIA_MAX_MESSAGE + 1 - body->len - 5; /* tag: 2 bytes, length: 3 */
        s_tag(body, 99, S_WT_LEN);
        s_varint(body, pad);
        assert_true(body->len + pad <= S_BUF_CAP);
        memset(body->data + body->len, 'p', pad);
        body->len += pad;
        assert_int_equal(body->len, DAJIA_MAX_MESSAGE + 1);
        break;
    }
    case W_VARINT_CUT:
        s_bytes(body, 2, 0x20, 0x80);
        break;
    case W_VARINT_11:
        s_bytes(body, 1, 0x20);
        for (int i = 0; i < 10; i++)
            s_bytes(body, 1, 0xff);
        s_bytes(body, 1, 0x01);
        break;
    case W_STR_VARINT:
        s_bytes(body, 2, 0x08, 0x01);
        break;
    case W_INT_LEN:
        s_bytes(body, 3, 0x22, 0x01, 0x00);
        break;
    case W_MSG_FIX32:
        s_bytes(body, 5, 0x55, 0, 0, 0, 0);
        break;
    case W_INT_FIX64:
        s_bytes(body, 9, 0x21, 1, 2, 3, 4, 5, 6, 7, 8);
        break;
    case W_GROUP:
        s_bytes(body, 1, 0x0b);
        break;
    case W_WT7:
        s_bytes(body, 1, 0x0f);
        break;
    case W_FIELD0:
        s_bytes(body, 2, 0x00, 0x00);
        break;
    case W_FIELD0_LONG:
        s_bytes(body, 3, 0x80, 0x00, 0x01);
        break;
    case W_LEN_PAST:
        s_bytes(body, 4, 0x0a, 0x05, 'a', 'b');
        break;
    case W_LEN_HUGE:
        s_bytes(body, 7, 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 'a');
        break;
    case W_NEST_OVER:
        /* case_report of 4 bytes: case_no tag, length 10, two bytes; then a region */
        s_bytes(body, 6, 0x52, 0x04, 0x0a, 0x0a, 'P', 'S');
        S_STR_LIT(body, S_ENV_REGION, "411502");
        break;
    case W_NEST_PAST:
        s_bytes(body, 5, 0x52, 0x7f, 0x0a, 0x01, 'P');
        break;
    case W_NEST_CUT:
        s_bytes(body, 4, 0x52, 0x02, 0x28, 0x80);
        break;
    case W_PACK_CUT:
        s_bytes(sub, 4, 0x32, 0x02, 0x01, 0x80);
        break;
    case W_FIX32_CUT:
        s_bytes(body, 3, 0x7d, 0x01, 0x02);
        break;
    case W_UNK_PAST:
        s_tag(body, 99, S_WT_LEN);
        s_bytes(body, 4, 100, 'a', 'b', 'c');
        break;
    case U_ID:
        S_STR_LIT(body, S_ENV_EVENT_ID, "\xc3\x28");
        S_STR_LIT(body, S_ENV_UNIT, "psb");
        s_int(body, S_ENV_OCCURRED_AT, (uint64_t)(harness_now_ms() - 3600 * 1000));
        s_report(sub);
        break;
    case U_UNIT:
        s_str(body, S_ENV_EVENT_ID, id_text, strlen(id_text));
        S_STR_LIT(body, S_ENV_UNIT, "\x80psb");
        s_int(body, S_ENV_OCCURRED_AT, (uint64_t)(harness_now_ms() - 3600 * 1000));
        s_report(sub);
        break;
    case U_OVERLONG:
        S_STR_LIT(body, S_ENV_REPORTER,
                  "a\xc0\xaf"
                  "b");
        break;
    case U_SURROGATE:
        S_STR_LIT(sub, S_CR_CASE_NAME, "fake \xed\xa0\x80 tea");
        break;
    case U_CUT:
        S_STR_LIT(body, S_ENV_REGION, "41150\xe5\x81");
        break;
    case U_ABOVE_MAX:
        S_STR_LIT(sub, S_CR_PLATFORM_IDS, "P-\xf4\x90\x80\x80");
        break;
    case U_ID_LONG: {
        char long_id[DAJIA_MAX_ID + 2];
        memset(long_id, 'a', DAJIA_MAX_ID + 1);
        long_id[DAJIA_MAX_ID + 1] = '\0';
        s_head(body, long_id);
        s_report(sub);
        break;
    }
    case R_65_IDS:
        for (int i = 0; i <= DAJIA_MAX_REPEATED; i++)
            S_STR_LIT(sub, S_CR_PLATFORM_IDS, "P-1");
        break;
    case R_HUGE_PACK:
        s_tag(sub, S_CR_GOODS, S_WT_LEN);
        s_varint(sub, S_HUGE_REPEATED);
        for (int i = 0; i < S_HUGE_REPEATED; i++)
            s_bytes(sub, 1, 0x02);
        break;
    case R_HUGE_STRS:
        for (int i = 0; i < S_HUGE_REPEATED; i++)
            s_str(sub, S_CR_INVOLVED_UNITS, "", 0);
        break;
    case R_ENUM_PACK:
        s_tag(sub, S_CR_GOODS, S_WT_LEN);
        s_varint(sub, 3);
        s_bytes(sub, 3, 0x01, 0xe7, 0x07); /* 1, 999 */
        break;
    case V_NEG_COUNT:
        s_int(sub, S_CR_SUSPECTS_ARRESTED, UINT64_MAX); /* -1, sign-extended */
        break;
    case V_TWO_BODIES:
        s_report(sub);
        s_sub(body, S_ENV_CASE_REPORT, sub);
        sub->len = 0;
        s_sub(body, S_ENV_MAJOR_MATTER, sub);
        break;
    case V_EMPTY_BODY:
        s_bytes(body, 2, 0x52, 0x00);
        break;
    case V_PERIOD:
        S_STR_LIT(sub, S_DI_INFO_ID, "INFO-1");
        S_STR_LIT(sub, S_DI_PERIOD, "2026-13");
        s_int(sub, S_DI_KIND, 1);
        S_STR_LIT(sub, S_DI_TITLE, "monthly dynamic");
        s_sub(body, S_ENV_DYNAMIC_INFO, sub);
        sub->len = 0;
        break;
    }
    if (sub->len)
        s_sub(body, S_ENV_CASE_REPORT, sub);
    req->lens[1] = body->len;
}

static void
test_bad_input_each_request_rejected_with_reason_and_nothing_stored(void **state)
{
    fixture_t *fx = *state;
    s_outcome_t outcomes[S_MAX_CASES];
    size_t n = 0;
    Dajia__Envelope env;
    Dajia__CaseReport report;

    /* --- the log before: one valid event --- */
    harness_envelope_init(&env, &report, "psb", "before-1", "PSB-BEFORE-1");
    s_expect_accepted(fx->client, &env, "before-1", 1);
    char *before = harness_autofree(harness_client_stats(fx->client));
    assert_non_null(before);
    assert_int_equal(harness_json_u64(before, "log/last_seq"), 1);

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
        outcomes[n++] = (s_outcome_t){"random bytes, one frame",
                                      s_expect_rejected(fx, "random bytes, one frame", 1, frames,
                                                        lens, DAJIA__REASON__REASON_UNKNOWN_COMMAND,
                                                        DAJIA__REASON__REASON_BAD_FRAMES)};
    }
    {
        const void *frames[] = {"SUBMIT"};
        const size_t lens[] = {6};
        outcomes[n++] = (s_outcome_t){"SUBMIT without a body",
                                      s_expect_rejected(fx, "SUBMIT without a body", 1, frames,
                                                        lens, DAJIA__REASON__REASON_BAD_FRAMES,
                                                        DAJIA__REASON__REASON_BAD_FRAMES)};
    }
    {
        const void *frames[] = {"", ""};
        const size_t lens[] = {0, 0};
        outcomes[n++] =
            (s_outcome_t){"empty frames", s_expect_rejected(fx, "empty frames", 2, frames, lens,
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
        outcomes[n++] =
            (s_outcome_t){"extra frame", s_expect_rejected(fx, "extra frame", 3, frames, lens,
                                                           DAJIA__REASON__REASON_BAD_FRAMES,
                                                           DAJIA__REASON__REASON_BAD_FRAMES)};
    }
    {
        harness_envelope_init(&env, &report, "psb", "unknown-command-1", "PSB-CMD-1");
        size_t len = 0;
        uint8_t *buf = s_pack(fx, &env, &len);
        const void *frames[] = {"DELETE", buf};
        const size_t lens[] = {6, len};
        outcomes[n++] = (s_outcome_t){"unknown command",
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
        outcomes[n++] = (s_outcome_t){"SUBMIT + random bytes",
                                      s_expect_rejected(fx, "SUBMIT + random bytes", 2, frames,
                                                        lens, DAJIA__REASON__REASON_MALFORMED,
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
        outcomes[n++] = (s_outcome_t){"truncated envelope",
                                      s_expect_rejected(fx, "truncated envelope", 2, frames, lens,
                                                        DAJIA__REASON__REASON_MALFORMED,
                                                        DAJIA__REASON__REASON_MALFORMED)};
    }
    {
        fx->big = calloc(1, S_OVER_CAP_LEN);
        assert_non_null(fx->big);
        const void *frames[] = {"SUBMIT", fx->big};
        const size_t lens[] = {6, S_OVER_CAP_LEN};
        outcomes[n++] = (s_outcome_t){"70,000-byte body",
                                      s_expect_rejected(fx, "70,000-byte body", 2, frames, lens,
                                                        DAJIA__REASON__REASON_TOO_LARGE,
                                                        DAJIA__REASON__REASON_TOO_LARGE)};
        free(fx->big);
        fx->big = NULL;
    }

    /* --- envelopes that decode but break a rule; one fault each --- */
    harness_envelope_init(&env, &report, "atlantis", "unknown-unit-1", "X-1");
    outcomes[n++] = (s_outcome_t){
        "unknown unit",
        s_expect_envelope_rejected(fx, "unknown unit", &env, DAJIA__REASON__REASON_UNKNOWN_UNIT)};

    harness_envelope_init(&env, &report, "psb", "no-body-1", "PSB-NOBODY-1");
    env.body_case = DAJIA__ENVELOPE__BODY__NOT_SET;
    env.case_report = NULL;
    outcomes[n++] = (s_outcome_t){
        "missing body",
        s_expect_envelope_rejected(fx, "missing body", &env, DAJIA__REASON__REASON_MISSING_BODY)};

    harness_envelope_init(&env, &report, "psb", "negative-1", "PSB-NEG-1");
    report.case_value_fen = -100;
    outcomes[n++] = (s_outcome_t){
        "negative amount", s_expect_envelope_rejected(fx, "negative amount", &env,
                                                      DAJIA__REASON__REASON_NEGATIVE_AMOUNT)};

    static char long_text[S_LONG_TEXT_LEN + 1];
    memset(long_text, 'x', S_LONG_TEXT_LEN);
    long_text[S_LONG_TEXT_LEN] = '\0';
    harness_envelope_init(&env, &report, "psb", "long-text-1", "PSB-LONG-1");
    report.case_name = long_text;
    outcomes[n++] = (s_outcome_t){
        "over-long string", s_expect_envelope_rejected(fx, "over-long string", &env,
                                                       DAJIA__REASON__REASON_STRING_TOO_LONG)};

    harness_envelope_init(&env, &report, "psb", "", "PSB-NOID-1");
    outcomes[n++] = (s_outcome_t){
        "missing event_id", s_expect_envelope_rejected(fx, "missing event_id", &env,
                                                       DAJIA__REASON__REASON_MISSING_EVENT_ID)};

    harness_envelope_init(&env, &report, "psb", "bad id/1", "PSB-BADID-1");
    outcomes[n++] =
        (s_outcome_t){"bad event_id", s_expect_envelope_rejected(fx, "bad event_id", &env,
                                                                 DAJIA__REASON__REASON_BAD_ID)};

    harness_envelope_init(&env, &report, "psb", "future-1", "PSB-FUT-1");
    env.occurred_at = harness_now_ms() + 30LL * 86400 * 1000;
    outcomes[n++] = (s_outcome_t){"time in the future",
                                  s_expect_envelope_rejected(fx, "time in the future", &env,
                                                             DAJIA__REASON__REASON_TIME_IN_FUTURE)};

    harness_envelope_init(&env, &report, "psb", "ancient-1", "PSB-OLD-1");
    env.occurred_at = 631152000000LL; /* 1990-01-01 */
    outcomes[n++] = (s_outcome_t){
        "time before 2000", s_expect_envelope_rejected(fx, "time before 2000", &env,
                                                       DAJIA__REASON__REASON_TIME_BEFORE_2000)};

    harness_envelope_init(&env, &report, "psb", "gbk-1", "PSB-GBK-1");
    report.case_name = "\xbc\xd9\xc3\xb0"; /* "假冒" in GBK: not UTF-8 */
    outcomes[n++] = (s_outcome_t){
        "invalid UTF-8",
        s_expect_envelope_rejected(fx, "invalid UTF-8", &env, DAJIA__REASON__REASON_INVALID_UTF8)};

    harness_envelope_init(&env, &report, "psb", "enum-1", "PSB-ENUM-1");
    report.stage = (Dajia__CaseStage)999;
    outcomes[n++] = (s_outcome_t){
        "enum out of range", s_expect_envelope_rejected(fx, "enum out of range", &env,
                                                        DAJIA__REASON__REASON_ENUM_OUT_OF_RANGE)};

    harness_envelope_init(&env, &report, "psb", "no-case-no-1", "");
    outcomes[n++] = (s_outcome_t){"missing case_no",
                                  s_expect_envelope_rejected(fx, "missing case_no", &env,
                                                             DAJIA__REASON__REASON_MISSING_FIELD)};

    /* --- the hand-written bytes of s_cases --- */
    s_buf_t body = {harness_autofree(malloc(S_BUF_CAP)), 0};
    s_buf_t sub = {harness_autofree(malloc(S_BUF_CAP)), 0};
    assert_non_null(body.data);
    assert_non_null(sub.data);
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const s_case_t *c = &s_cases[i];
        s_request_t req;
        s_build(c->id, &body, &sub, &req);
        assert_true(n < S_MAX_CASES);
        outcomes[n++] = (s_outcome_t){c->what, s_expect_rejected(fx, c->what, req.count, req.frames,
                                                                 req.lens, c->reason, c->reason)};
    }
    assert_true(n >= 30);

    /* --- the log is as it was, and STATS counts every rejection under its reason --- */
    char *stats = harness_autofree(harness_client_stats(fx->client));
    assert_non_null(stats);
    print_message("%zu bad requests; STATS %s\n", n, stats);
    assert_int_equal(harness_json_u64(stats, "log/last_seq"), 1);
    assert_int_equal(harness_json_u64(stats, "accepted"), 1);
    assert_int_equal(harness_json_u64(stats, "throttled"), 0);
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

    harness_record_t *records = NULL;
    size_t count = 0;
    assert_int_equal(harness_dump(fx->base.data, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(count, 1);
    assert_int_equal(records[0].log_seq, 1);
    assert_string_equal(records[0].unit, "psb");
    assert_string_equal(records[0].event_id, "before-1");

    /* --- the broker is unharmed: it stores the next valid event right after --- */
    assert_true(harness_proc_running(fx->base.broker));
    harness_envelope_init(&env, &report, "psb", "after-1", "PSB-AFTER-1");
    s_expect_accepted(fx->client, &env, "after-1", 2);
    records = NULL;
    assert_int_equal(harness_dump(fx->base.data, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(count, 2);
    assert_int_equal(harness_check_log(records, count), 0);
    assert_string_equal(records[1].event_id, "after-1");

    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
}

static void
test_bad_input_oversized_wire_frame_costs_only_that_connection(void **state)
{
    fixture_t *fx = *state;
    /* A frame past the broker's wire cap makes libzmq drop that peer; the broker itself
       must carry on serving others. */
    harness_client_t *rude = NULL;
    assert_int_equal(harness_client_new(fx->base.api, 1000, &rude), 0);
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

    assert_true(harness_proc_running(fx->base.broker));
    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
}

/* What a flooding connection got back. */
typedef struct {
    size_t answers;   /* replies of any kind */
    size_t malformed; /* REJECTED/MALFORMED: its requests, decoded and refused */
    size_t notices;   /* REJECTED/FORBIDDEN with the throttle's sentence */
} s_flood_t;

/* Receives what `client` gets until nothing comes for its receive timeout. */
static void
s_flood_collect(harness_client_t *client, s_flood_t *out)
{
    memset(out, 0, sizeof *out);
    Dajia__Ack *ack = NULL;
    while (harness_client_recv_ack(client, &ack) == 0) {
        out->answers++;
        if (ack->status == DAJIA__ACK_STATUS__ACK_STATUS_REJECTED) {
            if (ack->reason == DAJIA__REASON__REASON_MALFORMED)
                out->malformed++;
            else if (ack->reason == DAJIA__REASON__REASON_FORBIDDEN &&
                     strstr(ack->reason_text, S_THROTTLE_TEXT))
                out->notices++;
        }
        dajia__ack__free_unpacked(ack, NULL);
        ack = NULL;
    }
}

/* A bad request: SUBMIT + bytes that are no protobuf (tag with field number 0). */
static int
s_send_garbage(harness_client_t *client, size_t i)
{
    uint8_t junk[16];
    for (size_t j = 0; j < sizeof junk; j++)
        junk[j] = (uint8_t)(i * 31 + j * 7);
    junk[0] = 0x07;
    const void *frames[] = {"SUBMIT", junk};
    const size_t lens[] = {6, sizeof junk};
    return harness_client_send(client, 2, frames, lens);
}

static void
test_bad_input_reject_flood_is_throttled_while_others_flow(void **state)
{
    fixture_t *fx = *state;
    harness_client_t *flooder = NULL;
    assert_int_equal(harness_client_new(fx->base.api, S_FLOOD_RECV_MS, &flooder), 0);

    /* The flood and the steady events interleaved: one valid event every
       S_FLOOD / S_STEADY bad requests, on another connection. */
    Dajia__Envelope env;
    Dajia__CaseReport report;
    size_t steady = 0;
    int rc = 0;
    for (size_t i = 0; i < S_FLOOD && rc == 0; i++) {
        rc = s_send_garbage(flooder, i);
        if (rc == 0 && i % (S_FLOOD / S_STEADY) == 0) {
            char *id = S_STR("steady-%zu", steady);
            harness_envelope_init(&env, &report, "customs", id, S_STR("CUS-STEADY-%zu", steady));
            rc = harness_client_submit(fx->client, &env);
            steady++;
        }
    }
    if (rc != 0)
        harness_client_destroy(&flooder);
    assert_int_equal(rc, 0);
    assert_int_equal(steady, S_STEADY);

    /* Every valid event is stored, however hard the flooder pushes. */
    size_t accepted = 0;
    for (size_t i = 0; i < S_STEADY; i++) {
        Dajia__Ack *ack = NULL;
        if (harness_client_recv_ack(fx->client, &ack) != 0)
            break;
        accepted += ack->status == DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED &&
                    strncmp(ack->event_id, "steady-", 7) == 0;
        dajia__ack__free_unpacked(ack, NULL);
    }

    s_flood_t flood;
    s_flood_collect(flooder, &flood);
    harness_client_destroy(&flooder);
    print_message("flood of %d: %zu answers (%zu malformed, %zu throttle notices); %zu of %d "
                  "valid events accepted\n",
                  S_FLOOD, flood.answers, flood.malformed, flood.notices, accepted, S_STEADY);
    assert_int_equal(accepted, S_STEADY);

    /* The flooder was throttled: fewer answers than requests, and told why. */
    assert_true(flood.answers < S_FLOOD);
    assert_true(flood.notices >= 1);
    assert_int_equal(flood.answers, flood.malformed + flood.notices);

    /* STATS: every request is either rejected and answered, or throttled (dropped, the
       notices included), and nothing bad is stored. */
    char *stats = harness_autofree(harness_client_stats(fx->client));
    assert_non_null(stats);
    print_message("STATS %s\n", stats);
    int64_t throttled = harness_json_u64(stats, "throttled");
    assert_true(throttled > 0);
    assert_int_equal(throttled + (int64_t)flood.malformed, S_FLOOD);
    assert_int_equal(harness_json_u64(stats, "rejected_by_reason/malformed"),
                     (int64_t)flood.malformed);
    assert_int_equal(harness_json_u64(stats, "accepted"), S_STEADY);
    assert_int_equal(harness_json_u64(stats, "log/last_seq"), S_STEADY);

    /* The throttle lasts the second: the flooder's connection is served again later. */
    harness_client_t *again = NULL;
    assert_int_equal(harness_client_new(fx->base.api, HARNESS_RECV_TIMEOUT_MS, &again), 0);
    harness_envelope_init(&env, &report, "customs", "after-flood-1", "CUS-AFTER-1");
    s_expect_accepted(again, &env, "after-flood-1", S_STEADY + 1);
    harness_client_destroy(&again);

    harness_record_t *records = NULL;
    size_t count = 0;
    assert_int_equal(harness_dump(fx->base.data, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(count, S_STEADY + 1);
    assert_int_equal(harness_check_log(records, count), 0);
    assert_true(harness_proc_running(fx->base.broker));
    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
}

/* ======================================================= member codes and the region */

/* Submits `env` and checks it is REJECTED with `reason`, answered with its event_id, and
   a sentence that contains `words` (the field, named as the liaison finds it in the
   form). */
static void
s_expect_refused_naming(fixture_t *fx, const Dajia__Envelope *env, Dajia__Reason reason,
                        const char *words)
{
    assert_int_equal(harness_client_submit(fx->client, env), 0);
    Dajia__Ack *ack = NULL;
    assert_int_equal(harness_client_recv_ack(fx->client, &ack), 0);
    char text[DAJIA_REASON_TEXT_MAX];
    snprintf(text, sizeof text, "%s", ack->reason_text);
    Dajia__AckStatus status = ack->status;
    Dajia__Reason got = ack->reason;
    bool same_id = strcmp(ack->event_id, env->event_id) == 0;
    dajia__ack__free_unpacked(ack, NULL);
    print_message("%-28s -> %-16s %s\n", env->event_id, dajia_reason_name(got), text);
    if (status != DAJIA__ACK_STATUS__ACK_STATUS_REJECTED || got != reason)
        fail_msg("%s: expected REJECTED/%s, got status %d reason %s (\"%s\")", env->event_id,
                 dajia_reason_name(reason), status, dajia_reason_name(got), text);
    if (!strstr(text, words))
        fail_msg("%s: \"%s\" does not contain \"%s\"", env->event_id, text, words);
    assert_true(same_id);
}

/* involved_units and a related case's unit must be member codes, region a code of the
   configured region (broker/region, 4115 by default): each refused with the field
   named, nothing stored; the same fields filled rightly are taken. */
static void
test_bad_input_unit_codes_and_region_refused_with_the_field_named(void **state)
{
    fixture_t *fx = *state;
    Dajia__Envelope env;
    Dajia__CaseReport report;
    char *units[] = {"msa", "interpol"};

    harness_envelope_init(&env, &report, "psb", "involved-1", "PSB-INV-1");
    report.involved_units = units;
    report.n_involved_units = 2;
    s_expect_refused_naming(fx, &env, DAJIA__REASON__REASON_NOT_A_MEMBER,
                            "case_report.involved_units[1] \"interpol\"");

    Dajia__MajorMatterReport major = DAJIA__MAJOR_MATTER_REPORT__INIT;
    Dajia__RelatedCase related = DAJIA__RELATED_CASE__INIT;
    Dajia__RelatedCase *related_list[] = {&related};
    major.matter_id = "MM-RELATED-1";
    major.type = DAJIA__MATTER_TYPE__MATTER_TYPE_CROSS_REGION_CASE;
    major.severity = DAJIA__SEVERITY__SEVERITY_MAJOR;
    major.title = "跨部门协查";
    related.unit = "gongan";
    related.case_no = "固公（经）立字〔2026〕32号";
    major.related_cases = related_list;
    major.n_related_cases = 1;
    harness_envelope_init(&env, &report, "msa", "related-1", "unused");
    env.body_case = DAJIA__ENVELOPE__BODY_MAJOR_MATTER;
    env.major_matter = &major;
    s_expect_refused_naming(fx, &env, DAJIA__REASON__REASON_NOT_A_MEMBER,
                            "major_matter.related_cases[0].unit \"gongan\"");

    harness_envelope_init(&env, &report, "psb", "region-1", "PSB-REG-1");
    env.region = "410102"; /* Zhengzhou */
    s_expect_refused_naming(fx, &env, DAJIA__REASON__REASON_BAD_REGION,
                            "region \"410102\" is not an administrative code of the configured "
                            "region: six digits beginning with 4115");
    harness_envelope_init(&env, &report, "psb", "region-2", "PSB-REG-2");
    env.region = "信阳市";
    s_expect_refused_naming(fx, &env, DAJIA__REASON__REASON_BAD_REGION, "region \"信阳市\"");

    /* Filled rightly, the same events are stored. */
    harness_envelope_init(&env, &report, "psb", "involved-ok", "PSB-INV-1");
    units[1] = "customs";
    report.involved_units = units;
    report.n_involved_units = 2;
    env.region = "411525";
    s_expect_accepted(fx->client, &env, "involved-ok", 1);
    related.unit = "psb";
    harness_envelope_init(&env, &report, "msa", "related-ok", "unused");
    env.body_case = DAJIA__ENVELOPE__BODY_MAJOR_MATTER;
    env.major_matter = &major;
    s_expect_accepted(fx->client, &env, "related-ok", 2);

    char *stats = harness_autofree(harness_client_stats(fx->client));
    assert_non_null(stats);
    assert_int_equal(harness_json_u64(stats, "rejected_by_reason/not_a_member"), 2);
    assert_int_equal(harness_json_u64(stats, "rejected_by_reason/bad_region"), 2);
    assert_int_equal(harness_json_u64(stats, "log/last_seq"), 2);
    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
    harness_record_t *records = NULL;
    size_t count = 0;
    assert_int_equal(harness_dump(fx->base.data, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(count, 2);
    assert_string_equal(records[0].event_id, "involved-ok");
    assert_string_equal(records[1].event_id, "related-ok");
}

static int
s_setup_henan(void **state)
{
    static const char *const extra[] = {"--region", "41", NULL};
    return s_setup_with(state, extra);
}

/* broker/region is the broker's own: set to Henan (41), Zhengzhou's 410102 is taken and
   Wuhan's 420102 refused, with the configured digits named. */
static void
test_bad_input_region_follows_the_setting(void **state)
{
    fixture_t *fx = *state;
    Dajia__Envelope env;
    Dajia__CaseReport report;
    harness_envelope_init(&env, &report, "psb", "henan-1", "PSB-HN-1");
    env.region = "410102";
    s_expect_accepted(fx->client, &env, "henan-1", 1);
    harness_envelope_init(&env, &report, "psb", "hubei-1", "PSB-HB-1");
    env.region = "420102";
    s_expect_refused_naming(fx, &env, DAJIA__REASON__REASON_BAD_REGION,
                            "six digits beginning with 41");
    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
}

static void
test_bad_input_reject_budget_zero_answers_every_reject(void **state)
{
    fixture_t *fx = *state;
    harness_client_t *flooder = NULL;
    assert_int_equal(harness_client_new(fx->base.api, S_FLOOD_RECV_MS, &flooder), 0);
    int rc = 0;
    for (size_t i = 0; i < S_FLOOD_NO_BUDGET && rc == 0; i++)
        rc = s_send_garbage(flooder, i);
    s_flood_t flood = {0, 0, 0};
    if (rc == 0)
        s_flood_collect(flooder, &flood);
    harness_client_destroy(&flooder);
    assert_int_equal(rc, 0);
    assert_int_equal(flood.answers, S_FLOOD_NO_BUDGET);
    assert_int_equal(flood.malformed, S_FLOOD_NO_BUDGET);

    char *stats = harness_autofree(harness_client_stats(fx->client));
    assert_non_null(stats);
    assert_int_equal(harness_json_u64(stats, "throttled"), 0);
    assert_int_equal(harness_json_u64(stats, "rejected"), S_FLOOD_NO_BUDGET);
    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_bad_input_each_request_rejected_with_reason_and_nothing_stored, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown(
            test_bad_input_oversized_wire_frame_costs_only_that_connection, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_reject_flood_is_throttled_while_others_flow,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_reject_budget_zero_answers_every_reject,
                                        s_setup_no_budget, s_teardown),
        cmocka_unit_test_setup_teardown(
            test_bad_input_unit_codes_and_region_refused_with_the_field_named, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_region_follows_the_setting, s_setup_henan,
                                        s_teardown),
    };
    int failed = cmocka_run_group_tests_name("integration.bad_input", tests, NULL, NULL);
    zsys_shutdown();
    return failed;
}
