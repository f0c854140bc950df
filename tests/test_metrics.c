/* test_metrics.c: metrics.prom text. Every output is parsed back by a strict exposition-format
 * checker (names, HELP/TYPE before samples and once per family, label syntax, float values,
 * cumulative histogram buckets ending at +Inf == _count), then checked for the expected samples.
 * Single-threaded; writes one file under a temporary directory.
 */
#include <ctype.h>
#include <math.h>
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

#include "metrics.h"

#define UNUSED __attribute__((unused))

static size_t name_len(const char *s)
{
    size_t n = 0;

    if (!(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
        return 0;
    while (isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == ':')
        n++;
    return n;
}

struct fam {
    char name[96], type[16];
    bool sampled;
};

/* Returns NULL if text is valid exposition format, else a description of the first problem. */
static const char *check_exposition(const char *text, double *hist_inf, double *hist_count)
{
    static struct fam fams[64];
    size_t nf = 0, i;
    const char *p = text;
    double last_bucket = -1;

    memset(fams, 0, sizeof(fams));
    while (*p) {
        const char *eol = strchr(p, '\n');
        char line[512], *v, *end;
        size_t n;

        if (!eol || (size_t)(eol - p) >= sizeof(line))
            return "line without newline or too long";
        memcpy(line, p, (size_t)(eol - p));
        line[eol - p] = '\0';
        p = eol + 1;
        if (!strncmp(line, "# HELP ", 7) || !strncmp(line, "# TYPE ", 7)) {
            bool type = line[2] == 'T';

            n = name_len(line + 7);
            if (!n || line[7 + n] != ' ' || !line[8 + n])
                return "bad HELP/TYPE line";
            for (i = 0; i < nf; i++)
                if (strlen(fams[i].name) == n && !strncmp(fams[i].name, line + 7, n))
                    break;
            if (i == nf) {
                if (nf == 64)
                    return "too many families";
                memcpy(fams[nf].name, line + 7, n);
                nf++;
            }
            if (fams[i].sampled)
                return "HELP/TYPE after samples";
            if (type) {
                if (fams[i].type[0])
                    return "TYPE twice";
                if (strcmp(line + 8 + n, "counter") && strcmp(line + 8 + n, "gauge") &&
                    strcmp(line + 8 + n, "histogram"))
                    return "unknown TYPE";
                snprintf(fams[i].type, sizeof(fams[i].type), "%s", line + 8 + n);
            }
            continue;
        }
        if (line[0] == '#')
            return "unexpected comment";
        n = name_len(line);
        if (!n)
            return "bad metric name";
        for (i = 0; i < nf; i++) {
            size_t fl = strlen(fams[i].name);

            if (!strncmp(line, fams[i].name, fl) &&
                (fl == n || (!strcmp(fams[i].type, "histogram") &&
                             (!strncmp(line + fl, "_bucket", 7) || !strncmp(line + fl, "_sum", 4) ||
                              !strncmp(line + fl, "_count", 6)))))
                break;
        }
        if (i == nf || !fams[i].type[0])
            return "sample without TYPE";
        if (!strcmp(fams[i].type, "counter") && (n < 6 || strncmp(line + n - 6, "_total", 6)))
            return "counter name without _total";
        fams[i].sampled = true;
        v = line + n;
        if (*v == '{') {
            v++;
            while (*v != '}') {
                size_t ln = name_len(v);

                if (!ln || v[ln] != '=' || v[ln + 1] != '"')
                    return "bad label";
                v += ln + 2;
                while (*v && *v != '"')
                    v += (*v == '\\' && v[1]) ? 2 : 1;
                if (*v != '"')
                    return "unterminated label value";
                v++;
                if (*v == ',')
                    v++;
                else if (*v != '}')
                    return "bad label separator";
            }
            v++;
        }
        if (*v != ' ')
            return "no space before value";
        v++;
        if (!strcmp(v, "+Inf") || !strcmp(v, "-Inf") || !strcmp(v, "NaN"))
            continue;
        (void)strtod(v, &end);
        if (end == v || *end)
            return "value is not a float";
        if (strstr(line, "_bucket{")) {
            double x = strtod(v, NULL);

            if (x < last_bucket)
                return "histogram buckets not cumulative";
            last_bucket = x;
            if (strstr(line, "le=\"+Inf\""))
                *hist_inf = x;
        } else if (strstr(line, "_count ")) {
            *hist_count = strtod(v, NULL);
        }
    }
    return NULL;
}

static struct sl_metrics base(void)
{
    struct sl_metrics m;

    memset(&m, 0, sizeof(m));
    m.exit_status = -1;
    return m;
}

static void test_metrics_format(void **state UNUSED)
{
    struct sl_metrics full = base(), empty = base(), run = base();
    const struct {
        const struct sl_metrics *m;
        const char *want[8];
        const char *absent[4];
    } cases[] = {
        {&empty,
         {"sluice_jobs_total{outcome=\"result\"} 0\n", "sluice_requests_total 0\n",
          "sluice_request_duration_seconds_bucket{le=\"+Inf\"} 0\n",
          "sluice_request_duration_seconds_count 0\n"},
         {"sluice_spend_usd_total", "sluice_run_exit_status", "sluice_last_success"}},
        {&full,
         {"sluice_jobs_total{outcome=\"error\"} 7\n", "sluice_tokens_total{kind=\"completion\"} 20\n",
          "sluice_spend_usd_total 0.125\n", "sluice_http_429_total 3\n",
          "sluice_request_duration_seconds_bucket{le=\"0.001\"} 1\n",
          "sluice_request_duration_seconds_bucket{le=\"0.002\"} 3\n",
          "sluice_request_duration_seconds_bucket{le=\"+Inf\"} 8\n", "sluice_run_exit_status 3\n"},
         {NULL}},
        {&run, {"sluice_last_success_timestamp_seconds 1700000000.5\n", "sluice_retries_total 2\n"},
         {"sluice_run_exit_status"}},
    };
    size_t i, k;

    full.jobs_result = 100;
    full.jobs_error = 7;
    full.jobs_reject = 1;
    full.prompt_tokens = 1000;
    full.completion_tokens = 20;
    full.spend_known = true;
    full.spend_usd = 0.125;
    full.http_429 = 3;
    full.requests = 110;
    full.n_buckets = 3;
    full.le[0] = 0.001;
    full.le[1] = 0.002;
    full.le[2] = 0.004;
    full.counts[0] = 1;
    full.counts[1] = 2;
    full.counts[2] = 0;
    full.counts[3] = 5;
    full.latency_sum_s = 12.5;
    full.exit_status = 3;
    run.retries = 2;
    run.last_success_unix = 1700000000.5;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sl_buf b;
        const char *why;
        double inf = -1, count = -2;

        sl_buf_init(&b, 0);
        assert_int_equal(sl_metrics_format(cases[i].m, &b), 0);
        assert_int_equal(sl_buf_append(&b, "", 1), 0);
        why = check_exposition(b.p, &inf, &count);
        if (why)
            fail_msg("case %zu: %s\n%s", i, why, b.p);
        assert_true(inf == count);
        for (k = 0; k < 8 && cases[i].want[k]; k++)
            if (!strstr(b.p, cases[i].want[k]))
                fail_msg("case %zu: missing %s in\n%s", i, cases[i].want[k], b.p);
        for (k = 0; k < 4 && cases[i].absent[k]; k++)
            if (strstr(b.p, cases[i].absent[k]))
                fail_msg("case %zu: unexpected %s", i, cases[i].absent[k]);
        sl_buf_free(&b);
    }
}

static void test_metrics_invalid(void **state UNUSED)
{
    struct sl_metrics m = base();
    struct sl_buf b;

    sl_buf_init(&b, 0);
    m.n_buckets = 2;
    m.le[0] = 0.5;
    m.le[1] = 0.5; /* not ascending */
    assert_int_equal(sl_metrics_format(&m, &b), SL_ECONFIG);
    m.le[1] = NAN;
    assert_int_equal(sl_metrics_format(&m, &b), SL_ECONFIG);
    m.le[1] = 1;
    m.latency_sum_s = INFINITY;
    assert_int_equal(sl_metrics_format(&m, &b), SL_ECONFIG);
    m.latency_sum_s = 0;
    m.n_buckets = SL_METRICS_MAX_BUCKETS + 1;
    assert_int_equal(sl_metrics_format(&m, &b), SL_ECONFIG);
    sl_buf_free(&b);
    /* A capped buffer too small for the text is an error, never a truncated file. */
    sl_buf_init(&b, 64);
    m.n_buckets = 0;
    assert_true(sl_metrics_format(&m, &b) != 0);
    sl_buf_free(&b);
}

static void test_metrics_write(void **state UNUSED)
{
    char dir[] = "/tmp/sl-metrics-XXXXXX", path[128], buf[8192];
    struct sl_metrics m = base();
    struct stat st;
    FILE *f;
    size_t n;
    double inf = -1, count = -2;

    assert_non_null(mkdtemp(dir));
    m.jobs_result = 5;
    m.exit_status = 0;
    assert_int_equal(sl_metrics_write(dir, &m), 0);
    snprintf(path, sizeof(path), "%s/.metrics.prom.tmp", dir);
    assert_int_not_equal(stat(path, &st), 0); /* renamed away */
    snprintf(path, sizeof(path), "%s/metrics.prom", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_null(check_exposition(buf, &inf, &count));
    assert_non_null(strstr(buf, "sluice_jobs_total{outcome=\"result\"} 5\n"));
    assert_non_null(strstr(buf, "sluice_run_exit_status 0\n"));
    unlink(path);
    assert_int_equal(rmdir(dir), 0);
    assert_true(sl_metrics_write("/nonexistent-dir-sluice", &m) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_format),
        cmocka_unit_test(test_metrics_invalid),
        cmocka_unit_test(test_metrics_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
