/* test_ratelimit.c: header parsing (every Go duration form, garbage, -1, overflow, HTTP dates,
 * case and whitespace) and error classification, table-driven. Single-threaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ratelimit.h"

#define UNUSED __attribute__((unused))

/* 2015-10-21 07:27:30 UTC */
#define NOW 1445412450

static void test_duration(void **state UNUSED)
{
    static const struct {
        const char *s;
        int rc;
        uint64_t ms;
    } cases[] = {
        {"1s", 0, 1000},
        {"6m0s", 0, 360000},
        {"20ms", 0, 20},
        {"12ms", 0, 12},
        {"1.5s", 0, 1500},
        {"1h2m3s", 0, 3723000},
        {"250us", 0, 1}, /* rounded up */
        {"0s", 0, 0},
        {"0", 0, 0},
        {"1", 0, 1000}, /* bare number: seconds */
        {"1.5", 0, 1500},
        {"0.25", 0, 250},
        {"0.001s", 0, 1}, /* exact: not 1.0000000000000002 */
        {"0.0011s", 0, 2},
        {"0.1s", 0, 100},
        {"1ns", 0, 1},
        {"1000000ns", 0, 1},
        {"1000001ns", 0, 2},
        {"999us", 0, 1},
        {"1000us", 0, 1},
        {"1001us", 0, 2},
        {"1\xc2\xb5s", 0, 1},  /* U+00B5 micro sign */
        {"1\xce\xbcs", 0, 1},  /* U+03BC Greek mu */
        {".5s", 0, 500},
        {"5.s", 0, 5000},
        {"+1s", 0, 1000},
        {"2h", 0, 7200000},
        {"1m30.5s", 0, 90500},
        {"1h0.5m", 0, 3630000},
        {"0.000000001h", 0, 1}, /* 3.6 us */
        {"1.0000000000000000000001s", 0, 1001}, /* digits past the 18th still round up */
        {"1.0000000000000000000000s", 0, 1000},
        {"5124095h", 0, 18446742000000},      /* ~2^64 ns */
        {"18446744073709551615ns", 0, 18446744073710},
        {"18446744073709551616ns", SL_EPARSE, 0}, /* one past 2^64 - 1 ns */
        {"5124096h", SL_EPARSE, 0},
        {"99999999999999999999999s", SL_EPARSE, 0},
        {"", SL_EPARSE, 0},
        {"+", SL_EPARSE, 0},
        {"-1s", SL_EPARSE, 0},
        {"-1", SL_EPARSE, 0},
        {"s", SL_EPARSE, 0},
        {".s", SL_EPARSE, 0},
        {".", SL_EPARSE, 0},
        {"1x", SL_EPARSE, 0},
        {"1S", SL_EPARSE, 0}, /* Go units are case-sensitive */
        {"1.2.3s", SL_EPARSE, 0},
        {"1s2", SL_EPARSE, 0},
        {"1 s", SL_EPARSE, 0},
        {"1e3s", SL_EPARSE, 0},
        {"1m-1s", SL_EPARSE, 0},
        {"NaN", SL_EPARSE, 0},
        {"inf", SL_EPARSE, 0},
        {"abc", SL_EPARSE, 0},
        {"1\xc2s", SL_EPARSE, 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t ms = 424242;
        int rc = sl_ratelimit_parse_duration(cases[i].s, strlen(cases[i].s), &ms);

        print_message("%s\n", cases[i].s);
        assert_int_equal(rc, cases[i].rc);
        assert_int_equal(ms, rc == 0 ? cases[i].ms : 424242); /* untouched on error */
    }
    /* the length is honoured: no read past it, no NUL needed */
    {
        uint64_t ms;

        assert_int_equal(sl_ratelimit_parse_duration("20msXYZ", 4, &ms), 0);
        assert_int_equal(ms, 20);
    }
}

enum field { LIMIT_REQ, LIMIT_TOK, REM_REQ, REM_TOK, RESET_REQ, RESET_TOK, RETRY, SHOULD, NONE };

static bool get(const struct sl_ratelimit_view *v, enum field f, uint64_t *val)
{
    switch (f) {
    case LIMIT_REQ: *val = v->limit_req; return v->has_limit_req;
    case LIMIT_TOK: *val = v->limit_tok; return v->has_limit_tok;
    case REM_REQ: *val = v->rem_req; return v->has_rem_req;
    case REM_TOK: *val = v->rem_tok; return v->has_rem_tok;
    case RESET_REQ: *val = v->reset_req_ms; return v->has_reset_req;
    case RESET_TOK: *val = v->reset_tok_ms; return v->has_reset_tok;
    case RETRY: *val = v->retry_after_ms; return v->has_retry_after;
    case SHOULD: *val = v->should_retry; return v->should_retry_set;
    case NONE: break;
    }
    *val = 0;
    return false;
}

static bool any_set(const struct sl_ratelimit_view *v)
{
    return v->has_limit_req || v->has_limit_tok || v->has_rem_req || v->has_rem_tok ||
           v->has_reset_req || v->has_reset_tok || v->has_retry_after || v->should_retry_set ||
           v->request_id[0];
}

static void test_headers(void **state UNUSED)
{
    static const struct {
        const char *line;
        enum field f;
        bool has;
        uint64_t val;
    } cases[] = {
        {"x-ratelimit-limit-requests: 60\r\n", LIMIT_REQ, true, 60},
        {"X-RateLimit-Limit-Tokens:150000", LIMIT_TOK, true, 150000},
        {"X-RATELIMIT-REMAINING-REQUESTS:   59  \r\n", REM_REQ, true, 59},
        {"x-ratelimit-remaining-tokens: 149984\r\n", REM_TOK, true, 149984},
        {"x-ratelimit-remaining-tokens:\t0\t\r\n", REM_TOK, true, 0},
        {"x-ratelimit-limit-requests : 5\r\n", LIMIT_REQ, true, 5},
        {"x-ratelimit-remaining-tokens: -1\r\n", REM_TOK, false, 0},
        {"x-ratelimit-limit-tokens: 18446744073709551615", LIMIT_TOK, true, UINT64_MAX},
        {"x-ratelimit-limit-tokens: 18446744073709551616", LIMIT_TOK, false, 0},
        {"x-ratelimit-limit-tokens: 000000000000000000000000001", LIMIT_TOK, false, 0},
        {"x-ratelimit-limit-tokens: 99999999999999999999999", LIMIT_TOK, false, 0},
        {"x-ratelimit-limit-tokens: 1.5", LIMIT_TOK, false, 0},
        {"x-ratelimit-limit-tokens: abc", LIMIT_TOK, false, 0},
        {"x-ratelimit-limit-tokens: ", LIMIT_TOK, false, 0},
        {"x-ratelimit-limit-tokens:", LIMIT_TOK, false, 0},
        {"x-ratelimit-limit-tokens: 12abc", LIMIT_TOK, false, 0},
        {"x-ratelimit-limit-tokens: 0x10", LIMIT_TOK, false, 0},
        {"x-ratelimit-limit-tokens: 1 2", LIMIT_TOK, false, 0},
        {"x-ratelimit-reset-requests: 1s\r\n", RESET_REQ, true, 1000},
        {"x-ratelimit-reset-tokens: 6m0s\r\n", RESET_TOK, true, 360000},
        {"x-ratelimit-reset-tokens:\t20ms\r\n", RESET_TOK, true, 20},
        {"x-ratelimit-reset-tokens: 0.5", RESET_TOK, true, 500},
        {"x-ratelimit-reset-tokens: -1", RESET_TOK, false, 0},
        {"x-ratelimit-reset-tokens: soon", RESET_TOK, false, 0},
        {"retry-after-ms: 1500\r\n", RETRY, true, 1500},
        {"Retry-After-Ms: 12.3\r\n", RETRY, true, 13},
        {"x-ms-retry-after-ms: 250\r\n", RETRY, true, 250},
        {"retry-after-ms: -5\r\n", RETRY, false, 0},
        {"retry-after-ms: 99999999999999999999\r\n", RETRY, false, 0},
        {"Retry-After: 3\r\n", RETRY, true, 3000},
        {"retry-after: 1.5\r\n", RETRY, true, 1500},
        {"Retry-After: 0\r\n", RETRY, true, 0},
        {"Retry-After: -3\r\n", RETRY, false, 0},
        {"Retry-After: 3s\r\n", RETRY, false, 0},
        {"Retry-After: 18446744073709552\r\n", RETRY, false, 0}, /* ms overflow */
        {"Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n", RETRY, true, 30000},
        {"Retry-After: Wednesday, 21-Oct-15 07:28:00 GMT\r\n", RETRY, true, 30000},
        {"Retry-After: Wed Oct 21 07:28:00 2015\r\n", RETRY, true, 30000},
        {"Retry-After: Wed Oct  1 07:28:00 2015\r\n", RETRY, true, 0}, /* past: 0 */
        {"Retry-After: Thu, 01 Jan 1970 00:00:00 GMT\r\n", RETRY, true, 0},
        {"Retry-After: Fri, 31 Dec 9999 23:59:59 GMT\r\n", RETRY, true,
         (253402300799ull - NOW) * 1000},
        {"Retry-After: Sat, 29 Feb 2020 00:00:00 GMT\r\n", RETRY, true,
         (1582934400ull - NOW) * 1000},
        {"Retry-After: Sun, 29 Feb 2015 00:00:00 GMT\r\n", RETRY, false, 0},
        {"Retry-After: Wed, 32 Oct 2015 07:28:00 GMT\r\n", RETRY, false, 0},
        {"Retry-After: Wed, 21 Foo 2015 07:28:00 GMT\r\n", RETRY, false, 0},
        {"Retry-After: Wed, 21 Oct 2015 24:28:00 GMT\r\n", RETRY, false, 0},
        {"Retry-After: Wed, 21 Oct 2015 07:28:00 UTC\r\n", RETRY, false, 0},
        {"Retry-After: Wed, 21 Oct 2015 07:28:00 GMT trailing\r\n", RETRY, false, 0},
        {"Retry-After: Wed, 21 Oct 2015 07:28:00 GMTXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
         "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\r\n", RETRY, false, 0},
        {"x-should-retry: true\r\n", SHOULD, true, 1},
        {"X-Should-Retry: FALSE\r\n", SHOULD, true, 0},
        {"x-should-retry: maybe\r\n", SHOULD, false, 0},
        {"x-should-retry: \r\n", SHOULD, false, 0},
        {"HTTP/1.1 200 OK\r\n", NONE, false, 0},
        {"\r\n", NONE, false, 0},
        {"", NONE, false, 0},
        {"x-ratelimit-limit-requestsX: 5\r\n", NONE, false, 0},
        {"content-type: application/json\r\n", NONE, false, 0},
        {": 5\r\n", NONE, false, 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sl_ratelimit_view v;
        uint64_t val;

        print_message("%s\n", cases[i].line);
        sl_ratelimit_view_clear(&v);
        sl_ratelimit_header(&v, cases[i].line, strlen(cases[i].line), NOW);
        if (cases[i].f == NONE) {
            assert_false(any_set(&v));
            continue;
        }
        assert_int_equal(get(&v, cases[i].f, &val), cases[i].has);
        if (cases[i].has)
            assert_int_equal(val, cases[i].val);
    }
}

static void test_retry_after_precedence(void **state UNUSED)
{
    static const char *orders[2][2] = {
        {"Retry-After: 10", "retry-after-ms: 1500"},
        {"retry-after-ms: 1500", "Retry-After: 10"},
    };
    int i, k;

    for (i = 0; i < 2; i++) {
        struct sl_ratelimit_view v;

        sl_ratelimit_view_clear(&v);
        for (k = 0; k < 2; k++)
            sl_ratelimit_header(&v, orders[i][k], strlen(orders[i][k]), NOW);
        assert_true(v.has_retry_after);
        assert_int_equal(v.retry_after_ms, 1500);
    }
}

static void test_request_id(void **state UNUSED)
{
    static const struct {
        const char *line, *id;
    } cases[] = {
        {"x-request-id: req_8a3f0c9d2b\r\n", "req_8a3f0c9d2b"},
        {"X-Request-ID:abc-DEF.123\r\n", "abc-DEF.123"},
        {"x-request-id: has space\r\n", ""},
        {"x-request-id: tab\there\r\n", ""},
        {"x-request-id: \xc3\xa9t\xc3\xa9\r\n", ""},
        {"x-request-id: \r\n", ""},
        {"x-request-id: 0123456789012345678901234567890123456789012345678901234567890123456789"
         "0123456789012345678901234\r\n", "01234567890123456789012345678901234567890123456789"
         "012345678901234567890123456789012345678901234"}, /* 95: fits */
        {"x-request-id: 0123456789012345678901234567890123456789012345678901234567890123456789"
         "01234567890123456789012345\r\n", ""}, /* 96: too long, not truncated */
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sl_ratelimit_view v;

        sl_ratelimit_view_clear(&v);
        sl_ratelimit_header(&v, cases[i].line, strlen(cases[i].line), NOW);
        assert_string_equal(v.request_id, cases[i].id);
    }
}

/* A whole response's headers, as libcurl delivers them. */
static void test_full_response(void **state UNUSED)
{
    static const char *lines[] = {
        "HTTP/2 429 \r\n",
        "date: Wed, 21 Oct 2015 07:27:30 GMT\r\n",
        "x-ratelimit-limit-requests: 60\r\n",
        "x-ratelimit-limit-tokens: 150000\r\n",
        "x-ratelimit-remaining-requests: 0\r\n",
        "x-ratelimit-remaining-tokens: 149984\r\n",
        "x-ratelimit-reset-requests: 1s\r\n",
        "x-ratelimit-reset-tokens: 6m0s\r\n",
        "retry-after: 2\r\n",
        "x-request-id: req_1\r\n",
        "\r\n",
    };
    struct sl_ratelimit_view v;
    size_t i;

    sl_ratelimit_view_clear(&v);
    for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        sl_ratelimit_header(&v, lines[i], strlen(lines[i]), NOW);
    assert_true(v.has_limit_req && v.limit_req == 60);
    assert_true(v.has_limit_tok && v.limit_tok == 150000);
    assert_true(v.has_rem_req && v.rem_req == 0);
    assert_true(v.has_rem_tok && v.rem_tok == 149984);
    assert_true(v.has_reset_req && v.reset_req_ms == 1000);
    assert_true(v.has_reset_tok && v.reset_tok_ms == 360000);
    assert_true(v.has_retry_after && v.retry_after_ms == 2000);
    assert_false(v.should_retry_set);
    assert_string_equal(v.request_id, "req_1");
}

#define RL_MSG "Rate limit reached for gpt-4o-mini in organization org-x on tokens per min (TPM): "

static void test_classify(void **state UNUSED)
{
    static const struct {
        long status;
        const char *body;
        const char *should_retry; /* x-should-retry header line or NULL */
        enum sl_error_class cls;
        const char *code;
    } cases[] = {
        {429, "{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":"
              "\"insufficient_quota\",\"param\":null,\"code\":\"insufficient_quota\"}}",
         NULL, SL_ERRCLASS_FATAL_RUN, "insufficient_quota"},
        {429, "{\"error\":{\"type\":\"insufficient_quota\",\"code\":null}}", NULL,
         SL_ERRCLASS_FATAL_RUN, "http_429"},
        {429, "{\"error\":{\"message\":\"" RL_MSG "Limit 30000, Used 28039, Requested 3906. Please "
              "try again in 3.89s.\",\"type\":\"tokens\",\"param\":null,\"code\":"
              "\"rate_limit_exceeded\"}}", NULL, SL_ERRCLASS_RETRY, "rate_limit_exceeded"},
        {429, "{\"error\":{\"message\":\"Request too large for gpt-4o on tokens per min (TPM): "
              "Limit 30000, Requested 31756. The input or output tokens must be reduced in order "
              "to run successfully.\",\"type\":\"tokens\",\"code\":\"rate_limit_exceeded\"}}",
         NULL, SL_ERRCLASS_FATAL_JOB, "rate_limit_exceeded"},
        {429, "{\"error\":{\"message\":\"" RL_MSG "Limit 30000, Used 10, Requested 31,756.\","
              "\"code\":\"rate_limit_exceeded\"}}", NULL, SL_ERRCLASS_FATAL_JOB,
         "rate_limit_exceeded"},
        {429, "{\"error\":{\"message\":\"" RL_MSG "Limit 30000, Used 10, Requested 30000.\","
              "\"code\":\"rate_limit_exceeded\"}}", NULL, SL_ERRCLASS_RETRY, "rate_limit_exceeded"},
        {429, "<html><body>Too Many Requests</body></html>", NULL, SL_ERRCLASS_RETRY, "http_429"},
        {429, "", NULL, SL_ERRCLASS_RETRY, "http_429"},
        {429, "{\"error\":{\"code\":\"rate_limit_exceeded\"}}", "x-should-retry: false",
         SL_ERRCLASS_FATAL_JOB, "rate_limit_exceeded"},
        {429, "{\"error\":{\"code\":\"insufficient_quota\"}}", "x-should-retry: true",
         SL_ERRCLASS_FATAL_RUN, "insufficient_quota"},
        {401, "{\"error\":{\"message\":\"Incorrect API key provided: sk-abc***.\",\"type\":"
              "\"invalid_request_error\",\"code\":\"invalid_api_key\"}}", NULL,
         SL_ERRCLASS_FATAL_RUN, "invalid_api_key"},
        {401, NULL, NULL, SL_ERRCLASS_FATAL_RUN, "http_401"},
        {401, "{}", "x-should-retry: true", SL_ERRCLASS_FATAL_RUN, "http_401"},
        {403, "{\"error\":{\"code\":\"unsupported_country_region_territory\"}}", NULL,
         SL_ERRCLASS_FATAL_RUN, "unsupported_country_region_territory"},
        {400, "{\"error\":{\"message\":\"bad\",\"type\":\"invalid_request_error\",\"code\":null}}",
         NULL, SL_ERRCLASS_FATAL_JOB, "http_400"},
        {400, "{\"error\":{\"code\":\"context_length_exceeded\"}}", "x-should-retry: true",
         SL_ERRCLASS_RETRY, "context_length_exceeded"},
        {404, "{\"error\":{\"code\":\"model_not_found\"}}", NULL, SL_ERRCLASS_FATAL_JOB,
         "model_not_found"},
        {413, "too big", NULL, SL_ERRCLASS_FATAL_JOB, "http_413"},
        {422, "{\"detail\":[{\"msg\":\"field required\"}]}", NULL, SL_ERRCLASS_FATAL_JOB,
         "http_422"},
        {408, NULL, NULL, SL_ERRCLASS_RETRY, "http_408"},
        {409, "{\"error\":{\"code\":\"conflict\"}}", NULL, SL_ERRCLASS_RETRY, "conflict"},
        {500, "{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}",
         NULL, SL_ERRCLASS_RETRY, "http_500"},
        {502, "<html><head><title>502 Bad Gateway</title></head></html>", NULL,
         SL_ERRCLASS_RETRY, "http_502"},
        {503, "{\"error\":{\"code\":\"overloaded\"}}", "x-should-retry: false",
         SL_ERRCLASS_FATAL_JOB, "overloaded"},
        {504, "{\"error\":", NULL, SL_ERRCLASS_RETRY, "http_504"}, /* truncated JSON */
        {500, "{\"error\":{\"code\":\"bad code with spaces\"}}", NULL, SL_ERRCLASS_RETRY,
         "http_500"},
        {500, "{\"error\":{\"code\":\"<script>\"}}", NULL, SL_ERRCLASS_RETRY, "http_500"},
        {500, "{\"error\":{\"code\":429}}", NULL, SL_ERRCLASS_RETRY, "http_500"},
        {500, "{\"error\":{\"code\":\"\"}}", NULL, SL_ERRCLASS_RETRY, "http_500"},
        {500, "{\"error\":{\"code\":\"a23456789012345678901234567890123456789012345678901234567"
              "890123\"}}", NULL, SL_ERRCLASS_RETRY,
         "a23456789012345678901234567890123456789012345678901234567890123"}, /* 63 */
        {500, "{\"error\":{\"code\":\"a23456789012345678901234567890123456789012345678901234567"
              "8901234\"}}", NULL, SL_ERRCLASS_RETRY, "http_500"}, /* 64 */
        {500, "{\"code\":\"top_level\",\"message\":\"x\"}", NULL, SL_ERRCLASS_RETRY, "top_level"},
        {500, "{\"error\":\"plain string\"}", NULL, SL_ERRCLASS_RETRY, "http_500"},
        {0, NULL, NULL, SL_ERRCLASS_RETRY, "http_0"},
        {302, "", NULL, SL_ERRCLASS_RETRY, "http_302"},
        {418, "", NULL, SL_ERRCLASS_FATAL_JOB, "http_418"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sl_ratelimit_view v;
        char code[64];
        const char *b = cases[i].body;

        print_message("case %zu\n", i);
        sl_ratelimit_view_clear(&v);
        if (cases[i].should_retry)
            sl_ratelimit_header(&v, cases[i].should_retry, strlen(cases[i].should_retry), NOW);
        memset(code, 'Z', sizeof(code));
        assert_int_equal(sl_ratelimit_classify(cases[i].status, b, b ? strlen(b) : 0, &v, code,
                                               sizeof(code)),
                         cases[i].cls);
        assert_string_equal(code, cases[i].code);
        /* no view and no code_out are fine too */
        sl_ratelimit_classify(cases[i].status, b, b ? strlen(b) : 0, NULL, NULL, 0);
    }
}

static void test_classify_small_code_buffer(void **state UNUSED)
{
    char code[8];
    const char *body = "{\"error\":{\"code\":\"insufficient_quota\"}}";

    memset(code, 'Z', sizeof(code));
    assert_int_equal(sl_ratelimit_classify(429, body, strlen(body), NULL, code, sizeof(code)),
                     SL_ERRCLASS_FATAL_RUN);
    assert_string_equal(code, "insuffi"); /* truncated, terminated */
    /* the body's length is honoured: the same bytes cut short are not JSON any more */
    assert_int_equal(sl_ratelimit_classify(429, body, 20, NULL, code, sizeof(code)),
                     SL_ERRCLASS_RETRY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_retry_after_precedence),
        cmocka_unit_test(test_request_id),
        cmocka_unit_test(test_full_response),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_classify_small_code_buffer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
