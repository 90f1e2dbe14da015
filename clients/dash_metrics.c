/*  dash_metrics: the Prometheus text of /metrics (see dash_metrics.h). */
#include "dash_metrics.h"

#include <inttypes.h>
#include <jansson.h>
#include <string.h>

const int dash_metrics_codes[DASH_METRICS_CODES] = {200, 303, 304, 400, 401, 403, 404,
                                                    405, 413, 414, 429, 500, 503, 0};

size_t
dash_metrics_code_slot(int status)
{
    for (size_t i = 0; i + 1 < DASH_METRICS_CODES; i++)
        if (dash_metrics_codes[i] == status)
            return i;
    return DASH_METRICS_CODES - 1;
}

static void
s_metric(dash_buf_t *out, const char *name, const char *type, const char *help, double value)
{
    dash_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name,
                    value);
}

static void
s_head(dash_buf_t *out, const char *name, const char *type, const char *help)
{
    dash_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static double
s_num(json_t *root, const char *key)
{
    json_t *v = json_object_get(root, key);
    return json_is_number(v) ? json_number_value(v) : 0.0;
}

/* Writes `text` keeping only the characters a label value here may hold. */
static void
s_label(dash_buf_t *out, const char *text)
{
    for (const char *p = text; *p; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-')
            dash_buf_add(out, p, 1);
}

/* The commit latency as a Prometheus histogram, in seconds, from STATS' commit_ms:
   cumulative counts at its bounds (ms), the last one +Inf, the sum (ms) and the count. */
static void
s_histogram(dash_buf_t *out, json_t *commit)
{
    json_t *bounds = json_object_get(commit, "bounds");
    json_t *buckets = json_object_get(commit, "buckets");
    size_t n = json_array_size(bounds);
    if (!n || json_array_size(buckets) != n + 1) {
        dash_buf_puts(out, "# the commit latency's histogram: not in the broker's STATS\n");
        return;
    }
    const char *name = "dajia_broker_commit_seconds";
    s_head(out, name, "histogram", "Commit (write and sync) time per batch.");
    for (size_t i = 0; i < n; i++) {
        json_t *le = json_array_get(bounds, i), *count = json_array_get(buckets, i);
        dash_buf_printf(out, "%s_bucket{le=\"%.9g\"} %.17g\n", name, json_number_value(le) / 1000.0,
                        json_number_value(count));
    }
    dash_buf_printf(out, "%s_bucket{le=\"+Inf\"} %.17g\n", name,
                    json_number_value(json_array_get(buckets, n)));
    dash_buf_printf(out, "%s_sum %.9g\n%s_count %.17g\n", name, s_num(commit, "sum") / 1000.0, name,
                    s_num(commit, "count"));
}

/* Each worker service's durable cursor and its lag behind the log, from STATS' workers. */
static void
s_workers(dash_buf_t *out, json_t *workers)
{
    if (!json_is_object(workers)) {
        dash_buf_puts(out, "# worker services' lag behind the log: not in the broker's STATS\n");
        return;
    }
    static const struct {
        const char *key, *name, *help;
    } gauges[] = {
        {"lag", "dajia_broker_worker_lag",
         "Events in the log a worker service has not yet had stored as done (the log's last "
         "seq minus its cursor)."},
        {"cursor", "dajia_broker_worker_cursor",
         "The last log_seq whose outputs a worker service had stored, in order."},
    };
    for (size_t g = 0; g < sizeof gauges / sizeof gauges[0]; g++) {
        s_head(out, gauges[g].name, "gauge", gauges[g].help);
        const char *service;
        json_t *w;
        json_object_foreach(workers, service, w)
        {
            dash_buf_printf(out, "%s{service=\"", gauges[g].name);
            s_label(out, service);
            dash_buf_printf(out, "\"} %.17g\n", s_num(w, gauges[g].key));
        }
    }
}

/* The broker's counters from its STATS text. */
static void
s_broker(dash_buf_t *out, const char *text)
{
    json_error_t err;
    json_t *root = text ? json_loads(text, 0, &err) : NULL;
    if (!json_is_object(root)) {
        dash_buf_puts(out, "# the broker's counters: not available (the dashboard's key may "
                           "not ask STATS, or the broker has not answered)\n");
        json_decref(root);
        return;
    }
    static const struct {
        const char *key, *name, *help;
    } counters[] = {
        {"received", "dajia_broker_received_total", "Messages the broker read from its api."},
        {"accepted", "dajia_broker_accepted_total", "Events stored for the first time."},
        {"duplicates", "dajia_broker_duplicates_total",
         "Events stored before, answered with the original seq."},
        {"rejected", "dajia_broker_rejected_total", "Events refused (by reason below)."},
        {"throttled", "dajia_broker_throttled_total",
         "Requests dropped unread: their connection was over its reject budget."},
        {"batches", "dajia_broker_batches_total", "Write transactions committed."},
        {"storage_failures", "dajia_broker_storage_failures_total",
         "Batches the store could not commit."},
    };
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        s_metric(out, counters[i].name, "counter", counters[i].help, s_num(root, counters[i].key));
    s_head(out, "dajia_broker_rejected_by_reason_total", "counter",
           "Events refused, by the reason code of the refusal.");
    json_t *by = json_object_get(root, "rejected_by_reason");
    const char *reason;
    json_t *v;
    json_object_foreach(by, reason, v)
    {
        if (!json_is_number(v))
            continue;
        dash_buf_puts(out, "dajia_broker_rejected_by_reason_total{reason=\"");
        s_label(out, reason);
        dash_buf_printf(out, "\"} %.17g\n", json_number_value(v));
    }
    json_t *commit = json_object_get(root, "commit_ms");
    s_head(out, "dajia_broker_commit_latency_seconds", "gauge",
           "Commit (write and sync) time per batch at a quantile, from the broker's histogram.");
    dash_buf_printf(out, "dajia_broker_commit_latency_seconds{quantile=\"0.5\"} %.9g\n",
                    s_num(commit, "p50") / 1000.0);
    dash_buf_printf(out, "dajia_broker_commit_latency_seconds{quantile=\"0.99\"} %.9g\n",
                    s_num(commit, "p99") / 1000.0);
    s_histogram(out, commit);
    s_metric(out, "dajia_broker_mean_batch", "gauge", "Mean events per committed batch.",
             s_num(root, "mean_batch"));
    json_t *log = json_object_get(root, "log");
    s_metric(out, "dajia_broker_log_last_seq", "gauge", "The log_seq of the newest stored event.",
             s_num(log, "last_seq"));
    s_metric(out, "dajia_broker_store_map_bytes", "gauge", "The log store's map size.",
             s_num(log, "map_bytes"));
    s_metric(out, "dajia_broker_store_used_bytes", "gauge", "Bytes the log store uses.",
             s_num(log, "used_bytes"));
    s_metric(out, "dajia_broker_uptime_seconds", "gauge", "Seconds since the broker started.",
             s_num(root, "uptime_s"));
    s_workers(out, json_object_get(root, "workers"));
    json_decref(root);
}

void
dash_metrics_write(dash_buf_t *out, const dash_metrics_t *m)
{
    const dash_follow_status_t *f = &m->follow;
    s_metric(out, "dajia_dash_up", "gauge", "1 while the dashboard follows the broker's feed.",
             f->up ? 1 : 0);
    s_metric(out, "dajia_dash_feed_seq", "gauge", "The last feed item in the dashboard's view.",
             (double)f->view_seq);
    s_metric(out, "dajia_feed_last_seq", "gauge",
             "The broker's newest feed item this dashboard may read (0: not known).",
             (double)f->broker_feed_seq);
    s_metric(out, "dajia_dash_items_total", "counter", "Feed items applied since the start.",
             (double)f->items);
    s_metric(out, "dajia_dash_reconnects_total", "counter",
             "Times the feed follower connected to the broker again.", (double)f->reconnects);
    s_metric(out, "dajia_dash_view_saves_total", "counter",
             "Times the view was written to the state directory.", (double)f->saves);
    s_metric(out, "dajia_dash_view_cells", "gauge", "Figure cells in the view.", (double)m->cells);
    s_metric(out, "dajia_dash_view_escalations", "gauge", "Escalations in the view.",
             (double)m->escalations);
    s_metric(out, "dajia_dash_view_matters", "gauge", "Major matters in the view.",
             (double)m->matters);
    s_metric(out, "dajia_dash_view_bulletins", "gauge", "Bulletins in the view.",
             (double)m->bulletins);
    s_metric(out, "dajia_dash_event_streams", "gauge",
             "Open live event streams (pages following the dashboard).", (double)m->streams);
    s_metric(out, "dajia_dash_events_total", "counter", "Events sent to the live pages' hub.",
             (double)m->events);
    s_metric(out, "dajia_dash_sessions", "gauge", "Open HTTP sessions.", (double)m->sessions);
    s_head(out, "dajia_dash_http_requests_total", "counter", "HTTP requests by status.");
    for (size_t i = 0; i < DASH_METRICS_CODES; i++) {
        if (dash_metrics_codes[i])
            dash_buf_printf(out, "dajia_dash_http_requests_total{code=\"%d\"} %" PRIu64 "\n",
                            dash_metrics_codes[i], m->requests[i]);
        else
            dash_buf_printf(out, "dajia_dash_http_requests_total{code=\"other\"} %" PRIu64 "\n",
                            m->requests[i]);
    }
    s_broker(out, m->stats_json);
}
