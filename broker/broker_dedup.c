/*  broker_dedup: the in-memory index of the keys in the log. See broker_dedup.h. */
#include "broker_dedup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker_batch.h"
#include "dajia_tables.h"

#define S_MIN_SLOTS 1024
#define S_FULL_NUM  7 /* grow past 7/10 full */
#define S_FULL_DEN  10
#define S_MOVE_STEP 64 /* old slots moved to the new table per insert while growing */

typedef struct {
    uint64_t hash;
    uint64_t seq; /* 0: empty */
} s_slot_t;

/* Growing moves the entries to a table twice the size a few at a time, on each insert
   (as Redis rehashes its dictionaries), so that no batch waits for millions of entries
   to move: copied in one go, 1.47 million entries held the writer 61 ms; moved this way
   the slowest insert takes 1.2 ms (the new table's allocation). Until the old
   table is emptied, lookups search both. Its slots are left in place as they move (not
   emptied), so that its probe runs stay whole for the entries still to move; an entry
   seen in both tables is the same entry. */
struct broker_dedup_t {
    s_slot_t *slots;
    size_t mask;   /* slots - 1 (a power of two) */
    size_t count;  /* keys held, in both tables */
    s_slot_t *old; /* while growing: the table being moved out of, else NULL */
    size_t old_mask;
    size_t old_next; /* the first of its slots not moved yet */
    uint64_t seed;
};

/* ================================================================ hashing */

/* The finaliser of MurmurHash3: every input bit moves every output bit. */
static inline uint64_t
s_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return h;
}

uint64_t
broker_dedup_hash(const broker_dedup_t *self, const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = self->seed ^ ((uint64_t)len * UINT64_C(0x9e3779b97f4a7c15));
    while (len >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        h = s_mix(h ^ word) + UINT64_C(0x9e3779b97f4a7c15);
        p += 8;
        len -= 8;
    }
    uint64_t tail = 0;
    memcpy(&tail, p, len);
    h = s_mix(h ^ tail ^ ((uint64_t)len << 56));
    return h ? h : 1; /* 0 is the index file's "no entry" */
}

static uint64_t
s_seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
    seed ^= (uint64_t)(uintptr_t)&ts; /* the stack's address varies too (ASLR) */
    return s_mix(seed);
}

/* ================================================================ table */

static size_t
s_slots_for(size_t expected)
{
    size_t slots = S_MIN_SLOTS;
    while (slots / S_FULL_DEN * S_FULL_NUM < expected && slots < SIZE_MAX / 4 / sizeof(s_slot_t))
        slots <<= 1;
    return slots;
}

broker_dedup_t *
broker_dedup_new(size_t expected)
{
    return broker_dedup_new_seeded(expected, s_seed());
}

broker_dedup_t *
broker_dedup_new_seeded(size_t expected, uint64_t seed)
{
    broker_dedup_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    size_t slots = s_slots_for(expected);
    self->slots = calloc(slots, sizeof *self->slots);
    if (!self->slots) {
        free(self);
        return NULL;
    }
    self->mask = slots - 1;
    self->seed = seed;
    return self;
}

uint64_t
broker_dedup_seed(const broker_dedup_t *self)
{
    return self->seed;
}

void
broker_dedup_destroy(broker_dedup_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->slots);
    free((*self_p)->old);
    free(*self_p);
    *self_p = NULL;
}

size_t
broker_dedup_count(const broker_dedup_t *self)
{
    return self->count;
}

size_t
broker_dedup_bytes(const broker_dedup_t *self)
{
    size_t slots = self->mask + 1 + (self->old ? self->old_mask + 1 : 0);
    return slots * sizeof *self->slots;
}

/* Puts `slot` in the first empty place of its probe sequence. */
static void
s_place(s_slot_t *slots, size_t mask, s_slot_t slot)
{
    size_t i = (size_t)slot.hash & mask;
    while (slots[i].seq)
        i = (i + 1) & mask;
    slots[i] = slot;
}

/* Moves up to `slots` slots of the old table to the new one; frees the old table once
   all have moved. */
static void
s_move(broker_dedup_t *self, size_t slots)
{
    size_t end = self->old_mask + 1;
    size_t stop = end - self->old_next < slots ? end : self->old_next + slots;
    for (size_t i = self->old_next; i < stop; i++)
        if (self->old[i].seq)
            s_place(self->slots, self->mask, self->old[i]);
    self->old_next = stop;
    if (stop == end) {
        free(self->old);
        self->old = NULL;
    }
}

/* Starts moving to a table twice the size (after finishing a move still under way).
   On failure the index is unchanged. */
static int
s_grow(broker_dedup_t *self)
{
    if (self->old)
        s_move(self, SIZE_MAX);
    size_t slots = (self->mask + 1) * 2;
    s_slot_t *bigger = calloc(slots, sizeof *bigger);
    if (!bigger)
        return -ENOMEM;
    self->old = self->slots;
    self->old_mask = self->mask;
    self->old_next = 0;
    self->slots = bigger;
    self->mask = slots - 1;
    return 0;
}

int
broker_dedup_insert(broker_dedup_t *self, uint64_t hash, uint64_t log_seq)
{
    if (!log_seq)
        return -EINVAL;
    if ((self->count + 1) * S_FULL_DEN > (self->mask + 1) * S_FULL_NUM) {
        int rc = s_grow(self);
        if (rc)
            return rc;
    }
    if (self->old)
        s_move(self, S_MOVE_STEP);
    s_place(self->slots, self->mask, (s_slot_t){hash, log_seq});
    self->count++;
    return 0;
}

/* Linear probing cannot just empty a slot: a key placed after it, past its own home,
   would no longer be found. So the entries that follow, up to the next empty slot, move
   back into the hole whenever their home allows (Knuth's algorithm R). */
bool
broker_dedup_remove(broker_dedup_t *self, uint64_t hash, uint64_t log_seq)
{
    /* Only a transaction that failed takes entries back: rare enough to finish a move
       first, so that there is one table to shift entries in. */
    if (self->old)
        s_move(self, SIZE_MAX);
    size_t mask = self->mask;
    size_t hole = (size_t)hash & mask;
    while (self->slots[hole].seq &&
           !(self->slots[hole].seq == log_seq && self->slots[hole].hash == hash))
        hole = (hole + 1) & mask;
    if (!self->slots[hole].seq)
        return false;
    self->slots[hole].seq = 0;
    self->count--;
    for (size_t i = (hole + 1) & mask; self->slots[i].seq; i = (i + 1) & mask) {
        size_t home = (size_t)self->slots[i].hash & mask;
        /* The entry at i may fill the hole unless its home lies cyclically in (hole, i]. */
        bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
        if (stays)
            continue;
        self->slots[hole] = self->slots[i];
        self->slots[i].seq = 0;
        hole = i;
    }
    return true;
}

void
broker_dedup_prefetch(const broker_dedup_t *self, uint64_t hash)
{
    __builtin_prefetch(&self->slots[(size_t)hash & self->mask], 1);
}

/* Looks in one table; see broker_dedup_find. */
static int
s_find_in(const s_slot_t *slots, size_t mask, uint64_t hash, broker_dedup_match_fn *match,
          void *arg, uint64_t *log_seq)
{
    for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
        const s_slot_t *slot = &slots[i];
        if (!slot->seq)
            return STORE_NOTFOUND;
        if (slot->hash != hash)
            continue;
        int rc = match(slot->seq, arg);
        if (rc < 0)
            return rc;
        if (rc > 0) {
            *log_seq = slot->seq;
            return 0;
        }
    }
}

int
broker_dedup_find(const broker_dedup_t *self, uint64_t hash, broker_dedup_match_fn *match,
                  void *arg, uint64_t *log_seq)
{
    int rc = s_find_in(self->slots, self->mask, hash, match, arg, log_seq);
    if (rc == STORE_NOTFOUND && self->old)
        rc = s_find_in(self->old, self->old_mask, hash, match, arg, log_seq);
    return rc;
}

/* ================================================================ log records */

static int
s_varint(const unsigned char **p, const unsigned char *end, uint64_t *value)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
        unsigned char byte = *(*p)++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *value = v;
            return 0;
        }
    }
    return -1;
}

/* Finds the length-delimited fields numbered want[0..n) at the top level of the
   message in [p, end), skipping the others; of a field given twice the last counts, as
   protobuf reads it. Returns 0 and sets data[k], len[k] (NULL and 0 when absent), or -1
   when the bytes are not a message. */
static int
s_fields(const unsigned char *p, const unsigned char *end, const uint32_t *want,
         const unsigned char **data, size_t *len, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        data[k] = NULL;
        len[k] = 0;
    }
    while (p < end) {
        uint64_t tag, v;
        if (s_varint(&p, end, &tag))
            return -1;
        switch (tag & 7) {
        case 0:
            if (s_varint(&p, end, &v))
                return -1;
            break;
        case 1:
            if (end - p < 8)
                return -1;
            p += 8;
            break;
        case 5:
            if (end - p < 4)
                return -1;
            p += 4;
            break;
        case 2:
            if (s_varint(&p, end, &v) || v > (uint64_t)(end - p))
                return -1;
            for (size_t k = 0; k < n; k++)
                if (tag >> 3 == want[k]) {
                    data[k] = p;
                    len[k] = (size_t)v;
                }
            p += v;
            break;
        default:
            return -1;
        }
    }
    return 0;
}

int
broker_dedup_record_key(const void *record, size_t len, const char **unit, size_t *unit_len,
                        const char **event_id, size_t *event_id_len)
{
    const unsigned char *p = record, *end = p + len;
    const uint32_t envelope_field[] = {3}; /* LogRecord.envelope */
    const unsigned char *env = NULL;
    size_t env_len = 0;
    if (s_fields(p, end, envelope_field, &env, &env_len, 1) || !env)
        return STORE_CORRUPT;
    const uint32_t key_fields[] = {2, 1}; /* Envelope.unit, Envelope.event_id */
    const unsigned char *data[2];
    size_t lens[2];
    if (s_fields(env, env + env_len, key_fields, data, lens, 2) || !data[0] || !data[1])
        return STORE_CORRUPT;
    *unit = (const char *)data[0];
    *unit_len = lens[0];
    *event_id = (const char *)data[1];
    *event_id_len = lens[1];
    return 0;
}

/* ================================================================ lookups */

typedef struct {
    store_txn_t *txn;
    const char *key; /* unit NUL event_id */
    size_t len;
} s_probe_t;

/* Does log record `seq` hold the probe's key? */
static int
s_record_matches(uint64_t seq, void *arg)
{
    const s_probe_t *probe = arg;
    unsigned char seq_key[DAJIA_TABLE_U64];
    store_u64_to_key(seq, seq_key);
    const void *record = NULL;
    size_t record_len = 0;
    int rc = store_get(probe->txn, DAJIA_TABLE_LOG, seq_key, sizeof seq_key, &record, &record_len);
    if (rc)
        return rc == STORE_NOTFOUND ? STORE_CORRUPT : rc; /* the index names a record */
    const char *unit, *event_id;
    size_t unit_len, event_id_len;
    rc = broker_dedup_record_key(record, record_len, &unit, &unit_len, &event_id, &event_id_len);
    if (rc)
        return rc;
    return unit_len + 1 + event_id_len == probe->len && memcmp(probe->key, unit, unit_len) == 0 &&
           probe->key[unit_len] == '\0' &&
           memcmp(probe->key + unit_len + 1, event_id, event_id_len) == 0;
}

int
broker_dedup_lookup(const broker_dedup_t *self, store_txn_t *txn, const void *key, size_t len,
                    uint64_t hash, uint64_t *log_seq)
{
    s_probe_t probe = {txn, key, len};
    return broker_dedup_find(self, hash, s_record_matches, &probe, log_seq);
}

int
broker_dedup_scan(broker_dedup_t *self, store_t *store, uint64_t from_seq,
                  broker_dedup_each_fn *each, void *arg, uint64_t *scanned)
{
    store_txn_t *txn = NULL;
    store_cursor_t *cursor = NULL;
    uint64_t count = 0;
    char key[BROKER_KEY_MAX];
    unsigned char from_key[DAJIA_TABLE_U64];
    store_u64_to_key(from_seq, from_key);
    const void *k, *v;
    size_t kl, vl;
    int rc = store_read_begin(store, &txn);
    if (rc == 0)
        rc = store_cursor_open(txn, DAJIA_TABLE_LOG, &cursor);
    if (rc == 0)
        rc = store_cursor_seek(cursor, from_key, sizeof from_key, &k, &kl, &v, &vl);
    for (; rc == 0; rc = store_cursor_next(cursor, &k, &kl, &v, &vl)) {
        const char *unit, *event_id;
        size_t unit_len, event_id_len;
        if (kl != DAJIA_TABLE_U64 ||
            broker_dedup_record_key(v, vl, &unit, &unit_len, &event_id, &event_id_len) ||
            unit_len + 1 + event_id_len > sizeof key) {
            rc = STORE_CORRUPT;
            goto out;
        }
        memcpy(key, unit, unit_len);
        key[unit_len] = '\0';
        memcpy(key + unit_len + 1, event_id, event_id_len);
        size_t len = unit_len + 1 + event_id_len;
        uint64_t hash = broker_dedup_hash(self, key, len), seq = 0;
        uint64_t log_seq = store_key_to_u64(k);
        count++;
        /* Only a hash already seen costs a read (of the earlier record). */
        int found = broker_dedup_lookup(self, txn, key, len, hash, &seq);
        if (found != 0 && found != STORE_NOTFOUND) {
            rc = found;
            goto out;
        }
        if (found == STORE_NOTFOUND) {
            rc = broker_dedup_insert(self, hash, log_seq);
            if (rc)
                goto out;
        }
        if (each) {
            rc = each(log_seq, found == 0 ? 0 : hash, arg);
            if (rc)
                goto out;
        }
    }
    if (rc == STORE_NOTFOUND)
        rc = 0; /* the end of the log, or no log yet */
out:
    store_cursor_close(&cursor);
    store_txn_end(&txn);
    if (scanned)
        *scanned = count;
    return rc;
}

int
broker_dedup_rebuild(store_t *store, broker_dedup_t **out)
{
    uint64_t last_seq = 0;
    int rc = broker_log_last_seq(store, &last_seq);
    if (rc)
        return rc;
    /* The log has no gaps: last_seq records. Room for them, no more: the table doubles
       when the log grows (a few entries moved at each insert). */
    broker_dedup_t *self = broker_dedup_new((size_t)last_seq);
    if (!self)
        return -ENOMEM;
    rc = broker_dedup_scan(self, store, 1, NULL, NULL, NULL);
    if (rc) {
        broker_dedup_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}
