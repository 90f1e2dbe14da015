/*  office_follow: reading a broker feed without missing an item (the Clone pattern).

    A follower subscribes to the feed's XPUB endpoint first, then asks the api socket for
    what it missed (["REPLAY", ReplayRequest] -> ["FEED", FeedBatch], again while `more`)
    from its last feed_seq + 1, then follows the live items: an item it already has is
    dropped, the next one is delivered, and a jump in feed_seq (a gap: items lost in
    flight, or published while the subscription was still being set up) makes it replay
    again before going on. When no live item comes for a while it also replays, which
    finds items published before the subscription took effect and notices a broker that
    has gone away. Every item is delivered once, in feed_seq order.

    The last delivered feed_seq is kept in a file in the state directory, and it moves
    with each item: before `fn` is given an item, the item's feed_seq is written to a
    temporary file (synced for a live item and at the end of each replayed batch), and
    the moment `fn` returns one rename(2) makes it the position. A follower that is
    restarted, or killed (SIGKILL, a crash) and started again, goes on where it stopped:
    an item is delivered again only if the process died after `fn` had done its part and
    before that one system call, and never is one skipped. A caller whose output can be
    read back (a regular file) closes even that window: dajia-office watch checks, for
    the first item it would print, whether its output already ends with that item.

    A follower of the public feed goes by public_seq instead (its items carry no
    feed_seq: dajia.proto, FeedItem), which has no gaps: its position, its replays and
    its gaps are all in public numbers, and say nothing of the office items.

    Every wait on the broker is bounded by `timeout_ms`: no answer is OFFICE_FOLLOW_TIMEOUT.
    Sockets belong to the thread that created the follower.
*/
#ifndef OFFICE_FOLLOW_H
#define OFFICE_FOLLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "dajia.pb-c.h"

/* The OFFICE_FOLLOW_* codes (-31400 ..): TIMEOUT (the broker did not answer in time),
   REFUSED (it refused the replay: see the error text), PROTO (its answer does not
   decode), STATE (the state file holds no feed_seq). */
#include "dajia_error.h"

#define OFFICE_FOLLOW_TIMEOUT_MS    5000
#define OFFICE_FOLLOW_IDLE_CHECK_MS 2000
#define OFFICE_FOLLOW_STATE_FILE    "feed_seq"

/* What to do with a live item that carries feed_seq `seq` when the last delivered one
   was `last`. */
typedef enum {
    OFFICE_FOLLOW_DROP, /* had it already */
    OFFICE_FOLLOW_NEXT, /* the very next one: deliver */
    OFFICE_FOLLOW_GAP,  /* items are missing before it: replay */
} office_follow_verdict_t;

office_follow_verdict_t
office_follow_judge(uint64_t last, uint64_t seq);

/* Receives each new item, in feed_seq order; `item` is borrowed for the call. Returns 0
   to go on, 1 to stop (the item counts as delivered), or a negative code to abort (the
   item does not count). */
typedef int(office_follow_fn)(const Dajia__FeedItem *item, void *arg);

typedef struct {
    const char *api;          /* the broker's api endpoint (required) */
    const char *feed;         /* its XPUB endpoint; NULL: replay only (no run) */
    Dajia__Audience audience; /* what replay asks for (OFFICE: every item) */
    const char *unit;         /* UNIT: whose notices (a unit's key reads its own); else NULL */
    const char *state_dir;    /* where feed_seq is kept (created); NULL: nowhere */
    uint64_t from_seq;        /* with no state kept yet: the first item wanted (0 and 1:
                                 from the start) */
    int timeout_ms;           /* 0: OFFICE_FOLLOW_TIMEOUT_MS */
    int idle_check_ms;        /* 0: OFFICE_FOLLOW_IDLE_CHECK_MS */
    uint32_t batch;           /* items per replay request; 0: the broker's default */
    /* Connects each socket (a zsock_t: the DEALER to `api`, the SUB to `feed`), e.g. as a
       CURVE client; NULL: zsock_connect. Returns 0 or a negative code, which
       office_follow_new returns. */
    int (*connect)(void *sock, const char *endpoint, void *arg);
    void *connect_arg;
} office_follow_options_t;

typedef struct office_follow_t office_follow_t;

/* Creates a follower: reads the state (if any), connects to the api and subscribes to
   the feed. Returns 0 and sets *out, -EINVAL for a bad option or endpoint, a code of
   options->connect,
   OFFICE_FOLLOW_STATE for a state file that holds no number, or -errno (state directory,
   sockets). */
int
office_follow_new(const office_follow_options_t *options, office_follow_t **out);

/* Replays from the last feed_seq + 1 until the broker has no more. Returns 0 when caught
   up, 1 when `fn` asked to stop, or a negative code (OFFICE_FOLLOW_*, -errno, or what
   `fn` returned). */
int
office_follow_catch_up(office_follow_t *self, office_follow_fn *fn, void *arg);

/* Catches up, then follows the live feed until `fn` asks to stop (returns 1) or the
   process is interrupted (SIGINT/SIGTERM through czmq's zsys_interrupted; returns 0).
   Negative codes as for catch_up. Needs a feed endpoint (-EINVAL otherwise). */
int
office_follow_run(office_follow_t *self, office_follow_fn *fn, void *arg);

/* The last delivered feed_seq (0: none). */
uint64_t
office_follow_last(const office_follow_t *self);

/* A sentence about the last failure (the broker's own text for a refusal). Owned by the
   follower, valid until the next call on it. */
const char *
office_follow_error(const office_follow_t *self);

/* Reads the feed_seq kept in `state_dir` into *seq (0 when no file yet). Returns 0,
   OFFICE_FOLLOW_STATE or -errno. */
int
office_follow_state_load(const char *state_dir, uint64_t *seq);

/* Keeps `seq` in `state_dir` (atomically, synced). Returns 0 or -errno. */
int
office_follow_state_save(const char *state_dir, uint64_t seq);

/* Accepts NULL; sets *self_p to NULL. */
void
office_follow_destroy(office_follow_t **self_p);

#endif
