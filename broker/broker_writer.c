/*  broker_writer: group commit on a thread of its own.

    The two threads talk over a pair of inproc PAIR sockets, passing the batch pointer.
    Only the writer touches the store for writing; only the api thread touches the
    batch while the writer does not hold it, so the batch needs no lock.
*/
#include "broker_writer.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

struct broker_writer_t {
    store_t *store;
    broker_dedup_t *dedup; /* owned; writer thread only once started */
    uint64_t last_seq;     /* writer thread only */
    zsock_t *front;        /* api thread's end */
    zsock_t *back;         /* writer thread's end */
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

static void
s_commit(broker_writer_t *self, broker_batch_t *batch)
{
    s_apply_t apply = {batch, self->dedup, self->last_seq + 1, self->last_seq + 1};
    uint64_t start = s_now_us();
    batch->rc = store_write(self->store, s_apply, &apply);
    batch->commit_us = s_now_us() - start;
    if (batch->rc == 0)
        self->last_seq = apply.next_seq - 1;
    else
        broker_batch_rollback(batch, self->dedup); /* none of it is in the log */
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
        s_commit(self, batch);
        if (s_send_ptr(self->back, batch) != 0)
            break;
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
                    broker_writer_t **out)
{
    broker_writer_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    self->store = store;
    self->last_seq = last_seq;
    self->dedup = *dedup;
    *dedup = NULL;
    self->front = zsys_create_pipe(&self->back);
    if (!self->front) {
        *dedup = self->dedup; /* not taken after all */
        free(self);
        return -ENOMEM;
    }
    int rc = s_start_thread(self);
    if (rc) {
        zsock_destroy(&self->front);
        zsock_destroy(&self->back);
        *dedup = self->dedup; /* not taken after all */
        free(self);
        return rc;
    }
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
    broker_dedup_destroy(&self->dedup);
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
