/* qredis.c: the fleet's quota in Redis, taken in leases (see qredis.h). Loop thread only.
 *
 * Why leases and not one Redis call per request: at a few thousand requests per second a round
 * trip per request would cost more than the request's own scheduling, and Redis would become the
 * bottleneck of every process. Why the credit is checked after the local bucket, not fed into it as
 * its refill: the bucket already learns limits and pauses from the server's headers; keeping the
 * two independent means a process without Redis behaves exactly as before, and the credit is a
 * plain gate whose arithmetic (sl_qcredit_*) is pure and tested on its own.
 *
 * Burst bound: the fleet spends at most the Redis bucket's capacity plus the leases held at once,
 * so the capacity is 95% of --burst-ms of quota less N leases (sl_qcredit_capacity). A bucket
 * missing from Redis (first start, Redis restarted empty) starts empty, not full, so a restart
 * never grants a fresh burst on top of what was already spent.
 */
#include "qredis.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "log.h"

/* ---- pure lease arithmetic ---- */

void sl_qcredit_init(struct sl_qcredit *c, double rpm, double tpm)
{
    memset(c, 0, sizeof(*c));
    if (rpm > 0)
        c->lease_req = fmax(1.0, ceil(rpm / 60.0 * SL_QREDIS_LEASE_S));
    if (tpm > 0)
        c->lease_tok = fmax(1.0, ceil(tpm / 60.0 * SL_QREDIS_LEASE_S));
}

double sl_qcredit_capacity(double per_min, double lease, uint64_t burst_ms, unsigned processes)
{
    double cap;

    if (per_min <= 0)
        return 0;
    if (!burst_ms)
        burst_ms = 1000;
    cap = per_min / 60.0 * (double)burst_ms / 1000.0 * 0.95 - (double)processes * lease;
    return cap < lease ? lease : cap;
}

bool sl_qcredit_can(const struct sl_qcredit *c, uint64_t tokens)
{
    if (c->lease_req > 0 && c->req < 1.0)
        return false;
    if (c->lease_tok > 0 && c->tok < (double)tokens)
        return false;
    return true;
}

void sl_qcredit_spend(struct sl_qcredit *c, uint64_t tokens)
{
    if (c->lease_req > 0)
        c->req -= 1.0;
    if (c->lease_tok > 0)
        c->tok -= (double)tokens;
}

void sl_qcredit_refund(struct sl_qcredit *c, uint64_t requests, uint64_t tokens)
{
    if (c->lease_req > 0)
        c->req += (double)requests;
    if (c->lease_tok > 0)
        c->tok += (double)tokens;
}

bool sl_qcredit_want(const struct sl_qcredit *c, uint64_t tokens, double *ask_req, double *ask_tok)
{
    double target = fmax(c->lease_tok, (double)tokens);

    *ask_req = 0;
    *ask_tok = 0;
    if (c->lease_req > 0 && (c->req < c->lease_req / 2 || c->req < 1.0))
        *ask_req = ceil(c->lease_req - c->req);
    if (c->lease_tok > 0 && (c->tok < target / 2 || c->tok < (double)tokens))
        *ask_tok = ceil(target - c->tok);
    return *ask_req > 0 || *ask_tok > 0;
}

void sl_qcredit_accrue(struct sl_qcredit *c, double rpm, double tpm, double share, uint64_t dt_ms,
                       uint64_t tokens)
{
    double cap_tok = fmax(c->lease_tok, (double)tokens);

    if (c->lease_req > 0 && c->req < c->lease_req)
        c->req = fmin(c->lease_req, c->req + rpm / 60000.0 * share * (double)dt_ms);
    if (c->lease_tok > 0 && c->tok < cap_tok)
        c->tok = fmin(cap_tok, c->tok + tpm / 60000.0 * share * (double)dt_ms);
}

/* ---- the script ----
 * KEYS: bucket hash, pause key. ARGV: req rate/ms, req capacity, req ask, tok rate/ms, tok
 * capacity, tok ask, pause ms. Returns {granted req, granted tok, retry after ms, pause left ms}.
 * A dimension with rate 0 is unlimited. A lease is granted whole or in part once at least half of
 * it (at least 1 request) is there, otherwise nothing and the wait until then: so a starved process
 * calls back when there is something to take, not in a tight loop. */
static const char lease_lua[] =
    "redis.replicate_commands()\n"
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local pause = tonumber(ARGV[7])\n"
    "local untilv = tonumber(redis.call('GET', KEYS[2]) or '0') or 0\n"
    "if pause > 0 and now + pause > untilv then\n"
    "  untilv = now + pause\n"
    "  redis.call('SET', KEYS[2], untilv, 'PX', pause)\n"
    "end\n"
    "local b = redis.call('HMGET', KEYS[1], 'rq', 'tk', 'ts')\n"
    "local dt = 0\n"
    "if b[3] then dt = math.max(0, now - tonumber(b[3])) end\n"
    "local function lvl(cur, rate, cap)\n"
    "  if rate <= 0 then return 0 end\n"
    "  return math.min(cap, (tonumber(cur) or 0) + dt * rate)\n"
    "end\n"
    "local rr, rc, ar = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local tr, tc, at = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])\n"
    "local lr, lt = lvl(b[1], rr, rc), lvl(b[2], tr, tc)\n"
    "local gr, gt, wait = 0, 0, 0\n"
    "if now < untilv then\n"
    "  wait = untilv - now\n"
    "elseif ar > 0 or at > 0 then\n"
    "  local nr, nt, wr, wt = 0, 0, 0, 0\n"
    "  if rr > 0 and ar > 0 then nr = math.min(math.max(1, ar / 2), ar, math.max(1, rc)) end\n"
    "  if tr > 0 and at > 0 then nt = math.min(math.max(1, at / 2), at, math.max(1, tc)) end\n"
    "  if lr < nr then wr = (nr - lr) / rr end\n"
    "  if lt < nt then wt = (nt - lt) / tr end\n"
    "  wait = math.ceil(math.max(wr, wt))\n"
    "  if wait == 0 then\n"
    "    if rr > 0 then gr = math.floor(math.min(ar, lr)); lr = lr - gr else gr = ar end\n"
    "    if tr > 0 then gt = math.floor(math.min(at, lt)); lt = lt - gt else gt = at end\n"
    "  end\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'rq', tostring(lr), 'tk', tostring(lt), 'ts', tostring(now))\n"
    "redis.call('PEXPIRE', KEYS[1], 60000)\n"
    "local pl = 0\n"
    "if untilv > now then pl = untilv - now end\n"
    "return {gr, gt, wait, pl}\n";

/* ---- the client ---- */

struct sl_qredis {
    uv_loop_t *loop;
    struct sl_qredis_cfg cfg;
    char host[256];
    int port;
    char key_bucket[144], key_pause[144];
    char sha[48]; /* from SCRIPT LOAD; empty until then (EVAL meanwhile) */
    redisAsyncContext *ac;
    bool connected, down, closing, timer_closed, ever_connected;
    uv_timer_t reconnect;
    uint64_t backoff_ms, created_ms;

    struct sl_qcredit credit;
    double rate_req, rate_tok; /* per ms, headroom applied */
    double cap_req, cap_tok;
    double share;
    uint64_t need_tok; /* tokens of the job last asked for */
    bool pending;      /* a lease call is out */
    uint64_t pending_since, retry_at, paused_until, pause_pub_ms;
    double last_ask_req, last_ask_tok; /* of the call out, for a resend on NOSCRIPT */
    uint64_t last_pause;

    bool degraded;
    uint64_t degraded_since, degraded_total, last_accrue;
    struct sl_qredis_stats st;
};

static uint64_t mono_ms(void)
{
    return uv_hrtime() / 1000000;
}

int sl_qredis_parse_url(const char *url, char *host, size_t host_cap, int *port, char *prefix,
                        size_t prefix_cap)
{
    const char *p, *h_end, *slash;
    size_t n;
    long v = 6379;

    if (!url || strncmp(url, "redis://", 8))
        return SL_ECONFIG;
    p = url + 8;
    slash = strchr(p, '/');
    h_end = slash ? slash : p + strlen(p);
    {
        const char *colon = memchr(p, ':', (size_t)(h_end - p));

        if (colon) {
            char *end;

            errno = 0;
            v = strtol(colon + 1, &end, 10);
            if (errno || end != h_end || v < 1 || v > 65535)
                return SL_ECONFIG;
            h_end = colon;
        }
    }
    n = (size_t)(h_end - p);
    if (!n || n >= host_cap)
        return SL_ECONFIG;
    memcpy(host, p, n);
    host[n] = 0;
    *port = (int)v;
    p = slash && slash[1] ? slash + 1 : "sluice";
    n = strlen(p);
    if (n > 100 || n >= prefix_cap ||
        strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789_.:-") != n)
        return SL_ECONFIG;
    memcpy(prefix, p, n + 1);
    return 0;
}

static void share_text(const struct sl_qredis *q, char *out, size_t cap)
{
    if (q->cfg.share > 0)
        snprintf(out, cap, "%.3g", q->cfg.share);
    else
        snprintf(out, cap, "1/%u", q->cfg.processes);
}

static void set_degraded(struct sl_qredis *q, uint64_t now, bool on)
{
    char s[32];

    if (on == q->degraded || q->closing)
        return;
    q->degraded = on;
    if (on) {
        q->degraded_since = now;
        q->last_accrue = now;
        share_text(q, s, sizeof(s));
        sl_log(SL_LOG_WARN,
               "quota: Redis unreachable, running on a local share of %s until it is back", s);
    } else {
        q->degraded_total += now - q->degraded_since;
        sl_log(SL_LOG_INFO, "quota: Redis is back after %.1f s; sharing the quota again",
               (double)(now - q->degraded_since) / 1000.0);
    }
}

static bool is_degraded(const struct sl_qredis *q, uint64_t now)
{
    if (q->down)
        return true;
    if (!q->connected && now - q->created_ms > SL_QREDIS_STALL_MS)
        return true;
    return q->pending && now - q->pending_since > SL_QREDIS_STALL_MS;
}

static void do_connect(struct sl_qredis *q);
static void schedule_reconnect(struct sl_qredis *q);

static void on_reconnect_timer(uv_timer_t *t)
{
    struct sl_qredis *q = t->data;
    redisAsyncContext *ac = q->ac;

    if (q->closing)
        return;
    if (ac && !q->connected) {
        /* The connect never finished. hiredis 0.14's libuv adapter drops poll errors, so a
         * refused connect is never reported: give up on it here and try again later. */
        q->ac = NULL;
        redisAsyncFree(ac);
        schedule_reconnect(q);
        return;
    }
    if (ac && q->pending && mono_ms() - q->pending_since >= SL_QREDIS_STALL_MS) {
        /* A lease call without answer: Redis hangs, or the connection was reset and the adapter
         * (dropping poll errors) never told hiredis. Either way: a new connection. */
        q->ac = NULL;
        q->connected = false;
        q->pending = false;
        redisAsyncFree(ac); /* on_disconnect sees q->ac != ac and leaves the rest to us */
        schedule_reconnect(q);
        return;
    }
    if (!ac)
        do_connect(q);
}

static void schedule_reconnect(struct sl_qredis *q)
{
    if (q->closing)
        return;
    q->down = true;
    set_degraded(q, mono_ms(), true);
    uv_timer_start(&q->reconnect, on_reconnect_timer, q->backoff_ms, 0);
    q->backoff_ms *= 2;
    if (q->backoff_ms > SL_QREDIS_RECONNECT_MAX_MS)
        q->backoff_ms = SL_QREDIS_RECONNECT_MAX_MS;
}

static void kick(struct sl_qredis *q, uint64_t now);

static void on_lease(redisAsyncContext *ac, void *reply, void *privdata);

static int send_lease(struct sl_qredis *q, double ask_req, double ask_tok, uint64_t pause_ms,
                      bool by_sha)
{
    char a[7][40];
    const char *argv[12];
    int i;

    q->last_ask_req = ask_req;
    q->last_ask_tok = ask_tok;
    q->last_pause = pause_ms;

    snprintf(a[0], sizeof(a[0]), "%.9g", q->rate_req);
    snprintf(a[1], sizeof(a[1]), "%.9g", q->cap_req);
    snprintf(a[2], sizeof(a[2]), "%.0f", ask_req);
    snprintf(a[3], sizeof(a[3]), "%.9g", q->rate_tok);
    snprintf(a[4], sizeof(a[4]), "%.9g", q->cap_tok);
    snprintf(a[5], sizeof(a[5]), "%.0f", ask_tok);
    snprintf(a[6], sizeof(a[6]), "%" PRIu64, pause_ms);
    argv[0] = by_sha ? "EVALSHA" : "EVAL";
    argv[1] = by_sha ? q->sha : lease_lua;
    argv[2] = "2";
    argv[3] = q->key_bucket;
    argv[4] = q->key_pause;
    for (i = 0; i < 7; i++)
        argv[5 + i] = a[i];
    return redisAsyncCommandArgv(q->ac, on_lease, NULL, 12, argv, NULL);
}

static void lease_failed(struct sl_qredis *q, const char *why)
{
    uint64_t now = mono_ms();

    q->pending = false;
    q->retry_at = now + q->backoff_ms;
    if (!q->down)
        sl_log(SL_LOG_WARN, "quota: a lease call to Redis failed: %s", why);
    q->down = true;
    set_degraded(q, now, true);
}

static void on_lease(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct sl_qredis *q = ac->data;
    redisReply *r = reply;
    uint64_t now = mono_ms();

    (void)privdata;
    if (!q || q->closing)
        return;
    if (!r) {
        q->pending = false; /* the connection is gone; on_disconnect reconnects */
        return;
    }
    if (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "NOSCRIPT", 8)) {
        q->sha[0] = 0;
        /* Redis restarted between SCRIPT LOAD and this call: the same call again, by text. */
        if (send_lease(q, q->last_ask_req, q->last_ask_tok, q->last_pause, false) == REDIS_OK)
            return;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 4) {
        lease_failed(q, r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
        return;
    }
    q->pending = false;
    q->down = false;
    set_degraded(q, now, false);
    q->st.leases++;
    q->credit.req += (double)r->element[0]->integer;
    q->credit.tok += (double)r->element[1]->integer;
    q->retry_at = r->element[2]->integer > 0 ? now + (uint64_t)r->element[2]->integer : 0;
    if (r->element[3]->integer > 0 && now + (uint64_t)r->element[3]->integer > q->paused_until)
        q->paused_until = now + (uint64_t)r->element[3]->integer;
    if (q->cfg.on_credit)
        q->cfg.on_credit(q->cfg.ud);
}

static void on_script_load(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct sl_qredis *q = ac->data;
    redisReply *r = reply;

    (void)privdata;
    if (!q || q->closing || !r)
        return;
    if (r->type == REDIS_REPLY_STRING && r->len < sizeof(q->sha))
        snprintf(q->sha, sizeof(q->sha), "%s", r->str);
    else
        sl_log(SL_LOG_WARN, "quota: SCRIPT LOAD failed: %s",
               r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct sl_qredis *q = ac->data;

    if (!q || q->closing || q->ac != ac)
        return;
    if (status != REDIS_OK) {
        q->ac = NULL; /* hiredis frees it after this callback */
        schedule_reconnect(q);
        return;
    }
    uv_timer_stop(&q->reconnect);
    q->connected = true;
    q->down = false;
    q->backoff_ms = SL_QREDIS_RECONNECT_MIN_MS;
    if (q->ever_connected)
        q->st.reconnects++;
    q->ever_connected = true;
    q->sha[0] = 0;
    redisAsyncCommand(q->ac, on_script_load, NULL, "SCRIPT LOAD %s", lease_lua);
    kick(q, mono_ms());
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct sl_qredis *q = ac->data;

    (void)status;
    if (!q || q->ac != ac)
        return;
    q->ac = NULL;
    q->connected = false;
    q->pending = false;
    if (!q->closing)
        schedule_reconnect(q);
}

static void do_connect(struct sl_qredis *q)
{
    redisAsyncContext *ac = redisAsyncConnect(q->host, q->port);
    redisLibuvEvents *ev;

    if (!ac) {
        schedule_reconnect(q);
        return;
    }
    if (ac->err || redisLibuvAttach(ac, q->loop) != REDIS_OK) {
        redisAsyncFree(ac);
        schedule_reconnect(q);
        return;
    }
    /* The poll handle must never keep the run alive. */
    ev = ac->ev.data;
    uv_unref((uv_handle_t *)&ev->handle);
    ac->data = q;
    q->ac = ac;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    uv_update_time(q->loop); /* the loop's clock may be stale (before the first uv_run) */
    uv_timer_start(&q->reconnect, on_reconnect_timer, SL_QREDIS_CONNECT_TIMEOUT_MS, 0);
}

int sl_qredis_create(uv_loop_t *loop, const struct sl_qredis_cfg *cfg, struct sl_qredis **out)
{
    struct sl_qredis *q;
    char prefix[128];
    double factor;

    *out = NULL;
    if (!cfg->rpm && !cfg->tpm)
        return SL_ECONFIG;
    q = calloc(1, sizeof(*q));
    if (!q)
        return -ENOMEM;
    if (sl_qredis_parse_url(cfg->url, q->host, sizeof(q->host), &q->port, prefix, sizeof(prefix))) {
        free(q);
        return SL_ECONFIG;
    }
    q->loop = loop;
    q->cfg = *cfg;
    if (!q->cfg.processes)
        q->cfg.processes = 2;
    q->share = q->cfg.share > 0 ? q->cfg.share : 1.0 / q->cfg.processes;
    snprintf(q->key_bucket, sizeof(q->key_bucket), "%s:bucket", prefix);
    snprintf(q->key_pause, sizeof(q->key_pause), "%s:pause", prefix);
    factor = cfg->exact ? 1.0 : 0.99;
    sl_qcredit_init(&q->credit, (double)cfg->rpm, (double)cfg->tpm);
    q->rate_req = (double)cfg->rpm / 60000.0 * factor;
    q->rate_tok = (double)cfg->tpm / 60000.0 * factor;
    q->cap_req =
        sl_qcredit_capacity((double)cfg->rpm, q->credit.lease_req, cfg->burst_ms, q->cfg.processes);
    q->cap_tok =
        sl_qcredit_capacity((double)cfg->tpm, q->credit.lease_tok, cfg->burst_ms, q->cfg.processes);
    q->backoff_ms = SL_QREDIS_RECONNECT_MIN_MS;
    q->created_ms = mono_ms();
    uv_timer_init(loop, &q->reconnect);
    q->reconnect.data = q;
    uv_unref((uv_handle_t *)&q->reconnect);
    /* Connect from the loop, not now: the connect watchdog must not count the time the run still
     * spends setting up before uv_run. */
    uv_timer_start(&q->reconnect, on_reconnect_timer, 0, 0);
    *out = q;
    return 0;
}

static void kick(struct sl_qredis *q, uint64_t now)
{
    double ar, at;
    bool want;

    if (!q->connected || q->pending || q->closing)
        return;
    want = sl_qcredit_want(&q->credit, q->need_tok, &ar, &at);
    if (!q->pause_pub_ms && (!want || now < q->retry_at))
        return;
    if (now < q->retry_at)
        ar = at = 0; /* publish the pause only */
    if (send_lease(q, ar, at, q->pause_pub_ms, q->sha[0] != 0) != REDIS_OK)
        return;
    q->pause_pub_ms = 0;
    q->pending = true;
    q->pending_since = now;
    uv_update_time(q->loop);
    uv_timer_start(&q->reconnect, on_reconnect_timer, SL_QREDIS_STALL_MS, 0); /* watchdog */
}

static uint64_t degraded_wait(const struct sl_qredis *q, uint64_t tokens)
{
    double w = 1;

    if (q->credit.lease_req > 0 && q->credit.req < 1 && q->rate_req > 0)
        w = fmax(w, (1 - q->credit.req) / (q->rate_req * q->share));
    if (q->credit.lease_tok > 0 && q->credit.tok < (double)tokens && q->rate_tok > 0)
        w = fmax(w, ((double)tokens - q->credit.tok) / (q->rate_tok * q->share));
    return w > 1000 ? 1000 : (uint64_t)ceil(w);
}

bool sl_qredis_take(struct sl_qredis *q, uint64_t now_ms, uint64_t tokens, uint64_t *wait_ms)
{
    uint64_t now = mono_ms();

    (void)now_ms; /* the run's clock and ours are both uv_hrtime; ours keeps replies consistent */
    *wait_ms = 0;
    q->need_tok = tokens;
    set_degraded(q, now, is_degraded(q, now));
    if (q->degraded) {
        sl_qcredit_accrue(&q->credit, q->rate_req * 60000.0, q->rate_tok * 60000.0, q->share,
                          now - q->last_accrue, tokens);
        q->last_accrue = now;
    }
    if (now < q->paused_until) {
        *wait_ms = q->paused_until - now;
        kick(q, now);
        return false;
    }
    if (sl_qcredit_can(&q->credit, tokens)) {
        sl_qcredit_spend(&q->credit, tokens);
        kick(q, now);
        return true;
    }
    kick(q, now);
    if (q->degraded)
        *wait_ms = degraded_wait(q, tokens);
    else if (q->pending)
        *wait_ms = 20; /* the reply calls on_credit sooner */
    else if (now < q->retry_at)
        *wait_ms = q->retry_at - now;
    else
        *wait_ms = 5;
    return false;
}

void sl_qredis_set_limits(struct sl_qredis *q, double rpm, double tpm)
{
    double factor = q->cfg.exact ? 1.0 : 0.99;

    if (q->cfg.rpm && rpm > 0 && rpm <= (double)q->cfg.rpm) {
        q->rate_req = rpm / 60000.0 * factor;
        q->cap_req =
            sl_qcredit_capacity(rpm, q->credit.lease_req, q->cfg.burst_ms, q->cfg.processes);
    }
    if (q->cfg.tpm && tpm > 0 && tpm <= (double)q->cfg.tpm) {
        q->rate_tok = tpm / 60000.0 * factor;
        q->cap_tok =
            sl_qcredit_capacity(tpm, q->credit.lease_tok, q->cfg.burst_ms, q->cfg.processes);
    }
}

void sl_qredis_refund(struct sl_qredis *q, uint64_t requests, uint64_t tokens)
{
    sl_qcredit_refund(&q->credit, requests, tokens);
}

void sl_qredis_pause(struct sl_qredis *q, uint64_t now_ms, uint64_t ms)
{
    uint64_t now = mono_ms();

    (void)now_ms;
    if (!ms)
        return;
    if (now + ms > q->paused_until)
        q->paused_until = now + ms;
    if (ms > q->pause_pub_ms)
        q->pause_pub_ms = ms;
    kick(q, now);
}

void sl_qredis_stats(const struct sl_qredis *q, uint64_t now_ms, struct sl_qredis_stats *out)
{
    uint64_t now = mono_ms();

    (void)now_ms;
    *out = q->st;
    out->degraded_ms = q->degraded_total + (q->degraded ? now - q->degraded_since : 0);
}

static void on_timer_closed(uv_handle_t *h)
{
    struct sl_qredis *q = h->data;

    q->timer_closed = true;
}

void sl_qredis_close(struct sl_qredis *q)
{
    redisAsyncContext *ac;

    if (!q || q->closing)
        return;
    if (q->degraded)
        q->degraded_total += mono_ms() - q->degraded_since;
    q->degraded = false;
    q->closing = true;
    uv_close((uv_handle_t *)&q->reconnect, on_timer_closed);
    ac = q->ac;
    q->ac = NULL;
    q->connected = false;
    if (ac)
        redisAsyncFree(ac); /* pending callbacks get NULL; the poll handle closes on the loop */
}

void sl_qredis_destroy(struct sl_qredis *q)
{
    if (!q)
        return;
    sl_qredis_close(q);
    if (!q->timer_closed)
        uv_run(q->loop, UV_RUN_NOWAIT);
    assert(q->timer_closed);
    free(q);
}
