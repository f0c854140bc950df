/* qredis.h: one quota shared by several sluice processes through Redis (`--quota-redis`).
 *
 * The request and token buckets of the whole fleet live in Redis (hash KEYPREFIX:bucket) and change
 * only inside one Lua script (loaded with SCRIPT LOAD, run with EVALSHA, EVAL again on NOSCRIPT)
 * that reads the clock with TIME, so the hosts' clocks never matter. A process does not ask Redis
 * per request: it takes capacity in leases of SL_QREDIS_LEASE_S of the quota (at least one
 * request, and at least the tokens of the job at hand) and spends them locally, asking for the next
 * lease when half of the current one is gone. A lease is granted once at least half of it is in
 * the bucket, so Redis sees about 2/SL_QREDIS_LEASE_S calls per second per process at most (plus
 * one per wait it announces), whatever the request rate. The local sl_bucket still smooths
 * bursts; run.c's dispatch() sends a job only when both the bucket and the lease credit allow it.
 *
 * A 429 seen by any process pauses all of them: the script also sets KEYPREFIX:pause (server time
 * until which nobody sends, with PX expiry) and every lease call returns the pause in force.
 *
 * When Redis cannot be reached (at start or later), or a lease call hangs, the process goes on at a
 * local share of the quota (--quota-share, default 1/--quota-processes), reconnects with capped
 * backoff and logs the outage once. The fleet then exceeds the quota by at most the leases held.
 *
 * Loop thread only. The Redis connection (hiredis async on the libuv adapter) and the reconnect
 * timer are unreferenced: they never keep the loop alive.
 */
#ifndef SL_QREDIS_H
#define SL_QREDIS_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "err.h"

#define SL_QREDIS_LEASE_S 0.1 /* a lease is this much of the per-second quota */
/* A lease call without answer this long counts as an outage and the connection is replaced. Not
 * shorter: a slow but live Redis must not set one process on its local share while the others still
 * lease the whole quota. It is also how a reset connection is found: hiredis 0.14's libuv adapter
 * drops poll errors, so hiredis never hears of it. */
#define SL_QREDIS_STALL_MS 1000
#define SL_QREDIS_CONNECT_TIMEOUT_MS 500 /* a connect not finished by then is retried */
#define SL_QREDIS_RECONNECT_MIN_MS 100
#define SL_QREDIS_RECONNECT_MAX_MS 2000

/* ---- pure lease arithmetic (tested by tests/test_qredis.c) ---- */

struct sl_qcredit {
    double lease_req, lease_tok; /* lease size (0 = dimension unlimited) */
    double req, tok;             /* credit granted and not yet spent */
};

/* Lease sizes for limits in units per minute (0 = unlimited): SL_QREDIS_LEASE_S of the per-second
 * rate, at least 1 request and at least 1 token. */
void sl_qcredit_init(struct sl_qcredit *c, double rpm, double tpm);

/* Capacity of the shared Redis bucket for one dimension: burst_ms of the per-second rate times
 * 0.95, less the leases `processes` may hold (they can be spent at once), at least one lease. */
double sl_qcredit_capacity(double per_min, double lease, uint64_t burst_ms, unsigned processes);

/* true when the credit pays 1 request and `tokens` tokens (nothing is taken). */
bool sl_qcredit_can(const struct sl_qcredit *c, uint64_t tokens);
void sl_qcredit_spend(struct sl_qcredit *c, uint64_t tokens);
/* Give back a spend that was not sent. */
void sl_qcredit_refund(struct sl_qcredit *c, uint64_t requests, uint64_t tokens);

/* Whether to ask for a lease now, and how much: top each dimension up to its lease (tokens: to
 * max(lease, `tokens`)) once it fell below half of it or below what the job needs. */
bool sl_qcredit_want(const struct sl_qcredit *c, uint64_t tokens, double *ask_req, double *ask_tok);

/* Degraded mode: accrue `share` of the rates (per minute) over dt_ms, never above one lease (or
 * the job's tokens, if larger), so an outage never builds a burst. */
void sl_qcredit_accrue(struct sl_qcredit *c, double rpm, double tpm, double share, uint64_t dt_ms,
                       uint64_t tokens);

/* ---- the Redis client ---- */

struct sl_qredis_cfg {
    const char *url;             /* redis://HOST:PORT/KEYPREFIX (HOST an IP address or name) */
    uint64_t rpm, tpm;           /* the fleet's quota per minute (0 = dimension unlimited) */
    uint64_t burst_ms;           /* as --burst-ms */
    unsigned processes;          /* --quota-processes N */
    double share;                /* --quota-share F (0 = 1/N) */
    bool exact;                  /* no 1% rate headroom */
    void (*on_credit)(void *ud); /* called (loop thread) when a lease or pause arrived */
    void *ud;
};

struct sl_qredis_stats {
    uint64_t degraded_ms;
    uint64_t reconnects; /* connections re-established after a loss */
    uint64_t leases;     /* lease calls answered */
};

struct sl_qredis;

/* Parse redis://HOST:PORT/KEYPREFIX (PORT default 6379, prefix default "sluice"; prefix of
 * [A-Za-z0-9_.:-], at most 100 bytes). Returns 0 or SL_ECONFIG. */
int sl_qredis_parse_url(const char *url, char *host, size_t host_cap, int *port, char *prefix,
                        size_t prefix_cap);

/* Starts connecting at once; failure to reach Redis is not an error (degraded mode). Returns 0,
 * SL_ECONFIG (bad URL or no limit configured) or -ENOMEM. */
int sl_qredis_create(uv_loop_t *loop, const struct sl_qredis_cfg *cfg, struct sl_qredis **out);

/* Reserve 1 request and `tokens` tokens from the lease credit. Returns true and takes them, or
 * false with *wait_ms (>= 1) after which to try again; a lease reply calls on_credit sooner.
 * Asks Redis for the next lease in the background. */
bool sl_qredis_take(struct sl_qredis *q, uint64_t now_ms, uint64_t tokens, uint64_t *wait_ms);
void sl_qredis_refund(struct sl_qredis *q, uint64_t requests, uint64_t tokens);

/* The limits in force per minute (min of configured and learned from x-ratelimit-limit-*, as
 * sl_bucket's rpm_eff/tpm_eff; 0 = not known): a lower one than configured slows this process's
 * refills of the shared bucket and its local share. Every process learns the same limits from the
 * same server, so the fleet converges on them. Cheap; call it after each sl_bucket_sync(). */
void sl_qredis_set_limits(struct sl_qredis *q, double rpm, double tpm);

/* A 429 said to wait `ms`: pause the fleet (published with the next lease call, at once). */
void sl_qredis_pause(struct sl_qredis *q, uint64_t now_ms, uint64_t ms);

void sl_qredis_stats(const struct sl_qredis *q, uint64_t now_ms, struct sl_qredis_stats *out);

/* Disconnect and close the handles (callbacks finish on the loop). Idempotent. */
void sl_qredis_close(struct sl_qredis *q);
/* Free after the loop ran the close callbacks. NULL does nothing. */
void sl_qredis_destroy(struct sl_qredis *q);

#endif
