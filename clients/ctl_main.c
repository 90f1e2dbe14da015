/*  dajia-ctl: the administrator's tool.

    stats  asks the running broker for its counters (the STATS request) and prints them.
    dump   reads the broker's log straight from its LMDB directory, read-only, and prints
           one JSON object per stored event. It works while the broker runs: each chunk
           of records is read in its own short read transaction, so a long dump never
           pins old pages and makes the broker's map grow.
*/
#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_args.h"
#include "dajia_codec.h"
#include "dajia_json.h"
#include "store.h"

#define S_NAME "dajia-ctl"
#define S_DEFAULT_BROKER "tcp://127.0.0.1:7400"
#define S_DEFAULT_DATA "./var/broker"
#define S_DEFAULT_TIMEOUT_MS 5000
#define S_MAX_TIMEOUT_S 3600
#define S_REAL_DIGITS 6    /* enough for stats, without binary noise */
#define S_DUMP_CHUNK 10000 /* records per read transaction */
#define S_TABLE_LOG "log"
#define S_STATS "STATS"
#define S_ACK "ACK"

enum { S_EXIT_OK = 0, S_EXIT_ERROR = 1, S_EXIT_USAGE = 2 };
enum { S_OPT_BROKER = 256, S_OPT_DATA, S_OPT_FROM, S_OPT_TIMEOUT };

typedef struct {
    const char *broker;
    const char *data;
    int64_t from;
    int64_t timeout_ms;
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
            "\n"
            "options:\n"
            "  --broker ENDPOINT   broker api endpoint, for stats (env DAJIA_BROKER; default\n"
            "                      " S_DEFAULT_BROKER ")\n"
            "  --timeout SEC       how long stats waits for the broker (default %d)\n"
            "  --data DIR          the broker's data directory, for dump (env DAJIA_DATA;\n"
            "                      default " S_DEFAULT_DATA ")\n"
            "  --from SEQ          dump from this log_seq on (default 1)\n"
            "  -h, --help          show this help\n"
            "\n"
            "exit status: 0 done; 1 an error (broker not answering, unreadable data); 2 usage.\n",
            S_DEFAULT_TIMEOUT_MS / 1000);
}

static int s_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
s_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, S_NAME ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n" S_NAME ": try `" S_NAME " --help`\n");
    va_end(ap);
    return S_EXIT_USAGE;
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
    if (zsock_connect(sock, "%s", o->broker) != 0) {
        fprintf(stderr, S_NAME ": cannot connect to \"%s\": not a valid endpoint\n", o->broker);
        goto out;
    }
    /* Queued until the connection is up; the poll below bounds the whole wait. */
    zsock_set_sndtimeo(sock, (int)o->timeout_ms);
    if (zstr_sendm(sock, S_STATS) != 0 || zmq_send(zsock_resolve(sock), "", 0, 0) != 0) {
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
    if (!cmd || !body || zmsg_size(reply) != 2) {
        fprintf(stderr, S_NAME ": the broker at %s sent a malformed reply\n", o->broker);
        goto out;
    }
    if (zframe_streq(cmd, S_STATS)) {
        s_print_stats((const char *)zframe_data(body), zframe_size(body));
        status = S_EXIT_OK;
    } else if (zframe_streq(cmd, S_ACK))
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
    if (json)
        printf("{\"log_seq\":%" PRIu64 ",\"received_at\":\"%s\",\"event\":%s}\n", rec->log_seq,
               when, json);
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
    rc = store_cursor_open(txn, S_TABLE_LOG, &cursor);
    if (rc)
        goto out;
    unsigned char start[8];
    store_u64_to_key(*from, start);
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    rc = store_cursor_seek(cursor, start, sizeof start, &k, &kl, &v, &vl);
    for (int n = 0; rc == 0 && n < S_DUMP_CHUNK; n++) {
        if (kl != 8) {
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
                store_strerror(rc));
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
        fprintf(stderr, S_NAME ": cannot read the log in %s: %s\n", o->data, store_strerror(rc));
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

/* ====================================================================== main */

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"broker", required_argument, NULL, S_OPT_BROKER},
        {"data", required_argument, NULL, S_OPT_DATA},
        {"from", required_argument, NULL, S_OPT_FROM},
        {"timeout", required_argument, NULL, S_OPT_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    s_options_t o = {
        .broker = getenv("DAJIA_BROKER"),
        .data = getenv("DAJIA_DATA"),
        .from = 1,
        .timeout_ms = S_DEFAULT_TIMEOUT_MS,
    };
    if (!o.broker || !*o.broker)
        o.broker = S_DEFAULT_BROKER;
    if (!o.data || !*o.data)
        o.data = S_DEFAULT_DATA;
    bool from_given = false;

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
                return s_usage_error("--from wants a log_seq (1 or more), not \"%s\"", optarg);
            from_given = true;
            break;
        case S_OPT_TIMEOUT:
            if (client_parse_seconds(optarg, S_MAX_TIMEOUT_S, &o.timeout_ms) != 0 ||
                o.timeout_ms == 0)
                return s_usage_error("--timeout wants seconds (more than 0), not \"%s\"", optarg);
            break;
        case 'h':
            s_usage(stdout);
            return S_EXIT_OK;
        case ':':
            return s_usage_error("option \"%s\" needs a value", argv[optind - 1]);
        default:
            return s_usage_error("unknown option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return s_usage_error("%s", "no command given (stats or dump)");
    const char *command = argv[optind++];
    if (optind < argc)
        return s_usage_error("unexpected argument \"%s\"", argv[optind]);
    zsys_set_logident(S_NAME);
    if (strcmp(command, "stats") == 0) {
        if (from_given)
            return s_usage_error("%s", "--from goes with dump, not stats");
        return s_cmd_stats(&o);
    }
    if (strcmp(command, "dump") == 0)
        return s_cmd_dump(&o);
    return s_usage_error("unknown command \"%s\"", command);
}
