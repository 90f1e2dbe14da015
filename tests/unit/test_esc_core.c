/*  test_esc_core.c: unit tests of the escalate worker's pure core (worker_escalate).

    Each test gets a store in a fresh mkdtemp directory (removed in teardown) and a core
    with the default settings unless it makes its own. Events are applied and timers
    ticked through the worker_service_t interface inside store_write(), as the shell does;
    the outputs of each call are unpacked for the checks. The clock is whatever the test
    says: T0 is 2026-11-02T00:00:00Z (1793577600 s). Money is in fen (1 yuan = 100 fen).
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc_rules.h"
#include "store.h"
#include "test_util.h"
#include "worker_core.h"

#define CAT(name)     DAJIA__CASE_CATEGORY__CASE_CATEGORY_##name
#define GOODS(name)   DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_##name
#define LINK(name)    DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_##name
#define STAGE(name)   DAJIA__CASE_STAGE__CASE_STAGE_##name
#define SEV(name)     DAJIA__SEVERITY__SEVERITY_##name
#define MSTATUS(name) DAJIA__MATTER_STATUS__MATTER_STATUS_##name

#define T0        1793577600000LL
#define HOUR      (3600LL * 1000)
#define DAY       (24 * HOUR)
#define MAX_ITEMS 64

typedef struct {
    char dir[256];
    store_t *store;
    worker_settings_t *settings;
    void *core;
    worker_outputs_t *out;
    uint64_t next_seq;
    Dajia__FeedItem *items[MAX_ITEMS]; /* outputs of the last call, unpacked */
    size_t n_items;
} fixture_t;

/* ------------------------------------------------------------------ fixtures */

static void
s_items_free(fixture_t *fx)
{
    for (size_t i = 0; i < fx->n_items; i++)
        dajia__feed_item__free_unpacked(fx->items[i], NULL);
    fx->n_items = 0;
}

static int
s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    *state = fx;
    if (test_util_store_make(fx->dir, sizeof fx->dir, "esc", &fx->store))
        return -1;
    fx->settings = worker_settings_new();
    fx->out = worker_outputs_new();
    fx->next_seq = 1;
    if (!fx->settings || !fx->out)
        return -1;
    return worker_escalate.create(fx->settings, &fx->core);
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    s_items_free(fx);
    worker_escalate.destroy(&fx->core);
    worker_outputs_destroy(&fx->out);
    worker_settings_destroy(&fx->settings);
    int rc = test_util_store_remove(&fx->store, fx->dir);
    free(fx);
    return rc == 0 ? 0 : -1;
}

/* Recreates the core after the test changed a setting. */
static void
s_set(fixture_t *fx, const char *key, const char *value)
{
    assert_ok(worker_settings_set(fx->settings, key, value));
    worker_escalate.destroy(&fx->core);
    assert_null(fx->core);
    assert_ok(worker_escalate.create(fx->settings, &fx->core));
}

/* ------------------------------------------------------------------ calls */

typedef struct {
    fixture_t *fx;
    const worker_event_t *event; /* NULL: tick */
    int64_t now;
} call_t;

static int
s_call_batch(store_txn_t *txn, void *arg)
{
    call_t *call = arg;
    /* The batch may run again after a map-full: start from no outputs each time. */
    worker_outputs_clear(call->fx->out);
    if (call->event)
        return worker_escalate.apply(call->fx->core, txn, call->event, call->fx->out);
    return worker_escalate.tick(call->fx->core, txn, call->now, call->fx->out);
}

static void
s_run(fixture_t *fx, call_t *call)
{
    s_items_free(fx);
    assert_ok(store_write(fx->store, s_call_batch, call));
    size_t n = worker_outputs_count(fx->out);
    assert_true(n <= MAX_ITEMS);
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const uint8_t *data = worker_outputs_get(fx->out, i, &len);
        fx->items[i] = dajia__feed_item__unpack(NULL, len, data);
        assert_non_null(fx->items[i]);
        fx->n_items = i + 1;
        assert_int_equal(fx->items[i]->audience, DAJIA__AUDIENCE__AUDIENCE_OFFICE);
        assert_string_equal(fx->items[i]->service, "escalate");
    }
}

/* Applies `env` as the next log_seq; returns that seq. */
static uint64_t
s_apply(fixture_t *fx, const Dajia__Envelope *env)
{
    worker_event_t event = {
        .log_seq = fx->next_seq++, .received_at = env->occurred_at + 1000, .env = env};
    call_t call = {fx, &event, 0};
    s_run(fx, &call);
    return event.log_seq;
}

static void
s_tick(fixture_t *fx, int64_t now)
{
    call_t call = {fx, NULL, now};
    s_run(fx, &call);
}

/* ------------------------------------------------------------------ looking at outputs */

static size_t
s_count_escalations(const fixture_t *fx)
{
    size_t n = 0;
    for (size_t i = 0; i < fx->n_items; i++)
        n += fx->items[i]->item_case == DAJIA__FEED_ITEM__ITEM_ESCALATION;
    return n;
}

static size_t
s_count_rule(const fixture_t *fx, const char *rule)
{
    size_t n = 0;
    for (size_t i = 0; i < fx->n_items; i++)
        if (fx->items[i]->item_case == DAJIA__FEED_ITEM__ITEM_ESCALATION &&
            strcmp(fx->items[i]->escalation->rule, rule) == 0)
            n++;
    return n;
}

static const Dajia__Escalation *
s_find(const fixture_t *fx, const char *escalation_id)
{
    for (size_t i = 0; i < fx->n_items; i++)
        if (fx->items[i]->item_case == DAJIA__FEED_ITEM__ITEM_ESCALATION &&
            strcmp(fx->items[i]->escalation->escalation_id, escalation_id) == 0)
            return fx->items[i]->escalation;
    return NULL;
}

/* Fails listing what came out when `escalation_id` did not. */
static const Dajia__Escalation *
s_expect(const fixture_t *fx, const char *escalation_id)
{
    const Dajia__Escalation *e = s_find(fx, escalation_id);
    if (!e) {
        for (size_t i = 0; i < fx->n_items; i++)
            if (fx->items[i]->item_case == DAJIA__FEED_ITEM__ITEM_ESCALATION)
                print_message("  got %s\n", fx->items[i]->escalation->escalation_id);
        fail_msg("no escalation %s", escalation_id);
    }
    return e;
}

static const Dajia__MatterLine *
s_last_matter(const fixture_t *fx)
{
    for (size_t i = fx->n_items; i > 0; i--)
        if (fx->items[i - 1]->item_case == DAJIA__FEED_ITEM__ITEM_MATTER)
            return fx->items[i - 1]->matter;
    return NULL;
}

/* ------------------------------------------------------------------ events */

typedef struct {
    Dajia__Envelope env;
    Dajia__CaseReport report;
    Dajia__MajorMatterReport matter;
    Dajia__MajorMatterProgress progress;
    char event_id[32];
} event_t;

static unsigned s_event_counter;

static void
s_envelope(event_t *ev, const char *unit, int64_t at)
{
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    ev->env = env;
    snprintf(ev->event_id, sizeof ev->event_id, "ev-%u", ++s_event_counter);
    ev->env.event_id = ev->event_id;
    ev->env.unit = (char *)unit;
    ev->env.occurred_at = at;
    ev->env.reported_at = at;
}

/* A filed trademark case of unit `unit` that no rule escalates. */
static Dajia__CaseReport *
s_case(event_t *ev, const char *unit, const char *case_no, int64_t at)
{
    s_envelope(ev, unit, at);
    Dajia__CaseReport report = DAJIA__CASE_REPORT__INIT;
    ev->report = report;
    ev->report.case_no = (char *)case_no;
    ev->report.category = CAT(TRADEMARK_INFRINGEMENT);
    ev->report.stage = STAGE(FILED);
    ev->env.body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
    ev->env.case_report = &ev->report;
    return &ev->report;
}

static Dajia__MajorMatterReport *
s_matter(event_t *ev, const char *unit, const char *matter_id, Dajia__Severity severity, int64_t at)
{
    s_envelope(ev, unit, at);
    Dajia__MajorMatterReport matter = DAJIA__MAJOR_MATTER_REPORT__INIT;
    ev->matter = matter;
    ev->matter.matter_id = (char *)matter_id;
    ev->matter.type = DAJIA__MATTER_TYPE__MATTER_TYPE_MAJOR_CASE;
    ev->matter.severity = severity;
    ev->matter.title = "Counterfeit fertiliser ring";
    ev->env.body_case = DAJIA__ENVELOPE__BODY_MAJOR_MATTER;
    ev->env.major_matter = &ev->matter;
    return &ev->matter;
}

static Dajia__MajorMatterProgress *
s_progress(event_t *ev, const char *unit, const char *matter_id, uint32_t seq,
           Dajia__MatterStatus status, int64_t at)
{
    s_envelope(ev, unit, at);
    Dajia__MajorMatterProgress progress = DAJIA__MAJOR_MATTER_PROGRESS__INIT;
    ev->progress = progress;
    ev->progress.matter_id = (char *)matter_id;
    ev->progress.seq = seq;
    ev->progress.status = status;
    ev->progress.narrative = "raided two warehouses";
    ev->env.body_case = DAJIA__ENVELOPE__BODY_MATTER_PROGRESS;
    ev->env.matter_progress = &ev->progress;
    return &ev->progress;
}

/* ================================================================ E3 and levels */

static void
test_e3_one_fen_below_major_escalates_nothing(void **state)
{
    fixture_t *fx = *state;
    event_t ev;
    s_case(&ev, "psb", "CASE-1", T0)->case_value_fen = 49999999; /* 499,999.99 yuan */
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);
}

static void
test_e3_major_then_especially_major_each_once(void **state)
{
    fixture_t *fx = *state;
    event_t ev;
    s_case(&ev, "psb", "CASE-1", T0)->case_value_fen = 50000000; /* 500,000 yuan */
    uint64_t seq = s_apply(fx, &ev.env);
    assert_int_equal(s_count_escalations(fx), 1);
    const Dajia__Escalation *e = s_expect(fx, "E3:psb/CASE-1");
    assert_string_equal(e->rule, "E3");
    assert_int_equal(e->level, SEV(MAJOR));
    assert_string_equal(e->unit, "psb");
    assert_string_equal(e->case_no, "CASE-1");
    assert_string_equal(e->source_event_id, ev.event_id);
    assert_int_equal(e->source_log_seq, seq);
    assert_int_equal(e->escalated_at, T0);
    assert_int_equal(fx->items[0]->source_log_seq, seq);
    assert_non_null(strstr(e->reason, "case value 500,000.00 yuan is at or above the 500,000 "
                                      "yuan threshold for a major case"));

    /* The same level again: nothing. */
    s_case(&ev, "psb", "CASE-1", T0 + HOUR)->case_value_fen = 60000000;
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);

    /* The level rises: a new escalation with the level in its id. */
    s_case(&ev, "psb", "CASE-1", T0 + 2 * HOUR)->case_value_fen = 215000000;
    s_apply(fx, &ev.env);
    assert_int_equal(s_count_escalations(fx), 1);
    e = s_expect(fx, "E3:psb/CASE-1:especially_major");
    assert_int_equal(e->level, SEV(ESPECIALLY_MAJOR));
    assert_non_null(strstr(e->reason, "case value 2,150,000.00 yuan is at or above the "
                                      "2,000,000 yuan threshold for an especially major case"));

    /* Once especially major, neither level comes again, even if the value drops. */
    s_case(&ev, "psb", "CASE-1", T0 + 3 * HOUR)->case_value_fen = 300000000;
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);
    s_case(&ev, "psb", "CASE-1", T0 + 4 * HOUR)->case_value_fen = 50000000;
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);

    /* Another unit's case with the same number is another source. */
    s_case(&ev, "msa", "CASE-1", T0)->case_value_fen = 200000000;
    s_apply(fx, &ev.env);
    s_expect(fx, "E3:msa/CASE-1:especially_major");
}

static void
test_e3_first_report_especially_major_skips_major(void **state)
{
    fixture_t *fx = *state;
    event_t ev;
    s_case(&ev, "psb", "CASE-2", T0)->case_value_fen = 200000000; /* exactly 2,000,000 yuan */
    s_apply(fx, &ev.env);
    assert_int_equal(s_count_escalations(fx), 1);
    s_expect(fx, "E3:psb/CASE-2:especially_major");
    s_case(&ev, "psb", "CASE-2", T0)->case_value_fen = 199999999;
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);
}

static void
test_e3_threshold_follows_settings(void **state)
{
    fixture_t *fx = *state;
    s_set(fx, "escalate/value_major_fen", "100000");             /* 1,000 yuan */
    s_set(fx, "escalate/value_especially_major_fen", "1000000"); /* 10,000 yuan */
    event_t ev;
    s_case(&ev, "psb", "CASE-3", T0)->case_value_fen = 99999;
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);
    s_case(&ev, "psb", "CASE-3", T0)->case_value_fen = 100000;
    s_apply(fx, &ev.env);
    s_expect(fx, "E3:psb/CASE-3");
}

static void
test_rules_setting_switches_rules_off(void **state)
{
    fixture_t *fx = *state;
    s_set(fx, "escalate/rules", "E1,E2,E4,E5,MM");
    event_t ev;
    s_case(&ev, "psb", "CASE-4", T0)->case_value_fen = 300000000;
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);
}

/* ================================================================ E1 */

static void
test_e1_each_linkage_status_once_per_case(void **state)
{
    fixture_t *fx = *state;
    const struct {
        Dajia__LinkageStatus status;
        const char *id; /* NULL: no E1 */
    } steps[] = {
        {LINK(SUSPECTED), NULL},
        {LINK(REPORT_PENDING_APPROVAL), NULL},
        {LINK(APPROVED), NULL},
        {LINK(TRANSFERRED), "E1:msa/C-9:transferred"},
        {LINK(TRANSFERRED), NULL}, /* repeated: once */
        {LINK(POLICE_DECLINED), "E1:msa/C-9:police_declined"},
        {LINK(RECONSIDERATION_REQUESTED), "E1:msa/C-9:reconsideration_requested"},
        {LINK(RECONSIDERATION_DECIDED), "E1:msa/C-9:reconsideration_decided"},
        {LINK(SUPERVISION_REQUESTED), "E1:msa/C-9:supervision_requested"},
        {LINK(POLICE_FILED), NULL},
        {LINK(TRANSFERRED), NULL}, /* back to a status escalated before: still once */
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        event_t ev;
        /* An hour apart: no deadline passes in between. */
        s_case(&ev, "msa", "C-9", T0 + (int64_t)i * HOUR)->linkage = steps[i].status;
        s_apply(fx, &ev.env);
        assert_int_equal(s_count_rule(fx, "E1"), steps[i].id ? 1 : 0);
        if (steps[i].id) {
            const Dajia__Escalation *e = s_expect(fx, steps[i].id);
            assert_int_equal(e->level, SEV(MAJOR));
            assert_string_equal(e->case_no, "C-9");
        }
        assert_int_equal(s_count_escalations(fx), s_count_rule(fx, "E1"));
    }
}

/* ================================================================ E2 */

static void
test_e2_flag_then_casualties_upgrades(void **state)
{
    fixture_t *fx = *state;
    Dajia__GoodsCategory goods[] = {GOODS(TEA), GOODS(FOOD)};
    event_t ev;
    Dajia__CaseReport *r = s_case(&ev, "health", "H-1", T0);
    r->goods = goods;
    r->n_goods = 2;
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0); /* food but no flag */

    r = s_case(&ev, "health", "H-1", T0 + HOUR);
    r->goods = goods;
    r->n_goods = 2;
    r->health_safety = 1;
    s_apply(fx, &ev.env);
    const Dajia__Escalation *e = s_expect(fx, "E2:health/H-1");
    assert_int_equal(e->level, SEV(MAJOR));
    assert_non_null(strstr(e->reason, "food"));

    r = s_case(&ev, "health", "H-1", T0 + 2 * HOUR);
    r->goods = goods;
    r->n_goods = 2;
    r->health_safety = 1;
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);

    r = s_case(&ev, "health", "H-1", T0 + 3 * HOUR);
    r->goods = goods;
    r->n_goods = 2;
    r->casualties_count = 1;
    s_apply(fx, &ev.env);
    assert_int_equal(s_count_escalations(fx), 1);
    e = s_expect(fx, "E2:health/H-1:especially_major");
    assert_int_equal(e->level, SEV(ESPECIALLY_MAJOR));
}

/* ================================================================ E4 */

static void
test_e4_each_new_trigger_escalates_once(void **state)
{
    fixture_t *fx = *state;
    char *units[] = {"psb", "tax"};
    event_t ev;
    s_case(&ev, "msa", "X-1", T0)->scope = DAJIA__REGION_SCOPE__REGION_SCOPE_PROVINCE;
    s_apply(fx, &ev.env);
    const Dajia__Escalation *e = s_expect(fx, "E4:msa/X-1:province");
    assert_non_null(strstr(e->reason, "province line"));

    s_case(&ev, "msa", "X-1", T0 + HOUR)->scope = DAJIA__REGION_SCOPE__REGION_SCOPE_PROVINCE;
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);

    /* Province still there; media and two more units are new: one escalation naming both. */
    Dajia__CaseReport *r = s_case(&ev, "msa", "X-1", T0 + 2 * HOUR);
    r->scope = DAJIA__REGION_SCOPE__REGION_SCOPE_PROVINCE;
    r->media_attention = 1;
    r->involved_units = units;
    r->n_involved_units = 2;
    s_apply(fx, &ev.env);
    assert_int_equal(s_count_escalations(fx), 1);
    e = s_expect(fx, "E4:msa/X-1:units+media");
    assert_non_null(strstr(e->reason, "3 member units are involved: msa, psb, tax"));
    assert_non_null(strstr(e->reason, "media attention"));

    /* Each remaining trigger alone. */
    r = s_case(&ev, "msa", "X-1", T0 + 3 * HOUR);
    r->supervision = DAJIA__SUPERVISION_LEVEL__SUPERVISION_LEVEL_NATIONAL;
    r->supervision_no = "GB-7";
    s_apply(fx, &ev.env);
    e = s_expect(fx, "E4:msa/X-1:supervision");
    assert_non_null(strstr(e->reason, "supervised at national level (no. GB-7)"));
    s_case(&ev, "msa", "X-1", T0 + 4 * HOUR)->foreign_right_holder = 1;
    s_apply(fx, &ev.env);
    s_expect(fx, "E4:msa/X-1:foreign_right_holder");
    s_case(&ev, "msa", "X-1", T0 + 5 * HOUR)->scope = DAJIA__REGION_SCOPE__REGION_SCOPE_FOREIGN;
    s_apply(fx, &ev.env);
    s_expect(fx, "E4:msa/X-1:foreign");
}

/* ================================================================ E5 */

static void
test_e5_penalty_instead_of_transfer_escalates_once(void **state)
{
    fixture_t *fx = *state;
    event_t ev;
    Dajia__CaseReport *r = s_case(&ev, "msa", "P-1", T0);
    r->category = CAT(TRADEMARK_COUNTERFEITING);
    r->stage = STAGE(PENALTY_DECIDED);
    r->linkage = LINK(NONE);
    r->illegal_business_fen = 4999999; /* 49,999.99 yuan: below 50,000 */
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);

    r = s_case(&ev, "msa", "P-1", T0 + HOUR);
    r->category = CAT(TRADEMARK_COUNTERFEITING);
    r->stage = STAGE(PENALTY_DECIDED);
    r->linkage = LINK(NONE);
    r->illegal_business_fen = 5000000; /* 50,000 yuan */
    s_apply(fx, &ev.env);
    const Dajia__Escalation *e = s_expect(fx, "E5:msa/P-1");
    assert_non_null(strstr(e->reason, "illegal business of 50,000.00 yuan is at or above the "
                                      "50,000 yuan prosecution threshold"));
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);

    /* Transferred: not fining instead of prosecuting. */
    r = s_case(&ev, "msa", "P-2", T0);
    r->category = CAT(TRADEMARK_COUNTERFEITING);
    r->stage = STAGE(PENALTY_DECIDED);
    r->linkage = LINK(TRANSFERRED);
    r->illegal_business_fen = 9000000;
    s_apply(fx, &ev.env);
    assert_int_equal(s_count_rule(fx, "E5"), 0);
}

/* ================================================================ major matters */

static void
test_matter_report_escalates_with_its_severity(void **state)
{
    fixture_t *fx = *state;
    event_t ev;
    s_matter(&ev, "agri", "MM-1", SEV(ESPECIALLY_MAJOR), T0);
    uint64_t seq = s_apply(fx, &ev.env);
    const Dajia__Escalation *e = s_expect(fx, "MM:agri/MM-1:especially_major");
    assert_string_equal(e->rule, "MM");
    assert_int_equal(e->level, SEV(ESPECIALLY_MAJOR));
    assert_string_equal(e->matter_id, "MM-1");
    assert_int_equal(e->source_log_seq, seq);
    assert_non_null(strstr(e->reason, "Counterfeit fertiliser ring"));
    /* Especially major: progress every 7 days. */
    const Dajia__MatterLine *line = s_last_matter(fx);
    assert_non_null(line);
    assert_string_equal(line->unit, "agri");
    assert_string_equal(line->matter_id, "MM-1");
    assert_string_equal(line->title, "Counterfeit fertiliser ring");
    assert_int_equal(line->status, MSTATUS(OPEN));
    assert_int_equal(line->last_progress_at, T0);
    assert_int_equal(line->next_update_due_at, T0 + 7 * DAY);
    assert_int_equal(line->days_overdue, 0);

    /* Reported again: a MatterLine, no second escalation. */
    s_matter(&ev, "agri", "MM-1", SEV(ESPECIALLY_MAJOR), T0 + HOUR);
    s_apply(fx, &ev.env);
    assert_int_equal(s_count_escalations(fx), 0);
    assert_non_null(s_last_matter(fx));
}

static void
test_matter_interval_by_type_severity_and_report(void **state)
{
    fixture_t *fx = *state;
    const struct {
        const char *matter_id;
        Dajia__MatterType type;
        Dajia__Severity severity;
        int32_t interval_days;
        int64_t next_due;
        int64_t expected_due;
    } cases[] = {
        {"A", DAJIA__MATTER_TYPE__MATTER_TYPE_MAJOR_CASE, SEV(MAJOR), 0, 0, T0 + 15 * DAY},
        {"B", DAJIA__MATTER_TYPE__MATTER_TYPE_HEALTH_SAFETY_INCIDENT, SEV(MAJOR), 0, 0,
         T0 + 7 * DAY},
        {"C", DAJIA__MATTER_TYPE__MATTER_TYPE_MAJOR_CASE, SEV(ESPECIALLY_MAJOR), 0, 0,
         T0 + 7 * DAY},
        {"D", DAJIA__MATTER_TYPE__MATTER_TYPE_MAJOR_CASE, SEV(MAJOR), 3, 0, T0 + 3 * DAY},
        {"E", DAJIA__MATTER_TYPE__MATTER_TYPE_MAJOR_CASE, SEV(MAJOR), 3, T0 + 2 * HOUR,
         T0 + 2 * HOUR},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        event_t ev;
        Dajia__MajorMatterReport *m =
            s_matter(&ev, "agri", cases[i].matter_id, cases[i].severity, T0);
        m->type = cases[i].type;
        m->update_interval_days = cases[i].interval_days;
        m->next_update_due_at = cases[i].next_due;
        s_apply(fx, &ev.env);
        const Dajia__MatterLine *line = s_last_matter(fx);
        assert_non_null(line);
        assert_int_equal(line->next_update_due_at, cases[i].expected_due);
    }
}

static void
test_overdue_steps_fire_at_exactly_1_7_15_days(void **state)
{
    fixture_t *fx = *state;
    event_t ev;
    s_matter(&ev, "agri", "MM-2", SEV(MAJOR), T0);
    uint64_t seq = s_apply(fx, &ev.env);
    const int64_t due = T0 + 15 * DAY; /* major, no interval given: 15 days */
    char id[128];

    const struct {
        int64_t now;
        const char *rule; /* NULL: nothing fires */
        const char *action;
        int64_t days_overdue;
    } steps[] = {
        {due, NULL, NULL, 0},
        {due + DAY - 1, NULL, NULL, 0},
        {due + DAY, "OVERDUE-1D", "remind unit", 1},
        {due + DAY, NULL, NULL, 0}, /* the same tick again */
        {due + 7 * DAY - 1, NULL, NULL, 0},
        {due + 7 * DAY, "OVERDUE-7D", "escalate to office director", 7},
        {due + 15 * DAY - 1, NULL, NULL, 0},
        {due + 15 * DAY, "OVERDUE-15D", "list in bulletin and flag to leader", 15},
        {due + 100 * DAY, NULL, NULL, 0},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        s_tick(fx, steps[i].now);
        if (!steps[i].rule) {
            if (fx->n_items)
                fail_msg("step %zu: %zu items, expected none", i, fx->n_items);
            continue;
        }
        assert_int_equal(s_count_escalations(fx), 1);
        snprintf(id, sizeof id, "%s:agri/MM-2@%lld", steps[i].rule, (long long)due);
        const Dajia__Escalation *e = s_expect(fx, id);
        assert_string_equal(e->action, steps[i].action);
        assert_int_equal(e->due_at, due);
        assert_int_equal(e->escalated_at, steps[i].now);
        assert_int_equal(e->source_log_seq, seq);
        assert_string_equal(e->source_event_id, ev.event_id);
        const Dajia__MatterLine *line = s_last_matter(fx);
        assert_non_null(line);
        assert_int_equal(line->days_overdue, steps[i].days_overdue);
    }
}

static void
test_overdue_late_tick_fires_every_step_once(void **state)
{
    fixture_t *fx = *state;
    event_t ev;
    s_matter(&ev, "agri", "MM-3", SEV(MAJOR), T0);
    s_apply(fx, &ev.env);
    s_tick(fx, T0 + 15 * DAY + 20 * DAY); /* 20 days past due in one tick */
    assert_int_equal(s_count_rule(fx, "OVERDUE-1D"), 1);
    assert_int_equal(s_count_rule(fx, "OVERDUE-7D"), 1);
    assert_int_equal(s_count_rule(fx, "OVERDUE-15D"), 1);
    s_tick(fx, T0 + 100 * DAY);
    assert_int_equal(fx->n_items, 0);
}

static void
test_progress_resets_the_overdue_timer(void **state)
{
    fixture_t *fx = *state;
    event_t ev;
    s_matter(&ev, "agri", "MM-4", SEV(MAJOR), T0);
    s_apply(fx, &ev.env);
    const int64_t due1 = T0 + 15 * DAY;
    s_tick(fx, due1 + DAY);
    assert_int_equal(s_count_rule(fx, "OVERDUE-1D"), 1);

    /* Progress two days after the first due date: the next one is 15 days later. */
    const int64_t at = due1 + 2 * DAY;
    s_progress(&ev, "agri", "MM-4", 1, MSTATUS(IN_PROGRESS), at);
    s_apply(fx, &ev.env);
    const Dajia__MatterLine *line = s_last_matter(fx);
    assert_non_null(line);
    assert_int_equal(line->status, MSTATUS(IN_PROGRESS));
    assert_int_equal(line->last_progress_at, at);
    const int64_t due2 = at + 15 * DAY;
    assert_int_equal(line->next_update_due_at, due2);
    assert_int_equal(line->days_overdue, 0);

    s_tick(fx, due1 + 7 * DAY); /* the old 7-day step: gone */
    assert_int_equal(fx->n_items, 0);
    s_tick(fx, due2 + DAY - 1);
    assert_int_equal(fx->n_items, 0);
    s_tick(fx, due2 + DAY);
    char id[128];
    snprintf(id, sizeof id, "OVERDUE-1D:agri/MM-4@%lld", (long long)due2);
    s_expect(fx, id);

    /* A progress naming its next due date uses it. */
    s_progress(&ev, "agri", "MM-4", 2, MSTATUS(IN_PROGRESS), due2 + 2 * DAY)->next_update_due_at =
        due2 + 3 * DAY;
    s_apply(fx, &ev.env);
    assert_int_equal(s_last_matter(fx)->next_update_due_at, due2 + 3 * DAY);
    s_tick(fx, due2 + 4 * DAY);
    snprintf(id, sizeof id, "OVERDUE-1D:agri/MM-4@%lld", (long long)(due2 + 3 * DAY));
    s_expect(fx, id);

    /* An older progress (seq 1) changes nothing. */
    s_progress(&ev, "agri", "MM-4", 1, MSTATUS(BLOCKED), due2 + 5 * DAY);
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);
}

static void
test_closed_matter_stops_its_timer(void **state)
{
    fixture_t *fx = *state;
    const Dajia__MatterStatus finished[] = {MSTATUS(RESOLVED), MSTATUS(CLOSED)};
    for (size_t i = 0; i < 2; i++) {
        event_t ev;
        const char *id = i ? "MM-6" : "MM-5";
        s_matter(&ev, "agri", id, SEV(MAJOR), T0);
        s_apply(fx, &ev.env);
        s_progress(&ev, "agri", id, 1, finished[i], T0 + DAY);
        s_apply(fx, &ev.env);
        const Dajia__MatterLine *line = s_last_matter(fx);
        assert_non_null(line);
        assert_int_equal(line->status, finished[i]);
        assert_int_equal(line->next_update_due_at, 0);
    }
    s_tick(fx, T0 + 365 * DAY);
    assert_int_equal(fx->n_items, 0);
}

static void
test_progress_before_report_then_report_escalates(void **state)
{
    fixture_t *fx = *state;
    event_t ev;
    /* Progress on a matter not reported yet: listed (major, 15-day interval), not escalated. */
    s_progress(&ev, "agri", "MM-7", 1, MSTATUS(BLOCKED), T0);
    s_apply(fx, &ev.env);
    assert_int_equal(s_count_escalations(fx), 0);
    const Dajia__MatterLine *line = s_last_matter(fx);
    assert_non_null(line);
    assert_int_equal(line->status, MSTATUS(BLOCKED));
    assert_int_equal(line->severity, SEV(MAJOR));
    assert_int_equal(line->next_update_due_at, T0 + 15 * DAY);

    /* The report comes: escalated, with what it asks for; the status stays blocked. */
    Dajia__MatterRequest requests[] = {DAJIA__MATTER_REQUEST__MATTER_REQUEST_MEETING,
                                       DAJIA__MATTER_REQUEST__MATTER_REQUEST_SUPERVISION};
    Dajia__MajorMatterReport *m = s_matter(&ev, "agri", "MM-7", SEV(MAJOR), T0 + HOUR);
    m->requests = requests;
    m->n_requests = 2;
    s_apply(fx, &ev.env);
    const Dajia__Escalation *e = s_expect(fx, "MM:agri/MM-7");
    assert_non_null(strstr(e->reason, "it asks for a meeting, supervision"));
    line = s_last_matter(fx);
    assert_non_null(line);
    assert_int_equal(line->status, MSTATUS(BLOCKED));
    assert_string_equal(line->title, "Counterfeit fertiliser ring");
}

/* ================================================================ linkage deadlines */

typedef struct {
    Dajia__LinkageStatus status;
    const char *rule;
    int64_t limit;
    Dajia__LinkageStatus next;
} deadline_case_t;

/* docs/domain.md §5.9. */
static const deadline_case_t s_deadline_cases[] = {
    {LINK(REPORT_PENDING_APPROVAL), "DEADLINE-APPROVAL", 3 * DAY, LINK(APPROVED)},
    {LINK(APPROVED), "DEADLINE-TRANSFER", 24 * HOUR, LINK(TRANSFERRED)},
    {LINK(TRANSFERRED), "DEADLINE-POLICE-DECISION", 3 * DAY, LINK(POLICE_FILED)},
    {LINK(POLICE_FILED), "DEADLINE-HANDOVER", 3 * DAY, LINK(MATERIALS_HANDED_OVER)},
    {LINK(POLICE_DECLINED), "DEADLINE-EXPLANATION", 7 * DAY, LINK(RECONSIDERATION_REQUESTED)},
    {LINK(PROCURATORATE_NOTIFIED_FILING), "DEADLINE-FILING", 15 * DAY, LINK(POLICE_FILED)},
};
#define DEADLINE_CASES (sizeof s_deadline_cases / sizeof s_deadline_cases[0])

/* Puts case `case_no` into `status` at `at`: the status's own date field carries `at`
   where it has one, and the event itself comes five hours later. */
static void
s_enter_status(fixture_t *fx, const char *case_no, Dajia__LinkageStatus status, int64_t at)
{
    event_t ev;
    bool own_date = status == LINK(TRANSFERRED) || status == LINK(POLICE_FILED) ||
                    status == LINK(POLICE_DECLINED);
    Dajia__CaseReport *r = s_case(&ev, "msa", case_no, own_date ? at + 5 * HOUR : at);
    r->linkage = status;
    if (status == LINK(TRANSFERRED))
        r->transferred_at = at;
    if (status == LINK(POLICE_FILED) || status == LINK(POLICE_DECLINED))
        r->police_decision_at = at;
    s_apply(fx, &ev.env);
}

static void
test_each_linkage_deadline_fires_at_the_deadline_once(void **state)
{
    fixture_t *fx = *state;
    for (size_t i = 0; i < DEADLINE_CASES; i++) {
        const deadline_case_t *c = &s_deadline_cases[i];
        char case_no[16], id[128];
        /* Each case starts a year after the previous one so their timers never meet. */
        const int64_t start = T0 + (int64_t)i * 365 * DAY;
        snprintf(case_no, sizeof case_no, "L-%zu", i);
        s_enter_status(fx, case_no, c->status, start);
        const int64_t deadline = start + c->limit;

        s_tick(fx, deadline - 1);
        assert_int_equal(s_count_rule(fx, c->rule), 0);
        s_tick(fx, deadline);
        assert_int_equal(s_count_escalations(fx), 1);
        snprintf(id, sizeof id, "%s:msa/%s@%lld", c->rule, case_no, (long long)deadline);
        const Dajia__Escalation *e = s_expect(fx, id);
        assert_int_equal(e->due_at, deadline);
        assert_int_equal(e->escalated_at, deadline);
        assert_string_equal(e->case_no, case_no);
        assert_string_equal(e->unit, "msa");
        s_tick(fx, deadline + 30 * DAY);
        assert_int_equal(fx->n_items, 0);
    }
}

static void
test_next_status_in_time_stops_each_deadline(void **state)
{
    fixture_t *fx = *state;
    for (size_t i = 0; i < DEADLINE_CASES; i++) {
        const deadline_case_t *c = &s_deadline_cases[i];
        char case_no[16];
        const int64_t start = T0 + (int64_t)i * 365 * DAY;
        snprintf(case_no, sizeof case_no, "N-%zu", i);
        s_enter_status(fx, case_no, c->status, start);
        /* The next status one millisecond before the deadline. */
        s_enter_status(fx, case_no, c->next, start + c->limit - 1);
        assert_int_equal(s_count_rule(fx, c->rule), 0);
        s_tick(fx, start + c->limit + 30 * DAY);
        assert_int_equal(s_count_rule(fx, c->rule), 0);
    }
}

static void
test_next_status_at_the_deadline_escalates_on_apply(void **state)
{
    fixture_t *fx = *state;
    /* Transferred at T0; the police decision dated exactly 3 days later, before any tick. */
    s_enter_status(fx, "LATE-1", LINK(TRANSFERRED), T0);
    s_enter_status(fx, "LATE-1", LINK(POLICE_FILED), T0 + 3 * DAY);
    char id[128];
    snprintf(id, sizeof id, "DEADLINE-POLICE-DECISION:msa/LATE-1@%lld", (long long)(T0 + 3 * DAY));
    const Dajia__Escalation *e = s_expect(fx, id);
    assert_non_null(strstr(e->reason, "came only afterwards"));
    s_tick(fx, T0 + 4 * DAY);
    assert_int_equal(s_count_rule(fx, "DEADLINE-POLICE-DECISION"), 0);
}

static void
test_concluded_case_stops_its_deadline(void **state)
{
    fixture_t *fx = *state;
    s_enter_status(fx, "END-1", LINK(APPROVED), T0);
    event_t ev;
    Dajia__CaseReport *r = s_case(&ev, "msa", "END-1", T0 + HOUR);
    r->linkage = LINK(APPROVED);
    r->stage = STAGE(CLOSED);
    s_apply(fx, &ev.env);
    s_tick(fx, T0 + 30 * DAY);
    assert_int_equal(fx->n_items, 0);
}

static void
test_deadline_follows_settings(void **state)
{
    fixture_t *fx = *state;
    s_set(fx, "escalate/deadline_transfer_hours", "2");
    s_enter_status(fx, "S-1", LINK(APPROVED), T0);
    s_tick(fx, T0 + 2 * HOUR - 1);
    assert_int_equal(fx->n_items, 0);
    s_tick(fx, T0 + 2 * HOUR);
    assert_int_equal(s_count_rule(fx, "DEADLINE-TRANSFER"), 1);
}

/* ================================================================ state */

static void
test_state_survives_store_reopen(void **state)
{
    fixture_t *fx = *state;
    event_t ev;
    s_case(&ev, "psb", "R-1", T0)->case_value_fen = 60000000;
    s_apply(fx, &ev.env);
    s_expect(fx, "E3:psb/R-1");
    s_enter_status(fx, "R-2", LINK(TRANSFERRED), T0);
    s_expect(fx, "E1:msa/R-2:transferred");
    s_matter(&ev, "agri", "MM-R", SEV(MAJOR), T0);
    s_apply(fx, &ev.env);
    s_expect(fx, "MM:agri/MM-R");

    /* A new process: store and core made afresh on the same directory. */
    worker_escalate.destroy(&fx->core);
    store_destroy(&fx->store);
    assert_ok(store_open(fx->dir, NULL, &fx->store));
    assert_ok(worker_escalate.create(fx->settings, &fx->core));

    s_case(&ev, "psb", "R-1", T0 + HOUR)->case_value_fen = 60000000;
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);
    s_enter_status(fx, "R-2", LINK(TRANSFERRED), T0); /* same status again: nothing */
    assert_int_equal(fx->n_items, 0);
    s_matter(&ev, "agri", "MM-R", SEV(MAJOR), T0);
    s_apply(fx, &ev.env);
    assert_int_equal(s_count_escalations(fx), 0);

    s_tick(fx, T0 + 3 * DAY); /* the transfer's police decision deadline */
    assert_int_equal(s_count_rule(fx, "DEADLINE-POLICE-DECISION"), 1);
    s_tick(fx, T0 + 16 * DAY); /* the matter's first overdue step */
    assert_int_equal(s_count_rule(fx, "OVERDUE-1D"), 1);
    assert_int_equal(s_count_escalations(fx), 1);
}

static void
test_tick_on_an_empty_store_and_other_bodies_output_nothing(void **state)
{
    fixture_t *fx = *state;
    s_tick(fx, T0);
    assert_int_equal(fx->n_items, 0);
    event_t ev;
    s_envelope(&ev, "culture", T0);
    Dajia__DynamicInfo info = DAJIA__DYNAMIC_INFO__INIT;
    info.info_id = "I-1";
    info.period = "2026-11";
    info.kind = DAJIA__INFO_KIND__INFO_KIND_WORK_DYNAMIC;
    info.title = "Sword Net campaign";
    ev.env.body_case = DAJIA__ENVELOPE__BODY_DYNAMIC_INFO;
    ev.env.dynamic_info = &info;
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_e3_one_fen_below_major_escalates_nothing),
        TEST(test_e3_major_then_especially_major_each_once),
        TEST(test_e3_first_report_especially_major_skips_major),
        TEST(test_e3_threshold_follows_settings),
        TEST(test_rules_setting_switches_rules_off),
        TEST(test_e1_each_linkage_status_once_per_case),
        TEST(test_e2_flag_then_casualties_upgrades),
        TEST(test_e4_each_new_trigger_escalates_once),
        TEST(test_e5_penalty_instead_of_transfer_escalates_once),
        TEST(test_matter_report_escalates_with_its_severity),
        TEST(test_matter_interval_by_type_severity_and_report),
        TEST(test_overdue_steps_fire_at_exactly_1_7_15_days),
        TEST(test_overdue_late_tick_fires_every_step_once),
        TEST(test_progress_resets_the_overdue_timer),
        TEST(test_closed_matter_stops_its_timer),
        TEST(test_progress_before_report_then_report_escalates),
        TEST(test_each_linkage_deadline_fires_at_the_deadline_once),
        TEST(test_next_status_in_time_stops_each_deadline),
        TEST(test_next_status_at_the_deadline_escalates_on_apply),
        TEST(test_concluded_case_stops_its_deadline),
        TEST(test_deadline_follows_settings),
        TEST(test_state_survives_store_reopen),
        TEST(test_tick_on_an_empty_store_and_other_bodies_output_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
