/* cmd_redact.h: `sluice redact`: JSONL on stdin -> JSONL on stdout with every string value
 * anonymized (object keys and all other JSON kept). Runs on the calling thread; streams one line at
 * a time (memory bounded by the longest line, capped at SL_REDACT_MAX_LINE).
 */
#ifndef SL_CMD_REDACT_H
#define SL_CMD_REDACT_H

#include <stddef.h>
#include <stdio.h>

#include "anonymize.h"

#define SL_REDACT_MAX_LINE ((size_t)64 << 20)

/* The line filter under the command (also for tests and fuzzing). One per thread. */
struct sl_redact;

/* Build the anonymizer from o (the HMAC key is copied). *out freed by sl_redact_destroy. */
SL_MUST_CHECK int sl_redact_create(const struct sl_anon_opts *o, struct sl_redact **out);
/* Rewrite line[0..len) (no newline; line[len] must be writable and may be overwritten) and write
 * it with a '\n' to out. Returns 0 when written; 1 when the line is not valid JSON or its output is
 * over the cap (nothing written; reported on err by lineno unless err is NULL, never quoting the
 * input); or a negative error code (SL_EIO from out, -ENOMEM). */
SL_MUST_CHECK int sl_redact_line(struct sl_redact *r, char *line, size_t len, size_t lineno,
                                 FILE *out, FILE *err);
/* Per-type counts over the lines written so far. */
const struct sl_anon_counts *sl_redact_counts(const struct sl_redact *r);
void sl_redact_destroy(struct sl_redact *r);

/* argv[0] is "redact". Options: --mode redact|mask|hash|tokenize|off, --types LIST,
 * --hash-key-file FILE (required for hash; refused if group/other may read it), --stats,
 * --threads N. Returns the exit status: 0 ok, 1 internal error, 2 usage, 3 some lines were not
 * valid JSON (each reported on stderr by line number, nothing emitted for it). */
int sl_cmd_redact(int argc, char **argv);

#endif
