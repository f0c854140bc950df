/* test_buf.c: sl_fmt_u64, the printf-free decimal formatter the per-job line builders share
 * (audit lines, result lines, the HTTP/2 content-length). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"

static void test_fmt_u64_table(void **state)
{
    static const uint64_t v[] = {0, 1, 9, 10, 99, 100, 4096, 1000000007u, UINT32_MAX,
                                 (uint64_t)UINT32_MAX + 1, 18446744073709551614u, UINT64_MAX};
    size_t k;

    (void)state;
    for (k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
        char got[24], want[24];
        size_t n;

        memset(got, 'x', sizeof(got));
        n = sl_fmt_u64(got, v[k]);
        snprintf(want, sizeof(want), "%" PRIu64, v[k]);
        assert_int_equal(n, strlen(want));
        assert_memory_equal(got, want, n);
        assert_int_equal(got[n], 'x'); /* no NUL, nothing past the digits */
    }
}

static void test_fmt_u64_pseudo_random(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15u;
    int k;

    (void)state;
    for (k = 0; k < 100000; k++) {
        char got[24], want[24];
        uint64_t v;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v = x >> (k % 64); /* every length from 1 to 20 digits */
        snprintf(want, sizeof(want), "%" PRIu64, v);
        assert_int_equal(sl_fmt_u64(got, v), strlen(want));
        assert_memory_equal(got, want, strlen(want));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmt_u64_table),
        cmocka_unit_test(test_fmt_u64_pseudo_random),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
