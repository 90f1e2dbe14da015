/*  broker_wakeup: a request to the kernel to wake idle CPUs quickly while the broker runs.

    Between two events the broker's threads sleep: in the poll for the next request, in
    the disk's sync. On an idle machine the CPUs then drop into idle states, and every
    one of the half a dozen wake-ups an event needs (socket, api thread, writer, sync,
    answer) pays the way out. Linux lets a process hold a PM QoS request for a bound on
    that latency (/dev/cpu_dma_latency, what tuned's latency-performance profile sets):
    while it is held, idle CPUs poll or stay in shallow states. Acks come back sooner at
    light load (measured in the README); the price is CPU time and power while idle, so
    it is off unless broker/cpu_wakeup_us asks for it.
*/
#ifndef BROKER_WAKEUP_H
#define BROKER_WAKEUP_H

#include <stdint.h>

/* The kernel's PM QoS device for the CPU wake-up latency. */
#define BROKER_WAKEUP_DEVICE "/dev/cpu_dma_latency"

/* Asks, through `device`, that CPUs wake within `us` microseconds, and holds the request
   while the returned descriptor stays open. Returns it (>= 0), or -errno with nothing
   held (-EACCES: only root may write the device, unless udev grants it). */
int
broker_wakeup_request(const char *device, int32_t us);

/* Withdraws the request: closes *fd if it holds one and sets it to -1. */
void
broker_wakeup_release(int *fd);

#endif
