/*  ctl_backup: hot backups of the broker's and the workers' stores, and their restore
    (the layout and the order of the copies: ctl_backup.h).

    Only store/ touches LMDB: a store is copied with store_copy(), which takes the
    snapshot and leaves free pages out. A restore copies the files back as they are,
    synced, and then opens the restored store as the broker would, to check it.
*/
#include "ctl_backup.h"

#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_outbox.h" /* AGENT_OUTBOX_KEEP_DAYS, for restore's last line */
#include "client_args.h"
#include "dajia_error.h"
#include "dajia_fs.h"
#include "dajia_log.h"
#include "dajia_tables.h"
#include "dajia_version.h"
#include "store.h"

#define S_DIR_MODE    0700
#define S_FILE_MODE   0600
#define S_DATA_FILE   "data.mdb"
#define S_LOCK_FILE   "lock.mdb"
#define S_BROKER_SUB  "broker"
#define S_WORKERS_SUB "workers"
#define S_KEYS_SUB    "keys"
#define S_COPY_CHUNK  (1 << 20)
#define S_MAX_WORKERS 32 /* worker stores in one backup */
#define S_NAME_MAX    64

/* What a backup holds, as its manifest says. */
typedef struct {
    char made_at[40];
    uint64_t log_seq, feed_seq;
    char workers[S_MAX_WORKERS][S_NAME_MAX];
    size_t nworkers;
    bool keys;
} s_manifest_t;

/* ====================================================================== files */

static int
s_join(char *buf, size_t size, const char *a, const char *b)
{
    int n = snprintf(buf, size, "%s/%s", a, b);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* 0: `path` is missing; 1: an empty directory; -ENOTEMPTY: anything else; -errno. */
static int
s_vacant(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISDIR(st.st_mode))
        return -ENOTEMPTY;
    DIR *dir = opendir(path);
    if (!dir)
        return -errno;
    struct dirent *de;
    int rc = 1;
    while ((de = readdir(dir)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            rc = -ENOTEMPTY;
            break;
        }
    closedir(dir);
    return rc;
}

/* Copies the regular file `src` to the new file `dst` with `mode`, synced. */
static int
s_copy_file(const char *src, const char *dst, mode_t mode)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -errno;
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    char *buf = malloc(S_COPY_CHUNK);
    int rc = out < 0 ? -errno : buf ? 0 : -ENOMEM;
    while (rc == 0) {
        ssize_t n = read(in, buf, S_COPY_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : 0;
            break;
        }
        for (ssize_t done = 0; rc == 0 && done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno != EINTR)
                rc = -errno;
            else if (w > 0)
                done += w;
        }
    }
    if (rc == 0 && fchmod(out, mode) != 0) /* the umask may have taken bits */
        rc = -errno;
    if (rc == 0 && fsync(out) != 0)
        rc = -errno;
    if (out >= 0 && close(out) != 0 && rc == 0)
        rc = -errno;
    close(in);
    free(buf);
    return rc;
}

/* Copies the directory tree `src` into the new directory `dst` (0700): directories and
   regular files, each file with its own permission bits (a secret stays 0600). Hidden
   names (a key directory's temporary files) are left out. */
static int
s_copy_tree(const char *src, const char *dst)
{
    if (mkdir(dst, S_DIR_MODE) != 0 && errno != EEXIST)
        return -errno;
    DIR *dir = opendir(src);
    if (!dir)
        return -errno;
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (errno = 0, de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char from[PATH_MAX], to[PATH_MAX];
        struct stat st;
        rc = s_join(from, sizeof from, src, de->d_name);
        if (rc == 0)
            rc = s_join(to, sizeof to, dst, de->d_name);
        if (rc == 0 && lstat(from, &st) != 0)
            rc = -errno;
        if (rc)
            break;
        if (S_ISDIR(st.st_mode))
            rc = s_copy_tree(from, to);
        else if (S_ISREG(st.st_mode))
            rc = s_copy_file(from, to, st.st_mode & 0777);
    }
    if (rc == 0 && errno)
        rc = -errno;
    closedir(dir);
    return rc == 0 ? dajia_fs_sync_dir(dst) : rc;
}

/* The names of the subdirectories of `dir` that hold a store, sorted. A missing `dir`
   has none. */
static int
s_store_dirs(const char *dir, s_manifest_t *m)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, NULL, alphasort);
    if (n < 0)
        return errno == ENOENT ? 0 : -errno;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char sub[PATH_MAX], data[PATH_MAX];
        const char *name = list[i]->d_name;
        if (rc == 0 && name[0] != '.' && strlen(name) < S_NAME_MAX &&
            s_join(sub, sizeof sub, dir, name) == 0 &&
            s_join(data, sizeof data, sub, S_DATA_FILE) == 0 && access(data, F_OK) == 0) {
            if (m->nworkers == S_MAX_WORKERS)
                rc = -E2BIG;
            else
                memcpy(m->workers[m->nworkers++], name, strlen(name) + 1); /* fits: checked */
        }
        free(list[i]);
    }
    free(list);
    return rc;
}

/* ====================================================================== stores */

/* The last key of `table` as a u64 (0 when it is empty or missing). */
static int
s_last_seq(store_t *store, const char *table, uint64_t *seq)
{
    store_txn_t *txn = NULL;
    store_cursor_t *cursor = NULL;
    *seq = 0;
    int rc = store_read_begin(store, &txn);
    if (rc == 0)
        rc = store_cursor_open(txn, table, &cursor);
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    if (rc == 0)
        rc = store_cursor_last(cursor, &k, &kl, &v, &vl);
    if (rc == 0 && kl == DAJIA_TABLE_U64)
        *seq = store_key_to_u64(k);
    else if (rc == 0)
        rc = STORE_CORRUPT;
    store_cursor_close(&cursor);
    store_txn_end(&txn);
    return rc == STORE_NOTFOUND || rc == STORE_BADTABLE ? 0 : rc;
}

/* The last log_seq and feed_seq of the store in `dir`, opened read-only. */
static int
s_store_seqs(const char *dir, uint64_t *log_seq, uint64_t *feed_seq)
{
    store_t *store = NULL;
    store_options_t opts = {.read_only = true};
    int rc = store_open(dir, &opts, &store);
    if (rc == 0)
        rc = s_last_seq(store, DAJIA_TABLE_LOG, log_seq);
    if (rc == 0)
        rc = s_last_seq(store, DAJIA_TABLE_FEED, feed_seq);
    store_destroy(&store);
    return rc;
}

static int
s_drop_identity_txn(store_txn_t *txn, void *arg)
{
    (void)arg;
    int rc = store_del(txn, DAJIA_TABLE_META, DAJIA_META_STORE_ID, strlen(DAJIA_META_STORE_ID));
    return rc == STORE_NOTFOUND ? 0 : rc;
}

/* Drops the identity of the restored store in `dir`: the broker gives it a new one, and
   the agents, seeing another store, send again the events it may lack (HELLO). */
static int
s_drop_identity(const char *dir)
{
    store_t *store = NULL;
    int rc = store_open(dir, NULL, &store);
    if (rc == 0)
        rc = store_write(store, s_drop_identity_txn, NULL);
    store_destroy(&store);
    return rc;
}

/* Copies the store in `src` into the new directory `dst`. */
static int
s_copy_store(const char *src, const char *dst)
{
    store_t *store = NULL;
    store_options_t opts = {.read_only = true};
    int rc = store_open(src, &opts, &store);
    if (rc == 0 && mkdir(dst, S_DIR_MODE) != 0)
        rc = -errno;
    if (rc == 0)
        rc = store_copy(store, dst);
    store_destroy(&store);
    return rc;
}

/* ====================================================================== manifest */

static int
s_manifest_write(const char *target, const char *data, const char *workers, const char *keys,
                 const s_manifest_t *m)
{
    char path[PATH_MAX], tmp[PATH_MAX], list[S_MAX_WORKERS * S_NAME_MAX] = "";
    int rc = s_join(path, sizeof path, target, CTL_BACKUP_MANIFEST);
    if (rc == 0)
        rc = s_join(tmp, sizeof tmp, target, "." CTL_BACKUP_MANIFEST);
    if (rc)
        return rc;
    for (size_t i = 0; i < m->nworkers; i++) {
        if (i)
            strcat(list, " ");
        strcat(list, m->workers[i]);
    }
    zconfig_t *root = zconfig_new("root", NULL);
    if (!root)
        return -ENOMEM;
    zconfig_set_comment(root, "   dajia backup, made by `dajia-ctl backup`; written last, so a "
                              "directory without it is unfinished.");
    zconfig_set_comment(root, "   Restore it with `dajia-ctl restore DIR --data DATADIR`.");
    zconfig_put(root, "backup/made_at", m->made_at);
    zconfig_putf(root, "backup/version", "%s (revision %s)", dajia_version(),
                 dajia_version_revision());
    zconfig_putf(root, "backup/log_seq", "%" PRIu64, m->log_seq);
    zconfig_putf(root, "backup/feed_seq", "%" PRIu64, m->feed_seq);
    zconfig_put(root, "backup/workers", list);
    zconfig_put(root, "backup/keys", m->keys ? "1" : "0");
    /* Where it came from, for the person reading it later: absolute paths. */
    const char *from[3][2] = {
        {"from/broker", data}, {"from/workers", workers}, {"from/keys", keys}};
    for (size_t i = 0; i < 3; i++) {
        char full[PATH_MAX];
        const char *where = from[i][1] ? from[i][1] : "";
        zconfig_put(root, from[i][0], *where && realpath(where, full) ? full : where);
    }
    char *text = zconfig_str_save(root);
    zconfig_destroy(&root);
    if (!text)
        return -ENOMEM;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, S_FILE_MODE);
    rc = fd < 0 ? -errno : 0;
    size_t len = strlen(text);
    if (rc == 0 && write(fd, text, len) != (ssize_t)len)
        rc = -EIO;
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = -errno;
    free(text);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    return rc == 0 ? dajia_fs_sync_dir(target) : rc;
}

/* Reads the manifest of the backup in `source`. */
static int
s_manifest_read(const char *source, s_manifest_t *m)
{
    char path[PATH_MAX];
    int rc = s_join(path, sizeof path, source, CTL_BACKUP_MANIFEST);
    if (rc)
        return rc;
    if (access(path, R_OK) != 0)
        return -errno;
    zconfig_t *root = zconfig_load(path);
    if (!root)
        return -EINVAL;
    memset(m, 0, sizeof *m);
    const char *made_at = zconfig_get(root, "backup/made_at", NULL);
    const char *log_seq = zconfig_get(root, "backup/log_seq", NULL);
    const char *feed_seq = zconfig_get(root, "backup/feed_seq", NULL);
    const char *workers = zconfig_get(root, "backup/workers", "");
    int64_t value = 0;
    rc = made_at && log_seq && feed_seq ? 0 : -EINVAL;
    if (rc == 0) {
        snprintf(m->made_at, sizeof m->made_at, "%s", made_at);
        rc = client_parse_int(log_seq, 0, INT64_MAX, &value) == 0 ? 0 : -EINVAL;
        m->log_seq = (uint64_t)value;
    }
    if (rc == 0) {
        rc = client_parse_int(feed_seq, 0, INT64_MAX, &value) == 0 ? 0 : -EINVAL;
        m->feed_seq = (uint64_t)value;
    }
    m->keys = strcmp(zconfig_get(root, "backup/keys", "0"), "1") == 0;
    /* The worker names, separated by spaces; each must be a plain directory name. */
    for (const char *p = workers; rc == 0 && *p;) {
        size_t len = strcspn(p, " ");
        if (len > 0) {
            if (len >= S_NAME_MAX || m->nworkers == S_MAX_WORKERS || p[0] == '.' ||
                memchr(p, '/', len))
                rc = -EINVAL;
            else
                snprintf(m->workers[m->nworkers++], S_NAME_MAX, "%.*s", (int)len, p);
        }
        p += len + (p[len] == ' ');
    }
    zconfig_destroy(&root);
    return rc;
}

/* ====================================================================== backup */

/* The in-process workers' directory: as given, or beside the data directory, as the
   broker takes it (worker/state: "<data>/../workers"). A data directory that does not
   exist yet (a restore) has no ".." to follow: its parent is taken from the path. */
static void
s_workers_dir(const ctl_backup_dirs_t *dirs, char *buf, size_t size)
{
    struct stat st;
    if (dirs->worker_state && *dirs->worker_state)
        snprintf(buf, size, "%s", dirs->worker_state);
    else if (stat(dirs->data, &st) == 0)
        snprintf(buf, size, "%s/../%s", dirs->data, S_WORKERS_SUB);
    else {
        size_t len = strlen(dirs->data);
        while (len > 1 && dirs->data[len - 1] == '/')
            len--;
        while (len > 0 && dirs->data[len - 1] != '/')
            len--; /* the last component goes */
        while (len > 1 && dirs->data[len - 1] == '/')
            len--;
        if (len == 0)
            snprintf(buf, size, "%s", S_WORKERS_SUB);
        else
            snprintf(buf, size, "%.*s/%s", (int)(len == 1 ? 0 : len), dirs->data, S_WORKERS_SUB);
    }
}

int
ctl_backup(const char *program, const char *target, const ctl_backup_dirs_t *dirs)
{
    char workers[PATH_MAX], path[PATH_MAX], dst[PATH_MAX], broker_copy[PATH_MAX];
    s_manifest_t m;
    memset(&m, 0, sizeof m);
    const char *what = "check the target";
    s_workers_dir(dirs, workers, sizeof workers);
    int rc = s_vacant(target);
    if (rc == -ENOTEMPTY) {
        fprintf(stderr, "%s: %s is not empty: a backup goes into a new directory\n", program,
                target);
        return 1;
    }
    rc = rc < 0 ? rc : dajia_fs_mkdir_p(target, S_DIR_MODE);
    if (rc == 0 && chmod(target, S_DIR_MODE) != 0)
        rc = -errno;
    if (rc == 0)
        rc = s_join(broker_copy, sizeof broker_copy, target, S_BROKER_SUB);
    if (rc == 0) {
        char when[40];
        dajia_log_format_time(zclock_time(), when, sizeof when);
        snprintf(m.made_at, sizeof m.made_at, "%s", when);
        what = "list the workers' stores";
        rc = s_store_dirs(workers, &m);
    }
    /* The workers first, then the broker: see ctl_backup.h. */
    if (rc == 0 && m.nworkers) {
        what = "copy the workers' stores";
        rc = s_join(path, sizeof path, target, S_WORKERS_SUB);
        if (rc == 0 && mkdir(path, S_DIR_MODE) != 0)
            rc = -errno;
        for (size_t i = 0; rc == 0 && i < m.nworkers; i++) {
            char src[PATH_MAX];
            rc = s_join(src, sizeof src, workers, m.workers[i]);
            if (rc == 0)
                rc = s_join(dst, sizeof dst, path, m.workers[i]);
            if (rc == 0)
                rc = s_copy_store(src, dst);
        }
    }
    if (rc == 0) {
        what = "copy the broker's store";
        rc = s_copy_store(dirs->data, broker_copy);
    }
    if (rc == 0) {
        /* What the copy holds, read from the copy itself; its lock file goes again. */
        what = "read the copy";
        rc = s_store_seqs(broker_copy, &m.log_seq, &m.feed_seq);
        if (rc == 0 && s_join(path, sizeof path, broker_copy, S_LOCK_FILE) == 0)
            unlink(path);
    }
    if (rc == 0 && dirs->keys) {
        what = "copy the key directory";
        rc = s_join(dst, sizeof dst, target, S_KEYS_SUB);
        if (rc == 0)
            rc = s_copy_tree(dirs->keys, dst);
        m.keys = true;
    }
    if (rc == 0) {
        what = "write the manifest";
        rc = s_manifest_write(target, dirs->data, workers, dirs->keys, &m);
    }
    if (rc) {
        fprintf(stderr,
                "%s: cannot %s (broker data %s, workers %s): %s; %s is not a backup (it has "
                "no " CTL_BACKUP_MANIFEST ")\n",
                program, what, dirs->data, workers, dajia_strerror(rc), target);
        return 1;
    }
    printf("backed up %s (the log through log_seq %" PRIu64 ", the feed through feed_seq %" PRIu64
           ")",
           dirs->data, m.log_seq, m.feed_seq);
    if (m.nworkers)
        printf(", %zu worker store%s from %s", m.nworkers, m.nworkers == 1 ? "" : "s", workers);
    if (dirs->keys)
        printf(" and the key directory %s", dirs->keys);
    printf(" into %s\n", target);
    return 0;
}

/* ====================================================================== restore */

/* Copies `source`/`sub`/data.mdb into `dir` (made 0700). */
static int
s_restore_store(const char *source, const char *sub, const char *dir)
{
    char src[PATH_MAX], dst[PATH_MAX];
    int n = snprintf(src, sizeof src, "%s/%s/" S_DATA_FILE, source, sub);
    if (n < 0 || (size_t)n >= sizeof src)
        return -ENAMETOOLONG;
    int rc = dajia_fs_mkdir_p(dir, S_DIR_MODE);
    if (rc == 0)
        rc = s_join(dst, sizeof dst, dir, S_DATA_FILE);
    if (rc == 0)
        rc = s_copy_file(src, dst, S_FILE_MODE);
    return rc == 0 ? dajia_fs_sync_dir(dir) : rc;
}

/* Refuses a target that holds something. */
static int
s_check_vacant(const char *program, const char *what, const char *path)
{
    int rc = s_vacant(path);
    if (rc == -ENOTEMPTY)
        fprintf(stderr,
                "%s: %s %s is not empty: restore writes only into an empty or new directory "
                "(move it aside first)\n",
                program, what, path);
    else if (rc < 0)
        fprintf(stderr, "%s: cannot use %s %s: %s\n", program, what, path, dajia_strerror(rc));
    return rc < 0 ? -1 : 0;
}

int
ctl_restore(const char *program, const char *source, const ctl_backup_dirs_t *dirs)
{
    s_manifest_t m;
    int rc = s_manifest_read(source, &m);
    if (rc) {
        fprintf(
            stderr,
            "%s: %s is not a dajia backup, or an unfinished one (no readable " CTL_BACKUP_MANIFEST
            ")\n",
            program, source);
        return 1;
    }
    if (dirs->keys && !m.keys) {
        fprintf(stderr,
                "%s: the backup in %s holds no key directory (it was made without --keys)\n",
                program, source);
        return 1;
    }
    char workers[PATH_MAX];
    s_workers_dir(dirs, workers, sizeof workers);
    /* Every target is checked before anything is written. */
    if (s_check_vacant(program, "the data directory", dirs->data) ||
        (m.nworkers && s_check_vacant(program, "the workers' directory", workers)) ||
        (dirs->keys && s_check_vacant(program, "the key directory", dirs->keys)))
        return 1;
    const char *what = "restore the broker's store";
    rc = s_restore_store(source, S_BROKER_SUB, dirs->data);
    for (size_t i = 0; rc == 0 && i < m.nworkers; i++) {
        char sub[PATH_MAX], dst[PATH_MAX];
        what = "restore the workers' stores";
        rc = s_join(sub, sizeof sub, S_WORKERS_SUB, m.workers[i]);
        if (rc == 0)
            rc = s_join(dst, sizeof dst, workers, m.workers[i]);
        if (rc == 0)
            rc = s_restore_store(source, sub, dst);
    }
    if (rc == 0 && dirs->keys) {
        char src[PATH_MAX];
        what = "restore the key directory";
        rc = s_join(src, sizeof src, source, S_KEYS_SUB);
        if (rc == 0)
            rc = dajia_fs_mkdir_p(dirs->keys, S_DIR_MODE);
        if (rc == 0)
            rc = s_copy_tree(src, dirs->keys);
    }
    if (rc == 0) {
        what = "give the restored store a new identity";
        rc = s_drop_identity(dirs->data);
    }
    /* What the broker will find: the store opens, and holds what the backup said. */
    uint64_t log_seq = 0, feed_seq = 0;
    if (rc == 0) {
        what = "open the restored store";
        rc = s_store_seqs(dirs->data, &log_seq, &feed_seq);
    }
    if (rc == 0 && (log_seq != m.log_seq || feed_seq != m.feed_seq)) {
        fprintf(stderr,
                "%s: the restored store holds log_seq 1..%" PRIu64 " and feed_seq 1..%" PRIu64
                ", the backup says 1..%" PRIu64 " and 1..%" PRIu64 ": the backup is damaged\n",
                program, log_seq, feed_seq, m.log_seq, m.feed_seq);
        return 1;
    }
    if (rc) {
        fprintf(stderr, "%s: cannot %s from %s: %s\n", program, what, source, dajia_strerror(rc));
        return 1;
    }
    printf("restored the backup of %s (the log through log_seq %" PRIu64
           ", the feed through feed_seq %" PRIu64 ") into %s",
           m.made_at, m.log_seq, m.feed_seq, dirs->data);
    if (m.nworkers)
        printf(", its %zu worker store%s into %s", m.nworkers, m.nworkers == 1 ? "" : "s", workers);
    if (dirs->keys)
        printf(", its keys into %s", dirs->keys);
    printf("\nstart the broker on it; events acknowledged after %s are not in it: each unit's "
           "agent sends them again at its next run (`dajia-agent flush`), from what its outbox "
           "keeps (%d days by default); the broker stores what it lacks and answers the rest "
           "as duplicates\n",
           m.made_at, AGENT_OUTBOX_KEEP_DAYS);
    return 0;
}
