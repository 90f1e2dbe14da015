/*  broker_handshake: logs the connections a CURVE socket of the broker refuses before
    they reach the ZAP handler (broker_auth): a client with no key at all (it speaks
    plaintext where the endpoint wants CURVE), a client holding another broker's public
    key (its handshake does not decrypt), or something that does not speak ZeroMQ. Such a
    client is dropped by libzmq during the handshake, so without this the broker would
    say nothing while the client waits for an answer. broker_auth logs the keys ZAP
    refuses (unknown, revoked, wrong role); this module logs the rest.

    It reads each watched socket's monitor events (zmq_socket_monitor) in a thread of its
    own. The peer address is read with getpeername() on the file descriptor of the
    ACCEPTED event; libzmq reports that event asynchronously, so when the handshake has
    already failed and the connection is closed by the time the thread reads it, the
    address is unknown and the line says so.

    Rate: the first refusal on a socket is logged at once; the refusals in the `every_ms`
    after it are counted and logged as one line at the end of that period (with the
    reasons and the last address), and so on while they keep coming; after a quiet period
    the next refusal is logged at once again.
*/
#ifndef BROKER_HANDSHAKE_H
#define BROKER_HANDSHAKE_H

#include <stdint.h>

typedef struct broker_handshake_t broker_handshake_t;

/* Starts the watcher thread, logging counts every `every_ms` (> 0). Returns 0 and sets
 *out (broker_handshake_destroy), or -ENOMEM, -EINVAL. */
int
broker_handshake_new(int64_t every_ms, broker_handshake_t **out);

/* Watches `sock` (a zsock_t or a libzmq socket, a CURVE server) from now on; `what`
   names it in the log ("the api"; copied). Call from the thread that owns the socket,
   before binding it. Safe to call from several threads. Returns 0 or -errno. The watch
   ends when the socket is closed. */
int
broker_handshake_watch(broker_handshake_t *self, void *sock, const char *what);

/* Refused handshakes seen since the start, on every watched socket. */
uint64_t
broker_handshake_refused(broker_handshake_t *self);

/* Logs the counts not logged yet, stops the thread, frees everything. Call after the
   watched sockets are closed: libzmq reports their closing on the monitor with a blocking
   send, so the thread reads on until each monitor has stopped (for up to a few seconds).
   Accepts NULL and sets *self_p to NULL. */
void
broker_handshake_destroy(broker_handshake_t **self_p);

#endif
