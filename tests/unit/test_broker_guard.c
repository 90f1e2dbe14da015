/*  test_broker_guard: the listening-socket guard's judgement of an endpoint (no open
    doors, issue 10): with keys an abstract ipc endpoint or a transport without CURVE is
    refused, without keys anything but loopback, ipc and inproc; broker/insecure opens
    them with a warning. And that a refused endpoint is never bound.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker_guard.h"

typedef struct {
    const char *endpoint;
    bool keys;
    broker_guard_verdict_t verdict; /* without broker/insecure */
} s_case_t;

static const s_case_t s_cases[] = {
    /* without keys: loopback, ipc and inproc only */
    {"tcp://127.0.0.1:7400", false, BROKER_GUARD_SAFE},
    {"tcp://127.0.0.1:*", false, BROKER_GUARD_SAFE},
    {"tcp://127.255.3.9:7400", false, BROKER_GUARD_SAFE},
    {"tcp://localhost:7400", false, BROKER_GUARD_SAFE},
    {"tcp://LocalHost:7400", false, BROKER_GUARD_SAFE},
    {"tcp://[::1]:7400", false, BROKER_GUARD_SAFE},
    {"tcp://[::ffff:127.0.0.1]:7400", false, BROKER_GUARD_SAFE},
    {"ipc:///run/dajia/api", false, BROKER_GUARD_SAFE},
    {"ipc://@dajia-api", false, BROKER_GUARD_SAFE}, /* local only, as loopback is */
    {"inproc://dajia-workers", false, BROKER_GUARD_SAFE},
    {"tcp://0.0.0.0:7400", false, BROKER_GUARD_REFUSED},
    {"tcp://*:7400", false, BROKER_GUARD_REFUSED},
    {"tcp://*:*", false, BROKER_GUARD_REFUSED},
    {"tcp://192.168.1.5:7400", false, BROKER_GUARD_REFUSED},
    {"tcp://128.0.0.1:7400", false, BROKER_GUARD_REFUSED},
    {"tcp://[::]:7400", false, BROKER_GUARD_REFUSED},
    {"tcp://[::2]:7400", false, BROKER_GUARD_REFUSED},
    {"tcp://eth0:7400", false, BROKER_GUARD_REFUSED},
    {"tcp://lo:7400", false, BROKER_GUARD_REFUSED},     /* a name: not judged here */
    {"tcp://broker:7400", false, BROKER_GUARD_REFUSED}, /* a host name likewise */
    {"tcp://127.0.0.1.example.org:7400", false, BROKER_GUARD_REFUSED},
    {"tcp://localhost", false, BROKER_GUARD_REFUSED}, /* no port: not an endpoint */
    {"tcp://:7400", false, BROKER_GUARD_REFUSED},
    {"ws://127.0.0.1:7400", false, BROKER_GUARD_REFUSED},
    {"udp://127.0.0.1:7400", false, BROKER_GUARD_REFUSED},
    {"pgm://eth0;239.192.1.1:5555", false, BROKER_GUARD_REFUSED},
    /* with keys: tcp is CURVE on any address; an ipc path has its file */
    {"tcp://0.0.0.0:7400", true, BROKER_GUARD_SAFE},
    {"tcp://*:7400", true, BROKER_GUARD_SAFE},
    {"tcp://127.0.0.1:7400", true, BROKER_GUARD_SAFE},
    {"ipc:///run/dajia/api", true, BROKER_GUARD_SAFE},
    {"ipc://relative/api", true, BROKER_GUARD_SAFE},
    {"inproc://dajia-workers", true, BROKER_GUARD_SAFE},
    {"ipc://@dajia-api", true, BROKER_GUARD_REFUSED},
    {"ipc://@", true, BROKER_GUARD_REFUSED},
    {"ws://0.0.0.0:7400", true, BROKER_GUARD_REFUSED},
    {"tipc://{5560,0,0}", true, BROKER_GUARD_REFUSED},
};

static void
test_every_endpoint_judged(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const s_case_t *c = &s_cases[i];
        char msg[512];
        broker_guard_verdict_t got =
            broker_guard_check(c->endpoint, c->keys, false, "the api", msg, sizeof msg);
        if (got != c->verdict)
            fail_msg("%s %s keys: %d, expected %d (%s)", c->endpoint, c->keys ? "with" : "without",
                     got, c->verdict, msg);
        /* broker/insecure opens what was refused, and only that */
        broker_guard_verdict_t open =
            broker_guard_check(c->endpoint, c->keys, true, "the api", msg, sizeof msg);
        broker_guard_verdict_t want =
            c->verdict == BROKER_GUARD_REFUSED ? BROKER_GUARD_OPEN : BROKER_GUARD_SAFE;
        if (open != want)
            fail_msg("%s %s keys and insecure: %d, expected %d", c->endpoint,
                     c->keys ? "with" : "without", open, want);
        if (want == BROKER_GUARD_SAFE)
            assert_string_equal(msg, "");
    }
}

static void
test_refusal_names_the_endpoint_and_the_ways_out(void **state)
{
    (void)state;
    char msg[512];
    assert_int_equal(
        broker_guard_check("tcp://0.0.0.0:7400", false, false, "the workers", msg, sizeof msg),
        BROKER_GUARD_REFUSED);
    assert_non_null(strstr(msg, "the workers on tcp://0.0.0.0:7400"));
    assert_non_null(strstr(msg, "--keys"));
    assert_non_null(strstr(msg, "loopback"));
    assert_non_null(strstr(msg, "--insecure"));

    assert_int_equal(
        broker_guard_check("ipc://@dajia", true, false, "the office feed", msg, sizeof msg),
        BROKER_GUARD_REFUSED);
    assert_non_null(strstr(msg, "the office feed on ipc://@dajia"));
    assert_non_null(strstr(msg, "abstract"));
    assert_non_null(strstr(msg, "\"local\""));
    assert_non_null(strstr(msg, "--insecure"));

    assert_int_equal(broker_guard_check("ipc://@dajia", true, true, "the api", msg, sizeof msg),
                     BROKER_GUARD_OPEN);
    assert_non_null(strstr(msg, "INSECURE"));
    assert_non_null(strstr(msg, "the api on ipc://@dajia"));
}

static void
test_refused_endpoint_is_not_bound(void **state)
{
    (void)state;
    zsock_t *sock = zsock_new(ZMQ_ROUTER);
    assert_non_null(sock);
    char err[512] = "";
    char *bound = NULL;
    /* Port 0 of every interface would bind at once if the guard let it through. */
    assert_int_equal(broker_guard_listen(sock, "tcp://0.0.0.0:*", NULL, false, "api", "the api",
                                         &bound, err, sizeof err),
                     -1);
    assert_null(bound);
    assert_non_null(strstr(err, "refusing"));
    char *last = zsock_last_endpoint(sock);
    bool nothing = !last || !*last; /* nothing bound */
    free(last);
    assert_true(nothing);
    /* Loopback is bound, with nothing to say. */
    err[0] = '\0';
    assert_int_equal(broker_guard_listen(sock, "tcp://127.0.0.1:*", NULL, false, "api", "the api",
                                         &bound, err, sizeof err),
                     0);
    assert_non_null(bound);
    assert_int_equal(strncmp(bound, "tcp://127.0.0.1:", 16), 0);
    assert_string_equal(err, "");
    free(bound);
    zsock_destroy(&sock);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_endpoint_judged),
        cmocka_unit_test(test_refusal_names_the_endpoint_and_the_ways_out),
        cmocka_unit_test(test_refused_endpoint_is_not_bound),
    };
    return cmocka_run_group_tests_name("unit.broker_guard", tests, NULL, NULL);
}
