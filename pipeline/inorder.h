/* inorder.h: hand positions 0, 1, 2, ... to whichever thread holds them, in order, with nobody
 * waiting.
 *
 * Workers finish jobs out of input order, but duplicate detection must see them in order (the
 * first occurrence of a custom_id wins). A thread offers its item at its position: if the position
 * is next, it handles the item at once; otherwise the item is parked and the thread goes on with
 * other work. After handling position p, the thread asks for p + 1 and handles it too if it was
 * parked meanwhile. So every position is handled exactly once, in order, by one thread at a time,
 * and no thread ever sleeps on another.
 *
 * Parked items sit in a ring indexed by position; all of them lie within (next, next + cap), so
 * slots never collide, and the ring doubles when an offer would fall outside (bounded by how far
 * ahead of the slowest position work gets: run.c's window).
 * Thread: any; one mutex, held only for a few instructions per call.
 */
#ifndef SL_INORDER_H
#define SL_INORDER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_inorder_slot {
    uint64_t pos;
    void *item; /* NULL: empty */
};

struct sl_inorder {
    pthread_mutex_t mu;
    uint64_t next; /* the position to handle next */
    struct sl_inorder_slot *ring;
    size_t cap;    /* a power of two */
};

/* 0 or -ENOMEM. */
int sl_inorder_init(struct sl_inorder *q, size_t cap);
/* Frees the ring; free_item (if not NULL) gets every item still parked (a run that stopped). */
void sl_inorder_destroy(struct sl_inorder *q, void (*free_item)(void *));
/* Offer item (not NULL) at pos; every position exactly once. true: it is pos's turn, handle it,
 * then call sl_inorder_next(pos). false: parked, the thread that handles pos - 1 gets it. */
bool sl_inorder_offer(struct sl_inorder *q, uint64_t pos, void *item);
/* pos is handled. Returns the item parked at pos + 1 (now the caller's to handle) or NULL. */
void *sl_inorder_next(struct sl_inorder *q, uint64_t pos);

#endif
