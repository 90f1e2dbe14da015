/*  bench_config: what a dajia-bench run is asked to do, read from its command line.

    The defaults, the checks and the usage text live here; the rest of the bench reads
    the result and never the command line.
*/
#ifndef BENCH_CONFIG_H
#define BENCH_CONFIG_H

#include <stdbool.h>

#define BENCH_MAX_AGENTS 999 /* the agent number is 3 digits of event_id */

typedef struct {
    const char *broker; /* --broker: use this endpoint, spawn nothing */
    const char *spawn;  /* --spawn: the broker binary to start */
    bool with_workers;  /* --with-workers: the spawned broker runs its workers */
    bool baseline;      /* --baseline: load the reference server instead of the broker */
    bool compare;       /* --compare: the reference, then the broker; one row of both */
    bool e2e;           /* --e2e: submit -> escalation latency (implies workers) */
    const char *office; /* --office: the office feed of a --broker */
    const char *label;  /* --label: name of the scenario in the report */
    int agents;
    int threads; /* runner threads carrying the agents */
    int window;
    double rate; /* events/s in total; 0: full windows */
    double duration_s;
    double warmup_s;
    bool json;
    bool header;
} bench_config_t;

/* Fills `cfg` with the defaults, then with the options in argv (whose strings it keeps
   pointing to). -h/--help prints the usage on stdout and exits 0. Returns 0, or -1 after
   printing why on stderr (the program then exits 2). */
int
bench_config_parse(int argc, char **argv, bench_config_t *cfg);

#endif
