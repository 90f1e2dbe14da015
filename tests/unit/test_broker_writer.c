/*  Unit tests for broker_writer: the api side of group commit (fill, take, give) against
    the real writer thread and a store. Events come back in the order they were filled,
    each once, with consecutive seqs; the room keeps at most two batches' worth of events
    unanswered and the writer's socket wakes a poller when it comes back; a stop commits
    what is open and ends take() with NULL; a pool of judges refuses what it must and the
    refused take no seq. Run under TSan (make test-tsan) it checks the hand-overs between
    the api thread and the writer. No sleeps: take(true), or a poll with a timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <czmq.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_batch.h"
#include "broker_dedup.h"
#include "broker_judge.h"
#include "broker_writer.h"
#include "dajia.pb-c.h"
#include "dajia_tables.h"
#include "store.h"
#include "test_util.h"

#define TEST_UNIT      "psb"
#define TEST_POLL_MS   5000 /* "becomes readable": a generous bound, never waited out */
#define TEST_MANY      20000
#define TEST_CHUNK_MAX 32
#define TEST_ID_MAX    32

typedef struct {
    char dir[TEST_UTIL_DIR_MAX];
    store_t *store;
    broker_writer_t *writer;
    /* What take() gave back, in take order: */
    char (*ids)[TEST_ID_MAX];
    broker_item_status_t *status;
    uint64_t *seq;
    size_t seen, seen_cap;
    size_t batches;
    broker_batch_t *kept[2]; /* taken and not given back yet (s_take_kept) */
    bool deferred;           /* s_fill adds events for the judges */
} fixture_t;

/* A gate the judge may be made to wait at: the test holds the writer inside a commit. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool open;
} s_gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, true};

static void
s_gate_set(bool open)
{
    pthread_mutex_lock(&s_gate.lock);
    s_gate.open = open;
    pthread_cond_broadcast(&s_gate.cond);
    pthread_mutex_unlock(&s_gate.lock);
}

static int
setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    assert_ok(test_util_store_make(fx->dir, sizeof fx->dir, "writer", &fx->store));
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *fx = *state;
    s_gate_set(true);
    /* After a failure, what the test kept goes back first: the writer may need it to
       commit what is open before it ends. */
    for (size_t i = 0; i < 2; i++)
        if (fx->kept[i])
            broker_writer_give(fx->writer, fx->kept[i]);
    broker_writer_destroy(&fx->writer);
    int rc = test_util_store_remove(&fx->store, fx->dir);
    free(fx->ids);
    free(fx->status);
    free(fx->seq);
    free(fx);
    return rc == 0 ? 0 : -1;
}

/* Starts the writer after `last_seq` with a fresh index (or `dedup`, when given). */
static void
s_start(fixture_t *fx, uint64_t last_seq, size_t batch_max, broker_dedup_t *dedup,
        broker_judge_t **judge)
{
    if (!dedup)
        dedup = broker_dedup_new(0);
    assert_non_null(dedup);
    assert_ok(
        broker_writer_start(fx->store, last_seq, batch_max, &dedup, NULL, judge, &fx->writer));
    assert_null(dedup);
    assert_non_null(fx->writer);
}

/* Adds the event `unit`/`event_id` to `batch`: its body a packed Envelope, its key set
   (judged already) or, `deferred`, left for the judges. */
static void
s_add(broker_batch_t *batch, const char *unit, const char *event_id, bool deferred)
{
    broker_item_t *item = broker_batch_next_item(batch);
    assert_non_null(item);
    size_t ul = strlen(unit), il = strlen(event_id);
    if (!deferred) {
        memcpy(item->key, unit, ul + 1);
        memcpy(item->key + ul + 1, event_id, il);
        item->unit_len = (uint16_t)ul;
        item->key_len = (uint16_t)(ul + 1 + il);
    }
    item->deferred = deferred;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.unit = (char *)unit;
    env.event_id = (char *)event_id;
    env.reporter = "test_broker_writer";
    size_t len = dajia__envelope__get_packed_size(&env);
    zmq_msg_close(&item->body);
    assert_int_equal(zmq_msg_init_size(&item->body, len), 0);
    dajia__envelope__pack(&env, zmq_msg_data(&item->body));
    zmq_msg_close(&item->routing);
    assert_int_equal(zmq_msg_init_size(&item->routing, 5), 0); /* as a ROUTER's */
    memcpy(zmq_msg_data(&item->routing), "\0peer", 5);
    broker_batch_commit_item(batch);
}

static void
s_id(char *id, const char *prefix, size_t n)
{
    snprintf(id, TEST_ID_MAX, "%s-%zu", prefix, n);
}

static void
s_seen(fixture_t *fx, broker_batch_t *batch, bool keep);

/* Fills events prefix-first .. prefix-(first+count-1) in rounds of at most `chunk`,
   never above the room: when there is none, takes a batch (waiting) and gives it back
   with `may_take`, else fails. */
static void
s_fill_as(fixture_t *fx, const char *prefix, size_t first, size_t count, size_t chunk,
          bool may_take)
{
    char id[TEST_ID_MAX];
    size_t n = first;
    while (n < first + count) {
        size_t room = 0;
        broker_batch_t *open = broker_writer_fill_begin(fx->writer, &room);
        assert_non_null(open);
        size_t add = room < chunk ? room : chunk;
        if (add > first + count - n)
            add = first + count - n;
        for (size_t i = 0; i < add; i++, n++) {
            s_id(id, prefix, n);
            s_add(open, TEST_UNIT, id, fx->deferred);
        }
        broker_writer_fill_end(fx->writer);
        if (room == 0 && may_take)
            s_seen(fx, broker_writer_take(fx->writer, true), false);
        else
            assert_int_not_equal(add, 0);
    }
}

/* s_fill_as, failing when the room runs out. */
static void
s_fill(fixture_t *fx, const char *prefix, size_t first, size_t count, size_t chunk)
{
    s_fill_as(fx, prefix, first, count, chunk, false);
}

/* The event id of `item`: from its key, or from its body when it has none (refused by
   the judges); "?" when neither holds one. */
static void
s_item_id(const broker_item_t *item, char *id)
{
    size_t len = 0;
    const char *key_id = item->key_len > 0 ? broker_item_event_id(item, &len) : NULL;
    if (key_id && len < TEST_ID_MAX) {
        memcpy(id, key_id, len);
        id[len] = '\0';
        return;
    }
    Dajia__Envelope *env = dajia__envelope__unpack(NULL, zmq_msg_size((zmq_msg_t *)&item->body),
                                                   zmq_msg_data((zmq_msg_t *)&item->body));
    snprintf(id, TEST_ID_MAX, "%s", env && !key_id ? env->event_id : "?");
    dajia__envelope__free_unpacked(env, NULL);
}

/* Notes what `batch` came back with and gives it back unless `keep`, then checks it:
   a failed check leaves no batch away from the writer but the kept ones. */
static void
s_seen(fixture_t *fx, broker_batch_t *batch, bool keep)
{
    assert_non_null(batch);
    int rc = batch->rc;
    size_t count = batch->count, deferred = 0;
    uint64_t last = 0, batch_last = batch->last_seq;
    fx->batches++;
    if (fx->seen + count > fx->seen_cap) {
        fx->seen_cap = (fx->seen + count) * 2;
        fx->ids = realloc(fx->ids, fx->seen_cap * sizeof *fx->ids);
        fx->status = realloc(fx->status, fx->seen_cap * sizeof *fx->status);
        fx->seq = realloc(fx->seq, fx->seen_cap * sizeof *fx->seq);
        if (!fx->ids || !fx->status || !fx->seq)
            abort();
    }
    for (size_t i = 0; i < count; i++) {
        const broker_item_t *item = &batch->items[i];
        deferred += item->deferred;
        s_item_id(item, fx->ids[fx->seen]);
        fx->status[fx->seen] = item->status;
        fx->seq[fx->seen] = item->log_seq;
        if (item->status == BROKER_ITEM_ACCEPTED)
            last = item->log_seq;
        fx->seen++;
    }
    if (!keep)
        broker_writer_give(fx->writer, batch);
    assert_int_equal(rc, 0);
    assert_true(count > 0);
    assert_int_equal(deferred, 0);
    if (last)
        assert_int_equal(batch_last, last);
}

/* Takes batches, waiting, until `count` more events came back (each given back). */
static void
s_take_events(fixture_t *fx, size_t count)
{
    size_t until = fx->seen + count;
    while (fx->seen < until)
        s_seen(fx, broker_writer_take(fx->writer, true), false);
    assert_int_equal(fx->seen, until);
}

/* The events seen from `from` on are prefix-first.. with `status` and, ACCEPTED or
   DUPLICATE, seqs from `seq` on. */
static void
s_check(fixture_t *fx, size_t from, size_t count, const char *prefix, size_t first,
        broker_item_status_t status, uint64_t seq)
{
    char id[TEST_ID_MAX];
    assert_true(fx->seen >= from + count);
    for (size_t i = 0; i < count; i++) {
        s_id(id, prefix, first + i);
        assert_string_equal(fx->ids[from + i], id);
        assert_int_equal(fx->status[from + i], status);
        assert_int_equal(fx->seq[from + i], seq + i);
    }
}

/* The log holds prefix-first.. at seqs from `seq` on. */
static void
s_check_log(fixture_t *fx, uint64_t seq, size_t count, const char *prefix, size_t first)
{
    store_txn_t *txn = NULL;
    assert_ok(store_read_begin(fx->store, &txn));
    char id[TEST_ID_MAX];
    for (size_t i = 0; i < count; i++) {
        unsigned char key[8];
        store_u64_to_key(seq + i, key);
        const void *val = NULL;
        size_t vlen = 0;
        assert_ok(store_get(txn, DAJIA_TABLE_LOG, key, 8, &val, &vlen));
        Dajia__LogRecord *rec = dajia__log_record__unpack(NULL, vlen, val);
        assert_non_null(rec);
        assert_int_equal(rec->log_seq, seq + i);
        Dajia__Envelope *env = dajia__envelope__unpack(NULL, rec->envelope.len, rec->envelope.data);
        assert_non_null(env);
        s_id(id, prefix, first + i);
        assert_string_equal(env->unit, TEST_UNIT);
        assert_string_equal(env->event_id, id);
        dajia__envelope__free_unpacked(env, NULL);
        dajia__log_record__free_unpacked(rec, NULL);
    }
    store_txn_end(&txn);
}

static uint64_t
s_last_seq(fixture_t *fx)
{
    uint64_t last = 0;
    assert_ok(broker_log_last_seq(fx->store, &last));
    return last;
}

/* Whether the writer's socket becomes readable within `timeout_ms`. */
static bool
s_readable(fixture_t *fx, long timeout_ms)
{
    zmq_pollitem_t item = {zsock_resolve(broker_writer_sock(fx->writer)), 0, ZMQ_POLLIN, 0};
    int rc;
    do
        rc = zmq_poll(&item, 1, timeout_ms);
    while (rc < 0 && zmq_errno() == EINTR);
    assert_true(rc >= 0);
    return (item.revents & ZMQ_POLLIN) != 0;
}

/* ================================================================ order and seqs */

static void
test_events_come_back_in_order_with_consecutive_seqs(void **state)
{
    fixture_t *fx = *state;
    s_start(fx, 0, 16, NULL, NULL);
    /* 40 events in rounds of 3: batches of whatever the writer finds open. */
    s_fill_as(fx, "e", 0, 40, 3, true);
    s_take_events(fx, 40 - fx->seen);
    s_check(fx, 0, 40, "e", 0, BROKER_ITEM_ACCEPTED, 1);
    assert_int_equal(s_last_seq(fx), 40);
    s_check_log(fx, 1, 40, "e", 0);

    /* The same keys again, with new ones between: duplicates of the first seqs. */
    s_fill(fx, "e", 10, 5, 2);
    s_fill(fx, "f", 0, 3, 3);
    s_fill(fx, "e", 0, 2, 1);
    s_take_events(fx, 10);
    s_check(fx, 40, 5, "e", 10, BROKER_ITEM_DUPLICATE, 11);
    s_check(fx, 45, 3, "f", 0, BROKER_ITEM_ACCEPTED, 41);
    s_check(fx, 48, 2, "e", 0, BROKER_ITEM_DUPLICATE, 1);
    assert_int_equal(s_last_seq(fx), 43);
    s_check_log(fx, 41, 3, "f", 0);
    broker_writer_destroy(&fx->writer);
    assert_null(fx->writer);

    /* A writer started again on the log, with its index rebuilt, goes on after it. */
    broker_dedup_t *dedup = NULL;
    assert_ok(broker_dedup_rebuild(fx->store, &dedup));
    s_start(fx, s_last_seq(fx), 16, dedup, NULL);
    s_fill(fx, "f", 0, 4, 4); /* f-0..2 known, f-3 new */
    s_take_events(fx, 4);
    s_check(fx, 50, 3, "f", 0, BROKER_ITEM_DUPLICATE, 41);
    s_check(fx, 53, 1, "f", 3, BROKER_ITEM_ACCEPTED, 44);
    s_check_log(fx, 44, 1, "f", 3);
}

/* Starting after a last_seq of 1000 (a log whose end the broker read) numbers from 1001. */
static void
test_seqs_follow_the_last_seq_given(void **state)
{
    fixture_t *fx = *state;
    s_start(fx, 1000, 8, NULL, NULL);
    s_fill_as(fx, "e", 0, 12, 5, true);
    s_take_events(fx, 12 - fx->seen);
    s_check(fx, 0, 12, "e", 0, BROKER_ITEM_ACCEPTED, 1001);
    assert_int_equal(s_last_seq(fx), 1012);
    s_check_log(fx, 1001, 12, "e", 0);
}

/* ================================================================ room */

/* Takes the next batch (waiting) and keeps it: the api thread is "answering" it. */
static broker_batch_t *
s_take_kept(fixture_t *fx, size_t count)
{
    broker_batch_t *batch = broker_writer_take(fx->writer, true);
    assert_non_null(batch);
    size_t i = fx->kept[0] ? 1 : 0;
    assert_null(fx->kept[i]);
    fx->kept[i] = batch;
    assert_int_equal(batch->count, count);
    s_seen(fx, batch, true);
    return batch;
}

/* Gives back a batch from s_take_kept: answered. */
static void
s_give_kept(fixture_t *fx, broker_batch_t *batch)
{
    size_t i = fx->kept[0] == batch ? 0 : 1;
    assert_ptr_equal(fx->kept[i], batch);
    fx->kept[i] = NULL;
    broker_writer_give(fx->writer, batch);
}

static void
test_room_holds_two_batches_unanswered_at_most(void **state)
{
    fixture_t *fx = *state;
    s_start(fx, 0, 4, NULL, NULL);
    assert_int_equal(broker_writer_room(fx->writer), 4);

    /* A and B, two events each, taken and kept: no empty batch is left to the writer. */
    s_fill(fx, "e", 0, 2, 2);
    broker_batch_t *a = s_take_kept(fx, 2);
    s_fill(fx, "e", 2, 2, 2);
    broker_batch_t *b = s_take_kept(fx, 2);
    assert_int_equal(broker_writer_room(fx->writer), 4); /* 4 held, open empty */

    /* C fills the open batch: no room, and the writer cannot take it yet. */
    s_fill(fx, "e", 4, 4, 4);
    assert_int_equal(broker_writer_room(fx->writer), 0);
    assert_false(s_readable(fx, 0));

    /* A answered: the writer takes C, and says so on its socket. */
    s_give_kept(fx, a);
    assert_true(s_readable(fx, TEST_POLL_MS));
    assert_int_equal(broker_writer_room(fx->writer), 2); /* 2 + 4 held */

    /* D: two events, and the open batch, half full, has no room (8 held). */
    s_fill(fx, "e", 8, 2, 4);
    assert_int_equal(broker_writer_room(fx->writer), 0);
    broker_batch_t *c = s_take_kept(fx, 4); /* past the "room" token */
    assert_int_equal(broker_writer_room(fx->writer), 0);
    assert_false(s_readable(fx, 0));

    /* B answered: the writer takes D, and wakes the poller again. */
    s_give_kept(fx, b);
    assert_true(s_readable(fx, TEST_POLL_MS));
    assert_int_equal(broker_writer_room(fx->writer), 2); /* 4 + 2 held */
    s_give_kept(fx, c);
    assert_int_equal(broker_writer_room(fx->writer), 4); /* 2 held */
    broker_batch_t *d = s_take_kept(fx, 2);
    s_give_kept(fx, d);
    assert_int_equal(broker_writer_room(fx->writer), 4);

    /* Two full batches unanswered: no room though the open batch is empty. */
    s_fill(fx, "e", 10, 4, 4);
    broker_batch_t *e = s_take_kept(fx, 4);
    s_fill(fx, "e", 14, 4, 4);
    broker_batch_t *f = s_take_kept(fx, 4);
    assert_int_equal(broker_writer_room(fx->writer), 0);
    s_give_kept(fx, e);
    assert_int_equal(broker_writer_room(fx->writer), 4);
    s_give_kept(fx, f);
    assert_int_equal(broker_writer_room(fx->writer), 4);

    s_check(fx, 0, 18, "e", 0, BROKER_ITEM_ACCEPTED, 1);
    assert_int_equal(fx->batches, 6);
    s_check_log(fx, 1, 18, "e", 0);
}

/* When room() says 0 because the open batch is full, the writer's socket becomes
   readable: the writer took the batch (and says so), or is done with it already. */
static void
test_no_room_then_the_socket_wakes(void **state)
{
    fixture_t *fx = *state;
    s_start(fx, 0, 4, NULL, NULL);
    for (size_t round = 0; round < 50; round++) {
        s_fill(fx, "e", round * 4, 4, 4);
        size_t room = broker_writer_room(fx->writer);
        assert_true(room == 0 || room == 4); /* taken already, or not yet */
        assert_true(s_readable(fx, TEST_POLL_MS));
        assert_int_equal(broker_writer_room(fx->writer), 4);
        s_take_events(fx, 4);
    }
    s_check(fx, 0, 200, "e", 0, BROKER_ITEM_ACCEPTED, 1);
}

/* ================================================================ stop and destroy */

static void
test_stop_commits_what_is_open_then_take_ends(void **state)
{
    fixture_t *fx = *state;
    s_start(fx, 0, 32, NULL, NULL);
    s_fill(fx, "e", 0, 20, 5);
    broker_writer_stop(fx->writer);
    assert_int_equal(broker_writer_room(fx->writer), 0);
    broker_batch_t *batch;
    while ((batch = broker_writer_take(fx->writer, true)) != NULL)
        s_seen(fx, batch, false);
    assert_int_equal(fx->seen, 20);
    s_check(fx, 0, 20, "e", 0, BROKER_ITEM_ACCEPTED, 1);
    assert_null(broker_writer_take(fx->writer, true));
    assert_null(broker_writer_take(fx->writer, false));
    broker_writer_destroy(&fx->writer);
    assert_null(fx->writer);
    s_check_log(fx, 1, 20, "e", 0);
}

/* A poller after the stop takes without waiting; the end it reads that way is the end
   still: a take() that waits returns NULL at once, and destroy() does not wait for more. */
static void
test_stop_then_take_without_waiting(void **state)
{
    fixture_t *fx = *state;
    s_start(fx, 0, 8, NULL, NULL);
    s_fill(fx, "e", 0, 6, 6);
    broker_writer_stop(fx->writer);
    s_take_events(fx, 6);
    s_check(fx, 0, 6, "e", 0, BROKER_ITEM_ACCEPTED, 1);
    assert_true(s_readable(fx, TEST_POLL_MS)); /* the end */
    assert_null(broker_writer_take(fx->writer, false));
    assert_null(broker_writer_take(fx->writer, true));
    assert_null(broker_writer_take(fx->writer, false));
    broker_writer_destroy(&fx->writer);
    assert_int_equal(s_last_seq(fx), 6);
}

/* destroy() alone commits what is open and frees the batches nobody took. */
static void
test_destroy_with_batches_never_taken(void **state)
{
    fixture_t *fx = *state;
    s_start(fx, 0, 16, NULL, NULL);
    s_fill(fx, "e", 0, 12, 3);
    broker_writer_destroy(&fx->writer);
    assert_null(fx->writer);
    assert_int_equal(s_last_seq(fx), 12);
    s_check_log(fx, 1, 12, "e", 0);

    /* One batch taken and given back, one done and never taken, one open. */
    s_start(fx, 12, 4, NULL, NULL);
    s_fill(fx, "f", 0, 4, 4);
    s_take_events(fx, 4);
    s_fill(fx, "f", 4, 4, 4);
    assert_true(s_readable(fx, TEST_POLL_MS));
    s_fill(fx, "f", 8, 2, 2);
    broker_writer_destroy(&fx->writer);
    assert_int_equal(s_last_seq(fx), 22);
    s_check_log(fx, 13, 10, "f", 0);

    /* Nothing at all, and NULL. */
    s_start(fx, 22, 4, NULL, NULL);
    broker_writer_destroy(&fx->writer);
    assert_null(fx->writer);
    broker_writer_destroy(&fx->writer);
    broker_writer_destroy(NULL);
    assert_int_equal(s_last_seq(fx), 22);
}

/* ================================================================ concurrency */

static void
test_many_events_in_chunks_of_any_size(void **state)
{
    fixture_t *fx = *state;
    s_start(fx, 0, 64, NULL, NULL);
    char id[TEST_ID_MAX];
    size_t n = 0, round = 0, no_room = 0;
    while (n < TEST_MANY) {
        broker_batch_t *batch;
        while ((batch = broker_writer_take(fx->writer, false)) != NULL)
            s_seen(fx, batch, false);
        size_t room = 0;
        broker_batch_t *open = broker_writer_fill_begin(fx->writer, &room);
        size_t want = (round++ * 7919) % TEST_CHUNK_MAX + 1;
        size_t add = want < room ? want : room;
        if (add > TEST_MANY - n)
            add = TEST_MANY - n;
        for (size_t i = 0; i < add; i++, n++) {
            s_id(id, "e", n);
            s_add(open, TEST_UNIT, id, false);
        }
        broker_writer_fill_end(fx->writer);
        if (room == 0) {
            no_room++;
            s_seen(fx, broker_writer_take(fx->writer, true), false);
        }
    }
    broker_writer_stop(fx->writer);
    broker_batch_t *batch;
    while ((batch = broker_writer_take(fx->writer, true)) != NULL)
        s_seen(fx, batch, false);
    assert_int_equal(fx->seen, TEST_MANY);
    s_check(fx, 0, TEST_MANY, "e", 0, BROKER_ITEM_ACCEPTED, 1);
    assert_int_equal(s_last_seq(fx), TEST_MANY);
    print_message("%zu events in %zu batches; no room %zu times\n", fx->seen, fx->batches, no_room);
}

/* ================================================================ judges */

/* Refuses an event whose id starts with "bad"; keys the others by unit and id. */
static int
s_judge(broker_item_t *item, int64_t now_ms, dajia_arena_t *arena, void *arg)
{
    (void)now_ms;
    (void)arena;
    (void)arg;
    Dajia__Envelope *env =
        dajia__envelope__unpack(NULL, zmq_msg_size(&item->body), zmq_msg_data(&item->body));
    if (!env)
        return -1;
    int rc = -1;
    size_t ul = strlen(env->unit), il = strlen(env->event_id);
    if (strncmp(env->event_id, "bad", 3) != 0 && ul + il + 1 <= BROKER_KEY_MAX) {
        memcpy(item->key, env->unit, ul + 1);
        memcpy(item->key + ul + 1, env->event_id, il);
        item->unit_len = (uint16_t)ul;
        item->key_len = (uint16_t)(ul + 1 + il);
        rc = 0;
    }
    dajia__envelope__free_unpacked(env, NULL);
    return rc;
}

static void
test_judges_refuse_and_the_refused_take_no_seq(void **state)
{
    fixture_t *fx = *state;
    broker_judge_t *judge = NULL;
    assert_ok(broker_judge_new(3, s_judge, NULL, 4096, &judge));
    s_start(fx, 0, 64, NULL, &judge);
    assert_null(judge);

    /* 60 events, every fourth "bad", every fifth judged already (as the api thread does
       without deferral), the last three again (deferred): duplicates. */
    const size_t count = 60;
    size_t n = 0;
    while (n < count + 3) {
        size_t room = 0;
        broker_batch_t *open = broker_writer_fill_begin(fx->writer, &room);
        for (size_t i = 0; i < room && i < 7 && n < count + 3; i++, n++) {
            char id[TEST_ID_MAX];
            size_t k = n < count ? n : n - 3;
            s_id(id, k % 4 == 3 ? "bad" : "ok", k);
            s_add(open, TEST_UNIT, id, n < count && k % 5 == 0 && k % 4 != 3 ? false : true);
        }
        broker_writer_fill_end(fx->writer);
    }
    s_take_events(fx, count + 3);
    uint64_t seq = 1;
    char id[TEST_ID_MAX];
    for (size_t k = 0; k < count; k++) {
        s_id(id, k % 4 == 3 ? "bad" : "ok", k);
        assert_string_equal(fx->ids[k], id);
        if (k % 4 == 3) {
            assert_int_equal(fx->status[k], BROKER_ITEM_REJECTED);
            assert_int_equal(fx->seq[k], 0);
        } else {
            assert_int_equal(fx->status[k], BROKER_ITEM_ACCEPTED);
            assert_int_equal(fx->seq[k], seq++);
        }
    }
    assert_int_equal(s_last_seq(fx), count - count / 4);
    /* ok-57, ok-58 again: duplicates of their seqs; bad-59 refused again. */
    assert_string_equal(fx->ids[count], "ok-57");
    assert_int_equal(fx->status[count], BROKER_ITEM_DUPLICATE);
    assert_int_equal(fx->seq[count], fx->seq[57]);
    assert_int_equal(fx->status[count + 1], BROKER_ITEM_DUPLICATE);
    assert_int_equal(fx->seq[count + 1], fx->seq[58]);
    assert_int_equal(fx->status[count + 2], BROKER_ITEM_REJECTED);
}

/* The judge of s_judge, waiting at the gate first. */
static int
s_judge_gated(broker_item_t *item, int64_t now_ms, dajia_arena_t *arena, void *arg)
{
    pthread_mutex_lock(&s_gate.lock);
    while (!s_gate.open)
        pthread_cond_wait(&s_gate.cond, &s_gate.lock);
    pthread_mutex_unlock(&s_gate.lock);
    return s_judge(item, now_ms, arena, arg);
}

/* The writer takes the full open batch while no batch can be done (it is held judging
   it): what wakes the poller is the token saying there is room again. */
static void
test_no_room_then_a_token_wakes_the_poller(void **state)
{
    fixture_t *fx = *state;
    broker_judge_t *judge = NULL;
    assert_ok(broker_judge_new(1, s_judge_gated, NULL, 4096, &judge));
    s_start(fx, 0, 4, NULL, &judge);
    /* A and B, judged already, taken and kept: no empty batch is left to the writer. */
    s_fill(fx, "e", 0, 2, 2);
    broker_batch_t *a = s_take_kept(fx, 2);
    s_fill(fx, "e", 2, 2, 2);
    broker_batch_t *b = s_take_kept(fx, 2);
    /* C, for the judges, fills the open batch: no room. */
    s_gate_set(false);
    fx->deferred = true;
    s_fill(fx, "e", 4, 4, 4);
    assert_int_equal(broker_writer_room(fx->writer), 0);
    assert_false(s_readable(fx, 0));

    /* A answered: the writer takes C and stays at the gate. */
    s_give_kept(fx, a);
    assert_true(s_readable(fx, TEST_POLL_MS));
    assert_null(broker_writer_take(fx->writer, false)); /* the token, swallowed */
    assert_false(s_readable(fx, 0));
    assert_int_equal(broker_writer_room(fx->writer), 2); /* 2 + 4 held */

    s_gate_set(true);
    s_take_events(fx, 4);
    s_give_kept(fx, b);
    s_check(fx, 0, 8, "e", 0, BROKER_ITEM_ACCEPTED, 1);
    s_check_log(fx, 1, 8, "e", 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_events_come_back_in_order_with_consecutive_seqs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_seqs_follow_the_last_seq_given, setup, teardown),
        cmocka_unit_test_setup_teardown(test_room_holds_two_batches_unanswered_at_most, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_room_then_the_socket_wakes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_commits_what_is_open_then_take_ends, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stop_then_take_without_waiting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_with_batches_never_taken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_events_in_chunks_of_any_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_judges_refuse_and_the_refused_take_no_seq, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_room_then_a_token_wakes_the_poller, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("broker_writer", tests, NULL, NULL);
}
