/* test_svg.c: the SVG writer: escaping of untrusted text everywhere it lands, nice axis ticks,
 * charts with no data, markers per data point, bars per category. Single-threaded, pure.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svg.h"

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    const char *p = hay;

    while ((p = strstr(p, needle))) {
        n++;
        p += strlen(needle);
    }
    return n;
}

static void test_escape(void **st)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", ""},
        {NULL, ""},
        {"plain text", "plain text"},
        {"<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"},
        {"a&b\"c", "a&amp;b&quot;c"},
        {"&amp;", "&amp;amp;"},
        {"caf\xc3\xa9 \xe2\x9c\x93", "caf\xc3\xa9 \xe2\x9c\x93"}, /* UTF-8 passes through */
    };
    size_t i;

    (void)st;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sl_buf b;

        sl_buf_init(&b, 0);
        assert_int_equal(sl_html_escape(&b, cases[i].in), 0);
        assert_string_equal(b.p ? b.p : "", cases[i].out);
        sl_buf_free(&b);
    }
    {
        /* The cap is honoured. */
        struct sl_buf b;

        sl_buf_init(&b, 8);
        assert_int_equal(sl_html_escape(&b, "<<<<"), SL_ENOSPACE);
        sl_buf_free(&b);
    }
}

static void test_ticks(void **st)
{
    static const struct {
        double lo, hi;
        size_t max;
        bool integer;
        size_t n;
        double first, step;
    } cases[] = {
        {0, 100, 5, false, 6, 0, 20},    {0, 3000, 5, false, 4, 0, 1000},
        {0, 3150, 5, false, 5, 0, 1000}, {0, 7.3, 8, false, 9, 0, 1},
        {0, 0, 5, false, 6, 0, 0.2},     {0, 0, 5, true, 2, 0, 1},
        {0, 3, 6, true, 4, 0, 1},        {0, 61, 8, false, 8, 0, 10},
        {12, 95, 8, false, 6, 0, 20},    {0, 1e9, 5, false, 6, 0, 2e8},
        {0, NAN, 5, false, 6, 0, 0.2},   {0, 0.37, 4, false, 5, 0, 0.1},
    };
    size_t i, k;

    (void)st;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double t[SL_SVG_MAX_TICKS];
        size_t n = sl_svg_ticks(cases[i].lo, cases[i].hi, cases[i].max, cases[i].integer, t);

        assert_int_equal(n, cases[i].n);
        assert_true(fabs(t[0] - cases[i].first) < 1e-9);
        for (k = 1; k < n; k++)
            assert_true(fabs(t[k] - t[k - 1] - cases[i].step) < 1e-9 * cases[i].step);
        assert_true(t[0] <= cases[i].lo);
        if (isfinite(cases[i].hi))
            assert_true(t[n - 1] >= cases[i].hi);
        assert_true(n <= cases[i].max + 1);
    }
}

static void test_fmt_num(void **st)
{
    static const struct {
        double v;
        const char *s;
    } cases[] = {{0, "0"},          {1234, "1234"}, {12000, "12k"},        {150000, "150k"},
                 {2500000, "2.5M"}, {0.25, "0.25"}, {0.6000000001, "0.6"}, {INFINITY, "n/a"},
                 {3e9, "3G"}};
    size_t i;
    char b[32];

    (void)st;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sl_svg_fmt_num(cases[i].v, b, sizeof(b));
        assert_string_equal(b, cases[i].s);
    }
}

static void test_line_chart(void **st)
{
    double x[5] = {0, 1, 2, 3, 4}, y[5] = {10, 50, 48, 52, 49}, qx[2] = {0, 4}, qy[2] = {50, 50};
    struct sl_svg_line lines[] = {
        {"requests <b>", x, y, 5, false},
        {"quota 50/min", qx, qy, 2, true},
    };
    struct sl_svg_chart c = {
        "rpm", "Requests & quota", "desc <i>", "time (s)", "req/min", lines, 2, 0, 0};
    struct sl_buf b;

    (void)st;
    sl_buf_init(&b, 0);
    assert_int_equal(sl_svg_line_chart(&b, &c), 0);
    assert_non_null(strstr(b.p, "<title id=\"rpm-t\">Requests &amp; quota</title>"));
    assert_non_null(strstr(b.p, "<desc>desc &lt;i&gt;</desc>"));
    assert_null(strstr(b.p, "<b>"));
    assert_null(strstr(b.p, "<i>"));
    assert_int_equal(count(b.p, "<circle class=\"pt\""), 5); /* markers only on the data line */
    assert_int_equal(count(b.p, "data-series=\"requests &lt;b&gt;\" data-n=\"5\""), 1);
    assert_int_equal(count(b.p, "data-series=\"quota 50/min\" data-n=\"2\""), 1);
    assert_non_null(strstr(b.p, "stroke-dasharray=\"9 5\"")); /* the quota is dashed */
    assert_non_null(strstr(b.p, ">quota 50/min</text>"));     /* and labelled directly */
    /* y ticks 0..60 by 20 (max 52), x ticks 0..4 by 0.5. */
    assert_int_equal(count(b.p, "class=\"tick-y\""), 4);
    assert_non_null(strstr(b.p, "class=\"tick-y\">60</text>"));
    assert_int_equal(count(b.p, "class=\"tick-x\""), 9); /* 0, 0.5 .. 4 */
    assert_non_null(strstr(b.p, ">time (s)</text>"));
    assert_null(strstr(b.p, "no data"));
    assert_null(strstr(b.p, "nan"));
    sl_buf_free(&b);
}

/* Four lines ending at 0: their labels are stacked 14 px apart, none below the plot's bottom. */
static void test_labels_stay_in_view(void **st)
{
    double x[2] = {0, 10}, y[2] = {3, 0};
    struct sl_svg_line l[4] = {
        {"a", x, y, 2, false}, {"b", x, y, 2, false}, {"c", x, y, 2, false}, {"d", x, y, 2, false}};
    struct sl_svg_chart c = {"s", "t", "d", "x", "y", l, 4, 900, 320};
    struct sl_buf b;
    const char *p;
    double ys[4], bottom = 320 - 52 + 4; /* plot bottom (height - MB) + 4 */
    int n = 0;

    (void)st;
    sl_buf_init(&b, 0);
    assert_int_equal(sl_svg_line_chart(&b, &c), 0);
    for (p = b.p; (p = strstr(p, "class=\"label\"")); p++) {
        const char *q = p;

        while (q > b.p && strncmp(q, " y=\"", 4))
            q--;
        assert_true(n < 4);
        ys[n++] = atof(q + 4);
    }
    assert_int_equal(n, 4);
    for (n = 0; n < 4; n++) {
        assert_true(ys[n] <= bottom + 0.05);
        if (n)
            assert_true(ys[n] - ys[n - 1] >= 14 - 0.05);
    }
    sl_buf_free(&b);
}

static void test_empty(void **st)
{
    struct sl_svg_line none = {.label = "x"};
    struct sl_svg_chart c = {"e", "Empty", "nothing", "t (s)", "n", &none, 1, 400, 200};
    struct sl_svg_bars bc = {"b", "No bars", "none", "jobs", NULL, 0, 0};
    struct sl_buf b;

    (void)st;
    sl_buf_init(&b, 0);
    assert_int_equal(sl_svg_line_chart(&b, &c), 0);
    assert_non_null(strstr(b.p, ">no data</text>"));
    assert_int_equal(count(b.p, "<circle"), 0);
    assert_non_null(strstr(b.p, "</svg>"));
    assert_null(strstr(b.p, "nan"));
    assert_null(strstr(b.p, "inf"));
    sl_buf_reset(&b);
    assert_int_equal(sl_svg_bar_chart(&b, &bc), 0);
    assert_non_null(strstr(b.p, ">none</text>"));
    assert_int_equal(count(b.p, "<rect"), 0);
    sl_buf_free(&b);
}

static void test_bars(void **st)
{
    struct sl_svg_bar bars[] = {{"ok", 290}, {"<img src=x onerror=1>", 7}, {"zero", 0}};
    struct sl_svg_bars c = {"outcomes", "Outcomes", "jobs by outcome", "jobs", bars, 3, 0};
    struct sl_buf b;

    (void)st;
    sl_buf_init(&b, 0);
    assert_int_equal(sl_svg_bar_chart(&b, &c), 0);
    assert_int_equal(count(b.p, "<rect class=\"bar\""), 3);
    assert_non_null(strstr(b.p, "data-value=\"290\""));
    assert_non_null(strstr(b.p, "&lt;img src=x onerror=1&gt;"));
    assert_null(strstr(b.p, "<img"));
    assert_non_null(strstr(b.p, "class=\"tick-x\">300</text>"));
    assert_non_null(strstr(b.p, "width=\"0.0\""));
    sl_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),  cmocka_unit_test(test_ticks),
        cmocka_unit_test(test_fmt_num), cmocka_unit_test(test_line_chart),
        cmocka_unit_test(test_empty),   cmocka_unit_test(test_labels_stay_in_view),
        cmocka_unit_test(test_bars),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
