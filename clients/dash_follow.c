/*  dash_follow: the feed follower and the housekeeper of the dashboard (see dash_follow.h).

    The view is guarded by a read-write lock: the follower writes one item at a time, so
    a page waits at most one item's fold. Everything else the two threads share (the
    status, the last STATS text, the pending notices) is under one small mutex.
*/
#include "dash_follow.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dajia_api.h"
#include "dajia_error.h"
#include "dajia_fs.h"
#include "dajia_keydir.h"
#include "dajia_log.h"
#include "dash_buf.h"
#include "office_follow.h"

#define S_TIMEOUT_MS      2000
#define S_IDLE_CHECK_MS   1000
#define S_RETRY_MS        1000
#define S_TICK_MS         250
#define S_NOTICE_EVERY_MS 500
#define S_PROBE_EVERY_MS  2000
#define S_SAVE_AFTER_MS   5000

enum { S_NOTICE_FIGURES = 0, S_NOTICE_BULLETIN, S_NOTICE_MATTER, S_NOTICE_COMPLIANCE, S_NOTICES };

static const char *const s_notice_names[S_NOTICES] = {"figures", "bulletin", "matter",
                                                      "compliance"};
static const bool s_notice_office[S_NOTICES] = {false, false, true, true};

struct dash_follow_t {
    dash_follow_options_t o;
    char *api, *feed, *state_dir, *broker_key; /* copies */
    pthread_rwlock_t view_lock;
    dash_view_t *view;
    pthread_mutex_t lock; /* what follows */
    pthread_cond_t first_cond;
    bool first_done;
    dash_follow_status_t status;
    char *stats; /* the last STATS text */
    bool pending[S_NOTICES];
    int64_t noticed_ms[S_NOTICES];
    bool dirty; /* the view changed since it was last written */
    atomic_bool stopping;
    pthread_t follower, keeper;
    bool follower_started, keeper_started;
};

static void
s_set_up(dash_follow_t *self, bool up, const char *reason)
{
    pthread_mutex_lock(&self->lock);
    bool changed = self->status.up != up || (!up && strcmp(self->status.reason, reason) != 0);
    bool flipped = self->status.up != up;
    if (flipped)
        self->status.since_ms = zclock_time();
    self->status.up = up;
    snprintf(self->status.reason, sizeof self->status.reason, "%s", up ? "" : reason);
    pthread_mutex_unlock(&self->lock);
    if (!changed)
        return;
    if (up)
        dajia_log_info("following the broker at %s (feed %s)", self->api, self->feed);
    else
        dajia_log_warning("not following the broker: %s", reason);
    dash_buf_t b = {0};
    dash_buf_printf(&b, "{\"up\":%s,\"reason\":\"", up ? "true" : "false");
    dash_buf_json(&b, up ? "" : reason);
    dash_buf_puts(&b, "\"}");
    if (!b.failed)
        dash_sse_publish(self->o.sse, false, "status", b.data);
    dash_buf_reset(&b);
}

// ====================================================================== the broker

/* office_follow's connect, and ours: a CURVE client with our key when there is one. */
static int
s_connect(void *sock, const char *endpoint, void *arg)
{
    dash_follow_t *self = arg;
    if (!self->o.cert)
        return zsock_connect(sock, "%s", endpoint) == 0 ? 0 : -EINVAL;
    int rc = dajia_keydir_apply(sock, self->o.cert, self->broker_key);
    if (rc == 0)
        rc = dajia_keydir_connect(sock, endpoint, self->o.timeout_ms);
    /* No answer: the broker may be down; the waits that follow report it. */
    return rc == -ETIMEDOUT || rc == -EINTR ? 0 : rc;
}

/* One request on a DEALER and its answer within the timeout. Returns 0 and sets *reply,
   or -ETIMEDOUT / -errno. */
static int
s_ask(dash_follow_t *self, zsock_t *sock, const char *cmd, const void *body, size_t len,
      zmsg_t **reply)
{
    void *raw = zsock_resolve(sock);
    if (zmq_send(raw, cmd, strlen(cmd), ZMQ_SNDMORE) < 0 || zmq_send(raw, body, len, 0) < 0)
        return -errno;
    zmq_pollitem_t item = {raw, 0, ZMQ_POLLIN, 0};
    int n = zmq_poll(&item, 1, self->o.timeout_ms);
    if (n < 0)
        return -errno;
    if (n == 0)
        return -ETIMEDOUT;
    *reply = zmsg_recv(sock);
    return *reply ? 0 : -EIO;
}

/* The broker's newest feed_seq, by a REPLAY from the end. */
static int
s_probe_feed(dash_follow_t *self, zsock_t *sock, uint64_t *last)
{
    Dajia__ReplayRequest req = DAJIA__REPLAY_REQUEST__INIT;
    req.from_seq = UINT64_MAX;
    req.audience = self->o.audience;
    req.max_items = 1;
    uint8_t buf[64];
    size_t len = dajia__replay_request__pack(&req, buf);
    zmsg_t *reply = NULL;
    int rc = s_ask(self, sock, DAJIA_API_REPLAY, buf, len, &reply);
    if (rc)
        return rc;
    rc = -EPROTO;
    zframe_t *cmd = zmsg_first(reply), *body = zmsg_next(reply);
    if (cmd && body && zframe_streq(cmd, DAJIA_API_FEED)) {
        Dajia__FeedBatch *b = dajia__feed_batch__unpack(NULL, zframe_size(body), zframe_data(body));
        if (b && b->reason == DAJIA__REASON__REASON_NONE) {
            *last = b->last_feed_seq;
            rc = 0;
        }
        if (b)
            dajia__feed_batch__free_unpacked(b, NULL);
    }
    zmsg_destroy(&reply);
    return rc;
}

/* The broker's STATS text (caller frees). */
static int
s_probe_stats(dash_follow_t *self, zsock_t *sock, char **json)
{
    zmsg_t *reply = NULL;
    int rc = s_ask(self, sock, DAJIA_API_STATS, "", 0, &reply);
    if (rc)
        return rc;
    rc = -EPROTO;
    zframe_t *cmd = zmsg_first(reply), *body = zmsg_next(reply);
    if (cmd && body && zframe_streq(cmd, DAJIA_API_STATS_REPLY)) {
        *json = strndup((const char *)zframe_data(body), zframe_size(body));
        rc = *json ? 0 : -ENOMEM;
    }
    zmsg_destroy(&reply);
    return rc;
}

static zsock_t *
s_dealer(dash_follow_t *self)
{
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    if (!sock)
        return NULL;
    zsock_set_linger(sock, 0);
    zsock_set_sndtimeo(sock, self->o.timeout_ms);
    if (s_connect(sock, self->api, self) != 0)
        zsock_destroy(&sock);
    return sock;
}

// ====================================================================== the view

static bool
s_office(const dash_follow_t *self)
{
    return self->o.audience == DAJIA__AUDIENCE__AUDIENCE_OFFICE;
}

/* The public view is kept as "view.public_seq": its position is a public_seq. A
   "view.public" (an older dashboard's) counts feed_seq, which a public reader is no
   longer told: it is removed and the view rebuilt (s_load). */
static char *
s_view_path(dash_follow_t *self, bool tmp)
{
    return zsys_sprintf("%s/view.%s%s", self->state_dir, s_office(self) ? "office" : "public_seq",
                        tmp ? ".tmp" : "");
}

/* Removes an older dashboard's public view, kept by feed_seq (see s_view_path). */
static void
s_drop_old_view(dash_follow_t *self)
{
    char *old = s_office(self) ? NULL : zsys_sprintf("%s/view.public", self->state_dir);
    if (old && unlink(old) == 0)
        dajia_log_warning("removed %s, kept by an older dashboard in the numbering of the whole "
                          "feed: the view is rebuilt from the public feed, by public_seq",
                          old);
    zstr_free(&old);
}

/* Writes the view to the state directory (atomically). */
static int
s_save(dash_follow_t *self)
{
    if (!self->state_dir)
        return 0;
    uint8_t *data = NULL;
    size_t len = 0;
    pthread_rwlock_rdlock(&self->view_lock);
    int rc = dash_view_export(self->view, &data, &len);
    pthread_rwlock_unlock(&self->view_lock);
    if (rc)
        return rc;
    char *path = s_view_path(self, false), *tmp = s_view_path(self, true);
    int fd = -1;
    if (!path || !tmp) {
        rc = -ENOMEM;
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) != 0) {
        rc = errno ? -errno : -EIO;
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = -errno;
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        rc = -errno;
out:
    if (fd >= 0)
        close(fd);
    if (rc)
        dajia_log_warning("cannot keep the view in %s: %s", self->state_dir, dajia_strerror(rc));
    else {
        pthread_mutex_lock(&self->lock);
        self->status.saves++;
        pthread_mutex_unlock(&self->lock);
    }
    free(data);
    zstr_free(&path);
    zstr_free(&tmp);
    return rc;
}

static int
s_load(dash_follow_t *self, char *err, size_t errlen)
{
    if (!self->state_dir)
        return 0;
    int rc = dajia_fs_mkdir_p(self->state_dir, 0700);
    if (rc) {
        snprintf(err, errlen, "cannot make the state directory %s: %s", self->state_dir,
                 dajia_strerror(rc));
        return rc;
    }
    s_drop_old_view(self);
    char *path = s_view_path(self, false);
    if (!path)
        return -ENOMEM;
    FILE *f = fopen(path, "rb");
    if (!f) {
        rc = errno == ENOENT ? 0 : -errno;
        if (rc)
            snprintf(err, errlen, "cannot read %s: %s", path, dajia_strerror(rc));
        zstr_free(&path);
        return rc;
    }
    dash_buf_t b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        dash_buf_add(&b, chunk, n);
    rc = ferror(f) ? -EIO : b.failed ? -ENOMEM : 0;
    fclose(f);
    if (rc == 0)
        rc = dash_view_import(self->view, (const uint8_t *)b.data, b.len);
    if (rc)
        snprintf(err, errlen,
                 "cannot read the kept view %s: %s (remove it to rebuild the view "
                 "from the broker)",
                 path, rc == -EPROTO ? "it does not decode" : dajia_strerror(rc));
    else
        dajia_log_info("read the kept view (%s) up to feed item %" PRIu64, path,
                       dash_view_last_seq(self->view));
    dash_buf_reset(&b);
    zstr_free(&path);
    return rc;
}

// ====================================================================== follower

static int
s_on_item(const Dajia__FeedItem *item, void *arg)
{
    dash_follow_t *self = arg;
    dash_view_change_t change = DASH_VIEW_NOTHING;
    /* The view counts items by the number of the feed it reads: a public reader's items
       carry public_seq and no feed_seq (dajia.proto, FeedItem), so its view's position
       (saved with it, and where the next replay starts) is a public_seq. */
    Dajia__FeedItem numbered = *item;
    if (!s_office(self) && item->public_seq)
        numbered.feed_seq = item->public_seq;
    pthread_rwlock_wrlock(&self->view_lock);
    int rc = dash_view_apply(self->view, &numbered, &change);
    uint64_t seq = dash_view_last_seq(self->view);
    pthread_rwlock_unlock(&self->view_lock);
    if (rc)
        return rc;
    int64_t now = zclock_time();
    pthread_mutex_lock(&self->lock);
    self->status.items++;
    self->status.view_seq = seq;
    self->status.changed_ms = now;
    self->dirty = true;
    if (change == DASH_VIEW_FIGURES)
        self->pending[S_NOTICE_FIGURES] = true;
    else if (change == DASH_VIEW_BULLETIN)
        self->pending[S_NOTICE_BULLETIN] = true;
    else if (change == DASH_VIEW_MATTER)
        self->pending[S_NOTICE_MATTER] = true;
    else if (change == DASH_VIEW_COMPLIANCE)
        self->pending[S_NOTICE_COMPLIANCE] = true;
    pthread_mutex_unlock(&self->lock);
    if (change == DASH_VIEW_ESCALATION) {
        /* The row itself, at once: the live page adds it without asking again. */
        dash_buf_t b = {0};
        dash_report_escalation_json(item, &self->o.report, &b);
        if (!b.failed)
            dash_sse_publish(self->o.sse, true, "escalation", b.data);
        dash_buf_reset(&b);
    }
    return 0;
}

/* Sleeps `ms` unless told to stop. */
static void
s_nap(dash_follow_t *self, int ms)
{
    for (int slept = 0; slept < ms && !atomic_load(&self->stopping) && !zsys_interrupted;
         slept += 50)
        zclock_sleep(50);
}

static void
s_first_done(dash_follow_t *self)
{
    pthread_mutex_lock(&self->lock);
    self->first_done = true;
    pthread_cond_broadcast(&self->first_cond);
    pthread_mutex_unlock(&self->lock);
}

/* A broker whose newest feed_seq lies below the view's holds another feed (its data was
   replaced): the view starts again from nothing. */
static void
s_check_feed(dash_follow_t *self)
{
    zsock_t *sock = s_dealer(self);
    uint64_t last = 0;
    if (!sock || s_probe_feed(self, sock, &last) != 0) {
        zsock_destroy(&sock);
        return;
    }
    zsock_destroy(&sock);
    pthread_rwlock_wrlock(&self->view_lock);
    uint64_t mine = dash_view_last_seq(self->view);
    bool reset = last < mine;
    dash_view_t *fresh = reset ? dash_view_new() : NULL;
    if (fresh) {
        dash_view_destroy(&self->view);
        self->view = fresh;
    }
    pthread_rwlock_unlock(&self->view_lock);
    if (fresh)
        dajia_log_warning("the broker's feed ends at item %" PRIu64 ", before this dashboard's "
                          "view (%" PRIu64 "): its data was replaced; rebuilding the view",
                          last, mine);
}

static void *
s_follower(void *arg)
{
    dash_follow_t *self = arg;
    bool first = true;
    while (!atomic_load(&self->stopping) && !zsys_interrupted) {
        s_check_feed(self);
        pthread_rwlock_rdlock(&self->view_lock);
        uint64_t from = dash_view_last_seq(self->view) + 1;
        pthread_rwlock_unlock(&self->view_lock);
        office_follow_options_t fo = {
            .api = self->api,
            .feed = self->feed,
            .audience = self->o.audience,
            .state_dir = NULL, /* the view is kept whole, with its feed_seq, by s_save */
            .from_seq = from,
            .timeout_ms = self->o.timeout_ms,
            .idle_check_ms = S_IDLE_CHECK_MS,
            .connect = s_connect,
            .connect_arg = self,
        };
        office_follow_t *follow = NULL;
        int rc = office_follow_new(&fo, &follow);
        if (rc == 0)
            rc = office_follow_catch_up(follow, s_on_item, self);
        if (rc == 0) {
            s_set_up(self, true, "");
            if (first)
                s_first_done(self);
            first = false;
            rc = office_follow_run(follow, s_on_item, self);
        }
        if (!atomic_load(&self->stopping) && !zsys_interrupted) {
            const char *why = follow && *office_follow_error(follow) ? office_follow_error(follow)
                                                                     : dajia_strerror(rc);
            s_set_up(self, false, rc ? why : "the feed follower stopped");
            pthread_mutex_lock(&self->lock);
            self->status.reconnects++;
            pthread_mutex_unlock(&self->lock);
        }
        office_follow_destroy(&follow);
        if (first)
            s_first_done(self);
        first = false;
        s_nap(self, S_RETRY_MS);
    }
    return NULL;
}

// ====================================================================== keeper

static void *
s_keeper(void *arg)
{
    dash_follow_t *self = arg;
    zsock_t *sock = NULL;
    int64_t probed = 0;
    while (!atomic_load(&self->stopping)) {
        int64_t now = zclock_time();
        /* The live pages' notices, at most every S_NOTICE_EVERY_MS each. */
        bool send[S_NOTICES] = {false};
        bool save = false;
        pthread_mutex_lock(&self->lock);
        for (int i = 0; i < S_NOTICES; i++)
            if (self->pending[i] && now - self->noticed_ms[i] >= S_NOTICE_EVERY_MS) {
                send[i] = true;
                self->pending[i] = false;
                self->noticed_ms[i] = now;
            }
        uint64_t seq = self->status.view_seq;
        if (self->dirty && now - self->status.changed_ms >= S_SAVE_AFTER_MS) {
            save = true;
            self->dirty = false;
        }
        pthread_mutex_unlock(&self->lock);
        for (int i = 0; i < S_NOTICES; i++)
            if (send[i]) {
                char data[64];
                snprintf(data, sizeof data, "{\"seq\":%" PRIu64 "}", seq);
                dash_sse_publish(self->o.sse, s_notice_office[i], s_notice_names[i], data);
            }
        if (save)
            s_save(self);
        if (now - probed >= S_PROBE_EVERY_MS) {
            probed = now;
            if (!sock)
                sock = s_dealer(self);
            uint64_t last = 0;
            char *stats = NULL;
            int rc = sock ? s_probe_feed(self, sock, &last) : -ENOTCONN;
            if (rc == 0 && self->o.stats)
                rc = s_probe_stats(self, sock, &stats);
            pthread_mutex_lock(&self->lock);
            if (rc == 0) {
                self->status.broker_feed_seq = last;
                if (stats) {
                    free(self->stats);
                    self->stats = stats;
                    stats = NULL;
                }
            }
            pthread_mutex_unlock(&self->lock);
            free(stats);
            /* A late answer would be taken for the next question's: start afresh. */
            if (rc)
                zsock_destroy(&sock);
        }
        zclock_sleep(S_TICK_MS);
    }
    zsock_destroy(&sock);
    return NULL;
}

// ====================================================================== life

int
dash_follow_start(const dash_follow_options_t *o, dash_follow_t **out, char *err, size_t errlen)
{
    dash_follow_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    self->o = *o;
    if (!self->o.timeout_ms)
        self->o.timeout_ms = S_TIMEOUT_MS;
    self->api = strdup(o->api);
    self->feed = strdup(o->feed);
    self->state_dir = o->state_dir ? strdup(o->state_dir) : NULL;
    self->broker_key = strdup(o->broker_key ? o->broker_key : "");
    self->view = dash_view_new();
    pthread_rwlock_init(&self->view_lock, NULL);
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->first_cond, NULL);
    snprintf(self->status.reason, sizeof self->status.reason, "%s",
             "not connected to the broker yet");
    self->status.since_ms = zclock_time();
    int rc = -ENOMEM;
    if (!self->api || !self->feed || (o->state_dir && !self->state_dir) || !self->broker_key ||
        !self->view) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    rc = s_load(self, err, errlen);
    if (rc)
        goto out;
    self->status.view_seq = dash_view_last_seq(self->view);
    rc = -pthread_create(&self->follower, NULL, s_follower, self);
    self->follower_started = rc == 0;
    if (rc == 0) {
        rc = -pthread_create(&self->keeper, NULL, s_keeper, self);
        self->keeper_started = rc == 0;
    }
    if (rc) {
        snprintf(err, errlen, "cannot start a thread: %s", dajia_strerror(rc));
        goto out;
    }
    *out = self;
    return 0;
out:
    dash_follow_stop(&self);
    return rc;
}

bool
dash_follow_wait_first(dash_follow_t *self, int timeout_ms)
{
    int64_t deadline = zclock_mono() + timeout_ms;
    pthread_mutex_lock(&self->lock);
    while (!self->first_done && zclock_mono() < deadline && !zsys_interrupted) {
        pthread_mutex_unlock(&self->lock);
        zclock_sleep(20);
        pthread_mutex_lock(&self->lock);
    }
    bool done = self->first_done;
    pthread_mutex_unlock(&self->lock);
    return done;
}

void
dash_follow_stop(dash_follow_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dash_follow_t *self = *self_p;
    atomic_store(&self->stopping, true);
    /* office_follow_run ends on zsys_interrupted only. After SIGINT or SIGTERM (the
       ordinary way out) czmq's handler has set it; otherwise the process is stopping on
       an error at start, and setting it here is the only way to end the follower. */
    if (!zsys_interrupted)
        zsys_interrupted = 1;
    if (self->follower_started)
        pthread_join(self->follower, NULL);
    if (self->keeper_started)
        pthread_join(self->keeper, NULL);
    if (self->follower_started && self->view && self->dirty)
        s_save(self);
    dash_view_destroy(&self->view);
    pthread_rwlock_destroy(&self->view_lock);
    pthread_mutex_destroy(&self->lock);
    pthread_cond_destroy(&self->first_cond);
    free(self->stats);
    free(self->api);
    free(self->feed);
    free(self->state_dir);
    free(self->broker_key);
    free(self);
    *self_p = NULL;
}

const dash_view_t *
dash_follow_read(dash_follow_t *self)
{
    pthread_rwlock_rdlock(&self->view_lock);
    return self->view;
}

void
dash_follow_done(dash_follow_t *self)
{
    pthread_rwlock_unlock(&self->view_lock);
}

void
dash_follow_status(dash_follow_t *self, dash_follow_status_t *status)
{
    pthread_mutex_lock(&self->lock);
    *status = self->status;
    pthread_mutex_unlock(&self->lock);
}

char *
dash_follow_stats(dash_follow_t *self)
{
    pthread_mutex_lock(&self->lock);
    char *copy = self->stats ? strdup(self->stats) : NULL;
    pthread_mutex_unlock(&self->lock);
    return copy;
}
