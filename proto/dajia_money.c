/*  dajia_money: reading yuan and 万元, writing yuan. See dajia_money.h.

    The amount is read as its magnitude in an unsigned 64-bit value of fen, checked
    against INT64_MAX (or INT64_MAX + 1 for a negative amount) as each digit arrives, so
    nothing overflows and INT64_MIN needs no special case.
*/
#include "dajia_money.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Skips `mark` at *p when it is there. */
static bool
s_skip(const char **p, const char *mark)
{
    size_t n = strlen(mark);
    if (strncmp(*p, mark, n) != 0)
        return false;
    *p += n;
    return true;
}

static void
s_skip_spaces(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

/* Decimals a unit allows: 0 for fen, 2 for yuan, 6 for 万元. */
static int
s_decimals(int64_t unit_fen)
{
    int d = 0;
    for (int64_t u = unit_fen; u > 1; u /= 10)
        d++;
    return d;
}

/* Adds `digit` at the end of *mag; false when the result passes `limit`. */
static bool
s_push(uint64_t *mag, unsigned digit, uint64_t limit)
{
    if (*mag > (limit - digit) / 10)
        return false;
    *mag = *mag * 10 + digit;
    return true;
}

int
dajia_money_parse(const char *text, int64_t unit_fen, int64_t *fen)
{
    if (!text || !fen ||
        (unit_fen != DAJIA_MONEY_FEN && unit_fen != DAJIA_MONEY_YUAN &&
         unit_fen != DAJIA_MONEY_WAN))
        return -EINVAL;
    const char *p = text;
    s_skip_spaces(&p);
    bool negative = false;
    if (*p == '-') {
        negative = true;
        p++;
    }
    if (s_skip(&p, "¥") || s_skip(&p, "￥") || s_skip(&p, "RMB"))
        s_skip_spaces(&p);
    if (!negative && *p == '-') {
        negative = true;
        p++;
    }
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t mag = 0;
    int digits = 0, group = 0;
    bool grouped = false;
    for (;;) {
        if (*p >= '0' && *p <= '9') {
            if (!s_push(&mag, (unsigned)(*p - '0'), limit))
                return -ERANGE;
            digits++;
            group++;
            p++;
            continue;
        }
        size_t sep = *p == ',' ? 1 : strncmp(p, "，", strlen("，")) == 0 ? strlen("，") : 0;
        if (sep == 0)
            break;
        /* A separator stands after one to three digits, then after every three. */
        if (digits == 0 || (grouped && group != 3) || (!grouped && group > 3))
            return -EINVAL;
        grouped = true;
        group = 0;
        p += sep;
        if (!(*p >= '0' && *p <= '9'))
            return -EINVAL;
    }
    if (digits == 0 || (grouped && group != 3))
        return -EINVAL;
    int allowed = s_decimals(unit_fen), decimals = 0;
    bool fraction_cut = false;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return -EINVAL;
        uint64_t frac = 0;
        while (*p >= '0' && *p <= '9') {
            if (decimals < allowed) {
                frac = frac * 10 + (unsigned)(*p - '0');
                decimals++;
            } else if (*p != '0')
                fraction_cut = true;
            p++;
        }
        for (int d = decimals; d < allowed; d++)
            frac *= 10;
        if (mag > (limit - frac) / (uint64_t)unit_fen)
            return -ERANGE;
        mag = mag * (uint64_t)unit_fen + frac;
    } else {
        if (mag > limit / (uint64_t)unit_fen)
            return -ERANGE;
        mag *= (uint64_t)unit_fen;
    }
    s_skip_spaces(&p);
    if (unit_fen == DAJIA_MONEY_WAN)
        s_skip(&p, "万元");
    else if (unit_fen == DAJIA_MONEY_YUAN)
        s_skip(&p, "元");
    else
        s_skip(&p, "分");
    s_skip_spaces(&p);
    if (*p)
        return -EINVAL;
    if (fraction_cut)
        return -EDOM;
    *fen = negative ? (int64_t)(0 - mag) : (int64_t)mag;
    return 0;
}

char *
dajia_money_format_yuan(int64_t fen, char *buf, size_t size)
{
    uint64_t mag = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    char digits[24], out[DAJIA_MONEY_TEXT_MAX];
    int n = snprintf(digits, sizeof digits, "%" PRIu64, mag / 100);
    size_t o = 0;
    if (fen < 0)
        out[o++] = '-';
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    snprintf(out + o, sizeof out - o, ".%02u", (unsigned)(mag % 100));
    if (!buf || size == 0)
        return buf;
    if (strlen(out) + 1 > size)
        buf[0] = '\0';
    else
        memcpy(buf, out, strlen(out) + 1);
    return buf;
}
