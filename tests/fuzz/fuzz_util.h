/*  fuzz_util: what the libFuzzer targets share.

    A target reports a broken property by printing a sentence and aborting: libFuzzer
    then saves the input as a crash artifact, which is exactly the reproducer wanted.
    That abort is the target's oracle, never a reaction to the input being bad: every
    bad input must be answered by the code under test with an error, not a crash.
*/
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-12-01T00:00:00Z: the fixed clock of the targets that do not talk to a broker, so
   that a crash reproduces on any day. */
#define FUZZ_NOW_MS 1796083200000LL

/* The member units of the broker's default configuration, sorted (for bsearch). */
#define FUZZ_MEMBERS                                                                               \
    "agri", "cac", "commerce", "court", "culture", "customs", "drc", "eco", "finance", "forestea", \
        "govoffice", "health", "iit", "justice", "msa", "pboc", "polilegal", "post",               \
        "procuratorate", "psb", "publicity", "tax", "tobacco"

/* Stops the fuzzer on a broken property; libFuzzer keeps the input. */
#define FUZZ_FAIL(...)                                                                             \
    do {                                                                                           \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                            \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Is `s` (n bytes) strict UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
   above U+10FFFF)? Written here again, apart from the codec's own, so that the targets
   do not judge the code under test with that code. */
static inline bool
fuzz_utf8_valid(const char *s, size_t n)
{
    static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
        if (len == 0 || len > n - i)
            return false;
        uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < least[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

/* A sentence for a person: NUL-terminated within `size`, not empty, valid UTF-8. */
static inline bool
fuzz_text_ok(const char *text, size_t size)
{
    size_t len = strnlen(text, size);
    return len > 0 && len < size && fuzz_utf8_valid(text, len);
}

/* The libFuzzer entry point, declared for -Wmissing-prototypes and friends. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
