/*  dajia-agent: how a member unit reports to the broker.

    Events are read from files, checked, written to a durable outbox and then sent until
    the broker has answered for every one of them. The outbox survives anything
    (kill -9, a reboot, the broker being away for a week); `flush` picks up where a run
    left off. This file is only the command line: parsing options, wiring the outbox,
    the submitter and the session together, and telling the person what happened.

    The person is most often a liaison officer, not a programmer: every message says
    what happened in plain words and what to do next, the closing summary counts every
    refusal (and says which ones the broker never saw), and a missing key is explained
    before anything is sent, not discovered as a broker that does not answer.

    Commands are rows of s_commands (name, arguments, what they need, the function):
    a new command is one row and one function.
*/
#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_keys.h"
#include "agent_notices.h"
#include "agent_outbox.h"
#include "agent_session.h"
#include "agent_submit.h"
#include "agent_template.h"
#include "agent_vocab.h"
#include "client_args.h"
#include "client_opts.h"
#include "dajia_log.h"
#include "dajia_codec.h"
#include "dajia_fs.h"
#include "dajia_error.h"
#include "dajia_json.h"
#include "dajia_keydir.h"
#include "dajia_suggest.h"

#define S_NAME               "dajia-agent"
#define S_DEFAULT_BROKER     "tcp://127.0.0.1:7400"
#define S_DEFAULT_STATE_FMT  "./var/agent-%s"
#define S_DEFAULT_WINDOW     128
#define S_DEFAULT_TIMEOUT_MS (60 * 1000)
#define S_DEFAULT_RESEND_MS  2000
#define S_MAX_TIMEOUT_S      (7 * 24 * 3600)
#define S_MAX_RESEND_MS      (3600 * 1000)
#define S_MAX_KEEP_DAYS      3650
#define S_STATE_MODE         0700
#define S_MAX_PROBLEMS       50 /* per-event messages printed before summarising */

enum { S_EXIT_OK = 0, S_EXIT_REJECTED = 1, S_EXIT_USAGE = 2, S_EXIT_WAITING = 3 };
enum {
    S_OPT_BROKER = 256,
    S_OPT_UNIT,
    S_OPT_STATE,
    S_OPT_WINDOW,
    S_OPT_TIMEOUT,
    S_OPT_RESEND,
    S_OPT_KEYS,
    S_OPT_NAME,
    S_OPT_CLEAR,
    S_OPT_KEEP_DAYS
};

typedef struct {
    const char *broker;
    const char *unit;
    const char *state;
    char state_buf[256];
    int64_t window;
    int64_t timeout_ms;
    int64_t resend_ms;
    int64_t keep_days; /* acknowledged events are kept this long (agent_outbox.h) */
    bool verbose;
    bool force;       /* keys import: replace other keys */
    const char *keys; /* key directory; NULL: no CURVE */
    const char *name; /* our certificate's name */
    zcert_t *cert;    /* its key pair, loaded from `keys` */
    char broker_key[DAJIA_KEYDIR_KEY_TXT];
    bool clear; /* rejected --clear */
} s_options_t;

/* What the person sees while and after a run. */
typedef struct {
    const s_options_t *opts;
    bool tty; /* stderr is a terminal: draw progress */
    bool progress_drawn;
    uint64_t problems; /* per-event messages, printed or not */
    bool unknown_unit; /* the broker said our unit is not a member */
    bool no_key;       /* no key found for a broker elsewhere: nothing was sent */
    uint64_t broker_by_reason[AGENT_SUBMIT_REASONS]; /* the broker's refusals */
} s_ui_t;

static void
s_usage(FILE *out)
{
    fprintf(out,
            "usage: " S_NAME " [OPTIONS] COMMAND\n"
            "\n"
            "Reports a member unit's events to the dajia broker. Events wait in a durable\n"
            "outbox until the broker has stored them, so nothing is lost if either side\n"
            "stops; running a command again never stores anything twice.\n"
            "\n"
            "commands:\n"
            "  submit FILE...   queue the reports in FILE and send everything waiting. A\n"
            "                   FILE holds JSON (one object, several, an array, or JSON\n"
            "                   Lines) or CSV (a spreadsheet of case reports, one row each);\n"
            "                   UTF-8, GBK or UTF-16; \"-\" reads standard input\n"
            "  import FILE...   the same, named for spreadsheets: " S_NAME " import cases.csv\n"
            "  template TYPE    print an example report with every field and its notes, to\n"
            "                   fill in and submit: " AGENT_TEMPLATE_TYPES "\n"
            "  outbox           list the events waiting to be stored\n"
            "  rejected         list the reports that were refused, with the reasons\n"
            "                   (--clear: empty the list)\n"
            "  flush            send what waits in the outbox\n"
            "  notices          print the notices the broker holds for this unit alone (a\n"
            "                   report of the unit's the workers could not use, and what to\n"
            "                   do), those since the last run: each is printed once\n"
            "  keys import FILE\n"
            "                   install a key file from the Office (`dajia-ctl keys export\n"
            "                   NAME`; \"-\" reads standard input) in the key directory:\n"
            "                   --keys DIR, else DAJIA_KEYS, else " DAJIA_KEYDIR_DEFAULT_DIR
            "; --force\n"
            "                   replaces another broker's key or an older key of that name\n"
            "\n"
            "Every field, value and CSV column, in Chinese and English: docs/fields.md.\n"
            "\n"
            "options:\n"
            "  --broker ENDPOINT   broker api endpoint (env DAJIA_BROKER; default " S_DEFAULT_BROKER
            ")\n"
            "  --unit CODE         this unit's code, e.g. psb (env DAJIA_UNIT; default: the\n"
            "                      certificate's unit)\n"
            "  --keys DIR          key directory (env DAJIA_KEYS; default " DAJIA_KEYDIR_DEFAULT_DIR
            "\n"
            "                      when it holds broker.cert, else no CURVE, which only a\n"
            "                      broker on this machine may be reached without)\n"
            "  --name NAME         certificate name in DIR (env DAJIA_NAME; default the unit)\n"
            "  --state DIR         outbox directory (default ./var/agent-CODE)\n"
            "  --window N          events in flight at once (default %d)\n"
            "  --timeout SEC       give up after SEC seconds without an answer (default %d;\n"
            "                      0: only queue, send nothing)\n"
            "  --resend-ms MS      resend an unanswered event after MS (default %d)\n"
            "  --keep-days N       keep acknowledged events N days (default %d; at most %d\n"
            "                      events), to send again if the broker is restored from a\n"
            "                      backup that lacks them\n"
            "  --clear             with `rejected`: empty the list of refused reports\n"
            "  -v, --verbose       log resends and odd replies\n"
            "  -h, --help          show this help\n"
            "      --version       show the version and the source revision\n"
            "\n"
            "exit status: 0 all stored; 1 some reports refused, or an error; 2 usage error;\n"
            "3 some events still waiting, e.g. the broker did not answer in time or could not\n"
            "store them (3 wins over 1: the refused ones are listed all the same).\n",
            S_DEFAULT_WINDOW, S_DEFAULT_TIMEOUT_MS / 1000, S_DEFAULT_RESEND_MS,
            AGENT_OUTBOX_KEEP_DAYS, AGENT_OUTBOX_KEEP_MAX);
}

/* ====================================================================== ui */

static void
s_clear_progress(s_ui_t *ui)
{
    if (ui->progress_drawn) {
        fputs("\r\033[K", stderr);
        ui->progress_drawn = false;
    }
}

static void
s_on_progress(const agent_session_report_t *r, void *arg)
{
    s_ui_t *ui = arg;
    if (!ui->tty)
        return;
    fprintf(stderr, "\rsent %llu/%llu, stored %llu, duplicates %llu, rejected %llu\033[K",
            (unsigned long long)r->sent, (unsigned long long)r->total,
            (unsigned long long)(r->accepted + r->duplicates), (unsigned long long)r->duplicates,
            (unsigned long long)r->rejected);
    fflush(stderr);
    ui->progress_drawn = true;
}

static void
s_problem(const char *message, void *arg)
{
    s_ui_t *ui = arg;
    if (ui->problems++ < S_MAX_PROBLEMS) {
        s_clear_progress(ui);
        fprintf(stderr, "%s\n", message);
    }
}

static void
s_on_reject(const char *event_id, int reason, const char *text, void *arg)
{
    s_ui_t *ui = arg;
    if (reason == DAJIA__REASON__REASON_UNKNOWN_UNIT)
        ui->unknown_unit = true;
    ui->broker_by_reason[(unsigned)reason < AGENT_SUBMIT_REASONS ? reason : 0]++;
    char message[AGENT_OUTBOX_MAX_TEXT + 128];
    snprintf(message, sizeof message, S_NAME ": event %s rejected by the broker: %s: %s", event_id,
             dajia_reason_name((Dajia__Reason)reason), text);
    s_problem(message, ui);
}

/* "2 malformed, 1 missing_field": the counts by reason, into buf. */
static const char *
s_by_reason(const uint64_t *counts, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int reason = 0; reason < AGENT_SUBMIT_REASONS; reason++) {
        if (!counts[reason])
            continue;
        int n =
            snprintf(buf + used, size - used, "%s%llu %s", used ? ", " : "",
                     (unsigned long long)counts[reason], dajia_reason_name((Dajia__Reason)reason));
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
    return buf;
}

/* Is the endpoint on this machine, where no key is needed to keep the traffic private
   (loopback tcp, ipc, inproc)? */
static bool
s_is_local(const char *endpoint)
{
    static const char *const local[] = {"ipc://", "inproc://", "tcp://127.",
                                        "tcp://localhost:", "tcp://[::1]:"};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
        if (strncmp(endpoint, local[i], strlen(local[i])) == 0)
            return true;
    return false;
}

/* Where the agent looked for a key directory, and what to do: the places of
   dajia_keydir_pick, in its order. */
static void
s_say_no_key(const s_options_t *o)
{
    char cwd[1024];
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, "the current directory");
    fprintf(stderr,
            S_NAME ": no key found for unit \"%s\": looked for a key directory in --keys (not "
                   "given), $" DAJIA_KEYDIR_ENV " (not set) and " DAJIA_KEYDIR_DEFAULT_DIR
                   " (in %s: no " DAJIA_KEYDIR_BROKER_CERT " there)\n",
            o->unit ? o->unit : "?", cwd);
    fprintf(stderr, S_NAME ": ask the Office for your unit's key file, then `" S_NAME
                           " keys import FILE`\n");
}

/* The member units' codes with their names, after the nearest to `given` if one is
   near. */
static void
s_print_units(const char *given)
{
    size_t count = 0;
    const agent_vocab_unit_t *units = agent_vocab_units(&count);
    dajia_suggest_t near;
    dajia_suggest_init(&near, given);
    for (size_t i = 0; i < count; i++)
        dajia_suggest_add(&near, units[i].code);
    if (dajia_suggest_best(&near))
        fprintf(stderr, S_NAME ": did you mean %s?\n", dajia_suggest_best(&near));
    fprintf(stderr, S_NAME ": the member units' codes (the broker's configuration may differ):\n");
    for (size_t i = 0; i < count; i++)
        fprintf(stderr, "  %-14s %s\n", units[i].code, units[i].name);
}

/* Prints the closing lines and picks the exit status. `counts` is the reading's (NULL
   for flush). */
static int
s_finish(s_ui_t *ui, const agent_session_report_t *r, const agent_submit_counts_t *counts,
         bool failed)
{
    const s_options_t *o = ui->opts;
    char reasons[1024];
    s_clear_progress(ui);
    if (ui->problems > S_MAX_PROBLEMS)
        fprintf(stderr, S_NAME ": ... and %llu more; `" S_NAME " rejected` lists them all\n",
                (unsigned long long)(ui->problems - S_MAX_PROBLEMS));
    if (r->unmatched && r->waiting > 0)
        fprintf(stderr,
                S_NAME ": the broker refused %llu send%s without naming the event: %s: %s\n",
                (unsigned long long)r->unmatched, r->unmatched == 1 ? "" : "s",
                dajia_reason_name((Dajia__Reason)r->unmatched_reason), r->unmatched_text);
    if (ui->unknown_unit || r->unit_unknown) {
        fprintf(stderr,
                S_NAME ": the broker does not know unit \"%s\"; check --unit (or DAJIA_UNIT)"
                       " against the broker's member list\n",
                o->unit ? o->unit : "?");
        s_print_units(o->unit ? o->unit : "");
    }
    if (r->store_changed)
        fprintf(stderr,
                S_NAME
                ": 中心的存储已从备份恢复或已更换：本单位已确认的 %llu 个事件按原顺序重新发送，"
                "中心只存缺少的 / the broker's store was restored from a backup or replaced: "
                "resending the %llu acknowledged events this agent keeps, oldest first; "
                "the broker stores those it lacks, once, and answers the rest as "
                "duplicates\n",
                (unsigned long long)r->requeued, (unsigned long long)r->requeued);
    uint64_t local_rejected = counts ? counts->rejected : 0;
    if (counts && counts->read > 0)
        fprintf(stderr,
                S_NAME ": %llu report%s read: %llu queued, %llu already waiting, %llu refused "
                       "here\n",
                (unsigned long long)counts->read, counts->read == 1 ? "" : "s",
                (unsigned long long)counts->queued, (unsigned long long)counts->waiting,
                (unsigned long long)counts->rejected);
    if (local_rejected)
        fprintf(stderr,
                S_NAME ": refused here, never sent, so not in the broker's stats: %s (%llu "
                       "mistake%s in all)\n",
                s_by_reason(counts->by_reason, reasons, sizeof reasons),
                (unsigned long long)counts->mistakes, counts->mistakes == 1 ? "" : "s");
    if (r->rejected)
        fprintf(stderr, S_NAME ": refused by the broker (counted in its stats): %s\n",
                s_by_reason(ui->broker_by_reason, reasons, sizeof reasons));
    uint64_t rejected = local_rejected + r->rejected;
    fprintf(stderr,
            S_NAME ": %llu stored (%llu new, %llu duplicates), %llu rejected, %llu waiting\n",
            (unsigned long long)(r->accepted + r->duplicates), (unsigned long long)r->accepted,
            (unsigned long long)r->duplicates, (unsigned long long)rejected,
            (unsigned long long)r->waiting);
    if (r->waiting > 0) {
        const char *when = "to send them";
        /* The broker said something, so the connection was not dropped for want of a key
           (an older broker's refusal of HELLO counts). */
        bool answered = r->accepted || r->duplicates || r->rejected || r->unmatched ||
                        r->storage_unavailable || r->store_unchecked;
        if (r->interrupted)
            fprintf(stderr, S_NAME ": interrupted\n");
        else if (r->unit_unknown)
            when = "once the broker lists the unit";
        else if (ui->no_key) {
            s_say_no_key(o);
            when = "once the key is in place";
        } else if (r->timed_out && r->storage_unavailable) {
            fprintf(stderr,
                    S_NAME ": the broker at %s cannot store events right now (it answered "
                           "storage_unavailable %llu time%s: its disk is full or its store "
                           "reached its size limit); the events wait safely in the outbox, "
                           "nothing is lost\n",
                    o->broker, (unsigned long long)r->storage_unavailable,
                    r->storage_unavailable == 1 ? "" : "s");
            when = "later, or tell the Office's IT if it lasts";
        } else if (r->timed_out) {
            fprintf(stderr, S_NAME ": %s the broker at %s for %g s\n",
                    r->unmatched ? "nothing stored by" : "no answer from", o->broker,
                    (double)o->timeout_ms / 1000);
            if (!answered && !o->keys) {
                fprintf(stderr,
                        S_NAME ": this agent has no key (CURVE) and a broker that uses keys drops "
                               "a connection without one\n");
                s_say_no_key(o);
            }
            when = "when the broker is back";
        }
        fprintf(stderr,
                S_NAME ": %llu event%s still waiting in the outbox; run `" S_NAME " flush` %s\n",
                (unsigned long long)r->waiting, r->waiting == 1 ? "" : "s", when);
        return S_EXIT_WAITING;
    }
    return failed || rejected > 0 ? S_EXIT_REJECTED : S_EXIT_OK;
}

/* ====================================================================== commands */

/* Says that the outbox in the state directory could not be opened, read, written...
   (`verb`), and why. */
static void
s_outbox_error(const s_options_t *o, const char *verb, int rc)
{
    fprintf(stderr, S_NAME ": cannot %s the outbox in %s: %s\n", verb, o->state,
            dajia_strerror(rc));
}

/* Opens the outbox in the state directory (creating it when `create`). Sets *out to
   NULL, and returns 0, when the directory does not exist and `create` is false. */
static int
s_open(const s_options_t *o, bool create, agent_outbox_t **out)
{
    *out = NULL;
    struct stat st;
    if (!create && stat(o->state, &st) != 0 && errno == ENOENT)
        return 0;
    int rc = create ? dajia_fs_mkdir_p(o->state, S_STATE_MODE) : 0;
    if (rc == 0)
        rc = agent_outbox_open(o->state, out);
    if (rc == 0)
        agent_outbox_set_retention(*out, o->keep_days * 24 * 3600 * 1000, AGENT_OUTBOX_KEEP_MAX);
    if (rc) {
        s_outbox_error(o, "open", rc);
        return rc;
    }
    if (!o->unit)
        return 0;
    char owner[256] = "";
    rc = agent_outbox_claim(*out, o->unit, owner, sizeof owner);
    if (rc == AGENT_OUTBOX_WRONG_UNIT)
        fprintf(stderr, S_NAME ": %s holds the outbox of unit \"%s\", not \"%s\"\n", o->state,
                owner, o->unit);
    else if (rc)
        s_outbox_error(o, "use", rc);
    if (rc)
        agent_outbox_destroy(out);
    return rc;
}

static int
s_run_session(s_ui_t *ui, agent_outbox_t *outbox, agent_session_report_t *report)
{
    const s_options_t *o = ui->opts;
    if (!o->keys && o->timeout_ms > 0 && !s_is_local(o->broker)) {
        /* A broker elsewhere is reached with a key only (README, Security): without one,
           say so now instead of waiting for an answer that cannot come. */
        ui->no_key = true;
        memset(report, 0, sizeof *report);
        int rc = agent_outbox_counts(outbox, &report->total, NULL);
        report->waiting = report->total;
        return rc;
    }
    agent_session_options_t so = {
        .endpoint = o->broker,
        .window = (size_t)o->window,
        .timeout_ms = o->timeout_ms,
        .resend_ms = o->resend_ms,
        .on_progress = ui->tty ? s_on_progress : NULL,
        .on_reject = s_on_reject,
        .arg = ui,
        .verbose = o->verbose,
        .cert = o->cert,
        .broker_key = o->broker_key,
    };
    int rc = agent_session_run(outbox, &so, report);
    if (rc == DAJIA_KEYDIR_REFUSED || rc == DAJIA_KEYDIR_HANDSHAKE) {
        s_clear_progress(ui);
        fprintf(stderr,
                S_NAME ": the broker refused this key: %s (certificate \"%s\" in %s); the "
                       "events stay in the outbox\n",
                dajia_strerror(rc), o->name, o->keys);
    } else if (rc == -EINVAL) {
        s_clear_progress(ui);
        fprintf(stderr, S_NAME ": cannot connect to \"%s\": not a valid endpoint\n", o->broker);
    } else if (rc) {
        s_clear_progress(ui);
        s_outbox_error(o, "update", rc);
    }
    return rc;
}

/* A file read in another encoding than UTF-8: worth a line, since it was converted. */
static void
s_on_note(const char *name, const char *encoding, const char *format, void *arg)
{
    s_ui_t *ui = arg;
    if (!encoding && !ui->opts->verbose)
        return;
    s_clear_progress(ui);
    fprintf(stderr, S_NAME ": %s: %s, %s text%s\n", strcmp(name, "-") == 0 ? "<stdin>" : name,
            format, encoding ? encoding : "UTF-8", encoding ? " (converted to UTF-8)" : "");
}

static int
s_cmd_submit(s_options_t *o, int nfiles, char **files)
{
    s_ui_t ui = {.opts = o, .tty = isatty(STDERR_FILENO)};
    agent_outbox_t *outbox = NULL;
    agent_submit_t *submit = NULL;
    agent_session_report_t report;
    memset(&report, 0, sizeof report);
    agent_submit_counts_t counts;
    memset(&counts, 0, sizeof counts);
    bool failed = false;

    int rc = s_open(o, true, &outbox);
    if (rc)
        return S_EXIT_REJECTED;
    rc = agent_submit_new(outbox, o->unit, s_problem, &ui, &submit);
    if (rc == 0)
        agent_submit_set_note(submit, s_on_note);
    for (int i = 0; rc == 0 && i < nfiles; i++) {
        int read_error = 0;
        agent_submit_counts(submit, &counts);
        uint64_t read_before = counts.read;
        rc = agent_submit_file(submit, files[i], &read_error);
        agent_submit_counts(submit, &counts);
        if (read_error) {
            /* This file could not be read; the others still can. */
            fprintf(stderr, S_NAME ": cannot read %s: %s\n", files[i], strerror(read_error));
            failed = true;
        } else if (rc == 0 && counts.read == read_before)
            fprintf(stderr, S_NAME ": %s holds no reports\n",
                    strcmp(files[i], "-") == 0 ? "standard input" : files[i]);
    }
    if (rc == 0)
        rc = agent_submit_flush(submit);
    if (submit)
        agent_submit_counts(submit, &counts);
    if (rc) {
        s_outbox_error(o, "write", rc);
        failed = true;
    }
    if (o->verbose)
        dajia_log_debug("read %llu reports: %llu queued, %llu already waiting, %llu refused",
                        (unsigned long long)counts.read, (unsigned long long)counts.queued,
                        (unsigned long long)counts.waiting, (unsigned long long)counts.rejected);
    /* Send what the outbox holds even after a failure: what was written is safe. */
    if (s_run_session(&ui, outbox, &report) != 0)
        failed = true;
    int status = s_finish(&ui, &report, &counts, failed);
    agent_submit_destroy(&submit);
    agent_outbox_destroy(&outbox);
    return status;
}

static int
s_cmd_flush(s_options_t *o, int nargs, char **args)
{
    (void)nargs;
    (void)args;
    s_ui_t ui = {.opts = o, .tty = isatty(STDERR_FILENO)};
    agent_outbox_t *outbox = NULL;
    agent_session_report_t report;
    memset(&report, 0, sizeof report);
    if (s_open(o, false, &outbox) != 0)
        return S_EXIT_REJECTED;
    bool failed = outbox && s_run_session(&ui, outbox, &report) != 0;
    int status = s_finish(&ui, &report, NULL, failed);
    agent_outbox_destroy(&outbox);
    return status;
}

static int
s_print_waiting(uint64_t seq, const char *event_id, const void *data, size_t len, void *arg)
{
    (void)seq;
    uint64_t *count = arg;
    const char *kind = "?";
    char when[32] = "-";
    Dajia__Envelope *env = dajia__envelope__unpack(NULL, len, data);
    if (env) {
        const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field(
            &dajia__envelope__descriptor, (unsigned)env->body_case);
        kind = field ? field->name : "-";
        if (env->occurred_at)
            dajia_json_format_time(env->occurred_at, when, sizeof when);
    }
    printf("%-42s  %-15s  %s\n", event_id, kind, when);
    if (env)
        dajia__envelope__free_unpacked(env, NULL);
    (*count)++;
    return 0;
}

static int
s_cmd_outbox(s_options_t *o, int nargs, char **args)
{
    (void)nargs;
    (void)args;
    agent_outbox_t *outbox = NULL;
    uint64_t count = 0;
    if (s_open(o, false, &outbox) != 0)
        return S_EXIT_REJECTED;
    uint64_t kept = 0;
    int rc = outbox ? agent_outbox_walk(outbox, 0, s_print_waiting, &count) : 0;
    if (rc == 0 && outbox)
        rc = agent_outbox_kept(outbox, &kept);
    agent_outbox_destroy(&outbox);
    if (rc) {
        s_outbox_error(o, "read", rc);
        return S_EXIT_REJECTED;
    }
    printf("%llu event%s waiting; %llu stored event%s kept, to send again if the broker is "
           "restored from a backup\n",
           (unsigned long long)count, count == 1 ? "" : "s", (unsigned long long)kept,
           kept == 1 ? "" : "s");
    return S_EXIT_OK;
}

static int
s_print_rejected(const agent_rejection_t *r, void *arg)
{
    uint64_t *count = arg;
    char when[32];
    dajia_json_format_time(r->at_ms, when, sizeof when);
    const char *what = r->event_id[0] ? r->event_id : r->source;
    printf("%-42s  %-18s  %s", what, dajia_reason_name((Dajia__Reason)r->reason), r->text);
    if (r->event_id[0] && r->source[0])
        printf("  [%s]", r->source);
    printf("  (%s)\n", when);
    (*count)++;
    return 0;
}

static int
s_cmd_rejected(s_options_t *o, int nargs, char **args)
{
    (void)nargs;
    (void)args;
    agent_outbox_t *outbox = NULL;
    uint64_t count = 0;
    if (s_open(o, false, &outbox) != 0)
        return S_EXIT_REJECTED;
    int rc = 0;
    if (o->clear)
        rc = outbox ? agent_outbox_clear_rejected(outbox, &count) : 0;
    else
        rc = outbox ? agent_outbox_walk_rejected(outbox, s_print_rejected, &count) : 0;
    agent_outbox_destroy(&outbox);
    if (rc) {
        s_outbox_error(o, o->clear ? "update" : "read", rc);
        return S_EXIT_REJECTED;
    }
    if (o->clear)
        printf("%llu refused report%s cleared from the list\n", (unsigned long long)count,
               count == 1 ? "" : "s");
    else
        printf("%llu rejected\n", (unsigned long long)count);
    return S_EXIT_OK;
}

static int
s_cmd_notices(s_options_t *o, int nargs, char **args)
{
    (void)nargs;
    (void)args;
    if (dajia_fs_mkdir_p(o->state, S_STATE_MODE) != 0) {
        fprintf(stderr, S_NAME ": cannot make the state directory %s\n", o->state);
        return S_EXIT_REJECTED;
    }
    /* each wait on the broker: --timeout, at most 30 s (a reader, not an outbox) */
    int64_t timeout_ms = o->timeout_ms > 0 && o->timeout_ms < 30000 ? o->timeout_ms : 30000;
    agent_notices_options_t no = {
        .broker = o->broker,
        .unit = o->unit,
        .state_dir = o->state,
        .cert = o->cert,
        .broker_key = o->broker_key,
        .timeout_ms = (int)timeout_ms,
        .out = stdout,
    };
    uint64_t printed = 0;
    char err[512] = "";
    int rc = agent_notices_print(&no, &printed, err, sizeof err);
    if (rc) {
        fprintf(stderr, S_NAME ": %s\n", err);
        return S_EXIT_REJECTED;
    }
    fprintf(stderr, "%llu new notice%s for %s\n", (unsigned long long)printed,
            printed == 1 ? "" : "s", o->unit);
    return S_EXIT_OK;
}

static int
s_cmd_template(s_options_t *o, int nargs, char **args)
{
    (void)o;
    (void)nargs;
    int rc = agent_template_print(stdout, args[0]);
    if (rc == -1) {
        const char *near = agent_template_near(args[0]);
        fprintf(stderr,
                S_NAME ": no template \"%s\"%s%s%s; the types are " AGENT_TEMPLATE_TYPES "\n",
                args[0], near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
        return S_EXIT_USAGE;
    }
    if (rc) {
        fprintf(stderr, S_NAME ": cannot print the template: %s\n", dajia_strerror(rc));
        return S_EXIT_REJECTED;
    }
    return fflush(stdout) == 0 ? S_EXIT_OK : S_EXIT_REJECTED;
}

/* ====================================================================== commands */

typedef int(s_command_fn)(s_options_t *o, int nargs, char **args);

/* What a command needs before it runs. */
typedef enum {
    S_NEEDS_NOTHING = 0, /* no unit, no outbox (template) */
    S_NEEDS_OUTBOX,      /* the unit's outbox: --unit, or --state alone */
    S_NEEDS_UNIT,        /* the unit itself: it makes events in the unit's name */
} s_needs_t;

typedef struct {
    const char *name;
    const char *args;       /* what follows the name, for messages; "" when nothing */
    int min_args, max_args; /* max -1: any number */
    s_needs_t needs;
    bool sends; /* talks to the broker: loads the unit's key */
    s_command_fn *run;
} s_command_t;

static const s_command_t s_commands[] = {
    {"submit", "FILE...", 1, -1, S_NEEDS_UNIT, true, s_cmd_submit},
    {"import", "FILE...", 1, -1, S_NEEDS_UNIT, true, s_cmd_submit},
    {"template", "TYPE", 1, 1, S_NEEDS_NOTHING, false, s_cmd_template},
    {"outbox", "", 0, 0, S_NEEDS_OUTBOX, false, s_cmd_outbox},
    {"rejected", "", 0, 0, S_NEEDS_OUTBOX, false, s_cmd_rejected},
    {"flush", "", 0, 0, S_NEEDS_OUTBOX, true, s_cmd_flush},
    {"notices", "", 0, 0, S_NEEDS_UNIT, true, s_cmd_notices},
};

#define S_NCOMMANDS (sizeof s_commands / sizeof s_commands[0])

static const s_command_t *
s_command_find(const char *name)
{
    for (size_t i = 0; i < S_NCOMMANDS; i++)
        if (strcmp(name, s_commands[i].name) == 0)
            return &s_commands[i];
    return NULL;
}

/* ====================================================================== main */

/* Loads our certificate from o->keys (named o->name: --name, DAJIA_NAME or the unit) and
   the broker's key; a unit not given is the certificate's. Returns S_EXIT_OK or the exit
   status after saying what is wrong. */
static int
s_load_cert(s_options_t *o)
{
    if (!o->name)
        return client_usage_error(S_NAME, "%s",
                                  "which certificate? give --name NAME (or --unit CODE)");
    int rc = dajia_keydir_open(o->keys, o->name, &o->cert, o->broker_key);
    if (rc) {
        fprintf(stderr, S_NAME ": cannot use certificate \"%s\" of %s: %s\n", o->name, o->keys,
                dajia_strerror(rc));
        if (rc == DAJIA_KEYDIR_NOTFOUND || rc == -ENOENT)
            fprintf(stderr, S_NAME ": ask the Office for your unit's key file, then `" S_NAME
                                   " keys import FILE`\n");
        return S_EXIT_USAGE;
    }
    const char *role = zcert_meta(o->cert, "role");
    const char *unit = zcert_meta(o->cert, "unit");
    if (!role || strcmp(role, "unit") != 0 || !unit) {
        fprintf(stderr, S_NAME ": certificate \"%s\" has role %s; the agent needs a unit's\n",
                o->name, role ? role : "(none)");
        return S_EXIT_USAGE;
    }
    if (!o->unit)
        o->unit = unit;
    else if (strcmp(o->unit, unit) != 0) {
        fprintf(stderr,
                S_NAME ": certificate \"%s\" is unit %s's, not %s's: the broker "
                       "would refuse every event\n",
                o->name, unit, o->unit);
        return S_EXIT_USAGE;
    }
    return S_EXIT_OK;
}

/* --unit that is no unit code (a name, most often: "信阳海关"): the codes of the member
   units with their names, and the code of the one it names if it names one. */
static int
s_unit_list(const char *given)
{
    const char *code = agent_vocab_unit(given);
    if (code)
        fprintf(stderr, S_NAME ": \"%s\" is a unit's name; its code is %s: give --unit %s\n", given,
                code, code);
    else
        fprintf(stderr, S_NAME ": \"%s\" is not a unit code (letters, digits, . _ -)\n", given);
    s_print_units(given);
    return S_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"broker", required_argument, NULL, S_OPT_BROKER},
        {"unit", required_argument, NULL, S_OPT_UNIT},
        {"state", required_argument, NULL, S_OPT_STATE},
        {"window", required_argument, NULL, S_OPT_WINDOW},
        {"timeout", required_argument, NULL, S_OPT_TIMEOUT},
        {"resend-ms", required_argument, NULL, S_OPT_RESEND},
        {"keys", required_argument, NULL, S_OPT_KEYS},
        {"name", required_argument, NULL, S_OPT_NAME},
        {"clear", no_argument, NULL, S_OPT_CLEAR},
        {"keep-days", required_argument, NULL, S_OPT_KEEP_DAYS},
        {"verbose", no_argument, NULL, 'v'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    s_options_t o = {
        .broker = getenv("DAJIA_BROKER"),
        .unit = getenv("DAJIA_UNIT"),
        .window = S_DEFAULT_WINDOW,
        .timeout_ms = S_DEFAULT_TIMEOUT_MS,
        .resend_ms = S_DEFAULT_RESEND_MS,
        .keep_days = AGENT_OUTBOX_KEEP_DAYS,
    };
    if (!o.broker || !*o.broker)
        o.broker = S_DEFAULT_BROKER;
    if (o.unit && !*o.unit)
        o.unit = NULL;

    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
        switch (c) {
        case S_OPT_BROKER:
            o.broker = optarg;
            break;
        case S_OPT_UNIT:
            o.unit = optarg;
            break;
        case S_OPT_STATE:
            o.state = optarg;
            break;
        case S_OPT_KEYS:
            o.keys = optarg;
            break;
        case S_OPT_NAME:
            o.name = optarg;
            break;
        case S_OPT_CLEAR:
            o.clear = true;
            break;
        case S_OPT_WINDOW:
            if (client_parse_int(optarg, 1, AGENT_SESSION_WINDOW_MAX, &o.window) != 0)
                return client_usage_error(
                    S_NAME, "--window wants a number from 1 to 65536, not \"%s\"", optarg);
            break;
        case S_OPT_TIMEOUT:
            if (client_parse_seconds(optarg, S_MAX_TIMEOUT_S, &o.timeout_ms) != 0)
                return client_usage_error(S_NAME, "--timeout wants seconds (0 or more), not \"%s\"",
                                          optarg);
            break;
        case S_OPT_RESEND:
            if (client_parse_int(optarg, 1, S_MAX_RESEND_MS, &o.resend_ms) != 0)
                return client_usage_error(
                    S_NAME, "--resend-ms wants milliseconds (1 or more), not \"%s\"", optarg);
            break;
        case S_OPT_KEEP_DAYS:
            if (client_parse_int(optarg, 1, S_MAX_KEEP_DAYS, &o.keep_days) != 0)
                return client_usage_error(S_NAME, "--keep-days wants days from 1 to %d, not \"%s\"",
                                          S_MAX_KEEP_DAYS, optarg);
            break;
        case 'v':
            o.verbose = true;
            break;
        case 'f':
            o.force = true;
            break;
        default: /* -h, --version, and what is wrong */
            return client_opts_fallback(S_NAME, c, argv, s_usage);
        }
    }
    if (optind >= argc)
        return client_usage_error(S_NAME, "%s",
                                  "no command given (submit, import, template, outbox, rejected, "
                                  "flush, notices or keys)");
    const char *name = argv[optind++];
    int nargs = argc - optind;
    char **args = argv + optind;

    if (strcmp(name, "keys") == 0) {
        if (nargs < 1 || strcmp(args[0], "import") != 0)
            return client_usage_error(S_NAME, "%s", "keys wants import FILE");
        if (nargs != 2)
            return client_usage_error(S_NAME, "%s",
                                      nargs < 2 ? "keys import wants the key FILE (\"-\" for "
                                                  "standard input)"
                                                : "keys import takes one FILE");
        const char *env_keys = getenv(DAJIA_KEYDIR_ENV);
        const char *dir = o.keys && *o.keys       ? o.keys
                          : env_keys && *env_keys ? env_keys
                                                  : DAJIA_KEYDIR_DEFAULT_DIR;
        dajia_log_set_ident(S_NAME);
        return agent_keys_import(S_NAME, dir, args[1], o.force);
    }
    if (o.force)
        return client_usage_error(S_NAME, "%s", "--force goes with keys import");
    const s_command_t *command = s_command_find(name);
    if (!command) {
        dajia_suggest_t near;
        dajia_suggest_init(&near, name);
        for (size_t i = 0; i < S_NCOMMANDS; i++)
            dajia_suggest_add(&near, s_commands[i].name);
        dajia_suggest_add(&near, "keys");
        if (dajia_suggest_best(&near))
            return client_usage_error(S_NAME, "unknown command \"%s\"; did you mean %s?", name,
                                      dajia_suggest_best(&near));
        return client_usage_error(S_NAME, "unknown command \"%s\"", name);
    }
    if (nargs < command->min_args)
        return client_usage_error(S_NAME, "%s needs %s%s", name, command->args,
                                  strcmp(command->args, "FILE...") == 0
                                      ? " (at least one FILE; \"-\" for standard input)"
                                      : "");
    if (command->max_args >= 0 && nargs > command->max_args)
        return client_usage_error(S_NAME, "unexpected argument \"%s\"", args[command->max_args]);
    if (o.clear && command->run != s_cmd_rejected)
        return client_usage_error(S_NAME, "%s", "--clear goes with the rejected command only");
    if (command->needs == S_NEEDS_NOTHING)
        return command->run(&o, nargs, args);

    if (o.unit && !client_unit_ok(o.unit))
        return s_unit_list(o.unit);
    o.keys = dajia_keydir_pick(o.keys);
    if (!o.name || !*o.name)
        o.name = getenv("DAJIA_NAME");
    if (!o.name || !*o.name)
        o.name = o.unit;
    int status = S_EXIT_OK;
    if (o.keys && command->sends) {
        status = s_load_cert(&o);
        if (status != S_EXIT_OK)
            return status;
    }
    if (!o.unit && (command->needs == S_NEEDS_UNIT || !o.state))
        return client_usage_error(S_NAME, "%s", "which unit? give --unit CODE or set DAJIA_UNIT");
    if (!o.state) {
        snprintf(o.state_buf, sizeof o.state_buf, S_DEFAULT_STATE_FMT, o.unit);
        o.state = o.state_buf;
    }

    dajia_log_set_ident(S_NAME);
    status = command->run(&o, nargs, args);
    zcert_destroy(&o.cert);
    return status;
}
