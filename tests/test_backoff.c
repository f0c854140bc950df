/* test_backoff.c: retry delays: exponential growth, cap, full jitter, no overflow, and the
 * server's advice taking precedence. Single-threaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "backoff.h"

#define UNUSED __attribute__((unused))

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_backoff_bounds(void **state UNUSED)
{
    static const struct {
        unsigned attempt;
        uint64_t base, cap, d; /* the delay is uniform in [0, d] */
    } cases[] = {
        {0, 500, 8000, 500},     {1, 500, 8000, 1000},   {2, 500, 8000, 2000},
        {3, 500, 8000, 4000},    {4, 500, 8000, 8000},   {5, 500, 8000, 8000},
        {62, 500, 8000, 8000},   {63, 500, 8000, 8000},  {64, 500, 8000, 8000},
        {4000000000u, 500, 8000, 8000},
        {0, 0, 0, 500},          {10, 0, 0, 8000}, /* defaults */
        {0, 9000, 8000, 8000},   /* base above cap */
        {3, 1, UINT64_MAX, 8},   {63, 1, UINT64_MAX, 1ull << 63},
        {64, 1, UINT64_MAX, UINT64_MAX},
        {70, UINT64_MAX, UINT64_MAX, UINT64_MAX},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t seed = 88172645463325252ull, lo = UINT64_MAX, hi = 0, sum = 0, k;

        for (k = 0; k < 4000; k++) {
            uint64_t ms = sl_backoff_ms(cases[i].attempt, cases[i].base, cases[i].cap,
                                        xorshift(&seed));

            if (ms > cases[i].d)
                print_message("case %zu: %llu > %llu\n", i, (unsigned long long)ms,
                              (unsigned long long)cases[i].d);
            assert_true(ms <= cases[i].d);
            lo = ms < lo ? ms : lo;
            hi = ms > hi ? ms : hi;
            if (cases[i].d <= 1000000)
                sum += ms;
        }
        /* full jitter: the whole range is used, and the mean is about d/2 */
        assert_true(lo <= cases[i].d / 50);
        assert_true(hi >= cases[i].d - cases[i].d / 50);
        if (cases[i].d <= 1000000 && cases[i].d >= 500) {
            assert_true(sum / 4000 > cases[i].d * 45 / 100);
            assert_true(sum / 4000 < cases[i].d * 55 / 100);
        }
        /* pure: the same random value gives the same delay */
        assert_int_equal(sl_backoff_ms(cases[i].attempt, cases[i].base, cases[i].cap, 12345),
                         sl_backoff_ms(cases[i].attempt, cases[i].base, cases[i].cap, 12345));
    }
    assert_int_equal(sl_backoff_ms(0, 500, 8000, 500), 500);
    assert_int_equal(sl_backoff_ms(0, 500, 8000, 501), 0);
}

static void test_retry_delay(void **state UNUSED)
{
    static const struct {
        const char *lines[3];
        unsigned attempt;
        uint64_t max_wait, lo, hi;
    } cases[] = {
        {{"retry-after-ms: 1500", NULL}, 0, 0, 1500, 1500},
        {{"Retry-After: 20", NULL}, 7, 0, 20000, 20000},
        {{"Retry-After: 20", "x-ms-retry-after-ms: 700", NULL}, 0, 0, 700, 700},
        {{"Retry-After: 0", NULL}, 3, 0, 0, 0},
        {{"Retry-After: 3600", NULL}, 0, 0, 60000, 60000}, /* capped at the default 60 s */
        {{"Retry-After: 3600", NULL}, 0, 10000, 10000, 10000},
        {{"retry-after-ms: -1", NULL}, 2, 0, 0, 2000}, /* ignored: backoff */
        {{"x-ratelimit-reset-tokens: 5s", NULL}, 0, 0, 0, 500}, /* not advice to wait */
        {{NULL}, 9, 0, 0, 8000},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sl_ratelimit_view v;
        uint64_t seed = 2463534242ull, k;
        int j;

        sl_ratelimit_view_clear(&v);
        for (j = 0; cases[i].lines[j]; j++)
            sl_ratelimit_header(&v, cases[i].lines[j], strlen(cases[i].lines[j]), 0);
        for (k = 0; k < 200; k++) {
            uint64_t ms = sl_retry_delay_ms(&v, cases[i].attempt, xorshift(&seed),
                                            cases[i].max_wait);

            assert_in_range(ms, cases[i].lo, cases[i].hi);
        }
    }
    assert_true(sl_retry_delay_ms(NULL, 0, 77, 0) <= 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_retry_delay),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
