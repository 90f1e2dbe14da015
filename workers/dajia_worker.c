/*  dajia-worker: one worker service as a process of its own, on this host or another.

    main() only parses the flags, loads its key pair (a broker with keys takes a worker
    certificate on its workers endpoint), opens the state and runs the shell until SIGTERM
    or SIGINT. It prints "READY service=NAME" once the broker has confirmed the
    registration.

    The key directory is the one `dajia-ctl keys init` makes, read with dajia_keydir like
    every other program: this one needs secret/NAME.cert_secret and broker.cert.
*/
#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dajia_error.h"
#include "dajia_keydir.h"
#include "worker_keys.h"
#include "worker_shell.h"
#include "dajia_log.h"
#include "dajia_version.h"

#define WORKER_DEFAULT_BROKER "tcp://127.0.0.1:7401"
#define WORKER_HANDSHAKE_MS   5000 /* how long the broker has to admit our key */

/* Loads our key pair DIR/secret/NAME.cert_secret (which only we may read) and the
   broker's public key. Returns 0, or -1 after saying why. */
static int
s_keys_load(const char *dir, const char *name, zcert_t **own, char broker_key[DAJIA_KEYDIR_KEY_TXT])
{
    int rc = dajia_keydir_load(dir, name, own);
    if (rc) {
        fprintf(stderr,
                "dajia-worker: cannot use the certificate %s of %s: %s (dajia-ctl keys add "
                "--role worker --name %s makes one)\n",
                name, dir, dajia_strerror(rc), name);
        return -1;
    }
    const char *role = zcert_meta(*own, DAJIA_KEYDIR_META_ROLE);
    if (!role || strcmp(role, DAJIA_KEYDIR_ROLE_WORKER) != 0) {
        fprintf(stderr, "dajia-worker: %s of %s is not a worker certificate\n", name, dir);
        zcert_destroy(own);
        return -1;
    }
    rc = dajia_keydir_broker_key(dir, broker_key);
    if (rc) {
        fprintf(stderr, "dajia-worker: cannot read the broker's certificate %s/%s: %s\n", dir,
                DAJIA_KEYDIR_BROKER_CERT, dajia_strerror(rc));
        zcert_destroy(own);
        return -1;
    }
    return 0;
}

/* Connects once with our key and waits for the handshake (dajia_keydir_connect), so that
   a key the broker refuses is an error now rather than a worker waiting for ever.
   Returns 0 when admitted or when no answer came (the broker may not be up yet), -1
   when refused. */
static int
s_keys_probe(const char *endpoint, zcert_t *own, const char *broker_key)
{
    zsock_t *probe = zsock_new(ZMQ_DEALER);
    if (!probe)
        return 0; /* the shell will say what is wrong */
    zsock_set_linger(probe, 0);
    int rc = dajia_keydir_apply(probe, own, broker_key);
    if (rc == 0)
        rc = dajia_keydir_connect(probe, endpoint, WORKER_HANDSHAKE_MS);
    zsock_destroy(&probe);
    if (rc == DAJIA_KEYDIR_REFUSED)
        fprintf(stderr, "dajia-worker: the broker refused this key: it does not trust this "
                        "certificate on its workers endpoint (unknown, revoked, or not a "
                        "worker's)\n");
    else if (rc == DAJIA_KEYDIR_HANDSHAKE)
        fprintf(stderr, "dajia-worker: the broker refused this key: the handshake failed (is "
                        "broker.cert this broker's?)\n");
    else if (rc == DAJIA_KEYDIR_NOCURVE)
        fprintf(stderr, "dajia-worker: %s\n", dajia_strerror(rc));
    else
        return 0;
    return -1;
}

static void
s_usage(FILE *out)
{
    fprintf(
        out,
        "usage: dajia-worker --service NAME [--broker ENDPOINT] [--state DIR]\n"
        "                    [-c FILE] [--keys DIR] [--name NAME] [-v]\n"
        "\n"
        "Runs one worker service (aggregate, escalate or circulate) for a broker started\n"
        "with --external-workers. Prints \"READY service=NAME\" once registered.\n"
        "\n"
        "  -s, --service NAME    the service to run (required)\n"
        "  -b, --broker ENDPOINT the broker's workers endpoint (default $DAJIA_WORKERS or\n"
        "                        " WORKER_DEFAULT_BROKER ")\n"
        "      --state DIR       the service's state store (default ./var/worker-NAME)\n"
        "  -c, --config FILE     settings from the section named after the service\n"
        "                        (thresholds, intervals, periods; env DAJIA_CONFIG);\n"
        "                        the broker's configuration file will do; an unknown\n"
        "                        key or a bad value stops the start\n"
        "      --print-config    print the service's settings (every key, with its value)\n"
        "                        as -c reads them, and exit\n"
        "      --keys DIR        key directory (env DAJIA_KEYS; default " DAJIA_KEYDIR_DEFAULT_DIR
        "\n"
        "                        when it holds broker.cert, else no CURVE)\n"
        "      --name NAME       certificate name in DIR (env DAJIA_NAME; default\n"
        "                        worker-SERVICE)\n"
        "  -v, --verbose         log every message\n"
        "  -h, --help            this text\n"
        "      --version         the version and the source revision\n");
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
    enum { OPT_STATE = 256, OPT_KEYS, OPT_NAME, OPT_PRINT_CONFIG };
    struct option options[] = {{"service", required_argument, NULL, 's'},
                               {"broker", required_argument, NULL, 'b'},
                               {"state", required_argument, NULL, OPT_STATE},
                               {"verbose", no_argument, NULL, 'v'},
                               {"keys", required_argument, NULL, OPT_KEYS},
                               {"name", required_argument, NULL, OPT_NAME},
                               {"config", required_argument, NULL, 'c'},
                               {"print-config", no_argument, NULL, OPT_PRINT_CONFIG},
                               {"help", no_argument, NULL, 'h'},
                               {"version", no_argument, NULL, 'V'},
                               {NULL, 0, NULL, 0}};
    const char *service_name = NULL, *state = NULL, *keys = NULL, *name = NULL;
    const char *config_path = getenv("DAJIA_CONFIG");
    const char *broker = getenv("DAJIA_WORKERS") ? getenv("DAJIA_WORKERS") : WORKER_DEFAULT_BROKER;
    bool verbose = false, print_config = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "s:b:c:vh", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 's':
            service_name = optarg;
            break;
        case 'b':
            broker = optarg;
            break;
        case OPT_STATE:
            state = optarg;
            break;
        case OPT_KEYS:
            keys = optarg;
            break;
        case OPT_NAME:
            name = optarg;
            break;
        case 'v':
            verbose = true;
            break;
        case OPT_PRINT_CONFIG:
            print_config = true;
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        case 'V':
            dajia_version_print(stdout, "dajia-worker");
            return 0;
        default:
            fprintf(stderr, "dajia-worker: see --help for the options\n");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "dajia-worker: unexpected argument \"%s\"; see --help\n", argv[optind]);
        return 2;
    }
    if (!service_name) {
        fprintf(stderr, "dajia-worker: --service NAME is required (aggregate, escalate or "
                        "circulate)\n");
        return 2;
    }
    const worker_service_t *service = worker_service_find(service_name);
    if (!service) {
        fprintf(stderr,
                "dajia-worker: no service \"%s\" in this build (aggregate, escalate "
                "or circulate)\n",
                service_name);
        return 2;
    }

    zsys_init();
    dajia_log_set_ident("dajia-worker");
    zsys_set_logstream(stderr);
    zsys_set_logsystem(false);

    /* The settings first: a misspelt key or a bad value stops the start before anything
       connects. */
    char err[512] = "";
    worker_settings_t *settings = worker_settings_new();
    int rc = settings ? 0 : -1;
    if (rc)
        snprintf(err, sizeof err, "out of memory");
    else if (config_path && *config_path) {
        /* Its own section, the member names for the words it writes, and for circulate
           the escalate section too: the bulletin judges matters by the escalate
           worker's intervals (docs/domain.md §5.8). */
        rc = worker_settings_load(settings, config_path, service_name, err, sizeof err);
        if (rc == 0)
            rc = worker_settings_load_members(settings, config_path, err, sizeof err);
        if (rc == 0 && strcmp(service_name, "circulate") == 0)
            rc = worker_settings_load(settings, config_path, "escalate", err, sizeof err);
    }
    if (rc == 0 && print_config) {
        worker_keys_print(settings, service_name, stdout);
        worker_settings_destroy(&settings);
        return 0;
    }
    if (rc != 0) {
        fprintf(stderr, "dajia-worker: %s\n", err);
        worker_settings_destroy(&settings);
        return 1;
    }

    char default_state[256];
    if (!state) {
        snprintf(default_state, sizeof default_state, "./var/worker-%s", service_name);
        state = default_state;
    }
    keys = dajia_keydir_pick(keys);
    if (!name || !*name)
        name = getenv("DAJIA_NAME");
    char default_name[64];
    if (!name || !*name) {
        snprintf(default_name, sizeof default_name, DAJIA_KEYDIR_WORKER_PREFIX "%s", service_name);
        name = default_name;
    }
    zcert_t *own = NULL;
    char broker_key[DAJIA_KEYDIR_KEY_TXT] = "";
    if (keys && (s_keys_load(keys, name, &own, broker_key) != 0 ||
                 s_keys_probe(broker, own, broker_key) != 0)) {
        zcert_destroy(&own);
        worker_settings_destroy(&settings);
        return 1;
    }
    worker_shell_t *shell = NULL;
    worker_shell_options_t opts = {.service = service,
                                   .broker = broker,
                                   .state_dir = state,
                                   .on_registered = s_ready,
                                   .verbose = verbose,
                                   .cert = own,
                                   .settings = settings,
                                   .broker_key = own ? broker_key : NULL};
    rc = worker_shell_new(&opts, &shell, err, sizeof err);
    worker_settings_destroy(&settings);
    zcert_destroy(&own);
    if (rc != 0) {
        fprintf(stderr, "dajia-worker: %s\n", err);
        return 1;
    }
    dajia_log_info("%s: serving the broker at %s", service_name, broker);
    int status = worker_shell_run(shell, NULL) == 0 ? 0 : 1;
    dajia_log_info("%s: stopped, applied through log_seq %" PRIu64, service_name,
                   worker_shell_last_applied(shell));
    worker_shell_destroy(&shell);
    return status;
}
