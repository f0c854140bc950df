/* series.c: the per-second series file and the latency histogram (format in series.h).
 *
 * Owned by the loop thread of `sluice run` (or by a single tool thread). Writes are handed to
 * libuv's thread pool (uv_fs_write) one at a time: while one is in flight, new records go to a
 * pending buffer that the completion callback writes next. A record is small (128 bytes) and comes
 * once a second, so the buffers stay tiny; they are capped anyway (SL_ENOSPACE past 1 MiB, i.e. a
 * disk stalled for hours). The rejected alternative was a thread of our own: more code for one
 * small write a second.
 */
#include "series.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"

#define MAGIC "SLSERIE1"
#define MAGIC_LEN 8
#define TYPE_SAMPLE 1
#define PENDING_MAX (1u << 20)

/* ---- histogram ---- */

static int lat_index(uint64_t v)
{
    int e;

    if (v < 16)
        return (int)v;
    e = 63 - __builtin_clzll(v); /* 2^e <= v < 2^(e+1), e >= 4 */
    if (e > 18)
        return SL_LAT_BUCKETS - 1;
    return 16 + (e - 4) * 16 + (int)((v >> (e - 4)) & 15);
}

void sl_lat_hist_bounds(int i, uint64_t *lo, uint64_t *hi)
{
    int e, sub;

    if (i < 16) {
        *lo = *hi = (uint64_t)i;
        return;
    }
    e = (i - 16) / 16 + 4;
    sub = (i - 16) % 16;
    *lo = (uint64_t)(16 + sub) << (e - 4);
    *hi = ((uint64_t)(17 + sub) << (e - 4)) - 1;
}

void sl_lat_hist_add(struct sl_lat_hist *h, uint32_t ms)
{
    h->n[lat_index(ms)]++;
    h->count++;
    if (ms > h->max_ms)
        h->max_ms = ms;
}

void sl_lat_hist_merge(struct sl_lat_hist *dst, const struct sl_lat_hist *src)
{
    int i;

    for (i = 0; i < SL_LAT_BUCKETS; i++)
        dst->n[i] += src->n[i];
    dst->count += src->count;
    if (src->max_ms > dst->max_ms)
        dst->max_ms = src->max_ms;
}

uint64_t sl_lat_hist_quantile(const struct sl_lat_hist *h, double q)
{
    uint64_t rank, acc = 0, lo, hi;
    int i;

    if (!h->count)
        return 0;
    if (!(q > 0))
        q = 0;
    if (q > 1)
        q = 1;
    /* The smallest value with at least ceil(q * count) values at or below it (rank >= 1). */
    rank = (uint64_t)(q * (double)h->count);
    if ((double)rank < q * (double)h->count)
        rank++;
    if (!rank)
        rank = 1;
    for (i = 0; i < SL_LAT_BUCKETS; i++) {
        acc += h->n[i];
        if (acc >= rank)
            break;
    }
    if (i == SL_LAT_BUCKETS)
        return h->max_ms;
    sl_lat_hist_bounds(i, &lo, &hi);
    if (i == SL_LAT_BUCKETS - 1 || hi > h->max_ms)
        hi = h->max_ms;
    return hi;
}

void sl_lat_hist_clear(struct sl_lat_hist *h)
{
    memset(h, 0, sizeof(*h));
}

/* ---- record encoding ---- */

uint32_t sl_series_crc32(const void *p, size_t n)
{
    /* CRC-32 (IEEE 802.3, reflected 0xEDB88320), bitwise: a few hundred bytes a second do not
     * need a table. An integrity check against torn writes, not a security measure. */
    const unsigned char *b = p;
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    int k;

    for (i = 0; i < n; i++) {
        c ^= b[i];
        for (k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

static unsigned char *put(unsigned char *p, uint64_t v, int bytes)
{
    int i;

    for (i = 0; i < bytes; i++)
        *p++ = (unsigned char)(v >> (8 * i));
    return p;
}

static uint64_t get(const unsigned char **p, int bytes)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < bytes; i++)
        v |= (uint64_t)(*p)[i] << (8 * i);
    *p += bytes;
    return v;
}

static uint64_t dbits(double d)
{
    uint64_t u;

    memcpy(&u, &d, sizeof(u));
    return u;
}

static double bitsd(uint64_t u)
{
    double d;

    memcpy(&d, &u, sizeof(d));
    return d;
}

size_t sl_series_encode(const struct sl_series_sample *x, unsigned char *rec)
{
    unsigned char *p = rec;
    uint32_t crc;

    p = put(p, SL_SERIES_SAMPLE_BYTES, 2);
    p = put(p, TYPE_SAMPLE, 2);
    p = put(p, x->t_ms, 8);
    p = put(p, x->unix_ms, 8);
    p = put(p, x->requests, 4);
    p = put(p, x->results, 4);
    p = put(p, x->errors, 4);
    p = put(p, x->rejects, 4);
    p = put(p, x->http_429, 4);
    p = put(p, x->http_5xx, 4);
    p = put(p, x->net_errors, 4);
    p = put(p, x->retries, 4);
    p = put(p, x->prompt_tokens, 8);
    p = put(p, x->completion_tokens, 8);
    p = put(p, x->inflight, 4);
    p = put(p, x->ready, 4);
    p = put(p, dbits(x->rpm_limit), 8);
    p = put(p, dbits(x->tpm_limit), 8);
    p = put(p, x->p50_ms, 8);
    p = put(p, x->p90_ms, 8);
    p = put(p, x->p99_ms, 8);
    p = put(p, x->max_ms, 8);
    crc = sl_series_crc32(rec, (size_t)(p - rec));
    p = put(p, crc, 4);
    return (size_t)(p - rec);
}

static void decode(const unsigned char *p, struct sl_series_sample *x)
{
    x->t_ms = get(&p, 8);
    x->unix_ms = get(&p, 8);
    x->requests = (uint32_t)get(&p, 4);
    x->results = (uint32_t)get(&p, 4);
    x->errors = (uint32_t)get(&p, 4);
    x->rejects = (uint32_t)get(&p, 4);
    x->http_429 = (uint32_t)get(&p, 4);
    x->http_5xx = (uint32_t)get(&p, 4);
    x->net_errors = (uint32_t)get(&p, 4);
    x->retries = (uint32_t)get(&p, 4);
    x->prompt_tokens = get(&p, 8);
    x->completion_tokens = get(&p, 8);
    x->inflight = (uint32_t)get(&p, 4);
    x->ready = (uint32_t)get(&p, 4);
    x->rpm_limit = bitsd(get(&p, 8));
    x->tpm_limit = bitsd(get(&p, 8));
    x->p50_ms = get(&p, 8);
    x->p90_ms = get(&p, 8);
    x->p99_ms = get(&p, 8);
    x->max_ms = get(&p, 8);
}

/* Walk the records of a whole file image; returns the length of the valid prefix. If out is
 * non-NULL, samples are stored there (room for len / record size is enough). */
static size_t parse(const unsigned char *b, size_t len, struct sl_series_sample *out, size_t *n)
{
    size_t off = MAGIC_LEN;

    *n = 0;
    if (len < MAGIC_LEN || memcmp(b, MAGIC, MAGIC_LEN) != 0)
        return 0;
    while (len - off >= 8) {
        const unsigned char *p = b + off;
        size_t plen = (size_t)p[0] | (size_t)p[1] << 8, type = (size_t)p[2] | (size_t)p[3] << 8;
        const unsigned char *c;

        if (len - off < 8 + plen)
            break;
        c = p + 4 + plen;
        if (sl_series_crc32(p, 4 + plen) != (uint32_t)get(&c, 4))
            break;
        if (type == TYPE_SAMPLE && plen >= SL_SERIES_SAMPLE_BYTES) {
            if (out)
                decode(p + 4, &out[*n]);
            (*n)++;
        }
        off += 8 + plen;
    }
    return off;
}

static int read_all(const char *path, unsigned char **out, size_t *len)
{
    struct sl_buf b;
    int rc;

    sl_buf_init(&b, (size_t)1 << 30);
    if ((rc = sl_fs_read_file(path, (size_t)1 << 30, &b))) {
        sl_buf_free(&b);
        return rc;
    }
    *out = (unsigned char *)b.p;
    *len = b.len;
    return 0;
}

int sl_series_load(const char *dir, struct sl_series_sample **out, size_t *n)
{
    char path[4096];
    unsigned char *b = NULL;
    size_t len = 0, cnt = 0;
    int rc;

    *out = NULL;
    *n = 0;
    snprintf(path, sizeof(path), "%s/series.bin", dir);
    if ((rc = read_all(path, &b, &len)))
        return rc;
    parse(b, len, NULL, &cnt);
    if (cnt) {
        *out = calloc(cnt, sizeof(**out));
        if (!*out) {
            free(b);
            return -ENOMEM;
        }
        parse(b, len, *out, n);
    }
    free(b);
    return 0;
}

/* ---- the writer ---- */

struct sl_series {
    uv_loop_t *loop;
    uv_file fd;
    uv_fs_t req;
    bool busy;
    int err;
    struct sl_buf inflight, pending; /* being written / waiting for the next write */
};

static int write_sync(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n) {
        ssize_t w = write(fd, c, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static void kick(struct sl_series *s);

static void on_write(uv_fs_t *req)
{
    struct sl_series *s = req->data;
    ssize_t res = req->result;

    uv_fs_req_cleanup(req);
    s->busy = false;
    if (res < 0 && !s->err)
        s->err = (int)res;
    else if ((size_t)res < s->inflight.len && !s->err)
        s->err = SL_EIO; /* regular files do not write short unless the disk is full */
    sl_buf_reset(&s->inflight);
    kick(s);
}

static void kick(struct sl_series *s)
{
    struct sl_buf t;
    uv_buf_t ub;
    int rc;

    if (s->busy || !s->pending.len || s->err)
        return; /* after an error nothing more is written: the series ends at a record boundary */
    t = s->inflight;
    s->inflight = s->pending;
    s->pending = t;
    ub = uv_buf_init(s->inflight.p, (unsigned)s->inflight.len);
    s->req.data = s;
    rc = uv_fs_write(s->loop, &s->req, s->fd, &ub, 1, -1, on_write);
    if (rc < 0) {
        if (!s->err)
            s->err = rc;
        sl_buf_reset(&s->inflight);
        return;
    }
    s->busy = true;
}

int sl_series_open(const char *dir, bool resume, uv_loop_t *loop, struct sl_series **out)
{
    struct sl_series *s;
    char path[4096];
    unsigned char *b = NULL;
    size_t len = 0, valid = 0, cnt;
    int rc;

    *out = NULL;
    snprintf(path, sizeof(path), "%s/series.bin", dir);
    if (resume) {
        rc = read_all(path, &b, &len);
        if (rc && rc != -ENOENT)
            return rc;
        valid = rc ? 0 : parse(b, len, NULL, &cnt);
        free(b);
    }
    s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->loop = loop;
    sl_buf_init(&s->inflight, PENDING_MAX);
    sl_buf_init(&s->pending, PENDING_MAX);
    s->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (valid ? 0 : O_TRUNC), 0600);
    if (s->fd < 0) {
        rc = -errno;
        goto out_free;
    }
    /* Cut a torn tail so new records follow the last valid one. */
    if (valid && (ftruncate(s->fd, (off_t)valid) || lseek(s->fd, 0, SEEK_END) < 0)) {
        rc = -errno;
        goto out_close;
    }
    if (!valid && (rc = write_sync(s->fd, MAGIC, MAGIC_LEN)))
        goto out_close;
    *out = s;
    return 0;

out_close:
    close(s->fd);
out_free:
    free(s);
    return rc;
}

int sl_series_append(struct sl_series *s, const struct sl_series_sample *x)
{
    unsigned char rec[SL_SERIES_REC_MAX];
    size_t n = sl_series_encode(x, rec);
    int rc;

    if (s->err)
        return s->err;
    if (!s->loop)
        return s->err = write_sync(s->fd, rec, n);
    if ((rc = sl_buf_append(&s->pending, rec, n)))
        return rc;
    kick(s);
    return s->err;
}

int sl_series_close(struct sl_series *s)
{
    int rc;

    if (!s)
        return 0;
    /* The loop has stopped, so no write is in flight (a request keeps its loop alive). */
    assert(!s->busy);
    if (!s->err && s->inflight.len)
        s->err = write_sync(s->fd, s->inflight.p, s->inflight.len);
    if (!s->err && s->pending.len)
        s->err = write_sync(s->fd, s->pending.p, s->pending.len);
    if (close(s->fd) && !s->err)
        s->err = -errno;
    rc = s->err;
    sl_buf_free(&s->inflight);
    sl_buf_free(&s->pending);
    free(s);
    return rc;
}
