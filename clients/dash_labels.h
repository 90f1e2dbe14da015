/*  dash_labels: the words the dashboard shows for the schema's values, in Chinese (the
    default) or English.

    LOCAL STAND-IN, TO BE REPLACED by proto/dajia_labels.{c,h}, which another branch is
    building with the same words: every function here has the signature of its
    dajia_label_* namesake (dash_label_enum is dajia_label_enum, dash_lang_t is
    dajia_lang_t, ...), so replacing this file is a rename. Only dash_label_rule (the
    escalation rules' short names) has no namesake there yet.

    Every lookup returns static text and never NULL: an unknown value gets its name or
    "未知" / "unknown". Formatters write into the caller's buffer and return it; a buffer
    too small gets "" (an empty cell, never a number cut short). Pure and thread-safe.
*/
#ifndef DASH_LABELS_H
#define DASH_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "dajia_time.h"

typedef enum {
    DASH_LANG_ZH = 0, /* Chinese, the default */
    DASH_LANG_EN = 1,
} dash_lang_t;

/* Bytes that hold any text a formatter below writes, with the NUL. */
#define DASH_LABEL_TEXT_MAX 64

/* Reads "zh" or "en". Returns 0 and sets *lang, or -EINVAL. */
int
dash_lang_parse(const char *text, dash_lang_t *lang);

/* The label of `value` of an enum of dajia.proto, by its descriptor (case and goods
   categories, severity, matter status and type, info kind, case stage). Static. */
const char *
dash_label_enum(const ProtobufCEnumDescriptor *desc, int value, dash_lang_t lang);

/* Money in 万元, the number only: two decimals rounded half away from zero, thousands
   separators: 864,000 fen -> "0.86", 1,234,560,000 fen -> "1,234.56". */
char *
dash_label_money_wan(int64_t fen, char *buf, size_t len);

/* "万元" / "10,000 yuan", for a table header. Static. */
const char *
dash_label_wan_unit(dash_lang_t lang);

/* `n` with thousands separators: "1,234", "-5". */
char *
dash_label_number(int64_t n, char *buf, size_t len);

/* The name of a field of message Figures ("cases_filed" -> "立案数"). Static. */
const char *
dash_label_figure(const char *field, dash_lang_t lang);

/* The name of a sales channel of Bulletin ("ecommerce" -> "电子商务"). Static. */
const char *
dash_label_channel(const char *field, dash_lang_t lang);

/* A reporting compliance state ("on_time" -> "按时报送"). Static. */
const char *
dash_label_compliance(const char *status, dash_lang_t lang);

/* The short name of an escalation rule ("E3" -> "案值重大", "OVERDUE-7D" -> "进展逾期");
   a rule it does not know gives the rule itself. Static. */
const char *
dash_label_rule(const char *rule, dash_lang_t lang);

/* Beijing-time dates at `offset_min`: "2026年9月10日" / "2026-09-10", and with the minute
   "2026年9月10日 08:05" / "2026-09-10 08:05". */
char *
dash_label_date(int64_t ms, int32_t offset_min, dash_lang_t lang, char *buf, size_t len);
char *
dash_label_minute(int64_t ms, int32_t offset_min, dash_lang_t lang, char *buf, size_t len);

/* A period as a title names it: "2026年9月" / "September 2026". */
char *
dash_label_period(dajia_time_period_t period, dash_lang_t lang, char *buf, size_t len);

/* A member unit: code, Chinese name, English name. Borrowed strings. */
typedef struct {
    const char *code;
    const char *name;
    const char *name_en;
} dash_member_t;

/* The 23 default member units (docs/domain.md §2), in the order of the work rules. */
const dash_member_t *
dash_members_default(size_t *count);

/* The name of member `code`: the configured list first (may be NULL, count 0), then the
   default list, then the code itself. */
const char *
dash_label_member(const dash_member_t *configured, size_t count, const char *code,
                  dash_lang_t lang);

#endif
