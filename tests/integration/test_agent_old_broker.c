/*  Integration: the agent against an older broker, one that does not know HELLO.

    A new agent asks the broker which store it serves (HELLO) before it sends anything;
    an older broker answers that, as any word it does not know, ACK REJECTED
    UNKNOWN_COMMAND with no event_id (proto/dajia_api.h). The agent must then go on
    without the store check and send its events. The older broker here is the test's
    own: a ROUTER on an actor thread that answers HELLO as such a broker did and each
    SUBMIT ACCEPTED with consecutive log_seq (DUPLICATE with the first one for an event
    it has stored), and records every request, so that the test sees what the real
    dajia-agent sent and in what order.

    The cases: the plain one (one HELLO, then every event once; a flush with nothing
    waiting and a second submit the same way); a broker silent to HELLO (the agent
    keeps its events and says the broker did not answer; with nothing waiting it gives
    up after AGENT_SESSION_HELLO_IDLE_MS, not after --timeout; once a HELLO sent again
    is answered, the events go); and a broker slow to refuse HELLO, which answers the
    first HELLO only when the agent sends it again, so that two refusals come: the
    second is not a refusal of an event.
*/
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dajia_api.h"
#include "harness.h"

#define S_STR(...) ((char *)harness_autofree(harness_strf(__VA_ARGS__)))

#define S_UNIT      "psb"
#define S_EVENTS    20
#define S_SEEN_MAX  1024
#define S_POLL_MS   1000 /* the fake broker's longest wait before it looks at its pipe */
#define S_ID_PREFIX S_UNIT "-ob-"
/* What an older broker answered a word it did not know (broker_server.c, before HELLO). */
#define S_OLD_REFUSAL                                                                              \
    "unknown command (5 bytes); the broker knows " DAJIA_API_SUBMIT ", " DAJIA_API_STATS           \
    " and " DAJIA_API_REPLAY
/* What the agent says with -v when it goes on without the store check (agent_session.c). */
#define S_UNCHECKED     "the broker does not answer " DAJIA_API_HELLO ": its store is not checked"
/* The agent's hint when nothing at all answered a keyless agent (agent_main.c). */
#define S_NO_KEY        "this agent has no key (CURVE)"
/* --timeout for a run that must end with everything stored: far beyond any wait, and
   within HARNESS_RUN_TIMEOUT_MS, so that an agent that waits it out says so itself. */
#define S_LONG_TIMEOUT  "90"
/* --resend-ms that no answer's delay reaches: every event is sent exactly once. */
#define S_NO_RESEND     "60000"
/* A flush with nothing waiting gives up on a silent broker after
   AGENT_SESSION_HELLO_IDLE_MS (5 s); well before this, and before S_LONG_TIMEOUT. */
#define S_IDLE_BOUND_MS 60000

/* One request the fake broker received. */
typedef struct {
    bool hello;                    /* HELLO, else SUBMIT */
    bool answered;                 /* it was answered (at once or later) */
    char event_id[HARNESS_ID_MAX]; /* a SUBMIT's */
    Dajia__AckStatus status;       /* a SUBMIT's answer */
    uint64_t log_seq;              /* idem */
} s_request_t;

/* The older broker: what it does (set by the test between runs) and what it saw, both
   under `lock` (the actor thread writes, the test reads). */
typedef struct {
    pthread_mutex_t lock;
    char endpoint[256];
    unsigned hello_silent; /* HELLOs still to leave unanswered */
    bool hold_hello;       /* answer a HELLO only when the next one comes */
    bool submit_silent;    /* leave SUBMITs unanswered */
    uint64_t last_seq;     /* the log's last log_seq */
    s_request_t seen[S_SEEN_MAX];
    size_t count;
    zactor_t *actor;
} s_broker_t;

typedef struct {
    harness_fixture_t base;
    s_broker_t broker;
    char *state; /* the agent's outbox */
} fixture_t;

/* ============================================================== the older broker */

/* Sends [routing][ACK][ack]; takes `routing`. */
static void
s_answer(zsock_t *router, zframe_t **routing, const Dajia__Ack *ack)
{
    size_t len = dajia__ack__get_packed_size(ack);
    zframe_t *body = zframe_new(NULL, len);
    dajia__ack__pack(ack, zframe_data(body));
    zmsg_t *msg = zmsg_new();
    zmsg_append(msg, routing);
    zmsg_addstr(msg, DAJIA_API_ACK);
    zmsg_append(msg, &body);
    zmsg_send(&msg, router);
}

static void
s_refuse_hello(zsock_t *router, zframe_t **routing)
{
    Dajia__Ack ack = DAJIA__ACK__INIT;
    ack.status = DAJIA__ACK_STATUS__ACK_STATUS_REJECTED;
    ack.reason = DAJIA__REASON__REASON_UNKNOWN_COMMAND;
    ack.reason_text = (char *)S_OLD_REFUSAL;
    ack.received_at = harness_now_ms();
    s_answer(router, routing, &ack);
}

/* The request `seen` (a SUBMIT of `event_id`), answered as the broker did: ACCEPTED
   with the next log_seq, or DUPLICATE with the first when it was stored before. */
static void
s_judge_submit(s_broker_t *self, s_request_t *seen, Dajia__Ack *ack)
{
    ack->status = DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED;
    for (s_request_t *r = self->seen; r < seen; r++)
        if (!r->hello && r->answered && r->status == DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED &&
            strcmp(r->event_id, seen->event_id) == 0) {
            ack->status = DAJIA__ACK_STATUS__ACK_STATUS_DUPLICATE;
            ack->log_seq = r->log_seq;
        }
    if (ack->status == DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED)
        ack->log_seq = ++self->last_seq;
    seen->status = ack->status;
    seen->log_seq = ack->log_seq;
    seen->answered = true;
}

/* One request: [routing][word][body]. A HELLO is refused at once, or left unanswered
   (hello_silent), or held until the next HELLO (hold_hello, once); a SUBMIT answered
   unless submit_silent. */
static void
s_serve(s_broker_t *self, zsock_t *router, zmsg_t *msg, zframe_t **held, size_t *held_at)
{
    zframe_t *routing = zmsg_pop(msg);
    char *word = zmsg_popstr(msg);
    zframe_t *body = zmsg_pop(msg);
    bool hello = word && strcmp(word, DAJIA_API_HELLO) == 0;
    bool submit = word && strcmp(word, DAJIA_API_SUBMIT) == 0 && body;
    Dajia__Envelope *env =
        submit ? dajia__envelope__unpack(NULL, zframe_size(body), zframe_data(body)) : NULL;
    Dajia__Ack ack = DAJIA__ACK__INIT;
    bool refuse = false, refuse_held = false, answer = false;
    pthread_mutex_lock(&self->lock);
    if ((hello || env) && self->count < S_SEEN_MAX) {
        size_t at = self->count++;
        s_request_t *seen = &self->seen[at];
        seen->hello = hello;
        if (env)
            snprintf(seen->event_id, sizeof seen->event_id, "%s", env->event_id);
        if (hello && self->hello_silent > 0)
            self->hello_silent--;
        else if (hello && self->hold_hello) {
            self->hold_hello = false;
            zframe_destroy(held);
            *held = routing;
            *held_at = at;
            routing = NULL;
        } else if (hello) {
            refuse = true;
            seen->answered = true;
            refuse_held = *held != NULL;
            if (refuse_held)
                self->seen[*held_at].answered = true;
        } else if (!self->submit_silent) {
            ack.event_id = seen->event_id;
            ack.received_at = harness_now_ms();
            s_judge_submit(self, seen, &ack);
            answer = true;
        }
    }
    pthread_mutex_unlock(&self->lock);
    if (refuse_held)
        s_refuse_hello(router, held); /* the first one, late */
    if (refuse)
        s_refuse_hello(router, &routing);
    if (answer)
        s_answer(router, &routing, &ack);
    if (env)
        dajia__envelope__free_unpacked(env, NULL);
    zframe_destroy(&routing);
    zframe_destroy(&body);
    zstr_free(&word);
    zmsg_destroy(&msg);
}

/* The actor: binds, signals, serves until $TERM. Every wait has a timeout. */
static void
s_broker_actor(zsock_t *pipe, void *arg)
{
    s_broker_t *self = arg;
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    if (!router || zsock_bind(router, "%s", self->endpoint) != 0) {
        zsock_destroy(&router);
        zsock_signal(pipe, 1);
        return;
    }
    zsock_set_rcvtimeo(router, S_POLL_MS);
    zsock_signal(pipe, 0);
    zpoller_t *poller = zpoller_new(pipe, router, NULL);
    zframe_t *held = NULL;
    size_t held_at = 0;
    bool done = false;
    while (!done) {
        void *ready = zpoller_wait(poller, S_POLL_MS);
        if (ready == pipe) {
            zmsg_t *cmd = zmsg_recv(pipe);
            done = !cmd || zmsg_size(cmd) == 0 || zframe_streq(zmsg_first(cmd), "$TERM");
            zmsg_destroy(&cmd);
        } else if (ready == router) {
            zmsg_t *msg = zmsg_recv(router);
            if (msg)
                s_serve(self, router, msg, &held, &held_at);
        } else
            done = zpoller_terminated(poller);
    }
    zframe_destroy(&held);
    zpoller_destroy(&poller);
    zsock_destroy(&router);
}

/* A copy of what the broker saw from request `from` on, into *out; returns the count. */
static size_t
s_seen(s_broker_t *self, size_t from, s_request_t *out)
{
    pthread_mutex_lock(&self->lock);
    size_t count = self->count > from ? self->count - from : 0;
    memcpy(out, self->seen + from, count * sizeof *out);
    pthread_mutex_unlock(&self->lock);
    return count;
}

static size_t
s_seen_count(s_broker_t *self)
{
    pthread_mutex_lock(&self->lock);
    size_t count = self->count;
    pthread_mutex_unlock(&self->lock);
    return count;
}

/* Sets what the broker does from now on. */
static void
s_behave(s_broker_t *self, unsigned hello_silent, bool hold_hello, bool submit_silent)
{
    pthread_mutex_lock(&self->lock);
    self->hello_silent = hello_silent;
    self->hold_hello = hold_hello;
    self->submit_silent = submit_silent;
    pthread_mutex_unlock(&self->lock);
}

/* ============================================================== fixture */

static int
s_setup(void **state)
{
    fixture_t *fx = harness_fixture_new(state, sizeof *fx);
    if (!fx)
        return -1;
    fx->state = harness_strf("%s/agent-" S_UNIT, fx->base.dir);
    s_broker_t *b = &fx->broker;
    pthread_mutex_init(&b->lock, NULL);
    snprintf(b->endpoint, sizeof b->endpoint, "ipc://%s/api", fx->base.dir);
    b->actor = zactor_new(s_broker_actor, b);
    return b->actor ? 0 : -1;
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    if (fx) {
        zactor_destroy(&fx->broker.actor);
        pthread_mutex_destroy(&fx->broker.lock);
        free(fx->state);
    }
    return harness_fixture_teardown(state);
}

/* ============================================================== the agent */

/* Runs dajia-agent [-v] --timeout `timeout` --resend-ms `resend` `command` [file]
   against the fake broker, without keys. Returns its run; the caller checks `status`. */
static harness_result_t
s_agent(fixture_t *fx, bool verbose, const char *timeout, const char *resend, const char *command,
        const char *file)
{
    const char *argv[16] = {
        DAJIA_AGENT_BIN, "--broker", fx->broker.endpoint, "--unit", S_UNIT, "--state", fx->state,
        "--timeout",     timeout,    "--resend-ms",       resend};
    size_t argc = 11;
    if (verbose)
        argv[argc++] = "-v";
    argv[argc++] = command;
    argv[argc++] = file; /* NULL: the end */
    /* No key directory: the fake broker, like any broker without keys, speaks plain ZMTP. */
    const char *const env[] = {"DAJIA_KEYS", "DAJIA_BROKER", "DAJIA_UNIT", NULL};
    harness_result_t run;
    assert_int_equal(harness_run_env_autofree(argv, env, &run), 0);
    fprintf(stderr, "agent %s (exit %d):\n%s%s", command, run.status, run.out, run.err);
    return run;
}

/* Writes events `first` .. `first` + S_EVENTS - 1 to a new file. */
static const char *
s_events(fixture_t *fx, uint64_t first)
{
    char *path = S_STR("%s/events-%llu.jsonl", fx->base.dir, (unsigned long long)first);
    assert_int_equal(harness_write_cases(path, S_UNIT, "OB", S_ID_PREFIX, first, S_EVENTS), 0);
    return path;
}

/* The summary line of a run that stored `accepted` events and left `waiting`. */
static void
s_expect_summary(const harness_result_t *run, unsigned accepted, unsigned waiting)
{
    const char *line = S_STR("%u stored (%u new, 0 duplicates), 0 rejected, %u waiting", accepted,
                             accepted, waiting);
    if (!strstr(run->err, line))
        fail_msg("the agent did not say \"%s\"", line);
    /* Nothing about a restored store, nor a refusal of a send: there was neither. */
    assert_null(strstr(run->err, "restored from a backup"));
    assert_null(strstr(run->err, "without naming the event"));
    assert_null(strstr(run->err, "refused an event without naming it"));
}

/* The outbox: `waiting` events waiting, `kept` acknowledged ones kept. */
static void
s_expect_outbox(fixture_t *fx, unsigned waiting, unsigned kept)
{
    harness_result_t run = s_agent(fx, false, "0", "1000", "outbox", NULL);
    assert_int_equal(run.status, 0);
    const char *line = S_STR("%u event%s waiting; %u stored event%s kept", waiting,
                             waiting == 1 ? "" : "s", kept, kept == 1 ? "" : "s");
    if (!strstr(run.out, line))
        fail_msg("the outbox did not say \"%s\"", line);
}

/* From request `from` on: exactly `hellos` HELLOs, then the SUBMITs of events `first` ..
   `first` + `count` - 1, each once, in order, ACCEPTED with log_seq `seq` on. Returns
   the index after them. */
static size_t
s_expect_exact(fixture_t *fx, size_t from, size_t hellos, uint64_t first, size_t count,
               uint64_t seq)
{
    s_request_t *seen = harness_autofree(calloc(S_SEEN_MAX, sizeof *seen));
    size_t n = s_seen(&fx->broker, from, seen);
    if (n != hellos + count)
        fail_msg("the broker saw %zu requests, not %zu HELLO and %zu SUBMIT", n, hellos, count);
    for (size_t k = 0; k < hellos; k++)
        assert_true(seen[k].hello);
    for (size_t k = 0; k < count; k++) {
        const s_request_t *r = &seen[hellos + k];
        assert_false(r->hello);
        assert_string_equal(r->event_id,
                            S_STR(S_ID_PREFIX "%llu", (unsigned long long)(first + k)));
        assert_int_equal(r->status, DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED);
        assert_int_equal(r->log_seq, seq + k);
    }
    return from + n;
}

/* From request `from` on, where resends may come (a short --resend-ms): nothing is
   sent before an answered HELLO, at least `hellos` HELLOs come before it, and each of
   events `first` .. `first` + `count` - 1 is stored once. Returns the index after. */
static size_t
s_expect_stored_once(fixture_t *fx, size_t from, size_t hellos, uint64_t first, size_t count)
{
    s_request_t *seen = harness_autofree(calloc(S_SEEN_MAX, sizeof *seen));
    size_t n = s_seen(&fx->broker, from, seen);
    size_t k = 0, asked = 0;
    for (; k < n && seen[k].hello; k++)
        asked++;
    assert_true(asked >= hellos);
    assert_true(seen[k - 1].answered);
    for (size_t j = 0; j < k; j++)
        assert_true(seen[j].hello);
    size_t stored = 0;
    for (; k < n; k++) {
        if (seen[k].hello)
            continue; /* a HELLO sent again before the refusal came */
        uint64_t number = strtoull(seen[k].event_id + strlen(S_ID_PREFIX), NULL, 10);
        assert_true(number >= first && number < first + count);
        if (seen[k].status == DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED)
            stored++;
    }
    assert_int_equal(stored, count);
    return from + n;
}

/* ============================================================== the cases */

/* The plain case: HELLO refused, the events go, each once; then a flush with nothing
   waiting and a second submit do the same. A --resend-ms far beyond any answer's delay
   makes "once" exact. */
static void
test_agent_goes_on_without_the_store_check(void **state)
{
    fixture_t *fx = *state;
    harness_result_t run =
        s_agent(fx, false, S_LONG_TIMEOUT, S_NO_RESEND, "submit", s_events(fx, 1));
    assert_int_equal(run.status, 0);
    s_expect_summary(&run, S_EVENTS, 0);
    /* Without -v it says nothing of the store check. */
    assert_null(strstr(run.err, "store is not checked"));
    size_t at = s_expect_exact(fx, 0, 1, 1, S_EVENTS, 1);
    s_expect_outbox(fx, 0, S_EVENTS);

    /* Nothing waits, events are kept: it asks, is refused, and ends; -v says why. */
    run = s_agent(fx, true, S_LONG_TIMEOUT, S_NO_RESEND, "flush", NULL);
    assert_int_equal(run.status, 0);
    s_expect_summary(&run, 0, 0);
    assert_non_null(strstr(run.err, S_UNCHECKED));
    at = s_expect_exact(fx, at, 1, 0, 0, 0);

    run = s_agent(fx, true, S_LONG_TIMEOUT, S_NO_RESEND, "submit", s_events(fx, 1 + S_EVENTS));
    assert_int_equal(run.status, 0);
    s_expect_summary(&run, S_EVENTS, 0);
    assert_non_null(strstr(run.err, S_UNCHECKED));
    s_expect_exact(fx, at, 1, 1 + S_EVENTS, S_EVENTS, 1 + S_EVENTS);
    s_expect_outbox(fx, 0, 2 * S_EVENTS);
}

/* A broker silent to HELLO: the agent sends nothing, keeps its events and says the
   broker did not answer; with nothing waiting it stops asking after
   AGENT_SESSION_HELLO_IDLE_MS (5 s), far before --timeout; once a HELLO sent again is
   refused, the events go. */
static void
test_agent_waits_out_a_silent_hello(void **state)
{
    fixture_t *fx = *state;
    s_behave(&fx->broker, UINT32_MAX, false, false);
    harness_result_t run = s_agent(fx, false, "3", "500", "submit", s_events(fx, 1));
    assert_int_equal(run.status, 3);
    s_expect_summary(&run, 0, S_EVENTS);
    assert_non_null(strstr(run.err, S_STR("no answer from the broker at %s", fx->broker.endpoint)));
    assert_non_null(strstr(run.err, S_STR("%d events still waiting in the outbox", S_EVENTS)));
    /* Nothing answered: a broker that uses keys would have dropped a keyless agent so. */
    assert_non_null(strstr(run.err, S_NO_KEY));
    size_t at = s_seen_count(&fx->broker);
    s_request_t *seen = harness_autofree(calloc(S_SEEN_MAX, sizeof *seen));
    assert_int_equal(s_seen(&fx->broker, 0, seen), at);
    assert_true(at >= 1);
    for (size_t k = 0; k < at; k++)
        assert_true(seen[k].hello); /* nothing sent before an answer */
    s_expect_outbox(fx, S_EVENTS, 0);

    /* Silent twice more, then refused: the third HELLO opens the way. */
    s_behave(&fx->broker, 2, false, false);
    run = s_agent(fx, true, S_LONG_TIMEOUT, "500", "flush", NULL);
    assert_int_equal(run.status, 0);
    s_expect_summary(&run, S_EVENTS, 0);
    assert_non_null(strstr(run.err, S_UNCHECKED));
    at = s_expect_stored_once(fx, at, 3, 1, S_EVENTS);
    s_expect_outbox(fx, 0, S_EVENTS);

    /* Nothing waits: a silent broker holds the agent the idle wait, not --timeout. */
    s_behave(&fx->broker, UINT32_MAX, false, false);
    int64_t started = harness_now_ms();
    run = s_agent(fx, false, S_LONG_TIMEOUT, "500", "flush", NULL);
    int64_t took = harness_now_ms() - started;
    assert_int_equal(run.status, 0);
    s_expect_summary(&run, 0, 0);
    if (took >= S_IDLE_BOUND_MS)
        fail_msg("a flush with nothing waiting waited %lld ms for a silent broker",
                 (long long)took);
    size_t n = s_seen(&fx->broker, at, seen);
    assert_true(n >= 1);
    for (size_t k = 0; k < n; k++)
        assert_true(seen[k].hello);
    s_expect_outbox(fx, 0, S_EVENTS);
}

/* A broker slow to refuse HELLO: the first refusal comes only when the agent has sent
   HELLO again, and the second follows it. That second one refuses no event: when the
   broker then stores nothing, the agent says it did not answer, not that it refused a
   send. */
static void
test_agent_takes_a_late_refusal_for_the_hello(void **state)
{
    fixture_t *fx = *state;
    s_behave(&fx->broker, 0, true, true);
    harness_result_t run = s_agent(fx, true, "4", "500", "submit", s_events(fx, 1));
    assert_int_equal(run.status, 3);
    s_expect_summary(&run, 0, S_EVENTS);
    assert_non_null(strstr(run.err, S_STR("no answer from the broker at %s", fx->broker.endpoint)));
    assert_non_null(strstr(run.err, S_UNCHECKED));
    /* The broker answered (the HELLO): the connection was not dropped for want of a key. */
    assert_null(strstr(run.err, S_NO_KEY));
    size_t at = s_seen_count(&fx->broker);
    s_request_t *seen = harness_autofree(calloc(S_SEEN_MAX, sizeof *seen));
    assert_int_equal(s_seen(&fx->broker, 0, seen), at);
    assert_true(at >= 2 + S_EVENTS);
    assert_true(seen[0].hello && seen[1].hello && seen[0].answered && seen[1].answered);
    s_expect_outbox(fx, S_EVENTS, 0);

    /* The broker answers now: everything is stored once. */
    s_behave(&fx->broker, 0, true, false);
    run = s_agent(fx, true, S_LONG_TIMEOUT, "500", "flush", NULL);
    assert_int_equal(run.status, 0);
    s_expect_summary(&run, S_EVENTS, 0);
    s_expect_stored_once(fx, at, 2, 1, S_EVENTS);
    s_expect_outbox(fx, 0, S_EVENTS);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_agent_goes_on_without_the_store_check, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_agent_waits_out_a_silent_hello, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_agent_takes_a_late_refusal_for_the_hello, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests_name("integration.agent_old_broker", tests, NULL, NULL);
}
