/* test_jobq.c: the job FIFO between threads: single pushes and batched pushes keep FIFO order and
 * counts, a batch wakes every blocked consumer, close releases them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "jobq.h"

static void test_order(void **state)
{
    static const size_t batches[][4] = {{1, 0, 0, 0}, {3, 1, 0, 0}, {0, 2, 5, 1}, {7, 7, 7, 7}};
    (void)state;

    for (size_t k = 0; k < sizeof(batches) / sizeof(batches[0]); k++) {
        struct sl_jobq q;
        struct sl_job jobs[64];
        uint64_t seq = 0, want = 0;
        struct sl_job *j;

        memset(jobs, 0, sizeof(jobs));
        assert_int_equal(sl_jobq_init(&q), 0);
        for (size_t b = 0; b < 4; b++) {
            size_t n = batches[k][b];
            struct sl_job *head = NULL, *tail = NULL;

            for (size_t i = 0; i < n; i++) {
                j = &jobs[seq];
                j->seq = seq++;
                j->next = (struct sl_job *)0x1; /* push_list must not trust a stale tail link */
                if (tail)
                    tail->next = j;
                else
                    head = j;
                tail = j;
            }
            if (n == 1 && b % 2) {
                sl_jobq_push(&q, head);
            } else {
                if (tail)
                    tail->next = (struct sl_job *)0x1;
                sl_jobq_push_list(&q, head, tail, n);
            }
        }
        assert_int_equal(q.count, seq);
        sl_jobq_close(&q);
        while ((j = sl_jobq_pop(&q)))
            assert_int_equal(j->seq, want++);
        assert_int_equal(want, seq);
        assert_int_equal(q.count, 0);
        sl_jobq_destroy(&q);
    }
}

struct consumer {
    struct sl_jobq *q;
    _Atomic int got;
};

static void *consume(void *arg)
{
    struct consumer *c = arg;

    while (sl_jobq_pop(c->q))
        atomic_fetch_add(&c->got, 1);
    return NULL;
}

/* push reports an empty queue, so a consumer that takes everything needs one wake-up per drain. */
static void test_push_reports_empty(void **state)
{
    struct sl_jobq q;
    struct sl_job jobs[3];
    struct sl_job *all;
    (void)state;

    memset(jobs, 0, sizeof(jobs));
    assert_int_equal(sl_jobq_init(&q), 0);
    assert_true(sl_jobq_push(&q, &jobs[0]));
    assert_false(sl_jobq_push(&q, &jobs[1]));
    all = sl_jobq_take_all(&q);
    assert_ptr_equal(all, &jobs[0]);
    assert_ptr_equal(all->next, &jobs[1]);
    assert_true(sl_jobq_push(&q, &jobs[2]));
    assert_ptr_equal(sl_jobq_pop(&q), &jobs[2]);
    assert_true(sl_jobq_push(&q, &jobs[0]));
    sl_jobq_destroy(&q);
}

/* push_n counts the jobs queued (a producer wakes a draining consumer once per batch); try_pop
 * never blocks, closed or not. */
static void test_push_n_and_try_pop(void **state)
{
    struct sl_jobq q;
    struct sl_job jobs[3];
    (void)state;

    memset(jobs, 0, sizeof(jobs));
    assert_int_equal(sl_jobq_init(&q), 0);
    assert_null(sl_jobq_try_pop(&q));
    assert_int_equal(sl_jobq_push_n(&q, &jobs[0]), 1);
    assert_int_equal(sl_jobq_push_n(&q, &jobs[1]), 2);
    assert_int_equal(sl_jobq_push_n(&q, &jobs[2]), 3);
    assert_ptr_equal(sl_jobq_try_pop(&q), &jobs[0]);
    assert_int_equal(sl_jobq_push_n(&q, &jobs[0]), 3);
    assert_ptr_equal(sl_jobq_try_pop(&q), &jobs[1]);
    assert_ptr_equal(sl_jobq_try_pop(&q), &jobs[2]);
    assert_ptr_equal(sl_jobq_try_pop(&q), &jobs[0]);
    assert_null(jobs[0].next);
    assert_null(sl_jobq_try_pop(&q));
    assert_int_equal(sl_jobq_push_n(&q, &jobs[1]), 1);
    sl_jobq_close(&q);
    assert_ptr_equal(sl_jobq_try_pop(&q), &jobs[1]);
    assert_null(sl_jobq_try_pop(&q));
    sl_jobq_destroy(&q);
}

static void test_batch_wakes_all(void **state)
{
    struct sl_jobq q;
    struct sl_job jobs[40];
    struct consumer c;
    pthread_t th[3];
    (void)state;

    memset(jobs, 0, sizeof(jobs));
    assert_int_equal(sl_jobq_init(&q), 0);
    c.q = &q;
    atomic_init(&c.got, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, consume, &c), 0);
    for (int i = 0; i < 39; i++)
        jobs[i].next = &jobs[i + 1];
    sl_jobq_push_list(&q, &jobs[0], &jobs[39], 40);
    sl_jobq_close(&q);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&c.got), 40);
    sl_jobq_destroy(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_batch_wakes_all),
        cmocka_unit_test(test_push_reports_empty),
        cmocka_unit_test(test_push_n_and_try_pop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
