/*  bench_config: dajia-bench's command line (see bench_config.h).

    Options are long ones only (-h aside), parsed with getopt_long; numbers are read as
    doubles and checked for range and, where they count something, for being whole. The
    number of runner threads is settled here once the rest is known: one for a fixed
    rate (an open loop wakes for every send, and one thread batches them), else up to
    BENCH_DEFAULT_THREADS, never more than there are agents.
*/
#include "bench_config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "dajia_version.h"

#define BENCH_E2E_RATE        1000 /* --e2e without --rate */
#define BENCH_DEFAULT_THREADS 8    /* full windows: most runner threads by default */

static void
s_usage(FILE *out)
{
    fprintf(
        out,
        "usage: dajia-bench [--broker ENDPOINT [--office ENDPOINT] | --spawn BROKER_BIN]\n"
        "                   [--baseline | --compare]\n"
        "                   [--agents N] [--threads T] [--window W] [--rate EVENTS_PER_S] [--e2e]\n"
        "                   [--duration S] [--warmup S] [--label NAME] [--no-header]\n"
        "                   [--json]\n"
        "\n"
        "Loads a dajia broker with CaseReport submissions and reports durable\n"
        "events/s, ack latency percentiles and events per commit; with --e2e, the\n"
        "latency from submit to the event's escalation on the office feed.\n"
        "\n"
        "  --broker ENDPOINT  use a running broker (it remembers every event id:\n"
        "                     each run makes new ones)\n"
        "  --office ENDPOINT  with --broker and --e2e: its office feed\n"
        "  --spawn BIN        start BIN on tcp://127.0.0.1:* in a temporary data dir\n"
        "                     (default: dajia-broker next to this program)\n"
        "  --baseline         load the reference instead of the broker: a ROUTER that\n"
        "                     appends every event as it came to one LMDB table, one\n"
        "                     transaction (full sync) a drain, and acks it: no decoding,\n"
        "                     validation or dedup; what ZeroMQ and LMDB can do here\n"
        "  --compare          run the scenario against the reference, then against the\n"
        "                     broker (--spawn or the default), and report both and their\n"
        "                     ratio in one row (--e2e: the broker alone; the reference\n"
        "                     has no workers)\n"
        "  --with-workers     the spawned broker runs its in-process workers too\n"
        "                     (default: ingest alone, --external-workers)\n"
        "  --e2e              end to end: every event is a major case the escalate\n"
        "                     worker escalates; measure scheduled send -> escalation\n"
        "                     on the office feed (fixed rate, default %d/s; implies\n"
        "                     --with-workers)\n"
        "  --agents N         agents, one DEALER connection each (default 8, max %d)\n"
        "  --threads T        threads that carry the agents, each a share of them\n"
        "                     (default: one per agent, at most %d; with --rate, one)\n"
        "  --window W         events in flight per agent (default 128)\n"
        "  --rate R           offer R events/s in total, open loop; latency from the\n"
        "                     scheduled send time (default: full windows)\n"
        "  --duration S       measured seconds after the warmup (default 5)\n"
        "  --warmup S         seconds not measured at the start (default 1)\n"
        "  --label NAME       scenario name in the report\n"
        "  --no-header        leave out the table header\n"
        "  --json             one JSON object instead of the table\n"
        "  -h, --help         this text\n"
        "      --version      the version and the source revision\n"
        "\n"
        "Exit status: 0 measured, 1 the run failed, events were rejected or (--e2e)\n"
        "escalations were missing, 2 usage.\n",
        BENCH_E2E_RATE, BENCH_MAX_AGENTS, BENCH_DEFAULT_THREADS);
}

static int
s_parse_double(const char *text, double min, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || v < min || v != v)
        return -1;
    *out = v;
    return 0;
}

/* Sets what option `opt` (getopt_long's value) says, `arg` its argument. Returns 0, -1
   when the value is bad, 1 when `opt` is none of ours. */
static int
s_take_option(int opt, const char *arg, bench_config_t *cfg)
{
    double v;
    switch (opt) {
    case 'b':
        cfg->broker = arg;
        break;
    case 'W':
        cfg->with_workers = true;
        break;
    case 'B':
        cfg->baseline = true;
        break;
    case 'C':
        cfg->compare = true;
        break;
    case 'E':
        cfg->e2e = true;
        break;
    case 'o':
        cfg->office = arg;
        break;
    case 's':
        cfg->spawn = arg;
        break;
    case 'n':
        if (s_parse_double(arg, 1, &v) || v > BENCH_MAX_AGENTS || v != (int)v)
            return -1;
        cfg->agents = (int)v;
        break;
    case 't':
        if (s_parse_double(arg, 1, &v) || v > BENCH_MAX_AGENTS || v != (int)v)
            return -1;
        cfg->threads = (int)v;
        break;
    case 'w':
        if (s_parse_double(arg, 1, &v) || v > 1000000 || v != (int)v)
            return -1;
        cfg->window = (int)v;
        break;
    case 'r':
        return s_parse_double(arg, 0, &cfg->rate);
    case 'd':
        return s_parse_double(arg, 0.1, &cfg->duration_s);
    case 'u':
        return s_parse_double(arg, 0, &cfg->warmup_s);
    case 'l':
        cfg->label = arg;
        break;
    case 'j':
        cfg->json = true;
        break;
    case 'H':
        cfg->header = false;
        break;
    default:
        return 1;
    }
    return 0;
}

/* Reads every option of argv into `cfg`. Returns 0, or -1 after saying why. */
static int
s_read_options(int argc, char **argv, bench_config_t *cfg)
{
    static const struct option options[] = {
        {"broker", required_argument, NULL, 'b'},
        {"spawn", required_argument, NULL, 's'},
        {"agents", required_argument, NULL, 'n'},
        {"window", required_argument, NULL, 'w'},
        {"rate", required_argument, NULL, 'r'},
        {"duration", required_argument, NULL, 'd'},
        {"warmup", required_argument, NULL, 'u'},
        {"label", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},
        {"no-header", no_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {"with-workers", no_argument, NULL, 'W'},
        {"e2e", no_argument, NULL, 'E'},
        {"office", required_argument, NULL, 'o'},
        {"threads", required_argument, NULL, 't'},
        {"baseline", no_argument, NULL, 'B'},
        {"compare", no_argument, NULL, 'C'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int opt, longindex = 0;
    while ((opt = getopt_long(argc, argv, "h", options, &longindex)) != -1) {
        if (opt == 'h') {
            s_usage(stdout);
            exit(0);
        }
        if (opt == 'V') {
            dajia_version_print(stdout, "dajia-bench");
            exit(0);
        }
        int rc = s_take_option(opt, optarg, cfg);
        if (rc > 0) {
            s_usage(stderr);
            return -1;
        }
        if (rc < 0) {
            fprintf(stderr, "dajia-bench: bad value for --%s: %s\n", options[longindex].name,
                    optarg);
            return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "dajia-bench: unexpected argument: %s\n", argv[optind]);
        return -1;
    }
    return 0;
}

/* What the options imply for one another, and which of them exclude each other.
   Returns 0, or -1 after saying why. */
static int
s_settle(bench_config_t *cfg)
{
    if (cfg->threads == 0) /* an open loop wakes for every send: one thread batches them */
        cfg->threads = cfg->rate > 0 ? 1 : BENCH_DEFAULT_THREADS;
    if (cfg->threads > cfg->agents)
        cfg->threads = cfg->agents;
    if (cfg->broker && cfg->spawn) {
        fprintf(stderr, "dajia-bench: --broker and --spawn exclude each other\n");
        return -1;
    }
    if (cfg->baseline &&
        (cfg->broker || cfg->spawn || cfg->with_workers || cfg->e2e || cfg->compare)) {
        fprintf(stderr, "dajia-bench: --baseline runs the reference alone: no --broker, "
                        "--spawn, --with-workers, --e2e or --compare\n");
        return -1;
    }
    if (cfg->compare && cfg->broker) {
        fprintf(stderr, "dajia-bench: --compare starts both servers itself: no --broker\n");
        return -1;
    }
    if (cfg->e2e) {
        cfg->with_workers = true;
        if (cfg->rate <= 0)
            cfg->rate = BENCH_E2E_RATE; /* e2e is always an open loop */
        if (cfg->broker && !cfg->office) {
            fprintf(stderr, "dajia-bench: --e2e with --broker needs --office ENDPOINT\n");
            return -1;
        }
    } else if (cfg->office) {
        fprintf(stderr, "dajia-bench: --office is for --e2e\n");
        return -1;
    }
    return 0;
}

int
bench_config_parse(int argc, char **argv, bench_config_t *cfg)
{
    *cfg = (bench_config_t){
        .agents = 8,
        .window = 128,
        .rate = 0,
        .duration_s = 5,
        .warmup_s = 1,
        .header = true,
    };
    if (s_read_options(argc, argv, cfg) != 0)
        return -1;
    return s_settle(cfg);
}
