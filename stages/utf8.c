/* utf8.c: strict UTF-8 decoding, validation and repair. Pure, any thread.
 *
 * Well-formed byte sequences (Unicode table 3-7):
 *   U+0000..U+007F     00..7F
 *   U+0080..U+07FF     C2..DF 80..BF
 *   U+0800..U+0FFF     E0     A0..BF 80..BF
 *   U+1000..U+CFFF     E1..EC 80..BF 80..BF
 *   U+D000..U+D7FF     ED     80..9F 80..BF
 *   U+E000..U+FFFF     EE..EF 80..BF 80..BF
 *   U+10000..U+3FFFF   F0     90..BF 80..BF 80..BF
 *   U+40000..U+FFFFF   F1..F3 80..BF 80..BF 80..BF
 *   U+100000..U+10FFFF F4     80..8F 80..BF 80..BF
 * C0, C1 and F5..FF never appear. The second byte's range depends on the lead byte; that is what
 * excludes overlongs, surrogates and values above U+10FFFF. Validation runs an ASCII fast path
 * eight bytes at a time, since most job text is ASCII.
 */
#include "utf8.h"

#include <string.h>

int sl_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    int len, i;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c < 0xC2 || c > 0xF4)
        return -1;
    if (c < 0xE0) {
        len = 2;
        v = c & 0x1F;
    } else if (c < 0xF0) {
        len = 3;
        v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else {
        len = 4;
        v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    }
    for (i = 1; i < len; i++) {
        unsigned char b;

        if ((size_t)i >= n)
            return -i;
        b = s[i];
        if (b < lo || b > hi)
            return -i;
        lo = 0x80;
        hi = 0xBF;
        v = (v << 6) | (b & 0x3F);
    }
    *cp = v;
    return len;
}

bool sl_utf8_valid(const char *s, size_t n, size_t *bad_off)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        uint64_t w;
        uint32_t cp;
        int l;

        if (n - i >= 8) {
            memcpy(&w, u + i, 8);
            if (!(w & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        l = sl_utf8_decode(u + i, n - i, &cp);
        if (l < 0) {
            if (bad_off)
                *bad_off = i;
            return false;
        }
        i += (size_t)l;
    }
    return true;
}

int sl_utf8_repair(const char *s, size_t n, struct sl_buf *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run = 0;
    int rc;

    while (i < n) {
        uint32_t cp;
        int l = sl_utf8_decode(u + i, n - i, &cp);

        if (l > 0) {
            i += (size_t)l;
            continue;
        }
        if ((rc = sl_buf_append(out, s + run, i - run)))
            return rc;
        if ((rc = sl_buf_append(out, "\xEF\xBF\xBD", 3)))
            return rc;
        i += (size_t)-l;
        run = i;
    }
    return sl_buf_append(out, s + run, n - run);
}

size_t sl_utf8_count(const char *s, size_t n)
{
    size_t i = 0, cont = 0;

    /* count continuation bytes (10xxxxxx) eight at a time: bit 7 set and bit 6 clear */
    for (; i + 8 <= n; i += 8) {
        uint64_t w;

        memcpy(&w, s + i, 8);
        w = (w & ~(w << 1) & 0x8080808080808080ULL) >> 7; /* 1 per continuation byte */
        cont += (size_t)((w * 0x0101010101010101ULL) >> 56); /* sum of the eight bytes */
    }
    for (; i < n; i++)
        cont += ((unsigned char)s[i] & 0xC0) == 0x80;
    return n - cont;
}
