/* test_jarena.c: jansson on a per-thread arena: values made in a scope come from the arena and
 * their frees are no-ops, a job larger than the arena falls back to malloc and grows it, the scope
 * end wipes what was used, and other threads (no arena) keep using malloc meanwhile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jarena.h"

static char *doc_of(size_t n_items)
{
    size_t cap = 64 + n_items * 48, len = 0;
    char *s = malloc(cap);

    len += (size_t)snprintf(s + len, cap - len, "{\"a\":[");
    for (size_t i = 0; i < n_items; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s{\"k%zu\":\"value number %zu\"}",
                                i ? "," : "", i, i);
    snprintf(s + len, cap - len, "],\"z\":1.5}");
    return s;
}

static int cat_cb(const char *p, size_t n, void *ud)
{
    strncat(ud, p, n);
    return 0;
}

static void test_scopes(void **state)
{
    static const struct {
        size_t items;
        bool fits;
    } cases[] = {{1, true}, {3, true}, {400, false}, {2, true}};
    struct sl_jarena a;
    (void)state;

    if (!sl_jarena_enabled())
        skip(); /* AddressSanitizer build: the arena is off by design */
    assert_int_equal(sl_jarena_init(&a, 1024), 0);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char *doc = doc_of(cases[k].items), *back = calloc(1, strlen(doc) + 1);
        size_t cap_before = a.cap;
        json_t *v, *outside = json_string("made outside any scope");

        sl_jarena_begin(&a);
        v = json_loads(doc, 0, NULL);
        assert_non_null(v);
        assert_true(a.used > 0);
        assert_int_equal(a.fallbacks == 0, cases[k].fits);
        assert_int_equal(json_dump_callback(v, cat_cb, back, JSON_COMPACT | JSON_PRESERVE_ORDER), 0);
        assert_string_equal(back, doc);
        json_decref(v);
        json_decref(outside); /* malloc'd before the scope: freed with free() inside it */
        sl_jarena_end(&a);
        assert_int_equal(a.used, 0);
        for (size_t i = 0; i < 64 && i < a.cap && a.cap == cap_before; i++)
            assert_int_equal(a.base[i], 0); /* wiped */
        if (!cases[k].fits)
            assert_true(a.cap > cap_before);
        free(doc);
        free(back);
    }
    sl_jarena_free(&a);
}

struct other {
    struct sl_jarena *a;
    size_t used_seen;
    int ok;
};

static void *other_thread(void *arg)
{
    struct other *o = arg;
    size_t before = o->a->used;

    for (int i = 0; i < 200; i++) {
        json_t *v = json_pack("{s:s,s:[i,i]}", "x", "a string long enough to allocate", "y", i, i);

        o->ok += v != NULL;
        json_decref(v);
    }
    o->used_seen = o->a->used - before;
    return NULL;
}

static void test_other_thread_uses_malloc(void **state)
{
    struct sl_jarena a;
    struct other o = {0};
    pthread_t th;
    json_t *mine;
    (void)state;

    if (!sl_jarena_enabled())
        skip();
    assert_int_equal(sl_jarena_init(&a, 4096), 0);
    o.a = &a;
    sl_jarena_begin(&a);
    mine = json_string("in the arena");
    assert_true((char *)mine >= a.base && (char *)mine < a.base + a.cap);
    assert_int_equal(pthread_create(&th, NULL, other_thread, &o), 0);
    pthread_join(th, NULL);
    assert_int_equal(o.ok, 200);
    assert_int_equal(o.used_seen, 0); /* nothing of the other thread landed in this arena */
    json_decref(mine);
    sl_jarena_end(&a);
    sl_jarena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scopes),
        cmocka_unit_test(test_other_thread_uses_malloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
