/*  Integration: a hot backup, its restore, and what the agents send again (issue 12,
    part 4).

    Three agents submit in three rounds: the first before the backup, the second while
    `dajia-ctl backup` runs (the agents wait for each commit, so the round lasts), the
    third after it. The broker is stopped, the backup restored into a new data
    directory (`dajia-ctl restore`, which refuses a directory that holds something), and
    a broker started on it. It holds the log and the feed exactly as they were at the
    backup: the same records under the same log_seq, the same feed items under the same
    feed_seq. Then each agent submits all its files again: the broker stores what it
    lacks (what was acknowledged after the backup) and answers the rest as duplicates,
    so the restored log ends with every event exactly once, in sequence, and the feed
    goes on from where the backup left it without a gap.
*/
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define S_STR(...) ((char *)harness_autofree(harness_strf(__VA_ARGS__)))

#define S_AGENTS     3
#define S_ROUND1     200 /* events per agent before the backup */
#define S_ROUND2     300 /* while it runs */
#define S_ROUND3     100 /* after it */
#define S_TOTAL      (S_AGENTS * (S_ROUND1 + S_ROUND2 + S_ROUND3))
#define S_FEED_MS    30000 /* for the workers' first outputs to reach the feed */
#define S_BATCH_ITEM 1000

static const char *const s_units[S_AGENTS] = {"psb", "customs", "msa"};

typedef struct {
    harness_fixture_t base; /* the directory and the broker */
    harness_proc_t *agents[S_AGENTS];
} fixture_t;

static int
s_setup(void **state)
{
    return harness_fixture_new(state, sizeof(fixture_t)) ? 0 : -1;
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    for (size_t i = 0; fx && i < S_AGENTS; i++)
        harness_proc_destroy(&fx->agents[i]);
    return harness_fixture_teardown(state);
}

static harness_result_t
s_run(const char *const *argv)
{
    harness_result_t run;
    assert_int_equal(harness_run_autofree(argv, &run), 0);
    return run;
}

/* The round files of agent `i`: round r holds its own case numbers and event ids. */
static char *
s_round_file(fixture_t *fx, size_t i, int round)
{
    static const uint64_t first[] = {0, 1, 1 + S_ROUND1, 1 + S_ROUND1 + S_ROUND2};
    static const uint64_t count[] = {0, S_ROUND1, S_ROUND2, S_ROUND3};
    char *path = S_STR("%s/%s-%d.jsonl", fx->base.dir, s_units[i], round);
    if (access(path, F_OK) != 0)
        assert_int_equal(harness_write_cases(path, s_units[i], "BK", S_STR("%s-bk-", s_units[i]),
                                             first[round], count[round]),
                         0);
    return path;
}

/* Starts agent `i` on `files` (NULL-terminated) against `api`, with `window`. */
static void
s_agent_start(fixture_t *fx, size_t i, const char *api, const char *window,
              const char *const *files)
{
    const char *argv[16] = {DAJIA_AGENT_BIN,
                            "--broker",
                            api,
                            "--unit",
                            s_units[i],
                            "--state",
                            S_STR("%s/agent-%s", fx->base.dir, s_units[i]),
                            "--window",
                            window,
                            "--timeout",
                            "120",
                            "submit"};
    size_t n = 12;
    for (size_t k = 0; files[k] && n < 15; k++)
        argv[n++] = files[k];
    argv[n] = NULL;
    harness_proc_destroy(&fx->agents[i]);
    assert_int_equal(harness_proc_start(argv, NULL, &fx->agents[i]), 0);
}

static void
s_agents_wait(fixture_t *fx)
{
    assert_int_equal(harness_proc_wait_all(fx->agents, S_AGENTS, HARNESS_RUN_TIMEOUT_MS), 0);
    for (size_t i = 0; i < S_AGENTS; i++)
        if (harness_proc_status(fx->agents[i]) != 0)
            fail_msg("agent %s exited %d", s_units[i], harness_proc_status(fx->agents[i]));
}

/* Waits until the broker's feed holds something. */
static void
s_feed_wait(const char *api, harness_feed_t *feed)
{
    int rc = harness_feed_wait(api, S_BATCH_ITEM, feed, 0, S_FEED_MS);
    if (rc == -ETIMEDOUT)
        fail_msg("no feed item within %d ms", S_FEED_MS);
    assert_int_equal(rc, 0);
}

/* log_seq and feed_seq of the backup in `dir`, from its manifest. */
static void
s_manifest(const char *dir, uint64_t *log_seq, uint64_t *feed_seq)
{
    zconfig_t *root = zconfig_load(S_STR("%s/dajia-backup.txt", dir));
    assert_non_null(root);
    *log_seq = strtoull(zconfig_get(root, "backup/log_seq", "0"), NULL, 10);
    *feed_seq = strtoull(zconfig_get(root, "backup/feed_seq", "0"), NULL, 10);
    zconfig_destroy(&root);
}

static void
test_backup_while_submitting_restore_and_resend(void **state)
{
    fixture_t *fx = *state;
    char *data = S_STR("%s/var/broker", fx->base.dir);
    char *backup = S_STR("%s/backups/first", fx->base.dir);
    char api[256];
    assert_int_equal(harness_broker_start(data, S_STR("ipc://%s/api", fx->base.dir), NULL,
                                          &fx->base.broker, api, sizeof api),
                     0);

    /* Round 1, then something on the feed, so the backup has a feed to keep. */
    for (size_t i = 0; i < S_AGENTS; i++) {
        const char *files[] = {s_round_file(fx, i, 1), NULL};
        s_agent_start(fx, i, api, "128", files);
    }
    s_agents_wait(fx);
    harness_feed_t *feed = harness_autofree(calloc(1, sizeof *feed));
    s_feed_wait(api, feed);

    /* Round 2 with a window of one (a commit per event), and the backup meanwhile. */
    for (size_t i = 0; i < S_AGENTS; i++) {
        const char *files[] = {s_round_file(fx, i, 2), NULL};
        s_agent_start(fx, i, api, "1", files);
    }
    const char *backup_argv[] = {DAJIA_CTL_BIN, "--data", data, "backup", backup, NULL};
    harness_result_t run = s_run(backup_argv);
    if (run.status != 0)
        fail_msg("backup exited %d:\n%s%s", run.status, run.out, run.err);
    print_message("%s", run.out);
    s_agents_wait(fx);

    /* Round 3: acknowledged after the backup, for certain. */
    for (size_t i = 0; i < S_AGENTS; i++) {
        const char *files[] = {s_round_file(fx, i, 3), NULL};
        s_agent_start(fx, i, api, "128", files);
    }
    s_agents_wait(fx);

    harness_record_t *original = NULL;
    size_t original_count = 0;
    assert_int_equal(harness_dump(data, &original, &original_count), 0);
    harness_autofree(original);
    assert_int_equal(original_count, S_TOTAL);
    harness_feed_t *original_feed = harness_autofree(calloc(1, sizeof *original_feed));
    assert_int_equal(harness_feed_read(api, S_BATCH_ITEM, original_feed), 0);
    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
    harness_proc_destroy(&fx->base.broker);

    uint64_t backup_log = 0, backup_feed = 0;
    s_manifest(backup, &backup_log, &backup_feed);
    print_message("backup: log through %llu of %d, feed through %llu of %zu\n",
                  (unsigned long long)backup_log, S_TOTAL, (unsigned long long)backup_feed,
                  original_feed->count);
    assert_true(backup_log >= S_AGENTS * S_ROUND1);
    assert_true(backup_log <= S_AGENTS * (S_ROUND1 + S_ROUND2));
    assert_true(backup_feed >= 1);
    assert_true(backup_feed <= original_feed->count);

    /* Restore into a new place; never over something. */
    char *restored = S_STR("%s/restored/broker", fx->base.dir);
    const char *restore_argv[] = {DAJIA_CTL_BIN, "restore", backup, "--data", restored, NULL};
    run = s_run(restore_argv);
    if (run.status != 0)
        fail_msg("restore exited %d:\n%s%s", run.status, run.out, run.err);
    print_message("%s", run.out);
    const char *over_argv[] = {DAJIA_CTL_BIN, "restore", backup, "--data", data, NULL};
    run = s_run(over_argv);
    assert_int_equal(run.status, 1);
    assert_non_null(strstr(run.err, "not empty"));

    /* The restored log is the original up to the backup's log_seq, nothing more. */
    harness_record_t *records = NULL;
    size_t count = 0;
    assert_int_equal(harness_dump(restored, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(count, backup_log);
    for (size_t k = 0; k < count; k++) {
        assert_int_equal(records[k].log_seq, original[k].log_seq);
        assert_string_equal(records[k].unit, original[k].unit);
        assert_string_equal(records[k].event_id, original[k].event_id);
    }

    /* A broker on it serves the same feed up to the backup's feed_seq. */
    assert_int_equal(harness_broker_start(restored, S_STR("ipc://%s/api2", fx->base.dir), NULL,
                                          &fx->base.broker, api, sizeof api),
                     0);
    assert_int_equal(harness_feed_read(api, S_BATCH_ITEM, feed), 0);
    assert_true(feed->count >= backup_feed);
    for (size_t k = 0; k < backup_feed; k++) {
        assert_int_equal(feed->seq[k], original_feed->seq[k]);
        assert_int_equal(feed->len[k], original_feed->len[k]);
        assert_memory_equal(feed->packed[k], original_feed->packed[k], feed->len[k]);
    }

    /* Every agent submits all its files again: what the backup lacks is stored, once. */
    for (size_t i = 0; i < S_AGENTS; i++) {
        const char *files[] = {s_round_file(fx, i, 1), s_round_file(fx, i, 2),
                               s_round_file(fx, i, 3), NULL};
        s_agent_start(fx, i, api, "128", files);
    }
    s_agents_wait(fx);
    assert_int_equal(harness_dump(restored, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(count, S_TOTAL);
    assert_int_equal(harness_check_log(records, count), 0); /* 1..N, no event twice */
    for (size_t k = 0; k < backup_log; k++)
        assert_string_equal(records[k].event_id, original[k].event_id);
    harness_records_sort(records, count);
    for (size_t k = 0; k < original_count; k++)
        if (!harness_records_find(records, count, original[k].unit, original[k].event_id))
            fail_msg("%s/%s is missing after the resend", original[k].unit, original[k].event_id);

    /* The feed goes on from the backup's feed_seq, without a gap. */
    assert_int_equal(harness_feed_read(api, S_BATCH_ITEM, feed), 0);
    for (size_t k = 0; k < feed->count; k++)
        assert_int_equal(feed->seq[k], k + 1);
    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
}

static void
test_backup_keeps_the_keys_private_and_refuses_a_used_directory(void **state)
{
    fixture_t *fx = *state;
    char *keys = S_STR("%s/keys", fx->base.dir);
    char *data = S_STR("%s/var/broker", fx->base.dir);
    const char *init[] = {DAJIA_CTL_BIN, "keys", "init", "--dir", keys, "--units", "psb", NULL};
    assert_int_equal(s_run(init).status, 0);
    char api[256];
    assert_int_equal(harness_broker_start(data, S_STR("ipc://%s/api", fx->base.dir), NULL,
                                          &fx->base.broker, api, sizeof api),
                     0);
    char *backup = S_STR("%s/backup", fx->base.dir);
    const char *argv[] = {DAJIA_CTL_BIN, "--data", data, "backup", backup, "--keys", keys, NULL};
    harness_result_t run = s_run(argv);
    if (run.status != 0)
        fail_msg("backup exited %d:\n%s", run.status, run.err);
    struct stat st;
    assert_int_equal(stat(backup, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(S_STR("%s/keys/broker.cert_secret", backup), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(S_STR("%s/keys/secret/psb.cert_secret", backup), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* Not over an earlier backup; a directory without a manifest is no backup. */
    run = s_run(argv);
    assert_int_equal(run.status, 1);
    assert_non_null(strstr(run.err, "not empty"));
    char *empty = S_STR("%s/empty", fx->base.dir);
    assert_int_equal(mkdir(empty, 0700), 0);
    const char *restore[] = {
        DAJIA_CTL_BIN, "restore", empty, "--data", S_STR("%s/r/broker", fx->base.dir), NULL};
    run = s_run(restore);
    assert_int_equal(run.status, 1);
    assert_non_null(strstr(run.err, "not a dajia backup"));

    /* The keys come back where asked, as private as they were. */
    char *keys2 = S_STR("%s/r/keys", fx->base.dir);
    const char *restore_keys[] = {
        DAJIA_CTL_BIN, "restore", backup, "--data", S_STR("%s/r/broker", fx->base.dir),
        "--keys",      keys2,     NULL};
    run = s_run(restore_keys);
    if (run.status != 0)
        fail_msg("restore exited %d:\n%s", run.status, run.err);
    assert_int_equal(stat(S_STR("%s/secret/psb.cert_secret", keys2), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    const char *list[] = {DAJIA_CTL_BIN, "keys", "list", "--dir", keys2, NULL};
    run = s_run(list);
    assert_int_equal(run.status, 0);
    assert_non_null(strstr(run.out, "psb"));
    assert_int_equal(harness_proc_stop(fx->base.broker), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_backup_while_submitting_restore_and_resend, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(
            test_backup_keeps_the_keys_private_and_refuses_a_used_directory, s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name("integration.backup", tests, NULL, NULL);
}
