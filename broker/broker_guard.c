/*  broker_guard: binds the broker's listening sockets, guarded (see broker_guard.h).

    An ipc socket's guard is its file: chmod 0700 once bound (the bind creates it with
    the umask's mode, so there is a moment before the chmod; the directory, made private
    first when it is ours alone, closes that gap). A shared directory such as /tmp is
    left alone, with a warning, since changing its mode would break other programs.

    The check before the bind reads the endpoint as libzmq will: tcp://HOST:PORT with the
    port after the last colon and an IPv6 address in brackets. Only a HOST that is a
    loopback address by itself counts as local: "*", 0.0.0.0, an interface name (even
    "lo") or any other host name is taken as reachable from elsewhere, since what it
    resolves to is not known here.
*/
#include "broker_guard.h"
#include "dajia_log.h"
#include "dajia_error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* The file path of an ipc:// endpoint, or NULL (another transport, or Linux's abstract
   namespace "ipc://@name", which has no file). */
static const char *
s_ipc_path(const char *endpoint)
{
    if (strncmp(endpoint, "ipc://", 6) != 0 || endpoint[6] == '@' || endpoint[6] == '\0')
        return NULL;
    return endpoint + 6;
}

/* Makes the directory of ipc socket `path` 0700 when this user owns it and it is not a
   shared one (sticky, like /tmp): then no one else can even reach the socket file. */
static void
s_ipc_dir_private(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    struct stat st;
    if (stat(dir, &st) != 0)
        return; /* the bind will say what is wrong */
    if (st.st_uid != geteuid() || (st.st_mode & S_ISVTX)) {
        dajia_log_warning("%s is a shared directory: only the socket file %s is made private "
                          "(mode 0700); prefer a directory of the broker's own",
                          dir, path);
        return;
    }
    if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) != 0)
        dajia_log_warning("cannot make %s private (mode 0700): %s", dir, strerror(errno));
}

bool
broker_guard_is_loopback(const char *endpoint)
{
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return false;
    const char *host = endpoint + 6;
    const char *colon = strrchr(host, ':');
    if (!colon)
        return false;
    size_t len = (size_t)(colon - host);
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    char name[INET6_ADDRSTRLEN + 1];
    if (len == 0 || len >= sizeof name)
        return false;
    memcpy(name, host, len);
    name[len] = '\0';
    if (strcasecmp(name, "localhost") == 0)
        return true;
    struct in_addr v4;
    if (inet_pton(AF_INET, name, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    struct in6_addr v6;
    if (inet_pton(AF_INET6, name, &v6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
    return false;
}

broker_guard_verdict_t
broker_guard_check(const char *endpoint, bool keys, bool insecure, const char *what, char *msg,
                   size_t msglen)
{
    bool inproc = strncmp(endpoint, "inproc://", 9) == 0;
    bool ipc = strncmp(endpoint, "ipc://", 6) == 0;
    bool abstract = ipc && endpoint[6] == '@';
    bool tcp = strncmp(endpoint, "tcp://", 6) == 0;
    const char *why = NULL;
    if (keys && abstract)
        why = "an abstract ipc endpoint has no file whose mode could keep anyone out, so every "
              "local user would get in without a key, as role \"local\" (may do everything); "
              "use an ipc path (ipc:///run/dajia/NAME) or tcp";
    else if (keys && !tcp && !ipc && !inproc)
        why = "only tcp endpoints carry CURVE here, so anyone who reaches it would get in "
              "without a key; use tcp, an ipc path or inproc";
    else if (!keys && !inproc && !ipc && !broker_guard_is_loopback(endpoint))
        why = "without keys anyone who reaches it may do what any role may (submit for any "
              "unit, read every escalation, take the events as a worker); start the broker "
              "with --keys DIR (dajia-ctl keys init makes one), or listen on loopback "
              "(127.0.0.1) or an ipc path";
    if (!why) {
        snprintf(msg, msglen, "%s", "");
        return BROKER_GUARD_SAFE;
    }
    if (!insecure) {
        snprintf(msg, msglen,
                 "refusing to listen for %s on %s: %s; or set broker/insecure = 1 "
                 "(--insecure, DAJIA_INSECURE=1) to open it anyway",
                 what, endpoint, why);
        return BROKER_GUARD_REFUSED;
    }
    snprintf(msg, msglen,
             "INSECURE (broker/insecure = 1): %s on %s lets in peers nobody vouched for: %s", what,
             endpoint, why);
    return BROKER_GUARD_OPEN;
}

bool
broker_guard_is_curve(const broker_auth_t *auth, const char *endpoint)
{
    return auth && strncmp(endpoint, "tcp://", 6) == 0;
}

int
broker_guard_listen(zsock_t *sock, const char *endpoint, broker_auth_t *auth, bool insecure,
                    const char *domain, const char *what, char **bound, char *err, size_t errlen)
{
    switch (broker_guard_check(endpoint, auth != NULL, insecure, what, err, errlen)) {
    case BROKER_GUARD_REFUSED:
        return -1;
    case BROKER_GUARD_OPEN:
        dajia_log_warning("%s", err);
        err[0] = '\0';
        break;
    case BROKER_GUARD_SAFE:
        break;
    }
    const char *ipc = s_ipc_path(endpoint);
    if (broker_guard_is_curve(auth, endpoint)) {
        int rc = broker_auth_apply_server(auth, sock, domain);
        if (rc) {
            snprintf(err, errlen, "cannot secure %s on %s: %s", what, endpoint, dajia_strerror(rc));
            return -1;
        }
    } else if (auth && strncmp(endpoint, "ipc://", 6) == 0) {
        /* No CURVE on a local socket: the file mode is the guard, the domain gives
           its peers the role "local". */
        zsock_set_zap_domain(sock, domain);
        if (ipc)
            s_ipc_dir_private(ipc);
    }
    if (zsock_bind(sock, "%s", endpoint) < 0) {
        snprintf(err, errlen, "cannot listen for %s on %s: %s", what, endpoint,
                 zmq_strerror(zmq_errno()));
        return -1;
    }
    if (auth && ipc && chmod(ipc, 0700) != 0) {
        snprintf(err, errlen, "cannot make the socket file %s private: %s", ipc, strerror(errno));
        return -1;
    }
    *bound = zsock_last_endpoint(sock);
    if (!*bound || strncmp(endpoint, "inproc://", 9) == 0) {
        free(*bound);
        *bound = strdup(endpoint);
    }
    if (!*bound) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}
