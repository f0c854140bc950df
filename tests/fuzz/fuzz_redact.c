/* fuzz_redact.c: libFuzzer target for the `sluice redact` line filter (sl_redact_line) on arbitrary
 * bytes, taken as one line (up to the first '\n'). Invariants: never an internal error; a line is
 * accepted or refused alike with mode off and mode redact; with mode off an accepted line is
 * written byte for byte; what redact writes is one line of valid UTF-8 that the filter accepts
 * again and copies unchanged; every line jansson accepts is accepted (but for jansson's own
 * laxness about raw NULs). Filters built once. */
#undef NDEBUG /* the invariants are the point, in every build type */
#include <assert.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_redact.h"
#include "utf8.h"

static struct sl_redact *off, *red;

/* Run filter r over a copy of p[0..n); the output (malloc'd, *out) and its length (*outlen). */
static int run(struct sl_redact *r, const char *p, size_t n, char **out, size_t *outlen)
{
    char *line = malloc(n + 1);
    FILE *f = open_memstream(out, outlen);
    int rc;

    assert(line && f);
    memcpy(line, p, n);
    rc = sl_redact_line(r, line, n, 1, f, NULL);
    assert(fclose(f) == 0);
    free(line);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data, *nl = memchr(in, '\n', size);
    size_t len = nl ? (size_t)(nl - in) : size, n1, n2, n3;
    char *o1, *o2, *o3;
    json_error_t je;
    json_t *j;
    int r1, r2;

    if (!off) {
        struct sl_anon_opts o0 = {.mode = SL_ANON_OFF}, o1_ = {.mode = SL_ANON_REDACT};

        if (sl_redact_create(&o0, &off) || sl_redact_create(&o1_, &red))
            abort();
    }
    r1 = run(off, in, len, &o1, &n1);
    assert(r1 == 0 || r1 == 1);
    if (r1 == 0)
        assert(n1 == len + 1 && memcmp(o1, in, len) == 0 && o1[len] == '\n');
    else
        assert(n1 == 0);
    r2 = run(red, in, len, &o2, &n2);
    assert(r2 == r1);
    if (r2 == 0) {
        assert(n2 >= 1 && o2[n2 - 1] == '\n' && !memchr(o2, '\n', n2 - 1));
        assert(sl_utf8_valid(o2, n2 - 1, NULL));
        assert(run(off, o2, n2 - 1, &o3, &n3) == 0);
        assert(n3 == n2 && memcmp(o3, o2, n2) == 0);
        free(o3);
    }
    /* jansson swallows a raw NUL right after a number ("[2\0]"); JSON has no raw NULs */
    j = memchr(in, '\0', len) ? NULL : json_loadb(in, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (j) {
        assert(r1 == 0);
        json_decref(j);
    }
    free(o1);
    free(o2);
    return 0;
}
