/*  worker_core: what every worker's pure core looks like.

    A core is (state, event) -> (new state, outputs). Its state lives in tables of a store
    (store/store.h) that only it uses, and every call runs inside a write transaction the
    shell opens: the shell records the last applied log_seq in the same transaction, so
    an event delivered twice is applied once (guarantee 4). A core never touches a socket
    or a clock: time comes in as the event's times and as `now_ms` in tick(), so tests set
    the clock. Outputs are FeedItems (proto/dajia.proto) the core appends to `out`; the
    shell sends them to the broker, which stores them in the feed log and publishes them.

    Table names a core uses are prefixed with its service name ("agg.cases", ...), so
    several cores can share one store in tests.
*/
#ifndef WORKER_CORE_H
#define WORKER_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "dajia.pb-c.h"
#include "dajia_labels.h"
#include "store.h"

/* An event as the broker delivers it. Everything is borrowed for the call. */
typedef struct {
    uint64_t log_seq;
    int64_t received_at;        /* broker clock, unix ms */
    const Dajia__Envelope *env; /* validated by the broker */
    /* When the unit first submitted the event, unix ms: the envelope's submitted_at when
       the broker trusted it (the Office's import of history: LogRecord.submitted_at),
       else received_at. 0 in an event built without it: read it with
       worker_event_submitted_at(). */
    int64_t submitted_at;
} worker_event_t;

/* The time an event stands at on the tick clock (docs/domain.md §8): when it happened
   (occurred_at), but never later than the broker received it, so a unit whose clock is
   ahead cannot move time forward; received_at when occurred_at is unset (and
   occurred_at when received_at is). */
static inline int64_t
worker_event_time(const worker_event_t *event)
{
    int64_t occurred = event->env ? event->env->occurred_at : 0;
    if (occurred <= 0)
        return event->received_at;
    if (event->received_at <= 0)
        return occurred;
    return occurred < event->received_at ? occurred : event->received_at;
}

/* When the unit first submitted `event` (what compliance is judged on): submitted_at,
   or received_at when that is 0. */
static inline int64_t
worker_event_submitted_at(const worker_event_t *event)
{
    return event->submitted_at ? event->submitted_at : event->received_at;
}

/* Outputs of one call: FeedItems, packed. The shell owns the list. */
typedef struct worker_outputs_t worker_outputs_t;

/* Appends a copy of `item` (packed; the caller keeps `item`). feed_seq is left 0: the
   broker sets it. Returns 0 or -ENOMEM. */
int
worker_outputs_add(worker_outputs_t *out, const Dajia__FeedItem *item);

/* Number of items, and item i (packed bytes, valid until the list is cleared). */
size_t
worker_outputs_count(const worker_outputs_t *out);
const uint8_t *
worker_outputs_get(const worker_outputs_t *out, size_t i, size_t *len);

worker_outputs_t *
worker_outputs_new(void);
void
worker_outputs_clear(worker_outputs_t *out);
void
worker_outputs_destroy(worker_outputs_t **out_p);

/* Settings every core may read: thresholds, intervals and periods. A core asks with
   its own default (docs/domain.md §9); configuration may override it.
   Keys are "service/name", e.g. "escalate/value_major_fen". */
typedef struct worker_settings_t worker_settings_t;

/* An empty set (every key at its default). */
worker_settings_t *
worker_settings_new(void);
void
worker_settings_destroy(worker_settings_t **self_p);
/* Sets `key` to `value` (copied). Returns 0 or -ENOMEM. */
int
worker_settings_set(worker_settings_t *self, const char *key, const char *value);
/* Adds every key of section `service` of the ZPL file `path` as "service/key" (the
   file the broker reads: sections aggregate, escalate, circulate), then checks the
   section against worker_keys.h: an unknown key or a value of the wrong form is an error.
   A missing section is no error. Returns 0, or -1 with a sentence in `err` for the
   operator (file unreadable, or the key, its value and the accepted form; it names the
   file, which no code of dajia_error.h could). */
int
worker_settings_load(worker_settings_t *self, const char *path, const char *service, char *err,
                     size_t errlen);
/* Number of keys set, and the name of key `index` (borrowed; NULL past the end). */
size_t
worker_settings_count(const worker_settings_t *self);
const char *
worker_settings_key(const worker_settings_t *self, size_t index);
/* The value of `key` as an integer, or `fallback` when unset or not a number. */
int64_t
worker_settings_int(const worker_settings_t *self, const char *key, int64_t fallback);
/* The value of `key`, or `fallback` when unset. Borrowed. */
const char *
worker_settings_str(const worker_settings_t *self, const char *key, const char *fallback);

/* The member units and their names (docs/domain.md §2), for the words of escalations and
   bulletins. The broker gives its in-process workers its own member list (the `members`
   section of its file, else the 23 defaults); dajia-worker -c FILE reads the file's
   `members` section. Adds member `code` named `name` (both copied; `name` may be NULL
   or "": no name). Returns 0 or -ENOMEM. */
int
worker_settings_member_add(worker_settings_t *self, const char *code, const char *name);
/* Adds the units of the `members` section of the ZPL file `path` (as the broker reads
   it: a unit code per child, its `name` below it). No section adds nothing. Returns 0,
   or -1 with a sentence in `err` (file unreadable, out of memory). */
int
worker_settings_load_members(worker_settings_t *self, const char *path, char *err, size_t errlen);
/* The members added, in order, as dajia_label_member takes them, and their number; NULL
   and 0 when none were (the default 23 then apply). Borrowed from `self`. */
const dajia_member_t *
worker_settings_members(const worker_settings_t *self, size_t *count);

/* One service's core. */
typedef struct {
    const char *name; /* "aggregate", "escalate", "circulate" */
    /* Creates the core's in-memory handle (no state is read here). */
    int (*create)(const worker_settings_t *settings, void **core);
    /* Applies one event inside `txn`. Appends what it produces to `out`. */
    int (*apply)(void *core, store_txn_t *txn, const worker_event_t *event, worker_outputs_t *out);
    /* Timers fire here: everything due at or before `now_ms`. The shell's tick clock
       (docs/domain.md §8) is the events' own time while the worker catches up, and the
       broker's clock once it has caught up with the log:
       - before it applies an event, the shell ticks at the event's time (event_time
         below, else worker_event_time) when that is later than the clock, inside the
         event's transaction, so what fell due before the event fires before it is
         applied, and an in-order backlog replays exactly as it ran live;
       - on the broker's TICK (every second, sent only while the worker has answered
         every event the log holds), at the broker's clock;
       - never after an event at its receipt time.
       now_ms never goes back while the shell runs: a TICK behind the clock ticks at the
       clock. After a restart it resumes from the last time stored with an event or
       with a tick that fired something, so a core must take a tick as "everything due by
       now" and keep what it fired (a time may come twice). */
    int (*tick)(void *core, store_txn_t *txn, int64_t now_ms, worker_outputs_t *out);
    void (*destroy)(void **core);
    /* The time the shell ticks the core at before applying `event`; NULL:
       worker_event_time. A core whose moments are not the events' own times says so
       here: the circulate worker's deadlines and revisions are about when reports were
       submitted, so it gives worker_event_submitted_at (docs/domain.md §8). */
    int64_t (*event_time)(const worker_event_t *event);
} worker_service_t;

/* The three services. */
extern const worker_service_t worker_aggregate;
extern const worker_service_t worker_escalate;
extern const worker_service_t worker_circulate;

#endif
