/*  esc_text: the words of the escalate worker's escalations, in the Office's language.

    Every reason and action an escalation carries is written here, in Chinese (the
    default, in the words of the work rules and of linkage practice) or in English
    (setting escalate/language), naming member units by their configured names and
    categories, stages and linkage steps by the labels of proto/dajia_labels.h, with
    amounts in 元/万元 and times in local time. Nothing here looks at a store or decides
    whether a rule fires: esc_core.c decides, these functions only write what it decided.
    The texts are fixed by their inputs alone (never by when they are written), so the
    same events give the same words live or replayed (docs/domain.md §5.1, §8).
*/
#ifndef ESC_TEXT_H
#define ESC_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dajia.pb-c.h"
#include "dajia_labels.h"
#include "esc_rules.h"

#define ESC_TEXT_MAX   2048 /* bytes of a reason; every quoted field is clipped to fit */
#define ESC_QUOTE_MAX  160  /* bytes of a free-text field quoted in a reason */
#define ESC_LIST_UNITS 6    /* units named in an E4 reason before "and N more" */

/* A reason being written. Start with {.len = 0}. */
typedef struct {
    char text[ESC_TEXT_MAX];
    size_t len;
} esc_text_t;

/* Appends a formatted piece, or nothing if it does not fit whole (so no UTF-8 sequence
   is ever cut). */
void
esc_text_append(esc_text_t *t, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* How a core writes: its language, the zone times are written in and the member names
   (borrowed; NULL and 0: the default 23 of docs/domain.md §2). */
typedef struct {
    dajia_lang_t lang;
    int tz_offset_min;
    const dajia_member_t *members;
    size_t n_members;
} esc_words_t;

/* The name of member unit `code` (the configured name, else the default list's, else
   the code). Borrowed. */
const char *
esc_text_unit(const esc_words_t *w, const char *code);

/* The actions an escalation asks for. */
typedef enum {
    ESC_ACTION_NOTIFY = 0,     /* the Office is told */
    ESC_ACTION_CHECK_TRANSFER, /* E5: check whether the case must go to the police */
    ESC_ACTION_REMIND,         /* OVERDUE-1D */
    ESC_ACTION_DIRECTOR,       /* OVERDUE-7D */
    ESC_ACTION_LEADER,         /* OVERDUE-15D */
    ESC_ACTION_URGE,           /* DEADLINE-* */
    ESC_ACTION_CHECK_DATA,     /* DQ1, DQ2 */
    ESC_ACTION_COUNT
} esc_action_t;

/* The action's words ("通报领导小组办公室" / "notify office"). Static. */
const char *
esc_text_action(const esc_words_t *w, esc_action_t action);

/* ------------------------------------------------------------------ case rules */

/* E1: the linkage step `report->linkage` of case `case_no` of `unit`, taken at
   `status_at` (esc_rules_linkage_at). */
void
esc_text_e1(const esc_words_t *w, const char *unit, const Dajia__CaseReport *report,
            int64_t status_at, esc_text_t *t);

/* E2: health and safety at `level`, on `goods` (the sensitive goods found). */
void
esc_text_e2(const esc_words_t *w, const char *unit, const Dajia__CaseReport *report,
            Dajia__Severity level, Dajia__GoodsCategory goods, esc_text_t *t);

/* E3: the case value reaches `threshold_fen`, the threshold of `level`. */
void
esc_text_e3(const esc_words_t *w, const char *unit, const Dajia__CaseReport *report,
            Dajia__Severity level, int64_t threshold_fen, esc_text_t *t);

/* E4: the triggers `fresh` (ESC_E4_* bits) of the report. */
void
esc_text_e4(const esc_words_t *w, const char *unit, const Dajia__CaseReport *report, unsigned fresh,
            esc_text_t *t);

/* E5: `measure` of `amount_fen` meets the prosecution threshold `threshold_fen`. */
void
esc_text_e5(const esc_words_t *w, const char *unit, const Dajia__CaseReport *report,
            esc_measure_t measure, int64_t amount_fen, int64_t threshold_fen, esc_text_t *t);

/* DEADLINE-*: case `case_no` has been at `linkage` since `since`; deadline `index` of
   esc_deadlines(), `hours` long (the configured length), fell due at `due_at`.
   `arrived` is the next status when it came only after the deadline, UNSPECIFIED when
   nothing had come by then. */
void
esc_text_deadline(const esc_words_t *w, const char *unit, const char *case_no,
                  Dajia__LinkageStatus linkage, int64_t since, int index, int64_t hours,
                  int64_t due_at, Dajia__LinkageStatus arrived, esc_text_t *t);

/* ------------------------------------------------------------------ major matters */

/* MM: the report, at `severity` (the report's, as the core keeps it), `title` (clipped),
   next progress due at `due_at` (0: none). */
void
esc_text_mm(const esc_words_t *w, const char *unit, const Dajia__MajorMatterReport *report,
            Dajia__Severity severity, const char *title, int64_t due_at, esc_text_t *t);

/* OVERDUE-*: step `step` (0, 1, 2: the 1-, 7- and 15-day steps) of matter `title` at
   `severity`, whose progress was due at `due_at`, now `days` whole days overdue. */
void
esc_text_overdue(const esc_words_t *w, const char *unit, const char *title,
                 Dajia__Severity severity, int64_t due_at, int64_t days, int step, esc_text_t *t);

/* DQ1: progress `seq` (event `event_id`) on matter `matter_id`, which `unit` never
   reported. */
void
esc_text_dq1(const esc_words_t *w, const char *unit, const char *matter_id, uint32_t seq,
             const char *event_id, esc_text_t *t);

/* DQ2: progress `seq` on matter `matter_id` (`title`, may be "") sent again by event
   `event_id` without naming the event it corrects; it was not applied. */
void
esc_text_dq2(const esc_words_t *w, const char *unit, const char *matter_id, const char *title,
             uint32_t seq, const char *event_id, esc_text_t *t);

/* The unit's copies of DQ1 and DQ2: what is wrong with its report (`text`) and what to
   do about it (`fix`), each in Chinese, a newline, then English. */
void
esc_text_dq1_unit(const char *matter_id, uint32_t seq, const char *event_id, esc_text_t *text,
                  esc_text_t *fix);
void
esc_text_dq2_unit(const char *matter_id, const char *title, uint32_t seq, const char *event_id,
                  esc_text_t *text, esc_text_t *fix);

#endif
