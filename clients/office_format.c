/*  office_format: lines for the Office, the matters fold and the bulletin pick. */
#include "office_format.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dajia_json.h"

// ====================================================================== words

char *
office_format_time(int64_t ms, char *buf, size_t size)
{
    if (ms == 0) {
        snprintf(buf, size, "-");
        return buf;
    }
    if (dajia_time_format_minute(ms, DAJIA_TIME_BEIJING_MIN, buf, size) != 0)
        snprintf(buf, size, "?");
    return buf;
}

const char *
office_severity_text(Dajia__Severity level)
{
    switch (level) {
    case DAJIA__SEVERITY__SEVERITY_MAJOR:
        return "major";
    case DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR:
        return "especially major";
    default:
        return "-";
    }
}

const char *
office_status_text(Dajia__MatterStatus status)
{
    switch (status) {
    case DAJIA__MATTER_STATUS__MATTER_STATUS_OPEN:
        return "open";
    case DAJIA__MATTER_STATUS__MATTER_STATUS_IN_PROGRESS:
        return "in progress";
    case DAJIA__MATTER_STATUS__MATTER_STATUS_BLOCKED:
        return "blocked";
    case DAJIA__MATTER_STATUS__MATTER_STATUS_RESOLVED:
        return "resolved";
    case DAJIA__MATTER_STATUS__MATTER_STATUS_CLOSED:
        return "closed";
    default:
        return "-";
    }
}

static int
s_written(FILE *out)
{
    return ferror(out) ? -EIO : 0;
}

int
office_print_item(FILE *out, const Dajia__FeedItem *item)
{
    char when[OFFICE_TIME_SIZE];
    switch (item->item_case) {
    case DAJIA__FEED_ITEM__ITEM_ESCALATION: {
        const Dajia__Escalation *e = item->escalation;
        const char *kind = e->case_no[0] ? "case" : e->matter_id[0] ? "matter" : "-";
        const char *key = e->case_no[0] ? e->case_no : e->matter_id;
        fprintf(out, "%s  %-16s  %-10s  %-13s  %s %s  %s",
                office_format_time(e->escalated_at, when, sizeof when),
                office_severity_text(e->level), e->rule[0] ? e->rule : "-",
                e->unit[0] ? e->unit : "-", kind, key, e->reason);
        if (e->due_at)
            fprintf(out, " (due %s)", office_format_time(e->due_at, when, sizeof when));
        if (e->action[0])
            fprintf(out, " -> %s", e->action);
        fputc('\n', out);
        break;
    }
    case DAJIA__FEED_ITEM__ITEM_AGGREGATE:
        fprintf(out, "%s  aggregate: %zu rows, every event through log_seq %" PRIu64 "\n",
                office_format_time(item->produced_at, when, sizeof when), item->aggregate->n_rows,
                item->aggregate->through_log_seq);
        break;
    case DAJIA__FEED_ITEM__ITEM_BULLETIN:
        fprintf(out,
                "%s  bulletin of %s, revision %u: %zu figure rows, %zu matters, %zu silent "
                "units, %zu changes\n",
                office_format_time(item->produced_at, when, sizeof when), item->bulletin->period,
                item->bulletin->revision ? item->bulletin->revision : 1, item->bulletin->n_figures,
                item->bulletin->n_matters, item->bulletin->n_silent_units,
                item->bulletin->n_changes);
        break;
    case DAJIA__FEED_ITEM__ITEM_MATTER:
        fprintf(out, "%s  matter: ", office_format_time(item->produced_at, when, sizeof when));
        return office_print_matter(out, item->matter);
    case DAJIA__FEED_ITEM__ITEM_COMPLIANCE:
        fprintf(out,
                "%s  reporting for %s:", office_format_time(item->produced_at, when, sizeof when),
                item->compliance->period);
        for (size_t i = 0; i < item->compliance->n_units; i++)
            fprintf(out, " %s %s%s", item->compliance->units[i]->unit,
                    item->compliance->units[i]->status,
                    item->compliance->units[i]->late ? " (late)" : "");
        fputc('\n', out);
        break;
    case DAJIA__FEED_ITEM__ITEM_NOTICE: /* the unit's copy of a DQ escalation */
        fprintf(out, "%s  notice to %s: %s event %s: %.*s\n", /* its first line */
                office_format_time(item->notice->noticed_at, when, sizeof when), item->notice->unit,
                item->notice->rule, item->notice->event_id, (int)strcspn(item->notice->text, "\n"),
                item->notice->text);
        break;
    default:
        fprintf(out, "%s  item %" PRIu64 " of an unknown kind\n",
                office_format_time(item->produced_at, when, sizeof when), item->feed_seq);
        break;
    }
    return s_written(out);
}

int
office_print_matter(FILE *out, const Dajia__MatterLine *m)
{
    char last[OFFICE_TIME_SIZE], due[OFFICE_TIME_SIZE], over[32];
    if (m->days_overdue > 0)
        snprintf(over, sizeof over, "%" PRId64 "d over", m->days_overdue);
    else
        snprintf(over, sizeof over, "on time");
    fprintf(out, "%-9s  %-16s  %-11s  %-13s  %s  last %s  due %s  %s\n", over,
            office_severity_text(m->severity), office_status_text(m->status), m->unit, m->matter_id,
            office_format_time(m->last_progress_at, last, sizeof last),
            office_format_time(m->next_update_due_at, due, sizeof due), m->title);
    return s_written(out);
}

int
office_print_json(FILE *out, const ProtobufCMessage *msg)
{
    char *json = dajia_json_from_message(msg);
    if (!json)
        return -ENOMEM;
    fputs(json, out);
    fputc('\n', out);
    free(json);
    return s_written(out);
}

void *
office_message_copy(const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return NULL;
    protobuf_c_message_pack(msg, buf);
    ProtobufCMessage *copy = protobuf_c_message_unpack(msg->descriptor, NULL, len, buf);
    free(buf);
    return copy;
}

Dajia__FeedItem *
office_item_copy(const Dajia__FeedItem *item)
{
    return office_message_copy(&item->base);
}

// ====================================================================== matters

struct office_matters_t {
    zhashx_t *by_key;             /* "unit\x1fmatter_id" -> Dajia__FeedItem (owned) */
    const Dajia__FeedItem **open; /* the last office_matters_open() answer */
};

static void
s_item_free(void **item_p)
{
    if (item_p && *item_p) {
        dajia__feed_item__free_unpacked(*item_p, NULL);
        *item_p = NULL;
    }
}

office_matters_t *
office_matters_new(void)
{
    office_matters_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->by_key = zhashx_new();
    if (!self->by_key) {
        free(self);
        return NULL;
    }
    zhashx_set_destructor(self->by_key, s_item_free);
    return self;
}

void
office_matters_destroy(office_matters_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    office_matters_t *self = *self_p;
    zhashx_destroy(&self->by_key);
    free(self->open);
    free(self);
    *self_p = NULL;
}

int
office_matters_add(office_matters_t *self, const Dajia__FeedItem *item)
{
    if (item->item_case != DAJIA__FEED_ITEM__ITEM_MATTER || !item->matter)
        return 0;
    /* The unit separator cannot occur in a unit code, so keys never collide. */
    char *key = zsys_sprintf("%s\x1f%s", item->matter->unit, item->matter->matter_id);
    Dajia__FeedItem *copy = office_item_copy(item);
    int rc = 0;
    if (!key || !copy) {
        rc = -ENOMEM;
        if (copy)
            dajia__feed_item__free_unpacked(copy, NULL);
    } else {
        zhashx_update(self->by_key, key, copy); /* frees the one it replaces */
    }
    zstr_free(&key);
    return rc;
}

static bool
s_open(const Dajia__MatterLine *m)
{
    return m->status != DAJIA__MATTER_STATUS__MATTER_STATUS_RESOLVED &&
           m->status != DAJIA__MATTER_STATUS__MATTER_STATUS_CLOSED;
}

static int
s_cmp_matters(const void *pa, const void *pb)
{
    const Dajia__MatterLine *a = (*(const Dajia__FeedItem *const *)pa)->matter;
    const Dajia__MatterLine *b = (*(const Dajia__FeedItem *const *)pb)->matter;
    int64_t oa = a->days_overdue > 0 ? a->days_overdue : 0;
    int64_t ob = b->days_overdue > 0 ? b->days_overdue : 0;
    if (oa != ob)
        return oa > ob ? -1 : 1;
    /* no due date sorts last */
    uint64_t da = a->next_update_due_at > 0 ? (uint64_t)a->next_update_due_at : UINT64_MAX;
    uint64_t db = b->next_update_due_at > 0 ? (uint64_t)b->next_update_due_at : UINT64_MAX;
    if (da != db)
        return da < db ? -1 : 1;
    int c = strcmp(a->unit, b->unit);
    return c ? c : strcmp(a->matter_id, b->matter_id);
}

size_t
office_matters_open(office_matters_t *self, const Dajia__FeedItem *const **items)
{
    size_t total = zhashx_size(self->by_key), n = 0;
    const Dajia__FeedItem **open = realloc(self->open, (total ? total : 1) * sizeof *open);
    if (!open)
        return (size_t)-1;
    self->open = open;
    for (const Dajia__FeedItem *item = zhashx_first(self->by_key); item;
         item = zhashx_next(self->by_key))
        if (s_open(item->matter))
            open[n++] = item;
    qsort(open, n, sizeof *open, s_cmp_matters);
    *items = open;
    return n;
}

// ====================================================================== bulletins

bool
office_bulletin_better(const Dajia__Bulletin *held, const Dajia__Bulletin *candidate,
                       const char *period)
{
    if (period)
        return strcmp(candidate->period, period) == 0;
    /* "YYYY-MM" compares as text in time order; a later item wins a tie. */
    return !held || strcmp(candidate->period, held->period) >= 0;
}
