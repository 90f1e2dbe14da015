/*  dajia_rules: the value rules shared by the envelope's two checkers. */
#include "dajia_rules.h"

#include "dajia_codec.h"
#include "dajia_time.h"

typedef enum { S_TEXT_SHORT, S_TEXT_ID, S_TEXT_LONG } s_text_t;

/* Fields that hold ids or codes, and fields that hold long prose. Every other string is
   short text. */
static const struct {
    const char *name;
    s_text_t kind;
} s_text_kinds[] = {
    {"event_id", S_TEXT_ID},       {"unit", S_TEXT_ID},
    {"case_no", S_TEXT_ID},        {"matter_id", S_TEXT_ID},
    {"info_id", S_TEXT_ID},        {"supersedes_event_id", S_TEXT_ID},
    {"region", S_TEXT_ID},         {"decision_no", S_TEXT_ID},
    {"supervision_no", S_TEXT_ID}, {"period", S_TEXT_ID},
    {"campaign_tag", S_TEXT_ID},   {"platform_ids", S_TEXT_ID},
    {"involved_units", S_TEXT_ID}, {"related_case_nos", S_TEXT_ID},
    {"summary", S_TEXT_LONG},      {"narrative", S_TEXT_LONG},
    {"body", S_TEXT_LONG},
};

size_t
dajia_rules_text_limit(const char *name)
{
    for (size_t i = 0; i < sizeof s_text_kinds / sizeof s_text_kinds[0]; i++) {
        /* The first byte rules out almost every entry without a call. */
        if (s_text_kinds[i].name[0] == name[0] && strcmp(s_text_kinds[i].name, name) == 0)
            return s_text_kinds[i].kind == S_TEXT_ID ? DAJIA_MAX_ID : DAJIA_MAX_LONG_TEXT;
    }
    return DAJIA_MAX_SHORT_TEXT;
}

bool
dajia_rules_region_prefix_valid(const char *prefix)
{
    size_t len = prefix ? strlen(prefix) : 0;
    if (len != 2 && len != 4 && len != DAJIA_RULES_REGION_DIGITS)
        return false;
    for (size_t i = 0; i < len; i++)
        if (prefix[i] < '0' || prefix[i] > '9')
            return false;
    return true;
}

bool
dajia_rules_region_valid(const char *region, size_t len, const char *prefix)
{
    if (len != DAJIA_RULES_REGION_DIGITS)
        return false;
    for (size_t i = 0; i < len; i++)
        if (region[i] < '0' || region[i] > '9')
            return false;
    size_t plen = prefix ? strlen(prefix) : 0;
    return plen <= len && memcmp(region, prefix ? prefix : "", plen) == 0;
}

bool
dajia_rules_period_valid(const char *period, size_t len)
{
    dajia_time_period_t p;
    return dajia_time_period_parse(period, len, &p) == 0 && p.unit != DAJIA_TIME_YEAR;
}
