/*  broker_tcpinfo: TCP_INFO, SIOCINQ and SIOCOUTQ for one descriptor (see the header).

    tcpi_bytes_received and tcpi_bytes_acked are Linux's since 4.1 and 4.2; glibc's
    <netinet/tcp.h> lacks them, hence <linux/tcp.h>. A kernel too old to fill them gives a
    shorter struct: the counts then read 0 and the callers' bounds never trigger.
*/
#include "broker_tcpinfo.h"

#include <errno.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

int
broker_tcpinfo_read(int fd, broker_tcpinfo_t *info, bool queues)
{
    memset(info, 0, sizeof *info);
    if (fd < 0)
        return -EBADF;
    struct tcp_info tcp;
    memset(&tcp, 0, sizeof tcp);
    socklen_t len = sizeof tcp;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &tcp, &len) != 0) {
        /* a socket, but not tcp (ipc): no counts, not an error */
        if (errno == EOPNOTSUPP || errno == ENOPROTOOPT)
            return 0;
        return -errno;
    }
    info->tcp = true;
    info->received = tcp.tcpi_bytes_received;
    info->acked = tcp.tcpi_bytes_acked;
    if (!queues)
        return 0;
    int inq = 0, outq = 0;
    if (ioctl(fd, SIOCINQ, &inq) != 0 || ioctl(fd, SIOCOUTQ, &outq) != 0)
        return -errno;
    info->inq = inq > 0 ? (uint32_t)inq : 0;
    info->outq = outq > 0 ? (uint32_t)outq : 0;
    return 0;
}

int
broker_tcpinfo_shutdown(int fd)
{
    int type = 0;
    socklen_t len = sizeof type;
    if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
        return fd < 0 ? -EBADF : -errno;
    /* When libzmq closes it, reset the connection rather than end it politely: the
       peer learns at once (a peer still sending would otherwise wait on a closed
       window), and the kernel drops at once what it still holds for it. */
    struct linger abort_close = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof abort_close);
    return shutdown(fd, SHUT_RDWR) == 0 ? 0 : -errno;
}
