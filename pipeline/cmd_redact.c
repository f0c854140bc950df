/* cmd_redact.c: `sluice redact`, the anonymize stage as a JSONL filter.
 *
 * The command runs on the calling thread; a struct sl_redact (the per-line filter it is built on)
 * belongs to one thread at a time. stdin is read in large chunks and split at '\n' in place; a
 * line over SL_REDACT_MAX_LINE is skipped to its end and reported. Each line is parsed by yajl in one
 * yajl_parse call (one value of any type; no comments, no trailing garbage, no second value) and
 * checked for what yajl lets through but JSON forbids: ill-formed UTF-8 beyond yajl's structural
 * check (overlongs, encoded surrogates, > U+10FFFF: the line is checked strictly first, so yajl's
 * own check is off), \v and \f between tokens (yajl's whitespace, not JSON's), and \u escapes of
 * unpaired surrogates (yajl decodes them to '?' or to ill-formed UTF-8). Such a line is not valid
 * JSON, as it was with jansson: reported by line number and byte column, nothing written for it.
 *
 * The output is the input line, byte for byte, except each string VALUE whose anonymized text
 * differs: that token is replaced by a new JSON string literal of the anonymized text (UTF-8; \u
 * escapes only for control characters, so \u0000 stays \u0000). Keys, numbers of any size or
 * precision, whitespace, escapes in unchanged strings, duplicate keys and key order are untouched.
 * Numbers get no yajl callback, so yajl neither converts nor range-checks them (1e400 and 10^30
 * pass as text, as any JSON number). Nesting depth is not limited: yajl keeps one byte per level
 * and nothing here recurses (jansson stopped at 2048). Trailing '\r's are dropped (CRLF input).
 *
 * Token positions: inside a callback, yajl_get_bytes_consumed() is the offset just past the token
 * yajl has lexed, for a string the offset past its closing quote (yajl's lexer reads strings to the
 * quote and never beyond). The opening quote is the first '"' after the end of the previous string
 * or key token: the tokens in between (brackets, ',', ':', numbers, literals, spaces) hold none.
 * So only the string and map-key callbacks are set. The whole line is in one yajl_parse call, so
 * no string token straddles two calls; only a top-level number ends in yajl_complete_parse. A
 * string without escapes yajl passes as a pointer into the line: that locates it without a search
 * (checked against the offset above). yajl 2.1 has no reset, so a handle is made per line; its
 * blocks are kept between lines (struct ycache) and wiped at the end.
 */
#include "cmd_redact.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>
/* SSE2 scanners for printable runs; -DSL_NO_SIMD builds the byte loops other CPUs run, so the
 * suite checks them here too (test_cmd_redact_portable). */
#if defined(SL_SSE2) && !defined(SL_NO_SIMD)
#define SL_SSE2 1
#include <emmintrin.h>
#endif

#include "anonymize.h"
#include "buf.h"
#include "utf8.h"

#define READ_CHUNK ((size_t)1 << 20)
#define YCACHE 8 /* yajl blocks kept between lines (a handle makes 5) */

/* yajl has no reset: a handle is made and freed per line. Its blocks (handle, lexer, buffers,
 * state stack) are kept here between lines instead of going back to malloc, and wiped (they may
 * hold decoded string text) when the filter is destroyed. Each block has a size header. */
struct ycache {
    void *blk[YCACHE];
    int n;
};

/* Bounded line reader over a FILE: data is buf[beg..end); buf[end] is always writable; buf[0..hw)
 * is all that was ever written (what to wipe). */
struct lines {
    FILE *f;
    char *buf;
    size_t cap, beg, end, max, hw;
    bool eof;
};

struct sl_redact {
    struct sl_anon *a;
    struct sl_anon_scratch *s;
    struct sl_anon_vault *vault; /* per line (a line is a job) for tokenize */
    enum sl_anon_mode mode;
    struct sl_anon_counts counts; /* of the lines written */
    struct sl_anon_counts line_counts;
    struct sl_buf out; /* the line being rewritten, when a string changed */
    struct sl_buf tmp; /* one string's anonymized text */
    struct sl_buf fix; /* tmp made valid UTF-8, when the stage cut a character */
    /* the line being parsed */
    yajl_handle h;
    yajl_alloc_funcs afs;
    struct ycache yc;
    const char *line;
    size_t len;
    size_t prev;   /* end of the previous string or key token */
    size_t copied; /* line[0..copied) is in out */
    size_t bad_at; /* offset of an unpaired surrogate escape */
    int fail;      /* why a callback stopped the parse: 1 bad escape, < 0 an error code */
};

#define YHDR 16 /* keeps malloc's alignment */

static size_t ycap(void *blk) { return *(size_t *)blk; }

static void *ymalloc(void *ctx, size_t sz)
{
    struct ycache *c = ctx;
    void *b;
    int i, best = -1;

    for (i = 0; i < c->n; i++) /* the smallest cached block that fits */
        if (ycap(c->blk[i]) >= sz && (best < 0 || ycap(c->blk[i]) < ycap(c->blk[best])))
            best = i;
    if (best >= 0) {
        b = c->blk[best];
        c->blk[best] = c->blk[--c->n];
        return (char *)b + YHDR;
    }
    if (sz > SIZE_MAX - YHDR || !(b = malloc(sz + YHDR)))
        return NULL;
    *(size_t *)b = sz;
    return (char *)b + YHDR;
}

static void yrelease(void *b)
{
    explicit_bzero((char *)b + YHDR, ycap(b));
    free(b);
}

static void yfree(void *ctx, void *p)
{
    struct ycache *c = ctx;
    void *b;

    if (!p)
        return;
    b = (char *)p - YHDR;
    if (c->n < YCACHE)
        c->blk[c->n++] = b;
    else
        yrelease(b);
}

/* Grown by copy, so the old block is wiped, never handed back to malloc unwiped. */
static void *yrealloc(void *ctx, void *p, size_t sz)
{
    void *q;

    if (!p)
        return ymalloc(ctx, sz);
    if (ycap((char *)p - YHDR) >= sz)
        return p;
    if (!(q = ymalloc(ctx, sz)))
        return NULL;
    memcpy(q, p, ycap((char *)p - YHDR));
    yrelease((char *)p - YHDR);
    return q;
}

static void usage(void)
{
    fprintf(stderr, "usage: sluice redact [--mode redact|mask|hash|tokenize|off] [--types LIST]\n"
                    "                     [--hash-key-file FILE] [--stats] [--threads N] < in.jsonl > out.jsonl\n");
}

static int read_key(const char *path, unsigned char *key, size_t cap, size_t *len)
{
    struct stat st;
    FILE *f = fopen(path, "rb");

    if (!f) {
        fprintf(stderr, "sluice redact: cannot open the hash key file: %s\n", strerror(errno));
        return SL_ECONFIG;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
        fprintf(stderr, "sluice redact: the hash key file must be a regular file readable by its owner only (chmod 600)\n");
        fclose(f);
        return SL_ECONFIG;
    }
    *len = fread(key, 1, cap, f);
    fclose(f);
    while (*len > 0 && (key[*len - 1] == '\n' || key[*len - 1] == '\r'))
        (*len)--;
    if (*len < 16) {
        fprintf(stderr, "sluice redact: the hash key file must hold at least 16 bytes\n");
        return SL_ECONFIG;
    }
    return 0;
}


static unsigned hex4(const char *p)
{
    unsigned v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        unsigned char c = (unsigned char)p[i];

        v = v << 4 | (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/* true if every surrogate \u escape in the string token body t[0..n) is a high one directly
 * followed by a low one; else false with *bad the offset of the first that is not. yajl has lexed
 * the token, so each backslash starts a complete escape. */
static bool surrogates_paired(const char *t, size_t n, size_t *bad)
{
    size_t i = 0;
    const char *q;

    while (i < n && (q = memchr(t + i, '\\', n - i))) {
        unsigned v;

        i = (size_t)(q - t);
        if (t[i + 1] != 'u') {
            i += 2;
            continue;
        }
        v = hex4(t + i + 2);
        if (v >= 0xD800 && v <= 0xDBFF && i + 12 <= n && t[i + 6] == '\\' && t[i + 7] == 'u') {
            unsigned w = hex4(t + i + 8);

            if (w >= 0xDC00 && w <= 0xDFFF) {
                i += 12;
                continue;
            }
        }
        if (v >= 0xD800 && v <= 0xDFFF) {
            *bad = i;
            return false;
        }
        i += 6;
    }
    return true;
}


#if defined(SL_SSE2)
static inline __m128i load16(const char *p)
{
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* 0xFF in each byte of v that is 0x20..0x7F (signed compare: bytes >= 0x80 are negative). */
static inline __m128i printable(__m128i v) { return _mm_cmpgt_epi8(v, _mm_set1_epi8(0x1F)); }

/* 0xFF in each byte of v that is 0x20..0x7F but '"' and '\\'. */
static inline __m128i json_plain(__m128i v)
{
    return _mm_andnot_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                         _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                            printable(v));
}
#endif

/* Length of the leading run of p[0..n) of bytes 0x20..0x7F: nothing there for utf8_scan. */
static size_t plain_prefix(const char *p, size_t n)
{
    size_t i = 0;

#if defined(SL_SSE2)
    for (; i + 64 <= n; i += 64) { /* a line is mostly printable ASCII: 64 bytes a step */
        __m128i a = _mm_and_si128(printable(load16(p + i)), printable(load16(p + i + 16)));
        __m128i b = _mm_and_si128(printable(load16(p + i + 32)), printable(load16(p + i + 48)));

        if (_mm_movemask_epi8(_mm_and_si128(a, b)) != 0xFFFF)
            break;
    }
    for (; i + 16 <= n; i += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(printable(load16(p + i)));

        if (m != 0xFFFF)
            return i + (size_t)__builtin_ctz(~m);
    }
#endif
    while (i < n && (signed char)p[i] > 0x1F)
        i++;
    return i;
}

/* Length of the leading run of p[0..n) of bytes >= 0x80. */
static size_t high_prefix(const char *p, size_t n)
{
    size_t i = 0;

#if defined(SL_SSE2)
    for (; i + 16 <= n; i += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(load16(p + i));

        if (m != 0xFFFF)
            return i + (size_t)__builtin_ctz(~m);
    }
#endif
    while (i < n && (unsigned char)p[i] >= 0x80)
        i++;
    return i;
}

/* Offset of the first ill-formed (strict) UTF-8 byte of p[0..n), or n; *vf (if not NULL) the
 * offset of the first \v or \f before it, or n. Printable ASCII, most of a text, is skipped 64
 * bytes at a time; each maximal run of bytes >= 0x80 is checked by sl_utf8_valid. An ASCII byte is
 * a character of its own, so a run starts where a character of the whole text starts, and a
 * sequence cut by an ASCII byte is ill-formed at the same lead byte either way: run by run finds
 * the first error that checking the whole text finds. */
static size_t utf8_scan(const char *p, size_t n, size_t *vf)
{
    size_t i = 0, k, off;

    if (vf)
        *vf = n;
    while ((i += plain_prefix(p + i, n - i)) < n) {
        unsigned char c = (unsigned char)p[i];

        if (c < 0x80) {
            if (vf && *vf == n && (c == '\v' || c == '\f'))
                *vf = i;
            i++;
            continue;
        }
        k = i + high_prefix(p + i, n - i);
        if (!sl_utf8_valid(p + i, k - i, &off))
            return i + off;
        i = k;
    }
    return n;
}

/* Length of the leading run of p[0..n) of bytes 0x20..0x7F but '"' and '\\': text that needs no
 * UTF-8 check and no JSON escape. */
static size_t json_plain_prefix(const char *p, size_t n)
{
    size_t i = 0;

#if defined(SL_SSE2)
    for (; i + 32 <= n; i += 32) {
        __m128i a = json_plain(load16(p + i)), b = json_plain(load16(p + i + 16));

        if (_mm_movemask_epi8(_mm_and_si128(a, b)) != 0xFFFF)
            break;
    }
    for (; i + 16 <= n; i += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(json_plain(load16(p + i)));

        if (m != 0xFFFF)
            return i + (size_t)__builtin_ctz(~m);
    }
#endif
    while (i < n && (signed char)p[i] > 0x1F && p[i] != '"' && p[i] != '\\')
        i++;
    return i;
}

#if defined(SL_SSE2)
/* 0xFF in each byte of v that JSON needs escaped: < 0x20 (min(byte, 0x1F) == byte), '"', '\\'. */
static inline __m128i json_esc(__m128i v)
{
    return _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v),
                        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                     _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
}
#endif

/* Length of the leading run of p[0..n) that needs no JSON escape (UTF-8 is written as it is). */
static size_t json_noesc_prefix(const char *p, size_t n)
{
    size_t i = 0;

#if defined(SL_SSE2)
    for (; i + 32 <= n; i += 32)
        if (_mm_movemask_epi8(_mm_or_si128(json_esc(load16(p + i)), json_esc(load16(p + i + 16)))))
            break;
    for (; i + 16 <= n; i += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(json_esc(load16(p + i)));

        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i < n && (unsigned char)p[i] >= 0x20 && p[i] != '"' && p[i] != '\\')
        i++;
    return i;
}

/* Append s as a JSON string literal; s[0..i) is known to need no escape. The same bytes and the
 * same sl_buf calls (so the same size-cap failures) as sl_buf_append_json_str, with the runs
 * between escapes found 32 bytes at a time; the text of ordinary prose, with no escape, is
 * copied whole. */
static int append_json_str(struct sl_buf *b, const char *s, size_t n, size_t i)
{
    size_t run = 0;
    int rc;

    i += json_noesc_prefix(s + i, n - i);
    if ((rc = sl_buf_reserve(b, n + 2)))
        return rc;
    b->p[b->len++] = '"';
    if (i == n) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len++] = '"';
        b->p[b->len] = '\0';
        return 0;
    }
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];

        if ((rc = sl_buf_append(b, s + run, i - run)))
            return rc;
        run = i + 1;
        if ((rc = sl_buf_append(b, esc, sl_json_escape(c, esc))))
            return rc;
        i = run + json_noesc_prefix(s + run, n - run);
    }
    if ((rc = sl_buf_append(b, s + run, n - run)))
        return rc;
    return sl_buf_append(b, "\"", 1);
}

/* Locate the string token yajl just lexed: [*start, *end) with both quotes. A string without
 * escapes yajl hands over as a pointer into the line, at the token's body: then the token is
 * there (checked against the offset yajl reports, not assumed). Else its body holds an escape
 * (every escape is longer than what it decodes to) and is found from the previous token; then
 * its surrogate escapes are checked. Returns false (r->fail set) if unpaired. */
static __attribute__((noinline)) bool string_token_search(struct sl_redact *r, size_t n,
                                                           size_t *start, size_t *end)
{
    size_t e = yajl_get_bytes_consumed(r->h), s, bad, i = r->prev;
    const char *q = NULL;

    while (i < e && i < r->prev + 8 && r->line[i] != '"') /* mostly a byte or two away */
        i++;
    if (i < e && r->line[i] == '"')
        q = r->line + i;
    else if (i < e)
        q = memchr(r->line + i, '"', e - i);

    if (!q || e - (size_t)(q - r->line) < 2 || r->line[e - 1] != '"') {
        r->fail = SL_EPARSE; /* yajl did not behave as documented above: stop, never guess */
        return false;
    }
    s = (size_t)(q - r->line);
    *start = s;
    *end = e;
    r->prev = e;
    if (e - s - 2 != n && !surrogates_paired(r->line + s + 1, e - s - 2, &bad)) {
        r->bad_at = s + 1 + bad;
        r->fail = 1;
        return false;
    }
    return true;
}

static inline bool string_token(struct sl_redact *r, const unsigned char *v, size_t n,
                                size_t *start, size_t *end)
{
    uintptr_t lp = (uintptr_t)r->line, o = (uintptr_t)v - lp; /* the body's offset, if in line */

    if ((uintptr_t)v > lp && o < r->len && n < r->len - o && o - 1 >= r->prev &&
        r->line[o - 1] == '"' && r->line[o + n] == '"' &&
        yajl_get_bytes_consumed(r->h) == o + n + 1) {
        *start = o - 1;
        *end = r->prev = o + n + 1;
        return true;
    }
    return string_token_search(r, n, start, end);
}

static int on_key(void *ctx, const unsigned char *k, size_t n)
{
    size_t s, e;

    return string_token(ctx, k, n, &s, &e);
}

static int on_string(void *ctx, const unsigned char *v, size_t n)
{
    static const struct sl_anon_counts none;
    struct sl_redact *r = ctx;
    struct sl_anon_counts c = {{0}};
    size_t s, e;
    bool changed = false;
    int rc, k;

    if (!string_token(r, v, n, &s, &e))
        return 0;
    sl_buf_reset(&r->tmp);
    rc = sl_anon_text(r->a, r->s, (const char *)v, n, &r->tmp, &c, r->vault);
    /* Nothing replaced (no count added): the stage wrote the input back unchanged. */
    if (!rc && memcmp(&c, &none, sizeof(c)) != 0) {
        for (k = 0; k < SL_PII__COUNT; k++)
            r->line_counts.n[k] += c.n[k];
        changed = r->tmp.len != n || memcmp(r->tmp.p, v, n) != 0;
    }
    if (changed) {
        const char *t = r->tmp.p;
        size_t tn = r->tmp.len, plain = json_plain_prefix(t, tn);

        /* The input was valid UTF-8; an operator that keeps part of a value (mask keeps the first
         * byte of an e-mail address) can cut a character: replace such bytes with U+FFFD so the
         * line stays valid JSON. */
        if (plain < tn && utf8_scan(t + plain, tn - plain, NULL) < tn - plain) {
            sl_buf_reset(&r->fix);
            rc = sl_utf8_repair(t, tn, &r->fix);
            t = r->fix.p;
            tn = r->fix.len;
            plain = 0;
        }
        if (!rc && !(rc = sl_buf_append(&r->out, r->line + r->copied, s - r->copied)))
            rc = append_json_str(&r->out, t, tn, plain);
        r->copied = e;
    }
    if (rc) { /* tmp and out hold only anonymized text: not wiped per line, only at the end */
        r->fail = rc;
        return 0;
    }
    return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_string = on_string,
    .yajl_map_key = on_key,
};

/* Next line (without its '\n') at *p, *len, writable up to and including (*p)[*len]. Returns 1
 * with a line, 2 for a line longer than l->max (consumed to its end, *len = 0), 0 at end of input,
 * or -ENOMEM. Memory stays bounded by max plus one chunk. */
static int lines_next(struct lines *l, char **p, size_t *len)
{
    size_t scanned = 0;
    bool skipping = false;

    for (;;) {
        size_t n = l->end - l->beg;
        char *nl = n > scanned ? memchr(l->buf + l->beg + scanned, '\n', n - scanned) : NULL;

        if (nl) {
            n = (size_t)(nl - (l->buf + l->beg));
            *p = l->buf + l->beg;
            *len = n;
            l->beg += n + 1;
            if (skipping || n > l->max) {
                *len = 0;
                return 2;
            }
            return 1;
        }
        if (skipping || l->end - l->beg > l->max) {
            skipping = true;
            l->beg = l->end = 0; /* drop what is read of the over-long line */
        }
        scanned = l->end - l->beg;
        if (l->eof) {
            if (!skipping && scanned == 0)
                return 0;
            *p = l->buf + l->beg;
            *len = scanned;
            l->beg = l->end;
            if (skipping) {
                *len = 0;
                return 2;
            }
            return 1;
        }
        if (l->beg > 0) {
            memmove(l->buf, l->buf + l->beg, scanned);
            l->beg = 0;
            l->end = scanned;
        }
        /* Room for half a chunk is enough: the rest of a line is rarely more, and a buffer of one
         * chunk is half the memory (and the wipe) of two. Grown by copy: the old one is wiped. */
        if (l->cap - l->end < READ_CHUNK / 2 + 1) {
            size_t nc = l->end + READ_CHUNK + 1 > l->cap * 2 ? l->end + READ_CHUNK + 1 : l->cap * 2;
            char *nb = malloc(nc);

            if (!nb)
                return -ENOMEM;
            if (l->buf) {
                memcpy(nb, l->buf, l->end);
                explicit_bzero(l->buf, l->hw);
                free(l->buf);
            }
            l->buf = nb;
            l->cap = nc;
            l->hw = l->end;
        }
        n = fread(l->buf + l->end, 1, l->cap - l->end - 1, l->f);
        l->end += n;
        if (l->end + 1 > l->hw) /* with buf[end], where a last line's '\n' may be written */
            l->hw = l->end + 1;
        if (n == 0)
            l->eof = true;
    }
}

static void report(FILE *err, size_t lineno, const char *what, size_t off)
{ /* never quote the input: it may be PII */
    if (!err)
        return;
    if (off)
        fprintf(err, "sluice redact: line %zu: %s (column %zu)\n", lineno, what, off);
    else
        fprintf(err, "sluice redact: line %zu: %s\n", lineno, what);
}

int sl_redact_line(struct sl_redact *r, char *line, size_t len, size_t lineno, FILE *out, FILE *err)
{
    yajl_status st;
    size_t vf, off = utf8_scan(line, len, &vf);
    bool in_complete = false;
    int rc = 0;

    if (off < len || vf < len) { /* the first ill-formed UTF-8 byte, else the first \v or \f */
        report(err, lineno, "not valid JSON", (off < len ? off : vf) + 1);
        return 1;
    }
    r->h = yajl_alloc(&callbacks, &r->afs, r);
    if (!r->h)
        return -ENOMEM;
    yajl_config(r->h, yajl_dont_validate_strings, 1); /* checked strictly above */
    r->line = line;
    r->len = len;
    r->prev = r->copied = 0;
    r->fail = 0;
    memset(&r->line_counts, 0, sizeof(r->line_counts));
    sl_buf_reset(&r->out);
    if (r->mode == SL_ANON_TOKENIZE && (rc = sl_anon_vault_create(&r->vault)))
        goto out;
    st = yajl_parse(r->h, (const unsigned char *)line, len);
    if (st == yajl_status_ok) {
        in_complete = true;
        st = yajl_complete_parse(r->h);
    }
    if (r->fail == SL_ENOSPACE) {
        report(err, lineno, "output over the size cap", 0);
        rc = 1;
    } else if (r->fail < 0) {
        rc = r->fail;
    } else if (st != yajl_status_ok) {
        off = r->fail ? r->bad_at : in_complete ? len : yajl_get_bytes_consumed(r->h);
        report(err, lineno, "not valid JSON", off + 1);
        rc = 1;
    } else if (r->copied == 0) { /* nothing changed: the line itself */
        line[len] = '\n';
        if (fwrite(line, 1, len + 1, out) != len + 1)
            rc = SL_EIO;
    } else if ((rc = sl_buf_append(&r->out, line + r->copied, len - r->copied)) == 0 &&
               (rc = sl_buf_append(&r->out, "\n", 1)) == 0) {
        if (fwrite(r->out.p, 1, r->out.len, out) != r->out.len)
            rc = SL_EIO;
    } else if (rc == SL_ENOSPACE) {
        report(err, lineno, "output over the size cap", 0);
        rc = 1;
    }
    if (rc == 0) { /* a line not written counts nothing (its values may be counted already) */
        int t;

        for (t = 0; t < SL_PII__COUNT; t++)
            r->counts.n[t] += r->line_counts.n[t];
    }
out:
    sl_anon_vault_destroy(r->vault);
    r->vault = NULL;
    yajl_free(r->h);
    r->h = NULL;
    return rc;
}

int sl_redact_create(const struct sl_anon_opts *o, struct sl_redact **out)
{
    struct sl_redact *r = calloc(1, sizeof(*r));
    int rc;

    *out = NULL;
    if (!r)
        return -ENOMEM;
    r->mode = o->mode;
    r->afs = (yajl_alloc_funcs){.malloc = ymalloc, .realloc = yrealloc, .free = yfree, .ctx = &r->yc};
    sl_buf_init(&r->out, SL_REDACT_MAX_LINE * 2);
    sl_buf_init(&r->tmp, SL_REDACT_MAX_LINE * 2);
    sl_buf_init(&r->fix, SL_REDACT_MAX_LINE * 4);
    if ((rc = sl_anon_create(o, &r->a)) || (rc = sl_anon_scratch_create(r->a, &r->s))) {
        sl_redact_destroy(r);
        return rc;
    }
    *out = r;
    return 0;
}

const struct sl_anon_counts *sl_redact_counts(const struct sl_redact *r)
{
    return &r->counts;
}

void sl_redact_destroy(struct sl_redact *r)
{
    if (!r)
        return;
    sl_buf_wipe(&r->out);
    sl_buf_wipe(&r->tmp);
    sl_buf_wipe(&r->fix);
    while (r->yc.n > 0)
        yrelease(r->yc.blk[--r->yc.n]);
    sl_anon_scratch_destroy(r->s);
    sl_anon_destroy(r->a);
    free(r);
}

static void print_stats(const struct sl_redact *r, size_t lines, size_t bad)
{
    int t;

    fprintf(stderr, "{\"lines\":%zu,\"invalid\":%zu", lines, bad);
    for (t = 0; t < SL_PII__COUNT; t++)
        fprintf(stderr, ",\"%s\":%u", sl_pii_type_name((enum sl_pii_type)t), r->counts.n[t]);
    fprintf(stderr, "}\n");
}

static int parse_args(int argc, char **argv, struct sl_anon_opts *o, unsigned char *key, size_t keycap,
                      bool *stats)
{
    static const struct option lopts[] = {{"mode", required_argument, NULL, 'm'},
                                          {"types", required_argument, NULL, 't'},
                                          {"hash-key-file", required_argument, NULL, 'k'},
                                          {"stats", no_argument, NULL, 's'},
                                          {"threads", required_argument, NULL, 'j'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *keyfile = NULL;
    char *end;
    long th;
    int ch;

    optind = 1;
    opterr = 1;
    while ((ch = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
        switch (ch) {
        case 'm':
            if (sl_anon_mode_parse(optarg, &o->mode))
                return SL_ECONFIG;
            break;
        case 't':
            if (sl_pii_types_parse(optarg, &o->types))
                return SL_ECONFIG;
            break;
        case 'k':
            keyfile = optarg;
            break;
        case 's':
            *stats = true;
            break;
        case 'j':
            th = strtol(optarg, &end, 10);
            if (*end || th < 1 || th > 256)
                return SL_ECONFIG;
            break; /* one thread does the work; see the report */
        default:
            return SL_ECONFIG;
        }
    }
    if (optind != argc)
        return SL_ECONFIG;
    if (o->mode == SL_ANON_HASH) {
        if (!keyfile) {
            fprintf(stderr, "sluice redact: --mode hash needs --hash-key-file\n");
            return SL_ECONFIG;
        }
        if (read_key(keyfile, key, keycap, &o->hmac_key_len))
            return SL_ECONFIG;
        o->hmac_key = key;
    }
    return 0;
}

int sl_cmd_redact(int argc, char **argv)
{
    static char obuf[(size_t)1 << 20]; /* stdout's buffer, for the life of the process */
    static bool obuf_set;
    struct sl_anon_opts o = {.mode = SL_ANON_REDACT};
    struct sl_redact *r = NULL;
    struct lines in = {.f = stdin, .max = SL_REDACT_MAX_LINE};
    unsigned char key[4096];
    bool stats = false;
    char *line;
    size_t lineno = 0, bad = 0, len;
    int rc, status = 0;

    if (parse_args(argc, argv, &o, key, sizeof(key), &stats)) {
        usage();
        explicit_bzero(key, sizeof(key));
        return 2;
    }
    rc = sl_redact_create(&o, &r);
    explicit_bzero(key, sizeof(key));
    if (rc) {
        fprintf(stderr, "sluice redact: cannot build the anonymizer: %s\n", sl_strerror(rc));
        return 1;
    }
    if (!obuf_set && !isatty(STDOUT_FILENO)) { /* one write(2) a MB, not one each 4 KB */
        obuf_set = setvbuf(stdout, obuf, _IOFBF, sizeof(obuf)) == 0;
    }
    while ((rc = lines_next(&in, &line, &len)) > 0) {
        lineno++;
        if (rc == 2) {
            fprintf(stderr, "sluice redact: line %zu: longer than %zu bytes\n", lineno,
                    SL_REDACT_MAX_LINE);
            bad++;
            continue;
        }
        while (len > 0 && line[len - 1] == '\r')
            len--;
        if (len == 0)
            continue; /* blank line */
        rc = sl_redact_line(r, line, len, lineno, stdout, stderr);
        if (rc == 1) {
            bad++;
        } else if (rc < 0) {
            fprintf(stderr, "sluice redact: line %zu: %s\n", lineno, sl_strerror(rc));
            status = 1;
            break;
        }
    }
    if (rc < 0 && !status) {
        fprintf(stderr, "sluice redact: reading input: %s\n", sl_strerror(rc));
        status = 1;
    }
    if (fflush(stdout) != 0 || ferror(stdin))
        status = 1;
    if (stats)
        print_stats(r, lineno, bad);
    if (in.buf)
        explicit_bzero(in.buf, in.hw);
    free(in.buf);
    sl_redact_destroy(r);
    if (status)
        return status;
    return bad ? 3 : 0;
}
