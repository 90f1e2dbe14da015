/*  Integration: the same stream gives the same bulletins whether the circulate worker
    follows it live, paced by the test clock, or gets it all at once as a backlog with
    the clock at the end (issue 9, part 4; docs/domain.md §8).

    Two brokers receive the same reports at the same test clocks (DAJIA_CLOCK), stage by
    stage, each broker restarted at the next stage's clock:
      A runs its workers in-process: its circulate worker sees each stage live, and the
        wall-clock ticks between them;
      B runs with --external-workers and no worker at all until the end, when a
        dajia-worker --service circulate starts, with B's clock at the end: it gets the
        whole log at once (a worker that was offline, or rebuilt from the log).
    The stream has three months of reports: a case spanning two months, a matter with a
    repeated progress, an on-time report an hour before a deadline, late reports and a
    late zero report, corrections of an October and a November report, silent units.
    Both feeds must hold the same bulletins, revision by revision: October 1 and 2,
    November 1 and 2, December 1. They are compared whole, markdown included, but for
    produced_at (when the worker happened to run) and the receipt times, taken to the
    minute (the two brokers receive each report a few milliseconds apart).

    The paced and the backlog runs agree once both the wall-clock tick and the events'
    own times move the clock the way docs/domain.md §8 describes: the circulate core
    judges deadlines and revisions on the submission times it applies, and a wall-clock
    tick only once the worker has caught up with the log.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dajia_time.h"
#include "harness.h"

#ifndef DAJIA_WORKER_BIN
#error "DAJIA_WORKER_BIN must be defined by the build"
#endif

#define S_STR(...)  ((char *)harness_autofree(harness_strf(__VA_ARGS__)))
#define S_MIN_MS    60000LL
#define S_HOUR_MS   3600000LL
#define S_WAIT_MS   60000
#define S_BULLETINS 5

typedef struct {
    char data[512];
    bool external;
    harness_proc_t *broker;
    harness_proc_t *worker;
    harness_client_t *client;
    char api[256];
    char workers[256];
} s_broker_t;

typedef struct {
    char *dir;
    s_broker_t a, b;
    Dajia__Bulletin *got[2][8]; /* the bulletins of A and B, freed by the teardown */
    size_t n[2];
} fixture_t;

/* Beijing wall-clock time, unix ms. */
static int64_t
s_bj(int month, int day, int hour, int minute)
{
    int64_t year = month > 12 ? 2027 : 2026;
    dajia_time_civil_t c = {year, month > 12 ? month - 12 : month, day, hour, minute, 0, 0};
    return dajia_time_from_civil(&c, DAJIA_TIME_BEIJING_MIN);
}

// ================================================================ plumbing

static int
s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    *state = fx;
    fx->dir = harness_tmpdir_new();
    if (!fx->dir)
        return -1;
    snprintf(fx->a.data, sizeof fx->a.data, "%s/a/broker", fx->dir);
    snprintf(fx->b.data, sizeof fx->b.data, "%s/b/broker", fx->dir);
    fx->b.external = true;
    return 0;
}

static void
s_broker_close(s_broker_t *br)
{
    harness_client_destroy(&br->client);
    harness_proc_destroy(&br->worker);
    harness_proc_destroy(&br->broker);
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < fx->n[k]; i++)
            dajia__bulletin__free_unpacked(fx->got[k][i], NULL);
    s_broker_close(&fx->a);
    s_broker_close(&fx->b);
    if (fx->dir)
        harness_rm_rf(fx->dir);
    free(fx->dir);
    free(fx);
    harness_autofree_all();
    return 0;
}

/* Starts the broker at `clock` (unix ms; on the same data as before). */
static void
s_broker_start(s_broker_t *br, int64_t clock)
{
    const char *env[] = {S_STR("DAJIA_CLOCK=%lld", (long long)clock), NULL};
    const char *plain[] = {DAJIA_BROKER_BIN,    "--data", br->data, "--api",
                           "tcp://127.0.0.1:*", NULL};
    const char *external[] = {DAJIA_BROKER_BIN,
                              "--data",
                              br->data,
                              "--api",
                              "tcp://127.0.0.1:*",
                              "--external-workers",
                              "--workers",
                              "tcp://127.0.0.1:*",
                              NULL};
    harness_opts_t opts = {.env = env, .capture_stderr = false};
    assert_int_equal(harness_proc_start(br->external ? external : plain, &opts, &br->broker), 0);
    int rc = harness_proc_wait_ready(br->broker, HARNESS_READY_TIMEOUT_MS, br->api, sizeof br->api);
    if (rc)
        fail_msg("the broker gave no READY line (%d): %s", rc, harness_proc_stdout(br->broker));
    if (br->external)
        assert_int_equal(
            harness_ready_field(br->broker, "workers=", br->workers, sizeof br->workers), 0);
    assert_int_equal(harness_client_new(br->api, HARNESS_RECV_TIMEOUT_MS, &br->client), 0);
}

static void
s_broker_stop(s_broker_t *br)
{
    harness_client_destroy(&br->client);
    if (br->worker)
        assert_int_equal(harness_proc_stop(br->worker), 0);
    harness_proc_destroy(&br->worker);
    assert_int_equal(harness_proc_stop(br->broker), 0);
    harness_proc_destroy(&br->broker);
}

/* B's circulate worker, as a process of its own, with a fresh state. */
static void
s_worker_start(fixture_t *fx)
{
    char *state = S_STR("%s/b/circulate", fx->dir);
    const char *argv[] = {DAJIA_WORKER_BIN, "--service", "circulate", "--broker",
                          fx->b.workers,    "--state",   state,       NULL};
    assert_int_equal(harness_proc_start(argv, NULL, &fx->b.worker), 0);
    int64_t deadline = harness_now_ms() + HARNESS_READY_TIMEOUT_MS;
    while (!strstr(harness_proc_stdout(fx->b.worker), "READY service=circulate")) {
        if (!harness_proc_running(fx->b.worker) || harness_now_ms() > deadline)
            fail_msg("dajia-worker gave no READY line: %s", harness_proc_stdout(fx->b.worker));
        zclock_sleep(10); /* polling the child's pipe, not waiting for readiness */
    }
}

// ================================================================ the stream

typedef enum { S_CASE, S_ZERO, S_MATTER, S_PROGRESS } s_kind_t;

typedef struct {
    s_kind_t kind;
    const char *id, *unit, *key, *supersedes; /* key: case_no, matter_id or period */
    int64_t occurred, filed, closed, value_fen, fines_fen;
    int stage_or_status, seq;
} s_event_t;

static void
s_submit(s_broker_t *br, const s_event_t *e)
{
    Dajia__Envelope env;
    Dajia__CaseReport report;
    harness_envelope_init(&env, &report, e->unit, e->id, e->key);
    env.occurred_at = e->occurred;
    env.reported_at = e->occurred;
    env.supersedes_event_id = (char *)(e->supersedes ? e->supersedes : "");
    Dajia__DynamicInfo info = DAJIA__DYNAMIC_INFO__INIT;
    Dajia__MajorMatterReport matter = DAJIA__MAJOR_MATTER_REPORT__INIT;
    Dajia__MajorMatterProgress progress = DAJIA__MAJOR_MATTER_PROGRESS__INIT;
    Dajia__GoodsCategory goods = DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_TEA;
    switch (e->kind) {
    case S_CASE:
        report.stage = (Dajia__CaseStage)e->stage_or_status;
        report.filed_at = e->filed;
        report.closed_at = e->closed;
        report.case_value_fen = e->value_fen;
        report.fines_confiscations_fen = e->fines_fen;
        report.n_goods = 1;
        report.goods = &goods;
        break;
    case S_ZERO:
        info.info_id = (char *)e->id;
        info.period = (char *)e->key;
        info.kind = DAJIA__INFO_KIND__INFO_KIND_CASE_DATA_SNAPSHOT;
        info.zero_report = true;
        env.body_case = DAJIA__ENVELOPE__BODY_DYNAMIC_INFO;
        env.dynamic_info = &info;
        break;
    case S_MATTER:
        matter.matter_id = (char *)e->key;
        matter.type = DAJIA__MATTER_TYPE__MATTER_TYPE_CROSS_REGION_CASE;
        matter.severity = DAJIA__SEVERITY__SEVERITY_MAJOR;
        matter.title = "跨省制售假冒茶叶案";
        env.body_case = DAJIA__ENVELOPE__BODY_MAJOR_MATTER;
        env.major_matter = &matter;
        break;
    case S_PROGRESS:
        progress.matter_id = (char *)e->key;
        progress.seq = (uint32_t)e->seq;
        progress.status = (Dajia__MatterStatus)e->stage_or_status;
        progress.narrative = "已查封仓库两处";
        env.body_case = DAJIA__ENVELOPE__BODY_MATTER_PROGRESS;
        env.matter_progress = &progress;
        break;
    }
    assert_int_equal(harness_client_submit(br->client, &env), 0);
    Dajia__Ack *ack = NULL;
    assert_int_equal(harness_client_recv_ack(br->client, &ack), 0);
    if (ack->status != DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED)
        fail_msg("%s refused: %s", e->id, ack->reason_text);
    dajia__ack__free_unpacked(ack, NULL);
}

enum {
    FILED = DAJIA__CASE_STAGE__CASE_STAGE_FILED,
    CLOSED = DAJIA__CASE_STAGE__CASE_STAGE_CLOSED,
    INVESTIGATING = DAJIA__CASE_STAGE__CASE_STAGE_INVESTIGATING,
    IN_PROGRESS = DAJIA__MATTER_STATUS__MATTER_STATUS_IN_PROGRESS,
};

/* Normalises what two brokers may differ in: when the bulletin was produced, and the
   receipt times below the minute. */
static void
s_normalise(Dajia__Bulletin *b)
{
    b->produced_at = 0;
    for (size_t i = 0; i < b->n_compliance; i++) {
        b->compliance[i]->first_report_at -= b->compliance[i]->first_report_at % S_MIN_MS;
        b->compliance[i]->last_report_at -= b->compliance[i]->last_report_at % S_MIN_MS;
    }
    for (size_t i = 0; i < b->n_sources; i++)
        b->sources[i]->received_at -= b->sources[i]->received_at % S_MIN_MS;
}

/* Polls REPLAY of `br`'s public feed until it holds S_BULLETINS bulletins; keeps them. */
static void
s_collect(fixture_t *fx, size_t k, s_broker_t *br)
{
    int64_t deadline = harness_now_ms() + S_WAIT_MS;
    for (;;) {
        for (size_t i = 0; i < fx->n[k]; i++)
            dajia__bulletin__free_unpacked(fx->got[k][i], NULL);
        fx->n[k] = 0;
        uint64_t from = 1;
        bool more = true;
        while (more) {
            Dajia__FeedBatch *batch = NULL;
            assert_int_equal(harness_client_replay(br->client, DAJIA__AUDIENCE__AUDIENCE_PUBLIC,
                                                   from, 0, &batch),
                             0);
            for (size_t i = 0; i < batch->n_items; i++) {
                from = batch->items[i]->public_seq + 1; /* a public reader's position */
                if (batch->items[i]->item_case != DAJIA__FEED_ITEM__ITEM_BULLETIN || fx->n[k] >= 8)
                    continue;
                size_t len = dajia__bulletin__get_packed_size(batch->items[i]->bulletin);
                uint8_t *buf = malloc(len ? len : 1);
                assert_non_null(buf);
                dajia__bulletin__pack(batch->items[i]->bulletin, buf);
                fx->got[k][fx->n[k]++] = dajia__bulletin__unpack(NULL, len, buf);
                free(buf);
            }
            more = batch->more && batch->n_items > 0;
            dajia__feed_batch__free_unpacked(batch, NULL);
        }
        if (fx->n[k] >= S_BULLETINS || harness_now_ms() > deadline)
            break;
        zclock_sleep(200); /* polling the feed while the worker works */
    }
    if (fx->n[k] != S_BULLETINS)
        fail_msg("broker %c holds %zu bulletins, expected %d", k ? 'B' : 'A', fx->n[k],
                 S_BULLETINS);
}

// ================================================================ the test

static void
test_same_bulletins_paced_or_as_a_backlog(void **state)
{
    fixture_t *fx = *state;
#define T(mo, d, h) s_bj((mo), (d), (h), 0)
    /* stage clocks: two seconds past the hour, so that each stage's reports reach both
       brokers within the same minute */
    const struct {
        int64_t clock;
        s_event_t events[4];
        size_t n;
    } stages[] = {
        {T(10, 20, 10) + 2000,
         {{S_CASE, "b1", "msa", "M-1", NULL, T(10, 3, 9), T(10, 3, 9), 0, 30000000, 0, FILED, 0},
          {S_MATTER, "b2", "psb", "PM-1", NULL, T(10, 9, 9), 0, 0, 0, 0, 0, 0},
          {S_CASE, "b3", "psb", "P-1", NULL, T(10, 15, 9), T(10, 15, 9), 0, 800000, 0, FILED, 0}},
         3},
        {T(11, 5, 10) + 2000,
         /* M-1 closed in November with its fines: a case spanning two months */
         {{S_CASE, "b4", "msa", "M-1", NULL, T(11, 2, 9), T(10, 3, 9), T(11, 2, 9), 30000000,
           5000000, CLOSED, 0},
          {S_PROGRESS, "b5", "psb", "PM-1", NULL, T(11, 5, 9), 0, 0, 0, 0, IN_PROGRESS, 1},
          {S_ZERO, "b6", "agri", "2026-10", NULL, T(11, 5, 8), 0, 0, 0, 0, 0, 0}},
         3},
        {T(11, 10, 23) + 2000,
         /* an hour before October's deadline: on time; the progress repeats seq 1 */
         {{S_CASE, "b7", "court", "C-1", NULL, T(10, 30, 9), T(10, 30, 9), 0, 200000, 0, FILED, 0},
          {S_PROGRESS, "b8", "psb", "PM-1", NULL, T(11, 10, 22), 0, 0, 0, 0, IN_PROGRESS, 1}},
         2},
        {T(11, 12, 10) + 2000,
         /* late for October; msa corrects M-1's first report; psb repeats its stage */
         {{S_CASE, "b9", "tax", "T-1", NULL, T(10, 25, 9), T(10, 25, 9), 0, 100000, 0, FILED, 0},
          {S_CASE, "b10", "msa", "M-1", "b1", T(11, 12, 9), T(10, 3, 9), 0, 32000000, 0, FILED, 0},
          {S_CASE, "b11", "psb", "P-1", NULL, T(11, 12, 9), T(10, 15, 9), 0, 800000, 0,
           INVESTIGATING, 0}},
         3},
        {T(12, 11, 10) + 2000,
         /* after November's deadline: a late zero report, a correction of November's
            fines, and December's first case */
         {{S_ZERO, "b12", "customs", "2026-11", NULL, T(12, 11, 9), 0, 0, 0, 0, 0, 0},
          {S_CASE, "b13", "msa", "M-1", "b4", T(12, 11, 9), T(10, 3, 9), T(11, 2, 9), 32000000,
           8000000, CLOSED, 0},
          {S_CASE, "b14", "psb", "P-2", NULL, T(12, 5, 9), T(12, 5, 9), 0, 400000, 0, FILED, 0}},
         3},
    };
    const int64_t end = T(13, 12, 10) + 2000; /* 2027-01-12: December's deadline passed */
#undef T
    for (size_t s = 0; s < sizeof stages / sizeof stages[0]; s++) {
        s_broker_start(&fx->a, stages[s].clock);
        s_broker_start(&fx->b, stages[s].clock);
        for (size_t i = 0; i < stages[s].n; i++) {
            s_submit(&fx->a, &stages[s].events[i]);
            s_submit(&fx->b, &stages[s].events[i]);
        }
        s_broker_stop(&fx->a);
        s_broker_stop(&fx->b);
    }
    /* the end: A's worker ticks on; B's worker starts now, with everything at once */
    s_broker_start(&fx->a, end);
    s_broker_start(&fx->b, end);
    s_worker_start(fx);
    s_collect(fx, 0, &fx->a);
    s_collect(fx, 1, &fx->b);

    static const struct {
        const char *period;
        uint32_t revision;
    } want[S_BULLETINS] = {
        {"2026-10", 1}, {"2026-10", 2}, {"2026-11", 1}, {"2026-11", 2}, {"2026-12", 1}};
    for (size_t i = 0; i < S_BULLETINS; i++) {
        Dajia__Bulletin *a = fx->got[0][i], *b = fx->got[1][i];
        assert_non_null(a);
        assert_non_null(b);
        if (strcmp(a->period, want[i].period) != 0 || a->revision != want[i].revision)
            fail_msg("A's bulletin %zu is %s revision %u, expected %s revision %u", i, a->period,
                     a->revision, want[i].period, want[i].revision);
        s_normalise(a);
        s_normalise(b);
        size_t la = dajia__bulletin__get_packed_size(a), lb = dajia__bulletin__get_packed_size(b);
        uint8_t *pa = harness_autofree(malloc(la ? la : 1));
        uint8_t *pb = harness_autofree(malloc(lb ? lb : 1));
        assert_non_null(pa);
        assert_non_null(pb);
        dajia__bulletin__pack(a, pa);
        dajia__bulletin__pack(b, pb);
        if (la != lb || memcmp(pa, pb, la) != 0)
            fail_msg("bulletin %zu (%s revision %u) differs paced and as a backlog:\n--- paced\n"
                     "%s\n--- backlog\n%s",
                     i, a->period, a->revision, a->markdown, b->markdown);
    }
    /* what the revisions say: October's for tax's late case and msa's correction,
       November's for customs' late zero report and msa's corrected fines */
    assert_int_equal(fx->got[0][1]->n_sources, 2);
    assert_string_equal(fx->got[0][1]->sources[0]->event_id, "b9");
    assert_string_equal(fx->got[0][1]->sources[1]->supersedes_event_id, "b1");
    assert_int_equal(fx->got[0][3]->n_sources, 2);
    assert_string_equal(fx->got[0][3]->sources[0]->event_id, "b12");
    assert_string_equal(fx->got[0][3]->sources[1]->event_id, "b13");
    s_broker_stop(&fx->a);
    s_broker_stop(&fx->b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_bulletins_paced_or_as_a_backlog, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
