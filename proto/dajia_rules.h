/*  dajia_rules: the value rules an event's fields obey, shared by the two checkers of
    an envelope (private to proto/): dajia_codec judges the unpacked message and says
    why it refuses; dajia_wire judges the encoded bytes on the broker's fast path. One
    copy of each rule keeps the two from drifting apart.

    Strings are given with their length: the wire checker has no NUL at their end.
*/
#ifndef DAJIA_RULES_H
#define DAJIA_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Deepest nesting of messages a checker follows. The schema nests three deep (Envelope
   -> body -> item); anything deeper is not a dajia event. */
#define DAJIA_RULES_MAX_DEPTH 8

/* How far ahead a deadline (`*_due_at`) may lie. Deadlines are in the future by nature,
   so the clock-skew cap that holds for every other time cannot apply to them; a year
   still catches a wrong year typed into the form. */
#define DAJIA_RULES_MAX_DUE_AHEAD_MS (366LL * 24 * 3600 * 1000)

/* The longest text field `name` may hold: DAJIA_MAX_ID for ids and codes,
   DAJIA_MAX_LONG_TEXT for prose, DAJIA_MAX_SHORT_TEXT for anything else. Matched by
   field name, so that a body added to the schema later gets the same limits for the
   same names. Every limit is at least DAJIA_MAX_ID: shorter strings need no call. */
size_t
dajia_rules_text_limit(const char *name);

/* Does field `name` end with `suffix` ("_at", "_due_at", "_fen")? */
static inline bool
dajia_rules_ends_with(const char *name, const char *suffix)
{
    size_t n = strlen(name), m = strlen(suffix);
    return n >= m && memcmp(name + n - m, suffix, m) == 0;
}

/* An id of the event itself: [A-Za-z0-9._:-] only. */
static inline bool
dajia_rules_id_valid(const char *id, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return false;
    }
    return true;
}

/* A reporting period: "YYYY-MM" with a month 01..12, or "YYYY-Qn" with a quarter 1..4. */
bool
dajia_rules_period_valid(const char *period, size_t len);

/* Digits of an administrative region code (GB/T 2260): two for the province, four for
   the city, six for the county. */
#define DAJIA_RULES_REGION_DIGITS 6

/* A region prefix a configuration may give (broker/region): 2, 4 or 6 ASCII digits. */
bool
dajia_rules_region_prefix_valid(const char *prefix);

/* An envelope's `region`: an administrative code of the configured region, that is six
   ASCII digits beginning with `prefix` (NULL or "": any six digits). Checked only when
   the region is given: it is optional. */
bool
dajia_rules_region_valid(const char *region, size_t len, const char *prefix);

/* Is `name` a list of member unit codes (each item must name a member:
   involved_units)? A related case's `unit` is one too; the checkers test it with the
   related case's other required field. */
static inline bool
dajia_rules_member_list(const char *name)
{
    return strcmp(name, "involved_units") == 0;
}

/* The latest time an event may carry: `now_ms + ahead_ms`, saturated. */
static inline int64_t
dajia_rules_latest(int64_t now_ms, int64_t ahead_ms)
{
    if (ahead_ms < 0)
        ahead_ms = 0;
    return now_ms > INT64_MAX - ahead_ms ? INT64_MAX : now_ms + ahead_ms;
}

#endif
