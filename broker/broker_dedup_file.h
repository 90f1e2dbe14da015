/*  broker_dedup_file: the dedup index kept in a file beside the log, so that a start
    reads that file and the log's tail instead of the whole log.

    The index (broker_dedup.h) is derived from the log, and rebuilding it means reading
    every record: seconds for millions of events, and every page of the log brought into
    memory. The file keeps, for each log_seq in order, the 8-byte hash of its key under
    the index's seed (0 for a record whose key an earlier record holds), so a start reads
    8 bytes per stored event, enters them, and reads from the log only the records after
    the last one the file covers.

    It is a journal, not a snapshot: the writer thread appends the hashes of each batch
    it committed (broker_dedup_file_append), after the commit and after the batch is
    handed back for its acks, so a commit never waits for it and there is no checkpoint
    to write in one go. The entries go in 4 KiB chunks, each with its first log_seq, its
    count and a checksum keyed by the seed; a chunk is written when it is full, and the
    one being filled every BROKER_DEDUP_FILE_WRITE_MS and at each sync.
    The file is made whole (temporary file, fdatasync, rename, directory fsync) when the
    log is indexed from its start, synced every BROKER_DEDUP_FILE_SYNC_MS while appends
    come, and synced when the broker stops. A killed broker's file lacks at most the
    last BROKER_DEDUP_FILE_WRITE_MS of entries, a machine's crash the last
    BROKER_DEDUP_FILE_SYNC_MS: the next start reads them from the log.

    The rules at start (docs/design.md §4 has the format):
      - only the chunks that follow one another from log_seq 1, each with its checksum
        right, count; the first that does not ends what the file covers (a crash tears
        at most the chunk being written, and an earlier one cannot be lost by a later
        one being written), and the file is cut there;
      - a file that covers more records than the log holds (the log was put back from an
        older copy), whose header is not this version's, or whose entries do not match
        the log's records where they are checked (the first, the last covered and some
        in between: a file of another log), is not used: the whole log is read;
      - so an entry is only ever trusted for the record it was written for, and a hash
        match is still confirmed by reading the record (broker_dedup.h): a damaged or
        missing file costs time, never a wrong answer.

    Threads: open on one thread; after that one thread at a time (the writer's).
*/
#ifndef BROKER_DEDUP_FILE_H
#define BROKER_DEDUP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker_dedup.h"
#include "store.h"

#define BROKER_DEDUP_FILE_NAME     "dedup.index" /* in the broker's data directory */
#define BROKER_DEDUP_FILE_SYNC_MS  10000         /* appends are synced at least this often */
#define BROKER_DEDUP_FILE_WRITE_MS 100           /* the chunk being filled is written this often */

typedef struct broker_dedup_file_t broker_dedup_file_t;

/* How the index was made at open. */
typedef struct {
    bool loaded;        /* the file was used (else the whole log was read) */
    uint64_t from_file; /* log records whose entries came from the file */
    uint64_t scanned;   /* log records read from the log */
    char why[256];      /* when the file was not used: why (the caller logs it) */
} broker_dedup_file_report_t;

/* Builds the index of the log in `store` with the file at `path`: loads the file and
   reads the log after it, or, when the file is missing or cannot be used (the rules
   above), reads the whole log and writes a new file. Then gives back the pages of the
   log it read (store_release_pages). Sets *dedup (the caller owns it) and *file (NULL
   when the file cannot be written: the broker runs without it, after a log line saying
   why) and fills `report`. Returns 0, or a store error when the log cannot be read, or -ENOMEM;
   then nothing is set. */
int
broker_dedup_file_open(store_t *store, const char *path, broker_dedup_t **dedup,
                       broker_dedup_file_t **file, broker_dedup_file_report_t *report);

/* Appends the hashes (broker_dedup_hash, 0 for none) of the records log_seq first_seq ..
   first_seq + count - 1, which the log holds now. A failure to write, or a first_seq
   that does not follow what the file holds, stops the file there (one log line): it
   keeps what it covers, and the next start reads the rest from the log. Syncs when
   BROKER_DEDUP_FILE_SYNC_MS have passed since the last sync. Returns 0, or a negative
   errno the first time it fails (later appends do nothing and return 0). */
int
broker_dedup_file_append(broker_dedup_file_t *self, uint64_t first_seq, const uint64_t *hashes,
                         size_t count);

/* The log_seq the next append must start at. */
uint64_t
broker_dedup_file_next_seq(const broker_dedup_file_t *self);

/* Syncs what was appended (fdatasync). Returns 0 or a negative errno. */
int
broker_dedup_file_sync(broker_dedup_file_t *self);

/* Syncs and closes the file; accepts NULL, sets *self_p NULL. */
void
broker_dedup_file_destroy(broker_dedup_file_t **self_p);

#endif
