/*  worker_protocol: the commands the broker's dispatcher and a worker's shell exchange,
    and the two frame readers both ends use (header only; broker_dispatch.h describes the
    frames that follow each command). Numbers travel as 8-byte frames in the store's key
    encoding (big-endian).
*/
#ifndef WORKER_PROTOCOL_H
#define WORKER_PROTOCOL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <czmq.h>

#include "store.h"

/* Worker -> broker. */
#define WORKER_CMD_READY     "READY"  /* service name, last applied log_seq */
#define WORKER_CMD_DONE      "DONE"   /* log_seq, outputs... */
#define WORKER_CMD_TICKED    "TICKED" /* tick number, outputs... */
/* Broker -> worker. */
#define WORKER_CMD_EVENT     "EVENT"    /* log record */
#define WORKER_CMD_TICK      "TICK"     /* tick number (the broker's clock, ms) */
#define WORKER_CMD_REGISTER  "REGISTER" /* the broker does not know this connection */
/* Both ways. */
#define WORKER_CMD_HEARTBEAT "HEARTBEAT"

/* Is `frame` the command `command`? NULL is no command. */
static inline bool
worker_frame_is(zframe_t *frame, const char *command)
{
    return frame && zframe_streq(frame, command);
}

/* Reads an 8-byte number frame; false for NULL or any other size. */
static inline bool
worker_frame_u64(zframe_t *frame, uint64_t *value)
{
    if (!frame || zframe_size(frame) != 8)
        return false;
    *value = store_key_to_u64(zframe_data(frame));
    return true;
}

/* Sends `command` as a frame on the raw socket `sock` (zmq_send's flags). */
static inline int
worker_send_command(void *sock, const char *command, int flags)
{
    return zmq_send(sock, command, strlen(command), flags);
}

#endif
