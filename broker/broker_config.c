/*  broker_config: defaults in code, then the ZPL file, then DAJIA_* variables, then flags.

    The tree is a zconfig_t; the key table below is the single list of what can be set,
    so --help, --print-config, the environment and the flags can never disagree.
*/
#include "broker_config.h"

#include <czmq.h>
#include <errno.h>

#include "dajia_codec.h"
#include <stdlib.h>
#include <string.h>

#include "dajia_labels.h"

struct broker_config_t {
    zconfig_t *root;
    char **members; /* sorted unit codes, for bsearch */
    size_t member_count;
};

static const broker_config_key_t s_keys[] = {
    {"broker/data", "DAJIA_DATA", "data", "./var/broker", "directory of the durable log (LMDB)"},
    {"broker/api", "DAJIA_API", "api", "tcp://127.0.0.1:7400",
     "where member units submit (ZeroMQ endpoint)"},
    {"broker/max_message", "DAJIA_MAX_MESSAGE", "max-message", "65536",
     "largest event accepted, in bytes"},
    {"broker/batch_max", "DAJIA_BATCH_MAX", "batch-max", "8192",
     "most events written in one transaction"},
    {"broker/map_size", "DAJIA_MAP_SIZE", "map-size", "64M",
     "initial size of the store's map; it grows by itself"},
    {"broker/max_map_size", "DAJIA_MAX_MAP_SIZE", "max-map-size", "0",
     "cap on the store's size (0: none but the disk)"},
    {"broker/workers", "DAJIA_WORKERS", "workers", "",
     "where workers connect; empty: in-process (inproc), or tcp://127.0.0.1:7401 "
     "with external_workers"},
    {"broker/office", "DAJIA_OFFICE", "office", "",
     "the office feed (XPUB); empty: tcp://127.0.0.1:7402 (beside an ipc:// or :* api, "
     "an endpoint of the same kind)"},
    {"broker/public", "DAJIA_PUBLIC", "public", "",
     "the public feed (XPUB); empty: tcp://127.0.0.1:7403 (likewise)"},
    {"broker/external_workers", "DAJIA_EXTERNAL_WORKERS", "external-workers", "0",
     "1: start no worker threads, wait for dajia-worker processes"},
    {"limits/max_repeated", "DAJIA_MAX_REPEATED", "max-repeated", "64",
     "most items in any list of an event"},
    {"limits/max_future", "DAJIA_MAX_FUTURE", "max-future", "86400",
     "seconds an event time may lie ahead of the broker's clock"},
    {"broker/region", "DAJIA_REGION", "region", "4115",
     "the region the leading group serves: an event's region must be a six-digit "
     "administrative code beginning with these 2, 4 or 6 digits (4115: Xinyang)"},
    {"broker/reject_budget", "DAJIA_REJECT_BUDGET", "reject-budget", "100",
     "rejections a second one connection may earn; past it the rest of its requests that "
     "second are dropped unread (0: no limit)"},
    {"broker/replay_budget", "DAJIA_REPLAY_BUDGET", "replay-budget", "50",
     "REPLAYs a second one connection is served; past it the next waits for the next "
     "second (0: no limit)"},
    {"broker/max_connections", "DAJIA_MAX_CONNECTIONS", "max-connections", "256",
     "connections at once on the api and on each feed (1 to 65536); past it the api "
     "closes its idlest connection, a feed the new one"},
    {"broker/judge_threads", "DAJIA_JUDGE_THREADS", "judge-threads", "1",
     "who judges the events: N (1 to 64): off the api thread, the writer and N - 1 helper "
     "threads, a batch at a time before its commit (more than 1 only pays with idle cores); "
     "0: the api thread, each event as it reads it"},
    {"broker/keys", "DAJIA_KEYS", "keys", "",
     "key directory (dajia-ctl keys init): CURVE and roles on every tcp endpoint; empty: "
     "none (anyone who reaches an endpoint may use it)"},
    {"broker/insecure", "DAJIA_INSECURE", "insecure", "0",
     "1: open endpoints nobody guards instead of refusing to start: without keys one that "
     "is not loopback or ipc, with keys an abstract ipc one (ipc://@NAME); a warning at "
     "every start"},
    {"broker/cpu_wakeup_us", "DAJIA_CPU_WAKEUP_US", "cpu-wakeup-us", "",
     "empty: leave idle CPUs to the system; N: while serving, ask the kernel to wake "
     "CPUs within N microseconds (/dev/cpu_dma_latency, root): faster acks at light "
     "load, CPU time spent while idle"},
    {"worker/state", "DAJIA_WORKER_STATE", "worker-state", "",
     "directory of the in-process workers' state; empty: <data>/../workers"},
    {NULL, NULL, NULL, NULL, NULL}};

const broker_config_key_t *
broker_config_keys(void)
{
    return s_keys;
}

static const broker_config_key_t *
s_key_find(const char *path)
{
    for (const broker_config_key_t *k = s_keys; k->path; k++)
        if (streq(k->path, path))
            return k;
    return NULL;
}

static int
s_member_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Rebuilds the sorted member table from the tree's `members` section. */
static int
s_members_index(broker_config_t *self)
{
    for (size_t i = 0; i < self->member_count; i++)
        free(self->members[i]);
    free(self->members);
    self->members = NULL;
    self->member_count = 0;

    zconfig_t *section = zconfig_locate(self->root, "members");
    size_t count = 0;
    for (zconfig_t *m = section ? zconfig_child(section) : NULL; m; m = zconfig_next(m))
        count++;
    if (count == 0)
        return 0;
    self->members = calloc(count, sizeof(char *));
    if (!self->members)
        return -1;
    for (zconfig_t *m = zconfig_child(section); m; m = zconfig_next(m)) {
        self->members[self->member_count] = strdup(zconfig_name(m));
        if (!self->members[self->member_count])
            return -1;
        self->member_count++;
    }
    qsort(self->members, self->member_count, sizeof(char *), s_member_cmp);
    return 0;
}

static zconfig_t *
s_defaults(bool with_members)
{
    zconfig_t *root = zconfig_new("root", NULL);
    if (!root)
        return NULL;
    for (const broker_config_key_t *k = s_keys; k->path; k++)
        zconfig_put(root, k->path, k->value);
    /* The member units of the leading group (docs/domain.md §2): dajia_labels holds the
       list, with the names every program writes. A `members` section in the
       configuration file replaces it as a whole. */
    size_t count = 0;
    const dajia_member_t *members = dajia_members_default(&count);
    for (size_t i = 0; with_members && i < count; i++) {
        char path[96];
        snprintf(path, sizeof path, "members/%s/name", members[i].code);
        zconfig_put(root, path, members[i].name);
    }
    return root;
}

/* Copies every known key, and the members section, from `file` over `root`. Unknown
   top-level keys are refused so a typo cannot go unnoticed. */
static int
s_merge_file(zconfig_t *root, zconfig_t *file, const char *path, char *err, size_t errlen)
{
    for (zconfig_t *section = zconfig_child(file); section; section = zconfig_next(section)) {
        const char *name = zconfig_name(section);
        if (streq(name, "aggregate") || streq(name, "escalate") || streq(name, "circulate"))
            continue; /* the workers' settings: read by each worker */
        if (streq(name, "members")) {
            for (zconfig_t *m = zconfig_child(section); m; m = zconfig_next(m)) {
                char key[160];
                snprintf(key, sizeof key, "members/%s/name", zconfig_name(m));
                zconfig_put(root, key, zconfig_get(m, "name", zconfig_name(m)));
            }
            continue;
        }
        for (zconfig_t *item = zconfig_child(section); item; item = zconfig_next(item)) {
            char key[160];
            snprintf(key, sizeof key, "%s/%s", name, zconfig_name(item));
            if (!s_key_find(key)) {
                snprintf(err, errlen,
                         "%s: unknown key \"%s\" (dajia-broker --print-config "
                         "lists them all)",
                         path, key);
                return -1;
            }
            zconfig_put(root, key, zconfig_value(item) ? zconfig_value(item) : "");
        }
        if (!zconfig_child(section) && zconfig_value(section)) {
            snprintf(err, errlen, "%s: \"%s\" is not a section", path, name);
            return -1;
        }
    }
    return 0;
}

int
broker_config_load(const char *path, broker_config_t **out, char *err, size_t errlen)
{
    broker_config_t *self = calloc(1, sizeof *self);
    zconfig_t *file = NULL;
    int rc = -1;
    if (!self) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (path) {
        if (!zsys_file_exists(path)) {
            snprintf(err, errlen, "%s: no such configuration file", path);
            goto out;
        }
        file = zconfig_load(path);
        if (!file) {
            snprintf(err, errlen,
                     "%s: not a valid configuration file (ZPL: sections and "
                     "\"key = value\" lines, indented by 4 spaces)",
                     path);
            goto out;
        }
    }
    /* A members section in the file replaces the default list as a whole. */
    self->root = s_defaults(!(file && zconfig_locate(file, "members")));
    if (!self->root) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (file && s_merge_file(self->root, file, path, err, errlen))
        goto out;
    for (const broker_config_key_t *k = s_keys; k->path; k++) {
        const char *value = getenv(k->env);
        if (value)
            zconfig_put(self->root, k->path, value);
    }
    if (s_members_index(self)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    *out = self;
    self = NULL;
    rc = 0;
out:
    zconfig_destroy(&file);
    broker_config_destroy(&self);
    return rc;
}

void
broker_config_destroy(broker_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_config_t *self = *self_p;
    for (size_t i = 0; i < self->member_count; i++)
        free(self->members[i]);
    free(self->members);
    zconfig_destroy(&self->root);
    free(self);
    *self_p = NULL;
}

int
broker_config_set(broker_config_t *self, const char *path, const char *value)
{
    if (!s_key_find(path))
        return -1;
    zconfig_put(self->root, path, value);
    return 0;
}

const char *
broker_config_get(broker_config_t *self, const char *path)
{
    const broker_config_key_t *key = s_key_find(path);
    return zconfig_get(self->root, path, key ? key->value : "");
}

int
broker_config_size(broker_config_t *self, const char *path, size_t *value, char *err, size_t errlen)
{
    const char *text = broker_config_get(self, path);
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    unsigned long long unit = 1;
    if (end && *end) {
        switch (*end) {
        case 'k':
        case 'K':
            unit = 1ULL << 10;
            break;
        case 'm':
        case 'M':
            unit = 1ULL << 20;
            break;
        case 'g':
        case 'G':
            unit = 1ULL << 30;
            break;
        default:
            unit = 0;
        }
        if (unit && end[1] && !((end[1] == 'b' || end[1] == 'B') && !end[2]))
            unit = 0;
    }
    if (errno || end == text || unit == 0 || *text == '-' || n > SIZE_MAX / unit) {
        snprintf(err, errlen,
                 "%s = \"%s\" is not a size (a number, optionally followed "
                 "by k, M or G)",
                 path, text);
        return -1;
    }
    *value = (size_t)(n * unit);
    return 0;
}

int
broker_config_wakeup_us(broker_config_t *self, int32_t *us, char *err, size_t errlen)
{
    const char *text = broker_config_get(self, "broker/cpu_wakeup_us");
    *us = -1;
    if (!*text)
        return 0;
    char *end = NULL;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (errno || end == text || *end || n < 0 || n > BROKER_CPU_WAKEUP_MAX_US) {
        snprintf(err, errlen,
                 "broker/cpu_wakeup_us = \"%s\" must be empty (off) or a whole "
                 "number of microseconds from 0 to %d",
                 text, BROKER_CPU_WAKEUP_MAX_US);
        return -1;
    }
    *us = (int32_t)n;
    return 0;
}

int
broker_config_validate(broker_config_t *self, char *err, size_t errlen)
{
    static const char *sizes[] = {"broker/max_message",  "broker/batch_max",
                                  "broker/map_size",     "broker/max_map_size",
                                  "limits/max_repeated", "limits/max_future"};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t v;
        if (broker_config_size(self, sizes[i], &v, err, errlen))
            return -1;
    }
    int32_t wakeup_us;
    if (broker_config_wakeup_us(self, &wakeup_us, err, errlen))
        return -1;
    size_t max_message = 0, batch_max = 0;
    broker_config_size(self, "broker/max_message", &max_message, err, errlen);
    broker_config_size(self, "broker/batch_max", &batch_max, err, errlen);
    if (max_message < 256 || max_message > (16u << 20)) {
        snprintf(err, errlen, "broker/max_message must lie between 256 bytes and 16M");
        return -1;
    }
    if (batch_max < 1 || batch_max > 1000000) {
        snprintf(err, errlen, "broker/batch_max must lie between 1 and 1000000");
        return -1;
    }
    if (!*broker_config_get(self, "broker/data")) {
        snprintf(err, errlen, "broker/data (the data directory) must not be empty");
        return -1;
    }
    const char *api = broker_config_get(self, "broker/api");
    if (!strstr(api, "://")) {
        snprintf(err, errlen,
                 "broker/api = \"%s\" is not a ZeroMQ endpoint "
                 "(e.g. tcp://127.0.0.1:7400 or ipc:///run/dajia/api)",
                 api);
        return -1;
    }
    const char *region = broker_config_get(self, "broker/region");
    if (!dajia_region_prefix_valid(region)) {
        snprintf(err, errlen,
                 "broker/region = \"%s\" must be the first 2, 4 or 6 digits of an "
                 "administrative code (4115: Xinyang; 41: Henan)",
                 region);
        return -1;
    }
    const char *external = broker_config_get(self, "broker/external_workers");
    if (!streq(external, "0") && !streq(external, "1")) {
        snprintf(err, errlen, "broker/external_workers = \"%s\" must be 0 or 1", external);
        return -1;
    }
    const char *insecure = broker_config_get(self, "broker/insecure");
    if (!streq(insecure, "0") && !streq(insecure, "1")) {
        snprintf(err, errlen, "broker/insecure = \"%s\" must be 0 or 1", insecure);
        return -1;
    }
    if (self->member_count == 0) {
        snprintf(err, errlen, "the members section lists no unit: nobody could report");
        return -1;
    }
    for (size_t i = 0; i + 1 < self->member_count; i++)
        if (streq(self->members[i], self->members[i + 1])) {
            snprintf(err, errlen, "member unit \"%s\" is listed twice", self->members[i]);
            return -1;
        }
    return 0;
}

bool
broker_config_is_member(const broker_config_t *self, const char *unit)
{
    return bsearch(&unit, self->members, self->member_count, sizeof(char *), s_member_cmp) != NULL;
}

size_t
broker_config_member_count(const broker_config_t *self)
{
    return self->member_count;
}

const char *
broker_config_member(const broker_config_t *self, size_t index)
{
    return index < self->member_count ? self->members[index] : NULL;
}

void
broker_config_print(broker_config_t *self, FILE *out)
{
    fprintf(out, "#   dajia-broker effective configuration (ZPL). Each key can also be set\n"
                 "#   by its environment variable or flag, shown beside it.\n");
    const char *section = "";
    size_t section_len = 0;
    for (const broker_config_key_t *k = s_keys; k->path; k++) {
        const char *slash = strchr(k->path, '/');
        size_t len = (size_t)(slash - k->path);
        if (section_len != len || strncmp(section, k->path, len) != 0) {
            fprintf(out, "%.*s\n", (int)len, k->path);
            section = k->path;
            section_len = len;
        }
        fprintf(out, "    %s = \"%s\"    # %s; $%s, --%s\n", slash + 1,
                broker_config_get(self, k->path), k->help, k->env, k->flag);
    }
    fprintf(out, "members    # %zu member units: code, then name\n", self->member_count);
    zconfig_t *members = zconfig_locate(self->root, "members");
    for (zconfig_t *m = members ? zconfig_child(members) : NULL; m; m = zconfig_next(m))
        fprintf(out, "    %s\n        name = \"%s\"\n", zconfig_name(m),
                zconfig_get(m, "name", ""));
}
