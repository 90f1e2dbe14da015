/*  test_esc_rules.c: unit tests of workers/esc_rules, the escalation rules as pure
    functions: thresholds at and just below their boundaries, the E2 goods and flags
    combinations, each E4 trigger, the E5 prosecution thresholds per category, and the
    words (yuan, times) reasons are written with. Money is in fen: 1 yuan = 100 fen.
    Also the layout of a major matter's record (workers/esc_state), both versions.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "esc_rules.h"
#include "esc_state.h"
#include "test_util.h"

#define CAT(name)   DAJIA__CASE_CATEGORY__CASE_CATEGORY_##name
#define GOODS(name) DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_##name
#define MTYPE(name) DAJIA__MATTER_TYPE__MATTER_TYPE_##name
#define LINK(name)  DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_##name
#define STAGE(name) DAJIA__CASE_STAGE__CASE_STAGE_##name
#define SEV(name)   DAJIA__SEVERITY__SEVERITY_##name

#define YUAN(y) ((int64_t)(y)*100)

/* ------------------------------------------------------------------ E3 */

static void
test_e3_value_thresholds_at_and_below_each_boundary(void **state)
{
    (void)state;
    static const struct {
        int64_t value_fen;
        Dajia__Severity level;
        int64_t threshold_fen;
    } cases[] = {
        {0, SEV(UNSPECIFIED), 0},
        {49999999, SEV(UNSPECIFIED), 0},               /* 499,999.99 yuan: one fen short */
        {50000000, SEV(MAJOR), 50000000},              /* 500,000 yuan exactly */
        {199999999, SEV(MAJOR), 50000000},             /* 1,999,999.99 yuan */
        {200000000, SEV(ESPECIALLY_MAJOR), 200000000}, /* 2,000,000 yuan exactly */
        {215000000, SEV(ESPECIALLY_MAJOR), 200000000},
    };
    esc_limits_t limits;
    esc_limits_default(&limits);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Dajia__CaseReport r = DAJIA__CASE_REPORT__INIT;
        r.case_value_fen = cases[i].value_fen;
        int64_t threshold = 0;
        assert_int_equal(esc_rules_e3(&limits, &r, &threshold), cases[i].level);
        assert_int_equal(threshold, cases[i].threshold_fen);
    }
}

static void
test_limits_settings_override_defaults(void **state)
{
    (void)state;
    worker_settings_t *settings = worker_settings_new();
    assert_non_null(settings);
    assert_int_equal(worker_settings_set(settings, "escalate/value_major_fen", "1000"), 0);
    assert_int_equal(
        worker_settings_set(settings, "escalate/e5_trademark_counterfeiting_business_fen", "0"), 0);
    assert_int_equal(worker_settings_set(settings, "escalate/e5_other_gains_fen", "500"), 0);
    esc_limits_t limits;
    esc_limits_load(&limits, settings);
    worker_settings_destroy(&settings);

    assert_int_equal(limits.value_major_fen, 1000);
    assert_int_equal(limits.value_especially_major_fen, YUAN(2000000)); /* untouched */
    /* Business switched off for trademark counterfeiting; gains still 30,000 yuan. */
    assert_int_equal(
        limits.prosecution[CAT(TRADEMARK_COUNTERFEITING)].min_fen[ESC_MEASURE_BUSINESS], 0);
    assert_int_equal(limits.prosecution[CAT(TRADEMARK_COUNTERFEITING)].min_fen[ESC_MEASURE_GAINS],
                     YUAN(30000));
    assert_int_equal(limits.prosecution[CAT(OTHER)].min_fen[ESC_MEASURE_GAINS], 500);
}

/* ------------------------------------------------------------------ E2 */

static void
test_e2_goods_and_flags_combinations(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        Dajia__GoodsCategory goods[2];
        size_t n_goods;
        Dajia__CaseCategory category;
        int health_safety;
        int casualties;
        bool fires;
        Dajia__Severity level;
        Dajia__GoodsCategory found;
    } cases[] = {
        {"food, flag",
         {GOODS(FOOD)},
         1,
         CAT(TRADEMARK_COUNTERFEITING),
         1,
         0,
         true,
         SEV(MAJOR),
         GOODS(FOOD)},
        {"food, casualties",
         {GOODS(FOOD)},
         1,
         CAT(OTHER),
         0,
         1,
         true,
         SEV(ESPECIALLY_MAJOR),
         GOODS(FOOD)},
        {"drug, both",
         {GOODS(DRUG)},
         1,
         CAT(OTHER),
         1,
         1,
         true,
         SEV(ESPECIALLY_MAJOR),
         GOODS(DRUG)},
        {"medical device",
         {GOODS(MEDICAL_DEVICE)},
         1,
         CAT(OTHER),
         1,
         0,
         true,
         SEV(MAJOR),
         GOODS(MEDICAL_DEVICE)},
        {"agricultural input",
         {GOODS(AGRICULTURAL_INPUT)},
         1,
         CAT(OTHER),
         1,
         0,
         true,
         SEV(MAJOR),
         GOODS(AGRICULTURAL_INPUT)},
        {"fire safety",
         {GOODS(FIRE_SAFETY)},
         1,
         CAT(OTHER),
         1,
         0,
         true,
         SEV(MAJOR),
         GOODS(FIRE_SAFETY)},
        {"maternal and child",
         {GOODS(MATERNAL_AND_CHILD)},
         1,
         CAT(OTHER),
         0,
         1,
         true,
         SEV(ESPECIALLY_MAJOR),
         GOODS(MATERNAL_AND_CHILD)},
        {"second goods counts",
         {GOODS(TEA), GOODS(DRUG)},
         2,
         CAT(OTHER),
         1,
         0,
         true,
         SEV(MAJOR),
         GOODS(DRUG)},
        {"food, no flag",
         {GOODS(FOOD)},
         1,
         CAT(OTHER),
         0,
         0,
         false,
         SEV(UNSPECIFIED),
         GOODS(UNSPECIFIED)},
        {"cosmetics, casualties",
         {GOODS(COSMETICS)},
         1,
         CAT(OTHER),
         1,
         1,
         false,
         SEV(UNSPECIFIED),
         GOODS(UNSPECIFIED)},
        {"no goods, casualties",
         {GOODS(UNSPECIFIED)},
         0,
         CAT(OTHER),
         1,
         1,
         false,
         SEV(UNSPECIFIED),
         GOODS(UNSPECIFIED)},
        /* A category that names the goods by itself stands in for a missing goods list. */
        {"unsafe food category",
         {GOODS(UNSPECIFIED)},
         0,
         CAT(UNSAFE_FOOD),
         1,
         0,
         true,
         SEV(MAJOR),
         GOODS(FOOD)},
        {"fake drug category",
         {GOODS(UNSPECIFIED)},
         0,
         CAT(FAKE_DRUG),
         0,
         1,
         true,
         SEV(ESPECIALLY_MAJOR),
         GOODS(DRUG)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Dajia__CaseReport r = DAJIA__CASE_REPORT__INIT;
        Dajia__GoodsCategory goods[2] = {cases[i].goods[0], cases[i].goods[1]};
        r.goods = goods;
        r.n_goods = cases[i].n_goods;
        r.category = cases[i].category;
        r.health_safety = cases[i].health_safety;
        r.casualties_count = cases[i].casualties;
        Dajia__Severity level = SEV(UNSPECIFIED);
        Dajia__GoodsCategory found = GOODS(UNSPECIFIED);
        bool fires = esc_rules_e2(&r, &level, &found);
        if (fires != cases[i].fires)
            fail_msg("%s: fires %d, expected %d", cases[i].what, fires, cases[i].fires);
        if (fires) {
            assert_int_equal(level, cases[i].level);
            assert_int_equal(found, cases[i].found);
        }
        /* An old agent's flag (casualties, before casualties_count) reads as one. */
        if (cases[i].casualties) {
            r.casualties_count = 0;
            r.casualties = 1;
            Dajia__Severity old_level = SEV(UNSPECIFIED);
            Dajia__GoodsCategory old_found = GOODS(UNSPECIFIED);
            assert_int_equal(esc_rules_e2(&r, &old_level, &old_found), fires);
            assert_int_equal(old_level, level);
            assert_int_equal(old_found, found);
        }
    }
}

/* ------------------------------------------------------------------ E4 */

static void
test_e4_each_trigger(void **state)
{
    (void)state;
    char *one_other[] = {"psb"};
    char *self_only[] = {"msa"};
    char *self_twice_and_other[] = {"msa", "psb", "msa", "psb"};
    char *empty[] = {""};
    static const Dajia__RegionScope province = DAJIA__REGION_SCOPE__REGION_SCOPE_PROVINCE;
    static const Dajia__RegionScope foreign = DAJIA__REGION_SCOPE__REGION_SCOPE_FOREIGN;
    static const Dajia__RegionScope city = DAJIA__REGION_SCOPE__REGION_SCOPE_CITY;
    static const Dajia__RegionScope none = DAJIA__REGION_SCOPE__REGION_SCOPE_NONE;
    static const Dajia__SupervisionLevel sup_city =
        DAJIA__SUPERVISION_LEVEL__SUPERVISION_LEVEL_CITY;
    static const Dajia__SupervisionLevel sup_prov =
        DAJIA__SUPERVISION_LEVEL__SUPERVISION_LEVEL_PROVINCE;
    static const Dajia__SupervisionLevel sup_nat =
        DAJIA__SUPERVISION_LEVEL__SUPERVISION_LEVEL_NATIONAL;
    const struct {
        const char *what;
        Dajia__RegionScope scope;
        int foreign_holder;
        char **units;
        size_t n_units;
        Dajia__SupervisionLevel supervision;
        int media;
        unsigned expected;
    } cases[] = {
        {"nothing", city, 0, NULL, 0, sup_city, 0, 0},
        {"scope none: no cross-region element", none, 0, NULL, 0, 0, 0, 0},
        {"province", province, 0, NULL, 0, 0, 0, ESC_E4_PROVINCE},
        {"foreign", foreign, 0, NULL, 0, 0, 0, ESC_E4_FOREIGN},
        {"foreign holder", 0, 1, NULL, 0, 0, 0, ESC_E4_FOREIGN_HOLDER},
        {"one other unit: two units", 0, 0, one_other, 1, 0, 0, ESC_E4_UNITS},
        {"only the reporter", 0, 0, self_only, 1, 0, 0, 0},
        {"empty unit name", 0, 0, empty, 1, 0, 0, 0},
        {"repeats count once", 0, 0, self_twice_and_other, 4, 0, 0, ESC_E4_UNITS},
        {"city supervision", 0, 0, NULL, 0, sup_city, 0, 0},
        {"province supervision", 0, 0, NULL, 0, sup_prov, 0, ESC_E4_SUPERVISION},
        {"national supervision", 0, 0, NULL, 0, sup_nat, 0, ESC_E4_SUPERVISION},
        {"media", 0, 0, NULL, 0, 0, 1, ESC_E4_MEDIA},
        {"all", province, 1, one_other, 1, sup_nat, 1,
         ESC_E4_PROVINCE | ESC_E4_FOREIGN_HOLDER | ESC_E4_UNITS | ESC_E4_SUPERVISION |
             ESC_E4_MEDIA},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Dajia__CaseReport r = DAJIA__CASE_REPORT__INIT;
        r.scope = cases[i].scope;
        r.foreign_right_holder = cases[i].foreign_holder;
        r.involved_units = cases[i].units;
        r.n_involved_units = cases[i].n_units;
        r.supervision = cases[i].supervision;
        r.media_attention = cases[i].media;
        unsigned got = esc_rules_e4(&r, "msa");
        if (got != cases[i].expected)
            fail_msg("%s: triggers 0x%x, expected 0x%x", cases[i].what, got, cases[i].expected);
    }
    assert_string_equal(esc_rules_e4_name(ESC_E4_MEDIA), "media");
}

/* ------------------------------------------------------------------ E5 */

static void
test_e5_thresholds_per_category(void **state)
{
    (void)state;
    const struct {
        const char *what;
        Dajia__CaseCategory category;
        int64_t business, gains, sales, unsold, value;
        bool fires;
        esc_measure_t measure;
        int64_t threshold;
    } cases[] = {
        /* trademark counterfeiting: business >= 50,000 yuan or gains >= 30,000 yuan */
        {"tm business below", CAT(TRADEMARK_COUNTERFEITING), YUAN(50000) - 1, YUAN(30000) - 1, 0, 0,
         0, false, 0, 0},
        {"tm business at", CAT(TRADEMARK_COUNTERFEITING), YUAN(50000), 0, 0, 0, 0, true,
         ESC_MEASURE_BUSINESS, YUAN(50000)},
        {"tm gains at", CAT(TRADEMARK_COUNTERFEITING), 0, YUAN(30000), 0, 0, 0, true,
         ESC_MEASURE_GAINS, YUAN(30000)},
        {"tm selling: sales at", CAT(TRADEMARK_COUNTERFEITING), 0, 0, YUAN(50000), 0, 0, true,
         ESC_MEASURE_SALES, YUAN(50000)},
        /* copyright: gains >= 30,000 or business >= 50,000 */
        {"copyright below", CAT(COPYRIGHT_PIRACY), YUAN(50000) - 1, YUAN(30000) - 1, 0, 0, 0, false,
         0, 0},
        {"copyright gains at", CAT(COPYRIGHT_PIRACY), 0, YUAN(30000), 0, 0, 0, true,
         ESC_MEASURE_GAINS, YUAN(30000)},
        {"copyright business at", CAT(COPYRIGHT_PIRACY), YUAN(50000), 0, 0, 0, 0, true,
         ESC_MEASURE_BUSINESS, YUAN(50000)},
        /* trade secret: loss (case value) >= 300,000 */
        {"secret below", CAT(TRADE_SECRET), 0, 0, 0, 0, YUAN(300000) - 1, false, 0, 0},
        {"secret at", CAT(TRADE_SECRET), 0, 0, 0, 0, YUAN(300000), true, ESC_MEASURE_LOSS,
         YUAN(300000)},
        /* patent passing-off: business >= 200,000 or gains >= 100,000 */
        {"patent below", CAT(PATENT_PASSING_OFF), YUAN(200000) - 1, YUAN(100000) - 1, 0, 0, 0,
         false, 0, 0},
        {"patent business at", CAT(PATENT_PASSING_OFF), YUAN(200000), 0, 0, 0, 0, true,
         ESC_MEASURE_BUSINESS, YUAN(200000)},
        {"patent gains at", CAT(PATENT_PASSING_OFF), 0, YUAN(100000), 0, 0, 0, true,
         ESC_MEASURE_GAINS, YUAN(100000)},
        /* shoddy products: sales >= 50,000, unsold >= 150,000, sales x 3 + unsold >= 150,000 */
        {"shoddy sales at", CAT(SHODDY_PRODUCTS), 0, 0, YUAN(50000), 0, 0, true, ESC_MEASURE_SALES,
         YUAN(50000)},
        {"shoddy unsold at", CAT(SHODDY_PRODUCTS), 0, 0, 0, YUAN(150000), 0, true,
         ESC_MEASURE_UNSOLD, YUAN(150000)},
        /* 40,000 x 3 + 30,000 = 150,000: the combination meets it */
        {"shoddy combination at", CAT(SHODDY_PRODUCTS), 0, 0, YUAN(40000), YUAN(30000), 0, true,
         ESC_MEASURE_SALES3_UNSOLD, YUAN(150000)},
        /* 40,000 x 3 + 29,999.99 = 149,999.99: one fen short */
        {"shoddy combination below", CAT(SHODDY_PRODUCTS), 0, 0, YUAN(40000), YUAN(30000) - 1, 0,
         false, 0, 0},
        /* huge sales do not overflow the combination */
        {"shoddy huge", CAT(SHODDY_PRODUCTS), 0, 0, INT64_MAX / 2, 0, 0, true, ESC_MEASURE_SALES,
         YUAN(50000)},
        /* categories without a threshold never fire */
        {"infringement", CAT(TRADEMARK_INFRINGEMENT), YUAN(10000000), YUAN(10000000), 0, 0,
         YUAN(10000000), false, 0, 0},
        {"other", CAT(OTHER), YUAN(10000000), YUAN(10000000), 0, 0, 0, false, 0, 0},
    };
    esc_limits_t limits;
    esc_limits_default(&limits);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Dajia__CaseReport r = DAJIA__CASE_REPORT__INIT;
        r.stage = STAGE(PENALTY_DECIDED);
        r.linkage = LINK(NONE);
        r.category = cases[i].category;
        r.illegal_business_fen = cases[i].business;
        r.illegal_gains_fen = cases[i].gains;
        r.sales_fen = cases[i].sales;
        r.unsold_goods_value_fen = cases[i].unsold;
        r.case_value_fen = cases[i].value;
        esc_measure_t measure = ESC_MEASURE_COUNT;
        int64_t amount = 0, threshold = 0;
        bool fires = esc_rules_e5(&limits, &r, &measure, &amount, &threshold);
        if (fires != cases[i].fires)
            fail_msg("%s: fires %d, expected %d", cases[i].what, fires, cases[i].fires);
        if (fires) {
            if (measure != cases[i].measure || threshold != cases[i].threshold)
                fail_msg("%s: measure %d threshold %lld", cases[i].what, (int)measure,
                         (long long)threshold);
        }
    }
}

static void
test_e5_needs_penalty_decided_and_no_transfer(void **state)
{
    (void)state;
    const struct {
        Dajia__CaseStage stage;
        Dajia__LinkageStatus linkage;
        bool fires;
    } cases[] = {
        {STAGE(PENALTY_DECIDED), LINK(NONE), true},
        {STAGE(PENALTY_DECIDED), LINK(UNSPECIFIED), true},
        {STAGE(PENALTY_DECIDED), LINK(TRANSFERRED), false},
        {STAGE(PENALTY_DECIDED), LINK(SUSPECTED), false},
        {STAGE(FILED), LINK(NONE), false},
        {STAGE(CLOSED), LINK(NONE), false},
    };
    esc_limits_t limits;
    esc_limits_default(&limits);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Dajia__CaseReport r = DAJIA__CASE_REPORT__INIT;
        r.category = CAT(TRADEMARK_COUNTERFEITING);
        r.illegal_business_fen = YUAN(60000);
        r.stage = cases[i].stage;
        r.linkage = cases[i].linkage;
        esc_measure_t measure;
        int64_t amount = 0, threshold = 0;
        assert_int_equal(esc_rules_e5(&limits, &r, &measure, &amount, &threshold), cases[i].fires);
    }
}

/* ------------------------------------------------------------------ E1 and deadlines */

static void
test_e1_statuses_and_deadline_table(void **state)
{
    (void)state;
    assert_string_equal(esc_rules_e1_status(LINK(TRANSFERRED)), "transferred");
    assert_string_equal(esc_rules_e1_status(LINK(POLICE_DECLINED)), "police_declined");
    assert_string_equal(esc_rules_e1_status(LINK(RECONSIDERATION_REQUESTED)),
                        "reconsideration_requested");
    assert_string_equal(esc_rules_e1_status(LINK(RECONSIDERATION_DECIDED)),
                        "reconsideration_decided");
    assert_string_equal(esc_rules_e1_status(LINK(SUPERVISION_REQUESTED)), "supervision_requested");
    assert_string_equal(esc_rules_e1_status(LINK(PROCURATORATE_NOTIFIED_FILING)),
                        "procuratorate_notified_filing");
    /* Steps that change nothing the Office must do are no E1 (docs/domain.md §5.2). */
    assert_null(esc_rules_e1_status(LINK(UNSPECIFIED)));
    assert_null(esc_rules_e1_status(LINK(SUSPECTED)));
    assert_null(esc_rules_e1_status(LINK(REPORT_PENDING_APPROVAL)));
    assert_null(esc_rules_e1_status(LINK(NOT_APPROVED)));
    assert_null(esc_rules_e1_status(LINK(MATERIALS_HANDED_OVER)));
    assert_null(esc_rules_e1_status(LINK(REVERSE_TRANSFERRED)));
    assert_null(esc_rules_e1_status(LINK(NONE)));
    assert_null(esc_rules_e1_status(LINK(APPROVED)));
    assert_null(esc_rules_e1_status(LINK(POLICE_FILED)));

    /* docs/domain.md §5.9: 3 d, 24 h, 3 d, 3 d, 7 d, 15 d */
    const struct {
        Dajia__LinkageStatus status;
        int64_t hours;
    } expected[] = {{LINK(REPORT_PENDING_APPROVAL), 72},
                    {LINK(APPROVED), 24},
                    {LINK(TRANSFERRED), 72},
                    {LINK(POLICE_FILED), 72},
                    {LINK(POLICE_DECLINED), 168},
                    {LINK(PROCURATORATE_NOTIFIED_FILING), 360}};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        int idx = esc_deadline_index(expected[i].status);
        assert_true(idx >= 0);
        assert_int_equal(esc_deadlines()[idx].default_hours, expected[i].hours);
    }
    assert_int_equal(esc_deadline_index(LINK(MATERIALS_HANDED_OVER)), -1);

    Dajia__CaseReport r = DAJIA__CASE_REPORT__INIT;
    r.linkage = LINK(TRANSFERRED);
    assert_int_equal(esc_rules_linkage_at(&r, 5000), 5000); /* no own date: occurred_at */
    r.transferred_at = 4000;
    assert_int_equal(esc_rules_linkage_at(&r, 5000), 4000);
    r.linkage = LINK(POLICE_DECLINED);
    r.police_decision_at = 3000;
    assert_int_equal(esc_rules_linkage_at(&r, 5000), 3000);
    assert_true(esc_rules_concluded(STAGE(CLOSED)));
    assert_true(esc_rules_concluded(STAGE(JUDGMENT_EFFECTIVE)));
    assert_false(esc_rules_concluded(STAGE(PENALTY_DECIDED)));
}

/* ------------------------------------------------------------------ matter intervals */

static void
test_matter_intervals_by_type_severity_report_and_settings(void **state)
{
    (void)state;
    esc_intervals_t iv;
    esc_intervals_load(&iv, NULL);
    const int64_t day = 86400000LL;
    assert_int_equal(iv.interval_ms, 15 * day);
    assert_int_equal(iv.urgent_interval_ms, 7 * day);
    assert_int_equal(esc_intervals_of(&iv, MTYPE(MAJOR_CASE), SEV(MAJOR), 0), 15 * day);
    assert_int_equal(esc_intervals_of(&iv, MTYPE(MAJOR_CASE), SEV(ESPECIALLY_MAJOR), 0), 7 * day);
    assert_int_equal(esc_intervals_of(&iv, MTYPE(HEALTH_SAFETY_INCIDENT), SEV(MAJOR), 0), 7 * day);
    assert_int_equal(esc_intervals_of(&iv, MTYPE(HEALTH_SAFETY_INCIDENT), SEV(MAJOR), 3), 3 * day);

    worker_settings_t *settings = worker_settings_new();
    assert_non_null(settings);
    assert_ok(worker_settings_set(settings, "escalate/matter_interval_days", "30"));
    assert_ok(worker_settings_set(settings, "escalate/matter_interval_urgent_days", "0"));
    esc_intervals_load(&iv, settings);
    worker_settings_destroy(&settings);
    assert_int_equal(iv.interval_ms, 30 * day);
    assert_int_equal(iv.urgent_interval_ms, 7 * day); /* <= 0: the default */
}

static void
test_clip_utf8_never_cuts_a_character(void **state)
{
    (void)state;
    const char *text = "ab\xe5\x81\x87\xe5\x86\x92"; /* "ab" + two 3-byte characters */
    assert_int_equal(esc_clip_utf8(text, 100), 8);
    assert_int_equal(esc_clip_utf8(text, 8), 8);
    assert_int_equal(esc_clip_utf8(text, 7), 5);
    assert_int_equal(esc_clip_utf8(text, 5), 5);
    assert_int_equal(esc_clip_utf8(text, 4), 2);
    assert_int_equal(esc_clip_utf8(text, 0), 0);
}

/* ------------------------------------------------------------------ state layout */

/* A matter record keeps the event ids accounted for at its seq (docs/domain.md §5.8);
   one written before them (version 1) reads with none; no bytes read as no record. */
static void
test_matter_record_versions(void **state)
{
    (void)state;
    esc_matter_t rec = {.severity = SEV(MAJOR),
                        .status = 2,
                        .stated = 1,
                        .seq = 3,
                        .due_at = 1793577600000LL,
                        .n_accounted = 2};
    strcpy(rec.source_event_id, "p-3b");
    strcpy(rec.title, "案");
    strcpy(rec.accounted[0], "p-3");
    strcpy(rec.accounted[1], "p-3a");
    uint8_t buf[ESC_MATTER_RECORD_MAX];
    size_t len = esc_matter_encode(&rec, buf);
    esc_matter_t back;
    assert_ok(esc_matter_decode(buf, len, &back));
    assert_int_equal(back.seq, 3);
    assert_int_equal(back.stated, 1);
    assert_int_equal(back.n_accounted, 2);
    assert_string_equal(back.accounted[1], "p-3a");
    assert_string_equal(back.title, "案");
    assert_int_equal(back.due_at, 1793577600000LL);

    /* Version 1: the same fields up to the title, and nothing after it. */
    uint8_t v1[ESC_MATTER_RECORD_MAX];
    size_t v1_len = len - 2 - (1 + 3) - (1 + 4);
    memcpy(v1, buf, v1_len);
    v1[0] = 1;
    assert_ok(esc_matter_decode(v1, v1_len, &back));
    assert_int_equal(back.seq, 3);
    assert_string_equal(back.source_event_id, "p-3b");
    assert_string_equal(back.title, "案");
    assert_int_equal(back.n_accounted, 0);
    assert_int_equal(back.stated, 0);

    /* More accounted ids than a record holds, an unknown version, no record. */
    buf[len - (1 + 3) - (1 + 4) - 1] = ESC_ACCOUNTED_MAX + 1;
    assert_int_equal(esc_matter_decode(buf, len, &back), -EBADMSG);
    assert_int_equal(back.seq, 0);
    v1[0] = 9;
    assert_int_equal(esc_matter_decode(v1, v1_len, &back), -EBADMSG);
    assert_ok(esc_matter_decode(NULL, 0, &back));
    assert_int_equal(back.seq, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e3_value_thresholds_at_and_below_each_boundary),
        cmocka_unit_test(test_limits_settings_override_defaults),
        cmocka_unit_test(test_e2_goods_and_flags_combinations),
        cmocka_unit_test(test_e4_each_trigger),
        cmocka_unit_test(test_e5_thresholds_per_category),
        cmocka_unit_test(test_e5_needs_penalty_decided_and_no_transfer),
        cmocka_unit_test(test_e1_statuses_and_deadline_table),
        cmocka_unit_test(test_matter_intervals_by_type_severity_report_and_settings),
        cmocka_unit_test(test_clip_utf8_never_cuts_a_character),
        cmocka_unit_test(test_matter_record_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
