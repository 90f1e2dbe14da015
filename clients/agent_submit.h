/*  agent_submit: turns files of reports into outbox entries.

    A file holds JSON (one object, several objects one after another, a JSON array of
    objects, or JSON Lines: one object per line) or CSV (a spreadsheet of case reports,
    one row per report, agent_csv.h). Its encoding is found and converted first
    (agent_text.h: UTF-8 with or without a byte order mark, UTF-16, GBK). In JSON, a line
    whose first characters are # or // is a note and is skipped (`dajia-agent template`
    writes its explanations so).

    Each object becomes an Envelope: the unit is filled in when empty (and must be the
    agent's), reported_at is set when zero, the event_id is derived when empty
    (dajia_event_id_derive, so a file submitted twice makes the same ids), and the
    envelope is checked as the broker would, minus the member check. Every mistake of a
    report is found at once (a wrong key, a wrong value, a missing field: each reported,
    with a hint where one helps), so one correction round fixes them all.

    A syntax error in a JSON array or in a file of several objects stops that file, with
    one message where it stands and nothing of the file queued: everything after it
    would be misread. In JSON Lines each line stands alone: a broken line costs that
    line only. A CSV file whose header cannot be read is refused as a whole.

    Valid events are queued in the outbox in chunks, one durable write per chunk;
    everything else is kept in the rejected table with the reason (one entry per
    report) and reported through the problem callback (one line per mistake). When a
    file is submitted again, the entries its earlier submissions left in the rejected
    table are dropped first: the table then says what is wrong with the file as it is.
*/
#ifndef AGENT_SUBMIT_H
#define AGENT_SUBMIT_H

#include <stddef.h>
#include <stdint.h>

#include "agent_outbox.h"

#define AGENT_SUBMIT_CHUNK   1000 /* events per durable write */
#define AGENT_SUBMIT_REASONS 64   /* refusals are counted by Dajia__Reason below this */

typedef struct agent_submit_t agent_submit_t;

/* Called once per mistake, with one line of text for a person:
   "FILE:LINE:COL: message" for a JSON error at a place in the text,
   "FILE:LINE: event ID: reason: text" for a check an event failed,
   "FILE:LINE: column NAME: message" for a cell of a CSV file,
   "FILE: message" for a file that cannot be read as reports at all. */
typedef void(agent_submit_problem_fn)(const char *message, void *arg);

/* Called once per file read, with the encoding it was read in when that was not plain
   UTF-8 ("GBK", "UTF-16LE", ...) and the format ("JSON", "JSON array", "JSON Lines",
   "CSV"). */
typedef void(agent_submit_note_fn)(const char *name, const char *encoding, const char *format,
                                   void *arg);

typedef struct {
    uint64_t read;     /* reports read (valid or not) */
    uint64_t queued;   /* new events put in the outbox */
    uint64_t waiting;  /* events that were already waiting in the outbox */
    uint64_t rejected; /* reports (or files) refused here, each once */
    uint64_t mistakes; /* mistakes reported; a refused report has one or more */
    uint64_t by_reason[AGENT_SUBMIT_REASONS]; /* `rejected` by the first mistake's reason */
} agent_submit_counts_t;

/* A submitter writing into `outbox` (borrowed; must outlive it) for `unit` (copied).
   `problem` may be NULL. Sets *out only on success; returns 0 or -ENOMEM. */
int
agent_submit_new(agent_outbox_t *outbox, const char *unit, agent_submit_problem_fn *problem,
                 void *problem_arg, agent_submit_t **out);

/* Frees the submitter; accepts NULL and sets *self_p to NULL. Events of the current
   chunk that were not flushed are dropped: call agent_submit_flush() first. */
void
agent_submit_destroy(agent_submit_t **self_p);

/* Sets the note callback (NULL: none); it gets the problem callback's argument. */
void
agent_submit_set_note(agent_submit_t *self, agent_submit_note_fn *note);

/* Reads the file at `path` ("-": standard input) and submits its reports. Bad reports
   are not errors: they are counted, kept and reported. When the file cannot be read,
   *read_error is set to the errno and 0 returned (the caller may go on with other
   files); otherwise *read_error is 0. Returns -ENOMEM or an outbox/store code when the
   outbox could not be written: events of earlier chunks are safe, the rest are not. */
int
agent_submit_file(agent_submit_t *self, const char *path, int *read_error);

/* Submits the reports in `len` bytes of `data` (any encoding the files may have),
   named `name` in messages. Returns 0, -ENOMEM or an outbox/store code, as
   agent_submit_file. */
int
agent_submit_text(agent_submit_t *self, const char *name, const char *data, size_t len);

/* Writes the events of the current chunk to the outbox now (one durable write).
   Returns 0, -ENOMEM or an outbox/store code. */
int
agent_submit_flush(agent_submit_t *self);

/* What happened so far. Queued and waiting include only flushed chunks. */
void
agent_submit_counts(const agent_submit_t *self, agent_submit_counts_t *counts);

#endif
