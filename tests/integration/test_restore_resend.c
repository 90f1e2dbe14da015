/*  Integration: after a restore, the agents send again what the backup lacks, by
    themselves (issue 12, part 4).

    Two agents submit a first round, `dajia-ctl backup` copies the broker's store, and
    they submit a second round, acknowledged after the backup. The broker is stopped, the
    backup restored into an empty data directory and a broker started on it: its log
    ends at the backup. Each agent then runs `dajia-agent flush` with nothing waiting and
    no file given: it learns that the broker's store is another one (HELLO), says so in
    one line, and sends again the acknowledged events its outbox keeps, oldest first.
    The broker stores the second round (what it lacked) once and answers the first as
    duplicates: the log holds every event exactly once, log_seq 1..N without a gap, each
    unit's resent events in their order, and new events and the feed go on from there.
    With the agent of before (acknowledged events forgotten) the second round is lost.
*/
#include <errno.h>
#include <setjmp.h>
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

#define S_AGENTS  2
#define S_ROUND1  150 /* events per agent before the backup */
#define S_ROUND2  100 /* after it: acknowledged, then lost by the restore */
#define S_ROUND3  20  /* new events after the restore */
#define S_BEFORE  (S_AGENTS * S_ROUND1)
#define S_TOTAL   (S_AGENTS * (S_ROUND1 + S_ROUND2))
#define S_FEED_MS 30000 /* for the workers' outputs to reach the feed */
#define S_BATCH   1000

static const char *const s_units[S_AGENTS] = {"psb", "customs"};

/* The directory and the broker a test starts there. */
typedef harness_fixture_t fixture_t;

static harness_result_t
s_run(const char *const *argv)
{
    harness_result_t run;
    assert_int_equal(harness_run_autofree(argv, &run), 0);
    return run;
}

/* Runs agent `i` against `api`: `command` ("submit" with `file`, or "flush"); it must
   end with everything stored. Returns what it said. */
static harness_result_t
s_agent(fixture_t *fx, size_t i, const char *api, const char *command, const char *file)
{
    const char *argv[] = {DAJIA_AGENT_BIN,
                          "--broker",
                          api,
                          "--unit",
                          s_units[i],
                          "--state",
                          S_STR("%s/agent-%s", fx->dir, s_units[i]),
                          "--timeout",
                          "60",
                          command,
                          file,
                          NULL};
    harness_result_t run = s_run(argv);
    if (run.status != 0)
        fail_msg("agent %s %s exited %d:\n%s", s_units[i], command, run.status, run.err);
    return run;
}

/* Agent `i` submits round `round` (its own case numbers and event ids "<unit>-rs-<n>"). */
static void
s_submit_round(fixture_t *fx, size_t i, const char *api, int round)
{
    static const uint64_t first[] = {0, 1, 1 + S_ROUND1, 1 + S_ROUND1 + S_ROUND2};
    static const uint64_t count[] = {0, S_ROUND1, S_ROUND2, S_ROUND3};
    char *path = S_STR("%s/%s-%d.jsonl", fx->dir, s_units[i], round);
    assert_int_equal(harness_write_cases(path, s_units[i], "RS", S_STR("%s-rs-", s_units[i]),
                                         first[round], count[round]),
                     0);
    s_agent(fx, i, api, "submit", path);
}

/* Waits until the feed holds more than `than` items. */
static void
s_feed_wait(const char *api, harness_feed_t *feed, size_t than)
{
    int rc = harness_feed_wait(api, S_BATCH, feed, than, S_FEED_MS);
    if (rc == -ETIMEDOUT)
        fail_msg("the feed did not grow past %zu items within %d ms", than, S_FEED_MS);
    assert_int_equal(rc, 0);
}

/* The broker's counter `name`. */
static int64_t
s_stat(const char *api, const char *name)
{
    harness_client_t *client = NULL;
    assert_int_equal(harness_client_new(api, HARNESS_RECV_TIMEOUT_MS, &client), 0);
    char *json = harness_autofree(harness_client_stats(client));
    harness_client_destroy(&client);
    assert_non_null(json);
    return harness_json_u64(json, name);
}

/* The number n of an event id "<unit>-rs-<n>". */
static uint64_t
s_event_number(const char *event_id)
{
    const char *dash = strrchr(event_id, '-');
    assert_non_null(dash);
    return strtoull(dash + 1, NULL, 10);
}

static void
test_restored_broker_gets_back_what_the_agents_kept(void **state)
{
    fixture_t *fx = *state;
    char *data = S_STR("%s/var/broker", fx->dir);
    char *backup = S_STR("%s/backup", fx->dir);
    char api[256];
    assert_int_equal(harness_broker_start(data, S_STR("ipc://%s/api", fx->dir), NULL, &fx->broker,
                                          api, sizeof api),
                     0);
    for (size_t i = 0; i < S_AGENTS; i++)
        s_submit_round(fx, i, api, 1);
    harness_feed_t *original_feed = harness_autofree(calloc(1, sizeof *original_feed));
    s_feed_wait(api, original_feed, 0);

    const char *backup_argv[] = {DAJIA_CTL_BIN, "--data", data, "backup", backup, NULL};
    harness_result_t run = s_run(backup_argv);
    if (run.status != 0)
        fail_msg("backup exited %d:\n%s%s", run.status, run.out, run.err);
    for (size_t i = 0; i < S_AGENTS; i++)
        s_submit_round(fx, i, api, 2);
    run = s_agent(fx, 0, api, "outbox", NULL);
    assert_non_null(
        strstr(run.out, S_STR("0 events waiting; %d stored events kept", S_ROUND1 + S_ROUND2)));

    harness_record_t *original = NULL;
    size_t original_count = 0;
    assert_int_equal(harness_dump(data, &original, &original_count), 0);
    harness_autofree(original);
    assert_int_equal(original_count, S_TOTAL);
    assert_int_equal(harness_feed_read(api, S_BATCH, original_feed), 0);
    assert_int_equal(harness_proc_stop(fx->broker), 0);
    harness_proc_destroy(&fx->broker);

    /* Restore into an empty data directory: the log ends at the backup. */
    char *restored = S_STR("%s/restored/broker", fx->dir);
    assert_int_equal(mkdir(S_STR("%s/restored", fx->dir), 0700), 0);
    assert_int_equal(mkdir(restored, 0700), 0);
    const char *restore_argv[] = {DAJIA_CTL_BIN, "restore", backup, "--data", restored, NULL};
    run = s_run(restore_argv);
    if (run.status != 0)
        fail_msg("restore exited %d:\n%s%s", run.status, run.out, run.err);
    assert_non_null(strstr(run.out, "each unit's agent sends them again"));
    harness_record_t *records = NULL;
    size_t count = 0;
    assert_int_equal(harness_dump(restored, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(count, S_BEFORE);
    assert_int_equal(harness_broker_start(restored, S_STR("ipc://%s/api2", fx->dir), NULL,
                                          &fx->broker, api, sizeof api),
                     0);
    harness_feed_t *feed = harness_autofree(calloc(1, sizeof *feed));
    assert_int_equal(harness_feed_read(api, S_BATCH, feed), 0);
    size_t backup_feed = feed->count;
    assert_true(backup_feed >= 1);
    assert_true(backup_feed <= original_feed->count);

    /* Each agent, with nothing waiting and no file, sends what the store lacks. */
    for (size_t i = 0; i < S_AGENTS; i++) {
        run = s_agent(fx, i, api, "flush", NULL);
        print_message("%s", run.err);
        assert_non_null(strstr(run.err, "中心的存储已从备份恢复"));
        assert_non_null(
            strstr(run.err, S_STR("resending the %d acknowledged events", S_ROUND1 + S_ROUND2)));
        assert_non_null(strstr(run.err, S_STR("%d stored (%d new, %d duplicates)",
                                              S_ROUND1 + S_ROUND2, S_ROUND2, S_ROUND1)));
    }
    assert_int_equal(s_stat(api, "accepted"), S_AGENTS * S_ROUND2);
    assert_int_equal(s_stat(api, "duplicates"), S_AGENTS * S_ROUND1);

    /* Every event once, log_seq 1..N; the backup's part as it was; each unit's resent
       events in their own order. */
    assert_int_equal(harness_dump(restored, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(count, S_TOTAL);
    assert_int_equal(harness_check_log(records, count), 0);
    for (size_t k = 0; k < S_BEFORE; k++)
        assert_string_equal(records[k].event_id, original[k].event_id);
    uint64_t last[S_AGENTS] = {0};
    for (size_t k = S_BEFORE; k < count; k++)
        for (size_t i = 0; i < S_AGENTS; i++)
            if (strcmp(records[k].unit, s_units[i]) == 0) {
                uint64_t n = s_event_number(records[k].event_id);
                assert_true(n > S_ROUND1);
                assert_true(n > last[i]);
                last[i] = n;
            }
    harness_records_sort(records, count);
    for (size_t k = 0; k < original_count; k++)
        if (!harness_records_find(records, count, original[k].unit, original[k].event_id))
            fail_msg("%s/%s is missing after the restore", original[k].unit, original[k].event_id);

    /* A second run finds the same store: nothing is sent again. */
    run = s_agent(fx, 0, api, "flush", NULL);
    assert_null(strstr(run.err, "中心的存储已从备份恢复"));
    assert_int_equal(s_stat(api, "duplicates"), S_AGENTS * S_ROUND1);

    /* New events go on from the log's end; the feed goes on from the backup's. */
    for (size_t i = 0; i < S_AGENTS; i++)
        s_submit_round(fx, i, api, 3);
    assert_int_equal(harness_dump(restored, &records, &count), 0);
    harness_autofree(records);
    assert_int_equal(count, S_TOTAL + S_AGENTS * S_ROUND3);
    assert_int_equal(harness_check_log(records, count), 0);
    s_feed_wait(api, feed, backup_feed);
    for (size_t k = 0; k < feed->count; k++)
        assert_int_equal(feed->seq[k], k + 1);
    for (size_t k = 0; k < backup_feed; k++) {
        assert_int_equal(feed->len[k], original_feed->len[k]);
        assert_memory_equal(feed->packed[k], original_feed->packed[k], feed->len[k]);
    }
    assert_int_equal(harness_proc_stop(fx->broker), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_restored_broker_gets_back_what_the_agents_kept,
                                        harness_fixture_setup, harness_fixture_teardown),
    };
    return cmocka_run_group_tests_name("integration.restore_resend", tests, NULL, NULL);
}
