/*  esc_rules: the escalation rules of docs/domain.md §5 as pure functions, with the
    tables they read (prosecution thresholds, linkage deadlines) and the words the
    reasons are written with.
*/
#include "esc_rules.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dajia_compat.h"
#include "dajia_time.h"

#define S_CAT(name)   DAJIA__CASE_CATEGORY__CASE_CATEGORY_##name
#define S_GOODS(name) DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_##name
#define S_LINK(name)  DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_##name
#define S_STAGE(name) DAJIA__CASE_STAGE__CASE_STAGE_##name

#define S_YUAN(y) ((int64_t)(y)*ESC_FEN_PER_YUAN)

/* ================================================================ names */

/* Indexed by enum value; the first entry is the unspecified value. The settings names
   of categories and measures (escalate/e5_<category>_<measure>_fen). */
static const char *const s_category_keys[ESC_CATEGORY_COUNT] = {"unspecified",
                                                                "trademark_infringement",
                                                                "trademark_counterfeiting",
                                                                "patent_infringement",
                                                                "patent_passing_off",
                                                                "copyright_piracy",
                                                                "geographical_indication",
                                                                "official_mark",
                                                                "plant_variety",
                                                                "trade_secret",
                                                                "ic_layout",
                                                                "ip_agency",
                                                                "shoddy_products",
                                                                "fake_drug",
                                                                "unsafe_food",
                                                                "fake_agricultural_input",
                                                                "counterfeit_tobacco",
                                                                "other"};

static const char *const s_measure_keys[ESC_MEASURE_COUNT] = {"business", "gains", "sales",
                                                              "unsold",   "loss",  "sales3_unsold"};

/* ================================================================ limits */

void
esc_limits_default(esc_limits_t *limits)
{
    memset(limits, 0, sizeof *limits);
    /* Criminal Law art. 140 bands: 500k and 2M yuan. */
    limits->value_major_fen = S_YUAN(500000);
    limits->value_especially_major_fen = S_YUAN(2000000);

    /* Prosecution thresholds (docs/domain.md §5.6). Counterfeiting a mark: business 50k or
       gains 30k; selling goods with counterfeit marks: sales 50k. */
    esc_threshold_t *t = &limits->prosecution[S_CAT(TRADEMARK_COUNTERFEITING)];
    t->min_fen[ESC_MEASURE_BUSINESS] = S_YUAN(50000);
    t->min_fen[ESC_MEASURE_GAINS] = S_YUAN(30000);
    t->min_fen[ESC_MEASURE_SALES] = S_YUAN(50000);

    t = &limits->prosecution[S_CAT(COPYRIGHT_PIRACY)];
    t->min_fen[ESC_MEASURE_GAINS] = S_YUAN(30000);
    t->min_fen[ESC_MEASURE_BUSINESS] = S_YUAN(50000);

    t = &limits->prosecution[S_CAT(TRADE_SECRET)];
    t->min_fen[ESC_MEASURE_LOSS] = S_YUAN(300000);

    t = &limits->prosecution[S_CAT(PATENT_PASSING_OFF)];
    t->min_fen[ESC_MEASURE_BUSINESS] = S_YUAN(200000);
    t->min_fen[ESC_MEASURE_GAINS] = S_YUAN(100000);

    t = &limits->prosecution[S_CAT(SHODDY_PRODUCTS)];
    t->min_fen[ESC_MEASURE_SALES] = S_YUAN(50000);
    t->min_fen[ESC_MEASURE_UNSOLD] = S_YUAN(150000);
    t->min_fen[ESC_MEASURE_SALES3_UNSOLD] = S_YUAN(150000);
}

void
esc_limits_load(esc_limits_t *limits, const worker_settings_t *settings)
{
    esc_limits_default(limits);
    if (!settings)
        return;
    limits->value_major_fen =
        worker_settings_int(settings, "escalate/value_major_fen", limits->value_major_fen);
    limits->value_especially_major_fen = worker_settings_int(
        settings, "escalate/value_especially_major_fen", limits->value_especially_major_fen);
    for (int c = 1; c < ESC_CATEGORY_COUNT; c++) {
        for (int m = 0; m < ESC_MEASURE_COUNT; m++) {
            char key[128];
            esc_limits_key(c, (esc_measure_t)m, key, sizeof key);
            int64_t *min = &limits->prosecution[c].min_fen[m];
            *min = worker_settings_int(settings, key, *min);
            if (*min < 0)
                *min = 0;
        }
    }
}

int
esc_limits_key(int category, esc_measure_t measure, char *buf, size_t size)
{
    if (category < 1 || category >= ESC_CATEGORY_COUNT || (int)measure < 0 ||
        measure >= ESC_MEASURE_COUNT)
        return -1;
    int n = snprintf(buf, size, "escalate/e5_%s_%s_fen", s_category_keys[category],
                     s_measure_keys[measure]);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

/* ================================================================ rules */

const char *
esc_rules_e1_status(Dajia__LinkageStatus status)
{
    switch (status) {
    case S_LINK(TRANSFERRED):
        return "transferred";
    case S_LINK(POLICE_DECLINED):
        return "police_declined";
    case S_LINK(RECONSIDERATION_REQUESTED):
        return "reconsideration_requested";
    case S_LINK(RECONSIDERATION_DECIDED):
        return "reconsideration_decided";
    case S_LINK(SUPERVISION_REQUESTED):
        return "supervision_requested";
    case S_LINK(PROCURATORATE_NOTIFIED_FILING):
        return "procuratorate_notified_filing";
    default:
        return NULL;
    }
}

static bool
s_sensitive_goods(Dajia__GoodsCategory goods)
{
    switch (goods) {
    case S_GOODS(FOOD):
    case S_GOODS(DRUG):
    case S_GOODS(MEDICAL_DEVICE):
    case S_GOODS(AGRICULTURAL_INPUT):
    case S_GOODS(FIRE_SAFETY):
    case S_GOODS(MATERNAL_AND_CHILD):
        return true;
    default:
        return false;
    }
}

/* Categories that name sensitive goods by themselves, for reports that list no goods. */
static Dajia__GoodsCategory
s_category_goods(Dajia__CaseCategory category)
{
    switch (category) {
    case S_CAT(FAKE_DRUG):
        return S_GOODS(DRUG);
    case S_CAT(UNSAFE_FOOD):
        return S_GOODS(FOOD);
    case S_CAT(FAKE_AGRICULTURAL_INPUT):
        return S_GOODS(AGRICULTURAL_INPUT);
    default:
        return S_GOODS(UNSPECIFIED);
    }
}

bool
esc_rules_e2(const Dajia__CaseReport *report, Dajia__Severity *level, Dajia__GoodsCategory *goods)
{
    int32_t casualties = dajia_compat_casualties(report);
    if (!casualties && !report->health_safety)
        return false;
    Dajia__GoodsCategory found = S_GOODS(UNSPECIFIED);
    for (size_t i = 0; i < report->n_goods && found == S_GOODS(UNSPECIFIED); i++)
        if (s_sensitive_goods(report->goods[i]))
            found = report->goods[i];
    if (found == S_GOODS(UNSPECIFIED))
        found = s_category_goods(report->category);
    if (found == S_GOODS(UNSPECIFIED))
        return false;
    *level =
        casualties ? DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR : DAJIA__SEVERITY__SEVERITY_MAJOR;
    *goods = found;
    return true;
}

Dajia__Severity
esc_rules_e3(const esc_limits_t *limits, const Dajia__CaseReport *report, int64_t *threshold_fen)
{
    int64_t value = report->case_value_fen;
    if (limits->value_especially_major_fen > 0 && value >= limits->value_especially_major_fen) {
        *threshold_fen = limits->value_especially_major_fen;
        return DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR;
    }
    if (limits->value_major_fen > 0 && value >= limits->value_major_fen) {
        *threshold_fen = limits->value_major_fen;
        return DAJIA__SEVERITY__SEVERITY_MAJOR;
    }
    return DAJIA__SEVERITY__SEVERITY_UNSPECIFIED;
}

size_t
esc_rules_other_units(const Dajia__CaseReport *report, const char *unit)
{
    size_t others = 0;
    for (size_t i = 0; i < report->n_involved_units; i++) {
        const char *u = report->involved_units[i];
        if (!u || !*u || strcmp(u, unit) == 0)
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = report->involved_units[j] && strcmp(report->involved_units[j], u) == 0;
        if (!seen)
            others++;
    }
    return others;
}

unsigned
esc_rules_e4(const Dajia__CaseReport *report, const char *unit)
{
    unsigned triggers = 0;
    if (report->scope == DAJIA__REGION_SCOPE__REGION_SCOPE_PROVINCE)
        triggers |= ESC_E4_PROVINCE;
    if (report->scope == DAJIA__REGION_SCOPE__REGION_SCOPE_FOREIGN)
        triggers |= ESC_E4_FOREIGN;
    if (report->foreign_right_holder)
        triggers |= ESC_E4_FOREIGN_HOLDER;
    /* The reporter plus at least one other unit: two or more member units. */
    if (esc_rules_other_units(report, unit) >= 1)
        triggers |= ESC_E4_UNITS;
    if (report->supervision == DAJIA__SUPERVISION_LEVEL__SUPERVISION_LEVEL_PROVINCE ||
        report->supervision == DAJIA__SUPERVISION_LEVEL__SUPERVISION_LEVEL_NATIONAL)
        triggers |= ESC_E4_SUPERVISION;
    if (report->media_attention)
        triggers |= ESC_E4_MEDIA;
    return triggers;
}

const char *
esc_rules_e4_name(unsigned bit)
{
    switch (bit) {
    case ESC_E4_PROVINCE:
        return "province";
    case ESC_E4_FOREIGN:
        return "foreign";
    case ESC_E4_FOREIGN_HOLDER:
        return "foreign_right_holder";
    case ESC_E4_UNITS:
        return "units";
    case ESC_E4_SUPERVISION:
        return "supervision";
    case ESC_E4_MEDIA:
        return "media";
    default:
        return "unknown";
    }
}

/* sales x 3 + unsold, saturating (amounts are validated non-negative, but a core does
   not trust that to avoid overflow). */
static int64_t
s_sales3_unsold(int64_t sales, int64_t unsold)
{
    if (sales < 0)
        sales = 0;
    if (unsold < 0)
        unsold = 0;
    if (sales > (INT64_MAX - unsold) / 3)
        return INT64_MAX;
    return sales * 3 + unsold;
}

bool
esc_rules_e5(const esc_limits_t *limits, const Dajia__CaseReport *report, esc_measure_t *measure,
             int64_t *amount_fen, int64_t *threshold_fen)
{
    if (report->stage != S_STAGE(PENALTY_DECIDED))
        return false;
    if (report->linkage != S_LINK(NONE) && report->linkage != S_LINK(UNSPECIFIED))
        return false;
    if ((int)report->category < 0 || (int)report->category >= ESC_CATEGORY_COUNT)
        return false;
    const esc_threshold_t *t = &limits->prosecution[report->category];
    int64_t amounts[ESC_MEASURE_COUNT] = {
        [ESC_MEASURE_BUSINESS] = report->illegal_business_fen,
        [ESC_MEASURE_GAINS] = report->illegal_gains_fen,
        [ESC_MEASURE_SALES] = report->sales_fen,
        [ESC_MEASURE_UNSOLD] = report->unsold_goods_value_fen,
        [ESC_MEASURE_LOSS] = report->case_value_fen,
        [ESC_MEASURE_SALES3_UNSOLD] =
            s_sales3_unsold(report->sales_fen, report->unsold_goods_value_fen),
    };
    for (int m = 0; m < ESC_MEASURE_COUNT; m++) {
        if (t->min_fen[m] > 0 && amounts[m] >= t->min_fen[m]) {
            *measure = (esc_measure_t)m;
            *amount_fen = amounts[m];
            *threshold_fen = t->min_fen[m];
            return true;
        }
    }
    return false;
}

/* ================================================================ deadlines */

static const esc_deadline_t s_deadlines[ESC_DEADLINE_COUNT] = {
    {S_LINK(REPORT_PENDING_APPROVAL), "APPROVAL", "escalate/deadline_approval_hours", 72,
     "the head of the agency decides on the transfer report"},
    {S_LINK(APPROVED), "TRANSFER", "escalate/deadline_transfer_hours", 24,
     "an approved case is transferred to the police"},
    {S_LINK(TRANSFERRED), "POLICE-DECISION", "escalate/deadline_police_decision_hours", 72,
     "the police decide whether to file the case, from the transfer"},
    {S_LINK(POLICE_FILED), "HANDOVER", "escalate/deadline_handover_hours", 72,
     "seized goods and materials are handed over, from the police filing"},
    {S_LINK(POLICE_DECLINED), "EXPLANATION", "escalate/deadline_explanation_hours", 168,
     "the police explain their refusal"},
    {S_LINK(PROCURATORATE_NOTIFIED_FILING), "FILING", "escalate/deadline_filing_hours", 360,
     "the police file the case, from the procuratorate's notice"},
};

const esc_deadline_t *
esc_deadlines(void)
{
    return s_deadlines;
}

int
esc_deadline_index(Dajia__LinkageStatus status)
{
    for (int i = 0; i < ESC_DEADLINE_COUNT; i++)
        if (s_deadlines[i].status == status)
            return i;
    return -1;
}

int64_t
esc_rules_linkage_at(const Dajia__CaseReport *report, int64_t occurred_at)
{
    int64_t own = 0;
    switch (report->linkage) {
    case S_LINK(TRANSFERRED):
        own = report->transferred_at;
        break;
    case S_LINK(POLICE_FILED):
    case S_LINK(POLICE_DECLINED):
        own = report->police_decision_at;
        break;
    default:
        break;
    }
    return own > 0 ? own : occurred_at;
}

bool
esc_rules_concluded(Dajia__CaseStage stage)
{
    return stage == S_STAGE(CLOSED) || stage == S_STAGE(JUDGMENT_EFFECTIVE) ||
           stage == S_STAGE(REVOKED);
}

/* ================================================================ major matters */

void
esc_intervals_load(esc_intervals_t *intervals, const worker_settings_t *settings)
{
    int64_t days =
        worker_settings_int(settings, "escalate/matter_interval_days", ESC_DEFAULT_INTERVAL_DAYS);
    intervals->interval_ms = (days > 0 ? days : ESC_DEFAULT_INTERVAL_DAYS) * DAJIA_TIME_MS_PER_DAY;
    days = worker_settings_int(settings, "escalate/matter_interval_urgent_days",
                               ESC_DEFAULT_URGENT_INTERVAL_DAYS);
    intervals->urgent_interval_ms =
        (days > 0 ? days : ESC_DEFAULT_URGENT_INTERVAL_DAYS) * DAJIA_TIME_MS_PER_DAY;
}

int64_t
esc_intervals_of(const esc_intervals_t *intervals, Dajia__MatterType type, Dajia__Severity severity,
                 int32_t report_interval_days)
{
    if (report_interval_days > 0)
        return (int64_t)report_interval_days * DAJIA_TIME_MS_PER_DAY;
    if (type == DAJIA__MATTER_TYPE__MATTER_TYPE_HEALTH_SAFETY_INCIDENT ||
        severity == DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR)
        return intervals->urgent_interval_ms;
    return intervals->interval_ms;
}

/* ================================================================ text */

int
esc_clip_utf8(const char *s, size_t max)
{
    size_t len = strnlen(s, max + 1);
    if (len <= max)
        return (int)len;
    len = max;
    /* Step back over continuation bytes (10xxxxxx) to the start of a sequence. */
    while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
        len--;
    return (int)len;
}
