/*  Unit tests for broker_dedup_file: the dedup index kept in a file beside the log.

    Each test builds a log in a store of its own (LogRecords written here as the broker
    lays them out: dajia_tables.h), opens the index with its file, and checks the one
    thing that matters, whatever happened to the file: every key of the log is found at
    the log_seq of its first record, and a key not in the log is not found. Beside that,
    the report says whether the file was used and how much of the log was read, which is
    how the tests see that a good file spares the reading and a bad one is set aside.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker_dedup.h"
#include "broker_dedup_file.h"
#include "dajia_tables.h"
#include "test_util.h"

#define S_PER_CHUNK 508 /* entries in a chunk of the file (4 KiB) */
#define S_CHUNK     4096

typedef struct {
    char dir[TEST_UTIL_DIR_MAX];
    char path[TEST_UTIL_DIR_MAX + 32];
    store_t *store;
} s_fixture_t;

static int
s_setup(void **state)
{
    s_fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx || test_util_store_make(fx->dir, sizeof fx->dir, "ddfile", &fx->store) != 0)
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/%s", fx->dir, BROKER_DEDUP_FILE_NAME);
    *state = fx;
    return 0;
}

static int
s_teardown(void **state)
{
    s_fixture_t *fx = *state;
    test_util_store_remove(&fx->store, fx->dir);
    free(fx);
    return 0;
}

/* ---------------------------------------------------------------- the log */

/* The key of record `seq` of a log written with `tag`: unit "u<seq % 3>", event_id
   "<tag>-<seq>". `repeat` (when not 0) gives record `seq` the key of record `repeat`. */
static size_t
s_key(const char *tag, uint64_t seq, char *key, size_t size)
{
    int n = snprintf(key, size, "u%u", (unsigned)(seq % 3));
    int m = snprintf(key + n + 1, size - (size_t)n - 1, "%s-%llu", tag, (unsigned long long)seq);
    return (size_t)n + 1 + (size_t)m;
}

static size_t
s_varint(unsigned char *out, uint64_t v)
{
    size_t n = 0;
    for (; v >= 0x80; v >>= 7)
        out[n++] = (unsigned char)(v | 0x80);
    out[n++] = (unsigned char)v;
    return n;
}

/* LogRecord{log_seq, envelope: Envelope{event_id, unit}} for `key`. */
static size_t
s_record(uint64_t seq, const char *key, size_t key_len, unsigned char *out)
{
    size_t unit_len = strlen(key);
    const char *id = key + unit_len + 1;
    size_t id_len = key_len - unit_len - 1;
    unsigned char env[256];
    size_t e = 0;
    env[e++] = (1 << 3) | 2;
    e += s_varint(env + e, id_len);
    memcpy(env + e, id, id_len);
    e += id_len;
    env[e++] = (2 << 3) | 2;
    e += s_varint(env + e, unit_len);
    memcpy(env + e, key, unit_len);
    e += unit_len;
    size_t n = 0;
    out[n++] = (1 << 3) | 0;
    n += s_varint(out + n, seq);
    out[n++] = (3 << 3) | 2;
    n += s_varint(out + n, e);
    memcpy(out + n, env, e);
    return n + e;
}

typedef struct {
    const char *tag;
    uint64_t first, count;
    uint64_t repeat_seq, repeat_of; /* record repeat_seq gets record repeat_of's key */
} s_append_t;

static int
s_append_batch(store_txn_t *txn, void *arg)
{
    const s_append_t *a = arg;
    for (uint64_t seq = a->first; seq < a->first + a->count; seq++) {
        char key[128];
        size_t len = s_key(a->tag, seq == a->repeat_seq ? a->repeat_of : seq, key, sizeof key);
        unsigned char record[300], seq_key[DAJIA_TABLE_U64];
        store_u64_to_key(seq, seq_key);
        size_t n = s_record(seq, key, len, record);
        int rc = store_put(txn, DAJIA_TABLE_LOG, seq_key, sizeof seq_key, record, n, STORE_APPEND);
        if (rc)
            return rc;
    }
    return 0;
}

/* Appends records first .. first + count - 1 of the log `tag`. */
static void
s_append(store_t *store, const char *tag, uint64_t first, uint64_t count)
{
    s_append_t a = {tag, first, count, 0, 0};
    assert_ok(store_write(store, s_append_batch, &a));
}

/* ---------------------------------------------------------------- checks */

/* The log_seq the index finds for `key`, or 0. */
static uint64_t
s_find(broker_dedup_t *dedup, store_t *store, const char *key, size_t len)
{
    store_txn_t *txn = NULL;
    assert_ok(store_read_begin(store, &txn));
    uint64_t seq = 0;
    int rc = broker_dedup_lookup(dedup, txn, key, len, broker_dedup_hash(dedup, key, len), &seq);
    store_txn_end(&txn);
    if (rc == STORE_NOTFOUND)
        return 0;
    assert_ok(rc);
    return seq;
}

/* Every record 1 .. count of the log `tag` is found at its seq; keys of the log
   `other` (NULL: none) and one past the end are not found. */
static void
s_check(broker_dedup_t *dedup, store_t *store, const char *tag, uint64_t count, const char *other)
{
    char key[128];
    for (uint64_t seq = 1; seq <= count; seq++) {
        size_t len = s_key(tag, seq, key, sizeof key);
        uint64_t found = s_find(dedup, store, key, len);
        if (found != seq)
            fail_msg("key of log_seq %llu found at %llu", (unsigned long long)seq,
                     (unsigned long long)found);
    }
    size_t len = s_key(tag, count + 1, key, sizeof key);
    assert_int_equal(s_find(dedup, store, key, len), 0);
    for (uint64_t seq = 1; other && seq <= count; seq += 97) {
        len = s_key(other, seq, key, sizeof key);
        assert_int_equal(s_find(dedup, store, key, len), 0);
    }
    assert_int_equal(broker_dedup_count(dedup), count);
}

/* Opens the index of `store` with the file at `path`; fills `report`. */
static void
s_open(store_t *store, const char *path, broker_dedup_t **dedup, broker_dedup_file_t **file,
       broker_dedup_file_report_t *report)
{
    assert_ok(broker_dedup_file_open(store, path, dedup, file, report));
    assert_non_null(*dedup);
}

/* Opens, checks the log `tag` of `count` records, closes; returns the report. */
static broker_dedup_file_report_t
s_open_check(s_fixture_t *fx, const char *tag, uint64_t count)
{
    broker_dedup_t *dedup = NULL;
    broker_dedup_file_t *file = NULL;
    broker_dedup_file_report_t report;
    s_open(fx->store, fx->path, &dedup, &file, &report);
    assert_non_null(file);
    s_check(dedup, fx->store, tag, count, NULL);
    broker_dedup_file_destroy(&file);
    broker_dedup_destroy(&dedup);
    return report;
}

static off_t
s_file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

/* Overwrites one byte of the file at `at`. */
static void
s_poke(const char *path, off_t at)
{
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    unsigned char byte = 0;
    assert_int_equal(pread(fd, &byte, 1, at), 1);
    byte ^= 0x5a;
    assert_int_equal(pwrite(fd, &byte, 1, at), 1);
    close(fd);
}

static void
s_copy(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
}

/* ---------------------------------------------------------------- tests */

/* No file: the whole log is read and a file written; the next open reads the file and
   none of the log. */
static void
test_no_file_reads_the_log_and_writes_one(void **state)
{
    s_fixture_t *fx = *state;
    s_append(fx->store, "a", 1, 1500); /* three chunks, the last one short */
    broker_dedup_file_report_t r = s_open_check(fx, "a", 1500);
    assert_false(r.loaded);
    assert_non_null(strstr(r.why, "there is none"));
    assert_int_equal(r.scanned, 1500);
    assert_int_equal(s_file_size(fx->path), 4 * S_CHUNK);
    r = s_open_check(fx, "a", 1500);
    assert_true(r.loaded);
    assert_int_equal(r.from_file, 1500);
    assert_int_equal(r.scanned, 0);
}

/* An empty log makes a file of a header alone, which loads. */
static void
test_empty_log(void **state)
{
    s_fixture_t *fx = *state;
    broker_dedup_file_report_t r = s_open_check(fx, "a", 0);
    assert_false(r.loaded);
    assert_int_equal(s_file_size(fx->path), S_CHUNK);
    r = s_open_check(fx, "a", 0);
    assert_true(r.loaded);
    assert_int_equal(r.scanned, 0);
}

/* Records the file does not cover are read from the log and added to the file. */
static void
test_the_log_after_the_file_is_read_and_added(void **state)
{
    s_fixture_t *fx = *state;
    s_append(fx->store, "a", 1, 1000);
    s_open_check(fx, "a", 1000);
    s_append(fx->store, "a", 1001, 700);
    broker_dedup_file_report_t r = s_open_check(fx, "a", 1700);
    assert_true(r.loaded);
    assert_int_equal(r.from_file, 1000);
    assert_int_equal(r.scanned, 700);
    r = s_open_check(fx, "a", 1700);
    assert_int_equal(r.from_file, 1700);
    assert_int_equal(r.scanned, 0);
}

/* What the writer appends is in the file at the next open; an append that does not
   follow stops the file where it was. */
static void
test_appends_go_into_the_file(void **state)
{
    s_fixture_t *fx = *state;
    s_append(fx->store, "a", 1, 100);
    broker_dedup_t *dedup = NULL;
    broker_dedup_file_t *file = NULL;
    broker_dedup_file_report_t r;
    s_open(fx->store, fx->path, &dedup, &file, &r);
    assert_int_equal(broker_dedup_file_next_seq(file), 101);
    /* As the writer does: records into the log, their keys into the index, then the
       file. 600 of them: a chunk fills on the way. */
    s_append(fx->store, "a", 101, 600);
    uint64_t hashes[600];
    for (uint64_t seq = 101; seq <= 700; seq++) {
        char key[128];
        size_t len = s_key("a", seq, key, sizeof key);
        hashes[seq - 101] = broker_dedup_hash(dedup, key, len);
        assert_ok(broker_dedup_insert(dedup, hashes[seq - 101], seq));
    }
    assert_ok(broker_dedup_file_append(file, 101, hashes, 300));
    assert_ok(broker_dedup_file_append(file, 401, hashes + 300, 300));
    assert_int_equal(broker_dedup_file_next_seq(file), 701);
    s_check(dedup, fx->store, "a", 700, NULL);
    /* A gap: refused, and the file stays at 700. */
    s_append(fx->store, "a", 701, 10);
    assert_int_equal(broker_dedup_file_append(file, 705, hashes, 1), -EINVAL);
    assert_int_equal(broker_dedup_file_append(file, 701, hashes, 1), 0); /* stopped: nothing */
    broker_dedup_file_destroy(&file);
    broker_dedup_destroy(&dedup);
    r = s_open_check(fx, "a", 710);
    assert_true(r.loaded);
    assert_int_equal(r.from_file, 700);
    assert_int_equal(r.scanned, 10);
}

/* A file cut short keeps its whole chunks: the rest is read from the log. A file cut
   inside its header is not used. */
static void
test_a_truncated_file_keeps_what_it_holds_whole(void **state)
{
    s_fixture_t *fx = *state;
    s_append(fx->store, "a", 1, 1500);
    s_open_check(fx, "a", 1500);
    assert_int_equal(truncate(fx->path, 2 * S_CHUNK + S_CHUNK / 2), 0);
    broker_dedup_file_report_t r = s_open_check(fx, "a", 1500);
    assert_true(r.loaded);
    assert_int_equal(r.from_file, S_PER_CHUNK);
    assert_int_equal(r.scanned, 1500 - S_PER_CHUNK);
    assert_int_equal(truncate(fx->path, 10), 0);
    r = s_open_check(fx, "a", 1500);
    assert_false(r.loaded);
    assert_int_equal(r.scanned, 1500);
    r = s_open_check(fx, "a", 1500); /* and written whole again */
    assert_int_equal(r.from_file, 1500);
}

/* A damaged chunk ends what the file covers; a damaged header sets the file aside. */
static void
test_a_damaged_file_is_used_up_to_the_damage(void **state)
{
    s_fixture_t *fx = *state;
    s_append(fx->store, "a", 1, 1500);
    s_open_check(fx, "a", 1500);
    s_poke(fx->path, 2 * S_CHUNK + 40 + 8 * 17); /* an entry of chunk 2 */
    broker_dedup_file_report_t r = s_open_check(fx, "a", 1500);
    assert_true(r.loaded);
    assert_int_equal(r.from_file, S_PER_CHUNK);
    assert_int_equal(r.scanned, 1500 - S_PER_CHUNK);
    s_poke(fx->path, S_CHUNK + 8); /* chunk 1's first log_seq */
    r = s_open_check(fx, "a", 1500);
    assert_true(r.loaded);
    assert_int_equal(r.from_file, 0);
    assert_int_equal(r.scanned, 1500);
    s_poke(fx->path, 17); /* the seed */
    r = s_open_check(fx, "a", 1500);
    assert_false(r.loaded);
    assert_non_null(strstr(r.why, "header"));
    s_poke(fx->path, 8); /* the version: the header's checksum sees it too */
    r = s_open_check(fx, "a", 1500);
    assert_false(r.loaded);
}

/* A file that covers more than the log holds (the log was put back from an older
   copy) is set aside. */
static void
test_a_stale_file_is_set_aside(void **state)
{
    s_fixture_t *fx = *state;
    char dir[TEST_UTIL_DIR_MAX], path[TEST_UTIL_DIR_MAX + 32];
    store_t *older = NULL;
    assert_ok(test_util_store_make(dir, sizeof dir, "ddstale", &older));
    snprintf(path, sizeof path, "%s/%s", dir, BROKER_DEDUP_FILE_NAME);
    s_append(fx->store, "a", 1, 1500);
    s_append(older, "a", 1, 1000); /* the same records, fewer */
    s_open_check(fx, "a", 1500);
    s_copy(fx->path, path);
    broker_dedup_t *dedup = NULL;
    broker_dedup_file_t *file = NULL;
    broker_dedup_file_report_t r;
    s_open(older, path, &dedup, &file, &r);
    assert_false(r.loaded);
    assert_non_null(strstr(r.why, "older copy"));
    s_check(dedup, older, "a", 1000, NULL);
    broker_dedup_file_destroy(&file);
    broker_dedup_destroy(&dedup);
    /* An older file than the log, on the other hand, is used with the tail read. */
    s_append(older, "a", 1001, 500);
    s_open(older, path, &dedup, &file, &r);
    assert_true(r.loaded);
    assert_int_equal(r.from_file, 1000);
    s_check(dedup, older, "a", 1500, NULL);
    broker_dedup_file_destroy(&file);
    broker_dedup_destroy(&dedup);
    assert_ok(test_util_store_remove(&older, dir));
}

/* Another log's file is set aside, whether it covers as much as this log or less. */
static void
test_another_logs_file_is_set_aside(void **state)
{
    s_fixture_t *fx = *state;
    char dir[TEST_UTIL_DIR_MAX], path[TEST_UTIL_DIR_MAX + 32];
    store_t *other = NULL;
    assert_ok(test_util_store_make(dir, sizeof dir, "ddother", &other));
    snprintf(path, sizeof path, "%s/%s", dir, BROKER_DEDUP_FILE_NAME);
    s_append(other, "b", 1, 1000);
    broker_dedup_t *dedup = NULL;
    broker_dedup_file_t *file = NULL;
    broker_dedup_file_report_t r;
    s_open(other, path, &dedup, &file, &r); /* other's own file */
    broker_dedup_file_destroy(&file);
    broker_dedup_destroy(&dedup);
    s_append(fx->store, "a", 1, 1500);
    s_copy(path, fx->path); /* b's 1000 entries beside a's 1500 records */
    s_open(fx->store, fx->path, &dedup, &file, &r);
    assert_false(r.loaded);
    assert_non_null(strstr(r.why, "another log"));
    s_check(dedup, fx->store, "a", 1500, "b");
    broker_dedup_file_destroy(&file);
    broker_dedup_destroy(&dedup);
    assert_ok(test_util_store_remove(&other, dir));
}

/* A log that holds a key twice (the broker never writes one): the first record is the
   one found, from the log as from the file. */
static void
test_a_key_twice_in_the_log_is_found_at_its_first_record(void **state)
{
    s_fixture_t *fx = *state;
    s_append_t a = {"a", 1, 600, 555, 2};
    assert_ok(store_write(fx->store, s_append_batch, &a));
    for (int pass = 0; pass < 2; pass++) {
        broker_dedup_t *dedup = NULL;
        broker_dedup_file_t *file = NULL;
        broker_dedup_file_report_t r;
        s_open(fx->store, fx->path, &dedup, &file, &r);
        assert_int_equal(r.loaded, pass == 1);
        char key[128];
        size_t len = s_key("a", 2, key, sizeof key);
        assert_int_equal(s_find(dedup, fx->store, key, len), 2);
        len = s_key("a", 555, key, sizeof key);
        assert_int_equal(s_find(dedup, fx->store, key, len), 0);
        assert_int_equal(broker_dedup_count(dedup), 599);
        broker_dedup_file_destroy(&file);
        broker_dedup_destroy(&dedup);
    }
}

/* A file that cannot be written: the index is made all the same. */
static void
test_no_place_for_the_file(void **state)
{
    s_fixture_t *fx = *state;
    char path[TEST_UTIL_DIR_MAX + 64];
    snprintf(path, sizeof path, "%s/missing/%s", fx->dir, BROKER_DEDUP_FILE_NAME);
    s_append(fx->store, "a", 1, 300);
    broker_dedup_t *dedup = NULL;
    broker_dedup_file_t *file = NULL;
    broker_dedup_file_report_t r;
    s_open(fx->store, path, &dedup, &file, &r);
    assert_null(file);
    s_check(dedup, fx->store, "a", 300, NULL);
    broker_dedup_destroy(&dedup);
}

/* ---------------------------------------------------------------- memory */

/* kB of the process's resident pages mapped from files (/proc/self/status). */
static long
s_rss_file_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    assert_non_null(f);
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "RssFile: %ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* After the open, the pages of the log the scan read are not the process's any more. */
static void
test_the_log_read_at_open_is_given_back(void **state)
{
    s_fixture_t *fx = *state;
    for (uint64_t first = 1; first <= 200000; first += 20000)
        s_append(fx->store, "a", first, 20000); /* about 10 MB of log */
    /* Read every page, as the scan does, without giving them back. */
    broker_dedup_t *dedup = NULL;
    assert_ok(broker_dedup_rebuild(fx->store, &dedup));
    broker_dedup_destroy(&dedup);
    long before = s_rss_file_kb();
    broker_dedup_file_t *file = NULL;
    broker_dedup_file_report_t r;
    s_open(fx->store, fx->path, &dedup, &file, &r);
    long after = s_rss_file_kb();
    print_message("RssFile: %ld kB after reading the log, %ld kB after the open\n", before, after);
    assert_true(before - after > 5000);
    broker_dedup_file_destroy(&file);
    broker_dedup_destroy(&dedup);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_file_reads_the_log_and_writes_one, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_empty_log, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_log_after_the_file_is_read_and_added, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_appends_go_into_the_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_truncated_file_keeps_what_it_holds_whole, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_damaged_file_is_used_up_to_the_damage, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_stale_file_is_set_aside, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_another_logs_file_is_set_aside, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_key_twice_in_the_log_is_found_at_its_first_record,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_no_place_for_the_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_the_log_read_at_open_is_given_back, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests_name("broker_dedup_file", tests, NULL, NULL);
}
