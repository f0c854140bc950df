/* test_cmd_redact.c: `sluice redact` end to end through sl_cmd_redact() with stdin, stdout and
 * stderr redirected to temporary files: byte-exact JSON preservation (numbers, whitespace, escapes
 * and keys kept; only changed string values re-encoded), invalid lines (bad JSON, bad UTF-8,
 * unpaired surrogate escapes), deep nesting, lines across read chunks, over-long lines, options,
 * hash key file permissions, --stats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd_redact.h"
#include "utf8.h"

struct io {
    char out[1 << 16];
    char err[1 << 12];
    int status;
};

static void slurp(FILE *f, char *dst, size_t cap)
{
    size_t n;

    rewind(f);
    n = fread(dst, 1, cap - 1, f);
    dst[n] = '\0';
}

/* Run with input[0..n) on stdin; stdout into out[0..outcap) (NUL-terminated), stderr into err. */
static int run_raw(const char *input, size_t n, char *outbuf, size_t outcap, char *errbuf,
                   size_t errcap, int argc, char **argv)
{
    FILE *in = tmpfile(), *out = tmpfile(), *err = tmpfile();
    int s0 = dup(0), s1 = dup(1), s2 = dup(2), status;

    assert_non_null(in);
    assert_non_null(out);
    assert_non_null(err);
    assert_int_equal(fwrite(input, 1, n, in), n);
    fflush(in);
    rewind(in);
    fflush(stdout);
    fflush(stderr);
    dup2(fileno(in), 0);
    dup2(fileno(out), 1);
    dup2(fileno(err), 2);
    clearerr(stdin);
    status = sl_cmd_redact(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(s0, 0);
    dup2(s1, 1);
    dup2(s2, 2);
    close(s0);
    close(s1);
    close(s2);
    clearerr(stdin);
    slurp(out, outbuf, outcap);
    slurp(err, errbuf, errcap);
    fclose(in);
    fclose(out);
    fclose(err);
    return status;
}

static void run_cmd(const char *input, struct io *io, int argc, char **argv)
{
    io->status = run_raw(input, strlen(input), io->out, sizeof(io->out), io->err, sizeof(io->err),
                         argc, argv);
}

static void test_exact_json(void **state)
{
    static const char in[] =
        "{\"id\":\"dev-1\",\"text\":\"mail john@example.com\",\"n\":1.10,\"big\":123456789012345678901234,"
        "\"arr\":[1e5,-0.0,true,null,\"+49 89 53935350\",{}],\"k@x.com\":\"Grüße \\u00e9\\n\"}\n";
    static const char want[] =
        "{\"id\":\"dev-1\",\"text\":\"mail [REDACTED_EMAIL]\",\"n\":1.10,\"big\":123456789012345678901234,"
        "\"arr\":[1e5,-0.0,true,null,\"[REDACTED_PHONE]\",{}],\"k@x.com\":\"Grüße \\u00e9\\n\"}\n";
    char *argv[] = {"redact", NULL};
    struct io io;

    (void)state;
    run_cmd(in, &io, 1, argv);
    assert_int_equal(io.status, 0);
    assert_string_equal(io.out, want);
}

static void test_invalid_line(void **state)
{
    char *argv[] = {"redact", "--stats", NULL};
    struct io io;

    (void)state;
    run_cmd("{\"a\":\"x@example.com\"}\nnot json x@example.com\n\n[1,2]\n", &io, 2, argv);
    assert_int_equal(io.status, 3);
    assert_string_equal(io.out, "{\"a\":\"[REDACTED_EMAIL]\"}\n[1,2]\n");
    assert_non_null(strstr(io.err, "line 2"));
    assert_null(strstr(io.err, "x@example.com")); /* never quote input */
    assert_non_null(strstr(io.err, "\"EMAIL\":1"));
    assert_non_null(strstr(io.err, "\"invalid\":1"));
}

static void test_usage(void **state)
{
    char *a1[] = {"redact", "--mode", "bogus", NULL};
    char *a2[] = {"redact", "--mode", "hash", NULL};
    char *a3[] = {"redact", "--types", "EMAIL,NOPE", NULL};
    char *a4[] = {"redact", "extra", NULL};
    struct io io;

    (void)state;
    run_cmd("", &io, 3, a1);
    assert_int_equal(io.status, 2);
    run_cmd("", &io, 3, a2);
    assert_int_equal(io.status, 2);
    run_cmd("", &io, 3, a3);
    assert_int_equal(io.status, 2);
    run_cmd("", &io, 2, a4);
    assert_int_equal(io.status, 2);
}

static void test_hash_key_file(void **state)
{
    char path[] = "/tmp/sl_redact_keyXXXXXX";
    int fd = mkstemp(path);
    char *argv[] = {"redact", "--mode", "hash", "--hash-key-file", path, NULL};
    struct io io, io2;

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "0123456789abcdef0123\n", 21), 21);
    close(fd);
    chmod(path, 0644);
    run_cmd("{\"t\":\"x@example.com\"}\n", &io, 5, argv);
    assert_int_equal(io.status, 2); /* readable by others: refused */
    chmod(path, 0600);
    run_cmd("{\"t\":\"x@example.com\"}\n", &io, 5, argv);
    assert_int_equal(io.status, 0);
    assert_memory_equal(io.out, "{\"t\":\"<EMAIL_", 13);
    run_cmd("{\"t\":\"x@example.com\"}\n", &io2, 5, argv);
    assert_string_equal(io.out, io2.out);
    unlink(path);
}

static void test_types_and_tokenize(void **state)
{
    char *a1[] = {"redact", "--types", "phone", NULL};
    char *a2[] = {"redact", "--mode", "tokenize", "--threads", "1", NULL};
    struct io io;

    (void)state;
    run_cmd("{\"t\":\"x@example.com +49 89 53935350\"}\n", &io, 3, a1);
    assert_int_equal(io.status, 0);
    assert_string_equal(io.out, "{\"t\":\"x@example.com [REDACTED_PHONE]\"}\n");
    run_cmd("{\"t\":[\"a@x.org\",\"b@x.org\",\"a@x.org\"]}\n{\"t\":\"b@x.org\"}\n", &io, 5, a2);
    assert_int_equal(io.status, 0);
    assert_string_equal(io.out, "{\"t\":[\"<EMAIL_1>\",\"<EMAIL_2>\",\"<EMAIL_1>\"]}\n{\"t\":\"<EMAIL_1>\"}\n");
}

/* Unchanged parts stay byte for byte; a string value with PII is re-encoded (escapes decoded but
 * for control characters); keys are never touched. want NULL: the output is the input. */
static void test_byte_exact(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"{\"n\":1.0,\"e\":1e400,\"z\":-0,\"big\":123456789012345678901234567890,\"f\":-1.5E-7,"
         "\"i\":-9223372036854775809,\"t\":\"ok\"}\n", NULL},
        {" { \"a\" : [ 1 , 2.50 ] ,\"b\":\ttrue }  \n", NULL},
        {"{\"s\":\"caf\\u00e9 \\/ \\\"q\\\" \\\\ \\t \\ud83d\\ude00 \\u0000\"}\n", NULL},
        {"{\"x@example.com\":\"ok\",\"k\":{\"john@example.com\":1}}\n", NULL},
        {"42\n", NULL},
        {"\"plain\"\n", NULL},
        {"null\n", NULL},
        {"[]\n", NULL},
        {"{\"a\":1,\"a\":2}\n", NULL},
        {"{\"a\":\"\\u0078@example.com est \\u00e9t\\u00e9\"}\n",
         "{\"a\":\"[REDACTED_EMAIL] est été\"}\n"},
        {"{\"a\":\"say \\\"hi\\\"\\tto x@example.com\\n\"}\n",
         "{\"a\":\"say \\\"hi\\\"\\tto [REDACTED_EMAIL]\\n\"}\n"},
        {"{\"a\":\"a\\u0000 x@example.com\"}\n", "{\"a\":\"a\\u0000 [REDACTED_EMAIL]\"}\n"},
        {"{\"a\":\"x@example.com then \\\"quoted\\\" and\\ttab\"}\n",
         "{\"a\":\"[REDACTED_EMAIL] then \\\"quoted\\\" and\\ttab\"}\n"},
        {"{\"a\":\"x@example.com q\\\"\"}\n", "{\"a\":\"[REDACTED_EMAIL] q\\\"\"}\n"},
        {"{\"a\":\"x@example.com\\u001f\"}\n", "{\"a\":\"[REDACTED_EMAIL]\\u001f\"}\n"},
        {"{\"a\":\"\\ud83d\\ude00 x@example.com\"}\n", "{\"a\":\"\xf0\x9f\x98\x80 [REDACTED_EMAIL]\"}\n"},
        {"[\"x@example.com\", 1.50 ,\"ok\\/\",\"y@example.org\"]\n",
         "[\"[REDACTED_EMAIL]\", 1.50 ,\"ok\\/\",\"[REDACTED_EMAIL]\"]\n"},
        {"{\"k\\\"x@example.com\\\"\":\"a\\\"b\",\"t\":\"x@example.com\",\"u\":\"\\\\\"}\n",
         "{\"k\\\"x@example.com\\\"\":\"a\\\"b\",\"t\":\"[REDACTED_EMAIL]\",\"u\":\"\\\\\"}\n"},
        {"\"x@example.com\"\n", "\"[REDACTED_EMAIL]\"\n"},
        {"{\"a\":1e400,\"a\":\"x@example.com\"}\n", "{\"a\":1e400,\"a\":\"[REDACTED_EMAIL]\"}\n"},
        {"{\"a\":\"x@example.com\"}\r\n", "{\"a\":\"[REDACTED_EMAIL]\"}\n"},
        {"{\"a\":\"x@example.com\"}", "{\"a\":\"[REDACTED_EMAIL]\"}\n"}, /* no final newline */
        {"{\"a\": \"Grüße, x@example.com\" }\n", "{\"a\": \"Grüße, [REDACTED_EMAIL]\" }\n"},
    };
    char *argv[] = {"redact", NULL};
    struct io io;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_cmd(cases[i].in, &io, 1, argv);
        if (io.status != 0 || strcmp(io.out, cases[i].want ? cases[i].want : cases[i].in) != 0)
            fail_msg("case %zu: status %d, out %s", i, io.status, io.out);
    }
}

/* Lines that are not JSON, or that yajl would accept but JSON forbids: nothing written, reported
 * by line number without quoting input, and their values not counted by --stats. */
static void test_invalid_cases(void **state)
{
    static const char *const cases[] = {
        "{\"a\":\"x\\ud800y x@example.com\"}", /* unpaired high surrogate */
        "{\"a\":\"\\udc00 x@example.com\"}",   /* lone low surrogate */
        "{\"a\":\"\\ud83d\\u0041 x@example.com\"}",
        "{\"a\":\"x@example.com \\ud83d\"}",
        "{\"\\ud800\":\"x@example.com\"}", /* in a key too */
        "{\"a\":\"x@example.com\"}{\"b\":2}",
        "{\"a\":\"x@example.com\"} x",
        "/*c*/{\"a\":\"x@example.com\"}",
        "{\"a\":\"x@example.com\"}//",
        "{\"a\":\v\"x@example.com\"}",
        "{\"a\":\"x@example.com\"}\f",
        "{\"a\":\"\xc0\x80 x@example.com\"}",         /* overlong */
        "{\"a\":\"\xed\xa0\x80 x@example.com\"}",     /* UTF-8 encoded surrogate */
        "{\"a\":\"\xf4\x90\x80\x80 x@example.com\"}", /* beyond U+10FFFF */
        "{\"a\":\"x@example.com \xff\"}",
        "{\"a\":\"\x01 x@example.com\"}",
        "{\"a\":\"x@example.com\"",
        "[\"x@example.com\",",
        "   ",
        "{'a':'x@example.com'}",
        "[01]",
        "[NaN]",
        "[1.]",
        "[+1]",
        "{\"a\":tru}",
        "\xef\xbb\xbf{}",
        "not json x@example.com",
    };
    char *argv[] = {"redact", "--stats", NULL};
    char in[256];
    struct io io;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(in, sizeof(in), "%s\n{\"ok\":1}\n", cases[i]);
        run_cmd(in, &io, 2, argv);
        if (io.status != 3 || strcmp(io.out, "{\"ok\":1}\n") != 0 ||
            !strstr(io.err, "line 1: not valid JSON (column ") || strstr(io.err, "example") ||
            !strstr(io.err, "\"invalid\":1,\"EMAIL\":0,"))
            fail_msg("case %zu: status %d, out %s, err %s", i, io.status, io.out, io.err);
    }
}

static char *xmalloc(size_t n)
{
    char *p = malloc(n);

    assert_non_null(p);
    return p;
}

/* 50,000 levels of objects and arrays around one string: only that string changes. */
static void test_deep_nesting(void **state)
{
    enum { DEPTH = 50000 };
    char *argv[] = {"redact", NULL};
    size_t cap = DEPTH * 8 + 64, n = 0, w = 0, i;
    char *in = xmalloc(cap), *want = xmalloc(cap), *out = xmalloc(cap), err[1024];

    (void)state;
    for (i = 0; i < DEPTH; i++) {
        memcpy(in + n, "{\"k\":[", 6);
        n += 6;
    }
    memcpy(want, in, n);
    w = n;
    n += (size_t)sprintf(in + n, "\"x@example.com\"");
    w += (size_t)sprintf(want + w, "\"[REDACTED_EMAIL]\"");
    for (i = 0; i < DEPTH; i++) {
        memcpy(in + n, "]}", 2);
        memcpy(want + w, "]}", 2);
        n += 2;
        w += 2;
    }
    in[n++] = '\n';
    want[w++] = '\n';
    want[w] = '\0';
    assert_int_equal(run_raw(in, n, out, cap, err, sizeof(err), 1, argv), 0);
    assert_string_equal(out, want);
    free(in);
    free(want);
    free(out);
}

/* Many lines and one 3 MB line cross the reader's 1 MB chunks; every value is found. */
static void test_long_lines(void **state)
{
    enum { LINES = 4000, BIG = 3 << 20 };
    char *argv[] = {"redact", NULL};
    size_t cap = LINES * 400 + BIG + 4096, n = 0, w = 0, i, k;
    char *in = xmalloc(cap), *want = xmalloc(cap), *out = xmalloc(cap), err[1024];

    (void)state;
    for (i = 0; i < LINES; i++) {
        n += (size_t)sprintf(in + n, "{\"id\":%zu,\"t\":\"", i);
        w += (size_t)sprintf(want + w, "{\"id\":%zu,\"t\":\"", i);
        for (k = 0; k < i % 40; k++) {
            n += (size_t)sprintf(in + n, "word ");
            w += (size_t)sprintf(want + w, "word ");
        }
        n += (size_t)sprintf(in + n, "mail u%zu@example.com done\"}\n", i);
        w += (size_t)sprintf(want + w, "mail [REDACTED_EMAIL] done\"}\n");
    }
    n += (size_t)sprintf(in + n, "{\"big\":\"");
    w += (size_t)sprintf(want + w, "{\"big\":\"");
    for (k = 0; k < 3; k++) {
        memset(in + n, 'a', (1 << 20) - 100);
        memset(want + w, 'a', (1 << 20) - 100);
        n += (1 << 20) - 100;
        w += (1 << 20) - 100;
        n += (size_t)sprintf(in + n, " x%zu@example.com ", k);
        w += (size_t)sprintf(want + w, " [REDACTED_EMAIL] ");
    }
    n += (size_t)sprintf(in + n, "\"}\n");
    w += (size_t)sprintf(want + w, "\"}\n");
    assert_int_equal(run_raw(in, n, out, cap, err, sizeof(err), 1, argv), 0);
    assert_int_equal(strlen(out), w);
    assert_memory_equal(out, want, w);
    free(in);
    free(want);
    free(out);
}

/* Lines over SL_REDACT_MAX_LINE are skipped to their end, with or without a newline. */
static void test_too_long(void **state)
{
    static const char l1[] = "{\"a\":\"x@example.com\"}\n", l3[] = "{\"b\":\"y@example.org\"}\n";
    char *argv[] = {"redact", NULL};
    size_t big = SL_REDACT_MAX_LINE + 1, cap = 2 * big + 256, n = 0;
    char *in = xmalloc(cap), out[256], err[1024];

    (void)state;
    memcpy(in, l1, sizeof(l1) - 1);
    n = sizeof(l1) - 1;
    memset(in + n, ' ', big);
    n += big;
    in[n++] = '\n';
    memcpy(in + n, l3, sizeof(l3) - 1);
    n += sizeof(l3) - 1;
    memset(in + n, '[', big);
    n += big;
    assert_int_equal(run_raw(in, n, out, sizeof(out), err, sizeof(err), 1, argv), 3);
    assert_string_equal(out, "{\"a\":\"[REDACTED_EMAIL]\"}\n{\"b\":\"[REDACTED_EMAIL]\"}\n");
    assert_non_null(strstr(err, "line 2: longer than"));
    assert_non_null(strstr(err, "line 4: longer than"));
    free(in);
}

/* Whatever an operator keeps of a value, the line written is valid UTF-8 (mask keeps the first
 * byte of an e-mail address; a cut character becomes U+FFFD). */
static void test_mask_keeps_utf8(void **state)
{
    char *argv[] = {"redact", "--mode", "mask", NULL};
    struct io io;

    (void)state;
    run_cmd("{\"t\":\"mail \u00e9mile@example.com\"}\n{\"t\":\"mail Ã©mile@example.com\"}\n",
            &io, 3, argv);
    assert_int_equal(io.status, 0);
    assert_non_null(strstr(io.out, "***@example.com\"}\n"));
    assert_null(strstr(io.out, "mile"));
    assert_true(sl_utf8_valid(io.out, strlen(io.out), NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_json),   cmocka_unit_test(test_invalid_line),
        cmocka_unit_test(test_usage),        cmocka_unit_test(test_hash_key_file),
        cmocka_unit_test(test_types_and_tokenize), cmocka_unit_test(test_byte_exact),
        cmocka_unit_test(test_invalid_cases),      cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_long_lines),         cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_mask_keeps_utf8),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
