/*  dajia_api: the contract of the broker's api socket and of its two feeds (header only).

    The broker's api is a ZeroMQ ROUTER; a client is a DEALER (or REQ). Every request and
    every reply is exactly DAJIA_API_FRAMES frames: a command word, then a body, both as
    below. The bodies are messages of dajia.proto, packed, unless said otherwise.

      request            body                 reply    body
      SUBMIT             Envelope             ACK      Ack: ACCEPTED (with log_seq),
                                                       DUPLICATE (the first log_seq) or
                                                       REJECTED (reason, reason_text)
      STATS              ignored (send "")    STATS    the broker's counters, JSON text
      REPLAY             ReplayRequest        FEED     FeedBatch; a refused replay is a
                                                       FeedBatch with its reason set
      HELLO              ignored (send "")    HELLO    Hello: the store's identity and its
                                                       last log_seq (an agent asks before
                                                       it sends; an older broker answers
                                                       ACK REJECTED, UNKNOWN_COMMAND)

    Any request the broker refuses before it knows what to answer with (no command, an
    unknown one, a wrong number of frames for SUBMIT, a role that may not send it, a
    revoked key) is answered ACK with status REJECTED and a reason. A connection over its
    reject budget gets one such ACK a second and no answer to the rest. Answers may come
    in another order than the requests (a rejection goes at once, an acceptance after
    its group commit): a client matches an ACK to its SUBMIT by event_id.

    The feeds are XPUB sockets: the office feed carries every item, the public feed the
    items of audience PUBLIC. Each message is DAJIA_FEED_FRAMES frames: the topic, then a packed
    FeedItem with feed_seq and service set. The topic follows the item's case
    (DAJIA_TOPIC_*), so a subscriber can take one kind only; "" subscribes to all. A
    reader that missed items asks the api for them again with REPLAY.

    Change rule: the words, the frame counts and the topics are the wire; a new command
    is a new word (an old broker answers it ACK REJECTED, UNKNOWN_COMMAND), and the bodies
    change only as dajia.proto allows (fields added, never renumbered or retyped).
*/
#ifndef DAJIA_API_H
#define DAJIA_API_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Requests (client -> broker): the first frame. */
#define DAJIA_API_SUBMIT "SUBMIT" /* body: a packed Envelope; answered ACK */
#define DAJIA_API_STATS  "STATS"  /* body: ignored, clients send ""; answered STATS */
#define DAJIA_API_REPLAY "REPLAY" /* body: a packed ReplayRequest; answered FEED */
#define DAJIA_API_HELLO  "HELLO"  /* body: ignored, clients send ""; answered HELLO */

/* Replies (broker -> client): the first frame. */
#define DAJIA_API_ACK         "ACK"   /* body: a packed Ack */
#define DAJIA_API_STATS_REPLY "STATS" /* body: the counters as a JSON object (text) */
#define DAJIA_API_FEED        "FEED"  /* body: a packed FeedBatch */
#define DAJIA_API_HELLO_REPLY "HELLO" /* body: a packed Hello */

/* Frames of every api request and reply: the command word and its body. */
#define DAJIA_API_FRAMES 2

/* Topics of the feeds (first frame of each message), one per FeedItem case. */
#define DAJIA_TOPIC_ESCALATION "escalation" /* FeedItem.escalation (Escalation) */
#define DAJIA_TOPIC_AGGREGATE  "aggregate"  /* FeedItem.aggregate (AggregateUpdate) */
#define DAJIA_TOPIC_BULLETIN   "bulletin"   /* FeedItem.bulletin (Bulletin) */
#define DAJIA_TOPIC_MATTER     "matter"     /* FeedItem.matter (MatterLine) */
#define DAJIA_TOPIC_COMPLIANCE "compliance" /* FeedItem.compliance (ComplianceUpdate) */
#define DAJIA_TOPIC_NOTICE     "notice"     /* FeedItem.notice (UnitNotice): office feed only */

/* Frames of every feed message: the topic and a packed FeedItem. */
#define DAJIA_FEED_FRAMES 2

/* The length of one of the words above, without its NUL (for zmq_send). */
#define DAJIA_API_LEN(word) (sizeof(word) - 1)

/* Is the frame of `size` bytes at `data` the word `word` (one of the above)? */
static inline bool
dajia_api_word_is(const void *data, size_t size, const char *word)
{
    size_t len = strlen(word);
    return size == len && memcmp(data, word, len) == 0;
}

#endif
