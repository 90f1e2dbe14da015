/*  esc_core: the pure core of the escalate worker (worker_escalate).

    Every event is checked against the rules of docs/domain.md §5 and each rule
    that applies sends one Escalation to the Office: E1 linkage steps, E2 health and
    safety, E3 value, E4 scope, E5 fining instead of prosecuting, MM every major-matter
    report, DQ1/DQ2 progress that cannot be applied. An escalation id is the rule plus the
    source ("E3:psb/CASE-1", with ":especially_major" for the higher level and "@<due ms>"
    for timers); the ids sent are kept in esc.fired, so a source escalates once per rule
    and level whatever is redelivered or repeated. The words are esc_text.c's.

    Timers: a major matter's progress is due at next_update_due_at or after its interval;
    1, 7 and 15 days past due it escalates (OVERDUE-1D/7D/15D). A case's linkage status
    must move on within the deadlines of docs/domain.md §5.9 (DEADLINE-*). Both live in
    esc.timers ordered by due time. Time is the events' own (docs/domain.md §8): a timer
    of a unit fires when the unit's next event is dated at or after it (before that event
    is applied), or when tick() passes it while the unit is quiet (nothing received from
    it for escalate/unit_quiet_seconds of the broker's clock), so a unit sending a backlog
    has its timers judged on the backlog's times, not on the clock it arrives at. A fired
    timer says the same whenever it is evaluated: its time is its due time. Nothing here
    reads a clock. State layout: esc_state.h.
*/
#include "dajia_log.h"
#include "dajia_time.h"
#include "esc_rules.h"
#include "esc_state.h"
#include "esc_text.h"
#include "worker_core.h"
#include "worker_store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SERVICE        "escalate"
#define S_SEVERITY_MAJOR DAJIA__SEVERITY__SEVERITY_MAJOR
#define S_SEVERITY_EM    DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR
#define S_EM_SUFFIX      ":especially_major"

#define S_ID_MAX     384 /* escalation ids: rule, unit, key, suffixes; < STORE_MAX_KEY */
#define S_TICK_BATCH 64  /* due timers read per cursor pass */

#define S_DEFAULT_QUIET_SECONDS 60

/* Rules that configuration ("escalate/rules") may switch off. */
#define S_RULE_E1       0x01u
#define S_RULE_E2       0x02u
#define S_RULE_E3       0x04u
#define S_RULE_E4       0x08u
#define S_RULE_E5       0x10u
#define S_RULE_MM       0x20u
#define S_RULE_OVERDUE  0x40u
#define S_RULE_DEADLINE 0x80u
#define S_RULE_DQ       0x100u
#define S_RULES_ALL     0x1FFu

static const struct {
    const char *name;
    unsigned bit;
} s_rule_names[] = {{"E1", S_RULE_E1},
                    {"E2", S_RULE_E2},
                    {"E3", S_RULE_E3},
                    {"E4", S_RULE_E4},
                    {"E5", S_RULE_E5},
                    {"MM", S_RULE_MM},
                    {"OVERDUE", S_RULE_OVERDUE},
                    {"DEADLINE", S_RULE_DEADLINE},
                    {"DQ", S_RULE_DQ}};

/* The three overdue steps of a major matter's progress (docs/domain.md §5.8). */
#define S_OVERDUE_STEPS 3
static const struct {
    const char *rule;
    const char *setting;
    int64_t default_days;
    esc_action_t action;
} s_overdue[S_OVERDUE_STEPS] = {
    {"OVERDUE-1D", "escalate/overdue_remind_days", 1, ESC_ACTION_REMIND},
    {"OVERDUE-7D", "escalate/overdue_director_days", 7, ESC_ACTION_DIRECTOR},
    {"OVERDUE-15D", "escalate/overdue_leader_days", 15, ESC_ACTION_LEADER},
};

typedef struct {
    esc_limits_t limits;
    unsigned rules;
    esc_intervals_t intervals;
    int64_t overdue_ms[S_OVERDUE_STEPS];
    int64_t deadline_hours[ESC_DEADLINE_COUNT];
    int64_t quiet_ms;
    esc_words_t words;
    dajia_member_t *members; /* the configured names, copied (words.members) */
    size_t n_members;
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
    uint64_t item_log_seq; /* FeedItem.source_log_seq: 0 for a timer */
    int64_t at;            /* escalated_at */
    int64_t due_at;
    int64_t produced_at;
    esc_action_t action;
    const char *reason;
} s_esc_t;

static const uint8_t s_empty = 0;

/* ================================================================ settings */

/* The rules named in `list`; names it does not know are ignored (docs/domain.md §5.1). */
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

static void
s_destroy(void **core_p)
{
    if (!core_p || !*core_p)
        return;
    s_core_t *core = *core_p;
    for (size_t i = 0; i < core->n_members; i++) {
        free((char *)core->members[i].code);
        free((char *)core->members[i].name);
    }
    free(core->members);
    free(core);
    *core_p = NULL;
}

/* Copies the configured member names: settings are borrowed for create() only. */
static int
s_members_copy(s_core_t *core, const worker_settings_t *settings)
{
    size_t count = 0;
    const dajia_member_t *members = worker_settings_members(settings, &count);
    if (!count)
        return 0;
    core->members = calloc(count, sizeof *core->members);
    if (!core->members)
        return -ENOMEM;
    for (size_t i = 0; i < count; i++) {
        char *code = strdup(members[i].code);
        char *name = members[i].name ? strdup(members[i].name) : NULL;
        core->members[core->n_members++] = (dajia_member_t){code, name, NULL};
        if (!code || (members[i].name && !name))
            return -ENOMEM;
    }
    core->words.members = core->members;
    core->words.n_members = core->n_members;
    return 0;
}

static int
s_create(const worker_settings_t *settings, void **core_p)
{
    s_core_t *core = calloc(1, sizeof *core);
    void *doomed = core;
    if (!core)
        return -ENOMEM;
    int rc = s_members_copy(core, settings);
    if (rc)
        goto out;
    const char *language = worker_settings_str(settings, "escalate/language", NULL);
    core->words.lang = DAJIA_LANG_DEFAULT;
    if (language && dajia_lang_parse(language, &core->words.lang) != 0) {
        dajia_log_error("escalate/language: \"%s\" is not a language the reasons are written in "
                        "(%s)",
                        language, DAJIA_LANG_ACCEPTED);
        rc = -EINVAL;
        goto out;
    }
    esc_limits_load(&core->limits, settings);
    const char *rules = worker_settings_str(settings, "escalate/rules", NULL);
    core->rules = rules ? s_rules_parse(rules) : S_RULES_ALL;
    esc_intervals_load(&core->intervals, settings);
    for (int i = 0; i < S_OVERDUE_STEPS; i++) {
        int64_t days =
            worker_settings_int(settings, s_overdue[i].setting, s_overdue[i].default_days);
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
        core->deadline_hours[i] = hours > 0 ? hours : deadlines[i].default_hours;
    }
    int64_t quiet =
        worker_settings_int(settings, "escalate/unit_quiet_seconds", S_DEFAULT_QUIET_SECONDS);
    core->quiet_ms = (quiet >= 0 ? quiet : S_DEFAULT_QUIET_SECONDS) * DAJIA_TIME_MS_PER_SEC;
    int64_t tz = worker_settings_int(settings, "escalate/tz_offset_min", DAJIA_TIME_BEIJING_MIN);
    core->words.tz_offset_min =
        (tz >= -14 * 60 && tz <= 14 * 60) ? (int)tz : DAJIA_TIME_BEIJING_MIN;
    *core_p = core;
    return 0;
out:
    s_destroy(&doomed);
    return rc;
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
s_fire(const s_core_t *core, store_txn_t *txn, worker_outputs_t *out, const char *id,
       const s_esc_t *e)
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
    esc.action = (char *)esc_text_action(&core->words, e->action);
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
s_fire_leveled(const s_core_t *core, store_txn_t *txn, worker_outputs_t *out, const char *key,
               const s_esc_t *e)
{
    char id[S_ID_MAX];
    char em[S_ID_MAX];
    int rc = s_make_id(id, e->rule, e->unit, key, NULL, 0);
    if (rc)
        return rc;
    if (snprintf(em, sizeof em, "%s%s", id, S_EM_SUFFIX) >= (int)sizeof em)
        return -ENAMETOOLONG;
    if (e->level == S_SEVERITY_EM)
        return s_fire(core, txn, out, em, e);
    rc = s_fired(txn, em);
    if (rc)
        return rc < 0 ? rc : 0;
    return s_fire(core, txn, out, id, e);
}

/* ================================================================ records */

/* The bytes under `key` in `table`: *val NULL (and *found false; `found` may be NULL)
   when there are none, which the esc_*_decode functions read as no record. */
static int
s_record_get(store_txn_t *txn, const char *table, const void *key, size_t klen, const void **val,
             size_t *vlen, bool *found)
{
    int rc = store_get(txn, table, key, klen, val, vlen);
    if (found)
        *found = rc == 0;
    if (rc != STORE_NOTFOUND)
        return rc;
    *val = NULL;
    *vlen = 0;
    return 0;
}

static int
s_case_load(store_txn_t *txn, const uint8_t *key, size_t klen, esc_case_t *rec, bool *found)
{
    const void *val;
    size_t vlen;
    int rc = s_record_get(txn, ESC_TABLE_CASES, key, klen, &val, &vlen, found);
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
    const void *val;
    size_t vlen;
    int rc = s_record_get(txn, ESC_TABLE_MATTERS, key, klen, &val, &vlen, found);
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

/* The unit's receipt clock; a unit never seen reads as received at 0 (quiet). */
static int
s_unit_load(store_txn_t *txn, const char *unit, esc_unit_t *rec)
{
    const void *val;
    size_t vlen;
    int rc = s_record_get(txn, ESC_TABLE_UNITS, unit, strlen(unit), &val, &vlen, NULL);
    return rc ? rc : esc_unit_decode(val, vlen, rec);
}

static int
s_unit_save(store_txn_t *txn, const char *unit, const esc_unit_t *rec)
{
    uint8_t buf[ESC_UNIT_RECORD_MAX];
    size_t len = esc_unit_encode(rec, buf);
    return store_put(txn, ESC_TABLE_UNITS, unit, strlen(unit), buf, len, 0);
}

/* ================================================================ linkage deadlines */

/* The deadline of the case's current status fell due (at rec->deadline_at):
   DEADLINE-<name>. `arrived` is the next status when it came only afterwards,
   UNSPECIFIED when nothing had come. */
static int
s_fire_deadline(const s_core_t *core, store_txn_t *txn, worker_outputs_t *out,
                const esc_case_t *rec, s_esc_t *e, Dajia__LinkageStatus arrived)
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
    esc_text_t reason = {.len = 0};
    esc_text_deadline(&core->words, e->unit, e->case_no, (Dajia__LinkageStatus)rec->linkage,
                      rec->linkage_at, idx, core->deadline_hours[idx], rec->deadline_at, arrived,
                      &reason);
    e->rule = rule;
    e->level = S_SEVERITY_MAJOR;
    e->reason = reason.text;
    e->action = ESC_ACTION_URGE;
    e->at = rec->deadline_at; /* the deadline's time, whenever it is judged */
    e->due_at = rec->deadline_at;
    rc = s_fire(core, txn, out, id, e);
    return rc < 0 ? rc : 0;
}

/* Moves the case's linkage clock with `report`. A new status ends the old status's
   deadline (escalating if the new one is dated at or after it) and starts its own; a
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
            /* Reached only when the event itself is dated before the deadline (else
               the deadline fired before the event was applied) but says the step was
               taken at or after it. */
            if (status_at >= rec->deadline_at) {
                s_esc_t e = *base;
                e.item_log_seq = base->item_log_seq;
                rc = s_fire_deadline(core, txn, out, rec, &e, status);
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
            rec->deadline_at = status_at + core->deadline_hours[idx] * DAJIA_TIME_MS_PER_HOUR;
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

/* E1: one escalation per case and linkage step (docs/domain.md §5.2). */
static int
s_rule_e1(store_txn_t *txn, worker_outputs_t *out, const s_core_t *core, const Dajia__CaseReport *r,
          s_esc_t e)
{
    const char *name = esc_rules_e1_status(r->linkage);
    if (!name || !(core->rules & S_RULE_E1))
        return 0;
    esc_text_t reason = {.len = 0};
    esc_text_e1(&core->words, e.unit, r, esc_rules_linkage_at(r, e.at), &reason);
    e.rule = "E1";
    e.level = S_SEVERITY_MAJOR;
    e.reason = reason.text;
    e.action = ESC_ACTION_NOTIFY;
    char id[S_ID_MAX];
    int rc = s_make_id(id, "E1", e.unit, e.case_no, name, 0);
    if (rc)
        return rc;
    rc = s_fire(core, txn, out, id, &e);
    return rc < 0 ? rc : 0;
}

static int
s_rule_e2(store_txn_t *txn, worker_outputs_t *out, const s_core_t *core, const Dajia__CaseReport *r,
          s_esc_t e)
{
    Dajia__GoodsCategory goods = DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_UNSPECIFIED;
    if (!(core->rules & S_RULE_E2) || !esc_rules_e2(r, &e.level, &goods))
        return 0;
    esc_text_t reason = {.len = 0};
    esc_text_e2(&core->words, e.unit, r, e.level, goods, &reason);
    e.rule = "E2";
    e.reason = reason.text;
    e.action = ESC_ACTION_NOTIFY;
    int rc = s_fire_leveled(core, txn, out, e.case_no, &e);
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
    esc_text_t reason = {.len = 0};
    esc_text_e3(&core->words, e.unit, r, e.level, threshold, &reason);
    e.rule = "E3";
    e.reason = reason.text;
    e.action = ESC_ACTION_NOTIFY;
    int rc = s_fire_leveled(core, txn, out, e.case_no, &e);
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
    for (unsigned bit = 1; bit < (1u << ESC_E4_COUNT); bit <<= 1)
        if (fresh & bit)
            nlen += (size_t)snprintf(names + nlen, sizeof names - nlen, "%s%s", nlen ? "+" : "",
                                     esc_rules_e4_name(bit));
    esc_text_t reason = {.len = 0};
    esc_text_e4(&core->words, e.unit, r, fresh, &reason);
    rec->e4_mask |= (uint16_t)fresh;
    *dirty = true;
    e.rule = "E4";
    e.level = S_SEVERITY_MAJOR;
    e.reason = reason.text;
    e.action = ESC_ACTION_NOTIFY;
    char id[S_ID_MAX];
    int rc = s_make_id(id, "E4", e.unit, e.case_no, names, 0);
    if (rc)
        return rc;
    rc = s_fire(core, txn, out, id, &e);
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
    esc_text_t reason = {.len = 0};
    esc_text_e5(&core->words, e.unit, r, measure, amount, threshold, &reason);
    e.rule = "E5";
    e.level = S_SEVERITY_MAJOR;
    e.reason = reason.text;
    e.action = ESC_ACTION_CHECK_TRANSFER;
    char id[S_ID_MAX];
    int rc = s_make_id(id, "E5", e.unit, e.case_no, NULL, 0);
    if (rc)
        return rc;
    rc = s_fire(core, txn, out, id, &e);
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
    return esc_intervals_of(&core->intervals, (Dajia__MatterType)rec->type,
                            (Dajia__Severity)rec->severity, rec->interval_days);
}

static bool
s_matter_finished(const esc_matter_t *rec)
{
    return rec->status == DAJIA__MATTER_STATUS__MATTER_STATUS_RESOLVED ||
           rec->status == DAJIA__MATTER_STATUS__MATTER_STATUS_CLOSED;
}

/* Sets the matter's next due time (0: none) and, for a reported matter, its first
   overdue timer. A matter known only from progress has nothing timed (§5.11). */
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
    if (!due_at || !rec->reported || !(core->rules & S_RULE_OVERDUE))
        return 0;
    rec->timer_at = due_at + core->overdue_ms[0];
    return s_timer_put(txn, rec->timer_at, ESC_TIMER_MATTER, key, klen);
}

/* The MatterLine the Office lists, with the whole days overdue at `at`. */
static int
s_emit_matter(worker_outputs_t *out, const char *unit, const char *matter_id,
              const esc_matter_t *rec, int64_t at, uint64_t item_log_seq, int64_t produced_at)
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
        rec->due_at && at > rec->due_at ? (at - rec->due_at) / DAJIA_TIME_MS_PER_DAY : 0;

    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.audience = DAJIA__AUDIENCE__AUDIENCE_OFFICE;
    item.service = (char *)S_SERVICE;
    item.source_log_seq = item_log_seq;
    item.produced_at = produced_at;
    item.item_case = DAJIA__FEED_ITEM__ITEM_MATTER;
    item.matter = &line;
    return worker_outputs_add(out, &item);
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
    int64_t due = 0;
    if (found && rec.last_progress_at > base->at) {
        /* A progress dated after this report was applied before it (stored out of the
           unit's order): the progress says when the next one is due. */
        due = s_matter_finished(&rec) ? 0 : rec.due_at;
    } else {
        rec.last_progress_at = base->at;
        s_matter_source(&rec, base);
        if (!s_matter_finished(&rec))
            due = r->next_update_due_at > 0 ? r->next_update_due_at
                                            : base->at + s_matter_interval(core, &rec);
    }
    rc = s_matter_schedule(core, txn, key, klen, &rec, due);
    if (rc)
        return rc;

    if (core->rules & S_RULE_MM) {
        s_esc_t e = *base;
        e.matter_id = r->matter_id;
        e.rule = "MM";
        e.level = (Dajia__Severity)rec.severity;
        e.action = ESC_ACTION_NOTIFY;
        esc_text_t reason = {.len = 0};
        esc_text_mm(&core->words, e.unit, r, e.level, rec.title, due, &reason);
        e.reason = reason.text;
        rc = s_fire_leveled(core, txn, out, r->matter_id, &e);
        if (rc < 0)
            return rc;
    }
    rc = s_emit_matter(out, base->unit, r->matter_id, &rec, base->at, base->item_log_seq,
                       base->produced_at);
    return rc ? rc : s_matter_save(txn, key, klen, &rec);
}

/* The unit's copy of a data-quality notice (docs/domain.md §5.11): an item of audience
   UNIT, which the broker shows the unit that sent the report alone (and the Office). */
static int
s_notice_unit(worker_outputs_t *out, const char *id, const s_esc_t *e, const esc_text_t *text,
              const esc_text_t *fix)
{
    Dajia__UnitNotice notice = DAJIA__UNIT_NOTICE__INIT;
    notice.notice_id = (char *)id;
    notice.rule = (char *)e->rule;
    notice.unit = (char *)e->unit;
    notice.event_id = (char *)(e->event_id ? e->event_id : "");
    notice.matter_id = (char *)(e->matter_id ? e->matter_id : "");
    notice.text = (char *)text->text;
    notice.fix = (char *)fix->text;
    notice.noticed_at = e->at;

    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.audience = DAJIA__AUDIENCE__AUDIENCE_UNIT;
    item.unit = (char *)e->unit;
    item.service = (char *)S_SERVICE;
    item.source_log_seq = e->item_log_seq;
    item.produced_at = e->produced_at;
    item.item_case = DAJIA__FEED_ITEM__ITEM_NOTICE;
    item.notice = &notice;
    return worker_outputs_add(out, &item);
}

/* DQ1 and DQ2 (docs/domain.md §5.11): a data-quality notice, once per id, to the Office
   (`reason`, an escalation) and to the unit (`unit_text` and `unit_fix`). */
static int
s_fire_dq(const s_core_t *core, store_txn_t *txn, worker_outputs_t *out, const s_esc_t *base,
          const char *rule, const char *matter_id, const char *suffix, const char *reason,
          const esc_text_t *unit_text, const esc_text_t *unit_fix)
{
    if (!(core->rules & S_RULE_DQ))
        return 0;
    s_esc_t e = *base;
    e.rule = rule;
    e.matter_id = matter_id;
    e.level = S_SEVERITY_MAJOR;
    e.action = ESC_ACTION_CHECK_DATA;
    e.reason = reason;
    char id[S_ID_MAX];
    int rc = s_make_id(id, rule, e.unit, matter_id, suffix, 0);
    if (rc)
        return rc;
    rc = s_fire(core, txn, out, id, &e);
    if (rc == 1) /* sent to the Office just now: the unit hears of it too, once */
        rc = s_notice_unit(out, id, &e, unit_text, unit_fix);
    return rc < 0 ? rc : 0;
}

static bool
s_accounted_has(const esc_matter_t *rec, const char *event_id)
{
    for (uint8_t i = 0; i < rec->n_accounted; i++)
        if (strcmp(rec->accounted[i], event_id) == 0)
            return true;
    return false;
}

/* Keeps `event_id` as accounted for at the matter's seq; the oldest entry goes when full
   (a chain of corrections longer than that stored backwards: docs/domain.md §5.8). */
static void
s_accounted_add(esc_matter_t *rec, const char *event_id)
{
    if (!*event_id || strlen(event_id) > ESC_MAX_ID || s_accounted_has(rec, event_id))
        return;
    if (rec->n_accounted == ESC_ACCOUNTED_MAX) {
        memmove(rec->accounted[0], rec->accounted[1],
                (ESC_ACCOUNTED_MAX - 1) * sizeof rec->accounted[0]);
        rec->n_accounted--;
    }
    snprintf(rec->accounted[rec->n_accounted++], sizeof rec->accounted[0], "%s", event_id);
}

/* A progress stored after a correction of itself (docs/domain.md §5.8): the correction
   already stands in its place, so it is no repeat and changes nothing the correction
   stated; a status the corrections left unstated is its own, as in the unit's order. */
static int
s_progress_accounted(const s_core_t *core, store_txn_t *txn, const s_esc_t *base,
                     const Dajia__Envelope *env, const uint8_t *key, size_t klen, esc_matter_t *rec,
                     worker_outputs_t *out)
{
    const Dajia__MajorMatterProgress *p = env->matter_progress;
    s_accounted_add(rec, env->supersedes_event_id);
    bool restated = !rec->stated && p->status != DAJIA__MATTER_STATUS__MATTER_STATUS_UNSPECIFIED &&
                    p->status != rec->status;
    if (p->status != DAJIA__MATTER_STATUS__MATTER_STATUS_UNSPECIFIED)
        rec->stated = 1;
    if (restated) {
        rec->status = (uint8_t)p->status;
        int64_t due = 0;
        if (!s_matter_finished(rec))
            due = rec->due_at ? rec->due_at : rec->last_progress_at + s_matter_interval(core, rec);
        int rc = due == rec->due_at ? 0 : s_matter_schedule(core, txn, key, klen, rec, due);
        if (!rc && rec->reported)
            rc = s_emit_matter(out, base->unit, p->matter_id, rec, base->at, base->item_log_seq,
                               base->produced_at);
        if (rc)
            return rc;
    }
    return s_matter_save(txn, key, klen, rec);
}

static int
s_apply_matter_progress(const s_core_t *core, store_txn_t *txn, const s_esc_t *base,
                        const Dajia__Envelope *env, worker_outputs_t *out)
{
    const Dajia__MajorMatterProgress *p = env->matter_progress;
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
        return 0; /* older than what we have (stored out of the unit's order): nothing */
    bool same_seq = found && p->seq == rec.seq;
    if (same_seq && s_accounted_has(&rec, base->event_id))
        return s_progress_accounted(core, txn, base, env, key, klen, &rec, out);
    bool reported = found && rec.reported;
    if (reported && same_seq && !*env->supersedes_event_id) {
        /* The same number again, not as a correction: which one the unit meant is its
           to say; the first stands and the Office hears of it. */
        char seq[16];
        snprintf(seq, sizeof seq, "%" PRIu32, p->seq);
        esc_text_t reason = {.len = 0};
        esc_text_dq2(&core->words, base->unit, p->matter_id, rec.title, p->seq, base->event_id,
                     &reason);
        esc_text_t text = {.len = 0}, fix = {.len = 0};
        esc_text_dq2_unit(p->matter_id, rec.title, p->seq, base->event_id, &text, &fix);
        return s_fire_dq(core, txn, out, base, "DQ2", p->matter_id, seq, reason.text, &text, &fix);
    }
    if (!same_seq) {
        rec.n_accounted = 0;
        rec.stated = 0;
    }
    s_accounted_add(&rec, env->supersedes_event_id);
    rec.seq = p->seq;
    if (!found)
        rec.severity = S_SEVERITY_MAJOR; /* until the report says */
    if (p->status != DAJIA__MATTER_STATUS__MATTER_STATUS_UNSPECIFIED) {
        rec.status = (uint8_t)p->status;
        rec.stated = 1;
    }
    rec.last_progress_at = base->at;
    s_matter_source(&rec, base);
    int64_t due = 0;
    if (!s_matter_finished(&rec))
        due = p->next_update_due_at > 0 ? p->next_update_due_at
                                        : base->at + s_matter_interval(core, &rec);
    rc = s_matter_schedule(core, txn, key, klen, &rec, due);
    if (rc)
        return rc;
    if (!reported) {
        /* No phantom matter: kept aside, untimed and unlisted, until its report comes. */
        esc_text_t reason = {.len = 0};
        esc_text_dq1(&core->words, base->unit, p->matter_id, p->seq, base->event_id, &reason);
        esc_text_t text = {.len = 0}, fix = {.len = 0};
        esc_text_dq1_unit(p->matter_id, p->seq, base->event_id, &text, &fix);
        rc = s_fire_dq(core, txn, out, base, "DQ1", p->matter_id, NULL, reason.text, &text, &fix);
    } else {
        rc = s_emit_matter(out, base->unit, p->matter_id, &rec, base->at, base->item_log_seq,
                           base->produced_at);
    }
    return rc ? rc : s_matter_save(txn, key, klen, &rec);
}

/* ================================================================ timers */

/* A matter's progress is overdue: fire every step due at or before `now`, each at its
   own time, then arm the next one. */
static int
s_timer_matter(const s_core_t *core, store_txn_t *txn, int64_t now, const uint8_t *key, size_t klen,
               int64_t timer_at, int64_t produced_at, worker_outputs_t *out)
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
    int64_t at = 0;
    while (rec.stage < S_OVERDUE_STEPS && rec.due_at + core->overdue_ms[rec.stage] <= now) {
        int step = rec.stage++;
        at = rec.due_at + core->overdue_ms[step];
        esc_text_t reason = {.len = 0};
        esc_text_overdue(&core->words, unit, rec.title, (Dajia__Severity)rec.severity, rec.due_at,
                         core->overdue_ms[step] / DAJIA_TIME_MS_PER_DAY, step, &reason);
        s_esc_t e = {
            .rule = s_overdue[step].rule,
            .level = (Dajia__Severity)rec.severity,
            .unit = unit,
            .matter_id = matter_id,
            .event_id = rec.source_event_id,
            .log_seq = rec.source_log_seq,
            .at = at,
            .due_at = rec.due_at,
            .produced_at = produced_at,
            .action = s_overdue[step].action,
            .reason = reason.text,
        };
        char id[S_ID_MAX];
        rc = s_make_id(id, e.rule, unit, matter_id, NULL, rec.due_at);
        if (!rc)
            rc = s_fire(core, txn, out, id, &e);
        if (rc < 0)
            return rc;
    }
    if (rec.stage < S_OVERDUE_STEPS) {
        rec.timer_at = rec.due_at + core->overdue_ms[rec.stage];
        rc = s_timer_put(txn, rec.timer_at, ESC_TIMER_MATTER, key, klen);
        if (rc)
            return rc;
    }
    /* As of the last step fired, so the line too is the same whenever it is judged. */
    rc = s_emit_matter(out, unit, matter_id, &rec, at ? at : now, 0, produced_at);
    return rc ? rc : s_matter_save(txn, key, klen, &rec);
}

/* A case's linkage deadline passed without the next status. */
static int
s_timer_case(const s_core_t *core, store_txn_t *txn, const uint8_t *key, size_t klen,
             int64_t due_at, int64_t produced_at, worker_outputs_t *out)
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
        .produced_at = produced_at,
    };
    rc = s_fire_deadline(core, txn, out, &rec, &e,
                         DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_UNSPECIFIED);
    if (rc)
        return rc;
    rec.deadline_at = 0;
    return s_case_save(txn, key, klen, &rec);
}

typedef struct {
    size_t len;
    uint8_t key[ESC_TIMER_KEY_MAX];
} s_due_t;

/* Which units' timers a pass fires: one unit (its own event's time passed them), or
   every unit quiet at `now` (nothing received from it for core->quiet_ms). */
typedef struct {
    const s_core_t *core;
    store_txn_t *txn;
    int64_t now;
    const char *only;          /* NULL: every quiet unit */
    char last[ESC_MAX_ID + 1]; /* the unit judged last, and how */
    bool last_quiet;
} s_scope_t;

static int
s_scope_takes(s_scope_t *scope, const uint8_t *source, size_t len, bool *takes)
{
    const uint8_t *nul = memchr(source, '\0', len);
    size_t ulen = nul ? (size_t)(nul - source) : len;
    *takes = false;
    if (!nul || ulen == 0 || ulen > ESC_MAX_ID)
        return 0; /* not a key we wrote: left alone */
    if (scope->only) {
        *takes = strlen(scope->only) == ulen && memcmp(scope->only, source, ulen) == 0;
        return 0;
    }
    if (strlen(scope->last) != ulen || memcmp(scope->last, source, ulen) != 0) {
        memcpy(scope->last, source, ulen);
        scope->last[ulen] = '\0';
        esc_unit_t unit;
        int rc = s_unit_load(scope->txn, scope->last, &unit);
        if (rc) {
            scope->last[0] = '\0';
            return rc;
        }
        scope->last_quiet = unit.received_at + scope->core->quiet_ms <= scope->now;
    }
    *takes = scope->last_quiet;
    return 0;
}

/* Reads up to S_TICK_BATCH timer keys due at or before `now` that `scope` takes, from
   the key `from` on (excluded; len 0: from the start). *more says whether due keys
   remain past the last one read, which *from is moved to. */
static int
s_due_collect(s_scope_t *scope, s_due_t *from, s_due_t *due, size_t *count, bool *more)
{
    *count = 0;
    *more = false;
    store_cursor_t *cursor = NULL;
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    int rc = worker_store_seek(scope->txn, ESC_TABLE_TIMERS, from->key, from->len, &cursor, &k, &kl,
                               &v, &vl);
    if (rc == 0 && from->len && kl == from->len && memcmp(k, from->key, kl) == 0)
        rc = store_cursor_next(cursor, &k, &kl, &v, &vl);
    while (rc == 0) {
        if (kl >= 9 && kl <= ESC_TIMER_KEY_MAX) {
            if ((int64_t)store_key_to_u64(k) > scope->now)
                break;
            if (*count == S_TICK_BATCH) {
                *more = true;
                break;
            }
            bool takes = false;
            rc = s_scope_takes(scope, (const uint8_t *)k + 9, kl - 9, &takes);
            if (rc)
                break;
            if (takes) {
                due[*count].len = kl;
                memcpy(due[*count].key, k, kl);
                (*count)++;
            }
            from->len = kl;
            memcpy(from->key, k, kl);
        }
        rc = store_cursor_next(cursor, &k, &kl, &v, &vl);
    }
    store_cursor_close(&cursor);
    return rc == STORE_NOTFOUND ? 0 : rc;
}

/* Fires the timers due at or before `scope->now` that `scope` takes, in due order. */
static int
s_fire_due(s_scope_t *scope, int64_t produced_at, worker_outputs_t *out)
{
    s_due_t due[S_TICK_BATCH];
    s_due_t from = {.len = 0};
    size_t count = 0;
    bool more = false;
    /* Handling a timer deletes it and arms only timers after `now`, which sort after
       every key read: reading on from the last key read meets each due key once. */
    do {
        int rc = s_due_collect(scope, &from, due, &count, &more);
        if (rc)
            return rc;
        for (size_t i = 0; i < count; i++) {
            const uint8_t *key = due[i].key;
            int64_t at = (int64_t)store_key_to_u64(key);
            rc = store_del(scope->txn, ESC_TABLE_TIMERS, key, due[i].len);
            if (rc)
                return rc;
            if (key[8] == ESC_TIMER_MATTER)
                rc = s_timer_matter(scope->core, scope->txn, scope->now, key + 9, due[i].len - 9,
                                    at, produced_at, out);
            else if (key[8] == ESC_TIMER_CASE)
                rc = s_timer_case(scope->core, scope->txn, key + 9, due[i].len - 9, at, produced_at,
                                  out);
            if (rc)
                return rc;
        }
    } while (more);
    return 0;
}

/* ================================================================ apply */

/* The unit's own time moved to `at`: its timers due by then fire before its event is
   applied, whatever the broker's clock says; and its receipt clock moves on. */
static int
s_unit_advance(const s_core_t *core, store_txn_t *txn, const char *unit, int64_t at,
               int64_t received_at, worker_outputs_t *out)
{
    s_scope_t scope = {.core = core, .txn = txn, .now = at, .only = unit};
    int rc = s_fire_due(&scope, received_at, out);
    if (rc)
        return rc;
    esc_unit_t rec;
    rc = s_unit_load(txn, unit, &rec);
    if (rc || received_at <= rec.received_at)
        return rc;
    rec.received_at = received_at;
    return s_unit_save(txn, unit, &rec);
}

static int
s_apply(void *self, store_txn_t *txn, const worker_event_t *event, worker_outputs_t *out)
{
    const s_core_t *core = self;
    const Dajia__Envelope *env = event->env;
    if (!env || !env->unit || !*env->unit || strlen(env->unit) > ESC_MAX_ID)
        return 0;
    s_esc_t base = {
        .unit = env->unit,
        .event_id = env->event_id,
        .log_seq = event->log_seq,
        .item_log_seq = event->log_seq,
        .at = env->occurred_at > 0 ? env->occurred_at : event->received_at,
        .produced_at = event->received_at,
    };
    int rc =
        s_unit_advance(core, txn, env->unit, worker_event_time(event), event->received_at, out);
    if (rc)
        return rc;
    switch (env->body_case) {
    case DAJIA__ENVELOPE__BODY_CASE_REPORT:
        return env->case_report ? s_apply_case(core, txn, &base, env->case_report, out) : 0;
    case DAJIA__ENVELOPE__BODY_MAJOR_MATTER:
        return env->major_matter ? s_apply_matter_report(core, txn, &base, env->major_matter, out)
                                 : 0;
    case DAJIA__ENVELOPE__BODY_MATTER_PROGRESS:
        return env->matter_progress ? s_apply_matter_progress(core, txn, &base, env, out) : 0;
    default:
        return 0; /* dynamic information escalates nothing */
    }
}

/* ================================================================ tick */

static int
s_tick(void *self, store_txn_t *txn, int64_t now_ms, worker_outputs_t *out)
{
    s_scope_t scope = {.core = self, .txn = txn, .now = now_ms, .only = NULL};
    return s_fire_due(&scope, now_ms, out);
}

const worker_service_t worker_escalate = {
    .name = S_SERVICE,
    .create = s_create,
    .apply = s_apply,
    .tick = s_tick,
    .destroy = s_destroy,
};
