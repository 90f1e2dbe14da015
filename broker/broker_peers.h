/*  broker_peers: bounds on what the peers of the broker's listening sockets make it hold.

    libzmq bounds each connection's queues in whole messages (the high-water marks) and
    each frame's size (ZMQ_MAXMSGSIZE), but not the frames of one message: it keeps a
    multipart message whole until its last frame, so a peer that sends frame after frame
    and never the last makes the broker keep them all. And it sets no bound on the number
    of connections. So one thread of its own watches every connection of the sockets it
    is given (the api, the workers ROUTER, both feeds):

    - Connections: it learns of each from the socket's monitor (ACCEPTED, DISCONNECTED).
      A connection past the socket's `max_connections` is shut down at once; or, on a
      socket that `evicts_idle` (the api), the connection idle the longest (no request
      for the longest time, or none at all) makes room for it: peers that hold
      connections open and do nothing cannot lock out those that work, and an idle
      honest client connects again (ZeroMQ does so by itself) when it has something to
      say.
    - Bytes held: for a tcp connection, the kernel's count of bytes received on it
      (broker_tcpinfo.h), less those libzmq has not read yet, less those the threads that
      read the socket credited as read (broker_peers_credit). A socket whose own code keeps
      what it reads (an XPUB keeps every subscription) is watched `uncredited`: all it
      received counts. Past the socket's `in_max` the connection is shut down: libzmq sees
      the end and frees what it held for it, an unfinished message included; the peer may
      connect again. A connection of another transport (ipc: local peers behind file
      permissions) counts towards max_connections but not bytes.

    The thread looks every BROKER_PEERS_CHECK_MS, so a connection can outrun in_max by
    what libzmq's io thread decodes in that time before it is closed (about 20 MB on
    loopback); the memory ceiling (README, Security) counts it once, as the io thread is
    one. Closings are logged at most every BROKER_PEERS_LOG_MS, and counted.

    Threads: broker_peers_watch runs in the thread that owns the socket, before the socket
    serves and before broker_peers_start; broker_peers_credit in any thread (atomic).
*/
#ifndef BROKER_PEERS_H
#define BROKER_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

#define BROKER_PEERS_CHECK_MS 20    /* how often every connection's bytes are looked at */
#define BROKER_PEERS_LOG_MS   10000 /* a closing is logged at most this often */
#define BROKER_PEERS_SOCKETS  8     /* sockets one guard watches */
#define BROKER_PEERS_SLACK                                                                         \
    65536                         /* bytes a connection holds beyond its messages: the             \
                                     handshake, a frame being decoded */
#define BROKER_PEERS_CURVE_MAX 33 /* bytes CURVE adds to a frame (MESSAGE, nonce, MAC) */

typedef struct broker_peers_t broker_peers_t;

/* How a watched socket is bounded. */
typedef struct {
    const char *name;       /* in logs: "the api", "the office feed" ... (static) */
    bool credited;          /* its reader credits what it reads (broker_peers_credit) */
    bool curve;             /* its peers speak CURVE (frames are larger on the wire) */
    size_t in_max;          /* bytes one connection may make it hold (0: no bound) */
    size_t max_connections; /* connections at once (0: no bound) */
    bool evicts_idle;       /* past max_connections, close the idlest, not the newest
                               (a credited socket: a credit marks a connection active) */
} broker_peers_socket_t;

/* A guard watching nothing yet. Returns 0 and sets *out, or -ENOMEM. */
int
broker_peers_new(broker_peers_t **out);

/* Stops the thread and frees the guard; accepts NULL and sets *self_p to NULL. Only
   once every socket it watches is closed: libzmq's io thread sends each socket's events
   to its monitor, and blocks when nobody reads them any more. */
void
broker_peers_destroy(broker_peers_t **self_p);

/* Watches `sock` (its monitor is started now: call it in the socket's thread, before any
   peer connects, and before broker_peers_start). `opts` is copied; `name` is kept. Sets
   *which, the socket's number for broker_peers_wire. Returns 0, -ENOSPC (too many
   sockets), -EBUSY (started already) or -errno from libzmq. */
int
broker_peers_watch(broker_peers_t *self, zsock_t *sock, const broker_peers_socket_t *opts,
                   int *which);

/* Starts the thread. Returns 0 or -errno. */
int
broker_peers_start(broker_peers_t *self);

/* The descriptor of the connection a received frame came from, or -1 (a frame libzmq
   made itself, such as a ROUTER's routing id; an inproc peer). */
int
broker_peers_fd(zmq_msg_t *frame);

/* Bytes a frame of `size` bytes took on the wire of socket `which` (ZMTP framing, and
   CURVE's when the socket speaks it). */
size_t
broker_peers_wire(const broker_peers_t *self, int which, size_t size);

/* Credits `bytes` (on the wire) as read by the broker from the connection on `fd`, and
   marks it active now. Any thread; NULL self or fd < 0 does nothing. */
void
broker_peers_credit(broker_peers_t *self, int fd, size_t bytes);

/* Connections shut down for holding too much, and refused (or evicted) for being too
   many, since the start. Any thread. */
uint64_t
broker_peers_closed(const broker_peers_t *self);
uint64_t
broker_peers_refused(const broker_peers_t *self);

#endif
