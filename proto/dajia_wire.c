/*  dajia_wire: an envelope judged on its encoded bytes (the broker's fast path).

    One walk over the bytes does what unpacking and the generic pass of dajia_codec do
    together: every field must be one the schema names, with its wire type; strings are
    UTF-8 without a NUL and within their limit; enums are named values; money and counts
    are not negative; times lie in their window; lists are bounded. The singular fields
    of the envelope and of its body are noted on the way (a slice or a number each), and
    the specific pass then reads the notes: what each body requires, the ids, the unit,
    the region. The walk itself asks the member check for each item of a list of unit
    codes (involved_units), and checks each related case (a message of its own) as it
    leaves it.

    The rules of each field (its kind, text limit, time window) are worked out once, from
    the protobuf-c descriptors and dajia_rules, into a compiled schema, so that the walk
    itself only indexes tables. A schema the compiler cannot take (a field numbered
    above S_MAX_NUMBER, say) turns the fast path off: every call says "cannot tell".

    The walk is conservative where protobuf-c is lenient, so that "acceptable" here
    always means "acceptable" there, with the same values:
      - a field the schema does not name, or with another wire type than its own (or,
        for a list of numbers, than packed): cannot tell (protobuf-c keeps or refuses
        it, dajia_codec decides);
      - a singular field twice, or two members of the oneof: cannot tell (protobuf-c
        keeps the last, or merges two messages);
      - a varint longer than 9 bytes (or 5 for a 32-bit field), or a 32-bit value that
        does not fit: cannot tell (protobuf-c truncates such values).
    Only the types the schema uses are known here; any other is "cannot tell".
*/
#include "dajia_wire.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "dajia_rules.h"
#include "dajia_utf8.h"

/* Limits of the compiled schema: fields per message (the seen-set is one 64-bit word),
   field numbers, messages. The schema's largest message has 50 fields. */
#define S_MAX_FIELDS  64
#define S_MAX_NUMBER  127
#define S_MAX_SCHEMAS 16

/* The longest varint read exactly into 63 bits, and the longest 32-bit one. */
#define S_VARINT_MAX   9
#define S_VARINT32_MAX 5

// ============================================================ compiled schema

/* What the walk does with a field's value. */
typedef enum {
    S_KIND_NONE = 0, /* a type the fast path leaves to the full decoder */
    S_KIND_INT32,    /* not negative */
    S_KIND_UINT32,   /* fits 32 bits */
    S_KIND_ENUM,     /* a named value */
    S_KIND_INT64,    /* not negative */
    S_KIND_TIME,     /* `*_at`: 0, or within [2000, now + max_future] */
    S_KIND_DEADLINE, /* `*_due_at`: 0, or within [2000, now + a year] */
    S_KIND_ANY64,    /* uint64, bool: no rule */
    S_KIND_STRING,   /* UTF-8, no NUL, within text_limit */
    S_KIND_BYTES,    /* no rule */
    S_KIND_MESSAGE,  /* walked with `sub` */
} s_kind_t;

typedef struct s_schema_t s_schema_t;

typedef struct {
    const ProtobufCFieldDescriptor *field;
    s_kind_t kind;
    bool repeated;
    bool member;            /* of a oneof */
    bool members;           /* S_KIND_STRING: a list of member codes (dajia_rules_member_list) */
    size_t text_limit;      /* S_KIND_STRING */
    uint64_t enum_below_64; /* S_KIND_ENUM: bit v set when v < 64 is one of its values */
    bool enum_above_63;     /* S_KIND_ENUM: it has values of 64 and more */
    const s_schema_t *sub;  /* S_KIND_MESSAGE */
} s_field_t;

struct s_schema_t {
    const ProtobufCMessageDescriptor *desc;
    bool related_case; /* a RelatedCase: checked as the walk leaves it */
    unsigned n_fields;
    int8_t by_number[S_MAX_NUMBER + 1]; /* field number -> index into fields, or -1 */
    s_field_t fields[S_MAX_FIELDS];
};

/* The fields the specific pass reads, as indexes into their message's fields. */
typedef struct {
    int event_id, unit, occurred_at, supersedes, region, submitted_at;
    int related_unit, related_case_no;
    int case_no, case_category, case_stage;
    int major_matter_id, major_type, major_severity, major_title;
    int progress_matter_id, progress_seq, progress_status, progress_narrative;
    int info_id, info_period, info_kind, info_zero_report, info_title;
} s_index_t;

static struct {
    pthread_once_t once;
    bool ok; /* compiled: the fast path is on */
    s_schema_t schemas[S_MAX_SCHEMAS];
    int n_schemas;
    const s_schema_t *envelope;
    s_index_t at;
} s_compiled = {.once = PTHREAD_ONCE_INIT};

static s_kind_t
s_kind_of(const ProtobufCFieldDescriptor *field)
{
    switch (field->type) {
    case PROTOBUF_C_TYPE_INT32:
        return S_KIND_INT32;
    case PROTOBUF_C_TYPE_UINT32:
        return S_KIND_UINT32;
    case PROTOBUF_C_TYPE_ENUM:
        return S_KIND_ENUM;
    case PROTOBUF_C_TYPE_INT64:
        if (dajia_rules_ends_with(field->name, "_due_at"))
            return S_KIND_DEADLINE;
        return dajia_rules_ends_with(field->name, "_at") ? S_KIND_TIME : S_KIND_INT64;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_BOOL:
        return S_KIND_ANY64;
    case PROTOBUF_C_TYPE_STRING:
        return S_KIND_STRING;
    case PROTOBUF_C_TYPE_BYTES:
        return S_KIND_BYTES;
    case PROTOBUF_C_TYPE_MESSAGE:
        return S_KIND_MESSAGE;
    default:
        return S_KIND_NONE;
    }
}

/* Compiles `desc` (and the messages under it) once; NULL when it cannot. */
static const s_schema_t *
s_compile(const ProtobufCMessageDescriptor *desc, int depth)
{
    for (int i = 0; i < s_compiled.n_schemas; i++)
        if (s_compiled.schemas[i].desc == desc)
            return &s_compiled.schemas[i];
    if (depth >= DAJIA_RULES_MAX_DEPTH || s_compiled.n_schemas == S_MAX_SCHEMAS ||
        desc->n_fields > S_MAX_FIELDS)
        return NULL;
    s_schema_t *schema = &s_compiled.schemas[s_compiled.n_schemas++];
    schema->desc = desc;
    schema->related_case = desc == &dajia__related_case__descriptor;
    schema->n_fields = desc->n_fields;
    memset(schema->by_number, -1, sizeof schema->by_number);
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &desc->fields[i];
        s_field_t *f = &schema->fields[i];
        if (field->id > S_MAX_NUMBER)
            return NULL;
        schema->by_number[field->id] = (int8_t)i;
        f->field = field;
        f->kind = s_kind_of(field);
        f->repeated = field->label == PROTOBUF_C_LABEL_REPEATED;
        f->member = (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
        if (f->kind == S_KIND_STRING) {
            f->text_limit = dajia_rules_text_limit(field->name);
            f->members = f->repeated && dajia_rules_member_list(field->name);
        }
        if (f->kind == S_KIND_ENUM) {
            /* The values of the enum, looked up once here instead of at every event. */
            const ProtobufCEnumDescriptor *e = field->descriptor;
            for (unsigned v = 0; v < e->n_values; v++) {
                int value = e->values[v].value;
                if (value >= 0 && value < 64)
                    f->enum_below_64 |= (uint64_t)1 << value;
                else if (value >= 64)
                    f->enum_above_63 = true;
            }
        }
        if (f->kind == S_KIND_MESSAGE && !(f->sub = s_compile(field->descriptor, depth + 1)))
            return NULL;
    }
    return schema;
}

/* The index of the singular field stored at `offset` of desc's struct, or -1. */
static int
s_index_of(const ProtobufCMessageDescriptor *desc, size_t offset)
{
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &desc->fields[i];
        if (field->offset == offset && !(field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            field->label != PROTOBUF_C_LABEL_REPEATED)
            return (int)i;
    }
    return -1;
}

/* A field is found by its offset in the generated struct, so that a renamed or removed
   field fails to compile here rather than being skipped. */
#define S_INDEX(slot, type, member)                                                                \
    ((s_compiled.at.slot = s_index_of(&type##_DESCRIPTOR, offsetof(type, member))) >= 0)

#define Dajia__Envelope_DESCRIPTOR            dajia__envelope__descriptor
#define Dajia__CaseReport_DESCRIPTOR          dajia__case_report__descriptor
#define Dajia__MajorMatterReport_DESCRIPTOR   dajia__major_matter_report__descriptor
#define Dajia__MajorMatterProgress_DESCRIPTOR dajia__major_matter_progress__descriptor
#define Dajia__DynamicInfo_DESCRIPTOR         dajia__dynamic_info__descriptor
#define Dajia__RelatedCase_DESCRIPTOR         dajia__related_case__descriptor

static void
s_compile_once(void)
{
    s_compiled.envelope = s_compile(&dajia__envelope__descriptor, 0);
    bool found = S_INDEX(event_id, Dajia__Envelope, event_id) &&
                 S_INDEX(unit, Dajia__Envelope, unit) &&
                 S_INDEX(occurred_at, Dajia__Envelope, occurred_at) &&
                 S_INDEX(supersedes, Dajia__Envelope, supersedes_event_id) &&
                 S_INDEX(region, Dajia__Envelope, region) &&
                 S_INDEX(submitted_at, Dajia__Envelope, submitted_at) &&
                 S_INDEX(related_unit, Dajia__RelatedCase, unit) &&
                 S_INDEX(related_case_no, Dajia__RelatedCase, case_no) &&
                 S_INDEX(case_no, Dajia__CaseReport, case_no) &&
                 S_INDEX(case_category, Dajia__CaseReport, category) &&
                 S_INDEX(case_stage, Dajia__CaseReport, stage) &&
                 S_INDEX(major_matter_id, Dajia__MajorMatterReport, matter_id) &&
                 S_INDEX(major_type, Dajia__MajorMatterReport, type) &&
                 S_INDEX(major_severity, Dajia__MajorMatterReport, severity) &&
                 S_INDEX(major_title, Dajia__MajorMatterReport, title) &&
                 S_INDEX(progress_matter_id, Dajia__MajorMatterProgress, matter_id) &&
                 S_INDEX(progress_seq, Dajia__MajorMatterProgress, seq) &&
                 S_INDEX(progress_status, Dajia__MajorMatterProgress, status) &&
                 S_INDEX(progress_narrative, Dajia__MajorMatterProgress, narrative) &&
                 S_INDEX(info_id, Dajia__DynamicInfo, info_id) &&
                 S_INDEX(info_period, Dajia__DynamicInfo, period) &&
                 S_INDEX(info_kind, Dajia__DynamicInfo, kind) &&
                 S_INDEX(info_zero_report, Dajia__DynamicInfo, zero_report) &&
                 S_INDEX(info_title, Dajia__DynamicInfo, title);
    s_compiled.ok = s_compiled.envelope && found;
}

// ======================================================================= walk

/* The singular fields of one message as the walk found them: for a string or message
   its bytes and length, for a number its value. Only fields in `seen` are set. */
typedef struct {
    uint64_t seen;
    struct {
        const uint8_t *bytes;
        uint64_t value; /* a number, or the length of `bytes` */
    } note[S_MAX_FIELDS];
} s_notes_t;

typedef struct {
    const dajia_limits_t *limits;
    int64_t latest_ms;          /* now + max_future, saturated */
    int64_t latest_due_ms;      /* now + DAJIA_RULES_MAX_DUE_AHEAD_MS, saturated */
    dajia_unit_known_fn *known; /* NULL: every unit is a member */
    void *known_arg;
} s_walk_t;

/* A unit code of `len` bytes (valid text, within DAJIA_MAX_ID) that names a member. */
static bool
s_member_ok(const s_walk_t *self, const uint8_t *unit, size_t len)
{
    if (len == 0 || len > DAJIA_MAX_ID)
        return false;
    if (!self->known)
        return true;
    char text[DAJIA_MAX_ID + 1];
    memcpy(text, unit, len);
    text[len] = '\0';
    return self->known(text, self->known_arg);
}

/* Reads a varint of at most `max` bytes at *pos, below `end`. */
static inline bool
s_varint(const uint8_t *data, size_t end, size_t *pos, unsigned max, uint64_t *value)
{
    size_t p = *pos;
    if (p < end && data[p] < 0x80) { /* one byte: most tags, enums and flags */
        *value = data[p];
        *pos = p + 1;
        return true;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < max && p < end; i++) {
        uint8_t b = data[p++];
        v |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            *pos = p;
            *value = v;
            return true;
        }
    }
    return false;
}

/* A varint value of field `f`, `bytes` long: acceptable to the rules, and exactly what
   protobuf-c would read? */
static inline bool
s_number_ok(const s_walk_t *self, const s_field_t *f, uint64_t v, size_t bytes)
{
    switch (f->kind) {
    case S_KIND_INT32:
        /* negative: a refusal, or a time before 2000; either way not the fast path's */
        return bytes <= S_VARINT32_MAX && v <= INT32_MAX;
    case S_KIND_UINT32:
        return bytes <= S_VARINT32_MAX && v <= UINT32_MAX;
    case S_KIND_ENUM:
        if (bytes > S_VARINT32_MAX)
            return false;
        if (v < 64)
            return (f->enum_below_64 >> v) & 1;
        return f->enum_above_63 && v <= INT32_MAX &&
               protobuf_c_enum_descriptor_get_value(f->field->descriptor, (int)v) != NULL;
    case S_KIND_INT64: /* at most 9 bytes: below 2^63, so never negative */
    case S_KIND_ANY64:
        return true;
    case S_KIND_TIME: /* below 2^63 as well, so the signed compare is exact */
        return v == 0 || ((int64_t)v >= DAJIA_MIN_TIME_MS && (int64_t)v <= self->latest_ms);
    case S_KIND_DEADLINE:
        return v == 0 || ((int64_t)v >= DAJIA_MIN_TIME_MS && (int64_t)v <= self->latest_due_ms);
    default:
        return false;
    }
}

/* Text as dajia_codec allows it: valid UTF-8 with no NUL byte. ASCII, most of an event,
   goes eight bytes at a time; the first other byte hands the rest to dajia_utf8_check. */
static inline bool
s_text_ok(const uint8_t *p, size_t n)
{
    const uint64_t high = 0x8080808080808080ULL, ones = 0x0101010101010101ULL;
    size_t i = 0;
    while (n - i >= 8) {
        uint64_t w;
        memcpy(&w, p + i, sizeof w);
        if ((w & high) || ((w - ones) & ~w & high)) /* a non-ASCII or a zero byte */
            break;
        i += 8;
    }
    for (; i < n; i++) {
        if (p[i] == 0)
            return false;
        if (p[i] >= 0x80)
            return !memchr(p + i, 0, n - i) &&
                   dajia_utf8_check((const char *)p + i, n - i) == n - i;
    }
    return true;
}

/* Walks the message at `data` (`len` bytes) of type `schema`, `depth` messages down,
   checking every value. With `notes` it notes each singular field, and walks the
   oneof's member, a message, with `member_notes`. */
static bool
s_walk(const s_walk_t *self, const s_schema_t *schema, const uint8_t *data, size_t len, int depth,
       s_notes_t *notes, s_notes_t *member_notes);

/* A related case of another unit: a member's code and a case number, as dajia_codec
   requires. Walked with notes of its own. */
static bool
s_related_case_ok(const s_walk_t *self, const s_schema_t *schema, const uint8_t *data, size_t len,
                  int depth)
{
    s_notes_t notes;
    if (!s_walk(self, schema, data, len, depth, &notes, NULL))
        return false;
    const s_index_t *at = &s_compiled.at;
    bool unit_seen = (notes.seen >> at->related_unit) & 1;
    bool case_seen = (notes.seen >> at->related_case_no) & 1;
    return unit_seen && case_seen && notes.note[at->related_case_no].value > 0 &&
           s_member_ok(self, notes.note[at->related_unit].bytes,
                       notes.note[at->related_unit].value);
}

static bool
s_walk(const s_walk_t *self, const s_schema_t *schema, const uint8_t *data, size_t len, int depth,
       s_notes_t *notes, s_notes_t *member_notes)
{
    if (depth >= DAJIA_RULES_MAX_DEPTH)
        return false;
    uint64_t seen = 0;
    bool member_seen = false;
    uint32_t items[S_MAX_FIELDS]; /* of each list, once seen */
    size_t pos = 0;
    while (pos < len) {
        uint64_t tag, v;
        if (!s_varint(data, len, &pos, S_VARINT32_MAX, &tag) || (tag >> 3) > S_MAX_NUMBER)
            return false;
        int index = schema->by_number[tag >> 3];
        if (index < 0)
            return false; /* unknown, or numbered 0 */
        const s_field_t *f = &schema->fields[index];
        uint64_t bit = (uint64_t)1 << index;
        unsigned wire = (unsigned)(tag & 7);
        if (f->repeated && !(seen & bit))
            items[index] = 0;
        else if (!f->repeated && (seen & bit))
            return false;
        seen |= bit;
        if (f->member) {
            if (member_seen)
                return false;
            member_seen = true;
        }
        switch (f->kind) {
        case S_KIND_STRING:
        case S_KIND_BYTES:
        case S_KIND_MESSAGE: {
            if (wire != 2 || !s_varint(data, len, &pos, S_VARINT32_MAX, &v) || v > len - pos)
                return false;
            if (f->repeated && ++items[index] > self->limits->max_repeated)
                return false;
            const uint8_t *bytes = data + pos;
            pos += (size_t)v;
            if (f->kind == S_KIND_STRING && v > 0 &&
                (v > f->text_limit || !s_text_ok(bytes, (size_t)v)))
                return false;
            if (f->members && !s_member_ok(self, bytes, (size_t)v))
                return false;
            if (f->kind == S_KIND_MESSAGE && f->sub->related_case) {
                if (!s_related_case_ok(self, f->sub, bytes, (size_t)v, depth + 1))
                    return false;
            } else if (f->kind == S_KIND_MESSAGE &&
                       !s_walk(self, f->sub, bytes, (size_t)v, depth + 1,
                               notes && f->member ? member_notes : NULL, NULL)) {
                return false;
            }
            if (notes && !f->repeated) {
                notes->note[index].bytes = bytes;
                notes->note[index].value = v;
            }
            break;
        }
        case S_KIND_NONE:
            return false;
        default: /* numbers: one varint, or a list's values packed into one run */
            if (wire == 0) {
                size_t start = pos;
                if (!s_varint(data, len, &pos, S_VARINT_MAX, &v) ||
                    !s_number_ok(self, f, v, pos - start) ||
                    (f->repeated && ++items[index] > self->limits->max_repeated))
                    return false;
                if (notes && !f->repeated)
                    notes->note[index].value = v;
            } else if (wire == 2 && f->repeated) {
                if (!s_varint(data, len, &pos, S_VARINT32_MAX, &v) || v > len - pos)
                    return false;
                size_t end = pos + (size_t)v;
                while (pos < end) {
                    size_t start = pos;
                    if (!s_varint(data, end, &pos, S_VARINT_MAX, &v) ||
                        !s_number_ok(self, f, v, pos - start) ||
                        ++items[index] > self->limits->max_repeated)
                        return false;
                }
            } else {
                return false;
            }
            break;
        }
    }
    if (notes)
        notes->seen = seen;
    return true;
}

// =============================================================== specific pass
//
// The same requirements as the specific pass of dajia_codec, read from the notes.

/* A text that is set (not empty). */
static inline bool
s_text_set(const s_notes_t *notes, int index)
{
    return ((notes->seen >> index) & 1) && notes->note[index].value > 0;
}

/* A number that is set (not zero); an unseen field is zero. */
static inline uint64_t
s_number(const s_notes_t *notes, int index)
{
    return ((notes->seen >> index) & 1) ? notes->note[index].value : 0;
}

static bool
s_body_ok(const ProtobufCMessageDescriptor *desc, const s_notes_t *notes)
{
    const s_index_t *at = &s_compiled.at;
    if (desc == &dajia__case_report__descriptor)
        return s_text_set(notes, at->case_no) && s_number(notes, at->case_category) &&
               s_number(notes, at->case_stage);
    if (desc == &dajia__major_matter_report__descriptor)
        return s_text_set(notes, at->major_matter_id) && s_number(notes, at->major_type) &&
               s_number(notes, at->major_severity) && s_text_set(notes, at->major_title);
    if (desc == &dajia__major_matter_progress__descriptor)
        return s_text_set(notes, at->progress_matter_id) && s_number(notes, at->progress_seq) &&
               s_number(notes, at->progress_status) && s_text_set(notes, at->progress_narrative);
    if (desc == &dajia__dynamic_info__descriptor)
        return s_text_set(notes, at->info_id) && s_text_set(notes, at->info_period) &&
               dajia_rules_period_valid((const char *)notes->note[at->info_period].bytes,
                                        notes->note[at->info_period].value) &&
               s_number(notes, at->info_kind) &&
               (s_number(notes, at->info_zero_report) || s_text_set(notes, at->info_title));
    return false; /* a body this pass does not know */
}

/* The member of the envelope's oneof that the walk saw, or NULL. */
static const s_field_t *
s_member(const s_notes_t *notes)
{
    const s_schema_t *schema = s_compiled.envelope;
    for (unsigned i = 0; i < schema->n_fields; i++)
        if (schema->fields[i].member && ((notes->seen >> i) & 1))
            return &schema->fields[i];
    return NULL;
}

static bool
s_envelope_ok(const s_walk_t *self, const s_notes_t *notes, const s_notes_t *member_notes,
              dajia_wire_keys_t *keys)
{
    const s_index_t *at = &s_compiled.at;
    if (!s_text_set(notes, at->event_id) || !s_text_set(notes, at->unit) ||
        !s_number(notes, at->occurred_at))
        return false;
    const char *event_id = (const char *)notes->note[at->event_id].bytes;
    const char *unit = (const char *)notes->note[at->unit].bytes;
    size_t event_id_len = notes->note[at->event_id].value;
    size_t unit_len = notes->note[at->unit].value;
    if (!dajia_rules_id_valid(event_id, event_id_len) || unit_len > DAJIA_MAX_ID)
        return false;
    if (s_text_set(notes, at->supersedes)) {
        const char *supersedes = (const char *)notes->note[at->supersedes].bytes;
        size_t supersedes_len = notes->note[at->supersedes].value;
        if (!dajia_rules_id_valid(supersedes, supersedes_len) ||
            (supersedes_len == event_id_len && memcmp(supersedes, event_id, event_id_len) == 0))
            return false;
    }
    if (s_text_set(notes, at->region) &&
        !dajia_rules_region_valid((const char *)notes->note[at->region].bytes,
                                  notes->note[at->region].value, self->limits->region_prefix))
        return false;
    const s_field_t *member = s_member(notes);
    if (!member || member->kind != S_KIND_MESSAGE ||
        !s_body_ok(member->field->descriptor, member_notes))
        return false;
    if (!s_member_ok(self, (const uint8_t *)unit, unit_len))
        return false;
    keys->event_id = event_id;
    keys->event_id_len = event_id_len;
    keys->unit = unit;
    keys->unit_len = unit_len;
    keys->submitted_at = (int64_t)s_number(notes, at->submitted_at);
    return true;
}

// ==================================================================== public

bool
dajia_wire_accept(const void *data, size_t len, const dajia_limits_t *limits, int64_t now_ms,
                  dajia_unit_known_fn *known, void *known_arg, dajia_wire_keys_t *keys)
{
    pthread_once(&s_compiled.once, s_compile_once);
    dajia_limits_t defaults;
    if (!limits) {
        dajia_limits_default(&defaults);
        limits = &defaults;
    }
    if (!s_compiled.ok || !data || !keys || len > limits->max_message)
        return false;
    s_walk_t walk = {
        .limits = limits,
        .latest_ms = dajia_rules_latest(now_ms, limits->max_future_ms),
        .latest_due_ms = dajia_rules_latest(now_ms, DAJIA_RULES_MAX_DUE_AHEAD_MS),
        .known = known,
        .known_arg = known_arg,
    };
    s_notes_t notes, member_notes;
    member_notes.seen = 0;
    return s_walk(&walk, s_compiled.envelope, data, len, 0, &notes, &member_notes) &&
           s_envelope_ok(&walk, &notes, &member_notes, keys);
}
