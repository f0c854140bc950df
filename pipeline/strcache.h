/* strcache.h: a small per-worker memory of strings the anonymizer found nothing in.
 *
 * Batch jobs repeat text: the same system prompt, few-shot examples or instructions in every one
 * of millions of jobs. The anonymizer is a pure function of the string (and the process's fixed
 * configuration), so a string it left unchanged once is left unchanged again: work.c asks this
 * cache before scanning and skips the scan on a hit. A hit is an exact byte comparison against
 * the stored copy, never a hash match alone, so a string that differs in any byte is scanned.
 *
 * Direct-mapped: SL_STRCACHE_SLOTS slots chosen by length and a few sampled bytes; a new string
 * replaces the slot's old one. Only strings of SL_STRCACHE_MIN..SL_STRCACHE_MAX bytes are kept
 * (shorter ones cost little to scan, longer ones rarely repeat). Memory: at most SLOTS x MAX bytes
 * a worker, wiped on destroy (cached text is prompt text, even without PII in it).
 * Thread: one owner (a worker's sl_work_tls).
 */
#ifndef SL_STRCACHE_H
#define SL_STRCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_STRCACHE_SLOTS 64
#define SL_STRCACHE_MIN 24
#define SL_STRCACHE_MAX 16384

struct sl_strcache_slot {
    char *p;
    size_t len, cap;
};

struct sl_strcache {
    struct sl_strcache_slot s[SL_STRCACHE_SLOTS];
    uint64_t hits, misses;
};

/* True if s[0..n) is stored (the caller may skip its scan). */
bool sl_strcache_has(struct sl_strcache *c, const char *s, size_t n);
/* Remember s[0..n) as clean. Sizes outside MIN..MAX and allocation failures are ignored. */
void sl_strcache_put(struct sl_strcache *c, const char *s, size_t n);
/* Wipe and free every stored string. */
void sl_strcache_destroy(struct sl_strcache *c);

#endif
