/* jarena.c: per-thread bump arena behind jansson's allocator (contract in jarena.h). Any thread;
 * each arena has one owner thread, found through thread-local pointers. */
#include "jarena.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define SL_JARENA_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SL_JARENA_OFF 1
#endif
#endif

#define ALIGN 16
#define MAX_CAP ((size_t)4 << 20) /* growth stops here: larger jobs use malloc past it */

static _Thread_local struct sl_jarena *cur; /* allocating from it (inside a scope) */
static _Thread_local struct sl_jarena *own; /* this thread's arena (frees check its range) */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void *ja_malloc(size_t n)
{
    struct sl_jarena *a = cur;

    if (a) {
        size_t need = (n + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);

        if (need >= n && need <= a->cap - a->used) {
            void *p = a->base + a->used;

            a->used += need;
            return p;
        }
        a->fallbacks++;
    }
    return malloc(n);
}

static void ja_free(void *p)
{
    struct sl_jarena *a = own;

    if (a && a->base && (uintptr_t)p >= (uintptr_t)a->base &&
        (uintptr_t)p < (uintptr_t)a->base + a->cap)
        return;
    free(p);
}

static void install(void)
{
    json_set_alloc_funcs(ja_malloc, ja_free);
}

bool sl_jarena_enabled(void)
{
#ifdef SL_JARENA_OFF
    return false;
#else
    return true;
#endif
}

int sl_jarena_init(struct sl_jarena *a, size_t cap)
{
    memset(a, 0, sizeof(*a));
    if (!sl_jarena_enabled())
        return 0;
    cap = (cap + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
    if (!cap || !(a->base = aligned_alloc(ALIGN, cap)))
        return -ENOMEM;
    a->cap = cap;
    pthread_once(&once, install);
    return 0;
}

void sl_jarena_free(struct sl_jarena *a)
{
    if (own == a)
        own = NULL;
    if (cur == a)
        cur = NULL;
    if (a->base)
        explicit_bzero(a->base, a->used);
    free(a->base);
    memset(a, 0, sizeof(*a));
}

void sl_jarena_begin(struct sl_jarena *a)
{
    if (!a->base)
        return;
    own = a;
    cur = a;
    a->on = true;
    a->fallbacks = 0;
}

void sl_jarena_end(struct sl_jarena *a)
{
    if (!a->on)
        return;
    cur = NULL;
    a->on = false;
    explicit_bzero(a->base, a->used);
    a->used = 0;
    if (a->fallbacks && a->cap < MAX_CAP) {
        /* Too small for this job: the next one gets twice the room. Nothing lives in the old
         * block (the scope is over), but this thread may still free old fallback pointers, which
         * are outside both blocks and go to free(). */
        size_t ncap = a->cap * 2 > MAX_CAP ? MAX_CAP : a->cap * 2;
        char *nb = aligned_alloc(ALIGN, ncap);

        if (nb) {
            free(a->base);
            a->base = nb;
            a->cap = ncap;
        }
    }
}
