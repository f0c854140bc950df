/* main.c: sluice-mockapi, an OpenAI-compatible HTTPS mock API for sluice's tests and benchmarks.
 *
 * Parses the command line, creates the server on the default uv loop, and runs it until SIGINT,
 * SIGTERM or --max-seconds (so no test ever leaves a server behind). Single thread.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>
#include <uv.h>

#include "server.h"

/* Kept reachable until exit: live h2o connections still point into it (see server.c). */
static struct mock_server *g_server;
static uv_signal_t g_sigint, g_sigterm;
static uv_timer_t g_deadline;

static void usage(FILE *f)
{
    fputs("usage: sluice-mockapi --cert FILE --key FILE [--listen 127.0.0.1:PORT]\n"
          "  [--port-file FILE] [--plain] [--tls-min V] [--tls-max V] (V: 1.0 1.1 1.2 1.3)\n"
          "  [--rpm N] [--tpm N] [--window-ms MS] [--time-scale X] [--no-ratelimit-headers]\n"
          "  [--latency-ms N] [--jitter-ms N] [--fail-rate P] [--html-rate P] [--reset-rate P]\n"
          "  [--truncate-rate P] [--nonjson-rate P] [--stall-rate P] [--stall-ms N]\n"
          "  [--storm-429 N] [--quota-exhausted] [--seed N] [--record FILE]\n"
          "  [--echo]  answer chat with the last user message instead of a label\n"
          "  [--pretty]  indent 200 bodies over several lines (OpenAI's style)\n"
          "  [--max-seconds N] [--quiet]\n",
          f);
}

static int parse_u64(const char *name, const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || end == s || s[0] == '-') {
        fprintf(stderr, "sluice-mockapi: --%s wants a non-negative integer\n", name);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_double(const char *name, const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || *end || end == s || !isfinite(v) || v < lo || v > hi) {
        fprintf(stderr, "sluice-mockapi: --%s wants a number in [%g, %g]\n", name, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_tls(const char *name, const char *s, int *out)
{
    static const struct {
        const char *name;
        int v;
    } map[] = {{"1.0", TLS1_VERSION},
               {"1.1", TLS1_1_VERSION},
               {"1.2", TLS1_2_VERSION},
               {"1.3", TLS1_3_VERSION}};
    size_t i;

    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(s, map[i].name) == 0) {
            *out = map[i].v;
            return 0;
        }
    }
    fprintf(stderr, "sluice-mockapi: --%s wants 1.0, 1.1, 1.2 or 1.3\n", name);
    return -1;
}

enum {
    OPT_CERT = 256,
    OPT_KEY,
    OPT_LISTEN,
    OPT_PORT_FILE,
    OPT_PLAIN,
    OPT_TLS_MIN,
    OPT_TLS_MAX,
    OPT_RPM,
    OPT_TPM,
    OPT_WINDOW,
    OPT_SCALE,
    OPT_NO_RL,
    OPT_LAT,
    OPT_JIT,
    OPT_FAIL,
    OPT_HTML,
    OPT_RESET,
    OPT_TRUNC,
    OPT_NONJSON,
    OPT_STALL,
    OPT_STALL_MS,
    OPT_STORM,
    OPT_EXHAUSTED,
    OPT_SEED,
    OPT_RECORD,
    OPT_MAX_SECONDS,
    OPT_QUIET,
    OPT_ECHO,
    OPT_PRETTY,
    OPT_HELP
};

static const struct option LONGOPTS[] = {
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"port-file", required_argument, NULL, OPT_PORT_FILE},
    {"plain", no_argument, NULL, OPT_PLAIN},
    {"tls-min", required_argument, NULL, OPT_TLS_MIN},
    {"tls-max", required_argument, NULL, OPT_TLS_MAX},
    {"rpm", required_argument, NULL, OPT_RPM},
    {"tpm", required_argument, NULL, OPT_TPM},
    {"window-ms", required_argument, NULL, OPT_WINDOW},
    {"time-scale", required_argument, NULL, OPT_SCALE},
    {"no-ratelimit-headers", no_argument, NULL, OPT_NO_RL},
    {"latency-ms", required_argument, NULL, OPT_LAT},
    {"jitter-ms", required_argument, NULL, OPT_JIT},
    {"fail-rate", required_argument, NULL, OPT_FAIL},
    {"html-rate", required_argument, NULL, OPT_HTML},
    {"reset-rate", required_argument, NULL, OPT_RESET},
    {"truncate-rate", required_argument, NULL, OPT_TRUNC},
    {"nonjson-rate", required_argument, NULL, OPT_NONJSON},
    {"stall-rate", required_argument, NULL, OPT_STALL},
    {"stall-ms", required_argument, NULL, OPT_STALL_MS},
    {"storm-429", required_argument, NULL, OPT_STORM},
    {"quota-exhausted", no_argument, NULL, OPT_EXHAUSTED},
    {"seed", required_argument, NULL, OPT_SEED},
    {"record", required_argument, NULL, OPT_RECORD},
    {"max-seconds", required_argument, NULL, OPT_MAX_SECONDS},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"echo", no_argument, NULL, OPT_ECHO},
    {"pretty", no_argument, NULL, OPT_PRETTY},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* One option; returns 0, -1 on a bad value, 1 for --help. */
static int apply_opt(struct mock_opts *o, int c, const char *a, uint64_t *max_s, int *tls_min_set)
{
    const char *n = LONGOPTS[0].name;
    size_t i;

    for (i = 0; LONGOPTS[i].name; i++)
        if (LONGOPTS[i].val == c)
            n = LONGOPTS[i].name;
    switch (c) {
    case OPT_CERT:
        o->cert = a;
        return 0;
    case OPT_KEY:
        o->key = a;
        return 0;
    case OPT_LISTEN:
        o->listen = a;
        return 0;
    case OPT_PORT_FILE:
        o->port_file = a;
        return 0;
    case OPT_RECORD:
        o->record = a;
        return 0;
    case OPT_PLAIN:
        o->plain = 1;
        return 0;
    case OPT_NO_RL:
        o->no_rl_headers = 1;
        return 0;
    case OPT_EXHAUSTED:
        o->quota_exhausted = 1;
        return 0;
    case OPT_PRETTY:
        o->pretty = 1;
        return 0;
    case OPT_ECHO:
        o->echo = 1;
        return 0;
    case OPT_QUIET:
        o->quiet = 1;
        return 0;
    case OPT_TLS_MIN:
        *tls_min_set = 1;
        return parse_tls(n, a, &o->tls_min);
    case OPT_TLS_MAX:
        return parse_tls(n, a, &o->tls_max);
    case OPT_RPM:
        return parse_u64(n, a, &o->rpm);
    case OPT_TPM:
        return parse_u64(n, a, &o->tpm);
    case OPT_WINDOW:
        return parse_u64(n, a, &o->window_ms);
    case OPT_LAT:
        return parse_u64(n, a, &o->latency_ms);
    case OPT_JIT:
        return parse_u64(n, a, &o->jitter_ms);
    case OPT_STALL_MS:
        return parse_u64(n, a, &o->stall_ms);
    case OPT_STORM:
        return parse_u64(n, a, &o->storm_429);
    case OPT_SEED:
        return parse_u64(n, a, &o->seed);
    case OPT_MAX_SECONDS:
        return parse_u64(n, a, max_s);
    case OPT_SCALE:
        return parse_double(n, a, 1e-3, 1e6, &o->time_scale);
    case OPT_FAIL:
        return parse_double(n, a, 0, 1, &o->fail_rate);
    case OPT_HTML:
        return parse_double(n, a, 0, 1, &o->html_rate);
    case OPT_RESET:
        return parse_double(n, a, 0, 1, &o->reset_rate);
    case OPT_TRUNC:
        return parse_double(n, a, 0, 1, &o->truncate_rate);
    case OPT_NONJSON:
        return parse_double(n, a, 0, 1, &o->nonjson_rate);
    case OPT_STALL:
        return parse_double(n, a, 0, 1, &o->stall_rate);
    case OPT_HELP:
        return 1;
    default:
        return -1;
    }
}

static int check_opts(struct mock_opts *o, int tls_min_set)
{
    double faults =
        o->fail_rate + o->html_rate + o->reset_rate + o->truncate_rate + o->nonjson_rate;

    if (!o->plain && (!o->cert || !o->key)) {
        fprintf(stderr, "sluice-mockapi: --cert and --key are required (or --plain)\n");
        return -1;
    }
    if (faults > 1.0 + 1e-9) {
        fprintf(stderr, "sluice-mockapi: the fault rates add up to more than 1\n");
        return -1;
    }
    if (o->window_ms == 0 || o->window_ms > 60000) {
        fprintf(stderr, "sluice-mockapi: --window-ms wants 1..60000\n");
        return -1;
    }
    /* A cap under the default floor lowers the floor, so "--tls-max 1.1" alone works. */
    if (!tls_min_set && o->tls_max < o->tls_min)
        o->tls_min = TLS1_VERSION;
    if (o->tls_min > o->tls_max) {
        fprintf(stderr, "sluice-mockapi: --tls-min is above --tls-max\n");
        return -1;
    }
    return 0;
}

static void on_stop(void)
{
    mock_server_stop(g_server);
    uv_signal_stop(&g_sigint);
    uv_signal_stop(&g_sigterm);
    uv_timer_stop(&g_deadline);
    uv_stop(uv_default_loop());
}

static void on_signal(uv_signal_t *h, int signum)
{
    (void)h;
    (void)signum;
    on_stop();
}

static void on_deadline(uv_timer_t *t)
{
    struct mock_server *s = t->data;

    if (s)
        fprintf(stderr, "sluice-mockapi: --max-seconds reached, exiting\n");
    on_stop();
}

int main(int argc, char **argv)
{
    struct mock_opts o = {
        .listen = "127.0.0.1:0",
        .tls_min = TLS1_2_VERSION,
        .tls_max = TLS1_3_VERSION,
        .window_ms = 1000,
        .time_scale = 1.0,
        .stall_ms = 30000,
        .seed = 1,
    };
    uint64_t max_seconds = 900;
    int c, rc, tls_min_set = 0;
    uv_loop_t *loop = uv_default_loop();

    while ((c = getopt_long(argc, argv, "", LONGOPTS, NULL)) != -1) {
        rc = apply_opt(&o, c, optarg, &max_seconds, &tls_min_set);
        if (rc != 0) {
            usage(rc > 0 ? stdout : stderr);
            return rc > 0 ? 0 : 2;
        }
    }
    if (optind < argc || check_opts(&o, tls_min_set) < 0) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    rc = mock_server_create(&g_server, loop, &o);
    if (rc < 0) {
        mock_server_destroy(g_server);
        return rc == -EINVAL ? 2 : 1; /* bad configuration, or the system refused */
    }
    uv_signal_init(loop, &g_sigint);
    uv_signal_init(loop, &g_sigterm);
    uv_signal_start(&g_sigint, on_signal, SIGINT);
    uv_signal_start(&g_sigterm, on_signal, SIGTERM);
    uv_timer_init(loop, &g_deadline);
    g_deadline.data = g_server;
    if (max_seconds)
        uv_timer_start(&g_deadline, on_deadline, max_seconds * 1000, 0);
    uv_run(loop, UV_RUN_DEFAULT);
    mock_server_destroy(g_server);
    return 0;
}
