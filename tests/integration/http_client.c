/*  http_client: the tests' HTTP/1.1 client (see http_client.h). */
#include "http_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static int
s_send_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -errno;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Decodes a chunked body in place. Returns its length. */
static size_t
s_unchunk(char *body, size_t len)
{
    size_t in = 0, out = 0;
    while (in < len) {
        char *end = NULL;
        unsigned long size = strtoul(body + in, &end, 16);
        char *crlf = strstr(body + in, "\r\n");
        if (!crlf || size == 0)
            break;
        in = (size_t)(crlf - body) + 2;
        if (in + size > len)
            size = len - in;
        memmove(body + out, body + in, size);
        out += size;
        in += size + 2;
    }
    body[out] = '\0';
    return out;
}

int
http_request(unsigned port, const char *method, const char *target, const char *headers,
             const char *body, http_response_t *out)
{
    memset(out, 0, sizeof *out);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = 0;
    char *req = NULL;
    char *data = NULL;
    size_t len = 0, cap = 0;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        rc = -errno;
        goto out;
    }
    size_t blen = body ? strlen(body) : 0;
    size_t need = strlen(method) + strlen(target) + (headers ? strlen(headers) : 0) + blen + 256;
    req = malloc(need);
    if (!req) {
        rc = -ENOMEM;
        goto out;
    }
    int n = snprintf(req, need, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n%s",
                     method, target, port, headers ? headers : "");
    if (body)
        n += snprintf(req + n, need - (size_t)n,
                      "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n",
                      blen);
    n += snprintf(req + n, need - (size_t)n, "\r\n%s", body ? body : "");
    rc = s_send_all(fd, req, (size_t)n);
    if (rc)
        goto out;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int ready = poll(&p, 1, HTTP_CLIENT_TIMEOUT_MS);
        if (ready <= 0) {
            rc = -ETIMEDOUT;
            goto out;
        }
        if (len + 65536 + 1 > cap) {
            cap = cap ? cap * 2 : 131072;
            char *grown = realloc(data, cap);
            if (!grown) {
                rc = -ENOMEM;
                goto out;
            }
            data = grown;
        }
        ssize_t got = recv(fd, data + len, 65536, 0);
        if (got < 0) {
            rc = -errno;
            goto out;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    if (!data) {
        rc = -EPROTO;
        goto out;
    }
    data[len] = '\0';
    char *end = strstr(data, "\r\n\r\n");
    if (!end || sscanf(data, "HTTP/1.%*d %d", &out->status) != 1) {
        rc = -EPROTO;
        goto out;
    }
    size_t hlen = (size_t)(end - data);
    out->headers = strndup(data, hlen + 2);
    out->body_len = len - hlen - 4;
    out->body = malloc(out->body_len + 1);
    if (!out->headers || !out->body) {
        rc = -ENOMEM;
        goto out;
    }
    memcpy(out->body, end + 4, out->body_len);
    out->body[out->body_len] = '\0';
    char te[64];
    if (http_header(out, "Transfer-Encoding", te, sizeof te) && strcasecmp(te, "chunked") == 0)
        out->body_len = s_unchunk(out->body, out->body_len);
out:
    if (rc)
        http_response_free(out);
    free(req);
    free(data);
    close(fd);
    return rc;
}

const char *
http_header(const http_response_t *res, const char *name, char *buf, size_t size)
{
    size_t nlen = strlen(name);
    for (const char *line = res->headers; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        if (!eol)
            break;
        if ((size_t)(eol - line) > nlen && strncasecmp(line, name, nlen) == 0 &&
            line[nlen] == ':') {
            const char *v = line + nlen + 1;
            while (*v == ' ')
                v++;
            snprintf(buf, size, "%.*s", (int)(eol - v), v);
            return buf;
        }
        line = eol + 2;
    }
    return NULL;
}

void
http_response_free(http_response_t *res)
{
    free(res->headers);
    free(res->body);
    memset(res, 0, sizeof *res);
}
