/*  broker_auth: the broker's ZAP handler, its certificate set and its role rules.

    Threads: the handler runs in a czmq actor; the broker's threads call reload, trusts
    and the counters. The certificate set (two hash tables: trusted keys and revoked
    ones) is built off to the side and swapped in under `lock`, which lookups hold only
    for a hash probe; `reload_lock` keeps two reloads (SIGHUP and the directory watch)
    from interleaving.

    The key directory is read with dajia_keydir, which knows its layout and checks each
    certificate field by field: what it calls damaged is trusted with nothing here.

    The handler must outlive every socket it guards, and it must not stop on SIGINT or
    SIGTERM: were it gone while a CURVE socket is still open, libzmq would admit anyone.
    It therefore polls with raw zmq_poll (EINTR just means poll again) and leaves only
    on $TERM from broker_auth_destroy().
*/
#include "broker_auth.h"
#include "dajia_log.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "broker_handshake.h"
#include "dajia_api.h"
#include "dajia_keydir.h"

#define S_ZAP_ENDPOINT           "inproc://zeromq.zap.01"
#define S_ZAP_VERSION            "1.0"
#define S_KEY_LEN                32  /* a CURVE key in a ZAP request: binary */
#define S_ZAP_FRAMES             7   /* version .. mechanism, then one credential */
#define S_META_MAX               512 /* ZAP metadata: three short properties */
/* The handshakes refused before ZAP: the first at once, then a count a minute per socket */
#define S_HANDSHAKE_LOG_EVERY_MS 60000

/* ====================================================================== types */

typedef struct {
    char name[DAJIA_KEYDIR_NAME_MAX + 1];
    char role[DAJIA_KEYDIR_ROLE_MAX];
    char unit[DAJIA_KEYDIR_NAME_MAX + 1]; /* "" unless role unit */
} s_entry_t;

/* One certificate set: what the handler checks a key against. */
typedef struct {
    zhash_t *trusted; /* Z85 key -> s_entry_t */
    zhash_t *revoked; /* Z85 key -> name (string) */
} s_set_t;

/* What the directories looked like at the last load, to notice a change. */
typedef struct {
    struct timespec public_mtime, revoked_mtime;
    ino_t public_ino, revoked_ino;
} s_stamp_t;

struct broker_auth_t {
    char *dir;
    zcert_t *cert;        /* the broker's key pair */
    pthread_mutex_t lock; /* guards `set` */
    s_set_t set;
    pthread_mutex_t reload_lock; /* one reload at a time; guards `stamp` */
    s_stamp_t stamp;
    zactor_t *actor;
    int start_rc; /* set by the actor before it signals */
    atomic_bool verbose;
    atomic_uint_fast64_t admitted, refused;
    atomic_uint_fast64_t withdrawn; /* keys a reload took away: see broker_auth_withdrawn */
    broker_handshake_t *handshake;  /* logs the handshakes refused before ZAP is asked */
    dajia_log_limit_t refusal_log;  /* the refusals' lines (handler thread) */
};

/* ====================================================================== rules */

enum {
    S_UNIT = 1 << 0,
    S_OFFICE = 1 << 1,
    S_DASHBOARD = 1 << 2,
    S_WORKER = 1 << 3,
    S_ADMIN = 1 << 4,
};

/* Who may do what. `command` NULL: connecting; "*": any command. */
static const struct {
    const char *domain;
    const char *command;
    unsigned roles;
    const char *needs;
} s_rules[] = {
    {BROKER_AUTH_DOMAIN_API, NULL, S_UNIT | S_OFFICE | S_DASHBOARD | S_ADMIN,
     "the unit, office, dashboard or admin role"},
    /* office and admin: the Office's import of history (any member unit's events, with
       their original submission times, submitted_at) */
    {BROKER_AUTH_DOMAIN_API, DAJIA_API_SUBMIT, S_UNIT | S_OFFICE | S_ADMIN,
     "the unit, office or admin role"},
    {BROKER_AUTH_DOMAIN_API, DAJIA_API_STATS, S_ADMIN | S_OFFICE, "the admin or office role"},
    {BROKER_AUTH_DOMAIN_OFFICE, NULL, S_OFFICE, "the office role"},
    {BROKER_AUTH_DOMAIN_OFFICE, "SUBSCRIBE", S_OFFICE, "the office role"},
    {BROKER_AUTH_DOMAIN_OFFICE, DAJIA_API_REPLAY, S_OFFICE, "the office role"},
    {BROKER_AUTH_DOMAIN_PUBLIC, NULL, S_UNIT | S_OFFICE | S_DASHBOARD,
     "the unit, office or dashboard role"},
    {BROKER_AUTH_DOMAIN_PUBLIC, "SUBSCRIBE", S_UNIT | S_OFFICE | S_DASHBOARD,
     "the unit, office or dashboard role"},
    {BROKER_AUTH_DOMAIN_PUBLIC, DAJIA_API_REPLAY, S_UNIT | S_OFFICE | S_DASHBOARD,
     "the unit, office or dashboard role"},
    {BROKER_AUTH_DOMAIN_UNIT, DAJIA_API_REPLAY, S_UNIT | S_OFFICE,
     "the unit role (its own unit's notices) or the office role"},
    {BROKER_AUTH_DOMAIN_WORKERS, NULL, S_WORKER, "the worker role"},
    {BROKER_AUTH_DOMAIN_WORKERS, "*", S_WORKER, "the worker role"},
};
#define S_RULES (sizeof s_rules / sizeof s_rules[0])

static unsigned
s_role_bit(const char *role)
{
    static const struct {
        const char *name;
        unsigned bit;
    } roles[] = {
        {BROKER_AUTH_ROLE_UNIT, S_UNIT},           {BROKER_AUTH_ROLE_OFFICE, S_OFFICE},
        {BROKER_AUTH_ROLE_DASHBOARD, S_DASHBOARD}, {BROKER_AUTH_ROLE_WORKER, S_WORKER},
        {BROKER_AUTH_ROLE_ADMIN, S_ADMIN},
    };
    for (size_t i = 0; role && i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(role, roles[i].name) == 0)
            return roles[i].bit;
    return 0;
}

static bool
s_domain_known(const char *domain)
{
    for (size_t i = 0; domain && i < S_RULES; i++)
        if (strcmp(domain, s_rules[i].domain) == 0)
            return true;
    return false;
}

/* The rule for (domain, command), or -1. */
static int
s_rule(const char *domain, const char *command)
{
    if (!domain)
        return -1;
    for (size_t i = 0; i < S_RULES; i++) {
        if (strcmp(domain, s_rules[i].domain) != 0)
            continue;
        if (!command ? !s_rules[i].command
                     : s_rules[i].command && (strcmp(s_rules[i].command, "*") == 0 ||
                                              strcmp(s_rules[i].command, command) == 0))
            return (int)i;
    }
    return -1;
}

bool
broker_auth_allows(const char *role, const char *domain, const char *command)
{
    if (!role || !s_domain_known(domain))
        return false;
    if (strcmp(role, BROKER_AUTH_ROLE_LOCAL) == 0)
        return true;
    int rule = s_rule(domain, command);
    return rule >= 0 && (s_rules[rule].roles & s_role_bit(role)) != 0;
}

const char *
broker_auth_needs(const char *domain, const char *command)
{
    int rule = s_rule(domain, command);
    return rule >= 0 ? s_rules[rule].needs : "a command this endpoint knows";
}

/* How a domain is called in a log line. */
static const char *
s_domain_words(const char *domain)
{
    if (strcmp(domain, BROKER_AUTH_DOMAIN_API) == 0)
        return "the api";
    if (strcmp(domain, BROKER_AUTH_DOMAIN_WORKERS) == 0)
        return "the worker socket";
    if (strcmp(domain, BROKER_AUTH_DOMAIN_OFFICE) == 0)
        return "the office feed";
    if (strcmp(domain, BROKER_AUTH_DOMAIN_PUBLIC) == 0)
        return "the public feed";
    if (strcmp(domain, BROKER_AUTH_DOMAIN_UNIT) == 0)
        return "a unit's notices";
    return "an unknown domain";
}

/* ====================================================================== certificates */

/* A code of dajia_keydir as this module reports it. */
static int
s_keydir_rc(int rc)
{
    switch (rc) {
    case DAJIA_KEYDIR_NOTFOUND:
        return BROKER_AUTH_NOKEYS;
    case DAJIA_KEYDIR_BADMODE:
        return BROKER_AUTH_BADMODE;
    case DAJIA_KEYDIR_BADCERT:
    case DAJIA_KEYDIR_NOSECRET:
        return BROKER_AUTH_BADCERT;
    default:
        return rc;
    }
}

/* The broker's key pair from DIR/broker.cert_secret. */
static int
s_broker_read(const char *dir, zcert_t **out)
{
    int rc = s_keydir_rc(dajia_keydir_load_broker(dir, out));
    if (rc)
        dajia_log_error("auth: cannot read the broker's key pair %s/%s: %s", dir,
                        DAJIA_KEYDIR_BROKER_SECRET, dajia_strerror(rc));
    return rc;
}

/* ====================================================================== the set */

static void
s_set_clear(s_set_t *set)
{
    zhash_destroy(&set->trusted);
    zhash_destroy(&set->revoked);
}

static int
s_load_trusted(const char *path, const dajia_keydir_entry_t *entry, const char *why, void *arg)
{
    s_set_t *set = arg;
    if (entry->damaged) {
        dajia_log_warning("auth: ignoring %s: %s", path, why);
        return 0;
    }
    s_entry_t *other = zhash_lookup(set->trusted, entry->public_txt);
    if (other) {
        dajia_log_warning("auth: ignoring %s: same key as the certificate \"%s\"", path,
                          other->name);
        return 0;
    }
    s_entry_t *copy = malloc(sizeof *copy);
    if (!copy || zhash_insert(set->trusted, entry->public_txt, copy) != 0) {
        free(copy);
        return -ENOMEM;
    }
    /* The name is the file's: what `dajia-ctl keys list` shows and revoke takes. */
    snprintf(copy->name, sizeof copy->name, "%s", entry->name);
    snprintf(copy->role, sizeof copy->role, "%s", entry->role);
    snprintf(copy->unit, sizeof copy->unit, "%s", entry->unit);
    zhash_freefn(set->trusted, entry->public_txt, free);
    return 0;
}

static int
s_load_revoked(const char *path, const dajia_keydir_entry_t *entry, const char *why, void *arg)
{
    s_set_t *set = arg;
    (void)path;
    (void)why;
    if (entry->damaged || zhash_lookup(set->revoked, entry->public_txt))
        return 0; /* a damaged revoked file revokes nothing we could name */
    char *name = strdup(entry->name);
    if (!name || zhash_insert(set->revoked, entry->public_txt, name) != 0) {
        free(name);
        return -ENOMEM;
    }
    zhash_freefn(set->revoked, entry->public_txt, free);
    return 0;
}

static void
s_stamp_take(const char *dir, s_stamp_t *stamp)
{
    char path[PATH_MAX];
    struct stat st;
    memset(stamp, 0, sizeof *stamp);
    snprintf(path, sizeof path, "%s/%s", dir, DAJIA_KEYDIR_PUBLIC_DIR);
    if (stat(path, &st) == 0) {
        stamp->public_mtime = st.st_mtim;
        stamp->public_ino = st.st_ino;
    }
    snprintf(path, sizeof path, "%s/%s", dir, DAJIA_KEYDIR_REVOKED_DIR);
    if (stat(path, &st) == 0) {
        stamp->revoked_mtime = st.st_mtim;
        stamp->revoked_ino = st.st_ino;
    }
}

static bool
s_stamp_equal(const s_stamp_t *a, const s_stamp_t *b)
{
    return a->public_ino == b->public_ino && a->revoked_ino == b->revoked_ino &&
           a->public_mtime.tv_sec == b->public_mtime.tv_sec &&
           a->public_mtime.tv_nsec == b->public_mtime.tv_nsec &&
           a->revoked_mtime.tv_sec == b->revoked_mtime.tv_sec &&
           a->revoked_mtime.tv_nsec == b->revoked_mtime.tv_nsec;
}

/* Builds the set of `dir`. Revocation wins: a key both trusted and revoked (a revoked
   file copied back by hand) is refused, with a warning. */
static int
s_set_load(const char *dir, s_set_t *set)
{
    int rc = 0;
    set->trusted = zhash_new();
    set->revoked = zhash_new();
    if (!set->trusted || !set->revoked) {
        rc = -ENOMEM;
        goto out;
    }
    rc = dajia_keydir_each(dir, false, s_load_trusted, set);
    if (rc) {
        rc = s_keydir_rc(rc);
        dajia_log_error("auth: cannot read %s/%s: %s", dir, DAJIA_KEYDIR_PUBLIC_DIR,
                        dajia_strerror(rc));
        goto out;
    }
    rc = dajia_keydir_each(dir, true, s_load_revoked, set);
    if (rc == DAJIA_KEYDIR_NOTFOUND)
        rc = 0; /* nothing revoked yet */
    if (rc) {
        dajia_log_error("auth: cannot read %s/%s: %s", dir, DAJIA_KEYDIR_REVOKED_DIR,
                        dajia_strerror(rc));
        goto out;
    }
    for (const char *name = zhash_first(set->revoked); name; name = zhash_next(set->revoked)) {
        const char *key = zhash_cursor(set->revoked);
        if (zhash_lookup(set->trusted, key)) {
            dajia_log_warning("auth: key %s of \"%s\" is both trusted and revoked: refusing it",
                              key, name);
            zhash_delete(set->trusted, key);
        }
    }
out:
    if (rc)
        s_set_clear(set);
    return rc;
}

/* Loads the directory and swaps the new set in; logs what changed. */
static int
s_reload(broker_auth_t *self, bool initial)
{
    pthread_mutex_lock(&self->reload_lock);
    s_stamp_t stamp;
    s_stamp_take(self->dir, &stamp); /* before reading: a later change is noticed */
    s_set_t fresh = {0};
    int rc = s_set_load(self->dir, &fresh);
    if (rc) {
        if (!initial)
            dajia_log_error("auth: reload of %s failed; the previous certificates stay in force",
                            self->dir);
        pthread_mutex_unlock(&self->reload_lock);
        return rc;
    }
    size_t added = 0, removed = 0, changed = 0;
    pthread_mutex_lock(&self->lock);
    s_set_t old = self->set;
    self->set = fresh;
    pthread_mutex_unlock(&self->lock);
    if (old.trusted) {
        for (void *e = zhash_first(fresh.trusted); e; e = zhash_next(fresh.trusted))
            added += zhash_lookup(old.trusted, zhash_cursor(fresh.trusted)) == NULL;
        for (s_entry_t *e = zhash_first(old.trusted); e; e = zhash_next(old.trusted)) {
            const s_entry_t *now = zhash_lookup(fresh.trusted, zhash_cursor(old.trusted));
            if (!now)
                removed++;
            else if (strcmp(now->role, e->role) != 0 || strcmp(now->unit, e->unit) != 0)
                changed++; /* its connections carry the old role in their metadata */
        }
    }
    self->stamp = stamp;
    if (initial)
        dajia_log_info("auth: %zu certificates trusted, %zu revoked, from %s",
                       zhash_size(fresh.trusted), zhash_size(fresh.revoked), self->dir);
    else
        dajia_log_info("auth: reloaded %s: %zu certificates trusted (%zu added, %zu removed%s)",
                       self->dir, zhash_size(fresh.trusted), added, removed,
                       changed ? ", some with a new role or unit" : "");
    /* Published last, after the new set is in force: whoever sees the counter move and
       makes peers connect again knows their handshakes meet the new set. */
    if (removed + changed)
        atomic_fetch_add(&self->withdrawn, removed + changed);
    pthread_mutex_unlock(&self->reload_lock);
    s_set_clear(&old);
    return 0;
}

/* Reloads when public/ or revoked/ changed since the last load. */
static void
s_watch(broker_auth_t *self)
{
    s_stamp_t now;
    s_stamp_take(self->dir, &now);
    pthread_mutex_lock(&self->reload_lock);
    bool same = s_stamp_equal(&now, &self->stamp);
    pthread_mutex_unlock(&self->reload_lock);
    if (!same)
        s_reload(self, false);
}

/* ====================================================================== the handler */

/* Appends one ZAP metadata property: name length (1 byte), name, value length (4 bytes
   big-endian), value. Returns false when it does not fit. */
static bool
s_meta_add(uint8_t *buf, size_t *len, size_t cap, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    if (nl > 255 || *len + 1 + nl + 4 + vl > cap)
        return false;
    uint8_t *p = buf + *len;
    *p++ = (uint8_t)nl;
    memcpy(p, name, nl);
    p += nl;
    *p++ = (uint8_t)(vl >> 24);
    *p++ = (uint8_t)(vl >> 16);
    *p++ = (uint8_t)(vl >> 8);
    *p++ = (uint8_t)vl;
    memcpy(p, value, vl);
    *len += 1 + nl + 4 + vl;
    return true;
}

/* Sends the six-frame ZAP reply. */
static void
s_reply(void *handler, zmq_msg_t *request_id, const char *status, const char *text,
        const char *user, const uint8_t *meta, size_t meta_len)
{
    zmq_send(handler, S_ZAP_VERSION, strlen(S_ZAP_VERSION), ZMQ_SNDMORE);
    zmq_send(handler, request_id ? zmq_msg_data(request_id) : "",
             request_id ? zmq_msg_size(request_id) : 0, ZMQ_SNDMORE);
    zmq_send(handler, status, strlen(status), ZMQ_SNDMORE);
    zmq_send(handler, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(handler, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(handler, meta_len ? (const void *)meta : "", meta_len, 0);
}

/* Copies frame `msg` into `buf` as a string (truncated to fit). */
static void
s_frame_str(zmq_msg_t *msg, char *buf, size_t size)
{
    size_t len = zmq_msg_size(msg);
    if (len >= size)
        len = size - 1;
    memcpy(buf, zmq_msg_data(msg), len);
    buf[len] = 0;
    for (size_t i = 0; i < len; i++) /* it goes into log lines */
        if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] == 0x7f)
            buf[i] = '?';
}

/* Logs a refusal: the first, then at most one every DAJIA_LOG_EVERY_MS with the count
   of the others (dajia_log.h). A refused client keeps reconnecting, and anyone who
   reaches a tcp endpoint can make new keys at will: a line per key or per try would let
   a peer without a key fill the broker's log. */
static void
s_log_refusal(broker_auth_t *self, const char *who, const char *address, const char *domain,
              const char *reason)
{
    dajia_log_limited(&self->refusal_log, DAJIA_LOG_WARNING, "auth: refused %s from %s on %s: %s",
                      who, address, s_domain_words(domain), reason);
}

/* Answers one ZAP request from `handler`. */
static void
s_handle(broker_auth_t *self, void *handler)
{
    zmq_msg_t frames[S_ZAP_FRAMES], extra;
    size_t count = 0;
    bool more = true;
    zmq_msg_init(&extra);
    while (more) {
        /* Past S_ZAP_FRAMES: credentials we do not use, read and dropped. */
        zmq_msg_t *msg = count < S_ZAP_FRAMES ? &frames[count] : &extra;
        zmq_msg_init(msg);
        if (zmq_msg_recv(msg, handler, 0) < 0) {
            zmq_msg_close(msg);
            if (errno == EINTR)
                continue; /* a message is delivered whole: the rest is there */
            if (count == 0)
                return; /* nothing received, nothing to answer */
            break;
        }
        more = zmq_msg_more(msg);
        if (msg == &extra)
            zmq_msg_close(msg);
        else
            count++;
    }

    char version[8] = "", domain[64] = "", address[64] = "", mechanism[16] = "";
    if (count >= 6) {
        s_frame_str(&frames[0], version, sizeof version);
        s_frame_str(&frames[2], domain, sizeof domain);
        s_frame_str(&frames[3], address, sizeof address);
        s_frame_str(&frames[5], mechanism, sizeof mechanism);
    }
    zmq_msg_t *request_id = count >= 2 ? &frames[1] : NULL;
    uint8_t meta[S_META_MAX];
    size_t meta_len = 0;

    if (count < 6 || strcmp(version, S_ZAP_VERSION) != 0) {
        dajia_log_error_limited("auth: malformed ZAP request (%zu frames, version \"%s\")", count,
                                version);
        s_reply(handler, request_id, "500", "malformed request", "", NULL, 0);
    } else if (strcmp(mechanism, "NULL") == 0) {
        s_meta_add(meta, &meta_len, sizeof meta, BROKER_AUTH_PROP_ROLE, BROKER_AUTH_ROLE_LOCAL);
        s_reply(handler, request_id, "200", "OK", "", meta, meta_len);
        atomic_fetch_add(&self->admitted, 1);
    } else if (strcmp(mechanism, "CURVE") != 0) {
        char who[64];
        snprintf(who, sizeof who, "a %s client", mechanism);
        s_log_refusal(self, who, address, domain, "only CURVE is accepted");
        s_reply(handler, request_id, "400", "mechanism not accepted", "", NULL, 0);
        atomic_fetch_add(&self->refused, 1);
    } else if (count < 7 || zmq_msg_size(&frames[6]) != S_KEY_LEN) {
        dajia_log_error_limited("auth: CURVE request from %s without a 32-byte key", address);
        s_reply(handler, request_id, "500", "malformed credentials", "", NULL, 0);
    } else {
        char key[DAJIA_KEYDIR_KEY_TXT];
        zmq_z85_encode(key, zmq_msg_data(&frames[6]), S_KEY_LEN);
        s_entry_t entry;
        char revoked_name[DAJIA_KEYDIR_NAME_MAX + 1] = "";
        bool known = false;
        pthread_mutex_lock(&self->lock);
        const s_entry_t *e = zhash_lookup(self->set.trusted, key);
        if (e) {
            entry = *e;
            known = true;
        } else {
            const char *name = zhash_lookup(self->set.revoked, key);
            if (name)
                snprintf(revoked_name, sizeof revoked_name, "%s", name);
        }
        pthread_mutex_unlock(&self->lock);

        char who[128], reason[160];
        snprintf(who, sizeof who, "key %s", key);
        if (!known) {
            if (*revoked_name)
                snprintf(reason, sizeof reason, "the certificate \"%s\" was revoked", revoked_name);
            else
                snprintf(reason, sizeof reason, "unknown key");
        } else if (!broker_auth_allows(entry.role, domain, NULL)) {
            snprintf(reason, sizeof reason, "the certificate \"%s\" has role %s; %s needs %s",
                     entry.name, entry.role, s_domain_words(domain),
                     s_domain_known(domain) ? broker_auth_needs(domain, NULL) : "a known domain");
            known = false;
        }
        if (!known) {
            s_log_refusal(self, who, address, domain, reason);
            s_reply(handler, request_id, "400", "not admitted", "", NULL, 0);
            atomic_fetch_add(&self->refused, 1);
        } else {
            s_meta_add(meta, &meta_len, sizeof meta, BROKER_AUTH_PROP_ROLE, entry.role);
            if (*entry.unit)
                s_meta_add(meta, &meta_len, sizeof meta, BROKER_AUTH_PROP_UNIT, entry.unit);
            s_meta_add(meta, &meta_len, sizeof meta, BROKER_AUTH_PROP_KEY, key);
            s_reply(handler, request_id, "200", "OK", entry.name, meta, meta_len);
            atomic_fetch_add(&self->admitted, 1);
            if (atomic_load(&self->verbose))
                dajia_log_debug("auth: admitted \"%s\" (role %s) from %s on %s", entry.name,
                                entry.role, address, s_domain_words(domain));
        }
    }
    for (size_t i = 0; i < count; i++)
        zmq_msg_close(&frames[i]);
}

/* The actor: binds the ZAP endpoint, then answers requests and watches the directory
   until $TERM. */
static void
s_actor(zsock_t *pipe, void *arg)
{
    broker_auth_t *self = arg;
    zsock_t *handler = zsock_new(ZMQ_REP);
    if (!handler)
        self->start_rc = -ENOMEM;
    else if (zsock_bind(handler, S_ZAP_ENDPOINT) != 0)
        self->start_rc = errno == EADDRINUSE ? BROKER_AUTH_ZAPBUSY : -errno;
    zsock_signal(pipe, 0);

    zmq_pollitem_t items[2] = {{zsock_resolve(pipe), 0, ZMQ_POLLIN, 0},
                               {handler ? zsock_resolve(handler) : NULL, 0, ZMQ_POLLIN, 0}};
    int nitems = self->start_rc == 0 ? 2 : 1; /* on failure: only wait for $TERM */
    int64_t next_watch = zclock_mono() + BROKER_AUTH_WATCH_MS;
    bool done = false;
    while (!done) {
        int64_t wait = next_watch - zclock_mono();
        int n = zmq_poll(items, nitems, wait > 0 ? (long)wait : 0);
        if (n < 0 && errno != EINTR)
            break; /* the context is gone */
        if (n > 0 && (items[0].revents & ZMQ_POLLIN)) {
            char *command = zstr_recv(pipe);
            done = !command || strcmp(command, "$TERM") == 0;
            zstr_free(&command);
        }
        if (!done && nitems == 2 && n > 0 && (items[1].revents & ZMQ_POLLIN))
            s_handle(self, items[1].socket);
        if (!done && nitems == 2 && zclock_mono() >= next_watch) {
            s_watch(self);
            next_watch = zclock_mono() + BROKER_AUTH_WATCH_MS;
        }
    }
    /* Closing a socket releases its inproc endpoint later, on libzmq's reaper thread;
       unbinding releases it now, so that a handler started right after this one ends
       (a restart, a test) can bind it. Found as a rare ZAPBUSY under load. */
    if (handler && self->start_rc == 0)
        zsock_unbind(handler, S_ZAP_ENDPOINT);
    zsock_destroy(&handler);
}

/* ====================================================================== lifecycle */

int
broker_auth_start(const char *keys_dir, broker_auth_t **out)
{
    if (!keys_dir || !*keys_dir || !out)
        return -EINVAL;
    if (!zsys_has_curve()) {
        dajia_log_error("auth: %s", dajia_strerror(BROKER_AUTH_NOCURVE));
        return BROKER_AUTH_NOCURVE;
    }
    broker_auth_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    pthread_mutex_init(&self->lock, NULL);
    pthread_mutex_init(&self->reload_lock, NULL);
    atomic_init(&self->verbose, false);
    atomic_init(&self->admitted, 0);
    atomic_init(&self->refused, 0);
    atomic_init(&self->withdrawn, 0);
    int rc = 0;
    self->dir = strdup(keys_dir);
    if (!self->dir) {
        rc = -ENOMEM;
        goto out;
    }
    rc = s_broker_read(keys_dir, &self->cert);
    if (rc == 0)
        rc = s_reload(self, true);
    if (rc)
        goto out;
    self->actor = zactor_new(s_actor, self);
    if (!self->actor) {
        rc = -ENOMEM;
        goto out;
    }
    if (self->start_rc) {
        rc = self->start_rc;
        dajia_log_error("auth: cannot bind %s: %s", S_ZAP_ENDPOINT, dajia_strerror(rc));
        goto out;
    }
    rc = broker_handshake_new(S_HANDSHAKE_LOG_EVERY_MS, &self->handshake);
    if (rc)
        goto out;
    *out = self;
    return 0;
out:
    broker_auth_destroy(&self);
    return rc;
}

void
broker_auth_destroy(broker_auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_auth_t *self = *self_p;
    broker_handshake_destroy(&self->handshake);
    zactor_destroy(&self->actor);
    s_set_clear(&self->set);
    zcert_destroy(&self->cert);
    pthread_mutex_destroy(&self->lock);
    pthread_mutex_destroy(&self->reload_lock);
    free(self->dir);
    free(self);
    *self_p = NULL;
}

int
broker_auth_reload(broker_auth_t *self)
{
    return self ? s_reload(self, false) : -EINVAL;
}

void
broker_auth_set_verbose(broker_auth_t *self, bool verbose)
{
    atomic_store(&self->verbose, verbose);
}

/* ====================================================================== sockets */

int
broker_auth_apply_server(broker_auth_t *self, void *sock, const char *domain)
{
    if (!self || !sock)
        return -EINVAL;
    if (!s_domain_known(domain))
        return BROKER_AUTH_BADDOMAIN;
    zcert_apply(self->cert, sock);
    zsock_set_curve_server(sock, 1);
    zsock_set_zap_domain(sock, domain);
    /* Clients refused before ZAP is asked (no key, another broker's key) get a log line
       too; without it the broker serves on, silent, while they wait for an answer. */
    int rc = broker_handshake_watch(self->handshake, sock, s_domain_words(domain));
    if (rc)
        dajia_log_warning("auth: refused handshakes on %s will not be logged: %s",
                          s_domain_words(domain), dajia_strerror(rc));
    return 0;
}

const char *
broker_auth_public_key(broker_auth_t *self)
{
    return zcert_public_txt(self->cert);
}

bool
broker_auth_trusts(broker_auth_t *self, const char *key)
{
    if (!self || !key)
        return false;
    pthread_mutex_lock(&self->lock);
    bool trusted = self->set.trusted && zhash_lookup(self->set.trusted, key) != NULL;
    pthread_mutex_unlock(&self->lock);
    return trusted;
}

void
broker_auth_counts(broker_auth_t *self, uint64_t *admitted, uint64_t *refused)
{
    if (admitted)
        *admitted = atomic_load(&self->admitted);
    if (refused)
        *refused = atomic_load(&self->refused);
}

uint64_t
broker_auth_withdrawn(broker_auth_t *self)
{
    return self ? atomic_load(&self->withdrawn) : 0;
}

size_t
broker_auth_size(broker_auth_t *self)
{
    pthread_mutex_lock(&self->lock);
    size_t n = self->set.trusted ? zhash_size(self->set.trusted) : 0;
    pthread_mutex_unlock(&self->lock);
    return n;
}
