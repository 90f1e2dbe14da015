/*  broker_ack: the Ack of an accepted or duplicate event, packed without protobuf-c.

    Every event the broker keeps is answered with an Ack that carries no reason: its
    event_id, its status, its log_seq and when it was received. Packing it through
    protobuf-c walks the message's descriptor twice (size, then pack) for each event;
    broker_ack_pack_plain writes the same bytes directly (fields in order, proto3's zero
    values left out). Refusals, which carry a reason and its text, still go through
    protobuf-c (broker_server.c).
*/
#ifndef DAJIA_BROKER_ACK_H
#define DAJIA_BROKER_ACK_H

#include <stddef.h>
#include <stdint.h>

#include "dajia.pb-c.h"

/* Packs Ack{event_id, status, log_seq, received_at} (reason NONE, no reason_text) into
   `buf` of `cap` bytes: the bytes dajia__ack__pack makes of it. Returns their number,
   or 0 when they might not fit in `cap` (the caller packs with protobuf-c) or when
   every field is zero (an empty message). `event_id` is borrowed. */
size_t
broker_ack_pack_plain(uint8_t *buf, size_t cap, const char *event_id, Dajia__AckStatus status,
                      uint64_t log_seq, int64_t received_at);

#endif
