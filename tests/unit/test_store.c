/*  test_store.c: unit tests of store/, the LMDB layer.

    Each test gets a fresh directory from mkdtemp (removed in teardown) and, for most, a
    store opened there with the defaults. Tests that need other options or another process
    open their own. The read-only test forks before any store is opened, because LMDB
    forbids using an environment across fork() and opening one twice in a process.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "test_util.h"

/* LMDB's MDB_MAP_FULL, for the commit hook; only store/ may include lmdb.h. */
#define TEST_MDB_MAP_FULL (-30792)

#define KIB ((size_t)1024)
#define MIB (KIB * 1024)

typedef struct {
    char dir[256];
    store_t *store;
} fixture_t;

/* ------------------------------------------------------------------ fixtures */

static int
s_setup_dir(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    if (test_util_dir_make(fx->dir, sizeof fx->dir, "store") != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int
s_setup(void **state)
{
    if (s_setup_dir(state))
        return -1;
    fixture_t *fx = *state;
    return store_open(fx->dir, NULL, &fx->store) == 0 ? 0 : -1;
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    store_commit_hook = NULL;
    int rc = test_util_store_remove(&fx->store, fx->dir);
    free(fx);
    return rc == 0 ? 0 : -1;
}

/* Reopens the fixture's store with `opts`. */
static void
s_reopen(fixture_t *fx, const store_options_t *opts)
{
    store_destroy(&fx->store);
    assert_null(fx->store);
    assert_ok(store_open(fx->dir, opts, &fx->store));
}

/* ------------------------------------------------------------------ batches */

typedef struct {
    const char *table;
    const void *key;
    size_t klen;
    const void *val;
    size_t vlen;
    unsigned flags;
    int result; /* what the batch returns after its puts */
} put_arg_t;

static int
s_put_one(store_txn_t *txn, void *arg)
{
    put_arg_t *put = arg;
    int rc = store_put(txn, put->table, put->key, put->klen, put->val, put->vlen, put->flags);
    return rc ? rc : put->result;
}

static int
s_put_str(store_t *store, const char *table, const char *key, const char *val, unsigned flags)
{
    put_arg_t put = {table, key, strlen(key), val, strlen(val), flags, 0};
    return store_write(store, s_put_one, &put);
}

/* Checks that table/key holds exactly `expected`, in a fresh read transaction. */
static void
s_assert_value(store_t *store, const char *table, const char *key, const char *expected)
{
    store_txn_t *txn = NULL;
    const void *val = NULL;
    size_t vlen = 0;
    assert_ok(store_read_begin(store, &txn));
    int rc = store_get(txn, table, key, strlen(key), &val, &vlen);
    if (rc == 0) {
        assert_int_equal(vlen, strlen(expected));
        assert_memory_equal(val, expected, vlen);
    }
    store_txn_end(&txn);
    assert_null(txn);
    assert_ok(rc);
}

static void
s_assert_missing(store_t *store, const char *table, const char *key)
{
    store_txn_t *txn = NULL;
    const void *val = NULL;
    size_t vlen = 0;
    assert_ok(store_read_begin(store, &txn));
    int rc = store_get(txn, table, key, strlen(key), &val, &vlen);
    store_txn_end(&txn);
    assert_int_equal(rc, STORE_NOTFOUND);
    assert_null(val);
}

static uint64_t
s_count(store_t *store, const char *table)
{
    store_txn_t *txn = NULL;
    uint64_t count = UINT64_MAX;
    assert_ok(store_read_begin(store, &txn));
    int rc = store_count(txn, table, &count);
    store_txn_end(&txn);
    assert_ok(rc);
    return count;
}

/* A batch of `count` records with u64 keys from `first`, each value `vlen` bytes filled
   with the key's low byte. Counts its runs, to show a batch re-ran after a full map. */
typedef struct {
    const char *table;
    uint64_t first;
    uint64_t count;
    size_t vlen;
    unsigned flags;
    unsigned runs;
    int last_rc;
} fill_arg_t;

static int
s_fill(store_txn_t *txn, void *arg)
{
    fill_arg_t *fill = arg;
    unsigned char key[8];
    unsigned char val[4096];
    assert_true(fill->vlen <= sizeof val);
    fill->runs++;
    for (uint64_t i = 0; i < fill->count; i++) {
        uint64_t n = fill->first + i;
        store_u64_to_key(n, key);
        memset(val, (int)(n & 0xff), fill->vlen);
        int rc = store_put(txn, fill->table, key, sizeof key, val, fill->vlen, fill->flags);
        if (rc) {
            fill->last_rc = rc;
            return rc;
        }
    }
    return 0;
}

/* Checks records [first, first + count) as s_fill wrote them. */
static void
s_assert_filled(store_t *store, const char *table, uint64_t first, uint64_t count, size_t vlen)
{
    store_txn_t *txn = NULL;
    assert_ok(store_read_begin(store, &txn));
    for (uint64_t i = 0; i < count; i++) {
        unsigned char key[8];
        const void *val = NULL;
        size_t len = 0;
        uint64_t n = first + i;
        store_u64_to_key(n, key);
        int rc = store_get(txn, table, key, sizeof key, &val, &len);
        if (rc) {
            store_txn_end(&txn);
            fail_msg("key %llu: %s", (unsigned long long)n, dajia_strerror(rc));
        }
        assert_int_equal(len, vlen);
        const unsigned char *bytes = val;
        assert_int_equal(bytes[0], n & 0xff);
        assert_int_equal(bytes[vlen - 1], n & 0xff);
    }
    store_txn_end(&txn);
}

/* ------------------------------------------------------------------ basics */

static void
test_put_get_round_trip(void **state)
{
    fixture_t *fx = *state;
    unsigned char val[300];
    for (size_t i = 0; i < sizeof val; i++)
        val[i] = (unsigned char)i; /* binary, with zero bytes */
    put_arg_t put = {"events", "k1", 2, val, sizeof val, 0, 0};
    assert_ok(store_write(fx->store, s_put_one, &put));

    store_txn_t *txn = NULL;
    const void *got = NULL;
    size_t len = 0;
    assert_ok(store_read_begin(fx->store, &txn));
    assert_ok(store_get(txn, "events", "k1", 2, &got, &len));
    assert_int_equal(len, sizeof val);
    assert_memory_equal(got, val, sizeof val);
    store_txn_end(&txn);
}

static void
test_put_empty_value_round_trips(void **state)
{
    fixture_t *fx = *state;
    put_arg_t put = {"events", "empty", 5, NULL, 0, 0, 0};
    assert_ok(store_write(fx->store, s_put_one, &put));
    s_assert_value(fx->store, "events", "empty", "");
}

static void
test_get_missing_key_returns_notfound(void **state)
{
    fixture_t *fx = *state;
    assert_ok(s_put_str(fx->store, "events", "there", "1", 0));
    s_assert_missing(fx->store, "events", "nope");
    s_assert_missing(fx->store, "no_such_table", "there");
}

static void
test_put_nooverwrite_existing_returns_keyexist_and_keeps_original(void **state)
{
    fixture_t *fx = *state;
    assert_ok(s_put_str(fx->store, "ids", "event-1", "original", STORE_NOOVERWRITE));
    assert_int_equal(s_put_str(fx->store, "ids", "event-1", "second", STORE_NOOVERWRITE),
                     STORE_KEYEXIST);
    s_assert_value(fx->store, "ids", "event-1", "original");
    /* Without the flag the value is replaced. */
    assert_ok(s_put_str(fx->store, "ids", "event-1", "third", 0));
    s_assert_value(fx->store, "ids", "event-1", "third");
}

static void
test_put_append_increasing_u64_keys_stored_in_order(void **state)
{
    fixture_t *fx = *state;
    fill_arg_t fill = {"log", 1, 1000, 16, STORE_APPEND, 0, 0};
    assert_ok(store_write(fx->store, s_fill, &fill));
    fill_arg_t more = {"log", 1001, 1000, 16, STORE_APPEND, 0, 0};
    assert_ok(store_write(fx->store, s_fill, &more));
    assert_int_equal(s_count(fx->store, "log"), 2000);
    s_assert_filled(fx->store, "log", 1, 2000, 16);

    /* A key that is not past the last one is refused, and the batch writes nothing. */
    fill_arg_t back = {"log", 5, 1, 16, STORE_APPEND, 0, 0};
    assert_int_equal(store_write(fx->store, s_fill, &back), STORE_KEYEXIST);
    assert_int_equal(s_count(fx->store, "log"), 2000);
}

typedef struct {
    const char *table;
    const char *key;
    int rc;
} del_arg_t;

static int
s_del_one(store_txn_t *txn, void *arg)
{
    del_arg_t *del = arg;
    del->rc = store_del(txn, del->table, del->key, strlen(del->key));
    return 0;
}

static void
test_del_removes_key_and_missing_returns_notfound(void **state)
{
    fixture_t *fx = *state;
    assert_ok(s_put_str(fx->store, "outbox", "a", "1", 0));
    assert_ok(s_put_str(fx->store, "outbox", "b", "2", 0));

    del_arg_t del = {"outbox", "a", -1};
    assert_ok(store_write(fx->store, s_del_one, &del));
    assert_ok(del.rc);
    s_assert_missing(fx->store, "outbox", "a");
    s_assert_value(fx->store, "outbox", "b", "2");

    del_arg_t again = {"outbox", "a", -1};
    assert_ok(store_write(fx->store, s_del_one, &again));
    assert_int_equal(again.rc, STORE_NOTFOUND);

    del_arg_t no_table = {"never_made", "a", -1};
    assert_ok(store_write(fx->store, s_del_one, &no_table));
    assert_int_equal(no_table.rc, STORE_NOTFOUND);
    assert_int_equal(s_count(fx->store, "outbox"), 1);
}

static void
test_batch_returning_error_writes_nothing(void **state)
{
    fixture_t *fx = *state;
    assert_ok(s_put_str(fx->store, "old", "k", "before", 0));

    /* Puts in an existing table and a brand new one, then fails. */
    put_arg_t put = {"new_table", "k", 1, "v", 1, 0, 42};
    assert_int_equal(store_write(fx->store, s_put_one, &put), 42);
    put_arg_t put_old = {"old", "k", 1, "after", 5, 0, 7};
    assert_int_equal(store_write(fx->store, s_put_one, &put_old), 7);

    s_assert_missing(fx->store, "new_table", "k");
    assert_int_equal(s_count(fx->store, "new_table"), 0);
    s_assert_value(fx->store, "old", "k", "before");

    /* The table the failed batch created can be made by the next one. */
    put.result = 0;
    assert_ok(store_write(fx->store, s_put_one, &put));
    s_assert_value(fx->store, "new_table", "k", "v");
}

static void
test_reopen_after_close_keeps_data(void **state)
{
    fixture_t *fx = *state;
    fill_arg_t fill = {"log", 0, 500, 100, STORE_APPEND, 0, 0};
    assert_ok(store_write(fx->store, s_fill, &fill));
    assert_ok(s_put_str(fx->store, "meta", "version", "1", 0));

    s_reopen(fx, NULL);
    s_assert_filled(fx->store, "log", 0, 500, 100);
    s_assert_value(fx->store, "meta", "version", "1");
    /* And it is still writable, with the tables found again. */
    assert_ok(s_put_str(fx->store, "meta", "version", "2", 0));
    s_assert_value(fx->store, "meta", "version", "2");
    assert_int_equal(s_count(fx->store, "log"), 500);
}

/* ------------------------------------------------------------------ map growth */

static void
test_tiny_map_grows_and_keeps_all_data(void **state)
{
    fixture_t *fx = *state;
    store_options_t opts = {.initial_map_size = 64 * KIB};
    s_reopen(fx, &opts);
    store_stats_t stats;
    assert_ok(store_stats(fx->store, &stats));
    assert_int_equal(stats.map_size, 64 * KIB);
    assert_int_equal(stats.grow_count, 0);

    /* 8 MiB in batches of 256 KiB, then one batch of 2 MiB that cannot fit at once. */
    const size_t vlen = 1024;
    uint64_t next = 0;
    for (int batch = 0; batch < 32; batch++) {
        fill_arg_t fill = {"log", next, 256, vlen, STORE_APPEND, 0, 0};
        assert_ok(store_write(fx->store, s_fill, &fill));
        next += 256;
    }
    assert_ok(store_stats(fx->store, &stats));
    unsigned grown = stats.grow_count;
    fill_arg_t big = {"log", next, 2048, vlen, STORE_APPEND, 0, 0};
    assert_ok(store_write(fx->store, s_fill, &big));
    next += 2048;

    assert_int_equal(s_count(fx->store, "log"), next);
    s_assert_filled(fx->store, "log", 0, next, vlen);
    assert_ok(store_stats(fx->store, &stats));
    assert_true(stats.grow_count > grown);
    assert_true(stats.map_size >= 10 * MIB);
    assert_true(stats.used_bytes >= 10 * MIB);
    assert_true(stats.used_bytes <= stats.map_size);

    s_reopen(fx, &opts);
    s_assert_filled(fx->store, "log", 0, next, vlen);
}

static void
test_batch_larger_than_map_runs_again_on_larger_map(void **state)
{
    fixture_t *fx = *state;
    store_options_t opts = {.initial_map_size = 64 * KIB};
    s_reopen(fx, &opts);
    fill_arg_t fill = {"log", 0, 1024, 1024, 0, 0, 0};
    assert_ok(store_write(fx->store, s_fill, &fill));
    assert_true(fill.runs > 1);
    assert_int_equal(fill.last_rc, STORE_FULL); /* what store_put said before growing */
    s_assert_filled(fx->store, "log", 0, 1024, 1024);
}

static void
test_max_map_size_returns_full_and_writes_nothing(void **state)
{
    fixture_t *fx = *state;
    store_options_t opts = {.initial_map_size = 64 * KIB, .max_map_size = 1 * MIB};
    s_reopen(fx, &opts);
    assert_ok(s_put_str(fx->store, "meta", "k", "kept", 0));

    fill_arg_t fill = {"log", 0, 2048, 1024, STORE_APPEND, 0, 0};
    assert_int_equal(store_write(fx->store, s_fill, &fill), STORE_FULL);
    assert_int_equal(s_count(fx->store, "log"), 0);

    store_stats_t stats;
    assert_ok(store_stats(fx->store, &stats));
    assert_int_equal(stats.map_size, 1 * MIB);
    assert_true(stats.grow_count > 0);

    /* Still usable: small batches go in, the old data is there. */
    fill_arg_t small = {"log", 0, 16, 1024, STORE_APPEND, 0, 0};
    assert_ok(store_write(fx->store, s_fill, &small));
    s_assert_filled(fx->store, "log", 0, 16, 1024);
    s_assert_value(fx->store, "meta", "k", "kept");
}

static void
test_map_grows_ahead_so_small_batches_run_once(void **state)
{
    fixture_t *fx = *state;
    store_options_t opts = {.initial_map_size = 1 * MIB};
    s_reopen(fx, &opts);
    /* 4 MiB in batches of 8 KiB: the 20% kept free absorbs each batch. */
    for (uint64_t first = 0; first < 4096; first += 8) {
        fill_arg_t fill = {"log", first, 8, 1024, STORE_APPEND, 0, 0};
        assert_ok(store_write(fx->store, s_fill, &fill));
        assert_int_equal(fill.runs, 1);
    }
    store_stats_t stats;
    assert_ok(store_stats(fx->store, &stats));
    assert_true(stats.grow_count >= 2);
    assert_true(stats.used_bytes * 100 <= stats.map_size * 80);
}

/* A batch that swallows store_put's STORE_FULL still gets its map grown and re-run. */
static int
s_fill_ignoring_errors(store_txn_t *txn, void *arg)
{
    s_fill(txn, arg);
    return 0;
}

static void
test_batch_swallowing_full_is_still_rerun(void **state)
{
    fixture_t *fx = *state;
    store_options_t opts = {.initial_map_size = 64 * KIB};
    s_reopen(fx, &opts);
    fill_arg_t fill = {"log", 0, 512, 1024, 0, 0, 0};
    assert_ok(store_write(fx->store, s_fill_ignoring_errors, &fill));
    assert_true(fill.runs > 1);
    assert_int_equal(s_count(fx->store, "log"), 512);
    s_assert_filled(fx->store, "log", 0, 512, 1024);
}

/* Readers in other threads keep reading while the writer grows the map under them. */
typedef struct {
    store_t *store;
    atomic_bool stop;
    unsigned snapshots;
    unsigned bad;
} reader_arg_t;

#define READER_BATCH 64

/* Walks `table`, checking each value as s_fill wrote it; returns the records seen. */
static uint64_t
s_walk(store_txn_t *txn, const char *table)
{
    store_cursor_t *cursor = NULL;
    if (store_cursor_open(txn, table, &cursor))
        return UINT64_MAX;
    uint64_t seen = 0;
    const void *k, *v;
    size_t kl, vl;
    int rc = store_cursor_seek(cursor, NULL, 0, &k, &kl, &v, &vl);
    while (rc == 0) {
        const unsigned char *bytes = v;
        if (kl != 8 || vl == 0 || bytes[vl - 1] != (store_key_to_u64(k) & 0xff))
            break;
        seen++;
        rc = store_cursor_next(cursor, &k, &kl, &v, &vl);
    }
    store_cursor_close(&cursor);
    return rc == STORE_NOTFOUND ? seen : UINT64_MAX;
}

static void *
s_reader(void *arg)
{
    reader_arg_t *reader = arg;
    while (!atomic_load(&reader->stop)) {
        store_txn_t *txn = NULL;
        if (store_read_begin(reader->store, &txn)) {
            reader->bad++;
            break;
        }
        /* In one snapshot, "batches" must agree with the number of records. */
        uint64_t count = 0;
        const void *val = NULL;
        size_t len = 0;
        int rc = store_count(txn, "log", &count);
        int grc = store_get(txn, "meta", "batches", 7, &val, &len);
        if (rc == 0 && grc == 0 && len == 8) {
            if (store_key_to_u64(val) * READER_BATCH != count)
                reader->bad++;
            /* A long read: walk every record, touching the map all along. */
            if (s_walk(txn, "log") != count)
                reader->bad++;
        } else if (rc != 0 || grc != STORE_NOTFOUND || count != 0) {
            reader->bad++;
        }
        store_txn_end(&txn);
        reader->snapshots++;
    }
    return NULL;
}

typedef struct {
    fill_arg_t fill;
    uint64_t batches;
} counted_fill_t;

static int
s_counted_fill(store_txn_t *txn, void *arg)
{
    counted_fill_t *cf = arg;
    int rc = s_fill(txn, &cf->fill);
    if (rc)
        return rc;
    unsigned char n[8];
    store_u64_to_key(cf->batches + 1, n);
    return store_put(txn, "meta", "batches", 7, n, sizeof n, 0);
}

static void
test_readers_in_threads_survive_growth(void **state)
{
    fixture_t *fx = *state;
    store_options_t opts = {.initial_map_size = 64 * KIB};
    s_reopen(fx, &opts);
    reader_arg_t readers[2];
    pthread_t threads[2];
    for (int i = 0; i < 2; i++) {
        readers[i] = (reader_arg_t){.store = fx->store};
        atomic_init(&readers[i].stop, false);
        assert_int_equal(pthread_create(&threads[i], NULL, s_reader, &readers[i]), 0);
    }
    counted_fill_t cf = {{"log", 0, READER_BATCH, 1024, STORE_APPEND, 0, 0}, 0};
    for (int batch = 0; batch < 100; batch++) {
        assert_ok(store_write(fx->store, s_counted_fill, &cf));
        cf.batches++;
        cf.fill.first += READER_BATCH;
    }
    for (int i = 0; i < 2; i++) {
        atomic_store(&readers[i].stop, true);
        pthread_join(threads[i], NULL);
        assert_int_equal(readers[i].bad, 0);
        assert_true(readers[i].snapshots > 0);
    }
    store_stats_t stats;
    assert_ok(store_stats(fx->store, &stats));
    assert_true(stats.grow_count > 0);
    s_assert_filled(fx->store, "log", 0, cf.fill.first, 1024);
}

typedef struct {
    store_t *store;
    fill_arg_t fill;
    int rc;
    atomic_bool done;
} writer_arg_t;

static void *
s_writer(void *arg)
{
    writer_arg_t *writer = arg;
    writer->rc = store_write(writer->store, s_fill, &writer->fill);
    atomic_store(&writer->done, true);
    return NULL;
}

static void
test_growth_waits_for_open_reader(void **state)
{
    fixture_t *fx = *state;
    store_options_t opts = {.initial_map_size = 64 * KIB};
    s_reopen(fx, &opts);
    assert_ok(s_put_str(fx->store, "meta", "k", "held value", 0));
    store_txn_t *txn = NULL;
    const void *val = NULL;
    size_t len = 0;
    assert_ok(store_read_begin(fx->store, &txn));
    assert_ok(store_get(txn, "meta", "k", 1, &val, &len));

    /* A batch that needs a larger map: it must wait for our reader before remapping. */
    writer_arg_t writer = {.store = fx->store, .fill = {"log", 0, 1024, 1024, 0, 0, 0}};
    atomic_init(&writer.done, false);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, s_writer, &writer), 0);
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
    bool done_early = atomic_load(&writer.done);
    assert_int_equal(len, 10);
    assert_memory_equal(val, "held value", 10); /* the map under us is still the same */
    store_txn_end(&txn);
    pthread_join(thread, NULL);

    assert_false(done_early);
    assert_ok(writer.rc);
    assert_true(writer.fill.runs > 1);
    s_assert_filled(fx->store, "log", 0, 1024, 1024);
}

/* ------------------------------------------------------------------ copying */

typedef struct {
    uint64_t first, count;
} range_arg_t;

static int
s_delete_range(store_txn_t *txn, void *arg)
{
    range_arg_t *del = arg;
    for (uint64_t i = 0; i < del->count; i++) {
        unsigned char key[8];
        store_u64_to_key(del->first + i, key);
        int rc = store_del(txn, "log", key, sizeof key);
        if (rc)
            return rc;
    }
    return 0;
}

static long long
s_file_size(const char *dir)
{
    char path[400];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void
test_copy_is_compact_and_opens_as_a_store(void **state)
{
    fixture_t *fx = *state;
    fill_arg_t fill = {"log", 0, 2000, 1024, STORE_APPEND, 0, 0};
    assert_ok(store_write(fx->store, s_fill, &fill));
    range_arg_t del = {0, 1500};
    assert_ok(store_write(fx->store, s_delete_range, &del));
    assert_ok(s_put_str(fx->store, "meta", "owner", "customs", 0));

    char target[320];
    snprintf(target, sizeof target, "%s/copy", fx->dir);
    assert_int_equal(mkdir(target, 0700), 0);
    assert_ok(store_copy(fx->store, target));
    /* Compacted: the pages of the deleted records are not copied. */
    long long original = s_file_size(fx->dir), copy = s_file_size(target);
    assert_true(copy > 0);
    assert_true(copy * 2 < original);
    char path[340];
    snprintf(path, sizeof path, "%s/data.mdb", target);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* Again into the same directory: refused, the copy stays. */
    assert_int_equal(store_copy(fx->store, target), -EEXIST);
    char missing[340];
    snprintf(missing, sizeof missing, "%s/no-such-dir", fx->dir);
    assert_true(store_copy(fx->store, missing) < 0);

    store_t *copied = NULL;
    assert_ok(store_open(target, NULL, &copied));
    assert_int_equal(s_count(copied, "log"), 500);
    s_assert_filled(copied, "log", 1500, 500, 1024);
    s_assert_value(copied, "meta", "owner", "customs");
    store_destroy(&copied);
}

/* A writer that stores record i and "last" = i in one batch, for i = 1, 2, ... */
typedef struct {
    store_t *store;
    uint64_t next;
    atomic_uint_fast64_t last;
    atomic_bool stop;
    atomic_int rc; /* read by the test while the writer runs */
} s_counter_t;

static int
s_count_one(store_txn_t *txn, void *arg)
{
    s_counter_t *c = arg;
    unsigned char key[8], val[512];
    store_u64_to_key(c->next, key);
    memset(val, (int)(c->next & 0xff), sizeof val);
    int rc = store_put(txn, "log", key, sizeof key, val, sizeof val, STORE_APPEND);
    if (rc == 0)
        rc = store_put(txn, "meta", "last", 4, key, sizeof key, 0);
    return rc;
}

static void *
s_counter(void *arg)
{
    s_counter_t *c = arg;
    while (!atomic_load(&c->stop) && atomic_load(&c->rc) == 0) {
        c->next++;
        int rc = store_write(c->store, s_count_one, c);
        atomic_store(&c->rc, rc);
        if (rc == 0)
            atomic_store(&c->last, c->next);
    }
    return NULL;
}

static void
test_copy_while_writing_is_one_snapshot(void **state)
{
    fixture_t *fx = *state;
    /* A small map, so that it grows while the copy runs. */
    store_options_t opts = {.initial_map_size = 256 * KIB};
    s_reopen(fx, &opts);
    s_counter_t counter = {.store = fx->store};
    atomic_init(&counter.last, 0);
    atomic_init(&counter.stop, false);
    atomic_init(&counter.rc, 0);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, s_counter, &counter), 0);
    while (atomic_load(&counter.last) < 200 && atomic_load(&counter.rc) == 0)
        usleep(1000);
    char target[320];
    snprintf(target, sizeof target, "%s/copy", fx->dir);
    assert_int_equal(mkdir(target, 0700), 0);
    int copy_rc = store_copy(fx->store, target);
    uint64_t after_copy = atomic_load(&counter.last);
    /* Let it write on a little, then stop. */
    while (atomic_load(&counter.last) < after_copy + 100 && atomic_load(&counter.rc) == 0)
        usleep(1000);
    atomic_store(&counter.stop, true);
    pthread_join(thread, NULL);
    assert_ok(atomic_load(&counter.rc));
    assert_ok(copy_rc);

    /* The copy holds records 1..last and "last", from one moment: nothing torn. */
    store_t *copied = NULL;
    assert_ok(store_open(target, NULL, &copied));
    store_txn_t *txn = NULL;
    const void *val = NULL;
    size_t len = 0;
    assert_ok(store_read_begin(copied, &txn));
    assert_ok(store_get(txn, "meta", "last", 4, &val, &len));
    assert_int_equal(len, 8);
    uint64_t last = store_key_to_u64(val);
    store_txn_end(&txn);
    assert_true(last >= 200);
    assert_true(last <= after_copy);
    assert_int_equal(s_count(copied, "log"), last);
    s_assert_filled(copied, "log", 1, last, 512);
    store_destroy(&copied);
    assert_true(s_count(fx->store, "log") > last);
}

/* ------------------------------------------------------------------ read-only */

/* The child's half of the read-only test: plain checks and exit codes, no cmocka. */
static int
s_child_reader(const char *dir, int go_fd, int done_fd)
{
    char c;
    store_t *store = NULL;
    store_txn_t *txn = NULL;
    uint64_t count = 0;
    const void *val = NULL;
    size_t len = 0;
    int code = 0;
    if (read(go_fd, &c, 1) != 1)
        return 10;
    store_options_t opts = {.read_only = true};
    if (store_open(dir, &opts, &store))
        return 11;
    if (store_read_begin(store, &txn) || store_count(txn, "log", &count) || count != 100)
        code = 12;
    else if (store_get(txn, "late", "k", 1, &val, &len) != STORE_NOTFOUND)
        code = 13;
    store_txn_end(&txn);
    if (code == 0 && s_put_str(store, "log", "k", "v", 0) != STORE_READONLY)
        code = 14;
    if (write(done_fd, "1", 1) != 1 && code == 0)
        code = 15;
    /* Meanwhile the writer grows the map far past ours and makes a new table. */
    if (code == 0 && read(go_fd, &c, 1) != 1)
        code = 16;
    if (code == 0) {
        if (store_read_begin(store, &txn))
            code = 17;
        else if (store_count(txn, "log", &count) || count != 100 + 4096)
            code = 18;
        else if (store_get(txn, "late", "k", 1, &val, &len) || len != 4 ||
                 memcmp(val, "late", 4) != 0)
            code = 19;
        store_txn_end(&txn);
    }
    store_destroy(&store);
    return code;
}

static void
test_read_only_process_reads_while_writer_grows(void **state)
{
    fixture_t *fx = *state;
    int go[2], done[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(done), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(go[1]);
        close(done[0]);
        _exit(s_child_reader(fx->dir, go[0], done[1]));
    }
    close(go[0]);
    close(done[1]);

    store_options_t opts = {.initial_map_size = 64 * KIB};
    assert_ok(store_open(fx->dir, &opts, &fx->store));
    fill_arg_t fill = {"log", 0, 100, 64, STORE_APPEND, 0, 0};
    assert_ok(store_write(fx->store, s_fill, &fill));
    assert_int_equal(write(go[1], "1", 1), 1);
    char c = 0;
    assert_int_equal(read(done[0], &c, 1), 1);

    fill_arg_t more = {"log", 100, 4096, 1024, STORE_APPEND, 0, 0};
    assert_ok(store_write(fx->store, s_fill, &more));
    assert_ok(s_put_str(fx->store, "late", "k", "late", 0));
    store_stats_t stats;
    assert_ok(store_stats(fx->store, &stats));
    assert_true(stats.map_size >= 4 * MIB);
    assert_int_equal(write(go[1], "2", 1), 1);

    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    close(go[1]);
    close(done[0]);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_read_only_open_after_close_reads_and_refuses_writes(void **state)
{
    fixture_t *fx = *state;
    assert_ok(s_put_str(fx->store, "meta", "k", "v", 0));
    store_options_t opts = {.read_only = true};
    s_reopen(fx, &opts);

    s_assert_value(fx->store, "meta", "k", "v");
    assert_int_equal(s_put_str(fx->store, "meta", "k", "w", 0), STORE_READONLY);

    /* A table that does not exist reads as missing, counts 0, has no cursor. */
    store_txn_t *txn = NULL;
    store_cursor_t *cursor = NULL;
    uint64_t count = 7;
    const void *val = NULL;
    size_t len = 0;
    assert_ok(store_read_begin(fx->store, &txn));
    assert_int_equal(store_get(txn, "absent", "k", 1, &val, &len), STORE_NOTFOUND);
    assert_ok(store_count(txn, "absent", &count));
    assert_int_equal(count, 0);
    assert_int_equal(store_cursor_open(txn, "absent", &cursor), STORE_NOTFOUND);
    assert_null(cursor);
    store_txn_end(&txn);
}

static void
test_read_only_open_of_empty_dir_fails(void **state)
{
    fixture_t *fx = *state;
    store_options_t opts = {.read_only = true};
    store_t *store = NULL;
    int rc = store_open(fx->dir, &opts, &store);
    assert_int_equal(rc, -ENOENT);
    assert_null(store);
    assert_int_equal(store_open("/nonexistent/dajia/dir", NULL, &store), -ENOENT);
    assert_null(store);
}

/* ------------------------------------------------------------------ commit hook */

static int s_hook_result;
static int s_hook_calls;
static int s_hook_fail_times;

static int
s_hook(void)
{
    s_hook_calls++;
    if (s_hook_fail_times > 0) {
        s_hook_fail_times--;
        return s_hook_result;
    }
    return 0;
}

static void
s_hook_arm(int result, int times)
{
    s_hook_result = result;
    s_hook_fail_times = times;
    s_hook_calls = 0;
    store_commit_hook = s_hook;
}

static void
test_commit_hook_failure_returns_error_and_writes_nothing(void **state)
{
    fixture_t *fx = *state;
    s_hook_arm(EIO, 1);
    assert_int_equal(s_put_str(fx->store, "t", "k", "v", 0), -EIO);
    assert_int_equal(s_hook_calls, 1);
    s_assert_missing(fx->store, "t", "k");

    /* No space on disk is a full store. */
    s_hook_arm(ENOSPC, 1);
    assert_int_equal(s_put_str(fx->store, "t", "k", "v", 0), STORE_FULL);
    s_assert_missing(fx->store, "t", "k");

    /* The next write works. */
    assert_ok(s_put_str(fx->store, "t", "k", "v", 0));
    s_assert_value(fx->store, "t", "k", "v");
}

static void
test_commit_hook_map_full_grows_and_reruns(void **state)
{
    fixture_t *fx = *state;
    store_stats_t before, after;
    assert_ok(store_stats(fx->store, &before));
    s_hook_arm(TEST_MDB_MAP_FULL, 1);
    fill_arg_t fill = {"log", 0, 10, 10, 0, 0, 0};
    assert_ok(store_write(fx->store, s_fill, &fill));
    assert_int_equal(fill.runs, 2);
    assert_int_equal(s_hook_calls, 2);
    assert_ok(store_stats(fx->store, &after));
    assert_int_equal(after.grow_count, before.grow_count + 1);
    assert_int_equal(after.map_size, 2 * before.map_size);
    s_assert_filled(fx->store, "log", 0, 10, 10);
}

static void
test_commit_hook_map_full_at_cap_returns_full(void **state)
{
    fixture_t *fx = *state;
    store_options_t opts = {.initial_map_size = 256 * KIB, .max_map_size = 512 * KIB};
    s_reopen(fx, &opts);
    s_hook_arm(TEST_MDB_MAP_FULL, 1000);
    assert_int_equal(s_put_str(fx->store, "t", "k", "v", 0), STORE_FULL);
    assert_int_equal(s_hook_calls, 2); /* 256 KiB, then the capped 512 KiB */
    store_commit_hook = NULL;
    s_assert_missing(fx->store, "t", "k");
    assert_ok(s_put_str(fx->store, "t", "k", "v", 0));
}

/* ------------------------------------------------------------------ cursors */

static void
test_cursor_seek_next_last_over_u64_keys(void **state)
{
    fixture_t *fx = *state;
    /* Keys 10, 20, ..., 1000, written out of order: numeric order must come back. */
    for (uint64_t n = 1000; n >= 10; n -= 10) {
        unsigned char key[8];
        store_u64_to_key(n, key);
        unsigned char val[8];
        store_u64_to_key(n * 3, val);
        put_arg_t put = {"feed", key, sizeof key, val, sizeof val, 0, 0};
        assert_ok(store_write(fx->store, s_put_one, &put));
    }
    store_txn_t *txn = NULL;
    store_cursor_t *cursor = NULL;
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    unsigned char seek[8];
    assert_ok(store_read_begin(fx->store, &txn));
    assert_ok(store_cursor_open(txn, "feed", &cursor));

    /* 15 is absent: the seek lands on 20; then 30, 40... in order. */
    store_u64_to_key(15, seek);
    assert_ok(store_cursor_seek(cursor, seek, sizeof seek, &k, &kl, &v, &vl));
    assert_int_equal(kl, 8);
    assert_int_equal(store_key_to_u64(k), 20);
    assert_int_equal(store_key_to_u64(v), 60);
    uint64_t expect = 30, seen = 1;
    int rc;
    while ((rc = store_cursor_next(cursor, &k, &kl, &v, &vl)) == 0) {
        assert_int_equal(store_key_to_u64(k), expect);
        assert_int_equal(store_key_to_u64(v), expect * 3);
        expect += 10;
        seen++;
    }
    assert_int_equal(rc, STORE_NOTFOUND);
    assert_int_equal(seen, 99);

    /* Exact seek, seek to the start, seek past the end, last. */
    store_u64_to_key(500, seek);
    assert_ok(store_cursor_seek(cursor, seek, sizeof seek, &k, &kl, NULL, NULL));
    assert_int_equal(store_key_to_u64(k), 500);
    assert_ok(store_cursor_seek(cursor, NULL, 0, &k, &kl, NULL, NULL));
    assert_int_equal(store_key_to_u64(k), 10);
    store_u64_to_key(1001, seek);
    assert_int_equal(store_cursor_seek(cursor, seek, sizeof seek, &k, &kl, NULL, NULL),
                     STORE_NOTFOUND);
    assert_ok(store_cursor_last(cursor, &k, &kl, &v, &vl));
    assert_int_equal(store_key_to_u64(k), 1000);
    assert_int_equal(store_key_to_u64(v), 3000);
    assert_int_equal(store_cursor_next(cursor, &k, &kl, &v, &vl), STORE_NOTFOUND);

    store_cursor_close(&cursor);
    assert_null(cursor);
    store_txn_end(&txn);
}

typedef struct {
    int last_rc;
    int seek_rc;
} empty_cursor_arg_t;

/* Creates a table, empties it again and looks at it through a cursor in the batch. */
static int
s_empty_table(store_txn_t *txn, void *arg)
{
    empty_cursor_arg_t *out = arg;
    store_cursor_t *cursor = NULL;
    int rc = store_put(txn, "empty", "k", 1, "v", 1, 0);
    if (rc == 0)
        rc = store_del(txn, "empty", "k", 1);
    if (rc == 0)
        rc = store_cursor_open(txn, "empty", &cursor);
    if (rc)
        return rc;
    out->last_rc = store_cursor_last(cursor, NULL, NULL, NULL, NULL);
    out->seek_rc = store_cursor_seek(cursor, NULL, 0, NULL, NULL, NULL, NULL);
    store_cursor_close(&cursor);
    return 0;
}

static void
test_cursor_on_empty_table_returns_notfound(void **state)
{
    fixture_t *fx = *state;
    empty_cursor_arg_t out = {0, 0};
    assert_ok(store_write(fx->store, s_empty_table, &out));
    assert_int_equal(out.last_rc, STORE_NOTFOUND);
    assert_int_equal(out.seek_rc, STORE_NOTFOUND);
    assert_int_equal(s_count(fx->store, "empty"), 0);
}

/* ------------------------------------------------------------------ tables */

static void
test_count_counts_entries_per_table(void **state)
{
    fixture_t *fx = *state;
    fill_arg_t a = {"a", 0, 37, 8, 0, 0, 0};
    fill_arg_t b = {"b", 0, 5, 8, 0, 0, 0};
    assert_ok(store_write(fx->store, s_fill, &a));
    assert_ok(store_write(fx->store, s_fill, &b));
    assert_int_equal(s_count(fx->store, "a"), 37);
    assert_int_equal(s_count(fx->store, "b"), 5);
    assert_int_equal(s_count(fx->store, "c"), 0);
}

static void
test_read_txn_does_not_see_later_table(void **state)
{
    fixture_t *fx = *state;
    assert_ok(s_put_str(fx->store, "first", "k", "1", 0));
    store_txn_t *old = NULL;
    assert_ok(store_read_begin(fx->store, &old));
    assert_ok(s_put_str(fx->store, "second", "k", "2", 0));
    assert_ok(s_put_str(fx->store, "first", "k", "changed", 0));

    const void *val = NULL;
    size_t len = 0;
    assert_int_equal(store_get(old, "second", "k", 1, &val, &len), STORE_NOTFOUND);
    assert_ok(store_get(old, "first", "k", 1, &val, &len));
    assert_int_equal(len, 1);
    assert_memory_equal(val, "1", 1);
    store_txn_end(&old);
    s_assert_value(fx->store, "second", "k", "2");
    s_assert_value(fx->store, "first", "k", "changed");
}

static int
s_make_tables(store_txn_t *txn, void *arg)
{
    int count = *(int *)arg;
    char name[16];
    for (int i = 0; i < count; i++) {
        snprintf(name, sizeof name, "table%d", i);
        int rc = store_put(txn, name, "k", 1, "v", 1, 0);
        if (rc)
            return rc;
    }
    return 0;
}

static void
test_too_many_tables_returns_badtable(void **state)
{
    fixture_t *fx = *state;
    int count = STORE_MAX_TABLES + 1;
    assert_int_equal(store_write(fx->store, s_make_tables, &count), STORE_BADTABLE);
    assert_int_equal(s_count(fx->store, "table0"), 0);
    count = STORE_MAX_TABLES;
    assert_ok(store_write(fx->store, s_make_tables, &count));
    assert_int_equal(s_put_str(fx->store, "one_more", "k", "v", 0), STORE_BADTABLE);
    s_reopen(fx, NULL);
    assert_int_equal(s_count(fx->store, "table15"), 1);
}

/* ------------------------------------------------------------------ arguments */

typedef struct {
    int rcs[6];
} bad_args_t;

static int
s_bad_puts(store_txn_t *txn, void *arg)
{
    bad_args_t *out = arg;
    char big[STORE_MAX_KEY + 1];
    memset(big, 'x', sizeof big);
    out->rcs[0] = store_put(txn, "t", "", 0, "v", 1, 0);
    out->rcs[1] = store_put(txn, "t", big, sizeof big, "v", 1, 0);
    out->rcs[2] = store_put(txn, NULL, "k", 1, "v", 1, 0);
    out->rcs[3] = store_put(txn, "", "k", 1, "v", 1, 0);
    out->rcs[4] = store_put(txn, "t", "k", 1, "v", 1, 0x80);
    out->rcs[5] = store_put(txn, "t", big, STORE_MAX_KEY, "v", 1, 0);
    return 0;
}

static void
test_bad_arguments_return_einval(void **state)
{
    fixture_t *fx = *state;
    bad_args_t out;
    assert_ok(store_write(fx->store, s_bad_puts, &out));
    for (int i = 0; i < 5; i++)
        assert_int_equal(out.rcs[i], -EINVAL);
    assert_ok(out.rcs[5]); /* the longest key allowed */
    assert_int_equal(s_count(fx->store, "t"), 1);

    store_txn_t *txn = NULL;
    assert_ok(store_read_begin(fx->store, &txn));
    assert_int_equal(store_put(txn, "t", "k", 1, "v", 1, 0), STORE_READONLY);
    assert_int_equal(store_del(txn, "t", "k", 1), STORE_READONLY);
    store_txn_end(&txn);
    assert_int_equal(store_write(fx->store, NULL, NULL), -EINVAL);
    assert_int_equal(store_open(NULL, NULL, &fx->store), -EINVAL);
    store_options_t tiny_cap = {.max_map_size = 4 * KIB};
    store_t *other = NULL;
    assert_int_equal(store_open(fx->dir, &tiny_cap, &other), -EINVAL);
    assert_null(other);
    store_destroy(NULL);
}

static int
s_nested_write(store_txn_t *txn, void *arg)
{
    fixture_t *fx = arg;
    int rc = store_put(txn, "t", "outer", 5, "1", 1, 0);
    if (rc)
        return rc;
    return s_put_str(fx->store, "t", "inner", "2", 0);
}

static void
test_write_inside_batch_returns_edeadlk(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(store_write(fx->store, s_nested_write, fx), -EDEADLK);
    assert_int_equal(s_count(fx->store, "t"), 0);
    assert_ok(s_put_str(fx->store, "t", "after", "3", 0));
}

/* ------------------------------------------------------------------ helpers */

static void
test_u64_keys_keep_numeric_order(void **state)
{
    (void)state;
    static const uint64_t values[] = {0,          1,
                                      255,        256,
                                      65535,      65536,
                                      1ULL << 32, (1ULL << 56) - 1,
                                      1ULL << 56, UINT64_MAX - 1,
                                      UINT64_MAX};
    const size_t n = sizeof values / sizeof values[0];
    for (size_t i = 0; i < n; i++) {
        unsigned char a[8];
        store_u64_to_key(values[i], a);
        assert_int_equal(store_key_to_u64(a), values[i]);
        for (size_t j = i + 1; j < n; j++) {
            unsigned char b[8];
            store_u64_to_key(values[j], b);
            assert_true(memcmp(a, b, 8) < 0);
        }
    }
    unsigned char key[8];
    store_u64_to_key(0x0102030405060708ULL, key);
    static const unsigned char expect[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_memory_equal(key, expect, 8);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get_round_trip, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_put_empty_value_round_trips, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_get_missing_key_returns_notfound, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(
            test_put_nooverwrite_existing_returns_keyexist_and_keeps_original, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_put_append_increasing_u64_keys_stored_in_order,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_del_removes_key_and_missing_returns_notfound, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_batch_returning_error_writes_nothing, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_reopen_after_close_keeps_data, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_tiny_map_grows_and_keeps_all_data, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_batch_larger_than_map_runs_again_on_larger_map,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_max_map_size_returns_full_and_writes_nothing, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_map_grows_ahead_so_small_batches_run_once, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_batch_swallowing_full_is_still_rerun, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_readers_in_threads_survive_growth, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_growth_waits_for_open_reader, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_read_only_process_reads_while_writer_grows,
                                        s_setup_dir, s_teardown),
        cmocka_unit_test_setup_teardown(test_read_only_open_after_close_reads_and_refuses_writes,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_read_only_open_of_empty_dir_fails, s_setup_dir,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_commit_hook_failure_returns_error_and_writes_nothing,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_commit_hook_map_full_grows_and_reruns, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_commit_hook_map_full_at_cap_returns_full, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_cursor_seek_next_last_over_u64_keys, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_cursor_on_empty_table_returns_notfound, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_count_counts_entries_per_table, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_read_txn_does_not_see_later_table, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_too_many_tables_returns_badtable, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments_return_einval, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_write_inside_batch_returns_edeadlk, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_copy_is_compact_and_opens_as_a_store, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_copy_while_writing_is_one_snapshot, s_setup,
                                        s_teardown),
        cmocka_unit_test(test_u64_keys_keep_numeric_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
