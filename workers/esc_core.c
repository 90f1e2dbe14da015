/*  esc_core: the pure core of the escalate worker (worker_escalate).

    Every event is checked against the rules of docs/domain.md §5 and each rule
    that applies sends one Escalation to the Office: E1 linkage steps, E2 health and
    safety, E3 value, E4 scope, E5 fining instead of prosecuting, MM every major-matter
    report. An escalation id is the rule plus the source ("E3:psb/CASE-1", with
    ":especially_major" for the higher level and "@<due ms>" for timers); the ids sent are
    kept in esc.fired, so a source escalates once per rule and level whatever is
    redelivered or repeated.

    Timers: a major matter's progress is due at next_update_due_at or after its interval;
    1, 7 and 15 days past due it escalates (OVERDUE-1D/7D/15D). A case's linkage status
    must move on within the deadlines of docs/domain.md §5.9 (DEADLINE-*). Both live in
    esc.timers ordered by due time, so tick() reads only what is due. Time is the event's
    occurred_at and tick's now_ms; nothing here reads a clock. State layout: esc_state.h.
*/
#include "dajia_compat.h"
#include "dajia_time.h"
#include "esc_rules.h"
#include "esc_state.h"
#include "worker_core.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SERVICE        "escalate"
#define S_SEVERITY_MAJOR DAJIA__SEVERITY__SEVERITY_MAJOR
#define S_SEVERITY_EM    DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR
#define S_EM_SUFFIX      ":especially_major"

#define S_ID_MAX     384  /* escalation ids: rule, unit, key, suffixes; < STORE_MAX_KEY */
#define S_REASON_MAX 2048 /* reasons; every quoted field is clipped to fit */
#define S_QUOTE_MAX  160  /* bytes of a free-text field quoted in a reason */
#define S_LIST_UNITS 6    /* units named in an E4 reason before "and N more" */
#define S_TICK_BATCH 64   /* due timers read per cursor pass */

#define S_DEFAULT_INTERVAL_DAYS        15
#define S_DEFAULT_URGENT_INTERVAL_DAYS 7

/* Rules that configuration ("escalate/rules") may switch off. */
#define S_RULE_E1       0x01u
#define S_RULE_E2       0x02u
#define S_RULE_E3       0x04u
#define S_RULE_E4       0x08u
#define S_RULE_E5       0x10u
#define S_RULE_MM       0x20u
#define S_RULE_OVERDUE  0x40u
#define S_RULE_DEADLINE 0x80u
#define S_RULES_ALL     0xFFu

static const struct {
    const char *name;
    unsigned bit;
} s_rule_names[] = {{"E1", S_RULE_E1},           {"E2", S_RULE_E2},
                    {"E3", S_RULE_E3},           {"E4", S_RULE_E4},
                    {"E5", S_RULE_E5},           {"MM", S_RULE_MM},
                    {"OVERDUE", S_RULE_OVERDUE}, {"DEADLINE", S_RULE_DEADLINE}};

/* The three overdue steps of a major matter's progress (docs/domain.md §5.8). */
#define S_OVERDUE_STEPS 3
static const struct {
    const char *rule;
    const char *setting;
    int64_t default_days;
    const char *action;
    const char *consequence;
} s_overdue[S_OVERDUE_STEPS] = {
    {"OVERDUE-1D", "escalate/overdue_remind_days", 1, "remind unit",
     "the unit is reminded to report"},
    {"OVERDUE-7D", "escalate/overdue_director_days", 7, "escalate to office director",
     "escalated to the Office director"},
    {"OVERDUE-15D", "escalate/overdue_leader_days", 15, "list in bulletin and flag to leader",
     "listed in the bulletin and flagged to the leader"},
};

typedef struct {
    esc_limits_t limits;
    unsigned rules;
    int64_t interval_ms;
    int64_t urgent_interval_ms;
    int64_t overdue_ms[S_OVERDUE_STEPS];
    int64_t deadline_ms[ESC_DEADLINE_COUNT];
    int tz_offset_min;
} s_core_t;

/* What an escalation says, before it gets its id. */
typedef struct {
    const char *rule;
    Dajia__Severity level;
    const char *unit;
    const char *case_no;
    const char *matter_id;
    const char *event_id;
    uint64_t log_seq;      /* Escalation.source_log_seq: the source event */
    uint64_t item_log_seq; /* FeedItem.source_log_seq: 0 for a tick */
    int64_t at;            /* escalated_at */
    int64_t due_at;
    int64_t produced_at;
    const char *action;
    const char *reason;
} s_esc_t;

static const uint8_t s_empty = 0;

/* ================================================================ text */

typedef struct {
    char text[S_REASON_MAX];
    size_t len;
} s_text_t;

/* Appends a formatted piece, or nothing if it does not fit whole (so no UTF-8
   sequence is ever cut). */
static void
s_append(s_text_t *t, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void
s_append(s_text_t *t, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vsnprintf(t->text + t->len, sizeof t->text - t->len, format, args);
    va_end(args);
    if (n < 0 || (size_t)n >= sizeof t->text - t->len)
        t->text[t->len] = '\0';
    else
        t->len += (size_t)n;
}

/* ================================================================ settings */

static unsigned
s_rules_parse(const char *list)
{
    unsigned rules = 0;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ", ");
        for (size_t i = 0; i < sizeof s_rule_names / sizeof s_rule_names[0]; i++)
            if (strlen(s_rule_names[i].name) == len && strncmp(p, s_rule_names[i].name, len) == 0)
                rules |= s_rule_names[i].bit;
        p += len;
        p += strspn(p, ", ");
    }
    return rules;
}

static int
s_create(const worker_settings_t *settings, void **core_p)
{
    s_core_t *core = calloc(1, sizeof *core);
    if (!core)
        return -ENOMEM;
    esc_limits_load(&core->limits, settings);
    const char *rules = worker_settings_str(settings, "escalate/rules", NULL);
    core->rules = rules ? s_rules_parse(rules) : S_RULES_ALL;
    int64_t days =
        worker_settings_int(settings, "escalate/matter_interval_days", S_DEFAULT_INTERVAL_DAYS);
    core->interval_ms = (days > 0 ? days : S_DEFAULT_INTERVAL_DAYS) * DAJIA_TIME_MS_PER_DAY;
    days = worker_settings_int(settings, "escalate/matter_interval_urgent_days",
                               S_DEFAULT_URGENT_INTERVAL_DAYS);
    core->urgent_interval_ms =
        (days > 0 ? days : S_DEFAULT_URGENT_INTERVAL_DAYS) * DAJIA_TIME_MS_PER_DAY;
    for (int i = 0; i < S_OVERDUE_STEPS; i++) {
        days = worker_settings_int(settings, s_overdue[i].setting, s_overdue[i].default_days);
        int64_t ms = (days >= 0 ? days : s_overdue[i].default_days) * DAJIA_TIME_MS_PER_DAY;
        /* Steps never go back in time, so a tick fires them in order. */
        if (i > 0 && ms < core->overdue_ms[i - 1])
            ms = core->overdue_ms[i - 1];
        core->overdue_ms[i] = ms;
    }
    const esc_deadline_t *deadlines = esc_deadlines();
    for (int i = 0; i < ESC_DEADLINE_COUNT; i++) {
        int64_t hours =
            worker_settings_int(settings, deadlines[i].setting, deadlines[i].default_hours);
        core->deadline_ms[i] =
            (hours > 0 ? hours : deadlines[i].default_hours) * DAJIA_TIME_MS_PER_HOUR;
    }
    int64_t tz = worker_settings_int(settings, "escalate/tz_offset_min", DAJIA_TIME_BEIJING_MIN);
    core->tz_offset_min = (tz >= -14 * 60 && tz <= 14 * 60) ? (int)tz : DAJIA_TIME_BEIJING_MIN;
    *core_p = core;
    return 0;
}

static void
s_destroy(void **core_p)
{
    if (!core_p || !*core_p)
        return;
    free(*core_p);
    *core_p = NULL;
}

/* ================================================================ firing */

/* rule ":" unit "/" key [":" suffix] ["@" due]. Returns 0 or -ENAMETOOLONG. */
static int
s_make_id(char id[S_ID_MAX], const char *rule, const char *unit, const char *key,
          const char *suffix, int64_t due_at)
{
    char due[32] = "";
    if (due_at)
        snprintf(due, sizeof due, "@%" PRId64, due_at);
    int n = snprintf(id, S_ID_MAX, "%s:%s/%s%s%s%s", rule, unit, key, suffix ? ":" : "",
                     suffix ? suffix : "", due);
    return n < 0 || n >= S_ID_MAX ? -ENAMETOOLONG : 0;
}

static int
s_fired(store_txn_t *txn, const char *id)
{
    const void *val = NULL;
    size_t vlen = 0;
    int rc = store_get(txn, ESC_TABLE_FIRED, id, strlen(id), &val, &vlen);
    if (rc == 0)
        return 1;
    return rc == STORE_NOTFOUND ? 0 : rc;
}

/* Sends `e` under `id` unless that id was sent before. Returns 1 when sent, 0 when it
   had been, or a negative error. */
static int
s_fire(store_txn_t *txn, worker_outputs_t *out, const char *id, const s_esc_t *e)
{
    int rc = s_fired(txn, id);
    if (rc)
        return rc < 0 ? rc : 0;
    unsigned char at[8];
    store_u64_to_key((uint64_t)e->at, at);
    rc = store_put(txn, ESC_TABLE_FIRED, id, strlen(id), at, sizeof at, 0);
    if (rc)
        return rc;

    Dajia__Escalation esc = DAJIA__ESCALATION__INIT;
    esc.escalation_id = (char *)id;
    esc.rule = (char *)e->rule;
    esc.level = e->level;
    esc.reason = (char *)(e->reason ? e->reason : "");
    esc.unit = (char *)(e->unit ? e->unit : "");
    esc.case_no = (char *)(e->case_no ? e->case_no : "");
    esc.matter_id = (char *)(e->matter_id ? e->matter_id : "");
    esc.source_event_id = (char *)(e->event_id ? e->event_id : "");
    esc.source_log_seq = e->log_seq;
    esc.escalated_at = e->at;
    esc.action = (char *)(e->action ? e->action : "notify office");
    esc.due_at = e->due_at;

    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.audience = DAJIA__AUDIENCE__AUDIENCE_OFFICE;
    item.service = (char *)S_SERVICE;
    item.source_log_seq = e->item_log_seq;
    item.produced_at = e->produced_at;
    item.item_case = DAJIA__FEED_ITEM__ITEM_ESCALATION;
    item.escalation = &esc;
    rc = worker_outputs_add(out, &item);
    return rc ? rc : 1;
}

/* A rule with two levels: the major id is "<rule>:<src>", the especially major one adds
   ":especially_major". Once the higher level is sent the lower one is never sent. */
static int
s_fire_leveled(store_txn_t *txn, worker_outputs_t *out, const char *key, const char *suffix,
               const s_esc_t *e)
{
    char id[S_ID_MAX];
    char em[S_ID_MAX];
    int rc = s_make_id(id, e->rule, e->unit, key, suffix, 0);
    if (rc)
        return rc;
    if (snprintf(em, sizeof em, "%s%s", id, S_EM_SUFFIX) >= (int)sizeof em)
        return -ENAMETOOLONG;
    if (e->level == S_SEVERITY_EM)
        return s_fire(txn, out, em, e);
    rc = s_fired(txn, em);
    if (rc)
        return rc < 0 ? rc : 0;
    return s_fire(txn, out, id, e);
}

/* ================================================================ records */

static int
s_case_load(store_txn_t *txn, const uint8_t *key, size_t klen, esc_case_t *rec, bool *found)
{
    const void *val = NULL;
    size_t vlen = 0;
    int rc = store_get(txn, ESC_TABLE_CASES, key, klen, &val, &vlen);
    *found = rc == 0;
    if (rc == STORE_NOTFOUND) {
        memset(rec, 0, sizeof *rec);
        return 0;
    }
    return rc ? rc : esc_case_decode(val, vlen, rec);
}

static int
s_case_save(store_txn_t *txn, const uint8_t *key, size_t klen, const esc_case_t *rec)
{
    uint8_t buf[ESC_CASE_RECORD_MAX];
    size_t len = esc_case_encode(rec, buf);
    return store_put(txn, ESC_TABLE_CASES, key, klen, buf, len, 0);
}

static int
s_matter_load(store_txn_t *txn, const uint8_t *key, size_t klen, esc_matter_t *rec, bool *found)
{
    const void *val = NULL;
    size_t vlen = 0;
    int rc = store_get(txn, ESC_TABLE_MATTERS, key, klen, &val, &vlen);
    *found = rc == 0;
    if (rc == STORE_NOTFOUND) {
        memset(rec, 0, sizeof *rec);
        return 0;
    }
    return rc ? rc : esc_matter_decode(val, vlen, rec);
}

static int
s_matter_save(store_txn_t *txn, const uint8_t *key, size_t klen, const esc_matter_t *rec)
{
    uint8_t buf[ESC_MATTER_RECORD_MAX];
    size_t len = esc_matter_encode(rec, buf);
    return store_put(txn, ESC_TABLE_MATTERS, key, klen, buf, len, 0);
}

static int
s_timer_put(store_txn_t *txn, int64_t due_at, char kind, const uint8_t *key, size_t klen)
{
    uint8_t tkey[ESC_TIMER_KEY_MAX];
    size_t tlen = esc_timer_key_make(due_at, kind, key, klen, tkey);
    return store_put(txn, ESC_TABLE_TIMERS, tkey, tlen, &s_empty, 0, 0);
}

static int
s_timer_del(store_txn_t *txn, int64_t due_at, char kind, const uint8_t *key, size_t klen)
{
    uint8_t tkey[ESC_TIMER_KEY_MAX];
    size_t tlen = esc_timer_key_make(due_at, kind, key, klen, tkey);
    int rc = store_del(txn, ESC_TABLE_TIMERS, tkey, tlen);
    return rc == STORE_NOTFOUND ? 0 : rc;
}

/* ================================================================ linkage deadlines */

/* The deadline of the case's current status passed (at `e->at`): DEADLINE-<name>. */
static int
s_fire_deadline(const s_core_t *core, store_txn_t *txn, worker_outputs_t *out,
                const esc_case_t *rec, s_esc_t *e, const char *arrived)
{
    int idx = esc_deadline_index((Dajia__LinkageStatus)rec->linkage);
    if (idx < 0 || !(core->rules & S_RULE_DEADLINE))
        return 0;
    const esc_deadline_t *d = &esc_deadlines()[idx];
    char rule[48];
    snprintf(rule, sizeof rule, "DEADLINE-%s", d->name);
    char id[S_ID_MAX];
    int rc = s_make_id(id, rule, e->unit, e->case_no, NULL, rec->deadline_at);
    if (rc)
        return rc;
    char since[ESC_TIME_MAX], due[ESC_TIME_MAX];
    s_text_t reason = {.len = 0};
    s_append(&reason, "case %s of unit %s has been \"%s\" since %s; %s, so it was due by %s",
             e->case_no, e->unit, esc_name_linkage((Dajia__LinkageStatus)rec->linkage),
             esc_format_time(rec->linkage_at, core->tz_offset_min, since), d->waiting_for,
             esc_format_time(rec->deadline_at, core->tz_offset_min, due));
    if (arrived)
        s_append(&reason, ", but the next step (%s) came only afterwards", arrived);
    else
        s_append(&reason, " and nothing has arrived");
    e->rule = rule;
    e->level = S_SEVERITY_MAJOR;
    e->reason = reason.text;
    e->action = "urge the responsible agency";
    e->due_at = rec->deadline_at;
    rc = s_fire(txn, out, id, e);
    return rc < 0 ? rc : 0;
}

/* Moves the case's linkage clock with `report`. A new status ends the old status's
   deadline (escalating if the new one came at or after it) and starts its own; a
   concluded case stops its clock. */
static int
s_case_linkage(const s_core_t *core, store_txn_t *txn, worker_outputs_t *out,
               const Dajia__CaseReport *report, const uint8_t *key, size_t klen, esc_case_t *rec,
               bool found, const s_esc_t *base, bool *dirty)
{
    int rc = 0;
    bool concluded = esc_rules_concluded(report->stage);
    Dajia__LinkageStatus status = report->linkage;
    /* Unspecified says nothing about linkage: the clock runs on. */
    if (status != DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_UNSPECIFIED &&
        (!found || status != (Dajia__LinkageStatus)rec->linkage)) {
        int64_t status_at = esc_rules_linkage_at(report, base->at);
        if (rec->deadline_at) {
            if (status_at >= rec->deadline_at) {
                s_esc_t e = *base;
                rc = s_fire_deadline(core, txn, out, rec, &e, esc_name_linkage(status));
                if (rc)
                    return rc;
            }
            rc = s_timer_del(txn, rec->deadline_at, ESC_TIMER_CASE, key, klen);
            if (rc)
                return rc;
            rec->deadline_at = 0;
        }
        rec->linkage = (uint8_t)status;
        rec->linkage_at = status_at;
        rec->source_log_seq = base->log_seq;
        snprintf(rec->source_event_id, sizeof rec->source_event_id, "%s", base->event_id);
        int idx = esc_deadline_index(status);
        if (idx >= 0 && !concluded && (core->rules & S_RULE_DEADLINE)) {
            rec->deadline_at = status_at + core->deadline_ms[idx];
            rc = s_timer_put(txn, rec->deadline_at, ESC_TIMER_CASE, key, klen);
            if (rc)
                return rc;
        }
        *dirty = true;
    }
    if (concluded && rec->deadline_at) {
        rc = s_timer_del(txn, rec->deadline_at, ESC_TIMER_CASE, key, klen);
        if (rc)
            return rc;
        rec->deadline_at = 0;
        *dirty = true;
    }
    if ((uint8_t)concluded != rec->concluded) {
        rec->concluded = (uint8_t)concluded;
        *dirty = true;
    }
    return 0;
}

/* ================================================================ case rules */

static int
s_rule_e1(store_txn_t *txn, worker_outputs_t *out, const s_core_t *core, const Dajia__CaseReport *r,
          s_esc_t e)
{
    const char *name = esc_rules_e1_status(r->linkage);
    if (!name || !(core->rules & S_RULE_E1))
        return 0;
    char when[ESC_TIME_MAX];
    esc_format_time(esc_rules_linkage_at(r, e.at), core->tz_offset_min, when);
    s_text_t reason = {.len = 0};
    s_append(&reason, "case %s of unit %s (%s): ", e.case_no, e.unit,
             esc_name_category(r->category));
    switch (r->linkage) {
    case DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_TRANSFERRED:
        s_append(&reason, "transferred to the police on %s", when);
        if (*r->receiving_police_unit)
            s_append(&reason, " (received by %.*s)",
                     esc_clip_utf8(r->receiving_police_unit, S_QUOTE_MAX),
                     r->receiving_police_unit);
        break;
    case DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_POLICE_DECLINED:
        s_append(&reason, "the police declined to file the case on %s", when);
        if (*r->decline_reason)
            s_append(&reason, " (reason given: %.*s)",
                     esc_clip_utf8(r->decline_reason, S_QUOTE_MAX), r->decline_reason);
        break;
    case DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_RECONSIDERATION_REQUESTED:
        s_append(&reason, "the agency asked the police to reconsider their refusal (%s)", when);
        break;
    case DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_RECONSIDERATION_DECIDED:
        s_append(&reason, "the police decided on the reconsideration (%s)", when);
        break;
    default:
        s_append(&reason, "the procuratorate was asked to supervise the police (%s)", when);
        break;
    }
    e.rule = "E1";
    e.level = S_SEVERITY_MAJOR;
    e.reason = reason.text;
    e.action = "notify office";
    char id[S_ID_MAX];
    int rc = s_make_id(id, "E1", e.unit, e.case_no, name, 0);
    if (rc)
        return rc;
    rc = s_fire(txn, out, id, &e);
    return rc < 0 ? rc : 0;
}

static int
s_rule_e2(store_txn_t *txn, worker_outputs_t *out, const s_core_t *core, const Dajia__CaseReport *r,
          s_esc_t e)
{
    const char *goods = NULL;
    if (!(core->rules & S_RULE_E2) || !esc_rules_e2(r, &e.level, &goods))
        return 0;
    s_text_t reason = {.len = 0};
    s_append(&reason, "case %s of unit %s involves %s goods ", e.case_no, e.unit, goods);
    if (dajia_compat_casualties(r) > 0)
        s_append(&reason, "and people were harmed (casualties): an especially major "
                          "health and safety case");
    else
        s_append(&reason, "and is flagged as a risk of serious harm to health or safety");
    e.rule = "E2";
    e.reason = reason.text;
    e.action = "notify office";
    int rc = s_fire_leveled(txn, out, e.case_no, NULL, &e);
    return rc < 0 ? rc : 0;
}

static int
s_rule_e3(store_txn_t *txn, worker_outputs_t *out, const s_core_t *core, const Dajia__CaseReport *r,
          s_esc_t e)
{
    int64_t threshold = 0;
    if (!(core->rules & S_RULE_E3))
        return 0;
    e.level = esc_rules_e3(&core->limits, r, &threshold);
    if (e.level == DAJIA__SEVERITY__SEVERITY_UNSPECIFIED)
        return 0;
    char value[ESC_YUAN_MAX], limit[ESC_YUAN_MAX];
    s_text_t reason = {.len = 0};
    s_append(&reason,
             "case %s of unit %s: case value %s yuan is at or above the %s yuan threshold "
             "for %s case",
             e.case_no, e.unit, esc_format_yuan(r->case_value_fen, true, value),
             esc_format_yuan(threshold, false, limit),
             e.level == S_SEVERITY_EM ? "an especially major" : "a major");
    e.rule = "E3";
    e.reason = reason.text;
    e.action = "notify office";
    int rc = s_fire_leveled(txn, out, e.case_no, NULL, &e);
    return rc < 0 ? rc : 0;
}

/* E4 escalates each trigger once per case: the triggers not escalated before go out
   together, their names in the id ("E4:psb/CASE-1:province+media"). */
static int
s_rule_e4(store_txn_t *txn, worker_outputs_t *out, const s_core_t *core, const Dajia__CaseReport *r,
          esc_case_t *rec, s_esc_t e, bool *dirty)
{
    if (!(core->rules & S_RULE_E4))
        return 0;
    unsigned fresh = esc_rules_e4(r, e.unit) & ~(unsigned)rec->e4_mask;
    if (!fresh)
        return 0;
    char names[128] = "";
    size_t nlen = 0;
    s_text_t reason = {.len = 0};
    s_append(&reason, "case %s of unit %s", e.case_no, e.unit);
    for (unsigned bit = 1; bit < (1u << ESC_E4_COUNT); bit <<= 1) {
        if (!(fresh & bit))
            continue;
        nlen += (size_t)snprintf(names + nlen, sizeof names - nlen, "%s%s", nlen ? "+" : "",
                                 esc_rules_e4_name(bit));
        s_append(&reason, "; ");
        switch (bit) {
        case ESC_E4_PROVINCE:
            s_append(&reason, "crosses the province line");
            break;
        case ESC_E4_FOREIGN:
            s_append(&reason, "reaches outside the country");
            break;
        case ESC_E4_FOREIGN_HOLDER:
            s_append(&reason, "the right holder is foreign");
            if (*r->right_holder)
                s_append(&reason, " (%.*s)", esc_clip_utf8(r->right_holder, S_QUOTE_MAX),
                         r->right_holder);
            break;
        case ESC_E4_UNITS: {
            size_t others = esc_rules_other_units(r, e.unit);
            s_append(&reason, "%zu member units are involved: %s", others + 1, e.unit);
            size_t listed = 0;
            for (size_t i = 0; i < r->n_involved_units && listed < S_LIST_UNITS; i++) {
                const char *u = r->involved_units[i];
                bool repeat = !*u || strcmp(u, e.unit) == 0;
                for (size_t j = 0; j < i && !repeat; j++)
                    repeat = strcmp(r->involved_units[j], u) == 0;
                if (repeat)
                    continue;
                s_append(&reason, ", %.*s", esc_clip_utf8(u, ESC_MAX_ID), u);
                listed++;
            }
            if (others > listed)
                s_append(&reason, " and %zu more", others - listed);
            break;
        }
        case ESC_E4_SUPERVISION:
            s_append(&reason, "supervised at %s level",
                     r->supervision == DAJIA__SUPERVISION_LEVEL__SUPERVISION_LEVEL_NATIONAL
                         ? "national"
                         : "province");
            if (*r->supervision_no)
                s_append(&reason, " (no. %.*s)", esc_clip_utf8(r->supervision_no, S_QUOTE_MAX),
                         r->supervision_no);
            break;
        default:
            s_append(&reason, "has media attention");
            break;
        }
    }
    rec->e4_mask |= (uint16_t)fresh;
    *dirty = true;
    e.rule = "E4";
    e.level = S_SEVERITY_MAJOR;
    e.reason = reason.text;
    e.action = "notify office";
    char id[S_ID_MAX];
    int rc = s_make_id(id, "E4", e.unit, e.case_no, names, 0);
    if (rc)
        return rc;
    rc = s_fire(txn, out, id, &e);
    return rc < 0 ? rc : 0;
}

static int
s_rule_e5(store_txn_t *txn, worker_outputs_t *out, const s_core_t *core, const Dajia__CaseReport *r,
          s_esc_t e)
{
    esc_measure_t measure;
    int64_t amount = 0, threshold = 0;
    if (!(core->rules & S_RULE_E5) ||
        !esc_rules_e5(&core->limits, r, &measure, &amount, &threshold))
        return 0;
    char figure[ESC_YUAN_MAX], limit[ESC_YUAN_MAX];
    s_text_t reason = {.len = 0};
    s_append(&reason,
             "case %s of unit %s (%s): a penalty was decided and the case was not "
             "transferred to the police, but %s of %s yuan is at or above the %s yuan "
             "prosecution threshold: possible fining instead of prosecuting",
             e.case_no, e.unit, esc_name_category(r->category), esc_name_measure(measure),
             esc_format_yuan(amount, true, figure), esc_format_yuan(threshold, false, limit));
    e.rule = "E5";
    e.level = S_SEVERITY_MAJOR;
    e.reason = reason.text;
    e.action = "check transfer to the police";
    char id[S_ID_MAX];
    int rc = s_make_id(id, "E5", e.unit, e.case_no, NULL, 0);
    if (rc)
        return rc;
    rc = s_fire(txn, out, id, &e);
    return rc < 0 ? rc : 0;
}

static int
s_apply_case(const s_core_t *core, store_txn_t *txn, const s_esc_t *base,
             const Dajia__CaseReport *r, worker_outputs_t *out)
{
    uint8_t key[ESC_KEY_MAX];
    size_t klen = esc_key_make(base->unit, r->case_no, key);
    if (!klen)
        return 0; /* no usable key: the broker's validation makes this unreachable */
    esc_case_t rec;
    bool found = false, dirty = false;
    int rc = s_case_load(txn, key, klen, &rec, &found);
    if (rc)
        return rc;
    s_esc_t e = *base;
    e.case_no = r->case_no;

    rc = s_case_linkage(core, txn, out, r, key, klen, &rec, found, &e, &dirty);
    if (!rc)
        rc = s_rule_e1(txn, out, core, r, e);
    if (!rc)
        rc = s_rule_e2(txn, out, core, r, e);
    if (!rc)
        rc = s_rule_e3(txn, out, core, r, e);
    if (!rc)
        rc = s_rule_e4(txn, out, core, r, &rec, e, &dirty);
    if (!rc)
        rc = s_rule_e5(txn, out, core, r, e);
    if (!rc && dirty)
        rc = s_case_save(txn, key, klen, &rec);
    return rc;
}

/* ================================================================ major matters */

static int64_t
s_matter_interval(const s_core_t *core, const esc_matter_t *rec)
{
    if (rec->interval_days > 0)
        return (int64_t)rec->interval_days * DAJIA_TIME_MS_PER_DAY;
    if (rec->type == DAJIA__MATTER_TYPE__MATTER_TYPE_HEALTH_SAFETY_INCIDENT ||
        rec->severity == S_SEVERITY_EM)
        return core->urgent_interval_ms;
    return core->interval_ms;
}

static bool
s_matter_finished(const esc_matter_t *rec)
{
    return rec->status == DAJIA__MATTER_STATUS__MATTER_STATUS_RESOLVED ||
           rec->status == DAJIA__MATTER_STATUS__MATTER_STATUS_CLOSED;
}

/* Sets the matter's next due time (0: none) and its first overdue timer. */
static int
s_matter_schedule(const s_core_t *core, store_txn_t *txn, const uint8_t *key, size_t klen,
                  esc_matter_t *rec, int64_t due_at)
{
    if (rec->timer_at) {
        int rc = s_timer_del(txn, rec->timer_at, ESC_TIMER_MATTER, key, klen);
        if (rc)
            return rc;
        rec->timer_at = 0;
    }
    rec->due_at = due_at;
    rec->stage = 0;
    if (!due_at || !(core->rules & S_RULE_OVERDUE))
        return 0;
    rec->timer_at = due_at + core->overdue_ms[0];
    return s_timer_put(txn, rec->timer_at, ESC_TIMER_MATTER, key, klen);
}

/* The MatterLine the Office lists, as of `now`. */
static int
s_emit_matter(worker_outputs_t *out, const char *unit, const char *matter_id,
              const esc_matter_t *rec, int64_t now, uint64_t item_log_seq, int64_t produced_at)
{
    Dajia__MatterLine line = DAJIA__MATTER_LINE__INIT;
    line.unit = (char *)unit;
    line.matter_id = (char *)matter_id;
    line.title = (char *)rec->title;
    line.severity = (Dajia__Severity)rec->severity;
    line.status = (Dajia__MatterStatus)rec->status;
    line.last_progress_at = rec->last_progress_at;
    line.next_update_due_at = rec->due_at;
    line.days_overdue =
        rec->due_at && now > rec->due_at ? (now - rec->due_at) / DAJIA_TIME_MS_PER_DAY : 0;

    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.audience = DAJIA__AUDIENCE__AUDIENCE_OFFICE;
    item.service = (char *)S_SERVICE;
    item.source_log_seq = item_log_seq;
    item.produced_at = produced_at;
    item.item_case = DAJIA__FEED_ITEM__ITEM_MATTER;
    item.matter = &line;
    return worker_outputs_add(out, &item);
}

static const char *
s_request_name(Dajia__MatterRequest request)
{
    switch (request) {
    case DAJIA__MATTER_REQUEST__MATTER_REQUEST_MEETING:
        return "a meeting";
    case DAJIA__MATTER_REQUEST__MATTER_REQUEST_COORDINATION:
        return "coordination";
    case DAJIA__MATTER_REQUEST__MATTER_REQUEST_SUPERVISION:
        return "supervision";
    default:
        return "help";
    }
}

static void
s_matter_source(esc_matter_t *rec, const s_esc_t *base)
{
    rec->source_log_seq = base->log_seq;
    snprintf(rec->source_event_id, sizeof rec->source_event_id, "%s", base->event_id);
}

static int
s_apply_matter_report(const s_core_t *core, store_txn_t *txn, const s_esc_t *base,
                      const Dajia__MajorMatterReport *r, worker_outputs_t *out)
{
    uint8_t key[ESC_KEY_MAX];
    size_t klen = esc_key_make(base->unit, r->matter_id, key);
    if (!klen)
        return 0;
    esc_matter_t rec;
    bool found = false;
    int rc = s_matter_load(txn, key, klen, &rec, &found);
    if (rc)
        return rc;
    rec.reported = 1;
    rec.severity = (uint8_t)(r->severity == S_SEVERITY_EM ? S_SEVERITY_EM : S_SEVERITY_MAJOR);
    rec.type = (uint8_t)r->type;
    rec.interval_days = r->update_interval_days > 0 ? r->update_interval_days : 0;
    if (!found || rec.status == DAJIA__MATTER_STATUS__MATTER_STATUS_UNSPECIFIED)
        rec.status = DAJIA__MATTER_STATUS__MATTER_STATUS_OPEN;
    int tlen = esc_clip_utf8(r->title, ESC_MAX_TITLE);
    memcpy(rec.title, r->title, (size_t)tlen);
    rec.title[tlen] = '\0';
    rec.last_progress_at = base->at;
    s_matter_source(&rec, base);
    int64_t due = 0;
    if (!s_matter_finished(&rec))
        due = r->next_update_due_at > 0 ? r->next_update_due_at
                                        : base->at + s_matter_interval(core, &rec);
    rc = s_matter_schedule(core, txn, key, klen, &rec, due);
    if (rc)
        return rc;

    if (core->rules & S_RULE_MM) {
        s_esc_t e = *base;
        e.matter_id = r->matter_id;
        e.rule = "MM";
        e.level = (Dajia__Severity)rec.severity;
        e.action = "notify office";
        s_text_t reason = {.len = 0};
        s_append(&reason, "unit %s reported a %s matter: \"%s\" (%s)", e.unit,
                 esc_name_severity(e.level), rec.title, esc_name_matter_type(r->type));
        if (r->n_requests) {
            s_append(&reason, "; it asks for");
            for (size_t i = 0; i < r->n_requests; i++) {
                s_append(&reason, "%s %s", i ? "," : "", s_request_name(r->requests[i]));
            }
        }
        if (due) {
            char when[ESC_TIME_MAX];
            s_append(&reason, "; next progress due %s",
                     esc_format_time(due, core->tz_offset_min, when));
        }
        e.reason = reason.text;
        rc = s_fire_leveled(txn, out, r->matter_id, NULL, &e);
        if (rc < 0)
            return rc;
    }
    rc = s_emit_matter(out, base->unit, r->matter_id, &rec, base->at, base->item_log_seq,
                       base->produced_at);
    return rc ? rc : s_matter_save(txn, key, klen, &rec);
}

static int
s_apply_matter_progress(const s_core_t *core, store_txn_t *txn, const s_esc_t *base,
                        const Dajia__MajorMatterProgress *p, worker_outputs_t *out)
{
    uint8_t key[ESC_KEY_MAX];
    size_t klen = esc_key_make(base->unit, p->matter_id, key);
    if (!klen)
        return 0;
    esc_matter_t rec;
    bool found = false;
    int rc = s_matter_load(txn, key, klen, &rec, &found);
    if (rc)
        return rc;
    if (found && p->seq < rec.seq)
        return 0; /* older than what we have: it changes nothing */
    if (!found)
        rec.severity = S_SEVERITY_MAJOR; /* progress on a matter we have not seen reported */
    rec.seq = p->seq;
    if (p->status != DAJIA__MATTER_STATUS__MATTER_STATUS_UNSPECIFIED)
        rec.status = (uint8_t)p->status;
    rec.last_progress_at = base->at;
    s_matter_source(&rec, base);
    int64_t due = 0;
    if (!s_matter_finished(&rec))
        due = p->next_update_due_at > 0 ? p->next_update_due_at
                                        : base->at + s_matter_interval(core, &rec);
    rc = s_matter_schedule(core, txn, key, klen, &rec, due);
    if (!rc)
        rc = s_emit_matter(out, base->unit, p->matter_id, &rec, base->at, base->item_log_seq,
                           base->produced_at);
    return rc ? rc : s_matter_save(txn, key, klen, &rec);
}

/* ================================================================ apply */

static int
s_apply(void *self, store_txn_t *txn, const worker_event_t *event, worker_outputs_t *out)
{
    const s_core_t *core = self;
    const Dajia__Envelope *env = event->env;
    if (!env)
        return 0;
    s_esc_t base = {
        .unit = env->unit,
        .event_id = env->event_id,
        .log_seq = event->log_seq,
        .item_log_seq = event->log_seq,
        .at = env->occurred_at > 0 ? env->occurred_at : event->received_at,
        .produced_at = event->received_at,
    };
    switch (env->body_case) {
    case DAJIA__ENVELOPE__BODY_CASE_REPORT:
        return env->case_report ? s_apply_case(core, txn, &base, env->case_report, out) : 0;
    case DAJIA__ENVELOPE__BODY_MAJOR_MATTER:
        return env->major_matter ? s_apply_matter_report(core, txn, &base, env->major_matter, out)
                                 : 0;
    case DAJIA__ENVELOPE__BODY_MATTER_PROGRESS:
        return env->matter_progress
                   ? s_apply_matter_progress(core, txn, &base, env->matter_progress, out)
                   : 0;
    default:
        return 0; /* dynamic information escalates nothing */
    }
}

/* ================================================================ tick */

typedef struct {
    size_t len;
    uint8_t key[ESC_TIMER_KEY_MAX];
} s_due_t;

/* A matter's progress is overdue: fire every step whose time has come, then arm the
   next one. */
static int
s_tick_matter(const s_core_t *core, store_txn_t *txn, int64_t now, const uint8_t *key, size_t klen,
              int64_t timer_at, worker_outputs_t *out)
{
    char unit[ESC_MAX_ID + 1], matter_id[ESC_MAX_ID + 1];
    if (esc_key_split(key, klen, unit, matter_id))
        return 0; /* not a key we wrote: the timer entry is already gone */
    esc_matter_t rec;
    bool found = false;
    int rc = s_matter_load(txn, key, klen, &rec, &found);
    if (rc)
        return rc;
    if (!found || rec.timer_at != timer_at || !rec.due_at)
        return 0; /* stale entry */
    rec.timer_at = 0;
    while (rec.stage < S_OVERDUE_STEPS && rec.due_at + core->overdue_ms[rec.stage] <= now) {
        int step = rec.stage++;
        char due[ESC_TIME_MAX];
        s_text_t reason = {.len = 0};
        int64_t days = (now - rec.due_at) / DAJIA_TIME_MS_PER_DAY;
        s_append(&reason,
                 "the progress report of unit %s on its %s matter \"%s\" was due %s and is "
                 "%" PRId64 " day%s overdue: %s",
                 unit, esc_name_severity((Dajia__Severity)rec.severity), rec.title,
                 esc_format_time(rec.due_at, core->tz_offset_min, due), days, days == 1 ? "" : "s",
                 s_overdue[step].consequence);
        s_esc_t e = {
            .rule = s_overdue[step].rule,
            .level = (Dajia__Severity)rec.severity,
            .unit = unit,
            .matter_id = matter_id,
            .event_id = rec.source_event_id,
            .log_seq = rec.source_log_seq,
            .at = now,
            .due_at = rec.due_at,
            .produced_at = now,
            .action = s_overdue[step].action,
            .reason = reason.text,
        };
        char id[S_ID_MAX];
        rc = s_make_id(id, e.rule, unit, matter_id, NULL, rec.due_at);
        if (!rc)
            rc = s_fire(txn, out, id, &e);
        if (rc < 0)
            return rc;
    }
    if (rec.stage < S_OVERDUE_STEPS) {
        rec.timer_at = rec.due_at + core->overdue_ms[rec.stage];
        rc = s_timer_put(txn, rec.timer_at, ESC_TIMER_MATTER, key, klen);
        if (rc)
            return rc;
    }
    rc = s_emit_matter(out, unit, matter_id, &rec, now, 0, now);
    return rc ? rc : s_matter_save(txn, key, klen, &rec);
}

/* A case's linkage deadline passed without the next status. */
static int
s_tick_case(const s_core_t *core, store_txn_t *txn, int64_t now, const uint8_t *key, size_t klen,
            int64_t due_at, worker_outputs_t *out)
{
    char unit[ESC_MAX_ID + 1], case_no[ESC_MAX_ID + 1];
    if (esc_key_split(key, klen, unit, case_no))
        return 0;
    esc_case_t rec;
    bool found = false;
    int rc = s_case_load(txn, key, klen, &rec, &found);
    if (rc)
        return rc;
    if (!found || rec.deadline_at != due_at)
        return 0; /* stale entry */
    s_esc_t e = {
        .unit = unit,
        .case_no = case_no,
        .event_id = rec.source_event_id,
        .log_seq = rec.source_log_seq,
        .at = now,
        .produced_at = now,
    };
    rc = s_fire_deadline(core, txn, out, &rec, &e, NULL);
    if (rc)
        return rc;
    rec.deadline_at = 0;
    return s_case_save(txn, key, klen, &rec);
}

/* Reads up to S_TICK_BATCH timer keys due at or before `now`. */
static int
s_tick_collect(store_txn_t *txn, int64_t now, s_due_t *due, size_t *count)
{
    *count = 0;
    store_cursor_t *cursor = NULL;
    int rc = store_cursor_open(txn, ESC_TABLE_TIMERS, &cursor);
    if (rc)
        return rc == STORE_NOTFOUND ? 0 : rc;
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    rc = store_cursor_seek(cursor, NULL, 0, &k, &kl, &v, &vl);
    while (rc == 0 && *count < S_TICK_BATCH) {
        if (kl < 9 || kl > ESC_TIMER_KEY_MAX)
            goto next; /* not ours; skip */
        if ((int64_t)store_key_to_u64(k) > now)
            break;
        due[*count].len = kl;
        memcpy(due[*count].key, k, kl);
        (*count)++;
    next:
        rc = store_cursor_next(cursor, &k, &kl, &v, &vl);
    }
    store_cursor_close(&cursor);
    return rc == STORE_NOTFOUND ? 0 : rc;
}

static int
s_tick(void *self, store_txn_t *txn, int64_t now_ms, worker_outputs_t *out)
{
    const s_core_t *core = self;
    s_due_t due[S_TICK_BATCH];
    size_t count = 0;
    /* Handling a timer deletes it and arms only timers after `now`; a full batch means
       more may be due, so read again. */
    do {
        int rc = s_tick_collect(txn, now_ms, due, &count);
        if (rc)
            return rc;
        for (size_t i = 0; i < count; i++) {
            const uint8_t *key = due[i].key;
            int64_t at = (int64_t)store_key_to_u64(key);
            rc = store_del(txn, ESC_TABLE_TIMERS, key, due[i].len);
            if (rc)
                return rc;
            if (key[8] == ESC_TIMER_MATTER)
                rc = s_tick_matter(core, txn, now_ms, key + 9, due[i].len - 9, at, out);
            else if (key[8] == ESC_TIMER_CASE)
                rc = s_tick_case(core, txn, now_ms, key + 9, due[i].len - 9, at, out);
            if (rc)
                return rc;
        }
    } while (count == S_TICK_BATCH);
    return 0;
}

const worker_service_t worker_escalate = {
    .name = S_SERVICE,
    .create = s_create,
    .apply = s_apply,
    .tick = s_tick,
    .destroy = s_destroy,
};
