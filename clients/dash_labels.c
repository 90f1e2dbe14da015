/*  dash_labels: the dashboard's Chinese and English words (see dash_labels.h: a local
    stand-in for proto/dajia_labels, with the same words and signatures).

    The tables are indexed by the enum's value; a value past a table, or one the table
    leaves empty, falls back to the value's name from the protobuf-c descriptor.
*/
#include "dash_labels.h"

#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dajia.pb-c.h"

typedef struct {
    const char *zh;
    const char *en;
} s_label_t;

static const s_label_t s_unknown = {"未知", "unknown"};

static const char *
s_pick(const s_label_t *label, dash_lang_t lang)
{
    return lang == DASH_LANG_EN ? label->en : label->zh;
}

int
dash_lang_parse(const char *text, dash_lang_t *lang)
{
    if (text && strcmp(text, "zh") == 0)
        *lang = DASH_LANG_ZH;
    else if (text && strcmp(text, "en") == 0)
        *lang = DASH_LANG_EN;
    else
        return -EINVAL;
    return 0;
}

// ============================================================ schema enums

#define S_CAT(x)     DAJIA__CASE_CATEGORY__CASE_CATEGORY_##x
#define S_GOODS(x)   DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_##x
#define S_STAGE(x)   DAJIA__CASE_STAGE__CASE_STAGE_##x
#define S_MTYPE(x)   DAJIA__MATTER_TYPE__MATTER_TYPE_##x
#define S_SEV(x)     DAJIA__SEVERITY__SEVERITY_##x
#define S_MSTATUS(x) DAJIA__MATTER_STATUS__MATTER_STATUS_##x
#define S_KIND(x)    DAJIA__INFO_KIND__INFO_KIND_##x

static const s_label_t s_case_category[] = {
    [S_CAT(UNSPECIFIED)] = {"未注明", "unspecified"},
    [S_CAT(TRADEMARK_INFRINGEMENT)] = {"商标侵权", "trademark infringement"},
    [S_CAT(TRADEMARK_COUNTERFEITING)] = {"假冒注册商标", "trademark counterfeiting"},
    [S_CAT(PATENT_INFRINGEMENT)] = {"专利侵权", "patent infringement"},
    [S_CAT(PATENT_PASSING_OFF)] = {"假冒专利", "patent passing-off"},
    [S_CAT(COPYRIGHT_PIRACY)] = {"侵犯著作权", "copyright piracy"},
    [S_CAT(GEOGRAPHICAL_INDICATION)] = {"地理标志", "geographical indication"},
    [S_CAT(OFFICIAL_MARK)] = {"官方标志、特殊标志、奥林匹克标志",
                              "official, special and Olympic marks"},
    [S_CAT(PLANT_VARIETY)] = {"植物新品种", "new plant variety"},
    [S_CAT(TRADE_SECRET)] = {"商业秘密", "trade secret"},
    [S_CAT(IC_LAYOUT)] = {"集成电路布图设计", "integrated circuit layout design"},
    [S_CAT(IP_AGENCY)] = {"知识产权代理", "IP agency"},
    [S_CAT(SHODDY_PRODUCTS)] = {"伪劣产品", "shoddy products"},
    [S_CAT(FAKE_DRUG)] = {"假药劣药", "fake or substandard drugs"},
    [S_CAT(UNSAFE_FOOD)] = {"不安全食品", "unsafe food"},
    [S_CAT(FAKE_AGRICULTURAL_INPUT)] = {"假劣农资", "fake or substandard agricultural inputs"},
    [S_CAT(COUNTERFEIT_TOBACCO)] = {"假冒烟草", "counterfeit tobacco"},
    [S_CAT(OTHER)] = {"其他", "other"},
};

static const s_label_t s_goods_category[] = {
    [S_GOODS(UNSPECIFIED)] = {"未注明", "unspecified"},
    [S_GOODS(FOOD)] = {"食品", "food"},
    [S_GOODS(DRUG)] = {"药品", "drugs"},
    [S_GOODS(MEDICAL_DEVICE)] = {"医疗器械", "medical devices"},
    [S_GOODS(COSMETICS)] = {"化妆品", "cosmetics"},
    [S_GOODS(AGRICULTURAL_INPUT)] = {"农资", "agricultural inputs"},
    [S_GOODS(TEA)] = {"茶叶", "tea"},
    [S_GOODS(ALCOHOL)] = {"酒类", "alcoholic drinks"},
    [S_GOODS(TOBACCO)] = {"烟草", "tobacco"},
    [S_GOODS(AUTO_PARTS)] = {"汽车配件", "auto parts"},
    [S_GOODS(BUILDING_MATERIALS)] = {"建筑材料", "building materials"},
    [S_GOODS(HOME_APPLIANCE)] = {"家用电器", "home appliances"},
    [S_GOODS(CONSUMER_ELECTRONICS)] = {"消费电子", "consumer electronics"},
    [S_GOODS(CLOTHING_SHOES_BAGS)] = {"服装鞋帽箱包", "clothing, shoes, hats and bags"},
    [S_GOODS(MATERNAL_AND_CHILD)] = {"母婴用品", "maternal and child products"},
    [S_GOODS(ELDERLY)] = {"老年用品", "products for the elderly"},
    [S_GOODS(PUBLICATION_AV_SOFTWARE)] = {"出版物、音像制品、软件",
                                          "publications, audio-visual products and software"},
    [S_GOODS(FIRE_SAFETY)] = {"消防产品", "fire safety products"},
    [S_GOODS(PROTECTIVE_SUPPLIES)] = {"防护用品", "protective supplies"},
    [S_GOODS(OTHER)] = {"其他", "other"},
};

static const s_label_t s_case_stage[] = {
    [S_STAGE(UNSPECIFIED)] = {"未注明", "unspecified"},
    [S_STAGE(CLUE)] = {"线索", "clue"},
    [S_STAGE(FILED)] = {"立案", "filed"},
    [S_STAGE(INVESTIGATING)] = {"调查取证", "under investigation"},
    [S_STAGE(PENALTY_DECIDED)] = {"作出处罚决定", "penalty decided"},
    [S_STAGE(CLOSED)] = {"结案", "closed"},
    [S_STAGE(HANDED_TO_OTHER_AGENCY)] = {"移交其他机关", "handed to another agency"},
    [S_STAGE(CRIMINAL_INVESTIGATION)] = {"刑事侦查", "criminal investigation"},
    [S_STAGE(ARREST_APPROVED)] = {"批准逮捕", "arrest approved"},
    [S_STAGE(PROSECUTED)] = {"提起公诉", "prosecuted"},
    [S_STAGE(IN_TRIAL)] = {"审判中", "in trial"},
    [S_STAGE(JUDGMENT_EFFECTIVE)] = {"判决生效", "judgment effective"},
    [S_STAGE(REVOKED)] = {"撤销", "revoked"},
};

static const s_label_t s_matter_type[] = {
    [S_MTYPE(UNSPECIFIED)] = {"未注明", "unspecified"},
    [S_MTYPE(MAJOR_CASE)] = {"重大案件", "major case"},
    [S_MTYPE(CROSS_REGION_CASE)] = {"跨区域案件", "cross-region case"},
    [S_MTYPE(HEALTH_SAFETY_INCIDENT)] = {"健康安全事件", "health and safety incident"},
    [S_MTYPE(PUBLIC_OPINION)] = {"舆情事件", "public opinion"},
    [S_MTYPE(SUPERIOR_SUPERVISION)] = {"上级督办", "supervision by a higher level"},
    [S_MTYPE(COORDINATION_POLICY)] = {"协调和政策事项", "coordination and policy"},
    [S_MTYPE(OTHER)] = {"其他", "other"},
};

static const s_label_t s_severity[] = {
    [S_SEV(UNSPECIFIED)] = {"未注明", "unspecified"},
    [S_SEV(MAJOR)] = {"重大", "major"},
    [S_SEV(ESPECIALLY_MAJOR)] = {"特别重大", "especially major"},
};

static const s_label_t s_matter_status[] = {
    [S_MSTATUS(UNSPECIFIED)] = {"未注明", "unspecified"},
    [S_MSTATUS(OPEN)] = {"待办理", "open"},
    [S_MSTATUS(IN_PROGRESS)] = {"办理中", "in progress"},
    [S_MSTATUS(BLOCKED)] = {"受阻", "blocked"},
    [S_MSTATUS(RESOLVED)] = {"已解决", "resolved"},
    [S_MSTATUS(CLOSED)] = {"已办结", "closed"},
};

static const s_label_t s_info_kind[] = {
    [S_KIND(UNSPECIFIED)] = {"未注明", "unspecified"},
    [S_KIND(WORK_DYNAMIC)] = {"工作动态", "work dynamic"},
    [S_KIND(CASE_DATA_SNAPSHOT)] = {"案件查办数据", "case data"},
    [S_KIND(TYPICAL_CASE)] = {"典型案例", "typical case"},
    [S_KIND(CAMPAIGN_PROGRESS)] = {"专项行动进展", "campaign progress"},
    [S_KIND(PUBLICITY_EVENT)] = {"宣传活动", "publicity event"},
    [S_KIND(PROBLEM_SUGGESTION)] = {"问题和建议", "problems and suggestions"},
};

#define S_COUNT(table) (sizeof table / sizeof table[0])

static const struct {
    const ProtobufCEnumDescriptor *desc;
    const s_label_t *labels;
    size_t count;
} s_enums[] = {
    {&dajia__case_category__descriptor, s_case_category, S_COUNT(s_case_category)},
    {&dajia__goods_category__descriptor, s_goods_category, S_COUNT(s_goods_category)},
    {&dajia__case_stage__descriptor, s_case_stage, S_COUNT(s_case_stage)},
    {&dajia__matter_type__descriptor, s_matter_type, S_COUNT(s_matter_type)},
    {&dajia__severity__descriptor, s_severity, S_COUNT(s_severity)},
    {&dajia__matter_status__descriptor, s_matter_status, S_COUNT(s_matter_status)},
    {&dajia__info_kind__descriptor, s_info_kind, S_COUNT(s_info_kind)},
};

const char *
dash_label_enum(const ProtobufCEnumDescriptor *desc, int value, dash_lang_t lang)
{
    const ProtobufCEnumValue *known =
        desc ? protobuf_c_enum_descriptor_get_value(desc, value) : NULL;
    if (!known)
        return s_pick(&s_unknown, lang);
    for (size_t i = 0; i < S_COUNT(s_enums); i++)
        if (s_enums[i].desc == desc && (unsigned)value < s_enums[i].count &&
            s_enums[i].labels[value].zh)
            return s_pick(&s_enums[i].labels[value], lang);
    return known->name;
}

// ================================================================== numbers

#define S_FEN_PER_WAN_CENT 10000u /* 0.01 万元 = 100 yuan = 10,000 fen */

/* Finishes a formatter: "" when snprintf's `n` did not fit. */
static char *
s_fit(int n, char *buf, size_t len)
{
    if (len && (n < 0 || (size_t)n >= len))
        buf[0] = '\0';
    return buf;
}

/* `mag` with a comma every three digits into `out` (at least 27 bytes). */
static void
s_grouped(uint64_t mag, char *out)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%" PRIu64, mag);
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

static uint64_t
s_magnitude(int64_t n)
{
    return n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
}

char *
dash_label_money_wan(int64_t fen, char *buf, size_t len)
{
    /* Rounded half away from zero to whole 0.01 万元, on the magnitude (exact). */
    uint64_t mag = s_magnitude(fen);
    uint64_t cents =
        mag / S_FEN_PER_WAN_CENT + (mag % S_FEN_PER_WAN_CENT >= S_FEN_PER_WAN_CENT / 2);
    char whole[32];
    s_grouped(cents / 100, whole);
    bool negative = fen < 0 && cents > 0;
    return s_fit(snprintf(buf, len, "%s%s.%02" PRIu64, negative ? "-" : "", whole, cents % 100),
                 buf, len);
}

const char *
dash_label_wan_unit(dash_lang_t lang)
{
    return lang == DASH_LANG_EN ? "10,000 yuan" : "万元";
}

char *
dash_label_number(int64_t n, char *buf, size_t len)
{
    char whole[32];
    s_grouped(s_magnitude(n), whole);
    return s_fit(snprintf(buf, len, "%s%s", n < 0 ? "-" : "", whole), buf, len);
}

// ============================================================ named things

typedef struct {
    const char *key;
    s_label_t label;
} s_named_t;

static const s_named_t s_figures[] = {
    {"cases_filed", {"立案数", "cases filed"}},
    {"cases_closed", {"结案数", "cases closed"}},
    {"case_value_fen", {"案值", "case value"}},
    {"fines_confiscations_fen", {"罚没金额", "fines and confiscations"}},
    {"loss_recovered_fen", {"挽回经济损失", "economic loss recovered"}},
    {"transfers_to_police", {"移送公安机关", "transferred to the police"}},
    {"dens_destroyed", {"捣毁窝点", "dens destroyed"}},
    {"suspects_arrested", {"抓获犯罪嫌疑人", "suspects arrested"}},
    {"arrests_approved", {"批准逮捕", "arrests approved"}},
    {"prosecutions", {"提起公诉", "cases prosecuted"}},
    {"judgments", {"生效判决人数", "persons judged"}},
};

static const s_named_t s_channels[] = {
    {"ecommerce", {"电子商务", "e-commerce"}},
    {"key_physical_market", {"重点实体市场", "key physical markets"}},
    {"rural", {"农村和城乡结合部", "rural and urban-fringe areas"}},
    {"import_export", {"进出口", "import and export"}},
    {"postal_express", {"寄递渠道", "postal and express delivery"}},
};

static const s_named_t s_compliance[] = {
    {"on_time", {"按时报送", "on time"}},       {"late", {"逾期报送", "late"}},
    {"missing", {"未报送", "missing"}},         {"pending", {"待报送", "pending"}},
    {"zero_report", {"零申报", "zero report"}},
};

/* The escalation rules (docs/domain.md §5); a prefix entry ("OVERDUE-") names a family. */
static const s_named_t s_rules[] = {
    {"E1", {"行刑衔接", "linkage step"}},
    {"E2", {"危害健康安全", "health and safety"}},
    {"E3", {"案值重大", "case value"}},
    {"E4", {"跨区域涉外", "scope"}},
    {"E5", {"达到追诉标准", "prosecution threshold"}},
    {"MM-PROGRESS", {"重大事项进展", "major matter progress"}},
    {"MM", {"重大事项", "major matter"}},
    {"OVERDUE-", {"进展逾期", "overdue progress"}},
    {"DEADLINE-", {"衔接时限", "linkage deadline"}},
};

static const char *
s_named(const s_named_t *table, size_t count, const char *key, dash_lang_t lang)
{
    if (!key)
        return s_pick(&s_unknown, lang);
    for (size_t i = 0; i < count; i++)
        if (strcmp(table[i].key, key) == 0)
            return s_pick(&table[i].label, lang);
    return key;
}

const char *
dash_label_figure(const char *field, dash_lang_t lang)
{
    return s_named(s_figures, S_COUNT(s_figures), field, lang);
}

const char *
dash_label_channel(const char *field, dash_lang_t lang)
{
    return s_named(s_channels, S_COUNT(s_channels), field, lang);
}

const char *
dash_label_compliance(const char *status, dash_lang_t lang)
{
    return s_named(s_compliance, S_COUNT(s_compliance), status, lang);
}

const char *
dash_label_rule(const char *rule, dash_lang_t lang)
{
    if (!rule)
        return s_pick(&s_unknown, lang);
    for (size_t i = 0; i < S_COUNT(s_rules); i++) {
        size_t n = strlen(s_rules[i].key);
        bool family = s_rules[i].key[n - 1] == '-';
        if (family ? strncmp(rule, s_rules[i].key, n) == 0 : strcmp(rule, s_rules[i].key) == 0)
            return s_pick(&s_rules[i].label, lang);
    }
    return rule;
}

// =================================================================== dates

char *
dash_label_date(int64_t ms, int32_t offset_min, dash_lang_t lang, char *buf, size_t len)
{
    dajia_time_civil_t c;
    dajia_time_to_civil(ms, offset_min, &c);
    if (lang == DASH_LANG_EN)
        return s_fit(snprintf(buf, len, "%04" PRId64 "-%02d-%02d", c.year, c.month, c.day), buf,
                     len);
    return s_fit(snprintf(buf, len, "%" PRId64 "年%d月%d日", c.year, c.month, c.day), buf, len);
}

char *
dash_label_minute(int64_t ms, int32_t offset_min, dash_lang_t lang, char *buf, size_t len)
{
    dajia_time_civil_t c;
    dajia_time_to_civil(ms, offset_min, &c);
    if (lang == DASH_LANG_EN)
        return s_fit(snprintf(buf, len, "%04" PRId64 "-%02d-%02d %02d:%02d", c.year, c.month, c.day,
                              c.hour, c.minute),
                     buf, len);
    return s_fit(snprintf(buf, len, "%" PRId64 "年%d月%d日 %02d:%02d", c.year, c.month, c.day,
                          c.hour, c.minute),
                 buf, len);
}

char *
dash_label_period(dajia_time_period_t period, dash_lang_t lang, char *buf, size_t len)
{
    static const char *const months_en[] = {"January",   "February", "March",    "April",
                                            "May",       "June",     "July",     "August",
                                            "September", "October",  "November", "December"};
    static const char *const quarters_zh[] = {"一", "二", "三", "四"};
    int i = period.index;
    int n;
    if (period.unit == DAJIA_TIME_MONTH && i >= 1 && i <= 12)
        n = lang == DASH_LANG_EN ? snprintf(buf, len, "%s %" PRId64, months_en[i - 1], period.year)
                                 : snprintf(buf, len, "%" PRId64 "年%d月", period.year, i);
    else if (period.unit == DAJIA_TIME_QUARTER && i >= 1 && i <= 4)
        n = lang == DASH_LANG_EN
                ? snprintf(buf, len, "%" PRId64 " Q%d", period.year, i)
                : snprintf(buf, len, "%" PRId64 "年第%s季度", period.year, quarters_zh[i - 1]);
    else if (period.unit == DAJIA_TIME_YEAR)
        n = lang == DASH_LANG_EN ? snprintf(buf, len, "%" PRId64, period.year)
                                 : snprintf(buf, len, "%" PRId64 "年", period.year);
    else {
        char name[DAJIA_TIME_PERIOD_MAX];
        n = snprintf(buf, len, "%s", dajia_time_period_format(period, name, sizeof name));
    }
    return s_fit(n, buf, len);
}

// ============================================================ member units

static const dash_member_t s_members[] = {
    {"publicity", "市委宣传部", "Propaganda Department"},
    {"polilegal", "市委政法委", "Political-Legal Commission"},
    {"govoffice", "市政府办公室", "City Government Office"},
    {"drc", "市发展改革委", "Development and Reform Commission"},
    {"iit", "市工业和信息化局", "Industry and Information Technology Bureau"},
    {"psb", "市公安局", "Public Security Bureau"},
    {"justice", "市司法局", "Justice Bureau"},
    {"finance", "市财政局", "Finance Bureau"},
    {"eco", "市生态环境局", "Ecology and Environment Bureau"},
    {"agri", "市农业农村局", "Agriculture and Rural Affairs Bureau"},
    {"commerce", "市商务局", "Commerce Bureau"},
    {"culture", "市文化广电旅游局", "Culture, Radio, TV and Tourism Bureau"},
    {"health", "市卫生健康委", "Health Commission"},
    {"pboc", "市人行信阳支行", "People's Bank, Xinyang sub-branch"},
    {"customs", "信阳海关", "Xinyang Customs"},
    {"tax", "市税务局", "Tax Bureau"},
    {"msa", "市市场监管局", "Market Supervision Bureau"},
    {"cac", "市网信办", "Cyberspace Affairs Office"},
    {"forestea", "市林茶局", "Forestry and Tea Bureau"},
    {"post", "市邮政管理局", "Postal Administration"},
    {"tobacco", "市烟草专卖局", "Tobacco Monopoly Bureau"},
    {"court", "市中级人民法院", "Intermediate People's Court"},
    {"procuratorate", "市人民检察院", "People's Procuratorate"},
};

const dash_member_t *
dash_members_default(size_t *count)
{
    if (count)
        *count = S_COUNT(s_members);
    return s_members;
}

static const dash_member_t *
s_member_find(const dash_member_t *list, size_t count, const char *code)
{
    for (size_t i = 0; list && i < count; i++)
        if (list[i].code && strcmp(list[i].code, code) == 0)
            return &list[i];
    return NULL;
}

const char *
dash_label_member(const dash_member_t *configured, size_t count, const char *code, dash_lang_t lang)
{
    if (!code)
        return s_pick(&s_unknown, lang);
    const dash_member_t *c = s_member_find(configured, count, code);
    const dash_member_t *d = s_member_find(s_members, S_COUNT(s_members), code);
    if (lang == DASH_LANG_EN) {
        if (c && c->name_en && *c->name_en)
            return c->name_en;
        /* The default English name only while the Chinese name is the default's. */
        if (d && (!c || !c->name || !*c->name || strcmp(c->name, d->name) == 0))
            return d->name_en;
    }
    if (c && c->name && *c->name)
        return c->name;
    if (d)
        return d->name;
    return code;
}
