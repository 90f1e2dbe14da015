/*  dajia_error: the table of every module code, made from the list in the header, and
    the one function that turns any return code into a sentence.

    The library depends on nothing but libc, so the store (which must not depend on the
    rest of proto/) links it as well as every program.
*/
#include "dajia_error.h"

#include <stdio.h>
#include <string.h>

#define S_CODE(module, name, value, text) {(value), #name, #module, (text)},
static const dajia_error_code_t s_codes[] = {DAJIA_ERROR_CODES(S_CODE)};
#undef S_CODE

#define S_MODULE(module, base) {#module, (base)},
static const dajia_error_module_t s_modules[] = {DAJIA_ERROR_MODULES(S_MODULE)};
#undef S_MODULE

#define S_COUNT(array) (sizeof(array) / sizeof((array)[0]))

const char *
dajia_strerror(int rc)
{
    if (rc == 0)
        return "success";
    for (size_t i = 0; i < S_COUNT(s_codes); i++)
        if (s_codes[i].code == rc)
            return s_codes[i].text;
    if (rc < 0 && rc >= -DAJIA_ERROR_ERRNO_MAX) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
        /* strerror() formats an unknown errno into a buffer; this never does. */
        const char *text = strerrordesc_np(-rc);
        if (text)
            return text;
#else
        return strerror(-rc);
#endif
    }
    /* A code nobody registered: say which, so the reader can grep for it. */
    static _Thread_local char unknown[32];
    snprintf(unknown, sizeof unknown, "unknown error %d", rc);
    return unknown;
}

const dajia_error_code_t *
dajia_error_codes(size_t *count)
{
    *count = S_COUNT(s_codes);
    return s_codes;
}

const dajia_error_module_t *
dajia_error_modules(size_t *count)
{
    *count = S_COUNT(s_modules);
    return s_modules;
}
