/*  esc_rules: the escalation rules of docs/domain.md §5 as pure functions.

    Nothing here touches a store: each function looks at one CaseReport (and the limits
    the configuration gave) and says whether a rule applies, at which level and on which
    figures. esc_core.c decides what has fired before, keeps the state and writes the
    FeedItems; esc_text.c writes their words. Money is in fen throughout (1 yuan = 100
    fen).
*/
#ifndef ESC_RULES_H
#define ESC_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dajia.pb-c.h"
#include "worker_core.h"

#define ESC_FEN_PER_YUAN 100LL

/* Case categories are numbered 0..ESC_CATEGORY_COUNT-1 by the schema. */
#define ESC_CATEGORY_COUNT (DAJIA__CASE_CATEGORY__CASE_CATEGORY_OTHER + 1)

/* ------------------------------------------------------------------ E5 thresholds */

/* The amounts a prosecution threshold (docs/domain.md §5.6) may be met on. */
typedef enum {
    ESC_MEASURE_BUSINESS = 0,  /* illegal business amount */
    ESC_MEASURE_GAINS,         /* illegal gains */
    ESC_MEASURE_SALES,         /* sales */
    ESC_MEASURE_UNSOLD,        /* value of goods not yet sold */
    ESC_MEASURE_LOSS,          /* the right holder's loss: the case value stands for it */
    ESC_MEASURE_SALES3_UNSOLD, /* sales x 3 + unsold goods value (shoddy products) */
    ESC_MEASURE_COUNT
} esc_measure_t;

/* One category's threshold: min_fen[m] > 0 makes measure m a criterion; any criterion
   met meets the threshold. All zero: the category has no threshold. */
typedef struct {
    int64_t min_fen[ESC_MEASURE_COUNT];
} esc_threshold_t;

/* Every number the rules use. */
typedef struct {
    int64_t value_major_fen;            /* E3 major, default 500,000 yuan */
    int64_t value_especially_major_fen; /* E3 especially major, default 2,000,000 yuan */
    esc_threshold_t prosecution[ESC_CATEGORY_COUNT];
} esc_limits_t;

/* Fills `limits` with the defaults of docs/domain.md §5. */
void
esc_limits_default(esc_limits_t *limits);

/* Fills `limits` with the defaults overridden by `settings` (may be NULL). Keys:
   "escalate/value_major_fen", "escalate/value_especially_major_fen" and, per category
   and measure, "escalate/e5_<category>_<measure>_fen", e.g.
   "escalate/e5_trademark_counterfeiting_business_fen" (0 switches the criterion off). */
void
esc_limits_load(esc_limits_t *limits, const worker_settings_t *settings);

/* Writes the settings key of the E5 threshold of `category` (1 .. ESC_CATEGORY_COUNT-1)
   and `measure` into `buf`: "escalate/e5_<category>_<measure>_fen". Returns 0, or -1
   when either is out of range or `size` too small. */
int
esc_limits_key(int category, esc_measure_t measure, char *buf, size_t size);

/* ------------------------------------------------------------------ the rules */

/* E1: the linkage steps the Office hears about at once, one escalation per step
   (docs/domain.md §5.2). Returns a short name for the escalation id ("transferred",
   ...) or NULL when `status` is not one of them. */
const char *
esc_rules_e1_status(Dajia__LinkageStatus status);

/* E2: health and safety. Returns true when the case's goods (or its category) are of a
   sensitive kind and it has casualties or the health and safety flag. Sets *level
   (especially major with casualties) and *goods (the first sensitive goods). */
bool
esc_rules_e2(const Dajia__CaseReport *report, Dajia__Severity *level, Dajia__GoodsCategory *goods);

/* E3: value. Returns the level the case value reaches, SEVERITY_UNSPECIFIED below the
   major threshold; *threshold_fen is set to the threshold reached. */
Dajia__Severity
esc_rules_e3(const esc_limits_t *limits, const Dajia__CaseReport *report, int64_t *threshold_fen);

/* E4: scope. The triggers, one bit each. */
#define ESC_E4_PROVINCE       0x01u /* crosses the province line */
#define ESC_E4_FOREIGN        0x02u /* reaches abroad */
#define ESC_E4_FOREIGN_HOLDER 0x04u /* foreign right holder */
#define ESC_E4_UNITS          0x08u /* two or more member units */
#define ESC_E4_SUPERVISION    0x10u /* supervised by the province or the nation */
#define ESC_E4_MEDIA          0x20u /* media attention */
#define ESC_E4_COUNT          6

/* Returns the triggers `report` (made by `unit`) has; 0 for none. */
unsigned
esc_rules_e4(const Dajia__CaseReport *report, const char *unit);

/* The name of trigger bit `bit` (one of ESC_E4_*), for ids: "province", ... */
const char *
esc_rules_e4_name(unsigned bit);

/* Number of member units other than `unit` named in involved_units (distinct). */
size_t
esc_rules_other_units(const Dajia__CaseReport *report, const char *unit);

/* E5: fining instead of prosecuting. True when the penalty is decided, the case was not
   sent on (linkage none or unspecified) and an amount meets the category's threshold;
   sets the first criterion met, its amount and its threshold. */
bool
esc_rules_e5(const esc_limits_t *limits, const Dajia__CaseReport *report, esc_measure_t *measure,
             int64_t *amount_fen, int64_t *threshold_fen);

/* ------------------------------------------------------------------ linkage deadlines */

/* A deadline of docs/domain.md §5.9: a case whose linkage status is `status` must move
   on within `default_hours`. */
typedef struct {
    Dajia__LinkageStatus status;
    const char *name;    /* "APPROVAL": the rule is "DEADLINE-APPROVAL" */
    const char *setting; /* "escalate/deadline_approval_hours" */
    int64_t default_hours;
    /* What should happen within the deadline, in plain English: the help line of its
       setting (worker_keys.h). The Office's words are esc_text.c's. */
    const char *waiting_for;
} esc_deadline_t;

#define ESC_DEADLINE_COUNT 6

/* The table of deadlines (ESC_DEADLINE_COUNT entries), static. */
const esc_deadline_t *
esc_deadlines(void);

/* The index in esc_deadlines() of `status`'s deadline, or -1 when it has none. */
int
esc_deadline_index(Dajia__LinkageStatus status);

/* The time the case entered its linkage status: the status's own date field when it
   has one and it is set (transferred_at, police_decision_at), else `occurred_at`. */
int64_t
esc_rules_linkage_at(const Dajia__CaseReport *report, int64_t occurred_at);

/* A case whose stage ends it (closed, judgment effective, revoked): its timers stop. */
bool
esc_rules_concluded(Dajia__CaseStage stage);

/* ------------------------------------------------------------------ major matters */

#define ESC_DEFAULT_INTERVAL_DAYS        15
#define ESC_DEFAULT_URGENT_INTERVAL_DAYS 7

/* The progress intervals of major matters (docs/domain.md §5.8), one source for every
   worker that judges a matter overdue. */
typedef struct {
    int64_t interval_ms;        /* escalate/matter_interval_days, default 15 days */
    int64_t urgent_interval_ms; /* escalate/matter_interval_urgent_days, default 7 days */
} esc_intervals_t;

/* Reads the two settings (a value <= 0, or none, gives the default). `settings` may be
   NULL. */
void
esc_intervals_load(esc_intervals_t *intervals, const worker_settings_t *settings);

/* The interval of a matter: the report's own update_interval_days when > 0, else the
   urgent interval for an especially major matter or a health and safety incident,
   else the interval. */
int64_t
esc_intervals_of(const esc_intervals_t *intervals, Dajia__MatterType type, Dajia__Severity severity,
                 int32_t report_interval_days);

/* ------------------------------------------------------------------ text */

/* The length of the longest prefix of `s` that is at most `max` bytes and does not cut
   a UTF-8 sequence, for clipping text quoted in reasons. */
int
esc_clip_utf8(const char *s, size_t max);

#endif
