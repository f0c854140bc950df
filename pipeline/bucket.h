/* bucket.h: the global rate limiter (requests/min and tokens/min), pure arithmetic.
 *
 * Two token buckets refilled continuously at limit/60000 per ms, each holding at most `burst_ms`
 * worth of quota (a second or two by default: providers enforce a minute's quota over sub-minute
 * slices, so bursting a whole minute draws 429s). A job reserves 1 request and its estimated tokens
 * before it is sent; sl_bucket_settle() corrects the token bucket with the real usage. The server's
 * view (x-ratelimit-* headers, 429 + Retry-After) pulls the buckets into line and can pause all
 * sending until a given time. Time is an argument (ms, monotonic): no clock, no I/O, no locks; the
 * loop thread owns it. A limit of 0 means unlimited.
 */
#ifndef SL_BUCKET_H
#define SL_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct sl_bucket_cfg {
    uint64_t rpm;      /* configured requests/min, 0 = none configured */
    uint64_t tpm;      /* configured tokens/min, 0 = none configured */
    uint64_t burst_ms; /* capacity of each bucket in ms of quota; 0 = default (1000) */
};

struct sl_ratelimit_view; /* ratelimit.h */

struct sl_bucket {
    struct sl_bucket_cfg cfg;
    double rpm_eff, tpm_eff;   /* limits in force: min(configured, learned); 0 = unlimited */
    double req_level, tok_level; /* current content */
    uint64_t last_ms;
    uint64_t paused_until_ms;
    uint64_t reserved_tokens;  /* tokens reserved by requests in flight */
};

void sl_bucket_init(struct sl_bucket *b, const struct sl_bucket_cfg *cfg, uint64_t now_ms);

/* Try to reserve 1 request and `tokens` tokens. Returns 0 and takes them, or returns 0 with
 * *wait_ms > 0 (nothing taken) saying how long until it could succeed. A cost larger than the
 * bucket's capacity is admitted once the bucket is full (it then goes negative), so large jobs are
 * never starved. */
void sl_bucket_take(struct sl_bucket *b, uint64_t now_ms, uint64_t tokens, uint64_t *wait_ms);

/* Correct a reservation of `reserved` tokens with the `used` tokens the response reported. */
void sl_bucket_settle(struct sl_bucket *b, uint64_t now_ms, uint64_t reserved, uint64_t used);

/* Give back a reservation that was never sent to the server (cancelled job). */
void sl_bucket_refund(struct sl_bucket *b, uint64_t now_ms, uint64_t requests, uint64_t tokens);

/* Stop all sending until now_ms + ms (a 429's advised wait). Never shortens an existing pause. */
void sl_bucket_pause(struct sl_bucket *b, uint64_t now_ms, uint64_t ms);

/* Apply what the server said in its rate-limit headers (see ratelimit.h). */
void sl_bucket_sync(struct sl_bucket *b, uint64_t now_ms, const struct sl_ratelimit_view *v);

#endif
