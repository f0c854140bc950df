/* mpool.c: size-class free lists over malloc (see mpool.h).
 *
 * Every block carries a 16-byte header (keeps the caller's pointer aligned like malloc's) holding
 * its class, or SL_MPOOL_NCLASS and its size for a block too large for any class.
 */
#include "mpool.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define MP_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MP_OFF 1
#endif
#endif
#ifndef MP_OFF
#define MP_OFF 0
#endif

#define HDR 16
#define MIN_SHIFT 5 /* 32 bytes */

struct hdr {
    uint32_t cls;
    uint32_t pad;
    size_t size; /* usable bytes */
};

_Static_assert(sizeof(struct hdr) <= HDR, "header fits");

/* The smallest class whose blocks hold n bytes, SL_MPOOL_NCLASS when none does (a bit scan: this
 * runs about a dozen times per request). */
static unsigned class_of(size_t n)
{
    unsigned c;

    if (n <= ((size_t)1 << MIN_SHIFT))
        return 0;
    c = (unsigned)(64 - __builtin_clzll((unsigned long long)(n - 1))) - MIN_SHIFT;
    return c < SL_MPOOL_NCLASS ? c : SL_MPOOL_NCLASS;
}

static size_t class_size(unsigned c)
{
    return (size_t)1 << (MIN_SHIFT + c);
}

void *sl_mpool_alloc(struct sl_mpool *p, size_t n)
{
    unsigned c;
    struct hdr *h;

    if (MP_OFF)
        return malloc(n ? n : 1);
    c = class_of(n);
    if (c < SL_MPOOL_NCLASS && p->free[c]) {
        h = p->free[c];
        p->free[c] = *(void **)((char *)h + HDR);
        p->nfree[c]--;
        p->hits++;
        return (char *)h + HDR;
    }
    p->misses++;
    if (n > SIZE_MAX - HDR)
        return NULL;
    h = malloc(HDR + (c < SL_MPOOL_NCLASS ? class_size(c) : n));
    if (!h)
        return NULL;
    h->cls = c;
    h->size = c < SL_MPOOL_NCLASS ? class_size(c) : n;
    return (char *)h + HDR;
}

void *sl_mpool_calloc(struct sl_mpool *p, size_t nmemb, size_t size)
{
    void *q;

    if (size && nmemb > SIZE_MAX / size)
        return NULL;
    if (MP_OFF)
        return calloc(nmemb, size);
    q = sl_mpool_alloc(p, nmemb * size);
    if (q)
        memset(q, 0, nmemb * size);
    return q;
}

void sl_mpool_free(struct sl_mpool *p, void *ptr)
{
    struct hdr *h;

    if (MP_OFF) {
        free(ptr);
        return;
    }
    if (!ptr)
        return;
    h = (struct hdr *)((char *)ptr - HDR);
    if (h->cls < SL_MPOOL_NCLASS &&
        (size_t)(p->nfree[h->cls] + 1) * class_size(h->cls) <= SL_MPOOL_CLASS_BUDGET) {
        *(void **)ptr = p->free[h->cls];
        p->free[h->cls] = h;
        p->nfree[h->cls]++;
        return;
    }
    free(h);
}

void *sl_mpool_realloc(struct sl_mpool *p, void *ptr, size_t n)
{
    struct hdr *h;
    void *q;

    if (MP_OFF)
        return realloc(ptr, n);
    if (!ptr)
        return sl_mpool_alloc(p, n);
    h = (struct hdr *)((char *)ptr - HDR);
    if (n <= h->size && h->cls < SL_MPOOL_NCLASS)
        return ptr;
    if (!(q = sl_mpool_alloc(p, n)))
        return NULL;
    memcpy(q, ptr, h->size < n ? h->size : n);
    sl_mpool_free(p, ptr);
    return q;
}

int sl_mpool_enabled(void)
{
    return !MP_OFF;
}

void sl_mpool_destroy(struct sl_mpool *p)
{
    unsigned c;

    for (c = 0; c < SL_MPOOL_NCLASS; c++) {
        while (p->free[c]) {
            struct hdr *h = p->free[c];

            p->free[c] = *(void **)((char *)h + HDR);
            free(h);
        }
        p->nfree[c] = 0;
    }
}
