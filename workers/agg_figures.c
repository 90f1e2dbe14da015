/*  agg_figures: what case reports state, and the cells their figures are counted in.

    Layout of the tables, version 4 (integers big-endian, int64 as two's complement):
      cells   key  period NUL unit NUL category(1) goods(1) channels(1)
              val  AGG_FIG_COUNT x int64
      cases   key  unit NUL case_no
              val  'D' order(24: unit_seq, at, log_seq) reports(4) facts(60) counted(7 x 8)
      events  key  unit NUL event_id
              val  'T' position(8) unit_seq(8) report_at(8) stated(7 x 8) raised(7 x 8)
                   facts(60) case_no
                   (a report: its own statement, possibly corrected since)
              or   'A' event_id of a report ('T', 'S' or 'R') in the same unit (a
                   correction, or the id a correction stored before it said it supersedes)
              key  unit NUL NUL case_no NUL order(17, s_order_key)
              val  event_id of the report record standing there (the case's reports in
                   the unit's order: docs/domain.md §4.2, "Order")
              key  unit NUL NUL NUL event_id
              val  the packed Envelope of the latest correction standing, under event_id,
                   for a report that has not come (it takes its place when it does)
              key  unit NUL NUL NUL NUL NUL order(17)
              val  names(1) [length(1) name]... packed Envelope: an event of the journal
              key  unit NUL NUL NUL NUL name   (name: 'c' case_no, or 'e' event_id)
              val  order(17) of the latest event filed under the name (its marker)
              key  unit NUL NUL NUL NUL name NUL order(17)
              val  "1": the event at order touches the name (the journal, below)
      facts   category(1) goods(1) channels(1) flags(1: filed 1, closed 2, transferred 4)
              filed_at value_fen closed_at money_at fines_fen loss_fen transferred_at (8 each)
    A case's facts are its current statement (s_facts_t); `counted` is the sum of the
    counter increases counted for it; `reports` how many reports name it; `order` that of
    the report its facts were last taken from (s_order_t). A report's `stated` are the
    counter totals it (or the correction standing in its place) gave, `raised` the increase
    counted for it in the cell of `report_at`, its own time.
    A cell whose figures all come back to zero is deleted, so tables hold only live cells.

    Layout 1 (before issue 9) is recognised by its first byte, 0 (the top byte of a
    log_seq), and converted when a record is read (s_case_decode_v1, s_report_get): a case
    held the contribution of its latest report only, so each fact is dated by the start of
    the period it was counted in (the same cell), the counter totals count as raised by
    that report in the period they were counted in, and a layout-1 event record is known
    only by its position and case: a correction of the case's current report corrects
    those figures; one of an older report changes nothing (what layout 1 did). Figures
    already counted stay where layout 1 put them; rebuilding the worker's state from the
    log counts them again under the rules of agg_core.c.

    Layout 3 (before the unit's order) held the statement's log_seq only ('C') and reports
    without unit_seq ('S'), and no order entries: such a statement counts as older than
    every report that comes, and a report older than the statement finds no report after
    it to share an increase with (it counts none, what layout 3 did). Records are written
    in layout 4 when they change.

    Layout 2 (issue 9 before the counters of suspects detained and persons prosecuted)
    differs only in holding 5 counters where layout 3 holds 7, and in the figures of a
    cell (AGG_FIGURES_BYTES_V2): a case is told by its length, a report by its tag 'R',
    a cell by its length, and the two counters missing read as 0. A record is written
    again in layout 3 when it changes. So the state of a layout-2 worker never counted
    these two: the next report of a case counts its whole totals of them in that report's
    period, and a correction of a layout-2 report changes the other counters only (what
    the report stated of these two is not known). Rebuilding the worker's state from the
    log puts them where agg_core.c says.
*/
#include "agg_figures.h"
#include "dajia_time.h"
#include "worker_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_ID_MAX           65                            /* an id, with its NUL */
#define S_KEY_MAX          (AGG_UNIT_MAX + 1 + S_ID_MAX) /* unit NUL id */
#define S_COUNTERS         (AGG_FIG_COUNT - AGG_FIG_DENS)
#define S_COUNTERS_V2      (AGG_FIG_COUNT_V2 - AGG_FIG_DENS)
#define S_FACTS_BYTES      (4 + 7 * 8)
#define S_CASE_BYTES_N(n)  (1 + 8 + 4 + S_FACTS_BYTES + (n)*8)
#define S_CASE_BYTES       S_CASE_BYTES_N(S_COUNTERS)
#define S_CASE_BYTES_V2    S_CASE_BYTES_N(S_COUNTERS_V2)
#define S_REPORT_HEAD_N(n) (1 + 8 + 8 + 2 * (n)*8 + S_FACTS_BYTES)
#define S_REPORT_HEAD      S_REPORT_HEAD_N(S_COUNTERS)
#define S_REPORT_HEAD_V2   S_REPORT_HEAD_N(S_COUNTERS_V2)
/* A move touches two cases: at most 2 x (2 x 4 facts + 4 counters); a report taken into
   its place after a correction (docs/domain.md §4.2, "Order") touches one case three
   times. */
#define S_MAX_DELTAS       48
#define S_CASE_BYTES4      (1 + 24 + 4 + S_FACTS_BYTES + S_COUNTERS * 8)
#define S_REPORT_HEAD4     (S_REPORT_HEAD + 8)
#define S_ORDER_BYTES      17
/* An order entry: unit NUL NUL case_no NUL order */
#define S_IKEY_MAX         (AGG_UNIT_MAX + 1 + S_ID_MAX + 1 + S_ORDER_BYTES)
#define S_TAG_CASE         'C' /* layouts 2 and 3: the statement's log_seq only */
#define S_TAG_CASE4        'D' /* layout 4: the statement's whole order */
#define S_TAG_REPORT4      'T' /* layout 4 */
#define S_TAG_REPORT       'S' /* layout 3 */
#define S_TAG_REPORT_V2    'R' /* layout 2: 5 counters */
#define S_TAG_ALIAS        'A'
#define S_FLAG_FILED       0x01u
#define S_FLAG_CLOSED      0x02u
#define S_FLAG_TRANSF      0x04u

/* ================================================================ figures */

void
agg_figures_add(agg_figures_t *acc, const agg_figures_t *x)
{
    for (int i = 0; i < AGG_FIG_COUNT; i++)
        acc->v[i] += x->v[i];
}

void
agg_figures_sub(agg_figures_t *acc, const agg_figures_t *x)
{
    for (int i = 0; i < AGG_FIG_COUNT; i++)
        acc->v[i] -= x->v[i];
}

bool
agg_figures_is_zero(const agg_figures_t *f)
{
    for (int i = 0; i < AGG_FIG_COUNT; i++)
        if (f->v[i])
            return false;
    return true;
}

void
agg_figures_to_proto(const agg_figures_t *f, Dajia__Figures *out)
{
    out->cases_filed = f->v[AGG_FIG_FILED];
    out->cases_closed = f->v[AGG_FIG_CLOSED];
    out->case_value_fen = f->v[AGG_FIG_VALUE_FEN];
    out->fines_confiscations_fen = f->v[AGG_FIG_FINES_FEN];
    out->loss_recovered_fen = f->v[AGG_FIG_LOSS_RECOVERED_FEN];
    out->transfers_to_police = f->v[AGG_FIG_TRANSFERS];
    out->dens_destroyed = f->v[AGG_FIG_DENS];
    out->suspects_arrested = f->v[AGG_FIG_ARRESTED];
    out->arrests_approved = f->v[AGG_FIG_ARRESTS_APPROVED];
    out->prosecutions = f->v[AGG_FIG_PROSECUTIONS];
    out->judgments = f->v[AGG_FIG_JUDGMENTS];
    out->suspects_detained = f->v[AGG_FIG_DETAINED];
    out->persons_prosecuted = f->v[AGG_FIG_PERSONS_PROSECUTED];
}

void
agg_figures_from_proto(const Dajia__Figures *in, agg_figures_t *out)
{
    out->v[AGG_FIG_FILED] = in->cases_filed;
    out->v[AGG_FIG_CLOSED] = in->cases_closed;
    out->v[AGG_FIG_VALUE_FEN] = in->case_value_fen;
    out->v[AGG_FIG_FINES_FEN] = in->fines_confiscations_fen;
    out->v[AGG_FIG_LOSS_RECOVERED_FEN] = in->loss_recovered_fen;
    out->v[AGG_FIG_TRANSFERS] = in->transfers_to_police;
    out->v[AGG_FIG_DENS] = in->dens_destroyed;
    out->v[AGG_FIG_ARRESTED] = in->suspects_arrested;
    out->v[AGG_FIG_ARRESTS_APPROVED] = in->arrests_approved;
    out->v[AGG_FIG_PROSECUTIONS] = in->prosecutions;
    out->v[AGG_FIG_JUDGMENTS] = in->judgments;
    out->v[AGG_FIG_DETAINED] = in->suspects_detained;
    out->v[AGG_FIG_PERSONS_PROSECUTED] = in->persons_prosecuted;
}

static void
s_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t
s_get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

void
agg_figures_encode(const agg_figures_t *f, uint8_t out[AGG_FIGURES_BYTES])
{
    for (int i = 0; i < AGG_FIG_COUNT; i++)
        s_put_u64(out + 8 * i, (uint64_t)f->v[i]);
}

int
agg_figures_decode(const void *data, size_t len, agg_figures_t *out)
{
    if (len != AGG_FIGURES_BYTES && len != AGG_FIGURES_BYTES_V2)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < len / 8; i++)
        out->v[i] = (int64_t)s_get_u64((const uint8_t *)data + 8 * i);
    return 0;
}

/* ================================================================ cells */

size_t
agg_cell_key(uint8_t buf[AGG_CELL_KEY_MAX], const char *period, const char *unit, int category,
             int goods, unsigned channels)
{
    size_t plen = strlen(period), ulen = strlen(unit);
    if (plen >= AGG_PERIOD_MAX || ulen >= AGG_UNIT_MAX)
        return 0;
    uint8_t *p = buf;
    memcpy(p, period, plen + 1);
    p += plen + 1;
    memcpy(p, unit, ulen + 1);
    p += ulen + 1;
    *p++ = (uint8_t)category;
    *p++ = (uint8_t)goods;
    *p++ = (uint8_t)channels;
    return (size_t)(p - buf);
}

int
agg_cell_key_parse(const void *key, size_t klen, agg_cell_t *cell)
{
    const uint8_t *k = key;
    const uint8_t *nul1 = memchr(k, 0, klen);
    if (!nul1 || (size_t)(nul1 - k) >= AGG_PERIOD_MAX)
        return -EINVAL;
    size_t rest = klen - (size_t)(nul1 - k) - 1;
    const uint8_t *nul2 = memchr(nul1 + 1, 0, rest);
    if (!nul2 || (size_t)(nul2 - nul1 - 1) >= AGG_UNIT_MAX)
        return -EINVAL;
    if ((size_t)(k + klen - nul2) != 4)
        return -EINVAL;
    memcpy(cell->period, k, (size_t)(nul1 - k) + 1);
    memcpy(cell->unit, nul1 + 1, (size_t)(nul2 - nul1));
    cell->category = nul2[1];
    cell->goods = nul2[2];
    cell->channels = nul2[3];
    return 0;
}

int
agg_cell_get(store_txn_t *txn, const char *table, const void *key, size_t klen, agg_figures_t *out)
{
    const void *val;
    size_t vlen;
    int rc = store_get(txn, table, key, klen, &val, &vlen);
    if (rc == STORE_NOTFOUND) {
        memset(out, 0, sizeof *out);
        return 0;
    }
    if (rc)
        return rc;
    return agg_figures_decode(val, vlen, out);
}

int
agg_figures_read_period(store_txn_t *txn, const char *table, const char *period, agg_cell_fn *fn,
                        void *arg)
{
    size_t plen = strlen(period);
    if (plen >= AGG_PERIOD_MAX)
        return -EINVAL;
    store_cursor_t *cursor = NULL;
    const void *k, *v;
    size_t kl, vl;
    agg_cell_t cell;
    int rc = worker_store_seek(txn, table, period, plen + 1, &cursor, &k, &kl, &v, &vl);
    while (rc == 0) {
        if (kl <= plen || memcmp(k, period, plen + 1) != 0)
            break;
        rc = agg_cell_key_parse(k, kl, &cell);
        if (rc == 0)
            rc = agg_figures_decode(v, vl, &cell.figures);
        if (rc == 0)
            rc = fn(&cell, arg);
        if (rc)
            goto out;
        rc = store_cursor_next(cursor, &k, &kl, &v, &vl);
    }
    if (rc == STORE_NOTFOUND)
        rc = 0;
out:
    store_cursor_close(&cursor);
    return rc;
}

/* ================================================================ statements */

/* The counters without a date of their own, figures AGG_FIG_DENS .. AGG_FIG_JUDGMENTS. */
typedef struct {
    int64_t v[S_COUNTERS];
} s_counters_t;

/* The dated facts of a case as a report states them, each date resolved
   (s_facts_resolve). A date is kept once known, even while its fact is not stated, so a
   later report that leaves the date out puts the fact back in the same month. */
typedef struct {
    int category, goods;
    unsigned channels;
    bool filed, closed, transferred;
    int64_t filed_at, value_fen;
    int64_t closed_at;
    int64_t money_at, fines_fen, loss_fen;
    int64_t transferred_at;
} s_facts_t;

/* docs/domain.md §4.3, "Transfers": the stages of a case the criminal justice organs
   themselves handle (police, procuratorate, court). Such a case's linkage (police_filed:
   the police filed what it received) says it was received, not that this unit sent it. */
static bool
s_stage_is_criminal(Dajia__CaseStage stage)
{
    switch (stage) {
    case DAJIA__CASE_STAGE__CASE_STAGE_CRIMINAL_INVESTIGATION:
    case DAJIA__CASE_STAGE__CASE_STAGE_ARREST_APPROVED:
    case DAJIA__CASE_STAGE__CASE_STAGE_PROSECUTED:
    case DAJIA__CASE_STAGE__CASE_STAGE_IN_TRIAL:
    case DAJIA__CASE_STAGE__CASE_STAGE_JUDGMENT_EFFECTIVE:
        return true;
    default:
        return false;
    }
}

/* docs/domain.md §4.3, "Filed": the stages only a filed case reaches, named one by one
   (with those of s_stage_is_criminal). The enum's order is not the lifecycle:
   handed_to_other_agency comes after closed, yet a clue can be handed over without ever
   being filed (s_facts_resolve handles that stage); clue, revoked, unspecified and any
   value added later are not filed. */
static bool
s_stage_is_filed(Dajia__CaseStage stage)
{
    switch (stage) {
    case DAJIA__CASE_STAGE__CASE_STAGE_FILED:
    case DAJIA__CASE_STAGE__CASE_STAGE_INVESTIGATING:
    case DAJIA__CASE_STAGE__CASE_STAGE_PENALTY_DECIDED:
    case DAJIA__CASE_STAGE__CASE_STAGE_CLOSED:
        return true;
    default:
        return s_stage_is_criminal(stage);
    }
}

/* docs/domain.md §4.3, "Transfers": the linkage statuses that can only follow a
   transfer to the police (each implies it happened). */
static bool
s_linkage_is_transferred(Dajia__LinkageStatus linkage)
{
    switch (linkage) {
    case DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_TRANSFERRED:
    case DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_POLICE_FILED:
    case DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_POLICE_DECLINED:
    case DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_RECONSIDERATION_REQUESTED:
    case DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_RECONSIDERATION_DECIDED:
    case DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_SUPERVISION_REQUESTED:
    case DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_PROCURATORATE_NOTIFIED_FILING:
    case DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_MATERIALS_HANDED_OVER:
    case DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_REVERSE_TRANSFERRED:
        return true;
    default:
        return false;
    }
}

/* The facts `cr` states. `known` (may be NULL) holds the dates the case already has;
   `fallback_at` dates a fact no date names (the report's own time). Pure. */
static void
s_facts_resolve(const Dajia__CaseReport *cr, int64_t fallback_at, const s_facts_t *known,
                bool with_channels, s_facts_t *out)
{
    memset(out, 0, sizeof *out);
    out->category = cr->category >= 0 && cr->category <= UINT8_MAX ? (int)cr->category : 0;
    /* docs/domain.md §4.2, "Goods": the first goods category only. */
    int goods = cr->n_goods ? (int)cr->goods[0] : 0;
    out->goods = goods >= 0 && goods <= UINT8_MAX ? goods : 0;
    if (with_channels)
        out->channels = (cr->ecommerce ? AGG_CHANNEL_ECOMMERCE : 0) |
                        (cr->key_physical_market ? AGG_CHANNEL_KEY_MARKET : 0) |
                        (cr->rural ? AGG_CHANNEL_RURAL : 0) |
                        (cr->import_export ? AGG_CHANNEL_IMPORT_EXPORT : 0) |
                        (cr->postal_express ? AGG_CHANNEL_POSTAL_EXPRESS : 0);
    /* docs/domain.md §4.3, "Dates": a date the report names wins; else the date the
       case already has for that fact; else (the fact is new) the fallback. */
    if (known) {
        out->filed_at = known->filed_at;
        out->closed_at = known->closed_at;
        out->money_at = known->money_at;
        out->transferred_at = known->transferred_at;
    }
    if (cr->filed_at)
        out->filed_at = cr->filed_at;
    if (cr->closed_at)
        out->closed_at = cr->closed_at;
    if (cr->decision_at)
        out->money_at = cr->decision_at;
    if (cr->transferred_at)
        out->transferred_at = cr->transferred_at;
    /* docs/domain.md §4.2, "Revoked": a revoked case states no dated fact. */
    Dajia__CaseStage stage = cr->stage;
    if (stage == DAJIA__CASE_STAGE__CASE_STAGE_REVOKED)
        return;
    /* "Filed": a filed stage, or handed over after filing (the report names filed_at or
       an earlier one showed the case filed); the case value goes with the filing. */
    out->filed = s_stage_is_filed(stage) ||
                 (stage == DAJIA__CASE_STAGE__CASE_STAGE_HANDED_TO_OTHER_AGENCY && out->filed_at);
    if (out->filed) {
        out->filed_at = out->filed_at ? out->filed_at : fallback_at;
        out->value_fen = cr->case_value_fen;
    }
    /* "Closed": stage closed or judgment effective, or a closing date. */
    out->closed = stage == DAJIA__CASE_STAGE__CASE_STAGE_CLOSED ||
                  stage == DAJIA__CASE_STAGE__CASE_STAGE_JUDGMENT_EFFECTIVE || cr->closed_at;
    if (out->closed && !out->closed_at)
        out->closed_at = fallback_at;
    /* "Money": the decision date, else the closing date. */
    out->fines_fen = cr->fines_confiscations_fen;
    out->loss_fen = cr->loss_recovered_fen;
    if ((out->fines_fen || out->loss_fen) && !out->money_at)
        out->money_at = out->closed_at ? out->closed_at : fallback_at;
    /* "Transfers": sent by this unit, not received. */
    out->transferred = s_linkage_is_transferred(cr->linkage) && !s_stage_is_criminal(stage);
    if (out->transferred && !out->transferred_at)
        out->transferred_at = fallback_at;
}

static void
s_counters_of(const Dajia__CaseReport *cr, s_counters_t *out)
{
    memset(out, 0, sizeof *out);
    if (!cr)
        return;
    out->v[AGG_FIG_DENS - AGG_FIG_DENS] = cr->dens_destroyed;
    out->v[AGG_FIG_ARRESTED - AGG_FIG_DENS] = cr->suspects_arrested;
    out->v[AGG_FIG_ARRESTS_APPROVED - AGG_FIG_DENS] = cr->arrests_approved;
    out->v[AGG_FIG_PROSECUTIONS - AGG_FIG_DENS] = cr->prosecuted_cases;
    out->v[AGG_FIG_JUDGMENTS - AGG_FIG_DENS] = cr->persons_judged;
    out->v[AGG_FIG_DETAINED - AGG_FIG_DENS] = cr->suspects_detained;
    out->v[AGG_FIG_PERSONS_PROSECUTED - AGG_FIG_DENS] = cr->prosecuted_persons;
}

/* docs/domain.md §4.2, "Corrections": `cur` is the case's statement, `base` what the
   corrected report stated, `fix` what the correction states. Each fact the later reports
   carried forward unchanged from `base` takes the correction's value; a fact a later
   report changed since keeps that later value. Three-way, field by field. */
static void
s_facts_merge(const s_facts_t *base, const s_facts_t *fix, s_facts_t *cur)
{
#define S_MERGE(field)                                                                             \
    if (cur->field == base->field)                                                                 \
    cur->field = fix->field
    S_MERGE(category);
    S_MERGE(goods);
    S_MERGE(channels);
    S_MERGE(filed);
    S_MERGE(filed_at);
    S_MERGE(value_fen);
    S_MERGE(closed);
    S_MERGE(closed_at);
    S_MERGE(money_at);
    S_MERGE(fines_fen);
    S_MERGE(loss_fen);
    S_MERGE(transferred);
    S_MERGE(transferred_at);
#undef S_MERGE
}

/* ================================================================ cell deltas */

typedef struct {
    uint8_t key[AGG_CELL_KEY_MAX];
    size_t klen;
    agg_figures_t delta;
} s_delta_t;

typedef struct {
    s_delta_t items[S_MAX_DELTAS];
    size_t count;
    bool overflow;
} s_deltas_t;

/* The delta of the cell of `unit` in the period containing `at_ms`, with the dimensions of
   `dims`; NULL when the key does not fit (or, which the sizes rule out, the list is full). */
static agg_figures_t *
s_delta_at(s_deltas_t *deltas, const agg_period_spec_t *spec, const char *unit, int64_t at_ms,
           const s_facts_t *dims)
{
    char period[AGG_PERIOD_MAX];
    uint8_t key[AGG_CELL_KEY_MAX];
    agg_period_name_at(spec, at_ms, period);
    size_t klen = agg_cell_key(key, period, unit, dims->category, dims->goods, dims->channels);
    if (klen == 0)
        return NULL;
    for (size_t i = 0; i < deltas->count; i++)
        if (deltas->items[i].klen == klen && memcmp(deltas->items[i].key, key, klen) == 0)
            return &deltas->items[i].delta;
    if (deltas->count == S_MAX_DELTAS) {
        deltas->overflow = true;
        return NULL;
    }
    s_delta_t *d = &deltas->items[deltas->count++];
    memcpy(d->key, key, klen);
    d->klen = klen;
    memset(&d->delta, 0, sizeof d->delta);
    return &d->delta;
}

/* Adds `sign` x the dated figures of `f`, each in the period of its own date. */
static void
s_deltas_facts(s_deltas_t *deltas, const agg_period_spec_t *spec, const char *unit,
               const s_facts_t *f, int sign)
{
    agg_figures_t *x;
    if (f->filed && (x = s_delta_at(deltas, spec, unit, f->filed_at, f))) {
        x->v[AGG_FIG_FILED] += sign;
        x->v[AGG_FIG_VALUE_FEN] += sign * f->value_fen;
    }
    if (f->closed && (x = s_delta_at(deltas, spec, unit, f->closed_at, f)))
        x->v[AGG_FIG_CLOSED] += sign;
    if ((f->fines_fen || f->loss_fen) && (x = s_delta_at(deltas, spec, unit, f->money_at, f))) {
        x->v[AGG_FIG_FINES_FEN] += sign * f->fines_fen;
        x->v[AGG_FIG_LOSS_RECOVERED_FEN] += sign * f->loss_fen;
    }
    if (f->transferred && (x = s_delta_at(deltas, spec, unit, f->transferred_at, f)))
        x->v[AGG_FIG_TRANSFERS] += sign;
}

/* Adds `sign` x the counters `c` in the period of `at_ms`, cell dimensions of `dims`. */
static void
s_deltas_counters(s_deltas_t *deltas, const agg_period_spec_t *spec, const char *unit,
                  int64_t at_ms, const s_facts_t *dims, const s_counters_t *c, int sign)
{
    bool any = false;
    for (int i = 0; i < S_COUNTERS; i++)
        any = any || c->v[i];
    agg_figures_t *x = any ? s_delta_at(deltas, spec, unit, at_ms, dims) : NULL;
    for (int i = 0; x && i < S_COUNTERS; i++)
        x->v[AGG_FIG_DENS + i] += sign * c->v[i];
}

/* The cells a replay (the journal, below) touches, each with its figures before it: only
   those that end up different are reported changed. */
typedef struct {
    struct s_seen_cell {
        uint8_t key[AGG_CELL_KEY_MAX];
        size_t klen;
        agg_figures_t before;
    } * v;
    size_t count, cap;
} s_seen_t;

static int
s_seen_add(s_seen_t *seen, const uint8_t *key, size_t klen, const agg_figures_t *before)
{
    for (size_t i = 0; i < seen->count; i++)
        if (seen->v[i].klen == klen && memcmp(seen->v[i].key, key, klen) == 0)
            return 0;
    if (seen->count == seen->cap) {
        size_t cap = seen->cap ? 2 * seen->cap : 16;
        struct s_seen_cell *v = realloc(seen->v, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        seen->v = v, seen->cap = cap;
    }
    struct s_seen_cell *c = &seen->v[seen->count++];
    memcpy(c->key, key, klen);
    c->klen = klen;
    c->before = *before;
    return 0;
}

/* Adds the deltas to their cells, and reports each cell changed (or, `seen` not NULL,
   records it there). */
static int
s_deltas_apply(store_txn_t *txn, const char *table, const s_deltas_t *deltas,
               agg_cell_changed_fn *changed, void *arg, s_seen_t *seen)
{
    for (size_t i = 0; i < deltas->count; i++) {
        const s_delta_t *d = &deltas->items[i];
        if (agg_figures_is_zero(&d->delta))
            continue;
        agg_figures_t figures;
        int rc = agg_cell_get(txn, table, d->key, d->klen, &figures);
        if (rc == 0 && seen)
            rc = s_seen_add(seen, d->key, d->klen, &figures);
        if (rc)
            return rc;
        agg_figures_add(&figures, &d->delta);
        if (agg_figures_is_zero(&figures)) {
            rc = store_del(txn, table, d->key, d->klen);
            if (rc == STORE_NOTFOUND)
                rc = 0;
        } else {
            uint8_t val[AGG_FIGURES_BYTES];
            agg_figures_encode(&figures, val);
            rc = store_put(txn, table, d->key, d->klen, val, sizeof val, 0);
        }
        if (rc == 0 && changed && !seen)
            rc = changed(d->key, d->klen, arg);
        if (rc)
            return rc;
    }
    return 0;
}

/* ================================================================ records */

/* docs/domain.md §4.2, "Order": where a report stands among its unit's reports. Reports
   the unit numbered (unit_seq) come after those it did not (an agent before unit_seq,
   the Office's imports), and go by that number; the others go by occurred_at; then the
   log. A total order, compared as the bytes of s_order_key(). */
typedef struct {
    uint64_t seq; /* Envelope.unit_seq, 0: none */
    int64_t at;   /* occurred_at */
    uint64_t log; /* log_seq */
} s_order_t;

static int
s_order_cmp(const s_order_t *a, const s_order_t *b)
{
    if ((a->seq != 0) != (b->seq != 0))
        return a->seq ? 1 : -1;
    if (a->seq && a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    if (!a->seq && a->at != b->at)
        return a->at < b->at ? -1 : 1;
    if (a->log != b->log)
        return a->log < b->log ? -1 : 1;
    return 0;
}

/* The order as bytes that sort like s_order_cmp(). */
static void
s_order_key(const s_order_t *o, uint8_t out[S_ORDER_BYTES])
{
    out[0] = o->seq != 0;
    s_put_u64(out + 1, o->seq ? o->seq : (uint64_t)o->at ^ (UINT64_C(1) << 63));
    s_put_u64(out + 9, o->log);
}

typedef struct {
    s_order_t order; /* of the report the facts were last taken from */
    uint32_t reports;
    s_facts_t facts;
    s_counters_t counted;
    int64_t v1_report_at; /* read from layout 1: when its counters were counted (else 0) */
} s_case_t;

typedef struct {
    uint64_t position; /* log_seq of the report (or of the report it stands in place of) */
    uint64_t seq;      /* its unit_seq (0: none) */
    int64_t report_at;
    s_counters_t stated;
    s_counters_t raised;
    s_facts_t facts;
    char case_no[S_ID_MAX];
    bool v1; /* a layout-1 record: only position and case_no are known */
    bool v2; /* a layout-2 record: what it stated of the last two counters is not known */
} s_report_t;

static void
s_put_i64(uint8_t **p, int64_t v)
{
    s_put_u64(*p, (uint64_t)v);
    *p += 8;
}

static int64_t
s_take_i64(const uint8_t **p)
{
    int64_t v = (int64_t)s_get_u64(*p);
    *p += 8;
    return v;
}

static void
s_facts_encode(const s_facts_t *f, uint8_t **p)
{
    uint8_t *q = *p;
    q[0] = (uint8_t)f->category;
    q[1] = (uint8_t)f->goods;
    q[2] = (uint8_t)f->channels;
    q[3] = (uint8_t)((f->filed ? S_FLAG_FILED : 0) | (f->closed ? S_FLAG_CLOSED : 0) |
                     (f->transferred ? S_FLAG_TRANSF : 0));
    *p += 4;
    s_put_i64(p, f->filed_at);
    s_put_i64(p, f->value_fen);
    s_put_i64(p, f->closed_at);
    s_put_i64(p, f->money_at);
    s_put_i64(p, f->fines_fen);
    s_put_i64(p, f->loss_fen);
    s_put_i64(p, f->transferred_at);
}

static void
s_facts_decode(const uint8_t **p, s_facts_t *f)
{
    const uint8_t *q = *p;
    f->category = q[0];
    f->goods = q[1];
    f->channels = q[2];
    f->filed = q[3] & S_FLAG_FILED;
    f->closed = q[3] & S_FLAG_CLOSED;
    f->transferred = q[3] & S_FLAG_TRANSF;
    *p += 4;
    f->filed_at = s_take_i64(p);
    f->value_fen = s_take_i64(p);
    f->closed_at = s_take_i64(p);
    f->money_at = s_take_i64(p);
    f->fines_fen = s_take_i64(p);
    f->loss_fen = s_take_i64(p);
    f->transferred_at = s_take_i64(p);
}

static void
s_counters_encode(const s_counters_t *c, uint8_t **p)
{
    for (int i = 0; i < S_COUNTERS; i++)
        s_put_i64(p, c->v[i]);
}

/* Reads `n` counters (S_COUNTERS, or S_COUNTERS_V2 from layout 2: the rest are 0). */
static void
s_counters_decode(const uint8_t **p, s_counters_t *c, int n)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < n; i++)
        c->v[i] = s_take_i64(p);
}

/* Key "unit NUL id"; returns its length, 0 when too long. */
static size_t
s_id_key(uint8_t buf[S_KEY_MAX], const char *unit, const char *id)
{
    size_t ulen = strlen(unit), ilen = strlen(id);
    if (ulen >= AGG_UNIT_MAX || ilen >= S_ID_MAX)
        return 0;
    memcpy(buf, unit, ulen + 1);
    memcpy(buf + ulen + 1, id, ilen);
    return ulen + 1 + ilen;
}

/* The start of the period named `name` (a month, or a fixed period's RFC 3339 start). */
static bool
s_period_named(const agg_period_spec_t *spec, const char *name, int64_t *start_ms)
{
    if (agg_period_parse_month(spec, name, start_ms))
        return true;
    int y, h, mi, s, n = 0;
    unsigned mo, d;
    if (sscanf(name, "%4d-%2u-%2uT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 ||
        name[n] != '\0')
        return false;
    *start_ms = dajia_time_days_from_civil(y, (int)mo, (int)d) * DAJIA_TIME_MS_PER_DAY +
                ((h * 60LL + mi) * 60 + s) * 1000;
    return true;
}

/* Layout 1: position(8) category goods channels count, then count x [period length(1),
   period, AGG_FIG_COUNT_V2 x int64]: the contribution of the case's latest report. */
static int
s_case_decode_v1(const agg_period_spec_t *spec, const uint8_t *data, size_t len, s_case_t *rec)
{
    if (len < 12)
        return -EINVAL;
    rec->order.log = s_get_u64(data);
    rec->reports = 1;
    rec->facts.category = data[8];
    rec->facts.goods = data[9];
    rec->facts.channels = data[10];
    size_t count = data[11], off = 12;
    for (size_t i = 0; i < count; i++) {
        char period[AGG_PERIOD_MAX];
        agg_figures_t f;
        int64_t at;
        if (off >= len)
            return -EINVAL;
        size_t plen = data[off++];
        if (plen >= AGG_PERIOD_MAX || len - off < plen + AGG_FIGURES_BYTES_V2)
            return -EINVAL;
        memcpy(period, data + off, plen);
        period[plen] = '\0';
        off += plen;
        agg_figures_decode(data + off, AGG_FIGURES_BYTES_V2, &f);
        off += AGG_FIGURES_BYTES_V2;
        if (!s_period_named(spec, period, &at))
            return -EINVAL;
        s_facts_t *x = &rec->facts;
        if (f.v[AGG_FIG_FILED])
            x->filed = true, x->filed_at = at, x->value_fen = f.v[AGG_FIG_VALUE_FEN];
        if (f.v[AGG_FIG_CLOSED])
            x->closed = true, x->closed_at = at;
        if (f.v[AGG_FIG_FINES_FEN] || f.v[AGG_FIG_LOSS_RECOVERED_FEN])
            x->money_at = at, x->fines_fen = f.v[AGG_FIG_FINES_FEN],
            x->loss_fen = f.v[AGG_FIG_LOSS_RECOVERED_FEN];
        if (f.v[AGG_FIG_TRANSFERS])
            x->transferred = true, x->transferred_at = at;
        for (int c = 0; c < S_COUNTERS; c++)
            if (f.v[AGG_FIG_DENS + c]) {
                rec->counted.v[c] = f.v[AGG_FIG_DENS + c];
                rec->v1_report_at = at;
            }
    }
    return off == len ? 0 : -EINVAL;
}

/* Reads a case; STORE_NOTFOUND when it has none. */
static int
s_case_get(store_txn_t *txn, const char *table, const agg_period_spec_t *spec, const uint8_t *key,
           size_t klen, s_case_t *rec)
{
    const void *val;
    size_t vlen;
    memset(rec, 0, sizeof *rec);
    int rc = store_get(txn, table, key, klen, &val, &vlen);
    if (rc)
        return rc;
    const uint8_t *p = val;
    if (vlen && p[0] == 0)
        return s_case_decode_v1(spec, p, vlen, rec);
    int counters = vlen == S_CASE_BYTES_V2 ? S_COUNTERS_V2 : S_COUNTERS;
    if (vlen == S_CASE_BYTES4 && p[0] == S_TAG_CASE4) {
        p++;
        rec->order.seq = s_get_u64(p);
        rec->order.at = (int64_t)s_get_u64(p + 8);
        rec->order.log = s_get_u64(p + 16);
        p += 24;
    } else if ((vlen == S_CASE_BYTES || vlen == S_CASE_BYTES_V2) && p[0] == S_TAG_CASE) {
        /* Layouts 2 and 3 kept the log_seq of the statement only: it stands first among
           the reports of its time 0, so every report that follows it comes after. */
        rec->order.log = s_get_u64(p + 1);
        p += 9;
    } else {
        return -EINVAL;
    }
    rec->reports = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    p += 4;
    s_facts_decode(&p, &rec->facts);
    s_counters_decode(&p, &rec->counted, counters);
    return 0;
}

static int
s_case_put(store_txn_t *txn, const char *table, const uint8_t *key, size_t klen,
           const s_case_t *rec)
{
    uint8_t val[S_CASE_BYTES4], *p = val;
    *p++ = S_TAG_CASE4;
    s_put_u64(p, rec->order.seq);
    s_put_u64(p + 8, (uint64_t)rec->order.at);
    s_put_u64(p + 16, rec->order.log);
    p += 24;
    p[0] = (uint8_t)(rec->reports >> 24), p[1] = (uint8_t)(rec->reports >> 16);
    p[2] = (uint8_t)(rec->reports >> 8), p[3] = (uint8_t)rec->reports;
    p += 4;
    s_facts_encode(&rec->facts, &p);
    s_counters_encode(&rec->counted, &p);
    return store_put(txn, table, key, klen, val, sizeof val, 0);
}

static int
s_report_put(store_txn_t *txn, const char *table, const uint8_t *key, size_t klen,
             const s_report_t *rec)
{
    uint8_t val[S_REPORT_HEAD4 + S_ID_MAX], *p = val;
    size_t nlen = strlen(rec->case_no);
    *p++ = S_TAG_REPORT4;
    s_put_u64(p, rec->position);
    p += 8;
    s_put_u64(p, rec->seq);
    p += 8;
    s_put_i64(&p, rec->report_at);
    s_counters_encode(&rec->stated, &p);
    s_counters_encode(&rec->raised, &p);
    s_facts_encode(&rec->facts, &p);
    memcpy(p, rec->case_no, nlen);
    return store_put(txn, table, key, klen, val, S_REPORT_HEAD4 + nlen, 0);
}

static int
s_alias_put(store_txn_t *txn, const char *table, const uint8_t *key, size_t klen,
            const char *root_id)
{
    uint8_t val[1 + S_ID_MAX];
    size_t ilen = strlen(root_id);
    val[0] = S_TAG_ALIAS;
    memcpy(val + 1, root_id, ilen);
    return store_put(txn, table, key, klen, val, 1 + ilen, 0);
}

/* Reads the report `event_id` of `unit` stands for, following one alias: on return
   `root_id` names the report record. STORE_NOTFOUND: no such event (or an alias to a
   correction that counted nothing). */
static int
s_report_get(store_txn_t *txn, const char *table, const char *unit, const char *event_id,
             char root_id[S_ID_MAX], s_report_t *rec)
{
    uint8_t key[S_KEY_MAX];
    const char *id = event_id;
    memset(rec, 0, sizeof *rec);
    for (int hop = 0; hop < 2; hop++) {
        size_t klen = s_id_key(key, unit, id);
        const void *val;
        size_t vlen;
        int rc = klen ? store_get(txn, table, key, klen, &val, &vlen) : STORE_NOTFOUND;
        if (rc)
            return rc;
        const uint8_t *p = val;
        if (vlen == 0)
            return -EINVAL;
        if (p[0] == S_TAG_ALIAS) {
            if (hop || vlen - 1 >= S_ID_MAX)
                return -EINVAL; /* aliases always name a report */
            memcpy(root_id, p + 1, vlen - 1);
            root_id[vlen - 1] = '\0';
            id = root_id;
            continue;
        }
        if (id != root_id)
            snprintf(root_id, S_ID_MAX, "%s", id);
        if (p[0] == 0) { /* layout 1: position(8) case_no */
            if (vlen < 8 || vlen - 8 >= S_ID_MAX)
                return -EINVAL;
            rec->v1 = true;
            rec->position = s_get_u64(p);
            memcpy(rec->case_no, p + 8, vlen - 8);
            return 0;
        }
        rec->v2 = p[0] == S_TAG_REPORT_V2;
        int counters = rec->v2 ? S_COUNTERS_V2 : S_COUNTERS;
        bool v4 = p[0] == S_TAG_REPORT4;
        size_t head = v4 ? S_REPORT_HEAD4 : p[0] == S_TAG_REPORT ? S_REPORT_HEAD : S_REPORT_HEAD_V2;
        if ((!v4 && p[0] != S_TAG_REPORT && p[0] != S_TAG_REPORT_V2) || vlen < head ||
            vlen - head >= S_ID_MAX)
            return -EINVAL;
        p++;
        rec->position = s_get_u64(p);
        p += 8;
        if (v4) {
            rec->seq = s_get_u64(p);
            p += 8;
        }
        rec->report_at = s_take_i64(&p);
        s_counters_decode(&p, &rec->stated, counters);
        s_counters_decode(&p, &rec->raised, counters);
        s_facts_decode(&p, &rec->facts);
        memcpy(rec->case_no, p, vlen - head);
        return 0;
    }
    return -EINVAL;
}

/* ================================================================ the unit's order */

/* Key of the order entry of a report of case `case_no` at `order`: "unit NUL NUL case_no
   NUL order" in the events table (an event id is never empty, so these keys meet no
   event's). `prefix` (may be NULL) gets the length of the part naming the case. Returns
   the length, 0 when too long. */
static size_t
s_order_entry_key(uint8_t buf[S_IKEY_MAX], const char *unit, const char *case_no,
                  const s_order_t *order, size_t *prefix)
{
    size_t ulen = strlen(unit), nlen = strlen(case_no);
    if (ulen >= AGG_UNIT_MAX || nlen == 0 || nlen >= S_ID_MAX)
        return 0;
    uint8_t *p = buf;
    memcpy(p, unit, ulen + 1);
    p += ulen + 1;
    *p++ = 0;
    memcpy(p, case_no, nlen + 1);
    p += nlen + 1;
    if (prefix)
        *prefix = (size_t)(p - buf);
    s_order_key(order, p);
    return (size_t)(p - buf) + S_ORDER_BYTES;
}

/* Key of the body kept of a correction that counted on its own because the report it
   supersedes had not come: "unit NUL NUL NUL event_id". */
static size_t
s_early_key(uint8_t buf[S_IKEY_MAX], const char *unit, const char *event_id)
{
    size_t ulen = strlen(unit), ilen = strlen(event_id);
    if (ulen >= AGG_UNIT_MAX || ilen == 0 || ilen >= S_ID_MAX)
        return 0;
    memcpy(buf, unit, ulen + 1);
    buf[ulen + 1] = 0;
    buf[ulen + 2] = 0;
    memcpy(buf + ulen + 3, event_id, ilen);
    return ulen + 3 + ilen;
}

static s_order_t
s_order_of(const s_report_t *rep)
{
    return (s_order_t){.seq = rep->seq, .at = rep->report_at, .log = rep->position};
}

/* Records that report `root_id` stands at `rep`'s order in its case (put), or no longer
   does (del; a record from before the order entries has none). */
static int
s_order_entry(store_txn_t *txn, const char *table, const char *unit, const s_report_t *rep,
              const char *root_id, bool put)
{
    uint8_t key[S_IKEY_MAX];
    s_order_t order = s_order_of(rep);
    size_t klen = s_order_entry_key(key, unit, rep->case_no, &order, NULL);
    if (klen == 0)
        return 0;
    if (put)
        return store_put(txn, table, key, klen, root_id, strlen(root_id), 0);
    int rc = store_del(txn, table, key, klen);
    return rc == STORE_NOTFOUND ? 0 : rc;
}

/* The report that follows `order` in case `case_no` of `unit`: its record in `succ`, its
   key's id in `succ_id`. STORE_NOTFOUND when none follows (or it is from a layout
   before the order entries, which know too little to share an increase with). */
static int
s_successor(store_txn_t *txn, const char *table, const char *unit, const char *case_no,
            const s_order_t *order, char succ_id[S_ID_MAX], s_report_t *succ)
{
    uint8_t key[S_IKEY_MAX];
    size_t prefix = 0;
    size_t klen = s_order_entry_key(key, unit, case_no, order, &prefix);
    if (klen == 0)
        return STORE_NOTFOUND;
    store_cursor_t *cursor = NULL;
    const void *k, *v;
    size_t kl, vl;
    int rc = worker_store_seek(txn, table, key, klen, &cursor, &k, &kl, &v, &vl);
    if (rc == 0 && (kl != klen || memcmp(k, key, prefix) != 0 || vl == 0 || vl >= S_ID_MAX))
        rc = STORE_NOTFOUND;
    if (rc == 0) {
        memcpy(succ_id, v, vl);
        succ_id[vl] = '\0';
    }
    store_cursor_close(&cursor);
    if (rc)
        return rc;
    char root[S_ID_MAX];
    rc = s_report_get(txn, table, unit, succ_id, root, succ);
    if (rc == 0 && (succ->v1 || succ->v2 || strcmp(root, succ_id) != 0))
        rc = STORE_NOTFOUND;
    return rc;
}

/* ================================================================ applying events */

typedef struct {
    store_txn_t *txn;
    const agg_tables_t *t;
    const agg_period_spec_t *spec;
    const char *unit;
    s_deltas_t deltas;
    s_seen_t *seen; /* during a replay */
} s_ctx_t;

/* Counts `cr` as a report of its case at `order` (its time order->at), recorded under
   `root_id`, and fills `rep` with what it stated and raised. */
static int
s_count_report(s_ctx_t *x, const Dajia__CaseReport *cr, const s_order_t *order, const char *root_id,
               s_report_t *rep)
{
    uint8_t key[S_KEY_MAX];
    size_t klen = s_id_key(key, x->unit, cr->case_no);
    s_case_t cs;
    int rc = klen ? s_case_get(x->txn, x->t->cases, x->spec, key, klen, &cs) : -EINVAL;
    bool found = rc == 0;
    if (rc && rc != STORE_NOTFOUND)
        return rc;
    memset(rep, 0, sizeof *rep);
    rep->position = order->log;
    rep->seq = order->seq;
    rep->report_at = order->at;
    snprintf(rep->case_no, sizeof rep->case_no, "%s", cr->case_no);
    s_facts_resolve(cr, rep->report_at, found ? &cs.facts : NULL, x->t->channels, &rep->facts);
    s_counters_of(cr, &rep->stated);
    if (!found || s_order_cmp(&cs.order, order) <= 0) {
        /* docs/domain.md §4.3, "Dated figures": the case's facts are its latest
           report's; each dated figure moves only where a fact or its date changed. */
        if (found)
            s_deltas_facts(&x->deltas, x->spec, x->unit, &cs.facts, -1);
        s_deltas_facts(&x->deltas, x->spec, x->unit, &rep->facts, +1);
        cs.facts = rep->facts;
        cs.order = *order;
        /* "Counters": the increase over what the case has counted, in the report's
           period; the case's totals become the report's. */
        for (int i = 0; i < S_COUNTERS; i++)
            rep->raised.v[i] = rep->stated.v[i] - cs.counted.v[i];
        s_deltas_counters(&x->deltas, x->spec, x->unit, rep->report_at, &rep->facts, &rep->raised,
                          +1);
        cs.counted = rep->stated;
    } else {
        /* docs/domain.md §4.2, "Order": a report older than the case's statement (stored
           late, or moved here by a correction) leaves the newer facts as they are. Its
           increase is over the totals the report after it counted from, and that report's
           increase becomes the rest: the months hold what an in-order run puts there. */
        char succ_id[S_ID_MAX];
        s_report_t succ;
        rc = s_successor(x->txn, x->t->events, x->unit, cr->case_no, order, succ_id, &succ);
        if (rc && rc != STORE_NOTFOUND)
            return rc;
        if (rc == 0) {
            for (int i = 0; i < S_COUNTERS; i++) {
                rep->raised.v[i] = rep->stated.v[i] - (succ.stated.v[i] - succ.raised.v[i]);
                succ.raised.v[i] -= rep->raised.v[i];
            }
            s_deltas_counters(&x->deltas, x->spec, x->unit, succ.report_at, &succ.facts,
                              &rep->raised, -1);
            s_deltas_counters(&x->deltas, x->spec, x->unit, rep->report_at, &rep->facts,
                              &rep->raised, +1);
            uint8_t skey[S_KEY_MAX];
            size_t sklen = s_id_key(skey, x->unit, succ_id);
            rc = s_report_put(x->txn, x->t->events, skey, sklen, &succ);
            if (rc)
                return rc;
        }
    }
    cs.reports++;
    rc = s_case_put(x->txn, x->t->cases, key, klen, &cs);
    if (rc == 0)
        rc = s_order_entry(x->txn, x->t->events, x->unit, rep, root_id, true);
    return rc;
}

/* Withdraws report `rep` from its case (it moved to another case, or the correction is no
   case report): its counter increases leave its period; the case's statement stays, or
   goes when that was the case's only report. */
static int
s_withdraw(s_ctx_t *x, const s_report_t *rep, s_case_t *cs, const uint8_t *key, size_t klen)
{
    int rc = s_order_entry(x->txn, x->t->events, x->unit, rep, NULL, false);
    if (rc)
        return rc;
    s_deltas_counters(&x->deltas, x->spec, x->unit, rep->report_at, &rep->facts, &rep->raised, -1);
    for (int i = 0; i < S_COUNTERS; i++)
        cs->counted.v[i] -= rep->raised.v[i];
    if (cs->reports > 1) {
        cs->reports--;
        return s_case_put(x->txn, x->t->cases, key, klen, cs);
    }
    s_deltas_facts(&x->deltas, x->spec, x->unit, &cs->facts, -1);
    for (int i = 0; i < S_COUNTERS; i++)
        if (cs->counted.v[i]) /* corrections left totals the cells still hold */
            return s_case_put(x->txn, x->t->cases, key, klen,
                              &(s_case_t){.order = cs->order, .counted = cs->counted});
    return store_del(x->txn, x->t->cases, key, klen);
}

/* docs/domain.md §4.2, "Corrections": the correction `env` (body `cr`, may be NULL)
   stands in the place of report `rep` (recorded under `root_id`: its order and period)
   and changes what it stated; `rep` is updated to the correction's statement. */
static int
s_correct(s_ctx_t *x, s_report_t *rep, const char *root_id, const Dajia__Envelope *env,
          const Dajia__CaseReport *cr)
{
    uint8_t key[S_KEY_MAX];
    size_t klen = *rep->case_no ? s_id_key(key, x->unit, rep->case_no) : 0;
    s_case_t cs;
    int rc = klen ? s_case_get(x->txn, x->t->cases, x->spec, key, klen, &cs) : STORE_NOTFOUND;
    bool found = rc == 0;
    if (rc && rc != STORE_NOTFOUND)
        return rc;
    s_counters_t stated;
    s_counters_of(cr, &stated);
    bool same = cr && strcmp(cr->case_no, rep->case_no) == 0;
    s_facts_t fix;
    memset(&fix, 0, sizeof fix);
    bool stale = false;
    if (rep->v1) {
        /* Layout 1 knew a report by its position only: the case's current report stated
           the case's figures; an older one was replaced and a correction of it changes
           nothing (what layout 1 did). */
        stale = !found || cs.order.log != rep->position;
        if (!stale) {
            rep->facts = cs.facts;
            rep->stated = cs.counted;
            rep->raised = cs.counted;
            rep->report_at = cs.v1_report_at ? cs.v1_report_at : env->occurred_at;
        } else {
            rep->report_at = env->occurred_at;
        }
    }
    if (cr) {
        /* Missing dates: the corrected report's, else the case's, else its own time. */
        s_facts_t known;
        memset(&known, 0, sizeof known);
        if (found)
            known = cs.facts;
        const s_facts_t *r = &rep->facts;
        known.filed_at = r->filed_at && !stale ? r->filed_at : known.filed_at;
        known.closed_at = r->closed_at && !stale ? r->closed_at : known.closed_at;
        known.money_at = r->money_at && !stale ? r->money_at : known.money_at;
        known.transferred_at =
            r->transferred_at && !stale ? r->transferred_at : known.transferred_at;
        s_facts_resolve(cr, rep->report_at, &known, x->t->channels, &fix);
    }
    if (stale) {
        rep->facts = fix;
        rep->stated = stated;
        memset(&rep->raised, 0, sizeof rep->raised);
    }
    if (rep->v2) {
        /* Layout 2 did not keep what the report stated of the last two counters: the
           correction is taken to state them as the report did, so they stay where
           they are counted and the months still add up to the case's totals. */
        for (int i = S_COUNTERS_V2; i < S_COUNTERS; i++)
            rep->stated.v[i] = stated.v[i];
    }
    if (same) {
        if (!found) {
            memset(&cs, 0, sizeof cs);
            cs.order = s_order_of(rep);
            cs.reports = 1;
        }
        s_deltas_facts(&x->deltas, x->spec, x->unit, &cs.facts, -1);
        s_facts_merge(&rep->facts, &fix, &cs.facts);
        s_deltas_facts(&x->deltas, x->spec, x->unit, &cs.facts, +1);
        /* "Counters": the corrected report's increase changes by what the correction
           changes in its totals, in the corrected report's period; other reports'
           increases stay. */
        s_counters_t raised;
        for (int i = 0; i < S_COUNTERS; i++) {
            raised.v[i] = rep->raised.v[i] + stated.v[i] - rep->stated.v[i];
            cs.counted.v[i] += stated.v[i] - rep->stated.v[i];
        }
        s_deltas_counters(&x->deltas, x->spec, x->unit, rep->report_at, &rep->facts, &rep->raised,
                          -1);
        s_deltas_counters(&x->deltas, x->spec, x->unit, rep->report_at, &fix, &raised, +1);
        rep->facts = fix;
        rep->stated = stated;
        rep->raised = raised;
        return s_case_put(x->txn, x->t->cases, key, klen, &cs);
    }
    /* Another case number, or no case report at all: the report leaves its case ... */
    if (found && !stale) {
        rc = s_withdraw(x, rep, &cs, key, klen);
        if (rc)
            return rc;
    }
    if (!cr) {
        s_order_t order = s_order_of(rep);
        memset(rep, 0, sizeof *rep);
        rep->position = order.log;
        rep->seq = order.seq;
        rep->report_at = order.at;
        return 0;
    }
    /* ... and counts in the case the correction names, in the report's place. */
    s_report_t moved;
    s_order_t order = s_order_of(rep);
    rc = s_count_report(x, cr, &order, root_id, &moved);
    if (rc == 0)
        *rep = moved;
    return rc;
}

/* The case report of `env`, or NULL when it has none worth counting. */
static const Dajia__CaseReport *
s_case_report_of(const Dajia__Envelope *env)
{
    const Dajia__CaseReport *cr =
        env->body_case == DAJIA__ENVELOPE__BODY_CASE_REPORT ? env->case_report : NULL;
    if (cr && (!cr->case_no || !*cr->case_no || strlen(cr->case_no) >= S_ID_MAX))
        cr = NULL; /* the broker refuses these; nothing to count them under */
    return cr;
}

/* Keeps (or replaces) the body of correction `env`, which stands under `root_id` while
   the report it supersedes has not come. */
static int
s_early_put(s_ctx_t *x, const char *root_id, const Dajia__Envelope *env)
{
    uint8_t key[S_IKEY_MAX];
    size_t klen = s_early_key(key, x->unit, root_id);
    if (klen == 0)
        return 0;
    size_t size = dajia__envelope__get_packed_size(env);
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return -ENOMEM;
    dajia__envelope__pack(env, buf);
    int rc = store_put(x->txn, x->t->events, key, klen, buf, size, 0);
    free(buf);
    return rc;
}

/* docs/domain.md §4.2, "Order": report `env` (body `cr`, no correction itself) comes
   after the correction that supersedes it, which counted on its own under `root_id`.
   The report takes its place in its unit's order, and the correction (the last one
   kept) then stands in the report's place, as if they had come in order. STORE_NOTFOUND
   when the correction kept no body (it counted nothing of its own). */
static int
s_take_place(s_ctx_t *x, const Dajia__Envelope *env, const Dajia__CaseReport *cr, uint64_t log_seq,
             const char *root_id)
{
    uint8_t ekey[S_IKEY_MAX];
    size_t eklen = s_early_key(ekey, x->unit, root_id);
    const void *val;
    size_t vlen;
    int rc = eklen ? store_get(x->txn, x->t->events, ekey, eklen, &val, &vlen) : STORE_NOTFOUND;
    if (rc)
        return rc;
    Dajia__Envelope *early = dajia__envelope__unpack(NULL, vlen, val);
    if (!early)
        return -EINVAL;
    char root[S_ID_MAX];
    s_report_t rep;
    rc = s_report_get(x->txn, x->t->events, x->unit, root_id, root, &rep);
    /* The correction leaves the place it took ... */
    uint8_t key[S_KEY_MAX];
    size_t klen = 0;
    if (rc == 0 && *rep.case_no && (klen = s_id_key(key, x->unit, rep.case_no)) != 0) {
        s_case_t cs;
        rc = s_case_get(x->txn, x->t->cases, x->spec, key, klen, &cs);
        if (rc == 0)
            rc = s_withdraw(x, &rep, &cs, key, klen);
        else if (rc == STORE_NOTFOUND)
            rc = s_order_entry(x->txn, x->t->events, x->unit, &rep, NULL, false);
    }
    /* ... the report counts in its own, under the correction's record ... */
    s_order_t order = {.seq = env->unit_seq, .at = env->occurred_at, .log = log_seq};
    if (rc == 0)
        rc = s_count_report(x, cr, &order, root_id, &rep);
    /* ... and the correction corrects it there. */
    if (rc == 0)
        rc = s_correct(x, &rep, root_id, early, s_case_report_of(early));
    uint8_t rkey[S_KEY_MAX];
    size_t rklen = s_id_key(rkey, x->unit, root_id);
    if (rc == 0)
        rc = s_report_put(x->txn, x->t->events, rkey, rklen, &rep);
    if (rc == 0)
        rc = store_del(x->txn, x->t->events, ekey, eklen);
    dajia__envelope__free_unpacked(early, NULL);
    return rc;
}

/* An event as s_apply_one and agg_figures_apply_event see it: its unit, id and body,
   whether it is a correction, its key, and what the events table holds under its id. */
typedef struct {
    const char *unit, *id;
    const Dajia__CaseReport *cr;
    bool correction;
    uint8_t key[S_KEY_MAX];
    size_t klen;
    bool held;           /* a record is kept under its id: a repeat, or ... */
    bool alias;          /* ... an alias a correction of it stored first left */
    char root[S_ID_MAX]; /* alias: the id the alias names */
} s_event_t;

/* Reads `env` into *ev. Returns 0, 1 when it counts nothing (no unit or id, or neither a
   case report nor a correction), or an error. */
static int
s_event_read(store_txn_t *txn, const agg_tables_t *tables, const Dajia__Envelope *env,
             s_event_t *ev)
{
    ev->unit = env->unit ? env->unit : "";
    ev->id = env->event_id ? env->event_id : "";
    ev->cr = s_case_report_of(env);
    ev->correction = env->supersedes_event_id && *env->supersedes_event_id;
    ev->klen = *ev->id ? s_id_key(ev->key, ev->unit, ev->id) : 0;
    ev->held = ev->alias = false;
    ev->root[0] = '\0';
    if (!*ev->unit || ev->klen == 0 || (!ev->cr && !ev->correction))
        return 1;
    const void *val;
    size_t vlen;
    int rc = store_get(txn, tables->events, ev->key, ev->klen, &val, &vlen);
    if (rc)
        return rc == STORE_NOTFOUND ? 0 : rc;
    const uint8_t *p = val;
    ev->held = true;
    ev->alias = vlen >= 2 && p[0] == S_TAG_ALIAS && vlen - 1 < S_ID_MAX;
    if (ev->alias) {
        memcpy(ev->root, p + 1, vlen - 1);
        ev->root[vlen - 1] = '\0';
    }
    return 0;
}

/* Applies `env` on the state as it stands: exact when it comes after every event of its
   case in the unit's order (or its case is not journaled: docs/domain.md §4.2, "Order"). */
static int
s_apply_one(store_txn_t *txn, const agg_tables_t *tables, const agg_period_spec_t *spec,
            uint64_t log_seq, const Dajia__Envelope *env, agg_cell_changed_fn *changed, void *arg,
            s_seen_t *seen)
{
    s_event_t ev;
    int rc = s_event_read(txn, tables, env, &ev);
    if (rc)
        return rc == 1 ? 0 : rc;
    s_ctx_t x = {.txn = txn, .t = tables, .spec = spec, .unit = ev.unit};
    s_report_t rep;
    char root_id[S_ID_MAX];
    /* docs/domain.md §4.2, "Order": a report that a correction stored before it already
       supersedes takes its place in its unit's order, then the correction its place;
       a repeat of a report counts nothing. */
    const void *val;
    size_t vlen;
    if (ev.held) {
        if (ev.correction || !ev.cr || !ev.alias)
            return 0;
        rc = s_take_place(&x, env, ev.cr, log_seq, ev.root);
        if (rc == STORE_NOTFOUND)
            return 0;
        goto out;
    }

    s_order_t order = {.seq = env->unit_seq, .at = env->occurred_at, .log = log_seq};
    if (ev.correction) {
        rc = s_report_get(txn, tables->events, ev.unit, env->supersedes_event_id, root_id, &rep);
        if (rc == 0) {
            uint8_t root_key[S_KEY_MAX], ekey[S_IKEY_MAX];
            size_t rklen = s_id_key(root_key, ev.unit, root_id);
            rc = s_correct(&x, &rep, root_id, env, ev.cr);
            if (rc == 0)
                rc = s_report_put(txn, tables->events, root_key, rklen, &rep);
            if (rc == 0)
                rc = s_alias_put(txn, tables->events, ev.key, ev.klen, root_id);
            /* A correction standing in for a report that has not come: the report will
               take its place with the latest correction. */
            size_t eklen = s_early_key(ekey, ev.unit, root_id);
            if (rc == 0 && eklen && store_get(txn, tables->events, ekey, eklen, &val, &vlen) == 0)
                rc = s_early_put(&x, root_id, env);
            goto out;
        }
        if (rc != STORE_NOTFOUND)
            return rc;
        /* Not a case report we know: the correction counts as a report of its own, until
           the report it supersedes comes (its body is kept for then). */
        uint8_t skey[S_KEY_MAX];
        size_t sklen = s_id_key(skey, ev.unit, env->supersedes_event_id);
        rc = sklen ? s_alias_put(txn, tables->events, skey, sklen, ev.id) : 0;
        if (rc || !ev.cr)
            return rc;
        rc = s_early_put(&x, ev.id, env);
        if (rc)
            return rc;
    }
    rc = s_count_report(&x, ev.cr, &order, ev.id, &rep);
    if (rc == 0)
        rc = s_report_put(txn, tables->events, ev.key, ev.klen, &rep);
out:
    if (rc)
        return rc;
    if (x.deltas.overflow)
        return -EOVERFLOW;
    return s_deltas_apply(txn, tables->cells, &x.deltas, changed, arg, seen);
}

/* ================================================================ the journal

   docs/domain.md §4.2, "Order". Every case report and correction is kept, packed, under
   its order (a body), and linked from each name it touches: the case it names, the case
   of the report it corrects, and two event names (its own id, and that of the report it
   corrects) that tie a report to its corrections whatever case they name. A name is a
   kind byte (S_NAME_CASE, S_NAME_EVENT) then the id, so no case_no the broker accepts
   (any text without NUL) can be taken for an event's name. An event that comes before one already
   filed under one of its names (in the unit's order) is not applied on the state as it stands: the
   cases of every event linked to it (its closure) are taken out of the cells and applied again from
   their journal in the unit's order, so their figures are those of an in-order run. A name's marker
   says that every event of it is in the journal (true of a name first seen with the journal) and
   holds the latest order filed under it. A closure larger than S_REPLAY_NAMES names or
   S_REPLAY_EVENTS events, or reaching a name without a marker (a case from before the journal), is
   not replayed: the event applies on the state as it stands (the rules before the journal) and the
   names lose their markers. */

#define S_NAME_CASE     'c'
#define S_NAME_EVENT    'e'
#define S_NAME_MAX      (S_ID_MAX + 1) /* a kind byte and an id, with its NUL */
#define S_NAMES_MAX     6 /* 4 at a time; one refiled by a replay may have gained two */
#define S_JKEY_MAX      (AGG_UNIT_MAX + 4 + S_NAME_MAX + S_ORDER_BYTES)
#define S_REPLAY_NAMES  16
#define S_REPLAY_EVENTS 256

/* The names an event is filed under. `bad`: one cannot be a name (it stays unjournaled). */
typedef struct {
    char v[S_NAMES_MAX][S_NAME_MAX];
    size_t count;
    bool bad;
} s_names_t;

/* Adds `name` (a kind byte and an id) to the set v[0..*count) of at most `max` names
   when it is not there yet. Returns 0, or 1 when it is new and the set is full or the
   name too long. */
static int
s_name_set_add(char (*v)[S_NAME_MAX], size_t *count, size_t max, const char *name)
{
    for (size_t i = 0; i < *count; i++)
        if (strcmp(v[i], name) == 0)
            return 0;
    if (*count == max || strlen(name) >= S_NAME_MAX)
        return 1;
    snprintf(v[(*count)++], S_NAME_MAX, "%s", name);
    return 0;
}

/* Adds the name `name` when new; one that does not fit makes the names bad. */
static void
s_names_put(s_names_t *n, const char *name)
{
    if (s_name_set_add(n->v, &n->count, S_NAMES_MAX, name))
        n->bad = true;
}

/* Adds the name of case `id`, or (`event`) of event `id`. */
static void
s_names_add(s_names_t *n, const char *id, bool event)
{
    size_t len = strlen(id);
    if (len == 0)
        return;
    if (len >= S_ID_MAX) {
        n->bad = true;
        return;
    }
    char buf[S_NAME_MAX];
    buf[0] = event ? S_NAME_EVENT : S_NAME_CASE;
    memcpy(buf + 1, id, len + 1);
    s_names_put(n, buf);
}

/* The names of `env` (body `cr`, may be NULL): its case, its id, and for a correction the
   report it corrects (its record's id and case; the id it names when not known). */
static int
s_names_of(s_ctx_t *x, const Dajia__Envelope *env, const Dajia__CaseReport *cr, s_names_t *out)
{
    memset(out, 0, sizeof *out);
    if (cr)
        s_names_add(out, cr->case_no, false);
    s_names_add(out, env->event_id, true);
    if (!env->supersedes_event_id || !*env->supersedes_event_id)
        return 0;
    char root[S_ID_MAX];
    s_report_t rep;
    int rc = s_report_get(x->txn, x->t->events, x->unit, env->supersedes_event_id, root, &rep);
    if (rc == STORE_NOTFOUND) {
        s_names_add(out, env->supersedes_event_id, true);
        return 0;
    }
    if (rc == 0) {
        s_names_add(out, root, true);
        s_names_add(out, rep.case_no, false);
    }
    return rc;
}

/* Key of `name`'s marker ("unit NUL NUL NUL NUL name"), of its link to the event at `order`
   (marker NUL order) or, `name` NULL, of the body at `order` ("unit NUL NUL NUL NUL NUL
   order"). A name and an event id are never empty, so these keys meet no other kind.
   Returns the length, 0 when too long. */
static size_t
s_journal_key(uint8_t buf[S_JKEY_MAX], const char *unit, const char *name,
              const uint8_t order[S_ORDER_BYTES])
{
    size_t ulen = strlen(unit), nlen = name ? strlen(name) : 0;
    if (ulen >= AGG_UNIT_MAX || nlen >= S_NAME_MAX)
        return 0;
    uint8_t *p = buf;
    memcpy(p, unit, ulen);
    p += ulen;
    memset(p, 0, 4);
    p += 4;
    memcpy(p, name ? name : "", nlen);
    p += nlen;
    if (!name || order)
        *p++ = 0;
    if (order) {
        memcpy(p, order, S_ORDER_BYTES);
        p += S_ORDER_BYTES;
    }
    return (size_t)(p - buf);
}

/* What the journal holds of a name (s_name_state). */
typedef struct {
    bool complete, has_last;
    uint8_t last[S_ORDER_BYTES];
} s_name_state_t;

/* Whether every event of `name` is in the journal (`complete`), and the latest order
   filed under it (`has_last`, `last`). A name without a marker is complete when nothing
   is kept of it yet. */
static int
s_name_state(s_ctx_t *x, const char *name, s_name_state_t *st)
{
    bool *complete = &st->complete, *has_last = &st->has_last;
    uint8_t *last = st->last;
    uint8_t key[S_JKEY_MAX];
    size_t klen = s_journal_key(key, x->unit, name, NULL);
    const void *val;
    size_t vlen;
    *complete = *has_last = false;
    int rc = klen ? store_get(x->txn, x->t->events, key, klen, &val, &vlen) : -EINVAL;
    if (rc == 0) {
        *complete = true;
        *has_last = vlen == S_ORDER_BYTES;
        if (*has_last)
            memcpy(last, val, S_ORDER_BYTES);
        return 0;
    }
    if (rc != STORE_NOTFOUND)
        return klen ? rc : 0;
    uint8_t ckey[S_IKEY_MAX];
    bool event = name[0] == S_NAME_EVENT;
    size_t cklen = s_id_key(ckey, x->unit, name + 1);
    rc = store_get(x->txn, event ? x->t->events : x->t->cases, ckey, cklen, &val, &vlen);
    if (rc != STORE_NOTFOUND || event) {
        *complete = rc == STORE_NOTFOUND;
        return rc == STORE_NOTFOUND ? 0 : rc < 0 ? rc : 0;
    }
    /* A case without a record may still have reports standing in it. */
    size_t prefix = 0;
    cklen = s_order_entry_key(ckey, x->unit, name + 1, &(s_order_t){0}, &prefix);
    store_cursor_t *cursor = NULL;
    const void *k, *v;
    size_t kl, vl;
    rc = worker_store_seek(x->txn, x->t->events, ckey, prefix, &cursor, &k, &kl, &v, &vl);
    /* STORE_NOTFOUND: no table yet, or no report standing in the case */
    *complete = rc == STORE_NOTFOUND || (rc == 0 && (kl < prefix || memcmp(k, ckey, prefix) != 0));
    store_cursor_close(&cursor);
    return rc == STORE_NOTFOUND ? 0 : rc;
}

/* Deletes the markers of `names` (n of them): their events are no longer all journaled. */
static int
s_names_forget(s_ctx_t *x, const char (*names)[S_NAME_MAX], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t key[S_JKEY_MAX];
        size_t klen = s_journal_key(key, x->unit, names[i], NULL);
        int rc = klen ? store_del(x->txn, x->t->events, key, klen) : 0;
        if (rc && rc != STORE_NOTFOUND)
            return rc;
    }
    return 0;
}

/* Keeps `env` at `order`, linked from each of `names`, whose markers move to `order` when
   it is their latest. `states` (may be NULL: read here) are the names' s_name_state().
   Returns 0, 1 when one of the names is not complete (it is not linked), or an error. */
static int
s_journal_file(s_ctx_t *x, const s_names_t *names, const s_name_state_t *states,
               const uint8_t order[S_ORDER_BYTES], const Dajia__Envelope *env)
{
    uint8_t key[S_JKEY_MAX];
    size_t head = 1;
    for (size_t i = 0; i < names->count; i++)
        head += 1 + strlen(names->v[i]);
    size_t size = dajia__envelope__get_packed_size(env);
    uint8_t *buf = malloc(head + size);
    if (!buf)
        return -ENOMEM;
    uint8_t *p = buf;
    *p++ = (uint8_t)names->count;
    for (size_t i = 0; i < names->count; i++) {
        size_t len = strlen(names->v[i]);
        *p++ = (uint8_t)len;
        memcpy(p, names->v[i], len);
        p += len;
    }
    dajia__envelope__pack(env, p);
    size_t klen = s_journal_key(key, x->unit, NULL, order);
    int rc = klen ? store_put(x->txn, x->t->events, key, klen, buf, head + size, 0) : -EINVAL;
    free(buf);
    bool incomplete = false;
    for (size_t i = 0; rc == 0 && i < names->count; i++) {
        s_name_state_t st;
        if (states)
            st = states[i];
        else
            rc = s_name_state(x, names->v[i], &st);
        bool complete = rc == 0 && st.complete;
        incomplete = incomplete || !complete;
        klen = s_journal_key(key, x->unit, names->v[i], order);
        if (complete)
            rc = klen ? store_put(x->txn, x->t->events, key, klen, "1", 1, 0) : -EINVAL;
        if (rc == 0 && complete && (!st.has_last || memcmp(order, st.last, S_ORDER_BYTES) > 0)) {
            klen = s_journal_key(key, x->unit, names->v[i], NULL);
            rc = store_put(x->txn, x->t->events, key, klen, order, S_ORDER_BYTES, 0);
        }
    }
    return rc ? rc : incomplete;
}

/* Reads the body at `order`: its names into `names` (may be NULL) and, when `env` is not
   NULL, its envelope (the caller frees it with dajia__envelope__free_unpacked). */
static int
s_body_get(s_ctx_t *x, const uint8_t order[S_ORDER_BYTES], s_names_t *names, Dajia__Envelope **env)
{
    uint8_t key[S_JKEY_MAX];
    size_t klen = s_journal_key(key, x->unit, NULL, order);
    const void *val;
    size_t vlen;
    int rc = klen ? store_get(x->txn, x->t->events, key, klen, &val, &vlen) : -EINVAL;
    if (rc)
        return rc == STORE_NOTFOUND ? -EINVAL : rc; /* a link always has its body */
    const uint8_t *p = val, *end = p + vlen;
    if (vlen == 0 || p[0] > S_NAMES_MAX)
        return -EINVAL;
    size_t count = *p++;
    if (names)
        memset(names, 0, sizeof *names);
    for (size_t i = 0; i < count; i++) {
        if (p >= end || p[0] >= S_NAME_MAX || (size_t)(end - p) < 1u + p[0])
            return -EINVAL;
        if (names) {
            memcpy(names->v[i], p + 1, p[0]);
            names->v[i][p[0]] = '\0';
            names->count++;
        }
        p += 1 + p[0];
    }
    if (env && !(*env = dajia__envelope__unpack(NULL, (size_t)(end - p), p)))
        return -EINVAL;
    return 0;
}

/* The events linked to a set of names, and their names, closed under both. */
typedef struct {
    char names[S_REPLAY_NAMES][S_NAME_MAX];
    size_t n_names;
    uint8_t orders[S_REPLAY_EVENTS][S_ORDER_BYTES];
    size_t n_orders;
} s_closure_t;

/* Adds `name` when new; 1 when the closure is full. */
static int
s_closure_name(s_closure_t *c, const char *name)
{
    return s_name_set_add(c->names, &c->n_names, S_REPLAY_NAMES, name);
}

/* Adds the events linked to name `i` of the closure; 1 when it is full, or the name has
   no marker. */
static int
s_closure_links(s_ctx_t *x, s_closure_t *c, size_t i)
{
    uint8_t key[S_JKEY_MAX];
    size_t plen = s_journal_key(key, x->unit, c->names[i], NULL);
    const void *k, *v;
    size_t kl, vl;
    int rc = plen ? store_get(x->txn, x->t->events, key, plen, &v, &vl) : 1;
    if (rc)
        return rc == STORE_NOTFOUND ? 1 : rc;
    key[plen++] = 0;
    store_cursor_t *cursor = NULL;
    rc = worker_store_seek(x->txn, x->t->events, key, plen, &cursor, &k, &kl, &v, &vl);
    while (rc == 0 && kl == plen + S_ORDER_BYTES && memcmp(k, key, plen) == 0) {
        const uint8_t *order = (const uint8_t *)k + plen;
        size_t j = 0;
        while (j < c->n_orders && memcmp(c->orders[j], order, S_ORDER_BYTES) != 0)
            j++;
        if (j == c->n_orders) {
            if (c->n_orders == S_REPLAY_EVENTS) {
                rc = 1;
                break;
            }
            memcpy(c->orders[c->n_orders++], order, S_ORDER_BYTES);
        }
        rc = store_cursor_next(cursor, &k, &kl, &v, &vl);
    }
    store_cursor_close(&cursor);
    return rc == STORE_NOTFOUND ? 0 : rc;
}

/* Closes `c` (holding the names to start from): 0, 1 when it cannot be replayed. */
static int
s_closure_gather(s_ctx_t *x, s_closure_t *c)
{
    size_t seen = 0;
    for (size_t i = 0; i < c->n_names; i++) {
        int rc = s_closure_links(x, c, i);
        for (; rc == 0 && seen < c->n_orders; seen++) {
            s_names_t names;
            rc = s_body_get(x, c->orders[seen], &names, NULL);
            for (size_t n = 0; rc == 0 && n < names.count; n++)
                rc = s_closure_name(c, names.v[n]);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* Applies and clears the deltas gathered in `x`. */
static int
s_flush(s_ctx_t *x, agg_cell_changed_fn *changed, void *arg)
{
    int rc = x->deltas.overflow
                 ? -EOVERFLOW
                 : s_deltas_apply(x->txn, x->t->cells, &x->deltas, changed, arg, x->seen);
    memset(&x->deltas, 0, sizeof x->deltas);
    return rc;
}

/* Takes case `case_no` out of the cells (its statement's dated figures and each standing
   report's counter increases) and out of the state. */
static int
s_case_retract(s_ctx_t *x, const char *case_no, agg_cell_changed_fn *changed, void *arg)
{
    uint8_t key[S_IKEY_MAX];
    size_t klen = s_id_key(key, x->unit, case_no);
    s_case_t cs;
    int rc = klen ? s_case_get(x->txn, x->t->cases, x->spec, key, klen, &cs) : -EINVAL;
    if (rc == 0) {
        s_deltas_facts(&x->deltas, x->spec, x->unit, &cs.facts, -1);
        rc = s_flush(x, changed, arg);
        if (rc == 0)
            rc = store_del(x->txn, x->t->cases, key, klen);
    }
    if (rc && rc != STORE_NOTFOUND)
        return rc;
    size_t prefix = 0;
    s_order_entry_key(key, x->unit, case_no, &(s_order_t){0}, &prefix);
    for (;;) {
        store_cursor_t *cursor = NULL;
        const void *k, *v;
        size_t kl, vl;
        uint8_t ekey[S_IKEY_MAX];
        char root[S_ID_MAX], id[S_ID_MAX];
        rc = worker_store_seek(x->txn, x->t->events, key, prefix, &cursor, &k, &kl, &v, &vl);
        bool more = rc == 0 && kl <= S_IKEY_MAX && kl > prefix && memcmp(k, key, prefix) == 0;
        if (more && (vl == 0 || vl >= S_ID_MAX))
            rc = -EINVAL;
        if (more && rc == 0) {
            memcpy(ekey, k, kl);
            memcpy(id, v, vl);
            id[vl] = '\0';
        }
        store_cursor_close(&cursor);
        if (!more || rc)
            return rc == STORE_NOTFOUND ? 0 : rc;
        s_report_t rep;
        rc = s_report_get(x->txn, x->t->events, x->unit, id, root, &rep);
        if (rc == 0)
            s_deltas_counters(&x->deltas, x->spec, x->unit, rep.report_at, &rep.facts, &rep.raised,
                              -1);
        if (rc == 0 || rc == STORE_NOTFOUND)
            rc = s_flush(x, changed, arg);
        if (rc == 0)
            rc = store_del(x->txn, x->t->events, ekey, kl);
        if (rc)
            return rc;
    }
}

/* Deletes what the state holds of event `env` itself: its record, the alias it left
   under the id it corrects, the body it kept while that report had not come. */
static int
s_event_forget(s_ctx_t *x, const Dajia__Envelope *env)
{
    uint8_t key[S_IKEY_MAX];
    const char *ids[2] = {env->event_id, env->supersedes_event_id};
    int rc = 0;
    for (int i = 0; rc == 0 && i < 2; i++) {
        size_t klen = ids[i] && *ids[i] ? s_id_key(key, x->unit, ids[i]) : 0;
        const void *val;
        size_t vlen;
        if (klen == 0)
            continue;
        rc = store_get(x->txn, x->t->events, key, klen, &val, &vlen);
        if (rc == 0 && (i == 0 || (vlen && ((const uint8_t *)val)[0] == S_TAG_ALIAS)))
            rc = store_del(x->txn, x->t->events, key, klen);
        if (rc == 0 && i == 0 && (klen = s_early_key(key, x->unit, ids[i])) != 0)
            rc = store_del(x->txn, x->t->events, key, klen);
        if (rc == STORE_NOTFOUND)
            rc = 0;
    }
    return rc;
}

/* Whether the journal holds event `id` (`held`; also when the name of `id` has no
   marker: then the journal cannot tell, and the event is taken to be there). */
static int
s_journal_holds(s_ctx_t *x, const char *id, bool *held)
{
    s_closure_t *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    s_names_t name = {.count = 0};
    s_names_add(&name, id, true);
    *held = true;
    int rc = name.count ? s_closure_name(c, name.v[0]) : 1;
    if (rc == 0)
        rc = s_closure_links(x, c, 0);
    for (size_t i = 0; rc == 0 && i < c->n_orders; i++) {
        Dajia__Envelope *env = NULL;
        rc = s_body_get(x, c->orders[i], NULL, &env);
        *held = false;
        if (rc == 0 && env->event_id && strcmp(env->event_id, id) == 0)
            *held = true, i = c->n_orders;
        dajia__envelope__free_unpacked(env, NULL);
    }
    free(c);
    return rc == 1 ? 0 : rc;
}

static int
s_order_bytes_cmp(const void *a, const void *b)
{
    return memcmp(a, b, S_ORDER_BYTES);
}

/* Applies again, in the unit's order, every event linked to `names` (the closure): its
   cases leave the cells and the state, then its events apply one by one from the journal.
   Returns 0, 1 when the closure cannot be replayed (its names then lose their markers and
   nothing else changed), or an error. */
static int
s_replay(s_ctx_t *x, const s_names_t *names, agg_cell_changed_fn *changed, void *arg)
{
    s_closure_t *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    for (size_t i = 0; i < names->count; i++)
        s_closure_name(c, names->v[i]);
    int rc = s_closure_gather(x, c);
    if (rc == 1) {
        rc = s_names_forget(x, c->names, c->n_names);
        rc = rc ? rc : 1;
        goto out;
    }
    s_seen_t seen = {.count = 0};
    x->seen = &seen;
    for (size_t i = 0; rc == 0 && i < c->n_names; i++)
        if (c->names[i][0] == S_NAME_CASE)
            rc = s_case_retract(x, c->names[i] + 1, changed, arg);
    qsort(c->orders, c->n_orders, S_ORDER_BYTES, s_order_bytes_cmp);
    for (size_t i = 0; rc == 0 && i < c->n_orders; i++) {
        Dajia__Envelope *env = NULL;
        rc = s_body_get(x, c->orders[i], NULL, &env);
        if (rc == 0)
            rc = s_event_forget(x, env);
        dajia__envelope__free_unpacked(env, NULL);
    }
    /* Each event is filed again under the names it has in the unit's order too (a
       correction stored before its report names that report's case only now), so that a
       later event before it in that order finds it. */
    bool lost = false;
    for (size_t i = 0; rc == 0 && i < c->n_orders; i++) {
        Dajia__Envelope *env = NULL;
        s_names_t filed, now;
        rc = s_body_get(x, c->orders[i], &filed, &env);
        if (rc == 0)
            rc = s_names_of(x, env, s_case_report_of(env), &now);
        size_t count = filed.count;
        for (size_t n = 0; rc == 0 && n < now.count; n++)
            s_names_put(&filed, now.v[n]);
        if (rc == 0 && (now.bad || filed.bad))
            lost = true;
        else if (rc == 0 && filed.count > count)
            rc = s_journal_file(x, &filed, NULL, c->orders[i], env);
        if (rc == 1)
            lost = true, rc = 0;
        if (rc == 0)
            rc = s_apply_one(x->txn, x->t, x->spec, s_get_u64(c->orders[i] + 9), env, NULL, NULL,
                             &seen);
        dajia__envelope__free_unpacked(env, NULL);
    }
    if (rc == 0 && lost)
        rc = s_names_forget(x, c->names, c->n_names);
    /* The cells whose figures the replay changed, net. */
    for (size_t i = 0; rc == 0 && i < seen.count; i++) {
        agg_figures_t now;
        rc = agg_cell_get(x->txn, x->t->cells, seen.v[i].key, seen.v[i].klen, &now);
        if (rc == 0 && changed && memcmp(&now, &seen.v[i].before, sizeof now) != 0)
            rc = changed(seen.v[i].key, seen.v[i].klen, arg);
    }
    x->seen = NULL;
    free(seen.v);
out:
    free(c);
    return rc;
}

int
agg_figures_apply_event(store_txn_t *txn, const agg_tables_t *tables, const agg_period_spec_t *spec,
                        uint64_t log_seq, const Dajia__Envelope *env, agg_cell_changed_fn *changed,
                        void *arg)
{
    s_event_t ev;
    int rc = s_event_read(txn, tables, env, &ev);
    if (rc)
        return rc == 1 ? 0 : rc;
    /* A repeat counts nothing and is not journaled (the same test as s_apply_one's) ... */
    s_ctx_t x = {.txn = txn, .t = tables, .spec = spec, .unit = ev.unit};
    if (ev.held && !ev.alias) {
        return 0;
    } else if (ev.held && ev.correction) {
        /* ... but a correction whose id a correction of it, stored first, named is new
           when the journal does not hold it (the replay then counts it in its place),
           with a case report or without one (a withdrawal). */
        bool held = true;
        rc = s_journal_holds(&x, ev.id, &held);
        if (rc || held)
            return rc;
    }

    s_names_t names;
    rc = s_names_of(&x, env, ev.cr, &names);
    bool journal = !names.bad, replay = false;
    uint8_t order[S_ORDER_BYTES];
    s_order_key(&(s_order_t){.seq = env->unit_seq, .at = env->occurred_at, .log = log_seq}, order);
    s_name_state_t states[S_NAMES_MAX];
    for (size_t i = 0; rc == 0 && i < names.count; i++) {
        s_name_state_t *st = &states[i];
        rc = s_name_state(&x, names.v[i], st);
        journal = journal && st->complete;
        replay = replay || (st->has_last && memcmp(order, st->last, S_ORDER_BYTES) < 0);
    }
    if (rc == 0 && !journal)
        rc = s_names_forget(&x, names.v, names.count);
    else if (rc == 0)
        rc = s_journal_file(&x, &names, states, order, env); /* all complete: not 1 */
    if (rc == 0 && journal && replay) {
        rc = s_replay(&x, &names, changed, arg);
        if (rc != 1)
            return rc;
        rc = 0; /* too far to replay: taken as it stands */
    }
    return rc ? rc : s_apply_one(txn, tables, spec, log_seq, env, changed, arg, NULL);
}
