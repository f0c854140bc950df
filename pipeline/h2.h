/* h2.h: the HTTP/2 client engine (libnghttp2 framing and HPACK, OpenSSL 3 on the socket, libuv
 * polling). Loop thread only. Used through http.h (sl_http_* picks the engine); not by run.c.
 *
 * Same contract as the curl engine: POST endpoint+path with the shared headers and the job's
 * Idempotency-Key, TLS 1.2 or newer, certificate and host verification always on (system verify
 * paths or the --cacert file only), SNI, ALPN "h2" (a server choosing http/1.1 goes to libcurl),
 * no redirects followed, per-request and
 * connect timeouts, a response size cap. Streams are multiplexed over as few connections as the
 * server's SETTINGS_MAX_CONCURRENT_STREAMS allows; a stream the server refused (REFUSED_STREAM, or
 * above a GOAWAY's last stream id) is sent again on another connection without the caller seeing it.
 * Errors come back as the CURLcode values run.c classifies.
 */
#ifndef SL_H2_H
#define SL_H2_H

#include <uv.h>

#include "http.h"
#include "job.h"

struct sl_h2;

/* cb: a finished attempt (j->status, j->curl_code, j->resp, j->rl, j->latency_ms set).
 * fallback: a job the engine cannot carry because the server did not select ALPN "h2"; the
 * engine has given it up untouched (from then on sl_h2_usable is false). */
SL_MUST_CHECK int sl_h2_create(uv_loop_t *loop, const struct sl_http_opts *o, sl_http_done_cb cb,
                               sl_http_done_cb fallback, void *ud, struct sl_h2 **out);
/* False once the server turned out not to speak HTTP/2. */
bool sl_h2_usable(const struct sl_h2 *e);
SL_MUST_CHECK int sl_h2_start(struct sl_h2 *e, struct sl_job *j);
unsigned sl_h2_inflight(const struct sl_h2 *e);
/* Hand every job in flight (or finished but not yet reported) to cb; no done callback runs. */
void sl_h2_abort_all(struct sl_h2 *e, void (*cb)(void *ud, struct sl_job *j), void *ud);
/* Drop every transfer (no callbacks) and close the connections; memory goes in close callbacks. */
void sl_h2_destroy(struct sl_h2 *e);

#endif
