/* fuzz_reader.c: the input framer (JSONL and msgpack) and the msgpack-to-JSON conversion on
 * arbitrary bytes fed in arbitrary chunk sizes. Invariants: JSONL records never exceed the cap and
 * never contain a newline; framing the same bytes in one piece or in chunks gives the same records. */
#undef NDEBUG /* the invariants are the point, in every build type */
#include <assert.h>
#include <msgpack.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "framer.h"
#include "mp2json.h"

struct acc {
    uint64_t n, bytes, errs;
    uint64_t hash;
    size_t cap;
};

static int on_rec(void *ud, struct sl_framer_rec *r)
{
    struct acc *a = ud;
    size_t i;

    a->n++;
    if (r->err) {
        a->errs++;
        a->hash = a->hash * 31 + (uint64_t)r->rec_no;
        return 0;
    }
    if (r->mp_obj) {
        json_t *j = NULL;
        struct sl_err e;

        if (sl_mp2json(r->mp_obj, &j, &e) == 0)
            json_decref(j);
        sl_framer_rec_free_zone(r->mp_zone);
        return 0;
    }
    assert(r->len <= a->cap);
    assert(!memchr(r->p, '\n', r->len));
    for (i = 0; i < r->len; i++)
        a->hash = a->hash * 131 + (unsigned char)r->p[i];
    a->hash = a->hash * 31 + (uint64_t)r->rec_no;
    a->bytes += r->len;
    return 0;
}

static void frame(const uint8_t *d, size_t n, bool mp, size_t step, struct acc *a)
{
    struct sl_framer f;
    size_t off = 0;

    memset(a, 0, sizeof(*a));
    a->cap = 256;
    if (sl_framer_init(&f, mp, a->cap))
        return;
    while (off < n) {
        size_t k = n - off < step ? n - off : step;

        if (sl_framer_feed(&f, (const char *)d + off, k, on_rec, a))
            break;
        off += k;
    }
    if (sl_framer_finish(&f, on_rec, a))
        a->errs += 1000; /* out of memory only */
    sl_framer_close(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct acc whole, chunked;
    size_t step = size ? (size_t)data[0] % 17 + 1 : 1;

    frame(data, size, false, size ? size : 1, &whole);
    frame(data, size, false, step, &chunked);
    assert(whole.n == chunked.n && whole.hash == chunked.hash && whole.errs == chunked.errs);
    frame(data, size, true, size ? size : 1, &whole);
    frame(data, size, true, step, &chunked);
    return 0;
}
