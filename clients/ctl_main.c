/*  dajia-ctl: the administrator's tool.

    stats  asks the running broker for its counters (the STATS request) and prints them.
    dump   reads the broker's log straight from its LMDB directory, read-only, and prints
           one JSON object per stored event. It works while the broker runs: each chunk
           of records is read in its own short read transaction, so a long dump never
           pins old pages and makes the broker's map grow.
    backup, restore
           a hot copy of the broker's and the workers' stores, and its restore
           (ctl_backup.h).
    keys   makes and revokes the CURVE certificates of the broker and its clients, in a
           key directory (see dajia_keydir.h for the layout). A running broker watches
           that directory, so a revoke takes effect without a restart; `keys export`
           writes one client's key file.
    users  adds, removes and lists the web dashboard's HTTP users (dash_users.h); the
           password is read from standard input, without echo on a terminal.
*/
#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_args.h"
#include "client_opts.h"
#include "ctl_backup.h"
#include "dajia_log.h"
#include "dajia_api.h"
#include "dajia_codec.h"
#include "dajia_error.h"
#include "dajia_json.h"
#include "dajia_keydir.h"
#include "dajia_tables.h"
#include "dash_users.h"
#include "store.h"

#include <termios.h>
#include <unistd.h>

#define S_NAME               "dajia-ctl"
#define S_DEFAULT_BROKER     "tcp://127.0.0.1:7400"
#define S_DEFAULT_DATA       "./var/broker"
#define S_MAX_UNITS          1000 /* --units entries */
#define S_DEFAULT_TIMEOUT_MS 5000
#define S_MAX_TIMEOUT_S      3600
#define S_REAL_DIGITS        6     /* enough for stats, without binary noise */
#define S_DUMP_CHUNK         10000 /* records per read transaction */

enum { S_EXIT_OK = 0, S_EXIT_ERROR = 1, S_EXIT_USAGE = 2 };
enum {
    S_OPT_BROKER = 256,
    S_OPT_DATA,
    S_OPT_FROM,
    S_OPT_TIMEOUT,
    S_OPT_DIR,
    S_OPT_UNITS,
    S_OPT_ROLE,
    S_OPT_UNIT,
    S_OPT_NAME,
    S_OPT_KEYS,
    S_OPT_FORCE,
    S_OPT_WORKER_STATE,
    S_OPT_FILE,
};

/* The member units `keys init` makes certificates for when --units is not given: the
   broker's default member list (broker_config.c). */
static const char *const s_default_units[] = {
    "publicity", "polilegal", "govoffice", "drc",   "iit",           "psb",
    "justice",   "finance",   "eco",       "agri",  "commerce",      "culture",
    "health",    "pboc",      "customs",   "tax",   "msa",           "cac",
    "forestea",  "post",      "tobacco",   "court", "procuratorate",
};

typedef struct {
    const char *broker;
    const char *data;
    int64_t from;
    int64_t timeout_ms;
    const char *keys;  /* key directory */
    const char *units; /* comma-separated, for keys init */
    const char *role;
    const char *unit;
    const char *name;
    const char *client_keys;  /* --keys, for stats */
    bool force;               /* keys export: print a secret on a terminal too */
    const char *worker_state; /* backup, restore: the in-process workers' state */
    const char *users;        /* --file, for users */
} s_options_t;

static void
s_usage(FILE *out)
{
    fprintf(out,
            "usage: " S_NAME " [OPTIONS] COMMAND\n"
            "\n"
            "commands:\n"
            "  stats            print the running broker's counters (JSON)\n"
            "  dump             print the stored log, one JSON object per event; reads the\n"
            "                   broker's data directory directly (read-only, safe while the\n"
            "                   broker runs)\n"
            "  backup DIR [--keys KEYDIR]\n"
            "                   a hot, consistent, compacted copy of the broker's store and\n"
            "                   the in-process workers' stores (and of KEYDIR) into DIR,\n"
            "                   which must be new or empty; safe while the broker runs\n"
            "  restore DIR [--keys KEYDIR]\n"
            "                   restore backup DIR into --data (and --worker-state, and\n"
            "                   KEYDIR), each of which must be new or empty; the store gets\n"
            "                   a new identity, so the agents send again what they kept\n"
            "  keys init [--units a,b,...]\n"
            "                   make a key directory: the broker's key pair and one\n"
            "                   certificate per member unit (default: the 23 members), the\n"
            "                   office, a dashboard, the admin and each worker service\n"
            "  keys add --role ROLE [--unit CODE] [--name NAME]\n"
            "                   add a certificate; ROLE is unit (needs --unit), office,\n"
            "                   dashboard, worker or admin; NAME defaults to the unit code\n"
            "                   or the role\n"
            "  keys revoke NAME take certificate NAME out of the trusted set (a running\n"
            "                   broker notices within a second, or at once on SIGHUP)\n"
            "  keys list        every certificate: name, role, unit, public key, status\n"
            "  keys export NAME [--force]\n"
            "                   write certificate NAME's key file to standard output (made\n"
            "                   mode 0600 when it is a file): its key pair and the broker's\n"
            "                   public key, for `dajia-agent keys import FILE`; refused on a\n"
            "                   terminal without --force, since it holds a secret key\n"
            "  users add NAME --role office|viewer\n"
            "                   add an HTTP user of the web dashboard; the password (10 to 256\n"
            "                   characters) is read from standard input, twice on a terminal\n"
            "  users remove NAME, users list\n"
            "\n"
            "options:\n"
            "  --broker ENDPOINT   broker api endpoint, for stats (env DAJIA_BROKER; default\n"
            "                      " S_DEFAULT_BROKER ")\n"
            "  --timeout SEC       how long stats waits for the broker (default %d)\n"
            "  --keys DIR          key directory stats connects with (env DAJIA_KEYS; default\n"
            "                      " DAJIA_KEYDIR_DEFAULT_DIR " when it holds broker.cert, else no "
            "CURVE)\n"
            "  --name NAME         with stats: the certificate to use (env DAJIA_NAME; default\n"
            "                      admin)\n"
            "  --data DIR          the broker's data directory, for dump (env DAJIA_DATA;\n"
            "                      default " S_DEFAULT_DATA ")\n"
            "  --from SEQ          dump from this log_seq on (default 1)\n"
            "  --worker-state DIR  the in-process workers' state, for backup and restore\n"
            "                      (env DAJIA_WORKER_STATE; default DATA/../workers)\n"
            "  --file FILE         the dashboard's users file, for users (env DAJIA_USERS;\n"
            "                      default " DASH_USERS_DEFAULT_FILE ")\n"
            "  --dir DIR           the key directory, for keys (env DAJIA_KEYS; default\n"
            "                      " DAJIA_KEYDIR_DEFAULT_DIR ")\n"
            "  -h, --help          show this help\n"
            "      --version       show the version and the source revision\n"
            "\n"
            "Each client gets its own secret/NAME.cert_secret and the broker's broker.cert\n"
            "(never another client's secret); the broker gets the whole directory.\n"
            "\n"
            "exit status: 0 done; 1 an error (broker not answering, unreadable data, a\n"
            "certificate that exists already or does not exist); 2 usage.\n",
            S_DEFAULT_TIMEOUT_MS / 1000);
}

/* ====================================================================== stats */

/* Prints the STATS body: pretty when it is JSON, as it came otherwise. */
static void
s_print_stats(const char *body, size_t len)
{
    json_error_t err;
    json_t *root = json_loadb(body, len, 0, &err);
    if (root &&
        json_dumpf(root, stdout,
                   JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(S_REAL_DIGITS)) == 0)
        fputc('\n', stdout);
    else
        printf("%.*s\n", (int)len, body);
    json_decref(root);
}

/* Explains a refusal (an ACK instead of STATS: an old broker, or no right to ask). */
static void
s_print_refusal(const void *body, size_t len)
{
    Dajia__Ack *ack = dajia__ack__unpack(NULL, len, body);
    if (ack) {
        fprintf(stderr, S_NAME ": the broker refused STATS: %s: %s\n",
                dajia_reason_name(ack->reason), ack->reason_text);
        dajia__ack__free_unpacked(ack, NULL);
    } else
        fprintf(stderr, S_NAME ": the broker refused STATS with an undecodable ack\n");
}

static int
s_cmd_stats(const s_options_t *o)
{
    int status = S_EXIT_ERROR;
    zmsg_t *reply = NULL;
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    if (!sock) {
        fprintf(stderr, S_NAME ": cannot create a socket: %s\n", zmq_strerror(errno));
        return S_EXIT_ERROR;
    }
    zsock_set_linger(sock, 0);
    const char *keys = dajia_keydir_pick(o->client_keys);
    if (keys) {
        const char *name = o->name && *o->name ? o->name : getenv("DAJIA_NAME");
        if (!name || !*name)
            name = DAJIA_KEYDIR_ADMIN_NAME;
        zcert_t *own = NULL;
        char broker_key[DAJIA_KEYDIR_KEY_TXT];
        int rc = dajia_keydir_open(keys, name, &own, broker_key);
        if (rc == 0)
            rc = dajia_keydir_apply(sock, own, broker_key);
        zcert_destroy(&own);
        if (rc) {
            fprintf(stderr, S_NAME ": cannot use certificate \"%s\" of %s: %s\n", name, keys,
                    dajia_strerror(rc));
            goto out;
        }
        rc = dajia_keydir_connect(sock, o->broker, (int)o->timeout_ms);
        if (rc == DAJIA_KEYDIR_REFUSED || rc == DAJIA_KEYDIR_HANDSHAKE) {
            fprintf(stderr, S_NAME ": the broker refused this key: %s (certificate \"%s\")\n",
                    dajia_strerror(rc), name);
            goto out;
        }
        if (rc == -ETIMEDOUT) {
            fprintf(stderr,
                    S_NAME ": no answer from the broker at %s within %g s (is it running?)\n",
                    o->broker, (double)o->timeout_ms / 1000);
            goto out;
        }
        if (rc) {
            fprintf(stderr, S_NAME ": cannot connect to \"%s\": %s\n", o->broker,
                    dajia_strerror(rc));
            goto out;
        }
    } else if (zsock_connect(sock, "%s", o->broker) != 0) {
        fprintf(stderr, S_NAME ": cannot connect to \"%s\": not a valid endpoint\n", o->broker);
        goto out;
    }
    /* Queued until the connection is up; the poll below bounds the whole wait. */
    zsock_set_sndtimeo(sock, (int)o->timeout_ms);
    if (zstr_sendm(sock, DAJIA_API_STATS) != 0 || zmq_send(zsock_resolve(sock), "", 0, 0) != 0) {
        fprintf(stderr, S_NAME ": cannot send to the broker at %s: %s\n", o->broker,
                zmq_strerror(errno));
        goto out;
    }
    zmq_pollitem_t item = {zsock_resolve(sock), 0, ZMQ_POLLIN, 0};
    int n = zmq_poll(&item, 1, (long)o->timeout_ms);
    if (n <= 0) {
        if (n == 0)
            fprintf(stderr,
                    S_NAME ": no answer from the broker at %s within %g s (is it running?)\n",
                    o->broker, (double)o->timeout_ms / 1000);
        else
            fprintf(stderr, S_NAME ": interrupted\n");
        goto out;
    }
    reply = zmsg_recv(sock);
    zframe_t *cmd = reply ? zmsg_first(reply) : NULL;
    zframe_t *body = reply ? zmsg_next(reply) : NULL;
    if (!cmd || !body || zmsg_size(reply) != DAJIA_API_FRAMES) {
        fprintf(stderr, S_NAME ": the broker at %s sent a malformed reply\n", o->broker);
        goto out;
    }
    if (zframe_streq(cmd, DAJIA_API_STATS_REPLY)) {
        s_print_stats((const char *)zframe_data(body), zframe_size(body));
        status = S_EXIT_OK;
    } else if (zframe_streq(cmd, DAJIA_API_ACK))
        s_print_refusal(zframe_data(body), zframe_size(body));
    else
        fprintf(stderr, S_NAME ": the broker at %s sent an unexpected reply\n", o->broker);
out:
    zmsg_destroy(&reply);
    zsock_destroy(&sock);
    return status;
}

/* ====================================================================== dump */

/* Prints one log entry as a JSON line. Returns 0, or -1 when it does not decode (a line
   with "error" is printed instead). */
static int
s_dump_one(uint64_t key_seq, const void *data, size_t len)
{
    Dajia__LogRecord *rec = dajia__log_record__unpack(NULL, len, data);
    if (!rec) {
        printf("{\"log_seq\":%" PRIu64 ",\"error\":\"the log record does not decode\"}\n", key_seq);
        return -1;
    }
    int rc = 0;
    char when[32];
    dajia_json_format_time(rec->received_at, when, sizeof when);
    Dajia__Envelope *env = dajia__envelope__unpack(NULL, rec->envelope.len, rec->envelope.data);
    char *json = env ? dajia_json_from_message(&env->base) : NULL;
    /* A submission time the broker trusted (the Office's import of history) beside it. */
    char submitted[64] = "";
    if (rec->submitted_at) {
        char at[32];
        dajia_json_format_time(rec->submitted_at, at, sizeof at);
        snprintf(submitted, sizeof submitted, ",\"submitted_at\":\"%s\"", at);
    }
    if (json)
        printf("{\"log_seq\":%" PRIu64 ",\"received_at\":\"%s\"%s,\"event\":%s}\n", rec->log_seq,
               when, submitted, json);
    else {
        printf("{\"log_seq\":%" PRIu64 ",\"received_at\":\"%s\",\"error\":\"%s\"}\n", rec->log_seq,
               when, env ? "out of memory" : "the stored envelope does not decode");
        rc = -1;
    }
    free(json);
    if (env)
        dajia__envelope__free_unpacked(env, NULL);
    dajia__log_record__free_unpacked(rec, NULL);
    return rc;
}

/* Dumps up to S_DUMP_CHUNK entries from *from on, in one read transaction, and moves
 *from past them. Sets *done at the end of the log. */
static int
s_dump_chunk(store_t *store, uint64_t *from, bool *done, uint64_t *bad)
{
    store_txn_t *txn = NULL;
    store_cursor_t *cursor = NULL;
    int rc = store_read_begin(store, &txn);
    if (rc)
        goto out;
    rc = store_cursor_open(txn, DAJIA_TABLE_LOG, &cursor);
    if (rc)
        goto out;
    unsigned char start[DAJIA_TABLE_U64];
    store_u64_to_key(*from, start);
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    rc = store_cursor_seek(cursor, start, sizeof start, &k, &kl, &v, &vl);
    for (int n = 0; rc == 0 && n < S_DUMP_CHUNK; n++) {
        if (kl != DAJIA_TABLE_U64) {
            rc = STORE_CORRUPT;
            break;
        }
        uint64_t seq = store_key_to_u64(k);
        if (s_dump_one(seq, v, vl) != 0)
            (*bad)++;
        *from = seq + 1;
        rc = store_cursor_next(cursor, &k, &kl, &v, &vl);
    }
out:
    store_cursor_close(&cursor);
    store_txn_end(&txn);
    if (rc == STORE_NOTFOUND) {
        *done = true;
        rc = 0;
    }
    return rc;
}

static int
s_cmd_dump(const s_options_t *o)
{
    store_t *store = NULL;
    store_options_t so = {.read_only = true};
    int rc = store_open(o->data, &so, &store);
    if (rc) {
        fprintf(stderr, S_NAME ": cannot open the broker's data in %s: %s\n", o->data,
                dajia_strerror(rc));
        return S_EXIT_ERROR;
    }
    uint64_t from = (uint64_t)o->from, bad = 0;
    bool done = false;
    while (rc == 0 && !done)
        rc = s_dump_chunk(store, &from, &done, &bad);
    store_destroy(&store);
    if (rc == STORE_BADTABLE)
        rc = 0; /* no log table yet: nothing was ever stored */
    if (rc) {
        fprintf(stderr, S_NAME ": cannot read the log in %s: %s\n", o->data, dajia_strerror(rc));
        return S_EXIT_ERROR;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, S_NAME ": cannot write the dump: %s\n", strerror(errno));
        return S_EXIT_ERROR;
    }
    if (bad) {
        fprintf(stderr, S_NAME ": %" PRIu64 " log entr%s did not decode\n", bad,
                bad == 1 ? "y" : "ies");
        return S_EXIT_ERROR;
    }
    return S_EXIT_OK;
}

/* ====================================================================== keys */

/* Exit status for a key directory error: the user's input, or the state of the files. */
static int
s_keys_error(const char *what, const char *dir, int rc)
{
    fprintf(stderr, S_NAME ": %s in %s: %s\n", what, dir, dajia_strerror(rc));
    switch (rc) {
    case DAJIA_KEYDIR_BADROLE:
    case DAJIA_KEYDIR_NOUNIT:
    case DAJIA_KEYDIR_BADUNIT:
    case DAJIA_KEYDIR_BADNAME:
        return S_EXIT_USAGE;
    default:
        return S_EXIT_ERROR;
    }
}

/* Splits the comma-separated `text` into `units` (pointers into `copy`, which the
   caller frees). Returns the count, or -1 for an empty item or too many. */
static int
s_split_units(const char *text, char **copy, const char **units, size_t max)
{
    *copy = strdup(text);
    if (!*copy)
        return -1;
    size_t n = 0;
    for (char *p = *copy;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = 0;
        if (!*p || n == max)
            return -1;
        units[n++] = p;
        if (!comma)
            break;
        p = comma + 1;
    }
    return (int)n;
}

static int
s_keys_init(const s_options_t *o)
{
    const char **units = NULL;
    char *copy = NULL;
    int status = S_EXIT_ERROR;
    size_t count = sizeof s_default_units / sizeof s_default_units[0];
    if (o->units) {
        units = calloc(S_MAX_UNITS, sizeof *units);
        if (!units) {
            fprintf(stderr, S_NAME ": out of memory\n");
            goto out;
        }
        int n = s_split_units(o->units, &copy, units, S_MAX_UNITS);
        if (n < 0) {
            status = client_usage_error(S_NAME,
                                        "--units wants unit codes separated by commas (at most "
                                        "%d), not \"%s\"",
                                        S_MAX_UNITS, o->units);
            goto out;
        }
        count = (size_t)n;
    }
    int rc = dajia_keydir_init(o->keys, units ? units : s_default_units, count);
    if (rc == DAJIA_KEYDIR_EXISTS)
        fprintf(stderr,
                S_NAME ": cannot make keys in %s: it has keys already, or a unit code "
                       "repeats or is the name of a fixed certificate (office, dashboard, "
                       "admin, worker-*); use `keys add` to add to it\n",
                o->keys);
    else if (rc)
        status = s_keys_error("cannot make keys", o->keys, rc);
    else {
        printf("made %s: the broker's key pair and client certificates for %zu unit%s, the "
               "office, a dashboard, the admin and each worker service (see `keys list`)\n"
               "start the broker with --keys %s; give each client its "
               "secret/NAME.cert_secret and broker.cert\n",
               o->keys, count, count == 1 ? "" : "s", o->keys);
        status = S_EXIT_OK;
    }
out:
    free(copy);
    free(units);
    return status;
}

static int
s_keys_add(const s_options_t *o)
{
    if (!o->role)
        return client_usage_error(S_NAME, "%s",
                                  "keys add needs --role (unit, office, dashboard, worker "
                                  "or admin)");
    dajia_keydir_entry_t made;
    int rc = dajia_keydir_add(o->keys, o->role, o->unit, o->name, &made);
    if (rc == DAJIA_KEYDIR_EXISTS) {
        fprintf(stderr,
                S_NAME ": a certificate \"%s\" exists in %s already; give another --name, "
                       "or revoke it first\n",
                o->name && *o->name   ? o->name
                : o->unit && *o->unit ? o->unit
                                      : o->role,
                o->keys);
        return S_EXIT_ERROR;
    }
    if (rc == DAJIA_KEYDIR_NOTFOUND) {
        fprintf(stderr,
                S_NAME ": %s has no broker key pair; run `" S_NAME " keys init --dir %s` first\n",
                o->keys, o->keys);
        return S_EXIT_ERROR;
    }
    if (rc)
        return s_keys_error("cannot add a certificate", o->keys, rc);
    printf("added %s (role %s%s%s): give %s/" DAJIA_KEYDIR_SECRET_DIR "/%s" DAJIA_KEYDIR_SECRET_EXT
           " and %s/" DAJIA_KEYDIR_BROKER_CERT " to that client only\n",
           made.name, made.role, *made.unit ? ", unit " : "", made.unit, o->keys, made.name,
           o->keys);
    return S_EXIT_OK;
}

static int
s_keys_revoke(const s_options_t *o, const char *name)
{
    dajia_keydir_entry_t gone;
    int rc = dajia_keydir_revoke(o->keys, name, &gone);
    if (rc == DAJIA_KEYDIR_NOTFOUND) {
        fprintf(stderr,
                S_NAME ": no trusted certificate \"%s\" in %s (see `" S_NAME " keys list`)\n", name,
                o->keys);
        return S_EXIT_ERROR;
    }
    if (rc)
        return s_keys_error("cannot revoke", o->keys, rc);
    printf("revoked %s%s%s%s: a running broker refuses its key within a second (at once "
           "on SIGHUP)\n",
           gone.name, *gone.public_txt ? " (key " : "", gone.public_txt,
           *gone.public_txt ? ")" : "");
    return S_EXIT_OK;
}

static int
s_keys_list(const s_options_t *o)
{
    dajia_keydir_entry_t *entries = NULL;
    size_t count = 0;
    int rc = dajia_keydir_list(o->keys, &entries, &count);
    if (rc == DAJIA_KEYDIR_NOTFOUND) {
        fprintf(stderr,
                S_NAME ": %s is not a key directory (no public/); make one with `" S_NAME
                       " keys init --dir %s`\n",
                o->keys, o->keys);
        return S_EXIT_ERROR;
    }
    if (rc)
        return s_keys_error("cannot list the certificates", o->keys, rc);
    printf("%-20s %-10s %-14s %-40s %s\n", "NAME", "ROLE", "UNIT", "PUBLIC KEY (Z85)", "STATUS");
    for (size_t i = 0; i < count; i++) {
        const dajia_keydir_entry_t *e = &entries[i];
        printf("%-20s %-10s %-14s %-40s %s\n", e->name, *e->role ? e->role : "-",
               *e->unit ? e->unit : "-", *e->public_txt ? e->public_txt : "-",
               e->damaged   ? "damaged (does not parse)"
               : e->revoked ? "revoked"
                            : "trusted");
    }
    free(entries);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, S_NAME ": cannot write the list: %s\n", strerror(errno));
        return S_EXIT_ERROR;
    }
    return S_EXIT_OK;
}

/* keys export NAME: the key file on standard output. A secret key must not land where
   others can read it: a file is made 0600 before anything is written (the shell made it
   with the umask's mode), and a terminal (screen, scrollback, a shared session) only
   gets it with --force. */
static int
s_keys_export(const s_options_t *o, const char *name)
{
    struct stat st;
    if (fstat(STDOUT_FILENO, &st) != 0) {
        fprintf(stderr, S_NAME ": cannot write the key file: %s\n", strerror(errno));
        return S_EXIT_ERROR;
    }
    if (isatty(STDOUT_FILENO) && !o->force) {
        fprintf(stderr,
                S_NAME ": the key file holds a secret key; write it to a file:\n"
                       "    " S_NAME " keys export %s > %s" DAJIA_KEYDIR_KEYFILE_EXT "\n" S_NAME
                       ": (or give --force to print it on this terminal)\n",
                name, name);
        return S_EXIT_USAGE;
    }
    if (S_ISREG(st.st_mode) && (st.st_mode & 077) &&
        (fchmod(STDOUT_FILENO, 0600) != 0 || fstat(STDOUT_FILENO, &st) != 0 ||
         (st.st_mode & 077))) {
        fprintf(stderr,
                S_NAME ": the file standard output writes to can be read by others and "
                       "cannot be made private (mode 0600): %s; nothing written\n",
                strerror(errno));
        return S_EXIT_ERROR;
    }
    char *text = NULL;
    dajia_keydir_entry_t made;
    int rc = dajia_keydir_export(o->keys, name, &text, &made);
    if (rc == DAJIA_KEYDIR_NOTFOUND) {
        fprintf(stderr,
                S_NAME ": no trusted certificate \"%s\" with its secret file in %s (see `" S_NAME
                       " keys list`)\n",
                name, o->keys);
        return S_EXIT_ERROR;
    }
    if (rc)
        return s_keys_error("cannot export the key file", o->keys, rc);
    size_t len = strlen(text);
    bool written = fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0;
    memset(text, 0, len);
    free(text);
    if (!written) {
        fprintf(stderr, S_NAME ": cannot write the key file: %s\n", strerror(errno));
        return S_EXIT_ERROR;
    }
    fprintf(stderr,
            S_NAME ": wrote the key file of \"%s\" (role %s%s%s): give it to that client only, "
                   "who installs it with `dajia-agent keys import FILE`\n",
            made.name, made.role, *made.unit ? ", unit " : "", made.unit);
    return S_EXIT_OK;
}

/* keys SUB [ARG]: `args` are the words after "keys". */
static int
s_cmd_keys(const s_options_t *o, int argc, char **argv)
{
    if (argc < 1)
        return client_usage_error(S_NAME, "%s", "keys wants init, add, revoke or list");
    const char *sub = argv[0];
    bool is_revoke = strcmp(sub, "revoke") == 0, is_export = strcmp(sub, "export") == 0;
    bool named = is_revoke || is_export;
    if (named && argc < 2)
        return client_usage_error(S_NAME, "keys %s wants the NAME of a certificate", sub);
    if (argc > (named ? 2 : 1))
        return client_usage_error(S_NAME, "unexpected argument \"%s\"", argv[named ? 2 : 1]);
    if (o->force && !is_export)
        return client_usage_error(S_NAME, "--force goes with keys export, not keys %s", sub);
    bool is_add = strcmp(sub, "add") == 0, is_init = strcmp(sub, "init") == 0;
    if (!is_add && (o->role || o->unit || o->name))
        return client_usage_error(S_NAME, "--role, --unit and --name go with keys add, not keys %s",
                                  sub);
    if (!is_init && o->units)
        return client_usage_error(S_NAME, "--units goes with keys init, not keys %s", sub);
    if (is_init)
        return s_keys_init(o);
    if (is_add)
        return s_keys_add(o);
    if (is_revoke)
        return s_keys_revoke(o, argv[1]);
    if (is_export)
        return s_keys_export(o, argv[1]);
    if (strcmp(sub, "list") == 0)
        return s_keys_list(o);
    return client_usage_error(
        S_NAME, "unknown keys command \"%s\" (init, add, revoke, list or export)", sub);
}

/* ====================================================================== users */

/* Reads one line of standard input into `buf` (without its newline); with a terminal,
   after `prompt` and without echo. Returns 0, or -1 at the end of input. */
static int
s_read_secret(const char *prompt, char *buf, size_t size)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios saved, quiet;
    if (tty) {
        fprintf(stderr, "%s", prompt);
        tcgetattr(STDIN_FILENO, &saved);
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *got = fgets(buf, (int)size, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        fprintf(stderr, "\n");
    }
    if (!got)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

/* users add|remove|list: `argv` are the words after "users". */
static int
s_cmd_users(const s_options_t *o, int argc, char **argv)
{
    const char *file = o->users;
    if (argc < 1)
        return client_usage_error(S_NAME, "%s", "users wants add, remove or list");
    const char *sub = argv[0];
    if (strcmp(sub, "list") == 0) {
        if (argc != 1 || o->role)
            return client_usage_error(S_NAME, "%s", "users list takes no argument");
        dash_users_t *users = NULL;
        int rc = dash_users_load(file, false, &users, NULL);
        if (rc) {
            fprintf(stderr, S_NAME ": cannot read %s: %s\n", file, dajia_strerror(rc));
            return S_EXIT_ERROR;
        }
        dash_role_t role;
        for (size_t i = 0; i < dash_users_count(users); i++) {
            const char *name = dash_users_name(users, i, &role);
            printf("%s %s\n", name, dash_role_name(role));
        }
        dash_users_destroy(&users);
        return S_EXIT_OK;
    }
    if (argc != 2)
        return client_usage_error(S_NAME, "users %s wants the NAME of one user", sub);
    const char *name = argv[1];
    if (strcmp(sub, "remove") == 0) {
        if (o->role)
            return client_usage_error(S_NAME, "%s", "--role goes with users add");
        int rc = dash_users_remove(file, name);
        if (rc) {
            fprintf(stderr, S_NAME ": cannot remove \"%s\" from %s: %s\n", name, file,
                    dajia_strerror(rc));
            return S_EXIT_ERROR;
        }
        printf("removed %s from %s (a running dajia-dash keeps it until restarted)\n", name, file);
        return S_EXIT_OK;
    }
    if (strcmp(sub, "add") != 0)
        return client_usage_error(S_NAME, "unknown users command \"%s\" (add, remove or list)",
                                  sub);
    dash_role_t role;
    if (!o->role || dash_role_parse(o->role, &role) != 0)
        return client_usage_error(S_NAME, "%s", "users add needs --role office or --role viewer");
    if (!dash_users_name_ok(name))
        return client_usage_error(S_NAME,
                                  "\"%s\" is not a user name (1 to 32 of a-z A-Z 0-9 . _ -)", name);
    char password[DASH_USERS_PASSWORD_MAX + 2], again[DASH_USERS_PASSWORD_MAX + 2];
    int status = S_EXIT_ERROR;
    if (s_read_secret("password: ", password, sizeof password) != 0) {
        fprintf(stderr, S_NAME ": no password on standard input\n");
        goto out;
    }
    if (isatty(STDIN_FILENO) &&
        (s_read_secret("again: ", again, sizeof again) != 0 || strcmp(password, again) != 0)) {
        fprintf(stderr, S_NAME ": the two passwords differ\n");
        goto out;
    }
    int rc = dash_users_add(file, name, role, password);
    if (rc) {
        fprintf(stderr, S_NAME ": cannot add \"%s\" to %s: %s\n", name, file, dajia_strerror(rc));
        goto out;
    }
    printf("added %s (%s) to %s (mode 0600); restart dajia-dash to use it\n", name,
           dash_role_name(role), file);
    status = S_EXIT_OK;
out:
    explicit_bzero(password, sizeof password);
    explicit_bzero(again, sizeof again);
    return status;
}

/* ====================================================================== main */

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"broker", required_argument, NULL, S_OPT_BROKER},
        {"data", required_argument, NULL, S_OPT_DATA},
        {"from", required_argument, NULL, S_OPT_FROM},
        {"timeout", required_argument, NULL, S_OPT_TIMEOUT},
        {"dir", required_argument, NULL, S_OPT_DIR},
        {"units", required_argument, NULL, S_OPT_UNITS},
        {"role", required_argument, NULL, S_OPT_ROLE},
        {"unit", required_argument, NULL, S_OPT_UNIT},
        {"name", required_argument, NULL, S_OPT_NAME},
        {"keys", required_argument, NULL, S_OPT_KEYS},
        {"force", no_argument, NULL, S_OPT_FORCE},
        {"worker-state", required_argument, NULL, S_OPT_WORKER_STATE},
        {"file", required_argument, NULL, S_OPT_FILE},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    s_options_t o = {
        .broker = getenv("DAJIA_BROKER"),
        .data = getenv("DAJIA_DATA"),
        .from = 1,
        .timeout_ms = S_DEFAULT_TIMEOUT_MS,
        .keys = getenv(DAJIA_KEYDIR_ENV),
        .users = getenv("DAJIA_USERS"),
    };
    if (!o.users || !*o.users)
        o.users = DASH_USERS_DEFAULT_FILE;
    bool file_given = false;
    if (!o.broker || !*o.broker)
        o.broker = S_DEFAULT_BROKER;
    if (!o.data || !*o.data)
        o.data = S_DEFAULT_DATA;
    if (!o.keys || !*o.keys)
        o.keys = DAJIA_KEYDIR_DEFAULT_DIR;
    bool from_given = false, dir_given = false;

    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case S_OPT_BROKER:
            o.broker = optarg;
            break;
        case S_OPT_DATA:
            o.data = optarg;
            break;
        case S_OPT_FROM:
            if (client_parse_int(optarg, 1, INT64_MAX, &o.from) != 0)
                return client_usage_error(S_NAME, "--from wants a log_seq (1 or more), not \"%s\"",
                                          optarg);
            from_given = true;
            break;
        case S_OPT_TIMEOUT:
            if (client_parse_seconds(optarg, S_MAX_TIMEOUT_S, &o.timeout_ms) != 0 ||
                o.timeout_ms == 0)
                return client_usage_error(
                    S_NAME, "--timeout wants seconds (more than 0), not \"%s\"", optarg);
            break;
        case S_OPT_DIR:
            if (!*optarg)
                return client_usage_error(S_NAME, "%s", "--dir wants a directory");
            o.keys = optarg;
            dir_given = true;
            break;
        case S_OPT_UNITS:
            o.units = optarg;
            break;
        case S_OPT_ROLE:
            o.role = optarg;
            break;
        case S_OPT_UNIT:
            o.unit = optarg;
            break;
        case S_OPT_NAME:
            o.name = optarg;
            break;
        case S_OPT_KEYS:
            o.client_keys = optarg;
            break;
        case S_OPT_FORCE:
            o.force = true;
            break;
        case S_OPT_WORKER_STATE:
            o.worker_state = optarg;
            break;
        case S_OPT_FILE:
            o.users = optarg;
            file_given = true;
            break;
        default: /* -h, --version, and what is wrong */
            return client_opts_fallback(S_NAME, c, argv, s_usage);
        }
    }
    if (optind >= argc)
        return client_usage_error(S_NAME, "%s",
                                  "no command given (stats, dump, backup, restore, keys or "
                                  "users)");
    const char *command = argv[optind++];
    dajia_log_set_ident(S_NAME);
    if (strcmp(command, "users") == 0) {
        if (o.client_keys || dir_given || from_given || o.units || o.unit || o.name || o.force ||
            o.worker_state)
            return client_usage_error(S_NAME, "%s", "users commands take --file and --role only");
        return s_cmd_users(&o, argc - optind, argv + optind);
    }
    if (file_given)
        return client_usage_error(S_NAME, "--file goes with users, not %s", command);
    if (strcmp(command, "keys") == 0) {
        if (o.client_keys)
            return client_usage_error(S_NAME, "%s", "keys commands take --dir DIR, not --keys");
        if (from_given)
            return client_usage_error(S_NAME, "%s", "--from goes with dump, not keys");
        return s_cmd_keys(&o, argc - optind, argv + optind);
    }
    bool backup = strcmp(command, "backup") == 0, restore = strcmp(command, "restore") == 0;
    if (backup || restore) {
        if (optind >= argc)
            return client_usage_error(S_NAME, "%s wants the backup's DIR", command);
        if (optind + 1 < argc)
            return client_usage_error(S_NAME, "unexpected argument \"%s\"", argv[optind + 1]);
        if (from_given || dir_given || o.units || o.role || o.unit || o.name || o.force)
            return client_usage_error(S_NAME, "%s takes --data, --worker-state and --keys only",
                                      command);
        const char *state = o.worker_state ? o.worker_state : getenv("DAJIA_WORKER_STATE");
        ctl_backup_dirs_t dirs = {.data = o.data, .worker_state = state, .keys = o.client_keys};
        return backup ? ctl_backup(S_NAME, argv[optind], &dirs)
                      : ctl_restore(S_NAME, argv[optind], &dirs);
    }
    if (o.worker_state)
        return client_usage_error(S_NAME, "--worker-state goes with backup and restore, not %s",
                                  command);
    if (optind < argc)
        return client_usage_error(S_NAME, "unexpected argument \"%s\"", argv[optind]);
    bool stats = strcmp(command, "stats") == 0;
    if (o.force)
        return client_usage_error(S_NAME, "--force goes with keys export, not %s", command);
    if (dir_given || o.units || o.role || o.unit || (o.name && !stats))
        return client_usage_error(S_NAME,
                                  "--dir, --units, --role, --unit and --name go with keys, not "
                                  "%s",
                                  command);
    if (o.client_keys && !stats)
        return client_usage_error(
            S_NAME, "--keys goes with stats, not %s (keys commands take --dir)", command);
    if (stats) {
        if (from_given)
            return client_usage_error(S_NAME, "%s", "--from goes with dump, not stats");
        return s_cmd_stats(&o);
    }
    if (strcmp(command, "dump") == 0)
        return s_cmd_dump(&o);
    return client_usage_error(S_NAME, "unknown command \"%s\"", command);
}
