/*  Unit tests for broker_handshake: a CURVE server watched in one process, with clients
    that fail the handshake (no key; another broker's key) and one that passes it. The
    log lines are read back from standard error, which the test points at a file: the
    first refusal is logged at once with its reason, the next ones become one count line
    at the end of the period, and a good client is not counted.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker_handshake.h"
#include "test_util.h"

#define S_EVERY_MS 3000  /* the test's counting period: a refusing client retries every 100 ms */
#define S_WAIT_MS  20000 /* a handshake on loopback takes milliseconds; generous for ASan */
#define S_LOG_MAX  65536

typedef struct {
    char dir[TEST_UTIL_DIR_MAX];
    char log_path[TEST_UTIL_DIR_MAX + 16];
    int saved_stderr;
    broker_handshake_t *watch;
    zcert_t *server_cert;
    zsock_t *server;
    char endpoint[128];
    zsock_t *clients[4]; /* destroyed in the teardown, also after a failed assertion */
    zcert_t *certs[4];
    size_t nclients, ncerts;
} fixture_t;

static int
setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    *state = fx;
    fx->saved_stderr = -1;
    if (test_util_dir_make(fx->dir, sizeof fx->dir, "handshake") != 0)
        return -1;
    /* The log goes to standard error: to a file the test reads. */
    snprintf(fx->log_path, sizeof fx->log_path, "%s/log", fx->dir);
    int fd = open(fx->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    fx->saved_stderr = dup(STDERR_FILENO);
    if (fd < 0 || fx->saved_stderr < 0 || dup2(fd, STDERR_FILENO) < 0)
        return -1;
    close(fd);
    if (broker_handshake_new(S_EVERY_MS, &fx->watch) != 0)
        return -1;
    fx->server_cert = zcert_new();
    fx->server = zsock_new(ZMQ_ROUTER);
    if (!fx->server_cert || !fx->server)
        return -1;
    zcert_apply(fx->server_cert, fx->server);
    zsock_set_curve_server(fx->server, 1);
    if (broker_handshake_watch(fx->watch, fx->server, "the test socket") != 0)
        return -1;
    int port = zsock_bind(fx->server, "tcp://127.0.0.1:*");
    if (port <= 0)
        return -1;
    snprintf(fx->endpoint, sizeof fx->endpoint, "tcp://127.0.0.1:%d", port);
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    for (size_t i = 0; i < fx->nclients; i++)
        zsock_destroy(&fx->clients[i]);
    for (size_t i = 0; i < fx->ncerts; i++)
        zcert_destroy(&fx->certs[i]);
    zsock_destroy(&fx->server);
    broker_handshake_destroy(&fx->watch);
    zcert_destroy(&fx->server_cert);
    if (fx->saved_stderr >= 0) {
        dup2(fx->saved_stderr, STDERR_FILENO);
        close(fx->saved_stderr);
    }
    int rc = test_util_dir_remove(fx->dir);
    free(fx);
    return rc == 0 ? 0 : -1;
}

/* The log so far (a static buffer). */
static const char *
s_log(const fixture_t *fx)
{
    static char text[S_LOG_MAX];
    FILE *file = fopen(fx->log_path, "r");
    assert_non_null(file);
    size_t n = fread(text, 1, sizeof text - 1, file);
    text[n] = 0;
    fclose(file);
    return text;
}

/* Waits until the log holds `needle`; fails with the log otherwise. */
static void
s_wait_log(const fixture_t *fx, const char *needle)
{
    int64_t deadline = zclock_mono() + S_WAIT_MS;
    while (!strstr(s_log(fx), needle)) {
        if (zclock_mono() > deadline) {
            dup2(fx->saved_stderr, STDERR_FILENO); /* where cmocka reports */
            fail_msg("no \"%s\" in the log:\n%s", needle, s_log(fx));
        }
        zclock_sleep(20);
    }
}

/* A DEALER to the server: plaintext when `own` is NULL, else CURVE with `own` and the
   server key `server_key`. */
static zcert_t *
s_cert(fixture_t *fx)
{
    assert_true(fx->ncerts < 4);
    zcert_t *cert = zcert_new();
    assert_non_null(cert);
    fx->certs[fx->ncerts++] = cert;
    return cert;
}

static zsock_t *
s_client(fixture_t *fx, zcert_t *own, const char *server_key)
{
    assert_true(fx->nclients < 4);
    zsock_t *client = zsock_new(ZMQ_DEALER);
    assert_non_null(client);
    fx->clients[fx->nclients++] = client;
    zsock_set_linger(client, 0);
    if (own) {
        zcert_apply(own, client);
        zsock_set_curve_serverkey(client, server_key);
    }
    assert_int_equal(zsock_connect(client, "%s", fx->endpoint), 0);
    return client;
}

static void
test_plaintext_client_logged_at_once_with_its_reason(void **state)
{
    fixture_t *fx = *state;
    zsock_t *client = s_client(fx, NULL, NULL);
    zstr_send(client, "hello");
    s_wait_log(fx, "refused a connection to the test socket");
    const char *log = s_log(fx);
    assert_non_null(strstr(log, fx->endpoint));
    /* The broker notices the missing CURVE ("did not use CURVE"), or the client does
       first and hangs up: either way the line says what is likely missing. */
    assert_non_null(strstr(log, "without its key file"));
    /* The address when the broker read it in time, else words that say it could not. */
    if (!strstr(log, "from 127.0.0.1:") && !strstr(log, "could not read"))
        fail_msg("the line gives no peer address:\n%s", log);
    assert_true(broker_handshake_refused(fx->watch) >= 1);
}

static void
test_repeated_refusals_become_one_count_line(void **state)
{
    fixture_t *fx = *state;
    /* A client with another broker's key retries by itself, every 100 ms: the first
       refusal is a line at once, the next ones of the period only a count. */
    zsock_t *client = s_client(fx, s_cert(fx), zcert_public_txt(s_cert(fx)));
    zstr_send(client, "hello");
    s_wait_log(fx, "another broker's public key");
    int64_t deadline = zclock_mono() + S_WAIT_MS;
    while (broker_handshake_refused(fx->watch) < 3 && zclock_mono() < deadline)
        zclock_sleep(20);
    assert_true(broker_handshake_refused(fx->watch) >= 3);
    const char *log = s_log(fx);
    const char *first = strstr(log, "handshake: refused");
    assert_non_null(first);
    if (strstr(first + 1, "handshake: refused"))
        fail_msg("more than one line within the period:\n%s", log);
    /* At the period's end, the rest in one line. */
    s_wait_log(fx, "with another broker's key; the last from");
    assert_non_null(strstr(s_log(fx), "more connection"));
}

static void
test_good_client_is_not_counted(void **state)
{
    fixture_t *fx = *state;
    zsock_t *client = s_client(fx, s_cert(fx), zcert_public_txt(fx->server_cert));
    zstr_send(client, "hello");
    zsock_set_rcvtimeo(fx->server, S_WAIT_MS);
    zmsg_t *msg = zmsg_recv(fx->server); /* routing id + "hello": the handshake passed */
    assert_non_null(msg);
    zmsg_destroy(&msg);
    zclock_sleep(500); /* a refusal would have been noticed by now */
    assert_int_equal(broker_handshake_refused(fx->watch), 0);
    assert_null(strstr(s_log(fx), "handshake: refused"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plaintext_client_logged_at_once_with_its_reason, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_repeated_refusals_become_one_count_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_good_client_is_not_counted, setup, teardown),
    };
    return cmocka_run_group_tests_name("broker_handshake", tests, NULL, NULL);
}
