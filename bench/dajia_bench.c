/*  dajia-bench: load generator for the broker's api, and the latency/throughput report.

    N agents, each with its own DEALER connection, submit CaseReport envelopes of about
    300 bytes. T threads carry them (--threads, a share of the agents each, polled
    together), since a thread per connection would cost the two cores more than the
    broker does: at most 8 with full windows, one at a fixed rate, where a thread per
    agent would wake for every send of its own. The messages are built before the clock starts (a
   small pool per agent, each encoded once); a send copies one and writes a fresh counter into its
   event_id, so the bench spends its time in the broker, not in protobuf. Two ways to load:

      full windows (default)  each agent keeps W events in flight and sends one more for
                              every ack: the broker's best throughput at that concurrency.
      fixed rate (--rate R)   R events/s in total, spread evenly over the agents, sent at
                              scheduled times whatever the acks do (an open loop). Latency
                              is taken from the *scheduled* time, so a broker that stalls
                              is charged for the sends it delayed (no coordinated omission).

    Only what happens between the end of the warmup and the end of the run is measured:
    ACCEPTED acks per second (each one is an event on disk), ack latency percentiles from
    a log-linear histogram merged over the threads, and events per commit from the
    broker's STATS before and after. Rejected or duplicate acks mean the bench itself is
    wrong; they are reported and make the exit status 1. There are no pass/fail
    thresholds: this program measures, it does not judge.

    End to end (--e2e, fixed rate, 1000/s unless --rate says otherwise): the broker runs
    its workers, and every event is a case of its own (a unique case_no) whose value is
    above the major-case threshold (rule E3), so the escalate worker escalates each event
    once. A subscriber thread follows the office feed and takes, for each event, the time
    from its *scheduled* send to the first escalation naming it (source_event_id) on the
    feed: ingest, fsync, dispatch, the worker's commit, the feed log's commit and the
    publication, all included. Events whose escalation has not arrived a few seconds
    after the last ack are counted as missing (and make the exit status 1: the feeds
    promise that nothing is lost).

    With --spawn (the default when --broker is not given) the bench starts the broker
    itself on tcp://127.0.0.1:* in a fresh temporary data directory, reads its READY line,
    stops it with SIGTERM at the end and removes the directory.

    The reference (--baseline, bench_baseline.h) is what ZeroMQ and LMDB can do without
    dajia: the same events appended to one table with a full sync per drain and acked.
    The bench starts it as it starts the broker (this program run again as the
    reference server); --compare runs the scenario against it and then against the
    broker, each with its own warmup, and reports both in one row with the ratios, so
    every figure of the broker comes with the machine's own floor measured minutes
    apart.

    This file runs one measurement from start to end; the parts are files of their own:
    bench_config (the command line), bench_agent (an agent: its messages, sends and acks;
    bench_ack reads the acks), bench_runner (a thread carrying agents), bench_e2e (the
    office-feed subscriber), bench_broker (the temporary broker), bench_stats (the
    broker's STATS), bench_report (the table or JSON) and bench_hist (the histograms),
    with bench_clock for time and stopping.
*/
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "bench_agent.h"
#include "bench_baseline.h"
#include "bench_broker.h"
#include "bench_clock.h"
#include "bench_config.h"
#include "bench_e2e.h"
#include "bench_hist.h"
#include "bench_report.h"
#include "bench_runner.h"
#include "bench_stats.h"

#define BENCH_START_DELAY_NS (200 * NS_PER_MS) /* let the DEALERs connect first */

/* One run: what main sets up, drives and takes down. */
typedef struct {
    const bench_config_t *cfg;
    bool baseline;               /* against the reference, not the broker */
    bench_broker_t *broker;      /* the broker the bench started; NULL with --broker */
    const char *endpoint;        /* the api of the broker under test */
    void *ctx;                   /* the ZeroMQ context of every socket */
    bench_agent_t **agents;      /* cfg->agents of them */
    bench_runner_t **runners;    /* cfg->threads of them */
    bench_e2e_t *e2e;            /* --e2e only */
    bench_hist_t *latency, *lag; /* merged over the agents at the end */
    uint64_t t_start, t_warm, t_end;
} s_run_t;

static double
s_ms(uint64_t ns)
{
    return (double)ns / (double)NS_PER_MS;
}

/* The broker under test: the one --broker names, or one the bench starts. Returns 0, or
   -1 after saying why. */
static int
s_run_broker(s_run_t *run)
{
    char binary[PATH_MAX];
    if (run->baseline) {
        if (bench_broker_spawn_baseline(&run->broker) != 0)
            return -1;
        run->endpoint = bench_broker_endpoint(run->broker);
        return 0;
    }
    run->endpoint = run->cfg->broker;
    if (run->endpoint)
        return 0;
    if (run->cfg->spawn)
        snprintf(binary, sizeof binary, "%s", run->cfg->spawn);
    else
        bench_broker_default(binary, sizeof binary);
    if (bench_broker_spawn(binary, run->cfg->with_workers, &run->broker) != 0)
        return -1;
    run->endpoint = bench_broker_endpoint(run->broker);
    return 0;
}

/* Everything the run needs before the clock starts: the broker, the subscriber (--e2e),
   the agents with their messages and connections. Returns 0, or -1 after saying why. */
static int
s_run_open(s_run_t *run)
{
    const bench_config_t *cfg = run->cfg;
    if (s_run_broker(run) != 0)
        return -1;
    run->ctx = zmq_ctx_new();
    run->agents = calloc((size_t)cfg->agents, sizeof *run->agents);
    run->runners = calloc((size_t)cfg->threads, sizeof *run->runners);
    run->latency = bench_hist_new();
    run->lag = bench_hist_new();
    if (!run->ctx || !run->agents || !run->runners || !run->latency || !run->lag) {
        fprintf(stderr, "dajia-bench: out of memory\n");
        return -1;
    }
    if (cfg->e2e) {
        const char *office = cfg->office ? cfg->office : bench_broker_office(run->broker);
        if (!*office) {
            fprintf(stderr, "dajia-bench: the broker's READY line names no office feed\n");
            return -1;
        }
        if (bench_e2e_new(run->ctx, office, &run->e2e) != 0)
            return -1;
    }
    /* A run id in every event_id, so runs against the same broker never collide. */
    struct timespec real;
    clock_gettime(CLOCK_REALTIME, &real);
    char run_id[9];
    snprintf(run_id, sizeof run_id, "%08x",
             (unsigned)((uint64_t)real.tv_sec * 2654435761u ^ (uint64_t)real.tv_nsec ^
                        (uint64_t)getpid() << 16));
    int64_t now_ms = (int64_t)real.tv_sec * 1000 + real.tv_nsec / 1000000;
    for (int i = 0; i < cfg->agents; i++)
        if (bench_agent_new(i, cfg, run->ctx, run->endpoint, run_id, now_ms, &run->agents[i]) != 0)
            return -1;
    return 0;
}

/* Sets the clock: the start, the end of the warmup and of the run, and at a fixed rate
   each agent's sends, staggered over the interval; starts the subscriber (--e2e).
   Returns 0, or -1 after saying why. */
static int
s_run_schedule(s_run_t *run)
{
    const bench_config_t *cfg = run->cfg;
    run->t_start = bench_clock_now() + BENCH_START_DELAY_NS;
    run->t_warm = run->t_start + (uint64_t)(cfg->warmup_s * (double)NS_PER_S);
    run->t_end = run->t_warm + (uint64_t)(cfg->duration_s * (double)NS_PER_S);
    double interval = cfg->rate > 0 ? (double)NS_PER_S * cfg->agents / cfg->rate : 0;
    for (int i = 0; i < cfg->agents; i++)
        bench_agent_schedule(run->agents[i], run->t_warm, run->t_end,
                             run->t_start + (uint64_t)(interval * i / cfg->agents), interval);
    if (!cfg->e2e)
        return 0;
    return bench_e2e_start(run->e2e, (const bench_agent_t *const *)run->agents, cfg->agents,
                           run->t_end + BENCH_DRAIN_NS + BENCH_E2E_STRAGGLE_NS);
}

/* Deals the agents out in runs, as evenly as they go, one run per thread, and starts the
   threads. Returns 0, or -1 after saying why. */
static int
s_run_start(s_run_t *run)
{
    const bench_config_t *cfg = run->cfg;
    for (int t = 0, first = 0; t < cfg->threads; t++) {
        int count = cfg->agents / cfg->threads + (t < cfg->agents % cfg->threads ? 1 : 0);
        if (bench_runner_new(&run->agents[first], count, run->t_start, run->t_end,
                             &run->runners[t]) != 0)
            return -1;
        first += count;
    }
    for (int t = 0; t < cfg->threads; t++) {
        if (bench_runner_start(run->runners[t]) != 0) {
            fprintf(stderr, "dajia-bench: cannot start thread %d\n", t);
            bench_clock_stop();
            return -1;
        }
    }
    return 0;
}

/* Waits for the threads to end and adds up what the agents did and, with --e2e, what
   the subscriber saw. */
static void
s_run_collect(s_run_t *run, bench_report_t *r)
{
    memset(r, 0, sizeof *r);
    r->first_reject = "";
    for (int t = 0; t < run->cfg->threads; t++)
        bench_runner_join(run->runners[t]);
    for (int i = 0; i < run->cfg->agents; i++) {
        const bench_agent_result_t *a = bench_agent_result(run->agents[i]);
        r->sent += a->sent;
        r->accepted += a->accepted;
        r->duplicates += a->duplicates;
        r->rejected += a->rejected;
        r->unmatched += a->unmatched;
        r->measured += a->measured;
        r->bytes += a->bytes;
        r->stalled += a->stalled;
        if (a->rejected && !*r->first_reject)
            r->first_reject = a->first_reject;
        bench_hist_merge(run->latency, bench_agent_latency(run->agents[i]));
        bench_hist_merge(run->lag, bench_agent_lag(run->agents[i]));
    }
    if (!run->cfg->e2e)
        return;
    /* every accepted event should escalate; wait for the stragglers */
    bench_e2e_finish(run->e2e, r->accepted);
    const bench_hist_t *e2e = bench_e2e_latency(run->e2e);
    r->e2e_measured = bench_hist_count(e2e);
    r->escalated = bench_e2e_events(run->e2e);
    r->missing = r->accepted > r->escalated ? r->accepted - r->escalated : 0;
    r->foreign = bench_e2e_foreign(run->e2e);
    r->e2e_p50_ms = s_ms(bench_hist_quantile(e2e, 0.50));
    r->e2e_p99_ms = s_ms(bench_hist_quantile(e2e, 0.99));
    r->e2e_p999_ms = s_ms(bench_hist_quantile(e2e, 0.999));
    r->e2e_max_ms = s_ms(bench_hist_max(e2e));
}

/* Measures between the end of the warmup and the end of the run into `r`, and returns
   the exit status: 0, or 1 when the run failed or was interrupted. */
static int
s_run_measure(s_run_t *run, bench_report_t *r_out)
{
    const bench_config_t *cfg = run->cfg;
    bench_stats_t before, after;
    bench_clock_sleep_until(run->t_warm);
    bool before_ok = bench_stats_ask(run->ctx, run->endpoint, &before) == 0;
    bench_clock_sleep_until(run->t_end);
    bool after_ok = bench_stats_ask(run->ctx, run->endpoint, &after) == 0;
    uint64_t t_stats = bench_clock_now();

    bench_report_t r;
    s_run_collect(run, &r);
    const char *who = run->baseline ? "the reference" : "the broker";
    uint64_t t_last = t_stats < run->t_end ? t_stats : run->t_end; /* interrupted: shorter */
    r.seconds = t_last > run->t_warm ? (double)(t_last - run->t_warm) / (double)NS_PER_S : 0;
    r.events_per_s = r.seconds > 0 ? (double)r.measured / r.seconds : 0;
    r.p50_ms = s_ms(bench_hist_quantile(run->latency, 0.50));
    r.p99_ms = s_ms(bench_hist_quantile(run->latency, 0.99));
    r.p999_ms = s_ms(bench_hist_quantile(run->latency, 0.999));
    r.max_ms = s_ms(bench_hist_max(run->latency));
    r.lag_p99_ms = s_ms(bench_hist_quantile(run->lag, 0.99));
    r.lag_max_ms = s_ms(bench_hist_max(run->lag));
    r.per_commit = -1;
    if (before_ok && after_ok && after.batches > before.batches)
        r.per_commit =
            (double)(after.accepted - before.accepted) / (double)(after.batches - before.batches);
    *r_out = r;
    if (r.measured == 0 && !bench_clock_interrupted())
        fprintf(stderr, "dajia-bench: no event was stored while measuring; is %s serving %s?\n",
                who, run->endpoint);
    else if (!before_ok || !after_ok)
        fprintf(stderr, "dajia-bench: %s did not answer STATS; events per commit unknown\n", who);
    bool failed = r.rejected || r.unmatched || r.stalled || r.measured == 0 || r.missing ||
                  (cfg->e2e && r.e2e_measured == 0);
    return failed || bench_clock_interrupted() ? 1 : 0;
}

/* Stops every thread and takes the run down, the broker last. */
static void
s_run_close(s_run_t *run)
{
    bench_clock_stop();
    bench_e2e_destroy(&run->e2e); /* before the agents go: it reads their schedules */
    if (run->runners)
        for (int t = 0; t < run->cfg->threads; t++)
            bench_runner_destroy(&run->runners[t]);
    free(run->runners);
    if (run->agents)
        for (int i = 0; i < run->cfg->agents; i++)
            bench_agent_destroy(&run->agents[i]);
    free(run->agents);
    bench_hist_destroy(&run->latency);
    bench_hist_destroy(&run->lag);
    if (run->ctx)
        zmq_ctx_term(run->ctx);
    bench_broker_destroy(&run->broker);
}

/* One run of the scenario, against the reference when `baseline`. Returns its exit
   status; *measured says whether `r` holds a measurement (the run started). */
static int
s_run(const bench_config_t *cfg, bool baseline, bench_report_t *r, bool *measured)
{
    s_run_t run = {.cfg = cfg, .baseline = baseline};
    int status = 1;
    *measured = false;
    if (s_run_open(&run) == 0 && s_run_schedule(&run) == 0 && s_run_start(&run) == 0) {
        status = s_run_measure(&run, r);
        *measured = true;
    }
    s_run_close(&run);
    return status;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], BENCH_BASELINE_ARG) == 0)
        return bench_baseline_serve(argv[2]); /* the reference, started by a bench */
    bench_config_t cfg;
    if (bench_config_parse(argc, argv, &cfg) != 0)
        return 2;
    bench_clock_catch_signals();
    bench_report_t ref, r;
    bool ref_measured = false, measured = false;
    if (!cfg.compare) {
        int status = s_run(&cfg, cfg.baseline, &r, &measured);
        if (measured)
            bench_report_print(&cfg, &r);
        return status;
    }
    int ref_status = 0;
    if (!cfg.e2e) { /* the reference has no workers to escalate */
        ref_status = s_run(&cfg, true, &ref, &ref_measured);
        if (!ref_measured || bench_clock_interrupted())
            return 1;
        bench_clock_rearm();
    }
    int status = s_run(&cfg, false, &r, &measured);
    if (measured)
        bench_report_print_compare(&cfg, ref_measured ? &ref : NULL, &r);
    return status || ref_status ? 1 : 0;
}
