/*  dajia_fs: creating a directory with its parents and syncing a directory. A file
    written into place (a temporary name, then link or rename) is durable only once
    its directory is synced too; every writer of such files comes here for that step. */
#include "dajia_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
dajia_fs_mkdir_p(const char *path, mode_t mode)
{
    if (!path || !*path)
        return -EINVAL;
    char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    int rc = 0;
    /* Each parent in turn; an existing one is fine. */
    for (char *p = copy + 1; rc == 0; p++) {
        if (*p != '/' && *p != 0)
            continue;
        char saved = *p;
        *p = 0;
        if (mkdir(copy, mode) != 0 && errno != EEXIST)
            rc = -errno;
        *p = saved;
        if (saved == 0)
            break;
    }
    free(copy);
    if (rc == 0) {
        struct stat st;
        if (stat(path, &st) != 0)
            rc = -errno;
        else if (!S_ISDIR(st.st_mode))
            rc = -ENOTDIR;
    }
    return rc;
}

int
dajia_fs_sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}
