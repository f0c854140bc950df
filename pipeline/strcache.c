/* strcache.c: direct-mapped cache of clean strings (contract in strcache.h). */
#include "strcache.h"

#include <stdlib.h>
#include <string.h>

/* Slot of s[0..n): its length and 16 bytes sampled at both ends and the middle, mixed. Only the
 * spread matters (a hit is confirmed by memcmp); it costs the same for 30 bytes or 16 KB. */
static size_t slot_of(const char *s, size_t n)
{
    uint64_t a, b, c, h;

    memcpy(&a, s, 8);
    memcpy(&b, s + n - 8, 8);
    memcpy(&c, s + n / 2 - 4, 8);
    h = (uint64_t)n * 0x9E3779B97F4A7C15ULL;
    h ^= a + 0x632BE59BD9B4E019ULL + (h << 6) + (h >> 2);
    h ^= b + 0x8CB92BA72F3D8DD7ULL + (h << 6) + (h >> 2);
    h ^= c + 0xD6E8FEB86659FD93ULL + (h << 6) + (h >> 2);
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    return (size_t)(h % SL_STRCACHE_SLOTS);
}

bool sl_strcache_has(struct sl_strcache *c, const char *s, size_t n)
{
    struct sl_strcache_slot *sl;

    if (n < SL_STRCACHE_MIN || n > SL_STRCACHE_MAX)
        return false;
    sl = &c->s[slot_of(s, n)];
    if (sl->p && sl->len == n && memcmp(sl->p, s, n) == 0) {
        c->hits++;
        return true;
    }
    c->misses++;
    return false;
}

void sl_strcache_put(struct sl_strcache *c, const char *s, size_t n)
{
    struct sl_strcache_slot *sl;

    if (n < SL_STRCACHE_MIN || n > SL_STRCACHE_MAX)
        return;
    sl = &c->s[slot_of(s, n)];
    if (sl->p)
        explicit_bzero(sl->p, sl->len);
    if (n > sl->cap) {
        char *np = malloc(n);

        if (!np) {
            sl->len = 0;
            return;
        }
        free(sl->p);
        sl->p = np;
        sl->cap = n;
    }
    memcpy(sl->p, s, n);
    sl->len = n;
}

void sl_strcache_destroy(struct sl_strcache *c)
{
    size_t i;

    for (i = 0; i < SL_STRCACHE_SLOTS; i++) {
        if (c->s[i].p) {
            explicit_bzero(c->s[i].p, c->s[i].cap);
            free(c->s[i].p);
        }
        c->s[i].p = NULL;
        c->s[i].len = c->s[i].cap = 0;
    }
}
