/*  office_revisions: `dajia-office bulletin --period P --revisions`: every revision of a
    month's bulletin, what each changed against the one before and why (docs/domain.md
    §6.4).

    The circulate worker issues a month's bulletin once its reporting deadline has passed
    (revision 1) and a new revision whenever late reports or corrections change it; the
    feed keeps each revision as its own item, never rewritten. This prints them in feed
    order from their data (BulletinChange, BulletinSource), in Chinese or English.
*/
#ifndef OFFICE_REVISIONS_H
#define OFFICE_REVISIONS_H

#include <stddef.h>
#include <stdio.h>

#include "dajia.pb-c.h"
#include "dajia_labels.h"

/* Prints the revisions `revs` (one month's bulletins, in feed order). Returns 0 or -EIO. */
int
office_revisions_print(FILE *out, const Dajia__Bulletin *const *revs, size_t n, dajia_lang_t lang);

#endif
