/*  broker_writer: group commit on a thread of its own.

    The two threads talk over a pair of inproc PAIR sockets, passing the batch pointer.
    Only the writer touches the store for writing; only the api thread touches the
    batch while the writer does not hold it, so the batch needs no lock. The keys a
    batch added are copied out before it goes back, and written to the index's file
    after: the acks do not wait for that write.
*/
#include "broker_writer.h"
#include "dajia_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <signal.h>
#include <time.h>

struct broker_writer_t {
    store_t *store;
    broker_dedup_t *dedup;     /* owned; writer thread only once started */
    broker_dedup_file_t *file; /* owned, may be NULL; writer thread only once started */
    broker_judge_t *judge;     /* owned, may be NULL; writer thread only once started */
    uint64_t *added;           /* writer thread: the hashes of the last batch's new records */
    size_t added_count, added_cap;
    uint64_t added_first; /* the log_seq of added[0] */
    uint64_t last_seq;    /* writer thread only */
    zsock_t *front;       /* api thread's end */
    zsock_t *back;        /* writer thread's end */
    pthread_t thread;
    bool started;
    broker_batch_t *held; /* api thread's view: the batch at the writer */
};

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

static void *
s_recv_ptr(zsock_t *sock)
{
    void *ptr = NULL;
    int rc;
    do
        rc = zmq_recv(zsock_resolve(sock), &ptr, sizeof ptr, 0);
    while (rc < 0 && errno == EINTR);
    return rc == (int)sizeof ptr ? ptr : NULL;
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

static void *
s_thread(void *arg)
{
    broker_writer_t *self = arg;
    while (true) {
        broker_batch_t *batch = s_recv_ptr(self->back);
        if (!batch)
            break; /* NULL: stop */
        if (self->judge)
            broker_judge_batch(self->judge, batch);
        s_commit(self, batch);
        if (s_send_ptr(self->back, batch) != 0)
            break;
        if (self->file && self->added_count)
            broker_dedup_file_append(self->file, self->added_first, self->added, self->added_count);
        self->added_count = 0;
    }
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

int
broker_writer_start(store_t *store, uint64_t last_seq, broker_dedup_t **dedup,
                    broker_dedup_file_t **file, broker_judge_t **judge, broker_writer_t **out)
{
    broker_writer_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    self->store = store;
    self->last_seq = last_seq;
    self->dedup = *dedup;
    self->file = file ? *file : NULL;
    self->judge = judge ? *judge : NULL;
    self->front = zsys_create_pipe(&self->back);
    int rc = self->front ? s_start_thread(self) : -ENOMEM;
    if (rc) {
        zsock_destroy(&self->front);
        zsock_destroy(&self->back);
        free(self); /* *dedup and *file stay the caller's */
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
broker_writer_destroy(broker_writer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_writer_t *self = *self_p;
    broker_batch_t *left = broker_writer_take(self);
    broker_batch_destroy(&left);
    if (self->started) {
        s_send_ptr(self->front, NULL);
        pthread_join(self->thread, NULL);
    }
    zsock_destroy(&self->front);
    zsock_destroy(&self->back);
    broker_judge_destroy(&self->judge);
    broker_dedup_destroy(&self->dedup);
    broker_dedup_file_destroy(&self->file); /* synced: a clean stop leaves it whole */
    free(self->added);
    free(self);
    *self_p = NULL;
}

int
broker_writer_submit(broker_writer_t *self, broker_batch_t *batch)
{
    if (self->held || !batch)
        return -1;
    if (s_send_ptr(self->front, batch) != 0)
        return -1;
    self->held = batch;
    return 0;
}

bool
broker_writer_busy(const broker_writer_t *self)
{
    return self->held != NULL;
}

zsock_t *
broker_writer_sock(broker_writer_t *self)
{
    return self->front;
}

broker_batch_t *
broker_writer_take(broker_writer_t *self)
{
    if (!self->held)
        return NULL;
    broker_batch_t *batch = s_recv_ptr(self->front);
    self->held = NULL;
    return batch;
}
