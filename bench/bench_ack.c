/*  bench_ack: reads the Ack fields the bench needs off the wire (see bench_ack.h). */
#include "bench_ack.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static bool
s_varint(const uint8_t **p, const uint8_t *end, uint64_t *value)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t byte = *(*p)++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *value = v;
            return true;
        }
    }
    return false;
}

int
bench_ack_parse(const uint8_t *data, size_t len, bench_ack_t *ack)
{
    const uint8_t *p = data, *end = data + len;
    memset(ack, 0, sizeof *ack);
    while (p < end) {
        uint64_t tag, v;
        if (!s_varint(&p, end, &tag))
            return -EBADMSG;
        uint64_t field = tag >> 3;
        switch (tag & 7) {
        case 0:
            if (!s_varint(&p, end, &v))
                return -EBADMSG;
            if (field == 2)
                ack->status = v;
            else if (field == 4)
                ack->reason = v;
            break;
        case 1:
            if (end - p < 8)
                return -EBADMSG;
            p += 8;
            break;
        case 2:
            if (!s_varint(&p, end, &v) || v > (uint64_t)(end - p))
                return -EBADMSG;
            if (field == 1) {
                ack->event_id = p;
                ack->event_id_len = (size_t)v;
            } else if (field == 5) {
                ack->reason_text = p;
                ack->reason_text_len = (size_t)v;
            }
            p += v;
            break;
        case 5:
            if (end - p < 4)
                return -EBADMSG;
            p += 4;
            break;
        default:
            return -EBADMSG;
        }
    }
    return 0;
}
