/*  dajia-sim: realistic synthetic load from the 23 member units.

    The events come from sim_gen (deterministic with --seed); this is the sender. It paces
    them at --rate events a second over one DEALER, keeps up to --window unanswered, and
    counts the broker's answers. There is no outbox: it is a load generator, and an event
    that got no answer is reported as such, not kept.

    Event time runs faster than the wall clock: --days-per-minute (default 30) days of
    event time pass per minute of sending, so a one-minute run spans a month boundary and
    the circulation worker issues a bulletin. The broker refuses times more than a day
    ahead of its clock, so by default the run starts in the past and its last event falls
    at the present: the present of the broker's clock, DAJIA_CLOCK when it is set (as
    `make demo` sets it for both), so that the events fit the clock they are received
    by. --start is where the first event lies.
*/
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_args.h"
#include "client_opts.h"
#include "dajia_log.h"
#include "dajia_api.h"
#include "dajia_clock.h"
#include "dajia_codec.h"
#include "dajia_error.h"
#include "dajia_json.h"
#include "dajia_keydir.h"
#include "dajia_version.h"
#include "sim_gen.h"

#define S_NAME               "dajia-sim"
#define S_DEFAULT_RATE       20.0
#define S_MAX_RATE           1000000.0
#define S_DEFAULT_DURATION_S 60
#define S_MAX_DURATION_S     (366LL * 24 * 3600)
#define S_DEFAULT_DPM        30.0
#define S_MAX_DPM            100000.0
#define S_DEFAULT_WINDOW     256
#define S_MAX_WINDOW         65536
#define S_ANSWER_TIMEOUT_MS  5000 /* no answer at all for this long: the broker is gone */
#define S_MAX_COUNT          1000000000LL
#define S_SHOW_REJECTS       10 /* rejections printed one by one, then only counted */
#define S_DAY_MS             (24.0 * 3600 * 1000)
#define S_MIN_TIME_MS        946684800000LL

enum { S_EXIT_OK = 0, S_EXIT_ERROR = 1, S_EXIT_USAGE = 2 };
enum {
    S_OPT_UNITS = CLIENT_OPT_OWN,
    S_OPT_RATE,
    S_OPT_DURATION,
    S_OPT_SEED,
    S_OPT_COUNT,
    S_OPT_START,
    S_OPT_DPM,
    S_OPT_WINDOW,
    S_OPT_PRINT,
};

typedef struct {
    const char *broker;
    char *units_text; /* the --units argument, cut into `units` */
    const char *units[SIM_UNIT_COUNT];
    size_t unit_count; /* 0: all */
    double rate;
    int64_t duration_ms;
    bool duration_set;
    uint64_t seed;
    int64_t count; /* -1: from rate and duration */
    int64_t start_ms;
    bool start_set;
    double dpm;
    int64_t window;
    bool print;
    const char *keys; /* --keys: key directory (each unit uses its own certificate) */
} s_options_t;

typedef struct {
    uint64_t sent, accepted, duplicates, rejected;
} s_counts_t;

static void
s_usage(FILE *out)
{
    fprintf(out,
            "usage: " S_NAME " --broker ENDPOINT [OPTIONS]\n"
            "       " S_NAME " --print [OPTIONS]\n"
            "\n"
            "Sends realistic synthetic reports of the 23 member units to the broker: cases\n"
            "moving through their stages, corrections, major matters with progress (some\n"
            "left overdue), dynamic information and monthly (zero) reports, with a few units\n"
            "late or silent. The same --seed gives the same events with the same event ids.\n"
            "\n"
            "options:\n"
            "  --broker ENDPOINT      broker api endpoint (env DAJIA_BROKER)\n"
            "  --units all|U1,U2,...  units to simulate (default all)\n"
            "  --rate N               events per second (default %g)\n"
            "  --duration S           seconds to send for (default %d unless --count)\n"
            "  --count N              events to send (default rate x duration)\n"
            "  --seed N               random seed (default 1)\n"
            "  --days-per-minute D    event time per minute of sending (default %g)\n"
            "  --start TIME           event time of the first event, RFC 3339 (default: so\n"
            "                         that the last event falls at the present, or at the\n"
            "                         time DAJIA_CLOCK gives, as for the broker)\n"
            "  --window N             events in flight (default %d)\n"
            "  --keys DIR             key directory: each unit connects with its own\n"
            "                         certificate (env DAJIA_KEYS; default ./var/keys when\n"
            "                         it holds broker.cert)\n"
            "  --print                print the events as JSON Lines instead of sending\n"
            "  -h, --help             show this help\n"
            "      --version          show the version and the source revision\n"
            "\n"
            "exit status: 0 every event stored (accepted or duplicate); 1 some rejected or\n"
            "unanswered, or the broker did not answer; 2 usage.\n",
            S_DEFAULT_RATE, S_DEFAULT_DURATION_S, S_DEFAULT_DPM, S_DEFAULT_WINDOW);
}

static int
s_parse_real(const char *text, double min, double max, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = text && *text ? strtod(text, &end) : NAN;
    if (errno || !end || *end || !isfinite(v) || v <= min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Cuts "u1,u2" into o->units (pointers into o->units_text). */
static int
s_parse_units(s_options_t *o, const char *text)
{
    free(o->units_text);
    o->units_text = NULL;
    o->unit_count = 0;
    if (strcmp(text, "all") == 0)
        return 0;
    o->units_text = strdup(text);
    if (!o->units_text)
        return client_usage_error(S_NAME, "out of memory");
    char *save = NULL;
    for (char *u = strtok_r(o->units_text, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
        if (sim_unit_index(u) < 0)
            return client_usage_error(S_NAME, "--units: \"%s\" is not a member unit", u);
        if (o->unit_count == SIM_UNIT_COUNT)
            return client_usage_error(S_NAME, "--units: a unit is named twice");
        o->units[o->unit_count++] = u;
    }
    if (!o->unit_count)
        return client_usage_error(S_NAME, "--units: name at least one unit, or all");
    return 0;
}

/* Takes one of dajia-sim's own options (client_take_fn). */
static int
s_take(int opt, const char *arg, void *ctx)
{
    s_options_t *o = ctx;
    int64_t v;
    long long start = 0;
    switch (opt) {
    case S_OPT_UNITS:
        return s_parse_units(o, arg);
    case S_OPT_RATE:
        if (s_parse_real(arg, 0, S_MAX_RATE, &o->rate))
            return client_usage_error(S_NAME,
                                      "--rate: expected events per second in (0, %g], got \"%s\"",
                                      S_MAX_RATE, arg);
        break;
    case S_OPT_DURATION:
        if (client_parse_seconds(arg, S_MAX_DURATION_S, &o->duration_ms) || o->duration_ms == 0)
            return client_usage_error(S_NAME, "--duration: expected seconds > 0, got \"%s\"", arg);
        o->duration_set = true;
        break;
    case S_OPT_SEED:
        if (client_parse_int(arg, 0, INT64_MAX, &v))
            return client_usage_error(S_NAME, "--seed: expected a non-negative integer, got \"%s\"",
                                      arg);
        o->seed = (uint64_t)v;
        break;
    case S_OPT_COUNT:
        if (client_parse_int(arg, 1, S_MAX_COUNT, &o->count))
            return client_usage_error(S_NAME, "--count: expected 1 to %lld events, got \"%s\"",
                                      S_MAX_COUNT, arg);
        break;
    case S_OPT_START:
        if (dajia_json_parse_time(arg, &start) || start < S_MIN_TIME_MS)
            return client_usage_error(S_NAME,
                                      "--start: expected an RFC 3339 time after 2000, e.g. "
                                      "2026-11-01T00:00:00+08:00, got \"%s\"",
                                      arg);
        o->start_ms = start;
        o->start_set = true;
        break;
    case S_OPT_DPM:
        if (s_parse_real(arg, 0, S_MAX_DPM, &o->dpm))
            return client_usage_error(S_NAME,
                                      "--days-per-minute: expected a number in (0, %g], got "
                                      "\"%s\"",
                                      S_MAX_DPM, arg);
        break;
    case S_OPT_WINDOW:
        if (client_parse_int(arg, 1, S_MAX_WINDOW, &o->window))
            return client_usage_error(S_NAME, "--window: expected 1 to %d, got \"%s\"",
                                      S_MAX_WINDOW, arg);
        break;
    case S_OPT_PRINT:
        o->print = true;
        break;
    }
    return 0;
}

static int
s_parse(int argc, char **argv, s_options_t *o)
{
    static const struct option own[] = {
        {"units", required_argument, NULL, S_OPT_UNITS},
        {"rate", required_argument, NULL, S_OPT_RATE},
        {"duration", required_argument, NULL, S_OPT_DURATION},
        {"seed", required_argument, NULL, S_OPT_SEED},
        {"count", required_argument, NULL, S_OPT_COUNT},
        {"start", required_argument, NULL, S_OPT_START},
        {"days-per-minute", required_argument, NULL, S_OPT_DPM},
        {"window", required_argument, NULL, S_OPT_WINDOW},
        {"print", no_argument, NULL, S_OPT_PRINT},
        {NULL, 0, NULL, 0},
    };
    const client_cli_t cli = {
        .program = S_NAME,
        .usage = s_usage,
        .common = CLIENT_OPT_BROKER | CLIENT_OPT_KEYS,
        .own = own,
        .take = s_take,
        .ctx = o,
    };
    client_common_t common = {0};
    int first = 0;
    int status = client_opts_parse(&cli, argc, argv, &common, &first);
    if (status)
        return status;
    o->broker = common.broker;
    o->keys = common.keys;
    if (!o->broker)
        o->broker = getenv("DAJIA_BROKER");
    if (!o->print && (!o->broker || !*o->broker))
        return client_usage_error(S_NAME, "--broker is required (or DAJIA_BROKER, or --print)");
    return 0;
}

// ====================================================================== output

static int
s_print(sim_gen_t *gen, int64_t total)
{
    for (int64_t i = 0; i < total; i++) {
        const Dajia__Envelope *env = NULL;
        if (sim_gen_next(gen, &env) != 0) {
            fprintf(stderr, S_NAME ": out of memory\n");
            return S_EXIT_ERROR;
        }
        char *json = dajia_json_from_message(&env->base);
        if (!json) {
            fprintf(stderr, S_NAME ": out of memory\n");
            return S_EXIT_ERROR;
        }
        fputs(json, stdout);
        fputc('\n', stdout);
        free(json);
    }
    return fflush(stdout) == 0 ? S_EXIT_OK : S_EXIT_ERROR;
}

// ====================================================================== sending

/* Reads every answer that is ready. Returns the number read, or -1 on a receive error. */
static int
s_read_acks(void *sock, s_counts_t *counts, uint64_t *answered)
{
    int read = 0;
    for (;;) {
        zmq_msg_t cmd, body;
        zmq_msg_init(&cmd);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&cmd, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&cmd);
            zmq_msg_close(&body);
            return errno == EAGAIN ? read : -1;
        }
        bool two = zmq_msg_more(&cmd) && zmq_msg_recv(&body, sock, 0) >= 0;
        while (zmq_msg_more(two ? &body : &cmd)) { /* drain extra frames */
            zmq_msg_t extra;
            zmq_msg_init(&extra);
            int n = zmq_msg_recv(&extra, sock, 0);
            bool more = n >= 0 && zmq_msg_more(&extra);
            zmq_msg_close(&extra);
            if (!more)
                break;
        }
        Dajia__Ack *ack =
            two ? dajia__ack__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body)) : NULL;
        read++;
        (*answered)++;
        if (ack && ack->status == DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED)
            counts->accepted++;
        else if (ack && ack->status == DAJIA__ACK_STATUS__ACK_STATUS_DUPLICATE)
            counts->duplicates++;
        else {
            if (counts->rejected++ < S_SHOW_REJECTS)
                fprintf(stderr, S_NAME ": rejected %s: %s: %s\n",
                        ack && ack->event_id[0] ? ack->event_id : "(no event id)",
                        ack ? dajia_reason_name(ack->reason) : "malformed answer",
                        ack ? ack->reason_text : "the broker's answer does not decode");
        }
        if (ack)
            dajia__ack__free_unpacked(ack, NULL);
        zmq_msg_close(&cmd);
        zmq_msg_close(&body);
    }
}

/* The connections: one per unit, so that with keys each unit speaks with its own
   certificate (the broker binds an event to the unit of the key that sent it). */
typedef struct {
    const s_options_t *o;
    const char *keys; /* key directory, or NULL: no CURVE */
    char broker_key[DAJIA_KEYDIR_KEY_TXT];
    zsock_t *socks[SIM_UNIT_COUNT];
    zmq_pollitem_t items[SIM_UNIT_COUNT];
    size_t count;
} s_links_t;

/* The socket of `unit`, connected on first use. NULL after printing why. */
static void *
s_link(s_links_t *links, const char *unit)
{
    int index = sim_unit_index(unit);
    if (index < 0)
        return NULL;
    if (links->socks[index])
        return zsock_resolve(links->socks[index]);
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    if (!sock) {
        fprintf(stderr, S_NAME ": cannot create a socket: %s\n", zmq_strerror(errno));
        return NULL;
    }
    zsock_set_linger(sock, 0);
    zsock_set_sndhwm(sock, 0);
    zsock_set_rcvhwm(sock, 0);
    zsock_set_sndtimeo(sock, S_ANSWER_TIMEOUT_MS);
    int rc = 0;
    if (links->keys) {
        zcert_t *cert = NULL;
        rc = dajia_keydir_load(links->keys, unit, &cert);
        if (rc == 0)
            rc = dajia_keydir_apply(sock, cert, links->broker_key);
        zcert_destroy(&cert);
        if (rc == 0)
            rc = dajia_keydir_connect(sock, links->o->broker, S_ANSWER_TIMEOUT_MS);
        if (rc != 0)
            fprintf(stderr, S_NAME ": unit %s cannot connect with its key from %s: %s\n", unit,
                    links->keys,
                    rc == -ETIMEDOUT
                        ? "no answer from the broker (is it running, with this broker key?)"
                        : dajia_strerror(rc));
    } else if (zsock_connect(sock, "%s", links->o->broker) != 0) {
        fprintf(stderr, S_NAME ": cannot connect to \"%s\": not a valid endpoint\n",
                links->o->broker);
        rc = -1;
    }
    if (rc != 0) {
        zsock_destroy(&sock);
        return NULL;
    }
    links->socks[index] = sock;
    links->items[links->count++] = (zmq_pollitem_t){zsock_resolve(sock), 0, ZMQ_POLLIN, 0};
    return zsock_resolve(sock);
}

static int
s_send(const s_options_t *o, sim_gen_t *gen, int64_t total)
{
    int status = S_EXIT_ERROR;
    s_counts_t counts = {0};
    uint64_t answered = 0;
    uint8_t *buf = NULL;
    size_t cap = 0;
    bool silent_broker = false;
    s_links_t links = {.o = o, .keys = dajia_keydir_pick(o->keys)};
    if (links.keys) {
        int rc = dajia_keydir_broker_key(links.keys, links.broker_key);
        if (rc != 0) {
            fprintf(stderr, S_NAME ": no broker key in %s: %s\n", links.keys, dajia_strerror(rc));
            return S_EXIT_ERROR;
        }
    }
    int64_t t0 = zclock_mono();
    int64_t last_answer = t0;
    while (!zsys_interrupted) {
        int64_t now = zclock_mono();
        /* Send what is due, as the window allows. */
        while ((int64_t)counts.sent < total && counts.sent - answered < (uint64_t)o->window &&
               t0 + (int64_t)((double)counts.sent * 1000.0 / o->rate) <= now) {
            const Dajia__Envelope *env = NULL;
            if (sim_gen_next(gen, &env) != 0) {
                fprintf(stderr, S_NAME ": out of memory\n");
                goto out;
            }
            void *raw = s_link(&links, env->unit);
            if (!raw)
                goto out;
            size_t len = dajia__envelope__get_packed_size(env);
            if (len > cap) {
                uint8_t *bigger = realloc(buf, len);
                if (!bigger) {
                    fprintf(stderr, S_NAME ": out of memory\n");
                    goto out;
                }
                buf = bigger;
                cap = len;
            }
            dajia__envelope__pack(env, buf);
            if (zmq_send(raw, DAJIA_API_SUBMIT, DAJIA_API_LEN(DAJIA_API_SUBMIT), ZMQ_SNDMORE) < 0 ||
                zmq_send(raw, buf, len, 0) < 0) {
                fprintf(stderr, S_NAME ": cannot send to the broker at %s: %s\n", o->broker,
                        zmq_strerror(errno));
                goto out;
            }
            if (counts.sent == answered)
                last_answer = now; /* the answer clock starts with the first in flight */
            counts.sent++;
        }
        if ((int64_t)counts.sent >= total && answered >= counts.sent)
            break;
        /* Wait for answers, or until the next event is due. */
        int64_t wait = S_ANSWER_TIMEOUT_MS;
        if ((int64_t)counts.sent < total && counts.sent - answered < (uint64_t)o->window) {
            int64_t due = t0 + (int64_t)((double)counts.sent * 1000.0 / o->rate);
            wait = due > now ? due - now : 0;
        }
        int n = links.count ? zmq_poll(links.items, (int)links.count, (long)wait)
                            : (zclock_sleep((int)wait), 0);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, S_NAME ": poll failed: %s\n", zmq_strerror(errno));
            goto out;
        }
        for (size_t i = 0; n > 0 && i < links.count; i++) {
            if (!(links.items[i].revents & ZMQ_POLLIN))
                continue;
            int got = s_read_acks(links.items[i].socket, &counts, &answered);
            if (got < 0) {
                fprintf(stderr, S_NAME ": receive failed: %s\n", zmq_strerror(errno));
                goto out;
            }
            if (got > 0)
                last_answer = zclock_mono();
        }
        if (counts.sent > answered && zclock_mono() - last_answer >= S_ANSWER_TIMEOUT_MS) {
            fprintf(stderr,
                    S_NAME ": no answer from the broker at %s within %d s (is it "
                           "running?)\n",
                    o->broker, S_ANSWER_TIMEOUT_MS / 1000);
            silent_broker = true;
            break;
        }
    }
    if (zsys_interrupted && counts.sent > answered) {
        /* Interrupted: collect the answers still on their way, for an honest report. */
        while (counts.sent > answered &&
               zmq_poll(links.items, (int)links.count, S_ANSWER_TIMEOUT_MS) > 0) {
            int got = 0;
            for (size_t i = 0; i < links.count; i++)
                if (links.items[i].revents & ZMQ_POLLIN)
                    got += s_read_acks(links.items[i].socket, &counts, &answered);
            if (got <= 0)
                break;
        }
    }
    double secs = (double)(zclock_mono() - t0) / 1000.0;
    uint64_t unanswered = counts.sent - answered;
    printf("sent %" PRIu64 " accepted %" PRIu64 " duplicates %" PRIu64 " rejected %" PRIu64
           " unanswered %" PRIu64 " in %.1f s (%.1f events/s)\n",
           counts.sent, counts.accepted, counts.duplicates, counts.rejected, unanswered, secs,
           secs > 0 ? (double)counts.sent / secs : 0.0);
    fflush(stdout);
    status = counts.rejected || unanswered || silent_broker ? S_EXIT_ERROR : S_EXIT_OK;
out:
    free(buf);
    for (size_t i = 0; i < SIM_UNIT_COUNT; i++)
        zsock_destroy(&links.socks[i]);
    return status;
}

int
main(int argc, char **argv)
{
    s_options_t o = {.rate = S_DEFAULT_RATE,
                     .duration_ms = S_DEFAULT_DURATION_S * 1000,
                     .seed = 1,
                     .count = -1,
                     .dpm = S_DEFAULT_DPM,
                     .window = S_DEFAULT_WINDOW};
    sim_gen_t *gen = NULL;
    int status = s_parse(argc, argv, &o);
    if (status)
        goto out;
    zsys_init();
    dajia_log_set_ident(S_NAME);
    /* How many events: --count, or rate x duration, whichever is smaller when both. */
    double by_time = o.rate * (double)o.duration_ms / 1000.0;
    int64_t total = o.count > 0 ? o.count : 0;
    if (o.count < 0 || o.duration_set) {
        int64_t n = by_time < 1                     ? 1
                    : by_time > (double)S_MAX_COUNT ? S_MAX_COUNT
                                                    : (int64_t)llround(by_time);
        total = o.count > 0 && o.count < n ? o.count : n;
    }
    /* Event time per event: dpm days per 60 s of sending, at `rate` events a second. */
    double step = o.dpm * S_DAY_MS / 60.0 / o.rate;
    int64_t step_ms = step < 1 ? 1 : (int64_t)llround(step);
    if (!o.start_set) {
        int64_t span = (total - 1) * step_ms;
        o.start_ms = dajia_clock_now_ms() - span;
        if (o.start_ms < S_MIN_TIME_MS) {
            status = client_usage_error(S_NAME,
                                        "the run spans more event time than there is since 2000; "
                                        "lower --days-per-minute or --count");
            goto out;
        }
    }
    sim_gen_options_t gopts = {o.seed, o.start_ms, step_ms, o.unit_count ? o.units : NULL,
                               o.unit_count};
    int rc = sim_gen_new(&gopts, &gen);
    if (rc) {
        status = client_usage_error(S_NAME, "cannot start the generator: %s", dajia_strerror(rc));
        goto out;
    }
    status = o.print ? s_print(gen, total) : s_send(&o, gen, total);
out:
    sim_gen_destroy(&gen);
    free(o.units_text);
    return status;
}
