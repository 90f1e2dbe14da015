/*  browser: a real headless browser (Debian's chromium) for the dashboard's tests.

    One browser for a whole test program, started once (starting chromium costs a second
    or two of a shared CPU), driven over the DevTools protocol on a pipe
    (--remote-debugging-pipe: the browser reads commands on its fd 3 and writes answers
    on its fd 4, each one JSON text ended by a NUL). It shows one page at a time: the
    test loads a URL, evaluates JavaScript in the page (how a test watches a page change
    without a reload: an event stream never lets --dump-dom's virtual time run out), and
    takes the page as HTML, as a PNG screenshot or printed to PDF, as --dump-dom,
    --screenshot and --print-to-pdf would.

    A missing chromium is a failure, not a skip: scripts/setup installs it. Every wait is
    bounded. Main thread only.
*/
#ifndef BROWSER_H
#define BROWSER_H

#include <stdbool.h>
#include <stddef.h>

#define BROWSER_BIN        "chromium"
#define BROWSER_TIMEOUT_MS 60000

typedef struct browser_t browser_t;

/* Starts a headless chromium driven over the DevTools pipe (profile in `profile_dir`)
   and opens one blank page. Returns 0 and sets *out, or a negative code. */
int
browser_start(const char *profile_dir, browser_t **out);

/* Loads `url` in the page and waits for its load event. Returns 0 or a negative code. */
int
browser_open(browser_t *self, const char *url);

/* Evaluates `expr` in the page and returns its value as JSON text (caller frees), or
   NULL (an exception, or no answer in time: printed). */
char *
browser_eval(browser_t *self, const char *expr);

/* Evaluates `expr` every 100 ms until it is true, for at most `timeout_ms`. Returns true
   when it was. */
bool
browser_wait_true(browser_t *self, const char *expr, int timeout_ms);

/* The page's HTML as the browser holds it now (document.documentElement.outerHTML),
   caller frees; NULL on failure. */
char *
browser_html(browser_t *self);

/* Writes a PNG screenshot of the whole page (Page.captureScreenshot) to `path`. Returns 0
   or a negative code. */
int
browser_screenshot(browser_t *self, const char *path);

/* Prints the page to PDF (Page.printToPDF, with the page's print stylesheet) into `path`.
   Returns 0 or a negative code. */
int
browser_pdf(browser_t *self, const char *path);

/* Closes the browser (Browser.close, then SIGKILL past a timeout) and frees. Accepts
   NULL; sets *self_p to NULL. */
void
browser_stop(browser_t **self_p);

#endif
