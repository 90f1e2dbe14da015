/*  Unit tests for broker_auth: the ZAP handler over real sockets in one process (CURVE
    servers in each domain, clients with known, unknown, revoked and wrong-role keys),
    reload and the directory watch, and the role rules. The key directory is made with
    dajia_keydir, as `dajia-ctl keys init` makes it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker_auth.h"
#include "dajia_log.h"
#include "dajia_keydir.h"
#include "test_util.h"

#define S_CONNECT_MS    10000 /* a handshake on loopback takes milliseconds */
#define S_SEND_MS       1000
#define S_SILENCE_MS    500 /* how long "nothing arrives" is watched for */
#define S_WATCH_WAIT_MS (BROKER_AUTH_WATCH_MS * 10)

typedef struct {
    char root[64];
    char dir[96];
    broker_auth_t *auth;
    zsock_t *server;
    zsock_t *clients[4];
    size_t nclients;
    char endpoint[128];
} fixture_t;

static const char *const s_units[] = {"customs", "psb"};

static int
setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    *state = fx;
    if (test_util_dir_make(fx->root, sizeof fx->root, "auth") != 0)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "%s/keys", fx->root);
    if (dajia_keydir_init(fx->dir, s_units, 2) != 0)
        return -1;
    return broker_auth_start(fx->dir, &fx->auth);
}

static int
teardown(void **state)
{
    fixture_t *fx = *state;
    if (!fx)
        return 0;
    /* Sockets first: the handler must outlive what it guards. */
    for (size_t i = 0; i < fx->nclients; i++)
        zsock_destroy(&fx->clients[i]);
    zsock_destroy(&fx->server);
    broker_auth_destroy(&fx->auth);
    int rc = test_util_dir_remove(fx->root);
    free(fx);
    return rc == 0 ? 0 : -1;
}

/* A CURVE ROUTER in `domain` on tcp://127.0.0.1:*. */
static void
s_server(fixture_t *fx, const char *domain)
{
    fx->server = zsock_new(ZMQ_ROUTER);
    assert_non_null(fx->server);
    assert_ok(broker_auth_apply_server(fx->auth, fx->server, domain));
    zsock_set_rcvtimeo(fx->server, S_SILENCE_MS);
    int port = zsock_bind(fx->server, "tcp://127.0.0.1:*");
    assert_true(port > 0);
    snprintf(fx->endpoint, sizeof fx->endpoint, "tcp://127.0.0.1:%d", port);
}

/* A DEALER with key pair `cert` (taken), not yet connected. */
static zsock_t *
s_client_with(fixture_t *fx, zcert_t **cert)
{
    char broker_key[DAJIA_KEYDIR_KEY_TXT];
    assert_ok(dajia_keydir_broker_key(fx->dir, broker_key));
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    assert_non_null(sock);
    /* A refused client has no peer to queue to: its send must not block the test. */
    zsock_set_sndtimeo(sock, S_SEND_MS);
    assert_true(fx->nclients < sizeof fx->clients / sizeof fx->clients[0]);
    fx->clients[fx->nclients++] = sock;
    assert_ok(dajia_keydir_apply(sock, *cert, broker_key));
    zcert_destroy(cert);
    return sock;
}

/* A DEALER with the key pair of certificate `name`. */
static zsock_t *
s_client(fixture_t *fx, const char *name)
{
    zcert_t *cert = NULL;
    assert_ok(dajia_keydir_load(fx->dir, name, &cert));
    return s_client_with(fx, &cert);
}

/* Receives one message on the server, frame by frame with raw libzmq (the metadata is
   on each frame). Returns false on timeout. `meta` gets role, unit, User-Id and key of
   the second frame (after the routing id), NULL where absent. */
typedef struct {
    const char *role, *unit, *user, *key;
    char body[64];
} s_received_t;

static bool
s_server_recv(fixture_t *fx, s_received_t *got)
{
    void *handle = zsock_resolve(fx->server);
    zmq_msg_t id, frame;
    zmq_msg_init(&id);
    if (zmq_msg_recv(&id, handle, 0) < 0) {
        zmq_msg_close(&id);
        return false;
    }
    assert_true(zmq_msg_more(&id));
    zmq_msg_init(&frame);
    assert_true(zmq_msg_recv(&frame, handle, 0) >= 0);
    static char role[32], unit[80], user[80], key[48];
    const char *v;
    got->role = (v = zmq_msg_gets(&frame, BROKER_AUTH_PROP_ROLE)) ? strcpy(role, v) : NULL;
    got->unit = (v = zmq_msg_gets(&frame, BROKER_AUTH_PROP_UNIT)) ? strcpy(unit, v) : NULL;
    got->user = (v = zmq_msg_gets(&frame, BROKER_AUTH_PROP_USER)) ? strcpy(user, v) : NULL;
    got->key = (v = zmq_msg_gets(&frame, BROKER_AUTH_PROP_KEY)) ? strcpy(key, v) : NULL;
    size_t len =
        zmq_msg_size(&frame) < sizeof got->body ? zmq_msg_size(&frame) : sizeof got->body - 1;
    memcpy(got->body, zmq_msg_data(&frame), len);
    got->body[len] = 0;
    assert_false(zmq_msg_more(&frame));
    zmq_msg_close(&frame);
    zmq_msg_close(&id);
    return true;
}

static void
s_send(zsock_t *client, const char *text)
{
    assert_int_equal(zstr_send(client, text), 0);
}

/* Sends if the socket can: to a refused client's socket the message may not even be
   queued, and that is not what the test is about (what matters is nothing arrives). */
static void
s_try_send(zsock_t *client, const char *text)
{
    (void)zstr_send(client, text);
}

/* The public key of certificate `name` as listed. */
static void
s_key_of(fixture_t *fx, const char *name, char key[DAJIA_KEYDIR_KEY_TXT])
{
    zcert_t *cert = NULL;
    assert_ok(dajia_keydir_load(fx->dir, name, &cert));
    strcpy(key, zcert_public_txt(cert));
    zcert_destroy(&cert);
}

/* ====================================================================== admitted */

static void
test_known_unit_is_admitted_with_role_unit_and_key_metadata(void **state)
{
    fixture_t *fx = *state;
    char key[DAJIA_KEYDIR_KEY_TXT];
    s_key_of(fx, "customs", key);
    s_server(fx, BROKER_AUTH_DOMAIN_API);
    zsock_t *client = s_client(fx, "customs");
    assert_ok(dajia_keydir_connect(client, fx->endpoint, S_CONNECT_MS));
    s_send(client, "hello");
    s_received_t got;
    assert_true(s_server_recv(fx, &got));
    assert_string_equal(got.body, "hello");
    assert_non_null(got.role);
    assert_string_equal(got.role, "unit");
    assert_non_null(got.unit);
    assert_string_equal(got.unit, "customs");
    assert_non_null(got.user);
    assert_string_equal(got.user, "customs");
    assert_non_null(got.key);
    assert_string_equal(got.key, key);
    assert_true(broker_auth_trusts(fx->auth, got.key));
    assert_true(broker_auth_allows(got.role, BROKER_AUTH_DOMAIN_API, "SUBMIT"));
    uint64_t admitted = 0, refused = 0;
    broker_auth_counts(fx->auth, &admitted, &refused);
    assert_int_equal(admitted, 1);
    assert_int_equal(refused, 0);
}

static void
test_office_on_api_has_no_unit_property(void **state)
{
    fixture_t *fx = *state;
    s_server(fx, BROKER_AUTH_DOMAIN_API);
    zsock_t *client = s_client(fx, "office");
    assert_ok(dajia_keydir_connect(client, fx->endpoint, S_CONNECT_MS));
    s_send(client, "STATS");
    s_received_t got;
    assert_true(s_server_recv(fx, &got));
    assert_string_equal(got.role, "office");
    assert_null(got.unit);
    assert_string_equal(got.user, "office");
    /* any unit's events (the import of history): no unit property to match */
    assert_true(broker_auth_allows(got.role, BROKER_AUTH_DOMAIN_API, "SUBMIT"));
    assert_true(broker_auth_allows(got.role, BROKER_AUTH_DOMAIN_API, "STATS"));
}

static void
test_worker_role_is_admitted_on_workers(void **state)
{
    fixture_t *fx = *state;
    s_server(fx, BROKER_AUTH_DOMAIN_WORKERS);
    zsock_t *worker = s_client(fx, "worker-aggregate");
    assert_ok(dajia_keydir_connect(worker, fx->endpoint, S_CONNECT_MS));
    s_send(worker, "READY");
    s_received_t got;
    assert_true(s_server_recv(fx, &got));
    assert_string_equal(got.role, "worker");
    assert_string_equal(got.user, "worker-aggregate");
    /* A unit key is not a worker. */
    zsock_t *unit = s_client(fx, "psb");
    assert_int_equal(dajia_keydir_connect(unit, fx->endpoint, S_CONNECT_MS), DAJIA_KEYDIR_REFUSED);
    s_try_send(unit, "READY");
    assert_false(s_server_recv(fx, &got));
}

/* ====================================================================== refused */

static void
test_unknown_key_is_refused_and_nothing_arrives(void **state)
{
    fixture_t *fx = *state;
    s_server(fx, BROKER_AUTH_DOMAIN_API);
    zcert_t *stranger = zcert_new();
    assert_non_null(stranger);
    char key[DAJIA_KEYDIR_KEY_TXT];
    strcpy(key, zcert_public_txt(stranger));
    zsock_t *client = s_client_with(fx, &stranger);
    assert_int_equal(dajia_keydir_connect(client, fx->endpoint, S_CONNECT_MS),
                     DAJIA_KEYDIR_REFUSED);
    s_try_send(client, "SUBMIT");
    s_received_t got;
    assert_false(s_server_recv(fx, &got));
    assert_false(broker_auth_trusts(fx->auth, key));
    uint64_t admitted = 0, refused = 0;
    broker_auth_counts(fx->auth, &admitted, &refused);
    assert_int_equal(admitted, 0);
    assert_true(refused >= 1);
}

static void
test_revoked_key_is_refused_after_reload(void **state)
{
    fixture_t *fx = *state;
    s_server(fx, BROKER_AUTH_DOMAIN_API);
    zcert_t *cert = NULL, *copy = NULL;
    assert_ok(dajia_keydir_load(fx->dir, "customs", &cert));
    copy = zcert_dup(cert); /* the revoke deletes the secret file */
    char key[DAJIA_KEYDIR_KEY_TXT];
    strcpy(key, zcert_public_txt(cert));
    zsock_t *before = s_client_with(fx, &cert);
    assert_ok(dajia_keydir_connect(before, fx->endpoint, S_CONNECT_MS));
    size_t trusted = broker_auth_size(fx->auth);

    assert_ok(dajia_keydir_revoke(fx->dir, "customs", NULL));
    assert_ok(broker_auth_reload(fx->auth));
    assert_int_equal(broker_auth_size(fx->auth), trusted - 1);
    /* The connection made before keeps its metadata; the broker asks trusts(). */
    assert_false(broker_auth_trusts(fx->auth, key));
    zsock_t *after = s_client_with(fx, &copy);
    assert_int_equal(dajia_keydir_connect(after, fx->endpoint, S_CONNECT_MS), DAJIA_KEYDIR_REFUSED);
    s_try_send(after, "SUBMIT");
    s_received_t got;
    assert_false(s_server_recv(fx, &got));
    /* Others are unaffected. */
    zsock_t *psb = s_client(fx, "psb");
    assert_ok(dajia_keydir_connect(psb, fx->endpoint, S_CONNECT_MS));
}

/* Replaces the first `from` in the file at `path` with `to`, as an editor would. */
static void
s_replace_in_file(const char *path, const char *from, const char *to)
{
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    char text[4096] = "", edited[4096 + 64];
    size_t len = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[len] = 0;
    char *at = strstr(text, from);
    assert_non_null(at);
    snprintf(edited, sizeof edited, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    file = fopen(path, "w");
    assert_non_null(file);
    assert_int_equal(fputs(edited, file) >= 0, 1);
    assert_int_equal(fclose(file), 0);
}

/* broker_auth_withdrawn() counts what a reload takes away from connections that are
   already open: a revoked key, a certificate gone from public/, a certificate whose
   role or unit changed. A key added takes nothing away. */
static void
test_withdrawn_counts_revoked_removed_and_changed_keys(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(broker_auth_withdrawn(fx->auth), 0);

    assert_ok(dajia_keydir_add(fx->dir, "dashboard", NULL, "wall", NULL));
    assert_ok(broker_auth_reload(fx->auth));
    assert_int_equal(broker_auth_withdrawn(fx->auth), 0);

    assert_ok(dajia_keydir_revoke(fx->dir, "customs", NULL));
    assert_ok(broker_auth_reload(fx->auth));
    assert_int_equal(broker_auth_withdrawn(fx->auth), 1);

    /* psb's certificate now says dashboard: its open connections carry role unit. */
    char path[160];
    snprintf(path, sizeof path, "%s/public/psb.cert", fx->dir);
    s_replace_in_file(path, "role = \"unit\"", "role = \"dashboard\"");
    assert_ok(broker_auth_reload(fx->auth));
    assert_int_equal(broker_auth_withdrawn(fx->auth), 2);

    char gone[160];
    snprintf(path, sizeof path, "%s/public/wall.cert", fx->dir);
    snprintf(gone, sizeof gone, "%s/wall.cert.removed", fx->root);
    assert_int_equal(rename(path, gone), 0);
    assert_ok(broker_auth_reload(fx->auth));
    assert_int_equal(broker_auth_withdrawn(fx->auth), 3);

    /* A reload that changes nothing takes nothing away. */
    assert_ok(broker_auth_reload(fx->auth));
    assert_int_equal(broker_auth_withdrawn(fx->auth), 3);
}

static void
test_watch_applies_a_revoke_without_reload(void **state)
{
    fixture_t *fx = *state;
    char key[DAJIA_KEYDIR_KEY_TXT];
    s_key_of(fx, "psb", key);
    assert_true(broker_auth_trusts(fx->auth, key));
    assert_ok(dajia_keydir_revoke(fx->dir, "psb", NULL));
    int64_t deadline = zclock_mono() + S_WATCH_WAIT_MS;
    while (broker_auth_trusts(fx->auth, key) && zclock_mono() < deadline)
        zclock_sleep(20);
    assert_false(broker_auth_trusts(fx->auth, key));
    /* And an added certificate is picked up the same way. */
    dajia_keydir_entry_t made;
    assert_ok(dajia_keydir_add(fx->dir, "unit", "tax", NULL, &made));
    deadline = zclock_mono() + S_WATCH_WAIT_MS;
    while (!broker_auth_trusts(fx->auth, made.public_txt) && zclock_mono() < deadline)
        zclock_sleep(20);
    assert_true(broker_auth_trusts(fx->auth, made.public_txt));
}

static void
test_unit_on_the_office_feed_is_refused(void **state)
{
    fixture_t *fx = *state;
    s_server(fx, BROKER_AUTH_DOMAIN_OFFICE);
    zsock_t *unit = s_client(fx, "customs");
    assert_int_equal(dajia_keydir_connect(unit, fx->endpoint, S_CONNECT_MS), DAJIA_KEYDIR_REFUSED);
    s_try_send(unit, "SUBSCRIBE");
    s_received_t got;
    assert_false(s_server_recv(fx, &got));
    zsock_t *dashboard = s_client(fx, "dashboard");
    assert_int_equal(dajia_keydir_connect(dashboard, fx->endpoint, S_CONNECT_MS),
                     DAJIA_KEYDIR_REFUSED);
    zsock_t *office = s_client(fx, "office");
    assert_ok(dajia_keydir_connect(office, fx->endpoint, S_CONNECT_MS));
    s_try_send(office, "SUBSCRIBE");
    assert_true(s_server_recv(fx, &got));
    assert_string_equal(got.role, "office");
}

static void
test_public_feed_admits_units_and_dashboards_but_not_workers(void **state)
{
    fixture_t *fx = *state;
    s_server(fx, BROKER_AUTH_DOMAIN_PUBLIC);
    assert_ok(dajia_keydir_connect(s_client(fx, "psb"), fx->endpoint, S_CONNECT_MS));
    assert_ok(dajia_keydir_connect(s_client(fx, "dashboard"), fx->endpoint, S_CONNECT_MS));
    assert_int_equal(
        dajia_keydir_connect(s_client(fx, "worker-escalate"), fx->endpoint, S_CONNECT_MS),
        DAJIA_KEYDIR_REFUSED);
    assert_int_equal(dajia_keydir_connect(s_client(fx, "admin"), fx->endpoint, S_CONNECT_MS),
                     DAJIA_KEYDIR_REFUSED);
}

static void
test_wrong_broker_key_never_connects(void **state)
{
    fixture_t *fx = *state;
    s_server(fx, BROKER_AUTH_DOMAIN_API);
    zcert_t *cert = NULL, *impostor = zcert_new();
    assert_non_null(impostor);
    assert_ok(dajia_keydir_load(fx->dir, "customs", &cert));
    zsock_t *client = zsock_new(ZMQ_DEALER);
    assert_non_null(client);
    fx->clients[fx->nclients++] = client;
    assert_ok(dajia_keydir_apply(client, cert, zcert_public_txt(impostor)));
    zcert_destroy(&cert);
    zcert_destroy(&impostor);
    int rc = dajia_keydir_connect(client, fx->endpoint, 1000);
    assert_true(rc == DAJIA_KEYDIR_HANDSHAKE || rc == -ETIMEDOUT);
    s_send(client, "SUBMIT");
    s_received_t got;
    assert_false(s_server_recv(fx, &got));
}

/* ====================================================================== NULL */

static void
test_null_mechanism_on_ipc_gets_role_local(void **state)
{
    fixture_t *fx = *state;
    fx->server = zsock_new(ZMQ_ROUTER);
    assert_non_null(fx->server);
    zsock_set_zap_domain(fx->server, BROKER_AUTH_DOMAIN_API);
    zsock_set_rcvtimeo(fx->server, S_CONNECT_MS);
    snprintf(fx->endpoint, sizeof fx->endpoint, "ipc://%s/api.sock", fx->root);
    assert_int_equal(zsock_bind(fx->server, "%s", fx->endpoint), 0);
    zsock_t *client = zsock_new(ZMQ_DEALER);
    assert_non_null(client);
    fx->clients[fx->nclients++] = client;
    assert_ok(dajia_keydir_connect(client, fx->endpoint, S_CONNECT_MS));
    s_send(client, "STATS");
    s_received_t got;
    assert_true(s_server_recv(fx, &got));
    assert_non_null(got.role);
    assert_string_equal(got.role, BROKER_AUTH_ROLE_LOCAL);
    assert_null(got.unit);
    assert_null(got.key);
}

/* ====================================================================== loading */

static void
test_bad_certificates_are_skipped_and_revocation_wins(void **state)
{
    fixture_t *fx = *state;
    size_t before = broker_auth_size(fx->auth);
    char path[256], key[DAJIA_KEYDIR_KEY_TXT], secret[DAJIA_KEYDIR_KEY_TXT];
    /* A certificate claiming role "local" (only NULL peers get that role). */
    assert_int_equal(zmq_curve_keypair(key, secret), 0);
    snprintf(path, sizeof path, "%s/public/sneaky.cert", fx->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "metadata\n    role = \"local\"\ncurve\n    public-key = \"%s\"\n", key);
    fclose(f);
    /* A unit certificate without its unit. */
    snprintf(path, sizeof path, "%s/public/nounit.cert", fx->dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "metadata\n    role = \"unit\"\ncurve\n    public-key = \"%s\"\n", key);
    fclose(f);
    /* Garbage. */
    snprintf(path, sizeof path, "%s/public/junk.cert", fx->dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("\x01\x02 not a certificate", f);
    fclose(f);
    /* A revoked certificate copied back into public/. */
    char psb[DAJIA_KEYDIR_KEY_TXT];
    s_key_of(fx, "psb", psb);
    char from[256];
    snprintf(from, sizeof from, "%s/public/psb.cert", fx->dir);
    assert_ok(dajia_keydir_revoke(fx->dir, "psb", NULL));
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cp %s/revoked/psb-*.cert '%s'", fx->dir, from);
    assert_int_equal(system(cmd), 0);

    assert_ok(broker_auth_reload(fx->auth));
    assert_false(broker_auth_trusts(fx->auth, key));
    assert_false(broker_auth_trusts(fx->auth, psb));
    assert_int_equal(broker_auth_size(fx->auth), before - 1);
}

static void
test_start_reports_missing_keys_bad_modes_and_a_busy_zap_endpoint(void **state)
{
    fixture_t *fx = *state;
    broker_auth_t *other = NULL;
    /* One handler per context: ours is running. */
    assert_int_equal(broker_auth_start(fx->dir, &other), BROKER_AUTH_ZAPBUSY);
    assert_null(other);
    broker_auth_destroy(&fx->auth);

    char path[256];
    snprintf(path, sizeof path, "%s/nothing", fx->root);
    assert_int_equal(broker_auth_start(path, &other), BROKER_AUTH_NOKEYS);
    snprintf(path, sizeof path, "%s/broker.cert_secret", fx->dir);
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(broker_auth_start(fx->dir, &other), BROKER_AUTH_BADMODE);
    assert_int_equal(chmod(path, 0600), 0);
    snprintf(path, sizeof path, "%s/public", fx->dir);
    char moved[256];
    snprintf(moved, sizeof moved, "%s/public.away", fx->dir);
    assert_int_equal(rename(path, moved), 0);
    assert_int_equal(broker_auth_start(fx->dir, &other), BROKER_AUTH_NOKEYS);
    assert_int_equal(rename(moved, path), 0);
    assert_null(other);
    /* And it starts again once all is well: the failed starts left nothing bound. */
    assert_ok(broker_auth_start(fx->dir, &fx->auth));
    assert_int_equal(broker_auth_size(fx->auth), 2 + 6);
}

static void
test_apply_server_refuses_an_unknown_domain(void **state)
{
    fixture_t *fx = *state;
    fx->server = zsock_new(ZMQ_ROUTER);
    assert_non_null(fx->server);
    assert_int_equal(broker_auth_apply_server(fx->auth, fx->server, "admin"),
                     BROKER_AUTH_BADDOMAIN);
    assert_int_equal(broker_auth_apply_server(fx->auth, fx->server, NULL), BROKER_AUTH_BADDOMAIN);
    assert_int_equal(strlen(broker_auth_public_key(fx->auth)), 40);
    char key[DAJIA_KEYDIR_KEY_TXT];
    assert_ok(dajia_keydir_broker_key(fx->dir, key));
    assert_string_equal(broker_auth_public_key(fx->auth), key);
}

/* ====================================================================== rules */

static void
test_rules_match_the_roles_of_each_command(void **state)
{
    (void)state;
    const char *api = BROKER_AUTH_DOMAIN_API, *office = BROKER_AUTH_DOMAIN_OFFICE,
               *pub = BROKER_AUTH_DOMAIN_PUBLIC, *workers = BROKER_AUTH_DOMAIN_WORKERS;
    /* Connecting. */
    assert_true(broker_auth_allows("unit", api, NULL));
    assert_true(broker_auth_allows("dashboard", api, NULL));
    assert_true(broker_auth_allows("admin", api, NULL));
    assert_false(broker_auth_allows("worker", api, NULL));
    assert_true(broker_auth_allows("office", office, NULL));
    assert_false(broker_auth_allows("unit", office, NULL));
    assert_false(broker_auth_allows("admin", office, NULL));
    assert_true(broker_auth_allows("unit", pub, NULL));
    assert_false(broker_auth_allows("admin", pub, NULL));
    assert_true(broker_auth_allows("worker", workers, NULL));
    assert_false(broker_auth_allows("office", workers, NULL));
    /* Commands. */
    assert_true(broker_auth_allows("unit", api, "SUBMIT"));
    assert_false(broker_auth_allows("dashboard", api, "SUBMIT"));
    /* The Office's import of history: office and admin submit too. */
    assert_true(broker_auth_allows("office", api, "SUBMIT"));
    assert_true(broker_auth_allows("admin", api, "SUBMIT"));
    assert_true(broker_auth_allows("admin", api, "STATS"));
    assert_true(broker_auth_allows("office", api, "STATS"));
    assert_false(broker_auth_allows("unit", api, "STATS"));
    assert_false(broker_auth_allows("dashboard", api, "STATS"));
    assert_false(broker_auth_allows("unit", api, "NOSUCH"));
    assert_true(broker_auth_allows("office", office, "REPLAY"));
    assert_false(broker_auth_allows("unit", office, "REPLAY"));
    assert_false(broker_auth_allows("dashboard", office, "REPLAY"));
    assert_true(broker_auth_allows("unit", pub, "REPLAY"));
    assert_true(broker_auth_allows("dashboard", pub, "REPLAY"));
    assert_true(broker_auth_allows("office", pub, "REPLAY"));
    assert_false(broker_auth_allows("worker", pub, "REPLAY"));
    assert_true(broker_auth_allows("worker", workers, "DONE"));
    assert_false(broker_auth_allows("unit", workers, "DONE"));
    /* Local peers may do all; no role and unknown domains nothing. */
    assert_true(broker_auth_allows("local", api, "SUBMIT"));
    assert_true(broker_auth_allows("local", office, "REPLAY"));
    assert_false(broker_auth_allows("local", "nowhere", NULL));
    assert_false(broker_auth_allows(NULL, api, "SUBMIT"));
    assert_false(broker_auth_allows("unit", NULL, "SUBMIT"));
    assert_false(broker_auth_allows("root", api, "STATS"));
    /* Words for refusals. */
    assert_string_equal(broker_auth_needs(api, "SUBMIT"), "the unit, office or admin role");
    assert_string_equal(broker_auth_needs(office, "REPLAY"), "the office role");
    assert_non_null(strstr(broker_auth_needs(api, "STATS"), "admin"));
}

int
main(void)
{
    zsys_init();
    dajia_log_set_ident("test_broker_auth");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_known_unit_is_admitted_with_role_unit_and_key_metadata,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_office_on_api_has_no_unit_property, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worker_role_is_admitted_on_workers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key_is_refused_and_nothing_arrives, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_revoked_key_is_refused_after_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_withdrawn_counts_revoked_removed_and_changed_keys,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_applies_a_revoke_without_reload, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unit_on_the_office_feed_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_public_feed_admits_units_and_dashboards_but_not_workers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_broker_key_never_connects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_mechanism_on_ipc_gets_role_local, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_certificates_are_skipped_and_revocation_wins,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_start_reports_missing_keys_bad_modes_and_a_busy_zap_endpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_server_refuses_an_unknown_domain, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rules_match_the_roles_of_each_command, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
