/*  harness: child processes, temporary directories, the api's frames and the dumped log,
    for the integration tests (see harness.h).

    The parent never blocks on a child: pipes are non-blocking and every wait is a poll()
    loop that reads what the children wrote and asks waitpid(WNOHANG) who has exited, in
    steps of at most S_POLL_STEP_MS so an exit is noticed promptly even when a child's
    pipes stay quiet. Between fork() and exec() the child only makes async-signal-safe
    calls: the test process has ZeroMQ's threads running.
*/
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dajia_error.h"

extern char **environ;

#define S_POLL_STEP_MS   20
#define S_READ_CHUNK     65536
#define S_VALGRIND_ERROR 99
#define S_MAX_PROCS      64
#define S_CASE_EPOCH     1748764800 /* 2025-06-01T08:00:00Z */
#define S_CASE_SPREAD    100000     /* minutes: about 69 days */

/* ================================================================== buffers */

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} s_buf_t;

static int
s_buf_append(s_buf_t *buf, const char *data, size_t len)
{
    if (buf->len + len + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 4096;
        while (cap < buf->len + len + 1)
            cap *= 2;
        char *grown = realloc(buf->data, cap);
        if (!grown)
            return -ENOMEM;
        buf->data = grown;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return 0;
}

/* Gives the buffer's text away (never NULL), leaving the buffer empty. */
static char *
s_buf_take(s_buf_t *buf)
{
    char *text = buf->data ? buf->data : strdup("");
    buf->data = NULL;
    buf->len = buf->cap = 0;
    if (!text)
        abort();
    return text;
}

static int64_t
s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
harness_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
harness_strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    int rc = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        fprintf(stderr, "harness: out of memory\n");
        abort();
    }
    return text;
}

static void **s_autofree;
static size_t s_autofree_count;
static size_t s_autofree_cap;

void *
harness_autofree(void *ptr)
{
    if (!ptr)
        return NULL;
    if (s_autofree_count == s_autofree_cap) {
        size_t cap = s_autofree_cap ? s_autofree_cap * 2 : 64;
        void **grown = realloc(s_autofree, cap * sizeof *grown);
        if (!grown) {
            fprintf(stderr, "harness: out of memory\n");
            abort();
        }
        s_autofree = grown;
        s_autofree_cap = cap;
    }
    s_autofree[s_autofree_count++] = ptr;
    return ptr;
}

void
harness_autofree_all(void)
{
    for (size_t i = 0; i < s_autofree_count; i++)
        free(s_autofree[i]);
    free(s_autofree);
    s_autofree = NULL;
    s_autofree_count = s_autofree_cap = 0;
}

/* ================================================================== processes */

struct harness_proc_t {
    pid_t pid;
    int out_fd; /* read end of the child's stdout, -1 once at EOF */
    int err_fd; /* read end of its stderr when captured, else -1 */
    s_buf_t out;
    s_buf_t err;
    int status; /* -1 while running */
    char *name; /* a copy of argv[0], for messages */
};

static int
s_decode_status(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return -1;
}

/* Reads what `fd` has; closes it at EOF. */
static void
s_read_fd(int *fd, s_buf_t *buf)
{
    char chunk[S_READ_CHUNK];
    while (*fd >= 0) {
        ssize_t got = read(*fd, chunk, sizeof chunk);
        if (got > 0) {
            if (s_buf_append(buf, chunk, (size_t)got) != 0)
                return;
            continue;
        }
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && errno == EAGAIN)
            return;
        close(*fd); /* EOF or a real error: nothing more will come */
        *fd = -1;
    }
}

static void
s_reap(harness_proc_t *self, int flags)
{
    if (self->status >= 0)
        return;
    int wstatus = 0;
    pid_t done;
    do
        done = waitpid(self->pid, &wstatus, flags);
    while (done < 0 && errno == EINTR);
    if (done == self->pid) {
        self->status = s_decode_status(wstatus);
        /* Its writes are all in the pipes now: take them (children of the child could
           keep a pipe open, so read what is there rather than wait for EOF). */
        s_read_fd(&self->out_fd, &self->out);
        s_read_fd(&self->err_fd, &self->err);
    } else if (done < 0) {
        self->status = 255; /* not our child any more: nothing to wait for */
    }
}

/* One step: waits up to `timeout_ms` for output from any of `procs`, reads it, and
   notices exits. */
static void
s_pump(harness_proc_t *const *procs, size_t count, int timeout_ms)
{
    struct pollfd fds[2 * S_MAX_PROCS];
    s_buf_t *bufs[2 * S_MAX_PROCS];
    int *fdp[2 * S_MAX_PROCS];
    nfds_t n = 0;
    for (size_t i = 0; i < count && i < S_MAX_PROCS; i++) {
        harness_proc_t *p = procs[i];
        if (p->out_fd >= 0) {
            fds[n] = (struct pollfd){p->out_fd, POLLIN, 0};
            bufs[n] = &p->out;
            fdp[n++] = &p->out_fd;
        }
        if (p->err_fd >= 0) {
            fds[n] = (struct pollfd){p->err_fd, POLLIN, 0};
            bufs[n] = &p->err;
            fdp[n++] = &p->err_fd;
        }
    }
    if (timeout_ms > S_POLL_STEP_MS)
        timeout_ms = S_POLL_STEP_MS;
    if (timeout_ms < 0)
        timeout_ms = 0;
    if (n > 0) {
        if (poll(fds, n, timeout_ms) > 0)
            for (nfds_t i = 0; i < n; i++)
                if (fds[i].revents)
                    s_read_fd(fdp[i], bufs[i]);
    } else if (timeout_ms > 0) {
        struct timespec ts = {0, (long)timeout_ms * 1000000L};
        nanosleep(&ts, NULL);
    }
    for (size_t i = 0; i < count; i++)
        s_reap(procs[i], WNOHANG);
}

/* The child's environment: ours, with `changes` applied. Strings are borrowed. */
static char **
s_env_build(const char *const *changes)
{
    size_t have = 0, extra = 0;
    while (environ[have])
        have++;
    while (changes && changes[extra])
        extra++;
    char **env = calloc(have + extra + 1, sizeof(char *));
    if (!env)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < have; i++) {
        bool replaced = false;
        for (size_t j = 0; j < extra && !replaced; j++) {
            size_t name_len = strcspn(changes[j], "=");
            replaced =
                strncmp(environ[i], changes[j], name_len) == 0 && environ[i][name_len] == '=';
        }
        if (!replaced)
            env[n++] = environ[i];
    }
    for (size_t j = 0; j < extra; j++)
        if (strchr(changes[j], '='))
            env[n++] = (char *)changes[j];
    env[n] = NULL;
    return env;
}

/* argv, behind valgrind when DAJIA_VALGRIND asks for it. Strings are borrowed. */
static char **
s_argv_build(const char *const *argv)
{
    static const char *const valgrind[] = {"valgrind",
                                           "--quiet",
                                           "--leak-check=full",
                                           "--errors-for-leak-kinds=definite",
                                           "--error-exitcode=99",
                                           NULL};
    const char *want = getenv("DAJIA_VALGRIND");
    bool wrap = want && *want && strcmp(want, "0") != 0;
    size_t pre = 0, n = 0;
    if (wrap)
        while (valgrind[pre])
            pre++;
    while (argv[n])
        n++;
    char **out = calloc(pre + n + 1, sizeof(char *));
    if (!out)
        return NULL;
    for (size_t i = 0; i < pre; i++)
        out[i] = (char *)valgrind[i];
    for (size_t i = 0; i < n; i++)
        out[pre + i] = (char *)argv[i];
    return out;
}

int
harness_proc_start(const char *const *argv, const harness_opts_t *opts, harness_proc_t **out)
{
    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    char **env = NULL, **args = NULL;
    int rc = 0;
    harness_proc_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    self->out_fd = self->err_fd = -1;
    self->status = -1;
    self->name = strdup(argv[0]);
    bool capture_err = opts && opts->capture_stderr;
    env = s_env_build(opts ? opts->env : NULL);
    args = s_argv_build(argv);
    if (!env || !args || !self->name) {
        rc = -ENOMEM;
        goto out;
    }
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || (capture_err && pipe2(err_pipe, O_CLOEXEC) != 0)) {
        rc = -errno;
        goto out;
    }
    fflush(stdout); /* or the child would inherit and repeat our buffered output */
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        rc = -errno;
        goto out;
    }
    if (pid == 0) {
        /* Child: async-signal-safe calls only. If the test program dies (a crash, an
           abort), its children die with it instead of running on as orphans. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigaction(SIGPIPE, &dfl, NULL);
        sigaction(SIGTERM, &dfl, NULL);
        sigaction(SIGINT, &dfl, NULL);
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0)
            dup2(null_fd, STDIN_FILENO);
        dup2(out_pipe[1], STDOUT_FILENO);
        if (capture_err)
            dup2(err_pipe[1], STDERR_FILENO);
        if (strchr(args[0], '/'))
            execve(args[0], args, env);
        else
            execvpe(args[0], args, env);
        static const char msg[] = "harness: exec failed\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)ignored;
        _exit(127);
    }
    setpgid(pid, pid); /* also here, so the group exists before we might signal it */
    self->pid = pid;
    self->out_fd = out_pipe[0];
    out_pipe[0] = -1;
    fcntl(self->out_fd, F_SETFL, O_NONBLOCK);
    if (capture_err) {
        self->err_fd = err_pipe[0];
        err_pipe[0] = -1;
        fcntl(self->err_fd, F_SETFL, O_NONBLOCK);
    }
out:
    for (int i = 0; i < 2; i++) {
        if (out_pipe[i] >= 0)
            close(out_pipe[i]);
        if (err_pipe[i] >= 0)
            close(err_pipe[i]);
    }
    free(env);
    free(args);
    if (rc != 0) {
        free(self->name);
        free(self);
        return rc;
    }
    *out = self;
    return 0;
}

/* Copies `at` up to the first of `stop` into `out`: 0, or -ENAMETOOLONG. */
static int
s_copy_value(const char *at, const char *stop, char *out, size_t size)
{
    size_t len = strcspn(at, stop);
    if (len >= size)
        return -ENAMETOOLONG;
    memcpy(out, at, len);
    out[len] = '\0';
    return 0;
}

/* Finds "READY ... api=<endpoint>" at the start of a complete line of `text`. */
static int
s_find_ready(const char *text, char *endpoint, size_t size)
{
    const char *line = text;
    const char *nl;
    while ((nl = strchr(line, '\n'))) {
        if (strncmp(line, "READY ", 6) == 0) {
            const char *api = strstr(line, "api=");
            if (api && api < nl)
                return s_copy_value(api + 4, " \t\r\n", endpoint, size);
        }
        line = nl + 1;
    }
    return -EAGAIN;
}

int
harness_proc_wait_ready(harness_proc_t *self, int timeout_ms, char *endpoint, size_t size)
{
    int64_t deadline = s_mono_ms() + timeout_ms;
    while (true) {
        int rc = s_find_ready(self->out.data ? self->out.data : "", endpoint, size);
        if (rc != -EAGAIN)
            return rc;
        if (self->status >= 0)
            return -ECHILD;
        int64_t left = deadline - s_mono_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        s_pump(&self, 1, (int)left);
    }
}

int
harness_proc_wait_all(harness_proc_t *const *procs, size_t count, int timeout_ms)
{
    int64_t deadline = s_mono_ms() + timeout_ms;
    while (true) {
        bool all = true;
        for (size_t i = 0; i < count; i++)
            all = all && procs[i]->status >= 0;
        if (all)
            return 0;
        int64_t left = deadline - s_mono_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        s_pump(procs, count, (int)left);
    }
}

int
harness_proc_wait(harness_proc_t *self, int timeout_ms)
{
    int rc = harness_proc_wait_all(&self, 1, timeout_ms);
    return rc == 0 ? self->status : rc;
}

bool
harness_proc_running(harness_proc_t *self)
{
    s_pump(&self, 1, 0);
    return self->status < 0;
}

int
harness_proc_kill(harness_proc_t *self)
{
    if (self->status < 0) {
        killpg(self->pid, SIGKILL);
        s_reap(self, 0);
    }
    return self->status;
}

int
harness_proc_stop(harness_proc_t *self)
{
    if (self->status >= 0)
        return self->status;
    kill(self->pid, SIGTERM);
    if (harness_proc_wait(self, HARNESS_STOP_TIMEOUT_MS) >= 0)
        return self->status;
    fprintf(stderr, "harness: %s (pid %d) ignored SIGTERM for %d ms; killing its group\n",
            self->name, (int)self->pid, HARNESS_STOP_TIMEOUT_MS);
    return harness_proc_kill(self);
}

int
harness_proc_status(const harness_proc_t *self)
{
    return self->status;
}

pid_t
harness_proc_pid(const harness_proc_t *self)
{
    return self->pid;
}

const char *
harness_proc_stdout(const harness_proc_t *self)
{
    return self->out.data ? self->out.data : "";
}

const char *
harness_proc_stderr(const harness_proc_t *self)
{
    return self->err.data ? self->err.data : "";
}

void
harness_proc_destroy(harness_proc_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    harness_proc_t *self = *self_p;
    harness_proc_kill(self);
    if (self->out_fd >= 0)
        close(self->out_fd);
    if (self->err_fd >= 0)
        close(self->err_fd);
    free(self->out.data);
    free(self->err.data);
    free(self->name);
    free(self);
    *self_p = NULL;
}

int
harness_run(const char *const *argv, const harness_opts_t *opts, int timeout_ms,
            harness_result_t *result)
{
    harness_opts_t run_opts = {opts ? opts->env : NULL, true};
    harness_proc_t *proc = NULL;
    memset(result, 0, sizeof *result);
    int rc = harness_proc_start(argv, &run_opts, &proc);
    if (rc != 0)
        return rc;
    result->status = harness_proc_wait(proc, timeout_ms);
    if (result->status < 0) {
        fprintf(stderr, "harness: %s did not finish in %d ms; killed\n", argv[0], timeout_ms);
        harness_proc_kill(proc);
        result->status = -1;
    }
    result->out = s_buf_take(&proc->out);
    result->err = s_buf_take(&proc->err);
    harness_proc_destroy(&proc);
    return 0;
}

void
harness_result_free(harness_result_t *result)
{
    free(result->out);
    free(result->err);
    result->out = result->err = NULL;
}

int
harness_run_autofree(const char *const *argv, harness_result_t *result)
{
    int rc = harness_run(argv, NULL, HARNESS_RUN_TIMEOUT_MS, result);
    harness_autofree(result->out);
    harness_autofree(result->err);
    return rc;
}

int
harness_broker_start(const char *data_dir, const char *api, const char *const *extra,
                     harness_proc_t **out, char *endpoint, size_t size)
{
    const char *argv[32] = {DAJIA_BROKER_BIN, "--data", data_dir, "--api", api};
    size_t n = 5;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    harness_proc_t *proc = NULL;
    int rc = harness_proc_start(argv, NULL, &proc);
    if (rc != 0) {
        fprintf(stderr, "harness: cannot start the broker: %s\n", dajia_strerror(rc));
        return rc;
    }
    rc = harness_proc_wait_ready(proc, HARNESS_READY_TIMEOUT_MS, endpoint, size);
    if (rc != 0) {
        fprintf(stderr,
                "harness: the broker gave no READY line (%s, exit status %d); "
                "its stdout:\n%s\n",
                dajia_strerror(rc), harness_proc_status(proc), harness_proc_stdout(proc));
        harness_proc_destroy(&proc);
        return rc;
    }
    *out = proc;
    return 0;
}

/* ================================================================== files */

char *
harness_tmpdir_new(void)
{
    char path[TEST_UTIL_DIR_MAX];
    int rc = test_util_dir_make(path, sizeof path, "it");
    if (rc) {
        errno = -rc;
        return NULL;
    }
    return harness_strf("%s", path);
}

int
harness_rm_rf(const char *path)
{
    return test_util_dir_remove(path);
}

int
harness_write_cases(const char *path, const char *unit, const char *case_prefix,
                    const char *id_prefix, uint64_t first, uint64_t count)
{
    FILE *file = fopen(path, "w");
    if (!file)
        return -errno;
    for (uint64_t n = first; n < first + count; n++) {
        fprintf(file, "{");
        if (id_prefix)
            fprintf(file, "\"event_id\":\"%s%" PRIu64 "\",", id_prefix, n);
        /* A spread of times and amounts, all valid: 2025-06-01 plus n minutes. */
        time_t when = S_CASE_EPOCH + (time_t)(n % S_CASE_SPREAD) * 60;
        struct tm tm;
        char occurred[32];
        gmtime_r(&when, &tm);
        strftime(occurred, sizeof occurred, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(file,
                "\"unit\":\"%s\",\"reporter\":\"liaison %s\",\"region\":\"411502\","
                "\"occurred_at\":\"%s\","
                "\"case_report\":{\"case_no\":\"%s-%s-%06" PRIu64 "\","
                "\"case_name\":\"counterfeit tea case %" PRIu64 "\","
                "\"category\":\"trademark_counterfeiting\",\"goods\":[\"tea\"],"
                "\"case_value_fen\":%" PRIu64 ",\"stage\":\"filed\"}}\n",
                unit, unit, occurred, unit, case_prefix, n, n, 100000 + n * 7);
    }
    if (ferror(file)) {
        fclose(file);
        return -EIO;
    }
    return fclose(file) == 0 ? 0 : -errno;
}

/* ================================================================== the log */

int
harness_dump(const char *data_dir, harness_record_t **records, size_t *count)
{
    const char *argv[] = {DAJIA_CTL_BIN, "--data", data_dir, "dump", NULL};
    harness_result_t run;
    *records = NULL;
    *count = 0;
    int rc = harness_run(argv, NULL, HARNESS_RUN_TIMEOUT_MS, &run);
    if (rc != 0)
        return rc;
    if (run.status != 0) {
        fprintf(stderr, "harness: dajia-ctl dump exited %d:\n%s\n", run.status, run.err);
        harness_result_free(&run);
        return -EPROTO;
    }
    size_t cap = 1024, n = 0;
    harness_record_t *out = malloc(cap * sizeof *out);
    char *line = run.out;
    rc = out ? 0 : -ENOMEM;
    while (rc == 0 && *line) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        json_error_t jerr;
        json_t *obj = json_loadb(line, len, 0, &jerr);
        json_t *event = obj ? json_object_get(obj, "event") : NULL;
        json_t *seq = obj ? json_object_get(obj, "log_seq") : NULL;
        const char *unit = json_string_value(json_object_get(event, "unit"));
        const char *id = json_string_value(json_object_get(event, "event_id"));
        if (!json_is_integer(seq) || !unit || !id || strlen(unit) >= HARNESS_UNIT_MAX ||
            strlen(id) >= HARNESS_ID_MAX) {
            fprintf(stderr, "harness: dump line %zu is not a log record: %.*s\n", n + 1,
                    (int)(len > 200 ? 200 : len), line);
            rc = -EPROTO;
        } else {
            if (n == cap) {
                cap *= 2;
                harness_record_t *grown = realloc(out, cap * sizeof *out);
                if (!grown)
                    rc = -ENOMEM;
                else
                    out = grown;
            }
            if (rc == 0) {
                out[n].log_seq = (uint64_t)json_integer_value(seq);
                snprintf(out[n].unit, sizeof out[n].unit, "%s", unit);
                snprintf(out[n].event_id, sizeof out[n].event_id, "%s", id);
                n++;
            }
        }
        json_decref(obj);
        line = nl ? nl + 1 : line + len;
    }
    harness_result_free(&run);
    if (rc != 0) {
        free(out);
        return rc;
    }
    *records = out;
    *count = n;
    return 0;
}

static int
s_record_cmp(const void *a, const void *b)
{
    const harness_record_t *x = a, *y = b;
    int c = strcmp(x->unit, y->unit);
    return c ? c : strcmp(x->event_id, y->event_id);
}

void
harness_records_sort(harness_record_t *records, size_t count)
{
    if (count > 1)
        qsort(records, count, sizeof *records, s_record_cmp);
}

const harness_record_t *
harness_records_find(const harness_record_t *sorted, size_t count, const char *unit,
                     const char *event_id)
{
    harness_record_t key;
    memset(&key, 0, sizeof key);
    snprintf(key.unit, sizeof key.unit, "%s", unit);
    snprintf(key.event_id, sizeof key.event_id, "%s", event_id);
    return count ? bsearch(&key, sorted, count, sizeof key, s_record_cmp) : NULL;
}

size_t
harness_check_log(const harness_record_t *records, size_t count)
{
    size_t problems = 0;
    for (size_t i = 0; i < count; i++) {
        if (records[i].log_seq != i + 1) {
            if (problems++ < 5)
                fprintf(stderr, "harness: log line %zu has log_seq %" PRIu64 "\n", i + 1,
                        records[i].log_seq);
        }
    }
    harness_record_t *sorted = malloc((count ? count : 1) * sizeof *sorted);
    if (!sorted)
        return problems + 1;
    memcpy(sorted, records, count * sizeof *sorted);
    harness_records_sort(sorted, count);
    for (size_t i = 1; i < count; i++) {
        if (s_record_cmp(&sorted[i - 1], &sorted[i]) == 0 && problems++ < 10)
            fprintf(stderr, "harness: (%s, %s) is stored twice, at %" PRIu64 " and %" PRIu64 "\n",
                    sorted[i].unit, sorted[i].event_id, sorted[i - 1].log_seq, sorted[i].log_seq);
    }
    free(sorted);
    return problems;
}

/* ================================================================== the api */

struct harness_client_t {
    zsock_t *sock;
};

int
harness_client_new(const char *endpoint, int timeout_ms, harness_client_t **out)
{
    harness_client_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    self->sock = zsock_new(ZMQ_DEALER);
    if (!self->sock) {
        free(self);
        return -ENOMEM;
    }
    zsock_set_linger(self->sock, 0);
    zsock_set_rcvtimeo(self->sock, timeout_ms);
    zsock_set_sndtimeo(self->sock, timeout_ms);
    if (zsock_connect(self->sock, "%s", endpoint) != 0) {
        int rc = -zmq_errno();
        harness_client_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

void
harness_client_destroy(harness_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zsock_destroy(&(*self_p)->sock);
    free(*self_p);
    *self_p = NULL;
}

int
harness_client_send(harness_client_t *self, size_t count, const void *const *data,
                    const size_t *lens)
{
    void *handle = zsock_resolve(self->sock);
    for (size_t i = 0; i < count; i++) {
        const void *bytes = data[i] ? data[i] : "";
        if (zmq_send(handle, bytes, lens[i], i + 1 < count ? ZMQ_SNDMORE : 0) < 0)
            return -zmq_errno();
    }
    return 0;
}

int
harness_client_recv(harness_client_t *self, zmsg_t **out)
{
    zmsg_t *msg = zmsg_recv(self->sock);
    if (!msg)
        return -EAGAIN;
    *out = msg;
    return 0;
}

int
harness_client_recv_ack(harness_client_t *self, Dajia__Ack **ack)
{
    zmsg_t *msg = NULL;
    int rc = harness_client_recv(self, &msg);
    if (rc != 0)
        return rc;
    rc = -EPROTO;
    zframe_t *cmd = zmsg_first(msg);
    zframe_t *body = zmsg_next(msg);
    if (zmsg_size(msg) == 2 && zframe_streq(cmd, "ACK")) {
        *ack = dajia__ack__unpack(NULL, zframe_size(body), zframe_data(body));
        if (*ack)
            rc = 0;
    }
    zmsg_destroy(&msg);
    return rc;
}

int
harness_client_replay(harness_client_t *self, Dajia__Audience audience, uint64_t from,
                      uint32_t max_items, Dajia__FeedBatch **out)
{
    Dajia__ReplayRequest req = DAJIA__REPLAY_REQUEST__INIT;
    req.from_seq = from;
    req.audience = audience;
    req.max_items = max_items;
    uint8_t buf[64];
    size_t len = dajia__replay_request__pack(&req, buf);
    const void *frames[] = {"REPLAY", buf};
    const size_t lens[] = {6, len};
    int rc = harness_client_send(self, 2, frames, lens);
    zmsg_t *msg = NULL;
    if (rc == 0)
        rc = harness_client_recv(self, &msg);
    if (rc != 0)
        return rc;
    rc = -EPROTO;
    zframe_t *cmd = zmsg_first(msg);
    zframe_t *body = zmsg_next(msg);
    if (zmsg_size(msg) == 2 && zframe_streq(cmd, "FEED")) {
        *out = dajia__feed_batch__unpack(NULL, zframe_size(body), zframe_data(body));
        if (*out)
            rc = 0;
    }
    zmsg_destroy(&msg);
    return rc;
}

int
harness_client_submit(harness_client_t *self, const Dajia__Envelope *env)
{
    size_t len = dajia__envelope__get_packed_size(env);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -ENOMEM;
    dajia__envelope__pack(env, buf);
    const void *frames[] = {"SUBMIT", buf};
    const size_t lens[] = {6, len};
    int rc = harness_client_send(self, 2, frames, lens);
    free(buf);
    return rc;
}

char *
harness_client_stats(harness_client_t *self)
{
    const void *frames[] = {"STATS", ""};
    const size_t lens[] = {5, 0};
    if (harness_client_send(self, 2, frames, lens) != 0)
        return NULL;
    while (true) {
        zmsg_t *msg = NULL;
        if (harness_client_recv(self, &msg) != 0)
            return NULL;
        char *json = NULL;
        bool stats = zmsg_size(msg) == 2 && zframe_streq(zmsg_first(msg), "STATS");
        if (stats) {
            zframe_t *body = zmsg_next(msg);
            json = strndup((const char *)zframe_data(body), zframe_size(body));
        }
        zmsg_destroy(&msg);
        if (stats)
            return json; /* otherwise a late ACK of an earlier request: skip it */
    }
}

int64_t
harness_json_u64(const char *json, const char *path)
{
    json_error_t jerr;
    json_t *root = json_loads(json, 0, &jerr);
    if (!root)
        return -1;
    json_t *at = root;
    char *copy = strdup(path);
    int64_t value = -1;
    char *save = NULL;
    for (char *part = copy ? strtok_r(copy, "/", &save) : NULL; part && at;
         part = strtok_r(NULL, "/", &save))
        at = json_object_get(at, part);
    if (copy) {
        if (!at)
            value = 0;
        else if (json_is_integer(at) && json_integer_value(at) >= 0)
            value = (int64_t)json_integer_value(at);
    }
    free(copy);
    json_decref(root);
    return value;
}

/* ================================================================== events */

void
harness_envelope_init(Dajia__Envelope *env, Dajia__CaseReport *report, const char *unit,
                      const char *event_id, const char *case_no)
{
    dajia__case_report__init(report);
    report->case_no = (char *)case_no;
    report->case_name = "counterfeit tea sold online";
    report->category = DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING;
    report->stage = DAJIA__CASE_STAGE__CASE_STAGE_FILED;
    report->case_value_fen = 1250000;
    dajia__envelope__init(env);
    env->event_id = (char *)event_id;
    env->unit = (char *)unit;
    env->reporter = "integration test";
    env->region = "411502";
    env->reported_at = harness_now_ms();
    env->occurred_at = env->reported_at - 3600 * 1000;
    env->body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
    env->case_report = report;
}

/* ================================================================== fixtures */

int
harness_fixture_init(harness_fixture_t *fx)
{
    fx->dir = harness_tmpdir_new();
    if (!fx->dir)
        return -1;
    fx->keys = harness_strf("%s/keys", fx->dir);
    fx->data = harness_strf("%s/broker", fx->dir);
    return 0;
}

void *
harness_fixture_new(void **state, size_t size)
{
    harness_fixture_t *fx = calloc(1, size);
    *state = fx;
    return fx && harness_fixture_init(fx) == 0 ? fx : NULL;
}

int
harness_fixture_setup(void **state)
{
    return harness_fixture_new(state, sizeof(harness_fixture_t)) ? 0 : -1;
}

int
harness_fixture_setup_keys(void **state, const char *units)
{
    if (harness_fixture_setup(state) != 0)
        return -1;
    harness_fixture_t *fx = *state;
    return harness_keys_init(fx->keys, units);
}

int
harness_fixture_setup_keyed_broker(void **state, const char *units)
{
    if (harness_fixture_setup_keys(state, units) != 0)
        return -1;
    harness_fixture_t *fx = *state;
    const char *extra[] = {"--keys", fx->keys, NULL};
    return harness_fixture_start_broker(fx, extra);
}

int
harness_fixture_start_broker(harness_fixture_t *fx, const char *const *extra)
{
    return harness_broker_start(fx->data, "tcp://127.0.0.1:*", extra, &fx->broker, fx->api,
                                sizeof fx->api);
}

void
harness_fixture_clear(harness_fixture_t *fx)
{
    if (!fx)
        return;
    harness_proc_destroy(&fx->broker);
    if (fx->dir)
        harness_rm_rf(fx->dir);
    free(fx->dir);
    free(fx->keys);
    free(fx->data);
    fx->dir = fx->keys = fx->data = NULL;
}

int
harness_fixture_teardown(void **state)
{
    harness_fixture_t *fx = *state;
    harness_fixture_clear(fx);
    free(fx);
    *state = NULL;
    harness_autofree_all();
    return 0;
}

int
harness_run_env_autofree(const char *const *argv, const char *const *env, harness_result_t *result)
{
    harness_opts_t opts = {env, true};
    int rc = harness_run(argv, &opts, HARNESS_RUN_TIMEOUT_MS, result);
    harness_autofree(result->out);
    harness_autofree(result->err);
    return rc;
}

int
harness_keys_init(const char *keys, const char *units)
{
    const char *argv[] = {DAJIA_CTL_BIN, "keys", "init", "--dir", keys, "--units", units, NULL};
    harness_result_t run;
    if (harness_run(argv, NULL, HARNESS_RUN_TIMEOUT_MS, &run) != 0)
        return -1;
    int status = run.status;
    if (status != 0)
        fprintf(stderr, "keys init failed (%d): %s", status, run.err);
    harness_result_free(&run);
    return status == 0 ? 0 : -1;
}

int64_t
harness_client_accepted(harness_client_t *client)
{
    char *json = harness_client_stats(client);
    int64_t accepted = json ? harness_json_u64(json, "accepted") : -1;
    free(json);
    return accepted;
}

void
harness_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int
harness_feed_read(const char *api, uint32_t batch, harness_feed_t *feed)
{
    harness_client_t *client = NULL;
    int rc = harness_client_new(api, HARNESS_RECV_TIMEOUT_MS, &client);
    if (rc != 0) {
        fprintf(stderr, "harness: no client for %s: %s\n", api, dajia_strerror(rc));
        return rc;
    }
    feed->count = 0;
    uint64_t from = 1;
    for (bool more = true; more && rc == 0;) {
        Dajia__FeedBatch *got = NULL;
        rc = harness_client_replay(client, DAJIA__AUDIENCE__AUDIENCE_OFFICE, from, batch, &got);
        if (rc != 0) {
            fprintf(stderr, "harness: REPLAY from %" PRIu64 " failed: %s\n", from,
                    dajia_strerror(rc));
            break;
        }
        if (got->reason != 0) {
            fprintf(stderr, "harness: REPLAY from %" PRIu64 " refused (reason %d)\n", from,
                    (int)got->reason);
            rc = -EPERM;
        }
        for (size_t k = 0; rc == 0 && k < got->n_items; k++) {
            if (feed->count >= HARNESS_FEED_MAX) {
                fprintf(stderr, "harness: the feed holds more than %d items\n", HARNESS_FEED_MAX);
                rc = -EOVERFLOW;
                break;
            }
            Dajia__FeedItem *item = got->items[k];
            size_t len = dajia__feed_item__get_packed_size(item);
            char *bytes = harness_autofree(malloc(len ? len : 1));
            if (!bytes)
                abort();
            dajia__feed_item__pack(item, (uint8_t *)bytes);
            feed->seq[feed->count] = item->feed_seq;
            feed->packed[feed->count] = bytes;
            feed->len[feed->count] = len;
            feed->count++;
            from = item->feed_seq + 1;
        }
        more = got->more && got->n_items > 0;
        dajia__feed_batch__free_unpacked(got, NULL);
    }
    harness_client_destroy(&client);
    return rc;
}

int
harness_feed_wait(const char *api, uint32_t batch, harness_feed_t *feed, size_t than,
                  int timeout_ms)
{
    int64_t deadline = harness_now_ms() + timeout_ms;
    do {
        int rc = harness_feed_read(api, batch, feed);
        if (rc != 0)
            return rc;
        if (feed->count > than)
            return 0;
        harness_sleep_ms(100);
    } while (harness_now_ms() < deadline);
    return -ETIMEDOUT;
}

int
harness_ready_field(const harness_proc_t *proc, const char *key, char *out, size_t size)
{
    const char *line = strstr(harness_proc_stdout(proc), "READY ");
    const char *at = line ? strstr(line, key) : NULL;
    if (!at)
        return -ENOENT;
    return s_copy_value(at + strlen(key), " \n", out, size);
}
