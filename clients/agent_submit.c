/*  agent_submit: files of reports -> outbox entries. See agent_submit.h.

    A file goes through four steps: its bytes become UTF-8 (agent_text); its format is
    told from its first characters (a brace, a bracket, or a header row of known
    columns); its reports are cut out (a JSON object by matching braces outside strings,
    a CSV row by agent_csv, which writes it as JSON); each report is read with the JSON
    mapper in its collecting mode and then checked with the codec in its collecting
    mode, so every mistake comes out in one pass. Positions are the file's: the mapper
    counts from the object's slice, and this file adds where the slice starts.

    JSON Lines or not is decided from the first object: if it fits on its line, the file
    is JSON Lines and every line stands alone. Otherwise (an array, or pretty-printed
    objects) the whole file is checked for syntax before anything of it is queued, so a
    missing brace gives one message instead of every later object misread.
*/
#include "agent_submit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "agent_csv.h"
#include "agent_text.h"
#include "dajia_codec.h"
#include "dajia_json.h"

#define S_MESSAGE_MAX (2 * AGENT_OUTBOX_MAX_TEXT)
#define S_READ_CHUNK  (1024 * 1024)
#define S_MAX_FIELDS  32 /* fields of one report whose value the mapper refused */
#define S_FIELD_MAX   DAJIA_JSON_FIELD_MAX

struct agent_submit_t {
    agent_outbox_t *outbox;
    char *unit;
    agent_submit_problem_fn *problem;
    agent_submit_note_fn *note;
    void *problem_arg;
    dajia_limits_t limits;
    agent_outbox_batch_t *batch;
    size_t batch_adds;     /* adds in the current batch */
    unsigned char *packed; /* reusable buffer for one packed envelope */
    size_t packed_cap;
    agent_submit_counts_t counts;
    /* the CSV file being read, and the mistakes its reader found in the current row */
    agent_csv_t *csv;
    char *row_text;
    size_t row_len, row_cap;
    int row_mistakes;
    char row_fields[S_MAX_FIELDS][S_FIELD_MAX]; /* fields of the row's refused cells */
    int row_nfields;
};

/* Where a report starts in its file. */
typedef struct {
    const char *name;
    long line;
    long column;
} s_where_t;

/* One report being judged: its mistakes, gathered for the rejected table. */
typedef struct {
    agent_submit_t *self;
    const s_where_t *at;
    char text[AGENT_OUTBOX_MAX_TEXT]; /* the mistakes, "; "-separated */
    size_t text_len;
    int count;
    Dajia__Reason reason;                   /* the first mistake's */
    bool unreadable;                        /* the mapper or the CSV reader refused something */
    char fields[S_MAX_FIELDS][S_FIELD_MAX]; /* fields whose value was refused */
    int nfields;
} s_report_t;

static int64_t
s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ====================================================================== lifecycle */

int
agent_submit_new(agent_outbox_t *outbox, const char *unit, agent_submit_problem_fn *problem,
                 void *problem_arg, agent_submit_t **out)
{
    agent_submit_t *self = calloc(1, sizeof(agent_submit_t));
    if (!self)
        return -ENOMEM;
    self->outbox = outbox;
    self->unit = strdup(unit);
    self->batch = agent_outbox_batch_new();
    self->problem = problem;
    self->problem_arg = problem_arg;
    dajia_limits_default(&self->limits);
    if (!self->unit || !self->batch) {
        agent_submit_destroy(&self);
        return -ENOMEM;
    }
    *out = self;
    return 0;
}

void
agent_submit_destroy(agent_submit_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    agent_submit_t *self = *self_p;
    agent_outbox_batch_destroy(&self->batch);
    agent_csv_destroy(&self->csv);
    free(self->row_text);
    free(self->packed);
    free(self->unit);
    free(self);
    *self_p = NULL;
}

void
agent_submit_set_note(agent_submit_t *self, agent_submit_note_fn *note)
{
    self->note = note;
}

void
agent_submit_counts(const agent_submit_t *self, agent_submit_counts_t *counts)
{
    *counts = self->counts;
}

int
agent_submit_flush(agent_submit_t *self)
{
    if (agent_outbox_batch_size(self->batch) == 0)
        return 0;
    size_t queued = 0;
    int rc = agent_outbox_apply(self->outbox, self->batch, &queued);
    if (rc)
        return rc;
    self->counts.queued += queued;
    self->counts.waiting += self->batch_adds - queued;
    self->batch_adds = 0;
    agent_outbox_batch_clear(self->batch);
    return 0;
}

static int
s_flush_if_full(agent_submit_t *self)
{
    if (agent_outbox_batch_size(self->batch) < AGENT_SUBMIT_CHUNK)
        return 0;
    return agent_submit_flush(self);
}

/* ====================================================================== mistakes */

static void
s_say(agent_submit_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_say(agent_submit_t *self, const char *fmt, ...)
{
    if (!self->problem)
        return;
    char message[S_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    self->problem(message, self->problem_arg);
}

/* Adds one mistake's sentence to the report's text for the rejected table. */
static void
s_note(s_report_t *r, Dajia__Reason reason, const char *text)
{
    if (r->count++ == 0)
        r->reason = reason;
    r->self->counts.mistakes++;
    size_t n = strlen(text);
    const char *sep = r->text_len ? "; " : "";
    size_t room = sizeof r->text - r->text_len;
    if (room > strlen(sep) + 1) {
        int written = snprintf(r->text + r->text_len, room, "%s%.*s", sep, (int)n, text);
        if (written > 0)
            r->text_len += (size_t)written < room ? (size_t)written : room - 1;
    }
}

/* Keeps a refused report in the rejected table (at the next flush): under its event_id
   when it has one that means something, else under its source. */
static int
s_reject(agent_submit_t *self, const s_where_t *at, const char *event_id, Dajia__Reason reason,
         const char *text, const char *original, size_t original_len)
{
    char source[AGENT_OUTBOX_MAX_TEXT];
    snprintf(source, sizeof source, "%s:%ld", at->name, at->line);
    agent_rejection_t r = {
        .event_id = event_id ? event_id : "",
        .source = source,
        .reason = reason,
        .text = text,
        .at_ms = s_now_ms(),
        .original_kind = AGENT_ORIGINAL_JSON,
        .original = original,
        .original_len = original_len,
    };
    self->counts.rejected++;
    self->counts.by_reason[(unsigned)reason < AGENT_SUBMIT_REASONS ? reason : 0]++;
    int rc = agent_outbox_batch_reject(self->batch, &r);
    return rc ? rc : s_flush_if_full(self);
}

/* A file that cannot be read as reports at all: one message, one entry. */
static int
s_refuse_file(agent_submit_t *self, const s_where_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
s_refuse_file(agent_submit_t *self, const s_where_t *at, const char *fmt, ...)
{
    char text[AGENT_OUTBOX_MAX_TEXT];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    self->counts.mistakes++;
    if (at->column > 0)
        s_say(self, "%s:%ld:%ld: %s", at->name, at->line, at->column, text);
    else
        s_say(self, "%s: %s", at->name, text);
    return s_reject(self, at, NULL, DAJIA__REASON__REASON_MALFORMED, text, NULL, 0);
}

/* ====================================================================== one report */

/* Packs `env` into self->packed; returns its size, or 0 when memory ran out. */
static size_t
s_pack(agent_submit_t *self, const Dajia__Envelope *env)
{
    size_t size = dajia__envelope__get_packed_size(env);
    if (size > self->packed_cap) {
        size_t cap = size < 4096 ? 4096 : size;
        unsigned char *buf = realloc(self->packed, cap);
        if (!buf)
            return 0;
        self->packed = buf;
        self->packed_cap = cap;
    }
    return dajia__envelope__pack(env, self->packed);
}

/* The field a verdict is about: its sentence starts with the field's path. */
static void
s_verdict_field(const char *text, char *buf, size_t size)
{
    size_t n = strcspn(text, " ");
    if (n >= size)
        n = size - 1;
    memcpy(buf, text, n);
    buf[n] = '\0';
}

/* Was a value of `field` refused by the mapper already (so that "is missing" would
   say the same mistake twice)? */
static bool
s_refused_before(const s_report_t *r, const char *field)
{
    size_t n = strlen(field);
    for (int i = 0; i < r->nfields; i++) {
        char after = r->fields[i][n];
        if (strncmp(r->fields[i], field, n) == 0 && (after == '\0' || after == '[' || after == '.'))
            return true;
    }
    return false;
}

/* A mistake the JSON mapper found. */
static void
s_on_json_error(const dajia_json_error_t *err, void *arg)
{
    s_report_t *r = arg;
    agent_submit_t *self = r->self;
    r->unreadable = true;
    if (err->field[0] && r->nfields < S_MAX_FIELDS)
        snprintf(r->fields[r->nfields++], S_FIELD_MAX, "%s", err->field);
    if (self->csv) {
        /* The JSON is the CSV reader's: name the column, not a place in it. */
        const char *column = err->field[0] ? agent_csv_column_of(self->csv, err->field) : NULL;
        if (column)
            s_say(self, "%s:%ld: column %s: %s", r->at->name, r->at->line, column, err->text);
        else
            s_say(self, "%s:%ld: %s", r->at->name, r->at->line, err->text);
    } else {
        /* The mapper counts from the slice; make the position the file's. */
        long line = r->at->line, column = r->at->column;
        if (err->line > 1) {
            line = r->at->line + err->line - 1;
            column = err->column > 0 ? err->column : 1;
        } else if (err->line == 1 && err->column > 0)
            column = r->at->column + err->column - 1;
        s_say(self, "%s:%ld:%ld: %s", r->at->name, line, column, err->text);
    }
    s_note(r, DAJIA__REASON__REASON_MALFORMED, err->text);
}

/* The event being checked, for the messages of its verdicts. */
typedef struct {
    s_report_t *report;
    const char *event_id;
} s_checking_t;

/* A check the event failed. */
static void
s_on_verdict(const dajia_verdict_t *verdict, void *arg)
{
    s_checking_t *c = arg;
    s_report_t *r = c->report;
    agent_submit_t *self = r->self;
    char field[S_FIELD_MAX];
    s_verdict_field(verdict->text, field, sizeof field);
    if (s_refused_before(r, field))
        return;
    const char *reason = dajia_reason_name(verdict->reason);
    if (self->csv) {
        const char *column = agent_csv_column_of(self->csv, field);
        const char *missing = column ? NULL : agent_csv_column_name(field);
        if (column)
            s_say(self, "%s:%ld: column %s: %s: %s", r->at->name, r->at->line, column, reason,
                  verdict->text);
        else if (missing)
            s_say(self, "%s:%ld: %s: %s; the file has no column %s for it", r->at->name,
                  r->at->line, reason, verdict->text, missing);
        else
            s_say(self, "%s:%ld: %s: %s", r->at->name, r->at->line, reason, verdict->text);
    } else if (r->unreadable)
        /* The id was derived from what could be read: it means nothing to the reader. */
        s_say(self, "%s:%ld: %s: %s", r->at->name, r->at->line, reason, verdict->text);
    else
        s_say(self, "%s:%ld: event %s: %s: %s", r->at->name, r->at->line, c->event_id, reason,
              verdict->text);
    s_note(r, verdict->reason, verdict->text);
}

/* Reads, completes, checks and queues one report (the JSON text `json`, `len` bytes).
   Every mistake is reported; a report with any is kept in the rejected table once. */
static int
s_report(agent_submit_t *self, const s_where_t *at, const char *json, size_t len)
{
    s_report_t r;
    memset(&r, 0, sizeof r);
    r.self = self;
    r.at = at;
    self->counts.read++;
    if (self->csv && self->row_mistakes > 0) {
        /* The CSV reader's own mistakes of this row were said already. */
        r.unreadable = true;
        r.count = self->row_mistakes;
        r.reason = DAJIA__REASON__REASON_MALFORMED;
        snprintf(r.text, sizeof r.text, "%s", self->row_text ? self->row_text : "");
        r.text_len = strlen(r.text);
        memcpy(r.fields, self->row_fields, sizeof r.fields);
        r.nfields = self->row_nfields;
    }

    ProtobufCMessage *msg = NULL;
    dajia_json_to_message_each(&dajia__envelope__descriptor, json, len, &msg, s_on_json_error, &r);
    if (!msg)
        return s_reject(self, at, NULL, r.reason, r.text, json, len);

    Dajia__Envelope *env = (Dajia__Envelope *)msg;
    char *own_unit = env->unit, *own_id = env->event_id;
    char derived[DAJIA_DERIVED_ID_SIZE];
    int64_t now = s_now_ms();
    int rc = 0;

    if (!env->unit || !env->unit[0])
        env->unit = self->unit;
    if (env->reported_at == 0)
        env->reported_at = now;
    if (!env->event_id || !env->event_id[0]) {
        if (dajia_event_id_derive(env, derived, sizeof derived) != 0) {
            rc = -ENOMEM;
            goto out;
        }
        env->event_id = derived;
    }
    s_checking_t checking = {&r, env->event_id};
    if (strcmp(env->unit, self->unit) != 0) {
        dajia_verdict_t verdict = {.reason = DAJIA__REASON__REASON_UNIT_MISMATCH};
        snprintf(verdict.text, sizeof verdict.text,
                 "unit \"%.64s\" is not this agent's unit \"%s\" (an agent reports for its own "
                 "unit only)",
                 env->unit, self->unit);
        s_on_verdict(&verdict, &checking);
    }
    dajia_envelope_validate_each(env, &self->limits, now, NULL, NULL, s_on_verdict, &checking);
    size_t size = dajia__envelope__get_packed_size(env);
    if (size > self->limits.max_message) {
        dajia_verdict_t verdict = {.reason = DAJIA__REASON__REASON_TOO_LARGE};
        snprintf(verdict.text, sizeof verdict.text,
                 "the event is %zu bytes encoded; the limit is %zu", size,
                 self->limits.max_message);
        s_on_verdict(&verdict, &checking);
    }
    if (r.count > 0) {
        /* A report the mapper could not read whole has no id worth keeping: its id
           would change with the correction. */
        rc = s_reject(self, at, r.unreadable ? NULL : env->event_id, r.reason, r.text, json, len);
        goto out;
    }
    /* The unit's order is the outbox's to give (agent_outbox_batch_add): a liaison never
       writes it. */
    env->unit_seq = 0;
    size = s_pack(self, env);
    if (size == 0) {
        rc = -ENOMEM;
        goto out;
    }
    rc = agent_outbox_batch_add(self->batch, env->event_id, self->packed, size);
    if (rc == -EINVAL) {
        /* validation bounds ids well below the outbox's limit; keep this an error path */
        s_note(&r, DAJIA__REASON__REASON_BAD_ID, "the event_id is too long");
        rc = s_reject(self, at, NULL, r.reason, r.text, json, len);
        goto out;
    }
    if (rc)
        goto out;
    self->batch_adds++;
    rc = s_flush_if_full(self);
out:
    env->unit = own_unit;
    env->event_id = own_id;
    protobuf_c_message_free_unpacked(msg, NULL);
    return rc;
}

/* ====================================================================== JSON */

static bool
s_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t
s_line_end(const char *text, size_t pos, size_t len)
{
    const char *nl = memchr(text + pos, '\n', len - pos);
    return nl ? (size_t)(nl - text) : len;
}

/* Blanks the notes: every line whose first characters (after blanks) are # or //
   becomes spaces, so positions stay where they were. No JSON string can hold a line
   break, so such a line is never inside one. */
static void
s_blank_notes(char *text, size_t len)
{
    for (size_t pos = 0; pos < len;) {
        size_t end = s_line_end(text, pos, len), i = pos;
        while (i < end && (text[i] == ' ' || text[i] == '\t'))
            i++;
        if (i < end && (text[i] == '#' || (text[i] == '/' && i + 1 < end && text[i + 1] == '/')))
            memset(text + i, ' ', end - i);
        pos = end + 1;
    }
}

/* Finds the end of the value (object or array) starting at text[pos], looking no
   further than `limit`. Sets *end past its closing bracket and returns true, or sets
   *end = limit and returns false if it does not close. A raw newline ends a string:
   JSON strings cannot hold one, and stopping there keeps a broken line from
   swallowing the next ones. */
static bool
s_match(const char *text, size_t pos, size_t limit, size_t *end)
{
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = pos; i < limit; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\' && i + 1 < limit && text[i + 1] != '\n')
                i++;
            else if (c == '"' || c == '\n')
                in_string = false;
        } else if (c == '"')
            in_string = true;
        else if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && --depth == 0) {
            *end = i + 1;
            return true;
        }
    }
    *end = limit;
    return false;
}

/* JSON Lines when the first object closes on its own line, or its line at least ends
   with a brace (a broken line of a JSON Lines file). */
static bool
s_is_json_lines(const char *text, size_t pos, size_t len)
{
    while (pos < len && s_is_space(text[pos]))
        pos++;
    if (pos == len || text[pos] != '{')
        return true;
    size_t line_end = s_line_end(text, pos, len), end = 0;
    if (s_match(text, pos, line_end, &end))
        return true;
    while (line_end > pos && s_is_space(text[line_end - 1]))
        line_end--;
    return text[line_end - 1] == '}';
}

/* Line and column (in characters, as jansson counts) of byte `at`. */
static void
s_position(const char *text, size_t at, long *line, long *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < at; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *column = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80)
            (*column)++;
    }
}

/* Checks the syntax of `len` bytes at text[pos] with jansson. Returns true when they
   are one JSON value; else says where it breaks, as a file refusal, and returns false
   with *rc set. */
static bool
s_syntax_ok(agent_submit_t *self, const char *name, const char *text, size_t pos, size_t len,
            int *rc)
{
    dajia_json_error_t err;
    ProtobufCMessage *msg = NULL;
    /* The mapper over an object checks its syntax and says so as every JSON error is
       said; a value that is not an object is checked by jansson alone. */
    json_error_t jerr;
    json_t *root = json_loadb(text + pos, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root) {
        json_decref(root);
        return true;
    }
    if (dajia_json_to_message(&dajia__envelope__descriptor, text + pos, len, &msg, &err) == 0)
        protobuf_c_message_free_unpacked(msg, NULL);
    long line = 0, column = 0;
    s_position(text, pos, &line, &column);
    s_where_t at = {name, line + (err.line > 1 ? err.line - 1 : 0),
                    err.line > 1 ? err.column : column + (err.column > 0 ? err.column - 1 : 0)};
    *rc =
        s_refuse_file(self, &at, "%s; nothing of this file was queued: fix it and submit it again",
                      err.text[0] ? err.text : jerr.text);
    return false;
}

/* One JSON Lines file: each line a report of its own. */
static int
s_json_lines(agent_submit_t *self, const char *name, const char *text, size_t len)
{
    size_t pos = 0;
    long line = 1;
    int rc = 0;
    while (rc == 0 && pos < len) {
        size_t end = s_line_end(text, pos, len), start = pos;
        while (start < end && s_is_space(text[start]))
            start++;
        size_t stop = end;
        while (stop > start && s_is_space(text[stop - 1]))
            stop--;
        if (start < stop) {
            s_where_t at = {name, line, 0};
            long l = 0;
            s_position(text + pos, start - pos, &l, &at.column);
            if (text[start] != '{') {
                self->counts.read++;
                rc = s_refuse_file(self, &at,
                                   "expected '{' to start a report (one JSON object "
                                   "on each line)");
            } else
                rc = s_report(self, &at, text + start, stop - start);
        }
        pos = end + 1;
        line++;
    }
    return rc;
}

/* Objects one after another (pretty-printed), or a JSON array of them. The syntax of
   all of it is checked before any is read. */
static int
s_json_objects(agent_submit_t *self, const char *name, const char *text, size_t len, bool array)
{
    int rc = 0;
    size_t pos = 0;
    while (pos < len && s_is_space(text[pos]))
        pos++;
    if (array) {
        size_t stop = len;
        while (stop > pos && s_is_space(text[stop - 1]))
            stop--;
        if (!s_syntax_ok(self, name, text, pos, stop - pos, &rc))
            return rc;
        pos++; /* the '[' */
    } else {
        for (size_t at = pos; at < len;) {
            size_t end = 0;
            if (text[at] != '{') {
                long line = 0, column = 0;
                s_position(text, at, &line, &column);
                s_where_t where = {name, line, column};
                self->counts.read++;
                return s_refuse_file(self, &where,
                                     "expected '{' to start a report; nothing of this file was "
                                     "queued: fix it and submit it again");
            }
            s_match(text, at, len, &end);
            if (!s_syntax_ok(self, name, text, at, end - at, &rc))
                return rc;
            at = end;
            while (at < len && s_is_space(text[at]))
                at++;
        }
    }
    size_t index = 0;
    while (rc == 0) {
        while (pos < len && (s_is_space(text[pos]) || (array && text[pos] == ',')))
            pos++;
        if (pos >= len || (array && text[pos] == ']'))
            break;
        long line = 0, column = 0;
        s_position(text, pos, &line, &column);
        s_where_t at = {name, line, column};
        size_t end = 0;
        if (text[pos] != '{') {
            /* A valid array may hold something else: say which item. */
            s_match(text, pos, len, &end);
            if (end == len || end == pos)
                end = pos + strcspn(text + pos, ",]");
            self->counts.read++;
            rc = s_refuse_file(self, &at, "item %zu of the array is not a report (a JSON object)",
                               index + 1);
        } else {
            s_match(text, pos, len, &end);
            rc = s_report(self, &at, text + pos, end - pos);
        }
        pos = end;
        index++;
    }
    return rc;
}

/* ====================================================================== CSV */

typedef struct {
    agent_submit_t *self;
    const char *name;
} s_csv_arg_t;

/* Keeps `field` as one whose cell was refused, so that the checks do not say again
   that it is missing. */
static void
s_row_field(agent_submit_t *self, const char *field)
{
    if (field[0] && self->row_nfields < S_MAX_FIELDS)
        snprintf(self->row_fields[self->row_nfields++], S_FIELD_MAX, "%s", field);
}

/* A mistake the CSV reader found: said now, and kept for the row's entry. */
static void
s_csv_problem(long line, const char *field, const char *message, void *arg)
{
    s_csv_arg_t *a = arg;
    agent_submit_t *self = a->self;
    s_say(self, "%s:%ld: %s", a->name, line, message);
    s_row_field(self, field);
    /* Without a column of its own, occurred_at is the row's latest date: a date that
       could not be read may be why it is missing. */
    size_t flen = strlen(field);
    if (self->csv && flen > 3 && strcmp(field + flen - 3, "_at") == 0 &&
        !agent_csv_column_of(self->csv, "occurred_at"))
        s_row_field(self, "occurred_at");
    self->counts.mistakes++;
    self->row_mistakes++;
    size_t n = strlen(message) + 3;
    if (self->row_len + n + 1 > self->row_cap) {
        size_t cap = (self->row_cap ? self->row_cap * 2 : 512) + n;
        char *grown = realloc(self->row_text, cap);
        if (!grown)
            return; /* the entry's text is shorter then; the mistake was said */
        self->row_text = grown;
        self->row_cap = cap;
    }
    self->row_len += (size_t)snprintf(self->row_text + self->row_len, self->row_cap - self->row_len,
                                      "%s%s", self->row_len ? "; " : "", message);
}

static int
s_csv(agent_submit_t *self, const char *name, const char *text, size_t len)
{
    s_csv_arg_t arg = {self, name};
    self->row_len = 0;
    self->row_mistakes = 0;
    if (self->row_text)
        self->row_text[0] = '\0';
    int rc = agent_csv_open(text, len, s_csv_problem, &arg, &self->csv);
    if (rc == -ENOMEM)
        return rc;
    if (rc) {
        s_where_t at = {name, 1, 0};
        self->counts.read++;
        return s_reject(self, &at, NULL, DAJIA__REASON__REASON_MALFORMED,
                        self->row_text ? self->row_text : "the header cannot be read", NULL, 0);
    }
    for (;;) {
        self->row_len = 0;
        self->row_mistakes = 0;
        self->row_nfields = 0;
        if (self->row_text)
            self->row_text[0] = '\0';
        char *json = NULL;
        long line = 0;
        int problems = 0;
        rc = agent_csv_next(self->csv, &json, &line, &problems);
        if (rc <= 0)
            break;
        s_where_t at = {name, line, 0};
        rc = s_report(self, &at, json, strlen(json));
        free(json);
        if (rc)
            break;
    }
    agent_csv_destroy(&self->csv);
    return rc < 0 ? rc : 0;
}

/* ====================================================================== files */

static bool
s_named_as_table(const char *name)
{
    size_t n = strlen(name);
    static const char *const exts[] = {".csv", ".CSV", ".tsv", ".TSV", ".txt", ".TXT"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (n > 4 && strcmp(name + n - 4, exts[i]) == 0)
            return true;
    return false;
}

int
agent_submit_text(agent_submit_t *self, const char *name, const char *data, size_t len)
{
    char *text = NULL;
    size_t text_len = 0;
    agent_text_encoding_t encoding = AGENT_TEXT_UTF8;
    char why[AGENT_TEXT_WHY_MAX];
    char prefix[AGENT_OUTBOX_MAX_TEXT];

    /* What earlier submissions of this file left in the rejected table goes: the file
       is judged again as it is now. */
    snprintf(prefix, sizeof prefix, "%s:", name);
    int rc = agent_outbox_batch_forget(self->batch, prefix);
    if (rc)
        return rc;

    rc = agent_text_decode(data, len, &text, &text_len, &encoding, why);
    if (rc == -ENOMEM)
        return rc;
    if (rc) {
        s_where_t at = {name, 1, 0};
        self->counts.read++;
        return s_refuse_file(self, &at, "%s", why);
    }
    size_t pos = 0;
    while (pos < text_len && s_is_space(text[pos]))
        pos++;
    const char *format;
    const char *shown = encoding == AGENT_TEXT_UTF8 ? NULL : agent_text_encoding_name(encoding);
    bool json = pos < text_len && (text[pos] == '{' || text[pos] == '[');
    bool note =
        pos < text_len &&
        (text[pos] == '#' || (text[pos] == '/' && pos + 1 < text_len && text[pos + 1] == '/'));
    bool table =
        !json && pos < text_len && (agent_csv_sniff(text, text_len) || s_named_as_table(name));
    if (table) {
        if (self->note)
            self->note(name, shown, "CSV", self->problem_arg);
        rc = s_csv(self, name, text, text_len);
    } else if (json || note) {
        s_blank_notes(text, text_len);
        pos = 0;
        while (pos < text_len && s_is_space(text[pos]))
            pos++;
        bool array = pos < text_len && text[pos] == '[';
        bool lines = !array && s_is_json_lines(text, pos, text_len);
        format = array ? "JSON array" : lines ? "JSON Lines" : "JSON";
        if (self->note)
            self->note(name, shown, format, self->problem_arg);
        rc = lines ? s_json_lines(self, name, text, text_len)
                   : s_json_objects(self, name, text, text_len, array);
    } else {
        rc = s_json_lines(self, name, text, text_len);
    }
    free(text);
    return rc;
}

/* Reads all of `fd` into a new buffer (caller frees). Returns 0 or -errno. */
static int
s_read_all(int fd, char **out, size_t *out_len)
{
    struct stat st;
    size_t cap = S_READ_CHUNK, len = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (size_t)st.st_size + 1;
    char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (len == cap) {
            char *bigger = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                return -ENOMEM;
            }
            buf = bigger;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int rc = -errno;
            free(buf);
            return rc;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    *out = buf;
    *out_len = len;
    return 0;
}

int
agent_submit_file(agent_submit_t *self, const char *path, int *read_error)
{
    bool is_stdin = strcmp(path, "-") == 0;
    *read_error = 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *read_error = errno;
        return 0;
    }
    char *text = NULL;
    size_t len = 0;
    int rc = s_read_all(fd, &text, &len);
    if (!is_stdin)
        close(fd);
    if (rc == -ENOMEM)
        return rc;
    if (rc) {
        *read_error = -rc;
        return 0;
    }
    rc = agent_submit_text(self, is_stdin ? "<stdin>" : path, text, len);
    free(text);
    return rc;
}
