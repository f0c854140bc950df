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
    bool refund_unused; /* settle gives back reserved-but-unused tokens (for servers that meter the
                         * real usage); default false: providers count the estimate at admission */
    bool exact;         /* no safety headroom (tests, or a quota known to be enforced exactly) */
};

#define SL_BUCKET_DEFAULT_BURST_MS 1000
/* Unless cfg.exact: refill at 99% of the limit and hold 90% of burst_ms, so that clock skew,
 * uplink jitter (up to ~100 ms at a 1 s burst) and rounding never overdraw the server's slices;
 * and send a cost larger than the capacity only once the bucket has been full this long, so that
 * the requests before it have reached the server and its slice is full too. */
#define SL_BUCKET_RATE_FACTOR 0.99
#define SL_BUCKET_BURST_FACTOR 0.90
#define SL_BUCKET_OVERSIZE_SETTLE_MS 100
/* With a dimension neither configured nor yet learned, only one probe request flies at a time;
 * take() asks to be retried after this many ms (or sooner, when the probe's response arrives). */
#define SL_BUCKET_PROBE_WAIT_MS 10
/* The probe ends with the first response carrying an x-ratelimit-limit-* header, or after this
 * many responses without one (a proxy's 502 page is not a statement about the quota). */
#define SL_BUCKET_PROBE_RESPONSES 3
/* Warm-up: the buckets do not refill between the first take and the first response (at most this
 * many ms): the first burst waits in TCP/TLS handshakes and reaches the server late and bunched
 * with whatever a refill would have added (measured: one 429 per run at 99% of the TPM). */
#define SL_BUCKET_WARMUP_MAX_MS 2000

struct sl_ratelimit_view; /* ratelimit.h */

struct sl_bucket {
    struct sl_bucket_cfg cfg;
    double rpm_eff, tpm_eff;   /* limits in force: min(configured, learned); 0 = unlimited */
    double req_level, tok_level; /* current content */
    uint64_t last_ms;
    uint64_t paused_until_ms;
    uint64_t reserved_tokens;  /* tokens reserved by requests in flight */
    /* Added to the given layout: */
    uint64_t inflight_req;       /* requests taken and not yet settled or refunded */
    double learned_rpm, learned_tpm; /* from x-ratelimit-limit-*; 0 = none seen */
    bool synced;                 /* the probe phase is over (see SL_BUCKET_PROBE_RESPONSES) */
    unsigned probe_misses;       /* responses seen in the probe phase without limit headers */
    uint64_t req_full_ms, tok_full_ms; /* when each level last reached its capacity */
    bool answered;               /* a response (sync or settle) has been seen */
    bool took;                   /* something has been taken */
    uint64_t first_take_ms;      /* when, if took */
};

void sl_bucket_init(struct sl_bucket *b, const struct sl_bucket_cfg *cfg, uint64_t now_ms);

/* Try to reserve 1 request and `tokens` tokens. Returns 0 and takes them, or returns 0 with
 * *wait_ms > 0 (nothing taken) saying how long until it could succeed. A cost larger than the
 * bucket's capacity is admitted once the bucket is full (it then goes negative), so large jobs are
 * never starved. */
void sl_bucket_take(struct sl_bucket *b, uint64_t now_ms, uint64_t tokens, uint64_t *wait_ms);

/* Correct a reservation of `reserved` tokens with the `used` tokens the response reported, and end
 * the request's in-flight accounting. Usage above the reservation is always charged (debt);
 * usage below it is given back only with cfg.refund_unused. A response without usage: used =
 * reserved. Call it for every response that reached the server, 429s included. */
void sl_bucket_settle(struct sl_bucket *b, uint64_t now_ms, uint64_t reserved, uint64_t used);

/* Give back a reservation that was never sent to the server (cancelled job). */
void sl_bucket_refund(struct sl_bucket *b, uint64_t now_ms, uint64_t requests, uint64_t tokens);

/* Stop all sending until now_ms + ms (a 429's advised wait). Never shortens an existing pause. */
void sl_bucket_pause(struct sl_bucket *b, uint64_t now_ms, uint64_t ms);

/* Apply what the server said in its rate-limit headers (see ratelimit.h). Call it before settling
 * the same response. v NULL says no headers will ever come (ends the probe phase at once). */
void sl_bucket_sync(struct sl_bucket *b, uint64_t now_ms, const struct sl_ratelimit_view *v);

/* Capacity of the request / token bucket in force (0 when that dimension is unlimited). */
double sl_bucket_req_capacity(const struct sl_bucket *b);
double sl_bucket_tok_capacity(const struct sl_bucket *b);

#endif
