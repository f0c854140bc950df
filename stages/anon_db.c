/* anon_db.c: build or load the anonymizer's Vectorscan database (see anon_db.h).
 * The registered bytes are the one piece of process-wide state in stages/: set once by main()
 * before any thread starts, read-only afterwards. A program that registers nothing (unit tests,
 * fuzz targets, tools) compiles once per process and deserializes its own copy after that:
 * compiling costs about a second of CPU (many more under sanitizers) for every instance. */
#include "anon_db.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anon_detect.h"

static const void *g_bytes;
static size_t g_len;
static uint64_t g_fp;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;

    while (n--) {
        h ^= *b++;
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t sl_anon_db_fingerprint(void)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    const char *v = hs_version();
    size_t k;

    h = fnv(h, v, strlen(v) + 1);
    for (k = 0; k < anon_npatterns; k++) {
        unsigned f = anon_patterns[k].flags;

        h = fnv(h, anon_patterns[k].re, strlen(anon_patterns[k].re) + 1);
        h = fnv(h, &f, sizeof(f));
    }
    return h;
}

void sl_anon_db_set_embedded(const void *bytes, size_t len, uint64_t fingerprint)
{
    g_bytes = bytes;
    g_len = len;
    g_fp = fingerprint;
}

static int compile(hs_database_t **db)
{
    const char **exprs = calloc(anon_npatterns, sizeof(*exprs));
    unsigned *flags = calloc(anon_npatterns, sizeof(*flags));
    unsigned *ids = calloc(anon_npatterns, sizeof(*ids));
    hs_compile_error_t *cerr = NULL;
    int rc = 0;
    size_t k;

    if (!exprs || !flags || !ids) {
        rc = -ENOMEM;
        goto out;
    }
    for (k = 0; k < anon_npatterns; k++) {
        exprs[k] = anon_patterns[k].re;
        flags[k] = anon_patterns[k].flags;
        ids[k] = (unsigned)k;
    }
    if (hs_compile_multi(exprs, flags, ids, (unsigned)anon_npatterns, HS_MODE_BLOCK, NULL, db,
                         &cerr) != HS_SUCCESS) {
        fprintf(stderr, "anonymize: pattern %d does not compile: %s\n", cerr ? cerr->expression : -1,
                cerr ? cerr->message : "?");
        hs_free_compile_error(cerr);
        rc = SL_ECONFIG;
    }
out:
    free(exprs);
    free(flags);
    free(ids);
    return rc;
}

static pthread_once_t own_once = PTHREAD_ONCE_INIT;
static char *own_bytes; /* this process's own compile, serialized; kept until exit */
static size_t own_len;

static void compile_own(void)
{
    if (sl_anon_db_serialize(&own_bytes, &own_len)) {
        own_bytes = NULL;
        own_len = 0;
    }
}

int sl_anon_db_build(hs_database_t **db)
{
    *db = NULL;
    if (g_bytes && g_fp == sl_anon_db_fingerprint() &&
        hs_deserialize_database(g_bytes, g_len, db) == HS_SUCCESS)
        return 0;
    *db = NULL;
    pthread_once(&own_once, compile_own);
    if (own_bytes && hs_deserialize_database(own_bytes, own_len, db) == HS_SUCCESS)
        return 0;
    *db = NULL;
    return compile(db);
}

int sl_anon_db_serialize(char **bytes, size_t *len)
{
    hs_database_t *db = NULL;
    int rc = compile(&db);

    if (rc)
        return rc;
    if (hs_serialize_database(db, bytes, len) != HS_SUCCESS)
        rc = -ENOMEM;
    hs_free_database(db);
    return rc;
}
