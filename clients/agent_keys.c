/*  agent_keys: installing a unit's key file on the machine its agent runs on.

    The Office makes the file (`dajia-ctl keys export customs > customs.dajia-key`) and
    hands it over; the liaison's machine installs it with one command instead of copying
    two files into the right sub-folders by hand. The file holds a secret key, so the
    copy installed is made private (0600, in 0700 directories), and the person is told
    when the file they imported from can be read by others.
*/
#include "agent_keys.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dajia_error.h"
#include "dajia_keydir.h"

#define S_FILE_MAX 16384 /* a key file is well under 1 kB */

/* Reads all of `path` ("-": stdin), at most S_FILE_MAX bytes, into a new string. Sets
 *shared when the file can be read by group or others. Returns 0, -EFBIG or -errno. */
static int
s_read(const char *path, char **out, bool *shared)
{
    bool std_in = strcmp(path, "-") == 0;
    FILE *file = std_in ? stdin : fopen(path, "r");
    if (!file)
        return -errno;
    int rc = 0;
    struct stat st;
    *shared = !std_in && fstat(fileno(file), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077);
    char *text = malloc(S_FILE_MAX + 1);
    size_t len = text ? fread(text, 1, S_FILE_MAX + 1, file) : 0;
    if (!text)
        rc = -ENOMEM;
    else if (ferror(file))
        rc = -EIO;
    else if (len > S_FILE_MAX)
        rc = -EFBIG;
    if (!std_in)
        fclose(file);
    if (rc) {
        if (text)
            memset(text, 0, len < S_FILE_MAX + 1 ? len : S_FILE_MAX + 1);
        free(text);
        return rc;
    }
    text[len] = 0;
    *out = text;
    return 0;
}

int
agent_keys_import(const char *program, const char *dir, const char *path, bool replace)
{
    char *text = NULL;
    bool shared = false;
    int rc = s_read(path, &text, &shared);
    if (rc) {
        fprintf(stderr, "%s: cannot read %s: %s\n", program,
                strcmp(path, "-") == 0 ? "standard input" : path,
                rc == -EFBIG ? "too large for a key file" : dajia_strerror(rc));
        return 1;
    }
    dajia_keydir_entry_t got;
    rc = dajia_keydir_import(dir, text, replace, &got);
    memset(text, 0, strlen(text));
    free(text);
    if (rc == DAJIA_KEYDIR_CONFLICT) {
        fprintf(stderr,
                "%s: %s holds other keys than this file (another broker's public key, or an "
                "older key of the same name); nothing was changed. To use this file's keys "
                "instead, run again with --force; to keep both, import into another "
                "directory with --keys DIR\n",
                program, dir);
        return 1;
    }
    if (rc) {
        fprintf(stderr, "%s: cannot install %s in %s: %s\n", program,
                strcmp(path, "-") == 0 ? "standard input" : path, dir, dajia_strerror(rc));
        return 1;
    }
    char where[PATH_MAX];
    if (!realpath(dir, where))
        snprintf(where, sizeof where, "%s", dir);
    printf("installed the key of \"%s\" (role %s%s%s) and the broker's public key in %s\n",
           got.name, got.role, *got.unit ? ", unit " : "", got.unit, where);
    size_t len = strlen(where), tail = strlen(DAJIA_KEYDIR_DEFAULT_DIR) - 1; /* "/var/keys" */
    if (strcmp(dir, DAJIA_KEYDIR_DEFAULT_DIR) == 0 && len > tail)
        printf("clients started in %.*s find it there by themselves; from elsewhere give "
               "--keys %s (or set " DAJIA_KEYDIR_ENV "=%s)\n",
               (int)(len - tail), where, where, where);
    else
        printf("clients find it with --keys %s (or with " DAJIA_KEYDIR_ENV "=%s)\n", where, where);
    if (*got.unit)
        printf("report with: %s --unit %s submit FILE\n", program, got.unit);
    if (shared)
        fprintf(stderr,
                "%s: %s can be read by other users of this machine: delete it now that it "
                "is installed\n",
                program, path);
    return 0;
}
