/* journal.h: the output directory's commit log (DIR/journal): what is durably done.
 *
 * The writer thread appends one record per commit, after the output files' new frames are synced,
 * and syncs the journal; the last valid record is the truth on resume. Loading reads records until
 * the first torn or invalid one and reports the byte length up to there, so the caller truncates the
 * garbage away before appending again.
 *
 * Format (all integers little-endian; one record per commit, records back to back, no file header):
 *
 *   offset  size  field
 *   0       4     magic "SLJ1"
 *   4       4     L: payload length, 112 <= L <= SL_JOURNAL_MAX_RECORD
 *   8       4     CRC-32C (Castagnoli) over bytes 4..7 (L) and the L payload bytes
 *   12      L     payload:
 *                   u64     commit number: 1 for the first record, then previous + 1
 *                   u64 x4  durable byte length of results, errors, rejects, audit .jsonl.zst
 *                   u64     audit records in the directory after this commit
 *                   32      SHA-256 of the last audit line (without '\n'); zeros when none
 *                   u64 x3  running counts of results, errors, rejects
 *                   u64     k: number of input positions (seqs) this commit made durable
 *                   k x     LEB128 varints: the first seq, then each seq minus the one before
 *                           (the seqs are sorted; 0 deltas are tolerated)
 *                 the payload ends exactly after the k-th varint.
 *
 * A record is valid only if, besides magic, length and CRC, it continues the previous one: commit
 * number + 1, no file length or count going down, and both the audit record count and the sum of
 * the counts growing by exactly k. Every seq must be below the caller's max_seq (this bounds the
 * done bitmap, ~1 bit per input position, that loading builds).
 *
 * Pure code on bytes plus one file loader; any thread, no shared state.
 */
#ifndef SL_JOURNAL_H
#define SL_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define SL_JOURNAL_MAGIC "SLJ1"
#define SL_JOURNAL_HDR 12
#define SL_JOURNAL_FIXED 112                  /* payload bytes before the varints */
#define SL_JOURNAL_MAX_RECORD (64u << 20)     /* payload cap (~30M seqs in one commit) */
#define SL_JOURNAL_MAX_SEQ ((uint64_t)1 << 36) /* default seq bound: an 8 GiB bitmap at worst */

enum { SL_JF_RESULTS, SL_JF_ERRORS, SL_JF_REJECTS, SL_JF_AUDIT, SL_JF__COUNT };

struct sl_journal_commit {
    uint64_t commit_no;
    uint64_t file_len[SL_JF__COUNT];
    uint64_t audit_n;
    unsigned char audit_hash[32];
    uint64_t counts[3]; /* by enum sl_out_kind: results, errors, rejects */
};

/* A growable bitmap over seq. */
struct sl_bitmap {
    uint64_t *w;
    size_t nw;      /* words allocated */
    uint64_t count; /* bits set */
};

struct sl_journal_state {
    struct sl_journal_commit last; /* all zero when there is no valid record */
    struct sl_bitmap done;
    uint64_t records;   /* valid records */
    uint64_t valid_len; /* journal bytes up to the end of the last valid record */
};

uint32_t sl_crc32c(uint32_t crc, const void *p, size_t n);

bool sl_bitmap_test(const struct sl_bitmap *b, uint64_t bit);
SL_MUST_CHECK int sl_bitmap_set(struct sl_bitmap *b, uint64_t bit); /* -ENOMEM */
void sl_bitmap_free(struct sl_bitmap *b);

void sl_journal_state_init(struct sl_journal_state *st);
void sl_journal_state_free(struct sl_journal_state *st);

/* Append one complete record (header included) for commit c and seqs[0..n) to out. seqs is sorted
 * in place. Returns 0, SL_ETOOBIG (too many seqs for one record) or out's error. */
SL_MUST_CHECK int sl_journal_encode(const struct sl_journal_commit *c, uint64_t *seqs, size_t n,
                                    struct sl_buf *out);

/* Parse a journal held in memory into st (which must be freshly initialised). Stops at the first
 * invalid record; st->valid_len says where. Returns 0, or -ENOMEM. */
SL_MUST_CHECK int sl_journal_parse(const uint8_t *p, size_t n, uint64_t max_seq,
                                   struct sl_journal_state *st);

/* The same over an open file, read record by record from offset 0 (memory: one record). Returns 0,
 * -errno on a read error, or -ENOMEM. The file is not changed. */
SL_MUST_CHECK int sl_journal_load(int fd, uint64_t max_seq, struct sl_journal_state *st);

#endif
