/*  bench_wire: one field of a protobuf message read in place, for the bench's two readers
    off the wire (the Ack in bench_ack, the envelope's event_id in the reference server).
    Neither may pay for a protobuf-c unpack per message, so both walk the fields with this
    and keep only those they need.
*/
#ifndef BENCH_WIRE_H
#define BENCH_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* One field: its number and wire type; `value` for a varint (type 0), `bytes` and `len`
   for a length-delimited field (type 2, pointing into the message). Fixed fields (types
   1 and 5) are skipped with nothing kept. */
typedef struct {
    uint64_t number;
    unsigned type;
    uint64_t value;
    const uint8_t *bytes;
    size_t len;
} bench_wire_field_t;

/* Reads the field at *p (< end) into `field` and moves *p past it. Returns 0, or
   -EBADMSG when the bytes hold no whole field of wire type 0, 1, 2 or 5. */
int
bench_wire_next(const uint8_t **p, const uint8_t *end, bench_wire_field_t *field);

#endif
