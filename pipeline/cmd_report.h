/* cmd_report.h: `sluice report DIR [-o FILE]`, the command around sl_report_build(). */
#ifndef SL_CMD_REPORT_H
#define SL_CMD_REPORT_H

/* argv[0] = "report". Writes FILE (default DIR/report.html) atomically (temporary file, rename).
 * Returns the exit status: 0 written, 2 usage, 1 failure (message on stderr). */
int sl_cmd_report(int argc, char **argv);

#endif
