/* test_price.c: price table parsing, model lookup (exact and dated snapshots only), cost
 * arithmetic, nano-USD conversion and the budget rule. Single-threaded.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "price.h"

#define UNUSED __attribute__((unused))

static const char table[] =
    "{\"models\":{\"gpt-4o\":{\"input\":2.5,\"output\":10},"
    "\"gpt-4o-mini\":{\"input\":0.15,\"output\":0.6},"
    "\"text-embedding-3-small\":{\"input\":0.02,\"output\":0}},\"_comment\":\"x\"}";

static void test_price_parse_errors(void **state UNUSED)
{
    static const struct {
        const char *json;
        int rc;
    } cases[] = {
        {table, 0},
        {"", SL_ECONFIG},
        {"[]", SL_ECONFIG},
        {"{}", SL_ECONFIG},
        {"{\"models\":{}}", SL_ECONFIG},
        {"{\"models\":[]}", SL_ECONFIG},
        {"{\"models\":{\"m\":{\"input\":1}}}", SL_ECONFIG},
        {"{\"models\":{\"m\":{\"input\":-1,\"output\":1}}}", SL_ECONFIG},
        {"{\"models\":{\"m\":{\"input\":\"1\",\"output\":1}}}", SL_ECONFIG},
        {"{\"models\":{\"m\":{\"input\":1,\"output\":1e7}}}", SL_ECONFIG},
        {"{\"models\":{\"m\":5}}", SL_ECONFIG},
        {"{\"models\":{\"\":{\"input\":1,\"output\":1}}}", SL_ECONFIG},
        {"{\"models\":{\"m\":{\"input\":1,\"output\":1},\"m\":{\"input\":2,\"output\":2}}}",
         SL_ECONFIG},
        {"{\"models\":{\"m\":{\"input\":0,\"output\":0}}}", 0},
        {"{\"models\":{\"m\":{\"input\":1,\"output\":1}}} trailing", SL_ECONFIG},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sl_prices *p = (struct sl_prices *)1;
        struct sl_err err;
        int rc;

        sl_err_clear(&err);
        rc = sl_prices_parse(cases[i].json, strlen(cases[i].json), &p, &err);
        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d, want %d (%s)", i, rc, cases[i].rc, err.reason);
        if (rc) {
            assert_null(p);
            assert_true(err.reason[0] != '\0');
        } else {
            assert_non_null(p);
        }
        sl_prices_destroy(p);
    }
    sl_prices_destroy(NULL);
}

static void test_price_lookup_and_cost(void **state UNUSED)
{
    static const struct {
        const char *model;
        uint64_t in, out;
        bool known;
        double usd;
    } cases[] = {
        {"gpt-4o", 1000000, 1000000, true, 12.5},
        {"gpt-4o", 0, 0, true, 0},
        {"gpt-4o-2024-08-06", 1000, 500, true, (1000 * 2.5 + 500 * 10.0) / 1e6},
        {"gpt-4o-mini", 2000, 100, true, (2000 * 0.15 + 100 * 0.6) / 1e6},
        {"gpt-4o-mini-2024-07-18", 1000000, 0, true, 0.15},
        {"text-embedding-3-small", 1000000, 0, true, 0.02},
        {"gpt-4o-audio-preview", 10, 10, false, 0}, /* not a dated snapshot: not guessed */
        {"gpt-4o-2024-08", 10, 10, false, 0},
        {"gpt-4o-20240806", 10, 10, false, 0},
        {"-2024-08-06", 10, 10, false, 0},
        {"GPT-4O", 10, 10, false, 0},
        {"", 10, 10, false, 0},
        {"gpt-4", 10, 10, false, 0},
    };
    struct sl_prices *p;
    struct sl_err err;
    size_t i;

    assert_int_equal(sl_prices_parse(table, strlen(table), &p, &err), 0);
    assert_int_equal(sl_prices_count(p), 3);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double usd = -1;
        bool known = sl_prices_cost(p, cases[i].model, cases[i].in, cases[i].out, &usd);

        if (known != cases[i].known || fabs(usd - cases[i].usd) > 1e-12)
            fail_msg("case %zu (%s): known %d usd %.12f, want %d %.12f", i, cases[i].model, known,
                     usd, cases[i].known, cases[i].usd);
    }
    assert_null(sl_prices_find(p, NULL));
    assert_null(sl_prices_find(NULL, "gpt-4o"));
    sl_prices_destroy(p);
}

static void test_price_nusd(void **state UNUSED)
{
    assert_int_equal(sl_price_to_nusd(0), 0);
    assert_int_equal(sl_price_to_nusd(-1), 0);
    assert_int_equal(sl_price_to_nusd(NAN), 0);
    assert_int_equal(sl_price_to_nusd(1.0), 1000000000ull);
    assert_int_equal(sl_price_to_nusd(0.0000000014), 1);
    assert_int_equal(sl_price_to_nusd(1e30), UINT64_MAX);
    assert_int_equal(sl_price_to_nusd(INFINITY), 0);
    assert_true(fabs(sl_price_from_nusd(2500000000ull) - 2.5) < 1e-12);
}

static void test_budget_rule(void **state UNUSED)
{
    static const struct {
        uint64_t budget, spent, inflight, next;
        bool exceeded;
    } cases[] = {
        {0, 999, 999, 999, false},         /* no budget */
        {100, 0, 0, 0, false},
        {100, 50, 0, 50, false},           /* exactly reaches with the next job: allowed */
        {100, 50, 0, 51, true},
        {100, 60, 40, 0, true},            /* spent + in flight reached it */
        {100, 99, 0, 0, false},
        {100, 100, 0, 0, true},
        {100, UINT64_MAX, UINT64_MAX, UINT64_MAX, true}, /* saturates, no wrap */
        {UINT64_MAX, UINT64_MAX - 1, 0, 0, false},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (sl_budget_exceeded(cases[i].budget, cases[i].spent, cases[i].inflight, cases[i].next) !=
            cases[i].exceeded)
            fail_msg("case %zu", i);
}

/* The shipped table parses and prices the models the docs name. */
static void test_price_sample_file(void **state UNUSED)
{
    static const char *const models[] = {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini",
                                         "text-embedding-3-small", "text-embedding-3-large"};
    const char *src = getenv("SL_SOURCE_DIR") ? getenv("SL_SOURCE_DIR") : SL_SOURCE_DIR;
    char path[4096], *txt;
    struct sl_prices *p;
    struct sl_err err;
    FILE *f;
    long n;
    size_t i;

    snprintf(path, sizeof(path), "%s/samples/prices.json", src);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    rewind(f);
    txt = malloc((size_t)n);
    assert_non_null(txt);
    assert_int_equal(fread(txt, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    assert_int_equal(sl_prices_parse(txt, (size_t)n, &p, &err), 0);
    for (i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        const struct sl_price *e = sl_prices_find(p, models[i]);

        assert_non_null(e);
        assert_true(e->input_per_m > 0);
    }
    sl_prices_destroy(p);
    free(txt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_price_parse_errors), cmocka_unit_test(test_price_lookup_and_cost),
        cmocka_unit_test(test_price_nusd), cmocka_unit_test(test_budget_rule),
        cmocka_unit_test(test_price_sample_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
