/* scan_cost.c: the anonymizer's Vectorscan scan alone, for instruction counts per pattern group.
 *
 *   scan_cost build OUT.db [-]ID,ID,...  compile anon_patterns[] (all; only the listed indexes;
 *                                        or, with a leading '-', all but them) and serialize
 *   scan_cost scan DB FILE               hs_scan every line of FILE with a no-op callback
 *   scan_cost time FILE                  the same, natively, with all patterns compiled for this
 *                                        CPU (as sluice does): wall-clock MB/s, best of 5
 *
 * Run by bench/redact/scan_cost.sh: the compile runs natively (a second or two), only the scan
 * runs under callgrind, in its own function (scan_all) so --toggle-collect counts the scan alone;
 * so a leave-one-out over all patterns takes minutes, not hours. Single-threaded, bench only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hs/hs.h>

#include "anon_detect.h"

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl, void *ctx)
{
    (void)id;
    (void)from;
    (void)to;
    (void)fl;
    ++*(unsigned long *)ctx;
    return 0;
}

/* Not static: callgrind's --toggle-collect needs the symbol. */
__attribute__((noinline)) void scan_all(const hs_database_t *db, hs_scratch_t *s, const char *buf, size_t len,
                                        unsigned long *hits);

void scan_all(const hs_database_t *db, hs_scratch_t *s, const char *buf, size_t len, unsigned long *hits)
{
    const char *p = buf, *end = buf + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));

        if (!nl)
            nl = end;
        hs_scan(db, p, (unsigned)(nl - p), 0, s, on_match, hits);
        p = nl + 1;
    }
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        *len = (size_t)n;
    fclose(f);
    return buf;
}

static int build(const char *out, const char *sel)
{
    const char **ex = calloc(anon_npatterns, sizeof(*ex));
    unsigned *fl = calloc(anon_npatterns, sizeof(*fl)), *ids = calloc(anon_npatterns, sizeof(*ids));
    bool skip = sel && sel[0] == '-';
    char list[4096];
    unsigned n = 0;
    hs_database_t *db = NULL;
    hs_compile_error_t *ce = NULL;
    hs_platform_info_t plat;
    char *bytes = NULL;
    size_t len = 0;
    FILE *f;

    if (!ex || !fl || !ids)
        return 1;
    snprintf(list, sizeof(list), ",%s,", sel ? sel + skip : "");
    for (size_t k = 0; k < anon_npatterns; k++) {
        char key[32];

        snprintf(key, sizeof(key), ",%zu,", k);
        if (sel && (strstr(list, key) != NULL) == skip)
            continue;
        ex[n] = anon_patterns[k].re;
        fl[n] = anon_patterns[k].flags;
        ids[n++] = (unsigned)k;
    }
    /* For this CPU but without AVX-512: valgrind runs no AVX-512 code, and a database built for it
     * does not deserialize under valgrind (the scan would not run at all and count 0). */
    if (hs_populate_platform(&plat) != HS_SUCCESS)
        return 1;
    plat.cpu_features &= ~(unsigned long long)(HS_CPU_FEATURES_AVX512 | HS_CPU_FEATURES_AVX512VBMI);
    if (!n || hs_compile_multi(ex, fl, ids, n, HS_MODE_BLOCK, &plat, &db, &ce) != HS_SUCCESS ||
        hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) {
        fprintf(stderr, "scan_cost: cannot compile %s\n", ce ? ce->message : "");
        return 1;
    }
    f = fopen(out, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len || fclose(f))
        return 1;
    printf("%u patterns\n", n);
    hs_free_database(db);
    free(bytes);
    free(ex);
    free(fl);
    free(ids);
    return 0;
}

static int scan(const char *dbpath, const char *path)
{
    size_t dblen = 0, len = 0;
    char *dbb = slurp(dbpath, &dblen), *buf = slurp(path, &len);
    hs_database_t *db = NULL;
    hs_scratch_t *s = NULL;
    unsigned long hits = 0;

    if (!dbb || !buf || hs_deserialize_database(dbb, dblen, &db) != HS_SUCCESS ||
        hs_alloc_scratch(db, &s) != HS_SUCCESS)
        return 1;
    scan_all(db, s, buf, len, &hits);
    printf("%lu matches\n", hits);
    hs_free_scratch(s);
    hs_free_database(db);
    free(dbb);
    free(buf);
    return 0;
}

/* The scan alone in wall time: what Vectorscan costs before any detector runs. */
static int timed(const char *path)
{
    const char **ex = calloc(anon_npatterns, sizeof(*ex));
    unsigned *fl = calloc(anon_npatterns, sizeof(*fl)), *ids = calloc(anon_npatterns, sizeof(*ids));
    hs_database_t *db = NULL;
    hs_compile_error_t *ce = NULL;
    hs_scratch_t *s = NULL;
    size_t len = 0, k;
    char *buf = slurp(path, &len);
    double best = 1e30;
    unsigned long hits = 0;

    if (!ex || !fl || !ids || !buf)
        return 1;
    for (k = 0; k < anon_npatterns; k++) {
        ex[k] = anon_patterns[k].re;
        fl[k] = anon_patterns[k].flags;
        ids[k] = (unsigned)k;
    }
    if (hs_compile_multi(ex, fl, ids, (unsigned)anon_npatterns, HS_MODE_BLOCK, NULL, &db, &ce) != HS_SUCCESS ||
        hs_alloc_scratch(db, &s) != HS_SUCCESS)
        return 1;
    for (int r = 0; r < 5; r++) {
        struct timespec a, z;
        double t;

        clock_gettime(CLOCK_MONOTONIC, &a);
        scan_all(db, s, buf, len, &hits);
        clock_gettime(CLOCK_MONOTONIC, &z);
        t = (double)(z.tv_sec - a.tv_sec) + (double)(z.tv_nsec - a.tv_nsec) / 1e9;
        best = t < best ? t : best;
    }
    printf("%.1f MB/s\n", (double)len / best / 1e6);
    hs_free_scratch(s);
    hs_free_database(db);
    free(ex);
    free(fl);
    free(ids);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "build") == 0)
        return build(argv[2], argc > 3 ? argv[3] : NULL);
    if (argc == 4 && strcmp(argv[1], "scan") == 0)
        return scan(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "time") == 0)
        return timed(argv[2]);
    fprintf(stderr, "usage: scan_cost build OUT.db [[-]ID,...] | scan DB FILE | time FILE\n");
    return 2;
}
