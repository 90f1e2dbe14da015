/*  dajia_json: one JSON <-> protobuf mapper for every message, driven by protobuf-c
    descriptors.

    Reading parses the text with jansson (duplicate keys refused) and then walks the
    tree against the message descriptor, allocating exactly as protobuf-c's unpack does
    (every string, array, byte buffer and sub-message malloc'd, sub-messages initialised
    with protobuf_c_message_init), so that protobuf_c_message_free_unpacked frees the
    result, also half-built when a later key turns out wrong.

    Where an error stands: jansson reports line and column for syntax errors but keeps
    no positions once the tree is built. For errors found while mapping (an unknown key,
    a wrong type, a number out of range) the mapper therefore scans the original text
    again, following the path of keys and array indices down to the offending member, and
    reports the line and column where its key starts (for an array item, where the item
    starts). That scan runs only on error and only over text jansson has accepted.
    Columns count characters, as jansson's do.

    Writing goes straight into a growing buffer, without building a jansson tree: keys in
    field-number order, default values left out (proto3), strings escaped, and any byte
    sequence that is not UTF-8 (possible in a message nobody validated) written as U+FFFD
    so that the output is always valid JSON.

    Beyond what dajia_json.h promises, so that every value survives a round trip:
      - a time (`*_at`) may also be read as a JSON integer of unix milliseconds, and is
        written so when its year lies outside 0000..9999, which RFC 3339 cannot spell;
        fractions finer than a millisecond are read and dropped;
      - a uint64 above INT64_MAX is written as a string of digits (jansson, like many
        JSON readers, stops at long long);
      - float and double NaN and infinities are the strings "NaN", "Infinity" and
        "-Infinity", as in proto3's JSON mapping;
      - bytes are read in standard or URL-safe base64, padded or not, and written in
        standard padded base64;
      - null for any key means "not set".
*/
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dajia_json.h"
#include "dajia_money.h"
#include "dajia_pbc.h"
#include "dajia_suggest.h"
#include "dajia_time.h"
#include "dajia_utf8.h"

/* Deepest path (keys and array indices) the mapper follows. The schema needs four
   (Envelope.case_report.goods[i]); the cap bounds the recursion on hostile input. */
#define S_MAX_DEPTH 32

/* Longest enum value name, and longest enum type prefix, the mapper handles. */
#define S_NAME_MAX 128

/* How many valid names an enum error suggests. */
#define S_ENUM_HINTS 3

/* Room for "9999-12-31T23:59:59.999Z" or a plain number of milliseconds. */
#define S_TIME_MAX DAJIA_TIME_TEXT_MAX

/* Most bytes of a value or key an error message quotes. */
#define S_QUOTE_MAX 48

/* Room for the hint after an unknown key. */
#define S_HINT_MAX 160

/* Initial size of the output buffer; one event is usually a few hundred bytes. */
#define S_OUT_INITIAL 512

// ============================================================ small helpers

/* JSON's two-character escapes, one table for reading and writing: the byte
   s_esc_raw[k] stands in the text as a backslash and s_esc_letter[k]. */
static const char s_esc_raw[] = "\"\\\b\f\n\r\t";
static const char s_esc_letter[] = "\"\\bfnrt";

/* `c` looked up in `from`, given as the byte at the same place in `to`; -1 when `from`
   does not hold it. */
static int
s_esc_swap(const char *from, const char *to, char c)
{
    const char *hit = c ? strchr(from, c) : NULL;
    return hit ? (unsigned char)to[hit - from] : -1;
}

static bool
s_is_time_field(const ProtobufCFieldDescriptor *field)
{
    if (field->type != PROTOBUF_C_TYPE_INT64 && field->type != PROTOBUF_C_TYPE_SINT64 &&
        field->type != PROTOBUF_C_TYPE_SFIXED64)
        return false;
    size_t n = strlen(field->name);
    return n >= 3 && memcmp(field->name + n - 3, "_at", 3) == 0;
}

static char
s_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static char
s_upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/* ASCII-only, locale-independent case-insensitive equality. */
static bool
s_equal_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (s_lower(*a) != s_lower(*b))
            return false;
    return *a == *b;
}

// ====================================================================== enums

/* The prefix protoc style puts before an enum's value names: the type name in
   UPPER_SNAKE case and an underscore (CaseCategory -> "CASE_CATEGORY_",
   HTTPStatus -> "HTTP_STATUS_"). Returns false if it does not fit. */
static bool
s_enum_prefix(const ProtobufCEnumDescriptor *desc, char *buf, size_t size)
{
    const char *name = desc->short_name;
    size_t used = 0;
    for (size_t i = 0; name[i]; i++) {
        char c = name[i];
        bool upper = c >= 'A' && c <= 'Z';
        if (upper && i > 0) {
            char prev = name[i - 1];
            bool prev_lower = (prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9');
            bool next_lower = name[i + 1] >= 'a' && name[i + 1] <= 'z';
            bool prev_upper = prev >= 'A' && prev <= 'Z';
            if (prev_lower || (prev_upper && next_lower)) {
                if (used + 1 >= size)
                    return false;
                buf[used++] = '_';
            }
        }
        if (used + 1 >= size)
            return false;
        buf[used++] = s_upper(c);
    }
    if (used + 2 > size)
        return false;
    buf[used++] = '_';
    buf[used] = '\0';
    return true;
}

/* The value name without the type prefix, when it has one and something is left. */
static const char *
s_enum_short(const char *value_name, const char *prefix, size_t prefix_len)
{
    if (prefix_len && strncmp(value_name, prefix, prefix_len) == 0 && value_name[prefix_len])
        return value_name + prefix_len;
    return value_name;
}

static const ProtobufCEnumValue *
s_enum_lookup(const ProtobufCEnumDescriptor *desc, const char *text)
{
    char prefix[S_NAME_MAX];
    size_t prefix_len = s_enum_prefix(desc, prefix, sizeof prefix) ? strlen(prefix) : 0;
    for (unsigned i = 0; i < desc->n_values; i++) {
        const ProtobufCEnumValue *value = &desc->values[i];
        if (s_equal_nocase(text, value->name) ||
            s_equal_nocase(text, s_enum_short(value->name, prefix, prefix_len)))
            return value;
    }
    return NULL;
}

/* Writes the lower-case short name of `value` into buf. */
static const char *
s_enum_name(const ProtobufCEnumDescriptor *desc, const ProtobufCEnumValue *value, char *buf,
            size_t size)
{
    char prefix[S_NAME_MAX];
    size_t prefix_len = s_enum_prefix(desc, prefix, sizeof prefix) ? strlen(prefix) : 0;
    const char *name = s_enum_short(value->name, prefix, prefix_len);
    size_t i = 0;
    for (; name[i] && i + 1 < size; i++)
        buf[i] = s_lower(name[i]);
    buf[i] = '\0';
    return buf;
}

// ===================================================================== base64

static const char s_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of a base64 digit, standard or URL-safe alphabet; -1 for anything else. */
static int
s_b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Decodes base64 (padding optional) into a new buffer. Returns 0 and sets *out (NULL
   when empty) and *out_len; -1 if the text is not base64; -2 if memory ran out. */
static int
s_b64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len)
{
    while (len > 0 && text[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return -1;
    *out = NULL;
    *out_len = 0;
    if (len == 0)
        return 0;
    size_t size = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    uint8_t *data = malloc(size);
    if (!data)
        return -2;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = s_b64_value((unsigned char)text[i]);
        if (v < 0) {
            free(data);
            return -1;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            data[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    *out = data;
    *out_len = o;
    return 0;
}

// ====================================================================== time

/* The JSON mapping writes and reads times as RFC 3339; dajia_time does the calendar. */
char *
dajia_json_format_time(long long ms, char *buf, size_t size)
{
    return dajia_time_format((int64_t)ms, buf, size);
}

int
dajia_json_parse_time(const char *text, long long *ms)
{
    int64_t parsed = 0;
    if (!ms || dajia_time_parse(text, &parsed) != 0)
        return -1;
    *ms = parsed;
    return 0;
}

// ============================================================ error positions

/* One step down a JSON document: a key of an object, or an index into an array. */
typedef struct {
    const char *key; /* NULL for an array index */
    size_t index;
} s_step_t;

#define S_NOT_FOUND SIZE_MAX

static size_t
s_skip_ws(const char *text, size_t len, size_t i)
{
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    return i;
}

static int
s_hex4(const char *text, size_t len, size_t i, unsigned *value)
{
    if (len < 4 || i > len - 4)
        return -1;
    unsigned v = 0;
    for (size_t k = 0; k < 4; k++) {
        char c = text[i + k];
        int d = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (d < 0)
            return -1;
        v = v * 16 + (unsigned)d;
    }
    *value = v;
    return 0;
}

/* Decodes the JSON string starting at text[i] (the opening quote) and compares it with
   `want` (NULL: just skip it). Returns the offset after the closing quote, or
   S_NOT_FOUND; *match tells whether it equals `want`. */
static size_t
s_scan_string(const char *text, size_t len, size_t i, const char *want, bool *match)
{
    size_t w = 0;
    bool same = want != NULL;
    i++; /* opening quote */
    while (i < len && text[i] != '"') {
        unsigned char bytes[4];
        size_t n = 0;
        if (text[i] != '\\') {
            bytes[n++] = (unsigned char)text[i++];
        } else {
            if (++i >= len)
                return S_NOT_FOUND;
            char e = text[i++];
            unsigned cp = 0;
            if (e == 'u') {
                if (s_hex4(text, len, i, &cp))
                    return S_NOT_FOUND;
                i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < len && text[i] == '\\' &&
                    text[i + 1] == 'u') {
                    unsigned low;
                    if (s_hex4(text, len, i + 2, &low) == 0 && low >= 0xDC00 && low <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                        i += 6;
                    }
                }
            } else {
                int raw = s_esc_swap(s_esc_letter, s_esc_raw, e);
                cp = raw >= 0 ? (unsigned)raw : (unsigned char)e;
            }
            if (cp < 0x80)
                bytes[n++] = (unsigned char)cp;
            else if (cp < 0x800) {
                bytes[n++] = (unsigned char)(0xC0 | (cp >> 6));
                bytes[n++] = (unsigned char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                bytes[n++] = (unsigned char)(0xE0 | (cp >> 12));
                bytes[n++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                bytes[n++] = (unsigned char)(0x80 | (cp & 0x3F));
            } else {
                bytes[n++] = (unsigned char)(0xF0 | (cp >> 18));
                bytes[n++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
                bytes[n++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                bytes[n++] = (unsigned char)(0x80 | (cp & 0x3F));
            }
        }
        for (size_t k = 0; same && k < n; k++, w++)
            if (want[w] == '\0' || (unsigned char)want[w] != bytes[k])
                same = false;
    }
    if (i >= len)
        return S_NOT_FOUND;
    if (match)
        *match = same && want[w] == '\0';
    return i + 1;
}

/* Offset after the JSON value starting at text[i], or S_NOT_FOUND. */
static size_t
s_skip_value(const char *text, size_t len, size_t i)
{
    if (i >= len)
        return S_NOT_FOUND;
    if (text[i] == '"')
        return s_scan_string(text, len, i, NULL, NULL);
    if (text[i] == '{' || text[i] == '[') {
        size_t depth = 0;
        while (i < len) {
            char c = text[i];
            if (c == '"') {
                i = s_scan_string(text, len, i, NULL, NULL);
                if (i == S_NOT_FOUND)
                    return S_NOT_FOUND;
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0)
                return i + 1;
            i++;
        }
        return S_NOT_FOUND;
    }
    while (i < len && !strchr(",]} \t\r\n", text[i]))
        i++;
    return i;
}

/* Offset of what `path` names in text that jansson accepted: the key of an object
   member, or the start of an array item (the root value for an empty path). */
static size_t
s_locate(const char *text, size_t len, const s_step_t *path, int depth)
{
    size_t i = s_skip_ws(text, len, 0);
    for (int d = 0; d < depth; d++) {
        if (i >= len)
            return S_NOT_FOUND;
        if (!path[d].key) {
            if (text[i] != '[')
                return S_NOT_FOUND;
            i = s_skip_ws(text, len, i + 1);
            for (size_t k = 0; k < path[d].index; k++) {
                i = s_skip_value(text, len, i);
                if (i == S_NOT_FOUND)
                    return S_NOT_FOUND;
                i = s_skip_ws(text, len, i);
                if (i >= len || text[i] != ',')
                    return S_NOT_FOUND;
                i = s_skip_ws(text, len, i + 1);
            }
            if (d == depth - 1)
                return i;
            continue;
        }
        if (text[i] != '{')
            return S_NOT_FOUND;
        i = s_skip_ws(text, len, i + 1);
        for (;;) {
            if (i >= len || text[i] != '"')
                return S_NOT_FOUND;
            size_t key_at = i;
            bool match = false;
            i = s_scan_string(text, len, i, path[d].key, &match);
            if (i == S_NOT_FOUND)
                return S_NOT_FOUND;
            i = s_skip_ws(text, len, i);
            if (i >= len || text[i] != ':')
                return S_NOT_FOUND;
            i = s_skip_ws(text, len, i + 1);
            if (match) {
                if (d == depth - 1)
                    return key_at;
                break;
            }
            i = s_skip_value(text, len, i);
            if (i == S_NOT_FOUND)
                return S_NOT_FOUND;
            i = s_skip_ws(text, len, i);
            if (i >= len || text[i] != ',')
                return S_NOT_FOUND;
            i = s_skip_ws(text, len, i + 1);
        }
    }
    return i;
}

// ==================================================================== reading

typedef struct {
    const char *text;
    size_t len;
    dajia_json_error_t *err;
    s_step_t path[S_MAX_DEPTH];
    int depth;
    dajia_json_error_fn *each; /* collect every error (dajia_json_to_message_each) */
    void *each_arg;
    int errors;
} s_reader_t;

static void
s_path(const s_reader_t *self, int depth, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < depth && used < size; i++) {
        const s_step_t *step = &self->path[i];
        int n = step->key ? snprintf(buf + used, size - used, "%s%s", i ? "." : "", step->key)
                          : snprintf(buf + used, size - used, "[%zu]", step->index);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Fills the error with the position of the current path and a sentence; `prefix`
   puts the path in front of the sentence. Always returns -1. */
static int
s_fail(s_reader_t *self, bool prefix, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
s_fail(s_reader_t *self, bool prefix, const char *fmt, ...)
{
    dajia_json_error_t *err = self->err;
    size_t at = s_locate(self->text, self->len, self->path, self->depth);
    err->line = 0;
    err->column = 0;
    if (at != S_NOT_FOUND && at <= self->len) {
        err->line = 1;
        err->column = 1;
        for (size_t i = 0; i < at; i++) {
            if (self->text[i] == '\n') {
                err->line++;
                err->column = 1;
            } else if (((unsigned char)self->text[i] & 0xC0) != 0x80)
                err->column++;
        }
    }
    s_path(self, self->depth, err->field, sizeof err->field);
    err->field[dajia_utf8_check(err->field, strlen(err->field))] = '\0';
    size_t used = 0;
    if (prefix && self->depth > 0) {
        s_path(self, self->depth, err->text, sizeof err->text);
        used = strlen(err->text);
        if (used + 2 < sizeof err->text) {
            memcpy(err->text + used, ": ", 3);
            used += 2;
        }
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text + used, sizeof err->text - used, fmt, ap);
    va_end(ap);
    /* A long key quoted in the text may have been cut inside a character. */
    err->text[dajia_utf8_check(err->text, strlen(err->text))] = '\0';
    return -1;
}

static int
s_push(s_reader_t *self, const char *key, size_t index)
{
    if (self->depth >= S_MAX_DEPTH)
        return s_fail(self, true, "nested too deeply");
    self->path[self->depth].key = key;
    self->path[self->depth].index = index;
    self->depth++;
    return 0;
}

/* At most S_QUOTE_MAX bytes of `text` for quoting in an error, cut at a character
   boundary and with control characters shown as '?'. */
static const char *
s_clip(const char *text, char *buf, size_t size)
{
    size_t used = 0;
    const unsigned char *p = (const unsigned char *)text;
    size_t n = strlen(text);
    for (size_t i = 0; i < n && used + 1 < size;) {
        size_t seq = dajia_utf8_seq(p + i, n - i);
        if (seq == 0 || used + seq >= size)
            break;
        if (seq == 1 && p[i] < 0x20)
            buf[used] = '?';
        else
            memcpy(buf + used, p + i, seq);
        used += seq;
        i += seq;
    }
    buf[used] = '\0';
    return buf;
}

static const char *
s_json_type(const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number with a fraction";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "something else";
}

static int
s_read_message(s_reader_t *self, const ProtobufCMessageDescriptor *desc, const json_t *object,
               ProtobufCMessage *msg);

/* An integer in [min, max]: a JSON integer or, if `strings`, a string of digits. */
static int
s_read_signed(s_reader_t *self, const json_t *value, long long min, long long max, bool strings,
              const char *type_name, long long *out)
{
    char quote[S_QUOTE_MAX];
    long long v;
    if (json_is_integer(value))
        v = json_integer_value(value);
    else if (strings && json_is_string(value)) {
        const char *text = json_string_value(value);
        char *end = NULL;
        errno = 0;
        v = strtoll(text, &end, 10);
        if (!*text || *end || errno || !((*text >= '0' && *text <= '9') || *text == '-'))
            return s_fail(self, true, "\"%s\" is not an integer",
                          s_clip(text, quote, sizeof quote));
    } else
        return s_fail(self, true, "expected an integer, found %s", s_json_type(value));
    if (v < min || v > max)
        return s_fail(self, true, "%lld is out of range for %s (%lld to %lld)", v, type_name, min,
                      max);
    *out = v;
    return 0;
}

static int
s_read_unsigned(s_reader_t *self, const json_t *value, unsigned long long max, bool strings,
                const char *type_name, unsigned long long *out)
{
    char quote[S_QUOTE_MAX];
    unsigned long long v;
    if (json_is_integer(value)) {
        long long i = json_integer_value(value);
        if (i < 0)
            return s_fail(self, true, "%lld is out of range for %s (0 to %llu)", i, type_name, max);
        v = (unsigned long long)i;
    } else if (strings && json_is_string(value)) {
        const char *text = json_string_value(value);
        char *end = NULL;
        errno = 0;
        v = strtoull(text, &end, 10);
        if (!*text || *end || !(*text >= '0' && *text <= '9'))
            return s_fail(self, true, "\"%s\" is not a non-negative integer",
                          s_clip(text, quote, sizeof quote));
        if (errno == ERANGE)
            return s_fail(self, true, "%s is out of range for %s (0 to %llu)",
                          s_clip(text, quote, sizeof quote), type_name, max);
    } else
        return s_fail(self, true, "expected an integer, found %s", s_json_type(value));
    if (v > max)
        return s_fail(self, true, "%llu is out of range for %s (0 to %llu)", v, type_name, max);
    *out = v;
    return 0;
}

static int
s_read_double(s_reader_t *self, const json_t *value, double *out)
{
    if (json_is_number(value)) {
        *out = json_number_value(value);
        return 0;
    }
    if (json_is_string(value)) {
        /* JSON has no literals for these; proto3's JSON mapping spells them so. */
        const char *text = json_string_value(value);
        if (strcmp(text, "NaN") == 0) {
            *out = NAN;
            return 0;
        }
        if (strcmp(text, "Infinity") == 0) {
            *out = INFINITY;
            return 0;
        }
        if (strcmp(text, "-Infinity") == 0) {
            *out = -INFINITY;
            return 0;
        }
    }
    return s_fail(self, true, "expected a number, found %s", s_json_type(value));
}

static int
s_read_enum(s_reader_t *self, const ProtobufCEnumDescriptor *desc, const json_t *value, int *out)
{
    char quote[S_QUOTE_MAX];
    if (json_is_string(value)) {
        const ProtobufCEnumValue *found = s_enum_lookup(desc, json_string_value(value));
        if (found) {
            *out = found->value;
            return 0;
        }
    }
    /* The nearest name, when the text is a near miss of one ("filled" for "filed"). */
    if (json_is_string(value)) {
        dajia_suggest_t near;
        char names[S_NAME_MAX * 4];
        size_t at = 0;
        dajia_suggest_init(&near, json_string_value(value));
        for (unsigned i = 0; i < desc->n_values; i++) {
            char name[S_NAME_MAX];
            s_enum_name(desc, &desc->values[i], name, sizeof name);
            size_t n = strlen(name) + 1;
            if (desc->values[i].value == 0 || at + n > sizeof names)
                continue;
            memcpy(names + at, name, n);
            dajia_suggest_add(&near, names + at);
            at += n;
        }
        if (dajia_suggest_best(&near))
            return s_fail(self, true, "\"%s\" is not a value of %s; did you mean \"%s\"?",
                          s_clip(json_string_value(value), quote, sizeof quote), desc->short_name,
                          dajia_suggest_best(&near));
    }
    /* Suggest a few names, skipping the "unspecified" zero when there are others. */
    char hints[3 * S_NAME_MAX] = "";
    size_t used = 0, shown = 0;
    for (unsigned i = 0; i < desc->n_values && shown < S_ENUM_HINTS; i++) {
        if (desc->values[i].value == 0 && desc->n_values > 1)
            continue;
        char name[S_NAME_MAX];
        int n = snprintf(hints + used, sizeof hints - used, "%s\"%s\"", shown ? ", " : "",
                         s_enum_name(desc, &desc->values[i], name, sizeof name));
        if (n < 0 || (size_t)n >= sizeof hints - used)
            break;
        used += (size_t)n;
        shown++;
    }
    if (json_is_string(value))
        return s_fail(self, true,
                      "\"%s\" is not a value of %s; expected a name such as %s%s "
                      "(docs/fields.md lists them all)",
                      s_clip(json_string_value(value), quote, sizeof quote), desc->short_name,
                      hints, desc->n_values > shown + 1 ? ", ..." : "");
    return s_fail(self, true, "expected a value of %s as a string such as %s, found %s",
                  desc->short_name, hints, s_json_type(value));
}

static bool
s_is_money_field(const ProtobufCFieldDescriptor *field)
{
    size_t n = strlen(field->name);
    return n > 4 && memcmp(field->name + n - 4, "_fen", 4) == 0;
}

static bool
s_is_integer_text(const char *text)
{
    if (*text == '-')
        text++;
    if (!*text)
        return false;
    for (; *text; text++)
        if (*text < '0' || *text > '9')
            return false;
    return true;
}

/* Money (`*_fen`) given as something other than a whole number of fen: most often yuan
   as a spreadsheet shows them ("86400.00", "86,400.00", 86400.5). Says so, with the
   amount in fen when the text reads as yuan. Always returns -1. */
static int
s_money_error(s_reader_t *self, const json_t *value)
{
    char quote[S_QUOTE_MAX], text[S_QUOTE_MAX], yuan[DAJIA_MONEY_TEXT_MAX];
    if (json_is_real(value))
        snprintf(text, sizeof text, "%.15g", json_real_value(value));
    else
        s_clip(json_string_value(value), text, sizeof text);
    int64_t fen = 0;
    if (dajia_money_parse(text, DAJIA_MONEY_YUAN, &fen) == 0)
        return s_fail(self, true,
                      "%s%s%s is not a whole number of fen: money is written in fen (1 yuan = "
                      "100 fen), so %s yuan is %" PRId64 " fen",
                      json_is_real(value) ? "" : "\"", s_clip(text, quote, sizeof quote),
                      json_is_real(value) ? "" : "\"",
                      dajia_money_format_yuan(fen, yuan, sizeof yuan), fen);
    return s_fail(self, true,
                  "%s%s%s is not a whole number of fen: money is written in fen (1 yuan = 100 "
                  "fen), e.g. 8640000 for 86,400.00 yuan",
                  json_is_real(value) ? "" : "\"", s_clip(text, quote, sizeof quote),
                  json_is_real(value) ? "" : "\"");
}

/* Reads one value of `field` from `value` into `dest` (a member or an array item).
   Whatever it allocates is stored in `dest` at once, for free_unpacked to find. */
static int
s_read_value(s_reader_t *self, const ProtobufCFieldDescriptor *field, const json_t *value,
             void *dest)
{
    char quote[S_QUOTE_MAX];
    long long i;
    unsigned long long u;
    double d;
    switch (field->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: {
        if (s_read_signed(self, value, INT32_MIN, INT32_MAX, false, "a 32-bit integer", &i))
            return -1;
        int32_t v = (int32_t)i;
        memcpy(dest, &v, sizeof v);
        return 0;
    }
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: {
        if (s_read_unsigned(self, value, UINT32_MAX, false, "an unsigned 32-bit integer", &u))
            return -1;
        uint32_t v = (uint32_t)u;
        memcpy(dest, &v, sizeof v);
        return 0;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: {
        int64_t v;
        if (s_is_time_field(field) && json_is_string(value)) {
            long long ms;
            if (dajia_json_parse_time(json_string_value(value), &ms))
                return s_fail(self, true,
                              "\"%s\" is not a time; expected RFC 3339 such as "
                              "\"2026-11-29T08:00:00Z\", \"2026-11-29T16:00:00+08:00\" or "
                              "\"2026-11-29\"",
                              s_clip(json_string_value(value), quote, sizeof quote));
            v = ms;
        } else if (s_is_money_field(field) &&
                   (json_is_real(value) ||
                    (json_is_string(value) && !s_is_integer_text(json_string_value(value))))) {
            return s_money_error(self, value);
        } else {
            /* Times may also be given as unix milliseconds: the writer does so for
               years RFC 3339 cannot spell. */
            if (s_read_signed(self, value, INT64_MIN, INT64_MAX, true, "a 64-bit integer", &i))
                return -1;
            v = i;
        }
        memcpy(dest, &v, sizeof v);
        return 0;
    }
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        if (s_read_unsigned(self, value, UINT64_MAX, true, "an unsigned 64-bit integer", &u))
            return -1;
        uint64_t v = u;
        memcpy(dest, &v, sizeof v);
        return 0;
    }
    case PROTOBUF_C_TYPE_FLOAT: {
        if (s_read_double(self, value, &d))
            return -1;
        if (isfinite(d) && fabs(d) > FLT_MAX)
            return s_fail(self, true, "%g is out of range for a float", d);
        float v = (float)d;
        memcpy(dest, &v, sizeof v);
        return 0;
    }
    case PROTOBUF_C_TYPE_DOUBLE:
        if (s_read_double(self, value, &d))
            return -1;
        memcpy(dest, &d, sizeof d);
        return 0;
    case PROTOBUF_C_TYPE_BOOL: {
        if (!json_is_boolean(value))
            return s_fail(self, true, "expected true or false, found %s%s", s_json_type(value),
                          json_is_string(value) || json_is_integer(value)
                              ? "; write true or false, without quotes"
                              : "");
        protobuf_c_boolean v = json_is_true(value);
        memcpy(dest, &v, sizeof v);
        return 0;
    }
    case PROTOBUF_C_TYPE_ENUM: {
        int v = 0;
        if (s_read_enum(self, field->descriptor, value, &v))
            return -1;
        memcpy(dest, &v, sizeof v);
        return 0;
    }
    case PROTOBUF_C_TYPE_STRING: {
        if (!json_is_string(value))
            return s_fail(self, true, "expected a string, found %s", s_json_type(value));
        /* jansson guarantees UTF-8 and, without JSON_ALLOW_NUL, no NUL inside. */
        size_t len = json_string_length(value);
        char *copy = malloc(len + 1);
        if (!copy)
            return s_fail(self, true, "out of memory");
        memcpy(copy, json_string_value(value), len + 1);
        memcpy(dest, &copy, sizeof copy);
        return 0;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        if (!json_is_string(value))
            return s_fail(self, true, "expected base64 text, found %s", s_json_type(value));
        ProtobufCBinaryData v = {0, NULL};
        int rc = s_b64_decode(json_string_value(value), json_string_length(value), &v.data, &v.len);
        if (rc == -2)
            return s_fail(self, true, "out of memory");
        if (rc)
            return s_fail(self, true, "not valid base64");
        memcpy(dest, &v, sizeof v);
        return 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessageDescriptor *desc = field->descriptor;
        if (!json_is_object(value))
            return s_fail(self, true, "expected a %s object, found %s", desc->short_name,
                          s_json_type(value));
        ProtobufCMessage *sub = malloc(desc->sizeof_message);
        if (!sub)
            return s_fail(self, true, "out of memory");
        protobuf_c_message_init(desc, sub);
        memcpy(dest, &sub, sizeof sub);
        return s_read_message(self, desc, value, sub);
    }
    }
    return s_fail(self, true, "fields of this type are not supported");
}

static int
s_read_repeated(s_reader_t *self, const ProtobufCFieldDescriptor *field, const json_t *value,
                char *base)
{
    if (!json_is_array(value))
        return s_fail(self, true, "expected an array, found %s", s_json_type(value));
    size_t n = json_array_size(value);
    if (n == 0)
        return 0;
    size_t size = dajia_pbc_item_size(field->type);
    char *items = calloc(n, size);
    if (!items)
        return s_fail(self, true, "out of memory");
    /* The count grows with each item read, so that free_unpacked, should a later item
       fail, frees exactly the items that hold something. */
    size_t count = 0;
    memcpy(base + field->offset, &items, sizeof items);
    memcpy(base + field->quantifier_offset, &count, sizeof count);
    for (size_t k = 0; k < n; k++) {
        if (s_push(self, NULL, k))
            return -1;
        const json_t *item = json_array_get(value, k);
        if (json_is_null(item))
            return s_fail(self, true, "null is not allowed in a list");
        int rc;
        if (field->type == PROTOBUF_C_TYPE_MESSAGE) {
            /* A sub-message is stored before it is filled: count it first. */
            count++;
            memcpy(base + field->quantifier_offset, &count, sizeof count);
            rc = s_read_value(self, field, item, items + k * size);
        } else {
            /* Anything else is complete once read, strings and bytes included. */
            rc = s_read_value(self, field, item, items + k * size);
            if (rc == 0)
                count++;
        }
        memcpy(base + field->quantifier_offset, &count, sizeof count);
        if (rc)
            return -1;
        self->depth--;
    }
    return 0;
}

static int
s_read_field(s_reader_t *self, const ProtobufCMessageDescriptor *desc,
             const ProtobufCFieldDescriptor *field, const json_t *value, ProtobufCMessage *msg)
{
    char *base = (char *)msg;
    if (json_is_null(value))
        return 0; /* null means "not set", as in proto3's JSON mapping */
    if (field->label == PROTOBUF_C_LABEL_REPEATED)
        return s_read_repeated(self, field, value, base);

    if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t chosen;
        memcpy(&chosen, base + field->quantifier_offset, sizeof chosen);
        if (chosen != 0 && chosen != field->id) {
            const ProtobufCFieldDescriptor *other =
                protobuf_c_message_descriptor_get_field(desc, chosen);
            return s_fail(self, true, "only one of %s and %s may be set", other ? other->name : "?",
                          field->name);
        }
        /* Set before reading: a sub-message is stored before it is filled, and
           free_unpacked frees only the member the case names. */
        chosen = field->id;
        memcpy(base + field->quantifier_offset, &chosen, sizeof chosen);
        return s_read_value(self, field, value, base + field->offset);
    }
    if (s_read_value(self, field, value, base + field->offset))
        return -1;
    /* Proto2 optionals and proto3 `optional` scalars have a has_ member; strings and
       messages show presence by their pointer and have none (offset 0). */
    if (field->label == PROTOBUF_C_LABEL_OPTIONAL && field->quantifier_offset != 0 &&
        field->type != PROTOBUF_C_TYPE_STRING && field->type != PROTOBUF_C_TYPE_MESSAGE) {
        protobuf_c_boolean has = 1;
        memcpy(base + field->quantifier_offset, &has, sizeof has);
    }
    return 0;
}

/* After an error in a member: when collecting, hands the error over, puts the path
   back to the member's parent and returns true (read on); else returns false. */
static bool
s_collect(s_reader_t *self, int parent)
{
    if (!self->each)
        return false;
    self->errors++;
    self->each(self->err, self->each_arg);
    self->depth = parent;
    return true;
}

/* What to say after "unknown key K": that K is a key of a report inside this message
   ("case_no" at the top of an Envelope belongs in case_report), or the nearest key of
   this message ("case_value" -> case_value_fen), or where the keys are listed. */
static const char *
s_key_hint(const ProtobufCMessageDescriptor *desc, const char *key, char *buf, size_t size)
{
    const char *inside[2] = {NULL, NULL};
    dajia_suggest_t near;
    dajia_suggest_init(&near, key);
    for (unsigned f = 0; f < desc->n_fields; f++) {
        const ProtobufCFieldDescriptor *field = &desc->fields[f];
        dajia_suggest_add(&near, field->name);
        if (field->type == PROTOBUF_C_TYPE_MESSAGE &&
            protobuf_c_message_descriptor_get_field_by_name(field->descriptor, key)) {
            if (!inside[0])
                inside[0] = field->name;
            else if (!inside[1])
                inside[1] = field->name;
        }
    }
    if (inside[0])
        snprintf(buf, size, "; it belongs inside `%s`%s%s%s", inside[0], inside[1] ? " or `" : "",
                 inside[1] ? inside[1] : "", inside[1] ? "`" : "");
    else if (dajia_suggest_best(&near))
        snprintf(buf, size, "; did you mean `%s`?", dajia_suggest_best(&near));
    else
        snprintf(buf, size, "; docs/fields.md lists the keys of %s", desc->short_name);
    return buf;
}

static int
s_read_message(s_reader_t *self, const ProtobufCMessageDescriptor *desc, const json_t *object,
               ProtobufCMessage *msg)
{
    const char *key;
    json_t *value;
    /* jansson keeps keys in the order of the text, so the first error is the first
       in the text. */
    json_object_foreach((json_t *)object, key, value)
    {
        const ProtobufCFieldDescriptor *field =
            protobuf_c_message_descriptor_get_field_by_name(desc, key);
        char quote[S_QUOTE_MAX];
        int parent = self->depth;
        if (s_push(self, key, 0))
            return -1;
        int rc;
        if (!field) {
            char where[DAJIA_JSON_FIELD_MAX], hint[S_HINT_MAX];
            s_path(self, parent, where, sizeof where);
            rc = s_fail(self, false, "unknown key \"%s\" in %s%s%s%s",
                        s_clip(key, quote, sizeof quote), desc->short_name, parent ? " at " : "",
                        where, s_key_hint(desc, key, hint, sizeof hint));
        } else
            rc = s_read_field(self, desc, field, value, msg);
        if (rc && !s_collect(self, parent))
            return -1;
        self->depth = parent;
    }
    for (unsigned f = 0; f < desc->n_fields; f++) {
        const ProtobufCFieldDescriptor *field = &desc->fields[f];
        if (field->label == PROTOBUF_C_LABEL_REQUIRED) {
            const json_t *value = json_object_get(object, field->name);
            if ((!value || json_is_null(value)) &&
                s_fail(self, true, "%s lacks the required field %s", desc->short_name,
                       field->name) &&
                !s_collect(self, self->depth))
                return -1;
        }
    }
    return 0;
}

/* jansson quotes the text near a syntax error byte for byte: the quote may cut a
   character in two, or hold bytes that are no UTF-8 at all, or control characters.
   Each such byte becomes '?', so the message stays valid, printable UTF-8 (it is shown
   to a person and may travel in a protobuf string). Found by tests/fuzz/fuzz_json. */
static void
s_printable(char *text)
{
    unsigned char *p = (unsigned char *)text;
    size_t n = strlen(text);
    for (size_t i = 0; i < n;) {
        size_t seq = dajia_utf8_seq(p + i, n - i);
        if (seq == 0 || (seq == 1 && (p[i] < 0x20 || p[i] == 0x7F))) {
            p[i++] = '?';
            continue;
        }
        i += seq;
    }
}

/* Full-width punctuation a Chinese input method types for JSON's own (，：“”), near
   byte `at` of a syntax error: the likeliest cause, worth saying. */
static const char *
s_syntax_hint(const char *text, size_t len, size_t at)
{
    static const char *const marks[] = {"\xEF\xBC\x8C", "\xEF\xBC\x9A", "\xE2\x80\x9C",
                                        "\xE2\x80\x9D", "\xEF\xBD\x9B", "\xEF\xBD\x9D"};
    size_t from = at > 12 ? at - 12 : 0, to = at + 4 < len ? at + 4 : len;
    for (size_t i = from; i + 3 <= to; i++)
        for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++)
            if (memcmp(text + i, marks[m], 3) == 0)
                return "; full-width punctuation (\xEF\xBC\x8C \xEF\xBC\x9A \xE2\x80\x9C "
                       "\xE2\x80\x9D \xEF\xBD\x9B \xEF\xBD\x9D) is not JSON's: switch the input "
                       "method to half-width and type , : \" { }";
    return "";
}

static int
s_to_message(const ProtobufCMessageDescriptor *desc, const char *text, size_t len,
             ProtobufCMessage **out, dajia_json_error_t *err, dajia_json_error_fn *each, void *arg)
{
    memset(err, 0, sizeof *err);
    if (!desc || !out || (!text && len)) {
        snprintf(err->text, sizeof err->text, "no message type or no text");
        if (each)
            each(err, arg);
        return -1;
    }
    json_error_t jerr;
    json_t *root = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        /* jansson's column is that of the last character it read, 0 when the error
           comes before any on its line (an empty text, a text ending in a newline):
           then the error stands at the line's first column. */
        err->line = jerr.line > 0 ? jerr.line : 0;
        err->column = jerr.column > 0 ? jerr.column : err->line > 0 ? 1 : 0;
        snprintf(err->text, sizeof err->text, "%s%s", jerr.text,
                 s_syntax_hint(text, len, jerr.position > 0 ? (size_t)jerr.position : 0));
        s_printable(err->text);
        if (each)
            each(err, arg);
        return -1;
    }
    s_reader_t reader = {.text = text, .len = len, .err = err, .each = each, .each_arg = arg};
    ProtobufCMessage *msg = NULL;
    int rc = -1;
    if (!json_is_object(root)) {
        s_fail(&reader, false, "expected a %s object, found %s", desc->short_name,
               s_json_type(root));
        if (each)
            each(err, arg);
        goto out;
    }
    msg = malloc(desc->sizeof_message);
    if (!msg) {
        s_fail(&reader, false, "out of memory");
        if (each)
            each(err, arg);
        goto out;
    }
    protobuf_c_message_init(desc, msg);
    if (s_read_message(&reader, desc, root, msg)) {
        /* Only an error no member could own stops a collecting read. */
        if (!each)
            goto out;
        s_collect(&reader, 0);
    }
    *out = msg;
    msg = NULL;
    rc = each ? reader.errors : 0;
out:
    if (msg)
        protobuf_c_message_free_unpacked(msg, NULL);
    json_decref(root);
    return rc;
}

int
dajia_json_to_message(const ProtobufCMessageDescriptor *desc, const char *text, size_t len,
                      ProtobufCMessage **out, dajia_json_error_t *err)
{
    dajia_json_error_t scratch;
    return s_to_message(desc, text, len, out, err ? err : &scratch, NULL, NULL);
}

int
dajia_json_to_message_each(const ProtobufCMessageDescriptor *desc, const char *text, size_t len,
                           ProtobufCMessage **out, dajia_json_error_fn *each, void *arg)
{
    dajia_json_error_t err;
    ProtobufCMessage *msg = NULL;
    int rc = s_to_message(desc, text, len, &msg, &err, each, arg);
    if (rc < 0) {
        if (out)
            *out = NULL;
        return 1;
    }
    if (out)
        *out = msg;
    else
        protobuf_c_message_free_unpacked(msg, NULL);
    return rc;
}

// ==================================================================== writing

typedef struct {
    char *data;
    size_t len;
    size_t cap;
    bool failed; /* memory ran out; everything after is dropped */
} s_out_t;

static bool
s_reserve(s_out_t *out, size_t more)
{
    if (out->failed)
        return false;
    if (out->len + more < out->cap)
        return true;
    size_t cap = out->cap ? out->cap : S_OUT_INITIAL;
    while (cap <= out->len + more) {
        if (cap > SIZE_MAX / 2) {
            out->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *data = realloc(out->data, cap);
    if (!data) {
        out->failed = true;
        return false;
    }
    out->data = data;
    out->cap = cap;
    return true;
}

static void
s_put(s_out_t *out, const char *bytes, size_t n)
{
    if (!s_reserve(out, n))
        return;
    memcpy(out->data + out->len, bytes, n);
    out->len += n;
}

static void
s_putc(s_out_t *out, char c)
{
    if (!s_reserve(out, 1))
        return;
    out->data[out->len++] = c;
}

static void
s_printf(s_out_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_printf(s_out_t *out, const char *fmt, ...)
{
    char buf[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        s_put(out, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Writes `text` (n bytes) as a JSON string. */
static void
s_put_string(s_out_t *out, const char *text, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)text;
    s_putc(out, '"');
    size_t run = 0; /* bytes at p[i - run .. i) to copy as they are */
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            run++;
            i++;
            continue;
        }
        size_t seq = c >= 0x80 ? dajia_utf8_seq(p + i, n - i) : 0;
        if (seq) {
            run += seq;
            i += seq;
            continue;
        }
        s_put(out, (const char *)p + i - run, run);
        run = 0;
        int letter = s_esc_swap(s_esc_raw, s_esc_letter, (char)c);
        if (letter >= 0) {
            char esc[2] = {'\\', (char)letter};
            s_put(out, esc, sizeof esc);
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0x0F]};
            s_put(out, esc, sizeof esc);
        } else
            s_put(out, "\xEF\xBF\xBD", 3); /* U+FFFD for a byte that is not UTF-8 */
        i++;
    }
    s_put(out, (const char *)p + n - run, run);
    s_putc(out, '"');
}

static void
s_put_base64(s_out_t *out, const uint8_t *data, size_t len)
{
    s_putc(out, '"');
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < len)
            v |= data[i + 2];
        char quad[4] = {s_b64[(v >> 18) & 63], s_b64[(v >> 12) & 63],
                        i + 1 < len ? s_b64[(v >> 6) & 63] : '=',
                        i + 2 < len ? s_b64[v & 63] : '='};
        s_put(out, quad, sizeof quad);
    }
    s_putc(out, '"');
}

/* The shortest decimal that reads back as the same value. */
static void
s_put_double(s_out_t *out, double v, bool single)
{
    if (isnan(v)) {
        s_put(out, "\"NaN\"", 5);
        return;
    }
    if (isinf(v)) {
        if (v > 0)
            s_put(out, "\"Infinity\"", 10);
        else
            s_put(out, "\"-Infinity\"", 11);
        return;
    }
    char buf[40];
    for (int precision = single ? 6 : 15; precision <= 17; precision++) {
        snprintf(buf, sizeof buf, "%.*g", precision, v);
        double back = strtod(buf, NULL);
        if (single ? (float)back == (float)v : back == v)
            break;
    }
    s_put(out, buf, strlen(buf));
}

static void
s_write_message(s_out_t *out, const ProtobufCMessage *msg);

static void
s_write_value(s_out_t *out, const ProtobufCFieldDescriptor *field, const void *value)
{
    switch (field->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: {
        int32_t v;
        memcpy(&v, value, sizeof v);
        s_printf(out, "%" PRId32, v);
        return;
    }
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: {
        uint32_t v;
        memcpy(&v, value, sizeof v);
        s_printf(out, "%" PRIu32, v);
        return;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: {
        int64_t v;
        memcpy(&v, value, sizeof v);
        if (s_is_time_field(field)) {
            char when[S_TIME_MAX];
            dajia_json_format_time(v, when, sizeof when);
            if (!strchr(when, 'T'))
                s_put(out, when, strlen(when)); /* milliseconds: no RFC 3339 for it */
            else
                s_put_string(out, when, strlen(when));
        } else
            s_printf(out, "%" PRId64, v);
        return;
    }
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t v;
        memcpy(&v, value, sizeof v);
        /* jansson reads integers as long long: above that, digits in a string, which the
           reader accepts, so that every value survives the round trip. */
        if (v > (uint64_t)INT64_MAX)
            s_printf(out, "\"%" PRIu64 "\"", v);
        else
            s_printf(out, "%" PRIu64, v);
        return;
    }
    case PROTOBUF_C_TYPE_FLOAT: {
        float v;
        memcpy(&v, value, sizeof v);
        s_put_double(out, v, true);
        return;
    }
    case PROTOBUF_C_TYPE_DOUBLE: {
        double v;
        memcpy(&v, value, sizeof v);
        s_put_double(out, v, false);
        return;
    }
    case PROTOBUF_C_TYPE_BOOL: {
        protobuf_c_boolean v;
        memcpy(&v, value, sizeof v);
        if (v)
            s_put(out, "true", 4);
        else
            s_put(out, "false", 5);
        return;
    }
    case PROTOBUF_C_TYPE_ENUM: {
        int v;
        memcpy(&v, value, sizeof v);
        const ProtobufCEnumDescriptor *desc = field->descriptor;
        const ProtobufCEnumValue *known = protobuf_c_enum_descriptor_get_value(desc, v);
        if (known) {
            char name[S_NAME_MAX];
            s_enum_name(desc, known, name, sizeof name);
            s_put_string(out, name, strlen(name));
        } else
            s_printf(out, "%d", v); /* a value from a newer schema */
        return;
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *v;
        memcpy(&v, value, sizeof v);
        s_put_string(out, v ? v : "", v ? strlen(v) : 0);
        return;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData v;
        memcpy(&v, value, sizeof v);
        s_put_base64(out, v.data, v.data ? v.len : 0);
        return;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *v;
        memcpy(&v, value, sizeof v);
        if (v)
            s_write_message(out, v);
        else
            s_put(out, "null", 4);
        return;
    }
    }
    s_put(out, "null", 4);
}

_Static_assert(sizeof(protobuf_c_boolean) == sizeof(uint32_t) && sizeof(int) == sizeof(uint32_t),
               "s_is_default reads bools and enums as 32-bit words");

/* Whether a field without presence holds its default (proto3 leaves it out). */
static bool
s_is_default(const ProtobufCFieldDescriptor *field, const void *value)
{
    switch (field->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_BOOL:   /* a protobuf_c_boolean, an int */
    case PROTOBUF_C_TYPE_ENUM: { /* an int */
        uint32_t v;
        memcpy(&v, value, sizeof v);
        return v == 0;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t v;
        memcpy(&v, value, sizeof v);
        return v == 0;
    }
    case PROTOBUF_C_TYPE_FLOAT: {
        float v;
        memcpy(&v, value, sizeof v);
        return v == 0 && !signbit(v);
    }
    case PROTOBUF_C_TYPE_DOUBLE: {
        double v;
        memcpy(&v, value, sizeof v);
        return v == 0 && !signbit(v);
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *v;
        memcpy(&v, value, sizeof v);
        return !v || !*v;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData v;
        memcpy(&v, value, sizeof v);
        return v.len == 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *v;
        memcpy(&v, value, sizeof v);
        return !v;
    }
    }
    return true;
}

static void
s_write_message(s_out_t *out, const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    const char *base = (const char *)msg;
    bool first = true;
    s_putc(out, '{');
    /* protoc-c lists fields in the order of their numbers. */
    for (unsigned f = 0; f < desc->n_fields; f++) {
        const ProtobufCFieldDescriptor *field = &desc->fields[f];
        const void *member = base + field->offset;
        size_t n = 0;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            memcpy(&n, base + field->quantifier_offset, sizeof n);
            const char *items;
            memcpy(&items, member, sizeof items);
            if (n == 0 || !items)
                continue;
        } else if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t chosen;
            memcpy(&chosen, base + field->quantifier_offset, sizeof chosen);
            if (chosen != field->id)
                continue;
            if (field->type == PROTOBUF_C_TYPE_MESSAGE && s_is_default(field, member))
                continue; /* a case without its message: nothing to write */
        } else if (field->label == PROTOBUF_C_LABEL_OPTIONAL && field->quantifier_offset != 0 &&
                   field->type != PROTOBUF_C_TYPE_STRING &&
                   field->type != PROTOBUF_C_TYPE_MESSAGE) {
            protobuf_c_boolean has;
            memcpy(&has, base + field->quantifier_offset, sizeof has);
            if (!has)
                continue;
        } else if (field->label == PROTOBUF_C_LABEL_REQUIRED) {
            if (field->type == PROTOBUF_C_TYPE_MESSAGE && s_is_default(field, member))
                continue;
        } else if (s_is_default(field, member))
            continue;

        if (!first)
            s_putc(out, ',');
        first = false;
        s_put_string(out, field->name, strlen(field->name));
        s_putc(out, ':');
        if (field->label != PROTOBUF_C_LABEL_REPEATED) {
            s_write_value(out, field, member);
            continue;
        }
        const char *items;
        memcpy(&items, member, sizeof items);
        size_t size = dajia_pbc_item_size(field->type);
        s_putc(out, '[');
        for (size_t k = 0; k < n; k++) {
            if (k)
                s_putc(out, ',');
            s_write_value(out, field, items + k * size);
        }
        s_putc(out, ']');
    }
    s_putc(out, '}');
}

char *
dajia_json_from_message(const ProtobufCMessage *msg)
{
    if (!msg)
        return NULL;
    s_out_t out = {0};
    s_write_message(&out, msg);
    s_putc(&out, '\0');
    if (out.failed) {
        free(out.data);
        return NULL;
    }
    return out.data;
}
