/*  dajia_wire: the broker's fast path, an envelope judged on its encoded bytes.

    dajia_envelope_decode unpacks an event into a message, walks it and frees it. At a
    few hundred thousand events a second that is most of the api thread's time, and
    nearly every event is a good one. dajia_wire_accept walks the bytes once instead,
    allocating nothing, and answers only "acceptable" or "cannot tell". It says
    "acceptable" only when dajia_envelope_decode, called with the same arguments, would
    accept the event and read the same event_id and unit; anything it does not expect
    (an unknown or repeated field, a packed list, a value a rule refuses, a long varint)
    gets "cannot tell", and the caller runs dajia_envelope_decode, which gives the
    verdict and its sentence. tests/fuzz/fuzz_envelope holds the two to that promise on
    every input it tries.
*/
#ifndef DAJIA_WIRE_H
#define DAJIA_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include "dajia_codec.h"

/* The key fields of an accepted envelope: slices of the bytes given, not terminated. */
typedef struct {
    const char *event_id;
    size_t event_id_len;
    const char *unit;
    size_t unit_len;
    int64_t submitted_at; /* the envelope's submitted_at; 0 when not given */
} dajia_wire_keys_t;

/* True when the `len` bytes at `data` are an envelope dajia_envelope_decode would
   accept with the same limits, clock and member check; `keys` then points into
   `data`. False means only that the fast path cannot tell. Reads nothing outside
   `data`, never allocates, never asserts on input bytes. */
bool
dajia_wire_accept(const void *data, size_t len, const dajia_limits_t *limits, int64_t now_ms,
                  dajia_unit_known_fn *known, void *known_arg, dajia_wire_keys_t *keys);

#endif
