/* cli.c: `sluice run` options. Main thread, before the loop starts. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "qredis.h"

void sl_config_defaults(struct sl_config *c)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    memset(c, 0, sizeof(*c));
    c->endpoint = "https://api.openai.com";
    c->api_key_env = "OPENAI_API_KEY";
    c->auth_header = "Authorization";
    c->concurrency = 0; /* automatic: see sl_run's inflight_limit */
    c->max_attempts = 6;
    c->timeout_s = 60;
    c->drain_timeout_s = 30;
    c->backoff_base_ms = 500;
    c->backoff_cap_ms = 8000;
    c->burst_ms = 1000;
    c->anon_mode = SL_ANON_REDACT;
    c->workers = n < 1 ? 1 : n > 16 ? 16 : (unsigned)n;
    c->window = 4096;
    c->zstd_level = 1; /* measured: smaller and faster than 3 on sluice outputs (bench/README.md) */
    c->quota_processes = 2;
    c->http_engine = SL_ENGINE_H2; /* measured: a third of libcurl's loop-thread cost per request */
    c->dedup_memory_mb = 16;
}

void sl_cli_usage_run(void)
{
    fputs(
        "usage: sluice run [OPTIONS] INPUT...     (INPUT: .jsonl, .msgpack/.mpk, or - for stdin)\n"
        "\n"
        "Output\n"
        "  -o, --out DIR            output directory (required)\n"
        "      --resume             continue the run recorded in DIR\n"
        "      --zstd-level N       compression level of the outputs (default 1)\n"
        "      --output-format F    jsonl (default) | msgpack: results, errors and rejects as\n"
        "                           *.msgpack.zst, one map per record (body a nested map), for\n"
        "                           programs; audit stays JSONL; a resume keeps the run's format\n"
        "Endpoint and key\n"
        "      --endpoint URL       scheme://host[:port] (default https://api.openai.com)\n"
        "      --cacert FILE        trust this CA bundle (private or test CAs)\n"
        "      --api-key-env NAME   variable holding the key (default OPENAI_API_KEY)\n"
        "      --api-key-file FILE  key file; refused if group/others can read it\n"
        "      --auth-header NAME   header for the key (default Authorization: Bearer;\n"
        "                           api-key for Azure OpenAI)\n"
        "      --allow-http         allow plain http, to a loopback host only\n"
        "      --http-engine E      h2 (default: nghttp2; libcurl for http, a server without\n"
        "                           HTTP/2 or a proxy) or curl (libcurl for everything)\n"
        "Quota and sending\n"
        "      --rpm N --tpm N      requests and tokens per minute (0 = learn from the server)\n"
        "      --burst-ms MS        bucket capacity in ms of quota (default 1000)\n"
        "      --concurrency N      requests in flight at most (default: 1024 when requests\n"
        "                           share HTTP/2 connections, 256 when each needs its own)\n"
        "      --max-attempts N     attempts per job (default 6)\n"
        "      --timeout S          per-request timeout in seconds (default 60)\n"
        "      --drain-timeout S    on SIGINT/SIGTERM, wait this long for requests in flight\n"
        "Several processes\n"
        "      --quota-redis URL    share --rpm/--tpm with other processes through Redis:\n"
        "                           redis://HOST:PORT/KEYPREFIX\n"
        "      --quota-processes N  processes sharing the quota (default 2)\n"
        "      --quota-share F      share of the quota used while Redis is unreachable\n"
        "                           (default 1/N)\n"
        "      --shard I/N          do only the jobs whose custom_id FNV-1a 64 hash mod N is I\n"
        "                           (records without custom_id: shard 0); one --out per shard\n"
        "Stages\n"
        "      --anonymize MODE     redact (default) | mask | hash | tokenize | off\n"
        "      --anonymize-types L  comma list of types (default all)\n"
        "      --hash-key-file FILE key for --anonymize hash (owner-only file)\n"
        "      --restore            with tokenize: put original values back into results\n"
        "      --policy FILE        sanitize policy (JSON, see docs/policy.md)\n"
        "      --format F           jsonl | msgpack (default: by file extension)\n"
        "      --template FILE      templated jobs: input lines {\"custom_id\",\"text\"} fill\n"
        "                           {{text}} in FILE's url/method/body\n"
        "Cost and dry run\n"
        "      --dry-run            no network, no key: write DIR/requests.jsonl.zst (exactly the\n"
        "                           bodies that would be sent), estimate tokens and cost\n"
        "      --prices FILE        price table (see samples/prices.json); without it spend is\n"
        "                           reported as unknown\n"
        "      --budget-usd X       stop scheduling new jobs once spend plus the estimate of the\n"
        "                           jobs in flight would pass X; exit 4 (resumable); needs --prices\n"
        "Process\n"
        "      --config FILE        read long options from FILE (key = value lines)\n"
        "      --workers N          worker threads (default: number of CPUs)\n"
        "      --window N           jobs alive at once, bounds memory (default 4096)\n"
        "      --dedup-memory MB    memory of the duplicate custom_id check (default 16): a\n"
        "                           filter and chain heads; a filter hit is confirmed exactly\n"
        "                           against a scratch file in DIR\n"
        "      --no-dedup           skip the duplicate custom_id check: for inputs whose ids\n"
        "                           are known to be unique\n"
        "      --no-fsync           benchmarks only: a crash may lose committed jobs\n"
        "      --quiet              only warnings and errors on stderr (for cron)\n"
        "      --progress | --no-progress   force the progress line on or off\n"
        "      --log-format F       text (default) | json\n"
        "\n"
        "Exit status: 0 all results; 3 some errors or rejects; 4 interrupted (resumable);\n"
        "2 usage or configuration error; 1 internal failure.\n",
        stdout);
}

enum {
    O_ENDPOINT = 256, O_CACERT, O_KEYENV, O_KEYFILE, O_AUTHHDR, O_ALLOWHTTP, O_RPM, O_TPM,
    O_BURST, O_CONC, O_ATTEMPTS, O_TIMEOUT, O_DRAIN, O_ANON, O_ANONTYPES, O_HASHKEY, O_RESTORE,
    O_POLICY, O_FORMAT, O_RESUME, O_DRYRUN, O_QUIET, O_PROGRESS, O_NOPROGRESS, O_LOGFMT,
    O_WORKERS, O_WINDOW, O_ZSTD, O_NOFSYNC, O_NODEDUP, O_CONFIG, O_APIKEY, O_HELP, O_QREDIS,
    O_QPROCS, O_QSHARE, O_SHARD,
    O_PRICES, O_BUDGET, O_TEMPLATE, O_ENGINE, O_OUTFMT, O_DEDUPMEM,
};

static const struct option long_opts[] = {
    {"out", required_argument, NULL, 'o'},
    {"endpoint", required_argument, NULL, O_ENDPOINT},
    {"cacert", required_argument, NULL, O_CACERT},
    {"api-key-env", required_argument, NULL, O_KEYENV},
    {"api-key-file", required_argument, NULL, O_KEYFILE},
    {"auth-header", required_argument, NULL, O_AUTHHDR},
    {"allow-http", no_argument, NULL, O_ALLOWHTTP},
    {"http-engine", required_argument, NULL, O_ENGINE},
    {"rpm", required_argument, NULL, O_RPM},
    {"tpm", required_argument, NULL, O_TPM},
    {"burst-ms", required_argument, NULL, O_BURST},
    {"concurrency", required_argument, NULL, O_CONC},
    {"max-attempts", required_argument, NULL, O_ATTEMPTS},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"drain-timeout", required_argument, NULL, O_DRAIN},
    {"anonymize", required_argument, NULL, O_ANON},
    {"anonymize-types", required_argument, NULL, O_ANONTYPES},
    {"hash-key-file", required_argument, NULL, O_HASHKEY},
    {"restore", no_argument, NULL, O_RESTORE},
    {"policy", required_argument, NULL, O_POLICY},
    {"format", required_argument, NULL, O_FORMAT},
    {"resume", no_argument, NULL, O_RESUME},
    {"dry-run", no_argument, NULL, O_DRYRUN},
    {"quiet", no_argument, NULL, O_QUIET},
    {"progress", no_argument, NULL, O_PROGRESS},
    {"no-progress", no_argument, NULL, O_NOPROGRESS},
    {"log-format", required_argument, NULL, O_LOGFMT},
    {"workers", required_argument, NULL, O_WORKERS},
    {"window", required_argument, NULL, O_WINDOW},
    {"zstd-level", required_argument, NULL, O_ZSTD},
    {"no-fsync", no_argument, NULL, O_NOFSYNC},
    {"no-dedup", no_argument, NULL, O_NODEDUP},
    {"output-format", required_argument, NULL, O_OUTFMT},
    {"dedup-memory", required_argument, NULL, O_DEDUPMEM},
    {"config", required_argument, NULL, O_CONFIG},
    {"api-key", required_argument, NULL, O_APIKEY},
    {"help", no_argument, NULL, O_HELP},
    {"prices", required_argument, NULL, O_PRICES},
    {"budget-usd", required_argument, NULL, O_BUDGET},
    {"template", required_argument, NULL, O_TEMPLATE},
    {"quota-redis", required_argument, NULL, O_QREDIS},
    {"quota-processes", required_argument, NULL, O_QPROCS},
    {"quota-share", required_argument, NULL, O_QSHARE},
    {"shard", required_argument, NULL, O_SHARD},
    {NULL, 0, NULL, 0},
};

static int bad(const char *opt, const char *what)
{
    fprintf(stderr, "sluice run: %s: %s (see sluice run --help)\n", opt, what);
    return SL_ECONFIG;
}

static int parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    if (!s || *s == '-' || !*s)
        return bad(opt, "expects a whole number");
    v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return bad(opt, "number out of range");
    *out = v;
    return 0;
}

static int parse_double(const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return bad(opt, "expects a number in range");
    *out = v;
    return 0;
}

/* --shard I/N with 0 <= I < N <= 100000. */
static int parse_shard(const char *a, struct sl_config *c)
{
    unsigned long i, n;
    char *end;

    errno = 0;
    if (!a || *a < '0' || *a > '9')
        return bad("--shard", "expects I/N, e.g. 0/3");
    i = strtoul(a, &end, 10);
    if (errno || *end != '/' || end[1] < '0' || end[1] > '9')
        return bad("--shard", "expects I/N, e.g. 0/3");
    n = strtoul(end + 1, &end, 10);
    if (errno || *end || n < 1 || n > 100000 || i >= n)
        return bad("--shard", "expects I/N with 0 <= I < N");
    c->shard_index = (unsigned)i;
    c->shard_count = (unsigned)n;
    return 0;
}

/* --config FILE: "key = value" or "key" per line, '#' comments; becomes "--key value". */
static int read_config(const char *path, int *argc, char ***argv)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int n = 0, cap = 16, lineno = 0;
    char **v;

    if (!f) {
        fprintf(stderr, "sluice run: --config %s: %s\n", path, strerror(errno));
        return SL_ECONFIG;
    }
    v = calloc((size_t)cap + 1, sizeof(*v));
    if (!v) {
        fclose(f);
        return -ENOMEM;
    }
    v[n++] = "run";
    while (fgets(line, sizeof(line), f)) {
        char *k = line, *val, *e;

        lineno++;
        while (*k == ' ' || *k == '\t')
            k++;
        if (*k == '#' || *k == '\n' || !*k)
            continue;
        e = k + strlen(k);
        while (e > k && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        val = strchr(k, '=');
        if (val) {
            char *ke = val;

            *val++ = '\0';
            while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
                *--ke = '\0';
            while (*val == ' ' || *val == '\t')
                val++;
        }
        if (!strcmp(k, "api-key") || !strcmp(k, "config")) {
            fprintf(stderr, "sluice run: --config %s:%d: option %s is not allowed in a config file\n",
                    path, lineno, k);
            fclose(f);
            return SL_ECONFIG;
        }
        if (n + 2 >= cap) {
            char **nv = realloc(v, ((size_t)cap * 2 + 1) * sizeof(*v));

            if (!nv) {
                fclose(f);
                return -ENOMEM;
            }
            v = nv;
            cap *= 2;
        }
        if (asprintf(&v[n], "--%s", k) < 0) {
            fclose(f);
            return -ENOMEM;
        }
        n++;
        if (val)
            v[n++] = strdup(val);
    }
    fclose(f);
    v[n] = NULL;
    *argc = n;
    *argv = v;
    return 0;
}

static int apply(int argc, char **argv, struct sl_config *c, bool from_config);

static char **kept_config[16];
static size_t n_kept_config;

int sl_cli_parse_run(int argc, char **argv, struct sl_config *c)
{
    int i, rc;

    sl_config_defaults(c);
    /* A --config file is applied first, so the command line wins. */
    for (i = 1; i < argc; i++) {
        const char *path = NULL;

        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            path = argv[i + 1];
        else if (!strncmp(argv[i], "--config=", 9))
            path = argv[i] + 9;
        if (path) {
            int cargc;
            char **cargv;

            if ((rc = read_config(path, &cargc, &cargv)))
                return rc;
            /* The config's strings back c's pointers for the life of the process: keep them
             * reachable (not a leak). */
            if (n_kept_config < sizeof(kept_config) / sizeof(kept_config[0]))
                kept_config[n_kept_config++] = cargv;
            if ((rc = apply(cargc, cargv, c, true)))
                return rc;
        }
    }
    return apply(argc, argv, c, false);
}

static int apply(int argc, char **argv, struct sl_config *c, bool from_config)
{
    uint64_t u;
    int opt, rc;

    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:h", long_opts, NULL)) != -1) {
        const char *a = optarg;

        switch (opt) {
        case 'o': c->out_dir = a; break;
        case O_ENDPOINT: c->endpoint = a; break;
        case O_CACERT: c->cacert = a; break;
        case O_KEYENV: c->api_key_env = a; break;
        case O_KEYFILE: c->api_key_file = a; break;
        case O_AUTHHDR: c->auth_header = a; break;
        case O_ALLOWHTTP: c->allow_http = true; break;
        case O_RPM:
            if ((rc = parse_u64("--rpm", a, 0, 1000000000ull, &c->rpm))) return rc;
            break;
        case O_TPM:
            if ((rc = parse_u64("--tpm", a, 0, 100000000000ull, &c->tpm))) return rc;
            break;
        case O_BURST:
            if ((rc = parse_u64("--burst-ms", a, 10, 60000, &c->burst_ms))) return rc;
            break;
        case O_CONC:
            if ((rc = parse_u64("--concurrency", a, 1, 10000, &u))) return rc;
            c->concurrency = (unsigned)u;
            break;
        case O_ATTEMPTS:
            if ((rc = parse_u64("--max-attempts", a, 1, 100, &u))) return rc;
            c->max_attempts = (unsigned)u;
            break;
        case O_TIMEOUT:
            if ((rc = parse_double("--timeout", a, 0.05, 3600, &c->timeout_s))) return rc;
            break;
        case O_DRAIN:
            if ((rc = parse_double("--drain-timeout", a, 0, 3600, &c->drain_timeout_s))) return rc;
            break;
        case O_ANON:
            if (sl_anon_mode_parse(a, &c->anon_mode))
                return bad("--anonymize", "expects redact, mask, hash, tokenize or off");
            break;
        case O_ANONTYPES:
            if (sl_pii_types_parse(a, &c->anon_types))
                return bad("--anonymize-types", "unknown type name");
            break;
        case O_HASHKEY: c->hash_key_file = a; break;
        case O_RESTORE: c->restore = true; break;
        case O_POLICY: c->policy_file = a; break;
        case O_FORMAT:
            if (strcmp(a, "jsonl") && strcmp(a, "msgpack"))
                return bad("--format", "expects jsonl or msgpack");
            c->format = a;
            break;
        case O_RESUME: c->resume = true; break;
        case O_DRYRUN: c->dry_run = true; break;
        case O_QUIET: c->quiet = true; break;
        case O_PROGRESS: c->progress = true; c->progress_set = true; break;
        case O_NOPROGRESS: c->progress = false; c->progress_set = true; break;
        case O_LOGFMT:
            if (strcmp(a, "json") && strcmp(a, "text"))
                return bad("--log-format", "expects text or json");
            c->log_json = !strcmp(a, "json");
            break;
        case O_WORKERS:
            if ((rc = parse_u64("--workers", a, 1, 64, &u))) return rc;
            c->workers = (unsigned)u;
            break;
        case O_WINDOW:
            if ((rc = parse_u64("--window", a, 16, 1000000, &u))) return rc;
            c->window = (unsigned)u;
            break;
        case O_ZSTD:
            if ((rc = parse_u64("--zstd-level", a, 1, 19, &u))) return rc;
            c->zstd_level = (int)u;
            break;
        case O_NOFSYNC: c->no_fsync = true; break;
        case O_QREDIS: c->quota_redis = a; break;
        case O_QPROCS:
            if ((rc = parse_u64("--quota-processes", a, 1, 10000, &u))) return rc;
            c->quota_processes = (unsigned)u;
            break;
        case O_QSHARE:
            if ((rc = parse_double("--quota-share", a, 0.0001, 1, &c->quota_share))) return rc;
            break;
        case O_SHARD:
            if ((rc = parse_shard(a, c))) return rc;
            break;
        case O_NODEDUP: c->no_dedup = true; break;
        case O_OUTFMT:
            if (strcmp(a, "jsonl") && strcmp(a, "msgpack"))
                return bad("--output-format", "expects jsonl or msgpack");
            c->out_msgpack = strcmp(a, "msgpack") == 0;
            break;
        case O_DEDUPMEM:
            if ((rc = parse_u64("--dedup-memory", a, 1, 4096, &u))) return rc;
            c->dedup_memory_mb = (unsigned)u;
            break;
        case O_PRICES: c->prices_file = a; break;
        case O_BUDGET:
            if ((rc = parse_double("--budget-usd", a, 0.000001, 1e9, &c->budget_usd))) return rc;
            break;
        case O_TEMPLATE: c->template_file = a; break;
        case O_ENGINE:
            if (!strcmp(a, "curl"))
                c->http_engine = SL_ENGINE_CURL;
            else if (!strcmp(a, "h2"))
                c->http_engine = SL_ENGINE_H2;
            else
                return bad("--http-engine", "must be curl or h2");
            break;
        case O_CONFIG: break; /* applied before */
        case O_APIKEY:
            return bad("--api-key", "refused: a key on the command line is visible to every user "
                                    "of the machine (ps, /proc); use OPENAI_API_KEY or "
                                    "--api-key-file");
        case 'h':
        case O_HELP:
            sl_cli_usage_run();
            return 1;
        case ':':
            return bad(argv[optind - 1], "needs a value");
        default:
            return bad(optind > 0 && optind <= argc ? argv[optind - 1] : "?", "unknown option");
        }
    }
    if (from_config) {
        if (optind < argc)
            return bad("--config", "a line is not an option");
        return 0;
    }
    for (; optind < argc; optind++) {
        if (c->n_inputs >= SL_MAX_INPUTS)
            return bad("INPUT", "too many inputs");
        c->inputs[c->n_inputs++] = argv[optind];
    }
    if (!c->out_dir)
        return bad("--out", "an output directory is required");
    if (!c->n_inputs)
        return bad("INPUT", "give at least one input file, or - for stdin");
    if (c->restore && c->anon_mode != SL_ANON_TOKENIZE)
        return bad("--restore", "only makes sense with --anonymize tokenize");
    if (c->budget_usd > 0 && !c->prices_file)
        return bad("--budget-usd", "needs --prices FILE (a price table) to know what jobs cost");
    if (c->quota_redis) {
        char host[256], prefix[128];
        int port;

        if (sl_qredis_parse_url(c->quota_redis, host, sizeof(host), &port, prefix, sizeof(prefix)))
            return bad("--quota-redis", "expects redis://HOST:PORT/KEYPREFIX (prefix of "
                                        "letters, digits, _ . : -)");
        if (!c->rpm && !c->tpm)
            return bad("--quota-redis", "needs the quota to share: --rpm and/or --tpm");
    }
    if (c->concurrency && c->window < c->concurrency * 2)
        c->window = c->concurrency * 2;
    return 0;
}
