/* series.h: the run's time series, one sample per second, for reports (sluice report) and
 * benchmarks. The loop thread fills a sample from its counters once a second and hands it over;
 * the file (DIR/series.bin or similar, compact, append-only, each record checksummed so a torn tail
 * after a crash is dropped) is written without blocking the loop (buffered, flushed with the
 * sample; a few hundred bytes a second). Also a latency histogram used for percentiles.
 */
#ifndef SL_SERIES_H
#define SL_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Log-linear latency histogram: 1 ms resolution to 16 ms, then 16 sub-buckets per power of two,
 * up to ~10 min. Relative error of a percentile <= 6.25%. */
#define SL_LAT_BUCKETS 256
struct sl_lat_hist {
    uint64_t n[SL_LAT_BUCKETS];
    uint64_t count;
    uint64_t max_ms;
};
void sl_lat_hist_add(struct sl_lat_hist *h, uint32_t ms);
void sl_lat_hist_merge(struct sl_lat_hist *dst, const struct sl_lat_hist *src);
/* q in [0,1]: the upper bound (ms) of the bucket holding that quantile; 0 if empty. */
uint64_t sl_lat_hist_quantile(const struct sl_lat_hist *h, double q);
void sl_lat_hist_clear(struct sl_lat_hist *h);

struct sl_series_sample {
    uint64_t t_ms;             /* ms since the run started */
    uint64_t unix_ms;          /* wall clock */
    /* deltas over this second */
    uint32_t requests, results, errors, rejects, http_429, http_5xx, net_errors, retries;
    uint64_t prompt_tokens, completion_tokens;
    /* state at the end of the second */
    uint32_t inflight, ready;
    double rpm_limit, tpm_limit; /* limits in force, 0 = unlimited/unknown */
    uint64_t p50_ms, p90_ms, p99_ms, max_ms; /* latency of responses in this second */
};

struct sl_series;

SL_MUST_CHECK int sl_series_open(const char *dir, bool resume, struct sl_series **out);
SL_MUST_CHECK int sl_series_append(struct sl_series *s, const struct sl_series_sample *x);
void sl_series_close(struct sl_series *s);
/* Read every valid sample of DIR's series (for the report); *out malloc'd. */
SL_MUST_CHECK int sl_series_load(const char *dir, struct sl_series_sample **out, size_t *n);

#endif
