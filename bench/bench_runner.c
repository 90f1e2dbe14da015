/*  bench_runner: the thread that carries a share of the agents (see bench_runner.h).

    One loop: each agent sends what it may, then the thread sleeps until a reply is ready
    on one of the sockets, the next send falls due, or 100 ms pass, and reads what came.
    The wait is a ppoll on the sockets' ZMQ_FDs, to the microsecond; those signal edges,
    so each socket's ZMQ_EVENTS is asked first and again after every wakeup, as the
    libzmq manual requires.
*/
#include "bench_runner.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <zmq.h>

#define S_TURN_NS (100 * NS_PER_MS) /* the longest sleep between two turns of the loop */

struct bench_runner_t {
    bench_agent_t **agents; /* borrowed: agents[0 .. count) */
    int count;
    struct pollfd *fds; /* the agents' ZMQ_FDs, owned */
    uint64_t t_start, t_end;
    pthread_t thread;
    bool started;
};

/* Waits until a reply is ready on one of the runner's sockets, or `deadline` passes. */
static void
s_runner_wait(bench_runner_t *self, uint64_t deadline)
{
    while (!bench_clock_stopping()) {
        for (int i = 0; i < self->count; i++)
            if (bench_agent_readable(self->agents[i]))
                return;
        uint64_t now = bench_clock_now();
        if (now >= deadline)
            return;
        uint64_t left = deadline - now;
        struct timespec ts = {(time_t)(left / NS_PER_S), (long)(left % NS_PER_S)};
        if (ppoll(self->fds, (nfds_t)self->count, &ts, NULL) == 0)
            return;
    }
}

/* Drives the runner's agents until the end of the run, then waits (at most
   BENCH_DRAIN_NS) for the acks of what they sent. */
static void
s_runner_run(bench_runner_t *self)
{
    uint64_t now = bench_clock_now();
    for (int i = 0; i < self->count; i++)
        bench_agent_begin(self->agents[i], now);
    while (!bench_clock_stopping()) {
        now = bench_clock_now();
        if (now >= self->t_end)
            break;
        uint64_t wake = now + S_TURN_NS;
        if (wake > self->t_end)
            wake = self->t_end;
        for (int i = 0; i < self->count; i++) {
            bench_agent_t *a = self->agents[i];
            if (bench_agent_done(a))
                continue;
            bench_agent_send_some(a, now);
            uint64_t due = bench_agent_next_due(a);
            if (due < wake)
                wake = due;
        }
        s_runner_wait(self, wake);
        now = bench_clock_now();
        for (int i = 0; i < self->count; i++)
            if (!bench_agent_done(self->agents[i]))
                bench_agent_take_acks(self->agents[i], now);
    }
    uint64_t drain_end = bench_clock_now() + BENCH_DRAIN_NS;
    while (!bench_clock_interrupted() && (now = bench_clock_now()) < drain_end) {
        bool waiting = false;
        for (int i = 0; i < self->count; i++) {
            bench_agent_t *a = self->agents[i];
            if (bench_agent_awaits_acks(a)) {
                bench_agent_take_acks(a, now);
                waiting = waiting || bench_agent_awaits_acks(a);
            }
        }
        if (!waiting)
            break;
        s_runner_wait(self, drain_end);
    }
}

static void *
s_runner_main(void *arg)
{
    bench_runner_t *self = arg;
    bench_clock_sleep_until(self->t_start);
    s_runner_run(self);
    return NULL;
}

int
bench_runner_new(bench_agent_t **agents, int count, uint64_t t_start, uint64_t t_end,
                 bench_runner_t **out)
{
    bench_runner_t *self = calloc(1, sizeof *self);
    if (self)
        self->fds = calloc((size_t)count, sizeof *self->fds);
    if (!self || !self->fds) {
        fprintf(stderr, "dajia-bench: out of memory\n");
        goto out;
    }
    self->agents = agents;
    self->count = count;
    self->t_start = t_start;
    self->t_end = t_end;
    for (int i = 0; i < count; i++) {
        int rc = bench_agent_fd(agents[i], &self->fds[i].fd);
        if (rc != 0) {
            fprintf(stderr, "dajia-bench: ZMQ_FD: %s\n", zmq_strerror(-rc));
            goto out;
        }
        self->fds[i].events = POLLIN;
    }
    *out = self;
    return 0;
out:
    bench_runner_destroy(&self);
    return -1;
}

int
bench_runner_start(bench_runner_t *self)
{
    int rc = pthread_create(&self->thread, NULL, s_runner_main, self);
    if (rc != 0)
        return -rc;
    self->started = true;
    return 0;
}

void
bench_runner_join(bench_runner_t *self)
{
    if (!self->started)
        return;
    pthread_join(self->thread, NULL);
    self->started = false;
}

void
bench_runner_destroy(bench_runner_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bench_runner_t *self = *self_p;
    bench_runner_join(self);
    free(self->fds);
    free(self);
    *self_p = NULL;
}
