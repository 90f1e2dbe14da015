/*  browser: chromium for the dashboard's tests (see browser.h).

    The DevTools session: Target.createTarget opens a page, Target.attachToTarget with
    flatten gives a session id, and every page command carries that id. Answers come in
    order with the command's id; events (no id) in between are skipped.
*/
#include "browser.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"

#define S_CMD_TIMEOUT_MS 20000
#define S_POLL_MS        100

/* The flags every run shares: no sandbox (tests run as root in containers), no GPU, no
   first-run work, and nothing fetched from the network but the page itself. */
#define S_COMMON_FLAGS                                                                             \
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",       \
        "--disable-background-networking", "--disable-sync", "--disable-default-apps",             \
        "--no-default-browser-check", "--hide-scrollbars", "--mute-audio"

// ====================================================================== DevTools

struct browser_t {
    pid_t pid;
    int to_fd;   /* our end of the browser's fd 3 */
    int from_fd; /* our end of the browser's fd 4 */
    char *inbox; /* bytes read and not yet taken */
    size_t inbox_len;
    int next_id;
    char *session;
};

static int64_t
s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Takes the next NUL-ended message out of the inbox, reading more as needed, until
   `deadline`. Returns it (caller frees) or NULL. */
static char *
s_read_message(browser_t *self, int64_t deadline)
{
    for (;;) {
        char *nul = self->inbox ? memchr(self->inbox, '\0', self->inbox_len) : NULL;
        if (nul) {
            size_t len = (size_t)(nul - self->inbox);
            char *msg = strndup(self->inbox, len);
            memmove(self->inbox, nul + 1, self->inbox_len - len - 1);
            self->inbox_len -= len + 1;
            return msg;
        }
        int64_t left = deadline - s_now_ms();
        if (left <= 0)
            return NULL;
        struct pollfd p = {self->from_fd, POLLIN, 0};
        int n = poll(&p, 1, (int)left);
        if (n <= 0)
            continue;
        char chunk[65536];
        ssize_t got = read(self->from_fd, chunk, sizeof chunk);
        if (got <= 0)
            return NULL;
        char *grown = realloc(self->inbox, self->inbox_len + (size_t)got);
        if (!grown)
            return NULL;
        self->inbox = grown;
        memcpy(self->inbox + self->inbox_len, chunk, (size_t)got);
        self->inbox_len += (size_t)got;
    }
}

/* Sends `method` with `params` (taken; NULL: none) in the page's session when `in_page`,
   and returns the answer's "result" (caller decrefs), or NULL after printing why. */
static json_t *
s_command(browser_t *self, const char *method, json_t *params, bool in_page)
{
    int id = ++self->next_id;
    json_t *msg = json_pack("{s:i, s:s}", "id", id, "method", method);
    if (params)
        json_object_set_new(msg, "params", params);
    if (in_page && self->session)
        json_object_set_new(msg, "sessionId", json_string(self->session));
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text)
        return NULL;
    size_t len = strlen(text) + 1; /* with its NUL: the message's end */
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(self->to_fd, text + off, len - off);
        if (n <= 0) {
            free(text);
            fprintf(stderr, "browser: cannot send %s: %s\n", method, strerror(errno));
            return NULL;
        }
        off += (size_t)n;
    }
    free(text);
    int64_t deadline = s_now_ms() + S_CMD_TIMEOUT_MS;
    for (;;) {
        char *answer = s_read_message(self, deadline);
        if (!answer) {
            fprintf(stderr, "browser: no answer to %s\n", method);
            return NULL;
        }
        json_error_t err;
        json_t *root = json_loads(answer, 0, &err);
        free(answer);
        json_t *jid = json_object_get(root, "id");
        if (!json_is_integer(jid) || json_integer_value(jid) != id) {
            json_decref(root);
            continue; /* an event, or the answer to an earlier command */
        }
        json_t *error = json_object_get(root, "error");
        if (error) {
            char *why = json_dumps(error, JSON_COMPACT);
            fprintf(stderr, "browser: %s failed: %s\n", method, why ? why : "?");
            free(why);
            json_decref(root);
            return NULL;
        }
        json_t *result = json_incref(json_object_get(root, "result"));
        json_decref(root);
        return result;
    }
}

int
browser_start(const char *profile_dir, browser_t **out)
{
    int to[2] = {-1, -1}, from[2] = {-1, -1};
    if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0)
        return -errno;
    char *profile = harness_strf("--user-data-dir=%s", profile_dir);
    const char *argv[32] = {BROWSER_BIN, S_COMMON_FLAGS};
    size_t n = 0;
    while (argv[n])
        n++;
    argv[n++] = profile;
    argv[n++] = "--window-size=1400,1800";
    argv[n++] = "--remote-debugging-pipe";
    argv[n++] = "about:blank";
    argv[n] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        free(profile);
        return -errno;
    }
    if (pid == 0) {
        /* Child: async-signal-safe calls only; the browser dies with the test. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        setpgid(0, 0);
        int null_fd = open("/dev/null", O_RDWR);
        if (null_fd >= 0) {
            dup2(null_fd, STDIN_FILENO);
            dup2(null_fd, STDOUT_FILENO);
            dup2(null_fd, STDERR_FILENO);
        }
        /* dup2 clears close-on-exec on the copies: fds 3 and 4 stay open. */
        int in3 = fcntl(to[0], F_DUPFD_CLOEXEC, 10), out4 = fcntl(from[1], F_DUPFD_CLOEXEC, 10);
        if (in3 < 0 || out4 < 0 || dup2(in3, 3) != 3 || dup2(out4, 4) != 4)
            _exit(127);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    free(profile);
    close(to[0]);
    close(from[1]);
    browser_t *self = calloc(1, sizeof *self);
    if (!self) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -ENOMEM;
    }
    self->pid = pid;
    self->to_fd = to[1];
    self->from_fd = from[0];
    json_t *made =
        s_command(self, "Target.createTarget", json_pack("{s:s}", "url", "about:blank"), false);
    const char *target = json_string_value(json_object_get(made, "targetId"));
    json_t *attached =
        target ? s_command(self, "Target.attachToTarget",
                           json_pack("{s:s, s:b}", "targetId", target, "flatten", 1), false)
               : NULL;
    const char *session = json_string_value(json_object_get(attached, "sessionId"));
    self->session = session ? strdup(session) : NULL;
    json_decref(made);
    json_decref(attached);
    if (!self->session) {
        fprintf(stderr,
                "browser: cannot open a page over the DevTools pipe (is %s installed? "
                "scripts/setup installs it)\n",
                BROWSER_BIN);
        browser_stop(&self);
        return -EIO;
    }
    json_decref(s_command(self, "Page.enable", NULL, true));
    json_decref(s_command(self, "Runtime.enable", NULL, true));
    *out = self;
    return 0;
}

int
browser_open(browser_t *self, const char *url)
{
    /* A mark on the page being left, so that the wait below sees the new page's load,
       not the old page's. */
    free(browser_eval(self, "window.browserLeaving = true"));
    json_t *nav = s_command(self, "Page.navigate", json_pack("{s:s}", "url", url), true);
    const char *fail = json_string_value(json_object_get(nav, "errorText"));
    if (!nav || fail) {
        fprintf(stderr, "browser: cannot load %s: %s\n", url, fail ? fail : "no answer");
        json_decref(nav);
        return -EIO;
    }
    json_decref(nav);
    return browser_wait_true(self,
                             "window.browserLeaving === undefined && "
                             "document.readyState === 'complete'",
                             S_CMD_TIMEOUT_MS)
               ? 0
               : -ETIMEDOUT;
}

char *
browser_eval(browser_t *self, const char *expr)
{
    json_t *res = s_command(self, "Runtime.evaluate",
                            json_pack("{s:s, s:b}", "expression", expr, "returnByValue", 1), true);
    if (!res)
        return NULL;
    json_t *exc = json_object_get(res, "exceptionDetails");
    if (exc) {
        char *why = json_dumps(exc, JSON_COMPACT);
        fprintf(stderr, "browser: %s threw: %.500s\n", expr, why ? why : "?");
        free(why);
        json_decref(res);
        return NULL;
    }
    json_t *value = json_object_get(json_object_get(res, "result"), "value");
    char *text = value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("null");
    json_decref(res);
    return text;
}

bool
browser_wait_true(browser_t *self, const char *expr, int timeout_ms)
{
    int64_t deadline = s_now_ms() + timeout_ms;
    do {
        char *v = browser_eval(self, expr);
        bool yes = v && strcmp(v, "true") == 0;
        free(v);
        if (yes)
            return true;
        usleep(S_POLL_MS * 1000);
    } while (s_now_ms() < deadline);
    return false;
}

char *
browser_html(browser_t *self)
{
    char *json = browser_eval(self, "document.documentElement.outerHTML");
    json_error_t err;
    json_t *v = json ? json_loads(json, JSON_DECODE_ANY, &err) : NULL;
    char *html = json_is_string(v) ? strdup(json_string_value(v)) : NULL;
    json_decref(v);
    free(json);
    return html;
}

/* Decodes base64 `text` into a new buffer (caller frees); sets *len. */
static unsigned char *
s_base64(const char *text, size_t *len)
{
    size_t n = strlen(text);
    unsigned char *out = malloc(n / 4 * 3 + 3);
    if (!out)
        return NULL;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *at = text[i] ? strchr(set, text[i]) : NULL;
        if (!at)
            continue; /* '=' padding and line breaks */
        acc = (acc << 6) | (uint32_t)(at - set);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    *len = o;
    return out;
}

/* Runs `method` and writes its base64 "data" to `path`. */
static int
s_capture(browser_t *self, const char *method, json_t *params, const char *path)
{
    json_t *res = s_command(self, method, params, true);
    const char *data = json_string_value(json_object_get(res, "data"));
    size_t len = 0;
    unsigned char *bytes = data ? s_base64(data, &len) : NULL;
    json_decref(res);
    if (!bytes)
        return -EIO;
    FILE *f = fopen(path, "wb");
    int rc = f && fwrite(bytes, 1, len, f) == len ? 0 : -EIO;
    if (f && fclose(f) != 0)
        rc = -EIO;
    free(bytes);
    if (rc)
        fprintf(stderr, "browser: cannot write %s\n", path);
    return rc;
}

int
browser_screenshot(browser_t *self, const char *path)
{
    return s_capture(self, "Page.captureScreenshot",
                     json_pack("{s:s, s:b}", "format", "png", "captureBeyondViewport", 1), path);
}

int
browser_pdf(browser_t *self, const char *path)
{
    return s_capture(self, "Page.printToPDF",
                     json_pack("{s:b, s:b}", "printBackground", 1, "preferCSSPageSize", 1), path);
}

void
browser_stop(browser_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    browser_t *self = *self_p;
    if (self->session) {
        free(self->session);
        self->session = NULL;
    }
    /* Ask it to close; its answer may never come, so do not wait for one. */
    const char close_msg[] = "{\"id\":999999,\"method\":\"Browser.close\"}";
    ssize_t ignored = write(self->to_fd, close_msg, sizeof close_msg);
    (void)ignored;
    close(self->to_fd);
    int64_t deadline = s_now_ms() + 10000;
    int status;
    while (waitpid(self->pid, &status, WNOHANG) == 0) {
        if (s_now_ms() > deadline) {
            kill(-self->pid, SIGKILL);
            kill(self->pid, SIGKILL);
            waitpid(self->pid, &status, 0);
            break;
        }
        usleep(50 * 1000);
    }
    /* What the browser started in its group (its zygote, renderers) goes with it. */
    kill(-self->pid, SIGKILL);
    close(self->from_fd);
    free(self->inbox);
    free(self);
    *self_p = NULL;
}
