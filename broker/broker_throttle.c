/*  broker_throttle: the per-connection reject budget (see broker_throttle.h).

    The table holds BROKER_THROTTLE_SLOTS budgets; a routing id hashes (FNV-1a, seeded
    per process so that no client can aim its ids at one window) to a window of
    BROKER_THROTTLE_PROBES slots. A slot whose second is not the current one is free:
    nothing is ever cleared, a new second simply makes every slot free at once.
    `throttle_second` remembers that some connection went over budget in the current
    second: until one does, checking a request is one comparison, no lookup.
*/
#include "broker_throttle.h"
#include "dajia_log.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One connection's rejections in one second of the monotonic clock. */
typedef struct {
    int64_t second;   /* 0: never used; another second than now: free */
    uint32_t rejects; /* rejections answered in `second` */
    uint32_t dropped; /* requests dropped in `second`, the notice included */
    uint8_t id_len;
    uint8_t id[BROKER_THROTTLE_ID_MAX];
} s_budget_t;

struct broker_throttle_t {
    uint32_t budget;         /* rejections a second per connection */
    s_budget_t *budgets;     /* BROKER_THROTTLE_SLOTS of them */
    uint64_t seed;           /* hashes routing ids */
    int64_t second;          /* the current monotonic second (never 0) */
    int64_t throttle_second; /* a connection is over budget in this second */
    dajia_log_limit_t log;   /* throttling's line (dajia_log.h) */
    uint64_t dropped;        /* requests dropped since the start */
};

int
broker_throttle_new(uint32_t budget, broker_throttle_t **out)
{
    broker_throttle_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    self->budgets = calloc(BROKER_THROTTLE_SLOTS, sizeof *self->budgets);
    if (!self->budgets) {
        free(self);
        return -ENOMEM;
    }
    self->budget = budget;
    self->seed = (uint64_t)zclock_usecs() ^ (uint64_t)(uintptr_t)self;
    self->second = 1;
    *out = self;
    return 0;
}

void
broker_throttle_destroy(broker_throttle_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->budgets);
    free(*self_p);
    *self_p = NULL;
}

uint32_t
broker_throttle_budget(const broker_throttle_t *self)
{
    return self->budget;
}

void
broker_throttle_set_now(broker_throttle_t *self, int64_t mono_ms)
{
    self->second = mono_ms / 1000 + 1;
}

uint64_t
broker_throttle_dropped(const broker_throttle_t *self)
{
    return self->dropped;
}

static uint64_t
s_hash(const broker_throttle_t *self, const uint8_t *id, size_t len)
{
    uint64_t h = 14695981039346656037ULL ^ self->seed; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= id[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

/* The budget of connection `id` in the current second, or NULL when it has none yet.
   With `create`, makes one (forgetting a free slot's past, or else the window's
   connection with the fewest rejections). NULL for an id of the wrong size too. */
static s_budget_t *
s_find(broker_throttle_t *self, const uint8_t *id, size_t len, bool create)
{
    if (len == 0 || len > BROKER_THROTTLE_ID_MAX)
        return NULL;
    uint64_t h = s_hash(self, id, len);
    s_budget_t *victim = NULL;
    for (unsigned i = 0; i < BROKER_THROTTLE_PROBES; i++) {
        s_budget_t *b = &self->budgets[(h + i) & (BROKER_THROTTLE_SLOTS - 1)];
        if (b->second != self->second) {
            if (!victim || victim->second == self->second)
                victim = b; /* a free slot beats any live one */
            continue;
        }
        if (b->id_len == len && memcmp(b->id, id, len) == 0)
            return b;
        if (!victim || (victim->second == self->second && b->rejects < victim->rejects))
            victim = b;
    }
    if (!create)
        return NULL;
    victim->second = self->second;
    victim->rejects = 0;
    victim->dropped = 0;
    victim->id_len = (uint8_t)len;
    memcpy(victim->id, id, len);
    return victim;
}

void
broker_throttle_charge(broker_throttle_t *self, const void *id, size_t len)
{
    s_budget_t *b = s_find(self, id, len, true);
    if (b && ++b->rejects >= self->budget)
        self->throttle_second = self->second;
}

broker_throttle_verdict_t
broker_throttle_check(broker_throttle_t *self, const void *id, size_t len, char *notice,
                      size_t size)
{
    if (self->throttle_second != self->second)
        return BROKER_THROTTLE_PASS; /* nobody over budget: the usual case, no lookup */
    s_budget_t *b = s_find(self, id, len, false);
    if (!b || b->rejects < self->budget)
        return BROKER_THROTTLE_PASS;
    self->dropped++;
    if (b->dropped++ > 0)
        return BROKER_THROTTLE_DROP;
    dajia_log_limited(&self->log, DAJIA_LOG_WARNING,
                      "a connection earned %" PRIu32 " rejections within a second (budget %" PRIu32
                      "); its requests are dropped for the rest of that second (%" PRIu64
                      " dropped so far)",
                      b->rejects, self->budget, self->dropped);
    snprintf(notice, size,
             "too many rejected requests from this connection (%" PRIu32
             " in one second, budget %" PRIu32 "): its requests are dropped unanswered for "
             "the rest of this second; slow down and fix the events",
             b->rejects, self->budget);
    return BROKER_THROTTLE_NOTICE;
}
