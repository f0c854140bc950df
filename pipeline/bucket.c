/* bucket.c: the global rate limiter (RPM + TPM), pure arithmetic on the loop thread.
 *
 * Owns nothing but the struct the caller gives it; no clock, no I/O, no locks. Called per request
 * (take, settle) and per response (sync, pause), so every call is O(1) floating-point work.
 *
 * Model. Two token buckets (requests, tokens), refilled continuously at limit/60000 per ms and
 * holding at most capacity = limit * burst_ms / 60000 (burst 1000 ms by default). Providers
 * enforce a minute's quota over ~1 s slices, continuously refilled; a bucket whose capacity is
 * one slice and whose rate is the slice's rate can never send more in any window [a, b] than
 * capacity + rate * (b - a), which is exactly what such a slice admits. Unless cfg.exact, the
 * rate is 99% of the limit and the capacity 90% of burst_ms: the first percent absorbs rounding
 * and clock skew, the 10% absorbs up to ~100 ms of uplink jitter (requests sent apart arriving
 * bunched: anything sent in [a, b] may arrive within a window J shorter). In test_bucket's
 * simulation this gives zero 429s up to ~200 ms of uplink jitter at 99% of the binding limit.
 * Doubles hold limits up to 1e9/min (capacity 1.7e7) with ~1e-16 relative error per operation,
 * so a long run drifts by far less than one token.
 *
 * Start full. Both the server's slice and its minute bucket start full for a new key, and our
 * capacity is at most one slice, so the first burst is admitted. Starting empty would only waste
 * the first second. (A larger burst_ms is the user's claim that the server allows it.)
 *
 * Debt. A cost larger than the capacity (one huge prompt) could never fit: it is admitted once
 * the bucket is full, the level goes negative, and the following jobs wait until it is repaid.
 * A 1-request cost at a tiny RPM (capacity < 1 request) works the same way. A server with the
 * same rule needs its slice *full* for such a request; ours being full says the server's is
 * only if nothing sent earlier is still on its way, so unless cfg.exact the job also waits until
 * the bucket has been full for SL_BUCKET_OVERSIZE_SETTLE_MS (the simulation drew a 429 without
 * it). On a 30k TPM key (slice 500 tokens) most jobs are oversize: this costs ~2% there.
 *
 * Settle. OpenAI-style servers count the estimate (prompt + max_tokens) when a request is
 * admitted and do not give back what the completion did not use. Refunding the unused part would
 * raise our apparent throughput but overdraw the server's slices, which no header reveals
 * (x-ratelimit-remaining-* describe the minute bucket only): 429s. So by default settle only
 * charges usage *above* the reservation (the estimate was low; the server saw at least that);
 * cfg.refund_unused gives the rest back, for servers known to meter real usage, where it buys
 * the ratio used/estimated in utilisation. (Simulated against a server that counts estimates,
 * refunding drew 362 429s in 5,362 requests; not refunding, none.) Either way the server's remaining count (sync) bounds
 * the level, so drift cannot accumulate past the minute bucket.
 *
 * Sync. The limit in force per dimension is min(configured, advertised) when both exist, else
 * whichever exists, else unlimited. With a dimension neither configured nor yet advertised, only
 * one probe request flies at a time until the first response: a key whose quota is unknown must
 * not be hit with a burst. The first response advertising a limit ends the probe (as do three
 * without: a proxy's 502 says nothing about the quota, a server that never advertises is taken at
 * its word, and its 429s still pause us). A dimension that becomes limited starts from capacity
 * minus what is in flight (the server already counted those); one never advertised is unlimited. Remaining: the server's minute bucket holds R tokens now; everything we may still
 * send is bounded by R minus what we have in flight (some of which the server has not counted
 * yet; counting all of it, this response included, errs on the safe side), so the level becomes
 * min(level, R - in_flight), never higher than our own accounting. R is NOT scaled to our
 * capacity: a minute bucket at half (30 s of quota) still allows a full 1 s burst; R only binds
 * when the minute bucket is nearly drained, e.g. by another client on the same key. Without R,
 * x-ratelimit-reset-* (time to full) gives R = limit - reset * limit / 60000. -1, missing or
 * garbage values were already dropped by the parser; a limit of 0 is ignored.
 *
 * Warm-up. Requests taken before the first response wait in TCP/TLS handshakes, then reach the
 * server bunched together with what was sent later; a refill during that time would let the
 * server see the first burst plus the refill within one slice (the mock drew a 429 at 313 ms of
 * a TPM-bound run this way). So the levels do not refill from the first take until the first
 * response (or SL_BUCKET_WARMUP_MAX_MS): the first burst costs one handshake of refill time.
 *
 * Pause. A 429 pauses all sending until now + wait; a pause is never shortened. The levels drop
 * to min(level, 0) and do not refill while paused, so when the pause ends the buckets refill from
 * zero instead of releasing a full burst into a server that just said it was empty.
 */
#include "bucket.h"

#include <assert.h>
#include <math.h>

#include "ratelimit.h"

#define MS_PER_MIN 60000.0
#define MAX_WAIT_MS 3.6e9 /* 1000 h: any debt repaid later than this is a config error anyway */

static double rate_of(const struct sl_bucket *b, double limit)
{
    if (limit <= 0)
        return 0;
    return limit * (b->cfg.exact ? 1.0 : SL_BUCKET_RATE_FACTOR) / MS_PER_MIN;
}

static double cap_of(const struct sl_bucket *b, double limit)
{
    return rate_of(b, limit) * (double)b->cfg.burst_ms *
           (b->cfg.exact ? 1.0 : SL_BUCKET_BURST_FACTOR);
}

double sl_bucket_req_capacity(const struct sl_bucket *b)
{
    return cap_of(b, b->rpm_eff);
}

double sl_bucket_tok_capacity(const struct sl_bucket *b)
{
    return cap_of(b, b->tpm_eff);
}

/* Clip a level to its capacity after something other than time raised or capped it. */
static void clip(double *level, uint64_t *full_ms, double cap, uint64_t now_ms)
{
    if (*level >= cap) {
        *level = cap;
        *full_ms = now_ms;
    }
}

static double combine(uint64_t configured, double learned)
{
    double c = (double)configured;

    if (configured && learned > 0)
        return c < learned ? c : learned;
    return configured ? c : learned;
}

static bool probing(const struct sl_bucket *b)
{
    return !b->synced && (b->cfg.rpm == 0 || b->cfg.tpm == 0);
}

/* Move a dimension to a new limit. A dimension that becomes limited starts full minus what is in
 * flight; one whose limit changes keeps its level (never raised), clipped to the new capacity. */
static void relimit(struct sl_bucket *b, double *eff, double *level, uint64_t *full_ms,
                    double limit, double inflight, uint64_t now_ms)
{
    double cap = cap_of(b, limit);

    if (limit <= 0)
        *level = 0;
    else if (*eff <= 0)
        *level = cap - inflight;
    *eff = limit;
    if (limit > 0)
        clip(level, full_ms, cap, now_ms);
}

static void set_limits(struct sl_bucket *b, uint64_t now_ms)
{
    relimit(b, &b->rpm_eff, &b->req_level, &b->req_full_ms, combine(b->cfg.rpm, b->learned_rpm),
            (double)b->inflight_req, now_ms);
    relimit(b, &b->tpm_eff, &b->tok_level, &b->tok_full_ms, combine(b->cfg.tpm, b->learned_tpm),
            (double)b->reserved_tokens, now_ms);
}

static void refill_dim(const struct sl_bucket *b, double *level, uint64_t *full_ms, double limit,
                       uint64_t from, uint64_t now_ms)
{
    double cap = cap_of(b, limit), rate = rate_of(b, limit), to_full;

    if (limit <= 0 || *level >= cap)
        return;
    to_full = ceil((cap - *level) / rate);
    if (to_full <= (double)(now_ms - from)) {
        *level = cap;
        *full_ms = from + (uint64_t)to_full;
    } else {
        *level += rate * (double)(now_ms - from);
        if (*level >= cap) { /* rounding at the boundary */
            *level = cap;
            *full_ms = now_ms;
        }
    }
}

/* Bring the levels to now. Time before paused_until_ms does not refill; a clock that goes back is
 * ignored (the next call measures from the latest time seen). */
static void refill(struct sl_bucket *b, uint64_t now_ms)
{
    uint64_t from = b->last_ms;

    if (now_ms <= b->last_ms)
        return;
    if (b->took && !b->answered) { /* warm-up: no refill (see Warm-up above) */
        uint64_t end = b->first_take_ms + SL_BUCKET_WARMUP_MAX_MS;

        if (now_ms < end) {
            b->last_ms = now_ms;
            return;
        }
        if (from < end)
            from = end;
    }
    if (b->paused_until_ms > from)
        from = b->paused_until_ms < now_ms ? b->paused_until_ms : now_ms;
    if (now_ms > from) {
        refill_dim(b, &b->req_level, &b->req_full_ms, b->rpm_eff, from, now_ms);
        refill_dim(b, &b->tok_level, &b->tok_full_ms, b->tpm_eff, from, now_ms);
    }
    b->last_ms = now_ms;
}

void sl_bucket_init(struct sl_bucket *b, const struct sl_bucket_cfg *cfg, uint64_t now_ms)
{
    *b = (struct sl_bucket){0};
    if (cfg)
        b->cfg = *cfg;
    if (b->cfg.burst_ms == 0)
        b->cfg.burst_ms = SL_BUCKET_DEFAULT_BURST_MS;
    b->last_ms = now_ms;
    set_limits(b, now_ms); /* unlimited -> limited: starts full (nothing in flight) */
}

/* ms until `level` can pay `cost`, 0 if it can now. A cost above the capacity needs the bucket
 * full, and full for the settle time (see Debt above). */
static uint64_t wait_for(const struct sl_bucket *b, double level, uint64_t full_ms, double cost,
                         double limit, uint64_t now_ms)
{
    double cap = cap_of(b, limit), deficit, w;
    uint64_t settle = b->cfg.exact ? 0 : SL_BUCKET_OVERSIZE_SETTLE_MS;

    if (limit <= 0)
        return 0;
    if (cost <= cap) {
        deficit = cost - level;
        if (deficit <= 1e-9 * (cost > 1 ? cost : 1))
            return 0;
        w = ceil(deficit / rate_of(b, limit));
    } else if (level >= cap) {
        return full_ms + settle > now_ms ? full_ms + settle - now_ms : 0;
    } else {
        w = ceil((cap - level) / rate_of(b, limit)) + (double)settle;
    }
    if (!(w < MAX_WAIT_MS))
        w = MAX_WAIT_MS;
    return w < 1 ? 1 : (uint64_t)w;
}

void sl_bucket_take(struct sl_bucket *b, uint64_t now_ms, uint64_t tokens, uint64_t *wait_ms)
{
    uint64_t wr, wt;

    refill(b, now_ms);
    if (now_ms < b->paused_until_ms) {
        *wait_ms = b->paused_until_ms - now_ms;
        return;
    }
    if (probing(b) && b->inflight_req > 0) {
        *wait_ms = SL_BUCKET_PROBE_WAIT_MS;
        return;
    }
    wr = wait_for(b, b->req_level, b->req_full_ms, 1, b->rpm_eff, now_ms);
    wt = wait_for(b, b->tok_level, b->tok_full_ms, (double)tokens, b->tpm_eff, now_ms);
    *wait_ms = wr > wt ? wr : wt;
    if (*wait_ms)
        return;
    if (b->rpm_eff > 0)
        b->req_level -= 1;
    if (b->tpm_eff > 0)
        b->tok_level -= (double)tokens;
    if (!b->took) {
        b->took = true;
        b->first_take_ms = now_ms;
    }
    b->inflight_req++;
    b->reserved_tokens = tokens > UINT64_MAX - b->reserved_tokens ? UINT64_MAX
                                                                   : b->reserved_tokens + tokens;
}

static void unreserve(struct sl_bucket *b, uint64_t requests, uint64_t tokens)
{
    b->inflight_req -= requests < b->inflight_req ? requests : b->inflight_req;
    b->reserved_tokens -= tokens < b->reserved_tokens ? tokens : b->reserved_tokens;
}

static void give_back(const struct sl_bucket *b, double *level, uint64_t *full_ms, double limit,
                      double amount, uint64_t now_ms)
{
    if (limit <= 0)
        return;
    *level += amount;
    clip(level, full_ms, cap_of(b, limit), now_ms);
}

void sl_bucket_settle(struct sl_bucket *b, uint64_t now_ms, uint64_t reserved, uint64_t used)
{
    refill(b, now_ms);
    b->answered = true;
    unreserve(b, 1, reserved);
    if (b->tpm_eff <= 0)
        return;
    if (used > reserved)
        b->tok_level -= (double)(used - reserved);
    else if (b->cfg.refund_unused)
        give_back(b, &b->tok_level, &b->tok_full_ms, b->tpm_eff, (double)(reserved - used),
                  now_ms);
}

void sl_bucket_refund(struct sl_bucket *b, uint64_t now_ms, uint64_t requests, uint64_t tokens)
{
    refill(b, now_ms);
    unreserve(b, requests, tokens);
    give_back(b, &b->req_level, &b->req_full_ms, b->rpm_eff, (double)requests, now_ms);
    give_back(b, &b->tok_level, &b->tok_full_ms, b->tpm_eff, (double)tokens, now_ms);
}

void sl_bucket_pause(struct sl_bucket *b, uint64_t now_ms, uint64_t ms)
{
    uint64_t until = ms > UINT64_MAX - now_ms ? UINT64_MAX : now_ms + ms;

    refill(b, now_ms);
    if (until > b->paused_until_ms)
        b->paused_until_ms = until;
    if (b->req_level > 0)
        b->req_level = 0;
    if (b->tok_level > 0)
        b->tok_level = 0;
}

/* The server's minute bucket holds `rem` (or, from its reset time, limit - reset * rate); our
 * level may not exceed that minus what is in flight. */
static void bound_by_server(const struct sl_bucket *b, double *level, double eff, bool has_rem,
                            uint64_t rem, bool has_reset, uint64_t reset_ms, bool has_limit,
                            uint64_t limit, double inflight)
{
    double server, bound, cap = cap_of(b, eff);

    if (eff <= 0)
        return;
    if (has_rem) {
        server = (double)rem;
    } else if (has_reset && has_limit && limit > 0) {
        server = (double)limit - (double)reset_ms * (double)limit / MS_PER_MIN;
        if (server < 0)
            server = 0;
    } else {
        return;
    }
    bound = server - inflight;
    if (bound < -cap)
        bound = -cap;
    if (*level > bound)
        *level = bound;
}

void sl_bucket_sync(struct sl_bucket *b, uint64_t now_ms, const struct sl_ratelimit_view *v)
{
    refill(b, now_ms);
    b->answered = true;
    if (!v || (v->has_limit_req && v->limit_req > 0) || (v->has_limit_tok && v->limit_tok > 0) ||
        ++b->probe_misses >= SL_BUCKET_PROBE_RESPONSES)
        b->synced = true;
    if (v && v->has_limit_req && v->limit_req > 0)
        b->learned_rpm = (double)v->limit_req;
    if (v && v->has_limit_tok && v->limit_tok > 0)
        b->learned_tpm = (double)v->limit_tok;
    set_limits(b, now_ms);
    if (!v)
        return;
    bound_by_server(b, &b->req_level, b->rpm_eff, v->has_rem_req, v->rem_req, v->has_reset_req,
                    v->reset_req_ms, v->has_limit_req, v->limit_req, (double)b->inflight_req);
    bound_by_server(b, &b->tok_level, b->tpm_eff, v->has_rem_tok, v->rem_tok, v->has_reset_tok,
                    v->reset_tok_ms, v->has_limit_tok, v->limit_tok, (double)b->reserved_tokens);
    assert(b->req_level <= cap_of(b, b->rpm_eff) + 1e-6);
}
