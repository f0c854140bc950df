/* server.c: h2o (over libuv) front of the mock API: TLS with ALPN h2/http1.1, one handler that
 * routes, authenticates, injects faults, meters the quota, records and answers.
 *
 * Every decision about a request is taken synchronously when it arrives (so the record line,
 * the statistics and the PRNG sequence follow arrival order); only the sending may be delayed,
 * by a uv timer, for --latency-ms/--jitter-ms/--stall-rate. Responses are written once into the
 * request's memory pool. Loop thread only.
 */
#include "server.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <h2o.h>
#include <h2o/http2.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "api.h"
#include "jsonw.h"
#include "quota.h"
#include "record.h"

#define MAX_ENTITY ((size_t)64 << 20)
#define ORG "org-mock"

enum { EP_NONE = 0, EP_STATS = 100 };
enum { SEND_FULL = 0, SEND_TRUNCATE = 1, SEND_RESET = 2 };

struct mock_stats {
    uint64_t requests, n429, rejected_tokens, tokens_charged, requests_charged;
    uint64_t by_status[600];
};

struct handler {
    h2o_handler_t super;
    struct mock_server *srv;
};

struct mock_server {
    struct mock_opts o;
    uv_loop_t *loop;
    uv_tcp_t listener;
    int listening;
    uv_timer_t flush_timer;
    int flushing;
    SSL_CTX *ssl;
    h2o_globalconf_t cfg;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept;
    struct mock_quota quota;
    struct mock_record rec;
    struct mock_stats st;
    uint64_t rng, idrng, storm_left;
    uint64_t start_ms; /* monotonic */
    long long started_unix_ms;
};

/* A response decided at arrival and sent now or when its timer fires. */
struct reply {
    int status;
    const char *reason;
    int mode; /* SEND_* */
    h2o_iovec_t body;
    uint64_t delay_ms;
};

/* Delayed send: the timer is malloc'd (uv frees handles in a close callback, after the request
 * may be gone); the guard lives in the request pool and tells the timer the request died. */
struct delayed {
    uv_timer_t timer;
    h2o_req_t *req;
    struct reply *rp;
    struct delayed_guard *guard;
};

struct delayed_guard {
    struct delayed *d;
};

static uint64_t now_ms(void)
{
    return uv_hrtime() / 1000000u;
}

static uint64_t splitmix(uint64_t *st)
{
    uint64_t x = (*st += 0x9E3779B97F4A7C15ull);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static double rnd01(uint64_t *st)
{
    return (double)(splitmix(st) >> 11) / (double)(1ull << 53);
}

/* ---- headers and bodies in the request pool ---- */

static char *pool_printf(h2o_req_t *req, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static char *pool_printf(h2o_req_t *req, size_t *len, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(tmp))
        n = sizeof(tmp) - 1;
    p = h2o_mem_alloc_pool(&req->pool, (size_t)n + 1);
    memcpy(p, tmp, (size_t)n + 1);
    *len = (size_t)n;
    return p;
}

#define ADD_HDR(req, name, ...)                                                                    \
    do {                                                                                           \
        size_t vlen_;                                                                              \
        char *v_ = pool_printf(req, &vlen_, __VA_ARGS__);                                          \
        h2o_add_header_by_str(&(req)->pool, &(req)->res.headers, H2O_STRLIT(name), 0, NULL, v_,    \
                              vlen_);                                                              \
    } while (0)

static void set_json(h2o_req_t *req, struct reply *rp, int status, const char *reason,
                     const char *body, size_t len)
{
    rp->status = status;
    rp->reason = reason;
    rp->body = h2o_strdup(&req->pool, body, len);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/json"));
}

/* {"error":{...}} with a fixed message (no input bytes) and optional param/code. */
static void set_error(h2o_req_t *req, struct reply *rp, int status, const char *reason,
                      const char *msg, const char *type, const char *param, const char *code)
{
    size_t ml = strlen(msg), cap = mock_jsonw_str_bound(ml) + 256;
    char *b = h2o_mem_alloc_pool(&req->pool, cap);
    size_t n = (size_t)sprintf(b, "{\"error\":{\"message\":");

    n += mock_jsonw_str(b + n, msg, ml);
    n += (size_t)snprintf(b + n, cap - n, ",\"type\":\"%s\",\"param\":%s%s%s,\"code\":%s%s%s}}",
                          type, param ? "\"" : "", param ? param : "null", param ? "\"" : "",
                          code ? "\"" : "", code ? code : "null", code ? "\"" : "");
    rp->status = status;
    rp->reason = reason;
    rp->body = h2o_iovec_init(b, n);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/json"));
}

static void add_ratelimit_headers(struct mock_server *s, h2o_req_t *req, uint64_t t)
{
    struct mock_quota_view v;
    char d[32];

    if (s->o.no_rl_headers)
        return;
    mock_quota_view(&s->quota, t, &v);
    /* Limits are advertised per real minute (limit x time scale), like every duration sent: a
     * client pacing by the header then sends at the rate the buckets really refill. */
    if (s->o.rpm) {
        ADD_HDR(req, "x-ratelimit-limit-requests", "%llu",
                (unsigned long long)llround((double)s->o.rpm * s->o.time_scale));
        ADD_HDR(req, "x-ratelimit-remaining-requests", "%llu",
                (unsigned long long)v.remaining_requests);
        mock_duration_format(d, sizeof(d), v.reset_requests_ms);
        ADD_HDR(req, "x-ratelimit-reset-requests", "%s", d);
    }
    if (s->o.tpm) {
        ADD_HDR(req, "x-ratelimit-limit-tokens", "%llu",
                (unsigned long long)llround((double)s->o.tpm * s->o.time_scale));
        ADD_HDR(req, "x-ratelimit-remaining-tokens", "%llu",
                (unsigned long long)v.remaining_tokens);
        mock_duration_format(d, sizeof(d), v.reset_tokens_ms);
        ADD_HDR(req, "x-ratelimit-reset-tokens", "%s", d);
    }
}

static void add_retry_after(h2o_req_t *req, double wait_ms)
{
    unsigned long long ms = (unsigned long long)(wait_ms > 0 ? ceil(wait_ms) : 0);

    ADD_HDR(req, "retry-after", "%llu", (ms + 999) / 1000);
    ADD_HDR(req, "retry-after-ms", "%llu", ms);
}

/* ---- routing and authentication ---- */

static int path_is(h2o_iovec_t p, const char *lit)
{
    size_t n = strlen(lit), plen = p.len;
    const char *q = memchr(p.base, '?', p.len);

    if (q)
        plen = (size_t)(q - p.base);
    return plen == n && memcmp(p.base, lit, n) == 0;
}

/* "/v1/<x>" or Azure's "/openai/deployments/<name>/<x>". */
static int endpoint_of(h2o_iovec_t p, const char *x)
{
    char v1[64];
    size_t plen = p.len, xl = strlen(x);
    const char *q = memchr(p.base, '?', p.len);
    static const char az[] = "/openai/deployments/";

    snprintf(v1, sizeof(v1), "/v1/%s", x);
    if (path_is(p, v1))
        return 1;
    if (q)
        plen = (size_t)(q - p.base);
    if (plen > sizeof(az) - 1 + xl + 1 && memcmp(p.base, az, sizeof(az) - 1) == 0 &&
        memcmp(p.base + plen - xl, x, xl) == 0 && p.base[plen - xl - 1] == '/') {
        const char *name = p.base + sizeof(az) - 1;
        return memchr(name, '/', plen - xl - 1 - (sizeof(az) - 1)) == NULL;
    }
    return 0;
}

static int route(h2o_req_t *req)
{
    int post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
    int get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"));

    if (get && path_is(req->path, "/mock/stats"))
        return EP_STATS;
    if (!post)
        return EP_NONE;
    if (endpoint_of(req->path, "chat/completions"))
        return MOCK_EP_CHAT;
    if (endpoint_of(req->path, "embeddings"))
        return MOCK_EP_EMBEDDINGS;
    if (endpoint_of(req->path, "completions"))
        return MOCK_EP_COMPLETIONS;
    return EP_NONE;
}

static const h2o_header_t *find_hdr(h2o_req_t *req, const char *name, size_t len)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, name, len, -1);

    return i < 0 ? NULL : &req->headers.entries[i];
}

/* The credential header: Authorization, else api-key (Azure). */
static const h2o_header_t *auth_hdr(h2o_req_t *req)
{
    const h2o_header_t *h = find_hdr(req, H2O_STRLIT("authorization"));

    return h ? h : find_hdr(req, H2O_STRLIT("api-key"));
}

static int authorized(h2o_req_t *req)
{
    const h2o_header_t *h = find_hdr(req, H2O_STRLIT("authorization"));
    size_t i;

    if (h) {
        if (h->value.len <= 7 || !h2o_lcstris(h->value.base, 7, H2O_STRLIT("bearer ")))
            return 0;
        for (i = 7; i < h->value.len; i++)
            if (h->value.base[i] != ' ')
                return 1;
        return 0;
    }
    h = find_hdr(req, H2O_STRLIT("api-key"));
    return h && h->value.len > 0;
}

/* ---- the decision ---- */

static void decide_429_rate(struct mock_server *s, h2o_req_t *req, struct reply *rp,
                            const struct mock_api_req *ar, const struct mock_quota_verdict *v)
{
    char msg[512], d[32];
    const char *dim = v->result == MOCK_QUOTA_REQUESTS ? "requests" : "tokens";
    const char *abbr = v->result == MOCK_QUOTA_REQUESTS ? "RPM" : "TPM";
    int ml = (int)(ar->model_len < 64 ? ar->model_len : 64);

    mock_duration_format(d, sizeof(d), v->wait_ms);
    snprintf(msg, sizeof(msg),
             "Rate limit reached for %.*s in organization " ORG " on %s per min (%s): Limit "
             "%llu, Used %llu, Requested %llu. Please try again in %s. Visit "
             "https://platform.openai.com/account/rate-limits to learn more.",
             ml, ar->model, dim, abbr, (unsigned long long)v->limit, (unsigned long long)v->used,
             (unsigned long long)v->requested, d);
    set_error(req, rp, 429, "Too Many Requests", msg, dim, NULL, "rate_limit_exceeded");
    add_retry_after(req, v->wait_ms);
    (void)s;
}

static void decide_too_large(h2o_req_t *req, struct reply *rp, const struct mock_api_req *ar,
                             const struct mock_quota_verdict *v)
{
    char msg[512];
    int ml = (int)(ar->model_len < 64 ? ar->model_len : 64);

    snprintf(msg, sizeof(msg),
             "Request too large for %.*s in organization " ORG " on tokens per min (TPM): Limit "
             "%llu, Requested %llu. The input or output tokens must be reduced in order to run "
             "successfully. Visit https://platform.openai.com/account/rate-limits to learn more.",
             ml, ar->model, (unsigned long long)v->limit, (unsigned long long)v->requested);
    set_error(req, rp, 429, "Too Many Requests", msg, "tokens", NULL, "rate_limit_exceeded");
}

static void hex_id(struct mock_server *s, char *out, int words)
{
    int i;

    for (i = 0; i < words; i++)
        sprintf(out + 16 * i, "%016llx", (unsigned long long)splitmix(&s->idrng));
}

static void decide_ok(struct mock_server *s, h2o_req_t *req, struct reply *rp,
                      const struct mock_api_req *ar)
{
    char id[33];
    char *b;

    ((struct mock_api_req *)ar)->echo = s->o.echo;
    b = h2o_mem_alloc_pool(&req->pool, mock_api_bound(ar));

    hex_id(s, id, 2);
    id[29] = '\0';
    rp->status = 200;
    rp->reason = "OK";
    rp->body = h2o_iovec_init(b, mock_api_render(ar, id, (long long)time(NULL), b));
    if (s->o.pretty) {
        json_t *v = json_loadb(rp->body.base, rp->body.len, 0, NULL);
        char *p = v ? json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

        if (p) {
            size_t n = strlen(p);
            char *q = h2o_mem_alloc_pool(&req->pool, n);

            memcpy(q, p, n);
            rp->body = h2o_iovec_init(q, n);
        }
        free(p);
        json_decref(v);
    }
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/json"));
}

/* Injected faults; returns 1 if u fell in one of them. */
static int decide_fault(struct mock_server *s, h2o_req_t *req, struct reply *rp, double u,
                        uint64_t t)
{
    static const char html[] =
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 "
        "Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    static const char nonjson[] = "upstream connect error or disconnect/reset before headers. "
                                  "reset reason: connection termination";
    const struct mock_opts *o = &s->o;

    if ((u -= o->fail_rate) < 0) {
        set_error(req, rp, 500, "Internal Server Error",
                  "The server had an error while processing your request. Sorry about that!",
                  "server_error", NULL, NULL);
    } else if ((u -= o->html_rate) < 0) {
        rp->status = 502;
        rp->reason = "Bad Gateway";
        rp->body = h2o_iovec_init(html, sizeof(html) - 1);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       H2O_STRLIT("text/html"));
    } else if ((u -= o->reset_rate) < 0) {
        rp->status = 0;
        rp->mode = SEND_RESET;
        rp->body = h2o_iovec_init(H2O_STRLIT(""));
    } else if ((u -= o->truncate_rate) < 0) {
        set_error(req, rp, 200, "OK",
                  "This body is cut short on purpose: Content-Length says more than is sent.",
                  "mock_truncated", NULL, NULL);
        rp->mode = SEND_TRUNCATE;
        add_ratelimit_headers(s, req, t);
    } else if ((u -= o->nonjson_rate) < 0) {
        set_json(req, rp, 200, "OK", nonjson, sizeof(nonjson) - 1);
        add_ratelimit_headers(s, req, t);
    } else {
        return 0;
    }
    return 1;
}

static void decide_api(struct mock_server *s, h2o_req_t *req, int ep, struct reply *rp, double u,
                       uint64_t t)
{
    struct mock_api_req ar;
    struct mock_quota_verdict v;
    const char *msg, *param;

    if (mock_api_parse(&ar, ep, req->entity.base ? req->entity.base : "", req->entity.len, &msg,
                       &param) < 0) {
        set_error(req, rp, 400, "Bad Request", msg, "invalid_request_error", param, NULL);
        return;
    }
    if (s->o.quota_exhausted) {
        set_error(req, rp, 429, "Too Many Requests",
                  "You exceeded your current quota, please check your plan and billing details. "
                  "For more information on this error, read the docs: "
                  "https://platform.openai.com/docs/guides/error-codes/api-errors.",
                  "insufficient_quota", NULL, "insufficient_quota");
    } else if (s->storm_left > 0) {
        s->storm_left--;
        v.result = MOCK_QUOTA_REQUESTS;
        v.wait_ms = 1000;
        v.limit = s->o.rpm ? s->o.rpm : 60;
        v.used = v.limit;
        v.requested = 1;
        decide_429_rate(s, req, rp, &ar, &v);
        add_ratelimit_headers(s, req, t);
    } else if (!decide_fault(s, req, rp, u, t)) {
        int q = mock_quota_take(&s->quota, t, ar.charge, &v);
        if (q == MOCK_QUOTA_TOO_LARGE)
            decide_too_large(req, rp, &ar, &v);
        else if (q != MOCK_QUOTA_OK)
            decide_429_rate(s, req, rp, &ar, &v);
        else
            decide_ok(s, req, rp, &ar);
        if (q == MOCK_QUOTA_OK) {
            s->st.tokens_charged += ar.charge;
            s->st.requests_charged++;
        } else {
            s->st.rejected_tokens += ar.charge;
        }
        add_ratelimit_headers(s, req, t);
    }
    mock_api_req_close(&ar);
}

static void decide(struct mock_server *s, h2o_req_t *req, int ep, struct reply *rp, uint64_t t)
{
    double u_fault = rnd01(&s->rng), u_stall = rnd01(&s->rng), u_jit = rnd01(&s->rng);
    char rid[33];
    int stalled;

    if (ep == EP_NONE) {
        size_t cap = mock_jsonw_str_bound(req->method.len) + mock_jsonw_str_bound(req->path.len);
        char *msg = h2o_mem_alloc_pool(&req->pool, cap + 32);
        snprintf(msg, cap + 32, "Invalid URL (%.*s %.*s)", (int)req->method.len, req->method.base,
                 (int)req->path.len, req->path.base);
        set_error(req, rp, 404, "Not Found", msg, "invalid_request_error", NULL, "unknown_url");
    } else if (!authorized(req)) {
        set_error(req, rp, 401, "Unauthorized",
                  "You didn't provide an API key. You need to provide your API key in an "
                  "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                  "invalid_request_error", NULL, "invalid_api_key");
    } else {
        decide_api(s, req, ep, rp, u_fault, t);
    }
    stalled = s->o.stall_rate > 0 && u_stall < s->o.stall_rate;
    rp->delay_ms = s->o.latency_ms + (uint64_t)(u_jit * (double)(s->o.jitter_ms + 1));
    if (rp->delay_ms > s->o.latency_ms + s->o.jitter_ms)
        rp->delay_ms = s->o.latency_ms + s->o.jitter_ms;
    if (stalled)
        rp->delay_ms += s->o.stall_ms;
    hex_id(s, rid, 2);
    ADD_HDR(req, "x-request-id", "req_%s", rid);
    ADD_HDR(req, "openai-processing-ms", "%llu", (unsigned long long)rp->delay_ms + 1);
    if (rp->status == 429)
        s->st.n429++;
}

/* ---- the record line ---- */

static size_t put_str(char *o, const char *s, size_t n)
{
    return mock_jsonw_str(o, s, n);
}

static int hdr_is(const h2o_iovec_t *name, const char *lit)
{
    return h2o_memis(name->base, name->len, lit, strlen(lit));
}

static int skip_hdr(const h2o_iovec_t *name)
{
    return hdr_is(name, "authorization") || hdr_is(name, "api-key") ||
           hdr_is(name, "idempotency-key");
}

static size_t record_bound(h2o_req_t *req)
{
    size_t b = 512 + mock_jsonw_str_bound(req->method.len) + mock_jsonw_str_bound(req->path.len) +
               mock_jsonw_str_bound(req->entity.len) + mock_jsonw_str_bound(req->authority.len);
    size_t i;

    for (i = 0; i < req->headers.size; i++)
        b += mock_jsonw_str_bound(req->headers.entries[i].name->len) +
             mock_jsonw_str_bound(req->headers.entries[i].value.len) + 4;
    return b;
}

static size_t put_auth(char *o, h2o_req_t *req)
{
    const h2o_header_t *h = auth_hdr(req);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0, i;
    size_t n;

    if (!h || !EVP_Digest(h->value.base, h->value.len, md, &mdlen, EVP_sha256(), NULL))
        return (size_t)sprintf(o, "null");
    n = (size_t)sprintf(o, "\"sha256:");
    for (i = 0; i < mdlen; i++)
        n += (size_t)sprintf(o + n, "%02x", md[i]);
    return n + (size_t)sprintf(o + n, "\"");
}

/* Headers as an object; repeated names are joined with ", " so keys stay unique. */
static size_t put_headers(char *o, h2o_req_t *req)
{
    size_t i, j, n = 0;
    int first = 1;

    o[n++] = '{';
    if (req->authority.len) {
        n += (size_t)sprintf(o + n, "\"host\":");
        n += put_str(o + n, req->authority.base, req->authority.len);
        first = 0;
    }
    for (i = 0; i < req->headers.size; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        int seen = 0;
        if (skip_hdr(h->name) || hdr_is(h->name, "host"))
            continue;
        for (j = 0; j < i && !seen; j++)
            seen = h2o_memis(req->headers.entries[j].name->base, req->headers.entries[j].name->len,
                             h->name->base, h->name->len);
        if (seen)
            continue;
        if (!first)
            o[n++] = ',';
        first = 0;
        n += put_str(o + n, h->name->base, h->name->len);
        o[n++] = ':';
        for (j = i + 1; j < req->headers.size; j++)
            if (h2o_memis(req->headers.entries[j].name->base, req->headers.entries[j].name->len,
                          h->name->base, h->name->len))
                break;
        if (j == req->headers.size) {
            n += put_str(o + n, h->value.base, h->value.len);
            continue;
        }
        {
            /* Rare: join the repeated values through a pool string. */
            h2o_iovec_t joined = h->value;
            for (j = i + 1; j < req->headers.size; j++)
                if (h2o_memis(req->headers.entries[j].name->base, req->headers.entries[j].name->len,
                              h->name->base, h->name->len))
                    joined = h2o_concat(&req->pool, joined, h2o_iovec_init(H2O_STRLIT(", ")),
                                        req->headers.entries[j].value);
            n += put_str(o + n, joined.base, joined.len);
        }
    }
    o[n++] = '}';
    return n;
}

static void record_line(struct mock_server *s, h2o_req_t *req, int status, uint64_t t)
{
    const h2o_header_t *idem = find_hdr(req, H2O_STRLIT("idempotency-key"));
    char *o = mock_record_reserve(&s->rec, record_bound(req));
    size_t n;

    if (!o) {
        fprintf(stderr, "sluice-mockapi: out of memory for the record line\n");
        return;
    }
    n = (size_t)sprintf(o, "{\"t_ms\":%llu,\"method\":", (unsigned long long)(t - s->start_ms));
    n += put_str(o + n, req->method.base, req->method.len);
    n += (size_t)sprintf(o + n, ",\"path\":");
    n += put_str(o + n, req->path.base, req->path.len);
    n += (size_t)sprintf(o + n, ",\"http\":\"%s\",\"idempotency_key\":",
                         req->version >= 0x200   ? "2"
                         : req->version == 0x100 ? "1.0"
                                                 : "1.1");
    if (idem)
        n += put_str(o + n, idem->value.base, idem->value.len);
    else
        n += (size_t)sprintf(o + n, "null");
    n += (size_t)sprintf(o + n, ",\"auth\":");
    n += put_auth(o + n, req);
    n += (size_t)sprintf(o + n, ",\"headers\":");
    /* The joined-values path may allocate more than the bound counted; headers repeated are
     * bounded by their own sizes plus ", " each, covered by the +4 per header. */
    n += put_headers(o + n, req);
    n += (size_t)sprintf(o + n, ",\"body\":");
    n += put_str(o + n, req->entity.base ? req->entity.base : "", req->entity.len);
    n += (size_t)sprintf(o + n, ",\"status\":%d}\n", status);
    mock_record_commit(&s->rec, n);
}

/* ---- sending ---- */

/* Close the connection under h2o: the peer sees EOF/RST with no response; h2o then fails its
 * write and frees the connection itself. On HTTP/2 this ends every stream of the connection. */
static void reset_connection(h2o_req_t *req)
{
    h2o_socket_t *sock =
        req->conn->callbacks->get_socket ? req->conn->callbacks->get_socket(req->conn) : NULL;
    int fd = sock ? h2o_socket_get_fd(sock) : -1;
    struct linger l = {1, 0};

    if (fd < 0)
        return;
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    (void)shutdown(fd, SHUT_RDWR);
}

static void send_reply(h2o_req_t *req, struct reply *rp)
{
    static h2o_generator_t generator = {NULL, NULL};
    h2o_iovec_t part = rp->body;

    if (rp->mode == SEND_RESET)
        reset_connection(req);
    req->res.status = rp->status ? rp->status : 500;
    req->res.reason = rp->reason ? rp->reason : "Internal Server Error";
    req->res.content_length = rp->body.len;
    h2o_start_response(req, &generator);
    if (rp->mode == SEND_TRUNCATE) {
        part.len /= 2;
        h2o_send(req, &part, 1, H2O_SEND_STATE_ERROR);
        return;
    }
    h2o_send(req, &part, 1, H2O_SEND_STATE_FINAL);
}

static void on_delayed_close(uv_handle_t *h)
{
    free(h);
}

static void on_delayed_timer(uv_timer_t *t)
{
    struct delayed *d = (struct delayed *)t;
    h2o_req_t *req = d->req;

    if (d->guard)
        d->guard->d = NULL;
    uv_close((uv_handle_t *)&d->timer, on_delayed_close);
    if (req)
        send_reply(req, d->rp);
}

static void on_req_dispose(void *p)
{
    struct delayed_guard *g = p;

    if (!g->d)
        return;
    g->d->req = NULL;
    g->d->guard = NULL;
    uv_timer_stop(&g->d->timer);
    uv_close((uv_handle_t *)&g->d->timer, on_delayed_close);
}

static void dispatch(struct mock_server *s, h2o_req_t *req, struct reply *rp)
{
    struct delayed *d;

    if (rp->delay_ms == 0) {
        send_reply(req, rp);
        return;
    }
    d = malloc(sizeof(*d));
    if (!d) {
        send_reply(req, rp);
        return;
    }
    uv_timer_init(s->loop, &d->timer);
    d->req = req;
    d->rp = rp;
    d->guard = h2o_mem_alloc_shared(&req->pool, sizeof(*d->guard), on_req_dispose);
    d->guard->d = d;
    uv_timer_start(&d->timer, on_delayed_timer, rp->delay_ms, 0);
}

/* ---- /mock/stats ---- */

static void answer_stats(struct mock_server *s, h2o_req_t *req, struct reply *rp)
{
    size_t cap = 1024 + 600 * 32, n, i;
    char *b = h2o_mem_alloc_pool(&req->pool, cap);
    const char *sep = "";
    char iso[32];
    time_t st = (time_t)(s->started_unix_ms / 1000);
    struct tm tm;

    gmtime_r(&st, &tm);
    strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
    n = (size_t)snprintf(b, cap, "{\"requests\":%llu,\"by_status\":{",
                         (unsigned long long)s->st.requests);
    for (i = 0; i < 600; i++) {
        if (!s->st.by_status[i])
            continue;
        n += (size_t)snprintf(b + n, cap - n, "%s\"%zu\":%llu", sep, i,
                              (unsigned long long)s->st.by_status[i]);
        sep = ",";
    }
    n += (size_t)snprintf(b + n, cap - n,
                          "},\"429s\":%llu,\"rejected_tokens\":%llu,\"tokens_charged\":%llu,"
                          "\"requests_charged\":%llu,\"started_at\":\"%s\",\"started_at_ms\":%lld,"
                          "\"uptime_ms\":%llu}",
                          (unsigned long long)s->st.n429, (unsigned long long)s->st.rejected_tokens,
                          (unsigned long long)s->st.tokens_charged,
                          (unsigned long long)s->st.requests_charged, iso, s->started_unix_ms,
                          (unsigned long long)(now_ms() - s->start_ms));
    rp->status = 200;
    rp->reason = "OK";
    rp->body = h2o_iovec_init(b, n);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/json"));
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct mock_server *s = ((struct handler *)self)->srv;
    struct reply *rp = h2o_mem_alloc_pool(&req->pool, sizeof(*rp));
    int ep = route(req);
    uint64_t t = now_ms();

    memset(rp, 0, sizeof(*rp));
    if (ep == EP_STATS) {
        answer_stats(s, req, rp);
        send_reply(req, rp);
        return 0;
    }
    s->st.requests++;
    decide(s, req, ep, rp, t);
    s->st.by_status[rp->status < 600 ? rp->status : 0]++;
    if (s->rec.fd >= 0)
        record_line(s, req, rp->status, t);
    dispatch(s, req, rp);
    return 0;
}

/* ---- TLS, listener, lifecycle ---- */

static int ssl_setup(struct mock_server *s)
{
    const struct mock_opts *o = &s->o;

    s->ssl = SSL_CTX_new(TLS_server_method());
    if (!s->ssl)
        goto out_err;
    if (o->tls_min < TLS1_2_VERSION)
        SSL_CTX_set_security_level(s->ssl, 0); /* OpenSSL 3 refuses TLS < 1.2 at level >= 1 */
    if (!SSL_CTX_set_min_proto_version(s->ssl, o->tls_min) ||
        !SSL_CTX_set_max_proto_version(s->ssl, o->tls_max))
        goto out_err;
    SSL_CTX_set_options(s->ssl, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(s->ssl, o->cert) != 1) {
        fprintf(stderr, "sluice-mockapi: cannot load certificate %s\n", o->cert);
        goto out_err;
    }
    if (SSL_CTX_use_PrivateKey_file(s->ssl, o->key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(s->ssl) != 1) {
        fprintf(stderr, "sluice-mockapi: cannot load private key %s\n", o->key);
        goto out_err;
    }
    h2o_ssl_register_alpn_protocols(s->ssl, h2o_http2_alpn_protocols);
    s->accept.ssl_ctx = s->ssl;
    return 0;

out_err:
    ERR_print_errors_fp(stderr);
    return -EINVAL;
}

static void on_conn_close(uv_handle_t *h)
{
    free(h);
}

static void on_accept(uv_stream_t *listener, int status)
{
    struct mock_server *s = listener->data;
    uv_tcp_t *conn;
    h2o_socket_t *sock;

    if (status != 0)
        return;
    conn = malloc(sizeof(*conn));
    if (!conn)
        return;
    uv_tcp_init(listener->loop, conn);
    if (uv_accept(listener, (uv_stream_t *)conn) != 0) {
        uv_close((uv_handle_t *)conn, on_conn_close);
        return;
    }
    uv_tcp_nodelay(conn, 1);
    sock = h2o_uv_socket_create((uv_stream_t *)conn, on_conn_close);
    h2o_accept(&s->accept, sock);
}

static int parse_listen(const char *spec, struct sockaddr_storage *ss)
{
    char host[128];
    const char *colon = strrchr(spec, ':');
    size_t hl;
    long port;
    char *end;

    if (!colon)
        return -EINVAL;
    hl = (size_t)(colon - spec);
    if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
        spec++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof(host))
        return -EINVAL;
    memcpy(host, spec, hl);
    host[hl] = '\0';
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port < 0 || port > 65535)
        return -EINVAL;
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) == 0)
        return 0;
    if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss) == 0)
        return 0;
    return -EINVAL;
}

/* Write the port to a temporary name and rename it, so a waiting test never reads half a file. */
static int write_port_file(const char *path, int port)
{
    char tmp[4096];
    FILE *f;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    f = fopen(tmp, "w");
    if (!f)
        return -errno;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        int rc = -errno;
        unlink(tmp);
        return rc;
    }
    return 0;
}

static int listen_on(struct mock_server *s)
{
    struct sockaddr_storage ss, bound;
    int len = sizeof(bound), rc, port;

    if (parse_listen(s->o.listen, &ss) < 0) {
        fprintf(stderr, "sluice-mockapi: bad --listen %s (want HOST:PORT)\n", s->o.listen);
        return -EINVAL;
    }
    uv_tcp_init(s->loop, &s->listener);
    s->listener.data = s;
    s->listening = 1;
    rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->listener, 1024, on_accept);
    if (rc == 0)
        rc = uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &len);
    if (rc < 0) {
        fprintf(stderr, "sluice-mockapi: cannot listen on %s: %s\n", s->o.listen, uv_strerror(rc));
        return rc;
    }
    port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                             : ((struct sockaddr_in *)&bound)->sin_port);
    if (s->o.port_file && (rc = write_port_file(s->o.port_file, port)) < 0) {
        fprintf(stderr, "sluice-mockapi: cannot write %s: %s\n", s->o.port_file, strerror(-rc));
        return rc;
    }
    if (!s->o.quiet)
        fprintf(stderr, "sluice-mockapi: listening on %s %s, port %d (pid %ld)\n",
                s->o.plain ? "http" : "https", s->o.listen, port, (long)getpid());
    return 0;
}

static void on_flush_timer(uv_timer_t *t)
{
    struct mock_server *s = t->data;

    if (s->rec.len)
        (void)mock_record_flush(&s->rec);
}

int mock_server_create(struct mock_server **out, uv_loop_t *loop, const struct mock_opts *o)
{
    struct mock_server *s = calloc(1, sizeof(*s));
    h2o_hostconf_t *host;
    h2o_pathconf_t *path;
    struct handler *h;
    int rc;

    *out = NULL;
    if (!s)
        return -ENOMEM;
    s->o = *o;
    s->loop = loop;
    s->rec.fd = -1;
    s->rng = o->seed;
    s->idrng = o->seed ^ 0x5EEDF00DCAFEBABEull;
    s->storm_left = o->storm_429;
    s->start_ms = now_ms();
    s->started_unix_ms = (long long)time(NULL) * 1000;
    mock_quota_init(&s->quota, o->rpm, o->tpm, o->window_ms, o->time_scale, s->start_ms);

    h2o_config_init(&s->cfg);
    s->cfg.max_request_entity_size = MAX_ENTITY;
    s->cfg.server_name = h2o_iovec_init(H2O_STRLIT("sluice-mockapi"));
    host = h2o_config_register_host(&s->cfg, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    path = h2o_config_register_path(host, "/", 0);
    h = (struct handler *)h2o_create_handler(path, sizeof(*h));
    h->super.on_req = on_req;
    h->srv = s;
    h2o_context_init(&s->ctx, loop, &s->cfg);
    s->accept.ctx = &s->ctx;
    s->accept.hosts = s->cfg.hosts;
    *out = s;

    if (!o->plain && (rc = ssl_setup(s)) < 0)
        return rc;
    if (o->record && (rc = mock_record_open(&s->rec, o->record)) < 0) {
        fprintf(stderr, "sluice-mockapi: cannot open %s: %s\n", o->record, strerror(-rc));
        return rc;
    }
    if (s->rec.fd >= 0) {
        uv_timer_init(loop, &s->flush_timer);
        s->flush_timer.data = s;
        s->flushing = 1;
        uv_timer_start(&s->flush_timer, on_flush_timer, 100, 100);
    }
    return listen_on(s);
}

void mock_server_stop(struct mock_server *s)
{
    if (!s)
        return;
    if (s->listening) {
        uv_close((uv_handle_t *)&s->listener, NULL);
        s->listening = 0;
    }
    if (s->flushing) {
        uv_timer_stop(&s->flush_timer);
        uv_close((uv_handle_t *)&s->flush_timer, NULL);
        s->flushing = 0;
    }
    if (s->rec.fd >= 0)
        (void)mock_record_flush(&s->rec);
}

void mock_server_destroy(struct mock_server *s)
{
    if (!s)
        return;
    mock_record_close(&s->rec);
    /* h2o has no way to close live connections from outside; the process exits right after,
     * so the context and configuration are left to the OS rather than disposed under them. */
    if (s->ssl && !s->listening)
        s->accept.ssl_ctx = NULL;
}
