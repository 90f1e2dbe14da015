/*  client_args: the small parsers the command-line tools share. */
#ifndef CLIENT_ARGS_H
#define CLIENT_ARGS_H

#include <stdbool.h>
#include <stdint.h>

/* Parses a whole decimal integer in [min, max]. Returns 0, or -1 if `text` is not one. */
int
client_parse_int(const char *text, int64_t min, int64_t max, int64_t *out);

/* Parses seconds (an integer or a decimal, e.g. "2" or "0.5") in [0, max_s] into
   milliseconds. Returns 0, or -1 if `text` is not one. */
int
client_parse_seconds(const char *text, int64_t max_s, int64_t *out_ms);

/* Is `unit` a plausible unit code: 1 to 64 characters of [A-Za-z0-9._-]? (It becomes
   part of a directory name, so it is checked before use.) */
bool
client_unit_ok(const char *unit);

#endif
