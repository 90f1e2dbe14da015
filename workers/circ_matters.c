/*  circ_matters: the major matters, kept with every progress, so that the bulletin of any
    month shows each matter as it stood at the end of that month (docs/domain.md §6.3).

    A bulletin is issued after the reporting deadline, ten days into the next month, and
    revised later still: by then a matter may have moved on. Keeping only the latest state
    would show a closed month November's progress. So the matter's report (title,
    severity, type, when it was opened, its own due time) and each progress (seq, when it
    happened, status, due time, event_id) are kept apart, and the state at a moment is the
    progress with the highest seq among those that happened before it: the unit's own
    order (seq), judged on event time, so a backlog gives the same pictures as a live
    stream.

    A progress repeating a seq is ignored unless it is a correction (supersedes_event_id
    names the progress it replaces); a progress for a matter never reported is kept but
    lists nothing until the report comes (no matter without a title in a bulletin).
    A matter record of an earlier version (interval and last seq, then the MatterLine) is
    read as a report opened at its last progress, with the status it had.
*/
#include "circ_core.h"
#include "worker_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define S_MARK        0xD2u
#define S_HEAD        8  /* mark, type, spare(2), interval(4) */
#define S_ENTRY_FIXED 20 /* occurred_at(8) due_at(8) status(4) */

static void
s_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t
s_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* unit NUL matter_id, and with `seq`: unit NUL matter_id NUL seq(4). 0: too long. */
static size_t
s_key(uint8_t buf[CIRC_KEY_MAX], const char *unit, const char *matter_id, bool with_seq,
      uint32_t seq)
{
    size_t lu = strlen(unit), lm = strlen(matter_id);
    size_t len = lu + 1 + lm + (with_seq ? 5 : 0);
    if (len > CIRC_KEY_MAX || lu == 0 || lm == 0)
        return 0;
    memcpy(buf, unit, lu + 1);
    memcpy(buf + lu + 1, matter_id, lm);
    if (with_seq) {
        buf[lu + 1 + lm] = '\0';
        s_put_u32(buf + lu + 2 + lm, seq);
    }
    return len;
}

// ================================================================ the report

/* A matter's report as kept. `line` is owned (unpacked). */
typedef struct {
    Dajia__MatterType type;
    uint32_t interval_days;  /* the report's update_interval_days; 0: the settings' */
    Dajia__MatterLine *line; /* title, severity, status at report, opened (last_progress_at),
                                its own due time (next_update_due_at, 0: none) */
} s_report_t;

static int
s_report_decode(const void *val, size_t vlen, s_report_t *r)
{
    const uint8_t *v = val;
    if (vlen < S_HEAD)
        return -EINVAL;
    memset(r, 0, sizeof *r);
    if (v[0] == S_MARK) {
        r->type = (Dajia__MatterType)v[1];
        r->interval_days = s_get_u32(v + 4);
    } else {
        /* earlier layout: interval(4) last_seq(4), the interval already resolved */
        r->interval_days = s_get_u32(v);
    }
    r->line = dajia__matter_line__unpack(NULL, vlen - S_HEAD, v + S_HEAD);
    return r->line ? 0 : -EINVAL;
}

static int
s_report_put(store_txn_t *txn, const uint8_t *key, size_t klen, const s_report_t *r)
{
    size_t len = dajia__matter_line__get_packed_size(r->line);
    uint8_t *buf = malloc(S_HEAD + len);
    if (!buf)
        return -ENOMEM;
    buf[0] = S_MARK;
    buf[1] = (uint8_t)r->type;
    buf[2] = buf[3] = 0;
    s_put_u32(buf + 4, r->interval_days);
    dajia__matter_line__pack(r->line, buf + S_HEAD);
    int rc = store_put(txn, CIRC_TABLE_MATTERS, key, klen, buf, S_HEAD + len, 0);
    free(buf);
    return rc;
}

static int
s_apply_report(store_txn_t *txn, const Dajia__Envelope *env, const Dajia__MajorMatterReport *m,
               int64_t *since)
{
    uint8_t key[CIRC_KEY_MAX];
    size_t klen = s_key(key, env->unit, m->matter_id, false, 0);
    if (klen == 0)
        return 0;
    const void *val;
    size_t vlen;
    s_report_t old = {0};
    int rc = store_get(txn, CIRC_TABLE_MATTERS, key, klen, &val, &vlen);
    if (rc == 0)
        rc = s_report_decode(val, vlen, &old);
    else if (rc == STORE_NOTFOUND)
        rc = 0;
    if (rc)
        return rc;
    /* A repeated report (or its correction) updates the matter; it opened at the first. */
    int64_t opened = old.line && old.line->last_progress_at < env->occurred_at
                         ? old.line->last_progress_at
                         : env->occurred_at;
    Dajia__MatterLine line = DAJIA__MATTER_LINE__INIT;
    line.unit = env->unit;
    line.matter_id = m->matter_id;
    line.title = m->title ? m->title : "";
    line.severity = m->severity;
    line.status = DAJIA__MATTER_STATUS__MATTER_STATUS_OPEN;
    line.last_progress_at = opened;
    line.next_update_due_at = m->next_update_due_at;
    s_report_t r = {.type = m->type,
                    .interval_days =
                        m->update_interval_days > 0 ? (uint32_t)m->update_interval_days : 0,
                    .line = &line};
    rc = s_report_put(txn, key, klen, &r);
    *since = old.line && old.line->last_progress_at < env->occurred_at ? old.line->last_progress_at
                                                                       : env->occurred_at;
    if (old.line)
        dajia__matter_line__free_unpacked(old.line, NULL);
    return rc;
}

// ================================================================ progress

typedef struct {
    uint32_t seq;
    int64_t occurred_at;
    int64_t due_at;
    Dajia__MatterStatus status;
    char event_id[AGG_UNIT_MAX];
} s_entry_t;

static int
s_entry_decode(const void *k, size_t kl, const void *v, size_t vl, s_entry_t *e)
{
    const uint8_t *val = v;
    if (kl < 4 || vl < S_ENTRY_FIXED || vl - S_ENTRY_FIXED >= sizeof e->event_id)
        return -EINVAL;
    e->seq = s_get_u32((const uint8_t *)k + kl - 4);
    e->occurred_at = (int64_t)store_key_to_u64(val);
    e->due_at = (int64_t)store_key_to_u64(val + 8);
    e->status = (Dajia__MatterStatus)s_get_u32(val + 16);
    memcpy(e->event_id, val + S_ENTRY_FIXED, vl - S_ENTRY_FIXED);
    e->event_id[vl - S_ENTRY_FIXED] = '\0';
    return 0;
}

/* Calls fn for every progress of the matter whose key prefix (unit NUL matter_id NUL) is
   `prefix`; fn returning non-zero stops the walk with that value. */
typedef int(s_entry_fn)(const s_entry_t *e, void *arg);

static int
s_entries_walk(store_txn_t *txn, const uint8_t *prefix, size_t plen, s_entry_fn *fn, void *arg)
{
    store_cursor_t *cursor = NULL;
    const void *k, *v;
    size_t kl, vl;
    int rc = worker_store_seek(txn, CIRC_TABLE_PROGRESS, prefix, plen, &cursor, &k, &kl, &v, &vl);
    while (rc == 0 && kl == plen + 4 && memcmp(k, prefix, plen) == 0) {
        s_entry_t e;
        rc = s_entry_decode(k, kl, v, vl, &e);
        if (rc == 0)
            rc = fn(&e, arg);
        if (rc == 0)
            rc = store_cursor_next(cursor, &k, &kl, &v, &vl);
    }
    store_cursor_close(&cursor);
    return rc == STORE_NOTFOUND ? 0 : rc;
}

typedef struct {
    const char *event_id;
    s_entry_t found;
} s_find_t;

static int
s_find_event(const s_entry_t *e, void *arg)
{
    s_find_t *f = arg;
    if (strcmp(e->event_id, f->event_id) != 0)
        return 0;
    f->found = *e;
    return 1;
}

static int
s_apply_progress(store_txn_t *txn, const Dajia__Envelope *env, const Dajia__MajorMatterProgress *p,
                 int64_t *since)
{
    uint8_t key[CIRC_KEY_MAX];
    size_t klen = s_key(key, env->unit, p->matter_id, true, p->seq);
    const char *id = env->event_id ? env->event_id : "";
    if (klen == 0 || strlen(id) >= AGG_UNIT_MAX)
        return 0;
    size_t plen = klen - 4;
    int64_t earliest = env->occurred_at;
    const void *val;
    size_t vlen;
    int rc;
    if (env->supersedes_event_id && *env->supersedes_event_id) {
        /* a correction takes the place of the progress it names, whatever its seq */
        s_find_t f = {.event_id = env->supersedes_event_id};
        rc = s_entries_walk(txn, key, plen, s_find_event, &f);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            uint8_t old[CIRC_KEY_MAX];
            memcpy(old, key, plen);
            s_put_u32(old + plen, f.found.seq);
            if ((rc = store_del(txn, CIRC_TABLE_PROGRESS, old, klen)) != 0)
                return rc;
            earliest = f.found.occurred_at < earliest ? f.found.occurred_at : earliest;
        }
    } else {
        rc = store_get(txn, CIRC_TABLE_PROGRESS, key, klen, &val, &vlen);
        if (rc == 0)
            return 0; /* a repeat of that seq: ignored (docs/domain.md §6.3) */
        if (rc != STORE_NOTFOUND)
            return rc;
    }
    size_t idlen = strlen(id);
    uint8_t rec[S_ENTRY_FIXED + AGG_UNIT_MAX];
    store_u64_to_key((uint64_t)env->occurred_at, rec);
    store_u64_to_key((uint64_t)p->next_update_due_at, rec + 8);
    s_put_u32(rec + 16, (uint32_t)p->status);
    memcpy(rec + S_ENTRY_FIXED, id, idlen);
    *since = earliest;
    return store_put(txn, CIRC_TABLE_PROGRESS, key, klen, rec, S_ENTRY_FIXED + idlen, 0);
}

int
circ_matters_apply(store_txn_t *txn, const Dajia__Envelope *env, int64_t *since)
{
    *since = 0;
    if (env->body_case == DAJIA__ENVELOPE__BODY_MAJOR_MATTER && env->major_matter &&
        env->major_matter->matter_id)
        return s_apply_report(txn, env, env->major_matter, since);
    if (env->body_case == DAJIA__ENVELOPE__BODY_MATTER_PROGRESS && env->matter_progress &&
        env->matter_progress->matter_id)
        return s_apply_progress(txn, env, env->matter_progress, since);
    return 0;
}

// ================================================================ a month's picture

static bool
s_closed(Dajia__MatterStatus status)
{
    return status == DAJIA__MATTER_STATUS__MATTER_STATUS_RESOLVED ||
           status == DAJIA__MATTER_STATUS__MATTER_STATUS_CLOSED;
}

/* Progress interval in ms (docs/domain.md §5.8): the report's own, else the escalate
   worker's settings, the urgent one for especially major or health and safety matters;
   the escalate worker's own rule (esc_intervals_of), so both count alike. */
static int64_t
s_interval_ms(const circ_config_t *cfg, const s_report_t *r)
{
    int32_t own = r->interval_days <= INT32_MAX ? (int32_t)r->interval_days : INT32_MAX;
    return esc_intervals_of(&cfg->intervals, r->type, r->line->severity, own);
}

typedef struct {
    int64_t end;
    bool any;
    s_entry_t latest;
} s_latest_t;

static int
s_take_latest(const s_entry_t *e, void *arg)
{
    s_latest_t *l = arg;
    if (e->occurred_at < l->end && (!l->any || e->seq >= l->latest.seq)) {
        l->latest = *e;
        l->any = true;
    }
    return 0;
}

static int
s_cmp_matter(const void *a, const void *b)
{
    const Dajia__MatterLine *x = *(Dajia__MatterLine *const *)a;
    const Dajia__MatterLine *y = *(Dajia__MatterLine *const *)b;
    if (x->days_overdue != y->days_overdue)
        return x->days_overdue > y->days_overdue ? -1 : 1;
    if (x->status != y->status)
        return x->status < y->status ? -1 : 1;
    int c = strcmp(x->unit, y->unit);
    return c ? c : strcmp(x->matter_id, y->matter_id);
}

/* The matter of report `r` as it stood at `end`, in r->line. Returns whether it is
   listed in the bulletin of [start, end). */
static int
s_as_of(store_txn_t *txn, const circ_config_t *cfg, const void *key, size_t klen, s_report_t *r,
        int64_t start, int64_t end, bool *listed)
{
    Dajia__MatterLine *m = r->line;
    *listed = false;
    if (m->last_progress_at >= end)
        return 0; /* opened after the month */
    uint8_t prefix[CIRC_KEY_MAX + 1];
    memcpy(prefix, key, klen);
    prefix[klen] = '\0';
    s_latest_t l = {.end = end};
    int rc = s_entries_walk(txn, prefix, klen + 1, s_take_latest, &l);
    if (rc)
        return rc;
    int64_t interval = s_interval_ms(cfg, r);
    if (l.any) {
        m->status = l.latest.status;
        m->last_progress_at = l.latest.occurred_at;
        m->next_update_due_at = l.latest.due_at ? l.latest.due_at : l.latest.occurred_at + interval;
    } else if (!m->next_update_due_at) {
        m->next_update_due_at = m->last_progress_at + interval;
    }
    bool closed = s_closed(m->status);
    if (closed)
        m->next_update_due_at = 0;
    *listed = !closed || m->last_progress_at >= start;
    m->days_overdue = 0;
    if (!closed && end > m->next_update_due_at)
        m->days_overdue = (end - m->next_update_due_at) / DAJIA_TIME_MS_PER_DAY;
    /* OVERDUE-15D fires once the due time is leader_days behind the clock */
    m->leader_step_passed =
        !closed && end - m->next_update_due_at >= cfg->leader_days * DAJIA_TIME_MS_PER_DAY;
    return 0;
}

int
circ_matters_read(store_txn_t *txn, const circ_config_t *cfg, int64_t start_ms, int64_t end_ms,
                  Dajia__MatterLine ***items, size_t *count)
{
    *items = NULL;
    *count = 0;
    size_t cap = 0;
    store_cursor_t *cursor = NULL;
    const void *k, *v;
    size_t kl, vl;
    int rc = worker_store_seek(txn, CIRC_TABLE_MATTERS, NULL, 0, &cursor, &k, &kl, &v, &vl);
    while (rc == 0) {
        s_report_t r;
        bool listed = false;
        rc = kl <= CIRC_KEY_MAX ? s_report_decode(v, vl, &r) : -EINVAL;
        if (rc)
            break;
        rc = s_as_of(txn, cfg, k, kl, &r, start_ms, end_ms, &listed);
        if (rc == 0 && listed && *count == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            Dajia__MatterLine **grown = realloc(*items, ncap * sizeof *grown);
            if (grown) {
                *items = grown;
                cap = ncap;
            } else {
                rc = -ENOMEM;
            }
        }
        if (rc == 0 && listed)
            (*items)[(*count)++] = r.line;
        else
            dajia__matter_line__free_unpacked(r.line, NULL);
        if (rc == 0)
            rc = store_cursor_next(cursor, &k, &kl, &v, &vl);
    }
    store_cursor_close(&cursor);
    if (rc == STORE_NOTFOUND)
        rc = 0;
    if (rc) {
        for (size_t i = 0; i < *count; i++)
            dajia__matter_line__free_unpacked((*items)[i], NULL);
        free(*items);
        *items = NULL;
        *count = 0;
        return rc;
    }
    if (*count > 1)
        qsort(*items, *count, sizeof **items, s_cmp_matter);
    return 0;
}
