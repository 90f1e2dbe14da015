/*  Integration: exactly once at the Office (issue 10, finding 8). dajia-office watch is
    killed with SIGKILL again and again while escalations stream in, and started again
    each time with its output appended to the same file (`>> FILE`, as an Office would
    keep a log of what it was shown). In the end the file holds every escalation of the
    feed exactly once: none twice (a second phone call), none left out, no line broken.

    A submitting thread sends a case worth an escalation (E3, 600,000 yuan) every few
    milliseconds; the watcher lives a pseudo-random 20..300 ms each round (a fixed seed),
    so the kills fall at every point: while it starts, while it catches up on what came
    while it was dead, while it follows live. A last `watch --once` collects the rest.
*/
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "office_fixture.h"

#define S_STR(...)    ((char *)harness_autofree(harness_strf(__VA_ARGS__)))
#define S_KILLS       20
#define S_LIFE_MIN_MS 20
#define S_LIFE_MAX_MS 300
#define S_SUBMIT_MS   3 /* between two escalating cases */
#define S_MAX_SEQS    20000
#define S_WAIT_MS     60000

typedef struct {
    office_fixture_t base; /* the broker */
    harness_proc_t *watcher;
    atomic_bool stop;
    atomic_int accepted;
} fixture_t;

static int
s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    *state = fx;
    return office_fixture_start(&fx->base);
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    harness_proc_destroy(&fx->watcher);
    office_fixture_stop(&fx->base);
    free(fx);
    return 0;
}

/* The submitting thread: one escalating case every S_SUBMIT_MS until told to stop. No
   cmocka assertion here (they longjmp on the main thread's stack): a failure ends the
   thread, and the counts tell. */
static void *
s_submitter(void *arg)
{
    fixture_t *fx = arg;
    harness_client_t *client = NULL;
    if (harness_client_new(fx->base.api, HARNESS_RECV_TIMEOUT_MS, &client) != 0)
        return NULL;
    for (int n = 0; !atomic_load(&fx->stop); n++) {
        char id[32], case_no[32];
        snprintf(id, sizeof id, "kill-%d", n);
        snprintf(case_no, sizeof case_no, "K-%d", n);
        Dajia__Envelope env;
        Dajia__CaseReport report;
        office_fixture_case(&env, &report, id, case_no);
        Dajia__Ack *ack = NULL;
        if (harness_client_submit(client, &env) != 0 || harness_client_recv_ack(client, &ack) != 0)
            break;
        if (ack->status == DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED)
            atomic_fetch_add(&fx->accepted, 1);
        dajia__ack__free_unpacked(ack, NULL);
        usleep(S_SUBMIT_MS * 1000);
    }
    harness_client_destroy(&client);
    return NULL;
}

/* Starts watch with its output appended to `out` (the shell opens it with >>, then
   becomes dajia-office: the pid killed is the watcher's). `mode` "--once", or NULL to
   follow until killed. */
static void
s_watch_start(fixture_t *fx, const char *out, const char *mode)
{
    const char *shell[] = {"/bin/sh", "-c", "exec \"$@\" >> \"$0\"", out, NULL};
    const char **argv = office_fixture_argv(&fx->base, shell, "--json", "watch", mode,
                                            NULL); /* mode NULL: follow */
    harness_opts_t opts = {NULL, true};
    assert_int_equal(harness_proc_start(argv, &opts, &fx->watcher), 0);
}

static int
s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void
test_watch_killed_again_and_again_shows_each_escalation_once(void **state)
{
    fixture_t *fx = *state;
    const char *out = S_STR("%s/shown.jsonl", fx->base.dir);
    zsys_init(); /* before the thread's first socket (harness.h) */
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, s_submitter, fx), 0);

    uint32_t seed = 20261204;
    for (int round = 0; round < S_KILLS; round++) {
        seed = seed * 1103515245u + 12345u;
        int life = S_LIFE_MIN_MS + (int)((seed >> 8) % (S_LIFE_MAX_MS - S_LIFE_MIN_MS));
        s_watch_start(fx, out, NULL);
        zclock_sleep(life);
        harness_proc_kill(fx->watcher);
        harness_proc_destroy(&fx->watcher);
    }
    atomic_store(&fx->stop, true);
    pthread_join(thread, NULL);
    int accepted = atomic_load(&fx->accepted);
    assert_true(accepted > S_KILLS);

    /* Every accepted case escalates once; wait for the last ones to reach the feed. */
    harness_client_t *client = NULL;
    assert_int_equal(harness_client_new(fx->base.api, HARNESS_RECV_TIMEOUT_MS, &client), 0);
    uint64_t *feed = harness_autofree(calloc(S_MAX_SEQS, sizeof *feed));
    size_t n_feed = 0;
    int64_t deadline = harness_now_ms() + S_WAIT_MS;
    while ((n_feed = office_fixture_escalations(client, feed, NULL, S_MAX_SEQS)) <
           (size_t)accepted) {
        if (harness_now_ms() > deadline)
            fail_msg("%zu escalations in the feed for %d cases", n_feed, accepted);
        zclock_sleep(50);
    }
    harness_client_destroy(&client);
    assert_int_equal(n_feed, (size_t)accepted);

    /* The rest, once, and the watcher exits by itself. */
    s_watch_start(fx, out, "--once");
    int status = harness_proc_wait(fx->watcher, S_WAIT_MS);
    if (status != 0)
        fail_msg("watch --once: status %d: %s", status, harness_proc_stderr(fx->watcher));
    harness_proc_destroy(&fx->watcher);

    /* Every line a whole JSON item; every escalation exactly once. */
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    uint64_t *shown = harness_autofree(calloc(S_MAX_SEQS * 2, sizeof *shown));
    size_t n_shown = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        json_error_t err;
        json_t *obj = json_loadb(line, (size_t)len, 0, &err);
        if (!obj || !json_is_integer(json_object_get(obj, "feed_seq")))
            fail_msg("line %zu of the output is not a whole item: %s", n_shown + 1, line);
        assert_true(n_shown < S_MAX_SEQS * 2);
        shown[n_shown++] = (uint64_t)json_integer_value(json_object_get(obj, "feed_seq"));
        json_decref(obj);
    }
    free(line);
    fclose(f);
    qsort(shown, n_shown, sizeof *shown, s_cmp_u64);
    size_t twice = 0, missing = 0;
    for (size_t i = 1; i < n_shown; i++)
        twice += shown[i] == shown[i - 1];
    for (size_t i = 0; i < n_feed; i++)
        missing += bsearch(&feed[i], shown, n_shown, sizeof *shown, s_cmp_u64) == NULL;
    fprintf(stderr,
            "%d kills: %zu escalations in the feed, %zu lines shown, %zu twice, %zu "
            "missing\n",
            S_KILLS, n_feed, n_shown, twice, missing);
    assert_int_equal(twice, 0);
    assert_int_equal(missing, 0);
    assert_int_equal(n_shown, n_feed);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_watch_killed_again_and_again_shows_each_escalation_once, s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name("integration.office_kill", tests, NULL, NULL);
}
