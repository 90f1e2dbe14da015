/*  test_labels: dajia_labels' words and numbers, checked against strings written by hand.

    Completeness is checked by walking the schema rather than by a list kept here: every
    enum that any field of any message uses (reached from the top-level messages) must
    have, for each of its values, a Chinese label (with Chinese characters in it) and an
    English one (plain ASCII), neither being the fallback, and no two values of an enum
    may share a label. So a value or an enum added to dajia.proto without its labels
    fails here. The Figures message's fields and the bulletin's channels are walked the
    same way.

    Money, worked by hand: 1 yuan = 100 fen, 1 万元 = 10,000 yuan = 1,000,000 fen, and
    0.01 万元 = 100 yuan = 10,000 fen. INT64_MAX fen = 92,233,720,368,547,758.07 yuan =
    9,223,372,036,854.775807 万元, which rounds to 9,223,372,036,854.78.
*/
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dajia.pb-c.h"
#include "dajia_labels.h"

#define ZH DAJIA_LANG_ZH
#define EN DAJIA_LANG_EN

static char s_buf[DAJIA_LABEL_TEXT_MAX];

// ================================================================= language

static void
test_lang_parse(void **state)
{
    (void)state;
    dajia_lang_t lang = EN;
    assert_int_equal(dajia_lang_parse("zh", &lang), 0);
    assert_int_equal(lang, ZH);
    assert_int_equal(dajia_lang_parse("en", &lang), 0);
    assert_int_equal(lang, EN);

    static const char *const bad[] = {"", "ZH", "En", "zh-CN", " zh", "zh ", "fr", "chinese", "z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lang = EN;
        if (dajia_lang_parse(bad[i], &lang) != -EINVAL)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_int_equal(lang, EN); /* left as it was */
    }
    assert_int_equal(dajia_lang_parse(NULL, &lang), -EINVAL);
    assert_int_equal(dajia_lang_parse("zh", NULL), -EINVAL);

    assert_string_equal(dajia_lang_name(ZH), "zh");
    assert_string_equal(dajia_lang_name(EN), "en");
    assert_int_equal(DAJIA_LANG_DEFAULT, ZH);
    assert_string_equal(DAJIA_LANG_ACCEPTED, "zh or en");
}

// ============================================================ schema enums

#define S_MAX_SEEN 64

typedef struct {
    const ProtobufCMessageDescriptor *messages[S_MAX_SEEN];
    size_t n_messages;
    const ProtobufCEnumDescriptor *enums[S_MAX_SEEN];
    size_t n_enums;
} s_walk_t;

/* Collects every message reachable from `m` and every enum their fields use. */
static void
s_walk(s_walk_t *w, const ProtobufCMessageDescriptor *m)
{
    for (size_t i = 0; i < w->n_messages; i++)
        if (w->messages[i] == m)
            return;
    assert_true(w->n_messages < S_MAX_SEEN);
    w->messages[w->n_messages++] = m;
    for (unsigned f = 0; f < m->n_fields; f++) {
        const ProtobufCFieldDescriptor *field = &m->fields[f];
        if (field->type == PROTOBUF_C_TYPE_MESSAGE)
            s_walk(w, field->descriptor);
        else if (field->type == PROTOBUF_C_TYPE_ENUM) {
            bool seen = false;
            for (size_t i = 0; i < w->n_enums; i++)
                seen = seen || w->enums[i] == field->descriptor;
            if (!seen) {
                assert_true(w->n_enums < S_MAX_SEEN);
                w->enums[w->n_enums++] = field->descriptor;
            }
        }
    }
}

static bool
s_ascii(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p >= 0x80)
            return false;
    return true;
}

static void
test_every_enum_value_has_both_labels(void **state)
{
    (void)state;
    static s_walk_t w;
    memset(&w, 0, sizeof w);
    /* The messages nothing else contains: the event, the api's and the feeds'. */
    s_walk(&w, &dajia__envelope__descriptor);
    s_walk(&w, &dajia__ack__descriptor);
    s_walk(&w, &dajia__log_record__descriptor);
    s_walk(&w, &dajia__feed_item__descriptor);
    s_walk(&w, &dajia__replay_request__descriptor);
    s_walk(&w, &dajia__feed_batch__descriptor);

    /* The walk reaches every enum the schema has today (it finds new ones by itself). */
    const ProtobufCEnumDescriptor *const known[] = {
        &dajia__case_category__descriptor,  &dajia__goods_category__descriptor,
        &dajia__case_stage__descriptor,     &dajia__linkage_status__descriptor,
        &dajia__region_scope__descriptor,   &dajia__supervision_level__descriptor,
        &dajia__matter_type__descriptor,    &dajia__severity__descriptor,
        &dajia__matter_request__descriptor, &dajia__matter_status__descriptor,
        &dajia__info_kind__descriptor,      &dajia__ack_status__descriptor,
        &dajia__reason__descriptor,         &dajia__audience__descriptor,
    };
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        bool found = false;
        for (size_t i = 0; i < w.n_enums; i++)
            found = found || w.enums[i] == known[k];
        if (!found)
            fail_msg("the walk missed enum %s", known[k]->name);
    }

    size_t checked = 0;
    for (size_t i = 0; i < w.n_enums; i++) {
        const ProtobufCEnumDescriptor *d = w.enums[i];
        for (unsigned v = 0; v < d->n_values; v++) {
            const ProtobufCEnumValue *value = &d->values[v];
            const char *zh = dajia_label_enum(d, value->value, ZH);
            const char *en = dajia_label_enum(d, value->value, EN);
            assert_non_null(zh);
            assert_non_null(en);
            if (strcmp(zh, value->name) == 0 || strcmp(zh, "未知") == 0 || s_ascii(zh))
                fail_msg("%s.%s has no Chinese label (got \"%s\")", d->name, value->name, zh);
            if (strcmp(en, value->name) == 0 || strcmp(en, "unknown") == 0 || !*en || !s_ascii(en))
                fail_msg("%s.%s has no English label (got \"%s\")", d->name, value->name, en);
            for (unsigned u = 0; u < v; u++) {
                int other = d->values[u].value;
                if (strcmp(zh, dajia_label_enum(d, other, ZH)) == 0 ||
                    strcmp(en, dajia_label_enum(d, other, EN)) == 0)
                    fail_msg("%s: %s and %s share a label", d->name, value->name,
                             d->values[u].name);
            }
            checked++;
        }
    }
    /* 18 + 20 + 13 + 15 + 5 + 5 + 8 + 3 + 4 + 6 + 7 + 4 + 22 + 3 values today */
    assert_true(checked >= 133);
}

static void
test_enum_labels_by_hand(void **state)
{
    (void)state;
    const struct {
        const ProtobufCEnumDescriptor *d;
        int value;
        const char *zh;
        const char *en;
    } cases[] = {
        {&dajia__case_category__descriptor, DAJIA__CASE_CATEGORY__CASE_CATEGORY_UNSPECIFIED,
         "未注明", "unspecified"},
        {&dajia__case_category__descriptor,
         DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_INFRINGEMENT, "商标侵权",
         "trademark infringement"},
        {&dajia__case_category__descriptor,
         DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING, "假冒注册商标",
         "trademark counterfeiting"},
        {&dajia__case_category__descriptor, DAJIA__CASE_CATEGORY__CASE_CATEGORY_PATENT_PASSING_OFF,
         "假冒专利", "patent passing-off"},
        {&dajia__case_category__descriptor, DAJIA__CASE_CATEGORY__CASE_CATEGORY_COPYRIGHT_PIRACY,
         "侵犯著作权", "copyright piracy"},
        {&dajia__case_category__descriptor, DAJIA__CASE_CATEGORY__CASE_CATEGORY_OFFICIAL_MARK,
         "官方标志、特殊标志、奥林匹克标志", "official, special and Olympic marks"},
        {&dajia__case_category__descriptor, DAJIA__CASE_CATEGORY__CASE_CATEGORY_IC_LAYOUT,
         "集成电路布图设计", "integrated circuit layout design"},
        {&dajia__case_category__descriptor, DAJIA__CASE_CATEGORY__CASE_CATEGORY_FAKE_DRUG,
         "假药劣药", "fake or substandard drugs"},
        {&dajia__case_category__descriptor, DAJIA__CASE_CATEGORY__CASE_CATEGORY_COUNTERFEIT_TOBACCO,
         "假冒烟草", "counterfeit tobacco"},
        {&dajia__case_category__descriptor, DAJIA__CASE_CATEGORY__CASE_CATEGORY_OTHER, "其他",
         "other"},
        {&dajia__goods_category__descriptor, DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_TEA, "茶叶",
         "tea"},
        {&dajia__goods_category__descriptor,
         DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_CLOTHING_SHOES_BAGS, "服装鞋帽箱包",
         "clothing, shoes, hats and bags"},
        {&dajia__goods_category__descriptor,
         DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_PUBLICATION_AV_SOFTWARE, "出版物、音像制品、软件",
         "publications, audio-visual products and software"},
        {&dajia__goods_category__descriptor,
         DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_PROTECTIVE_SUPPLIES, "防护用品",
         "protective supplies"},
        {&dajia__case_stage__descriptor, DAJIA__CASE_STAGE__CASE_STAGE_CLUE, "线索", "clue"},
        {&dajia__case_stage__descriptor, DAJIA__CASE_STAGE__CASE_STAGE_FILED, "立案", "filed"},
        {&dajia__case_stage__descriptor, DAJIA__CASE_STAGE__CASE_STAGE_PENALTY_DECIDED,
         "作出处罚决定", "penalty decided"},
        {&dajia__case_stage__descriptor, DAJIA__CASE_STAGE__CASE_STAGE_HANDED_TO_OTHER_AGENCY,
         "移交其他机关", "handed to another agency"},
        {&dajia__case_stage__descriptor, DAJIA__CASE_STAGE__CASE_STAGE_JUDGMENT_EFFECTIVE,
         "判决生效", "judgment effective"},
        {&dajia__case_stage__descriptor, DAJIA__CASE_STAGE__CASE_STAGE_REVOKED, "撤销", "revoked"},
        {&dajia__linkage_status__descriptor, DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_NONE, "无",
         "none"},
        {&dajia__linkage_status__descriptor, DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_TRANSFERRED,
         "已移送公安", "transferred to the police"},
        {&dajia__linkage_status__descriptor, DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_POLICE_DECLINED,
         "公安不予立案", "declined by the police"},
        {&dajia__linkage_status__descriptor,
         DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_RECONSIDERATION_REQUESTED, "提请复议",
         "reconsideration requested"},
        {&dajia__linkage_status__descriptor,
         DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_PROCURATORATE_NOTIFIED_FILING, "检察院通知立案",
         "procuratorate notified the police to file"},
        {&dajia__linkage_status__descriptor,
         DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_REVERSE_TRANSFERRED, "反向移送", "transferred back"},
        {&dajia__region_scope__descriptor, DAJIA__REGION_SCOPE__REGION_SCOPE_PROVINCE, "跨省",
         "across provinces"},
        {&dajia__supervision_level__descriptor,
         DAJIA__SUPERVISION_LEVEL__SUPERVISION_LEVEL_NATIONAL, "国家级督办",
         "national supervision"},
        {&dajia__matter_type__descriptor, DAJIA__MATTER_TYPE__MATTER_TYPE_MAJOR_CASE, "重大案件",
         "major case"},
        {&dajia__severity__descriptor, DAJIA__SEVERITY__SEVERITY_MAJOR, "重大", "major"},
        {&dajia__severity__descriptor, DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR, "特别重大",
         "especially major"},
        {&dajia__matter_request__descriptor, DAJIA__MATTER_REQUEST__MATTER_REQUEST_MEETING,
         "召开会议", "a meeting"},
        {&dajia__matter_status__descriptor, DAJIA__MATTER_STATUS__MATTER_STATUS_CLOSED, "已办结",
         "closed"},
        {&dajia__info_kind__descriptor, DAJIA__INFO_KIND__INFO_KIND_TYPICAL_CASE, "典型案例",
         "typical case"},
        {&dajia__ack_status__descriptor, DAJIA__ACK_STATUS__ACK_STATUS_REJECTED, "已拒收",
         "rejected"},
        {&dajia__reason__descriptor, DAJIA__REASON__REASON_UNKNOWN_UNIT, "非成员单位",
         "not a member unit"},
        {&dajia__reason__descriptor, DAJIA__REASON__REASON_FORBIDDEN, "无权操作", "forbidden"},
        {&dajia__audience__descriptor, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, "公开", "public"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_string_equal(dajia_label_enum(cases[i].d, cases[i].value, ZH), cases[i].zh);
        assert_string_equal(dajia_label_enum(cases[i].d, cases[i].value, EN), cases[i].en);
    }
}

static void
test_enum_fallbacks(void **state)
{
    (void)state;
    /* a number the schema does not have */
    assert_string_equal(dajia_label_enum(&dajia__case_stage__descriptor, 99, ZH), "未知");
    assert_string_equal(dajia_label_enum(&dajia__case_stage__descriptor, 99, EN), "unknown");
    assert_string_equal(dajia_label_enum(&dajia__case_stage__descriptor, -1, EN), "unknown");
    assert_string_equal(dajia_label_enum(NULL, 1, ZH), "未知");
    /* a descriptor this module has no table for: the value's name */
    ProtobufCEnumDescriptor other = dajia__severity__descriptor;
    assert_string_equal(dajia_label_enum(&other, DAJIA__SEVERITY__SEVERITY_MAJOR, ZH),
                        "SEVERITY_MAJOR");
    assert_string_equal(dajia_label_enum(&other, DAJIA__SEVERITY__SEVERITY_MAJOR, EN),
                        "SEVERITY_MAJOR");
    /* a language outside the enum reads as Chinese, the default */
    assert_string_equal(dajia_label_enum(&dajia__case_stage__descriptor,
                                         DAJIA__CASE_STAGE__CASE_STAGE_FILED, (dajia_lang_t)7),
                        "立案");
}

// =================================================================== money

static const char *
s_money(int64_t fen, dajia_lang_t lang)
{
    return dajia_label_money(fen, lang, s_buf, sizeof s_buf);
}

static const char *
s_wan(int64_t fen)
{
    return dajia_label_money_wan(fen, s_buf, sizeof s_buf);
}

static void
test_money_by_hand(void **state)
{
    (void)state;
    const struct {
        int64_t fen;
        const char *zh;
        const char *en;
        const char *wan;
    } cases[] = {
        {0, "0.00元", "0.00 yuan", "0.00"},
        {1, "0.01元", "0.01 yuan", "0.00"},
        {100, "1.00元", "1.00 yuan", "0.00"},
        {9999, "99.99元", "99.99 yuan", "0.01"},             /* 0.009999 万元 */
        {864000, "8,640.00元", "8,640.00 yuan", "0.86"},     /* 0.864 万元 */
        {999999, "9,999.99元", "9,999.99 yuan", "1.00"},     /* 0.9999999 万元 */
        {1000000, "1.00万元", "10,000.00 yuan", "1.00"},     /* 10,000 yuan */
        {1004999, "1.00万元", "10,049.99 yuan", "1.00"},     /* 1.004999 万元 */
        {1005000, "1.01万元", "10,050.00 yuan", "1.01"},     /* half: away from zero */
        {8640000, "8.64万元", "86,400.00 yuan", "8.64"},     /* 86,400 yuan */
        {86400000, "86.40万元", "864,000.00 yuan", "86.40"}, /* 864,000 yuan */
        {200000000, "200.00万元", "2,000,000.00 yuan", "200.00"},
        {1234560000, "1,234.56万元", "12,345,600.00 yuan", "1,234.56"},
        {1234564999, "1,234.56万元", "12,345,649.99 yuan", "1,234.56"},
        {1234565000, "1,234.57万元", "12,345,650.00 yuan", "1,234.57"},
        {-1, "-0.01元", "-0.01 yuan", "0.00"}, /* rounds to zero: no "-0.00" */
        {-864000, "-8,640.00元", "-8,640.00 yuan", "-0.86"},
        {-999999, "-9,999.99元", "-9,999.99 yuan", "-1.00"},
        {-1000000, "-1.00万元", "-10,000.00 yuan", "-1.00"},
        {-86400000, "-86.40万元", "-864,000.00 yuan", "-86.40"},
        {INT64_MAX, "9,223,372,036,854.78万元", "92,233,720,368,547,758.07 yuan",
         "9,223,372,036,854.78"},
        {INT64_MIN, "-9,223,372,036,854.78万元", "-92,233,720,368,547,758.08 yuan",
         "-9,223,372,036,854.78"},
        {INT64_MIN + 1, "-9,223,372,036,854.78万元", "-92,233,720,368,547,758.07 yuan",
         "-9,223,372,036,854.78"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_string_equal(s_money(cases[i].fen, ZH), cases[i].zh);
        assert_string_equal(s_money(cases[i].fen, EN), cases[i].en);
        assert_string_equal(s_wan(cases[i].fen), cases[i].wan);
    }
    assert_string_equal(dajia_label_wan_unit(ZH), "万元");
    assert_string_equal(dajia_label_wan_unit(EN), "10,000 yuan");
}

static void
test_money_small_buffers(void **state)
{
    (void)state;
    /* "8,640.00元" is 11 bytes (元 is 3 in UTF-8): 12 with the NUL fit, 11 do not, and
       nothing is cut */
    char buf[12];
    memset(buf, 'x', sizeof buf);
    assert_ptr_equal(dajia_label_money(864000, ZH, buf, 12), buf);
    assert_string_equal(buf, "8,640.00元");
    memset(buf, 'x', sizeof buf);
    assert_string_equal(dajia_label_money(864000, ZH, buf, 11), "");
    assert_string_equal(dajia_label_money_wan(864000, buf, 4), "");
    assert_string_equal(dajia_label_money_wan(864000, buf, 5), "0.86");
    /* a zero length writes nothing */
    buf[0] = 'x';
    dajia_label_money(1, EN, buf, 0);
    assert_int_equal(buf[0], 'x');
    /* the longest texts fit DAJIA_LABEL_TEXT_MAX */
    assert_true(strlen(s_money(INT64_MIN, EN)) > 0);
    assert_true(strlen(s_money(INT64_MIN, ZH)) > 0);
}

// ================================================================== counts

static void
test_quantities_by_hand(void **state)
{
    (void)state;
    const struct {
        int64_t n;
        dajia_measure_t m;
        const char *zh;
        const char *en;
    } cases[] = {
        {0, DAJIA_MEASURE_CASES, "0件", "0 cases"},
        {1, DAJIA_MEASURE_CASES, "1件", "1 case"},
        {2, DAJIA_MEASURE_CASES, "2件", "2 cases"},
        {1234, DAJIA_MEASURE_CASES, "1,234件", "1,234 cases"},
        {-1, DAJIA_MEASURE_CASES, "-1件", "-1 case"},
        {3, DAJIA_MEASURE_PERSONS, "3人", "3 persons"},
        {1, DAJIA_MEASURE_PERSONS, "1人", "1 person"},
        {12, DAJIA_MEASURE_DENS, "12个", "12 dens"},
        {23, DAJIA_MEASURE_UNITS, "23家", "23 units"},
        {4, DAJIA_MEASURE_MATTERS, "4件", "4 matters"},
        {7, DAJIA_MEASURE_DAYS, "7天", "7 days"},
        {1, DAJIA_MEASURE_DAYS, "1天", "1 day"},
        {72, DAJIA_MEASURE_HOURS, "72小时", "72 hours"},
        {1234567, DAJIA_MEASURE_NUMBER, "1,234,567", "1,234,567"},
        {864000, DAJIA_MEASURE_FEN, "8,640.00元", "8,640.00 yuan"},
        {INT64_MIN, DAJIA_MEASURE_PERSONS, "-9,223,372,036,854,775,808人",
         "-9,223,372,036,854,775,808 persons"},
        {5, (dajia_measure_t)99, "5", "5"},
        {5, (dajia_measure_t)-1, "5", "5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_string_equal(dajia_label_quantity(cases[i].n, cases[i].m, ZH, s_buf, sizeof s_buf),
                            cases[i].zh);
        assert_string_equal(dajia_label_quantity(cases[i].n, cases[i].m, EN, s_buf, sizeof s_buf),
                            cases[i].en);
    }
    const struct {
        int64_t n;
        const char *text;
    } numbers[] = {{0, "0"},
                   {7, "7"},
                   {999, "999"},
                   {1000, "1,000"},
                   {-1000, "-1,000"},
                   {100000, "100,000"},
                   {1000000, "1,000,000"},
                   {-5, "-5"},
                   {INT64_MAX, "9,223,372,036,854,775,807"},
                   {INT64_MIN, "-9,223,372,036,854,775,808"}};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        assert_string_equal(dajia_label_number(numbers[i].n, s_buf, sizeof s_buf), numbers[i].text);
    char small[4];
    assert_string_equal(dajia_label_number(1000, small, sizeof small), "");
    assert_string_equal(dajia_label_quantity(12, DAJIA_MEASURE_CASES, ZH, small, sizeof small), "");

    assert_string_equal(dajia_label_measure(DAJIA_MEASURE_CASES, ZH), "件");
    assert_string_equal(dajia_label_measure(DAJIA_MEASURE_CASES, EN), "cases");
    assert_string_equal(dajia_label_measure(DAJIA_MEASURE_PERSONS, ZH), "人");
    assert_string_equal(dajia_label_measure(DAJIA_MEASURE_FEN, ZH), "元");
    assert_string_equal(dajia_label_measure(DAJIA_MEASURE_FEN, EN), "yuan");
    assert_string_equal(dajia_label_measure(DAJIA_MEASURE_NUMBER, EN), "");
}

// ============================================================ named values

static void
test_every_figure_has_a_name_and_measure(void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *d = &dajia__figures__descriptor;
    assert_true(d->n_fields >= 11);
    for (unsigned f = 0; f < d->n_fields; f++) {
        const char *name = d->fields[f].name;
        dajia_measure_t m = (dajia_measure_t)-1;
        const char *zh = dajia_label_figure(name, ZH, &m);
        const char *en = dajia_label_figure(name, EN, NULL);
        if (strcmp(zh, name) == 0 || s_ascii(zh))
            fail_msg("figure %s has no Chinese name", name);
        if (strcmp(en, name) == 0 || !s_ascii(en))
            fail_msg("figure %s has no English name", name);
        size_t len = strlen(name);
        bool money = len > 4 && strcmp(name + len - 4, "_fen") == 0;
        if (money != (m == DAJIA_MEASURE_FEN))
            fail_msg("figure %s: measure %d", name, (int)m);
        if (m == DAJIA_MEASURE_NUMBER)
            fail_msg("figure %s counts nothing named", name);
    }
    dajia_measure_t m;
    assert_string_equal(dajia_label_figure("cases_filed", ZH, &m), "立案数");
    assert_int_equal(m, DAJIA_MEASURE_CASES);
    assert_string_equal(dajia_label_figure("cases_filed", EN, NULL), "cases filed");
    assert_string_equal(dajia_label_figure("case_value_fen", ZH, &m), "案值");
    assert_int_equal(m, DAJIA_MEASURE_FEN);
    assert_string_equal(dajia_label_figure("suspects_arrested", ZH, &m), "抓获犯罪嫌疑人");
    assert_int_equal(m, DAJIA_MEASURE_PERSONS);
    assert_string_equal(dajia_label_figure("dens_destroyed", EN, &m), "dens destroyed");
    assert_int_equal(m, DAJIA_MEASURE_DENS);
    /* fallbacks */
    assert_string_equal(dajia_label_figure("no_such_figure", ZH, &m), "no_such_figure");
    assert_int_equal(m, DAJIA_MEASURE_NUMBER);
    assert_string_equal(dajia_label_figure(NULL, EN, &m), "unknown");
}

static void
test_every_channel_has_a_name(void **state)
{
    (void)state;
    /* The bulletin's channels are its Figures fields other than the lists; each is a
       CaseReport flag of the same name. */
    const ProtobufCMessageDescriptor *b = &dajia__bulletin__descriptor;
    size_t channels = 0;
    for (unsigned f = 0; f < b->n_fields; f++) {
        const ProtobufCFieldDescriptor *field = &b->fields[f];
        if (field->type != PROTOBUF_C_TYPE_MESSAGE ||
            field->descriptor != &dajia__figures__descriptor ||
            field->label == PROTOBUF_C_LABEL_REPEATED)
            continue;
        const char *zh = dajia_label_channel(field->name, ZH);
        const char *en = dajia_label_channel(field->name, EN);
        if (strcmp(zh, field->name) == 0 || s_ascii(zh) || strcmp(en, field->name) == 0)
            fail_msg("channel %s has no name", field->name);
        assert_non_null(protobuf_c_message_descriptor_get_field_by_name(
            &dajia__case_report__descriptor, field->name));
        channels++;
    }
    assert_int_equal(channels, 5);
    assert_string_equal(dajia_label_channel("ecommerce", ZH), "电子商务");
    assert_string_equal(dajia_label_channel("ecommerce", EN), "e-commerce");
    assert_string_equal(dajia_label_channel("postal_express", ZH), "寄递渠道");
    assert_string_equal(dajia_label_channel("nope", ZH), "nope");
    assert_string_equal(dajia_label_channel(NULL, ZH), "未知");
}

static void
test_compliance_states(void **state)
{
    (void)state;
    const char *const cases[][3] = {
        {"on_time", "按时报送", "on time"},       {"late", "逾期报送", "late"},
        {"missing", "未报送", "missing"},         {"pending", "待报送", "pending"},
        {"zero_report", "零申报", "zero report"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_string_equal(dajia_label_compliance(cases[i][0], ZH), cases[i][1]);
        assert_string_equal(dajia_label_compliance(cases[i][0], EN), cases[i][2]);
    }
    assert_string_equal(dajia_label_compliance("excused", ZH), "excused");
    assert_string_equal(dajia_label_compliance(NULL, EN), "unknown");
}

// =================================================================== dates

static int64_t
s_time(const char *text)
{
    int64_t ms = 0;
    if (dajia_time_parse(text, &ms) != 0)
        fail_msg("\"%s\" refused", text);
    return ms;
}

static void
test_dates_and_periods(void **state)
{
    (void)state;
    const int32_t bj = DAJIA_TIME_BEIJING_MIN;
    int64_t t = s_time("2026-09-10T00:05:00Z"); /* 08:05 in Beijing */
    assert_string_equal(dajia_label_date(t, bj, ZH, s_buf, sizeof s_buf), "2026年9月10日");
    assert_string_equal(dajia_label_date(t, bj, EN, s_buf, sizeof s_buf), "2026-09-10");
    assert_string_equal(dajia_label_minute(t, bj, ZH, s_buf, sizeof s_buf), "2026年9月10日 08:05");
    assert_string_equal(dajia_label_minute(t, bj, EN, s_buf, sizeof s_buf), "2026-09-10 08:05");
    /* 16:00Z is the next day's midnight in Beijing */
    t = s_time("2026-12-31T16:00:00Z");
    assert_string_equal(dajia_label_date(t, bj, ZH, s_buf, sizeof s_buf), "2027年1月1日");
    assert_string_equal(dajia_label_date(t, 0, ZH, s_buf, sizeof s_buf), "2026年12月31日");
    assert_string_equal(dajia_label_minute(t, bj, ZH, s_buf, sizeof s_buf), "2027年1月1日 00:00");
    char small[8];
    assert_string_equal(dajia_label_date(t, bj, ZH, small, sizeof small), "");
    assert_string_equal(dajia_label_date(t, bj, EN, small, sizeof small), "");

    const struct {
        dajia_time_period_t p;
        const char *zh;
        const char *en;
    } periods[] = {
        {{DAJIA_TIME_MONTH, 2026, 9}, "2026年9月", "September 2026"},
        {{DAJIA_TIME_MONTH, 2027, 1}, "2027年1月", "January 2027"},
        {{DAJIA_TIME_MONTH, 2026, 12}, "2026年12月", "December 2026"},
        {{DAJIA_TIME_QUARTER, 2026, 1}, "2026年第一季度", "2026 Q1"},
        {{DAJIA_TIME_QUARTER, 2026, 4}, "2026年第四季度", "2026 Q4"},
        {{DAJIA_TIME_YEAR, 2026, 1}, "2026年", "2026"},
        {{DAJIA_TIME_MONTH, 2026, 13}, "2026-13", "2026-13"}, /* out of range: its name */
        {{DAJIA_TIME_QUARTER, 2026, 0}, "2026-Q0", "2026-Q0"},
    };
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++) {
        assert_string_equal(dajia_label_period(periods[i].p, ZH, s_buf, sizeof s_buf),
                            periods[i].zh);
        assert_string_equal(dajia_label_period(periods[i].p, EN, s_buf, sizeof s_buf),
                            periods[i].en);
    }
    assert_string_equal(
        dajia_label_period((dajia_time_period_t){DAJIA_TIME_MONTH, 2026, 9}, EN, small, 8), "");
}

// ============================================================ member units

static void
test_default_members(void **state)
{
    (void)state;
    size_t count = 0;
    const dajia_member_t *m = dajia_members_default(&count);
    assert_int_equal(count, 23);
    assert_non_null(dajia_members_default(NULL));
    /* the rules' order: first, the Office's host, last */
    assert_string_equal(m[0].code, "publicity");
    assert_string_equal(m[0].name, "市委宣传部");
    assert_string_equal(m[16].code, "msa");
    assert_string_equal(m[16].name, "市市场监管局");
    assert_string_equal(m[22].code, "procuratorate");
    assert_string_equal(m[22].name, "市人民检察院");
    for (size_t i = 0; i < count; i++) {
        assert_true(*m[i].code && s_ascii(m[i].code));
        assert_true(*m[i].name && !s_ascii(m[i].name));
        assert_true(*m[i].name_en && s_ascii(m[i].name_en));
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(m[i].code, m[j].code);
            assert_string_not_equal(m[i].name, m[j].name);
        }
    }
}

static void
test_member_names(void **state)
{
    (void)state;
    /* the default list alone */
    assert_string_equal(dajia_label_member(NULL, 0, "psb", ZH), "市公安局");
    assert_string_equal(dajia_label_member(NULL, 0, "psb", EN), "Public Security Bureau");
    assert_string_equal(dajia_label_member(NULL, 0, "customs", ZH), "信阳海关");
    assert_string_equal(dajia_label_member(NULL, 0, "forestea", EN), "Forestry and Tea Bureau");
    assert_string_equal(dajia_label_member(NULL, 0, "nosuch", ZH), "nosuch");
    assert_string_equal(dajia_label_member(NULL, 0, "nosuch", EN), "nosuch");
    assert_string_equal(dajia_label_member(NULL, 0, NULL, ZH), "未知");
    assert_string_equal(dajia_label_member(NULL, 0, NULL, EN), "unknown");

    const dajia_member_t configured[] = {
        {"psb", "信阳市公安局", NULL},                             /* renamed */
        {"msa", "市市场监管局", NULL},                             /* the default name kept */
        {"tax", "国家税务总局信阳市税务局", "Xinyang Tax Bureau"}, /* both given */
        {"newunit", "市新成员单位", NULL},                         /* not a default member */
        {"court", "", NULL},                                       /* no name given */
        {NULL, "ignored", NULL},
    };
    size_t n = sizeof configured / sizeof configured[0];
    assert_string_equal(dajia_label_member(configured, n, "psb", ZH), "信阳市公安局");
    assert_string_equal(dajia_label_member(configured, n, "psb", EN), "信阳市公安局");
    assert_string_equal(dajia_label_member(configured, n, "msa", ZH), "市市场监管局");
    assert_string_equal(dajia_label_member(configured, n, "msa", EN), "Market Supervision Bureau");
    assert_string_equal(dajia_label_member(configured, n, "tax", ZH), "国家税务总局信阳市税务局");
    assert_string_equal(dajia_label_member(configured, n, "tax", EN), "Xinyang Tax Bureau");
    assert_string_equal(dajia_label_member(configured, n, "newunit", ZH), "市新成员单位");
    assert_string_equal(dajia_label_member(configured, n, "newunit", EN), "市新成员单位");
    assert_string_equal(dajia_label_member(configured, n, "court", ZH), "市中级人民法院");
    assert_string_equal(dajia_label_member(configured, n, "court", EN),
                        "Intermediate People's Court");
    /* a default member the configuration does not list keeps its default name */
    assert_string_equal(dajia_label_member(configured, n, "agri", ZH), "市农业农村局");
    assert_string_equal(dajia_label_member(configured, n, "nosuch", ZH), "nosuch");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lang_parse),
        cmocka_unit_test(test_every_enum_value_has_both_labels),
        cmocka_unit_test(test_enum_labels_by_hand),
        cmocka_unit_test(test_enum_fallbacks),
        cmocka_unit_test(test_money_by_hand),
        cmocka_unit_test(test_money_small_buffers),
        cmocka_unit_test(test_quantities_by_hand),
        cmocka_unit_test(test_every_figure_has_a_name_and_measure),
        cmocka_unit_test(test_every_channel_has_a_name),
        cmocka_unit_test(test_compliance_states),
        cmocka_unit_test(test_dates_and_periods),
        cmocka_unit_test(test_default_members),
        cmocka_unit_test(test_member_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
