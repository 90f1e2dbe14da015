/*  broker_config: the broker's effective configuration.

    One ZPL file (czmq's zconfig format), then DAJIA_* environment variables, then
    command-line flags, each overriding the one before. Every key has a default in code,
    so the broker runs on a single machine with no configuration at all. The member list
    (unit code and name) is configuration too: the defaults hold the 23 member units of
    the leading group; a file with a `members` section replaces them. Sections named
    after a worker service (aggregate, escalate, circulate) hold that worker's settings
    (thresholds, intervals, periods) and are read by the worker, not here.

    Errors: this module talks to the operator, so loading and checking return -1 with one
    sentence in the caller's `err` (naming the file, key or value at fault), not a code of
    dajia_error.h; the broker prints it and exits.
*/
#ifndef BROKER_CONFIG_H
#define BROKER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct broker_config_t broker_config_t;

/* One configurable key: where it lives in the file, its variable, its flag. */
typedef struct {
    const char *path;  /* "broker/api" */
    const char *env;   /* "DAJIA_API" */
    const char *flag;  /* "api" -> --api VALUE */
    const char *value; /* the default */
    const char *help;  /* one line for --help and --print-config */
} broker_config_key_t;

/* The keys the broker knows, ending with a zeroed entry. Static storage. */
const broker_config_key_t *
broker_config_keys(void);

/* Builds the effective configuration: defaults, then the file `path` (NULL: none), then
   the environment. Returns 0 and sets *out (destroy with broker_config_destroy), or -1
   with a sentence in `err`. */
int
broker_config_load(const char *path, broker_config_t **out, char *err, size_t errlen);

void
broker_config_destroy(broker_config_t **self_p);

/* Sets key `path` (as a flag does). Returns 0, or -1 if the key is unknown. */
int
broker_config_set(broker_config_t *self, const char *path, const char *value);

/* The value of `path`. Owned by the config; valid until the next set or destroy. */
const char *
broker_config_get(broker_config_t *self, const char *path);

/* The value of `path` as a size (suffixes k, M, G accepted, binary). Returns 0, or -1
   with `err` filled if the value is not a number. */
int
broker_config_size(broker_config_t *self, const char *path, size_t *value, char *err,
                   size_t errlen);

/* The largest broker/cpu_wakeup_us accepted: a second. */
#define BROKER_CPU_WAKEUP_MAX_US 1000000

/* broker/cpu_wakeup_us in microseconds, or -1 when it is empty (off). Returns 0, or -1
   with `err` filled when it is neither. */
int
broker_config_wakeup_us(broker_config_t *self, int32_t *us, char *err, size_t errlen);

/* Checks every value; returns 0, or -1 with one clear sentence in `err`. */
int
broker_config_validate(broker_config_t *self, char *err, size_t errlen);

/* Is `unit` a member? Fast: a sorted table built at load. */
bool
broker_config_is_member(const broker_config_t *self, const char *unit);

/* Number of member units. */
size_t
broker_config_member_count(const broker_config_t *self);

/* The code of member `index` (in code order), or NULL past the end. Borrowed. */
const char *
broker_config_member(const broker_config_t *self, size_t index);

/* Writes the effective configuration as a ZPL file, with a comment per key. */
void
broker_config_print(broker_config_t *self, FILE *out);

#endif
