/* test_mpool.c: the size-class pool behind nghttp2 on the loop thread: blocks keep their contents
 * through realloc, freed blocks are handed out again by class, the cache per class stays within
 * its byte budget, large blocks bypass it, calloc zeroes and refuses overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mpool.h"

static void test_reuse_by_class(void **state)
{
    struct sl_mpool p;
    char *a, *b, *c;
    (void)state;

    memset(&p, 0, sizeof(p));
    a = sl_mpool_alloc(&p, 40); /* the 64-byte class */
    assert_non_null(a);
    memset(a, 'x', 40);
    sl_mpool_free(&p, a);
    b = sl_mpool_alloc(&p, 60); /* same class: the freed block comes back */
    c = sl_mpool_alloc(&p, 100); /* another class: a new block */
    assert_non_null(b);
    assert_non_null(c);
    if (sl_mpool_enabled()) {
        assert_ptr_equal(a, b);
        assert_int_equal(p.hits, 1);
        assert_int_equal(p.misses, 2);
    }
    assert_true(((uintptr_t)b & 15) == 0 && ((uintptr_t)c & 15) == 0); /* malloc's alignment */
    sl_mpool_free(&p, b);
    sl_mpool_free(&p, c);
    sl_mpool_free(&p, NULL);
    sl_mpool_destroy(&p);
}

static void test_realloc_keeps_contents(void **state)
{
    static const size_t sizes[] = {1, 31, 32, 33, 200, 4096, 8192, 8193, 70000, 50, 0};
    struct sl_mpool p;
    unsigned char *q = NULL;
    size_t prev = 0, i, k;
    (void)state;

    memset(&p, 0, sizeof(p));
    for (i = 0; sizes[i]; i++) {
        q = sl_mpool_realloc(&p, q, sizes[i]);
        assert_non_null(q);
        for (k = 0; k < (prev < sizes[i] ? prev : sizes[i]); k++)
            assert_int_equal(q[k], (unsigned char)(k * 7));
        for (k = 0; k < sizes[i]; k++)
            q[k] = (unsigned char)(k * 7);
        prev = sizes[i];
    }
    sl_mpool_free(&p, q);
    sl_mpool_destroy(&p);
}

static void test_budget_and_large(void **state)
{
    enum { N = 100 };
    struct sl_mpool p;
    void *v[N];
    size_t i;
    (void)state;

    memset(&p, 0, sizeof(p));
    for (i = 0; i < N; i++)
        assert_non_null(v[i] = sl_mpool_alloc(&p, 8000)); /* 8 KB class */
    for (i = 0; i < N; i++)
        sl_mpool_free(&p, v[i]);
    if (sl_mpool_enabled())
        assert_int_equal(p.nfree[8], SL_MPOOL_CLASS_BUDGET / 8192); /* the rest went to free() */
    v[0] = sl_mpool_alloc(&p, 100000); /* too large for a class: never cached */
    assert_non_null(v[0]);
    memset(v[0], 1, 100000);
    sl_mpool_free(&p, v[0]);
    for (i = 0; i < 9; i++)
        if (i != 8)
            assert_int_equal(p.nfree[i], 0);
    sl_mpool_destroy(&p);
    for (i = 0; i < 9; i++) {
        assert_null(p.free[i]);
        assert_int_equal(p.nfree[i], 0);
    }
}

static void test_calloc_zeroes(void **state)
{
    struct sl_mpool p;
    unsigned char *a;
    size_t i;
    (void)state;

    memset(&p, 0, sizeof(p));
    a = sl_mpool_alloc(&p, 256);
    memset(a, 0xff, 256);
    sl_mpool_free(&p, a);
    a = sl_mpool_calloc(&p, 16, 16); /* likely the dirty block again: must come back zeroed */
    assert_non_null(a);
    for (i = 0; i < 256; i++)
        assert_int_equal(a[i], 0);
    sl_mpool_free(&p, a);
    assert_null(sl_mpool_calloc(&p, SIZE_MAX / 2, 4));
    sl_mpool_destroy(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reuse_by_class),
        cmocka_unit_test(test_realloc_keeps_contents),
        cmocka_unit_test(test_budget_and_large),
        cmocka_unit_test(test_calloc_zeroes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
