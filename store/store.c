/*  store.c: durable tables of bytes over one LMDB environment.

    Three things here are not plain LMDB calls, and the comments near them say why:

    - Table handles. LMDB's mdb_dbi_open() is fussy: a handle opened in a transaction that
      aborts is gone, and a transaction that opens a handle overwrites the environment's
      slot table, so no other transaction in the process may open one until it ends, and a
      transaction that began before a handle was published cannot use it. The store opens
      every table on disk at store_open(); after that only the batch writer creates tables
      (inside its own write transaction, under table_lock until it has committed), and a
      read-only store opens tables that another process created in a short dedicated
      transaction, also under table_lock. Handles are published in an append-only array
      whose length is an atomic, so finding a table is a lock-free scan of at most
      STORE_MAX_TABLES names. Every transaction remembers how many handles were published
      when it began and uses only those.

    - Map growth. mdb_env_set_mapsize() remaps the file, so no transaction of this process
      may be open meanwhile. The writer is serialised by write_lock; read transactions
      pass a gate (a count of open readers under gate_lock) that growth closes while it
      waits for the count to drop to zero. While growth waits, new readers wait for it,
      so a stream of short readers cannot starve it; but only for STORE_GATE_PATIENCE_MS,
      after which they go in anyway, so a thread that holds a read transaction and begins
      another is delayed, not deadlocked. What does deadlock, and the header forbids: a
      thread holding a read transaction while it calls store_write() (growth would wait for
      that reader for ever), or, on a read-only store, while it begins a second one that
      must adopt the writer's larger map. Growth ahead of need, after a commit that leaves
      the map 80% full, never waits: it is skipped while readers are in.

    - Durability. Commits use LMDB's default full sync (never MDB_NOSYNC or
      MDB_NOMETASYNC): a batch is on disk when store_write() returns 0.
*/
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "dajia_fs.h"

#define STORE_DEFAULT_MAP_SIZE ((size_t)64 << 20)
#define STORE_DEFAULT_READERS  126
#define STORE_MIN_MAP_PAGES    16 /* a new environment needs a few pages before any data */
#define STORE_GROW_PERCENT     80 /* grow after a commit that leaves the map this full */
#define STORE_FILE_MODE        0600
#define STORE_BEGIN_TRIES      16  /* bounds the retries of store_read_begin() */
#define STORE_GATE_PATIENCE_MS 100 /* how long a new reader waits for a pending growth */

typedef struct {
    char *name; /* owned */
    MDB_dbi dbi;
} s_table_t;

struct store_txn_t {
    store_t *store;
    MDB_txn *txn;
    bool write;
    bool map_full;     /* a put or del in this batch hit MDB_MAP_FULL */
    bool table_locked; /* this batch holds store->table_lock (it created a table) */
    unsigned ntables;  /* published handles valid in this transaction */
    unsigned npending; /* tables created in this batch, published at commit */
    s_table_t pending[STORE_MAX_TABLES];
};

struct store_cursor_t {
    MDB_cursor *cursor;
};

struct store_t {
    MDB_env *env;
    bool read_only;
    size_t page_size; /* LMDB's page size */
    size_t os_page_size;
    size_t max_map_size; /* 0: no cap */
    MDB_dbi main_dbi;    /* LMDB's unnamed database, whose keys are the table names */

    /* Published table handles: entries below the count in tables_state never change.
       tables_state packs (count << 32) | main_entries, where main_entries is the number of
       keys in the main database when that set of handles was complete: a snapshot with
       more keys than that holds a table this store has no handle for yet. */
    s_table_t tables[STORE_MAX_TABLES];
    _Atomic uint64_t tables_state;
    pthread_mutex_t table_lock; /* held by whoever is opening handles not yet published */

    pthread_mutex_t write_lock; /* one batch at a time; held by any change of map size */
    store_txn_t batch;          /* the batch's transaction, reused by every store_write */

    pthread_mutex_t gate_lock; /* guards the two fields below; held during a remap */
    pthread_cond_t gate_empty; /* signalled when readers drops to 0 */
    pthread_cond_t gate_open;  /* signalled when growing drops to false */
    unsigned readers;          /* read transactions open */
    bool growing;              /* growth waits for the readers to leave */

    _Atomic unsigned grow_count;
    _Atomic int broken; /* non-zero: the map was lost in a failed remap */
};

int (*store_commit_hook)(void) = NULL;

/* ------------------------------------------------------------------ errors */

static int
s_from_mdb(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return 0;
    case MDB_NOTFOUND:
        return STORE_NOTFOUND;
    case MDB_KEYEXIST:
        return STORE_KEYEXIST;
    case MDB_MAP_FULL:
        return STORE_FULL;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_VERSION_MISMATCH:
    case MDB_INVALID:
        return STORE_CORRUPT;
    case MDB_DBS_FULL:
    case MDB_INCOMPATIBLE:
        return STORE_BADTABLE;
    case MDB_BAD_VALSIZE:
        return -EINVAL;
    default:
        /* LMDB passes system errors through as positive errno values. */
        return rc > 0 ? -rc : STORE_ERROR;
    }
}

/* ------------------------------------------------------------------ keys */

void
store_u64_to_key(uint64_t value, unsigned char key[8])
{
    for (int i = 7; i >= 0; i--) {
        key[i] = (unsigned char)(value & 0xff);
        value >>= 8;
    }
}

uint64_t
store_key_to_u64(const unsigned char key[8])
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value = (value << 8) | key[i];
    return value;
}

/* ------------------------------------------------------------------ reader gate */

static int
s_gate_enter(store_t *self)
{
    int broken = atomic_load(&self->broken);
    if (broken)
        return broken;
    pthread_mutex_lock(&self->gate_lock);
    if (self->growing) {
        struct timespec deadline;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_nsec += STORE_GATE_PATIENCE_MS * 1000000L;
        deadline.tv_sec += deadline.tv_nsec / 1000000000L;
        deadline.tv_nsec %= 1000000000L;
        while (self->growing) {
            if (pthread_cond_timedwait(&self->gate_open, &self->gate_lock, &deadline) == ETIMEDOUT)
                break;
        }
    }
    self->readers++;
    pthread_mutex_unlock(&self->gate_lock);
    return 0;
}

static void
s_gate_leave(store_t *self)
{
    pthread_mutex_lock(&self->gate_lock);
    if (--self->readers == 0)
        pthread_cond_broadcast(&self->gate_empty);
    pthread_mutex_unlock(&self->gate_lock);
}

/* Closes the gate: returns with gate_lock held and no reader inside; s_gate_reopen() ends
   it. With `wait` false, returns false at once (lock not held) if readers are inside. */
static bool
s_gate_close(store_t *self, bool wait)
{
    pthread_mutex_lock(&self->gate_lock);
    if (self->readers > 0 && !wait) {
        pthread_mutex_unlock(&self->gate_lock);
        return false;
    }
    self->growing = true;
    while (self->readers > 0)
        pthread_cond_wait(&self->gate_empty, &self->gate_lock);
    return true;
}

static void
s_gate_reopen(store_t *self)
{
    self->growing = false;
    pthread_cond_broadcast(&self->gate_open);
    pthread_mutex_unlock(&self->gate_lock);
}

/* ------------------------------------------------------------------ map size */

static size_t
s_round_up(size_t value, size_t unit)
{
    return (value + unit - 1) / unit * unit;
}

/* Remaps at `size` (0: the size the last commit recorded). Caller holds the gate closed
   and write_lock (or the store is read-only). If the remap fails LMDB has already dropped
   the old map, so the environment is unusable: mark the store broken. */
static int
s_remap(store_t *self, size_t size)
{
    int rc = mdb_env_set_mapsize(self->env, size);
    if (rc) {
        rc = s_from_mdb(rc);
        atomic_store(&self->broken, rc < 0 ? rc : STORE_ERROR);
    }
    return rc;
}

/* Another process grew the map (MDB_MAP_RESIZED): adopt its size. Caller holds
   write_lock, which keeps out write transactions and other remaps. */
static int
s_adopt_map_size_locked(store_t *self)
{
    s_gate_close(self, true);
    int rc = s_remap(self, 0);
    s_gate_reopen(self);
    return rc;
}

static int
s_adopt_map_size(store_t *self)
{
    int rc = pthread_mutex_lock(&self->write_lock);
    if (rc)
        return -rc; /* EDEADLK: a batch of this thread is running */
    rc = s_adopt_map_size_locked(self);
    pthread_mutex_unlock(&self->write_lock);
    return rc;
}

/* Runs `op` (an LMDB call, returning an LMDB code) inside the gate, again as long as
   another process grew the map under it (MDB_MAP_RESIZED: its size is adopted first), at
   most STORE_BEGIN_TRIES times. Returns op's result as a code, the gate's or the
   adoption's failure, or `exhausted` when every try met a grown map. */
static int
s_gated_retry(store_t *self, int (*op)(store_t *self, void *arg), void *arg, int exhausted)
{
    for (int tries = 0; tries < STORE_BEGIN_TRIES; tries++) {
        int rc = s_gate_enter(self);
        if (rc)
            return rc;
        int mrc = op(self, arg);
        s_gate_leave(self);
        if (mrc != MDB_MAP_RESIZED)
            return s_from_mdb(mrc);
        rc = s_adopt_map_size(self);
        if (rc)
            return rc;
    }
    return exhausted;
}

/* Doubles the map, up to max_map_size. Caller holds write_lock and has no write
   transaction open. `wait` false (growth ahead of need): skip if readers are inside or the
   map cannot grow, and return 0. Returns STORE_FULL if the map is at its cap, or already
   larger than the data plus the free disk space (then no map would let the batch commit).
 */
static int
s_grow(store_t *self, bool wait)
{
    if (!s_gate_close(self, wait))
        return 0;
    MDB_envinfo info;
    int rc = mdb_env_info(self->env, &info);
    if (rc) {
        rc = s_from_mdb(rc);
        goto out;
    }
    size_t old_size = info.me_mapsize;
    size_t used = ((size_t)info.me_last_pgno + 1) * self->page_size;
    size_t new_size = old_size > SIZE_MAX / 2 ? SIZE_MAX : old_size * 2;
    if (self->max_map_size && new_size > self->max_map_size)
        new_size = self->max_map_size;
    new_size = new_size / self->os_page_size * self->os_page_size;
    if (new_size <= old_size) {
        rc = STORE_FULL;
        goto out;
    }
    struct statvfs fs;
    mdb_filehandle_t fd;
    if (mdb_env_get_fd(self->env, &fd) == 0 && fstatvfs(fd, &fs) == 0) {
        size_t avail = (size_t)fs.f_bavail * fs.f_frsize;
        if (old_size >= used + avail) {
            rc = STORE_FULL;
            goto out;
        }
    }
    rc = s_remap(self, new_size);
    if (rc == 0)
        atomic_fetch_add(&self->grow_count, 1);
out:
    s_gate_reopen(self);
    return wait ? rc : 0;
}

/* After a commit: grow early when the map is mostly used, so batches rarely have to run
   twice. Never waits for readers; a skipped growth is tried after the next commit. */
static void
s_grow_early(store_t *self)
{
    MDB_envinfo info;
    if (mdb_env_info(self->env, &info) != 0)
        return;
    size_t used = ((size_t)info.me_last_pgno + 1) * self->page_size;
    if (used / STORE_GROW_PERCENT * 100 < info.me_mapsize)
        return;
    if (self->max_map_size && info.me_mapsize >= self->max_map_size)
        return;
    s_grow(self, false);
}

/* ------------------------------------------------------------------ tables */

static uint64_t
s_tables_pack(unsigned count, size_t main_entries)
{
    if (main_entries > UINT32_MAX)
        main_entries = UINT32_MAX;
    return (uint64_t)count << 32 | (uint64_t)main_entries;
}

static unsigned
s_tables_count(uint64_t state)
{
    return (unsigned)(state >> 32);
}

static size_t
s_tables_entries(uint64_t state)
{
    return (size_t)(state & UINT32_MAX);
}

static bool
s_table_name_ok(const char *name)
{
    if (!name || !*name)
        return false;
    return strnlen(name, STORE_MAX_KEY + 1) <= STORE_MAX_KEY;
}

/* Finds `name` among the handles valid in `txn`. The hot path of every put and get. */
static bool
s_table_find(store_txn_t *txn, const char *name, MDB_dbi *dbi)
{
    const s_table_t *tables = txn->store->tables;
    for (unsigned i = 0; i < txn->ntables; i++) {
        if (tables[i].name[0] == name[0] && strcmp(tables[i].name, name) == 0) {
            *dbi = tables[i].dbi;
            return true;
        }
    }
    for (unsigned i = 0; i < txn->npending; i++) {
        if (strcmp(txn->pending[i].name, name) == 0) {
            *dbi = txn->pending[i].dbi;
            return true;
        }
    }
    return false;
}

/* Creates `name` inside the batch. The handle stays private to the batch until it commits,
   so table_lock is held from here until then (see s_batch_end). Returns an LMDB code. */
static int
s_table_create(store_txn_t *txn, const char *name, MDB_dbi *dbi)
{
    store_t *self = txn->store;
    if (txn->ntables + txn->npending >= STORE_MAX_TABLES)
        return MDB_DBS_FULL;
    char *copy = strdup(name);
    if (!copy)
        return ENOMEM;
    if (!txn->table_locked) {
        pthread_mutex_lock(&self->table_lock);
        txn->table_locked = true;
    }
    int rc = mdb_dbi_open(txn->txn, name, MDB_CREATE, dbi);
    if (rc) {
        free(copy);
        return rc;
    }
    txn->pending[txn->npending].name = copy;
    txn->pending[txn->npending].dbi = *dbi;
    txn->npending++;
    return 0;
}

/* Looks a table up for an operation; `create` in a batch makes it. Returns an LMDB code:
   MDB_NOTFOUND if the table does not exist in this transaction's snapshot. */
static int
s_table(store_txn_t *txn, const char *name, bool create, MDB_dbi *dbi)
{
    if (s_table_find(txn, name, dbi))
        return 0;
    if (!create)
        return MDB_NOTFOUND;
    return s_table_create(txn, name, dbi);
}

/* Opens a handle for every table in the main database that has none yet, in a dedicated
   read transaction whose commit makes the handles shared, then publishes them. Used by
   store_open, and by read-only stores when another process has created tables. Caller
   holds table_lock and is inside the gate. Returns an LMDB code. */
static int
s_tables_scan(store_t *self)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cursor = NULL;
    unsigned first = s_tables_count(atomic_load(&self->tables_state));
    unsigned count = first;
    size_t entries = 0;
    int rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    if (rc)
        goto out;
    rc = mdb_cursor_open(txn, self->main_dbi, &cursor);
    if (rc)
        goto out;
    MDB_val key, val;
    MDB_cursor_op op = MDB_FIRST;
    while ((rc = mdb_cursor_get(cursor, &key, &val, op)) == 0) {
        op = MDB_NEXT;
        entries++;
        /* Table names are C strings; any other key is not one of ours. */
        if (key.mv_size == 0 || key.mv_size > STORE_MAX_KEY || memchr(key.mv_data, 0, key.mv_size))
            continue;
        bool known = false;
        for (unsigned i = 0; i < count && !known; i++)
            known = strlen(self->tables[i].name) == key.mv_size &&
                    memcmp(self->tables[i].name, key.mv_data, key.mv_size) == 0;
        if (known)
            continue;
        if (count == STORE_MAX_TABLES) {
            rc = MDB_DBS_FULL;
            goto out;
        }
        char *name = strndup(key.mv_data, key.mv_size);
        if (!name) {
            rc = ENOMEM;
            goto out;
        }
        MDB_dbi dbi;
        rc = mdb_dbi_open(txn, name, 0, &dbi);
        if (rc == MDB_INCOMPATIBLE) {
            free(name); /* a plain key in the main database, not a table */
            continue;
        }
        if (rc) {
            free(name);
            goto out;
        }
        self->tables[count].name = name;
        self->tables[count].dbi = dbi;
        count++;
    }
    if (rc != MDB_NOTFOUND)
        goto out;
    mdb_cursor_close(cursor);
    cursor = NULL;
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc == 0)
        atomic_store_explicit(&self->tables_state, s_tables_pack(count, entries),
                              memory_order_release);
out:
    if (cursor)
        mdb_cursor_close(cursor);
    if (txn)
        mdb_txn_abort(txn);
    if (rc) {
        /* The handles died with the transaction: forget their names. */
        for (unsigned i = first; i < count; i++) {
            free(self->tables[i].name);
            self->tables[i].name = NULL;
        }
    }
    return rc;
}

/* ------------------------------------------------------------------ open and close */

static int
s_env_open(store_t *self, const char *dir, const store_options_t *opts)
{
    int rc = mdb_env_create(&self->env);
    if (rc)
        return rc;
    rc = mdb_env_set_maxdbs(self->env, STORE_MAX_TABLES);
    if (rc)
        return rc;
    rc = mdb_env_set_maxreaders(self->env,
                                opts->max_readers ? opts->max_readers : STORE_DEFAULT_READERS);
    if (rc)
        return rc;
    if (!self->read_only) {
        /* A read-only store takes the size the writer recorded instead. */
        size_t min_size = STORE_MIN_MAP_PAGES * self->os_page_size;
        size_t size = opts->initial_map_size ? opts->initial_map_size : STORE_DEFAULT_MAP_SIZE;
        size = s_round_up(size < min_size ? min_size : size, self->os_page_size);
        if (self->max_map_size && size > self->max_map_size)
            size = self->max_map_size;
        rc = mdb_env_set_mapsize(self->env, size);
        if (rc)
            return rc;
    }
    /* MDB_NOTLS: read transactions belong to the caller, not to the thread. */
    unsigned flags = MDB_NOTLS | (self->read_only ? MDB_RDONLY : 0);
    return mdb_env_open(self->env, dir, flags, STORE_FILE_MODE);
}

static int
s_load(store_t *self)
{
    MDB_stat stat;
    int rc = mdb_env_stat(self->env, &stat);
    if (rc)
        return rc;
    self->page_size = stat.ms_psize;

    MDB_txn *txn = NULL;
    rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    if (rc)
        return rc;
    /* The main database needs no slot; opening it only names its handle. */
    rc = mdb_dbi_open(txn, NULL, 0, &self->main_dbi);
    mdb_txn_abort(txn);
    if (rc)
        return rc;
    return s_tables_scan(self);
}

int
store_open(const char *dir, const store_options_t *opts, store_t **out)
{
    static const store_options_t defaults = {0};
    if (!dir || !out)
        return -EINVAL;
    if (!opts)
        opts = &defaults;
    long os_page = sysconf(_SC_PAGESIZE);
    if (os_page <= 0)
        return -EINVAL;
    size_t max_map_size = opts->max_map_size / (size_t)os_page * (size_t)os_page;
    if (opts->max_map_size && max_map_size < STORE_MIN_MAP_PAGES * (size_t)os_page)
        return -EINVAL;

    store_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    self->read_only = opts->read_only;
    self->os_page_size = (size_t)os_page;
    self->max_map_size = max_map_size;
    self->batch.store = self;
    self->batch.write = true;
    pthread_mutex_init(&self->table_lock, NULL);
    /* Error-checking, so that store_write() from inside a batch fails instead of hanging. */
    pthread_mutexattr_t mutex_attr;
    pthread_mutexattr_init(&mutex_attr);
    pthread_mutexattr_settype(&mutex_attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&self->write_lock, &mutex_attr);
    pthread_mutexattr_destroy(&mutex_attr);
    pthread_mutex_init(&self->gate_lock, NULL);
    pthread_cond_init(&self->gate_empty, NULL);
    pthread_condattr_t cond_attr;
    pthread_condattr_init(&cond_attr);
    pthread_condattr_setclock(&cond_attr, CLOCK_MONOTONIC);
    pthread_cond_init(&self->gate_open, &cond_attr);
    pthread_condattr_destroy(&cond_attr);

    int rc = s_env_open(self, dir, opts);
    if (rc == 0)
        rc = s_load(self);
    if (rc) {
        store_destroy(&self);
        return s_from_mdb(rc);
    }
    if (!self->read_only) {
        pthread_mutex_lock(&self->write_lock);
        s_grow_early(self);
        pthread_mutex_unlock(&self->write_lock);
    }
    *out = self;
    return 0;
}

void
store_destroy(store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_t *self = *self_p;
    if (self->env)
        mdb_env_close(self->env); /* closes every table handle too */
    for (unsigned i = 0; i < STORE_MAX_TABLES; i++)
        free(self->tables[i].name);
    pthread_cond_destroy(&self->gate_open);
    pthread_cond_destroy(&self->gate_empty);
    pthread_mutex_destroy(&self->gate_lock);
    pthread_mutex_destroy(&self->write_lock);
    pthread_mutex_destroy(&self->table_lock);
    free(self);
    *self_p = NULL;
}

/* ------------------------------------------------------------------ writing */

/* Ends the batch's transaction bookkeeping: publishes the tables it created if it
   committed, forgets them otherwise, and lets readers look for tables again. */
static void
s_batch_end(store_txn_t *txn, bool committed)
{
    store_t *self = txn->store;
    if (txn->npending) {
        if (committed) {
            uint64_t state = atomic_load(&self->tables_state);
            unsigned count = s_tables_count(state);
            for (unsigned i = 0; i < txn->npending; i++)
                self->tables[count + i] = txn->pending[i];
            /* Each new table is one more key in the main database. */
            state = s_tables_pack(count + txn->npending, s_tables_entries(state) + txn->npending);
            atomic_store_explicit(&self->tables_state, state, memory_order_release);
        } else {
            for (unsigned i = 0; i < txn->npending; i++)
                free(txn->pending[i].name);
        }
        txn->npending = 0;
    }
    if (txn->table_locked) {
        pthread_mutex_unlock(&self->table_lock);
        txn->table_locked = false;
    }
}

/* A failed commit: no space left on the disk is a full store, as the header promises. */
static int
s_commit_error(int rc)
{
    if (rc == ENOSPC || rc == EDQUOT || rc == EFBIG)
        return STORE_FULL;
    return s_from_mdb(rc);
}

int
store_write(store_t *self, store_batch_fn *fn, void *arg)
{
    if (!self || !fn)
        return -EINVAL;
    if (self->read_only)
        return STORE_READONLY;
    int result = pthread_mutex_lock(&self->write_lock);
    if (result)
        return -result; /* EDEADLK: called from inside a batch */
    store_txn_t *txn = &self->batch;
    for (;;) {
        result = atomic_load(&self->broken);
        if (result)
            break;
        int rc = mdb_txn_begin(self->env, NULL, 0, &txn->txn);
        if (rc == MDB_MAP_RESIZED) {
            result = s_adopt_map_size_locked(self);
            if (result)
                break;
            continue;
        }
        if (rc) {
            result = s_from_mdb(rc);
            break;
        }
        txn->map_full = false;
        txn->ntables = s_tables_count(atomic_load(&self->tables_state));
        int fn_rc = fn(txn, arg);
        if (fn_rc == 0 && !txn->map_full) {
            int (*hook)(void) = store_commit_hook;
            rc = hook ? hook() : 0;
            if (rc == 0) {
                rc = mdb_txn_commit(txn->txn);
                txn->txn = NULL; /* commit frees the transaction, even on failure */
            }
        }
        if (txn->txn) {
            mdb_txn_abort(txn->txn);
            txn->txn = NULL;
        }
        bool committed = fn_rc == 0 && !txn->map_full && rc == 0;
        s_batch_end(txn, committed);
        if (committed) {
            s_grow_early(self);
            result = 0;
            break;
        }
        if (txn->map_full || rc == MDB_MAP_FULL) {
            /* Nothing of this run was written: grow and run the batch again. */
            result = s_grow(self, true);
            if (result)
                break;
            continue;
        }
        result = fn_rc ? fn_rc : s_commit_error(rc);
        break;
    }
    pthread_mutex_unlock(&self->write_lock);
    return result;
}

/* Checks a batch operation's arguments; returns 0 or a store code. */
static int
s_check_write(store_txn_t *txn, const char *table, const void *key, size_t klen)
{
    if (!txn || !txn->txn || !s_table_name_ok(table) || !key || klen == 0 || klen > STORE_MAX_KEY)
        return -EINVAL; /* no txn->txn: the batch's transaction used after its batch */
    if (!txn->write)
        return STORE_READONLY;
    if (txn->map_full)
        return STORE_FULL; /* LMDB refuses anything after a failed allocation */
    return 0;
}

/* Maps an LMDB result inside a batch, remembering a full map for store_write(). */
static int
s_batch_result(store_txn_t *txn, int rc)
{
    if (rc == MDB_MAP_FULL)
        txn->map_full = true;
    return s_from_mdb(rc);
}

int
store_put(store_txn_t *txn, const char *table, const void *key, size_t klen, const void *val,
          size_t vlen, unsigned flags)
{
    int rc = s_check_write(txn, table, key, klen);
    if (rc)
        return rc;
    if ((flags & ~(unsigned)(STORE_NOOVERWRITE | STORE_APPEND)) || (!val && vlen))
        return -EINVAL;
    MDB_dbi dbi;
    rc = s_table(txn, table, true, &dbi);
    if (rc)
        return s_batch_result(txn, rc);
    unsigned mdb_flags = ((flags & STORE_NOOVERWRITE) ? MDB_NOOVERWRITE : 0) |
                         ((flags & STORE_APPEND) ? MDB_APPEND : 0);
    MDB_val k = {klen, (void *)key};
    MDB_val v = {vlen, (void *)val};
    return s_batch_result(txn, mdb_put(txn->txn, dbi, &k, &v, mdb_flags));
}

int
store_del(store_txn_t *txn, const char *table, const void *key, size_t klen)
{
    int rc = s_check_write(txn, table, key, klen);
    if (rc)
        return rc;
    MDB_dbi dbi;
    rc = s_table(txn, table, false, &dbi);
    if (rc)
        return s_batch_result(txn, rc);
    MDB_val k = {klen, (void *)key};
    return s_batch_result(txn, mdb_del(txn->txn, dbi, &k, NULL));
}

/* ------------------------------------------------------------------ reading */

static int
s_tables_scan_op(store_t *self, void *arg)
{
    (void)arg;
    return s_tables_scan(self);
}

/* A snapshot holds a table this store has no handle for yet. The writer of this process
   publishes its new tables right after its commit, under table_lock: wait for it. A
   read-only store opens the tables another process created. */
static int
s_tables_catch_up(store_t *self)
{
    pthread_mutex_lock(&self->table_lock);
    int rc = self->read_only ? s_gated_retry(self, s_tables_scan_op, NULL, 0) : 0;
    pthread_mutex_unlock(&self->table_lock);
    return rc;
}

int
store_read_begin(store_t *self, store_txn_t **out)
{
    if (!self || !out)
        return -EINVAL;
    store_txn_t *txn = calloc(1, sizeof *txn);
    if (!txn)
        return -ENOMEM;
    txn->store = self;
    int rc = STORE_ERROR;
    for (int tries = 0; tries < STORE_BEGIN_TRIES; tries++) {
        /* Read before beginning: every handle published by now is valid in the txn. */
        uint64_t state = atomic_load_explicit(&self->tables_state, memory_order_acquire);
        rc = s_gate_enter(self);
        if (rc)
            break;
        int mrc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn->txn);
        if (mrc) {
            s_gate_leave(self);
            if (mrc != MDB_MAP_RESIZED) {
                rc = s_from_mdb(mrc);
                break;
            }
            rc = s_adopt_map_size(self);
            if (rc)
                break;
            continue;
        }
        MDB_stat main_stat;
        mrc = mdb_stat(txn->txn, self->main_dbi, &main_stat);
        if (mrc == 0 && main_stat.ms_entries > s_tables_entries(state) &&
            tries + 1 < STORE_BEGIN_TRIES) {
            mdb_txn_abort(txn->txn);
            txn->txn = NULL;
            s_gate_leave(self);
            rc = s_tables_catch_up(self);
            if (rc)
                break;
            continue;
        }
        /* On the last try, tables without a handle read as missing. */
        txn->ntables = s_tables_count(state);
        *out = txn;
        return 0;
    }
    free(txn);
    return rc;
}

void
store_txn_end(store_txn_t **txn_p)
{
    if (!txn_p || !*txn_p)
        return;
    store_txn_t *txn = *txn_p;
    if (txn->write)
        return; /* the batch's transaction belongs to store_write() */
    mdb_txn_abort(txn->txn);
    s_gate_leave(txn->store);
    free(txn);
    *txn_p = NULL;
}

int
store_get(store_txn_t *txn, const char *table, const void *key, size_t klen, const void **val,
          size_t *vlen)
{
    if (val)
        *val = NULL;
    if (vlen)
        *vlen = 0;
    if (!txn || !txn->txn || !s_table_name_ok(table) || !key || klen == 0 || klen > STORE_MAX_KEY ||
        !val || !vlen)
        return -EINVAL;
    MDB_dbi dbi;
    int rc = s_table(txn, table, false, &dbi);
    if (rc)
        return s_from_mdb(rc);
    MDB_val k = {klen, (void *)key};
    MDB_val v;
    rc = mdb_get(txn->txn, dbi, &k, &v);
    if (rc)
        return s_from_mdb(rc);
    *val = v.mv_data;
    *vlen = v.mv_size;
    return 0;
}

int
store_count(store_txn_t *txn, const char *table, uint64_t *count)
{
    if (!txn || !txn->txn || !s_table_name_ok(table) || !count)
        return -EINVAL;
    *count = 0;
    MDB_dbi dbi;
    int rc = s_table(txn, table, false, &dbi);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return s_from_mdb(rc);
    MDB_stat stat;
    rc = mdb_stat(txn->txn, dbi, &stat);
    if (rc)
        return s_from_mdb(rc);
    *count = stat.ms_entries;
    return 0;
}

/* ------------------------------------------------------------------ cursors */

int
store_cursor_open(store_txn_t *txn, const char *table, store_cursor_t **out)
{
    if (!txn || !txn->txn || !s_table_name_ok(table) || !out)
        return -EINVAL;
    MDB_dbi dbi;
    int rc = s_table(txn, table, false, &dbi);
    if (rc)
        return s_from_mdb(rc);
    store_cursor_t *self = malloc(sizeof *self);
    if (!self)
        return -ENOMEM;
    rc = mdb_cursor_open(txn->txn, dbi, &self->cursor);
    if (rc) {
        free(self);
        return s_from_mdb(rc);
    }
    *out = self;
    return 0;
}

void
store_cursor_close(store_cursor_t **cursor_p)
{
    if (!cursor_p || !*cursor_p)
        return;
    mdb_cursor_close((*cursor_p)->cursor);
    free(*cursor_p);
    *cursor_p = NULL;
}

static int
s_cursor_get(store_cursor_t *self, MDB_val *key, MDB_cursor_op op, const void **k, size_t *kl,
             const void **v, size_t *vl)
{
    MDB_val val;
    int rc = mdb_cursor_get(self->cursor, key, &val, op);
    if (rc)
        return s_from_mdb(rc);
    if (k)
        *k = key->mv_data;
    if (kl)
        *kl = key->mv_size;
    if (v)
        *v = val.mv_data;
    if (vl)
        *vl = val.mv_size;
    return 0;
}

int
store_cursor_seek(store_cursor_t *cursor, const void *key, size_t klen, const void **k, size_t *kl,
                  const void **v, size_t *vl)
{
    if (!cursor || klen > STORE_MAX_KEY || (klen && !key))
        return -EINVAL;
    MDB_val mkey = {klen, (void *)key};
    return s_cursor_get(cursor, &mkey, klen ? MDB_SET_RANGE : MDB_FIRST, k, kl, v, vl);
}

int
store_cursor_next(store_cursor_t *cursor, const void **k, size_t *kl, const void **v, size_t *vl)
{
    if (!cursor)
        return -EINVAL;
    MDB_val mkey = {0, NULL};
    return s_cursor_get(cursor, &mkey, MDB_NEXT, k, kl, v, vl);
}

int
store_cursor_last(store_cursor_t *cursor, const void **k, size_t *kl, const void **v, size_t *vl)
{
    if (!cursor)
        return -EINVAL;
    MDB_val mkey = {0, NULL};
    return s_cursor_get(cursor, &mkey, MDB_LAST, k, kl, v, vl);
}

/* ------------------------------------------------------------------ copying */

/* fsync of the copy's file `path`, which also gets the store's file mode. */
static int
s_fsync_file(const char *path)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    if (rc == 0 && fchmod(fd, STORE_FILE_MODE) != 0) /* LMDB makes it 0666 & umask */
        rc = -errno;
    close(fd);
    return rc;
}

/* What store_copy copies: into directory `target`, the file `path` there. */
typedef struct {
    const char *target;
    const char *path;
} s_copy_t;

static int
s_copy_op(store_t *self, void *arg)
{
    s_copy_t *copy = arg;
    int mrc = mdb_env_copy2(self->env, copy->target, MDB_CP_COMPACT);
    /* Another process grew the map before the copy's transaction began: the copy starts
       again (the file was made before the transaction failed). */
    if (mrc == MDB_MAP_RESIZED)
        unlink(copy->path);
    return mrc;
}

int
store_copy(store_t *self, const char *target)
{
    if (!self || !target || !*target)
        return -EINVAL;
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/data.mdb", target);
    if (n < 0 || (size_t)n >= sizeof path)
        return -ENAMETOOLONG;
    if (access(path, F_OK) == 0)
        return -EEXIST;
    /* The copy's read transaction counts as a reader: growth of the map by this process
       waits for it, as for any other. */
    int rc = s_gated_retry(self, s_copy_op, &(s_copy_t){target, path}, STORE_ERROR);
    if (rc == 0)
        rc = s_fsync_file(path);
    if (rc == 0)
        rc = dajia_fs_sync_dir(target);
    else if (rc != -EEXIST)
        unlink(path); /* no half copy that looks like a store */
    return rc;
}

/* ------------------------------------------------------------------ misc */

/* LMDB maps the file shared and read-only (no MDB_WRITEMAP): MADV_DONTNEED only drops
   this process's page table entries for it, never data, since every page of the map is
   the file's page cache. LMDB does not tell where its map is (mdb_env_info's me_mapaddr
   is set only for MDB_FIXEDMAP), so the map is found in /proc/self/maps as the mappings
   of the data file's device and inode. The gate keeps a remap from moving the map
   meanwhile. */
int
store_release_pages(store_t *self)
{
    if (!self)
        return -EINVAL;
    mdb_filehandle_t fd;
    struct stat st;
    if (mdb_env_get_fd(self->env, &fd) != 0 || fstat(fd, &st) != 0)
        return -EBADF;
    int rc = s_gate_enter(self);
    if (rc)
        return rc;
    FILE *maps = fopen("/proc/self/maps", "re");
    if (!maps) {
        rc = -errno;
        goto out;
    }
    char line[512];
    while (fgets(line, sizeof line, maps)) {
        unsigned long long start = 0, end = 0, ino = 0;
        unsigned dev_major = 0, dev_minor = 0;
        if (sscanf(line, "%llx-%llx %*s %*s %x:%x %llu", &start, &end, &dev_major, &dev_minor,
                   &ino) != 5)
            continue;
        if (ino != (unsigned long long)st.st_ino || dev_major != major(st.st_dev) ||
            dev_minor != minor(st.st_dev) || end <= start)
            continue;
        if (madvise((void *)(uintptr_t)start, (size_t)(end - start), MADV_DONTNEED) != 0 && !rc)
            rc = -errno;
    }
    fclose(maps);
out:
    s_gate_leave(self);
    return rc;
}

/* ------------------------------------------------------------------ stats */

int
store_stats(store_t *self, store_stats_t *stats)
{
    if (!self || !stats)
        return -EINVAL;
    int rc = s_gate_enter(self); /* the map size must not change under us */
    if (rc)
        return rc;
    MDB_envinfo info;
    rc = mdb_env_info(self->env, &info);
    s_gate_leave(self);
    if (rc)
        return s_from_mdb(rc);
    stats->map_size = info.me_mapsize;
    stats->used_bytes = ((size_t)info.me_last_pgno + 1) * self->page_size;
    stats->grow_count = atomic_load(&self->grow_count);
    return 0;
}
