/* cmd_bench.c: `sluice bench`, quota utilisation measured.
 *
 * Single-threaded, owns a temporary directory (removed at exit unless --keep) and the two child
 * processes it starts, which it stops by PID. Steps: make a self-signed certificate with OpenSSL
 * (it is its own CA: the mock serves it, sluice trusts it through --cacert), start sluice-mockapi
 * on 127.0.0.1:0 with the quota and a request record, write the jobs, run `sluice run` on them,
 * read GET /mock/stats, stop the mock, then compute from the record (arrival time and status of
 * every request; the token charge by the mock's formula) and from summary.json.
 *
 * Why a child process rather than sl_run() in-process: sl_run installs signal handlers, sets up
 * logging and worker threads and owns the process's exit status; as a child it runs exactly as a
 * user runs it (same binary, same options), its wall time includes its own start-up, and a stuck
 * run can be bounded and killed by PID without taking the bench down.
 *
 * Quota units: --rpm/--tpm are what the mock enforces per *scaled* minute (60 / time_scale s);
 * sluice, which lives in real time, is given rpm x scale and tpm x scale, and --burst-ms =
 * window_ms / scale (the mock's slice in real ms). The default window is 1000 x scale scaled ms,
 * i.e. 1 s real slices, as providers do.
 */
#include "cmd_bench.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

#define BENCH_KEY_ENV "SLUICE_BENCH_API_KEY"

struct bench_opts {
    const char *mockapi, *endpoint, *cacert, *input, *json_out, *sluice_bin;
    uint64_t rpm, tpm, window_ms, latency_ms, jobs, prompt_bytes, max_tokens, max_seconds;
    double time_scale;
    bool headers_only, keep;
    int extra_argc; /* arguments after "--", passed to `sluice run` */
    char **extra_argv;
};

struct bench_result {
    double wall_s, span_s, ideal_s;
    uint64_t jobs, requests, charged_req, charged_tok, http_429, retries, exit_status;
    double lat_p50, lat_p90, lat_p99;
    double run_rpm, run_tpm, steady_rpm, steady_tpm; /* per real minute */
    bool have_steady, have_stats;
};

static void usage(FILE *f)
{
    fputs("usage: sluice bench [OPTIONS] [-- SLUICE-RUN-OPTIONS...]\n"
          "Quota (per scaled minute, as the mock enforces it)\n"
          "      --rpm N --tpm N      the mock's quota (at least one of them)\n"
          "      --time-scale X       a minute lasts 60/X s (default 10); sluice gets N x X\n"
          "      --window-ms MS       the mock's slice in scaled ms (default 1000 x X: 1 s real)\n"
          "      --latency-ms N       the mock's answer delay\n"
          "Target\n"
          "      --mockapi PATH       mock binary (default: sluice-mockapi next to sluice)\n"
          "      --endpoint URL       use this server instead of starting the mock\n"
          "      --cacert FILE        its CA (with --endpoint)\n"
          "Jobs\n"
          "      --jobs N             generate N chat jobs (default 2000)\n"
          "      --prompt-bytes N     user message size (default 120)\n"
          "      --max-tokens N       max_tokens of each job (default 16)\n"
          "      --input FILE         use these jobs instead\n"
          "Mode and output\n"
          "      --sluice-knows-quota sluice gets --rpm/--tpm/--burst-ms (default)\n"
          "      --headers-only       sluice gets no quota and learns it from headers\n"
          "      --json FILE          machine-readable report\n"
          "      --max-seconds N      bound on the whole bench (default 900)\n"
          "      --sluice PATH        sluice binary to run (default: this one)\n"
          "      --keep               keep the temporary directory\n",
          f);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_u64(const char *name, const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v > max) {
        fprintf(stderr, "sluice bench: %s: not an integer in [0, %llu]: '%s'\n", name,
                (unsigned long long)max, s);
        return SL_ECONFIG;
    }
    *out = v;
    return 0;
}

enum {
    O_RPM = 256,
    O_TPM,
    O_SCALE,
    O_WINDOW,
    O_LAT,
    O_MOCK,
    O_EP,
    O_CA,
    O_JOBS,
    O_PB,
    O_MT,
    O_IN,
    O_KNOWS,
    O_HDR,
    O_JSON,
    O_MAXS,
    O_SLUICE,
    O_KEEP,
    O_HELP
};

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
    static const struct option lo[] = {{"rpm", required_argument, NULL, O_RPM},
                                       {"tpm", required_argument, NULL, O_TPM},
                                       {"time-scale", required_argument, NULL, O_SCALE},
                                       {"window-ms", required_argument, NULL, O_WINDOW},
                                       {"latency-ms", required_argument, NULL, O_LAT},
                                       {"mockapi", required_argument, NULL, O_MOCK},
                                       {"endpoint", required_argument, NULL, O_EP},
                                       {"cacert", required_argument, NULL, O_CA},
                                       {"jobs", required_argument, NULL, O_JOBS},
                                       {"prompt-bytes", required_argument, NULL, O_PB},
                                       {"max-tokens", required_argument, NULL, O_MT},
                                       {"input", required_argument, NULL, O_IN},
                                       {"sluice-knows-quota", no_argument, NULL, O_KNOWS},
                                       {"headers-only", no_argument, NULL, O_HDR},
                                       {"json", required_argument, NULL, O_JSON},
                                       {"max-seconds", required_argument, NULL, O_MAXS},
                                       {"sluice", required_argument, NULL, O_SLUICE},
                                       {"keep", no_argument, NULL, O_KEEP},
                                       {"help", no_argument, NULL, O_HELP},
                                       {NULL, 0, NULL, 0}};
    int c, rc = 0;
    char *end;

    *o = (struct bench_opts){
        .jobs = 2000, .prompt_bytes = 120, .max_tokens = 16, .max_seconds = 900, .time_scale = 10};
    optind = 1;
    opterr = 1;
    while (!rc && (c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case O_RPM:
            rc = parse_u64("--rpm", optarg, 1000000000, &o->rpm);
            break;
        case O_TPM:
            rc = parse_u64("--tpm", optarg, 100000000000ull, &o->tpm);
            break;
        case O_SCALE:
            errno = 0;
            o->time_scale = strtod(optarg, &end);
            if (errno || end == optarg || *end ||
                !(o->time_scale >= 0.01 && o->time_scale <= 1000)) {
                fprintf(stderr, "sluice bench: --time-scale: a number in [0.01, 1000]\n");
                rc = SL_ECONFIG;
            }
            break;
        case O_WINDOW:
            rc = parse_u64("--window-ms", optarg, 3600000, &o->window_ms);
            break;
        case O_LAT:
            rc = parse_u64("--latency-ms", optarg, 600000, &o->latency_ms);
            break;
        case O_MOCK:
            o->mockapi = optarg;
            break;
        case O_EP:
            o->endpoint = optarg;
            break;
        case O_CA:
            o->cacert = optarg;
            break;
        case O_JOBS:
            rc = parse_u64("--jobs", optarg, 100000000, &o->jobs);
            break;
        case O_PB:
            rc = parse_u64("--prompt-bytes", optarg, 1000000, &o->prompt_bytes);
            break;
        case O_MT:
            rc = parse_u64("--max-tokens", optarg, 1000000, &o->max_tokens);
            break;
        case O_IN:
            o->input = optarg;
            break;
        case O_KNOWS:
            o->headers_only = false;
            break;
        case O_HDR:
            o->headers_only = true;
            break;
        case O_JSON:
            o->json_out = optarg;
            break;
        case O_MAXS:
            rc = parse_u64("--max-seconds", optarg, 86400, &o->max_seconds);
            break;
        case O_SLUICE:
            o->sluice_bin = optarg;
            break;
        case O_KEEP:
            o->keep = true;
            break;
        case O_HELP:
            usage(stdout);
            return 1;
        default:
            rc = SL_ECONFIG;
            break;
        }
    }
    if (rc)
        return rc;
    o->extra_argc = argc - optind;
    o->extra_argv = argv + optind;
    if (!o->rpm && !o->tpm) {
        fprintf(stderr, "sluice bench: give the quota: --rpm and/or --tpm\n");
        return SL_ECONFIG;
    }
    if (!o->window_ms)
        o->window_ms = (uint64_t)llround(1000.0 * o->time_scale);
    if (!o->jobs && !o->input) {
        fprintf(stderr, "sluice bench: --jobs must be > 0\n");
        return SL_ECONFIG;
    }
    return 0;
}

/* ---- files ---- */

/* dir/name into out; false if it does not fit. */
static bool join(char *out, size_t cap, const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);

    if (a + 1 + b >= cap)
        return false;
    memcpy(out, dir, a);
    out[a] = '/';
    memcpy(out + a + 1, name, b + 1);
    return true;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* A self-signed P-256 certificate for 127.0.0.1/localhost, valid one day: cert.pem, key.pem. */
static int make_cert(const char *dir)
{
    char path[PATH_MAX];
    EVP_PKEY *pkey = NULL;
    X509 *x = NULL;
    X509_EXTENSION *ext = NULL;
    X509V3_CTX v3;
    FILE *f = NULL;
    unsigned char serial[16];
    BIGNUM *bn = NULL;
    int fd, rc = SL_EIO;

    pkey = EVP_EC_gen("P-256");
    x = X509_new();
    if (!pkey || !x || RAND_bytes(serial, sizeof(serial)) != 1)
        goto cleanup;
    serial[0] &= 0x7f;
    bn = BN_bin2bn(serial, sizeof(serial), NULL);
    if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) || !X509_set_version(x, 2) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), 86400) || !X509_set_pubkey(x, pkey))
        goto cleanup;
    if (!X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                    (const unsigned char *)"sluice bench", -1, -1, 0) ||
        !X509_set_issuer_name(x, X509_get_subject_name(x)))
        goto cleanup;
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    if (!ext || !X509_add_ext(x, ext, -1) || !X509_sign(x, pkey, EVP_sha256()))
        goto cleanup;
    if (!join(path, sizeof(path), dir, "key.pem"))
        goto cleanup;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        if (fd >= 0)
            close(fd);
        goto cleanup;
    }
    if (!PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL))
        goto cleanup;
    if (fclose(f)) {
        f = NULL;
        goto cleanup;
    }
    if (!join(path, sizeof(path), dir, "cert.pem"))
        goto cleanup;
    if (!(f = fopen(path, "wx")) || !PEM_write_X509(f, x))
        goto cleanup;
    rc = fclose(f) ? SL_EIO : 0;
    f = NULL;
cleanup:
    if (f)
        fclose(f);
    BN_free(bn);
    X509_EXTENSION_free(ext);
    X509_free(x);
    EVP_PKEY_free(pkey);
    return rc;
}

/* N chat jobs with a user message of about prompt_bytes bytes (words of a sentiment lexicon, no
 * PII, so the anonymizer changes nothing and the mock charges exactly what sluice estimates). */
static int gen_jobs(const char *path, const struct bench_opts *o)
{
    static const char *words[] = {"great",   "terrible", "parcel", "arrived",  "love",   "broken",
                                  "support", "slow",     "value",  "friendly", "manual", "battery"};
    FILE *f = fopen(path, "wx");
    uint64_t i, n;

    if (!f)
        return SL_EIO;
    for (i = 0; i < o->jobs; i++) {
        fprintf(
            f,
            "{\"custom_id\":\"bench-%llu\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
            "\"body\":{\"model\":\"gpt-4o-mini\",\"max_tokens\":%llu,\"messages\":[{\"role\":"
            "\"user\",\"content\":\"",
            (unsigned long long)i, (unsigned long long)o->max_tokens);
        for (n = 0; n < o->prompt_bytes;) {
            const char *w = words[(i * 7 + n) % (sizeof(words) / sizeof(words[0]))];

            n += (uint64_t)fprintf(f, "%s%s", n ? " " : "", w);
        }
        fputs("\"}]}}\n", f);
    }
    return fclose(f) ? SL_EIO : 0;
}

/* ---- processes ---- */

static pid_t spawn(char **argv, const char *log_path)
{
    pid_t pid = fork();

    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* Wait for pid until deadline (monotonic s); then SIGTERM, 10 s later SIGKILL. Returns the exit
 * status, 128 + signal, or -1 when it had to be killed. */
static int wait_bounded(pid_t pid, double deadline)
{
    int st;
    bool termed = false;
    struct timespec ts = {0, 20 * 1000 * 1000};

    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);

        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return -1;
        if (now_s() > deadline && !termed) {
            kill(pid, SIGTERM);
            termed = true;
            deadline = now_s() + 10;
        } else if (termed && now_s() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        nanosleep(&ts, NULL);
    }
    if (termed)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
    size_t len = sz * n;
    char *buf = ud;
    size_t have = strlen(buf);

    if (have + len >= 65536)
        return 0;
    memcpy(buf + have, p, len);
    buf[have + len] = '\0';
    return len;
}

/* GET URL/mock/stats -> JSON, or NULL. */
static json_t *mock_stats(const char *url, const char *cacert)
{
    char full[1024], *buf = calloc(1, 65536);
    CURL *c = curl_easy_init();
    json_t *j = NULL;
    long code = 0;

    if (!buf || !c)
        goto cleanup;
    snprintf(full, sizeof(full), "%s/mock/stats", url);
    curl_easy_setopt(c, CURLOPT_URL, full);
    if (cacert)
        curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, buf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (curl_easy_perform(c) == CURLE_OK &&
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200)
        j = json_loads(buf, 0, NULL);
cleanup:
    if (c)
        curl_easy_cleanup(c);
    free(buf);
    return j;
}

/* The mock's TPM charge (bench/mockapi/README.md): per message ceil(bytes / 4) + 3, + 3, +
 * max_completion_tokens or max_tokens or 1. */
static uint64_t mock_charge(json_t *body)
{
    json_t *msgs = json_object_get(body, "messages"), *m, *mt;
    size_t i;
    uint64_t n = 3;

    json_array_foreach(msgs, i, m)
    {
        json_t *content = json_object_get(m, "content");

        n += (json_is_string(content) ? (json_string_length(content) + 3) / 4 : 0) + 3;
    }
    mt = json_object_get(body, "max_completion_tokens");
    if (!json_is_integer(mt))
        mt = json_object_get(body, "max_tokens");
    return n + (json_is_integer(mt) && json_integer_value(mt) > 0 ? (uint64_t)json_integer_value(mt)
                                                                  : 1);
}

/* Steady state from the record: admitted requests arriving in [first + minute, last - minute]. */
static int steady_state(const char *rec_path, double minute_ms, struct bench_result *res)
{
    FILE *f = fopen(rec_path, "r");
    char *line = NULL;
    size_t cap = 0, n = 0, i;
    double *t = NULL;
    uint64_t *tok = NULL, req = 0, tk = 0;
    int rc = SL_EIO;

    if (!f)
        return SL_EIO;
    while (getline(&line, &cap, f) > 0) {
        json_t *r = json_loads(line, 0, NULL), *body;

        if (!r)
            continue;
        if (json_integer_value(json_object_get(r, "status")) == 200) {
            double *nt = realloc(t, (n + 1) * sizeof(*t));
            uint64_t *nk = nt ? realloc(tok, (n + 1) * sizeof(*tok)) : NULL;

            if (nt)
                t = nt;
            if (!nt || !nk) {
                json_decref(r);
                rc = -ENOMEM;
                goto cleanup;
            }
            tok = nk;
            t[n] = json_number_value(json_object_get(r, "t_ms"));
            body = json_loads(json_string_value(json_object_get(r, "body")), 0, NULL);
            tok[n] = body ? mock_charge(body) : 0;
            json_decref(body);
            n++;
        }
        json_decref(r);
    }
    rc = 0;
    if (n < 2)
        goto cleanup;
    res->span_s = (t[n - 1] - t[0]) / 1000.0;
    if (t[n - 1] - t[0] <= 2 * minute_ms + minute_ms / 2)
        goto cleanup; /* less than half a minute of steady state: not worth a figure */
    for (i = 0; i < n; i++) {
        if (t[i] >= t[0] + minute_ms && t[i] < t[n - 1] - minute_ms) {
            req++;
            tk += tok[i];
        }
    }
    res->steady_rpm = (double)req * 60000.0 / (t[n - 1] - t[0] - 2 * minute_ms);
    res->steady_tpm = (double)tk * 60000.0 / (t[n - 1] - t[0] - 2 * minute_ms);
    res->have_steady = true;
cleanup:
    free(line);
    free(t);
    free(tok);
    fclose(f);
    return rc;
}

static void read_summary(const char *path, struct bench_result *res)
{
    json_t *s = json_load_file(path, 0, NULL), *lat;

    if (!s)
        return;
    res->jobs = (uint64_t)json_integer_value(json_object_get(s, "jobs_read_this_run"));
    res->requests = (uint64_t)json_integer_value(json_object_get(s, "requests"));
    res->retries = (uint64_t)json_integer_value(json_object_get(s, "retries"));
    if (!res->have_stats)
        res->http_429 = (uint64_t)json_integer_value(json_object_get(s, "http_429"));
    lat = json_object_get(s, "latency_ms");
    res->lat_p50 = json_number_value(json_object_get(lat, "p50_le"));
    res->lat_p90 = json_number_value(json_object_get(lat, "p90_le"));
    res->lat_p99 = json_number_value(json_object_get(lat, "p99_le"));
    json_decref(s);
}

static double share(double got, double limit)
{
    return limit > 0 ? got / limit : 0;
}

static json_t *share_or_null(bool have, double got, double limit)
{
    return have && limit > 0 ? json_real(got / limit) : json_null();
}

static int report(const struct bench_opts *o, const struct bench_result *r)
{
    double rpm = (double)o->rpm * o->time_scale, tpm = (double)o->tpm * o->time_scale;
    double bind_run = fmax(share(r->run_rpm, rpm), share(r->run_tpm, tpm));
    const char *binding =
        rpm > 0 && (tpm <= 0 || share(r->run_rpm, rpm) >= share(r->run_tpm, tpm)) ? "rpm" : "tpm";
    double bind_steady = fmax(share(r->steady_rpm, rpm), share(r->steady_tpm, tpm));
    json_t *j;
    int rc = 0;

    printf("sluice bench: %s, quota %llu RPM / %llu TPM per scaled minute (x%g = %.0f / %.0f per "
           "real minute), slice %llu scaled ms\n",
           o->headers_only ? "headers-only" : "sluice knows the quota", (unsigned long long)o->rpm,
           (unsigned long long)o->tpm, o->time_scale, rpm, tpm, (unsigned long long)o->window_ms);
    printf("  requests        %llu (admitted %llu, tokens charged %llu), sluice exit %llu\n",
           (unsigned long long)r->requests, (unsigned long long)r->charged_req,
           (unsigned long long)r->charged_tok, (unsigned long long)r->exit_status);
    printf("  over the run    RPM %.0f (%.1f%%)  TPM %.0f (%.1f%%)\n", r->run_rpm,
           100 * share(r->run_rpm, rpm), r->run_tpm, 100 * share(r->run_tpm, tpm));
    if (r->have_steady)
        printf("  steady state    RPM %.0f (%.1f%%)  TPM %.0f (%.1f%%)\n", r->steady_rpm,
               100 * share(r->steady_rpm, rpm), r->steady_tpm, 100 * share(r->steady_tpm, tpm));
    else
        printf("  steady state    n/a (run shorter than 2.5 scaled minutes, or no record)\n");
    printf("  binding         %s: %.1f%% over the run%s", binding, 100 * bind_run,
           r->have_steady ? "" : "\n");
    if (r->have_steady)
        printf(", %.1f%% steady\n", 100 * bind_steady);
    printf("  429s            %llu (%.2f%% of requests)   retries %llu\n",
           (unsigned long long)r->http_429,
           r->requests ? 100.0 * (double)r->http_429 / (double)r->requests : 0.0,
           (unsigned long long)r->retries);
    printf("  latency         p50 <= %.0f ms  p90 <= %.0f ms  p99 <= %.0f ms\n", r->lat_p50,
           r->lat_p90, r->lat_p99);
    printf("  wall            %.2f s (sending %.2f s), ideal %.2f s: %+.1f%%\n", r->wall_s,
           r->span_s, r->ideal_s, r->ideal_s > 0 ? 100 * (r->wall_s / r->ideal_s - 1) : 0.0);
    if (!o->json_out)
        return 0;
    j = json_pack("{s:s, s:{s:I, s:I, s:f, s:I, s:f, s:f}, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                  "mode", o->headers_only ? "headers-only" : "sluice-knows-quota", "quota", "rpm",
                  (json_int_t)o->rpm, "tpm", (json_int_t)o->tpm, "time_scale", o->time_scale,
                  "window_ms", (json_int_t)o->window_ms, "rpm_real", rpm, "tpm_real", tpm, "jobs",
                  (json_int_t)r->jobs, "requests", (json_int_t)r->requests, "admitted",
                  (json_int_t)r->charged_req, "tokens_charged", (json_int_t)r->charged_tok,
                  "http_429", (json_int_t)r->http_429, "retries", (json_int_t)r->retries,
                  "sluice_exit", (json_int_t)r->exit_status);
    if (!j)
        return -ENOMEM;
    json_object_set_new(j, "binding", json_string(binding));
    json_object_set_new(j, "run",
                        json_pack("{s:f, s:f, s:o, s:o}", "rpm", r->run_rpm, "tpm", r->run_tpm,
                                  "rpm_share", share_or_null(true, r->run_rpm, rpm), "tpm_share",
                                  share_or_null(true, r->run_tpm, tpm)));
    json_object_set_new(j, "steady",
                        json_pack("{s:o, s:o, s:o, s:o}", "rpm",
                                  r->have_steady ? json_real(r->steady_rpm) : json_null(), "tpm",
                                  r->have_steady ? json_real(r->steady_tpm) : json_null(),
                                  "rpm_share", share_or_null(r->have_steady, r->steady_rpm, rpm),
                                  "tpm_share", share_or_null(r->have_steady, r->steady_tpm, tpm)));
    json_object_set_new(j, "binding_share_run", json_real(bind_run));
    /* over the sending span (first to last admitted arrival): sluice's start-up excluded */
    json_object_set_new(j, "binding_share_sending",
                        r->span_s > 0 ? json_real(r->ideal_s / r->span_s) : json_null());
    json_object_set_new(j, "binding_share_steady",
                        r->have_steady ? json_real(bind_steady) : json_null());
    json_object_set_new(j, "latency_ms",
                        json_pack("{s:f, s:f, s:f}", "p50_le", r->lat_p50, "p90_le", r->lat_p90,
                                  "p99_le", r->lat_p99));
    json_object_set_new(j, "wall_s", json_real(r->wall_s));
    json_object_set_new(j, "sending_s", json_real(r->span_s));
    json_object_set_new(j, "ideal_s", json_real(r->ideal_s));
    if (json_dump_file(j, o->json_out, JSON_INDENT(2)))
        rc = SL_EIO;
    json_decref(j);
    return rc;
}

static const char *self_dir(char *buf, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);

    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    return dirname(buf);
}

int sl_cmd_bench(int argc, char **argv)
{
    struct bench_opts o;
    struct bench_result res = {0};
    char tmp[1024], path[PATH_MAX], url[512], self[PATH_MAX], mockbin[PATH_MAX], sluice[PATH_MAX],
        num[6][32];
    char *margv[32], **sargv = NULL;
    const char *base = getenv("TMPDIR"), *ca = NULL, *dir;
    pid_t mock = -1;
    double deadline, t0;
    int rc, status = 1, k = 0, i;
    json_t *stats = NULL;

    rc = parse_args(argc, argv, &o);
    if (rc == 1)
        return 0;
    if (rc) {
        usage(stderr);
        return 2;
    }
    deadline = now_s() + (double)o.max_seconds;
    dir = self_dir(self, sizeof(self));
    {
        ssize_t n = readlink("/proc/self/exe", sluice, sizeof(sluice) - 1);

        if (o.sluice_bin)
            snprintf(sluice, sizeof(sluice), "%s", o.sluice_bin);
        else if (n > 0)
            sluice[n] = '\0';
        else
            snprintf(sluice, sizeof(sluice), "/proc/self/exe");
    }
    if (!join(tmp, sizeof(tmp), base && *base ? base : "/tmp", "sluice-bench.XXXXXX") ||
        !mkdtemp(tmp)) {
        fprintf(stderr, "sluice bench: cannot create a temporary directory: %s\n", strerror(errno));
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    setenv(BENCH_KEY_ENV, "sk-bench-not-a-secret", 0);

    if (o.endpoint) {
        snprintf(url, sizeof(url), "%s", o.endpoint);
        ca = o.cacert;
    } else {
        if (o.mockapi)
            snprintf(mockbin, sizeof(mockbin), "%s", o.mockapi);
        else
            snprintf(mockbin, sizeof(mockbin), "%s/sluice-mockapi", dir ? dir : ".");
        if (access(mockbin, X_OK)) {
            fprintf(stderr, "sluice bench: no mock at %s (use --mockapi PATH)\n", mockbin);
            goto cleanup;
        }
        if (make_cert(tmp)) {
            fprintf(stderr, "sluice bench: could not make a certificate\n");
            goto cleanup;
        }
        snprintf(num[0], sizeof(num[0]), "%llu", (unsigned long long)o.rpm);
        snprintf(num[1], sizeof(num[1]), "%llu", (unsigned long long)o.tpm);
        snprintf(num[2], sizeof(num[2]), "%llu", (unsigned long long)o.window_ms);
        snprintf(num[3], sizeof(num[3]), "%g", o.time_scale);
        snprintf(num[4], sizeof(num[4]), "%llu", (unsigned long long)o.latency_ms);
        snprintf(num[5], sizeof(num[5]), "%llu", (unsigned long long)o.max_seconds + 30);
        {
            static char cert[PATH_MAX], key[PATH_MAX], portf[PATH_MAX], rec[PATH_MAX];

            join(cert, sizeof(cert), tmp, "cert.pem");
            join(key, sizeof(key), tmp, "key.pem");
            join(portf, sizeof(portf), tmp, "port");
            join(rec, sizeof(rec), tmp, "mock.rec");
            margv[k++] = mockbin;
            margv[k++] = "--cert";
            margv[k++] = cert;
            margv[k++] = "--key";
            margv[k++] = key;
            margv[k++] = "--listen";
            margv[k++] = "127.0.0.1:0";
            margv[k++] = "--port-file";
            margv[k++] = portf;
            margv[k++] = "--record";
            margv[k++] = rec;
            margv[k++] = "--quiet";
            margv[k++] = "--max-seconds";
            margv[k++] = num[5];
            margv[k++] = "--window-ms";
            margv[k++] = num[2];
            margv[k++] = "--time-scale";
            margv[k++] = num[3];
            margv[k++] = "--latency-ms";
            margv[k++] = num[4];
            if (o.rpm) {
                margv[k++] = "--rpm";
                margv[k++] = num[0];
            }
            if (o.tpm) {
                margv[k++] = "--tpm";
                margv[k++] = num[1];
            }
            margv[k] = NULL;
            join(path, sizeof(path), tmp, "mock.log");
            mock = spawn(margv, path);
            if (mock < 0) {
                fprintf(stderr, "sluice bench: fork: %s\n", strerror(errno));
                goto cleanup;
            }
            for (i = 0; i < 200; i++) {
                FILE *pf = fopen(portf, "r");
                unsigned port = 0;

                if (pf) {
                    if (fscanf(pf, "%u", &port) != 1)
                        port = 0;
                    fclose(pf);
                }
                if (port) {
                    snprintf(url, sizeof(url), "https://127.0.0.1:%u", port);
                    break;
                }
                if (waitpid(mock, NULL, WNOHANG) == mock) {
                    mock = -1;
                    break;
                }
                usleep(25000);
            }
            if (i == 200 || mock < 0) {
                fprintf(stderr, "sluice bench: the mock did not start (see %s)\n", path);
                o.keep = true;
                goto cleanup;
            }
            ca = cert;
        }
    }

    {
        static char input[PATH_MAX], out[PATH_MAX];
        char q[3][32];
        int n = 0;

        if (o.input) {
            snprintf(input, sizeof(input), "%s", o.input);
        } else {
            join(input, sizeof(input), tmp, "jobs.jsonl");
            if (gen_jobs(input, &o)) {
                fprintf(stderr, "sluice bench: could not write the jobs\n");
                goto cleanup;
            }
        }
        join(out, sizeof(out), tmp, "out");
        sargv = calloc((size_t)o.extra_argc + 24, sizeof(*sargv));
        if (!sargv)
            goto cleanup;
        sargv[n++] = sluice;
        sargv[n++] = "run";
        sargv[n++] = "-o";
        sargv[n++] = out;
        sargv[n++] = "--endpoint";
        sargv[n++] = url;
        if (ca) {
            sargv[n++] = "--cacert";
            sargv[n++] = (char *)ca;
        }
        if (!o.endpoint) {
            sargv[n++] = "--api-key-env";
            sargv[n++] = BENCH_KEY_ENV;
        }
        sargv[n++] = "--no-progress";
        sargv[n++] = "--quiet";
        if (!o.headers_only) {
            snprintf(q[0], sizeof(q[0]), "%.0f", (double)o.rpm * o.time_scale);
            snprintf(q[1], sizeof(q[1]), "%.0f", (double)o.tpm * o.time_scale);
            snprintf(q[2], sizeof(q[2]), "%.0f",
                     fmax(10, fmin(60000, (double)o.window_ms / o.time_scale)));
            if (o.rpm) {
                sargv[n++] = "--rpm";
                sargv[n++] = q[0];
            }
            if (o.tpm) {
                sargv[n++] = "--tpm";
                sargv[n++] = q[1];
            }
            sargv[n++] = "--burst-ms";
            sargv[n++] = q[2];
        }
        for (i = 0; i < o.extra_argc; i++)
            sargv[n++] = o.extra_argv[i];
        sargv[n++] = input;
        sargv[n] = NULL;
        join(path, sizeof(path), tmp, "sluice.log");
        t0 = now_s();
        {
            pid_t sp = spawn(sargv, path);
            int st = sp < 0 ? -1 : wait_bounded(sp, deadline);

            res.wall_s = now_s() - t0;
            if (st < 0 || st == 1 || st == 2 || st >= 126) {
                fprintf(stderr, "sluice bench: sluice run %s (status %d, see %s)\n",
                        st < 0 ? "was stopped at --max-seconds" : "failed", st, path);
                o.keep = true;
                goto cleanup;
            }
            res.exit_status = (uint64_t)st;
        }
        join(path, sizeof(path), out, "summary.json");
        stats = mock_stats(url, ca);
        if (stats) {
            res.have_stats = true;
            res.http_429 = (uint64_t)json_integer_value(json_object_get(stats, "429s"));
            res.charged_req =
                (uint64_t)json_integer_value(json_object_get(stats, "requests_charged"));
            res.charged_tok =
                (uint64_t)json_integer_value(json_object_get(stats, "tokens_charged"));
        }
        read_summary(path, &res);
    }
    if (mock > 0) {
        kill(mock, SIGTERM);
        wait_bounded(mock, now_s() + 5);
        mock = -1;
        join(path, sizeof(path), tmp, "mock.rec");
        steady_state(path, 60000.0 / o.time_scale, &res);
    }
    if (!res.have_stats) {
        res.charged_req = res.requests - res.http_429;
    }
    res.run_rpm = (double)res.charged_req * 60.0 / res.wall_s;
    res.run_tpm = (double)res.charged_tok * 60.0 / res.wall_s;
    res.ideal_s = fmax(o.rpm ? (double)res.charged_req * 60.0 / ((double)o.rpm * o.time_scale) : 0,
                       o.tpm ? (double)res.charged_tok * 60.0 / ((double)o.tpm * o.time_scale) : 0);
    if (report(&o, &res)) {
        fprintf(stderr, "sluice bench: could not write %s\n", o.json_out);
        goto cleanup;
    }
    status = 0;
cleanup:
    if (mock > 0) {
        kill(mock, SIGTERM);
        wait_bounded(mock, now_s() + 5);
    }
    json_decref(stats);
    free(sargv);
    curl_global_cleanup();
    if (o.keep)
        fprintf(stderr, "sluice bench: kept %s\n", tmp);
    else
        nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return status;
}
