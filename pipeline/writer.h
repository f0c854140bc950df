/* writer.h: the output directory (results, errors, rejects, audit, journal), on its own thread.
 *
 * Records are pushed by any thread (blocking while the writer's bounded queue is full). The writer
 * thread appends each line to its file's zstd stream and, every `commit_records` records or
 * `commit_ms` milliseconds, ends the current zstd frame in every file, fsyncs them, then appends a
 * commit record to `journal` (the byte length of every output file after the commit, the input
 * positions it made durable, the running audit chain hash; CRC-protected) and fsyncs the journal.
 * Only then are those jobs done: on_commit is called (on the writer thread) with their positions.
 *
 * Output format: opts.msgpack (see there). Resume (opts.resume): the journal's last valid commit gives each file's durable length; every file
 * is truncated to it (a torn tail is dropped), and sl_writer_is_done() answers for the positions
 * already committed, so the run skips them. Without resume, a directory that already holds a run is
 * refused. An flock on DIR/lock keeps two runs (two cron firings) out of one directory.
 *
 * Ownership at sl_writer_push: the writer always takes r->line (it sets r->line to NULL and frees the
 * line itself, also when push fails); the struct r and its strings stay the caller's (they are
 * copied). on_commit's seqs are sorted and valid only during the call.
 *
 * Audit records are built here (they carry the chain): time, custom_id, the keyed input digest, model,
 * endpoint path, outcome, status, attempts, latency, tokens, redaction counts by type, and `prev`, the
 * SHA-256 of the previous audit line. No prompt text, no PII, no key ever reaches a record.
 */
#ifndef SL_WRITER_H
#define SL_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anonymize.h"
#include "err.h"
#include "sanitize.h"

enum sl_out_kind { SL_OUT_RESULT, SL_OUT_ERROR, SL_OUT_REJECT, SL_OUT__COUNT };

struct sl_out_rec {
    enum sl_out_kind kind;
    uint64_t seq;        /* input position: index of the record across all inputs, from 0 */
    char *line;          /* the output line, no trailing newline; malloc'd, the writer frees it */
    size_t line_len;
    /* for the audit record (strings are copied by sl_writer_push; may be NULL/empty) */
    const char *custom_id;
    const char *model;
    const char *endpoint; /* path, e.g. /v1/chat/completions */
    const char *error_code; /* for errors and rejects: short code, never content */
    unsigned char input_digest[32]; /* HMAC-SHA256(audit key, raw input record) */
    int status;           /* last HTTP status, 0 if none */
    unsigned attempts;
    uint32_t latency_ms;  /* of the last attempt */
    uint64_t prompt_tokens, completion_tokens;
    double cost_usd;      /* 0 if unknown */
    struct sl_anon_counts redactions;
    struct sl_san_stats sanitized;
};

typedef void (*sl_writer_commit_cb)(void *ud, const uint64_t *seqs, size_t n,
                                    const uint64_t kind_counts[SL_OUT__COUNT]);

struct sl_writer_opts {
    const char *dir;
    bool resume;
    int zstd_level;          /* 0 = default (3) */
    unsigned commit_records; /* 0 = default (1024) */
    unsigned commit_ms;      /* 0 = default (250) */
    unsigned queue_cap;      /* 0 = default (4096) */
    bool fsync;              /* false only for benchmarks of the disk-less path; default true */
    /* Group commit: also commit as soon as the queue runs dry (still at most commit_records per
     * commit). Records then wait about one commit (a few fsyncs) instead of commit_records
     * arrivals or commit_ms; commits grow by themselves when records come faster than fsyncs. */
    bool group_commit;
    /* ... but a dry queue commits at most once per group_gap_ms after the previous commit (0: no
     * floor). Without it a fast disk made commits of a few dozen records: three fdatasyncs, three
     * zstd frame ends and a wake-up each. The first commit of a run is never delayed. */
    unsigned group_gap_ms;
    sl_writer_commit_cb on_commit;
    void *ud;
    /* --output-format msgpack: results/errors/rejects are results.msgpack.zst, ... and each record
     * (r->line) is one msgpack value written as is, with no separator; audit stays JSONL. open
     * refuses a directory holding the other format's files (a resume must keep the format). */
    bool msgpack;
    const char *results_name; /* NULL = "results.jsonl.zst"; dry-run: "requests.jsonl.zst" (the
                                 result kind then carries request lines); a plain file name that
                                 outlives the writer */
};

struct sl_writer;

/* Create DIR if needed, lock it, open (and on resume recover) the files, start the thread. */
SL_MUST_CHECK int sl_writer_open(const struct sl_writer_opts *o, struct sl_writer **out,
                                 struct sl_err *err);
/* True if position seq was committed by an earlier run (resume). Thread-safe (read-only). */
bool sl_writer_is_done(const struct sl_writer *w, uint64_t seq);
/* Number of positions the journal holds as done when the writer opened. */
uint64_t sl_writer_done_before(const struct sl_writer *w);
/* Counts by kind committed so far, this run and earlier ones together. Thread-safe. */
void sl_writer_counts(const struct sl_writer *w, uint64_t counts[SL_OUT__COUNT]);
/* Hand a record over (blocks while the queue is full). Returns 0, or the writer's sticky error
 * (disk full, I/O) in which case the record was freed and the run must stop (exit 4). */
SL_MUST_CHECK int sl_writer_push(struct sl_writer *w, struct sl_out_rec *r);
/* Commit what is pending, stop the thread, close the files. Returns the sticky error, if any. */
SL_MUST_CHECK int sl_writer_close(struct sl_writer *w);
void sl_writer_destroy(struct sl_writer *w); /* after close; NULL is fine */

/* The audit key (32 bytes) this directory uses for input digests: DIR/audit.key, created 0600 with
 * random bytes on a first run. */
SL_MUST_CHECK int sl_writer_audit_key(const struct sl_writer *w, unsigned char key[32]);

#endif
