/*  dajia_codec: decoding and validating an Envelope, and deriving event ids.

    The broker runs every submitted event through dajia_envelope_decode, at up to a few
    hundred thousand events a second, so the checks are written to cost nearly nothing
    on a good event: the generic pass looks at a field's name only when its value could
    be wrong (a non-empty string, a negative number, a time that is set), and nothing is
    allocated beyond what protobuf-c's unpack allocates. Texts are formatted only on
    failure, and then they name the field by its path ("case_report.goods[3]") so that a
    liaison officer can find it in the form.

    One deliberate departure from "every `*_at` lies before now + max_future": deadlines,
    the fields named `*_due_at`, are in the future by nature (the next progress report on
    a major matter is due in 7 or 15 days), so they may lie up to a year ahead.
*/
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "dajia_codec.h"
#include "dajia_pbc.h"
#include "dajia_rules.h"
#include "dajia_time.h"
#include "dajia_utf8.h"

/* Deepest nesting of messages the generic pass follows (the cap guards the path). */
#define S_MAX_DEPTH DAJIA_RULES_MAX_DEPTH

/* Room for a field path in a verdict ("case_report.involved_units[63]"). */
#define S_PATH_MAX 96

/* Room for a quoted id or unit in a verdict (DAJIA_MAX_ID bytes and a marker). */
#define S_QUOTE_MAX (DAJIA_MAX_ID + 8)

/* Packed envelopes up to this size are hashed from the stack when deriving ids. */
#define S_DERIVE_STACK 4096

/* Room for a time as dajia_time_format writes it. */
#define S_TIME_TEXT DAJIA_TIME_TEXT_MAX

/* SHA-1, as zdigest computes it. */
#define S_SHA1_SIZE 20

// ============================================================ validation state

/* A message the pass has descended into: the field holding it, and its item. */
typedef struct {
    const char *name;
    long index; /* item of a repeated field, or -1 */
} s_step_t;

typedef struct {
    const dajia_limits_t *limits;
    int64_t latest_ms;     /* now + max_future, saturated */
    int64_t latest_due_ms; /* now + DAJIA_RULES_MAX_DUE_AHEAD_MS, saturated */
    dajia_verdict_t *verdict;
    dajia_unit_known_fn *known; /* NULL: every unit is a member */
    void *known_arg;
    s_step_t parents[S_MAX_DEPTH];
    int depth;
    dajia_verdict_fn *each; /* collect every failure (dajia_envelope_validate_each) */
    void *each_arg;
    int failures;
} s_check_t;

/* After a failure (the verdict is filled): when collecting, hands it over and returns 0
   so that the checks go on; else returns -1, the first failure wins. */
static int
s_found(s_check_t *self)
{
    if (!self->each)
        return -1;
    self->failures++;
    self->each(self->verdict, self->each_arg);
    return 0;
}

/* Writes the path of `field` (item `index`, or -1) under the messages the pass is in,
   "case_report.goods[3]", into buf. Only failures call it: the pass itself keeps no
   more than the chain of parent messages. */
static const char *
s_path(const s_check_t *self, const ProtobufCFieldDescriptor *field, long index, char *buf,
       size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i <= self->depth && used < size; i++) {
        const char *name = i < self->depth ? self->parents[i].name : field->name;
        long item = i < self->depth ? self->parents[i].index : index;
        int n = item >= 0 ? snprintf(buf + used, size - used, "%s%s[%ld]", i ? "." : "", name, item)
                          : snprintf(buf + used, size - used, "%s%s", i ? "." : "", name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return buf;
}

/* Copies `text` for quoting in a sentence, with control characters, quotes and
   backslashes replaced by '?', cut to fit. The texts quoted are ids that already passed
   the UTF-8 and length checks; this keeps a verdict printable in any log. */
static const char *
s_quote(const char *text, char *buf, size_t size)
{
    size_t i = 0;
    for (; text[i] && i + 1 < size; i++) {
        unsigned char c = (unsigned char)text[i];
        buf[i] = (c < 0x20 || c == 0x7F || c == '"' || c == '\\') ? '?' : (char)c;
    }
    buf[i] = '\0';
    return buf;
}

static bool
s_empty(const char *text)
{
    return !text || !*text;
}

// ================================================================ generic pass
//
// The loop over fields is the hot part: for a field at its default (most of a case
// report) it costs a load and a compare. Everything that formats text lives in the
// s_bad_* functions, reached only when a value is wrong.

static int
s_check_message(s_check_t *self, const ProtobufCMessage *msg);

/* A time (`*_at`) that is set: within [2000-01-01, now + max_future], or for a deadline
   (`*_due_at`) within a year ahead. */
static int
s_check_time(s_check_t *self, const ProtobufCFieldDescriptor *field, long index, int64_t value)
{
    char path[S_PATH_MAX], when[S_TIME_TEXT], limit[S_TIME_TEXT];
    if (value < DAJIA_MIN_TIME_MS)
        return dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_TIME_BEFORE_2000,
                                 "%s is %s, before the year 2000",
                                 s_path(self, field, index, path, sizeof path),
                                 dajia_time_format(value, when, sizeof when));
    if (value <= self->latest_ms)
        return 0;
    if (dajia_rules_ends_with(field->name, "_due_at")) {
        if (value <= self->latest_due_ms)
            return 0;
        return dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_TIME_IN_FUTURE,
                                 "%s is %s, more than a year ahead; check the date",
                                 s_path(self, field, index, path, sizeof path),
                                 dajia_time_format(value, when, sizeof when));
    }
    return dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_TIME_IN_FUTURE,
                             "%s is %s, later than the broker's clock allows (%s); check the date",
                             s_path(self, field, index, path, sizeof path),
                             dajia_time_format(value, when, sizeof when),
                             dajia_time_format(self->latest_ms, limit, sizeof limit));
}

/* A negative integer that is not a time: money or a count. */
static int
s_bad_negative(s_check_t *self, const ProtobufCFieldDescriptor *field, long index, int64_t value)
{
    char path[S_PATH_MAX];
    Dajia__Reason reason = dajia_rules_ends_with(field->name, "_fen")
                               ? DAJIA__REASON__REASON_NEGATIVE_AMOUNT
                               : DAJIA__REASON__REASON_NEGATIVE_COUNT;
    return dajia_verdict_set(self->verdict, reason, "%s is negative (%" PRId64 ")",
                             s_path(self, field, index, path, sizeof path), value);
}

static int
s_check_string(s_check_t *self, const ProtobufCFieldDescriptor *field, long index, const char *text)
{
    char path[S_PATH_MAX];
    size_t len = strlen(text);
    /* Every limit is at least DAJIA_MAX_ID: shorter strings need no lookup. */
    if (len > DAJIA_MAX_ID) {
        size_t limit = dajia_rules_text_limit(field->name);
        if (len > limit)
            return dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_STRING_TOO_LONG,
                                     "%s is %zu bytes long, more than the limit of %zu",
                                     s_path(self, field, index, path, sizeof path), len, limit);
    }
    size_t bad = dajia_utf8_check(text, len);
    if (bad < len)
        return dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_INVALID_UTF8,
                                 "%s is not valid UTF-8 text (at byte %zu); it may have been "
                                 "saved in another encoding",
                                 s_path(self, field, index, path, sizeof path), bad);
    return 0;
}

static int
s_bad_enum(s_check_t *self, const ProtobufCFieldDescriptor *field, long index, int value)
{
    char path[S_PATH_MAX];
    const ProtobufCEnumDescriptor *enum_desc = field->descriptor;
    return dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_ENUM_OUT_OF_RANGE,
                             "%s has the value %d, which is not a known %s",
                             s_path(self, field, index, path, sizeof path), value,
                             enum_desc->short_name);
}

static int
s_check_sub(s_check_t *self, const ProtobufCFieldDescriptor *field, long index,
            const ProtobufCMessage *sub)
{
    char path[S_PATH_MAX];
    if (self->depth >= S_MAX_DEPTH)
        return dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_MALFORMED,
                                 "%s nests messages too deeply",
                                 s_path(self, field, index, path, sizeof path));
    self->parents[self->depth].name = field->name;
    self->parents[self->depth].index = index;
    self->depth++;
    int rc = s_check_message(self, sub);
    self->depth--;
    return rc;
}

/* Checks one value of `field` at `value`: a singular member (index -1) or an item. */
static inline int
s_check_value(s_check_t *self, const ProtobufCFieldDescriptor *field, long index, const void *value)
{
    switch (field->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: {
        int32_t v;
        memcpy(&v, value, sizeof v);
        if (v >= 0)
            return 0;
        return dajia_rules_ends_with(field->name, "_at") ? s_check_time(self, field, index, v)
                                                         : s_bad_negative(self, field, index, v);
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: {
        int64_t v;
        memcpy(&v, value, sizeof v);
        if (v == 0)
            return 0;
        if (dajia_rules_ends_with(field->name, "_at"))
            return s_check_time(self, field, index, v);
        return v > 0 ? 0 : s_bad_negative(self, field, index, v);
    }
    case PROTOBUF_C_TYPE_ENUM: {
        int v;
        memcpy(&v, value, sizeof v);
        if (protobuf_c_enum_descriptor_get_value(field->descriptor, v))
            return 0;
        return s_bad_enum(self, field, index, v);
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *text;
        memcpy(&text, value, sizeof text);
        return s_empty(text) ? 0 : s_check_string(self, field, index, text);
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub;
        memcpy(&sub, value, sizeof sub);
        return sub ? s_check_sub(self, field, index, sub) : 0;
    }
    default:
        /* Unsigned numbers, bools, floating point and bytes carry no rule. */
        return 0;
    }
}

static int
s_check_repeated(s_check_t *self, const ProtobufCFieldDescriptor *field, const char *base)
{
    char path[S_PATH_MAX];
    size_t n;
    const char *items;
    memcpy(&n, base + field->quantifier_offset, sizeof n);
    memcpy(&items, base + field->offset, sizeof items);
    if (n > self->limits->max_repeated)
        return dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_TOO_MANY_ITEMS,
                                 "%s has %zu items, more than the limit of %zu",
                                 s_path(self, field, -1, path, sizeof path), n,
                                 self->limits->max_repeated);
    size_t size = dajia_pbc_item_size(field->type);
    for (size_t i = 0; i < n && items; i++) {
        int rc = s_check_value(self, field, (long)i, items + i * size);
        if (rc && s_found(self))
            return rc;
    }
    return 0;
}

/* protobuf-c 1.4 reads an overlong encoding of field number 0 (0x80 0x00) as an unknown
   field, and packs it again as the single byte 0x00, which no protobuf reader accepts
   (itself included). Such an envelope would be stored as sent and break every other
   reader of the log, so it is refused as malformed. Found by tests/fuzz/fuzz_envelope. */
static int
s_check_unknown(s_check_t *self, const ProtobufCMessage *msg)
{
    char path[S_PATH_MAX] = "the envelope";
    for (unsigned u = 0; u < msg->n_unknown_fields; u++) {
        if (msg->unknown_fields[u].tag != 0)
            continue;
        if (self->depth > 0) {
            const s_step_t *step = &self->parents[self->depth - 1];
            snprintf(path, sizeof path, "%s", step->name);
        }
        return dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_MALFORMED,
                                 "not a valid dajia event (%s holds a field numbered 0)", path);
    }
    return 0;
}

static int
s_check_message(s_check_t *self, const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    const char *base = (const char *)msg;
    if (msg->n_unknown_fields && s_check_unknown(self, msg) && s_found(self))
        return -1;
    for (unsigned f = 0; f < desc->n_fields; f++) {
        const ProtobufCFieldDescriptor *field = &desc->fields[f];
        if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            /* Members of a oneof share their storage: only the chosen one is real. */
            uint32_t chosen;
            memcpy(&chosen, base + field->quantifier_offset, sizeof chosen);
            if (chosen != field->id)
                continue;
        }
        int rc = field->label == PROTOBUF_C_LABEL_REPEATED
                     ? s_check_repeated(self, field, base)
                     : s_check_value(self, field, -1, base + field->offset);
        /* A list or a message inside has handed over its own failures already. */
        if (rc && s_found(self))
            return rc;
    }
    return 0;
}

// =============================================================== specific pass

/* Says that `field` is missing; returns -1 to stop or 0 to go on (s_found). */
static int
s_missing(s_check_t *self, const char *field, const char *hint)
{
    dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_MISSING_FIELD, "%s is missing%s", field,
                      hint ? hint : "");
    return s_found(self);
}

/* Sets the verdict (a failure) and says whether to stop: -1 or 0, as s_found. */
static int
s_failed(s_check_t *self, int set_result)
{
    (void)set_result; /* dajia_verdict_set always returns -1 */
    return s_found(self);
}

/* Is `unit` a member unit's code? An empty text is not. */
static bool
s_member(const s_check_t *self, const char *unit)
{
    return !s_empty(unit) && (!self->known || self->known(unit, self->known_arg));
}

static int
s_not_member(s_check_t *self, const char *path, size_t index, const char *unit)
{
    char quoted[S_QUOTE_MAX];
    if (s_empty(unit))
        return s_failed(self, dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_NOT_A_MEMBER,
                                                "%s[%zu] is empty; it must be a member unit's code",
                                                path, index));
    return s_failed(self, dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_NOT_A_MEMBER,
                                            "%s[%zu] \"%s\" is not the code of a member unit of "
                                            "the leading group",
                                            path, index, s_quote(unit, quoted, sizeof quoted)));
}

/* Every item of a list of unit codes (involved_units) names a member. */
static int
s_check_members(s_check_t *self, const char *path, char *const *units, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s_member(self, units[i]) && s_not_member(self, path, i, units[i]))
            return -1;
    return 0;
}

/* A related case of another unit: a member's code and that unit's case number. */
static int
s_check_related_cases(s_check_t *self, const Dajia__MajorMatterReport *body)
{
    for (size_t i = 0; i < body->n_related_cases; i++) {
        const Dajia__RelatedCase *rc = body->related_cases[i];
        char path[S_PATH_MAX];
        if (!rc)
            continue;
        if (s_empty(rc->unit)) {
            snprintf(path, sizeof path, "major_matter.related_cases[%zu].unit", i);
            if (s_missing(self, path, " (the code of the member unit whose case it is)"))
                return -1;
        } else if (!s_member(self, rc->unit)) {
            char quoted[S_QUOTE_MAX];
            if (s_failed(self, dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_NOT_A_MEMBER,
                                                 "major_matter.related_cases[%zu].unit \"%s\" is "
                                                 "not the code of a member unit of the leading "
                                                 "group",
                                                 i, s_quote(rc->unit, quoted, sizeof quoted))))
                return -1;
        }
        if (s_empty(rc->case_no)) {
            snprintf(path, sizeof path, "major_matter.related_cases[%zu].case_no", i);
            if (s_missing(self, path, " (that unit's own case number)"))
                return -1;
        }
    }
    return 0;
}

/* A region given is a code of the configured region. */
static int
s_check_region(s_check_t *self, const char *region)
{
    char quoted[S_QUOTE_MAX];
    const char *prefix = self->limits->region_prefix;
    if (s_empty(region) || dajia_rules_region_valid(region, strlen(region), prefix))
        return 0;
    if (prefix && *prefix)
        return s_failed(self, dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_BAD_REGION,
                                                "region \"%s\" is not an administrative code of "
                                                "the configured region: six digits beginning "
                                                "with %s",
                                                s_quote(region, quoted, sizeof quoted), prefix));
    return s_failed(self, dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_BAD_REGION,
                                            "region \"%s\" is not an administrative code: six "
                                            "digits, like 411502",
                                            s_quote(region, quoted, sizeof quoted)));
}

/* Each body check below goes on after a failure when collecting: `cond && s_missing()`
   stops (returns -1) only when the first failure wins. */
static int
s_check_case_report(s_check_t *self, const Dajia__CaseReport *body)
{
    if (s_empty(body->case_no) &&
        s_missing(self, "case_report.case_no", " (the unit's own case number)"))
        return -1;
    if (body->category == DAJIA__CASE_CATEGORY__CASE_CATEGORY_UNSPECIFIED &&
        s_missing(self, "case_report.category", " (what kind of case this is)"))
        return -1;
    if (body->stage == DAJIA__CASE_STAGE__CASE_STAGE_UNSPECIFIED &&
        s_missing(self, "case_report.stage", " (where the case stands now)"))
        return -1;
    return s_check_members(self, "case_report.involved_units", body->involved_units,
                           body->n_involved_units);
}

static int
s_check_major_matter(s_check_t *self, const Dajia__MajorMatterReport *body)
{
    if (s_empty(body->matter_id) && s_missing(self, "major_matter.matter_id", NULL))
        return -1;
    if (body->type == DAJIA__MATTER_TYPE__MATTER_TYPE_UNSPECIFIED &&
        s_missing(self, "major_matter.type", NULL))
        return -1;
    if (body->severity == DAJIA__SEVERITY__SEVERITY_UNSPECIFIED &&
        s_missing(self, "major_matter.severity", " (major or especially major)"))
        return -1;
    if (s_empty(body->title) && s_missing(self, "major_matter.title", NULL))
        return -1;
    if (s_check_members(self, "major_matter.involved_units", body->involved_units,
                        body->n_involved_units))
        return -1;
    return s_check_related_cases(self, body);
}

static int
s_check_matter_progress(s_check_t *self, const Dajia__MajorMatterProgress *body)
{
    if (s_empty(body->matter_id) && s_missing(self, "matter_progress.matter_id", NULL))
        return -1;
    if (body->seq == 0 && s_missing(self, "matter_progress.seq",
                                    " (progress reports on a matter are numbered 1, 2, ...)"))
        return -1;
    if (body->status == DAJIA__MATTER_STATUS__MATTER_STATUS_UNSPECIFIED &&
        s_missing(self, "matter_progress.status", NULL))
        return -1;
    if (s_empty(body->narrative) &&
        s_missing(self, "matter_progress.narrative", " (what has happened since)"))
        return -1;
    return 0;
}

static int
s_check_dynamic_info(s_check_t *self, const Dajia__DynamicInfo *body)
{
    char quoted[S_QUOTE_MAX];
    if (s_empty(body->info_id) && s_missing(self, "dynamic_info.info_id", NULL))
        return -1;
    if (s_empty(body->period)) {
        if (s_missing(self, "dynamic_info.period",
                      " (a month like 2026-11 or a quarter like "
                      "2026-Q4)"))
            return -1;
    } else if (!dajia_rules_period_valid(body->period, strlen(body->period))) {
        dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_BAD_PERIOD,
                          "dynamic_info.period \"%s\" is neither a month like 2026-11 nor "
                          "a quarter like 2026-Q4",
                          s_quote(body->period, quoted, sizeof quoted));
        if (s_found(self))
            return -1;
    }
    if (body->kind == DAJIA__INFO_KIND__INFO_KIND_UNSPECIFIED &&
        s_missing(self, "dynamic_info.kind", NULL))
        return -1;
    if (!body->zero_report && s_empty(body->title) &&
        s_missing(self, "dynamic_info.title", " (only a zero report may go without one)"))
        return -1;
    return 0;
}

static int
s_check_envelope(s_check_t *self, const Dajia__Envelope *env, dajia_unit_known_fn *known,
                 void *known_arg)
{
    char quoted[S_QUOTE_MAX];
    if (s_empty(env->event_id)) {
        if (s_failed(self, dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_MISSING_EVENT_ID,
                                             "event_id is missing; every event needs one so "
                                             "that it is never stored twice")))
            return -1;
    } else if (!dajia_rules_id_valid(env->event_id, strlen(env->event_id)) &&
               s_failed(self, dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_BAD_ID,
                                                "event_id \"%s\" may contain only letters, digits "
                                                "and . _ : -",
                                                s_quote(env->event_id, quoted, sizeof quoted))))
        return -1;
    if (s_empty(env->unit)) {
        if (s_missing(self, "unit", " (the code of the reporting member unit)"))
            return -1;
    } else if (known && !known(env->unit, known_arg) &&
               s_failed(self, dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_UNKNOWN_UNIT,
                                                "unit \"%s\" is not a member unit of the "
                                                "leading group",
                                                s_quote(env->unit, quoted, sizeof quoted))))
        return -1;
    if (env->occurred_at == 0 &&
        s_missing(self, "occurred_at", " (when the reported change happened)"))
        return -1;
    if (s_check_region(self, env->region))
        return -1;
    if (!s_empty(env->supersedes_event_id)) {
        if (!dajia_rules_id_valid(env->supersedes_event_id, strlen(env->supersedes_event_id))) {
            if (s_failed(self, dajia_verdict_set(
                                   self->verdict, DAJIA__REASON__REASON_BAD_ID,
                                   "supersedes_event_id \"%s\" may contain only "
                                   "letters, digits and . _ : -",
                                   s_quote(env->supersedes_event_id, quoted, sizeof quoted))))
                return -1;
        } else if (!s_empty(env->event_id) &&
                   strcmp(env->supersedes_event_id, env->event_id) == 0 &&
                   s_failed(self,
                            dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_BAD_ID,
                                              "supersedes_event_id names this event itself; it "
                                              "must name the earlier event being corrected")))
            return -1;
    }
    switch (env->body_case) {
    case DAJIA__ENVELOPE__BODY_CASE_REPORT:
        if (env->case_report)
            return s_check_case_report(self, env->case_report);
        break;
    case DAJIA__ENVELOPE__BODY_MAJOR_MATTER:
        if (env->major_matter)
            return s_check_major_matter(self, env->major_matter);
        break;
    case DAJIA__ENVELOPE__BODY_MATTER_PROGRESS:
        if (env->matter_progress)
            return s_check_matter_progress(self, env->matter_progress);
        break;
    case DAJIA__ENVELOPE__BODY_DYNAMIC_INFO:
        if (env->dynamic_info)
            return s_check_dynamic_info(self, env->dynamic_info);
        break;
    default:
        break;
    }
    return s_failed(self, dajia_verdict_set(self->verdict, DAJIA__REASON__REASON_MISSING_BODY,
                                            "the event carries no report: one of case_report, "
                                            "major_matter, matter_progress or dynamic_info is "
                                            "needed"));
}

// ====================================================================== wire

/* Reads a varint at *pos; false when the bytes end first or it runs past 10 bytes. */
static bool
s_wire_varint(const uint8_t *data, size_t len, size_t *pos, uint64_t *value)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70 && *pos < len; shift += 7) {
        uint8_t b = data[(*pos)++];
        v |= (uint64_t)(b & 0x7F) << (shift < 64 ? shift : 63);
        if (!(b & 0x80)) {
            *value = v;
            return true;
        }
    }
    return false;
}

/* True when a string field of `desc` (or of a message inside it) holds a NUL byte in
   the encoded `data`. Only called on bytes protobuf-c has unpacked, so the walk stops
   quietly at anything it does not expect. */
static bool
s_wire_has_nul(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len, int depth)
{
    size_t pos = 0;
    while (pos < len && depth < S_MAX_DEPTH) {
        uint64_t tag = 0, n = 0;
        if (!s_wire_varint(data, len, &pos, &tag))
            return false;
        switch (tag & 7) {
        case 0:
            if (!s_wire_varint(data, len, &pos, &n))
                return false;
            break;
        case 1:
            pos += 8;
            break;
        case 5:
            pos += 4;
            break;
        case 2: {
            if (!s_wire_varint(data, len, &pos, &n) || n > len - pos)
                return false;
            const ProtobufCFieldDescriptor *field =
                tag >> 3 <= UINT32_MAX
                    ? protobuf_c_message_descriptor_get_field(desc, (unsigned)(tag >> 3))
                    : NULL;
            if (field && field->type == PROTOBUF_C_TYPE_STRING && memchr(data + pos, 0, n))
                return true;
            if (field && field->type == PROTOBUF_C_TYPE_MESSAGE &&
                s_wire_has_nul(field->descriptor, data + pos, n, depth + 1))
                return true;
            pos += n;
            break;
        }
        default:
            return false;
        }
    }
    return false;
}

// ==================================================================== public

void
dajia_limits_default(dajia_limits_t *limits)
{
    limits->max_message = DAJIA_MAX_MESSAGE;
    limits->max_repeated = DAJIA_MAX_REPEATED;
    limits->max_future_ms = DAJIA_MAX_FUTURE_MS;
    limits->region_prefix = NULL;
}

bool
dajia_region_prefix_valid(const char *prefix)
{
    return dajia_rules_region_prefix_valid(prefix);
}

static int
s_validate(const Dajia__Envelope *env, const dajia_limits_t *limits, int64_t now_ms,
           dajia_unit_known_fn *known, void *known_arg, dajia_verdict_t *verdict,
           dajia_verdict_fn *each, void *each_arg)
{
    dajia_limits_t defaults;
    if (!limits) {
        dajia_limits_default(&defaults);
        limits = &defaults;
    }
    s_check_t check = {.limits = limits,
                       .verdict = verdict,
                       .known = known,
                       .known_arg = known_arg,
                       .each = each,
                       .each_arg = each_arg};
    if (!env || env->base.descriptor != &dajia__envelope__descriptor) {
        dajia_verdict_set(verdict, DAJIA__REASON__REASON_MALFORMED,
                          "not a valid dajia event (no envelope)");
        return s_found(&check) ? -1 : check.failures;
    }
    check.latest_ms = dajia_rules_latest(now_ms, limits->max_future_ms);
    check.latest_due_ms = dajia_rules_latest(now_ms, DAJIA_RULES_MAX_DUE_AHEAD_MS);

    if (s_check_message(&check, &env->base) || s_check_envelope(&check, env, known, known_arg))
        return -1;
    return check.failures;
}

int
dajia_envelope_validate(const Dajia__Envelope *env, const dajia_limits_t *limits, int64_t now_ms,
                        dajia_unit_known_fn *known, void *known_arg, dajia_verdict_t *verdict)
{
    dajia_verdict_t scratch;
    if (!verdict)
        verdict = &scratch;
    if (s_validate(env, limits, now_ms, known, known_arg, verdict, NULL, NULL))
        return -1;
    verdict->reason = DAJIA__REASON__REASON_NONE;
    verdict->text[0] = '\0';
    return 0;
}

int
dajia_envelope_validate_each(const Dajia__Envelope *env, const dajia_limits_t *limits,
                             int64_t now_ms, dajia_unit_known_fn *known, void *known_arg,
                             dajia_verdict_fn *each, void *each_arg)
{
    dajia_verdict_t verdict;
    if (!each)
        return s_validate(env, limits, now_ms, known, known_arg, &verdict, NULL, NULL) ? 1 : 0;
    return s_validate(env, limits, now_ms, known, known_arg, &verdict, each, each_arg);
}

int
dajia_envelope_decode(const void *data, size_t len, const dajia_limits_t *limits, int64_t now_ms,
                      dajia_unit_known_fn *known, void *known_arg, Dajia__Envelope **out,
                      dajia_verdict_t *verdict)
{
    return dajia_envelope_decode_with(data, len, limits, now_ms, known, known_arg, NULL, out,
                                      verdict);
}

int
dajia_envelope_decode_with(const void *data, size_t len, const dajia_limits_t *limits,
                           int64_t now_ms, dajia_unit_known_fn *known, void *known_arg,
                           ProtobufCAllocator *allocator, Dajia__Envelope **out,
                           dajia_verdict_t *verdict)
{
    assert(out);
    dajia_limits_t defaults;
    dajia_verdict_t scratch;
    if (!limits) {
        dajia_limits_default(&defaults);
        limits = &defaults;
    }
    if (!verdict)
        verdict = &scratch;
    *out = NULL;

    if (len > limits->max_message)
        return dajia_verdict_set(verdict, DAJIA__REASON__REASON_TOO_LARGE,
                                 "the event is %zu bytes, more than the limit of %zu bytes", len,
                                 limits->max_message);
    if (!data && len > 0)
        return dajia_verdict_set(verdict, DAJIA__REASON__REASON_MALFORMED,
                                 "not a valid dajia event (no data)");
    Dajia__Envelope *env = dajia__envelope__unpack(allocator, len, data ? data : (const void *)"");
    if (!env)
        return dajia_verdict_set(verdict, DAJIA__REASON__REASON_MALFORMED,
                                 "not a valid dajia event (protobuf decoding failed)");
    /* protobuf-c ends each string at its first NUL byte, so "ab\0cd" would be checked
       (and deduplicated) as "ab" while the log keeps all five bytes: refuse it. Most
       events hold no zero byte at all (proto3 leaves zero values out, and a varint's
       bytes are never zero), and one memchr then spares the walk over the fields. */
    if (len && memchr(data, 0, len) && s_wire_has_nul(&dajia__envelope__descriptor, data, len, 0)) {
        dajia__envelope__free_unpacked(env, allocator);
        return dajia_verdict_set(verdict, DAJIA__REASON__REASON_INVALID_UTF8,
                                 "a text of the event holds a NUL byte (a zero byte), which "
                                 "no text may contain");
    }
    if (dajia_envelope_validate(env, limits, now_ms, known, known_arg, verdict)) {
        dajia__envelope__free_unpacked(env, allocator);
        return -1;
    }
    *out = env;
    return 0;
}

int
dajia_event_id_derive(const Dajia__Envelope *env, char *buf, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t stack[S_DERIVE_STACK];
    uint8_t *packed = stack;
    zdigest_t *digest = NULL;
    int rc = -1;
    if (!env || !buf || size < DAJIA_DERIVED_ID_SIZE)
        goto out;

    /* A shallow copy shares every string and body with `env`, which stays untouched. */
    Dajia__Envelope copy = *env;
    copy.event_id = (char *)protobuf_c_empty_string;
    copy.reported_at = 0;
    size_t packed_size = dajia__envelope__get_packed_size(&copy);
    if (packed_size > sizeof stack) {
        packed = malloc(packed_size);
        if (!packed)
            goto out;
    }
    dajia__envelope__pack(&copy, packed);

    digest = zdigest_new();
    if (!digest)
        goto out;
    const char *unit = env->unit ? env->unit : "";
    zdigest_update(digest, (const byte *)unit, strlen(unit) + 1);
    zdigest_update(digest, packed, packed_size);
    const byte *sum = zdigest_data(digest);
    if (!sum || zdigest_size(digest) != S_SHA1_SIZE)
        goto out;

    buf[0] = 'd';
    buf[1] = '-';
    for (size_t i = 0; i < S_SHA1_SIZE; i++) {
        buf[2 + 2 * i] = hex[sum[i] >> 4];
        buf[3 + 2 * i] = hex[sum[i] & 0x0F];
    }
    buf[2 + 2 * S_SHA1_SIZE] = '\0';
    rc = 0;
out:
    zdigest_destroy(&digest);
    if (packed != stack)
        free(packed);
    return rc;
}
