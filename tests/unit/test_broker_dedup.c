/*  Unit tests for broker_dedup: the in-memory index of the log's keys.

    The table keeps hashes and seqs only; a lookup asks its `match` callback about each
    candidate. Here the callback answers from the test's own idea of which seq holds the
    key looked for, so hashes can be chosen freely: equal hashes (collisions), hashes
    that crowd one home and wrap around the end of the table, growth, and removal in the
    middle of a probe run, checked against a plain array.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker_dedup.h"

/* match: the key looked for is at seq `want`. */
typedef struct {
    uint64_t want;
    int asked;
} s_want_t;

static int
s_match(uint64_t seq, void *arg)
{
    s_want_t *w = arg;
    w->asked++;
    return seq == w->want;
}

static int
s_fail(uint64_t seq, void *arg)
{
    (void)seq;
    (void)arg;
    return -EIO;
}

static bool
s_has(const broker_dedup_t *d, uint64_t hash, uint64_t seq)
{
    s_want_t w = {seq, 0};
    uint64_t got = 0;
    int rc = broker_dedup_find(d, hash, s_match, &w, &got);
    if (rc == 0)
        assert_int_equal(got, seq);
    else
        assert_int_equal(rc, STORE_NOTFOUND);
    return rc == 0;
}

static void
test_find_insert_and_collisions(void **state)
{
    (void)state;
    broker_dedup_t *d = broker_dedup_new(0);
    assert_non_null(d);
    assert_false(s_has(d, 42, 1));
    assert_int_equal(broker_dedup_insert(d, 42, 1), 0);
    assert_int_equal(broker_dedup_insert(d, 42, 2), 0); /* same hash, other key */
    assert_int_equal(broker_dedup_insert(d, 43, 3), 0);
    assert_int_equal(broker_dedup_count(d), 3);
    assert_true(s_has(d, 42, 1));
    assert_true(s_has(d, 42, 2));
    assert_true(s_has(d, 43, 3));
    assert_false(s_has(d, 43, 1)); /* hash 43's only candidate is seq 3 */
    /* Only candidates of the same hash reach match. */
    s_want_t w = {2, 0};
    uint64_t got = 0;
    assert_int_equal(broker_dedup_find(d, 42, s_match, &w, &got), 0);
    assert_int_equal(got, 2);
    assert_int_equal(w.asked, 2);
    /* An error from match ends the lookup. */
    assert_int_equal(broker_dedup_find(d, 42, s_fail, NULL, &got), -EIO);
    assert_int_equal(broker_dedup_insert(d, 44, 0), -EINVAL);
    broker_dedup_destroy(&d);
    assert_null(d);
    broker_dedup_destroy(&d);
}

static void
test_hash_is_keyed_and_sees_every_byte(void **state)
{
    (void)state;
    broker_dedup_t *a = broker_dedup_new(0), *b = broker_dedup_new(0);
    const char k1[] = "psb\0psb-2026-000001", k2[] = "psb\0psb-2026-000002";
    assert_int_equal(broker_dedup_hash(a, k1, sizeof k1 - 1),
                     broker_dedup_hash(a, k1, sizeof k1 - 1));
    assert_int_not_equal(broker_dedup_hash(a, k1, sizeof k1 - 1),
                         broker_dedup_hash(a, k2, sizeof k2 - 1));
    /* the NUL between unit and id counts: "ab" + "c" is not "a" + "bc" */
    assert_int_not_equal(broker_dedup_hash(a, "ab\0c", 4), broker_dedup_hash(a, "a\0bc", 4));
    assert_int_not_equal(broker_dedup_hash(a, "x", 1), broker_dedup_hash(a, "x\0", 2));
    /* another index (another process) has another seed */
    assert_int_not_equal(broker_dedup_hash(a, k1, sizeof k1 - 1),
                         broker_dedup_hash(b, k1, sizeof k1 - 1));
    broker_dedup_destroy(&a);
    broker_dedup_destroy(&b);
}

/* Many entries, many sharing a home, through several doublings (each moves its entries
   over during the inserts that follow); then removals in every position of the probe
   runs; after each step every entry is checked against the reference array. */
static void
test_growth_and_removal_keep_every_entry_findable(void **state)
{
    (void)state;
    enum { N = 5000 };
    broker_dedup_t *d = broker_dedup_new(0);
    size_t start_bytes = broker_dedup_bytes(d);
    uint64_t *hash = calloc(N + 1, sizeof *hash);
    bool *present = calloc(N + 1, sizeof *present);
    srand(7);
    for (uint64_t seq = 1; seq <= N; seq++) {
        /* a third of them in a crowd at the table's last slots, so runs wrap around */
        hash[seq] = seq % 3 ? ((uint64_t)rand() << 31) ^ (uint64_t)rand() : UINT64_MAX - seq % 5;
        assert_int_equal(broker_dedup_insert(d, hash[seq], seq), 0);
        present[seq] = true;
        /* also while a growth is moving entries over: old and new ones are found */
        assert_true(s_has(d, hash[seq], seq));
        assert_true(s_has(d, hash[seq / 2 + 1], seq / 2 + 1));
        assert_true(s_has(d, hash[1], 1));
    }
    assert_int_equal(broker_dedup_count(d), N);
    assert_true(broker_dedup_bytes(d) > start_bytes);
    for (uint64_t seq = 1; seq <= N; seq++)
        assert_true(s_has(d, hash[seq], seq));

    size_t left = N;
    for (int round = 0; round < 3; round++) {
        for (uint64_t seq = 1 + (uint64_t)round; seq <= N; seq += 3) {
            assert_true(broker_dedup_remove(d, hash[seq], seq));
            present[seq] = false;
            left--;
        }
        assert_int_equal(broker_dedup_count(d), left);
        for (uint64_t seq = 1; seq <= N; seq++)
            assert_int_equal(s_has(d, hash[seq], seq), present[seq]);
    }
    assert_int_equal(left, 0);
    assert_false(broker_dedup_remove(d, hash[1], 1));
    /* empty again, and usable */
    assert_int_equal(broker_dedup_insert(d, hash[5], 5), 0);
    assert_true(s_has(d, hash[5], 5));
    free(hash);
    free(present);
    broker_dedup_destroy(&d);
}

static void
test_record_key_reads_unit_and_event_id(void **state)
{
    (void)state;
    /* LogRecord{log_seq=1, received_at=2, envelope=Envelope{event_id="e1", unit="psb",
       reporter="x", event_id="e2" (the last one counts)}} */
    const unsigned char env[] = {0x0a, 2,   'e',  '1',  0x12, 3,    'p', 's', 'b', 0x1a,
                                 1,    'x', 0x20, 0x96, 0x01, 0x0a, 2,   'e', '2'};
    unsigned char rec[64] = {0x08, 1, 0x10, 2, 0x1a, sizeof env};
    memcpy(rec + 6, env, sizeof env);
    const char *unit, *id;
    size_t ul, il;
    assert_int_equal(broker_dedup_record_key(rec, 6 + sizeof env, &unit, &ul, &id, &il), 0);
    assert_int_equal(ul, 3);
    assert_memory_equal(unit, "psb", 3);
    assert_int_equal(il, 2);
    assert_memory_equal(id, "e2", 2);
    /* cut short, or with no unit: not a record the broker wrote */
    assert_int_equal(broker_dedup_record_key(rec, 6 + sizeof env - 1, &unit, &ul, &id, &il),
                     STORE_CORRUPT);
    const unsigned char no_unit[] = {0x08, 1, 0x1a, 4, 0x0a, 2, 'e', '1'};
    assert_int_equal(broker_dedup_record_key(no_unit, sizeof no_unit, &unit, &ul, &id, &il),
                     STORE_CORRUPT);
    const unsigned char group[] = {0x0b}; /* wire type 3: not ours */
    assert_int_equal(broker_dedup_record_key(group, 1, &unit, &ul, &id, &il), STORE_CORRUPT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_insert_and_collisions),
        cmocka_unit_test(test_hash_is_keyed_and_sees_every_byte),
        cmocka_unit_test(test_growth_and_removal_keep_every_entry_findable),
        cmocka_unit_test(test_record_key_reads_unit_and_event_id),
    };
    return cmocka_run_group_tests_name("broker_dedup", tests, NULL, NULL);
}
