/* framer.c: JSONL and msgpack record framing for the reader. Pure; runs on the loop thread.
 *
 * JSONL framing is a memchr for '\n' per line, which is the least per-byte work that can frame a
 * stream; everything else (parsing, validation) happens on workers. A line split across chunks is
 * gathered in a capped buffer; a line longer than max_rec is never buffered whole.
 * msgpack framing first finds where the next object ends with a bounded walk over its headers
 * (mp_scan), then decodes exactly that slice with msgpack_unpack_next; the object's zone is handed
 * to the worker that converts it.
 */
#include "framer.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

int sl_framer_init(struct sl_framer *f, bool msgpack, size_t max_rec)
{
    memset(f, 0, sizeof(*f));
    f->msgpack = msgpack;
    f->max_rec = max_rec ? max_rec : (8u << 20);
    sl_buf_init(&f->line, f->max_rec + 1);
    return 0;
}

void sl_framer_close(struct sl_framer *f)
{
    sl_buf_free(&f->line);
}

void sl_framer_rec_free_zone(void *mp_zone)
{
    if (mp_zone)
        msgpack_zone_free(mp_zone);
}

static bool is_blank(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

static int emit_line(struct sl_framer *f, const char *p, size_t n, sl_framer_emit_cb emit, void *ud)
{
    struct sl_framer_rec r = {0};

    if (n && p[n - 1] == '\r')
        n--;
    if (is_blank(p, n))
        return 0;
    r.p = p;
    r.len = n;
    r.rec_no = f->rec_no;
    return emit(ud, &r);
}

static int emit_err(struct sl_framer *f, uint64_t no, int err, const char *why,
                    sl_framer_emit_cb emit, void *ud)
{
    struct sl_framer_rec r = {0};

    (void)f;
    r.rec_no = no;
    r.err = err;
    r.why = why;
    return emit(ud, &r);
}

static int feed_jsonl(struct sl_framer *f, const char *p, size_t n, sl_framer_emit_cb emit,
                      void *ud)
{
    const char *end = p + n;
    int rc;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t take = (size_t)((nl ? nl : end) - p);

        if (!f->skipping) {
            if (f->line.len + take > f->max_rec) {
                f->skipping = true;
                sl_buf_reset(&f->line);
            } else if (nl && f->line.len == 0) {
                f->rec_no++;
                rc = emit_line(f, p, take, emit, ud);
                if (rc)
                    return rc;
                p = nl + 1;
                continue;
            } else if ((rc = sl_buf_append(&f->line, p, take))) {
                return rc;
            }
        }
        if (!nl)
            return 0;
        f->rec_no++;
        if (f->skipping) {
            f->skipping = false;
            rc = emit_err(f, f->rec_no, SL_ETOOBIG, "record longer than the per-job byte limit",
                          emit, ud);
        } else {
            rc = emit_line(f, f->line.p ? f->line.p : "", f->line.len, emit, ud);
            sl_buf_reset(&f->line);
        }
        if (rc)
            return rc;
        p = nl + 1;
    }
    return 0;
}

/* Where the next msgpack object ends, without allocating: walks the headers with a stack of
 * remaining element counts. msgpack-c's unpacker allocates a container's element array as soon as
 * it reads the header, so a lying count (an array claiming 2^32 elements) would make it allocate
 * gigabytes; this walk refuses any length or count that cannot fit in max_rec bytes first, and only
 * a complete, bounded object is then given to msgpack_unpack_next.
 * Returns 1 (complete, *len set), 0 (need more bytes) or SL_ETOOBIG / SL_EPARSE. */
#define MP_MAX_DEPTH 64

static uint64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;

    while (n--)
        v = (v << 8) | *p++;
    return v;
}

static int mp_scan(const unsigned char *p, size_t n, size_t max_rec, size_t *len)
{
    uint64_t left[MP_MAX_DEPTH + 1], elems = 0, max_elems = max_rec / 4 + 16;
    size_t pos = 0;
    int depth = 0;

    left[0] = 1;
    while (depth >= 0) {
        unsigned char c;
        uint64_t hdr = 1, body = 0, kids = 0;

        if (left[depth] == 0) {
            depth--;
            continue;
        }
        if (pos >= n)
            return pos > max_rec ? SL_ETOOBIG : 0;
        c = p[pos];
        if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
        } else if (c <= 0x8f) {
            kids = 2u * (c & 0x0f);
        } else if (c <= 0x9f) {
            kids = c & 0x0f;
        } else if (c <= 0xbf) {
            body = c & 0x1f;
        } else if (c == 0xc1) {
            return SL_EPARSE;
        } else {
            static const unsigned char hlen[] = {
                /* c4 */ 2, 3, 5, 3, 4, 6, 5, 9, 2, 3, 5, 9, 2, 3, 5, 9,
                /* d4 */ 3, 4, 6, 10, 18, 2, 3, 5, 3, 5, 3, 5};
            hdr = hlen[c - 0xc4];
            if (pos + hdr > n)
                return pos + hdr > max_rec ? SL_ETOOBIG : 0;
            switch (c) {
            case 0xc4: case 0xd9: body = p[pos + 1]; break;
            case 0xc5: case 0xda: body = be(p + pos + 1, 2); break;
            case 0xc6: case 0xdb: body = be(p + pos + 1, 4); break;
            case 0xc7: body = p[pos + 1]; break;
            case 0xc8: body = be(p + pos + 1, 2); break;
            case 0xc9: body = be(p + pos + 1, 4); break;
            case 0xdc: kids = be(p + pos + 1, 2); break;
            case 0xdd: kids = be(p + pos + 1, 4); break;
            case 0xde: kids = 2 * be(p + pos + 1, 2); break;
            case 0xdf: kids = 2 * be(p + pos + 1, 4); break;
            default: break; /* fixed-size numbers and fixext: all in hdr */
            }
        }
        if (body > max_rec || pos + hdr + body > max_rec + 0)
            return SL_ETOOBIG;
        if (pos + hdr + body > n)
            return 0;
        pos += hdr + body;
        left[depth]--;
        if (kids) {
            elems += kids;
            if (elems > max_elems || kids > max_rec)
                return SL_ETOOBIG;
            if (depth == MP_MAX_DEPTH)
                return SL_EPARSE;
            left[++depth] = kids;
        }
    }
    *len = pos;
    return 1;
}

static int emit_msgpack(struct sl_framer *f, const char *p, size_t len, sl_framer_emit_cb emit,
                        void *ud)
{
    struct sl_framer_rec r = {0};
    msgpack_zone *z = msgpack_zone_new(len + 1024);
    msgpack_object *obj;
    char *copy;
    size_t off = 0;

    /* Decoded strings point into the bytes they were decoded from, so the bytes go into the
     * object's zone first: the record then owns everything it refers to. */
    if (!z)
        return -12;
    copy = msgpack_zone_malloc(z, len ? len : 1);
    obj = msgpack_zone_malloc(z, sizeof(*obj));
    if (!copy || !obj) {
        msgpack_zone_free(z);
        return -12;
    }
    memcpy(copy, p, len);
    if (msgpack_unpack(copy, len, &off, z, obj) != MSGPACK_UNPACK_SUCCESS || off != len) {
        msgpack_zone_free(z);
        f->dead = true;
        return emit_err(f, f->rec_no, SL_EPARSE,
                        "msgpack stream cannot be decoded; rest of input skipped", emit, ud);
    }
    r.rec_no = f->rec_no++;
    r.mp_zone = z;
    r.mp_obj = obj;
    return emit(ud, &r);
}

/* mp_scan refused the stream: the framer is dead, the rest of the input is skipped. */
static int emit_scan_err(struct sl_framer *f, int rc, sl_framer_emit_cb emit, void *ud)
{
    return emit_err(f, f->rec_no, rc,
                    rc == SL_ETOOBIG ? "msgpack record longer than the per-job byte limit "
                                       "(or a lying length); rest of input skipped"
                                     : "msgpack stream cannot be decoded; rest of input skipped",
                    emit, ud);
}

static int feed_msgpack(struct sl_framer *f, const char *p, size_t n, sl_framer_emit_cb emit,
                        void *ud)
{
    size_t used = 0;
    int rc;

    if (f->dead)
        return 0;
    /* Frame straight from the chunk when nothing is pending; gather only a split object. */
    while (f->line.len == 0 && used < n) {
        size_t len = 0;

        rc = mp_scan((const unsigned char *)p + used, n - used, f->max_rec, &len);
        if (rc == 0)
            break;
        if (rc < 0) {
            f->dead = true;
            return emit_scan_err(f, rc, emit, ud);
        }
        if ((rc = emit_msgpack(f, p + used, len, emit, ud)) || f->dead)
            return rc;
        used += len;
    }
    if (used == n)
        return 0;
    if ((rc = sl_buf_append(&f->line, p + used, n - used))) {
        f->dead = true;
        sl_buf_reset(&f->line);
        return emit_err(f, f->rec_no, SL_ETOOBIG,
                        "msgpack record longer than the per-job byte limit; rest of input "
                        "skipped",
                        emit, ud);
    }
    for (;;) {
        size_t len = 0;

        rc = mp_scan((const unsigned char *)f->line.p, f->line.len, f->max_rec, &len);
        if (rc == 0)
            return 0;
        if (rc < 0) {
            f->dead = true;
            sl_buf_reset(&f->line);
            return emit_scan_err(f, rc, emit, ud);
        }
        if ((rc = emit_msgpack(f, f->line.p, len, emit, ud)) || f->dead) {
            sl_buf_reset(&f->line);
            return rc;
        }
        memmove(f->line.p, f->line.p + len, f->line.len - len);
        f->line.len -= len;
        if (f->line.len == 0)
            return 0;
    }
}

int sl_framer_feed(struct sl_framer *f, const char *p, size_t n, sl_framer_emit_cb emit, void *ud)
{
    return f->msgpack ? feed_msgpack(f, p, n, emit, ud) : feed_jsonl(f, p, n, emit, ud);
}

int sl_framer_finish(struct sl_framer *f, sl_framer_emit_cb emit, void *ud)
{
    int rc = 0;

    if (f->msgpack) {
        if (!f->dead && f->line.len > 0) {
            f->dead = true;
            rc = emit_err(f, f->rec_no, SL_EPARSE, "msgpack input ends inside a record", emit,
                          ud);
        }
        return rc;
    }
    if (f->skipping) {
        f->skipping = false;
        f->rec_no++;
        return emit_err(f, f->rec_no, SL_ETOOBIG, "record longer than the per-job byte limit",
                        emit, ud);
    }
    if (f->line.len) {
        f->rec_no++;
        rc = emit_line(f, f->line.p, f->line.len, emit, ud);
        sl_buf_reset(&f->line);
    }
    return rc;
}
