/*  bench_report: the table row or JSON object of a run, and its warnings (see
    bench_report.h).
*/
#include "bench_report.h"

#include <inttypes.h>
#include <stdio.h>

#include "bench_agent.h"
#include "bench_clock.h"
#include "bench_e2e.h"
#include "bench_runner.h"

#define BENCH_LAG_WARN_MS 1.0 /* rate mode: sends this late mean a busy bench */

/* The scenario's name: --label, or one made of the parameters. */
static void
s_label(const bench_config_t *cfg, char *label, size_t size)
{
    if (cfg->label)
        snprintf(label, size, "%s", cfg->label);
    else if (cfg->e2e)
        snprintf(label, size, "e2e %dx rate %.0f/s", cfg->agents, cfg->rate);
    else if (cfg->rate > 0)
        snprintf(label, size, "%dx rate %.0f/s", cfg->agents, cfg->rate);
    else
        snprintf(label, size, "%dx window %d", cfg->agents, cfg->window);
}

/* Makes the user's label safe inside a JSON string. */
static void
s_json_safe(char *label)
{
    for (char *c = label; *c; c++)
        if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
            *c = '_';
}

/* The scenario's fields, each followed by a comma. window 0: fixed-rate mode; rate 0:
   full-window mode. */
static void
s_json_scenario(const bench_config_t *cfg, const char *label)
{
    printf("\"label\":\"%s\",\"agents\":%d,\"window\":%d,\"rate\":%.0f,\"warmup_s\":%.3f,", label,
           cfg->agents, cfg->rate > 0 ? 0 : cfg->window, cfg->rate, cfg->warmup_s);
}

/* What one run measured, as JSON fields (no braces, no comma after the last). */
static void
s_json_run(const bench_config_t *cfg, const bench_report_t *r)
{
    double msg_bytes = r->sent ? (double)r->bytes / (double)r->sent : 0;
    printf("\"duration_s\":%.3f,\"message_bytes\":%.0f,"
           "\"sent\":%" PRIu64 ",\"accepted\":%" PRIu64 ",\"measured\":%" PRIu64 ","
           "\"events_per_s\":%.1f,"
           "\"latency_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},",
           r->seconds, msg_bytes, r->sent, r->accepted, r->measured, r->events_per_s, r->p50_ms,
           r->p99_ms, r->p999_ms, r->max_ms);
    if (r->per_commit >= 0)
        printf("\"events_per_commit\":%.1f,", r->per_commit);
    else
        printf("\"events_per_commit\":null,");
    if (cfg->rate > 0)
        printf("\"send_lag_ms\":{\"p99\":%.3f,\"max\":%.3f},", r->lag_p99_ms, r->lag_max_ms);
    if (cfg->e2e)
        printf("\"e2e_latency_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,"
               "\"max\":%.3f},\"e2e_measured\":%" PRIu64 ",\"escalated\":%" PRIu64
               ",\"missing\":%" PRIu64 ",",
               r->e2e_p50_ms, r->e2e_p99_ms, r->e2e_p999_ms, r->e2e_max_ms, r->e2e_measured,
               r->escalated, r->missing);
    printf("\"rejected\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"unmatched\":%" PRIu64
           ",\"stalled_agents\":%d",
           r->rejected, r->duplicates, r->unmatched, r->stalled);
}

/* The report as one JSON object on a line. */
static void
s_print_json(const bench_config_t *cfg, const bench_report_t *r, char *label)
{
    s_json_safe(label);
    printf("{");
    s_json_scenario(cfg, label);
    s_json_run(cfg, r);
    printf("}\n");
}

/* The report as a row of the table, the header first unless --no-header. */
static void
s_print_row(const bench_config_t *cfg, const bench_report_t *r, const char *label)
{
    /* e2e rows: the latencies are submit -> escalation on the office feed, and
       "missing" counts escalations that never came; other rows: submit -> ack. */
    if (cfg->header)
        printf("%-34s %6s %6s %8s %11s %8s %8s %8s %9s %8s %8s\n", "scenario", "agents", "window",
               "rate/s", "events/s", "p50 ms", "p99 ms", "p999 ms", "ev/commit", "rejected",
               "missing");
    char rate[16], window[16], per_commit[16];
    snprintf(rate, sizeof rate, cfg->rate > 0 ? "%.0f" : "-", cfg->rate);
    snprintf(window, sizeof window, cfg->rate > 0 ? "-" : "%d", cfg->window);
    if (r->per_commit >= 0)
        snprintf(per_commit, sizeof per_commit, "%.1f", r->per_commit);
    else
        snprintf(per_commit, sizeof per_commit, "?");
    char missing[24];
    snprintf(missing, sizeof missing, cfg->e2e ? "%" PRIu64 : "-", r->missing);
    printf("%-34s %6d %6s %8s %11.0f %8.3f %8.3f %8.3f %9s %8" PRIu64 " %8s\n", label, cfg->agents,
           window, rate, r->events_per_s, cfg->e2e ? r->e2e_p50_ms : r->p50_ms,
           cfg->e2e ? r->e2e_p99_ms : r->p99_ms, cfg->e2e ? r->e2e_p999_ms : r->p999_ms, per_commit,
           r->rejected, missing);
}

/* A line on stderr for each thing that went wrong or makes the figures doubtful. */
static void
s_print_warnings(const bench_config_t *cfg, const bench_report_t *r, const char *who)
{
    if (r->rejected)
        fprintf(stderr, "dajia-bench: %s%" PRIu64 " events were rejected (first: %s)\n", who,
                r->rejected, r->first_reject);
    if (r->duplicates)
        fprintf(stderr, "dajia-bench: %s%" PRIu64 " duplicate acks\n", who, r->duplicates);
    if (r->missing)
        fprintf(stderr,
                "dajia-bench: %s%" PRIu64 " of %" PRIu64 " stored events had no escalation "
                "on the office feed %.0f s after the run\n",
                who, r->missing, r->missing + r->escalated,
                (double)(BENCH_DRAIN_NS + BENCH_E2E_STRAGGLE_NS) / (double)NS_PER_S);
    if (r->foreign)
        fprintf(stderr, "dajia-bench: %s%" PRIu64 " escalations named no event of this run\n", who,
                r->foreign);
    if (r->unmatched)
        fprintf(stderr,
                "dajia-bench: %s%" PRIu64 " replies were not acks of this run's events "
                "(a rejection that names no event, or a broken reply)\n",
                who, r->unmatched);
    if (r->stalled)
        fprintf(stderr, "dajia-bench: %s%d agents got no ack for %llu s and gave up\n", who,
                r->stalled, (unsigned long long)(BENCH_STALL_NS / NS_PER_S));
    if (cfg->rate > 0 && r->lag_p99_ms > BENCH_LAG_WARN_MS)
        fprintf(stderr,
                "dajia-bench: %s1%% of the sends left more than %.1f ms late (worst %.1f ms): "
                "the bench itself is short of CPU, and the latencies include its delays; "
                "try fewer --agents\n",
                who, r->lag_p99_ms, r->lag_max_ms);
    if (cfg->rate > 0 && r->seconds > 0 && r->events_per_s < 0.9 * cfg->rate)
        fprintf(stderr,
                "dajia-bench: %soffered %.0f/s but %.0f/s were stored: "
                "the server is saturated at this rate\n",
                who, cfg->rate, r->events_per_s);
}

void
bench_report_print(const bench_config_t *cfg, const bench_report_t *r)
{
    char label[64];
    s_label(cfg, label, sizeof label);
    if (cfg->json)
        s_print_json(cfg, r, label);
    else
        s_print_row(cfg, r, label);
    fflush(stdout);
    s_print_warnings(cfg, r, "");
}

/* The ratio of a to b as text ("-" when either is not there). */
static void
s_ratio(char *buf, size_t size, double a, double b)
{
    if (a > 0 && b > 0)
        snprintf(buf, size, "%.2f", a / b);
    else
        snprintf(buf, size, "-");
}

/* Both runs as one JSON object on a line: the scenario, then "reference" and "dajia"
   with each run's fields, then the ratios (null without a reference). */
static void
s_print_compare_json(const bench_config_t *cfg, const bench_report_t *ref, const bench_report_t *r,
                     char *label)
{
    s_json_safe(label);
    printf("{");
    s_json_scenario(cfg, label);
    if (ref) {
        printf("\"reference\":{");
        s_json_run(cfg, ref);
        printf("},");
    } else {
        printf("\"reference\":null,");
    }
    printf("\"dajia\":{");
    s_json_run(cfg, r);
    printf("},");
    if (ref && ref->events_per_s > 0 && ref->p99_ms > 0)
        printf("\"events_per_s_ratio\":%.3f,\"p99_ratio\":%.3f}\n",
               r->events_per_s / ref->events_per_s, r->p99_ms / ref->p99_ms);
    else
        printf("\"events_per_s_ratio\":null,\"p99_ratio\":null}\n");
}

/* Both runs as a row: each one's events/s, p99 and events per commit, and the ratios:
   events/s of the broker to the reference's (1.00: as fast), and p99 of the broker to
   the reference's (1.00: as quick; above, that many times slower). */
static void
s_print_compare_row(const bench_config_t *cfg, const bench_report_t *ref, const bench_report_t *r,
                    const char *label)
{
    if (cfg->header)
        printf("%-34s %6s %6s %8s %10s %10s %6s %8s %8s %6s %7s %7s\n", "scenario", "agents",
               "window", "rate/s", "ref ev/s", "ev/s", "ratio", "ref p99", "p99 ms", "p99 x",
               "ref e/c", "ev/c");
    char rate[16], window[16], ref_eps[24], ref_p99[24], ratio[16], p99x[16], ref_pc[16], pc[16];
    snprintf(rate, sizeof rate, cfg->rate > 0 ? "%.0f" : "-", cfg->rate);
    snprintf(window, sizeof window, cfg->rate > 0 ? "-" : "%d", cfg->window);
    double p99 = cfg->e2e ? r->e2e_p99_ms : r->p99_ms;
    snprintf(ref_eps, sizeof ref_eps, ref ? "%.0f" : "-", ref ? ref->events_per_s : 0);
    snprintf(ref_p99, sizeof ref_p99, ref ? "%.3f" : "-", ref ? ref->p99_ms : 0);
    s_ratio(ratio, sizeof ratio, r->events_per_s, ref ? ref->events_per_s : 0);
    s_ratio(p99x, sizeof p99x, p99, ref ? ref->p99_ms : 0);
    snprintf(ref_pc, sizeof ref_pc, ref && ref->per_commit >= 0 ? "%.1f" : "-",
             ref ? ref->per_commit : 0);
    snprintf(pc, sizeof pc, r->per_commit >= 0 ? "%.1f" : "?", r->per_commit);
    printf("%-34s %6d %6s %8s %10s %10.0f %6s %8s %8.3f %6s %7s %7s\n", label, cfg->agents, window,
           rate, ref_eps, r->events_per_s, ratio, ref_p99, p99, p99x, ref_pc, pc);
}

void
bench_report_print_compare(const bench_config_t *cfg, const bench_report_t *ref,
                           const bench_report_t *r)
{
    char label[64];
    s_label(cfg, label, sizeof label);
    if (cfg->json)
        s_print_compare_json(cfg, ref, r, label);
    else
        s_print_compare_row(cfg, ref, r, label);
    fflush(stdout);
    if (ref)
        s_print_warnings(cfg, ref, "the reference: ");
    s_print_warnings(cfg, r, ref ? "the broker: " : "");
}
