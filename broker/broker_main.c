/*  dajia-broker: stores the events of the member units durably and acknowledges them.

    main() only reads the configuration, starts the server, prints the READY line the
    tests and scripts wait for, and serves until SIGTERM or SIGINT.
*/
#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_config.h"
#include "dajia_log.h"
#include "broker_server.h"
#include "broker_wakeup.h"
#include "dajia_error.h"
#include "dajia_version.h"
#include "worker_keys.h"
#include "worker_shell.h"

#define BROKER_MAX_FLAGS 32
#define BROKER_SERVICES  WORKER_KEYS_SERVICES

/* The in-process workers: one thread per service, over inproc. */
typedef struct {
    worker_shell_t *shell[BROKER_SERVICES];
    zactor_t *actor[BROKER_SERVICES];
} s_workers_t;

static void
s_workers_stop(s_workers_t *w)
{
    for (size_t i = 0; i < BROKER_SERVICES; i++) {
        zactor_destroy(&w->actor[i]);
        worker_shell_destroy(&w->shell[i]);
    }
}

/* A worker's settings: its section of the configuration file, checked (worker_keys.h),
   the broker's member list for circulate (which names the units that reported nothing),
   the members' names for the words every worker writes, and for circulate the escalate
   section too (the bulletin judges matters by the escalate worker's intervals,
   docs/domain.md §5.8), checked likewise. NULL after filling `err`. */
static worker_settings_t *
s_worker_settings(broker_config_t *config, const char *config_path, const char *service, char *err,
                  size_t errlen)
{
    worker_settings_t *settings = worker_settings_new();
    if (!settings) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t len = 0;
    for (size_t i = 0; broker_config_member(config, i); i++)
        len += strlen(broker_config_member(config, i)) + 1;
    char *members = calloc(1, len + 1);
    for (size_t i = 0; members && broker_config_member(config, i); i++) {
        if (i)
            strcat(members, ",");
        strcat(members, broker_config_member(config, i));
    }
    int rc = members ? worker_settings_set(settings, "circulate/members", members) : -1;
    free(members);
    for (size_t i = 0; rc == 0 && broker_config_member(config, i); i++) {
        const char *code = broker_config_member(config, i);
        char path[160];
        snprintf(path, sizeof path, "members/%s/name", code);
        rc = worker_settings_member_add(settings, code, broker_config_get(config, path));
    }
    if (rc == 0 && config_path) {
        rc = worker_settings_load(settings, config_path, service, err, errlen);
        if (rc == 0 && strcmp(service, "circulate") == 0)
            rc = worker_settings_load(settings, config_path, "escalate", err, errlen);
    } else if (rc != 0) {
        snprintf(err, errlen, "out of memory");
    }
    if (rc != 0)
        worker_settings_destroy(&settings);
    return settings;
}

/* The settings of every service (worker_keys_services order), read and checked before
   anything starts, so that a misspelt key or a bad value stops the start whether the
   workers run here or not. Returns 0, or -1 with `err` filled. */
static int
s_workers_settings(broker_config_t *config, const char *config_path,
                   worker_settings_t *settings[BROKER_SERVICES], char *err, size_t errlen)
{
    for (size_t i = 0; i < BROKER_SERVICES; i++) {
        settings[i] = s_worker_settings(config, config_path, worker_keys_services[i], err, errlen);
        if (!settings[i])
            return -1;
    }
    return 0;
}

/* Starts a worker thread per service whose core this build holds, each with its state
   in <worker/state>/<service> (default <data>/../workers/<service>) and its settings
   (s_workers_settings). */
static int
s_workers_start(s_workers_t *w, broker_config_t *config,
                worker_settings_t *const settings[BROKER_SERVICES], broker_server_t *server,
                char *err, size_t errlen)
{
    const char *const *names = worker_keys_services;
    const char *base = broker_config_get(config, "worker/state");
    char *derived = NULL;
    if (!*base)
        base = derived = zsys_sprintf("%s/../workers", broker_config_get(config, "broker/data"));
    int rc = 0;
    for (size_t i = 0; i < BROKER_SERVICES && rc == 0; i++) {
        const worker_service_t *service = worker_service_find(names[i]);
        if (!service) {
            dajia_log_warning("no %s core in this build: its events wait for a dajia-worker",
                              names[i]);
            continue;
        }
        char *dir = zsys_sprintf("%s/%s", base, names[i]);
        worker_shell_options_t opts = {
            .service = service,
            .state_dir = dir,
            .settings = settings[i],
            .broker = broker_server_feed_endpoint(server, BROKER_DISPATCH_WORKERS)};
        rc = dir ? worker_shell_new(&opts, &w->shell[i], err, errlen) : -1;
        if (rc == 0 && !(w->actor[i] = zactor_new(worker_shell_actor, w->shell[i]))) {
            snprintf(err, errlen, "cannot start the %s worker thread", names[i]);
            rc = -1;
        }
        zstr_free(&dir);
    }
    zstr_free(&derived);
    return rc;
}

/* broker/cpu_wakeup_us: holds the kernel request in *fd, or says why it cannot. The
   broker serves either way; the request only makes acks quicker at light load. */
static void
s_wakeup_start(broker_config_t *config, int *fd)
{
    int32_t us;
    char err[256];
    if (broker_config_wakeup_us(config, &us, err, sizeof err) != 0 || us < 0)
        return; /* off (validation has refused anything else) */
    *fd = broker_wakeup_request(BROKER_WAKEUP_DEVICE, us);
    if (*fd >= 0)
        dajia_log_info("CPUs are asked to wake within %" PRId32 " us while the broker serves "
                       "(broker/cpu_wakeup_us)",
                       us);
    else
        dajia_log_warning("broker/cpu_wakeup_us: cannot write %s (%s)%s; serving without it",
                          BROKER_WAKEUP_DEVICE, dajia_strerror(*fd),
                          *fd == -EACCES ? ": only root may, unless a udev rule grants it" : "");
}

/* SIGHUP: re-read the key directory (the server's loop acts on it). */
static volatile sig_atomic_t s_hup;

static void
s_on_hup(int signum)
{
    (void)signum;
    s_hup = 1;
}

static void
s_usage(FILE *out)
{
    fprintf(out,
            "usage: dajia-broker [-c FILE] [--KEY VALUE ...] [-v] [--print-config]\n"
            "\n"
            "Stores the events the member units submit in a durable log and acknowledges\n"
            "each one once it is on disk. Prints \"READY api=... workers=... office=...\n"
            "public=...\" (the endpoints bound) when it serves. With --keys DIR every tcp\n"
            "endpoint takes only the CURVE keys of DIR (dajia-ctl keys init), each with its\n"
            "role; SIGHUP re-reads DIR (a revoke also takes effect by itself within a second).\n"
            "Without keys it listens only on loopback, ipc and inproc endpoints, and with keys\n"
            "on no abstract ipc endpoint (ipc://@NAME), unless --insecure says to.\n"
            "\n"
            "  -c, --config FILE   configuration file (ZPL); see --print-config\n"
            "  -v, --verbose       log every rejected event\n"
            "      --print-config  print the effective configuration, the workers' settings\n"
            "                      included, and exit\n"
            "  -h, --help          this text\n"
            "      --version       the version and the source revision\n"
            "\n"
            "Keys (file path, environment variable, flag), each overriding the one before:\n");
    for (const broker_config_key_t *k = broker_config_keys(); k->path; k++)
        fprintf(out, "  --%-14s %-20s %-18s %s (default %s)\n", k->flag, k->env, k->path, k->help,
                k->value);
    fprintf(out, "\nExample:\n  dajia-broker --data ./var/broker --api tcp://127.0.0.1:7400\n");
}

int
main(int argc, char **argv)
{
    enum { OPT_PRINT_CONFIG = 256, OPT_KEY = 512 };
    struct option options[BROKER_MAX_FLAGS] = {
        {"config", required_argument, NULL, 'c'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"print-config", no_argument, NULL, OPT_PRINT_CONFIG},
        {"version", no_argument, NULL, 'V'},
    };
    int n = 5;
    const broker_config_key_t *keys = broker_config_keys();
    for (int i = 0; keys[i].path && n < BROKER_MAX_FLAGS - 1; i++, n++) {
        /* --external-workers and --insecure alone mean 1 */
        bool optional = streq(keys[i].path, "broker/external_workers") ||
                        streq(keys[i].path, "broker/insecure");
        options[n] = (struct option){keys[i].flag, optional ? optional_argument : required_argument,
                                     NULL, OPT_KEY + i};
    }

    const char *config_path = getenv("DAJIA_CONFIG");
    const char *flag_values[BROKER_MAX_FLAGS] = {0};
    bool verbose = false, print_config = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "c:vh", options, NULL)) != -1) {
        if (opt == 'c')
            config_path = optarg;
        else if (opt == 'v')
            verbose = true;
        else if (opt == 'h') {
            s_usage(stdout);
            return 0;
        } else if (opt == 'V') {
            dajia_version_print(stdout, "dajia-broker");
            return 0;
        } else if (opt == OPT_PRINT_CONFIG)
            print_config = true;
        else if (opt >= OPT_KEY && opt < OPT_KEY + BROKER_MAX_FLAGS)
            flag_values[opt - OPT_KEY] = optarg ? optarg : "1";
        else {
            fprintf(stderr, "dajia-broker: see --help for the options\n");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "dajia-broker: unexpected argument \"%s\"; see --help\n", argv[optind]);
        return 2;
    }

    zsys_init();
    /* No SA_RESTART: the signal wakes the server's poll, which then re-reads the keys. */
    struct sigaction hup;
    memset(&hup, 0, sizeof hup);
    hup.sa_handler = s_on_hup;
    sigemptyset(&hup.sa_mask);
    sigaction(SIGHUP, &hup, NULL);
    dajia_log_set_ident("dajia-broker");
    zsys_set_logstream(stderr);
    zsys_set_logsystem(false);

    char err[512] = "";
    broker_config_t *config = NULL;
    broker_server_t *server = NULL;
    s_workers_t workers = {0};
    worker_settings_t *settings[BROKER_SERVICES] = {0};
    int wakeup = -1;
    int status = 1;
    if (broker_config_load(config_path, &config, err, sizeof err) != 0)
        goto out;
    for (int i = 0; keys[i].path; i++)
        if (flag_values[i])
            broker_config_set(config, keys[i].path, flag_values[i]);
    if (broker_config_validate(config, err, sizeof err) != 0 ||
        s_workers_settings(config, config_path, settings, err, sizeof err) != 0)
        goto out;
    if (print_config) {
        broker_config_print(config, stdout);
        for (size_t i = 0; i < BROKER_SERVICES; i++)
            worker_keys_print(settings[i], worker_keys_services[i], stdout);
        status = 0;
        goto out;
    }
    if (broker_server_new(config, &server, err, sizeof err) != 0)
        goto out;
    broker_server_set_verbose(server, verbose);
    broker_server_set_reload_flag(server, &s_hup);
    if (!streq(broker_config_get(config, "broker/external_workers"), "1") &&
        s_workers_start(&workers, config, settings, server, err, sizeof err) != 0)
        goto out;
    s_wakeup_start(config, &wakeup);
    dajia_log_info("version %s (revision %s), serving on %s, data in %s", dajia_version(),
                   dajia_version_revision(), broker_server_endpoint(server),
                   broker_config_get(config, "broker/data"));
    printf("READY api=%s workers=%s office=%s public=%s\n", broker_server_endpoint(server),
           broker_server_feed_endpoint(server, BROKER_DISPATCH_WORKERS),
           broker_server_feed_endpoint(server, BROKER_DISPATCH_OFFICE),
           broker_server_feed_endpoint(server, BROKER_DISPATCH_PUBLIC));
    fflush(stdout);
    status = broker_server_run(server) == 0 ? 0 : 1;
out:
    if (err[0])
        fprintf(stderr, "dajia-broker: %s\n", err);
    s_workers_stop(&workers);
    for (size_t i = 0; i < BROKER_SERVICES; i++)
        worker_settings_destroy(&settings[i]);
    broker_wakeup_release(&wakeup);
    broker_server_destroy(&server);
    broker_config_destroy(&config);
    return status;
}
