/* test_inorder.c: threads racing through the in-order hand-off into a duplicate set: every position
 * is handled exactly once, in input order, one thread at a time, and the first occurrence of each
 * id in input order wins whichever thread is faster; parked items survive the ring's growth and
 * are handed to free_item when a queue is destroyed with them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "idset.h"
#include "inorder.h"

#define N 6000
#define THREADS 4

struct item {
    uint64_t pos;
    int rc;
};

static struct item items[N];
static uint64_t handled[N]; /* positions in the order they were handled */
static size_t nhandled;
static atomic_int inside;   /* threads handling a position right now: never more than one */
static struct sl_inorder q;
static struct sl_idset set;

static void handle(struct item *it)
{
    char id[32];
    int n = snprintf(id, sizeof(id), "dup-%u", (unsigned)(it->pos % 1000));

    assert_int_equal(atomic_fetch_add(&inside, 1), 0);
    /* ids repeat with period 1000; every 13th position has no id */
    it->rc = sl_idset_insert_at(&set, it->pos, it->pos % 13 == 5 ? NULL : id, (size_t)n);
    handled[nhandled++] = it->pos;
    atomic_fetch_sub(&inside, 1);
}

static void *worker(void *arg)
{
    unsigned t = (unsigned)(uintptr_t)arg;

    if (t < THREADS - 1) { /* the last thread starts first: most offers are parked at first */
        struct timespec d = {0, 2000000L * (THREADS - 1 - t)};

        nanosleep(&d, NULL);
    }
    for (unsigned i = t; i < N; i += THREADS) {
        struct item *it = &items[i];

        it->pos = i;
        if (!sl_inorder_offer(&q, i, it))
            continue;
        while (it) {
            uint64_t p = it->pos;

            handle(it);
            it = sl_inorder_next(&q, p);
        }
    }
    return NULL;
}

static void test_first_in_input_order_wins(void **state)
{
    struct sl_idset_opts o = {.seed = 99, .filter_bytes = 1024};
    pthread_t th[THREADS];

    (void)state;
    assert_int_equal(sl_idset_open(&set, &o), 0);
    assert_int_equal(sl_inorder_init(&q, 1), 0); /* tiny: the ring must grow */
    for (unsigned t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, worker, (void *)(uintptr_t)t), 0);
    for (unsigned t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    assert_int_equal(nhandled, N);
    for (unsigned i = 0; i < N; i++) {
        bool first = true;
        int want;

        assert_int_equal(handled[i], i);
        for (unsigned p = i % 1000; p < i; p += 1000)
            first = first && p % 13 == 5;
        want = i % 13 == 5 ? 1 : first ? 1 : 0;
        if (items[i].rc != want)
            fail_msg("position %u: got %d, want %d", i, items[i].rc, want);
    }
    assert_true(q.cap > 16);
    sl_inorder_destroy(&q, NULL);
    sl_idset_destroy(&set);
}

static int freed;

static void count_free(void *p)
{
    (void)p;
    freed++;
}

/* A run that stops with positions never handled: destroy hands the parked ones to free_item. */
static void test_destroy_frees_parked(void **state)
{
    struct sl_inorder r;
    int a, b, c;

    (void)state;
    assert_int_equal(sl_inorder_init(&r, 16), 0);
    assert_false(sl_inorder_offer(&r, 3, &a));
    assert_false(sl_inorder_offer(&r, 40, &b)); /* beyond the ring: it grows */
    assert_true(sl_inorder_offer(&r, 0, &c));
    assert_null(sl_inorder_next(&r, 0)); /* 1 never came */
    freed = 0;
    sl_inorder_destroy(&r, count_free);
    assert_int_equal(freed, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_in_input_order_wins),
        cmocka_unit_test(test_destroy_frees_parked),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
