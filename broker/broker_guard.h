/*  broker_guard: the guard on every socket the broker listens on (the api, the workers
    ROUTER and the two feeds).

    With a key directory (`auth`, broker_auth.h) a tcp endpoint becomes a CURVE server in
    the ZAP domain of what it serves, so the broker's ZAP handler admits only trusted
    certificates and tells each message its sender's role. An ipc endpoint carries no
    CURVE: its domain gives its peers the role "local", and the file mode is the guard
    (the socket file 0700, and its directory 0700 when that directory is the broker's
    alone). inproc needs nothing. Without keys no socket is guarded.

    No open doors (issue 10): before binding, broker_guard_check refuses an endpoint that
    would take peers nobody vouched for, unless the operator said so (broker/insecure):
    - with keys, an endpoint no guard covers: an abstract ipc endpoint (ipc://@name) has
      no file, so its mode cannot keep anyone out, and every local user would get the
      role "local", which may do everything; a transport other than tcp, ipc and inproc
      carries no CURVE here;
    - without keys, an endpoint reachable from other hosts: anything but tcp on a
      loopback address (127.0.0.0/8, ::1, localhost), ipc and inproc.
    With broker/insecure such an endpoint is bound, and a warning says so at every start.
*/
#ifndef BROKER_GUARD_H
#define BROKER_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include <czmq.h>

#include "broker_auth.h"

/* What broker_guard_check says of an endpoint. */
typedef enum {
    BROKER_GUARD_REFUSED = -1, /* a door nobody guards: not without broker/insecure */
    BROKER_GUARD_SAFE = 0,     /* guarded, or reachable from this host only */
    BROKER_GUARD_OPEN = 1,     /* a door nobody guards, accepted by broker/insecure */
} broker_guard_verdict_t;

/* Judges listening on `endpoint` (`what` names it: "the api") with keys or without
   (`keys`) and with broker/insecure or without (see above). For REFUSED, `msg` holds the
   sentence for the operator (what is wrong, and the ways out); for OPEN, the warning to
   log; for SAFE, "". */
broker_guard_verdict_t
broker_guard_check(const char *endpoint, bool keys, bool insecure, const char *what, char *msg,
                   size_t msglen);

/* True for tcp://HOST:PORT whose HOST is a loopback address (127.0.0.0/8, ::1 or
   [::1], localhost): reachable from this host only. */
bool
broker_guard_is_loopback(const char *endpoint);

/* Binds `sock` to `endpoint` (`what` names it in errors) and sets *bound to the endpoint
   bound (real port for tcp://...:*; the caller frees it). broker_guard_check judges the
   endpoint first, with keys when `auth` is given, and with `insecure` (broker/insecure):
   a refused endpoint is not bound; an open one is bound with a warning in the log. With
   `auth`, the socket is guarded in ZAP `domain` (see above); `auth` is borrowed and must
   outlive the socket. Returns 0, or -1 with a sentence in `err` for the operator (it
   names the endpoint; dajia_error.h says why this is not a code). */
int
broker_guard_listen(zsock_t *sock, const char *endpoint, broker_auth_t *auth, bool insecure,
                    const char *domain, const char *what, char **bound, char *err, size_t errlen);

/* True when a socket bound to `endpoint` with `auth` is a CURVE server (a tcp endpoint,
   keys in use): its peers show a key at the handshake. */
bool
broker_guard_is_curve(const broker_auth_t *auth, const char *endpoint);

#endif
