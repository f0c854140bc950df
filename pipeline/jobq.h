/* jobq.h: a FIFO of jobs between threads (mutex + condvar, intrusive through job->next).
 *
 * The queue itself has no bound: the pipeline bounds the number of jobs alive at once (its window),
 * so no queue can hold more than that and pushing never blocks, which the loop thread requires.
 */
#ifndef SL_JOBQ_H
#define SL_JOBQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct sl_job;

struct sl_jobq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct sl_job *head, *tail;
    size_t count;
    bool closed;
};

int sl_jobq_init(struct sl_jobq *q);
void sl_jobq_destroy(struct sl_jobq *q);
/* Returns true if the queue was empty: a consumer that drains it whole (sl_jobq_take_all) needs a
 * wake-up only then. */
bool sl_jobq_push(struct sl_jobq *q, struct sl_job *j);
/* The same, returning how many jobs the queue holds with j (1: it was empty), so that a producer
 * can wake a draining consumer once per batch. */
size_t sl_jobq_push_n(struct sl_jobq *q, struct sl_job *j);
/* Append a chain of n jobs linked through ->next (tail->next is NULL) under one lock, waking one
 * waiter for one job and all of them for more: one hand-off per batch instead of per job. */
void sl_jobq_push_list(struct sl_jobq *q, struct sl_job *head, struct sl_job *tail, size_t n);
/* Blocks until a job is there or the queue is closed and empty (then NULL). */
struct sl_job *sl_jobq_pop(struct sl_jobq *q);
/* The head job, or NULL at once when the queue is empty (closed or not). */
struct sl_job *sl_jobq_try_pop(struct sl_jobq *q);
/* Takes everything at once without blocking (the loop drains its queue per wake-up). */
struct sl_job *sl_jobq_take_all(struct sl_jobq *q);
void sl_jobq_close(struct sl_jobq *q);

#endif
