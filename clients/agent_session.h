/*  agent_session: sends what waits in the outbox to the broker until every event has an
    answer.

    Up to `window` events are in flight at once, taken from the outbox in submission
    order. Acks are matched by event_id; each group of acks that arrive together is
    settled in the outbox with one durable write: ACCEPTED and DUPLICATE forget the
    event, REJECTED moves it to the rejected table. An event with no answer after
    `resend_ms` is sent again (the broker dedups, so a resend is always safe); so is one
    the broker could not store (REASON_STORAGE_UNAVAILABLE). The session ends when the
    outbox is empty, when the broker has settled nothing for `timeout_ms`, or when the
    process is interrupted (SIGINT/SIGTERM, through czmq's zsys_interrupted).

    Before it sends an event it asks the broker which store it serves (HELLO, answered
    with the store's identity and its last log_seq) and hands that to the outbox
    (agent_outbox_check_store): when the store is not the one that acknowledged the
    events the outbox keeps (restored from a backup), they wait again and go first, in
    their original order. An older broker, which does not know HELLO, is not checked.
    With nothing waiting the session still asks, when events are kept, but waits for the
    answer AGENT_SESSION_HELLO_IDLE_MS at most.

    A refusal that names no event cannot settle anything; it is counted (the event it
    was about stays waiting and is resent). One that says the unit is not a member ends
    the session at once: no event of the unit can be stored until the broker's
    configuration changes, and they all stay safely in the outbox.
*/
#ifndef AGENT_SESSION_H
#define AGENT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

#include "agent_outbox.h"

#define AGENT_SESSION_WINDOW_MAX    65536
#define AGENT_SESSION_PROGRESS_MS   100 /* at most this often to on_progress */
#define AGENT_SESSION_TEXT_MAX      256
#define AGENT_SESSION_HELLO_IDLE_MS 5000 /* nothing waits: the store check waits this long */

typedef struct {
    uint64_t total;               /* events waiting when the session began, and kept events
                                     that waited again (store_changed) */
    uint64_t sent;                /* events sent at least once */
    uint64_t accepted;            /* stored now by the broker */
    uint64_t duplicates;          /* the broker had them already */
    uint64_t rejected;            /* refused by the broker, now in the rejected table */
    uint64_t waiting;             /* still in the outbox (set when the session ends) */
    bool timed_out;               /* gave up after timeout_ms without an answer */
    bool interrupted;             /* stopped by a signal */
    bool unit_unknown;            /* stopped: the broker said the unit is not a member */
    uint64_t storage_unavailable; /* answers "could not store now" (REASON_STORAGE_UNAVAILABLE):
                                     the events stay and are sent again */
    bool store_changed;           /* the broker's store went back (restored): the kept
                                     events waited again and were sent */
    uint64_t requeued;            /* how many kept events that made wait again */
    bool store_unchecked;         /* the broker does not answer HELLO (an older one) */
    uint64_t unmatched;           /* refusals that named no event (so none could be settled) */
    int unmatched_reason;         /* the last of those: its Dajia__Reason and text */
    char unmatched_text[AGENT_SESSION_TEXT_MAX];
} agent_session_report_t;

typedef void(agent_session_progress_fn)(const agent_session_report_t *report, void *arg);
typedef void(agent_session_reject_fn)(const char *event_id, int reason, const char *text,
                                      void *arg);

typedef struct {
    const char *endpoint;                   /* the broker's api endpoint */
    size_t window;                          /* events in flight, 1 .. AGENT_SESSION_WINDOW_MAX */
    int64_t timeout_ms;                     /* give up after this long without progress; 0: do
                                               not send at all */
    int64_t resend_ms;                      /* resend an event unanswered for this long */
    agent_session_progress_fn *on_progress; /* may be NULL */
    agent_session_reject_fn *on_reject;     /* each broker rejection; may be NULL */
    void *arg;                              /* passed to both callbacks */
    bool verbose;                           /* log each resend and odd reply (debug lines) */
    zcert_t *cert;                          /* own CURVE key pair, borrowed; NULL: no CURVE */
    const char *broker_key;                 /* the broker's public key (Z85), with `cert` */
} agent_session_options_t;

/* Runs a session over `outbox` and fills `report`. Returns 0 when it ended normally
   (report->waiting says whether everything was settled), -EINVAL for a bad endpoint or
   option, DAJIA_KEYDIR_REFUSED when the broker refused `cert`, DAJIA_KEYDIR_HANDSHAKE when
   the handshake failed otherwise (a wrong broker key), -ENOMEM, or an outbox/store code when the
   outbox could not be read or written (events then stay where they were: nothing is lost). */
int
agent_session_run(agent_outbox_t *outbox, const agent_session_options_t *options,
                  agent_session_report_t *report);

#endif
