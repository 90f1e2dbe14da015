/*  bench_wire: reads one protobuf field in place (see bench_wire.h); the one walk over
    the wire format that the Ack reader and the reference server share. */
#include "bench_wire.h"

#include <errno.h>
#include <stdbool.h>

/* Reads a varint at *p (< end); returns false when there is none. */
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
bench_wire_next(const uint8_t **p, const uint8_t *end, bench_wire_field_t *field)
{
    uint64_t tag, v;
    if (!s_varint(p, end, &tag))
        return -EBADMSG;
    field->number = tag >> 3;
    field->type = (unsigned)(tag & 7);
    field->value = 0;
    field->bytes = NULL;
    field->len = 0;
    switch (field->type) {
    case 0:
        if (!s_varint(p, end, &field->value))
            return -EBADMSG;
        return 0;
    case 1:
        if (end - *p < 8)
            return -EBADMSG;
        *p += 8;
        return 0;
    case 2:
        if (!s_varint(p, end, &v) || v > (uint64_t)(end - *p))
            return -EBADMSG;
        field->bytes = *p;
        field->len = (size_t)v;
        *p += v;
        return 0;
    case 5:
        if (end - *p < 4)
            return -EBADMSG;
        *p += 4;
        return 0;
    default:
        return -EBADMSG;
    }
}
