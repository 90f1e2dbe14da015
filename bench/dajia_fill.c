/*  dajia-fill: puts N events into a broker's log directly, to measure how the broker
    starts with a long history (docs/performance.md).

        dajia-fill DATA_DIR COUNT

    Sending millions of events through a broker takes minutes at its ingest rate; this
    writes them straight into the store of DATA_DIR (created if needed; no broker may run
    on it) as the broker stores them: LogRecords (dajia_tables.h) with log_seq following
    the log's last, the broker's received_at, and a ~300-byte CaseReport envelope of one
    of the 23 member units, with an event_id of its own ("fill-<log_seq>"), so every
    record is a key of its own. 20,000 records to a transaction. It touches nothing else:
    the dedup index file, if there is one, now covers less than the log, and the next
    start reads the records it lacks.
*/
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dajia.pb-c.h"
#include "dajia_error.h"
#include "dajia_tables.h"
#include "store.h"

#define FILL_PER_TXN  20000
#define FILL_BUF      2048
#define FILL_PROGRESS 1000000 /* a line on stderr this often */

static const char *const s_units[] = {
    "publicity", "polilegal", "govoffice", "drc",   "iit",           "psb",
    "justice",   "finance",   "eco",       "agri",  "commerce",      "culture",
    "health",    "pboc",      "customs",   "tax",   "msa",           "cac",
    "forestea",  "post",      "tobacco",   "court", "procuratorate",
};
#define FILL_UNITS (sizeof s_units / sizeof s_units[0])

typedef struct {
    uint64_t first_seq; /* the batch's first log_seq */
    uint64_t count;
    int64_t now_ms;
    int rc;
} s_fill_t;

/* The LogRecord of `seq` into buf; returns its length. */
static size_t
s_record(uint64_t seq, int64_t now_ms, uint8_t *buf)
{
    char event_id[48], case_no[64], reporter[48];
    const char *unit = s_units[seq % FILL_UNITS];
    snprintf(event_id, sizeof event_id, "fill-%012" PRIu64, seq);
    snprintf(case_no, sizeof case_no, "%s-FILL-%012" PRIu64, unit, seq);
    snprintf(reporter, sizeof reporter, "liaison-%s-%" PRIu64, unit, seq % 4);
    Dajia__GoodsCategory goods[1] = {DAJIA__GOODS_CATEGORY__GOODS_CATEGORY_TEA};
    Dajia__CaseReport report = DAJIA__CASE_REPORT__INIT;
    report.case_no = case_no;
    report.case_name = "Counterfeit Xinyang Maojian tea sold through an online shop";
    report.handling_agency = "City Market Supervision Administration, Pingqiao branch";
    report.category = DAJIA__CASE_CATEGORY__CASE_CATEGORY_TRADEMARK_COUNTERFEITING;
    report.n_goods = 1;
    report.goods = goods;
    report.right_holder = "Xinyang Maojian Tea Association";
    report.brand = "Xinyang Maojian";
    report.case_value_fen = 1250000 + (int64_t)(seq % 1000) * 100;
    report.clue_received_at = now_ms - 30LL * 86400000;
    report.filed_at = now_ms - 20LL * 86400000;
    report.stage = DAJIA__CASE_STAGE__CASE_STAGE_FILED;
    report.scope = DAJIA__REGION_SCOPE__REGION_SCOPE_CITY;
    Dajia__Envelope env = DAJIA__ENVELOPE__INIT;
    env.event_id = event_id;
    env.unit = (char *)unit;
    env.reporter = reporter;
    env.occurred_at = now_ms - 3600000;
    env.reported_at = now_ms;
    env.region = "411502";
    env.body_case = DAJIA__ENVELOPE__BODY_CASE_REPORT;
    env.case_report = &report;
    uint8_t envelope[FILL_BUF];
    size_t env_len = dajia__envelope__pack(&env, envelope);
    Dajia__LogRecord record = DAJIA__LOG_RECORD__INIT;
    record.log_seq = seq;
    record.received_at = now_ms;
    record.envelope.data = envelope;
    record.envelope.len = env_len;
    return dajia__log_record__pack(&record, buf);
}

static int
s_batch(store_txn_t *txn, void *arg)
{
    s_fill_t *fill = arg;
    uint8_t buf[FILL_BUF];
    for (uint64_t i = 0; i < fill->count; i++) {
        uint64_t seq = fill->first_seq + i;
        unsigned char key[DAJIA_TABLE_U64];
        store_u64_to_key(seq, key);
        size_t len = s_record(seq, fill->now_ms, buf);
        int rc = store_put(txn, DAJIA_TABLE_LOG, key, sizeof key, buf, len, STORE_APPEND);
        if (rc)
            return rc;
    }
    return 0;
}

static int
s_last_seq(store_t *store, uint64_t *last)
{
    store_txn_t *txn = NULL;
    store_cursor_t *cursor = NULL;
    const void *k, *v;
    size_t kl, vl;
    *last = 0;
    int rc = store_read_begin(store, &txn);
    if (rc == 0)
        rc = store_cursor_open(txn, DAJIA_TABLE_LOG, &cursor);
    if (rc == 0)
        rc = store_cursor_last(cursor, &k, &kl, &v, &vl);
    if (rc == 0 && kl == DAJIA_TABLE_U64)
        *last = store_key_to_u64(k);
    store_cursor_close(&cursor);
    store_txn_end(&txn);
    return rc == STORE_NOTFOUND ? 0 : rc;
}

int
main(int argc, char **argv)
{
    char *end = NULL;
    unsigned long long count = argc == 3 ? strtoull(argv[2], &end, 10) : 0;
    if (argc != 3 || !end || *end || count == 0) {
        fprintf(stderr, "usage: dajia-fill DATA_DIR COUNT\n"
                        "  appends COUNT events to the broker log in DATA_DIR (no broker "
                        "may run on it)\n");
        return 2;
    }
    mkdir(argv[1], 0700);
    store_t *store = NULL;
    int rc = store_open(argv[1], NULL, &store);
    uint64_t last = 0;
    if (rc == 0)
        rc = s_last_seq(store, &last);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s_fill_t fill = {.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000};
    for (uint64_t done = 0; rc == 0 && done < count; done += fill.count) {
        fill.first_seq = last + done + 1;
        fill.count = count - done < FILL_PER_TXN ? count - done : FILL_PER_TXN;
        rc = store_write(store, s_batch, &fill);
        if (rc == 0 && (done + fill.count) / FILL_PROGRESS != done / FILL_PROGRESS)
            fprintf(stderr, "dajia-fill: %" PRIu64 " events written\n", done + fill.count);
    }
    if (rc) {
        fprintf(stderr, "dajia-fill: %s: %s\n", argv[1], dajia_strerror(rc));
        store_destroy(&store);
        return 1;
    }
    store_destroy(&store);
    printf("the log in %s holds %" PRIu64 " events\n", argv[1], last + (uint64_t)count);
    return 0;
}
