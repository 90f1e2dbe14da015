/*  dash_follow: the dashboard's side of the broker: it follows the feed into the view,
    tells the live pages what changed, and keeps what the operations pages report.

    Two threads:
    - the follower reads the feed with office_follow (replay from the view's last
      feed_seq + 1, then live, replaying again on a gap or a quiet spell), folds each
      item into the view under the write lock, and publishes the escalations to the event
      hub at once. When the broker stops answering it marks the dashboard "not following"
      with the reason, keeps the view as it is, and connects again every second;
    - the housekeeper, every quarter of a second, tells the live pages that figures,
      bulletins or matters changed (at most twice a second each), asks the broker every
      two seconds for its counters (STATS, with a key whose role may) and its newest
      feed_seq (a REPLAY from the end), and writes the view to the state directory five
      seconds after it last changed, and at stop.

    The state directory keeps the view (dash_view_export) with the position it reached, in
    one file per audience, written to a temporary file, synced and renamed: "view.office"
    by feed_seq, "view.public_seq" by public_seq (a public reader is told no feed_seq:
    its items, replays and gaps are numbered among the public items only; an older
    dashboard's "view.public", by feed_seq, is removed and the view rebuilt). At start the view is
   read back from it and the follower replays only what came since; without it (or with a broker
   whose newest feed_seq lies below the view's: its data was replaced) the view is rebuilt from a
   replay of the whole feed.

    The pages read the view between dash_follow_read and dash_follow_done (the read lock).
*/
#ifndef DASH_FOLLOW_H
#define DASH_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

#include "dajia.pb-c.h"
#include "dash_report.h"
#include "dash_sse.h"
#include "dash_view.h"

#define DASH_FOLLOW_REASON_MAX 256

typedef struct {
    const char *api;          /* the broker's api endpoint */
    const char *feed;         /* its feed (office or public XPUB) */
    Dajia__Audience audience; /* OFFICE: every item; PUBLIC: the public ones */
    zcert_t *cert;            /* our key pair (borrowed); NULL: no CURVE */
    const char *broker_key;   /* the broker's public key (Z85) with a cert */
    bool stats;               /* the key may ask STATS (office or admin role, or no keys) */
    const char *state_dir;    /* where the view is kept; NULL: nowhere */
    int timeout_ms;           /* each wait on the broker; 0: 2000 */
    dash_sse_t *sse;          /* where changes are published (borrowed) */
    dash_report_ctx_t report; /* language and members, for the live escalation rows */
} dash_follow_options_t;

typedef struct dash_follow_t dash_follow_t;

/* Reads the kept view (if any) and starts both threads. Returns 0 and sets *out, or a
   negative code (-ENOMEM, -errno of the state directory, or -EPROTO for a kept view
   that does not decode: remove it) with a sentence in `err`. */
int
dash_follow_start(const dash_follow_options_t *options, dash_follow_t **out, char *err,
                  size_t errlen);

/* Waits up to `timeout_ms` for the first catch-up to end (caught up, or failed).
   Returns true when it has. */
bool
dash_follow_wait_first(dash_follow_t *self, int timeout_ms);

/* Stops both threads (the follower within its idle check: it also stops on SIGINT and
   SIGTERM through czmq's zsys_interrupted, which this sets), writes the view, frees
   everything. Accepts NULL; sets *self_p to NULL. */
void
dash_follow_stop(dash_follow_t **self_p);

/* The view under the read lock; release it with dash_follow_done. */
const dash_view_t *
dash_follow_read(dash_follow_t *self);
void
dash_follow_done(dash_follow_t *self);

typedef struct {
    bool up;                             /* following the broker now */
    char reason[DASH_FOLLOW_REASON_MAX]; /* when not: why */
    int64_t since_ms;                    /* when it last went up or down */
    uint64_t view_seq;                   /* the view's last feed_seq */
    uint64_t broker_feed_seq;            /* the broker's newest feed_seq (0: not known) */
    uint64_t items;                      /* feed items applied since the start */
    uint64_t reconnects;                 /* times the follower connected again */
    uint64_t saves;                      /* times the view was written */
    int64_t changed_ms;                  /* when the view last changed (0: never) */
} dash_follow_status_t;

void
dash_follow_status(dash_follow_t *self, dash_follow_status_t *status);

/* The broker's last STATS answer (JSON text, caller frees), or NULL when there is none
   (the key may not ask, or the broker has not answered). */
char *
dash_follow_stats(dash_follow_t *self);

#endif
