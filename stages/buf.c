/* buf.c: growable capped buffer. Pure, any thread (one owner at a time). */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sl_buf_init(struct sl_buf *b, size_t max)
{
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : SL_BUF_DEFAULT_MAX;
}

int sl_buf_reserve(struct sl_buf *b, size_t extra)
{
    size_t need, ncap;
    char *np;

    if (b->max == 0)
        b->max = SL_BUF_DEFAULT_MAX;
    if (extra > b->max || b->len > b->max - extra)
        return SL_ENOSPACE;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    ncap = b->cap ? b->cap : 256;
    while (ncap < need)
        ncap *= 2;
    if (ncap > b->max + 1)
        ncap = b->max + 1;
    np = realloc(b->p, ncap);
    if (!np)
        return -12; /* -ENOMEM */
    b->p = np;
    b->cap = ncap;
    return 0;
}

int sl_buf_append(struct sl_buf *b, const void *p, size_t n)
{
    int rc = sl_buf_reserve(b, n);

    if (rc)
        return rc;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int sl_buf_append_str(struct sl_buf *b, const char *s)
{
    return sl_buf_append(b, s, strlen(s));
}

int sl_buf_printf(struct sl_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SL_EPARSE;
    rc = sl_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

size_t sl_json_escape(unsigned char c, char out[6])
{
    static const char hex[] = "0123456789abcdef";

    out[0] = '\\';
    switch (c) {
    case '"':  out[1] = '"';  return 2;
    case '\\': out[1] = '\\'; return 2;
    case '\n': out[1] = 'n';  return 2;
    case '\r': out[1] = 'r';  return 2;
    case '\t': out[1] = 't';  return 2;
    case '\b': out[1] = 'b';  return 2;
    case '\f': out[1] = 'f';  return 2;
    default:
        out[1] = 'u'; out[2] = '0'; out[3] = '0';
        out[4] = hex[c >> 4]; out[5] = hex[c & 15];
        return 6;
    }
}

int sl_buf_append_json_str(struct sl_buf *b, const char *s, size_t n)
{
    size_t i, run = 0;
    int rc;

    if ((rc = sl_buf_reserve(b, n + 2)))
        return rc;
    b->p[b->len++] = '"';
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if ((rc = sl_buf_append(b, s + run, i - run)))
            return rc;
        run = i + 1;
        if ((rc = sl_buf_append(b, esc, sl_json_escape(c, esc))))
            return rc;
    }
    if ((rc = sl_buf_append(b, s + run, n - run)))
        return rc;
    return sl_buf_append(b, "\"", 1);
}

void sl_buf_reset(struct sl_buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

void sl_buf_free(struct sl_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void sl_buf_wipe(struct sl_buf *b)
{
    if (b->p)
        explicit_bzero(b->p, b->cap);
    sl_buf_free(b);
}

size_t sl_fmt_u64(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0, i;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}
