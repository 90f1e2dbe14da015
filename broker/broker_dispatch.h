/*  broker_dispatch: hands the stored events to the workers and publishes what they make.

    A thread of its own with its own sockets: the workers ROUTER and the office and public
    XPUBs. It reads the log with read transactions, delivers each service's events in log
    order to that service's active worker (a window of them in flight), and when workers
    answer DONE or TICKED it stores their outputs in the feed log and advances the
    service's durable cursor in one transaction, then publishes the items. The frames
    are those of the worker protocol (proto/dajia_worker_protocol.h).

    Cursor table "cursor" (its layout: proto/dajia_tables.h): key the service name, value
    the last log_seq whose DONE was stored, advanced contiguously. After a restart, or when a worker
    dies (3 missed heartbeats) and a standby takes over, delivery starts again at
    min(cursor, the worker's last applied) + 1: events are delivered at least once and the
    worker applies each once (guarantee 4). A DONE for a seq at or below the cursor is
    counted but its outputs are already stored and are dropped.

    Tick outputs: a worker numbers each tick that made outputs (TICKED carries the
    number) and keeps them until told they are stored. Key "<service>.tick" of the cursor
    table holds the last tick number stored, written in the transaction that stores its
    outputs; a TICKED at or below it is dropped, one past the next is dropped until the
    one due is sent again. HEARTBEAT carries the cursor and that tick number.

    Revocation: with `auth`, the thread watches broker_auth_withdrawn(); when keys are
    taken away it closes every connection of its tcp endpoints (unbinds and binds them
    again, same port) so each peer shows its key again, and forgets the registered
    workers, whose in-flight events go out again when they register anew.

    Threads: broker_dispatch_start, _notify and _destroy must be called from one thread
    (the api thread); everything else runs in the dispatch thread.
*/
#ifndef BROKER_DISPATCH_H
#define BROKER_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

#include "broker_auth.h"
#include "store.h"

#define BROKER_DISPATCH_WINDOW       1024 /* events in flight per worker */
#define BROKER_DISPATCH_HEARTBEAT_MS 1000
#define BROKER_DISPATCH_LIVENESS     3 /* heartbeats missed before a worker is dead */

typedef struct broker_dispatch_t broker_dispatch_t;

typedef enum {
    BROKER_DISPATCH_WORKERS,
    BROKER_DISPATCH_OFFICE,
    BROKER_DISPATCH_PUBLIC,
} broker_dispatch_socket_t;

typedef struct {
    store_t *store;              /* the broker's store; borrowed, outlives the dispatcher */
    uint64_t last_log_seq;       /* newest log_seq when the dispatcher starts */
    const char *workers;         /* endpoint to bind for the workers (ROUTER) */
    const char *office;          /* endpoint to bind for the office feed (XPUB) */
    const char *public_feed;     /* endpoint to bind for the public feed (XPUB) */
    const char *const *services; /* NULL-terminated names; NULL: the three services */
    unsigned window;             /* 0: BROKER_DISPATCH_WINDOW */
    int heartbeat_ms;            /* 0: BROKER_DISPATCH_HEARTBEAT_MS */
    broker_auth_t *auth;         /* borrowed, outlives the dispatcher; NULL: no CURVE (see
                                    broker_guard_listen), no revocation watch */
    bool insecure;               /* broker/insecure: open endpoints nobody guards (with a
                                    warning) instead of refusing them (broker_guard.h) */
    /* The owner's bounds (broker_server: queues, sizes, broker_peers). NULL: none.
       prepare: called in broker_dispatch_start for each socket once made, before it
       listens; returns 0 or -1 with a sentence in err. on_read: called in the dispatch
       thread for each message read from the workers socket. */
    int (*prepare)(zsock_t *sock, broker_dispatch_socket_t which, const char *endpoint, void *arg,
                   char *err, size_t errlen);
    void (*on_read)(zmsg_t *msg, void *arg);
    void *arg;
} broker_dispatch_options_t;

/* Reads the cursors, binds the three endpoints and starts the thread. Returns 0 and
   sets *out, or -1 with a sentence in `err` for the operator, as broker_guard_listen.
   `opts` is borrowed for the call. */
int
broker_dispatch_start(const broker_dispatch_options_t *opts, broker_dispatch_t **out, char *err,
                      size_t errlen);

/* Tells the dispatcher the log now holds events up to `last_log_seq` (call after each
   committed batch). Cheap: one atomic store, and a wake-up only when none is pending. */
void
broker_dispatch_notify(broker_dispatch_t *self, uint64_t last_log_seq);

/* Each worker service's name and durable cursor (the last log_seq whose DONE was
   stored), as the dispatch thread last stored it: any thread may call this (the cursors
   are atomics; the names do not change once started). Fills at most `max` of each;
   returns how many. A NULL dispatcher has none. Names are owned by the dispatcher. */
size_t
broker_dispatch_cursors(broker_dispatch_t *self, const char **names, uint64_t *cursors, size_t max);

/* The endpoint actually bound (real port for tcp://...:*). Owned by the dispatcher. */
const char *
broker_dispatch_endpoint(broker_dispatch_t *self, broker_dispatch_socket_t which);

/* Stops the thread (outputs already received are stored first) and closes its sockets.
   Accepts NULL and sets *self_p to NULL. */
void
broker_dispatch_destroy(broker_dispatch_t **self_p);

#endif
