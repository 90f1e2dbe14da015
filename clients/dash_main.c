/*  dajia-dash: the web dashboard of the Office and the member units.

    Follows the broker's feed (the public one with a dashboard key, every item with the
    office key) into a view held in memory, and serves it as web pages: figures,
    bulletins, and for the Office escalations, major matters and compliance; with
    /healthz and /metrics for operations. Prints "READY http=URL" once it serves.

    Security: it binds 127.0.0.1 by default; any other address needs TLS (--tls-cert,
    --tls-key) and HTTP users (a users file with at least one user, made with `dajia-ctl
    users add`), and the program refuses to start without them, saying what is missing.
*/
#include <czmq.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "client_opts.h"
#include "dajia_error.h"
#include "dajia_keydir.h"
#include "dajia_log.h"
#include "dajia_version.h"
#include "dash_follow.h"
#include "dash_http.h"
#include "dash_labels.h"
#include "dash_sse.h"
#include "dash_users.h"

#define S_NAME           "dajia-dash"
#define S_DEFAULT_BROKER "tcp://127.0.0.1:7400"
#define S_DEFAULT_OFFICE "tcp://127.0.0.1:7402"
#define S_DEFAULT_PUBLIC "tcp://127.0.0.1:7403"
#define S_DEFAULT_HTTP   "127.0.0.1:7480"
#define S_DEFAULT_STATE  "./var/dash"
#define S_PEM_MAX        (1024 * 1024)
#define S_MEMBERS_MAX    256
#define S_SSE_RING       4096

enum { S_EXIT_OK = 0, S_EXIT_ERROR = 1, S_EXIT_USAGE = 2 };
enum {
    S_OPT_FEED = CLIENT_OPT_OWN,
    S_OPT_HTTP,
    S_OPT_NO_STATE,
    S_OPT_USERS,
    S_OPT_TLS_CERT,
    S_OPT_TLS_KEY,
    S_OPT_LANG,
};

typedef struct {
    const char *broker;
    const char *feed;
    const char *http;
    const char *keys;
    const char *name;
    const char *state;
    bool no_state;
    const char *users;
    bool users_given;
    const char *tls_cert;
    const char *tls_key;
    dajia_lang_t lang;
    const char *config;
    int64_t timeout_ms;
} s_options_t;

static void
s_usage(FILE *out)
{
    fprintf(
        out,
        "usage: " S_NAME " [OPTIONS]\n"
        "\n"
        "The web dashboard: follows the broker's feed and serves it as web pages (figures,\n"
        "bulletins; with the office key also escalations, major matters, compliance), with\n"
        "/healthz and /metrics. Prints \"READY http=URL\" once it serves; SIGINT or SIGTERM\n"
        "stops it.\n"
        "\n"
        "options:\n"
        "  --broker ENDPOINT   the broker's api (env DAJIA_BROKER; default " S_DEFAULT_BROKER ")\n"
        "  --feed ENDPOINT     the feed to follow (default: with the office key the office\n"
        "                      feed, env DAJIA_OFFICE or " S_DEFAULT_OFFICE ", else the public\n"
        "                      one, env DAJIA_PUBLIC or " S_DEFAULT_PUBLIC ")\n"
        "  --http HOST:PORT    where to serve (env DAJIA_HTTP; default " S_DEFAULT_HTTP "; port\n"
        "                      0 takes a free one). A non-loopback address needs --tls-cert,\n"
        "                      --tls-key and HTTP users\n"
        "  --keys DIR          key directory (env DAJIA_KEYS; default " DAJIA_KEYDIR_DEFAULT_DIR
        " when it\n"
        "                      holds broker.cert, else no CURVE)\n"
        "  --name NAME         certificate in DIR (env DAJIA_NAME; default dashboard); its\n"
        "                      role decides the pages: office shows the office pages too.\n"
        "                      Without keys, --name office asks for every feed item\n"
        "  --state DIR         where the view is kept between runs (default " S_DEFAULT_STATE ")\n"
        "  --no-state          keep nothing: rebuild the view from the feed at every start\n"
        "  --users FILE        HTTP users (dajia-ctl users add; env DAJIA_USERS; default\n"
        "                      " DASH_USERS_DEFAULT_FILE
        " when it exists): with users every page needs a\n"
        "                      login, and the office pages the office role\n"
        "  --tls-cert FILE     PEM certificate (chain) to serve HTTPS with\n"
        "  --tls-key FILE      its PEM private key (mode 0600)\n"
        "  --lang zh|en        the pages' language (default zh)\n"
        "  -c, --config FILE   the broker's configuration file, for the member units' names\n"
        "                      (its members section; env DAJIA_CONFIG)\n"
        "  --timeout SEC       how long each wait on the broker lasts (default 2)\n"
        "  -h, --help          show this help\n"
        "      --version       show the version and the source revision\n"
        "\n"
        "exit status: 0 stopped by a signal; 1 an error at start; 2 usage.\n");
}

/* Takes one of dajia-dash's own options (client_take_fn). */
static int
s_take(int opt, const char *arg, void *ctx)
{
    s_options_t *o = ctx;
    switch (opt) {
    case S_OPT_FEED:
        o->feed = arg;
        break;
    case S_OPT_HTTP:
        o->http = arg;
        break;
    case S_OPT_NO_STATE:
        o->no_state = true;
        break;
    case S_OPT_USERS:
        o->users = arg;
        o->users_given = true;
        break;
    case S_OPT_TLS_CERT:
        o->tls_cert = arg;
        break;
    case S_OPT_TLS_KEY:
        o->tls_key = arg;
        break;
    case S_OPT_LANG:
        if (dajia_lang_parse(arg, &o->lang) != 0)
            return client_usage_error(S_NAME, "--lang: expected zh or en, got \"%s\"", arg);
        break;
    }
    return 0;
}

static int
s_parse(int argc, char **argv, s_options_t *o)
{
    static const struct option own[] = {
        {"feed", required_argument, NULL, S_OPT_FEED},
        {"http", required_argument, NULL, S_OPT_HTTP},
        {"no-state", no_argument, NULL, S_OPT_NO_STATE},
        {"users", required_argument, NULL, S_OPT_USERS},
        {"tls-cert", required_argument, NULL, S_OPT_TLS_CERT},
        {"tls-key", required_argument, NULL, S_OPT_TLS_KEY},
        {"lang", required_argument, NULL, S_OPT_LANG},
        {NULL, 0, NULL, 0},
    };
    const client_cli_t cli = {
        .program = S_NAME,
        .usage = s_usage,
        .common = CLIENT_OPT_BROKER | CLIENT_OPT_KEYS | CLIENT_OPT_NAME | CLIENT_OPT_STATE |
                  CLIENT_OPT_CONFIG | CLIENT_OPT_TIMEOUT,
        .own = own,
        .take = s_take,
        .ctx = o,
    };
    client_common_t common = {.timeout_ms = 2000};
    int first = 0;
    int status = client_opts_parse(&cli, argc, argv, &common, &first);
    if (status)
        return status;
    o->state = common.state;
    o->timeout_ms = common.timeout_ms;
    if (o->no_state && o->state)
        return client_usage_error(S_NAME, "--state and --no-state do not go together");
    if (!o->tls_cert != !o->tls_key)
        return client_usage_error(S_NAME, "--tls-cert and --tls-key go together");
    o->broker = client_env(common.broker, "DAJIA_BROKER", S_DEFAULT_BROKER);
    o->http = client_env(o->http, "DAJIA_HTTP", S_DEFAULT_HTTP);
    o->name = client_env(common.name, "DAJIA_NAME", DAJIA_KEYDIR_DASHBOARD_NAME);
    o->keys = dajia_keydir_pick(common.keys);
    if (!o->no_state)
        o->state = client_env(o->state, NULL, S_DEFAULT_STATE);
    o->users_given = o->users_given || (getenv("DAJIA_USERS") && *getenv("DAJIA_USERS"));
    o->users = client_env(o->users, "DAJIA_USERS", DASH_USERS_DEFAULT_FILE);
    o->config = client_env(common.config, "DAJIA_CONFIG", NULL);
    return 0;
}

/* Reads a whole PEM file. Returns its text (caller frees) or NULL with a sentence. */
static char *
s_read_pem(const char *path, bool secret, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (secret && fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO))) {
        snprintf(err, errlen, "%s is readable by others: chmod 600 it", path);
        fclose(f);
        return NULL;
    }
    char *text = calloc(1, S_PEM_MAX + 1);
    size_t n = text ? fread(text, 1, S_PEM_MAX, f) : 0;
    fclose(f);
    if (!text || n == 0 || n == S_PEM_MAX) {
        snprintf(err, errlen, "%s: %s", path, !text ? "out of memory" : "empty or too large");
        free(text);
        return NULL;
    }
    return text;
}

/* The member units' names from the broker's configuration file (its members section). */
typedef struct {
    zconfig_t *root;
    dajia_member_t list[S_MEMBERS_MAX];
    size_t count;
} s_members_t;

static int
s_members_load(const char *path, s_members_t *m, char *err, size_t errlen)
{
    m->root = zconfig_load(path);
    if (!m->root) {
        snprintf(err, errlen, "cannot read the configuration file %s", path);
        return -1;
    }
    zconfig_t *section = zconfig_locate(m->root, "members");
    for (zconfig_t *c = section ? zconfig_child(section) : NULL; c && m->count < S_MEMBERS_MAX;
         c = zconfig_next(c)) {
        dajia_member_t *d = &m->list[m->count++];
        d->code = zconfig_name(c);
        d->name = zconfig_get(c, "name", NULL);
        d->name_en = zconfig_get(c, "name_en", NULL);
    }
    return 0;
}

/* Refuses a setting that would expose the dashboard: a non-loopback address without TLS
   and users. */
static int
s_check_exposure(const s_options_t *o, const dash_users_t *users)
{
    if (dash_http_bind_is_loopback(o->http))
        return 0;
    bool tls = o->tls_cert && o->tls_key;
    bool have_users = dash_users_count(users) > 0;
    if (tls && have_users)
        return 0;
    fprintf(
        stderr,
        S_NAME ": refusing to serve on %s: an address other than loopback needs TLS and "
               "HTTP users, and %s%s%s\n",
        o->http, tls ? "" : "no --tls-cert and --tls-key were given",
        !tls && !have_users ? ", and " : "",
        have_users
            ? ""
            : "there are no HTTP users (add one with `dajia-ctl users add NAME --role office`)");
    return -1;
}

int
main(int argc, char **argv)
{
    s_options_t o = {.lang = DAJIA_LANG_ZH};
    int status = s_parse(argc, argv, &o);
    if (status)
        return status;
    zsys_init();
    dajia_log_set_ident(S_NAME);
    status = S_EXIT_ERROR;
    char err[512] = "";
    zcert_t *cert = NULL;
    char broker_key[DAJIA_KEYDIR_KEY_TXT] = "";
    dash_users_t *users = NULL;
    char *cert_pem = NULL, *key_pem = NULL;
    s_members_t members = {0};
    dash_sse_t *sse = NULL;
    dash_follow_t *follow = NULL;
    dash_http_t *http = NULL;

    /* Who we are to the broker. */
    const char *role = o.name;
    if (o.keys) {
        if (client_keys_open(S_NAME, o.keys, o.name, &cert, broker_key))
            goto out;
        role = zcert_meta(cert, DAJIA_KEYDIR_META_ROLE);
        role = role ? role : "";
    }
    bool office = strcmp(role, DAJIA_KEYDIR_ROLE_OFFICE) == 0;
    bool stats = !o.keys || office || strcmp(role, DAJIA_KEYDIR_ROLE_ADMIN) == 0;
    const char *feed = o.feed   ? o.feed
                       : office ? client_env(NULL, "DAJIA_OFFICE", S_DEFAULT_OFFICE)
                                : client_env(NULL, "DAJIA_PUBLIC", S_DEFAULT_PUBLIC);

    /* Who may look. */
    size_t line = 0;
    int rc = dash_users_load(o.users, !o.users_given, &users, &line);
    if (rc) {
        if (rc == DASH_USERS_BADLINE)
            fprintf(stderr, S_NAME ": %s, line %zu: %s\n", o.users, line, dajia_strerror(rc));
        else
            fprintf(stderr, S_NAME ": cannot read the users file %s: %s\n", o.users,
                    dajia_strerror(rc));
        goto out;
    }
    if (s_check_exposure(&o, users) != 0)
        goto out;
    if (o.tls_cert && (!(cert_pem = s_read_pem(o.tls_cert, false, err, sizeof err)) ||
                       !(key_pem = s_read_pem(o.tls_key, true, err, sizeof err)))) {
        fprintf(stderr, S_NAME ": %s\n", err);
        goto out;
    }
    if (o.config && s_members_load(o.config, &members, err, sizeof err) != 0) {
        fprintf(stderr, S_NAME ": %s\n", err);
        goto out;
    }
    if (office && dash_users_count(users) == 0)
        dajia_log_warning("the office pages are open to anyone who reaches %s (no HTTP users)",
                          o.http);

    sse = dash_sse_new(S_SSE_RING);
    if (!sse) {
        fprintf(stderr, S_NAME ": out of memory\n");
        goto out;
    }
    dash_report_ctx_t report = {
        .lang = o.lang, .members = members.count ? members.list : NULL, .n_members = members.count};
    dash_follow_options_t fo = {
        .api = o.broker,
        .feed = feed,
        .audience = office ? DAJIA__AUDIENCE__AUDIENCE_OFFICE : DAJIA__AUDIENCE__AUDIENCE_PUBLIC,
        .cert = cert,
        .broker_key = broker_key,
        .stats = stats,
        .state_dir = o.state,
        .timeout_ms = (int)o.timeout_ms,
        .sse = sse,
        .report = report,
    };
    if (dash_follow_start(&fo, &follow, err, sizeof err) != 0) {
        fprintf(stderr, S_NAME ": %s\n", err);
        goto out;
    }
    /* The first replay, so that the first page already shows the feed (or says why not). */
    dash_follow_wait_first(follow, (int)(4 * o.timeout_ms + 2000));
    dash_http_options_t ho = {
        .bind = o.http,
        .tls_cert = cert_pem,
        .tls_key = key_pem,
        .lang = o.lang,
        .office_key = office,
        .users = users,
        .follow = follow,
        .sse = sse,
        .report = report,
        .tmpdir = NULL,
    };
    if (dash_http_start(&ho, &http, err, sizeof err) != 0) {
        fprintf(stderr, S_NAME ": %s\n", err);
        goto out;
    }
    const char *scheme = cert_pem ? "https" : "http";
    char host[256];
    snprintf(host, sizeof host, "%s", o.http);
    char *colon = strrchr(host, ':');
    if (colon)
        *colon = '\0';
    printf("READY http=%s://%s:%u/\n", scheme, host, dash_http_port(http));
    fflush(stdout);
    dajia_log_info("serving %s://%s:%u/ (%s pages; feed %s)", scheme, host, dash_http_port(http),
                   office ? "public and office" : "public", feed);
    while (!zsys_interrupted)
        zclock_sleep(100);
    dajia_log_info("stopping");
    status = S_EXIT_OK;
out:
    dash_http_stop(&http);
    dash_follow_stop(&follow);
    dash_sse_destroy(&sse);
    dash_users_destroy(&users);
    zconfig_destroy(&members.root);
    if (key_pem)
        explicit_bzero(key_pem, strlen(key_pem));
    free(key_pem);
    free(cert_pem);
    zcert_destroy(&cert);
    return status;
}
