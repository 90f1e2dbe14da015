/*  client_args: number and unit helpers for the clients (directories: dajia_fs). */
#include "client_args.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define S_MAX_UNIT 64

int
client_parse_int(const char *text, int64_t min, int64_t max, int64_t *out)
{
    if (!text || !*text)
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || *end || end == text || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int
client_parse_seconds(const char *text, int64_t max_s, int64_t *out_ms)
{
    if (!text || !*text)
        return -1;
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || *end || end == text || !isfinite(v) || v < 0 || v > (double)max_s)
        return -1;
    *out_ms = (int64_t)(v * 1000.0 + 0.5);
    return 0;
}

bool
client_unit_ok(const char *unit)
{
    size_t len = unit ? strlen(unit) : 0;
    if (len == 0 || len > S_MAX_UNIT)
        return false;
    return strspn(unit, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
               len &&
           strcmp(unit, ".") != 0 && strcmp(unit, "..") != 0;
}
