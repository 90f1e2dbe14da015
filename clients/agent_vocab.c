/*  agent_vocab: the liaison's words for the schema's values. See agent_vocab.h.

    The label tables are indexed by the generated constants (designated initializers),
    so a label cannot sit at the wrong value; a value the schema adds later simply has
    no label here until one is written (the reader then takes its English name only,
    and tests/unit/test_agent_csv.c fails until every value has one).
*/
#include "agent_vocab.h"

#include <stdbool.h>
#include <string.h>

#include "dajia.pb-c.h"
#include "dajia_labels.h"
#include "dajia_suggest.h"

/* Longest enum value name handled, and most values of an enum searched for a hint. */
#define S_NAME_MAX   96
#define S_MAX_VALUES 32

/* The enums a liaison writes in a report: labels come from dajia_labels (one table of
   words for the whole project); these are the enums the reader accepts labels for. */
static const ProtobufCEnumDescriptor *const s_enums[] = {
    &dajia__case_category__descriptor,  &dajia__goods_category__descriptor,
    &dajia__case_stage__descriptor,     &dajia__linkage_status__descriptor,
    &dajia__region_scope__descriptor,   &dajia__supervision_level__descriptor,
    &dajia__matter_type__descriptor,    &dajia__severity__descriptor,
    &dajia__matter_request__descriptor, &dajia__matter_status__descriptor,
    &dajia__info_kind__descriptor,
};

/* GB/T 2260 codes of 信阳市 and its districts and counties. */
static const agent_vocab_region_t s_regions[] = {
    {"411500", "信阳市"}, {"411502", "浉河区"}, {"411503", "平桥区"}, {"411521", "罗山县"},
    {"411522", "光山县"}, {"411523", "新县"},   {"411524", "商城县"}, {"411525", "固始县"},
    {"411526", "潢川县"}, {"411527", "淮滨县"}, {"411528", "息县"},
};

#define S_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool
s_known(const ProtobufCEnumDescriptor *desc)
{
    for (size_t i = 0; i < S_COUNT(s_enums); i++)
        if (s_enums[i] == desc)
            return true;
    return false;
}

const char *
agent_vocab_label(const ProtobufCEnumDescriptor *desc, int value)
{
    const ProtobufCEnumValue *v =
        s_known(desc) && value > 0 ? protobuf_c_enum_descriptor_get_value(desc, value) : NULL;
    if (!v)
        return NULL;
    const char *label = dajia_label_enum(desc, value, DAJIA_LANG_ZH);
    return strcmp(label, v->name) == 0 ? NULL : label; /* the name: no label written */
}

static char
s_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* `word` in lower case with spaces and hyphens as underscores, into buf; false when it
   does not fit. */
static bool
s_normal(const char *word, char *buf, size_t size)
{
    size_t i = 0;
    for (; word[i]; i++) {
        if (i + 1 >= size)
            return false;
        char c = word[i];
        buf[i] = c == ' ' || c == '-' ? '_' : s_lower(c);
    }
    buf[i] = '\0';
    return true;
}

/* The short name of `value` (the name without its type's prefix) in lower case. The
   prefix is what the names have in common up to an underscore: every value of the
   schema's enums starts with it, the unspecified zero included. */
static const char *
s_short(const ProtobufCEnumDescriptor *desc, const ProtobufCEnumValue *value, char *buf,
        size_t size)
{
    const char *zero = desc->values[0].name;
    const char *name = value->name;
    size_t common = 0, cut = 0;
    while (zero[common] && zero[common] == name[common]) {
        if (zero[common] == '_')
            cut = common + 1;
        common++;
    }
    if (!s_normal(name + cut, buf, size))
        buf[0] = '\0';
    return buf;
}

int
agent_vocab_enum(const ProtobufCEnumDescriptor *desc, const char *word, int *value)
{
    char want[S_NAME_MAX], full[S_NAME_MAX], name[S_NAME_MAX];
    if (!desc || !word || !s_normal(word, want, sizeof want))
        return -1;
    for (unsigned i = 0; i < desc->n_values; i++) {
        const ProtobufCEnumValue *v = &desc->values[i];
        if (v->value == 0)
            continue;
        const char *label = agent_vocab_label(desc, v->value);
        bool match = strcmp(want, s_short(desc, v, name, sizeof name)) == 0 ||
                     (s_normal(v->name, full, sizeof full) && strcmp(want, full) == 0) ||
                     (label && strcmp(word, label) == 0);
        if (match) {
            *value = v->value;
            return 0;
        }
    }
    return -1;
}

const char *
agent_vocab_enum_near(const ProtobufCEnumDescriptor *desc, const char *word, char *buf, size_t size)
{
    char names[S_MAX_VALUES][S_NAME_MAX];
    dajia_suggest_t near;
    dajia_suggest_init(&near, word);
    for (unsigned i = 0; desc && i < desc->n_values && i < S_MAX_VALUES; i++) {
        const ProtobufCEnumValue *v = &desc->values[i];
        if (v->value == 0)
            continue;
        const char *label = agent_vocab_label(desc, v->value);
        if (label)
            dajia_suggest_add(&near, label);
        dajia_suggest_add(&near, s_short(desc, v, names[i], sizeof names[i]));
    }
    const char *best = dajia_suggest_best(&near);
    if (!best || strlen(best) >= size)
        return NULL;
    memcpy(buf, best, strlen(best) + 1);
    return buf;
}

const agent_vocab_unit_t *
agent_vocab_units(size_t *count)
{
    return dajia_members_default(count);
}

/* `word` without a leading `prefix`, or NULL when it does not start with it. */
static const char *
s_after(const char *word, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(word, prefix, n) == 0 ? word + n : NULL;
}

const char *
agent_vocab_unit(const char *word)
{
    if (!word || !*word)
        return NULL;
    size_t count;
    const agent_vocab_unit_t *units = agent_vocab_units(&count);
    for (size_t i = 0; i < count; i++) {
        const agent_vocab_unit_t *u = &units[i];
        const char *bare = s_after(u->name, "市"); /* 市公安局 -> 公安局 */
        const char *city = s_after(word, "信阳市");
        if (!city)
            city = s_after(word, "信阳");
        if (strcmp(word, u->code) == 0 || strcmp(word, u->name) == 0 ||
            (bare && (strcmp(word, bare) == 0 || (city && strcmp(city, bare) == 0))))
            return u->code;
    }
    return NULL;
}

const agent_vocab_region_t *
agent_vocab_regions(size_t *count)
{
    *count = S_COUNT(s_regions);
    return s_regions;
}

const char *
agent_vocab_region(const char *word)
{
    if (!word)
        return NULL;
    size_t n = strlen(word);
    bool digits = n == 6;
    for (size_t i = 0; digits && i < n; i++)
        digits = word[i] >= '0' && word[i] <= '9';
    if (digits)
        return word;
    const char *bare = s_after(word, "信阳市");
    for (size_t i = 0; i < S_COUNT(s_regions); i++)
        if (strcmp(word, s_regions[i].name) == 0 || (bare && strcmp(bare, s_regions[i].name) == 0))
            return s_regions[i].code;
    return NULL;
}
