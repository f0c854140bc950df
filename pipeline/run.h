/* run.h: `sluice run`: the whole pipeline on one libuv loop (see DESIGN.md, "The flow of one job").
 * Returns the process exit status: 0 every job has a result; 3 some jobs are in errors or rejects;
 * 4 interrupted (resumable); 2 usage or configuration error; 1 internal failure. */
#ifndef SL_RUN_H
#define SL_RUN_H

#include "config.h"

int sl_run(struct sl_config *cfg);

#endif
