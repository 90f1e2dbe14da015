/*  load: a feed written into a store, raw ZMTP peers, a process's memory (see load.h).

    ZMTP 3.0 as RFC 23 (rfc.zeromq.org/spec/23) writes it: a 64-byte greeting (signature,
    version 3.0, mechanism "NULL", as-server 0), then the READY command with the
    Socket-Type property, then frames: a flags byte (MORE 0x01, LONG 0x02, COMMAND
    0x04), the size in one byte or, with LONG, eight big-endian ones, and the body.
*/
#include "load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dajia.pb-c.h"
#include "dajia_tables.h"
#include "store.h"

#define S_CHUNK        20000 /* items per write transaction */
#define S_SEND_WAIT_MS 2000

/* ====================================================================== the feed */

typedef struct {
    uint64_t first, last, public_every;
    size_t padding;
    char *reason;
} s_feed_job_t;

static int
s_feed_chunk(store_txn_t *txn, void *arg)
{
    s_feed_job_t *job = arg;
    uint8_t buf[4096];
    for (uint64_t seq = job->first; seq <= job->last; seq++) {
        Dajia__FeedItem item = DAJIA__FEED_ITEM__INIT;
        Dajia__Escalation esc = DAJIA__ESCALATION__INIT;
        Dajia__AggregateUpdate agg = DAJIA__AGGREGATE_UPDATE__INIT;
        char id[48];
        snprintf(id, sizeof id, "E1:load-%llu", (unsigned long long)seq);
        item.feed_seq = seq;
        item.source_log_seq = seq;
        item.produced_at = 1796000000000LL;
        if (job->public_every && seq % job->public_every == 0) {
            item.audience = DAJIA__AUDIENCE__AUDIENCE_PUBLIC;
            item.service = "aggregate";
            agg.through_log_seq = seq;
            item.item_case = DAJIA__FEED_ITEM__ITEM_AGGREGATE;
            item.aggregate = &agg;
        } else {
            item.audience = DAJIA__AUDIENCE__AUDIENCE_OFFICE;
            item.service = "escalate";
            esc.escalation_id = id;
            esc.rule = "E1";
            esc.unit = "customs";
            esc.reason = job->reason;
            esc.source_log_seq = seq;
            item.item_case = DAJIA__FEED_ITEM__ITEM_ESCALATION;
            item.escalation = &esc;
        }
        if (dajia__feed_item__get_packed_size(&item) > sizeof buf)
            return -E2BIG;
        size_t len = dajia__feed_item__pack(&item, buf);
        unsigned char key[8];
        store_u64_to_key(seq, key);
        int rc = store_put(txn, DAJIA_TABLE_FEED, key, sizeof key, buf, len, STORE_APPEND);
        if (rc)
            return rc;
    }
    return 0;
}

int
load_feed_write(const char *data_dir, uint64_t count, uint64_t public_every, size_t padding)
{
    if (padding > 2048)
        return -E2BIG;
    if (mkdir(data_dir, 0700) != 0 && errno != EEXIST)
        return -errno;
    store_t *store = NULL;
    int rc = store_open(data_dir, NULL, &store);
    if (rc)
        return rc;
    s_feed_job_t job = {.public_every = public_every, .padding = padding};
    job.reason = malloc(padding + 1);
    if (!job.reason) {
        store_destroy(&store);
        return -ENOMEM;
    }
    memset(job.reason, 'r', padding);
    job.reason[padding] = '\0';
    for (uint64_t first = 1; rc == 0 && first <= count; first += S_CHUNK) {
        job.first = first;
        job.last = first + S_CHUNK - 1 < count ? first + S_CHUNK - 1 : count;
        rc = store_write(store, s_feed_chunk, &job);
    }
    free(job.reason);
    store_destroy(&store);
    return rc;
}

/* ====================================================================== memory */

uint64_t
load_proc_memory(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *file = fopen(path, "r");
    if (!file)
        return 0;
    uint64_t kb = 0;
    size_t len = strlen(field);
    while (fgets(line, sizeof line, file))
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            kb = strtoull(line + len + 1, NULL, 10);
            break;
        }
    fclose(file);
    return kb * 1024;
}

/* ====================================================================== ZMTP */

static int
s_send_all(int fd, const void *data, size_t size)
{
    const uint8_t *p = data;
    while (size > 0) {
        ssize_t n = send(fd, p, size, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

static int
s_recv_all(int fd, void *data, size_t size, int timeout_ms)
{
    uint8_t *p = data;
    while (size > 0) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int ready = poll(&pfd, 1, timeout_ms);
        if (ready <= 0)
            return ready == 0 ? -ETIMEDOUT : -errno;
        ssize_t n = recv(fd, p, size, 0);
        if (n <= 0)
            return n == 0 ? -ECONNRESET : -errno;
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

/* Reads one frame (a command, here) and drops its body. */
static int
s_recv_frame(int fd, int timeout_ms)
{
    uint8_t flags, size8[8];
    int rc = s_recv_all(fd, &flags, 1, timeout_ms);
    uint64_t size = 0;
    if (rc == 0 && (flags & 0x02)) {
        rc = s_recv_all(fd, size8, 8, timeout_ms);
        for (int i = 0; rc == 0 && i < 8; i++)
            size = size << 8 | size8[i];
    } else if (rc == 0) {
        rc = s_recv_all(fd, size8, 1, timeout_ms);
        size = size8[0];
    }
    if (rc == 0 && size > 4096)
        return -EPROTO;
    uint8_t body[4096];
    return rc ? rc : s_recv_all(fd, body, (size_t)size, timeout_ms);
}

int
load_zmtp_connect(const char *endpoint, const char *type, int rcvbuf, int timeout_ms)
{
    char host[64];
    unsigned port = 0;
    if (sscanf(endpoint, "tcp://%63[^:]:%u", host, &port) != 2)
        return -EINVAL;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
        return -EINVAL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (rcvbuf > 0) /* before connect, so the window is small from the start */
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    /* A send that waits this long on a closed window gives up (load_zmtp_closed then
       tells whether the broker went away). */
    struct timeval wait = {.tv_sec = S_SEND_WAIT_MS / 1000,
                           .tv_usec = S_SEND_WAIT_MS % 1000 * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof wait);
    int rc = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 ? 0 : -errno;
    uint8_t greeting[64] = {0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 0, 'N', 'U', 'L', 'L'};
    if (rc == 0)
        rc = s_send_all(fd, greeting, sizeof greeting);
    uint8_t theirs[64];
    if (rc == 0)
        rc = s_recv_all(fd, theirs, sizeof theirs, timeout_ms);
    /* READY: name, then the property Socket-Type = type */
    uint8_t ready[64];
    size_t tlen = strlen(type), n = 0;
    if (rc == 0 && tlen > 16)
        rc = -EINVAL;
    if (rc == 0) {
        ready[n++] = 0x04;
        ready[n++] = (uint8_t)(6 + 1 + 11 + 4 + tlen);
        memcpy(ready + n, "\x05READY", 6);
        n += 6;
        ready[n++] = 11;
        memcpy(ready + n, "Socket-Type", 11);
        n += 11;
        uint8_t vlen[4] = {0, 0, 0, (uint8_t)tlen};
        memcpy(ready + n, vlen, 4);
        n += 4;
        memcpy(ready + n, type, tlen);
        n += tlen;
        rc = s_send_all(fd, ready, n);
    }
    if (rc == 0)
        rc = s_recv_frame(fd, timeout_ms); /* theirs */
    if (rc) {
        close(fd);
        return rc;
    }
    return fd;
}

int
load_zmtp_send_frame(int fd, const void *data, uint64_t size, bool more)
{
    uint8_t header[9];
    size_t n = 0;
    if (size > 255) {
        header[n++] = (uint8_t)((more ? 0x01 : 0) | 0x02);
        for (int i = 7; i >= 0; i--)
            header[n++] = (uint8_t)(size >> (8 * i));
    } else {
        header[n++] = more ? 0x01 : 0;
        header[n++] = (uint8_t)size;
    }
    int rc = s_send_all(fd, header, n);
    if (rc == 0 && data && size)
        rc = s_send_all(fd, data, (size_t)size);
    return rc;
}

int
load_zmtp_send_bytes(int fd, uint8_t fill, uint64_t size)
{
    uint8_t block[65536];
    memset(block, fill, sizeof block);
    while (size > 0) {
        size_t n = size < sizeof block ? (size_t)size : sizeof block;
        int rc = s_send_all(fd, block, n);
        if (rc)
            return rc;
        size -= n;
    }
    return 0;
}

bool
load_zmtp_closed(int fd)
{
    uint8_t buf[4096];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0)
            return true;
        if (n < 0)
            return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    }
}
