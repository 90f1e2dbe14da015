/*  broker_replay: REPLAY answered off the api thread, one at a time per connection.

    A replay reads the feed log (broker_feed.h) and builds an answer of up to a megabyte;
    the api thread must not: it answers every SUBMIT. So the api thread judges a REPLAY
    (its frames, the role's right to the audience, the gate below), hands it to the replay
    thread and goes on; the replay thread reads the feed in a short read transaction, and
    hands the packed FeedBatch back; the api thread sends it (ZeroMQ sockets are one
    thread's: only the api thread touches the api ROUTER).

    Budget: the replay thread serves each connection at most `budget` REPLAYs a second
    (broker/replay_budget, counted with a broker_throttle); one that finds its connection's
    budget spent waits, in the thread, for the next second. Waiting instead of refusing
    keeps an honest reader that catches up in a hurry working: it is only slowed.

    Gate, one REPLAY in flight per connection: from the moment the api thread hands a
    REPLAY over until the answer has left the broker. On tcp that is when the peer's
    kernel has acknowledged the answer's bytes (TCP_INFO: broker_tcpinfo.h), so a peer
    that asks and never reads holds one answer in the broker, not a queue of them; a
    REPLAY it sends meanwhile is refused (broker_replay_admit says BUSY: the api thread
    answers it refused and charges the reject budget). An honest reader reads each
    answer before it asks again and never meets the gate. On ipc (local peers, behind
    file permissions) and inproc the answer leaves the gate when it is handed to libzmq.

    Threads: everything but the thread itself is the api thread's.
*/
#ifndef BROKER_REPLAY_H
#define BROKER_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "dajia.pb-c.h"
#include "broker_feed.h"
#include "store.h"

#define BROKER_REPLAY_NICE 5 /* the replay thread yields the CPU to the others */

typedef struct broker_replay_t broker_replay_t;

typedef enum {
    BROKER_REPLAY_GO,   /* the connection has no REPLAY in flight: hand it over */
    BROKER_REPLAY_BUSY, /* its previous answer has not left the broker yet: refuse */
} broker_replay_verdict_t;

/* A REPLAY the api thread judged: what to read, and for whom. */
typedef struct {
    uint64_t from;
    uint32_t max;
    Dajia__Audience audience;        /* OFFICE only for a peer that may read office items */
    int fd;                          /* the connection's descriptor (broker_peers_fd), or -1 */
    char unit[BROKER_FEED_UNIT_MAX]; /* UNIT: whose items (a unit the peer may read) */
} broker_replay_request_t;

/* Judges the REPLAY `req` of a peer: with `auth` (the api socket has keys), `role` and
   `peer_unit` are those of its certificate (broker_auth.h). Who reads what:
       OFFICE   the office role: every item, by feed_seq
       PUBLIC   (and any other audience asked) the unit, office and dashboard roles:
                public items, by public_seq
       UNIT     a unit's certificate: its own unit's items (req->unit empty or its own),
                by unit_seq; the office role: any unit's, named in req->unit
   Role "local" may do everything; without keys every peer may, and a UNIT reader names
   its unit. Fills `job` (all but fd) and returns 0, or returns the refusal's reason
   (REASON_FORBIDDEN, REASON_MALFORMED for a UNIT request naming no unit) with a
   sentence in `text`. */
Dajia__Reason
broker_replay_judge(bool auth, const char *role, const char *peer_unit,
                    const Dajia__ReplayRequest *req, broker_replay_request_t *job, char *text,
                    size_t textlen);

/* An answer the replay thread gave back. */
typedef struct {
    zmq_msg_t routing; /* the peer's routing id: the caller sends or closes it */
    zmq_msg_t body;    /* the packed FeedBatch: likewise */
    int fd;
    size_t items;
    uint64_t id_hash; /* the gate's */
    uint64_t written; /* the gate's: bytes the connection had written before it */
    bool tcp;         /* the gate's: written is known (a tcp connection) */
} broker_replay_answer_t;

/* Starts the replay thread over `store` (borrowed: it must outlive the thread), serving
   each connection at most `budget` REPLAYs a second (0: no limit). Returns 0 and sets
   *out, or a negative code. */
int
broker_replay_start(store_t *store, uint32_t budget, broker_replay_t **out);

/* Stops the thread (what it holds is dropped unanswered) and frees everything; accepts
   NULL and sets *self_p to NULL. */
void
broker_replay_destroy(broker_replay_t **self_p);

/* The socket to poll for answers (ZMQ_POLLIN). */
void *
broker_replay_handle(broker_replay_t *self);

/* The gate: may the connection on `fd` (-1: none known), with routing id `id`, have a
   REPLAY served now? GO marks it in flight. */
broker_replay_verdict_t
broker_replay_admit(broker_replay_t *self, const void *id, size_t id_len, int fd);

/* Hands an admitted REPLAY to the thread; takes `routing` (moved, whatever the result).
   Returns 0, or -errno when it could not (the gate is then opened again). */
int
broker_replay_submit(broker_replay_t *self, zmq_msg_t *routing, const broker_replay_request_t *req);

/* Takes one answer from the thread, without waiting. Returns 0 and fills `answer` (its
   messages the caller's), or -EAGAIN when none waits. */
int
broker_replay_take(broker_replay_t *self, broker_replay_answer_t *answer);

/* Tells the gate what became of an answer taken: `sent` (handed to the api socket,
   `bytes` long), or not (the peer is gone or its queue is full: it may ask again). */
void
broker_replay_sent(broker_replay_t *self, const broker_replay_answer_t *answer, bool sent,
                   size_t bytes);

/* REPLAYs that waited for their connection's next second, since the start. Any thread. */
uint64_t
broker_replay_waited(const broker_replay_t *self);

#endif
