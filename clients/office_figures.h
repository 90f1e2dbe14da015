/*  office_figures: `dajia-office figures`: the current figures of a month, as the
    aggregate worker publishes them (docs/domain.md §4.6).

    Each AggregateUpdate on the public feed carries the current figures of the cells that
    changed (period x unit x case category x goods category): a reader replaces rows, it
    never adds. Folding every update in feed order leaves the figures as they stand now.
    Rows whose figures are all zero (a cell that fell back to zero) are not shown.
*/
#ifndef OFFICE_FIGURES_H
#define OFFICE_FIGURES_H

#include <stddef.h>
#include <stdio.h>

#include "dajia.pb-c.h"
#include "dajia_labels.h"

typedef struct office_figures_t office_figures_t;

/* A new, empty fold, or NULL when memory ran out. */
office_figures_t *
office_figures_new(void);

/* Folds in an AggregateUpdate item (other items are ignored): each row replaces the one
   of its cell. Keeps copies. Returns 0 or -ENOMEM. */
int
office_figures_add(office_figures_t *self, const Dajia__FeedItem *item);

/* The rows of `period` (and of `unit` when not NULL) with any figure not zero, in the
   default member order (other units after, by code), then category and goods. Sets
   *rows to an array owned by the fold, valid until the next call, and returns its
   length, or (size_t)-1 when memory ran out. */
size_t
office_figures_rows(office_figures_t *self, const char *period, const char *unit,
                    const Dajia__AggregateRow *const **rows);

/* Prints the rows as a table for a person (member names, Chinese labels, money in 万元),
   with a total line. Returns 0 or -EIO. */
int
office_figures_print(FILE *out, const char *period, const Dajia__AggregateRow *const *rows,
                     size_t n, dajia_lang_t lang);

/* Accepts NULL; sets *self_p to NULL. */
void
office_figures_destroy(office_figures_t **self_p);

#endif
