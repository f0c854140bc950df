/* test_series.c: the latency histogram's buckets and quantiles, and the series file: round trip
 * (synchronous and through a libuv loop), a torn or corrupted tail is dropped, resume appends after
 * the last valid record. Single-threaded; files in a fresh temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "series.h"

static char tmpdir[64];

static int setup(void **st)
{
    (void)st;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sl-series-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **st)
{
    char p[128];

    (void)st;
    snprintf(p, sizeof(p), "%s/series.bin", tmpdir);
    unlink(p);
    return rmdir(tmpdir);
}

static void test_crc32_vector(void **st)
{
    (void)st;
    assert_int_equal(sl_series_crc32("123456789", 9), 0xCBF43926u); /* the standard check */
    assert_int_equal(sl_series_crc32("", 0), 0);
}

static void test_hist_buckets(void **st)
{
    static const struct {
        uint32_t ms;
        uint64_t lo, hi;
    } cases[] = {
        {0, 0, 0},
        {1, 1, 1},
        {15, 15, 15},
        {16, 16, 16},
        {17, 17, 17},
        {31, 31, 31},
        {32, 32, 33},
        {33, 32, 33},
        {100, 100, 103},
        {1000, 992, 1023},
        {1023, 992, 1023},
        {1024, 1024, 1087},
        {500000, 491520, 507903},
        {524287, 507904, 524287},
    };
    size_t i;

    (void)st;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sl_lat_hist h = {0};
        uint64_t lo, hi;
        int b;

        sl_lat_hist_add(&h, cases[i].ms);
        for (b = 0; b < SL_LAT_BUCKETS && !h.n[b]; b++)
            ;
        assert_true(b < SL_LAT_BUCKETS);
        sl_lat_hist_bounds(b, &lo, &hi);
        assert_int_equal(lo, cases[i].lo);
        assert_int_equal(hi, cases[i].hi);
        /* The bucket's relative width is at most 1/16. */
        assert_true((double)(hi - lo) <= (double)lo / 16.0 + 0.5);
    }
    {
        /* Beyond the range: the last bucket, and the quantile is the true max. */
        struct sl_lat_hist h = {0};

        sl_lat_hist_add(&h, 4000000000u);
        assert_int_equal(h.n[SL_LAT_BUCKETS - 1], 1);
        assert_int_equal(sl_lat_hist_quantile(&h, 0.5), 4000000000u);
    }
}

static void test_hist_quantiles(void **st)
{
    struct sl_lat_hist h = {0}, a = {0}, b = {0};
    uint32_t v;

    (void)st;
    assert_int_equal(sl_lat_hist_quantile(&h, 0.5), 0); /* empty */
    for (v = 1; v <= 1000; v++) {
        sl_lat_hist_add(&h, v);
        sl_lat_hist_add(v % 2 ? &a : &b, v);
    }
    assert_int_equal(h.count, 1000);
    assert_int_equal(h.max_ms, 1000);
    /* Exact p50 = 500, p90 = 900, p99 = 990: the answer is the upper bound of the bucket (496..511,
     * 896..927, 960..991), within 6.25%. */
    assert_int_equal(sl_lat_hist_quantile(&h, 0.5), 511);
    assert_int_equal(sl_lat_hist_quantile(&h, 0.9), 927);
    assert_int_equal(sl_lat_hist_quantile(&h, 0.99), 991);
    assert_int_equal(sl_lat_hist_quantile(&h, 1.0), 1000); /* capped at max_ms */
    assert_int_equal(sl_lat_hist_quantile(&h, 0.0), 1);
    assert_int_equal(sl_lat_hist_quantile(&h, 0.001), 1);
    assert_int_equal(sl_lat_hist_quantile(&h, 0.0011), 2);
    sl_lat_hist_merge(&a, &b);
    assert_memory_equal(&a, &h, sizeof(h));
    sl_lat_hist_clear(&a);
    assert_int_equal(a.count, 0);
    assert_int_equal(sl_lat_hist_quantile(&a, 0.99), 0);
}

static struct sl_series_sample sample(uint64_t i)
{
    struct sl_series_sample x = {0};

    x.t_ms = 1000 * (i + 1);
    x.unix_ms = 1700000000000ull + x.t_ms;
    x.requests = (uint32_t)(50 + i);
    x.results = (uint32_t)(48 + i);
    x.errors = 1;
    x.rejects = 2;
    x.http_429 = (uint32_t)i % 3;
    x.http_5xx = 7;
    x.net_errors = 8;
    x.retries = 9;
    x.prompt_tokens = 123456789012ull + i;
    x.completion_tokens = 42;
    x.inflight = 16;
    x.ready = 3;
    x.rpm_limit = 3000.5;
    x.tpm_limit = 0;
    x.p50_ms = 10;
    x.p90_ms = 20;
    x.p99_ms = 30;
    x.max_ms = 4000000000ull;
    return x;
}

static void write_n(bool resume, uv_loop_t *loop, uint64_t from, uint64_t n)
{
    struct sl_series *s;
    uint64_t i;

    assert_int_equal(sl_series_open(tmpdir, resume, loop, &s), 0);
    for (i = from; i < from + n; i++) {
        struct sl_series_sample x = sample(i);

        assert_int_equal(sl_series_append(s, &x), 0);
    }
    if (loop)
        uv_run(loop, UV_RUN_DEFAULT);
    assert_int_equal(sl_series_close(s), 0);
}

static void check_n(uint64_t n)
{
    struct sl_series_sample *v;
    size_t got, i;

    assert_int_equal(sl_series_load(tmpdir, &v, &got), 0);
    assert_int_equal(got, n);
    for (i = 0; i < got; i++) {
        struct sl_series_sample x = sample(i);

        assert_memory_equal(&v[i], &x, sizeof(x));
    }
    free(v);
}

static void test_round_trip(void **st)
{
    uv_loop_t loop;

    (void)st;
    write_n(false, NULL, 0, 5);
    check_n(5);
    write_n(false, NULL, 0, 2); /* no resume: truncated */
    check_n(2);
    /* Through a loop: many appends while a write is in flight, all land in order. */
    assert_int_equal(uv_loop_init(&loop), 0);
    write_n(true, &loop, 2, 300);
    assert_int_equal(uv_loop_close(&loop), 0);
    check_n(302);
}

static void test_torn_tail(void **st)
{
    char path[128];
    struct stat sb;
    FILE *f;
    long cut[] = {1, 5, 127}; /* bytes removed from the end */
    size_t i;

    (void)st;
    snprintf(path, sizeof(path), "%s/series.bin", tmpdir);
    for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
        write_n(false, NULL, 0, 4);
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(sb.st_size, 8 + 4 * 128);
        assert_int_equal(truncate(path, sb.st_size - cut[i]), 0);
        check_n(3);
    }
    /* A flipped bit in record 3 of 4: records 0..1 survive, the rest is dropped. */
    write_n(false, NULL, 0, 4);
    f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 8 + 2 * 128 + 40, SEEK_SET);
    fputc(0x55, f);
    fclose(f);
    check_n(2);
    /* Resume cuts the bad tail and appends after the valid prefix. */
    write_n(true, NULL, 2, 3);
    check_n(5);
    /* Not a series file at all: no samples, no error. */
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs("garbage", f);
    fclose(f);
    check_n(0);
    unlink(path);
    {
        struct sl_series_sample *v = (void *)1;
        size_t n = 9;

        assert_int_equal(sl_series_load(tmpdir, &v, &n), -ENOENT);
        assert_null(v);
        assert_int_equal(n, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_vector),
        cmocka_unit_test(test_hist_buckets),
        cmocka_unit_test(test_hist_quantiles),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
