/*  sim_gen: the simulator's event generator (see sim_gen.h for what it makes).

    The stream is a sequence of slots at fixed event-time steps. Each slot is filled by
    the earliest due scheduled action (a case's next stage, a matter's next progress
    report, a unit's monthly report) or, when none is due, by something fresh drawn from
    the unit profiles: a new case, a major matter, a piece of dynamic information or a
    correction. Actions are kept in a binary heap ordered by (time, order of scheduling),
    so ties break the same way every run. Randomness is splitmix64 over the seed: the
    same on every platform, unlike rand().

    Cases live in a table whose finished entries are reused; a correction refers to a
    case by index and generation, so it never corrects a reused slot by mistake.
*/
#include "sim_gen.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dajia_time.h"

#define S_FEN              100               /* fen per yuan */
#define S_MAX_START_MS     (4102444800000LL) /* 2100-01-01: keeps every sum in range */
#define S_MAX_STEP_MS      (366LL * DAJIA_TIME_MS_PER_DAY)
#define S_RECENT           64 /* cases a correction may pick from */
#define S_ID_SIZE          64
#define S_TEXT_SIZE        256
#define S_MAX_VALUE_YUAN   30000000.0 /* the long tail stops at 30M yuan */
#define S_MIN_VALUE_YUAN   3000.0     /* Pareto scale */
#define S_PARETO_ALPHA     0.85       /* ~1.3% of cases >= 500k, ~0.4% >= 2M */
#define S_CRIMINAL_YUAN    50000      /* prosecution threshold most categories use */
#define S_MANY_UNITS       8          /* below this, no unit is made late or silent */
#define S_SILENT_UNITS     2
#define S_LATE_UNITS       3
#define S_INTERVAL_DAYS    15 /* major matter progress, docs/domain.md §5.8 */
#define S_URGENT_DAYS      7
/* The mix. A new case arrives in S_CASE_ARRIVALS of the slots, whatever else is under
   way; of the slots no action needs, S_FRESH_CASES go to a new case too (a load
   generator fills its slots), and the rest to a correction (up to S_CORRECTION_SHARE of
   them), a major matter (up to S_MATTER_SHARE) or dynamic information. The steady part
   keeps the months alike: when new cases came only in free slots, a busy month made
   the next one quiet and the one after busy again. */
#define S_CASE_ARRIVALS    0.08
#define S_FRESH_CASES      0.4
#define S_CORRECTION_SHARE 0.06
#define S_MATTER_SHARE     0.10
/* Event time run before the start, unseen (s_warm_up): the longest case takes months
   from the clue to the court's judgment. At a fast pace, at most this many slots. */
#define S_WARMUP_MS        (150LL * DAJIA_TIME_MS_PER_DAY)
#define S_WARMUP_MAX_SLOTS 50000

// ================================================================= unit profiles

typedef enum {
    S_TRACK_INFO,  /* reports dynamic information only */
    S_TRACK_ADMIN, /* administrative enforcement: clue, filed, penalty, closed */
    S_TRACK_POLICE,
    S_TRACK_PROSECUTION,
    S_TRACK_COURT,
} s_track_t;

enum {
    S_CH_ECOMMERCE = 1 << 0,
    S_CH_MARKET = 1 << 1,
    S_CH_RURAL = 1 << 2,
    S_CH_IMPORT_EXPORT = 1 << 3,
    S_CH_POSTAL = 1 << 4,
};

#define S_MAX_KINDS  8
#define S_MAX_BRANDS 6

/* A brand the simulated cases are about, with its right holder: the same brand always
   has the same holder, and a holder is foreign only when it is (Xinyang Maojian is a
   local geographical indication whose holder is the city's tea association; Feihe is
   a domestic company). */
typedef struct {
    const char *name;
    const char *holder;
    int goods;    /* the Dajia__GoodsCategory it is found on */
    bool foreign; /* the right holder is a foreign company */
    bool gi;      /* a geographical indication, held by an association */
} s_brand_t;

#define G(x) DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_##x

enum {
    B_MAOJIAN,
    B_XINYANGHONG,
    B_WENXIN,
    B_FEIHE,
    B_BULL,
    B_MOUTAI,
    B_WULIANGYE,
    B_ZHONGHUA,
    B_HUANGHELOU,
    B_LIQUN,
    B_BAIYAO,
    B_TONGRENTANG,
    B_YUWELL,
    B_YILI,
    B_SHUANGHUI,
    B_KINGENTA,
    B_LONGPING,
    B_STANLEY,
    B_BAYER,
    B_MIDEA,
    B_GREE,
    B_ORIENTAL_YUHONG,
    B_MICHELIN,
    B_PEOPLES_LIT,
    B_TENCENT_VIDEO,
    B_ZHONGHUA_BOOK,
    B_DISNEY,
    B_APPLE,
    B_NIKE,
    B_BOSCH,
    B_HUAWEI,
    B_ANTA,
    B_ESTEE_LAUDER,
    B_LOREAL,
    B_CHANEL,
    B_DIOR,
    B_LINING,
    B_XIAOMI,
    B_PERFECT_DIARY,
    B_COUNT
};

static const s_brand_t s_brands[B_COUNT] = {
    [B_MAOJIAN] = {"信阳毛尖", "信阳市茶叶协会", G(TEA), false, true},
    [B_XINYANGHONG] = {"信阳红", "信阳市茶叶协会", G(TEA), false, false},
    [B_WENXIN] = {"文新", "信阳市文新茶叶有限责任公司", G(TEA), false, false},
    [B_FEIHE] = {"飞鹤", "黑龙江飞鹤乳业有限公司", G(MATERNAL_AND_CHILD), false, false},
    [B_BULL] = {"公牛", "公牛集团股份有限公司", G(HOME_APPLIANCE), false, false},
    [B_MOUTAI] = {"茅台", "中国贵州茅台酒厂（集团）有限责任公司", G(ALCOHOL), false, false},
    [B_WULIANGYE] = {"五粮液", "宜宾五粮液股份有限公司", G(ALCOHOL), false, false},
    [B_ZHONGHUA] = {"中华", "上海烟草集团有限责任公司", G(TOBACCO), false, false},
    [B_HUANGHELOU] = {"黄鹤楼", "湖北中烟工业有限责任公司", G(TOBACCO), false, false},
    [B_LIQUN] = {"利群", "浙江中烟工业有限责任公司", G(TOBACCO), false, false},
    [B_BAIYAO] = {"云南白药", "云南白药集团股份有限公司", G(DRUG), false, false},
    [B_TONGRENTANG] = {"同仁堂", "中国北京同仁堂（集团）有限责任公司", G(DRUG), false, false},
    [B_YUWELL] = {"鱼跃", "江苏鱼跃医疗设备股份有限公司", G(MEDICAL_DEVICE), false, false},
    [B_YILI] = {"伊利", "内蒙古伊利实业集团股份有限公司", G(FOOD), false, false},
    [B_SHUANGHUI] = {"双汇", "河南双汇投资发展股份有限公司", G(FOOD), false, false},
    [B_KINGENTA] = {"金正大", "金正大生态工程集团股份有限公司", G(AGRICULTURAL_INPUT), false,
                    false},
    [B_LONGPING] = {"隆平高科", "袁隆平农业高科技股份有限公司", G(AGRICULTURAL_INPUT), false,
                    false},
    [B_STANLEY] = {"史丹利", "史丹利农业集团股份有限公司", G(AGRICULTURAL_INPUT), false, false},
    [B_BAYER] = {"拜耳", "Bayer AG", G(AGRICULTURAL_INPUT), true, false},
    [B_MIDEA] = {"美的", "美的集团股份有限公司", G(HOME_APPLIANCE), false, false},
    [B_GREE] = {"格力", "珠海格力电器股份有限公司", G(HOME_APPLIANCE), false, false},
    [B_ORIENTAL_YUHONG] = {"东方雨虹", "北京东方雨虹防水技术股份有限公司", G(BUILDING_MATERIALS),
                           false, false},
    [B_MICHELIN] = {"米其林", "Compagnie Générale des Établissements Michelin", G(AUTO_PARTS), true,
                    false},
    [B_PEOPLES_LIT] = {"人民文学出版社", "人民文学出版社有限公司", G(PUBLICATION_AV_SOFTWARE),
                       false, false},
    [B_TENCENT_VIDEO] = {"腾讯视频", "深圳市腾讯计算机系统有限公司", G(PUBLICATION_AV_SOFTWARE),
                         false, false},
    [B_ZHONGHUA_BOOK] = {"中华书局", "中华书局有限公司", G(PUBLICATION_AV_SOFTWARE), false, false},
    [B_DISNEY] = {"迪士尼", "Disney Enterprises, Inc.", G(PUBLICATION_AV_SOFTWARE), true, false},
    [B_APPLE] = {"Apple", "Apple Inc.", G(CONSUMER_ELECTRONICS), true, false},
    [B_NIKE] = {"Nike", "Nike Innovate C.V.", G(CLOTHING_SHOES_BAGS), true, false},
    [B_BOSCH] = {"Bosch", "Robert Bosch GmbH", G(AUTO_PARTS), true, false},
    [B_HUAWEI] = {"华为", "华为技术有限公司", G(CONSUMER_ELECTRONICS), false, false},
    [B_ANTA] = {"安踏", "安踏（中国）有限公司", G(CLOTHING_SHOES_BAGS), false, false},
    [B_ESTEE_LAUDER] = {"雅诗兰黛", "Estée Lauder Cosmetics Ltd.", G(COSMETICS), true, false},
    [B_LOREAL] = {"欧莱雅", "L'Oréal S.A.", G(COSMETICS), true, false},
    [B_CHANEL] = {"香奈儿", "Chanel SARL", G(COSMETICS), true, false},
    [B_DIOR] = {"迪奥", "Parfums Christian Dior", G(COSMETICS), true, false},
    [B_LINING] = {"李宁", "李宁（中国）体育用品有限公司", G(CLOTHING_SHOES_BAGS), false, false},
    [B_XIAOMI] = {"小米", "小米科技有限责任公司", G(CONSUMER_ELECTRONICS), false, false},
    [B_PERFECT_DIARY] = {"完美日记", "广州逸仙电子商务有限公司", G(COSMETICS), false, false},
};

typedef struct {
    const char *code;
    s_track_t track;
    unsigned weight; /* share of fresh case reports */
    unsigned channels;
    int categories[S_MAX_KINDS]; /* 0-terminated Dajia__CaseCategory */
    int brands[S_MAX_BRANDS];    /* indices into s_brands; the count is in n_brands */
    unsigned n_brands;
    const char *agency;
} s_profile_t;

#define C(x)        DAJIA__CASE_CATEGORY__CASE_CATEGORY_##x
#define BRANDS(...) {__VA_ARGS__}, sizeof((int[]){__VA_ARGS__}) / sizeof(int)

/* In the order of the broker's default member list. */
static const s_profile_t s_profiles[SIM_UNIT_COUNT] = {
    {"publicity", S_TRACK_INFO, 0, 0, {0}, {0}, 0, "市委宣传部"},
    {"polilegal", S_TRACK_INFO, 0, 0, {0}, {0}, 0, "市委政法委"},
    {"govoffice", S_TRACK_INFO, 0, 0, {0}, {0}, 0, "市政府办公室"},
    {"drc", S_TRACK_INFO, 0, 0, {0}, {0}, 0, "市发展改革委"},
    {"iit", S_TRACK_INFO, 0, 0, {0}, {0}, 0, "市工业和信息化局"},
    {"psb",
     S_TRACK_POLICE,
     8,
     0,
     {C(TRADEMARK_COUNTERFEITING), C(FAKE_DRUG), C(UNSAFE_FOOD), C(COUNTERFEIT_TOBACCO),
      C(SHODDY_PRODUCTS)},
     BRANDS(B_MOUTAI, B_WULIANGYE, B_ZHONGHUA, B_BAIYAO, B_SHUANGHUI, B_LOREAL),
     "市公安局食药环侦支队"},
    {"justice", S_TRACK_INFO, 0, 0, {0}, {0}, 0, "市司法局"},
    {"finance", S_TRACK_INFO, 0, 0, {0}, {0}, 0, "市财政局"},
    {"eco", S_TRACK_INFO, 0, 0, {0}, {0}, 0, "市生态环境局"},
    {"agri",
     S_TRACK_ADMIN,
     4,
     S_CH_RURAL,
     {C(FAKE_AGRICULTURAL_INPUT), C(PLANT_VARIETY)},
     BRANDS(B_KINGENTA, B_LONGPING, B_STANLEY, B_BAYER),
     "市农业综合行政执法支队"},
    {"commerce",
     S_TRACK_ADMIN,
     2,
     S_CH_MARKET,
     {C(SHODDY_PRODUCTS), C(TRADEMARK_INFRINGEMENT)},
     BRANDS(B_MIDEA, B_GREE, B_ORIENTAL_YUHONG, B_MICHELIN),
     "市商务综合行政执法支队"},
    {"culture",
     S_TRACK_ADMIN,
     3,
     0,
     {C(COPYRIGHT_PIRACY)},
     BRANDS(B_PEOPLES_LIT, B_TENCENT_VIDEO, B_ZHONGHUA_BOOK, B_DISNEY),
     "市文化市场综合执法支队"},
    {"health",
     S_TRACK_ADMIN,
     4,
     0,
     {C(UNSAFE_FOOD), C(FAKE_DRUG), C(SHODDY_PRODUCTS)},
     BRANDS(B_YUWELL, B_BAIYAO, B_TONGRENTANG, B_YILI, B_ESTEE_LAUDER),
     "市卫生健康综合监督执法局"},
    {"pboc", S_TRACK_INFO, 0, 0, {0}, {0}, 0, "人民银行信阳分行"},
    {"customs",
     S_TRACK_ADMIN,
     6,
     S_CH_IMPORT_EXPORT,
     {C(TRADEMARK_INFRINGEMENT), C(TRADEMARK_COUNTERFEITING), C(PATENT_INFRINGEMENT)},
     BRANDS(B_APPLE, B_NIKE, B_BOSCH, B_HUAWEI, B_ANTA, B_ESTEE_LAUDER),
     "信阳海关缉私分局"},
    {"tax", S_TRACK_INFO, 0, 0, {0}, {0}, 0, "市税务局"},
    {"msa",
     S_TRACK_ADMIN,
     20,
     S_CH_MARKET,
     {C(TRADEMARK_COUNTERFEITING), C(TRADEMARK_INFRINGEMENT), C(SHODDY_PRODUCTS), C(UNSAFE_FOOD),
      C(PATENT_PASSING_OFF), C(GEOGRAPHICAL_INDICATION), C(FAKE_DRUG)},
     BRANDS(B_MAOJIAN, B_FEIHE, B_BULL, B_MOUTAI, B_TONGRENTANG, B_LOREAL),
     "市市场监督管理局"},
    {"cac",
     S_TRACK_ADMIN,
     5,
     S_CH_ECOMMERCE,
     {C(TRADEMARK_INFRINGEMENT), C(COPYRIGHT_PIRACY), C(SHODDY_PRODUCTS)},
     BRANDS(B_LINING, B_XIAOMI, B_PERFECT_DIARY, B_TENCENT_VIDEO),
     "市委网信办网络执法科"},
    {"forestea",
     S_TRACK_ADMIN,
     5,
     S_CH_RURAL,
     {C(GEOGRAPHICAL_INDICATION), C(PLANT_VARIETY), C(TRADEMARK_COUNTERFEITING)},
     BRANDS(B_MAOJIAN, B_XINYANGHONG, B_WENXIN),
     "市林业和茶产业局执法大队"},
    {"post",
     S_TRACK_ADMIN,
     2,
     S_CH_POSTAL,
     {C(TRADEMARK_COUNTERFEITING), C(SHODDY_PRODUCTS)},
     BRANDS(B_NIKE, B_CHANEL, B_DIOR, B_ANTA),
     "市邮政管理局市场监管科"},
    {"tobacco",
     S_TRACK_ADMIN,
     6,
     S_CH_POSTAL,
     {C(COUNTERFEIT_TOBACCO)},
     BRANDS(B_ZHONGHUA, B_HUANGHELOU, B_LIQUN),
     "市烟草专卖局稽查支队"},
    {"court",
     S_TRACK_COURT,
     2,
     0,
     {C(TRADEMARK_COUNTERFEITING), C(FAKE_DRUG), C(COPYRIGHT_PIRACY)},
     BRANDS(B_MOUTAI, B_TONGRENTANG, B_PEOPLES_LIT),
     "市中级人民法院知识产权庭"},
    {"procuratorate",
     S_TRACK_PROSECUTION,
     2,
     0,
     {C(TRADEMARK_COUNTERFEITING), C(FAKE_DRUG), C(SHODDY_PRODUCTS)},
     BRANDS(B_MOUTAI, B_BAIYAO, B_WULIANGYE),
     "市人民检察院知识产权检察办公室"},
};

#undef C
#undef G
#undef BRANDS

static const char *const s_unit_codes[SIM_UNIT_COUNT] = {
    "publicity", "polilegal", "govoffice", "drc",   "iit",           "psb",
    "justice",   "finance",   "eco",       "agri",  "commerce",      "culture",
    "health",    "pboc",      "customs",   "tax",   "msa",           "cac",
    "forestea",  "post",      "tobacco",   "court", "procuratorate",
};

/* County-level region codes of Xinyang. */
static const char *const s_regions[] = {"411502", "411503", "411521", "411522", "411523",
                                        "411524", "411525", "411526", "411527", "411528"};

static const char *const s_campaigns[] = {"铁拳", "剑网", "龙腾", "秋风", "昆仑"};

/* Titles are a prefix, the brand or campaign, and a suffix. */
typedef struct {
    const char *before, *after;
} s_title_t;

static const s_title_t s_matter_titles[] = {
    {"跨省销售假冒", "商品案需协调"}, {"", "侵权案件涉及多个部门"}, {"网络舆情关注的假冒", "问题"},
    {"上级督办的假冒", "案件"},       {"", "相关健康安全风险排查"}, {"假冒", "产品链条协同打击"},
};

static const s_title_t s_dynamic_titles[] = {
    {"开展", "专项检查"},     {"召开", "联席会议"},       {"发布", "典型案例"},
    {"", "专项行动推进情况"}, {"开展", "宣传进社区活动"}, {"关于", "监管的问题与建议"},
};

#define S_COUNT(a) (sizeof(a) / sizeof((a)[0]))

// ================================================================= randomness

static uint64_t
s_next(uint64_t *state)
{
    /* splitmix64 */
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n); n >= 1. The bias of the modulo is below 2^-40 for our n. */
static uint64_t
s_below(uint64_t *state, uint64_t n)
{
    return s_next(state) % n;
}

/* Uniform in [0, 1). */
static double
s_unit_real(uint64_t *state)
{
    return (double)(s_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

static bool
s_chance(uint64_t *state, double p)
{
    return s_unit_real(state) < p;
}

/* Uniform in [lo, hi] days, as milliseconds, with a random time of day. */
static int64_t
s_days(uint64_t *state, int lo, int hi)
{
    int64_t days = lo + (int64_t)s_below(state, (uint64_t)(hi - lo + 1));
    return days * DAJIA_TIME_MS_PER_DAY + (int64_t)s_below(state, DAJIA_TIME_MS_PER_DAY / 2);
}

// ================================================================= calendar

/* The generator numbers months year * 12 + month - 1, so that it can compare them, step
   back one and keep one in an action's `gen`; dajia_time does the calendar, in Beijing
   time, where the Office's months begin. */
static int64_t
s_month_of(int64_t ms)
{
    dajia_time_period_t m = dajia_time_period_of(DAJIA_TIME_MONTH, ms, DAJIA_TIME_BEIJING_MIN);
    return m.year * 12 + m.index - 1;
}

static dajia_time_period_t
s_month(int64_t month)
{
    return (dajia_time_period_t){DAJIA_TIME_MONTH, month / 12, (int)(month % 12) + 1};
}

/* Unix ms of the first instant of `month` in Beijing time. */
static int64_t
s_month_start(int64_t month)
{
    return dajia_time_period_start(s_month(month), DAJIA_TIME_BEIJING_MIN);
}

static void
s_period(int64_t month, char *buf, size_t size)
{
    dajia_time_period_format(s_month(month), buf, size);
}

/* The year of unix ms `ms` in Beijing time, as case and decision numbers carry it. */
static int
s_year_of(int64_t ms)
{
    return (int)dajia_time_period_of(DAJIA_TIME_YEAR, ms, DAJIA_TIME_BEIJING_MIN).year;
}

// ================================================================= state

typedef enum { S_ACT_CASE, S_ACT_MATTER, S_ACT_MONTHLY } s_act_kind_t;

typedef struct {
    int64_t at;
    uint64_t order;
    uint32_t kind;
    uint32_t index;
    uint64_t gen; /* case generation, or the month of a monthly report */
} s_action_t;

typedef struct {
    uint32_t gen;
    uint8_t unit;
    uint8_t track;
    uint8_t step;
    bool in_use;
    bool transfer;
    bool decline;
    bool reported; /* has a last_event_id */
    uint8_t channels;
    uint8_t scope;
    uint8_t supervision;
    bool media, health, casualties;
    uint8_t involved[2];
    uint8_t n_involved;
    uint8_t region;
    uint8_t brand;
    int category, goods;
    Dajia__CaseStage stage;
    Dajia__LinkageStatus linkage;
    int64_t value_fen, fines_fen;
    int64_t clue_at, filed_at, decision_at, closed_at, transferred_at, police_at;
    int32_t suspects, dens;
    uint32_t decision_serial;
    char case_no[S_ID_SIZE];
    char last_event_id[S_ID_SIZE];
} s_case_t;

typedef struct {
    uint8_t unit;
    uint8_t remaining; /* progress reports still to come */
    bool late;         /* reports, but after the due date */
    uint32_t seq;
    int interval_days;
    int64_t due_at;
    char matter_id[S_ID_SIZE];
} s_matter_t;

typedef struct {
    Dajia__Envelope env;
    Dajia__CaseReport cr;
    Dajia__MajorMatterReport mm;
    Dajia__MajorMatterProgress mp;
    Dajia__DynamicInfo di;
    Dajia__GoodsCategory goods[1];
    Dajia__MatterRequest requests[1];
    char *involved[2];
    char *related[1];
    char event_id[S_ID_SIZE];
    char reporter[S_ID_SIZE];
    char supersedes[S_ID_SIZE];
    char case_no[S_ID_SIZE];
    char decision_no[S_ID_SIZE];
    char supervision_no[S_ID_SIZE];
    char matter_id[S_ID_SIZE];
    char info_id[S_ID_SIZE];
    char period[16];
    char name[S_TEXT_SIZE];
    char title[S_TEXT_SIZE];
    char text[S_TEXT_SIZE * 2];
    char url[S_TEXT_SIZE];
} s_out_t;

struct sim_gen_t {
    uint64_t seed;
    uint64_t rng;
    int64_t start_ms, step_ms;
    uint64_t n; /* events made */
    int64_t now;
    bool selected[SIM_UNIT_COUNT];
    bool silent[SIM_UNIT_COUNT];
    bool late[SIM_UNIT_COUNT];
    unsigned case_weight; /* sum of the weights of selected, speaking case units */
    size_t speaking;      /* selected units that are not silent */
    int64_t month;        /* Beijing month of the last slot */
    /* scheduled actions */
    s_action_t *heap;
    size_t heap_len, heap_cap;
    uint64_t order;
    /* cases and matters */
    s_case_t *cases;
    size_t cases_len, cases_cap;
    uint32_t *free_cases;
    size_t free_len;
    s_matter_t *matters;
    size_t matters_len, matters_cap;
    struct {
        uint32_t index, gen;
    } recent[S_RECENT];
    size_t recent_len;
    uint32_t serial; /* case numbers, matter ids, info ids */
    s_out_t out;
};

// ================================================================= the heap

static bool
s_before(const s_action_t *a, const s_action_t *b)
{
    return a->at < b->at || (a->at == b->at && a->order < b->order);
}

/* Puts `act` in the heap. */
static int
s_push(sim_gen_t *self, s_action_t act)
{
    if (self->heap_len == self->heap_cap) {
        size_t cap = self->heap_cap ? self->heap_cap * 2 : 256;
        s_action_t *heap = realloc(self->heap, cap * sizeof *heap);
        if (!heap)
            return -ENOMEM;
        self->heap = heap;
        self->heap_cap = cap;
    }
    size_t i = self->heap_len++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!s_before(&act, &self->heap[parent]))
            break;
        self->heap[i] = self->heap[parent];
        i = parent;
    }
    self->heap[i] = act;
    return 0;
}

static int
s_schedule(sim_gen_t *self, int64_t at, s_act_kind_t kind, uint32_t index, uint64_t gen)
{
    return s_push(self, (s_action_t){at, self->order++, (uint32_t)kind, index, gen});
}

static s_action_t
s_pop(sim_gen_t *self)
{
    s_action_t top = self->heap[0];
    s_action_t last = self->heap[--self->heap_len];
    size_t i = 0, len = self->heap_len;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= len)
            break;
        if (child + 1 < len && s_before(&self->heap[child + 1], &self->heap[child]))
            child++;
        if (!s_before(&self->heap[child], &last))
            break;
        self->heap[i] = self->heap[child];
        i = child;
    }
    if (len)
        self->heap[i] = last;
    return top;
}

// ================================================================= public: setup

const char *const *
sim_units(size_t *count)
{
    if (count)
        *count = SIM_UNIT_COUNT;
    return s_unit_codes;
}

int
sim_unit_index(const char *code)
{
    for (int i = 0; code && i < SIM_UNIT_COUNT; i++)
        if (strcmp(s_unit_codes[i], code) == 0)
            return i;
    return -1;
}

/* Picks `count` distinct selected units matching `want_info` (info-only units or any)
   that are not marked yet, and marks them in `mark`. */
static void
s_pick_units(sim_gen_t *self, bool *mark, size_t count, bool info_only)
{
    for (size_t picked = 0, tries = 0; picked < count && tries < 1000; tries++) {
        int u = (int)s_below(&self->rng, SIM_UNIT_COUNT);
        if (!self->selected[u] || self->silent[u] || self->late[u])
            continue;
        if (info_only && s_profiles[u].track != S_TRACK_INFO)
            continue;
        mark[u] = true;
        picked++;
    }
}

static int
s_warm_up(sim_gen_t *self);

int
sim_gen_new(const sim_gen_options_t *options, sim_gen_t **out)
{
    if (!options || !out || options->step_ms < 1 || options->step_ms > S_MAX_STEP_MS ||
        options->start_ms < 946684800000LL || options->start_ms > S_MAX_START_MS ||
        (options->unit_count && !options->units))
        return -EINVAL;
    sim_gen_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    self->seed = options->seed;
    self->rng = options->seed ^ 0x64616A69615F7369ULL; /* "dajia_si" */
    self->start_ms = options->start_ms;
    self->step_ms = options->step_ms;
    size_t selected = 0;
    if (!options->units) {
        for (int u = 0; u < SIM_UNIT_COUNT; u++)
            self->selected[u] = true;
        selected = SIM_UNIT_COUNT;
    } else {
        for (size_t i = 0; i < options->unit_count; i++) {
            int u = sim_unit_index(options->units[i]);
            if (u < 0) {
                free(self);
                return -EINVAL;
            }
            selected += !self->selected[u];
            self->selected[u] = true;
        }
    }
    if (selected >= S_MANY_UNITS) {
        s_pick_units(self, self->silent, S_SILENT_UNITS, true);
        s_pick_units(self, self->late, S_LATE_UNITS, false);
    }
    for (int u = 0; u < SIM_UNIT_COUNT; u++) {
        if (!self->selected[u] || self->silent[u])
            continue;
        self->speaking++;
        self->case_weight += s_profiles[u].weight;
    }
    int rc = s_warm_up(self);
    if (rc) {
        sim_gen_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

void
sim_gen_destroy(sim_gen_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sim_gen_t *self = *self_p;
    free(self->heap);
    free(self->cases);
    free(self->free_cases);
    free(self->matters);
    free(self);
    *self_p = NULL;
}

uint64_t
sim_gen_count(const sim_gen_t *self)
{
    return self->n;
}

// ================================================================= output

/* Starts the envelope of the current slot for `unit`. */
static void
s_begin(sim_gen_t *self, int unit)
{
    s_out_t *o = &self->out;
    o->env = (Dajia__Envelope)DAJIA__ENVELOPE__INIT;
    snprintf(o->event_id, sizeof o->event_id, "sim.%" PRIu64 ".%" PRIu64, self->seed, self->n);
    snprintf(o->reporter, sizeof o->reporter, "%s-liaison-%u", s_unit_codes[unit],
             1 + (unsigned)s_below(&self->rng, 3));
    o->env.event_id = o->event_id;
    o->env.unit = (char *)s_unit_codes[unit];
    o->env.reporter = o->reporter;
    /* The change happened a little before the liaison reported it. */
    o->env.reported_at = self->now;
    o->env.occurred_at = self->now - (int64_t)s_below(&self->rng, 6 * DAJIA_TIME_MS_PER_HOUR);
    o->env.region = "411500";
}

static const s_brand_t *
s_brand(const s_case_t *c)
{
    return &s_brands[c->brand < B_COUNT ? c->brand : 0];
}

/* One of the unit's brands, for a matter's or a piece of information's title; NULL for
   a unit without cases. */
static const char *
s_unit_brand(sim_gen_t *self, const s_profile_t *p)
{
    return p->n_brands ? s_brands[p->brands[s_below(&self->rng, p->n_brands)]].name : NULL;
}

/* Fills the case report body from the case's current state. */
static void
s_case_body(sim_gen_t *self, const s_case_t *c)
{
    s_out_t *o = &self->out;
    Dajia__CaseReport *cr = &o->cr;
    *cr = (Dajia__CaseReport)DAJIA__CASE_REPORT__INIT;
    snprintf(o->case_no, sizeof o->case_no, "%s", c->case_no);
    snprintf(o->name, sizeof o->name, "涉嫌假冒“%s”商品案", s_brand(c)->name);
    cr->case_no = o->case_no;
    cr->case_name = o->name;
    cr->handling_agency = (char *)s_profiles[c->unit].agency;
    cr->category = (Dajia__CaseCategory)c->category;
    o->goods[0] = (Dajia__GoodsCategory)c->goods;
    cr->goods = o->goods;
    cr->n_goods = 1;
    cr->brand = (char *)s_brand(c)->name;
    cr->right_holder = (char *)s_brand(c)->holder;
    cr->foreign_right_holder = s_brand(c)->foreign;
    cr->ecommerce = c->channels & S_CH_ECOMMERCE;
    cr->key_physical_market = c->channels & S_CH_MARKET;
    cr->rural = c->channels & S_CH_RURAL;
    cr->import_export = c->channels & S_CH_IMPORT_EXPORT;
    cr->postal_express = c->channels & S_CH_POSTAL;
    cr->case_value_fen = c->value_fen;
    cr->illegal_business_fen = c->value_fen;
    cr->sales_fen = c->value_fen / 10 * 6;
    cr->unsold_goods_value_fen = c->value_fen / 10 * 4;
    cr->illegal_gains_fen = c->value_fen / 5;
    cr->fines_confiscations_fen = c->fines_fen;
    cr->loss_recovered_fen =
        c->stage >= DAJIA__CASE_STAGE__CASE_STAGE_PENALTY_DECIDED ? c->value_fen / 10 * 3 : 0;
    cr->clue_received_at = c->clue_at;
    cr->filed_at = c->filed_at;
    if (c->decision_at) {
        snprintf(o->decision_no, sizeof o->decision_no, "信%s罚决〔%d〕%u号", s_unit_codes[c->unit],
                 s_year_of(c->decision_at), c->decision_serial);
        cr->decision_no = o->decision_no;
        cr->decision_at = c->decision_at;
    }
    cr->closed_at = c->closed_at;
    if (c->closed_at) {
        cr->disclosed_at = c->closed_at;
        snprintf(o->url, sizeof o->url, "https://www.xinyang.gov.cn/xzcf/%s.html", c->case_no);
        cr->disclosure_url = o->url;
    }
    cr->stage = c->stage;
    cr->linkage = c->linkage;
    cr->transferred_at = c->transferred_at;
    if (c->transferred_at)
        cr->receiving_police_unit = "市公安局食药环侦支队";
    cr->police_decision_at = c->police_at;
    if (c->linkage == DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_POLICE_DECLINED ||
        c->linkage == DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_RECONSIDERATION_REQUESTED)
        cr->decline_reason = "认为情节显著轻微，不构成犯罪";
    /* criminal counters, by track and stage */
    switch ((s_track_t)c->track) {
    case S_TRACK_POLICE:
        cr->dens_destroyed = c->dens;
        cr->suspects_arrested = c->suspects;
        cr->suspects_detained = c->suspects;
        cr->seized_quantity = c->value_fen / 5000;
        if (c->stage == DAJIA__CASE_STAGE__CASE_STAGE_ARREST_APPROVED)
            cr->arrests_approved = c->suspects;
        break;
    case S_TRACK_PROSECUTION:
        cr->arrests_approved = c->suspects;
        cr->prosecuted_cases = 1;
        cr->prosecuted_persons = c->suspects;
        break;
    case S_TRACK_COURT:
        if (c->stage == DAJIA__CASE_STAGE__CASE_STAGE_JUDGMENT_EFFECTIVE)
            cr->persons_judged = c->suspects;
        break;
    default:
        if (c->dens)
            cr->dens_destroyed = c->dens;
        break;
    }
    cr->scope = (Dajia__RegionScope)c->scope;
    cr->health_safety = c->health;
    cr->casualties_count = c->casualties ? 1 : 0;
    cr->media_attention = c->media;
    cr->supervision = (Dajia__SupervisionLevel)c->supervision;
    if (c->supervision > DAJIA__SUPERVISION_LEVEL__SUPERVISION_LEVEL_NONE) {
        snprintf(o->supervision_no, sizeof o->supervision_no, "督-%.50s", c->case_no);
        cr->supervision_no = o->supervision_no;
    }
    for (size_t i = 0; i < c->n_involved; i++)
        o->involved[i] = (char *)s_unit_codes[c->involved[i]];
    cr->involved_units = o->involved;
    cr->n_involved_units = c->n_involved;
    self->out.env.region = (char *)s_regions[c->region];
    self->out.env.body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
    self->out.env.case_report = cr;
}

/* Remembers that the current event reported case `index`. */
static void
s_case_reported(sim_gen_t *self, uint32_t index)
{
    s_case_t *c = &self->cases[index];
    snprintf(c->last_event_id, sizeof c->last_event_id, "%s", self->out.event_id);
    c->reported = true;
    self->recent[self->n % S_RECENT].index = index;
    self->recent[self->n % S_RECENT].gen = c->gen;
    if (self->recent_len < S_RECENT)
        self->recent_len++;
}

// ================================================================= cases

static int
s_case_alloc(sim_gen_t *self, uint32_t *index)
{
    if (self->free_len) {
        *index = self->free_cases[--self->free_len];
    } else {
        if (self->cases_len == self->cases_cap) {
            size_t cap = self->cases_cap ? self->cases_cap * 2 : 256;
            s_case_t *cases = realloc(self->cases, cap * sizeof *cases);
            if (!cases)
                return -ENOMEM;
            uint32_t *free_cases = realloc(self->free_cases, cap * sizeof *free_cases);
            if (!free_cases) {
                self->cases = cases;
                return -ENOMEM;
            }
            self->cases = cases;
            self->free_cases = free_cases;
            self->cases_cap = cap;
        }
        *index = (uint32_t)self->cases_len++;
        self->cases[*index].gen = 0;
    }
    s_case_t *c = &self->cases[*index];
    uint32_t gen = c->gen + 1;
    memset(c, 0, sizeof *c);
    c->gen = gen;
    c->in_use = true;
    return 0;
}

static void
s_case_free(sim_gen_t *self, uint32_t index)
{
    self->cases[index].in_use = false;
    self->free_cases[self->free_len++] = index;
}

/* Does case `category` fit goods of `brand`? A fake drug is a drug, unsafe food is
   food, a geographical indication is only on goods that carry one, and so on; the
   trademark and patent categories fit any goods. */
static bool
s_category_fits(int category, const s_brand_t *brand)
{
    int g = brand->goods;
    switch (category) {
    case DAJIA__CASE_CATEGORY__CASE_CATEGORY_GEOGRAPHICAL_INDICATION:
        return brand->gi;
    case DAJIA__CASE_CATEGORY__CASE_CATEGORY_FAKE_DRUG:
        return g == DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_DRUG;
    case DAJIA__CASE_CATEGORY__CASE_CATEGORY_UNSAFE_FOOD:
        return g == DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_FOOD ||
               g == DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_ALCOHOL ||
               g == DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_TEA ||
               g == DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_MATERNAL_AND_CHILD;
    case DAJIA__CASE_CATEGORY__CASE_CATEGORY_COUNTERFEIT_TOBACCO:
        return g == DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_TOBACCO;
    case DAJIA__CASE_CATEGORY__CASE_CATEGORY_FAKE_AGRICULTURAL_INPUT:
        return g == DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_AGRICULTURAL_INPUT;
    case DAJIA__CASE_CATEGORY__CASE_CATEGORY_PLANT_VARIETY:
        return g == DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_AGRICULTURAL_INPUT ||
               g == DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_TEA;
    case DAJIA__CASE_CATEGORY__CASE_CATEGORY_COPYRIGHT_PIRACY:
        return g == DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_PUBLICATION_AV_SOFTWARE;
    case DAJIA__CASE_CATEGORY__CASE_CATEGORY_SHODDY_PRODUCTS:
        return g != DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_DRUG &&
               g != DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_TOBACCO &&
               g != DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_PUBLICATION_AV_SOFTWARE;
    default:
        return g != DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_PUBLICATION_AV_SOFTWARE ||
               category != DAJIA__CASE_CATEGORY__CASE_CATEGORY_PATENT_PASSING_OFF;
    }
}

/* One of `categories` (0-terminated) that fits `brand`, drawn evenly; trademark
   counterfeiting when none does. */
static int
s_pick_category(sim_gen_t *self, const int *categories, const s_brand_t *brand)
{
    int fits[S_MAX_KINDS];
    size_t n = 0;
    for (size_t i = 0; i < S_MAX_KINDS && categories[i]; i++)
        if (s_category_fits(categories[i], brand))
            fits[n++] = categories[i];
    return n ? fits[s_below(&self->rng, n)]
             : DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING;
}

/* A case value with a long tail, in fen. */
static int64_t
s_value_fen(sim_gen_t *self)
{
    double u = 1.0 - s_unit_real(&self->rng); /* (0, 1] */
    double yuan = S_MIN_VALUE_YUAN / pow(u, 1.0 / S_PARETO_ALPHA);
    if (yuan > S_MAX_VALUE_YUAN)
        yuan = S_MAX_VALUE_YUAN;
    return (int64_t)yuan * S_FEN;
}

static bool
s_health_goods(int goods)
{
    switch (goods) {
    case DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_FOOD:
    case DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_DRUG:
    case DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_MEDICAL_DEVICE:
    case DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_AGRICULTURAL_INPUT:
    case DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_FIRE_SAFETY:
    case DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_MATERNAL_AND_CHILD:
        return true;
    default:
        return false;
    }
}

/* A new case of `unit`, optionally following `from` (a case handed on down the criminal
   chain: same goods, value and suspects). Its first report is scheduled `after` ms on. */
static int
s_case_new(sim_gen_t *self, int unit, const s_case_t *from, int64_t after)
{
    /* `from` lives in the case table, which the allocation may move. */
    s_case_t from_copy;
    if (from) {
        from_copy = *from;
        from = &from_copy;
    }
    uint32_t index;
    int rc = s_case_alloc(self, &index);
    if (rc)
        return rc;
    s_case_t *c = &self->cases[index];
    const s_profile_t *p = &s_profiles[unit];
    uint64_t *rng = &self->rng;
    c->unit = (uint8_t)unit;
    c->track = (uint8_t)p->track;
    c->region = (uint8_t)s_below(rng, S_COUNT(s_regions));
    snprintf(c->case_no, sizeof c->case_no, "%s-%d-%" PRIu64 "-%06" PRIu32, p->code,
             s_year_of(self->now + after), self->seed, ++self->serial);
    if (from) {
        c->category = from->category;
        c->goods = from->goods;
        c->brand = from->brand;
        c->value_fen = from->value_fen;
        c->suspects = from->suspects;
        c->dens = from->dens;
        c->scope = from->scope;
        c->health = from->health;
        c->supervision = from->supervision;
        c->channels = from->channels;
        c->region = from->region;
    } else {
        /* The brand first: its goods and holder come with it, and the category is one
           of the unit's that fits them (no geographical indication but on one). */
        c->brand = (uint8_t)p->brands[s_below(rng, p->n_brands)];
        c->goods = s_brands[c->brand].goods;
        c->category = s_pick_category(self, p->categories, &s_brands[c->brand]);
        c->value_fen = s_value_fen(self);
        c->suspects = 1 + (int32_t)s_below(rng, 4);
        c->channels = (uint8_t)p->channels;
        if (s_chance(rng, 0.15))
            c->channels |= S_CH_ECOMMERCE;
        double r = s_unit_real(rng);
        bool customs = p->channels & S_CH_IMPORT_EXPORT;
        c->scope = r < (customs ? 0.20 : 0.01)   ? DAJIA__REGION_SCOPE__REGION_SCOPE_FOREIGN
                   : r < (customs ? 0.30 : 0.05) ? DAJIA__REGION_SCOPE__REGION_SCOPE_PROVINCE
                   : r < 0.15                    ? DAJIA__REGION_SCOPE__REGION_SCOPE_CITY
                                                 : DAJIA__REGION_SCOPE__REGION_SCOPE_COUNTY;
        c->media = s_chance(rng, 0.02);
        c->health = s_health_goods(c->goods) && s_chance(rng, 0.1);
        c->casualties = c->health && s_chance(rng, 0.1);
        r = s_unit_real(rng);
        c->supervision = r < 0.005  ? DAJIA__SUPERVISION_LEVEL__SUPERVISION_LEVEL_NATIONAL
                         : r < 0.02 ? DAJIA__SUPERVISION_LEVEL__SUPERVISION_LEVEL_PROVINCE
                         : r < 0.05 ? DAJIA__SUPERVISION_LEVEL__SUPERVISION_LEVEL_CITY
                                    : DAJIA__SUPERVISION_LEVEL__SUPERVISION_LEVEL_NONE;
        if (s_chance(rng, 0.03)) {
            /* two other member units work the case with this one */
            for (int tries = 0; c->n_involved < 2 && tries < 20; tries++) {
                int other = (int)s_below(rng, SIM_UNIT_COUNT);
                if (other != unit && (c->n_involved == 0 || c->involved[0] != other))
                    c->involved[c->n_involved++] = (uint8_t)other;
            }
        }
    }
    /* Administrative cases above the prosecution threshold mostly go to the police; the
       rest are fined (the "fining instead of prosecuting" the Office watches for). */
    bool criminal = c->value_fen >= (int64_t)S_CRIMINAL_YUAN * S_FEN;
    c->transfer = c->track == S_TRACK_ADMIN && s_chance(rng, criminal ? 0.6 : 0.04);
    c->decline = c->transfer && s_chance(rng, 0.15);
    /* An administrative case starts as a clue or filed at once. */
    c->step = c->track == S_TRACK_ADMIN && s_chance(rng, 0.4) ? 1 : 0;
    return s_schedule(self, self->now + after, S_ACT_CASE, index, c->gen);
}

/* Admin steps: 0 clue, 1 filed, then either 2 transferred, 3 police filed / declined,
   4 reconsideration requested; or 2 penalty decided, 3 closed. */
static void
s_case_step_admin(sim_gen_t *self, s_case_t *c, int64_t *next, bool *spawn)
{
    uint64_t *rng = &self->rng;
    int64_t t = self->out.env.occurred_at;
    *next = 0;
    switch (c->step) {
    case 0:
        c->stage = DAJIA__CASE_STAGE__CASE_STAGE_CLUE;
        c->clue_at = t;
        *next = s_days(rng, 1, 7);
        break;
    case 1:
        c->stage = DAJIA__CASE_STAGE__CASE_STAGE_FILED;
        c->clue_at = c->clue_at ? c->clue_at : t - s_days(rng, 1, 5);
        c->filed_at = t;
        c->linkage = DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_NONE;
        if (c->transfer)
            c->linkage = DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_SUSPECTED;
        if (s_chance(rng, 0.2))
            c->dens = 1;
        *next = c->transfer ? s_days(rng, 2, 6) : s_days(rng, 10, 40);
        break;
    case 2:
        if (c->transfer) {
            c->stage = DAJIA__CASE_STAGE__CASE_STAGE_HANDED_TO_OTHER_AGENCY;
            c->linkage = DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_TRANSFERRED;
            c->transferred_at = t;
            *next = s_days(rng, 1, 3);
        } else {
            c->stage = DAJIA__CASE_STAGE__CASE_STAGE_PENALTY_DECIDED;
            c->decision_at = t;
            c->decision_serial = 1 + (uint32_t)s_below(rng, 999);
            c->fines_fen = c->value_fen / 2 > 5000 * S_FEN ? c->value_fen / 2 : 5000 * S_FEN;
            *next = s_days(rng, 3, 15);
        }
        break;
    case 3:
        if (c->transfer) {
            c->police_at = t;
            if (c->decline) {
                c->linkage = DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_POLICE_DECLINED;
                *next = s_days(rng, 1, 3);
            } else {
                c->linkage = DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_POLICE_FILED;
                *spawn = true;
            }
        } else {
            c->stage = DAJIA__CASE_STAGE__CASE_STAGE_CLOSED;
            c->closed_at = t;
        }
        break;
    default:
        c->linkage = DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_RECONSIDERATION_REQUESTED;
        break;
    }
}

/* Runs the next step of a case: fills the event and schedules what follows. */
static int
s_case_step(sim_gen_t *self, uint32_t index)
{
    s_case_t *c = &self->cases[index];
    uint64_t *rng = &self->rng;
    s_begin(self, c->unit);
    int64_t next = 0;
    bool spawn = false;
    int spawn_unit = -1;
    switch ((s_track_t)c->track) {
    case S_TRACK_ADMIN:
        s_case_step_admin(self, c, &next, &spawn);
        spawn_unit = sim_unit_index("psb");
        break;
    case S_TRACK_POLICE:
        if (c->step == 0) {
            c->stage = DAJIA__CASE_STAGE__CASE_STAGE_CRIMINAL_INVESTIGATION;
            c->filed_at = self->out.env.occurred_at;
            c->dens = 1 + (int32_t)s_below(rng, 3);
            next = s_days(rng, 7, 30);
        } else {
            c->stage = DAJIA__CASE_STAGE__CASE_STAGE_ARREST_APPROVED;
            spawn = true;
            spawn_unit = sim_unit_index("procuratorate");
        }
        break;
    case S_TRACK_PROSECUTION:
        c->stage = DAJIA__CASE_STAGE__CASE_STAGE_PROSECUTED;
        c->filed_at = self->out.env.occurred_at;
        spawn = true;
        spawn_unit = sim_unit_index("court");
        break;
    case S_TRACK_COURT:
        if (c->step == 0) {
            c->stage = DAJIA__CASE_STAGE__CASE_STAGE_IN_TRIAL;
            c->filed_at = self->out.env.occurred_at;
            next = s_days(rng, 20, 60);
        } else {
            c->stage = DAJIA__CASE_STAGE__CASE_STAGE_JUDGMENT_EFFECTIVE;
            c->closed_at = self->out.env.occurred_at;
        }
        break;
    default:
        break;
    }
    s_case_body(self, c);
    s_case_reported(self, index);
    c->step++;
    int rc = 0;
    if (spawn && spawn_unit >= 0 && self->selected[spawn_unit] && !self->silent[spawn_unit])
        rc = s_case_new(self, spawn_unit, c, s_days(rng, 5, 40));
    c = &self->cases[index]; /* s_case_new may have moved the table */
    if (rc == 0 && next)
        rc = s_schedule(self, self->now + next, S_ACT_CASE, index, c->gen);
    else if (rc == 0)
        s_case_free(self, index);
    return rc;
}

/* A correction of a recent case's latest report: the amounts were wrong. */
static bool
s_correction(sim_gen_t *self)
{
    if (!self->recent_len)
        return false;
    size_t pick = (size_t)s_below(&self->rng, self->recent_len);
    uint32_t index = self->recent[pick].index;
    s_case_t *c = &self->cases[index];
    if (!c->in_use || c->gen != self->recent[pick].gen || !c->reported)
        return false;
    s_begin(self, c->unit);
    /* within 10% either way, whole yuan */
    int64_t delta = c->value_fen / 10;
    c->value_fen += delta - (int64_t)s_below(&self->rng, (uint64_t)(2 * delta + 1));
    c->value_fen -= c->value_fen % S_FEN;
    snprintf(self->out.supersedes, sizeof self->out.supersedes, "%s", c->last_event_id);
    self->out.env.supersedes_event_id = self->out.supersedes;
    s_case_body(self, c);
    s_case_reported(self, index);
    return true;
}

// ================================================================= matters

static int
s_matter_new(sim_gen_t *self, int unit)
{
    uint64_t *rng = &self->rng;
    if (self->matters_len == self->matters_cap) {
        size_t cap = self->matters_cap ? self->matters_cap * 2 : 64;
        s_matter_t *matters = realloc(self->matters, cap * sizeof *matters);
        if (!matters)
            return -ENOMEM;
        self->matters = matters;
        self->matters_cap = cap;
    }
    uint32_t index = (uint32_t)self->matters_len++;
    s_matter_t *m = &self->matters[index];
    memset(m, 0, sizeof *m);
    m->unit = (uint8_t)unit;
    snprintf(m->matter_id, sizeof m->matter_id, "%s-MM-%" PRIu64 "-%04" PRIu32, s_unit_codes[unit],
             self->seed, ++self->serial);
    bool especially = s_chance(rng, 0.2);
    m->interval_days = especially ? S_URGENT_DAYS : S_INTERVAL_DAYS;
    m->remaining = (uint8_t)(2 + s_below(rng, 4));
    double r = s_unit_real(rng);
    if (r < 0.25)
        m->remaining = 0; /* left to go overdue */
    else if (r < 0.4)
        m->late = true;

    s_begin(self, unit);
    s_out_t *o = &self->out;
    const s_profile_t *p = &s_profiles[unit];
    const char *about = s_unit_brand(self, p);
    if (!about)
        about = "知识产权";
    const s_title_t *t = &s_matter_titles[s_below(rng, S_COUNT(s_matter_titles))];
    snprintf(o->title, sizeof o->title, "%s%s%s", t->before, about, t->after);
    snprintf(o->text, sizeof o->text, "%s报告重大事项：%s。请领导小组办公室协调。", p->agency,
             o->title);
    snprintf(o->matter_id, sizeof o->matter_id, "%s", m->matter_id);
    o->mm = (Dajia__MajorMatterReport)DAJIA__MAJOR_MATTER_REPORT__INIT;
    o->mm.matter_id = o->matter_id;
    o->mm.type = (Dajia__MatterType)(1 + s_below(rng, 7));
    o->mm.severity =
        especially ? DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR : DAJIA__SEVERITY__SEVERITY_MAJOR;
    o->mm.title = o->title;
    o->mm.summary = o->text;
    o->requests[0] = (Dajia__MatterRequest)(1 + s_below(rng, 3));
    o->mm.requests = o->requests;
    o->mm.n_requests = 1;
    o->mm.update_interval_days = m->interval_days;
    m->due_at = o->env.occurred_at + (int64_t)m->interval_days * DAJIA_TIME_MS_PER_DAY;
    o->mm.next_update_due_at = m->due_at;
    o->env.body_case = DAJIA__ENVELOPE__BODY_MAJOR_MATTER;
    o->env.major_matter = &o->mm;
    if (!m->remaining)
        return 0;
    return s_schedule(self,
                      self->now + s_days(rng, m->interval_days - 4, m->interval_days - 2) +
                          (m->late ? s_days(rng, 2, 10) : 0),
                      S_ACT_MATTER, index, 0);
}

static const char *const s_progress_text[] = {
    "已召开协调会，明确分工，案件正在侦办中。",
    "涉案物品已查封，正在开展检验鉴定。",
    "已向上级报告进展，等待批复。",
    "相关线索已移交公安机关，正在跟进。",
};

static int
s_matter_progress(sim_gen_t *self, uint32_t index)
{
    uint64_t *rng = &self->rng;
    s_matter_t *m = &self->matters[index];
    s_begin(self, m->unit);
    s_out_t *o = &self->out;
    m->seq++;
    m->remaining--;
    o->mp = (Dajia__MajorMatterProgress)DAJIA__MAJOR_MATTER_PROGRESS__INIT;
    snprintf(o->matter_id, sizeof o->matter_id, "%s", m->matter_id);
    o->mp.matter_id = o->matter_id;
    o->mp.seq = m->seq;
    o->mp.status = m->remaining == 0     ? DAJIA__MATTER_STATUS__MATTER_STATUS_RESOLVED
                   : s_chance(rng, 0.15) ? DAJIA__MATTER_STATUS__MATTER_STATUS_BLOCKED
                                         : DAJIA__MATTER_STATUS__MATTER_STATUS_IN_PROGRESS;
    o->mp.narrative = (char *)s_progress_text[s_below(rng, 4)];
    if (m->remaining) {
        m->due_at = o->env.occurred_at + (int64_t)m->interval_days * DAJIA_TIME_MS_PER_DAY;
        o->mp.next_update_due_at = m->due_at;
    }
    o->env.body_case = DAJIA__ENVELOPE__BODY_MATTER_PROGRESS;
    o->env.matter_progress = &o->mp;
    if (!m->remaining)
        return 0;
    return s_schedule(self,
                      self->now + s_days(rng, m->interval_days - 4, m->interval_days - 2) +
                          (m->late ? s_days(rng, 2, 10) : 0),
                      S_ACT_MATTER, index, 0);
}

// ================================================================= information

/* A piece of dynamic information for the current month, or (`month` >= 0) the monthly
   report for that month: a zero report from a unit with no cases to report. */
static void
s_info(sim_gen_t *self, int unit, int64_t month)
{
    uint64_t *rng = &self->rng;
    s_begin(self, unit);
    s_out_t *o = &self->out;
    const s_profile_t *p = &s_profiles[unit];
    o->di = (Dajia__DynamicInfo)DAJIA__DYNAMIC_INFO__INIT;
    s_period(month >= 0 ? month : s_month_of(self->now), o->period, sizeof o->period);
    o->di.period = o->period;
    const char *tag = s_campaigns[s_below(rng, S_COUNT(s_campaigns))];
    if (month >= 0) {
        snprintf(o->info_id, sizeof o->info_id, "%s-M-%s-%" PRIu64, p->code, o->period, self->seed);
        o->di.kind = DAJIA__INFO_KIND__INFO_KIND_CASE_DATA_SNAPSHOT;
        if (p->track == S_TRACK_INFO && s_chance(rng, 0.6)) {
            o->di.zero_report = true;
        } else {
            snprintf(o->title, sizeof o->title, "%s %s 月度工作情况", p->agency, o->period);
            o->di.title = o->title;
            o->di.body = "本月案件查办和工作开展情况见附表。";
        }
    } else {
        snprintf(o->info_id, sizeof o->info_id, "%s-I-%" PRIu64 "-%06" PRIu32, p->code, self->seed,
                 ++self->serial);
        unsigned kind = (unsigned)s_below(rng, 5);
        static const Dajia__InfoKind kinds[] = {
            DAJIA__INFO_KIND__INFO_KIND_WORK_DYNAMIC,
            DAJIA__INFO_KIND__INFO_KIND_TYPICAL_CASE,
            DAJIA__INFO_KIND__INFO_KIND_CAMPAIGN_PROGRESS,
            DAJIA__INFO_KIND__INFO_KIND_PUBLICITY_EVENT,
            DAJIA__INFO_KIND__INFO_KIND_PROBLEM_SUGGESTION,
        };
        o->di.kind = kinds[kind];
        const char *about = s_unit_brand(self, p);
        if (!about)
            about = tag;
        const s_title_t *t = &s_dynamic_titles[s_below(rng, S_COUNT(s_dynamic_titles))];
        snprintf(o->title, sizeof o->title, "%s%s%s", t->before, about, t->after);
        o->di.title = o->title;
        snprintf(o->text, sizeof o->text, "%s：%s。", p->agency, o->title);
        o->di.body = o->text;
        if (o->di.kind == DAJIA__INFO_KIND__INFO_KIND_CAMPAIGN_PROGRESS)
            o->di.campaign_tag = (char *)tag;
    }
    o->di.info_id = o->info_id;
    o->env.body_case = DAJIA__ENVELOPE__BODY_DYNAMIC_INFO;
    o->env.dynamic_info = &o->di;
}

/* When the slot's month is new (the first slot's too), schedules every speaking unit's
   report for that month: in its last days, as the Office asks, so that it is on time by
   the deadline (the 10th of the next month) and in the month it reports for; or, from a
   late unit, well after the 10th of the next month. */
static int
s_new_month(sim_gen_t *self)
{
    int64_t month = s_month_of(self->now);
    if (month <= self->month)
        return 0;
    self->month = month;
    int64_t end = s_month_start(month + 1);
    for (int u = 0; u < SIM_UNIT_COUNT; u++) {
        if (!self->selected[u] || self->silent[u])
            continue;
        int64_t at = self->late[u] ? end + s_days(&self->rng, 12, 20)
                                   : end - DAJIA_TIME_MS_PER_DAY - s_days(&self->rng, 0, 3);
        int rc = s_schedule(self, at, S_ACT_MONTHLY, (uint32_t)u, (uint64_t)month);
        if (rc)
            return rc;
    }
    return 0;
}

// ================================================================= the stream

/* A speaking unit drawn by case weight (case units) or uniformly (any). */
static int
s_pick_unit(sim_gen_t *self, bool by_case_weight)
{
    if (by_case_weight && self->case_weight) {
        uint64_t r = s_below(&self->rng, self->case_weight);
        for (int u = 0; u < SIM_UNIT_COUNT; u++) {
            if (!self->selected[u] || self->silent[u])
                continue;
            if (r < s_profiles[u].weight)
                return u;
            r -= s_profiles[u].weight;
        }
    }
    uint64_t r = s_below(&self->rng, self->speaking ? self->speaking : 1);
    for (int u = 0; u < SIM_UNIT_COUNT; u++) {
        if (!self->selected[u] || (self->speaking && self->silent[u]))
            continue;
        if (r-- == 0)
            return u;
    }
    return -1;
}

/* Runs a scheduled action. A case action whose case slot was reused is stale (it cannot
   happen today: a case is freed only when nothing is scheduled for it) and yields a
   fresh event instead. */
static int
s_fresh(sim_gen_t *self);

static int
s_run(sim_gen_t *self, const s_action_t *act)
{
    switch ((s_act_kind_t)act->kind) {
    case S_ACT_CASE:
        if (!self->cases[act->index].in_use || self->cases[act->index].gen != act->gen)
            return s_fresh(self);
        return s_case_step(self, act->index);
    case S_ACT_MATTER:
        return s_matter_progress(self, act->index);
    case S_ACT_MONTHLY:
        s_info(self, (int)act->index, (int64_t)act->gen);
        return 0;
    }
    return -EINVAL;
}

/* A slot that no action needs: a new case, dynamic information, now and then a major
   matter or a correction. */
static int
s_fresh(sim_gen_t *self)
{
    if (self->case_weight && s_chance(&self->rng, S_FRESH_CASES)) {
        /* Its first report runs in this very slot: nothing else is due. */
        int u = s_pick_unit(self, true);
        int rc = u >= 0 ? s_case_new(self, u, NULL, 0) : -EINVAL;
        if (rc)
            return rc;
        s_action_t act = s_pop(self);
        return s_run(self, &act);
    }
    double r = s_unit_real(&self->rng);
    if (r < S_CORRECTION_SHARE && s_correction(self))
        return 0;
    if (r < S_MATTER_SHARE) {
        int u = s_pick_unit(self, s_chance(&self->rng, 0.8));
        return u >= 0 ? s_matter_new(self, u) : -EINVAL;
    }
    int u = s_pick_unit(self, false);
    if (u < 0)
        return -EINVAL;
    s_info(self, u, -1);
    return 0;
}

/* Fills the slot at self->now: new cases arrive at a steady rate, whatever else is
   under way (a unit does not stop getting clues while it investigates), and are
   queued; the slot goes to the earliest due action (a case's next stage or first
   report, a matter's progress, a monthly report), first come first served, or, when
   none is due, to something fresh. */
static int
s_slot(sim_gen_t *self)
{
    int rc = s_new_month(self);
    if (rc)
        return rc;
    memset(&self->out.env, 0, sizeof self->out.env);
    if (self->case_weight && s_chance(&self->rng, S_CASE_ARRIVALS)) {
        int u = s_pick_unit(self, true);
        rc = u >= 0 ? s_case_new(self, u, NULL, 0) : -EINVAL;
        if (rc)
            return rc;
    }
    if (self->heap_len && self->heap[0].at <= self->now) {
        s_action_t act = s_pop(self);
        return s_run(self, &act);
    }
    return self->speaking ? s_fresh(self) : -EINVAL;
}

/* Runs the stream for S_WARMUP_MS of event time before the start, without a word, so
   that the first event finds cases at every stage, matters under way and the monthly
   reports going: a month then looks like the next one from the first. What was made
   in it is never named by a correction (the stream has not said it). */
static int
s_warm_up(sim_gen_t *self)
{
    int64_t slots = S_WARMUP_MS / self->step_ms;
    if (slots > S_WARMUP_MAX_SLOTS)
        slots = S_WARMUP_MAX_SLOTS;
    self->month = s_month_of(self->start_ms - slots * self->step_ms) - 1;
    for (int64_t i = slots; i > 0; i--) {
        self->now = self->start_ms - i * self->step_ms;
        int rc = s_slot(self);
        if (rc)
            return rc;
    }
    self->recent_len = 0;
    /* Its major matters are forgotten: progress on a matter the Office never heard of
       would be news of nothing. (Its cases go on: a case filed before the stream began
       is reported at its later stages, as a unit's older cases are.) */
    size_t n = self->heap_len, kept = 0;
    s_action_t *actions = malloc((n ? n : 1) * sizeof *actions);
    if (!actions)
        return -ENOMEM;
    memcpy(actions, self->heap, n * sizeof *actions);
    self->heap_len = 0;
    for (size_t i = 0; i < n; i++)
        if (actions[i].kind != S_ACT_MATTER)
            actions[kept++] = actions[i];
    int rc = 0;
    for (size_t i = 0; i < kept && rc == 0; i++)
        rc = s_push(self, actions[i]);
    free(actions);
    self->matters_len = 0;
    return rc;
}

int
sim_gen_next(sim_gen_t *self, const Dajia__Envelope **env)
{
    self->now = self->start_ms + (int64_t)self->n * self->step_ms;
    int rc = s_slot(self);
    if (rc)
        return rc;
    self->n++;
    *env = &self->out.env;
    return 0;
}
