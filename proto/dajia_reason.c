/*  dajia_reason: names and plain-language sentences for every Reason code.

    The name is stable (stats keys, logs, scripts); the sentence is what a liaison
    officer reads in the agent when an event is refused and no more specific text came
    back. Both tables are indexed by the enum value; a value the table does not know
    (a newer schema, a corrupt number) gets "unknown" rather than NULL. A unit test
    checks that every value in the schema has an entry here.
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dajia_codec.h"
#include "dajia_utf8.h"

typedef struct {
    const char *name;
    const char *text;
} s_reason_t;

static const s_reason_t s_reasons[] = {
    [DAJIA__REASON__REASON_NONE] = {"none", "the event was accepted"},
    [DAJIA__REASON__REASON_MALFORMED] = {"malformed",
                                         "not a valid dajia event (protobuf decoding failed)"},
    [DAJIA__REASON__REASON_TOO_LARGE] =
        {"too_large", "the event is larger than the broker accepts; shorten the texts"},
    [DAJIA__REASON__REASON_BAD_FRAMES] =
        {"bad_frames", "the request did not have the expected parts (a command and one body)"},
    [DAJIA__REASON__REASON_UNKNOWN_COMMAND] = {"unknown_command",
                                               "the broker does not know the command it was sent"},
    [DAJIA__REASON__REASON_MISSING_EVENT_ID] =
        {"missing_event_id", "the event has no event_id, so it could be stored twice"},
    [DAJIA__REASON__REASON_UNKNOWN_UNIT] =
        {"unknown_unit", "the reporting unit is not a member unit of the leading group"},
    [DAJIA__REASON__REASON_MISSING_BODY] =
        {"missing_body", "the event carries no report (case, major matter, progress on a "
                         "matter, or dynamic information)"},
    [DAJIA__REASON__REASON_MISSING_FIELD] = {"missing_field",
                                             "a field the report requires is empty"},
    [DAJIA__REASON__REASON_NEGATIVE_AMOUNT] = {"negative_amount", "an amount of money is negative"},
    [DAJIA__REASON__REASON_TIME_IN_FUTURE] =
        {"time_in_future", "a date lies in the future; check the date and the computer's clock"},
    [DAJIA__REASON__REASON_TIME_BEFORE_2000] = {"time_before_2000",
                                                "a date lies before the year 2000; check the date"},
    [DAJIA__REASON__REASON_STRING_TOO_LONG] = {"string_too_long",
                                               "a text is longer than the broker accepts"},
    [DAJIA__REASON__REASON_ENUM_OUT_OF_RANGE] =
        {"enum_out_of_range", "a choice field holds a value the broker does not know; the "
                              "agent may be newer than the broker"},
    [DAJIA__REASON__REASON_TOO_MANY_ITEMS] = {"too_many_items",
                                              "a list has more items than the broker accepts"},
    [DAJIA__REASON__REASON_INVALID_UTF8] =
        {"invalid_utf8", "a text is not valid UTF-8; it may have been saved in another "
                         "encoding (such as GBK)"},
    [DAJIA__REASON__REASON_BAD_PERIOD] =
        {"bad_period", "the period must be a month like 2026-11 or a quarter like 2026-Q4"},
    [DAJIA__REASON__REASON_BAD_ID] =
        {"bad_id", "an event id may contain only letters, digits and the marks . _ : -"},
    [DAJIA__REASON__REASON_UNIT_MISMATCH] =
        {"unit_mismatch", "the event names a different unit than the certificate it was sent "
                          "with"},
    [DAJIA__REASON__REASON_STORAGE_UNAVAILABLE] =
        {"storage_unavailable", "the broker could not store the event right now; it will be "
                                "sent again"},
    [DAJIA__REASON__REASON_NEGATIVE_COUNT] = {"negative_count", "a count is negative"},
    [DAJIA__REASON__REASON_FORBIDDEN] = {"forbidden",
                                         "the certificate this was sent with may not do that"},
    [DAJIA__REASON__REASON_NOT_A_MEMBER] =
        {"not_a_member", "a unit the report names (involved_units, related_cases) is not a "
                         "member unit of the leading group; use the member codes"},
    [DAJIA__REASON__REASON_BAD_REGION] =
        {"bad_region", "region must be the six-digit administrative code of a place in the "
                       "configured region, like 411502"},
};

#define S_REASONS_COUNT (sizeof s_reasons / sizeof s_reasons[0])

static const s_reason_t *
s_reason(Dajia__Reason reason)
{
    /* Compared as unsigned so that a negative number from the wire is out of range too. */
    unsigned index = (unsigned)reason;
    if (index < S_REASONS_COUNT && s_reasons[index].name)
        return &s_reasons[index];
    return NULL;
}

const char *
dajia_reason_name(Dajia__Reason reason)
{
    const s_reason_t *r = s_reason(reason);
    return r ? r->name : "unknown";
}

const char *
dajia_reason_text(Dajia__Reason reason)
{
    const s_reason_t *r = s_reason(reason);
    return r ? r->text : "the event was refused for a reason this program does not know";
}

int
dajia_verdict_set(dajia_verdict_t *verdict, Dajia__Reason reason, const char *fmt, ...)
{
    if (!verdict)
        return -1;
    verdict->reason = reason;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(verdict->text, sizeof verdict->text, fmt, ap);
    va_end(ap);
    if (n < 0)
        snprintf(verdict->text, sizeof verdict->text, "%s", dajia_reason_text(reason));
    else if ((size_t)n >= sizeof verdict->text) {
        /* Truncation may have cut a character in half; the text travels in an Ack
           string and must stay valid UTF-8. */
        size_t len = strlen(verdict->text);
        verdict->text[dajia_utf8_check(verdict->text, len)] = '\0';
    }
    return -1;
}
