/*  circ_core: the circulate worker's pure core (issue 3, part 5).

    It keeps what a bulletin needs (its own copy of the figures, per-unit reporting
    records, major matters, dynamic information) and produces one Bulletin per period.

    PERIODS: calendar months in Beijing time (circulate/tz_offset_min, default 480); with
    circulate/period_seconds > 0, fixed periods of that length for a demonstration, named
    by their start in RFC 3339 (UTC).

    BOUNDARY: the bulletin of a period is produced when the clock passes its end plus
    circulate/grace_seconds (default 0): either on tick(now_ms), or when an event arrives
    whose time is past it. An event's time is min(occurred_at, received_at): the broker's
    clock (received_at) keeps a unit with a fast clock from closing the period early, and
    occurred_at keeps a replay of old events from closing periods by today's clock. The
    boundary is checked BEFORE the event is applied: the event happened after the period
    ended. Each period's bulletin is produced exactly once (circ.meta "open" moves past
    it and circ.done records it, in the same transaction). The first event or tick opens
    the period it falls in; a core that was down catches up, at most CIRC_MAX_PER_CALL
    bulletins per call (the rest on the next ticks).

    COMPLIANCE (item 6): an event "reports for" the period of its subject: a DynamicInfo's
    own "YYYY-MM" period (months), otherwise the period of its occurred_at. It is on time
    if received (received_at; reported_at when that is unset) by the deadline: day
    circulate/deadline_day (default 10) of the following month at 24:00 local time, or for
    fixed periods the end plus circulate/deadline_seconds (default 0). A unit is "on_time"
    if it has an on-time report for the period, else "late" if it has a late one, else
    "zero_report" if all it sent was DynamicInfo with zero_report set, else "missing".
    A bulletin can only judge a period whose deadline has passed, so the compliance list
    of the bulletin for P is for the latest period (P or earlier) whose deadline is before
    the bulletin's production time; with the defaults that is the month before P
    (Bulletin.compliance_period names it). silent_units are the members (circulate/members,
    default the 23 units of docs/domain.md §2) with no report at all for P itself.

    MATTERS (item 4): a MajorMatterReport opens a matter (status open); MajorMatterProgress
    sets its status and last progress. The next update is due at next_update_due_at, or
    the event time plus the interval (update_interval_days; default 15 days, 7 for
    especially major or health and safety matters, docs/domain.md §5.8). A progress whose
    seq is not above the last one seen is ignored unless it is a correction.
*/
#include "circ_core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CIRC_MAX_PER_CALL         16
#define CIRC_DEFAULT_DEADLINE_DAY 10
#define CIRC_INTERVAL_DAYS        15
#define CIRC_INTERVAL_URGENT_DAYS 7
#define CIRC_KEY_MAX              (AGG_PERIOD_MAX + 2 * AGG_UNIT_MAX + 2)
#define CIRC_DEFAULT_MEMBERS                                                                       \
    "publicity,polilegal,govoffice,drc,iit,psb,justice,finance,eco,agri,commerce,culture,"         \
    "health,pboc,customs,tax,msa,cac,forestea,post,tobacco,court,procuratorate"

static const char *const s_key_open = "open";

const agg_tables_t circ_tables = {
    .cells = "circ.cells", .cases = "circ.cases", .events = "circ.events", .channels = true};

/* ================================================================ helpers */

static void
s_put_u64(uint8_t *p, uint64_t v)
{
    store_u64_to_key(v, p);
}

static uint64_t
s_get_u64(const void *p)
{
    return store_key_to_u64(p);
}

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

/* "a NUL b" (b may be NULL: "a NUL"); returns the length or 0 when too long. */
static size_t
s_pair_key(uint8_t *buf, size_t size, const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = b ? strlen(b) : 0, lc = c ? strlen(c) : 0;
    size_t len = la + 1 + lb + (c ? 1 + lc : 0);
    if (len > size)
        return 0;
    memcpy(buf, a, la + 1);
    memcpy(buf + la + 1, b ? b : "", lb);
    if (c) {
        buf[la + 1 + lb] = '\0';
        memcpy(buf + la + 2 + lb, c, lc);
    }
    return len;
}

int64_t
circ_deadline(const circ_config_t *cfg, int64_t start_ms)
{
    int64_t end = agg_period_next(&cfg->spec, start_ms);
    if (cfg->spec.length_ms > 0)
        return end + cfg->deadline_ms;
    /* day N at 24:00 is the start of the month plus N days */
    return end + cfg->deadline_day * DAJIA_TIME_MS_PER_DAY;
}

/* ================================================================ lifecycle */

typedef struct {
    circ_config_t cfg;
    char *members_buf;
} s_core_t;

static void
s_destroy(void **core)
{
    if (!core || !*core)
        return;
    s_core_t *self = *core;
    free(self->cfg.members);
    free(self->members_buf);
    free(self);
    *core = NULL;
}

static int
s_create(const worker_settings_t *settings, void **core)
{
    s_core_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    circ_config_t *cfg = &self->cfg;
    int64_t seconds = worker_settings_int(settings, "circulate/period_seconds", 0);
    cfg->spec.length_ms = seconds > 0 ? seconds * 1000 : 0;
    cfg->spec.tz_offset_min =
        (int32_t)worker_settings_int(settings, "circulate/tz_offset_min", DAJIA_TIME_BEIJING_MIN);
    int64_t grace = worker_settings_int(settings, "circulate/grace_seconds", 0);
    cfg->grace_ms = grace > 0 ? grace * 1000 : 0;
    int64_t day =
        worker_settings_int(settings, "circulate/deadline_day", CIRC_DEFAULT_DEADLINE_DAY);
    cfg->deadline_day = day >= 0 && day <= 31 ? day : CIRC_DEFAULT_DEADLINE_DAY;
    int64_t dsec = worker_settings_int(settings, "circulate/deadline_seconds", 0);
    cfg->deadline_ms = dsec > 0 ? dsec * 1000 : 0;

    self->members_buf =
        strdup(worker_settings_str(settings, "circulate/members", CIRC_DEFAULT_MEMBERS));
    size_t max = 1;
    for (const char *p = self->members_buf; p && *p; p++)
        max += *p == ',';
    cfg->members = calloc(max, sizeof *cfg->members);
    if (!self->members_buf || !cfg->members) {
        void *handle = self;
        s_destroy(&handle);
        return -ENOMEM;
    }
    char *save = NULL;
    for (char *tok = strtok_r(self->members_buf, ", ", &save); tok;
         tok = strtok_r(NULL, ", ", &save))
        if (strlen(tok) < AGG_UNIT_MAX)
            cfg->members[cfg->n_members++] = tok;
    *core = self;
    return 0;
}

/* ================================================================ boundary */

static int
s_open_get(store_txn_t *txn, int64_t *start, bool *found)
{
    const void *val;
    size_t vlen;
    int rc = store_get(txn, CIRC_TABLE_META, s_key_open, strlen(s_key_open), &val, &vlen);
    *found = rc == 0;
    if (rc == STORE_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (vlen != 8)
        return -EINVAL;
    *start = (int64_t)s_get_u64(val);
    return 0;
}

static int
s_open_put(store_txn_t *txn, int64_t start)
{
    uint8_t val[8];
    s_put_u64(val, (uint64_t)start);
    return store_put(txn, CIRC_TABLE_META, s_key_open, strlen(s_key_open), val, 8, 0);
}

/* Produces the bulletins of every open period that ended (plus grace) by `cut`. */
static int
s_boundary(s_core_t *self, store_txn_t *txn, int64_t cut, uint64_t source_log_seq,
           worker_outputs_t *out)
{
    const circ_config_t *cfg = &self->cfg;
    int64_t open = 0;
    bool found = false;
    int rc = s_open_get(txn, &open, &found);
    if (rc)
        return rc;
    if (!found)
        return s_open_put(txn, agg_period_start(&cfg->spec, cut));
    int64_t start = open;
    for (int n = 0; n < CIRC_MAX_PER_CALL; n++) {
        int64_t end = agg_period_next(&cfg->spec, start);
        if (cut < end + cfg->grace_ms)
            break;
        char name[AGG_PERIOD_MAX];
        agg_period_name(&cfg->spec, start, name);
        const void *val;
        size_t vlen;
        rc = store_get(txn, CIRC_TABLE_DONE, name, strlen(name), &val, &vlen);
        if (rc == STORE_NOTFOUND) {
            rc = circ_bulletin_build(txn, cfg, start, cut, source_log_seq, out);
            uint8_t at[8];
            s_put_u64(at, (uint64_t)cut);
            if (rc == 0)
                rc = store_put(txn, CIRC_TABLE_DONE, name, strlen(name), at, 8, 0);
        }
        if (rc)
            return rc;
        start = end;
    }
    return start == open ? 0 : s_open_put(txn, start);
}

/* ================================================================ records */

static int
s_record_report(s_core_t *self, store_txn_t *txn, const worker_event_t *event)
{
    const circ_config_t *cfg = &self->cfg;
    const Dajia__Envelope *env = event->env;
    const Dajia__DynamicInfo *info =
        env->body_case == DAJIA__ENVELOPE__BODY_DYNAMIC_INFO ? env->dynamic_info : NULL;
    int64_t start = 0;
    if (!info || !info->period || !agg_period_parse_month(&cfg->spec, info->period, &start))
        start = agg_period_start(&cfg->spec, env->occurred_at);
    char period[AGG_PERIOD_MAX];
    agg_period_name(&cfg->spec, start, period);
    uint8_t key[CIRC_KEY_MAX];
    size_t klen = s_pair_key(key, sizeof key, period, env->unit, NULL);
    if (klen == 0)
        return 0;
    int64_t at = event->received_at ? event->received_at
                 : env->reported_at ? env->reported_at
                                    : env->occurred_at;
    uint64_t on_time = 0, late = 0, zero = 0;
    int64_t last = at;
    const void *val;
    size_t vlen;
    int rc = store_get(txn, CIRC_TABLE_REPORTS, key, klen, &val, &vlen);
    if (rc == 0) {
        if (vlen != CIRC_REPORT_BYTES)
            return -EINVAL;
        on_time = s_get_u64(val);
        late = s_get_u64((const uint8_t *)val + 8);
        zero = s_get_u64((const uint8_t *)val + 16);
        int64_t prev = (int64_t)s_get_u64((const uint8_t *)val + 24);
        last = prev > last ? prev : last;
    } else if (rc != STORE_NOTFOUND) {
        return rc;
    }
    if (info && info->zero_report)
        zero++;
    else if (at <= circ_deadline(cfg, start))
        on_time++;
    else
        late++;
    uint8_t rec[CIRC_REPORT_BYTES];
    s_put_u64(rec, on_time);
    s_put_u64(rec + 8, late);
    s_put_u64(rec + 16, zero);
    s_put_u64(rec + 24, (uint64_t)last);
    return store_put(txn, CIRC_TABLE_REPORTS, key, klen, rec, sizeof rec, 0);
}

static int
s_record_info(s_core_t *self, store_txn_t *txn, const Dajia__Envelope *env)
{
    const Dajia__DynamicInfo *info = env->dynamic_info;
    if (env->body_case != DAJIA__ENVELOPE__BODY_DYNAMIC_INFO || !info || info->zero_report ||
        !info->info_id)
        return 0;
    if (info->kind != DAJIA__INFO_KIND__INFO_KIND_TYPICAL_CASE &&
        info->kind != DAJIA__INFO_KIND__INFO_KIND_CAMPAIGN_PROGRESS &&
        info->kind != DAJIA__INFO_KIND__INFO_KIND_WORK_DYNAMIC)
        return 0;
    int64_t start = 0;
    if (!info->period || !agg_period_parse_month(&self->cfg.spec, info->period, &start))
        start = agg_period_start(&self->cfg.spec, env->occurred_at);
    char period[AGG_PERIOD_MAX];
    agg_period_name(&self->cfg.spec, start, period);
    uint8_t key[CIRC_KEY_MAX];
    size_t klen = s_pair_key(key, sizeof key, period, env->unit, info->info_id);
    if (klen == 0)
        return 0;
    Dajia__InfoLine line = DAJIA__INFO_LINE__INIT;
    line.unit = env->unit;
    line.kind = info->kind;
    line.title = info->title;
    line.campaign_tag = info->campaign_tag;
    size_t len = dajia__info_line__get_packed_size(&line);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -ENOMEM;
    dajia__info_line__pack(&line, buf);
    int rc = store_put(txn, CIRC_TABLE_INFO, key, klen, buf, len, 0);
    free(buf);
    return rc;
}

static int64_t
s_interval_days(int32_t configured, Dajia__Severity severity, Dajia__MatterType type)
{
    if (configured > 0)
        return configured;
    if (severity == DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR ||
        type == DAJIA__MATTER_TYPE__MATTER_TYPE_HEALTH_SAFETY_INCIDENT)
        return CIRC_INTERVAL_URGENT_DAYS;
    return CIRC_INTERVAL_DAYS;
}

static int
s_record_matter(store_txn_t *txn, const Dajia__Envelope *env)
{
    const Dajia__MajorMatterReport *report =
        env->body_case == DAJIA__ENVELOPE__BODY_MAJOR_MATTER ? env->major_matter : NULL;
    const Dajia__MajorMatterProgress *progress =
        env->body_case == DAJIA__ENVELOPE__BODY_MATTER_PROGRESS ? env->matter_progress : NULL;
    const char *matter_id = report ? report->matter_id : progress ? progress->matter_id : NULL;
    if (!matter_id || !*matter_id)
        return 0;
    uint8_t key[CIRC_KEY_MAX];
    size_t klen = s_pair_key(key, sizeof key, env->unit, matter_id, NULL);
    if (klen == 0)
        return 0;

    const void *val;
    size_t vlen;
    uint32_t interval = CIRC_INTERVAL_DAYS, last_seq = 0;
    Dajia__MatterLine *old = NULL;
    int rc = store_get(txn, CIRC_TABLE_MATTERS, key, klen, &val, &vlen);
    if (rc == 0) {
        if (vlen < CIRC_MATTER_HEAD)
            return -EINVAL;
        interval = s_get_u32(val);
        last_seq = s_get_u32((const uint8_t *)val + 4);
        old = dajia__matter_line__unpack(NULL, vlen - CIRC_MATTER_HEAD,
                                         (const uint8_t *)val + CIRC_MATTER_HEAD);
        if (!old)
            return -EINVAL;
    } else if (rc != STORE_NOTFOUND) {
        return rc;
    }
    Dajia__MatterLine line = DAJIA__MATTER_LINE__INIT;
    if (old)
        line = *old;
    line.unit = env->unit;
    line.matter_id = (char *)matter_id;
    rc = 0;
    if (report) {
        line.title = report->title;
        line.severity = report->severity;
        if (line.status == DAJIA__MATTER_STATUS__MATTER_STATUS_UNSPECIFIED)
            line.status = DAJIA__MATTER_STATUS__MATTER_STATUS_OPEN;
        interval =
            (uint32_t)s_interval_days(report->update_interval_days, report->severity, report->type);
        if (!old || !line.last_progress_at) {
            line.last_progress_at = env->occurred_at;
            line.next_update_due_at = report->next_update_due_at
                                          ? report->next_update_due_at
                                          : env->occurred_at + interval * DAJIA_TIME_MS_PER_DAY;
        }
    } else {
        bool correction = env->supersedes_event_id && *env->supersedes_event_id;
        if (progress->seq <= last_seq && !correction)
            goto out; /* a repeat or an older progress */
        last_seq = progress->seq > last_seq ? progress->seq : last_seq;
        line.status = progress->status;
        line.last_progress_at = env->occurred_at;
        line.next_update_due_at =
            progress->next_update_due_at
                ? progress->next_update_due_at
                : env->occurred_at + (int64_t)interval * DAJIA_TIME_MS_PER_DAY;
    }
    line.days_overdue = 0;
    size_t len = dajia__matter_line__get_packed_size(&line);
    uint8_t *buf = malloc(CIRC_MATTER_HEAD + len);
    if (!buf) {
        rc = -ENOMEM;
        goto out;
    }
    s_put_u32(buf, interval);
    s_put_u32(buf + 4, last_seq);
    dajia__matter_line__pack(&line, buf + CIRC_MATTER_HEAD);
    rc = store_put(txn, CIRC_TABLE_MATTERS, key, klen, buf, CIRC_MATTER_HEAD + len, 0);
    free(buf);
out:
    if (old)
        dajia__matter_line__free_unpacked(old, NULL);
    return rc;
}

/* ================================================================ service */

static int
s_apply(void *core, store_txn_t *txn, const worker_event_t *event, worker_outputs_t *out)
{
    s_core_t *self = core;
    const Dajia__Envelope *env = event->env;
    if (!env || !env->unit || !*env->unit)
        return 0;
    int64_t at = env->occurred_at;
    if (event->received_at && event->received_at < at)
        at = event->received_at;
    int rc = s_boundary(self, txn, at, event->log_seq, out);
    if (rc == 0)
        rc = agg_figures_apply_event(txn, &circ_tables, &self->cfg.spec, event->log_seq, env, NULL,
                                     NULL);
    if (rc == 0)
        rc = s_record_report(self, txn, event);
    if (rc == 0)
        rc = s_record_info(self, txn, env);
    if (rc == 0)
        rc = s_record_matter(txn, env);
    return rc;
}

static int
s_tick(void *core, store_txn_t *txn, int64_t now_ms, worker_outputs_t *out)
{
    return s_boundary(core, txn, now_ms, 0, out);
}

const worker_service_t worker_circulate = {
    .name = "circulate",
    .create = s_create,
    .apply = s_apply,
    .tick = s_tick,
    .destroy = s_destroy,
};
