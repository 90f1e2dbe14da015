/*  bench_ack: the fields of an Ack the bench needs, read straight off the wire.

    A protobuf-c unpack per ack would cost the bench more than the broker spends on the
    event: this reads the varints and length-delimited fields in place and keeps only
    event_id (1), status (2), reason (4) and reason_text (5), skipping whatever else an
    Ack holds, now or later.
*/
#ifndef BENCH_ACK_H
#define BENCH_ACK_H

#include <stddef.h>
#include <stdint.h>

/* Pointers into the bytes parsed: valid while those are. A field the Ack lacks is
   NULL or 0. */
typedef struct {
    const uint8_t *event_id;
    size_t event_id_len;
    uint64_t status;
    uint64_t reason;
    const uint8_t *reason_text;
    size_t reason_text_len;
} bench_ack_t;

/* Reads the Ack in data[0 .. len) into `ack`. Returns 0, or -EBADMSG when the bytes are
   no protobuf message. */
int
bench_ack_parse(const uint8_t *data, size_t len, bench_ack_t *ack);

#endif
