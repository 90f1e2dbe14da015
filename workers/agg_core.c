/*  agg_core: the aggregate worker's pure core (issue 3, part 3).

    It counts case reports into cells: period ("YYYY-MM", Beijing time by default;
    setting aggregate/tz_offset_min) x unit x case category x goods category, each cell
    holding the Figures of proto/dajia.proto. Every AggregateUpdate it emits carries the
    current figures of the cells that changed, so a reader replaces rows, never adds.

    COUNTING RULES
    - A case is unit + case_no: two units with the same case_no are two cases.
    - A case counts by its LATEST report, whatever its stage. The core keeps per case the
      contribution (cells and figures) its latest report made; a new report replaces it
      (old contribution subtracted, new added), so repeating a report changes nothing and
      a case moving forward is never counted twice.
    - A correction (supersedes_event_id) withdraws the superseded report's contribution if
      that report is still its case's current one, and the correction (when it carries a
      CaseReport) stands in the superseded report's place. A correction of a report that a
      later report has already replaced changes nothing but the record of events: the later
      report is the case's state. A correction may move a case to another case_no: the old
      key is withdrawn and the new one counted.
    - A revoked case (stage revoked) contributes nothing; its earlier figures are withdrawn.

    ATTRIBUTION: each figure goes to the period of its own date, so a case filed in October
    and closed in November counts as filed in October and closed in November, whenever the
    reports arrive. A missing date falls back as listed; occurred_at is the report's time.
    - cases_filed = 1 and case_value_fen, in the period of filed_at (else occurred_at),
      when the stage is filed or any later stage (clue and unspecified are not filed).
    - cases_closed = 1, in the period of closed_at (else occurred_at), when the stage is
      closed or judgment effective, or closed_at is set.
    - fines_confiscations_fen and loss_recovered_fen, in the period of decision_at (else
      closed_at, else occurred_at): money is counted when it is decided.
    - transfers_to_police = 1, in the period of transferred_at (else occurred_at), when the
      linkage status is transferred or any status after it (police filed or declined,
      reconsideration, supervision, notified filing, materials handed over, reverse
      transfer): each of those implies the transfer happened.
    - dens_destroyed, suspects_arrested, arrests_approved, prosecutions (prosecuted_cases)
      and judgments (persons_judged), in the period of the report's occurred_at. They are
      the case's running totals, so the latest report's values replace the earlier ones,
      and they move to the latest report's period.
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

    TABLES: agg.cells, agg.cases, agg.events (see agg_figures.c), agg.dirty (cell key ->
    "1"), agg.meta ("through" -> last applied log_seq, "emit_at" -> tick time of the last
    emission), all big-endian.
*/
#include "agg_figures.h"
#include "worker_core.h"

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
    const void *val;
    size_t vlen;
    int rc = store_get(txn, s_meta, key, strlen(key), &val, &vlen);
    *found = false;
    if (rc == STORE_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (vlen != 8)
        return -EINVAL;
    *value = store_key_to_u64(val);
    *found = true;
    return 0;
}

static int
s_meta_put(store_txn_t *txn, const char *key, uint64_t value)
{
    unsigned char val[8];
    store_u64_to_key(value, val);
    return store_put(txn, s_meta, key, strlen(key), val, sizeof val, 0);
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
    int rc = store_cursor_open(txn, s_dirty, &cursor);
    if (rc == STORE_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    const void *k, *v;
    size_t kl, vl;
    rc = store_cursor_seek(cursor, NULL, 0, &k, &kl, &v, &vl);
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
