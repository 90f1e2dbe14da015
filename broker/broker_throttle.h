/*  broker_throttle: the reject budget, a bound on what one connection's rejected
    requests cost the broker.

    Each connection (ROUTER routing id) has a budget of rejections a second
    (broker/reject_budget). A connection that spends it is throttled for the rest of that
    second: its next request gets one notice saying so, and every further one that second
    is dropped, undecoded and unanswered. Dropping is what protects the broker best: a
    dropped request costs a hash lookup, and an agent sends again after its resend
    timeout anyway.

    The budget is kept in a bounded table of the connections rejected in the current
    second (open addressing, a fixed probe window): it never grows, entries of past
    seconds are free slots, and when a window is full the connection with the fewest
    rejections is forgotten. A flooder that reconnects gets a fresh routing id and a
    fresh budget: the throttle bounds the cost of each connection, it is no ban. While no
    connection is over budget, a request pays nothing for any of this (one comparison).

    Throttling is logged as a warning, rate-limited as every repeating line is
    (dajia_log_limited: the first, then a line every DAJIA_LOG_EVERY_MS with a count). One
    thread only: the api loop's.
*/
#ifndef BROKER_THROTTLE_H
#define BROKER_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define BROKER_THROTTLE_SLOTS  512 /* connections tracked per second (a power of 2) */
#define BROKER_THROTTLE_PROBES 8   /* slots one routing id may occupy */
#define BROKER_THROTTLE_ID_MAX 255 /* a ZeroMQ routing id is 1..255 bytes */

typedef struct broker_throttle_t broker_throttle_t;

/* What to do with a request, by its connection's budget. */
typedef enum {
    BROKER_THROTTLE_PASS,   /* within budget: serve it */
    BROKER_THROTTLE_NOTICE, /* over budget, the first request dropped this second: answer
                               it with the notice, and nothing else */
    BROKER_THROTTLE_DROP,   /* over budget: drop it unanswered */
} broker_throttle_verdict_t;

/* A throttle allowing `budget` (at least 1) rejections a second per connection.
   Returns 0 and sets *out, or -ENOMEM. */
int
broker_throttle_new(uint32_t budget, broker_throttle_t **out);

/* Frees the throttle; accepts NULL and sets *self_p to NULL. */
void
broker_throttle_destroy(broker_throttle_t **self_p);

/* The rejections a second each connection may earn. */
uint32_t
broker_throttle_budget(const broker_throttle_t *self);

/* Sets the time, in milliseconds of the monotonic clock (zclock_mono()): budgets are
   counted per second of it. Call it before each run of requests; an earlier second than
   the last one set is not supported. */
void
broker_throttle_set_now(broker_throttle_t *self, int64_t mono_ms);

/* Charges one rejection to the connection whose routing id is id[0 .. len). An id of
   no bytes or of more than BROKER_THROTTLE_ID_MAX is never charged. */
void
broker_throttle_charge(broker_throttle_t *self, const void *id, size_t len);

/* Judges a request of the connection id[0 .. len) (see broker_throttle_verdict_t). For
   BROKER_THROTTLE_NOTICE, writes the notice, a sentence for the client, into
   notice[0 .. size) (NUL-terminated); otherwise `notice` is left alone. */
broker_throttle_verdict_t
broker_throttle_check(broker_throttle_t *self, const void *id, size_t len, char *notice,
                      size_t size);

/* Requests dropped (the notices included) since the throttle was made. */
uint64_t
broker_throttle_dropped(const broker_throttle_t *self);

#endif
