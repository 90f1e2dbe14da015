/*  dajia_version: which build a program is. Every program answers --version with one
    line from here, and the broker logs it when it starts, so a log or a bug report
    says which code ran.

    The version is the project's (project() in CMakeLists.txt); the revision is the git
    revision of the source tree at build time (`git describe --always --dirty`), or
    "unknown" when the tree was not a git checkout, or what -DDAJIA_REVISION=... gave.
*/
#ifndef DAJIA_VERSION_H
#define DAJIA_VERSION_H

#include <stdio.h>

/* The project's version, e.g. "0.1.0". Static. */
const char *
dajia_version(void);

/* The source revision, e.g. "544f9fb0c1d2" or "544f9fb0c1d2-dirty"; "unknown" outside
   git. Static. */
const char *
dajia_version_revision(void);

/* Prints the --version text of `program` to `out`: one line "PROGRAM VERSION (revision
   REV)", the form help2man reads for the man pages. */
void
dajia_version_print(FILE *out, const char *program);

#endif
