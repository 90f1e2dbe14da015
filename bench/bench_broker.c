/*  bench_broker: the temporary broker of a run (see bench_broker.h).

    The reference (--baseline) is this same program started again with the arguments
    of bench_baseline.h, in a data directory of its own like the broker's.

    The child is started with fork/exec in a process group of its own, its stdout a pipe
    the bench reads the READY line from (then closes: the broker writes nothing after
    READY), its stderr the log file. PR_SET_PDEATHSIG makes it die with the bench rather
    than outlive a crashed one.
*/
#include "bench_broker.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_baseline.h"
#include "bench_clock.h"

#define BENCH_READY_TIMEOUT_MS 30000 /* broker startup */
#define BENCH_STOP_TIMEOUT_MS  5000  /* SIGTERM, then SIGKILL */

struct bench_broker_t {
    pid_t pid;
    char *dir; /* temp dir holding data/ and broker.log */
    char endpoint[256];
    char office[256]; /* the office feed, "" when READY named none */
};

static int
s_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0)
        fprintf(stderr, "dajia-bench: cannot remove %s: %s\n", path, strerror(errno));
    return 0;
}

static void
s_rm_tree(const char *dir)
{
    nftw(dir, s_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void
bench_broker_default(char *buf, size_t size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            static const char *const places[] = {"dajia-broker", "../broker/dajia-broker"};
            for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
                int n = snprintf(buf, size, "%s/%s", self, places[i]);
                if (n > 0 && (size_t)n < size && access(buf, X_OK) == 0)
                    return;
            }
        }
    }
    snprintf(buf, size, "dajia-broker"); /* from PATH */
}

/* Copies the value of `key` ("office=") in the READY line `line` into `out`; "" when the
   line has none or it does not fit. */
static void
s_ready_field(const char *line, const char *key, char *out, size_t size)
{
    out[0] = '\0';
    const char *at = strstr(line, key);
    if (!at)
        return;
    at += strlen(key);
    size_t len = strcspn(at, " \t\r");
    if (len < size) {
        memcpy(out, at, len);
        out[len] = '\0';
    }
}

/* Reads the child's stdout until "READY api=<endpoint> ..." or the timeout; the office
   feed's endpoint, when the line names one, goes into `office`. */
static int
s_read_ready(int fd, char *endpoint, size_t size, char *office, size_t office_size)
{
    char buf[4096];
    size_t used = 0;
    uint64_t deadline = bench_clock_now() + BENCH_READY_TIMEOUT_MS * NS_PER_MS;
    while (!bench_clock_interrupted()) {
        uint64_t now = bench_clock_now();
        if (now >= deadline)
            return -ETIMEDOUT;
        struct pollfd pfd = {fd, POLLIN, 0};
        int rc = poll(&pfd, 1, (int)((deadline - now) / NS_PER_MS) + 1);
        if (rc < 0 && errno != EINTR)
            return -errno;
        if (rc <= 0)
            continue;
        ssize_t got = read(fd, buf + used, sizeof buf - 1 - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -EPIPE; /* exited before READY */
        used += (size_t)got;
        buf[used] = '\0';
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = '\0';
            const char *api = strncmp(line, "READY ", 6) == 0 ? strstr(line, "api=") : NULL;
            if (api) {
                api += 4;
                size_t len = strcspn(api, " \t\r");
                if (len == 0 || len >= size)
                    return -EINVAL;
                memcpy(endpoint, api, len);
                endpoint[len] = '\0';
                s_ready_field(line, " office=", office, office_size);
                return 0;
            }
            line = nl + 1;
        }
        used = strlen(line);
        memmove(buf, line, used);
        if (used == sizeof buf - 1)
            used = 0; /* an absurdly long line: forget it */
    }
    return -EINTR;
}

static void
s_broker_stop(bench_broker_t *self)
{
    if (self->pid > 0) {
        int status = 0;
        kill(self->pid, SIGTERM);
        uint64_t deadline = bench_clock_now() + BENCH_STOP_TIMEOUT_MS * NS_PER_MS;
        pid_t done = 0;
        while ((done = waitpid(self->pid, &status, WNOHANG)) == 0 && bench_clock_now() < deadline) {
            struct timespec ts = {0, 10 * (long)NS_PER_MS};
            nanosleep(&ts, NULL);
        }
        if (done == 0) {
            fprintf(stderr, "dajia-bench: broker did not stop on SIGTERM; killing it\n");
            killpg(self->pid, SIGKILL);
            waitpid(self->pid, &status, 0);
        } else if (done > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            fprintf(stderr, "dajia-bench: broker exited with status %d (see %s/broker.log)\n",
                    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), self->dir);
        }
        self->pid = 0;
    }
    if (self->dir) {
        s_rm_tree(self->dir);
        free(self->dir);
        self->dir = NULL;
    }
}

/* The child of the fork: becomes the broker, its stdout `out_fd`, its stderr `log_fd`.
   Only async-signal-safe calls until exec. The broker dies with the bench rather than
   outlive a crashed one. */
static void __attribute__((noreturn))
s_exec_child(const char *binary, char *const argv[], pid_t parent, int out_fd, int log_fd)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    dup2(out_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execvp(binary, argv);
    static const char msg[] = "dajia-bench: cannot exec the broker\n";
    ssize_t ignored = write(log_fd, msg, sizeof msg - 1);
    (void)ignored;
    _exit(127);
}

/* Starts `binary` as the broker, or with `baseline` as the reference (bench_baseline.h):
   then `binary` is this program. */
static int
s_broker_start(bench_broker_t *self, const char *binary, bool with_workers, bool baseline)
{
    int pipefd[2] = {-1, -1};
    int logfd = -1;
    int rc = 0;
    const char *tmp = getenv("TMPDIR");
    char tmpl[PATH_MAX], data[PATH_MAX + 8], log[PATH_MAX + 16];
    snprintf(tmpl, sizeof tmpl, "%s/dajia-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpl)) {
        rc = -errno;
        fprintf(stderr, "dajia-bench: mkdtemp %s: %s\n", tmpl, strerror(errno));
        goto out;
    }
    self->dir = strdup(tmpl);
    if (!self->dir) {
        rc = -ENOMEM;
        goto out;
    }
    snprintf(data, sizeof data, "%s/data", tmpl);
    snprintf(log, sizeof log, "%s/broker.log", tmpl);
    if (mkdir(data, 0700) != 0 || pipe2(pipefd, O_CLOEXEC) != 0) {
        rc = -errno;
        fprintf(stderr, "dajia-bench: %s: %s\n", data, strerror(errno));
        goto out;
    }
    logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (logfd < 0) {
        rc = -errno;
        fprintf(stderr, "dajia-bench: %s: %s\n", log, strerror(errno));
        goto out;
    }
    /* Ingest alone by default: the broker starts no workers (their threads would share
       the two cores with the bench); --with-workers measures the whole broker. */
    char *argv[] = {(char *)binary,
                    "--data",
                    data,
                    "--api",
                    "tcp://127.0.0.1:*",
                    "--workers",
                    "tcp://127.0.0.1:*",
                    with_workers ? NULL : "--external-workers",
                    NULL};
    if (baseline) {
        argv[1] = BENCH_BASELINE_ARG;
        argv[3] = NULL;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        rc = -errno;
        goto out;
    }
    if (pid == 0)
        s_exec_child(binary, argv, parent, pipefd[1], logfd);
    setpgid(pid, pid);
    self->pid = pid;
    close(pipefd[1]);
    pipefd[1] = -1;
    rc = s_read_ready(pipefd[0], self->endpoint, sizeof self->endpoint, self->office,
                      sizeof self->office);
    if (rc != 0)
        fprintf(stderr, "dajia-bench: broker %s gave no READY line (%s); its log: %s\n", binary,
                strerror(-rc), log);
out:
    if (pipefd[0] >= 0)
        close(pipefd[0]); /* the broker writes nothing after READY */
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    if (logfd >= 0)
        close(logfd);
    return rc;
}

/* Starts the broker or the reference; see bench_broker_spawn. */
static int
s_spawn(const char *binary, bool with_workers, bool baseline, bench_broker_t **out)
{
    bench_broker_t *self = calloc(1, sizeof *self);
    if (!self) {
        fprintf(stderr, "dajia-bench: out of memory\n");
        return -ENOMEM;
    }
    int rc = s_broker_start(self, binary, with_workers, baseline);
    if (rc != 0) {
        bench_broker_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

int
bench_broker_spawn(const char *binary, bool with_workers, bench_broker_t **out)
{
    return s_spawn(binary, with_workers, false, out);
}

int
bench_broker_spawn_baseline(bench_broker_t **out)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "dajia-bench: cannot find its own executable: %s\n", strerror(errno));
        return -errno;
    }
    self[n] = '\0';
    return s_spawn(self, false, true, out);
}

const char *
bench_broker_endpoint(const bench_broker_t *self)
{
    return self->endpoint;
}

const char *
bench_broker_office(const bench_broker_t *self)
{
    return self->office;
}

void
bench_broker_destroy(bench_broker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_broker_stop(*self_p);
    free(*self_p);
    *self_p = NULL;
}
