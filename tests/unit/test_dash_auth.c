/*  test_dash_auth: the dashboard's users file (dash_users) and its sessions, cookies and
    login throttling (dash_auth). Each password check costs an Argon2id hash (64 MiB, a
    fraction of a second): the tests make few. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "dash_auth.h"
#include "dash_users.h"
#include "test_util.h"

#define T_NOW 1795996800000LL

typedef struct {
    char dir[TEST_UTIL_DIR_MAX];
    char file[TEST_UTIL_DIR_MAX + 32];
} t_fixture_t;

static int
t_setup(void **state)
{
    t_fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx || test_util_dir_make(fx->dir, sizeof fx->dir, "dashauth") != 0)
        return -1;
    snprintf(fx->file, sizeof fx->file, "%s/var/users", fx->dir);
    /* Two users for every test: an office user and a viewer. */
    if (dash_users_add(fx->file, "alice", DASH_ROLE_OFFICE, "alice-password") != 0 ||
        dash_users_add(fx->file, "bob", DASH_ROLE_VIEWER, "bob-password-1") != 0)
        return -1;
    *state = fx;
    return 0;
}

static int
t_teardown(void **state)
{
    t_fixture_t *fx = *state;
    if (fx)
        test_util_dir_remove(fx->dir);
    free(fx);
    return 0;
}

static void
test_users_file_add_verify_remove(void **state)
{
    t_fixture_t *fx = *state;
    struct stat st;
    assert_int_equal(stat(fx->file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    dash_users_t *users = NULL;
    assert_ok(dash_users_load(fx->file, false, &users, NULL));
    assert_int_equal(dash_users_count(users), 2);
    dash_role_t role = DASH_ROLE_NONE;
    assert_string_equal(dash_users_name(users, 1, &role), "bob");
    assert_int_equal(role, DASH_ROLE_VIEWER);
    assert_ok(dash_users_verify(users, "alice", "alice-password", &role));
    assert_int_equal(role, DASH_ROLE_OFFICE);
    assert_int_equal(dash_users_verify(users, "alice", "bob-password-1", &role), DASH_USERS_DENIED);
    assert_int_equal(dash_users_verify(users, "nobody", "alice-password", &role),
                     DASH_USERS_DENIED);
    dash_users_destroy(&users);
    assert_null(users);

    /* The file holds hashes, never a password. */
    FILE *f = fopen(fx->file, "r");
    char text[2048] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_null(strstr(text, "alice-password"));
    assert_non_null(strstr(text, "alice:office:$argon2id$"));

    assert_int_equal(dash_users_add(fx->file, "alice", DASH_ROLE_VIEWER, "another-password"),
                     DASH_USERS_EXISTS);
    assert_int_equal(dash_users_add(fx->file, "c d", DASH_ROLE_VIEWER, "another-password"),
                     DASH_USERS_BADNAME);
    assert_int_equal(dash_users_add(fx->file, "carol", DASH_ROLE_NONE, "another-password"),
                     DASH_USERS_BADROLE);
    assert_int_equal(dash_users_add(fx->file, "carol", DASH_ROLE_VIEWER, "short"), DASH_USERS_WEAK);
    assert_ok(dash_users_remove(fx->file, "bob"));
    assert_int_equal(dash_users_remove(fx->file, "bob"), DASH_USERS_NOTFOUND);
    assert_ok(dash_users_load(fx->file, false, &users, NULL));
    assert_int_equal(dash_users_count(users), 1);
    dash_users_destroy(&users);

    dash_role_t r;
    assert_ok(dash_role_parse("office", &r));
    assert_int_equal(dash_role_parse("admin", &r), DASH_USERS_BADROLE);
}

static void
test_users_file_refused_when_others_may_read_it_or_damaged(void **state)
{
    t_fixture_t *fx = *state;
    dash_users_t *users = NULL;
    assert_int_equal(chmod(fx->file, 0644), 0);
    assert_int_equal(dash_users_load(fx->file, false, &users, NULL), DASH_USERS_BADMODE);
    assert_null(users);
    assert_int_equal(chmod(fx->file, 0600), 0);

    FILE *f = fopen(fx->file, "a");
    fputs("mallory:root:$argon2id$x\n", f);
    fclose(f);
    size_t line = 0;
    assert_int_equal(dash_users_load(fx->file, false, &users, &line), DASH_USERS_BADLINE);
    assert_int_equal(line, 4); /* the comment, alice, bob, then this */

    char missing[TEST_UTIL_DIR_MAX + 32];
    snprintf(missing, sizeof missing, "%s/none", fx->dir);
    assert_int_equal(dash_users_load(missing, false, &users, NULL), -ENOENT);
    assert_ok(dash_users_load(missing, true, &users, NULL));
    assert_int_equal(dash_users_count(users), 0);
    dash_users_destroy(&users);
}

static void
test_sessions_and_cookies(void **state)
{
    t_fixture_t *fx = *state;
    dash_users_t *users = NULL;
    assert_ok(dash_users_load(fx->file, false, &users, NULL));
    dash_auth_t *auth = dash_auth_new(users);
    assert_non_null(auth);
    char token[DASH_AUTH_TOKEN_MAX];
    int64_t retry = 0;
    assert_int_equal(
        dash_auth_login(auth, "127.0.0.1", "bob", "bob-password-1", T_NOW, token, &retry),
        DASH_AUTH_OK);
    assert_int_equal(strlen(token), 64);
    char user[DASH_USERS_NAME_MAX + 1];
    dash_role_t role;
    assert_true(dash_auth_session(auth, token, T_NOW + 1000, user, &role));
    assert_string_equal(user, "bob");
    assert_int_equal(role, DASH_ROLE_VIEWER);
    /* A token one character off, or of another length, is no session. */
    char forged[DASH_AUTH_TOKEN_MAX];
    memcpy(forged, token, sizeof forged);
    forged[0] = forged[0] == 'a' ? 'b' : 'a';
    assert_false(dash_auth_session(auth, forged, T_NOW, user, &role));
    assert_false(dash_auth_session(auth, "abc", T_NOW, user, &role));
    assert_false(dash_auth_session(auth, NULL, T_NOW, user, &role));
    /* Idle too long: gone. */
    assert_true(dash_auth_session(auth, token, T_NOW + DASH_AUTH_IDLE_MS, user, &role));
    assert_false(dash_auth_session(auth, token, T_NOW + 2 * DASH_AUTH_IDLE_MS + 1, user, &role));
    /* Logout ends a session. */
    assert_int_equal(
        dash_auth_login(auth, "127.0.0.1", "alice", "alice-password", T_NOW, token, &retry),
        DASH_AUTH_OK);
    assert_int_equal(dash_auth_sessions(auth), 1);
    dash_auth_logout(auth, token);
    assert_false(dash_auth_session(auth, token, T_NOW, user, &role));

    char cookie[256];
    dash_auth_cookie(token, false, cookie, sizeof cookie);
    assert_true(strncmp(cookie, "dajia_session=", 14) == 0);
    assert_non_null(strstr(cookie, "; Path=/; HttpOnly; SameSite=Strict; Max-Age=86400"));
    assert_null(strstr(cookie, "Secure"));
    dash_auth_cookie(token, true, cookie, sizeof cookie);
    assert_true(strncmp(cookie, "__Host-dajia_session=", 21) == 0);
    assert_non_null(strstr(cookie, "; Secure"));
    dash_auth_cookie(NULL, true, cookie, sizeof cookie);
    assert_non_null(strstr(cookie, "Max-Age=0"));
    dash_auth_destroy(&auth);
    assert_null(auth);
    dash_users_destroy(&users);
}

static void
test_failed_logins_are_throttled(void **state)
{
    t_fixture_t *fx = *state;
    dash_users_t *users = NULL;
    assert_ok(dash_users_load(fx->file, false, &users, NULL));
    dash_auth_t *auth = dash_auth_new(users);
    char token[DASH_AUTH_TOKEN_MAX];
    int64_t retry = 0, now = T_NOW;
    for (int i = 0; i < DASH_AUTH_FREE_FAILURES; i++)
        assert_int_equal(
            dash_auth_login(auth, "10.0.0.9", "alice", "wrong-password", now, token, &retry),
            DASH_AUTH_DENIED);
    /* Now even the right password waits, unchecked, from this address and for this name. */
    assert_int_equal(
        dash_auth_login(auth, "10.0.0.9", "alice", "alice-password", now, token, &retry),
        DASH_AUTH_THROTTLED);
    assert_int_equal(retry, 1000);
    assert_int_equal(
        dash_auth_login(auth, "10.0.0.7", "alice", "alice-password", now, token, &retry),
        DASH_AUTH_THROTTLED);
    /* Another name from another address is not held up. */
    assert_int_equal(dash_auth_login(auth, "10.0.0.7", "bob", "bob-password-1", now, token, &retry),
                     DASH_AUTH_OK);
    /* Each further failure doubles the wait. */
    now += 1000;
    assert_int_equal(
        dash_auth_login(auth, "10.0.0.9", "alice", "wrong-password", now, token, &retry),
        DASH_AUTH_DENIED);
    assert_int_equal(
        dash_auth_login(auth, "10.0.0.9", "alice", "alice-password", now + 1000, token, &retry),
        DASH_AUTH_THROTTLED);
    assert_int_equal(retry, 1000);
    /* After the wait the right password gets in, and the count starts again. */
    assert_int_equal(
        dash_auth_login(auth, "10.0.0.9", "alice", "alice-password", now + 2000, token, &retry),
        DASH_AUTH_OK);
    assert_int_equal(
        dash_auth_login(auth, "10.0.0.9", "alice", "wrong-password", now + 2000, token, &retry),
        DASH_AUTH_DENIED);
    assert_int_equal(
        dash_auth_login(auth, "10.0.0.9", "alice", "alice-password", now + 2000, token, &retry),
        DASH_AUTH_OK);
    dash_auth_destroy(&auth);
    dash_users_destroy(&users);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_users_file_add_verify_remove, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(test_users_file_refused_when_others_may_read_it_or_damaged,
                                        t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(test_sessions_and_cookies, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(test_failed_logins_are_throttled, t_setup, t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
