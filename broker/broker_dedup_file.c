/*  broker_dedup_file: the dedup index's file (see broker_dedup_file.h).

    The file, little-endian throughout, is a header of S_CHUNK bytes and then chunks of
    S_CHUNK bytes, chunk k (from 1) holding the entries of log_seq (k - 1) * S_PER_CHUNK + 1
    onwards:

      header  magic "DJDEDUPX", u32 version, u32 chunk size, u64 seed, u64 checksum of
              the 24 bytes before it; zeros to the chunk's end
      chunk   magic "DJDC", u32 count (1 .. S_PER_CHUNK), u64 first log_seq, u64
              checksum, u64 zero, then count u64 hashes (0: the record's key is an
              earlier record's); zeros to the chunk's end

    A chunk's checksum covers its first 32 + 8 * count bytes (the checksum field read as
    0) and is keyed by the seed and the chunk's number, so a chunk of another file, or in
    another place, does not pass. Every chunk but the last holds S_PER_CHUNK entries.
*/
#include "broker_dedup_file.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "broker_batch.h"
#include "dajia_error.h"
#include "dajia_fs.h"
#include "dajia_log.h"
#include "dajia_tables.h"

#define S_CHUNK       4096
#define S_CHUNK_HEAD  32
#define S_PER_CHUNK   ((S_CHUNK - S_CHUNK_HEAD) / 8) /* 508 */
#define S_VERSION     1
#define S_READ_CHUNKS 256 /* chunks read at once at open: 1 MiB */
#define S_SAMPLES     16  /* entries checked against the log at open */
#define S_PREFETCH    8   /* entries ahead whose slots are asked for while loading */

static const char s_magic[8] = {'D', 'J', 'D', 'E', 'D', 'U', 'P', 'X'};
static const char s_chunk_magic[4] = {'D', 'J', 'D', 'C'};

struct broker_dedup_file_t {
    int fd; /* -1 once it stopped */
    char *path;
    uint64_t seed;
    uint64_t chunk_no;  /* the chunk being filled (from 1) */
    uint32_t count;     /* its entries so far */
    uint64_t next_seq;  /* the log_seq of the next entry */
    int64_t synced_ms;  /* monotonic, when last synced */
    int64_t written_ms; /* monotonic, when the chunk being filled was last written */
    bool unsynced;      /* written since then */
    uint64_t entries[S_PER_CHUNK];
};

/* ================================================================ bytes */

static uint64_t
s_get64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return le64toh(v);
}

static void
s_put64(unsigned char *p, uint64_t v)
{
    v = htole64(v);
    memcpy(p, &v, 8);
}

static uint32_t
s_get32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return le32toh(v);
}

static void
s_put32(unsigned char *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, 4);
}

static uint64_t
s_rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

#define S_P1 UINT64_C(0x9e3779b185ebca87)
#define S_P2 UINT64_C(0xc2b2ae3d27d4eb4f)
#define S_P3 UINT64_C(0x165667b19e3779f9)

/* A 64-bit checksum of `len` bytes (a multiple of 8) keyed by `key`: four lanes of
   multiply-rotate rounds, as xxHash64 does, so a megabyte takes a fraction of a
   millisecond; then every bit of the lanes mixed into the result. */
static uint64_t
s_sum(uint64_t key, const unsigned char *p, size_t len)
{
    uint64_t lane[4] = {key + S_P1 + S_P2, key + S_P2, key, key - S_P1};
    size_t i = 0;
    for (; i + 32 <= len; i += 32)
        for (int l = 0; l < 4; l++)
            lane[l] = s_rotl(lane[l] + s_get64(p + i + 8 * l) * S_P2, 31) * S_P1;
    uint64_t h = s_rotl(lane[0], 1) + s_rotl(lane[1], 7) + s_rotl(lane[2], 12) +
                 s_rotl(lane[3], 18) + (uint64_t)len;
    for (; i + 8 <= len; i += 8)
        h = s_rotl(h ^ (s_rotl(s_get64(p + i) * S_P2, 31) * S_P1), 27) * S_P1 + S_P3;
    h ^= h >> 33;
    h *= S_P2;
    h ^= h >> 29;
    h *= S_P3;
    h ^= h >> 32;
    return h;
}

static uint64_t
s_first_seq(uint64_t chunk_no)
{
    return (chunk_no - 1) * S_PER_CHUNK + 1;
}

/* Lays out chunk `chunk_no` with `count` entries in buf[S_CHUNK]. */
static void
s_chunk_build(uint64_t seed, uint64_t chunk_no, const uint64_t *entries, uint32_t count,
              unsigned char *buf)
{
    memset(buf, 0, S_CHUNK);
    memcpy(buf, s_chunk_magic, 4);
    s_put32(buf + 4, count);
    s_put64(buf + 8, s_first_seq(chunk_no));
    for (uint32_t i = 0; i < count; i++)
        s_put64(buf + S_CHUNK_HEAD + 8 * i, entries[i]);
    s_put64(buf + 16, s_sum(seed ^ chunk_no, buf, S_CHUNK_HEAD + 8 * (size_t)count));
}

/* Is buf[S_CHUNK] a good chunk number `chunk_no`? Sets *count. */
static bool
s_chunk_good(uint64_t seed, uint64_t chunk_no, unsigned char *buf, uint32_t *count)
{
    uint32_t n = s_get32(buf + 4);
    if (memcmp(buf, s_chunk_magic, 4) != 0 || n == 0 || n > S_PER_CHUNK ||
        s_get64(buf + 8) != s_first_seq(chunk_no))
        return false;
    uint64_t sum = s_get64(buf + 16);
    s_put64(buf + 16, 0);
    bool good = s_sum(seed ^ chunk_no, buf, S_CHUNK_HEAD + 8 * (size_t)n) == sum;
    s_put64(buf + 16, sum);
    *count = n;
    return good;
}

static void
s_header_build(uint64_t seed, unsigned char *buf)
{
    memset(buf, 0, S_CHUNK);
    memcpy(buf, s_magic, 8);
    s_put32(buf + 8, S_VERSION);
    s_put32(buf + 12, S_CHUNK);
    s_put64(buf + 16, seed);
    s_put64(buf + 24, s_sum(0, buf, 24));
}

static int64_t
s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
s_pwrite_all(int fd, const unsigned char *buf, size_t len, off_t at)
{
    while (len) {
        ssize_t n = pwrite(fd, buf, len, at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        buf += n;
        len -= (size_t)n;
        at += n;
    }
    return 0;
}

/* Reads up to `len` bytes at `at`; sets *got (short at the end of the file). */
static int
s_pread_all(int fd, unsigned char *buf, size_t len, off_t at, size_t *got)
{
    *got = 0;
    while (*got < len) {
        ssize_t n = pread(fd, buf + *got, len - *got, at + (off_t)*got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return 0;
}

/* ================================================================ appending */

/* The file stops: what it holds stays, and nothing more is written. */
static void
s_stop(broker_dedup_file_t *self, const char *what, int rc)
{
    dajia_log_warning("dedup index file %s: cannot %s: %s; it stays at log_seq %" PRIu64
                      ", and the next start reads the log after that",
                      self->path, what, dajia_strerror(rc), self->next_seq - 1);
    close(self->fd);
    self->fd = -1;
}

/* Writes the chunk being filled. */
static int
s_flush(broker_dedup_file_t *self)
{
    if (self->fd < 0 || self->count == 0)
        return 0;
    unsigned char buf[S_CHUNK];
    s_chunk_build(self->seed, self->chunk_no, self->entries, self->count, buf);
    int rc = s_pwrite_all(self->fd, buf, sizeof buf, (off_t)(self->chunk_no * S_CHUNK));
    if (rc) {
        s_stop(self, "write", rc);
        return rc;
    }
    self->unsynced = true;
    return 0;
}

/* Adds the entry of log_seq next_seq; a chunk that fills is written. */
static int
s_add(broker_dedup_file_t *self, uint64_t hash)
{
    if (self->fd < 0)
        return 0;
    self->entries[self->count++] = hash;
    self->next_seq++;
    if (self->count < S_PER_CHUNK)
        return 0;
    int rc = s_flush(self);
    self->chunk_no++;
    self->count = 0;
    return rc;
}

int
broker_dedup_file_sync(broker_dedup_file_t *self)
{
    int rc = s_flush(self); /* the chunk being filled */
    if (rc)
        return rc;
    if (self->fd < 0 || !self->unsynced)
        return 0;
    if (fdatasync(self->fd) != 0) {
        int rc = -errno;
        s_stop(self, "sync", rc);
        return rc;
    }
    self->unsynced = false;
    self->synced_ms = s_now_ms();
    return 0;
}

int
broker_dedup_file_append(broker_dedup_file_t *self, uint64_t first_seq, const uint64_t *hashes,
                         size_t count)
{
    if (self->fd < 0 || count == 0)
        return 0;
    if (first_seq != self->next_seq) {
        /* What it covers so far is written whole; a gap would make the rest unusable. */
        if (s_flush(self) == 0)
            s_stop(self, "append", -EINVAL);
        return -EINVAL;
    }
    for (size_t i = 0; i < count; i++) {
        int rc = s_add(self, hashes[i]);
        if (rc)
            return rc;
    }
    /* The chunk being filled is written every BROKER_DEDUP_FILE_WRITE_MS, not after
       every batch: a 4 KiB write and an inode made dirty again per commit (thousands a
       second at a fixed rate) for entries that the log holds anyway (what a crash
       loses of the file, the next start reads from the log). */
    int64_t now = s_now_ms();
    if (now - self->synced_ms >= BROKER_DEDUP_FILE_SYNC_MS)
        return broker_dedup_file_sync(self);
    if (now - self->written_ms < BROKER_DEDUP_FILE_WRITE_MS)
        return 0;
    self->written_ms = now;
    return s_flush(self);
}

uint64_t
broker_dedup_file_next_seq(const broker_dedup_file_t *self)
{
    return self->next_seq;
}

void
broker_dedup_file_destroy(broker_dedup_file_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_dedup_file_t *self = *self_p;
    if (self->fd >= 0) {
        broker_dedup_file_sync(self);
        if (self->fd >= 0)
            close(self->fd);
    }
    free(self->path);
    free(self);
    *self_p = NULL;
}

/* For broker_dedup_scan: every record read goes into the file. */
static int
s_each(uint64_t log_seq, uint64_t hash, void *arg)
{
    broker_dedup_file_t *self = arg;
    if (self->fd >= 0 && log_seq != self->next_seq) {
        s_stop(self, "append", -EINVAL);
        return 0;
    }
    s_add(self, hash);
    return 0; /* a file that stops does not stop the index */
}

/* ================================================================ loading */

/* What the loader found; `why` says why the file cannot be used. */
typedef struct {
    uint64_t seed;
    uint64_t covered;  /* the last log_seq the file covers */
    uint64_t chunks;   /* good chunks */
    uint32_t last_cnt; /* entries in the last good chunk */
    char why[256];
} s_load_t;

static void __attribute__((format(printf, 2, 3))) s_why(s_load_t *load, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(load->why, sizeof load->why, fmt, ap);
    va_end(ap);
}

/* Reads the header. Returns 0, or 1 (why set). */
static int
s_load_header(int fd, s_load_t *load)
{
    unsigned char buf[32];
    size_t got = 0;
    int rc = s_pread_all(fd, buf, sizeof buf, 0, &got);
    if (rc) {
        s_why(load, "cannot read it: %s", dajia_strerror(rc));
        return 1;
    }
    if (got < sizeof buf || memcmp(buf, s_magic, 8) != 0 ||
        s_get64(buf + 24) != s_sum(0, buf, 24)) {
        s_why(load, "it is not a dedup index file, or its header is damaged");
        return 1;
    }
    if (s_get32(buf + 8) != S_VERSION || s_get32(buf + 12) != S_CHUNK) {
        s_why(load, "it is of another format version (%" PRIu32 ")", s_get32(buf + 8));
        return 1;
    }
    load->seed = s_get64(buf + 16);
    return 0;
}

/* Enters the entries of a good chunk. */
static int
s_load_entries(broker_dedup_t *dedup, const unsigned char *buf, uint64_t first_seq, uint32_t count)
{
    const unsigned char *e = buf + S_CHUNK_HEAD;
    for (uint32_t i = 0; i < count; i++) {
        if (i + S_PREFETCH < count)
            broker_dedup_prefetch(dedup, s_get64(e + 8 * (i + S_PREFETCH)));
        uint64_t hash = s_get64(e + 8 * i);
        if (hash) {
            int rc = broker_dedup_insert(dedup, hash, first_seq + i);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Reads the good chunks into `dedup`, up to the first that is not. Returns 0, 1 (why
   set: the file covers more than the log's `last_seq` records), or -ENOMEM. */
static int
s_load_chunks(int fd, uint64_t last_seq, broker_dedup_t *dedup, s_load_t *load)
{
    unsigned char *buf = malloc((size_t)S_READ_CHUNKS * S_CHUNK);
    if (!buf)
        return -ENOMEM;
    int rc = 0;
    bool end = false;
    while (!end) {
        size_t got = 0;
        off_t at = (off_t)((load->chunks + 1) * S_CHUNK);
        if (s_pread_all(fd, buf, (size_t)S_READ_CHUNKS * S_CHUNK, at, &got) != 0)
            break; /* a read error ends the file where it stands */
        size_t whole = got / S_CHUNK;
        end = whole < S_READ_CHUNKS;
        for (size_t i = 0; i < whole; i++) {
            unsigned char *chunk = buf + i * S_CHUNK;
            uint64_t chunk_no = load->chunks + 1;
            uint32_t count = 0;
            if (load->chunks && load->last_cnt < S_PER_CHUNK) {
                end = true; /* only the last chunk may be short */
                break;
            }
            if (!s_chunk_good(load->seed, chunk_no, chunk, &count)) {
                end = true;
                break;
            }
            uint64_t covered = s_first_seq(chunk_no) + count - 1;
            if (covered > last_seq) {
                s_why(load,
                      "it covers log_seq %" PRIu64 " or more, and the log holds %" PRIu64
                      " records (was the log put back from an older copy?)",
                      covered, last_seq);
                rc = 1;
                goto out;
            }
            rc = s_load_entries(dedup, chunk, s_first_seq(chunk_no), count);
            if (rc)
                goto out;
            load->chunks = chunk_no;
            load->last_cnt = count;
            load->covered = covered;
        }
    }
out:
    free(buf);
    return rc;
}

/* Reads good chunk `chunk_no` into buf[S_CHUNK] and sets *count. Returns 0, or -1 when
   it cannot be read or is not good (any more). */
static int
s_read_chunk(int fd, const s_load_t *load, uint64_t chunk_no, unsigned char *buf, uint32_t *count)
{
    size_t got = 0;
    if (s_pread_all(fd, buf, S_CHUNK, (off_t)(chunk_no * S_CHUNK), &got) != 0 || got != S_CHUNK ||
        !s_chunk_good(load->seed, chunk_no, buf, count))
        return -1;
    return 0;
}

/* The entry of `seq` (covered by the good chunks), or -1 on a read error. */
static int
s_entry(int fd, const s_load_t *load, uint64_t seq, uint64_t *hash)
{
    unsigned char buf[S_CHUNK];
    uint64_t chunk_no = (seq - 1) / S_PER_CHUNK + 1;
    uint32_t count = 0;
    if (s_read_chunk(fd, load, chunk_no, buf, &count) != 0 || s_first_seq(chunk_no) + count <= seq)
        return -1;
    *hash = s_get64(buf + S_CHUNK_HEAD + 8 * ((seq - 1) % S_PER_CHUNK));
    return 0;
}

/* Does the entry of `seq` hold what the log's record `seq` makes? Returns 1 yes, 0 no,
   or a store error. */
static int
s_entry_matches(int fd, const s_load_t *load, broker_dedup_t *dedup, store_txn_t *txn, uint64_t seq)
{
    uint64_t entry = 0;
    if (s_entry(fd, load, seq, &entry) != 0)
        return 0;
    unsigned char seq_key[DAJIA_TABLE_U64];
    store_u64_to_key(seq, seq_key);
    const void *record = NULL;
    size_t len = 0;
    int rc = store_get(txn, DAJIA_TABLE_LOG, seq_key, sizeof seq_key, &record, &len);
    if (rc)
        return rc == STORE_NOTFOUND ? 0 : rc;
    const char *unit, *event_id;
    size_t unit_len, event_id_len;
    char key[BROKER_KEY_MAX];
    if (broker_dedup_record_key(record, len, &unit, &unit_len, &event_id, &event_id_len) ||
        unit_len + 1 + event_id_len > sizeof key)
        return STORE_CORRUPT;
    memcpy(key, unit, unit_len);
    key[unit_len] = '\0';
    memcpy(key + unit_len + 1, event_id, event_id_len);
    size_t key_len = unit_len + 1 + event_id_len;
    uint64_t hash = broker_dedup_hash(dedup, key, key_len);
    if (entry)
        return entry == hash;
    /* No entry: the key must be an earlier record's. */
    uint64_t earlier = 0;
    rc = broker_dedup_lookup(dedup, txn, key, key_len, hash, &earlier);
    if (rc && rc != STORE_NOTFOUND)
        return rc;
    return rc == 0 && earlier < seq;
}

/* Checks S_SAMPLES entries against the log: the first, the last covered and some
   evenly between. Returns 0, 1 (why set) or a store error. */
static int
s_load_check(int fd, store_t *store, broker_dedup_t *dedup, s_load_t *load)
{
    if (load->covered == 0)
        return 0;
    store_txn_t *txn = NULL;
    int rc = store_read_begin(store, &txn);
    for (int i = 0; rc == 0 && i < S_SAMPLES; i++) {
        uint64_t seq = 1 + (load->covered - 1) * (uint64_t)i / (S_SAMPLES - 1);
        rc = s_entry_matches(fd, load, dedup, txn, seq);
        if (rc == 1) {
            rc = 0;
        } else if (rc == 0) {
            s_why(load,
                  "its entry for log_seq %" PRIu64 " is not that record's key: it is "
                  "another log's",
                  seq);
            rc = 1;
        }
    }
    store_txn_end(&txn);
    return rc;
}

/* Loads the file `fd` into a new index made for `last_seq` records. Returns 0 and sets
 *out; 1 (load->why set) when the file cannot be used; or an error. */
static int
s_load(int fd, store_t *store, uint64_t last_seq, s_load_t *load, broker_dedup_t **out)
{
    int rc = s_load_header(fd, load);
    if (rc)
        return rc;
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    broker_dedup_t *dedup = broker_dedup_new_seeded((size_t)last_seq, load->seed);
    if (!dedup)
        return -ENOMEM;
    rc = s_load_chunks(fd, last_seq, dedup, load);
    if (rc == 0)
        rc = s_load_check(fd, store, dedup, load);
    if (rc) {
        broker_dedup_destroy(&dedup);
        return rc;
    }
    *out = dedup;
    return 0;
}

/* ================================================================ open */

static broker_dedup_file_t *
s_file_new(const char *path, int fd, uint64_t seed)
{
    broker_dedup_file_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->path = strdup(path);
    if (!self->path) {
        free(self);
        return NULL;
    }
    self->fd = fd;
    self->seed = seed;
    self->chunk_no = 1;
    self->next_seq = 1;
    self->synced_ms = s_now_ms();
    return self;
}

/* Syncs the directory of `path`, so that a rename in it lasts. */
static int
s_sync_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if ((size_t)(slash - path) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    else
        return -ENAMETOOLONG;
    return dajia_fs_sync_dir(dir);
}

/* The file was loaded: cut what follows its good chunks, take up its last chunk, and
   read the log after it into both. */
static int
s_open_loaded(store_t *store, int fd, const char *path, const s_load_t *load, broker_dedup_t *dedup,
              broker_dedup_file_t **file, broker_dedup_file_report_t *report)
{
    broker_dedup_file_t *self = s_file_new(path, fd, load->seed);
    if (!self) {
        close(fd);
        return -ENOMEM;
    }
    self->chunk_no = load->chunks + 1;
    self->next_seq = load->covered + 1;
    unsigned char buf[S_CHUNK];
    uint32_t count = 0;
    /* A short last chunk goes on filling. Were it unreadable now (it was read a moment
       ago), the file stops: writing it again from the log would enter its records as
       keys the index holds already (0), which they are, but as their own. */
    if (load->chunks && load->last_cnt < S_PER_CHUNK) {
        self->chunk_no = load->chunks;
        if (s_read_chunk(fd, load, load->chunks, buf, &count) == 0 && count == load->last_cnt) {
            for (uint32_t i = 0; i < count; i++)
                self->entries[i] = s_get64(buf + S_CHUNK_HEAD + 8 * i);
            self->count = count;
        } else {
            s_stop(self, "read its last chunk again", -EIO);
        }
    }
    if (self->fd >= 0 &&
        ftruncate(fd, (off_t)((self->chunk_no + (self->count ? 1 : 0)) * S_CHUNK)) != 0)
        s_stop(self, "cut its damaged end", -errno);
    report->loaded = true;
    report->from_file = load->covered;
    int rc = broker_dedup_scan(dedup, store, load->covered + 1, s_each, self, &report->scanned);
    if (rc == 0 && s_flush(self) == 0)
        broker_dedup_file_sync(self);
    if (rc) {
        broker_dedup_file_destroy(&self);
        return rc;
    }
    if (self->fd < 0)
        broker_dedup_file_destroy(&self); /* it stopped (s_stop said why) */
    *file = self;
    return 0;
}

/* The whole log into a new index and a new file beside the old one, which replaces it
   once complete and synced. A file that cannot be written leaves *file NULL. */
static int
s_open_rebuilt(store_t *store, const char *path, uint64_t last_seq, broker_dedup_t **dedup,
               broker_dedup_file_t **file, broker_dedup_file_report_t *report)
{
    char tmp[4096];
    broker_dedup_file_t *self = NULL;
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = n > 0 && (size_t)n < sizeof tmp
                 ? open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)
                 : (errno = ENAMETOOLONG, -1);
    int rc = fd < 0 ? -errno : 0;
    broker_dedup_t *index = broker_dedup_new((size_t)last_seq);
    if (!index) {
        if (fd >= 0)
            close(fd);
        return -ENOMEM;
    }
    if (fd >= 0) {
        self = s_file_new(path, fd, broker_dedup_seed(index));
        unsigned char header[S_CHUNK];
        s_header_build(broker_dedup_seed(index), header);
        rc = self ? s_pwrite_all(fd, header, sizeof header, 0) : -ENOMEM;
        if (rc && self)
            s_stop(self, "write", rc);
        else if (!self)
            close(fd);
    }
    if (fd < 0)
        dajia_log_warning("dedup index file: cannot create %s: %s; the broker runs without it", tmp,
                          dajia_strerror(rc));
    rc = broker_dedup_scan(index, store, 1, self && self->fd >= 0 ? s_each : NULL, self,
                           &report->scanned);
    if (rc) {
        broker_dedup_destroy(&index);
        broker_dedup_file_destroy(&self);
        unlink(tmp);
        return rc;
    }
    if (self && self->fd >= 0 && s_flush(self) == 0 && broker_dedup_file_sync(self) == 0) {
        if (rename(tmp, path) != 0)
            s_stop(self, "rename the new file", -errno);
        else if ((rc = s_sync_dir(path)) != 0)
            s_stop(self, "sync the directory", rc);
    }
    if (self && self->fd < 0) {
        unlink(tmp); /* s_stop said why */
        broker_dedup_file_destroy(&self);
    }
    *dedup = index;
    *file = self;
    return 0;
}

int
broker_dedup_file_open(store_t *store, const char *path, broker_dedup_t **dedup,
                       broker_dedup_file_t **file, broker_dedup_file_report_t *report)
{
    memset(report, 0, sizeof *report);
    uint64_t last_seq = 0;
    int rc = broker_log_last_seq(store, &last_seq);
    if (rc)
        return rc;
    s_load_t load;
    memset(&load, 0, sizeof load);
    broker_dedup_t *index = NULL;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        s_why(&load, "there is none");
        rc = 1;
    } else if (fd < 0) {
        s_why(&load, "cannot open it: %s", dajia_strerror(-errno));
        rc = 1;
    } else {
        rc = s_load(fd, store, last_seq, &load, &index);
    }
    if (rc < 0) {
        if (fd >= 0)
            close(fd);
        return rc;
    }
    if (rc == 0) {
        rc = s_open_loaded(store, fd, path, &load, index, file, report);
        if (rc)
            broker_dedup_destroy(&index);
        else
            *dedup = index;
    } else {
        if (fd >= 0)
            close(fd);
        snprintf(report->why, sizeof report->why, "%s", load.why);
        rc = s_open_rebuilt(store, path, last_seq, dedup, file, report);
    }
    if (rc == 0) {
        /* The scan brought the log's pages in: they are the page cache's, not ours. */
        int released = store_release_pages(store);
        if (released)
            dajia_log_warning("cannot give back the pages of the log read at start: %s",
                              dajia_strerror(released));
    }
    return rc;
}
