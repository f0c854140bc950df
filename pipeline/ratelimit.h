/* ratelimit.h: read what a provider says about its limits and errors. Pure parsing, any thread.
 *
 * Header lines are fed one by one as libcurl delivers them ("Name: value\r\n"). Fields that were
 * absent, unparsable or negative (servers send -1) stay unset (has_* false): never trust them blindly.
 */
#ifndef SL_RATELIMIT_H
#define SL_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct sl_ratelimit_view {
    bool has_limit_req, has_limit_tok, has_rem_req, has_rem_tok, has_reset_req, has_reset_tok;
    bool has_retry_after, should_retry_set, should_retry;
    uint64_t limit_req, limit_tok, rem_req, rem_tok;
    uint64_t reset_req_ms, reset_tok_ms; /* durations from x-ratelimit-reset-* */
    uint64_t retry_after_ms;             /* retry-after-ms, x-ms-retry-after-ms or Retry-After */
    char request_id[96];                 /* x-request-id, if any (printable ASCII only) */
    bool retry_after_from_ms;            /* added: set by a *-ms header, which Retry-After
                                          * (seconds or date) never overrides */
};

void sl_ratelimit_view_clear(struct sl_ratelimit_view *v);

/* Feed one header line. now_unix is the wall clock (seconds) for Retry-After HTTP dates. */
void sl_ratelimit_header(struct sl_ratelimit_view *v, const char *line, size_t len,
                         int64_t now_unix);

/* Go-style duration ("1s", "6m0s", "20ms", "1.5s", "1h2m3s", "250us", "0") to ms, rounded up.
 * Units ns, us, µs, ms, s, m, h; a bare number (no unit) is seconds. Negative, empty, garbage or
 * more than UINT64_MAX ns: SL_EPARSE. */
SL_MUST_CHECK int sl_ratelimit_parse_duration(const char *s, size_t len, uint64_t *ms);

enum sl_error_class {
    SL_ERRCLASS_RETRY,        /* retry after backoff (5xx, 408, 409, rate_limit_exceeded, ...) */
    SL_ERRCLASS_FATAL_JOB,    /* will never succeed: 400, 404, 413, request too large, ... */
    SL_ERRCLASS_FATAL_RUN,    /* no job can succeed: insufficient_quota, 401 invalid_api_key */
};

/* Classify a failed HTTP response by status and body (JSON error object or anything else).
 * code_out (may be NULL, size >= 64) receives the provider's error code or a synthesised one
 * ("http_503"); it never contains body text other than the provider's short code token. */
enum sl_error_class sl_ratelimit_classify(long status, const char *body, size_t len,
                                          const struct sl_ratelimit_view *v, char *code_out,
                                          size_t code_cap);

#endif
