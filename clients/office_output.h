/*  office_output: where `dajia-office watch` writes, and how it shows each item once.

    Each item's lines are written with one write(2) (no stdio buffer that could cut an
    item in two), and the follower moves the feed position with the item
    (office_follow.h): a watch that is killed shows an item again only if it died after
    that write and before the rename of its position, a window of one system call. A
    terminal or a pipe cannot be read back, so there that one item may be shown twice
    (never one left out). A regular file can: at start, office_output_written tells how
    much of the first item to be written the file ends with already, and watch writes
    only the rest (nothing when the crash came after the write; the remainder when the
    kill cut a write short). Exactly once, then, as long as the same watch (same flags)
    appends to the same file.
*/
#ifndef OFFICE_OUTPUT_H
#define OFFICE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

/* How much of `line` (`len` bytes, ending in a newline) the file read through `fd`
   already ends with: `len` when the file ends with the whole line (at a line's start),
   k < len when its last line is unfinished and is the first k bytes of `line` (a write
   cut short), else 0. *newline is set when the file ends in an unfinished line that is
   not a beginning of `line`, so that the caller starts a new line first. `fd` is read
   with pread; its offset is left alone. */
size_t
office_output_written(int fd, const char *line, size_t len, bool *newline);

/* Writes all of `data` to `fd` (again after a short write or EINTR). Returns 0 or -EIO. */
int
office_output_write(int fd, const char *data, size_t len);

/* A descriptor reading the regular file `fd` writes to (through /proc/self/fd), or -1
   when `fd` is not a regular file (a terminal, a pipe) or it cannot be read. The caller
   closes it. */
int
office_output_reader(int fd);

#endif
