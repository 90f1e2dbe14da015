/*  office_fixture: the broker the dajia-office tests run against (test_office,
    test_office_kill), and the command line that reaches it.

    The broker runs with its in-process workers in a temporary directory of its own, its
    api on a free tcp port and its office and public feeds on ipc endpoints in that
    directory; dajia-office keeps its feed position there too. */
#ifndef OFFICE_FIXTURE_H
#define OFFICE_FIXTURE_H

#include "harness.h"

#ifndef DAJIA_OFFICE_BIN
#error "DAJIA_OFFICE_BIN must be defined by the build"
#endif

/* 600,000 yuan: a case worth an escalation (E3, a major case). */
#define OFFICE_FIXTURE_VALUE_FEN (600000LL * 100)

/* The shared harness fixture: dir, data (the broker's), broker and api. The office feed's
   endpoint is "ipc://<dir>/office.ipc", the public feed's "ipc://<dir>/public.ipc". */
typedef harness_fixture_t office_fixture_t;

/* Makes the directory and starts the broker in `fx` (zeroed by the caller). Returns 0,
   or -1 (what a cmocka setup returns); office_fixture_stop() cleans up either way. */
int
office_fixture_start(office_fixture_t *fx);

/* Stops the broker, asserting that it stopped cleanly, then harness_fixture_clear() and
   harness_autofree_all(). For a teardown: takes a fixture that was started only in
   part. */
void
office_fixture_stop(office_fixture_t *fx);

/* A dajia-office command line that reaches the fixture's broker: the words of `before`
   (NULL-terminated; NULL: none), the program, --broker, --office and --state, then the
   arguments up to the first NULL. NULL-terminated; freed by harness_autofree_all(). */
const char **
office_fixture_argv(const office_fixture_t *fx, const char *const *before, ...);

/* The length of a case number office_fixture_escalations() keeps, with its NUL. */
#define OFFICE_FIXTURE_CASE_NO 64

/* Reads every escalation of the office feed with REPLAY from the start: their feed_seqs
   into `seqs` and, when `case_nos` is not NULL, their case numbers (at most `max`).
   Returns how many. A REPLAY answered with an ACK (a broker that lost replay, or refuses
   it) fails the test. Main thread only. */
size_t
office_fixture_escalations(harness_client_t *client, uint64_t *seqs,
                           char (*case_nos)[OFFICE_FIXTURE_CASE_NO], size_t max);

/* Fills `env` and `report` with a customs case worth an escalation. Borrows the
   strings. */
void
office_fixture_case(Dajia__Envelope *env, Dajia__CaseReport *report, const char *event_id,
                    const char *case_no);

#endif
