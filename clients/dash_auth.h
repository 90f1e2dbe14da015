/*  dash_auth: the dashboard's HTTP sessions and its guard against password guessing.

    A login checks a user's password (dash_users) and opens a session: 32 random bytes
    (libsodium), given to the browser as a hex token in a cookie that is HttpOnly,
    SameSite=Strict and, with TLS, Secure (named __Host-dajia then, which binds it to
    this host and path). The server keeps only a hash of each token, so its memory never
    holds a token a thief could replay. A session ends at logout, after
    DASH_AUTH_IDLE_MS without a request, or DASH_AUTH_MAX_AGE_MS after login.

    Throttling: failed logins are counted per client address and per user name; from the
    DASH_AUTH_FREE_FAILURES-th failure on, each next attempt of that address or name must
    wait, 1 s doubling per failure up to DASH_AUTH_MAX_WAIT_MS, and is refused unchecked
    before then (HTTP 429 with Retry-After). A success clears the address's and the name's
    count; counts are forgotten after DASH_AUTH_FORGET_MS without failure. The table is
    bounded (the oldest entry goes). Password checks run one at a time, so a burst of
    logins cannot take more than one hash's memory.

    Thread-safe.
*/
#ifndef DASH_AUTH_H
#define DASH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dash_users.h"

#define DASH_AUTH_TOKEN_MAX     65 /* 64 hex digits and the NUL */
#define DASH_AUTH_IDLE_MS       (8LL * 3600 * 1000)
#define DASH_AUTH_MAX_AGE_MS    (24LL * 3600 * 1000)
#define DASH_AUTH_FREE_FAILURES 5
#define DASH_AUTH_MAX_WAIT_MS   (15LL * 60 * 1000)
#define DASH_AUTH_FORGET_MS     (60LL * 60 * 1000)
#define DASH_AUTH_SESSIONS_MAX  10000
#define DASH_AUTH_GUARD_MAX     4096

/* The cookie's name without TLS and with it. */
#define DASH_AUTH_COOKIE     "dajia_session"
#define DASH_AUTH_COOKIE_TLS "__Host-dajia_session"

typedef struct dash_auth_t dash_auth_t;

/* `users` is borrowed and outlives the guard. NULL when memory ran out. */
dash_auth_t *
dash_auth_new(const dash_users_t *users);

void
dash_auth_destroy(dash_auth_t **self_p);

typedef enum {
    DASH_AUTH_OK = 0,
    DASH_AUTH_DENIED,    /* wrong name or password */
    DASH_AUTH_THROTTLED, /* too many failures: *retry_ms says when to try again */
    DASH_AUTH_FULL,      /* too many open sessions */
} dash_auth_result_t;

/* Checks `user`/`password` for a client at address `peer` at time `now_ms`. On OK writes
   the new session's token into `token`. On THROTTLED sets *retry_ms. */
dash_auth_result_t
dash_auth_login(dash_auth_t *self, const char *peer, const char *user, const char *password,
                int64_t now_ms, char token[DASH_AUTH_TOKEN_MAX], int64_t *retry_ms);

/* The session of `token` at `now_ms`: true with its user and role (and its idle time
   restarted), false when there is none (unknown, ended or expired). */
bool
dash_auth_session(dash_auth_t *self, const char *token, int64_t now_ms,
                  char user[DASH_USERS_NAME_MAX + 1], dash_role_t *role);

/* Ends the session of `token` (if any). */
void
dash_auth_logout(dash_auth_t *self, const char *token);

/* Open sessions (expired ones not yet swept may count). */
size_t
dash_auth_sessions(dash_auth_t *self);

/* The Set-Cookie value for `token` (NULL: one that clears the cookie), into `buf`. */
const char *
dash_auth_cookie(const char *token, bool tls, char *buf, size_t size);

#endif
