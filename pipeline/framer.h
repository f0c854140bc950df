/* framer.h: cut a byte stream into input records (JSONL lines or msgpack objects). Pure.
 *
 * The reader feeds chunks as they arrive; the framer calls emit once per record, in order, with the
 * record's number (JSONL: line number from 1; msgpack: object index from 0). A record longer than
 * max_rec bytes is not buffered: it is reported once with err = SL_ETOOBIG (JSONL skips to the next
 * newline and goes on). Blank JSONL lines are not records. A msgpack stream that cannot be framed any
 * more (a parse error, or a length that would exceed max_rec) is reported once with err set and the
 * rest of that input is dropped: msgpack has no delimiter to resynchronise on.
 */
#ifndef SL_FRAMER_H
#define SL_FRAMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

struct sl_framer_rec {
    const char *p;    /* JSONL: the line without its newline (valid during the emit call) */
    size_t len;
    uint64_t rec_no;
    int err;          /* 0, SL_ETOOBIG or SL_EPARSE; p is NULL when set */
    const char *why;  /* with err: short static explanation */
    void *mp_zone;    /* msgpack: msgpack_zone* owning mp_obj; the callee takes ownership */
    void *mp_obj;     /* msgpack: msgpack_object* allocated in mp_zone */
};

/* Returns 0 to go on, negative to stop feeding (returned by sl_framer_feed). */
typedef int (*sl_framer_emit_cb)(void *ud, struct sl_framer_rec *r);

struct sl_framer {
    bool msgpack;
    bool skipping;  /* JSONL: inside an over-long line */
    bool dead;      /* msgpack: framing lost, rest ignored */
    size_t max_rec;
    uint64_t rec_no;
    uint64_t line_start_no;
    struct sl_buf line;
    void *mp;       /* msgpack_unpacker* */
};

SL_MUST_CHECK int sl_framer_init(struct sl_framer *f, bool msgpack, size_t max_rec);
SL_MUST_CHECK int sl_framer_feed(struct sl_framer *f, const char *p, size_t n,
                                 sl_framer_emit_cb emit, void *ud);
/* End of input: emits a last JSONL line without newline, or reports a truncated msgpack object. */
SL_MUST_CHECK int sl_framer_finish(struct sl_framer *f, sl_framer_emit_cb emit, void *ud);
void sl_framer_close(struct sl_framer *f);
/* Free an emitted msgpack record's zone (if the callee does not keep it). */
void sl_framer_rec_free_zone(void *mp_zone);

#endif
