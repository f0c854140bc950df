/* backoff.c: retry delays. Pure arithmetic, any thread.
 *
 * Full jitter (uniform in [0, d], d = min(cap, base * 2^attempt)): of the usual schemes it spreads
 * the retries of many jobs that failed together best, and it needs no state; "decorrelated
 * jitter" needs the previous sleep, which every caller would have to carry. A retry that comes
 * early costs nothing against the quota: it goes back through the bucket like any job. The
 * official client's own scheme (d minus up to 25%) retries in lockstep when a burst fails.
 */
#include "backoff.h"

uint64_t sl_backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t cap_ms, uint64_t rnd)
{
    uint64_t d;

    if (base_ms == 0)
        base_ms = SL_BACKOFF_BASE_MS;
    if (cap_ms == 0)
        cap_ms = SL_BACKOFF_CAP_MS;
    if (attempt >= 64 || base_ms > (cap_ms >> attempt))
        d = cap_ms;
    else
        d = base_ms << attempt;
    if (d > cap_ms)
        d = cap_ms;
    return d == UINT64_MAX ? rnd : rnd % (d + 1);
}

uint64_t sl_retry_delay_ms(const struct sl_ratelimit_view *v, unsigned attempt, uint64_t rnd,
                           uint64_t max_wait_ms)
{
    if (max_wait_ms == 0)
        max_wait_ms = SL_BACKOFF_MAX_WAIT_MS;
    if (v && v->has_retry_after)
        return v->retry_after_ms < max_wait_ms ? v->retry_after_ms : max_wait_ms;
    return sl_backoff_ms(attempt, SL_BACKOFF_BASE_MS, SL_BACKOFF_CAP_MS, rnd);
}
