/*  dajia_labels: one table per kind of word, each written once, in Chinese and English.

    The enum tables are indexed by the generated constants (designated initializers), so
    a label can never sit at the wrong value, and a value added to the schema without a
    label is a hole the unit test finds by walking every enum the schema's messages use.
    The Chinese words are those of the statistics tables and regulations the Office works
    with: the case categories and goods of the national work plans (docs/domain.md §1.2,
    [S12]), the stages of administrative and criminal procedure, and the linkage steps of
    the State Council's rules on transferring suspected crimes (行政执法机关移送涉嫌犯罪案件
    的规定: 提请复议, 立案监督). English labels are lower case, for use inside sentences.

    Numbers are written from their magnitude as an unsigned 64-bit value, so INT64_MIN
    needs no special case and nothing overflows; money is formatted by integer
    arithmetic only (a double cannot hold every fen of an int64).
*/
#include "dajia_labels.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dajia.pb-c.h"

typedef struct {
    const char *zh;
    const char *en;
} s_label_t;

static const char *
s_pick(const s_label_t *label, dajia_lang_t lang)
{
    return lang == DAJIA_LANG_EN ? label->en : label->zh;
}

static const s_label_t s_unknown = {"未知", "unknown"};

// ================================================================= language

int
dajia_lang_parse(const char *text, dajia_lang_t *lang)
{
    if (!text || !lang)
        return -EINVAL;
    if (strcmp(text, "zh") == 0)
        *lang = DAJIA_LANG_ZH;
    else if (strcmp(text, "en") == 0)
        *lang = DAJIA_LANG_EN;
    else
        return -EINVAL;
    return 0;
}

const char *
dajia_lang_name(dajia_lang_t lang)
{
    return lang == DAJIA_LANG_EN ? "en" : "zh";
}

// ============================================================ schema enums

/* Short names for the generated constants, to keep the tables readable. */
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
#define S_ACK(x)     DAJIA__ACK_STATUS__ACK_STATUS_##x
#define S_REASON(x)  DAJIA__REASON__REASON_##x
#define S_AUD(x)     DAJIA__AUDIENCE__AUDIENCE_##x

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

static const s_label_t s_linkage_status[] = {
    [S_LINK(UNSPECIFIED)] = {"未注明", "unspecified"},
    [S_LINK(NONE)] = {"无", "none"},
    [S_LINK(SUSPECTED)] = {"涉嫌犯罪", "suspected crime"},
    [S_LINK(REPORT_PENDING_APPROVAL)] = {"移送报批中", "transfer awaiting approval"},
    [S_LINK(NOT_APPROVED)] = {"未获批准", "transfer not approved"},
    [S_LINK(APPROVED)] = {"已批准移送", "transfer approved"},
    [S_LINK(TRANSFERRED)] = {"已移送公安", "transferred to the police"},
    [S_LINK(POLICE_FILED)] = {"公安已立案", "filed by the police"},
    [S_LINK(POLICE_DECLINED)] = {"公安不予立案", "declined by the police"},
    [S_LINK(RECONSIDERATION_REQUESTED)] = {"提请复议", "reconsideration requested"},
    [S_LINK(RECONSIDERATION_DECIDED)] = {"复议决定", "reconsideration decided"},
    [S_LINK(SUPERVISION_REQUESTED)] = {"提请立案监督", "procuratorate's supervision requested"},
    [S_LINK(PROCURATORATE_NOTIFIED_FILING)] = {"检察院通知立案",
                                               "procuratorate notified the police to file"},
    [S_LINK(MATERIALS_HANDED_OVER)] = {"已移交涉案物品", "seized goods handed over"},
    [S_LINK(REVERSE_TRANSFERRED)] = {"反向移送", "transferred back"},
};

/* The line a case crosses: "province" crosses the province line (dajia.proto). */
static const s_label_t s_region_scope[] = {
    [S_SCOPE(UNSPECIFIED)] = {"未注明", "unspecified"},
    [S_SCOPE(COUNTY)] = {"跨县区", "across counties"},
    [S_SCOPE(CITY)] = {"跨市", "across cities"},
    [S_SCOPE(PROVINCE)] = {"跨省", "across provinces"},
    [S_SCOPE(FOREIGN)] = {"涉外", "foreign"},
    [S_SCOPE(NONE)] = {"不跨区域", "no cross-region element"},
};

static const s_label_t s_supervision_level[] = {
    [S_SUPER(UNSPECIFIED)] = {"未注明", "unspecified"},
    [S_SUPER(NONE)] = {"无", "none"},
    [S_SUPER(CITY)] = {"市级督办", "city supervision"},
    [S_SUPER(PROVINCE)] = {"省级督办", "provincial supervision"},
    [S_SUPER(NATIONAL)] = {"国家级督办", "national supervision"},
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

static const s_label_t s_matter_request[] = {
    [S_REQ(UNSPECIFIED)] = {"未注明", "unspecified"},
    [S_REQ(MEETING)] = {"召开会议", "a meeting"},
    [S_REQ(COORDINATION)] = {"协调", "coordination"},
    [S_REQ(SUPERVISION)] = {"督办", "supervision"},
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

static const s_label_t s_ack_status[] = {
    [S_ACK(UNSPECIFIED)] = {"未注明", "unspecified"},
    [S_ACK(ACCEPTED)] = {"已接收", "accepted"},
    [S_ACK(DUPLICATE)] = {"重复报送", "duplicate"},
    [S_ACK(REJECTED)] = {"已拒收", "rejected"},
};

/* Short names of the refusals; dajia_reason_text has the sentences for the liaison. */
static const s_label_t s_reason[] = {
    [S_REASON(NONE)] = {"无", "none"},
    [S_REASON(MALFORMED)] = {"格式错误", "malformed"},
    [S_REASON(TOO_LARGE)] = {"内容过大", "too large"},
    [S_REASON(BAD_FRAMES)] = {"请求结构错误", "bad request frames"},
    [S_REASON(UNKNOWN_COMMAND)] = {"未知命令", "unknown command"},
    [S_REASON(MISSING_EVENT_ID)] = {"缺少事件编号", "missing event id"},
    [S_REASON(UNKNOWN_UNIT)] = {"非成员单位", "not a member unit"},
    [S_REASON(MISSING_BODY)] = {"缺少报送内容", "missing report"},
    [S_REASON(MISSING_FIELD)] = {"缺少必填项", "missing required field"},
    [S_REASON(NEGATIVE_AMOUNT)] = {"金额为负数", "negative amount"},
    [S_REASON(TIME_IN_FUTURE)] = {"时间晚于当前", "time in the future"},
    [S_REASON(TIME_BEFORE_2000)] = {"时间早于2000年", "time before 2000"},
    [S_REASON(STRING_TOO_LONG)] = {"文字过长", "text too long"},
    [S_REASON(ENUM_OUT_OF_RANGE)] = {"选项值无效", "unknown choice value"},
    [S_REASON(TOO_MANY_ITEMS)] = {"列表项过多", "too many items"},
    [S_REASON(INVALID_UTF8)] = {"非UTF-8编码", "not UTF-8"},
    [S_REASON(BAD_PERIOD)] = {"报送期格式错误", "bad period"},
    [S_REASON(BAD_ID)] = {"编号含非法字符", "bad id"},
    [S_REASON(UNIT_MISMATCH)] = {"单位与证书不符", "unit differs from certificate"},
    [S_REASON(STORAGE_UNAVAILABLE)] = {"暂时无法存储", "storage unavailable"},
    [S_REASON(NEGATIVE_COUNT)] = {"数量为负数", "negative count"},
    [S_REASON(FORBIDDEN)] = {"无权操作", "forbidden"},
    [S_REASON(NOT_A_MEMBER)] = {"所列单位非成员单位", "a named unit is not a member"},
    [S_REASON(BAD_REGION)] = {"行政区划代码错误", "bad region code"},
};

static const s_label_t s_audience[] = {
    [S_AUD(UNSPECIFIED)] = {"未注明", "unspecified"},
    [S_AUD(OFFICE)] = {"仅限领导小组办公室", "Office only"},
    [S_AUD(PUBLIC)] = {"公开", "public"},
    [S_AUD(UNIT)] = {"仅限报送单位与办公室", "the unit and the Office"},
};

typedef struct {
    const ProtobufCEnumDescriptor *desc;
    const s_label_t *labels;
    size_t count;
} s_enum_t;

#define S_COUNT(table) (sizeof table / sizeof table[0])

static const s_enum_t s_enums[] = {
    {&dajia__case_category__descriptor, s_case_category, S_COUNT(s_case_category)},
    {&dajia__goods_category__descriptor, s_goods_category, S_COUNT(s_goods_category)},
    {&dajia__case_stage__descriptor, s_case_stage, S_COUNT(s_case_stage)},
    {&dajia__linkage_status__descriptor, s_linkage_status, S_COUNT(s_linkage_status)},
    {&dajia__region_scope__descriptor, s_region_scope, S_COUNT(s_region_scope)},
    {&dajia__supervision_level__descriptor, s_supervision_level, S_COUNT(s_supervision_level)},
    {&dajia__matter_type__descriptor, s_matter_type, S_COUNT(s_matter_type)},
    {&dajia__severity__descriptor, s_severity, S_COUNT(s_severity)},
    {&dajia__matter_request__descriptor, s_matter_request, S_COUNT(s_matter_request)},
    {&dajia__matter_status__descriptor, s_matter_status, S_COUNT(s_matter_status)},
    {&dajia__info_kind__descriptor, s_info_kind, S_COUNT(s_info_kind)},
    {&dajia__ack_status__descriptor, s_ack_status, S_COUNT(s_ack_status)},
    {&dajia__reason__descriptor, s_reason, S_COUNT(s_reason)},
    {&dajia__audience__descriptor, s_audience, S_COUNT(s_audience)},
};

const char *
dajia_label_enum(const ProtobufCEnumDescriptor *desc, int value, dajia_lang_t lang)
{
    const ProtobufCEnumValue *known =
        desc ? protobuf_c_enum_descriptor_get_value(desc, value) : NULL;
    if (!known)
        return s_pick(&s_unknown, lang);
    for (size_t i = 0; i < sizeof s_enums / sizeof s_enums[0]; i++) {
        const s_enum_t *e = &s_enums[i];
        /* Compared as unsigned so a negative value is out of range too. */
        if (e->desc == desc && (unsigned)value < e->count && e->labels[value].zh)
            return s_pick(&e->labels[value], lang);
    }
    return known->name;
}

// ================================================================== numbers

#define S_FEN_PER_YUAN     100u
#define S_FEN_PER_WAN      1000000u /* 10,000 yuan */
#define S_FEN_PER_WAN_CENT 10000u   /* 0.01 万元 = 100 yuan */

/* |n| as an unsigned value, exact for INT64_MIN too. */
static uint64_t
s_magnitude(int64_t n)
{
    return n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
}

/* Writes `mag` in decimal with a comma every three digits into `out`, which holds at
   least 27 bytes (20 digits, 6 commas, NUL). */
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

/* Finishes a formatter: snprintf's result `n` into `buf` of `len` bytes; "" when the
   text did not fit. Returns buf. */
static char *
s_fit(int n, char *buf, size_t len)
{
    if (buf && len > 0 && (n < 0 || (size_t)n >= len))
        buf[0] = '\0';
    return buf;
}

/* `units` whole units and `cents` hundredths (0..99), negative when `negative`, then
   `suffix`. */
static char *
s_decimal(bool negative, uint64_t units, uint64_t cents, const char *suffix, char *buf, size_t len)
{
    char whole[32];
    s_grouped(units, whole);
    return s_fit(
        snprintf(buf, len, "%s%s.%02" PRIu64 "%s", negative ? "-" : "", whole, cents, suffix), buf,
        len);
}

/* `mag` fen in 万元 rounded half away from zero to the hundredth (100 yuan). The sum
   cannot overflow: mag <= 2^63 and 2^63 + 5000 < 2^64. */
static char *
s_wan(bool negative, uint64_t mag, const char *suffix, char *buf, size_t len)
{
    uint64_t hundredths = (mag + S_FEN_PER_WAN_CENT / 2) / S_FEN_PER_WAN_CENT;
    return s_decimal(negative && hundredths > 0, hundredths / 100, hundredths % 100, suffix, buf,
                     len);
}

char *
dajia_label_money(int64_t fen, dajia_lang_t lang, char *buf, size_t len)
{
    uint64_t mag = s_magnitude(fen);
    if (lang != DAJIA_LANG_EN && mag >= S_FEN_PER_WAN)
        return s_wan(fen < 0, mag, "万元", buf, len);
    return s_decimal(fen < 0, mag / S_FEN_PER_YUAN, mag % S_FEN_PER_YUAN,
                     lang == DAJIA_LANG_EN ? " yuan" : "元", buf, len);
}

char *
dajia_label_money_wan(int64_t fen, char *buf, size_t len)
{
    return s_wan(fen < 0, s_magnitude(fen), "", buf, len);
}

const char *
dajia_label_wan_unit(dajia_lang_t lang)
{
    return lang == DAJIA_LANG_EN ? "10,000 yuan" : "万元";
}

// ================================================================== counts

typedef struct {
    const char *zh;
    const char *one; /* English, for 1 and -1 */
    const char *many;
} s_measure_t;

static const s_measure_t s_measures[] = {
    [DAJIA_MEASURE_NUMBER] = {"", "", ""},
    [DAJIA_MEASURE_FEN] = {"元", "yuan", "yuan"},
    [DAJIA_MEASURE_CASES] = {"件", "case", "cases"},
    [DAJIA_MEASURE_PERSONS] = {"人", "person", "persons"},
    [DAJIA_MEASURE_DENS] = {"个", "den", "dens"},
    [DAJIA_MEASURE_UNITS] = {"家", "unit", "units"},
    [DAJIA_MEASURE_MATTERS] = {"件", "matter", "matters"},
    [DAJIA_MEASURE_DAYS] = {"天", "day", "days"},
    [DAJIA_MEASURE_HOURS] = {"小时", "hour", "hours"},
};

static const s_measure_t *
s_measure(dajia_measure_t measure)
{
    unsigned index = (unsigned)measure;
    return index < sizeof s_measures / sizeof s_measures[0] ? &s_measures[index]
                                                            : &s_measures[DAJIA_MEASURE_NUMBER];
}

char *
dajia_label_number(int64_t n, char *buf, size_t len)
{
    char whole[32];
    s_grouped(s_magnitude(n), whole);
    return s_fit(snprintf(buf, len, "%s%s", n < 0 ? "-" : "", whole), buf, len);
}

char *
dajia_label_quantity(int64_t n, dajia_measure_t measure, dajia_lang_t lang, char *buf, size_t len)
{
    if (measure == DAJIA_MEASURE_FEN)
        return dajia_label_money(n, lang, buf, len);
    const s_measure_t *m = s_measure(measure);
    if (m == &s_measures[DAJIA_MEASURE_NUMBER])
        return dajia_label_number(n, buf, len);
    char whole[32];
    uint64_t mag = s_magnitude(n);
    s_grouped(mag, whole);
    const char *sign = n < 0 ? "-" : "";
    if (lang == DAJIA_LANG_EN)
        return s_fit(snprintf(buf, len, "%s%s %s", sign, whole, mag == 1 ? m->one : m->many), buf,
                     len);
    return s_fit(snprintf(buf, len, "%s%s%s", sign, whole, m->zh), buf, len);
}

const char *
dajia_label_measure(dajia_measure_t measure, dajia_lang_t lang)
{
    const s_measure_t *m = s_measure(measure);
    return lang == DAJIA_LANG_EN ? m->many : m->zh;
}

// ============================================================ named values

typedef struct {
    const char *name;
    s_label_t label;
    dajia_measure_t measure;
} s_named_t;

/* The Figures message's fields (docs/domain.md §4.1), in its order. */
static const s_named_t s_figures[] = {
    {"cases_filed", {"立案数", "cases filed"}, DAJIA_MEASURE_CASES},
    {"cases_closed", {"结案数", "cases closed"}, DAJIA_MEASURE_CASES},
    {"case_value_fen", {"案值", "case value"}, DAJIA_MEASURE_FEN},
    {"fines_confiscations_fen", {"罚没金额", "fines and confiscations"}, DAJIA_MEASURE_FEN},
    {"loss_recovered_fen", {"挽回经济损失", "economic loss recovered"}, DAJIA_MEASURE_FEN},
    {"transfers_to_police", {"移送公安机关", "transferred to the police"}, DAJIA_MEASURE_CASES},
    {"dens_destroyed", {"捣毁窝点", "dens destroyed"}, DAJIA_MEASURE_DENS},
    {"suspects_arrested", {"抓获犯罪嫌疑人", "suspects arrested"}, DAJIA_MEASURE_PERSONS},
    {"arrests_approved", {"批准逮捕", "arrests approved"}, DAJIA_MEASURE_PERSONS},
    {"prosecutions", {"提起公诉", "cases prosecuted"}, DAJIA_MEASURE_CASES},
    {"judgments", {"生效判决人数", "persons judged"}, DAJIA_MEASURE_PERSONS},
    {"suspects_detained", {"刑事拘留人数", "suspects detained"}, DAJIA_MEASURE_PERSONS},
    {"persons_prosecuted", {"起诉人数", "persons prosecuted"}, DAJIA_MEASURE_PERSONS},
    {NULL, {NULL, NULL}, DAJIA_MEASURE_NUMBER},
};

/* The channel flags (docs/domain.md §4.4). */
static const s_named_t s_channels[] = {
    {"ecommerce", {"电子商务", "e-commerce"}, DAJIA_MEASURE_NUMBER},
    {"key_physical_market", {"重点实体市场", "key physical markets"}, DAJIA_MEASURE_NUMBER},
    {"rural", {"农村和城乡结合部", "rural and urban-fringe areas"}, DAJIA_MEASURE_NUMBER},
    {"import_export", {"进出口", "import and export"}, DAJIA_MEASURE_NUMBER},
    {"postal_express", {"寄递渠道", "postal and express delivery"}, DAJIA_MEASURE_NUMBER},
    {NULL, {NULL, NULL}, DAJIA_MEASURE_NUMBER},
};

/* UnitCompliance.status (docs/domain.md §7.3). */
static const s_named_t s_compliance[] = {
    {"on_time", {"按时报送", "on time"}, DAJIA_MEASURE_NUMBER},
    {"late", {"逾期报送", "late"}, DAJIA_MEASURE_NUMBER},
    {"missing", {"未报送", "missing"}, DAJIA_MEASURE_NUMBER},
    {"pending", {"待报送", "pending"}, DAJIA_MEASURE_NUMBER},
    {"zero_report", {"零申报", "zero report"}, DAJIA_MEASURE_NUMBER},
    {NULL, {NULL, NULL}, DAJIA_MEASURE_NUMBER},
};

/* The label of `name` in `table`; the name itself when the table lacks it. */
static const char *
s_named(const s_named_t *table, const char *name, dajia_lang_t lang, dajia_measure_t *measure)
{
    if (measure)
        *measure = DAJIA_MEASURE_NUMBER;
    if (!name)
        return s_pick(&s_unknown, lang);
    for (const s_named_t *n = table; n->name; n++)
        if (strcmp(n->name, name) == 0) {
            if (measure)
                *measure = n->measure;
            return s_pick(&n->label, lang);
        }
    return name;
}

const char *
dajia_label_figure(const char *field, dajia_lang_t lang, dajia_measure_t *measure)
{
    return s_named(s_figures, field, lang, measure);
}

const char *
dajia_label_channel(const char *field, dajia_lang_t lang)
{
    return s_named(s_channels, field, lang, NULL);
}

const char *
dajia_label_compliance(const char *status, dajia_lang_t lang)
{
    return s_named(s_compliance, status, lang, NULL);
}

// =================================================================== dates

char *
dajia_label_date(int64_t ms, int32_t offset_min, dajia_lang_t lang, char *buf, size_t len)
{
    if (lang == DAJIA_LANG_EN)
        return s_fit(dajia_time_format_date(ms, offset_min, buf, len) == 0 ? 0 : -1, buf, len);
    dajia_time_civil_t c;
    dajia_time_to_civil(ms, offset_min, &c);
    return s_fit(snprintf(buf, len, "%" PRId64 "年%d月%d日", c.year, c.month, c.day), buf, len);
}

char *
dajia_label_minute(int64_t ms, int32_t offset_min, dajia_lang_t lang, char *buf, size_t len)
{
    if (lang == DAJIA_LANG_EN)
        return s_fit(dajia_time_format_minute(ms, offset_min, buf, len) == 0 ? 0 : -1, buf, len);
    dajia_time_civil_t c;
    dajia_time_to_civil(ms, offset_min, &c);
    return s_fit(snprintf(buf, len, "%" PRId64 "年%d月%d日 %02d:%02d", c.year, c.month, c.day,
                          c.hour, c.minute),
                 buf, len);
}

char *
dajia_label_period(dajia_time_period_t period, dajia_lang_t lang, char *buf, size_t len)
{
    static const char *const months_en[] = {"January",   "February", "March",    "April",
                                            "May",       "June",     "July",     "August",
                                            "September", "October",  "November", "December"};
    static const char *const quarters_zh[] = {"一", "二", "三", "四"};
    int i = period.index;
    int n;
    if (period.unit == DAJIA_TIME_MONTH && i >= 1 && i <= 12)
        n = lang == DAJIA_LANG_EN ? snprintf(buf, len, "%s %" PRId64, months_en[i - 1], period.year)
                                  : snprintf(buf, len, "%" PRId64 "年%d月", period.year, i);
    else if (period.unit == DAJIA_TIME_QUARTER && i >= 1 && i <= 4)
        n = lang == DAJIA_LANG_EN
                ? snprintf(buf, len, "%" PRId64 " Q%d", period.year, i)
                : snprintf(buf, len, "%" PRId64 "年第%s季度", period.year, quarters_zh[i - 1]);
    else if (period.unit == DAJIA_TIME_YEAR)
        n = lang == DAJIA_LANG_EN ? snprintf(buf, len, "%" PRId64, period.year)
                                  : snprintf(buf, len, "%" PRId64 "年", period.year);
    else {
        char name[DAJIA_TIME_PERIOD_MAX];
        dajia_time_period_format(period, name, sizeof name);
        n = snprintf(buf, len, "%s", name);
    }
    return s_fit(n, buf, len);
}

// ============================================================ member units

/* The 23 member units of the leading group [W art. 3], in the rules' order
   (docs/domain.md §2). The broker's default member list is this table. */
static const dajia_member_t s_members[] = {
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

#define S_MEMBERS_COUNT (sizeof s_members / sizeof s_members[0])

const dajia_member_t *
dajia_members_default(size_t *count)
{
    if (count)
        *count = S_MEMBERS_COUNT;
    return s_members;
}

static const dajia_member_t *
s_member_find(const dajia_member_t *list, size_t count, const char *code)
{
    for (size_t i = 0; list && i < count; i++)
        if (list[i].code && strcmp(list[i].code, code) == 0)
            return &list[i];
    return NULL;
}

static bool
s_set(const char *text)
{
    return text && *text;
}

const char *
dajia_label_member(const dajia_member_t *configured, size_t count, const char *code,
                   dajia_lang_t lang)
{
    if (!code)
        return s_pick(&s_unknown, lang);
    const dajia_member_t *mine = s_member_find(configured, count, code);
    const dajia_member_t *dflt = s_member_find(s_members, S_MEMBERS_COUNT, code);
    if (lang == DAJIA_LANG_EN) {
        if (mine && s_set(mine->name_en))
            return mine->name_en;
        /* The default English name only while the configuration keeps the unit's default
           Chinese name: a code given to another unit must not keep the old unit's name. */
        if (dflt && (!mine || !s_set(mine->name) || strcmp(mine->name, dflt->name) == 0))
            return dflt->name_en;
    }
    if (mine && s_set(mine->name))
        return mine->name;
    if (dflt)
        return dflt->name;
    return code;
}
