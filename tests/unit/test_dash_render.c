/*  test_dash_render: what the dashboard writes: amounts and labels, a table as HTML and as
    CSV, the query parameters it takes, the event hub of the live pages, and that a
    public page holds no office item whatever the view holds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dash_buf.h"
#include "dash_csv.h"
#include "dash_labels.h"
#include "dash_metrics.h"
#include "dash_query.h"
#include "dash_render.h"
#include "dash_sse.h"
#include "dash_table.h"
#include "dash_view.h"
#include "test_util.h"

/* 2026-11-30T00:00:00Z, 08:00 in Beijing. */
#define T_NOV30 1795996800000LL

static void
test_money_in_wan_with_separators(void **state)
{
    (void)state;
    char buf[DAJIA_LABEL_TEXT_MAX];
    assert_string_equal(dajia_label_money_wan(864000, buf, sizeof buf), "0.86");
    assert_string_equal(dajia_label_money_wan(0, buf, sizeof buf), "0.00");
    assert_string_equal(dajia_label_money_wan(1234560000, buf, sizeof buf), "1,234.56");
    assert_string_equal(dajia_label_money_wan(99995000, buf, sizeof buf), "100.00"); /* half up */
    assert_string_equal(dajia_label_money_wan(99994999, buf, sizeof buf), "99.99");
    assert_string_equal(dajia_label_money_wan(-864000, buf, sizeof buf), "-0.86");
    assert_string_equal(dajia_label_money_wan(-4999, buf, sizeof buf), "0.00"); /* never -0.00 */
    assert_string_equal(dajia_label_money_wan(INT64_MAX, buf, sizeof buf), "9,223,372,036,854.78");
    assert_string_equal(dajia_label_money_wan(INT64_MIN, buf, sizeof buf), "-9,223,372,036,854.78");
    char small[4];
    assert_string_equal(dajia_label_money_wan(1234560000, small, sizeof small), "");
    assert_string_equal(dajia_label_number(1234567, buf, sizeof buf), "1,234,567");
    assert_string_equal(dajia_label_number(-5, buf, sizeof buf), "-5");
    assert_string_equal(dajia_label_wan_unit(DAJIA_LANG_ZH), "万元");
}

static void
test_labels_in_chinese_and_english(void **state)
{
    (void)state;
    char buf[DAJIA_LABEL_TEXT_MAX];
    assert_string_equal(
        dajia_label_enum(&dajia__case_category__descriptor,
                         DAJIA__CASE_CATEGORY__CASE_CATEGORY_GEOGRAPHICAL_INDICATION,
                         DAJIA_LANG_ZH),
        "地理标志");
    assert_string_equal(dajia_label_enum(&dajia__severity__descriptor,
                                         DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR, DAJIA_LANG_EN),
                        "especially major");
    assert_string_equal(dajia_label_enum(&dajia__case_category__descriptor, 999, DAJIA_LANG_ZH),
                        "未知");
    assert_string_equal(dajia_label_member(NULL, 0, "psb", DAJIA_LANG_ZH), "市公安局");
    assert_string_equal(dajia_label_member(NULL, 0, "psb", DAJIA_LANG_EN),
                        "Public Security Bureau");
    assert_string_equal(dajia_label_member(NULL, 0, "nobody", DAJIA_LANG_ZH), "nobody");
    /* The configuration's names first; a renamed member loses its default English name. */
    dajia_member_t conf[] = {{"psb", "市公安局（新）", NULL}};
    assert_string_equal(dajia_label_member(conf, 1, "psb", DAJIA_LANG_ZH), "市公安局（新）");
    assert_string_equal(dajia_label_member(conf, 1, "psb", DAJIA_LANG_EN), "市公安局（新）");
    assert_string_equal(dash_label_rule("E3", DAJIA_LANG_ZH), "案值重大");
    assert_string_equal(dash_label_rule("OVERDUE-15D", DAJIA_LANG_ZH), "进展逾期");
    assert_string_equal(dash_label_rule("MM-PROGRESS", DAJIA_LANG_EN), "major matter progress");
    assert_string_equal(dash_label_rule("X9", DAJIA_LANG_ZH), "X9");
    assert_string_equal(dajia_label_compliance("pending", DAJIA_LANG_ZH), "待报送");
    assert_string_equal(
        dajia_label_minute(T_NOV30, DAJIA_TIME_BEIJING_MIN, DAJIA_LANG_ZH, buf, sizeof buf),
        "2026年11月30日 08:00");
    assert_string_equal(
        dajia_label_date(T_NOV30 - 1, DAJIA_TIME_BEIJING_MIN, DAJIA_LANG_EN, buf, sizeof buf),
        "2026-11-30");
    dajia_time_period_t p = {DAJIA_TIME_MONTH, 2026, 9};
    assert_string_equal(dajia_label_period(p, DAJIA_LANG_ZH, buf, sizeof buf), "2026年9月");
    assert_string_equal(dajia_label_period(p, DAJIA_LANG_EN, buf, sizeof buf), "September 2026");
    dajia_lang_t lang = DAJIA_LANG_ZH;
    assert_ok(dajia_lang_parse("en", &lang));
    assert_int_equal(lang, DAJIA_LANG_EN);
    assert_int_equal(dajia_lang_parse("EN", &lang), -EINVAL);
}

/* A small table: a unit, a count, money, a change, and a total row. */
static dash_table_t *
t_table(void)
{
    dash_table_t *t = dash_table_new("units", "案件 <统计>", 4);
    dash_table_col(t, 0, "name", "单位", DASH_COL_TEXT);
    dash_table_col(t, 1, "cases_filed", "立案数", DASH_COL_COUNT);
    dash_table_col(t, 2, "case_value_fen", "案值（万元）", DASH_COL_FEN);
    dash_table_col(t, 3, "mom", "环比", DASH_COL_CHANGE);
    size_t r = dash_table_row(t);
    dash_table_text(t, r, 0, "<script>alert(1)</script>, \"A\"");
    dash_table_num(t, r, 1, 1234);
    dash_table_num(t, r, 2, 1234560000);
    dash_table_ratio(t, r, 3, 3, 2);
    r = dash_table_row(t);
    dash_table_text(t, r, 0, "=cmd|' /C calc'!A0");
    dash_table_num(t, r, 1, 0);
    dash_table_num(t, r, 2, -1);
    dash_table_ratio(t, r, 3, 5, 0);
    r = dash_table_row(t);
    dash_table_text(t, r, 0, "合计");
    dash_table_num(t, r, 1, 1234);
    dash_table_num(t, r, 2, 1234559999);
    dash_table_ratio(t, r, 3, 1, 4);
    dash_table_mark(t, r, true, "total", NULL);
    assert_false(t->failed);
    return t;
}

static void
test_table_as_html_escapes_and_carries_exact_numbers(void **state)
{
    (void)state;
    dash_table_t *t = t_table();
    dash_buf_t b = {0};
    dash_render_table(&b, t, DAJIA_LANG_ZH);
    assert_false(b.failed);
    assert_null(strstr(b.data, "<script>"));
    assert_non_null(strstr(b.data, "&lt;script&gt;alert(1)&lt;/script&gt;, &quot;A&quot;"));
    assert_non_null(strstr(b.data, "<td class=\"num\" data-v=\"1234\">1,234</td>"));
    assert_non_null(strstr(b.data, "data-v=\"1234560000\">1,234.56</td>"));
    assert_non_null(
        strstr(b.data, "<td class=\"num up\" data-v=\"3\" data-base=\"2\">+50.0%</td>"));
    assert_non_null(strstr(b.data, "data-base=\"0\">—</td>")); /* no base: no change */
    assert_non_null(strstr(b.data, "<tfoot>\n<tr class=\"total\"><th scope=\"row\">合计</th>"));
    assert_non_null(strstr(b.data, "data-base=\"4\">-75.0%</td>"));
    dash_buf_reset(&b);
    dash_table_destroy(&t);
}

static void
test_table_as_csv(void **state)
{
    (void)state;
    dash_table_t *t = t_table();
    dash_buf_t b = {0};
    dash_csv_write(&b, t);
    assert_false(b.failed);
    assert_string_equal(b.data, "\xEF\xBB\xBF"
                                "单位,立案数,案值（万元）,环比\r\n"
                                "\"<script>alert(1)</script>, \"\"A\"\"\",1234,1234.560000,50.0\r\n"
                                "\"'=cmd|' /C calc'!A0\",0,-0.000001,\r\n"
                                "合计,1234,1234.559999,-75.0\r\n");
    dash_buf_reset(&b);
    dash_table_destroy(&t);
}

static void
test_query_parameters_are_checked_and_named(void **state)
{
    (void)state;
    dash_query_t q;
    char err[256];
    assert_ok(dash_query_path("/", &q));
    assert_int_equal(q.page, DASH_PAGE_FIGURES);
    assert_ok(dash_query_path("/figures.xlsx", &q));
    assert_int_equal(q.format, DASH_FORMAT_XLSX);
    assert_ok(dash_query_path("/bulletins/2026-11.csv", &q));
    assert_int_equal(q.page, DASH_PAGE_BULLETIN);
    assert_int_equal(q.format, DASH_FORMAT_CSV);
    assert_string_equal(q.bulletin, "2026-11");
    assert_ok(dash_query_path("/bulletins/2026-12-04T19:20:00Z", &q));
    assert_string_equal(q.bulletin, "2026-12-04T19:20:00Z");
    assert_int_equal(dash_query_path("/bulletins/../etc", &q), -ENOENT);
    assert_int_equal(dash_query_path("/figures/x", &q), -ENOENT);
    assert_int_equal(dash_query_path("/admin", &q), -ENOENT);

    assert_ok(dash_query_path("/figures", &q));
    assert_ok(dash_query_param(&q, "period", "2026-11", err, sizeof err));
    assert_int_equal(q.period.index, 11);
    assert_ok(dash_query_param(&q, "category", "geographical_indication", err, sizeof err));
    assert_int_equal(q.category, DAJIA__CASE_CATEGORY__CASE_CATEGORY_GEOGRAPHICAL_INDICATION);
    assert_int_equal(dash_query_param(&q, "period", "2026-10", err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "period")); /* given twice */
    assert_int_equal(dash_query_param(&q, "unit", "ps b", err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "\"unit\""));
    assert_int_equal(dash_query_param(&q, "rule", "E3", err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "\"rule\"")); /* not a parameter of this page */
    assert_int_equal(dash_query_param(&q, "table", NULL, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "\"table\""));

    assert_ok(dash_query_path("/figures", &q));
    assert_int_equal(dash_query_param(&q, "period", "2026-13", err, sizeof err), -EINVAL);
    assert_int_equal(dash_query_param(&q, "category", "GEOGRAPHICAL_INDICATION", err, sizeof err),
                     -EINVAL);
    assert_ok(dash_query_path("/escalations", &q));
    assert_ok(dash_query_param(&q, "level", "especially_major", err, sizeof err));
    assert_ok(dash_query_param(&q, "rule", "OVERDUE", err, sizeof err));
    assert_int_equal(dash_query_param(&q, "limit", "0", err, sizeof err), -EINVAL);
    assert_int_equal(dash_query_param(&q, "limit", "12x", err, sizeof err), -EINVAL);
    assert_ok(dash_query_param(&q, "limit", "50", err, sizeof err));
    char name[48];
    assert_string_equal(
        dash_query_category_name(DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING, name,
                                 sizeof name),
        "trademark_counterfeiting");
}

static void
test_live_event_hub(void **state)
{
    (void)state;
    dash_sse_t *hub = dash_sse_new(4);
    assert_non_null(hub);
    uint64_t id;
    char *event, *data;
    assert_int_equal(dash_sse_next(hub, 0, true, 10, &id, &event, &data), -ETIMEDOUT);
    assert_int_equal(dash_sse_publish(hub, true, "escalation", "{\"id\":\"x\"}"), 1);
    assert_int_equal(dash_sse_publish(hub, false, "figures", "{}"), 2);
    /* A public stream skips the office event. */
    assert_ok(dash_sse_next(hub, 0, false, 10, &id, &event, &data));
    assert_int_equal(id, 2);
    assert_string_equal(event, "figures");
    free(event);
    free(data);
    assert_ok(dash_sse_next(hub, 0, true, 10, &id, &event, &data));
    assert_int_equal(id, 1);
    assert_string_equal(data, "{\"id\":\"x\"}");
    free(event);
    free(data);
    /* Beyond the ring: reload. */
    for (int i = 0; i < 5; i++)
        dash_sse_publish(hub, false, "figures", "{}");
    assert_int_equal(dash_sse_next(hub, 1, false, 10, &id, &event, &data), -ERANGE);
    dash_sse_join(hub);
    assert_int_equal(dash_sse_streams(hub), 1);
    dash_sse_leave(hub);
    dash_sse_close(hub);
    assert_int_equal(dash_sse_next(hub, 7, false, 1000, &id, &event, &data), -ESHUTDOWN);
    dash_sse_destroy(&hub);
    assert_null(hub);
}

/* Applies `item` as feed item `seq` of `audience`. */
static void
t_apply(dash_view_t *view, Dajia__FeedItem *item, uint64_t seq, Dajia__Audience audience)
{
    item->feed_seq = seq;
    item->audience = audience;
    assert_ok(dash_view_apply(view, item, NULL));
}

/* Applies an AggregateUpdate of one row of `unit` and `category` in November 2026. */
static void
t_apply_row(dash_view_t *view, uint64_t seq, Dajia__Audience audience, const char *unit,
            int category, int64_t filed, int64_t value_fen)
{
    Dajia__Figures fig = DAJIA__FIGURES__INIT;
    fig.cases_filed = filed;
    fig.case_value_fen = value_fen;
    Dajia__AggregateRow row = DAJIA__AGGREGATE_ROW__INIT;
    row.period = "2026-11";
    row.unit = (char *)unit;
    row.category = (Dajia__CaseCategory)category;
    row.figures = &fig;
    Dajia__AggregateRow *rows[] = {&row};
    Dajia__AggregateUpdate up = DAJIA__AGGREGATE_UPDATE__INIT;
    up.rows = rows;
    up.n_rows = 1;
    Dajia__FeedItem agg = DAJIA__FEED_ITEM__INIT;
    agg.item_case = DAJIA__FEED_ITEM__ITEM_AGGREGATE;
    agg.aggregate = &up;
    t_apply(view, &agg, seq, audience);
}

/* Renders `path` into `out` (reset first); returns dash_render_page's answer. */
static int
t_render(dash_buf_t *out, const dash_page_ctx_t *p, const dash_view_t *view,
         const dash_report_ctx_t *r, const char *path)
{
    dash_query_t q;
    assert_ok(dash_query_path(path, &q));
    dash_buf_reset(out);
    return dash_render_page(out, p, view, r, &q);
}

/* Whatever the view holds, the public pages are made of public items only. */
static void
test_public_pages_hold_no_office_item(void **state)
{
    (void)state;
    dash_view_t *view = dash_view_new();
    Dajia__Escalation e = DAJIA__ESCALATION__INIT;
    e.escalation_id = "E3:psb/SECRET-CASE";
    e.rule = "E3";
    e.unit = "psb";
    e.case_no = "SECRET-CASE";
    e.reason = "a secret reason";
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.item_case = DAJIA__FEED_ITEM__ITEM_ESCALATION;
    item.escalation = &e;
    t_apply(view, &item, 1, DAJIA__AUDIENCE__AUDIENCE_OFFICE);
    /* An office-only aggregate row and an office-only bulletin, as a future feed might. */
    t_apply_row(view, 2, DAJIA__AUDIENCE__AUDIENCE_OFFICE, "psb",
                DAJIA__CASE_CATEGORY__CASE_CATEGORY_OTHER, 777777, 0);
    Dajia__Bulletin b = DAJIA__BULLETIN__INIT;
    b.period = "2026-10";
    b.markdown = "SECRET-BULLETIN";
    Dajia__FeedItem bi = DAJIA__FEED_ITEM__INIT;
    bi.item_case = DAJIA__FEED_ITEM__ITEM_BULLETIN;
    bi.bulletin = &b;
    t_apply(view, &bi, 3, DAJIA__AUDIENCE__AUDIENCE_OFFICE);

    dash_page_ctx_t p = {.lang = DAJIA_LANG_ZH, .broker_up = true, .now_ms = T_NOV30};
    dash_report_ctx_t r = {.lang = DAJIA_LANG_ZH, .now_ms = T_NOV30};
    const char *paths[] = {"/figures", "/bulletins"};
    dash_buf_t out = {0};
    for (size_t i = 0; i < 2; i++) {
        assert_ok(t_render(&out, &p, view, &r, paths[i]));
        assert_null(strstr(out.data, "SECRET"));
        assert_null(strstr(out.data, "777,777"));
        assert_null(strstr(out.data, "/bulletins/2026-10"));    /* the office bulletin: unlisted */
        assert_null(strstr(out.data, "href=\"/escalations\"")); /* show_office is off */
    }
    assert_int_equal(t_render(&out, &p, view, &r, "/bulletins/2026-10"), -ENOENT);
    /* The office page does show it, escaped. */
    p.show_office = true;
    assert_ok(t_render(&out, &p, view, &r, "/escalations"));
    assert_non_null(strstr(out.data, "id=\"E3:psb/SECRET-CASE\""));
    dash_buf_reset(&out);
    dash_view_destroy(&view);
}

static void
test_every_page_says_when_the_broker_is_down(void **state)
{
    (void)state;
    dash_view_t *view = dash_view_new();
    dash_page_ctx_t p = {.lang = DAJIA_LANG_ZH,
                         .broker_up = false,
                         .now_ms = T_NOV30,
                         .down_since_ms = T_NOV30,
                         .show_office = true};
    snprintf(p.reason, sizeof p.reason, "no answer from <the broker>");
    dash_report_ctx_t r = {.lang = DAJIA_LANG_ZH, .now_ms = T_NOV30};
    const char *paths[] = {"/figures", "/bulletins", "/escalations", "/matters", "/compliance"};
    dash_buf_t out = {0};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        assert_ok(t_render(&out, &p, view, &r, paths[i]));
        assert_non_null(strstr(out.data, "class=\"banner down\""));
        assert_non_null(strstr(out.data, "no answer from &lt;the broker&gt;"));
        assert_non_null(strstr(out.data, "2026年11月30日 08:00"));
    }
    dash_buf_reset(&out);
    dash_view_destroy(&view);
}

static void
test_pages_in_english_by_the_setting(void **state)
{
    (void)state;
    dash_view_t *view = dash_view_new();
    t_apply_row(view, 1, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, "psb",
                DAJIA__CASE_CATEGORY__CASE_CATEGORY_UNSAFE_FOOD, 3, 123456789);
    dash_page_ctx_t p = {.lang = DAJIA_LANG_EN, .broker_up = true, .now_ms = T_NOV30};
    dash_report_ctx_t r = {.lang = DAJIA_LANG_EN, .now_ms = T_NOV30};
    dash_buf_t out = {0};
    assert_ok(t_render(&out, &p, view, &r, "/figures"));
    assert_non_null(strstr(out.data, "<html lang=\"en\">"));
    assert_non_null(strstr(out.data, "Public Security Bureau"));
    assert_non_null(strstr(out.data, "unsafe food"));
    assert_non_null(strstr(out.data, "November 2026"));
    assert_non_null(strstr(out.data, ">123.46<")); /* 万元 in both languages */
    assert_null(strstr(out.data, "市公安局"));
    p.lang = r.lang = DAJIA_LANG_ZH;
    assert_ok(t_render(&out, &p, view, &r, "/figures"));
    assert_non_null(strstr(out.data, "<html lang=\"zh-CN\">"));
    assert_non_null(strstr(out.data, "市公安局"));
    assert_non_null(strstr(out.data, "不安全食品"));
    assert_non_null(strstr(out.data, "2026年11月"));
    dash_buf_reset(&out);
    dash_view_destroy(&view);
}

static void
test_metrics_in_prometheus_text(void **state)
{
    (void)state;
    dash_metrics_t m = {.follow = {.up = true, .view_seq = 42, .broker_feed_seq = 43},
                        .streams = 3,
                        .stats_json = "{\"received\":10,\"accepted\":8,\"duplicates\":1,"
                                      "\"rejected\":1,\"rejected_by_reason\":{\"unknown_unit\":1},"
                                      "\"commit_ms\":{\"p50\":0.5,\"p99\":2.0,"
                                      "\"bounds\":[0.1,0.25,1000.0],\"buckets\":[1,3,4,5],"
                                      "\"sum\":1234.5,\"count\":5},"
                                      "\"workers\":{\"aggregate\":{\"cursor\":8,\"lag\":0},"
                                      "\"escalate\":{\"cursor\":5,\"lag\":3}},"
                                      "\"log\":{\"last_seq\":8}}"};
    m.requests[dash_metrics_code_slot(200)] = 5;
    m.requests[dash_metrics_code_slot(418)] = 1;
    dash_buf_t b = {0};
    dash_metrics_write(&b, &m);
    assert_non_null(strstr(b.data, "# TYPE dajia_dash_up gauge\ndajia_dash_up 1\n"));
    assert_non_null(strstr(b.data, "\ndajia_dash_feed_seq 42\n"));
    assert_non_null(strstr(b.data, "\ndajia_feed_last_seq 43\n"));
    assert_non_null(strstr(b.data, "\ndajia_dash_event_streams 3\n"));
    assert_non_null(strstr(b.data, "dajia_dash_http_requests_total{code=\"200\"} 5\n"));
    assert_non_null(strstr(b.data, "dajia_dash_http_requests_total{code=\"other\"} 1\n"));
    assert_non_null(strstr(b.data, "# TYPE dajia_broker_accepted_total counter\n"
                                   "dajia_broker_accepted_total 8\n"));
    assert_non_null(
        strstr(b.data, "dajia_broker_rejected_by_reason_total{reason=\"unknown_unit\"} 1\n"));
    assert_non_null(
        strstr(b.data, "dajia_broker_commit_latency_seconds{quantile=\"0.99\"} 0.002\n"));
    /* The histogram in seconds, its buckets cumulative and +Inf last. */
    assert_non_null(strstr(b.data, "# TYPE dajia_broker_commit_seconds histogram\n"
                                   "dajia_broker_commit_seconds_bucket{le=\"0.0001\"} 1\n"
                                   "dajia_broker_commit_seconds_bucket{le=\"0.00025\"} 3\n"
                                   "dajia_broker_commit_seconds_bucket{le=\"1\"} 4\n"
                                   "dajia_broker_commit_seconds_bucket{le=\"+Inf\"} 5\n"
                                   "dajia_broker_commit_seconds_sum 1.2345\n"
                                   "dajia_broker_commit_seconds_count 5\n"));
    assert_non_null(strstr(b.data, "# TYPE dajia_broker_worker_lag gauge\n"
                                   "dajia_broker_worker_lag{service=\"aggregate\"} 0\n"
                                   "dajia_broker_worker_lag{service=\"escalate\"} 3\n"));
    assert_non_null(strstr(b.data, "dajia_broker_worker_cursor{service=\"escalate\"} 5\n"));
    dash_buf_reset(&b);
    /* An older broker's STATS without them: said, not invented. */
    m.stats_json = "{\"accepted\":1,\"commit_ms\":{\"p50\":0.5}}";
    dash_metrics_write(&b, &m);
    assert_null(strstr(b.data, "dajia_broker_commit_seconds_bucket"));
    assert_null(strstr(b.data, "dajia_broker_worker_lag{"));
    assert_non_null(strstr(b.data, "# the commit latency's histogram: not in the broker's STATS"));
    assert_non_null(strstr(b.data, "# worker services' lag behind the log: not in"));
    dash_buf_reset(&b);
    m.stats_json = NULL;
    dash_metrics_write(&b, &m);
    assert_null(strstr(b.data, "dajia_broker_accepted_total"));
    assert_non_null(strstr(b.data, "# the broker's counters: not available"));
    dash_buf_reset(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_money_in_wan_with_separators),
        cmocka_unit_test(test_labels_in_chinese_and_english),
        cmocka_unit_test(test_table_as_html_escapes_and_carries_exact_numbers),
        cmocka_unit_test(test_table_as_csv),
        cmocka_unit_test(test_query_parameters_are_checked_and_named),
        cmocka_unit_test(test_live_event_hub),
        cmocka_unit_test(test_public_pages_hold_no_office_item),
        cmocka_unit_test(test_every_page_says_when_the_broker_is_down),
        cmocka_unit_test(test_pages_in_english_by_the_setting),
        cmocka_unit_test(test_metrics_in_prometheus_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
