/*  agent_notices: reading and printing a unit's notices (see agent_notices.h).

    The reading is office_follow's catch-up with audience UNIT: the same replay, paging
    and position kept in a file, in the unit's numbering (unit_seq), so that what makes
    `dajia-office watch` print each escalation once does the same here.
*/
#include "agent_notices.h"

#include <errno.h>
#include <string.h>

#include "dajia_error.h"
#include "dajia_json.h"
#include "dajia_keydir.h"
#include "office_follow.h"

#define S_TIMEOUT_MS 5000

typedef struct {
    const agent_notices_options_t *o;
    uint64_t printed;
} s_run_t;

/* Prints `text`'s lines, each indented. */
static void
s_lines(FILE *out, const char *label, const char *text)
{
    if (!text || !*text)
        return;
    fprintf(out, "  %s", label);
    for (const char *p = text; *p; p++) {
        fputc(*p, out);
        if (*p == '\n' && p[1])
            fprintf(out, "  %*s", (int)strlen(label), "");
    }
    fputc('\n', out);
}

int
agent_notices_format(FILE *out, const Dajia__FeedItem *item)
{
    if (item->item_case != DAJIA__FEED_ITEM__ITEM_NOTICE || !item->notice)
        return 0; /* nothing else is sent to a unit today */
    const Dajia__UnitNotice *n = item->notice;
    char when[40] = "";
    if (n->noticed_at)
        dajia_json_format_time(n->noticed_at, when, sizeof when);
    fprintf(out, "[%s] 事件 event %s", n->rule, n->event_id);
    if (*n->matter_id)
        fprintf(out, "  重大事项 matter %s", n->matter_id);
    if (*when)
        fprintf(out, "  (%s)", when);
    fputc('\n', out);
    s_lines(out, "", n->text);
    s_lines(out, "处理 / to do: ", n->fix);
    return ferror(out) ? -EIO : 0;
}

/* office_follow's callback: prints one notice, flushed, before its position moves. */
static int
s_item(const Dajia__FeedItem *item, void *arg)
{
    s_run_t *run = arg;
    int rc = agent_notices_format(run->o->out, item);
    if (rc == 0 && fflush(run->o->out) != 0)
        rc = -EIO;
    if (rc == 0 && item->item_case == DAJIA__FEED_ITEM__ITEM_NOTICE)
        run->printed++;
    return rc;
}

/* A CURVE client with our key when there is one. */
static int
s_connect(void *sock, const char *endpoint, void *arg)
{
    const agent_notices_options_t *o = arg;
    if (!o->cert)
        return zsock_connect(sock, "%s", endpoint) == 0 ? 0 : -EINVAL;
    int rc = dajia_keydir_apply(sock, o->cert, o->broker_key);
    if (rc == 0)
        rc = dajia_keydir_connect(sock, endpoint, o->timeout_ms ? o->timeout_ms : S_TIMEOUT_MS);
    return rc == -ETIMEDOUT || rc == -EINTR ? 0 : rc; /* the replay's wait reports it */
}

int
agent_notices_print(const agent_notices_options_t *o, uint64_t *printed, char *err, size_t errlen)
{
    *printed = 0;
    char *dir = zsys_sprintf("%s/%s", o->state_dir, AGENT_NOTICES_DIR);
    if (!dir) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    office_follow_options_t fo = {
        .api = o->broker,
        .audience = DAJIA__AUDIENCE__AUDIENCE_UNIT,
        .unit = o->unit,
        .state_dir = dir,
        .timeout_ms = o->timeout_ms ? o->timeout_ms : S_TIMEOUT_MS,
        .connect = s_connect,
        .connect_arg = (void *)o,
    };
    office_follow_t *follow = NULL;
    s_run_t run = {.o = o};
    int rc = office_follow_new(&fo, &follow);
    if (rc)
        snprintf(err, errlen, "cannot read the notices (position in %s): %s", dir,
                 dajia_strerror(rc));
    else {
        rc = office_follow_catch_up(follow, s_item, &run);
        if (rc < 0)
            snprintf(err, errlen, "%s",
                     *office_follow_error(follow) ? office_follow_error(follow)
                                                  : dajia_strerror(rc));
        else
            rc = 0;
    }
    *printed = run.printed;
    office_follow_destroy(&follow);
    zstr_free(&dir);
    return rc;
}
