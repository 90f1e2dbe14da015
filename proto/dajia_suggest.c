/*  dajia_suggest: "did you mean ...?" See dajia_suggest.h.

    The distance is the optimal string alignment distance (Levenshtein with the swap of
    two neighbours as one edit, the commonest typing slip) over code points, computed
    with three rows on the stack: words are short (keys, labels, codes), so a 65 x 65
    table costs nothing, and nothing is allocated.
*/
#include "dajia_suggest.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dajia_utf8.h"

#define S_MAX  DAJIA_SUGGEST_MAX_CHARS
#define S_NONE 1000000 /* cost of a candidate that is not near */

/* Minimum characters of the shorter word for a prefix to count as near. */
#define S_PREFIX_MIN 4

/* Decodes `text` into code points, ASCII letters in lower case. Returns the count, or
   -1 when it is too long or not UTF-8. */
static int
s_decode(const char *text, uint32_t *out)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t n = strlen(text);
    int count = 0;
    for (size_t i = 0; i < n;) {
        size_t seq = dajia_utf8_seq(p + i, n - i);
        if (seq == 0 || count == S_MAX)
            return -1;
        uint32_t cp = p[i];
        if (seq == 1) {
            if (cp >= 'A' && cp <= 'Z')
                cp += 'a' - 'A';
        } else {
            cp &= 0x7Fu >> seq;
            for (size_t k = 1; k < seq; k++)
                cp = (cp << 6) | (p[i + k] & 0x3Fu);
        }
        out[count++] = cp;
        i += seq;
    }
    return count;
}

static int
s_min(int a, int b)
{
    return a < b ? a : b;
}

static int
s_distance(const uint32_t *a, int n, const uint32_t *b, int m)
{
    int rows[3][S_MAX + 1];
    int *two = rows[0], *prev = rows[1], *cur = rows[2];
    for (int j = 0; j <= m; j++)
        prev[j] = j;
    for (int i = 1; i <= n; i++) {
        cur[0] = i;
        for (int j = 1; j <= m; j++) {
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int d = s_min(s_min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d = s_min(d, two[j - 2] + 1);
            cur[j] = d;
        }
        int *old = two;
        two = prev;
        prev = cur;
        cur = old;
    }
    return prev[m];
}

int
dajia_suggest_distance(const char *a, const char *b)
{
    uint32_t ca[S_MAX], cb[S_MAX];
    int n = a ? s_decode(a, ca) : -1;
    int m = b ? s_decode(b, cb) : -1;
    if (n < 0 || m < 0)
        return -1;
    return s_distance(ca, n, cb, m);
}

void
dajia_suggest_init(dajia_suggest_t *self, const char *word)
{
    self->word = word;
    self->best = NULL;
    self->best_cost = S_NONE;
}

void
dajia_suggest_add(dajia_suggest_t *self, const char *candidate)
{
    uint32_t w[S_MAX], c[S_MAX];
    if (!candidate || !*candidate || !self->word)
        return;
    int n = s_decode(self->word, w);
    int m = s_decode(candidate, c);
    if (n <= 0 || m <= 0)
        return;
    int cost = s_distance(w, n, c, m);
    if (cost == 0 && strcmp(self->word, candidate) == 0)
        return; /* the word itself: nothing to suggest (another case is: "Unit" -> "unit") */
    int allowed = n / 3 > 1 ? n / 3 : 1;
    int shorter = n < m ? n : m;
    bool prefix = shorter >= S_PREFIX_MIN && memcmp(w, c, (size_t)shorter * sizeof w[0]) == 0;
    if (prefix)
        cost = 1; /* `case_value` for `case_value_fen`: as near as one slip */
    else if (cost > allowed)
        return;
    if (cost < self->best_cost) {
        self->best = candidate;
        self->best_cost = cost;
    }
}

const char *
dajia_suggest_best(const dajia_suggest_t *self)
{
    return self->best;
}
