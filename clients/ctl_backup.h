/*  ctl_backup: `dajia-ctl backup DIR` and `dajia-ctl restore DIR`.

    A backup is a directory:

      DIR/                         0700
        broker/data.mdb            the broker's store (log, feed, cursors), compacted
        workers/<service>/data.mdb each in-process worker's store, compacted
        keys/...                   the key directory, when asked for (--keys)
        dajia-backup.txt           what is in it, written last: a directory without it
                                   is an unfinished backup, and restore refuses it

    Backup copies while the broker runs: each store is copied in one read transaction
    (store_copy), a consistent snapshot of all its tables. The workers' stores are copied
    before the broker's, so each worker's state is at or behind the broker's log and
    cursors: after a restore the broker delivers again what a worker had not applied,
    never less (a worker ahead of the log would skip events the log gets anew).

    Restore writes into an empty (or missing) broker data directory and workers directory
    (and key directory), then opens the restored store to check it holds what the
    backup's manifest says. The restored store loses its identity (meta "store_id",
    proto/dajia_tables.h), so the broker gives it a new one: the agents see another
    store (HELLO) and send again the acknowledged events their outboxes keep; the
    broker stores what it lacks (acknowledged after the backup) and answers the rest as
    duplicates (README: Backup and restore; docs/design.md, "Restore and resend").
*/
#ifndef CTL_BACKUP_H
#define CTL_BACKUP_H

/* The directories a backup reads or a restore writes. */
typedef struct {
    const char *data;         /* the broker's data directory */
    const char *worker_state; /* the in-process workers' state; NULL: <data>/../workers */
    const char *keys;         /* the key directory; NULL: leave the keys out */
} ctl_backup_dirs_t;

#define CTL_BACKUP_MANIFEST "dajia-backup.txt"

/* Backs up `dirs` into `target` (missing or empty). Says what it did on stdout, or
   what went wrong on stderr, as `program`. Returns an exit status: 0, or 1. */
int
ctl_backup(const char *program, const char *target, const ctl_backup_dirs_t *dirs);

/* Restores the backup in `source` into `dirs` (each missing or empty; the keys only when
   dirs->keys is given). Returns an exit status: 0, or 1. */
int
ctl_restore(const char *program, const char *source, const ctl_backup_dirs_t *dirs);

#endif
