/*  dajia_labels: the words a person reads for the schema's values, in Chinese or English.

    Escalation reasons, notices, bulletins, dashboards and the field reference all speak
    of the same things: case categories, stages, linkage steps, amounts of money, member
    units, dates. This module holds each of those words once, in the two languages the
    project speaks: Chinese (the default, in the words of Chinese IP-enforcement practice)
    and English (by a setting, for operators and tests).

    Every lookup returns static text and never NULL: a value this module does not know
    (a newer schema, a corrupt number, an unknown member code) gets a fallback that says
    what it was (the value's name, the field name, the unit code) or "未知" / "unknown".
    Every formatter writes into the caller's buffer and returns it; DAJIA_LABEL_TEXT_MAX
    bytes hold any text they write. A buffer too small for the text gets "" (an empty
    cell rather than a number cut short, which would read as a different number).

    All functions are pure and thread-safe: no locale, no allocation, no global state.
*/
#ifndef DAJIA_LABELS_H
#define DAJIA_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "dajia_time.h"

// ================================================================= language

typedef enum {
    DAJIA_LANG_ZH = 0, /* Chinese, the default */
    DAJIA_LANG_EN = 1,
} dajia_lang_t;

#define DAJIA_LANG_DEFAULT  DAJIA_LANG_ZH
/* The forms dajia_lang_parse accepts, for an error message ("... must be zh or en"). */
#define DAJIA_LANG_ACCEPTED "zh or en"

/* Reads a setting's value: "zh" or "en", exactly (lower case, no spaces). Returns 0 and
   sets *lang, or -EINVAL (NULL, "", "ZH", "zh-CN", anything else) leaving *lang as it
   was. */
int
dajia_lang_parse(const char *text, dajia_lang_t *lang);

/* "zh" or "en" (the setting's value); a value outside the enum gives "zh". */
const char *
dajia_lang_name(dajia_lang_t lang);

/* Bytes that hold any text a formatter below writes, with the NUL. */
#define DAJIA_LABEL_TEXT_MAX 64

// ============================================================ schema enums

/* The label of `value` of any enum of proto/dajia.proto, looked up by its protobuf-c
   descriptor: dajia_label_enum(&dajia__case_stage__descriptor, DAJIA__CASE_STAGE__
   CASE_STAGE_FILED, DAJIA_LANG_ZH) is "立案". English labels are in lower case, as they
   stand inside a sentence ("filed"). Every *_UNSPECIFIED value is "未注明" /
   "unspecified". Fallbacks: a value the descriptor knows but this module has no label
   for gives the value's name ("CASE_STAGE_FILED"); a number the descriptor does not
   know, or a NULL descriptor, gives "未知" / "unknown". Static; never NULL. */
const char *
dajia_label_enum(const ProtobufCEnumDescriptor *desc, int value, dajia_lang_t lang);

// =================================================================== money

/* Money in fen (1 yuan = 100 fen) as a person reads it, with thousands separators:
     Chinese: below 10,000 yuan in 元, exact:            "8,640.00元", "0.01元"
              from 10,000 yuan (either sign) in 万元,     "1.00万元", "86.40万元",
              two decimals, rounded half away from zero "1,234.56万元", "-86.40万元"
     English: always in yuan, exact:                     "86,400.00 yuan"
   A negative amount starts with "-". Exact for every int64 (INT64_MIN included).
   Returns buf ("" when the text does not fit in `len`). */
char *
dajia_label_money(int64_t fen, dajia_lang_t lang, char *buf, size_t len);

/* Money in 万元 (10,000 yuan), the number only, for the cells of a statistics table
   whose header names the unit (dajia_label_wan_unit): two decimals, rounded half away
   from zero, with thousands separators, the same in both languages: 864,000 fen ->
   "0.86", 0 -> "0.00", 1,234,560,000 fen -> "1,234.56". An amount that rounds to zero
   is "0.00", never "-0.00". Returns buf ("" when it does not fit). For machine-readable
   output (CSV, JSON) give fen instead: rounded cells do not add up to a rounded total. */
char *
dajia_label_money_wan(int64_t fen, char *buf, size_t len);

/* The unit of dajia_label_money_wan, for a table header: "万元" / "10,000 yuan". */
const char *
dajia_label_wan_unit(dajia_lang_t lang);

// ================================================================== counts

/* What a number counts, for its unit word. */
typedef enum {
    DAJIA_MEASURE_NUMBER = 0, /* a bare number: "1,234" in both languages */
    DAJIA_MEASURE_FEN,        /* money: as dajia_label_money */
    DAJIA_MEASURE_CASES,      /* 件 / case(s) */
    DAJIA_MEASURE_PERSONS,    /* 人 / person(s) */
    DAJIA_MEASURE_DENS,       /* 个 / den(s) (窝点) */
    DAJIA_MEASURE_UNITS,      /* 家 / unit(s) (member units) */
    DAJIA_MEASURE_MATTERS,    /* 件 / matter(s) (major matters) */
    DAJIA_MEASURE_DAYS,       /* 天 / day(s) */
    DAJIA_MEASURE_HOURS,      /* 小时 / hour(s) */
} dajia_measure_t;

/* `n` with thousands separators and its unit: Chinese "1,234件", "3人", "7天"; English
   "1,234 cases", "1 case", "0 cases", "-1 case". DAJIA_MEASURE_FEN writes money as
   dajia_label_money; DAJIA_MEASURE_NUMBER (and a measure outside the enum) the bare
   number. Returns buf ("" when it does not fit). */
char *
dajia_label_quantity(int64_t n, dajia_measure_t measure, dajia_lang_t lang, char *buf, size_t len);

/* `n` with thousands separators and nothing else: "1,234", "-5". Returns buf. */
char *
dajia_label_number(int64_t n, char *buf, size_t len);

/* The unit word alone, for a table header: "件" / "cases", "人" / "persons";
   DAJIA_MEASURE_FEN gives "元" / "yuan", DAJIA_MEASURE_NUMBER "". Static. */
const char *
dajia_label_measure(dajia_measure_t measure, dajia_lang_t lang);

// ============================================================ figure names

/* The name of a figure, by the field name of the Figures message ("cases_filed" ->
   "立案数" / "cases filed"), and in *measure (may be NULL) what it counts, so a table
   walks dajia__figures__descriptor's fields and writes each cell with
   dajia_label_quantity. A name not in Figures gives the name itself and
   DAJIA_MEASURE_NUMBER; NULL gives "未知" / "unknown". Static. */
const char *
dajia_label_figure(const char *field, dajia_lang_t lang, dajia_measure_t *measure);

/* The name of a sales channel, by the field name of its flag in CaseReport and of its
   Figures in Bulletin ("ecommerce" -> "电子商务" / "e-commerce"). Fallbacks as
   dajia_label_figure. Static. */
const char *
dajia_label_channel(const char *field, dajia_lang_t lang);

/* A unit's reporting compliance state, by the name UnitCompliance.status carries:
   "on_time" 按时报送, "late" 逾期报送, "missing" 未报送, "pending" 待报送, "zero_report"
   零申报. Fallbacks as dajia_label_figure. Static. */
const char *
dajia_label_compliance(const char *status, dajia_lang_t lang);

// =================================================================== dates

/* The wall-clock date of `ms` at `offset_min` minutes east of UTC (the Office's is
   DAJIA_TIME_BEIJING_MIN): Chinese "2026年9月10日", English "2026-09-10". Returns buf
   ("" when it does not fit). */
char *
dajia_label_date(int64_t ms, int32_t offset_min, dajia_lang_t lang, char *buf, size_t len);

/* Date and minute: Chinese "2026年9月10日 08:05", English "2026-09-10 08:05". */
char *
dajia_label_minute(int64_t ms, int32_t offset_min, dajia_lang_t lang, char *buf, size_t len);

/* A period as a title names it: Chinese "2026年9月", "2026年第四季度", "2026年";
   English "September 2026", "2026 Q4", "2026". A period with its index out of range
   gives its name as dajia_time_period_format writes it. Returns buf ("" when it does
   not fit). */
char *
dajia_label_period(dajia_time_period_t period, dajia_lang_t lang, char *buf, size_t len);

// ============================================================ member units

/* A member unit: its code (as events carry it), its name, and optionally an English
   name. Borrowed strings. */
typedef struct {
    const char *code;    /* "psb" */
    const char *name;    /* "市公安局"; NULL or "": unknown */
    const char *name_en; /* "Public Security Bureau"; NULL or "": unknown */
} dajia_member_t;

/* The 23 member units of the leading group with their Chinese and English names, in the
   order the work rules list them (docs/domain.md §2): the default member list, which
   configuration may replace. Sets *count (may be NULL) to 23. Static. */
const dajia_member_t *
dajia_members_default(size_t *count);

/* The name of member `code` in `lang`, the configured list first:
     Chinese: the configured name, else the default list's name, else the code;
     English: the configured English name, else the default list's English name when the
              code is a default member whose name the configuration left as it is (or
              did not give), else the configured name, else the code.
   `configured` may be NULL (count 0): the default list alone. A NULL code gives
   "未知" / "unknown". Borrowed from `configured` or static. */
const char *
dajia_label_member(const dajia_member_t *configured, size_t count, const char *code,
                   dajia_lang_t lang);

#endif
