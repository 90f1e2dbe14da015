/*  fuzz_agent_input: the agent's reading of a liaison's file, on arbitrary bytes: the
    encoding detection and conversion (agent_text) and the CSV reader (agent_csv).

    Properties checked on every input:
      - nothing crashes, leaks or trips a sanitizer;
      - a refusal of the bytes gives a sentence that is valid UTF-8;
      - accepted bytes become UTF-8 without a NUL, of the length announced;
      - every problem the CSV reader reports is a valid UTF-8 sentence with a line at or
        after 1 that never goes back, and a field path that is UTF-8;
      - every row becomes a JSON object the JSON mapper reads (any errors in it are of
        values, never of syntax), whose problems the reader counted.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent_csv.h"
#include "agent_text.h"
#include "dajia.pb-c.h"
#include "dajia_json.h"
#include "fuzz_util.h"

typedef struct {
    long last_line;
    int count;
} s_seen_t;

static void
s_on_problem(long line, const char *field, const char *message, void *arg)
{
    s_seen_t *seen = arg;
    FUZZ_CHECK(line >= 1, "a problem at line %ld", line);
    FUZZ_CHECK(line >= seen->last_line, "line %ld after line %ld", line, seen->last_line);
    seen->last_line = line;
    seen->count++;
    FUZZ_CHECK(fuzz_utf8_valid(field, strlen(field)), "a field path is not UTF-8");
    FUZZ_CHECK(message[0] && fuzz_utf8_valid(message, strlen(message)),
               "a problem's sentence is empty or not UTF-8");
}

static void
s_on_json_error(const dajia_json_error_t *err, void *arg)
{
    (void)arg;
    FUZZ_CHECK(err->field[0], "a row's JSON has a syntax error: %s", err->text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = NULL, why[AGENT_TEXT_WHY_MAX];
    size_t len = 0;
    agent_text_encoding_t encoding;
    memset(why, 0, sizeof why);
    if (agent_text_decode((const char *)data, size, &text, &len, &encoding, why) != 0) {
        FUZZ_CHECK(!text, "a refusal set the text");
        FUZZ_CHECK(fuzz_text_ok(why, sizeof why), "the refusal is empty or not UTF-8");
        return 0;
    }
    FUZZ_CHECK(strlen(text) == len, "the text holds a NUL or its length is wrong");
    FUZZ_CHECK(fuzz_utf8_valid(text, len), "the text is not UTF-8");
    (void)agent_csv_sniff(text, len);

    s_seen_t seen = {1, 0};
    agent_csv_t *csv = NULL;
    if (agent_csv_open(text, len, s_on_problem, &seen, &csv) == 0) {
        for (;;) {
            char *json = NULL;
            long line = 0;
            int problems = 0, before = seen.count;
            if (agent_csv_next(csv, &json, &line, &problems) != 1)
                break;
            FUZZ_CHECK(problems == seen.count - before, "%d problems counted, %d reported",
                       problems, seen.count - before);
            FUZZ_CHECK(line >= 2, "a row at line %ld", line);
            ProtobufCMessage *msg = NULL;
            dajia_json_to_message_each(&dajia__envelope__descriptor, json, strlen(json), &msg,
                                       s_on_json_error, NULL);
            FUZZ_CHECK(msg, "a row's JSON does not read: %s", json);
            protobuf_c_message_free_unpacked(msg, NULL);
            free(json);
        }
        agent_csv_destroy(&csv);
    } else
        FUZZ_CHECK(seen.count > 0, "a refused header without a reason");
    free(text);
    return 0;
}
