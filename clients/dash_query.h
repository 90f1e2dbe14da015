/*  dash_query: a request's path and query parameters, checked, as the pages use them.

    Each page takes a fixed set of parameters; a parameter the page does not take, one
    given twice, or a value that does not parse is a bad request, and the sentence names
    the parameter (the server answers 400 with it). Values:
      period    a month, "2026-11"
      unit      a unit code: 1 to 64 of [A-Za-z0-9._-]
      category  a case category by its name in lower case ("geographical_indication")
      rule      an escalation rule or family: [A-Z0-9-], at most 32 ("E3", "OVERDUE")
      level     "major" or "especially_major"
      rev       a bulletin's issue, 1 (the first) to 1000
      limit     rows to show, 1 to 100000
      table     the id of one of the page's tables, for a download: [a-z_], at most 32
*/
#ifndef DASH_QUERY_H
#define DASH_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "dajia_time.h"
#include "dash_view.h"

typedef enum {
    DASH_PAGE_NONE = 0,
    DASH_PAGE_FIGURES,
    DASH_PAGE_BULLETINS,
    DASH_PAGE_BULLETIN, /* one bulletin: /bulletins/2026-11 */
    DASH_PAGE_ESCALATIONS,
    DASH_PAGE_MATTERS,
    DASH_PAGE_COMPLIANCE,
} dash_page_t;

typedef enum {
    DASH_FORMAT_HTML = 0,
    DASH_FORMAT_CSV,
    DASH_FORMAT_XLSX,
} dash_format_t;

#define DASH_QUERY_RULE_MAX 33
#define DASH_QUERY_BULLETIN_MAX                                                                    \
    41 /* a bulletin's period name: "2026-11", or the RFC 3339                                     \
          start of a demonstration period */
#define DASH_QUERY_TABLE_MAX 33

typedef struct {
    dash_page_t page;
    dash_format_t format;
    bool has_period;
    dajia_time_period_t period;             /* the figures' month */
    char bulletin[DASH_QUERY_BULLETIN_MAX]; /* the bulletin's period, as it names it */
    char unit[DASH_UNIT_MAX];
    int category; /* -1: all */
    char rule[DASH_QUERY_RULE_MAX];
    int level;  /* 0: all */
    int rev;    /* 0: the newest */
    long limit; /* 0: the page's default */
    char table[DASH_QUERY_TABLE_MAX];
} dash_query_t;

/* Sets `q` from a path: "/figures", "/figures.csv", "/figures.xlsx", "/bulletins",
   "/bulletins/2026-11" (and .csv/.xlsx of each), "/escalations", "/matters",
   "/compliance"; "/" is the figures. A bulletin's period is its name: a month, or for
   the demonstration periods their RFC 3339 start (1 to 40 of [0-9A-Za-z:.+-]). Returns
   0, or -ENOENT for any other path. */
int
dash_query_path(const char *path, dash_query_t *q);

/* Takes parameter `name` = `value` (NULL: given without a value) into `q`. Returns 0,
   or -EINVAL with a sentence naming the parameter in `err`. */
int
dash_query_param(dash_query_t *q, const char *name, const char *value, char *err, size_t errlen);

/* Is `text` a plausible unit code? */
bool
dash_query_unit_ok(const char *text);

/* The case category named `name` ("trademark_counterfeiting"), or -1. */
int
dash_query_category(const char *name);

/* The name of case category `value` ("trademark_counterfeiting") into `buf`; "" when
   unknown. Returns buf. */
const char *
dash_query_category_name(int value, char *buf, size_t size);

#endif
