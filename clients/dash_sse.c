/*  dash_sse: the event hub of the live pages (see dash_sse.h).

    Event `id` sits in slot id % capacity; the ring holds ids (last - capacity, last].
    Waiting is a condition variable broadcast on every publish: with a few hundred
    streams each wake-up is a thread that looks at one slot and goes back to sleep.
*/
#include "dash_sse.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    uint64_t id;
    bool office;
    char *event;
    char *data;
} s_event_t;

struct dash_sse_t {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    s_event_t *ring;
    size_t capacity;
    uint64_t last;
    bool closed;
    size_t streams;
};

dash_sse_t *
dash_sse_new(size_t capacity)
{
    dash_sse_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->capacity = capacity ? capacity : 1;
    self->ring = calloc(self->capacity, sizeof *self->ring);
    if (!self->ring) {
        free(self);
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&self->changed, &attr);
    pthread_condattr_destroy(&attr);
    return self;
}

void
dash_sse_destroy(dash_sse_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dash_sse_t *self = *self_p;
    for (size_t i = 0; i < self->capacity; i++) {
        free(self->ring[i].event);
        free(self->ring[i].data);
    }
    free(self->ring);
    pthread_cond_destroy(&self->changed);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

uint64_t
dash_sse_publish(dash_sse_t *self, bool office, const char *event, const char *data)
{
    char *e = strdup(event);
    char *d = strdup(data ? data : "{}");
    if (!e || !d) {
        free(e);
        free(d);
        return 0;
    }
    pthread_mutex_lock(&self->lock);
    uint64_t id = ++self->last;
    s_event_t *slot = &self->ring[id % self->capacity];
    free(slot->event);
    free(slot->data);
    slot->id = id;
    slot->office = office;
    slot->event = e;
    slot->data = d;
    pthread_cond_broadcast(&self->changed);
    pthread_mutex_unlock(&self->lock);
    return id;
}

uint64_t
dash_sse_last(dash_sse_t *self)
{
    pthread_mutex_lock(&self->lock);
    uint64_t last = self->last;
    pthread_mutex_unlock(&self->lock);
    return last;
}

uint64_t
dash_sse_published(dash_sse_t *self)
{
    return dash_sse_last(self);
}

int
dash_sse_next(dash_sse_t *self, uint64_t after, bool office, int timeout_ms, uint64_t *id,
              char **event, char **data)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    pthread_mutex_lock(&self->lock);
    for (;;) {
        if (self->closed) {
            rc = -ESHUTDOWN;
            break;
        }
        if (after > self->last)
            after = self->last; /* a stale id from before a restart: start from now */
        if (self->last - after > self->capacity) {
            rc = -ERANGE;
            break;
        }
        /* The first event after `after` this stream may see. */
        bool found = false;
        while (after < self->last && !found) {
            s_event_t *slot = &self->ring[(after + 1) % self->capacity];
            after++;
            if (slot->office && !office)
                continue;
            *id = slot->id;
            *event = strdup(slot->event);
            *data = strdup(slot->data);
            if (!*event || !*data) {
                free(*event);
                free(*data);
                rc = -ENOMEM;
            }
            found = true;
        }
        if (found)
            break;
        if (pthread_cond_timedwait(&self->changed, &self->lock, &deadline) == ETIMEDOUT) {
            rc = -ETIMEDOUT;
            break;
        }
    }
    pthread_mutex_unlock(&self->lock);
    return rc;
}

void
dash_sse_close(dash_sse_t *self)
{
    pthread_mutex_lock(&self->lock);
    self->closed = true;
    pthread_cond_broadcast(&self->changed);
    pthread_mutex_unlock(&self->lock);
}

void
dash_sse_join(dash_sse_t *self)
{
    pthread_mutex_lock(&self->lock);
    self->streams++;
    pthread_mutex_unlock(&self->lock);
}

void
dash_sse_leave(dash_sse_t *self)
{
    pthread_mutex_lock(&self->lock);
    if (self->streams)
        self->streams--;
    pthread_mutex_unlock(&self->lock);
}

size_t
dash_sse_streams(dash_sse_t *self)
{
    pthread_mutex_lock(&self->lock);
    size_t n = self->streams;
    pthread_mutex_unlock(&self->lock);
    return n;
}
