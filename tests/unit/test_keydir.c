/*  Unit tests for dajia_keydir: the key directory (init, add, revoke, list), its file
    modes, the errors it gives, loading a client's own key pair, and key files (export,
    import). */
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

#include "dajia_keydir.h"
#include "test_util.h"

typedef struct {
    char root[64]; /* the mkdtemp directory */
    char dir[96];  /* the key directory inside it (made by init) */
} fixture_t;

static const char *const s_units[] = {"customs", "psb"};
#define S_UNITS 2
#define S_FIXED 6 /* office, dashboard, admin, three workers */

static int
setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    if (test_util_dir_make(fx->root, sizeof fx->root, "keys") != 0) {
        free(fx);
        return -1;
    }
    snprintf(fx->dir, sizeof fx->dir, "%s/keys", fx->root);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *fx = *state;
    int rc = test_util_dir_remove(fx->root);
    free(fx);
    return rc == 0 ? 0 : -1;
}

static char *
s_path(const fixture_t *fx, const char *rel)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", fx->dir, rel);
    return path;
}

static int
s_mode(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return -1;
    return (int)(st.st_mode & 07777);
}

static void
s_init(fixture_t *fx)
{
    assert_ok(dajia_keydir_init(fx->dir, s_units, S_UNITS));
}

static const dajia_keydir_entry_t *
s_find(const dajia_keydir_entry_t *entries, size_t count, const char *name, bool revoked)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(entries[i].name, name) == 0 && entries[i].revoked == revoked)
            return &entries[i];
    return NULL;
}

/* Like s_find, failing the test when the entry is missing. */
static const dajia_keydir_entry_t *
s_get(const dajia_keydir_entry_t *entries, size_t count, const char *name, bool revoked)
{
    static const dajia_keydir_entry_t none;
    const dajia_keydir_entry_t *e = s_find(entries, count, name, revoked);
    if (!e)
        fail_msg("no %s certificate \"%s\" listed", revoked ? "revoked" : "trusted", name);
    return e ? e : &none;
}

static void
s_write(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

/* ====================================================================== init */

static void
test_init_makes_the_layout_with_private_modes(void **state)
{
    fixture_t *fx = *state;
    umask(022);
    s_init(fx);
    assert_int_equal(s_mode(fx->dir), 0700);
    assert_int_equal(s_mode(s_path(fx, "public")), 0700);
    assert_int_equal(s_mode(s_path(fx, "secret")), 0700);
    assert_int_equal(s_mode(s_path(fx, "revoked")), 0700);
    assert_int_equal(s_mode(s_path(fx, "broker.cert_secret")), 0600);
    assert_int_equal(s_mode(s_path(fx, "broker.cert")), 0644);
    static const char *const names[] = {"customs",         "psb",
                                        "office",          "dashboard",
                                        "admin",           "worker-aggregate",
                                        "worker-escalate", "worker-circulate"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "secret/%s.cert_secret", names[i]);
        assert_int_equal(s_mode(s_path(fx, rel)), 0600);
        snprintf(rel, sizeof rel, "public/%s.cert", names[i]);
        assert_int_equal(s_mode(s_path(fx, rel)), 0644);
    }
    /* No temporary file is left behind. */
    assert_int_equal(access(s_path(fx, "public/.customs.cert.tmp"), F_OK), -1);
}

static void
test_init_lists_every_certificate_with_its_role_and_unit(void **state)
{
    fixture_t *fx = *state;
    s_init(fx);
    dajia_keydir_entry_t *entries = NULL;
    size_t count = 0;
    assert_ok(dajia_keydir_list(fx->dir, &entries, &count));
    assert_int_equal(count, S_UNITS + S_FIXED);
    const dajia_keydir_entry_t *e = s_get(entries, count, "customs", false);
    assert_string_equal(e->role, "unit");
    assert_string_equal(e->unit, "customs");
    assert_int_equal(strlen(e->public_txt), 40);
    assert_false(e->damaged);
    e = s_get(entries, count, "office", false);
    assert_string_equal(e->role, "office");
    assert_string_equal(e->unit, "");
    e = s_get(entries, count, "worker-escalate", false);
    assert_string_equal(e->role, "worker");
    assert_string_equal(s_get(entries, count, "admin", false)->role, "admin");
    assert_string_equal(s_get(entries, count, "dashboard", false)->role, "dashboard");
    /* Sorted by name, and every key differs. */
    for (size_t i = 1; i < count; i++) {
        assert_true(strcmp(entries[i - 1].name, entries[i].name) < 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(entries[i].public_txt, entries[j].public_txt);
    }
    free(entries);
}

static void
test_init_twice_returns_exists_and_keeps_the_keys(void **state)
{
    fixture_t *fx = *state;
    s_init(fx);
    char before[DAJIA_KEYDIR_KEY_TXT], after[DAJIA_KEYDIR_KEY_TXT];
    assert_ok(dajia_keydir_broker_key(fx->dir, before));
    assert_int_equal(dajia_keydir_init(fx->dir, s_units, S_UNITS), DAJIA_KEYDIR_EXISTS);
    assert_ok(dajia_keydir_broker_key(fx->dir, after));
    assert_string_equal(before, after);
}

static void
test_init_checks_every_unit_before_writing(void **state)
{
    fixture_t *fx = *state;
    const char *repeated[] = {"customs", "tax", "customs"};
    assert_int_equal(dajia_keydir_init(fx->dir, repeated, 3), DAJIA_KEYDIR_EXISTS);
    const char *bad[] = {"customs", "../etc"};
    assert_int_equal(dajia_keydir_init(fx->dir, bad, 2), DAJIA_KEYDIR_BADUNIT);
    const char *clash[] = {"office"}; /* a unit named like the Office's certificate */
    assert_int_equal(dajia_keydir_init(fx->dir, clash, 1), DAJIA_KEYDIR_EXISTS);
    const char *hidden[] = {".hidden"};
    assert_int_equal(dajia_keydir_init(fx->dir, hidden, 1), DAJIA_KEYDIR_BADUNIT);
    /* Nothing was written by any of them. */
    assert_int_equal(access(fx->dir, F_OK), -1);
    assert_int_equal(errno, ENOENT);
}

static void
test_broker_key_reads_back_through_zcert(void **state)
{
    fixture_t *fx = *state;
    s_init(fx);
    char key[DAJIA_KEYDIR_KEY_TXT];
    assert_ok(dajia_keydir_broker_key(fx->dir, key));
    /* The files are ordinary czmq certificates. */
    zcert_t *pair = zcert_load(s_path(fx, "broker.cert"));
    assert_non_null(pair);
    assert_string_equal(zcert_public_txt(pair), key);
    /* zcert_load found the _secret file beside it. */
    assert_string_not_equal(zcert_secret_txt(pair), "0000000000000000000000000000000000000000");
    zcert_destroy(&pair);
}

/* ====================================================================== add */

static void
test_add_unit_then_load_gives_its_key_pair_and_metadata(void **state)
{
    fixture_t *fx = *state;
    s_init(fx);
    dajia_keydir_entry_t made;
    assert_ok(dajia_keydir_add(fx->dir, "unit", "tax", NULL, &made));
    assert_string_equal(made.name, "tax");
    assert_string_equal(made.role, "unit");
    assert_string_equal(made.unit, "tax");
    assert_int_equal(s_mode(s_path(fx, "secret/tax.cert_secret")), 0600);
    zcert_t *cert = NULL;
    assert_ok(dajia_keydir_load(fx->dir, "tax", &cert));
    assert_string_equal(zcert_public_txt(cert), made.public_txt);
    assert_string_equal(zcert_meta(cert, "role"), "unit");
    assert_string_equal(zcert_meta(cert, "unit"), "tax");
    assert_string_equal(zcert_meta(cert, "name"), "tax");
    /* The secret key belongs to the public one. */
    char derived[DAJIA_KEYDIR_KEY_TXT];
    assert_int_equal(zmq_curve_public(derived, zcert_secret_txt(cert)), 0);
    assert_string_equal(derived, made.public_txt);
    zcert_destroy(&cert);
}

static void
test_add_with_a_name_makes_a_second_dashboard(void **state)
{
    fixture_t *fx = *state;
    s_init(fx);
    assert_int_equal(dajia_keydir_add(fx->dir, "dashboard", NULL, NULL, NULL), DAJIA_KEYDIR_EXISTS);
    dajia_keydir_entry_t made;
    assert_ok(dajia_keydir_add(fx->dir, "dashboard", NULL, "dash-hall", &made));
    assert_string_equal(made.name, "dash-hall");
    assert_string_equal(made.role, "dashboard");
    zcert_t *cert = NULL;
    assert_ok(dajia_keydir_load(fx->dir, "dash-hall", &cert));
    assert_string_equal(zcert_meta(cert, "role"), "dashboard");
    assert_null(zcert_meta(cert, "unit"));
    zcert_destroy(&cert);
}

static void
test_add_refuses_what_it_cannot_make(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(dajia_keydir_add(fx->dir, "unit", "tax", NULL, NULL), DAJIA_KEYDIR_NOTFOUND);
    s_init(fx);
    assert_int_equal(dajia_keydir_add(fx->dir, "root", NULL, NULL, NULL), DAJIA_KEYDIR_BADROLE);
    assert_int_equal(dajia_keydir_add(fx->dir, "local", NULL, NULL, NULL), DAJIA_KEYDIR_BADROLE);
    assert_int_equal(dajia_keydir_add(fx->dir, NULL, NULL, NULL, NULL), DAJIA_KEYDIR_BADROLE);
    assert_int_equal(dajia_keydir_add(fx->dir, "unit", NULL, NULL, NULL), DAJIA_KEYDIR_NOUNIT);
    assert_int_equal(dajia_keydir_add(fx->dir, "unit", "", NULL, NULL), DAJIA_KEYDIR_NOUNIT);
    assert_int_equal(dajia_keydir_add(fx->dir, "unit", "a/b", NULL, NULL), DAJIA_KEYDIR_BADUNIT);
    assert_int_equal(dajia_keydir_add(fx->dir, "office", "tax", "o2", NULL), DAJIA_KEYDIR_BADUNIT);
    assert_int_equal(dajia_keydir_add(fx->dir, "admin", NULL, "broker", NULL),
                     DAJIA_KEYDIR_BADNAME);
    assert_int_equal(dajia_keydir_add(fx->dir, "admin", NULL, "../x", NULL), DAJIA_KEYDIR_BADNAME);
    assert_int_equal(dajia_keydir_add(fx->dir, "unit", "customs", NULL, NULL), DAJIA_KEYDIR_EXISTS);
    assert_int_equal(dajia_keydir_add(fx->dir, "worker", NULL, "customs", NULL),
                     DAJIA_KEYDIR_EXISTS);
    /* None of them left a file. */
    dajia_keydir_entry_t *entries = NULL;
    size_t count = 0;
    assert_ok(dajia_keydir_list(fx->dir, &entries, &count));
    assert_int_equal(count, S_UNITS + S_FIXED);
    free(entries);
}

/* ====================================================================== revoke */

static void
test_revoke_moves_the_cert_and_deletes_the_secret(void **state)
{
    fixture_t *fx = *state;
    s_init(fx);
    zcert_t *cert = NULL;
    assert_ok(dajia_keydir_load(fx->dir, "customs", &cert));
    dajia_keydir_entry_t gone;
    assert_ok(dajia_keydir_revoke(fx->dir, "customs", &gone));
    assert_true(gone.revoked);
    assert_string_equal(gone.role, "unit");
    assert_string_equal(gone.public_txt, zcert_public_txt(cert));
    assert_int_equal(access(s_path(fx, "public/customs.cert"), F_OK), -1);
    assert_int_equal(access(s_path(fx, "secret/customs.cert_secret"), F_OK), -1);
    zcert_t *again = NULL;
    assert_int_equal(dajia_keydir_load(fx->dir, "customs", &again), DAJIA_KEYDIR_NOTFOUND);
    assert_null(again);

    dajia_keydir_entry_t *entries = NULL;
    size_t count = 0;
    assert_ok(dajia_keydir_list(fx->dir, &entries, &count));
    assert_int_equal(count, S_UNITS + S_FIXED);
    assert_null(s_find(entries, count, "customs", false));
    const dajia_keydir_entry_t *e = s_get(entries, count, "customs", true);
    assert_string_equal(e->public_txt, zcert_public_txt(cert));
    assert_string_equal(e->unit, "customs");
    free(entries);
    zcert_destroy(&cert);

    assert_int_equal(dajia_keydir_revoke(fx->dir, "customs", NULL), DAJIA_KEYDIR_NOTFOUND);
    assert_int_equal(dajia_keydir_revoke(fx->dir, "nobody", NULL), DAJIA_KEYDIR_NOTFOUND);
    assert_int_equal(dajia_keydir_revoke(fx->dir, "../psb", NULL), DAJIA_KEYDIR_BADNAME);
}

static void
test_revoked_name_can_be_added_again_with_a_new_key(void **state)
{
    fixture_t *fx = *state;
    s_init(fx);
    dajia_keydir_entry_t old, fresh;
    assert_ok(dajia_keydir_revoke(fx->dir, "psb", &old));
    assert_ok(dajia_keydir_add(fx->dir, "unit", "psb", NULL, &fresh));
    assert_string_not_equal(old.public_txt, fresh.public_txt);
    assert_ok(dajia_keydir_revoke(fx->dir, "psb", NULL));
    assert_ok(dajia_keydir_add(fx->dir, "unit", "psb", NULL, NULL));

    dajia_keydir_entry_t *entries = NULL;
    size_t count = 0;
    assert_ok(dajia_keydir_list(fx->dir, &entries, &count));
    size_t active = 0, revoked = 0;
    for (size_t i = 0; i < count; i++)
        if (strcmp(entries[i].name, "psb") == 0)
            entries[i].revoked ? revoked++ : active++;
    assert_int_equal(active, 1);
    assert_int_equal(revoked, 2);
    /* The active one sorts first among its name. */
    size_t first = 0;
    while (first < count && strcmp(entries[first].name, "psb") != 0)
        first++;
    assert_true(first + 2 < count);
    assert_false(entries[first].revoked);
    assert_true(entries[first + 1].revoked);
    assert_true(entries[first + 2].revoked);
    free(entries);
}

/* ====================================================================== damaged */

static void
test_load_refuses_a_secret_others_can_read(void **state)
{
    fixture_t *fx = *state;
    s_init(fx);
    assert_int_equal(chmod(s_path(fx, "secret/psb.cert_secret"), 0644), 0);
    zcert_t *cert = NULL;
    assert_int_equal(dajia_keydir_load(fx->dir, "psb", &cert), DAJIA_KEYDIR_BADMODE);
    assert_null(cert);
}

static void
test_load_rejects_damaged_and_hostile_files(void **state)
{
    fixture_t *fx = *state;
    s_init(fx);
    char path[256];
    snprintf(path, sizeof path, "%s/junk.cert_secret", fx->root);
    zcert_t *cert = NULL;

    s_write(path, "this is not ZPL\n\t\tat all\n", 0600);
    assert_int_equal(dajia_keydir_load_file(path, &cert), DAJIA_KEYDIR_BADCERT);

    /* A format string in metadata (zcert_load would hand it to printf). */
    s_write(path,
            "metadata\n    name = \"%s%s%s%n\"\n    role = \"unit\"\n    unit = \"%s\"\n"
            "curve\n    public-key = \"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\"\n"
            "    secret-key = \"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6\"\n",
            0600);
    assert_int_equal(dajia_keydir_load_file(path, &cert), DAJIA_KEYDIR_BADCERT);

    /* A short key. */
    s_write(path, "curve\n    public-key = \"abc\"\n    secret-key = \"def\"\n", 0600);
    assert_int_equal(dajia_keydir_load_file(path, &cert), DAJIA_KEYDIR_BADCERT);

    /* A public certificate only: no secret to connect with. */
    assert_int_equal(dajia_keydir_load_file(s_path(fx, "public/psb.cert"), &cert),
                     DAJIA_KEYDIR_NOSECRET);
    assert_int_equal(dajia_keydir_load_file(s_path(fx, "nothing"), &cert), DAJIA_KEYDIR_NOTFOUND);
    assert_null(cert);
}

static void
test_list_marks_damaged_files_and_needs_a_directory(void **state)
{
    fixture_t *fx = *state;
    dajia_keydir_entry_t *entries = NULL;
    size_t count = 0;
    assert_int_equal(dajia_keydir_list(fx->dir, &entries, &count), DAJIA_KEYDIR_NOTFOUND);
    s_init(fx);
    s_write(s_path(fx, "public/broken.cert"), "curve\n    public-key = \"nope\"\n", 0644);
    s_write(s_path(fx, "public/.hidden.cert"), "ignored", 0644);
    s_write(s_path(fx, "public/notes.txt"), "ignored", 0644);
    assert_ok(dajia_keydir_list(fx->dir, &entries, &count));
    assert_int_equal(count, S_UNITS + S_FIXED + 1);
    const dajia_keydir_entry_t *e = s_get(entries, count, "broken", false);
    assert_true(e->damaged);
    assert_string_equal(e->role, "");
    free(entries);
}

/* ------------------------------------------------------------------ key files */

static void
test_export_then_import_installs_what_a_client_loads(void **state)
{
    fixture_t *fx = *state;
    s_init(fx);
    char *text = NULL;
    dajia_keydir_entry_t made;
    assert_ok(dajia_keydir_export(fx->dir, "customs", &text, &made));
    assert_string_equal(made.name, "customs");
    assert_string_equal(made.role, DAJIA_KEYDIR_ROLE_UNIT);
    assert_string_equal(made.unit, "customs");
    assert_non_null(strstr(text, "secret-key"));
    assert_non_null(strstr(text, "dajia-agent keys import"));

    /* Into a directory that does not exist yet, two levels down: made 0700. */
    char client[160];
    snprintf(client, sizeof client, "%s/pc/keys", fx->root);
    dajia_keydir_entry_t got;
    assert_ok(dajia_keydir_import(client, text, false, &got));
    assert_string_equal(got.name, "customs");
    assert_string_equal(got.public_txt, made.public_txt);
    char path[256];
    snprintf(path, sizeof path, "%s/secret/customs.cert_secret", client);
    assert_int_equal(s_mode(path), 0600);
    assert_int_equal(s_mode(client), 0700);
    snprintf(path, sizeof path, "%s/secret", client);
    assert_int_equal(s_mode(path), 0700);

    /* What a client does with it: the same key pair and the broker's key. */
    zcert_t *own = NULL;
    char broker_key[DAJIA_KEYDIR_KEY_TXT], want_key[DAJIA_KEYDIR_KEY_TXT];
    assert_ok(dajia_keydir_open(client, "customs", &own, broker_key));
    assert_string_equal(zcert_public_txt(own), made.public_txt);
    assert_string_equal(zcert_meta(own, "unit"), "customs");
    assert_ok(dajia_keydir_broker_key(fx->dir, want_key));
    assert_string_equal(broker_key, want_key);
    zcert_destroy(&own);

    /* Importing the same file again changes nothing and is no error. */
    assert_ok(dajia_keydir_import(client, text, false, NULL));
    memset(text, 0, strlen(text));
    free(text);
}

static void
test_import_refuses_another_brokers_keys_unless_replacing(void **state)
{
    fixture_t *fx = *state;
    s_init(fx);
    char other[160], client[160];
    snprintf(other, sizeof other, "%s/other", fx->root);
    snprintf(client, sizeof client, "%s/client", fx->root);
    assert_ok(dajia_keydir_init(other, s_units, S_UNITS));
    char *mine = NULL, *theirs = NULL;
    assert_ok(dajia_keydir_export(fx->dir, "customs", &mine, NULL));
    assert_ok(dajia_keydir_export(other, "psb", &theirs, NULL));
    assert_ok(dajia_keydir_import(client, mine, false, NULL));

    /* Another broker's key file would replace broker.cert: refused, nothing written. */
    assert_int_equal(dajia_keydir_import(client, theirs, false, NULL), DAJIA_KEYDIR_CONFLICT);
    char path[256];
    snprintf(path, sizeof path, "%s/secret/psb.cert_secret", client);
    assert_int_equal(access(path, F_OK), -1);
    char key[DAJIA_KEYDIR_KEY_TXT], want[DAJIA_KEYDIR_KEY_TXT];
    assert_ok(dajia_keydir_broker_key(client, key));
    assert_ok(dajia_keydir_broker_key(fx->dir, want));
    assert_string_equal(key, want);

    /* Replacing takes the new broker's key. */
    assert_ok(dajia_keydir_import(client, theirs, true, NULL));
    assert_ok(dajia_keydir_broker_key(client, key));
    assert_ok(dajia_keydir_broker_key(other, want));
    assert_string_equal(key, want);
    assert_int_equal(s_mode(path), 0600);
    free(mine);
    free(theirs);
}

static void
test_import_refuses_what_is_not_a_key_file(void **state)
{
    fixture_t *fx = *state;
    s_init(fx);
    char client[160];
    snprintf(client, sizeof client, "%s/client", fx->root);
    /* A certificate is not a key file: no broker key in it. */
    char *cert = NULL;
    assert_ok(dajia_keydir_export(fx->dir, "psb", &cert, NULL));
    char *no_broker = strstr(cert, "broker\n");
    assert_non_null(no_broker);
    memcpy(no_broker, "brokex", 6);
    assert_int_equal(dajia_keydir_import(client, cert, false, NULL), DAJIA_KEYDIR_BADKEYFILE);
    assert_int_equal(dajia_keydir_import(client, "", false, NULL), DAJIA_KEYDIR_BADKEYFILE);
    assert_int_equal(dajia_keydir_import(client, "not = \"a key file\"\n", false, NULL),
                     DAJIA_KEYDIR_BADKEYFILE);
    assert_int_equal(access(client, F_OK), -1); /* nothing made */
    free(cert);

    /* Export needs a trusted certificate with its secret. */
    char *text = NULL;
    assert_int_equal(dajia_keydir_export(fx->dir, "nobody", &text, NULL), DAJIA_KEYDIR_NOTFOUND);
    assert_ok(dajia_keydir_revoke(fx->dir, "psb", NULL));
    assert_int_equal(dajia_keydir_export(fx->dir, "psb", &text, NULL), DAJIA_KEYDIR_NOTFOUND);
    assert_int_equal(dajia_keydir_export(fx->dir, "../x", &text, NULL), DAJIA_KEYDIR_BADNAME);
    assert_null(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_makes_the_layout_with_private_modes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_init_lists_every_certificate_with_its_role_and_unit,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_twice_returns_exists_and_keeps_the_keys, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_init_checks_every_unit_before_writing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_broker_key_reads_back_through_zcert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_unit_then_load_gives_its_key_pair_and_metadata,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_with_a_name_makes_a_second_dashboard, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_add_refuses_what_it_cannot_make, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke_moves_the_cert_and_deletes_the_secret, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_revoked_name_can_be_added_again_with_a_new_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_load_refuses_a_secret_others_can_read, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_load_rejects_damaged_and_hostile_files, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_list_marks_damaged_files_and_needs_a_directory, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_export_then_import_installs_what_a_client_loads, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_import_refuses_another_brokers_keys_unless_replacing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_refuses_what_is_not_a_key_file, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
