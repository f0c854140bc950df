/* test_strcache.c: the clean-string cache answers only for the exact bytes it stored (a string
 * that differs anywhere, even where the slot choice does not look, is a miss), keeps only sizes in
 * its range, replaces a slot's old string, and wipes on destroy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "strcache.h"

static void test_exact_bytes_only(void **state)
{
    struct sl_strcache c;
    char a[200], b[200];
    size_t i;
    (void)state;

    memset(&c, 0, sizeof(c));
    memset(a, 'x', sizeof(a));
    assert_false(sl_strcache_has(&c, a, sizeof(a)));
    sl_strcache_put(&c, a, sizeof(a));
    assert_true(sl_strcache_has(&c, a, sizeof(a)));
    /* one byte changed anywhere (the slot samples only the ends and the middle): a miss */
    for (i = 0; i < sizeof(a); i++) {
        memcpy(b, a, sizeof(a));
        b[i] = 'y';
        assert_false(sl_strcache_has(&c, b, sizeof(b)));
    }
    assert_false(sl_strcache_has(&c, a, sizeof(a) - 1)); /* a prefix is another string */
    assert_true(c.hits >= 1);
    sl_strcache_destroy(&c);
    assert_false(sl_strcache_has(&c, a, sizeof(a)));
}

static void test_size_range(void **state)
{
    static char big[SL_STRCACHE_MAX + 1];
    struct sl_strcache c;
    const char *small = "short text";
    (void)state;

    memset(&c, 0, sizeof(c));
    memset(big, 'q', sizeof(big));
    sl_strcache_put(&c, small, strlen(small));
    assert_false(sl_strcache_has(&c, small, strlen(small)));
    sl_strcache_put(&c, big, sizeof(big));
    assert_false(sl_strcache_has(&c, big, sizeof(big)));
    sl_strcache_put(&c, big, SL_STRCACHE_MAX);
    assert_true(sl_strcache_has(&c, big, SL_STRCACHE_MAX));
    sl_strcache_destroy(&c);
}

/* Many distinct strings: each is found right after it is stored; what stays is at most one per
 * slot, and a replaced string is a miss again (no stale answer). */
static void test_replacement(void **state)
{
    struct sl_strcache c;
    char s[64];
    int i, found = 0;
    (void)state;

    memset(&c, 0, sizeof(c));
    for (i = 0; i < 1000; i++) {
        int n = snprintf(s, sizeof(s), "system prompt number %06d, classify this", i);

        sl_strcache_put(&c, s, (size_t)n);
        assert_true(sl_strcache_has(&c, s, (size_t)n));
    }
    for (i = 0; i < 1000; i++) {
        int n = snprintf(s, sizeof(s), "system prompt number %06d, classify this", i);

        found += sl_strcache_has(&c, s, (size_t)n);
    }
    assert_true(found > 0 && found <= SL_STRCACHE_SLOTS);
    sl_strcache_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_bytes_only),
        cmocka_unit_test(test_size_range),
        cmocka_unit_test(test_replacement),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
