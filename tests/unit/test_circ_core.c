/*  test_circ_core.c: the circulate core (workers/circ_*): bulletins after the reporting
    deadline and their revisions, reporting compliance at any time, major matters as
    they stood at a month's end, the bulletin's Chinese text, and the same bulletins for a
    stream applied live or as a backlog (docs/domain.md §6, §7, §8).

    Each test opens a store in a fresh directory and drives worker_circulate as the shell
    would (apply and tick inside store_write). Times are Beijing wall-clock times (UTC+8),
    written with s_bj(); every expectation is worked out by hand in the comments. With
    the default deadline day 10, October's reports are on time up to 2026-11-10 24:00,
    the instant S_OCT_DEADLINE (2026-11-11 00:00 Beijing).
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_figures.h"
#include "dajia_time.h"
#include "store.h"
#include "test_util.h"
#include "worker_core.h"

#define S_MAX_ITEMS 64

/* Beijing wall-clock time, unix ms. */
static int64_t
s_bj(int64_t year, int month, int day, int hour, int minute)
{
    dajia_time_civil_t c = {year, month, day, hour, minute, 0, 0};
    return dajia_time_from_civil(&c, DAJIA_TIME_BEIJING_MIN);
}

#define S_OCT_DEADLINE s_bj(2026, 11, 11, 0, 0)
#define S_NOV_DEADLINE s_bj(2026, 12, 11, 0, 0)

#define FOOD      DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_FOOD
#define TRADEMARK DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING
#define ITEM_B    DAJIA__FEED_ITEM__ITEM_BULLETIN
#define ITEM_C    DAJIA__FEED_ITEM__ITEM_COMPLIANCE

enum {
    FILED = DAJIA__CASE_STAGE__CASE_STAGE_FILED,
    INVESTIGATING = DAJIA__CASE_STAGE__CASE_STAGE_INVESTIGATING,
    CLOSED = DAJIA__CASE_STAGE__CASE_STAGE_CLOSED,
    MAJOR = DAJIA__SEVERITY__SEVERITY_MAJOR,
    EMAJOR = DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR,
    OPEN = DAJIA__MATTER_STATUS__MATTER_STATUS_OPEN,
    IN_PROGRESS = DAJIA__MATTER_STATUS__MATTER_STATUS_IN_PROGRESS,
    M_CLOSED = DAJIA__MATTER_STATUS__MATTER_STATUS_CLOSED,
    DYNAMIC = DAJIA__INFO_KIND__INFO_KIND_WORK_DYNAMIC,
    TYPICAL = DAJIA__INFO_KIND__INFO_KIND_TYPICAL_CASE,
};

// ================================================================== fixture

typedef struct {
    char dir[256];
    store_t *store;
    void *core;
    worker_outputs_t *out;
    uint64_t seq;
    Dajia__FeedItem *items[S_MAX_ITEMS]; /* the last call's outputs, decoded */
    size_t n;
} core_t;

typedef struct {
    core_t a, b;
} fixture_t;

static void
s_items_free(core_t *c)
{
    for (size_t i = 0; i < c->n; i++)
        dajia__feed_item__free_unpacked(c->items[i], NULL);
    c->n = 0;
}

static int
s_core_open(core_t *c, const char *const *settings_kv)
{
    if (test_util_store_make(c->dir, sizeof c->dir, "circ", &c->store) != 0)
        return -1;
    worker_settings_t *settings = worker_settings_new();
    /* listed in any order, judged in the order of the work rules: psb, agri, customs,
       tax, msa, court */
    worker_settings_set(settings, "circulate/members", "psb,msa,customs,court,tax,agri");
    for (size_t i = 0; settings_kv && settings_kv[i]; i += 2)
        worker_settings_set(settings, settings_kv[i], settings_kv[i + 1]);
    int rc = worker_circulate.create(settings, &c->core);
    worker_settings_destroy(&settings);
    c->out = worker_outputs_new();
    return rc == 0 && c->out ? 0 : -1;
}

static void
s_core_close(core_t *c)
{
    s_items_free(c);
    worker_circulate.destroy(&c->core);
    worker_outputs_destroy(&c->out);
    if (c->store)
        test_util_store_remove(&c->store, c->dir);
}

static int
s_open(void **state, const char *const *settings_kv)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    *state = fx;
    return s_core_open(&fx->a, settings_kv) == 0 && s_core_open(&fx->b, settings_kv) == 0 ? 0 : -1;
}

static int
s_setup(void **state)
{
    return s_open(state, NULL);
}

static int
s_setup_matters(void **state)
{
    /* K7: the bulletin's intervals are the escalate worker's settings */
    static const char *const kv[] = {"escalate/matter_interval_days", "10", NULL};
    return s_open(state, kv);
}

static int
s_setup_english(void **state)
{
    static const char *const kv[] = {"circulate/language", "en", NULL};
    return s_open(state, kv);
}

static int
s_setup_go_live(void **state)
{
    static const char *const kv[] = {"circulate/go_live", "2026-09", NULL};
    return s_open(state, kv);
}

static int
s_setup_demo(void **state)
{
    static const char *const kv[] = {"circulate/period_seconds", "10", NULL};
    return s_open(state, kv);
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    s_core_close(&fx->a);
    s_core_close(&fx->b);
    free(fx);
    return 0;
}

// ================================================================== driving

typedef struct {
    core_t *c;
    const Dajia__Envelope *env;
    int64_t received_at;
    int64_t now_ms;
    int64_t submitted_at; /* the broker's LogRecord.submitted_at; 0: none */
} s_call_t;

static int
s_apply_batch(store_txn_t *txn, void *arg)
{
    s_call_t *call = arg;
    worker_event_t event = {.log_seq = call->c->seq,
                            .received_at = call->received_at,
                            .env = call->env,
                            .submitted_at = call->submitted_at};
    return worker_circulate.apply(call->c->core, txn, &event, call->c->out);
}

static int
s_tick_batch(store_txn_t *txn, void *arg)
{
    s_call_t *call = arg;
    return worker_circulate.tick(call->c->core, txn, call->now_ms, call->c->out);
}

static size_t
s_decode(core_t *c)
{
    s_items_free(c);
    for (size_t i = 0; i < worker_outputs_count(c->out); i++) {
        size_t len = 0;
        const uint8_t *data = worker_outputs_get(c->out, i, &len);
        assert_true(c->n < S_MAX_ITEMS);
        c->items[c->n] = dajia__feed_item__unpack(NULL, len, data);
        assert_non_null(c->items[c->n]);
        assert_string_equal(c->items[c->n]->service, "circulate");
        c->n++;
    }
    return c->n;
}

/* Applies `env` received at `received_at`, with the submission time the broker kept
   from the Office's import (`submitted_at`; 0: none, submitted when received); returns
   the number of items it produced. */
static size_t
s_apply_submitted(core_t *c, const Dajia__Envelope *env, int64_t received_at, int64_t submitted_at)
{
    worker_outputs_clear(c->out);
    c->seq++;
    s_call_t call = {c, env, received_at, 0, submitted_at};
    assert_ok(store_write(c->store, s_apply_batch, &call));
    return s_decode(c);
}

/* Applies `env` submitted at `received_at`; returns the number of items it produced. */
static size_t
s_apply(core_t *c, const Dajia__Envelope *env, int64_t received_at)
{
    return s_apply_submitted(c, env, received_at, 0);
}

static size_t
s_tick(core_t *c, int64_t now_ms)
{
    worker_outputs_clear(c->out);
    s_call_t call = {c, NULL, 0, now_ms, 0};
    assert_ok(store_write(c->store, s_tick_batch, &call));
    return s_decode(c);
}

/* Item i of the last call, which must be of `kind`. */
static const Dajia__FeedItem *
s_item(core_t *c, size_t i, Dajia__FeedItem__ItemCase kind)
{
    assert_true(i < c->n);
    assert_int_equal(c->items[i]->item_case, kind);
    assert_int_equal(c->items[i]->audience, kind == ITEM_B ? DAJIA__AUDIENCE__AUDIENCE_PUBLIC
                                                           : DAJIA__AUDIENCE__AUDIENCE_OFFICE);
    return c->items[i];
}

static const Dajia__Bulletin *
s_bulletin(core_t *c, size_t i, const char *period, uint32_t revision)
{
    const Dajia__Bulletin *b = s_item(c, i, ITEM_B)->bulletin;
    assert_string_equal(b->period, period);
    assert_int_equal(b->revision, revision);
    return b;
}

static const Dajia__UnitCompliance *
s_unit(const Dajia__UnitCompliance *const *rows, size_t n, const char *unit)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i]->unit, unit) == 0)
            return rows[i];
    fail_msg("no row for %s", unit);
    return NULL;
}

static void
s_expect_status(const Dajia__UnitCompliance *const *rows, size_t n, const char *unit,
                const char *status, bool late)
{
    const Dajia__UnitCompliance *u = s_unit(rows, n, unit);
    if (strcmp(u->status, status) != 0 || u->late != late)
        fail_msg("%s: %s%s, expected %s%s", unit, u->status, u->late ? " (late)" : "", status,
                 late ? " (late)" : "");
}

static void
s_expect_text(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("no \"%s\" in:\n%s", want, text);
}

// ================================================================== events

typedef struct {
    const char *id, *unit, *case_no, *supersedes;
    int stage;
    int64_t occurred, filed, closed, value, fines;
    bool ecommerce;
} s_case_t;

static size_t
s_case(core_t *c, const s_case_t *k, int64_t received)
{
    Dajia__GoodsCategory goods = FOOD;
    Dajia__CaseReport cr = DAJIA__CASE_REPORT__INIT;
    cr.case_no = (char *)k->case_no;
    cr.category = TRADEMARK;
    cr.n_goods = 1;
    cr.goods = &goods;
    cr.stage = (Dajia__CaseStage)k->stage;
    cr.filed_at = k->filed;
    cr.closed_at = k->closed;
    cr.case_value_fen = k->value;
    cr.fines_confiscations_fen = k->fines;
    cr.ecommerce = k->ecommerce;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = (char *)k->id;
    env.unit = (char *)k->unit;
    env.occurred_at = k->occurred;
    env.supersedes_event_id = (char *)(k->supersedes ? k->supersedes : "");
    env.body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
    env.case_report = &cr;
    return s_apply(c, &env, received);
}

/* A zero report of `unit` for `period`, received at `received` from the Office's import
   with its unit's submission time `submitted`. */
static size_t
s_zero_imported(core_t *c, const char *id, const char *unit, const char *period, int64_t submitted,
                int64_t received)
{
    Dajia__DynamicInfo info = DAJIA__DYNAMIC_INFO__INIT;
    info.info_id = (char *)id;
    info.period = (char *)period;
    info.kind = (Dajia__InfoKind)DYNAMIC;
    info.title = "";
    info.zero_report = true;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = (char *)id;
    env.unit = (char *)unit;
    env.occurred_at = submitted;
    env.submitted_at = submitted;
    env.body_case = DAJIA__ENVELOPE__BODY_DYNAMIC_INFO;
    env.dynamic_info = &info;
    return s_apply_submitted(c, &env, received, submitted);
}

static size_t
s_info(core_t *c, const char *id, const char *unit, const char *period, int kind, const char *title,
       bool zero, int64_t occurred, int64_t received)
{
    Dajia__DynamicInfo info = DAJIA__DYNAMIC_INFO__INIT;
    info.info_id = (char *)id;
    info.period = (char *)period;
    info.kind = (Dajia__InfoKind)kind;
    info.title = (char *)title;
    info.zero_report = zero;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = (char *)id;
    env.unit = (char *)unit;
    env.occurred_at = occurred;
    env.body_case = DAJIA__ENVELOPE__BODY_DYNAMIC_INFO;
    env.dynamic_info = &info;
    return s_apply(c, &env, received);
}

static size_t
s_matter(core_t *c, const char *unit, const char *matter_id, int severity, int64_t occurred,
         int64_t received)
{
    Dajia__MajorMatterReport m = DAJIA__MAJOR_MATTER_REPORT__INIT;
    m.matter_id = (char *)matter_id;
    m.type = DAJIA__MATTER_TYPE__MATTER_TYPE_MAJOR_CASE;
    m.severity = (Dajia__Severity)severity;
    m.title = (char *)matter_id;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = (char *)matter_id;
    env.unit = (char *)unit;
    env.occurred_at = occurred;
    env.body_case = DAJIA__ENVELOPE__BODY_MAJOR_MATTER;
    env.major_matter = &m;
    return s_apply(c, &env, received);
}

static size_t
s_progress(core_t *c, const char *id, const char *unit, const char *matter_id, uint32_t seq,
           int status, int64_t occurred, int64_t received, int64_t next_due)
{
    Dajia__MajorMatterProgress p = DAJIA__MAJOR_MATTER_PROGRESS__INIT;
    p.matter_id = (char *)matter_id;
    p.seq = seq;
    p.status = (Dajia__MatterStatus)status;
    p.narrative = "progress";
    p.next_update_due_at = next_due;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = (char *)id;
    env.unit = (char *)unit;
    env.occurred_at = occurred;
    env.body_case = DAJIA__ENVELOPE__BODY_MATTER_PROGRESS;
    env.matter_progress = &p;
    return s_apply(c, &env, received);
}

// ================================================================== compliance

static void
test_compliance_states_on_the_deadline_day(void **state)
{
    core_t *c = &((fixture_t *)*state)->a;
    int64_t d = S_OCT_DEADLINE;
    /* psb's October case, submitted Oct 20: the first data, so October is the first
       month. Its table opens (all six pending, psb's report not applied yet), then psb's
       row changes to on time. */
    s_case_t p1 = {
        "e1", "psb",  "P-1", NULL, FILED, s_bj(2026, 10, 20, 10, 0), s_bj(2026, 10, 20, 10, 0),
        0,    100000, 0,     false};
    assert_int_equal(s_case(c, &p1, p1.occurred), 2);
    const Dajia__ComplianceUpdate *table = s_item(c, 0, ITEM_C)->compliance;
    assert_string_equal(table->period, "2026-10");
    assert_int_equal(table->deadline_at, d);
    assert_int_equal(table->n_units, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(table->units[i]->status, "pending");
    const Dajia__ComplianceUpdate *row = s_item(c, 1, ITEM_C)->compliance;
    assert_int_equal(row->n_units, 1);
    s_expect_status((const Dajia__UnitCompliance *const *)row->units, 1, "psb", "on_time", false);
    assert_int_equal(row->units[0]->first_report_at, p1.occurred);

    /* November begins: its table, every member pending, due Dec 10 24:00 */
    assert_int_equal(s_tick(c, s_bj(2026, 11, 1, 0, 0)), 1);
    table = s_item(c, 0, ITEM_C)->compliance;
    assert_string_equal(table->period, "2026-11");
    assert_int_equal(table->deadline_at, S_NOV_DEADLINE);

    /* msa 1 ms before the deadline: on time */
    assert_int_equal(s_info(c, "i1", "msa", "2026-10", DYNAMIC, "市场专项检查", false,
                            s_bj(2026, 11, 10, 20, 0), d - 1),
                     1);
    row = s_item(c, 0, ITEM_C)->compliance;
    s_expect_status((const Dajia__UnitCompliance *const *)row->units, 1, "msa", "on_time", false);
    /* customs' zero report at the deadline itself (Nov 10 24:00:00.000): on time */
    assert_int_equal(
        s_info(c, "i2", "customs", "2026-10", DYNAMIC, "", true, s_bj(2026, 11, 10, 23, 0), d), 1);
    row = s_item(c, 0, ITEM_C)->compliance;
    s_expect_status((const Dajia__UnitCompliance *const *)row->units, 1, "customs", "zero_report",
                    false);
    /* the clock at the deadline has not passed it: no bulletin yet */
    assert_int_equal(s_tick(c, d), 0);

    /* agri's zero report 1 ms after: the clock passes the deadline first, so October's
       bulletin (revision 1) and its final table come out before agri's report is
       applied; then agri's row: a zero report, late. */
    assert_int_equal(
        s_info(c, "i3", "agri", "2026-10", DYNAMIC, "", true, s_bj(2026, 11, 10, 23, 30), d + 1),
        3);
    const Dajia__Bulletin *b = s_bulletin(c, 0, "2026-10", 1);
    assert_int_equal(b->deadline_at, d);
    assert_int_equal(b->cutoff_at, d);
    assert_string_equal(b->compliance_period, "2026-10");
    const Dajia__UnitCompliance *const *rows = (const Dajia__UnitCompliance *const *)b->compliance;
    assert_int_equal(b->n_compliance, 6);
    s_expect_status(rows, 6, "psb", "on_time", false);
    s_expect_status(rows, 6, "msa", "on_time", false);
    s_expect_status(rows, 6, "customs", "zero_report", false);
    s_expect_status(rows, 6, "court", "missing", false);
    s_expect_status(rows, 6, "tax", "missing", false);
    s_expect_status(rows, 6, "agri", "missing", false);
    assert_int_equal(b->n_silent_units, 3); /* court, tax, agri */
    table = s_item(c, 1, ITEM_C)->compliance;
    assert_int_equal(table->n_units, 6);
    s_expect_status((const Dajia__UnitCompliance *const *)table->units, 6, "tax", "missing", false);
    row = s_item(c, 2, ITEM_C)->compliance;
    s_expect_status((const Dajia__UnitCompliance *const *)row->units, 1, "agri", "zero_report",
                    true);

    /* court's October case, submitted 2 ms after the deadline: late */
    s_case_t c1 = {
        "e2", "court", "C-1", NULL, FILED, s_bj(2026, 10, 30, 10, 0), s_bj(2026, 10, 30, 10, 0),
        0,    500000,  0,     false};
    assert_int_equal(s_case(c, &c1, d + 2), 1);
    row = s_item(c, 0, ITEM_C)->compliance;
    s_expect_status((const Dajia__UnitCompliance *const *)row->units, 1, "court", "late", true);

    /* Both came on Nov 11: October's revision is due at the end of that day, strictly
       after it. It lists court's figures (filed 0 -> 1, value 0 -> 500,000 fen) and the
       two units' reporting, in the members' order of the work rules (agri before court),
       and why: agri's and court's late reports, in the order they came. */
    assert_int_equal(s_tick(c, s_bj(2026, 11, 12, 0, 0)), 0);
    assert_int_equal(s_tick(c, s_bj(2026, 11, 12, 0, 0) + 1), 1);
    b = s_bulletin(c, 0, "2026-10", 2);
    assert_int_equal(b->cutoff_at, s_bj(2026, 11, 12, 0, 0));
    assert_int_equal(b->n_changes, 4);
    const Dajia__BulletinChange *const *ch = (const Dajia__BulletinChange *const *)b->changes;
    assert_string_equal(ch[0]->section, "figures");
    assert_string_equal(ch[0]->unit, "court");
    assert_int_equal(ch[0]->category, TRADEMARK);
    assert_string_equal(ch[0]->field, "cases_filed");
    assert_int_equal(ch[0]->before, 0);
    assert_int_equal(ch[0]->after, 1);
    assert_string_equal(ch[1]->field, "case_value_fen");
    assert_int_equal(ch[1]->after, 500000);
    assert_string_equal(ch[2]->section, "compliance");
    assert_string_equal(ch[2]->unit, "agri");
    assert_string_equal(ch[2]->before_text, "missing");
    assert_string_equal(ch[2]->after_text, "zero_report");
    assert_int_equal(ch[2]->after, 1); /* late */
    assert_string_equal(ch[3]->unit, "court");
    assert_string_equal(ch[3]->after_text, "late");
    assert_int_equal(b->n_sources, 2);
    assert_string_equal(b->sources[0]->event_id, "i3");
    assert_true(b->sources[0]->late);
    assert_string_equal(b->sources[1]->event_id, "e2");
    assert_string_equal(b->sources[1]->subject, "C-1");
    assert_int_equal(b->sources[1]->received_at, d + 2);
    /* nothing more to revise */
    assert_int_equal(s_tick(c, s_bj(2026, 11, 13, 0, 0) + 1), 0);
}

/* The Office's import of history (docs/domain.md §3, §7.3): every event received on
   Dec 1, each with the time its unit first submitted it, which the broker kept
   (LogRecord.submitted_at). Compliance, the deadline and the revisions go by those
   times, not by the day of the import; without them (core b) the same October report
   is judged late. */
static void
test_imported_submission_times_are_judged(void **state)
{
    fixture_t *fx = *state;
    core_t *c = &fx->a;
    int64_t import = s_bj(2026, 12, 1, 10, 0);
    /* psb's October case, submitted Oct 21: October's table opens at Oct 21, and psb
       is on time */
    Dajia__GoodsCategory goods = FOOD;
    Dajia__CaseReport cr = DAJIA__CASE_REPORT__INIT;
    cr.case_no = "P-1";
    cr.category = TRADEMARK;
    cr.n_goods = 1;
    cr.goods = &goods;
    cr.stage = (Dajia__CaseStage)FILED;
    cr.filed_at = s_bj(2026, 10, 20, 9, 0);
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = "e1";
    env.unit = "psb";
    env.occurred_at = s_bj(2026, 10, 20, 9, 0);
    env.submitted_at = s_bj(2026, 10, 21, 10, 0);
    env.body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
    env.case_report = &cr;
    assert_int_equal(s_apply_submitted(c, &env, import, env.submitted_at), 2);
    assert_string_equal(s_item(c, 0, ITEM_C)->compliance->period, "2026-10");
    const Dajia__ComplianceUpdate *row = s_item(c, 1, ITEM_C)->compliance;
    s_expect_status((const Dajia__UnitCompliance *const *)row->units, 1, "psb", "on_time", false);
    assert_int_equal(row->units[0]->first_report_at, s_bj(2026, 10, 21, 10, 0));
    /* the shell ticks the circulate core at the submission time, not at occurred_at */
    worker_event_t event = {.log_seq = 1, .received_at = import, .env = &env};
    event.submitted_at = s_bj(2026, 11, 9, 0, 0);
    env.occurred_at = s_bj(2026, 11, 12, 0, 0); /* dated after October's deadline */
    assert_int_equal(worker_circulate.event_time(&event), s_bj(2026, 11, 9, 0, 0));
    event.submitted_at = 0;
    assert_int_equal(worker_circulate.event_time(&event), import);

    /* msa's October zero report, submitted Nov 12 (late): the clock passes October's
       deadline first (bulletin, final table), November has begun (its table), then
       msa's row */
    assert_int_equal(
        s_zero_imported(c, "z1", "msa", "2026-10", s_bj(2026, 11, 12, 9, 0), import + 1), 4);
    const Dajia__Bulletin *b = s_bulletin(c, 0, "2026-10", 1);
    s_expect_status((const Dajia__UnitCompliance *const *)b->compliance, 6, "psb", "on_time",
                    false);
    s_expect_status((const Dajia__UnitCompliance *const *)b->compliance, 6, "msa", "missing",
                    false);
    assert_string_equal(s_item(c, 2, ITEM_C)->compliance->period, "2026-11");
    row = s_item(c, 3, ITEM_C)->compliance;
    s_expect_status((const Dajia__UnitCompliance *const *)row->units, 1, "msa", "zero_report",
                    true);

    /* tax's October zero report, submitted Nov 5 but imported after msa's: on time, a
       further report for October's revision; the clock does not go back */
    assert_int_equal(
        s_zero_imported(c, "z2", "tax", "2026-10", s_bj(2026, 11, 5, 9, 0), import + 2), 1);
    row = s_item(c, 0, ITEM_C)->compliance;
    s_expect_status((const Dajia__UnitCompliance *const *)row->units, 1, "tax", "zero_report",
                    false);
    /* the broker's clock: October's revision 2 (due at the end of Nov 12, the day of the
       first source kept), then December's table */
    assert_int_equal(s_tick(c, import + 3), 2);
    b = s_bulletin(c, 0, "2026-10", 2);
    assert_int_equal(b->cutoff_at, s_bj(2026, 11, 13, 0, 0));
    assert_int_equal(b->n_sources, 2);
    assert_string_equal(b->sources[0]->unit, "msa");
    assert_true(b->sources[0]->late);
    assert_int_equal(b->sources[0]->received_at, s_bj(2026, 11, 12, 9, 0));
    assert_string_equal(b->sources[1]->unit, "tax");
    assert_false(b->sources[1]->late);
    assert_int_equal(b->sources[1]->received_at, s_bj(2026, 11, 5, 9, 0));
    assert_string_equal(s_item(c, 1, ITEM_C)->compliance->period, "2026-12");

    /* the same case without the kept submission time: judged on the day of the import */
    env.occurred_at = s_bj(2026, 10, 20, 9, 0);
    env.submitted_at = 0;
    core_t *d = &fx->b;
    size_t n = s_apply(d, &env, import);
    s_bulletin(d, 0, "2026-10", 1);
    row = s_item(d, n - 1, ITEM_C)->compliance;
    s_expect_status((const Dajia__UnitCompliance *const *)row->units, 1, "psb", "late", true);
}

// ================================================================== timing

static void
test_bulletin_waits_for_the_deadline_and_the_first_data(void **state)
{
    core_t *c = &((fixture_t *)*state)->a;
    /* before any data no month is judged: no table, no bulletin */
    assert_int_equal(s_tick(c, s_bj(2026, 10, 5, 0, 0)), 0);
    /* the first data: a November case on Dec 3; November is the first month, and it
       is open (due Dec 10); December begun too: both tables, then psb's row */
    s_case_t p1 = {
        "e1", "psb",  "P-1", NULL, FILED, s_bj(2026, 11, 20, 9, 0), s_bj(2026, 11, 20, 9, 0),
        0,    100000, 0,     false};
    assert_int_equal(s_case(c, &p1, s_bj(2026, 12, 3, 9, 0)), 3);
    assert_string_equal(s_item(c, 0, ITEM_C)->compliance->period, "2026-11");
    assert_string_equal(s_item(c, 1, ITEM_C)->compliance->period, "2026-12");
    assert_int_equal(s_tick(c, s_bj(2026, 12, 10, 23, 59)), 0);
    assert_int_equal(s_tick(c, S_NOV_DEADLINE), 0);
    /* November's bulletin once its deadline has passed, and never October's */
    assert_int_equal(s_tick(c, S_NOV_DEADLINE + 1), 2);
    const Dajia__Bulletin *b = s_bulletin(c, 0, "2026-11", 1);
    assert_int_equal(b->n_figures, 1);
    assert_int_equal(b->figures[0]->figures->cases_filed, 1);
    s_expect_status((const Dajia__UnitCompliance *const *)b->compliance, b->n_compliance, "psb",
                    "on_time", false);
    assert_int_equal(s_tick(c, S_NOV_DEADLINE + 2), 0);
    /* January 20: December's bulletin, and January's table */
    assert_int_equal(s_tick(c, s_bj(2027, 1, 20, 0, 0)), 3);
    b = s_bulletin(c, 0, "2026-12", 1);
    assert_int_equal(b->n_figures, 0);
    assert_int_equal(b->n_previous, 1); /* November beside it */
    assert_string_equal(s_item(c, 2, ITEM_C)->compliance->period, "2027-01");
}

static void
test_go_live_judges_from_its_month(void **state)
{
    core_t *c = &((fixture_t *)*state)->a;
    /* go_live 2026-09, no data at all: on Nov 15 September's and October's deadlines
       have passed (Oct 10, Nov 10 24:00): their bulletins with every member missing;
       then November's table. Nothing for August. */
    assert_int_equal(s_tick(c, s_bj(2026, 11, 15, 0, 0)), 5);
    const Dajia__Bulletin *b = s_bulletin(c, 0, "2026-09", 1);
    assert_int_equal(b->n_figures, 0);
    assert_int_equal(b->n_silent_units, 6);
    s_expect_status((const Dajia__UnitCompliance *const *)b->compliance, 6, "psb", "missing",
                    false);
    assert_string_equal(s_item(c, 1, ITEM_C)->compliance->period, "2026-09");
    s_bulletin(c, 2, "2026-10", 1);
    assert_string_equal(s_item(c, 4, ITEM_C)->compliance->period, "2026-11");
}

static void
test_settings_are_checked(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"circulate/go_live", "2026-9"},  {"circulate/go_live", "2026-13"},
        {"circulate/go_live", "2026-Q3"}, {"circulate/go_live", "2026"},
        {"circulate/language", "fr"},     {"circulate/language", "ZH"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        worker_settings_t *settings = worker_settings_new();
        worker_settings_set(settings, bad[i][0], bad[i][1]);
        void *core = NULL;
        int rc = worker_circulate.create(settings, &core);
        worker_settings_destroy(&settings);
        worker_circulate.destroy(&core);
        if (rc != -EINVAL)
            fail_msg("%s = %s was accepted (%d)", bad[i][0], bad[i][1], rc);
    }
}

// ================================================================== revisions

static void
test_revisions_on_a_correction_and_a_late_report(void **state)
{
    core_t *c = &((fixture_t *)*state)->a;
    /* October: msa's case M-1 filed Oct 8, 100,000 yuan; psb's P-1 filed Oct 12, 20,000
       yuan, then closed Oct 25 (a second report of the same case: counted once) */
    s_case_t m1 = {
        "e1", "msa",    "M-1", NULL, FILED, s_bj(2026, 10, 8, 10, 0), s_bj(2026, 10, 8, 10, 0),
        0,    10000000, 0,     true};
    s_case_t p1 = {
        "e2", "psb",   "P-1", NULL, FILED, s_bj(2026, 10, 12, 10, 0), s_bj(2026, 10, 12, 10, 0),
        0,    2000000, 0,     false};
    s_case_t p1c = {"e3",
                    "psb",
                    "P-1",
                    NULL,
                    CLOSED,
                    s_bj(2026, 10, 25, 10, 0),
                    s_bj(2026, 10, 12, 10, 0),
                    s_bj(2026, 10, 25, 10, 0),
                    2000000,
                    0,
                    false};
    s_case(c, &m1, m1.occurred);
    s_case(c, &p1, p1.occurred);
    s_case(c, &p1c, p1c.occurred);
    /* customs, court, tax, agri silent. Revision 1 at the deadline. */
    assert_int_equal(s_tick(c, S_OCT_DEADLINE + 1), 3); /* bulletin, final table, Nov's */
    const Dajia__Bulletin *b = s_bulletin(c, 0, "2026-10", 1);
    assert_int_equal(b->n_figures, 2);
    /* rows in the members' order: psb, then msa */
    assert_string_equal(b->figures[0]->unit, "psb");
    assert_int_equal(b->figures[0]->figures->cases_filed, 1);
    assert_int_equal(b->figures[0]->figures->cases_closed, 1);
    assert_string_equal(b->figures[1]->unit, "msa");
    assert_int_equal(b->figures[1]->figures->case_value_fen, 10000000);
    assert_int_equal(b->n_changes, 0);
    s_expect_text(b->markdown, "第1版。报送截止时间：2026年11月10日24时");

    /* Nov 20: msa corrects M-1's report: 150,000 yuan. The correction happened in
       November (occurred_at), so it is also msa's first report for November (its row);
       it changes October's figures: a source of October's revision, due Nov 21 00:00. */
    s_case_t m1x = {
        "e5", "msa",    "M-1", "e1", FILED, s_bj(2026, 11, 20, 10, 0), s_bj(2026, 10, 8, 10, 0),
        0,    15000000, 0,     true};
    assert_int_equal(s_case(c, &m1x, m1x.occurred), 1);
    assert_string_equal(s_item(c, 0, ITEM_C)->compliance->period, "2026-11");
    assert_int_equal(s_tick(c, s_bj(2026, 11, 21, 0, 0) + 1), 1);
    b = s_bulletin(c, 0, "2026-10", 2);
    assert_int_equal(b->n_changes, 1);
    assert_string_equal(b->changes[0]->unit, "msa");
    assert_string_equal(b->changes[0]->field, "case_value_fen");
    assert_int_equal(b->changes[0]->before, 10000000);
    assert_int_equal(b->changes[0]->after, 15000000);
    assert_int_equal(b->n_sources, 1);
    assert_string_equal(b->sources[0]->supersedes_event_id, "e1");
    assert_true(b->sources[0]->late);
    s_expect_text(b->markdown, "第2版（修订版）。汇总2026年11月20日24时前收到的报送");
    s_expect_text(b->markdown, "1. 市市场监管局 假冒注册商标：案值由10.00万元改为15.00万元。");
    s_expect_text(b->markdown, "更正（事件e5更正e1，M-1）");

    /* Nov 25: customs' October case, late; psb corrects its closing report with the same
       facts (no change). Revision 3: customs' row and reporting; psb's correction is not
       listed as a reason, since nothing of psb changed. */
    s_case_t k1 = {
        "e6", "customs", "K-1", NULL, FILED, s_bj(2026, 10, 28, 10, 0), s_bj(2026, 10, 28, 10, 0),
        0,    3000000,   0,     false};
    assert_int_equal(s_case(c, &k1, s_bj(2026, 11, 25, 10, 0)), 1); /* customs: late */
    s_case_t p1x = p1c;
    p1x.id = "e7";
    p1x.supersedes = "e3";
    assert_int_equal(s_case(c, &p1x, s_bj(2026, 11, 25, 11, 0)), 0);
    assert_int_equal(s_tick(c, s_bj(2026, 11, 26, 0, 0) + 1), 1);
    b = s_bulletin(c, 0, "2026-10", 3);
    assert_int_equal(b->n_changes, 3); /* filed, value; reporting */
    assert_string_equal(b->changes[0]->unit, "customs");
    assert_string_equal(b->changes[2]->section, "compliance");
    assert_int_equal(b->n_sources, 1);
    assert_string_equal(b->sources[0]->event_id, "e6");
    const char *md = b->markdown;
    s_expect_text(md, "# 打击侵权假冒工作通报（2026年10月）");
    s_expect_text(md, "第3版（修订版）。汇总2026年11月25日24时前收到的报送，含逾期报送和更正");
    s_expect_text(md, "## 一、案件查办情况");
    s_expect_text(md, "| 市市场监管局 | 假冒注册商标 | 1（+1） | 0（+0） | 15.00 |");
    s_expect_text(md, "| 市公安局 | 假冒注册商标 | 1（+1） | 1（+1） | 2.00 |");
    s_expect_text(md, "合计：立案3件（上月0件），结案1件（上月0件），案值20.00万元");
    s_expect_text(md, "## 二、商品与渠道");
    s_expect_text(md, "- 电子商务：立案1件，结案0件，案值15.00万元");
    s_expect_text(md, "## 三、重大事项");
    s_expect_text(md, "## 五、信息报送情况");
    s_expect_text(md, "报送截止时间：2026年11月10日24时。按时报送2家，逾期报送1家，零申报0家"
                      "（其中逾期0家），未报送3家。");
    s_expect_text(md, "未报送单位：市农业农村局、市税务局、市中级人民法院。");
    s_expect_text(md, "逾期报送单位：信阳海关。");
    s_expect_text(md, "| 信阳海关 | 逾期报送 | 2026年11月25日 10:00 | 1 |");
    s_expect_text(md, "## 六、修订说明");
    s_expect_text(md, "本版为第3版，对第2版作如下修订。");
    s_expect_text(md, "1. 信阳海关 假冒注册商标：立案数由0件改为1件，案值由0.00元改为3.00万元。");
    s_expect_text(md, "2. 信阳海关：报送情况由未报送改为逾期报送。");
    s_expect_text(md, "1. 信阳海关：2026年11月25日 10:00收到，逾期报送（事件e6，K-1）。");
    /* a revision with nothing changed is not issued */
    assert_int_equal(s_tick(c, s_bj(2026, 11, 27, 0, 0) + 1), 0);
}

static void
test_english_text(void **state)
{
    core_t *c = &((fixture_t *)*state)->a;
    s_case_t m1 = {
        "e1", "msa",    "M-1", NULL, FILED, s_bj(2026, 10, 8, 10, 0), s_bj(2026, 10, 8, 10, 0),
        0,    10000000, 0,     false};
    s_case(c, &m1, m1.occurred);
    assert_int_equal(s_tick(c, S_OCT_DEADLINE + 1), 3);
    const Dajia__Bulletin *b = s_bulletin(c, 0, "2026-10", 1);
    assert_string_equal(b->language, "en");
    s_expect_text(b->markdown,
                  "# Bulletin on combating IP infringement and counterfeiting: October 2026");
    s_expect_text(b->markdown, "Edition 1. Reports were due by 2026-11-10 24:00");
    s_expect_text(b->markdown, "## 1. Case figures by unit and category");
    s_expect_text(b->markdown, "Total: 1 case filed (the month before: 0 cases)");
    s_expect_text(b->markdown, "## 5. Reporting");
}

// ================================================================== matters

/* The figures of the schema's criminal-justice counters (suspects detained, persons
   prosecuted: docs/domain.md §4.1) are columns of the bulletin, by their labels, and a
   revision names their changes. */
static void
test_persons_figures_in_the_bulletin(void **state)
{
    core_t *c = &((fixture_t *)*state)->a;
    Dajia__GoodsCategory goods = FOOD;
    Dajia__CaseReport cr = DAJIA__CASE_REPORT__INIT;
    cr.case_no = "P-1";
    cr.category = TRADEMARK;
    cr.n_goods = 1;
    cr.goods = &goods;
    cr.stage = (Dajia__CaseStage)FILED;
    cr.filed_at = s_bj(2026, 10, 8, 10, 0);
    cr.suspects_detained = 3;
    cr.prosecuted_persons = 2;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = "e1";
    env.unit = "psb";
    env.occurred_at = s_bj(2026, 10, 8, 10, 0);
    env.body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
    env.case_report = &cr;
    s_apply(c, &env, env.occurred_at);
    assert_int_equal(s_tick(c, S_OCT_DEADLINE + 1), 3);
    const Dajia__Bulletin *b = s_bulletin(c, 0, "2026-10", 1);
    assert_int_equal(b->figures[0]->figures->suspects_detained, 3);
    assert_int_equal(b->figures[0]->figures->persons_prosecuted, 2);
    s_expect_text(b->markdown, "| 生效判决人数 | 刑事拘留人数 | 起诉人数 |");
    s_expect_text(b->markdown, " | 3 | 2 |\n");
    /* a correction on Nov 20: one more suspect detained */
    cr.suspects_detained = 4;
    env.event_id = "e2";
    env.supersedes_event_id = "e1";
    s_apply(c, &env, s_bj(2026, 11, 20, 10, 0));
    assert_int_equal(s_tick(c, s_bj(2026, 11, 21, 0, 0) + 1), 1);
    b = s_bulletin(c, 0, "2026-10", 2);
    assert_int_equal(b->n_changes, 1);
    assert_string_equal(b->changes[0]->field, "suspects_detained");
    s_expect_text(b->markdown, "刑事拘留人数由3");
}

/* The member names the broker (its `members` section) or dajia-worker's file gives reach
   the bulletin (docs/domain.md §2, §6.2); without circulate/members, the configured
   members are the units judged, in the order of the work rules, others after. */
static void
test_member_names_in_the_bulletin(void **state)
{
    core_t *c = &((fixture_t *)*state)->a;
    worker_circulate.destroy(&c->core);
    worker_settings_t *settings = worker_settings_new();
    assert_ok(worker_settings_member_add(settings, "zzz", "新成员单位"));
    assert_ok(worker_settings_member_add(settings, "msa", "信阳市市场监督管理局"));
    assert_ok(worker_settings_member_add(settings, "psb", NULL)); /* the default name */
    assert_ok(worker_circulate.create(settings, &c->core));
    worker_settings_destroy(&settings); /* the core keeps its own copy */
    s_case_t m1 = {
        "e1", "msa",    "M-1", NULL, FILED, s_bj(2026, 10, 8, 10, 0), s_bj(2026, 10, 8, 10, 0),
        0,    10000000, 0,     false};
    s_case(c, &m1, m1.occurred);
    assert_int_equal(s_tick(c, S_OCT_DEADLINE + 1), 3);
    const Dajia__Bulletin *b = s_bulletin(c, 0, "2026-10", 1);
    assert_int_equal(b->n_compliance, 3);
    assert_string_equal(b->compliance[0]->unit, "psb");
    assert_string_equal(b->compliance[1]->unit, "msa");
    assert_string_equal(b->compliance[2]->unit, "zzz");
    s_expect_text(b->markdown, "| 信阳市市场监督管理局 | 假冒注册商标 |");
    s_expect_text(b->markdown, "| 市公安局 |");
    s_expect_text(b->markdown, "| 新成员单位 |");
    if (strstr(b->markdown, "市市场监管局"))
        fail_msg("the default name of msa in:\n%s", b->markdown);
}

static void
test_matters_as_they_stood_at_the_months_end(void **state)
{
    core_t *c = &((fixture_t *)*state)->a;
    /* escalate/matter_interval_days = 10 here (the urgent interval stays 7).
       m1 psb major, Oct 1 10:00: due Oct 11 10:00; at Nov 1 00:00 20 d 14 h overdue:
         20 days, past the 15-day step (★).
       m2 msa especially major, Oct 20 10:00: 7 days, due Oct 27 10:00: 4 days overdue.
         Its progress of Nov 3 (in progress) is November's: not in October's picture.
       m3 court, Oct 5, closed Oct 10: listed (its last progress fell in October), not
         overdue.
       m4 tax, Sep 10, closed Sep 20: not listed in October. */
    s_matter(c, "tax", "m4", MAJOR, s_bj(2026, 9, 10, 10, 0), s_bj(2026, 9, 10, 10, 0));
    s_progress(c, "p4", "tax", "m4", 1, M_CLOSED, s_bj(2026, 9, 20, 10, 0),
               s_bj(2026, 9, 20, 10, 0), 0);
    s_matter(c, "psb", "m1", MAJOR, s_bj(2026, 10, 1, 10, 0), s_bj(2026, 10, 1, 10, 0));
    s_matter(c, "court", "m3", MAJOR, s_bj(2026, 10, 5, 10, 0), s_bj(2026, 10, 5, 10, 0));
    s_progress(c, "p3", "court", "m3", 1, M_CLOSED, s_bj(2026, 10, 10, 10, 0),
               s_bj(2026, 10, 10, 10, 0), 0);
    s_matter(c, "msa", "m2", EMAJOR, s_bj(2026, 10, 20, 10, 0), s_bj(2026, 10, 20, 10, 0));
    s_progress(c, "p2", "msa", "m2", 1, IN_PROGRESS, s_bj(2026, 11, 3, 10, 0),
               s_bj(2026, 11, 3, 10, 0), 0);
    /* a progress repeating seq 1 is ignored */
    s_progress(c, "p2b", "msa", "m2", 1, M_CLOSED, s_bj(2026, 11, 4, 10, 0),
               s_bj(2026, 11, 4, 10, 0), 0);

    assert_true(s_tick(c, S_OCT_DEADLINE + 1) >= 1);
    const Dajia__Bulletin *b = s_bulletin(c, 0, "2026-10", 1);
    static const struct {
        const char *id;
        int64_t days;
        int status;
        bool mark;
    } want[] = {{"m1", 20, OPEN, true}, {"m2", 4, OPEN, false}, {"m3", 0, M_CLOSED, false}};
    assert_int_equal(b->n_matters, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(b->matters[i]->matter_id, want[i].id);
        assert_int_equal(b->matters[i]->days_overdue, want[i].days);
        assert_int_equal(b->matters[i]->status, want[i].status);
        assert_int_equal(b->matters[i]->leader_step_passed, want[i].mark);
    }
    assert_int_equal(b->matters[0]->next_update_due_at, s_bj(2026, 10, 11, 10, 0));
    s_expect_text(b->markdown, "| 市公安局 | m1（m1） | 重大 | ");
    s_expect_text(b->markdown, "| 20天 ★ |");
    s_expect_text(b->markdown, "★ 逾期15天以上未报送进展：列入通报并报领导小组领导。");

    /* Nov 15 psb reports m1's progress of Oct 28 (in progress, next due Nov 20): late,
       and it changes October's picture: revision 2 on Nov 16 shows m1 in progress, not
       overdue. November's own bulletin is not issued yet: nothing else moves. */
    s_progress(c, "p1", "psb", "m1", 1, IN_PROGRESS, s_bj(2026, 10, 28, 10, 0),
               s_bj(2026, 11, 15, 10, 0), s_bj(2026, 11, 20, 10, 0));
    assert_int_equal(s_tick(c, s_bj(2026, 11, 16, 0, 0) + 1), 1);
    b = s_bulletin(c, 0, "2026-10", 2);
    const Dajia__BulletinChange *ch = NULL;
    for (size_t i = 0; i < b->n_changes; i++)
        if (strcmp(b->changes[i]->section, "matters") == 0)
            ch = b->changes[i];
    assert_non_null(ch);
    assert_string_equal(ch->field, "m1");
    assert_string_equal(ch->before_text, "open");
    assert_string_equal(ch->after_text, "in_progress");
    assert_int_equal(ch->before, 20);
    assert_int_equal(ch->after, 0);
    s_expect_text(b->markdown, "市公安局 重大事项m1：由待办理（逾期20天）改为");
}

// ================================================================== live or backlog

typedef enum { S_CASE, S_INFO, S_MATTER, S_PROGRESS } s_kind_t;

typedef struct {
    s_kind_t kind;
    int64_t received;
    s_case_t c;                /* S_CASE */
    const char *period;        /* S_INFO */
    int info_kind;             /* S_INFO */
    bool zero;                 /* S_INFO */
    int severity, status, seq; /* S_MATTER, S_PROGRESS */
} s_event_t;

static void
s_keep_bulletins(core_t *c, zchunk_t **out, size_t *n, size_t max);

static void
s_feed(core_t *c, const s_event_t *e, zchunk_t **out, size_t *n, size_t max)
{
    /* the shell ticks at the event's own time before applying it */
    s_tick(c, e->c.occurred);
    s_keep_bulletins(c, out, n, max);
    switch (e->kind) {
    case S_CASE:
        s_case(c, &e->c, e->received);
        break;
    case S_INFO:
        s_info(c, e->c.id, e->c.unit, e->period, e->info_kind, e->c.case_no, e->zero, e->c.occurred,
               e->received);
        break;
    case S_MATTER:
        s_matter(c, e->c.unit, e->c.case_no, e->severity, e->c.occurred, e->received);
        break;
    case S_PROGRESS:
        s_progress(c, e->c.id, e->c.unit, e->c.case_no, (uint32_t)e->seq, e->status, e->c.occurred,
                   e->received, 0);
        break;
    }
    s_keep_bulletins(c, out, n, max);
}

/* Appends the bulletins of the last call to `out`, packed, with produced_at cleared. */
static void
s_keep_bulletins(core_t *c, zchunk_t **out, size_t *n, size_t max)
{
    for (size_t i = 0; i < c->n; i++) {
        if (c->items[i]->item_case != ITEM_B)
            continue;
        Dajia__Bulletin *b = c->items[i]->bulletin;
        b->produced_at = 0;
        size_t len = dajia__bulletin__get_packed_size(b);
        uint8_t *buf = malloc(len ? len : 1);
        assert_non_null(buf);
        dajia__bulletin__pack(b, buf);
        assert_true(*n < max);
        out[(*n)++] = zchunk_new(buf, len);
        free(buf);
    }
}

static void
test_same_bulletins_live_or_as_a_backlog(void **state)
{
    fixture_t *fx = *state;
#define D(mo, d, h) s_bj(2026, (mo), (d), (h), 0)
    /* Three months of reports, with a case spanning months, a repeated stage, a repeated
       progress, corrections, an on-time report an hour before a deadline, late reports
       and units that never report (tax for October, court). */
#define CASE(r, ...)                                                                               \
    {                                                                                              \
        .kind = S_CASE, .received = (r), .c = { __VA_ARGS__ }                                      \
    }
#define INFO(r, per, k, z, ...)                                                                    \
    {                                                                                              \
        .kind = S_INFO, .received = (r), .period = (per), .info_kind = (k), .zero = (z), .c = {    \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    }
#define MATTER(r, sev, ...)                                                                        \
    {                                                                                              \
        .kind = S_MATTER, .received = (r), .severity = (sev), .c = { __VA_ARGS__ }                 \
    }
#define PROGRESS(r, st, sq, ...)                                                                   \
    {                                                                                              \
        .kind = S_PROGRESS, .received = (r), .status = (st), .seq = (sq), .c = { __VA_ARGS__ }     \
    }
    const s_event_t stream[] = {
        CASE(D(10, 3, 10), "a1", "msa", "M-1", NULL, FILED, D(10, 3, 9), D(10, 3, 9), 0, 30000000,
             0, false),
        MATTER(D(10, 9, 10), MAJOR, "a2", "psb", "PM-1", NULL, 0, D(10, 9, 9), 0, 0, 0, 0, false),
        CASE(D(10, 15, 10), "a3", "psb", "P-1", NULL, FILED, D(10, 15, 9), D(10, 15, 9), 0, 800000,
             0, false),
        INFO(D(10, 20, 10), "2026-10", DYNAMIC, false, "a4", "customs", "口岸查验", NULL, 0,
             D(10, 20, 9), 0, 0, 0, 0, false),
        CASE(D(10, 28, 10), "a5", "msa", "M-2", NULL, FILED, D(10, 28, 9), D(10, 28, 9), 0, 5000000,
             0, true),
        CASE(D(11, 2, 10), "a6", "msa", "M-1", NULL, CLOSED, D(11, 2, 9), D(10, 3, 9), D(11, 2, 9),
             30000000, 5000000, false),
        PROGRESS(D(11, 5, 10), IN_PROGRESS, 1, "a7", "psb", "PM-1", NULL, 0, D(11, 5, 9), 0, 0, 0,
                 0, false),
        INFO(D(11, 8, 10), "2026-10", DYNAMIC, true, "a8", "agri", "", NULL, 0, D(11, 8, 9), 0, 0,
             0, 0, false),
        CASE(D(11, 10, 23), "a9", "court", "C-1", NULL, FILED, D(10, 30, 9), D(10, 30, 9), 0,
             200000, 0, false),
        CASE(D(11, 12, 10), "a10", "tax", "T-1", NULL, FILED, D(10, 25, 9), D(10, 25, 9), 0, 100000,
             0, false),
        CASE(D(11, 12, 11), "a11", "msa", "M-2", "a5", FILED, D(11, 12, 9), D(10, 28, 9), 0,
             6500000, 0, true),
        PROGRESS(D(11, 14, 10), M_CLOSED, 1, "a12", "psb", "PM-1", NULL, 0, D(11, 14, 9), 0, 0, 0,
                 0, false),
        CASE(D(11, 20, 10), "a13", "psb", "P-1", NULL, INVESTIGATING, D(11, 20, 9), D(10, 15, 9), 0,
             800000, 0, false),
        CASE(D(12, 3, 10), "a14", "customs", "K-1", NULL, FILED, D(11, 28, 9), D(11, 28, 9), 0,
             900000, 0, false),
        INFO(D(12, 11, 1), "2026-11", DYNAMIC, true, "a15", "tax", "", NULL, 0, D(12, 11, 0), 0, 0,
             0, 0, false),
        CASE(D(12, 15, 10), "a16", "msa", "M-1", "a6", CLOSED, D(12, 15, 9), D(10, 3, 9),
             D(11, 2, 9), 30000000, 8000000, false),
        INFO(D(12, 20, 10), "2026-12", TYPICAL, false, "a17", "psb", "假冒茶叶案", NULL, 0,
             D(12, 20, 9), 0, 0, 0, 0, false),
    };
#undef CASE
#undef INFO
#undef MATTER
#undef PROGRESS
    const size_t n = sizeof stream / sizeof stream[0];
    const int64_t end = s_bj(2027, 1, 15, 0, 0);
    zchunk_t *live[16] = {0}, *backlog[16] = {0};
    size_t n_live = 0, n_backlog = 0;

    /* live: the wall clock ticks every 6 hours between the reports, up to the end */
    int64_t clock = stream[0].received;
    for (size_t i = 0; i < n; i++) {
        for (; clock < stream[i].received; clock += 6 * 3600 * 1000LL) {
            s_tick(&fx->a, clock);
            s_keep_bulletins(&fx->a, live, &n_live, 16);
        }
        s_feed(&fx->a, &stream[i], live, &n_live, 16);
    }
    for (; clock <= end; clock += 6 * 3600 * 1000LL) {
        s_tick(&fx->a, clock);
        s_keep_bulletins(&fx->a, live, &n_live, 16);
    }
    /* backlog: every report at once (their own submission times), then the clock at
       the end */
    for (size_t i = 0; i < n; i++) {
        s_feed(&fx->b, &stream[i], backlog, &n_backlog, 16);
    }
    s_tick(&fx->b, end);
    s_keep_bulletins(&fx->b, backlog, &n_backlog, 16);

    /* October: revision 1, then 2 (Nov 12: tax's late case, msa's correction);
       November: 1, 2 (tax's late zero report), 3 (msa's correction of its fines);
       December: 1. */
    static const struct {
        const char *period;
        uint32_t revision;
    } want[] = {{"2026-10", 1}, {"2026-10", 2}, {"2026-11", 1},
                {"2026-11", 2}, {"2026-11", 3}, {"2026-12", 1}};
    assert_int_equal(n_live, 6);
    assert_int_equal(n_backlog, 6);
    for (size_t i = 0; i < n_live; i++) {
        Dajia__Bulletin *b =
            dajia__bulletin__unpack(NULL, zchunk_size(live[i]), zchunk_data(live[i]));
        assert_non_null(b);
        bool ok = strcmp(b->period, want[i].period) == 0 && b->revision == want[i].revision;
        dajia__bulletin__free_unpacked(b, NULL);
        bool same =
            zchunk_size(live[i]) == zchunk_size(backlog[i]) &&
            memcmp(zchunk_data(live[i]), zchunk_data(backlog[i]), zchunk_size(live[i])) == 0;
        for (size_t k = 0; k < 16; k++)
            if (!ok || !same) {
                zchunk_destroy(&live[k]);
                zchunk_destroy(&backlog[k]);
            }
        if (!ok)
            fail_msg("bulletin %zu is not %s revision %u", i, want[i].period, want[i].revision);
        if (!same)
            fail_msg("bulletin %zu (%s revision %u) differs live and as a backlog", i,
                     want[i].period, want[i].revision);
    }
    for (size_t k = 0; k < 16; k++) {
        zchunk_destroy(&live[k]);
        zchunk_destroy(&backlog[k]);
    }
#undef D
}

// ================================================================== earlier state

typedef struct {
    int64_t open, report_at, matter_at;
} s_old_t;

/* Writes the state an earlier version kept: "open" (the first month without a
   bulletin), a 32-byte reporting record (on time, late, zero, last report) and a matter
   record (interval, last seq, MatterLine). */
static int
s_write_old(store_txn_t *txn, void *arg)
{
    const s_old_t *old = arg;
    uint8_t open[8], rec[32] = {0};
    store_u64_to_key((uint64_t)old->open, open);
    int rc = store_put(txn, "circ.meta", "open", 4, open, 8, 0);
    store_u64_to_key(1, rec); /* one report on time */
    store_u64_to_key((uint64_t)old->report_at, rec + 24);
    if (rc == 0)
        rc = store_put(txn, "circ.reports", "2026-10\0psb", 11, rec, sizeof rec, 0);
    Dajia__MatterLine line = DAJIA__MATTER_LINE__INIT;
    line.unit = "psb";
    line.matter_id = "m1";
    line.title = "m1";
    line.severity = DAJIA__SEVERITY__SEVERITY_MAJOR;
    line.status = DAJIA__MATTER_STATUS__MATTER_STATUS_OPEN;
    line.last_progress_at = old->matter_at;
    line.next_update_due_at = old->matter_at + 15 * DAJIA_TIME_MS_PER_DAY;
    uint8_t buf[256] = {0, 0, 0, 15, 0, 0, 0, 0}; /* interval 15, last seq 0 */
    size_t len = dajia__matter_line__pack(&line, buf + 8);
    if (rc == 0)
        rc = store_put(txn, "circ.matters", "psb\0m1", 6, buf, 8 + len, 0);
    return rc;
}

static void
test_state_of_an_earlier_version_is_read(void **state)
{
    core_t *c = &((fixture_t *)*state)->a;
    s_old_t old = {s_bj(2026, 10, 1, 0, 0), s_bj(2026, 10, 20, 10, 0), s_bj(2026, 10, 1, 10, 0)};
    assert_ok(store_write(c->store, s_write_old, &old));
    /* October is the first month judged; its bulletin once its deadline has passed */
    assert_int_equal(s_tick(c, S_OCT_DEADLINE + 1), 3);
    const Dajia__Bulletin *b = s_bulletin(c, 0, "2026-10", 1);
    s_expect_status((const Dajia__UnitCompliance *const *)b->compliance, b->n_compliance, "psb",
                    "on_time", false);
    assert_int_equal(
        s_unit((const Dajia__UnitCompliance *const *)b->compliance, b->n_compliance, "psb")
            ->last_report_at,
        old.report_at);
    /* the matter: due Oct 16 10:00, at Nov 1 00:00 15 days 14 hours overdue: past the
       15-day step */
    assert_int_equal(b->n_matters, 1);
    assert_int_equal(b->matters[0]->days_overdue, 15);
    assert_true(b->matters[0]->leader_step_passed);
    /* a progress goes on from there */
    s_progress(c, "p1", "psb", "m1", 1, IN_PROGRESS, s_bj(2026, 11, 12, 10, 0),
               s_bj(2026, 11, 12, 10, 0), 0);
}

// ================================================================== demonstration

static void
test_demo_periods_of_n_seconds(void **state)
{
    core_t *c = &((fixture_t *)*state)->a;
    /* 10-second periods; 2026-11-10T02:00:00Z is a multiple of 10 s. The deadline is
       the period's end (deadline_seconds 0). */
    int64_t t0 = s_bj(2026, 11, 10, 10, 0);
    assert_int_equal(s_tick(c, t0), 0);
    s_case_t p1 = {"e1", "psb", "P-1", NULL, FILED, t0 + 3000, t0 + 3000, 0, 100, 0, false};
    assert_int_equal(s_case(c, &p1, t0 + 3000), 2);
    /* at the end the next period begins (its table); past it, the bulletin and its
       final table */
    assert_int_equal(s_tick(c, t0 + 10000), 1);
    assert_int_equal(s_tick(c, t0 + 10001), 2);
    const Dajia__Bulletin *b = s_bulletin(c, 0, "2026-11-10T02:00:00Z", 1);
    assert_int_equal(b->figures[0]->figures->cases_filed, 1);
    assert_string_equal(b->compliance_period, "2026-11-10T02:00:00Z");
    s_expect_status((const Dajia__UnitCompliance *const *)b->compliance, b->n_compliance, "psb",
                    "on_time", false);
    assert_int_equal(b->n_silent_units, 5);
    /* 25 s later two more periods have ended: both bulletins, in order */
    assert_int_equal(s_tick(c, t0 + 35000), 5);
    s_bulletin(c, 0, "2026-11-10T02:00:10Z", 1);
    s_bulletin(c, 2, "2026-11-10T02:00:20Z", 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_compliance_states_on_the_deadline_day, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_imported_submission_times_are_judged, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_bulletin_waits_for_the_deadline_and_the_first_data,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_go_live_judges_from_its_month, s_setup_go_live,
                                        s_teardown),
        cmocka_unit_test(test_settings_are_checked),
        cmocka_unit_test_setup_teardown(test_revisions_on_a_correction_and_a_late_report, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_english_text, s_setup_english, s_teardown),
        cmocka_unit_test_setup_teardown(test_member_names_in_the_bulletin, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_persons_figures_in_the_bulletin, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_matters_as_they_stood_at_the_months_end,
                                        s_setup_matters, s_teardown),
        cmocka_unit_test_setup_teardown(test_same_bulletins_live_or_as_a_backlog, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_state_of_an_earlier_version_is_read, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_demo_periods_of_n_seconds, s_setup_demo, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
