/* inorder.c: in-order hand-off of positions without waiting (contract in inorder.h). */
#include "inorder.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

int sl_inorder_init(struct sl_inorder *q, size_t cap)
{
    size_t c = 16;

    while (c < cap)
        c *= 2;
    q->next = 0;
    q->cap = c;
    q->ring = calloc(c, sizeof(*q->ring));
    if (!q->ring)
        return -ENOMEM;
    if (pthread_mutex_init(&q->mu, NULL)) {
        free(q->ring);
        q->ring = NULL;
        return -ENOMEM;
    }
    return 0;
}

void sl_inorder_destroy(struct sl_inorder *q, void (*free_item)(void *))
{
    size_t i;

    if (!q->ring)
        return;
    for (i = 0; free_item && i < q->cap; i++)
        if (q->ring[i].item)
            free_item(q->ring[i].item);
    free(q->ring);
    q->ring = NULL;
    pthread_mutex_destroy(&q->mu);
}

/* Park item at pos (mu held, pos > next). 0 or -ENOMEM. */
static int park(struct sl_inorder *q, uint64_t pos, void *item)
{
    if (pos - q->next >= q->cap) {
        size_t ncap = q->cap, i;
        struct sl_inorder_slot *nr;

        while (pos - q->next >= ncap)
            ncap *= 2;
        if (!(nr = calloc(ncap, sizeof(*nr))))
            return -ENOMEM;
        for (i = 0; i < q->cap; i++)
            if (q->ring[i].item)
                nr[q->ring[i].pos & (ncap - 1)] = q->ring[i];
        free(q->ring);
        q->ring = nr;
        q->cap = ncap;
    }
    q->ring[pos & (q->cap - 1)].pos = pos;
    q->ring[pos & (q->cap - 1)].item = item;
    return 0;
}

bool sl_inorder_offer(struct sl_inorder *q, uint64_t pos, void *item)
{
    pthread_mutex_lock(&q->mu);
    while (pos != q->next) {
        if (!park(q, pos, item)) {
            pthread_mutex_unlock(&q->mu);
            return false;
        }
        /* no memory for a larger ring: wait for the turn instead (the only wait there is) */
        pthread_mutex_unlock(&q->mu);
        usleep(200);
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return true;
}

void *sl_inorder_next(struct sl_inorder *q, uint64_t pos)
{
    struct sl_inorder_slot *s;
    void *item = NULL;

    pthread_mutex_lock(&q->mu);
    q->next = pos + 1;
    s = &q->ring[q->next & (q->cap - 1)];
    if (s->item && s->pos == q->next) {
        item = s->item;
        s->item = NULL;
    }
    pthread_mutex_unlock(&q->mu);
    return item;
}
