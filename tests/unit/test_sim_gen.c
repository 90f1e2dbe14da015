/*  test_sim_gen: the simulator's generator is deterministic, valid and realistic. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
    size_t late_monthly;      /* monthly reports after the 10th of the month */
    size_t per_unit[SIM_UNIT_COUNT];
} s_census_t;

static int
s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
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
                /* a monthly report: day of the month in Beijing time */
                time_t secs = (time_t)((env->occurred_at + 8 * 3600 * 1000) / 1000);
                struct tm tm;
                gmtime_r(&secs, &tm);
                out->late_monthly += tm.tm_mday > 10;
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
    /* three late units report after the 10th */
    assert_true(c.late_monthly > 0);
    /* two silent units say nothing at all; everyone else speaks */
    size_t silent = 0;
    for (int u = 0; u < SIM_UNIT_COUNT; u++)
        silent += c.per_unit[u] == 0;
    assert_int_equal(silent, 2);
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
        cmocka_unit_test(test_units_filter_keeps_to_the_units_named),
        cmocka_unit_test(test_long_runs_at_any_pace_stay_valid),
        cmocka_unit_test(test_bad_options_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
