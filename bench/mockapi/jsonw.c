/* jsonw.c: JSON string literal writer (RFC 8259 section 7). Pure, any thread. */
#include "jsonw.h"

#include <stdint.h>

/* Length of the valid UTF-8 sequence starting at p (RFC 3629 table), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
    size_t len, i;
    uint32_t cp;

    if (p[0] < 0xC2 || p[0] > 0xF4)
        return 0;
    len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : 2;
    if (left < len)
        return 0;
    cp = p[0] & (0x7F >> len);
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static char *put_u(char *o, unsigned c)
{
    static const char hex[] = "0123456789abcdef";

    *o++ = '\\';
    *o++ = 'u';
    *o++ = '0';
    *o++ = '0';
    *o++ = hex[(c >> 4) & 0xF];
    *o++ = hex[c & 0xF];
    return o;
}

size_t mock_jsonw_str(char *dst, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    char *o = dst;
    size_t k;

    *o++ = '"';
    while (p < end) {
        unsigned c = *p;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *o++ = (char)c;
            p++;
            continue;
        }
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
            p++;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            *o++ = '\\';
            *o++ = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            p++;
        } else if (c < 0x20 || (k = utf8_seq(p, (size_t)(end - p))) == 0) {
            o = put_u(o, c);
            p++;
        } else {
            while (k--)
                *o++ = (char)*p++;
        }
    }
    *o++ = '"';
    return (size_t)(o - dst);
}
