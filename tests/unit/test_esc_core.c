/*  test_esc_core.c: unit tests of the escalate worker's pure core (worker_escalate).

    Each test gets a store in a fresh mkdtemp directory (removed in teardown) and a core
    with the default settings unless it makes its own. Events are applied and timers
    ticked through the worker_service_t interface inside store_write(), as the shell does;
    the outputs of each call are unpacked for the checks. The clock is whatever the test
    says: T0 is 2026-11-02T00:00:00Z (1793577600 s), 2026-11-02 08:00 in Beijing. An
    event is received a second after it occurred unless the test says otherwise. Money
    is in fen (1 yuan = 100 fen). The expected texts are written out by hand from
    docs/domain.md §5 and the labels of proto/dajia_labels.h.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
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
#define SEC       1000LL
#define S_TITLE   "跨省制售假冒化肥案"
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
        /* the Office's, but for a unit's own notice (DQ1, DQ2: to that unit) */
        if (fx->items[i]->item_case == DAJIA__FEED_ITEM__ITEM_NOTICE)
            assert_int_equal(fx->items[i]->audience, DAJIA__AUDIENCE__AUDIENCE_UNIT);
        else
            assert_int_equal(fx->items[i]->audience, DAJIA__AUDIENCE__AUDIENCE_OFFICE);
        assert_string_equal(fx->items[i]->service, "escalate");
    }
}

/* Applies `env` as the next log_seq, received at `received_at`; returns that seq. */
static uint64_t
s_apply_received(fixture_t *fx, const Dajia__Envelope *env, int64_t received_at)
{
    worker_event_t event = {.log_seq = fx->next_seq++, .received_at = received_at, .env = env};
    call_t call = {fx, &event, 0};
    s_run(fx, &call);
    return event.log_seq;
}

/* Applies `env` as the next log_seq, received a second after it occurred. */
static uint64_t
s_apply(fixture_t *fx, const Dajia__Envelope *env)
{
    return s_apply_received(fx, env, env->occurred_at + 1000);
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

/* The item addressed to one unit (AUDIENCE_UNIT) with notice id `id`, or a failure. */
static const Dajia__FeedItem *
s_expect_notice(const fixture_t *fx, const char *id)
{
    for (size_t i = 0; i < fx->n_items; i++)
        if (fx->items[i]->item_case == DAJIA__FEED_ITEM__ITEM_NOTICE &&
            strcmp(fx->items[i]->notice->notice_id, id) == 0)
            return fx->items[i];
    fail_msg("no notice %s to the unit", id);
    return NULL;
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
    ev->matter.title = S_TITLE;
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

/* ================================================================ settings and words */

/* Sets `key` and makes the core again; returns what create() said. */
static int
s_try_set(fixture_t *fx, const char *key, const char *value)
{
    assert_ok(worker_settings_set(fx->settings, key, value));
    worker_escalate.destroy(&fx->core);
    return worker_escalate.create(fx->settings, &fx->core);
}

static void
test_language_setting_is_validated(void **state)
{
    fixture_t *fx = *state;
    const char *bad[] = {"", "ZH", "zh-CN", "english", "en "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(s_try_set(fx, "escalate/language", bad[i]), -EINVAL);
        assert_null(fx->core);
    }
    assert_ok(s_try_set(fx, "escalate/language", "en"));
    assert_ok(s_try_set(fx, "escalate/language", "zh"));
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
    s_case(&ev, "psb", "CASE-1", T0)->case_value_fen = 50000000; /* exactly 500,000 yuan */
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
    assert_string_equal(e->reason, "市公安局案件CASE-1（商标侵权）案值50.00万元，达到重大案件标准"
                                   "（50.00万元以上）。");
    assert_string_equal(e->action, "通报领导小组办公室");

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
    assert_string_equal(e->reason, "市公安局案件CASE-1（商标侵权）案值215.00万元，达到特别重大"
                                   "案件标准（200.00万元以上）。");

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
test_e3_in_english(void **state)
{
    fixture_t *fx = *state;
    assert_ok(s_try_set(fx, "escalate/language", "en"));
    event_t ev;
    s_case(&ev, "psb", "CASE-1", T0)->case_value_fen = 50000000;
    s_apply(fx, &ev.env);
    const Dajia__Escalation *e = s_expect(fx, "E3:psb/CASE-1");
    assert_string_equal(e->reason, "Public Security Bureau case CASE-1 (trademark infringement): "
                                   "case value 500,000.00 yuan is at or above the 500,000.00 yuan "
                                   "threshold of a major case.");
    assert_string_equal(e->action, "notify office");
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
    const Dajia__Escalation *e = s_expect(fx, "E3:psb/CASE-3");
    /* below 10,000 yuan money is written in 元, exactly */
    assert_string_equal(e->reason, "市公安局案件CASE-3（商标侵权）案值1,000.00元，达到重大案件标准"
                                   "（1,000.00元以上）。");
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
    s_progress(&ev, "agri", "MM-X", 1, MSTATUS(IN_PROGRESS), T0); /* DQ is off too */
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);
}

static void
test_configured_member_names_are_used(void **state)
{
    fixture_t *fx = *state;
    assert_ok(worker_settings_member_add(fx->settings, "psb", "信阳市公安局"));
    assert_ok(worker_settings_member_add(fx->settings, "newunit", "市新设局"));
    s_set(fx, "escalate/language", "zh");
    char *units[] = {"newunit", "unknown"};
    event_t ev;
    Dajia__CaseReport *r = s_case(&ev, "psb", "CASE-5", T0);
    r->case_value_fen = 50000000;
    r->involved_units = units;
    r->n_involved_units = 2;
    s_apply(fx, &ev.env);
    assert_string_equal(s_expect(fx, "E3:psb/CASE-5")->reason,
                        "信阳市公安局案件CASE-5（商标侵权）案值50.00万元，达到重大案件标准"
                        "（50.00万元以上）。");
    /* a code no list knows is written as it came */
    assert_string_equal(s_expect(fx, "E4:psb/CASE-5:units")->reason,
                        "信阳市公安局案件CASE-5（商标侵权）：涉及3家成员单位：信阳市公安局、"
                        "市新设局、unknown。");
}

/* ================================================================ E1 */

static void
test_e1_each_linkage_step_once_per_case(void **state)
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
        {LINK(PROCURATORATE_NOTIFIED_FILING), "E1:msa/C-9:procuratorate_notified_filing"},
        {LINK(POLICE_FILED), NULL},
        {LINK(MATERIALS_HANDED_OVER), NULL},
        {LINK(TRANSFERRED), NULL}, /* back to a step escalated before: still once */
    };
    /* The words of three steps (all on 2026-11-02 in Beijing). */
    const char *transferred = "市市场监管局案件C-9（商标侵权）于2026年11月2日移送公安机关，"
                              "接收单位：浉河公安分局。";
    const char *supervision = "市市场监管局案件C-9（商标侵权）：已提请人民检察院进行立案监督"
                              "（2026年11月2日）。";
    const char *notified = "市市场监管局案件C-9（商标侵权）：人民检察院于2026年11月2日通知公安"
                           "机关立案。";
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        event_t ev;
        /* An hour apart: no deadline passes in between. */
        Dajia__CaseReport *r = s_case(&ev, "msa", "C-9", T0 + (int64_t)i * HOUR);
        r->linkage = steps[i].status;
        r->receiving_police_unit = "浉河公安分局";
        s_apply(fx, &ev.env);
        assert_int_equal(s_count_rule(fx, "E1"), steps[i].id ? 1 : 0);
        if (steps[i].id) {
            const Dajia__Escalation *e = s_expect(fx, steps[i].id);
            assert_int_equal(e->level, SEV(MAJOR));
            assert_string_equal(e->case_no, "C-9");
            assert_string_equal(e->action, "通报领导小组办公室");
            if (steps[i].status == LINK(TRANSFERRED))
                assert_string_equal(e->reason, transferred);
            if (steps[i].status == LINK(SUPERVISION_REQUESTED))
                assert_string_equal(e->reason, supervision);
            if (steps[i].status == LINK(PROCURATORATE_NOTIFIED_FILING))
                assert_string_equal(e->reason, notified);
        }
        assert_int_equal(s_count_escalations(fx), s_count_rule(fx, "E1"));
    }
}

static void
test_e1_police_declined_in_english_with_its_date(void **state)
{
    fixture_t *fx = *state;
    assert_ok(s_try_set(fx, "escalate/language", "en"));
    event_t ev;
    Dajia__CaseReport *r = s_case(&ev, "msa", "C-10", T0 + 6 * DAY);
    r->linkage = LINK(POLICE_DECLINED);
    r->police_decision_at = T0 + 5 * DAY;
    r->decline_reason = "no evidence of a crime";
    s_apply(fx, &ev.env);
    const Dajia__Escalation *e = s_expect(fx, "E1:msa/C-10:police_declined");
    assert_string_equal(e->reason,
                        "Market Supervision Bureau case C-10 (trademark infringement): the police "
                        "decided on 2026-11-07 not to file the case (reason given: no evidence of "
                        "a crime).");
    assert_int_equal(e->escalated_at, T0 + 6 * DAY);
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
    assert_string_equal(e->reason, "市卫生健康委案件H-1（商标侵权）涉及食品，被标注为危害健康安全，"
                                   "属重大健康安全案件。");

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
    assert_string_equal(e->reason, "市卫生健康委案件H-1（商标侵权）涉及食品，已造成人员伤亡，"
                                   "属特别重大健康安全案件。");
}

/* ================================================================ E4 */

static void
test_e4_each_new_trigger_escalates_once(void **state)
{
    fixture_t *fx = *state;
    char *units[] = {"psb", "tax", "psb", "msa"};
    event_t ev;
    s_case(&ev, "msa", "X-1", T0)->scope = DAJIA__REGION_SCOPE__REGION_SCOPE_PROVINCE;
    s_apply(fx, &ev.env);
    const Dajia__Escalation *e = s_expect(fx, "E4:msa/X-1:province");
    assert_string_equal(e->reason, "市市场监管局案件X-1（商标侵权）：跨省。");

    s_case(&ev, "msa", "X-1", T0 + HOUR)->scope = DAJIA__REGION_SCOPE__REGION_SCOPE_PROVINCE;
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);

    /* Province still there; media and two more units are new: one escalation naming both
       (a unit named twice, and the reporter itself, count once). */
    Dajia__CaseReport *r = s_case(&ev, "msa", "X-1", T0 + 2 * HOUR);
    r->scope = DAJIA__REGION_SCOPE__REGION_SCOPE_PROVINCE;
    r->media_attention = 1;
    r->involved_units = units;
    r->n_involved_units = 4;
    s_apply(fx, &ev.env);
    assert_int_equal(s_count_escalations(fx), 1);
    e = s_expect(fx, "E4:msa/X-1:units+media");
    assert_string_equal(e->reason,
                        "市市场监管局案件X-1（商标侵权）：涉及3家成员单位：市市场监管局、"
                        "市公安局、市税务局；受到媒体关注。");

    /* Each remaining trigger alone. */
    r = s_case(&ev, "msa", "X-1", T0 + 3 * HOUR);
    r->supervision = DAJIA__SUPERVISION_LEVEL__SUPERVISION_LEVEL_NATIONAL;
    r->supervision_no = "GB-7";
    s_apply(fx, &ev.env);
    e = s_expect(fx, "E4:msa/X-1:supervision");
    assert_string_equal(e->reason,
                        "市市场监管局案件X-1（商标侵权）：国家级督办（督办编号：GB-7）。");
    r = s_case(&ev, "msa", "X-1", T0 + 4 * HOUR);
    r->foreign_right_holder = 1;
    r->right_holder = "Acme GmbH";
    s_apply(fx, &ev.env);
    e = s_expect(fx, "E4:msa/X-1:foreign_right_holder");
    assert_string_equal(e->reason,
                        "市市场监管局案件X-1（商标侵权）：权利人为境外主体（Acme GmbH）。");
    s_case(&ev, "msa", "X-1", T0 + 5 * HOUR)->scope = DAJIA__REGION_SCOPE__REGION_SCOPE_FOREIGN;
    s_apply(fx, &ev.env);
    s_expect(fx, "E4:msa/X-1:foreign");
    /* city supervision and a city scope trigger nothing */
    r = s_case(&ev, "msa", "X-2", T0);
    r->scope = DAJIA__REGION_SCOPE__REGION_SCOPE_CITY;
    r->supervision = DAJIA__SUPERVISION_LEVEL__SUPERVISION_LEVEL_CITY;
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);
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
    r->illegal_business_fen = 5000000; /* exactly 50,000 yuan */
    s_apply(fx, &ev.env);
    const Dajia__Escalation *e = s_expect(fx, "E5:msa/P-1");
    assert_string_equal(e->reason, "市市场监管局案件P-1（假冒注册商标）已作出处罚决定且未移送公安"
                                   "机关，但非法经营数额5.00万元已达到追诉标准（5.00万元），可能"
                                   "以罚代刑。");
    assert_string_equal(e->action, "核查是否应移送公安机关");
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
    /* Especially major: progress every 7 days, by 2026-11-09 08:00 in Beijing. */
    assert_string_equal(e->reason,
                        "市农业农村局报告特别重大事项：“跨省制售假冒化肥案”（重大案件）；"
                        "下次进展应于2026年11月9日 08:00前报告。");
    const Dajia__MatterLine *line = s_last_matter(fx);
    assert_non_null(line);
    assert_string_equal(line->unit, "agri");
    assert_string_equal(line->matter_id, "MM-1");
    assert_string_equal(line->title, S_TITLE);
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
test_matter_report_in_english_with_requests(void **state)
{
    fixture_t *fx = *state;
    assert_ok(s_try_set(fx, "escalate/language", "en"));
    Dajia__MatterRequest requests[] = {DAJIA__MATTER_REQUEST__MATTER_REQUEST_MEETING,
                                       DAJIA__MATTER_REQUEST__MATTER_REQUEST_SUPERVISION};
    event_t ev;
    Dajia__MajorMatterReport *m = s_matter(&ev, "agri", "MM-1", SEV(MAJOR), T0);
    m->requests = requests;
    m->n_requests = 2;
    s_apply(fx, &ev.env);
    assert_string_equal(s_expect(fx, "MM:agri/MM-1")->reason,
                        "Agriculture and Rural Affairs Bureau reported a major matter: "
                        "\"跨省制售假冒化肥案\" (major case); it asks for a meeting, supervision; "
                        "next progress due by 2026-11-17 08:00.");
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
    /* The settings set the intervals (the bulletin reads the same, docs/domain.md §5.8). */
    s_set(fx, "escalate/matter_interval_days", "20");
    event_t ev;
    s_matter(&ev, "agri", "F", SEV(MAJOR), T0);
    s_apply(fx, &ev.env);
    assert_int_equal(s_last_matter(fx)->next_update_due_at, T0 + 20 * DAY);
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
        const char *reason;
    } steps[] = {
        {due, NULL, NULL, 0, NULL},
        {due + DAY - 1, NULL, NULL, 0, NULL},
        {due + DAY, "OVERDUE-1D", "提醒报送单位", 1,
         "市农业农村局重大事项“跨省制售假冒化肥案”的进展应于2026年11月17日 08:00前报告，"
         "已逾期1天：提醒报送单位报告进展。"},
        {due + DAY, NULL, NULL, 0, NULL}, /* the same tick again */
        {due + 7 * DAY - 1, NULL, NULL, 0, NULL},
        {due + 7 * DAY, "OVERDUE-7D", "报办公室主任督办", 7,
         "市农业农村局重大事项“跨省制售假冒化肥案”的进展应于2026年11月17日 08:00前报告，"
         "已逾期7天：报领导小组办公室主任督办。"},
        {due + 15 * DAY - 1, NULL, NULL, 0, NULL},
        {due + 15 * DAY, "OVERDUE-15D", "列入通报并报领导小组组长", 15,
         "市农业农村局重大事项“跨省制售假冒化肥案”的进展应于2026年11月17日 08:00前报告，"
         "已逾期15天：列入通报并报领导小组组长。"},
        {due + 100 * DAY, NULL, NULL, 0, NULL},
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
        assert_string_equal(e->reason, steps[i].reason);
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
test_overdue_in_english(void **state)
{
    fixture_t *fx = *state;
    assert_ok(s_try_set(fx, "escalate/language", "en"));
    event_t ev;
    s_matter(&ev, "agri", "MM-2", SEV(MAJOR), T0);
    s_apply(fx, &ev.env);
    s_tick(fx, T0 + 16 * DAY);
    char id[128];
    snprintf(id, sizeof id, "OVERDUE-1D:agri/MM-2@%lld", (long long)(T0 + 15 * DAY));
    const Dajia__Escalation *e = s_expect(fx, id);
    assert_string_equal(e->reason, "the progress report of Agriculture and Rural Affairs Bureau on "
                                   "its major matter \"跨省制售假冒化肥案\" was due by 2026-11-17 "
                                   "08:00 and is 1 day overdue: the unit is reminded to report.");
    assert_string_equal(e->action, "remind unit");
}

static void
test_overdue_late_tick_fires_every_step_once_at_its_own_time(void **state)
{
    fixture_t *fx = *state;
    event_t ev;
    s_matter(&ev, "agri", "MM-3", SEV(MAJOR), T0);
    s_apply(fx, &ev.env);
    const int64_t due = T0 + 15 * DAY;
    s_tick(fx, due + 20 * DAY); /* 20 days past due in one tick */
    assert_int_equal(s_count_rule(fx, "OVERDUE-1D"), 1);
    assert_int_equal(s_count_rule(fx, "OVERDUE-7D"), 1);
    assert_int_equal(s_count_rule(fx, "OVERDUE-15D"), 1);
    /* Each says what it said when its day came, not what the late tick saw. */
    char id[128];
    snprintf(id, sizeof id, "OVERDUE-7D:agri/MM-3@%lld", (long long)due);
    const Dajia__Escalation *e = s_expect(fx, id);
    assert_int_equal(e->escalated_at, due + 7 * DAY);
    assert_non_null(strstr(e->reason, "已逾期7天"));
    assert_int_equal(s_last_matter(fx)->days_overdue, 15);
    s_tick(fx, T0 + 100 * DAY);
    assert_int_equal(fx->n_items, 0);
}

static void
test_overdue_judged_on_the_progress_event_time(void **state)
{
    fixture_t *fx = *state;
    const int64_t due = T0 + 15 * DAY;
    event_t ev;
    /* Three units' matters, each with a progress coming in a backlog received much
       later, with no tick in between: the steps that fell due before a unit's progress
       fire before it is applied, at their own times; none after. */
    const struct {
        const char *unit;
        int64_t progress_at;
        size_t fired; /* overdue steps before the progress */
    } cases[] = {
        {"agri", due + DAY - 1, 0}, /* a millisecond inside the first day: in time */
        {"forestea", due + DAY, 1}, /* exactly one day late: the reminder first */
        {"health", due + 7 * DAY + 1, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_matter(&ev, cases[i].unit, "MM-1", SEV(MAJOR), T0);
        s_apply_received(fx, &ev.env, T0 + 90 * DAY);
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_progress(&ev, cases[i].unit, "MM-1", 1, MSTATUS(IN_PROGRESS), cases[i].progress_at);
        s_apply_received(fx, &ev.env, T0 + 90 * DAY);
        assert_int_equal(s_count_escalations(fx), cases[i].fired);
        const Dajia__MatterLine *line = s_last_matter(fx);
        assert_non_null(line); /* the progress's own line comes last */
        assert_int_equal(line->next_update_due_at, cases[i].progress_at + 15 * DAY);
        assert_int_equal(line->days_overdue, 0);
        if (cases[i].fired) {
            char id[128];
            snprintf(id, sizeof id, "OVERDUE-1D:%s/MM-1@%lld", cases[i].unit, (long long)due);
            assert_int_equal(s_expect(fx, id)->escalated_at, due + DAY);
        }
    }
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

    /* An older progress (seq 1) changes nothing and is no data-quality notice (it may
       have been stored after a newer one). */
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

/* ================================================================ data quality */

static void
test_dq1_progress_for_an_unknown_matter_is_no_phantom(void **state)
{
    fixture_t *fx = *state;
    event_t ev;
    s_progress(&ev, "agri", "MM-7", 1, MSTATUS(BLOCKED), T0);
    ev.env.event_id = "prog-7-1";
    uint64_t seq = s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 2); /* the notices (Office, unit), and no MatterLine */
    /* to the unit alone: its report named, what to do, Chinese first */
    const Dajia__FeedItem *n = s_expect_notice(fx, "DQ1:agri/MM-7");
    assert_int_equal(n->audience, DAJIA__AUDIENCE__AUDIENCE_UNIT);
    assert_string_equal(n->unit, "agri");
    assert_string_equal(n->notice->unit, "agri");
    assert_string_equal(n->notice->rule, "DQ1");
    assert_string_equal(n->notice->event_id, "prog-7-1");
    assert_string_equal(n->notice->matter_id, "MM-7");
    assert_int_equal(n->notice->noticed_at, T0);
    assert_non_null(strstr(n->notice->text, "本单位报送的事件prog-7-1是重大事项MM-7的第1次进展"));
    assert_true(strstr(n->notice->text, "本单位") < strstr(n->notice->text, "Your event"));
    assert_non_null(strstr(n->notice->fix, "请补报该重大事项的报告"));
    assert_non_null(strstr(n->notice->fix, "send the major-matter report"));
    const Dajia__Escalation *e = s_expect(fx, "DQ1:agri/MM-7");
    assert_string_equal(e->rule, "DQ1");
    assert_int_equal(e->level, SEV(MAJOR));
    assert_string_equal(e->matter_id, "MM-7");
    assert_string_equal(e->source_event_id, "prog-7-1");
    assert_int_equal(e->source_log_seq, seq);
    assert_string_equal(e->action, "向报送单位核实数据");
    assert_string_equal(e->reason, "市农业农村局报送了重大事项MM-7的第1次进展（事件prog-7-1），"
                                   "但尚未报告该重大事项：请核实事项编号，或请该单位补报重大事项"
                                   "报告。");
    /* Another progress on it: no second notice, still nothing listed or timed. */
    s_progress(&ev, "agri", "MM-7", 2, MSTATUS(BLOCKED), T0 + HOUR);
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0);
    s_tick(fx, T0 + 100 * DAY);
    assert_int_equal(fx->n_items, 0);

    /* The report comes (stored after its progress): escalated, with what it asks for;
       the status the progress set stays. */
    Dajia__MatterRequest requests[] = {DAJIA__MATTER_REQUEST__MATTER_REQUEST_MEETING,
                                       DAJIA__MATTER_REQUEST__MATTER_REQUEST_SUPERVISION};
    Dajia__MajorMatterReport *m = s_matter(&ev, "agri", "MM-7", SEV(MAJOR), T0 - HOUR);
    m->requests = requests;
    m->n_requests = 2;
    s_apply_received(fx, &ev.env, T0 + 100 * DAY);
    e = s_expect(fx, "MM:agri/MM-7");
    /* The progress of T0 + 1 h came after the report: it says when the next is due. */
    assert_string_equal(e->reason, "市农业农村局报告重大事项：“跨省制售假冒化肥案”（重大案件）；"
                                   "请求召开会议、督办；下次进展应于2026年11月17日 09:00前报告。");
    const Dajia__MatterLine *line = s_last_matter(fx);
    assert_non_null(line);
    assert_int_equal(line->status, MSTATUS(BLOCKED));
    assert_string_equal(line->title, S_TITLE);
    assert_int_equal(line->next_update_due_at, T0 + HOUR + 15 * DAY);
}

static void
test_dq2_repeated_seq_is_not_applied_unless_a_correction(void **state)
{
    fixture_t *fx = *state;
    event_t ev;
    s_matter(&ev, "agri", "MM-8", SEV(MAJOR), T0);
    s_apply(fx, &ev.env);
    s_progress(&ev, "agri", "MM-8", 1, MSTATUS(IN_PROGRESS), T0 + DAY);
    ev.env.event_id = "prog-8-a";
    s_apply(fx, &ev.env);
    assert_int_equal(s_last_matter(fx)->next_update_due_at, T0 + 16 * DAY);

    /* seq 1 again, another event, no supersedes_event_id: a notice, the state stays. */
    s_progress(&ev, "agri", "MM-8", 1, MSTATUS(BLOCKED), T0 + 2 * DAY);
    ev.env.event_id = "prog-8-b";
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 2);
    const Dajia__FeedItem *n = s_expect_notice(fx, "DQ2:agri/MM-8:1");
    assert_string_equal(n->unit, "agri");
    assert_string_equal(n->notice->event_id, "prog-8-b");
    assert_non_null(strstr(n->notice->text, "该进展未采用"));
    assert_non_null(strstr(n->notice->fix, "supersedes_event_id"));
    const Dajia__Escalation *e = s_expect(fx, "DQ2:agri/MM-8:1");
    assert_string_equal(e->reason, "市农业农村局就重大事项“跨省制售假冒化肥案”（MM-8）再次报送第1次"
                                   "进展（事件prog-8-b），未注明所更正的事件：该进展未采用，请核实"
                                   "是重复报送还是更正。");
    assert_string_equal(e->source_event_id, "prog-8-b");
    s_tick(fx, T0 + 17 * DAY - 1); /* due still T0 + 16 d: the 1-day step is T0 + 17 d */
    assert_int_equal(fx->n_items, 0);

    /* A correction of it with the same seq is applied. */
    s_progress(&ev, "agri", "MM-8", 1, MSTATUS(BLOCKED), T0 + 3 * DAY);
    ev.env.supersedes_event_id = "prog-8-a";
    s_apply(fx, &ev.env);
    assert_int_equal(s_count_escalations(fx), 0);
    const Dajia__MatterLine *line = s_last_matter(fx);
    assert_non_null(line);
    assert_int_equal(line->status, MSTATUS(BLOCKED));
    assert_int_equal(line->next_update_due_at, T0 + 18 * DAY);

    /* English. */
    assert_ok(s_try_set(fx, "escalate/language", "en"));
    s_progress(&ev, "agri", "MM-8", 1, MSTATUS(BLOCKED), T0 + 4 * DAY);
    ev.env.event_id = "prog-8-c";
    s_apply(fx, &ev.env);
    assert_int_equal(fx->n_items, 0); /* DQ2 for seq 1 was sent once */
    s_progress(&ev, "agri", "MM-9", 4, MSTATUS(BLOCKED), T0 + 4 * DAY);
    ev.env.event_id = "prog-9-4";
    s_apply(fx, &ev.env);
    assert_string_equal(s_expect(fx, "DQ1:agri/MM-9")->reason,
                        "Agriculture and Rural Affairs Bureau sent progress no. 4 (event prog-9-4) "
                        "on major matter MM-9, which it has not reported: check the matter id, or "
                        "have the unit send the major-matter report.");
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

/* Puts case `case_no` into `status`, dated `at` (the status's own date field where it
   has one), by an event of `event_at`. */
static void
s_enter_status_at(fixture_t *fx, const char *case_no, Dajia__LinkageStatus status, int64_t at,
                  int64_t event_at)
{
    event_t ev;
    Dajia__CaseReport *r = s_case(&ev, "msa", case_no, event_at);
    r->linkage = status;
    if (status == LINK(TRANSFERRED))
        r->transferred_at = at;
    if (status == LINK(POLICE_FILED) || status == LINK(POLICE_DECLINED))
        r->police_decision_at = at;
    s_apply(fx, &ev.env);
}

/* The same, the event made when the status was entered (statuses with no date of their
   own take the event's). */
static void
s_enter_status(fixture_t *fx, const char *case_no, Dajia__LinkageStatus status, int64_t at)
{
    s_enter_status_at(fx, case_no, status, at, at);
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
        assert_int_equal(e->level, SEV(MAJOR));
        assert_string_equal(e->action, "督促有关单位办理");
        if (i == 2)
            assert_string_equal(
                e->reason, "市市场监管局案件L-2自2028年11月1日 08:00起处于“已移送公安”状态；"
                           "公安机关应在接受移送后3天内作出是否立案的决定，期限为2028年11月4日 "
                           "08:00，截至期限未收到下一步的报告。");
        if (i == 1)
            assert_non_null(strstr(e->reason, "批准移送的案件应在24小时内移送公安机关"));
        if (i == 5)
            assert_non_null(strstr(e->reason, "公安机关应在接到人民检察院通知后15天内立案"));
        s_tick(fx, deadline + 30 * DAY);
        assert_int_equal(fx->n_items, 0);
    }
}

static void
test_next_status_reported_in_time_stops_each_deadline(void **state)
{
    fixture_t *fx = *state;
    for (size_t i = 0; i < DEADLINE_CASES; i++) {
        const deadline_case_t *c = &s_deadline_cases[i];
        char case_no[16];
        const int64_t start = T0 + (int64_t)i * 365 * DAY;
        snprintf(case_no, sizeof case_no, "N-%zu", i);
        s_enter_status(fx, case_no, c->status, start);
        /* The next status reported one millisecond before the deadline, and the backlog
           it came in received a month later. */
        event_t ev;
        Dajia__CaseReport *r = s_case(&ev, "msa", case_no, start + c->limit - 1);
        r->linkage = c->next;
        s_apply_received(fx, &ev.env, start + c->limit + 30 * DAY);
        assert_int_equal(s_count_rule(fx, c->rule), 0);
        s_tick(fx, start + c->limit + 60 * DAY);
        assert_int_equal(s_count_rule(fx, c->rule), 0);
    }
}

static void
test_next_status_reported_at_or_after_the_deadline_escalates(void **state)
{
    fixture_t *fx = *state;
    /* Transferred at T0; the police filing reported exactly 3 days later, before any
       tick: the deadline falls due first (a timer due at an event's time fires before
       the event), and says nothing had come. */
    s_enter_status(fx, "LATE-1", LINK(TRANSFERRED), T0);
    s_enter_status(fx, "LATE-1", LINK(POLICE_FILED), T0 + 3 * DAY);
    char id[128];
    snprintf(id, sizeof id, "DEADLINE-POLICE-DECISION:msa/LATE-1@%lld", (long long)(T0 + 3 * DAY));
    const Dajia__Escalation *e = s_expect(fx, id);
    assert_non_null(strstr(e->reason, "截至期限未收到下一步的报告"));
    assert_int_equal(e->escalated_at, T0 + 3 * DAY);
    s_tick(fx, T0 + 4 * DAY);
    assert_int_equal(s_count_rule(fx, "DEADLINE-POLICE-DECISION"), 0);

    /* Decided in time but reported after the deadline: the Office had heard nothing by
       then, live or replayed. */
    s_enter_status(fx, "LATE-2", LINK(TRANSFERRED), T0);
    s_enter_status_at(fx, "LATE-2", LINK(POLICE_FILED), T0 + 2 * DAY, T0 + 4 * DAY);
    snprintf(id, sizeof id, "DEADLINE-POLICE-DECISION:msa/LATE-2@%lld", (long long)(T0 + 3 * DAY));
    s_expect(fx, id);

    /* Reported before the deadline, but dated after it: the step came late. */
    assert_ok(s_try_set(fx, "escalate/language", "en"));
    s_enter_status(fx, "LATE-3", LINK(TRANSFERRED), T0);
    s_enter_status_at(fx, "LATE-3", LINK(POLICE_FILED), T0 + 3 * DAY + HOUR, T0 + 2 * DAY);
    snprintf(id, sizeof id, "DEADLINE-POLICE-DECISION:msa/LATE-3@%lld", (long long)(T0 + 3 * DAY));
    e = s_expect(fx, id);
    assert_string_equal(e->reason,
                        "Market Supervision Bureau case LATE-3 has been \"transferred to the "
                        "police\" since 2026-11-02 08:00; the police decide whether to file the "
                        "case within 3 days of the transfer, so it was due by 2026-11-05 08:00; "
                        "the next step (filed by the police) came only afterwards.");
    assert_int_equal(e->escalated_at, T0 + 3 * DAY);
}

static void
test_times_name_their_zone_off_beijing_time(void **state)
{
    fixture_t *fx = *state;
    assert_ok(s_try_set(fx, "escalate/tz_offset_min", "0"));
    s_enter_status(fx, "Z-1", LINK(APPROVED), T0);
    s_tick(fx, T0 + DAY);
    char id[128];
    snprintf(id, sizeof id, "DEADLINE-TRANSFER:msa/Z-1@%lld", (long long)(T0 + DAY));
    assert_string_equal(s_expect(fx, id)->reason,
                        "市市场监管局案件Z-1自2026年11月2日 00:00（UTC）起处于“已批准移送”状态；"
                        "批准移送的案件应在24小时内移送公安机关，期限为2026年11月3日 00:00（UTC），"
                        "截至期限未收到下一步的报告。");
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
    assert_non_null(strstr(fx->items[0]->escalation->reason, "应在2小时内移送"));
}

/* ================================================================ event time */

static void
test_a_unit_sending_is_judged_on_its_own_time_until_quiet(void **state)
{
    fixture_t *fx = *state;
    s_set(fx, "escalate/unit_quiet_seconds", "60");
    /* msa's case is approved at T0 (deadline T0 + 24 h); its events come as a backlog
       received at T0 + 10 d. psb's at T0 too, received live. */
    event_t ev;
    s_case(&ev, "msa", "Q-1", T0)->linkage = LINK(APPROVED);
    s_apply_received(fx, &ev.env, T0 + 10 * DAY);
    s_case(&ev, "psb", "Q-2", T0)->linkage = LINK(APPROVED);
    s_apply(fx, &ev.env);

    /* The broker's clock at T0 + 10 d: psb is quiet, its deadline fires; msa sent a
       second ago, so its deadline waits for msa's next event or for msa to fall quiet. */
    s_tick(fx, T0 + 10 * DAY + SEC);
    assert_int_equal(s_count_escalations(fx), 1);
    char id[128];
    snprintf(id, sizeof id, "DEADLINE-TRANSFER:psb/Q-2@%lld", (long long)(T0 + DAY));
    s_expect(fx, id);

    /* msa's next event, dated before its deadline: transferred in time. */
    s_case(&ev, "msa", "Q-1", T0 + DAY - 1)->linkage = LINK(TRANSFERRED);
    s_apply_received(fx, &ev.env, T0 + 10 * DAY + 2 * SEC);
    assert_int_equal(s_count_rule(fx, "DEADLINE-TRANSFER"), 0);
    s_expect(fx, "E1:msa/Q-1:transferred");

    /* The police decision deadline (T0 + 4 d - 1 ms) is long past by the clock, but msa
       is still sending: nothing until a minute of quiet. */
    s_tick(fx, T0 + 10 * DAY + 61 * SEC);
    assert_int_equal(fx->n_items, 0);
    s_tick(fx, T0 + 10 * DAY + 62 * SEC);
    assert_int_equal(s_count_escalations(fx), 1);
    snprintf(id, sizeof id, "DEADLINE-POLICE-DECISION:msa/Q-1@%lld", (long long)(T0 + 4 * DAY - 1));
    const Dajia__Escalation *e = s_expect(fx, id);
    assert_int_equal(e->escalated_at, T0 + 4 * DAY - 1);
}

/* One escalation as the comparison sees it: every field, joined. */
static char *
s_escalation_line(const Dajia__Escalation *e)
{
    char *line = NULL;
    int n = asprintf(&line, "%s|%s|%d|%s|%s|%s|%s|%s|%lld|%lld|%s", e->escalation_id, e->rule,
                     (int)e->level, e->unit, e->case_no, e->matter_id, e->source_event_id,
                     e->action, (long long)e->escalated_at, (long long)e->due_at, e->reason);
    assert_true(n > 0);
    return line;
}

#define S_RUN_MAX 64

typedef struct {
    char *escalations[S_RUN_MAX];
    size_t n_escalations;
    char *matters[8]; /* the last MatterLine of each matter, as "matter|status|due|overdue" */
    size_t n_matters;
} s_run_t;

static void
s_run_collect(fixture_t *fx, s_run_t *run)
{
    for (size_t i = 0; i < fx->n_items; i++) {
        const Dajia__FeedItem *item = fx->items[i];
        if (item->item_case == DAJIA__FEED_ITEM__ITEM_ESCALATION) {
            assert_true(run->n_escalations < S_RUN_MAX);
            run->escalations[run->n_escalations++] = s_escalation_line(item->escalation);
            continue;
        }
        const Dajia__MatterLine *m = item->matter;
        char *line = NULL;
        assert_true(asprintf(&line, "%s/%s|%d|%lld|%lld|%lld", m->unit, m->matter_id,
                             (int)m->status, (long long)m->last_progress_at,
                             (long long)m->next_update_due_at, (long long)m->days_overdue) > 0);
        size_t at = 0;
        size_t key = strcspn(line, "|");
        while (at < run->n_matters && strncmp(run->matters[at], line, key + 1) != 0)
            at++;
        assert_true(at < 8);
        if (at == run->n_matters)
            run->n_matters++;
        else
            free(run->matters[at]);
        run->matters[at] = line;
    }
}

static int
s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
s_run_free(s_run_t *run)
{
    for (size_t i = 0; i < run->n_escalations; i++)
        free(run->escalations[i]);
    for (size_t i = 0; i < run->n_matters; i++)
        free(run->matters[i]);
    memset(run, 0, sizeof *run);
}

/* The stream both runs apply, in this (log) order, occurred_at ascending. */
typedef struct {
    event_t ev;
    int64_t at;
} s_stream_event_t;

static size_t
s_stream(s_stream_event_t *events)
{
    size_t n = 0;
    event_t *ev;
#define S_NEXT(when) (events[n].at = (when), ev = &events[n++].ev)
    /* agri: a matter reported at T0 with progress every 10 days, in time. */
    S_NEXT(T0);
    s_matter(ev, "agri", "MM-A", SEV(MAJOR), T0);
    S_NEXT(T0 + DAY);
    s_matter(ev, "msa", "MM-B", SEV(MAJOR), T0 + DAY); /* never reported on again */
    S_NEXT(T0 + 2 * DAY);
    Dajia__CaseReport *r = s_case(ev, "msa", "L-1", T0 + 2 * DAY);
    r->linkage = LINK(TRANSFERRED); /* police decision due by T0 + 5 d */
    r->transferred_at = T0 + 2 * DAY;
    S_NEXT(T0 + 3 * DAY);
    s_case(ev, "psb", "V-1", T0 + 3 * DAY)->case_value_fen = 80000000;
    S_NEXT(T0 + 6 * DAY);
    r = s_case(ev, "msa", "L-1", T0 + 6 * DAY); /* decided on day 4, reported on day 6 */
    r->linkage = LINK(POLICE_FILED);
    r->police_decision_at = T0 + 4 * DAY; /* handover due by T0 + 7 d */
    S_NEXT(T0 + 8 * DAY);
    s_case(ev, "msa", "L-1", T0 + 8 * DAY)->linkage = LINK(MATERIALS_HANDED_OVER);
    S_NEXT(T0 + 10 * DAY);
    s_progress(ev, "agri", "MM-A", 1, MSTATUS(IN_PROGRESS), T0 + 10 * DAY);
    S_NEXT(T0 + 20 * DAY);
    s_progress(ev, "agri", "MM-A", 2, MSTATUS(IN_PROGRESS), T0 + 20 * DAY);
    S_NEXT(T0 + 30 * DAY);
    s_progress(ev, "agri", "MM-A", 3, MSTATUS(RESOLVED), T0 + 30 * DAY);
#undef S_NEXT
    return n;
}

/* A run as the shell drives the core: before each event a tick at the event's time
   when that moves the clock (worker_core.h), the broker's ticks in between. `live`:
   each event received a second after it occurred and the broker ticking every 6 hours
   of its clock; else every event received at `end`, the broker ticking at `end` after
   each (the worker catches up between submissions). Both end with a tick a minute and
   a second after `end`. */
static void
s_run_stream(fixture_t *fx, s_stream_event_t *events, size_t n, bool live, int64_t end,
             s_run_t *run)
{
    int64_t clock = 0;
    int64_t wall = T0;
    for (size_t i = 0; i < n; i++) {
        int64_t received = live ? events[i].at + SEC : end;
        while (live && wall + 6 * HOUR < received) {
            wall += 6 * HOUR;
            clock = wall > clock ? wall : clock;
            s_tick(fx, clock);
            s_run_collect(fx, run);
        }
        int64_t at = events[i].at < received ? events[i].at : received;
        if (at > clock) {
            clock = at;
            s_tick(fx, clock);
            s_run_collect(fx, run);
        }
        s_apply_received(fx, &events[i].ev.env, received);
        s_run_collect(fx, run);
        if (!live) {
            clock = end > clock ? end : clock;
            s_tick(fx, clock);
            s_run_collect(fx, run);
        }
    }
    s_tick(fx, end + 61 * SEC);
    s_run_collect(fx, run);
    qsort(run->escalations, run->n_escalations, sizeof(char *), s_cmp_str);
    qsort(run->matters, run->n_matters, sizeof(char *), s_cmp_str);
}

/* Starts again on an empty store with a new core (the settings stay). */
static void
s_fresh(fixture_t *fx)
{
    worker_escalate.destroy(&fx->core);
    assert_ok(test_util_store_remove(&fx->store, fx->dir));
    assert_ok(test_util_store_make(fx->dir, sizeof fx->dir, "esc", &fx->store));
    assert_ok(worker_escalate.create(fx->settings, &fx->core));
    fx->next_seq = 1;
}

/* Fails unless two runs sent the same escalations and left the same matter lines. */
static void
s_runs_equal(const s_run_t *a, const s_run_t *b)
{
    for (size_t i = 0; a->n_escalations != b->n_escalations && i < b->n_escalations; i++)
        print_message("got: %s\n", b->escalations[i]);
    assert_int_equal(b->n_escalations, a->n_escalations);
    for (size_t i = 0; i < a->n_escalations; i++)
        assert_string_equal(b->escalations[i], a->escalations[i]);
    assert_int_equal(b->n_matters, a->n_matters);
    for (size_t i = 0; i < a->n_matters; i++)
        assert_string_equal(b->matters[i], a->matters[i]);
}

static void
test_backlog_gives_the_same_escalations_as_live(void **state)
{
    fixture_t *fx = *state;
    const int64_t end = T0 + 40 * DAY;
    s_run_t live = {0}, backlog = {0};
    s_stream_event_t events[16];
    size_t n = s_stream(events); /* made once: the same event ids in both runs */
    s_run_stream(fx, events, n, true, end, &live);

    /* A fresh worker, the same stream as a backlog at the end. */
    s_fresh(fx);
    s_run_stream(fx, events, n, false, end, &backlog);

    /* By hand: MM for MM-A and MM-B; MM-B's progress due T0 + 16 d never comes (1, 7
       and 15 days); L-1 transferred (E1), its police decision due T0 + 5 d reported on
       day 6, its handover due T0 + 7 d reported on day 8; V-1 worth 800,000 yuan. */
    const char *expected[] = {"DEADLINE-HANDOVER:msa/L-1",
                              "DEADLINE-POLICE-DECISION:msa/L-1",
                              "E1:msa/L-1:transferred",
                              "E3:psb/V-1",
                              "MM:agri/MM-A",
                              "MM:msa/MM-B",
                              "OVERDUE-15D:msa/MM-B",
                              "OVERDUE-1D:msa/MM-B",
                              "OVERDUE-7D:msa/MM-B"};
    size_t count = sizeof expected / sizeof expected[0];
    if (live.n_escalations != count)
        for (size_t i = 0; i < live.n_escalations; i++)
            print_message("live: %s\n", live.escalations[i]);
    assert_int_equal(live.n_escalations, count);
    for (size_t i = 0; i < count; i++)
        assert_int_equal(strncmp(live.escalations[i], expected[i], strlen(expected[i])), 0);
    assert_int_equal(backlog.n_escalations, live.n_escalations);
    for (size_t i = 0; i < live.n_escalations; i++)
        assert_string_equal(backlog.escalations[i], live.escalations[i]);
    assert_int_equal(backlog.n_matters, live.n_matters);
    for (size_t i = 0; i < live.n_matters; i++)
        assert_string_equal(backlog.matters[i], live.matters[i]);
    s_run_free(&live);
    s_run_free(&backlog);
}

/* docs/domain.md §5.8: a progress and its corrections, made in the unit's order N, C1
   (corrects N), C2 (corrects C1), give the same escalations and matter state whatever
   order they are stored in, and a progress stored after a correction of itself is no
   repeat (no DQ2). N says in progress, C1 blocked, C2 states no status (C1's stays). */
static void
test_progress_stored_after_its_correction_is_no_repeat(void **state)
{
    fixture_t *fx = *state;
    const int64_t end = T0 + 40 * DAY;
    s_stream_event_t made[4];
    s_matter(&made[0].ev, "agri", "MM-C", SEV(MAJOR), T0);
    made[0].at = T0;
    s_progress(&made[1].ev, "agri", "MM-C", 1, MSTATUS(IN_PROGRESS), T0 + DAY);
    made[1].at = T0 + DAY;
    s_progress(&made[2].ev, "agri", "MM-C", 1, MSTATUS(BLOCKED), T0 + 2 * DAY);
    made[2].ev.env.supersedes_event_id = made[1].ev.event_id;
    made[2].at = T0 + 2 * DAY;
    s_progress(&made[3].ev, "agri", "MM-C", 1, MSTATUS(UNSPECIFIED), T0 + 3 * DAY);
    made[3].ev.env.supersedes_event_id = made[2].ev.event_id;
    made[3].at = T0 + 3 * DAY;

    /* Stored orders: the unit's, the corrections first (newest first, then oldest
       first), and one correction before N. */
    static const size_t orders[][4] = {{0, 1, 2, 3}, {0, 3, 2, 1}, {0, 2, 3, 1}, {0, 2, 1, 3}};
    s_run_t runs[4];
    memset(runs, 0, sizeof runs);
    for (size_t o = 0; o < 4; o++) {
        if (o)
            s_fresh(fx);
        s_stream_event_t stored[4];
        for (size_t i = 0; i < 4; i++)
            stored[i] = made[orders[o][i]];
        s_run_stream(fx, stored, 4, true, end, &runs[o]);
    }

    /* By hand, in the unit's order: MM; C2 (T0 + 3 d) stands, blocked, next due
       T0 + 18 d, never reported: the steps at 1, 7 and 15 days past it; no DQ2. */
    const char *expected[] = {"MM:agri/MM-C", "OVERDUE-15D:agri/MM-C", "OVERDUE-1D:agri/MM-C",
                              "OVERDUE-7D:agri/MM-C"};
    assert_int_equal(runs[0].n_escalations, 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(strncmp(runs[0].escalations[i], expected[i], strlen(expected[i])), 0);
    char line[128];
    snprintf(line, sizeof line, "agri/MM-C|%d|%lld|%lld|", (int)MSTATUS(BLOCKED),
             (long long)(T0 + 3 * DAY), (long long)(T0 + 18 * DAY));
    assert_int_equal(runs[0].n_matters, 1);
    assert_int_equal(strncmp(runs[0].matters[0], line, strlen(line)), 0);
    for (size_t o = 1; o < 4; o++)
        s_runs_equal(&runs[0], &runs[o]);
    for (size_t o = 0; o < 4; o++)
        s_run_free(&runs[o]);
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
        TEST(test_language_setting_is_validated),
        TEST(test_e3_one_fen_below_major_escalates_nothing),
        TEST(test_e3_major_then_especially_major_each_once),
        TEST(test_e3_in_english),
        TEST(test_e3_first_report_especially_major_skips_major),
        TEST(test_e3_threshold_follows_settings),
        TEST(test_rules_setting_switches_rules_off),
        TEST(test_configured_member_names_are_used),
        TEST(test_e1_each_linkage_step_once_per_case),
        TEST(test_e1_police_declined_in_english_with_its_date),
        TEST(test_e2_flag_then_casualties_upgrades),
        TEST(test_e4_each_new_trigger_escalates_once),
        TEST(test_e5_penalty_instead_of_transfer_escalates_once),
        TEST(test_matter_report_escalates_with_its_severity),
        TEST(test_matter_report_in_english_with_requests),
        TEST(test_matter_interval_by_type_severity_and_report),
        TEST(test_overdue_steps_fire_at_exactly_1_7_15_days),
        TEST(test_overdue_in_english),
        TEST(test_overdue_late_tick_fires_every_step_once_at_its_own_time),
        TEST(test_overdue_judged_on_the_progress_event_time),
        TEST(test_progress_resets_the_overdue_timer),
        TEST(test_closed_matter_stops_its_timer),
        TEST(test_dq1_progress_for_an_unknown_matter_is_no_phantom),
        TEST(test_dq2_repeated_seq_is_not_applied_unless_a_correction),
        TEST(test_each_linkage_deadline_fires_at_the_deadline_once),
        TEST(test_next_status_reported_in_time_stops_each_deadline),
        TEST(test_next_status_reported_at_or_after_the_deadline_escalates),
        TEST(test_times_name_their_zone_off_beijing_time),
        TEST(test_concluded_case_stops_its_deadline),
        TEST(test_deadline_follows_settings),
        TEST(test_a_unit_sending_is_judged_on_its_own_time_until_quiet),
        TEST(test_backlog_gives_the_same_escalations_as_live),
        TEST(test_progress_stored_after_its_correction_is_no_repeat),
        TEST(test_state_survives_store_reopen),
        TEST(test_tick_on_an_empty_store_and_other_bodies_output_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
