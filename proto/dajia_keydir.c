/*  dajia_keydir: the CURVE key directory, read and written for the broker, `dajia-ctl
    keys`, the clients and dajia-worker alike, so that all of them agree on what a
    certificate is.

    Certificates are read here with zconfig rather than zcert_load(): zcert_load()
    passes each metadata value to zcert_set_meta() as a printf format, so a '%' in a
    hand-edited file is undefined behaviour, and it quietly yields an all-zero key for a
    malformed one. This reader bounds the file, checks every field and says what is wrong.
    The files it writes are ordinary zcert files all the same.
*/
#include "dajia_keydir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dajia_fs.h"

#define S_DIR_MODE      0700
#define S_SECRET_MODE   0600
#define S_PUBLIC_MODE   0644  /* inside a 0700 directory all the same */
#define S_CERT_MAX      16384 /* a certificate is a few hundred bytes */
#define S_KEY_LEN       32    /* binary CURVE key */
#define S_Z85_LEN       40    /* its Z85 text */
#define S_REVOKED_TRIES 100   /* suffixes tried when a revoked name is taken */
#define S_NAME_CHARS    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
#define S_MONITOR_EVENTS                                                                           \
    (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |                             \
     ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)

/* The worker services of this build, one certificate each. */
static const char *const s_services[] = {"aggregate", "escalate", "circulate"};
#define S_SERVICES (sizeof s_services / sizeof s_services[0])

static const char *const s_roles[] = {DAJIA_KEYDIR_ROLE_UNIT, DAJIA_KEYDIR_ROLE_OFFICE,
                                      DAJIA_KEYDIR_ROLE_DASHBOARD, DAJIA_KEYDIR_ROLE_WORKER,
                                      DAJIA_KEYDIR_ROLE_ADMIN};
#define S_ROLES (sizeof s_roles / sizeof s_roles[0])

/* A certificate file as read. */
typedef struct {
    char name[DAJIA_KEYDIR_NAME_MAX + 1];
    char role[DAJIA_KEYDIR_ROLE_MAX];
    char unit[DAJIA_KEYDIR_NAME_MAX + 1];
    char public_txt[DAJIA_KEYDIR_KEY_TXT];
    char secret_txt[DAJIA_KEYDIR_KEY_TXT]; /* "" in a public certificate */
} s_cert_t;

/* ====================================================================== names */

bool
dajia_keydir_role_ok(const char *role)
{
    for (size_t i = 0; role && i < S_ROLES; i++)
        if (strcmp(role, s_roles[i]) == 0)
            return true;
    return false;
}

/* A unit code becomes a certificate name (and part of a file name), so it must be
   both: 1 to DAJIA_KEYDIR_NAME_MAX of S_NAME_CHARS, not starting with '.'. */
static bool
s_unit_ok(const char *unit)
{
    size_t len = unit ? strlen(unit) : 0;
    return len > 0 && len <= DAJIA_KEYDIR_NAME_MAX && unit[0] != '.' &&
           strspn(unit, S_NAME_CHARS) == len;
}

bool
dajia_keydir_name_ok(const char *name)
{
    return s_unit_ok(name) && strcmp(name, DAJIA_KEYDIR_BROKER_NAME) != 0;
}

/* ====================================================================== paths */

/* buf = dir/sub/name+ext, any of sub and name may be NULL. */
static int
s_path(char *buf, size_t size, const char *dir, const char *sub, const char *name, const char *ext)
{
    int n = snprintf(buf, size, "%s%s%s%s%s%s", dir, sub ? "/" : "", sub ? sub : "",
                     name ? "/" : "", name ? name : "", ext ? ext : "");
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static bool
s_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Creates `path` 0700 when missing (the parents must exist). */
static int
s_mkdir(const char *path)
{
    if (mkdir(path, S_DIR_MODE) != 0 && errno != EEXIST)
        return -errno;
    struct stat st;
    if (stat(path, &st) != 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* ====================================================================== reading */

static bool
s_z85_ok(const char *txt)
{
    uint8_t bin[S_KEY_LEN];
    if (!txt || strlen(txt) != S_Z85_LEN || !zmq_z85_decode(bin, txt))
        return false;
    for (size_t i = 0; i < S_KEY_LEN; i++)
        if (bin[i])
            return true;
    return false; /* what zcert makes without CURVE: no key at all */
}

static int
s_copy(char *dst, size_t size, const char *src)
{
    size_t len = src ? strlen(src) : 0;
    if (len >= size)
        return -1;
    memcpy(dst, src ? src : "", len + 1);
    return 0;
}

/* Sets `entry` to `cert`'s name, role, unit and public key (not revoked, not damaged). */
static void
s_entry_set(dajia_keydir_entry_t *entry, const s_cert_t *cert)
{
    memset(entry, 0, sizeof *entry);
    s_copy(entry->name, sizeof entry->name, cert->name);
    s_copy(entry->role, sizeof entry->role, cert->role);
    s_copy(entry->unit, sizeof entry->unit, cert->unit);
    s_copy(entry->public_txt, sizeof entry->public_txt, cert->public_txt);
}

/* Reads the whole file at `path` (at most S_CERT_MAX bytes) into a new string, and
   its mode into *mode. */
static int
s_slurp(const char *path, char **out, mode_t *mode)
{
    int rc = 0;
    char *text = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? DAJIA_KEYDIR_NOTFOUND : -errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > S_CERT_MAX) {
        rc = DAJIA_KEYDIR_BADCERT;
        goto out;
    }
    *mode = st.st_mode;
    text = malloc((size_t)st.st_size + 1);
    if (!text) {
        rc = -ENOMEM;
        goto out;
    }
    size_t have = 0;
    while (have < (size_t)st.st_size) {
        ssize_t n = read(fd, text + have, (size_t)st.st_size - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : DAJIA_KEYDIR_BADCERT; /* shrank while we read */
            goto out;
        }
        have += (size_t)n;
    }
    text[have] = 0;
    if (strlen(text) != have)
        rc = DAJIA_KEYDIR_BADCERT; /* a NUL inside: not a text file */
out:
    close(fd);
    if (rc == 0)
        *out = text;
    else
        free(text);
    return rc;
}

/* Checks the certificate in `root` (a parsed certificate file, or the client part of a
   key file) and copies its fields into `cert`. With `secret`, it must hold the secret
   key too. Client metadata is checked when present; `client` requires it. On failure
   `why` gets a sentence on what is wrong. */
static int
s_cert_parse(zconfig_t *root, bool secret, bool client, s_cert_t *cert, const char **why)
{
    const char *pub = zconfig_get(root, "curve/public-key", NULL);
    const char *sec = zconfig_get(root, "curve/secret-key", NULL);
    const char *name = zconfig_get(root, "metadata/" DAJIA_KEYDIR_META_NAME, NULL);
    const char *role = zconfig_get(root, "metadata/" DAJIA_KEYDIR_META_ROLE, NULL);
    const char *unit = zconfig_get(root, "metadata/" DAJIA_KEYDIR_META_UNIT, NULL);
    if (!s_z85_ok(pub) || s_copy(cert->public_txt, sizeof cert->public_txt, pub)) {
        *why = "no valid curve/public-key";
        return DAJIA_KEYDIR_BADCERT;
    }
    if (secret) {
        if (!sec || !*sec) {
            *why = "no curve/secret-key";
            return DAJIA_KEYDIR_NOSECRET;
        }
        if (!s_z85_ok(sec) || s_copy(cert->secret_txt, sizeof cert->secret_txt, sec)) {
            *why = "no valid curve/secret-key";
            return DAJIA_KEYDIR_BADCERT;
        }
    }
    if (client || role) {
        bool is_unit = role && strcmp(role, DAJIA_KEYDIR_ROLE_UNIT) == 0;
        if (!dajia_keydir_role_ok(role))
            *why = "metadata role is not unit, office, dashboard, worker or admin";
        else if (!name || !dajia_keydir_name_ok(name))
            *why = "no valid metadata name";
        else if (is_unit && !s_unit_ok(unit))
            *why = "role unit without a valid metadata unit";
        else if (!is_unit && unit && *unit)
            *why = "a metadata unit on a role other than unit";
        else {
            s_copy(cert->name, sizeof cert->name, name);
            s_copy(cert->role, sizeof cert->role, role);
            s_copy(cert->unit, sizeof cert->unit, is_unit ? unit : "");
            return 0;
        }
        return DAJIA_KEYDIR_BADCERT;
    }
    if (name)
        s_copy(cert->name, sizeof cert->name, name);
    return 0;
}

/* Parses the certificate at `path` (see s_cert_parse); a secret one must be private
   too. On failure `why` (may be NULL) gets a sentence on what is wrong. */
static int
s_cert_read(const char *path, bool secret, bool client, s_cert_t *cert, const char **why)
{
    const char *because = NULL;
    char *text = NULL;
    mode_t mode = 0;
    zconfig_t *root = NULL;
    memset(cert, 0, sizeof *cert);
    int rc = s_slurp(path, &text, &mode);
    if (rc) {
        because = rc == DAJIA_KEYDIR_NOTFOUND  ? "no such file"
                  : rc == DAJIA_KEYDIR_BADCERT ? "not a certificate file"
                                               : strerror(-rc);
        goto out;
    }
    root = zconfig_str_load(text);
    memset(text, 0, strlen(text)); /* it may hold a secret key */
    free(text);
    rc = DAJIA_KEYDIR_BADCERT;
    if (!root) {
        because = "not a certificate file";
        goto out;
    }
    rc = s_cert_parse(root, secret, client, cert, &because);
    if (rc == 0 && secret && (mode & 077)) {
        rc = DAJIA_KEYDIR_BADMODE;
        because = "group or others may read it";
    }
out:
    zconfig_destroy(&root);
    if (rc)
        memset(cert->secret_txt, 0, sizeof cert->secret_txt);
    if (rc && why)
        *why = because;
    return rc;
}

/* ====================================================================== writing */

/* The ZPL text of `cert`, with its secret key when `secret`. Caller frees. */
static char *
s_cert_text(const s_cert_t *cert, bool secret)
{
    zconfig_t *root = zconfig_new("root", NULL);
    if (!root)
        return NULL;
    if (secret) {
        zconfig_set_comment(root, "   ZeroMQ CURVE **Secret** Certificate (dajia)");
        zconfig_set_comment(root, "   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change "
                                  "its permissions.");
    } else {
        zconfig_set_comment(root, "   ZeroMQ CURVE Public Certificate (dajia)");
        zconfig_set_comment(root, "   The broker admits this key while the file is in "
                                  "its public/ directory.");
    }
    zconfig_put(root, "metadata/" DAJIA_KEYDIR_META_NAME, cert->name);
    if (*cert->role)
        zconfig_put(root, "metadata/" DAJIA_KEYDIR_META_ROLE, cert->role);
    if (*cert->unit)
        zconfig_put(root, "metadata/" DAJIA_KEYDIR_META_UNIT, cert->unit);
    zconfig_put(root, "curve/public-key", cert->public_txt);
    if (secret)
        zconfig_put(root, "curve/secret-key", cert->secret_txt);
    char *text = zconfig_str_save(root);
    zconfig_destroy(&root);
    return text;
}

static int
s_write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        text += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes `text` as `dir`/`file` with `mode`: into a temporary name first, synced, then
   put into place. `replace` false: linked, which fails on an existing target, so an
   existing file is never replaced; true: renamed, replacing what is there, so a reader
   sees the old file or the new. Returns 0, DAJIA_KEYDIR_EXISTS (not `replace`) or
   -errno. */
static int
s_write_file(const char *dir, const char *file, const char *text, mode_t mode, bool replace)
{
    char tmp[PATH_MAX], path[PATH_MAX];
    int rc = s_path(path, sizeof path, dir, NULL, file, NULL);
    if (rc == 0) {
        int n = snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, file);
        rc = n < 0 || (size_t)n >= sizeof tmp ? -ENAMETOOLONG : 0;
    }
    if (rc)
        return rc;
    unlink(tmp); /* left by a crash; the name is ours */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    rc = s_write_all(fd, text, strlen(text));
    if (rc == 0 && fchmod(fd, mode) != 0) /* the umask may have taken bits we want */
        rc = -errno;
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && replace && rename(tmp, path) != 0)
        rc = -errno;
    if (rc == 0 && !replace && link(tmp, path) != 0)
        rc = errno == EEXIST ? DAJIA_KEYDIR_EXISTS : -errno;
    if (rc || !replace)
        unlink(tmp); /* a failure, or the link's second name */
    if (rc == 0)
        rc = dajia_fs_sync_dir(dir);
    return rc;
}

/* A fresh key pair into `cert`. */
static int
s_keypair(s_cert_t *cert)
{
    if (!zsys_has_curve() || zmq_curve_keypair(cert->public_txt, cert->secret_txt) != 0)
        return DAJIA_KEYDIR_NOCURVE;
    return 0;
}

/* Makes a client certificate: its secret file first, then the public one the broker
   trusts (so the broker never trusts a key whose owner cannot have it). */
static int
s_make_client(const char *dir, const char *name, const char *role, const char *unit,
              dajia_keydir_entry_t *out)
{
    char secret_dir[PATH_MAX], public_dir[PATH_MAX], file[DAJIA_KEYDIR_NAME_MAX + 32];
    s_cert_t cert = {0};
    char *pub_text = NULL, *sec_text = NULL;
    int rc = s_path(secret_dir, sizeof secret_dir, dir, DAJIA_KEYDIR_SECRET_DIR, NULL, NULL);
    if (rc == 0)
        rc = s_path(public_dir, sizeof public_dir, dir, DAJIA_KEYDIR_PUBLIC_DIR, NULL, NULL);
    if (rc == 0)
        rc = s_keypair(&cert);
    if (rc)
        goto out;
    s_copy(cert.name, sizeof cert.name, name);
    s_copy(cert.role, sizeof cert.role, role);
    s_copy(cert.unit, sizeof cert.unit, unit ? unit : "");
    pub_text = s_cert_text(&cert, false);
    sec_text = s_cert_text(&cert, true);
    if (!pub_text || !sec_text) {
        rc = -ENOMEM;
        goto out;
    }
    snprintf(file, sizeof file, "%s" DAJIA_KEYDIR_SECRET_EXT, name);
    rc = s_write_file(secret_dir, file, sec_text, S_SECRET_MODE, false);
    if (rc)
        goto out;
    snprintf(file, sizeof file, "%s" DAJIA_KEYDIR_CERT_EXT, name);
    rc = s_write_file(public_dir, file, pub_text, S_PUBLIC_MODE, false);
    if (rc) {
        /* Take back the secret of a key nobody will trust. */
        char path[PATH_MAX];
        if (s_path(path, sizeof path, secret_dir, NULL, name, DAJIA_KEYDIR_SECRET_EXT) == 0)
            unlink(path);
        goto out;
    }
    if (out)
        s_entry_set(out, &cert);
out:
    free(pub_text);
    if (sec_text) {
        memset(sec_text, 0, strlen(sec_text)); /* it held a secret key */
        free(sec_text);
    }
    memset(cert.secret_txt, 0, sizeof cert.secret_txt);
    return rc;
}

/* Does a certificate `name` exist in `dir` (trusted, or its secret file)? */
static int
s_client_exists(const char *dir, const char *name, bool *exists)
{
    char pub[PATH_MAX], sec[PATH_MAX];
    int rc = s_path(pub, sizeof pub, dir, DAJIA_KEYDIR_PUBLIC_DIR, name, DAJIA_KEYDIR_CERT_EXT);
    if (rc == 0)
        rc = s_path(sec, sizeof sec, dir, DAJIA_KEYDIR_SECRET_DIR, name, DAJIA_KEYDIR_SECRET_EXT);
    if (rc == 0)
        *exists = s_exists(pub) || s_exists(sec);
    return rc;
}

/* Creates the three subdirectories of `dir` (which exists). */
static int
s_make_subdirs(const char *dir)
{
    static const char *const subs[] = {DAJIA_KEYDIR_PUBLIC_DIR, DAJIA_KEYDIR_SECRET_DIR,
                                       DAJIA_KEYDIR_REVOKED_DIR};
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        int rc = s_path(path, sizeof path, dir, subs[i], NULL, NULL);
        if (rc == 0)
            rc = s_mkdir(path);
        if (rc == 0 && chmod(path, S_DIR_MODE) != 0)
            rc = -errno;
        if (rc)
            return rc;
    }
    return 0;
}

/* ====================================================================== init, add */

/* The names init makes, in order: units, then the fixed ones. Caller frees the list
   and the strings it owns (the worker names), via s_plan_free. */
typedef struct {
    char name[DAJIA_KEYDIR_NAME_MAX + 1];
    const char *role;
    const char *unit;
} s_plan_t;

static int
s_plan(const char *const *units, size_t count, s_plan_t **out, size_t *n_out)
{
    size_t n = count + 3 + S_SERVICES;
    s_plan_t *plan = calloc(n, sizeof *plan);
    if (!plan)
        return -ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < count; i++, k++) {
        if (!s_unit_ok(units[i]) || !dajia_keydir_name_ok(units[i])) {
            free(plan);
            return DAJIA_KEYDIR_BADUNIT;
        }
        s_copy(plan[k].name, sizeof plan[k].name, units[i]);
        plan[k].role = DAJIA_KEYDIR_ROLE_UNIT;
        plan[k].unit = units[i];
    }
    s_copy(plan[k].name, sizeof plan[k].name, DAJIA_KEYDIR_OFFICE_NAME);
    plan[k++].role = DAJIA_KEYDIR_ROLE_OFFICE;
    s_copy(plan[k].name, sizeof plan[k].name, DAJIA_KEYDIR_DASHBOARD_NAME);
    plan[k++].role = DAJIA_KEYDIR_ROLE_DASHBOARD;
    s_copy(plan[k].name, sizeof plan[k].name, DAJIA_KEYDIR_ADMIN_NAME);
    plan[k++].role = DAJIA_KEYDIR_ROLE_ADMIN;
    for (size_t i = 0; i < S_SERVICES; i++, k++) {
        snprintf(plan[k].name, sizeof plan[k].name, DAJIA_KEYDIR_WORKER_PREFIX "%s", s_services[i]);
        plan[k].role = DAJIA_KEYDIR_ROLE_WORKER;
    }
    /* A repeated code, or a unit named like a fixed certificate. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(plan[i].name, plan[j].name) == 0) {
                free(plan);
                return DAJIA_KEYDIR_EXISTS;
            }
    *out = plan;
    *n_out = n;
    return 0;
}

int
dajia_keydir_init(const char *dir, const char *const *units, size_t count)
{
    if (!dir || !*dir || (count && !units))
        return -EINVAL;
    s_plan_t *plan = NULL;
    size_t n = 0;
    char path[PATH_MAX];
    s_cert_t broker = {0};
    char *pub_text = NULL, *sec_text = NULL;
    int rc = s_plan(units, count, &plan, &n);
    if (rc)
        return rc;
    /* Refuse before writing anything. */
    rc = s_path(path, sizeof path, dir, NULL, DAJIA_KEYDIR_BROKER_SECRET, NULL);
    if (rc == 0 && s_exists(path))
        rc = DAJIA_KEYDIR_EXISTS;
    if (rc == 0)
        rc = s_path(path, sizeof path, dir, NULL, DAJIA_KEYDIR_BROKER_CERT, NULL);
    if (rc == 0 && s_exists(path))
        rc = DAJIA_KEYDIR_EXISTS;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        bool exists = false;
        rc = s_client_exists(dir, plan[i].name, &exists);
        if (rc == 0 && exists)
            rc = DAJIA_KEYDIR_EXISTS;
    }
    if (rc == 0)
        rc = s_keypair(&broker);
    if (rc)
        goto out;
    rc = dajia_fs_mkdir_p(dir, S_DIR_MODE);
    if (rc == 0 && chmod(dir, S_DIR_MODE) != 0)
        rc = -errno;
    if (rc == 0)
        rc = s_make_subdirs(dir);
    if (rc)
        goto out;

    s_copy(broker.name, sizeof broker.name, DAJIA_KEYDIR_BROKER_NAME);
    pub_text = s_cert_text(&broker, false);
    sec_text = s_cert_text(&broker, true);
    if (!pub_text || !sec_text) {
        rc = -ENOMEM;
        goto out;
    }
    rc = s_write_file(dir, DAJIA_KEYDIR_BROKER_SECRET, sec_text, S_SECRET_MODE, false);
    if (rc == 0)
        rc = s_write_file(dir, DAJIA_KEYDIR_BROKER_CERT, pub_text, S_PUBLIC_MODE, false);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = s_make_client(dir, plan[i].name, plan[i].role, plan[i].unit, NULL);
out:
    free(plan);
    free(pub_text);
    if (sec_text) {
        memset(sec_text, 0, strlen(sec_text));
        free(sec_text);
    }
    memset(broker.secret_txt, 0, sizeof broker.secret_txt);
    return rc;
}

int
dajia_keydir_add(const char *dir, const char *role, const char *unit, const char *name,
                 dajia_keydir_entry_t *out)
{
    if (!dir || !*dir)
        return -EINVAL;
    if (!dajia_keydir_role_ok(role))
        return DAJIA_KEYDIR_BADROLE;
    bool is_unit = strcmp(role, DAJIA_KEYDIR_ROLE_UNIT) == 0;
    if (is_unit && (!unit || !*unit))
        return DAJIA_KEYDIR_NOUNIT;
    if (is_unit ? !s_unit_ok(unit) : (unit && *unit))
        return DAJIA_KEYDIR_BADUNIT;
    if (!name || !*name)
        name = is_unit ? unit : role;
    if (!dajia_keydir_name_ok(name))
        return DAJIA_KEYDIR_BADNAME;
    char path[PATH_MAX];
    int rc = s_path(path, sizeof path, dir, NULL, DAJIA_KEYDIR_BROKER_SECRET, NULL);
    if (rc)
        return rc;
    if (!s_exists(path))
        return DAJIA_KEYDIR_NOTFOUND;
    bool exists = false;
    rc = s_client_exists(dir, name, &exists);
    if (rc)
        return rc;
    if (exists)
        return DAJIA_KEYDIR_EXISTS;
    rc = s_make_subdirs(dir); /* a directory restored without its empty ones */
    if (rc)
        return rc;
    return s_make_client(dir, name, role, is_unit ? unit : NULL, out);
}

/* ====================================================================== revoke */

/* The first 4 bytes of a Z85 key in hex: a short id for the revoked file's name. */
static void
s_key_id(const char *public_txt, char id[9])
{
    uint8_t bin[S_KEY_LEN];
    if (s_z85_ok(public_txt) && zmq_z85_decode(bin, public_txt))
        snprintf(id, 9, "%02x%02x%02x%02x", bin[0], bin[1], bin[2], bin[3]);
    else
        snprintf(id, 9, "%08lx", (unsigned long)time(NULL) & 0xffffffffUL);
}

int
dajia_keydir_revoke(const char *dir, const char *name, dajia_keydir_entry_t *out)
{
    if (!dir || !*dir)
        return -EINVAL;
    if (!dajia_keydir_name_ok(name))
        return DAJIA_KEYDIR_BADNAME;
    char pub[PATH_MAX], sec[PATH_MAX], revoked_dir[PATH_MAX], public_dir[PATH_MAX];
    char target[PATH_MAX];
    int rc = s_path(pub, sizeof pub, dir, DAJIA_KEYDIR_PUBLIC_DIR, name, DAJIA_KEYDIR_CERT_EXT);
    if (rc == 0)
        rc = s_path(sec, sizeof sec, dir, DAJIA_KEYDIR_SECRET_DIR, name, DAJIA_KEYDIR_SECRET_EXT);
    if (rc == 0)
        rc = s_path(revoked_dir, sizeof revoked_dir, dir, DAJIA_KEYDIR_REVOKED_DIR, NULL, NULL);
    if (rc == 0)
        rc = s_path(public_dir, sizeof public_dir, dir, DAJIA_KEYDIR_PUBLIC_DIR, NULL, NULL);
    if (rc)
        return rc;
    if (!s_exists(pub))
        return DAJIA_KEYDIR_NOTFOUND;
    s_cert_t cert = {0};
    bool damaged = s_cert_read(pub, false, true, &cert, NULL) != 0;
    char id[9];
    s_key_id(cert.public_txt, id);
    rc = s_mkdir(revoked_dir);
    if (rc)
        return rc;
    /* link + unlink rather than rename: never replace an earlier revoked file. */
    rc = DAJIA_KEYDIR_EXISTS;
    for (int i = 1; i <= S_REVOKED_TRIES && rc == DAJIA_KEYDIR_EXISTS; i++) {
        int n = i == 1 ? snprintf(target, sizeof target, "%s/%s-%s%s", revoked_dir, name, id,
                                  DAJIA_KEYDIR_CERT_EXT)
                       : snprintf(target, sizeof target, "%s/%s-%s-%d%s", revoked_dir, name, id, i,
                                  DAJIA_KEYDIR_CERT_EXT);
        if (n < 0 || (size_t)n >= sizeof target)
            return -ENAMETOOLONG;
        rc = link(pub, target) == 0 ? 0 : errno == EEXIST ? DAJIA_KEYDIR_EXISTS : -errno;
    }
    if (rc)
        return rc;
    if (unlink(pub) != 0) {
        rc = -errno;
        unlink(target);
        return rc;
    }
    if (unlink(sec) != 0 && errno != ENOENT)
        rc = -errno;
    /* Durable before we say it is done: public/ first, where the broker looks. */
    int sync_rc = dajia_fs_sync_dir(public_dir);
    if (sync_rc == 0)
        sync_rc = dajia_fs_sync_dir(revoked_dir);
    if (rc == 0)
        rc = sync_rc;
    if (out) {
        memset(out, 0, sizeof *out);
        s_copy(out->name, sizeof out->name, name);
        if (!damaged) {
            s_copy(out->role, sizeof out->role, cert.role);
            s_copy(out->unit, sizeof out->unit, cert.unit);
            s_copy(out->public_txt, sizeof out->public_txt, cert.public_txt);
        }
        out->revoked = true;
        out->damaged = damaged;
    }
    return rc;
}

/* ====================================================================== list */

typedef struct {
    dajia_keydir_entry_t *items;
    size_t count, cap;
} s_list_t;

int
dajia_keydir_each(const char *dir, bool revoked, dajia_keydir_each_fn *fn, void *arg)
{
    if (!dir || !*dir || !fn)
        return -EINVAL;
    char sub[PATH_MAX];
    int rc = s_path(sub, sizeof sub, dir,
                    revoked ? DAJIA_KEYDIR_REVOKED_DIR : DAJIA_KEYDIR_PUBLIC_DIR, NULL, NULL);
    if (rc)
        return rc;
    DIR *d = opendir(sub);
    if (!d)
        return errno == ENOENT ? DAJIA_KEYDIR_NOTFOUND : -errno;
    size_t ext_len = strlen(DAJIA_KEYDIR_CERT_EXT);
    struct dirent *de;
    while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len <= ext_len ||
            strcmp(de->d_name + len - ext_len, DAJIA_KEYDIR_CERT_EXT) != 0)
            continue;
        char path[PATH_MAX];
        rc = s_path(path, sizeof path, sub, NULL, de->d_name, NULL);
        if (rc)
            break;
        char stem[DAJIA_KEYDIR_NAME_MAX + 1];
        size_t stem_len = len - ext_len;
        bool stem_whole = stem_len <= DAJIA_KEYDIR_NAME_MAX;
        if (!stem_whole)
            stem_len = DAJIA_KEYDIR_NAME_MAX;
        memcpy(stem, de->d_name, stem_len);
        stem[stem_len] = 0;
        s_cert_t cert;
        const char *why = NULL;
        if (s_cert_read(path, false, true, &cert, &why) == 0 && !revoked &&
            !(stem_whole && dajia_keydir_name_ok(stem)))
            why = "the file name is not a certificate name";
        dajia_keydir_entry_t entry = {.revoked = revoked, .damaged = why != NULL};
        if (!entry.damaged) {
            s_copy(entry.role, sizeof entry.role, cert.role);
            s_copy(entry.unit, sizeof entry.unit, cert.unit);
            s_copy(entry.public_txt, sizeof entry.public_txt, cert.public_txt);
        }
        /* A trusted certificate is known by its file name (that is what the broker
           reports as its user id); a revoked one by the name it had. */
        s_copy(entry.name, sizeof entry.name, revoked && !entry.damaged ? cert.name : stem);
        rc = fn(path, &entry, why, arg);
    }
    if (rc == 0 && errno)
        rc = -errno;
    closedir(d);
    return rc;
}

static int
s_list_push(const char *path, const dajia_keydir_entry_t *entry, const char *why, void *arg)
{
    s_list_t *list = arg;
    (void)path;
    (void)why;
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 32;
        dajia_keydir_entry_t *items = realloc(list->items, cap * sizeof *items);
        if (!items)
            return -ENOMEM;
        list->items = items;
        list->cap = cap;
    }
    list->items[list->count++] = *entry;
    return 0;
}

static int
s_entry_cmp(const void *a, const void *b)
{
    const dajia_keydir_entry_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return (int)x->revoked - (int)y->revoked;
}

int
dajia_keydir_list(const char *dir, dajia_keydir_entry_t **entries, size_t *count)
{
    if (!dir || !*dir || !entries || !count)
        return -EINVAL;
    s_list_t list = {0};
    int rc = dajia_keydir_each(dir, false, s_list_push, &list);
    if (rc == 0) {
        rc = dajia_keydir_each(dir, true, s_list_push, &list);
        if (rc == DAJIA_KEYDIR_NOTFOUND)
            rc = 0; /* nothing revoked yet */
    }
    if (rc) {
        free(list.items);
        return rc;
    }
    if (list.count)
        qsort(list.items, list.count, sizeof *list.items, s_entry_cmp);
    *entries = list.items;
    *count = list.count;
    return 0;
}

/* ====================================================================== key files */

/* Clears the secret key in `root` (zconfig keeps its own copy) before it is freed. */
static void
s_config_forget(zconfig_t *root)
{
    zconfig_t *secret = zconfig_locate(root, "curve/secret-key");
    char *value = secret ? zconfig_value(secret) : NULL;
    if (value)
        memset(value, 0, strlen(value));
}

static void
s_free_secret(char **text)
{
    if (*text) {
        memset(*text, 0, strlen(*text));
        free(*text);
        *text = NULL;
    }
}

int
dajia_keydir_export(const char *dir, const char *name, char **text, dajia_keydir_entry_t *out)
{
    if (!dir || !*dir || !text)
        return -EINVAL;
    *text = NULL;
    if (!dajia_keydir_name_ok(name))
        return DAJIA_KEYDIR_BADNAME;
    char pub_path[PATH_MAX], sec_path[PATH_MAX], broker_path[PATH_MAX];
    s_cert_t trusted, own, broker;
    zconfig_t *root = NULL;
    int rc = s_path(pub_path, sizeof pub_path, dir, DAJIA_KEYDIR_PUBLIC_DIR, name,
                    DAJIA_KEYDIR_CERT_EXT);
    if (rc == 0)
        rc = s_path(sec_path, sizeof sec_path, dir, DAJIA_KEYDIR_SECRET_DIR, name,
                    DAJIA_KEYDIR_SECRET_EXT);
    if (rc == 0)
        rc = s_path(broker_path, sizeof broker_path, dir, NULL, DAJIA_KEYDIR_BROKER_CERT, NULL);
    /* Only a certificate the broker trusts: a revoked one would be refused anyway. */
    if (rc == 0)
        rc = s_cert_read(pub_path, false, true, &trusted, NULL);
    if (rc == 0)
        rc = s_cert_read(sec_path, true, true, &own, NULL);
    if (rc == 0 && strcmp(trusted.public_txt, own.public_txt) != 0)
        rc = DAJIA_KEYDIR_CONFLICT; /* public/ and secret/ disagree on the key */
    if (rc == 0)
        rc = s_cert_read(broker_path, false, false, &broker, NULL);
    if (rc)
        goto out;
    root = zconfig_new("root", NULL);
    if (!root) {
        rc = -ENOMEM;
        goto out;
    }
    zconfig_set_comment(root,
                        "   dajia key file: certificate \"%s\" (role %s%s%s) and the "
                        "broker's public key",
                        own.name, own.role, *own.unit ? ", unit " : "", own.unit);
    zconfig_set_comment(root,
                        "   It holds a SECRET key: whoever has this file can connect "
                        "as \"%s\". Give it to that client only.",
                        own.name);
    zconfig_set_comment(root, "   Install it with: dajia-agent keys import FILE");
    zconfig_put(root, DAJIA_KEYDIR_KEYFILE_TAG "/format", DAJIA_KEYDIR_KEYFILE_FORMAT);
    zconfig_put(root, "broker/public-key", broker.public_txt);
    zconfig_put(root, "metadata/" DAJIA_KEYDIR_META_NAME, own.name);
    zconfig_put(root, "metadata/" DAJIA_KEYDIR_META_ROLE, own.role);
    if (*own.unit)
        zconfig_put(root, "metadata/" DAJIA_KEYDIR_META_UNIT, own.unit);
    zconfig_put(root, "curve/public-key", own.public_txt);
    zconfig_put(root, "curve/secret-key", own.secret_txt);
    *text = zconfig_str_save(root);
    if (!*text)
        rc = -ENOMEM;
    else if (out)
        s_entry_set(out, &own);
out:
    if (root) {
        s_config_forget(root);
        zconfig_destroy(&root);
    }
    memset(own.secret_txt, 0, sizeof own.secret_txt);
    return rc;
}

/* Is the certificate at `path` there with the same keys as `want` (its secret too when
   `secret`)? Sets *present and *same; a file that does not parse is present, not same. */
static void
s_compare(const char *path, bool secret, const s_cert_t *want, bool *present, bool *same)
{
    s_cert_t have;
    *present = s_exists(path);
    *same = *present && s_cert_read(path, secret, false, &have, NULL) == 0 &&
            strcmp(have.public_txt, want->public_txt) == 0 &&
            (!secret || strcmp(have.secret_txt, want->secret_txt) == 0);
    if (*present)
        memset(have.secret_txt, 0, sizeof have.secret_txt);
}

int
dajia_keydir_import(const char *dir, const char *text, bool replace, dajia_keydir_entry_t *out)
{
    if (!dir || !*dir || !text)
        return -EINVAL;
    s_cert_t own = {0}, broker = {0};
    char secret_dir[PATH_MAX], sec_path[PATH_MAX], broker_path[PATH_MAX];
    char file[DAJIA_KEYDIR_NAME_MAX + 32];
    char *sec_text = NULL, *broker_text = NULL;
    const char *why = NULL;
    int rc = DAJIA_KEYDIR_BADKEYFILE;
    zconfig_t *root = strlen(text) <= S_CERT_MAX ? zconfig_str_load(text) : NULL;
    const char *format = root ? zconfig_get(root, DAJIA_KEYDIR_KEYFILE_TAG "/format", NULL) : NULL;
    const char *broker_key = root ? zconfig_get(root, "broker/public-key", NULL) : NULL;
    if (!format || strcmp(format, DAJIA_KEYDIR_KEYFILE_FORMAT) != 0 || !s_z85_ok(broker_key))
        goto out;
    if (s_cert_parse(root, true, true, &own, &why) != 0)
        goto out;
    s_copy(broker.public_txt, sizeof broker.public_txt, broker_key);
    s_copy(broker.name, sizeof broker.name, DAJIA_KEYDIR_BROKER_NAME);
    rc = s_path(secret_dir, sizeof secret_dir, dir, DAJIA_KEYDIR_SECRET_DIR, NULL, NULL);
    if (rc == 0)
        rc = s_path(sec_path, sizeof sec_path, dir, DAJIA_KEYDIR_SECRET_DIR, own.name,
                    DAJIA_KEYDIR_SECRET_EXT);
    if (rc == 0)
        rc = s_path(broker_path, sizeof broker_path, dir, NULL, DAJIA_KEYDIR_BROKER_CERT, NULL);
    if (rc)
        goto out;
    /* Decide before writing anything: the same keys are already in place (nothing to
       do), or another broker's key or another key of that name is (refuse unless
       replacing). */
    bool broker_present, broker_same, own_present, own_same;
    s_compare(broker_path, false, &broker, &broker_present, &broker_same);
    s_compare(sec_path, true, &own, &own_present, &own_same);
    if (!replace && ((broker_present && !broker_same) || (own_present && !own_same))) {
        rc = DAJIA_KEYDIR_CONFLICT;
        goto out;
    }
    broker_text = s_cert_text(&broker, false);
    sec_text = s_cert_text(&own, true);
    if (!broker_text || !sec_text) {
        rc = -ENOMEM;
        goto out;
    }
    rc = dajia_fs_mkdir_p(dir, S_DIR_MODE);
    if (rc == 0)
        rc = s_mkdir(secret_dir);
    snprintf(file, sizeof file, "%s" DAJIA_KEYDIR_SECRET_EXT, own.name);
    if (rc == 0 && !own_same)
        rc = s_write_file(secret_dir, file, sec_text, S_SECRET_MODE, true);
    if (rc == 0 && !broker_same)
        rc = s_write_file(dir, DAJIA_KEYDIR_BROKER_CERT, broker_text, S_PUBLIC_MODE, true);
    if (rc == 0 && out)
        s_entry_set(out, &own);
out:
    if (root) {
        s_config_forget(root);
        zconfig_destroy(&root);
    }
    free(broker_text);
    s_free_secret(&sec_text);
    memset(own.secret_txt, 0, sizeof own.secret_txt);
    return rc;
}

/* ====================================================================== loading */

int
dajia_keydir_load_file(const char *path, zcert_t **out)
{
    if (!path || !out)
        return -EINVAL;
    s_cert_t cert;
    int rc = s_cert_read(path, true, false, &cert, NULL);
    if (rc)
        return rc;
    uint8_t pub[S_KEY_LEN], sec[S_KEY_LEN];
    zmq_z85_decode(pub, cert.public_txt);
    zmq_z85_decode(sec, cert.secret_txt);
    zcert_t *zc = zcert_new_from(pub, sec);
    memset(sec, 0, sizeof sec);
    memset(cert.secret_txt, 0, sizeof cert.secret_txt);
    if (!zc)
        return -ENOMEM;
    if (*cert.name)
        zcert_set_meta(zc, DAJIA_KEYDIR_META_NAME, "%s", cert.name);
    if (*cert.role)
        zcert_set_meta(zc, DAJIA_KEYDIR_META_ROLE, "%s", cert.role);
    if (*cert.unit)
        zcert_set_meta(zc, DAJIA_KEYDIR_META_UNIT, "%s", cert.unit);
    *out = zc;
    return 0;
}

int
dajia_keydir_load(const char *dir, const char *name, zcert_t **out)
{
    if (!dir || !*dir)
        return -EINVAL;
    if (!dajia_keydir_name_ok(name))
        return DAJIA_KEYDIR_BADNAME;
    char path[PATH_MAX];
    int rc = s_path(path, sizeof path, dir, DAJIA_KEYDIR_SECRET_DIR, name, DAJIA_KEYDIR_SECRET_EXT);
    return rc ? rc : dajia_keydir_load_file(path, out);
}

int
dajia_keydir_load_broker(const char *dir, zcert_t **out)
{
    if (!dir || !*dir)
        return -EINVAL;
    char path[PATH_MAX];
    int rc = s_path(path, sizeof path, dir, NULL, DAJIA_KEYDIR_BROKER_SECRET, NULL);
    return rc ? rc : dajia_keydir_load_file(path, out);
}

int
dajia_keydir_broker_key(const char *dir, char key_txt[DAJIA_KEYDIR_KEY_TXT])
{
    if (!dir || !*dir)
        return -EINVAL;
    char path[PATH_MAX];
    s_cert_t cert;
    int rc = s_path(path, sizeof path, dir, NULL, DAJIA_KEYDIR_BROKER_CERT, NULL);
    if (rc == 0)
        rc = s_cert_read(path, false, false, &cert, NULL);
    if (rc == 0)
        memcpy(key_txt, cert.public_txt, DAJIA_KEYDIR_KEY_TXT);
    return rc;
}

/* ====================================================================== sockets */

int
dajia_keydir_apply(void *sock, zcert_t *own, const char *broker_key)
{
    if (!sock || !own)
        return -EINVAL;
    if (!zsys_has_curve())
        return DAJIA_KEYDIR_NOCURVE;
    if (!s_z85_ok(broker_key))
        return -EINVAL;
    zcert_apply(own, sock);
    zsock_set_curve_serverkey(sock, broker_key);
    return 0;
}

/* Reads one monitor event: [6 bytes: event (16 bits), value (32 bits)][endpoint]. */
static int
s_monitor_event(void *pair, uint16_t *event, uint32_t *value)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    int rc = zmq_msg_recv(&msg, pair, 0) < 0 ? -errno : 0;
    if (rc == 0 && zmq_msg_size(&msg) >= 6) {
        const uint8_t *data = zmq_msg_data(&msg);
        memcpy(event, data, sizeof *event);
        memcpy(value, data + 2, sizeof *value);
    } else if (rc == 0)
        rc = -EPROTO;
    /* The endpoint frame (and anything else) is not needed. */
    while (zmq_msg_more(&msg)) {
        zmq_msg_close(&msg);
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, pair, 0) < 0)
            break;
    }
    zmq_msg_close(&msg);
    return rc;
}

int
dajia_keydir_connect(void *sock, const char *endpoint, int timeout_ms)
{
    static atomic_uint s_monitors;
    if (!sock || !endpoint)
        return -EINVAL;
    void *handle = zsock_resolve(sock);
    char monitor[64];
    snprintf(monitor, sizeof monitor, "inproc://dajia-keys-monitor-%u",
             atomic_fetch_add(&s_monitors, 1));
    if (zmq_socket_monitor(handle, monitor, S_MONITOR_EVENTS) != 0)
        return -errno;
    int rc = 0;
    zsock_t *pair = zsock_new(ZMQ_PAIR);
    if (!pair || zsock_connect(pair, "%s", monitor) != 0) {
        rc = -ENOMEM;
        goto out;
    }
    if (zmq_connect(handle, endpoint) != 0) {
        rc = -EINVAL;
        goto out;
    }
    int64_t deadline = zclock_mono() + timeout_ms;
    rc = -ETIMEDOUT;
    while (rc == -ETIMEDOUT) {
        int64_t left = deadline - zclock_mono();
        if (left <= 0)
            break;
        zmq_pollitem_t item = {zsock_resolve(pair), 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&item, 1, (long)left);
        if (n < 0) {
            rc = errno == EINTR ? -EINTR : -errno;
            break;
        }
        if (n == 0)
            continue;
        uint16_t event = 0;
        uint32_t value = 0;
        int erc = s_monitor_event(zsock_resolve(pair), &event, &value);
        if (erc) {
            rc = erc;
            break;
        }
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            rc = 0;
        else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            rc = DAJIA_KEYDIR_REFUSED;
        else
            rc = DAJIA_KEYDIR_HANDSHAKE;
    }
out:
    zmq_socket_monitor(handle, NULL, 0);
    zsock_destroy(&pair);
    return rc;
}

const char *
dajia_keydir_pick(const char *dir)
{
    if (dir && *dir)
        return dir;
    const char *env = getenv(DAJIA_KEYDIR_ENV);
    if (env && *env)
        return env;
    struct stat st;
    if (stat(DAJIA_KEYDIR_DEFAULT_DIR "/" DAJIA_KEYDIR_BROKER_CERT, &st) == 0 &&
        S_ISREG(st.st_mode))
        return DAJIA_KEYDIR_DEFAULT_DIR;
    return NULL;
}

int
dajia_keydir_open(const char *dir, const char *name, zcert_t **own,
                  char broker_key[DAJIA_KEYDIR_KEY_TXT])
{
    zcert_t *cert = NULL;
    int rc = dajia_keydir_load(dir, name, &cert);
    if (rc == 0)
        rc = dajia_keydir_broker_key(dir, broker_key);
    if (rc)
        zcert_destroy(&cert);
    *own = cert;
    return rc;
}
