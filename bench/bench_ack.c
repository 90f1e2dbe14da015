/*  bench_ack: reads the Ack fields the bench needs off the wire (see bench_ack.h). */
#include "bench_ack.h"

#include <errno.h>
#include <string.h>

#include "bench_wire.h"

int
bench_ack_parse(const uint8_t *data, size_t len, bench_ack_t *ack)
{
    const uint8_t *p = data, *end = data + len;
    memset(ack, 0, sizeof *ack);
    while (p < end) {
        bench_wire_field_t f;
        if (bench_wire_next(&p, end, &f) != 0)
            return -EBADMSG;
        if (f.type == 0 && f.number == 2)
            ack->status = f.value;
        else if (f.type == 0 && f.number == 4)
            ack->reason = f.value;
        else if (f.type == 2 && f.number == 1) {
            ack->event_id = f.bytes;
            ack->event_id_len = f.len;
        } else if (f.type == 2 && f.number == 5) {
            ack->reason_text = f.bytes;
            ack->reason_text_len = f.len;
        }
    }
    return 0;
}
