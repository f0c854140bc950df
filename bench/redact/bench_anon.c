/* bench_anon.c: generator and single-thread throughput bench for the anonymize stage.
 *
 *   bench_anon gen clean|dense MB > file   synthetic text, one ~1 KB document per line
 *   bench_anon run FILE [mode]             sl_anon_text() over every line; prints MB/s
 *
 * Built by bench/redact/run.sh with cc against the built libsl_stages.a (CMake does not build it).
 * "clean" is ordinary prose with the numbers prose has (versions, prices, times, ids); "dense" puts
 * a PII value or secret every ~80 bytes. Values are random and well-formed (Luhn, mod-97).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anonymize.h"

static unsigned long long rng = 88172645463325252ull;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *const words[] = {
    "the", "order", "was", "shipped", "late", "and", "customer", "asked", "for", "a", "refund",
    "please", "check", "logs", "server", "restarted", "after", "deploy", "failed", "with", "error",
    "timeout", "while", "connecting", "to", "upstream", "service", "we", "will", "update", "you",
    "soon", "thanks", "team", "meeting", "moved", "next", "week", "report", "attached", "invoice",
    "total", "is", "pending", "approval", "from", "finance", "department", "Monday", "release",
    "notes", "mention", "new", "features", "in", "dashboard", "users", "can", "export", "data"};

static void card(char *o)
{
    static const char *const pre[] = {"4", "51", "37", "6011"};
    char d[20];
    int n, k, sum = 0, len;
    const char *p = pre[rnd(4)];

    len = p[0] == '3' ? 15 : 16;
    n = (int)strlen(p);
    memcpy(d, p, (size_t)n);
    for (k = n; k < len - 1; k++)
        d[k] = (char)('0' + rnd(10));
    for (k = 0; k < len - 1; k++) {
        int v = d[len - 2 - k] - '0';

        if (!(k & 1))
            v = v * 2 > 9 ? v * 2 - 9 : v * 2;
        sum += v;
    }
    d[len - 1] = (char)('0' + (10 - sum % 10) % 10);
    d[len] = 0;
    if (len == 16)
        sprintf(o, "%.4s %.4s %.4s %.4s", d, d + 4, d + 8, d + 12);
    else
        sprintf(o, "%s", d);
}

static void pii(char *o)
{
    static const char *const first[] = {"Anna", "Lucas", "Maria", "Jonas", "Chloé", "Pedro", "Emma"};
    static const char *const last[] = {"Meyer", "Silva", "Dubois", "García", "Smith", "Rossi"};
    char tmp[64];

    switch (rnd(9)) {
    case 0: sprintf(o, "mail %s.%s%u@example.org", first[rnd(7)], last[rnd(6)], rnd(100)); break;
    case 1: sprintf(o, "call +49 %u %u", 30 + rnd(60), 1000000 + rnd(8999999)); break;
    case 2: card(tmp); sprintf(o, "card %s", tmp); break;
    case 3: sprintf(o, "from %u.%u.%u.%u", 1 + rnd(223), rnd(256), rnd(256), 1 + rnd(254)); break;
    case 4: sprintf(o, "Dear Mr. %s %s,", first[rnd(7)], last[rnd(6)]); break;
    case 5: sprintf(o, "SSN %03u-%02u-%04u", 100 + rnd(565), 10 + rnd(89), 1000 + rnd(8999)); break;
    case 6: sprintf(o, "key ghp_%08x%08x%08x%08x%04x", rnd(~0u), rnd(~0u), rnd(~0u), rnd(~0u), rnd(65535)); break;
    case 7: sprintf(o, "born %u-%02u-%02u", 1940 + rnd(60), 1 + rnd(12), 1 + rnd(28)); break;
    default: sprintf(o, "ip 2001:db8:%x::%x", rnd(65535), rnd(65535)); break;
    }
}

static void gen(int dense, long mb)
{
    long total = mb * 1000000L, out = 0;
    char line[4096], piece[128];

    while (out < total) {
        size_t n = 0;

        while (n < 1000) {
            if (dense && rnd(10) == 0)
                pii(piece);
            else if (!dense && rnd(400) == 0)
                pii(piece);
            else if (rnd(40) == 0)
                sprintf(piece, "%s %u.%u.%u at %02u:%02u for $%u.%02u", "v", rnd(9), rnd(30), rnd(50),
                        rnd(24), rnd(60), rnd(500), rnd(100));
            else
                sprintf(piece, "%s", words[rnd(sizeof(words) / sizeof(words[0]))]);
            n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", n ? " " : "", piece);
        }
        line[n++] = '\n';
        fwrite(line, 1, n, stdout);
        out += (long)n;
    }
}

static int run(const char *path, const char *mode)
{
    static const unsigned char key[] = "bench-key-0123456789";
    struct sl_anon_opts o = {.mode = SL_ANON_REDACT, .hmac_key = key, .hmac_key_len = sizeof(key) - 1};
    struct sl_anon *a;
    struct sl_anon_scratch *s;
    struct sl_anon_counts cnt = {{0}};
    struct sl_buf out;
    struct timespec t0, t1;
    FILE *f = fopen(path, "rb");
    char *buf, *p, *end;
    long n;
    double dt;
    unsigned total = 0;
    int t;

    if (!f || (mode && sl_anon_mode_parse(mode, &o.mode)))
        return 2;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        return 1;
    fclose(f);
    if (sl_anon_create(&o, &a) || sl_anon_scratch_create(a, &s))
        return 1;
    sl_buf_init(&out, 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (p = buf, end = buf + n; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        struct sl_anon_vault *v = NULL;

        if (!nl)
            nl = end;
        sl_buf_reset(&out);
        if (o.mode == SL_ANON_TOKENIZE && sl_anon_vault_create(&v))
            return 1;
        if (sl_anon_text(a, s, p, (size_t)(nl - p), &out, &cnt, v))
            return 1;
        sl_anon_vault_destroy(v);
        p = nl + 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    for (t = 0; t < SL_PII__COUNT; t++)
        total += cnt.n[t];
    printf("%.1f MB in %.3f s = %.1f MB/s (%u values)\n", (double)n / 1e6, dt, (double)n / 1e6 / dt, total);
    sl_buf_free(&out);
    sl_anon_scratch_destroy(s);
    sl_anon_destroy(a);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "gen") == 0) {
        gen(strcmp(argv[2], "dense") == 0, atol(argv[3]));
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "run") == 0)
        return run(argv[2], argc > 3 ? argv[3] : NULL);
    fprintf(stderr, "usage: bench_anon gen clean|dense MB | run FILE [mode]\n");
    return 2;
}
