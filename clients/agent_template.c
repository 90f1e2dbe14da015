/*  agent_template: example reports to fill in. See agent_template.h.

    Each template is a table of fields (key, example value as JSON, Chinese name, note,
    required); the notes of fields with a fixed set of values list them from the schema
    and agent_vocab, so a value added to an enum appears here by itself. The examples
    are those of docs/fields.md: a counterfeit 信阳毛尖 tea case of the market regulator
    and its matter, progress and campaign report. tests/unit/test_agent_submit.c submits
    every template and expects it to be taken without a mistake.
*/
#include "agent_template.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agent_csv.h"
#include "agent_vocab.h"
#include "dajia.pb-c.h"
#include "dajia_suggest.h"

#define S_NOTE_WIDTH 88 /* characters of a note line before it wraps */

typedef struct {
    const char *key;
    const char *value; /* JSON */
    const char *zh;
    const char *note;
    bool required;
} s_field_t;

static const s_field_t s_envelope[] = {
    {"event_id", "null", "事件编号",
     "your own id for this report (letters, digits . _ : -); null: the agent makes one from "
     "the content, so submitting the same file twice stores nothing twice",
     false},
    {"unit", "null", "报送单位", "your unit's code; null: the agent's own (--unit)", false},
    {"reporter", "\"王丽\"", "填报人", "the liaison officer who reports", false},
    {"occurred_at", "\"2026-11-03T09:30:00+08:00\"", "发生时间",
     "when the change reported here happened: \"2026-11-03\" or with the time of day, "
     "Beijing time",
     true},
    {"region", "\"411502\"", "行政区划",
     "where it happened, a region code: 411500 信阳市, 411502 浉河区, 411503 平桥区, 411521 "
     "罗山县, 411522 光山县, 411523 新县, 411524 商城县, 411525 固始县, 411526 潢川县, 411527 "
     "淮滨县, 411528 息县",
     false},
    {"supersedes_event_id", "null", "更正的事件编号",
     "for a correction: the event_id of the earlier report this one replaces", false},
};

static const s_field_t s_case_report[] = {
    {"case_no", "\"信市监处罚〔2026〕118号\"", "案件编号",
     "the unit's own case number; every report on the same case carries the same one", true},
    {"platform_ids", "[\"HN-IPR-2026-004471\"]", "平台编号",
     "the case's numbers in national or provincial platforms", false},
    {"case_name", "\"浉河区某茶叶店销售假冒“信阳毛尖”地理标志茶叶案\"", "案件名称", "", false},
    {"handling_agency", "\"信阳市市场监督管理局浉河分局\"", "办案单位", "", false},
    {"category", "\"geographical_indication\"", "案件类别", "", true},
    {"goods", "[\"tea\"]", "涉案商品类别", "a list, e.g. [\"tea\", \"food\"]", false},
    {"right_holder", "\"信阳市茶叶协会\"", "权利人", "", false},
    {"brand", "\"信阳毛尖\"", "涉案品牌", "", false},
    {"foreign_right_holder", "false", "涉外权利人", "true when the right holder is foreign", false},
    {"ecommerce", "true", "电子商务", "true when sold online", false},
    {"key_physical_market", "false", "重点实体市场", "", false},
    {"rural", "false", "农村地区", "", false},
    {"import_export", "false", "进出口", "", false},
    {"postal_express", "false", "寄递渠道", "", false},
    {"case_value_fen", "8640000", "案值", "in fen: 86,400.00 yuan is 8640000", false},
    {"illegal_business_fen", "8640000", "非法经营额", "in fen", false},
    {"sales_fen", "5120000", "销售金额", "in fen", false},
    {"unsold_goods_value_fen", "3520000", "未销售货值", "in fen", false},
    {"illegal_gains_fen", "null", "违法所得", "in fen", false},
    {"fines_confiscations_fen", "null", "罚没金额", "in fen", false},
    {"loss_recovered_fen", "null", "挽回损失", "in fen", false},
    {"clue_received_at", "\"2026-10-20\"", "线索接收日期", "", false},
    {"filed_at", "\"2026-10-22T15:00:00+08:00\"", "立案日期", "", false},
    {"decision_no", "null", "处罚决定书文号", "", false},
    {"decision_at", "null", "处罚决定日期", "", false},
    {"closed_at", "null", "结案日期", "", false},
    {"disclosed_at", "null", "信息公开日期", "", false},
    {"disclosure_url", "null", "公开网址", "", false},
    {"stage", "\"filed\"", "办理阶段", "where the case stands now", true},
    {"linkage", "\"suspected\"", "两法衔接状态",
     "the case's step in the transfer to the criminal justice organs", false},
    {"transferred_at", "null", "移送日期", "when the case went to the police", false},
    {"receiving_police_unit", "null", "接收公安机关", "", false},
    {"police_decision_at", "null", "公安决定日期", "", false},
    {"decline_reason", "null", "不予立案理由", "", false},
    {"dens_destroyed", "1", "捣毁窝点数", "", false},
    {"suspects_arrested", "null", "抓获人数", "", false},
    {"suspects_detained", "null", "刑事拘留人数", "", false},
    {"arrests_approved", "null", "批准逮捕人数", "", false},
    {"prosecuted_cases", "null", "起诉案件数", "", false},
    {"prosecuted_persons", "null", "起诉人数", "", false},
    {"persons_judged", "null", "判决人数", "", false},
    {"seized_quantity", "176", "查扣数量", "items, boxes, kilograms: as counted", false},
    {"scope", "\"county\"", "涉及地域", "how far the case reaches", false},
    {"health_safety", "false", "危害健康安全", "", false},
    {"casualties", "false", "造成人员伤亡", "", false},
    {"media_attention", "false", "媒体关注", "", false},
    {"supervision", "\"none\"", "督办级别", "", false},
    {"supervision_no", "null", "督办文号", "", false},
    {"involved_units", "null", "协办单位",
     "codes of the other member units working the case, e.g. [\"psb\", \"customs\"]", false},
};

static const s_field_t s_major_matter[] = {
    {"matter_id", "\"MM-2026-0004\"", "事项编号",
     "your unit's own id for the matter; its progress reports name it", true},
    {"type", "\"cross_region_case\"", "事项类型", "", true},
    {"severity", "\"major\"", "严重程度", "", true},
    {"title", "\"跨省制售假冒“信阳毛尖”茶叶案件需协同查办\"", "标题", "", true},
    {"summary", "\"线索指向外省加工窝点，需公安、海关协同。\"", "简要情况", "", false},
    {"related_case_nos", "[\"信市监处罚〔2026〕118号\"]", "关联案件编号",
     "case_no of your unit's cases this matter is about", false},
    {"involved_units", "[\"psb\"]", "涉及单位", "codes of the other member units", false},
    {"requests", "[\"coordination\"]", "提请事项", "what the unit asks the Office for", false},
    {"update_interval_days", "null", "进展报送间隔（天）",
     "days between progress reports; null: the Office's rule (15, or 7 for especially major "
     "or health and safety matters)",
     false},
    {"next_update_due_at", "null", "下次进展报送时间", "", false},
};

static const s_field_t s_matter_progress[] = {
    {"matter_id", "\"MM-2026-0004\"", "事项编号", "the matter_id of the major matter", true},
    {"seq", "1", "进展序号", "1 for the first progress report on the matter, then 2, 3, ...", true},
    {"status", "\"in_progress\"", "办理状态", "", true},
    {"narrative", "\"已召开协调会，公安机关已介入。\"", "进展情况", "what happened since", true},
    {"next_update_due_at", "null", "下次进展报送时间", "", false},
};

static const s_field_t s_dynamic_info[] = {
    {"info_id", "\"DYN-2026-11-03\"", "信息编号", "your unit's own id for this report", true},
    {"period", "\"2026-11\"", "报送期", "a month \"2026-11\" or a quarter \"2026-Q4\"", true},
    {"kind", "\"campaign_progress\"", "信息类别", "", true},
    {"title", "\"“铁拳”行动查处假冒茶叶案件进展\"", "标题", "required unless zero_report", false},
    {"body", "\"本月开展茶叶市场专项检查12次。\"", "正文", "", false},
    {"zero_report", "false", "零申报", "true: nothing to report this period (title may be empty)",
     false},
    {"campaign_tag", "\"铁拳\"", "专项行动", "e.g. 铁拳, 剑网, 龙腾, 蓝天", false},
};

typedef struct {
    const char *type;
    const char *zh;
    const ProtobufCMessageDescriptor *desc;
    const s_field_t *fields;
    size_t count;
    const char *example_of;
} s_template_t;

#define S_T(type, zh, desc, table, what)                                                           \
    {                                                                                              \
        type, zh, &desc, table, sizeof table / sizeof table[0], what                               \
    }

static const s_template_t s_templates[] = {
    S_T("case_report", "案件查办信息", dajia__case_report__descriptor, s_case_report,
        "one report on a case: send one each time the case changes (filed, decided, closed, "
        "transferred, ...)"),
    S_T("major_matter", "重大事项", dajia__major_matter_report__descriptor, s_major_matter,
        "a new major matter for the Office"),
    S_T("matter_progress", "重大事项进展", dajia__major_matter_progress__descriptor,
        s_matter_progress, "progress on a major matter reported before"),
    S_T("dynamic_info", "工作动态信息", dajia__dynamic_info__descriptor, s_dynamic_info,
        "work dynamic information, or a zero report for the period"),
};

static const char *const s_types[] = {"case_report",  "major_matter", "matter_progress",
                                      "dynamic_info", "csv",          "csv_en"};

const char *
agent_template_near(const char *type)
{
    dajia_suggest_t near;
    dajia_suggest_init(&near, type);
    for (size_t i = 0; i < sizeof s_types / sizeof s_types[0]; i++)
        dajia_suggest_add(&near, s_types[i]);
    return dajia_suggest_best(&near);
}

/* Writes `text` as note lines ("# ..." at `indent`), wrapped at about S_NOTE_WIDTH
   characters, at spaces or after ", ". */
static void
s_note(FILE *out, int indent, const char *text)
{
    size_t n = strlen(text);
    for (size_t pos = 0; pos < n;) {
        size_t chars = 0, i = pos, space = 0;
        while (i < n && chars < S_NOTE_WIDTH) {
            if (text[i] == ' ')
                space = i;
            i++;
            while (i < n && ((unsigned char)text[i] & 0xC0) == 0x80)
                i++;
            chars++;
        }
        size_t cut = i >= n ? n : space > pos ? space : i;
        fprintf(out, "%*s# %.*s\n", indent, "", (int)(cut - pos), text + pos);
        pos = cut;
        while (pos < n && text[pos] == ' ')
            pos++;
    }
}

/* The values of an enum with their labels: "clue 线索, filed 立案, ...". */
static char *
s_values(const ProtobufCEnumDescriptor *desc)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    buf[0] = '\0';
    const char *zero = desc->values[0].name;
    for (unsigned i = 0; i < desc->n_values; i++) {
        const ProtobufCEnumValue *v = &desc->values[i];
        if (v->value == 0)
            continue;
        size_t cut = 0;
        for (size_t k = 0; zero[k] && zero[k] == v->name[k]; k++)
            if (zero[k] == '_')
                cut = k + 1;
        char name[96];
        size_t o = 0;
        for (const char *p = v->name + cut; *p && o + 1 < sizeof name; p++)
            name[o++] = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
        name[o] = '\0';
        const char *label = agent_vocab_label(desc, v->value);
        int w = snprintf(buf + len, cap - len, "%s%s%s%s", len ? ", " : "", name, label ? " " : "",
                         label ? label : "");
        if (w < 0 || (size_t)w >= cap - len)
            break;
        len += (size_t)w;
    }
    return buf;
}

static int
s_fields(FILE *out, int indent, const ProtobufCMessageDescriptor *desc, const s_field_t *fields,
         size_t count, bool last_closes)
{
    for (size_t i = 0; i < count; i++) {
        const s_field_t *f = &fields[i];
        const ProtobufCFieldDescriptor *fd =
            protobuf_c_message_descriptor_get_field_by_name(desc, f->key);
        char note[1024];
        snprintf(note, sizeof note, "%s%s%s%s", f->zh, f->required ? " (required 必填)" : "",
                 f->note[0] ? ": " : "", f->note);
        s_note(out, indent, note);
        if (fd && fd->type == PROTOBUF_C_TYPE_ENUM) {
            char *values = s_values(fd->descriptor);
            if (!values)
                return -ENOMEM;
            char line[4200];
            snprintf(line, sizeof line, "%s: %s",
                     fd->label == PROTOBUF_C_LABEL_REPEATED ? "each one of" : "one of", values);
            s_note(out, indent, line);
            free(values);
        }
        fprintf(out, "%*s\"%s\": %s%s\n", indent, "", f->key, f->value,
                i + 1 < count || !last_closes ? "," : "");
    }
    return 0;
}

int
agent_template_print(FILE *out, const char *type)
{
    if (strcmp(type, "csv") == 0 || strcmp(type, "csv_en") == 0) {
        char *csv = agent_csv_template(strcmp(type, "csv") == 0);
        if (!csv)
            return -ENOMEM;
        fputs(csv, out);
        free(csv);
        return 0;
    }
    const s_template_t *t = NULL;
    for (size_t i = 0; i < sizeof s_templates / sizeof s_templates[0]; i++)
        if (strcmp(type, s_templates[i].type) == 0)
            t = &s_templates[i];
    if (!t)
        return -1;
    char required[512] = "occurred_at";
    for (size_t i = 0; i < t->count; i++)
        if (t->fields[i].required) {
            size_t n = strlen(required);
            snprintf(required + n, sizeof required - n, ", %s", t->fields[i].key);
        }
    char title[512];
    snprintf(title, sizeof title, "dajia-agent template %s: %s, %s, with every field.", t->type,
             t->zh, t->example_of);
    s_note(out, 0, title);
    fprintf(out,
            "# Fill it in and submit it: dajia-agent submit FILE. Lines that start with # are\n"
            "# notes, which the agent skips: keep them or delete them.\n");
    fprintf(out, "# Required (必填): %s. null means \"not given\".\n", required);
    fprintf(out,
            "# Money is in fen (分): 1 yuan = 100 fen, so 86,400.00 yuan is 8640000.\n"
            "# Times: \"2026-11-03\", or \"2026-11-03T09:30:00+08:00\" with the time (Beijing).\n"
            "# Every field and value, in Chinese and English: docs/fields.md\n");
    fprintf(out, "{\n");
    int rc = s_fields(out, 2, &dajia__envelope__descriptor, s_envelope,
                      sizeof s_envelope / sizeof s_envelope[0], false);
    if (rc)
        return rc;
    fprintf(out, "  # the report itself (%s):\n  \"%s\": {\n", t->zh, t->type);
    rc = s_fields(out, 4, t->desc, t->fields, t->count, true);
    if (rc)
        return rc;
    fprintf(out, "  }\n}\n");
    return 0;
}
