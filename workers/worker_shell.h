/*  worker_shell: connects a pure core (worker_core.h) to the broker.

    The shell owns a DEALER connected to the broker's workers ROUTER and the core's state
    store. The frames it exchanges with the broker are those of the worker protocol
    (proto/dajia_worker_protocol.h).

    Guarantee 4 lives here: the events a batch applies, the last applied log_seq and the
    outputs of each applied event are written in one transaction, so an event delivered
    again (the broker lost our DONE, or we restarted) is not applied again: its stored
    outputs are sent again instead, and the broker drops them if it has them. Outputs are
    deleted once the broker's cursor (from its heartbeats) has passed them. The tick
    clock follows the events' own times while the worker catches up and the broker's
    clock once it has caught up (worker_core.h says when the core is ticked): before an
    event whose time (the service's event_time, else worker_event_time) is past the
    clock the shell ticks the core at that time inside the
    event's transaction, so what fell due before the event fires as part of it (and is
    replayed with it), and a TICK ticks it at the broker's clock, never back in time.

    A TICK that makes outputs gets the next tick number of the service (one past the
    larger of our last one and the broker's last stored one), and the number and the
    outputs are stored in the tick's transaction, where the core records its timers as
    fired. They are sent as TICKED and kept until a broker HEARTBEAT says it has stored
    that tick; they are sent again, in order, when a registration is confirmed and when a
    heartbeat shows the broker still without ticks sent before the previous heartbeat
    (lost, or its store failed). The broker drops a tick number it has stored already.

    Heartbeats go both ways every second; three missed from the broker and the shell
    reconnects with a new socket and a new READY; a REGISTER makes it send READY at once. Events
   arriving together are applied in one transaction (one sync for many events).

    Tables in the state store, beside the core's own: "shell.state" (keys "applied",
    "tick" and "clock": u64; "clock" is stored with each batch of events and with each
    tick that fired something), "shell.outputs" (key log_seq u64: the outputs, each as u32 length +
    bytes) and "shell.ticks" (key tick number u64: the outputs, encoded alike).
*/
#ifndef WORKER_SHELL_H
#define WORKER_SHELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

#include "worker_core.h"

#define WORKER_SHELL_HEARTBEAT_MS 1000
#define WORKER_SHELL_LIVENESS     3    /* broker heartbeats missed before reconnecting */
#define WORKER_SHELL_BATCH_MAX    1024 /* events applied in one transaction at most */
#define WORKER_SHELL_TABLE_STATE  "shell.state"
#define WORKER_SHELL_TABLE_OUTPUT "shell.outputs"
#define WORKER_SHELL_TABLE_TICKS  "shell.ticks"

typedef struct worker_shell_t worker_shell_t;

typedef struct {
    const worker_service_t *service;   /* borrowed; outlives the shell */
    const worker_settings_t *settings; /* borrowed for the call; NULL: every default */
    const char *broker;                /* the broker's workers endpoint */
    const char *state_dir;             /* the state store's directory (created) */
    int heartbeat_ms;                  /* 0: WORKER_SHELL_HEARTBEAT_MS */
    /* Called once, from the thread running the shell, when the broker first confirms
       the registration. May be NULL. */
    void (*on_registered)(const char *service, void *arg);
    void *arg;
    bool verbose;           /* log each batch at debug level */
    zcert_t *cert;          /* own CURVE key pair (copied); NULL: no CURVE */
    const char *broker_key; /* the broker's public key (Z85), with `cert` */
} worker_shell_options_t;

/* Opens (creating) the state store, reads the last applied log_seq and creates the core.
   Does not connect yet. Returns 0 and sets *out, or -1 with a sentence in `err` for the
   operator (it names the state directory; dajia_error.h says why this is not a code).
   The options are copied (the strings too), except `service` and `arg`. */
int
worker_shell_new(const worker_shell_options_t *opts, worker_shell_t **out, char *err,
                 size_t errlen);

/* Connects, registers and serves until `pipe` (may be NULL) receives "$TERM" or, when
   `pipe` is NULL, until zsys_interrupted is set. Returns 0, or -1 on a fatal error
   (logged). May be called from another thread than worker_shell_new's. */
int
worker_shell_run(worker_shell_t *self, zsock_t *pipe);

/* A czmq actor running worker_shell_run(shell, pipe) on the shell passed as `args`
   (which the caller keeps and destroys after the actor). */
void
worker_shell_actor(zsock_t *pipe, void *args);

/* The last log_seq applied (and durable). */
uint64_t
worker_shell_last_applied(const worker_shell_t *self);

/* Destroys the core, closes the socket and the store. Accepts NULL, sets *self_p NULL. */
void
worker_shell_destroy(worker_shell_t **self_p);

/* The core of the service `name` ("aggregate", "escalate", "circulate"), or NULL when
   the name is unknown or that core is not built into this program (the cores are
   linked weakly, so a program links whichever cores exist). Static. */
const worker_service_t *
worker_service_find(const char *name);

#endif
