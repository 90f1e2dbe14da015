/*  agent_text: a saved file's bytes as UTF-8. See agent_text.h.

    The order of the checks matters: a byte order mark says for certain what follows;
    the magic numbers of zip (.xlsx), OLE (.xls) and PDF files come before any attempt
    to read text, so that a workbook is named as one instead of "not UTF-8"; valid UTF-8
    is taken before GBK, since GBK text is rarely valid UTF-8 while UTF-8 text (with any
    Chinese in it) is never valid GBK and GB18030 at once in the same way.
*/
#include "agent_text.h"

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dajia_utf8.h"

/* Saving a file as UTF-8 in the programs a liaison uses. */
#define S_HOW_TO_SAVE                                                                              \
    "save it as UTF-8: in Excel, File > Save As > \"CSV UTF-8 (Comma delimited)\" "                \
    "(文件 > 另存为 > \"CSV UTF-8(逗号分隔)\"); in Notepad, Save As with the encoding UTF-8"

const char *
agent_text_encoding_name(agent_text_encoding_t encoding)
{
    switch (encoding) {
    case AGENT_TEXT_UTF8_BOM:
        return "UTF-8 with a byte order mark";
    case AGENT_TEXT_UTF16LE:
        return "UTF-16LE";
    case AGENT_TEXT_UTF16BE:
        return "UTF-16BE";
    case AGENT_TEXT_GBK:
        return "GBK";
    default:
        return "UTF-8";
    }
}

static bool
s_starts(const char *data, size_t len, const char *magic, size_t n)
{
    return len >= n && memcmp(data, magic, n) == 0;
}

/* Files people send for a report that are no text at all, known by their first bytes. */
static const struct {
    const char *magic;
    size_t magic_len;
    const char *why;
} s_foreign[] = {
    {"PK\x03\x04", 4,
     "is a zip archive, most likely an Excel workbook (.xlsx), which the agent does not "
     "read; " S_HOW_TO_SAVE},
    {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8,
     "is an old Office file, most likely an Excel workbook (.xls), which the agent does not "
     "read; " S_HOW_TO_SAVE},
    {"%PDF", 4, "is a PDF document; the agent reads reports as JSON or CSV text (docs/fields.md)"},
};

/* Line and column (in bytes) of byte `at`. */
static void
s_where(const char *data, size_t at, long *line, long *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < at; i++) {
        if (data[i] == '\n') {
            (*line)++;
            *column = 1;
        } else
            (*column)++;
    }
}

/* Converts with iconv from `from` into a new UTF-8 buffer. Returns 0, -ENOMEM, or -1
   with *bad set to the offset of the first byte iconv could not read. */
static int
s_convert(const char *from, const char *data, size_t len, char **out, size_t *out_len, size_t *bad)
{
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1)
        return -errno;
    /* Two bytes of GBK or UTF-16 become at most three of UTF-8; four at most four. */
    size_t cap = len / 2 * 3 + 8;
    char *buf = malloc(cap + 1);
    if (!buf) {
        iconv_close(cd);
        return -ENOMEM;
    }
    char *in = (char *)data, *o = buf;
    size_t in_left = len, out_left = cap;
    int rc = 0;
    if (iconv(cd, &in, &in_left, &o, &out_left) == (size_t)-1 ||
        iconv(cd, NULL, NULL, &o, &out_left) == (size_t)-1) {
        *bad = (size_t)(in - data);
        rc = errno == E2BIG ? -ENOMEM : -1;
    }
    iconv_close(cd);
    if (rc) {
        free(buf);
        return rc;
    }
    *o = '\0';
    *out = buf;
    *out_len = (size_t)(o - buf);
    return 0;
}

/* UTF-16 without a byte order mark: every ASCII character of a text file (digits,
   commas, line ends, quotes, braces) is written with a zero byte, always on the same
   side; a Chinese character has one only now and then (一 is U+4E00). Text in any other
   encoding has no zero byte at all. Returns 1 for little-endian, 2 for big-endian, 0
   when the bytes do not look so. */
static int
s_utf16_guess(const char *data, size_t len)
{
    size_t n = len < 4096 ? len : 4096, even = 0, odd = 0;
    if (n < 4 || n % 2)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (data[i] == 0)
            *(i % 2 ? &odd : &even) += 1;
    if (odd >= 2 && odd >= 9 * even)
        return 1;
    if (even >= 2 && even >= 9 * odd)
        return 2;
    return 0;
}

static int
s_copy(const char *data, size_t len, char **out, size_t *out_len)
{
    char *buf = malloc(len + 1);
    if (!buf)
        return -ENOMEM;
    memcpy(buf, data, len);
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;
}

int
agent_text_decode(const char *data, size_t len, char **out, size_t *out_len,
                  agent_text_encoding_t *encoding, char *why)
{
    long line = 0, column = 0;
    size_t bad = 0;
    int rc;
    *encoding = AGENT_TEXT_UTF8;
    for (size_t i = 0; i < sizeof s_foreign / sizeof s_foreign[0]; i++)
        if (s_starts(data, len, s_foreign[i].magic, s_foreign[i].magic_len)) {
            snprintf(why, AGENT_TEXT_WHY_MAX, "%s", s_foreign[i].why);
            return -1;
        }
    const char *from = NULL;
    size_t skip = 0;
    if (s_starts(data, len, "\xEF\xBB\xBF", 3)) {
        *encoding = AGENT_TEXT_UTF8_BOM;
        skip = 3;
    } else if (s_starts(data, len, "\xFF\xFE", 2)) {
        *encoding = AGENT_TEXT_UTF16LE;
        from = "UTF-16LE";
        skip = 2;
    } else if (s_starts(data, len, "\xFE\xFF", 2)) {
        *encoding = AGENT_TEXT_UTF16BE;
        from = "UTF-16BE";
        skip = 2;
    } else if (s_utf16_guess(data, len) == 1) {
        *encoding = AGENT_TEXT_UTF16LE;
        from = "UTF-16LE";
    } else if (s_utf16_guess(data, len) == 2) {
        *encoding = AGENT_TEXT_UTF16BE;
        from = "UTF-16BE";
    }
    data += skip;
    len -= skip;
    if (from) {
        rc = s_convert(from, data, len, out, out_len, &bad);
        if (rc == -1) {
            snprintf(why, AGENT_TEXT_WHY_MAX, "starts as %s text but is not (at byte %zu); %s",
                     agent_text_encoding_name(*encoding), bad + skip, S_HOW_TO_SAVE);
            return -1;
        }
    } else if (memchr(data, 0, len)) {
        s_where(data, (size_t)((const char *)memchr(data, 0, len) - data), &line, &column);
        snprintf(why, AGENT_TEXT_WHY_MAX,
                 "holds binary data (a zero byte at line %ld, column %ld), not text; the agent "
                 "reads reports as JSON or CSV text (docs/fields.md)",
                 line, column);
        return -1;
    } else if ((bad = dajia_utf8_check(data, len)) == len) {
        rc = s_copy(data, len, out, out_len);
    } else if (*encoding == AGENT_TEXT_UTF8_BOM) {
        s_where(data, bad, &line, &column);
        snprintf(why, AGENT_TEXT_WHY_MAX,
                 "starts as UTF-8 text but is not (byte 0x%02x at line %ld, column %ld); %s",
                 (unsigned char)data[bad], line, column, S_HOW_TO_SAVE);
        return -1;
    } else {
        size_t utf8_bad = bad;
        *encoding = AGENT_TEXT_GBK;
        rc = s_convert("GB18030", data, len, out, out_len, &bad);
        if (rc == -1) {
            s_where(data, utf8_bad, &line, &column);
            snprintf(why, AGENT_TEXT_WHY_MAX,
                     "is neither UTF-8 nor GBK text (byte 0x%02x at line %ld, column %ld); %s",
                     (unsigned char)data[utf8_bad], line, column, S_HOW_TO_SAVE);
            return -1;
        }
    }
    if (rc)
        return rc;
    if (memchr(*out, 0, *out_len)) {
        free(*out);
        *out = NULL;
        snprintf(why, AGENT_TEXT_WHY_MAX,
                 "holds a zero character, which no report may contain; the agent reads reports "
                 "as JSON or CSV text (docs/fields.md)");
        return -1;
    }
    return 0;
}
