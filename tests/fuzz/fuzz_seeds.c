/*  fuzz_seeds: writes the seed corpora and the JSON dictionary of the fuzz targets.

    usage: fuzz_seeds FIXTURES.jsonl DIR

    Reads the events of FIXTURES.jsonl (one JSON envelope a line) and writes, under DIR:
      corpus/fuzz_envelope/     each event packed, and packed edge cases
      corpus/fuzz_json/         each line as it is, and JSON edge cases
      corpus/fuzz_api_request/  SUBMIT requests (times moved a year back, so that the
                                broker's real clock finds them valid on any later day)
                                and requests of every other shape
      fuzz_json.dict            every field name and enum value name of the schema
      fuzz_api_request.dict     the commands and the member unit codes
      corpus/fuzz_worker_protocol/  what workers send: READY, DONE with FeedItems of
                                each kind, TICKED, HEARTBEAT, broken shapes of each, the
                                options (standby, failing store) and reproducers (repro-*)
      fuzz_worker_protocol.dict the worker commands and the service names
    The output is committed (tests/fuzz/corpus); run this again after the schema or the
    fixtures change. Files are small: the largest is one fixture event.
*/
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dajia.pb-c.h"
#include "dajia_api.h"
#include "dajia_json.h"
#include "fuzz_util.h"

#define S_LINE_MAX   16384
#define S_PATH_MAX   4096
#define S_YEAR_MS    (365LL * 24 * 3600 * 1000)
#define S_MAX_FRAMES 5 /* as in fuzz_api_request.c */
#define S_MAX_NAMES  1024

static const char *s_dir;
static int s_failed;

// ================================================================== output

static void
s_write(const char *target, const char *name, const void *data, size_t len)
{
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/corpus/%s", s_dir, target);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/corpus/%s/%s", s_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "fuzz_seeds: cannot write %s: %s\n", path, strerror(errno));
        s_failed = 1;
    }
}

static uint8_t *
s_pack(const ProtobufCMessage *msg, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(*len + 1);
    if (!buf) {
        fprintf(stderr, "fuzz_seeds: out of memory\n");
        exit(1);
    }
    protobuf_c_message_pack(msg, buf);
    return buf;
}

/* Writes input `name` of `target`: byte `byte0`, then each of the `count` frames in
   `ap` (data, length pairs) but the last behind a 2-byte little-endian length, then the
   last frame. The format of both fuzz_api_request and fuzz_worker_protocol. */
static void
s_write_frames(const char *target, const char *name, uint8_t byte0, size_t count, va_list ap)
{
    uint8_t buf[S_LINE_MAX];
    size_t used = 0;
    buf[used++] = byte0;
    for (size_t i = 0; i < count; i++) {
        const void *data = va_arg(ap, const void *);
        size_t len = va_arg(ap, size_t);
        if (i + 1 < count) {
            buf[used++] = (uint8_t)(len & 0xFF);
            buf[used++] = (uint8_t)(len >> 8);
        }
        if (used + len > sizeof buf)
            break;
        memcpy(buf + used, data, len);
        used += len;
    }
    s_write(target, name, buf, used);
}

/* A request in fuzz_api_request's format: byte 0 gives 1 + byte % S_MAX_FRAMES frames. */
static void
s_write_request(const char *name, size_t count, ...)
{
    va_list ap;
    va_start(ap, count);
    s_write_frames("fuzz_api_request", name, (uint8_t)(count - 1), count, ap);
    va_end(ap);
}

static void
s_write_submit(const char *name, const ProtobufCMessage *env)
{
    size_t len;
    uint8_t *packed = s_pack(env, &len);
    s_write_request(name, 2, "SUBMIT", (size_t)6, packed, len);
    free(packed);
}

// =============================================================== envelopes

/* Moves every time (`*_at`) of `msg` and its sub-messages one year back. */
static void
s_shift_times(ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    char *base = (char *)msg;
    for (unsigned f = 0; f < desc->n_fields; f++) {
        const ProtobufCFieldDescriptor *field = &desc->fields[f];
        if (field->label == PROTOBUF_C_LABEL_REPEATED)
            continue;
        if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t chosen;
            memcpy(&chosen, base + field->quantifier_offset, sizeof chosen);
            if (chosen != field->id)
                continue;
        }
        size_t n = strlen(field->name);
        if (field->type == PROTOBUF_C_TYPE_INT64 && n > 3 &&
            strcmp(field->name + n - 3, "_at") == 0) {
            int64_t v;
            memcpy(&v, base + field->offset, sizeof v);
            if (v)
                v -= S_YEAR_MS;
            memcpy(base + field->offset, &v, sizeof v);
        } else if (field->type == PROTOBUF_C_TYPE_MESSAGE) {
            ProtobufCMessage *sub;
            memcpy(&sub, base + field->offset, sizeof sub);
            if (sub)
                s_shift_times(sub);
        }
    }
}

static const char *
s_body_name(const Dajia__Envelope *env)
{
    switch (env->body_case) {
    case DAJIA__ENVELOPE__BODY_CASE_REPORT:
        return "case_report";
    case DAJIA__ENVELOPE__BODY_MAJOR_MATTER:
        return "major_matter";
    case DAJIA__ENVELOPE__BODY_MATTER_PROGRESS:
        return "matter_progress";
    case DAJIA__ENVELOPE__BODY_DYNAMIC_INFO:
        return "dynamic_info";
    default:
        return "no_body";
    }
}

/* Packed edge cases, each a small variation of a valid case report. */
static void
s_envelope_edges(void)
{
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    Dajia__CaseReport report = DAJIA__CASE_REPORT__INIT;
    env.event_id = "msa-edge-0001";
    env.unit = "msa";
    env.occurred_at = 1795161600000LL; /* 2026-11-20T08:00:00Z */
    env.body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
    env.case_report = &report;
    report.case_no = "edge-1";
    report.category = DAJIA__CASE_CATEGORY__CASE_CATEGORY_OTHER;
    report.stage = DAJIA__CASE_STAGE__CASE_STAGE_CLUE;

    size_t len;
    uint8_t *packed = s_pack(&env.base, &len);
    s_write("fuzz_envelope", "edge-minimal.pb", packed, len);
    s_write("fuzz_envelope", "edge-truncated.pb", packed, len / 2);
    /* An unknown field 99 (varint 1): kept by protobuf, ignored by validation. */
    uint8_t unknown[S_LINE_MAX];
    memcpy(unknown, packed, len);
    memcpy(unknown + len, "\x98\x06\x01", 3);
    s_write("fuzz_envelope", "edge-unknown-field.pb", unknown, len + 3);
    /* A length that runs past the end. */
    memcpy(unknown, packed, len);
    unknown[1] = 0x7F;
    s_write("fuzz_envelope", "edge-length-overflow.pb", unknown, len);
    free(packed);
    s_write("fuzz_envelope", "edge-empty.pb", "", 0);

    Dajia__GoodsCategory goods[80];
    for (size_t i = 0; i < 80; i++)
        goods[i] = (Dajia__GoodsCategory)(i % 20);
    report.goods = goods;
    report.n_goods = 80;
    packed = s_pack(&env.base, &len);
    s_write("fuzz_envelope", "edge-too-many-goods.pb", packed, len);
    free(packed);
    report.n_goods = 0;
    report.goods = NULL;

    report.fines_confiscations_fen = -1;
    report.dens_destroyed = -3;
    packed = s_pack(&env.base, &len);
    s_write("fuzz_envelope", "edge-negative.pb", packed, len);
    free(packed);
    report.fines_confiscations_fen = 0;
    report.dens_destroyed = 0;

    env.reporter = "\xC0\xAF\xED\xA0\x80"; /* overlong '/', a surrogate */
    packed = s_pack(&env.base, &len);
    s_write("fuzz_envelope", "edge-bad-utf8.pb", packed, len);
    free(packed);
    env.reporter = "";

    env.reported_at = 4102444800000LL; /* 2100: far in the future */
    report.closed_at = 1;              /* 1970 */
    packed = s_pack(&env.base, &len);
    s_write("fuzz_envelope", "edge-times.pb", packed, len);
    free(packed);
}

// ==================================================================== JSON

static const char *const s_json_edges[][2] = {
    {"edge-empty-object.json", "{}"},
    {"edge-not-object.json", "[1, \"two\", null]"},
    {"edge-nulls.json", "{\"event_id\":null,\"unit\":\"msa\",\"case_report\":null}"},
    {"edge-escapes.json",
     "{\"event_id\":\"e\\u0031\",\"reporter\":\"\\u738b\\u4e3d \\ud83d\\ude00 \\\"q\\\"\\n\","
     "\"unit\":\"msa\"}"},
    {"edge-times.json",
     "{\"occurred_at\":\"2026-11-29T16:00:00.123456+08:00\",\"reported_at\":1796083200000,"
     "\"dynamic_info\":{\"info_id\":\"i\",\"period\":\"2026-Q4\",\"kind\":\"work_dynamic\","
     "\"zero_report\":true}}"},
    {"edge-time-extreme.json", "{\"occurred_at\":-9223372036854775808,\"reported_at\":"
                               "\"0000-01-01T00:00:00Z\"}"},
    {"edge-numbers.json",
     "{\"case_report\":{\"case_value_fen\":\"9223372036854775807\",\"dens_destroyed\":"
     "-2147483648,\"seized_quantity\":-1,\"goods\":[\"tea\",\"GOODS_CATEGORY_DRUG\",1]}}"},
    {"edge-progress.json",
     "{\"matter_progress\":{\"matter_id\":\"m\",\"seq\":4294967295,\"status\":\"blocked\","
     "\"narrative\":\"x\",\"next_update_due_at\":\"2026-12-15\"}}"},
    {"edge-two-bodies.json", "{\"case_report\":{},\"dynamic_info\":{}}"},
    {"edge-unknown-nested.json",
     "{\"major_matter\":{\"matter_id\":\"m\",\"requests\":[\"meeting\"],\n  \"nope\":1}}"},
    {"edge-duplicate-key.json", "{\"unit\":\"a\",\"unit\":\"b\"}"},
    {"edge-syntax.json", "{\"unit\": \"msa\",\n \"region\": 411502,"},
};

/* One dictionary entry, JSON-quoted as libFuzzer's -dict reads it, once. */
static void
s_dict_add(FILE *dict, char seen[][64], size_t *count, const char *word)
{
    for (size_t i = 0; i < *count; i++)
        if (strcmp(seen[i], word) == 0)
            return;
    if (*count < S_MAX_NAMES && strlen(word) < 60) {
        snprintf(seen[*count], 64, "%s", word);
        (*count)++;
    }
    fprintf(dict, "\"\\\"%s\\\"\"\n", word);
}

/* Field names of `desc` and its sub-messages, and the short names of their enums. */
static void
s_dict_message(FILE *dict, char seen[][64], size_t *count, const ProtobufCMessageDescriptor *desc,
               int depth)
{
    if (depth > 4)
        return;
    for (unsigned f = 0; f < desc->n_fields; f++) {
        const ProtobufCFieldDescriptor *field = &desc->fields[f];
        s_dict_add(dict, seen, count, field->name);
        if (field->type == PROTOBUF_C_TYPE_MESSAGE)
            s_dict_message(dict, seen, count, field->descriptor, depth + 1);
        if (field->type != PROTOBUF_C_TYPE_ENUM)
            continue;
        const ProtobufCEnumDescriptor *e = field->descriptor;
        /* JSON names an enum value without its type prefix, in lower case:
           CaseCategory's CASE_CATEGORY_FAKE_DRUG is "fake_drug". */
        char prefix[64];
        size_t plen = 0;
        for (const char *p = e->short_name; *p && plen + 3 < sizeof prefix; p++) {
            if (*p >= 'A' && *p <= 'Z' && p != e->short_name)
                prefix[plen++] = '_';
            prefix[plen++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
        }
        prefix[plen++] = '_';
        prefix[plen] = '\0';
        for (unsigned v = 0; v < e->n_values; v++) {
            const char *name = e->values[v].name;
            if (strncmp(name, prefix, plen) == 0 && name[plen])
                name += plen;
            char lower[64];
            size_t i = 0;
            for (; name[i] && i + 1 < sizeof lower; i++)
                lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
            lower[i] = '\0';
            s_dict_add(dict, seen, count, lower);
        }
    }
}

static void
s_write_dict(void)
{
    static char seen[S_MAX_NAMES][64];
    size_t count = 0;
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/fuzz_json.dict", s_dir);
    FILE *dict = fopen(path, "w");
    if (!dict) {
        fprintf(stderr, "fuzz_seeds: cannot write %s: %s\n", path, strerror(errno));
        s_failed = 1;
        return;
    }
    fprintf(dict, "# libFuzzer dictionary for fuzz_json, written by fuzz_seeds: the\n"
                  "# schema's field names and enum value names, and JSON's own tokens.\n");
    s_dict_message(dict, seen, &count, &dajia__envelope__descriptor, 0);
    static const char *const tokens[] = {
        "\"true\"",
        "\"false\"",
        "\"null\"",
        "\"\\\\u0000\"",
        "\"\\\\ud83d\\\\ude00\"",
        "\"-9223372036854775808\"",
        "\"18446744073709551615\"",
        "\"1e400\"",
        "\"T00:00:00Z\"",
        "\"+08:00\"",
        "\".999\"",
        "\"2026-11-29\"",
        "\"2026-Q4\"",
    };
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++)
        fprintf(dict, "%s\n", tokens[i]);
    if (fclose(dict) != 0)
        s_failed = 1;
}

static void
s_write_api_dict(void)
{
    static const char *const words[] = {DAJIA_API_SUBMIT, DAJIA_API_STATS, DAJIA_API_REPLAY,
                                        DAJIA_API_HELLO, FUZZ_MEMBERS};
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/fuzz_api_request.dict", s_dir);
    FILE *dict = fopen(path, "w");
    if (!dict) {
        fprintf(stderr, "fuzz_seeds: cannot write %s: %s\n", path, strerror(errno));
        s_failed = 1;
        return;
    }
    fprintf(dict, "# libFuzzer dictionary for fuzz_api_request, written by fuzz_seeds: the\n"
                  "# commands of the api and the member unit codes.\n");
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        fprintf(dict, "\"%s\"\n", words[i]);
    if (fclose(dict) != 0)
        s_failed = 1;
}

// ============================================================ api requests

static void
s_request_edges(void)
{
    Dajia__ReplayRequest replay = DAJIA__REPLAY_REQUEST__INIT;
    replay.from_seq = 1;
    replay.audience = DAJIA__AUDIENCE__AUDIENCE_PUBLIC;
    size_t len;
    uint8_t *packed = s_pack(&replay.base, &len);
    s_write_request("replay.req", 2, "REPLAY", (size_t)6, packed, len);
    free(packed);
    s_write_request("stats.req", 2, "STATS", (size_t)5, "", (size_t)0);
    s_write_request("stats-one-frame.req", 1, "STATS", (size_t)5);
    s_write_request("hello.req", 2, "HELLO", (size_t)5, "", (size_t)0);
    s_write_request("hello-one-frame.req", 1, "HELLO", (size_t)5);
    s_write_request("unknown-command.req", 2, "DELETE", (size_t)6, "x", (size_t)1);
    s_write_request("empty-command.req", 2, "", (size_t)0, "x", (size_t)1);
    s_write_request("submit-alone.req", 1, "SUBMIT", (size_t)6);
    s_write_request("submit-three-frames.req", 3, "SUBMIT", (size_t)6, "\x0a\x01x", (size_t)3,
                    "extra", (size_t)5);
    s_write_request("submit-garbage.req", 2, "SUBMIT", (size_t)6, "\xff\xff\xff\xff\xff",
                    (size_t)5);
    s_write_request("submit-empty.req", 2, "SUBMIT", (size_t)6, "", (size_t)0);
    s_write_request("five-empty-frames.req", 5, "", (size_t)0, "", (size_t)0, "", (size_t)0, "",
                    (size_t)0, "", (size_t)0);
}

// ========================================================= worker messages

/* A message in fuzz_worker_protocol's format (fuzz_util.h): byte 0 with the frame count,
   `prefix` and `arg`, then each frame but the last behind a 2-byte little-endian length,
   then the last frame. */
static void
s_write_worker(const char *name, unsigned prefix, unsigned arg, size_t count, ...)
{
    va_list ap;
    va_start(ap, count);
    s_write_frames("fuzz_worker_protocol", name, fuzz_worker_byte0(count, prefix, arg), count, ap);
    va_end(ap);
}

static void
s_u64_be(uint64_t value, uint8_t out[8])
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)(value & 0xFF);
        value >>= 8;
    }
}

/* A FeedItem of each kind, packed, as the workers make them. */
static size_t
s_feed_items(uint8_t *packed[4], size_t len[4])
{
    Dajia__Escalation esc = DAJIA__ESCALATION__INIT;
    esc.escalation_id = "E1:msa:F-1";
    esc.rule = "E1";
    esc.level = DAJIA__SEVERITY__SEVERITY_MAJOR;
    esc.reason = "case value over the threshold";
    esc.unit = "msa";
    esc.case_no = "F-1";
    esc.source_event_id = "fuzz-1";
    esc.source_log_seq = 1;
    esc.escalated_at = 1795161600000LL;
    esc.action = "notify office";
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.audience = DAJIA__AUDIENCE__AUDIENCE_OFFICE;
    item.service = "escalate";
    item.source_log_seq = 1;
    item.produced_at = 1795161600000LL;
    item.item_case = DAJIA__FEED_ITEM__ITEM_ESCALATION;
    item.escalation = &esc;
    packed[0] = s_pack(&item.base, &len[0]);

    Dajia__Figures figures = DAJIA__FIGURES__INIT;
    figures.cases_filed = 1;
    figures.case_value_fen = 120000;
    Dajia__AggregateRow row = DAJIA__AGGREGATE_ROW__INIT;
    row.period = "2026-11";
    row.unit = "msa";
    row.category = DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING;
    row.figures = &figures;
    Dajia__AggregateRow *rows[] = {&row};
    Dajia__AggregateUpdate update = DAJIA__AGGREGATE_UPDATE__INIT;
    update.rows = rows;
    update.n_rows = 1;
    update.through_log_seq = 1;
    item.audience = DAJIA__AUDIENCE__AUDIENCE_PUBLIC;
    item.service = "aggregate";
    item.item_case = DAJIA__FEED_ITEM__ITEM_AGGREGATE;
    item.aggregate = &update;
    packed[1] = s_pack(&item.base, &len[1]);

    Dajia__Bulletin bulletin = DAJIA__BULLETIN__INIT;
    bulletin.period = "2026-11";
    bulletin.produced_at = 1796083200000LL;
    bulletin.figures = rows;
    bulletin.n_figures = 1;
    char *silent[] = {"tobacco"};
    bulletin.silent_units = silent;
    bulletin.n_silent_units = 1;
    bulletin.markdown = "# 2026-11\n";
    item.service = "circulate";
    item.source_log_seq = 0;
    item.item_case = DAJIA__FEED_ITEM__ITEM_BULLETIN;
    item.bulletin = &bulletin;
    packed[2] = s_pack(&item.base, &len[2]);

    Dajia__MatterLine matter = DAJIA__MATTER_LINE__INIT;
    matter.unit = "psb";
    matter.matter_id = "M-1";
    matter.title = "a major matter";
    matter.severity = DAJIA__SEVERITY__SEVERITY_MAJOR;
    matter.status = DAJIA__MATTER_STATUS__MATTER_STATUS_IN_PROGRESS;
    matter.days_overdue = 3;
    item.audience = DAJIA__AUDIENCE__AUDIENCE_OFFICE;
    item.service = "escalate";
    item.source_log_seq = 2;
    item.item_case = DAJIA__FEED_ITEM__ITEM_MATTER;
    item.matter = &matter;
    packed[3] = s_pack(&item.base, &len[3]);
    return 4;
}

static void
s_worker_edges(void)
{
    uint8_t zero[8], one[8], two[8], max[8];
    s_u64_be(0, zero);
    s_u64_be(1, one);
    s_u64_be(2, two);
    s_u64_be(UINT64_MAX, max);
    uint8_t *item[4];
    size_t len[4];
    s_feed_items(item, len);
    const size_t n = (size_t)8;

    /* Registration */
    s_write_worker("ready-aggregate.msg", FUZZ_WORKER_RAW, 0, 3, "READY", (size_t)5, "aggregate",
                   (size_t)9, zero, n);
    s_write_worker("ready-escalate-standby.msg", FUZZ_WORKER_RAW, 0, 3, "READY", (size_t)5,
                   "escalate", (size_t)8, one, n);
    s_write_worker("ready-circulate-applied-max.msg", FUZZ_WORKER_RAW, 0, 3, "READY", (size_t)5,
                   "circulate", (size_t)9, max, n);
    s_write_worker("ready-prefix-circulate.msg", FUZZ_WORKER_READY_SERVICE, 2, 1, zero, n);
    s_write_worker("ready-unknown-service.msg", FUZZ_WORKER_READY, 0, 2, "audit", (size_t)5, zero,
                   n);
    s_write_worker("ready-short-seq.msg", FUZZ_WORKER_READY, 0, 2, "aggregate", (size_t)9, "\x01",
                   (size_t)1);
    s_write_worker("ready-alone.msg", FUZZ_WORKER_RAW, 0, 1, "READY", (size_t)5);

    /* Answers to events: the log_seq due, with outputs of each kind */
    s_write_worker("done-due-aggregate.msg", FUZZ_WORKER_DONE_SEQ, 0, 1, item[1], len[1]);
    s_write_worker("done-due-escalation-matter.msg", FUZZ_WORKER_DONE_SEQ, 0, 2, item[0], len[0],
                   item[3], len[3]);
    s_write_worker("done-due-none.msg", FUZZ_WORKER_DONE_SEQ, 0, 1, "", (size_t)0);
    s_write_worker("done-stored-already.msg", FUZZ_WORKER_DONE_SEQ, 1, 1, item[1], len[1]);
    s_write_worker("done-ahead.msg", FUZZ_WORKER_DONE_SEQ, 2, 1, item[1], len[1]);
    s_write_worker("done-raw-1.msg", FUZZ_WORKER_RAW, 0, 3, "DONE", (size_t)4, one, n, item[1],
                   len[1]);
    s_write_worker("done-not-a-feeditem.msg", FUZZ_WORKER_DONE_SEQ, 0, 2, "\xff\xff\xff", (size_t)3,
                   item[1], len[1]);
    s_write_worker("done-feeditem-no-item.msg", FUZZ_WORKER_DONE_SEQ, 0, 1, "\x10\x02", (size_t)2);
    s_write_worker("done-no-seq.msg", FUZZ_WORKER_RAW, 0, 1, "DONE", (size_t)4);
    s_write_worker("done-short-seq.msg", FUZZ_WORKER_DONE, 0, 2, "\x01\x02", (size_t)2, item[1],
                   len[1]);

    /* A reproducer: the dispatcher stores a DONE for the log_seq after the last one it
       sent, so that this message, sent again and again, moves the aggregate cursor past
       the end of the log on the 9th time (tests/fuzz/README.md, "Known bug"). */
    s_write_worker("repro-done-past-log-end.msg", FUZZ_WORKER_DONE_SEQ, 0, 1, item[1], len[1]);

    /* Timer ticks */
    s_write_worker("ticked-due-bulletin.msg", FUZZ_WORKER_TICKED_NO, 0, 1, item[2], len[2]);
    s_write_worker("ticked-first-escalation.msg", FUZZ_WORKER_TICKED_NO, 3, 1, item[0], len[0]);
    s_write_worker("ticked-raw-2.msg", FUZZ_WORKER_RAW, 0, 3, "TICKED", (size_t)6, two, n, item[2],
                   len[2]);
    s_write_worker("ticked-zero.msg", FUZZ_WORKER_TICKED, 0, 2, zero, n, item[2], len[2]);
    s_write_worker("ticked-skips-one.msg", FUZZ_WORKER_TICKED_NO, 2, 1, item[2], len[2]);

    /* The options: sent by a standby, the dispatcher's store failing */
    s_write_worker("done-as-standby.msg", FUZZ_WORKER_DONE, FUZZ_WORKER_STANDBY, 2, one, n, item[1],
                   len[1]);
    s_write_worker("ticked-as-standby.msg", FUZZ_WORKER_TICKED, FUZZ_WORKER_STANDBY, 2, one, n,
                   item[2], len[2]);
    s_write_worker("done-store-fails.msg", FUZZ_WORKER_DONE, FUZZ_WORKER_STORE_FAILS, 2, one, n,
                   item[1], len[1]);
    s_write_worker("ticked-store-fails.msg", FUZZ_WORKER_TICKED, FUZZ_WORKER_STORE_FAILS, 2, one, n,
                   item[2], len[2]);
    s_write_worker("heartbeat-as-standby-store-fails.msg", FUZZ_WORKER_HEARTBEAT,
                   FUZZ_WORKER_STANDBY | FUZZ_WORKER_STORE_FAILS, 1, "", (size_t)0);

    /* Heartbeats and the rest */
    s_write_worker("heartbeat.msg", FUZZ_WORKER_RAW, 0, 1, "HEARTBEAT", (size_t)9);
    s_write_worker("heartbeat-extra.msg", FUZZ_WORKER_HEARTBEAT, 0, 2, one, n, "x", (size_t)1);
    s_write_worker("unknown-command.msg", FUZZ_WORKER_RAW, 0, 2, "EVENT", (size_t)5, "x",
                   (size_t)1);
    s_write_worker("empty.msg", FUZZ_WORKER_RAW, 0, 1, "", (size_t)0);
    s_write_worker("eight-empty-frames.msg", FUZZ_WORKER_RAW, 0, 8, "", (size_t)0, "", (size_t)0,
                   "", (size_t)0, "", (size_t)0, "", (size_t)0, "", (size_t)0, "", (size_t)0, "",
                   (size_t)0);
    for (size_t i = 0; i < 4; i++)
        free(item[i]);
}

static void
s_write_worker_dict(void)
{
    static const char *const words[] = {"READY",     "DONE",       "TICKED",    "HEARTBEAT",
                                        "EVENT",     "TICK",       "aggregate", "escalate",
                                        "circulate", "escalation", "bulletin",  "matter"};
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/fuzz_worker_protocol.dict", s_dir);
    FILE *dict = fopen(path, "w");
    if (!dict) {
        fprintf(stderr, "fuzz_seeds: cannot write %s: %s\n", path, strerror(errno));
        s_failed = 1;
        return;
    }
    fprintf(dict, "# libFuzzer dictionary for fuzz_worker_protocol, written by fuzz_seeds: the\n"
                  "# commands of the worker protocol, the service names, numbers at the edges.\n");
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        fprintf(dict, "\"%s\"\n", words[i]);
    fprintf(dict, "\"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01\"\n"
                  "\"\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\"\n"
                  "\"\\x7f\\xff\\xff\\xff\\xff\\xff\\xff\\xff\"\n");
    if (fclose(dict) != 0)
        s_failed = 1;
}

// ==================================================================== main

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fuzz_seeds FIXTURES.jsonl DIR\n");
        return 2;
    }
    s_dir = argv[2];
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/corpus", s_dir);
    mkdir(path, 0755);
    FILE *in = fopen(argv[1], "r");
    if (!in) {
        fprintf(stderr, "fuzz_seeds: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    static char line[S_LINE_MAX];
    int number = 0;
    while (fgets(line, sizeof line, in)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        number++;
        ProtobufCMessage *msg = NULL;
        dajia_json_error_t err;
        if (dajia_json_to_message(&dajia__envelope__descriptor, line, n, &msg, &err) != 0) {
            fprintf(stderr, "fuzz_seeds: %s:%d: %s\n", argv[1], number, err.text);
            s_failed = 1;
            continue;
        }
        char name[64];
        const char *body = s_body_name((Dajia__Envelope *)msg);
        snprintf(name, sizeof name, "fixture-%d-%s.json", number, body);
        s_write("fuzz_json", name, line, n);
        size_t len;
        uint8_t *packed = s_pack(msg, &len);
        snprintf(name, sizeof name, "fixture-%d-%s.pb", number, body);
        s_write("fuzz_envelope", name, packed, len);
        free(packed);
        s_shift_times(msg);
        snprintf(name, sizeof name, "submit-%d-%s.req", number, body);
        s_write_submit(name, msg);
        protobuf_c_message_free_unpacked(msg, NULL);
    }
    fclose(in);
    if (number == 0) {
        fprintf(stderr, "fuzz_seeds: %s holds no events\n", argv[1]);
        return 1;
    }
    s_envelope_edges();
    for (size_t i = 0; i < sizeof s_json_edges / sizeof s_json_edges[0]; i++)
        s_write("fuzz_json", s_json_edges[i][0], s_json_edges[i][1], strlen(s_json_edges[i][1]));
    s_request_edges();
    s_write_dict();
    s_write_api_dict();
    s_worker_edges();
    s_write_worker_dict();
    return s_failed;
}
