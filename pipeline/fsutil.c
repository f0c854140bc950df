/* fsutil.c: complete writes, syncs, capped reads and the zstd line reader. Any thread. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

int sl_fs_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n > 0) {
        ssize_t w = write(fd, c, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (w == 0)
            return -EIO; /* a regular file never does this; do not loop forever */
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int sl_fs_sync(int fd, bool data_only)
{
    int rc;

    do
        rc = data_only ? fdatasync(fd) : fsync(fd);
    while (rc < 0 && errno == EINTR);
    return rc < 0 ? -errno : 0;
}

int sl_fs_read_file(const char *path, size_t max, struct sl_buf *out)
{
    char chunk[65536];
    int fd, rc = 0;
    size_t total = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof(chunk));

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = -errno;
            break;
        }
        if (r == 0)
            break;
        total += (size_t)r;
        if (total > max) {
            rc = -EFBIG;
            break;
        }
        rc = sl_buf_append(out, chunk, (size_t)r);
        if (rc)
            break;
    }
    close(fd);
    return rc;
}

/* Split decompressed bytes into lines; the partial last line waits in `line`. */
static int feed_lines(struct sl_buf *line, const char *p, size_t n, size_t max_line,
                      sl_fs_line_cb cb, void *ud)
{
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) : n;
        int rc;

        if (line->len + take > max_line)
            return SL_ETOOBIG;
        if (!nl)
            return sl_buf_append(line, p, take);
        if (line->len == 0) {
            rc = cb(ud, p, take); /* the common case: no copy */
        } else {
            rc = sl_buf_append(line, p, take);
            if (rc == 0)
                rc = cb(ud, line->p, line->len);
            sl_buf_reset(line);
        }
        if (rc)
            return rc;
        p += take + 1;
        n -= take + 1;
    }
    return 0;
}

int sl_fs_zst_read_lines(const char *path, size_t max_line, sl_fs_line_cb cb, void *ud)
{
    size_t in_cap = ZSTD_DStreamInSize(), out_cap = ZSTD_DStreamOutSize();
    char *inb = NULL, *outb = NULL;
    ZSTD_DCtx *dctx = NULL;
    struct sl_buf line;
    size_t last = 0; /* ZSTD_decompressStream's last return: 0 at a frame boundary */
    int fd, rc = 0;

    sl_buf_init(&line, max_line + 1);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    inb = malloc(in_cap);
    outb = malloc(out_cap);
    dctx = ZSTD_createDCtx();
    if (!inb || !outb || !dctx) {
        rc = -ENOMEM;
        goto out;
    }
    for (;;) {
        ssize_t r = read(fd, inb, in_cap);
        ZSTD_inBuffer in = {inb, 0, 0};

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = -errno;
            goto out;
        }
        if (r == 0)
            break;
        in.size = (size_t)r;
        for (;;) {
            ZSTD_outBuffer o = {outb, out_cap, 0};

            last = ZSTD_decompressStream(dctx, &o, &in);
            if (ZSTD_isError(last)) {
                rc = SL_ECORRUPT;
                goto out;
            }
            rc = feed_lines(&line, outb, o.pos, max_line, cb, ud);
            if (rc)
                goto out;
            /* A full output buffer may mean zstd holds more: call again before reading on. */
            if (in.pos == in.size && o.pos < out_cap)
                break;
        }
    }
    if (last != 0 || line.len != 0)
        rc = SL_ECORRUPT; /* a frame cut short, or a line without its newline */
out:
    ZSTD_freeDCtx(dctx);
    free(inb);
    free(outb);
    sl_buf_free(&line);
    close(fd);
    return rc;
}
