/*  esc_text: the reasons and actions of escalations, in Chinese or English.

    Each text has a Chinese and an English form taking the same arguments in the same
    order, picked with S_L (a conditional of two literals, which the compiler checks as
    formats both). Chinese sentences end with "。" and use full-width punctuation; quoted
    titles are in “” in Chinese and "" in English.
*/
#include "esc_text.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dajia_time.h"

#define S_LINK(name) DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_##name
#define S_EM         DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR

/* The Chinese or the English of one text, by the core's language. */
#define S_L(w, zh, en) ((w)->lang == DAJIA_LANG_EN ? (en) : (zh))

#define S_TIME_MAX (DAJIA_LABEL_TEXT_MAX + 32) /* a time and, off Beijing time, its zone */

void
esc_text_append(esc_text_t *t, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vsnprintf(t->text + t->len, sizeof t->text - t->len, format, args);
    va_end(args);
    if (n < 0 || (size_t)n >= sizeof t->text - t->len)
        t->text[t->len] = '\0';
    else
        t->len += (size_t)n;
}

/* A free-text field as quoted: at most ESC_QUOTE_MAX bytes, never cutting a character.
   Use with "%.*s". */
#define S_QUOTE(s) esc_clip_utf8((s), ESC_QUOTE_MAX), (s)

const char *
esc_text_unit(const esc_words_t *w, const char *code)
{
    return dajia_label_member(w->members, w->n_members, code, w->lang);
}

static const char *
s_enum(const esc_words_t *w, const ProtobufCEnumDescriptor *desc, int value)
{
    return dajia_label_enum(desc, value, w->lang);
}

static const char *
s_category(const esc_words_t *w, Dajia__CaseCategory value)
{
    return s_enum(w, &dajia__case_category__descriptor, (int)value);
}

static const char *
s_linkage(const esc_words_t *w, Dajia__LinkageStatus value)
{
    return s_enum(w, &dajia__linkage_status__descriptor, (int)value);
}

static char *
s_money(const esc_words_t *w, int64_t fen, char buf[DAJIA_LABEL_TEXT_MAX])
{
    return dajia_label_money(fen, w->lang, buf, DAJIA_LABEL_TEXT_MAX);
}

/* A local time (`minute`) or date; the zone is named only when it is not Beijing time,
   which the Office's readers take for granted. */
static char *
s_time(const esc_words_t *w, int64_t at, bool minute, char buf[S_TIME_MAX])
{
    char local[DAJIA_LABEL_TEXT_MAX];
    if (minute)
        dajia_label_minute(at, w->tz_offset_min, w->lang, local, sizeof local);
    else
        dajia_label_date(at, w->tz_offset_min, w->lang, local, sizeof local);
    int offset = w->tz_offset_min;
    if (offset == DAJIA_TIME_BEIJING_MIN) {
        snprintf(buf, S_TIME_MAX, "%s", local);
        return buf;
    }
    int minutes = offset < 0 ? -offset : offset;
    char zone[24] = "UTC";
    if (minutes % 60)
        snprintf(zone, sizeof zone, "UTC%c%d:%02d", offset < 0 ? '-' : '+', minutes / 60,
                 minutes % 60);
    else if (minutes)
        snprintf(zone, sizeof zone, "UTC%c%d", offset < 0 ? '-' : '+', minutes / 60);
    snprintf(buf, S_TIME_MAX, S_L(w, "%s（%s）", "%s (%s)"), local, zone);
    return buf;
}

/* "市公安局案件CASE-1（假冒注册商标）" / "Public Security Bureau case CASE-1 (trademark
   counterfeiting)". */
static void
s_case(const esc_words_t *w, const char *unit, const Dajia__CaseReport *report, esc_text_t *t)
{
    esc_text_append(t, S_L(w, "%s案件%.*s（%s）", "%s case %.*s (%s)"), esc_text_unit(w, unit),
                    S_QUOTE(report->case_no), s_category(w, report->category));
}

static void
s_end(const esc_words_t *w, esc_text_t *t)
{
    esc_text_append(t, "%s", S_L(w, "。", "."));
}

/* ================================================================ actions */

static const char *const s_actions[ESC_ACTION_COUNT][2] = {
    [ESC_ACTION_NOTIFY] = {"通报领导小组办公室", "notify office"},
    [ESC_ACTION_CHECK_TRANSFER] = {"核查是否应移送公安机关", "check transfer to the police"},
    [ESC_ACTION_REMIND] = {"提醒报送单位", "remind unit"},
    [ESC_ACTION_DIRECTOR] = {"报办公室主任督办", "escalate to office director"},
    [ESC_ACTION_LEADER] = {"列入通报并报领导小组组长", "list in bulletin and flag to leader"},
    [ESC_ACTION_URGE] = {"督促有关单位办理", "urge the responsible agency"},
    [ESC_ACTION_CHECK_DATA] = {"向报送单位核实数据", "check the report with the unit"},
};

const char *
esc_text_action(const esc_words_t *w, esc_action_t action)
{
    if ((int)action < 0 || action >= ESC_ACTION_COUNT)
        action = ESC_ACTION_NOTIFY;
    return s_actions[action][w->lang == DAJIA_LANG_EN ? 1 : 0];
}

/* ================================================================ E1 */

void
esc_text_e1(const esc_words_t *w, const char *unit, const Dajia__CaseReport *report,
            int64_t status_at, esc_text_t *t)
{
    char date[S_TIME_MAX];
    s_time(w, status_at, false, date);
    s_case(w, unit, report, t);
    switch (report->linkage) {
    case S_LINK(TRANSFERRED):
        esc_text_append(t, S_L(w, "于%s移送公安机关", " was transferred to the police on %s"),
                        date);
        if (*report->receiving_police_unit)
            esc_text_append(t, S_L(w, "，接收单位：%.*s", " (received by %.*s)"),
                            S_QUOTE(report->receiving_police_unit));
        break;
    case S_LINK(POLICE_DECLINED):
        esc_text_append(
            t,
            S_L(w, "：公安机关于%s决定不予立案", ": the police decided on %s not to file the case"),
            date);
        if (*report->decline_reason)
            esc_text_append(t, S_L(w, "，理由：%.*s", " (reason given: %.*s)"),
                            S_QUOTE(report->decline_reason));
        break;
    case S_LINK(RECONSIDERATION_REQUESTED):
        esc_text_append(t,
                        S_L(w, "：已就公安机关不予立案决定提请复议（%s）",
                            ": the police were asked to reconsider their refusal to file (%s)"),
                        date);
        break;
    case S_LINK(RECONSIDERATION_DECIDED):
        esc_text_append(t,
                        S_L(w, "：公安机关已作出复议决定（%s）",
                            ": the police decided on the reconsideration (%s)"),
                        date);
        break;
    case S_LINK(SUPERVISION_REQUESTED):
        esc_text_append(t,
                        S_L(w, "：已提请人民检察院进行立案监督（%s）",
                            ": the procuratorate was asked to supervise the police's decision "
                            "(%s)"),
                        date);
        break;
    case S_LINK(PROCURATORATE_NOTIFIED_FILING):
        esc_text_append(t,
                        S_L(w, "：人民检察院于%s通知公安机关立案",
                            ": the procuratorate notified the police on %s to file the case"),
                        date);
        break;
    default:
        esc_text_append(t, S_L(w, "：%s（%s）", ": %s (%s)"), s_linkage(w, report->linkage), date);
        break;
    }
    s_end(w, t);
}

/* ================================================================ E2, E3 */

void
esc_text_e2(const esc_words_t *w, const char *unit, const Dajia__CaseReport *report,
            Dajia__Severity level, Dajia__GoodsCategory goods, esc_text_t *t)
{
    s_case(w, unit, report, t);
    esc_text_append(t, S_L(w, "涉及%s，", " involves %s and "),
                    s_enum(w, &dajia__goods_category__descriptor, (int)goods));
    if (level == S_EM)
        esc_text_append(t, "%s",
                        S_L(w, "已造成人员伤亡，属特别重大健康安全案件",
                            "people were harmed (casualties): an especially major health and "
                            "safety case"));
    else
        esc_text_append(t, "%s",
                        S_L(w, "被标注为危害健康安全，属重大健康安全案件",
                            "is flagged as a risk to health or safety: a major health and safety "
                            "case"));
    s_end(w, t);
}

void
esc_text_e3(const esc_words_t *w, const char *unit, const Dajia__CaseReport *report,
            Dajia__Severity level, int64_t threshold_fen, esc_text_t *t)
{
    char value[DAJIA_LABEL_TEXT_MAX], limit[DAJIA_LABEL_TEXT_MAX];
    s_money(w, report->case_value_fen, value);
    s_money(w, threshold_fen, limit);
    s_case(w, unit, report, t);
    if (w->lang == DAJIA_LANG_EN)
        esc_text_append(t, ": case value %s is at or above the %s threshold of %s case", value,
                        limit, level == S_EM ? "an especially major" : "a major");
    else
        esc_text_append(t, "案值%s，达到%s案件标准（%s以上）", value,
                        s_enum(w, &dajia__severity__descriptor, (int)level), limit);
    s_end(w, t);
}

/* ================================================================ E4 */

/* The units of an E4 `units` trigger: the reporter, then the others, each once. */
static void
s_units(const esc_words_t *w, const char *unit, const Dajia__CaseReport *report, esc_text_t *t)
{
    size_t others = esc_rules_other_units(report, unit);
    char count[DAJIA_LABEL_TEXT_MAX];
    dajia_label_quantity((int64_t)others + 1, DAJIA_MEASURE_UNITS, w->lang, count, sizeof count);
    esc_text_append(t, S_L(w, "涉及%s成员单位：%s", "%s are involved: %s"), count,
                    esc_text_unit(w, unit));
    size_t listed = 0;
    for (size_t i = 0; i < report->n_involved_units && listed < ESC_LIST_UNITS; i++) {
        const char *u = report->involved_units[i];
        bool repeat = !*u || strcmp(u, unit) == 0;
        for (size_t j = 0; j < i && !repeat; j++)
            repeat = strcmp(report->involved_units[j], u) == 0;
        if (repeat)
            continue;
        /* An unknown code is written as it came (its name is the code). */
        const char *name = esc_text_unit(w, u);
        esc_text_append(t, S_L(w, "、%.*s", ", %.*s"), esc_clip_utf8(name, ESC_QUOTE_MAX), name);
        listed++;
    }
    if (others > listed) {
        dajia_label_quantity((int64_t)(others - listed), DAJIA_MEASURE_NUMBER, w->lang, count,
                             sizeof count);
        esc_text_append(t, S_L(w, "等（另有%s家）", " and %s more"), count);
    }
}

void
esc_text_e4(const esc_words_t *w, const char *unit, const Dajia__CaseReport *report, unsigned fresh,
            esc_text_t *t)
{
    s_case(w, unit, report, t);
    bool first = true;
    for (unsigned bit = 1; bit < (1u << ESC_E4_COUNT); bit <<= 1) {
        if (!(fresh & bit))
            continue;
        esc_text_append(t, "%s", first ? S_L(w, "：", ": ") : S_L(w, "；", "; "));
        first = false;
        switch (bit) {
        case ESC_E4_PROVINCE:
            esc_text_append(t, "%s", S_L(w, "跨省", "crosses the province line"));
            break;
        case ESC_E4_FOREIGN:
            esc_text_append(t, "%s", S_L(w, "涉外", "reaches outside the country"));
            break;
        case ESC_E4_FOREIGN_HOLDER:
            esc_text_append(t, "%s", S_L(w, "权利人为境外主体", "the right holder is foreign"));
            if (*report->right_holder)
                esc_text_append(t, S_L(w, "（%.*s）", " (%.*s)"), S_QUOTE(report->right_holder));
            break;
        case ESC_E4_UNITS:
            s_units(w, unit, report, t);
            break;
        case ESC_E4_SUPERVISION:
            esc_text_append(
                t, S_L(w, "%s", "under %s"),
                s_enum(w, &dajia__supervision_level__descriptor, (int)report->supervision));
            if (*report->supervision_no)
                esc_text_append(t, S_L(w, "（督办编号：%.*s）", " (no. %.*s)"),
                                S_QUOTE(report->supervision_no));
            break;
        default:
            esc_text_append(t, "%s", S_L(w, "受到媒体关注", "has media attention"));
            break;
        }
    }
    s_end(w, t);
}

/* ================================================================ E5 */

static const char *const s_measures[ESC_MEASURE_COUNT][2] = {
    [ESC_MEASURE_BUSINESS] = {"非法经营数额", "illegal business"},
    [ESC_MEASURE_GAINS] = {"违法所得数额", "illegal gains"},
    [ESC_MEASURE_SALES] = {"销售金额", "sales"},
    [ESC_MEASURE_UNSOLD] = {"尚未销售的货值金额", "unsold goods value"},
    [ESC_MEASURE_LOSS] = {"损失数额（以案值计）", "loss (case value)"},
    [ESC_MEASURE_SALES3_UNSOLD] = {"销售金额的三倍与尚未销售的货值金额之和",
                                   "sales x 3 + unsold goods value"},
};

void
esc_text_e5(const esc_words_t *w, const char *unit, const Dajia__CaseReport *report,
            esc_measure_t measure, int64_t amount_fen, int64_t threshold_fen, esc_text_t *t)
{
    char amount[DAJIA_LABEL_TEXT_MAX], limit[DAJIA_LABEL_TEXT_MAX];
    const char *name = (int)measure >= 0 && measure < ESC_MEASURE_COUNT
                           ? s_measures[measure][w->lang == DAJIA_LANG_EN ? 1 : 0]
                           : "?";
    s_case(w, unit, report, t);
    esc_text_append(t,
                    S_L(w,
                        "已作出处罚决定且未移送公安机关，但%s%s已达到追诉标准（%s），可能以罚代刑",
                        ": a penalty was decided and the case was not transferred to the "
                        "police, but %s of %s is at or above the %s prosecution threshold: "
                        "possible fining instead of prosecuting"),
                    name, s_money(w, amount_fen, amount), s_money(w, threshold_fen, limit));
    s_end(w, t);
}

/* ================================================================ deadlines */

/* What each deadline waits for, with "%s" for its configured length (esc_deadlines()
   order). */
static const char *const s_waiting[ESC_DEADLINE_COUNT][2] = {
    {"行政执法机关负责人应在%s内作出是否批准移送的决定",
     "the head of the agency decides on the transfer report within %s"},
    {"批准移送的案件应在%s内移送公安机关",
     "an approved case is transferred to the police within %s"},
    {"公安机关应在接受移送后%s内作出是否立案的决定",
     "the police decide whether to file the case within %s of the transfer"},
    {"公安机关立案后，涉案物品和材料应在%s内移交",
     "seized goods and materials are handed over within %s of the police filing"},
    {"公安机关应在%s内说明不予立案的理由", "the police explain their refusal within %s"},
    {"公安机关应在接到人民检察院通知后%s内立案",
     "the police file the case within %s of the procuratorate's notice"},
};

void
esc_text_deadline(const esc_words_t *w, const char *unit, const char *case_no,
                  Dajia__LinkageStatus linkage, int64_t since, int index, int64_t hours,
                  int64_t due_at, Dajia__LinkageStatus arrived, esc_text_t *t)
{
    char from[S_TIME_MAX], due[S_TIME_MAX], length[DAJIA_LABEL_TEXT_MAX];
    /* Whole days from two days up ("3 days"), hours below ("24 hours"), as the rules
       say them. */
    if (hours >= 48 && hours % 24 == 0)
        dajia_label_quantity(hours / 24, DAJIA_MEASURE_DAYS, w->lang, length, sizeof length);
    else
        dajia_label_quantity(hours, DAJIA_MEASURE_HOURS, w->lang, length, sizeof length);
    if (w->lang == DAJIA_LANG_EN)
        esc_text_append(t, "%s case %.*s has been \"%s\" since %s; ", esc_text_unit(w, unit),
                        S_QUOTE(case_no), s_linkage(w, linkage), s_time(w, since, true, from));
    else
        esc_text_append(t, "%s案件%.*s自%s起处于“%s”状态；", esc_text_unit(w, unit),
                        S_QUOTE(case_no), s_time(w, since, true, from), s_linkage(w, linkage));
    if (index >= 0 && index < ESC_DEADLINE_COUNT) {
        /* The sentence is a format of its own: a table entry, not a literal. */
        char waiting[512];
        const char *format = s_waiting[index][w->lang == DAJIA_LANG_EN ? 1 : 0];
        const char *mark = strstr(format, "%s");
        snprintf(waiting, sizeof waiting, "%.*s%s%s", (int)(mark - format), format, length,
                 mark + 2);
        esc_text_append(t, "%s", waiting);
    }
    esc_text_append(t, S_L(w, "，期限为%s", ", so it was due by %s"), s_time(w, due_at, true, due));
    if (arrived != S_LINK(UNSPECIFIED))
        esc_text_append(
            t,
            S_L(w, "，下一步（%s）在期限之后才完成", "; the next step (%s) came only afterwards"),
            s_linkage(w, arrived));
    else
        esc_text_append(t, "%s",
                        S_L(w, "，截至期限未收到下一步的报告",
                            "; no report of the next step had arrived by then"));
    s_end(w, t);
}

/* ================================================================ major matters */

void
esc_text_mm(const esc_words_t *w, const char *unit, const Dajia__MajorMatterReport *report,
            Dajia__Severity severity, const char *title, int64_t due_at, esc_text_t *t)
{
    const char *type = s_enum(w, &dajia__matter_type__descriptor, (int)report->type);
    if (w->lang == DAJIA_LANG_EN)
        esc_text_append(t, "%s reported %s matter: \"%s\" (%s)", esc_text_unit(w, unit),
                        severity == S_EM ? "an especially major" : "a major", title, type);
    else
        esc_text_append(t, "%s报告%s事项：“%s”（%s）", esc_text_unit(w, unit),
                        s_enum(w, &dajia__severity__descriptor, (int)severity), title, type);
    for (size_t i = 0; i < report->n_requests; i++)
        esc_text_append(t, "%s%s", i ? S_L(w, "、", ", ") : S_L(w, "；请求", "; it asks for "),
                        s_enum(w, &dajia__matter_request__descriptor, (int)report->requests[i]));
    if (due_at) {
        char due[S_TIME_MAX];
        esc_text_append(t, S_L(w, "；下次进展应于%s前报告", "; next progress due by %s"),
                        s_time(w, due_at, true, due));
    }
    s_end(w, t);
}

/* What each overdue step leads to (docs/domain.md §5.8). */
static const char *const s_consequences[3][2] = {
    {"提醒报送单位报告进展", "the unit is reminded to report"},
    {"报领导小组办公室主任督办", "escalated to the Office director"},
    {"列入通报并报领导小组组长", "listed in the bulletin and flagged to the leader"},
};

void
esc_text_overdue(const esc_words_t *w, const char *unit, const char *title,
                 Dajia__Severity severity, int64_t due_at, int64_t days, int step, esc_text_t *t)
{
    char due[S_TIME_MAX], late[DAJIA_LABEL_TEXT_MAX];
    dajia_label_quantity(days, DAJIA_MEASURE_DAYS, w->lang, late, sizeof late);
    if (step < 0 || step > 2)
        step = 0;
    esc_text_append(t,
                    S_L(w, "%s%s事项“%s”的进展应于%s前报告，已逾期%s：%s",
                        "the progress report of %s on its %s matter \"%s\" was due by %s and is "
                        "%s overdue: %s"),
                    esc_text_unit(w, unit), s_enum(w, &dajia__severity__descriptor, (int)severity),
                    title, s_time(w, due_at, true, due), late,
                    s_consequences[step][w->lang == DAJIA_LANG_EN ? 1 : 0]);
    s_end(w, t);
}

void
esc_text_dq1(const esc_words_t *w, const char *unit, const char *matter_id, uint32_t seq,
             const char *event_id, esc_text_t *t)
{
    if (w->lang == DAJIA_LANG_EN)
        esc_text_append(t,
                        "%s sent progress no. %" PRIu32 " (event %.*s) on major matter %.*s, "
                        "which it has not reported: check the matter id, or have the unit send "
                        "the major-matter report",
                        esc_text_unit(w, unit), seq, S_QUOTE(event_id), S_QUOTE(matter_id));
    else
        esc_text_append(t,
                        "%s报送了重大事项%.*s的第%" PRIu32 "次进展（事件%.*s），但尚未报告该"
                        "重大事项：请核实事项编号，或请该单位补报重大事项报告",
                        esc_text_unit(w, unit), S_QUOTE(matter_id), seq, S_QUOTE(event_id));
    s_end(w, t);
}

void
esc_text_dq2(const esc_words_t *w, const char *unit, const char *matter_id, const char *title,
             uint32_t seq, const char *event_id, esc_text_t *t)
{
    if (w->lang == DAJIA_LANG_EN)
        esc_text_append(t,
                        "%s sent progress no. %" PRIu32 " on major matter \"%s\" (%.*s) a "
                        "second time (event %.*s) without naming the event it corrects: it was "
                        "not applied; check whether it repeats or corrects the earlier one",
                        esc_text_unit(w, unit), seq, title, S_QUOTE(matter_id), S_QUOTE(event_id));
    else
        esc_text_append(t,
                        "%s就重大事项“%s”（%.*s）再次报送第%" PRIu32 "次进展（事件%.*s），未注明"
                        "所更正的事件：该进展未采用，请核实是重复报送还是更正",
                        esc_text_unit(w, unit), title, S_QUOTE(matter_id), seq, S_QUOTE(event_id));
    s_end(w, t);
}

/* The unit's own copy of a data-quality notice (docs/domain.md §5.11) is addressed to
   the unit: it names its report and says what to do, in Chinese first, then English,
   whatever the Office's language (the unit's liaison reads it, not the Office). */
void
esc_text_dq1_unit(const char *matter_id, uint32_t seq, const char *event_id, esc_text_t *text,
                  esc_text_t *fix)
{
    esc_text_append(text,
                    "本单位报送的事件%.*s是重大事项%.*s的第%" PRIu32 "次进展，但本单位尚未报告"
                    "该重大事项：该进展已保存，暂不计入。\n"
                    "Your event %.*s is progress no. %" PRIu32 " on major matter %.*s, which "
                    "your unit has not reported: it is kept, and counts once the report comes.",
                    S_QUOTE(event_id), S_QUOTE(matter_id), seq, S_QUOTE(event_id), seq,
                    S_QUOTE(matter_id));
    esc_text_append(fix, "请核对事项编号：编号有误的，以正确编号重新报送该进展；编号无误的，请补报"
                         "该重大事项的报告。\n"
                         "Check the matter id: if it is wrong, send the progress again with the "
                         "right one; if it is right, send the major-matter report.");
}

void
esc_text_dq2_unit(const char *matter_id, const char *title, uint32_t seq, const char *event_id,
                  esc_text_t *text, esc_text_t *fix)
{
    esc_text_append(text,
                    "本单位的事件%.*s再次报送重大事项“%s”（%.*s）的第%" PRIu32 "次进展，未注明"
                    "所更正的事件：该进展未采用，以先前报送的为准。\n"
                    "Your event %.*s sent progress no. %" PRIu32 " on major matter \"%s\" "
                    "(%.*s) a second time without naming the event it corrects: it was not "
                    "applied; the earlier one stands.",
                    S_QUOTE(event_id), title, S_QUOTE(matter_id), seq, S_QUOTE(event_id), seq,
                    title, S_QUOTE(matter_id));
    esc_text_append(fix,
                    "若是重复报送，无需处理；若要更正先前的第%" PRIu32 "次进展，请重新报送，并在"
                    "supersedes_event_id（更正的事件）中填写原事件编号；若是新的进展，请使用下"
                    "一个序号。\n"
                    "If it was sent twice by mistake, nothing to do; to correct the earlier "
                    "progress no. %" PRIu32 ", send it again naming the original event in "
                    "supersedes_event_id; if it is new progress, give it the next number.",
                    seq, seq);
}
