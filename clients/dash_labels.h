/*  dash_labels: the one set of words the dashboard names that proto/dajia_labels.h does
    not: the short names of the escalation rules, in Chinese and English. Every other
    label (enums, money, figures, channels, compliance, dates, periods, member units)
    comes from proto/dajia_labels.h, as for the other programs.
*/
#ifndef DASH_LABELS_H
#define DASH_LABELS_H

#include "dajia_labels.h"

/* The short name of an escalation rule ("E3" -> "案值重大", "OVERDUE-7D" -> "进展逾期");
   a rule it does not know gives the rule itself, NULL "未知" / "unknown". Static. */
const char *
dash_label_rule(const char *rule, dajia_lang_t lang);

#endif
