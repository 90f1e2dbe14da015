/*  dash_buf: the growing buffer of the dashboard's output (see dash_buf.h). */
#include "dash_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MIN_CAP 1024

/* Makes room for `more` bytes and the NUL. */
static bool
s_room(dash_buf_t *self, size_t more)
{
    if (self->failed)
        return false;
    if (self->len + more + 1 <= self->cap)
        return true;
    size_t cap = self->cap ? self->cap : S_MIN_CAP;
    while (cap < self->len + more + 1)
        cap *= 2;
    char *grown = realloc(self->data, cap);
    if (!grown) {
        self->failed = true;
        return false;
    }
    self->data = grown;
    self->cap = cap;
    return true;
}

void
dash_buf_add(dash_buf_t *self, const void *data, size_t len)
{
    if (!s_room(self, len))
        return;
    if (len)
        memcpy(self->data + self->len, data, len);
    self->len += len;
    self->data[self->len] = '\0';
}

void
dash_buf_puts(dash_buf_t *self, const char *text)
{
    if (text)
        dash_buf_add(self, text, strlen(text));
}

void
dash_buf_printf(dash_buf_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        self->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        dash_buf_add(self, small, (size_t)n);
        return;
    }
    if (!s_room(self, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(self->data + self->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    self->len += (size_t)n;
}

void
dash_buf_html(dash_buf_t *self, const char *text)
{
    if (!text)
        return;
    const char *run = text;
    for (const char *p = text; *p; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        dash_buf_add(self, run, (size_t)(p - run));
        dash_buf_puts(self, rep);
        run = p + 1;
    }
    dash_buf_puts(self, run);
}

void
dash_buf_json(dash_buf_t *self, const char *text)
{
    if (!text)
        return;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\')
            dash_buf_printf(self, "\\%c", *p);
        else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&')
            /* < > & too, so the text is safe wherever a page may put it. */
            dash_buf_printf(self, "\\u%04x", *p);
        else
            dash_buf_add(self, p, 1);
    }
}

void
dash_buf_url(dash_buf_t *self, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~')
            dash_buf_add(self, p, 1);
        else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            dash_buf_add(self, esc, 3);
        }
    }
}

char *
dash_buf_take(dash_buf_t *self, size_t *len)
{
    char *data = NULL;
    if (!self->failed) {
        if (!self->data)
            dash_buf_add(self, "", 0);
        data = self->failed ? NULL : self->data;
        if (len)
            *len = self->len;
        if (data)
            self->data = NULL;
    }
    dash_buf_reset(self);
    return data;
}

void
dash_buf_reset(dash_buf_t *self)
{
    free(self->data);
    memset(self, 0, sizeof *self);
}
