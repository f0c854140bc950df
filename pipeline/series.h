/* series.h: the run's time series, one sample per second, for reports (sluice report) and
 * benchmarks, and the latency histogram used for percentiles.
 *
 * The loop thread fills a sample from its counters once a second and appends it. The file is
 * DIR/series.bin: an 8-byte header "SLSERIE1", then records
 *     u16 payload_len | u16 type | payload | u32 crc32 (IEEE, over len, type and payload)
 * all little-endian. Type 1 is a sample (the fields of struct sl_series_sample in order, each
 * u32/u64/f64 little-endian; a longer payload from a newer version is read, its tail ignored). A
 * record whose CRC fails, or a short tail, ends the readable series: a crash mid-write loses at
 * most that record. --resume appends after the last valid record (a torn tail is cut first).
 *
 * With a loop, appends go through uv_fs_write (libuv's thread pool) so the loop never touches the
 * disk; records produced while a write is in flight are buffered and written by the next one.
 * Cost: about 120 bytes a second, one thread-pool write a second, no fsync.
 */
#ifndef SL_SERIES_H
#define SL_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "err.h"

/* Log-linear latency histogram: 1 ms resolution below 16 ms, then 16 sub-buckets per power of two,
 * up to 2^19 ms (~8.7 min; longer values land in the last bucket). Relative error of a percentile
 * <= 6.25%. Not thread-safe: one owner. */
#define SL_LAT_BUCKETS 256
struct sl_lat_hist {
    uint64_t n[SL_LAT_BUCKETS];
    uint64_t count;
    uint64_t max_ms;
};
void sl_lat_hist_add(struct sl_lat_hist *h, uint32_t ms);
void sl_lat_hist_merge(struct sl_lat_hist *dst, const struct sl_lat_hist *src);
/* q in [0,1]: the upper bound (ms, inclusive) of the bucket holding that quantile, never above
 * max_ms; 0 if empty. */
uint64_t sl_lat_hist_quantile(const struct sl_lat_hist *h, double q);
void sl_lat_hist_clear(struct sl_lat_hist *h);
/* Bucket i holds the latencies lo..hi ms (inclusive). */
void sl_lat_hist_bounds(int i, uint64_t *lo, uint64_t *hi);

struct sl_series_sample {
    uint64_t t_ms;    /* ms since the run started (end of this sample's interval) */
    uint64_t unix_ms; /* wall clock at the end of the interval */
    /* deltas over the interval (normally 1 s; the last one may be shorter) */
    uint32_t requests, results, errors, rejects, http_429, http_5xx, net_errors, retries;
    uint64_t prompt_tokens, completion_tokens;
    /* state at the end of the interval */
    uint32_t inflight, ready;
    double rpm_limit, tpm_limit;             /* limits in force, 0 = unlimited/unknown */
    uint64_t p50_ms, p90_ms, p99_ms, max_ms; /* latency of responses in this interval, 0 = none */
};

/* Bytes of a type-1 payload as this version writes it. */
#define SL_SERIES_SAMPLE_BYTES 120

struct sl_series;

/* Open DIR/series.bin: truncate it, or with resume keep its valid records and append. loop NULL:
 * appends write synchronously (tests, tools). Loop thread (or any single thread). */
SL_MUST_CHECK int sl_series_open(const char *dir, bool resume, uv_loop_t *loop,
                                 struct sl_series **out);
/* Encode and write (or queue) one sample. Returns a write error seen since the last call. */
SL_MUST_CHECK int sl_series_append(struct sl_series *s, const struct sl_series_sample *x);
/* Write what is still buffered synchronously (call after the loop has stopped) and free. Returns
 * the first write error, 0 if all was written. close(NULL) returns 0. */
int sl_series_close(struct sl_series *s);
/* Read every valid sample of DIR/series.bin (for the report); *out malloc'd (NULL if none).
 * A missing file is -ENOENT; a torn or corrupt tail is dropped silently. */
SL_MUST_CHECK int sl_series_load(const char *dir, struct sl_series_sample **out, size_t *n);

/* Pure helpers, exposed for the tests: encode a record into rec (cap >= SL_SERIES_REC_MAX),
 * returning its size; parse records from a buffer, returning how many bytes were valid. */
#define SL_SERIES_REC_MAX (8 + SL_SERIES_SAMPLE_BYTES)
size_t sl_series_encode(const struct sl_series_sample *x, unsigned char *rec);
uint32_t sl_series_crc32(const void *p, size_t n);

#endif
