/* h2.c: the HTTP/2 client engine (see h2.h). Loop thread only.
 *
 * Layers: a non-blocking TCP socket watched by a uv_poll; OpenSSL writing to the socket and reading
 * through a minimal BIO of ours that hands it the connection's read buffer, filled with one large
 * read() (many TLS records per syscall; OpenSSL's own read ahead moves the unread rest of its
 * buffer on every record, measured at ~4k instructions per request, and a memory BIO costs a
 * zeroing and a copy of every byte); one nghttp2 client session per connection doing all framing,
 * HPACK and flow control. Nothing here parses HTTP/2 or TLS by hand.
 *
 * Batching: sl_h2_start only submits a request to nghttp2; a uv_prepare (runs once per loop turn,
 * just before the loop blocks) serializes everything nghttp2 has queued on each connection into one
 * buffer and hands it to SSL_write, so a burst of starts becomes a few TLS records and syscalls.
 * Responses are read until the socket is drained, and finished jobs are reported after nghttp2
 * returns (never from inside one of its callbacks), so the caller may start, abort or destroy from
 * its done callback.
 *
 * Ownership: a struct stream carries one job from sl_h2_start until the job is reported. It is
 * either pending (no connection yet, on the engine's pending list) or on a connection (nghttp2's
 * stream user data, on the connection's list). A stream whose job was given back early (timeout,
 * abort) stays on its connection, without a job, until nghttp2 closes it (we reset it), so nghttp2
 * never sees a dangling pointer. Every job in flight is on the timeout list, ordered by deadline
 * (all attempts share one timeout), so one uv_timer covers them all.
 *
 * Connections open when the pending jobs outnumber the streams the connections already opening
 * will offer; a connection takes jobs once the server's SETTINGS arrived (its
 * MAX_CONCURRENT_STREAMS is then known) and stops taking them after a GOAWAY. Streams the server
 * did not process (refused, or above a GOAWAY's last stream id, also when the connection ends
 * before nghttp2 could refuse them) go back to the pending list, a bounded number of times, without
 * counting as a failed attempt; a connection that fails reads what it already received first.
 */
#include "h2.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "mpool.h"

#define MAX_CONNS 64
#define OUT_HIGH (64 * 1024)     /* serialize at most this much before writing */
#define RBUF_SIZE (64 * 1024)
#define MAX_REQUEUE 4            /* refused streams sent again before failing the attempt */
#define MAX_GOAWAY_REQUEUE 16     /* the same for streams above a GOAWAY's last stream id */
#define STREAM_WINDOW (16 << 20) /* per-stream receive window */
#define CONN_WINDOW (1 << 30)    /* connection receive window */
#define MAX_PATH 4096

enum cstate { C_RESOLVING, C_CONNECTING, C_TLS, C_SETTINGS, C_READY, C_DRAINING, C_CLOSED };

struct conn;

struct sockh {
    uv_poll_t poll;
    int fd;
    struct conn *c; /* NULL once the connection let go of it */
};

struct stream {
    struct stream *tprev, *tnext; /* engine timeout list (while j is set) */
    struct stream *prev, *next;   /* pending list, or the connection's list */
    struct sl_job *j;             /* NULL: given back, waiting for nghttp2 to close the stream */
    struct conn *c;
    int32_t id;
    uint64_t deadline;
    int err;                      /* CURLcode decided before the stream closed */
    unsigned requeues;            /* refused by RST_STREAM, sent again */
    unsigned goaways;             /* above a GOAWAY's last stream id, sent again */
    size_t body_off;
};

struct conn {
    struct sl_h2 *e;
    enum cstate st;
    struct sockh *sk;
    uv_timer_t ctimer;
    uv_getaddrinfo_t gai;
    struct addrinfo *ai, *ai_next;
    SSL *ssl;
    BIO *rbio;                    /* owned by ssl: reads from rb (rb_read) */
    unsigned char *rb;            /* ciphertext from read(): rb_off..rb_len not yet taken by SSL */
    size_t rb_off, rb_len;
    bool rb_eof;                  /* the socket said EOF or failed: rb_read reports EOF when empty */
    bool rb_more;                 /* the last read() filled rb: the socket may hold more */
    nghttp2_session *sess;
    struct stream *head;          /* streams on this connection */
    unsigned nstreams;            /* with or without a job */
    unsigned char *out;
    size_t outlen, outoff, outcap;
    int events;
    bool want_out;                /* SSL_write blocked: wait for writable */
    bool dirty;                   /* nghttp2 may have frames to send */
    bool gai_busy;
    bool ping_out;                /* a stream timed out: a PING must come back within ctimer */
    bool idem_named;              /* an idempotency-key went out indexed: its name is in HPACK */
    int32_t goaway_last;          /* the lowest last-stream-id of the server's GOAWAYs, -1 none */
    int handles;                  /* ctimer + gai; the struct is freed when 0 and closed */
};

/* One of the shared header lines, split once: the name as written (to notice a change) and in lower
 * case (HTTP/2 wants it so). Re-split whenever the line no longer starts with that name. */
struct hname {
    const struct curl_slist *node;
    size_t nl;                    /* 0: not usable (no colon, empty or too long a name) */
    uint8_t flags;
    char orig[64], low[64];
};

#define MAX_HDRS 16

struct sl_h2 {
    uv_loop_t *loop;
    struct sl_http_opts o;
    sl_http_done_cb cb, fallback;
    void *ud;
    SSL_CTX *ctx;
    SSL_SESSION *tls_sess;
    BIO_METHOD *rbm;       /* rb_read's BIO type */
    nghttp2_session_callbacks *cbs;
    nghttp2_option *nopt;
    nghttp2_mem mem;       /* nghttp2's allocations come from pool (loop thread only) */
    struct sl_mpool pool;
    char *host;      /* for DNS and certificate checks (no brackets) */
    char *authority; /* host[:port] as the URL spells it */
    char port[8];
    char *base;      /* endpoint path without its trailing slash, "" if none */
    bool host_is_ip;
    uv_timer_t ttimer;
    uv_prepare_t prep;
    struct stream *thead, *ttail;
    struct stream *qhead, *qtail; /* pending */
    unsigned nq;
    struct sl_job *dhead, *dtail; /* finished, not yet reported (linked by j->next) */
    struct sl_job *fhead, *ftail; /* for the fallback callback */
    struct stream *freelist;
    struct hname hn[MAX_HDRS];    /* e->o.headers, in order */
    struct conn *conns[MAX_CONNS];
    unsigned nconns;
    unsigned inflight;
    unsigned streams_hint;        /* streams a connection offered in its SETTINGS, 0: none yet */
    bool no_h2, closing, delivering;
    int handles;
    char last_err[256];
    unsigned char pbuf[RBUF_SIZE]; /* plaintext from SSL_read */
};

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void engine_release(struct sl_h2 *e)
{
    if (--e->handles > 0 || !e->closing)
        return;
    if (e->tls_sess)
        SSL_SESSION_free(e->tls_sess);
    SSL_CTX_free(e->ctx);
    BIO_meth_free(e->rbm);
    nghttp2_session_callbacks_del(e->cbs);
    nghttp2_option_del(e->nopt);
    sl_mpool_destroy(&e->pool); /* every session is gone: connections hold handles */
    while (e->freelist) {
        struct stream *s = e->freelist;

        e->freelist = s->next;
        free(s);
    }
    free(e->host);
    free(e->authority);
    free(e->base);
    free(e);
}

static void on_engine_handle_closed(uv_handle_t *hd)
{
    engine_release(hd->data);
}

/* Say why a connection failed, once per distinct reason (a dead server must not flood stderr). */
static void note_error(struct sl_h2 *e, enum sl_log_level lvl, const char *why)
{
    if (!strcmp(e->last_err, why))
        return;
    snprintf(e->last_err, sizeof(e->last_err), "%s", why);
    sl_log(lvl, "http2 %s: %s", e->authority, why);
}

/* ---- streams and jobs ---- */

static struct stream *stream_get(struct sl_h2 *e)
{
    struct stream *s = e->freelist;

    if (s)
        e->freelist = s->next;
    else if (!(s = malloc(sizeof(*s))))
        return NULL;
    memset(s, 0, sizeof(*s));
    return s;
}

static void stream_put(struct sl_h2 *e, struct stream *s)
{
    s->next = e->freelist;
    e->freelist = s;
}

static void tlist_unlink(struct sl_h2 *e, struct stream *s)
{
    if (s->tprev)
        s->tprev->tnext = s->tnext;
    else
        e->thead = s->tnext;
    if (s->tnext)
        s->tnext->tprev = s->tprev;
    else
        e->ttail = s->tprev;
    s->tprev = s->tnext = NULL;
}

static void pending_unlink(struct sl_h2 *e, struct stream *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        e->qhead = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        e->qtail = s->prev;
    s->prev = s->next = NULL;
    e->nq--;
}

static void pending_push(struct sl_h2 *e, struct stream *s, bool front)
{
    s->prev = s->next = NULL;
    if (!e->qhead) {
        e->qhead = e->qtail = s;
    } else if (front) {
        s->next = e->qhead;
        e->qhead->prev = s;
        e->qhead = s;
    } else {
        s->prev = e->qtail;
        e->qtail->next = s;
        e->qtail = s;
    }
    e->nq++;
}

static void conn_unlink(struct conn *c, struct stream *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        c->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    s->c = NULL;
    c->nstreams--;
}

static void job_push(struct sl_job **head, struct sl_job **tail, struct sl_job *j)
{
    j->next = NULL;
    if (*tail)
        (*tail)->next = j;
    else
        *head = j;
    *tail = j;
}

/* The attempt of s is over with `code`: detach its job and queue it for the done callback. */
static void finish(struct sl_h2 *e, struct stream *s, int code)
{
    struct sl_job *j = s->j;

    tlist_unlink(e, s);
    s->j = NULL;
    j->curl_code = code;
    j->latency_ms = (uint32_t)(mono_ms() - j->sent_ms);
    j->easy = NULL;
    job_push(&e->dhead, &e->dtail, j);
}

static void on_connect_timeout(uv_timer_t *t);

/* s (on c, or pending when c is NULL) gives its job back now, with `code`. */
static void give_back(struct sl_h2 *e, struct stream *s, int code)
{
    struct conn *c = s->c;

    finish(e, s, code);
    if (!c) {
        pending_unlink(e, s);
        stream_put(e, s);
        return;
    }
    /* The stream stays nghttp2's until it closes; tell the server we gave up on it. */
    if (c->sess && nghttp2_submit_rst_stream(c->sess, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_CANCEL) == 0)
        c->dirty = true;
    /* A timeout may mean the connection itself is dead without a reset (no FIN, no RST): ask it
     * for a PING answer within the connect timeout, or drop it (its jobs are retried elsewhere). */
    if (code == CURLE_OPERATION_TIMEDOUT && c->sess && c->st >= C_READY && !c->ping_out &&
        e->o.connect_timeout_ms > 0 && nghttp2_submit_ping(c->sess, NGHTTP2_FLAG_NONE, NULL) == 0) {
        c->ping_out = true;
        uv_timer_start(&c->ctimer, on_connect_timeout, (uint64_t)e->o.connect_timeout_ms, 0);
    }
}

/* Whether s (on c) is above the last stream id of a GOAWAY from the server, which therefore did
 * not process it (RFC 9113 6.8). */
static bool above_goaway(const struct conn *c, const struct stream *s)
{
    return c->goaway_last >= 0 && s->id > c->goaway_last;
}

/* Whether a stream the server did not process may be sent again. A server ending connections
 * every N requests (nginx keepalive_requests) refuses the streams beyond its Nth with a GOAWAY, and
 * with several connections doing so a job can be refused a few times in a row: those get a larger
 * allowance than streams refused one by one (RST_STREAM REFUSED_STREAM). Both stay bounded, so a
 * server refusing everything fails the attempt (and the run's retry policy takes over). */
static bool may_requeue(const struct conn *c, const struct stream *s)
{
    return above_goaway(c, s) ? s->goaways < MAX_GOAWAY_REQUEUE : s->requeues < MAX_REQUEUE;
}

/* Put a stream the server did not process back on the pending list, job reset for a new attempt. */
static void requeue(struct sl_h2 *e, const struct conn *c, struct stream *s)
{
    struct sl_job *j = s->j;

    sl_buf_reset(&j->resp);
    sl_ratelimit_view_clear(&j->rl);
    j->status = 0;
    if (above_goaway(c, s))
        s->goaways++;
    else
        s->requeues++;
    s->id = 0;
    s->err = 0;
    s->body_off = 0;
    pending_push(e, s, true);
}

/* ---- connections ---- */

static void conn_close(struct conn *c);
static void pump(struct sl_h2 *e);

static void conn_release(struct conn *c)
{
    struct sl_h2 *e = c->e;

    if (--c->handles > 0)
        return;
    if (c->ai)
        uv_freeaddrinfo(c->ai);
    free(c->out);
    free(c->rb);
    free(c);
    engine_release(e);
}

static void on_conn_handle_closed(uv_handle_t *hd)
{
    conn_release(hd->data);
}

static void on_sock_closed(uv_handle_t *hd)
{
    struct sockh *sk = (struct sockh *)hd;

    close(sk->fd);
    free(sk);
}

static void sock_drop(struct conn *c)
{
    if (!c->sk)
        return;
    c->sk->c = NULL;
    uv_close((uv_handle_t *)&c->sk->poll, on_sock_closed);
    c->sk = NULL;
    c->events = 0;
}

static unsigned live_conns(const struct sl_h2 *e)
{
    return e->nconns;
}

/* c failed (or ended) with `code` (0: a quiet close). Jobs on it get `code`, except those the
 * server's GOAWAY said it did not process (ids above its last stream id, RFC 9113 6.8): those go
 * back to the pending list without counting as a failure, like the streams nghttp2 refuses when
 * the GOAWAY arrives (a request still queued in nghttp2 when the server closes is one of them).
 * If c never became ready and no other connection is left, the pending jobs get `code` too
 * (nothing else will carry them: the next start opens a fresh connection). */
static void conn_fail(struct conn *c, int code, const char *why)
{
    struct sl_h2 *e = c->e;
    struct stream *s, *next;
    bool never_ready = c->st < C_READY;
    unsigned failed = 0;

    if (c->st == C_CLOSED)
        return;
    for (s = c->head; s; s = next) {
        next = s->next;
        conn_unlink(c, s);
        if (s->j && above_goaway(c, s) && may_requeue(c, s)) {
            requeue(e, c, s);
            continue;
        }
        if (s->j) {
            finish(e, s, code ? code : CURLE_RECV_ERROR);
            failed++;
        }
        stream_put(e, s);
    }
    if (why)
        note_error(e, code && (failed || never_ready) ? SL_LOG_WARN : SL_LOG_DEBUG, why);
    conn_close(c);
    if (never_ready && code && !live_conns(e))
        while (e->qhead) {
            s = e->qhead;
            finish(e, s, code);
            pending_unlink(e, s);
            stream_put(e, s);
        }
}

static void conn_close(struct conn *c)
{
    struct sl_h2 *e = c->e;
    unsigned i;

    if (c->st == C_CLOSED)
        return;
    c->st = C_CLOSED;
    for (i = 0; i < e->nconns; i++)
        if (e->conns[i] == c) {
            e->conns[i] = e->conns[--e->nconns];
            break;
        }
    while (c->head) {
        struct stream *s = c->head;

        if (s->j)
            finish(e, s, CURLE_RECV_ERROR);
        conn_unlink(c, s);
        stream_put(e, s);
    }
    if (c->sess) {
        nghttp2_session_del(c->sess);
        c->sess = NULL;
    }
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    sock_drop(c);
    uv_timer_stop(&c->ctimer);
    uv_close((uv_handle_t *)&c->ctimer, on_conn_handle_closed);
    /* A resolution in flight releases its hold when its callback runs. */
}

static void on_poll(uv_poll_t *p, int status, int events);

static void want_events(struct conn *c, int events)
{
    if (!c->sk || events == c->events)
        return;
    c->events = events;
    uv_poll_start(&c->sk->poll, events, on_poll);
}

/* ---- output ---- */

static int out_append(struct conn *c, const uint8_t *p, size_t n)
{
    if (c->outlen + n > c->outcap) {
        size_t ncap = c->outcap ? c->outcap : 16384;
        unsigned char *nb;

        while (ncap < c->outlen + n)
            ncap *= 2;
        nb = realloc(c->out, ncap);
        if (!nb)
            return -1;
        c->out = nb;
        c->outcap = ncap;
    }
    memcpy(c->out + c->outlen, p, n);
    c->outlen += n;
    return 0;
}

/* Write what is buffered: 0 all written, 1 blocked, -1 failed (c is closed). */
static void do_read(struct conn *c);

static int ssl_out(struct conn *c)
{
    while (c->outoff < c->outlen) {
        int n = SSL_write(c->ssl, c->out + c->outoff, (int)(c->outlen - c->outoff));

        if (n > 0) {
            c->outoff += (size_t)n;
            continue;
        }
        switch (SSL_get_error(c->ssl, n)) {
        case SSL_ERROR_WANT_WRITE:
            c->want_out = true;
            want_events(c, UV_READABLE | UV_WRITABLE);
            return 1;
        case SSL_ERROR_WANT_READ:
            return 1;
        default:
            ERR_clear_error();
            /* The server may have closed after a GOAWAY still waiting to be read: read it first,
             * so that the streams it did not take are sent again rather than failed. */
            do_read(c);
            conn_fail(c, CURLE_SEND_ERROR, "connection lost while sending");
            return -1;
        }
    }
    c->outoff = c->outlen = 0;
    if (c->want_out) {
        c->want_out = false;
        want_events(c, UV_READABLE);
    }
    return 0;
}

/* Close c when both sides are done with it (a GOAWAY and nothing left in flight). */
static void check_ended(struct conn *c)
{
    if (c->st != C_CLOSED && c->sess && !nghttp2_session_want_read(c->sess) &&
        !nghttp2_session_want_write(c->sess) && c->outoff == c->outlen)
        conn_fail(c, 0, NULL);
}

/* Send everything nghttp2 has for c. */
static void flush(struct conn *c)
{
    c->dirty = false;
    while (c->st >= C_SETTINGS && c->st != C_CLOSED) {
        const uint8_t *p;
        ssize_t n;

        if (c->outoff < c->outlen && ssl_out(c))
            return;
        if (!nghttp2_session_want_write(c->sess))
            break;
        while (c->outlen < OUT_HIGH && (n = nghttp2_session_mem_send(c->sess, &p)) != 0) {
            if (n < 0 || out_append(c, p, (size_t)n)) {
                conn_fail(c, CURLE_SEND_ERROR, n < 0 ? nghttp2_strerror((int)n) : "out of memory");
                return;
            }
        }
        if (!c->outlen)
            break;
    }
    check_ended(c);
}

/* ---- nghttp2 callbacks (never report jobs or close connections from here) ---- */

static ssize_t read_body(nghttp2_session *sess, int32_t id, uint8_t *buf, size_t len,
                         uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    struct stream *s = nghttp2_session_get_stream_user_data(sess, id);
    size_t rem, n;

    (void)src;
    (void)ud;
    if (!s || !s->j)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* given back: nghttp2 resets it */
    rem = s->j->body.len - s->body_off;
    n = rem < len ? rem : len;
    memcpy(buf, s->j->body.p + s->body_off, n);
    s->body_off += n;
    if (s->body_off == s->j->body.len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static int on_header(nghttp2_session *sess, const nghttp2_frame *f, const uint8_t *name,
                     size_t nlen, const uint8_t *val, size_t vlen, uint8_t flags, void *ud)
{
    struct stream *s;
    char line[512];

    (void)flags;
    (void)ud;
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat == NGHTTP2_HCAT_HEADERS)
        return 0; /* trailers carry nothing we use */
    /* Only :status and names the rate-limit parser knows (they start with x- or retry-) matter:
     * the others (date, server, content-*) cost no stream lookup. */
    if (!nlen || (name[0] != ':' && name[0] != 'x' && name[0] != 'r'))
        return 0;
    s = nghttp2_session_get_stream_user_data(sess, f->hd.stream_id);
    if (!s || !s->j)
        return 0;
    if (nlen == 7 && !memcmp(name, ":status", 7)) {
        long st = 0;
        size_t i;

        for (i = 0; i < vlen && i < 3 && val[i] >= '0' && val[i] <= '9'; i++)
            st = st * 10 + (val[i] - '0');
        sl_ratelimit_view_clear(&s->j->rl); /* a new response (1xx before the final one) */
        if (st >= 200)
            s->j->status = st;
        return 0;
    }
    if (name[0] != ':' && nlen + vlen + 2 <= sizeof(line)) {
        memcpy(line, name, nlen);
        line[nlen] = ':';
        line[nlen + 1] = ' ';
        memcpy(line + nlen + 2, val, vlen);
        sl_ratelimit_header(&s->j->rl, line, nlen + 2 + vlen, (int64_t)time(NULL));
    }
    return 0;
}

static int on_data(nghttp2_session *sess, uint8_t flags, int32_t id, const uint8_t *data,
                   size_t len, void *ud)
{
    struct stream *s = nghttp2_session_get_stream_user_data(sess, id);
    struct conn *c = ud;

    (void)flags;
    if (!s || !s->j || s->err)
        return 0;
    if (sl_buf_append(&s->j->resp, data, len)) {
        s->err = CURLE_WRITE_ERROR; /* over the cap */
        nghttp2_submit_rst_stream(sess, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        c->dirty = true;
    }
    return 0;
}

static int on_stream_close(nghttp2_session *sess, int32_t id, uint32_t code, void *ud)
{
    struct stream *s = nghttp2_session_get_stream_user_data(sess, id);
    struct conn *c = ud;
    struct sl_h2 *e = c->e;

    if (!s || s->c != c || s->id != id)
        return 0;
    conn_unlink(c, s);
    if (!s->j) {
        stream_put(e, s);
        return 0;
    }
    if (s->err) {
        finish(e, s, s->err);
    } else if (code == NGHTTP2_NO_ERROR && s->j->status >= 200) {
        finish(e, s, CURLE_OK);
    } else if (code == NGHTTP2_REFUSED_STREAM && may_requeue(c, s)) {
        requeue(e, c, s); /* the server did not process it (RST or above GOAWAY's last id) */
        return 0;
    } else {
        finish(e, s, CURLE_HTTP2_STREAM);
    }
    stream_put(e, s);
    return 0;
}

/* A request whose HEADERS never went out (GOAWAY arrived first, or it was cancelled). */
static int on_not_sent(nghttp2_session *sess, const nghttp2_frame *f, int err, void *ud)
{
    struct conn *c = ud;
    struct stream *s;

    (void)sess;
    if (f->hd.type != NGHTTP2_HEADERS)
        return 0;
    for (s = c->head; s; s = s->next)
        if (s->id == f->hd.stream_id)
            break;
    if (!s)
        return 0;
    conn_unlink(c, s);
    if (!s->j)
        stream_put(c->e, s);
    else if (may_requeue(c, s))
        requeue(c->e, c, s);
    else {
        finish(c->e, s, CURLE_SEND_ERROR);
        stream_put(c->e, s);
    }
    (void)err;
    return 0;
}

static unsigned conn_limit(const struct conn *c);

static int on_frame(nghttp2_session *sess, const nghttp2_frame *f, void *ud)
{
    struct conn *c = ud;

    (void)sess;
    if (f->hd.type == NGHTTP2_SETTINGS && !(f->hd.flags & NGHTTP2_FLAG_ACK) &&
        c->st == C_SETTINGS) {
        c->st = C_READY;
        c->e->streams_hint = conn_limit(c);
        uv_timer_stop(&c->ctimer);
        c->e->last_err[0] = '\0';
    } else if (f->hd.type == NGHTTP2_GOAWAY) {
        if (c->goaway_last < 0 || f->goaway.last_stream_id < c->goaway_last)
            c->goaway_last = f->goaway.last_stream_id;
        if (c->st <= C_READY)
            c->st = C_DRAINING;
    } else if (f->hd.type == NGHTTP2_PING && (f->hd.flags & NGHTTP2_FLAG_ACK) && c->ping_out) {
        c->ping_out = false;
        uv_timer_stop(&c->ctimer);
    }
    return 0;
}

/* ---- reading ---- */

/* c's read BIO: OpenSSL takes the ciphertext straight from rb (no copy into a memory BIO). Empty:
 * "retry", or EOF once the socket said so. */
static int rb_read(BIO *b, char *out, size_t outl, size_t *got)
{
    struct conn *c = BIO_get_data(b);
    size_t n = c->rb_len - c->rb_off;

    BIO_clear_retry_flags(b);
    *got = 0;
    if (!n) {
        if (!c->rb_eof)
            BIO_set_retry_read(b);
        return 0;
    }
    if (n > outl)
        n = outl;
    memcpy(out, c->rb + c->rb_off, n);
    c->rb_off += n;
    *got = n;
    return 1;
}

static long rb_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    struct conn *c = BIO_get_data(b);

    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_PENDING:
        return (long)(c->rb_len - c->rb_off);
    case BIO_CTRL_EOF:
        return c->rb_eof && c->rb_off == c->rb_len;
    case BIO_CTRL_FLUSH:
        return 1;
    default:
        return 0;
    }
}

/* Move what the socket has into rb: >0 bytes, 0 nothing now, -1 EOF or error (rb_read then
 * reports EOF once rb is empty, so SSL_read still returns what it holds first). */
static int sock_fill(struct conn *c)
{
    ssize_t n;

    if (c->rb_off == c->rb_len) {
        c->rb_off = c->rb_len = 0;
    } else if (c->rb_off) { /* OpenSSL stopped taking (a handshake step, a write it waits for) */
        memmove(c->rb, c->rb + c->rb_off, c->rb_len - c->rb_off);
        c->rb_len -= c->rb_off;
        c->rb_off = 0;
    }
    c->rb_more = false;
    if (c->rb_len == RBUF_SIZE)
        return 0;
    do
        n = read(c->sk->fd, c->rb + c->rb_len, RBUF_SIZE - c->rb_len);
    while (n < 0 && errno == EINTR);
    if (n > 0) {
        c->rb_more = c->rb_len + (size_t)n == RBUF_SIZE;
        c->rb_len += (size_t)n;
        return (int)n;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    c->rb_eof = true;
    return -1;
}

/* Hand n bytes of plaintext to nghttp2: 0, or -1 when that failed c (closed). */
static int feed(struct conn *c, size_t n)
{
    ssize_t used = nghttp2_session_mem_recv(c->sess, c->e->pbuf, n);

    if (used < 0) {
        char why[128];

        snprintf(why, sizeof(why), "protocol error: %s", nghttp2_strerror((int)used));
        conn_fail(c, CURLE_HTTP2, why);
        return -1;
    }
    return 0;
}

/* Read what c's socket holds. The plaintext of several TLS records is collected before nghttp2
 * gets it (one call per batch, not per record), and always before the connection's end is acted
 * on, so a GOAWAY read together with the EOF is processed first. */
static void do_read(struct conn *c)
{
    struct sl_h2 *e = c->e;
    int got;
    size_t have = 0;
    bool eof_seen = false;

    if (c->st == C_CLOSED || !c->sk || !c->sess)
        return;
    got = sock_fill(c);
    for (;;) {
        int n, err;

        if (sizeof(e->pbuf) - have < 16384) { /* room for a full record */
            if (feed(c, have))
                return;
            have = 0;
        }
        n = SSL_read(c->ssl, e->pbuf + have, (int)(sizeof(e->pbuf) - have));
        if (n > 0) {
            have += (size_t)n;
            continue;
        }
        err = SSL_get_error(c->ssl, n);
        if (have) {
            if (feed(c, have))
                return;
            have = 0;
        }
        if (err == SSL_ERROR_WANT_READ) {
            if (c->rb_more && (got = sock_fill(c)) > 0)
                continue; /* the socket may hold more */
            if (got >= 0)
                break;
            if (!eof_seen) {
                eof_seen = true;
                continue; /* EOF: SSL_read returns what it holds, then says so */
            }
        }
        if (err == SSL_ERROR_WANT_WRITE) {
            want_events(c, UV_READABLE | UV_WRITABLE);
            break;
        }
        ERR_clear_error();
        /* EOF or reset: quiet when nothing was in flight on it (idle close). */
        conn_fail(c, c->nstreams ? CURLE_RECV_ERROR : 0,
                  c->nstreams ? "connection closed with responses outstanding" : NULL);
        return;
    }
    if (nghttp2_session_want_write(c->sess))
        c->dirty = true;
}

/* ---- connecting ---- */

static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
    struct sl_h2 *e = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));

    if (!SSL_SESSION_is_resumable(sess))
        return 0;
    if (e->tls_sess)
        SSL_SESSION_free(e->tls_sess);
    e->tls_sess = sess;
    return 1; /* we keep the reference */
}

static void start_session(struct conn *c)
{
    struct sl_h2 *e = c->e;
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW},
        /* RFC 9218: we send no RFC 7540 priorities. nghttp2 (1.49+) then schedules a client's
         * streams without the dependency tree, whatever the server's SETTINGS say (its fallback
         * to the tree is a server-only option); callgrind: ~190 fewer instructions per request. */
        {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
    };
    const unsigned char *alpn = NULL;
    unsigned alpn_len = 0;

    SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
    if (alpn_len != 2 || memcmp(alpn, "h2", 2)) {
        /* An HTTP/1.1-only server: libcurl carries the jobs from now on. */
        e->no_h2 = true;
        sl_log(SL_LOG_INFO, "%s does not offer HTTP/2 (ALPN): using libcurl", e->authority);
        conn_close(c);
        while (e->qhead) {
            struct stream *s = e->qhead;
            struct sl_job *j = s->j;

            tlist_unlink(e, s);
            pending_unlink(e, s);
            stream_put(e, s);
            j->easy = NULL;
            job_push(&e->fhead, &e->ftail, j);
        }
        while (e->nconns)
            conn_close(e->conns[0]);
        return;
    }
    if (nghttp2_session_client_new3(&c->sess, e->cbs, c, e->nopt, &e->mem) ||
        nghttp2_submit_settings(c->sess, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0])) ||
        nghttp2_session_set_local_window_size(c->sess, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW)) {
        conn_fail(c, CURLE_OUT_OF_MEMORY, "cannot start an HTTP/2 session");
        return;
    }
    c->st = C_SETTINGS;
    want_events(c, UV_READABLE);
    flush(c);
}

static void do_handshake(struct conn *c)
{
    int rc = SSL_connect(c->ssl), err;
    char why[300];
    long vr;

    if (rc == 1) {
        start_session(c);
        return;
    }
    err = SSL_get_error(c->ssl, rc);
    if (err == SSL_ERROR_WANT_READ) {
        want_events(c, UV_READABLE);
        return;
    }
    if (err == SSL_ERROR_WANT_WRITE) {
        want_events(c, UV_WRITABLE);
        return;
    }
    vr = SSL_get_verify_result(c->ssl);
    if (vr != X509_V_OK) {
        snprintf(why, sizeof(why), "TLS certificate verification failed: %s",
                 X509_verify_cert_error_string(vr));
        ERR_clear_error();
        conn_fail(c, CURLE_PEER_FAILED_VERIFICATION, why);
        return;
    }
    {
        unsigned long ec = ERR_peek_last_error();
        char ebuf[200];

        if (ec)
            ERR_error_string_n(ec, ebuf, sizeof(ebuf));
        else
            snprintf(ebuf, sizeof(ebuf), "connection closed");
        snprintf(why, sizeof(why), "SSL handshake failed: %s", ebuf);
    }
    ERR_clear_error();
    conn_fail(c, CURLE_SSL_CONNECT_ERROR, why);
}

static int start_tls(struct conn *c)
{
    struct sl_h2 *e = c->e;

    BIO *wbio;

    c->ssl = SSL_new(e->ctx);
    if (!c->ssl)
        return -1;
    if (!c->rb && !(c->rb = malloc(RBUF_SIZE)))
        return -1;
    c->rb_off = c->rb_len = 0;
    c->rb_eof = c->rb_more = false;
    c->rbio = BIO_new(e->rbm);
    wbio = BIO_new_socket(c->sk->fd, BIO_NOCLOSE);
    if (!c->rbio || !wbio) {
        BIO_free(c->rbio);
        BIO_free(wbio);
        c->rbio = NULL;
        return -1;
    }
    BIO_set_data(c->rbio, c);
    BIO_set_init(c->rbio, 1);
    SSL_set_bio(c->ssl, c->rbio, wbio);
    if (e->host_is_ip) {
        if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), e->host))
            return -1;
    } else {
        SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (!SSL_set1_host(c->ssl, e->host) || !SSL_set_tlsext_host_name(c->ssl, e->host))
            return -1;
    }
    if (e->tls_sess)
        SSL_set_session(c->ssl, e->tls_sess);
    SSL_set_connect_state(c->ssl);
    c->st = C_TLS;
    do_handshake(c);
    return 0;
}

static void try_connect(struct conn *c);

static void on_connected(struct conn *c)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(c->sk->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
        sock_drop(c);
        try_connect(c); /* the next address, if any */
        return;
    }
    if (start_tls(c)) {
        ERR_clear_error();
        conn_fail(c, CURLE_SSL_CONNECT_ERROR, "cannot set up TLS");
    }
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct sockh *sk = (struct sockh *)p;
    struct conn *c = sk->c;

    if (!c)
        return;
    switch (c->st) {
    case C_CONNECTING:
        on_connected(c);
        break;
    case C_TLS:
        if ((events & UV_READABLE) && sock_fill(c) < 0 && c->rb_off == c->rb_len) {
            conn_fail(c, CURLE_SSL_CONNECT_ERROR, "SSL handshake failed: connection closed");
            break;
        }
        do_handshake(c);
        break;
    case C_SETTINGS:
    case C_READY:
    case C_DRAINING:
        if (status < 0) {
            /* A reset (POLLERR, the handle is now stopped) may arrive with answers and a GOAWAY
             * still unread in the socket: read them first (read() returns them before the
             * error), then the connection is gone. */
            do_read(c);
            conn_fail(c, CURLE_RECV_ERROR, "socket error");
            break;
        }
        if (events & UV_READABLE)
            do_read(c);
        if (c->st != C_CLOSED && (c->want_out || c->outoff < c->outlen))
            flush(c);
        else
            check_ended(c);
        break;
    default:
        break;
    }
}

static void try_connect(struct conn *c)
{
    struct sl_h2 *e = c->e;

    for (; c->ai_next; c->ai_next = c->ai_next->ai_next) {
        struct addrinfo *a = c->ai_next;
        int one = 1, fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        struct sockh *sk;

        if (fd < 0)
            continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        if (connect(fd, a->ai_addr, a->ai_addrlen) && errno != EINPROGRESS) {
            close(fd);
            continue;
        }
        sk = calloc(1, sizeof(*sk));
        if (!sk || uv_poll_init_socket(e->loop, &sk->poll, fd)) {
            free(sk);
            close(fd);
            continue;
        }
        sk->fd = fd;
        sk->c = c;
        c->sk = sk;
        c->st = C_CONNECTING;
        c->ai_next = a->ai_next;
        want_events(c, UV_WRITABLE);
        return;
    }
    conn_fail(c, CURLE_COULDNT_CONNECT, "cannot connect");
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct conn *c = req->data;

    c->gai_busy = false;
    if (c->st == C_CLOSED) {
        if (res)
            uv_freeaddrinfo(res);
        conn_release(c);
        return;
    }
    c->handles--; /* the resolution's hold; the timer's is still there */
    if (status < 0) {
        char why[200];

        snprintf(why, sizeof(why), "cannot resolve the host: %s", uv_strerror(status));
        conn_fail(c, CURLE_COULDNT_RESOLVE_HOST, why);
    } else {
        c->ai = c->ai_next = res;
        try_connect(c);
    }
    pump(c->e);
}

static void on_connect_timeout(uv_timer_t *t)
{
    struct conn *c = t->data;
    struct sl_h2 *e = c->e;

    if (c->ping_out)
        conn_fail(c, CURLE_RECV_ERROR, "connection unresponsive (no answer to a PING)");
    else
        conn_fail(c, CURLE_OPERATION_TIMEDOUT, "connection timed out");
    pump(e);
}

static void conn_open(struct sl_h2 *e)
{
    struct conn *c = calloc(1, sizeof(*c));
    struct addrinfo hints = {0};

    if (!c)
        return;
    c->e = e;
    c->st = C_RESOLVING;
    c->goaway_last = -1;
    uv_timer_init(e->loop, &c->ctimer);
    c->ctimer.data = c;
    c->handles = 1;
    e->handles++;
    e->conns[e->nconns++] = c;
    if (e->o.connect_timeout_ms > 0)
        uv_timer_start(&c->ctimer, on_connect_timeout, (uint64_t)e->o.connect_timeout_ms, 0);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    if (e->host_is_ip)
        hints.ai_flags = AI_NUMERICHOST;
    c->gai.data = c;
    c->handles++;
    c->gai_busy = true;
    if (uv_getaddrinfo(e->loop, &c->gai, on_resolved, e->host, e->port, &hints)) {
        c->gai_busy = false;
        c->handles--;
        conn_fail(c, CURLE_COULDNT_RESOLVE_HOST, "cannot resolve the host");
    }
}

/* ---- scheduling ---- */

static unsigned conn_limit(const struct conn *c)
{
    uint32_t srv = nghttp2_session_get_remote_settings(c->sess,
                                                       NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
    uint32_t mine = c->e->o.max_streams > 0 ? (uint32_t)c->e->o.max_streams : 100;

    return srv < mine ? srv : mine;
}

/* Split the header line of node h into hn (see struct hname). */
static void hname_set(struct hname *hn, const struct curl_slist *h)
{
    const char *line = h->data, *colon = strchr(line, ':');
    size_t i, nl = colon ? (size_t)(colon - line) : 0;

    hn->node = h;
    hn->nl = 0;
    if (!nl || nl >= sizeof(hn->low))
        return;
    for (i = 0; i < nl; i++) {
        hn->orig[i] = line[i];
        hn->low[i] = (char)((line[i] >= 'A' && line[i] <= 'Z') ? line[i] + 32 : line[i]);
    }
    /* The key is sent never-indexed (kept out of the HPACK tables). */
    hn->flags = (nl == 13 && !memcmp(hn->low, "authorization", 13)) ||
                        (nl == 7 && !memcmp(hn->low, "api-key", 7))
                    ? NGHTTP2_NV_FLAG_NO_INDEX
                    : NGHTTP2_NV_FLAG_NONE;
    hn->nl = nl;
}

static int submit(struct conn *c, struct stream *s)
{
    struct sl_h2 *e = c->e;
    struct sl_job *j = s->j;
    nghttp2_nv nv[32];
    size_t n = 0;
    char path[MAX_PATH], clen[24];
    const char *p = j->path;
    struct curl_slist *h;
    unsigned hk;
    nghttp2_data_provider dp = {.read_callback = read_body};
    int32_t id;

#define NV(nm, nmlen, v, vlen, fl)                                                           \
    do {                                                                                       \
        nv[n].name = (uint8_t *)(nm);                                                          \
        nv[n].namelen = (nmlen);                                                               \
        nv[n].value = (uint8_t *)(v);                                                          \
        nv[n].valuelen = (vlen);                                                               \
        nv[n].flags = (fl);                                                                    \
        n++;                                                                                   \
    } while (0)
    if (e->base[0]) {
        int k = snprintf(path, sizeof(path), "%s%s", e->base, j->path);

        if (k < 0 || (size_t)k >= sizeof(path))
            return SL_ETOOBIG;
        p = path;
    }
    NV(":method", 7, "POST", 4, NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE);
    NV(":scheme", 7, "https", 5, NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE);
    NV(":authority", 10, e->authority, strlen(e->authority), NGHTTP2_NV_FLAG_NO_COPY_NAME);
    NV(":path", 5, p, strlen(p), NGHTTP2_NV_FLAG_NO_COPY_NAME);
    /* Shared "Name: value" lines, read at each request (the key may rotate on SIGHUP): the
     * names' split is cached, the values are taken as they are now. nghttp2 copies both. */
    for (h = e->o.headers, hk = 0; h && hk < MAX_HDRS; h = h->next, hk++) {
        struct hname *hn = &e->hn[hk];
        const char *line = h->data, *v;

        if (hn->node != h || !hn->nl || strncmp(line, hn->orig, hn->nl) || line[hn->nl] != ':')
            hname_set(hn, h);
        if (!hn->nl)
            continue;
        for (v = line + hn->nl + 1; *v == ' ' || *v == '\t'; v++)
            ;
        if (!*v)
            continue; /* "Name:" with no value: curl would drop the header too */
        NV(hn->low, hn->nl, v, strlen(v), hn->flags);
    }
    /* Values that change with every request stay out of the HPACK dynamic table: indexing them
     * only churns it (measured: ~100 memcmp per request in the table search). The connection's
     * first idempotency-key is indexed, though, so that the later ones refer to its name in the
     * table instead of spelling (and Huffman-coding) it each time: one entry, never churned. */
    NV("idempotency-key", 15, j->idem_key, strlen(j->idem_key),
       NGHTTP2_NV_FLAG_NO_COPY_NAME | (c->idem_named ? NGHTTP2_NV_FLAG_NO_INDEX : 0));
    NV("content-length", 14, clen, sl_fmt_u64(clen, j->body.len),
       NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_INDEX);
#undef NV
    s->body_off = 0;
    id = nghttp2_submit_request(c->sess, NULL, nv, n, j->body.len ? &dp : NULL, s);
    if (id < 0)
        return SL_EIO;
    s->id = id;
    s->c = c;
    c->idem_named = true;
    s->prev = NULL;
    s->next = c->head;
    if (c->head)
        c->head->prev = s;
    c->head = s;
    c->nstreams++;
    c->dirty = true;
    return 0;
}

static struct conn *pick(struct sl_h2 *e)
{
    unsigned i;

    for (i = 0; i < e->nconns; i++) {
        struct conn *c = e->conns[i];

        if (c->st == C_READY && c->nstreams < conn_limit(c))
            return c;
    }
    return NULL;
}

/* Give pending jobs to connections with room; open connections for the rest. */
static void pump(struct sl_h2 *e)
{
    unsigned i, opening = 0;
    unsigned per = e->o.max_streams > 0 ? (unsigned)e->o.max_streams : 100;

    /* What a connection still opening will offer: 100 (a common limit, and the least RFC 9113
     * recommends), or more if the server said so, so that a limit of ours above 100 neither
     * opens connections one after the other against a server allowing 100 nor opens more of
     * them than a limit of 100 did against a server allowing fewer. */
    if (per > 100)
        per = e->streams_hint > 100 ? (e->streams_hint < per ? e->streams_hint : per) : 100;

    if (e->closing || e->no_h2)
        return;
    while (e->qhead) {
        struct conn *c = pick(e);
        struct stream *s = e->qhead;

        if (!c)
            break;
        pending_unlink(e, s);
        if (submit(c, s)) {
            finish(e, s, CURLE_SEND_ERROR);
            stream_put(e, s);
        }
    }
    if (!e->qhead)
        return;
    for (i = 0; i < e->nconns; i++)
        if (e->conns[i]->st < C_READY)
            opening++;
    while (e->nq > opening * per && e->nconns < MAX_CONNS) {
        conn_open(e);
        opening++;
    }
}

/* Report finished jobs (outside any nghttp2 call). The callbacks may start, abort or destroy. */
static void deliver(struct sl_h2 *e)
{
    if (e->delivering)
        return;
    e->delivering = true;
    while (!e->closing && (e->fhead || e->dhead)) {
        bool fb = e->fhead != NULL;
        struct sl_job **head = fb ? &e->fhead : &e->dhead, **tail = fb ? &e->ftail : &e->dtail;
        struct sl_job *j = *head;

        *head = j->next;
        if (!*head)
            *tail = NULL;
        j->next = NULL;
        e->inflight--;
        (fb ? e->fallback : e->cb)(e->ud, j);
    }
    e->delivering = false;
}

static void on_timeout(uv_timer_t *t);

static void rearm(struct sl_h2 *e)
{
    uint64_t now;

    if (e->closing || !e->thead || e->o.timeout_ms <= 0)
        return;
    now = mono_ms();
    uv_timer_start(&e->ttimer, on_timeout,
                   e->thead->deadline > now ? e->thead->deadline - now : 0, 0);
}

static void on_timeout(uv_timer_t *t)
{
    struct sl_h2 *e = t->data;
    uint64_t now = mono_ms();

    while (e->thead && e->thead->deadline <= now)
        give_back(e, e->thead, CURLE_OPERATION_TIMEDOUT);
    rearm(e);
    deliver(e);
    pump(e);
}

static void on_prepare(uv_prepare_t *p)
{
    struct sl_h2 *e = p->data;
    unsigned i;

    deliver(e);
    pump(e);
    for (i = 0; i < e->nconns; i++) {
        struct conn *c = e->conns[i];

        if (c->dirty && c->st >= C_SETTINGS && !c->want_out) {
            flush(c);
            if (c->st == C_CLOSED)
                i--; /* swapped out of the array */
        }
    }
    if (e->dhead || e->fhead) /* a connection failed while flushing */
        deliver(e);
}

/* ---- public ---- */

static int parse_endpoint(struct sl_h2 *e)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL, *path = NULL;
    unsigned char a[16];
    size_t hl, pl;
    int rc = SL_ECONFIG;

    if (!u)
        return -12;
    if (curl_url_set(u, CURLUPART_URL, e->o.endpoint, 0) ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ||
        curl_url_get(u, CURLUPART_PATH, &path, 0))
        goto out;
    hl = strlen(host);
    if (strlen(port) >= sizeof(e->port))
        goto out;
    snprintf(e->port, sizeof(e->port), "%s", port);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']')
        e->host = strndup(host + 1, hl - 2);
    else
        e->host = strdup(host);
    e->authority = malloc(hl + 8);
    pl = strlen(path);
    while (pl && path[pl - 1] == '/')
        pl--;
    e->base = strndup(path, pl);
    if (!e->host || !e->authority || !e->base) {
        rc = -12;
        goto out;
    }
    if (!strcmp(port, "443"))
        snprintf(e->authority, hl + 8, "%s", host);
    else
        snprintf(e->authority, hl + 8, "%s:%s", host, port);
    e->host_is_ip = inet_pton(AF_INET, e->host, a) == 1 || inet_pton(AF_INET6, e->host, a) == 1;
    rc = 0;
out:
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(u);
    return rc;
}

static int setup_tls(struct sl_h2 *e)
{
    /* http/1.1 is offered too, only so that an HTTP/1.1 server answers (strict servers refuse a
     * handshake with no protocol in common) and we can hand its jobs to libcurl. */
    static const unsigned char alpn[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

    e->ctx = SSL_CTX_new(TLS_client_method());
    if (!e->ctx)
        return -12;
    SSL_CTX_set_app_data(e->ctx, e);
    if (!SSL_CTX_set_min_proto_version(e->ctx, TLS1_2_VERSION))
        return SL_ECONFIG;
    SSL_CTX_set_verify(e->ctx, SSL_VERIFY_PEER, NULL);
    if (e->o.cacert) {
        if (!SSL_CTX_load_verify_locations(e->ctx, e->o.cacert, NULL)) {
            ERR_clear_error();
            sl_log(SL_LOG_ERROR, "cannot load the CA bundle %s", e->o.cacert);
            return SL_ECONFIG;
        }
    } else if (!SSL_CTX_set_default_verify_paths(e->ctx)) {
        ERR_clear_error();
        sl_log(SL_LOG_ERROR, "cannot load the system CA certificates");
        return SL_ECONFIG;
    }
    if (SSL_CTX_set_alpn_protos(e->ctx, alpn, sizeof(alpn)))
        return SL_ECONFIG;
    SSL_CTX_set_mode(e->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_session_cache_mode(e->ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(e->ctx, new_session_cb);
    e->rbm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sluice h2 read buffer");
    if (!e->rbm || !BIO_meth_set_read_ex(e->rbm, rb_read) || !BIO_meth_set_ctrl(e->rbm, rb_ctrl))
        return -12;
    return 0;
}

static void *ng_malloc(size_t n, void *ud)
{
    return sl_mpool_alloc(ud, n);
}

static void ng_free(void *p, void *ud)
{
    sl_mpool_free(ud, p);
}

static void *ng_calloc(size_t nmemb, size_t size, void *ud)
{
    return sl_mpool_calloc(ud, nmemb, size);
}

static void *ng_realloc(void *p, size_t n, void *ud)
{
    return sl_mpool_realloc(ud, p, n);
}

static int setup_nghttp2(struct sl_h2 *e)
{
    e->mem.mem_user_data = &e->pool;
    e->mem.malloc = ng_malloc;
    e->mem.free = ng_free;
    e->mem.calloc = ng_calloc;
    e->mem.realloc = ng_realloc;
    if (nghttp2_session_callbacks_new(&e->cbs) || nghttp2_option_new(&e->nopt))
        return -12;
    nghttp2_session_callbacks_set_on_header_callback(e->cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(e->cbs, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(e->cbs, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_recv_callback(e->cbs, on_frame);
    nghttp2_session_callbacks_set_on_frame_not_send_callback(e->cbs, on_not_sent);
    nghttp2_option_set_peer_max_concurrent_streams(e->nopt, 100);
    return 0;
}

int sl_h2_create(uv_loop_t *loop, const struct sl_http_opts *o, sl_http_done_cb cb,
                 sl_http_done_cb fallback, void *ud, struct sl_h2 **out)
{
    struct sl_h2 *e = calloc(1, sizeof(*e));
    int rc;

    if (!e)
        return -12;
    e->loop = loop;
    e->o = *o;
    e->cb = cb;
    e->fallback = fallback;
    e->ud = ud;
    if ((rc = parse_endpoint(e)) || (rc = setup_tls(e)) || (rc = setup_nghttp2(e))) {
        e->closing = true;
        e->handles = 1;
        engine_release(e);
        return rc;
    }
    uv_timer_init(loop, &e->ttimer);
    e->ttimer.data = e;
    uv_prepare_init(loop, &e->prep);
    e->prep.data = e;
    uv_prepare_start(&e->prep, on_prepare);
    uv_unref((uv_handle_t *)&e->prep);
    e->handles = 2;
    *out = e;
    return 0;
}

bool sl_h2_usable(const struct sl_h2 *e)
{
    return e && !e->no_h2;
}

int sl_h2_start(struct sl_h2 *e, struct sl_job *j)
{
    struct stream *s;

    if (e->no_h2 || e->closing)
        return SL_EIO;
    s = stream_get(e);
    if (!s)
        return -12;
    sl_buf_reset(&j->resp);
    j->resp.max = e->o.max_response ? e->o.max_response : (64u << 20);
    sl_ratelimit_view_clear(&j->rl);
    j->status = 0;
    j->curl_code = 0;
    j->sent_ms = mono_ms();
    j->easy = s;
    s->j = j;
    s->deadline = e->o.timeout_ms > 0 ? j->sent_ms + (uint64_t)e->o.timeout_ms : UINT64_MAX;
    s->tprev = e->ttail;
    if (e->ttail)
        e->ttail->tnext = s;
    else
        e->thead = s;
    e->ttail = s;
    e->inflight++;
    pending_push(e, s, false);
    if (!uv_is_active((uv_handle_t *)&e->ttimer))
        rearm(e);
    pump(e);
    return 0;
}

unsigned sl_h2_inflight(const struct sl_h2 *e)
{
    return e ? e->inflight : 0;
}

static void drop_all(struct sl_h2 *e, void (*cb)(void *ud, struct sl_job *j), void *ud)
{
    struct sl_job *j;

    while (e->thead)
        give_back(e, e->thead, CURLE_ABORTED_BY_CALLBACK);
    while (e->fhead || e->dhead) {
        struct sl_job **head = e->fhead ? &e->fhead : &e->dhead;

        j = *head;
        *head = j->next;
        j->next = NULL;
        e->inflight--;
        if (cb)
            cb(ud, j);
    }
    e->dtail = e->ftail = NULL;
}

void sl_h2_abort_all(struct sl_h2 *e, void (*cb)(void *ud, struct sl_job *j), void *ud)
{
    if (e)
        drop_all(e, cb, ud);
}

void sl_h2_destroy(struct sl_h2 *e)
{
    if (!e || e->closing)
        return;
    drop_all(e, NULL, NULL);
    e->closing = true;
    while (e->nconns)
        conn_close(e->conns[0]);
    uv_timer_stop(&e->ttimer);
    uv_close((uv_handle_t *)&e->ttimer, on_engine_handle_closed);
    uv_close((uv_handle_t *)&e->prep, on_engine_handle_closed);
}
