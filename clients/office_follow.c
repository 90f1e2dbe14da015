/*  office_follow: the Clone-pattern feed follower (see office_follow.h).

    One DEALER speaks REPLAY to the api socket, one SUB listens to the XPUB. The order
    matters: the SUB is connected before the first replay, so an item published while the
    replay runs waits in the SUB's queue and is dropped there as already had, instead of
    falling between the replay and the live feed.
*/
#include "office_follow.h"
#include "dajia_log.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dajia_api.h"
#include "dajia_codec.h"
#include "dajia_error.h"
#include "dajia_fs.h"

#define S_ERROR_MAX 512
#define S_STATE_MAX 32 /* "18446744073709551615\n" and room */
#define S_SUB_HWM   100000

struct office_follow_t {
    office_follow_options_t options;
    char *api, *feed, *state_dir, *unit; /* copies of the options' strings */
    zsock_t *dealer;
    zsock_t *sub;
    uint64_t last;
    char error[S_ERROR_MAX];
};

static int
s_fail(office_follow_t *self, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Records the sentence for office_follow_error() and returns `code`. */
static int
s_fail(office_follow_t *self, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(self->error, sizeof self->error, fmt, ap);
    va_end(ap);
    return code;
}

office_follow_verdict_t
office_follow_judge(uint64_t last, uint64_t seq)
{
    if (seq <= last)
        return OFFICE_FOLLOW_DROP;
    return seq == last + 1 ? OFFICE_FOLLOW_NEXT : OFFICE_FOLLOW_GAP;
}

// ====================================================================== state

int
office_follow_state_load(const char *state_dir, uint64_t *seq)
{
    char *path = zsys_sprintf("%s/%s", state_dir, OFFICE_FOLLOW_STATE_FILE);
    if (!path)
        return -ENOMEM;
    int rc = 0;
    FILE *file = fopen(path, "r");
    if (!file) {
        rc = errno == ENOENT ? 0 : -errno;
        if (rc == 0)
            *seq = 0;
        goto out;
    }
    char text[S_STATE_MAX] = "";
    size_t n = fread(text, 1, sizeof text - 1, file);
    text[n] = '\0';
    if (n && text[n - 1] == '\n')
        text[n - 1] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long long v = text[0] >= '0' && text[0] <= '9' ? strtoull(text, &end, 10) : 0;
    if (!end || *end || errno)
        rc = OFFICE_FOLLOW_STATE;
    else
        *seq = (uint64_t)v;
    fclose(file);
out:
    zstr_free(&path);
    return rc;
}

/* Writes `seq` to the state's temporary file, synced when `sync`: the position to take
   once s_state_commit renames it. Returns 0 or -errno. */
static int
s_state_prepare(const char *state_dir, uint64_t seq, bool sync)
{
    char *tmp = zsys_sprintf("%s/%s.tmp", state_dir, OFFICE_FOLLOW_STATE_FILE);
    int fd = -1, rc = 0;
    if (!tmp) {
        rc = -ENOMEM;
        goto out;
    }
    char text[S_STATE_MAX];
    int len = snprintf(text, sizeof text, "%" PRIu64 "\n", seq);
    errno = 0;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text, (size_t)len) != len || (sync && fsync(fd) != 0)) {
        rc = errno ? -errno : -EIO;
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = -errno;
        goto out;
    }
    fd = -1;
out:
    if (fd >= 0)
        close(fd);
    zstr_free(&tmp);
    return rc;
}

/* Makes the prepared temporary file the position: one rename(2), atomic, so a reader
   (the next start) sees the old number or the new one, never half. Returns 0 or -errno. */
static int
s_state_commit(const char *state_dir)
{
    char *path = zsys_sprintf("%s/%s", state_dir, OFFICE_FOLLOW_STATE_FILE);
    char *tmp = zsys_sprintf("%s/%s.tmp", state_dir, OFFICE_FOLLOW_STATE_FILE);
    int rc = 0;
    if (!path || !tmp)
        rc = -ENOMEM;
    else if (rename(tmp, path) != 0)
        rc = -errno;
    zstr_free(&path);
    zstr_free(&tmp);
    return rc;
}

int
office_follow_state_save(const char *state_dir, uint64_t seq)
{
    int rc = s_state_prepare(state_dir, seq, true);
    return rc ? rc : s_state_commit(state_dir);
}

// ====================================================================== setup

/* Connects `sock` to `endpoint` the way the options say. Returns 0 or a negative code. */
static int
s_connect(office_follow_t *self, zsock_t *sock, const char *endpoint)
{
    if (self->options.connect)
        return self->options.connect(sock, endpoint, self->options.connect_arg);
    return zsock_connect(sock, "%s", endpoint) == 0 ? 0 : -EINVAL;
}

int
office_follow_new(const office_follow_options_t *options, office_follow_t **out)
{
    if (!options || !out || !options->api || !*options->api || options->timeout_ms < 0 ||
        options->idle_check_ms < 0)
        return -EINVAL;
    int rc = -ENOMEM;
    office_follow_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    self->options = *options;
    if (!self->options.timeout_ms)
        self->options.timeout_ms = OFFICE_FOLLOW_TIMEOUT_MS;
    if (!self->options.idle_check_ms)
        self->options.idle_check_ms = OFFICE_FOLLOW_IDLE_CHECK_MS;
    self->api = strdup(options->api);
    self->feed = options->feed ? strdup(options->feed) : NULL;
    self->state_dir = options->state_dir ? strdup(options->state_dir) : NULL;
    self->unit = strdup(options->unit ? options->unit : "");
    if (!self->api || (options->feed && !self->feed) || (options->state_dir && !self->state_dir) ||
        !self->unit)
        goto out;
    self->last = options->from_seq > 1 ? options->from_seq - 1 : 0;
    if (self->state_dir) {
        rc = dajia_fs_mkdir_p(self->state_dir, 0755);
        if (rc)
            goto out;
        uint64_t kept = 0;
        rc = office_follow_state_load(self->state_dir, &kept);
        if (rc)
            goto out;
        if (kept)
            self->last = kept;
    }
    rc = -EINVAL;
    self->dealer = zsock_new(ZMQ_DEALER);
    if (!self->dealer) {
        rc = errno ? -errno : -ENOMEM;
        goto out;
    }
    zsock_set_linger(self->dealer, 0);
    zsock_set_sndtimeo(self->dealer, self->options.timeout_ms);
    rc = s_connect(self, self->dealer, self->api);
    if (rc)
        goto out;
    if (self->feed) {
        self->sub = zsock_new(ZMQ_SUB);
        if (!self->sub) {
            rc = errno ? -errno : -ENOMEM;
            goto out;
        }
        zsock_set_linger(self->sub, 0);
        /* Deep enough for a long replay's worth of live items; beyond it items are lost
           in the queue and the gap detection replays them. */
        zsock_set_rcvhwm(self->sub, S_SUB_HWM);
        zsock_set_subscribe(self->sub, "");
        rc = s_connect(self, self->sub, self->feed);
        if (rc)
            goto out;
    }
    *out = self;
    return 0;
out:
    office_follow_destroy(&self);
    return rc;
}

void
office_follow_destroy(office_follow_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    office_follow_t *self = *self_p;
    zsock_destroy(&self->dealer);
    zsock_destroy(&self->sub);
    free(self->api);
    free(self->feed);
    free(self->state_dir);
    free(self->unit);
    free(self);
    *self_p = NULL;
}

uint64_t
office_follow_last(const office_follow_t *self)
{
    return self->last;
}

const char *
office_follow_error(const office_follow_t *self)
{
    return self->error;
}

// ====================================================================== replay

static int
s_save(office_follow_t *self)
{
    if (!self->state_dir)
        return 0;
    int rc = office_follow_state_save(self->state_dir, self->last);
    if (rc)
        return s_fail(self, rc, "cannot keep the feed position in %s: %s", self->state_dir,
                      dajia_strerror(rc));
    return 0;
}

/* An item's position in the numbering of what this follower reads (dajia.proto,
   FeedItem): feed_seq for the Office, unit_seq for a unit reading its notices,
   public_seq for a public reader (an older broker sends no public_seq: its feed_seq,
   which its replay takes as the position). */
static uint64_t
s_seq(const office_follow_t *self, const Dajia__FeedItem *item)
{
    if (self->options.audience == DAJIA__AUDIENCE__AUDIENCE_UNIT)
        return item->unit_seq;
    if (self->options.audience == DAJIA__AUDIENCE__AUDIENCE_OFFICE || !item->public_seq)
        return item->feed_seq;
    return item->public_seq;
}

/* Gives `item` to `fn` with the position moving along (see office_follow.h): the
   position is prepared before, and renamed into place the moment `fn` has taken the
   item, so that only a death between the two can deliver it again. `sync`: the
   prepared file is synced first (a live item; a replayed batch syncs at its end). */
static int
s_deliver(office_follow_t *self, const Dajia__FeedItem *item, office_follow_fn *fn, void *arg,
          bool sync)
{
    if (self->state_dir) {
        int rc = s_state_prepare(self->state_dir, s_seq(self, item), sync);
        if (rc)
            return s_fail(self, rc, "cannot keep the feed position in %s: %s", self->state_dir,
                          dajia_strerror(rc));
    }
    int rc = fn(item, arg);
    if (rc < 0)
        return rc;
    self->last = s_seq(self, item);
    if (self->state_dir) {
        int saved = s_state_commit(self->state_dir);
        if (saved)
            return s_fail(self, saved, "cannot keep the feed position in %s: %s", self->state_dir,
                          dajia_strerror(saved));
    }
    return rc;
}

/* Sends one REPLAY from `from` and waits for its FEED. Sets *batch (caller frees). */
static int
s_request(office_follow_t *self, uint64_t from, Dajia__FeedBatch **batch)
{
    Dajia__ReplayRequest req = DAJIA__REPLAY_REQUEST__INIT;
    req.from_seq = from;
    req.audience = self->options.audience;
    req.max_items = self->options.batch;
    req.unit = self->unit;
    uint8_t buf[256]; /* three varints and a unit code */
    size_t len = dajia__replay_request__pack(&req, buf);
    void *raw = zsock_resolve(self->dealer);
    if (zmq_send(raw, DAJIA_API_REPLAY, DAJIA_API_LEN(DAJIA_API_REPLAY), ZMQ_SNDMORE) < 0 ||
        zmq_send(raw, buf, len, 0) < 0)
        return s_fail(self, errno == EAGAIN ? OFFICE_FOLLOW_TIMEOUT : -errno,
                      "cannot send to the broker at %s: %s", self->api, zmq_strerror(errno));
    zmq_pollitem_t item = {raw, 0, ZMQ_POLLIN, 0};
    int n = zmq_poll(&item, 1, self->options.timeout_ms);
    if (n < 0)
        return s_fail(self, -errno, "interrupted while waiting for the broker");
    if (n == 0)
        return s_fail(self, OFFICE_FOLLOW_TIMEOUT,
                      "no answer from the broker at %s within %g s (is it running?)", self->api,
                      self->options.timeout_ms / 1000.0);
    zmsg_t *reply = zmsg_recv(self->dealer);
    zframe_t *cmd = reply ? zmsg_first(reply) : NULL;
    zframe_t *body = reply ? zmsg_next(reply) : NULL;
    int rc = 0;
    if (!cmd || !body || zmsg_size(reply) != DAJIA_API_FRAMES) {
        rc = s_fail(self, OFFICE_FOLLOW_PROTO, "the broker at %s sent a malformed answer",
                    self->api);
    } else if (zframe_streq(cmd, DAJIA_API_FEED)) {
        *batch = dajia__feed_batch__unpack(NULL, zframe_size(body), zframe_data(body));
        if (!*batch)
            rc = s_fail(self, OFFICE_FOLLOW_PROTO, "the broker's feed batch does not decode");
        else if ((*batch)->reason != DAJIA__REASON__REASON_NONE) {
            rc = s_fail(self, OFFICE_FOLLOW_REFUSED, "the broker refused the replay: %s: %s",
                        dajia_reason_name((*batch)->reason), (*batch)->reason_text);
            dajia__feed_batch__free_unpacked(*batch, NULL);
            *batch = NULL;
        }
    } else if (zframe_streq(cmd, DAJIA_API_ACK)) {
        /* A broker without replay answers an unknown command with a refusing ack. */
        Dajia__Ack *ack = dajia__ack__unpack(NULL, zframe_size(body), zframe_data(body));
        rc = s_fail(self, OFFICE_FOLLOW_REFUSED, "the broker refused the replay: %s: %s",
                    ack ? dajia_reason_name(ack->reason) : "malformed",
                    ack ? ack->reason_text : "the answer does not decode");
        if (ack)
            dajia__ack__free_unpacked(ack, NULL);
    } else {
        rc = s_fail(self, OFFICE_FOLLOW_PROTO, "the broker at %s sent an unexpected answer",
                    self->api);
    }
    zmsg_destroy(&reply);
    return rc;
}

int
office_follow_catch_up(office_follow_t *self, office_follow_fn *fn, void *arg)
{
    uint64_t from = self->last + 1;
    for (;;) {
        Dajia__FeedBatch *batch = NULL;
        int rc = s_request(self, from, &batch);
        if (rc)
            return rc;
        uint64_t before = self->last;
        for (size_t i = 0; i < batch->n_items && rc == 0; i++) {
            const Dajia__FeedItem *item = batch->items[i];
            /* Replayed items come in order; anything at or below `last` is had already. */
            if (s_seq(self, item) <= self->last)
                continue;
            rc = s_deliver(self, item, fn, arg, false);
        }
        bool more = batch->more;
        /* `last` moves only over items actually received, never to the batch's
           last_feed_seq: that would skip an item stored between the broker reading the
           items and reading its newest seq. */
        /* With more, ask again from where the broker got to (next_seq), or, from a
           broker that does not say, after the last item received. A batch that says
           "more" but moves nothing forward would loop for ever. */
        uint64_t next = batch->next_seq > self->last ? batch->next_seq : self->last + 1;
        bool stuck = rc == 0 && more && next <= from;
        from = next;
        dajia__feed_batch__free_unpacked(batch, NULL);
        /* Each item's position is in place already; this makes the last one durable. */
        int saved = self->last != before ? s_save(self) : 0;
        if (rc)
            return rc;
        if (saved)
            return saved;
        if (stuck)
            return s_fail(self, OFFICE_FOLLOW_PROTO,
                          "the broker says more items follow %" PRIu64 " but sends none",
                          self->last);
        if (!more)
            return 0;
    }
}

// ====================================================================== follow

/* Handles one live message. Returns 0, 1 (stop) or a negative code. */
static int
s_live(office_follow_t *self, office_follow_fn *fn, void *arg)
{
    zmsg_t *msg = zmsg_recv(self->sub);
    if (!msg)
        return 0; /* interrupted */
    int rc = 0;
    zframe_t *body = zmsg_size(msg) == DAJIA_FEED_FRAMES ? zmsg_last(msg) : NULL;
    Dajia__FeedItem *item =
        body ? dajia__feed_item__unpack(NULL, zframe_size(body), zframe_data(body)) : NULL;
    zmsg_destroy(&msg);
    if (!item) {
        /* Not an item we can read: skip it; if it was one, the next item shows a gap. */
        dajia_log_warning_limited("skipped a live feed message that does not decode");
        return 0;
    }
    switch (office_follow_judge(self->last, s_seq(self, item))) {
    case OFFICE_FOLLOW_DROP:
        break;
    case OFFICE_FOLLOW_NEXT:
        rc = s_deliver(self, item, fn, arg, true);
        break;
    case OFFICE_FOLLOW_GAP:
        /* The item is stored before it is published, so the replay brings it too. */
        rc = office_follow_catch_up(self, fn, arg);
        break;
    }
    dajia__feed_item__free_unpacked(item, NULL);
    return rc;
}

int
office_follow_run(office_follow_t *self, office_follow_fn *fn, void *arg)
{
    if (!self->sub)
        return s_fail(self, -EINVAL, "no feed endpoint to follow");
    int rc = office_follow_catch_up(self, fn, arg);
    void *raw = zsock_resolve(self->sub);
    while (rc == 0 && !zsys_interrupted) {
        zmq_pollitem_t item = {raw, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&item, 1, self->options.idle_check_ms);
        if (n < 0) {
            if (errno == EINTR)
                continue; /* zsys_interrupted says whether to stop */
            rc = s_fail(self, -errno, "cannot wait on the feed: %s", zmq_strerror(errno));
        } else if (n == 0) {
            /* Quiet for a while: look for items the subscription missed. */
            rc = office_follow_catch_up(self, fn, arg);
        } else {
            rc = s_live(self, fn, arg);
        }
    }
    if (rc == -EINTR && zsys_interrupted)
        rc = 0;
    return rc;
}
