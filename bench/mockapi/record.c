/* record.c: buffered append-only JSON-lines file for --record.
 *
 * The loop thread does the write(2) itself: the file is local and a write of a few kilobytes to
 * the page cache every 100 ms costs less than handing buffers to a thread. A soft cap (4 MiB)
 * bounds memory under heavy load by flushing early. Loop thread only.
 */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECORD_SOFT_CAP ((size_t)4 << 20)

int mock_record_open(struct mock_record *r, const char *path)
{
    memset(r, 0, sizeof(*r));
    r->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (r->fd < 0)
        return -errno;
    return 0;
}

char *mock_record_reserve(struct mock_record *r, size_t n)
{
    size_t ncap;
    char *p;

    if (r->len >= RECORD_SOFT_CAP && mock_record_flush(r) < 0)
        r->len = 0;
    if (r->cap - r->len >= n)
        return r->buf + r->len;
    ncap = r->cap ? r->cap : 65536;
    while (ncap - r->len < n)
        ncap *= 2;
    p = realloc(r->buf, ncap);
    if (!p)
        return NULL;
    r->buf = p;
    r->cap = ncap;
    return r->buf + r->len;
}

void mock_record_commit(struct mock_record *r, size_t n)
{
    r->len += n;
}

int mock_record_flush(struct mock_record *r)
{
    size_t off = 0;
    ssize_t w;
    int rc = 0;

    while (off < r->len) {
        w = write(r->fd, r->buf + off, r->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = -errno;
            fprintf(stderr, "sluice-mockapi: record write failed: %s\n", strerror(errno));
            break;
        }
        off += (size_t)w;
    }
    r->len = 0;
    return rc;
}

void mock_record_close(struct mock_record *r)
{
    if (r->fd >= 0) {
        (void)mock_record_flush(r);
        close(r->fd);
    }
    r->fd = -1;
    free(r->buf);
    r->buf = NULL;
    r->len = r->cap = 0;
}
