/*  fuzz_util: what the libFuzzer targets share.

    A target reports a broken property by printing a sentence and aborting: libFuzzer
    then saves the input as a crash artifact, which is exactly the reproducer wanted.
    That abort is the target's oracle, never a reaction to the input being bad: every
    bad input must be answered by the code under test with an error, not a crash.
*/
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <ftw.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* fuzz_worker_protocol's input format, shared with fuzz_seeds. Byte 0: bits 0-2 the
   number of frames less one (1 to FUZZ_WORKER_MAX_FRAMES), bits 3-5 a prefix of frames
   put before them (FUZZ_WORKER_*), bits 6-7 that prefix's argument; a prefix without one
   takes options there instead (FUZZ_WORKER_STANDBY, FUZZ_WORKER_STORE_FAILS). Then the
   frames as in fuzz_api_request: each but the last a 2-byte little-endian length and
   that many bytes, the last one the rest. */
#define FUZZ_WORKER_MAX_FRAMES 8
enum {
    FUZZ_WORKER_RAW = 0,       /* no prefix: the input writes the command itself */
    FUZZ_WORKER_READY,         /* "READY" */
    FUZZ_WORKER_READY_SERVICE, /* "READY", a service name (argument: aggregate, escalate,
                                  circulate, one the broker does not know) */
    FUZZ_WORKER_DONE,          /* "DONE" */
    FUZZ_WORKER_DONE_SEQ,      /* "DONE", a log_seq (argument: the one due, the one before,
                                  the one after, the last in the log) */
    FUZZ_WORKER_TICKED,        /* "TICKED" */
    FUZZ_WORKER_TICKED_NO,     /* "TICKED", a tick number (argument: the one due, the one
                                  before, the one after, 1) */
    FUZZ_WORKER_HEARTBEAT,     /* "HEARTBEAT" */
};

/* Options of the prefixes without an argument (RAW, READY, DONE, TICKED, HEARTBEAT). */
#define FUZZ_WORKER_STANDBY     1 /* the worker is a standby while the message is handled */
#define FUZZ_WORKER_STORE_FAILS 2 /* the dispatcher's next store fails (disk full) */

static inline uint8_t
fuzz_worker_byte0(size_t frames, unsigned prefix, unsigned arg)
{
    return (uint8_t)(((frames - 1) & 7) | (prefix & 7) << 3 | (arg & 3) << 6);
}

/* The libFuzzer entry point, declared for -Wmissing-prototypes and friends. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Removes `path` and everything under it, as far as it can (a target's scratch data). */
static inline int
fuzz_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static inline void
fuzz_remove_tree(const char *path)
{
    nftw(path, fuzz_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
