/*  test_sim_gen: the simulator's generator is deterministic, valid and realistic: its
    brands keep their right holders (a local geographical indication and a domestic
    company are never foreign right holders) and its case categories fit their goods; the
    units send their monthly report for a month in that month's last days, on time, but
    for the late units, after the deadline (the 10th of the next month); and once the
    cases are under way, one month's filings are about the next one's. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "dajia_codec.h"
#include "sim_gen.h"

#define T_START_MS 1793462400000LL /* 2026-10-31T16:00:00Z = 2026-11-01 00:00 Beijing */
#define T_DAY_MS   (24LL * 3600 * 1000)
/* The simulator's default pace: 30 days of event time per minute at 20 events/s, i.e.
   30 * 86400000 ms / 1200 events = 2,160,000 ms (36 min) per event. */
#define T_STEP_MS  2160000LL
#define T_EVENTS   5000 /* 5000 * 36 min = 125 days: four month boundaries */
#define T_MONTHS   6    /* months counted from the start month */
#define T_BEIJING  (8 * 3600 * 1000LL)

/* The packed bytes of `count` events from a generator with `seed`, concatenated with a
   4-byte length before each. Caller frees. */
static uint8_t *
s_stream(uint64_t seed, const char *const *units, size_t n_units, size_t count, size_t *len)
{
    sim_gen_options_t opts = {seed, T_START_MS, T_STEP_MS, units, n_units};
    sim_gen_t *gen = NULL;
    assert_int_equal(sim_gen_new(&opts, &gen), 0);
    size_t cap = 1 << 20, used = 0;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    for (size_t i = 0; i < count; i++) {
        const Dajia__Envelope *env = NULL;
        assert_int_equal(sim_gen_next(gen, &env), 0);
        size_t n = dajia__envelope__get_packed_size(env);
        while (used + n + 4 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        memcpy(buf + used, &n, 4);
        dajia__envelope__pack(env, buf + used + 4);
        used += n + 4;
    }
    assert_int_equal(sim_gen_count(gen), count);
    sim_gen_destroy(&gen);
    assert_null(gen);
    *len = used;
    return buf;
}

static void
test_same_seed_gives_identical_stream(void **state)
{
    (void)state;
    size_t la = 0, lb = 0, lc = 0;
    uint8_t *a = s_stream(42, NULL, 0, T_EVENTS, &la);
    uint8_t *b = s_stream(42, NULL, 0, T_EVENTS, &lb);
    uint8_t *c = s_stream(43, NULL, 0, T_EVENTS, &lc);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    /* another seed: another stream */
    assert_true(la != lc || memcmp(a, c, la) != 0);
    free(a);
    free(b);
    free(c);
}

/* What a run of the generator contained. */
typedef struct {
    size_t bodies[4]; /* case, matter, progress, info */
    size_t over_500k, over_2m, corrections, zero_reports, transfers, judgments;
    size_t repeated_case_nos; /* case reports of a case_no seen before */
    size_t late_monthly;      /* monthly reports received after their month's deadline */
    size_t per_unit[SIM_UNIT_COUNT];
    /* monthly reports, by month index from the start (T_START_MS's month is 0) */
    size_t on_time_by_month[T_MONTHS], late_by_month[T_MONTHS];
    size_t early_monthly;            /* monthly reports before their own month's last days */
    size_t filed_by_month[T_MONTHS]; /* cases first reported filed, by filed_at's month */
    size_t brand_problems;           /* see s_check_brand */
} s_census_t;

static int
s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Months since T_START_MS's month (2026-11, Beijing) of unix ms `ms`, and the calendar
   fields of `ms` in Beijing time. */
static int
s_month_index(int64_t ms, struct tm *tm_out)
{
    time_t secs = (time_t)((ms + T_BEIJING) / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    if (tm_out)
        *tm_out = tm;
    return (tm.tm_year + 1900 - 2026) * 12 + tm.tm_mon - 10;
}

/* A brand seen in the run: the holder and foreignness it came with the first time. */
typedef struct {
    char brand[64], holder[128];
    bool foreign;
} s_brand_seen_t;

#define T_BRANDS 64
static s_brand_seen_t s_seen[T_BRANDS];
static size_t s_nseen;

/* Checks one case report's brand against what the run said of it before, and against
   what is known of some brands; counts what is wrong, printing the first few. */
static void
s_check_brand(const Dajia__CaseReport *cr, s_census_t *out)
{
    const char *problem = NULL;
    size_t i = 0;
    while (i < s_nseen && strcmp(s_seen[i].brand, cr->brand) != 0)
        i++;
    if (i == s_nseen && s_nseen < T_BRANDS) {
        snprintf(s_seen[i].brand, sizeof s_seen[i].brand, "%s", cr->brand);
        snprintf(s_seen[i].holder, sizeof s_seen[i].holder, "%s", cr->right_holder);
        s_seen[i].foreign = cr->foreign_right_holder;
        s_nseen++;
    }
    /* Local and domestic brands are not foreign right holders; these are. */
    static const char *const domestic[] = {"信阳毛尖", "信阳红", "飞鹤", "茅台", "中华", "华为"};
    static const char *const foreign[] = {"Apple", "Nike", "Bosch", "香奈儿"};
    for (size_t k = 0; k < sizeof domestic / sizeof domestic[0]; k++)
        if (strcmp(cr->brand, domestic[k]) == 0 && cr->foreign_right_holder)
            problem = "a domestic brand with a foreign right holder";
    for (size_t k = 0; k < sizeof foreign / sizeof foreign[0]; k++)
        if (strcmp(cr->brand, foreign[k]) == 0 && !cr->foreign_right_holder)
            problem = "a foreign brand with a domestic right holder";
    if (i < s_nseen && (strcmp(s_seen[i].holder, cr->right_holder) != 0 ||
                        s_seen[i].foreign != cr->foreign_right_holder))
        problem = "a brand with another right holder than before";
    if (!cr->right_holder || !*cr->right_holder || strcmp(cr->right_holder, cr->brand) == 0)
        problem = "no right holder, or the brand's name for one";
    /* The category fits the goods; a geographical indication is one. */
    Dajia__GoodsCategory goods = cr->n_goods ? cr->goods[0] : 0;
    switch (cr->category) {
    case DAJIA__CASE_CATEGORY__CASE_CATEGORY_GEOGRAPHICAL_INDICATION:
        if (strcmp(cr->brand, "信阳毛尖") != 0)
            problem = "a geographical indication case on a brand that is none";
        break;
    case DAJIA__CASE_CATEGORY__CASE_CATEGORY_FAKE_DRUG:
        if (goods != DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_DRUG)
            problem = "a fake drug that is not a drug";
        break;
    case DAJIA__CASE_CATEGORY__CASE_CATEGORY_COUNTERFEIT_TOBACCO:
        if (goods != DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_TOBACCO)
            problem = "counterfeit tobacco that is not tobacco";
        break;
    case DAJIA__CASE_CATEGORY__CASE_CATEGORY_COPYRIGHT_PIRACY:
        if (goods != DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_PUBLICATION_AV_SOFTWARE)
            problem = "piracy of something that is not a publication";
        break;
    default:
        break;
    }
    if (problem && out->brand_problems++ < 5)
        print_message("%s: %s of %s, %s (%s)\n", problem, cr->brand,
                      cr->right_holder ? cr->right_holder : "-",
                      cr->foreign_right_holder ? "foreign" : "domestic", cr->case_no);
}

/* Runs `count` events of `seed`, validating each at a clock just after its time. */
static void
s_census_at(uint64_t seed, int64_t step_ms, const char *const *units, size_t n_units, size_t count,
            s_census_t *out)
{
    memset(out, 0, sizeof *out);
    sim_gen_options_t opts = {seed, T_START_MS, step_ms, units, n_units};
    sim_gen_t *gen = NULL;
    assert_int_equal(sim_gen_new(&opts, &gen), 0);
    dajia_limits_t limits;
    dajia_limits_default(&limits);
    char **case_nos = calloc(count, sizeof *case_nos);
    char **ids = calloc(count, sizeof *ids);
    bool *filed = calloc(count, sizeof *filed);
    assert_non_null(filed);
    s_nseen = 0;
    assert_non_null(case_nos);
    assert_non_null(ids);
    size_t n_cases = 0;
    for (size_t i = 0; i < count; i++) {
        const Dajia__Envelope *env = NULL;
        assert_int_equal(sim_gen_next(gen, &env), 0);
        /* Through the bytes, as the broker sees them. */
        size_t len = dajia__envelope__get_packed_size(env);
        uint8_t *bytes = malloc(len ? len : 1);
        assert_non_null(bytes);
        dajia__envelope__pack(env, bytes);
        Dajia__Envelope *back = NULL;
        dajia_verdict_t verdict = {0};
        int64_t now = T_START_MS + (int64_t)i * step_ms;
        int rc = dajia_envelope_decode(bytes, len, &limits, now, NULL, NULL, &back, &verdict);
        if (rc != 0)
            fail_msg("event %zu (%s of %s) rejected: %s", i, env->event_id, env->unit,
                     verdict.text);
        assert_true(env->occurred_at <= now && env->reported_at <= now);
        int u = -1;
        for (int k = 0; k < SIM_UNIT_COUNT; k++)
            if (strcmp(sim_units(NULL)[k], env->unit) == 0)
                u = k;
        assert_true(u >= 0);
        out->per_unit[u]++;
        ids[i] = strdup(env->event_id);
        if (env->supersedes_event_id[0]) {
            out->corrections++;
            /* it names an earlier event */
            bool found = false;
            for (size_t k = 0; k < i && !found; k++)
                found = strcmp(ids[k], env->supersedes_event_id) == 0;
            assert_true(found);
        }
        switch (env->body_case) {
        case DAJIA__ENVELOPE__BODY_CASE_REPORT: {
            const Dajia__CaseReport *cr = env->case_report;
            out->bodies[0]++;
            out->over_500k += cr->case_value_fen >= 500000LL * 100;
            out->over_2m += cr->case_value_fen >= 2000000LL * 100;
            out->transfers += cr->linkage == DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_TRANSFERRED;
            out->judgments += cr->stage == DAJIA__CASE_STAGE__CASE_STAGE_JUDGMENT_EFFECTIVE;
            s_check_brand(cr, out);
            /* A filing counts once: the first report that carries its date. */
            bool seen = false;
            for (size_t k = 0; k < n_cases && !seen && cr->filed_at; k++)
                seen = strcmp(case_nos[k], cr->case_no) == 0 && filed[k];
            int fm = cr->filed_at ? s_month_index(cr->filed_at, NULL) : -1;
            if (!seen && fm >= 0 && fm < T_MONTHS)
                out->filed_by_month[fm]++;
            filed[n_cases] = cr->filed_at != 0;
            case_nos[n_cases++] = strdup(cr->case_no);
            break;
        }
        case DAJIA__ENVELOPE__BODY_MAJOR_MATTER:
            out->bodies[1]++;
            break;
        case DAJIA__ENVELOPE__BODY_MATTER_PROGRESS:
            out->bodies[2]++;
            break;
        case DAJIA__ENVELOPE__BODY_DYNAMIC_INFO:
            out->bodies[3]++;
            out->zero_reports += env->dynamic_info->zero_report;
            if (strstr(env->dynamic_info->info_id, "-M-")) {
                /* A monthly report: for the month it names, sent in that month's last
                   days (on time) or after the 10th of the next (late). */
                int y = 0, m = 0;
                assert_int_equal(sscanf(env->dynamic_info->period, "%d-%d", &y, &m), 2);
                int period = (y - 2026) * 12 + m - 11;
                struct tm tm;
                int sent = s_month_index(env->reported_at, &tm);
                if (sent == period && tm.tm_mday >= 20) {
                    if (period >= 0 && period < T_MONTHS)
                        out->on_time_by_month[period]++;
                } else if (sent == period + 1 && tm.tm_mday > 10) {
                    out->late_monthly++;
                    if (period >= 0 && period < T_MONTHS)
                        out->late_by_month[period]++;
                } else {
                    out->early_monthly++;
                }
            }
            break;
        default:
            fail_msg("event %zu has no body", i);
        }
        dajia__envelope__free_unpacked(back, NULL);
        free(bytes);
    }
    qsort(case_nos, n_cases, sizeof *case_nos, s_cmp_str);
    for (size_t i = 1; i < n_cases; i++)
        out->repeated_case_nos += strcmp(case_nos[i - 1], case_nos[i]) == 0;
    /* event ids are unique */
    qsort(ids, count, sizeof *ids, s_cmp_str);
    for (size_t i = 1; i < count; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    for (size_t i = 0; i < n_cases; i++)
        free(case_nos[i]);
    for (size_t i = 0; i < count; i++)
        free(ids[i]);
    free(case_nos);
    free(ids);
    free(filed);
    sim_gen_destroy(&gen);
}

static void
s_census(uint64_t seed, const char *const *units, size_t n_units, size_t count, s_census_t *out)
{
    s_census_at(seed, T_STEP_MS, units, n_units, count, out);
}

static void
test_long_runs_at_any_pace_stay_valid(void **state)
{
    (void)state;
    /* 2000 events/s (6 min of event time each), 20/s, and 1 day per minute at 20/s:
       the case table grows and is reused many times over. */
    const int64_t steps[] = {21600, T_STEP_MS, 72000};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        s_census_t c;
        s_census_at(11 + i, steps[i], NULL, 0, 20000, &c);
        assert_true(c.bodies[0] > 10000);
    }
}

static void
test_every_event_validates_and_the_mix_is_realistic(void **state)
{
    (void)state;
    s_census_t c;
    s_census(7, NULL, 0, T_EVENTS, &c);
    /* every kind of body */
    for (int k = 0; k < 4; k++)
        assert_true(c.bodies[k] > 0);
    assert_true(c.bodies[0] > T_EVENTS / 2); /* mostly case reports */
    /* the long tail: some, but few, cases cross the E3 thresholds */
    assert_true(c.over_500k > 0);
    assert_true(c.over_500k < c.bodies[0] / 10);
    assert_true(c.over_2m <= c.over_500k);
    /* stage progressions report the same case_no again */
    assert_true(c.repeated_case_nos > c.bodies[0] / 3);
    assert_true(c.corrections > 0);
    assert_true(c.transfers > 0);
    assert_true(c.judgments > 0);
    assert_true(c.zero_reports > 0);
    /* three late units report after the deadline */
    assert_true(c.late_monthly > 0);
    assert_int_equal(c.brand_problems, 0);
    /* two silent units say nothing at all; everyone else speaks */
    size_t silent = 0;
    for (int u = 0; u < SIM_UNIT_COUNT; u++)
        silent += c.per_unit[u] == 0;
    assert_int_equal(silent, 2);
}

static void
test_monthly_reports_come_in_their_months_last_days(void **state)
{
    (void)state;
    s_census_t c;
    s_census(7, NULL, 0, T_EVENTS, &c);
    /* 2026-11, 12 and 2027-01 are whole in the run, their late reports too: each has
       the on-time reports of the 23 units but the 2 silent and the 3 late ones, in its
       last days, and the 3 late ones after the 10th of the next month. */
    for (int m = 0; m < 3; m++) {
        print_message("month %d: %zu on time, %zu late\n", m, c.on_time_by_month[m],
                      c.late_by_month[m]);
        assert_int_equal(c.on_time_by_month[m], SIM_UNIT_COUNT - 2 - 3);
        assert_int_equal(c.late_by_month[m], 3);
    }
    assert_int_equal(c.early_monthly, 0);
}

static void
test_filings_are_steady_from_month_to_month(void **state)
{
    (void)state;
    /* New cases come at a steady rate, and the generator runs months unseen before the
       first event, so from the first month on (no month starts from nothing: transfers
       to the police, the procuratorate and the court take weeks at each step) a month
       files about as many cases a day as the one before: what the bulletin's change
       against the previous month shows. 2026-11 to 2027-02, at the default pace. */
    static const int days[] = {30, 31, 31, 28};
    s_census_t c;
    s_census(5, NULL, 0, T_EVENTS, &c);
    for (int m = 0; m < 4; m++)
        print_message("month %d: %zu filed\n", m, c.filed_by_month[m]);
    for (int m = 1; m < 4; m++) {
        double ratio = ((double)c.filed_by_month[m] / days[m]) /
                       ((double)c.filed_by_month[m - 1] / days[m - 1]);
        if (ratio < 0.8 || ratio > 1.25)
            fail_msg("month %d filed %zu, the month before %zu", m, c.filed_by_month[m],
                     c.filed_by_month[m - 1]);
    }
}

static void
test_units_filter_keeps_to_the_units_named(void **state)
{
    (void)state;
    const char *units[] = {"tobacco", "forestea"};
    s_census_t c;
    s_census(9, units, 2, 600, &c);
    for (int u = 0; u < SIM_UNIT_COUNT; u++) {
        const char *code = sim_units(NULL)[u];
        if (strcmp(code, "tobacco") == 0 || strcmp(code, "forestea") == 0)
            assert_true(c.per_unit[u] > 0); /* too few units for anyone to be silent */
        else
            assert_int_equal(c.per_unit[u], 0);
    }
}

static void
test_bad_options_are_refused(void **state)
{
    (void)state;
    sim_gen_t *gen = NULL;
    const char *bad_unit[] = {"nobody"};
    sim_gen_options_t cases[] = {
        {1, T_START_MS, 0, NULL, 0}, /* no step */
        {1, 0, T_STEP_MS, NULL, 0},  /* before 2000 */
        {1, T_START_MS, T_STEP_MS, bad_unit, 1},
        {1, T_START_MS, T_STEP_MS, NULL, 1}, /* a count without units */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(sim_gen_new(&cases[i], &gen), -EINVAL);
        assert_null(gen);
    }
    assert_int_equal(sim_unit_index("customs"), 14);
    assert_int_equal(sim_unit_index("nobody"), -1);
    size_t n = 0;
    sim_units(&n);
    assert_int_equal(n, 23);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_gives_identical_stream),
        cmocka_unit_test(test_every_event_validates_and_the_mix_is_realistic),
        cmocka_unit_test(test_monthly_reports_come_in_their_months_last_days),
        cmocka_unit_test(test_filings_are_steady_from_month_to_month),
        cmocka_unit_test(test_units_filter_keeps_to_the_units_named),
        cmocka_unit_test(test_long_runs_at_any_pace_stay_valid),
        cmocka_unit_test(test_bad_options_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
