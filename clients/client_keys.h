/*  client_keys: the CURVE key directory, and how a client uses its own key.

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

    Every file is written to a temporary name, synced, and linked into place, so a crash
    leaves either the old state or the new one, and an existing file is never replaced.

    Functions return 0 or a negative code: -errno for system failures, CLIENT_KEYS_* for
    the module's own (dajia_strerror() has a sentence for both).
*/
#ifndef CLIENT_KEYS_H
#define CLIENT_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include <czmq.h>

#include "dajia_error.h" /* the CLIENT_KEYS_* codes (-31100 ..): CLIENT_KEYS_EXISTS, ... */

#define CLIENT_KEYS_NAME_MAX 64 /* longest certificate name */
#define CLIENT_KEYS_ROLE_MAX 16 /* longest role, with its NUL */
#define CLIENT_KEYS_KEY_TXT  41 /* a Z85 CURVE key, with its NUL */

/* The file names of the layout above. */
#define CLIENT_KEYS_BROKER_CERT   "broker.cert"
#define CLIENT_KEYS_BROKER_SECRET "broker.cert_secret"
#define CLIENT_KEYS_PUBLIC_DIR    "public"
#define CLIENT_KEYS_SECRET_DIR    "secret"
#define CLIENT_KEYS_REVOKED_DIR   "revoked"
#define CLIENT_KEYS_CERT_EXT      ".cert"
#define CLIENT_KEYS_SECRET_EXT    ".cert_secret"

/* What `keys init` makes besides the units: the Office, one dashboard, the
   administrator, and one worker certificate per service ("worker-<service>"). */
#define CLIENT_KEYS_OFFICE_NAME    "office"
#define CLIENT_KEYS_DASHBOARD_NAME "dashboard"
#define CLIENT_KEYS_ADMIN_NAME     "admin"
#define CLIENT_KEYS_WORKER_PREFIX  "worker-"

/* One certificate as `keys list` shows it. */
typedef struct {
    char name[CLIENT_KEYS_NAME_MAX + 1];
    char role[CLIENT_KEYS_ROLE_MAX];      /* "" when damaged */
    char unit[CLIENT_KEYS_NAME_MAX + 1];  /* "" unless role unit */
    char public_txt[CLIENT_KEYS_KEY_TXT]; /* Z85; "" when damaged */
    bool revoked;                         /* in revoked/ */
    bool damaged;                         /* the file does not parse; name is the file's */
} client_keys_entry_t;

/* Is `role` one a certificate may carry (unit, office, dashboard, worker, admin)? */
bool
client_keys_role_ok(const char *role);

/* Is `name` a certificate name: 1 to CLIENT_KEYS_NAME_MAX of [A-Za-z0-9._-], not
   starting with '.', and not "broker"? */
bool
client_keys_name_ok(const char *name);

/* Makes a new key directory `dir` (created 0700 if missing; an existing one is made
   0700): the broker's key pair, one unit certificate per code in `units` (named after
   the unit), then office, dashboard, admin and one worker certificate per service.
   `units` holds `count` codes (none when count is 0); they are all checked before
   anything is written. Returns 0; CLIENT_KEYS_EXISTS if `dir` has a broker key pair
   already or a code repeats; CLIENT_KEYS_BADUNIT; CLIENT_KEYS_NOCURVE; -errno. */
int
client_keys_init(const char *dir, const char *const *units, size_t count);

/* Adds one client certificate to an initialised `dir`. `unit` is required for role
   unit and refused for the others; `name` NULL or "" means the unit code for role
   unit and the role's name otherwise. Fills *out (may be NULL) with what was made.
   Returns 0; CLIENT_KEYS_BADROLE, CLIENT_KEYS_NOUNIT, CLIENT_KEYS_BADUNIT,
   CLIENT_KEYS_BADNAME, CLIENT_KEYS_EXISTS (give another name), CLIENT_KEYS_NOTFOUND
   (`dir` has no broker key pair: run init first); -errno. */
int
client_keys_add(const char *dir, const char *role, const char *unit, const char *name,
                client_keys_entry_t *out);

/* Revokes `name`: moves public/<name>.cert to revoked/ and deletes its secret file.
   A broker watching `dir` refuses the key from then on. Fills *out (may be NULL) with
   the certificate revoked. Returns 0; CLIENT_KEYS_NOTFOUND; CLIENT_KEYS_BADNAME;
   -errno. */
int
client_keys_revoke(const char *dir, const char *name, client_keys_entry_t *out);

/* Lists the certificates of `dir`, trusted and revoked, sorted by name (trusted first
   within a name). *entries is the caller's (free()); *count may be 0. A file that does
   not parse is listed with `damaged` set. Returns 0; CLIENT_KEYS_NOTFOUND when `dir`
   has no public/ directory; -errno. */
int
client_keys_list(const char *dir, client_keys_entry_t **entries, size_t *count);

/* Loads a client's own key pair from `dir`/secret/<name>.cert_secret. The certificate
   keeps its metadata: zcert_meta(cert, "role"), zcert_meta(cert, "unit"). *out is the
   caller's (zcert_destroy). Returns 0; CLIENT_KEYS_NOTFOUND; CLIENT_KEYS_BADCERT;
   CLIENT_KEYS_NOSECRET; CLIENT_KEYS_BADMODE (group or others may read it: chmod 600);
   CLIENT_KEYS_BADNAME; -errno. */
int
client_keys_load(const char *dir, const char *name, zcert_t **out);

/* Like client_keys_load(), from a secret certificate file at `path`. */
int
client_keys_load_file(const char *path, zcert_t **out);

/* Copies the broker's public key (Z85) from `dir`/broker.cert into `key_txt`.
   Returns 0; CLIENT_KEYS_NOTFOUND; CLIENT_KEYS_BADCERT; -errno. */
int
client_keys_broker_key(const char *dir, char key_txt[CLIENT_KEYS_KEY_TXT]);

/* Makes `sock` (a zsock_t or a libzmq socket) a CURVE client with key pair `own` that
   accepts only a server with public key `broker_key` (Z85). Call before connecting.
   Returns 0; CLIENT_KEYS_NOCURVE; -EINVAL when `broker_key` is not a Z85 key. */
int
client_keys_apply(void *sock, zcert_t *own, const char *broker_key);

/* Connects `sock` to `endpoint` and waits up to `timeout_ms` for the security
   handshake, so that a refusal becomes an error the user can read instead of silence.
   Returns 0 once the broker has admitted the key; CLIENT_KEYS_REFUSED when the broker
   refused it (unknown, revoked, or a role without access to that endpoint);
   CLIENT_KEYS_HANDSHAKE when the handshake failed otherwise (e.g. a wrong broker key);
   -ETIMEDOUT when no answer came (broker down?); -EINVAL for a bad endpoint. After a
   refusal libzmq keeps retrying in the background: destroy the socket. */
int
client_keys_connect(void *sock, const char *endpoint, int timeout_ms);

/* Where a client looks for its keys when neither --keys nor DAJIA_KEYS says. */
#define CLIENT_KEYS_DEFAULT_DIR "./var/keys"

/* The key directory a client uses: `dir` when given (its --keys flag), else $DAJIA_KEYS
   when set and not empty, else CLIENT_KEYS_DEFAULT_DIR when it holds broker.cert. NULL:
   none, the client connects without CURVE. Borrowed (from `dir`, the environment, or
   static). */
const char *
client_keys_dir_pick(const char *dir);

/* For a client about to connect: loads its key pair `name` from `dir` and the broker's
   public key. Returns 0, or a code of client_keys_load() / client_keys_broker_key(). */
int
client_keys_open(const char *dir, const char *name, zcert_t **own,
                 char broker_key[CLIENT_KEYS_KEY_TXT]);

#endif
