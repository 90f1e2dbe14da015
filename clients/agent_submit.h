/*  agent_submit: turns files of JSON events into outbox entries.

    A file holds one JSON object, several objects one after another, or JSON Lines (one
    object per line). Each object becomes an Envelope: the unit is filled in when empty
    (and must be the agent's), reported_at is set when zero, the event_id is derived when
    empty (dajia_event_id_derive, so a file submitted twice makes the same ids), and the
    envelope is validated as the broker would, minus the member check. Valid events are
    queued in the outbox in chunks, one durable write per chunk; everything else is kept
    in the rejected table with the reason and reported through the problem callback.
*/
#ifndef AGENT_SUBMIT_H
#define AGENT_SUBMIT_H

#include <stddef.h>
#include <stdint.h>

#include "agent_outbox.h"

#define AGENT_SUBMIT_CHUNK 1000 /* events per durable write */

typedef struct agent_submit_t agent_submit_t;

/* Called once per input that was refused, with one line of text for a person:
   "FILE:LINE:COL: message" for JSON errors, "FILE:LINE: event ID: reason: text" for
   events that failed the checks. */
typedef void(agent_submit_problem_fn)(const char *message, void *arg);

typedef struct {
    uint64_t read;     /* objects read (valid JSON or not) */
    uint64_t queued;   /* new events put in the outbox */
    uint64_t waiting;  /* events that were already waiting in the outbox */
    uint64_t rejected; /* refused here: bad JSON, another unit, failed checks */
} agent_submit_counts_t;

/* A submitter writing into `outbox` (borrowed; must outlive it) for `unit` (copied).
   `problem` may be NULL. Sets *out only on success; returns 0 or -ENOMEM. */
int
agent_submit_new(agent_outbox_t *outbox, const char *unit, agent_submit_problem_fn *problem,
                 void *problem_arg, agent_submit_t **out);

/* Frees the submitter; accepts NULL and sets *self_p to NULL. Events of the current
   chunk that were not flushed are dropped: call agent_submit_flush() first. */
void
agent_submit_destroy(agent_submit_t **self_p);

/* Reads the file at `path` ("-": standard input) and submits its events. Bad events are
   not errors: they are counted, kept and reported. When the file cannot be read,
   *read_error is set to the errno and 0 returned (the caller may go on with other
   files); otherwise *read_error is 0. Returns -ENOMEM or an outbox/store code when the
   outbox could not be written: events of earlier chunks are safe, the rest are not. */
int
agent_submit_file(agent_submit_t *self, const char *path, int *read_error);

/* Submits the events in `len` bytes of `text`, named `name` in messages. Returns 0,
   -ENOMEM or an outbox/store code, as agent_submit_file. */
int
agent_submit_text(agent_submit_t *self, const char *name, const char *text, size_t len);

/* Writes the events of the current chunk to the outbox now (one durable write).
   Returns 0, -ENOMEM or an outbox/store code. */
int
agent_submit_flush(agent_submit_t *self);

/* What happened so far. Queued and waiting include only flushed chunks. */
void
agent_submit_counts(const agent_submit_t *self, agent_submit_counts_t *counts);

#endif
