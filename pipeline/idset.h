/* idset.h: the set of custom_ids seen in this run (duplicate detection), shared by the workers.
 *
 * Stores a keyed 64-bit hash per id (8 bytes a slot, at most 75% full: 11 to 21 bytes a job);
 * two different ids colliding in 64 bits is about n^2/2^65 likely (3e-6 at ten million ids).
 * Thread-safe (one mutex; an insert is a few nanoseconds).
 */
#ifndef SL_IDSET_H
#define SL_IDSET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_idset {
    pthread_mutex_t mu;
    pthread_cond_t turn;
    uint64_t next_seq; /* insert_at: the input position whose turn it is */
    uint64_t *slots; /* 0 = empty */
    size_t cap;      /* power of two */
    size_t count;
    uint64_t seed;
};

int sl_idset_init(struct sl_idset *s, uint64_t seed);
void sl_idset_destroy(struct sl_idset *s);
uint64_t sl_idset_hash(uint64_t seed, const char *p, size_t n);
/* Insert id: 1 if inserted, 0 if it was already there, negative on allocation failure. In input
 * order: waits until every position below seq has had its turn, so the
 * first occurrence of an id in the input is the one that wins, whichever worker is faster. Every
 * position must call it exactly once (id NULL: only take the turn). Workers take jobs in input
 * order, so the position being waited for is always already in a worker's hands. */
int sl_idset_insert_at(struct sl_idset *s, uint64_t seq, const char *id, size_t len);

#endif
