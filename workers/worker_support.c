/*  worker_support: the outputs list and the settings every core uses. */
#include "worker_core.h"
#include "worker_keys.h"

#include <czmq.h>
#include <stdio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ outputs */

typedef struct {
    uint8_t *data;
    size_t len;
} s_packed_t;

struct worker_outputs_t {
    s_packed_t *items;
    size_t count;
    size_t capacity;
};

worker_outputs_t *
worker_outputs_new(void)
{
    return calloc(1, sizeof(worker_outputs_t));
}

void
worker_outputs_clear(worker_outputs_t *out)
{
    for (size_t i = 0; i < out->count; i++)
        free(out->items[i].data);
    out->count = 0;
}

void
worker_outputs_destroy(worker_outputs_t **out_p)
{
    if (!out_p || !*out_p)
        return;
    worker_outputs_clear(*out_p);
    free((*out_p)->items);
    free(*out_p);
    *out_p = NULL;
}

int
worker_outputs_add(worker_outputs_t *out, const Dajia__FeedItem *item)
{
    if (out->count == out->capacity) {
        size_t capacity = out->capacity ? out->capacity * 2 : 8;
        s_packed_t *items = realloc(out->items, capacity * sizeof *items);
        if (!items)
            return -ENOMEM;
        out->items = items;
        out->capacity = capacity;
    }
    size_t len = dajia__feed_item__get_packed_size(item);
    uint8_t *data = malloc(len ? len : 1);
    if (!data)
        return -ENOMEM;
    dajia__feed_item__pack(item, data);
    out->items[out->count++] = (s_packed_t){data, len};
    return 0;
}

size_t
worker_outputs_count(const worker_outputs_t *out)
{
    return out->count;
}

const uint8_t *
worker_outputs_get(const worker_outputs_t *out, size_t i, size_t *len)
{
    if (i >= out->count)
        return NULL;
    *len = out->items[i].len;
    return out->items[i].data;
}

/* ================================================================ settings */

typedef struct {
    char *key;
    char *value;
} s_setting_t;

struct worker_settings_t {
    s_setting_t *items;
    size_t count;
    dajia_member_t *members; /* code and name owned (cast away const to free) */
    size_t member_count;
};

worker_settings_t *
worker_settings_new(void)
{
    return calloc(1, sizeof(worker_settings_t));
}

void
worker_settings_destroy(worker_settings_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    worker_settings_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        free(self->items[i].key);
        free(self->items[i].value);
    }
    free(self->items);
    for (size_t i = 0; i < self->member_count; i++) {
        free((char *)self->members[i].code);
        free((char *)self->members[i].name);
    }
    free(self->members);
    free(self);
    *self_p = NULL;
}

static s_setting_t *
s_find(const worker_settings_t *self, const char *key)
{
    for (size_t i = 0; self && i < self->count; i++)
        if (strcmp(self->items[i].key, key) == 0)
            return &self->items[i];
    return NULL;
}

int
worker_settings_set(worker_settings_t *self, const char *key, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return -ENOMEM;
    s_setting_t *found = s_find(self, key);
    if (found) {
        free(found->value);
        found->value = copy;
        return 0;
    }
    s_setting_t *items = realloc(self->items, (self->count + 1) * sizeof *items);
    char *key_copy = strdup(key);
    if (!items || !key_copy) {
        free(copy);
        free(key_copy);
        if (items)
            self->items = items;
        return -ENOMEM;
    }
    self->items = items;
    self->items[self->count++] = (s_setting_t){key_copy, copy};
    return 0;
}

int64_t
worker_settings_int(const worker_settings_t *self, const char *key, int64_t fallback)
{
    const s_setting_t *found = s_find(self, key);
    if (!found)
        return fallback;
    char *end = NULL;
    errno = 0;
    long long value = strtoll(found->value, &end, 10);
    if (errno || end == found->value || *end)
        return fallback;
    return value;
}

const char *
worker_settings_str(const worker_settings_t *self, const char *key, const char *fallback)
{
    const s_setting_t *found = s_find(self, key);
    return found ? found->value : fallback;
}

size_t
worker_settings_count(const worker_settings_t *self)
{
    return self ? self->count : 0;
}

const char *
worker_settings_key(const worker_settings_t *self, size_t index)
{
    return self && index < self->count ? self->items[index].key : NULL;
}

int
worker_settings_load(worker_settings_t *self, const char *path, const char *service, char *err,
                     size_t errlen)
{
    zconfig_t *root = zsys_file_exists(path) ? zconfig_load(path) : NULL;
    if (!root) {
        snprintf(err, errlen, "%s: cannot read this configuration file", path);
        return -1;
    }
    int rc = 0;
    zconfig_t *section = zconfig_locate(root, service);
    for (zconfig_t *item = section ? zconfig_child(section) : NULL; item && rc == 0;
         item = zconfig_next(item)) {
        char key[256];
        snprintf(key, sizeof key, "%s/%s", service, zconfig_name(item));
        const char *value = zconfig_value(item);
        if (zconfig_child(item)) {
            snprintf(err, errlen,
                     "%s: \"%s\" is a section; the %s section holds \"key = value\" "
                     "lines only",
                     path, key, service);
            rc = -1;
        } else if (worker_settings_set(self, key, value ? value : "") != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    zconfig_destroy(&root);
    if (rc == 0)
        rc = worker_keys_check(self, service, path, err, errlen);
    return rc;
}

/* ================================================================ members */

int
worker_settings_member_add(worker_settings_t *self, const char *code, const char *name)
{
    dajia_member_t *members = realloc(self->members, (self->member_count + 1) * sizeof *members);
    if (!members)
        return -ENOMEM;
    self->members = members;
    char *code_copy = strdup(code);
    char *name_copy = name && *name ? strdup(name) : NULL;
    if (!code_copy || (name && *name && !name_copy)) {
        free(code_copy);
        free(name_copy);
        return -ENOMEM;
    }
    self->members[self->member_count++] = (dajia_member_t){code_copy, name_copy, NULL};
    return 0;
}

int
worker_settings_load_members(worker_settings_t *self, const char *path, char *err, size_t errlen)
{
    zconfig_t *root = zsys_file_exists(path) ? zconfig_load(path) : NULL;
    if (!root) {
        snprintf(err, errlen, "%s: cannot read this configuration file", path);
        return -1;
    }
    int rc = 0;
    zconfig_t *section = zconfig_locate(root, "members");
    for (zconfig_t *m = section ? zconfig_child(section) : NULL; m && rc == 0; m = zconfig_next(m))
        if (worker_settings_member_add(self, zconfig_name(m), zconfig_get(m, "name", NULL)) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    zconfig_destroy(&root);
    return rc;
}

const dajia_member_t *
worker_settings_members(const worker_settings_t *self, size_t *count)
{
    *count = self ? self->member_count : 0;
    return *count ? self->members : NULL;
}
