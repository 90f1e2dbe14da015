/*  test_broker_peers: the guard that bounds what each connection of a socket makes the
    broker hold, and how many connections it has.

    A ROUTER of the test's own is watched; DEALERs connect to it over loopback tcp. What
    the ROUTER's reader does not read (and credit) counts against the connection; the
    guard looks every BROKER_PEERS_CHECK_MS, so each wait below allows for many looks.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#include "broker_peers.h"

#define S_IN_MAX   (256u << 10)
#define S_MESSAGE  (100u << 10)
#define S_WAIT_MS  10000 /* the longest the guard may take to act: a wait ends as it does */
#define S_MAX_CONN 2
#define S_RECV_MS  10000 /* the longest a message may take to arrive */
/* What separates two moments of activity: the watcher reads the connections' events
   every few ms, far less than this even on a loaded machine under a sanitizer. */
#define S_IDLE_MS  250

typedef struct {
    broker_peers_t *peers;
    zsock_t *router;
    int which;
    char endpoint[64];
    zsock_t *dealers[4];
} fixture_t;

static int
s_setup_with(void **state, bool evicts_idle)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f || broker_peers_new(&f->peers) != 0)
        return -1;
    f->router = zsock_new(ZMQ_ROUTER);
    if (f->router) /* every read has a deadline: a message that never comes fails the test */
        zsock_set_rcvtimeo(f->router, S_RECV_MS);
    broker_peers_socket_t opts = {.name = "the test's router",
                                  .credited = true,
                                  .in_max = S_IN_MAX,
                                  .max_connections = S_MAX_CONN,
                                  .evicts_idle = evicts_idle};
    if (!f->router || broker_peers_watch(f->peers, f->router, &opts, &f->which) != 0)
        return -1;
    int port = zsock_bind(f->router, "tcp://127.0.0.1:*");
    if (port < 0 || broker_peers_start(f->peers) != 0)
        return -1;
    snprintf(f->endpoint, sizeof f->endpoint, "tcp://127.0.0.1:%d", port);
    *state = f;
    return 0;
}

static int
s_setup(void **state)
{
    return s_setup_with(state, false);
}

static int
s_setup_evicting(void **state)
{
    return s_setup_with(state, true);
}

static int
s_teardown(void **state)
{
    fixture_t *f = *state;
    for (size_t i = 0; i < sizeof f->dealers / sizeof f->dealers[0]; i++)
        zsock_destroy(&f->dealers[i]);
    zsock_destroy(&f->router); /* before the guard: see broker_peers_destroy */
    broker_peers_destroy(&f->peers);
    assert_null(f->peers);
    broker_peers_destroy(NULL);
    free(f);
    return 0;
}

static zsock_t *
s_dealer(fixture_t *f, size_t i)
{
    f->dealers[i] = zsock_new(ZMQ_DEALER);
    assert_non_null(f->dealers[i]);
    zsock_set_linger(f->dealers[i], 0);
    assert_int_equal(zsock_connect(f->dealers[i], "%s", f->endpoint), 0);
    return f->dealers[i];
}

static void
s_send_big(zsock_t *dealer, size_t count)
{
    zframe_t *frame = zframe_new(NULL, S_MESSAGE);
    memset(zframe_data(frame), 'x', S_MESSAGE);
    for (size_t i = 0; i < count; i++) {
        zframe_t *copy = zframe_dup(frame);
        assert_int_equal(zframe_send(&copy, dealer, 0), 0);
    }
    zframe_destroy(&frame);
}

/* Reads one message from the router and credits it as the broker does. */
static void
s_read_and_credit(fixture_t *f)
{
    zmq_msg_t routing, body;
    zmq_msg_init(&routing);
    zmq_msg_init(&body);
    void *raw = zsock_resolve(f->router);
    assert_true(zmq_msg_recv(&routing, raw, 0) >= 0);
    assert_true(zmq_msg_recv(&body, raw, 0) >= 0);
    int fd = broker_peers_fd(&body);
    assert_true(fd >= 0);
    broker_peers_credit(f->peers, fd, broker_peers_wire(f->peers, f->which, zmq_msg_size(&body)));
    zmq_msg_close(&routing);
    zmq_msg_close(&body);
}

static bool
s_wait_for(uint64_t (*count)(const broker_peers_t *), const broker_peers_t *peers, uint64_t want)
{
    int64_t end = zclock_mono() + S_WAIT_MS;
    while (count(peers) < want && zclock_mono() < end)
        zclock_sleep(10);
    return count(peers) >= want;
}

/* ====================================================================== tests */

static void
test_wire_sizes_follow_zmtp(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(broker_peers_wire(f->peers, f->which, 0), 2);
    assert_int_equal(broker_peers_wire(f->peers, f->which, 255), 257);
    assert_int_equal(broker_peers_wire(f->peers, f->which, 256), 265); /* an 8-byte size */
    assert_int_equal(broker_peers_wire(NULL, 0, 10), 12);
    broker_peers_credit(NULL, 3, 10); /* nothing to credit: no harm */
    broker_peers_credit(f->peers, -1, 10);
}

static void
test_what_is_read_and_credited_never_counts(void **state)
{
    fixture_t *f = *state;
    zsock_t *dealer = s_dealer(f, 0);
    /* one message in flight at a time: far under the bound whatever the machine's load */
    for (int round = 0; round < 20; round++) {
        s_send_big(dealer, 1);
        s_read_and_credit(f);
    }
    zclock_sleep(5 * BROKER_PEERS_CHECK_MS);
    assert_int_equal(broker_peers_closed(f->peers), 0); /* 2 MB went through: all read */
}

static void
test_what_is_never_read_closes_the_connection(void **state)
{
    fixture_t *f = *state;
    zsock_t *dealer = s_dealer(f, 0);
    s_send_big(dealer, 2); /* 200 KB waiting: under the bound */
    zclock_sleep(5 * BROKER_PEERS_CHECK_MS);
    assert_int_equal(broker_peers_closed(f->peers), 0);
    s_send_big(dealer, 2); /* 400 KB waiting: over it */
    assert_true(s_wait_for(broker_peers_closed, f->peers, 1));
}

static void
test_past_max_connections_the_newcomer_is_closed(void **state)
{
    fixture_t *f = *state;
    for (size_t i = 0; i < S_MAX_CONN + 1; i++) {
        s_dealer(f, i);
        zstr_send(f->dealers[i], "hello"); /* makes the connection now */
        zclock_sleep(50);
    }
    assert_true(s_wait_for(broker_peers_refused, f->peers, 1));
    /* the first ones are still served */
    for (size_t i = 0; i < S_MAX_CONN; i++) {
        char *text = zstr_recv(f->router); /* routing id */
        zstr_free(&text);
        text = zstr_recv(f->router);
        assert_string_equal(text, "hello");
        zstr_free(&text);
    }
}

static void
test_evicting_closes_the_idlest(void **state)
{
    fixture_t *f = *state;
    /* two connections, the first credited (active) after the second came */
    s_dealer(f, 0);
    zstr_send(f->dealers[0], "first");
    zclock_sleep(S_IDLE_MS);
    s_dealer(f, 1);
    zstr_send(f->dealers[1], "second");
    zclock_sleep(S_IDLE_MS);
    for (int i = 0; i < 2; i++)
        s_read_and_credit(f); /* both credited once; the first came first */
    zstr_send(f->dealers[0], "again");
    zclock_sleep(S_IDLE_MS);
    s_read_and_credit(f); /* now the first is the more recently active */
    s_dealer(f, 2);
    zstr_send(f->dealers[2], "third");
    assert_true(s_wait_for(broker_peers_refused, f->peers, 1));
    zclock_sleep(2 * S_IDLE_MS);
    /* the second (idlest) was closed: its messages no longer come; the others do */
    zstr_send(f->dealers[0], "still here");
    /* both arrive (on a loaded machine an earlier message may come first: skip it) */
    bool third = false, still = false;
    for (int n = 0; n < 8 && !(third && still); n++) {
        zmsg_t *msg = zmsg_recv(f->router);
        assert_non_null(msg);
        char *text = zframe_strdup(zmsg_last(msg));
        third = third || strcmp(text, "third") == 0;
        still = still || strcmp(text, "still here") == 0;
        free(text);
        zmsg_destroy(&msg);
    }
    assert_true(third && still);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wire_sizes_follow_zmtp, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_what_is_read_and_credited_never_counts, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_what_is_never_read_closes_the_connection, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_past_max_connections_the_newcomer_is_closed, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_evicting_closes_the_idlest, s_setup_evicting,
                                        s_teardown),
    };
    return cmocka_run_group_tests_name("broker_peers", tests, NULL, NULL);
}
