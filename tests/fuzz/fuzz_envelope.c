/*  fuzz_envelope: dajia_envelope_decode and its fast path, dajia_wire_accept, on
    arbitrary bytes, as the broker calls them.

    Properties checked on every input:
      - decoding never crashes, leaks or trips a sanitizer, whatever the bytes;
      - a refusal sets no message, names a reason and gives a sentence that is valid
        UTF-8 (it travels in an Ack string, which other protobuf readers check);
      - decoding into an arena (the broker's hot path) reaches the same verdict as
        decoding with malloc;
      - the fast path accepts only what decoding accepts, and then reads the same
        event_id and unit;
    and on every accepted envelope:
      - packing it and decoding the packed bytes succeeds and validates again, and
        packing that gives the same bytes (the encoding is a fixed point);
      - the event id derived from it is well formed and the same for both copies;
      - its JSON, read back by the mapper, is the same JSON (the mapper round-trips
        what the codec accepts).
*/
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dajia_arena.h"
#include "dajia_codec.h"
#include "dajia_json.h"
#include "dajia_wire.h"
#include "fuzz_util.h"

/* Room for one decoded envelope in the arena; larger ones spill to malloc, which the
   arena also handles (and which this target thereby exercises too). */
#define S_ARENA_BYTES (64u << 10)

static const char *const s_members[] = {FUZZ_MEMBERS};

static int
s_member_cmp(const void *key, const void *item)
{
    return strcmp(key, *(const char *const *)item);
}

static bool
s_known(const char *unit, void *arg)
{
    (void)arg;
    return bsearch(unit, s_members, sizeof s_members / sizeof s_members[0], sizeof s_members[0],
                   s_member_cmp) != NULL;
}

static uint8_t *
s_pack(const Dajia__Envelope *env, size_t *len)
{
    *len = dajia__envelope__get_packed_size(env);
    uint8_t *buf = malloc(*len ? *len : 1);
    FUZZ_CHECK(buf, "out of memory");
    size_t written = dajia__envelope__pack(env, buf);
    FUZZ_CHECK(written == *len, "packed %zu bytes, announced %zu", written, *len);
    return buf;
}

static void
s_check_derived_id(const Dajia__Envelope *a, const Dajia__Envelope *b)
{
    char id_a[DAJIA_DERIVED_ID_SIZE], id_b[DAJIA_DERIVED_ID_SIZE];
    FUZZ_CHECK(dajia_event_id_derive(a, id_a, sizeof id_a) == 0, "derive failed");
    FUZZ_CHECK(dajia_event_id_derive(b, id_b, sizeof id_b) == 0, "derive failed");
    FUZZ_CHECK(strlen(id_a) == DAJIA_DERIVED_ID_SIZE - 1 && strncmp(id_a, "d-", 2) == 0,
               "bad derived id \"%s\"", id_a);
    FUZZ_CHECK(strcmp(id_a, id_b) == 0, "derived ids differ: %s, %s", id_a, id_b);
}

/* JSON of an accepted envelope reads back into the same JSON. (Bytes may differ:
   fields unknown to the schema survive protobuf but have no JSON name.) */
static void
s_check_json(const Dajia__Envelope *env)
{
    char *json = dajia_json_from_message(&env->base);
    FUZZ_CHECK(json, "dajia_json_from_message failed");
    ProtobufCMessage *back = NULL;
    dajia_json_error_t err;
    if (dajia_json_to_message(&dajia__envelope__descriptor, json, strlen(json), &back, &err))
        FUZZ_FAIL("the mapper refuses its own output at %d:%d: %s\n%s", err.line, err.column,
                  err.text, json);
    char *again = dajia_json_from_message(back);
    FUZZ_CHECK(again, "dajia_json_from_message failed");
    if (strcmp(json, again) != 0)
        FUZZ_FAIL("JSON changed on a round trip:\n%s\n%s", json, again);
    free(again);
    protobuf_c_message_free_unpacked(back, NULL);
    free(json);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dajia_arena_t *arena;
    if (!arena) {
        arena = dajia_arena_new(S_ARENA_BYTES);
        FUZZ_CHECK(arena, "out of memory");
    }
    dajia_limits_t limits;
    dajia_limits_default(&limits);
    limits.region_prefix = "4115"; /* the broker's default region */
    dajia_verdict_t verdict;
    memset(&verdict, 0xA5, sizeof verdict);             /* a refusal must set every byte it uses */
    Dajia__Envelope *env = (Dajia__Envelope *)&verdict; /* must be reset to NULL */
    int rc = dajia_envelope_decode(data, size, &limits, FUZZ_NOW_MS, s_known, NULL, &env, &verdict);

    /* The arena path (the broker's) must agree. */
    dajia_verdict_t arena_verdict;
    Dajia__Envelope *arena_env = NULL;
    int arena_rc =
        dajia_envelope_decode_with(data, size, &limits, FUZZ_NOW_MS, s_known, NULL,
                                   dajia_arena_allocator(arena), &arena_env, &arena_verdict);
    FUZZ_CHECK(arena_rc == rc, "malloc and arena decoding disagree: %d, %d", rc, arena_rc);
    FUZZ_CHECK(arena_verdict.reason == verdict.reason, "reasons differ: %s, %s",
               dajia_reason_name(verdict.reason), dajia_reason_name(arena_verdict.reason));
    dajia_arena_reset(arena);

    /* The fast path may say "cannot tell" of anything, but never accept a refusal. */
    dajia_wire_keys_t keys;
    bool fast = dajia_wire_accept(data, size, &limits, FUZZ_NOW_MS, s_known, NULL, &keys);
    FUZZ_CHECK(!fast || rc == 0, "the fast path accepts what decoding refuses: %s: %s",
               dajia_reason_name(verdict.reason), verdict.text);
    if (fast)
        FUZZ_CHECK(keys.event_id_len == strlen(env->event_id) &&
                       memcmp(keys.event_id, env->event_id, keys.event_id_len) == 0 &&
                       keys.unit_len == strlen(env->unit) &&
                       memcmp(keys.unit, env->unit, keys.unit_len) == 0 &&
                       keys.submitted_at == env->submitted_at,
                   "the fast path reads other keys than decoding");

    if (rc != 0) {
        FUZZ_CHECK(rc == -1, "decode returned %d", rc);
        FUZZ_CHECK(env == NULL, "a refusal left a message behind");
        FUZZ_CHECK(verdict.reason != DAJIA__REASON__REASON_NONE, "a refusal without a reason");
        FUZZ_CHECK(strcmp(dajia_reason_name(verdict.reason), "unknown") != 0,
                   "reason %d has no name", (int)verdict.reason);
        FUZZ_CHECK(fuzz_text_ok(verdict.text, sizeof verdict.text),
                   "the sentence is empty, unterminated or not UTF-8");
        return 0;
    }
    FUZZ_CHECK(env, "accepted without a message");
    FUZZ_CHECK(verdict.reason == DAJIA__REASON__REASON_NONE, "accepted with reason %s",
               dajia_reason_name(verdict.reason));

    size_t len = 0, len2 = 0;
    uint8_t *packed = s_pack(env, &len);
    Dajia__Envelope *again = NULL;
    if (dajia_envelope_decode(packed, len, &limits, FUZZ_NOW_MS, s_known, NULL, &again, &verdict) !=
        0)
        FUZZ_FAIL("an accepted envelope, packed again, is refused: %s: %s",
                  dajia_reason_name(verdict.reason), verdict.text);
    uint8_t *packed2 = s_pack(again, &len2);
    FUZZ_CHECK(len == len2 && memcmp(packed, packed2, len) == 0,
               "packing is not a fixed point (%zu and %zu bytes)", len, len2);
    s_check_derived_id(env, again);
    s_check_json(env);

    free(packed2);
    free(packed);
    dajia__envelope__free_unpacked(again, NULL);
    dajia__envelope__free_unpacked(env, NULL);
    return 0;
}
