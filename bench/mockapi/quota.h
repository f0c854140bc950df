/* quota.h: the mock's provider-like quota: per-minute RPM/TPM limits metered with two continuously
 * refilled buckets per dimension (a "minute" bucket of capacity = limit and a "slice" bucket of
 * capacity = limit * window_ms / 60000, both refilled at limit per scaled minute).
 *
 * Pure: no clock, no I/O; the caller passes now_ms (real monotonic milliseconds). Owned by the
 * server, used only on the loop thread. All durations it returns are real wall-clock ms, i.e.
 * already divided by the time scale.
 */
#ifndef MOCK_QUOTA_H
#define MOCK_QUOTA_H

#include <stddef.h>
#include <stdint.h>

struct mock_bucket {
    double level;
    double cap;
    double rate; /* units per real ms */
};

struct mock_quota {
    uint64_t rpm; /* 0 = unlimited */
    uint64_t tpm; /* 0 = unlimited */
    struct mock_bucket req_min, req_slice, tok_min, tok_slice;
    uint64_t last_ms;
};

enum {
    MOCK_QUOTA_OK = 0,
    MOCK_QUOTA_REQUESTS = 1,  /* refused: requests per minute */
    MOCK_QUOTA_TOKENS = 2,    /* refused: tokens per minute */
    MOCK_QUOTA_TOO_LARGE = 3, /* refused for good: charge over the whole TPM */
};

struct mock_quota_verdict {
    int result;         /* MOCK_QUOTA_* */
    double wait_ms;     /* real ms until the request could pass (refusals but TOO_LARGE) */
    uint64_t limit;     /* limit of the refusing dimension */
    uint64_t used;      /* what the minute bucket of that dimension says is used */
    uint64_t requested; /* 1 or the token charge */
};

struct mock_quota_view {
    uint64_t remaining_requests, remaining_tokens;
    double reset_requests_ms, reset_tokens_ms; /* real ms until the minute bucket is full */
};

/* window_ms: the sub-minute slice in (scaled) ms, > 0; time_scale > 0 (10 = 6 s minutes). */
void mock_quota_init(struct mock_quota *q, uint64_t rpm, uint64_t tpm, uint64_t window_ms,
                     double time_scale, uint64_t now_ms);

/* Try to charge one request of `tokens`; charges nothing unless the result is MOCK_QUOTA_OK. */
int mock_quota_take(struct mock_quota *q, uint64_t now_ms, uint64_t tokens,
                    struct mock_quota_verdict *v);

/* What x-ratelimit-remaining-* and x-ratelimit-reset-* should say now. */
void mock_quota_view(struct mock_quota *q, uint64_t now_ms, struct mock_quota_view *out);

/* Format ms as a Go time.Duration string rounded to the ms ("0s", "20ms", "1.5s", "6m0s",
 * "1h2m3s"). Returns the length written; cap >= 32 always suffices. */
size_t mock_duration_format(char *dst, size_t cap, double ms);

#endif
