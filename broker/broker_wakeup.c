/*  broker_wakeup: a PM QoS request for the CPU wake-up latency. */
#include "broker_wakeup.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int
broker_wakeup_request(const char *device, int32_t us)
{
    if (!device || us < 0)
        return -EINVAL;
    int fd = open(device, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    /* The device takes the bound as a binary 32-bit number of microseconds. */
    ssize_t n;
    do
        n = write(fd, &us, sizeof us);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof us) {
        int rc = n < 0 ? -errno : -EIO;
        close(fd);
        return rc;
    }
    return fd;
}

void
broker_wakeup_release(int *fd)
{
    if (fd && *fd >= 0) {
        close(*fd); /* closing withdraws the request */
        *fd = -1;
    }
}
