/*  agg_figures: contributions of case reports and the cells they are counted in.

    Layout of the tables (all integers big-endian):
      cells   key  period NUL unit NUL category(1) goods(1) channels(1)
              val  AGG_FIG_COUNT x int64
      cases   key  unit NUL case_no
              val  position(8) category(1) goods(1) channels(1) count(1)
                   then count x [period length(1) period bytes, AGG_FIG_COUNT x int64]
      events  key  unit NUL event_id
              val  position(8) case_no bytes
    A position orders the reports of a case: it is the log_seq of the report, except that a
    correction takes the position of the event it supersedes (it stands in its place).
    A cell whose figures all come back to zero is deleted, so tables hold only live cells.
*/
#include "agg_figures.h"

#include <errno.h>
#include <string.h>

#define S_KEY_MAX    (AGG_UNIT_MAX + 1 + 65) /* unit NUL id */
#define S_CASE_HEAD  12                      /* position + 4 bytes */
#define S_CASE_MAX   (S_CASE_HEAD + AGG_MAX_PARTS * (1 + AGG_PERIOD_MAX + AGG_FIGURES_BYTES))
#define S_MAX_DELTAS (3 * AGG_MAX_PARTS)

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
    if (len != AGG_FIGURES_BYTES)
        return -EINVAL;
    for (int i = 0; i < AGG_FIG_COUNT; i++)
        out->v[i] = (int64_t)s_get_u64((const uint8_t *)data + 8 * i);
    return 0;
}

/* ================================================================ contributions */

/* The part for the period containing `at_ms`, created if new. */
static agg_figures_t *
s_part(agg_contribution_t *c, const agg_period_spec_t *spec, int64_t at_ms)
{
    char period[AGG_PERIOD_MAX];
    agg_period_name_at(spec, at_ms, period);
    for (size_t i = 0; i < c->count; i++)
        if (strcmp(c->parts[i].period, period) == 0)
            return &c->parts[i].figures;
    /* Five figure groups, five dates at most: there is always room. */
    agg_part_t *part = &c->parts[c->count++];
    memcpy(part->period, period, sizeof period);
    memset(&part->figures, 0, sizeof part->figures);
    return &part->figures;
}

static int64_t
s_first_set(int64_t a, int64_t b, int64_t c)
{
    return a ? a : b ? b : c;
}

void
agg_contribution_compute(const agg_period_spec_t *spec, const Dajia__Envelope *env,
                         bool with_channels, agg_contribution_t *out)
{
    memset(out, 0, sizeof *out);
    const Dajia__CaseReport *cr = env->case_report;
    if (env->body_case != DAJIA__ENVELOPE__BODY_CASE_REPORT || !cr)
        return;
    out->category = cr->category >= 0 && cr->category <= UINT8_MAX ? (int)cr->category : 0;
    int goods = cr->n_goods ? (int)cr->goods[0] : 0;
    out->goods = goods >= 0 && goods <= UINT8_MAX ? goods : 0;
    if (with_channels)
        out->channels = (cr->ecommerce ? AGG_CHANNEL_ECOMMERCE : 0) |
                        (cr->key_physical_market ? AGG_CHANNEL_KEY_MARKET : 0) |
                        (cr->rural ? AGG_CHANNEL_RURAL : 0) |
                        (cr->import_export ? AGG_CHANNEL_IMPORT_EXPORT : 0) |
                        (cr->postal_express ? AGG_CHANNEL_POSTAL_EXPRESS : 0);
    if (cr->stage == DAJIA__CASE_STAGE__CASE_STAGE_REVOKED)
        return;

    int64_t occurred = env->occurred_at;
    if (cr->stage >= DAJIA__CASE_STAGE__CASE_STAGE_FILED) {
        agg_figures_t *f = s_part(out, spec, s_first_set(cr->filed_at, occurred, 0));
        f->v[AGG_FIG_FILED] += 1;
        f->v[AGG_FIG_VALUE_FEN] += cr->case_value_fen;
    }
    if (cr->stage == DAJIA__CASE_STAGE__CASE_STAGE_CLOSED ||
        cr->stage == DAJIA__CASE_STAGE__CASE_STAGE_JUDGMENT_EFFECTIVE || cr->closed_at) {
        agg_figures_t *f = s_part(out, spec, s_first_set(cr->closed_at, occurred, 0));
        f->v[AGG_FIG_CLOSED] += 1;
    }
    if (cr->fines_confiscations_fen || cr->loss_recovered_fen) {
        agg_figures_t *f = s_part(out, spec, s_first_set(cr->decision_at, cr->closed_at, occurred));
        f->v[AGG_FIG_FINES_FEN] += cr->fines_confiscations_fen;
        f->v[AGG_FIG_LOSS_RECOVERED_FEN] += cr->loss_recovered_fen;
    }
    if (cr->linkage >= DAJIA__LINKAGE_STATUS__LINKAGE_STATUS_TRANSFERRED) {
        agg_figures_t *f = s_part(out, spec, s_first_set(cr->transferred_at, occurred, 0));
        f->v[AGG_FIG_TRANSFERS] += 1;
    }
    if (cr->dens_destroyed || cr->suspects_arrested || cr->arrests_approved ||
        cr->prosecuted_cases || cr->persons_judged) {
        agg_figures_t *f = s_part(out, spec, occurred);
        f->v[AGG_FIG_DENS] += cr->dens_destroyed;
        f->v[AGG_FIG_ARRESTED] += cr->suspects_arrested;
        f->v[AGG_FIG_ARRESTS_APPROVED] += cr->arrests_approved;
        f->v[AGG_FIG_PROSECUTIONS] += cr->prosecuted_cases;
        f->v[AGG_FIG_JUDGMENTS] += cr->persons_judged;
    }
}

bool
agg_contribution_equal(const agg_contribution_t *a, const agg_contribution_t *b)
{
    if (a->category != b->category || a->goods != b->goods || a->channels != b->channels ||
        a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->parts[i].period, b->parts[i].period) != 0 ||
            memcmp(&a->parts[i].figures, &b->parts[i].figures, sizeof(agg_figures_t)) != 0)
            return false;
    return true;
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
    int rc = store_cursor_open(txn, table, &cursor);
    if (rc == STORE_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    const void *k, *v;
    size_t kl, vl;
    agg_cell_t cell;
    rc = store_cursor_seek(cursor, period, plen + 1, &k, &kl, &v, &vl);
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

/* ================================================================ applying events */

typedef struct {
    uint64_t position;
    agg_contribution_t contribution;
} s_case_t;

typedef struct {
    uint8_t key[AGG_CELL_KEY_MAX];
    size_t klen;
    agg_figures_t delta;
} s_delta_t;

typedef struct {
    s_delta_t items[S_MAX_DELTAS];
    size_t count;
} s_deltas_t;

/* Key "unit NUL id"; returns its length, 0 when too long. */
static size_t
s_id_key(uint8_t buf[S_KEY_MAX], const char *unit, const char *id)
{
    size_t ulen = strlen(unit), ilen = strlen(id);
    if (ulen >= AGG_UNIT_MAX || ilen > S_KEY_MAX - AGG_UNIT_MAX - 1)
        return 0;
    memcpy(buf, unit, ulen + 1);
    memcpy(buf + ulen + 1, id, ilen);
    return ulen + 1 + ilen;
}

static size_t
s_case_encode(const s_case_t *rec, uint8_t out[S_CASE_MAX])
{
    const agg_contribution_t *c = &rec->contribution;
    uint8_t *p = out;
    s_put_u64(p, rec->position);
    p[8] = (uint8_t)c->category;
    p[9] = (uint8_t)c->goods;
    p[10] = (uint8_t)c->channels;
    p[11] = (uint8_t)c->count;
    p += S_CASE_HEAD;
    for (size_t i = 0; i < c->count; i++) {
        size_t plen = strlen(c->parts[i].period);
        *p++ = (uint8_t)plen;
        memcpy(p, c->parts[i].period, plen);
        p += plen;
        agg_figures_encode(&c->parts[i].figures, p);
        p += AGG_FIGURES_BYTES;
    }
    return (size_t)(p - out);
}

static int
s_case_decode(const uint8_t *data, size_t len, s_case_t *rec)
{
    memset(rec, 0, sizeof *rec);
    if (len < S_CASE_HEAD || data[11] > AGG_MAX_PARTS)
        return -EINVAL;
    agg_contribution_t *c = &rec->contribution;
    rec->position = s_get_u64(data);
    c->category = data[8];
    c->goods = data[9];
    c->channels = data[10];
    c->count = data[11];
    size_t off = S_CASE_HEAD;
    for (size_t i = 0; i < c->count; i++) {
        if (off >= len)
            return -EINVAL;
        size_t plen = data[off++];
        if (plen >= AGG_PERIOD_MAX || len - off < plen + AGG_FIGURES_BYTES)
            return -EINVAL;
        memcpy(c->parts[i].period, data + off, plen);
        c->parts[i].period[plen] = '\0';
        off += plen;
        agg_figures_decode(data + off, AGG_FIGURES_BYTES, &c->parts[i].figures);
        off += AGG_FIGURES_BYTES;
    }
    return off == len ? 0 : -EINVAL;
}

static int
s_case_get(store_txn_t *txn, const char *table, const uint8_t *key, size_t klen, s_case_t *rec)
{
    const void *val;
    size_t vlen;
    int rc = store_get(txn, table, key, klen, &val, &vlen);
    if (rc)
        return rc;
    return s_case_decode(val, vlen, rec);
}

/* Adds `sign` x the contribution of `unit`'s case to the delta list, merging equal cells. */
static void
s_deltas_add(s_deltas_t *deltas, const char *unit, const agg_contribution_t *c, int sign)
{
    for (size_t i = 0; i < c->count; i++) {
        uint8_t key[AGG_CELL_KEY_MAX];
        size_t klen =
            agg_cell_key(key, c->parts[i].period, unit, c->category, c->goods, c->channels);
        if (klen == 0)
            continue;
        s_delta_t *d = NULL;
        for (size_t j = 0; j < deltas->count && !d; j++)
            if (deltas->items[j].klen == klen && memcmp(deltas->items[j].key, key, klen) == 0)
                d = &deltas->items[j];
        if (!d) {
            /* At most three contributions (withdrawn, old, new) of AGG_MAX_PARTS each. */
            d = &deltas->items[deltas->count++];
            memcpy(d->key, key, klen);
            d->klen = klen;
            memset(&d->delta, 0, sizeof d->delta);
        }
        if (sign > 0)
            agg_figures_add(&d->delta, &c->parts[i].figures);
        else
            agg_figures_sub(&d->delta, &c->parts[i].figures);
    }
}

static int
s_deltas_apply(store_txn_t *txn, const char *table, const s_deltas_t *deltas,
               agg_cell_changed_fn *changed, void *arg)
{
    for (size_t i = 0; i < deltas->count; i++) {
        const s_delta_t *d = &deltas->items[i];
        if (agg_figures_is_zero(&d->delta))
            continue;
        agg_figures_t figures;
        int rc = agg_cell_get(txn, table, d->key, d->klen, &figures);
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
        if (rc == 0 && changed)
            rc = changed(d->key, d->klen, arg);
        if (rc)
            return rc;
    }
    return 0;
}

/* Withdraws the contribution of the event `event_id` of `unit` if it is still its case's
   current one. Sets *position to the superseded event's position when it is known. */
static int
s_withdraw_superseded(store_txn_t *txn, const agg_tables_t *t, const char *unit,
                      const char *event_id, uint64_t *position, s_deltas_t *deltas)
{
    uint8_t key[S_KEY_MAX], case_key[S_KEY_MAX];
    size_t klen = s_id_key(key, unit, event_id);
    if (klen == 0)
        return 0;
    const void *val;
    size_t vlen;
    int rc = store_get(txn, t->events, key, klen, &val, &vlen);
    if (rc == STORE_NOTFOUND)
        return 0; /* not a case report we know: the correction stands on its own */
    if (rc)
        return rc;
    if (vlen < 8 || vlen - 8 > S_KEY_MAX - AGG_UNIT_MAX - 1)
        return -EINVAL;
    uint64_t superseded = s_get_u64(val);
    char case_no[S_KEY_MAX];
    memcpy(case_no, (const uint8_t *)val + 8, vlen - 8);
    case_no[vlen - 8] = '\0';
    *position = superseded;

    size_t cklen = s_id_key(case_key, unit, case_no);
    s_case_t rec;
    rc = cklen ? s_case_get(txn, t->cases, case_key, cklen, &rec) : STORE_NOTFOUND;
    if (rc == STORE_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (rec.position != superseded)
        return 0; /* a later report of that case is its current state; it stands */
    s_deltas_add(deltas, unit, &rec.contribution, -1);
    return store_del(txn, t->cases, case_key, cklen);
}

int
agg_figures_apply_event(store_txn_t *txn, const agg_tables_t *tables, const agg_period_spec_t *spec,
                        uint64_t log_seq, const Dajia__Envelope *env, agg_cell_changed_fn *changed,
                        void *arg)
{
    const char *unit = env->unit ? env->unit : "";
    const Dajia__CaseReport *cr =
        env->body_case == DAJIA__ENVELOPE__BODY_CASE_REPORT ? env->case_report : NULL;
    bool correction = env->supersedes_event_id && *env->supersedes_event_id;
    if (!*unit || (!cr && !correction))
        return 0;

    s_deltas_t deltas = {.count = 0};
    uint64_t position = log_seq;
    int rc = 0;
    if (correction) {
        rc = s_withdraw_superseded(txn, tables, unit, env->supersedes_event_id, &position, &deltas);
        if (rc)
            return rc;
    }
    uint8_t case_key[S_KEY_MAX], event_key[S_KEY_MAX];
    size_t cklen = cr && cr->case_no ? s_id_key(case_key, unit, cr->case_no) : 0;
    size_t eklen = env->event_id ? s_id_key(event_key, unit, env->event_id) : 0;
    if (cklen > strlen(unit) + 1) {
        s_case_t cur;
        rc = s_case_get(txn, tables->cases, case_key, cklen, &cur);
        if (rc && rc != STORE_NOTFOUND)
            return rc;
        bool found = rc == 0;
        rc = 0;
        /* A report older than the case's current state (a correction of an earlier
           report) does not replace it. */
        if (!found || cur.position <= position) {
            s_case_t next = {.position = position};
            agg_contribution_compute(spec, env, tables->channels, &next.contribution);
            if (found)
                s_deltas_add(&deltas, unit, &cur.contribution, -1);
            s_deltas_add(&deltas, unit, &next.contribution, +1);
            if (!found || cur.position != position ||
                !agg_contribution_equal(&cur.contribution, &next.contribution)) {
                uint8_t val[S_CASE_MAX];
                size_t vlen = s_case_encode(&next, val);
                rc = store_put(txn, tables->cases, case_key, cklen, val, vlen, 0);
                if (rc)
                    return rc;
            }
        }
        if (eklen) {
            uint8_t val[8 + S_KEY_MAX];
            size_t nlen = strlen(cr->case_no);
            s_put_u64(val, position);
            memcpy(val + 8, cr->case_no, nlen);
            rc = store_put(txn, tables->events, event_key, eklen, val, 8 + nlen, 0);
            if (rc)
                return rc;
        }
    }
    return s_deltas_apply(txn, tables->cells, &deltas, changed, arg);
}
