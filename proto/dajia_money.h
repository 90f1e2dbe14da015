/*  dajia_money: amounts of money as people write them, and as the schema keeps them.

    The schema keeps money in fen (1 yuan = 100 fen) as an integer (dajia.proto, rule 4).
    People write yuan, with thousands separators and two decimals ("86,400.00"), and
    statistics tables write 万元 (10,000 yuan). This module reads such text exactly
    (integer arithmetic only: a double cannot hold every fen of an int64) and writes fen
    back as yuan, so that a message can say "86,400.00 yuan is 8640000 fen".

    Pure functions: no locale, no allocation, thread-safe.
*/
#ifndef DAJIA_MONEY_H
#define DAJIA_MONEY_H

#include <stddef.h>
#include <stdint.h>

/* Fen in one unit of each scale a column or a hint may name. */
#define DAJIA_MONEY_FEN  1LL
#define DAJIA_MONEY_YUAN 100LL
#define DAJIA_MONEY_WAN  1000000LL /* 万元: 10,000 yuan */

/* Bytes of any text dajia_money_format_yuan writes, with the NUL. */
#define DAJIA_MONEY_TEXT_MAX 32

/* Reads `text` as an amount in units of `unit_fen` fen (DAJIA_MONEY_FEN, _YUAN or _WAN)
   into *fen. Accepted: an optional minus, digits with optional thousands separators
   ("," or the full-width "，", between groups of three), an optional fraction of at most
   as many digits as the unit allows (none for fen, two for yuan, six for 万元), spaces
   around it, and the currency marks a spreadsheet adds: a leading "¥", "￥" or "RMB", a
   trailing "元" (yuan) or "万元" (万元 only), "分" (fen only). Returns 0; -EINVAL when the
   text is not such an amount (empty included); -ERANGE when its fen do not fit an
   int64; -EDOM when it has more decimals than the unit allows (a fraction of a fen). */
int
dajia_money_parse(const char *text, int64_t unit_fen, int64_t *fen);

/* Writes `fen` as yuan with thousands separators and two decimals: 8640000 ->
   "86,400.00", -5 -> "-0.05". Exact for every int64. Returns buf ("" when `size` is too
   small; DAJIA_MONEY_TEXT_MAX always fits). */
char *
dajia_money_format_yuan(int64_t fen, char *buf, size_t size);

#endif
