/*  broker_tcpinfo: what the kernel knows of one connection's bytes.

    libzmq shows no figure of what a connection has made it hold: a multipart message is
    kept whole until its last frame, and a message waiting to be sent to a peer that does
    not read stays in its queue. The kernel counts both ends of every tcp connection,
    though (Linux's TCP_INFO): the bytes received from the peer, and the bytes the peer
    acknowledged. Compared with what the broker itself read and wrote, they tell how much
    of a connection libzmq holds. This file is the only one that asks the kernel, so that
    no other includes <linux/tcp.h> (which clashes with the <netinet/tcp.h> of czmq.h).

    A file descriptor here is the one libzmq reports for a connection (ZMQ_SRCFD, socket
    monitor events); libzmq owns it and may close it at any time, so every call copes with
    a descriptor that is closed or has become another file meanwhile.
*/
#ifndef BROKER_TCPINFO_H
#define BROKER_TCPINFO_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    bool tcp;          /* a tcp connection: the counts below are set */
    uint64_t received; /* bytes received from the peer (in order), since it connected */
    uint64_t acked;    /* bytes the peer acknowledged, since it connected */
    uint32_t inq;      /* of `received`, bytes not yet read by libzmq */
    uint32_t outq;     /* bytes written by libzmq that the peer has not acknowledged */
} broker_tcpinfo_t;

/* Fills `info` for the connection on `fd`; inq and outq only with `queues` (two more
   system calls). Returns 0 (info->tcp false for a socket of another kind, e.g. ipc), or
   -errno (-EBADF, -ENOTSOCK: no socket there now). */
int
broker_tcpinfo_read(int fd, broker_tcpinfo_t *info, bool queues);

/* Shuts the connection on `fd` down both ways (it stays open: libzmq sees the end,
   closes it and frees what it held for it, a message in the making included); the
   close then resets the connection. Only a socket is shut down. Returns 0 or -errno. */
int
broker_tcpinfo_shutdown(int fd);

#endif
