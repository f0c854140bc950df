/* metrics.h: DIR/metrics.prom for node_exporter's textfile collector (Prometheus text exposition
 * format 0.0.4). sl_metrics_format is pure (numbers in, text out, any thread);
 * sl_metrics_write writes the text to DIR/metrics.prom atomically (a temporary file, fsync,
 * rename), so the collector never reads a half-written file. The run writes it every 10 s from
 * the thread pool and once at the end from the main thread.
 */
#ifndef SL_METRICS_H
#define SL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define SL_METRICS_MAX_BUCKETS 32

struct sl_metrics {
    uint64_t jobs_result, jobs_error, jobs_reject; /* committed, this run and earlier ones */
    uint64_t prompt_tokens, completion_tokens;
    bool spend_known;                               /* false: no price table, spend not written */
    double spend_usd;
    uint64_t http_429, retries, requests;
    /* Latency histogram: n_buckets finite bounds (seconds, ascending) and the count of requests
     * in each bucket (not cumulative; counts[n_buckets] is the overflow above the last bound). */
    size_t n_buckets;
    double le[SL_METRICS_MAX_BUCKETS];
    uint64_t counts[SL_METRICS_MAX_BUCKETS + 1];
    double latency_sum_s;
    double last_success_unix; /* 0: no success yet (the series is left out) */
    int exit_status;          /* -1 while running (the series is left out) */
};

/* Append the exposition text to out. Returns 0, SL_ECONFIG for a bad histogram (unsorted bounds,
 * too many buckets, non-finite numbers), or the buffer's error. */
SL_MUST_CHECK int sl_metrics_format(const struct sl_metrics *m, struct sl_buf *out);

/* Format and write DIR/metrics.prom through DIR/.metrics.prom.tmp and a rename. 0 or -errno. */
SL_MUST_CHECK int sl_metrics_write(const char *dir, const struct sl_metrics *m);

#endif
