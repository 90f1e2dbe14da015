/*  Integration: a month's bulletin comes once its reporting deadline has passed on the
    broker's clock, and a revision when late reports and corrections change it; the
    Office sees compliance at any time, every revision, and the current figures
    (issue 9, parts 5 and 6; docs/domain.md §6, §7).

    One broker, its in-process workers and its data directory, started twice with the
    test clock (DAJIA_CLOCK):
      1. 20 s before November 2026's reporting deadline (2026-12-10 24:00 Beijing, the
         instant 2026-12-10T16:00:00Z): three units report November on time (cases of
         msa and tax, a zero report of customs). Before the deadline no bulletin exists
         and `dajia-office compliance` shows the open month, November, with the units
         still pending "due today"; then the deadline passes and revision 1 comes, with
         figures worked out by hand. After it psb reports a November case (late) and msa
         corrects one of its reports: compliance shows psb late, no revision needed.
      2. 15 s before the end of the next day (2026-12-11 24:00): the revision due then
         comes, listing what changed and why; `bulletin --period`, `bulletin --revisions`
         and `figures --period --unit --json` print it.
    REPLAY of the public feed holds each revision once, and no bulletin of October
    (before the first data).
*/
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#ifndef DAJIA_OFFICE_BIN
#error "DAJIA_OFFICE_BIN must be defined by the build"
#endif

#define S_CLOCK_1     "DAJIA_CLOCK=2026-12-10T15:59:40Z"
#define S_CLOCK_2     "DAJIA_CLOCK=2026-12-11T15:59:45Z"
#define S_DEADLINE_MS 1796918400000LL /* 2026-12-10T16:00:00Z = 12-11 00:00 Beijing */
#define S_DUE_2_MS    1797004800000LL /* 2026-12-11T16:00:00Z: revision 2 is due */
#define S_WAIT_MS     90000           /* for a bulletin, from the broker's start */
#define S_RECV_MS     500
#define S_DAY_MS      86400000LL
#define S_NOV01_UTC   1793491200000LL /* 2026-11-01T00:00:00Z */
#define S_MEMBERS     23
#define S_STR(...)    ((char *)harness_autofree(harness_strf(__VA_ARGS__)))

#define S_TM     DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING
#define S_PP     DAJIA__CASE_CATEGORY__CASE_CATEGORY_PATENT_PASSING_OFF
#define S_FILED  DAJIA__CASE_STAGE__CASE_STAGE_FILED
#define S_CLOSED DAJIA__CASE_STAGE__CASE_STAGE_CLOSED
#define S_TEA    DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_TEA
#define S_FOOD   DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_FOOD

typedef struct {
    char *dir;
    harness_proc_t *broker;
    harness_client_t *client;
    zsock_t *sub;
    char api[256];
    char public_feed[256];
    const char *clock;         /* the DAJIA_CLOCK of this start */
    Dajia__FeedItem *items[8]; /* decoded bulletins, freed by the teardown */
    size_t n_items;
} fixture_t;

// ================================================================ plumbing

static int
s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    *state = fx;
    fx->dir = harness_tmpdir_new();
    return fx->dir ? 0 : -1;
}

static void
s_stop(fixture_t *fx)
{
    zsock_destroy(&fx->sub);
    harness_client_destroy(&fx->client);
    if (fx->broker)
        assert_int_equal(harness_proc_stop(fx->broker), 0);
    harness_proc_destroy(&fx->broker);
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    for (size_t i = 0; i < fx->n_items; i++)
        dajia__feed_item__free_unpacked(fx->items[i], NULL);
    zsock_destroy(&fx->sub);
    harness_client_destroy(&fx->client);
    harness_proc_destroy(&fx->broker);
    if (fx->dir)
        harness_rm_rf(fx->dir);
    free(fx->dir);
    free(fx);
    harness_autofree_all();
    return 0;
}

/* The broker with its workers and the test clock `clock`; the same data each time. */
static void
s_start(fixture_t *fx, const char *clock)
{
    char *data = S_STR("%s/broker", fx->dir);
    const char *argv[] = {DAJIA_BROKER_BIN, "--data", data, "--api", "tcp://127.0.0.1:*", NULL};
    const char *env[] = {clock, NULL};
    harness_opts_t opts = {.env = env, .capture_stderr = false};
    fx->clock = clock;
    assert_int_equal(harness_proc_start(argv, &opts, &fx->broker), 0);
    int rc = harness_proc_wait_ready(fx->broker, HARNESS_READY_TIMEOUT_MS, fx->api, sizeof fx->api);
    if (rc)
        fail_msg("the broker gave no READY line (%d): %s", rc, harness_proc_stdout(fx->broker));
    assert_int_equal(
        harness_ready_field(fx->broker, "public=", fx->public_feed, sizeof fx->public_feed), 0);
    assert_int_equal(harness_client_new(fx->api, HARNESS_RECV_TIMEOUT_MS, &fx->client), 0);
    fx->sub = zsock_new_sub(fx->public_feed, "bulletin");
    assert_non_null(fx->sub);
    zsock_set_rcvtimeo(fx->sub, S_RECV_MS);
}

static void
s_submit(fixture_t *fx, Dajia__Envelope *env)
{
    assert_int_equal(harness_client_submit(fx->client, env), 0);
    Dajia__Ack *ack = NULL;
    assert_int_equal(harness_client_recv_ack(fx->client, &ack), 0);
    if (ack->status != DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED)
        fail_msg("%s refused: %s", env->event_id, ack->reason_text);
    dajia__ack__free_unpacked(ack, NULL);
}

/* A November case report; day 0 leaves a date out. */
typedef struct {
    const char *unit, *event_id, *case_no, *supersedes;
    Dajia__CaseCategory category;
    Dajia__GoodsCategory goods; /* UNSPECIFIED: the report names none */
    Dajia__CaseStage stage;
    int64_t value_fen;
    int occurred_day, filed_day, closed_day;
    bool ecommerce;
} s_case_t;

static int64_t
s_nov(int day)
{
    return S_NOV01_UTC + (day - 1) * S_DAY_MS;
}

static void
s_submit_case(fixture_t *fx, const s_case_t *c)
{
    Dajia__Envelope env;
    Dajia__CaseReport report;
    Dajia__GoodsCategory goods = c->goods;
    harness_envelope_init(&env, &report, c->unit, c->event_id, c->case_no);
    env.occurred_at = s_nov(c->occurred_day) + 3600 * 1000;
    env.reported_at = env.occurred_at; /* the wall clock may be before the test clock */
    env.supersedes_event_id = (char *)(c->supersedes ? c->supersedes : "");
    report.category = c->category;
    report.stage = c->stage;
    report.case_value_fen = c->value_fen;
    report.filed_at = s_nov(c->filed_day);
    report.closed_at = c->closed_day ? s_nov(c->closed_day) : 0;
    report.ecommerce = c->ecommerce;
    report.n_goods = c->goods ? 1 : 0;
    report.goods = c->goods ? &goods : NULL;
    s_submit(fx, &env);
}

static void
s_submit_zero(fixture_t *fx, const char *unit, const char *id, const char *period)
{
    Dajia__DynamicInfo info = DAJIA__DYNAMIC_INFO__INIT;
    info.info_id = (char *)id;
    info.period = (char *)period;
    info.kind = DAJIA__INFO_KIND__INFO_KIND_CASE_DATA_SNAPSHOT;
    info.zero_report = true;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = (char *)id;
    env.unit = (char *)unit;
    env.occurred_at = s_nov(30);
    env.reported_at = env.occurred_at;
    env.body_case = DAJIA__ENVELOPE__BODY_DYNAMIC_INFO;
    env.dynamic_info = &info;
    s_submit(fx, &env);
}

/* Follows the public feed until revision `revision` of `period` arrives; keeps it. */
static const Dajia__Bulletin *
s_wait_bulletin(fixture_t *fx, const char *period, uint32_t revision)
{
    int64_t deadline = harness_now_ms() + S_WAIT_MS;
    while (harness_now_ms() < deadline) {
        zmsg_t *msg = zmsg_recv(fx->sub);
        if (!msg) {
            if (!harness_proc_running(fx->broker))
                fail_msg("the broker exited: %s", harness_proc_stdout(fx->broker));
            continue;
        }
        zframe_t *body = zmsg_last(msg);
        Dajia__FeedItem *item =
            dajia__feed_item__unpack(NULL, zframe_size(body), zframe_data(body));
        zmsg_destroy(&msg);
        assert_non_null(item);
        assert_int_equal(item->item_case, DAJIA__FEED_ITEM__ITEM_BULLETIN);
        if (strcmp(item->bulletin->period, period) == 0 && item->bulletin->revision == revision) {
            assert_true(fx->n_items < 8);
            fx->items[fx->n_items++] = item;
            return item->bulletin;
        }
        dajia__feed_item__free_unpacked(item, NULL);
    }
    fail_msg("no revision %u of the %s bulletin within %d s", revision, period, S_WAIT_MS / 1000);
    return NULL;
}

/* "period:revision" of every bulletin REPLAY of the public feed holds, in feed order. */
static char *
s_replayed(fixture_t *fx)
{
    char *list = S_STR("%s", "");
    uint64_t from = 1;
    bool more = true;
    while (more) {
        Dajia__FeedBatch *batch = NULL;
        assert_int_equal(
            harness_client_replay(fx->client, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, from, 0, &batch),
            0);
        assert_int_equal(batch->reason, DAJIA__REASON__REASON_NONE);
        for (size_t i = 0; i < batch->n_items; i++) {
            from = batch->items[i]->public_seq + 1; /* a public reader's position */
            if (batch->items[i]->item_case == DAJIA__FEED_ITEM__ITEM_BULLETIN)
                list = S_STR("%s%s:%u ", list, batch->items[i]->bulletin->period,
                             batch->items[i]->bulletin->revision);
        }
        more = batch->more && batch->n_items > 0;
        dajia__feed_batch__free_unpacked(batch, NULL);
    }
    return list;
}

/* Runs dajia-office with the broker's clock and the arguments that follow (up to 8,
   then NULL); returns its stdout, or its stderr when `status` is not 0, after checking
   the exit status. */
static const char *
s_office(fixture_t *fx, int status, ...)
{
    const char *argv[16] = {DAJIA_OFFICE_BIN, "--broker", fx->api, "--timeout", "30"};
    size_t n = 5;
    va_list ap;
    va_start(ap, status);
    for (const char *arg; n < 13 && (arg = va_arg(ap, const char *)) != NULL;)
        argv[n++] = arg;
    va_end(ap);
    argv[n] = NULL;
    const char *env[] = {fx->clock, NULL};
    harness_opts_t opts = {env, true};
    harness_result_t run;
    assert_int_equal(harness_run(argv, &opts, HARNESS_RUN_TIMEOUT_MS, &run), 0);
    harness_autofree(run.out);
    harness_autofree(run.err);
    if (run.status != status)
        fail_msg("dajia-office %s %s: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s", argv[5],
                 argv[6] ? argv[6] : "", run.status, status, run.out, run.err);
    return status ? run.err : run.out;
}

static void
s_expect(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("no \"%s\" in:\n%s", want, text);
}

/* `dajia-office compliance` (of `period`, NULL: the open month) once its output holds
   `settled`. The broker acknowledges a report once it is logged; the circulate worker
   judges it after that and publishes the judgement on the office feed, so a compliance
   read just after an ACK may not show it yet: read again until it does, or S_WAIT_MS. */
static const char *
s_compliance_until(fixture_t *fx, const char *period, const char *settled)
{
    int64_t deadline = harness_now_ms() + S_WAIT_MS;
    for (;;) {
        const char *out = period ? s_office(fx, 0, "compliance", "--period", period, NULL)
                                 : s_office(fx, 0, "compliance", NULL);
        if (strstr(out, settled) || harness_now_ms() >= deadline)
            return out;
        zclock_sleep(200); /* between reads, not instead of one */
    }
}

static const Dajia__UnitCompliance *
s_unit(const Dajia__Bulletin *b, const char *unit)
{
    for (size_t i = 0; i < b->n_compliance; i++)
        if (strcmp(b->compliance[i]->unit, unit) == 0)
            return b->compliance[i];
    fail_msg("no compliance row for %s", unit);
    return NULL;
}

static const Dajia__AggregateRow *
s_row(const Dajia__Bulletin *b, const char *unit, int category)
{
    for (size_t i = 0; i < b->n_figures; i++)
        if (strcmp(b->figures[i]->unit, unit) == 0 && (int)b->figures[i]->category == category)
            return b->figures[i];
    fail_msg("no figures row for %s", unit);
    return NULL;
}

// ================================================================ the test

static const s_case_t s_on_time[] = {
    /* msa: case A filed Nov 10 (tea), case B filed Nov 12 (food, sold online), then A
       closed Nov 20: a second report of A, counted once */
    {"msa", "bul-1", "msa-A", NULL, S_TM, S_TEA, S_FILED, 1200000, 25, 10, 0, false},
    {"msa", "bul-2", "msa-B", NULL, S_TM, S_FOOD, S_FILED, 800000, 25, 12, 0, true},
    {"msa", "bul-3", "msa-A", NULL, S_TM, S_TEA, S_CLOSED, 1200000, 26, 10, 20, false},
    /* tax: one case, no goods named */
    {"tax", "bul-4", "tax-C", NULL, S_PP, 0, S_FILED, 450000, 26, 15, 0, false},
};

static const s_case_t s_late[] = {
    /* psb's November case, first reported after the deadline */
    {"psb", "bul-6", "psb-D", NULL, S_TM, S_FOOD, S_FILED, 300000, 28, 28, 0, false},
    /* msa corrects B's report: 9,500 yuan, not 8,000 */
    {"msa", "bul-7", "msa-B", "bul-2", S_TM, S_FOOD, S_FILED, 950000, 27, 12, 0, true},
};

static void
test_bulletin_after_the_deadline_and_its_revision(void **state)
{
    fixture_t *fx = *state;

    /* ---- 1. before and at November's deadline */
    s_start(fx, S_CLOCK_1);
    for (size_t i = 0; i < sizeof s_on_time / sizeof s_on_time[0]; i++)
        s_submit_case(fx, &s_on_time[i]);
    s_submit_zero(fx, "customs", "bul-5", "2026-11");
    /* not before the deadline: no bulletin yet; compliance of the open month, now */
    assert_string_equal(s_replayed(fx), "");
    const char *out = s_compliance_until(
        fx, NULL, "按时报送2家，逾期报送0家，零申报1家，待报送20家，未报送0家。");
    s_expect(out, "2026年11月信息报送情况（报送截止时间：2026年12月10日24时，今天截止）");
    s_expect(out, "| 市市场监管局 | 按时报送 |");
    s_expect(out, "| 信阳海关 | 零申报（按时报送） |");
    s_expect(out, "| 市公安局 | 待报送（今天截止） | — | 0 |");
    s_expect(out, "按时报送2家，逾期报送0家，零申报1家，待报送20家，未报送0家。");

    const Dajia__Bulletin *b = s_wait_bulletin(fx, "2026-11", 1);
    /* produced on the test clock, once the deadline had passed */
    assert_true(b->produced_at > S_DEADLINE_MS);
    assert_true(b->produced_at < S_DEADLINE_MS + S_WAIT_MS);
    assert_int_equal(b->deadline_at, S_DEADLINE_MS);
    /* Item 1: msa trademark counterfeiting: A and B filed, A closed, 1,200,000 +
       800,000 fen; tax patent passing-off: C filed, 450,000 fen */
    assert_int_equal(b->n_figures, 2);
    const Dajia__AggregateRow *msa = s_row(b, "msa", S_TM);
    assert_int_equal(msa->figures->cases_filed, 2);
    assert_int_equal(msa->figures->cases_closed, 1);
    assert_int_equal(msa->figures->case_value_fen, 2000000);
    assert_int_equal(s_row(b, "tax", S_PP)->figures->case_value_fen, 450000);
    assert_int_equal(b->ecommerce->case_value_fen, 800000);
    /* Item 6 judges November itself: msa and tax on time, customs a zero report, the
       20 others missing and silent */
    assert_string_equal(b->compliance_period, "2026-11");
    assert_int_equal(b->n_compliance, S_MEMBERS);
    assert_string_equal(s_unit(b, "msa")->status, "on_time");
    assert_string_equal(s_unit(b, "customs")->status, "zero_report");
    assert_false(s_unit(b, "customs")->late);
    assert_string_equal(s_unit(b, "psb")->status, "missing");
    assert_int_equal(b->n_silent_units, S_MEMBERS - 3);
    s_expect(b->markdown, "# 打击侵权假冒工作通报（2026年11月）");
    s_expect(b->markdown, "| 市市场监管局 | 假冒注册商标 | 2（+2） | 1（+1） | 2.00 |");

    /* after the deadline: late data */
    for (size_t i = 0; i < sizeof s_late / sizeof s_late[0]; i++)
        s_submit_case(fx, &s_late[i]);
    out = s_compliance_until(fx, "2026-11", "| 市公安局 | 逾期报送 |");
    s_expect(out, "（报送截止时间：2026年12月10日24时，已截止）");
    s_expect(out, "| 市公安局 | 逾期报送 |");
    s_expect(out, "| 市司法局 | 未报送 | — | 0 |");
    /* the open month is December now */
    s_expect(s_office(fx, 0, "compliance", NULL), "2026年12月信息报送情况");
    s_stop(fx);

    /* ---- 2. the end of the day the late data came: revision 2 */
    s_start(fx, S_CLOCK_2);
    b = s_wait_bulletin(fx, "2026-11", 2);
    assert_true(b->produced_at > S_DUE_2_MS);
    assert_int_equal(b->cutoff_at, S_DUE_2_MS);
    /* what changed: psb's row (filed 0 -> 1, value 0 -> 300,000), msa's value
       (2,000,000 -> 2,150,000), psb's reporting (missing -> late); why: psb's late
       report, msa's correction */
    assert_int_equal(b->n_changes, 4);
    assert_string_equal(b->changes[0]->unit, "psb");
    assert_string_equal(b->changes[0]->field, "cases_filed");
    assert_string_equal(b->changes[1]->field, "case_value_fen");
    assert_int_equal(b->changes[1]->after, 300000);
    assert_string_equal(b->changes[2]->unit, "msa");
    assert_int_equal(b->changes[2]->before, 2000000);
    assert_int_equal(b->changes[2]->after, 2150000);
    assert_string_equal(b->changes[3]->section, "compliance");
    assert_string_equal(b->changes[3]->after_text, "late");
    assert_int_equal(b->n_sources, 2);
    assert_string_equal(b->sources[0]->event_id, "bul-6");
    assert_true(b->sources[0]->late);
    assert_string_equal(b->sources[1]->supersedes_event_id, "bul-2");
    /* each revision once, in order; nothing for October, before the first data */
    assert_string_equal(s_replayed(fx), "2026-11:1 2026-11:2 ");

    out = s_office(fx, 0, "bulletin", "--period", "2026-11", NULL);
    s_expect(out, "第2版（修订版）。汇总2026年12月11日24时前收到的报送");
    s_expect(out, "## 六、修订说明");
    s_expect(out, "市市场监管局 假冒注册商标：案值由2.00万元改为2.15万元。");
    s_expect(out, "市公安局：报送情况由未报送改为逾期报送。");
    out = s_office(fx, 0, "bulletin", "--period", "2026-11", "--revisions", NULL);
    s_expect(out, "第1版  ");
    s_expect(out, "汇总2026年12月10日24时前收到的报送\n");
    s_expect(out, "第2版  ");
    s_expect(out, "    市市场监管局 假冒注册商标 案值：2.00万元 → 2.15万元\n");
    s_expect(out, "    市公安局 报送情况：未报送 → 逾期报送\n");
    s_expect(out, "逾期报送（事件bul-6，psb-D）\n");
    s_expect(out, "更正（事件bul-7更正bul-2，msa-B）\n");
    s_expect(s_office(fx, 1, "bulletin", "--period", "2026-10", NULL), "no bulletin for 2026-10");

    /* the aggregate worker's current figures of November: msa's two cells */
    out = s_office(fx, 0, "figures", "--period", "2026-11", "--unit", "msa", "--json", NULL);
    size_t lines = 0;
    bool food = false;
    for (const char *line = out; *line; line = strchr(line, '\n') + 1) {
        json_error_t error;
        json_t *row = json_loadb(line, strcspn(line, "\n"), 0, &error);
        if (!row)
            fail_msg("not JSON: %s (%s)", line, error.text);
        lines++;
        assert_string_equal(json_string_value(json_object_get(row, "unit")), "msa");
        assert_string_equal(json_string_value(json_object_get(row, "period")), "2026-11");
        if (strcmp(json_string_value(json_object_get(row, "goods")), "food") == 0) {
            json_t *f = json_object_get(row, "figures");
            food = json_integer_value(json_object_get(f, "case_value_fen")) == 950000 &&
                   json_integer_value(json_object_get(f, "cases_filed")) == 1;
        }
        json_decref(row);
        if (!strchr(line, '\n'))
            break;
    }
    assert_int_equal(lines, 2);
    assert_true(food);
    out = s_office(fx, 0, "figures", "--period", "2026-11", NULL);
    s_expect(out, "2026年11月案件数据（当前）");
    s_expect(out, "| 市公安局 | 假冒注册商标 | 食品 | 1 |");
    s_stop(fx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bulletin_after_the_deadline_and_its_revision, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
