/*  dajia_fs: the directory steps that make a written file durable, shared by the key
    directory, the command-line tools, the store's copy and the broker's dedup file
    (a library of its own that needs only libc, so the store can link it): creating a
    directory with its parents, and syncing a directory so that a name just linked or
    renamed into it survives a crash. */
#ifndef DAJIA_FS_H
#define DAJIA_FS_H

#include <sys/types.h>

/* Creates directory `path` and its missing parents with `mode` (an existing one is
   fine, as long as `path` is a directory). Returns 0 or -errno (-ENOTDIR: `path` is
   something else). */
int
dajia_fs_mkdir_p(const char *path, mode_t mode);

/* fsyncs directory `path`, so that the names created, renamed or removed in it are on
   disk. Returns 0 or -errno. */
int
dajia_fs_sync_dir(const char *path);

#endif
