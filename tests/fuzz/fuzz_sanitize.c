/* fuzz_sanitize.c: libFuzzer target for the sanitize stage, the way the pipeline drives it:
 * bytes -> sl_sanitize_utf8 (both policies) -> json_loadb (flags 0) -> sl_sanitize_job.
 * Checks invariants on the way: an accepted job still holds only valid UTF-8 strings with no
 * stripped characters left, and a refusal always carries a known reason code and a JSON pointer.
 * The policies are built once (libFuzzer calls this function many times in one process). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"

static struct sl_policy *pol_default, *pol_replace;

static void check_strings(json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;

    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);

        /* no C0 control other than \t \n \r, no zero-width space or RLO survives */
        for (i = 0; i < n; i++)
            if ((unsigned char)s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
                abort();
        if (memmem(s, n, "\xE2\x80\x8B", 3) || memmem(s, n, "\xE2\x80\xAE", 3))
            abort();
        return;
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        check_strings(x);
    } else if (json_is_object(v)) {
        json_object_foreach(v, k, x)
        check_strings(x);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sl_san_stats st;
    struct sl_err err;
    struct sl_buf fixed;
    uint64_t est;
    json_t *job;
    int rc;

    if (!pol_default && (sl_policy_default(&pol_default) ||
                         sl_policy_load("{\"utf8\":\"replace\"}", 18, &pol_replace, &err)))
        abort();
    sl_buf_init(&fixed, 0);
    rc = sl_sanitize_utf8(pol_default, (const char *)data, size, &fixed, &err);
    if (rc != 0 && rc != SL_EUTF8)
        abort();
    rc = sl_sanitize_utf8(pol_replace, (const char *)data, size, &fixed, &err);
    if (rc < 0)
        abort();
    if (rc == 1) {
        data = (const uint8_t *)fixed.p;
        size = fixed.len;
    }
    job = json_loadb((const char *)data, size, 0, NULL);
    if (job) {
        rc = sl_sanitize_job(pol_default, job, &st, &est, &err);
        if (rc == 0) {
            check_strings(json_object_get(job, "body"));
        } else {
            const char *code = sl_sanitize_reason_code(&err);
            if (strcmp(code, "other") == 0 || code[0] == '\0' ||
                (err.field[0] != '\0' && err.field[0] != '/'))
                abort();
        }
        json_decref(job);
    }
    sl_buf_free(&fixed);
    return 0;
}
