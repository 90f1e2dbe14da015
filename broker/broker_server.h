/*  broker_server: the api socket and the loop that serves it.

    Receives requests on a ROUTER, validates events, gathers them into a batch and hands
    the batch to the writer thread; while the writer commits, the next batch gathers.
    When a batch comes back committed, every event of it is acknowledged at once. Events
    that fail validation, and STATS requests, are answered straight away. A connection
    that earns more than broker/reject_budget rejections in a second is throttled: the
    rest of its requests that second are dropped unanswered (after one notice).

    Errors: broker_server_new talks to the operator (it decides whether the broker starts),
    so it returns -1 with one sentence in `err` naming the directory, endpoint or key
    directory at fault, not a code of dajia_error.h; broker_server_run logs its own.
*/
#ifndef BROKER_SERVER_H
#define BROKER_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker_config.h"
#include "broker_dispatch.h"

typedef struct broker_server_t broker_server_t;

/* Opens the store in the configured data directory (creating the directory), starts the
   key directory's ZAP handler when broker/keys is set, binds the api endpoint and starts
   the writer. `config` is borrowed and must outlive the server.
   Returns 0 and sets *out, or -1 with a sentence in `err`. */
int
broker_server_new(broker_config_t *config, broker_server_t **out, char *err, size_t errlen);

/* Stops the writer, closes the socket and the store. Accepts NULL, sets *self_p NULL. */
void
broker_server_destroy(broker_server_t **self_p);

/* With `verbose`, every rejected event is logged (at debug level) with its reason. */
void
broker_server_set_verbose(broker_server_t *self, bool verbose);

/* `flag` (set by a SIGHUP handler; may be NULL) makes the loop re-read the key
   directory (broker/keys) and clear it. Borrowed: it must outlive the server. */
void
broker_server_set_reload_flag(broker_server_t *self, volatile sig_atomic_t *flag);

/* The endpoint actually bound (with the real port for tcp://...:*). Owned by the server. */
const char *
broker_server_endpoint(broker_server_t *self);

/* The endpoints of the dispatcher (workers, office feed, public feed) as bound.
   Owned by the server. */
const char *
broker_server_feed_endpoint(broker_server_t *self, broker_dispatch_socket_t which);

/* Serves until zsys_interrupted is set (SIGINT, SIGTERM), then finishes the batches it
   holds, acknowledges them and returns 0. Returns -1 on a fatal error (logged). */
int
broker_server_run(broker_server_t *self);

#endif
