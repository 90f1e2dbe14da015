/*  office_compliance: the fold behind `dajia-office compliance`, and its table. */
#include "office_compliance.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dajia_time.h"
#include "office_format.h"

#define S_CELL DAJIA_LABEL_TEXT_MAX

typedef struct {
    char *period;
    int64_t deadline_at;
    Dajia__UnitCompliance **rows; /* owned copies, in first-seen order */
    size_t n;
} s_month_t;

struct office_compliance_t {
    s_month_t *months;
    size_t n;
    int64_t seen;                       /* the latest produced_at folded */
    Dajia__UnitCompliance *view;        /* the last rows() answer: shallow copies */
    const Dajia__UnitCompliance **ptrs; /* ... and pointers to them */
};

office_compliance_t *
office_compliance_new(void)
{
    return calloc(1, sizeof(office_compliance_t));
}

void
office_compliance_destroy(office_compliance_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    office_compliance_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++) {
        for (size_t j = 0; j < self->months[i].n; j++)
            dajia__unit_compliance__free_unpacked(self->months[i].rows[j], NULL);
        free(self->months[i].rows);
        free(self->months[i].period);
    }
    free(self->months);
    free(self->view);
    free(self->ptrs);
    free(self);
    *self_p = NULL;
}

static s_month_t *
s_month(office_compliance_t *self, const char *period, bool create)
{
    for (size_t i = 0; i < self->n; i++)
        if (strcmp(self->months[i].period, period) == 0)
            return &self->months[i];
    if (!create)
        return NULL;
    s_month_t *grown = realloc(self->months, (self->n + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    self->months = grown;
    s_month_t *m = &self->months[self->n];
    memset(m, 0, sizeof *m);
    if (!(m->period = strdup(period)))
        return NULL;
    self->n++;
    return m;
}

int64_t
office_compliance_seen(const office_compliance_t *self)
{
    return self->seen;
}

int
office_compliance_add(office_compliance_t *self, const Dajia__FeedItem *item)
{
    if (item->produced_at > self->seen)
        self->seen = item->produced_at;
    if (item->item_case != DAJIA__FEED_ITEM__ITEM_COMPLIANCE || !item->compliance)
        return 0;
    const Dajia__ComplianceUpdate *u = item->compliance;
    s_month_t *m = s_month(self, u->period, true);
    if (!m)
        return -ENOMEM;
    m->deadline_at = u->deadline_at;
    for (size_t i = 0; i < u->n_units; i++) {
        Dajia__UnitCompliance *copy = office_message_copy(&u->units[i]->base);
        if (!copy)
            return -ENOMEM;
        size_t j = 0;
        while (j < m->n && strcmp(m->rows[j]->unit, copy->unit) != 0)
            j++;
        if (j < m->n) {
            dajia__unit_compliance__free_unpacked(m->rows[j], NULL);
            m->rows[j] = copy; /* a later row of the feed replaces the one held */
            continue;
        }
        Dajia__UnitCompliance **grown = realloc(m->rows, (m->n + 1) * sizeof *grown);
        if (!grown) {
            dajia__unit_compliance__free_unpacked(copy, NULL);
            return -ENOMEM;
        }
        m->rows = grown;
        m->rows[m->n++] = copy;
    }
    return 0;
}

const char *
office_compliance_open_period(const office_compliance_t *self, int64_t now)
{
    const s_month_t *open = NULL, *latest = NULL;
    for (size_t i = 0; i < self->n; i++) {
        const s_month_t *m = &self->months[i];
        if (!latest || m->deadline_at > latest->deadline_at)
            latest = m;
        if (m->deadline_at >= now && (!open || m->deadline_at < open->deadline_at))
            open = m;
    }
    return open ? open->period : latest ? latest->period : NULL;
}

size_t
office_compliance_rows(office_compliance_t *self, const char *period, int64_t now,
                       const Dajia__UnitCompliance *const **rows, int64_t *deadline_at)
{
    s_month_t *m = s_month(self, period, false);
    *rows = NULL;
    if (!m || !m->n)
        return 0;
    *deadline_at = m->deadline_at;
    Dajia__UnitCompliance *view = realloc(self->view, m->n * sizeof *view);
    if (view)
        self->view = view;
    const Dajia__UnitCompliance **ptrs = realloc(self->ptrs, m->n * sizeof *ptrs);
    if (ptrs)
        self->ptrs = ptrs;
    if (!view || !ptrs)
        return (size_t)-1;
    for (size_t i = 0; i < m->n; i++) {
        view[i] = *m->rows[i];
        /* the deadline has passed since the worker wrote "pending" */
        if (strcmp(view[i].status, "pending") == 0 && now > m->deadline_at)
            view[i].status = "missing";
        ptrs[i] = &view[i];
    }
    *rows = ptrs;
    return m->n;
}

int64_t
office_compliance_due_in_days(int64_t deadline_at, int64_t now, int32_t offset_min)
{
    int64_t shift = (int64_t)offset_min * DAJIA_TIME_MS_PER_MIN;
    int64_t a = now + shift, b = deadline_at - 1 + shift;
    int64_t today = a / DAJIA_TIME_MS_PER_DAY - (a % DAJIA_TIME_MS_PER_DAY < 0);
    int64_t last = b / DAJIA_TIME_MS_PER_DAY - (b % DAJIA_TIME_MS_PER_DAY < 0);
    return last - today;
}

// ====================================================================== printing

#define S_W(lang, zh, en) ((lang) == DAJIA_LANG_EN ? (en) : (zh))

const char *
office_compliance_deadline_label(int64_t at, dajia_lang_t lang, char buf[DAJIA_LABEL_TEXT_MAX])
{
    char day[S_CELL - 8];
    int64_t local = at + (int64_t)DAJIA_TIME_BEIJING_MIN * DAJIA_TIME_MS_PER_MIN;
    if (local % DAJIA_TIME_MS_PER_DAY != 0)
        return dajia_label_minute(at, DAJIA_TIME_BEIJING_MIN, lang, buf, S_CELL);
    dajia_label_date(at - 1, DAJIA_TIME_BEIJING_MIN, lang, day, sizeof day);
    snprintf(buf, S_CELL, "%s%s", day, S_W(lang, "24时", " 24:00"));
    return buf;
}

/* "还有5天截止" / "due in 5 days"; "今天截止" / "due today". */
static const char *
s_due(int64_t days, dajia_lang_t lang, char buf[S_CELL])
{
    if (days <= 0) {
        snprintf(buf, S_CELL, "%s", S_W(lang, "今天截止", "due today"));
        return buf;
    }
    char n[S_CELL - 16];
    dajia_label_quantity(days, DAJIA_MEASURE_DAYS, lang, n, sizeof n);
    snprintf(buf, S_CELL, S_W(lang, "还有%s截止", "due in %s"), n);
    return buf;
}

static const char *
s_word(const Dajia__UnitCompliance *u, int64_t days, dajia_lang_t lang, char buf[2 * S_CELL])
{
    const char *word = dajia_label_compliance(u->status, lang);
    char due[S_CELL];
    if (strcmp(u->status, "pending") == 0)
        snprintf(buf, 2 * S_CELL, S_W(lang, "%s（%s）", "%s (%s)"), word, s_due(days, lang, due));
    else if (strcmp(u->status, "zero_report") == 0)
        snprintf(buf, 2 * S_CELL, S_W(lang, "%s（%s）", "%s (%s)"), word,
                 dajia_label_compliance(u->late ? "late" : "on_time", lang));
    else
        snprintf(buf, 2 * S_CELL, "%s", word);
    return buf;
}

int
office_compliance_print(FILE *out, const char *period, int64_t deadline_at, int64_t now,
                        const Dajia__UnitCompliance *const *rows, size_t n, dajia_lang_t lang)
{
    char title[S_CELL], deadline[S_CELL], due[S_CELL];
    dajia_time_period_t p;
    if (dajia_time_period_parse(period, strlen(period), &p) == 0)
        dajia_label_period(p, lang, title, sizeof title);
    else
        snprintf(title, sizeof title, "%s", period);
    int64_t days = office_compliance_due_in_days(deadline_at, now, DAJIA_TIME_BEIJING_MIN);
    const char *state = now > deadline_at ? S_W(lang, "已截止", "closed") : s_due(days, lang, due);
    fprintf(out,
            S_W(lang, "%s信息报送情况（报送截止时间：%s，%s）\n\n",
                "Reporting for %s (due by %s, %s)\n\n"),
            title, office_compliance_deadline_label(deadline_at, lang, deadline), state);
    fprintf(out, "| %s |\n|---|---|---|---|\n",
            S_W(lang, "成员单位 | 报送情况 | 首次报送时间 | 报送条数",
                "Member unit | Reporting | First submitted | Reports"));
    int64_t count[5] = {0}; /* on time, late, zero, pending, missing */
    static const char *const order[5] = {"on_time", "late", "zero_report", "pending", "missing"};
    for (size_t i = 0; i < n; i++) {
        const Dajia__UnitCompliance *u = rows[i];
        char word[2 * S_CELL], first[S_CELL];
        for (int k = 0; k < 5; k++)
            count[k] += strcmp(u->status, order[k]) == 0;
        if (u->first_report_at)
            dajia_label_minute(u->first_report_at, DAJIA_TIME_BEIJING_MIN, lang, first,
                               sizeof first);
        else
            snprintf(first, sizeof first, "—");
        fprintf(out, "| %s | %s | %s | %" PRId64 " |\n", dajia_label_member(NULL, 0, u->unit, lang),
                s_word(u, days, lang, word), first, u->events);
    }
    fprintf(out,
            S_W(lang,
                "\n按时报送%" PRId64 "家，逾期报送%" PRId64 "家，零申报%" PRId64
                "家，待报送%" PRId64 "家，未报送%" PRId64 "家。\n",
                "\nOn time: %" PRId64 "; late: %" PRId64 "; zero reports: %" PRId64
                "; pending: %" PRId64 "; missing: %" PRId64 ".\n"),
            count[0], count[1], count[2], count[3], count[4]);
    return ferror(out) ? -EIO : 0;
}
