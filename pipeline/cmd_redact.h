/* cmd_redact.h: `sluice redact`: JSONL on stdin -> JSONL on stdout with every string value
 * anonymized (object keys and all other JSON kept). Runs on the calling thread; streams one line at
 * a time (memory bounded by the longest line, capped at SL_REDACT_MAX_LINE).
 */
#ifndef SL_CMD_REDACT_H
#define SL_CMD_REDACT_H

#define SL_REDACT_MAX_LINE ((size_t)64 << 20)

/* argv[0] is "redact". Options: --mode redact|mask|hash|tokenize|off, --types LIST,
 * --hash-key-file FILE (required for hash; refused if group/other may read it), --stats,
 * --threads N. Returns the exit status: 0 ok, 1 internal error, 2 usage, 3 some lines were not
 * valid JSON (each reported on stderr by line number, nothing emitted for it). */
int sl_cmd_redact(int argc, char **argv);

#endif
