/* fsutil.c: complete writes, syncs, capped reads and the zstd line / msgpack record readers. Any
 * thread. */
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

/* A record splitter over the decompressed stream: feed takes bytes, pending says whether a record
 * is cut short at the end. */
struct splitter {
    int (*feed)(struct splitter *sp, const char *p, size_t n);
    struct sl_buf pend; /* partial line, or msgpack bytes not yet a whole record */
    size_t max;
    sl_fs_line_cb line_cb;
    sl_fs_mp_cb mp_cb;
    void *ud;
};

static int feed_line_split(struct splitter *sp, const char *p, size_t n)
{
    return feed_lines(&sp->pend, p, n, sp->max, sp->line_cb, sp->ud);
}

/* msgpack: append, take every whole record from the front, keep the rest for the next bytes. A
 * record cut across chunks is parsed again from its start when more arrives (records are small
 * beside the 128 KiB chunks, and capped by max). */
static int feed_mp_split(struct splitter *sp, const char *p, size_t n)
{
    msgpack_unpacked u;
    size_t off = 0;
    int rc = sl_buf_append(&sp->pend, p, n);

    if (rc)
        return rc;
    msgpack_unpacked_init(&u);
    while (off < sp->pend.len) {
        size_t at = off;
        msgpack_unpack_return ur = msgpack_unpack_next(&u, sp->pend.p, sp->pend.len, &off);

        if (ur == MSGPACK_UNPACK_CONTINUE) {
            off = at;
            if (sp->pend.len - off > sp->max)
                rc = SL_ETOOBIG;
            break;
        }
        if (ur != MSGPACK_UNPACK_SUCCESS && ur != MSGPACK_UNPACK_EXTRA_BYTES) {
            rc = ur == MSGPACK_UNPACK_NOMEM_ERROR ? -ENOMEM : SL_ECORRUPT;
            break;
        }
        if (off - at > sp->max) {
            rc = SL_ETOOBIG;
            break;
        }
        if ((rc = sp->mp_cb(sp->ud, &u.data)))
            break;
    }
    msgpack_unpacked_destroy(&u);
    if (off) {
        memmove(sp->pend.p, sp->pend.p + off, sp->pend.len - off);
        sp->pend.len -= off;
    }
    return rc;
}

static int zst_read(const char *path, struct splitter *sp)
{
    size_t in_cap = ZSTD_DStreamInSize(), out_cap = ZSTD_DStreamOutSize();
    char *inb = NULL, *outb = NULL;
    ZSTD_DCtx *dctx = NULL;
    size_t last = 0; /* ZSTD_decompressStream's last return: 0 at a frame boundary */
    int fd, rc = 0;

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
            rc = sp->feed(sp, outb, o.pos);
            if (rc)
                goto out;
            /* A full output buffer may mean zstd holds more: call again before reading on. */
            if (in.pos == in.size && o.pos < out_cap)
                break;
        }
    }
    if (last != 0 || sp->pend.len != 0)
        rc = SL_ECORRUPT; /* a frame cut short, or a record cut short */
out:
    ZSTD_freeDCtx(dctx);
    free(inb);
    free(outb);
    close(fd);
    return rc;
}

int sl_fs_zst_read_lines(const char *path, size_t max_line, sl_fs_line_cb cb, void *ud)
{
    struct splitter sp = {.feed = feed_line_split, .max = max_line, .line_cb = cb, .ud = ud};
    int rc;

    sl_buf_init(&sp.pend, max_line + 1);
    rc = zst_read(path, &sp);
    sl_buf_free(&sp.pend);
    return rc;
}

int sl_fs_zst_read_mp(const char *path, size_t max_rec, sl_fs_mp_cb cb, void *ud)
{
    struct splitter sp = {.feed = feed_mp_split, .max = max_rec, .mp_cb = cb, .ud = ud};
    int rc;

    sl_buf_init(&sp.pend, 0);
    rc = zst_read(path, &sp);
    sl_buf_free(&sp.pend);
    return rc;
}
