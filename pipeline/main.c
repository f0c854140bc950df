/* main.c: sluice's subcommands. */
#include <curl/curl.h>
#include <hs/hs.h>
#include <jansson.h>
#include <msgpack.h>
#include <nghttp2/nghttp2.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>
#include <yajl/yajl_version.h>
#include <zstd.h>

#include "anon_db.h"
#include "cli.h"
#include "cmd_audit.h"
#include "cmd_bench.h"
#include "cmd_redact.h"
#include "cmd_report.h"
#include "log.h"
#include "run.h"
#include "version.h"

static void usage(FILE *f)
{
    fputs("usage: sluice COMMAND [OPTIONS]\n"
          "\n"
          "  run [OPTIONS] INPUT...   send a batch of jobs through an OpenAI-compatible API\n"
          "  redact [OPTIONS]         anonymize every string value of JSONL on stdin\n"
          "  audit verify DIR...      check an output directory's audit chain and accounting\n"
          "  bench [OPTIONS]          measure quota utilisation against the bundled mock\n"
          "  report DIR [-o FILE]     one self-contained HTML page about a run\n"
          "  version                  sluice's version and its libraries'\n"
          "  help                     this text\n"
          "\n"
          "Run `sluice COMMAND --help` for a command's options.\n",
          f);
}

static int version(void)
{
    curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

    printf("sluice %s\n", sl_version());
    printf("libcurl %s (%s%s)\n", cv->version, cv->ssl_version ? cv->ssl_version : "no TLS",
           (cv->features & CURL_VERSION_HTTP2) ? ", HTTP/2" : "");
    printf("OpenSSL %s\n", OpenSSL_version(OPENSSL_VERSION_STRING));
    printf("libuv %s\n", uv_version_string());
    printf("zstd %s\n", ZSTD_versionString());
    printf("msgpack-c %s\n", msgpack_version());
    printf("jansson %s\n", jansson_version_str());
    printf("yajl %d.%d.%d\n", yajl_version() / 10000, yajl_version() / 100 % 100, yajl_version() % 100);
    printf("nghttp2 %s\n", nghttp2_version(0)->version_str);
    printf("vectorscan %s\n", hs_version());
    return 0;
}

/* The anonymizer's database, serialized at build time (anon_db_blob.c). */
extern const unsigned char sl_anon_db_bytes[];
extern const size_t sl_anon_db_len;
extern const uint64_t sl_anon_db_fp;

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;

    sl_anon_db_set_embedded(sl_anon_db_bytes, sl_anon_db_len, sl_anon_db_fp);

    if (!cmd || !strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return cmd ? 0 : 2;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version"))
        return version();
    if (!strcmp(cmd, "run")) {
        struct sl_config cfg;
        int rc = sl_cli_parse_run(argc - 1, argv + 1, &cfg);

        if (rc == 1)
            return 0;
        if (rc)
            return 2;
        sl_log_setup(cfg.log_json, cfg.quiet);
        return sl_run(&cfg);
    }
    if (!strcmp(cmd, "redact"))
        return sl_cmd_redact(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench"))
        return sl_cmd_bench(argc - 1, argv + 1);
    if (!strcmp(cmd, "audit"))
        return sl_cmd_audit(argc - 1, argv + 1);
    if (!strcmp(cmd, "report"))
        return sl_cmd_report(argc - 1, argv + 1);
    fprintf(stderr, "sluice: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
