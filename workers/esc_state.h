/*  esc_state: the escalate core's records and the byte layout they are stored in.

    Tables (all prefixed "esc."):
      esc.fired    escalation_id -> 8-byte BE escalated_at. Every escalation ever sent; an
                   id found here is never sent again (one source, one rule, once).
      esc.cases    unit "\0" case_no -> esc_case_t: the linkage status being timed.
      esc.matters  unit "\0" matter_id -> esc_matter_t: a major matter and its due date.
      esc.timers   due_at (8-byte BE) kind (1 byte) unit "\0" key -> empty. Time-ordered,
                   so a tick reads only what is due. kind is ESC_TIMER_CASE (the entry is
                   the case's linkage deadline) or ESC_TIMER_MATTER (the next overdue step).
      esc.units    unit -> esc_unit_t: when the broker last received an event of the
                   unit, which decides whether its timers may run on the broker's clock
                   (docs/domain.md §8). A state without it (written before) reads as
                   every unit quiet.

    Records start with a version byte; integers are big-endian; strings are a length
    then bytes. Change the layout only by bumping the version and reading the old one.
*/
#ifndef ESC_STATE_H
#define ESC_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "dajia_codec.h"

#define ESC_TABLE_FIRED   "esc.fired"
#define ESC_TABLE_CASES   "esc.cases"
#define ESC_TABLE_MATTERS "esc.matters"
#define ESC_TABLE_TIMERS  "esc.timers"
#define ESC_TABLE_UNITS   "esc.units"

#define ESC_TIMER_CASE   'C'
#define ESC_TIMER_MATTER 'M'

#define ESC_MAX_ID         DAJIA_MAX_ID /* unit, case_no, matter_id, event_id */
#define ESC_MAX_TITLE      200          /* bytes of a matter title we keep */
#define ESC_STATE_VERSION  1
/* esc.matters records: 2 adds `stated` and `accounted`; a version 1 record reads with
   neither (nothing accounted for). */
#define ESC_MATTER_VERSION 2
/* Event ids a matter keeps as accounted for at its seq (docs/domain.md §5.8). */
#define ESC_ACCOUNTED_MAX  4

/* unit "\0" key: the key of esc.cases and esc.matters. */
#define ESC_KEY_MAX       (2 * ESC_MAX_ID + 1)
/* due (8) kind (1) unit "\0" key. */
#define ESC_TIMER_KEY_MAX (8 + 1 + ESC_KEY_MAX)

/* A case's linkage clock. */
typedef struct {
    uint8_t linkage;         /* Dajia__LinkageStatus being timed */
    uint8_t concluded;       /* stage closed, judgment effective or revoked */
    uint16_t e4_mask;        /* E4 triggers already escalated */
    int64_t linkage_at;      /* when the case entered `linkage` */
    int64_t deadline_at;     /* pending deadline (a timer exists), 0: none */
    uint64_t source_log_seq; /* the event that set `linkage` */
    char source_event_id[ESC_MAX_ID + 1];
} esc_case_t;

/* A major matter. */
typedef struct {
    uint8_t severity;         /* Dajia__Severity */
    uint8_t type;             /* Dajia__MatterType */
    uint8_t status;           /* Dajia__MatterStatus */
    uint8_t stage;            /* overdue steps already fired for due_at, 0..3 */
    uint8_t reported;         /* a MajorMatterReport was seen; 0: only progress (no timer,
                                 no MatterLine: docs/domain.md §5.11) */
    uint8_t stated;           /* the progress standing at `seq` (or one it stands in for,
                                 applied) stated a status */
    uint8_t n_accounted;      /* entries of `accounted` in use */
    uint32_t seq;             /* last progress seq applied */
    int32_t interval_days;    /* from the report, 0: the configured default */
    int64_t last_progress_at; /* report or last progress */
    int64_t due_at;           /* next progress due, 0: none (closed) */
    int64_t timer_at;         /* due time of the pending timer, 0: none */
    uint64_t source_log_seq;  /* the last event about the matter */
    char source_event_id[ESC_MAX_ID + 1];
    char title[ESC_MAX_TITLE + 1];
    /* The progress events of `seq` that the one standing stands in for: those its
       corrections name (supersedes_event_id), oldest first. One of them stored late is
       already accounted for: no repeat (docs/domain.md §5.8). */
    char accounted[ESC_ACCOUNTED_MAX][ESC_MAX_ID + 1];
} esc_matter_t;

/* A member unit's receipt clock. */
typedef struct {
    int64_t received_at; /* the latest received_at of its events */
} esc_unit_t;

#define ESC_CASE_RECORD_MAX (1 + 1 + 1 + 2 + 8 + 8 + 8 + 1 + ESC_MAX_ID)
#define ESC_UNIT_RECORD_MAX (1 + 8)
#define ESC_MATTER_RECORD_MAX                                                                      \
    (1 + 5 + 4 + 4 + 8 + 8 + 8 + 8 + 1 + ESC_MAX_ID + 2 + ESC_MAX_TITLE + 2 +                      \
     ESC_ACCOUNTED_MAX * (1 + ESC_MAX_ID))

/* Encodes `rec` into `buf`; returns the length. */
size_t
esc_case_encode(const esc_case_t *rec, uint8_t buf[ESC_CASE_RECORD_MAX]);
size_t
esc_matter_encode(const esc_matter_t *rec, uint8_t buf[ESC_MATTER_RECORD_MAX]);
size_t
esc_unit_encode(const esc_unit_t *rec, uint8_t buf[ESC_UNIT_RECORD_MAX]);

/* Decodes `len` bytes into *rec. Returns 0, or -EBADMSG when the bytes are not a record
   of a version we know (*rec is then zeroed). `data` NULL is no record: *rec zeroed, 0. */
int
esc_case_decode(const void *data, size_t len, esc_case_t *rec);
int
esc_matter_decode(const void *data, size_t len, esc_matter_t *rec);
int
esc_unit_decode(const void *data, size_t len, esc_unit_t *rec);

/* Writes unit "\0" key into `buf`; returns the length, or 0 when either part is empty or
   longer than ESC_MAX_ID. */
size_t
esc_key_make(const char *unit, const char *key, uint8_t buf[ESC_KEY_MAX]);

/* Writes a timer key; `source` is a key from esc_key_make(). Returns its length. */
size_t
esc_timer_key_make(int64_t due_at, char kind, const uint8_t *source, size_t source_len,
                   uint8_t buf[ESC_TIMER_KEY_MAX]);

/* Splits a key from esc_key_make() into NUL-terminated parts. Returns 0 or -EBADMSG. */
int
esc_key_split(const uint8_t *data, size_t len, char unit[ESC_MAX_ID + 1], char key[ESC_MAX_ID + 1]);

#endif
