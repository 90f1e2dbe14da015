/*  broker_writer: the thread that commits batches to the log.

    The writer owns three batches: the open one, which the api thread fills with the
    events it reads; the one being committed; and one whose events the api thread is
    answering. When a commit ends the writer takes the open batch at once (an empty one
    in its place) and commits it: the next commit never waits for the api thread to wake
    up and hand it over, and whatever the api thread reads meanwhile forms the batch after.
    With a pool of judges (broker_judge.h) the writer has the batch's deferred events
    judged first. A finished batch goes to the api thread over the writer's socket
    (broker_writer_take); once answered it comes back (broker_writer_give). After sending
    a batch the writer appends its new keys to the dedup index's file
    (broker_dedup_file.h), while the api thread answers.

    Back-pressure: the api thread adds no more than broker_writer_room() events: the open
    batch's room, and at most 2 x batch_max events read and not yet answered in all. When
    there is none it stops reading; the writer's socket becomes readable again when there
    is (a finished batch, or a token meaning "room again" that take() swallows).
*/
#ifndef BROKER_WRITER_H
#define BROKER_WRITER_H

#include <czmq.h>

#include "broker_batch.h"
#include "broker_dedup.h"
#include "broker_dedup_file.h"
#include "broker_judge.h"
#include "store.h"

typedef struct broker_writer_t broker_writer_t;

/* Starts the writer thread on `store` (borrowed: must outlive the writer), appending
   after `last_seq`, with batches of `batch_max` events, `*dedup` the index of the log's
   keys and `*file` its file (broker_dedup_file_open; *file may be NULL: no file), and
   `*judge` the judges of deferred events (judge or *judge may be NULL: every event comes
   judged). On success the writer owns the three (they become NULL) and *out is set; on
   failure (-ENOMEM, or pthread_create's error negated) they stay the caller's. */
int
broker_writer_start(store_t *store, uint64_t last_seq, size_t batch_max, broker_dedup_t **dedup,
                    broker_dedup_file_t **file, broker_judge_t **judge, broker_writer_t **out);

/* Commits what is open, hands the batches left to nobody, stops the thread, syncs the
   index's file and frees the writer. Accepts NULL, sets *self_p to NULL. To answer what
   is left first: broker_writer_stop(), then take until NULL, then destroy. */
void
broker_writer_destroy(broker_writer_t **self_p);

/* Api thread. The events that may be added to the open batch now (0: stop reading until
   the writer's socket is readable). */
size_t
broker_writer_room(broker_writer_t *self);

/* Api thread. The open batch, to add at most *room events to (broker_batch_next_item,
   broker_batch_commit_item) and nothing else, until broker_writer_fill_end(); the writer
   does not take it meanwhile. */
broker_batch_t *
broker_writer_fill_begin(broker_writer_t *self, size_t *room);

/* Api thread. Ends the filling; the writer may take the batch from now on. */
void
broker_writer_fill_end(broker_writer_t *self);

/* The socket to poll: readable when a batch is done (or there is room again). */
zsock_t *
broker_writer_sock(broker_writer_t *self);

/* Api thread. The next finished batch (its rc, statuses and seqs set), in commit order:
   waiting for it with `wait`, else NULL when none is ready. NULL with `wait` once the
   writer has stopped (broker_writer_stop) and every batch was taken. */
broker_batch_t *
broker_writer_take(broker_writer_t *self, bool wait);

/* Api thread. Gives back a batch from take(), answered: its messages are closed. */
void
broker_writer_give(broker_writer_t *self, broker_batch_t *batch);

/* Api thread. Nothing more will be added: the writer commits what is open and ends. */
void
broker_writer_stop(broker_writer_t *self);

#endif
