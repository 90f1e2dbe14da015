/*  dash_sse: the hub between the feed follower and the pages' event streams.

    The follower publishes an event (a name and a line of JSON) when the view changes:
    "escalation" (office only, with the new row), "matter" (office only), "figures",
    "bulletin" and "status" (everyone). Each open event stream (GET /events) waits here
    for the next event after the last one it sent, skipping those its session may not
    see, and writes it in the Server-Sent Events format with its id, so a browser that
    reconnects (Last-Event-ID) misses nothing the hub still holds.

    The hub keeps the last `capacity` events in a ring; a stream that falls further
    behind is told to reload its page. Thread-safe: one publisher, any number of streams,
    each on its own thread (libmicrohttpd's thread per connection).
*/
#ifndef DASH_SSE_H
#define DASH_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dash_sse_t dash_sse_t;

/* NULL when memory ran out. */
dash_sse_t *
dash_sse_new(size_t capacity);

/* Accepts NULL; sets *self_p to NULL. Call after every stream has left (dash_sse_close
   wakes them). */
void
dash_sse_destroy(dash_sse_t **self_p);

/* Publishes an event for everyone or (office) for office sessions only. Copies both
   strings. Returns its id (> 0), or 0 when memory ran out. */
uint64_t
dash_sse_publish(dash_sse_t *self, bool office, const char *event, const char *data);

/* The id of the last event published (0: none). */
uint64_t
dash_sse_last(dash_sse_t *self);

/* Waits up to `timeout_ms` for the first event after id `after` that a stream with
   (`office`) may see. Returns 0 and sets *id, *event and *data (the caller frees both);
   -ETIMEDOUT; -ERANGE when the ring no longer holds the events after `after` (reload);
   -ESHUTDOWN once the hub is closed. */
int
dash_sse_next(dash_sse_t *self, uint64_t after, bool office, int timeout_ms, uint64_t *id,
              char **event, char **data);

/* Wakes every waiting stream with -ESHUTDOWN, now and from then on. */
void
dash_sse_close(dash_sse_t *self);

/* Counts open streams (the server calls join when one opens, leave when it ends). */
void
dash_sse_join(dash_sse_t *self);
void
dash_sse_leave(dash_sse_t *self);
size_t
dash_sse_streams(dash_sse_t *self);

/* Events published since the start. */
uint64_t
dash_sse_published(dash_sse_t *self);

#endif
