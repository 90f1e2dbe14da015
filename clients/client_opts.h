/*  client_opts: the command line the feed clients share (dajia-office, dajia-dash,
    dajia-sim).

    Each program names the common options it takes (--broker, --keys, --name, --state,
    -c/--config, --timeout) and adds its own; client_opts_parse runs getopt over both,
    answers -h/--help and --version, and says a usage error the same way in every program:
    "PROGRAM: what is wrong" then "PROGRAM: try `PROGRAM --help`", exit status 2.
    dajia-agent and dajia-ctl run getopt themselves but share the usage error and
    client_opts_fallback. */
#ifndef CLIENT_OPTS_H
#define CLIENT_OPTS_H

#include <czmq.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "dajia_keydir.h"

#define CLIENT_EXIT_USAGE 2

/* The common options a program takes (client_cli_t.common). */
enum {
    CLIENT_OPT_BROKER = 1 << 0,  /* --broker ENDPOINT */
    CLIENT_OPT_KEYS = 1 << 1,    /* --keys DIR */
    CLIENT_OPT_NAME = 1 << 2,    /* --name NAME */
    CLIENT_OPT_STATE = 1 << 3,   /* --state DIR */
    CLIENT_OPT_CONFIG = 1 << 4,  /* -c, --config FILE */
    CLIENT_OPT_TIMEOUT = 1 << 5, /* --timeout SEC: seconds > 0, at most an hour */
};

/* A program's own long options take getopt values from here on. */
#define CLIENT_OPT_OWN 1024

/* The common options' values, as given (NULL: not given; the program applies its
   environment and defaults). Borrowed from argv. */
typedef struct {
    const char *broker;
    const char *keys;
    const char *name;
    const char *state;
    const char *config;
    int64_t timeout_ms; /* set by the caller to its default before parsing */
} client_common_t;

/* Takes one of the program's own options (`opt` its getopt value, `arg` its value or
   NULL). Returns 0, or an exit status after saying why (client_usage_error). */
typedef int(client_take_fn)(int opt, const char *arg, void *ctx);

typedef struct {
    const char *program;      /* e.g. "dajia-office": starts every message */
    void (*usage)(FILE *out); /* the help, for -h/--help */
    unsigned common;          /* the CLIENT_OPT_* it takes */
    int operands;             /* how many operands it takes at most */
    const struct option *own; /* its own options, values >= CLIENT_OPT_OWN; ended by a
                                 zero entry; NULL: none */
    client_take_fn *take;     /* takes them */
    void *ctx;                /* for take */
} client_cli_t;

/* Parses argv into `common` and, through cli->take, the program's own options. -h/--help
   prints the help and --version the version, and both exit(0). Returns 0 with *first the
   index in argv of the first operand (argc when none), or an exit status after saying
   what is wrong. */
int
client_opts_parse(const client_cli_t *cli, int argc, char **argv, client_common_t *common,
                  int *first);

/* Says a usage error as above. Returns CLIENT_EXIT_USAGE. */
int
client_usage_error(const char *program, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The getopt values a program running getopt itself (with opterr 0 and a leading ':' in
   its short options) answers like every other: 'h' prints `usage` and 'V' the version,
   both returning 0; ':' says "option \"--x\" needs a value" and any other value "unknown
   option \"--x\"", returning CLIENT_EXIT_USAGE (client_usage_error). */
int
client_opts_fallback(const char *program, int opt, char **argv, void (*usage)(FILE *out));

/* `value` when given and not empty, else $`var` when set and not empty (`var` NULL: no
   variable), else `fallback`. Borrowed. */
const char *
client_env(const char *value, const char *var, const char *fallback);

/* Opens certificate `name` of key directory `keys` and the broker's key (as
   dajia_keydir_open), saying why not: "PROGRAM: cannot use certificate ...". Returns 0
   or the code of dajia_keydir_open(). The caller owns *cert. */
int
client_keys_open(const char *program, const char *keys, const char *name, zcert_t **cert,
                 char broker_key[DAJIA_KEYDIR_KEY_TXT]);

#endif
