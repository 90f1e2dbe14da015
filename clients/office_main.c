/*  dajia-office: the Office's view of the feeds.

    watch       escalations as they happen, after catching up on what was missed since
                the last run (the feed position is kept in --state);
    matters     the open major matters with their last progress, overdue first;
    bulletin    the circulation bulletin of a month (its latest revision), as markdown or
                JSON, or with --revisions what each revision changed and why;
    compliance  each member unit's reporting for the open month or any month, now;
    figures     the current figures of a month, from the aggregate worker's updates.

    All of them read the broker's feed log through replay (office_follow); watch then
    follows the office XPUB live. Every wait on the broker is bounded: no answer within
    --timeout (5 s) is an error, exit 1.
*/
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_args.h"
#include "client_opts.h"
#include "dajia_clock.h"
#include "dajia_log.h"
#include "dajia_error.h"
#include "dajia_keydir.h"
#include "dajia_version.h"
#include "office_compliance.h"
#include "office_figures.h"
#include "office_follow.h"
#include "office_format.h"
#include "office_output.h"
#include "office_revisions.h"

#define S_NAME           "dajia-office"
#define S_DEFAULT_BROKER "tcp://127.0.0.1:7400"
#define S_DEFAULT_OFFICE "tcp://127.0.0.1:7402"
#define S_DEFAULT_STATE  "./var/office"
#define S_MAX_COUNT      1000000000LL
#define S_PERIOD_LEN     7 /* YYYY-MM */

enum { S_EXIT_OK = 0, S_EXIT_ERROR = 1, S_EXIT_USAGE = 2 };
enum {
    S_OPT_OFFICE = CLIENT_OPT_OWN,
    S_OPT_JSON,
    S_OPT_COUNT,
    S_OPT_ONCE,
    S_OPT_ALL,
    S_OPT_PERIOD,
    S_OPT_FORMAT,
    S_OPT_UNIT,
    S_OPT_REVISIONS,
};

/* Which of the commands' own options a command takes (the rest are refused). */
enum {
    S_TAKES_WATCH = 1 << 0,    /* --count, --once, --all */
    S_TAKES_PERIOD = 1 << 1,   /* --period */
    S_TAKES_BULLETIN = 1 << 2, /* --format, --revisions */
    S_TAKES_UNIT = 1 << 3,     /* --unit */
    S_NEEDS_PERIOD = 1 << 4,   /* --period is required */
};

typedef struct s_options_t s_options_t;

/* A command: its name, the options it takes, and what runs it. */
typedef struct {
    const char *name;
    unsigned takes; /* S_TAKES_*, S_NEEDS_* */
    int (*run)(const s_options_t *o);
} s_command_t;

static int
s_cmd_watch(const s_options_t *o);
static int
s_cmd_matters(const s_options_t *o);
static int
s_cmd_bulletin(const s_options_t *o);
static int
s_cmd_compliance(const s_options_t *o);
static int
s_cmd_figures(const s_options_t *o);

static const s_command_t s_commands[] = {
    {"watch", S_TAKES_WATCH, s_cmd_watch},
    {"matters", 0, s_cmd_matters},
    {"bulletin", S_TAKES_PERIOD | S_TAKES_BULLETIN, s_cmd_bulletin},
    {"compliance", S_TAKES_PERIOD, s_cmd_compliance},
    {"figures", S_TAKES_PERIOD | S_TAKES_UNIT | S_NEEDS_PERIOD, s_cmd_figures},
};

struct s_options_t {
    const char *broker;
    const char *office;
    const char *state;
    bool json;
    int64_t count; /* 0: no limit */
    bool once;
    bool all;
    const char *period;
    const char *format;
    int64_t timeout_ms;
    const s_command_t *command;
    const char *keys; /* key directory; NULL: no CURVE */
    const char *name; /* our certificate in it */
    const char *unit; /* figures --unit */
    bool revisions;   /* bulletin --revisions */
    zcert_t *cert;    /* its key pair, loaded by main */
    char broker_key[DAJIA_KEYDIR_KEY_TXT];
};

static void
s_usage(FILE *out)
{
    fprintf(out,
            "usage: " S_NAME " [OPTIONS] COMMAND\n"
            "\n"
            "commands:\n"
            "  watch      escalations as they happen, after catching up on those missed since\n"
            "             the last run; runs until SIGINT/SIGTERM\n"
            "               --count N   exit after N new items\n"
            "               --once      only catch up, then exit\n"
            "               --all       every feed item, not only escalations\n"
            "  matters    open major matters with their last progress, overdue first\n"
            "  bulletin   the circulation bulletin of a month (default: the latest), its\n"
            "             latest revision\n"
            "               --period YYYY-MM\n"
            "               --format md|json   (default md)\n"
            "               --revisions        every revision: what it changed, and why\n"
            "  compliance each member unit's reporting for a month, now: on time, late,\n"
            "             zero report, pending (due in N days) or missing\n"
            "               --period YYYY-MM   (default: the open month, whose reports are\n"
            "                                  still due)\n"
            "  figures    the current figures of a month, by unit, category and goods\n"
            "               --period YYYY-MM   (required)\n"
            "               --unit CODE        one member unit only\n"
            "\n"
            "options:\n"
            "  --broker ENDPOINT   broker api endpoint (env DAJIA_BROKER; default " S_DEFAULT_BROKER
            ")\n"
            "  --office ENDPOINT   the broker's office feed (env DAJIA_OFFICE; default\n"
            "                      " S_DEFAULT_OFFICE ")\n"
            "  --state DIR         where watch keeps its feed position (default " S_DEFAULT_STATE
            ")\n"
            "  --json              one JSON object per line (the feed items)\n"
            "  --timeout SEC       how long to wait for the broker (default %d)\n"
            "  --keys DIR          key directory (env DAJIA_KEYS; default " DAJIA_KEYDIR_DEFAULT_DIR
            "\n"
            "                      when it holds broker.cert, else no CURVE)\n"
            "  --name NAME         certificate name in DIR (env DAJIA_NAME; default office)\n"
            "  -h, --help          show this help\n"
            "      --version       show the version and the source revision\n"
            "\n"
            "exit status: 0 done; 1 an error (the broker did not answer or refused; no such\n"
            "bulletin); 2 usage.\n",
            OFFICE_FOLLOW_TIMEOUT_MS / 1000);
}

static bool
s_period_ok(const char *p)
{
    if (strlen(p) != S_PERIOD_LEN || p[4] != '-')
        return false;
    for (int i = 0; i < S_PERIOD_LEN; i++)
        if (i != 4 && (p[i] < '0' || p[i] > '9'))
            return false;
    int month = (p[5] - '0') * 10 + (p[6] - '0');
    return month >= 1 && month <= 12;
}

/* Takes one of dajia-office's own options (client_take_fn). */
static int
s_take(int opt, const char *arg, void *ctx)
{
    s_options_t *o = ctx;
    switch (opt) {
    case S_OPT_OFFICE:
        o->office = arg;
        break;
    case S_OPT_UNIT:
        if (!*arg || strlen(arg) > 64 ||
            strspn(arg, "abcdefghijklmnopqrstuvwxyz"
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789._:-") != strlen(arg))
            return client_usage_error(
                S_NAME, "--unit: expected a member unit's code like msa, got \"%s\"", arg);
        o->unit = arg;
        break;
    case S_OPT_REVISIONS:
        o->revisions = true;
        break;
    case S_OPT_JSON:
        o->json = true;
        break;
    case S_OPT_COUNT:
        if (client_parse_int(arg, 1, S_MAX_COUNT, &o->count))
            return client_usage_error(S_NAME,
                                      "--count: expected a number of items >= 1, got \"%s\"", arg);
        break;
    case S_OPT_ONCE:
        o->once = true;
        break;
    case S_OPT_ALL:
        o->all = true;
        break;
    case S_OPT_PERIOD:
        if (!s_period_ok(arg))
            return client_usage_error(S_NAME, "--period: expected a month like 2026-11, got \"%s\"",
                                      arg);
        o->period = arg;
        break;
    case S_OPT_FORMAT:
        if (strcmp(arg, "md") != 0 && strcmp(arg, "json") != 0)
            return client_usage_error(S_NAME, "--format: expected md or json, got \"%s\"", arg);
        o->format = arg;
        break;
    }
    return 0;
}

static int
s_parse(int argc, char **argv, s_options_t *o)
{
    static const struct option own[] = {
        {"office", required_argument, NULL, S_OPT_OFFICE},
        {"json", no_argument, NULL, S_OPT_JSON},
        {"count", required_argument, NULL, S_OPT_COUNT},
        {"once", no_argument, NULL, S_OPT_ONCE},
        {"all", no_argument, NULL, S_OPT_ALL},
        {"period", required_argument, NULL, S_OPT_PERIOD},
        {"format", required_argument, NULL, S_OPT_FORMAT},
        {"unit", required_argument, NULL, S_OPT_UNIT},
        {"revisions", no_argument, NULL, S_OPT_REVISIONS},
        {NULL, 0, NULL, 0},
    };
    const client_cli_t cli = {
        .program = S_NAME,
        .usage = s_usage,
        .common = CLIENT_OPT_BROKER | CLIENT_OPT_KEYS | CLIENT_OPT_NAME | CLIENT_OPT_STATE |
                  CLIENT_OPT_TIMEOUT,
        .operands = 1,
        .own = own,
        .take = s_take,
        .ctx = o,
    };
    client_common_t common = {.timeout_ms = OFFICE_FOLLOW_TIMEOUT_MS};
    int first = 0;
    int status = client_opts_parse(&cli, argc, argv, &common, &first);
    if (status)
        return status;
    if (first >= argc)
        return client_usage_error(S_NAME,
                                  "a command is needed: watch, matters, bulletin, compliance or "
                                  "figures");
    const char *command = argv[first];
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
        if (strcmp(command, s_commands[i].name) == 0)
            o->command = &s_commands[i];
    if (!o->command)
        return client_usage_error(S_NAME, "unknown command \"%s\"", command);
    unsigned takes = o->command->takes;
    if (!(takes & S_TAKES_WATCH) && (o->count || o->once || o->all))
        return client_usage_error(S_NAME, "--count, --once and --all belong to watch");
    if (!(takes & S_TAKES_PERIOD) && o->period)
        return client_usage_error(S_NAME, "--period belongs to bulletin, compliance and figures");
    if (!(takes & S_TAKES_BULLETIN) && (o->format || o->revisions))
        return client_usage_error(S_NAME, "--format and --revisions belong to bulletin");
    if (!(takes & S_TAKES_UNIT) && o->unit)
        return client_usage_error(S_NAME, "--unit belongs to figures");
    if ((takes & S_NEEDS_PERIOD) && !o->period)
        return client_usage_error(S_NAME, "%s needs --period YYYY-MM", command);
    if (o->once && o->count)
        return client_usage_error(S_NAME, "--once and --count do not go together");
    if (o->format && strcmp(o->format, "json") == 0)
        o->json = true; /* bulletin --format json: its JSON, as --json */
    o->broker = client_env(common.broker, "DAJIA_BROKER", S_DEFAULT_BROKER);
    o->office = client_env(o->office, "DAJIA_OFFICE", S_DEFAULT_OFFICE);
    o->state = common.state;
    o->timeout_ms = common.timeout_ms;
    o->keys = dajia_keydir_pick(common.keys);
    o->name = client_env(common.name, "DAJIA_NAME", DAJIA_KEYDIR_OFFICE_NAME);
    return 0;
}

/* office_follow's connect: a CURVE client with our certificate, waiting for the broker
   to admit it so that a refusal is reported instead of waited out. */
static int
s_connect(void *sock, const char *endpoint, void *arg)
{
    const s_options_t *o = arg;
    int rc = dajia_keydir_apply(sock, o->cert, o->broker_key);
    if (rc == 0)
        rc = dajia_keydir_connect(sock, endpoint, (int)o->timeout_ms);
    /* No answer: the broker may be down; the follower's own timeouts report it. */
    return rc == -ETIMEDOUT || rc == -EINTR ? 0 : rc;
}

/* Explains a follower's failure. */
static int
s_failed(office_follow_t *follow, int rc)
{
    if (rc == -EINTR && zsys_interrupted)
        return S_EXIT_OK;
    const char *text = follow ? office_follow_error(follow) : "";
    if (!*text)
        text = dajia_strerror(rc);
    fprintf(stderr, S_NAME ": %s\n", text);
    return S_EXIT_ERROR;
}

static int
s_follow_new(const s_options_t *o, const char *feed, Dajia__Audience audience, const char *state,
             office_follow_t **out)
{
    office_follow_options_t fo = {
        .api = o->broker,
        .feed = feed,
        .audience = audience,
        .state_dir = state,
        .from_seq = 1,
        .timeout_ms = (int)o->timeout_ms,
        .connect = o->cert ? s_connect : NULL,
        .connect_arg = (void *)o,
    };
    int rc = office_follow_new(&fo, out);
    if (rc == DAJIA_KEYDIR_REFUSED || rc == DAJIA_KEYDIR_HANDSHAKE)
        fprintf(stderr, S_NAME ": the broker refused this key: %s (certificate \"%s\" of %s)\n",
                dajia_strerror(rc), o->name, o->keys);
    else if (rc == -EINVAL)
        fprintf(stderr, S_NAME ": cannot connect to \"%s\" or \"%s\": not a valid endpoint\n",
                o->broker, feed ? feed : "");
    else if (rc == OFFICE_FOLLOW_STATE)
        fprintf(stderr,
                S_NAME ": %s/%s does not hold a feed position; remove it to start "
                       "from the beginning\n",
                state, OFFICE_FOLLOW_STATE_FILE);
    else if (rc)
        fprintf(stderr, S_NAME ": cannot start: %s%s%s\n", state ? state : "", state ? ": " : "",
                dajia_strerror(rc));
    return rc;
}

/* Says that memory ran out; the exit status for it. */
static int
s_no_memory(void)
{
    fprintf(stderr, S_NAME ": out of memory\n");
    return S_EXIT_ERROR;
}

/* Replays the feed log (the `audience` items) to `fn` with a follower of its own, as
   every command but watch does. Returns 0 once caught up; else -1 with *status the exit
   status, after saying why (nothing when interrupted). */
static int
s_replay(const s_options_t *o, Dajia__Audience audience, office_follow_fn *fn, void *arg,
         int *status)
{
    office_follow_t *follow = NULL;
    *status = S_EXIT_ERROR;
    if (s_follow_new(o, NULL, audience, NULL, &follow))
        return -1;
    int rc = office_follow_catch_up(follow, fn, arg);
    if (rc < 0)
        *status = rc == -ENOMEM ? s_no_memory() : s_failed(follow, rc);
    office_follow_destroy(&follow);
    return rc < 0 ? -1 : 0;
}

/* The exit status once a command has printed: `rc` is what its printing returned. */
static int
s_printed(int rc)
{
    if (rc == 0 && fflush(stdout) == 0)
        return S_EXIT_OK;
    fprintf(stderr, S_NAME ": %s\n", rc == -ENOMEM ? "out of memory" : "cannot write the output");
    return S_EXIT_ERROR;
}

// ====================================================================== watch

/* Each item once (README, dajia-office; office_output.h): an item's line goes out in
   one write, the follower moves the position with it, and a regular file is read back
   for the first line after a start. */
typedef struct {
    const s_options_t *o;
    int64_t shown;
    int out;        /* the output: standard output */
    int check_tail; /* -1 no; else an fd reading the output file, for the first line */
} s_watch_t;

/* The line(s) `item` prints as, in a new buffer (caller frees). */
static int
s_render(const s_options_t *o, const Dajia__FeedItem *item, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    FILE *mem = open_memstream(text, len);
    if (!mem)
        return -ENOMEM;
    int rc = o->json ? office_print_json(mem, &item->base) : office_print_item(mem, item);
    if (fclose(mem) != 0 && rc == 0)
        rc = -ENOMEM;
    if (rc) {
        free(*text);
        *text = NULL;
    }
    return rc;
}

static int
s_watch_item(const Dajia__FeedItem *item, void *arg)
{
    s_watch_t *w = arg;
    if (!w->o->all && item->item_case != DAJIA__FEED_ITEM__ITEM_ESCALATION)
        return 0;
    char *text = NULL;
    size_t len = 0;
    int rc = s_render(w->o, item, &text, &len);
    if (rc)
        return rc;
    size_t done = 0;
    if (w->check_tail >= 0) {
        bool newline = false;
        done = office_output_written(w->check_tail, text, len, &newline);
        close(w->check_tail);
        w->check_tail = -1;
        if (newline)
            rc = office_output_write(w->out, "\n", 1);
    }
    if (rc == 0)
        rc = office_output_write(w->out, text + done, len - done); /* one write, as a rule */
    free(text);
    if (rc)
        return rc;
    w->shown++;
    return w->o->count && w->shown >= w->o->count ? 1 : 0;
}

static int
s_cmd_watch(const s_options_t *o)
{
    office_follow_t *follow = NULL;
    const char *state = o->state ? o->state : S_DEFAULT_STATE;
    if (s_follow_new(o, o->once ? NULL : o->office, DAJIA__AUDIENCE__AUDIENCE_OFFICE, state,
                     &follow))
        return S_EXIT_ERROR;
    fflush(stdout); /* nothing buffered may follow the lines written directly */
    s_watch_t w = {o, 0, STDOUT_FILENO, office_output_reader(STDOUT_FILENO)};
    int rc = o->once ? office_follow_catch_up(follow, s_watch_item, &w)
                     : office_follow_run(follow, s_watch_item, &w);
    int status = rc >= 0 ? S_EXIT_OK : rc == -EIO ? S_EXIT_ERROR : s_failed(follow, rc);
    if (rc == -EIO)
        fprintf(stderr, S_NAME ": cannot write the output\n");
    if (w.check_tail >= 0)
        close(w.check_tail);
    office_follow_destroy(&follow);
    return status;
}

// ====================================================================== matters

static int
s_matter_item(const Dajia__FeedItem *item, void *arg)
{
    return office_matters_add(arg, item);
}

static int
s_cmd_matters(const s_options_t *o)
{
    office_matters_t *fold = office_matters_new();
    int status = fold ? S_EXIT_ERROR : s_no_memory();
    if (!fold || s_replay(o, DAJIA__AUDIENCE__AUDIENCE_OFFICE, s_matter_item, fold, &status))
        goto out;
    const Dajia__FeedItem *const *items = NULL;
    size_t n = office_matters_open(fold, &items);
    if (n == (size_t)-1) {
        status = s_no_memory();
        goto out;
    }
    size_t overdue = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        overdue += items[i]->matter->days_overdue > 0;
        rc = o->json ? office_print_json(stdout, &items[i]->base)
                     : office_print_matter(stdout, items[i]->matter);
    }
    if (rc == 0 && !o->json)
        printf("%zu open major matter%s, %zu overdue\n", n, n == 1 ? "" : "s", overdue);
    status = s_printed(rc);
out:
    office_matters_destroy(&fold);
    return status;
}

// ====================================================================== bulletin

typedef struct {
    const char *period;
    Dajia__FeedItem *held; /* a copy */
} s_pick_t;

static int
s_bulletin_item(const Dajia__FeedItem *item, void *arg)
{
    s_pick_t *pick = arg;
    if (item->item_case != DAJIA__FEED_ITEM__ITEM_BULLETIN || !item->bulletin)
        return 0;
    if (!office_bulletin_better(pick->held ? pick->held->bulletin : NULL, item->bulletin,
                                pick->period))
        return 0;
    Dajia__FeedItem *copy = office_item_copy(item);
    if (!copy)
        return -ENOMEM;
    if (pick->held)
        dajia__feed_item__free_unpacked(pick->held, NULL);
    pick->held = copy;
    return 0;
}

static int
s_cmd_revisions(const s_options_t *o);

static int
s_cmd_bulletin(const s_options_t *o)
{
    if (o->revisions)
        return s_cmd_revisions(o);
    s_pick_t pick = {o->period, NULL};
    int status;
    if (s_replay(o, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, s_bulletin_item, &pick, &status))
        goto out;
    if (!pick.held) {
        if (o->period)
            fprintf(stderr,
                    S_NAME ": no bulletin for %s yet: a month's bulletin is issued once its "
                           "reporting deadline has passed (the 10th of the next month by "
                           "default), from the first month with data on\n",
                    o->period);
        else
            fprintf(stderr,
                    S_NAME ": no bulletin has been issued yet: a month's bulletin comes once "
                           "its reporting deadline has passed (the 10th of the next month, "
                           "24:00 Beijing time, by default); `make demo` shows one in two "
                           "minutes\n");
        goto out;
    }
    const Dajia__Bulletin *b = pick.held->bulletin;
    int rc = 0;
    if (o->json) {
        rc = office_print_json(stdout, &b->base);
    } else {
        size_t len = strlen(b->markdown);
        if (len)
            fputs(b->markdown, stdout);
        else
            printf("# Bulletin %s\n\n(the bulletin carries no text)", b->period);
        if (!len || b->markdown[len - 1] != '\n')
            fputc('\n', stdout);
        rc = ferror(stdout) ? -EIO : 0;
    }
    status = s_printed(rc);
out:
    if (pick.held)
        dajia__feed_item__free_unpacked(pick.held, NULL);
    return status;
}

// ====================================================================== revisions

typedef struct {
    const char *period;
    Dajia__FeedItem **held; /* copies, in feed order */
    size_t n;
} s_revs_t;

static int
s_revision_item(const Dajia__FeedItem *item, void *arg)
{
    s_revs_t *revs = arg;
    if (item->item_case != DAJIA__FEED_ITEM__ITEM_BULLETIN || !item->bulletin ||
        strcmp(item->bulletin->period, revs->period) != 0)
        return 0;
    Dajia__FeedItem **grown = realloc(revs->held, (revs->n + 1) * sizeof *grown);
    if (!grown)
        return -ENOMEM;
    revs->held = grown;
    if (!(revs->held[revs->n] = office_item_copy(item)))
        return -ENOMEM;
    revs->n++;
    return 0;
}

/* The period asked for, or the latest one a bulletin was issued for. */
static int
s_latest_period(const Dajia__FeedItem *item, void *arg)
{
    char *period = arg;
    if (item->item_case == DAJIA__FEED_ITEM__ITEM_BULLETIN && item->bulletin &&
        strcmp(item->bulletin->period, period) > 0)
        snprintf(period, 32, "%s", item->bulletin->period);
    return 0;
}

static int
s_cmd_revisions(const s_options_t *o)
{
    char latest[32] = "";
    s_revs_t revs = {o->period, NULL, 0};
    const Dajia__Bulletin **list = NULL;
    int status;
    if (!o->period) {
        if (s_replay(o, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, s_latest_period, latest, &status))
            goto out;
        revs.period = latest;
    }
    if (s_replay(o, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, s_revision_item, &revs, &status))
        goto out;
    if (!revs.n) {
        fprintf(stderr, S_NAME ": no bulletin for %s yet\n",
                *revs.period ? revs.period : "any month");
        goto out;
    }
    list = calloc(revs.n, sizeof *list);
    if (!list) {
        status = s_no_memory();
        goto out;
    }
    int rc = 0;
    for (size_t i = 0; i < revs.n; i++) {
        list[i] = revs.held[i]->bulletin;
        if (o->json && rc == 0) {
            /* what a revision is, without the bulletin it revises */
            Dajia__Bulletin r = DAJIA__BULLETIN__INIT;
            const Dajia__Bulletin *b = list[i];
            r.period = b->period;
            r.produced_at = b->produced_at;
            r.revision = b->revision;
            r.deadline_at = b->deadline_at;
            r.cutoff_at = b->cutoff_at;
            r.n_changes = b->n_changes;
            r.changes = b->changes;
            r.n_sources = b->n_sources;
            r.sources = b->sources;
            rc = office_print_json(stdout, &r.base);
        }
    }
    if (!o->json)
        rc = office_revisions_print(stdout, list, revs.n, DAJIA_LANG_ZH);
    status = s_printed(rc);
out:
    for (size_t i = 0; i < revs.n; i++)
        dajia__feed_item__free_unpacked(revs.held[i], NULL);
    free(revs.held);
    free(list);
    return status;
}

// ====================================================================== compliance

static int
s_compliance_item(const Dajia__FeedItem *item, void *arg)
{
    return office_compliance_add(arg, item);
}

static int
s_cmd_compliance(const s_options_t *o)
{
    office_compliance_t *fold = office_compliance_new();
    int status = fold ? S_EXIT_ERROR : s_no_memory();
    if (!fold || s_replay(o, DAJIA__AUDIENCE__AUDIENCE_OFFICE, s_compliance_item, fold, &status))
        goto out;
    /* now: our clock (DAJIA_CLOCK too), but never before what the broker has produced */
    int64_t now = dajia_clock_now_ms();
    if (now < office_compliance_seen(fold))
        now = office_compliance_seen(fold);
    const char *period = o->period ? o->period : office_compliance_open_period(fold, now);
    const Dajia__UnitCompliance *const *rows = NULL;
    int64_t deadline = 0;
    size_t n = period ? office_compliance_rows(fold, period, now, &rows, &deadline) : 0;
    if (n == (size_t)-1) {
        status = s_no_memory();
        goto out;
    }
    if (n == 0) {
        if (period)
            fprintf(stderr,
                    S_NAME ": no reporting record for %s: months before the first one the "
                           "circulate worker judges (its first data, or circulate/go_live) "
                           "and months not begun have none\n",
                    period);
        else
            fprintf(stderr, S_NAME ": no reporting record yet: the circulate worker starts "
                                   "judging with the first report (or circulate/go_live)\n");
        goto out;
    }
    int rc = 0;
    if (o->json)
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = office_print_json(stdout, &rows[i]->base);
    else
        rc = office_compliance_print(stdout, period, deadline, now, rows, n, DAJIA_LANG_ZH);
    status = s_printed(rc);
out:
    office_compliance_destroy(&fold);
    return status;
}

// ====================================================================== figures

static int
s_figures_item(const Dajia__FeedItem *item, void *arg)
{
    return office_figures_add(arg, item);
}

static int
s_cmd_figures(const s_options_t *o)
{
    office_figures_t *fold = office_figures_new();
    int status = fold ? S_EXIT_ERROR : s_no_memory();
    if (!fold || s_replay(o, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, s_figures_item, fold, &status))
        goto out;
    const Dajia__AggregateRow *const *rows = NULL;
    size_t n = office_figures_rows(fold, o->period, o->unit, &rows);
    if (n == (size_t)-1) {
        status = s_no_memory();
        goto out;
    }
    int rc = 0;
    if (o->json)
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = office_print_json(stdout, &rows[i]->base);
    else
        rc = office_figures_print(stdout, o->period, rows, n, DAJIA_LANG_ZH);
    status = s_printed(rc);
out:
    office_figures_destroy(&fold);
    return status;
}

int
main(int argc, char **argv)
{
    s_options_t o = {0};
    int status = s_parse(argc, argv, &o);
    if (status)
        return status;
    zsys_init();
    dajia_log_set_ident(S_NAME);
    if (o.keys && client_keys_open(S_NAME, o.keys, o.name, &o.cert, o.broker_key))
        return S_EXIT_ERROR;
    status = o.command->run(&o);
    zcert_destroy(&o.cert);
    return status;
}
