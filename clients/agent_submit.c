/*  agent_submit: files of JSON events -> outbox entries. See agent_submit.h.

    The reader finds each object by matching braces (outside strings) and hands exactly
    that slice to the JSON mapper, so one object, several pretty-printed objects in a
    row and JSON Lines all work. Which of the two it is gets decided from the first
    object: if it fits on its line, the file is JSON Lines and every line stands alone,
    so one broken line costs that line only. Errors are reported with the position in
    the file, not in the slice.
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

#include "dajia_codec.h"
#include "dajia_json.h"

#define S_MESSAGE_MAX (2 * AGENT_OUTBOX_MAX_TEXT)
#define S_READ_CHUNK  (1024 * 1024)

struct agent_submit_t {
    agent_outbox_t *outbox;
    char *unit;
    agent_submit_problem_fn *problem;
    void *problem_arg;
    dajia_limits_t limits;
    agent_outbox_batch_t *batch;
    size_t batch_adds;     /* adds in the current batch */
    unsigned char *packed; /* reusable buffer for one packed envelope */
    size_t packed_cap;
    agent_submit_counts_t counts;
};

/* Where an object starts in its file. */
typedef struct {
    const char *name;
    long line;
    long column;
} s_where_t;

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
    free(self->packed);
    free(self->unit);
    free(self);
    *self_p = NULL;
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

/* ====================================================================== one event */

static void
s_problem(agent_submit_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_problem(agent_submit_t *self, const char *fmt, ...)
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

/* Keeps a refused input in the rejected table (at the next flush) and reports it. */
static int
s_reject(agent_submit_t *self, const s_where_t *at, const char *event_id, Dajia__Reason reason,
         const char *text, const char *json, size_t json_len)
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
        .original = json,
        .original_len = json_len,
    };
    self->counts.rejected++;
    if (event_id && event_id[0])
        s_problem(self, "%s: event %s: %s: %s", source, event_id, dajia_reason_name(reason), text);
    int rc = agent_outbox_batch_reject(self->batch, &r);
    return rc ? rc : s_flush_if_full(self);
}

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

/* Checks and queues a parsed envelope. It borrows strings while it works and puts the
   envelope's own back before returning, so the caller frees it as parsed. */
static int
s_event(agent_submit_t *self, const s_where_t *at, Dajia__Envelope *env, const char *json,
        size_t json_len)
{
    char *own_unit = env->unit, *own_id = env->event_id;
    char derived[DAJIA_DERIVED_ID_SIZE];
    char text[DAJIA_REASON_TEXT_MAX + 64];
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
    if (strcmp(env->unit, self->unit) != 0) {
        snprintf(text, sizeof text, "unit \"%.64s\" is not this agent's unit \"%s\"", env->unit,
                 self->unit);
        rc = s_reject(self, at, env->event_id, DAJIA__REASON__REASON_UNIT_MISMATCH, text, json,
                      json_len);
        goto out;
    }
    dajia_verdict_t verdict;
    if (dajia_envelope_validate(env, &self->limits, now, NULL, NULL, &verdict) != 0) {
        rc = s_reject(self, at, env->event_id, verdict.reason, verdict.text, json, json_len);
        goto out;
    }
    size_t size = dajia__envelope__get_packed_size(env);
    if (size > self->limits.max_message) {
        snprintf(text, sizeof text, "the event is %zu bytes encoded; the limit is %zu", size,
                 self->limits.max_message);
        rc = s_reject(self, at, env->event_id, DAJIA__REASON__REASON_TOO_LARGE, text, json,
                      json_len);
        goto out;
    }
    size = s_pack(self, env);
    if (size == 0) {
        rc = -ENOMEM;
        goto out;
    }
    rc = agent_outbox_batch_add(self->batch, env->event_id, self->packed, size);
    if (rc == -EINVAL) {
        /* validation bounds ids well below the outbox's limit; keep this an error path */
        rc = s_reject(self, at, env->event_id, DAJIA__REASON__REASON_BAD_ID,
                      "the event_id is too long", json, json_len);
        goto out;
    }
    if (rc)
        goto out;
    self->batch_adds++;
    rc = s_flush_if_full(self);
out:
    env->unit = own_unit;
    env->event_id = own_id;
    return rc;
}

/* Parses one object (the slice `json`) and submits it. */
static int
s_object(agent_submit_t *self, const s_where_t *at, const char *json, size_t len)
{
    ProtobufCMessage *msg = NULL;
    dajia_json_error_t err;
    memset(&err, 0, sizeof err);
    self->counts.read++;
    if (dajia_json_to_message(&dajia__envelope__descriptor, json, len, &msg, &err) != 0) {
        /* The mapper counts from the slice; make the position the file's. */
        s_where_t pos = *at;
        if (err.line > 1) {
            pos.line = at->line + err.line - 1;
            pos.column = err.column > 0 ? err.column : 1;
        } else if (err.line == 1 && err.column > 0)
            pos.column = at->column + err.column - 1;
        if (!err.text[0])
            snprintf(err.text, sizeof err.text, "not a valid event");
        char source[AGENT_OUTBOX_MAX_TEXT];
        snprintf(source, sizeof source, "%s:%ld:%ld", pos.name, pos.line, pos.column);
        s_problem(self, "%s: %s", source, err.text);
        return s_reject(self, &pos, NULL, DAJIA__REASON__REASON_MALFORMED, err.text, json, len);
    }
    int rc = s_event(self, at, (Dajia__Envelope *)msg, json, len);
    protobuf_c_message_free_unpacked(msg, NULL);
    return rc;
}

/* ====================================================================== reading */

/* Finds the end of the object starting at text[pos] == '{', looking no further than
   `limit`. Sets *end past its closing brace and returns true, or sets *end = limit and
   returns false if it does not close. A raw newline ends a string: JSON strings cannot
   hold one, and stopping there keeps a broken line from swallowing the next ones. */
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
        else if (c == '{')
            depth++;
        else if (c == '}' && --depth == 0) {
            *end = i + 1;
            return true;
        }
    }
    *end = limit;
    return false;
}

static size_t
s_line_end(const char *text, size_t pos, size_t len)
{
    const char *nl = memchr(text + pos, '\n', len - pos);
    return nl ? (size_t)(nl - text) : len;
}

static bool
s_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
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

int
agent_submit_text(agent_submit_t *self, const char *name, const char *text, size_t len)
{
    size_t pos = 0, line_start = 0;
    long line = 1;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = line_start = 3; /* a UTF-8 byte order mark */
    bool json_lines = s_is_json_lines(text, pos, len);
    int rc = 0;

    while (rc == 0) {
        while (pos < len && s_is_space(text[pos])) {
            if (text[pos] == '\n') {
                line++;
                line_start = pos + 1;
            }
            pos++;
        }
        if (pos >= len)
            break;
        s_where_t at = {name, line, (long)(pos - line_start + 1)};
        size_t line_end = s_line_end(text, pos, len);
        size_t end = 0;
        if (text[pos] != '{') {
            /* Not an object: report it and go on at the next line. */
            self->counts.read++;
            char source[AGENT_OUTBOX_MAX_TEXT];
            snprintf(source, sizeof source, "%s:%ld:%ld", name, at.line, at.column);
            const char *what = "expected '{' to start an event object";
            s_problem(self, "%s: %s", source, what);
            rc = s_reject(self, &at, NULL, DAJIA__REASON__REASON_MALFORMED, what, text + pos,
                          line_end - pos);
            pos = line_end;
            continue;
        }
        s_match(text, pos, json_lines ? line_end : len, &end);
        size_t obj_len = end - pos;
        while (obj_len > 0 && s_is_space(text[pos + obj_len - 1]))
            obj_len--;
        rc = s_object(self, &at, text + pos, obj_len);
        for (const char *p = text + pos; (p = memchr(p, '\n', text + end - p)) != NULL; p++) {
            line++;
            line_start = (size_t)(p - text) + 1;
        }
        pos = end;
    }
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
