/*  dash_labels: the escalation rules' short names (see dash_labels.h). A rule ending in
    '-' names a family ("OVERDUE-7D", "OVERDUE-15D" are all "进展逾期"), matched by prefix.
*/
#include "dash_labels.h"

#include <stdbool.h>
#include <string.h>

typedef struct {
    const char *key;
    const char *zh;
    const char *en;
} s_rule_t;

static const s_rule_t s_rules[] = {
    {"E1", "行刑衔接", "linkage step"},
    {"E2", "危害健康安全", "health and safety"},
    {"E3", "案值重大", "case value"},
    {"E4", "跨区域涉外", "scope"},
    {"E5", "达到追诉标准", "prosecution threshold"},
    {"MM-PROGRESS", "重大事项进展", "major matter progress"},
    {"MM", "重大事项", "major matter"},
    {"OVERDUE-", "进展逾期", "overdue progress"},
    {"DEADLINE-", "衔接时限", "linkage deadline"},
};

const char *
dash_label_rule(const char *rule, dajia_lang_t lang)
{
    if (!rule)
        return lang == DAJIA_LANG_EN ? "unknown" : "未知";
    for (size_t i = 0; i < sizeof s_rules / sizeof s_rules[0]; i++) {
        size_t n = strlen(s_rules[i].key);
        bool family = s_rules[i].key[n - 1] == '-';
        if (family ? strncmp(rule, s_rules[i].key, n) == 0 : strcmp(rule, s_rules[i].key) == 0)
            return lang == DAJIA_LANG_EN ? s_rules[i].en : s_rules[i].zh;
    }
    return rule;
}
