/*  tsan_zmq: tells ThreadSanitizer that a ZeroMQ message orders the threads it passes
    between. Linked into every program of a `DAJIA_SANITIZE=thread` build, never into
    another.

    Our threads hand data to each other through ZeroMQ: a batch pointer to the writer,
    the events to the in-process workers, an actor's start and stop. libzmq does the
    ordering inside its lock-free pipes, but it is not built with TSan, so TSan sees none
    of it and reports every hand-off as a race. These wrappers interpose the send and
    receive calls (ours and czmq's reach libzmq through the same symbols): a send
    releases, a receive that got something acquires. That is the ordering ZeroMQ gives,
    slightly stronger (TSan now orders any send before any later receive, on any socket),
    which can hide a race only between threads that also talk over ZeroMQ.
*/
#include <dlfcn.h>
#include <stddef.h>

void
__tsan_acquire(void *addr);
void
__tsan_release(void *addr);

/* The one address every hand-off is released on and acquired from. */
static char s_zmq_order;

typedef int(s_msg_fn)(void *msg, void *socket, int flags);
typedef int(s_buf_fn)(void *socket, void *buf, size_t len, int flags);

/* The real functions, looked up once before main() (before any thread). */
static struct {
    s_msg_fn *zmq_msg_send, *zmq_msg_recv;
    s_buf_fn *zmq_send, *zmq_send_const, *zmq_recv;
} s_real;

__attribute__((constructor)) static void
s_init(void)
{
    s_real.zmq_msg_send = (s_msg_fn *)dlsym(RTLD_NEXT, "zmq_msg_send");
    s_real.zmq_msg_recv = (s_msg_fn *)dlsym(RTLD_NEXT, "zmq_msg_recv");
    s_real.zmq_send = (s_buf_fn *)dlsym(RTLD_NEXT, "zmq_send");
    s_real.zmq_send_const = (s_buf_fn *)dlsym(RTLD_NEXT, "zmq_send_const");
    s_real.zmq_recv = (s_buf_fn *)dlsym(RTLD_NEXT, "zmq_recv");
}

int
zmq_msg_send(void *msg, void *socket, int flags)
{
    s_msg_fn *real = s_real.zmq_msg_send;
    __tsan_release(&s_zmq_order);
    return real(msg, socket, flags);
}

int
zmq_msg_recv(void *msg, void *socket, int flags)
{
    s_msg_fn *real = s_real.zmq_msg_recv;
    int rc = real(msg, socket, flags);
    if (rc >= 0)
        __tsan_acquire(&s_zmq_order);
    return rc;
}

int
zmq_sendmsg(void *socket, void *msg, int flags)
{
    return zmq_msg_send(msg, socket, flags);
}

int
zmq_recvmsg(void *socket, void *msg, int flags)
{
    return zmq_msg_recv(msg, socket, flags);
}

int
zmq_send(void *socket, const void *buf, size_t len, int flags)
{
    s_buf_fn *real = s_real.zmq_send;
    __tsan_release(&s_zmq_order);
    return real(socket, (void *)buf, len, flags);
}

int
zmq_send_const(void *socket, const void *buf, size_t len, int flags)
{
    s_buf_fn *real = s_real.zmq_send_const;
    __tsan_release(&s_zmq_order);
    return real(socket, (void *)buf, len, flags);
}

int
zmq_recv(void *socket, void *buf, size_t len, int flags)
{
    s_buf_fn *real = s_real.zmq_recv;
    int rc = real(socket, buf, len, flags);
    if (rc >= 0)
        __tsan_acquire(&s_zmq_order);
    return rc;
}
