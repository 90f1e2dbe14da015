/*  esc_state: byte layout of the escalate core's records (see esc_state.h).

    Hand-written rather than protobuf: the records are small, fixed and read on every
    case report, and a fixed layout keeps the hot path free of allocations.
*/
#include "esc_state.h"

#include <errno.h>
#include <string.h>

#include "store.h"

/* ================================================================ writer / reader */

typedef struct {
    uint8_t *p;
} s_writer_t;

static void
s_put_u8(s_writer_t *w, uint8_t v)
{
    *w->p++ = v;
}

static void
s_put_u64(s_writer_t *w, uint64_t v)
{
    for (int i = 7; i >= 0; i--)
        *w->p++ = (uint8_t)(v >> (i * 8));
}

static void
s_put_u32(s_writer_t *w, uint32_t v)
{
    for (int i = 3; i >= 0; i--)
        *w->p++ = (uint8_t)(v >> (i * 8));
}

static void
s_put_u16(s_writer_t *w, uint16_t v)
{
    *w->p++ = (uint8_t)(v >> 8);
    *w->p++ = (uint8_t)v;
}

/* A string of at most `max` bytes (the records' fields are already bounded). */
static void
s_put_str8(s_writer_t *w, const char *s, size_t max)
{
    size_t len = strnlen(s, max);
    s_put_u8(w, (uint8_t)len);
    memcpy(w->p, s, len);
    w->p += len;
}

static void
s_put_str16(s_writer_t *w, const char *s, size_t max)
{
    size_t len = strnlen(s, max);
    s_put_u16(w, (uint16_t)len);
    memcpy(w->p, s, len);
    w->p += len;
}

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
    int bad;
} s_reader_t;

static const uint8_t *
s_take(s_reader_t *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *at = r->p;
    r->p += n;
    return at;
}

static uint64_t
s_get_u(s_reader_t *r, size_t n)
{
    const uint8_t *at = s_take(r, n);
    uint64_t v = 0;
    for (size_t i = 0; at && i < n; i++)
        v = (v << 8) | at[i];
    return v;
}

static void
s_get_str(s_reader_t *r, size_t len_bytes, char *out, size_t max)
{
    size_t len = (size_t)s_get_u(r, len_bytes);
    if (len > max) {
        r->bad = 1;
        return;
    }
    const uint8_t *at = s_take(r, len);
    if (at)
        memcpy(out, at, len);
    out[at ? len : 0] = '\0';
}

/* Starts decoding `len` bytes at `data` into `rec` (`size` bytes), which is zeroed.
   Returns false when there is no record to read (data NULL). */
static bool
s_reader_open(s_reader_t *r, const void *data, size_t len, void *rec, size_t size)
{
    memset(rec, 0, size);
    *r = (s_reader_t){data, (const uint8_t *)data + len, 0};
    return data != NULL;
}

/* Ends decoding into `rec`: 0, or -EBADMSG with `rec` zeroed when the bytes were not a
   record of a version we know. */
static int
s_reader_close(const s_reader_t *r, void *rec, size_t size)
{
    if (!r->bad)
        return 0;
    memset(rec, 0, size);
    return -EBADMSG;
}

/* ================================================================ records */

size_t
esc_case_encode(const esc_case_t *rec, uint8_t buf[ESC_CASE_RECORD_MAX])
{
    s_writer_t w = {buf};
    s_put_u8(&w, ESC_STATE_VERSION);
    s_put_u8(&w, rec->linkage);
    s_put_u8(&w, rec->concluded);
    s_put_u16(&w, rec->e4_mask);
    s_put_u64(&w, (uint64_t)rec->linkage_at);
    s_put_u64(&w, (uint64_t)rec->deadline_at);
    s_put_u64(&w, rec->source_log_seq);
    s_put_str8(&w, rec->source_event_id, ESC_MAX_ID);
    return (size_t)(w.p - buf);
}

int
esc_case_decode(const void *data, size_t len, esc_case_t *rec)
{
    s_reader_t r;
    if (!s_reader_open(&r, data, len, rec, sizeof *rec))
        return 0;
    if (s_get_u(&r, 1) != ESC_STATE_VERSION)
        r.bad = 1;
    rec->linkage = (uint8_t)s_get_u(&r, 1);
    rec->concluded = (uint8_t)s_get_u(&r, 1);
    rec->e4_mask = (uint16_t)s_get_u(&r, 2);
    rec->linkage_at = (int64_t)s_get_u(&r, 8);
    rec->deadline_at = (int64_t)s_get_u(&r, 8);
    rec->source_log_seq = s_get_u(&r, 8);
    s_get_str(&r, 1, rec->source_event_id, ESC_MAX_ID);
    return s_reader_close(&r, rec, sizeof *rec);
}

size_t
esc_matter_encode(const esc_matter_t *rec, uint8_t buf[ESC_MATTER_RECORD_MAX])
{
    s_writer_t w = {buf};
    s_put_u8(&w, ESC_MATTER_VERSION);
    s_put_u8(&w, rec->severity);
    s_put_u8(&w, rec->type);
    s_put_u8(&w, rec->status);
    s_put_u8(&w, rec->stage);
    s_put_u8(&w, rec->reported);
    s_put_u32(&w, rec->seq);
    s_put_u32(&w, (uint32_t)rec->interval_days);
    s_put_u64(&w, (uint64_t)rec->last_progress_at);
    s_put_u64(&w, (uint64_t)rec->due_at);
    s_put_u64(&w, (uint64_t)rec->timer_at);
    s_put_u64(&w, rec->source_log_seq);
    s_put_str8(&w, rec->source_event_id, ESC_MAX_ID);
    s_put_str16(&w, rec->title, ESC_MAX_TITLE);
    s_put_u8(&w, rec->stated);
    uint8_t n = rec->n_accounted < ESC_ACCOUNTED_MAX ? rec->n_accounted : ESC_ACCOUNTED_MAX;
    s_put_u8(&w, n);
    for (uint8_t i = 0; i < n; i++)
        s_put_str8(&w, rec->accounted[i], ESC_MAX_ID);
    return (size_t)(w.p - buf);
}

int
esc_matter_decode(const void *data, size_t len, esc_matter_t *rec)
{
    s_reader_t r;
    if (!s_reader_open(&r, data, len, rec, sizeof *rec))
        return 0;
    uint64_t version = s_get_u(&r, 1);
    if (version != 1 && version != ESC_MATTER_VERSION)
        r.bad = 1;
    rec->severity = (uint8_t)s_get_u(&r, 1);
    rec->type = (uint8_t)s_get_u(&r, 1);
    rec->status = (uint8_t)s_get_u(&r, 1);
    rec->stage = (uint8_t)s_get_u(&r, 1);
    rec->reported = (uint8_t)s_get_u(&r, 1);
    rec->seq = (uint32_t)s_get_u(&r, 4);
    rec->interval_days = (int32_t)(uint32_t)s_get_u(&r, 4);
    rec->last_progress_at = (int64_t)s_get_u(&r, 8);
    rec->due_at = (int64_t)s_get_u(&r, 8);
    rec->timer_at = (int64_t)s_get_u(&r, 8);
    rec->source_log_seq = s_get_u(&r, 8);
    s_get_str(&r, 1, rec->source_event_id, ESC_MAX_ID);
    s_get_str(&r, 2, rec->title, ESC_MAX_TITLE);
    if (version == ESC_MATTER_VERSION) {
        rec->stated = (uint8_t)s_get_u(&r, 1);
        rec->n_accounted = (uint8_t)s_get_u(&r, 1);
        if (rec->n_accounted > ESC_ACCOUNTED_MAX)
            r.bad = 1;
        for (uint8_t i = 0; !r.bad && i < rec->n_accounted; i++)
            s_get_str(&r, 1, rec->accounted[i], ESC_MAX_ID);
    }
    return s_reader_close(&r, rec, sizeof *rec);
}

size_t
esc_unit_encode(const esc_unit_t *rec, uint8_t buf[ESC_UNIT_RECORD_MAX])
{
    s_writer_t w = {buf};
    s_put_u8(&w, ESC_STATE_VERSION);
    s_put_u64(&w, (uint64_t)rec->received_at);
    return (size_t)(w.p - buf);
}

int
esc_unit_decode(const void *data, size_t len, esc_unit_t *rec)
{
    s_reader_t r;
    if (!s_reader_open(&r, data, len, rec, sizeof *rec))
        return 0;
    if (s_get_u(&r, 1) != ESC_STATE_VERSION)
        r.bad = 1;
    rec->received_at = (int64_t)s_get_u(&r, 8);
    return s_reader_close(&r, rec, sizeof *rec);
}

/* ================================================================ keys */

size_t
esc_key_make(const char *unit, const char *key, uint8_t buf[ESC_KEY_MAX])
{
    size_t ulen = unit ? strnlen(unit, ESC_MAX_ID + 1) : 0;
    size_t klen = key ? strnlen(key, ESC_MAX_ID + 1) : 0;
    if (ulen == 0 || klen == 0 || ulen > ESC_MAX_ID || klen > ESC_MAX_ID)
        return 0;
    memcpy(buf, unit, ulen);
    buf[ulen] = '\0';
    memcpy(buf + ulen + 1, key, klen);
    return ulen + 1 + klen;
}

size_t
esc_timer_key_make(int64_t due_at, char kind, const uint8_t *source, size_t source_len,
                   uint8_t buf[ESC_TIMER_KEY_MAX])
{
    store_u64_to_key((uint64_t)due_at, buf);
    buf[8] = (uint8_t)kind;
    memcpy(buf + 9, source, source_len);
    return 9 + source_len;
}

int
esc_key_split(const uint8_t *data, size_t len, char unit[ESC_MAX_ID + 1], char key[ESC_MAX_ID + 1])
{
    const uint8_t *nul = memchr(data, '\0', len);
    if (!nul)
        return -EBADMSG;
    size_t ulen = (size_t)(nul - data);
    size_t klen = len - ulen - 1;
    if (ulen == 0 || klen == 0 || ulen > ESC_MAX_ID || klen > ESC_MAX_ID)
        return -EBADMSG;
    memcpy(unit, data, ulen);
    unit[ulen] = '\0';
    memcpy(key, nul + 1, klen);
    key[klen] = '\0';
    return 0;
}
