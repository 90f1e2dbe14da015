/*  agent_outbox: the agent's durable outbox. See agent_outbox.h for the tables.

    The outbox is small and simple on purpose: the session and the submit path keep
    their state in memory and describe what changed as a batch; this file turns a batch
    into one store transaction and reads the tables back. Every record carries a version
    byte, and its strings are stored with their NUL so that readers can hand out
    pointers into the map without copying.
*/
#include "agent_outbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define S_TABLE_OUTBOX   "outbox"
#define S_TABLE_INDEX    "index"
#define S_TABLE_REJECTED "rejected"
#define S_TABLE_KEPT     "kept"
#define S_TABLE_META     "meta"
#define S_META_NEXT_SEQ  "next_seq"
#define S_META_UNIT      "unit"
#define S_META_STORE_ID  "store_id"
#define S_META_ACKED_SEQ "acked_seq"

#define S_OUTBOX_VERSION   1
#define S_OUTBOX_HEADER    2 /* version, id length */
#define S_REJECTED_VERSION 1
#define S_REJECTED_HEADER  24 /* see s_rejection_encode */
#define S_MAX_UNIT         255
#define S_KEPT_VERSION     1
#define S_KEPT_HEADER      17 /* version, acknowledged at (u64), log_seq (u64) */
#define S_DAY_MS           (24 * 60 * 60 * 1000LL)

struct agent_outbox_t {
    store_t *store;
    int64_t keep_ms;   /* acknowledged events are kept this long */
    uint64_t keep_max; /* and at most this many */
};

typedef enum {
    S_OP_ADD,    /* key: event_id, data: outbox record */
    S_OP_DONE,   /* key: event_id */
    S_OP_REJECT, /* key: rejected key, data: rejection record */
    S_OP_FORGET, /* key: a source prefix; every rejection from there goes */
    S_OP_STORED, /* key: event_id, data: log_seq (u64), acknowledged at (u64) */
} s_op_kind_t;

typedef struct {
    s_op_kind_t kind;
    size_t key_off, key_len;   /* in the arena */
    size_t data_off, data_len; /* in the arena */
} s_op_t;

struct agent_outbox_batch_t {
    s_op_t *ops;
    size_t nops, ops_cap;
    unsigned char *arena; /* keys and records, referenced by offset */
    size_t used, arena_cap;
};

/* ====================================================================== helpers */

static void
s_put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void
s_put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static void
s_put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static uint16_t
s_get_u16(const unsigned char *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
s_get_u32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t
s_get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static size_t
s_clamp(const char *text, size_t max)
{
    size_t len = text ? strlen(text) : 0;
    return len < max ? len : max;
}

/* ====================================================================== batches */

agent_outbox_batch_t *
agent_outbox_batch_new(void)
{
    return calloc(1, sizeof(agent_outbox_batch_t));
}

void
agent_outbox_batch_destroy(agent_outbox_batch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    agent_outbox_batch_t *self = *self_p;
    free(self->ops);
    free(self->arena);
    free(self);
    *self_p = NULL;
}

void
agent_outbox_batch_clear(agent_outbox_batch_t *self)
{
    self->nops = 0;
    self->used = 0;
}

size_t
agent_outbox_batch_size(const agent_outbox_batch_t *self)
{
    return self->nops;
}

/* Reserves `len` bytes at the end of the arena; returns their offset via *off. */
static int
s_arena_reserve(agent_outbox_batch_t *self, size_t len, size_t *off)
{
    if (len > SIZE_MAX / 2 - self->used)
        return -ENOMEM;
    if (self->used + len > self->arena_cap) {
        size_t cap = self->arena_cap ? self->arena_cap : 64 * 1024;
        while (cap < self->used + len)
            cap *= 2;
        unsigned char *arena = realloc(self->arena, cap);
        if (!arena)
            return -ENOMEM;
        self->arena = arena;
        self->arena_cap = cap;
    }
    *off = self->used;
    self->used += len;
    return 0;
}

/* Appends an op whose key and record the caller then writes at the returned offsets. */
static int
s_op_push(agent_outbox_batch_t *self, s_op_kind_t kind, size_t key_len, size_t data_len,
          unsigned char **key, unsigned char **data)
{
    if (self->nops == self->ops_cap) {
        size_t cap = self->ops_cap ? self->ops_cap * 2 : 256;
        s_op_t *ops = realloc(self->ops, cap * sizeof(s_op_t));
        if (!ops)
            return -ENOMEM;
        self->ops = ops;
        self->ops_cap = cap;
    }
    size_t key_off = 0, data_off = 0;
    int rc = s_arena_reserve(self, key_len + data_len, &key_off);
    if (rc)
        return rc;
    data_off = key_off + key_len;
    self->ops[self->nops++] = (s_op_t){kind, key_off, key_len, data_off, data_len};
    *key = self->arena + key_off;
    if (data)
        *data = self->arena + data_off;
    return 0;
}

static bool
s_id_ok(const char *event_id)
{
    size_t len = event_id ? strlen(event_id) : 0;
    return len > 0 && len <= AGENT_OUTBOX_MAX_ID;
}

int
agent_outbox_batch_add(agent_outbox_batch_t *self, const char *event_id, const void *data,
                       size_t len)
{
    if (!s_id_ok(event_id))
        return -EINVAL;
    size_t id_len = strlen(event_id);
    size_t rec_len = S_OUTBOX_HEADER + id_len + 1 + len;
    unsigned char *key = NULL, *rec = NULL;
    int rc = s_op_push(self, S_OP_ADD, id_len, rec_len, &key, &rec);
    if (rc)
        return rc;
    memcpy(key, event_id, id_len);
    rec[0] = S_OUTBOX_VERSION;
    rec[1] = (unsigned char)id_len;
    memcpy(rec + S_OUTBOX_HEADER, event_id, id_len + 1);
    if (len)
        memcpy(rec + S_OUTBOX_HEADER + id_len + 1, data, len);
    return 0;
}

int
agent_outbox_batch_done(agent_outbox_batch_t *self, const char *event_id)
{
    if (!s_id_ok(event_id))
        return -EINVAL;
    size_t id_len = strlen(event_id);
    unsigned char *key = NULL;
    int rc = s_op_push(self, S_OP_DONE, id_len, 0, &key, NULL);
    if (rc)
        return rc;
    memcpy(key, event_id, id_len);
    return 0;
}

int
agent_outbox_batch_stored(agent_outbox_batch_t *self, const char *event_id, uint64_t log_seq,
                          int64_t at_ms)
{
    if (!s_id_ok(event_id))
        return -EINVAL;
    size_t id_len = strlen(event_id);
    unsigned char *key = NULL, *data = NULL;
    int rc = s_op_push(self, S_OP_STORED, id_len, 16, &key, &data);
    if (rc)
        return rc;
    memcpy(key, event_id, id_len);
    s_put_u64(data, log_seq);
    s_put_u64(data + 8, (uint64_t)at_ms);
    return 0;
}

int
agent_outbox_batch_forget(agent_outbox_batch_t *self, const char *source_prefix)
{
    size_t len = source_prefix ? strlen(source_prefix) : 0;
    if (len == 0 || len > AGENT_OUTBOX_MAX_TEXT)
        return -EINVAL;
    unsigned char *key = NULL;
    int rc = s_op_push(self, S_OP_FORGET, len, 0, &key, NULL);
    if (rc)
        return rc;
    memcpy(key, source_prefix, len);
    return 0;
}

/* The rejected table's key: the event_id, or NUL + source for input without one (no
   event_id starts with NUL, so the two never meet). */
static size_t
s_rejected_key_len(const agent_rejection_t *r, bool *by_source)
{
    *by_source = !r->event_id || !r->event_id[0];
    if (*by_source)
        return 1 + s_clamp(r->source, STORE_MAX_KEY - 1);
    return s_clamp(r->event_id, STORE_MAX_KEY);
}

/* Rejection record, version 1:
     0  u8  version          1  u32 reason          5  u64 at_ms (two's complement)
    13  u8  original kind   14  u16 event_id len   16  u16 source len
    18  u16 text len        20  u32 original len
    24  event_id NUL, source NUL, text NUL, original bytes */
int
agent_outbox_batch_reject(agent_outbox_batch_t *self, const agent_rejection_t *r)
{
    bool by_source = false;
    size_t key_len = s_rejected_key_len(r, &by_source);
    if (key_len == (by_source ? 1u : 0u))
        return -EINVAL;
    size_t id_len = s_clamp(r->event_id, AGENT_OUTBOX_MAX_ID);
    size_t src_len = s_clamp(r->source, AGENT_OUTBOX_MAX_TEXT);
    size_t text_len = s_clamp(r->text, AGENT_OUTBOX_MAX_TEXT);
    size_t orig_len = r->original ? r->original_len : 0;
    if (orig_len > AGENT_OUTBOX_MAX_ORIGINAL)
        orig_len = AGENT_OUTBOX_MAX_ORIGINAL;
    size_t rec_len = S_REJECTED_HEADER + id_len + 1 + src_len + 1 + text_len + 1 + orig_len;

    unsigned char *key = NULL, *rec = NULL;
    int rc = s_op_push(self, S_OP_REJECT, key_len, rec_len, &key, &rec);
    if (rc)
        return rc;
    if (by_source) {
        key[0] = 0;
        memcpy(key + 1, r->source, key_len - 1);
    } else
        memcpy(key, r->event_id, key_len);

    rec[0] = S_REJECTED_VERSION;
    s_put_u32(rec + 1, (uint32_t)r->reason);
    s_put_u64(rec + 5, (uint64_t)r->at_ms);
    rec[13] = (unsigned char)(orig_len ? r->original_kind : AGENT_ORIGINAL_NONE);
    s_put_u16(rec + 14, (uint16_t)id_len);
    s_put_u16(rec + 16, (uint16_t)src_len);
    s_put_u16(rec + 18, (uint16_t)text_len);
    s_put_u32(rec + 20, (uint32_t)orig_len);
    unsigned char *p = rec + S_REJECTED_HEADER;
    const char *fields[3] = {r->event_id, r->source, r->text};
    size_t lens[3] = {id_len, src_len, text_len};
    for (int i = 0; i < 3; i++) {
        if (lens[i])
            memcpy(p, fields[i], lens[i]);
        p[lens[i]] = 0;
        p += lens[i] + 1;
    }
    if (orig_len)
        memcpy(p, r->original, orig_len);
    return 0;
}

/* Reads a rejection record into `r`, pointing into `data`. */
static int
s_rejection_decode(const unsigned char *data, size_t len, agent_rejection_t *r)
{
    if (len < S_REJECTED_HEADER || data[0] < S_REJECTED_VERSION)
        return AGENT_OUTBOX_BADRECORD;
    size_t lens[3] = {s_get_u16(data + 14), s_get_u16(data + 16), s_get_u16(data + 18)};
    size_t orig_len = s_get_u32(data + 20);
    size_t need = S_REJECTED_HEADER + lens[0] + lens[1] + lens[2] + 3 + orig_len;
    if (need > len)
        return AGENT_OUTBOX_BADRECORD;
    const char *fields[3];
    const unsigned char *p = data + S_REJECTED_HEADER;
    for (int i = 0; i < 3; i++) {
        if (p[lens[i]] != 0)
            return AGENT_OUTBOX_BADRECORD;
        fields[i] = (const char *)p;
        p += lens[i] + 1;
    }
    r->reason = (int)s_get_u32(data + 1);
    r->at_ms = (int64_t)s_get_u64(data + 5);
    r->original_kind = (agent_original_t)data[13];
    r->event_id = fields[0];
    r->source = fields[1];
    r->text = fields[2];
    r->original = orig_len ? p : NULL;
    r->original_len = orig_len;
    return 0;
}

/* ====================================================================== the outbox */

int
agent_outbox_open(const char *dir, agent_outbox_t **out)
{
    agent_outbox_t *self = calloc(1, sizeof(agent_outbox_t));
    if (!self)
        return -ENOMEM;
    self->keep_ms = AGENT_OUTBOX_KEEP_DAYS * S_DAY_MS;
    self->keep_max = AGENT_OUTBOX_KEEP_MAX;
    int rc = store_open(dir, NULL, &self->store);
    if (rc) {
        free(self);
        return rc;
    }
    *out = self;
    return 0;
}

void
agent_outbox_destroy(agent_outbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_destroy(&(*self_p)->store);
    free(*self_p);
    *self_p = NULL;
}

typedef struct {
    const char *unit;
    char *owner;
    size_t size;
} s_claim_t;

static int
s_claim(store_txn_t *txn, void *arg)
{
    s_claim_t *c = arg;
    const void *val = NULL;
    size_t vlen = 0;
    int rc = store_get(txn, S_TABLE_META, S_META_UNIT, strlen(S_META_UNIT), &val, &vlen);
    if (rc == STORE_NOTFOUND)
        return store_put(txn, S_TABLE_META, S_META_UNIT, strlen(S_META_UNIT), c->unit,
                         strlen(c->unit), 0);
    if (rc)
        return rc;
    if (vlen == strlen(c->unit) && memcmp(val, c->unit, vlen) == 0)
        return 0;
    if (c->owner && c->size) {
        size_t n = vlen < c->size - 1 ? vlen : c->size - 1;
        memcpy(c->owner, val, n);
        c->owner[n] = 0;
    }
    return AGENT_OUTBOX_WRONG_UNIT;
}

int
agent_outbox_claim(agent_outbox_t *self, const char *unit, char *owner, size_t size)
{
    if (!unit || !unit[0] || strlen(unit) > S_MAX_UNIT)
        return -EINVAL;
    /* Look first, so that the common case (already ours) costs no write. */
    store_txn_t *txn = NULL;
    int rc = store_read_begin(self->store, &txn);
    if (rc)
        return rc;
    const void *val = NULL;
    size_t vlen = 0;
    rc = store_get(txn, S_TABLE_META, S_META_UNIT, strlen(S_META_UNIT), &val, &vlen);
    bool ours = rc == 0 && vlen == strlen(unit) && memcmp(val, unit, vlen) == 0;
    store_txn_end(&txn);
    if (ours)
        return 0;
    s_claim_t claim = {unit, owner, size};
    return store_write(self->store, s_claim, &claim);
}

int
agent_outbox_counts(agent_outbox_t *self, uint64_t *waiting, uint64_t *rejected)
{
    store_txn_t *txn = NULL;
    int rc = store_read_begin(self->store, &txn);
    if (rc)
        return rc;
    uint64_t w = 0, r = 0;
    rc = store_count(txn, S_TABLE_OUTBOX, &w);
    if (rc == 0)
        rc = store_count(txn, S_TABLE_REJECTED, &r);
    store_txn_end(&txn);
    if (rc)
        return rc;
    if (waiting)
        *waiting = w;
    if (rejected)
        *rejected = r;
    return 0;
}

int
agent_outbox_kept(agent_outbox_t *self, uint64_t *kept)
{
    store_txn_t *txn = NULL;
    int rc = store_read_begin(self->store, &txn);
    if (rc == 0)
        rc = store_count(txn, S_TABLE_KEPT, kept);
    store_txn_end(&txn);
    return rc;
}

void
agent_outbox_set_retention(agent_outbox_t *self, int64_t keep_ms, uint64_t keep_max)
{
    self->keep_ms = keep_ms > 0 ? keep_ms : 1;
    self->keep_max = keep_max;
}

/* One record of a walk (key, value); returns 0 to go on, > 0 to stop, < 0 an error. */
typedef int(s_row_fn)(const void *k, size_t kl, const void *v, size_t vl, void *arg);

/* Calls `row` for the records of `table` from key `start` on (NULL: from the first), in
   one read transaction. Returns 0 (also when `row` stopped the walk) or row's error. */
static int
s_walk(agent_outbox_t *self, const char *table, const void *start, size_t start_len, s_row_fn *row,
       void *arg)
{
    store_txn_t *txn = NULL;
    store_cursor_t *cursor = NULL;
    int rc = store_read_begin(self->store, &txn);
    if (rc)
        goto out;
    rc = store_cursor_open(txn, table, &cursor);
    if (rc)
        goto out;
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    rc = store_cursor_seek(cursor, start, start_len, &k, &kl, &v, &vl);
    while (rc == 0) {
        rc = row(k, kl, v, vl, arg);
        if (rc)
            break;
        rc = store_cursor_next(cursor, &k, &kl, &v, &vl);
    }
out:
    store_cursor_close(&cursor);
    store_txn_end(&txn);
    if (rc == STORE_NOTFOUND || rc > 0)
        rc = 0;
    return rc;
}

typedef struct {
    agent_outbox_event_fn *fn;
    void *arg;
} s_event_walk_t;

static int
s_event_row(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    s_event_walk_t *walk = arg;
    const unsigned char *rec = v;
    if (kl != 8 || vl < S_OUTBOX_HEADER || rec[0] < S_OUTBOX_VERSION ||
        vl < (size_t)S_OUTBOX_HEADER + rec[1] + 1 || rec[S_OUTBOX_HEADER + rec[1]] != 0)
        return AGENT_OUTBOX_BADRECORD;
    size_t skip = (size_t)S_OUTBOX_HEADER + rec[1] + 1;
    return walk->fn(store_key_to_u64(k), (const char *)rec + S_OUTBOX_HEADER, rec + skip, vl - skip,
                    walk->arg);
}

int
agent_outbox_walk(agent_outbox_t *self, uint64_t after, agent_outbox_event_fn *fn, void *arg)
{
    if (after == UINT64_MAX)
        return 0;
    unsigned char start[8];
    store_u64_to_key(after + 1, start);
    s_event_walk_t walk = {fn, arg};
    return s_walk(self, S_TABLE_OUTBOX, start, sizeof start, s_event_row, &walk);
}

typedef struct {
    agent_outbox_rejection_fn *fn;
    void *arg;
} s_rejection_walk_t;

static int
s_rejection_row(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    (void)k;
    (void)kl;
    s_rejection_walk_t *walk = arg;
    agent_rejection_t r;
    int rc = s_rejection_decode(v, vl, &r);
    return rc ? rc : walk->fn(&r, walk->arg);
}

int
agent_outbox_walk_rejected(agent_outbox_t *self, agent_outbox_rejection_fn *fn, void *arg)
{
    s_rejection_walk_t walk = {fn, arg};
    return s_walk(self, S_TABLE_REJECTED, NULL, 0, s_rejection_row, &walk);
}

/* ====================================================================== applying */

typedef struct {
    const agent_outbox_t *outbox;
    const agent_outbox_batch_t *batch;
    size_t queued;
    uint64_t acked_seq; /* the highest log_seq of the batch's stored events */
    int64_t latest_ms;  /* the latest acknowledgement of the batch; 0: none */
} s_apply_t;

/* Deletes `key` from `table`; a missing key is fine. */
static int
s_del(store_txn_t *txn, const char *table, const void *key, size_t klen)
{
    int rc = store_del(txn, table, key, klen);
    return rc == STORE_NOTFOUND ? 0 : rc;
}

static int
s_apply_add(store_txn_t *txn, const void *id, size_t id_len, const void *rec, size_t rec_len,
            uint64_t *next_seq, size_t *queued)
{
    const void *val = NULL;
    size_t vlen = 0;
    int rc = store_get(txn, S_TABLE_INDEX, id, id_len, &val, &vlen);
    if (rc == 0)
        return 0; /* already waiting */
    if (rc != STORE_NOTFOUND)
        return rc;
    /* The event's place in its unit's order (Envelope.unit_seq, field 14, a varint: the
       tag is one byte, 14 << 3) is its local seq, given here once and never again: the
       field is appended to the packed Envelope, which protobuf reads as if it had been
       packed with it. The agent clears it from what it packs (agent_submit.c), so it is
       there once. */
    uint64_t seq = (*next_seq)++;
    unsigned char *with = malloc(rec_len + 1 + 10);
    if (!with)
        return -ENOMEM;
    memcpy(with, rec, rec_len);
    size_t len = rec_len;
    with[len++] = 14 << 3;
    for (uint64_t v = seq;; v >>= 7) {
        with[len++] = (unsigned char)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        if (v < 0x80)
            break;
    }
    unsigned char key[8];
    store_u64_to_key(seq, key);
    rc = store_put(txn, S_TABLE_OUTBOX, key, sizeof key, with, len, 0);
    free(with);
    if (rc == 0)
        rc = store_put(txn, S_TABLE_INDEX, id, id_len, key, sizeof key, 0);
    if (rc == 0)
        rc = s_del(txn, S_TABLE_REJECTED, id, id_len);
    if (rc == 0)
        (*queued)++;
    return rc;
}

/* Finds the waiting event `id`: its outbox key into `key`. STORE_NOTFOUND when it does
   not wait. */
static int
s_waiting_key(store_txn_t *txn, const void *id, size_t id_len, unsigned char key[8])
{
    const void *val = NULL;
    size_t vlen = 0;
    int rc = store_get(txn, S_TABLE_INDEX, id, id_len, &val, &vlen);
    if (rc == 0 && vlen != 8)
        return AGENT_OUTBOX_BADRECORD;
    if (rc == 0)
        memcpy(key, val, 8); /* val is invalid after the next put or del */
    return rc;
}

/* The event stops waiting: out of the outbox and the index, and (stored now, or
   refused afresh by a rejection that follows in the batch) out of the rejected list. */
static int
s_unwait(store_txn_t *txn, const void *id, size_t id_len, const unsigned char key[8])
{
    int rc = s_del(txn, S_TABLE_OUTBOX, key, 8);
    if (rc == 0)
        rc = store_del(txn, S_TABLE_INDEX, id, id_len);
    if (rc == 0)
        rc = s_del(txn, S_TABLE_REJECTED, id, id_len);
    return rc;
}

static int
s_apply_done(store_txn_t *txn, const void *id, size_t id_len)
{
    unsigned char key[8];
    int rc = s_waiting_key(txn, id, id_len, key);
    if (rc == STORE_NOTFOUND)
        return 0; /* not waiting (an ack for a resend) */
    return rc ? rc : s_unwait(txn, id, id_len, key);
}

/* Moves the waiting event `id` to the kept table, with when and where it was stored. */
static int
s_apply_stored(store_txn_t *txn, const void *id, size_t id_len, const unsigned char *data,
               s_apply_t *ctx)
{
    unsigned char key[8];
    int rc = s_waiting_key(txn, id, id_len, key);
    if (rc == STORE_NOTFOUND)
        return 0;
    const void *val = NULL;
    size_t vlen = 0;
    if (rc == 0)
        rc = store_get(txn, S_TABLE_OUTBOX, key, sizeof key, &val, &vlen);
    if (rc)
        return rc == STORE_NOTFOUND ? AGENT_OUTBOX_BADRECORD : rc;
    unsigned char *kept = malloc(S_KEPT_HEADER + vlen);
    if (!kept)
        return -ENOMEM;
    uint64_t log_seq = s_get_u64(data);
    int64_t at_ms = (int64_t)s_get_u64(data + 8);
    kept[0] = S_KEPT_VERSION;
    memcpy(kept + 1, data + 8, 8);
    memcpy(kept + 9, data, 8);
    memcpy(kept + S_KEPT_HEADER, val, vlen);
    rc = store_put(txn, S_TABLE_KEPT, key, sizeof key, kept, S_KEPT_HEADER + vlen, 0);
    free(kept);
    if (rc == 0)
        rc = s_unwait(txn, id, id_len, key);
    if (log_seq > ctx->acked_seq)
        ctx->acked_seq = log_seq;
    if (at_ms > ctx->latest_ms)
        ctx->latest_ms = at_ms;
    return rc;
}

/* Reads the u64 `name` of the meta table into *value (0 when absent). */
static int
s_meta_u64(store_txn_t *txn, const char *name, uint64_t *value)
{
    const void *val = NULL;
    size_t vlen = 0;
    *value = 0;
    int rc = store_get(txn, S_TABLE_META, name, strlen(name), &val, &vlen);
    if (rc == STORE_NOTFOUND)
        return 0;
    if (rc == 0 && vlen != 8)
        return AGENT_OUTBOX_BADRECORD;
    if (rc == 0)
        *value = s_get_u64(val);
    return rc;
}

static int
s_meta_put_u64(store_txn_t *txn, const char *name, uint64_t value)
{
    unsigned char buf[8];
    s_put_u64(buf, value);
    return store_put(txn, S_TABLE_META, name, strlen(name), buf, sizeof buf, 0);
}

/* The first (oldest) kept event: its key and record, valid until the next put or del.
   STORE_NOTFOUND when none is kept. (The loops below look again after each change
   instead of walking a cursor under their own deletes.) */
static int
s_kept_first(store_txn_t *txn, const void **k, size_t *kl, const void **v, size_t *vl)
{
    store_cursor_t *cursor = NULL;
    int rc = store_cursor_open(txn, S_TABLE_KEPT, &cursor);
    if (rc == 0)
        rc = store_cursor_seek(cursor, NULL, 0, k, kl, v, vl);
    store_cursor_close(&cursor);
    if (rc == 0 && (*kl != 8 || *vl < S_KEPT_HEADER || ((const unsigned char *)*v)[0] < 1))
        rc = AGENT_OUTBOX_BADRECORD;
    return rc;
}

/* Prunes the kept events, oldest first: those acknowledged before `now_ms` less the
   retention, and any beyond the retention's count. */
static int
s_prune(store_txn_t *txn, const agent_outbox_t *self, int64_t now_ms)
{
    uint64_t count = 0;
    int rc = store_count(txn, S_TABLE_KEPT, &count);
    while (rc == 0 && count > 0) {
        const void *k = NULL, *v = NULL;
        size_t kl = 0, vl = 0;
        rc = s_kept_first(txn, &k, &kl, &v, &vl);
        if (rc)
            break;
        int64_t at_ms = (int64_t)s_get_u64((const unsigned char *)v + 1);
        if (count <= self->keep_max && at_ms >= now_ms - self->keep_ms)
            break; /* the oldest is young enough: so are the rest, nearly (seq order) */
        unsigned char key[8];
        memcpy(key, k, sizeof key);
        rc = store_del(txn, S_TABLE_KEPT, key, sizeof key);
        count--;
    }
    return rc == STORE_NOTFOUND ? 0 : rc;
}

/* Deletes every rejection whose source starts with `prefix` (NULL: every one), adding
   their number to *deleted (may be NULL). The keys are collected first: deleting under
   an open cursor is not something to rely on. */
static int
s_delete_rejections(store_txn_t *txn, const unsigned char *prefix, size_t prefix_len,
                    uint64_t *deleted)
{
    store_cursor_t *cursor = NULL;
    unsigned char **keys = NULL;
    size_t *lens = NULL, count = 0, cap = 0;
    int rc = store_cursor_open(txn, S_TABLE_REJECTED, &cursor);
    if (rc == STORE_NOTFOUND)
        return 0;
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    if (rc == 0)
        rc = store_cursor_seek(cursor, NULL, 0, &k, &kl, &v, &vl);
    while (rc == 0) {
        agent_rejection_t r;
        bool match = true;
        if (prefix)
            match = s_rejection_decode(v, vl, &r) == 0 && strlen(r.source) >= prefix_len &&
                    memcmp(r.source, prefix, prefix_len) == 0;
        if (match) {
            if (count == cap) {
                size_t bigger = cap ? cap * 2 : 16;
                unsigned char **more_keys = realloc(keys, bigger * sizeof *keys);
                if (more_keys)
                    keys = more_keys;
                size_t *more_lens = more_keys ? realloc(lens, bigger * sizeof *lens) : NULL;
                if (!more_lens) {
                    rc = -ENOMEM;
                    break;
                }
                lens = more_lens;
                cap = bigger;
            }
            keys[count] = malloc(kl ? kl : 1);
            if (!keys[count]) {
                rc = -ENOMEM;
                break;
            }
            memcpy(keys[count], k, kl);
            lens[count++] = kl;
        }
        rc = store_cursor_next(cursor, &k, &kl, &v, &vl);
    }
    store_cursor_close(&cursor);
    if (rc == STORE_NOTFOUND)
        rc = 0;
    for (size_t i = 0; i < count; i++) {
        if (rc == 0)
            rc = s_del(txn, S_TABLE_REJECTED, keys[i], lens[i]);
        free(keys[i]);
    }
    free(keys);
    free(lens);
    if (rc == 0 && deleted)
        *deleted += count;
    return rc;
}

/* The batch body. store_write may run it more than once (map growth), so it computes
   everything afresh from the transaction. */
static int
s_apply(store_txn_t *txn, void *arg)
{
    s_apply_t *ctx = arg;
    const agent_outbox_batch_t *b = ctx->batch;
    ctx->queued = 0;
    ctx->acked_seq = 0;
    ctx->latest_ms = 0;

    uint64_t next_seq = 1;
    const void *val = NULL;
    size_t vlen = 0;
    int rc = store_get(txn, S_TABLE_META, S_META_NEXT_SEQ, strlen(S_META_NEXT_SEQ), &val, &vlen);
    if (rc == 0 && vlen == 8)
        next_seq = s_get_u64(val);
    else if (rc == 0)
        return AGENT_OUTBOX_BADRECORD;
    else if (rc != STORE_NOTFOUND)
        return rc;
    uint64_t first_seq = next_seq;

    for (size_t i = 0; i < b->nops; i++) {
        const s_op_t *op = &b->ops[i];
        const unsigned char *key = b->arena + op->key_off;
        const unsigned char *data = b->arena + op->data_off;
        switch (op->kind) {
        case S_OP_ADD:
            rc = s_apply_add(txn, key, op->key_len, data, op->data_len, &next_seq, &ctx->queued);
            break;
        case S_OP_DONE:
            rc = s_apply_done(txn, key, op->key_len);
            break;
        case S_OP_REJECT:
            rc = store_put(txn, S_TABLE_REJECTED, key, op->key_len, data, op->data_len, 0);
            break;
        case S_OP_FORGET:
            rc = s_delete_rejections(txn, key, op->key_len, NULL);
            break;
        case S_OP_STORED:
            rc = s_apply_stored(txn, key, op->key_len, data, ctx);
            break;
        }
        if (rc)
            return rc;
    }
    if (next_seq != first_seq) {
        unsigned char seq[8];
        s_put_u64(seq, next_seq);
        rc = store_put(txn, S_TABLE_META, S_META_NEXT_SEQ, strlen(S_META_NEXT_SEQ), seq, sizeof seq,
                       0);
    }
    if (rc == 0 && ctx->latest_ms) {
        uint64_t acked_seq = 0;
        rc = s_meta_u64(txn, S_META_ACKED_SEQ, &acked_seq);
        if (rc == 0 && ctx->acked_seq > acked_seq)
            rc = s_meta_put_u64(txn, S_META_ACKED_SEQ, ctx->acked_seq);
        if (rc == 0)
            rc = s_prune(txn, ctx->outbox, ctx->latest_ms);
    }
    return rc;
}

int
agent_outbox_apply(agent_outbox_t *self, const agent_outbox_batch_t *batch, size_t *queued)
{
    s_apply_t ctx = {self, batch, 0, 0, 0};
    if (batch->nops == 0) {
        if (queued)
            *queued = 0;
        return 0;
    }
    int rc = store_write(self->store, s_apply, &ctx);
    if (rc == 0 && queued)
        *queued = ctx.queued;
    return rc;
}

typedef struct {
    uint64_t cleared;
} s_clear_t;

static int
s_clear(store_txn_t *txn, void *arg)
{
    s_clear_t *c = arg;
    c->cleared = 0;
    return s_delete_rejections(txn, NULL, 0, &c->cleared);
}

int
agent_outbox_clear_rejected(agent_outbox_t *self, uint64_t *cleared)
{
    s_clear_t c = {0};
    int rc = store_write(self->store, s_clear, &c);
    if (rc == 0 && cleared)
        *cleared = c.cleared;
    return rc;
}

/* ====================================================================== the broker's store */

typedef struct {
    const char *store_id;
    uint64_t last_log_seq;
    agent_outbox_store_check_t result;
} s_check_t;

/* Every kept event waits again under its own seq, oldest first; one already waiting
   under the same id (submitted again) stays as it is and the kept copy goes. */
static int
s_requeue(store_txn_t *txn, uint64_t *requeued)
{
    int rc = 0;
    while (rc == 0) {
        const void *k = NULL, *v = NULL;
        size_t kl = 0, vl = 0;
        rc = s_kept_first(txn, &k, &kl, &v, &vl);
        if (rc)
            break;
        const unsigned char *rec = (const unsigned char *)v + S_KEPT_HEADER;
        size_t rec_len = vl - S_KEPT_HEADER;
        if (rec_len < S_OUTBOX_HEADER || rec_len < (size_t)S_OUTBOX_HEADER + rec[1] + 1)
            return AGENT_OUTBOX_BADRECORD;
        unsigned char key[8], *copy = malloc(rec_len);
        if (!copy)
            return -ENOMEM;
        memcpy(key, k, sizeof key);
        memcpy(copy, rec, rec_len);
        const char *id = (const char *)copy + S_OUTBOX_HEADER;
        size_t id_len = copy[1];
        rc = store_del(txn, S_TABLE_KEPT, key, sizeof key);
        const void *val = NULL;
        size_t vlen = 0;
        int found = rc ? rc : store_get(txn, S_TABLE_INDEX, id, id_len, &val, &vlen);
        if (found == STORE_NOTFOUND) {
            rc = store_put(txn, S_TABLE_OUTBOX, key, sizeof key, copy, rec_len, 0);
            if (rc == 0)
                rc = store_put(txn, S_TABLE_INDEX, id, id_len, key, sizeof key, 0);
            if (rc == 0)
                (*requeued)++;
        } else if (found)
            rc = found;
        free(copy);
    }
    return rc == STORE_NOTFOUND ? 0 : rc;
}

static int
s_check(store_txn_t *txn, void *arg)
{
    s_check_t *c = arg;
    c->result = (agent_outbox_store_check_t){0};
    const void *val = NULL;
    size_t vlen = 0;
    char known[AGENT_OUTBOX_STORE_ID_MAX + 1] = "";
    int rc = store_get(txn, S_TABLE_META, S_META_STORE_ID, strlen(S_META_STORE_ID), &val, &vlen);
    if (rc == 0 && vlen <= AGENT_OUTBOX_STORE_ID_MAX)
        memcpy(known, val, vlen);
    else if (rc != STORE_NOTFOUND)
        return rc ? rc : AGENT_OUTBOX_BADRECORD;
    uint64_t acked_seq = 0;
    rc = s_meta_u64(txn, S_META_ACKED_SEQ, &acked_seq);
    if (rc)
        return rc;
    bool other = c->store_id[0] && known[0] && strcmp(known, c->store_id) != 0;
    bool behind = c->last_log_seq < acked_seq; /* it lost what it acknowledged */
    c->result.first = c->store_id[0] && !known[0];
    c->result.changed = other || behind;
    if (c->result.changed) {
        rc = s_requeue(txn, &c->result.requeued);
        if (rc == 0)
            rc = s_meta_put_u64(txn, S_META_ACKED_SEQ, c->last_log_seq);
    }
    if (rc == 0 && (c->result.first || other))
        rc = store_put(txn, S_TABLE_META, S_META_STORE_ID, strlen(S_META_STORE_ID), c->store_id,
                       strlen(c->store_id), 0);
    return rc;
}

int
agent_outbox_check_store(agent_outbox_t *self, const char *store_id, uint64_t last_log_seq,
                         agent_outbox_store_check_t *result)
{
    if (!store_id || strlen(store_id) > AGENT_OUTBOX_STORE_ID_MAX)
        return -EINVAL;
    s_check_t check = {store_id, last_log_seq, {0}};
    /* Look first: the common case (the same store, not behind) costs no write. */
    store_txn_t *txn = NULL;
    int rc = store_read_begin(self->store, &txn);
    const void *val = NULL;
    size_t vlen = 0;
    uint64_t acked_seq = 0;
    bool same = false;
    if (rc == 0) {
        rc = s_meta_u64(txn, S_META_ACKED_SEQ, &acked_seq);
        int got =
            store_get(txn, S_TABLE_META, S_META_STORE_ID, strlen(S_META_STORE_ID), &val, &vlen);
        same =
            rc == 0 && last_log_seq >= acked_seq &&
            (store_id[0] ? got == 0 && vlen == strlen(store_id) && memcmp(val, store_id, vlen) == 0
                         : true);
    }
    store_txn_end(&txn);
    if (rc)
        return rc;
    if (!same)
        rc = store_write(self->store, s_check, &check);
    if (rc == 0 && result)
        *result = check.result;
    return rc;
}
