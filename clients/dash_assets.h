/*  dash_assets: the dashboard's own static files, compiled in: its stylesheet and its
    script (clients/dash_static/, turned into C arrays at build time), served under
    /static/ so that the Content-Security-Policy can allow this origin's files only and
    nothing is fetched from anywhere else.
*/
#ifndef DASH_ASSETS_H
#define DASH_ASSETS_H

#include <stddef.h>

/* The file served at `path` ("/static/dash.css"): its bytes, length and content type.
   Returns NULL when there is none. Static. */
const unsigned char *
dash_asset(const char *path, size_t *len, const char **type);

#endif
