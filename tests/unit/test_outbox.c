/*  test_outbox.c: unit tests of clients/agent_outbox, the agent's durable outbox.

    Each test gets a fresh directory from mkdtemp (removed in teardown) with an outbox
    opened in it. The outbox stores bytes without looking inside, so the "envelopes" here
    are short strings. Failures are injected through store_commit_hook.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_outbox.h"
#include "dajia.pb-c.h"
#include "store.h"
#include "test_util.h"

/* LMDB's MDB_MAP_FULL, for the commit hook; only store/ may include lmdb.h. */
#define TEST_MDB_MAP_FULL (-30792)
#define TEST_MAX_SEEN     16

typedef struct {
    char dir[256];
    agent_outbox_t *outbox;
    agent_outbox_batch_t *batch;
} fixture_t;

/* What a walk saw, copied out of the callbacks. */
typedef struct {
    size_t count;
    size_t stop_after; /* 0: never stop */
    uint64_t seq[TEST_MAX_SEEN];
    char id[TEST_MAX_SEEN][64];
    char data[TEST_MAX_SEEN][64];
} seen_t;

typedef struct {
    size_t count;
    uint64_t seq[4], unit_seq[4];
    char id[4][16];
} s_envs_t;

static int
s_unpack_env(uint64_t seq, const char *event_id, const void *data, size_t len, void *arg)
{
    s_envs_t *envs = arg;
    Dajia__Envelope *env = dajia__envelope__unpack(NULL, len, data);
    if (!env || envs->count == 4)
        return -1;
    envs->seq[envs->count] = seq;
    envs->unit_seq[envs->count] = env->unit_seq;
    snprintf(envs->id[envs->count++], sizeof envs->id[0], "%s", event_id);
    dajia__envelope__free_unpacked(env, NULL);
    return 0;
}

/* ------------------------------------------------------------------ fixtures */

static int
s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    if (test_util_dir_make(fx->dir, sizeof fx->dir, "outbox") != 0 ||
        agent_outbox_open(fx->dir, &fx->outbox) != 0 || !(fx->batch = agent_outbox_batch_new())) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    store_commit_hook = NULL;
    agent_outbox_batch_destroy(&fx->batch);
    agent_outbox_destroy(&fx->outbox);
    int rc = test_util_dir_remove(fx->dir);
    free(fx);
    return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ helpers */

/* Adds each id with data "env-<id>" in one batch; returns how many were queued. */
static size_t
s_add(fixture_t *fx, const char *const *ids, size_t n)
{
    char data[64];
    agent_outbox_batch_clear(fx->batch);
    for (size_t i = 0; i < n; i++) {
        snprintf(data, sizeof data, "env-%s", ids[i]);
        assert_ok(agent_outbox_batch_add(fx->batch, ids[i], data, strlen(data)));
    }
    size_t queued = 99;
    assert_ok(agent_outbox_apply(fx->outbox, fx->batch, &queued));
    agent_outbox_batch_clear(fx->batch);
    return queued;
}

static void
s_done(fixture_t *fx, const char *id)
{
    agent_outbox_batch_clear(fx->batch);
    assert_ok(agent_outbox_batch_done(fx->batch, id));
    assert_ok(agent_outbox_apply(fx->outbox, fx->batch, NULL));
    agent_outbox_batch_clear(fx->batch);
}

/* The broker stored `id` as `log_seq` at `at_ms`. */
static void
s_stored(fixture_t *fx, const char *id, uint64_t log_seq, int64_t at_ms)
{
    agent_outbox_batch_clear(fx->batch);
    assert_ok(agent_outbox_batch_stored(fx->batch, id, log_seq, at_ms));
    assert_ok(agent_outbox_apply(fx->outbox, fx->batch, NULL));
    agent_outbox_batch_clear(fx->batch);
}

static uint64_t
s_kept(fixture_t *fx)
{
    uint64_t kept = 99;
    assert_ok(agent_outbox_kept(fx->outbox, &kept));
    return kept;
}

/* Envelope.unit_seq = `seq` on the wire: tag 14 << 3, then the varint. */
static size_t
s_unit_seq_field(uint64_t seq, unsigned char out[11])
{
    size_t n = 0;
    out[n++] = 14 << 3;
    do {
        out[n++] = (unsigned char)((seq & 0x7f) | (seq >= 0x80 ? 0x80 : 0));
        seq >>= 7;
    } while (seq);
    return n;
}

static int
s_see(uint64_t seq, const char *event_id, const void *data, size_t len, void *arg)
{
    seen_t *seen = arg;
    if (seen->count == TEST_MAX_SEEN)
        return -1;
    size_t i = seen->count++;
    seen->seq[i] = seq;
    snprintf(seen->id[i], sizeof seen->id[i], "%s", event_id);
    /* The outbox appends the event's unit_seq (field 14, a varint) = its local seq: the
       data is what was added, then that field. */
    unsigned char field[11];
    size_t flen = s_unit_seq_field(seq, field);
    if (len < flen || memcmp((const char *)data + len - flen, field, flen) != 0) {
        snprintf(seen->data[i], sizeof seen->data[i], "(no unit_seq %llu)",
                 (unsigned long long)seq);
        return seen->stop_after && seen->count == seen->stop_after ? 1 : 0;
    }
    snprintf(seen->data[i], sizeof seen->data[i], "%.*s", (int)(len - flen), (const char *)data);
    return seen->stop_after && seen->count == seen->stop_after ? 1 : 0;
}

static void
s_walk(fixture_t *fx, uint64_t after, seen_t *seen)
{
    size_t stop = seen->stop_after;
    memset(seen, 0, sizeof *seen);
    seen->stop_after = stop;
    assert_ok(agent_outbox_walk(fx->outbox, after, s_see, seen));
}

static uint64_t
s_waiting(fixture_t *fx)
{
    uint64_t waiting = 99;
    assert_ok(agent_outbox_counts(fx->outbox, &waiting, NULL));
    return waiting;
}

static uint64_t
s_rejected(fixture_t *fx)
{
    uint64_t rejected = 99;
    assert_ok(agent_outbox_counts(fx->outbox, NULL, &rejected));
    return rejected;
}

/* A rejection seen by agent_outbox_walk_rejected, copied. */
typedef struct {
    size_t count;
    char event_id[64];
    char source[64];
    char text[128];
    int reason;
    int64_t at_ms;
    agent_original_t kind;
    char original[64];
} rejection_seen_t;

static int
s_see_rejection(const agent_rejection_t *r, void *arg)
{
    rejection_seen_t *seen = arg;
    seen->count++;
    snprintf(seen->event_id, sizeof seen->event_id, "%s", r->event_id);
    snprintf(seen->source, sizeof seen->source, "%s", r->source);
    snprintf(seen->text, sizeof seen->text, "%s", r->text);
    seen->reason = r->reason;
    seen->at_ms = r->at_ms;
    seen->kind = r->original_kind;
    snprintf(seen->original, sizeof seen->original, "%.*s", (int)r->original_len,
             r->original ? (const char *)r->original : "");
    return 0;
}

static int s_hook_calls;
static int s_hook_result;

/* Fails the first commit with s_hook_result, lets later ones through. */
static int
s_fail_first_commit(void)
{
    return s_hook_calls++ == 0 ? s_hook_result : 0;
}

/* ------------------------------------------------------------------ tests */

static void
test_add_then_walk_returns_events_in_submission_order(void **state)
{
    fixture_t *fx = *state;
    const char *ids[] = {"c", "a", "b"};
    assert_int_equal(s_add(fx, ids, 3), 3);
    assert_int_equal(s_waiting(fx), 3);
    seen_t seen = {0};
    s_walk(fx, 0, &seen);
    assert_int_equal(seen.count, 3);
    for (size_t i = 0; i < 3; i++) {
        char data[64];
        snprintf(data, sizeof data, "env-%s", ids[i]);
        assert_string_equal(seen.id[i], ids[i]);
        assert_string_equal(seen.data[i], data);
        if (i > 0)
            assert_true(seen.seq[i] > seen.seq[i - 1]);
    }
}

static void
test_add_same_event_id_twice_queues_it_once(void **state)
{
    fixture_t *fx = *state;
    const char *twice[] = {"x", "y", "x"};
    assert_int_equal(s_add(fx, twice, 3), 2);
    /* A later submission of a waiting event queues nothing either. */
    agent_outbox_batch_clear(fx->batch);
    assert_ok(agent_outbox_batch_add(fx->batch, "x", "other", 5));
    size_t queued = 99;
    assert_ok(agent_outbox_apply(fx->outbox, fx->batch, &queued));
    assert_int_equal(queued, 0);
    assert_int_equal(s_waiting(fx), 2);
    seen_t seen = {0};
    s_walk(fx, 0, &seen);
    assert_int_equal(seen.count, 2);
    assert_string_equal(seen.id[0], "x");
    assert_string_equal(seen.data[0], "env-x"); /* the first one stays */
}

static void
test_walk_after_seq_skips_earlier_and_stops_on_request(void **state)
{
    fixture_t *fx = *state;
    const char *ids[] = {"e1", "e2", "e3", "e4"};
    s_add(fx, ids, 4);
    seen_t all = {0};
    s_walk(fx, 0, &all);
    assert_int_equal(all.count, 4);

    seen_t rest = {0};
    s_walk(fx, all.seq[1], &rest);
    assert_int_equal(rest.count, 2);
    assert_string_equal(rest.id[0], "e3");
    assert_string_equal(rest.id[1], "e4");

    seen_t two = {.stop_after = 2};
    s_walk(fx, 0, &two);
    assert_int_equal(two.count, 2);
    assert_string_equal(two.id[1], "e2");

    seen_t none = {0};
    s_walk(fx, all.seq[3], &none);
    assert_int_equal(none.count, 0);
}

static void
test_done_after_ack_removes_only_that_event(void **state)
{
    fixture_t *fx = *state;
    const char *ids[] = {"a", "b", "c"};
    s_add(fx, ids, 3);
    s_done(fx, "b");
    s_done(fx, "never-queued"); /* an ack for a resend: harmless */
    assert_int_equal(s_waiting(fx), 2);
    seen_t seen = {0};
    s_walk(fx, 0, &seen);
    assert_int_equal(seen.count, 2);
    assert_string_equal(seen.id[0], "a");
    assert_string_equal(seen.id[1], "c");
    assert_int_equal(s_rejected(fx), 0);
}

static void
test_done_event_submitted_again_is_queued_after_the_others(void **state)
{
    fixture_t *fx = *state;
    const char *ids[] = {"a", "b"};
    s_add(fx, ids, 2);
    s_done(fx, "a");
    const char *again[] = {"a"};
    assert_int_equal(s_add(fx, again, 1), 1);
    seen_t seen = {0};
    s_walk(fx, 0, &seen);
    assert_int_equal(seen.count, 2);
    assert_string_equal(seen.id[0], "b");
    assert_string_equal(seen.id[1], "a");
    assert_true(seen.seq[1] > seen.seq[0]);
}

static void
test_reject_after_done_moves_event_to_rejected(void **state)
{
    fixture_t *fx = *state;
    const char *ids[] = {"a", "b"};
    s_add(fx, ids, 2);
    agent_rejection_t r = {
        .event_id = "a",
        .source = "",
        .reason = 6,
        .text = "unit \"zzz\" is not a member",
        .at_ms = 1795939200000LL,
        .original_kind = AGENT_ORIGINAL_ENVELOPE,
        .original = "env-a",
        .original_len = 5,
    };
    agent_outbox_batch_clear(fx->batch);
    assert_ok(agent_outbox_batch_done(fx->batch, "a"));
    assert_ok(agent_outbox_batch_reject(fx->batch, &r));
    assert_ok(agent_outbox_apply(fx->outbox, fx->batch, NULL));

    assert_int_equal(s_waiting(fx), 1);
    assert_int_equal(s_rejected(fx), 1);
    rejection_seen_t seen = {0};
    assert_ok(agent_outbox_walk_rejected(fx->outbox, s_see_rejection, &seen));
    assert_int_equal(seen.count, 1);
    assert_string_equal(seen.event_id, "a");
    assert_string_equal(seen.source, "");
    assert_string_equal(seen.text, r.text);
    assert_int_equal(seen.reason, 6);
    assert_int_equal(seen.at_ms, r.at_ms);
    assert_int_equal(seen.kind, AGENT_ORIGINAL_ENVELOPE);
    assert_string_equal(seen.original, "env-a");
}

static void
test_reject_without_event_id_is_kept_by_source(void **state)
{
    fixture_t *fx = *state;
    agent_rejection_t r = {
        .event_id = "",
        .source = "in.jsonl:3",
        .reason = 1,
        .text = "first",
        .original_kind = AGENT_ORIGINAL_JSON,
        .original = "{bad",
        .original_len = 4,
    };
    agent_outbox_batch_clear(fx->batch);
    assert_ok(agent_outbox_batch_reject(fx->batch, &r));
    r.source = "in.jsonl:9";
    assert_ok(agent_outbox_batch_reject(fx->batch, &r));
    /* The same place again replaces the first record. */
    r.source = "in.jsonl:3";
    r.text = "second";
    assert_ok(agent_outbox_batch_reject(fx->batch, &r));
    assert_ok(agent_outbox_apply(fx->outbox, fx->batch, NULL));
    assert_int_equal(s_rejected(fx), 2);
    assert_int_equal(s_waiting(fx), 0);
}

static void
test_add_of_rejected_event_id_drops_the_old_rejection(void **state)
{
    fixture_t *fx = *state;
    agent_rejection_t r = {.event_id = "fixme", .source = "f:1", .reason = 8, .text = "x"};
    agent_outbox_batch_clear(fx->batch);
    assert_ok(agent_outbox_batch_reject(fx->batch, &r));
    assert_ok(agent_outbox_apply(fx->outbox, fx->batch, NULL));
    assert_int_equal(s_rejected(fx), 1);
    const char *ids[] = {"fixme"};
    assert_int_equal(s_add(fx, ids, 1), 1);
    assert_int_equal(s_rejected(fx), 0);
    assert_int_equal(s_waiting(fx), 1);
}

static void
test_reopen_keeps_waiting_rejected_and_sequence(void **state)
{
    fixture_t *fx = *state;
    const char *ids[] = {"a", "b", "c"};
    s_add(fx, ids, 3);
    s_done(fx, "c");
    agent_rejection_t r = {.event_id = "z", .reason = 5, .text = "gone"};
    agent_outbox_batch_clear(fx->batch);
    assert_ok(agent_outbox_batch_reject(fx->batch, &r));
    assert_ok(agent_outbox_apply(fx->outbox, fx->batch, NULL));
    seen_t before = {0};
    s_walk(fx, 0, &before);

    agent_outbox_destroy(&fx->outbox);
    assert_null(fx->outbox);
    assert_ok(agent_outbox_open(fx->dir, &fx->outbox));

    assert_int_equal(s_waiting(fx), 2);
    assert_int_equal(s_rejected(fx), 1);
    seen_t after = {0};
    s_walk(fx, 0, &after);
    assert_int_equal(after.count, 2);
    assert_memory_equal(&before, &after, sizeof before);
    /* Local seqs never go back, even past events that have left. */
    const char *more[] = {"d"};
    s_add(fx, more, 1);
    seen_t last = {0};
    s_walk(fx, after.seq[1], &last);
    assert_int_equal(last.count, 1);
    assert_true(last.seq[0] > after.seq[1] + 1);
}

/* The unit's order: a packed Envelope comes back with unit_seq set to its local seq, read
   by protobuf, and a later event (past reopening and a settled one) gets a larger one. */
static void
test_unit_seq_is_the_local_seq_and_never_reused(void **state)
{
    fixture_t *fx = *state;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = "e1";
    env.unit = "psb";
    env.occurred_at = 1;
    uint8_t buf[128];
    size_t len = dajia__envelope__pack(&env, buf);
    agent_outbox_batch_clear(fx->batch);
    assert_ok(agent_outbox_batch_add(fx->batch, "e1", buf, len));
    env.event_id = "e2";
    len = dajia__envelope__pack(&env, buf);
    assert_ok(agent_outbox_batch_add(fx->batch, "e2", buf, len));
    assert_ok(agent_outbox_apply(fx->outbox, fx->batch, NULL));
    s_done(fx, "e1");
    agent_outbox_destroy(&fx->outbox);
    assert_ok(agent_outbox_open(fx->dir, &fx->outbox));
    env.event_id = "e3";
    len = dajia__envelope__pack(&env, buf);
    agent_outbox_batch_clear(fx->batch);
    assert_ok(agent_outbox_batch_add(fx->batch, "e3", buf, len));
    assert_ok(agent_outbox_apply(fx->outbox, fx->batch, NULL));
    s_envs_t envs = {0};
    assert_ok(agent_outbox_walk(fx->outbox, 0, s_unpack_env, &envs));
    assert_int_equal(envs.count, 2);
    assert_string_equal(envs.id[0], "e2");
    assert_int_equal(envs.unit_seq[0], envs.seq[0]);
    assert_string_equal(envs.id[1], "e3");
    assert_int_equal(envs.unit_seq[1], envs.seq[1]);
    assert_true(envs.unit_seq[1] > envs.unit_seq[0]);
    assert_true(envs.unit_seq[0] >= 2); /* e1 had a smaller one, and left */
}

static void
test_claim_by_other_unit_returns_wrong_unit(void **state)
{
    fixture_t *fx = *state;
    char owner[32] = "";
    assert_ok(agent_outbox_claim(fx->outbox, "psb", owner, sizeof owner));
    assert_ok(agent_outbox_claim(fx->outbox, "psb", owner, sizeof owner));
    assert_int_equal(agent_outbox_claim(fx->outbox, "msa", owner, sizeof owner),
                     AGENT_OUTBOX_WRONG_UNIT);
    assert_string_equal(owner, "psb");

    agent_outbox_destroy(&fx->outbox);
    assert_ok(agent_outbox_open(fx->dir, &fx->outbox));
    assert_int_equal(agent_outbox_claim(fx->outbox, "ps", NULL, 0), AGENT_OUTBOX_WRONG_UNIT);
    assert_int_equal(agent_outbox_claim(fx->outbox, "", NULL, 0), -EINVAL);
}

static void
test_apply_failing_commit_writes_nothing(void **state)
{
    fixture_t *fx = *state;
    const char *ids[] = {"a", "b"};
    s_add(fx, ids, 2);
    agent_outbox_batch_clear(fx->batch);
    assert_ok(agent_outbox_batch_add(fx->batch, "c", "env-c", 5));
    assert_ok(agent_outbox_batch_done(fx->batch, "a"));
    s_hook_calls = 0;
    s_hook_result = ENOSPC;
    store_commit_hook = s_fail_first_commit;
    size_t queued = 99;
    assert_int_not_equal(agent_outbox_apply(fx->outbox, fx->batch, &queued), 0);
    store_commit_hook = NULL;
    assert_int_equal(queued, 99); /* untouched on failure */
    assert_int_equal(s_waiting(fx), 2);
    seen_t seen = {0};
    s_walk(fx, 0, &seen);
    assert_string_equal(seen.id[0], "a");
    assert_string_equal(seen.id[1], "b");
    /* The same batch goes through once the disk is back. */
    assert_ok(agent_outbox_apply(fx->outbox, fx->batch, &queued));
    assert_int_equal(queued, 1);
    s_walk(fx, 0, &seen);
    assert_int_equal(seen.count, 2);
    assert_string_equal(seen.id[0], "b");
    assert_string_equal(seen.id[1], "c");
}

static void
test_apply_rerun_after_map_full_counts_once(void **state)
{
    fixture_t *fx = *state;
    const char *first[] = {"a"};
    s_add(fx, first, 1);
    /* A map-full commit makes the store grow the map and run the batch again: the
       result must be that of one run (two new events, consecutive seqs). */
    s_hook_calls = 0;
    s_hook_result = TEST_MDB_MAP_FULL;
    store_commit_hook = s_fail_first_commit;
    const char *ids[] = {"b", "c", "a"};
    assert_int_equal(s_add(fx, ids, 3), 2);
    store_commit_hook = NULL;
    assert_true(s_hook_calls >= 2);
    seen_t seen = {0};
    s_walk(fx, 0, &seen);
    assert_int_equal(seen.count, 3);
    assert_int_equal(seen.seq[1], seen.seq[0] + 1);
    assert_int_equal(seen.seq[2], seen.seq[1] + 1);
}

static void
test_batch_with_bad_ids_returns_einval(void **state)
{
    fixture_t *fx = *state;
    char long_id[AGENT_OUTBOX_MAX_ID + 2];
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = 0;
    agent_outbox_batch_clear(fx->batch);
    assert_int_equal(agent_outbox_batch_add(fx->batch, "", "d", 1), -EINVAL);
    assert_int_equal(agent_outbox_batch_add(fx->batch, NULL, "d", 1), -EINVAL);
    assert_int_equal(agent_outbox_batch_add(fx->batch, long_id, "d", 1), -EINVAL);
    assert_int_equal(agent_outbox_batch_done(fx->batch, ""), -EINVAL);
    agent_rejection_t r = {.event_id = "", .source = "", .text = "x"};
    assert_int_equal(agent_outbox_batch_reject(fx->batch, &r), -EINVAL);
    assert_int_equal(agent_outbox_batch_size(fx->batch), 0);
    long_id[AGENT_OUTBOX_MAX_ID] = 0; /* exactly the limit is fine */
    assert_ok(agent_outbox_batch_add(fx->batch, long_id, "d", 1));
    assert_int_equal(agent_outbox_batch_size(fx->batch), 1);
}

static void
test_many_adds_in_one_batch_all_queued(void **state)
{
    fixture_t *fx = *state;
    enum { N = 5000 };
    char id[32], data[256];
    memset(data, 'p', sizeof data);
    agent_outbox_batch_clear(fx->batch);
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "ev-%05d", i);
        assert_ok(agent_outbox_batch_add(fx->batch, id, data, sizeof data));
    }
    size_t queued = 0;
    assert_ok(agent_outbox_apply(fx->outbox, fx->batch, &queued));
    assert_int_equal(queued, N);
    assert_int_equal(s_waiting(fx), N);
    seen_t tail = {0};
    s_walk(fx, N - 1, &tail);
    assert_int_equal(tail.count, 1);
    assert_string_equal(tail.id[0], "ev-04999");
}

/* A rejection under `id` (may be "") from `source`. */
static void
s_reject(fixture_t *fx, const char *id, const char *source)
{
    agent_rejection_t r = {.event_id = id, .source = source, .reason = 8, .text = "x"};
    agent_outbox_batch_clear(fx->batch);
    assert_ok(agent_outbox_batch_reject(fx->batch, &r));
    assert_ok(agent_outbox_apply(fx->outbox, fx->batch, NULL));
    agent_outbox_batch_clear(fx->batch);
}

static void
test_done_drops_a_rejection_of_the_same_event(void **state)
{
    fixture_t *fx = *state;
    const char *ids[] = {"resent"};
    assert_int_equal(s_add(fx, ids, 1), 1);
    /* Refused once (a rejection kept while the same id waits again), then stored. */
    s_reject(fx, "resent", "");
    assert_int_equal(s_rejected(fx), 1);
    s_done(fx, "resent");
    assert_int_equal(s_rejected(fx), 0);
    assert_int_equal(s_waiting(fx), 0);
    /* A refusal by the broker is a done and a reject in one batch: it stays. */
    assert_int_equal(s_add(fx, ids, 1), 1);
    agent_rejection_t r = {.event_id = "resent", .source = "", .reason = 6, .text = "no"};
    agent_outbox_batch_clear(fx->batch);
    assert_ok(agent_outbox_batch_done(fx->batch, "resent"));
    assert_ok(agent_outbox_batch_reject(fx->batch, &r));
    assert_ok(agent_outbox_apply(fx->outbox, fx->batch, NULL));
    assert_int_equal(s_rejected(fx), 1);
}

static void
test_forget_drops_the_rejections_of_one_file(void **state)
{
    fixture_t *fx = *state;
    s_reject(fx, "", "cases.csv:3");
    s_reject(fx, "d-1", "cases.csv:4");
    s_reject(fx, "", "cases.csv.bak:2");
    s_reject(fx, "", "other.json:1");
    s_reject(fx, "by-broker", "");
    assert_int_equal(s_rejected(fx), 5);
    agent_outbox_batch_clear(fx->batch);
    assert_ok(agent_outbox_batch_forget(fx->batch, "cases.csv:"));
    assert_ok(agent_outbox_apply(fx->outbox, fx->batch, NULL));
    assert_int_equal(s_rejected(fx), 3);
    /* The survivors are the other files' and the broker's. */
    rejection_seen_t seen;
    memset(&seen, 0, sizeof seen);
    assert_ok(agent_outbox_walk_rejected(fx->outbox, s_see_rejection, &seen));
    assert_int_equal(seen.count, 3);
    assert_int_equal(agent_outbox_batch_forget(fx->batch, ""), -EINVAL);
}

static void
test_clear_rejected_empties_the_list_only(void **state)
{
    fixture_t *fx = *state;
    const char *ids[] = {"waits"};
    assert_int_equal(s_add(fx, ids, 1), 1);
    s_reject(fx, "", "a.json:1");
    s_reject(fx, "b", "b.json:2");
    uint64_t cleared = 0;
    assert_ok(agent_outbox_clear_rejected(fx->outbox, &cleared));
    assert_int_equal(cleared, 2);
    assert_int_equal(s_rejected(fx), 0);
    assert_int_equal(s_waiting(fx), 1);
    assert_ok(agent_outbox_clear_rejected(fx->outbox, &cleared));
    assert_int_equal(cleared, 0);
}

/* ------------------------------------------------------------------ kept events, restores */

#define S_NOW_MS 1800000000000LL
#define S_DAY    (24 * 3600 * 1000LL)

static void
test_stored_event_stops_waiting_and_is_kept(void **state)
{
    fixture_t *fx = *state;
    const char *ids[] = {"a", "b", "c"};
    s_add(fx, ids, 3);
    s_stored(fx, "b", 7, S_NOW_MS);
    s_stored(fx, "never-queued", 8, S_NOW_MS); /* an ack for a resend: harmless */
    assert_int_equal(s_waiting(fx), 2);
    assert_int_equal(s_kept(fx), 1);
    /* Submitted again: it waits again (the broker answers DUPLICATE), once. */
    const char *again[] = {"b"};
    assert_int_equal(s_add(fx, again, 1), 1);
    assert_int_equal(s_waiting(fx), 3);
}

static void
test_kept_events_are_pruned_oldest_first_by_age_and_count(void **state)
{
    fixture_t *fx = *state;
    const char *ids[] = {"a", "b", "c", "d", "e"};
    s_add(fx, ids, 5);
    agent_outbox_set_retention(fx->outbox, 30 * S_DAY, 3);
    s_stored(fx, "a", 1, S_NOW_MS - 40 * S_DAY);
    assert_int_equal(s_kept(fx), 1); /* the newest acknowledgement sets the time */
    s_stored(fx, "b", 2, S_NOW_MS - 10 * S_DAY);
    assert_int_equal(s_kept(fx), 2);
    s_stored(fx, "c", 3, S_NOW_MS); /* "a" is 40 days old now: pruned */
    assert_int_equal(s_kept(fx), 2);
    s_stored(fx, "d", 4, S_NOW_MS);
    s_stored(fx, "e", 5, S_NOW_MS); /* four kept, three allowed: "b" goes */
    assert_int_equal(s_kept(fx), 3);
    agent_outbox_store_check_t check;
    assert_ok(agent_outbox_check_store(fx->outbox, "store-1", 5, &check));
    assert_ok(agent_outbox_check_store(fx->outbox, "store-2", 0, &check));
    assert_true(check.changed);
    assert_int_equal(check.requeued, 3);
    seen_t seen = {0};
    s_walk(fx, 0, &seen);
    assert_int_equal(seen.count, 3);
    assert_string_equal(seen.id[0], "c");
    assert_string_equal(seen.id[2], "e");
}

static void
test_same_store_keeps_the_kept_events_kept(void **state)
{
    fixture_t *fx = *state;
    const char *ids[] = {"a", "b"};
    s_add(fx, ids, 2);
    s_stored(fx, "a", 10, S_NOW_MS);
    s_stored(fx, "b", 11, S_NOW_MS);
    agent_outbox_store_check_t check;
    assert_ok(agent_outbox_check_store(fx->outbox, "store-1", 11, &check));
    assert_true(check.first);
    assert_false(check.changed);
    assert_ok(agent_outbox_check_store(fx->outbox, "store-1", 20, &check));
    assert_false(check.first);
    assert_false(check.changed);
    /* A broker that gives no identity (older) is judged by its log only. */
    assert_ok(agent_outbox_check_store(fx->outbox, "", 11, &check));
    assert_false(check.changed);
    assert_int_equal(s_waiting(fx), 0);
    assert_int_equal(s_kept(fx), 2);
}

static void
test_restored_store_puts_kept_events_back_in_their_order(void **state)
{
    fixture_t *fx = *state;
    const char *ids[] = {"a", "b", "c", "d"};
    s_add(fx, ids, 4);
    agent_outbox_store_check_t check;
    assert_ok(agent_outbox_check_store(fx->outbox, "store-1", 0, &check));
    s_stored(fx, "c", 3, S_NOW_MS);
    s_stored(fx, "a", 1, S_NOW_MS);
    s_stored(fx, "b", 2, S_NOW_MS);
    const char *later[] = {"e", "b"}; /* "b" submitted again: waits once */
    assert_int_equal(s_add(fx, later, 2), 2);
    assert_ok(agent_outbox_check_store(fx->outbox, "store-2", 1, &check));
    assert_true(check.changed);
    assert_false(check.first);
    assert_int_equal(check.requeued, 2); /* a and c; b waits already */
    assert_int_equal(s_kept(fx), 0);
    seen_t seen = {0};
    s_walk(fx, 0, &seen);
    assert_int_equal(seen.count, 5);
    const char *order[] = {"a", "c", "d", "e", "b"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(seen.id[i], order[i]);
    assert_int_equal(seen.seq[0], 1); /* the same local seq, so the same unit_seq */
    assert_string_equal(seen.data[0], "env-a");
    assert_int_equal(seen.seq[1], 3);
    /* Stored again by the new store: kept again; the same store later changes nothing. */
    s_stored(fx, "a", 2, S_NOW_MS);
    assert_ok(agent_outbox_check_store(fx->outbox, "store-2", 2, &check));
    assert_false(check.changed);
    assert_int_equal(s_kept(fx), 1);
}

static void
test_store_behind_what_it_acknowledged_puts_kept_events_back(void **state)
{
    fixture_t *fx = *state;
    const char *ids[] = {"a", "b"};
    s_add(fx, ids, 2);
    agent_outbox_store_check_t check;
    assert_ok(agent_outbox_check_store(fx->outbox, "store-1", 0, &check));
    s_stored(fx, "a", 41, S_NOW_MS);
    s_stored(fx, "b", 42, S_NOW_MS);
    /* The same identity, but its log ends before 42: put back from a copy by hand. */
    assert_ok(agent_outbox_check_store(fx->outbox, "store-1", 41, &check));
    assert_true(check.changed);
    assert_int_equal(check.requeued, 2);
    assert_int_equal(s_waiting(fx), 2);
    assert_int_equal(agent_outbox_check_store(fx->outbox, NULL, 0, &check), -EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
        T(test_add_then_walk_returns_events_in_submission_order),
        T(test_add_same_event_id_twice_queues_it_once),
        T(test_walk_after_seq_skips_earlier_and_stops_on_request),
        T(test_done_after_ack_removes_only_that_event),
        T(test_done_event_submitted_again_is_queued_after_the_others),
        T(test_reject_after_done_moves_event_to_rejected),
        T(test_reject_without_event_id_is_kept_by_source),
        T(test_add_of_rejected_event_id_drops_the_old_rejection),
        T(test_reopen_keeps_waiting_rejected_and_sequence),
        T(test_unit_seq_is_the_local_seq_and_never_reused),
        T(test_claim_by_other_unit_returns_wrong_unit),
        T(test_apply_failing_commit_writes_nothing),
        T(test_apply_rerun_after_map_full_counts_once),
        T(test_batch_with_bad_ids_returns_einval),
        T(test_many_adds_in_one_batch_all_queued),
        T(test_done_drops_a_rejection_of_the_same_event),
        T(test_forget_drops_the_rejections_of_one_file),
        T(test_clear_rejected_empties_the_list_only),
        T(test_stored_event_stops_waiting_and_is_kept),
        T(test_kept_events_are_pruned_oldest_first_by_age_and_count),
        T(test_same_store_keeps_the_kept_events_kept),
        T(test_restored_store_puts_kept_events_back_in_their_order),
        T(test_store_behind_what_it_acknowledged_puts_kept_events_back),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
