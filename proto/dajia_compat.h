/*  dajia_compat: what the fields the schema has replaced mean today (header only).

    The log keeps old events for ever, and an old agent may still send a field the
    schema has since replaced (proto/dajia.proto, change rule 1: only add). Such a field
    is marked deprecated in a comment there (not with the option: the generated
    initialiser would then warn under clang wherever a message is initialised); code
    reads it only through the functions here, which say in one place how the old field
    and its replacement combine.
*/
#ifndef DAJIA_COMPAT_H
#define DAJIA_COMPAT_H

#include <stdint.h>

#include "dajia.pb-c.h"

/* The number of persons injured or killed a case report states: casualties_count when
   set, else 1 when the old flag `casualties` is set ("at least one"), else 0. */
static inline int32_t
dajia_compat_casualties(const Dajia__CaseReport *report)
{
    if (report->casualties_count > 0)
        return report->casualties_count;
    return report->casualties ? 1 : 0;
}

#endif
