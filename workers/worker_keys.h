/*  worker_keys: every setting the worker services read, with its default and the form
    its value must take (docs/domain.md §9).

    The cores read their settings with worker_settings_int and worker_settings_str
    (worker_core.h), each with its own default. This table is what the operator sees of
    them: the configuration is checked against it before any worker starts (an unknown
    key or a value of the wrong form stops the start, naming the key and the accepted
    form, as the broker's own keys do), and `--print-config` prints every key from it
    with its value. A key a core reads must be listed here; tests/unit/test_worker_settings
    reads the cores' sources and fails on a key that is not.

    Most keys are a whole number within a range. Two are lists: escalate/rules (rule
    names) and circulate/members (unit codes); escalate/language and circulate/language
    are a language ("zh" or "en", dajia_lang_parse); circulate/go_live is a month
    ("YYYY-MM"). The E5 prosecution thresholds,
    escalate/e5_<category>_<measure>_fen, are one key per case category and measure,
    and the linkage deadlines one per deadline of esc_deadlines(): both are listed from
    the escalate worker's own tables, with their defaults.
*/
#ifndef WORKER_KEYS_H
#define WORKER_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "worker_core.h"

/* Room for the longest key ("escalate/e5_fake_agricultural_input_sales3_unsold_fen"). */
#define WORKER_KEY_MAX 96

/* The services whose sections hold worker settings, in the order they are printed. */
#define WORKER_KEYS_SERVICES 3
extern const char *const worker_keys_services[WORKER_KEYS_SERVICES];

typedef enum {
    WORKER_KEY_INT,   /* a whole number within [min, max] */
    WORKER_KEY_RULES, /* escalate rule names, separated by spaces or commas; empty: none */
    WORKER_KEY_UNITS, /* unit codes, separated by commas or spaces; at least one */
    WORKER_KEY_LANG,  /* a language the words are written in: dajia_lang_parse */
    WORKER_KEY_MONTH, /* a calendar month, "YYYY-MM" (dajia_time_period_parse) */
} worker_key_form_t;

/* One setting. Strings are static, or point into the caller's buffer for the generated
   keys (worker_keys_each, worker_keys_find). */
typedef struct {
    const char *key; /* "escalate/matter_interval_days" */
    worker_key_form_t form;
    int64_t min, max;  /* WORKER_KEY_INT */
    const char *unit;  /* what the number counts, for the accepted form: "days" */
    const char *value; /* the default, as the file would write it */
    const char *help;  /* one line for --print-config */
} worker_key_t;

/* Calls `fn` for every key of `service` (NULL: of every service), in print order. `fn`
   may return non-zero to stop; that value is returned. The key is borrowed for the call. */
typedef int(worker_keys_fn)(const worker_key_t *key, void *arg);
int
worker_keys_each(const char *service, worker_keys_fn *fn, void *arg);

/* Finds `name`; returns true and fills *out (valid until the next call in this thread),
   or false when no service knows it. */
bool
worker_keys_find(const char *name, worker_key_t *out);

/* Is `value` acceptable for `key`? Returns 0, or -1 with a sentence in `err` naming the
   key, the value and the accepted form. */
int
worker_keys_value_check(const worker_key_t *key, const char *value, char *err, size_t errlen);

/* Checks every key set in `settings` whose service is `service` (NULL: every key): it
   must be known and its value of the accepted form. Returns 0, or -1 with a sentence in
   `err` (prefixed by `origin` and ": " when `origin` is not NULL, e.g. the file). */
int
worker_keys_check(const worker_settings_t *settings, const char *service, const char *origin,
                  char *err, size_t errlen);

/* Writes the section of `service` as the configuration file holds it (ZPL): every key,
   with its value in `settings` or else its default, and its help as a comment. */
void
worker_keys_print(const worker_settings_t *settings, const char *service, FILE *out);

#endif
