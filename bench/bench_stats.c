/*  bench_stats: one STATS request to the broker (see bench_stats.h).

    The answer is ["STATS", JSON]; the few counters wanted are read out of the flat JSON
    text without a JSON library, which the bench does not otherwise need.
*/
#include "bench_stats.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "dajia_api.h"

#define BENCH_STATS_TIMEOUT_MS 5000

/* The unsigned integer after "key": in a flat JSON text, or false if absent. Enough for
   the broker's STATS, whose top-level keys are unique and not prefixes of each other once
   the closing quote is part of the needle. */
static bool
s_json_u64(const char *json, const char *key, uint64_t *value)
{
    char needle[64];
    snprintf(needle, sizeof needle, "\"%s\":", key);
    const char *at = strstr(json, needle);
    if (!at)
        return false;
    at += strlen(needle);
    while (*at == ' ')
        at++;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(at, &end, 10);
    if (end == at || errno)
        return false;
    *value = v;
    return true;
}

int
bench_stats_ask(void *ctx, const char *endpoint, bench_stats_t *stats)
{
    int rc = -1;
    *stats = (bench_stats_t){0, 0, 0};
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    if (!sock)
        return rc;
    int linger = 0, timeout = BENCH_STATS_TIMEOUT_MS;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_connect(sock, endpoint) != 0 ||
        zmq_send(sock, DAJIA_API_STATS, DAJIA_API_LEN(DAJIA_API_STATS), ZMQ_SNDMORE) < 0 ||
        zmq_send(sock, "", 0, 0) < 0)
        goto out;
    if (zmq_msg_recv(&msg, sock, 0) < 0 ||
        !dajia_api_word_is(zmq_msg_data(&msg), zmq_msg_size(&msg), DAJIA_API_STATS_REPLY) ||
        !zmq_msg_more(&msg))
        goto out;
    if (zmq_msg_recv(&msg, sock, 0) < 0)
        goto out;
    size_t len = zmq_msg_size(&msg);
    char *json = malloc(len + 1);
    if (!json)
        goto out;
    memcpy(json, zmq_msg_data(&msg), len);
    json[len] = '\0';
    if (s_json_u64(json, "accepted", &stats->accepted) &&
        s_json_u64(json, "batches", &stats->batches))
        rc = 0;
    s_json_u64(json, "rejected", &stats->rejected);
    free(json);
out:
    zmq_msg_close(&msg);
    zmq_close(sock);
    return rc;
}
