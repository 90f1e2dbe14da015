/*  dash_render: the dashboard's HTML (see dash_render.h).

    Text from the feed (titles, reasons, names) is always escaped (dash_buf_html); the
    only markup written unescaped is this file's own.
*/
#include "dash_render.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dash_chart.h"

#define S_TEXT     DAJIA_LABEL_TEXT_MAX
#define S_MONTHS   36  /* months offered in the period filter */
#define S_ESC_ROWS 500 /* escalations shown by default */

static const char *
s_t(dajia_lang_t lang, const char *zh, const char *en)
{
    return lang == DAJIA_LANG_EN ? en : zh;
}

static const char *
s_page_title(dash_page_t page, dajia_lang_t l)
{
    switch (page) {
    case DASH_PAGE_FIGURES:
        return s_t(l, "案件数据", "Figures");
    case DASH_PAGE_BULLETINS:
    case DASH_PAGE_BULLETIN:
        return s_t(l, "工作通报", "Bulletins");
    case DASH_PAGE_ESCALATIONS:
        return s_t(l, "督办事项", "Escalations");
    case DASH_PAGE_MATTERS:
        return s_t(l, "重大事项", "Major matters");
    case DASH_PAGE_COMPLIANCE:
        return s_t(l, "报送情况", "Compliance now");
    default:
        return "";
    }
}

static const char *
s_live_name(dash_page_t page)
{
    switch (page) {
    case DASH_PAGE_FIGURES:
        return "figures";
    case DASH_PAGE_BULLETINS:
        return "bulletins";
    case DASH_PAGE_ESCALATIONS:
        return "escalations";
    case DASH_PAGE_MATTERS:
        return "matters";
    case DASH_PAGE_COMPLIANCE:
        return "compliance";
    default:
        return "";
    }
}

// ================================================================ frame

static void
s_head(dash_buf_t *out, const dash_page_ctx_t *p, dash_page_t page, const char *title,
       bool printable)
{
    dajia_lang_t l = p->lang;
    dash_buf_printf(out,
                    "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<title>",
                    l == DAJIA_LANG_EN ? "en" : "zh-CN");
    dash_buf_html(out, title);
    dash_buf_printf(out, " · %s</title>", s_t(l, "打击侵权假冒工作数据看板", "dajia dashboard"));
    dash_buf_puts(out, "<link rel=\"stylesheet\" href=\"/static/dash.css\">"
                       "<script src=\"/static/dash.js\" defer></script></head>\n");
    dash_buf_printf(
        out, "<body data-live=\"%s\" data-seq=\"%" PRIu64 "\" data-events=\"%" PRIu64 "\"%s>\n",
        s_live_name(page), p->feed_seq, p->events_since, printable ? " class=\"printable\"" : "");
    dash_buf_printf(out, "<header class=\"top\"><a class=\"brand\" href=\"/\">%s</a><nav>",
                    s_t(l, "打击侵权假冒工作数据看板", "dajia dashboard"));
    static const struct {
        dash_page_t page;
        const char *href;
        bool office;
    } nav[] = {{DASH_PAGE_FIGURES, "/figures", false},
               {DASH_PAGE_BULLETINS, "/bulletins", false},
               {DASH_PAGE_ESCALATIONS, "/escalations", true},
               {DASH_PAGE_MATTERS, "/matters", true},
               {DASH_PAGE_COMPLIANCE, "/compliance", true}};
    for (size_t i = 0; i < sizeof nav / sizeof nav[0]; i++) {
        if (nav[i].office && !p->show_office)
            continue;
        bool here = nav[i].page == page ||
                    (page == DASH_PAGE_BULLETIN && nav[i].page == DASH_PAGE_BULLETINS);
        dash_buf_printf(out, "<a href=\"%s\"%s>%s</a>", nav[i].href,
                        here ? " class=\"here\" aria-current=\"page\"" : "",
                        s_page_title(nav[i].page, l));
    }
    dash_buf_puts(out, "</nav>");
    if (p->auth && p->user) {
        dash_buf_puts(out, "<form class=\"who\" method=\"post\" action=\"/logout\"><span>");
        dash_buf_html(out, p->user);
        dash_buf_printf(out, " (%s)</span> <button type=\"submit\">%s</button></form>",
                        p->role && strcmp(p->role, "office") == 0 ? s_t(l, "办公室", "office")
                                                                  : s_t(l, "查看", "viewer"),
                        s_t(l, "退出", "Log out"));
    }
    dash_buf_puts(out, "</header>\n");
    /* The broker's state, on every page; the script keeps it current. */
    char since[S_TEXT] = "";
    if (!p->broker_up && p->down_since_ms)
        dajia_label_minute(p->down_since_ms, DAJIA_TIME_BEIJING_MIN, l, since, sizeof since);
    dash_buf_printf(out, "<div id=\"broker-status\" class=\"banner %s\" role=\"status\"%s>",
                    p->broker_up ? "up" : "down", p->broker_up ? " hidden" : "");
    if (!p->broker_up) {
        dash_buf_puts(out, s_t(l, "未连接到数据中心（broker）", "Not following the broker"));
        if (*since)
            dash_buf_printf(out, "%s%s%s", s_t(l, "，自 ", " since "), since, s_t(l, " 起", ""));
        dash_buf_puts(out, s_t(l, "：", ": "));
        dash_buf_html(out, p->reason);
        dash_buf_puts(out, s_t(l, "。本页显示的是最后一次获取的数据。",
                               ". This page shows the last state received."));
    }
    dash_buf_puts(out, "</div>\n<main>\n");
}

static void
s_foot(dash_buf_t *out, const dash_page_ctx_t *p)
{
    char now[S_TEXT];
    dajia_label_minute(p->now_ms, DAJIA_TIME_BEIJING_MIN, p->lang, now, sizeof now);
    dash_buf_printf(
        out, "</main>\n<footer>%s %s · %s #%" PRIu64 " · %s</footer>\n</body></html>\n",
        s_t(p->lang, "北京时间", "Beijing time"), now,
        s_t(p->lang, "数据截至通报流序号", "feed item"), p->feed_seq,
        s_t(p->lang, "本页无需 JavaScript 即可使用", "this page works without JavaScript"));
}

// ================================================================ tables

void
dash_render_table(dash_buf_t *out, const dash_table_t *t, dajia_lang_t lang)
{
    dash_buf_puts(out, "<div class=\"scroll\"><table class=\"data\" id=\"");
    dash_buf_html(out, t->id);
    dash_buf_puts(out, "\"><thead><tr>");
    for (size_t c = 0; c < t->n_cols; c++) {
        dash_buf_printf(out, "<th scope=\"col\" data-col=\"");
        dash_buf_html(out, t->cols[c].key);
        dash_buf_printf(out, "\"%s>", t->cols[c].kind == DASH_COL_TEXT ? "" : " class=\"num\"");
        dash_buf_html(out, t->cols[c].header);
        dash_buf_puts(out, "</th>");
    }
    dash_buf_puts(out, "</tr></thead>\n<tbody");
    dash_buf_puts(out, " id=\"");
    dash_buf_html(out, t->id);
    dash_buf_puts(out, "-body\">\n");
    bool in_foot = false;
    for (size_t r = 0; r < t->n_rows; r++) {
        const dash_trow_t *row = &t->rows[r];
        if (row->total && !in_foot) {
            dash_buf_puts(out, "</tbody><tfoot>\n");
            in_foot = true;
        }
        dash_buf_puts(out, "<tr");
        if (row->id) {
            dash_buf_puts(out, " id=\"");
            dash_buf_html(out, row->id);
            dash_buf_puts(out, "\"");
        }
        if (row->css) {
            dash_buf_puts(out, " class=\"");
            dash_buf_html(out, row->css);
            dash_buf_puts(out, "\"");
        }
        dash_buf_puts(out, ">");
        for (size_t c = 0; c < t->n_cols; c++) {
            const dash_cell_t *cell = &row->cells[c];
            char text[S_TEXT];
            const char *tag = c == 0 ? "th" : "td";
            if (t->cols[c].kind == DASH_COL_TEXT) {
                dash_buf_printf(out, "<%s%s>", tag, c == 0 ? " scope=\"row\"" : "");
                if (cell->href) {
                    dash_buf_puts(out, "<a href=\"");
                    dash_buf_html(out, cell->href);
                    dash_buf_puts(out, "\">");
                }
                dash_buf_html(out, cell->text);
                if (cell->href)
                    dash_buf_puts(out, "</a>");
                dash_buf_printf(out, "</%s>", tag);
                continue;
            }
            dash_chart_cell_text(t, r, c, text, sizeof text);
            const char *css = "num";
            int64_t pm;
            if (t->cols[c].kind == DASH_COL_CHANGE &&
                dash_table_change_permille(cell->n, cell->base, &pm))
                css = pm > 0 ? "num up" : pm < 0 ? "num down" : "num";
            dash_buf_printf(out, "<%s class=\"%s\" data-v=\"%" PRId64 "\"", tag, css, cell->n);
            if (t->cols[c].kind == DASH_COL_CHANGE || t->cols[c].kind == DASH_COL_SHARE)
                dash_buf_printf(out, " data-base=\"%" PRId64 "\"", cell->base);
            dash_buf_puts(out, ">");
            dash_buf_html(out, text);
            dash_buf_printf(out, "</%s>", tag);
        }
        dash_buf_puts(out, "</tr>\n");
    }
    dash_buf_puts(out, in_foot ? "</tfoot>" : "</tbody>");
    dash_buf_puts(out, "</table></div>\n");
    if (t->n_rows == 0)
        dash_buf_printf(out, "<p class=\"empty\">%s</p>\n",
                        s_t(lang, "暂无数据。", "Nothing yet."));
    if (t->note) {
        dash_buf_puts(out, "<p class=\"note\">");
        dash_buf_html(out, t->note);
        dash_buf_puts(out, "</p>\n");
    }
}

/* The query of the page without `table`, for download links: "period=2026-11&unit=psb". */
static void
s_query_string(dash_buf_t *out, const dash_query_t *q)
{
    char name[48];
    const char *sep = "";
    if (q->has_period && q->page == DASH_PAGE_FIGURES) {
        char p[DAJIA_TIME_PERIOD_MAX];
        dash_buf_printf(out, "period=%s", dajia_time_period_format(q->period, p, sizeof p));
        sep = "&";
    }
    if (*q->unit) {
        dash_buf_printf(out, "%sunit=", sep);
        dash_buf_url(out, q->unit);
        sep = "&";
    }
    if (q->category > 0) {
        dash_buf_printf(out, "%scategory=%s", sep,
                        dash_query_category_name(q->category, name, sizeof name));
        sep = "&";
    }
    if (*q->rule) {
        dash_buf_printf(out, "%srule=", sep);
        dash_buf_url(out, q->rule);
        sep = "&";
    }
    if (q->level)
        dash_buf_printf(out, "%slevel=%s", sep,
                        q->level == DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR ? "especially_major"
                                                                               : "major"),
            sep = "&";
    if (q->rev)
        dash_buf_printf(out, "%srev=%d", sep, q->rev);
}

/* The path of the page (without a format): "/figures", "/bulletins/2026-11". */
static void
s_page_path(dash_buf_t *out, const dash_query_t *q)
{
    switch (q->page) {
    case DASH_PAGE_BULLETIN:
        dash_buf_puts(out, "/bulletins/");
        dash_buf_url(out, q->bulletin);
        break;
    case DASH_PAGE_BULLETINS:
        dash_buf_puts(out, "/bulletins");
        break;
    case DASH_PAGE_ESCALATIONS:
        dash_buf_puts(out, "/escalations");
        break;
    case DASH_PAGE_MATTERS:
        dash_buf_puts(out, "/matters");
        break;
    case DASH_PAGE_COMPLIANCE:
        dash_buf_puts(out, "/compliance");
        break;
    default:
        dash_buf_puts(out, "/figures");
        break;
    }
}

/* A table with its title, its download links and its section. */
static void
s_section(dash_buf_t *out, const dash_page_ctx_t *p, const dash_query_t *q, const dash_table_t *t,
          const char *number)
{
    dash_buf_puts(out, "<section class=\"table\" id=\"t-");
    dash_buf_html(out, t->id);
    dash_buf_puts(out, "\"><div class=\"section-head\"><h2>");
    if (number)
        dash_buf_html(out, number);
    dash_buf_html(out, t->title);
    dash_buf_puts(out, "</h2><span class=\"downloads\">");
    dash_buf_t qs = {0};
    s_query_string(&qs, q);
    const char *formats[] = {"csv", "xlsx"};
    for (size_t i = 0; i < 2; i++) {
        dash_buf_puts(out, "<a class=\"download\" href=\"");
        dash_buf_t href = {0};
        s_page_path(&href, q);
        dash_buf_printf(&href, ".%s?table=%s%s%s", formats[i], t->id, qs.len ? "&" : "",
                        qs.data ? qs.data : "");
        dash_buf_html(out, href.data);
        dash_buf_reset(&href);
        dash_buf_printf(out, "\" download>%s</a>", i == 0 ? "CSV" : "XLSX");
    }
    dash_buf_reset(&qs);
    dash_buf_puts(out, "</span></div>\n");
    dash_render_table(out, t, p->lang);
    dash_buf_puts(out, "</section>\n");
}

// ================================================================ pages' tables

void
dash_render_tables(const dash_view_t *view, const dash_report_ctx_t *rctx, const dash_query_t *q,
                   dash_tables_t *out, const Dajia__FeedItem **bulletin)
{
    if (bulletin)
        *bulletin = NULL;
    switch (q->page) {
    case DASH_PAGE_FIGURES: {
        dash_figquery_t fq = {0};
        fq.period = q->has_period ? q->period : dash_report_default_month(view, rctx);
        snprintf(fq.unit, sizeof fq.unit, "%s", q->unit);
        fq.category = q->category;
        dash_report_figures(view, rctx, &fq, out);
        break;
    }
    case DASH_PAGE_BULLETINS:
        dash_report_bulletins(view, rctx, out);
        break;
    case DASH_PAGE_BULLETIN: {
        const Dajia__FeedItem *b = dash_report_bulletin_find(view, q->bulletin, q->rev);
        if (bulletin)
            *bulletin = b;
        if (b)
            dash_report_bulletin(b->bulletin, rctx, out);
        break;
    }
    case DASH_PAGE_ESCALATIONS: {
        dash_escfilter_t f = {q->unit, q->rule, q->level};
        dash_report_escalations(view, rctx, &f, q->limit > 0 ? (size_t)q->limit : S_ESC_ROWS, out);
        break;
    }
    case DASH_PAGE_MATTERS:
        dash_report_matters(view, rctx, out);
        break;
    case DASH_PAGE_COMPLIANCE:
        dash_report_compliance(view, rctx, out);
        break;
    default:
        break;
    }
}

// ================================================================ figures

static void
s_select_member(dash_buf_t *out, const dash_report_ctx_t *rctx, const char *selected)
{
    dajia_lang_t l = rctx->lang;
    dash_buf_printf(out, "<label>%s <select name=\"unit\"><option value=\"\">%s</option>",
                    s_t(l, "单位", "Unit"), s_t(l, "全部成员单位", "every member unit"));
    size_t n;
    const dajia_member_t *m = dash_report_members(rctx, &n);
    for (size_t i = 0; i < n; i++) {
        dash_buf_puts(out, "<option value=\"");
        dash_buf_html(out, m[i].code);
        dash_buf_printf(out, "\"%s>", strcmp(selected, m[i].code) == 0 ? " selected" : "");
        dash_buf_html(out, dajia_label_member(rctx->members, rctx->n_members, m[i].code, l));
        dash_buf_puts(out, "</option>");
    }
    dash_buf_puts(out, "</select></label>\n");
}

static void
s_figures_filters(dash_buf_t *out, const dash_view_t *view, const dash_report_ctx_t *rctx,
                  const dash_query_t *q, dajia_time_period_t shown)
{
    dajia_lang_t l = rctx->lang;
    dajia_time_period_t months[S_MONTHS];
    size_t n = dash_report_months(view, months, S_MONTHS);
    char name[DAJIA_TIME_PERIOD_MAX], label[S_TEXT];
    dash_buf_printf(out,
                    "<form class=\"filters\" method=\"get\" action=\"/figures\">"
                    "<label>%s <select name=\"period\">",
                    s_t(l, "月份", "Month"));
    bool listed = false;
    for (size_t i = 0; i < n; i++) {
        bool sel = months[i].year == shown.year && months[i].index == shown.index;
        listed = listed || sel;
        dash_buf_printf(out, "<option value=\"%s\"%s>%s</option>",
                        dajia_time_period_format(months[i], name, sizeof name),
                        sel ? " selected" : "",
                        dajia_label_period(months[i], l, label, sizeof label));
    }
    if (!listed)
        dash_buf_printf(out, "<option value=\"%s\" selected>%s</option>",
                        dajia_time_period_format(shown, name, sizeof name),
                        dajia_label_period(shown, l, label, sizeof label));
    dash_buf_puts(out, "</select></label>\n");
    s_select_member(out, rctx, q->unit);
    dash_buf_printf(out, "<label>%s <select name=\"category\"><option value=\"\">%s</option>",
                    s_t(l, "案件类别", "Case category"), s_t(l, "全部类别", "every category"));
    const ProtobufCEnumDescriptor *d = &dajia__case_category__descriptor;
    for (unsigned i = 0; i < d->n_values; i++) {
        int v = d->values[i].value;
        if (v <= 0)
            continue;
        char cname[48];
        dash_buf_printf(out, "<option value=\"%s\"%s>",
                        dash_query_category_name(v, cname, sizeof cname),
                        q->category == v ? " selected" : "");
        dash_buf_html(out, dajia_label_enum(d, v, l));
        dash_buf_puts(out, "</option>");
    }
    dash_buf_printf(out, "</select></label> <button type=\"submit\">%s</button></form>\n",
                    s_t(l, "查看", "Show"));
}

/* The four headline figures of the month, from the total row of the units table. */
static void
s_figures_cards(dash_buf_t *out, const dash_table_t *units, dajia_lang_t l)
{
    if (!units || units->n_rows == 0)
        return;
    size_t r = units->n_rows - 1; /* the total */
    struct {
        const char *key;
        const char *change_key;
    } cards[] = {{"cases_filed", "cases_filed_mom"},
                 {"cases_closed", NULL},
                 {"case_value_fen", "case_value_mom"},
                 {"fines_confiscations_fen", NULL}};
    dash_buf_puts(out, "<div class=\"cards\">");
    for (size_t i = 0; i < sizeof cards / sizeof cards[0]; i++) {
        size_t col = 0, ccol = 0;
        for (size_t c = 0; c < units->n_cols; c++) {
            if (strcmp(units->cols[c].key, cards[i].key) == 0)
                col = c;
            if (cards[i].change_key && strcmp(units->cols[c].key, cards[i].change_key) == 0)
                ccol = c;
        }
        char text[S_TEXT], change[S_TEXT];
        dash_chart_cell_text(units, r, col, text, sizeof text);
        dash_buf_printf(out, "<div class=\"card\" id=\"card-%s\"><div class=\"card-label\">",
                        cards[i].key);
        dash_buf_html(out, units->cols[col].header);
        dash_buf_printf(out, "</div><div class=\"card-value\" data-v=\"%" PRId64 "\">",
                        units->rows[r].cells[col].n);
        dash_buf_html(out, text);
        dash_buf_puts(out, "</div>");
        if (ccol) {
            dash_chart_cell_text(units, r, ccol, change, sizeof change);
            dash_buf_printf(out, "<div class=\"card-change\">%s ",
                            s_t(l, "环比", "vs previous month"));
            dash_buf_html(out, change);
            dash_buf_puts(out, "</div>");
        }
        dash_buf_puts(out, "</div>");
    }
    dash_buf_puts(out, "</div>\n");
}

static void
s_page_figures(dash_buf_t *out, const dash_page_ctx_t *p, const dash_view_t *view,
               const dash_report_ctx_t *rctx, const dash_query_t *q, const dash_tables_t *tables)
{
    dajia_lang_t l = p->lang;
    dajia_time_period_t shown = q->has_period ? q->period : dash_report_default_month(view, rctx);
    char label[S_TEXT];
    dash_buf_printf(out, "<h1>%s <small>", s_t(l, "案件数据", "Figures"));
    dash_buf_html(out, dajia_label_period(shown, l, label, sizeof label));
    dash_buf_puts(out, "</small></h1>\n");
    s_figures_filters(out, view, rctx, q, shown);
    dash_table_t *units = dash_tables_find(tables, "units");
    dash_table_t *goods = dash_tables_find(tables, "goods");
    dash_table_t *trend = dash_tables_find(tables, "trend");
    s_figures_cards(out, units, l);
    dash_buf_puts(out, "<div class=\"charts\">");
    if (units)
        dash_chart_bars(out, units, 0, 1, 0, s_t(l, "各单位立案数", "Cases filed by unit"));
    if (trend)
        dash_chart_line(out, trend, 0, 1, s_t(l, "近12个月立案数", "Cases filed, 12 months"));
    if (goods)
        dash_chart_bars(out, goods, 0, 2, 10,
                        s_t(l, "商品类别立案占比", "Share of cases by goods"));
    dash_buf_puts(out, "</div>\n");
    for (size_t i = 0; i < tables->count; i++)
        s_section(out, p, q, tables->items[i], NULL);
    if (!dash_tables_find(tables, "channels"))
        dash_buf_printf(out, "<p class=\"note\">%s</p>\n",
                        s_t(l, "按流通渠道的数据随该月的工作通报发布（全市合计）。",
                            "The figures by sales channel come with the month's bulletin (for "
                            "the whole city)."));
}

// ================================================================ bulletins

static void
s_page_bulletins(dash_buf_t *out, const dash_page_ctx_t *p, const dash_query_t *q,
                 const dash_tables_t *tables)
{
    dajia_lang_t l = p->lang;
    dash_buf_printf(out, "<h1>%s</h1>\n", s_t(l, "工作通报", "Bulletins"));
    dash_buf_printf(out, "<p>%s</p>\n",
                    s_t(l, "每月结束后由领导小组办公室印发；点击期别查看可打印的通报全文。",
                        "Issued by the Office when a month ends; open one for its printable "
                        "text."));
    for (size_t i = 0; i < tables->count; i++)
        s_section(out, p, q, tables->items[i], NULL);
}

/* The sentence that opens a bulletin: the city's totals against the previous period. */
static void
s_bulletin_summary(dash_buf_t *out, const dash_table_t *units, dajia_lang_t l)
{
    if (!units || units->n_rows == 0)
        return;
    const dash_trow_t *tot = &units->rows[units->n_rows - 1];
    char filed[S_TEXT], prev[S_TEXT], closed[S_TEXT], value[S_TEXT], fines[S_TEXT], change[S_TEXT];
    dajia_label_number(tot->cells[1].n, filed, sizeof filed);
    dajia_label_number(tot->cells[2].n, prev, sizeof prev);
    dash_chart_cell_text(units, units->n_rows - 1, 3, change, sizeof change);
    dajia_label_number(tot->cells[4].n, closed, sizeof closed);
    dajia_label_money_wan(tot->cells[5].n, value, sizeof value);
    dajia_label_money_wan(tot->cells[7].n, fines, sizeof fines);
    dash_buf_puts(out, "<p class=\"summary\" id=\"bulletin-summary\">");
    if (l == DAJIA_LANG_EN)
        dash_buf_printf(out,
                        "In this period the member units filed <b>%s</b> cases (previous period "
                        "%s, %s), closed <b>%s</b>, with a case value of <b>%s</b> (10,000 "
                        "yuan) and fines and confiscations of <b>%s</b> (10,000 yuan).",
                        filed, prev, change, closed, value, fines);
    else
        dash_buf_printf(out,
                        "本期全市各成员单位共立案 <b>%s</b> 件（上期 %s 件，环比 %s），结案 "
                        "<b>%s</b> 件，案值 <b>%s</b> 万元，罚没金额 <b>%s</b> 万元。",
                        filed, prev, change, closed, value, fines);
    dash_buf_puts(out, "</p>\n");
}

static void
s_page_bulletin(dash_buf_t *out, const dash_page_ctx_t *p, const dash_view_t *view,
                const dash_query_t *q, const Dajia__FeedItem *item, const dash_tables_t *tables)
{
    dajia_lang_t l = p->lang;
    const Dajia__Bulletin *b = item->bulletin;
    int rev = dash_report_bulletin_revision(view, item);
    char label[S_TEXT], when[S_TEXT];
    dash_buf_puts(out, "<article class=\"bulletin\">\n<div class=\"doc-head\">");
    dash_buf_printf(out, "<p class=\"issuer\">%s</p>",
                    s_t(l, "打击侵犯知识产权和制售假冒伪劣商品工作领导小组办公室",
                        "Office of the Leading Group for Combating IP Infringement and "
                        "Counterfeiting"));
    dash_buf_printf(out, "<h1>%s</h1>", s_t(l, "打击侵权假冒工作通报", "Circulation bulletin"));
    dash_buf_puts(out, "<p class=\"doc-period\">");
    dash_buf_html(out, dash_report_period_label(b->period, l, label, sizeof label));
    if (rev > 1) {
        if (l == DAJIA_LANG_EN)
            dash_buf_printf(out, " (revision %d)", rev - 1);
        else
            dash_buf_printf(out, "（第%d次修订）", rev - 1);
    }
    dash_buf_printf(out, "</p><p class=\"doc-date\">%s %s</p></div>\n",
                    s_t(l, "印发日期：", "Issued:"),
                    dajia_label_date(b->produced_at, DAJIA_TIME_BEIJING_MIN, l, when, sizeof when));
    dash_buf_printf(out, "<p class=\"doc-actions\"><a href=\"/bulletins\">%s</a></p>\n",
                    s_t(l, "← 全部通报", "← every bulletin"));
    static const struct {
        const char *zh, *en;
        const char *tables[3];
    } sections[] = {
        {"一、案件查办情况", "1. Cases", {"units", "categories", NULL}},
        {"二、商品类别和流通渠道", "2. Goods and channels", {"goods", "channels", NULL}},
        {"三、重大事项", "3. Major matters", {"matters", NULL, NULL}},
        {"四、工作动态", "4. Work dynamics", {"dynamics", NULL, NULL}},
        {"五、信息报送情况", "5. Reporting compliance", {"compliance", NULL, NULL}},
    };
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
        dash_buf_printf(out, "<h2 class=\"doc-section\">%s</h2>\n",
                        s_t(l, sections[s].zh, sections[s].en));
        if (s == 0)
            s_bulletin_summary(out, dash_tables_find(tables, "units"), l);
        for (size_t k = 0; k < 3 && sections[s].tables[k]; k++) {
            const dash_table_t *t = dash_tables_find(tables, sections[s].tables[k]);
            if (t) {
                char number[16];
                snprintf(number, sizeof number, "（%zu）", k + 1);
                s_section(out, p, q, t, sections[s].tables[1] ? number : NULL);
            }
        }
    }
    dash_buf_printf(out, "<p class=\"doc-sign\">%s<br>%s</p>\n</article>\n",
                    s_t(l, "领导小组办公室", "The Office of the Leading Group"),
                    dajia_label_date(b->produced_at, DAJIA_TIME_BEIJING_MIN, l, when, sizeof when));
}

// ================================================================ office pages

static void
s_page_escalations(dash_buf_t *out, const dash_page_ctx_t *p, const dash_report_ctx_t *rctx,
                   const dash_query_t *q, const dash_view_t *view, const dash_tables_t *tables)
{
    dajia_lang_t l = p->lang;
    const Dajia__FeedItem *const *items;
    size_t total = dash_view_escalations(view, &items);
    dash_buf_printf(out, "<h1>%s <small>%s %zu</small></h1>\n", s_t(l, "督办事项", "Escalations"),
                    s_t(l, "共", "total"), total);
    dash_buf_puts(out, "<form class=\"filters\" method=\"get\" action=\"/escalations\">");
    s_select_member(out, rctx, q->unit);
    dash_buf_printf(out, "<label>%s <select name=\"rule\"><option value=\"\">%s</option>",
                    s_t(l, "规则", "Rule"), s_t(l, "全部规则", "every rule"));
    static const char *const rules[] = {"E1", "E2",          "E3",      "E4",      "E5",
                                        "MM", "MM-PROGRESS", "OVERDUE", "DEADLINE"};
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        dash_buf_printf(out, "<option value=\"%s\"%s>%s ", rules[i],
                        strcmp(q->rule, rules[i]) == 0 ? " selected" : "", rules[i]);
        dash_buf_html(out, dash_label_rule(strcmp(rules[i], "OVERDUE") == 0    ? "OVERDUE-1D"
                                           : strcmp(rules[i], "DEADLINE") == 0 ? "DEADLINE-X"
                                                                               : rules[i],
                                           l));
        dash_buf_puts(out, "</option>");
    }
    dash_buf_printf(
        out,
        "</select></label><label>%s <select name=\"level\"><option value=\"\">%s"
        "</option><option value=\"major\"%s>%s</option><option "
        "value=\"especially_major\"%s>%s</option></select></label> <button "
        "type=\"submit\">%s</button></form>\n",
        s_t(l, "级别", "Level"), s_t(l, "全部级别", "every level"),
        q->level == DAJIA__SEVERITY__SEVERITY_MAJOR ? " selected" : "",
        dajia_label_enum(&dajia__severity__descriptor, DAJIA__SEVERITY__SEVERITY_MAJOR, l),
        q->level == DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR ? " selected" : "",
        dajia_label_enum(&dajia__severity__descriptor, DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR,
                         l),
        s_t(l, "查看", "Show"));
    /* The live script adds new rows only when no filter narrows the table. */
    bool filtered = *q->unit || *q->rule || q->level;
    dash_buf_printf(out, "<p class=\"live-note\" id=\"live-note\" data-filtered=\"%d\">%s</p>\n",
                    filtered,
                    s_t(l, "新的督办事项会自动出现在表格顶部。",
                        "New escalations appear at the top of the table by themselves."));
    for (size_t i = 0; i < tables->count; i++)
        s_section(out, p, q, tables->items[i], NULL);
}

static void
s_page_matters(dash_buf_t *out, const dash_page_ctx_t *p, const dash_query_t *q,
               const dash_tables_t *tables)
{
    dajia_lang_t l = p->lang;
    dash_buf_printf(out, "<h1>%s</h1>\n", s_t(l, "重大事项", "Major matters"));
    dash_buf_printf(out, "<p>%s</p>\n",
                    s_t(l,
                        "未办结的重大事项，逾期未报送进展的排在前面（重大事项每15日、特别重大的每7"
                        "日报送一次进展）。",
                        "Open major matters, those with overdue progress first (progress is due "
                        "every 15 days, every 7 for especially major ones)."));
    for (size_t i = 0; i < tables->count; i++)
        s_section(out, p, q, tables->items[i], NULL);
}

static void
s_page_compliance(dash_buf_t *out, const dash_page_ctx_t *p, const dash_view_t *view,
                  const dash_report_ctx_t *rctx, const dash_query_t *q, const dash_tables_t *tables)
{
    dajia_lang_t l = p->lang;
    dash_buf_printf(out, "<h1>%s</h1>\n", s_t(l, "报送情况", "Compliance now"));
    const dash_compliance_t *open = dash_report_compliance_open(view, rctx);
    if (!open) {
        dash_buf_printf(
            out, "<p class=\"empty\" id=\"compliance-now\">%s</p>\n",
            s_t(l, "通报流中还没有报送情况：通报工作进程在每月开始、各单位报送和截止时发布。",
                "The feed has carried no reporting compliance yet: the circulate "
                "worker publishes it when a month opens, as units report, and when "
                "the deadline passes."));
        return;
    }
    char period[S_TEXT];
    dash_buf_printf(out, "<p id=\"compliance-now\" data-period=\"");
    dash_buf_html(out, open->period);
    dash_buf_printf(out, "\">%s", s_t(l, "当前报送月份：", "The month being reported: "));
    dash_buf_html(out, dash_report_period_label(open->period, l, period, sizeof period));
    dash_buf_printf(out, "%s</p>\n",
                    s_t(l, "。各单位报送后本页自动更新；截止时间过后仍未报送的单位列为未报送。",
                        ". The page updates itself as units report; a unit that has not "
                        "reported once the deadline has passed is missing."));
    for (size_t i = 0; i < tables->count; i++)
        s_section(out, p, q, tables->items[i], NULL);
}

int
dash_render_page(dash_buf_t *out, const dash_page_ctx_t *p, const dash_view_t *view,
                 const dash_report_ctx_t *rctx, const dash_query_t *q)
{
    dash_tables_t tables = {0};
    const Dajia__FeedItem *bulletin = NULL;
    dash_render_tables(view, rctx, q, &tables, &bulletin);
    int rc = 0;
    if (tables.failed) {
        rc = -ENOMEM;
        goto out;
    }
    if (q->page == DASH_PAGE_BULLETIN && !bulletin) {
        rc = -ENOENT;
        goto out;
    }
    char title[128];
    if (q->page == DASH_PAGE_BULLETIN) {
        char label[S_TEXT];
        snprintf(title, sizeof title, "%s %s", s_page_title(q->page, p->lang),
                 dash_report_period_label(q->bulletin, p->lang, label, sizeof label));
    } else
        snprintf(title, sizeof title, "%s", s_page_title(q->page, p->lang));
    s_head(out, p, q->page, title, q->page == DASH_PAGE_BULLETIN);
    switch (q->page) {
    case DASH_PAGE_FIGURES:
        s_page_figures(out, p, view, rctx, q, &tables);
        break;
    case DASH_PAGE_BULLETINS:
        s_page_bulletins(out, p, q, &tables);
        break;
    case DASH_PAGE_BULLETIN:
        s_page_bulletin(out, p, view, q, bulletin, &tables);
        break;
    case DASH_PAGE_ESCALATIONS:
        s_page_escalations(out, p, rctx, q, view, &tables);
        break;
    case DASH_PAGE_MATTERS:
        s_page_matters(out, p, q, &tables);
        break;
    case DASH_PAGE_COMPLIANCE:
        s_page_compliance(out, p, view, rctx, q, &tables);
        break;
    default:
        break;
    }
    s_foot(out, p);
    if (out->failed)
        rc = -ENOMEM;
out:
    dash_tables_free(&tables);
    return rc;
}

void
dash_render_message(dash_buf_t *out, const dash_page_ctx_t *p, int status, const char *title,
                    const char *text)
{
    s_head(out, p, DASH_PAGE_NONE, title, false);
    dash_buf_printf(out, "<h1>%d ", status);
    dash_buf_html(out, title);
    dash_buf_puts(out, "</h1><p class=\"message\">");
    dash_buf_html(out, text);
    dash_buf_printf(out, "</p><p><a href=\"/\">%s</a></p>\n",
                    s_t(p->lang, "返回首页", "Back to the figures"));
    s_foot(out, p);
}

void
dash_render_login(dash_buf_t *out, const dash_page_ctx_t *p, const char *error, const char *next)
{
    dajia_lang_t l = p->lang;
    s_head(out, p, DASH_PAGE_NONE, s_t(l, "登录", "Log in"), false);
    dash_buf_printf(out, "<h1>%s</h1>\n", s_t(l, "登录", "Log in"));
    if (error) {
        dash_buf_puts(out, "<p class=\"error\" id=\"login-error\">");
        dash_buf_html(out, error);
        dash_buf_puts(out, "</p>\n");
    }
    dash_buf_printf(out, "<form class=\"login\" method=\"post\" action=\"/login\">"
                         "<input type=\"hidden\" name=\"next\" value=\"");
    dash_buf_html(out, next ? next : "/");
    dash_buf_printf(out,
                    "\"><label>%s <input name=\"user\" autocomplete=\"username\" required "
                    "maxlength=\"32\"></label><label>%s <input name=\"password\" "
                    "type=\"password\" autocomplete=\"current-password\" required "
                    "maxlength=\"256\"></label><button type=\"submit\">%s</button></form>\n",
                    s_t(l, "用户名", "User"), s_t(l, "密码", "Password"), s_t(l, "登录", "Log in"));
    s_foot(out, p);
}
