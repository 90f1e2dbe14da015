/*  circ_render: the bulletin as a person at a member unit reads it (docs/domain.md §6.2).

    Chinese by default, in the words of the work rules and of the statistics the Office
    keeps: member units by name, categories, stages and statuses by their Chinese labels,
    money in 万元 with separators, sections numbered 一、二、...; English with
    circulate/language = en. Every word of the schema's values comes from dajia_labels,
    so the bulletin, the escalations and the Office client say the same thing the same
    way; member names are the configured ones (the broker's `members` section, or the
    one of dajia-worker's file), else the 23 defaults. The text depends on the bulletin's
    data only (never on when it was produced), so the same events give the same text
    whether they came live or as a backlog.

    Figure columns are the Figures message's fields, walked through its descriptor, so a
    figure added to the schema gets its column without a change here.
*/
#include "circ_core.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CELL DAJIA_LABEL_TEXT_MAX

typedef struct {
    char *data;
    size_t len, cap;
    bool failed;
    const circ_config_t *cfg;
    dajia_lang_t lang;
} s_text_t;

static void __attribute__((format(printf, 2, 3))) s_printf(s_text_t *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n =
            vsnprintf(t->data ? t->data + t->len : NULL, t->data ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if (t->data && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 8192;
        while (cap < t->len + (size_t)n + 1)
            cap *= 2;
        char *data = realloc(t->data, cap);
        if (!data) {
            t->failed = true;
            return;
        }
        t->data = data;
        t->cap = cap;
    }
}

/* The Chinese or the English words, as the bulletin's language says. A macro, so that a
   format chosen this way is still two literals the compiler checks. */
#define S_W(t, zh, en) ((t)->lang == DAJIA_LANG_EN ? (en) : (zh))

static const char *
s_member(const s_text_t *t, const char *code)
{
    return dajia_label_member(t->cfg->names, t->cfg->n_names, code, t->lang);
}

static const char *
s_enum(const s_text_t *t, const ProtobufCEnumDescriptor *desc, int value)
{
    return dajia_label_enum(desc, value, t->lang);
}

/* An instant for a person: a local midnight is the end of the day before ("2026年11月
   10日24时", "2026-11-10 24:00"), anything else its date and minute. */
static const char *
s_instant(const s_text_t *t, int64_t at, char buf[S_CELL])
{
    int32_t tz = t->cfg->spec.tz_offset_min;
    int64_t local = at + (int64_t)tz * DAJIA_TIME_MS_PER_MIN;
    if (local % DAJIA_TIME_MS_PER_DAY != 0)
        return dajia_label_minute(at, tz, t->lang, buf, S_CELL);
    char day[S_CELL - 8];
    dajia_label_date(at - 1, tz, t->lang, day, sizeof day);
    snprintf(buf, S_CELL, "%s%s", day, S_W(t, "24时", " 24:00"));
    return buf;
}

/* The period's name for a title: "2026年10月" / "October 2026"; fixed demonstration
   periods by their name. */
static const char *
s_period(const s_text_t *t, const char *name, char buf[S_CELL])
{
    dajia_time_period_t p;
    if (dajia_time_period_parse(name, strlen(name), &p) == 0)
        return dajia_label_period(p, t->lang, buf, S_CELL);
    snprintf(buf, S_CELL, "%s", name);
    return buf;
}

static const char *const s_numerals[] = {"一", "二", "三", "四", "五", "六", "七", "八"};

/* "## 一、title" / "## 1. title", numbered in order of appearance. */
static void
s_section(s_text_t *t, int *n, const char *zh, const char *en)
{
    int i = (*n)++;
    if (t->lang == DAJIA_LANG_EN)
        s_printf(t, "\n## %d. %s\n\n", i + 1, en);
    else
        s_printf(t, "\n## %s、%s\n\n", s_numerals[i % 8], zh);
}

// ================================================================ figures

static bool
s_is_figure(const ProtobufCFieldDescriptor *f)
{
    return f->type == PROTOBUF_C_TYPE_INT64 && f->label != PROTOBUF_C_LABEL_REPEATED;
}

static int64_t
s_value(const Dajia__Figures *f, const ProtobufCFieldDescriptor *field)
{
    return f ? *(const int64_t *)(const void *)((const char *)f + field->offset) : 0;
}

/* A figure's cell: money in 万元 (the header names the unit), counts as numbers. */
static const char *
s_cell(int64_t v, dajia_measure_t measure, char buf[S_CELL])
{
    return measure == DAJIA_MEASURE_FEN ? dajia_label_money_wan(v, buf, S_CELL)
                                        : dajia_label_number(v, buf, S_CELL);
}

static void
s_header(s_text_t *t, const char *first, const char *second)
{
    const ProtobufCMessageDescriptor *d = &dajia__figures__descriptor;
    s_printf(t, "| %s |", first);
    if (second)
        s_printf(t, " %s |", second);
    size_t columns = second ? 2 : 1;
    for (unsigned i = 0; i < d->n_fields; i++) {
        if (!s_is_figure(&d->fields[i]))
            continue;
        dajia_measure_t measure;
        const char *label = dajia_label_figure(d->fields[i].name, t->lang, &measure);
        if (measure == DAJIA_MEASURE_FEN)
            s_printf(t, S_W(t, " %s（%s） |", " %s (%s) |"), label, dajia_label_wan_unit(t->lang));
        else
            s_printf(t, " %s |", label);
        columns++;
    }
    s_printf(t, "\n|");
    for (size_t i = 0; i < columns; i++)
        s_printf(t, "---|");
    s_printf(t, "\n");
}

static const Dajia__AggregateRow *
s_find_row(Dajia__AggregateRow *const *rows, size_t n, const char *unit, int category)
{
    for (size_t i = 0; i < n; i++)
        if ((int)rows[i]->category == category && strcmp(rows[i]->unit, unit) == 0)
            return rows[i];
    return NULL;
}

static void
s_sum(Dajia__AggregateRow *const *rows, size_t n, agg_figures_t *total)
{
    memset(total, 0, sizeof *total);
    for (size_t i = 0; i < n; i++) {
        agg_figures_t f;
        agg_figures_from_proto(rows[i]->figures, &f);
        agg_figures_add(total, &f);
    }
}

static void
s_render_figures(s_text_t *t, const Dajia__Bulletin *b, int *section)
{
    s_section(t, section, "案件查办情况", "Case figures by unit and category");
    if (!b->n_figures) {
        s_printf(t, "%s\n", S_W(t, "本月无案件数据。", "No case figures this month."));
    } else {
        s_printf(t, "%s\n\n",
                 S_W(t, "立案数、结案数括号内为与上月相比的增减。",
                     "Cases filed and closed are followed by the change against the month "
                     "before."));
        s_header(t, S_W(t, "成员单位", "Member unit"), S_W(t, "案件类别", "Case category"));
    }
    const ProtobufCMessageDescriptor *d = &dajia__figures__descriptor;
    for (size_t i = 0; i < b->n_figures; i++) {
        const Dajia__AggregateRow *r = b->figures[i];
        const Dajia__AggregateRow *p = s_find_row(b->previous, b->n_previous, r->unit, r->category);
        s_printf(t, "| %s | %s |", s_member(t, r->unit),
                 s_enum(t, &dajia__case_category__descriptor, r->category));
        for (unsigned f = 0; f < d->n_fields; f++) {
            const ProtobufCFieldDescriptor *field = &d->fields[f];
            if (!s_is_figure(field))
                continue;
            dajia_measure_t measure;
            dajia_label_figure(field->name, t->lang, &measure);
            char cell[S_CELL];
            int64_t v = s_value(r->figures, field);
            s_printf(t, " %s", s_cell(v, measure, cell));
            if (strcmp(field->name, "cases_filed") == 0 || strcmp(field->name, "cases_closed") == 0)
                s_printf(t, S_W(t, "（%+" PRId64 "）", " (%+" PRId64 ")"),
                         v - s_value(p ? p->figures : NULL, field));
            s_printf(t, " |");
        }
        s_printf(t, "\n");
    }
    agg_figures_t now, before;
    s_sum(b->figures, b->n_figures, &now);
    s_sum(b->previous, b->n_previous, &before);
    char q[9][S_CELL];
    dajia_lang_t l = t->lang;
    s_printf(t,
             S_W(t,
                 "\n合计：立案%s（上月%s），结案%s（上月%s），案值%s（上月%s），罚没金额%s，"
                 "挽回经济损失%s，移送公安机关%s。\n",
                 "\nTotal: %s filed (the month before: %s), %s closed (the month before: %s), "
                 "case value %s (the month before: %s), fines and confiscations %s, economic "
                 "loss recovered %s, %s transferred to the police.\n"),
             dajia_label_quantity(now.v[AGG_FIG_FILED], DAJIA_MEASURE_CASES, l, q[0], S_CELL),
             dajia_label_quantity(before.v[AGG_FIG_FILED], DAJIA_MEASURE_CASES, l, q[1], S_CELL),
             dajia_label_quantity(now.v[AGG_FIG_CLOSED], DAJIA_MEASURE_CASES, l, q[2], S_CELL),
             dajia_label_quantity(before.v[AGG_FIG_CLOSED], DAJIA_MEASURE_CASES, l, q[3], S_CELL),
             dajia_label_money(now.v[AGG_FIG_VALUE_FEN], l, q[4], S_CELL),
             dajia_label_money(before.v[AGG_FIG_VALUE_FEN], l, q[5], S_CELL),
             dajia_label_money(now.v[AGG_FIG_FINES_FEN], l, q[6], S_CELL),
             dajia_label_money(now.v[AGG_FIG_LOSS_RECOVERED_FEN], l, q[7], S_CELL),
             dajia_label_quantity(now.v[AGG_FIG_TRANSFERS], DAJIA_MEASURE_CASES, l, q[8], S_CELL));
}

static void
s_render_goods(s_text_t *t, const Dajia__Bulletin *b, int *section)
{
    s_section(t, section, "商品与渠道", "Goods and channels");
    char x[S_CELL], y[S_CELL], z[S_CELL];
    if (b->n_by_goods)
        s_printf(t, "| %s | %s | %s | %s（%s） |\n|---|---|---|---|\n", S_W(t, "商品类别", "Goods"),
                 dajia_label_figure("cases_filed", t->lang, NULL),
                 dajia_label_figure("cases_closed", t->lang, NULL),
                 dajia_label_figure("case_value_fen", t->lang, NULL),
                 dajia_label_wan_unit(t->lang));
    for (size_t i = 0; i < b->n_by_goods; i++) {
        const Dajia__AggregateRow *r = b->by_goods[i];
        s_printf(t, "| %s | %s | %s | %s |\n",
                 s_enum(t, &dajia__goods_category__descriptor, r->goods),
                 dajia_label_number(r->figures->cases_filed, x, S_CELL),
                 dajia_label_number(r->figures->cases_closed, y, S_CELL),
                 dajia_label_money_wan(r->figures->case_value_fen, z, S_CELL));
    }
    static const char *const channels[AGG_CHANNEL_COUNT] = {
        "ecommerce", "key_physical_market", "rural", "import_export", "postal_express"};
    const Dajia__Figures *figures[AGG_CHANNEL_COUNT] = {
        b->ecommerce, b->key_physical_market, b->rural, b->import_export, b->postal_express};
    s_printf(t, "\n");
    for (int c = 0; c < AGG_CHANNEL_COUNT; c++) {
        const Dajia__Figures *f = figures[c];
        s_printf(
            t, S_W(t, "- %s：立案%s，结案%s，案值%s\n", "- %s: %s filed, %s closed, value %s\n"),
            dajia_label_channel(channels[c], t->lang),
            dajia_label_quantity(f ? f->cases_filed : 0, DAJIA_MEASURE_CASES, t->lang, x, S_CELL),
            dajia_label_quantity(f ? f->cases_closed : 0, DAJIA_MEASURE_CASES, t->lang, y, S_CELL),
            dajia_label_money(f ? f->case_value_fen : 0, t->lang, z, S_CELL));
    }
}

// ================================================================ matters, dynamics

static void
s_render_matters(s_text_t *t, const Dajia__Bulletin *b, int *section)
{
    s_section(t, section, "重大事项（截至月末，逾期在前）",
              "Major matters (as at the end of the month, overdue first)");
    if (!b->n_matters) {
        s_printf(t, "%s\n", S_W(t, "本月无重大事项。", "No major matters this month."));
        return;
    }
    s_printf(t, "| %s |\n|---|---|---|---|---|---|---|\n",
             S_W(t, "成员单位 | 事项 | 严重程度 | 状态 | 最近进展 | 下次报送期限 | 逾期天数",
                 "Member unit | Matter | Severity | Status | Last progress | Next due | Days "
                 "overdue"));
    bool marked = false;
    int32_t tz = t->cfg->spec.tz_offset_min;
    for (size_t i = 0; i < b->n_matters; i++) {
        const Dajia__MatterLine *m = b->matters[i];
        char last[S_CELL], due[S_CELL], over[S_CELL];
        dajia_label_date(m->last_progress_at, tz, t->lang, last, sizeof last);
        if (m->next_update_due_at)
            dajia_label_date(m->next_update_due_at, tz, t->lang, due, sizeof due);
        else
            snprintf(due, sizeof due, "—");
        if (m->days_overdue > 0)
            dajia_label_quantity(m->days_overdue, DAJIA_MEASURE_DAYS, t->lang, over, sizeof over);
        else
            snprintf(over, sizeof over, "%s", S_W(t, "未逾期", "not overdue"));
        marked |= m->leader_step_passed;
        s_printf(t,
                 S_W(t, "| %s | %s（%s） | %s | %s | %s | %s | %s%s |\n",
                     "| %s | %s (%s) | %s | %s | %s | %s | %s%s |\n"),
                 s_member(t, m->unit), m->title, m->matter_id,
                 s_enum(t, &dajia__severity__descriptor, m->severity),
                 s_enum(t, &dajia__matter_status__descriptor, m->status), last, due, over,
                 m->leader_step_passed ? " ★" : "");
    }
    if (marked)
        s_printf(t,
                 S_W(t, "\n★ 逾期%" PRId64 "天以上未报送进展：列入通报并报领导小组领导。\n",
                     "\n★ no progress for %" PRId64 " days or more past due: listed in the "
                     "bulletin and flagged to the leaders.\n"),
                 t->cfg->leader_days);
}

static void
s_render_dynamics(s_text_t *t, const Dajia__Bulletin *b, int *section)
{
    s_section(t, section, "专项行动进展、工作动态和典型案例",
              "Campaign progress, work dynamics and typical cases");
    if (!b->n_dynamics) {
        s_printf(t, "%s\n", S_W(t, "本月无。", "None this month."));
        return;
    }
    static const Dajia__InfoKind kinds[] = {DAJIA__INFO_KIND__INFO_KIND_CAMPAIGN_PROGRESS,
                                            DAJIA__INFO_KIND__INFO_KIND_WORK_DYNAMIC,
                                            DAJIA__INFO_KIND__INFO_KIND_TYPICAL_CASE};
    int group = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        int n = 0;
        for (size_t i = 0; i < b->n_dynamics; i++) {
            const Dajia__InfoLine *d = b->dynamics[i];
            if (d->kind != kinds[k])
                continue;
            if (n == 0) {
                if (t->lang == DAJIA_LANG_EN)
                    s_printf(t, "%s%s\n\n", group ? "\n" : "",
                             s_enum(t, &dajia__info_kind__descriptor, kinds[k]));
                else
                    s_printf(t, "%s（%s）%s\n\n", group ? "\n" : "", s_numerals[group],
                             s_enum(t, &dajia__info_kind__descriptor, kinds[k]));
                group++;
            }
            s_printf(t, S_W(t, "%d. %s：%s", "%d. %s: %s"), ++n, s_member(t, d->unit), d->title);
            if (*d->campaign_tag)
                s_printf(t, S_W(t, "（%s）", " (%s)"), d->campaign_tag);
            s_printf(t, "\n");
        }
    }
}

// ================================================================ compliance

static const char *
s_compliance_word(const s_text_t *t, const char *status, bool late, char buf[S_CELL])
{
    const char *word = dajia_label_compliance(status, t->lang);
    if (strcmp(status, "zero_report") != 0)
        return word;
    snprintf(buf, S_CELL, S_W(t, "%s（%s）", "%s (%s)"), word,
             dajia_label_compliance(late ? "late" : "on_time", t->lang));
    return buf;
}

/* "A、B、C" of the members whose status is `status`. */
static void
s_names(s_text_t *t, const Dajia__Bulletin *b, const char *status, const char *zh, const char *en)
{
    int n = 0;
    for (size_t i = 0; i < b->n_compliance; i++) {
        if (strcmp(b->compliance[i]->status, status) != 0)
            continue;
        s_printf(t, "%s%s", n++ ? S_W(t, "、", ", ") : S_W(t, zh, en),
                 s_member(t, b->compliance[i]->unit));
    }
    if (n)
        s_printf(t, "%s\n", S_W(t, "。", "."));
}

static void
s_render_compliance(s_text_t *t, const Dajia__Bulletin *b, int *section)
{
    s_section(t, section, "信息报送情况", "Reporting");
    char deadline[S_CELL], x[S_CELL];
    int64_t on_time = 0, late = 0, zero = 0, zero_late = 0, missing = 0;
    for (size_t i = 0; i < b->n_compliance; i++) {
        const Dajia__UnitCompliance *u = b->compliance[i];
        on_time += strcmp(u->status, "on_time") == 0;
        late += strcmp(u->status, "late") == 0;
        missing += strcmp(u->status, "missing") == 0 || strcmp(u->status, "pending") == 0;
        if (strcmp(u->status, "zero_report") == 0) {
            zero++;
            zero_late += u->late;
        }
    }
    s_printf(t,
             S_W(t,
                 "报送截止时间：%s。按时报送%" PRId64 "家，逾期报送%" PRId64 "家，零申报%" PRId64
                 "家（其中逾期%" PRId64 "家），未报送%" PRId64 "家。\n",
                 "Reports were due by %s. On time: %" PRId64 "; late: %" PRId64
                 "; zero reports: %" PRId64 " (%" PRId64 " of them late); missing: %" PRId64 ".\n"),
             s_instant(t, b->deadline_at, deadline), on_time, late, zero, zero_late, missing);
    s_names(t, b, "missing", "\n未报送单位：", "\nMissing: ");
    s_names(t, b, "late", "\n逾期报送单位：", "\nLate: ");
    if (!b->n_compliance)
        return;
    s_printf(t, "\n| %s |\n|---|---|---|---|\n",
             S_W(t, "成员单位 | 报送情况 | 首次报送时间 | 报送条数",
                 "Member unit | Reporting | First submitted | Reports"));
    for (size_t i = 0; i < b->n_compliance; i++) {
        const Dajia__UnitCompliance *u = b->compliance[i];
        char first[S_CELL], word[S_CELL];
        if (u->first_report_at)
            dajia_label_minute(u->first_report_at, t->cfg->spec.tz_offset_min, t->lang, first,
                               sizeof first);
        else
            snprintf(first, sizeof first, "—");
        s_printf(t, "| %s | %s | %s | %s |\n", s_member(t, u->unit),
                 s_compliance_word(t, u->status, u->late, word), first,
                 dajia_label_number(u->events, x, S_CELL));
    }
}

// ================================================================ revisions

static Dajia__MatterStatus
s_status_of(const char *name)
{
    static const struct {
        const char *name;
        Dajia__MatterStatus status;
    } map[] = {{"open", DAJIA__MATTER_STATUS__MATTER_STATUS_OPEN},
               {"in_progress", DAJIA__MATTER_STATUS__MATTER_STATUS_IN_PROGRESS},
               {"blocked", DAJIA__MATTER_STATUS__MATTER_STATUS_BLOCKED},
               {"resolved", DAJIA__MATTER_STATUS__MATTER_STATUS_RESOLVED},
               {"closed", DAJIA__MATTER_STATUS__MATTER_STATUS_CLOSED}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].name, name) == 0)
            return map[i].status;
    return DAJIA__MATTER_STATUS__MATTER_STATUS_UNSPECIFIED;
}

static Dajia__InfoKind
s_kind_of(const char *name)
{
    if (strcmp(name, "campaign_progress") == 0)
        return DAJIA__INFO_KIND__INFO_KIND_CAMPAIGN_PROGRESS;
    if (strcmp(name, "work_dynamic") == 0)
        return DAJIA__INFO_KIND__INFO_KIND_WORK_DYNAMIC;
    if (strcmp(name, "typical_case") == 0)
        return DAJIA__INFO_KIND__INFO_KIND_TYPICAL_CASE;
    return DAJIA__INFO_KIND__INFO_KIND_UNSPECIFIED;
}

/* A matter's state in a change: "办理中（逾期3天）" / "in progress (3 days overdue)". */
static const char *
s_matter_state(const s_text_t *t, const char *status, int64_t days, char buf[S_CELL])
{
    const char *word = s_enum(t, &dajia__matter_status__descriptor, s_status_of(status));
    if (days <= 0) {
        snprintf(buf, S_CELL, "%s", word);
        return buf;
    }
    char d[S_CELL];
    dajia_label_quantity(days, DAJIA_MEASURE_DAYS, t->lang, d, sizeof d);
    snprintf(buf, S_CELL, S_W(t, "%s（逾期%s）", "%s (%s overdue)"), word, d);
    return buf;
}

/* One numbered line per figures row (its changed figures together), per unit's
   compliance, per matter and per dynamics item. */
static void
s_render_changes(s_text_t *t, const Dajia__Bulletin *b)
{
    int n = 0;
    for (size_t i = 0; i < b->n_changes; i++) {
        const Dajia__BulletinChange *c = b->changes[i];
        char x[S_CELL], y[S_CELL];
        if (strcmp(c->section, "figures") == 0) {
            bool first = i == 0 || strcmp(b->changes[i - 1]->section, "figures") != 0 ||
                         strcmp(b->changes[i - 1]->unit, c->unit) != 0 ||
                         b->changes[i - 1]->category != c->category;
            if (first)
                s_printf(t, S_W(t, "%d. %s %s：", "%d. %s, %s: "), ++n, s_member(t, c->unit),
                         s_enum(t, &dajia__case_category__descriptor, c->category));
            else
                s_printf(t, "%s", S_W(t, "，", "; "));
            dajia_measure_t measure;
            const char *label = dajia_label_figure(c->field, t->lang, &measure);
            s_printf(t, S_W(t, "%s由%s改为%s", "%s from %s to %s"), label,
                     dajia_label_quantity(c->before, measure, t->lang, x, S_CELL),
                     dajia_label_quantity(c->after, measure, t->lang, y, S_CELL));
            bool last = i + 1 == b->n_changes || strcmp(b->changes[i + 1]->section, "figures") ||
                        strcmp(b->changes[i + 1]->unit, c->unit) ||
                        b->changes[i + 1]->category != c->category;
            if (last)
                s_printf(t, "%s\n", S_W(t, "。", "."));
        } else if (strcmp(c->section, "compliance") == 0) {
            const char *was = *c->before_text ? s_compliance_word(t, c->before_text, c->before, x)
                                              : S_W(t, "无", "none");
            s_printf(
                t, S_W(t, "%d. %s：报送情况由%s改为%s。\n", "%d. %s: reporting from %s to %s.\n"),
                ++n, s_member(t, c->unit), was, s_compliance_word(t, c->after_text, c->after, y));
        } else if (strcmp(c->section, "matters") == 0) {
            s_printf(t, S_W(t, "%d. %s 重大事项%s：", "%d. %s, major matter %s: "), ++n,
                     s_member(t, c->unit), c->field);
            if (!*c->before_text)
                s_printf(t, S_W(t, "新列入，%s。\n", "now listed, %s.\n"),
                         s_matter_state(t, c->after_text, c->after, y));
            else if (!*c->after_text)
                s_printf(t, "%s\n", S_W(t, "不再列入。", "no longer listed."));
            else
                s_printf(t, S_W(t, "由%s改为%s。\n", "from %s to %s.\n"),
                         s_matter_state(t, c->before_text, c->before, x),
                         s_matter_state(t, c->after_text, c->after, y));
        } else if (strcmp(c->section, "dynamics") == 0) {
            const char *kind = s_enum(t, &dajia__info_kind__descriptor, s_kind_of(c->field));
            if (*c->after_text)
                s_printf(t, S_W(t, "%d. 新增%s：%s「%s」。\n", "%d. Added %s: %s, \"%s\".\n"), ++n,
                         kind, s_member(t, c->unit), c->after_text);
            else
                s_printf(t, S_W(t, "%d. 删除%s：%s「%s」。\n", "%d. Removed %s: %s, \"%s\".\n"),
                         ++n, kind, s_member(t, c->unit), c->before_text);
        }
    }
}

static void
s_render_sources(s_text_t *t, const Dajia__Bulletin *b)
{
    for (size_t i = 0; i < b->n_sources; i++) {
        const Dajia__BulletinSource *s = b->sources[i];
        char when[S_CELL];
        dajia_label_minute(s->received_at, t->cfg->spec.tz_offset_min, t->lang, when, sizeof when);
        s_printf(t, S_W(t, "%zu. %s：%s收到，", "%zu. %s: received %s, "), i + 1,
                 s_member(t, s->unit), when);
        if (*s->supersedes_event_id)
            s_printf(t, S_W(t, "更正（事件%s更正%s", "a correction (event %s corrects %s"),
                     s->event_id, s->supersedes_event_id);
        else
            s_printf(t, S_W(t, "%s（事件%s", "%s (event %s"),
                     s->late ? S_W(t, "逾期报送", "a late report")
                             : S_W(t, "补充报送", "a further report"),
                     s->event_id);
        if (*s->subject)
            s_printf(t, S_W(t, "，%s", ", %s"), s->subject);
        s_printf(t, "%s\n", S_W(t, "）。", ")."));
    }
}

static void
s_render_revision(s_text_t *t, const Dajia__Bulletin *b, int *section)
{
    s_section(t, section, "修订说明", "What this edition changes");
    s_printf(t,
             S_W(t, "本版为第%" PRIu32 "版，对第%" PRIu32 "版作如下修订。\n\n（一）修订内容\n\n",
                 "This is edition %" PRIu32 "; it changes edition %" PRIu32
                 " as follows.\n\nChanges\n\n"),
             b->revision, b->revision - 1);
    s_render_changes(t, b);
    s_printf(t, "%s", S_W(t, "\n（二）修订原因\n\n", "\nWhy\n\n"));
    s_render_sources(t, b);
}

char *
circ_render(const circ_config_t *cfg, const Dajia__Bulletin *b)
{
    s_text_t text = {.cfg = cfg, .lang = cfg->lang}, *t = &text;
    char period[S_CELL], at[S_CELL];
    s_printf(t,
             S_W(t, "# 打击侵权假冒工作通报（%s）\n\n",
                 "# Bulletin on combating IP infringement and counterfeiting: %s\n\n"),
             s_period(t, b->period, period));
    if (b->revision <= 1)
        s_printf(t,
                 S_W(t, "第1版。报送截止时间：%s；本通报汇总截止时间前收到的报送。\n",
                     "Edition 1. Reports were due by %s; this bulletin holds what was received "
                     "by then.\n"),
                 s_instant(t, b->cutoff_at ? b->cutoff_at : b->deadline_at, at));
    else
        s_printf(t,
                 S_W(t,
                     "第%" PRIu32 "版（修订版）。汇总%s前收到的报送，含逾期报送和更正；修订内容见"
                     "最后一部分。\n",
                     "Edition %" PRIu32 " (revised). It holds what was received by %s, late "
                     "reports and corrections included; the last section lists what changed.\n"),
                 b->revision, s_instant(t, b->cutoff_at, at));
    int section = 0;
    s_render_figures(t, b, &section);
    s_render_goods(t, b, &section);
    s_render_matters(t, b, &section);
    s_render_dynamics(t, b, &section);
    s_render_compliance(t, b, &section);
    if (b->revision > 1)
        s_render_revision(t, b, &section);
    if (t->failed) {
        free(t->data);
        return NULL;
    }
    return t->data;
}
