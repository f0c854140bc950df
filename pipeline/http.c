/* http.c: curl multi on the libuv loop. Loop thread only.
 *
 * curl tells us which sockets to watch (socket callback) and when to wake it (timer callback); we
 * translate both into uv handles and call curl_multi_socket_action from their callbacks. Following
 * the known traps: the timer callback only arms a uv timer (never calls curl from inside curl), a
 * poll error still reaches curl as CURL_CSELECT_ERR, and the scheduler (not curl's queue) holds jobs
 * that cannot start yet, so curl's per-transfer timeout only ever counts time on the wire.
 */
#include "http.h"
#include "h2.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <time.h>

struct sl_http {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    struct sl_http_opts o;
    sl_http_done_cb cb;
    void *ud;
    unsigned inflight;
    struct sl_job **active; /* jobs in flight; job->http_slot is the index */
    size_t cap_active;
    CURL **pool; /* idle easy handles, reused so TLS sessions and buffers are kept */
    size_t npool, cappool;
    bool closing;
    int open_handles; /* uv handles not yet closed */
    struct sl_h2 *h2; /* the HTTP/2 engine, when chosen; jobs go to curl once it is unusable */
};

struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    struct sl_http *h;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_handle_closed(uv_handle_t *hd)
{
    struct sl_http *h = hd->data;

    if (hd->type == UV_POLL)
        free(hd); /* struct sock_ctx starts with its uv_poll_t */
    if (h && --h->open_handles == 0 && h->closing)
        free(h);
}

static void check_done(struct sl_http *h)
{
    CURLMsg *m;
    int left;

    while ((m = curl_multi_info_read(h->multi, &left))) {
        struct sl_job *j = NULL;
        CURL *e = m->easy_handle;

        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&j);
        j->curl_code = m->data.result;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &j->status);
        j->latency_ms = (uint32_t)(mono_ms() - j->sent_ms);
        curl_multi_remove_handle(h->multi, e);
        j->easy = NULL;
        h->active[j->http_slot] = h->active[--h->inflight];
        h->active[j->http_slot]->http_slot = j->http_slot;
        if (h->npool < h->cappool)
            h->pool[h->npool++] = e;
        else
            curl_easy_cleanup(e);
        h->cb(h->ud, j);
    }
}

static void on_timer(uv_timer_t *t)
{
    struct sl_http *h = t->data;
    int running;

    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(h);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *ud)
{
    struct sl_http *h = ud;

    (void)multi;
    if (timeout_ms < 0)
        uv_timer_stop(&h->timer);
    else
        uv_timer_start(&h->timer, on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct sock_ctx *s = (struct sock_ctx *)p;
    struct sl_http *h = s->h;
    int flags = 0, running;

    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(h->multi, s->fd, flags, &running);
    check_done(h);
}

static int socket_cb(CURL *e, curl_socket_t fd, int what, void *ud, void *sockp)
{
    struct sl_http *h = ud;
    struct sock_ctx *s = sockp;
    int events = 0;

    (void)e;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            curl_multi_assign(h->multi, fd, NULL);
            uv_close((uv_handle_t *)&s->poll, on_handle_closed);
        }
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s)
            return -1;
        s->fd = fd;
        s->h = h;
        if (uv_poll_init_socket(h->loop, &s->poll, fd)) {
            free(s);
            return -1;
        }
        s->poll.data = h;
        h->open_handles++;
        curl_multi_assign(h->multi, fd, s);
    }
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, on_poll);
    return 0;
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct sl_job *j = ud;
    size_t len = sz * n;

    if (sl_buf_append(&j->resp, p, len))
        return 0; /* over the cap: curl fails the transfer with CURLE_WRITE_ERROR */
    return len;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct sl_job *j = ud;
    size_t len = sz * n;

    if (len >= 5 && !memcmp(p, "HTTP/", 5))
        sl_ratelimit_view_clear(&j->rl); /* a new response (1xx before the final one) */
    else
        sl_ratelimit_header(&j->rl, p, len, (int64_t)time(NULL));
    return len;
}

/* A literal loopback address (127.0.0.0/8, ::1) or "localhost"; never a name that merely starts
 * with "127." (127.0.0.1.evil.example is a public name). */
static bool is_loopback(const char *host)
{
    unsigned char a4[4], a6[16];
    char h[64];
    size_t n = strlen(host);

    if (!strcasecmp(host, "localhost"))
        return true;
    if (inet_pton(AF_INET, host, a4) == 1)
        return a4[0] == 127;
    if (n >= 2 && n < sizeof(h) && host[0] == '[' && host[n - 1] == ']') {
        memcpy(h, host + 1, n - 2);
        h[n - 2] = '\0';
        host = h;
    }
    return inet_pton(AF_INET6, host, a6) == 1 && !memcmp(a6, in6addr_loopback.s6_addr, 16);
}

int sl_http_check_endpoint(const char *endpoint, bool allow_http, char *why, size_t cap)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = SL_ECONFIG;

    if (!u)
        return -12;
    if (curl_url_set(u, CURLUPART_URL, endpoint, 0)) {
        snprintf(why, cap, "--endpoint is not a valid URL");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) || curl_url_get(u, CURLUPART_HOST, &host, 0)) {
        snprintf(why, cap, "--endpoint needs a scheme and a host");
        goto out;
    }
    if (!strcmp(scheme, "https")) {
        rc = 0;
    } else if (!strcmp(scheme, "http")) {
        bool loop = is_loopback(host);

        if (!loop)
            snprintf(why, cap, "plain http is refused: use https (http is allowed only to a "
                               "loopback host, with --allow-http)");
        else if (!allow_http)
            snprintf(why, cap, "plain http to loopback needs --allow-http");
        else
            rc = 0;
    } else {
        snprintf(why, cap, "--endpoint scheme must be https");
    }
out:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

/* libcurl honours the proxy variables; the HTTP/2 engine does not speak to proxies, so it steps
 * aside when one is set. */
static bool proxy_env(void)
{
    static const char *const vars[] = {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
    size_t i;

    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *v = getenv(vars[i]);

        if (v && *v)
            return true;
    }
    return false;
}

static void h2_done(void *ud, struct sl_job *j)
{
    struct sl_http *h = ud;

    h->cb(h->ud, j);
}

static int curl_start(struct sl_http *h, struct sl_job *j);

/* The server did not select h2: curl carries this job (and, through sl_http_start, all others). */
static void h2_fallback(void *ud, struct sl_job *j)
{
    struct sl_http *h = ud;

    if (curl_start(h, j)) {
        j->status = 0;
        j->curl_code = CURLE_COULDNT_CONNECT;
        h->cb(h->ud, j);
    }
}

int sl_http_create(uv_loop_t *loop, const struct sl_http_opts *o, sl_http_done_cb cb, void *ud,
                   struct sl_http **out)
{
    struct sl_http *h = calloc(1, sizeof(*h));

    if (!h)
        return -12;
    h->loop = loop;
    h->o = *o;
    h->cb = cb;
    h->ud = ud;
    h->cappool = 1024;
    h->pool = calloc(h->cappool, sizeof(*h->pool));
    h->multi = curl_multi_init();
    if (!h->pool || !h->multi) {
        free(h->pool);
        if (h->multi)
            curl_multi_cleanup(h->multi);
        free(h);
        return -12;
    }
    uv_timer_init(loop, &h->timer);
    h->timer.data = h;
    h->open_handles = 1;
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(h->multi, CURLMOPT_MAX_CONCURRENT_STREAMS,
                      o->max_streams > 0 ? o->max_streams : 100L);
    if (o->h2 && !strncasecmp(o->endpoint, "https:", 6) && !proxy_env()) {
        int rc = sl_h2_create(loop, o, h2_done, h2_fallback, h, &h->h2);

        if (rc) {
            h->h2 = NULL;
            sl_http_destroy(h);
            return rc;
        }
    }
    *out = h;
    return 0;
}

/* Options every transfer shares: set once per easy handle. Pooled handles keep them (libcurl
 * options persist across transfers), so a reused handle only gets the per-job ones below. */
static void setup_static(struct sl_http *h, CURL *e)
{
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, h->o.allow_http ? "http,https" : "https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (h->o.cacert)
        curl_easy_setopt(e, CURLOPT_CAINFO, h->o.cacert);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, h->o.timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    if (h->o.verbose)
        curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
}

static int setup_job(struct sl_http *h, CURL *e, struct sl_job *j)
{
    char url[4096];
    int n = snprintf(url, sizeof(url), "%s%s", h->o.endpoint, j->path);

    if (n < 0 || (size_t)n >= sizeof(url))
        return SL_ETOOBIG;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body.p);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body.len);
    j->idem_node.data = j->idem_header;
    j->idem_node.next = h->o.headers;
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, &j->idem_node);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)j);
    return 0;
}

bool sl_http_multiplexed(const struct sl_http *h)
{
    return h->h2 && sl_h2_usable(h->h2);
}

int sl_http_start(struct sl_http *h, struct sl_job *j)
{
    if (h->h2 && sl_h2_usable(h->h2))
        return sl_h2_start(h->h2, j);
    return curl_start(h, j);
}

static int curl_start(struct sl_http *h, struct sl_job *j)
{
    CURL *e;
    int rc;

    if (h->npool) {
        e = h->pool[--h->npool];
    } else {
        e = curl_easy_init();
        if (!e)
            return -12;
        setup_static(h, e);
    }
    sl_buf_reset(&j->resp);
    j->resp.max = h->o.max_response ? h->o.max_response : (64u << 20);
    sl_ratelimit_view_clear(&j->rl);
    snprintf(j->idem_header, sizeof(j->idem_header), "Idempotency-Key: %s", j->idem_key);
    rc = setup_job(h, e, j);
    if (rc) {
        curl_easy_cleanup(e);
        return rc;
    }
    j->easy = e;
    j->status = 0;
    j->curl_code = 0;
    j->sent_ms = mono_ms();
    if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
        j->easy = NULL;
        curl_easy_cleanup(e);
        return SL_EIO;
    }
    if (h->inflight == h->cap_active) {
        size_t ncap = h->cap_active ? 2 * h->cap_active : 256;
        struct sl_job **na = realloc(h->active, ncap * sizeof(*na));

        if (!na) {
            curl_multi_remove_handle(h->multi, e);
            curl_easy_cleanup(e);
            j->easy = NULL;
            return -12;
        }
        h->active = na;
        h->cap_active = ncap;
    }
    j->http_slot = h->inflight;
    h->active[h->inflight++] = j;
    return 0;
}

void sl_http_abort_all(struct sl_http *h, void (*cb)(void *ud, struct sl_job *j), void *ud)
{
    sl_h2_abort_all(h->h2, cb, ud);
    while (h->inflight) {
        struct sl_job *j = h->active[--h->inflight];

        curl_multi_remove_handle(h->multi, j->easy);
        curl_easy_cleanup(j->easy);
        j->easy = NULL;
        cb(ud, j);
    }
}

unsigned sl_http_inflight(const struct sl_http *h)
{
    return h ? h->inflight + sl_h2_inflight(h->h2) : 0;
}

void sl_http_destroy(struct sl_http *h)
{
    size_t i;

    if (!h)
        return;
    sl_h2_destroy(h->h2);
    h->h2 = NULL;
    /* Transfers still in flight belong to jobs the caller is abandoning (it still owns them). */
    for (i = 0; i < h->inflight; i++) {
        curl_multi_remove_handle(h->multi, h->active[i]->easy);
        curl_easy_cleanup(h->active[i]->easy);
        h->active[i]->easy = NULL;
    }
    h->inflight = 0;
    free(h->active);
    for (i = 0; i < h->npool; i++)
        curl_easy_cleanup(h->pool[i]);
    free(h->pool);
    curl_multi_cleanup(h->multi);
    h->closing = true;
    uv_close((uv_handle_t *)&h->timer, on_handle_closed);
}
