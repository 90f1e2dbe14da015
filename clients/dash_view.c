/*  dash_view: the dashboard's fold of the feed (see dash_view.h).

    Cells live in an array (what the pages walk) with a hash from their key to their
    slot (what an update looks up); a forgotten cell's slot takes the array's last cell.
    Escalations, matters and bulletins are copies of their FeedItems, so the pages read
    the schema's own fields and the export writes them back as they came. Compliance is
    kept per month as one plain row per unit (the fields the page shows), which the export
    writes as one ComplianceUpdate per month.
*/
#include "dash_view.h"

#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "office_format.h"

#define S_KEY_MAX (DASH_PERIOD_MAX + DASH_UNIT_MAX + 32)

/* A growing array of owned pointers. */
typedef struct {
    void **items;
    size_t count, cap;
} s_list_t;

struct dash_view_t {
    s_list_t rows;        /* dash_row_t * */
    zhashx_t *row_index;  /* cell key -> slot + 1 (as a pointer) */
    s_list_t escalations; /* Dajia__FeedItem * */
    zhashx_t *escalation_ids;
    s_list_t matters;       /* Dajia__FeedItem * */
    zhashx_t *matter_index; /* unit/matter_id -> slot + 1 */
    s_list_t bulletins;     /* Dajia__FeedItem * */
    zhashx_t *bulletin_ids;
    s_list_t compliance; /* dash_compliance_t * */
    int64_t compliance_seen;
    uint64_t last_seq;
    uint64_t items, ignored;
};

static const struct {
    const char *name;
    bool money;
} s_figs[DASH_FIG_COUNT] = {
    {"cases_filed", false},       {"cases_closed", false},
    {"case_value_fen", true},     {"fines_confiscations_fen", true},
    {"loss_recovered_fen", true}, {"transfers_to_police", false},
    {"dens_destroyed", false},    {"suspects_arrested", false},
    {"arrests_approved", false},  {"prosecutions", false},
    {"judgments", false},
};

const char *
dash_fig_name(dash_fig_t fig)
{
    return (unsigned)fig < DASH_FIG_COUNT ? s_figs[fig].name : "";
}

bool
dash_fig_is_money(dash_fig_t fig)
{
    return (unsigned)fig < DASH_FIG_COUNT && s_figs[fig].money;
}

void
dash_fig_from(const Dajia__Figures *f, int64_t v[DASH_FIG_COUNT])
{
    memset(v, 0, DASH_FIG_COUNT * sizeof v[0]);
    if (!f)
        return;
    v[DASH_FIG_CASES_FILED] = f->cases_filed;
    v[DASH_FIG_CASES_CLOSED] = f->cases_closed;
    v[DASH_FIG_CASE_VALUE_FEN] = f->case_value_fen;
    v[DASH_FIG_FINES_FEN] = f->fines_confiscations_fen;
    v[DASH_FIG_LOSS_RECOVERED_FEN] = f->loss_recovered_fen;
    v[DASH_FIG_TRANSFERS] = f->transfers_to_police;
    v[DASH_FIG_DENS] = f->dens_destroyed;
    v[DASH_FIG_ARRESTED] = f->suspects_arrested;
    v[DASH_FIG_ARRESTS_APPROVED] = f->arrests_approved;
    v[DASH_FIG_PROSECUTIONS] = f->prosecutions;
    v[DASH_FIG_JUDGMENTS] = f->judgments;
}

static void
s_fig_to(const int64_t v[DASH_FIG_COUNT], Dajia__Figures *f)
{
    f->cases_filed = v[DASH_FIG_CASES_FILED];
    f->cases_closed = v[DASH_FIG_CASES_CLOSED];
    f->case_value_fen = v[DASH_FIG_CASE_VALUE_FEN];
    f->fines_confiscations_fen = v[DASH_FIG_FINES_FEN];
    f->loss_recovered_fen = v[DASH_FIG_LOSS_RECOVERED_FEN];
    f->transfers_to_police = v[DASH_FIG_TRANSFERS];
    f->dens_destroyed = v[DASH_FIG_DENS];
    f->suspects_arrested = v[DASH_FIG_ARRESTED];
    f->arrests_approved = v[DASH_FIG_ARRESTS_APPROVED];
    f->prosecutions = v[DASH_FIG_PROSECUTIONS];
    f->judgments = v[DASH_FIG_JUDGMENTS];
}

// ====================================================================== lists

static int
s_list_push(s_list_t *list, void *item)
{
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 64;
        void **grown = realloc(list->items, cap * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        list->items = grown;
        list->cap = cap;
    }
    list->items[list->count++] = item;
    return 0;
}

static void
s_items_free(s_list_t *list)
{
    for (size_t i = 0; i < list->count; i++)
        dajia__feed_item__free_unpacked(list->items[i], NULL);
    free(list->items);
    memset(list, 0, sizeof *list);
}

// ====================================================================== compliance

static void
s_month_free(dash_compliance_t *m)
{
    free(m->units);
    free(m->period);
    free(m);
}

/* The month `period`, made when new. */
static dash_compliance_t *
s_month(dash_view_t *self, const char *period)
{
    for (size_t i = 0; i < self->compliance.count; i++) {
        dash_compliance_t *m = self->compliance.items[i];
        if (strcmp(m->period, period) == 0)
            return m;
    }
    dash_compliance_t *m = calloc(1, sizeof *m);
    if (!m || !(m->period = strdup(period)) || s_list_push(&self->compliance, m) != 0) {
        if (m)
            free(m->period);
        free(m);
        return NULL;
    }
    return m;
}

/* The slot of `unit` in month `m`, made when new; NULL when memory ran out. */
static dash_unit_compliance_t *
s_month_unit(dash_compliance_t *m, const char *unit)
{
    for (size_t j = 0; j < m->n_units; j++)
        if (strcmp(m->units[j].unit, unit) == 0)
            return &m->units[j];
    if (m->n_units == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 32;
        dash_unit_compliance_t *grown = realloc(m->units, cap * sizeof *grown);
        if (!grown)
            return NULL;
        m->units = grown;
        m->cap = cap;
    }
    dash_unit_compliance_t *u = &m->units[m->n_units++];
    memset(u, 0, sizeof *u);
    strcpy(u->unit, unit);
    return u;
}

/* Folds a ComplianceUpdate in: per unit, its row replaces the one held. */
static int
s_compliance_apply(dash_view_t *self, const Dajia__FeedItem *item)
{
    const Dajia__ComplianceUpdate *up = item->compliance;
    dash_compliance_t *m = s_month(self, up->period ? up->period : "");
    if (!m)
        return -ENOMEM;
    m->deadline_at = up->deadline_at;
    if (item->produced_at > self->compliance_seen)
        self->compliance_seen = item->produced_at;
    for (size_t i = 0; i < up->n_units; i++) {
        const Dajia__UnitCompliance *row = up->units[i];
        const char *status = row->status ? row->status : "";
        if (!row->unit || strlen(row->unit) >= DASH_UNIT_MAX || strlen(status) >= DASH_STATUS_MAX)
            continue; /* not a row this schema makes: skip it rather than cut it */
        dash_unit_compliance_t *u = s_month_unit(m, row->unit);
        if (!u)
            return -ENOMEM;
        strcpy(u->status, status);
        u->late = row->late;
        u->first_report_at = row->first_report_at;
        u->last_report_at = row->last_report_at;
        u->events = row->events;
    }
    return 0;
}

// ====================================================================== life

dash_view_t *
dash_view_new(void)
{
    dash_view_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->row_index = zhashx_new();
    self->escalation_ids = zhashx_new();
    self->matter_index = zhashx_new();
    self->bulletin_ids = zhashx_new();
    if (!self->row_index || !self->escalation_ids || !self->matter_index || !self->bulletin_ids)
        dash_view_destroy(&self);
    return self;
}

void
dash_view_destroy(dash_view_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dash_view_t *self = *self_p;
    for (size_t i = 0; i < self->rows.count; i++)
        free(self->rows.items[i]);
    free(self->rows.items);
    s_items_free(&self->escalations);
    s_items_free(&self->matters);
    s_items_free(&self->bulletins);
    for (size_t i = 0; i < self->compliance.count; i++)
        s_month_free(self->compliance.items[i]);
    free(self->compliance.items);
    zhashx_destroy(&self->row_index);
    zhashx_destroy(&self->escalation_ids);
    zhashx_destroy(&self->matter_index);
    zhashx_destroy(&self->bulletin_ids);
    free(self);
    *self_p = NULL;
}

// ====================================================================== apply

static bool
s_all_zero(const int64_t v[DASH_FIG_COUNT])
{
    for (int i = 0; i < DASH_FIG_COUNT; i++)
        if (v[i])
            return false;
    return true;
}

/* Replaces (or forgets) the cell of `src`. */
static int
s_row_apply(dash_view_t *self, const Dajia__AggregateRow *src, bool public_)
{
    const char *period = src->period ? src->period : "";
    const char *unit = src->unit ? src->unit : "";
    if (strlen(period) >= DASH_PERIOD_MAX || strlen(unit) >= DASH_UNIT_MAX)
        return 0; /* not a cell this schema makes: skip it rather than cut its key */
    char key[S_KEY_MAX];
    snprintf(key, sizeof key, "%s|%s|%d|%d", period, unit, (int)src->category, (int)src->goods);
    int64_t v[DASH_FIG_COUNT];
    dash_fig_from(src->figures, v);
    size_t slot = (size_t)(uintptr_t)zhashx_lookup(self->row_index, key);
    if (slot) {
        dash_row_t *row = self->rows.items[slot - 1];
        if (!s_all_zero(v)) {
            memcpy(row->v, v, sizeof v);
            row->public_ = public_;
            return 0;
        }
        /* Forget it: the last cell takes its slot. */
        zhashx_delete(self->row_index, key);
        free(row);
        dash_row_t *last = self->rows.items[--self->rows.count];
        if (slot - 1 < self->rows.count) {
            self->rows.items[slot - 1] = last;
            char lkey[S_KEY_MAX];
            snprintf(lkey, sizeof lkey, "%s|%s|%d|%d", last->period, last->unit, last->category,
                     last->goods);
            zhashx_update(self->row_index, lkey, (void *)(uintptr_t)slot);
        }
        return 0;
    }
    if (s_all_zero(v))
        return 0;
    dash_row_t *row = calloc(1, sizeof *row);
    if (!row)
        return -ENOMEM;
    strcpy(row->period, period);
    strcpy(row->unit, unit);
    row->category = (int)src->category;
    row->goods = (int)src->goods;
    row->public_ = public_;
    memcpy(row->v, v, sizeof v);
    if (s_list_push(&self->rows, row) != 0) {
        free(row);
        return -ENOMEM;
    }
    if (zhashx_insert(self->row_index, key, (void *)(uintptr_t)self->rows.count) != 0) {
        self->rows.count--;
        free(row);
        return -ENOMEM;
    }
    return 0;
}

/* Adds a copy of `item` to `list` unless `id` is in `ids` already. */
static int
s_add_once(s_list_t *list, zhashx_t *ids, const char *id, const Dajia__FeedItem *item, bool *added)
{
    *added = false;
    if (zhashx_lookup(ids, id))
        return 0;
    Dajia__FeedItem *copy = office_item_copy(item);
    if (!copy)
        return -ENOMEM;
    if (s_list_push(list, copy) != 0) {
        dajia__feed_item__free_unpacked(copy, NULL);
        return -ENOMEM;
    }
    if (zhashx_insert(ids, id, (void *)(uintptr_t)list->count) != 0) {
        list->count--;
        dajia__feed_item__free_unpacked(copy, NULL);
        return -ENOMEM;
    }
    *added = true;
    return 0;
}

static int
s_matter_apply(dash_view_t *self, const Dajia__FeedItem *item)
{
    const Dajia__MatterLine *m = item->matter;
    char *key = zsys_sprintf("%s/%s", m->unit ? m->unit : "", m->matter_id ? m->matter_id : "");
    if (!key)
        return -ENOMEM;
    int rc = 0;
    size_t slot = (size_t)(uintptr_t)zhashx_lookup(self->matter_index, key);
    if (slot) {
        Dajia__FeedItem *copy = office_item_copy(item);
        if (!copy)
            rc = -ENOMEM;
        else {
            dajia__feed_item__free_unpacked(self->matters.items[slot - 1], NULL);
            self->matters.items[slot - 1] = copy;
        }
    } else {
        bool added;
        rc = s_add_once(&self->matters, self->matter_index, key, item, &added);
    }
    zstr_free(&key);
    return rc;
}

int
dash_view_apply(dash_view_t *self, const Dajia__FeedItem *item, dash_view_change_t *change)
{
    dash_view_change_t what = DASH_VIEW_NOTHING;
    bool public_ = item->audience == DAJIA__AUDIENCE__AUDIENCE_PUBLIC;
    bool added = false;
    int rc = 0;
    switch (item->item_case) {
    case DAJIA__FEED_ITEM__ITEM_AGGREGATE:
        for (size_t i = 0; rc == 0 && item->aggregate && i < item->aggregate->n_rows; i++)
            rc = s_row_apply(self, item->aggregate->rows[i], public_);
        what = DASH_VIEW_FIGURES;
        break;
    case DAJIA__FEED_ITEM__ITEM_ESCALATION:
        if (item->escalation && item->escalation->escalation_id) {
            rc = s_add_once(&self->escalations, self->escalation_ids,
                            item->escalation->escalation_id, item, &added);
            if (added)
                what = DASH_VIEW_ESCALATION;
        }
        break;
    case DAJIA__FEED_ITEM__ITEM_MATTER:
        if (item->matter) {
            rc = s_matter_apply(self, item);
            what = DASH_VIEW_MATTER;
        }
        break;
    case DAJIA__FEED_ITEM__ITEM_BULLETIN:
        if (item->bulletin) {
            char id[64];
            snprintf(id, sizeof id, "%.16s@%" PRId64,
                     item->bulletin->period ? item->bulletin->period : "",
                     item->bulletin->produced_at);
            rc = s_add_once(&self->bulletins, self->bulletin_ids, id, item, &added);
            if (added)
                what = DASH_VIEW_BULLETIN;
        }
        break;
    case DAJIA__FEED_ITEM__ITEM_COMPLIANCE:
        if (item->compliance) {
            rc = s_compliance_apply(self, item);
            what = DASH_VIEW_COMPLIANCE;
        }
        break;
    default:
        self->ignored++;
        break;
    }
    if (rc)
        return rc;
    self->items++;
    if (item->feed_seq > self->last_seq)
        self->last_seq = item->feed_seq;
    if (change)
        *change = what;
    return 0;
}

// ====================================================================== read

uint64_t
dash_view_last_seq(const dash_view_t *self)
{
    return self->last_seq;
}

uint64_t
dash_view_items(const dash_view_t *self)
{
    return self->items;
}

uint64_t
dash_view_ignored(const dash_view_t *self)
{
    return self->ignored;
}

size_t
dash_view_rows(const dash_view_t *self, const dash_row_t *const **rows)
{
    *rows = (const dash_row_t *const *)self->rows.items;
    return self->rows.count;
}

size_t
dash_view_escalations(const dash_view_t *self, const Dajia__FeedItem *const **items)
{
    *items = (const Dajia__FeedItem *const *)self->escalations.items;
    return self->escalations.count;
}

size_t
dash_view_matters(const dash_view_t *self, const Dajia__FeedItem *const **items)
{
    *items = (const Dajia__FeedItem *const *)self->matters.items;
    return self->matters.count;
}

size_t
dash_view_bulletins(const dash_view_t *self, const Dajia__FeedItem *const **items)
{
    *items = (const Dajia__FeedItem *const *)self->bulletins.items;
    return self->bulletins.count;
}

size_t
dash_view_compliance(const dash_view_t *self, const dash_compliance_t *const **months)
{
    *months = (const dash_compliance_t *const *)self->compliance.items;
    return self->compliance.count;
}

int64_t
dash_view_compliance_seen(const dash_view_t *self)
{
    return self->compliance_seen;
}

// ====================================================================== keep

int
dash_view_export(const dash_view_t *self, uint8_t **data, size_t *len)
{
    /* Two synthetic aggregate items (public cells, office-only cells) carry the cells,
       one synthetic compliance item each month (every unit's latest row, its produced_at
       the latest seen); the rest are the items as they came. */
    size_t n_rows = self->rows.count;
    size_t n_months = self->compliance.count;
    size_t n_items =
        2 + self->escalations.count + self->matters.count + self->bulletins.count + n_months;
    Dajia__FeedItem agg[2] = {DAJIA__FEED_ITEM__INIT, DAJIA__FEED_ITEM__INIT};
    Dajia__AggregateUpdate update[2] = {DAJIA__AGGREGATE_UPDATE__INIT,
                                        DAJIA__AGGREGATE_UPDATE__INIT};
    Dajia__AggregateRow *rows = calloc(n_rows ? n_rows : 1, sizeof *rows);
    Dajia__Figures *figs = calloc(n_rows ? n_rows : 1, sizeof *figs);
    Dajia__AggregateRow **ptrs[2] = {calloc(n_rows ? n_rows : 1, sizeof(void *)),
                                     calloc(n_rows ? n_rows : 1, sizeof(void *))};
    Dajia__FeedItem **items = calloc(n_items, sizeof *items);
    Dajia__FeedItem *comp = calloc(n_months ? n_months : 1, sizeof *comp);
    Dajia__ComplianceUpdate *updates = calloc(n_months ? n_months : 1, sizeof *updates);
    size_t n_units = 0;
    for (size_t i = 0; i < n_months; i++)
        n_units += ((const dash_compliance_t *)self->compliance.items[i])->n_units;
    Dajia__UnitCompliance *units = calloc(n_units ? n_units : 1, sizeof *units);
    Dajia__UnitCompliance **unit_ptrs = calloc(n_units ? n_units : 1, sizeof *unit_ptrs);
    int rc = -ENOMEM;
    if (!rows || !figs || !ptrs[0] || !ptrs[1] || !items || !comp || !updates || !units ||
        !unit_ptrs)
        goto out;
    for (int a = 0; a < 2; a++) {
        agg[a].audience =
            a == 0 ? DAJIA__AUDIENCE__AUDIENCE_PUBLIC : DAJIA__AUDIENCE__AUDIENCE_OFFICE;
        agg[a].service = "aggregate";
        agg[a].item_case = DAJIA__FEED_ITEM__ITEM_AGGREGATE;
        agg[a].aggregate = &update[a];
        update[a].rows = ptrs[a];
    }
    for (size_t i = 0; i < n_rows; i++) {
        const dash_row_t *r = self->rows.items[i];
        dajia__aggregate_row__init(&rows[i]);
        dajia__figures__init(&figs[i]);
        rows[i].period = (char *)r->period;
        rows[i].unit = (char *)r->unit;
        rows[i].category = (Dajia__CaseCategory)r->category;
        rows[i].goods = (Dajia__GoodsCategory)r->goods;
        s_fig_to(r->v, &figs[i]);
        rows[i].figures = &figs[i];
        int a = r->public_ ? 0 : 1;
        update[a].rows[update[a].n_rows++] = &rows[i];
    }
    size_t k = 0;
    items[k++] = &agg[0];
    items[k++] = &agg[1];
    const s_list_t *lists[] = {&self->escalations, &self->matters, &self->bulletins};
    for (size_t l = 0; l < 3; l++)
        for (size_t i = 0; i < lists[l]->count; i++)
            items[k++] = lists[l]->items[i];
    for (size_t i = 0, u = 0; i < n_months; i++) {
        const dash_compliance_t *m = self->compliance.items[i];
        dajia__feed_item__init(&comp[i]);
        dajia__compliance_update__init(&updates[i]);
        updates[i].period = m->period;
        updates[i].deadline_at = m->deadline_at;
        updates[i].units = &unit_ptrs[u];
        for (size_t j = 0; j < m->n_units; j++, u++) {
            const dash_unit_compliance_t *from = &m->units[j];
            Dajia__UnitCompliance *to = &units[u];
            dajia__unit_compliance__init(to);
            to->unit = (char *)from->unit;
            to->status = (char *)from->status;
            to->period = m->period;
            to->deadline_at = m->deadline_at;
            to->late = from->late;
            to->first_report_at = from->first_report_at;
            to->last_report_at = from->last_report_at;
            to->events = from->events;
            unit_ptrs[u] = to;
        }
        updates[i].n_units = m->n_units;
        comp[i].audience = DAJIA__AUDIENCE__AUDIENCE_OFFICE;
        comp[i].service = "circulate";
        comp[i].produced_at = self->compliance_seen;
        comp[i].item_case = DAJIA__FEED_ITEM__ITEM_COMPLIANCE;
        comp[i].compliance = &updates[i];
        items[k++] = &comp[i];
    }
    Dajia__FeedBatch batch = DAJIA__FEED_BATCH__INIT;
    batch.items = items;
    batch.n_items = k;
    batch.last_feed_seq = self->last_seq;
    *len = dajia__feed_batch__get_packed_size(&batch);
    *data = malloc(*len ? *len : 1);
    if (!*data)
        goto out;
    dajia__feed_batch__pack(&batch, *data);
    rc = 0;
out:
    free(rows);
    free(figs);
    free(ptrs[0]);
    free(ptrs[1]);
    free(items);
    free(comp);
    free(updates);
    free(units);
    free(unit_ptrs);
    return rc;
}

int
dash_view_import(dash_view_t *self, const uint8_t *data, size_t len)
{
    Dajia__FeedBatch *batch = dajia__feed_batch__unpack(NULL, len, data);
    if (!batch)
        return -EPROTO;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < batch->n_items; i++)
        rc = dash_view_apply(self, batch->items[i], NULL);
    if (rc == 0 && batch->last_feed_seq > self->last_seq)
        self->last_seq = batch->last_feed_seq;
    dajia__feed_batch__free_unpacked(batch, NULL);
    return rc;
}
