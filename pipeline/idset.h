/* idset.h: the set of custom_ids seen in this run (duplicate detection), shared by the workers.
 *
 * Memory is fixed (issue "Scale": 10 million jobs from stdin in <= 64 MB), the answer is exact:
 *
 *  - In memory: a blocked Bloom filter of `filter_bytes` (--dedup-memory, default 16 MB), keyed
 *    by a random per-run seed so that an input cannot aim at its bits. A miss proves the id new;
 *    a hit makes it a *suspect*.
 *  - On disk, in two unlinked scratch files of the output directory (O_TMPFILE; gone when the
 *    process ends, even by a crash): every id inserted (a length-prefixed log) and an index of
 *    (64-bit keyed hash, log offset) slots in open-addressing tables on disk. A suspect is
 *    confirmed by reading the few index pages its hash can sit in (one 4 KiB pread per table, the
 *    tables double in size, so about log2(n / 45k) tables: 8 at 10 million) and comparing the
 *    full id bytes on every equal hash. Two different ids are therefore never a duplicate, even if
 *    their 64-bit hashes collide. Inserting a new id appends to the log and writes one slot.
 *
 * Cost: one pread + one pwrite of 16 bytes per new id, plus the tables' pages per suspect. With
 * 16 MB the filter has 12.8 bits an id at 10M (about 0.5% suspects); at 1M almost none. A
 * hostile input made only of duplicates makes every id a suspect: O(n log n) page reads, never
 * O(n^2) (no confirmation is a scan of everything seen). The rejected alternative, batching
 * suspects for one sequential scan of the log, needs a suspect's job to wait for its batch: with
 * a handful of worker threads every worker ends up waiting, batches stay a few ids long and the
 * scans become O(n^2).
 *
 * Resume: nothing is kept across runs. A resumed run reads its input again from the start and
 * jobs the journal holds as done still take their turn with their id (work.c), so the set is
 * rebuilt exactly as the interrupted run had it: a duplicate of an id done before the crash is
 * still rejected and no job meets its own earlier id. Keeping the files would need them synced
 * with every journal commit for no gain.
 *
 * Order: sl_idset_insert_at lets positions in input order, so the first occurrence of an id in the
 * input is the one that wins, whichever worker is faster. Turns are an atomic counter: a worker
 * whose turn it is never touches a lock; a worker that is early spins briefly, then sleeps on a
 * condition variable (counted, so the turn taker only signals when someone sleeps).
 *
 * Threads: any worker; the turn serialises the inserts, so the files need no lock.
 */
#ifndef SL_IDSET_H
#define SL_IDSET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_IDSET_LEVELS_MAX 40
#define SL_IDSET_ID_MAX 4096 /* longest id accepted (work.c caps custom_id at 512) */

struct sl_idset_opts {
    uint64_t seed;       /* keys the hash; random per run */
    size_t filter_bytes; /* Bloom filter size; 0 = 16 MiB; rounded down to 64-byte blocks */
    const char *dir;     /* where the scratch files go (the output directory); NULL = TMPDIR */
};

struct sl_idset_level { /* one on-disk table: slots [base, base + nslots) of the index file */
    uint64_t base, nslots, count;
};

struct sl_idset_stats {
    uint64_t ids, suspects, duplicates, page_reads;
};

struct sl_idset {
    _Atomic uint64_t next_seq; /* insert_at: the input position whose turn it is */
    pthread_mutex_t mu;        /* only for sleeping: guards `sleepers` and the condvar */
    pthread_cond_t turn;
    _Atomic unsigned sleepers;
    uint64_t seed, seed2;
    uint64_t *bloom; /* nblocks x 8 words */
    uint64_t nblocks;
    int log_fd, idx_fd;
    char *logbuf; /* ids not yet written to the log */
    size_t logbuf_len;
    uint64_t log_flushed; /* bytes of the log on disk */
    struct sl_idset_level lv[SL_IDSET_LEVELS_MAX];
    unsigned nlv; /* lv[nlv - 1] takes the inserts; the others are frozen */
    char *page;   /* one index page (scratch) */
    char *idbuf;  /* one id read back from the log (scratch) */
    int error;    /* sticky I/O error */
    struct sl_idset_stats st;
};

/* Allocate the filter and create the scratch files. 0, -ENOMEM, or -errno from the files. */
int sl_idset_open(struct sl_idset *s, const struct sl_idset_opts *o);
void sl_idset_destroy(struct sl_idset *s); /* after a failed open too; twice is fine */
uint64_t sl_idset_hash(uint64_t seed, const char *p, size_t n);
/* Insert id: 1 if inserted, 0 if it was already there (exactly: full bytes compared), negative on
 * an I/O or allocation failure (sticky: every later insert fails too) or an id longer than
 * SL_IDSET_ID_MAX (-E2BIG). In input order: waits until every position below seq has had its
 * turn. Every position must call it exactly once (id NULL: only take the turn). Workers take jobs
 * in input order, so the position being waited for is always already in a worker's hands. */
int sl_idset_insert_at(struct sl_idset *s, uint64_t seq, const char *id, size_t len);
/* Counters so far (call when no insert runs, e.g. after the workers stopped). */
void sl_idset_stats(const struct sl_idset *s, struct sl_idset_stats *out);

#endif
