/*  client_opts: one command-line parser for the feed clients, so that dajia-office,
    dajia-dash and dajia-sim take their common options (--broker, --keys, --name,
    --state, -c/--config, --timeout, -h/--help, --version) with the same words, the same
    checks and the same usage errors. Each program still owns its help text, its own
    options and what its options mean once parsed (environment, defaults). */
#include "client_opts.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>

#include "client_args.h"
#include "dajia_error.h"
#include "dajia_version.h"

#define S_MAX_TIMEOUT_S 3600
#define S_MAX_OPTIONS   48 /* common, own, help, version and the end */

/* getopt values of the common long options (-c is 'c'); below CLIENT_OPT_OWN. */
enum { S_BROKER = 256, S_KEYS, S_NAME, S_STATE, S_TIMEOUT };

static const struct {
    unsigned flag;
    struct option option;
} s_common[] = {
    {CLIENT_OPT_BROKER, {"broker", required_argument, NULL, S_BROKER}},
    {CLIENT_OPT_KEYS, {"keys", required_argument, NULL, S_KEYS}},
    {CLIENT_OPT_NAME, {"name", required_argument, NULL, S_NAME}},
    {CLIENT_OPT_STATE, {"state", required_argument, NULL, S_STATE}},
    {CLIENT_OPT_CONFIG, {"config", required_argument, NULL, 'c'}},
    {CLIENT_OPT_TIMEOUT, {"timeout", required_argument, NULL, S_TIMEOUT}},
};

int
client_usage_error(const char *program, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", program);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n%s: try `%s --help`\n", program, program);
    va_end(ap);
    return CLIENT_EXIT_USAGE;
}

int
client_opts_fallback(const char *program, int opt, char **argv, void (*usage)(FILE *out))
{
    switch (opt) {
    case 'h':
        usage(stdout);
        return 0;
    case 'V':
        dajia_version_print(stdout, program);
        return 0;
    case ':':
        return client_usage_error(program, "option \"%s\" needs a value", argv[optind - 1]);
    default:
        return client_usage_error(program, "unknown option \"%s\"", argv[optind - 1]);
    }
}

/* Takes one option: a common one, or the program's own through cli->take. Returns 0 or
   an exit status after saying why. */
static int
s_take(const client_cli_t *cli, int opt, char **argv, client_common_t *common)
{
    switch (opt) {
    case S_BROKER:
        common->broker = optarg;
        return 0;
    case S_KEYS:
        common->keys = optarg;
        return 0;
    case S_NAME:
        common->name = optarg;
        return 0;
    case S_STATE:
        common->state = optarg;
        return 0;
    case 'c':
        common->config = optarg;
        return 0;
    case S_TIMEOUT:
        if (client_parse_seconds(optarg, S_MAX_TIMEOUT_S, &common->timeout_ms) ||
            common->timeout_ms == 0)
            return client_usage_error(cli->program, "--timeout: expected seconds > 0, got \"%s\"",
                                      optarg);
        return 0;
    case 'h':
        cli->usage(stdout);
        exit(0);
    case 'V':
        dajia_version_print(stdout, cli->program);
        exit(0);
    case ':':
        return client_usage_error(cli->program, "%s needs a value", argv[optind - 1]);
    default:
        if (opt >= CLIENT_OPT_OWN && cli->take)
            return cli->take(opt, optarg, cli->ctx);
        return client_usage_error(cli->program, "unknown option \"%s\"", argv[optind - 1]);
    }
}

int
client_opts_parse(const client_cli_t *cli, int argc, char **argv, client_common_t *common,
                  int *first)
{
    struct option longopts[S_MAX_OPTIONS];
    size_t n = 0;
    for (size_t i = 0; i < sizeof s_common / sizeof s_common[0]; i++)
        if (cli->common & s_common[i].flag)
            longopts[n++] = s_common[i].option;
    for (const struct option *own = cli->own; own && own->name; own++) {
        assert(n + 3 < S_MAX_OPTIONS);
        longopts[n++] = *own;
    }
    longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[n++] = (struct option){"version", no_argument, NULL, 'V'};
    longopts[n] = (struct option){NULL, 0, NULL, 0};
    const char *shortopts = cli->common & CLIENT_OPT_CONFIG ? ":hc:" : ":h";
    int opt;
    opterr = 0; /* the errors are ours to say */
    while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        int rc = s_take(cli, opt, argv, common);
        if (rc)
            return rc;
    }
    if (argc - optind > cli->operands)
        return client_usage_error(cli->program, "unexpected argument \"%s\"",
                                  argv[optind + cli->operands]);
    *first = optind;
    return 0;
}

const char *
client_env(const char *value, const char *var, const char *fallback)
{
    if (value && *value)
        return value;
    const char *env = var ? getenv(var) : NULL;
    return env && *env ? env : fallback;
}

int
client_keys_open(const char *program, const char *keys, const char *name, zcert_t **cert,
                 char broker_key[DAJIA_KEYDIR_KEY_TXT])
{
    int rc = dajia_keydir_open(keys, name, cert, broker_key);
    if (rc)
        fprintf(stderr, "%s: cannot use certificate \"%s\" of %s: %s\n", program, name, keys,
                dajia_strerror(rc));
    return rc;
}
