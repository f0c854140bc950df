/* scan_cost.c: the anonymizer's Vectorscan scan alone, for instruction counts per pattern group.
 *
 *   scan_cost FILE [ID,ID,...]   compile the trigger patterns (all, or the listed indexes of
 *                                anon_patterns[]) and hs_scan every line with a no-op callback
 *
 * Built and run under callgrind by bench/redact/scan_cost.sh; the scan is in its own function
 * (scan_all) so --toggle-collect counts the scan and not the compile. Single-threaded, bench only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

__attribute__((noinline)) static void scan_all(const hs_database_t *db, hs_scratch_t *s, const char *buf,
                                               size_t len, unsigned long *hits)
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

int main(int argc, char **argv)
{
    const char **ex = calloc(anon_npatterns, sizeof(*ex));
    unsigned *fl = calloc(anon_npatterns, sizeof(*fl)), *ids = calloc(anon_npatterns, sizeof(*ids));
    unsigned n = 0;
    hs_database_t *db = NULL;
    hs_compile_error_t *ce = NULL;
    hs_scratch_t *s = NULL;
    unsigned long hits = 0;
    FILE *f;
    long len;
    char *buf;

    if (argc < 2 || !ex || !fl || !ids || !(f = fopen(argv[1], "rb")))
        return 2;
    for (size_t k = 0; k < anon_npatterns; k++) {
        char key[32];

        snprintf(key, sizeof(key), ",%zu,", k);
        if (argc > 2) {
            char list[1024];

            snprintf(list, sizeof(list), ",%s,", argv[2]);
            if (!strstr(list, key))
                continue;
        }
        ex[n] = anon_patterns[k].re;
        fl[n] = anon_patterns[k].flags;
        ids[n++] = (unsigned)k;
    }
    if (!n || hs_compile_multi(ex, fl, ids, n, HS_MODE_BLOCK, NULL, &db, &ce) != HS_SUCCESS ||
        hs_alloc_scratch(db, &s) != HS_SUCCESS) {
        fprintf(stderr, "scan_cost: cannot compile %s\n", ce ? ce->message : "");
        return 1;
    }
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    rewind(f);
    buf = malloc((size_t)len);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
        return 1;
    fclose(f);
    scan_all(db, s, buf, (size_t)len, &hits);
    printf("%u patterns, %lu matches\n", n, hits);
    hs_free_scratch(s);
    hs_free_database(db);
    free(buf);
    free(ex);
    free(fl);
    free(ids);
    return 0;
}
