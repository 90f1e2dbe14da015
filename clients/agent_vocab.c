/*  agent_vocab: the liaison's words for the schema's values. See agent_vocab.h.

    The label tables are indexed by the generated constants (designated initializers),
    so a label cannot sit at the wrong value; a value the schema adds later simply has
    no label here until one is written (the reader then takes its English name only,
    and tests/unit/test_agent_csv.c fails until every value has one).
*/
#include "agent_vocab.h"

#include <stdbool.h>
#include <string.h>

#include "dajia.pb-c.h"
#include "dajia_suggest.h"

#define S_CAT(x)     DAJIA__CASE_CATEGORY__CASE_CATEGORY_##x
#define S_GOODS(x)   DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_##x
#define S_STAGE(x)   DAJIA__CASE_STAGE__CASE_STAGE_##x
#define S_LINK(x)    DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_##x
#define S_SCOPE(x)   DAJIA__REGION_SCOPE__REGION_SCOPE_##x
#define S_SUPER(x)   DAJIA__SUPERVISION_LEVEL__SUPERVISION_LEVEL_##x
#define S_MTYPE(x)   DAJIA__MATTER_TYPE__MATTER_TYPE_##x
#define S_SEV(x)     DAJIA__SEVERITY__SEVERITY_##x
#define S_REQ(x)     DAJIA__MATTER_REQUEST__MATTER_REQUEST_##x
#define S_MSTATUS(x) DAJIA__MATTER_STATUS__MATTER_STATUS_##x
#define S_KIND(x)    DAJIA__INFO_KIND__INFO_KIND_##x

/* Longest enum value name handled, and most values of an enum searched for a hint. */
#define S_NAME_MAX   96
#define S_MAX_VALUES 32

static const char *const s_case_category[] = {
    [S_CAT(TRADEMARK_INFRINGEMENT)] = "商标侵权",
    [S_CAT(TRADEMARK_COUNTERFEITING)] = "假冒注册商标",
    [S_CAT(PATENT_INFRINGEMENT)] = "专利侵权",
    [S_CAT(PATENT_PASSING_OFF)] = "假冒专利",
    [S_CAT(COPYRIGHT_PIRACY)] = "侵犯著作权",
    [S_CAT(GEOGRAPHICAL_INDICATION)] = "地理标志",
    [S_CAT(OFFICIAL_MARK)] = "官方标志、特殊标志、奥林匹克标志",
    [S_CAT(PLANT_VARIETY)] = "植物新品种",
    [S_CAT(TRADE_SECRET)] = "商业秘密",
    [S_CAT(IC_LAYOUT)] = "集成电路布图设计",
    [S_CAT(IP_AGENCY)] = "知识产权代理",
    [S_CAT(SHODDY_PRODUCTS)] = "伪劣产品",
    [S_CAT(FAKE_DRUG)] = "假药劣药",
    [S_CAT(UNSAFE_FOOD)] = "不安全食品",
    [S_CAT(FAKE_AGRICULTURAL_INPUT)] = "假劣农资",
    [S_CAT(COUNTERFEIT_TOBACCO)] = "假冒烟草",
    [S_CAT(OTHER)] = "其他",
};

static const char *const s_goods_category[] = {
    [S_GOODS(FOOD)] = "食品",
    [S_GOODS(DRUG)] = "药品",
    [S_GOODS(MEDICAL_DEVICE)] = "医疗器械",
    [S_GOODS(COSMETICS)] = "化妆品",
    [S_GOODS(AGRICULTURAL_INPUT)] = "农资",
    [S_GOODS(TEA)] = "茶叶",
    [S_GOODS(ALCOHOL)] = "酒类",
    [S_GOODS(TOBACCO)] = "烟草",
    [S_GOODS(AUTO_PARTS)] = "汽车配件",
    [S_GOODS(BUILDING_MATERIALS)] = "建筑材料",
    [S_GOODS(HOME_APPLIANCE)] = "家用电器",
    [S_GOODS(CONSUMER_ELECTRONICS)] = "消费电子",
    [S_GOODS(CLOTHING_SHOES_BAGS)] = "服装鞋帽箱包",
    [S_GOODS(MATERNAL_AND_CHILD)] = "母婴用品",
    [S_GOODS(ELDERLY)] = "老年用品",
    [S_GOODS(PUBLICATION_AV_SOFTWARE)] = "出版物、音像制品、软件",
    [S_GOODS(FIRE_SAFETY)] = "消防产品",
    [S_GOODS(PROTECTIVE_SUPPLIES)] = "防护用品",
    [S_GOODS(OTHER)] = "其他",
};

static const char *const s_case_stage[] = {
    [S_STAGE(CLUE)] = "线索",
    [S_STAGE(FILED)] = "立案",
    [S_STAGE(INVESTIGATING)] = "调查取证",
    [S_STAGE(PENALTY_DECIDED)] = "作出处罚决定",
    [S_STAGE(CLOSED)] = "结案",
    [S_STAGE(HANDED_TO_OTHER_AGENCY)] = "移交其他机关",
    [S_STAGE(CRIMINAL_INVESTIGATION)] = "刑事侦查",
    [S_STAGE(ARREST_APPROVED)] = "批准逮捕",
    [S_STAGE(PROSECUTED)] = "提起公诉",
    [S_STAGE(IN_TRIAL)] = "审判中",
    [S_STAGE(JUDGMENT_EFFECTIVE)] = "判决生效",
    [S_STAGE(REVOKED)] = "撤销",
};

static const char *const s_linkage_status[] = {
    [S_LINK(NONE)] = "无",
    [S_LINK(SUSPECTED)] = "涉嫌犯罪",
    [S_LINK(REPORT_PENDING_APPROVAL)] = "移送报批中",
    [S_LINK(NOT_APPROVED)] = "未获批准",
    [S_LINK(APPROVED)] = "已批准移送",
    [S_LINK(TRANSFERRED)] = "已移送公安",
    [S_LINK(POLICE_FILED)] = "公安已立案",
    [S_LINK(POLICE_DECLINED)] = "公安不予立案",
    [S_LINK(RECONSIDERATION_REQUESTED)] = "提请复议",
    [S_LINK(RECONSIDERATION_DECIDED)] = "复议决定",
    [S_LINK(SUPERVISION_REQUESTED)] = "提请立案监督",
    [S_LINK(PROCURATORATE_NOTIFIED_FILING)] = "检察院通知立案",
    [S_LINK(MATERIALS_HANDED_OVER)] = "已移交涉案物品",
    [S_LINK(REVERSE_TRANSFERRED)] = "反向移送",
};

static const char *const s_region_scope[] = {
    [S_SCOPE(COUNTY)] = "跨县区",
    [S_SCOPE(CITY)] = "跨市",
    [S_SCOPE(PROVINCE)] = "跨省",
    [S_SCOPE(FOREIGN)] = "涉外",
};

static const char *const s_supervision_level[] = {
    [S_SUPER(NONE)] = "无",
    [S_SUPER(CITY)] = "市级督办",
    [S_SUPER(PROVINCE)] = "省级督办",
    [S_SUPER(NATIONAL)] = "国家级督办",
};

static const char *const s_matter_type[] = {
    [S_MTYPE(MAJOR_CASE)] = "重大案件",
    [S_MTYPE(CROSS_REGION_CASE)] = "跨区域案件",
    [S_MTYPE(HEALTH_SAFETY_INCIDENT)] = "健康安全事件",
    [S_MTYPE(PUBLIC_OPINION)] = "舆情事件",
    [S_MTYPE(SUPERIOR_SUPERVISION)] = "上级督办",
    [S_MTYPE(COORDINATION_POLICY)] = "协调和政策事项",
    [S_MTYPE(OTHER)] = "其他",
};

static const char *const s_severity[] = {
    [S_SEV(MAJOR)] = "重大",
    [S_SEV(ESPECIALLY_MAJOR)] = "特别重大",
};

static const char *const s_matter_request[] = {
    [S_REQ(MEETING)] = "召开会议",
    [S_REQ(COORDINATION)] = "协调",
    [S_REQ(SUPERVISION)] = "督办",
};

static const char *const s_matter_status[] = {
    [S_MSTATUS(OPEN)] = "待办理",   [S_MSTATUS(IN_PROGRESS)] = "办理中",
    [S_MSTATUS(BLOCKED)] = "受阻",  [S_MSTATUS(RESOLVED)] = "已解决",
    [S_MSTATUS(CLOSED)] = "已办结",
};

static const char *const s_info_kind[] = {
    [S_KIND(WORK_DYNAMIC)] = "工作动态",    [S_KIND(CASE_DATA_SNAPSHOT)] = "案件查办数据",
    [S_KIND(TYPICAL_CASE)] = "典型案例",    [S_KIND(CAMPAIGN_PROGRESS)] = "专项行动进展",
    [S_KIND(PUBLICITY_EVENT)] = "宣传活动", [S_KIND(PROBLEM_SUGGESTION)] = "问题和建议",
};

typedef struct {
    const ProtobufCEnumDescriptor *desc;
    const char *const *labels;
    size_t count;
} s_enum_t;

#define S_ENUM(d, table)                                                                           \
    {                                                                                              \
        &d, table, sizeof table / sizeof table[0]                                                  \
    }

static const s_enum_t s_enums[] = {
    S_ENUM(dajia__case_category__descriptor, s_case_category),
    S_ENUM(dajia__goods_category__descriptor, s_goods_category),
    S_ENUM(dajia__case_stage__descriptor, s_case_stage),
    S_ENUM(dajia__linkage_status__descriptor, s_linkage_status),
    S_ENUM(dajia__region_scope__descriptor, s_region_scope),
    S_ENUM(dajia__supervision_level__descriptor, s_supervision_level),
    S_ENUM(dajia__matter_type__descriptor, s_matter_type),
    S_ENUM(dajia__severity__descriptor, s_severity),
    S_ENUM(dajia__matter_request__descriptor, s_matter_request),
    S_ENUM(dajia__matter_status__descriptor, s_matter_status),
    S_ENUM(dajia__info_kind__descriptor, s_info_kind),
};

/* The member units (docs/domain.md §2), as the broker's default configuration lists
   them. */
static const agent_vocab_unit_t s_units[] = {
    {"publicity", "市委宣传部"}, {"polilegal", "市委政法委"},       {"govoffice", "市政府办公室"},
    {"drc", "市发展改革委"},     {"iit", "市工业和信息化局"},       {"psb", "市公安局"},
    {"justice", "市司法局"},     {"finance", "市财政局"},           {"eco", "市生态环境局"},
    {"agri", "市农业农村局"},    {"commerce", "市商务局"},          {"culture", "市文化广电旅游局"},
    {"health", "市卫生健康委"},  {"pboc", "市人行信阳支行"},        {"customs", "信阳海关"},
    {"tax", "市税务局"},         {"msa", "市市场监管局"},           {"cac", "市网信办"},
    {"forestea", "市林茶局"},    {"post", "市邮政管理局"},          {"tobacco", "市烟草专卖局"},
    {"court", "市中级人民法院"}, {"procuratorate", "市人民检察院"},
};

/* GB/T 2260 codes of 信阳市 and its districts and counties. */
static const agent_vocab_region_t s_regions[] = {
    {"411500", "信阳市"}, {"411502", "浉河区"}, {"411503", "平桥区"}, {"411521", "罗山县"},
    {"411522", "光山县"}, {"411523", "新县"},   {"411524", "商城县"}, {"411525", "固始县"},
    {"411526", "潢川县"}, {"411527", "淮滨县"}, {"411528", "息县"},
};

#define S_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const s_enum_t *
s_find(const ProtobufCEnumDescriptor *desc)
{
    for (size_t i = 0; i < S_COUNT(s_enums); i++)
        if (s_enums[i].desc == desc)
            return &s_enums[i];
    return NULL;
}

const char *
agent_vocab_label(const ProtobufCEnumDescriptor *desc, int value)
{
    const s_enum_t *e = s_find(desc);
    if (!e || value < 0 || (size_t)value >= e->count)
        return NULL;
    return e->labels[value];
}

static char
s_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* `word` in lower case with spaces and hyphens as underscores, into buf; false when it
   does not fit. */
static bool
s_normal(const char *word, char *buf, size_t size)
{
    size_t i = 0;
    for (; word[i]; i++) {
        if (i + 1 >= size)
            return false;
        char c = word[i];
        buf[i] = c == ' ' || c == '-' ? '_' : s_lower(c);
    }
    buf[i] = '\0';
    return true;
}

/* The short name of `value` (the name without its type's prefix) in lower case. The
   prefix is what the names have in common up to an underscore: every value of the
   schema's enums starts with it, the unspecified zero included. */
static const char *
s_short(const ProtobufCEnumDescriptor *desc, const ProtobufCEnumValue *value, char *buf,
        size_t size)
{
    const char *zero = desc->values[0].name;
    const char *name = value->name;
    size_t common = 0, cut = 0;
    while (zero[common] && zero[common] == name[common]) {
        if (zero[common] == '_')
            cut = common + 1;
        common++;
    }
    if (!s_normal(name + cut, buf, size))
        buf[0] = '\0';
    return buf;
}

int
agent_vocab_enum(const ProtobufCEnumDescriptor *desc, const char *word, int *value)
{
    char want[S_NAME_MAX], full[S_NAME_MAX], name[S_NAME_MAX];
    if (!desc || !word || !s_normal(word, want, sizeof want))
        return -1;
    const s_enum_t *e = s_find(desc);
    for (unsigned i = 0; i < desc->n_values; i++) {
        const ProtobufCEnumValue *v = &desc->values[i];
        if (v->value == 0)
            continue;
        const char *label = e && (size_t)v->value < e->count ? e->labels[v->value] : NULL;
        bool match = strcmp(want, s_short(desc, v, name, sizeof name)) == 0 ||
                     (s_normal(v->name, full, sizeof full) && strcmp(want, full) == 0) ||
                     (label && strcmp(word, label) == 0);
        if (match) {
            *value = v->value;
            return 0;
        }
    }
    return -1;
}

const char *
agent_vocab_enum_near(const ProtobufCEnumDescriptor *desc, const char *word, char *buf, size_t size)
{
    char names[S_MAX_VALUES][S_NAME_MAX];
    dajia_suggest_t near;
    dajia_suggest_init(&near, word);
    const s_enum_t *e = s_find(desc);
    for (unsigned i = 0; desc && i < desc->n_values && i < S_MAX_VALUES; i++) {
        const ProtobufCEnumValue *v = &desc->values[i];
        if (v->value == 0)
            continue;
        if (e && (size_t)v->value < e->count)
            dajia_suggest_add(&near, e->labels[v->value]);
        dajia_suggest_add(&near, s_short(desc, v, names[i], sizeof names[i]));
    }
    const char *best = dajia_suggest_best(&near);
    if (!best || strlen(best) >= size)
        return NULL;
    memcpy(buf, best, strlen(best) + 1);
    return buf;
}

const agent_vocab_unit_t *
agent_vocab_units(size_t *count)
{
    *count = S_COUNT(s_units);
    return s_units;
}

/* `word` without a leading `prefix`, or NULL when it does not start with it. */
static const char *
s_after(const char *word, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(word, prefix, n) == 0 ? word + n : NULL;
}

const char *
agent_vocab_unit(const char *word)
{
    if (!word || !*word)
        return NULL;
    for (size_t i = 0; i < S_COUNT(s_units); i++) {
        const agent_vocab_unit_t *u = &s_units[i];
        const char *bare = s_after(u->name, "市"); /* 市公安局 -> 公安局 */
        const char *city = s_after(word, "信阳市");
        if (!city)
            city = s_after(word, "信阳");
        if (strcmp(word, u->code) == 0 || strcmp(word, u->name) == 0 ||
            (bare && (strcmp(word, bare) == 0 || (city && strcmp(city, bare) == 0))))
            return u->code;
    }
    return NULL;
}

const agent_vocab_region_t *
agent_vocab_regions(size_t *count)
{
    *count = S_COUNT(s_regions);
    return s_regions;
}

const char *
agent_vocab_region(const char *word)
{
    if (!word)
        return NULL;
    size_t n = strlen(word);
    bool digits = n == 6;
    for (size_t i = 0; digits && i < n; i++)
        digits = word[i] >= '0' && word[i] <= '9';
    if (digits)
        return word;
    const char *bare = s_after(word, "信阳市");
    for (size_t i = 0; i < S_COUNT(s_regions); i++)
        if (strcmp(word, s_regions[i].name) == 0 || (bare && strcmp(bare, s_regions[i].name) == 0))
            return s_regions[i].code;
    return NULL;
}
