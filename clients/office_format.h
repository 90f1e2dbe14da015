/*  office_format: what dajia-office prints, and the folding behind `matters` and
    `bulletin`.

    Lines are for a person at the Office: times in Beijing time ("2026-11-30 08:00"),
    levels and statuses in words. Folding keeps, for each major matter (unit + matter_id),
    the latest MatterLine of the feed, and lists the open ones overdue first; picking
    keeps the bulletin of the period asked for, or of the latest period.
*/
#ifndef OFFICE_FORMAT_H
#define OFFICE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dajia.pb-c.h"
#include "dajia_time.h"

#define OFFICE_TIME_SIZE DAJIA_TIME_LOCAL_MAX

/* "2026-11-30 08:00" in Beijing time (UTC+8), or "-" for 0. Returns buf (at least
   OFFICE_TIME_SIZE bytes). */
char *
office_format_time(int64_t ms, char *buf, size_t size);

/* "major", "especially major", or "-". Static. */
const char *
office_severity_text(Dajia__Severity level);

/* "open", "in progress", "blocked", "resolved", "closed", or "-". Static. */
const char *
office_status_text(Dajia__MatterStatus status);

/* One line for a person: an escalation as "time  level  rule  unit  case/matter  reason",
   any other item as a short summary. Returns 0, or -EIO when writing failed. */
int
office_print_item(FILE *out, const Dajia__FeedItem *item);

/* One line for a major matter: overdue days, level, status, unit, id, last progress,
   next due, title. Returns 0 or -EIO. */
int
office_print_matter(FILE *out, const Dajia__MatterLine *line);

/* `msg` as one line of JSON (dajia_json_from_message). Returns 0, -ENOMEM or -EIO. */
int
office_print_json(FILE *out, const ProtobufCMessage *msg);

/* ================================================================ matters */

typedef struct office_matters_t office_matters_t;

/* Returns a new, empty fold, or NULL when memory ran out. */
office_matters_t *
office_matters_new(void);

/* Folds `item` in: a MatterLine replaces the one held for its unit + matter_id (items come
   in feed order, so the last one is the latest); other items are ignored. The fold keeps
   a copy. Returns 0 or -ENOMEM. */
int
office_matters_add(office_matters_t *self, const Dajia__FeedItem *item);

/* The open matters (status neither resolved nor closed), overdue first (most days
   overdue first), then by next due date (soonest first, none last), unit and matter_id.
   Sets *items to an array owned by the fold, valid until the next add or destroy, and
   returns its length; (size_t)-1 when memory ran out. */
size_t
office_matters_open(office_matters_t *self, const Dajia__FeedItem *const **items);

/* Accepts NULL; sets *self_p to NULL. */
void
office_matters_destroy(office_matters_t **self_p);

/* ================================================================ bulletins */

/* Should `candidate` (later in the feed) replace `held` (NULL: none yet) as the bulletin
   to show? With `period` (non-NULL, "YYYY-MM"), the latest bulletin of that period; without,
   the bulletin of the latest period, a later one winning a tie (a reissue). */
bool
office_bulletin_better(const Dajia__Bulletin *held, const Dajia__Bulletin *candidate,
                       const char *period);

/* A copy of the message `msg` (pack and unpack), of its type, or NULL when memory ran
   out. Free with its type's free_unpacked. */
void *
office_message_copy(const ProtobufCMessage *msg);

/* A copy of `item` (office_message_copy), or NULL when memory ran out. Free with
   dajia__feed_item__free_unpacked. */
Dajia__FeedItem *
office_item_copy(const Dajia__FeedItem *item);

#endif
