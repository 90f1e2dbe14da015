/*  broker_guard: binds the broker's listening sockets, guarded (see broker_guard.h).

    An ipc socket's guard is its file: chmod 0700 once bound (the bind creates it with
    the umask's mode, so there is a moment before the chmod; the directory, made private
    first when it is ours alone, closes that gap). A shared directory such as /tmp is
    left alone, with a warning, since changing its mode would break other programs.
*/
#include "broker_guard.h"
#include "dajia_error.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
        zsys_warning("%s is a shared directory: only the socket file %s is made private "
                     "(mode 0700); prefer a directory of the broker's own",
                     dir, path);
        return;
    }
    if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) != 0)
        zsys_warning("cannot make %s private (mode 0700): %s", dir, strerror(errno));
}

bool
broker_guard_is_curve(const broker_auth_t *auth, const char *endpoint)
{
    return auth && strncmp(endpoint, "tcp://", 6) == 0;
}

int
broker_guard_listen(zsock_t *sock, const char *endpoint, broker_auth_t *auth, const char *domain,
                    const char *what, char **bound, char *err, size_t errlen)
{
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
