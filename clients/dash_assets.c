/*  dash_assets: the compiled-in static files (see dash_assets.h). */
#include "dash_assets.h"

#include <string.h>

/* In the generated dash_static.c. */
extern const unsigned char dash_static_dash_css[];
extern const size_t dash_static_dash_css_len;
extern const unsigned char dash_static_dash_js[];
extern const size_t dash_static_dash_js_len;

const unsigned char *
dash_asset(const char *path, size_t *len, const char **type)
{
    if (strcmp(path, "/static/dash.css") == 0) {
        *len = dash_static_dash_css_len;
        *type = "text/css; charset=utf-8";
        return dash_static_dash_css;
    }
    if (strcmp(path, "/static/dash.js") == 0) {
        *len = dash_static_dash_js_len;
        *type = "text/javascript; charset=utf-8";
        return dash_static_dash_js;
    }
    return NULL;
}
