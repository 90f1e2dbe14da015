/*  dajia_keydir: the CURVE key directory, the one place that knows its layout and reads
    and writes its certificates. `dajia-ctl keys` makes and revokes them; the broker
    loads its key pair and the certificates it trusts (broker_auth); every client and
    dajia-worker loads its own key pair and the broker's key, and connects with the
    handshake probe below.

    Layout of a key directory (made by `dajia-ctl keys init`):

      DIR/                          0700
        broker.cert                 the broker's public certificate: every client needs it
        broker.cert_secret          the broker's key pair (0600): the broker only
        public/<name>.cert          the certificates the broker trusts, one per client
        secret/<name>.cert_secret   each client's key pair (0600): give it to that client only
        revoked/<name>-<id>.cert    certificates taken out of public/ by a revoke

    Files are czmq certificates (ZPL, as zcert_save writes them), so zcert_load reads
    them too. Each client certificate carries metadata: "name" (= the file name), "role"
    (unit, office, dashboard, worker or admin) and, for the unit role only, "unit" (the
    member unit's code). The broker admits a key while its certificate is in public/;
    revoking moves the certificate to revoked/ and deletes the client's secret file.
    A client certificate that breaks any of this (no valid public key, role, name, or a
    unit where there should be none or none where there should be one) is damaged: the
    broker trusts nothing in it and `keys list` shows it as damaged.

    Every file is written to a temporary name, synced, and linked into place, so a crash
    leaves either the old state or the new one, and an existing file is never replaced.

    Functions return 0 or a negative code: -errno for system failures, DAJIA_KEYDIR_* codes
    for the module's own (dajia_strerror() has a sentence for both).
*/
#ifndef DAJIA_KEYDIR_H
#define DAJIA_KEYDIR_H

#include <stdbool.h>
#include <stddef.h>

#include <czmq.h>

#include "dajia_error.h" /* the codes (-31100 ..): DAJIA_KEYDIR_EXISTS, ... */

#define DAJIA_KEYDIR_NAME_MAX 64 /* longest certificate name */
#define DAJIA_KEYDIR_ROLE_MAX 16 /* longest role, with its NUL */
#define DAJIA_KEYDIR_KEY_TXT  41 /* a Z85 CURVE key, with its NUL */

/* The file names of the layout above, and its certificates' fields. */
#define DAJIA_KEYDIR_BROKER_CERT   "broker.cert"
#define DAJIA_KEYDIR_BROKER_SECRET "broker.cert_secret"
#define DAJIA_KEYDIR_PUBLIC_DIR    "public"
#define DAJIA_KEYDIR_SECRET_DIR    "secret"
#define DAJIA_KEYDIR_REVOKED_DIR   "revoked"
#define DAJIA_KEYDIR_CERT_EXT      ".cert"
#define DAJIA_KEYDIR_SECRET_EXT    ".cert_secret"
#define DAJIA_KEYDIR_BROKER_NAME   "broker" /* metadata name of the broker's pair; reserved */
#define DAJIA_KEYDIR_META_NAME     "name"
#define DAJIA_KEYDIR_META_ROLE     "role"
#define DAJIA_KEYDIR_META_UNIT     "unit" /* role unit only */

/* The roles a client certificate may carry. */
#define DAJIA_KEYDIR_ROLE_UNIT      "unit"      /* a member unit's agent: submits events */
#define DAJIA_KEYDIR_ROLE_OFFICE    "office"    /* the Office: feeds, replay, STATS */
#define DAJIA_KEYDIR_ROLE_DASHBOARD "dashboard" /* the public feed only */
#define DAJIA_KEYDIR_ROLE_WORKER    "worker"    /* a worker service (dajia-worker) */
#define DAJIA_KEYDIR_ROLE_ADMIN     "admin"     /* dajia-ctl stats */

/* What `keys init` makes besides the units: the Office, one dashboard, the
   administrator, and one worker certificate per service ("worker-<service>"). */
#define DAJIA_KEYDIR_OFFICE_NAME    "office"
#define DAJIA_KEYDIR_DASHBOARD_NAME "dashboard"
#define DAJIA_KEYDIR_ADMIN_NAME     "admin"
#define DAJIA_KEYDIR_WORKER_PREFIX  "worker-"

/* One client certificate as read from public/ or revoked/ (as `keys list` shows it). */
typedef struct {
    char name[DAJIA_KEYDIR_NAME_MAX + 1];
    char role[DAJIA_KEYDIR_ROLE_MAX];      /* "" when damaged */
    char unit[DAJIA_KEYDIR_NAME_MAX + 1];  /* "" unless role unit */
    char public_txt[DAJIA_KEYDIR_KEY_TXT]; /* Z85; "" when damaged */
    bool revoked;                          /* in revoked/ */
    bool damaged;                          /* the file does not parse; name is the file's */
} dajia_keydir_entry_t;

/* Is `role` one a certificate may carry (unit, office, dashboard, worker, admin)? */
bool
dajia_keydir_role_ok(const char *role);

/* Is `name` a certificate name: 1 to DAJIA_KEYDIR_NAME_MAX of [A-Za-z0-9._-], not
   starting with '.', and not "broker"? */
bool
dajia_keydir_name_ok(const char *name);

/* Makes a new key directory `dir` (created 0700 if missing; an existing one is made
   0700): the broker's key pair, one unit certificate per code in `units` (named after
   the unit), then office, dashboard, admin and one worker certificate per service.
   `units` holds `count` codes (none when count is 0); they are all checked before
   anything is written. Returns 0; DAJIA_KEYDIR_EXISTS if `dir` has a broker key pair
   already or a code repeats; DAJIA_KEYDIR_BADUNIT; DAJIA_KEYDIR_NOCURVE; -errno. */
int
dajia_keydir_init(const char *dir, const char *const *units, size_t count);

/* Adds one client certificate to an initialised `dir`. `unit` is required for role
   unit and refused for the others; `name` NULL or "" means the unit code for role
   unit and the role's name otherwise. Fills *out (may be NULL) with what was made.
   Returns 0; DAJIA_KEYDIR_BADROLE, DAJIA_KEYDIR_NOUNIT, DAJIA_KEYDIR_BADUNIT,
   DAJIA_KEYDIR_BADNAME, DAJIA_KEYDIR_EXISTS (give another name), DAJIA_KEYDIR_NOTFOUND
   (`dir` has no broker key pair: run init first); -errno. */
int
dajia_keydir_add(const char *dir, const char *role, const char *unit, const char *name,
                 dajia_keydir_entry_t *out);

/* Revokes `name`: moves public/<name>.cert to revoked/ and deletes its secret file.
   A broker watching `dir` refuses the key from then on. Fills *out (may be NULL) with
   the certificate revoked. Returns 0; DAJIA_KEYDIR_NOTFOUND; DAJIA_KEYDIR_BADNAME;
   -errno. */
int
dajia_keydir_revoke(const char *dir, const char *name, dajia_keydir_entry_t *out);

/* Lists the certificates of `dir`, trusted and revoked, sorted by name (trusted first
   within a name). *entries is the caller's (free()); *count may be 0. A file that does
   not parse is listed with `damaged` set. Returns 0; DAJIA_KEYDIR_NOTFOUND when `dir`
   has no public/ directory; -errno. */
int
dajia_keydir_list(const char *dir, dajia_keydir_entry_t **entries, size_t *count);

/* Called by dajia_keydir_each() for one certificate file at `path`. `entry` is what it
   holds; when it is damaged, `why` says what is wrong (else NULL). A trusted
   certificate is named after its file (what the broker reports as its user id and what
   revoke takes), a revoked one by the name it had. Return 0 to go on, or a code to stop
   with. */
typedef int(dajia_keydir_each_fn)(const char *path, const dajia_keydir_entry_t *entry,
                                  const char *why, void *arg);

/* Calls `fn` for each certificate file (*.cert, hidden files skipped) of `dir`'s
   public/ directory, or of its revoked/ one when `revoked`, in no set order. Returns 0;
   DAJIA_KEYDIR_NOTFOUND when that directory is missing; -errno; or what `fn` returned. */
int
dajia_keydir_each(const char *dir, bool revoked, dajia_keydir_each_fn *fn, void *arg);

/* A key file moves one client's key to the machine it runs on: its key pair with its
   metadata and the broker's public key, in one ZPL file (a secret certificate with two
   sections more, so zcert_load reads its key pair too):

       dajia-key
           format = "1"
       broker
           public-key = "<Z85>"
       metadata
           name = "customs"
           role = "unit"
           unit = "customs"
       curve
           public-key = "<Z85>"
           secret-key = "<Z85>"
*/
#define DAJIA_KEYDIR_KEYFILE_TAG    "dajia-key"
#define DAJIA_KEYDIR_KEYFILE_FORMAT "1"
#define DAJIA_KEYDIR_KEYFILE_EXT    ".dajia-key" /* the name `keys export` suggests */

/* The key file of the trusted client certificate `name` of `dir` (secret/<name> and
   public/<name> with the same key, and broker.cert). *text is the caller's and holds a
   secret key: clear it before freeing it. Fills *out (may be NULL) with the certificate.
   Returns 0; DAJIA_KEYDIR_BADNAME; DAJIA_KEYDIR_NOTFOUND (not trusted, no secret file, or
   no broker.cert); DAJIA_KEYDIR_CONFLICT (public/ and secret/ hold different keys);
   DAJIA_KEYDIR_BADCERT, DAJIA_KEYDIR_NOSECRET, DAJIA_KEYDIR_BADMODE; -errno. */
int
dajia_keydir_export(const char *dir, const char *name, char **text, dajia_keydir_entry_t *out);

/* Installs key file `text` in `dir`, where a client looks: `dir`/broker.cert and
   `dir`/secret/<name>.cert_secret (0600), making `dir` and secret/ (0700) when missing.
   A file already there with the same keys is kept; one with other keys (another broker,
   an older key of that name) is DAJIA_KEYDIR_CONFLICT and nothing is written, unless
   `replace`. Fills *out (may be NULL) with the certificate installed. Returns 0;
   DAJIA_KEYDIR_BADKEYFILE (not a key file, or a damaged one); DAJIA_KEYDIR_CONFLICT;
   -errno. */
int
dajia_keydir_import(const char *dir, const char *text, bool replace, dajia_keydir_entry_t *out);

/* Loads the broker's own key pair from `dir`/broker.cert_secret. *out is the caller's
   (zcert_destroy). Returns 0; DAJIA_KEYDIR_NOTFOUND; DAJIA_KEYDIR_BADCERT;
   DAJIA_KEYDIR_NOSECRET; DAJIA_KEYDIR_BADMODE (group or others may read it); -errno. */
int
dajia_keydir_load_broker(const char *dir, zcert_t **out);

/* Loads a client's own key pair from `dir`/secret/<name>.cert_secret. The certificate
   keeps its metadata: zcert_meta(cert, "role"), zcert_meta(cert, "unit"). *out is the
   caller's (zcert_destroy). Returns 0; DAJIA_KEYDIR_NOTFOUND; DAJIA_KEYDIR_BADCERT;
   DAJIA_KEYDIR_NOSECRET; DAJIA_KEYDIR_BADMODE (group or others may read it: chmod 600);
   DAJIA_KEYDIR_BADNAME; -errno. */
int
dajia_keydir_load(const char *dir, const char *name, zcert_t **out);

/* Like dajia_keydir_load(), from a secret certificate file at `path`. */
int
dajia_keydir_load_file(const char *path, zcert_t **out);

/* Copies the broker's public key (Z85) from `dir`/broker.cert into `key_txt`.
   Returns 0; DAJIA_KEYDIR_NOTFOUND; DAJIA_KEYDIR_BADCERT; -errno. */
int
dajia_keydir_broker_key(const char *dir, char key_txt[DAJIA_KEYDIR_KEY_TXT]);

/* Makes `sock` (a zsock_t or a libzmq socket) a CURVE client with key pair `own` that
   accepts only a server with public key `broker_key` (Z85). Call before connecting.
   Returns 0; DAJIA_KEYDIR_NOCURVE; -EINVAL when `broker_key` is not a Z85 key. */
int
dajia_keydir_apply(void *sock, zcert_t *own, const char *broker_key);

/* Connects `sock` to `endpoint` and waits up to `timeout_ms` for the security
   handshake, so that a refusal becomes an error the user can read instead of silence.
   Returns 0 once the broker has admitted the key; DAJIA_KEYDIR_REFUSED when the broker
   refused it (unknown, revoked, or a role without access to that endpoint);
   DAJIA_KEYDIR_HANDSHAKE when the handshake failed otherwise (e.g. a wrong broker key);
   -ETIMEDOUT when no answer came (broker down?); -EINVAL for a bad endpoint. After a
   refusal libzmq keeps retrying in the background: destroy the socket. */
int
dajia_keydir_connect(void *sock, const char *endpoint, int timeout_ms);

/* Where a client looks for its keys when neither --keys nor DAJIA_KEYS says. */
#define DAJIA_KEYDIR_DEFAULT_DIR "./var/keys"
#define DAJIA_KEYDIR_ENV         "DAJIA_KEYS" /* the key directory, for every program */

/* The key directory a client uses: `dir` when given (its --keys flag), else $DAJIA_KEYS
   when set and not empty, else DAJIA_KEYDIR_DEFAULT_DIR when it holds broker.cert. NULL:
   none, the client connects without CURVE. Borrowed (from `dir`, the environment, or
   static). */
const char *
dajia_keydir_pick(const char *dir);

/* For a client about to connect: loads its key pair `name` from `dir` and the broker's
   public key. Returns 0, or a code of dajia_keydir_load() / dajia_keydir_broker_key(). */
int
dajia_keydir_open(const char *dir, const char *name, zcert_t **own,
                  char broker_key[DAJIA_KEYDIR_KEY_TXT]);

#endif
