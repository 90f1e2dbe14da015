/*  circ_records: what each unit reported for each month, and when; the month's dynamic
    information.

    Compliance (docs/domain.md §7) needs, per unit and month, only four numbers: how many
    reports, how many zero reports, when the unit first submitted for the month and when
    last. The first submission is what is judged: a unit that reported on time and then
    sent more after the deadline has reported on time. A record of the earlier layout (32
    bytes: reports on time, late, zero reports, last report) is read as what it says:
    first submission at the deadline when one came on time, else at the last report.

    Item 5 of the bulletin keeps campaign progress, work dynamics and typical cases per
    month, unit and info_id (a correction with the same info_id replaces the item).
*/
#include "circ_core.h"
#include "worker_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define S_RECORD_BYTES     40
#define S_OLD_RECORD_BYTES 32

/* "a NUL b" or "a NUL b NUL c"; returns the length, 0 when it does not fit. */
static size_t
s_key(uint8_t buf[CIRC_KEY_MAX], const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = c ? strlen(c) : 0;
    size_t len = la + 1 + lb + (c ? 1 + lc : 0);
    if (len > CIRC_KEY_MAX)
        return 0;
    memcpy(buf, a, la + 1);
    memcpy(buf + la + 1, b, lb);
    if (c) {
        buf[la + 1 + lb] = '\0';
        memcpy(buf + la + 2 + lb, c, lc);
    }
    return len;
}

int64_t
circ_subject_start(const circ_config_t *cfg, const Dajia__Envelope *env)
{
    const Dajia__DynamicInfo *info =
        env->body_case == DAJIA__ENVELOPE__BODY_DYNAMIC_INFO ? env->dynamic_info : NULL;
    int64_t start = 0;
    if (info && info->period && agg_period_parse_month(&cfg->spec, info->period, &start))
        return start;
    return agg_period_start(&cfg->spec, env->occurred_at);
}

// ================================================================ reports

int
circ_reports_get(store_txn_t *txn, const circ_config_t *cfg, int64_t start_ms, const char *unit,
                 circ_reports_t *r)
{
    memset(r, 0, sizeof *r);
    char period[AGG_PERIOD_MAX];
    circ_period_name(cfg, start_ms, period);
    uint8_t key[CIRC_KEY_MAX];
    size_t klen = s_key(key, period, unit, NULL);
    if (klen == 0)
        return 0;
    const void *val;
    size_t vlen;
    int rc = store_get(txn, CIRC_TABLE_REPORTS, key, klen, &val, &vlen);
    if (rc == STORE_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    const uint8_t *v = val;
    if (vlen == S_RECORD_BYTES) {
        r->reports = store_key_to_u64(v);
        r->zero = store_key_to_u64(v + 8);
        r->first_at = (int64_t)store_key_to_u64(v + 16);
        r->last_at = (int64_t)store_key_to_u64(v + 24);
        return 0;
    }
    if (vlen != S_OLD_RECORD_BYTES)
        return -EINVAL;
    uint64_t on_time = store_key_to_u64(v), late = store_key_to_u64(v + 8);
    r->reports = on_time + late;
    r->zero = store_key_to_u64(v + 16);
    r->last_at = (int64_t)store_key_to_u64(v + 24);
    r->first_at = on_time ? circ_deadline(cfg, start_ms) : r->last_at;
    if (r->first_at > r->last_at)
        r->first_at = r->last_at;
    return 0;
}

int
circ_reports_add(store_txn_t *txn, const circ_config_t *cfg, int64_t start_ms, const char *unit,
                 bool zero, int64_t at)
{
    circ_reports_t r;
    int rc = circ_reports_get(txn, cfg, start_ms, unit, &r);
    if (rc)
        return rc;
    char period[AGG_PERIOD_MAX];
    circ_period_name(cfg, start_ms, period);
    uint8_t key[CIRC_KEY_MAX];
    size_t klen = s_key(key, period, unit, NULL);
    if (klen == 0)
        return 0;
    if (zero)
        r.zero++;
    else
        r.reports++;
    if (r.first_at == 0 || at < r.first_at)
        r.first_at = at;
    if (at > r.last_at)
        r.last_at = at;
    uint8_t rec[S_RECORD_BYTES] = {0};
    store_u64_to_key(r.reports, rec);
    store_u64_to_key(r.zero, rec + 8);
    store_u64_to_key((uint64_t)r.first_at, rec + 16);
    store_u64_to_key((uint64_t)r.last_at, rec + 24);
    return store_put(txn, CIRC_TABLE_REPORTS, key, klen, rec, sizeof rec, 0);
}

void
circ_compliance_judge(const circ_config_t *cfg, int64_t start_ms, int64_t now,
                      const circ_reports_t *r, Dajia__UnitCompliance *u)
{
    int64_t deadline = circ_deadline(cfg, start_ms);
    u->deadline_at = deadline;
    u->first_report_at = r->first_at;
    u->last_report_at = r->last_at;
    u->events = (int64_t)(r->reports + r->zero);
    if (r->reports || r->zero) {
        u->late = r->first_at > deadline;
        u->status = r->reports ? (u->late ? "late" : "on_time") : "zero_report";
    } else {
        u->late = false;
        u->status = now > deadline ? "missing" : "pending";
    }
}

// ================================================================ dynamic information

int
circ_info_record(store_txn_t *txn, const circ_config_t *cfg, const Dajia__Envelope *env)
{
    const Dajia__DynamicInfo *info = env->dynamic_info;
    if (env->body_case != DAJIA__ENVELOPE__BODY_DYNAMIC_INFO || !info || info->zero_report ||
        !info->info_id || !*info->info_id)
        return 0;
    if (info->kind != DAJIA__INFO_KIND__INFO_KIND_TYPICAL_CASE &&
        info->kind != DAJIA__INFO_KIND__INFO_KIND_CAMPAIGN_PROGRESS &&
        info->kind != DAJIA__INFO_KIND__INFO_KIND_WORK_DYNAMIC)
        return 0;
    char period[AGG_PERIOD_MAX];
    circ_period_name(cfg, circ_subject_start(cfg, env), period);
    uint8_t key[CIRC_KEY_MAX];
    size_t klen = s_key(key, period, env->unit, info->info_id);
    if (klen == 0)
        return 0;
    Dajia__InfoLine line = DAJIA__INFO_LINE__INIT;
    line.unit = env->unit;
    line.kind = info->kind;
    line.title = info->title ? info->title : "";
    line.campaign_tag = info->campaign_tag ? info->campaign_tag : "";
    size_t len = dajia__info_line__get_packed_size(&line);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -ENOMEM;
    dajia__info_line__pack(&line, buf);
    int rc = store_put(txn, CIRC_TABLE_INFO, key, klen, buf, len, 0);
    free(buf);
    return rc;
}

static int
s_kind_rank(Dajia__InfoKind kind)
{
    switch (kind) {
    case DAJIA__INFO_KIND__INFO_KIND_CAMPAIGN_PROGRESS:
        return 0;
    case DAJIA__INFO_KIND__INFO_KIND_WORK_DYNAMIC:
        return 1;
    default:
        return 2;
    }
}

int
circ_info_read(store_txn_t *txn, const char *name, Dajia__InfoLine ***items, size_t *count)
{
    *items = NULL;
    *count = 0;
    size_t plen = strlen(name), cap = 0;
    store_cursor_t *cursor = NULL;
    const void *k, *v;
    size_t kl, vl;
    int rc = worker_store_seek(txn, CIRC_TABLE_INFO, name, plen + 1, &cursor, &k, &kl, &v, &vl);
    while (rc == 0 && kl > plen && memcmp(k, name, plen + 1) == 0) {
        if (*count == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            Dajia__InfoLine **grown = realloc(*items, ncap * sizeof *grown);
            if (!grown) {
                rc = -ENOMEM;
                break;
            }
            *items = grown;
            cap = ncap;
        }
        Dajia__InfoLine *line = dajia__info_line__unpack(NULL, vl, v);
        if (!line) {
            rc = -EINVAL;
            break;
        }
        (*items)[(*count)++] = line;
        rc = store_cursor_next(cursor, &k, &kl, &v, &vl);
    }
    store_cursor_close(&cursor);
    if (rc == STORE_NOTFOUND)
        rc = 0;
    /* insertion sort by kind: stable, so units keep their key order within a kind */
    for (size_t i = 1; rc == 0 && i < *count; i++)
        for (size_t j = i;
             j > 0 && s_kind_rank((*items)[j - 1]->kind) > s_kind_rank((*items)[j]->kind); j--) {
            Dajia__InfoLine *tmp = (*items)[j];
            (*items)[j] = (*items)[j - 1];
            (*items)[j - 1] = tmp;
        }
    if (rc) {
        for (size_t i = 0; i < *count; i++)
            dajia__info_line__free_unpacked((*items)[i], NULL);
        free(*items);
        *items = NULL;
        *count = 0;
    }
    return rc;
}
