/* test_jscan.c: the yajl fast paths against jansson, case by case: what they accept builds the same
 * tree as json_loadb, the "body" range holds exactly the member's bytes, and every input where yajl
 * and jansson could disagree falls back (SL_JSCAN_FALLBACK) so jansson decides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jscan.h"
#include "utf8.h"

struct load_case {
    const char *in;
    int rc;          /* expected return */
    const char *body; /* expected bytes of the body range, NULL: no range */
};

static void expect_same_tree(json_t *fast, const char *in)
{
    json_t *ref = json_loadb(in, strlen(in), JSON_REJECT_DUPLICATES, NULL);
    char *a, *b;

    assert_non_null(ref);
    assert_true(json_equal(fast, ref));
    a = json_dumps(fast, JSON_COMPACT | JSON_PRESERVE_ORDER);
    b = json_dumps(ref, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(a, b); /* same key order too */
    free(a);
    free(b);
    json_decref(ref);
}

static void test_load_table(void **state)
{
    static const struct load_case cases[] = {
        {"{\"custom_id\":\"a\",\"body\":{\"model\":\"m\",\"n\":1}}", 0, "{\"model\":\"m\",\"n\":1}"},
        {" {\"body\" :\t [1, 2] , \"x\":1}\r\n", 0, "[1, 2]"},
        {"{\"x\":1,\"body\":-1.5e3}", 0, "-1.5e3"},
        {"{\"body\":\"a\\\"b\",\"z\":null}", 0, "\"a\\\"b\""},
        {"{\"body\":true}", 0, "true"},
        {"{\"a\":{\"body\":1}}", 0, NULL},                 /* not a top-level member */
        {"{\"bodyx\":1,\"body\":{}}", 0, "{}"},
        {"{\"s\":\"\\ud83d\\ude00 caf\\u00e9\"}", 0, NULL},  /* a well-formed pair */
        {"{\"s\":\"\\\\u0000\"}", 0, NULL},                /* an escaped backslash, not an escape */
        {"{\"n\":[0,-0,9223372036854775807,-9223372036854775808,1e-400,0.1,1E2]}", 0, NULL},
        {"{\"a\":1,\"a\":2}", SL_JSCAN_FALLBACK, NULL},      /* duplicate key */
        {"{\"s\":\"\\u0000\"}", SL_JSCAN_FALLBACK, NULL},    /* jansson refuses NUL */
        {"{\"s\":\"\\ud800\"}", SL_JSCAN_FALLBACK, NULL},    /* lone high surrogate */
        {"{\"s\":\"\\ud800\\u0041\"}", SL_JSCAN_FALLBACK, NULL}, /* high + not low */
        {"{\"s\":\"\\udc00\"}", SL_JSCAN_FALLBACK, NULL},    /* lone low surrogate */
        {"{\"n\":9223372036854775808}", SL_JSCAN_FALLBACK, NULL},
        {"{\"n\":1e400}", SL_JSCAN_FALLBACK, NULL},
        {"{\"s\":\"\xc0\x80\"}", SL_JSCAN_FALLBACK, NULL},   /* overlong NUL */
        {"{\"s\":\"\xed\xa0\x80\"}", SL_JSCAN_FALLBACK, NULL}, /* encoded surrogate */
        {"{\v\"a\":1}", SL_JSCAN_FALLBACK, NULL},             /* yajl's extra blank */
        {"{}\"x", SL_JSCAN_FALLBACK, NULL},                   /* yajl lets this pass */
        {"{}{}", SL_JSCAN_FALLBACK, NULL},
        {"{\"a\":1,}", SL_JSCAN_FALLBACK, NULL},
        {"{\"a\":01}", SL_JSCAN_FALLBACK, NULL},
        {"{/*c*/\"a\":1}", SL_JSCAN_FALLBACK, NULL},
        {"[{\"body\":1}]", SL_JSCAN_FALLBACK, NULL},          /* top level not an object */
        {"\"body\"", SL_JSCAN_FALLBACK, NULL},
        {"", SL_JSCAN_FALLBACK, NULL},
        {"{\"s\":\"tab\there\"}", SL_JSCAN_FALLBACK, NULL},   /* raw control character */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct load_case *k = &cases[i];
        json_t *t = NULL;
        size_t s = 7, e = 7;
        int rc = sl_jscan_load(k->in, strlen(k->in), "body", &t, &s, &e);

        print_message("case %zu: %s\n", i, k->in);
        assert_int_equal(rc, k->rc);
        if (sl_utf8_valid(k->in, strlen(k->in), NULL)) {
            /* the variant for text already checked as UTF-8 gives the same answer */
            json_t *t2 = NULL;
            size_t s2 = 7, e2 = 7;

            assert_int_equal(sl_jscan_load_utf8(k->in, strlen(k->in), "body", &t2, &s2, &e2), rc);
            assert_int_equal(s2, rc ? 0 : s);
            assert_int_equal(e2, rc ? 0 : e);
            assert_true(rc ? t2 == NULL : json_equal(t, t2));
            json_decref(t2);
        }
        if (rc) {
            assert_null(t);
            continue;
        }
        expect_same_tree(t, k->in);
        if (k->body) {
            assert_int_equal(e - s, strlen(k->body));
            assert_memory_equal(k->in + s, k->body, e - s);
        } else {
            assert_int_equal(s, 0);
            assert_int_equal(e, 0);
        }
        json_decref(t);
    }
}

/* The reals and integers jansson would make, one by one. */
static void test_load_numbers(void **state)
{
    const char *in = "{\"a\":1.0,\"b\":2,\"c\":-0.0,\"d\":123456789012,\"e\":5e-324}";
    json_t *t = NULL;
    size_t s, e;

    (void)state;
    assert_int_equal(sl_jscan_load(in, strlen(in), NULL, &t, &s, &e), 0);
    assert_true(json_is_real(json_object_get(t, "a")));
    assert_true(json_is_integer(json_object_get(t, "b")));
    assert_true(json_is_real(json_object_get(t, "c")));
    assert_int_equal(json_integer_value(json_object_get(t, "d")), 123456789012LL);
    assert_true(json_real_value(json_object_get(t, "e")) > 0);
    expect_same_tree(t, in);
    json_decref(t);
}

/* Nesting: deep but allowed input parses; deeper than jansson's limit falls back. */
static void test_load_depth(void **state)
{
    size_t d, i;

    (void)state;
    for (d = 1500; d <= 2100; d += 600) {
        char *in = malloc(2 * d + 16);
        json_t *t = NULL;
        size_t s, e, n = 0;

        assert_non_null(in);
        n += (size_t)sprintf(in, "{\"body\":");
        for (i = 0; i < d; i++)
            in[n++] = '[';
        for (i = 0; i < d; i++)
            in[n++] = ']';
        in[n++] = '}';
        in[n] = '\0';
        assert_int_equal(sl_jscan_load(in, n, "body", &t, &s, &e), d < 2000 ? 0 : SL_JSCAN_FALLBACK);
        if (t) {
            assert_int_equal(e - s, 2 * d);
            json_decref(t);
        }
        free(in);
    }
}

struct resp_case {
    const char *in;
    int rc;
    uint64_t prompt, completion, total, input, output;
    const char *id;
    bool newline;
};

static void test_response_table(void **state)
{
    static const struct resp_case cases[] = {
        {"{\"id\":\"chatcmpl-1\",\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":1,"
         "\"total_tokens\":32}}", 0, 31, 1, 32, 0, 0, "chatcmpl-1", false},
        /* Anthropic/Responses-style names */
        {"{\"usage\":{\"input_tokens\":5,\"output_tokens\":7}}", 0, 0, 0, 0, 5, 7, "", false},
        /* a later "usage" replaces the earlier one, as in jansson's tree */
        {"{\"usage\":{\"prompt_tokens\":3},\"usage\":{\"total_tokens\":4}}", 0, 0, 0, 4, 0, 0, "",
         false},
        {"{\"usage\":{\"prompt_tokens\":3,\"prompt_tokens\":\"x\"}}", 0, 0, 0, 0, 0, 0, "", false},
        /* only the top-level usage object counts */
        {"{\"choices\":[{\"usage\":{\"prompt_tokens\":9}}],\"usage\":{\"x\":{\"prompt_tokens\":8}}}",
         0, 0, 0, 0, 0, 0, "", false},
        {"{\"usage\":{\"prompt_tokens\":-3,\"completion_tokens\":2.0,\"total_tokens\":0}}", 0, 0, 0, 0,
         0, 0, "", false},
        {"{\"usage\":[1,2]}", 0, 0, 0, 0, 0, 0, "", false},
        {"{\"id\":7,\"object\":\"x\"}", 0, 0, 0, 0, 0, 0, "", false},
        {"{\"id\":\"a\",\"id\":\"b\"}", 0, 0, 0, 0, 0, 0, "b", false},
        {"{\"data\":[{\"embedding\":[0.1,-0.2,3e-5]}],\n\"usage\":{\"prompt_tokens\":2}}", 0, 2, 0,
         0, 0, 0, "", true},
        {"{\"id\":\"x\"} ", 0, 0, 0, 0, 0, 0, "x", false},
        {"{\r\n  \"id\": \"x\"\r\n}", 0, 0, 0, 0, 0, 0, "x", true}, /* CR counts too */
        {"[]", SL_JSCAN_FALLBACK, 0, 0, 0, 0, 0, NULL, false},
        {"\"ok\"", SL_JSCAN_FALLBACK, 0, 0, 0, 0, 0, NULL, false},
        {"{\"a\":1", SL_JSCAN_FALLBACK, 0, 0, 0, 0, 0, NULL, false},
        {"{\"a\":\"\\u0000\"}", SL_JSCAN_FALLBACK, 0, 0, 0, 0, 0, NULL, false},
        {"{\"a\":1e999}", SL_JSCAN_FALLBACK, 0, 0, 0, 0, 0, NULL, false},
        {"{\"a\":99999999999999999999}", SL_JSCAN_FALLBACK, 0, 0, 0, 0, 0, NULL, false},
        {"{\"a\":1}x", SL_JSCAN_FALLBACK, 0, 0, 0, 0, 0, NULL, false},
        {"<html>502</html>", SL_JSCAN_FALLBACK, 0, 0, 0, 0, 0, NULL, false},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct resp_case *k = &cases[i];
        struct sl_jscan_resp r;
        json_t *ref;

        print_message("case %zu: %s\n", i, k->in);
        assert_int_equal(sl_jscan_response(k->in, strlen(k->in), &r), k->rc);
        if (k->rc)
            continue;
        ref = json_loadb(k->in, strlen(k->in), 0, NULL); /* accepted only what jansson accepts */
        assert_non_null(ref);
        json_decref(ref);
        assert_int_equal(r.prompt_tokens, k->prompt);
        assert_int_equal(r.completion_tokens, k->completion);
        assert_int_equal(r.total_tokens, k->total);
        assert_int_equal(r.input_tokens, k->input);
        assert_int_equal(r.output_tokens, k->output);
        assert_string_equal(r.id, k->id);
        assert_int_equal(r.has_newline, k->newline);
    }
}

/* An id too long for the request_id field is not taken (jansson path: the same rule). */
static void test_response_long_id(void **state)
{
    char in[200];
    struct sl_jscan_resp r;

    (void)state;
    snprintf(in, sizeof(in), "{\"id\":\"%0120d\"}", 0);
    assert_int_equal(sl_jscan_response(in, strlen(in), &r), 0);
    assert_string_equal(r.id, "");
    snprintf(in, sizeof(in), "{\"id\":\"%095d\"}", 0);
    assert_int_equal(sl_jscan_response(in, strlen(in), &r), 0);
    assert_int_equal(strlen(r.id), 95);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_table),
        cmocka_unit_test(test_load_numbers),
        cmocka_unit_test(test_load_depth),
        cmocka_unit_test(test_response_table),
        cmocka_unit_test(test_response_long_id),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
