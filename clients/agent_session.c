/*  agent_session: the agent's send/ack loop. See agent_session.h for the contract.

    The window is a fixed array of slots, each on exactly one list:
      free      unused
      pending   loaded from the outbox, not sent yet (submission order)
      inflight  sent, waiting for an answer (oldest send first, so the head is always
                the next event due for a resend)
      settling  answered, waiting for the outbox write that settles the group
    A hash maps event_id to its slot. One turn of the loop: load free slots from the
    outbox, send (resends first), poll, drain every answer that is ready into one batch,
    write the batch, release the slots. The socket is a DEALER with ZMQ_IMMEDIATE, so
    nothing queues towards a broker that is not there: a send that would block marks the
    session blocked and the poll waits for POLLOUT, i.e. for the connection.

    Nothing is loaded or sent before the broker has said which store it serves (HELLO):
    the outbox may then put kept events back, and they must go before what waits now.
*/
#include "agent_session.h"
#include "dajia_log.h"

#include <czmq.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dajia_api.h"
#include "dajia_codec.h"
#include "dajia_keydir.h"

#define S_NONE             UINT32_MAX
#define S_IDLE_POLL_MS     1000
#define S_RECONNECT_IVL_MS 100
#define S_HWM_SLACK        64
#define S_HANDSHAKE_MS     5000 /* longest wait for the broker to admit our key */

typedef enum { S_FREE, S_PENDING, S_INFLIGHT, S_SETTLING } s_state_t;

typedef struct {
    s_state_t state;
    uint32_t prev, next; /* links in the slot's list */
    uint64_t seq;        /* local seq in the outbox */
    char event_id[AGENT_OUTBOX_MAX_ID + 1];
    unsigned char *data; /* the packed Envelope, reused between events */
    size_t len, cap;
    int64_t sent_at; /* monotonic ms of the last send */
    bool sent_once;
    bool resent;       /* sent again for want of an answer, and still unanswered */
    int status;        /* while settling: the Dajia__AckStatus */
    int reason;        /* while settling a rejection */
    char *reason_text; /* idem, owned */
} s_slot_t;

typedef struct {
    uint32_t head, tail;
    size_t count;
} s_list_t;

typedef struct {
    agent_outbox_t *outbox;
    const agent_session_options_t *opts;
    agent_session_report_t *report;
    zsock_t *sock;
    void *handle; /* the libzmq socket inside sock */
    s_slot_t *slots;
    size_t nslots;
    s_list_t free_list, pending, inflight, settling;
    zhash_t *ids; /* event_id -> s_slot_t * */
    agent_outbox_batch_t *batch;
    uint64_t last_loaded; /* highest local seq taken into the window */
    bool more;            /* the outbox may hold events past it */
    bool blocked;         /* a send would have blocked: wait for POLLOUT */
    size_t retrying;      /* slots in flight that were resent (slot->resent) */
    uint32_t *overdue;    /* nslots entries: the slots a resend turn sends, by seq */
    bool hello_wait;      /* HELLO asked, not answered yet: nothing else is sent */
    int64_t hello_sent;   /* monotonic ms of the last HELLO; 0: not sent yet */
    int64_t last_answer;  /* monotonic ms of the last settled group */
    int64_t last_progress;
} s_session_t;

/* ====================================================================== lists */

static void
s_list_init(s_list_t *list)
{
    list->head = list->tail = S_NONE;
    list->count = 0;
}

static void
s_list_push(s_session_t *s, s_list_t *list, uint32_t i, s_state_t state)
{
    s_slot_t *slot = &s->slots[i];
    slot->state = state;
    slot->next = S_NONE;
    slot->prev = list->tail;
    if (list->tail != S_NONE)
        s->slots[list->tail].next = i;
    else
        list->head = i;
    list->tail = i;
    list->count++;
}

static void
s_list_remove(s_session_t *s, s_list_t *list, uint32_t i)
{
    s_slot_t *slot = &s->slots[i];
    if (slot->prev != S_NONE)
        s->slots[slot->prev].next = slot->next;
    else
        list->head = slot->next;
    if (slot->next != S_NONE)
        s->slots[slot->next].prev = slot->prev;
    else
        list->tail = slot->prev;
    slot->prev = slot->next = S_NONE;
    list->count--;
}

static s_list_t *
s_list_of(s_session_t *s, const s_slot_t *slot)
{
    switch (slot->state) {
    case S_PENDING:
        return &s->pending;
    case S_INFLIGHT:
        return &s->inflight;
    case S_SETTLING:
        return &s->settling;
    default:
        return &s->free_list;
    }
}

static void
s_move(s_session_t *s, uint32_t i, s_list_t *to, s_state_t state)
{
    s_slot_t *slot = &s->slots[i];
    if (slot->resent && state != S_INFLIGHT) {
        slot->resent = false;
        s->retrying--;
    }
    s_list_remove(s, s_list_of(s, slot), i);
    s_list_push(s, to, i, state);
}

static uint32_t
s_index(const s_session_t *s, const s_slot_t *slot)
{
    return (uint32_t)(slot - s->slots);
}

/* ====================================================================== loading */

static int
s_load_one(uint64_t seq, const char *event_id, const void *data, size_t len, void *arg)
{
    s_session_t *s = arg;
    if (s->free_list.count == 0) {
        s->more = true;
        return 1;
    }
    uint32_t i = s->free_list.head;
    s_slot_t *slot = &s->slots[i];
    if (len > slot->cap) {
        unsigned char *buf = realloc(slot->data, len);
        if (!buf)
            return -ENOMEM;
        slot->data = buf;
        slot->cap = len;
    }
    if (len)
        memcpy(slot->data, data, len);
    slot->len = len;
    slot->seq = seq;
    snprintf(slot->event_id, sizeof slot->event_id, "%s", event_id);
    slot->sent_at = 0;
    slot->sent_once = false;
    s->last_loaded = seq;
    if (zhash_insert(s->ids, slot->event_id, slot) != 0)
        return -ENOMEM; /* ids are unique in the outbox: only memory can fail */
    s_move(s, i, &s->pending, S_PENDING);
    return 0;
}

static int
s_load(s_session_t *s)
{
    if (!s->more || s->free_list.count == 0)
        return 0;
    s->more = false;
    return agent_outbox_walk(s->outbox, s->last_loaded, s_load_one, s);
}

/* ====================================================================== sending */

/* Sends one SUBMIT without blocking. Returns 0, or -1 when it would block. */
static int
s_send(s_session_t *s, const s_slot_t *slot)
{
    if (zmq_send(s->handle, DAJIA_API_SUBMIT, DAJIA_API_LEN(DAJIA_API_SUBMIT),
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    /* Once the first frame is accepted the rest of the message cannot hit the HWM. */
    if (zmq_send(s->handle, slot->data, slot->len, ZMQ_DONTWAIT) < 0) {
        if (s->opts->verbose)
            dajia_log_debug("send of %s failed: %s", slot->event_id, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

/* Asks the broker which store it serves, again after resend_ms without an answer. */
static void
s_send_hello(s_session_t *s, int64_t now)
{
    if (s->hello_sent && now - s->hello_sent < s->opts->resend_ms)
        return;
    if (zmq_send(s->handle, DAJIA_API_HELLO, DAJIA_API_LEN(DAJIA_API_HELLO),
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        s->blocked = true;
        return;
    }
    zmq_send(s->handle, "", 0, ZMQ_DONTWAIT);
    s->hello_sent = now;
}

/* The unit's order (docs/domain.md §4.2, "Order"): the events in flight whose answer is
   overdue are resent first, oldest (lowest outbox seq) first, and nothing new is sent
   while a resent event waits for its answer: a broker that lost them (killed, restarted)
   then stores them before the events that follow them, as far as the agent can tell.
   What it cannot tell (a newer event the restarted broker took before the older one was
   found overdue) the workers order by the events' unit_seq. */
static void
s_send_all(s_session_t *s, int64_t now)
{
    size_t n = 0;
    for (uint32_t i = s->inflight.head; i != S_NONE; i = s->slots[i].next) {
        if (s->slots[i].sent_at + s->opts->resend_ms > now)
            break; /* the list is in send order: the rest were sent later */
        s->overdue[n++] = i;
    }
    /* Insertion sort by seq: the list is in send order, which is seq order but for the
       events resent before, so it is nearly sorted already. */
    for (size_t k = 1; k < n; k++) {
        uint32_t v = s->overdue[k];
        size_t j = k;
        for (; j > 0 && s->slots[s->overdue[j - 1]].seq > s->slots[v].seq; j--)
            s->overdue[j] = s->overdue[j - 1];
        s->overdue[j] = v;
    }
    for (size_t k = 0; k < n && !s->blocked; k++) {
        uint32_t i = s->overdue[k];
        s_slot_t *slot = &s->slots[i];
        if (s_send(s, slot) != 0) {
            s->blocked = true;
            break;
        }
        if (s->opts->verbose)
            dajia_log_debug("resent %s (no answer for %lld ms)", slot->event_id,
                            (long long)(now - slot->sent_at));
        slot->sent_at = now;
        if (!slot->resent) {
            slot->resent = true;
            s->retrying++;
        }
        s_move(s, i, &s->inflight, S_INFLIGHT);
    }
    while (!s->blocked && s->retrying == 0 && s->pending.head != S_NONE) {
        uint32_t i = s->pending.head;
        s_slot_t *slot = &s->slots[i];
        if (s_send(s, slot) != 0) {
            s->blocked = true;
            break;
        }
        slot->sent_at = now;
        if (!slot->sent_once) {
            slot->sent_once = true;
            s->report->sent++;
        }
        s_move(s, i, &s->inflight, S_INFLIGHT);
    }
}

/* ====================================================================== answers */

/* An answer that names no event. It cannot settle anything (the event it was about
   stays in flight and is resent), but it is kept for the report, and an unknown unit
   ends the session: nothing of this unit can be stored. */
static void
s_on_unmatched(s_session_t *s, const Dajia__Ack *ack)
{
    if (ack->status != DAJIA__ACK_STATUS__ACK_STATUS_REJECTED)
        return;
    /* An older broker's answer to a HELLO sent again, after its first refusal: the agent
       sends no other word such a broker does not know, so no event was refused. */
    if (!s->hello_wait && s->report->store_unchecked &&
        ack->reason == DAJIA__REASON__REASON_UNKNOWN_COMMAND)
        return;
    if (s->hello_wait) {
        /* The refusal of the HELLO (an older broker does not know it), or of the
           connection: either way no store to check; the events get their own answers. */
        s->hello_wait = false;
        s->report->store_unchecked = true;
        if (ack->reason == DAJIA__REASON__REASON_UNKNOWN_COMMAND) {
            if (s->opts->verbose)
                dajia_log_debug("the broker does not answer %s: its store is not checked",
                                DAJIA_API_HELLO);
            return;
        }
    }
    if (ack->reason == DAJIA__REASON__REASON_STORAGE_UNAVAILABLE) {
        s->report->storage_unavailable++;
        return;
    }
    agent_session_report_t *r = s->report;
    r->unmatched++;
    r->unmatched_reason = ack->reason;
    snprintf(r->unmatched_text, sizeof r->unmatched_text, "%s",
             ack->reason_text[0] ? ack->reason_text : dajia_reason_text(ack->reason));
    if (s->opts->verbose)
        dajia_log_debug("the broker refused an event without naming it: %s: %s",
                        dajia_reason_name(ack->reason), r->unmatched_text);
    if (ack->reason == DAJIA__REASON__REASON_UNKNOWN_UNIT)
        r->unit_unknown = true;
}

static int
s_on_ack(s_session_t *s, const void *data, size_t len, int64_t now)
{
    Dajia__Ack *ack = dajia__ack__unpack(NULL, len, data);
    if (!ack) {
        dajia_log_warning_limited(
            "the broker sent an ack that does not decode (%zu bytes); ignored", len);
        return 0;
    }
    int rc = 0;
    if (!ack->event_id[0]) {
        s_on_unmatched(s, ack);
        goto out;
    }
    s_slot_t *slot = zhash_lookup(s->ids, ack->event_id);
    if (!slot || slot->state != S_INFLIGHT) {
        /* A second answer for a resent event. */
        if (s->opts->verbose)
            dajia_log_debug("extra answer for %s ignored", ack->event_id);
        goto out;
    }
    uint32_t i = s_index(s, slot);
    switch (ack->status) {
    case DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED:
    case DAJIA__ACK_STATUS__ACK_STATUS_DUPLICATE:
        /* Kept for a while: a restored broker may need it again (agent_outbox.h). */
        rc = agent_outbox_batch_stored(s->batch, slot->event_id, ack->log_seq, zclock_time());
        break;
    case DAJIA__ACK_STATUS__ACK_STATUS_REJECTED:
        if (ack->reason == DAJIA__REASON__REASON_STORAGE_UNAVAILABLE) {
            /* Not a verdict on the event: the broker could not write. Try again later. */
            s->report->storage_unavailable++;
            if (s->opts->verbose)
                dajia_log_debug("%s: broker storage unavailable, will resend", slot->event_id);
            slot->sent_at = now;
            s_move(s, i, &s->inflight, S_INFLIGHT);
            goto out;
        }
        {
            agent_rejection_t r = {
                .event_id = slot->event_id,
                .source = "",
                .reason = ack->reason,
                .text = ack->reason_text[0] ? ack->reason_text : dajia_reason_text(ack->reason),
                .at_ms = zclock_time(),
                .original_kind = AGENT_ORIGINAL_ENVELOPE,
                .original = slot->data,
                .original_len = slot->len,
            };
            slot->reason_text = strdup(r.text);
            if (!slot->reason_text) {
                rc = -ENOMEM;
                goto out;
            }
            rc = agent_outbox_batch_done(s->batch, slot->event_id);
            if (rc == 0)
                rc = agent_outbox_batch_reject(s->batch, &r);
        }
        break;
    default:
        dajia_log_warning_limited("the broker answered %s with status %d; ignored", slot->event_id,
                                  (int)ack->status);
        goto out;
    }
    if (rc)
        goto out;
    slot->status = ack->status;
    slot->reason = ack->reason;
    s_move(s, i, &s->settling, S_SETTLING);
out:
    dajia__ack__free_unpacked(ack, NULL);
    return rc;
}

/* The broker's store: the outbox compares it with the one that acknowledged the events
   it keeps, and puts them back when it changed. Then the events go. */
static int
s_on_hello(s_session_t *s, const void *data, size_t len)
{
    if (!s->hello_wait)
        return 0; /* the answer to a HELLO sent again */
    Dajia__Hello *hello = dajia__hello__unpack(NULL, len, data);
    if (!hello) {
        dajia_log_warning_limited("the broker sent a %s that does not decode (%zu bytes); ignored",
                                  DAJIA_API_HELLO_REPLY, len);
        return 0;
    }
    agent_outbox_store_check_t check;
    int rc = agent_outbox_check_store(s->outbox, hello->store_id, hello->last_log_seq, &check);
    if (rc == -EINVAL) {
        dajia_log_warning_limited("the broker's store identity is too long; not checked");
        s->report->store_unchecked = true;
        rc = 0;
    } else if (rc == 0 && check.changed) {
        s->report->store_changed = true;
        s->report->requeued += check.requeued;
        s->report->total += check.requeued;
        if (s->opts->verbose)
            dajia_log_debug("the broker's store %s (log through %llu) is not the one that "
                            "acknowledged the events kept here: %llu wait again",
                            hello->store_id, (unsigned long long)hello->last_log_seq,
                            (unsigned long long)check.requeued);
    }
    dajia__hello__free_unpacked(hello, NULL);
    if (rc == 0) {
        s->hello_wait = false;
        s->more = true;
        s->last_loaded = 0;
    }
    return rc;
}

/* Receives every reply that is ready, without blocking. */
static int
s_drain(s_session_t *s, int64_t now)
{
    int rc = 0;
    zmq_msg_t cmd, body;
    zmq_msg_init(&cmd);
    zmq_msg_init(&body);
    while (rc == 0) {
        if (zmq_msg_recv(&cmd, s->handle, ZMQ_DONTWAIT) < 0)
            break; /* EAGAIN (nothing more) or EINTR (checked by caller) */
        int frames = 1;
        if (zmq_msg_more(&cmd)) {
            /* The rest of a multipart message is already here: these do not block. */
            if (zmq_msg_recv(&body, s->handle, 0) < 0)
                break;
            frames++;
            bool more = zmq_msg_more(&body);
            while (more) {
                zmq_msg_t extra;
                zmq_msg_init(&extra);
                int got = zmq_msg_recv(&extra, s->handle, 0);
                more = got >= 0 && zmq_msg_more(&extra);
                zmq_msg_close(&extra);
                frames++;
            }
        }
        if (frames != DAJIA_API_FRAMES) {
            dajia_log_warning_limited("the broker sent a reply of %d frames, not %d; ignored",
                                      frames, DAJIA_API_FRAMES);
            continue;
        }
        if (dajia_api_word_is(zmq_msg_data(&cmd), zmq_msg_size(&cmd), DAJIA_API_ACK))
            rc = s_on_ack(s, zmq_msg_data(&body), zmq_msg_size(&body), now);
        else if (dajia_api_word_is(zmq_msg_data(&cmd), zmq_msg_size(&cmd), DAJIA_API_HELLO_REPLY))
            rc = s_on_hello(s, zmq_msg_data(&body), zmq_msg_size(&body));
        else if (s->opts->verbose)
            dajia_log_debug("unexpected reply of %zu bytes ignored", zmq_msg_size(&cmd));
    }
    zmq_msg_close(&cmd);
    zmq_msg_close(&body);
    return rc;
}

/* Writes the settled group to the outbox and releases its slots. */
static int
s_settle(s_session_t *s, int64_t now)
{
    if (s->settling.count == 0)
        return 0;
    int rc = agent_outbox_apply(s->outbox, s->batch, NULL);
    if (rc)
        return rc;
    agent_outbox_batch_clear(s->batch);
    while (s->settling.head != S_NONE) {
        uint32_t i = s->settling.head;
        s_slot_t *slot = &s->slots[i];
        if (slot->status == DAJIA__ACK_STATUS__ACK_STATUS_ACCEPTED)
            s->report->accepted++;
        else if (slot->status == DAJIA__ACK_STATUS__ACK_STATUS_DUPLICATE)
            s->report->duplicates++;
        else {
            s->report->rejected++;
            if (s->opts->on_reject)
                s->opts->on_reject(slot->event_id, slot->reason, slot->reason_text, s->opts->arg);
        }
        free(slot->reason_text);
        slot->reason_text = NULL;
        zhash_delete(s->ids, slot->event_id);
        s_move(s, i, &s->free_list, S_FREE);
    }
    s->last_answer = now;
    return 0;
}

/* ====================================================================== the loop */

static int
s_connect(s_session_t *s)
{
    s->sock = zsock_new(ZMQ_DEALER);
    if (!s->sock)
        return -ENOMEM;
    int hwm = (int)(2 * s->nslots + S_HWM_SLACK);
    zsock_set_linger(s->sock, 0);
    zsock_set_sndhwm(s->sock, hwm);
    zsock_set_rcvhwm(s->sock, hwm);
    zsock_set_immediate(s->sock, 1);
    zsock_set_reconnect_ivl(s->sock, S_RECONNECT_IVL_MS);
    zsock_set_reconnect_ivl_max(s->sock, 0);
    /* A reply bigger than any ack is not from a broker; do not buffer it. */
    zsock_set_maxmsgsize(s->sock, DAJIA_MAX_MESSAGE);
    s->handle = zsock_resolve(s->sock);
    if (!s->opts->cert)
        return zsock_connect(s->sock, "%s", s->opts->endpoint) != 0 ? -EINVAL : 0;
    int rc = dajia_keydir_apply(s->sock, s->opts->cert, s->opts->broker_key);
    if (rc)
        return rc;
    /* Wait for the handshake so that a refused key is an error, not a silent wait. No
       answer in time (the broker is down): the socket keeps trying, the outbox waits. */
    int64_t wait = s->opts->timeout_ms < S_HANDSHAKE_MS ? s->opts->timeout_ms : S_HANDSHAKE_MS;
    rc = dajia_keydir_connect(s->sock, s->opts->endpoint, (int)wait);
    return rc == -ETIMEDOUT || rc == -EINTR ? 0 : rc;
}

/* How long the session waits without an answer: with nothing waiting, only the store
   check is at stake, and a broker that is not there must not hold the agent long. */
static int64_t
s_give_up_ms(const s_session_t *s)
{
    if (s->hello_wait && s->report->total == 0 && s->opts->timeout_ms > AGENT_SESSION_HELLO_IDLE_MS)
        return AGENT_SESSION_HELLO_IDLE_MS;
    return s->opts->timeout_ms;
}

static int64_t
s_poll_timeout(const s_session_t *s, int64_t now)
{
    int64_t wait = s->opts->on_progress ? AGENT_SESSION_PROGRESS_MS : S_IDLE_POLL_MS;
    int64_t give_up = s->last_answer + s_give_up_ms(s) - now;
    if (give_up < wait)
        wait = give_up;
    if (!s->blocked && s->inflight.head != S_NONE) {
        int64_t due = s->slots[s->inflight.head].sent_at + s->opts->resend_ms - now;
        if (due < wait)
            wait = due;
    }
    if (!s->blocked && s->hello_wait) {
        int64_t due = s->hello_sent + s->opts->resend_ms - now;
        if (due < wait)
            wait = due;
    }
    return wait < 0 ? 0 : wait;
}

static int
s_loop(s_session_t *s)
{
    int rc = 0;
    while (rc == 0) {
        if (zsys_interrupted) {
            s->report->interrupted = true;
            break;
        }
        if (s->report->unit_unknown)
            break;
        int64_t now = zclock_mono();
        if (s->hello_wait)
            s_send_hello(s, now);
        else {
            rc = s_load(s);
            if (rc)
                break;
            if (s->pending.count + s->inflight.count + s->settling.count == 0 && !s->more)
                break; /* everything answered */
            s_send_all(s, now);
        }

        zmq_pollitem_t item = {s->handle, 0, ZMQ_POLLIN | (s->blocked ? ZMQ_POLLOUT : 0), 0};
        int n = zmq_poll(&item, 1, (long)s_poll_timeout(s, now));
        if (n < 0 && errno != EINTR) {
            dajia_log_error("poll on %s failed: %s", s->opts->endpoint, zmq_strerror(errno));
            rc = -errno;
            break;
        }
        now = zclock_mono();
        if (n > 0 && (item.revents & ZMQ_POLLOUT))
            s->blocked = false;
        if (n > 0 && (item.revents & ZMQ_POLLIN))
            rc = s_drain(s, now);
        if (rc == 0)
            rc = s_settle(s, now);
        if (rc)
            break;
        if (s->opts->on_progress && now - s->last_progress >= AGENT_SESSION_PROGRESS_MS) {
            s->last_progress = now;
            s->opts->on_progress(s->report, s->opts->arg);
        }
        if (now - s->last_answer >= s_give_up_ms(s)) {
            s->report->timed_out = true;
            break;
        }
    }
    return rc;
}

int
agent_session_run(agent_outbox_t *outbox, const agent_session_options_t *options,
                  agent_session_report_t *report)
{
    memset(report, 0, sizeof *report);
    if (!options->endpoint || options->window == 0 || options->window > AGENT_SESSION_WINDOW_MAX ||
        options->timeout_ms < 0 || options->resend_ms <= 0)
        return -EINVAL;
    s_session_t s = {
        .outbox = outbox,
        .opts = options,
        .report = report,
        .nslots = options->window,
        .more = true,
        .hello_wait = true,
    };
    uint64_t kept = 0;
    int rc = agent_outbox_counts(outbox, &report->total, NULL);
    if (rc == 0)
        rc = agent_outbox_kept(outbox, &kept);
    if (rc)
        return rc;
    /* Nothing waits and nothing is kept: nothing a broker could need. */
    if ((report->total == 0 && kept == 0) || options->timeout_ms == 0) {
        report->waiting = report->total;
        return 0;
    }
    s_list_init(&s.free_list);
    s_list_init(&s.pending);
    s_list_init(&s.inflight);
    s_list_init(&s.settling);
    s.slots = calloc(s.nslots, sizeof(s_slot_t));
    s.overdue = calloc(s.nslots, sizeof *s.overdue);
    s.ids = zhash_new();
    s.batch = agent_outbox_batch_new();
    if (!s.slots || !s.overdue || !s.ids || !s.batch) {
        rc = -ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < s.nslots; i++)
        s_list_push(&s, &s.free_list, i, S_FREE);
    rc = s_connect(&s);
    if (rc)
        goto out;
    s.last_answer = s.last_progress = zclock_mono();
    rc = s_loop(&s);
out:
    zsock_destroy(&s.sock);
    if (s.slots)
        for (size_t i = 0; i < s.nslots; i++) {
            free(s.slots[i].data);
            free(s.slots[i].reason_text);
        }
    free(s.slots);
    free(s.overdue);
    zhash_destroy(&s.ids);
    agent_outbox_batch_destroy(&s.batch);
    int count_rc = agent_outbox_counts(outbox, &report->waiting, NULL);
    return rc ? rc : count_rc;
}
