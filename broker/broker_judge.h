/*  broker_judge: the events of a batch judged on several threads before their commit.

    With broker/judge_threads > 0 the api thread only reads a SUBMIT, checks who sent it
    (auth, throttle, bounds) and moves it into the batch marked `deferred`; the writer
    thread hands the batch to broker_judge_batch() before its transaction, and the
    judges (the writer itself and judge_threads - 1 helpers) each take a slice of the
    batch: the fast path on the wire bytes, the full decoder when it cannot tell. An
    item judged acceptable gets its dedup key; one refused gets the status REJECTED, and
    the api thread answers it with the batch (it judges it again, alone, for the reason's
    sentence: refusals are rare). Items keep their places, so a unit's events stay in the
    order it sent them; only the writer applies the batch, after every judge is done.
*/
#ifndef BROKER_JUDGE_H
#define BROKER_JUDGE_H

#include <stdint.h>

#include "broker_batch.h"
#include "dajia_arena.h"

#define BROKER_JUDGE_THREADS_MAX 64

/* Judges one item at `now_ms` with `arena` (the calling judge's own, reset after each
   item by the caller): 0 when the event is acceptable and the item's key is set, -1 when
   it is refused. Called from several threads at once on different items: it may only
   read what does not change while the broker runs. */
typedef int (*broker_judge_fn)(broker_item_t *item, int64_t now_ms, dajia_arena_t *arena,
                               void *arg);

typedef struct broker_judge_t broker_judge_t;

/* A pool of `threads` judges (1..BROKER_JUDGE_THREADS_MAX): the caller of
   broker_judge_batch and threads - 1 helper threads, each with an arena of
   `arena_bytes`. Returns 0 and sets *out, or a negative errno. */
int
broker_judge_new(size_t threads, broker_judge_fn fn, void *arg, size_t arena_bytes,
                 broker_judge_t **out);

/* Stops the helpers and frees the pool. Accepts NULL, sets *self_p to NULL. */
void
broker_judge_destroy(broker_judge_t **self_p);

/* Judges every deferred item of `batch` at batch->received_at and clears its flag;
   returns when all are judged. One thread at a time (the writer). */
void
broker_judge_batch(broker_judge_t *self, broker_batch_t *batch);

/* How many judges the pool has. */
size_t
broker_judge_threads(const broker_judge_t *self);

#endif
