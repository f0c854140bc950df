/* test_cmd_redact.c: `sluice redact` end to end through sl_cmd_redact() with stdin, stdout and
 * stderr redirected to temporary files: exact JSON preservation (numbers verbatim, keys kept,
 * UTF-8 kept), invalid lines, options, hash key file permissions, --stats. */
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

static void run_cmd(const char *input, struct io *io, int argc, char **argv)
{
    FILE *in = tmpfile(), *out = tmpfile(), *err = tmpfile();
    int s0 = dup(0), s1 = dup(1), s2 = dup(2);

    assert_non_null(in);
    assert_non_null(out);
    assert_non_null(err);
    fputs(input, in);
    fflush(in);
    rewind(in);
    fflush(stdout);
    fflush(stderr);
    dup2(fileno(in), 0);
    dup2(fileno(out), 1);
    dup2(fileno(err), 2);
    clearerr(stdin);
    io->status = sl_cmd_redact(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(s0, 0);
    dup2(s1, 1);
    dup2(s2, 2);
    close(s0);
    close(s1);
    close(s2);
    clearerr(stdin);
    slurp(out, io->out, sizeof(io->out));
    slurp(err, io->err, sizeof(io->err));
    fclose(in);
    fclose(out);
    fclose(err);
}

static void test_exact_json(void **state)
{
    static const char in[] =
        "{\"id\":\"dev-1\",\"text\":\"mail john@example.com\",\"n\":1.10,\"big\":123456789012345678901234,"
        "\"arr\":[1e5,-0.0,true,null,\"+49 89 53935350\",{}],\"k@x.com\":\"Grüße \\u00e9\\n\"}\n";
    static const char want[] =
        "{\"id\":\"dev-1\",\"text\":\"mail [REDACTED_EMAIL]\",\"n\":1.10,\"big\":123456789012345678901234,"
        "\"arr\":[1e5,-0.0,true,null,\"[REDACTED_PHONE]\",{}],\"k@x.com\":\"Grüße é\\n\"}\n";
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_json),   cmocka_unit_test(test_invalid_line),
        cmocka_unit_test(test_usage),        cmocka_unit_test(test_hash_key_file),
        cmocka_unit_test(test_types_and_tokenize),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
