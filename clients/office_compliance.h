/*  office_compliance: `dajia-office compliance`: each member unit's reporting for a month,
    at any time (docs/domain.md §7).

    The circulate worker sends the Office a ComplianceUpdate when a month opens (every
    member), when a unit's state for a month changes, and when the month's reporting
    deadline passes (every member again). Folding them (per month and unit, the latest
    row wins) gives every unit's state for every month since the first one judged. What a
    person is shown depends on the moment: a unit still "pending" is due in N days, and
    one still pending once the deadline has passed is "missing" (the worker says so too,
    at its next tick).

    "The open month" is the one whose reports are still being collected: the earliest
    month whose deadline has not passed (on the 5th of November that is October, due on
    the 10th), else the latest month known.
*/
#ifndef OFFICE_COMPLIANCE_H
#define OFFICE_COMPLIANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dajia.pb-c.h"
#include "dajia_labels.h"

typedef struct office_compliance_t office_compliance_t;

/* A new, empty fold, or NULL when memory ran out. */
office_compliance_t *
office_compliance_new(void);

/* Folds in a ComplianceUpdate item (other items only count for office_compliance_seen).
   Keeps copies. Returns 0 or -ENOMEM. */
int
office_compliance_add(office_compliance_t *self, const Dajia__FeedItem *item);

/* The latest produced_at of every item folded: the broker's clock had reached it, so a
   reader whose own clock is behind takes it as "now" at the least. */
int64_t
office_compliance_seen(const office_compliance_t *self);

/* The open month at `now` (see above), or NULL when no month is known. Borrowed. */
const char *
office_compliance_open_period(const office_compliance_t *self, int64_t now);

/* The rows of `period` in the order the worker first listed the units, each as it stands
   at `now` (a pending row past its deadline reads "missing"); *deadline_at receives the
   deadline. Sets *rows to an array owned by the fold (valid until the next call) and
   returns its length: 0 when the month is unknown. (size_t)-1 when memory ran out. */
size_t
office_compliance_rows(office_compliance_t *self, const char *period, int64_t now,
                       const Dajia__UnitCompliance *const **rows, int64_t *deadline_at);

/* Whole days from `now`'s date to the deadline's last day, in local time at
   `offset_min`: a deadline of 2026-11-10 24:00 is 5 days away on the 5th, 0 on the 10th
   ("due today"), negative once past. */
int64_t
office_compliance_due_in_days(int64_t deadline_at, int64_t now, int32_t offset_min);

/* A deadline as people write it, Beijing time: a local midnight is the end of the day
   before ("2026年11月10日24时" / "2026-11-10 24:00"), any other instant its minute.
   Writes `buf` and returns it. */
const char *
office_compliance_deadline_label(int64_t at, dajia_lang_t lang, char buf[DAJIA_LABEL_TEXT_MAX]);

/* Prints the month as a table for a person (Chinese labels, member names; English with
   DAJIA_LANG_EN), then a count line. Returns 0 or -EIO. */
int
office_compliance_print(FILE *out, const char *period, int64_t deadline_at, int64_t now,
                        const Dajia__UnitCompliance *const *rows, size_t n, dajia_lang_t lang);

/* Accepts NULL; sets *self_p to NULL. */
void
office_compliance_destroy(office_compliance_t **self_p);

#endif
