/* backoff.h: how long to wait before retrying a failed request. Pure (randomness is an argument),
 * any thread.
 */
#ifndef SL_BACKOFF_H
#define SL_BACKOFF_H

#include <stdint.h>

#include "ratelimit.h"

#define SL_BACKOFF_BASE_MS 500    /* the official OpenAI client: 0.5 s * 2^n ... */
#define SL_BACKOFF_CAP_MS 8000    /* ... up to 8 s */
#define SL_BACKOFF_MAX_WAIT_MS 60000 /* longest server-advised wait obeyed as is */

/* Exponential backoff with full jitter: uniform in [0, d] where d = min(cap, base * 2^attempt)
 * (attempt 0 is the first retry). rnd is any 64-bit random value. base_ms 0 / cap_ms 0 mean the
 * defaults above. Never overflows, whatever the attempt. */
uint64_t sl_backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t cap_ms, uint64_t rnd);

/* The wait before retry number `attempt`: the server's advice (retry-after-ms, then Retry-After,
 * already merged in the view) capped at max_wait_ms (0 = SL_BACKOFF_MAX_WAIT_MS); without advice
 * (or v NULL), sl_backoff_ms(attempt, default base, default cap, rnd). */
uint64_t sl_retry_delay_ms(const struct sl_ratelimit_view *v, unsigned attempt, uint64_t rnd,
                           uint64_t max_wait_ms);

#endif
