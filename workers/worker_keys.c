/*  worker_keys: the settings of the worker services, checked and printed.

    The table below lists the keys with fixed names; the E5 thresholds and the linkage
    deadlines are listed from the escalate worker's tables (esc_rules.h), so that their
    names and defaults are those the core reads. Defaults are the cores' own (docs/domain.md
    §9 gives each with its source); the source-scanning test keeps the two lists together.
*/
#include "worker_keys.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dajia_labels.h"
#include "dajia_time.h"
#include "esc_rules.h"

#define S_TZ_MAX_MIN    (14 * 60)       /* UTC-14:00 .. UTC+14:00 */
#define S_DAYS_MAX      366             /* a year: longer is a typing error */
#define S_HOURS_MAX     (366 * 24)      /* likewise */
#define S_SECONDS_MAX   (366LL * 86400) /* likewise */
#define S_FEN_MAX       INT64_MAX       /* any amount */
#define S_UNIT_CODE_MAX 64              /* DAJIA_MAX_ID: a unit code */
#define S_TEXT_MAX      512             /* a generated help line or default */
#define S_SUGGEST_MAX   3               /* edits for a "did you mean" */

const char *const worker_keys_services[WORKER_KEYS_SERVICES] = {"aggregate", "escalate",
                                                                "circulate"};

/* The rule names of escalate/rules (esc_core.c), in the order they are printed. */
static const char *const s_rules[] = {"E1", "E2",      "E3",       "E4", "E5",
                                      "MM", "OVERDUE", "DEADLINE", "DQ"};
#define S_RULES_ALL "E1 E2 E3 E4 E5 MM OVERDUE DEADLINE DQ"

#define S_INT(key, min, max, unit, value, help)                                                    \
    {                                                                                              \
        key, WORKER_KEY_INT, min, max, unit, value, help                                           \
    }

/* Keys with fixed names, by service, in print order. A NULL key marks where the
   generated keys of the escalate worker go (see s_each_escalate). */
static const worker_key_t s_fixed[] = {
    S_INT("aggregate/tz_offset_min", -S_TZ_MAX_MIN, S_TZ_MAX_MIN, "minutes east of UTC", "480",
          "months are cut at local midnight (480: Beijing)"),

    {"escalate/rules", WORKER_KEY_RULES, 0, 0, NULL, S_RULES_ALL,
     "the rules that run, separated by spaces (empty: none)"},
    {"escalate/language", WORKER_KEY_LANG, 0, 0, NULL, "zh",
     "the language reasons are written in: zh (Chinese) or en (English)"},
    S_INT("escalate/unit_quiet_seconds", 0, S_SECONDS_MAX, "seconds", "60",
          "a unit's timers fire on a broker tick once nothing came from it this long"),
    {NULL, WORKER_KEY_INT, 0, 0, NULL, NULL, NULL}, /* value thresholds and E5 */
    S_INT("escalate/matter_interval_days", 1, S_DAYS_MAX, "days", "15",
          "a major matter's progress interval"),
    S_INT("escalate/matter_interval_urgent_days", 1, S_DAYS_MAX, "days", "7",
          "the same, for an especially major or health and safety matter"),
    S_INT("escalate/overdue_remind_days", 0, S_DAYS_MAX, "days", "1",
          "overdue progress: remind the unit, this long after the due time"),
    S_INT("escalate/overdue_director_days", 0, S_DAYS_MAX, "days", "7",
          "overdue progress: the Office director (never before the step above)"),
    S_INT("escalate/overdue_leader_days", 0, S_DAYS_MAX, "days", "15",
          "overdue progress: the leader and the bulletin (never before the step above)"),
    {NULL, WORKER_KEY_INT, 1, 0, NULL, NULL, NULL}, /* linkage deadlines */
    S_INT("escalate/tz_offset_min", -S_TZ_MAX_MIN, S_TZ_MAX_MIN, "minutes east of UTC", "480",
          "the zone times are written in, in reasons"),

    S_INT("circulate/tz_offset_min", -S_TZ_MAX_MIN, S_TZ_MAX_MIN, "minutes east of UTC", "480",
          "months are cut at local midnight (480: Beijing)"),
    S_INT("circulate/deadline_day", 0, 31, "days into the next month", "10",
          "monthly reports are due by this day of the next month, 24:00"),
    S_INT("circulate/grace_seconds", 0, S_SECONDS_MAX, "seconds", "0",
          "the bulletin waits this long after the reporting deadline"),
    S_INT("circulate/period_seconds", 0, S_SECONDS_MAX, "seconds", "0",
          "0: calendar months; N: periods of N seconds, for a demonstration"),
    S_INT("circulate/deadline_seconds", 0, S_SECONDS_MAX, "seconds", "0",
          "with period_seconds: reports are due this long after a period's end"),
    {"circulate/members", WORKER_KEY_UNITS, 0, 0, NULL, NULL,
     "the units judged for compliance, codes separated by commas (unset: the broker's "
     "members; a dajia-worker without it: its file's members section, else the 23 units "
     "of docs/domain.md §2)"},
    {"circulate/go_live", WORKER_KEY_MONTH, 0, 0, NULL, NULL,
     "the first month judged, like 2026-09 (unset: the month of the first data)"},
    {"circulate/language", WORKER_KEY_LANG, 0, 0, NULL, "zh",
     "the language of the bulletin: zh (Chinese) or en (English)"},
};

// ================================================================= listing

/* Is `key` of `service` (NULL: of any)? */
static bool
s_of(const char *key, const char *service)
{
    if (!service)
        return true;
    size_t n = strlen(service);
    return strncmp(key, service, n) == 0 && key[n] == '/';
}

/* The generated keys of one marker of the escalate section: the value thresholds and E5
   (first marker), or the linkage deadlines (second). */
static int
s_each_escalate(int marker, worker_keys_fn *fn, void *arg)
{
    char key[WORKER_KEY_MAX], value[32], help[S_TEXT_MAX];
    worker_key_t k = {key, WORKER_KEY_INT, 0, S_FEN_MAX, "fen (1 yuan = 100 fen)", value, help};
    int rc = 0;
    if (marker == 0) {
        esc_limits_t limits;
        esc_limits_default(&limits);
        const struct {
            const char *key;
            int64_t value;
            const char *help;
        } thresholds[] = {
            {"escalate/value_major_fen", limits.value_major_fen,
             "E3: a case value this high is major"},
            {"escalate/value_especially_major_fen", limits.value_especially_major_fen,
             "E3: a case value this high is especially major (0: never)"},
        };
        for (size_t i = 0; i < sizeof thresholds / sizeof thresholds[0] && rc == 0; i++) {
            snprintf(key, sizeof key, "%s", thresholds[i].key);
            snprintf(value, sizeof value, "%" PRId64, thresholds[i].value);
            snprintf(help, sizeof help, "%s", thresholds[i].help);
            rc = fn(&k, arg);
        }
        for (int c = 1; c < ESC_CATEGORY_COUNT && rc == 0; c++)
            for (int m = 0; m < ESC_MEASURE_COUNT && rc == 0; m++) {
                if (esc_limits_key(c, (esc_measure_t)m, key, sizeof key) != 0)
                    continue;
                snprintf(value, sizeof value, "%" PRId64, limits.prosecution[c].min_fen[m]);
                snprintf(help, sizeof help, "E5 prosecution threshold (0: not a criterion)");
                rc = fn(&k, arg);
            }
        return rc;
    }
    const esc_deadline_t *deadlines = esc_deadlines();
    k.min = 1;
    k.max = S_HOURS_MAX;
    k.unit = "hours";
    for (int i = 0; i < ESC_DEADLINE_COUNT && rc == 0; i++) {
        snprintf(key, sizeof key, "%s", deadlines[i].setting);
        snprintf(value, sizeof value, "%" PRId64, deadlines[i].default_hours);
        snprintf(help, sizeof help, "DEADLINE-%s: %s", deadlines[i].name, deadlines[i].waiting_for);
        rc = fn(&k, arg);
    }
    return rc;
}

int
worker_keys_each(const char *service, worker_keys_fn *fn, void *arg)
{
    int marker = 0, rc = 0;
    for (size_t i = 0; i < sizeof s_fixed / sizeof s_fixed[0] && rc == 0; i++) {
        if (!s_fixed[i].key) {
            if (!service || strcmp(service, "escalate") == 0)
                rc = s_each_escalate(marker, fn, arg);
            marker++;
        } else if (s_of(s_fixed[i].key, service)) {
            rc = fn(&s_fixed[i], arg);
        }
    }
    return rc;
}

typedef struct {
    const char *name;
    worker_key_t *out;
} s_find_t;

/* Copies of the last key found: a generated key's strings live in s_each_escalate's
   frame only. */
static _Thread_local char s_found_key[WORKER_KEY_MAX];
static _Thread_local char s_found_value[S_TEXT_MAX];
static _Thread_local char s_found_help[S_TEXT_MAX];

static int
s_find(const worker_key_t *key, void *arg)
{
    s_find_t *f = arg;
    if (strcmp(key->key, f->name) != 0)
        return 0;
    *f->out = *key;
    snprintf(s_found_key, sizeof s_found_key, "%s", key->key);
    f->out->key = s_found_key;
    if (key->value) {
        snprintf(s_found_value, sizeof s_found_value, "%s", key->value);
        f->out->value = s_found_value;
    }
    snprintf(s_found_help, sizeof s_found_help, "%s", key->help);
    f->out->help = s_found_help;
    return 1;
}

bool
worker_keys_find(const char *name, worker_key_t *out)
{
    s_find_t f = {name, out};
    return worker_keys_each(NULL, s_find, &f) == 1;
}

// ================================================================== values

/* Reads a whole number written in digits only, with a '-' in front when negative. */
static bool
s_parse_int(const char *text, int64_t *out)
{
    const char *p = text;
    if (*p == '-')
        p++;
    if (*p < '0' || *p > '9')
        return false;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return false;
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno || !end || *end)
        return false;
    *out = value;
    return true;
}

/* The next item of a list separated by commas and spaces, from *p; its length, 0 at the
   end. */
static size_t
s_next_item(const char **p, const char **item)
{
    *p += strspn(*p, ", ");
    *item = *p;
    size_t len = strcspn(*p, ", ");
    *p += len;
    return len;
}

static bool
s_unit_code_ok(const char *code, size_t len)
{
    if (len == 0 || len > S_UNIT_CODE_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = code[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return false;
    }
    return true;
}

/* The accepted form of a whole-number key, in words. */
static void
s_int_form(const worker_key_t *key, char *buf, size_t size)
{
    if (key->max == INT64_MAX)
        snprintf(buf, size, "a whole number of %s from %" PRId64 " up, in digits only (like %s)",
                 key->unit, key->min, key->value);
    else
        snprintf(buf, size,
                 "a whole number of %s from %" PRId64 " to %" PRId64 ", in digits only (like %s)",
                 key->unit, key->min, key->max, key->value);
}

int
worker_keys_value_check(const worker_key_t *key, const char *value, char *err, size_t errlen)
{
    char form[S_TEXT_MAX];
    const char *p = value, *item;
    size_t len, items = 0;
    switch (key->form) {
    case WORKER_KEY_INT: {
        int64_t n;
        if (s_parse_int(value, &n) && n >= key->min && n <= key->max)
            return 0;
        s_int_form(key, form, sizeof form);
        snprintf(err, errlen, "%s = \"%s\" is not accepted: it must be %s", key->key, value, form);
        return -1;
    }
    case WORKER_KEY_RULES:
        while ((len = s_next_item(&p, &item)) > 0) {
            bool known = false;
            for (size_t i = 0; i < sizeof s_rules / sizeof s_rules[0] && !known; i++)
                known = strlen(s_rules[i]) == len && strncmp(item, s_rules[i], len) == 0;
            if (!known) {
                snprintf(err, errlen,
                         "%s = \"%s\" is not accepted: \"%.*s\" is no rule; the rules are "
                         "%s, separated by spaces or commas",
                         key->key, value, (int)len, item, S_RULES_ALL);
                return -1;
            }
        }
        return 0;
    case WORKER_KEY_UNITS:
        while ((len = s_next_item(&p, &item)) > 0) {
            items++;
            if (!s_unit_code_ok(item, len)) {
                snprintf(err, errlen,
                         "%s = \"%s\" is not accepted: \"%.*s\" is not a unit code (letters, "
                         "digits and . _ : -, at most %d); write member codes separated by "
                         "commas, like psb,msa,customs",
                         key->key, value, (int)len, item, S_UNIT_CODE_MAX);
                return -1;
            }
        }
        if (items == 0) {
            snprintf(err, errlen,
                     "%s = \"%s\" is not accepted: it must name at least one unit, member "
                     "codes separated by commas, like psb,msa,customs",
                     key->key, value);
            return -1;
        }
        return 0;
    case WORKER_KEY_LANG: {
        dajia_lang_t lang;
        if (dajia_lang_parse(value, &lang) == 0)
            return 0;
        snprintf(err, errlen, "%s = \"%s\" is not accepted: it must be %s", key->key, value,
                 DAJIA_LANG_ACCEPTED);
        return -1;
    }
    case WORKER_KEY_MONTH: {
        dajia_time_period_t period;
        if (dajia_time_period_parse(value, strlen(value), &period) == 0 &&
            period.unit == DAJIA_TIME_MONTH)
            return 0;
        snprintf(err, errlen,
                 "%s = \"%s\" is not accepted: it must be a month, the year and the month "
                 "in digits (like 2026-09)",
                 key->key, value);
        return -1;
    }
    }
    snprintf(err, errlen, "%s: a key of an unknown form", key->key);
    return -1;
}

// ================================================================== checks

/* Edit distance of two short strings, capped: enough to suggest a misspelt key. */
static size_t
s_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n >= WORKER_KEY_MAX || m >= WORKER_KEY_MAX)
        return SIZE_MAX;
    size_t row[WORKER_KEY_MAX + 1];
    for (size_t j = 0; j <= m; j++)
        row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t up = row[j];
            size_t best = diagonal + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diagonal = up;
            row[j] = best;
        }
    }
    return row[m];
}

typedef struct {
    const char *name;
    char best[WORKER_KEY_MAX];
    size_t distance;
} s_suggest_t;

static int
s_suggest(const worker_key_t *key, void *arg)
{
    s_suggest_t *s = arg;
    size_t d = s_distance(s->name, key->key);
    if (d < s->distance) {
        s->distance = d;
        snprintf(s->best, sizeof s->best, "%s", key->key);
    }
    return 0;
}

int
worker_keys_check(const worker_settings_t *settings, const char *service, const char *origin,
                  char *err, size_t errlen)
{
    char why[S_TEXT_MAX * 2];
    const char *prefix = origin ? origin : "", *colon = origin ? ": " : "";
    for (size_t i = 0; i < worker_settings_count(settings); i++) {
        const char *name = worker_settings_key(settings, i);
        if (service && !s_of(name, service))
            continue;
        worker_key_t key;
        if (!worker_keys_find(name, &key)) {
            const char *slash = strchr(name, '/');
            char section[WORKER_KEY_MAX];
            snprintf(section, sizeof section, "%.*s", slash ? (int)(slash - name) : 0, name);
            s_suggest_t s = {name, "", SIZE_MAX};
            worker_keys_each(*section ? section : NULL, s_suggest, &s);
            if (s.distance <= S_SUGGEST_MAX)
                snprintf(err, errlen,
                         "%s%sunknown key \"%s\" (did you mean %s?); --print-config lists "
                         "every key",
                         prefix, colon, name, s.best);
            else
                snprintf(err, errlen, "%s%sunknown key \"%s\"; --print-config lists every key",
                         prefix, colon, name);
            return -1;
        }
        const char *value = worker_settings_str(settings, name, "");
        if (worker_keys_value_check(&key, value, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s%s%s", prefix, colon, why);
            return -1;
        }
    }
    return 0;
}

// ================================================================== printing

typedef struct {
    const worker_settings_t *settings;
    FILE *out;
} s_print_t;

static int
s_print_key(const worker_key_t *key, void *arg)
{
    s_print_t *p = arg;
    const char *name = strchr(key->key, '/') + 1;
    const char *value = worker_settings_str(p->settings, key->key, key->value);
    if (value)
        fprintf(p->out, "    %s = \"%s\"    # %s\n", name, value, key->help);
    else /* unset, with a default that depends on who runs the worker */
        fprintf(p->out, "    # %s = \"...\"    %s\n", name, key->help);
    return 0;
}

void
worker_keys_print(const worker_settings_t *settings, const char *service, FILE *out)
{
    fprintf(out, "%s    # the %s worker's settings (docs/domain.md §9)\n", service, service);
    s_print_t p = {settings, out};
    worker_keys_each(service, s_print_key, &p);
}
