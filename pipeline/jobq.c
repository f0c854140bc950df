/* jobq.c: FIFO of jobs between threads. Any thread. */
#include "jobq.h"

#include "job.h"

int sl_jobq_init(struct sl_jobq *q)
{
    q->head = q->tail = NULL;
    q->count = 0;
    q->closed = false;
    if (pthread_mutex_init(&q->mu, NULL))
        return -1;
    if (pthread_cond_init(&q->cv, NULL)) {
        pthread_mutex_destroy(&q->mu);
        return -1;
    }
    return 0;
}

void sl_jobq_destroy(struct sl_jobq *q)
{
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
}

size_t sl_jobq_push_n(struct sl_jobq *q, struct sl_job *j)
{
    size_t n;

    j->next = NULL;
    pthread_mutex_lock(&q->mu);
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    n = ++q->count;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return n;
}

bool sl_jobq_push(struct sl_jobq *q, struct sl_job *j)
{
    return sl_jobq_push_n(q, j) == 1;
}

void sl_jobq_push_list(struct sl_jobq *q, struct sl_job *head, struct sl_job *tail, size_t n)
{
    if (!head)
        return;
    tail->next = NULL;
    pthread_mutex_lock(&q->mu);
    if (q->tail)
        q->tail->next = head;
    else
        q->head = head;
    q->tail = tail;
    q->count += n;
    if (n == 1)
        pthread_cond_signal(&q->cv);
    else
        pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

static struct sl_job *take_head(struct sl_jobq *q)
{
    struct sl_job *j = q->head;

    if (j) {
        q->head = j->next;
        if (!q->head)
            q->tail = NULL;
        q->count--;
        j->next = NULL;
    }
    return j;
}

struct sl_job *sl_jobq_pop(struct sl_jobq *q)
{
    struct sl_job *j;

    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->closed)
        pthread_cond_wait(&q->cv, &q->mu);
    j = take_head(q);
    pthread_mutex_unlock(&q->mu);
    return j;
}

struct sl_job *sl_jobq_try_pop(struct sl_jobq *q)
{
    struct sl_job *j;

    pthread_mutex_lock(&q->mu);
    j = take_head(q);
    pthread_mutex_unlock(&q->mu);
    return j;
}

struct sl_job *sl_jobq_take_all(struct sl_jobq *q)
{
    struct sl_job *j;

    pthread_mutex_lock(&q->mu);
    j = q->head;
    q->head = q->tail = NULL;
    q->count = 0;
    pthread_mutex_unlock(&q->mu);
    return j;
}

void sl_jobq_close(struct sl_jobq *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}
