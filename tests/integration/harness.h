/*  harness: what the integration tests need to drive the real dajia programs.

    Processes: each child runs in its own process group with stdout (and, on request,
    stderr) on a pipe the harness reads into memory while it waits, so a chatty child
    never blocks on a full pipe as long as the test is waiting on it. Startup is waited
    for by reading the child's "READY api=<endpoint>" line with a timeout, never by
    sleeping. Stopping is SIGTERM, up to HARNESS_STOP_TIMEOUT_MS, then SIGKILL to the
    whole group. With DAJIA_VALGRIND=1 in the environment every child runs under
    valgrind (leak check, error exit code 99); never combine that with an ASan build.

    Exit statuses are reported as the shell does: the exit code, or 128 + the signal
    number for a child killed by a signal.

    Sockets: a DEALER client with a receive timeout, to speak the api's frames directly,
    and helpers for the SUBMIT/ACK and STATS exchanges.

    Data: temporary directories (mkdtemp) removed recursively, JSON Lines event files the
    agent reads, and the broker's log as `dajia-ctl dump` prints it.

    Fixtures (the last section): harness_fixture_t, a temporary directory with a key
    directory and a broker, set up and torn down in one call; a test's own fixture struct
    embeds it as its first member.

    Nothing here opens LMDB: the tests read the log through dajia-ctl, in a child.
*/
#ifndef HARNESS_H
#define HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <czmq.h>

#include "dajia.pb-c.h"
#include "test_util.h"

/* Paths of the programs under test, set by tests/integration/CMakeLists.txt. */
#ifndef DAJIA_BROKER_BIN
#error "DAJIA_BROKER_BIN must be defined by the build"
#endif
#ifndef DAJIA_AGENT_BIN
#error "DAJIA_AGENT_BIN must be defined by the build"
#endif
#ifndef DAJIA_CTL_BIN
#error "DAJIA_CTL_BIN must be defined by the build"
#endif

/* Generous on purpose: the suite runs on loaded two-core machines and under ASan. */
#define HARNESS_READY_TIMEOUT_MS 60000
#define HARNESS_STOP_TIMEOUT_MS  5000
#define HARNESS_RUN_TIMEOUT_MS   120000
#define HARNESS_RECV_TIMEOUT_MS  20000

/* ============================================================== processes */

typedef struct harness_proc_t harness_proc_t;

typedef struct {
    /* Changes to the inherited environment, NULL-terminated: "NAME=VALUE" sets NAME,
       a bare "NAME" removes it. NULL: inherit as is. Borrowed. */
    const char *const *env;
    /* Read stderr into memory too (harness_proc_stderr) instead of letting it go to the
       test's stderr, where ctest keeps it with the test's output. */
    bool capture_stderr;
} harness_opts_t;

/* Starts argv[0] (a path, or a name looked up in PATH) with `argv` (NULL-terminated) in
   a new process group. `opts` may be NULL. Returns 0 and sets *out (destroy with
   harness_proc_destroy), or -errno. */
int
harness_proc_start(const char *const *argv, const harness_opts_t *opts, harness_proc_t **out);

/* Waits for a stdout line "READY api=<endpoint>" and copies the endpoint into `endpoint`.
   Returns 0; -ETIMEDOUT; -ECHILD if the child exited first (its output is kept for
   the test to print); -ENAMETOOLONG if the endpoint does not fit. */
int
harness_proc_wait_ready(harness_proc_t *self, int timeout_ms, char *endpoint, size_t size);

/* Waits for the child to exit, reading its output meanwhile. Returns its exit status
   (>= 0), or -ETIMEDOUT with the child still running. */
int
harness_proc_wait(harness_proc_t *self, int timeout_ms);

/* Waits for all `count` children at once (each one's output is read while any runs).
   Returns 0 when all have exited, or -ETIMEDOUT. Their statuses: harness_proc_status. */
int
harness_proc_wait_all(harness_proc_t *const *procs, size_t count, int timeout_ms);

/* Reads whatever output is ready without waiting, and notices an exit. Returns true
   while the child runs. Use it in polling loops that run beside a child. */
bool
harness_proc_running(harness_proc_t *self);

/* SIGTERM, up to HARNESS_STOP_TIMEOUT_MS, then SIGKILL to the group. Returns the exit
   status; a child that needed SIGKILL reports 128 + SIGKILL. A child that had exited
   already just reports its status. */
int
harness_proc_stop(harness_proc_t *self);

/* SIGKILL to the child's process group at once, then reaps it. Returns the status. */
int
harness_proc_kill(harness_proc_t *self);

/* The exit status of an exited child, or -1 while it runs. */
int
harness_proc_status(const harness_proc_t *self);

pid_t
harness_proc_pid(const harness_proc_t *self);

/* What the child wrote so far; NUL-terminated, owned by the proc, valid until the next
   call on it. stderr is "" unless captured. */
const char *
harness_proc_stdout(const harness_proc_t *self);
const char *
harness_proc_stderr(const harness_proc_t *self);

/* Kills the child's group with SIGKILL if it still runs, reaps it, frees everything.
   Accepts NULL and sets *self_p to NULL. */
void
harness_proc_destroy(harness_proc_t **self_p);

/* The result of a program run to completion. */
typedef struct {
    int status; /* exit status, or -1 when it timed out (and was killed) */
    char *out;  /* stdout, NUL-terminated, owned: harness_result_free() */
    char *err;  /* stderr, likewise */
} harness_result_t;

/* Runs `argv` to completion (stdout and stderr both captured) for at most `timeout_ms`;
   on timeout kills it and sets status -1. Returns 0 (whatever the status), or -errno
   when it could not start. `opts->capture_stderr` is ignored: stderr is captured. */
int
harness_run(const char *const *argv, const harness_opts_t *opts, int timeout_ms,
            harness_result_t *result);

void
harness_result_free(harness_result_t *result);

/* harness_run() with the inherited environment and HARNESS_RUN_TIMEOUT_MS, the output
   given to harness_autofree() (so a failed assertion after it leaks nothing). Returns as
   harness_run(). Main thread only. */
int
harness_run_autofree(const char *const *argv, harness_result_t *result);

/* Starts the broker with `--data data_dir --api api` plus `extra` args (NULL-terminated,
   may be NULL) and waits for READY; `endpoint` receives the bound endpoint. Returns 0
   and sets *out, or a negative code after printing the broker's output. */
int
harness_broker_start(const char *data_dir, const char *api, const char *const *extra,
                     harness_proc_t **out, char *endpoint, size_t size);

/* ============================================================== files */

/* Creates a fresh directory "$TMPDIR/dajia-it-XXXXXX" (/tmp without TMPDIR). Returns a
   string the caller frees, or NULL with errno set. */
char *
harness_tmpdir_new(void);

/* Removes `path` and everything under it. Returns 0, or -errno of the first failure. */
int
harness_rm_rf(const char *path);

/* printf into a new string (caller frees); aborts the test program on out-of-memory. */
char *
harness_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Takes `ptr` (from malloc) to free at the next harness_autofree_all(), which the tests'
   teardowns call: a failed assertion leaves the test by longjmp, past any free() after
   it, and this keeps such exits free of leaks. Returns `ptr`. Main thread only. */
void *
harness_autofree(void *ptr);

/* Frees everything given to harness_autofree(). */
void
harness_autofree_all(void);

/* Writes `count` valid CaseReport events of `unit` as JSON Lines to `path`, with case_no
   "<unit>-<case_prefix>-<n>" for n in [first, first + count). `id_prefix` non-NULL gives
   each an explicit event_id "<id_prefix><n>"; NULL leaves event_id out for the agent to
   derive. Returns 0 or -errno. */
int
harness_write_cases(const char *path, const char *unit, const char *case_prefix,
                    const char *id_prefix, uint64_t first, uint64_t count);

/* ============================================================== the log */

#define HARNESS_UNIT_MAX 32
#define HARNESS_ID_MAX   80

typedef struct {
    uint64_t log_seq;
    char unit[HARNESS_UNIT_MAX];
    char event_id[HARNESS_ID_MAX];
} harness_record_t;

/* Runs `dajia-ctl --data data_dir dump` and parses every line. Sets *records (caller
   frees with free()) and *count. Returns 0, or a negative code after printing why. */
int
harness_dump(const char *data_dir, harness_record_t **records, size_t *count);

/* Checks the log's shape: log_seq runs 1..count with no gap (in the order given, which
   is the dump's order), and no (unit, event_id) appears twice. Returns the number of
   problems found, printing the first few. */
size_t
harness_check_log(const harness_record_t *records, size_t count);

/* Sorts records by (unit, event_id), for harness_records_find(). */
void
harness_records_sort(harness_record_t *records, size_t count);

/* The record of (unit, event_id) in records sorted by harness_records_sort(), or NULL. */
const harness_record_t *
harness_records_find(const harness_record_t *sorted, size_t count, const char *unit,
                     const char *event_id);

/* ============================================================== the api */

typedef struct harness_client_t harness_client_t;

/* A DEALER connected to `endpoint`, receiving with `timeout_ms`. Returns 0 and sets
   *out (destroy with harness_client_destroy), or -errno. A client belongs to the thread
   that uses it; a test with several threads calls zsys_init() before starting them (czmq
   initialises itself on the first socket, which is not thread-safe). */
int
harness_client_new(const char *endpoint, int timeout_ms, harness_client_t **out);

void
harness_client_destroy(harness_client_t **self_p);

/* Sends one message of `count` frames (data[i], lens[i]; data may be NULL when the
   length is 0). Returns 0 or -errno. */
int
harness_client_send(harness_client_t *self, size_t count, const void *const *data,
                    const size_t *lens);

/* Receives one message. Returns 0 and sets *out (caller destroys), or -EAGAIN on
   timeout. */
int
harness_client_recv(harness_client_t *self, zmsg_t **out);

/* Receives one reply and decodes it as "ACK" + Ack. Returns 0 and sets *ack (free with
   dajia__ack__free_unpacked), -EAGAIN on timeout, -EPROTO if it is not an ACK. */
int
harness_client_recv_ack(harness_client_t *self, Dajia__Ack **ack);

/* Sends "REPLAY" with a ReplayRequest (from `from`, `audience`, at most `max_items`; 0:
   the broker's default) and receives the answer. Returns 0 and sets *out (free with
   dajia__feed_batch__free_unpacked; a refusal is a batch with a reason), -EAGAIN on
   timeout, -EPROTO if the answer is not "FEED" + FeedBatch. */
int
harness_client_replay(harness_client_t *self, Dajia__Audience audience, uint64_t from,
                      uint32_t max_items, Dajia__FeedBatch **out);

/* Sends "SUBMIT" + the packed `env`. Returns 0 or -errno. */
int
harness_client_submit(harness_client_t *self, const Dajia__Envelope *env);

/* Sends "STATS" and returns the broker's JSON text (caller frees), or NULL on timeout. */
char *
harness_client_stats(harness_client_t *self);

/* The unsigned integer at `path` ("accepted", "rejected_by_reason/unknown_unit") in a
   JSON text; 0 when the key is missing (a counter never bumped). -1 when the text is
   not JSON or the value is not a non-negative integer. */
int64_t
harness_json_u64(const char *json, const char *path);

/* ============================================================== events */

/* A valid CaseReport envelope in `env`, borrowing `unit`, `event_id` and `case_no`;
   `report` is the body's storage. occurred_at is an hour ago. */
void
harness_envelope_init(Dajia__Envelope *env, Dajia__CaseReport *report, const char *unit,
                      const char *event_id, const char *case_no);

/* Unix time in milliseconds. */
int64_t
harness_now_ms(void);

/* ============================================================== fixtures */

/* What most integration tests keep between setup and teardown: a fresh temporary
   directory, the paths of a key directory ("<dir>/keys") and of a broker's data
   ("<dir>/broker") in it (neither created), and the broker a test starts there with
   the endpoint it reported. A test with more to keep embeds one or copies the fields. */
typedef struct {
    char *dir;
    char *keys;
    char *data;
    harness_proc_t *broker;
    char api[256];
} harness_fixture_t;

/* Fills a zeroed fixture (one a test embeds in its own): the directory and the paths.
   Returns 0, or -1 when the directory cannot be made. */
int
harness_fixture_init(harness_fixture_t *fx);

/* A new zeroed fixture of `size` bytes whose first member is a harness_fixture_t,
   filled by harness_fixture_init() and put into *state for harness_fixture_teardown.
   Returns it, or NULL (*state may then hold a part-made one). */
void *
harness_fixture_new(void **state, size_t size);

/* A cmocka setup: a new harness_fixture_t with its directory in *state. Returns 0, or
   -1 (*state may then hold a part-made fixture for harness_fixture_teardown). */
int
harness_fixture_setup(void **state);

/* harness_fixture_setup(), then `dajia-ctl keys init` for `units` (comma-separated)
   into fx->keys. Returns 0, or -1 after printing why. */
int
harness_fixture_setup_keys(void **state, const char *units);

/* harness_fixture_setup_keys(), then the broker on fx->data with --keys fx->keys,
   READY waited for (harness_broker_start). Returns 0 or a negative code. */
int
harness_fixture_setup_keyed_broker(void **state, const char *units);

/* Starts the broker on fx->data at "tcp://127.0.0.1:*" with `extra` args (may be NULL)
   and waits for READY, as harness_broker_start() does; fx->api receives the endpoint.
   Returns 0 or a negative code. */
int
harness_fixture_start_broker(harness_fixture_t *fx, const char *const *extra);

/* Kills the fixture's broker if it still runs, removes its directory, frees its
   strings (not the fixture itself) and clears them. Accepts NULL. */
void
harness_fixture_clear(harness_fixture_t *fx);

/* A cmocka teardown: harness_fixture_clear(), free(), harness_autofree_all(). Returns 0;
   accepts a NULL *state. *state may be a test's own fixture that begins with a
   harness_fixture_t (harness_fixture_new), once the test has freed its other members. */
int
harness_fixture_teardown(void **state);

/* harness_run_autofree() with `env` as harness_opts_t.env (NULL: inherit as is). */
int
harness_run_env_autofree(const char *const *argv, const char *const *env, harness_result_t *result);

/* Runs `dajia-ctl keys init --dir keys --units units` to completion. Returns 0, or -1
   after printing its exit status and stderr. */
int
harness_keys_init(const char *keys, const char *units);

/* The broker's "accepted" counter, from STATS; -1 on timeout or an unreadable answer. */
int64_t
harness_client_accepted(harness_client_t *client);

/* Sleeps `ms` milliseconds: the pause of a polling loop. */
void
harness_sleep_ms(int ms);

/* The office feed as REPLAY gives it: each item packed, in feed_seq order. Large: allocate
   it (calloc), never on the stack. */
#define HARNESS_FEED_MAX 100000
typedef struct {
    size_t count;
    uint64_t seq[HARNESS_FEED_MAX];
    char *packed[HARNESS_FEED_MAX]; /* given to harness_autofree() */
    size_t len[HARNESS_FEED_MAX];
} harness_feed_t;

/* Reads every item of the broker's office feed at `api` into *feed (replacing what it
   held), `batch` items a REPLAY. Returns 0, or after printing why: a client or REPLAY
   error, -EPERM when the broker refuses a batch, -EOVERFLOW past HARNESS_FEED_MAX. Main
   thread only. */
int
harness_feed_read(const char *api, uint32_t batch, harness_feed_t *feed);

/* Reads the feed again every 100 ms until it holds more than `than` items, for at most
   `timeout_ms`. Returns 0, -ETIMEDOUT, or a harness_feed_read() error. */
int
harness_feed_wait(const char *api, uint32_t batch, harness_feed_t *feed, size_t than,
                  int timeout_ms);

/* Copies the value after `key` (as "workers=") in the READY line the child printed, up
   to the next space or newline, into `out`. Returns 0, -ENOENT when there is no READY
   line or no `key` after it, -ENAMETOOLONG when the value does not fit. */
int
harness_ready_field(const harness_proc_t *proc, const char *key, char *out, size_t size);

#endif
