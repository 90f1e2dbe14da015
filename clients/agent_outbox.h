/*  agent_outbox: the agent's durable outbox, over store.

    Every event the agent takes is written here before anything is sent, and it stops
    waiting only when the broker has answered for it: ACCEPTED or DUPLICATE move it to
    the kept table (acknowledged, kept for a while), REJECTED moves it to the rejected
    table with the reason. A crash at any point therefore loses nothing; the worst case
    is a resend, which the broker answers DUPLICATE.

    Acknowledged events are kept (AGENT_OUTBOX_KEEP_DAYS, at most AGENT_OUTBOX_KEEP_MAX
    events, the oldest pruned first) because the broker's store may later be put back
    from a backup that lacks them: the agent then learns that the store changed
    (agent_outbox_check_store) and every kept event waits again, to be resent in its
    original order; the broker stores those it lacks and answers the rest DUPLICATE.

    Tables in the store (all private to this module):
      "outbox"    local seq (8-byte big-endian) -> outbox record: version byte, event_id
                  length byte, event_id, packed Envelope with its unit_seq: the local seq,
                  appended when the event is queued (the unit's own order: never reused,
                  next_seq only grows)
      "index"     event_id -> local seq: an event waits at most once, however often it
                  is submitted
      "rejected"  event_id (or NUL + "FILE:LINE" for input that never became an event)
                  -> rejection record (reason, time, text, where, the original input)
      "kept"      local seq -> kept record: version byte, acknowledged at (unix ms, u64),
                  the broker's log_seq (u64), then the outbox record as it waited
      "meta"      "next_seq" -> 8-byte big-endian; "unit" -> the unit the state belongs to;
                  "store_id" -> the broker's store identity last seen (text);
                  "acked_seq" -> the highest log_seq the broker acknowledged (u64)

    Changes are made through a batch (agent_outbox_batch_t): it collects operations in
    memory and agent_outbox_apply() writes them all in one durable transaction, so a
    thousand adds or a window of acks cost one fsync.

    Record formats: only add fields at the end and bump the version byte; readers accept
    any version >= their own and ignore what follows the fields they know.
*/
#ifndef AGENT_OUTBOX_H
#define AGENT_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dajia_error.h" /* AGENT_OUTBOX_WRONG_UNIT, AGENT_OUTBOX_BADRECORD (-31300 ..) */

#define AGENT_OUTBOX_MAX_ID       255    /* longest event_id the outbox holds */
#define AGENT_OUTBOX_MAX_TEXT     1024   /* longest reason text or source kept */
#define AGENT_OUTBOX_MAX_ORIGINAL 65536  /* longest original input kept with a rejection */
#define AGENT_OUTBOX_KEEP_DAYS    30     /* acknowledged events are kept this long ... */
#define AGENT_OUTBOX_KEEP_MAX     200000 /* ... and at most this many of them */
#define AGENT_OUTBOX_STORE_ID_MAX 64     /* longest broker store identity */

typedef struct agent_outbox_t agent_outbox_t;
typedef struct agent_outbox_batch_t agent_outbox_batch_t;

/* What a rejection keeps of the input. */
typedef enum {
    AGENT_ORIGINAL_NONE = 0,
    AGENT_ORIGINAL_ENVELOPE = 1, /* the packed Envelope */
    AGENT_ORIGINAL_JSON = 2,     /* the JSON text as read */
} agent_original_t;

/* One rejected input. Strings are NUL-terminated; when read back from the outbox every
   pointer points into the store and is valid only during the callback. */
typedef struct {
    const char *event_id; /* "" when the input never became an event */
    const char *source;   /* "FILE:LINE" of the input; "" when unknown */
    int reason;           /* a Dajia__Reason */
    const char *text;     /* the sentence for the liaison */
    int64_t at_ms;        /* when it was rejected, unix ms */
    agent_original_t original_kind;
    const void *original; /* may be NULL when original_len is 0 */
    size_t original_len;
} agent_rejection_t;

/* ------------------------------------------------------------------ the outbox */

/* Opens (creating if needed) the outbox in directory `dir`, which must exist. Sets *out
   only on success; destroy with agent_outbox_destroy(). Returns 0 or a store code. */
int
agent_outbox_open(const char *dir, agent_outbox_t **out);

/* Closes the outbox; accepts NULL and sets *self_p to NULL. */
void
agent_outbox_destroy(agent_outbox_t **self_p);

/* Ties the state to `unit`: the first call records it, later calls check it. Returns 0,
   or AGENT_OUTBOX_WRONG_UNIT with the recorded unit copied to `owner` (`size` bytes,
   may be NULL), or a store code. */
int
agent_outbox_claim(agent_outbox_t *self, const char *unit, char *owner, size_t size);

/* Counts the events waiting and the rejections kept. Either pointer may be NULL. */
int
agent_outbox_counts(agent_outbox_t *self, uint64_t *waiting, uint64_t *rejected);

/* Counts the acknowledged events kept (the kept table). */
int
agent_outbox_kept(agent_outbox_t *self, uint64_t *kept);

/* How long acknowledged events are kept (`keep_ms`, > 0) and how many at most
   (`keep_max`; 0 keeps none). The defaults are AGENT_OUTBOX_KEEP_DAYS and
   AGENT_OUTBOX_KEEP_MAX. Pruning happens when acknowledgements are applied. */
void
agent_outbox_set_retention(agent_outbox_t *self, int64_t keep_ms, uint64_t keep_max);

/* What agent_outbox_check_store found. */
typedef struct {
    bool first;        /* no store was recorded yet: this one is now */
    bool changed;      /* the broker's store is not the one that acknowledged the kept
                          events (another identity, or its log ends before the highest
                          log_seq acknowledged): they wait again */
    uint64_t requeued; /* kept events that wait again (0 unless changed) */
} agent_outbox_store_check_t;

/* Compares the broker's store, as the broker describes it (`store_id`, "" when it gave
   none; `last_log_seq`, its log's last log_seq), with the one that acknowledged the
   kept events. When it changed, every kept event waits again under its own local seq
   (so in its original order, before anything queued later), the new store is
   recorded, all in one durable write. Returns 0, -EINVAL or a store code. */
int
agent_outbox_check_store(agent_outbox_t *self, const char *store_id, uint64_t last_log_seq,
                         agent_outbox_store_check_t *result);

/* Called for each waiting event. `event_id` and `data` (the packed Envelope, `len`
   bytes) are valid during the call only. Return 0 to go on, a positive value to stop
   (the walk then returns 0), a negative value to stop and have the walk return it. */
typedef int(agent_outbox_event_fn)(uint64_t seq, const char *event_id, const void *data, size_t len,
                                   void *arg);

/* Calls `fn` for each waiting event whose local seq is greater than `after`, in seq
   (submission) order, within one read snapshot. Returns 0, fn's negative result,
   AGENT_OUTBOX_BADRECORD or a store code. */
int
agent_outbox_walk(agent_outbox_t *self, uint64_t after, agent_outbox_event_fn *fn, void *arg);

/* Called for each rejection; same return convention as agent_outbox_event_fn. */
typedef int(agent_outbox_rejection_fn)(const agent_rejection_t *rejection, void *arg);

/* Calls `fn` for each rejection kept, in key order (event_id; input errors first).
   Returns 0, fn's negative result, AGENT_OUTBOX_BADRECORD or a store code. */
int
agent_outbox_walk_rejected(agent_outbox_t *self, agent_outbox_rejection_fn *fn, void *arg);

/* Applies every operation of `batch`, in order, in one transaction committed with a full
   sync. On success sets *queued (may be NULL) to the number of adds that queued a new
   event (the others were already waiting) and returns 0; on failure nothing is written
   and a store code or -ENOMEM is returned. The batch is left as it was. */
int
agent_outbox_apply(agent_outbox_t *self, const agent_outbox_batch_t *batch, size_t *queued);

/* Empties the rejected table (`dajia-agent rejected --clear`) in one durable write.
   Sets *cleared (may be NULL) to the number of entries dropped. Returns 0 or a store
   code. */
int
agent_outbox_clear_rejected(agent_outbox_t *self, uint64_t *cleared);

/* ------------------------------------------------------------------ batches */

/* A new empty batch, or NULL when memory ran out. The batch copies everything it is
   given, so callers may free their buffers as soon as a call returns. */
agent_outbox_batch_t *
agent_outbox_batch_new(void);

void
agent_outbox_batch_destroy(agent_outbox_batch_t **self_p);

/* Empties the batch, keeping its memory for reuse. */
void
agent_outbox_batch_clear(agent_outbox_batch_t *self);

/* Number of operations in the batch. */
size_t
agent_outbox_batch_size(const agent_outbox_batch_t *self);

/* Queues `data` (a packed Envelope of `len` bytes, without unit_seq: the outbox gives it
   the event's local seq) under `event_id` (1 to AGENT_OUTBOX_MAX_ID bytes) unless an event
   with that id already waits. A rejection
   kept under the same id is dropped: the new submission supersedes it.
   Returns 0, -EINVAL for a bad id, or -ENOMEM. */
int
agent_outbox_batch_add(agent_outbox_batch_t *self, const char *event_id, const void *data,
                       size_t len);

/* Forgets the waiting event `event_id`, and a rejection kept under the same id. No-op
   for what is not there. (A stored event is settled with agent_outbox_batch_stored.) */
int
agent_outbox_batch_done(agent_outbox_batch_t *self, const char *event_id);

/* The broker stored the waiting event `event_id` under `log_seq` (ACCEPTED, or the
   original log_seq of a DUPLICATE) at `at_ms` (unix ms): it stops waiting and is kept
   (see the retention above), and a rejection under the same id is dropped: the report
   is stored now. No-op for an event not waiting. Kept events older than the retention
   before the latest `at_ms` of the batch are pruned in the same write. */
int
agent_outbox_batch_stored(agent_outbox_batch_t *self, const char *event_id, uint64_t log_seq,
                          int64_t at_ms);

/* Drops every rejection whose source starts with `source_prefix` (1 to
   AGENT_OUTBOX_MAX_TEXT bytes), e.g. "cases.csv:" when that file is read again.
   Returns 0, -EINVAL or -ENOMEM. */
int
agent_outbox_batch_forget(agent_outbox_batch_t *self, const char *source_prefix);

/* Keeps `rejection` (under its event_id, or its source when the id is empty; a later
   rejection under the same key replaces it). Does not touch the waiting events: to
   move a waiting event to the rejected table, add a done and a reject for it.
   Long fields are truncated to the AGENT_OUTBOX_MAX_* limits. Returns 0, -EINVAL when
   both event_id and source are empty, or -ENOMEM. */
int
agent_outbox_batch_reject(agent_outbox_batch_t *self, const agent_rejection_t *rejection);

#endif
