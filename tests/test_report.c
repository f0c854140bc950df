/* test_report.c: sl_report_build on hand-made output directories: hostile strings from
 * summary.json (model names, reject reasons, input names) and errors.jsonl.zst (error codes) come
 * out HTML-escaped; a directory without series.bin still gives a page (charts say "no data"); a
 * missing or broken summary.json is an error. Single-threaded; files in a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include <cmocka.h>

#include "report.h"
#include "series.h"

static char dir[64];

static void put_file(const char *name, const void *p, size_t n)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void rm_file(const char *name)
{
    char path[128];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
}

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof(dir), "/tmp/sl-report-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    rm_file("summary.json");
    rm_file("errors.jsonl.zst");
    rm_file("series.bin");
    return rmdir(dir);
}

static const char summary[] =
    "{\"status\":\"complete_with_failures\",\"results\":5,\"errors\":3,\"rejects\":2,"
    "\"requests\":9,\"retries\":1,\"http_429\":1,\"wall_seconds\":2.5,"
    "\"latency_ms\":{\"p50_le\":7,\"p90_le\":9,\"p99_le\":9,\"max\":9,\"count\":8,"
    "\"histogram\":[[7,7,5],[9,9,3]]},"
    "\"rejects_by_reason\":{\"<b>bold</b>\":2},"
    "\"redactions\":{\"EMAIL\":4},\"sanitized\":{\"bidi\":1},"
    "\"spend_by_model\":{\"<script>alert(1)</script>\":1.25,\"gpt\\\"x\":{\"usd\":2}},"
    "\"settings\":{\"endpoint_host\":\"h<o>st\",\"inputs\":[\"a&b<i>.jsonl\"],\"rpm\":60}}";

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    while ((hay = strstr(hay, needle))) {
        n++;
        hay += strlen(needle);
    }
    return n;
}

static void test_escaped(void **st)
{
    static const char errs[] = "{\"error\":{\"code\":\"<svg onload=x>\"}}\n"
                               "{\"error\":{\"code\":\"<svg onload=x>\"}}\n"
                               "not json\n"
                               "{\"error\":{\"code\":\"timeout\"}}\n";
    char z[512], why[256] = "";
    size_t zn = ZSTD_compress(z, sizeof(z), errs, sizeof(errs) - 1, 3);
    struct sl_buf b;

    (void)st;
    assert_false(ZSTD_isError(zn));
    put_file("summary.json", summary, sizeof(summary) - 1);
    put_file("errors.jsonl.zst", z, zn);
    sl_buf_init(&b, 0);
    assert_int_equal(sl_report_build(dir, &b, why, sizeof(why)), 0);
    /* Nothing from the files becomes markup. */
    assert_null(strstr(b.p, "<script"));
    assert_null(strstr(b.p, "<b>bold"));
    assert_null(strstr(b.p, "<i>.jsonl"));
    assert_null(strstr(b.p, "<o>"));
    assert_null(strstr(b.p, "<svg onload"));
    assert_non_null(strstr(b.p, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(b.p, "gpt&quot;x"));
    assert_non_null(strstr(b.p, "reject: &lt;b&gt;bold&lt;/b&gt;"));
    assert_non_null(strstr(b.p, "a&amp;b&lt;i&gt;.jsonl"));
    assert_non_null(strstr(b.p, "h&lt;o&gt;st"));
    /* Errors by code, counted from errors.jsonl.zst (the bad line skipped). */
    assert_non_null(strstr(b.p, "data-label=\"error: &lt;svg onload=x&gt;\" data-value=\"2\""));
    assert_non_null(strstr(b.p, "data-label=\"error: timeout\" data-value=\"1\""));
    /* Spend: the number, or the first number of an object. */
    assert_non_null(strstr(b.p, "data-value=\"1.25\""));
    assert_non_null(strstr(b.p, "data-label=\"gpt&quot;x\" data-value=\"2\""));
    /* No series.bin: the time charts exist and say so. */
    assert_int_equal(count(b.p, ">no data</text>"), 4);
    assert_int_equal(count(b.p, "<svg "), 8);
    assert_int_equal(count(b.p, "<title id="), 8);
    sl_buf_free(&b);
}

static void test_with_series(void **st)
{
    struct sl_series *s;
    struct sl_series_sample x = {0};
    char why[256] = "";
    struct sl_buf b;
    int i;

    (void)st;
    put_file("summary.json", summary, sizeof(summary) - 1);
    assert_int_equal(sl_series_open(dir, false, NULL, &s), 0);
    for (i = 1; i <= 10; i++) {
        x.t_ms = (uint64_t)i * 1000;
        x.unix_ms = 1700000000000ull + x.t_ms;
        x.requests = 50;
        x.prompt_tokens = 1000;
        x.rpm_limit = 3000;
        x.p50_ms = 7;
        x.max_ms = 9;
        assert_int_equal(sl_series_append(s, &x), 0);
    }
    /* A last partial second (0.2 s) is folded into the point before, not extrapolated. */
    x.t_ms = 10200;
    x.unix_ms += 200;
    x.requests = 10;
    assert_int_equal(sl_series_append(s, &x), 0);
    assert_int_equal(sl_series_close(s), 0);
    sl_buf_init(&b, 0);
    assert_int_equal(sl_report_build(dir, &b, why, sizeof(why)), 0);
    assert_int_equal(count(b.p, ">no data</text>"), 0);
    assert_int_equal(count(b.p, "<circle class=\"pt\" data-series=\"achieved req/min\""), 10);
    assert_non_null(strstr(b.p, "data-series=\"quota in force: 3000 req/min\" data-n=\"10\""));
    /* 50 requests a second = 3000 a minute; the last point: 60 in 1.2 s = 3000 a minute. */
    assert_int_equal(count(b.p, "<td>3000.0</td><td>3000.0</td>"), 10);
    sl_buf_free(&b);
}

static void test_many_codes(void **st)
{
    char txt[8192], why[256] = "", *z;
    size_t len = 0, zn;
    struct sl_buf b;
    int i;

    (void)st;
    for (i = 0; i < 70; i++) /* 70 distinct codes, code 0 twice */
        len +=
            (size_t)snprintf(txt + len, sizeof(txt) - len, "{\"error\":{\"code\":\"c%d\"}}\n", i);
    len += (size_t)snprintf(txt + len, sizeof(txt) - len, "{\"error\":{\"code\":\"c0\"}}\n");
    z = malloc(ZSTD_compressBound(len));
    assert_non_null(z);
    zn = ZSTD_compress(z, ZSTD_compressBound(len), txt, len, 1);
    assert_false(ZSTD_isError(zn));
    put_file("summary.json", summary, sizeof(summary) - 1);
    put_file("errors.jsonl.zst", z, zn);
    free(z);
    sl_buf_init(&b, 0);
    assert_int_equal(sl_report_build(dir, &b, why, sizeof(why)), 0);
    /* "results" takes one of the 64 slots: c0..c62 get bars, the other 7 codes are grouped. */
    assert_non_null(strstr(b.p, "data-label=\"error: c0\" data-value=\"2\""));
    assert_non_null(strstr(b.p, "data-label=\"error: c62\" data-value=\"1\""));
    assert_null(strstr(b.p, "data-label=\"error: c63\""));
    assert_non_null(strstr(b.p, "data-label=\"error: (others)\" data-value=\"7\""));
    sl_buf_free(&b);
}

static void test_bad_summary(void **st)
{
    char why[256] = "";
    struct sl_buf b;

    (void)st;
    sl_buf_init(&b, 0);
    assert_int_equal(sl_report_build(dir, &b, why, sizeof(why)), SL_EPARSE);
    assert_non_null(strstr(why, "summary.json"));
    put_file("summary.json", "[1,2]", 5);
    why[0] = 0;
    assert_int_equal(sl_report_build(dir, &b, why, sizeof(why)), SL_EPARSE);
    assert_non_null(strstr(why, "not a JSON object"));
    sl_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_escaped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_with_series, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_summary, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
