/* audit.h: audit records (one JSON line per job) and their verification.
 *
 * A record holds, keys in this order:
 *   {"n": index from 0 over the directory, "t": RFC 3339 UTC with ms, "custom_id",
 *    "outcome": "result"|"error"|"reject", "input_hmac": hex HMAC-SHA256 of the raw input,
 *    "model", "endpoint", "status", "attempts", "latency_ms", "prompt_tokens",
 *    "completion_tokens", "cost_usd", "error_code", "redactions": {TYPE: n, non-zero only},
 *    "sanitized": {class: n, non-zero only}, "injection_flagged": bool,
 *    "prev": hex SHA-256 of the previous audit line's bytes without '\n' (64 zeros for the first)}
 * Strings absent (NULL) are written as null. custom_id is written as given: the caller must make
 * sure it carries no PII. No prompt text and no key ever reaches a record.
 *
 * Verification: sl_audit_chain_* checks a sequence of lines (parse, consecutive n, prev chain);
 * sl_audit_verify_dirs checks whole output directories (see its comment). Problems are reported
 * one by one through a callback with the file and the record position (0-based, i.e. the n the
 * record should have). Any thread; no shared state.
 */
#ifndef SL_AUDIT_H
#define SL_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "writer.h"

/* Append the audit line (no '\n') for r to out. t_ms: Unix time in ms. */
SL_MUST_CHECK int sl_audit_format(struct sl_buf *out, uint64_t n, int64_t t_ms,
                                  const struct sl_out_rec *r, const unsigned char prev[32]);
/* SHA-256 of a line (the chain link). */
void sl_audit_hash(const char *line, size_t len, unsigned char out[32]);
/* The same hash with SHA-256 fetched once and one reused digest context (one owner thread). A
 * hasher whose init failed (or a zeroed one) falls back to sl_audit_hash. */
struct sl_audit_hasher {
    struct evp_md_st *md;
    struct evp_md_ctx_st *ctx;
};
int sl_audit_hasher_init(struct sl_audit_hasher *h);
void sl_audit_hasher_free(struct sl_audit_hasher *h);
void sl_audit_hasher_hash(struct sl_audit_hasher *h, const char *line, size_t len,
                          unsigned char out[32]);
/* Lowercase hex of n bytes into out (2n + 1 bytes with the NUL). */
void sl_audit_hex(const unsigned char *p, size_t n, char *out);

/* A problem found: file (a path or name), record position, message. */
/* record is SL_AUDIT_NO_RECORD for a problem of the whole file. */
#define SL_AUDIT_NO_RECORD UINT64_MAX
typedef void (*sl_audit_problem_cb)(void *ud, const char *file, uint64_t record, const char *msg);

/* Incremental chain checker. */
struct sl_audit_chain {
    const char *file;             /* for messages */
    sl_audit_problem_cb cb;
    void *ud;
    uint64_t records;             /* lines seen */
    uint64_t problems;
    bool have_n;
    uint64_t last_n;
    unsigned char last_hash[32];  /* SHA-256 of the last line seen; zeros before the first */
    uint64_t counts[3];           /* by outcome, over the lines that parsed */
};

void sl_audit_chain_init(struct sl_audit_chain *c, const char *file, sl_audit_problem_cb cb,
                         void *ud);
/* Check one line (problems are counted and reported through the callback); if rec is not NULL
 * and the line parsed as an object, *rec receives it (the caller json_decref's it). */
void sl_audit_chain_line(struct sl_audit_chain *c, const char *line, size_t len, json_t **rec);

/* Pure check of a whole decompressed audit stream (lines ending in '\n'). Returns the number of
 * problems (0 = the chain holds); last_hash (may be NULL) receives the last line's hash. */
uint64_t sl_audit_chain_check(const char *data, size_t len, sl_audit_problem_cb cb, void *ud,
                              unsigned char last_hash[32]);

/* Verify output directories (the shards of one run). Per directory: every audit line parses, n is
 * consecutive from 0, the prev chain holds, the journal's last commit hash equals the last
 * record's hash (and its record count the number of records), counts by outcome equal the lines in
 * results/errors/rejects and summary.json's "results"/"errors"/"rejects" when it exists, and the
 * audit's (outcome, custom_id) multiset equals the output files'. Across all directories every
 * custom_id (rejects without one: their "source") appears exactly once. Returns 0 when all holds,
 * SL_ECORRUPT when a problem was reported, or -ENOMEM. *problems (may be NULL) gets the count. */
SL_MUST_CHECK int sl_audit_verify_dirs(const char *const *dirs, size_t ndirs,
                                       sl_audit_problem_cb cb, void *ud, uint64_t *problems);

#endif
