/*  dash_users: the dashboard's HTTP users, in a file of their own.

    Who may log in to the dashboard and with which role: "office" sees every page,
    "viewer" the public ones (figures and bulletins). `dajia-ctl users add NAME --role
    ROLE` writes the file; dajia-dash reads it at start.

    The file (default ./var/users) holds one user a line, "name:role:hash", where the
    hash is libsodium's crypto_pwhash_str (Argon2id, with its own salt and cost in the
    string); lines starting with # are comments. It is mode 0600: a file others may read
    or write is refused, as the key directory's secret files are. It is rewritten whole
    to a temporary file, synced and renamed, so a crash leaves the old file or the new.

    Passwords are 10 to 256 bytes. Verification costs the hash's 64 MiB and a fraction of
    a second by design; a wrong user name costs the same as a wrong password, so a
    timing does not tell which names exist.
*/
#ifndef DASH_USERS_H
#define DASH_USERS_H

#include <stdbool.h>
#include <stddef.h>

/* The DASH_USERS_* codes (-31700 ..): BADMODE, BADLINE, EXISTS, NOTFOUND, BADNAME,
   BADROLE, WEAK, DENIED. */
#include "dajia_error.h"

#define DASH_USERS_NAME_MAX     32
#define DASH_USERS_PASSWORD_MIN 10
#define DASH_USERS_PASSWORD_MAX 256
#define DASH_USERS_DEFAULT_FILE "./var/users"

typedef enum {
    DASH_ROLE_NONE = 0,
    DASH_ROLE_VIEWER = 1, /* the public pages */
    DASH_ROLE_OFFICE = 2, /* every page */
} dash_role_t;

/* "office", "viewer", or "" for none. Static. */
const char *
dash_role_name(dash_role_t role);

/* Reads "office" or "viewer". Returns 0, or DASH_USERS_BADROLE. */
int
dash_role_parse(const char *text, dash_role_t *role);

/* Is `name` a user name: 1 to DASH_USERS_NAME_MAX of [A-Za-z0-9._-]? */
bool
dash_users_name_ok(const char *name);

typedef struct dash_users_t dash_users_t;

/* Reads the users file at `path`. A missing file is an empty set when `missing_ok`,
   -ENOENT otherwise. Returns 0 and sets *out, DASH_USERS_BADMODE, DASH_USERS_BADLINE
   (with its line number in *line when `line` is not NULL), or -errno. */
int
dash_users_load(const char *path, bool missing_ok, dash_users_t **out, size_t *line);

void
dash_users_destroy(dash_users_t **self_p);

size_t
dash_users_count(const dash_users_t *self);

/* The name and role of user `index` (file order); NULL past the end. */
const char *
dash_users_name(const dash_users_t *self, size_t index, dash_role_t *role);

/* Checks `password` for user `name`. Returns 0 and sets *role, or DASH_USERS_DENIED (an
   unknown name and a wrong password alike). Thread-safe. */
int
dash_users_verify(const dash_users_t *self, const char *name, const char *password,
                  dash_role_t *role);

/* Adds user `name` with `role` and `password` to the file at `path` (made 0600 when
   missing, with its directory). Returns 0, DASH_USERS_EXISTS, DASH_USERS_BADNAME,
   DASH_USERS_BADROLE, DASH_USERS_WEAK, the codes of dash_users_load, or -errno. */
int
dash_users_add(const char *path, const char *name, dash_role_t role, const char *password);

/* Removes user `name`. Returns 0, DASH_USERS_NOTFOUND, the codes of dash_users_load, or
   -errno. */
int
dash_users_remove(const char *path, const char *name);

#endif
