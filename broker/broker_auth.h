/*  broker_auth: who may connect to the broker, and what each may do (guarantee 6).

    The broker's own ZAP handler (RFC 27): a thread with a REP socket bound to
    inproc://zeromq.zap.01 in czmq's context, which libzmq asks about every connection
    to a socket with a ZAP domain. It knows the client certificates of a key directory
    (read with proto/dajia_keydir.h, which has the layout): DIR/broker.cert_secret is the
    broker's key pair, DIR/public/<name>.cert the clients it trusts, DIR/revoked/ those it
    no longer does.

    For CURVE, a key is admitted when its certificate is in public/ and its role may
    use the socket's domain; libzmq then attaches the reply's metadata to every message
    received on that connection:
        zmq_msg_gets(msg, "role")     unit, office, dashboard, worker or admin
        zmq_msg_gets(msg, "unit")     the unit code (role unit only; NULL otherwise)
        zmq_msg_gets(msg, "key")      the client's public key, Z85
        zmq_msg_gets(msg, "User-Id")  the certificate's name
    (zframe_meta() reads the same from a czmq frame.) Any other key is refused during the
    handshake: nothing it sends reaches the broker. Refusals are logged with the key, the
    peer address and the reason, at most once a minute per key. A client that never gets
    as far as ZAP (no key at all, or another broker's public key) is logged by
    broker_handshake, which broker_auth_apply_server() sets on every CURVE socket.

    For NULL (an ipc:// socket given a ZAP domain but no CURVE) every peer is admitted
    with role "local": the file permissions of the ipc path are the access control there.
    inproc and sockets without a ZAP domain never reach the handler and carry no role.

    Revocation: the handler re-reads the directory when public/ or revoked/ change
    (checked every BROKER_AUTH_WATCH_MS) and on broker_auth_reload() (SIGHUP). A
    connection admitted before a revoke keeps its handshake metadata and stays open:
    ZAP is asked only at the handshake. So the api asks broker_auth_trusts() with the
    "key" property before acting on a message, and the dispatcher, whose feeds and
    workers socket send rather than receive, watches broker_auth_withdrawn() and makes
    every peer of its tcp endpoints connect (and show its key) again when it moves.

    Order matters: libzmq admits every CURVE client when no ZAP handler is bound, so
    start the handler before binding the broker's sockets and destroy it only after
    they are closed.
*/
#ifndef BROKER_AUTH_H
#define BROKER_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include <czmq.h>

#include "dajia_error.h" /* the BROKER_AUTH_* codes (-31000 ..): BROKER_AUTH_NOKEYS, ... */
#include "dajia_keydir.h"

/* ZAP domains, one per socket. Who may connect: */
#define BROKER_AUTH_DOMAIN_API     "api"     /* unit, office, dashboard, admin */
#define BROKER_AUTH_DOMAIN_WORKERS "workers" /* worker */
#define BROKER_AUTH_DOMAIN_OFFICE  "office"  /* office */
#define BROKER_AUTH_DOMAIN_PUBLIC  "public"  /* unit, office, dashboard */
/* No socket: the domain that judges a REPLAY of one unit's items (AUDIENCE_UNIT). */
#define BROKER_AUTH_DOMAIN_UNIT    "unit" /* REPLAY: unit (its own), office */

/* Roles: those of the certificates, and "local", which is never in a certificate: it
   is what NULL-mechanism peers get. */
#define BROKER_AUTH_ROLE_UNIT      DAJIA_KEYDIR_ROLE_UNIT
#define BROKER_AUTH_ROLE_OFFICE    DAJIA_KEYDIR_ROLE_OFFICE
#define BROKER_AUTH_ROLE_DASHBOARD DAJIA_KEYDIR_ROLE_DASHBOARD
#define BROKER_AUTH_ROLE_WORKER    DAJIA_KEYDIR_ROLE_WORKER
#define BROKER_AUTH_ROLE_ADMIN     DAJIA_KEYDIR_ROLE_ADMIN
#define BROKER_AUTH_ROLE_LOCAL     "local"

/* Message properties set by the handler (zmq_msg_gets / zframe_meta). */
#define BROKER_AUTH_PROP_ROLE "role"
#define BROKER_AUTH_PROP_UNIT "unit"
#define BROKER_AUTH_PROP_KEY  "key"
#define BROKER_AUTH_PROP_USER "User-Id"

#define BROKER_AUTH_WATCH_MS 1000 /* how often the directory is checked for changes */

typedef struct broker_auth_t broker_auth_t;

/* Loads `keys_dir` (the broker's key pair and the trusted certificates) and starts the
   handler. Certificates that do not parse are skipped with a warning. Returns 0 and
   sets *out (broker_auth_destroy), or BROKER_AUTH_NOKEYS, BROKER_AUTH_BADCERT,
   BROKER_AUTH_BADMODE, BROKER_AUTH_NOCURVE, BROKER_AUTH_ZAPBUSY or -errno (logged with
   the path). */
int
broker_auth_start(const char *keys_dir, broker_auth_t **out);

/* Re-reads public/ and revoked/ and swaps the new set in (the broker's own key pair is
   kept). New connections see the new set at once. On failure the old set stays. Safe
   from any thread. Returns 0, BROKER_AUTH_NOKEYS or -errno. */
int
broker_auth_reload(broker_auth_t *self);

/* Stops the handler and frees everything. Call after the sockets it guards are closed.
   Accepts NULL and sets *self_p to NULL. */
void
broker_auth_destroy(broker_auth_t **self_p);

/* With `verbose`, each admitted connection is logged (debug). */
void
broker_auth_set_verbose(broker_auth_t *self, bool verbose);

/* Makes `sock` (a zsock_t or a libzmq socket) a CURVE server with the broker's key
   pair, authenticated in `domain`. Call before binding. Returns 0,
   BROKER_AUTH_BADDOMAIN or BROKER_AUTH_NOCURVE. */
int
broker_auth_apply_server(broker_auth_t *self, void *sock, const char *domain);

/* The broker's public key, Z85. Owned by `self`. */
const char *
broker_auth_public_key(broker_auth_t *self);

/* Is `key` (Z85, as in the "key" property) still trusted? False for NULL, unknown and
   revoked keys. Takes a mutex shared with the handler thread: cheap, but call it per
   peer and batch rather than per frame when that is easy. */
bool
broker_auth_trusts(broker_auth_t *self, const char *key);

/* May `role` do `command` on a socket of `domain`? `command` NULL asks whether the role
   may connect at all (what the handler checks). The rules:
       api      connect: unit, office, dashboard, admin
                "SUBMIT": unit (its own unit's events), office and admin (any
                member's: the import of history)
                "STATS": admin, office    other commands: no one
       office   connect, "SUBSCRIBE", "REPLAY": office
       public   connect, "SUBSCRIBE", "REPLAY": unit, office, dashboard
       unit     "REPLAY": unit (its own unit's items: broker_replay_judge), office;
                no socket has this domain
       workers  connect and any command: worker
   A REPLAY request arrives on the api socket but is judged by the audience it asks
   for: pass domain "office" for office items, "public" for public ones and "unit" for
   one unit's. Role
   "local" may do everything; NULL roles and unknown domains nothing. */
bool
broker_auth_allows(const char *role, const char *domain, const char *command);

/* Who may do `command` on `domain`, in words for a refusal ("the unit role").
   Static. */
const char *
broker_auth_needs(const char *domain, const char *command);

/* How many trusted keys reloads have taken away since the start: revoked, removed from
   public/, or given another role or unit (whose open connections carry the old one).
   Only grows; it moves after the new set is in force. One atomic load, no lock: cheap
   enough to poll from a socket loop on every turn, from any thread. 0 for NULL. */
uint64_t
broker_auth_withdrawn(broker_auth_t *self);

/* Connections admitted and refused since the start. */
void
broker_auth_counts(broker_auth_t *self, uint64_t *admitted, uint64_t *refused);

/* Certificates trusted now. */
size_t
broker_auth_size(broker_auth_t *self);

#endif
