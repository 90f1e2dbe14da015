/*  dash_users: the dashboard's users file (see dash_users.h). */
#include "dash_users.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define S_LINE_MAX 512

typedef struct {
    char name[DASH_USERS_NAME_MAX + 1];
    dash_role_t role;
    char hash[crypto_pwhash_STRBYTES];
} s_user_t;

struct dash_users_t {
    s_user_t *users;
    size_t count;
};

/* A hash that no password matches in practice, verified against for unknown names so
   that they cost what a known name costs. Made once. */
static char s_decoy[crypto_pwhash_STRBYTES];

const char *
dash_role_name(dash_role_t role)
{
    return role == DASH_ROLE_OFFICE ? "office" : role == DASH_ROLE_VIEWER ? "viewer" : "";
}

int
dash_role_parse(const char *text, dash_role_t *role)
{
    if (text && strcmp(text, "office") == 0)
        *role = DASH_ROLE_OFFICE;
    else if (text && strcmp(text, "viewer") == 0)
        *role = DASH_ROLE_VIEWER;
    else
        return DASH_USERS_BADROLE;
    return 0;
}

bool
dash_users_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > DASH_USERS_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
            return false;
    return true;
}

static int
s_init(void)
{
    return sodium_init() < 0 ? -ENOSYS : 0;
}

/* Parses one line into `u`. Returns 0, 1 for a line to skip, or DASH_USERS_BADLINE. */
static int
s_parse_line(char *line, s_user_t *u)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (n == 0 || line[0] == '#')
        return 1;
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || !c2)
        return DASH_USERS_BADLINE;
    *c1 = *c2 = '\0';
    const char *hash = c2 + 1;
    if (!dash_users_name_ok(line) || dash_role_parse(c1 + 1, &u->role) != 0 ||
        strlen(hash) >= sizeof u->hash || strncmp(hash, "$argon2", 7) != 0)
        return DASH_USERS_BADLINE;
    snprintf(u->name, sizeof u->name, "%s", line);
    snprintf(u->hash, sizeof u->hash, "%s", hash);
    return 0;
}

int
dash_users_load(const char *path, bool missing_ok, dash_users_t **out, size_t *line_no)
{
    int rc = s_init();
    if (rc)
        return rc;
    dash_users_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    FILE *f = fopen(path, "r");
    if (!f) {
        rc = errno == ENOENT && missing_ok ? 0 : -errno;
        goto out;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        rc = -errno;
        goto out;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        rc = DASH_USERS_BADMODE;
        goto out;
    }
    char line[S_LINE_MAX];
    size_t cap = 0, no = 0;
    while (fgets(line, sizeof line, f)) {
        no++;
        s_user_t u;
        rc = s_parse_line(line, &u);
        if (rc == 1) {
            rc = 0;
            continue;
        }
        if (rc) {
            if (line_no)
                *line_no = no;
            goto out;
        }
        if (self->count == cap) {
            cap = cap ? cap * 2 : 8;
            s_user_t *grown = realloc(self->users, cap * sizeof *grown);
            if (!grown) {
                rc = -ENOMEM;
                goto out;
            }
            self->users = grown;
        }
        self->users[self->count++] = u;
    }
    if (ferror(f))
        rc = -EIO;
out:
    if (f)
        fclose(f);
    if (rc)
        dash_users_destroy(&self);
    *out = self;
    return rc;
}

void
dash_users_destroy(dash_users_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dash_users_t *self = *self_p;
    if (self->users)
        sodium_memzero(self->users, self->count * sizeof *self->users);
    free(self->users);
    free(self);
    *self_p = NULL;
}

size_t
dash_users_count(const dash_users_t *self)
{
    return self ? self->count : 0;
}

const char *
dash_users_name(const dash_users_t *self, size_t index, dash_role_t *role)
{
    if (!self || index >= self->count)
        return NULL;
    if (role)
        *role = self->users[index].role;
    return self->users[index].name;
}

static const s_user_t *
s_find(const dash_users_t *self, const char *name)
{
    for (size_t i = 0; self && name && i < self->count; i++)
        if (strcmp(self->users[i].name, name) == 0)
            return &self->users[i];
    return NULL;
}

/* Makes the decoy hash once (a random password). */
static int
s_decoy_make(void)
{
    static int made = 0;
    if (__atomic_load_n(&made, __ATOMIC_ACQUIRE))
        return 0;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    int rc = 0;
    if (!made) {
        unsigned char secret[32];
        randombytes_buf(secret, sizeof secret);
        if (crypto_pwhash_str(s_decoy, (const char *)secret, sizeof secret,
                              crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
            rc = -ENOMEM;
        else
            __atomic_store_n(&made, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

int
dash_users_verify(const dash_users_t *self, const char *name, const char *password,
                  dash_role_t *role)
{
    if (!password || strlen(password) > DASH_USERS_PASSWORD_MAX)
        return DASH_USERS_DENIED;
    const s_user_t *u = s_find(self, name);
    if (!u) {
        /* Spend what a known name would; the answer is no either way. */
        if (s_decoy_make() == 0 &&
            crypto_pwhash_str_verify(s_decoy, password, strlen(password)) == 0)
            return DASH_USERS_DENIED;
        return DASH_USERS_DENIED;
    }
    if (crypto_pwhash_str_verify(u->hash, password, strlen(password)) != 0)
        return DASH_USERS_DENIED;
    *role = u->role;
    return 0;
}

// ====================================================================== writing

/* Makes the parent directory of `path` (0700) when missing. */
static int
s_parent(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    char *slash = strrchr(copy, '/');
    int rc = 0;
    if (slash && slash != copy) {
        *slash = '\0';
        for (char *p = copy + 1; rc == 0; p++) {
            if (*p != '/' && *p != '\0')
                continue;
            char saved = *p;
            *p = '\0';
            if (mkdir(copy, 0700) != 0 && errno != EEXIST)
                rc = -errno;
            *p = saved;
            if (!saved)
                break;
        }
    }
    free(copy);
    return rc;
}

/* Writes `users` to `path` through a temporary file, synced and renamed. */
static int
s_save(const char *path, const dash_users_t *users)
{
    int rc = s_parent(path);
    if (rc)
        return rc;
    size_t len = strlen(path) + 8;
    char *tmp = malloc(len);
    if (!tmp)
        return -ENOMEM;
    snprintf(tmp, len, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        rc = -errno;
        if (fd >= 0)
            close(fd);
        goto out;
    }
    /* O_CREAT keeps the mode of a leftover temporary file: set it. */
    if (fchmod(fd, 0600) != 0) {
        rc = -errno;
        fclose(f);
        goto out;
    }
    fprintf(f, "# dajia-dash users: name:role:hash (Argon2id). Edit with `dajia-ctl users`.\n");
    for (size_t i = 0; i < users->count; i++)
        fprintf(f, "%s:%s:%s\n", users->users[i].name, dash_role_name(users->users[i].role),
                users->users[i].hash);
    if (fflush(f) != 0 || fsync(fd) != 0) {
        rc = -errno;
        fclose(f);
        goto out;
    }
    if (fclose(f) != 0) {
        rc = -errno;
        goto out;
    }
    if (rename(tmp, path) != 0)
        rc = -errno;
out:
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

int
dash_users_add(const char *path, const char *name, dash_role_t role, const char *password)
{
    if (!dash_users_name_ok(name))
        return DASH_USERS_BADNAME;
    if (role != DASH_ROLE_OFFICE && role != DASH_ROLE_VIEWER)
        return DASH_USERS_BADROLE;
    size_t plen = password ? strlen(password) : 0;
    if (plen < DASH_USERS_PASSWORD_MIN || plen > DASH_USERS_PASSWORD_MAX)
        return DASH_USERS_WEAK;
    dash_users_t *users = NULL;
    int rc = dash_users_load(path, true, &users, NULL);
    if (rc)
        return rc;
    if (s_find(users, name)) {
        rc = DASH_USERS_EXISTS;
        goto out;
    }
    s_user_t *grown = realloc(users->users, (users->count + 1) * sizeof *grown);
    if (!grown) {
        rc = -ENOMEM;
        goto out;
    }
    users->users = grown;
    s_user_t *u = &users->users[users->count];
    memset(u, 0, sizeof *u);
    snprintf(u->name, sizeof u->name, "%s", name);
    u->role = role;
    if (crypto_pwhash_str(u->hash, password, plen, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        rc = -ENOMEM;
        goto out;
    }
    users->count++;
    rc = s_save(path, users);
out:
    dash_users_destroy(&users);
    return rc;
}

int
dash_users_remove(const char *path, const char *name)
{
    dash_users_t *users = NULL;
    int rc = dash_users_load(path, false, &users, NULL);
    if (rc)
        return rc;
    rc = DASH_USERS_NOTFOUND;
    for (size_t i = 0; i < users->count; i++)
        if (strcmp(users->users[i].name, name) == 0) {
            memmove(&users->users[i], &users->users[i + 1],
                    (users->count - i - 1) * sizeof users->users[0]);
            users->count--;
            rc = s_save(path, users);
            break;
        }
    dash_users_destroy(&users);
    return rc;
}
