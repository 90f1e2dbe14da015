/*  broker_writer: group commit on a thread of its own.

    The open batch is shared under `lock`: the api thread fills it between fill_begin and
    fill_end (the `filling` flag, not the mutex, is held meanwhile, so the api thread
    never holds a mutex across a read from its socket), and the writer swaps it out
    under the lock when it is not being filled. A finished batch crosses to the api
    thread as a pointer over a pair of inproc PAIR sockets and comes back through
    give(), under the lock. Only the writer touches the store for writing. The keys a
    batch added are copied out before it goes back, and written to the index's file
    after: the acks do not wait for that write.
*/
#include "broker_writer.h"
#include "dajia_clock.h"
#include "dajia_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <signal.h>
#include <time.h>

#define WRITER_BATCHES 3 /* the one being filled, the one committing, one being answered */

struct broker_writer_t {
    store_t *store;
    broker_dedup_t *dedup;     /* owned; writer thread only once started */
    broker_dedup_file_t *file; /* owned, may be NULL; writer thread only once started */
    broker_judge_t *judge;     /* owned, may be NULL; writer thread only once started */
    uint64_t *added;           /* writer thread: the hashes of the last batch's new records */
    size_t added_count, added_cap;
    uint64_t added_first; /* the log_seq of added[0] */
    uint64_t last_seq;    /* writer thread only */
    zsock_t *front;       /* api thread's end: finished batches arrive there */
    zsock_t *back;        /* writer thread's end */
    pthread_t thread;
    bool started;
    bool ended;      /* api thread: take() saw the end */
    size_t held_max; /* events read and not yet given back, at most (2 x batch_max) */
    broker_batch_t *batches[WRITER_BATCHES]; /* owned, all of them */

    /* Under `lock`: */
    pthread_mutex_t lock;
    pthread_cond_t wake;  /* the writer waits here: events, a batch back, the stop */
    broker_batch_t *open; /* the batch the api thread fills */
    broker_batch_t *pool[WRITER_BATCHES]; /* empty batches */
    size_t pooled;
    size_t held;       /* events of batches taken from `open` and not yet given back */
    bool writer_waits; /* the writer sleeps on `wake` */
    bool api_waits;    /* the api thread stopped reading for want of room: wake it at
                          the next swap */
    bool stopping;     /* commit what is open, then end */
    bool filling;      /* between broker_writer_fill_begin and _end (api thread) */
};

/* The writer sends this pointer, instead of a batch, to say there is room again. */
#define WRITER_ROOM ((void *)&s_room_token)
static const char s_room_token = 0;

/* A pointer travels as one frame of sizeof(void *) bytes, inside this process only.
   EINTR is retried: a signal must not lose a batch. */
static int
s_send_ptr(zsock_t *sock, void *ptr)
{
    int rc;
    do
        rc = zmq_send(zsock_resolve(sock), &ptr, sizeof ptr, 0);
    while (rc < 0 && errno == EINTR);
    return rc == (int)sizeof ptr ? 0 : -1;
}

/* Receives the next pointer into *ptr. Returns false when none came (`flags`
   ZMQ_DONTWAIT and none is there): a NULL that came is the writer's end, not that. */
static bool
s_recv_ptr(zsock_t *sock, int flags, void **ptr)
{
    int rc;
    *ptr = NULL;
    do
        rc = zmq_recv(zsock_resolve(sock), ptr, sizeof *ptr, flags);
    while (rc < 0 && errno == EINTR);
    return rc == (int)sizeof *ptr;
}

typedef struct {
    broker_batch_t *batch;
    broker_dedup_t *dedup;
    uint64_t first_seq;
    uint64_t next_seq;
} s_apply_t;

static int
s_apply(store_txn_t *txn, void *arg)
{
    s_apply_t *apply = arg;
    return broker_batch_apply(apply->batch, txn, apply->dedup, apply->first_seq, &apply->next_seq);
}

static uint64_t
s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Copies the hashes of the records `batch` added (its ACCEPTED items, in log order from
   `first_seq`) for the index's file. Without the memory for them the file stops. */
static void
s_keep_added(broker_writer_t *self, const broker_batch_t *batch, uint64_t first_seq)
{
    self->added_count = 0;
    self->added_first = first_seq;
    if (!self->file)
        return;
    if (self->added_cap < batch->count) {
        uint64_t *grown = realloc(self->added, batch->count * sizeof *grown);
        if (!grown) {
            dajia_log_warning("out of memory for the dedup index file; it stops here");
            broker_dedup_file_destroy(&self->file);
            return;
        }
        self->added = grown;
        self->added_cap = batch->count;
    }
    for (size_t i = 0; i < batch->count; i++)
        if (batch->items[i].status == BROKER_ITEM_ACCEPTED)
            self->added[self->added_count++] = batch->items[i].hash;
}

static void
s_commit(broker_writer_t *self, broker_batch_t *batch)
{
    s_apply_t apply = {batch, self->dedup, self->last_seq + 1, self->last_seq + 1};
    uint64_t start = s_now_us();
    batch->rc = store_write(self->store, s_apply, &apply);
    batch->commit_us = s_now_us() - start;
    if (batch->rc == 0) {
        self->last_seq = apply.next_seq - 1;
        s_keep_added(self, batch, apply.first_seq);
    } else {
        broker_batch_rollback(batch, self->dedup); /* none of it is in the log */
    }
    batch->last_seq = self->last_seq;
    store_stats_t stats;
    if (store_stats(self->store, &stats) == 0) {
        batch->map_bytes = stats.map_size;
        batch->used_bytes = stats.used_bytes;
    }
}

/* Writes the keys of the last batch to the index's file. */
static void
s_file_added(broker_writer_t *self)
{
    if (self->file && self->added_count)
        broker_dedup_file_append(self->file, self->added_first, self->added, self->added_count);
    self->added_count = 0;
}

/* Takes the open batch for a commit, an empty one in its place. Waits, under the lock,
   until the api thread is not filling it, it holds events and an empty batch is back
   (or, stopping, it holds none). Returns NULL when stopping with nothing open. */
static broker_batch_t *
s_swap(broker_writer_t *self)
{
    pthread_mutex_lock(&self->lock);
    broker_batch_t *batch = NULL;
    bool wake_api = false;
    while (true) {
        bool still = !self->filling; /* `open` is the writer's to read */
        if (still && self->open->count > 0 && self->pooled > 0) {
            batch = self->open;
            self->open = self->pool[--self->pooled];
            self->held += batch->count;
            wake_api = self->api_waits;
            self->api_waits = false;
            break;
        }
        if (still && self->open->count == 0 && self->stopping)
            break;
        self->writer_waits = true;
        pthread_cond_wait(&self->wake, &self->lock);
        self->writer_waits = false;
    }
    pthread_mutex_unlock(&self->lock);
    if (wake_api)
        s_send_ptr(self->back, WRITER_ROOM);
    return batch;
}

static void *
s_thread(void *arg)
{
    broker_writer_t *self = arg;
    broker_batch_t *batch;
    while ((batch = s_swap(self)) != NULL) {
        batch->received_at = dajia_clock_now_ms();
        if (self->judge)
            broker_judge_batch(self->judge, batch);
        s_commit(self, batch);
        if (s_send_ptr(self->back, batch) != 0)
            break;
        s_file_added(self);
    }
    s_send_ptr(self->back, NULL); /* the end: nothing more comes */
    return NULL;
}

static int
s_start_thread(broker_writer_t *self)
{
    /* Signals are for the api thread, whose poll they interrupt. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&self->thread, NULL, s_thread, self);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc ? -rc : 0;
}

/* Frees what broker_writer_start made (not what it was given). */
static void
s_free(broker_writer_t *self)
{
    zsock_destroy(&self->front);
    zsock_destroy(&self->back);
    for (size_t i = 0; i < WRITER_BATCHES; i++)
        broker_batch_destroy(&self->batches[i]);
    pthread_cond_destroy(&self->wake);
    pthread_mutex_destroy(&self->lock);
    free(self->added);
    free(self);
}

int
broker_writer_start(store_t *store, uint64_t last_seq, size_t batch_max, broker_dedup_t **dedup,
                    broker_dedup_file_t **file, broker_judge_t **judge, broker_writer_t **out)
{
    broker_writer_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->wake, NULL);
    self->store = store;
    self->last_seq = last_seq;
    self->held_max = 2 * batch_max;
    int rc = 0;
    for (size_t i = 0; i < WRITER_BATCHES && rc == 0; i++)
        rc = (self->batches[i] = broker_batch_new(batch_max)) ? 0 : -ENOMEM;
    self->open = self->batches[0];
    for (size_t i = 1; i < WRITER_BATCHES; i++)
        self->pool[self->pooled++] = self->batches[i];
    if (rc == 0)
        self->front = zsys_create_pipe(&self->back);
    if (rc == 0 && !self->front)
        rc = -ENOMEM;
    self->dedup = *dedup;
    self->file = file ? *file : NULL;
    self->judge = judge ? *judge : NULL;
    if (rc == 0)
        rc = s_start_thread(self);
    if (rc) {
        s_free(self); /* *dedup, *file and *judge stay the caller's */
        return rc;
    }
    *dedup = NULL;
    if (file)
        *file = NULL;
    if (judge)
        *judge = NULL;
    self->started = true;
    *out = self;
    return 0;
}

void
broker_writer_stop(broker_writer_t *self)
{
    pthread_mutex_lock(&self->lock);
    self->stopping = true;
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
}

void
broker_writer_destroy(broker_writer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_writer_t *self = *self_p;
    if (self->started) {
        broker_writer_stop(self);
        broker_batch_t *left;
        while ((left = broker_writer_take(self, true)) != NULL)
            broker_writer_give(self, left);
        pthread_join(self->thread, NULL);
    }
    broker_judge_destroy(&self->judge);
    broker_dedup_destroy(&self->dedup);
    broker_dedup_file_destroy(&self->file); /* synced: a clean stop leaves it whole */
    s_free(self);
    *self_p = NULL;
}

/* The events the api thread may still add to `open`, under the lock. */
static size_t
s_room(const broker_writer_t *self)
{
    const broker_batch_t *open = self->open;
    size_t in_batch = open->capacity - open->count;
    size_t held = self->held + open->count;
    size_t under_max = held < self->held_max ? self->held_max - held : 0;
    return in_batch < under_max ? in_batch : under_max;
}

size_t
broker_writer_room(broker_writer_t *self)
{
    pthread_mutex_lock(&self->lock);
    size_t room = self->stopping ? 0 : s_room(self);
    if (room == 0)
        self->api_waits = true;
    pthread_mutex_unlock(&self->lock);
    return room;
}

broker_batch_t *
broker_writer_fill_begin(broker_writer_t *self, size_t *room)
{
    pthread_mutex_lock(&self->lock);
    *room = self->stopping ? 0 : s_room(self);
    self->filling = true;
    broker_batch_t *open = self->open;
    pthread_mutex_unlock(&self->lock);
    return open;
}

void
broker_writer_fill_end(broker_writer_t *self)
{
    pthread_mutex_lock(&self->lock);
    self->filling = false;
    if (self->writer_waits && self->open->count > 0)
        pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
}

zsock_t *
broker_writer_sock(broker_writer_t *self)
{
    return self->front;
}

broker_batch_t *
broker_writer_take(broker_writer_t *self, bool wait)
{
    while (!self->ended) {
        void *ptr;
        bool came = s_recv_ptr(self->front, wait ? 0 : ZMQ_DONTWAIT, &ptr);
        if (ptr == WRITER_ROOM)
            continue;
        /* The end, also when a take without waiting read it: nothing more comes. */
        if (!ptr && (came || wait))
            self->ended = true;
        return ptr;
    }
    return NULL;
}

void
broker_writer_give(broker_writer_t *self, broker_batch_t *batch)
{
    size_t count = batch->count;
    broker_batch_reset(batch);
    pthread_mutex_lock(&self->lock);
    self->held -= count;
    self->pool[self->pooled++] = batch;
    if (self->writer_waits)
        pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
}
