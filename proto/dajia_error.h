/*  dajia_error: the one space of return codes, and dajia_strerror() that names them all.

    Functions of dajia return an int: 0 on success, or a negative code that is one of

      -1 .. -4095        -errno, captured where the system call failed (Linux's errno
                         values all lie here, as MAX_ERRNO says)
      -30900 and below   a module's own codes, listed in DAJIA_ERROR_CODES below; each
                         module owns a block of DAJIA_ERROR_BLOCK codes from its base down

    as LMDB's MDB_* codes sit far below errno. The blocks:

      -30900 .. -30999   store          store/store.h
      -31000 .. -31099   broker_auth    broker/broker_auth.h
      -31100 .. -31199   dajia_keydir   proto/dajia_keydir.h
      -31200 .. -31299   broker_feed    broker/broker_feed.h
      -31300 .. -31399   agent_outbox   clients/agent_outbox.h
      -31400 .. -31499   office_follow  clients/office_follow.h
      -31700 .. -31799   dash_users     clients/dash_users.h

    LMDB's own codes (-30799 .. -30780) never leave store.c, which turns them into
    STORE_* codes. A new module takes the next block (add it to DAJIA_ERROR_MODULES); a
    new code goes into DAJIA_ERROR_CODES with its sentence, and nowhere else: the list
    makes the constants, the table and the test (tests/unit/test_error.c checks that every
    code is unique, lies in its module's block and has a sentence).

    Three other returns remain, each stated in the header of the function that uses it,
    and none of them is a code (their -1 is not -EPERM: do not pass it here):
    - Constructors and loaders that talk to an operator return -1 and write one sentence
      into the caller's `err` buffer, because the sentence names the file, key or
      endpoint at fault, which no code could: broker_config_load/_size/_wakeup_us/
      _validate, broker_server_new, broker_guard_listen, broker_dispatch_start,
      worker_shell_new, worker_settings_load. The program prints the sentence and exits.
    - Loops that log their fatal error themselves return -1 (broker_server_run,
      worker_shell_run); dajia_verdict_set returns -1 with the reason in the verdict.
    - Parsers and lookups that only say "no" return -1 (dajia_clock_parse,
      client_parse_int, broker_config_set, sim_unit_index, esc_deadline_index, ...).
*/
#ifndef DAJIA_ERROR_H
#define DAJIA_ERROR_H

#include <stddef.h>

#define DAJIA_ERROR_ERRNO_MAX 4095 /* -1 .. -4095 are -errno */
#define DAJIA_ERROR_BLOCK     100  /* codes per module */

/* The modules and the base of each one's block: X(module, base). */
#define DAJIA_ERROR_MODULES(X)                                                                     \
    X(store, -30900)                                                                               \
    X(broker_auth, -31000)                                                                         \
    X(dajia_keydir, -31100)                                                                        \
    X(broker_feed, -31200)                                                                         \
    X(agent_outbox, -31300)                                                                        \
    X(office_follow, -31400)                                                                       \
    X(dash_users, -31700)

/* Every module code: X(module, NAME, value, sentence). The sentence is what an operator
   reads after "cannot ...: ", so it starts in lower case and has no final period. */
#define DAJIA_ERROR_CODES(X)                                                                       \
    /* store: durable tables over LMDB */                                                          \
    X(store, STORE_NOTFOUND, -30900, "no such key or table")                                       \
    X(store, STORE_KEYEXIST, -30901, "the key exists already")                                     \
    X(store, STORE_FULL, -30902,                                                                   \
      "the store is full: the map reached its maximum size or the disk is full")                   \
    X(store, STORE_CORRUPT, -30903,                                                                \
      "the store is damaged or was written by an incompatible version")                            \
    X(store, STORE_BADTABLE, -30904, "too many tables, or the name is not a table")                \
    X(store, STORE_READONLY, -30905, "write on a read-only store or transaction")                  \
    X(store, STORE_ERROR, -30906, "internal storage engine error")                                 \
    /* broker_auth: the broker's ZAP handler over a key directory */                               \
    X(broker_auth, BROKER_AUTH_NOKEYS, -31000,                                                     \
      "no key directory with a broker key pair and a public/ directory (make one "                 \
      "with `dajia-ctl keys init --dir DIR`)")                                                     \
    X(broker_auth, BROKER_AUTH_BADCERT, -31001,                                                    \
      "the broker's key pair is not a valid certificate")                                          \
    X(broker_auth, BROKER_AUTH_BADMODE, -31002,                                                    \
      "the broker's secret file is readable by others (chmod 600 it)")                             \
    X(broker_auth, BROKER_AUTH_NOCURVE, -31003, "this libzmq was built without CURVE security")    \
    X(broker_auth, BROKER_AUTH_ZAPBUSY, -31004,                                                    \
      "another ZAP handler is already running in this process")                                    \
    X(broker_auth, BROKER_AUTH_BADDOMAIN, -31005,                                                  \
      "not a ZAP domain of the broker (api, workers, office, public)")                             \
    /* dajia_keydir: the key directory, and a client's own key */                                  \
    X(dajia_keydir, DAJIA_KEYDIR_EXISTS, -31100, "a certificate of that name exists already")      \
    X(dajia_keydir, DAJIA_KEYDIR_NOTFOUND, -31101, "no such certificate")                          \
    X(dajia_keydir, DAJIA_KEYDIR_BADROLE, -31102,                                                  \
      "not a role (unit, office, dashboard, worker or admin)")                                     \
    X(dajia_keydir, DAJIA_KEYDIR_NOUNIT, -31103, "the unit role needs a unit code")                \
    X(dajia_keydir, DAJIA_KEYDIR_BADUNIT, -31104,                                                  \
      "not a unit code, or a unit code for a role other than unit")                                \
    X(dajia_keydir, DAJIA_KEYDIR_BADNAME, -31105,                                                  \
      "not a certificate name (1 to 64 of A-Z a-z 0-9 . _ -, not starting with "                   \
      "'.', not \"broker\")")                                                                      \
    X(dajia_keydir, DAJIA_KEYDIR_BADCERT, -31106, "not a valid certificate file")                  \
    X(dajia_keydir, DAJIA_KEYDIR_BADMODE, -31107,                                                  \
      "the secret file is readable by others (chmod 600 it)")                                      \
    X(dajia_keydir, DAJIA_KEYDIR_NOCURVE, -31108, "this libzmq was built without CURVE security")  \
    X(dajia_keydir, DAJIA_KEYDIR_REFUSED, -31109,                                                  \
      "the broker refused this key (unknown, revoked, or its role may not use "                    \
      "this endpoint)")                                                                            \
    X(dajia_keydir, DAJIA_KEYDIR_HANDSHAKE, -31110,                                                \
      "the security handshake failed (is the broker key right?)")                                  \
    X(dajia_keydir, DAJIA_KEYDIR_NOSECRET, -31111, "the certificate holds no secret key")          \
    X(dajia_keydir, DAJIA_KEYDIR_BADKEYFILE, -31112,                                               \
      "not a dajia key file (`dajia-ctl keys export NAME` makes one)")                             \
    X(dajia_keydir, DAJIA_KEYDIR_CONFLICT, -31113,                                                 \
      "the key directory holds a different key there (another broker's, or an older one)")         \
    /* broker_feed: the feed log */                                                                \
    X(broker_feed, BROKER_FEED_MALFORMED, -31200,                                                  \
      "a worker's output is not a feed item with an item set")                                     \
    /* agent_outbox: the agent's durable outbox */                                                 \
    X(agent_outbox, AGENT_OUTBOX_WRONG_UNIT, -31300, "the agent state belongs to another unit")    \
    X(agent_outbox, AGENT_OUTBOX_BADRECORD, -31301, "a record in the agent state is damaged")      \
    /* office_follow: reading a broker feed */                                                     \
    X(office_follow, OFFICE_FOLLOW_TIMEOUT, -31400, "the broker did not answer in time")           \
    X(office_follow, OFFICE_FOLLOW_REFUSED, -31401, "the broker refused the replay")               \
    X(office_follow, OFFICE_FOLLOW_PROTO, -31402, "the broker's answer does not decode")           \
    X(office_follow, OFFICE_FOLLOW_STATE, -31403, "the kept feed position is not a number")        \
    /* dash_users: the dashboard's HTTP users file */                                              \
    X(dash_users, DASH_USERS_BADMODE, -31700,                                                      \
      "the users file is readable or writable by others (chmod 600 it)")                           \
    X(dash_users, DASH_USERS_BADLINE, -31701,                                                      \
      "a line of the users file is not \"name:role:hash\"")                                        \
    X(dash_users, DASH_USERS_EXISTS, -31702, "a user of that name exists already")                 \
    X(dash_users, DASH_USERS_NOTFOUND, -31703, "no such user")                                     \
    X(dash_users, DASH_USERS_BADNAME, -31704, "not a user name (1 to 32 of a-z A-Z 0-9 . _ -)")    \
    X(dash_users, DASH_USERS_BADROLE, -31705, "not a role of the dashboard (office or viewer)")    \
    X(dash_users, DASH_USERS_WEAK, -31706,                                                         \
      "the password is too short (at least 10 characters) or too long (at most 256)")              \
    X(dash_users, DASH_USERS_DENIED, -31707, "wrong user name or password")

/* The codes as constants: STORE_NOTFOUND and the rest. */
#define DAJIA_ERROR_ENUM_(module, name, value, text) name = (value),
enum { DAJIA_ERROR_CODES(DAJIA_ERROR_ENUM_) };
#undef DAJIA_ERROR_ENUM_

/* One registered code. */
typedef struct {
    int code;
    const char *name;   /* "STORE_NOTFOUND" */
    const char *module; /* "store" */
    const char *text;   /* what dajia_strerror() returns for it */
} dajia_error_code_t;

/* One module's block: from `base` down to base - DAJIA_ERROR_BLOCK + 1. */
typedef struct {
    const char *module;
    int base;
} dajia_error_module_t;

/* A sentence for any return code: "success" for 0, the registered sentence for a module
   code, strerror's text for -errno, and "unknown error N" for anything else. Never NULL.
   Static storage, except "unknown error N", which lives in a buffer of the calling
   thread until its next call; thread-safe. */
const char *
dajia_strerror(int rc);

/* Every registered code, in the order of DAJIA_ERROR_CODES; sets *count. Static. */
const dajia_error_code_t *
dajia_error_codes(size_t *count);

/* Every module's block, in the order of DAJIA_ERROR_MODULES; sets *count. Static. */
const dajia_error_module_t *
dajia_error_modules(size_t *count);

#endif
