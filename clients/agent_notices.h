/*  agent_notices: `dajia-agent notices`, what the broker holds for this unit alone.

    The escalate worker addresses a notice to the unit that sent a report it cannot use
    (a progress for a matter never reported, a progress number sent twice: DQ1, DQ2,
    docs/domain.md §5.11). The broker keeps such items for that unit alone (and the
    Office): a unit reads them by REPLAY with audience UNIT, numbered by unit_seq, and
    its certificate is what tells the broker which unit's it may read.

    Each run prints the notices that came since the last run, oldest first, each with
    its report (event id), what is wrong and what to do, Chinese first, then English. It
    prints each notice once across runs: the position is kept in the state directory's
    "notices/" (office_follow.h: prepared before a notice is printed, put in place by one
    rename(2) the moment it is printed and flushed), so a run that dies, however it
    dies, prints again at most the notice it was printing.
*/
#ifndef AGENT_NOTICES_H
#define AGENT_NOTICES_H

#include <stdint.h>
#include <stdio.h>

#include <czmq.h>

#include "dajia.pb-c.h"

#define AGENT_NOTICES_DIR "notices" /* under the agent's state directory */

typedef struct {
    const char *broker;     /* the broker's api endpoint */
    const char *unit;       /* whose notices */
    const char *state_dir;  /* the agent's state directory (the position goes below) */
    zcert_t *cert;          /* our key pair (borrowed); NULL: no CURVE */
    const char *broker_key; /* the broker's public key (Z85), with a cert */
    int timeout_ms;         /* each wait on the broker; 0: 5000 */
    FILE *out;              /* where notices are printed */
} agent_notices_options_t;

/* Prints the notices since the kept position and moves it past each one printed. Sets
   *printed. Returns 0, or a negative code with a sentence in `err` (the broker did not
   answer or refused, the state directory cannot be written, the output failed). */
int
agent_notices_print(const agent_notices_options_t *options, uint64_t *printed, char *err,
                    size_t errlen);

/* Writes one notice item as the command prints it. Returns 0 or -EIO. */
int
agent_notices_format(FILE *out, const Dajia__FeedItem *item);

#endif
