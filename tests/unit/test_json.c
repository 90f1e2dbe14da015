/*  test_json: the JSON <-> protobuf mapper and the RFC 3339 time functions.

    Round trips run over every message type of the schema with every field set (a
    generic filler walks the descriptors, so a field added to the schema is covered
    without touching this file), over every value of every enum, and over the example
    events in tests/fixtures/cases.jsonl. Errors are checked for their text and for the
    line and column they point at.
*/
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
#include "dajia_utf8.h"

#define T_0800Z          1795939200000LL /* 2026-11-29T08:00:00Z */
#define FIXTURE_LINE_MAX 16384
#define MAX_ENUMS        64

typedef struct {
    ProtobufCMessage *msg; /* parsed by the test, freed in teardown */
    char *json;            /* written by the test, freed in teardown */
    dajia_json_error_t err;
} fixture_t;

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    protobuf_c_message_free_unpacked(f->msg, NULL);
    free(f->json);
    free(f);
    return 0;
}

/* Parses `text` as `desc` into f->msg (freeing any previous one). */
static int
s_parse(fixture_t *f, const ProtobufCMessageDescriptor *desc, const char *text)
{
    protobuf_c_message_free_unpacked(f->msg, NULL);
    f->msg = NULL;
    memset(&f->err, 0, sizeof f->err);
    int rc = dajia_json_to_message(desc, text, strlen(text), &f->msg, &f->err);
    if (rc)
        assert_null(f->msg);
    return rc;
}

/* Writes f->msg into f->json. */
static const char *
s_write(fixture_t *f)
{
    free(f->json);
    f->json = dajia_json_from_message(f->msg);
    assert_non_null(f->json);
    return f->json;
}

#define assert_parses(f, desc, json)                                                               \
    do {                                                                                           \
        if (s_parse((f), (desc), (json)))                                                          \
            fail_msg("%d:%d: %s", (f)->err.line, (f)->err.column, (f)->err.text);                  \
    } while (0)

#define assert_parse_error(f, desc, json, words, at_line, at_column)                               \
    do {                                                                                           \
        assert_int_equal(s_parse((f), (desc), (json)), -1);                                        \
        if (!strstr((f)->err.text, (words)))                                                       \
            fail_msg("error \"%s\" does not contain \"%s\"", (f)->err.text, (words));              \
        if ((at_line) && ((f)->err.line != (at_line) || (f)->err.column != (at_column)))           \
            fail_msg("error \"%s\" at %d:%d, expected %d:%d", (f)->err.text, (f)->err.line,        \
                     (f)->err.column, (at_line), (at_column));                                     \
    } while (0)

static const ProtobufCMessageDescriptor *const s_roots[] = {
    &dajia__envelope__descriptor,
    &dajia__ack__descriptor,
    &dajia__log_record__descriptor,
};

// ============================================================ generic filler

static void
s_fill(ProtobufCMessage *msg, uint32_t oneof_choice);

static size_t
s_item_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM:
        return sizeof(int);
    default:
        return 4;
    }
}

static bool
s_is_time(const ProtobufCFieldDescriptor *field)
{
    size_t n = strlen(field->name);
    return n > 3 && strcmp(field->name + n - 3, "_at") == 0;
}

/* A non-default value for `field`, item `k`, allocated as protobuf-c's unpack would. */
static void
s_fill_value(const ProtobufCFieldDescriptor *field, size_t k, void *dest)
{
    switch (field->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: {
        int32_t v = k ? INT32_MIN : 2147483647;
        memcpy(dest, &v, sizeof v);
        break;
    }
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: {
        uint32_t v = UINT32_MAX - (uint32_t)k;
        memcpy(dest, &v, sizeof v);
        break;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: {
        int64_t v = s_is_time(field) ? T_0800Z + 123 + (int64_t)k : -9000000000123LL;
        memcpy(dest, &v, sizeof v);
        break;
    }
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t v = k ? 42 : UINT64_MAX;
        memcpy(dest, &v, sizeof v);
        break;
    }
    case PROTOBUF_C_TYPE_FLOAT: {
        float v = 0.1f;
        memcpy(dest, &v, sizeof v);
        break;
    }
    case PROTOBUF_C_TYPE_DOUBLE: {
        double v = 1.0 / 3.0;
        memcpy(dest, &v, sizeof v);
        break;
    }
    case PROTOBUF_C_TYPE_BOOL: {
        protobuf_c_boolean v = 1;
        memcpy(dest, &v, sizeof v);
        break;
    }
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *desc = field->descriptor;
        int v = desc->values[desc->n_values - 1 - k % desc->n_values].value;
        memcpy(dest, &v, sizeof v);
        break;
    }
    case PROTOBUF_C_TYPE_STRING: {
        char buf[128];
        snprintf(buf, sizeof buf, "%s «信阳» \"%zu\"\t\\", field->name, k);
        char *v = strdup(buf);
        assert_non_null(v);
        memcpy(dest, &v, sizeof v);
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData v = {4 + k, malloc(4 + k)};
        assert_non_null(v.data);
        for (size_t i = 0; i < v.len; i++)
            v.data[i] = (uint8_t)(0xFB + i);
        memcpy(dest, &v, sizeof v);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessageDescriptor *desc = field->descriptor;
        ProtobufCMessage *sub = malloc(desc->sizeof_message);
        assert_non_null(sub);
        protobuf_c_message_init(desc, sub);
        s_fill(sub, 0);
        memcpy(dest, &sub, sizeof sub);
        break;
    }
    }
}

/* Sets every field of `msg`; of a oneof, only the member numbered `oneof_choice`. */
static void
s_fill(ProtobufCMessage *msg, uint32_t oneof_choice)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    char *base = (char *)msg;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &desc->fields[i];
        if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            if (field->id != oneof_choice)
                continue;
            memcpy(base + field->quantifier_offset, &oneof_choice, sizeof oneof_choice);
        }
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = 2, size = s_item_size(field->type);
            char *items = calloc(n, size);
            assert_non_null(items);
            for (size_t k = 0; k < n; k++)
                s_fill_value(field, k, items + k * size);
            memcpy(base + field->offset, &items, sizeof items);
            memcpy(base + field->quantifier_offset, &n, sizeof n);
        } else
            s_fill_value(field, 0, base + field->offset);
    }
}

static ProtobufCMessage *
s_new_filled(const ProtobufCMessageDescriptor *desc, uint32_t oneof_choice)
{
    ProtobufCMessage *msg = malloc(desc->sizeof_message);
    assert_non_null(msg);
    protobuf_c_message_init(desc, msg);
    s_fill(msg, oneof_choice);
    return msg;
}

static uint8_t *
s_pack(const ProtobufCMessage *msg, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    assert_int_equal(protobuf_c_message_pack(msg, buf), *len);
    return buf;
}

/* msg -> JSON -> message -> pack -> unpack -> JSON: the JSON texts and the packed bytes
   must be the same all the way. Returns the first JSON text (caller frees). */
static char *
s_round_trip(const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    char *first = dajia_json_from_message(msg);
    assert_non_null(first);

    ProtobufCMessage *parsed = NULL;
    dajia_json_error_t err;
    if (dajia_json_to_message(desc, first, strlen(first), &parsed, &err))
        fail_msg("%s: %d:%d: %s in %s", desc->short_name, err.line, err.column, err.text, first);

    size_t len_a, len_b;
    uint8_t *a = s_pack(msg, &len_a);
    uint8_t *b = s_pack(parsed, &len_b);
    assert_int_equal(len_a, len_b);
    assert_memory_equal(a, b, len_a);

    ProtobufCMessage *unpacked = protobuf_c_message_unpack(desc, NULL, len_b, b);
    assert_non_null(unpacked);
    char *second = dajia_json_from_message(unpacked);
    assert_non_null(second);
    assert_string_equal(first, second);

    free(second);
    protobuf_c_message_free_unpacked(unpacked, NULL);
    protobuf_c_message_free_unpacked(parsed, NULL);
    free(a);
    free(b);
    return first;
}

// ============================================================== round trips

static void
test_round_trip_every_message_every_field(void **state)
{
    (void)state;
    for (size_t r = 0; r < sizeof s_roots / sizeof s_roots[0]; r++) {
        const ProtobufCMessageDescriptor *desc = s_roots[r];
        /* Each member of a oneof in turn (0 when the message has none). */
        for (unsigned choice = 0; choice < desc->n_fields; choice++) {
            const ProtobufCFieldDescriptor *member = &desc->fields[choice];
            bool has_oneof = false;
            for (unsigned i = 0; i < desc->n_fields; i++)
                has_oneof |= (desc->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
            if (has_oneof && !(member->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
                continue;
            if (!has_oneof && choice > 0)
                break;
            ProtobufCMessage *msg = s_new_filled(desc, has_oneof ? member->id : 0);
            char *json = s_round_trip(msg);
            /* Every field shows in the output: none is dropped on the way. */
            for (unsigned i = 0; i < desc->n_fields; i++) {
                const ProtobufCFieldDescriptor *field = &desc->fields[i];
                if ((field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && field != member)
                    continue;
                char key[128];
                snprintf(key, sizeof key, "\"%s\":", field->name);
                if (!strstr(json, key))
                    fail_msg("%s lacks %s: %s", desc->short_name, key, json);
            }
            free(json);
            protobuf_c_message_free_unpacked(msg, NULL);
        }
    }
}

static void
test_round_trip_envelope_bodies_all_covered(void **state)
{
    (void)state;
    /* The schema's four bodies are the oneof members the loop above goes through. */
    unsigned members = 0;
    for (unsigned i = 0; i < dajia__envelope__descriptor.n_fields; i++)
        if (dajia__envelope__descriptor.fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            members++;
    assert_int_equal(members, 4);
}

static void
test_round_trip_ack_exact_text(void **state)
{
    fixture_t *f = *state;
    const char *text = "{\"event_id\":\"msa-20261129-0001\",\"status\":\"rejected\",\"reason\":"
                       "\"unknown_unit\",\"reason_text\":\"unit \\\"xyz\\\" is not a member unit "
                       "of the leading group\",\"received_at\":\"2026-11-29T08:00:00.250Z\"}";
    assert_parses(f, &dajia__ack__descriptor, text);
    Dajia__Ack *ack = (Dajia__Ack *)f->msg;
    assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_REJECTED);
    assert_int_equal(ack->reason, DAJIA__REASON__REASON_UNKNOWN_UNIT);
    assert_int_equal(ack->received_at, T_0800Z + 250);
    assert_string_equal(s_write(f), text);
}

static void
test_round_trip_log_record_bytes(void **state)
{
    fixture_t *f = *state;
    /* Lengths 0..5 cover every padding case of base64. */
    static const char *const encoded[] = {"", "AA==", "AAE=", "AAEC", "AAECAw==", "AAECAwQ="};
    for (size_t n = 0; n < sizeof encoded / sizeof encoded[0]; n++) {
        char text[128];
        snprintf(text, sizeof text, "{\"log_seq\":7,\"envelope\":\"%s\"}", encoded[n]);
        assert_parses(f, &dajia__log_record__descriptor, text);
        Dajia__LogRecord *rec = (Dajia__LogRecord *)f->msg;
        assert_int_equal(rec->envelope.len, n);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(rec->envelope.data[i], i);
        if (n == 0)
            assert_string_equal(s_write(f), "{\"log_seq\":7}");
        else
            assert_string_equal(s_write(f), text);
    }
}

/* The fields issue 9 added, as a liaison or the Office writes them. */
static void
test_round_trip_issue9_fields_exact_text(void **state)
{
    fixture_t *f = *state;
    const char *text =
        "{\"event_id\":\"msa-mm-1\",\"unit\":\"msa\",\"occurred_at\":"
        "\"2026-11-29T08:00:00Z\",\"region\":\"411502\",\"submitted_at\":"
        "\"2026-11-29T08:00:00.250Z\",\"major_matter\":{\"matter_id\":\"MM-1\",\"type\":"
        "\"cross_region_case\",\"severity\":\"major\",\"title\":\"t\",\"related_cases\":[{"
        "\"unit\":\"psb\",\"case_no\":\"固公32号\"},{\"unit\":\"customs\",\"case_no\":\"C-7\"}]}}";
    assert_parses(f, &dajia__envelope__descriptor, text);
    Dajia__Envelope *env = (Dajia__Envelope *)f->msg;
    assert_int_equal(env->submitted_at, T_0800Z + 250);
    assert_int_equal(env->major_matter->n_related_cases, 2);
    assert_string_equal(env->major_matter->related_cases[1]->unit, "customs");
    assert_string_equal(env->major_matter->related_cases[0]->case_no, "固公32号");
    assert_string_equal(s_write(f), text);

    text = "{\"case_no\":\"A\",\"scope\":\"none\",\"casualties_count\":3}";
    assert_parses(f, &dajia__case_report__descriptor, text);
    assert_int_equal(((Dajia__CaseReport *)f->msg)->scope, DAJIA__REGION_SCOPE__REGION_SCOPE_NONE);
    assert_int_equal(((Dajia__CaseReport *)f->msg)->casualties_count, 3);
    assert_string_equal(s_write(f), text);

    text = "{\"judgments\":1,\"suspects_detained\":4,\"persons_prosecuted\":2}";
    assert_parses(f, &dajia__figures__descriptor, text);
    assert_int_equal(((Dajia__Figures *)f->msg)->suspects_detained, 4);
    assert_int_equal(((Dajia__Figures *)f->msg)->persons_prosecuted, 2);
    assert_string_equal(s_write(f), text);

    text = "{\"log_seq\":7,\"received_at\":\"2026-11-29T08:00:00Z\",\"submitted_at\":"
           "\"2026-11-29T08:00:00.250Z\"}";
    assert_parses(f, &dajia__log_record__descriptor, text);
    assert_int_equal(((Dajia__LogRecord *)f->msg)->submitted_at, T_0800Z + 250);
    assert_string_equal(s_write(f), text);

    /* A related case is an object with known keys only. */
    assert_parse_error(f, &dajia__major_matter_report__descriptor,
                       "{\"related_cases\":[{\"unit\":\"psb\",\"case\":\"A\"}]}", "case", 0, 0);
}

static void
test_bytes_url_safe_and_unpadded_accepted(void **state)
{
    fixture_t *f = *state;
    assert_parses(f, &dajia__log_record__descriptor, "{\"envelope\":\"-_8\"}");
    Dajia__LogRecord *rec = (Dajia__LogRecord *)f->msg;
    assert_int_equal(rec->envelope.len, 2);
    assert_int_equal(rec->envelope.data[0], 0xFB);
    assert_int_equal(rec->envelope.data[1], 0xFF);
    assert_string_equal(s_write(f), "{\"envelope\":\"+/8=\"}");
}

static void
test_bytes_invalid_base64_rejected(void **state)
{
    fixture_t *f = *state;
    assert_parse_error(f, &dajia__log_record__descriptor, "{\"envelope\":\"AA*A\"}",
                       "envelope: not valid base64", 1, 2);
    assert_parse_error(f, &dajia__log_record__descriptor, "{\"envelope\":\"AAAAA\"}",
                       "not valid base64", 1, 2);
    assert_parse_error(f, &dajia__log_record__descriptor, "{\"envelope\":5}", "expected base64", 1,
                       2);
}

/* Every enum reachable from the root messages, with one field that uses it. */
typedef struct {
    const ProtobufCEnumDescriptor *desc;
    const ProtobufCMessageDescriptor *owner;
    const ProtobufCFieldDescriptor *field;
} s_enum_use_t;

static void
s_collect_enums(const ProtobufCMessageDescriptor *desc, s_enum_use_t *uses, size_t *n)
{
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &desc->fields[i];
        if (field->type == PROTOBUF_C_TYPE_MESSAGE)
            s_collect_enums(field->descriptor, uses, n);
        if (field->type != PROTOBUF_C_TYPE_ENUM)
            continue;
        bool seen = false;
        for (size_t k = 0; k < *n; k++)
            seen |= uses[k].desc == field->descriptor;
        if (!seen && *n < MAX_ENUMS)
            uses[(*n)++] = (s_enum_use_t){field->descriptor, desc, field};
    }
}

static void
test_round_trip_every_enum_value(void **state)
{
    fixture_t *f = *state;
    s_enum_use_t uses[MAX_ENUMS];
    size_t n = 0;
    for (size_t r = 0; r < sizeof s_roots / sizeof s_roots[0]; r++)
        s_collect_enums(s_roots[r], uses, &n);
    assert_int_equal(n, 13); /* every enum of dajia.proto is used by some field */

    for (size_t u = 0; u < n; u++) {
        const ProtobufCEnumDescriptor *desc = uses[u].desc;
        const ProtobufCFieldDescriptor *field = uses[u].field;
        bool repeated = field->label == PROTOBUF_C_LABEL_REPEATED;
        for (unsigned i = 0; i < desc->n_values; i++) {
            const ProtobufCEnumValue *value = &desc->values[i];
            /* The short name: the value name past the prefix, lower case. */
            const char *full = value->name;
            const char *us = full;
            size_t words = 1;
            for (const char *p = desc->short_name + 1; *p; p++)
                words += *p >= 'A' && *p <= 'Z';
            for (size_t w = 0; w < words; w++) {
                us = strchr(us, '_');
                assert_non_null(us);
                us++;
            }
            char lower[128];
            size_t k = 0;
            for (; us[k]; k++)
                lower[k] = (char)(us[k] >= 'A' && us[k] <= 'Z' ? us[k] - 'A' + 'a' : us[k]);
            lower[k] = '\0';

            char text[256], expected[256];
            const char *forms[] = {lower, full, "mixed"};
            char mixed[128];
            snprintf(mixed, sizeof mixed, "%s", full);
            for (size_t c = 0; mixed[c]; c++)
                if (c % 2 == 0 && mixed[c] >= 'A' && mixed[c] <= 'Z')
                    mixed[c] = (char)(mixed[c] - 'A' + 'a');
            forms[2] = mixed;
            for (size_t form = 0; form < 3; form++) {
                snprintf(text, sizeof text, repeated ? "{\"%s\":[\"%s\"]}" : "{\"%s\":\"%s\"}",
                         field->name, forms[form]);
                assert_parses(f, uses[u].owner, text);
                int got;
                const char *member = (const char *)f->msg + field->offset;
                if (repeated) {
                    const int *items;
                    memcpy(&items, member, sizeof items);
                    got = items[0];
                } else
                    memcpy(&got, member, sizeof got);
                assert_int_equal(got, value->value);
                snprintf(expected, sizeof expected,
                         repeated ? "{\"%s\":[\"%s\"]}" : "{\"%s\":\"%s\"}", field->name, lower);
                /* A zero outside a list is the default and left out. */
                assert_string_equal(s_write(f), value->value == 0 && !repeated ? "{}" : expected);
            }
        }
    }
}

static void
test_enum_short_name_examples(void **state)
{
    fixture_t *f = *state;
    assert_parses(f, &dajia__case_report__descriptor,
                  "{\"category\":\"Trademark_Counterfeiting\",\"stage\":\"CASE_STAGE_FILED\","
                  "\"linkage\":\"police_declined\",\"goods\":[\"tea\",\"FIRE_SAFETY\"]}");
    assert_string_equal(s_write(f), "{\"category\":\"trademark_counterfeiting\",\"goods\":[\"tea\","
                                    "\"fire_safety\"],\"stage\":\"filed\",\"linkage\":"
                                    "\"police_declined\"}");
}

static void
test_enum_unknown_number_written_as_number(void **state)
{
    (void)state;
    Dajia__Ack ack = DAJIA__ACK__INIT;
    ack.status = (Dajia__AckStatus)77;
    ack.reason = DAJIA__REASON__REASON_BAD_PERIOD;
    char *json = dajia_json_from_message(&ack.base);
    assert_non_null(json);
    assert_string_equal(json, "{\"status\":77,\"reason\":\"bad_period\"}");
    free(json);
}

static void
test_enum_number_rejected_with_names(void **state)
{
    fixture_t *f = *state;
    assert_parse_error(f, &dajia__case_report__descriptor, "{\"case_no\":\"1\",\n  \"stage\":2}",
                       "stage: expected a value of CaseStage as a string such as \"clue\", "
                       "\"filed\", \"investigating\", found an integer",
                       2, 3);
    assert_parse_error(f, &dajia__case_report__descriptor, "{\"stage\":\"fiiled\"}",
                       "stage: \"fiiled\" is not a value of CaseStage; did you mean \"filed\"?", 1,
                       2);
    assert_parse_error(f, &dajia__case_report__descriptor, "{\"stage\":\"opened\"}",
                       "\"opened\" is not a value of CaseStage; expected a name such as \"clue\"",
                       1, 2);
    assert_parse_error(f, &dajia__case_report__descriptor, "{\"stage\":\"opened\"}",
                       "docs/fields.md lists them all", 1, 2);
    assert_parse_error(f, &dajia__case_report__descriptor, "{\"goods\":[\"tea\", \"caviar\"]}",
                       "goods[1]: \"caviar\" is not a value of GoodsCategory", 1, 18);
}

static void
test_fixture_cases_round_trip(void **state)
{
    fixture_t *f = *state;
    char path[4096];
    const char *slash = strrchr(__FILE__, '/');
    int dir = slash ? (int)(slash - __FILE__) : 0;
    snprintf(path, sizeof path, "%.*s%s../fixtures/cases.jsonl", dir, __FILE__, slash ? "/" : "");
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    char *line = malloc(FIXTURE_LINE_MAX);
    assert_non_null(line);
    int lines = 0;
    while (fgets(line, FIXTURE_LINE_MAX, file)) {
        lines++;
        if (s_parse(f, &dajia__envelope__descriptor, line))
            fail_msg("cases.jsonl:%d:%d: %s", lines, f->err.line, f->err.text);
        char *json = s_round_trip(f->msg);
        /* The text as written reads back to the same message. */
        ProtobufCMessage *again = NULL;
        assert_int_equal(
            dajia_json_to_message(&dajia__envelope__descriptor, json, strlen(json), &again, NULL),
            0);
        char *json2 = dajia_json_from_message(again);
        assert_string_equal(json, json2);
        free(json2);
        protobuf_c_message_free_unpacked(again, NULL);
        free(json);
    }
    free(line);
    fclose(file);
    assert_true(lines >= 4);
}

static void
test_mutated_input_never_crashes(void **state)
{
    (void)state;
    static const char alphabet[] = "{}[]\",:\\ 0-9eE.tfnuZT+x\xE4\x80";
    const char *base = "{\"event_id\":\"msa-1\",\"unit\":\"msa\",\"occurred_at\":"
                       "\"2026-11-29T16:00:00+08:00\",\"case_report\":{\"case_no\":\"信1\","
                       "\"goods\":[\"tea\",\"food\"],\"case_value_fen\":\"86400\","
                       "\"platform_ids\":[\"a\",\"b\"],\"stage\":\"filed\"}}";
    size_t len = strlen(base);
    char *text = malloc(len + 1);
    assert_non_null(text);
    unsigned seed = 7;
    int accepted = 0, refused = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(text, base, len + 1);
        int edits = 1 + round % 3;
        for (int e = 0; e < edits; e++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            text[at] = alphabet[(seed >> 8) % (sizeof alphabet - 1)];
        }
        seed = seed * 1103515245u + 12345u;
        size_t cut = round % 5 == 0 ? (seed >> 8) % (len + 1) : len;
        ProtobufCMessage *msg = NULL;
        dajia_json_error_t err;
        if (dajia_json_to_message(&dajia__envelope__descriptor, text, cut, &msg, &err) == 0) {
            char *json = dajia_json_from_message(msg);
            assert_non_null(json);
            free(json);
            protobuf_c_message_free_unpacked(msg, NULL);
            accepted++;
        } else {
            assert_null(msg);
            assert_true(err.line >= 0 && err.line <= 1);
            assert_true(err.column >= 0 && (size_t)err.column <= cut + 1);
            assert_true(strlen(err.text) > 0);
            refused++;
        }
    }
    assert_true(accepted > 0 && refused > 0);
    free(text);
}

// ================================================================== output

static void
test_output_skips_defaults_in_field_order(void **state)
{
    (void)state;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    Dajia__MajorMatterProgress progress = DAJIA__MAJOR_MATTER_PROGRESS__INIT;
    env.matter_progress = &progress;
    env.body_case = DAJIA__ENVELOPE__BODY_MATTER_PROGRESS;
    env.region = "411500";
    env.event_id = "e-1";
    env.reported_at = -1;
    char *json = dajia_json_from_message(&env.base);
    assert_non_null(json);
    /* A oneof member is written even when empty: presence is what it says. */
    assert_string_equal(json, "{\"event_id\":\"e-1\",\"reported_at\":\"1969-12-31T23:59:59.999Z\","
                              "\"region\":\"411500\",\"matter_progress\":{}}");
    free(json);
    Dajia__Ack ack = DAJIA__ACK__INIT;
    json = dajia_json_from_message(&ack.base);
    assert_string_equal(json, "{}");
    free(json);
}

static void
test_output_escapes_and_replaces_invalid_utf8(void **state)
{
    (void)state;
    Dajia__Ack ack = DAJIA__ACK__INIT;
    ack.reason_text = "a\"b\\c\n\x01\x7F 信 \xC0\xAF \xED\xA0\x80 end\xE4";
    char *json = dajia_json_from_message(&ack.base);
    assert_non_null(json);
    assert_string_equal(json, "{\"reason_text\":\"a\\\"b\\\\c\\n\\u0001\x7F 信 "
                              "\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD "
                              "end\xEF\xBF\xBD\"}");
    /* jansson, which checks UTF-8 strictly, reads it. */
    json_error_t jerr;
    json_t *root = json_loads(json, 0, &jerr);
    assert_non_null(root);
    json_decref(root);
    free(json);
}

static void
test_output_times_and_large_numbers(void **state)
{
    fixture_t *f = *state;
    assert_parses(f, &dajia__ack__descriptor,
                  "{\"log_seq\":\"18446744073709551615\",\"received_at\":\"2026-11-29\"}");
    assert_string_equal(s_write(f), "{\"log_seq\":\"18446744073709551615\",\"received_at\":"
                                    "\"2026-11-29T00:00:00Z\"}");
    assert_parses(f, &dajia__ack__descriptor, "{\"log_seq\":9223372036854775807}");
    assert_string_equal(s_write(f), "{\"log_seq\":9223372036854775807}");
}

static void
test_output_time_outside_rfc3339_years_as_number(void **state)
{
    fixture_t *f = *state;
    /* Year 10000 and later has no RFC 3339 spelling: milliseconds, read back alike. */
    assert_parses(f, &dajia__ack__descriptor, "{\"received_at\":253402300800000}");
    assert_string_equal(s_write(f), "{\"received_at\":253402300800000}");
    assert_parses(f, &dajia__ack__descriptor, "{\"received_at\":-9223372036854775808}");
    assert_string_equal(s_write(f), "{\"received_at\":-9223372036854775808}");
    assert_parses(f, &dajia__ack__descriptor, "{\"received_at\":253402300799999}");
    assert_string_equal(s_write(f), "{\"received_at\":\"9999-12-31T23:59:59.999Z\"}");
}

// ================================================================== errors

static void
test_unknown_key_named_with_line(void **state)
{
    fixture_t *f = *state;
    assert_parse_error(f, &dajia__envelope__descriptor,
                       "{\"event_id\": \"msa-1\",\n  \"unitt\": \"msa\"}",
                       "unknown key \"unitt\" in Envelope", 2, 3);
}

static void
test_unknown_key_nested_named_with_path(void **state)
{
    fixture_t *f = *state;
    const char *text = "{\n"
                       "  \"reporter\": \"he wrote \\\"case_nr\\\": here\",\n"
                       "  \"case_report\": {\n"
                       "    \"case_no\": \"信市监〔2026〕1号\", \"case_nr\": 2\n"
                       "  }\n"
                       "}";
    /* The key in the string on line 2 must not fool the locator; column counts
       characters, not bytes, like jansson's. */
    assert_parse_error(f, &dajia__envelope__descriptor, text,
                       "unknown key \"case_nr\" in CaseReport at case_report", 4, 31);
}

static void
test_unknown_key_with_escapes_located(void **state)
{
    fixture_t *f = *state;
    assert_parse_error(f, &dajia__envelope__descriptor,
                       "{\"unit\":\"msa\",\"c\\u0061se_r\\u00e9port\":{}}",
                       "unknown key \"case_r\xC3\xA9port\" in Envelope", 1, 15);
}

static void
test_duplicate_key_rejected(void **state)
{
    fixture_t *f = *state;
    assert_parse_error(f, &dajia__envelope__descriptor, "{\"unit\":\"msa\",\n\"unit\":\"psb\"}",
                       "duplicate", 0, 0);
    assert_int_equal(f->err.line, 2);
    assert_true(f->err.column > 0);
}

static void
test_syntax_error_has_position(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(
        s_parse(f, &dajia__envelope__descriptor, "{\"unit\":\"msa\",\n  \"reporter\": }"), -1);
    assert_int_equal(f->err.line, 2);
    assert_true(f->err.column > 10);
    assert_true(strlen(f->err.text) > 0);
    assert_int_equal(s_parse(f, &dajia__envelope__descriptor, ""), -1);
    assert_int_equal(s_parse(f, &dajia__envelope__descriptor, "{} {}"), -1);
}

/* Found by tests/fuzz/fuzz_json: jansson gives column 0 for an error before any
   character of its line; the position must still be 1-based. */
static void
test_syntax_error_at_line_start_has_column_one(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(s_parse(f, &dajia__envelope__descriptor, ""), -1);
    assert_int_equal(f->err.line, 1);
    assert_int_equal(f->err.column, 1);
    assert_int_equal(s_parse(f, &dajia__envelope__descriptor, "{\"unit\":\"msa\",\n"), -1);
    assert_int_equal(f->err.line, 2);
    assert_int_equal(f->err.column, 1);
}

/* Found by tests/fuzz/fuzz_json: jansson quotes the text near a syntax error byte for
   byte, cutting "\xcc\x9a" in two; the error must stay valid UTF-8. */
static void
test_syntax_error_text_stays_utf8(void **state)
{
    fixture_t *f = *state;
    static const char *const texts[] = {
        "{\"reporter\":\"\\u738b\\u\xcc\x9a\"}", /* bad escape, then a 2-byte character */
        "{\"reporter\":\"\xff\xfe\"}",           /* no UTF-8 at all */
        "{\"reporter\":\"a\x01b\"}",             /* a control character */
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        assert_int_equal(s_parse(f, &dajia__envelope__descriptor, texts[i]), -1);
        size_t len = strlen(f->err.text);
        assert_true(len > 0);
        assert_int_equal(dajia_utf8_check(f->err.text, len), len);
        for (size_t k = 0; k < len; k++)
            assert_true((unsigned char)f->err.text[k] >= 0x20);
    }
}

static void
test_not_an_object_rejected(void **state)
{
    fixture_t *f = *state;
    assert_parse_error(f, &dajia__envelope__descriptor, "  [1, 2]",
                       "expected a Envelope object, found an array", 1, 3);
}

static void
test_text_need_not_be_terminated(void **state)
{
    fixture_t *f = *state;
    const char text[] = "{\"unit\":\"msa\"}GARBAGE";
    assert_int_equal(
        dajia_json_to_message(&dajia__envelope__descriptor, text, 14, &f->msg, &f->err), 0);
    assert_string_equal(((Dajia__Envelope *)f->msg)->unit, "msa");
}

static void
test_type_errors_rejected(void **state)
{
    fixture_t *f = *state;
    const ProtobufCMessageDescriptor *cr = &dajia__case_report__descriptor;
    assert_parse_error(f, cr, "{\"dens_destroyed\":\"5\"}",
                       "dens_destroyed: expected an integer, found a string", 1, 2);
    assert_parse_error(f, cr, "{\"dens_destroyed\":1.5}",
                       "expected an integer, found a number with a fraction", 1, 2);
    assert_parse_error(f, cr, "{\"dens_destroyed\":true}", "expected an integer, found a boolean",
                       1, 2);
    assert_parse_error(f, cr, "{\"case_no\":118}", "case_no: expected a string, found an integer",
                       1, 2);
    assert_parse_error(f, cr, "{\"case_no\":{}}", "expected a string, found an object", 1, 2);
    assert_parse_error(f, cr, "{\"ecommerce\":1}", "ecommerce: expected true or false", 1, 2);
    assert_parse_error(f, cr, "{\"ecommerce\":\"true\"}", "expected true or false", 1, 2);
    assert_parse_error(f, cr, "{\"goods\":\"tea\"}", "goods: expected an array, found a string", 1,
                       2);
    assert_parse_error(f, cr, "{\"platform_ids\":[\"a\",\n null]}",
                       "platform_ids[1]: null is not allowed", 2, 2);
    assert_parse_error(f, cr, "{\"platform_ids\":[\"a\", \"b\", 3]}",
                       "platform_ids[2]: expected a string, found an integer", 1, 28);
    assert_parse_error(f, &dajia__envelope__descriptor, "{\"case_report\":\"x\"}",
                       "case_report: expected a CaseReport object, found a string", 1, 2);
    assert_parse_error(f, &dajia__envelope__descriptor, "{\"case_report\":[]}",
                       "expected a CaseReport object, found an array", 1, 2);
}

static void
test_null_means_not_set(void **state)
{
    fixture_t *f = *state;
    assert_parses(f, &dajia__envelope__descriptor,
                  "{\"unit\":null,\"occurred_at\":null,\"case_report\":null,\"major_matter\":{}}");
    Dajia__Envelope *env = (Dajia__Envelope *)f->msg;
    assert_string_equal(env->unit, "");
    assert_int_equal(env->body_case, DAJIA__ENVELOPE__BODY_MAJOR_MATTER);
}

static void
test_integer_range_checked(void **state)
{
    fixture_t *f = *state;
    const ProtobufCMessageDescriptor *cr = &dajia__case_report__descriptor;
    assert_parses(f, cr, "{\"dens_destroyed\":2147483647,\"arrests_approved\":-2147483648}");
    assert_int_equal(((Dajia__CaseReport *)f->msg)->dens_destroyed, INT32_MAX);
    assert_int_equal(((Dajia__CaseReport *)f->msg)->arrests_approved, INT32_MIN);
    assert_parse_error(f, cr, "{\"dens_destroyed\":2147483648}",
                       "dens_destroyed: 2147483648 is out of range for a 32-bit integer", 1, 2);
    assert_parse_error(f, cr, "{\"dens_destroyed\":-2147483649}", "out of range", 1, 2);

    const ProtobufCMessageDescriptor *mp = &dajia__major_matter_progress__descriptor;
    assert_parses(f, mp, "{\"seq\":4294967295}");
    assert_int_equal(((Dajia__MajorMatterProgress *)f->msg)->seq, UINT32_MAX);
    assert_parse_error(f, mp, "{\"seq\":4294967296}",
                       "seq: 4294967296 is out of range for an unsigned 32-bit integer", 1, 2);
    assert_parse_error(f, mp, "{\"seq\":-1}", "-1 is out of range", 1, 2);
    assert_parse_error(f, mp, "{\"seq\":\"1\"}", "expected an integer", 1, 2);

    assert_parses(f, cr, "{\"case_value_fen\":\"-9223372036854775808\",\"sales_fen\":12}");
    assert_int_equal(((Dajia__CaseReport *)f->msg)->case_value_fen, INT64_MIN);
    assert_parse_error(f, cr, "{\"case_value_fen\":\"9223372036854775808\"}", "not an integer", 1,
                       2);
    assert_parse_error(f, cr, "{\"case_value_fen\":\"12abc\"}", "not a whole number of fen", 1, 2);
    assert_parse_error(f, cr, "{\"case_value_fen\":\" 12\"}", "not a whole number of fen", 1, 2);
    /* jansson itself refuses integers past long long. */
    assert_int_equal(s_parse(f, cr, "{\"case_value_fen\":9223372036854775808}"), -1);

    const ProtobufCMessageDescriptor *ack = &dajia__ack__descriptor;
    assert_parse_error(f, ack, "{\"log_seq\":\"18446744073709551616\"}", "out of range", 1, 2);
    assert_parse_error(f, ack, "{\"log_seq\":\"-1\"}", "not a non-negative integer", 1, 2);
    assert_parse_error(f, ack, "{\"log_seq\":-1}", "-1 is out of range", 1, 2);
}

static void
test_bad_timestamps_rejected(void **state)
{
    fixture_t *f = *state;
    static const char *const bad[] = {
        "2026-13-01",
        "2026-02-29",
        "2026-11-31",
        "2026-11-29T24:00:00Z",
        "2026-11-29T08:60:00Z",
        "2026-11-29T08:00:61Z",
        "2026-11-29T08:00:00",
        "2026-11-29T08:00Z",
        "2026-11-29T08:00:00+8:00",
        "2026-11-29T08:00:00+24:00",
        "2026-11-29T08:00:00.Z",
        "2026-11-29T08:00:00Zjunk",
        "yesterday",
        "",
        "2026-1-29",
        "20261129",
        "2026-11-29T",
        "２026-11-29",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "{\"unit\":\"msa\",\n \"occurred_at\":\"%s\"}", bad[i]);
        assert_parse_error(f, &dajia__envelope__descriptor, text, "occurred_at: \"", 2, 2);
        assert_non_null(strstr(f->err.text, "is not a time"));
    }
    assert_parse_error(f, &dajia__envelope__descriptor, "{\"occurred_at\":true}",
                       "occurred_at: expected an integer", 1, 2);
}

static void
test_oneof_two_members_rejected(void **state)
{
    fixture_t *f = *state;
    assert_parse_error(
        f, &dajia__envelope__descriptor,
        "{\"case_report\":{\"case_no\":\"1\"},\n\"major_matter\":{\"matter_id\":\"m\"}}",
        "only one of case_report and major_matter may be set", 2, 1);
}

static void
test_unknown_key_stops_before_nested_value(void **state)
{
    fixture_t *f = *state;
    /* Deep nesting of unknown structure stops at the first unknown key, not deeper. */
    assert_parse_error(f, &dajia__envelope__descriptor, "{\"x\":[[[[[[[[[[{}]]]]]]]]]]}",
                       "unknown key \"x\"", 1, 2);
}

static void
test_error_midway_frees_everything(void **state)
{
    fixture_t *f = *state;
    /* Strings, arrays and a sub-message are allocated before the error; ASan's leak
       check and free_unpacked's bookkeeping must agree. */
    assert_parse_error(f, &dajia__envelope__descriptor,
                       "{\"event_id\":\"e\",\"case_report\":{\"case_no\":\"c\",\"platform_ids\":"
                       "[\"a\",\"b\",7],\"brand\":\"x\"}}",
                       "platform_ids[2]", 1, 70);
    assert_parse_error(f, &dajia__envelope__descriptor,
                       "{\"event_id\":\"e\",\"case_report\":{\"case_no\":\"c\",\"goods\":[\"tea\","
                       "\"food\"],\"stage\":\"nope\"}}",
                       "case_report.stage", 1, 69);
    assert_parse_error(f, &dajia__log_record__descriptor,
                       "{\"envelope\":\"AAEC\",\"log_seq\":\"x\"}", "log_seq", 1, 20);
}

// ==================================================================== time

static void
test_time_format_utc_and_millis(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(dajia_json_format_time(T_0800Z, buf, sizeof buf), "2026-11-29T08:00:00Z");
    assert_string_equal(dajia_json_format_time(T_0800Z + 123, buf, sizeof buf),
                        "2026-11-29T08:00:00.123Z");
    assert_string_equal(dajia_json_format_time(T_0800Z + 5, buf, sizeof buf),
                        "2026-11-29T08:00:00.005Z");
    assert_string_equal(dajia_json_format_time(0, buf, sizeof buf), "1970-01-01T00:00:00Z");
    assert_string_equal(dajia_json_format_time(-1, buf, sizeof buf), "1969-12-31T23:59:59.999Z");
    assert_string_equal(dajia_json_format_time(DAJIA_MIN_TIME_MS, buf, sizeof buf),
                        "2000-01-01T00:00:00Z");
    assert_string_equal(dajia_json_format_time(951782400000LL, buf, sizeof buf),
                        "2000-02-29T00:00:00Z");
}

static void
test_time_parse_offsets(void **state)
{
    (void)state;
    static const char *const same[] = {
        "2026-11-29T08:00:00Z",      "2026-11-29T16:00:00+08:00", "2026-11-29t08:00:00z",
        "2026-11-29 08:00:00Z",      "2026-11-29T03:30:00-04:30", "2026-11-29T08:00:00+00:00",
        "2026-11-29T08:00:00-00:00", "2026-11-30T07:59:00+23:59", "2026-11-29T08:00:00.000Z",
        "2026-11-29T08:00:00.0009Z",
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        long long ms = 0;
        if (dajia_json_parse_time(same[i], &ms))
            fail_msg("\"%s\" not parsed", same[i]);
        if (ms != T_0800Z)
            fail_msg("\"%s\" parsed as %lld", same[i], ms);
    }
    long long ms;
    assert_int_equal(dajia_json_parse_time("2026-11-29", &ms), 0);
    assert_int_equal(ms, T_0800Z - 8 * 3600 * 1000);
    assert_int_equal(dajia_json_parse_time("2026-11-29T08:00:00.1+08:00", &ms), 0);
    assert_int_equal(ms, T_0800Z - 8 * 3600 * 1000 + 100);
    assert_int_equal(dajia_json_parse_time("2026-11-29T08:00:00.123456789Z", &ms), 0);
    assert_int_equal(ms, T_0800Z + 123);
    assert_int_equal(dajia_json_parse_time("2024-02-29", &ms), 0);
    assert_int_equal(dajia_json_parse_time("2000-02-29", &ms), 0);
    assert_int_equal(dajia_json_parse_time("1900-02-29", &ms), -1);
    assert_int_equal(dajia_json_parse_time("1969-12-31T23:59:59.999Z", &ms), 0);
    assert_int_equal(ms, -1);
    assert_int_equal(dajia_json_parse_time("2026-11-29T08:00:00", &ms), -1);
    assert_int_equal(dajia_json_parse_time(NULL, &ms), -1);
}

static void
test_time_format_parse_round_trip(void **state)
{
    (void)state;
    unsigned seed = 2026;
    for (int i = 0; i < 20000; i++) {
        seed = seed * 1103515245u + 12345u;
        long long hi = (long long)(seed >> 8);
        seed = seed * 1103515245u + 12345u;
        /* Any millisecond between 1900 and 2100. */
        long long ms = -2208988800000LL + (hi * 16777216LL + (seed >> 8)) % 6311433600000LL;
        if (i % 3 == 0)
            ms -= ms % 1000; /* whole seconds, written without a fraction */
        char buf[32];
        long long back = 0;
        dajia_json_format_time(ms, buf, sizeof buf);
        if (dajia_json_parse_time(buf, &back) || back != ms)
            fail_msg("%lld -> %s -> %lld", ms, buf, back);
        assert_true((ms % 1000 == 0) == (strchr(buf, '.') == NULL));
    }
}

// ============================================================ hints for people

static void
test_unknown_key_suggests_nearest(void **state)
{
    fixture_t *f = *state;
    const ProtobufCMessageDescriptor *env = &dajia__envelope__descriptor;
    assert_parse_error(f, env,
                       "{\"unit\":\"msa\",\n \"case_report\":{\"case_no\":\"1\",\n  "
                       "\"case_value\":8640000}}",
                       "unknown key \"case_value\" in CaseReport at case_report; did you mean "
                       "`case_value_fen`?",
                       3, 3);
    assert_string_equal(f->err.field, "case_report.case_value");
    /* A typo, a swap of two letters, another case. */
    assert_parse_error(f, env, "{\"ocurred_at\":\"2026-11-03\"}", "did you mean `occurred_at`?", 1,
                       2);
    assert_parse_error(f, env, "{\"reigon\":\"411502\"}", "did you mean `region`?", 1, 2);
    assert_parse_error(f, env, "{\"Unit\":\"msa\"}", "did you mean `unit`?", 1, 2);
    /* A key of a report written at the top of the envelope. */
    assert_parse_error(f, env, "{\"case_no\":\"1\"}",
                       "unknown key \"case_no\" in Envelope; it belongs inside `case_report`", 1,
                       2);
    assert_parse_error(f, env, "{\"matter_id\":\"M1\"}",
                       "it belongs inside `major_matter` or `matter_progress`", 1, 2);
    /* Nothing near: where the keys are listed. */
    assert_parse_error(f, env, "{\"\xE6\xA1\x88\xE5\x80\xBC\":1}",
                       "docs/fields.md lists the keys of Envelope", 1, 2);
}

static void
test_money_in_yuan_gets_fen_hint(void **state)
{
    fixture_t *f = *state;
    const ProtobufCMessageDescriptor *cr = &dajia__case_report__descriptor;
    assert_parse_error(f, cr, "{\"case_value_fen\":\"86400.00\"}",
                       "case_value_fen: \"86400.00\" is not a whole number of fen: money is "
                       "written in fen (1 yuan = 100 fen), so 86,400.00 yuan is 8640000 fen",
                       1, 2);
    assert_string_equal(f->err.field, "case_value_fen");
    assert_parse_error(f, cr, "{\"fines_confiscations_fen\":\"86,400.00\"}",
                       "86,400.00 yuan is 8640000 fen", 1, 2);
    assert_parse_error(f, cr, "{\"sales_fen\":86400.5}",
                       "sales_fen: 86400.5 is not a whole number of fen: money is written in fen "
                       "(1 yuan = 100 fen), so 86,400.50 yuan is 8640050 fen",
                       1, 2);
    assert_parse_error(f, cr, "{\"sales_fen\":\"lots\"}", "e.g. 8640000 for 86,400.00 yuan", 1, 2);
    /* Whole fen as digits in a string still read. */
    assert_parses(f, cr, "{\"sales_fen\":\"8640000\"}");
    assert_int_equal(((Dajia__CaseReport *)f->msg)->sales_fen, 8640000);
}

static void
test_bool_as_string_gets_hint(void **state)
{
    fixture_t *f = *state;
    assert_parse_error(f, &dajia__case_report__descriptor, "{\"ecommerce\":\"true\"}",
                       "ecommerce: expected true or false, found a string; write true or false, "
                       "without quotes",
                       1, 2);
}

static void
test_full_width_punctuation_named(void **state)
{
    fixture_t *f = *state;
    /* {"unit"："msa"} with a full-width colon. */
    assert_parse_error(f, &dajia__envelope__descriptor, "{\"unit\"\xEF\xBC\x9A\"msa\"}",
                       "full-width punctuation", 1, 8);
}

typedef struct {
    int count;
    char texts[8][DAJIA_JSON_ERROR_MAX];
    char fields[8][DAJIA_JSON_FIELD_MAX];
    int lines[8];
} s_errors_t;

static void
s_on_error(const dajia_json_error_t *err, void *arg)
{
    s_errors_t *e = arg;
    if (e->count < 8) {
        snprintf(e->texts[e->count], sizeof e->texts[0], "%s", err->text);
        snprintf(e->fields[e->count], sizeof e->fields[0], "%s", err->field);
        e->lines[e->count] = err->line;
    }
    e->count++;
}

static void
test_each_reports_every_error_and_reads_the_rest(void **state)
{
    (void)state;
    const char *text = "{\"unit\":\"msa\",\"occurred_at\":\"2026-11-03\",\n"
                       " \"case_report\":{\"case_no\":\"X-1\",\n"
                       "  \"case_value\":1,\n"
                       "  \"fines_confiscations_fen\":\"86400.00\",\n"
                       "  \"stage\":\"filled\",\n"
                       "  \"category\":\"trademark_counterfeiting\"}}";
    s_errors_t e;
    memset(&e, 0, sizeof e);
    ProtobufCMessage *msg = NULL;
    assert_int_equal(dajia_json_to_message_each(&dajia__envelope__descriptor, text, strlen(text),
                                                &msg, s_on_error, &e),
                     3);
    assert_int_equal(e.count, 3);
    assert_non_null(strstr(e.texts[0], "did you mean `case_value_fen`?"));
    assert_int_equal(e.lines[0], 3);
    assert_string_equal(e.fields[1], "case_report.fines_confiscations_fen");
    assert_non_null(strstr(e.texts[1], "8640000 fen"));
    assert_int_equal(e.lines[1], 4);
    assert_non_null(strstr(e.texts[2], "did you mean \"filed\"?"));
    assert_string_equal(e.fields[2], "case_report.stage");
    /* What was right was read. */
    assert_non_null(msg);
    Dajia__Envelope *env = (Dajia__Envelope *)msg;
    assert_string_equal(env->unit, "msa");
    assert_non_null(env->case_report);
    assert_string_equal(env->case_report->case_no, "X-1");
    assert_int_equal(env->case_report->category,
                     DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING);
    assert_int_equal(env->case_report->stage, 0);
    protobuf_c_message_free_unpacked(msg, NULL);

    /* A syntax error: one error, no message. */
    memset(&e, 0, sizeof e);
    msg = NULL;
    assert_int_equal(dajia_json_to_message_each(&dajia__envelope__descriptor, "{\"unit\":", 8, &msg,
                                                s_on_error, &e),
                     1);
    assert_int_equal(e.count, 1);
    assert_null(msg);
    assert_string_equal(e.fields[0], "");

    /* A clean text: no error, the whole message. */
    memset(&e, 0, sizeof e);
    assert_int_equal(dajia_json_to_message_each(&dajia__envelope__descriptor, "{\"unit\":\"msa\"}",
                                                14, &msg, s_on_error, &e),
                     0);
    assert_int_equal(e.count, 0);
    assert_non_null(msg);
    protobuf_c_message_free_unpacked(msg, NULL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_round_trip_every_message_every_field),
        T(test_round_trip_envelope_bodies_all_covered),
        T(test_round_trip_ack_exact_text),
        T(test_round_trip_log_record_bytes),
        T(test_round_trip_issue9_fields_exact_text),
        T(test_bytes_url_safe_and_unpadded_accepted),
        T(test_bytes_invalid_base64_rejected),
        T(test_round_trip_every_enum_value),
        T(test_enum_short_name_examples),
        T(test_enum_unknown_number_written_as_number),
        T(test_enum_number_rejected_with_names),
        T(test_fixture_cases_round_trip),
        T(test_mutated_input_never_crashes),
        T(test_output_skips_defaults_in_field_order),
        T(test_output_escapes_and_replaces_invalid_utf8),
        T(test_output_times_and_large_numbers),
        T(test_output_time_outside_rfc3339_years_as_number),
        T(test_unknown_key_named_with_line),
        T(test_unknown_key_nested_named_with_path),
        T(test_unknown_key_with_escapes_located),
        T(test_duplicate_key_rejected),
        T(test_syntax_error_has_position),
        T(test_syntax_error_at_line_start_has_column_one),
        T(test_syntax_error_text_stays_utf8),
        T(test_not_an_object_rejected),
        T(test_text_need_not_be_terminated),
        T(test_type_errors_rejected),
        T(test_null_means_not_set),
        T(test_integer_range_checked),
        T(test_bad_timestamps_rejected),
        T(test_oneof_two_members_rejected),
        T(test_unknown_key_stops_before_nested_value),
        T(test_error_midway_frees_everything),
        T(test_time_format_utc_and_millis),
        T(test_time_parse_offsets),
        T(test_time_format_parse_round_trip),
        T(test_unknown_key_suggests_nearest),
        T(test_money_in_yuan_gets_fen_hint),
        T(test_bool_as_string_gets_hint),
        T(test_full_width_punctuation_named),
        T(test_each_reports_every_error_and_reads_the_rest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
