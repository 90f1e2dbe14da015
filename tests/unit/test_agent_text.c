/*  test_agent_text: the bytes of a saved file as UTF-8 (clients/agent_text).

    The same text saved as UTF-8, UTF-8 with a byte order mark, GBK and UTF-16 (both
    byte orders, with and without the mark) reads back as the same UTF-8; the other
    bytes a liaison might hand over are refused by name with how to save as UTF-8. The
    GBK and UTF-16 bytes are made here with iconv, from the UTF-8 text.
*/
#include <errno.h>
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent_text.h"

static const char s_text[] = "案件编号,案件类别,办理阶段,案值（元）\n"
                             "信市监处罚〔2026〕118号,地理标志,立案,\"86,400.00\"\n";

/* `text` converted to `to` with iconv (caller frees); *len gets its length. */
static char *
s_encode(const char *to, const char *text, size_t *len)
{
    iconv_t cd = iconv_open(to, "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t in_left = strlen(text), cap = in_left * 4 + 8, out_left = cap;
    char *buf = malloc(cap), *in = (char *)text, *out = buf;
    assert_non_null(buf);
    assert_true(iconv(cd, &in, &in_left, &out, &out_left) != (size_t)-1);
    iconv_close(cd);
    *len = cap - out_left;
    return buf;
}

/* Decodes `data` and checks that it reads as s_text in `encoding`. */
static void
s_reads_back(const char *data, size_t len, agent_text_encoding_t expected)
{
    char *out = NULL, why[AGENT_TEXT_WHY_MAX] = "";
    size_t out_len = 0;
    agent_text_encoding_t encoding = 99;
    int rc = agent_text_decode(data, len, &out, &out_len, &encoding, why);
    if (rc)
        fail_msg("refused (%d): %s", rc, why);
    assert_int_equal(encoding, expected);
    assert_int_equal(out_len, strlen(s_text));
    assert_string_equal(out, s_text);
    free(out);
}

static void
test_utf8_with_and_without_bom(void **state)
{
    (void)state;
    s_reads_back(s_text, strlen(s_text), AGENT_TEXT_UTF8);
    char with_bom[sizeof s_text + 3] = "\xEF\xBB\xBF";
    memcpy(with_bom + 3, s_text, sizeof s_text);
    s_reads_back(with_bom, strlen(with_bom), AGENT_TEXT_UTF8_BOM);
    assert_string_equal(agent_text_encoding_name(AGENT_TEXT_UTF8_BOM),
                        "UTF-8 with a byte order mark");
}

static void
test_gbk_converted(void **state)
{
    (void)state;
    size_t len = 0;
    char *gbk = s_encode("GBK", s_text, &len);
    s_reads_back(gbk, len, AGENT_TEXT_GBK);
    assert_string_equal(agent_text_encoding_name(AGENT_TEXT_GBK), "GBK");
    free(gbk);
}

static void
test_utf16_both_orders_with_and_without_bom(void **state)
{
    (void)state;
    size_t len = 0;
    /* iconv's "UTF-16" writes a byte order mark (little-endian on this machine). */
    char *le = s_encode("UTF-16LE", s_text, &len);
    char *marked = malloc(len + 2);
    assert_non_null(marked);
    memcpy(marked, "\xFF\xFE", 2);
    memcpy(marked + 2, le, len);
    s_reads_back(marked, len + 2, AGENT_TEXT_UTF16LE);
    s_reads_back(le, len, AGENT_TEXT_UTF16LE);
    free(marked);
    free(le);

    char *be = s_encode("UTF-16BE", s_text, &len);
    marked = malloc(len + 2);
    assert_non_null(marked);
    memcpy(marked, "\xFE\xFF", 2);
    memcpy(marked + 2, be, len);
    s_reads_back(marked, len + 2, AGENT_TEXT_UTF16BE);
    s_reads_back(be, len, AGENT_TEXT_UTF16BE);
    free(marked);
    free(be);
}

/* Refused, with `words` in the sentence, which always says how to go on. */
static void
s_refused(const char *data, size_t len, const char *words)
{
    char *out = NULL, why[AGENT_TEXT_WHY_MAX] = "";
    size_t out_len = 0;
    agent_text_encoding_t encoding;
    assert_int_equal(agent_text_decode(data, len, &out, &out_len, &encoding, why), -1);
    assert_null(out);
    if (!strstr(why, words))
        fail_msg("\"%s\" does not say \"%s\"", why, words);
}

static void
test_spreadsheets_and_binary_refused_by_name(void **state)
{
    (void)state;
    s_refused("PK\x03\x04\x14\x00\x06\x00", 8, "Excel workbook (.xlsx)");
    s_refused("PK\x03\x04\x14\x00\x06\x00", 8, "CSV UTF-8");
    s_refused("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00", 10, "Excel workbook (.xls)");
    s_refused("%PDF-1.7\n", 9, "is a PDF document");
    s_refused("{\"a\":1}\n\x00\x01\x02", 11, "binary data (a zero byte at line 2, column 1)");
}

static void
test_other_encodings_refused_with_how_to_save(void **state)
{
    (void)state;
    /* Latin-1 "café, crème": neither UTF-8 nor GBK (0xE9 then a comma). */
    static const char latin1[] = "ok\ncaf\xE9, cr\xE8me\n";
    s_refused(latin1, sizeof latin1 - 1,
              "is neither UTF-8 nor GBK text (byte 0xe9 at line 2, column 4)");
    s_refused(latin1, sizeof latin1 - 1, "Notepad, Save As with the encoding UTF-8");
    /* A byte order mark that lies. */
    s_refused("\xEF\xBB\xBF"
              "caf\xE9,\n",
              9, "starts as UTF-8 text but is not");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_with_and_without_bom),
        cmocka_unit_test(test_gbk_converted),
        cmocka_unit_test(test_utf16_both_orders_with_and_without_bom),
        cmocka_unit_test(test_spreadsheets_and_binary_refused_by_name),
        cmocka_unit_test(test_other_encodings_refused_with_how_to_save),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
