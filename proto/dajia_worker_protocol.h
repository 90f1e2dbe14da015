/*  dajia_worker_protocol: what the broker's dispatcher and a worker's shell say to each
    other (header only): the commands, the frames that follow each, and how numbers
    travel.

    The broker binds a ROUTER (its workers endpoint); each worker connects a DEALER. Each
    message is the command frame, then the frames below; u64 is a number as 8 bytes,
    big-endian (worker_u64_put, worker_u64_get):

      worker -> broker  READY      service name, last applied log_seq (u64)
                        DONE       log_seq (u64), the event's outputs: FeedItem packed ...
                        TICKED     tick number (u64), the outputs of that timer tick:
                                   FeedItem packed ...
                        HEARTBEAT
      broker -> worker  EVENT      LogRecord packed, as the log holds it (dajia_tables.h)
                        TICK       now_ms (u64), the broker's clock (dajia_clock); sent
                                   only to the service's active worker while it has
                                   answered every event the log holds, so the broker's
                                   clock never runs ahead of events still to apply
                                   (the tick clock: workers/worker_core.h)
                        HEARTBEAT  [the service's cursor (u64) [last tick stored (u64)]]:
                                   the broker has stored every DONE up to the cursor and
                                   the outputs of every tick up to the tick number; the
                                   first one answers READY
                        REGISTER   the answer to a HEARTBEAT from a connection the broker
                                   does not know (it restarted, or closed the connection
                                   when keys were withdrawn): send READY again

    Both ends send a HEARTBEAT once a heartbeat interval (a second by default); three
    missed and the other end is taken for gone. Tick numbers start at 1 and follow one
    another per service. What the two ends promise each other with these frames (an
    event applied once, outputs stored before they are pruned) is written where it is
    kept: workers/worker_shell.h for the worker, broker/broker_dispatch.h for the broker.

    Change rule: the frames of a command keep their order and meaning. Only the optional
    numbers at the end of the broker's HEARTBEAT show how a command may grow: new frames
    at the end, optional, so that an older peer reads what it knows. DONE and TICKED end
    with their outputs, so nothing may follow those. A new command is a new word: either
    end ignores a command it does not know. The numbers' encoding is this header's own
    and does not follow the store's.
*/
#ifndef DAJIA_WORKER_PROTOCOL_H
#define DAJIA_WORKER_PROTOCOL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <czmq.h>

/* Worker -> broker. */
#define WORKER_CMD_READY     "READY"  /* service name, last applied log_seq */
#define WORKER_CMD_DONE      "DONE"   /* log_seq, outputs... */
#define WORKER_CMD_TICKED    "TICKED" /* tick number, outputs... */
/* Broker -> worker. */
#define WORKER_CMD_EVENT     "EVENT"    /* log record */
#define WORKER_CMD_TICK      "TICK"     /* now_ms, the broker's clock */
#define WORKER_CMD_REGISTER  "REGISTER" /* the broker does not know this connection */
/* Both ways. */
#define WORKER_CMD_HEARTBEAT "HEARTBEAT"

#define WORKER_U64_SIZE 8 /* bytes of a number frame */

/* Writes `value` as a number frame's 8 bytes, big-endian. */
static inline void
worker_u64_put(uint64_t value, uint8_t out[WORKER_U64_SIZE])
{
    for (int i = WORKER_U64_SIZE - 1; i >= 0; i--) {
        out[i] = (uint8_t)value;
        value >>= 8;
    }
}

/* Reads the 8 big-endian bytes of a number frame. */
static inline uint64_t
worker_u64_get(const uint8_t in[WORKER_U64_SIZE])
{
    uint64_t value = 0;
    for (int i = 0; i < WORKER_U64_SIZE; i++)
        value = value << 8 | in[i];
    return value;
}

/* Is `frame` the command `command`? NULL is no command. */
static inline bool
worker_frame_is(zframe_t *frame, const char *command)
{
    return frame && zframe_streq(frame, command);
}

/* Reads a number frame; false for NULL or any other size. */
static inline bool
worker_frame_u64(zframe_t *frame, uint64_t *value)
{
    if (!frame || zframe_size(frame) != WORKER_U64_SIZE)
        return false;
    *value = worker_u64_get(zframe_data(frame));
    return true;
}

/* Sends `command` as a frame on the raw socket `sock` (zmq_send's flags). */
static inline int
worker_send_command(void *sock, const char *command, int flags)
{
    return zmq_send(sock, command, strlen(command), flags);
}

#endif
