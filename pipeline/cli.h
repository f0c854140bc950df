/* cli.h: command-line parsing for `sluice run` (and the shared --config file). */
#ifndef SL_CLI_H
#define SL_CLI_H

#include "config.h"

/* Parse argv (argv[0] is the subcommand name). Returns 0, 1 when help was printed (exit 0), or
 * SL_ECONFIG after printing the problem to stderr (exit 2). Strings point into argv or into
 * memory that lives until exit. */
int sl_cli_parse_run(int argc, char **argv, struct sl_config *c);
void sl_cli_usage_run(void);

#endif
