/* framer.c: JSONL and msgpack record framing for the reader. Pure; runs on the loop thread.
 *
 * JSONL framing is a memchr for '\n' per line, which is the least per-byte work that can frame a
 * stream; everything else (parsing, validation) happens on workers. A line split across chunks is
 * gathered in a capped buffer; a line longer than max_rec is never buffered whole.
 * msgpack framing uses msgpack-c's streaming unpacker: each complete object comes with its own zone
 * (msgpack_unpacker_next releases it), which is handed to the worker that converts it.
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
    if (msgpack) {
        f->mp = msgpack_unpacker_new(64 * 1024);
        if (!f->mp)
            return -12;
    }
    return 0;
}

void sl_framer_close(struct sl_framer *f)
{
    sl_buf_free(&f->line);
    if (f->mp)
        msgpack_unpacker_free(f->mp);
    f->mp = NULL;
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

static int drain_msgpack(struct sl_framer *f, sl_framer_emit_cb emit, void *ud)
{
    msgpack_unpacker *mp = f->mp;
    msgpack_unpacked res;
    int rc = 0;

    msgpack_unpacked_init(&res);
    for (;;) {
        msgpack_unpack_return ur = msgpack_unpacker_next(mp, &res);
        struct sl_framer_rec r = {0};
        msgpack_object *obj;

        if (ur == MSGPACK_UNPACK_CONTINUE) {
            if (msgpack_unpacker_message_size(mp) > f->max_rec) {
                f->dead = true;
                rc = emit_err(f, f->rec_no, SL_ETOOBIG,
                              "msgpack record longer than the per-job byte limit (or a lying "
                              "length); rest of input skipped",
                              emit, ud);
            }
            break;
        }
        if (ur != MSGPACK_UNPACK_SUCCESS) {
            f->dead = true;
            rc = emit_err(f, f->rec_no, SL_EPARSE,
                          "msgpack stream cannot be decoded; rest of input skipped", emit, ud);
            break;
        }
        if (!res.zone && !(res.zone = msgpack_zone_new(256))) {
            rc = -12; /* a scalar comes without a zone of its own */
            break;
        }
        obj = msgpack_zone_malloc(res.zone, sizeof(*obj));
        if (!obj) {
            rc = -12;
            break;
        }
        *obj = res.data;
        r.rec_no = f->rec_no++;
        r.mp_zone = res.zone;
        r.mp_obj = obj;
        res.zone = NULL; /* ownership moves to the callee */
        rc = emit(ud, &r);
        if (rc)
            break;
    }
    msgpack_unpacked_destroy(&res);
    return rc;
}

static int feed_msgpack(struct sl_framer *f, const char *p, size_t n, sl_framer_emit_cb emit,
                        void *ud)
{
    msgpack_unpacker *mp = f->mp;

    if (f->dead)
        return 0;
    while (n) {
        size_t take = n > 256 * 1024 ? 256 * 1024 : n;
        int rc;

        if (!msgpack_unpacker_reserve_buffer(mp, take))
            return -12;
        memcpy(msgpack_unpacker_buffer(mp), p, take);
        msgpack_unpacker_buffer_consumed(mp, take);
        rc = drain_msgpack(f, emit, ud);
        if (rc || f->dead)
            return rc;
        p += take;
        n -= take;
    }
    return 0;
}

int sl_framer_feed(struct sl_framer *f, const char *p, size_t n, sl_framer_emit_cb emit, void *ud)
{
    return f->msgpack ? feed_msgpack(f, p, n, emit, ud) : feed_jsonl(f, p, n, emit, ud);
}

int sl_framer_finish(struct sl_framer *f, sl_framer_emit_cb emit, void *ud)
{
    int rc = 0;

    if (f->msgpack) {
        if (!f->dead && msgpack_unpacker_message_size(f->mp) > 0) {
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
