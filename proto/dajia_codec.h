/*  dajia_codec: decoding and validating an Envelope, plain-language reasons, derived ids.

    Validation is in two layers. A generic pass walks the message through its protobuf-c
    descriptor: every string must be valid UTF-8 and within its length limit, every enum
    value must be one the schema names, repeated fields are bounded, money (`*_fen`) and
    counters may not be negative, points in time (`*_at`) must lie between 2000-01-01 and
    `now + max_future`. A specific pass then checks what each body requires (case_no,
    category, stage, matter_id, period format, ...), that every unit a report names is a
    member, and that a region given is a code of the configured region. The first failure
    wins; it comes back as a Reason code and a sentence naming the field, for the liaison
    to read. The agent, which wants every mistake of a report at once, asks for all of
    them (dajia_envelope_validate_each). A sentence about one field starts with its path
    ("case_report.stage is missing ...").
*/
#ifndef DAJIA_CODEC_H
#define DAJIA_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dajia.pb-c.h"

/* Limits. Each may be overridden in dajia_limits_t; these are the defaults. */
#define DAJIA_MAX_MESSAGE     65536                /* bytes of one encoded Envelope */
#define DAJIA_MAX_ID          64                   /* event_id, matter_id, info_id, case_no, unit */
#define DAJIA_MAX_SHORT_TEXT  512                  /* names, titles, numbers, urls */
#define DAJIA_MAX_LONG_TEXT   16384                /* summary, narrative, body */
#define DAJIA_MAX_REPEATED    64                   /* items of any repeated field */
#define DAJIA_MAX_FUTURE_MS   (24LL * 3600 * 1000) /* clock skew we tolerate */
#define DAJIA_MIN_TIME_MS     946684800000LL       /* 2000-01-01T00:00:00Z */
#define DAJIA_REASON_TEXT_MAX 256

typedef struct {
    size_t max_message;
    size_t max_repeated;
    int64_t max_future_ms;
    /* The configured region (broker/region): a `region` given must be six digits that
       begin with these. NULL or "": any six digits. Borrowed. */
    const char *region_prefix;
} dajia_limits_t;

/* The default limits above (no region prefix: any six-digit region code). */
void
dajia_limits_default(dajia_limits_t *limits);

/* Most digits of a region prefix (a county's whole code). */
#define DAJIA_REGION_PREFIX_MAX 6

/* Is `prefix` one limits may carry as region_prefix: the first 2, 4 or 6 digits of an
   administrative code (province, city, county)? */
bool
dajia_region_prefix_valid(const char *prefix);

/* Is `unit` a member? Called by validation for the envelope's unit and for every unit
   a report names (involved_units, related_cases); `arg` is passed through. */
typedef bool(dajia_unit_known_fn)(const char *unit, void *arg);

/* What went wrong: a reason code and a sentence for a person. */
typedef struct {
    Dajia__Reason reason;
    char text[DAJIA_REASON_TEXT_MAX];
} dajia_verdict_t;

/* Decodes `len` bytes into a new Envelope and validates it against `limits`, the clock
   `now_ms` and the member check `known` (NULL: any unit is known).
   Returns 0 and sets *out (caller frees with dajia__envelope__free_unpacked(*out, NULL))
   when the envelope is acceptable. Otherwise returns -1, sets *out to NULL and fills
   `verdict`. Never asserts on input bytes. */
int
dajia_envelope_decode(const void *data, size_t len, const dajia_limits_t *limits, int64_t now_ms,
                      dajia_unit_known_fn *known, void *known_arg, Dajia__Envelope **out,
                      dajia_verdict_t *verdict);

/* The same, with `allocator` for the unpacked message (NULL: malloc). With an arena
   (dajia_arena.h) the caller releases the message by resetting the arena instead of
   calling free_unpacked; on failure nothing needs releasing but the arena. */
int
dajia_envelope_decode_with(const void *data, size_t len, const dajia_limits_t *limits,
                           int64_t now_ms, dajia_unit_known_fn *known, void *known_arg,
                           ProtobufCAllocator *allocator, Dajia__Envelope **out,
                           dajia_verdict_t *verdict);

/* Validates an envelope already in memory (the same checks as decode, minus the
   size cap). Returns 0 when acceptable, -1 with `verdict` filled otherwise. */
int
dajia_envelope_validate(const Dajia__Envelope *env, const dajia_limits_t *limits, int64_t now_ms,
                        dajia_unit_known_fn *known, void *known_arg, dajia_verdict_t *verdict);

/* Called by dajia_envelope_validate_each() for each failure; `verdict` is valid during
   the call only. */
typedef void(dajia_verdict_fn)(const dajia_verdict_t *verdict, void *arg);

/* Validates like dajia_envelope_validate() but goes on after a failure, passing each to
   `each`, so that a person can fix every mistake of a report at once. Checks that
   depend on an earlier one are skipped after it fails (no "unknown unit" for a missing
   unit). Returns the number of failures (0: acceptable). `each` NULL: returns 0 or 1. */
int
dajia_envelope_validate_each(const Dajia__Envelope *env, const dajia_limits_t *limits,
                             int64_t now_ms, dajia_unit_known_fn *known, void *known_arg,
                             dajia_verdict_fn *each, void *each_arg);

/* Sets `verdict` to `reason` with a printf-style sentence. Always returns -1, so a
   check can `return dajia_verdict_set(...)`. */
int
dajia_verdict_set(dajia_verdict_t *verdict, Dajia__Reason reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The short, stable name of a reason ("unknown_unit"), for stats and logs.
   Static storage; never NULL. */
const char *
dajia_reason_name(Dajia__Reason reason);

/* A generic sentence for a reason, when no specific text is at hand. Static; never NULL. */
const char *
dajia_reason_text(Dajia__Reason reason);

/* Derives an event id for an envelope that has none: "d-" followed by 40 hex digits of
   SHA-1 over the unit and the envelope encoded with event_id and reported_at cleared.
   The same report therefore always gets the same id, and submitting a file twice
   stores nothing twice. Writes at most `size` bytes (41 + 2 + NUL needs 43) into `buf`.
   Returns 0, or -1 if the buffer is too small or memory ran out. */
int
dajia_event_id_derive(const Dajia__Envelope *env, char *buf, size_t size);

#define DAJIA_DERIVED_ID_SIZE 43

#endif
