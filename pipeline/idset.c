/* idset.c: open-addressing set of 64-bit id hashes. Any thread. */
#include "idset.h"

#include <stdlib.h>
#include <string.h>

uint64_t sl_idset_hash(uint64_t seed, const char *p, size_t n)
{
    /* FNV-1a over the bytes, then a murmur3 finaliser so that the low bits index well. */
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h ? h : 1;
}

int sl_idset_init(struct sl_idset *s, uint64_t seed)
{
    s->cap = 1u << 12;
    s->count = 0;
    s->seed = seed;
    s->slots = calloc(s->cap, sizeof(*s->slots));
    if (!s->slots)
        return -12;
    s->next_seq = 0;
    if (pthread_mutex_init(&s->mu, NULL)) {
        free(s->slots);
        return -1;
    }
    if (pthread_cond_init(&s->turn, NULL)) {
        pthread_mutex_destroy(&s->mu);
        free(s->slots);
        return -1;
    }
    return 0;
}

void sl_idset_destroy(struct sl_idset *s)
{
    free(s->slots);
    s->slots = NULL;
    pthread_cond_destroy(&s->turn);
    pthread_mutex_destroy(&s->mu);
}

static void put(uint64_t *slots, size_t cap, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);

    while (slots[i])
        i = (i + 1) & (cap - 1);
    slots[i] = h;
}

static int grow(struct sl_idset *s)
{
    size_t ncap = s->cap * 2, i;
    uint64_t *ns = calloc(ncap, sizeof(*ns));

    if (!ns)
        return -12;
    for (i = 0; i < s->cap; i++)
        if (s->slots[i])
            put(ns, ncap, s->slots[i]);
    free(s->slots);
    s->slots = ns;
    s->cap = ncap;
    return 0;
}

static int insert_locked(struct sl_idset *s, uint64_t h)
{
    size_t i;

    if ((s->count + 1) * 4 > s->cap * 3 && grow(s) < 0)
        return -12;
    for (i = (size_t)h & (s->cap - 1); s->slots[i]; i = (i + 1) & (s->cap - 1))
        if (s->slots[i] == h)
            return 0;
    s->slots[i] = h;
    s->count++;
    return 1;
}

int sl_idset_insert_at(struct sl_idset *s, uint64_t seq, const char *id, size_t len)
{
    uint64_t h = id ? sl_idset_hash(s->seed, id, len) : 0;
    int rc = 1;

    pthread_mutex_lock(&s->mu);
    while (s->next_seq < seq)
        pthread_cond_wait(&s->turn, &s->mu);
    if (id)
        rc = insert_locked(s, h);
    if (s->next_seq == seq)
        s->next_seq++;
    pthread_cond_broadcast(&s->turn);
    pthread_mutex_unlock(&s->mu);
    return rc;
}
