/*  dash_query: the dashboard's paths and query parameters, checked (see dash_query.h). */
#include "dash_query.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dajia.pb-c.h"

#define S_LIMIT_MAX 100000
#define S_REV_MAX   1000

/* Which parameters each page takes (bit per parameter). */
enum {
    S_P_PERIOD = 1 << 0,
    S_P_UNIT = 1 << 1,
    S_P_CATEGORY = 1 << 2,
    S_P_RULE = 1 << 3,
    S_P_LEVEL = 1 << 4,
    S_P_REV = 1 << 5,
    S_P_LIMIT = 1 << 6,
    S_P_TABLE = 1 << 7,
};

static const struct {
    const char *name;
    unsigned bit;
} s_params[] = {
    {"period", S_P_PERIOD}, {"unit", S_P_UNIT}, {"category", S_P_CATEGORY}, {"rule", S_P_RULE},
    {"level", S_P_LEVEL},   {"rev", S_P_REV},   {"limit", S_P_LIMIT},       {"table", S_P_TABLE},
};

static unsigned
s_page_params(dash_page_t page)
{
    switch (page) {
    case DASH_PAGE_FIGURES:
        return S_P_PERIOD | S_P_UNIT | S_P_CATEGORY | S_P_TABLE;
    case DASH_PAGE_BULLETIN:
        return S_P_REV | S_P_TABLE;
    case DASH_PAGE_ESCALATIONS:
        return S_P_UNIT | S_P_RULE | S_P_LEVEL | S_P_LIMIT | S_P_TABLE;
    case DASH_PAGE_BULLETINS:
    case DASH_PAGE_MATTERS:
    case DASH_PAGE_COMPLIANCE:
        return S_P_TABLE;
    default:
        return 0;
    }
}

/* Strips ".csv" or ".xlsx" off the end of `name` (len bytes) into q->format. Returns the
   length without it. */
static size_t
s_format(const char *name, size_t len, dash_query_t *q)
{
    if (len > 4 && memcmp(name + len - 4, ".csv", 4) == 0) {
        q->format = DASH_FORMAT_CSV;
        return len - 4;
    }
    if (len > 5 && memcmp(name + len - 5, ".xlsx", 5) == 0) {
        q->format = DASH_FORMAT_XLSX;
        return len - 5;
    }
    return len;
}

int
dash_query_path(const char *path, dash_query_t *q)
{
    memset(q, 0, sizeof *q);
    q->category = -1;
    if (strcmp(path, "/") == 0) {
        q->page = DASH_PAGE_FIGURES;
        return 0;
    }
    static const struct {
        const char *name;
        dash_page_t page;
    } pages[] = {{"/figures", DASH_PAGE_FIGURES},
                 {"/bulletins", DASH_PAGE_BULLETINS},
                 {"/escalations", DASH_PAGE_ESCALATIONS},
                 {"/matters", DASH_PAGE_MATTERS},
                 {"/compliance", DASH_PAGE_COMPLIANCE}};
    size_t len = s_format(path, strlen(path), q);
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
        if (strlen(pages[i].name) == len && memcmp(path, pages[i].name, len) == 0) {
            q->page = pages[i].page;
            return 0;
        }
    /* /bulletins/PERIOD */
    const char *prefix = "/bulletins/";
    size_t plen = strlen(prefix);
    if (len > plen && memcmp(path, prefix, plen) == 0 && len - plen < DASH_QUERY_BULLETIN_MAX) {
        bool ok = true;
        for (size_t i = plen; ok && i < len; i++)
            ok = isalnum((unsigned char)path[i]) || strchr(":.+-", path[i]);
        if (ok) {
            q->page = DASH_PAGE_BULLETIN;
            memcpy(q->bulletin, path + plen, len - plen);
            q->bulletin[len - plen] = '\0';
            return 0;
        }
    }
    q->format = DASH_FORMAT_HTML;
    return -ENOENT;
}

bool
dash_query_unit_ok(const char *text)
{
    size_t n = strlen(text);
    if (n == 0 || n >= DASH_UNIT_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)text[i]) && !strchr("._-", text[i]))
            return false;
    return true;
}

#define S_CAT_PREFIX "CASE_CATEGORY_"

int
dash_query_category(const char *name)
{
    const ProtobufCEnumDescriptor *d = &dajia__case_category__descriptor;
    size_t plen = strlen(S_CAT_PREFIX);
    for (unsigned i = 0; i < d->n_values; i++) {
        const char *full = d->values[i].name;
        if (d->values[i].value == 0 || strncmp(full, S_CAT_PREFIX, plen) != 0)
            continue;
        if (strcasecmp(full + plen, name) == 0 && strlen(name) == strlen(full + plen)) {
            /* lower case only: the form the links write */
            bool lower = true;
            for (const char *p = name; *p; p++)
                lower = lower && !isupper((unsigned char)*p);
            return lower ? d->values[i].value : -1;
        }
    }
    return -1;
}

const char *
dash_query_category_name(int value, char *buf, size_t size)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&dajia__case_category__descriptor, value);
    size_t plen = strlen(S_CAT_PREFIX);
    if (size)
        buf[0] = '\0';
    if (!v || value <= 0 || strncmp(v->name, S_CAT_PREFIX, plen) != 0)
        return buf;
    size_t i = 0;
    for (const char *src = v->name + plen; src[i] && i + 1 < size; i++)
        buf[i] = (char)tolower((unsigned char)src[i]);
    if (size)
        buf[i < size ? i : size - 1] = '\0';
    return buf;
}

static int
s_bad(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes the sentence about a bad parameter. Returns -EINVAL. */
static int
s_bad(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

int
dash_query_param(dash_query_t *q, const char *name, const char *value, char *err, size_t errlen)
{
    unsigned bit = 0;
    for (size_t i = 0; i < sizeof s_params / sizeof s_params[0]; i++)
        if (strcmp(s_params[i].name, name) == 0)
            bit = s_params[i].bit;
    if (!bit || !(s_page_params(q->page) & bit)) {
        snprintf(err, errlen, "parameter \"%.40s\" is not known on this page", name);
        return -EINVAL;
    }
    if (!value || !*value)
        return s_bad(err, errlen, "parameter \"%s\" needs a value%s", name, "");
    char *end = NULL;
    switch (bit) {
    case S_P_PERIOD:
        if (q->has_period || dajia_time_period_parse(value, strlen(value), &q->period) != 0 ||
            q->period.unit != DAJIA_TIME_MONTH)
            return s_bad(err, errlen,
                         "parameter \"%s\": expected a month like 2026-11, got \"%.40s\"", name,
                         value);
        q->has_period = true;
        break;
    case S_P_UNIT:
        if (*q->unit || !dash_query_unit_ok(value))
            return s_bad(err, errlen,
                         "parameter \"%s\": expected a unit code like psb, got \"%.40s\"", name,
                         value);
        snprintf(q->unit, sizeof q->unit, "%s", value);
        break;
    case S_P_CATEGORY:
        if (q->category >= 0 || (q->category = dash_query_category(value)) < 0)
            return s_bad(
                err, errlen,
                "parameter \"%s\": expected a case category like trademark_counterfeiting, "
                "got \"%.40s\"",
                name, value);
        break;
    case S_P_RULE: {
        size_t n = strlen(value);
        bool ok = !*q->rule && n < DASH_QUERY_RULE_MAX;
        for (size_t i = 0; ok && i < n; i++)
            ok = isupper((unsigned char)value[i]) || isdigit((unsigned char)value[i]) ||
                 value[i] == '-';
        if (!ok)
            return s_bad(err, errlen,
                         "parameter \"%s\": expected a rule like E3 or OVERDUE, got \"%.40s\"",
                         name, value);
        snprintf(q->rule, sizeof q->rule, "%s", value);
        break;
    }
    case S_P_LEVEL:
        if (q->level)
            return s_bad(err, errlen, "parameter \"%s\" is given twice%s", name, "");
        if (strcmp(value, "major") == 0)
            q->level = DAJIA__SEVERITY__SEVERITY_MAJOR;
        else if (strcmp(value, "especially_major") == 0)
            q->level = DAJIA__SEVERITY__SEVERITY_ESPECIALLY_MAJOR;
        else
            return s_bad(err, errlen,
                         "parameter \"%s\": expected major or especially_major, got \"%.40s\"",
                         name, value);
        break;
    case S_P_REV: {
        long v = strtol(value, &end, 10);
        if (q->rev || !isdigit((unsigned char)value[0]) || *end || v < 1 || v > S_REV_MAX)
            return s_bad(err, errlen,
                         "parameter \"%s\": expected an issue number from 1, got \"%.40s\"", name,
                         value);
        q->rev = (int)v;
        break;
    }
    case S_P_LIMIT: {
        long v = strtol(value, &end, 10);
        if (q->limit || !isdigit((unsigned char)value[0]) || *end || v < 1 || v > S_LIMIT_MAX)
            return s_bad(
                err, errlen,
                "parameter \"%s\": expected a number of rows from 1 to 100000, got \"%.40s\"", name,
                value);
        q->limit = v;
        break;
    }
    case S_P_TABLE: {
        size_t n = strlen(value);
        bool ok = !*q->table && n < DASH_QUERY_TABLE_MAX;
        for (size_t i = 0; ok && i < n; i++)
            ok = islower((unsigned char)value[i]) || value[i] == '_';
        if (!ok)
            return s_bad(err, errlen,
                         "parameter \"%s\": expected a table name like units, got \"%.40s\"", name,
                         value);
        snprintf(q->table, sizeof q->table, "%s", value);
        break;
    }
    }
    return 0;
}
