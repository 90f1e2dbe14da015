/*  dajia_version: the build's version and revision, from the header that
    proto/dajia_version.cmake writes into the build directory at every build. Only this
    file includes it, so a new revision recompiles one file and relinks the programs.
*/
#include "dajia_version.h"

#include "dajia_version_build.h"

const char *
dajia_version(void)
{
    return DAJIA_VERSION_TEXT;
}

const char *
dajia_version_revision(void)
{
    return DAJIA_REVISION_TEXT;
}

void
dajia_version_print(FILE *out, const char *program)
{
    fprintf(out, "%s " DAJIA_VERSION_TEXT " (revision " DAJIA_REVISION_TEXT ")\n", program);
}
