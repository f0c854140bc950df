/* jscan.c: yajl-driven record parse and response scan (see jscan.h for the contract).
 *
 * Owns nothing beyond one call: the yajl handle, the container stack and the pending key live
 * for one parse. The checks that decide "fall back to jansson" are all here, next to the callbacks
 * that would otherwise disagree with jansson.
 */
#include "jscan.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "utf8.h"

/* jansson refuses deeper input (JSON_PARSER_MAX_DEPTH, 2048); stay below it and let jansson say so */
#define MAX_DEPTH 2000
/* Longer number tokens are rare; jansson handles them */
#define MAX_NUMBER 63

static long hex4(const char *s)
{
    long v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        char c = s[i];

        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

/* true if no \u escape could decode differently in yajl and jansson: no \u0000 (jansson refuses it
 * without JSON_ALLOW_NUL), every high surrogate followed by an escaped low one, no lone low one.
 * Backslashes only occur inside strings in valid JSON; an escaped backslash is skipped as a pair,
 * so "\\u0000" (a backslash, then text) is not taken for an escape. Invalid JSON is yajl's to find. */
static bool escapes_agree(const char *p, size_t n)
{
    const char *q = p, *end = p + n;

    while ((q = memchr(q, '\\', (size_t)(end - q)))) {
        long cp, lo;

        if (end - q < 2)
            return false;
        if (q[1] != 'u') {
            q += 2;
            continue;
        }
        if (end - q < 6 || (cp = hex4(q + 2)) <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
            return false;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end - q < 12 || q[6] != '\\' || q[7] != 'u')
                return false;
            lo = hex4(q + 8);
            if (lo < 0xDC00 || lo > 0xDFFF)
                return false;
            q += 12;
            continue;
        }
        q += 6;
    }
    return true;
}

/* yajl also skips \v and \f between tokens; JSON (and jansson) does not. Neither may appear raw
 * inside a string either, so any of them means "not plain". */
static bool plain_input(const char *p, size_t n, bool utf8_checked)
{
    size_t i = 0;

    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i < n && p[i] == '{' && !memchr(p, '\v', n) && !memchr(p, '\f', n) &&
           (utf8_checked || sl_utf8_valid(p, n, NULL)) && escapes_agree(p, n);
}

/* A number token as jansson reads it: an integer unless it has a fraction or an exponent; out of
 * range (strtoll's ERANGE, or strtod's overflow to +-HUGE_VAL) is an error there, a fallback here.
 * Returns 0 (integer in *iv), 1 (real in *dv) or SL_JSCAN_FALLBACK + 1. */
enum { NUM_INT, NUM_REAL, NUM_BAD };

static int read_number(const char *s, size_t l, long long *iv, double *dv)
{
    char tmp[MAX_NUMBER + 1];
    char *end;

    if (l == 0 || l > MAX_NUMBER)
        return NUM_BAD;
    memcpy(tmp, s, l);
    tmp[l] = '\0';
    errno = 0;
    if (!memchr(tmp, '.', l) && !memchr(tmp, 'e', l) && !memchr(tmp, 'E', l)) {
        *iv = strtoll(tmp, &end, 10);
        return errno == ERANGE || *end ? NUM_BAD : NUM_INT;
    }
    *dv = strtod(tmp, &end);
    if (*end || ((*dv == HUGE_VAL || *dv == -HUGE_VAL) && errno == ERANGE))
        return NUM_BAD;
    return NUM_REAL;
}

/* ==== record parse into a jansson tree ====================================================== */

struct lctx {
    yajl_handle h;
    const char *p;
    size_t n;
    json_t *root;
    json_t *stack_in[32];
    json_t **stack;
    size_t depth, cap;
    char key_in[256];
    char *key;
    size_t klen, kcap;
    const char *member;
    size_t mlen;
    bool member_next; /* the pending key is the member, at the top level */
    bool capturing;   /* the member's value is being read */
    size_t cand, vstart, vend;
    size_t end; /* offset just past the top-level value */
    int err;
};

static int fail(struct lctx *c, int err)
{
    c->err = err;
    return 0; /* yajl: stop */
}

/* Offset of the value that follows the key token ending at off: past blanks, ':' and blanks. */
static size_t value_start(const char *p, size_t n, size_t off)
{
    while (off < n && p[off] != ':')
        off++;
    off++;
    while (off < n && (p[off] == ' ' || p[off] == '\t' || p[off] == '\r' || p[off] == '\n'))
        off++;
    return off;
}

static int add(struct lctx *c, json_t *v, bool container)
{
    if (!v)
        return fail(c, -ENOMEM);
    if (c->depth == 0) {
        if (c->root || !json_is_object(v)) {
            json_decref(v);
            return fail(c, SL_JSCAN_FALLBACK);
        }
        c->root = v;
    } else {
        json_t *parent = c->stack[c->depth - 1];

        if (json_is_object(parent)) {
            size_t before = json_object_size(parent);

            /* JSON_REJECT_DUPLICATES: a key already there gets its value replaced, so the size
             * does not grow (one hash lookup, not a get and then a set). The replaced value is
             * complete (keys come one after the other) and the tree is dropped on fallback. */
            if (json_object_setn_new_nocheck(parent, c->key, c->klen, v))
                return fail(c, -ENOMEM);
            if (json_object_size(parent) == before)
                return fail(c, SL_JSCAN_FALLBACK);
            if (c->depth == 1 && c->member_next) {
                c->member_next = false;
                c->capturing = true;
                c->vstart = c->cand;
            }
        } else if (json_array_append_new(parent, v)) {
            return fail(c, -ENOMEM);
        }
    }
    if (container) {
        if (c->depth >= MAX_DEPTH)
            return fail(c, SL_JSCAN_FALLBACK);
        if (c->depth == c->cap) {
            size_t ncap = c->cap * 2;
            json_t **ns = c->stack == c->stack_in ? malloc(ncap * sizeof(*ns))
                                                  : realloc(c->stack, ncap * sizeof(*ns));

            if (!ns)
                return fail(c, -ENOMEM);
            if (c->stack == c->stack_in)
                memcpy(ns, c->stack_in, sizeof(c->stack_in));
            c->stack = ns;
            c->cap = ncap;
        }
        c->stack[c->depth++] = v;
    } else if (c->capturing && c->depth == 1) {
        c->vend = yajl_get_bytes_consumed(c->h);
        c->capturing = false;
    }
    return 1;
}

static int l_null(void *u)
{
    return add(u, json_null(), false);
}

static int l_bool(void *u, int b)
{
    return add(u, json_boolean(b), false);
}

static int l_number(void *u, const char *s, size_t l)
{
    long long iv = 0;
    double dv = 0;

    switch (read_number(s, l, &iv, &dv)) {
    case NUM_INT:
        return add(u, json_integer((json_int_t)iv), false);
    case NUM_REAL:
        return add(u, json_real(dv), false);
    default:
        return fail(u, SL_JSCAN_FALLBACK);
    }
}

static int l_string(void *u, const unsigned char *s, size_t l)
{
    if (memchr(s, '\0', l))
        return fail(u, SL_JSCAN_FALLBACK);
    return add(u, json_stringn_nocheck((const char *)s, l), false);
}

static int l_start_map(void *u)
{
    return add(u, json_object(), true);
}

static int l_start_array(void *u)
{
    return add(u, json_array(), true);
}

static int l_key(void *u, const unsigned char *s, size_t l)
{
    struct lctx *c = u;

    if (memchr(s, '\0', l))
        return fail(c, SL_JSCAN_FALLBACK);
    if (l + 1 > c->kcap) {
        size_t ncap = l + 1 > 2 * c->kcap ? l + 1 : 2 * c->kcap;
        char *nk = c->key == c->key_in ? malloc(ncap) : realloc(c->key, ncap);

        if (!nk)
            return fail(c, -ENOMEM);
        c->key = nk;
        c->kcap = ncap;
    }
    memcpy(c->key, s, l);
    c->key[l] = '\0';
    c->klen = l;
    if (c->depth == 1 && c->member && l == c->mlen && !memcmp(s, c->member, l)) {
        c->member_next = true;
        c->cand = value_start(c->p, c->n, yajl_get_bytes_consumed(c->h));
    }
    return 1;
}

static int l_end(void *u)
{
    struct lctx *c = u;

    c->depth--;
    if (c->depth == 0)
        c->end = yajl_get_bytes_consumed(c->h);
    if (c->capturing && c->depth == 1) {
        c->vend = yajl_get_bytes_consumed(c->h);
        c->capturing = false;
    }
    return 1;
}

static const yajl_callbacks load_cb = {
    l_null, l_bool, NULL, NULL, l_number, l_string, l_start_map, l_key, l_end, l_start_array, l_end,
};

/* yajl keeps an unterminated token after the top-level value in its lexer buffer and then reports
 * success ('{}"x' passes): only blanks may follow the value. */
static bool only_blanks(const char *p, size_t n, size_t off)
{
    for (; off < n; off++)
        if (p[off] != ' ' && p[off] != '\t' && p[off] != '\r' && p[off] != '\n')
            return false;
    return true;
}

/* yajl's own memory for one parse (handle, lexer, a 2 KB lexer buffer, ...: ~5 blocks) comes from
 * a bump block on the caller's stack instead of malloc: malloc/realloc/free were ~2.5k
 * instructions a parse. Each block has a header with its size (realloc copies that much); blocks
 * that do not fit go to malloc; frees inside the block are no-ops.
 *
 * What of the job's text can be in there: yajl hands strings without escapes to the callbacks
 * straight from the input; only a string with escapes is decoded into its buffer, and only a token
 * cut off by the end of the input is copied into the lexer's. So ya_end wipes the used part when
 * the input has a backslash or the parse did not succeed (a successful parse ends on the top-level
 * object's '}' and blanks): clean parses skip a ~2.5 KB memset. */
#define YA_CAP 6144
#define YA_HDR 16

/* Under AddressSanitizer yajl uses malloc, so the sanitizer still sees each block (as jarena.c). */
#if defined(__SANITIZE_ADDRESS__)
#define YA_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define YA_OFF 1
#endif
#endif

struct yarena {
    size_t used;
    _Alignas(16) unsigned char mem[YA_CAP];
};

static bool ya_owns(const struct yarena *a, const void *p)
{
    return (const unsigned char *)p >= a->mem && (const unsigned char *)p < a->mem + YA_CAP;
}

static void *ya_malloc(void *ud, size_t sz)
{
    struct yarena *a = ud;
    size_t need = (sz + YA_HDR + 15) & ~(size_t)15;

    if (sz < YA_CAP && need <= YA_CAP - a->used) {
        unsigned char *b = a->mem + a->used;

        memcpy(b, &sz, sizeof(sz));
        a->used += need;
        return b + YA_HDR;
    }
    return malloc(sz);
}

static void ya_free(void *ud, void *p)
{
    if (p && !ya_owns(ud, p))
        free(p);
}

static void *ya_realloc(void *ud, void *p, size_t sz)
{
    struct yarena *a = ud;
    size_t old;
    void *np;

    if (!p)
        return ya_malloc(a, sz);
    if (!ya_owns(a, p))
        return realloc(p, sz);
    memcpy(&old, (unsigned char *)p - YA_HDR, sizeof(old));
    if (sz <= old)
        return p;
    np = ya_malloc(a, sz);
    if (np)
        memcpy(np, p, old);
    return np;
}

/* After the caller's own checks (rc: its final result for p[0..n)). */
static void ya_end(struct yarena *a, const char *p, size_t n, int rc)
{
    if (rc || memchr(p, '\\', n))
        explicit_bzero(a->mem, a->used);
}

/* Run yajl over the whole of p[0..n): one value, no trailing bytes, no comments. Strings are not
 * validated again (the caller checked the whole input strictly, which yajl does not: it lets
 * overlong forms and encoded surrogates through). yajl's memory comes from a (see ya_end). */
static int run_yajl(const yajl_callbacks *cb, void *ctx, yajl_handle *hp, const char *p, size_t n,
                    struct yarena *a)
{
    yajl_alloc_funcs af = {ya_malloc, ya_realloc, ya_free, a};
    yajl_status st;
    yajl_handle h;

    a->used = 0;
#ifdef YA_OFF
    (void)af;
    h = yajl_alloc(cb, NULL, ctx);
#else
    h = yajl_alloc(cb, &af, ctx);
#endif
    if (!h)
        return -ENOMEM;
    *hp = h;
    yajl_config(h, yajl_dont_validate_strings, 1);
    st = yajl_parse(h, (const unsigned char *)p, n);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    yajl_free(h);
    *hp = NULL;
    return st == yajl_status_ok ? 0 : SL_JSCAN_FALLBACK;
}

static int load(const char *p, size_t n, bool utf8_checked, const char *member, json_t **out,
                size_t *vstart, size_t *vend)
{
    struct yarena ya;
    struct lctx c;
    int rc;

    *out = NULL;
    *vstart = *vend = 0;
    if (!plain_input(p, n, utf8_checked))
        return SL_JSCAN_FALLBACK;
    memset(&c, 0, sizeof(c));
    c.p = p;
    c.n = n;
    c.stack = c.stack_in;
    c.cap = sizeof(c.stack_in) / sizeof(c.stack_in[0]);
    c.key = c.key_in;
    c.kcap = sizeof(c.key_in);
    c.member = member;
    c.mlen = member ? strlen(member) : 0;
    rc = run_yajl(&load_cb, &c, &c.h, p, n, &ya);
    if (c.stack != c.stack_in)
        free(c.stack);
    if (c.key != c.key_in)
        free(c.key);
    if (c.err < 0)
        rc = c.err;
    else if (c.err || !c.root || c.depth != 0 || !only_blanks(p, n, c.end))
        rc = SL_JSCAN_FALLBACK;
    ya_end(&ya, p, n, rc);
    if (rc) {
        json_decref(c.root);
        return rc;
    }
    *out = c.root;
    if (c.vend > c.vstart && c.vend <= n) {
        *vstart = c.vstart;
        *vend = c.vend;
    }
    return 0;
}

int sl_jscan_load(const char *p, size_t n, const char *member, json_t **out, size_t *vstart,
                  size_t *vend)
{
    return load(p, n, false, member, out, vstart, vend);
}

int sl_jscan_load_utf8(const char *p, size_t n, const char *member, json_t **out, size_t *vstart,
                       size_t *vend)
{
    return load(p, n, true, member, out, vstart, vend);
}

/* ==== response scan ========================================================================= */

enum rkey { RK_OTHER, RK_ID, RK_USAGE, RK_PROMPT, RK_COMPLETION, RK_TOTAL, RK_INPUT, RK_OUTPUT };

struct rctx {
    yajl_handle h;
    struct sl_jscan_resp *r;
    size_t end; /* offset just past the top-level value */
    size_t depth;
    size_t usage_depth; /* 2 while inside the top-level "usage" object, else 0 */
    enum rkey key;      /* meaning of the pending key */
    int err;
};

static uint64_t *usage_slot(struct rctx *c)
{
    switch (c->key) {
    case RK_PROMPT:
        return &c->r->prompt_tokens;
    case RK_COMPLETION:
        return &c->r->completion_tokens;
    case RK_TOTAL:
        return &c->r->total_tokens;
    case RK_INPUT:
        return &c->r->input_tokens;
    case RK_OUTPUT:
        return &c->r->output_tokens;
    default:
        return NULL;
    }
}

/* A value at the current position: the top level must be an object. */
static int r_value(struct rctx *c)
{
    if (c->depth == 0) {
        c->err = SL_JSCAN_FALLBACK;
        return 0;
    }
    c->key = RK_OTHER;
    return 1;
}

static int r_null(void *u)
{
    return r_value(u);
}

static int r_bool(void *u, int b)
{
    (void)b;
    return r_value(u);
}

static int r_number(void *u, const char *s, size_t l)
{
    struct rctx *c = u;
    uint64_t *slot = c->depth == 2 && c->usage_depth == 2 ? usage_slot(c) : NULL;
    bool plain_int = !memchr(s, '.', l) && !memchr(s, 'e', l) && !memchr(s, 'E', l);

    /* Only a usage field needs the value; elsewhere only "would jansson overflow" matters: an
     * integer of up to 18 digits or a real without exponent shorter than 300 bytes cannot. */
    if (slot || (plain_int ? l > 18 : (memchr(s, 'e', l) || memchr(s, 'E', l) || l >= 300))) {
        long long iv = 0;
        double dv = 0;
        int k = read_number(s, l, &iv, &dv);

        if (k == NUM_BAD) {
            c->err = SL_JSCAN_FALLBACK;
            return 0;
        }
        if (slot && k == NUM_INT && iv > 0)
            *slot = (uint64_t)iv;
    }
    return r_value(c);
}

static int r_string(void *u, const unsigned char *s, size_t l)
{
    struct rctx *c = u;

    if (memchr(s, '\0', l)) {
        c->err = SL_JSCAN_FALLBACK;
        return 0;
    }
    if (c->depth == 1 && c->key == RK_ID && l < sizeof(c->r->id)) {
        memcpy(c->r->id, s, l);
        c->r->id[l] = '\0';
    }
    return r_value(c);
}

static int r_start(void *u, bool map)
{
    struct rctx *c = u;

    if (c->depth == 0 && !map) {
        c->err = SL_JSCAN_FALLBACK;
        return 0;
    }
    if (c->depth == 1 && c->key == RK_USAGE && map)
        c->usage_depth = 2;
    c->key = RK_OTHER;
    c->depth++;
    return 1;
}

static int r_start_map(void *u)
{
    return r_start(u, true);
}

static int r_start_array(void *u)
{
    return r_start(u, false);
}

static int r_end(void *u)
{
    struct rctx *c = u;

    if (c->depth == c->usage_depth)
        c->usage_depth = 0;
    c->depth--;
    if (c->depth == 0)
        c->end = yajl_get_bytes_consumed(c->h);
    c->key = RK_OTHER;
    return 1;
}

#define KEY_IS(s, l, lit) ((l) == sizeof(lit) - 1 && !memcmp((s), (lit), sizeof(lit) - 1))

static int r_key(void *u, const unsigned char *s, size_t l)
{
    struct rctx *c = u;
    uint64_t *slot;

    if (memchr(s, '\0', l)) {
        c->err = SL_JSCAN_FALLBACK;
        return 0;
    }
    c->key = RK_OTHER;
    if (c->depth == 1) {
        /* A later duplicate replaces the earlier value in jansson's tree: start over. */
        if (KEY_IS(s, l, "id")) {
            c->key = RK_ID;
            c->r->id[0] = '\0';
        } else if (KEY_IS(s, l, "usage")) {
            c->key = RK_USAGE;
            c->r->prompt_tokens = c->r->completion_tokens = c->r->total_tokens = 0;
            c->r->input_tokens = c->r->output_tokens = 0;
        }
    } else if (c->depth == 2 && c->usage_depth == 2) {
        if (KEY_IS(s, l, "prompt_tokens"))
            c->key = RK_PROMPT;
        else if (KEY_IS(s, l, "completion_tokens"))
            c->key = RK_COMPLETION;
        else if (KEY_IS(s, l, "total_tokens"))
            c->key = RK_TOTAL;
        else if (KEY_IS(s, l, "input_tokens"))
            c->key = RK_INPUT;
        else if (KEY_IS(s, l, "output_tokens"))
            c->key = RK_OUTPUT;
        if ((slot = usage_slot(c)))
            *slot = 0; /* a duplicate that is not a positive integer reads as 0, as in jansson */
    }
    return 1;
}

static const yajl_callbacks resp_cb = {
    r_null, r_bool, NULL, NULL, r_number, r_string, r_start_map, r_key, r_end, r_start_array, r_end,
};

int sl_jscan_response(const char *p, size_t n, struct sl_jscan_resp *r)
{
    struct yarena ya;
    struct rctx c;
    int rc;

    memset(r, 0, sizeof(*r));
    if (!p || !plain_input(p, n, false))
        return SL_JSCAN_FALLBACK;
    memset(&c, 0, sizeof(c));
    c.r = r;
    rc = run_yajl(&resp_cb, &c, &c.h, p, n, &ya);
    if (c.err)
        rc = c.err;
    else if (!rc && (c.depth != 0 || !c.end || !only_blanks(p, n, c.end)))
        rc = SL_JSCAN_FALLBACK;
    ya_end(&ya, p, n, rc);
    if (rc) {
        memset(r, 0, sizeof(*r));
        return rc;
    }
    r->has_newline = memchr(p, '\n', n) != NULL || memchr(p, '\r', n) != NULL;
    return 0;
}
