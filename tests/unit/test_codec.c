/*  test_codec: envelope decoding and validation, reasons, derived event ids.

    Every test starts from an envelope that is valid (a case report from the market
    regulator, unless the test switches the body), breaks one thing, and checks both the
    reason code and that the sentence names the field, as the liaison will read it.
    Envelopes go through pack and dajia_envelope_decode, the broker's own path, and
    through the broker's fast path, dajia_wire_accept, which must never accept what
    decode refuses, must read the same keys, and must take every accepted fixture (each
    is an ordinary event).
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
#include "dajia_compat.h"
#include "dajia_json.h"
#include "dajia_wire.h"

#define NOW_MS           1796083200000LL /* 2026-12-01T00:00:00Z */
#define OCCURRED_MS      1795161600000LL /* 2026-11-20T08:00:00Z */
#define FIXTURE_LINE_MAX 16384

/* Big enough for the longest text plus one byte, and its NUL. */
#define TEXT_BUF (DAJIA_MAX_LONG_TEXT + 2)

typedef struct {
    Dajia__Envelope env;
    Dajia__CaseReport case_report;
    Dajia__MajorMatterReport major;
    Dajia__MajorMatterProgress progress;
    Dajia__DynamicInfo info;
    char *platform_ids[2];
    Dajia__GoodsCategory goods[DAJIA_MAX_REPEATED + 1];
    char *units[DAJIA_MAX_REPEATED + 1];
    Dajia__RelatedCase related[2];
    Dajia__RelatedCase *related_list[2];
    char text[TEXT_BUF];
    dajia_verdict_t verdict;
    bool wire_accepted; /* what dajia_wire_accept said of the last decode */
} fixture_t;

static const char *const s_members[] = {"msa",     "psb",  "culture", "tobacco",
                                        "customs", "post", "forestea"};

static bool
s_known(const char *unit, void *arg)
{
    int *calls = arg;
    if (calls)
        (*calls)++;
    for (size_t i = 0; i < sizeof s_members / sizeof s_members[0]; i++)
        if (strcmp(unit, s_members[i]) == 0)
            return true;
    return false;
}

// ================================================================== fixtures

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    dajia__envelope__init(&f->env);
    dajia__case_report__init(&f->case_report);
    dajia__major_matter_report__init(&f->major);
    dajia__major_matter_progress__init(&f->progress);
    dajia__dynamic_info__init(&f->info);

    f->env.event_id = "msa-20261120-0001";
    f->env.unit = "msa";
    f->env.reporter = "王丽";
    f->env.occurred_at = OCCURRED_MS;
    f->env.reported_at = OCCURRED_MS + 3600 * 1000;
    f->env.region = "411502";

    f->case_report.case_no = "信市监处罚〔2026〕118号";
    f->platform_ids[0] = "HN-IPR-2026-004471";
    f->platform_ids[1] = "CN-12315-88120";
    f->case_report.platform_ids = f->platform_ids;
    f->case_report.n_platform_ids = 2;
    f->case_report.case_name = "销售假冒“信阳毛尖”茶叶案";
    f->case_report.category = DAJIA__CASE_CATEGORY__CASE_CATEGORY_GEOGRAPHICAL_INDICATION;
    f->goods[0] = DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_TEA;
    f->goods[1] = DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_FOOD;
    f->case_report.goods = f->goods;
    f->case_report.n_goods = 2;
    f->case_report.case_value_fen = 8640000;
    f->case_report.filed_at = OCCURRED_MS - 86400 * 1000;
    f->case_report.stage = DAJIA__CASE_STAGE__CASE_STAGE_FILED;
    f->case_report.dens_destroyed = 1;
    f->case_report.seized_quantity = 176;
    f->env.body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
    f->env.case_report = &f->case_report;

    f->major.matter_id = "MM-2026-0004";
    f->major.type = DAJIA__MATTER_TYPE__MATTER_TYPE_CROSS_REGION_CASE;
    f->major.severity = DAJIA__SEVERITY__SEVERITY_MAJOR;
    f->major.title = "跨省制售假冒白酒案件需协同";
    f->major.update_interval_days = 7;

    f->progress.matter_id = "MM-2026-0004";
    f->progress.seq = 1;
    f->progress.status = DAJIA__MATTER_STATUS__MATTER_STATUS_IN_PROGRESS;
    f->progress.narrative = "已召开协调会";

    f->info.info_id = "DYN-2026-11-03";
    f->info.period = "2026-11";
    f->info.kind = DAJIA__INFO_KIND__INFO_KIND_CAMPAIGN_PROGRESS;
    f->info.title = "“剑网2026”专项行动进展";
    f->info.campaign_tag = "剑网";

    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    free(*state);
    return 0;
}

static void
s_use_major(fixture_t *f)
{
    f->env.body_case = DAJIA__ENVELOPE__BODY_MAJOR_MATTER;
    f->env.major_matter = &f->major;
}

static void
s_use_progress(fixture_t *f)
{
    f->env.body_case = DAJIA__ENVELOPE__BODY_MATTER_PROGRESS;
    f->env.matter_progress = &f->progress;
}

static void
s_use_info(fixture_t *f)
{
    f->env.body_case = DAJIA__ENVELOPE__BODY_DYNAMIC_INFO;
    f->env.dynamic_info = &f->info;
}

/* `n` copies of `c` in the fixture's text buffer. */
static char *
s_text(fixture_t *f, char c, size_t n)
{
    assert_true(n < sizeof f->text);
    memset(f->text, c, n);
    f->text[n] = '\0';
    return f->text;
}

/* Runs `len` bytes through decode and through the fast path, and holds the fast path
   to its promise: it never accepts what decode refuses, and reads the same keys. */
static int
s_judge(fixture_t *f, const uint8_t *buf, size_t len, const dajia_limits_t *limits)
{
    Dajia__Envelope *out = (Dajia__Envelope *)0x1;
    memset(&f->verdict, 0, sizeof f->verdict);
    int rc = dajia_envelope_decode(buf, len, limits, NOW_MS, s_known, NULL, &out, &f->verdict);
    dajia_wire_keys_t keys;
    f->wire_accepted = dajia_wire_accept(buf, len, limits, NOW_MS, s_known, NULL, &keys);
    if (rc == 0) {
        assert_non_null(out);
        if (f->wire_accepted) {
            assert_int_equal(keys.event_id_len, strlen(out->event_id));
            assert_memory_equal(keys.event_id, out->event_id, keys.event_id_len);
            assert_int_equal(keys.unit_len, strlen(out->unit));
            assert_memory_equal(keys.unit, out->unit, keys.unit_len);
            assert_int_equal(keys.submitted_at, out->submitted_at);
        }
        dajia__envelope__free_unpacked(out, NULL);
    } else {
        assert_null(out);
        if (f->wire_accepted)
            fail_msg("the fast path accepts what decode refuses (%s)",
                     dajia_reason_name(f->verdict.reason));
    }
    return rc;
}

/* Packs the envelope and runs it through decode, as the broker does. */
static int
s_decode_limits(fixture_t *f, const dajia_limits_t *limits)
{
    size_t len = dajia__envelope__get_packed_size(&f->env);
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    dajia__envelope__pack(&f->env, buf);
    int rc = s_judge(f, buf, len, limits);
    free(buf);
    return rc;
}

static int
s_decode(fixture_t *f)
{
    return s_decode_limits(f, NULL);
}

#define assert_accepted(f)                                                                         \
    do {                                                                                           \
        if (s_decode(f) != 0)                                                                      \
            fail_msg("rejected: %s (%s)", (f)->verdict.text,                                       \
                     dajia_reason_name((f)->verdict.reason));                                      \
        assert_int_equal((f)->verdict.reason, DAJIA__REASON__REASON_NONE);                         \
        if (!(f)->wire_accepted)                                                                   \
            fail_msg("the fast path does not take this ordinary event");                           \
    } while (0)

#define assert_rejected(f, code, words) assert_rejected_limits(f, NULL, code, words)

#define assert_rejected_limits(f, limits, code, words)                                             \
    do {                                                                                           \
        assert_int_equal(s_decode_limits(f, limits), -1);                                          \
        if ((f)->verdict.reason != (code))                                                         \
            fail_msg("expected %s, got %s: %s", dajia_reason_name(code),                           \
                     dajia_reason_name((f)->verdict.reason), (f)->verdict.text);                   \
        if (!strstr((f)->verdict.text, (words)))                                                   \
            fail_msg("text \"%s\" does not contain \"%s\"", (f)->verdict.text, (words));           \
    } while (0)

// ============================================================ accepted bodies

static void
test_case_report_valid_accepted(void **state)
{
    assert_accepted((fixture_t *)*state);
}

static void
test_major_matter_valid_accepted(void **state)
{
    fixture_t *f = *state;
    s_use_major(f);
    assert_accepted(f);
}

static void
test_matter_progress_valid_accepted(void **state)
{
    fixture_t *f = *state;
    s_use_progress(f);
    assert_accepted(f);
}

static void
test_dynamic_info_valid_accepted(void **state)
{
    fixture_t *f = *state;
    s_use_info(f);
    assert_accepted(f);
}

static void
test_decode_returns_envelope_with_fields(void **state)
{
    fixture_t *f = *state;
    size_t len = dajia__envelope__get_packed_size(&f->env);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    dajia__envelope__pack(&f->env, buf);
    Dajia__Envelope *out = NULL;
    int calls = 0;
    assert_int_equal(
        dajia_envelope_decode(buf, len, NULL, NOW_MS, s_known, &calls, &out, &f->verdict), 0);
    assert_int_equal(calls, 1);
    assert_non_null(out);
    assert_string_equal(out->event_id, "msa-20261120-0001");
    assert_int_equal(out->body_case, DAJIA__ENVELOPE__BODY_CASE_REPORT);
    assert_string_equal(out->case_report->case_no, "信市监处罚〔2026〕118号");
    assert_int_equal(out->case_report->n_goods, 2);
    dajia__envelope__free_unpacked(out, NULL);
    free(buf);
}

static void
test_validate_without_member_check_accepts_any_unit(void **state)
{
    fixture_t *f = *state;
    f->env.unit = "not-a-member";
    assert_int_equal(dajia_envelope_validate(&f->env, NULL, NOW_MS, NULL, NULL, &f->verdict), 0);
    assert_int_equal(dajia_envelope_validate(&f->env, NULL, NOW_MS, s_known, NULL, &f->verdict),
                     -1);
    assert_int_equal(f->verdict.reason, DAJIA__REASON__REASON_UNKNOWN_UNIT);
}

static void
test_validate_null_envelope_is_malformed(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(dajia_envelope_validate(NULL, NULL, NOW_MS, NULL, NULL, &f->verdict), -1);
    assert_int_equal(f->verdict.reason, DAJIA__REASON__REASON_MALFORMED);
}

// ================================================================ size, bytes

static void
test_decode_over_cap_rejected_too_large(void **state)
{
    fixture_t *f = *state;
    size_t len = DAJIA_MAX_MESSAGE + 1;
    uint8_t *buf = calloc(1, len);
    assert_non_null(buf);
    Dajia__Envelope *out = NULL;
    assert_int_equal(dajia_envelope_decode(buf, len, NULL, NOW_MS, NULL, NULL, &out, &f->verdict),
                     -1);
    assert_null(out);
    assert_int_equal(f->verdict.reason, DAJIA__REASON__REASON_TOO_LARGE);
    assert_non_null(strstr(f->verdict.text, "65537"));
    assert_non_null(strstr(f->verdict.text, "65536"));
    free(buf);
}

static void
test_decode_cap_from_limits(void **state)
{
    fixture_t *f = *state;
    dajia_limits_t limits;
    dajia_limits_default(&limits);
    size_t len = dajia__envelope__get_packed_size(&f->env);
    limits.max_message = len;
    assert_int_equal(s_decode_limits(f, &limits), 0);
    limits.max_message = len - 1;
    assert_int_equal(s_decode_limits(f, &limits), -1);
    assert_int_equal(f->verdict.reason, DAJIA__REASON__REASON_TOO_LARGE);
}

static void
test_decode_random_bytes_rejected_malformed(void **state)
{
    fixture_t *f = *state;
    uint8_t buf[256];
    unsigned seed = 12345;
    int malformed = 0;
    for (int round = 0; round < 2000; round++) {
        size_t len = 1 + (size_t)(round % (int)sizeof buf);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (uint8_t)(seed >> 16);
        }
        Dajia__Envelope *out = NULL;
        /* Random bytes must never be accepted nor crash; most are not protobuf at all. */
        assert_int_equal(
            dajia_envelope_decode(buf, len, NULL, NOW_MS, s_known, NULL, &out, &f->verdict), -1);
        assert_null(out);
        assert_int_not_equal(f->verdict.reason, DAJIA__REASON__REASON_NONE);
        if (f->verdict.reason == DAJIA__REASON__REASON_MALFORMED) {
            assert_non_null(strstr(f->verdict.text, "protobuf decoding failed"));
            malformed++;
        }
    }
    assert_true(malformed > 1000);
}

static void
test_decode_truncated_rejected(void **state)
{
    fixture_t *f = *state;
    size_t len = dajia__envelope__get_packed_size(&f->env);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    dajia__envelope__pack(&f->env, buf);
    int malformed = 0;
    for (size_t cut = 0; cut < len; cut++) {
        Dajia__Envelope *out = NULL;
        /* A cut in the middle of a field is malformed; a cut between fields leaves a
           shorter envelope that lacks something. Either way: refused, no crash. */
        assert_int_equal(
            dajia_envelope_decode(buf, cut, NULL, NOW_MS, s_known, NULL, &out, &f->verdict), -1);
        assert_null(out);
        if (f->verdict.reason == DAJIA__REASON__REASON_MALFORMED)
            malformed++;
    }
    assert_true(malformed > 0);
    free(buf);
}

/* Appends `extra` to the packed envelope (or to its case report, `nested`) and decodes. */
static int
s_decode_with_extra(fixture_t *f, const uint8_t *extra, size_t extra_len, bool nested)
{
    uint8_t buf[4096];
    size_t len;
    if (nested) {
        /* The body goes last, as field 10 with its length grown by extra_len. */
        Dajia__CaseReport *body = f->env.case_report;
        f->env.body_case = DAJIA__ENVELOPE__BODY__NOT_SET;
        f->env.case_report = NULL;
        len = dajia__envelope__pack(&f->env, buf);
        size_t body_len = dajia__case_report__get_packed_size(body) + extra_len;
        assert_true(body_len < 16384 && len + 3 + body_len < sizeof buf);
        buf[len++] = 0x52; /* field 10, length-delimited */
        if (body_len < 0x80) {
            buf[len++] = (uint8_t)body_len;
        } else {
            buf[len++] = (uint8_t)(0x80 | (body_len & 0x7F));
            buf[len++] = (uint8_t)(body_len >> 7);
        }
        len += dajia__case_report__pack(body, buf + len);
        f->env.case_report = body;
        f->env.body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
    } else {
        len = dajia__envelope__pack(&f->env, buf);
        assert_true(len + extra_len < sizeof buf);
    }
    memcpy(buf + len, extra, extra_len);
    len += extra_len;
    return s_judge(f, buf, len, NULL);
}

/* Found by tests/fuzz/fuzz_envelope: protobuf-c reads 0x80 0x00 as an unknown field
   numbered 0 and packs it back as 0x00, which nothing reads. Fields from a newer schema
   are still accepted. */
static void
test_decode_text_with_nul_byte_rejected(void **state)
{
    /* protobuf-c would cut "ab\0cd" to "ab": the event would be checked and deduplicated
       as something other than the bytes the log keeps. */
    fixture_t *f = *state;
    static const uint8_t reporter[] = {0x1A, 0x05, 'a', 'b', 0x00, 'c', 'd'}; /* field 3 */
    static const uint8_t case_name[] = {0x1A, 0x03, 'x', 0x00, 'y'};          /* field 3 */
    static const uint8_t clean[] = {0x1A, 0x02, 'a', 'b'};
    assert_int_equal(s_decode_with_extra(f, reporter, sizeof reporter, false), -1);
    assert_int_equal(f->verdict.reason, DAJIA__REASON__REASON_INVALID_UTF8);
    assert_non_null(strstr(f->verdict.text, "NUL"));
    assert_int_equal(s_decode_with_extra(f, case_name, sizeof case_name, true), -1);
    assert_int_equal(f->verdict.reason, DAJIA__REASON__REASON_INVALID_UTF8);
    assert_int_equal(s_decode_with_extra(f, clean, sizeof clean, false), 0);
}

static void
test_decode_field_number_zero_rejected_malformed(void **state)
{
    fixture_t *f = *state;
    static const uint8_t zero[] = {0x80, 0x00, 0x01};  /* field 0, varint 1 */
    static const uint8_t newer[] = {0x98, 0x06, 0x01}; /* field 99, varint 1 */
    assert_int_equal(s_decode_with_extra(f, zero, sizeof zero, false), -1);
    assert_int_equal(f->verdict.reason, DAJIA__REASON__REASON_MALFORMED);
    assert_non_null(strstr(f->verdict.text, "numbered 0"));
    assert_int_equal(s_decode_with_extra(f, zero, sizeof zero, true), -1);
    assert_int_equal(f->verdict.reason, DAJIA__REASON__REASON_MALFORMED);
    assert_non_null(strstr(f->verdict.text, "case_report"));
    assert_int_equal(s_decode_with_extra(f, newer, sizeof newer, false), 0);
    assert_int_equal(s_decode_with_extra(f, newer, sizeof newer, true), 0);
}

/* The fast path takes lists sent one item at a time as well as packed, and leaves to
   decode whatever protobuf-c reads leniently: fields of a newer schema, a field sent
   twice (the last one wins), a second body, a varint longer than its value needs or
   wider than its field. s_judge checks that decode agrees whenever it does accept. */
static void
test_wire_fast_path_takes_only_what_it_reads_exactly(void **state)
{
    fixture_t *f = *state;
    static const uint8_t unpacked_goods[] = {0x30, 0x06};     /* goods: TEA, unpacked */
    static const uint8_t newer[] = {0x98, 0x06, 0x01};        /* field 99, varint 1 */
    static const uint8_t id_again[] = {0x0A, 0x02, 'x', '1'}; /* event_id a second time */
    static const uint8_t second_body[] = {0x6A, 0x00};        /* an empty dynamic_info */
    static const uint8_t overlong[] = {0xA0, 0x02, 0x85, 0x80, 0x80, 0x80, 0x80, 0x00};
    static const uint8_t wide[] = {0xA0, 0x02, 0x85, 0x80, 0x80, 0x80, 0x10}; /* 2^32 + 5 */

    assert_int_equal(s_decode_with_extra(f, unpacked_goods, sizeof unpacked_goods, true), 0);
    assert_true(f->wire_accepted);
    assert_int_equal(s_decode_with_extra(f, newer, sizeof newer, false), 0);
    assert_false(f->wire_accepted);
    assert_int_equal(s_decode_with_extra(f, newer, sizeof newer, true), 0);
    assert_false(f->wire_accepted);
    assert_int_equal(s_decode_with_extra(f, id_again, sizeof id_again, false), 0);
    assert_false(f->wire_accepted);
    assert_int_equal(s_decode_with_extra(f, second_body, sizeof second_body, false), -1);
    assert_int_equal(f->verdict.reason, DAJIA__REASON__REASON_MISSING_FIELD);
    assert_int_equal(s_decode_with_extra(f, overlong, sizeof overlong, true), 0);
    assert_false(f->wire_accepted);
    assert_int_equal(s_decode_with_extra(f, wide, sizeof wide, true), 0);
    assert_false(f->wire_accepted);
}

static void
test_decode_empty_rejected_missing_event_id(void **state)
{
    fixture_t *f = *state;
    Dajia__Envelope *out = NULL;
    assert_int_equal(dajia_envelope_decode("", 0, NULL, NOW_MS, NULL, NULL, &out, &f->verdict), -1);
    assert_int_equal(f->verdict.reason, DAJIA__REASON__REASON_MISSING_EVENT_ID);
}

// ================================================================ envelope

static void
test_event_id_missing_rejected(void **state)
{
    fixture_t *f = *state;
    f->env.event_id = "";
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_EVENT_ID, "event_id");
}

static void
test_event_id_bad_characters_rejected(void **state)
{
    fixture_t *f = *state;
    f->env.event_id = "msa 2026/1";
    assert_rejected(f, DAJIA__REASON__REASON_BAD_ID, "event_id \"msa 2026/1\"");
    f->env.event_id = "msa-\"x\"";
    assert_rejected(f, DAJIA__REASON__REASON_BAD_ID, "event_id \"msa-?x?\"");
    f->env.event_id = "Aa0._:-";
    assert_accepted(f);
}

static void
test_unit_missing_rejected(void **state)
{
    fixture_t *f = *state;
    f->env.unit = "";
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD, "unit is missing");
}

static void
test_unit_unknown_rejected(void **state)
{
    fixture_t *f = *state;
    f->env.unit = "xyz";
    assert_rejected(f, DAJIA__REASON__REASON_UNKNOWN_UNIT,
                    "unit \"xyz\" is not a member unit of the leading group");
}

static void
test_occurred_at_missing_rejected(void **state)
{
    fixture_t *f = *state;
    f->env.occurred_at = 0;
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD, "occurred_at is missing");
}

static void
test_reported_at_unset_accepted(void **state)
{
    fixture_t *f = *state;
    f->env.reported_at = 0;
    assert_accepted(f);
}

static void
test_body_missing_rejected(void **state)
{
    fixture_t *f = *state;
    f->env.body_case = DAJIA__ENVELOPE__BODY__NOT_SET;
    f->env.case_report = NULL;
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_BODY, "case_report");
}

static void
test_supersedes_bad_id_rejected(void **state)
{
    fixture_t *f = *state;
    f->env.supersedes_event_id = "msa#1";
    assert_rejected(f, DAJIA__REASON__REASON_BAD_ID, "supersedes_event_id");
}

static void
test_supersedes_itself_rejected(void **state)
{
    fixture_t *f = *state;
    f->env.supersedes_event_id = f->env.event_id;
    assert_rejected(f, DAJIA__REASON__REASON_BAD_ID, "supersedes_event_id names this event");
    f->env.supersedes_event_id = "msa-20261103-0001";
    assert_accepted(f);
}

// ============================================================== generic rules

static void
test_amount_negative_rejected(void **state)
{
    fixture_t *f = *state;
    f->case_report.case_value_fen = -500;
    assert_rejected(f, DAJIA__REASON__REASON_NEGATIVE_AMOUNT,
                    "case_report.case_value_fen is negative (-500)");
}

static void
test_count_negative_rejected(void **state)
{
    fixture_t *f = *state;
    f->case_report.dens_destroyed = -1;
    assert_rejected(f, DAJIA__REASON__REASON_NEGATIVE_COUNT,
                    "case_report.dens_destroyed is negative (-1)");
    f->case_report.dens_destroyed = 0;
    f->case_report.seized_quantity = -3;
    assert_rejected(f, DAJIA__REASON__REASON_NEGATIVE_COUNT, "case_report.seized_quantity");
    s_use_major(f);
    f->major.update_interval_days = -7;
    assert_rejected(f, DAJIA__REASON__REASON_NEGATIVE_COUNT, "major_matter.update_interval_days");
}

static void
test_time_in_future_rejected(void **state)
{
    fixture_t *f = *state;
    f->env.occurred_at = NOW_MS + DAJIA_MAX_FUTURE_MS;
    assert_accepted(f);
    f->env.occurred_at = NOW_MS + DAJIA_MAX_FUTURE_MS + 1;
    assert_rejected(f, DAJIA__REASON__REASON_TIME_IN_FUTURE,
                    "occurred_at is 2026-12-02T00:00:00.001Z");
}

static void
test_time_in_future_in_body_rejected(void **state)
{
    fixture_t *f = *state;
    f->case_report.filed_at = NOW_MS + DAJIA_MAX_FUTURE_MS + 1;
    assert_rejected(f, DAJIA__REASON__REASON_TIME_IN_FUTURE, "case_report.filed_at");
}

static void
test_deadline_may_lie_ahead_up_to_a_year(void **state)
{
    fixture_t *f = *state;
    const int64_t day = 86400 * 1000;
    s_use_major(f);
    f->major.next_update_due_at = NOW_MS + 15 * day;
    assert_accepted(f);
    f->major.next_update_due_at = NOW_MS + 366 * day;
    assert_accepted(f);
    f->major.next_update_due_at = NOW_MS + 366 * day + 1;
    assert_rejected(f, DAJIA__REASON__REASON_TIME_IN_FUTURE,
                    "major_matter.next_update_due_at is 2027-12-02T00:00:00.001Z");
    f->major.next_update_due_at = DAJIA_MIN_TIME_MS - 1;
    assert_rejected(f, DAJIA__REASON__REASON_TIME_BEFORE_2000, "major_matter.next_update_due_at");
    s_use_progress(f);
    f->progress.next_update_due_at = NOW_MS + 7 * day;
    assert_accepted(f);
}

static void
test_time_future_limit_from_limits(void **state)
{
    fixture_t *f = *state;
    dajia_limits_t limits;
    dajia_limits_default(&limits);
    limits.max_future_ms = 0;
    f->env.occurred_at = NOW_MS;
    assert_int_equal(s_decode_limits(f, &limits), 0);
    f->env.occurred_at = NOW_MS + 1;
    assert_int_equal(s_decode_limits(f, &limits), -1);
    assert_int_equal(f->verdict.reason, DAJIA__REASON__REASON_TIME_IN_FUTURE);
}

static void
test_time_before_2000_rejected(void **state)
{
    fixture_t *f = *state;
    f->env.occurred_at = DAJIA_MIN_TIME_MS;
    assert_accepted(f);
    f->env.occurred_at = DAJIA_MIN_TIME_MS - 1;
    assert_rejected(f, DAJIA__REASON__REASON_TIME_BEFORE_2000,
                    "occurred_at is 1999-12-31T23:59:59.999Z, before the year 2000");
}

static void
test_time_negative_rejected_before_2000(void **state)
{
    fixture_t *f = *state;
    f->case_report.closed_at = -1;
    assert_rejected(f, DAJIA__REASON__REASON_TIME_BEFORE_2000, "case_report.closed_at");
    f->case_report.closed_at = 0;
    f->env.reported_at = 1700000000; /* seconds where milliseconds belong: 1970 */
    assert_rejected(f, DAJIA__REASON__REASON_TIME_BEFORE_2000, "reported_at");
}

static void
test_id_length_limit(void **state)
{
    fixture_t *f = *state;
    f->case_report.case_no = s_text(f, 'c', DAJIA_MAX_ID);
    assert_accepted(f);
    f->case_report.case_no = s_text(f, 'c', DAJIA_MAX_ID + 1);
    assert_rejected(f, DAJIA__REASON__REASON_STRING_TOO_LONG,
                    "case_report.case_no is 65 bytes long, more than the limit of 64");
}

static void
test_event_id_length_limit(void **state)
{
    fixture_t *f = *state;
    f->env.event_id = s_text(f, 'e', DAJIA_MAX_ID);
    assert_accepted(f);
    f->env.event_id = s_text(f, 'e', DAJIA_MAX_ID + 1);
    assert_rejected(f, DAJIA__REASON__REASON_STRING_TOO_LONG, "event_id is 65 bytes");
}

static void
test_short_text_length_limit(void **state)
{
    fixture_t *f = *state;
    f->case_report.case_name = s_text(f, 'n', DAJIA_MAX_SHORT_TEXT);
    assert_accepted(f);
    f->case_report.case_name = s_text(f, 'n', DAJIA_MAX_SHORT_TEXT + 1);
    assert_rejected(f, DAJIA__REASON__REASON_STRING_TOO_LONG,
                    "case_report.case_name is 513 bytes long");
}

static void
test_long_text_length_limit(void **state)
{
    fixture_t *f = *state;
    s_use_major(f);
    f->major.summary = s_text(f, 's', DAJIA_MAX_LONG_TEXT);
    assert_accepted(f);
    f->major.summary = s_text(f, 's', DAJIA_MAX_LONG_TEXT + 1);
    assert_rejected(f, DAJIA__REASON__REASON_STRING_TOO_LONG,
                    "major_matter.summary is 16385 bytes long, more than the limit of 16384");
}

static void
test_repeated_id_item_length_limit(void **state)
{
    fixture_t *f = *state;
    f->platform_ids[1] = s_text(f, 'p', DAJIA_MAX_ID + 1);
    assert_rejected(f, DAJIA__REASON__REASON_STRING_TOO_LONG, "case_report.platform_ids[1]");
}

static void
test_enum_out_of_range_rejected(void **state)
{
    fixture_t *f = *state;
    f->case_report.category = (Dajia__CaseCategory)99;
    assert_rejected(f, DAJIA__REASON__REASON_ENUM_OUT_OF_RANGE,
                    "case_report.category has the value 99, which is not a known CaseCategory");
}

static void
test_repeated_enum_out_of_range_rejected(void **state)
{
    fixture_t *f = *state;
    f->goods[1] = (Dajia__GoodsCategory)-1;
    assert_rejected(f, DAJIA__REASON__REASON_ENUM_OUT_OF_RANGE, "case_report.goods[1]");
}

static void
test_too_many_items_rejected(void **state)
{
    fixture_t *f = *state;
    for (size_t i = 0; i < DAJIA_MAX_REPEATED + 1; i++)
        f->goods[i] = DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_TEA;
    f->case_report.n_goods = DAJIA_MAX_REPEATED;
    assert_accepted(f);
    f->case_report.n_goods = DAJIA_MAX_REPEATED + 1;
    assert_rejected(f, DAJIA__REASON__REASON_TOO_MANY_ITEMS,
                    "case_report.goods has 65 items, more than the limit of 64");
}

static void
test_too_many_units_rejected(void **state)
{
    fixture_t *f = *state;
    for (size_t i = 0; i < DAJIA_MAX_REPEATED + 1; i++)
        f->units[i] = "psb";
    s_use_major(f);
    f->major.involved_units = f->units;
    f->major.n_involved_units = DAJIA_MAX_REPEATED + 1;
    assert_rejected(f, DAJIA__REASON__REASON_TOO_MANY_ITEMS, "major_matter.involved_units");
}

static void
test_invalid_utf8_rejected(void **state)
{
    fixture_t *f = *state;
    static const char *const bad[] = {
        "\xC0\xAF",         /* overlong '/' */
        "\xE0\x80\xAF",     /* overlong, three bytes */
        "\xF0\x80\x80\xAF", /* overlong, four bytes */
        "\xED\xA0\x80",     /* surrogate U+D800 */
        "\xED\xBF\xBF",     /* surrogate U+DFFF */
        "\xF4\x90\x80\x80", /* U+110000 */
        "\xF5\x80\x80\x80", /* lead byte past U+10FFFF */
        "ab\x80",           /* stray continuation byte */
        "\xE4\xB8",         /* cut short */
        "\xFF",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f->case_report.brand = (char *)bad[i];
        assert_rejected(f, DAJIA__REASON__REASON_INVALID_UTF8, "case_report.brand");
    }
}

static void
test_valid_utf8_edges_accepted(void **state)
{
    fixture_t *f = *state;
    static const char *const good[] = {
        "\x7F",
        "\xC2\x80",
        "\xDF\xBF",
        "\xE0\xA0\x80",
        "\xED\x9F\xBF",
        "\xEE\x80\x80",
        "\xEF\xBF\xBF",
        "\xF0\x90\x80\x80",
        "\xF4\x8F\xBF\xBF",
        "信阳毛尖 Xinyang Maojian 😀",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        f->case_report.brand = (char *)good[i];
        assert_accepted(f);
    }
}

static void
test_invalid_utf8_in_repeated_rejected(void **state)
{
    fixture_t *f = *state;
    f->platform_ids[0] = "HN\xED\xA0\x80";
    assert_rejected(f, DAJIA__REASON__REASON_INVALID_UTF8, "case_report.platform_ids[0]");
}

// ============================================================ body rules

static void
test_case_report_missing_fields_rejected(void **state)
{
    fixture_t *f = *state;
    f->case_report.case_no = "";
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD, "case_report.case_no is missing");
    f->case_report.case_no = "信市监处罚〔2026〕118号";
    f->case_report.category = DAJIA__CASE_CATEGORY__CASE_CATEGORY_UNSPECIFIED;
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD, "case_report.category is missing");
    f->case_report.category = DAJIA__CASE_CATEGORY__CASE_CATEGORY_OTHER;
    f->case_report.stage = DAJIA__CASE_STAGE__CASE_STAGE_UNSPECIFIED;
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD, "case_report.stage is missing");
}

static void
test_major_matter_missing_fields_rejected(void **state)
{
    fixture_t *f = *state;
    s_use_major(f);
    f->major.matter_id = "";
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD, "major_matter.matter_id is missing");
    f->major.matter_id = "MM-1";
    f->major.type = DAJIA__MATTER_TYPE__MATTER_TYPE_UNSPECIFIED;
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD, "major_matter.type is missing");
    f->major.type = DAJIA__MATTER_TYPE__MATTER_TYPE_OTHER;
    f->major.severity = DAJIA__SEVERITY__SEVERITY_UNSPECIFIED;
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD, "major_matter.severity is missing");
    f->major.severity = DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR;
    f->major.title = "";
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD, "major_matter.title is missing");
}

static void
test_matter_progress_missing_fields_rejected(void **state)
{
    fixture_t *f = *state;
    s_use_progress(f);
    f->progress.matter_id = "";
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD, "matter_progress.matter_id is missing");
    f->progress.matter_id = "MM-1";
    f->progress.seq = 0;
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD, "matter_progress.seq is missing");
    f->progress.seq = 2;
    f->progress.status = DAJIA__MATTER_STATUS__MATTER_STATUS_UNSPECIFIED;
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD, "matter_progress.status is missing");
    f->progress.status = DAJIA__MATTER_STATUS__MATTER_STATUS_CLOSED;
    f->progress.narrative = "";
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD, "matter_progress.narrative is missing");
}

static void
test_dynamic_info_missing_fields_rejected(void **state)
{
    fixture_t *f = *state;
    s_use_info(f);
    f->info.info_id = "";
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD, "dynamic_info.info_id is missing");
    f->info.info_id = "DYN-1";
    f->info.period = "";
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD, "dynamic_info.period is missing");
    f->info.period = "2026-Q4";
    f->info.kind = DAJIA__INFO_KIND__INFO_KIND_UNSPECIFIED;
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD, "dynamic_info.kind is missing");
    f->info.kind = DAJIA__INFO_KIND__INFO_KIND_WORK_DYNAMIC;
    f->info.title = "";
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD, "dynamic_info.title is missing");
}

static void
test_dynamic_info_zero_report_needs_no_title(void **state)
{
    fixture_t *f = *state;
    s_use_info(f);
    f->info.title = "";
    f->info.zero_report = 1;
    assert_accepted(f);
}

static void
test_dynamic_info_period_formats(void **state)
{
    fixture_t *f = *state;
    s_use_info(f);
    static const char *const good[] = {"2026-01", "2026-09", "2026-10",
                                       "2026-12", "2026-Q1", "2026-Q4"};
    static const char *const bad[] = {"2026-13",  "2026-00",  "2026-Q5",  "2026-Q0",
                                      "2026-q1",  "26-11",    "2026/11",  "2026-1",
                                      "2026-011", "2026-11 ", "２026-11", "2026-1a"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        f->info.period = (char *)good[i];
        assert_accepted(f);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f->info.period = (char *)bad[i];
        assert_rejected(f, DAJIA__REASON__REASON_BAD_PERIOD, "dynamic_info.period");
    }
}

static void
test_generic_rules_come_before_body_rules(void **state)
{
    fixture_t *f = *state;
    /* Two faults: the first in field order (a negative amount) wins over a missing stage. */
    f->case_report.stage = DAJIA__CASE_STAGE__CASE_STAGE_UNSPECIFIED;
    f->case_report.sales_fen = -1;
    assert_rejected(f, DAJIA__REASON__REASON_NEGATIVE_AMOUNT, "case_report.sales_fen");
}

// ============================================ members, region, new fields (issue 9)

static void
test_involved_units_must_be_members(void **state)
{
    fixture_t *f = *state;
    f->units[0] = "psb";
    f->units[1] = "customs";
    f->case_report.involved_units = f->units;
    f->case_report.n_involved_units = 2;
    assert_accepted(f);
    f->units[1] = "gongan";
    assert_rejected(f, DAJIA__REASON__REASON_NOT_A_MEMBER,
                    "case_report.involved_units[1] \"gongan\" is not the code of a member unit");
    f->units[1] = "";
    assert_rejected(f, DAJIA__REASON__REASON_NOT_A_MEMBER,
                    "case_report.involved_units[1] is empty");
    /* Without a member check (the agent's own), any code passes, but never an empty one. */
    f->units[1] = "gongan";
    assert_int_equal(dajia_envelope_validate(&f->env, NULL, NOW_MS, NULL, NULL, &f->verdict), 0);
    f->units[1] = "";
    assert_int_equal(dajia_envelope_validate(&f->env, NULL, NOW_MS, NULL, NULL, &f->verdict), -1);
    assert_int_equal(f->verdict.reason, DAJIA__REASON__REASON_NOT_A_MEMBER);

    s_use_major(f);
    f->units[1] = "post";
    f->major.involved_units = f->units;
    f->major.n_involved_units = 2;
    assert_accepted(f);
    f->units[0] = "邮政";
    assert_rejected(f, DAJIA__REASON__REASON_NOT_A_MEMBER,
                    "major_matter.involved_units[0] \"邮政\" is not the code of a member unit");
}

static void
test_related_cases_of_other_units(void **state)
{
    fixture_t *f = *state;
    s_use_major(f);
    for (size_t i = 0; i < 2; i++) {
        dajia__related_case__init(&f->related[i]);
        f->related_list[i] = &f->related[i];
    }
    f->related[0].unit = "psb";
    f->related[0].case_no = "固公（经）立字〔2026〕32号";
    f->related[1].unit = "customs";
    f->related[1].case_no = "信关缉字〔2026〕7号";
    f->major.related_cases = f->related_list;
    f->major.n_related_cases = 2;
    assert_accepted(f);

    f->related[1].unit = "haiguan";
    assert_rejected(f, DAJIA__REASON__REASON_NOT_A_MEMBER,
                    "major_matter.related_cases[1].unit \"haiguan\" is not the code of a member");
    f->related[1].unit = "";
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD,
                    "major_matter.related_cases[1].unit is missing");
    f->related[1].unit = "customs";
    f->related[1].case_no = "";
    assert_rejected(f, DAJIA__REASON__REASON_MISSING_FIELD,
                    "major_matter.related_cases[1].case_no is missing");
    f->related[1].case_no = s_text(f, 'n', DAJIA_MAX_ID + 1);
    assert_rejected(f, DAJIA__REASON__REASON_STRING_TOO_LONG,
                    "major_matter.related_cases[1].case_no");
}

static void
test_region_must_be_a_code_of_the_configured_region(void **state)
{
    fixture_t *f = *state;
    dajia_limits_t xinyang;
    dajia_limits_default(&xinyang);
    xinyang.region_prefix = "4115";
    static const char *const good[] = {"411502", "411500", "411528", ""};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        f->env.region = (char *)good[i];
        if (s_decode_limits(f, &xinyang) != 0)
            fail_msg("region \"%s\" refused: %s", good[i], f->verdict.text);
        if (!f->wire_accepted)
            fail_msg("the fast path does not take region \"%s\"", good[i]);
    }
    f->env.region = "410102"; /* Zhengzhou: in Henan, not in Xinyang */
    assert_rejected_limits(f, &xinyang, DAJIA__REASON__REASON_BAD_REGION,
                           "region \"410102\" is not an administrative code of the configured "
                           "region: six digits beginning with 4115");
    static const char *const bad[] = {"41150", "4115021", "41150a", "４11502", "信阳市", " 411502"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f->env.region = (char *)bad[i];
        assert_rejected_limits(f, &xinyang, DAJIA__REASON__REASON_BAD_REGION, "region \"");
    }
    /* Without a configured region (the defaults): any six digits, nothing else. */
    f->env.region = "410102";
    assert_accepted(f);
    f->env.region = "Xinyang";
    assert_rejected(f, DAJIA__REASON__REASON_BAD_REGION,
                    "region \"Xinyang\" is not an administrative code: six digits");
    /* The prefixes a configuration may give. */
    assert_true(dajia_region_prefix_valid("41"));
    assert_true(dajia_region_prefix_valid("4115"));
    assert_true(dajia_region_prefix_valid("411502"));
    assert_false(dajia_region_prefix_valid(""));
    assert_false(dajia_region_prefix_valid("411"));
    assert_false(dajia_region_prefix_valid("41150"));
    assert_false(dajia_region_prefix_valid("4115021"));
    assert_false(dajia_region_prefix_valid("41a5"));
    assert_false(dajia_region_prefix_valid(NULL));
}

static void
test_scope_none_and_casualties_count_accepted(void **state)
{
    fixture_t *f = *state;
    f->case_report.scope = DAJIA__REGION_SCOPE__REGION_SCOPE_NONE;
    f->case_report.health_safety = 1;
    f->case_report.casualties_count = 3;
    assert_accepted(f);
    f->case_report.casualties_count = -1;
    assert_rejected(f, DAJIA__REASON__REASON_NEGATIVE_COUNT, "case_report.casualties_count");
}

/* The old flag still decodes and reads as "at least one"; the count wins when set. */
static void
test_casualties_old_flag_reads_as_at_least_one(void **state)
{
    fixture_t *f = *state;
    Dajia__CaseReport *r = &f->case_report;
    assert_int_equal(dajia_compat_casualties(r), 0);
    r->casualties = 1;
    assert_accepted(f); /* an old agent's event: still ordinary, fast path included */
    assert_int_equal(dajia_compat_casualties(r), 1);
    r->casualties_count = 4;
    assert_int_equal(dajia_compat_casualties(r), 4);
    /* As an old agent's JSON says it. */
    static const char json[] = "{\"case_no\":\"A\",\"category\":\"other\",\"stage\":\"filed\","
                               "\"casualties\":true}";
    ProtobufCMessage *msg = NULL;
    dajia_json_error_t err;
    assert_int_equal(
        dajia_json_to_message(&dajia__case_report__descriptor, json, strlen(json), &msg, &err), 0);
    assert_int_equal(dajia_compat_casualties((Dajia__CaseReport *)msg), 1);
    protobuf_c_message_free_unpacked(msg, NULL);
}

static void
test_submitted_at_is_a_time(void **state)
{
    fixture_t *f = *state;
    f->env.submitted_at = OCCURRED_MS + 7200 * 1000;
    assert_accepted(f); /* s_judge compares the fast path's submitted_at with decode's */
    f->env.submitted_at = NOW_MS + DAJIA_MAX_FUTURE_MS + 1000;
    assert_rejected(f, DAJIA__REASON__REASON_TIME_IN_FUTURE, "submitted_at is");
    f->env.submitted_at = 1000;
    assert_rejected(f, DAJIA__REASON__REASON_TIME_BEFORE_2000, "submitted_at is");
}

// ================================================================ reasons

static void
test_reason_every_value_has_name_and_text(void **state)
{
    (void)state;
    const ProtobufCEnumDescriptor *desc = &dajia__reason__descriptor;
    assert_true(desc->n_values > 20);
    for (unsigned i = 0; i < desc->n_values; i++) {
        const ProtobufCEnumValue *v = &desc->values[i];
        const char *name = dajia_reason_name((Dajia__Reason)v->value);
        const char *text = dajia_reason_text((Dajia__Reason)v->value);
        /* The name is the value name without "REASON_", in lower case. */
        assert_true(strncmp(v->name, "REASON_", 7) == 0);
        char expected[64];
        size_t k = 0;
        for (const char *p = v->name + 7; *p && k + 1 < sizeof expected; p++)
            expected[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        expected[k] = '\0';
        assert_string_equal(name, expected);
        assert_true(strlen(text) > 10);
        for (unsigned j = 0; j < i; j++)
            assert_string_not_equal(text, dajia_reason_text((Dajia__Reason)desc->values[j].value));
    }
    assert_string_equal(dajia_reason_text(DAJIA__REASON__REASON_STORAGE_UNAVAILABLE),
                        "the broker could not store the event right now; it will be sent again");
}

static void
test_reason_unknown_value_is_named_unknown(void **state)
{
    (void)state;
    assert_string_equal(dajia_reason_name((Dajia__Reason)999), "unknown");
    assert_string_equal(dajia_reason_name((Dajia__Reason)-1), "unknown");
    assert_non_null(dajia_reason_text((Dajia__Reason)999));
    assert_true(strlen(dajia_reason_text((Dajia__Reason)-1)) > 0);
}

static void
test_verdict_set_truncates_at_character(void **state)
{
    (void)state;
    dajia_verdict_t verdict;
    char text[DAJIA_REASON_TEXT_MAX * 2];
    /* "é" is two bytes; with a two-byte prefix, the cut at 255 bytes falls inside one. */
    size_t used = 0;
    text[used++] = 'x';
    text[used++] = 'y';
    while (used + 2 < sizeof text) {
        text[used++] = '\xC3';
        text[used++] = '\xA9';
    }
    text[used] = '\0';
    assert_int_equal(dajia_verdict_set(&verdict, DAJIA__REASON__REASON_MISSING_FIELD, "%s", text),
                     -1);
    assert_int_equal(verdict.reason, DAJIA__REASON__REASON_MISSING_FIELD);
    size_t len = strlen(verdict.text);
    assert_int_equal(len, DAJIA_REASON_TEXT_MAX - 2); /* "xy" and whole characters only */
    assert_memory_equal(verdict.text + len - 2, "\xC3\xA9", 2);
}

// ============================================================= derived ids

static void
s_derive(const Dajia__Envelope *env, char *id)
{
    assert_int_equal(dajia_event_id_derive(env, id, DAJIA_DERIVED_ID_SIZE), 0);
}

static void
test_derived_id_format(void **state)
{
    fixture_t *f = *state;
    char id[DAJIA_DERIVED_ID_SIZE];
    s_derive(&f->env, id);
    assert_int_equal(strlen(id), 42);
    assert_memory_equal(id, "d-", 2);
    for (size_t i = 2; i < 42; i++)
        assert_non_null(strchr("0123456789abcdef", id[i]));
    /* The derived id is a valid event_id. */
    f->env.event_id = id;
    assert_accepted(f);
}

static void
test_derived_id_stable(void **state)
{
    fixture_t *f = *state;
    char a[DAJIA_DERIVED_ID_SIZE], b[DAJIA_DERIVED_ID_SIZE];
    s_derive(&f->env, a);
    s_derive(&f->env, b);
    assert_string_equal(a, b);
    /* Neither the event_id nor the time of the report takes part. */
    f->env.reported_at += 86400 * 1000;
    f->env.event_id = "";
    s_derive(&f->env, b);
    assert_string_equal(a, b);
}

static void
test_derived_id_leaves_input_unchanged(void **state)
{
    fixture_t *f = *state;
    char id[DAJIA_DERIVED_ID_SIZE];
    const char *event_id = f->env.event_id;
    int64_t reported_at = f->env.reported_at;
    s_derive(&f->env, id);
    assert_ptr_equal(f->env.event_id, event_id);
    assert_string_equal(f->env.event_id, "msa-20261120-0001");
    assert_int_equal(f->env.reported_at, reported_at);
}

static void
test_derived_id_differs_by_unit_and_body(void **state)
{
    fixture_t *f = *state;
    char base[DAJIA_DERIVED_ID_SIZE], other[DAJIA_DERIVED_ID_SIZE];
    s_derive(&f->env, base);
    f->env.unit = "psb";
    s_derive(&f->env, other);
    assert_string_not_equal(base, other);
    f->env.unit = "msa";
    f->case_report.case_value_fen += 1;
    s_derive(&f->env, other);
    assert_string_not_equal(base, other);
    f->case_report.case_value_fen -= 1;
    s_use_info(f);
    s_derive(&f->env, other);
    assert_string_not_equal(base, other);
}

static void
test_derived_id_small_buffer_fails(void **state)
{
    fixture_t *f = *state;
    char id[DAJIA_DERIVED_ID_SIZE];
    assert_int_equal(dajia_event_id_derive(&f->env, id, DAJIA_DERIVED_ID_SIZE - 1), -1);
    assert_int_equal(dajia_event_id_derive(NULL, id, sizeof id), -1);
}

static void
test_derived_id_large_envelope(void **state)
{
    fixture_t *f = *state;
    char a[DAJIA_DERIVED_ID_SIZE], b[DAJIA_DERIVED_ID_SIZE];
    s_use_major(f);
    f->major.summary = s_text(f, 's', DAJIA_MAX_LONG_TEXT); /* packed past the stack buffer */
    s_derive(&f->env, a);
    f->text[100] = 't';
    s_derive(&f->env, b);
    assert_string_not_equal(a, b);
}

// ================================================================= fixtures

/* tests/fixtures/, found next to this file: CMake compiles it by its full path. */
static FILE *
s_open_fixture(const char *name)
{
    char path[4096];
    const char *slash = strrchr(__FILE__, '/');
    int dir = slash ? (int)(slash - __FILE__) : 0;
    snprintf(path, sizeof path, "%.*s%s../fixtures/%s", dir, __FILE__, slash ? "/" : "", name);
    return fopen(path, "r");
}

static void
test_fixture_cases_accepted(void **state)
{
    (void)state;
    FILE *file = s_open_fixture("cases.jsonl");
    assert_non_null(file);
    char *line = malloc(FIXTURE_LINE_MAX);
    assert_non_null(line);
    int lines = 0, bodies[4] = {0};
    dajia_limits_t xinyang; /* the broker's default region */
    dajia_limits_default(&xinyang);
    xinyang.region_prefix = "4115";
    while (fgets(line, FIXTURE_LINE_MAX, file)) {
        ProtobufCMessage *msg = NULL;
        dajia_json_error_t err;
        if (dajia_json_to_message(&dajia__envelope__descriptor, line, strlen(line), &msg, &err))
            fail_msg("cases.jsonl:%d:%d: %s", lines + 1, err.column, err.text);
        dajia_verdict_t verdict;
        Dajia__Envelope *env = (Dajia__Envelope *)msg;
        if (dajia_envelope_validate(env, &xinyang, NOW_MS, s_known, NULL, &verdict))
            fail_msg("cases.jsonl line %d rejected: %s", lines + 1, verdict.text);
        /* Each is an ordinary event: the broker's fast path takes it. */
        size_t len = dajia__envelope__get_packed_size(env);
        uint8_t *buf = malloc(len);
        assert_non_null(buf);
        dajia__envelope__pack(env, buf);
        dajia_wire_keys_t keys;
        if (!dajia_wire_accept(buf, len, &xinyang, NOW_MS, s_known, NULL, &keys))
            fail_msg("cases.jsonl line %d: the fast path does not take it", lines + 1);
        free(buf);
        assert_true(env->body_case >= DAJIA__ENVELOPE__BODY_CASE_REPORT &&
                    env->body_case <= DAJIA__ENVELOPE__BODY_DYNAMIC_INFO);
        bodies[env->body_case - DAJIA__ENVELOPE__BODY_CASE_REPORT]++;
        protobuf_c_message_free_unpacked(msg, NULL);
        lines++;
    }
    free(line);
    fclose(file);
    assert_true(lines >= 4);
    for (int i = 0; i < 4; i++)
        assert_true(bodies[i] > 0);
}

typedef struct {
    int count;
    Dajia__Reason reasons[8];
    char texts[8][DAJIA_REASON_TEXT_MAX];
} s_verdicts_t;

static void
s_on_verdict(const dajia_verdict_t *verdict, void *arg)
{
    s_verdicts_t *v = arg;
    if (v->count < 8) {
        v->reasons[v->count] = verdict->reason;
        snprintf(v->texts[v->count], sizeof v->texts[0], "%s", verdict->text);
    }
    v->count++;
}

/* The agent asks for every failure at once: one report with four mistakes gets four
   sentences, each naming its field, in field order; the broker's path still stops at
   the first. */
static void
test_validate_each_reports_every_failure(void **state)
{
    fixture_t *f = *state;
    f->case_report.case_no = "";
    f->case_report.stage = DAJIA__CASE_STAGE__CASE_STAGE_UNSPECIFIED;
    f->case_report.case_value_fen = -5;
    f->env.occurred_at = 0;
    s_verdicts_t v;
    memset(&v, 0, sizeof v);
    assert_int_equal(
        dajia_envelope_validate_each(&f->env, NULL, NOW_MS, s_known, NULL, s_on_verdict, &v), 4);
    assert_int_equal(v.count, 4);
    assert_int_equal(v.reasons[0], DAJIA__REASON__REASON_NEGATIVE_AMOUNT);
    assert_non_null(strstr(v.texts[0], "case_report.case_value_fen is negative"));
    assert_int_equal(v.reasons[1], DAJIA__REASON__REASON_MISSING_FIELD);
    assert_non_null(strstr(v.texts[1], "occurred_at is missing"));
    assert_non_null(strstr(v.texts[2], "case_report.case_no is missing"));
    assert_non_null(strstr(v.texts[3], "case_report.stage is missing"));

    assert_int_equal(dajia_envelope_validate(&f->env, NULL, NOW_MS, s_known, NULL, &f->verdict),
                     -1);
    assert_int_equal(f->verdict.reason, DAJIA__REASON__REASON_NEGATIVE_AMOUNT);

    /* A missing unit is one failure, not also an unknown one. */
    f->env.unit = "";
    memset(&v, 0, sizeof v);
    assert_int_equal(
        dajia_envelope_validate_each(&f->env, NULL, NOW_MS, s_known, NULL, s_on_verdict, &v), 5);
    assert_non_null(strstr(v.texts[1], "unit is missing"));
    /* A valid envelope: none. */
    f->env.unit = "msa";
    f->env.occurred_at = OCCURRED_MS;
    f->case_report.case_no = "X-1";
    f->case_report.stage = DAJIA__CASE_STAGE__CASE_STAGE_FILED;
    f->case_report.case_value_fen = 0;
    memset(&v, 0, sizeof v);
    assert_int_equal(
        dajia_envelope_validate_each(&f->env, NULL, NOW_MS, s_known, NULL, s_on_verdict, &v), 0);
    assert_int_equal(v.count, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_case_report_valid_accepted),
        T(test_major_matter_valid_accepted),
        T(test_matter_progress_valid_accepted),
        T(test_dynamic_info_valid_accepted),
        T(test_decode_returns_envelope_with_fields),
        T(test_validate_without_member_check_accepts_any_unit),
        T(test_validate_null_envelope_is_malformed),
        T(test_decode_over_cap_rejected_too_large),
        T(test_decode_cap_from_limits),
        T(test_decode_random_bytes_rejected_malformed),
        T(test_decode_truncated_rejected),
        T(test_decode_field_number_zero_rejected_malformed),
        T(test_wire_fast_path_takes_only_what_it_reads_exactly),
        T(test_decode_text_with_nul_byte_rejected),
        T(test_decode_empty_rejected_missing_event_id),
        T(test_event_id_missing_rejected),
        T(test_event_id_bad_characters_rejected),
        T(test_unit_missing_rejected),
        T(test_unit_unknown_rejected),
        T(test_occurred_at_missing_rejected),
        T(test_reported_at_unset_accepted),
        T(test_body_missing_rejected),
        T(test_supersedes_bad_id_rejected),
        T(test_supersedes_itself_rejected),
        T(test_amount_negative_rejected),
        T(test_count_negative_rejected),
        T(test_time_in_future_rejected),
        T(test_time_in_future_in_body_rejected),
        T(test_deadline_may_lie_ahead_up_to_a_year),
        T(test_time_future_limit_from_limits),
        T(test_time_before_2000_rejected),
        T(test_time_negative_rejected_before_2000),
        T(test_id_length_limit),
        T(test_event_id_length_limit),
        T(test_short_text_length_limit),
        T(test_long_text_length_limit),
        T(test_repeated_id_item_length_limit),
        T(test_enum_out_of_range_rejected),
        T(test_repeated_enum_out_of_range_rejected),
        T(test_too_many_items_rejected),
        T(test_too_many_units_rejected),
        T(test_invalid_utf8_rejected),
        T(test_valid_utf8_edges_accepted),
        T(test_invalid_utf8_in_repeated_rejected),
        T(test_case_report_missing_fields_rejected),
        T(test_major_matter_missing_fields_rejected),
        T(test_matter_progress_missing_fields_rejected),
        T(test_dynamic_info_missing_fields_rejected),
        T(test_dynamic_info_zero_report_needs_no_title),
        T(test_dynamic_info_period_formats),
        T(test_generic_rules_come_before_body_rules),
        T(test_involved_units_must_be_members),
        T(test_related_cases_of_other_units),
        T(test_region_must_be_a_code_of_the_configured_region),
        T(test_scope_none_and_casualties_count_accepted),
        T(test_casualties_old_flag_reads_as_at_least_one),
        T(test_submitted_at_is_a_time),
        T(test_reason_every_value_has_name_and_text),
        T(test_reason_unknown_value_is_named_unknown),
        T(test_verdict_set_truncates_at_character),
        T(test_derived_id_format),
        T(test_derived_id_stable),
        T(test_derived_id_leaves_input_unchanged),
        T(test_derived_id_differs_by_unit_and_body),
        T(test_derived_id_small_buffer_fails),
        T(test_derived_id_large_envelope),
        T(test_fixture_cases_accepted),
        T(test_validate_each_reports_every_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
