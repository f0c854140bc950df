/* config.h: the options of `sluice run`, parsed from the command line (and --config files). */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anonymize.h"

#define SL_MAX_INPUTS 256

enum sl_engine { SL_ENGINE_CURL, SL_ENGINE_H2 }; /* --http-engine (http.h) */

struct sl_config {
    const char *inputs[SL_MAX_INPUTS];
    size_t n_inputs;
    const char *out_dir;
    const char *endpoint;      /* scheme://host[:port][/base] */
    const char *cacert;
    const char *api_key_env;   /* default OPENAI_API_KEY */
    const char *api_key_file;
    const char *auth_header;   /* default "Authorization" with "Bearer "; or e.g. "api-key" */
    const char *policy_file;
    const char *hash_key_file;
    const char *format;        /* "jsonl", "msgpack" or NULL (by extension) */
    uint64_t rpm, tpm;
    uint64_t burst_ms;
    unsigned concurrency;
    unsigned max_attempts;
    double timeout_s;
    double drain_timeout_s;
    uint64_t backoff_base_ms, backoff_cap_ms;
    enum sl_anon_mode anon_mode;
    uint32_t anon_types;
    bool restore;
    bool resume;
    bool dry_run;
    bool allow_http;
    enum sl_engine http_engine;
    bool quiet;
    bool progress;             /* forced on/off; default: stderr is a terminal */
    bool progress_set;
    bool no_fsync;
    bool no_dedup;             /* ids known unique: no duplicate check */
    unsigned dedup_memory_mb;  /* --dedup-memory: filter + chain heads (idset.h) */
    bool out_msgpack;          /* --output-format msgpack: *.msgpack.zst outputs */
    bool log_json;
    unsigned workers;
    unsigned window;           /* jobs alive at once */
    int zstd_level;
    /* Operations (issue "Operations"). */
    const char *prices_file;   /* --prices: price table (price.h); NULL = spend unknown */
    double budget_usd;         /* --budget-usd: 0 = none; requires prices_file */
    const char *template_file; /* --template: templated jobs */
    /* Several processes, one quota (qredis.h) and one input split by custom_id (shard.h). */
    const char *quota_redis;   /* redis://HOST:PORT/KEYPREFIX or NULL */
    double quota_share;        /* local share while Redis is unreachable; 0 = 1/quota_processes */
    unsigned quota_processes;  /* default 2 */
    unsigned shard_index, shard_count; /* --shard I/N; count 0 = not sharded */
};

void sl_config_defaults(struct sl_config *c);

#endif
