/* idset.h: the set of custom_ids seen in this run (duplicate detection), shared by the workers.
 *
 * Memory is fixed (issue "Scale": 10 million jobs from stdin in <= 64 MB), the answer is exact:
 *
 *  - In memory: a blocked Bloom filter of `filter_bytes`, keyed by a random per-run seed so that
 *    an input cannot aim at its bits, and an array of `heads_bytes / 8` bucket heads (run.c gives
 *    each half of --dedup-memory: 8 + 8 MB by default). A filter miss proves the id new; a hit
 *    makes it a *suspect*. Both are mmap'd: pages cost memory once an id touches them.
 *  - On disk, in one unlinked scratch file of the output directory (O_TMPFILE; gone when the
 *    process ends, even by a crash): an append-only log of every id inserted, its records
 *    hash-chained per bucket: (offset of the bucket's previous record, 64-bit keyed hash, length,
 *    id bytes). A bucket's head is the offset of its newest record.
 *
 * Cost: a new id costs no system call. It is appended to the log's 64 KiB write buffer (one
 * write() per ~2,000 ids) and becomes its bucket's head; nothing is read. Only a suspect walks its
 * bucket's chain, newest first, comparing hashes, and the full id bytes on an equal hash (two
 * different ids are never a duplicate, even if their 64-bit hashes collide): one pread per record
 * on disk, none for the records still in the write buffer. A chain holds about n / buckets
 * records (2^20 buckets by default: 1 at 1M ids, 10 at 10M). The filter has 8 bits set per id in
 * one 64-byte block; at 1M ids in 8 MB suspects are rare, at 10M a few per cent. A hostile input
 * made only of duplicates makes every id a suspect: each walks one chain of about n_distinct /
 * buckets records (the keyed hash spreads the ids; an input cannot stack one chain), never O(n^2)
 * in the input length for a fixed number of distinct ids; the walk grows with distinct ids /
 * buckets, the price of fixed memory. Rejected: the former on-disk open-addressing tables (one
 * 4 KiB pread + a 16-byte pwrite per new id, a quarter of sluice's CPU); batching suspects for
 * one sequential scan of the log (a suspect's job would wait for its batch: with a handful of
 * worker threads every worker ends up waiting, batches stay a few ids long and the scans become
 * O(n^2)).
 *
 * Resume: nothing is kept across runs. A resumed run reads its input again from the start and
 * jobs the journal holds as done still take their turn with their id (work.c), so the set is
 * rebuilt exactly as the interrupted run had it: a duplicate of an id done before the crash is
 * still rejected and no job meets its own earlier id. Keeping the file would need it synced
 * with every journal commit for no gain.
 *
 * Order: positions are inserted in input order, so the first occurrence of an id in the input is
 * the one that wins, whichever worker is faster. Ordering the workers is the caller's job
 * (work.c's admission through inorder.h); the set only refuses a position out of order.
 *
 * Threads: one caller at a time (the admission serialises them), so nothing here takes a lock.
 */
#ifndef SL_IDSET_H
#define SL_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_IDSET_ID_MAX 4096 /* longest id accepted (work.c caps custom_id at 512) */

struct sl_idset_opts {
    uint64_t seed;       /* keys the hash; random per run */
    size_t filter_bytes; /* Bloom filter size; 0 = 8 MiB; rounded down to 64-byte blocks */
    size_t heads_bytes;  /* bucket heads, 8 bytes each; 0 = 8 MiB; rounded down to 2^k heads */
    const char *dir;     /* where the scratch files go (the output directory); NULL = TMPDIR */
};

struct sl_idset_stats {
    uint64_t ids, suspects, duplicates;
    uint64_t chain_steps; /* log records a suspect's walk looked at (buffered or on disk) */
    uint64_t log_reads;   /* of them, the ones read from disk (one pread each) */
};

struct sl_idset {
    uint64_t next_seq; /* insert_at: the input position expected next */
    uint64_t seed, seed2;
    uint64_t *bloom; /* nblocks x 8 words */
    uint64_t nblocks;
    uint64_t *heads; /* nheads x (log offset of the bucket's newest record + 1; 0 = empty) */
    uint64_t nheads;
    unsigned head_shift; /* bucket = hash >> head_shift */
    int log_fd;
    char *logbuf; /* records not yet written to the log */
    size_t logbuf_len;
    uint64_t log_flushed; /* bytes of the log on disk */
    char *recbuf; /* one record read back from the log (scratch) */
    int error;    /* sticky I/O error */
    struct sl_idset_stats st;
};

/* Allocate the filter and the heads, create the scratch file. 0, -ENOMEM, or -errno from the
 * file. */
int sl_idset_open(struct sl_idset *s, const struct sl_idset_opts *o);
void sl_idset_destroy(struct sl_idset *s); /* after a failed open too; twice is fine */
uint64_t sl_idset_hash(uint64_t seed, const char *p, size_t n);
/* Insert id: 1 if inserted, 0 if it was already there (exactly: full bytes compared), negative on
 * an I/O or allocation failure (sticky: every later insert fails too) or an id longer than
 * SL_IDSET_ID_MAX (-E2BIG). Positions come in input order, each exactly once (id NULL: the
 * position has no id to record); any other seq is refused with -EINVAL and changes nothing. */
int sl_idset_insert_at(struct sl_idset *s, uint64_t seq, const char *id, size_t len);
/* Counters so far (call when no insert runs, e.g. after the workers stopped). */
void sl_idset_stats(const struct sl_idset *s, struct sl_idset_stats *out);

#endif
