/* cmd_bench.h: `sluice bench`, quota utilisation measured against the bundled mock API (or any
 * endpoint). Starts sluice-mockapi with a fresh self-signed certificate and the given quota, runs
 * `sluice run` as a child process on generated jobs, and reports how much of the quota was used,
 * 429s, retries, latency and wall time against the ideal (see docs in bench/README-quota.md).
 */
#ifndef SL_CMD_BENCH_H
#define SL_CMD_BENCH_H

/* argv[0] = "bench", then the options (`sluice bench --help`). Returns the exit status: 0 done,
 * 2 usage, 1 failure (mock or sluice could not run, or sluice exited with status 1 or 2). */
int sl_cmd_bench(int argc, char **argv);

#endif
