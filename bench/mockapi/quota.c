/* quota.c: two-bucket-per-dimension quota, as providers meter per-minute limits over short slices.
 *
 * Why two buckets: a single minute bucket would let a client burst the whole minute's quota at
 * once, which real providers refuse; a single slice bucket would never show the minute's
 * remaining budget in the headers. A request passes only if all four buckets can pay it.
 *
 * The slice bucket of a dimension may have a capacity under one unit of the request (e.g. 30 RPM
 * over 1 s slices = 0.5). It then pays when full and goes into debt, so the long-run rate is
 * still the limit. Pure, loop thread.
 */
#include "quota.h"

#include <math.h>
#include <stdio.h>

static void bucket_init(struct mock_bucket *b, double cap, double rate)
{
    b->cap = cap;
    b->level = cap;
    b->rate = rate;
}

static void bucket_refill(struct mock_bucket *b, double dt_ms)
{
    b->level += dt_ms * b->rate;
    if (b->level > b->cap)
        b->level = b->cap;
}

/* What the bucket must hold to pay `n`: all of it, or for a slice smaller than n, being full. */
static double bucket_need(const struct mock_bucket *b, double n)
{
    return n < b->cap ? n : b->cap;
}

static double bucket_wait(const struct mock_bucket *b, double n)
{
    double need = bucket_need(b, n);

    if (b->level >= need)
        return 0;
    return (need - b->level) / b->rate;
}

void mock_quota_init(struct mock_quota *q, uint64_t rpm, uint64_t tpm, uint64_t window_ms,
                     double time_scale, uint64_t now_ms)
{
    double minute_ms = 60000.0 / time_scale;
    double slice = (double)window_ms / 60000.0;

    q->rpm = rpm;
    q->tpm = tpm;
    q->last_ms = now_ms;
    bucket_init(&q->req_min, (double)rpm, (double)rpm / minute_ms);
    bucket_init(&q->req_slice, (double)rpm * slice, (double)rpm / minute_ms);
    bucket_init(&q->tok_min, (double)tpm, (double)tpm / minute_ms);
    bucket_init(&q->tok_slice, (double)tpm * slice, (double)tpm / minute_ms);
}

static void refill(struct mock_quota *q, uint64_t now_ms)
{
    double dt;

    if (now_ms <= q->last_ms)
        return;
    dt = (double)(now_ms - q->last_ms);
    q->last_ms = now_ms;
    bucket_refill(&q->req_min, dt);
    bucket_refill(&q->req_slice, dt);
    bucket_refill(&q->tok_min, dt);
    bucket_refill(&q->tok_slice, dt);
}

static uint64_t used_of(const struct mock_bucket *b)
{
    double used = b->cap - (b->level > 0 ? b->level : 0);

    return used > 0 ? (uint64_t)llround(used) : 0;
}

static double max2(double a, double b)
{
    return a > b ? a : b;
}

int mock_quota_take(struct mock_quota *q, uint64_t now_ms, uint64_t tokens,
                    struct mock_quota_verdict *v)
{
    double wr = 0, wt = 0;

    refill(q, now_ms);
    v->result = MOCK_QUOTA_OK;
    v->wait_ms = 0;
    v->limit = 0;
    v->used = 0;
    v->requested = 0;
    if (q->tpm && tokens > q->tpm) {
        v->result = MOCK_QUOTA_TOO_LARGE;
        v->limit = q->tpm;
        v->requested = tokens;
        return v->result;
    }
    if (q->rpm)
        wr = max2(bucket_wait(&q->req_min, 1), bucket_wait(&q->req_slice, 1));
    if (q->tpm)
        wt = max2(bucket_wait(&q->tok_min, (double)tokens),
                  bucket_wait(&q->tok_slice, (double)tokens));
    if (wr > 0 || wt > 0) {
        /* Name the dimension that must wait longest, as the error reports one of them. */
        int by_req = wr >= wt;
        v->result = by_req ? MOCK_QUOTA_REQUESTS : MOCK_QUOTA_TOKENS;
        v->wait_ms = max2(wr, wt);
        v->limit = by_req ? q->rpm : q->tpm;
        v->used = used_of(by_req ? &q->req_min : &q->tok_min);
        v->requested = by_req ? 1 : tokens;
        return v->result;
    }
    if (q->rpm) {
        q->req_min.level -= 1;
        q->req_slice.level -= 1;
    }
    if (q->tpm) {
        q->tok_min.level -= (double)tokens;
        q->tok_slice.level -= (double)tokens;
    }
    return MOCK_QUOTA_OK;
}

static double reset_of(const struct mock_bucket *b)
{
    if (b->rate <= 0 || b->level >= b->cap)
        return 0;
    return (b->cap - b->level) / b->rate;
}

void mock_quota_view(struct mock_quota *q, uint64_t now_ms, struct mock_quota_view *out)
{
    refill(q, now_ms);
    out->remaining_requests = q->req_min.level > 0 ? (uint64_t)floor(q->req_min.level) : 0;
    out->remaining_tokens = q->tok_min.level > 0 ? (uint64_t)floor(q->tok_min.level) : 0;
    out->reset_requests_ms = reset_of(&q->req_min);
    out->reset_tokens_ms = reset_of(&q->tok_min);
}

size_t mock_duration_format(char *dst, size_t cap, double ms)
{
    uint64_t d = ms > 0 ? (uint64_t)ceil(ms) : 0;
    uint64_t h = d / 3600000, m = d / 60000 % 60, s = d / 1000 % 60, frac = d % 1000;
    char fs[8] = "";
    int n = 0, k;

    if (d == 0)
        return (size_t)snprintf(dst, cap, "0s");
    if (d < 1000)
        return (size_t)snprintf(dst, cap, "%llums", (unsigned long long)d);
    if (frac) {
        snprintf(fs, sizeof(fs), ".%03u", (unsigned)frac);
        for (k = 3; fs[k] == '0'; k--)
            fs[k] = '\0';
    }
    if (h)
        n = snprintf(dst, cap, "%lluh%llum%llu%ss", (unsigned long long)h, (unsigned long long)m,
                     (unsigned long long)s, fs);
    else if (m)
        n = snprintf(dst, cap, "%llum%llu%ss", (unsigned long long)m, (unsigned long long)s, fs);
    else
        n = snprintf(dst, cap, "%llu%ss", (unsigned long long)s, fs);
    return n > 0 ? (size_t)n : 0;
}
