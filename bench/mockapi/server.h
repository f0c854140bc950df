/* server.h: the mock's HTTP side: TLS context, listener, h2o handler that answers OpenAI-style
 * requests with configured quota, latency and faults, plus /mock/stats and the --record file.
 *
 * One server per process, created and run on one uv loop (loop thread only). Create it, then
 * start it; stop it from a signal or timer callback (it closes the listener and flushes the
 * record); destroy it after uv_run has returned.
 */
#ifndef MOCK_SERVER_H
#define MOCK_SERVER_H

#include <stdint.h>

#include <uv.h>

struct mock_opts {
    const char *cert, *key;
    const char *listen;    /* "127.0.0.1:0", "[::1]:8443" */
    const char *port_file; /* may be NULL */
    const char *record;    /* may be NULL */
    int plain;
    int tls_min, tls_max; /* OpenSSL TLS1_x_VERSION constants */
    int quiet, no_rl_headers, quota_exhausted, echo;
    int pretty; /* --pretty: 200 bodies indented over several lines, as OpenAI sends them */
    uint64_t rpm, tpm, window_ms;
    double time_scale;
    uint64_t latency_ms, jitter_ms, stall_ms, storm_429, seed;
    double fail_rate, html_rate, reset_rate, truncate_rate, nonjson_rate, stall_rate;
};

struct mock_server;

/* Loads cert/key, binds and listens, writes the port file. Returns 0 or a negative code, with a
 * message on stderr. */
int mock_server_create(struct mock_server **out, uv_loop_t *loop, const struct mock_opts *o);

/* Stop accepting and flush the record file; the caller then stops the loop. */
void mock_server_stop(struct mock_server *s);

/* After uv_run returned: flush and free what the server owns. NULL does nothing. */
void mock_server_destroy(struct mock_server *s);

#endif
