/*  broker_batch: a group commit's events and their application to the log. */
#include "broker_batch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker_dedup.h"
#include "dajia_tables.h"

broker_batch_t *
broker_batch_new(size_t capacity)
{
    broker_batch_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->items = calloc(capacity, sizeof *self->items);
    if (!self->items) {
        free(self);
        return NULL;
    }
    self->capacity = capacity;
    return self;
}

void
broker_batch_destroy(broker_batch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_batch_t *self = *self_p;
    broker_batch_reset(self);
    free(self->items);
    free(self);
    *self_p = NULL;
}

broker_item_t *
broker_batch_next_item(broker_batch_t *self)
{
    if (self->count >= self->capacity)
        return NULL;
    broker_item_t *item = &self->items[self->count];
    zmq_msg_init(&item->routing);
    zmq_msg_init(&item->body);
    item->key_len = item->unit_len = 0;
    item->submitted_at = 0;
    item->status = BROKER_ITEM_PENDING;
    item->log_seq = 0;
    item->deferred = false;
    item->has_command = false;
    return item;
}

void
broker_batch_commit_item(broker_batch_t *self)
{
    self->count++;
}

void
broker_batch_reset(broker_batch_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        zmq_msg_close(&self->items[i].routing);
        zmq_msg_close(&self->items[i].body);
        if (self->items[i].has_command)
            zmq_msg_close(&self->items[i].command);
        self->items[i].has_command = false;
    }
    self->count = 0;
    self->rc = 0;
    self->commit_us = 0;
}

/* Packs a LogRecord by hand, so the hot path needs no allocation. Field 1 varint
   log_seq, field 2 varint received_at, field 3 bytes envelope, then field 4 varint
   submitted_at when the broker trusted one; the same bytes protobuf-c would write
   (tests decode them with the generated code). */
static size_t
s_varint(uint8_t *out, uint64_t value)
{
    size_t n = 0;
    while (value >= 0x80) {
        out[n++] = (uint8_t)(value | 0x80);
        value >>= 7;
    }
    out[n++] = (uint8_t)value;
    return n;
}

static size_t
s_record_header(uint8_t *out, uint64_t seq, int64_t received_at, size_t body_len)
{
    size_t n = 0;
    out[n++] = (1 << 3) | 0;
    n += s_varint(out + n, seq);
    if (received_at) {
        out[n++] = (2 << 3) | 0;
        n += s_varint(out + n, (uint64_t)received_at);
    }
    if (body_len) {
        out[n++] = (3 << 3) | 2;
        n += s_varint(out + n, body_len);
    }
    return n;
}

/* Field 4, after the envelope: the submission time the broker trusted, if any. */
static size_t
s_record_trailer(uint8_t *out, int64_t submitted_at)
{
    size_t n = 0;
    if (submitted_at) {
        out[n++] = (4 << 3) | 0;
        n += s_varint(out + n, (uint64_t)submitted_at);
    }
    return n;
}

#define BROKER_RECORD_HEADER_MAX  40
#define BROKER_RECORD_TRAILER_MAX 12 /* a tag and a ten-byte varint */

void
broker_batch_rollback(broker_batch_t *self, broker_dedup_t *dedup)
{
    for (size_t i = 0; i < self->count; i++) {
        broker_item_t *item = &self->items[i];
        if (item->status == BROKER_ITEM_REJECTED)
            continue;
        if (item->status == BROKER_ITEM_ACCEPTED)
            broker_dedup_remove(dedup, item->hash, item->log_seq);
        item->status = BROKER_ITEM_PENDING;
        item->log_seq = 0;
    }
}

int
broker_batch_apply(broker_batch_t *self, store_txn_t *txn, broker_dedup_t *dedup,
                   uint64_t first_seq, uint64_t *next_seq)
{
    /* A rerun: the earlier run's log writes are gone with its transaction. */
    broker_batch_rollback(self, dedup);
    uint64_t seq = first_seq;
    uint8_t *record = NULL;
    size_t record_cap = 0;
    int rc = 0;
    for (size_t i = 0; i < self->count; i++) {
        if (self->items[i].status == BROKER_ITEM_REJECTED)
            continue;
        self->items[i].hash = broker_dedup_hash(dedup, self->items[i].key, self->items[i].key_len);
        broker_dedup_prefetch(dedup, self->items[i].hash);
    }
    for (size_t i = 0; i < self->count; i++) {
        broker_item_t *item = &self->items[i];
        if (item->status == BROKER_ITEM_REJECTED)
            continue;
        uint64_t earlier = 0;
        rc = broker_dedup_lookup(dedup, txn, item->key, item->key_len, item->hash, &earlier);
        if (rc == 0) {
            item->status = BROKER_ITEM_DUPLICATE;
            item->log_seq = earlier;
            continue;
        }
        if (rc != STORE_NOTFOUND)
            goto out;
        size_t body_len = zmq_msg_size(&item->body);
        size_t room = body_len + BROKER_RECORD_HEADER_MAX + BROKER_RECORD_TRAILER_MAX;
        if (record_cap < room) {
            free(record);
            record_cap = room + 1024;
            record = malloc(record_cap);
            if (!record) {
                rc = -ENOMEM;
                goto out;
            }
        }
        unsigned char seq_key[DAJIA_TABLE_U64];
        store_u64_to_key(seq, seq_key);
        size_t n = s_record_header(record, seq, self->received_at, body_len);
        memcpy(record + n, zmq_msg_data(&item->body), body_len);
        n += body_len;
        n += s_record_trailer(record + n, item->submitted_at);
        rc = store_put(txn, DAJIA_TABLE_LOG, seq_key, sizeof seq_key, record, n, STORE_APPEND);
        if (rc)
            goto out;
        rc = broker_dedup_insert(dedup, item->hash, seq);
        if (rc)
            goto out;
        item->status = BROKER_ITEM_ACCEPTED;
        item->log_seq = seq++;
    }
    *next_seq = seq;
out:
    free(record);
    return rc;
}

int
broker_log_last_seq(store_t *store, uint64_t *last_seq)
{
    store_txn_t *txn = NULL;
    store_cursor_t *cursor = NULL;
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    *last_seq = 0;
    int rc = store_read_begin(store, &txn);
    if (rc)
        goto out;
    rc = store_cursor_open(txn, DAJIA_TABLE_LOG, &cursor);
    if (rc == STORE_NOTFOUND) {
        rc = 0;
        goto out;
    }
    if (rc)
        goto out;
    rc = store_cursor_last(cursor, &k, &kl, &v, &vl);
    if (rc == STORE_NOTFOUND) {
        rc = 0;
        goto out;
    }
    if (rc)
        goto out;
    if (kl != DAJIA_TABLE_U64) {
        rc = STORE_CORRUPT;
        goto out;
    }
    *last_seq = store_key_to_u64(k);
out:
    store_cursor_close(&cursor);
    store_txn_end(&txn);
    return rc;
}
