/*  Integration: the circulate worker produces a period's bulletin when the broker's clock
    passes the period's end (issue 3, part 5 and part 9).

    The broker runs with its in-process workers and DAJIA_CLOCK a few seconds before the
    end of November 2026 in Beijing time (2026-12-01 00:00 +08:00 is 2026-11-30T16:00Z).
    Two units report November cases; then the test follows the public feed (subscribed
    before anything was submitted) until the bulletin for 2026-11 arrives, and checks it
    against figures worked out by hand, the silent units it names, and that REPLAY of the
    public feed holds that very bulletin, once.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

/* Eight seconds before the month's end: the events below are submitted (and applied)
   long before the boundary, even on a loaded machine or under ASan. */
#define S_CLOCK       "DAJIA_CLOCK=2026-11-30T15:59:52Z"
#define S_BOUNDARY_MS 1796054400000LL /* 2026-11-30T16:00:00Z = 12-01 00:00 Beijing */
#define S_WAIT_MS     60000           /* for the bulletin, once the boundary passed */
#define S_RECV_MS     500             /* one wait on the feed */
#define S_DAY_MS      86400000LL
#define S_NOV01_UTC   1793491200000LL /* 2026-11-01T00:00:00Z */
#define S_MEMBERS     23              /* the default member units */

typedef struct {
    char *dir;
    harness_proc_t *broker;
    harness_client_t *client;
    zsock_t *sub;
    char api[256];
    char public_feed[256];
    /* held here so that a failed assertion (a longjmp) leaks nothing */
    zchunk_t *live;        /* the bulletin as published */
    Dajia__FeedItem *item; /* ... and decoded */
    zchunk_t *replayed[8]; /* the bulletins REPLAY returns */
} fixture_t;

/* ================================================================ plumbing */

static void
s_ready_field(fixture_t *fx, const char *key, char *out, size_t size)
{
    const char *line = strstr(harness_proc_stdout(fx->broker), "READY ");
    assert_non_null(line);
    const char *at = strstr(line, key);
    assert_non_null(at);
    at += strlen(key);
    size_t len = strcspn(at, " \n");
    assert_true(len < size);
    memcpy(out, at, len);
    out[len] = '\0';
}

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

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    zchunk_destroy(&fx->live);
    if (fx->item)
        dajia__feed_item__free_unpacked(fx->item, NULL);
    for (size_t i = 0; i < 8; i++)
        zchunk_destroy(&fx->replayed[i]);
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

/* The broker with its workers, its clock just before the end of November. */
static void
s_start(fixture_t *fx)
{
    char *data = harness_autofree(harness_strf("%s/broker", fx->dir));
    const char *argv[] = {DAJIA_BROKER_BIN, "--data", data, "--api", "tcp://127.0.0.1:*", NULL};
    const char *env[] = {S_CLOCK, NULL};
    harness_opts_t opts = {.env = env, .capture_stderr = false};
    assert_int_equal(harness_proc_start(argv, &opts, &fx->broker), 0);
    int rc = harness_proc_wait_ready(fx->broker, HARNESS_READY_TIMEOUT_MS, fx->api, sizeof fx->api);
    if (rc)
        fail_msg("the broker gave no READY line (%d): %s", rc, harness_proc_stdout(fx->broker));
    s_ready_field(fx, "public=", fx->public_feed, sizeof fx->public_feed);
    assert_int_equal(harness_client_new(fx->api, HARNESS_RECV_TIMEOUT_MS, &fx->client), 0);
    fx->sub = zsock_new_sub(fx->public_feed, "bulletin");
    assert_non_null(fx->sub);
    zsock_set_rcvtimeo(fx->sub, S_RECV_MS);
}

/* One November case report. */
typedef struct {
    const char *unit;
    const char *event_id;
    const char *case_no;
    Dajia__CaseCategory category;
    Dajia__GoodsCategory goods; /* UNSPECIFIED: the report names none */
    Dajia__CaseStage stage;
    int64_t value_fen;
    int filed_day;  /* day of November (UTC midnight) */
    int closed_day; /* 0: not closed */
    bool ecommerce;
} s_case_t;

#define S_TM     DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING
#define S_PP     DAJIA__CASE_CATEGORY__CASE_CATEGORY_PATENT_PASSING_OFF
#define S_FILED  DAJIA__CASE_STAGE__CASE_STAGE_FILED
#define S_CLOSED DAJIA__CASE_STAGE__CASE_STAGE_CLOSED

static const s_case_t s_cases[] = {
    /* msa: case A filed, case B filed (sold online), then case A closed: a second report
       of A, which replaces the first and does not count it twice */
    {"msa", "bul-1", "msa-A", S_TM, DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_TEA, S_FILED, 1200000, 10,
     0, false},
    {"msa", "bul-2", "msa-B", S_TM, DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_FOOD, S_FILED, 800000, 12,
     0, true},
    {"msa", "bul-3", "msa-A", S_TM, DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_TEA, S_CLOSED, 1200000,
     10, 20, false},
    /* tax: one case, no goods named */
    {"tax", "bul-4", "tax-C", S_PP, DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_UNSPECIFIED, S_FILED,
     450000, 15, 0, false},
};

static void
s_submit_cases(fixture_t *fx)
{
    size_t n = sizeof s_cases / sizeof s_cases[0];
    for (size_t i = 0; i < n; i++) {
        const s_case_t *c = &s_cases[i];
        Dajia__Envelope env;
        Dajia__CaseReport report;
        Dajia__GoodsCategory goods = c->goods;
        harness_envelope_init(&env, &report, c->unit, c->event_id, c->case_no);
        /* in November whatever the wall clock says: the period is the event's */
        env.occurred_at = S_NOV01_UTC + 25 * S_DAY_MS + (int64_t)i * 60000;
        env.reported_at = env.occurred_at + 1000;
        report.category = c->category;
        report.stage = c->stage;
        report.case_value_fen = c->value_fen;
        report.filed_at = S_NOV01_UTC + (c->filed_day - 1) * S_DAY_MS;
        if (c->closed_day)
            report.closed_at = S_NOV01_UTC + (c->closed_day - 1) * S_DAY_MS;
        report.ecommerce = c->ecommerce;
        report.n_goods = c->goods ? 1 : 0;
        report.goods = c->goods ? &goods : NULL;
        assert_int_equal(harness_client_submit(fx->client, &env), 0);
        Dajia__Ack *ack = NULL;
        assert_int_equal(harness_client_recv_ack(fx->client, &ack), 0);
        assert_int_equal(ack->status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
        dajia__ack__free_unpacked(ack, NULL);
    }
}

/* Follows the public feed until the bulletin of `period` arrives; returns the packed
   FeedItem (caller destroys). */
static zchunk_t *
s_wait_bulletin(fixture_t *fx, const char *period)
{
    int64_t deadline = harness_now_ms() + S_WAIT_MS + 8000;
    while (harness_now_ms() < deadline) {
        zmsg_t *msg = zmsg_recv(fx->sub);
        if (!msg) {
            if (!harness_proc_running(fx->broker))
                fail_msg("the broker exited: %s", harness_proc_stdout(fx->broker));
            continue; /* a second without a bulletin: wait again */
        }
        assert_int_equal(zmsg_size(msg), 2);
        assert_true(zframe_streq(zmsg_first(msg), "bulletin"));
        zframe_t *body = zmsg_last(msg);
        Dajia__FeedItem *item =
            dajia__feed_item__unpack(NULL, zframe_size(body), zframe_data(body));
        assert_non_null(item);
        assert_int_equal(item->item_case, DAJIA__FEED_ITEM__ITEM_BULLETIN);
        bool match = strcmp(item->bulletin->period, period) == 0;
        dajia__feed_item__free_unpacked(item, NULL);
        zchunk_t *chunk = match ? zchunk_new(zframe_data(body), zframe_size(body)) : NULL;
        zmsg_destroy(&msg);
        if (match)
            return chunk;
    }
    fail_msg("no bulletin for %s on the public feed within %d s", period, S_WAIT_MS / 1000);
    return NULL;
}

/* Every bulletin that REPLAY of the public feed holds, packed, in feed order. */
static size_t
s_replay_bulletins(fixture_t *fx, zchunk_t **out, size_t max)
{
    size_t n = 0;
    uint64_t from = 1;
    bool more = true;
    while (more) {
        Dajia__FeedBatch *batch = NULL;
        assert_int_equal(
            harness_client_replay(fx->client, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, from, 0, &batch),
            0);
        assert_int_equal(batch->reason, DAJIA__REASON__REASON_NONE);
        for (size_t i = 0; i < batch->n_items; i++) {
            const Dajia__FeedItem *item = batch->items[i];
            assert_int_equal(item->audience, DAJIA__AUDIENCE__AUDIENCE_PUBLIC);
            from = item->feed_seq + 1;
            if (item->item_case != DAJIA__FEED_ITEM__ITEM_BULLETIN)
                continue;
            assert_true(n < max);
            size_t size = dajia__feed_item__get_packed_size(item);
            uint8_t *packed = malloc(size ? size : 1);
            assert_non_null(packed);
            dajia__feed_item__pack(item, packed);
            out[n++] = zchunk_new(packed, size);
            free(packed);
        }
        more = batch->more && batch->n_items > 0;
        dajia__feed_batch__free_unpacked(batch, NULL);
    }
    return n;
}

static const Dajia__AggregateRow *
s_row(Dajia__AggregateRow **rows, size_t n, const char *unit, int category, int goods)
{
    for (size_t i = 0; i < n; i++)
        if ((!unit || strcmp(rows[i]->unit, unit) == 0) &&
            (category < 0 || (int)rows[i]->category == category) &&
            (goods < 0 || (int)rows[i]->goods == goods))
            return rows[i];
    return NULL;
}

static bool
s_named(const Dajia__Bulletin *b, const char *unit)
{
    for (size_t i = 0; i < b->n_silent_units; i++)
        if (strcmp(b->silent_units[i], unit) == 0)
            return true;
    return false;
}

/* ================================================================ tests */

static void
test_bulletin_produced_at_month_boundary_with_hand_computed_figures(void **state)
{
    fixture_t *fx = *state;
    s_start(fx);
    s_submit_cases(fx);

    fx->live = s_wait_bulletin(fx, "2026-11");
    zchunk_t *live = fx->live;
    fx->item = dajia__feed_item__unpack(NULL, zchunk_size(live), zchunk_data(live));
    Dajia__FeedItem *item = fx->item;
    assert_non_null(item);
    const Dajia__Bulletin *b = item->bulletin;
    assert_int_equal(item->audience, DAJIA__AUDIENCE__AUDIENCE_PUBLIC);
    assert_string_equal(item->service, "circulate");
    /* produced at the boundary's tick, by the test clock, not the wall clock */
    assert_true(b->produced_at >= S_BOUNDARY_MS);
    assert_true(b->produced_at < S_BOUNDARY_MS + S_WAIT_MS);

    /* Item 1, by unit and category (goods summed):
       msa trademark counterfeiting: cases A and B filed = 2; A closed = 1;
         value 1,200,000 + 800,000 = 2,000,000 fen (A's second report replaces its first)
       tax patent passing-off: case C filed = 1, closed 0, value 450,000 fen */
    assert_int_equal(b->n_figures, 2);
    const Dajia__AggregateRow *msa = s_row(b->figures, b->n_figures, "msa", S_TM, -1);
    const Dajia__AggregateRow *tax = s_row(b->figures, b->n_figures, "tax", S_PP, -1);
    assert_non_null(msa);
    assert_non_null(tax);
    assert_string_equal(msa->period, "2026-11");
    assert_int_equal(msa->figures->cases_filed, 2);
    assert_int_equal(msa->figures->cases_closed, 1);
    assert_int_equal(msa->figures->case_value_fen, 2000000);
    assert_int_equal(tax->figures->cases_filed, 1);
    assert_int_equal(tax->figures->cases_closed, 0);
    assert_int_equal(tax->figures->case_value_fen, 450000);
    assert_int_equal(b->n_previous, 0); /* nothing was reported for October */

    /* Item 2, by goods (units summed): tea = A (1 filed, 1 closed, 1,200,000),
       food = B (1 filed, 800,000), none named = C (1 filed, 450,000); the e-commerce
       channel is B alone. */
    assert_int_equal(b->n_by_goods, 3);
    const Dajia__AggregateRow *tea =
        s_row(b->by_goods, b->n_by_goods, NULL, -1, DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_TEA);
    const Dajia__AggregateRow *food =
        s_row(b->by_goods, b->n_by_goods, NULL, -1, DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_FOOD);
    const Dajia__AggregateRow *none = s_row(b->by_goods, b->n_by_goods, NULL, -1,
                                            DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_UNSPECIFIED);
    assert_non_null(tea);
    assert_non_null(food);
    assert_non_null(none);
    assert_int_equal(tea->figures->cases_filed, 1);
    assert_int_equal(tea->figures->cases_closed, 1);
    assert_int_equal(tea->figures->case_value_fen, 1200000);
    assert_int_equal(food->figures->case_value_fen, 800000);
    assert_int_equal(none->figures->case_value_fen, 450000);
    assert_non_null(b->ecommerce);
    assert_int_equal(b->ecommerce->cases_filed, 1);
    assert_int_equal(b->ecommerce->case_value_fen, 800000);

    /* Silent units: the 23 members less msa and tax. */
    assert_int_equal(b->n_silent_units, S_MEMBERS - 2);
    assert_false(s_named(b, "msa"));
    assert_false(s_named(b, "tax"));
    assert_true(s_named(b, "psb"));
    assert_true(s_named(b, "court"));
    assert_true(s_named(b, "procuratorate"));

    /* Item 6 judges the latest month whose deadline (the 10th of the next month) had
       passed on 12-01: October, for which nobody reported. */
    assert_string_equal(b->compliance_period, "2026-10");
    assert_int_equal(b->n_compliance, S_MEMBERS);
    for (size_t i = 0; i < b->n_compliance; i++)
        assert_string_equal(b->compliance[i]->status, "missing");

    assert_non_null(strstr(b->markdown, "2026-11"));

    /* REPLAY holds the same bulletin, byte for byte, and only once. */
    size_t n = s_replay_bulletins(fx, fx->replayed, 8);
    size_t same = 0;
    for (size_t i = 0; i < n; i++)
        if (zchunk_size(fx->replayed[i]) == zchunk_size(live) &&
            memcmp(zchunk_data(fx->replayed[i]), zchunk_data(live), zchunk_size(live)) == 0)
            same++;
    assert_int_equal(n, 1);
    assert_int_equal(same, 1);
    assert_int_equal(harness_proc_stop(fx->broker), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_bulletin_produced_at_month_boundary_with_hand_computed_figures, s_setup,
            s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
