/*  broker_writer: the thread that commits batches to the log.

    The api thread keeps receiving and validating while the writer commits (and waits for
    the disk's sync), so a slow fsync never stalls the socket: whatever arrives meanwhile
    forms the next batch. With a pool of judges (broker_judge.h) the writer has the
    batch's deferred events judged first, then commits it. At most one batch is at the writer at a
   time; the api thread hands it over with broker_writer_submit() and learns it is done when the
   writer's socket becomes readable, then takes it back with broker_writer_take(). Once a batch is
   handed back, the writer appends its new keys to the dedup index's file (broker_dedup_file.h),
   while the api thread answers.
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
   after `last_seq`, with `*dedup` the index of the log's keys and `*file` its file
   (broker_dedup_file_open; *file may be NULL: no file), and `*judge` the judges of
   deferred events (judge or *judge may be NULL: every event comes judged). On success
   the writer owns the three (they become NULL) and *out is set; on failure they stay the
   caller's. */
int
broker_writer_start(store_t *store, uint64_t last_seq, broker_dedup_t **dedup,
                    broker_dedup_file_t **file, broker_judge_t **judge, broker_writer_t **out);

/* Stops the thread (after the batch it holds, if any), syncs the index's file and frees
   the writer. Accepts NULL, sets *self_p to NULL. A batch not taken back is destroyed. */
void
broker_writer_destroy(broker_writer_t **self_p);

/* Hands `batch` to the writer. The writer owns it until broker_writer_take() returns it.
   Returns 0, or -1 if the writer already holds a batch. */
int
broker_writer_submit(broker_writer_t *self, broker_batch_t *batch);

/* True while the writer holds a batch. */
bool
broker_writer_busy(const broker_writer_t *self);

/* The socket to poll: readable when the submitted batch is done. */
zsock_t *
broker_writer_sock(broker_writer_t *self);

/* Takes the finished batch back (its rc, statuses and seqs set). Blocks until it is
   done; returns NULL if the writer holds nothing. */
broker_batch_t *
broker_writer_take(broker_writer_t *self);

#endif
