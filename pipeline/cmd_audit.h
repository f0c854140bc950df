/* cmd_audit.h: `sluice audit verify DIR...`, the command around sl_audit_verify_dirs(). */
#ifndef SL_CMD_AUDIT_H
#define SL_CMD_AUDIT_H

/* argv[0] = "audit", argv[1] = "verify", then the directories (the shards of one run). Prints each
 * problem on stderr as "DIR/FILE: record K: message" (K is 0-based, the n the record should have)
 * and a summary line on stdout. Returns the exit status: 0 verified, 5 verification failed,
 * 2 usage, 1 internal failure (out of memory). */
int sl_cmd_audit(int argc, char **argv);

#endif
