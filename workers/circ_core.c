/*  circ_core: the circulate worker's pure core: bulletins after the reporting deadline,
    revised when late data comes, and reporting compliance at any time (docs/domain.md
    §6, §7, §8).

    THE CLOCK. The core keeps no clock of its own: time comes as tick(now) and as the
    events' submission times. Three things happen when the clock passes a moment, in this
    order, each at most CIRC_MAX_PER_CALL times a call (a worker that was down catches up
    on the next calls):
      1. a revision is due (the end of the local day in which the first change to an
         issued month arrived): the month's bulletin is read again, compared with its
         last revision, and issued as revision n+1 when something changed;
      2. a month's reporting deadline (+ circulate/grace_seconds) has passed: its
         bulletin is issued, revision 1, and its compliance table (every member, the
         ones without a report now "missing") goes to the Office;
      3. a month has begun: its compliance table goes to the Office, every member
         "pending" unless it reported already.
    "Passes" is strictly later: a report received at the deadline itself is on time and
    is in revision 1. The clock moves to each event's submission time BEFORE the event is
    applied: the shell ticks the core at it (worker_circulate.event_time: submission
    time, not the event's occurred_at, so an event dated after a deadline but submitted
    before it does not pass the deadline), and apply() does so again for a core driven
    without a shell. An event submitted after a deadline came after the bulletin. With
    the shell ticking at the wall clock only once caught up, a stream gives the same
    bulletins live and as a backlog: what decides a bulletin's content is where in the
    log the clock passed the moment, and a wall-clock tick can only come where every
    earlier event was submitted before it.

    THE FIRST MONTH. No month before the system's first data is judged: the first month
    is circulate/go_live when set ("YYYY-MM"), else the earlier of the first event's
    subject month and the month it was submitted in. A go_live earlier than the first
    month moves it back (those months' bulletins come at once); events for months before
    it count in the figures but in no bulletin or compliance table.

    REVISIONS. An event applied after a month's bulletin that concerns the month (its
    subject month, a month whose figures it changed, or, for a major matter, every issued
    month ending after the event's time) is kept as a BulletinSource of that month. The
    revision, due at the end of that local day (fixed periods: the end of the period it
    came in), lists the changes (circ_bulletin_diff) and those sources; no change, no
    revision. An issued revision is never rewritten: the feed keeps each as its own item.

    COMPLIANCE. Judged on when the unit first submitted for the month (s_submitted_at:
    the submission time the broker kept from the Office's import of history, else its
    receipt time). Besides the two tables above, each event that changes a
    unit's state for its month sends that unit's row (ComplianceUpdate, audience office).
*/
#include "circ_core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dajia_log.h"
#include "worker_store.h"

#define CIRC_MAX_PER_CALL       16
#define S_DEFAULT_DEADLINE_DAY  10
#define S_DEFAULT_LEADER_DAYS   15 /* the escalate worker's defaults, docs/domain.md §5.8 */
#define S_DEFAULT_DIRECTOR_DAYS 7
#define S_DEFAULT_REMIND_DAYS   1
#define S_MAX_CONCERNED         64 /* months one event may revise */
#define S_META_FIRST            "first"
#define S_META_NEXT             "next"
#define S_META_OPENED           "opened"
#define S_META_OLD_OPEN         "open" /* an earlier version's "first month without bulletin" */

const agg_tables_t circ_tables = {
    .cells = "circ.cells", .cases = "circ.cases", .events = "circ.events", .channels = true};

// ================================================================ periods

int64_t
circ_deadline(const circ_config_t *cfg, int64_t start_ms)
{
    int64_t end = agg_period_next(&cfg->spec, start_ms);
    if (cfg->spec.length_ms > 0)
        return end + cfg->deadline_ms;
    /* day N at 24:00 is the start of the month plus N days */
    return end + cfg->deadline_day * DAJIA_TIME_MS_PER_DAY;
}

void
circ_period_name(const circ_config_t *cfg, int64_t start_ms, char buf[AGG_PERIOD_MAX])
{
    agg_period_name(&cfg->spec, start_ms, buf);
}

bool
circ_period_parse(const circ_config_t *cfg, const char *name, int64_t *start_ms)
{
    if (cfg->spec.length_ms == 0)
        return agg_period_parse_month(&cfg->spec, name, start_ms);
    return dajia_time_parse(name, start_ms) == 0;
}

/* When a revision of changes that came at `at` is due: the end of that local day
   (fixed periods: the end of the period `at` falls in). */
static int64_t
s_revision_due(const circ_config_t *cfg, int64_t at)
{
    if (cfg->spec.length_ms > 0)
        return agg_period_next(&cfg->spec, agg_period_start(&cfg->spec, at));
    int64_t shift = (int64_t)cfg->spec.tz_offset_min * DAJIA_TIME_MS_PER_MIN;
    int64_t local = at + shift;
    int64_t day = local / DAJIA_TIME_MS_PER_DAY - (local % DAJIA_TIME_MS_PER_DAY < 0);
    return (day + 1) * DAJIA_TIME_MS_PER_DAY - shift;
}

/* When the unit submitted `event` (docs/domain.md §3, §7.3): what compliance is judged
   on and what moves the clock, here and in the shell (worker_service_t.event_time). The
   time the broker kept from the Office's import of history, else its receipt time
   (worker_event_submitted_at); an event without either (a core driven by hand) falls
   back to its reported_at, then occurred_at. */
static int64_t
s_submitted_at(const worker_event_t *event)
{
    const Dajia__Envelope *env = event->env;
    int64_t at = worker_event_submitted_at(event);
    if (at || !env)
        return at;
    return env->reported_at ? env->reported_at : env->occurred_at;
}

// ================================================================ lifecycle

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
    for (size_t i = 0; i < self->cfg.n_names; i++) {
        free((char *)self->cfg.names[i].code);
        free((char *)self->cfg.names[i].name);
    }
    free(self->cfg.names);
    free(self->cfg.members);
    free(self->members_buf);
    free(self);
    *core = NULL;
}

/* The escalate worker's matter settings, read as it reads them (docs/domain.md §5.8): the
   intervals by its own esc_intervals_load, so the bulletin's days overdue and the
   Office's escalations agree (K7). */
static void
s_matter_settings(const worker_settings_t *settings, circ_config_t *cfg)
{
    esc_intervals_load(&cfg->intervals, settings);
    static const struct {
        const char *key;
        int64_t fallback;
    } steps[] = {{"escalate/overdue_remind_days", S_DEFAULT_REMIND_DAYS},
                 {"escalate/overdue_director_days", S_DEFAULT_DIRECTOR_DAYS},
                 {"escalate/overdue_leader_days", S_DEFAULT_LEADER_DAYS}};
    int64_t days = 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        int64_t v = worker_settings_int(settings, steps[i].key, steps[i].fallback);
        v = v >= 0 ? v : steps[i].fallback;
        days = v > days ? v : days; /* a step never comes before the one above it */
    }
    cfg->leader_days = days;
}

static size_t
s_member_rank(const char *code)
{
    size_t n = 0;
    const dajia_member_t *members = dajia_members_default(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(members[i].code, code) == 0)
            return i;
    return n;
}

static int
s_cmp_member(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    size_t rx = s_member_rank(x), ry = s_member_rank(y);
    return rx != ry ? (rx < ry ? -1 : 1) : strcmp(x, y);
}

/* Copies the configured member names (settings are borrowed for create() only): the
   bulletin's words (docs/domain.md §2, §6.2). */
static int
s_names(const worker_settings_t *settings, circ_config_t *cfg)
{
    size_t count = 0;
    const dajia_member_t *members = worker_settings_members(settings, &count);
    if (!count)
        return 0;
    if (!(cfg->names = calloc(count, sizeof *cfg->names)))
        return -ENOMEM;
    for (size_t i = 0; i < count; i++) {
        char *code = strdup(members[i].code);
        char *name = members[i].name ? strdup(members[i].name) : NULL;
        cfg->names[cfg->n_names++] = (dajia_member_t){code, name, NULL};
        if (!code || (members[i].name && !name))
            return -ENOMEM;
    }
    return 0;
}

/* The units judged: circulate/members; else the configured members (a dajia-worker's
   file with a `members` section judges the units the broker would); else the 23. */
static int
s_members(const worker_settings_t *settings, s_core_t *self)
{
    circ_config_t *cfg = &self->cfg;
    const char *list = worker_settings_str(settings, "circulate/members", NULL);
    if (!list) {
        size_t n = cfg->n_names;
        const dajia_member_t *members = n ? cfg->names : dajia_members_default(&n);
        if (!(cfg->members = calloc(n + 1, sizeof *cfg->members)))
            return -ENOMEM;
        for (size_t i = 0; i < n; i++)
            if (strlen(members[i].code) < AGG_UNIT_MAX)
                cfg->members[cfg->n_members++] = (char *)members[i].code;
        qsort(cfg->members, cfg->n_members, sizeof *cfg->members, s_cmp_member);
        return 0;
    }
    self->members_buf = strdup(list);
    size_t max = 1;
    for (const char *p = list; *p; p++)
        max += *p == ',' || *p == ' ';
    cfg->members = calloc(max + 1, sizeof *cfg->members);
    if (!self->members_buf || !cfg->members)
        return -ENOMEM;
    char *save = NULL;
    for (char *tok = strtok_r(self->members_buf, ", ", &save); tok;
         tok = strtok_r(NULL, ", ", &save))
        if (strlen(tok) < AGG_UNIT_MAX)
            cfg->members[cfg->n_members++] = tok;
    /* The order of the work rules (docs/domain.md §2), others after by code, however the
       list was given: the broker passes its members in code order, a dajia-worker its
       own setting, and both must write the same bulletin. */
    qsort(cfg->members, cfg->n_members, sizeof *cfg->members, s_cmp_member);
    return 0;
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
    int64_t day = worker_settings_int(settings, "circulate/deadline_day", S_DEFAULT_DEADLINE_DAY);
    cfg->deadline_day = day >= 0 && day <= 31 ? day : S_DEFAULT_DEADLINE_DAY;
    int64_t dsec = worker_settings_int(settings, "circulate/deadline_seconds", 0);
    cfg->deadline_ms = dsec > 0 ? dsec * 1000 : 0;
    s_matter_settings(settings, cfg);

    int rc = 0;
    const char *lang = worker_settings_str(settings, "circulate/language", NULL);
    cfg->lang = DAJIA_LANG_DEFAULT;
    if (lang && dajia_lang_parse(lang, &cfg->lang) != 0) {
        dajia_log_error("circulate/language: expected " DAJIA_LANG_ACCEPTED ", got \"%s\"", lang);
        rc = -EINVAL;
    }
    const char *go_live = worker_settings_str(settings, "circulate/go_live", NULL);
    if (rc == 0 && go_live && *go_live) {
        dajia_time_period_t p;
        if (dajia_time_period_parse(go_live, strlen(go_live), &p) != 0 ||
            p.unit != DAJIA_TIME_MONTH) {
            dajia_log_error("circulate/go_live: expected a month like 2026-09, got \"%s\"",
                            go_live);
            rc = -EINVAL;
        } else {
            cfg->has_go_live = true;
            cfg->go_live =
                agg_period_start(&cfg->spec, dajia_time_period_start(p, cfg->spec.tz_offset_min));
        }
    }
    if (rc == 0)
        rc = s_names(settings, cfg);
    if (rc == 0)
        rc = s_members(settings, self);
    if (rc) {
        void *handle = self;
        s_destroy(&handle);
        return rc;
    }
    *core = self;
    return 0;
}

// ================================================================ meta

static int
s_meta_get(store_txn_t *txn, const char *key, int64_t *value, bool *found)
{
    uint64_t u = 0;
    int rc = worker_store_u64_get(txn, CIRC_TABLE_META, key, &u, found);
    if (*found)
        *value = (int64_t)u;
    return rc;
}

static int
s_meta_put(store_txn_t *txn, const char *key, int64_t value)
{
    return worker_store_u64_put(txn, CIRC_TABLE_META, key, (uint64_t)value);
}

/* Where the months stand: the first judged, the first without a bulletin, the last
   whose compliance table went out. */
typedef struct {
    bool known;
    int64_t first, next, opened;
} s_months_t;

static int
s_months_get(store_txn_t *txn, s_months_t *m)
{
    bool found = false, has_next = false, has_opened = false;
    int rc = s_meta_get(txn, S_META_FIRST, &m->first, &found);
    if (rc == 0 && !found) {
        /* an earlier version's state: bulletins went out for the months before "open" */
        rc = s_meta_get(txn, S_META_OLD_OPEN, &m->first, &found);
        m->next = m->first;
        m->opened = m->first - 1;
        m->known = found;
        return rc;
    }
    if (rc == 0)
        rc = s_meta_get(txn, S_META_NEXT, &m->next, &has_next);
    if (rc == 0)
        rc = s_meta_get(txn, S_META_OPENED, &m->opened, &has_opened);
    m->known = found;
    if (!has_next)
        m->next = m->first;
    if (!has_opened)
        m->opened = m->first - 1;
    return rc;
}

static int
s_months_put(store_txn_t *txn, const s_months_t *m)
{
    int rc = s_meta_put(txn, S_META_FIRST, m->first);
    if (rc == 0)
        rc = s_meta_put(txn, S_META_NEXT, m->next);
    if (rc == 0)
        rc = s_meta_put(txn, S_META_OPENED, m->opened);
    return rc;
}

/* Sets the first month: go_live when configured (also moving an existing first back),
   else `candidate` when none is known yet (candidate < 0: none). */
static int
s_months_start(const circ_config_t *cfg, store_txn_t *txn, s_months_t *m, int64_t candidate)
{
    int64_t first = cfg->has_go_live ? cfg->go_live : candidate;
    if (first < 0 && !m->known)
        return 0;
    if (m->known && (!cfg->has_go_live || first == m->first))
        return 0;
    if (!m->known) {
        m->next = first;
        m->opened = first - 1;
    } else if (first < m->first) {
        m->next = first; /* months already issued are skipped when their turn comes */
    } else if (m->next < first) {
        m->next = first;
    }
    m->first = first;
    m->known = true;
    return s_months_put(txn, m);
}

// ================================================================ outputs

static int
s_emit(worker_outputs_t *out, Dajia__Audience audience, uint64_t source_log_seq,
       int64_t produced_at, Dajia__FeedItem *item)
{
    item->audience = audience;
    item->service = (char *)worker_circulate.name;
    item->source_log_seq = source_log_seq;
    item->produced_at = produced_at;
    return worker_outputs_add(out, item);
}

/* A ComplianceUpdate of the month starting at `start`: `unit` alone, or every member
   (unit NULL), judged at `now`. */
static int
s_emit_compliance(const circ_config_t *cfg, store_txn_t *txn, int64_t start, const char *unit,
                  int64_t now, uint64_t log_seq, worker_outputs_t *out)
{
    size_t n = unit ? 1 : cfg->n_members;
    Dajia__UnitCompliance *rows = calloc(n ? n : 1, sizeof *rows);
    Dajia__UnitCompliance **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    char period[AGG_PERIOD_MAX];
    circ_period_name(cfg, start, period);
    int rc = rows && ptrs ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *code = unit ? unit : cfg->members[i];
        circ_reports_t r;
        rc = circ_reports_get(txn, cfg, start, code, &r);
        dajia__unit_compliance__init(&rows[i]);
        rows[i].unit = (char *)code;
        rows[i].period = period;
        circ_compliance_judge(cfg, start, now, &r, &rows[i]);
        ptrs[i] = &rows[i];
    }
    if (rc == 0) {
        Dajia__ComplianceUpdate update = DAJIA__COMPLIANCE_UPDATE__INIT;
        update.period = period;
        update.deadline_at = circ_deadline(cfg, start);
        update.n_units = n;
        update.units = ptrs;
        Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
        item.item_case = DAJIA__FEED_ITEM__ITEM_COMPLIANCE;
        item.compliance = &update;
        rc = s_emit(out, DAJIA__AUDIENCE__AUDIENCE_OFFICE, log_seq, now, &item);
    }
    free(rows);
    free(ptrs);
    return rc;
}

// ================================================================ issuing

/* Renders `b`, sends it on the public feed and keeps it (without its text) as the
   month's latest revision. */
static int
s_issue(const circ_config_t *cfg, store_txn_t *txn, Dajia__Bulletin *b, int64_t now,
        uint64_t log_seq, worker_outputs_t *out)
{
    b->language = (char *)dajia_lang_name(cfg->lang);
    char *markdown = circ_render(cfg, b);
    if (!markdown)
        return -ENOMEM;
    char *old_markdown = b->markdown;
    b->markdown = markdown;
    Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
    item.item_case = DAJIA__FEED_ITEM__ITEM_BULLETIN;
    item.bulletin = b;
    int rc = s_emit(out, DAJIA__AUDIENCE__AUDIENCE_PUBLIC, log_seq, now, &item);
    b->markdown = old_markdown;
    free(markdown);
    /* language points at static text: pack it, then put the default back, so that
       dajia__bulletin__free_unpacked does not free it */
    size_t len = rc == 0 ? dajia__bulletin__get_packed_size(b) : 0;
    uint8_t *buf = rc == 0 ? malloc(4 + len) : NULL;
    if (rc == 0 && !buf)
        rc = -ENOMEM;
    if (rc == 0) {
        buf[0] = (uint8_t)(b->revision >> 24), buf[1] = (uint8_t)(b->revision >> 16);
        buf[2] = (uint8_t)(b->revision >> 8), buf[3] = (uint8_t)b->revision;
        dajia__bulletin__pack(b, buf + 4);
        rc = store_put(txn, CIRC_TABLE_ISSUED, b->period, strlen(b->period), buf, 4 + len, 0);
    }
    b->language = (char *)protobuf_c_empty_string;
    free(buf);
    return rc;
}

/* The latest revision of `period`, or NULL (*out) when none was issued. */
static int
s_issued_get(store_txn_t *txn, const char *period, Dajia__Bulletin **out)
{
    *out = NULL;
    const void *val;
    size_t vlen;
    int rc = store_get(txn, CIRC_TABLE_ISSUED, period, strlen(period), &val, &vlen);
    if (rc == STORE_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (vlen < 4)
        return -EINVAL;
    *out = dajia__bulletin__unpack(NULL, vlen - 4, (const uint8_t *)val + 4);
    return *out ? 0 : -EINVAL;
}

/* Revision 1 of the month starting at `start`: what was received by its deadline. */
static int
s_issue_first(const circ_config_t *cfg, store_txn_t *txn, int64_t start, int64_t now,
              uint64_t log_seq, worker_outputs_t *out)
{
    Dajia__Bulletin *b = NULL;
    int rc = circ_bulletin_read(txn, cfg, start, now, &b);
    if (rc)
        return rc;
    b->produced_at = now;
    b->revision = 1;
    b->cutoff_at = b->deadline_at + cfg->grace_ms;
    rc = s_issue(cfg, txn, b, now, log_seq, out);
    dajia__bulletin__free_unpacked(b, NULL);
    return rc;
}

/* Whether one of b's changes is of `unit`'s: a report explains a revision only when
   something of its unit changed (every change names the unit whose reports made it). */
static bool
s_unit_changed(const Dajia__Bulletin *b, const char *unit)
{
    for (size_t i = 0; i < b->n_changes; i++)
        if (strcmp(b->changes[i]->unit, unit) == 0)
            return true;
    return false;
}

/* The sources kept for `period`, in log order, deleted; those of a unit with a change
   are moved into b->sources. */
static int
s_take_sources(store_txn_t *txn, const char *period, Dajia__Bulletin *b)
{
    size_t plen = strlen(period);
    for (;;) {
        store_cursor_t *cursor = NULL;
        const void *k, *v;
        size_t kl, vl;
        int rc =
            worker_store_seek(txn, CIRC_TABLE_SOURCES, period, plen + 1, &cursor, &k, &kl, &v, &vl);
        uint8_t key[AGG_PERIOD_MAX + 8];
        bool mine = rc == 0 && kl == plen + 9 && memcmp(k, period, plen + 1) == 0;
        Dajia__BulletinSource *s = mine ? dajia__bulletin_source__unpack(NULL, vl, v) : NULL;
        if (mine)
            memcpy(key, k, kl);
        store_cursor_close(&cursor);
        if (rc == STORE_NOTFOUND || (rc == 0 && !mine))
            return 0;
        if (rc)
            return rc;
        if (!s)
            return -EINVAL;
        if (!s_unit_changed(b, s->unit)) {
            dajia__bulletin_source__free_unpacked(s, NULL);
            if ((rc = store_del(txn, CIRC_TABLE_SOURCES, key, plen + 9)) != 0)
                return rc;
            continue;
        }
        Dajia__BulletinSource **grown =
            realloc(b->sources, (b->n_sources + 1) * sizeof *b->sources);
        if (!grown) {
            dajia__bulletin_source__free_unpacked(s, NULL);
            return -ENOMEM;
        }
        b->sources = grown;
        b->sources[b->n_sources++] = s;
        if ((rc = store_del(txn, CIRC_TABLE_SOURCES, key, plen + 9)) != 0)
            return rc;
    }
}

/* The revision of `period` that came due: issued when the month's bulletin changed. */
static int
s_revise(const circ_config_t *cfg, store_txn_t *txn, const char *period, int64_t due, int64_t now,
         uint64_t log_seq, worker_outputs_t *out)
{
    int64_t start = 0;
    Dajia__Bulletin *was = NULL, *b = NULL;
    int rc = circ_period_parse(cfg, period, &start) ? s_issued_get(txn, period, &was) : -EINVAL;
    if (rc == 0 && was)
        rc = circ_bulletin_read(txn, cfg, start, now, &b);
    int changed = rc == 0 && was ? circ_bulletin_diff(was, b) : 0;
    if (changed < 0)
        rc = changed;
    if (rc == 0 && b)
        rc = s_take_sources(txn, period, b);
    if (rc == 0 && changed > 0) {
        b->produced_at = now;
        b->revision = was->revision + 1;
        b->cutoff_at = due;
        rc = s_issue(cfg, txn, b, now, log_seq, out);
    }
    if (rc == 0)
        rc = store_del(txn, CIRC_TABLE_PENDING, period, strlen(period));
    if (was)
        dajia__bulletin__free_unpacked(was, NULL);
    if (b)
        dajia__bulletin__free_unpacked(b, NULL);
    return rc;
}

/* Step 1 of the clock: every revision due by `now`. */
static int
s_revisions(const circ_config_t *cfg, store_txn_t *txn, int64_t now, uint64_t log_seq,
            worker_outputs_t *out)
{
    for (int n = 0; n < CIRC_MAX_PER_CALL; n++) {
        store_cursor_t *cursor = NULL;
        const void *k, *v;
        size_t kl, vl;
        char period[AGG_PERIOD_MAX] = "";
        int64_t due = 0;
        int rc = worker_store_seek(txn, CIRC_TABLE_PENDING, NULL, 0, &cursor, &k, &kl, &v, &vl);
        while (rc == 0 && !*period) {
            if (vl != 8 || kl >= AGG_PERIOD_MAX) {
                rc = -EINVAL;
                break;
            }
            due = (int64_t)store_key_to_u64(v);
            if (now > due) {
                memcpy(period, k, kl);
                period[kl] = '\0';
            } else {
                rc = store_cursor_next(cursor, &k, &kl, &v, &vl);
            }
        }
        store_cursor_close(&cursor);
        if (rc == STORE_NOTFOUND || (rc == 0 && !*period))
            return 0;
        if (rc)
            return rc;
        if ((rc = s_revise(cfg, txn, period, due, now, log_seq, out)) != 0)
            return rc;
    }
    return 0;
}

/* The clock passes `now`: revisions due, deadlines passed, months begun. */
static int
s_clock(const circ_config_t *cfg, store_txn_t *txn, s_months_t *m, int64_t now, uint64_t log_seq,
        worker_outputs_t *out)
{
    if (!m->known)
        return 0;
    int rc = s_revisions(cfg, txn, now, log_seq, out);
    bool moved = false, capped = true;
    for (int n = 0; rc == 0 && n < CIRC_MAX_PER_CALL; n++) {
        if (now <= circ_deadline(cfg, m->next) + cfg->grace_ms) {
            capped = false;
            break;
        }
        char name[AGG_PERIOD_MAX];
        circ_period_name(cfg, m->next, name);
        const void *val;
        size_t vlen;
        rc = store_get(txn, CIRC_TABLE_ISSUED, name, strlen(name), &val, &vlen);
        if (rc == STORE_NOTFOUND) {
            rc = s_issue_first(cfg, txn, m->next, now, log_seq, out);
            if (rc == 0)
                rc = s_emit_compliance(cfg, txn, m->next, NULL, now, log_seq, out);
        }
        if (m->opened < m->next)
            m->opened = m->next;
        m->next = agg_period_next(&cfg->spec, m->next);
        moved = true;
    }
    for (int n = 0; rc == 0 && !capped && n < CIRC_MAX_PER_CALL; n++) {
        int64_t month = m->opened < m->first ? m->first : agg_period_next(&cfg->spec, m->opened);
        if (month > now)
            break;
        rc = s_emit_compliance(cfg, txn, month, NULL, now, log_seq, out);
        m->opened = month;
        moved = true;
    }
    return rc == 0 && moved ? s_months_put(txn, m) : rc;
}

// ================================================================ revisions' sources

typedef struct {
    const circ_config_t *cfg;
    int64_t starts[S_MAX_CONCERNED];
    size_t count;
} s_concerned_t;

static void
s_concern(s_concerned_t *c, int64_t start)
{
    for (size_t i = 0; i < c->count; i++)
        if (c->starts[i] == start)
            return;
    if (c->count < S_MAX_CONCERNED)
        c->starts[c->count++] = start;
}

/* agg_figures' callback: the month of each cell the event changed. */
static int
s_cell_changed(const void *key, size_t klen, void *arg)
{
    s_concerned_t *c = arg;
    agg_cell_t cell;
    int64_t start = 0;
    if (agg_cell_key_parse(key, klen, &cell) == 0 && circ_period_parse(c->cfg, cell.period, &start))
        s_concern(c, start);
    return 0;
}

/* Keeps `event` as a source of every issued month it concerns, and marks each month's
   revision due. */
static int
s_record_sources(const circ_config_t *cfg, store_txn_t *txn, const s_months_t *m,
                 const worker_event_t *event, const s_concerned_t *c, int64_t submitted)
{
    const Dajia__Envelope *env = event->env;
    const char *subject = NULL;
    if (env->body_case == DAJIA__ENVELOPE__BODY_CASE_REPORT && env->case_report)
        subject = env->case_report->case_no;
    else if (env->body_case == DAJIA__ENVELOPE__BODY_MAJOR_MATTER && env->major_matter)
        subject = env->major_matter->matter_id;
    else if (env->body_case == DAJIA__ENVELOPE__BODY_MATTER_PROGRESS && env->matter_progress)
        subject = env->matter_progress->matter_id;
    else if (env->body_case == DAJIA__ENVELOPE__BODY_DYNAMIC_INFO && env->dynamic_info)
        subject = env->dynamic_info->info_id;
    for (size_t i = 0; i < c->count; i++) {
        int64_t start = c->starts[i];
        if (start < m->first || start >= m->next)
            continue; /* not issued (yet), or before the first month */
        char period[AGG_PERIOD_MAX];
        circ_period_name(cfg, start, period);
        size_t plen = strlen(period);
        const void *val;
        size_t vlen;
        int rc = store_get(txn, CIRC_TABLE_ISSUED, period, plen, &val, &vlen);
        if (rc == STORE_NOTFOUND)
            continue;
        if (rc == 0)
            rc = store_get(txn, CIRC_TABLE_PENDING, period, plen, &val, &vlen);
        if (rc == STORE_NOTFOUND) {
            uint8_t due[8];
            store_u64_to_key((uint64_t)s_revision_due(cfg, submitted), due);
            rc = store_put(txn, CIRC_TABLE_PENDING, period, plen, due, 8, 0);
        }
        if (rc)
            return rc;
        Dajia__BulletinSource s = DAJIA__BULLETIN_SOURCE__INIT;
        s.unit = env->unit;
        s.event_id = env->event_id ? env->event_id : "";
        s.log_seq = event->log_seq;
        s.received_at = submitted;
        s.late = submitted > circ_deadline(cfg, start);
        s.supersedes_event_id = env->supersedes_event_id ? env->supersedes_event_id : "";
        s.subject = (char *)(subject ? subject : "");
        uint8_t key[AGG_PERIOD_MAX + 9];
        memcpy(key, period, plen + 1);
        store_u64_to_key(event->log_seq, key + plen + 1);
        size_t len = dajia__bulletin_source__get_packed_size(&s);
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf)
            return -ENOMEM;
        dajia__bulletin_source__pack(&s, buf);
        rc = store_put(txn, CIRC_TABLE_SOURCES, key, plen + 9, buf, len, 0);
        free(buf);
        if (rc)
            return rc;
    }
    return 0;
}

// ================================================================ service

/* The unit's row for its subject month changed: send it to the Office. */
static int
s_compliance_row(const circ_config_t *cfg, store_txn_t *txn, const s_months_t *m, int64_t subject,
                 const Dajia__Envelope *env, int64_t submitted, uint64_t log_seq,
                 worker_outputs_t *out)
{
    circ_reports_t r;
    int rc = circ_reports_get(txn, cfg, subject, env->unit, &r);
    if (rc)
        return rc;
    Dajia__UnitCompliance before = DAJIA__UNIT_COMPLIANCE__INIT;
    circ_compliance_judge(cfg, subject, submitted, &r, &before);
    bool zero = env->body_case == DAJIA__ENVELOPE__BODY_DYNAMIC_INFO && env->dynamic_info &&
                env->dynamic_info->zero_report;
    if ((rc = circ_reports_add(txn, cfg, subject, env->unit, zero, submitted)) != 0)
        return rc;
    if ((rc = circ_reports_get(txn, cfg, subject, env->unit, &r)) != 0)
        return rc;
    Dajia__UnitCompliance after = DAJIA__UNIT_COMPLIANCE__INIT;
    circ_compliance_judge(cfg, subject, submitted, &r, &after);
    if (!m->known || subject < m->first ||
        (strcmp(before.status, after.status) == 0 && before.late == after.late))
        return 0;
    return s_emit_compliance(cfg, txn, subject, env->unit, submitted, log_seq, out);
}

static int
s_apply(void *core, store_txn_t *txn, const worker_event_t *event, worker_outputs_t *out)
{
    s_core_t *self = core;
    const circ_config_t *cfg = &self->cfg;
    const Dajia__Envelope *env = event->env;
    if (!env || !env->unit || !*env->unit || strlen(env->unit) >= AGG_UNIT_MAX)
        return 0;
    int64_t submitted = s_submitted_at(event);
    int64_t subject = circ_subject_start(cfg, env);
    int64_t arrived = agg_period_start(&cfg->spec, submitted);
    s_months_t m = {0};
    int rc = s_months_get(txn, &m);
    if (rc == 0)
        rc = s_months_start(cfg, txn, &m, subject < arrived ? subject : arrived);
    if (rc == 0)
        rc = s_clock(cfg, txn, &m, submitted, event->log_seq, out);

    s_concerned_t concerned = {.cfg = cfg};
    s_concern(&concerned, subject);
    if (rc == 0)
        rc = agg_figures_apply_event(txn, &circ_tables, &cfg->spec, event->log_seq, env,
                                     s_cell_changed, &concerned);
    if (rc == 0)
        rc = s_compliance_row(cfg, txn, &m, subject, env, submitted, event->log_seq, out);
    if (rc == 0)
        rc = circ_info_record(txn, cfg, env);
    int64_t since = 0;
    if (rc == 0)
        rc = circ_matters_apply(txn, env, &since);
    /* a matter's picture changed from `since` on: every issued month ending after it */
    for (int64_t start = m.first; rc == 0 && since && start < m.next;
         start = agg_period_next(&cfg->spec, start))
        if (agg_period_next(&cfg->spec, start) > since)
            s_concern(&concerned, start);
    if (rc == 0)
        rc = s_record_sources(cfg, txn, &m, event, &concerned, submitted);
    return rc;
}

static int
s_tick(void *core, store_txn_t *txn, int64_t now_ms, worker_outputs_t *out)
{
    s_core_t *self = core;
    s_months_t m = {0};
    int rc = s_months_get(txn, &m);
    if (rc == 0)
        rc = s_months_start(&self->cfg, txn, &m, -1);
    if (rc == 0)
        rc = s_clock(&self->cfg, txn, &m, now_ms, 0, out);
    return rc;
}

const worker_service_t worker_circulate = {
    .name = "circulate",
    .create = s_create,
    .apply = s_apply,
    .tick = s_tick,
    .destroy = s_destroy,
    .event_time = s_submitted_at,
};
