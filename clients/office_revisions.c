/*  office_revisions: the revisions of a month's bulletin, one block each. */
#include "office_revisions.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "dajia_time.h"
#include "office_compliance.h"

#define S_CELL            DAJIA_LABEL_TEXT_MAX
#define S_W(lang, zh, en) ((lang) == DAJIA_LANG_EN ? (en) : (zh))

static Dajia__MatterStatus
s_status_of(const char *name)
{
    const ProtobufCEnumDescriptor *d = &dajia__matter_status__descriptor;
    for (unsigned i = 0; i < d->n_values; i++) {
        const char *full = d->values[i].name; /* "MATTER_STATUS_IN_PROGRESS" */
        const char *tail = full + strlen("MATTER_STATUS_");
        size_t len = strlen(tail);
        if (strlen(name) != len)
            continue;
        size_t k = 0;
        while (k < len && (tail[k] | 0x20) == (name[k] | 0x20))
            k++;
        if (k == len)
            return (Dajia__MatterStatus)d->values[i].value;
    }
    return DAJIA__MATTER_STATUS__MATTER_STATUS_UNSPECIFIED;
}

static const char *
s_compliance(const char *status, int64_t late, dajia_lang_t lang, char buf[S_CELL])
{
    if (!*status)
        return S_W(lang, "无", "none");
    const char *word = dajia_label_compliance(status, lang);
    if (strcmp(status, "zero_report") != 0)
        return word;
    snprintf(buf, S_CELL, S_W(lang, "%s（%s）", "%s (%s)"), word,
             dajia_label_compliance(late ? "late" : "on_time", lang));
    return buf;
}

static void
s_change(FILE *out, const Dajia__BulletinChange *c, dajia_lang_t lang)
{
    char x[S_CELL], y[S_CELL];
    const char *unit = dajia_label_member(NULL, 0, c->unit, lang);
    if (strcmp(c->section, "figures") == 0) {
        dajia_measure_t measure;
        const char *label = dajia_label_figure(c->field, lang, &measure);
        fprintf(out, S_W(lang, "    %s %s %s：%s → %s\n", "    %s, %s, %s: %s -> %s\n"), unit,
                dajia_label_enum(&dajia__case_category__descriptor, c->category, lang), label,
                dajia_label_quantity(c->before, measure, lang, x, sizeof x),
                dajia_label_quantity(c->after, measure, lang, y, sizeof y));
    } else if (strcmp(c->section, "compliance") == 0) {
        fprintf(out, S_W(lang, "    %s 报送情况：%s → %s\n", "    %s, reporting: %s -> %s\n"), unit,
                s_compliance(c->before_text, c->before, lang, x),
                s_compliance(c->after_text, c->after, lang, y));
    } else if (strcmp(c->section, "matters") == 0) {
        const ProtobufCEnumDescriptor *d = &dajia__matter_status__descriptor;
        fprintf(out,
                S_W(lang, "    %s 重大事项%s：%s（逾期%" PRId64 "天） → %s（逾期%" PRId64 "天）\n",
                    "    %s, major matter %s: %s (%" PRId64 " days overdue) -> %s (%" PRId64
                    " days overdue)\n"),
                unit, c->field,
                *c->before_text ? dajia_label_enum(d, s_status_of(c->before_text), lang)
                                : S_W(lang, "未列入", "not listed"),
                c->before,
                *c->after_text ? dajia_label_enum(d, s_status_of(c->after_text), lang)
                               : S_W(lang, "不再列入", "no longer listed"),
                c->after);
    } else {
        fprintf(out, S_W(lang, "    %s %s：「%s」 → 「%s」\n", "    %s, %s: \"%s\" -> \"%s\"\n"),
                unit, c->field, c->before_text, c->after_text);
    }
}

static void
s_source(FILE *out, const Dajia__BulletinSource *s, dajia_lang_t lang)
{
    char when[S_CELL];
    dajia_label_minute(s->received_at, DAJIA_TIME_BEIJING_MIN, lang, when, sizeof when);
    fprintf(out, S_W(lang, "    %s %s收到 ", "    %s, received %s: "),
            dajia_label_member(NULL, 0, s->unit, lang), when);
    if (*s->supersedes_event_id)
        fprintf(out, S_W(lang, "更正（事件%s更正%s", "a correction (event %s corrects %s"),
                s->event_id, s->supersedes_event_id);
    else
        fprintf(out, S_W(lang, "%s（事件%s", "%s (event %s"),
                s->late ? S_W(lang, "逾期报送", "a late report")
                        : S_W(lang, "补充报送", "a further report"),
                s->event_id);
    if (*s->subject)
        fprintf(out, S_W(lang, "，%s", ", %s"), s->subject);
    fprintf(out, S_W(lang, "）\n", ")\n"));
}

int
office_revisions_print(FILE *out, const Dajia__Bulletin *const *revs, size_t n, dajia_lang_t lang)
{
    for (size_t i = 0; i < n; i++) {
        const Dajia__Bulletin *b = revs[i];
        char produced[S_CELL], cutoff[S_CELL];
        dajia_label_minute(b->produced_at, DAJIA_TIME_BEIJING_MIN, lang, produced, sizeof produced);
        uint32_t revision = b->revision ? b->revision : 1;
        fprintf(out,
                S_W(lang, "%s第%" PRIu32 "版  %s印发，汇总%s前收到的报送\n",
                    "%sEdition %" PRIu32 ": issued %s, holds what was received by %s\n"),
                i ? "\n" : "", revision, produced,
                office_compliance_deadline_label(b->cutoff_at ? b->cutoff_at : b->deadline_at, lang,
                                                 cutoff));
        if (revision <= 1)
            continue;
        fprintf(out, "%s", S_W(lang, "  修订内容：\n", "  Changes:\n"));
        for (size_t k = 0; k < b->n_changes; k++)
            s_change(out, b->changes[k], lang);
        fprintf(out, "%s", S_W(lang, "  修订原因：\n", "  Why:\n"));
        for (size_t k = 0; k < b->n_sources; k++)
            s_source(out, b->sources[k], lang);
    }
    return ferror(out) ? -EIO : 0;
}
