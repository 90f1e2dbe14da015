/*  agg_figures: the figures of case reports, each in the month of the fact it counts.

    Shared by the aggregate and circulate cores. A "cell" is period x unit x case category
    x goods category (x channel mask, for circulate); its value is a Figures record. The
    counting rules (docs/domain.md §4.2, §4.3) are listed at the top of agg_core.c and
    implemented by agg_figures_apply_event(); in short:
      - dated figures (filed, case value, closed, fines and loss recovered, transfers)
        follow the case's current statement of its facts and land in the period of each
        fact's own date, so a later report that repeats them changes nothing;
      - counters without a date of their own (dens destroyed, suspects arrested, arrests
        approved, prosecutions, judgments, suspects detained, persons prosecuted) land,
        increase by increase, in the period of the report that raised them, and stay
        there;
      - a correction (supersedes_event_id) changes exactly what the corrected report
        stated: its counter increases in that report's period, and the facts where the
        correction differs from it;
      - reports take effect in their unit's order (Envelope.unit_seq), not in the order
        they are stored: an event stored after a later one of its cases has those cases
        counted again in the unit's order (from a journal kept in the events table).

    State lives in three tables whose names the caller chooses (agg_tables_t), so that
    each core keeps its own copy under its own prefix. Records written by earlier versions
    (layout 1, where a case held only its latest report's contribution; layout 2, before
    the counters of suspects detained and persons prosecuted) are read and converted when
    touched; see agg_figures.c.
*/
#ifndef AGG_FIGURES_H
#define AGG_FIGURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agg_period.h"
#include "dajia.pb-c.h"
#include "store.h"

/* The figures of a cell, in the order of message Figures. */
enum {
    AGG_FIG_FILED,
    AGG_FIG_CLOSED,
    AGG_FIG_VALUE_FEN,
    AGG_FIG_FINES_FEN,
    AGG_FIG_LOSS_RECOVERED_FEN,
    AGG_FIG_TRANSFERS,
    AGG_FIG_DENS,
    AGG_FIG_ARRESTED,
    AGG_FIG_ARRESTS_APPROVED,
    AGG_FIG_PROSECUTIONS,
    AGG_FIG_JUDGMENTS,
    AGG_FIG_DETAINED,           /* suspects detained */
    AGG_FIG_PERSONS_PROSECUTED, /* persons prosecuted */
    AGG_FIG_COUNT
};

/* Figures of a cell written before the last two existed (layouts 1 and 2). */
#define AGG_FIG_COUNT_V2 (AGG_FIG_JUDGMENTS + 1)

typedef struct {
    int64_t v[AGG_FIG_COUNT];
} agg_figures_t;

/* Channel flags of a case (bit mask in a circulate cell key). */
#define AGG_CHANNEL_ECOMMERCE      0x01u
#define AGG_CHANNEL_KEY_MARKET     0x02u
#define AGG_CHANNEL_RURAL          0x04u
#define AGG_CHANNEL_IMPORT_EXPORT  0x08u
#define AGG_CHANNEL_POSTAL_EXPRESS 0x10u
#define AGG_CHANNEL_COUNT          5

#define AGG_UNIT_MAX         65 /* DAJIA_MAX_ID + NUL */
/* period NUL unit NUL category goods channels */
#define AGG_CELL_KEY_MAX     (AGG_PERIOD_MAX + AGG_UNIT_MAX + 3)
#define AGG_FIGURES_BYTES    (AGG_FIG_COUNT * 8)
#define AGG_FIGURES_BYTES_V2 (AGG_FIG_COUNT_V2 * 8)

/* ------------------------------------------------------------------ figures */

void
agg_figures_add(agg_figures_t *acc, const agg_figures_t *x);
void
agg_figures_sub(agg_figures_t *acc, const agg_figures_t *x);
bool
agg_figures_is_zero(const agg_figures_t *f);
/* Fills the proto message `out` (already initialised with DAJIA__FIGURES__INIT). */
void
agg_figures_to_proto(const agg_figures_t *f, Dajia__Figures *out);
void
agg_figures_from_proto(const Dajia__Figures *in, agg_figures_t *out);
/* Fixed encoding of a cell value: AGG_FIG_COUNT big-endian int64s. decode also reads a
   value written before the last two figures existed (AGG_FIGURES_BYTES_V2: they are 0);
   it returns 0, or -EINVAL for any other length. */
void
agg_figures_encode(const agg_figures_t *f, uint8_t out[AGG_FIGURES_BYTES]);
int
agg_figures_decode(const void *data, size_t len, agg_figures_t *out);

/* ------------------------------------------------------------------ cells */

typedef struct {
    char period[AGG_PERIOD_MAX];
    char unit[AGG_UNIT_MAX];
    int category;
    int goods;
    unsigned channels;
    agg_figures_t figures;
} agg_cell_t;

/* Writes the key of a cell into `buf` (AGG_CELL_KEY_MAX bytes); returns its length, or 0
   if the period or unit is too long. */
size_t
agg_cell_key(uint8_t buf[AGG_CELL_KEY_MAX], const char *period, const char *unit, int category,
             int goods, unsigned channels);
/* Parses a cell key (the figures are left alone). Returns 0, or -EINVAL. */
int
agg_cell_key_parse(const void *key, size_t klen, agg_cell_t *cell);

/* Reads a cell's figures (all zero when absent). Returns 0 or a store error. */
int
agg_cell_get(store_txn_t *txn, const char *table, const void *key, size_t klen, agg_figures_t *out);

/* Calls `fn` for every cell of `period` in `table`, in key order (unit, category, goods,
   channels). A non-zero return of `fn` stops the walk and is returned. The cell is
   borrowed for the call. Returns 0, a store error, or -EINVAL on a damaged entry. */
typedef int(agg_cell_fn)(const agg_cell_t *cell, void *arg);
int
agg_figures_read_period(store_txn_t *txn, const char *table, const char *period, agg_cell_fn *fn,
                        void *arg);

/* ------------------------------------------------------------------ applying events */

/* The tables of one copy of the figures. */
typedef struct {
    const char *cells;  /* cell key -> figures */
    const char *cases;  /* unit NUL case_no -> the case's statement and counted totals */
    const char *events; /* unit NUL event_id -> what that report stated and raised */
    bool channels;      /* keep the channel mask in cell keys */
} agg_tables_t;

/* Called for each cell whose figures changed (key borrowed). Non-zero aborts. */
typedef int(agg_cell_changed_fn)(const void *cell_key, size_t klen, void *arg);

/* Applies one event under the rules of agg_core.c: a CaseReport is a new statement of its
   case, and a correction (supersedes_event_id) changes what the report it supersedes
   stated. Other events change nothing (return 0). `changed` may be NULL. The reports of
   a case are taken in their unit's order (env->unit_seq, else occurred_at, then
   `log_seq`: docs/domain.md §4.2, "Order"), whatever order they come in: an event that
   comes before events already applied has its cases counted again, in that order, from
   the journal the events table keeps (at most 256 events). Returns 0, a store error,
   -ENOMEM, or -EINVAL when stored state is damaged. Deterministic. */
int
agg_figures_apply_event(store_txn_t *txn, const agg_tables_t *tables, const agg_period_spec_t *spec,
                        uint64_t log_seq, const Dajia__Envelope *env, agg_cell_changed_fn *changed,
                        void *arg);

#endif
