/*  fuzz_json: the JSON mapper (dajia_json_to_message) on arbitrary text, for Envelope.

    Properties checked on every input:
      - reading never crashes, leaks or trips a sanitizer, whatever the text;
      - a refusal leaves *out alone and gives a sentence that is valid UTF-8, with a
        position that is either unknown (0) or a real line and column;
    of the collecting read (dajia_json_to_message_each), on every input:
      - it reports exactly as many errors as it returns, each a valid sentence and field
        path, and none exactly when the strict read accepts;
      - what it read (also half a message) is freed without a leak;
    and on every text the mapper accepts:
      - its output (dajia_json_from_message) is accepted again;
      - both messages pack to the same bytes: the mapper round-trips;
      - writing the second message gives the same JSON text (the output is a fixed
        point).
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dajia.pb-c.h"
#include "dajia_json.h"
#include "fuzz_util.h"

static uint8_t *
s_pack(const ProtobufCMessage *msg, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(*len ? *len : 1);
    FUZZ_CHECK(buf, "out of memory");
    size_t written = protobuf_c_message_pack(msg, buf);
    FUZZ_CHECK(written == *len, "packed %zu bytes, announced %zu", written, *len);
    return buf;
}

static void
s_on_error(const dajia_json_error_t *err, void *arg)
{
    int *count = arg;
    (*count)++;
    FUZZ_CHECK(fuzz_text_ok(err->text, sizeof err->text), "an error text is not UTF-8");
    FUZZ_CHECK(memchr(err->field, 0, sizeof err->field) &&
                   fuzz_utf8_valid(err->field, strlen(err->field)),
               "an error's field is not UTF-8");
}

/* The collecting read; returns its number of errors. */
static int
s_each(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t size)
{
    int reported = 0;
    ProtobufCMessage *partial = NULL;
    int errors =
        dajia_json_to_message_each(desc, (const char *)data, size, &partial, s_on_error, &reported);
    FUZZ_CHECK(errors == reported, "%d errors returned, %d reported", errors, reported);
    FUZZ_CHECK(errors > 0 || partial, "no error and no message");
    if (partial)
        protobuf_c_message_free_unpacked(partial, NULL);
    return errors;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ProtobufCMessageDescriptor *desc = &dajia__envelope__descriptor;
    ProtobufCMessage *msg = (ProtobufCMessage *)&size; /* a refusal must leave it alone */
    dajia_json_error_t err;
    memset(&err, 0xA5, sizeof err);
    int collected = s_each(desc, data, size);
    if (dajia_json_to_message(desc, (const char *)data, size, &msg, &err) != 0) {
        FUZZ_CHECK(collected > 0, "the collecting read found nothing the strict read refused");
        FUZZ_CHECK(msg == (ProtobufCMessage *)&size, "a refusal changed *out");
        FUZZ_CHECK(err.line >= 0 && err.column >= 0, "position %d:%d", err.line, err.column);
        FUZZ_CHECK((err.line == 0) == (err.column == 0), "position %d:%d", err.line, err.column);
        FUZZ_CHECK(fuzz_text_ok(err.text, sizeof err.text),
                   "the error text is empty, unterminated or not UTF-8");
        return 0;
    }
    FUZZ_CHECK(msg && msg->descriptor == desc, "accepted without an Envelope");
    FUZZ_CHECK(collected == 0, "the collecting read refused what the strict read accepts");

    char *json = dajia_json_from_message(msg);
    FUZZ_CHECK(json, "dajia_json_from_message failed");
    FUZZ_CHECK(fuzz_utf8_valid(json, strlen(json)), "the output is not UTF-8:\n%s", json);
    ProtobufCMessage *back = NULL;
    if (dajia_json_to_message(desc, json, strlen(json), &back, &err) != 0)
        FUZZ_FAIL("the mapper refuses its own output at %d:%d: %s\n%s", err.line, err.column,
                  err.text, json);

    size_t len = 0, len_back = 0;
    uint8_t *packed = s_pack(msg, &len);
    uint8_t *packed_back = s_pack(back, &len_back);
    if (len != len_back || memcmp(packed, packed_back, len) != 0)
        FUZZ_FAIL("the message changed on a JSON round trip (%zu and %zu bytes):\n%s", len,
                  len_back, json);

    char *again = dajia_json_from_message(back);
    FUZZ_CHECK(again, "dajia_json_from_message failed");
    if (strcmp(json, again) != 0)
        FUZZ_FAIL("the JSON changed on a round trip:\n%s\n%s", json, again);

    free(again);
    free(packed_back);
    free(packed);
    free(json);
    protobuf_c_message_free_unpacked(back, NULL);
    protobuf_c_message_free_unpacked(msg, NULL);
    return 0;
}
