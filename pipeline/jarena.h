/* jarena.h: a bump arena for jansson's allocations during one job on a worker thread.
 *
 * jansson mallocs every value, key and string and frees them one by one on json_decref: about a
 * tenth of a worker's instructions per job went to malloc/free. Between sl_jarena_begin and
 * sl_jarena_end, jansson allocations on the calling thread are carved from the thread's arena;
 * frees of arena memory are no-ops, and sl_jarena_end wipes (explicit_bzero: job text is PII) and
 * rewinds it. Past the arena's capacity allocations fall back to malloc (and the arena grows for
 * the next job, up to a cap).
 *
 * Contract: every jansson value made inside a scope is released inside it and never reaches another
 * thread (work.c keeps its json_t local to prepare/finish). jansson's allocator functions are
 * process-wide: sl_jarena_init installs them once; outside a scope, and on threads without an
 * arena, they are malloc/free. Strings jansson returns for the caller to free (json_dumps) must not
 * be made inside a scope: use json_dump_callback. Under AddressSanitizer the arena is off, so the
 * sanitizer still sees each object's lifetime. One owner thread per arena.
 */
#ifndef SL_JARENA_H
#define SL_JARENA_H

#include <stdbool.h>
#include <stddef.h>

struct sl_jarena {
    char *base;
    size_t cap, used;
    size_t fallbacks; /* allocations that did not fit, in the current scope */
    bool on;          /* inside a scope */
};

/* Allocates the first block (cap bytes, rounded up). 0 or -ENOMEM; a failed arena is just off. */
int sl_jarena_init(struct sl_jarena *a, size_t cap);
void sl_jarena_free(struct sl_jarena *a);
/* Route this thread's jansson allocations to a until sl_jarena_end. */
void sl_jarena_begin(struct sl_jarena *a);
void sl_jarena_end(struct sl_jarena *a);
/* True when the arena is compiled in (not under AddressSanitizer). */
bool sl_jarena_enabled(void);

#endif
