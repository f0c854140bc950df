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
#include <jansson.h>

#include "anonymize.h"
#include "buf.h"
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
        {"{\"a\":\"\\ud83d\\ude00 x@example.com\"}\n",
         "{\"a\":\"\xf0\x9f\x98\x80 [REDACTED_EMAIL]\"}\n"},
        {"[\"x@example.com\", 1.50 ,\"ok\\/\",\"y@example.org\"]\n",
         "[\"[REDACTED_EMAIL]\", 1.50 ,\"ok\\/\",\"[REDACTED_EMAIL]\"]\n"},
        {"{\"k\\\"x@example.com\\\"\":\"a\\\"b\",\"t\":\"x@example.com\",\"u\":\"\\\\\"}\n",
         "{\"k\\\"x@example.com\\\"\":\"a\\\"b\",\"t\":\"[REDACTED_EMAIL]\",\"u\":\"\\\\\"}\n"},
        {"\"x@example.com\"\n", "\"[REDACTED_EMAIL]\"\n"},
        {"{\"a\":1e400,\"a\":\"x@example.com\"}\n", "{\"a\":1e400,\"a\":\"[REDACTED_EMAIL]\"}\n"},
        {"{\"a\":\"x@example.com\"}\r\n", "{\"a\":\"[REDACTED_EMAIL]\"}\n"},
        {"{\"a\":\"x@example.com\"}", "{\"a\":\"[REDACTED_EMAIL]\"}\n"}, /* no final newline */
        {"{\"a\": \"Grüße, x@example.com\" }\n", "{\"a\": \"Grüße, [REDACTED_EMAIL]\" }\n"},
        /* the opening quote 7, 8 and 9 bytes after the previous token */
        {"{\"a\":      \"x@example.com\"}\n", "{\"a\":      \"[REDACTED_EMAIL]\"}\n"},
        {"{\"a\":       \"x@example.com\"}\n", "{\"a\":       \"[REDACTED_EMAIL]\"}\n"},
        {"{\"a\":        \"x@example.com\"}\n", "{\"a\":        \"[REDACTED_EMAIL]\"}\n"},
        {"[1,2,3,4,5,6,7,8,9,\"x@example.com\"]\n", "[1,2,3,4,5,6,7,8,9,\"[REDACTED_EMAIL]\"]\n"},
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

/* Property over random documents (nesting, escapes, keys and values with and without PII, spaces):
 * read back by jansson, the output is the input with every string value replaced by what
 * sl_anon_text makes of it and nothing else changed; a line with no string changed is written
 * byte for byte. This checks the token positions taken from yajl. */
static unsigned long long rs = 0x9E3779B97F4A7C15ull;

static unsigned rnd(unsigned n)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (unsigned)(rs % n);
}

static void put(struct sl_buf *b, const char *str)
{
    assert_int_equal(sl_buf_append_str(b, str), 0);
}

static void gen_ws(struct sl_buf *b)
{
    static const char *const ws[] = {"", "", "", " ", "\t", "  "};

    put(b, ws[rnd(6)]);
}

/* A key (key >= 0) starts with its index: jansson would keep only the last of duplicate keys
 * and cannot hold a NUL in a key. */
static void gen_str(struct sl_buf *b, int key)
{
    static const char *const pieces[] = {
        "hello", " ", "world", "x@example.com", "mail a.b@example.org now", "\\\"", "\\\\", "\\/",
        "\\n", "\\t", "\\u00e9", "\\ud83d\\ude00", "\\u0000", "\xc3\xa9", ("Gr\xc3\xbc\xc3\x9f" "e"),
        "+49 89 53935350", "4111 1111 1111 1111", "v1.2.3", "$12.50", "\\u0078@example.com"};
    unsigned k, n = rnd(6);

    assert_int_equal(key >= 0 ? sl_buf_printf(b, "\"%d ", key) : sl_buf_append_str(b, "\""), 0);
    for (k = 0; k < n; k++) {
        const char *pc = pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))];

        put(b, key >= 0 && strcmp(pc, "\\u0000") == 0 ? "k" : pc);
    }
    put(b, "\"");
}

static void gen_val(struct sl_buf *b, int depth)
{
    static const char *const lit[] = {"0", "-0", "1.0", "-12.5E-3", "42", "1e5", "true", "false",
                                       "null"};
    unsigned k, n, c = depth > 4 ? 2 + rnd(3) : rnd(5);

    gen_ws(b);
    if (c < 2) {
        put(b, c ? "[" : "{");
        for (k = 0, n = rnd(5); k < n; k++) {
            if (k)
                put(b, ",");
            if (!c) {
                gen_ws(b);
                gen_str(b, (int)k);
                gen_ws(b);
                put(b, ":");
            }
            gen_val(b, depth + 1);
        }
        gen_ws(b);
        put(b, c ? "]" : "}");
    } else if (c < 4) {
        gen_str(b, -1);
    } else {
        put(b, lit[rnd(sizeof(lit) / sizeof(lit[0]))]);
    }
    gen_ws(b);
}

static void check_tree(json_t *in, json_t *out, struct sl_anon *a, struct sl_anon_scratch *s,
                       struct sl_buf *tmp, bool *changed)
{
    const char *key;
    json_t *x;
    size_t k;

    assert_non_null(out);
    assert_int_equal(json_typeof(in), json_typeof(out));
    if (json_is_object(in)) {
        assert_int_equal(json_object_size(in), json_object_size(out));
        json_object_foreach(in, key, x) {
            check_tree(x, json_object_get(out, key), a, s, tmp, changed);
        }
    } else if (json_is_array(in)) {
        assert_int_equal(json_array_size(in), json_array_size(out));
        json_array_foreach(in, k, x) check_tree(x, json_array_get(out, k), a, s, tmp, changed);
    } else if (json_is_string(in)) {
        sl_buf_reset(tmp);
        assert_int_equal(sl_anon_text(a, s, json_string_value(in), json_string_length(in), tmp,
                                      NULL, NULL), 0);
        assert_int_equal(json_string_length(out), tmp->len);
        assert_memory_equal(json_string_value(out), tmp->p ? tmp->p : "", tmp->len);
        if (tmp->len != json_string_length(in) ||
            memcmp(tmp->p ? tmp->p : "", json_string_value(in), tmp->len) != 0)
            *changed = true;
    } else {
        assert_true(json_equal(in, out));
    }
}

static void test_random_documents(void **state)
{
    enum { DOCS = 1500 };
    struct sl_anon_opts o = {.mode = SL_ANON_REDACT};
    char *argv[] = {"redact", NULL};
    struct sl_anon *a;
    struct sl_anon_scratch *sc;
    struct sl_buf in, tmp;
    char *out, err[1024], *ip, *op;
    size_t cap, i, nchanged = 0;

    (void)state;
    sl_buf_init(&in, 0);
    sl_buf_init(&tmp, 0);
    for (i = 0; i < DOCS; i++) {
        gen_val(&in, i % 3 ? 1 : 0);
        put(&in, "\n");
    }
    cap = in.len * 4 + 64;
    out = xmalloc(cap);
    assert_int_equal(run_raw(in.p, in.len, out, cap, err, sizeof(err), 1, argv), 0);
    assert_int_equal(sl_anon_create(&o, &a), 0);
    assert_int_equal(sl_anon_scratch_create(a, &sc), 0);
    for (ip = in.p, op = out, i = 0; i < DOCS; i++) {
        char *ie = strchr(ip, '\n'), *oe = strchr(op, '\n');
        json_error_t je;
        json_t *jin, *jout;
        bool changed = false;

        assert_non_null(ie);
        assert_non_null(oe);
        jin = json_loadb(ip, (size_t)(ie - ip), JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        jout = json_loadb(op, (size_t)(oe - op), JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        if (!jin || !jout)
            fail_msg("line %zu: %s not JSON: %s", i + 1, jin ? "output" : "input", je.text);
        check_tree(jin, jout, a, sc, &tmp, &changed);
        if (!changed) {
            assert_int_equal(ie - ip, oe - op);
            assert_memory_equal(ip, op, (size_t)(ie - ip));
        }
        nchanged += changed;
        json_decref(jin);
        json_decref(jout);
        ip = ie + 1;
        op = oe + 1;
    }
    assert_int_equal(*op, '\0');
    assert_true(nchanged > DOCS / 10 && nchanged < DOCS * 9 / 10); /* both kinds were exercised */
    sl_anon_scratch_destroy(sc);
    sl_anon_destroy(a);
    sl_buf_free(&in);
    sl_buf_free(&tmp);
    free(out);
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

/* The column of an invalid line's first ill-formed UTF-8 byte (else of its first \v or \f) is
 * what checking the whole line at once gives, wherever the bad bytes fall: before, in or after a
 * 32-byte block of plain ASCII, at the end of a run of multi-byte characters of any length,
 * cut by an ASCII byte, with a \v before or after. Lines of valid UTF-8 around the same places
 * are copied unchanged. One run over all the lines. */
static void test_invalid_columns(void **state)
{
    static const struct {
        const char *head, *run, *tail; /* line: [" head x*k run*m tail "] */
    } shapes[] = {
        {"", "", "\xff"},
        {"", "", "\xc3" "A"},               /* a sequence cut by an ASCII byte */
        {"", "\xc3\xa9", "\xed\xa0\x80"},   /* an encoded surrogate after m e-acutes */
        {"", "\xe2\x82\xac", "\xe2\x82"},   /* cut by the closing quote */
        {"", "\xf0\x9f\x98\x80", "\xc0\x80"}, /* overlong after m 4-byte characters */
        {"\v", "\xc3\xa9", "\xff"},         /* \v first: the UTF-8 error is the one reported */
        {"", "\xc3\xa9", "\",\f1,\""},      /* \f alone */
        {"", "\xc3\xa9", ""},               /* valid */
        {"\t", "\xe2\x82\xac", "\t"},       /* valid, tab inside a string is invalid JSON */
    };
    char *argv[] = {"redact", "--mode", "off", NULL};
    size_t cap = 1 << 20, n = 0, nlines = 0, i, k, m, j;
    char *in = xmalloc(cap), *out = xmalloc(cap), *err = xmalloc(cap), *want = xmalloc(cap);
    static size_t wantcol[4096];
    size_t wn = 0;
    char line[512];

    (void)state;
    for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        for (k = 0; k < 70; k += (k < 40 ? 1 : 7)) {
            for (m = 0; m < 12; m += (i == 0 || i == 1 ? 12 : 1)) {
                size_t ln = 0, vf, off;
                const char *v, *f;

                ln += (size_t)snprintf(line + ln, sizeof(line) - ln, "[\"%s", shapes[i].head);
                for (j = 0; j < k; j++)
                    line[ln++] = 'x';
                for (j = 0; j < m; j++)
                    ln += (size_t)snprintf(line + ln, sizeof(line) - ln, "%s", shapes[i].run);
                ln += (size_t)snprintf(line + ln, sizeof(line) - ln, "%s\"]", shapes[i].tail);
                v = memchr(line, '\v', ln);
                f = memchr(line, '\f', ln);
                vf = v ? (size_t)(v - line) + 1 : f ? (size_t)(f - line) + 1 : 0;
                wantcol[nlines++] = !sl_utf8_valid(line, ln, &off) ? off + 1 : vf;
                assert_true(nlines < sizeof(wantcol) / sizeof(wantcol[0]));
                memcpy(in + n, line, ln);
                n += ln;
                in[n++] = '\n';
                if (wantcol[nlines - 1] == 0 && !memchr(line, '\t', ln)) {
                    memcpy(want + wn, line, ln);
                    wn += ln;
                    want[wn++] = '\n';
                }
            }
        }
    }
    want[wn] = '\0';
    assert_int_equal(run_raw(in, n, out, cap, err, cap, 3, argv), 3);
    assert_string_equal(out, want);
    for (i = 0; i < nlines; i++) {
        char msg[96];

        if (wantcol[i]) {
            snprintf(msg, sizeof(msg), "line %zu: not valid JSON (column %zu)\n", i + 1,
                     wantcol[i]);
            if (!strstr(err, msg))
                fail_msg("line %zu: want column %zu: %s", i + 1, wantcol[i], err);
        }
    }
    free(in);
    free(out);
    free(err);
    free(want);
}

/* A changed string is re-encoded exactly as sl_buf_append_json_str encodes its new text, wherever
 * a byte that needs an escape (or a non-ASCII character) falls: before, in or after the first
 * 32-byte block of plain text, or nowhere. One run over all the lines. */
static void test_reencode_offsets(void **state)
{
    static const struct {
        const char *json, *text; /* a piece as written in the input, and its decoded text */
    } pieces[] = {
        {"", ""},           {"\\\"", "\""},       {"\\\\", "\\"},     {"\\n", "\n"},
        {"\\u0001", "\x01"}, {"\xc3\xa9", "\xc3\xa9"}, {"\\u00e9", "\xc3\xa9"}, {"/", "/"},
        {"\\n\\t\\r\\b\\f\\u0002\\u001f\\u007f\\u0080", "\n\t\r\b\f\x02\x1f\x7f\xc2\x80"},
        {"ccccccccccccccccccccccccccccccccccccccc\\\"cccccccccccccccc\\\\\\u001e",
         "ccccccccccccccccccccccccccccccccccccccc\"cccccccccccccccc\\\x1e"},
    };
    char *argv[] = {"redact", NULL};
    size_t cap = 1 << 20, n = 0, i, k, j;
    char *in = xmalloc(cap), *out = xmalloc(cap), *err = xmalloc(cap);
    struct sl_buf want, text;

    (void)state;
    sl_buf_init(&want, cap);
    sl_buf_init(&text, cap);
    for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
        for (k = 0; k < 90; k += (k < 40 ? 1 : 3)) {
            for (j = 0; j < 2; j++) { /* the piece before, then after the address */
                sl_buf_reset(&text);
                n += (size_t)snprintf(in + n, cap - n, "{\"n\":%zu,\"t\":\"", k);
                assert_int_equal(sl_buf_printf(&want, "{\"n\":%zu,\"t\":", k), 0);
                memset(in + n, 'a', k);
                n += k;
                assert_int_equal(sl_buf_printf(&text, "%.*s", (int)k, in + n - k), 0);
                n += (size_t)snprintf(in + n, cap - n, "%s john@example.com %s%.*s\"}\n",
                                      j ? "" : pieces[i].json, j ? pieces[i].json : "",
                                      (int)(k % 13), "bbbbbbbbbbbbb");
                assert_int_equal(sl_buf_printf(&text, "%s [REDACTED_EMAIL] %s%.*s",
                                               j ? "" : pieces[i].text, j ? pieces[i].text : "",
                                               (int)(k % 13), "bbbbbbbbbbbbb"), 0);
                assert_int_equal(sl_buf_append_json_str(&want, text.p, text.len), 0);
                assert_int_equal(sl_buf_append(&want, "}\n", 2), 0);
            }
        }
    }
    assert_int_equal(run_raw(in, n, out, cap, err, cap, 1, argv), 0);
    assert_string_equal(out, want.p);
    sl_buf_free(&want);
    sl_buf_free(&text);
    free(in);
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_json),   cmocka_unit_test(test_invalid_line),
        cmocka_unit_test(test_usage),        cmocka_unit_test(test_hash_key_file),
        cmocka_unit_test(test_types_and_tokenize), cmocka_unit_test(test_byte_exact),
        cmocka_unit_test(test_invalid_cases),      cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_long_lines),         cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_mask_keeps_utf8),    cmocka_unit_test(test_random_documents),
        cmocka_unit_test(test_invalid_columns),    cmocka_unit_test(test_reencode_offsets),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
