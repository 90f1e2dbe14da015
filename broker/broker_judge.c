/*  broker_judge: a pool of judges for a batch's deferred events.

    The caller (the writer thread) and the helpers meet at a mutex: the caller publishes
    the batch and how many judges it wants (a small batch is not worth waking helpers
    for: BROKER_JUDGE_SLICE_MIN events a judge at least), every judge takes its slice
    of consecutive items, and the caller waits until the helpers it woke are done. Each
    item is written by one judge only, and the mutex orders those writes before the
    batch is applied and handed back.
*/
#include "broker_judge.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

#define BROKER_JUDGE_SLICE_MIN 64 /* events a judge gets at least before another is woken */

typedef struct s_helper_t s_helper_t;

struct broker_judge_t {
    broker_judge_fn fn;
    void *arg;
    size_t threads;         /* judges, the caller included */
    dajia_arena_t **arenas; /* one per judge; [0] is the caller's */
    pthread_t *helpers;     /* threads - 1 */
    size_t started;         /* helpers running */
    pthread_mutex_t lock;
    pthread_cond_t work; /* helpers wait here for a round */
    pthread_cond_t done; /* the caller waits here for the helpers */
    /* Under lock: */
    uint64_t round;        /* bumped for each batch shared out */
    size_t active;         /* judges in this round, the caller included */
    size_t pending;        /* helpers of this round not yet done */
    bool stopping;         /* the pool is being destroyed */
    broker_batch_t *batch; /* this round's */
};

typedef struct {
    broker_judge_t *pool;
    size_t index; /* 1..threads-1 */
} s_seat_t;

/* Judges the deferred items of slice `index` of `active`. */
static void
s_judge_slice(broker_judge_t *self, broker_batch_t *batch, size_t index, size_t active)
{
    size_t from = batch->count * index / active;
    size_t to = batch->count * (index + 1) / active;
    dajia_arena_t *arena = self->arenas[index];
    for (size_t i = from; i < to; i++) {
        broker_item_t *item = &batch->items[i];
        if (!item->deferred)
            continue;
        item->deferred = false;
        if (self->fn(item, batch->received_at, arena, self->arg) != 0)
            item->status = BROKER_ITEM_REJECTED;
        dajia_arena_reset(arena);
    }
}

static void *
s_helper(void *arg)
{
    s_seat_t *seat = arg;
    broker_judge_t *self = seat->pool;
    uint64_t seen = 0;
    pthread_mutex_lock(&self->lock);
    while (true) {
        while (!self->stopping && self->round == seen)
            pthread_cond_wait(&self->work, &self->lock);
        if (self->stopping)
            break;
        seen = self->round;
        if (seat->index >= self->active)
            continue; /* not needed for this batch */
        broker_batch_t *batch = self->batch;
        size_t active = self->active;
        pthread_mutex_unlock(&self->lock);
        s_judge_slice(self, batch, seat->index, active);
        pthread_mutex_lock(&self->lock);
        if (--self->pending == 0)
            pthread_cond_signal(&self->done);
    }
    pthread_mutex_unlock(&self->lock);
    free(seat);
    return NULL;
}

int
broker_judge_new(size_t threads, broker_judge_fn fn, void *arg, size_t arena_bytes,
                 broker_judge_t **out)
{
    if (threads < 1 || threads > BROKER_JUDGE_THREADS_MAX || !fn)
        return -EINVAL;
    broker_judge_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    self->fn = fn;
    self->arg = arg;
    self->threads = threads;
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->work, NULL);
    pthread_cond_init(&self->done, NULL);
    int rc = -ENOMEM;
    self->arenas = calloc(threads, sizeof *self->arenas);
    self->helpers = calloc(threads, sizeof *self->helpers);
    if (!self->arenas || !self->helpers)
        goto out;
    for (size_t i = 0; i < threads; i++)
        if (!(self->arenas[i] = dajia_arena_new(arena_bytes)))
            goto out;
    /* Signals are for the api thread, whose poll they interrupt. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = 0;
    for (size_t i = 1; i < threads && rc == 0; i++) {
        s_seat_t *seat = malloc(sizeof *seat);
        if (!seat) {
            rc = -ENOMEM;
            break;
        }
        *seat = (s_seat_t){self, i};
        int err = pthread_create(&self->helpers[self->started], NULL, s_helper, seat);
        if (err) {
            free(seat);
            rc = -err;
        } else {
            self->started++;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
out:
    if (rc) {
        broker_judge_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

void
broker_judge_destroy(broker_judge_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_judge_t *self = *self_p;
    pthread_mutex_lock(&self->lock);
    self->stopping = true;
    pthread_cond_broadcast(&self->work);
    pthread_mutex_unlock(&self->lock);
    for (size_t i = 0; i < self->started; i++)
        pthread_join(self->helpers[i], NULL);
    for (size_t i = 0; self->arenas && i < self->threads; i++)
        dajia_arena_destroy(&self->arenas[i]);
    free(self->arenas);
    free(self->helpers);
    pthread_cond_destroy(&self->done);
    pthread_cond_destroy(&self->work);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

void
broker_judge_batch(broker_judge_t *self, broker_batch_t *batch)
{
    size_t active = (batch->count + BROKER_JUDGE_SLICE_MIN - 1) / BROKER_JUDGE_SLICE_MIN;
    if (active > self->started + 1)
        active = self->started + 1;
    if (active <= 1) {
        s_judge_slice(self, batch, 0, 1);
        return;
    }
    pthread_mutex_lock(&self->lock);
    self->batch = batch;
    self->active = active;
    self->pending = active - 1;
    self->round++;
    pthread_cond_broadcast(&self->work);
    pthread_mutex_unlock(&self->lock);
    s_judge_slice(self, batch, 0, active);
    pthread_mutex_lock(&self->lock);
    while (self->pending > 0)
        pthread_cond_wait(&self->done, &self->lock);
    self->batch = NULL;
    pthread_mutex_unlock(&self->lock);
}

size_t
broker_judge_threads(const broker_judge_t *self)
{
    return self->threads;
}
