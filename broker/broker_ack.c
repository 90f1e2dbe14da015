/*  broker_ack: the Ack of an accepted or duplicate event, packed by hand (see the
    header). Its bytes follow the protobuf encoding of dajia.proto's Ack: a key byte
    (field number << 3 | wire type) before each field that is not zero, varints for the
    numbers (an int64 as its two's complement, ten bytes when negative), a length before
    the string. tests/unit/test_broker_ack.c compares them with protobuf-c's.
*/
#include "broker_ack.h"

#include <string.h>

#define S_VARINT_MAX 10 /* bytes of the longest varint */

/* Appends `v` as a varint at `p`; returns the byte after it. */
static uint8_t *
s_varint_put(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

size_t
broker_ack_pack_plain(uint8_t *buf, size_t cap, const char *event_id, Dajia__AckStatus status,
                      uint64_t log_seq, int64_t received_at)
{
    size_t id_len = strlen(event_id);
    /* the id, its key and length, and three keyed varints at most */
    if (cap < id_len + 4 * (1 + S_VARINT_MAX))
        return 0;
    uint8_t *p = buf;
    if (id_len) {
        *p++ = 0x0a; /* 1: event_id, length-delimited */
        p = s_varint_put(p, id_len);
        memcpy(p, event_id, id_len);
        p += id_len;
    }
    if (status) {
        *p++ = 0x10; /* 2: status, varint */
        p = s_varint_put(p, (uint64_t)status);
    }
    if (log_seq) {
        *p++ = 0x18; /* 3: log_seq, varint */
        p = s_varint_put(p, log_seq);
    }
    if (received_at) {
        *p++ = 0x30; /* 6: received_at, varint */
        p = s_varint_put(p, (uint64_t)received_at);
    }
    return (size_t)(p - buf);
}
