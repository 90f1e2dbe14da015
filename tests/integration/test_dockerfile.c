/*  Integration: the Dockerfile copies only what the repository has, and all the build needs.

    `docker build` fails on a COPY or ADD whose source is not in the build context, and
    nothing else in the suite reads the Dockerfile (`docker-compose config` does not), so
    this test reads it: every source of every COPY and ADD must exist in the source tree
    and not be excluded by .dockerignore, and every directory the top CMakeLists.txt adds
    must be copied. A `COPY --from=STAGE` copies out of a build stage or an image, not the
    tree, and is passed over; so are ADD's URLs. It needs no Docker: the Dockerfile is
    text, and a build is not run. A scratch Dockerfile with known faults shows that the
    check finds them.

    And the volumes of docker-compose.yml: a named volume mounted on a directory takes
    that directory's owner and mode from the image when Docker first fills it, so every
    directory the services mount a volume on is made in the runtime stage for the user
    the programs run as (`install -d ... -o dajia`); otherwise the volume is root's and,
    for the key directory, `dajia-ctl keys init` cannot write it.
*/
#include <fnmatch.h>
#include <glob.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "harness.h"

#ifndef DAJIA_SOURCE_DIR
#error "DAJIA_SOURCE_DIR must be defined by the build"
#endif

#define S_STR(...)    ((char *)harness_autofree(harness_strf(__VA_ARGS__)))
#define S_MAX_SOURCES 128
#define S_MAX_SUBDIRS 32

/* One source of a COPY or ADD, as written, and the line its instruction starts on. */
typedef struct {
    const char *path;
    int line;
} s_source_t;

typedef struct {
    s_source_t items[S_MAX_SOURCES];
    size_t n;
} s_sources_t;

/* The whole of `path` as a string that lives until the teardown; NULL when it cannot be
   read. */
static char *
s_read(const char *path)
{
    FILE *file = fopen(path, "r");
    if (!file)
        return NULL;
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t got;
    while ((got = fread(text + len, 1, cap - len - 1, file)) > 0) {
        len += got;
        if (cap - len < 2) {
            cap *= 2;
            text = realloc(text, cap);
            assert_non_null(text);
        }
    }
    fclose(file);
    text[len] = 0;
    return harness_autofree(text);
}

static void
s_add(s_sources_t *out, const char *path, int line)
{
    assert_true(out->n < S_MAX_SOURCES);
    out->items[out->n].path = S_STR("%s", path);
    out->items[out->n].line = line;
    out->n++;
}

/* ADD also fetches URLs; those are not in the tree. */
static bool
s_is_url(const char *src)
{
    return strstr(src, "://") != NULL || strncmp(src, "git@", 4) == 0;
}

/* The sources of one COPY or ADD whose arguments are `args` (flags included). */
static void
s_instruction(bool add, char *args, int line, s_sources_t *out)
{
    char *at = args + strspn(args, " \t");
    while (strncmp(at, "--", 2) == 0) {
        size_t len = strcspn(at, " \t");
        if (strncmp(at, "--from=", 7) == 0 || strncmp(at, "--from ", 7) == 0)
            return; /* out of a stage or an image */
        at += len;
        at += strspn(at, " \t");
    }
    const char *words[S_MAX_SOURCES];
    size_t n = 0;
    json_t *array = NULL;
    if (*at == '[') {
        /* exec form: ["src", ..., "dest"] */
        json_error_t err;
        array = json_loads(at, 0, &err);
        if (!json_is_array(array))
            fail_msg("Dockerfile line %d: not a JSON array: %s", line, at);
        for (size_t i = 0; i < json_array_size(array); i++) {
            const char *word = json_string_value(json_array_get(array, i));
            if (!word)
                fail_msg("Dockerfile line %d: not a string in %s", line, at);
            assert_true(n < S_MAX_SOURCES);
            words[n++] = word;
        }
    } else {
        char *save = NULL;
        for (char *word = strtok_r(at, " \t", &save); word; word = strtok_r(NULL, " \t", &save)) {
            if (strncmp(word, "<<", 2) == 0)
                fail_msg("Dockerfile line %d: here-documents are not read by this test", line);
            assert_true(n < S_MAX_SOURCES);
            words[n++] = word;
        }
    }
    if (n < 2)
        fail_msg("Dockerfile line %d: %s needs a source and a destination", line,
                 add ? "ADD" : "COPY");
    for (size_t i = 0; i + 1 < n; i++)
        if (!(add && s_is_url(words[i])))
            s_add(out, words[i], line);
    json_decref(array);
}

/* Every source in the tree that `dockerfile` (its text) copies with COPY or ADD. Lines
   ending in a backslash continue; comment lines are dropped, inside a continuation too. */
static void
s_sources(const char *dockerfile, s_sources_t *out)
{
    memset(out, 0, sizeof *out);
    char *logical = harness_autofree(calloc(1, strlen(dockerfile) + 1));
    assert_non_null(logical);
    size_t len = 0;
    int line = 0, start = 0;
    bool instructions = false; /* parser directives come before any */
    for (const char *at = dockerfile; *at;) {
        size_t n = strcspn(at, "\n");
        const char *text = at;
        at += n + (at[n] == '\n');
        line++;
        size_t lead = strspn(text, " \t");
        if (text[lead] == '#') {
            if (!instructions && strncasecmp(text + lead + 1, " escape=", 8) == 0)
                fail_msg("Dockerfile line %d: another escape character is not read by this test",
                         line);
            continue;
        }
        while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\r'))
            n--;
        bool more = n > 0 && text[n - 1] == '\\';
        if (len == 0)
            start = line;
        instructions = instructions || n > lead;
        memcpy(logical + len, text, n - more);
        len += n - more;
        logical[len] = 0;
        if (more) {
            logical[len++] = ' ';
            logical[len] = 0;
            continue;
        }
        char *word = logical + strspn(logical, " \t");
        size_t wlen = strcspn(word, " \t");
        bool copy = wlen == 4 && strncasecmp(word, "COPY", 4) == 0;
        bool add = wlen == 3 && strncasecmp(word, "ADD", 3) == 0;
        if (copy || add)
            s_instruction(add, word + wlen, start, out);
        len = 0;
        logical[0] = 0;
    }
}

/* Is `rel` (a path in the context, no leading ./) excluded by the context's
   .dockerignore? The last line that matches it, or a directory above it, decides. */
static bool
s_ignored(const char *context, const char *rel)
{
    char *text = s_read(S_STR("%s/.dockerignore", context));
    if (!text)
        return false;
    bool ignored = false;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        line += strspn(line, " \t");
        size_t n = strlen(line);
        while (n > 0 && strchr(" \t\r/", line[n - 1]))
            line[--n] = 0;
        if (!*line || *line == '#')
            continue;
        bool negate = *line == '!';
        const char *pattern = line + negate;
        while (*pattern == '/')
            pattern++;
        if (strstr(pattern, "**"))
            fail_msg(".dockerignore: \"%s\": ** is not read by this test", line);
        char *prefix = S_STR("%s", rel);
        for (char *slash = prefix;; slash++) {
            slash = strchr(slash, '/');
            if (slash)
                *slash = 0;
            bool match = fnmatch(pattern, prefix, FNM_PATHNAME) == 0;
            if (slash)
                *slash = '/';
            if (match) {
                ignored = !negate;
                break;
            }
            if (!slash)
                break;
        }
    }
    return ignored;
}

/* `src` without leading slashes and ./ (Docker reads sources from the context's root). */
static const char *
s_relative(const char *src)
{
    for (;;) {
        if (*src == '/')
            src++;
        else if (strncmp(src, "./", 2) == 0)
            src += 2;
        else
            return src;
    }
}

/* Why `src` cannot be copied from `context`, or NULL when it can. */
static const char *
s_why_missing(const char *context, const char *src)
{
    const char *rel = s_relative(src);
    if (!*rel || strcmp(rel, ".") == 0)
        return NULL;
    if (strcmp(rel, "..") == 0 || strncmp(rel, "../", 3) == 0 || strstr(rel, "/../"))
        return "outside the build context";
    glob_t found;
    int rc = glob(S_STR("%s/%s", context, rel), 0, NULL, &found);
    globfree(&found);
    if (rc != 0)
        return "not in the tree";
    if (s_ignored(context, rel))
        return "excluded by .dockerignore";
    return NULL;
}

/* The sources of `dockerfile` that `context` cannot give, one "line N: SRC (why)" a line;
   "" when there are none. */
static const char *
s_missing(const char *context, const char *dockerfile)
{
    s_sources_t sources;
    s_sources(dockerfile, &sources);
    const char *report = "";
    for (size_t i = 0; i < sources.n; i++) {
        const char *why = s_why_missing(context, sources.items[i].path);
        if (why)
            report = S_STR("%sline %d: %s (%s)\n", report, sources.items[i].line,
                           sources.items[i].path, why);
    }
    return report;
}

static void
s_write(const char *path, const char *text)
{
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(text, file);
    assert_int_equal(fclose(file), 0);
}

/* ====================================================================== tests */

static void
test_dockerfile_copies_only_what_the_tree_has(void **state)
{
    (void)state;
    const char *dockerfile = s_read(DAJIA_SOURCE_DIR "/Dockerfile");
    assert_non_null(dockerfile);
    s_sources_t sources;
    s_sources(dockerfile, &sources);
    assert_true(sources.n > 0); /* a build stage copies the sources */
    const char *missing = s_missing(DAJIA_SOURCE_DIR, dockerfile);
    if (*missing)
        fail_msg("the Dockerfile copies what the repository does not have:\n%s", missing);
}

static void
test_dockerfile_copies_every_directory_the_build_adds(void **state)
{
    (void)state;
    const char *dockerfile = s_read(DAJIA_SOURCE_DIR "/Dockerfile");
    char *cmake = s_read(DAJIA_SOURCE_DIR "/CMakeLists.txt");
    assert_non_null(dockerfile);
    assert_non_null(cmake);
    s_sources_t sources;
    s_sources(dockerfile, &sources);

    const char *needed[S_MAX_SUBDIRS] = {"CMakeLists.txt"};
    size_t nneeded = 1;
    for (char *at = cmake; (at = strstr(at, "add_subdirectory(")) != NULL;) {
        at += strlen("add_subdirectory(");
        at += strspn(at, " \t");
        size_t len = strcspn(at, " \t)");
        assert_true(nneeded < S_MAX_SUBDIRS);
        needed[nneeded++] = S_STR("%.*s", (int)len, at);
    }
    assert_true(nneeded > 1);

    const char *uncopied = "";
    for (size_t i = 0; i < nneeded; i++) {
        bool copied = false;
        for (size_t k = 0; k < sources.n && !copied; k++) {
            const char *src = s_relative(sources.items[k].path);
            size_t len = strlen(src);
            copied = !*src || strcmp(src, ".") == 0 || strcmp(src, needed[i]) == 0 ||
                     (strncmp(needed[i], src, len) == 0 && needed[i][len] == '/');
        }
        if (!copied)
            uncopied = S_STR("%s%s\n", uncopied, needed[i]);
    }
    if (*uncopied)
        fail_msg("the build needs what the Dockerfile does not copy:\n%s", uncopied);
}

static void
test_dockerfile_check_finds_what_is_missing(void **state)
{
    (void)state;
    char *dir = harness_autofree(harness_tmpdir_new());
    assert_non_null(dir);
    assert_int_equal(system(S_STR("mkdir -p '%s/dir' '%s/build'", dir, dir)), 0);
    s_write(S_STR("%s/a.txt", dir), "a\n");
    s_write(S_STR("%s/dir/b.txt", dir), "b\n");
    s_write(S_STR("%s/build/x", dir), "x\n");
    s_write(S_STR("%s/.dockerignore", dir), "# build outputs\nbuild/\n");
    const char *dockerfile = "FROM debian:bookworm AS build\n"                  /* 1 */
                             "# COPY not-a-source ./\n"                         /* 2 */
                             "COPY a.txt missing-one.txt ./\n"                  /* 3 */
                             "COPY --chown=1:1 dir \\\n"                        /* 4 */
                             "     # a comment inside the continuation\n"       /* 5 */
                             "     gone-dir /src/\n"                            /* 6 */
                             "COPY [\"dir/b.txt\", \"nowhere.txt\", \"/x/\"]\n" /* 7 */
                             "ADD https://example.org/f.tar.gz ./*.txt /tmp/\n" /* 8 */
                             "COPY build/x ../outside /x\n"                     /* 9 */
                             "FROM debian:bookworm-slim\n"                      /* 10 */
                             "COPY --from=build /out/ /usr/local/bin/\n"        /* 11 */
                             "copy ./a.txt di?/*.txt /y/\n"                     /* 12 */
                             "COPY no-*.txt /z/\n";                             /* 13 */
    s_sources_t sources;
    s_sources(dockerfile, &sources);
    const char *want[] = {"a.txt",      "missing-one.txt", "dir",       "gone-dir",
                          "dir/b.txt",  "nowhere.txt",     "./*.txt",   "build/x",
                          "../outside", "./a.txt",         "di?/*.txt", "no-*.txt"};
    const int want_line[] = {3, 3, 4, 4, 7, 7, 8, 9, 9, 12, 12, 13};
    assert_int_equal(sources.n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sources.n; i++) {
        assert_string_equal(sources.items[i].path, want[i]);
        assert_int_equal(sources.items[i].line, want_line[i]);
    }
    const char *missing = s_missing(dir, dockerfile);
    harness_rm_rf(dir);
    assert_string_equal(missing, "line 3: missing-one.txt (not in the tree)\n"
                                 "line 4: gone-dir (not in the tree)\n"
                                 "line 7: nowhere.txt (not in the tree)\n"
                                 "line 9: build/x (excluded by .dockerignore)\n"
                                 "line 9: ../outside (outside the build context)\n"
                                 "line 13: no-*.txt (not in the tree)\n");
}

/* The directories docker-compose.yml (`compose`, its text) mounts named volumes on that
   the last stage of `dockerfile` does not make with `install -d ... -o dajia`, one a
   line; "" when it makes them all. Volume lines look like `- NAME:/dir[:ro]`. */
static const char *
s_unmade_volumes(const char *compose, const char *dockerfile)
{
    const char *stage = dockerfile;
    for (const char *at = dockerfile; (at = strstr(at, "\nFROM ")) != NULL; at++)
        stage = at;
    const char *report = "";
    size_t mounts = 0;
    for (const char *line = compose; *line; line += strcspn(line, "\n"), line += *line != 0) {
        const char *item = line + strspn(line, " \t");
        if (strncmp(item, "- ", 2) != 0)
            continue;
        item += 2 + strspn(item + 2, " \"");
        size_t name = strspn(item, "abcdefghijklmnopqrstuvwxyz0123456789-_");
        if (name == 0 || item[name] != ':' || item[name + 1] != '/')
            continue; /* not NAME:/dir: a port, a bind mount, a command word */
        const char *dir = item + name + 1;
        char *path = S_STR("%.*s", (int)strcspn(dir, ":\" \n"), dir);
        mounts++;
        bool made = false;
        for (const char *at = stage; !made && (at = strstr(at, path)) != NULL; at++) {
            const char *start = at;
            while (start > stage && start[-1] != '\n')
                start--;
            const char *end = at + strcspn(at, "\n");
            char *phys = S_STR("%.*s", (int)(end - start), start);
            char after = at[strlen(path)];
            made = strstr(phys, "install -d") && strstr(phys, "-o dajia") &&
                   (after == ' ' || after == '\n' || after == '\\' || after == 0);
        }
        if (!made)
            report = S_STR("%s%s\n", report, path);
    }
    if (mounts == 0)
        report = S_STR("%s(no volume mounted at all)\n", report);
    return report;
}

static void
test_every_volume_mount_point_is_made_for_the_user(void **state)
{
    (void)state;
    const char *dockerfile = s_read(DAJIA_SOURCE_DIR "/Dockerfile");
    const char *compose = s_read(DAJIA_SOURCE_DIR "/docker-compose.yml");
    assert_non_null(dockerfile);
    assert_non_null(compose);
    const char *unmade = s_unmade_volumes(compose, dockerfile);
    if (*unmade)
        fail_msg("docker-compose.yml mounts volumes on directories the image does not make "
                 "for the user dajia:\n%s",
                 unmade);
    /* The key directory among them, private. */
    assert_non_null(strstr(compose, "keys:/var/lib/dajia/keys"));
    assert_non_null(strstr(dockerfile, "install -d -m 0700 -o dajia -g dajia /var/lib/dajia/keys"));
}

static void
test_volume_check_finds_what_is_unmade(void **state)
{
    (void)state;
    const char *dockerfile = "FROM debian:bookworm AS build\n"
                             "RUN install -d -o dajia /var/lib/dajia/keys\n"
                             "FROM debian:bookworm-slim\n"
                             "RUN useradd dajia \\\n"
                             " && install -d -o dajia -g dajia /var/lib/dajia/broker \\\n"
                             " && install -d /var/lib/dajia/root-owned\n";
    const char *compose = "services:\n"
                          "  broker:\n"
                          "    ports:\n"
                          "      - \"127.0.0.1:7400:7400\"\n"
                          "    command: [dajia-broker, --keys, /var/lib/dajia/keys]\n"
                          "    volumes:\n"
                          "      - broker-data:/var/lib/dajia/broker\n"
                          "      - keys:/var/lib/dajia/keys:ro\n"
                          "      - other:/var/lib/dajia/root-owned\n"
                          "      - ./here:/var/lib/dajia/bound\n";
    assert_string_equal(s_unmade_volumes(compose, dockerfile),
                        "/var/lib/dajia/keys\n/var/lib/dajia/root-owned\n");
}

static int
s_teardown(void **state)
{
    (void)state;
    harness_autofree_all();
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_dockerfile_copies_only_what_the_tree_has, s_teardown),
        cmocka_unit_test_teardown(test_dockerfile_copies_every_directory_the_build_adds,
                                  s_teardown),
        cmocka_unit_test_teardown(test_dockerfile_check_finds_what_is_missing, s_teardown),
        cmocka_unit_test_teardown(test_every_volume_mount_point_is_made_for_the_user, s_teardown),
        cmocka_unit_test_teardown(test_volume_check_finds_what_is_unmade, s_teardown),
    };
    return cmocka_run_group_tests_name("integration.dockerfile", tests, NULL, NULL);
}
