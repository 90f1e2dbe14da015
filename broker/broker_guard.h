/*  broker_guard: the guard on every socket the broker listens on (the api, the workers
    ROUTER and the two feeds).

    With a key directory (`auth`, broker_auth.h) a tcp endpoint becomes a CURVE server in
    the ZAP domain of what it serves, so the broker's ZAP handler admits only trusted
    certificates and tells each message its sender's role. An ipc endpoint carries no
    CURVE: its domain gives its peers the role "local", and the file mode is the guard
    (the socket file 0700, and its directory 0700 when that directory is the broker's
    alone). inproc needs nothing. Without keys no socket is guarded.
*/
#ifndef BROKER_GUARD_H
#define BROKER_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include <czmq.h>

#include "broker_auth.h"

/* Binds `sock` to `endpoint` (`what` names it in errors) and sets *bound to the endpoint
   bound (real port for tcp://...:*; the caller frees it). With `auth`, the socket is
   guarded in ZAP `domain` first (see above); `auth` is borrowed and must outlive the
   socket. Returns 0, or -1 with a sentence in `err` for the operator (it names the
   endpoint; dajia_error.h says why this is not a code). */
int
broker_guard_listen(zsock_t *sock, const char *endpoint, broker_auth_t *auth, const char *domain,
                    const char *what, char **bound, char *err, size_t errlen);

/* True when a socket bound to `endpoint` with `auth` is a CURVE server (a tcp endpoint,
   keys in use): its peers show a key at the handshake. */
bool
broker_guard_is_curve(const broker_auth_t *auth, const char *endpoint);

#endif
