/*  dash_buf: a growing byte buffer, what every page, download and event is written into.

    Appends never fail in the middle of a page: a buffer that cannot grow remembers it
    (dash_buf_failed) and ignores what follows, so a writer checks once at the end
    instead of after every line.
*/
#ifndef DASH_BUF_H
#define DASH_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *data; /* NUL-terminated while not failed; owned */
    size_t len;
    size_t cap;
    bool failed; /* an allocation failed: the content is incomplete */
} dash_buf_t;

/* An empty buffer needs no call: dash_buf_t b = {0}. */

/* Appends `len` bytes. */
void
dash_buf_add(dash_buf_t *self, const void *data, size_t len);

/* Appends a C string. */
void
dash_buf_puts(dash_buf_t *self, const char *text);

/* Appends formatted text. */
void
dash_buf_printf(dash_buf_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends `text` escaped for HTML text and attribute values (& < > " '). NULL: nothing. */
void
dash_buf_html(dash_buf_t *self, const char *text);

/* Appends `text` escaped as the inside of a JSON string. NULL: nothing. */
void
dash_buf_json(dash_buf_t *self, const char *text);

/* Appends `text` percent-encoded for a URL's query value. */
void
dash_buf_url(dash_buf_t *self, const char *text);

/* Takes the content out (caller frees; NULL when failed) and empties the buffer. Sets
 *len (may be NULL). */
char *
dash_buf_take(dash_buf_t *self, size_t *len);

/* Frees the content and empties the buffer. */
void
dash_buf_reset(dash_buf_t *self);

#endif
