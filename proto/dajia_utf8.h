/*  dajia_utf8: strict UTF-8 checks shared by the codec and the JSON mapper (private).

    Strict means what RFC 3629 allows and nothing else: no overlong forms, no UTF-16
    surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no stray continuation bytes.
    The functions are inline because the codec runs them over every string of every
    event on the broker's hot path.
*/
#ifndef DAJIA_UTF8_H
#define DAJIA_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Length (1..4) of the valid UTF-8 sequence at the start of `s`, which holds `n` > 0
   bytes; 0 when those bytes do not start a valid sequence. */
static inline size_t
dajia_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2) /* continuation byte, or the overlong lead bytes C0 and C1 */
        return 0;
    if (c < 0xE0) {
        if (n < 2 || (s[1] & 0xC0) != 0x80)
            return 0;
        return 2;
    }
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0) /* overlong: below U+0800 */
            return 0;
        if (c == 0xED && s[1] >= 0xA0) /* surrogates U+D800..U+DFFF */
            return 0;
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) /* overlong: below U+10000 */
            return 0;
        if (c == 0xF4 && s[1] >= 0x90) /* above U+10FFFF */
            return 0;
        return 4;
    }
    return 0;
}

/* Offset of the first byte of `s` (`n` bytes) that is not part of valid UTF-8, or `n`
   when all of it is valid. ASCII, by far the most common text in an event (ids, codes,
   numbers), is skipped eight bytes at a time. */
static inline size_t
dajia_utf8_check(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            /* ASCII tends to come in runs (ids, codes, numbers): skip eight at a time. */
            while (n - i >= 8) {
                uint64_t word;
                memcpy(&word, p + i, sizeof word);
                if (word & 0x8080808080808080ULL)
                    break;
                i += 8;
            }
            continue;
        }
        /* Chinese text is mostly three-byte sequences whose lead byte (E1..EC, EE, EF)
           allows any continuation bytes: check those without the general decoder. */
        if ((unsigned)(c - 0xE1) < 0x0F && c != 0xED && n - i >= 3 && (p[i + 1] & 0xC0) == 0x80 &&
            (p[i + 2] & 0xC0) == 0x80) {
            i += 3;
            continue;
        }
        size_t len = dajia_utf8_seq(p + i, n - i);
        if (len == 0)
            return i;
        i += len;
    }
    return n;
}

#endif
