/* buf.h: a growable byte buffer with a hard cap (curl's dynbuf idea).
 *
 * Owned by whoever declared it; sl_buf_free releases it (and sl_buf_wipe zeroes it first, for
 * buffers that held secrets). Appends past `max` fail with SL_ENOSPACE and leave the buffer as it
 * was. The content is always NUL-terminated (len excludes the NUL) so it can be handed to C APIs.
 */
#ifndef SL_BUF_H
#define SL_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct sl_buf {
    char *p;
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len; 0 means SL_BUF_DEFAULT_MAX */
};

#define SL_BUF_DEFAULT_MAX ((size_t)1 << 30)

void sl_buf_init(struct sl_buf *b, size_t max);
SL_MUST_CHECK int sl_buf_reserve(struct sl_buf *b, size_t extra);
SL_MUST_CHECK int sl_buf_append(struct sl_buf *b, const void *p, size_t n);
SL_MUST_CHECK int sl_buf_append_str(struct sl_buf *b, const char *s);
SL_MUST_CHECK int sl_buf_printf(struct sl_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal (with quotes), escaping as RFC 8259 requires. */
SL_MUST_CHECK int sl_buf_append_json_str(struct sl_buf *b, const char *s, size_t n);
/* The JSON escape of c (a byte a JSON string must escape: '"', '\\' or below 0x20) into out; returns
 * its length, 2 or 6. */
size_t sl_json_escape(unsigned char c, char out[6]);
/* Decimal digits of v written at out (room for 20, no NUL); returns their count. For line
 * builders that run once per job and would rather not go through printf. */
size_t sl_fmt_u64(char *out, uint64_t v);
void sl_buf_reset(struct sl_buf *b); /* len = 0, keeps memory */
void sl_buf_free(struct sl_buf *b);
void sl_buf_wipe(struct sl_buf *b); /* explicit_bzero then free */

#endif
