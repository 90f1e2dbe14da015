/*  agg_core: the aggregate worker's pure core (issue 3, part 3).

    It counts case reports into cells: period ("YYYY-MM", Beijing time by default;
    setting aggregate/tz_offset_min) x unit x case category x goods category, each cell
    holding the Figures of proto/dajia.proto. Every AggregateUpdate it emits carries the
    current figures of the cells that changed, so a reader replaces rows, never adds.

    COUNTING RULES (docs/domain.md §4.2, §4.3; implemented in agg_figures.c, each rule cited
    there by its name below). "The month of" a date is its calendar month in Beijing time
    (aggregate/tz_offset_min). A report's time is its occurred_at. Reports of a case are
    taken in their unit's order, whatever order the log holds them in: by unit_seq (the
    agent's outbox order); reports without one (an older agent, an import) before those
    with one, among themselves by occurred_at, then log_seq. A correction stands in the
    place of the report it supersedes.
    - Order: a report older than the case's statement, stored late, changes no fact; its
      counter increase is over the totals the report after it counted from, and that
      report's increase becomes the rest, so the months hold what an in-order run puts
      there. A correction stored before the report it supersedes counts on its own until
      that report comes; the report then counts in its place and the correction (the
      latest, when several) stands in the report's place. In general (agg_figures.c, "the
      journal"), an event stored after a later one of its case, of the report it corrects
      or of that report's case is not taken on the state as it stands: those cases leave
      the cells and their events count again in the unit's order, so every arrival order
      gives the figures of the unit's order. A case from a state written before the
      journal keeps the two rules above.
    - Identity: a case is unit + case_no: two units with the same case_no are two cases.
    - Dated figures: each lands in the month of the fact it counts, as the case's current
      statement gives it: the facts of its latest report, as corrections changed them. A
      report repeating the facts changes no month; a report that states a fact or its
      date differently (a new value, a later filed_at) moves that figure to the month of
      the fact as now stated: it is a late report for that month.
      . Filed: cases_filed 1 and case_value_fen, in the month of filed_at, when the stage
        is filed, investigating, penalty decided, closed, criminal investigation, arrest
        approved, prosecuted, in trial or judgment effective; at stage handed to other
        agency only when the report names filed_at or an earlier report showed the case
        filed (a clue handed over was never filed). Clue, revoked, unspecified and any
        stage added later are not filed. Stages are named one by one, never compared by
        their order in the enum.
      . Closed: cases_closed 1 in the month of closed_at, when the stage is closed or
        judgment effective, or closed_at is set.
      . Money: fines_confiscations_fen and loss_recovered_fen in the month of decision_at.
      . Transfers: transfers_to_police 1 in the month of transferred_at, when the linkage
        is transferred, police filed, police declined, reconsideration requested or
        decided, supervision requested, procuratorate notified filing, materials handed
        over or reverse transferred (each implies the transfer happened), and the stage is
        not one of the criminal justice organs' (criminal investigation, arrest approved,
        prosecuted, in trial, judgment effective): the case a police unit received by
        transfer (police filed) is counted once, under the unit that transferred it.
      . Dates: a date the report names wins; else the date the case already has for that
        fact (from an earlier report); else, for money, the closing date (closed_at, else
        the case's); else the report's time. So a fact first reported without its date
        stays in the month of the report that first stated it.
      . Revoked: a revoked case states no dated fact: its filing, value, closing, money
        and transfer leave the months they were counted in.
    - Counters: dens_destroyed, suspects_arrested, arrests_approved, prosecuted_cases
      (figure prosecutions), persons_judged (figure judgments), suspects_detained and
      prosecuted_persons (figure persons_prosecuted) have no date of their own. A report
      states the case's running totals; the increase over what the case has counted so
      far goes to the month (and cell) of that report, and stays there, so August's
      arrests stay in August when an October report arrives. A report stating a lower
      total counts the decrease in its own month, so the months always add up to the
      case's latest total. seized_quantity is no figure.
    - Corrections (supersedes_event_id): a correction changes exactly what the report it
      supersedes stated, in that report's place.
      . Its counters: the corrected report's increase changes by the difference between
        the correction's totals and the corrected report's, in the corrected report's
        month (not the correction's); other reports' increases stay. So a correction of an
        August report arriving in October changes August by the correction only.
      . Its facts: each fact the later reports carried forward unchanged from the
        corrected report takes the correction's value; a fact a later report changed since
        keeps that later value (field by field: a three-way merge). Dates the correction
        leaves out are the corrected report's, else the case's, else the corrected
        report's time.
      . A second correction of the same report (superseding it or the first correction)
        replaces the first one's statement.
      . A correction naming another case_no moves the report: its increase leaves the old
        case (whose dated figures stay, unless that was its only report: then they go) and
        it counts as a report of the new case in the corrected report's place and month.
      . A correction whose body is no case report withdraws the report the same way.
      . A correction of an event not known (yet) counts as a report of its own, at its own
        time, until that event comes (see Order); one of an event that is no case report
        keeps counting on its own.
    - Goods: a case naming several goods categories counts under its FIRST one only
      (GOODS_CATEGORY_UNSPECIFIED when it names none). Counting it under each would make the
      sum of the rows larger than the number of cases, and every total a reader takes
      (per unit, per category, for the city) would be wrong. The order of `goods` is the
      unit's: it lists the main goods first.

    OUTPUT: the core emits nothing on apply. It marks the cells that changed (table
    "agg.dirty"); tick() (the shell calls it every second) emits the current rows of the
    dirty cells, at most once per second of the tick clock, and clears the set. A cell whose
    figures fall back to zero is emitted with zero figures, then forgotten. Big sets are
    split into several AggregateUpdate items of at most AGG_ROWS_PER_UPDATE rows each.

    TABLES: agg.cells, agg.cases, agg.events (layout 4 and its journal, see agg_figures.c: a state
    written by an earlier layout is converted as it is read), agg.dirty (cell key -> "1"),
    agg.meta ("through" -> last applied log_seq, "emit_at" -> tick time of the last
    emission), all big-endian.
*/
#include "agg_figures.h"
#include "worker_core.h"
#include "worker_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define AGG_ROWS_PER_UPDATE  256
#define AGG_EMIT_INTERVAL_MS 1000

static const char *const s_cells = "agg.cells";
static const char *const s_dirty = "agg.dirty";
static const char *const s_meta = "agg.meta";
static const char *const s_key_through = "through";
static const char *const s_key_emit_at = "emit_at";

static const agg_tables_t s_tables = {
    .cells = "agg.cells", .cases = "agg.cases", .events = "agg.events", .channels = false};

typedef struct {
    agg_period_spec_t spec;
} s_core_t;

/* ================================================================ state helpers */

static int
s_meta_get(store_txn_t *txn, const char *key, uint64_t *value, bool *found)
{
    return worker_store_u64_get(txn, s_meta, key, value, found);
}

static int
s_meta_put(store_txn_t *txn, const char *key, uint64_t value)
{
    return worker_store_u64_put(txn, s_meta, key, value);
}

static int
s_mark_dirty(const void *cell_key, size_t klen, void *arg)
{
    store_txn_t *txn = arg;
    return store_put(txn, s_dirty, cell_key, klen, "1", 1, 0);
}

/* ================================================================ service */

static int
s_create(const worker_settings_t *settings, void **core)
{
    s_core_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    self->spec.length_ms = 0;
    self->spec.tz_offset_min =
        (int32_t)worker_settings_int(settings, "aggregate/tz_offset_min", DAJIA_TIME_BEIJING_MIN);
    *core = self;
    return 0;
}

static void
s_destroy(void **core)
{
    if (!core || !*core)
        return;
    free(*core);
    *core = NULL;
}

static int
s_apply(void *core, store_txn_t *txn, const worker_event_t *event, worker_outputs_t *out)
{
    (void)out; /* rows go out on tick */
    s_core_t *self = core;
    int rc = agg_figures_apply_event(txn, &s_tables, &self->spec, event->log_seq, event->env,
                                     s_mark_dirty, txn);
    if (rc == 0)
        rc = s_meta_put(txn, s_key_through, event->log_seq);
    return rc;
}

/* Up to AGG_ROWS_PER_UPDATE dirty cells, emitted as one item and then cleared. */
typedef struct {
    agg_cell_t cells[AGG_ROWS_PER_UPDATE];
    uint8_t keys[AGG_ROWS_PER_UPDATE][AGG_CELL_KEY_MAX];
    size_t klens[AGG_ROWS_PER_UPDATE];
    Dajia__AggregateRow rows[AGG_ROWS_PER_UPDATE];
    Dajia__AggregateRow *row_ptrs[AGG_ROWS_PER_UPDATE];
    Dajia__Figures figures[AGG_ROWS_PER_UPDATE];
    size_t count;
} s_chunk_t;

/* Fills `chunk` with the first dirty cells. */
static int
s_chunk_collect(store_txn_t *txn, s_chunk_t *chunk)
{
    store_cursor_t *cursor = NULL;
    chunk->count = 0;
    const void *k, *v;
    size_t kl, vl;
    int rc = worker_store_seek(txn, s_dirty, NULL, 0, &cursor, &k, &kl, &v, &vl);
    while (rc == 0 && chunk->count < AGG_ROWS_PER_UPDATE) {
        size_t i = chunk->count;
        if (kl > AGG_CELL_KEY_MAX || agg_cell_key_parse(k, kl, &chunk->cells[i]) != 0) {
            rc = -EINVAL;
            break;
        }
        memcpy(chunk->keys[i], k, kl);
        chunk->klens[i] = kl;
        chunk->count++;
        rc = store_cursor_next(cursor, &k, &kl, &v, &vl);
    }
    store_cursor_close(&cursor);
    return rc == STORE_NOTFOUND ? 0 : rc;
}

static int
s_chunk_emit(store_txn_t *txn, s_chunk_t *chunk, uint64_t through, int64_t now_ms,
             worker_outputs_t *out)
{
    for (size_t i = 0; i < chunk->count; i++) {
        agg_cell_t *cell = &chunk->cells[i];
        int rc = agg_cell_get(txn, s_cells, chunk->keys[i], chunk->klens[i], &cell->figures);
        if (rc)
            return rc;
        Dajia__Figures *f = &chunk->figures[i];
        dajia__figures__init(f);
        agg_figures_to_proto(&cell->figures, f);
        Dajia__AggregateRow *row = &chunk->rows[i];
        dajia__aggregate_row__init(row);
        row->period = cell->period;
        row->unit = cell->unit;
        row->category = (Dajia__CaseCategory)cell->category;
        row->goods = (Dajia__GoodsCategory)cell->goods;
        row->figures = f;
        chunk->row_ptrs[i] = row;
    }
    Dajia__AggregateUpdate update = DAJIA__AGGREGATE_UPDATE__INIT;
    update.n_rows = chunk->count;
    update.rows = chunk->row_ptrs;
    update.through_log_seq = through;
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.audience = DAJIA__AUDIENCE__AUDIENCE_PUBLIC;
    item.service = (char *)worker_aggregate.name;
    item.source_log_seq = through;
    item.produced_at = now_ms;
    item.item_case = DAJIA__FEED_ITEM__ITEM_AGGREGATE;
    item.aggregate = &update;
    int rc = worker_outputs_add(out, &item);
    for (size_t i = 0; rc == 0 && i < chunk->count; i++)
        rc = store_del(txn, s_dirty, chunk->keys[i], chunk->klens[i]);
    return rc;
}

static int
s_tick(void *core, store_txn_t *txn, int64_t now_ms, worker_outputs_t *out)
{
    (void)core;
    uint64_t value = 0, through = 0, dirty = 0;
    bool found = false;
    int rc = s_meta_get(txn, s_key_emit_at, &value, &found);
    if (rc)
        return rc;
    /* At most once per second of the tick clock; a clock behind the last emission waits
       until it passes it, so interleaved event-time ticks cannot add emissions. */
    if (found && now_ms < (int64_t)value + AGG_EMIT_INTERVAL_MS)
        return 0;
    rc = store_count(txn, s_dirty, &dirty);
    if (rc || dirty == 0)
        return rc;
    rc = s_meta_get(txn, s_key_through, &through, &found);
    if (rc)
        return rc;
    s_chunk_t *chunk = malloc(sizeof *chunk);
    if (!chunk)
        return -ENOMEM;
    do {
        rc = s_chunk_collect(txn, chunk);
        if (rc == 0 && chunk->count)
            rc = s_chunk_emit(txn, chunk, through, now_ms, out);
    } while (rc == 0 && chunk->count == AGG_ROWS_PER_UPDATE);
    free(chunk);
    if (rc == 0)
        rc = s_meta_put(txn, s_key_emit_at, (uint64_t)now_ms);
    return rc;
}

const worker_service_t worker_aggregate = {
    .name = "aggregate",
    .create = s_create,
    .apply = s_apply,
    .tick = s_tick,
    .destroy = s_destroy,
};
