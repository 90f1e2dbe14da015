/*  dajia-worker: one worker service as a process of its own, on this host or another.

    main() only parses the flags, opens the state and runs the shell until SIGTERM or
    SIGINT. It prints "READY service=NAME" once the broker has confirmed the registration.
*/
#include <czmq.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker_shell.h"

#define WORKER_DEFAULT_BROKER "tcp://127.0.0.1:7401"

static void
s_usage(FILE *out)
{
    fprintf(out,
            "usage: dajia-worker --service NAME [--broker ENDPOINT] [--state DIR] [-v]\n"
            "\n"
            "Runs one worker service (aggregate, escalate or circulate) for a broker started\n"
            "with --external-workers. Prints \"READY service=NAME\" once registered.\n"
            "\n"
            "  -s, --service NAME    the service to run (required)\n"
            "  -b, --broker ENDPOINT the broker's workers endpoint (default $DAJIA_WORKERS or\n"
            "                        " WORKER_DEFAULT_BROKER ")\n"
            "      --state DIR       the service's state store (default ./var/worker-NAME)\n"
            "  -v, --verbose         log every message\n"
            "  -h, --help            this text\n");
}

static void
s_ready(const char *service, void *arg)
{
    (void)arg;
    printf("READY service=%s\n", service);
    fflush(stdout);
}

int
main(int argc, char **argv)
{
    enum { OPT_STATE = 256 };
    struct option options[] = {
        {"service", required_argument, NULL, 's'}, {"broker", required_argument, NULL, 'b'},
        {"state", required_argument, NULL, OPT_STATE}, {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    const char *service_name = NULL, *state = NULL;
    const char *broker = getenv("DAJIA_WORKERS") ? getenv("DAJIA_WORKERS")
                                                 : WORKER_DEFAULT_BROKER;
    bool verbose = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "s:b:vh", options, NULL)) != -1) {
        switch (opt) {
        case 's': service_name = optarg; break;
        case 'b': broker = optarg; break;
        case OPT_STATE: state = optarg; break;
        case 'v': verbose = true; break;
        case 'h': s_usage(stdout); return 0;
        default:
            fprintf(stderr, "dajia-worker: see --help for the options\n");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "dajia-worker: unexpected argument \"%s\"; see --help\n",
                argv[optind]);
        return 2;
    }
    if (!service_name) {
        fprintf(stderr, "dajia-worker: --service NAME is required (aggregate, escalate or "
                "circulate)\n");
        return 2;
    }
    const worker_service_t *service = worker_service_find(service_name);
    if (!service) {
        fprintf(stderr, "dajia-worker: no service \"%s\" in this build (aggregate, escalate "
                "or circulate)\n", service_name);
        return 2;
    }

    zsys_init();
    zsys_set_logident("dajia-worker");
    zsys_set_logstream(stderr);
    zsys_set_logsystem(false);

    char default_state[256];
    if (!state) {
        snprintf(default_state, sizeof default_state, "./var/worker-%s", service_name);
        state = default_state;
    }
    char err[512] = "";
    worker_shell_t *shell = NULL;
    worker_shell_options_t opts = {.service = service, .broker = broker, .state_dir = state,
                                   .on_registered = s_ready, .verbose = verbose};
    if (worker_shell_new(&opts, &shell, err, sizeof err) != 0) {
        fprintf(stderr, "dajia-worker: %s\n", err);
        return 1;
    }
    zsys_info("%s: serving the broker at %s", service_name, broker);
    int status = worker_shell_run(shell, NULL) == 0 ? 0 : 1;
    zsys_info("%s: stopped, applied through log_seq %" PRIu64, service_name,
              worker_shell_last_applied(shell));
    worker_shell_destroy(&shell);
    return status;
}
