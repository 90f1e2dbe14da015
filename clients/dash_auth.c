/*  dash_auth: sessions and login throttling (see dash_auth.h).

    Sessions are keyed by the hex BLAKE2b hash of their token (crypto_generichash).
    The guard keeps one entry per client address and one per user name, prefixed "a:" and
    "u:" so that a user named like an address is a different entry.
*/
#include "dash_auth.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define S_TOKEN_BYTES   32
#define S_HASH_BYTES    32
#define S_KEY_MAX       (2 * S_HASH_BYTES + 1)
#define S_FIRST_WAIT_MS 1000

typedef struct {
    char user[DASH_USERS_NAME_MAX + 1];
    dash_role_t role;
    int64_t created_ms;
    int64_t seen_ms;
} s_session_t;

typedef struct {
    uint32_t failures;
    int64_t last_ms;    /* of the last failure */
    int64_t blocked_ms; /* no attempt before this */
} s_guard_t;

struct dash_auth_t {
    const dash_users_t *users;
    pthread_mutex_t lock;   /* sessions and guard */
    pthread_mutex_t verify; /* one password check at a time */
    zhashx_t *sessions;     /* token hash -> s_session_t * */
    zhashx_t *guard;        /* "a:peer" / "u:name" -> s_guard_t * */
};

static void
s_free(void **item)
{
    free(*item);
    *item = NULL;
}

dash_auth_t *
dash_auth_new(const dash_users_t *users)
{
    if (sodium_init() < 0)
        return NULL;
    dash_auth_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->users = users;
    pthread_mutex_init(&self->lock, NULL);
    pthread_mutex_init(&self->verify, NULL);
    self->sessions = zhashx_new();
    self->guard = zhashx_new();
    if (!self->sessions || !self->guard) {
        dash_auth_destroy(&self);
        return NULL;
    }
    zhashx_set_destructor(self->sessions, s_free);
    zhashx_set_destructor(self->guard, s_free);
    return self;
}

void
dash_auth_destroy(dash_auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dash_auth_t *self = *self_p;
    zhashx_destroy(&self->sessions);
    zhashx_destroy(&self->guard);
    pthread_mutex_destroy(&self->lock);
    pthread_mutex_destroy(&self->verify);
    free(self);
    *self_p = NULL;
}

static void
s_hex(const unsigned char *bytes, size_t n, char *out)
{
    sodium_bin2hex(out, 2 * n + 1, bytes, n);
}

/* The key a session is kept under: the hash of its token. */
static bool
s_session_key(const char *token, char key[S_KEY_MAX])
{
    if (!token || strlen(token) != 2 * S_TOKEN_BYTES)
        return false;
    unsigned char hash[S_HASH_BYTES];
    crypto_generichash(hash, sizeof hash, (const unsigned char *)token, strlen(token), NULL, 0);
    s_hex(hash, sizeof hash, key);
    return true;
}

// ====================================================================== guard

/* The wait left for `key` at `now`, 0 when it may try. Under the lock. */
static int64_t
s_guard_wait(dash_auth_t *self, const char *key, int64_t now)
{
    s_guard_t *g = zhashx_lookup(self->guard, key);
    if (!g)
        return 0;
    if (now - g->last_ms > DASH_AUTH_FORGET_MS) {
        zhashx_delete(self->guard, key);
        return 0;
    }
    return g->blocked_ms > now ? g->blocked_ms - now : 0;
}

/* Drops the entry whose last failure is oldest, to keep the table bounded. */
static void
s_guard_evict(dash_auth_t *self)
{
    const char *oldest = NULL;
    int64_t when = INT64_MAX;
    for (s_guard_t *g = zhashx_first(self->guard); g; g = zhashx_next(self->guard))
        if (g->last_ms < when) {
            when = g->last_ms;
            oldest = zhashx_cursor(self->guard);
        }
    if (oldest) {
        char *copy = strdup(oldest);
        if (copy)
            zhashx_delete(self->guard, copy);
        free(copy);
    }
}

static void
s_guard_fail(dash_auth_t *self, const char *key, int64_t now)
{
    s_guard_t *g = zhashx_lookup(self->guard, key);
    if (!g) {
        if (zhashx_size(self->guard) >= DASH_AUTH_GUARD_MAX)
            s_guard_evict(self);
        g = calloc(1, sizeof *g);
        if (!g || zhashx_insert(self->guard, key, g) != 0) {
            free(g);
            return;
        }
    }
    g->failures++;
    g->last_ms = now;
    if (g->failures >= DASH_AUTH_FREE_FAILURES) {
        uint32_t doublings = g->failures - DASH_AUTH_FREE_FAILURES;
        int64_t wait = doublings >= 20 ? DASH_AUTH_MAX_WAIT_MS : S_FIRST_WAIT_MS << doublings;
        if (wait > DASH_AUTH_MAX_WAIT_MS)
            wait = DASH_AUTH_MAX_WAIT_MS;
        g->blocked_ms = now + wait;
    }
}

// ====================================================================== sessions

/* Forgets expired sessions. Under the lock. */
static void
s_sweep(dash_auth_t *self, int64_t now)
{
    zlistx_t *dead = zlistx_new();
    if (!dead)
        return;
    zlistx_set_destructor(dead, (zlistx_destructor_fn *)zstr_free);
    for (s_session_t *s = zhashx_first(self->sessions); s; s = zhashx_next(self->sessions))
        if (now - s->seen_ms > DASH_AUTH_IDLE_MS || now - s->created_ms > DASH_AUTH_MAX_AGE_MS)
            zlistx_add_end(dead, strdup(zhashx_cursor(self->sessions)));
    for (char *key = zlistx_first(dead); key; key = zlistx_next(dead))
        zhashx_delete(self->sessions, key);
    zlistx_destroy(&dead);
}

dash_auth_result_t
dash_auth_login(dash_auth_t *self, const char *peer, const char *user, const char *password,
                int64_t now_ms, char token[DASH_AUTH_TOKEN_MAX], int64_t *retry_ms)
{
    char akey[128], ukey[128];
    snprintf(akey, sizeof akey, "a:%.100s", peer ? peer : "");
    snprintf(ukey, sizeof ukey, "u:%.100s", user ? user : "");
    pthread_mutex_lock(&self->lock);
    int64_t wait = s_guard_wait(self, akey, now_ms);
    int64_t uwait = s_guard_wait(self, ukey, now_ms);
    pthread_mutex_unlock(&self->lock);
    if (uwait > wait)
        wait = uwait;
    if (wait > 0) {
        if (retry_ms)
            *retry_ms = wait;
        return DASH_AUTH_THROTTLED;
    }
    dash_role_t role = DASH_ROLE_NONE;
    pthread_mutex_lock(&self->verify);
    int rc = dash_users_verify(self->users, user, password, &role);
    pthread_mutex_unlock(&self->verify);
    pthread_mutex_lock(&self->lock);
    dash_auth_result_t result = DASH_AUTH_OK;
    if (rc != 0) {
        s_guard_fail(self, akey, now_ms);
        s_guard_fail(self, ukey, now_ms);
        result = DASH_AUTH_DENIED;
        goto out;
    }
    zhashx_delete(self->guard, akey);
    zhashx_delete(self->guard, ukey);
    s_sweep(self, now_ms);
    if (zhashx_size(self->sessions) >= DASH_AUTH_SESSIONS_MAX) {
        result = DASH_AUTH_FULL;
        goto out;
    }
    unsigned char raw[S_TOKEN_BYTES];
    randombytes_buf(raw, sizeof raw);
    s_hex(raw, sizeof raw, token);
    sodium_memzero(raw, sizeof raw);
    char key[S_KEY_MAX];
    s_session_key(token, key);
    s_session_t *s = calloc(1, sizeof *s);
    if (!s || zhashx_insert(self->sessions, key, s) != 0) {
        free(s);
        result = DASH_AUTH_FULL;
        goto out;
    }
    snprintf(s->user, sizeof s->user, "%s", user);
    s->role = role;
    s->created_ms = s->seen_ms = now_ms;
out:
    pthread_mutex_unlock(&self->lock);
    return result;
}

bool
dash_auth_session(dash_auth_t *self, const char *token, int64_t now_ms,
                  char user[DASH_USERS_NAME_MAX + 1], dash_role_t *role)
{
    char key[S_KEY_MAX];
    if (!s_session_key(token, key))
        return false;
    bool ok = false;
    pthread_mutex_lock(&self->lock);
    s_session_t *s = zhashx_lookup(self->sessions, key);
    if (s && (now_ms - s->seen_ms > DASH_AUTH_IDLE_MS ||
              now_ms - s->created_ms > DASH_AUTH_MAX_AGE_MS)) {
        zhashx_delete(self->sessions, key);
        s = NULL;
    }
    if (s) {
        s->seen_ms = now_ms;
        snprintf(user, DASH_USERS_NAME_MAX + 1, "%s", s->user);
        *role = s->role;
        ok = true;
    }
    pthread_mutex_unlock(&self->lock);
    return ok;
}

void
dash_auth_logout(dash_auth_t *self, const char *token)
{
    char key[S_KEY_MAX];
    if (!s_session_key(token, key))
        return;
    pthread_mutex_lock(&self->lock);
    zhashx_delete(self->sessions, key);
    pthread_mutex_unlock(&self->lock);
}

size_t
dash_auth_sessions(dash_auth_t *self)
{
    pthread_mutex_lock(&self->lock);
    size_t n = zhashx_size(self->sessions);
    pthread_mutex_unlock(&self->lock);
    return n;
}

const char *
dash_auth_cookie(const char *token, bool tls, char *buf, size_t size)
{
    const char *name = tls ? DASH_AUTH_COOKIE_TLS : DASH_AUTH_COOKIE;
    if (token)
        snprintf(buf, size, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", name, token,
                 (long long)(DASH_AUTH_MAX_AGE_MS / 1000), tls ? "; Secure" : "");
    else
        snprintf(buf, size, "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s", name,
                 tls ? "; Secure" : "");
    return buf;
}
