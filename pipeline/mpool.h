/* mpool.h: a size-class free-list allocator for one owner thread.
 *
 * nghttp2 allocates about a dozen small blocks per request (stream, header copies, frame items)
 * and frees them when the stream closes. With 64-256 streams in flight the same sizes come and go
 * in bursts larger than glibc's per-thread cache (7 blocks a size), so most of them took malloc's
 * slow path (_int_malloc, unlink_chunk) on the loop thread. This pool keeps freed blocks by size
 * class (32 B .. 8 KB, powers of two) in singly linked lists, up to a byte budget per class, and
 * gives them back first; larger blocks and anything past the budget go to malloc/free.
 *
 * Memory: at most SL_MPOOL_CLASS_BUDGET bytes cached per class, returned by sl_mpool_destroy.
 * Thread: one owner; no locking. Under AddressSanitizer every call goes straight to malloc/free,
 * so the sanitizer keeps seeing every block's lifetime (as jarena.h does).
 */
#ifndef SL_MPOOL_H
#define SL_MPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SL_MPOOL_NCLASS 9                  /* 32, 64, ... 8192 bytes */
#define SL_MPOOL_CLASS_BUDGET (256 * 1024) /* bytes cached per class, at most */

struct sl_mpool {
    void *free[SL_MPOOL_NCLASS];
    uint32_t nfree[SL_MPOOL_NCLASS];
    uint64_t hits, misses; /* allocations served from a list / by malloc */
};

void *sl_mpool_alloc(struct sl_mpool *p, size_t n);
void *sl_mpool_calloc(struct sl_mpool *p, size_t nmemb, size_t size);
void *sl_mpool_realloc(struct sl_mpool *p, void *ptr, size_t n);
void sl_mpool_free(struct sl_mpool *p, void *ptr);
/* False under AddressSanitizer (every call is malloc/free then). */
int sl_mpool_enabled(void);
/* Frees the cached blocks. Blocks still in use stay valid (they came from malloc). */
void sl_mpool_destroy(struct sl_mpool *p);

#endif
