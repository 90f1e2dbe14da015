/*  broker_stats: counters and a log-linear histogram, rendered as the STATS JSON. */
#include "broker_stats.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "dajia_codec.h"

void
broker_stats_init(broker_stats_t *stats, int64_t now_ms)
{
    memset(stats, 0, sizeof *stats);
    stats->started_ms = now_ms;
}

void
broker_stats_reject(broker_stats_t *stats, Dajia__Reason reason)
{
    stats->rejected++;
    unsigned slot = (unsigned)reason < BROKER_REASON_SLOTS ? (unsigned)reason : 0;
    stats->rejected_by_reason[slot]++;
}

/* Bucket of `value`: values below BROKER_HIST_SUB have their own bucket; above, the
   power of two picks a row and the next four bits the column. */
static unsigned
s_bucket(uint64_t value)
{
    if (value < BROKER_HIST_SUB)
        return (unsigned)value;
    unsigned power = 63u - (unsigned)__builtin_clzll(value); /* >= 4 */
    unsigned sub = (unsigned)(value >> (power - 4)) & (BROKER_HIST_SUB - 1);
    unsigned row = power - 3;
    if (row >= BROKER_HIST_POWERS)
        return BROKER_HIST_POWERS * BROKER_HIST_SUB - 1;
    return row * BROKER_HIST_SUB + sub;
}

/* The middle of bucket `index`, inverse of s_bucket. */
static double
s_bucket_value(unsigned index)
{
    unsigned row = index / BROKER_HIST_SUB, sub = index % BROKER_HIST_SUB;
    if (row == 0)
        return sub;
    unsigned power = row + 3;
    double low = (double)(1ULL << power) + (double)sub * (double)(1ULL << (power - 4));
    return low + (double)(1ULL << (power - 4)) / 2.0;
}

const uint64_t broker_hist_bounds_us[BROKER_HIST_BOUNDS] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000};

void
broker_hist_record(broker_hist_t *hist, uint64_t value)
{
    hist->counts[s_bucket(value)]++;
    hist->total++;
    for (unsigned k = 0; k < BROKER_HIST_BOUNDS; k++)
        hist->le[k] += value <= broker_hist_bounds_us[k];
    hist->sum = value > UINT64_MAX - hist->sum ? UINT64_MAX : hist->sum + value;
}

double
broker_hist_quantile(const broker_hist_t *hist, double q)
{
    if (hist->total == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)hist->total);
    if (rank >= hist->total)
        rank = hist->total - 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < BROKER_HIST_POWERS * BROKER_HIST_SUB; i++) {
        seen += hist->counts[i];
        if (seen > rank)
            return s_bucket_value(i);
    }
    return s_bucket_value(BROKER_HIST_POWERS * BROKER_HIST_SUB - 1);
}

char *
broker_stats_json(const broker_stats_t *stats, int64_t now_ms)
{
    json_t *root = json_object();
    json_t *by_reason = json_object();
    json_t *commit = json_object();
    json_t *log = json_object();
    json_t *replay = json_object();
    json_t *peers = json_object();
    json_t *bounds = json_array();
    json_t *buckets = json_array();
    json_t *workers = json_object();
    char *text = NULL;
    if (!root || !by_reason || !commit || !log || !replay || !peers || !bounds || !buckets ||
        !workers)
        goto out;
    for (unsigned r = 0; r < BROKER_REASON_SLOTS; r++)
        if (stats->rejected_by_reason[r])
            json_object_set_new(by_reason, dajia_reason_name((Dajia__Reason)r),
                                json_integer((json_int_t)stats->rejected_by_reason[r]));
    json_object_set_new(commit, "p50",
                        json_real(broker_hist_quantile(&stats->commit_us, 0.50) / 1000.0));
    json_object_set_new(commit, "p99",
                        json_real(broker_hist_quantile(&stats->commit_us, 0.99) / 1000.0));
    /* The Prometheus histogram: cumulative counts at the bounds, the last one +Inf. */
    for (unsigned k = 0; k < BROKER_HIST_BOUNDS; k++) {
        json_array_append_new(bounds, json_real((double)broker_hist_bounds_us[k] / 1000.0));
        json_array_append_new(buckets, json_integer((json_int_t)stats->commit_us.le[k]));
    }
    json_array_append_new(buckets, json_integer((json_int_t)stats->commit_us.total));
    json_object_set(commit, "bounds", bounds);
    json_object_set(commit, "buckets", buckets);
    json_object_set_new(commit, "sum", json_real((double)stats->commit_us.sum / 1000.0));
    json_object_set_new(commit, "count", json_integer((json_int_t)stats->commit_us.total));
    for (size_t i = 0; i < stats->services && i < BROKER_STATS_SERVICES; i++) {
        uint64_t cursor = stats->service_cursor[i];
        json_t *w = json_object();
        if (!w || !stats->service_name[i]) {
            json_decref(w);
            continue;
        }
        json_object_set_new(w, "cursor", json_integer((json_int_t)cursor));
        json_object_set_new(
            w, "lag",
            json_integer((json_int_t)(stats->last_seq > cursor ? stats->last_seq - cursor : 0)));
        json_object_set_new(workers, stats->service_name[i], w);
    }
    json_object_set_new(log, "last_seq", json_integer((json_int_t)stats->last_seq));
    json_object_set_new(log, "map_bytes", json_integer((json_int_t)stats->map_bytes));
    json_object_set_new(log, "used_bytes", json_integer((json_int_t)stats->used_bytes));
    json_object_set_new(replay, "requests", json_integer((json_int_t)stats->replays));
    json_object_set_new(replay, "busy", json_integer((json_int_t)stats->replay_busy));
    json_object_set_new(replay, "waited", json_integer((json_int_t)stats->replay_waited));
    json_object_set_new(replay, "answers", json_integer((json_int_t)stats->replay_answers));
    json_object_set_new(replay, "items", json_integer((json_int_t)stats->replay_items));
    json_object_set_new(peers, "answers_dropped", json_integer((json_int_t)stats->answers_dropped));
    json_object_set_new(peers, "closed", json_integer((json_int_t)stats->peers_closed));
    json_object_set_new(peers, "refused", json_integer((json_int_t)stats->peers_refused));
    json_object_set_new(peers, "memory_ceiling", json_integer((json_int_t)stats->memory_ceiling));
    json_object_set_new(peers, "index_bytes", json_integer((json_int_t)stats->index_bytes));

    json_object_set_new(root, "received", json_integer((json_int_t)stats->received));
    json_object_set_new(root, "accepted", json_integer((json_int_t)stats->accepted));
    json_object_set_new(root, "duplicates", json_integer((json_int_t)stats->duplicates));
    json_object_set_new(root, "rejected", json_integer((json_int_t)stats->rejected));
    json_object_set(root, "rejected_by_reason", by_reason);
    json_object_set_new(root, "throttled", json_integer((json_int_t)stats->throttled));
    json_object_set_new(root, "batches", json_integer((json_int_t)stats->batches));
    json_object_set_new(
        root, "mean_batch",
        json_real(stats->batches ? (double)stats->batch_events / (double)stats->batches : 0.0));
    json_object_set_new(root, "storage_failures",
                        json_integer((json_int_t)stats->storage_failures));
    json_object_set(root, "commit_ms", commit);
    json_object_set(root, "log", log);
    json_object_set(root, "replay", replay);
    json_object_set(root, "peers", peers);
    json_object_set(root, "workers", workers);
    json_object_set_new(root, "uptime_s",
                        json_integer((json_int_t)((now_ms - stats->started_ms) / 1000)));
    text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
    json_decref(by_reason);
    json_decref(commit);
    json_decref(log);
    json_decref(replay);
    json_decref(peers);
    json_decref(bounds);
    json_decref(buckets);
    json_decref(workers);
    json_decref(root);
    return text;
}
