/* report.c: the HTML page of `sluice report` (contract in report.h). Reads summary.json (jansson),
 * series.bin (series.c) and errors.jsonl.zst (zstd streaming, jansson per line); draws with svg.c.
 *
 * Honesty rules: y axes start at 0; rates are per minute over each point's real interval (the
 * last, partial second is folded into the previous point when shorter than half a bin, rather than
 * extrapolated); long runs are binned to at most MAX_POINTS points and the charts say the bin
 * width; the quota is the limit in force at each point (sluice lowers it when the server's headers
 * say so), omitted when unlimited; every chart has a table with the same numbers.
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "series.h"
#include "svg.h"

#define MAX_POINTS 300
#define MAX_CODES 64
#define OPEN_TABLE_ROWS 12

#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((rc = (x)))                                                                            \
            goto out;                                                                              \
    } while (0)

/* One point of the time charts: a bin of consecutive samples. */
struct point {
    double x_s, dt_s;
    double requests, results, errors, rejects, http_429, http_5xx, net_errors, retries, tokens;
    double rpm_limit, tpm_limit;
    double p50, p90, p99, max; /* worst per-second value in the bin; 0 = no response */
};

struct series {
    struct point *p;
    size_t n;
    unsigned bin_s;
};

static void add_sample(struct point *b, const struct sl_series_sample *s, double dt)
{
    b->dt_s += dt;
    b->requests += s->requests;
    b->results += s->results;
    b->errors += s->errors;
    b->rejects += s->rejects;
    b->http_429 += s->http_429;
    b->http_5xx += s->http_5xx;
    b->net_errors += s->net_errors;
    b->retries += s->retries;
    b->tokens += (double)(s->prompt_tokens + s->completion_tokens);
    b->rpm_limit = s->rpm_limit;
    b->tpm_limit = s->tpm_limit;
    b->p50 = fmax(b->p50, (double)s->p50_ms);
    b->p90 = fmax(b->p90, (double)s->p90_ms);
    b->p99 = fmax(b->p99, (double)s->p99_ms);
    b->max = fmax(b->max, (double)s->max_ms);
}

static void merge_point(struct point *dst, const struct point *src)
{
    dst->x_s = src->x_s;
    dst->dt_s += src->dt_s;
    dst->requests += src->requests;
    dst->results += src->results;
    dst->errors += src->errors;
    dst->rejects += src->rejects;
    dst->http_429 += src->http_429;
    dst->http_5xx += src->http_5xx;
    dst->net_errors += src->net_errors;
    dst->retries += src->retries;
    dst->tokens += src->tokens;
    dst->p50 = fmax(dst->p50, src->p50);
    dst->p90 = fmax(dst->p90, src->p90);
    dst->p99 = fmax(dst->p99, src->p99);
    dst->max = fmax(dst->max, src->max);
}

/* Samples -> points. x is seconds since the first run started (wall clock, so resumed runs appended
 * to the same series keep their gap); each sample's interval is its t_ms minus the previous
 * sample's of the same run. */
static int bin_series(const struct sl_series_sample *s, size_t n, struct series *out)
{
    double t0 = n ? (double)s[0].unix_ms - (double)s[0].t_ms : 0, target;
    struct point cur;
    size_t i;

    memset(out, 0, sizeof(*out));
    out->bin_s = (unsigned)((n + MAX_POINTS - 1) / MAX_POINTS);
    if (!out->bin_s)
        out->bin_s = 1;
    target = out->bin_s;
    out->p = calloc(n ? n : 1, sizeof(*out->p));
    if (!out->p)
        return -ENOMEM;
    memset(&cur, 0, sizeof(cur));
    for (i = 0; i < n; i++) {
        bool new_run = i && s[i].t_ms <= s[i - 1].t_ms;
        double dt = (double)(i && !new_run ? s[i].t_ms - s[i - 1].t_ms : s[i].t_ms) / 1000.0;

        if (new_run && cur.dt_s > 0) {
            out->p[out->n++] = cur;
            memset(&cur, 0, sizeof(cur));
        }
        add_sample(&cur, &s[i], dt);
        cur.x_s = s[i].unix_ms ? ((double)s[i].unix_ms - t0) / 1000.0 : (double)s[i].t_ms / 1000.0;
        if (cur.dt_s >= target - 0.2) {
            out->p[out->n++] = cur;
            memset(&cur, 0, sizeof(cur));
        }
    }
    if (cur.dt_s > 0) {
        if (out->n && cur.dt_s < target / 2)
            merge_point(&out->p[out->n - 1], &cur);
        else
            out->p[out->n++] = cur;
    }
    return 0;
}

/* ---- small writers ---- */

static int esc(struct sl_buf *o, const char *s)
{
    return sl_html_escape(o, s);
}

static int tag_text(struct sl_buf *o, const char *open, const char *s, const char *close)
{
    int rc;

    if ((rc = sl_buf_append_str(o, open)) || (rc = esc(o, s)))
        return rc;
    return sl_buf_append_str(o, close);
}

/* A table opening: inside <details> when it has many rows. */
static int table_open(struct sl_buf *o, size_t rows, const char *caption, const char *const *head,
                      size_t ncol)
{
    size_t i;
    int rc = 0;

    if (rows > OPEN_TABLE_ROWS)
        rc = sl_buf_printf(o, "<details><summary>Table: %zu rows</summary>\n", rows);
    if (rc || (rc = tag_text(o, "<table><caption>", caption, "</caption>\n<thead><tr>")))
        return rc;
    for (i = 0; i < ncol; i++)
        if ((rc = tag_text(o, "<th scope=\"col\">", head[i], "</th>")))
            return rc;
    return sl_buf_append_str(o, "</tr></thead><tbody>\n");
}

static int table_close(struct sl_buf *o, size_t rows)
{
    int rc = sl_buf_append_str(o, "</tbody></table>\n");

    if (!rc && rows > OPEN_TABLE_ROWS)
        rc = sl_buf_append_str(o, "</details>\n");
    return rc;
}

static int row_label_num(struct sl_buf *o, const char *label, double v)
{
    int rc;

    if ((rc = tag_text(o, "<tr><th scope=\"row\">", label, "</th>")))
        return rc;
    return sl_buf_printf(o, "<td>%.15g</td></tr>\n", v);
}

static double jnum(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_number(v) ? json_number_value(v) : 0;
}

/* ---- time charts ---- */

struct xy {
    double *x, *y;
    size_t n;
};

static int xy_alloc(struct xy *v, size_t n)
{
    v->n = 0;
    v->x = calloc(n ? n : 1, sizeof(double));
    v->y = calloc(n ? n : 1, sizeof(double));
    return v->x && v->y ? 0 : -ENOMEM;
}

static void xy_free(struct xy *v)
{
    free(v->x);
    free(v->y);
}

enum field { F_RPM, F_TPM, F_429, F_RETRY, F_5XX, F_NET, F_P50, F_P90, F_P99, F_RPM_Q, F_TPM_Q };

/* Value of a field at a point; NAN when the point has none (no response, no limit in force). */
static double field(const struct point *p, enum field f)
{
    double per_min = p->dt_s > 0 ? 60.0 / p->dt_s : 0, per_s = p->dt_s > 0 ? 1.0 / p->dt_s : 0;
    bool lat = p->p50 > 0 || p->max > 0;

    switch (f) {
    case F_RPM:
        return p->requests * per_min;
    case F_TPM:
        return p->tokens * per_min;
    case F_429:
        return p->http_429 * per_s;
    case F_RETRY:
        return p->retries * per_s;
    case F_5XX:
        return p->http_5xx * per_s;
    case F_NET:
        return p->net_errors * per_s;
    case F_P50:
        return lat ? p->p50 : NAN;
    case F_P90:
        return lat ? p->p90 : NAN;
    case F_P99:
        return lat ? p->p99 : NAN;
    case F_RPM_Q:
        return p->rpm_limit > 0 ? p->rpm_limit : NAN;
    case F_TPM_Q:
        return p->tpm_limit > 0 ? p->tpm_limit : NAN;
    }
    return NAN;
}

struct chart_spec {
    const char *id, *heading, *title, *y_title, *unit, *what;
    const enum field *fields;
    const char *const *labels;
    size_t nf;
};

static int time_chart(struct sl_buf *o, const struct series *s, const struct chart_spec *cs)
{
    struct xy v[6];
    struct sl_svg_line lines[6];
    struct sl_svg_chart c;
    char desc[600], xt[64], lab[6][96], num[32];
    const char *head[7];
    size_t i, k;
    int rc = 0;

    memset(v, 0, sizeof(v));
    for (k = 0; k < cs->nf; k++) {
        TRY(xy_alloc(&v[k], s->n));
        for (i = 0; i < s->n; i++) {
            double y = field(&s->p[i], cs->fields[k]);

            if (!isfinite(y))
                continue;
            v[k].x[v[k].n] = s->p[i].x_s;
            v[k].y[v[k].n++] = y;
        }
        if (cs->fields[k] == F_RPM_Q || cs->fields[k] == F_TPM_Q) {
            if (v[k].n)
                sl_svg_fmt_num(v[k].y[v[k].n - 1], num, sizeof(num));
            snprintf(lab[k], sizeof(lab[k]), "%s: %s %s", cs->labels[k], v[k].n ? num : "none",
                     v[k].n ? cs->unit : "");
        } else {
            snprintf(lab[k], sizeof(lab[k]), "%s", cs->labels[k]);
        }
        lines[k] = (struct sl_svg_line){lab[k], v[k].x, v[k].y, v[k].n,
                                        cs->fields[k] == F_RPM_Q || cs->fields[k] == F_TPM_Q};
    }
    snprintf(xt, sizeof(xt), "time since the run started (s)%s",
             s->bin_s > 1 ? "; points are bins" : "");
    snprintf(desc, sizeof(desc), "%s, one point per %u s (%zu points).%s", cs->what, s->bin_s, s->n,
             s->n ? "" : " No time series was recorded.");
    c = (struct sl_svg_chart){cs->id, cs->title, desc, xt, cs->y_title, lines, cs->nf, 0, 0};
    TRY(tag_text(o, "<section><h2>", cs->heading, "</h2>\n"));
    TRY(tag_text(o, "<p class=\"desc\">", desc, "</p>\n<figure>"));
    TRY(sl_svg_line_chart(o, &c));
    TRY(sl_buf_append_str(o, "</figure>\n"));
    head[0] = "time (s)";
    for (k = 0; k < cs->nf; k++)
        head[k + 1] = cs->labels[k];
    TRY(table_open(o, s->n, cs->title, head, cs->nf + 1));
    for (i = 0; i < s->n; i++) {
        TRY(sl_buf_printf(o, "<tr><th scope=\"row\">%.1f</th>", s->p[i].x_s));
        for (k = 0; k < cs->nf; k++) {
            double y = field(&s->p[i], cs->fields[k]);

            if (isfinite(y))
                TRY(sl_buf_printf(o, "<td>%.1f</td>", y));
            else
                TRY(sl_buf_append_str(o, "<td>&ndash;</td>"));
        }
        TRY(sl_buf_append_str(o, "</tr>\n"));
    }
    TRY(table_close(o, s->n));
    TRY(sl_buf_append_str(o, "</section>\n"));
out:
    for (k = 0; k < cs->nf; k++)
        xy_free(&v[k]);
    return rc;
}

static int time_charts(struct sl_buf *o, const struct series *s)
{
    static const enum field f_rpm[] = {F_RPM, F_RPM_Q}, f_tpm[] = {F_TPM, F_TPM_Q},
                            f_err[] = {F_429, F_RETRY, F_5XX, F_NET},
                            f_lat[] = {F_P50, F_P90, F_P99};
    static const char *const l_rpm[] = {"achieved req/min", "quota in force"};
    static const char *const l_tpm[] = {"achieved tokens/min", "quota in force"};
    static const char *const l_err[] = {"HTTP 429 per s", "retries per s", "HTTP 5xx per s",
                                        "network errors per s"};
    static const char *const l_lat[] = {"p50 (ms)", "p90 (ms)", "p99 (ms)"};
    static const struct chart_spec cs[] = {
        {"rpm", "Requests per minute", "Achieved requests per minute against the quota",
         "requests per minute", "req/min",
         "Requests sent per minute, and the requests-per-minute limit in "
         "force (dashed; absent when unlimited)",
         f_rpm, l_rpm, 2},
        {"tpm", "Tokens per minute", "Achieved tokens per minute against the quota",
         "tokens per minute", "tokens/min",
         "Prompt plus completion tokens reported by the server per minute, and the "
         "tokens-per-minute limit in force (dashed; absent when unlimited)",
         f_tpm, l_tpm, 2},
        {"errors", "429s and retries", "Rate-limit answers, retries and failures over time",
         "events per second", "",
         "HTTP 429 answers, retries scheduled, HTTP 5xx answers and network "
         "errors per second",
         f_err, l_err, 4},
        {"latency", "Latency over time", "Latency percentiles over time", "latency (ms)", "ms",
         "Response latency percentiles of each second (the worst second of a bin when binned; "
         "bucket upper bounds, at most 6.25% high); gaps are seconds without responses",
         f_lat, l_lat, 3},
    };
    size_t i;
    int rc;

    for (i = 0; i < sizeof(cs) / sizeof(cs[0]); i++)
        if ((rc = time_chart(o, s, &cs[i])))
            return rc;
    return 0;
}

/* ---- bar sections ---- */

struct bars {
    struct sl_svg_bar b[2 * MAX_CODES];
    char names[2 * MAX_CODES][80];
    size_t n;
};

/* Count one more under "PREFIXNAME": an existing bar, a new one while fewer than limit bars
 * exist, else the catch-all "PREFIX(others)". */
static void bars_count(struct bars *b, const char *prefix, const char *name, size_t limit)
{
    char label[80];
    size_t k;

    snprintf(label, sizeof(label), "%s%s", prefix, name);
    for (k = 0; k < b->n && strcmp(b->names[k], label); k++)
        ;
    if (k == b->n && b->n >= limit) {
        snprintf(label, sizeof(label), "%s(others)", prefix);
        for (k = 0; k < b->n && strcmp(b->names[k], label); k++)
            ;
    }
    if (k == b->n && k < sizeof(b->b) / sizeof(b->b[0])) {
        snprintf(b->names[k], sizeof(b->names[0]), "%s", label);
        b->b[k].label = b->names[k];
        b->b[k].value = 0;
        b->n++;
    }
    if (k < b->n)
        b->b[k].value++;
}

static void bars_add(struct bars *b, const char *prefix, const char *name, double v)
{
    if (b->n >= sizeof(b->b) / sizeof(b->b[0]))
        return;
    snprintf(b->names[b->n], sizeof(b->names[0]), "%s%s", prefix, name);
    b->b[b->n].label = b->names[b->n];
    b->b[b->n].value = v;
    b->n++;
}

static int bar_section(struct sl_buf *o, const char *id, const char *heading, const char *desc,
                       const char *unit, const struct bars *b)
{
    struct sl_svg_bars c = {id, heading, desc, unit, b->b, b->n, 0};
    const char *head[2] = {"", unit};
    size_t i;
    int rc;

    if ((rc = tag_text(o, "<section><h2>", heading, "</h2>\n")) ||
        (rc = tag_text(o, "<p class=\"desc\">", desc, "</p>\n<figure>")) ||
        (rc = sl_svg_bar_chart(o, &c)) || (rc = sl_buf_append_str(o, "</figure>\n")) ||
        (rc = table_open(o, b->n, heading, head, 2)))
        return rc;
    for (i = 0; i < b->n; i++)
        if ((rc = row_label_num(o, b->b[i].label, b->b[i].value)))
            return rc;
    if ((rc = table_close(o, b->n)))
        return rc;
    return sl_buf_append_str(o, "</section>\n");
}

static void bars_from_object(struct bars *b, const char *prefix, const json_t *obj)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)obj, k, v)
    {
        if (json_is_number(v))
            bars_add(b, prefix, k, json_number_value(v));
    }
}

/* Power-of-two groups of the summary's [lo, hi, count] buckets: contiguous, so gaps show. */
static void latency_bars(struct bars *b, const json_t *hist)
{
    double cnt[40] = {0};
    int g, lo_g = 40, hi_g = -1;
    size_t i;
    json_t *e;

    json_array_foreach(hist, i, e)
    {
        double lo = json_number_value(json_array_get(e, 0)),
               c = json_number_value(json_array_get(e, 2));

        g = lo < 1 ? 0 : (int)floor(log2(lo)) + 1;
        if (g > 39)
            g = 39;
        cnt[g] += c;
        lo_g = g < lo_g ? g : lo_g;
        hi_g = g > hi_g ? g : hi_g;
    }
    for (g = lo_g; g <= hi_g; g++) {
        char name[48];

        if (g == 0)
            snprintf(name, sizeof(name), "0 ms");
        else if (g == 1)
            snprintf(name, sizeof(name), "1 ms");
        else
            snprintf(name, sizeof(name), "%.0f-%.0f ms", ldexp(1, g - 1), ldexp(1, g) - 1);
        bars_add(b, "", name, cnt[g]);
    }
}

/* errors.jsonl.zst -> counts by error.code (the first MAX_CODES codes; the rest as "other"). */
static int count_error_codes(const char *dir, struct bars *b)
{
    char path[4096];
    FILE *f;
    ZSTD_DStream *z = NULL;
    struct sl_buf line;
    char in[1 << 15], outb[1 << 16];
    size_t n, r, i;
    int rc = 0;

    snprintf(path, sizeof(path), "%s/errors.jsonl.zst", dir);
    f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? 0 : -errno;
    z = ZSTD_createDStream();
    sl_buf_init(&line, 16u << 20);
    if (!z) {
        rc = -ENOMEM;
        goto out;
    }
    while ((n = fread(in, 1, sizeof(in), f)) > 0) {
        ZSTD_inBuffer ib = {in, n, 0};

        while (ib.pos < ib.size) {
            ZSTD_outBuffer ob = {outb, sizeof(outb), 0};

            r = ZSTD_decompressStream(z, &ob, &ib);
            if (ZSTD_isError(r)) {
                rc = SL_ECORRUPT;
                goto out;
            }
            for (i = 0; i < ob.pos; i++) {
                json_t *j, *code;

                if (outb[i] != '\n') {
                    if (sl_buf_append(&line, outb + i, 1))
                        sl_buf_reset(&line); /* an absurd line: skip it */
                    continue;
                }
                j = json_loadb(line.p ? line.p : "", line.len, 0, NULL);
                sl_buf_reset(&line);
                code = json_object_get(json_object_get(j, "error"), "code");
                if (json_is_string(code))
                    bars_count(b, "error: ", json_string_value(code), MAX_CODES);
                json_decref(j);
            }
        }
    }
out:
    sl_buf_free(&line);
    ZSTD_freeDStream(z);
    fclose(f);
    return rc;
}

static int outcomes(struct sl_buf *o, const char *dir, const json_t *sum)
{
    struct bars *b = calloc(1, sizeof(*b));
    int rc;

    if (!b)
        return -ENOMEM;
    bars_add(b, "", "results", jnum(sum, "results"));
    if ((rc = count_error_codes(dir, b)) && rc != SL_ECORRUPT)
        goto out;
    if (rc == SL_ECORRUPT || b->n == 1) /* unreadable, or no error records: the total alone */
        if (jnum(sum, "errors") > 0 || rc)
            bars_add(b, "", "errors (all codes)", jnum(sum, "errors"));
    bars_from_object(b, "reject: ", json_object_get(sum, "rejects_by_reason"));
    if (!json_object_size(json_object_get(sum, "rejects_by_reason")) && jnum(sum, "rejects") > 0)
        bars_add(b, "", "rejects", jnum(sum, "rejects"));
    rc = bar_section(o, "outcomes", "Outcomes",
                     "Jobs by outcome: results, errors by code (from errors.jsonl.zst) and rejects "
                     "by reason",
                     "jobs", b);
out:
    free(b);
    return rc;
}

/* spend_by_model (optional): {"model": number} or {"model": {"...": number, ...}}; the first
 * numeric member of an object is charted, everything is tabulated as text. */
static int spend(struct sl_buf *o, const json_t *sum)
{
    const json_t *sp = json_object_get(sum, "spend_by_model");
    struct bars *b;
    const char *k;
    json_t *v;
    int rc;

    if (!json_is_object(sp) || !json_object_size(sp))
        return 0;
    if (!(b = calloc(1, sizeof(*b))))
        return -ENOMEM;
    json_object_foreach((json_t *)sp, k, v)
    {
        if (json_is_number(v)) {
            bars_add(b, "", k, json_number_value(v));
        } else if (json_is_object(v)) {
            const char *kk;
            json_t *vv;

            json_object_foreach(v, kk, vv)
            {
                if (json_is_number(vv)) {
                    bars_add(b, "", k, json_number_value(vv));
                    break;
                }
            }
        }
    }
    rc = bar_section(o, "spend", "Spend by model",
                     "Spend by model as summary.json reports it (its unit as recorded there)",
                     "spend", b);
    free(b);
    return rc;
}

static int privacy(struct sl_buf *o, const json_t *sum)
{
    struct bars *b = calloc(1, sizeof(*b));
    int rc;

    if (!b)
        return -ENOMEM;
    bars_from_object(b, "redacted: ", json_object_get(sum, "redactions"));
    bars_from_object(b, "sanitized: ", json_object_get(sum, "sanitized"));
    if (jnum(sum, "injection_flagged") > 0)
        bars_add(b, "", "injection flagged", jnum(sum, "injection_flagged"));
    rc = bar_section(o, "privacy", "Redactions and sanitizing",
                     "Personal data redacted by type and text sanitized by kind, over all jobs",
                     "occurrences", b);
    free(b);
    return rc;
}

static int latency_hist(struct sl_buf *o, const json_t *sum)
{
    const json_t *lat = json_object_get(sum, "latency_ms");
    struct bars *b = calloc(1, sizeof(*b));
    char desc[300];
    int rc;

    if (!b)
        return -ENOMEM;
    latency_bars(b, json_object_get(lat, "histogram"));
    snprintf(desc, sizeof(desc),
             "Responses by latency over the whole run, in power-of-two ranges. p50 <= %.0f ms, "
             "p90 <= %.0f ms, p99 <= %.0f ms, max %.0f ms.",
             jnum(lat, "p50_le"), jnum(lat, "p90_le"), jnum(lat, "p99_le"), jnum(lat, "max"));
    rc = bar_section(o, "latency-hist", "Latency histogram", desc, "responses", b);
    free(b);
    return rc;
}

/* One row per member; an object's members become "key: member" rows (one level). */
static int kv_row(struct sl_buf *o, const char *k, const json_t *v, int depth)
{
    char *txt;
    int rc;

    if (json_is_object(v) && depth == 0) {
        const char *kk;
        json_t *vv;
        char name[160];

        json_object_foreach((json_t *)v, kk, vv)
        {
            snprintf(name, sizeof(name), "%s: %s", k, kk);
            if ((rc = kv_row(o, name, vv, 1)))
                return rc;
        }
        return 0;
    }
    if ((rc = tag_text(o, "<tr><th scope=\"row\">", k, "</th><td>")))
        return rc;
    if (json_is_string(v)) {
        rc = esc(o, json_string_value(v));
    } else if (json_is_real(v)) {
        rc = sl_buf_printf(o, "%.2f", json_real_value(v));
    } else {
        txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        rc = esc(o, txt ? txt : "?");
        free(txt);
    }
    return rc ? rc : sl_buf_append_str(o, "</td></tr>\n");
}

static int settings(struct sl_buf *o, const json_t *sum)
{
    static const char *const top[] = {
        "version",          "status",         "stop_reason", "wall_seconds", "jobs_read_this_run",
        "jobs_done_before", "jobs_abandoned", "requests",    "retries",      "http_429",
        "http_5xx",         "network_errors", "quota",       "tokens"};
    const json_t *st = json_object_get(sum, "settings");
    const char *k;
    json_t *v;
    size_t i;
    int rc;

    if ((rc = sl_buf_append_str(
             o, "<section><h2>Run and settings</h2>\n<table class=\"kv\"><caption>The "
                "run's non-secret settings and totals (summary.json; rpm/tpm 0 = "
                "no limit given)"
                "</caption><tbody>\n")))
        return rc;
    json_object_foreach((json_t *)st, k, v)
    {
        if ((rc = kv_row(o, k, v, 0)))
            return rc;
    }
    for (i = 0; i < sizeof(top) / sizeof(top[0]); i++)
        if (json_object_get(sum, top[i]) &&
            (rc = kv_row(o, top[i], json_object_get(sum, top[i]), 0)))
            return rc;
    return sl_buf_append_str(o, "</tbody></table>\n</section>\n");
}

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
    "color:#111;background:#fff;max-width:960px;margin:1.5em auto;padding:0 1em;line-height:1.4}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin:1.6em 0 .3em;"
    "border-bottom:1px solid #ccc}.desc{margin:.2em 0;color:#333}figure{margin:.5em 0}"
    "svg{max-width:100%;height:auto;font-family:inherit}"
    "table{border-collapse:collapse;margin:.5em 0;font-size:.9em}caption{text-align:left;"
    "font-weight:600;padding:.2em 0}th,td{border:1px solid #bbb;padding:.15em .6em;text-align:"
    "right}th[scope=row]{text-align:left;font-weight:normal}td{font-variant-numeric:tabular-nums}"
    "details{margin:.5em 0}summary{cursor:pointer}.kpi{display:flex;flex-wrap:wrap;gap:.5em 1.5em;"
    "padding:0;list-style:none}.kpi li{min-width:10em}.kpi b{display:block;font-size:1.3em}"
    "table.kv td{text-align:left}@media print{details{display:block}}";

static int header(struct sl_buf *o, const json_t *sum)
{
    const json_t *tok = json_object_get(sum, "tokens");
    const char *status = json_string_value(json_object_get(sum, "status"));
    int rc;

    if ((rc = sl_buf_append_str(o,
                                "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                                "<meta name=\"viewport\" content=\"width=device-width\">"
                                "<title>sluice run report: ")) ||
        (rc = esc(o, status ? status : "unknown")) ||
        (rc = sl_buf_printf(o,
                            "</title><style>%s</style></head><body>\n<h1>sluice run report"
                            "</h1>\n<p>Status: <b>",
                            css)) ||
        (rc = esc(o, status ? status : "unknown")) ||
        (rc = sl_buf_printf(o,
                            "</b>, %.1f s wall time.</p>\n<ul class=\"kpi\">"
                            "<li><b>%.0f</b>results</li><li><b>%.0f</b>errors</li>"
                            "<li><b>%.0f</b>rejects</li><li><b>%.0f</b>requests</li>"
                            "<li><b>%.0f</b>retries</li><li><b>%.0f</b>HTTP 429</li>"
                            "<li><b>%.0f</b>prompt tokens</li><li><b>%.0f</b>completion tokens"
                            "</li></ul>\n",
                            jnum(sum, "wall_seconds"), jnum(sum, "results"), jnum(sum, "errors"),
                            jnum(sum, "rejects"), jnum(sum, "requests"), jnum(sum, "retries"),
                            jnum(sum, "http_429"), jnum(tok, "prompt"), jnum(tok, "completion"))))
        return rc;
    return 0;
}

int sl_report_build(const char *dir, struct sl_buf *o, char *why, size_t why_cap)
{
    char path[4096];
    json_error_t je;
    json_t *sum;
    struct sl_series_sample *smp = NULL;
    struct series s = {0};
    size_t n = 0;
    int rc;

    snprintf(path, sizeof(path), "%s/summary.json", dir);
    sum = json_load_file(path, 0, &je);
    if (!json_is_object(sum)) {
        snprintf(why, why_cap, "cannot read %s: %s", path,
                 sum ? "not a JSON object" : "missing or not JSON");
        json_decref(sum);
        return SL_EPARSE;
    }
    rc = sl_series_load(dir, &smp, &n);
    if (rc && rc != -ENOENT) {
        snprintf(why, why_cap, "cannot read %s/series.bin: %s", dir, sl_strerror(rc));
        goto out;
    }
    if ((rc = bin_series(smp, n, &s)))
        goto out;
    if ((rc = header(o, sum)) || (rc = time_charts(o, &s)) || (rc = latency_hist(o, sum)) ||
        (rc = outcomes(o, dir, sum)) || (rc = spend(o, sum)) || (rc = privacy(o, sum)) ||
        (rc = settings(o, sum)))
        goto out;
    rc = sl_buf_append_str(o, "<footer><p>Generated by <code>sluice report</code> from "
                              "summary.json, series.bin and errors.jsonl.zst.</p></footer>\n"
                              "</body></html>\n");
out:
    if (rc && !why[0])
        snprintf(why, why_cap, "cannot build the report: %s", sl_strerror(rc));
    free(s.p);
    free(smp);
    json_decref(sum);
    return rc;
}
