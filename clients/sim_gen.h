/*  sim_gen: a deterministic stream of realistic events from the 23 member units.

    The generator is pure: no clock, no sockets. Event n (0, 1, 2, ...) happens at event
    time `start_ms + n * step_ms`, and everything about it (unit, body, ids, amounts) comes
    from a private PRNG seeded with `seed`, so the same options always give the same
    stream, byte for byte, with the same event_ids ("sim.<seed>.<n>").

    What it makes, per unit profile (customs: import/export infringement; tobacco:
    counterfeit cigarettes; forestea: Xinyang Maojian GI tea; health and msa: food and
    drugs; psb: criminal stages; procuratorate and court: prosecutions and judgments; cac:
    e-commerce; ...):
    - case reports that move through their stages over later events with the same case_no
      (clue -> filed -> penalty decided -> closed; some transferred to the police, who
      file, then arrests, prosecution and judgment at psb, procuratorate and court);
      amounts have a long tail, so a few cases cross 500k and 2M yuan;
    - now and then a correction (supersedes_event_id) of a case's latest report;
    - major matters with numbered progress reports, some left to go overdue;
    - dynamic information, including each unit's monthly report for each month (a zero
      report from units with nothing to report), sent in the month's last days and so
      on time by the deadline, the 10th of the next month: a few units are deliberately
      late (after the deadline), a few (when most units are simulated) stay silent;
    - brands drawn with their real right holders: a brand always has the same holder,
      foreign only when it is (Xinyang Maojian, a local geographical indication, belongs
      to the city's tea association; Feihe is domestic), its goods come with it, and the
      case category fits them (a geographical indication only on one).
    Every event passes dajia_envelope_validate at any clock later than its event time.
*/
#ifndef SIM_GEN_H
#define SIM_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "dajia.pb-c.h"

#define SIM_UNIT_COUNT 23

typedef struct sim_gen_t sim_gen_t;

typedef struct {
    uint64_t seed;
    int64_t start_ms;         /* event time of event 0 (unix ms, >= 2000-01-01) */
    int64_t step_ms;          /* event time between two events, >= 1 */
    const char *const *units; /* the units to simulate (codes from sim_units()); NULL: all */
    size_t unit_count;
} sim_gen_options_t;

/* The 23 member unit codes, in the configuration's order. Static; `count` may be NULL. */
const char *const *
sim_units(size_t *count);

/* The index of `code` in sim_units(), or -1 when it is not a member. */
int
sim_unit_index(const char *code);

/* Creates a generator. Returns 0 and sets *out (destroy with sim_gen_destroy), -EINVAL
   for bad options (unknown unit, step or start out of range), or -ENOMEM. */
int
sim_gen_new(const sim_gen_options_t *options, sim_gen_t **out);

/* Makes the next event. Returns 0 and sets *env to it: borrowed, valid until the next
   call or sim_gen_destroy. Returns -ENOMEM when memory ran out (the stream cannot go on). */
int
sim_gen_next(sim_gen_t *self, const Dajia__Envelope **env);

/* Number of events made so far. */
uint64_t
sim_gen_count(const sim_gen_t *self);

/* Accepts NULL; sets *self_p to NULL. */
void
sim_gen_destroy(sim_gen_t **self_p);

#endif
