/*  office_output: one write per item, and reading a file back (see office_output.h).

    Only the end of the file is read: the line and the byte before it, which must be a
    newline (or the file's start) for the line to count as whole.
*/
#include "office_output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

size_t
office_output_written(int fd, const char *line, size_t len, bool *newline)
{
    *newline = false;
    struct stat st;
    if (len == 0 || fstat(fd, &st) != 0 || st.st_size <= 0)
        return 0;
    size_t size = (size_t)st.st_size;
    size_t want = len + 1 < size ? len + 1 : size; /* the line and the byte before it */
    bool at_start = want == size;                  /* the tail is the whole file */
    char *tail = malloc(want);
    if (!tail)
        return 0;
    size_t done = 0;
    if (pread(fd, tail, want, (off_t)(size - want)) != (ssize_t)want)
        goto out;
    if (want == len + 1 && tail[0] == '\n' && memcmp(tail + 1, line, len) == 0)
        done = len;
    else if (at_start && want == len && memcmp(tail, line, len) == 0)
        done = len;
    else if (tail[want - 1] != '\n') {
        /* An unfinished last line: ours if it is a beginning of `line`. */
        size_t start = want;
        while (start > 0 && tail[start - 1] != '\n')
            start--;
        size_t part = want - start;
        if ((start > 0 || at_start) && part < len && memcmp(tail + start, line, part) == 0)
            done = part;
        else
            *newline = true;
    }
out:
    free(tail);
    return done;
}

int
office_output_write(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -EIO;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int
office_output_reader(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return open(path, O_RDONLY | O_CLOEXEC);
}
