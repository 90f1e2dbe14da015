/*  agent_csv: case reports from CSV. See agent_csv.h.

    The reader keeps the header's columns, each bound to a field descriptor (and, for
    money, the unit its header names), splits one record at a time (RFC 4180, records
    may span lines inside quotes), converts each cell by its field's type into a jansson
    value, and writes the row's object as JSON text. What each type accepts is written
    for spreadsheets: Excel shows dates as 2026/11/3 and saves them so, or as day
    numbers; people write 是/否 and amounts with separators.
*/
#include "agent_csv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent_vocab.h"
#include "dajia.pb-c.h"
#include "dajia_money.h"
#include "dajia_suggest.h"
#include "dajia_time.h"
#include "dajia_utf8.h"

#define S_MESSAGE_MAX  640 /* one problem sentence */
#define S_HEADER_MAX   128 /* bytes of a header cell kept */
#define S_QUOTE_MAX    64  /* bytes of a cell quoted in a sentence */
#define S_MAX_COLUMNS  256 /* columns of a header */
#define S_UNKNOWN_SAID 8   /* unknown columns named one by one */

/* Excel's day 0 (1899-12-30: its day 60 is the 29th of February 1900 that never was,
   so from 1900-03-01 on the count lines up with this origin). */
#define S_EXCEL_EPOCH_DAYS (-25569)

// =================================================================== columns

static const agent_csv_column_t s_columns[] = {
    /* field, Chinese, English, other Chinese names, example, required */
    {"event_id", "事件编号", "event_id", "", "", false},
    {"unit", "报送单位", "unit", "单位|填报单位", "", false},
    {"reporter", "填报人", "reporter", "联络员", "王丽", false},
    {"occurred_at", "发生日期", "occurred_at", "发生时间|变动日期", "2026-11-03", false},
    {"region", "行政区划", "region", "行政区划代码|区划代码|所在地区", "浉河区", false},
    {"supersedes_event_id", "更正的事件编号", "supersedes_event_id", "被更正的事件编号", "", false},
    {"case_report.case_no", "案件编号", "case_no", "案号|立案编号", "信市监处罚〔2026〕118号",
     true},
    {"case_report.platform_ids", "平台编号", "platform_ids", "平台案件编号", "HN-IPR-2026-004471",
     false},
    {"case_report.case_name", "案件名称", "case_name", "案由",
     "浉河区某茶叶店销售假冒“信阳毛尖”地理标志茶叶案", false},
    {"case_report.handling_agency", "办案单位", "handling_agency", "办案机关",
     "信阳市市场监督管理局浉河分局", false},
    {"case_report.category", "案件类别", "category", "案件类型", "地理标志", true},
    {"case_report.goods", "涉案商品类别", "goods", "商品类别|涉案商品", "茶叶", false},
    {"case_report.right_holder", "权利人", "right_holder", "", "信阳市茶叶协会", false},
    {"case_report.brand", "涉案品牌", "brand", "品牌", "信阳毛尖", false},
    {"case_report.foreign_right_holder", "涉外权利人", "foreign_right_holder", "权利人为外国", "否",
     false},
    {"case_report.ecommerce", "电子商务", "ecommerce", "涉电商|是否电商", "是", false},
    {"case_report.key_physical_market", "重点实体市场", "key_physical_market", "实体市场", "否",
     false},
    {"case_report.rural", "农村地区", "rural", "农村", "否", false},
    {"case_report.import_export", "进出口", "import_export", "进出口环节", "否", false},
    {"case_report.postal_express", "寄递渠道", "postal_express", "邮政快递", "否", false},
    {"case_report.case_value_fen", "案值", "case_value", "涉案金额", "86,400.00", false},
    {"case_report.illegal_business_fen", "非法经营额", "illegal_business", "", "86,400.00", false},
    {"case_report.sales_fen", "销售金额", "sales", "销售额", "51,200.00", false},
    {"case_report.unsold_goods_value_fen", "未销售货值", "unsold_goods_value", "尚未销售货值",
     "35,200.00", false},
    {"case_report.illegal_gains_fen", "违法所得", "illegal_gains", "", "", false},
    {"case_report.fines_confiscations_fen", "罚没金额", "fines_confiscations", "罚没款", "", false},
    {"case_report.loss_recovered_fen", "挽回损失", "loss_recovered", "挽回经济损失", "", false},
    {"case_report.clue_received_at", "线索接收日期", "clue_received_at", "线索日期", "2026-10-20",
     false},
    {"case_report.filed_at", "立案日期", "filed_at", "立案时间", "2026-10-22", false},
    {"case_report.decision_no", "处罚决定书文号", "decision_no", "决定书文号", "", false},
    {"case_report.decision_at", "处罚决定日期", "decision_at", "决定日期", "", false},
    {"case_report.closed_at", "结案日期", "closed_at", "结案时间", "", false},
    {"case_report.disclosed_at", "信息公开日期", "disclosed_at", "公开日期", "", false},
    {"case_report.disclosure_url", "公开网址", "disclosure_url", "公开链接", "", false},
    {"case_report.stage", "办理阶段", "stage", "案件阶段|办案阶段", "立案", true},
    {"case_report.linkage", "两法衔接状态", "linkage", "行刑衔接状态|移送状态", "涉嫌犯罪", false},
    {"case_report.transferred_at", "移送日期", "transferred_at", "移送公安日期", "", false},
    {"case_report.receiving_police_unit", "接收公安机关", "receiving_police_unit", "", "", false},
    {"case_report.police_decision_at", "公安决定日期", "police_decision_at", "", "", false},
    {"case_report.decline_reason", "不予立案理由", "decline_reason", "", "", false},
    {"case_report.dens_destroyed", "捣毁窝点数", "dens_destroyed", "捣毁窝点", "1", false},
    {"case_report.suspects_arrested", "抓获人数", "suspects_arrested", "抓获犯罪嫌疑人数", "",
     false},
    {"case_report.suspects_detained", "刑事拘留人数", "suspects_detained", "刑拘人数", "", false},
    {"case_report.arrests_approved", "批准逮捕人数", "arrests_approved", "批捕人数", "", false},
    {"case_report.prosecuted_cases", "起诉案件数", "prosecuted_cases", "", "", false},
    {"case_report.prosecuted_persons", "起诉人数", "prosecuted_persons", "", "", false},
    {"case_report.persons_judged", "判决人数", "persons_judged", "生效判决人数", "", false},
    {"case_report.seized_quantity", "查扣数量", "seized_quantity", "查获数量", "176", false},
    {"case_report.scope", "涉及地域", "scope", "跨区域范围", "跨县区", false},
    {"case_report.health_safety", "危害健康安全", "health_safety", "涉及健康安全", "否", false},
    {"case_report.casualties", "造成人员伤亡", "casualties", "人员伤亡", "否", false},
    {"case_report.media_attention", "媒体关注", "media_attention", "舆论关注", "否", false},
    {"case_report.supervision", "督办级别", "supervision", "挂牌督办", "无", false},
    {"case_report.supervision_no", "督办文号", "supervision_no", "", "", false},
    {"case_report.involved_units", "协办单位", "involved_units", "参与成员单位", "", false},
};

#define S_NCOLUMNS (sizeof s_columns / sizeof s_columns[0])

const agent_csv_column_t *
agent_csv_columns(size_t *count)
{
    *count = S_NCOLUMNS;
    return s_columns;
}

/* What a cell of a column holds. */
typedef enum {
    S_TEXT,
    S_ENUM,
    S_BOOL,
    S_COUNT,
    S_MONEY,
    S_DATE,
    S_UNIT,
    S_REGION,
} s_kind_t;

/* One column of the header being read. */
typedef struct {
    const agent_csv_column_t *known; /* NULL: skipped */
    const ProtobufCFieldDescriptor *field;
    s_kind_t kind;
    bool repeated;
    bool in_report;   /* a field of case_report, else of the envelope */
    int64_t unit_fen; /* money: fen per unit of the cells */
    char header[S_HEADER_MAX];
} s_column_t;

struct agent_csv_t {
    const char *text;
    size_t len;
    size_t pos;
    long line; /* line of text[pos] */
    char delim;
    agent_csv_problem_fn *problem;
    void *problem_arg;
    s_column_t *columns;
    size_t ncolumns;
    /* the current record: cells as NUL-terminated strings in `buf` */
    char *buf;
    size_t buf_len, buf_cap;
    size_t *cells; /* offsets into buf */
    size_t ncells, cells_cap;
    int problems; /* of the current row */
};

// ================================================================== helpers

static bool
s_ends_with(const char *text, const char *suffix)
{
    size_t n = strlen(text), m = strlen(suffix);
    return n >= m && strcmp(text + n - m, suffix) == 0;
}

/* The field descriptor of a path of s_columns ("case_report.stage" or "unit"). */
static const ProtobufCFieldDescriptor *
s_descriptor(const char *path, bool *in_report)
{
    const char *dot = strchr(path, '.');
    *in_report = dot != NULL;
    if (dot)
        return protobuf_c_message_descriptor_get_field_by_name(&dajia__case_report__descriptor,
                                                               dot + 1);
    return protobuf_c_message_descriptor_get_field_by_name(&dajia__envelope__descriptor, path);
}

static s_kind_t
s_kind_of(const ProtobufCFieldDescriptor *field)
{
    switch (field->type) {
    case PROTOBUF_C_TYPE_BOOL:
        return S_BOOL;
    case PROTOBUF_C_TYPE_ENUM:
        return S_ENUM;
    case PROTOBUF_C_TYPE_STRING:
        if (strcmp(field->name, "unit") == 0 || strcmp(field->name, "involved_units") == 0)
            return S_UNIT;
        return strcmp(field->name, "region") == 0 ? S_REGION : S_TEXT;
    default:
        if (s_ends_with(field->name, "_fen"))
            return S_MONEY;
        return s_ends_with(field->name, "_at") ? S_DATE : S_COUNT;
    }
}

static bool
s_is_money(const agent_csv_column_t *c)
{
    return s_ends_with(c->field, "_fen");
}

/* Copies `text` for quoting: at most S_QUOTE_MAX bytes, cut at a character boundary. */
static const char *
s_quote(const char *text, char *buf, size_t size)
{
    size_t n = strlen(text), used = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (used < n) {
        size_t seq = dajia_utf8_seq(p + used, n - used);
        if (seq == 0 || used + seq + 4 >= size)
            break;
        used += seq;
    }
    memcpy(buf, text, used);
    if (used < n)
        memcpy(buf + used, "...", 4);
    else
        buf[used] = '\0';
    return buf;
}

static void
s_problem(agent_csv_t *self, long line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
s_problem(agent_csv_t *self, long line, const char *field, const char *fmt, ...)
{
    char message[S_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    message[dajia_utf8_check(message, strlen(message))] = '\0';
    self->problems++;
    if (self->problem)
        self->problem(line, field, message, self->problem_arg);
}

/* Normalises a header cell: spaces dropped, full-width parentheses made ASCII, ASCII
   letters in lower case. */
static void
s_normal_header(const char *cell, char *buf, size_t size)
{
    size_t o = 0;
    for (const char *p = cell; *p && o + 4 < size;) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            p++;
        } else if (strncmp(p, "（", strlen("（")) == 0) {
            buf[o++] = '(';
            p += strlen("（");
        } else if (strncmp(p, "）", strlen("）")) == 0) {
            buf[o++] = ')';
            p += strlen("）");
        } else {
            char c = *p++;
            buf[o++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        }
    }
    buf[o] = '\0';
}

/* Is `name` one of the "|"-separated `aliases`? */
static bool
s_in_aliases(const char *aliases, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = aliases; *p;) {
        const char *bar = strchr(p, '|');
        size_t m = bar ? (size_t)(bar - p) : strlen(p);
        if (m == n && memcmp(p, name, n) == 0)
            return true;
        p += m + (bar ? 1 : 0);
    }
    return false;
}

/* The known column a normalised header names, and the unit its name gives (0: none). */
static const agent_csv_column_t *
s_match_header(const char *header, int64_t *unit_fen)
{
    static const struct {
        const char *suffix;
        int64_t unit;
    } units[] = {{"(万元)", DAJIA_MONEY_WAN}, {"(元)", DAJIA_MONEY_YUAN},
                 {"(分)", DAJIA_MONEY_FEN},   {"_yuan", DAJIA_MONEY_YUAN},
                 {"_wan", DAJIA_MONEY_WAN},   {"_fen", DAJIA_MONEY_FEN}};
    char base[S_HEADER_MAX];
    snprintf(base, sizeof base, "%s", header);
    *unit_fen = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (s_ends_with(base, units[i].suffix)) {
            base[strlen(base) - strlen(units[i].suffix)] = '\0';
            *unit_fen = units[i].unit;
            break;
        }
    for (size_t i = 0; i < S_NCOLUMNS; i++) {
        const agent_csv_column_t *c = &s_columns[i];
        if (strcmp(base, c->zh) == 0 || strcmp(base, c->en) == 0 || s_in_aliases(c->aliases, base))
            return c;
    }
    /* A header that is a field name ending in a unit of its own ("filed_at"): no unit. */
    *unit_fen = 0;
    for (size_t i = 0; i < S_NCOLUMNS; i++)
        if (strcmp(header, s_columns[i].en) == 0)
            return &s_columns[i];
    return NULL;
}

/* The header a template writes for a column. */
static void
s_display(const agent_csv_column_t *c, bool chinese, char *buf, size_t size)
{
    if (chinese)
        snprintf(buf, size, "%s%s", c->zh, s_is_money(c) ? "（元）" : "");
    else
        snprintf(buf, size, "%s%s", c->en, s_is_money(c) ? "_yuan" : "");
}

/* "did you mean ...?" for a header no column has: the nearest name of any column. */
static const char *
s_header_hint(const char *header, char *buf, size_t size)
{
    char names[S_NCOLUMNS * 2][S_HEADER_MAX];
    dajia_suggest_t near;
    dajia_suggest_init(&near, header);
    for (size_t i = 0; i < S_NCOLUMNS; i++) {
        s_display(&s_columns[i], true, names[2 * i], sizeof names[0]);
        s_display(&s_columns[i], false, names[2 * i + 1], sizeof names[0]);
        dajia_suggest_add(&near, names[2 * i]);
        dajia_suggest_add(&near, names[2 * i + 1]);
    }
    if (dajia_suggest_best(&near))
        snprintf(buf, size, "; did you mean \"%s\"?", dajia_suggest_best(&near));
    else
        buf[0] = '\0';
    return buf;
}

// ================================================================== records

static int
s_buf_put(agent_csv_t *self, const char *bytes, size_t n)
{
    if (self->buf_len + n + 1 > self->buf_cap) {
        size_t cap = self->buf_cap ? self->buf_cap : 1024;
        while (cap < self->buf_len + n + 1)
            cap *= 2;
        char *buf = realloc(self->buf, cap);
        if (!buf)
            return -ENOMEM;
        self->buf = buf;
        self->buf_cap = cap;
    }
    memcpy(self->buf + self->buf_len, bytes, n);
    self->buf_len += n;
    return 0;
}

static int
s_cell_start(agent_csv_t *self)
{
    if (self->ncells == self->cells_cap) {
        size_t cap = self->cells_cap ? self->cells_cap * 2 : 64;
        size_t *cells = realloc(self->cells, cap * sizeof *cells);
        if (!cells)
            return -ENOMEM;
        self->cells = cells;
        self->cells_cap = cap;
    }
    self->cells[self->ncells++] = self->buf_len;
    return 0;
}

static const char *
s_cell(const agent_csv_t *self, size_t i)
{
    return i < self->ncells ? self->buf + self->cells[i] : "";
}

/* Reads the next record into the cells. Returns 1, 0 at the end of the text, -ENOMEM. */
static int
s_record(agent_csv_t *self)
{
    self->buf_len = 0;
    self->ncells = 0;
    if (self->pos >= self->len)
        return 0;
    const char *t = self->text;
    size_t i = self->pos;
    int rc = s_cell_start(self);
    bool quoted = false, at_start = true;
    while (rc == 0 && i < self->len) {
        char c = t[i];
        if (quoted) {
            if (c == '"' && i + 1 < self->len && t[i + 1] == '"') {
                rc = s_buf_put(self, "\"", 1);
                i += 2;
                continue;
            }
            if (c == '"') {
                quoted = false;
                i++;
                continue;
            }
            if (c == '\n')
                self->line++;
            if (c != '\r')
                rc = s_buf_put(self, &c, 1);
            i++;
            continue;
        }
        if (c == '"' && at_start) {
            quoted = true;
            at_start = false;
            i++;
            continue;
        }
        if (c == self->delim) {
            rc = s_buf_put(self, "", 1);
            if (rc == 0)
                rc = s_cell_start(self);
            at_start = true;
            i++;
            continue;
        }
        if (c == '\n' || c == '\r') {
            i += c == '\r' && i + 1 < self->len && t[i + 1] == '\n' ? 2 : 1;
            self->line++;
            break;
        }
        rc = s_buf_put(self, &c, 1);
        at_start = false;
        i++;
    }
    if (rc == 0)
        rc = s_buf_put(self, "", 1);
    self->pos = i;
    return rc ? rc : 1;
}

/* Trims spaces (ASCII and the full-width space) at both ends of a cell, in place. */
static char *
s_trim(char *cell)
{
    static const char ideographic_space[] = "\xE3\x80\x80";
    for (;;) {
        if (*cell == ' ' || *cell == '\t')
            cell++;
        else if (strncmp(cell, ideographic_space, 3) == 0)
            cell += 3;
        else
            break;
    }
    size_t n = strlen(cell);
    for (;;) {
        if (n > 0 && (cell[n - 1] == ' ' || cell[n - 1] == '\t' || cell[n - 1] == '\n'))
            n--;
        else if (n >= 3 && memcmp(cell + n - 3, ideographic_space, 3) == 0)
            n -= 3;
        else
            break;
    }
    cell[n] = '\0';
    return cell;
}

// ===================================================================== cells

/* Reads an unsigned number of digits at *p (at most `max` digits); -1 when none. */
static long long
s_digits(const char **p, int max)
{
    long long v = 0;
    int n = 0;
    while (**p >= '0' && **p <= '9' && n < max) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    return n ? v : -1;
}

static bool
s_skip(const char **p, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(*p, word, n) != 0)
        return false;
    *p += n;
    return true;
}

/* A date as spreadsheets write it, with an optional time and zone; Beijing time when
   no zone is given. Returns 0 and sets *ms, or -1. */
static int
s_parse_date(const char *text, int64_t *ms)
{
    const char *p = text;
    dajia_time_civil_t civil = {0};
    int32_t offset = DAJIA_TIME_BEIJING_MIN;
    size_t n = strlen(text);
    bool all_digits = n > 0;
    int dots = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '.')
            dots++;
        else if (text[i] < '0' || text[i] > '9')
            all_digits = false;
    }
    if (all_digits && n == 8 && dots == 0) {
        /* 20261103 */
        civil.year = s_digits(&p, 4);
        civil.month = (int)s_digits(&p, 2);
        civil.day = (int)s_digits(&p, 2);
    } else if (all_digits && dots <= 1 && text[0] != '.' && strchr(text, '.') != text + n - 1 &&
               (strchr(text, '.') ? (size_t)(strchr(text, '.') - text) : n) <= 6) {
        /* An Excel day number, with the time of day as its fraction. */
        long long days = s_digits(&p, 6);
        double fraction = 0;
        if (*p == '.')
            fraction = strtod(p, NULL);
        if (days < 1)
            return -1;
        int64_t day_ms = (int64_t)((days + S_EXCEL_EPOCH_DAYS) * DAJIA_TIME_MS_PER_DAY);
        int64_t in_day = (int64_t)(fraction * (double)DAJIA_TIME_MS_PER_DAY + 0.5);
        *ms = day_ms + in_day - (int64_t)offset * DAJIA_TIME_MS_PER_MIN;
        return 0;
    } else {
        civil.year = s_digits(&p, 4);
        if (civil.year < 0)
            return -1;
        bool chinese = s_skip(&p, "年");
        if (!chinese && *p != '-' && *p != '/' && *p != '.')
            return -1;
        char sep = chinese ? 0 : *p++;
        civil.month = (int)s_digits(&p, 2);
        if (chinese ? !s_skip(&p, "月") : *p++ != sep)
            return -1;
        civil.day = (int)s_digits(&p, 2);
        if (chinese)
            s_skip(&p, "日");
    }
    if (civil.year < 1000 || civil.month < 1 || civil.month > 12 || civil.day < 1 ||
        civil.day > dajia_time_days_in_month(civil.year, civil.month))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        while (*p == ' ')
            p++;
        if (*p == 'T' || *p == 't')
            p++;
        long long hour = s_digits(&p, 2), minute = -1, second = 0;
        if (hour >= 0 && (*p == ':' || s_skip(&p, "："))) {
            if (*p == ':')
                p++;
            minute = s_digits(&p, 2);
        }
        if (minute >= 0 && *p == ':') {
            p++;
            second = s_digits(&p, 2);
            if (*p == '.')
                for (p++; *p >= '0' && *p <= '9'; p++)
                    ;
        }
        if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59)
            return -1;
        civil.hour = (int)hour;
        civil.minute = (int)minute;
        civil.second = (int)second;
        if (*p == 'Z' || *p == 'z') {
            offset = 0;
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1;
            long long oh = s_digits(&p, 2), om = 0;
            if (*p == ':')
                p++;
            if (*p)
                om = s_digits(&p, 2);
            if (oh < 0 || oh > 23 || om < 0 || om > 59)
                return -1;
            offset = (int32_t)(sign * (oh * 60 + om));
        }
    }
    while (*p == ' ')
        p++;
    if (*p)
        return -1;
    *ms = dajia_time_from_civil(&civil, offset);
    return 0;
}

/* A count: digits with optional separators, a zero fraction (3.0, as Excel writes), and
   a unit word after it ("3人", "176盒"). Returns 0 and sets *v, or -1. */
static int
s_parse_count(const char *text, long long *v)
{
    const char *p = text;
    bool negative = *p == '-';
    if (negative)
        p++;
    long long n = 0;
    int digits = 0;
    for (; (*p >= '0' && *p <= '9') || (*p == ',' && digits > 0); p++) {
        if (*p == ',')
            continue;
        if (n > (INT64_MAX - 9) / 10)
            return -1;
        n = n * 10 + (*p - '0');
        digits++;
    }
    if (digits == 0)
        return -1;
    if (*p == '.')
        for (p++; *p == '0'; p++)
            ;
    while (*p == ' ')
        p++;
    /* What follows may be a unit word, never ASCII. */
    for (; *p; p++)
        if ((unsigned char)*p < 0x80)
            return -1;
    *v = negative ? -n : n;
    return 0;
}

static int
s_parse_bool(const char *text, bool *v)
{
    static const char *const yes[] = {"是", "有", "y", "yes", "true", "1", "√", "✓", "涉及"};
    static const char *const no[] = {"否", "无", "n", "no", "false", "0", "×", "✗", "不涉及"};
    char lower[16];
    size_t n = strlen(text);
    if (n >= sizeof lower)
        return -1;
    for (size_t i = 0; i <= n; i++)
        lower[i] = text[i] >= 'A' && text[i] <= 'Z' ? (char)(text[i] - 'A' + 'a') : text[i];
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(lower, yes[i]) == 0) {
            *v = true;
            return 0;
        }
        if (strcmp(lower, no[i]) == 0) {
            *v = false;
            return 0;
        }
    }
    return -1;
}

/* Converts one item of a cell into a JSON value, or passes a problem and returns NULL. */
static json_t *
s_value(agent_csv_t *self, long line, const s_column_t *col, const char *item)
{
    char quote[S_QUOTE_MAX], near[S_HEADER_MAX];
    const char *name = col->header;
    const ProtobufCFieldDescriptor *field = col->field;
    switch (col->kind) {
    case S_TEXT:
        return json_string(item);
    case S_UNIT: {
        const char *code = agent_vocab_unit(item);
        bool ascii = true;
        for (const char *p = item; *p; p++)
            ascii = ascii && (unsigned char)*p < 0x80;
        if (code || ascii)
            return json_string(code ? code : item);
        s_problem(self, line, col->known->field,
                  "column %s: \"%s\" is not a member unit; write its code or its name, e.g. msa "
                  "or 市市场监管局 (`dajia-agent --help` lists them)",
                  name, s_quote(item, quote, sizeof quote));
        return NULL;
    }
    case S_REGION: {
        const char *code = agent_vocab_region(item);
        if (code)
            return json_string(code);
        s_problem(self, line, col->known->field,
                  "column %s: \"%s\" is neither a region code of six digits nor the name of a "
                  "district or county of Xinyang (浉河区 411502, 平桥区 411503, 罗山县 411521, ... "
                  "docs/fields.md lists them)",
                  name, s_quote(item, quote, sizeof quote));
        return NULL;
    }
    case S_ENUM: {
        int value = 0;
        const ProtobufCEnumDescriptor *desc = field->descriptor;
        if (agent_vocab_enum(desc, item, &value) == 0)
            return json_string(protobuf_c_enum_descriptor_get_value(desc, value)->name);
        if (agent_vocab_enum_near(desc, item, near, sizeof near))
            s_problem(self, line, col->known->field,
                      "column %s: \"%s\" is not a value of %s; did you mean \"%s\"?", name,
                      s_quote(item, quote, sizeof quote), desc->short_name, near);
        else
            s_problem(self, line, col->known->field,
                      "column %s: \"%s\" is not a value of %s; docs/fields.md lists its values",
                      name, s_quote(item, quote, sizeof quote), desc->short_name);
        return NULL;
    }
    case S_BOOL: {
        bool v = false;
        if (s_parse_bool(item, &v) == 0)
            return json_boolean(v);
        s_problem(self, line, col->known->field,
                  "column %s: \"%s\" is neither yes nor no; write 是 or 否", name,
                  s_quote(item, quote, sizeof quote));
        return NULL;
    }
    case S_COUNT: {
        long long v = 0;
        if (s_parse_count(item, &v) == 0)
            return json_integer(v);
        s_problem(self, line, col->known->field, "column %s: \"%s\" is not a whole number", name,
                  s_quote(item, quote, sizeof quote));
        return NULL;
    }
    case S_MONEY: {
        int64_t fen = 0;
        int rc = dajia_money_parse(item, col->unit_fen, &fen);
        if (rc == 0)
            return json_integer(fen);
        const char *unit = col->unit_fen == DAJIA_MONEY_WAN    ? "万元 (10,000 yuan), e.g. 8.64"
                           : col->unit_fen == DAJIA_MONEY_YUAN ? "yuan, e.g. 86,400.00"
                                                               : "fen, e.g. 8640000";
        if (rc == -EDOM)
            s_problem(self, line, col->known->field,
                      "column %s: \"%s\" has a fraction of a fen; the column is in %s", name,
                      s_quote(item, quote, sizeof quote), unit);
        else
            s_problem(self, line, col->known->field, "column %s: \"%s\" is not an amount in %s",
                      name, s_quote(item, quote, sizeof quote), unit);
        return NULL;
    }
    case S_DATE: {
        int64_t ms = 0;
        char when[DAJIA_TIME_TEXT_MAX];
        if (s_parse_date(item, &ms) == 0)
            return json_string(dajia_time_format(ms, when, sizeof when));
        s_problem(self, line, col->known->field,
                  "column %s: \"%s\" is not a date; write e.g. 2026-11-03, 2026/11/3 or "
                  "2026-11-03 09:30 (Beijing time)",
                  name, s_quote(item, quote, sizeof quote));
        return NULL;
    }
    }
    return NULL;
}

/* Splits a list cell at 、 ; ； , ， | and line breaks, converting each item. */
static json_t *
s_list(agent_csv_t *self, long line, const s_column_t *col, char *cell)
{
    static const char *const seps[] = {"、", "；", "，", ";", ",", "|", "\n"};
    json_t *array = json_array();
    if (!array)
        return NULL;
    char *p = cell;
    while (*p) {
        char *end = NULL;
        size_t sep_len = 0;
        for (size_t i = 0; i < sizeof seps / sizeof seps[0]; i++) {
            char *at = strstr(p, seps[i]);
            if (at && (!end || at < end)) {
                end = at;
                sep_len = strlen(seps[i]);
            }
        }
        char saved = 0;
        if (end) {
            saved = *end;
            *end = '\0';
        }
        char *item = s_trim(p);
        if (*item) {
            json_t *v = s_value(self, line, col, item);
            if (v)
                json_array_append_new(array, v);
        }
        if (!end)
            break;
        *end = saved;
        p = end + sep_len;
    }
    return array;
}

// =================================================================== public

static char
s_pick_delim(const char *text, size_t len)
{
    size_t counts[3] = {0, 0, 0};
    const char delims[3] = {',', '\t', ';'};
    bool quoted = false;
    for (size_t i = 0; i < len && (quoted || (text[i] != '\n' && text[i] != '\r')); i++) {
        if (text[i] == '"')
            quoted = !quoted;
        for (int d = 0; d < 3 && !quoted; d++)
            if (text[i] == delims[d])
                counts[d]++;
    }
    int best = 0;
    for (int d = 1; d < 3; d++)
        if (counts[d] > counts[best])
            best = d;
    return delims[best];
}

bool
agent_csv_sniff(const char *text, size_t len)
{
    agent_csv_t probe = {.text = text, .len = len, .delim = s_pick_delim(text, len)};
    bool known = false;
    if (s_record(&probe) == 1)
        for (size_t i = 0; i < probe.ncells && !known; i++) {
            char header[S_HEADER_MAX];
            int64_t unit = 0;
            s_normal_header(s_cell(&probe, i), header, sizeof header);
            known = s_match_header(header, &unit) != NULL;
        }
    free(probe.buf);
    free(probe.cells);
    return known;
}

static bool
s_skipped_header(const char *header)
{
    return header[0] == '#' || strcmp(header, "序号") == 0 || strcmp(header, "备注") == 0 ||
           strcmp(header, "no.") == 0 || strcmp(header, "remarks") == 0;
}

/* Checks the header's columns; passes each problem. Returns 0, -1 or -ENOMEM. */
static int
s_read_header(agent_csv_t *self)
{
    int rc = s_record(self);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        s_problem(self, 1, "",
                  "the file is empty; the first row names the columns (docs/fields.md)");
        return -1;
    }
    if (self->ncells > S_MAX_COLUMNS) {
        s_problem(self, 1, "", "the header has %zu columns, more than the %d the agent reads",
                  self->ncells, S_MAX_COLUMNS);
        return -1;
    }
    self->columns = calloc(self->ncells, sizeof *self->columns);
    if (!self->columns)
        return -ENOMEM;
    self->ncolumns = self->ncells;
    bool failed = false;
    size_t unknown = 0;
    char quote[S_QUOTE_MAX], hint[S_HEADER_MAX + 32];
    for (size_t i = 0; i < self->ncells; i++) {
        s_column_t *col = &self->columns[i];
        char *cell = s_trim(self->buf + self->cells[i]);
        char header[S_HEADER_MAX];
        snprintf(col->header, sizeof col->header, "%s", cell);
        col->header[dajia_utf8_check(col->header, strlen(col->header))] = '\0';
        s_normal_header(cell, header, sizeof header);
        if (!header[0] || s_skipped_header(header))
            continue;
        int64_t unit = 0;
        const agent_csv_column_t *known = s_match_header(header, &unit);
        if (!known) {
            /* A row of data taken for a header would give a sentence per cell: the
               first few say enough. */
            if (++unknown <= S_UNKNOWN_SAID)
                s_problem(self, 1, "",
                          "column %zu \"%s\" is not a column the agent knows%s (docs/fields.md "
                          "lists the columns; a column whose name starts with # is skipped)",
                          i + 1, s_quote(cell, quote, sizeof quote),
                          s_header_hint(header, hint, sizeof hint));
            failed = true;
            continue;
        }
        if (s_is_money(known) && unit == 0) {
            s_problem(self, 1, "",
                      "column %zu \"%s\": say the unit of the amounts in the column's name: "
                      "%s（元）, %s（万元） or %s（分）, or %s_yuan, %s_wan or %s_fen",
                      i + 1, s_quote(cell, quote, sizeof quote), known->zh, known->zh, known->zh,
                      known->en, known->en, known->en);
            failed = true;
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (self->columns[j].known == known) {
                s_problem(self, 1, "", "columns %zu \"%s\" and %zu \"%s\" both give %s", j + 1,
                          self->columns[j].header, i + 1, col->header, known->field);
                failed = true;
            }
        col->known = known;
        col->field = s_descriptor(known->field, &col->in_report);
        col->kind = s_kind_of(col->field);
        col->repeated = col->field->label == PROTOBUF_C_LABEL_REPEATED;
        col->unit_fen = unit;
    }
    if (unknown > S_UNKNOWN_SAID)
        s_problem(self, 1, "", "and %zu more columns the agent does not know",
                  unknown - S_UNKNOWN_SAID);
    for (size_t k = 0; k < S_NCOLUMNS; k++) {
        if (!s_columns[k].required)
            continue;
        bool present = false;
        for (size_t i = 0; i < self->ncolumns; i++)
            present = present || self->columns[i].known == &s_columns[k];
        if (!present) {
            s_problem(self, 1, "",
                      "the header has no column %s (%s), which every case report needs",
                      s_columns[k].zh, s_columns[k].en);
            failed = true;
        }
    }
    return failed ? -1 : 0;
}

int
agent_csv_open(const char *text, size_t len, agent_csv_problem_fn *problem, void *arg,
               agent_csv_t **out)
{
    agent_csv_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    self->text = text;
    self->len = len;
    self->line = 1;
    self->problem = problem;
    self->problem_arg = arg;
    self->delim = s_pick_delim(text, len);
    int rc = s_read_header(self);
    if (rc) {
        agent_csv_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

void
agent_csv_destroy(agent_csv_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    agent_csv_t *self = *self_p;
    free(self->columns);
    free(self->buf);
    free(self->cells);
    free(self);
    *self_p = NULL;
}

/* Sets `key` of `object` to `value` (stolen); false when memory ran out. */
static bool
s_set(json_t *object, const char *key, json_t *value)
{
    return value && json_object_set_new(object, key, value) == 0;
}

int
agent_csv_next(agent_csv_t *self, char **json, long *line, int *problems)
{
    for (;;) {
        long start = self->line;
        int rc = s_record(self);
        if (rc <= 0)
            return rc;
        bool any = false;
        for (size_t i = 0; i < self->ncells && !any; i++)
            any =
                i < self->ncolumns && self->columns[i].known && *s_trim(self->buf + self->cells[i]);
        if (!any)
            continue; /* an empty row, or one with only skipped columns */

        self->problems = 0;
        json_t *env = json_object(), *report = json_object();
        bool ok = env && report;
        int64_t latest = INT64_MIN;
        bool has_occurred = false;
        for (size_t i = 0; ok && i < self->ncells; i++) {
            char *cell = s_trim(self->buf + self->cells[i]);
            if (!*cell)
                continue;
            if (i >= self->ncolumns) {
                s_problem(self, start, "",
                          "cell %zu is beyond the header's %zu columns; give its column a name",
                          i + 1, self->ncolumns);
                continue;
            }
            const s_column_t *col = &self->columns[i];
            if (!col->known)
                continue;
            json_t *value =
                col->repeated ? s_list(self, start, col, cell) : s_value(self, start, col, cell);
            if (!value)
                continue;
            if (col->kind == S_DATE && !col->repeated) {
                int64_t ms = 0;
                dajia_time_parse(json_string_value(value), &ms);
                if (strcmp(col->field->name, "occurred_at") == 0)
                    has_occurred = true;
                else if (ms > latest)
                    latest = ms;
            }
            ok = s_set(col->in_report ? report : env, col->field->name, value);
        }
        if (ok && !has_occurred && latest != INT64_MIN) {
            char when[DAJIA_TIME_TEXT_MAX];
            ok = s_set(env, "occurred_at",
                       json_string(dajia_time_format(latest, when, sizeof when)));
        }
        if (ok)
            ok = json_object_set(env, "case_report", report) == 0;
        char *text = ok ? json_dumps(env, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(report);
        json_decref(env);
        if (!text)
            return -ENOMEM;
        *json = text;
        *line = start;
        *problems = self->problems;
        return 1;
    }
}

const char *
agent_csv_column_name(const char *field)
{
    for (size_t i = 0; i < S_NCOLUMNS; i++)
        if (strcmp(s_columns[i].field, field) == 0)
            return s_columns[i].zh;
    return NULL;
}

const char *
agent_csv_column_of(const agent_csv_t *self, const char *field)
{
    /* "case_report.goods[1]" is the column of "case_report.goods". */
    size_t n = strcspn(field, "[");
    for (size_t i = 0; i < self->ncolumns; i++) {
        const agent_csv_column_t *known = self->columns[i].known;
        if (known && strlen(known->field) == n && strncmp(known->field, field, n) == 0)
            return self->columns[i].header;
    }
    return NULL;
}

/* Appends one CSV cell, quoted when it holds a delimiter, a quote or a line break. */
static bool
s_put_cell(char **buf, size_t *len, size_t *cap, const char *cell, bool first)
{
    size_t need = strlen(cell) * 2 + 4;
    if (*len + need + 2 > *cap) {
        size_t bigger = (*cap ? *cap : 1024) * 2 + need;
        char *grown = realloc(*buf, bigger);
        if (!grown)
            return false;
        *buf = grown;
        *cap = bigger;
    }
    char *o = *buf + *len;
    if (!first)
        *o++ = ',';
    bool quote = strpbrk(cell, ",\"\n\r") != NULL;
    if (quote)
        *o++ = '"';
    for (const char *p = cell; *p; p++) {
        if (*p == '"')
            *o++ = '"';
        *o++ = *p;
    }
    if (quote)
        *o++ = '"';
    *o = '\0';
    *len = (size_t)(o - *buf);
    return true;
}

/* The example of column `c` in English: an enum's value name instead of its label,
   yes or no, a region's code. */
static const char *
s_example_en(const agent_csv_column_t *c, char *buf, size_t size)
{
    bool in_report = false, v = false;
    const ProtobufCFieldDescriptor *field = s_descriptor(c->field, &in_report);
    int value = 0;
    if (field->type == PROTOBUF_C_TYPE_ENUM &&
        agent_vocab_enum(field->descriptor, c->example, &value) == 0) {
        const ProtobufCEnumDescriptor *desc = field->descriptor;
        const char *full = protobuf_c_enum_descriptor_get_value(desc, value)->name;
        const char *zero = desc->values[0].name;
        size_t cut = 0, n = 0;
        for (size_t k = 0; zero[k] && zero[k] == full[k]; k++)
            if (zero[k] == '_')
                cut = k + 1;
        for (const char *p = full + cut; *p && n + 1 < size; p++)
            buf[n++] = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
        buf[n] = '\0';
        return buf;
    }
    if (field->type == PROTOBUF_C_TYPE_BOOL && s_parse_bool(c->example, &v) == 0)
        return v ? "yes" : "no";
    if (strcmp(c->field, "region") == 0 && agent_vocab_region(c->example))
        return agent_vocab_region(c->example);
    return c->example;
}

char *
agent_csv_template(bool chinese)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    bool ok = true;
    for (int row = 0; ok && row < 2; row++) {
        for (size_t i = 0; ok && i < S_NCOLUMNS; i++) {
            char header[S_HEADER_MAX], english[S_HEADER_MAX];
            const char *cell = s_columns[i].example;
            if (row == 0)
                cell = (s_display(&s_columns[i], chinese, header, sizeof header), header);
            else if (!chinese)
                cell = s_example_en(&s_columns[i], english, sizeof english);
            ok = s_put_cell(&buf, &len, &cap, cell, i == 0);
        }
        /* s_put_cell leaves room for the line's end. */
        if (ok) {
            buf[len++] = '\n';
            buf[len] = '\0';
        }
    }
    if (!ok) {
        free(buf);
        return NULL;
    }
    return buf;
}
