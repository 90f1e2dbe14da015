/*  dajia_suggest: the nearest known word to one that is not known, for the "did you
    mean ...?" hints of every message a person reads (a JSON key, an enum value, a CSV
    column, a unit code).

    Words are compared by code point, so Chinese column names are compared character by
    character, and ASCII letters without regard to case. A candidate is near enough when
    it differs by a small edit (an insertion, deletion, substitution or swap of two
    neighbours per three characters of the word, at least one), or when one word starts
    with the other and the shorter has at least four characters, as `case_value` starts
    `case_value_fen`. Of the near candidates, the one with the fewest edits wins; a tie
    goes to the first given, so callers list the likelier words first.

    Pure functions over caller-owned storage: no allocation, thread-safe.
*/
#ifndef DAJIA_SUGGEST_H
#define DAJIA_SUGGEST_H

#include <stddef.h>

/* Words longer than this many code points are never suggested nor matched. */
#define DAJIA_SUGGEST_MAX_CHARS 64

/* The search in progress. The word and the best candidate are borrowed: they must live
   as long as the search is used. */
typedef struct {
    const char *word;
    const char *best; /* NULL until a candidate is near enough */
    int best_cost;
} dajia_suggest_t;

/* Starts a search for words near `word`. */
void
dajia_suggest_init(dajia_suggest_t *self, const char *word);

/* Considers `candidate` (borrowed; NULL and "" are ignored). */
void
dajia_suggest_add(dajia_suggest_t *self, const char *candidate);

/* The nearest candidate so far, or NULL when none is near enough. */
const char *
dajia_suggest_best(const dajia_suggest_t *self);

/* The edit distance between `a` and `b` (code points, ASCII case ignored, a swap of two
   neighbours counting one), or -1 when either is longer than DAJIA_SUGGEST_MAX_CHARS
   or not UTF-8. */
int
dajia_suggest_distance(const char *a, const char *b);

#endif
