/*  agent_text: the bytes of a file a liaison officer saved, as UTF-8 text.

    Windows programs save text in several encodings: Notepad's "ANSI" and Excel's "CSV
    (逗号分隔)" are GBK on a Chinese Windows, Excel's "CSV UTF-8" starts with a byte order
    mark, "Unicode text" is UTF-16 little-endian with one. The agent takes all of these:
    UTF-8 with or without its byte order mark is read as it is; UTF-16 (little- or
    big-endian, with its byte order mark, or without one when the text is plainly
    UTF-16) and GBK (read as GB18030, the superset every GBK text belongs to) are
    converted with iconv. What is none of them is refused by name, with how to save it
    as UTF-8: a spreadsheet (.xlsx, .xls), a PDF, other binary data, or text in another
    encoding.
*/
#ifndef AGENT_TEXT_H
#define AGENT_TEXT_H

#include <stddef.h>

/* Room for the sentence agent_text_decode writes when it refuses. */
#define AGENT_TEXT_WHY_MAX 512

/* How the bytes were read. */
typedef enum {
    AGENT_TEXT_UTF8 = 0,
    AGENT_TEXT_UTF8_BOM,
    AGENT_TEXT_UTF16LE,
    AGENT_TEXT_UTF16BE,
    AGENT_TEXT_GBK,
} agent_text_encoding_t;

/* The encoding's name for a person: "UTF-8", "UTF-8 with a byte order mark",
   "UTF-16LE", "UTF-16BE", "GBK". Static. */
const char *
agent_text_encoding_name(agent_text_encoding_t encoding);

/* Reads `len` bytes of `data` as text. Returns 0 and sets *out (NUL-terminated UTF-8,
   without a byte order mark; the caller frees it), *out_len and *encoding; -ENOMEM; or
   -1 with a sentence in `why` (AGENT_TEXT_WHY_MAX bytes) that says what the bytes are
   and how to save them as UTF-8. A NUL byte in the text is refused (no report holds
   one). */
int
agent_text_decode(const char *data, size_t len, char **out, size_t *out_len,
                  agent_text_encoding_t *encoding, char *why);

#endif
