/*  agent_keys: `dajia-agent keys import FILE`, which installs a key file made by
    `dajia-ctl keys export NAME` where the agent (and every client on this machine that
    uses the same key directory) looks for its keys.
*/
#ifndef AGENT_KEYS_H
#define AGENT_KEYS_H

#include <stdbool.h>

/* Reads the key file at `path` ("-": standard input) and installs it in `dir` (made
   0700 when missing); `replace` replaces another broker's key or an older key of the
   same name. Says what it did, or why not, on stdout/stderr, naming the program
   `program`. Returns an exit status: 0 installed, 1 refused or failed. */
int
agent_keys_import(const char *program, const char *dir, const char *path, bool replace);

#endif
