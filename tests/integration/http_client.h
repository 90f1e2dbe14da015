/*  http_client: plain HTTP/1.1 requests over TCP for the dashboard's tests, so that a test
    can read status codes, headers and bodies exactly (the browser hides redirects and
    error statuses). One request per connection (Connection: close), a receive timeout on
    every read, bodies of any length (Content-Length or chunked).
*/
#ifndef HTTP_CLIENT_H
#define HTTP_CLIENT_H

#include <stddef.h>

#define HTTP_CLIENT_TIMEOUT_MS 20000

typedef struct {
    int status;    /* 0 when no answer */
    char *headers; /* the header lines, NUL-terminated, owned */
    char *body;    /* the body, NUL-terminated (may hold other NULs), owned */
    size_t body_len;
} http_response_t;

/* Sends `method` `target` ("/figures?period=2026-11") to 127.0.0.1:`port` with the
   extra header lines `headers` (each ending in \r\n; NULL: none) and `body` (NULL: none,
   else sent as a form). Returns 0 (whatever the status) or -errno. */
int
http_request(unsigned port, const char *method, const char *target, const char *headers,
             const char *body, http_response_t *out);

/* The value of header `name` (case-insensitive) in `res`, copied into `buf`; NULL when
   absent. */
const char *
http_header(const http_response_t *res, const char *name, char *buf, size_t size);

void
http_response_free(http_response_t *res);

#endif
