/*  dajia_json: JSON <-> protobuf for every dajia message, through protobuf-c descriptors.

    One mapper serves all messages. Names are the schema's field names; enums are written
    as the value name without its type prefix, in lower case (CASE_STAGE_FILED ->
    "filed"), and read either that way or as the full name; int64 fields whose name ends
    in `_at` are RFC 3339 strings ("2026-11-29T08:00:00Z", offsets and fractions
    accepted, written in UTC with milliseconds when non-zero); other 64-bit integers are
    JSON numbers (strings of digits are accepted too); bytes are base64; oneof members
    are ordinary keys and at most one may be present. Unknown keys are refused, naming
    the key and where it stands.

    Errors are written for the liaison who typed the text: each names the field by its
    path and, where a likely intent can be seen, says it: the nearest known key ("did you
    mean `case_value_fen`?"), the nearest enum value, the amount in fen for money written
    in yuan ("86,400.00 yuan is 8640000 fen"), JSON punctuation typed full-width.
*/
#ifndef DAJIA_JSON_H
#define DAJIA_JSON_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#define DAJIA_JSON_ERROR_MAX 512
#define DAJIA_JSON_FIELD_MAX 128

/* Where a JSON text went wrong: line and column are 1-based (0 when unknown); `field` is
   the path of the member in error ("case_report.goods[1]"), "" for a syntax error or
   an error of the whole object. */
typedef struct {
    int line;
    int column;
    char text[DAJIA_JSON_ERROR_MAX];
    char field[DAJIA_JSON_FIELD_MAX];
} dajia_json_error_t;

/* Called by dajia_json_to_message_each() for each error; `err` is valid during the
   call only. */
typedef void(dajia_json_error_fn)(const dajia_json_error_t *err, void *arg);

/* Parses one JSON object from `text` (`len` bytes, need not be NUL-terminated) into a
   new message of type `desc`. Returns 0 and sets *out (free with
   protobuf_c_message_free_unpacked(*out, NULL)); or -1 with `err` filled and *out
   untouched. */
int
dajia_json_to_message(const ProtobufCMessageDescriptor *desc, const char *text, size_t len,
                      ProtobufCMessage **out, dajia_json_error_t *err);

/* Like dajia_json_to_message(), but reading goes on after a member in error, so that
   one pass finds every mistake of an object: each error is passed to `each` (may be
   NULL) and its member is left unset (or, for a list, holds the items read before the
   bad one). Returns the number of errors. Sets *out to the message read, complete when
   0 is returned, unless the text is no JSON object at all (a syntax error, or another
   type): then *out is NULL and the one error passed says why. */
int
dajia_json_to_message_each(const ProtobufCMessageDescriptor *desc, const char *text, size_t len,
                           ProtobufCMessage **out, dajia_json_error_fn *each, void *arg);

/* Writes `msg` as one line of compact JSON (no trailing newline). Fields that hold their
   default value (0, "", false, empty) are left out. Returns a string the caller frees
   with free(), or NULL when memory ran out. */
char *
dajia_json_from_message(const ProtobufCMessage *msg);

/* A time as JSON text: dajia_time_format (RFC 3339 in UTC, or a number of milliseconds
   beyond year 9999) into `buf` (at least DAJIA_TIME_TEXT_MAX, 32 bytes). Returns buf. */
char *
dajia_json_format_time(long long ms, char *buf, size_t size);

/* A time from JSON text: dajia_time_parse (an RFC 3339 date-time, or a plain date
   "YYYY-MM-DD", taken as midnight UTC) into unix milliseconds. Returns 0, or -1 if the
   text is not one. */
int
dajia_json_parse_time(const char *text, long long *ms);

#endif
