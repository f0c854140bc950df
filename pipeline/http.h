/* http.h: the HTTP client of the loop thread, behind one interface with two engines: libcurl
 * multi driven by the libuv loop (uv_poll per socket, one uv_timer, as curl's multi_socket API
 * intends: no curl_multi_perform polling), or the nghttp2 engine of h2.c (opts.h2). Loop thread only.
 *
 * Every transfer: POST endpoint+path with the shared headers (auth, content type, user agent) plus
 * the job's Idempotency-Key; TLS 1.2 or newer, peer and host verification always on, an optional CA
 * bundle, HTTP/2 over TLS when the server offers it (multiplexed, PIPEWAIT), no redirects followed
 * (a redirect must never carry the key elsewhere), plain http only where the caller allowed it.
 */
#ifndef SL_HTTP_H
#define SL_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "job.h"

struct sl_http;

typedef void (*sl_http_done_cb)(void *ud, struct sl_job *j);

struct sl_http_opts {
    const char *endpoint;      /* scheme://host[:port][/base], no trailing slash */
    const char *cacert;
    struct curl_slist *headers; /* shared headers, owned by the caller, alive until close */
    bool allow_http;
    long timeout_ms;
    long connect_timeout_ms;
    size_t max_response;       /* bytes; larger bodies fail the attempt */
    long max_streams;          /* HTTP/2 streams per connection */
    bool verbose;
    bool h2;                   /* https: the nghttp2 engine (h2.h), libcurl when the server has no
                                * ALPN h2 or a proxy is set in the environment; http: libcurl */
};

SL_MUST_CHECK int sl_http_create(uv_loop_t *loop, const struct sl_http_opts *o, sl_http_done_cb cb,
                                 void *ud, struct sl_http **out);
/* Start sending j (j->path, j->body, j->idem_header). The done callback runs later on the loop
 * with j->status, j->curl_code, j->resp, j->rl and j->latency_ms set. */
SL_MUST_CHECK int sl_http_start(struct sl_http *h, struct sl_job *j);
unsigned sl_http_inflight(const struct sl_http *h);
/* Do requests share multiplexed HTTP/2 connections (the nghttp2 engine, still usable)? Else each
 * request in flight holds a connection of its own (libcurl, HTTP/1.1) or may (libcurl, h2). */
bool sl_http_multiplexed(const struct sl_http *h);
/* Remove every transfer in flight and hand its job to cb (the caller abandons it). */
void sl_http_abort_all(struct sl_http *h, void (*cb)(void *ud, struct sl_job *j), void *ud);
/* Abort every transfer (their callbacks do not run) and close the handles; free in close cb. */
void sl_http_destroy(struct sl_http *h);

/* Check an endpoint URL: https, or http to a loopback host when allow_http. Writes why on refusal. */
SL_MUST_CHECK int sl_http_check_endpoint(const char *endpoint, bool allow_http, char *why,
                                         size_t cap);

#endif
