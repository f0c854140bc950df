/* metrics.c: the Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/):
 *   # HELP <name> <text>          one per metric family, before its samples
 *   # TYPE <name> counter|gauge|histogram
 *   <name>{<label>="<value>",...} <float>
 * Histograms are cumulative: <name>_bucket{le="<bound>"} counts observations <= bound, ending
 * with le="+Inf" (equal to <name>_count), plus <name>_sum. Counter names end in _total. Values
 * are written with %.17g so they read back exactly. No timestamps: the textfile collector stamps
 * samples when it scrapes.
 */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int family(struct sl_buf *b, const char *name, const char *type, const char *help)
{
    return sl_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int histogram(const struct sl_metrics *m, struct sl_buf *b)
{
    const char *n = "sluice_request_duration_seconds";
    uint64_t acc = 0;
    size_t i;
    int rc = 0;

    rc |= family(b, n, "histogram", "Duration of HTTP attempts, from send to the last byte.");
    for (i = 0; i < m->n_buckets; i++) {
        acc += m->counts[i];
        rc |= sl_buf_printf(b, "%s_bucket{le=\"%.17g\"} %llu\n", n, m->le[i],
                            (unsigned long long)acc);
    }
    acc += m->counts[m->n_buckets];
    rc |= sl_buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", n, (unsigned long long)acc);
    rc |= sl_buf_printf(b, "%s_sum %.17g\n%s_count %llu\n", n, m->latency_sum_s, n,
                        (unsigned long long)acc);
    return rc;
}

static bool valid(const struct sl_metrics *m)
{
    size_t i;

    if (m->n_buckets > SL_METRICS_MAX_BUCKETS || !isfinite(m->latency_sum_s) ||
        !isfinite(m->spend_usd) || !isfinite(m->last_success_unix))
        return false;
    for (i = 0; i < m->n_buckets; i++)
        if (!isfinite(m->le[i]) || (i > 0 && !(m->le[i] > m->le[i - 1])))
            return false;
    return true;
}

int sl_metrics_format(const struct sl_metrics *m, struct sl_buf *b)
{
    int rc = 0;

    if (!valid(m))
        return SL_ECONFIG;
    rc |= family(b, "sluice_jobs_total", "counter",
                 "Jobs recorded in the output directory, by outcome.");
    rc |= sl_buf_printf(b, "sluice_jobs_total{outcome=\"result\"} %llu\n",
                        (unsigned long long)m->jobs_result);
    rc |= sl_buf_printf(b, "sluice_jobs_total{outcome=\"error\"} %llu\n",
                        (unsigned long long)m->jobs_error);
    rc |= sl_buf_printf(b, "sluice_jobs_total{outcome=\"reject\"} %llu\n",
                        (unsigned long long)m->jobs_reject);
    rc |= family(b, "sluice_tokens_total", "counter", "Tokens the API reported in usage, by kind.");
    rc |= sl_buf_printf(b, "sluice_tokens_total{kind=\"prompt\"} %llu\n",
                        (unsigned long long)m->prompt_tokens);
    rc |= sl_buf_printf(b, "sluice_tokens_total{kind=\"completion\"} %llu\n",
                        (unsigned long long)m->completion_tokens);
    if (m->spend_known) {
        rc |= family(b, "sluice_spend_usd_total", "counter",
                     "Spend in USD from usage and the --prices table (models it lacks count 0).");
        rc |= sl_buf_printf(b, "sluice_spend_usd_total %.17g\n", m->spend_usd);
    }
    rc |= family(b, "sluice_requests_total", "counter", "HTTP attempts started.");
    rc |= sl_buf_printf(b, "sluice_requests_total %llu\n", (unsigned long long)m->requests);
    rc |= family(b, "sluice_retries_total", "counter", "Attempts scheduled again after a failure.");
    rc |= sl_buf_printf(b, "sluice_retries_total %llu\n", (unsigned long long)m->retries);
    rc |= family(b, "sluice_http_429_total", "counter", "HTTP 429 answers received.");
    rc |= sl_buf_printf(b, "sluice_http_429_total %llu\n", (unsigned long long)m->http_429);
    rc |= histogram(m, b);
    if (m->last_success_unix > 0) {
        rc |= family(b, "sluice_last_success_timestamp_seconds", "gauge",
                     "Unix time of the last job that got a result.");
        rc |= sl_buf_printf(b, "sluice_last_success_timestamp_seconds %.17g\n",
                            m->last_success_unix);
    }
    if (m->exit_status >= 0) {
        rc |= family(b, "sluice_run_exit_status", "gauge",
                     "Exit status of the finished run (0 ok, 3 some errors or rejects, 4 "
                     "interrupted, 2 usage, 1 internal).");
        rc |= sl_buf_printf(b, "sluice_run_exit_status %d\n", m->exit_status);
    }
    return rc ? SL_ETOOBIG : 0;
}

int sl_metrics_write(const char *dir, const struct sl_metrics *m)
{
    char path[4096], tmp[4200];
    struct sl_buf b;
    size_t off = 0;
    int fd, rc;

    sl_buf_init(&b, 1 << 20);
    if ((rc = sl_metrics_format(m, &b)))
        goto out;
    snprintf(path, sizeof(path), "%s/metrics.prom", dir);
    snprintf(tmp, sizeof(tmp), "%s/.metrics.prom.tmp", dir);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    while (off < b.len) {
        ssize_t n = write(fd, b.p + off, b.len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : -EIO;
            break;
        }
        off += (size_t)n;
    }
    if (!rc && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && !rc)
        rc = -errno;
    if (!rc && rename(tmp, path) != 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
out:
    sl_buf_free(&b);
    return rc;
}
