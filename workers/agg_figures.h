/*  agg_figures: the figures of case reports, counted by the latest state of each case.

    Shared by the aggregate and circulate cores. A "cell" is period x unit x case category
    x goods category (x channel mask, for circulate); its value is a Figures record. Each
    case (unit + case_no) has a current contribution: the cells and figures its latest
    report puts in; a new report of the case, or a correction, replaces that contribution
    (old subtracted, new added), so a case is never counted twice. The attribution rules
    (which date puts which figure in which period) are documented at the top of
    agg_core.c and implemented by agg_contribution_compute().

    State lives in three tables whose names the caller chooses (agg_tables_t), so that
    each core keeps its own copy under its own prefix.
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
    AGG_FIG_COUNT
};

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

/* A case contributes to at most one date per figure group: filing, closing, decision,
   transfer and the report itself. */
#define AGG_MAX_PARTS     5
#define AGG_UNIT_MAX      65 /* DAJIA_MAX_ID + NUL */
/* period NUL unit NUL category goods channels */
#define AGG_CELL_KEY_MAX  (AGG_PERIOD_MAX + AGG_UNIT_MAX + 3)
#define AGG_FIGURES_BYTES (AGG_FIG_COUNT * 8)

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
/* Fixed encoding of a cell value: AGG_FIG_COUNT big-endian int64s. decode returns 0, or
   -EINVAL when `len` is not AGG_FIGURES_BYTES. */
void
agg_figures_encode(const agg_figures_t *f, uint8_t out[AGG_FIGURES_BYTES]);
int
agg_figures_decode(const void *data, size_t len, agg_figures_t *out);

/* ------------------------------------------------------------------ contributions */

typedef struct {
    char period[AGG_PERIOD_MAX];
    agg_figures_t figures;
} agg_part_t;

/* What one case puts into the cells: one (category, goods, channels) and up to
   AGG_MAX_PARTS periods. count == 0 means nothing (a clue, a revoked case). */
typedef struct {
    int category;
    int goods;
    unsigned channels;
    size_t count;
    agg_part_t parts[AGG_MAX_PARTS];
} agg_contribution_t;

/* Computes the contribution of the case report in `env` (which must carry a CaseReport)
   under the rules of agg_core.c. With `with_channels` false, channels is left 0 (cells
   then ignore channels). Pure. */
void
agg_contribution_compute(const agg_period_spec_t *spec, const Dajia__Envelope *env,
                         bool with_channels, agg_contribution_t *out);

/* Do `a` and `b` put the same figures in the same cells? */
bool
agg_contribution_equal(const agg_contribution_t *a, const agg_contribution_t *b);

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
    const char *cases;  /* unit NUL case_no -> position + contribution */
    const char *events; /* unit NUL event_id -> position + case_no */
    bool channels;      /* keep the channel mask in cell keys */
} agg_tables_t;

/* Called for each cell whose figures changed (key borrowed). Non-zero aborts. */
typedef int(agg_cell_changed_fn)(const void *cell_key, size_t klen, void *arg);

/* Applies one event: a CaseReport replaces its case's contribution, and a correction
   (supersedes_event_id) withdraws the superseded event's contribution when that is still
   the case's current one. Other events change nothing (return 0). `changed` may be NULL.
   Returns 0, a store error, or -EINVAL when stored state is damaged. Deterministic. */
int
agg_figures_apply_event(store_txn_t *txn, const agg_tables_t *tables, const agg_period_spec_t *spec,
                        uint64_t log_seq, const Dajia__Envelope *env, agg_cell_changed_fn *changed,
                        void *arg);

#endif
