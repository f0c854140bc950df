/* anonymize.c: the anonymize stage: one Vectorscan pass, C detectors, overlap resolution, operators
 * (redact, mask, hash, tokenize) and the tokenize vault with restore.
 *
 * struct sl_anon (compiled database, options, HMAC key) is immutable after create and shared by all
 * threads; struct sl_anon_scratch (Vectorscan scratch, span list, keyed HMAC context) belongs to one
 * thread; struct sl_anon_vault belongs to one job. The detectors are in anon_detect.c.
 *
 * Overlaps: spans that overlap are merged into their union, typed by the highest-priority member
 * (SECRET > URL_CREDENTIALS > EMAIL > IBAN > CREDIT_CARD > US_SSN > IP > PHONE > DATE_OF_BIRTH >
 * ADDRESS > PERSON). The union, not the "best" member alone, is replaced so that no part of any
 * detected value is left behind; the cost is a little over-redaction around overlaps.
 */
#include "anonymize.h"

#include <errno.h>
#if defined(__SSE2__) && !defined(SL_NO_SIMD)
#define SL_SSE2 1
#include <emmintrin.h>
#endif
#include <hs/hs.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "anon_db.h"
#include "anon_detect.h"
#include "utf8.h"

struct sl_anon {
    hs_database_t *db;
    enum sl_anon_mode mode;
    uint32_t types;
    unsigned char *key;
    size_t key_len;
};

/* Output ranges [2k, 2k+1] that a pass replaced, relative to the start of its output. */
struct anon_ranges {
    size_t *r;
    size_t n; /* pairs */
    size_t cap;
};

struct sl_anon_scratch {
    hs_scratch_t *hs;
    EVP_MAC_CTX *mac; /* keyed HMAC-SHA256 template, for SL_ANON_HASH */
    struct anon_ctx ctx;
    struct anon_ranges rg[2]; /* replaced by the last pass / by the one running */
    struct sl_buf tmp;        /* the re-scan's output, kept between calls */
    unsigned char *fold;      /* the text with hiding characters folded (fold_text), wiped after use */
    uint32_t *fmap;           /* fold[i] came from src[fmap[i]] */
    size_t fcap;
};

struct vent {
    int type;
    unsigned n;
    char *val;
    size_t len;
    uint64_t h;
};

struct sl_anon_vault {
    struct vent *e;
    size_t ne, cap;
    size_t *tab; /* open addressing: entry index + 1, 0 = empty */
    size_t tabcap;
    size_t *bytype[SL_PII__COUNT]; /* entry index by placeholder number - 1 */
    size_t nbytype[SL_PII__COUNT];
    size_t capbytype[SL_PII__COUNT];
};

static const char *const type_names[SL_PII__COUNT] = {
    "EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP", "URL_CREDENTIALS", "SECRET", "PERSON",
    "ADDRESS", "DATE_OF_BIRTH"};

/* What redact writes: "[REDACTED_" type_names[t] "]". */
static const char *const redacted[SL_PII__COUNT] = {
    "[REDACTED_EMAIL]", "[REDACTED_PHONE]", "[REDACTED_CREDIT_CARD]", "[REDACTED_IBAN]",
    "[REDACTED_US_SSN]", "[REDACTED_IP]", "[REDACTED_URL_CREDENTIALS]", "[REDACTED_SECRET]",
    "[REDACTED_PERSON]", "[REDACTED_ADDRESS]", "[REDACTED_DATE_OF_BIRTH]"};

static const unsigned char redacted_len[SL_PII__COUNT] = {
    sizeof("[REDACTED_EMAIL]") - 1, sizeof("[REDACTED_PHONE]") - 1, sizeof("[REDACTED_CREDIT_CARD]") - 1,
    sizeof("[REDACTED_IBAN]") - 1, sizeof("[REDACTED_US_SSN]") - 1, sizeof("[REDACTED_IP]") - 1,
    sizeof("[REDACTED_URL_CREDENTIALS]") - 1, sizeof("[REDACTED_SECRET]") - 1, sizeof("[REDACTED_PERSON]") - 1,
    sizeof("[REDACTED_ADDRESS]") - 1, sizeof("[REDACTED_DATE_OF_BIRTH]") - 1};

static const unsigned char type_prio[SL_PII__COUNT] = {
    [SL_PII_SECRET] = 11, [SL_PII_URL_CREDENTIALS] = 10, [SL_PII_EMAIL] = 9, [SL_PII_IBAN] = 8,
    [SL_PII_CREDIT_CARD] = 7, [SL_PII_US_SSN] = 6, [SL_PII_IP] = 5, [SL_PII_PHONE] = 4,
    [SL_PII_DATE_OF_BIRTH] = 3, [SL_PII_ADDRESS] = 2, [SL_PII_PERSON] = 1};

const char *sl_pii_type_name(enum sl_pii_type t)
{
    return (unsigned)t < SL_PII__COUNT ? type_names[t] : NULL;
}

int sl_pii_types_parse(const char *list, uint32_t *mask)
{
    uint32_t m = 0;
    const char *p = list;

    if (!list || !mask)
        return SL_ECONFIG;
    while (*p) {
        size_t L = strcspn(p, ",");
        int t, found = -1;

        while (L > 0 && *p == ' ') {
            p++;
            L--;
        }
        while (L > 0 && p[L - 1] == ' ')
            L--;
        for (t = 0; t < SL_PII__COUNT; t++)
            if (strlen(type_names[t]) == L && strncasecmp(p, type_names[t], L) == 0)
                found = t;
        if (found < 0)
            return SL_ECONFIG;
        m |= 1u << found;
        p += strcspn(p, ",");
        if (*p == ',')
            p++;
    }
    if (!m)
        return SL_ECONFIG;
    *mask = m;
    return 0;
}

int sl_anon_mode_parse(const char *s, enum sl_anon_mode *mode)
{
    static const struct {
        const char *name;
        enum sl_anon_mode m;
    } modes[] = {{"off", SL_ANON_OFF},   {"redact", SL_ANON_REDACT},     {"mask", SL_ANON_MASK},
                 {"hash", SL_ANON_HASH}, {"tokenize", SL_ANON_TOKENIZE}};
    size_t k;

    for (k = 0; s && k < sizeof(modes) / sizeof(modes[0]); k++) {
        if (strcasecmp(s, modes[k].name) == 0) {
            *mode = modes[k].m;
            return 0;
        }
    }
    return SL_ECONFIG;
}

int sl_anon_create(const struct sl_anon_opts *o, struct sl_anon **out)
{
    struct sl_anon *a;
    int rc = -ENOMEM;

    *out = NULL;
    if (!o || (o->mode == SL_ANON_HASH && (!o->hmac_key || o->hmac_key_len == 0)))
        return SL_ECONFIG;
    if (o->types >> SL_PII__COUNT)
        return SL_ECONFIG;
    anon_detect_init();
    a = calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    a->mode = o->mode;
    a->types = o->types ? o->types : (1u << SL_PII__COUNT) - 1;
    if (o->mode == SL_ANON_HASH) {
        a->key = malloc(o->hmac_key_len);
        if (!a->key)
            goto fail;
        memcpy(a->key, o->hmac_key, o->hmac_key_len);
        a->key_len = o->hmac_key_len;
    }
    rc = sl_anon_db_build(&a->db);
    if (rc)
        goto fail;
    *out = a;
    return 0;

fail:
    sl_anon_destroy(a);
    return rc;
}

void sl_anon_destroy(struct sl_anon *a)
{
    if (!a)
        return;
    if (a->key) {
        explicit_bzero(a->key, a->key_len);
        free(a->key);
    }
    hs_free_database(a->db);
    free(a);
}

int sl_anon_scratch_create(const struct sl_anon *a, struct sl_anon_scratch **out)
{
    struct sl_anon_scratch *s;

    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    if (hs_alloc_scratch(a->db, &s->hs) != HS_SUCCESS) {
        free(s);
        return -ENOMEM;
    }
    if (a->mode == SL_ANON_HASH) {
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                               OSSL_PARAM_construct_end()};

        s->mac = mac ? EVP_MAC_CTX_new(mac) : NULL;
        EVP_MAC_free(mac);
        if (!s->mac || !EVP_MAC_init(s->mac, a->key, a->key_len, params)) {
            sl_anon_scratch_destroy(s);
            return -ENOMEM;
        }
    }
    *out = s;
    return 0;
}

void sl_anon_scratch_destroy(struct sl_anon_scratch *s)
{
    if (!s)
        return;
    hs_free_scratch(s->hs);
    EVP_MAC_CTX_free(s->mac);
    free(s->ctx.tbits);
    if (s->ctx.sp)
        explicit_bzero(s->ctx.sp, s->ctx.capsp * sizeof(*s->ctx.sp));
    free(s->ctx.sp);
    free(s->rg[0].r);
    free(s->rg[1].r);
    sl_buf_wipe(&s->tmp);
    if (s->fold)
        explicit_bzero(s->fold, s->fcap);
    free(s->fold);
    free(s->fmap);
    free(s);
}

/* ---- vault -------------------------------------------------------------------------------------- */

int sl_anon_vault_create(struct sl_anon_vault **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -ENOMEM;
}

void sl_anon_vault_destroy(struct sl_anon_vault *v)
{
    size_t k;

    if (!v)
        return;
    for (k = 0; k < v->ne; k++) {
        explicit_bzero(v->e[k].val, v->e[k].len);
        free(v->e[k].val);
    }
    free(v->e);
    free(v->tab);
    for (k = 0; k < SL_PII__COUNT; k++)
        free(v->bytype[k]);
    free(v);
}

static uint64_t fnv(int type, const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)type;

    while (n--)
        h = (h ^ (unsigned char)*p++) * 1099511628211ull;
    return h;
}

static int vault_rehash(struct sl_anon_vault *v)
{
    size_t ncap = v->tabcap ? v->tabcap * 2 : 64, k;
    size_t *nt = calloc(ncap, sizeof(*nt));

    if (!nt)
        return -ENOMEM;
    for (k = 0; k < v->ne; k++) {
        size_t j = v->e[k].h & (ncap - 1);

        while (nt[j])
            j = (j + 1) & (ncap - 1);
        nt[j] = k + 1;
    }
    free(v->tab);
    v->tab = nt;
    v->tabcap = ncap;
    return 0;
}

/* The placeholder number for (type, value), adding it if new. */
static int vault_get(struct sl_anon_vault *v, int type, const char *p, size_t n, unsigned *num)
{
    uint64_t h = fnv(type, p, n);
    struct vent *e;
    size_t j;
    int rc;

    if ((v->ne + 1) * 2 > v->tabcap && (rc = vault_rehash(v)))
        return rc;
    for (j = h & (v->tabcap - 1); v->tab[j]; j = (j + 1) & (v->tabcap - 1)) {
        e = &v->e[v->tab[j] - 1];
        if (e->h == h && e->type == type && e->len == n && memcmp(e->val, p, n) == 0) {
            *num = e->n;
            return 0;
        }
    }
    if (v->ne == v->cap) {
        size_t ncap = v->cap ? v->cap * 2 : 16;
        struct vent *ne = realloc(v->e, ncap * sizeof(*ne));

        if (!ne)
            return -ENOMEM;
        v->e = ne;
        v->cap = ncap;
    }
    if (v->nbytype[type] == v->capbytype[type]) {
        size_t ncap = v->capbytype[type] ? v->capbytype[type] * 2 : 16;
        size_t *nb = realloc(v->bytype[type], ncap * sizeof(*nb));

        if (!nb)
            return -ENOMEM;
        v->bytype[type] = nb;
        v->capbytype[type] = ncap;
    }
    e = &v->e[v->ne];
    e->val = malloc(n ? n : 1);
    if (!e->val)
        return -ENOMEM;
    memcpy(e->val, p, n);
    e->len = n;
    e->type = type;
    e->h = h;
    e->n = (unsigned)(v->nbytype[type] + 1);
    v->bytype[type][v->nbytype[type]++] = v->ne;
    v->tab[j] = ++v->ne;
    *num = e->n;
    return 0;
}

static int restore_pass(const struct sl_anon_vault *v, const char *src, size_t len,
                        struct sl_buf *dst)
{
    size_t i = 0, run = 0;
    int rc;

    while (i < len) {
        const char *lt = memchr(src + i, '<', len - i);
        size_t k = 0, t, L, j;
        unsigned long n = 0;
        bool hit = false;

        if (!lt)
            break;
        i = (size_t)(lt - src);
        for (t = 0; t < SL_PII__COUNT && !hit; t++) {
            L = strlen(type_names[t]);
            if (i + L + 3 > len || memcmp(src + i + 1, type_names[t], L) || src[i + 1 + L] != '_')
                continue;
            for (j = i + 2 + L, n = 0, k = 0; j < len && src[j] >= '0' && src[j] <= '9' && k < 9; j++, k++)
                n = n * 10 + (unsigned long)(src[j] - '0');
            if (k == 0 || j >= len || src[j] != '>' || n == 0 || !v || n > v->nbytype[t])
                continue;
            if ((rc = sl_buf_append(dst, src + run, i - run)))
                return rc;
            {
                const struct vent *e = &v->e[v->bytype[t][n - 1]];

                if ((rc = sl_buf_append(dst, e->val, e->len)))
                    return rc;
            }
            i = j + 1;
            run = i;
            hit = true;
        }
        if (!hit)
            i++;
    }
    return sl_buf_append(dst, src + run, len - run);
}

/* ---- operators ---------------------------------------------------------------------------------- */

static bool digit_type(int t)
{
    return t == SL_PII_PHONE || t == SL_PII_CREDIT_CARD || t == SL_PII_IBAN || t == SL_PII_US_SSN;
}

/* mask: digit-bearing types keep their last four digits and their separators; EMAIL keeps the first
 * character of the local part and the domain; everything else becomes one '*' per character. */
static int op_mask(struct sl_buf *dst, int type, const char *v, size_t n)
{
    size_t k, keep = 0, nd = 0;
    const char *atp;
    int rc;

    if (type == SL_PII_EMAIL && (atp = memrchr(v, '@', n)) != NULL && atp > v) {
        /* Keep the first character, not the first byte: "émile@" must not become "\xC3***@"
         * (invalid UTF-8, which the body encoder then refuses). */
        uint32_t cp;
        int first = sl_utf8_decode((const unsigned char *)v, (size_t)(atp - v), &cp);

        if ((rc = sl_buf_append(dst, v, first > 0 ? (size_t)first : 1)) ||
            (rc = sl_buf_append_str(dst, "***")))
            return rc;
        return sl_buf_append(dst, atp, n - (size_t)(atp - v));
    }
    if (digit_type(type)) {
        for (k = 0; k < n; k++)
            nd += v[k] >= '0' && v[k] <= '9';
        keep = nd >= 8 ? 4 : 0;
    }
    if ((rc = sl_buf_reserve(dst, n)))
        return rc;
    for (k = 0, nd = nd - keep; k < n; k++) {
        unsigned char ch = (unsigned char)v[k];
        bool isd = ch >= '0' && ch <= '9';

        if (digit_type(type) && isd && nd == 0) {
            dst->p[dst->len++] = (char)ch;
        } else if (digit_type(type) && !isd && !((ch | 32) >= 'a' && (ch | 32) <= 'z')) {
            dst->p[dst->len++] = (char)ch;
        } else if ((ch & 0xC0) != 0x80) {
            dst->p[dst->len++] = '*';
            if (isd)
                nd--;
        }
    }
    dst->p[dst->len] = '\0';
    return 0;
}

/* "<TYPE_n>" (tokenize), without going through printf. */
static int placeholder_num(struct sl_buf *dst, int type, unsigned num)
{
    char out[48];
    size_t L = strlen(type_names[type]);

    out[0] = '<';
    memcpy(out + 1, type_names[type], L);
    out[1 + L] = '_';
    L += 2 + sl_fmt_u64(out + 2 + L, num);
    out[L++] = '>';
    return sl_buf_append(dst, out, L);
}

static int op_hash(const struct sl_anon *a, struct sl_anon_scratch *s, struct sl_buf *dst, int type,
                   const char *v, size_t n)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    size_t mdlen = 0;
    int rc;

    (void)a;
    /* HMAC-SHA256(key, type || 0 || value); init with a NULL key reuses the scratch's key */
    if (!EVP_MAC_init(s->mac, NULL, 0, NULL) ||
        !EVP_MAC_update(s->mac, (const unsigned char *)type_names[type], strlen(type_names[type]) + 1) ||
        !EVP_MAC_update(s->mac, (const unsigned char *)v, n) || !EVP_MAC_final(s->mac, md, &mdlen, sizeof(md)))
        return -EINVAL;
    {
        static const char hex[] = "0123456789abcdef";
        char out[40];
        size_t L = strlen(type_names[type]), k;

        out[0] = '<';
        memcpy(out + 1, type_names[type], L);
        out[1 + L] = '_';
        for (k = 0; k < 4; k++) {
            out[2 + L + 2 * k] = hex[md[k] >> 4];
            out[3 + L + 2 * k] = hex[md[k] & 15];
        }
        out[10 + L] = '>';
        rc = sl_buf_append(dst, out, 11 + L);
    }
    explicit_bzero(md, sizeof(md));
    return rc;
}

static int apply(const struct sl_anon *a, struct sl_anon_scratch *s, struct sl_buf *dst, int type,
                 const char *v, size_t n, struct sl_anon_vault *vault)
{
    unsigned num;
    int rc;

    switch (a->mode) {
    case SL_ANON_MASK:
        return op_mask(dst, type, v, n);
    case SL_ANON_HASH:
        return op_hash(a, s, dst, type, v, n);
    case SL_ANON_TOKENIZE:
        if (!vault)
            return -EINVAL;
        if ((rc = vault_get(vault, type, v, n, &num)))
            return rc;
        return placeholder_num(dst, type, num);
    default:
        return sl_buf_append(dst, redacted[type], redacted_len[type]);
    }
}

/* ---- scan ------------------------------------------------------------------------------------- */

/* What the scan callback needs: the detector context and where the scanned window starts. */
struct scan_arg {
    struct anon_ctx *c;
    size_t base;
};

static bool line_anchored(unsigned id)
{
    return id < anon_npatterns && strncmp(anon_patterns[id].re, "(?:^|\\n)", 8) == 0;
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int fl,
                    void *ctx)
{
    struct scan_arg *sa = ctx;
    struct anon_ctx *c = sa->c;
    size_t end = sa->base + (size_t)to;

    (void)from;
    (void)fl;
    /* A window that does not start a line: "^" in a "(?:^|\n)" cue is not a line start there. Such
     * a match holds no newline before its last byte, one that used "\n" does. */
    if (sa->base > 0 && c->p[sa->base - 1] != '\n' && line_anchored(id) &&
        (end < sa->base + 1 || !memchr(c->p + sa->base, '\n', end - 1 - sa->base)))
        return 0;
    anon_scan_triggers(c, end);
    anon_dispatch(c, id, end);
    return c->oom ? 1 : 0;
}

static bool is_tokbyte(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int cmp_span(const void *x, const void *y)
{
    const struct anon_span *a = x, *b = y;

    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->end > b->end ? -1 : a->end < b->end;
}

/* Sort spans by cmp_span. The detectors add them almost in text order, so an insertion sort
 * (stable, as glibc's merge sort; the order of equal spans does not change the output anyway) does
 * a few moves instead of qsort's calls through a pointer; a list far from sorted goes to qsort. */
static void sort_spans(struct anon_span *sp, size_t n)
{
    size_t i, moves = 0;

    for (i = 1; i < n; i++) {
        struct anon_span x = sp[i];
        size_t j = i;

        while (j > 0 && cmp_span(&sp[j - 1], &x) > 0) {
            sp[j] = sp[j - 1];
            j--;
        }
        sp[j] = x;
        moves += i - j;
        if (moves > 8 * n + 64) {
            qsort(sp, n, sizeof(*sp), cmp_span);
            return;
        }
    }
}

/* "[REDACTED_TYPE]", "<TYPE_n>" or "<TYPE_9f2c41d0>": what the operators write. */
static bool is_placeholder(const char *p, size_t n)
{
    size_t i = 0;

    if (n >= 12 && p[0] == '[' && p[n - 1] == ']' && !memcmp(p, "[REDACTED", 9)) {
        for (i = 9; i < n - 1; i++)
            if (!(p[i] == '_' || (p[i] >= 'A' && p[i] <= 'Z')))
                return false;
        return true;
    }
    if (n >= 5 && p[0] == '<' && p[n - 1] == '>') {
        for (i = 1; i < n - 1 && (p[i] == '_' || (p[i] >= 'A' && p[i] <= 'Z')); i++)
            ;
        if (i < 3 || p[i - 1] != '_' || i == n - 1)
            return false;
        for (; i < n - 1; i++)
            if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
                return false;
        return true;
    }
    return false;
}

/* Length of the placeholder that starts at p, 0 if none. */
static size_t placeholder_at(const char *p, size_t n)
{
    const char *close;
    size_t max = n < 48 ? n : 48;

    if (!max || (p[0] != '[' && p[0] != '<'))
        return 0;
    close = memchr(p, p[0] == '[' ? ']' : '>', max);
    if (!close || !is_placeholder(p, (size_t)(close - p) + 1))
        return 0;
    return (size_t)(close - p) + 1;
}

static int ranges_add(struct anon_ranges *rg, size_t st, size_t en)
{
    if (rg->n > 0 && rg->r[2 * rg->n - 1] == st) { /* adjacent: extend */
        rg->r[2 * rg->n - 1] = en;
        return 0;
    }
    if (rg->n * 2 == rg->cap) {
        size_t ncap = rg->cap ? rg->cap * 2 : 32;
        size_t *nr = realloc(rg->r, ncap * sizeof(*nr));

        if (!nr)
            return -ENOMEM;
        rg->r = nr;
        rg->cap = ncap;
    }
    rg->r[2 * rg->n] = st;
    rg->r[2 * rg->n + 1] = en;
    rg->n++;
    return 0;
}

/* Scan src[ws, we) for triggers; the detectors see all of src[0, len). */
static int scan_window(const struct sl_anon *a, struct sl_anon_scratch *s, const char *src, size_t ws,
                       size_t we)
{
    struct anon_ctx *c = &s->ctx;
    struct scan_arg sa = {c, ws};

    c->dscan = ws;
    c->wstart = ws;
    if (anon_triggers(c, ws, we))
        return -ENOMEM;
    if (hs_scan(a->db, src + ws, (unsigned)(we - ws), 0, s->hs, on_match, &sa) != HS_SUCCESS && !c->oom)
        return -EINVAL;
    if (!c->oom)
        anon_scan_triggers(c, we);
    return c->oom ? -ENOMEM : 0;
}

/* Characters that hide a value from the detectors but not from a reader (or a model): zero-width
 * spaces and joiners, the word joiner, the BOM, the soft hyphen ("4111<ZWSP>1111..."), Unicode
 * hyphens and the minus sign ("078<U+2011>05<U+2011>1120"), full-width ASCII forms and the
 * ideographic space ("０９０－１２３４", "jane＠example.com"); and in ASCII, HTML character references
 * ("jane&#64;example.com"), %2B and %20, and '+' as a space in form-encoded values
 * ("?name=Jane+Doe"). The detectors run on the text with these
 * folded (dropped, or made the ASCII character they stand for); what they find is replaced in the
 * text as written, so nothing else of it changes. No-break and thin spaces are not folded: the
 * detectors read them as separators already. The detectors never see a character that folds:
 * patterns and checks are written for the ASCII it becomes (':' not '：').
 *
 * The character at p[i] (n bytes left, a lead byte >= 0xC2): its length if it folds, with *out the
 * ASCII byte it becomes or -1 to drop it; 0 if it stays as it is. */
static size_t fold_char(const unsigned char *p, size_t n, int *out)
{
    unsigned cp;

    if (p[0] == 0xC2)
        return n >= 2 && p[1] == 0xAD ? (*out = -1, 2) : 0; /* soft hyphen */
    if (n < 3 || (p[0] != 0xE2 && p[0] != 0xE3 && p[0] != 0xEF) || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
        return 0;
    cp = ((unsigned)(p[0] & 0x0F) << 12) | ((unsigned)(p[1] & 0x3F) << 6) | (unsigned)(p[2] & 0x3F);
    if ((cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF)
        *out = -1;
    else if ((cp >= 0x2010 && cp <= 0x2013) || cp == 0x2212)
        *out = '-';
    else if (cp >= 0xFF01 && cp <= 0xFF5E)
        *out = (int)(cp - 0xFEE0);
    else if (cp == 0x3000)
        *out = ' ';
    else
        return 0;
    return 3;
}

#if defined(SL_SSE2)
/* The offsets in the 16 bytes at p of the lead bytes fold_char knows, as a bit mask. */
static unsigned fold_leads16(const unsigned char *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);

    return (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xC2)), _mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xE2))),
                     _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xE3)), _mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xEF)))));
}
#endif

static int hex_digit(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch |= 0x20;
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* An HTML character reference at p[0] == '&' that stands for a printable ASCII character
 * ("jane&#64;example&#46;com", "&#x40;", "&commat;"; with its ';'): its length, with *out the
 * character; 0 if there is none. */
static size_t fold_entity(const unsigned char *p, size_t n, int *out)
{
    static const struct {
        const char *name; /* with its ';' */
        char ch;
    } named[] = {{"commat;", '@'}, {"period;", '.'}, {"amp;", '&'}, {"plus;", '+'}, {"colon;", ':'},
                 {"sol;", '/'}, {"lowbar;", '_'}, {"hyphen;", '-'}, {"dash;", '-'}, {"num;", '#'},
                 {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}, {"nbsp;", ' '}};
    size_t k, st, L;
    unsigned v = 0;
    int d, base = 10;

    if (n >= 4 && p[1] == '#') {
        st = k = (p[2] == 'x' || p[2] == 'X') ? 3 : 2;
        if (k == 3)
            base = 16;
        for (; k < n && k - st < 7 && (d = hex_digit(p[k])) >= 0 && d < base; k++)
            v = v * (unsigned)base + (unsigned)d;
        if (k == st || k >= n || p[k] != ';' || v < 0x20 || v > 0x7E)
            return 0;
        *out = (int)v;
        return k + 1;
    }
    for (k = 0; k < sizeof(named) / sizeof(named[0]); k++)
        if ((L = strlen(named[k].name)) < n && memcmp(p + 1, named[k].name, L) == 0) {
            *out = named[k].ch;
            return L + 1;
        }
    return 0;
}

/* A percent-encoded '+' or space at p[0] == '%' ("phone=%2B1%20415..."): 3, with *out the
 * character; else 0. Other escapes stay: %40, %3A, %2F are the structure of URLs and their
 * credentials, which the detectors read as written. */
static size_t fold_percent(const unsigned char *p, size_t n, int *out)
{
    if (n < 3 || p[1] != '2')
        return 0;
    if (p[2] == '0')
        *out = ' ';
    else if ((p[2] | 0x20) == 'b')
        *out = '+';
    else
        return 0;
    return 3;
}

/* Is the '+' at p[i] a space in a form-encoded value ("?name=Jane+Doe&phone=%2B1+415+555+0132")?
 * Inside a blank-free token, after the value's '=' (not right after it: "=+4930..." is a phone's
 * prefix), in a query ('?', '&' or ';' before that key, or the token a form body: the key first
 * and another field after the value), and not in a value holding an '@' (a
 * sub-address "jane+news@example.com" keeps its '+'). */
static bool plus_is_space(const unsigned char *p, size_t n, size_t i)
{
    size_t k, lim = i > 256 ? i - 256 : 0;
    bool eq = false, amp;

    if (i == 0 || i + 1 >= n || p[i - 1] == '=' || p[i + 1] <= ' ' || p[i - 1] <= ' ')
        return false;
    for (k = i + 1; k < n && k - i < 256 && p[k] > ' ' && p[k] != '&' && p[k] != ';'; k++)
        if (p[k] == '@') /* (an e-mail's local part is at most 64 bytes: 256 on is another value) */
            return false;
    amp = k < n && p[k] == '&'; /* another field follows */
    for (k = i; k > lim && p[k - 1] > ' '; k--) {
        unsigned char ch = p[k - 1];

        if (ch == '@')
            return false;
        if (ch == '=')
            eq = true;
        else if (ch == '&' || ch == '?' || ch == ';')
            return eq;
    }
    return eq && amp && (k == 0 || p[k - 1] <= ' '); /* a form body: "name=Jane+Doe&plan=pro" */
}

/* What folds at p[i]: its length, with *out the ASCII byte it becomes or -1 to drop it; 0 if it
 * stays as it is. The one place that says so: needs_fold and fold_text both ask it. */
static size_t fold_at(const unsigned char *p, size_t n, size_t i, int *out)
{
    if (p[i] >= 0xC2)
        return fold_char(p + i, n - i, out);
    if (p[i] == '&')
        return fold_entity(p + i, n - i, out);
    if (p[i] == '%')
        return fold_percent(p + i, n - i, out);
    if (p[i] == '+' && plus_is_space(p, n, i)) {
        *out = ' ';
        return 1;
    }
    return 0;
}

/* Does src hold anything fold_at folds? ASCII is skipped 64 bytes at a time (one test of the OR of
 * four loads) and only the lead bytes fold_char knows are looked at past it; '%' and '&' are found
 * by memchr (rare in prose), and '+' only in a text with an '&' (a query or a form body). */
static bool needs_fold(const unsigned char *p, size_t n)
{
    const unsigned char *q;
    size_t i = 0;
    int o, plus = 0;

#if defined(SL_SSE2)
    for (; i + 16 <= n; i += 16) {
        unsigned m;

        if (i + 64 <= n) {
            __m128i a = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(p + i)),
                                     _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16)));
            __m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(p + i + 32)),
                                     _mm_loadu_si128((const __m128i *)(const void *)(p + i + 48)));

            if (!_mm_movemask_epi8(_mm_or_si128(a, b))) {
                i += 48; /* and 16 by the loop */
                continue;
            }
        }
        for (m = fold_leads16(p + i); m; m &= m - 1)
            if (fold_at(p, n, i + (size_t)__builtin_ctz(m), &o))
                return true;
    }
#endif
    for (; i < n; i++)
        if (p[i] >= 0xC2 && fold_at(p, n, i, &o))
            return true;
    for (q = memchr(p, '%', n); q; q = memchr(q + 1, '%', n - (size_t)(q + 1 - p)))
        if (fold_at(p, n, (size_t)(q - p), &o))
            return true;
    for (q = memchr(p, '&', n); q; q = memchr(q + 1, '&', n - (size_t)(q + 1 - p))) {
        if (fold_at(p, n, (size_t)(q - p), &o))
            return true;
        if (!plus) { /* the whole text's '+', once */
            const unsigned char *r;

            plus = 1;
            for (r = memchr(p, '+', n); r; r = memchr(r + 1, '+', n - (size_t)(r + 1 - p)))
                if (fold_at(p, n, (size_t)(r - p), &o))
                    return true;
        }
    }
    return false;
}

/* Fold src[0, len) into s->fold (see fold_at), with s->fmap; returns the folded length, or
 * SIZE_MAX without memory. fmap[k] for k = the folded length is len. */
static size_t fold_text(struct sl_anon_scratch *s, const unsigned char *src, size_t len)
{
    size_t i = 0, k = 0, f;
    int o;

    if (len + 1 > s->fcap) {
        unsigned char *nf = malloc(len + 1);
        uint32_t *nm = malloc((len + 1) * sizeof(*nm));

        if (!nf || !nm) {
            free(nf);
            free(nm);
            return SIZE_MAX;
        }
        if (s->fold)
            explicit_bzero(s->fold, s->fcap);
        free(s->fold);
        free(s->fmap);
        s->fold = nf;
        s->fmap = nm;
        s->fcap = len + 1;
    }
    while (i < len) {
        if ((f = fold_at(src, len, i, &o)) != 0) {
            if (o >= 0) {
                s->fmap[k] = (uint32_t)i;
                s->fold[k++] = (unsigned char)o;
            }
            i += f;
            continue;
        }
        s->fmap[k] = (uint32_t)i;
        s->fold[k++] = src[i++];
    }
    s->fmap[k] = (uint32_t)len;
    return k;
}

/* One pass over src: scan the windows win[0..nwin) (pairs; NULL = all of src), resolve overlaps,
 * write the text with every accepted span replaced to dst and the replaced output ranges (relative
 * to dst's length on entry) to rg. */
static int anon_pass(const struct sl_anon *a, struct sl_anon_scratch *s, const char *src, size_t len,
                     const size_t *win, size_t nwin, struct sl_buf *dst, struct sl_anon_counts *counts,
                     struct sl_anon_vault *vault, struct anon_ranges *rg)
{
    struct anon_ctx *c = &s->ctx;
    size_t k, pos = 0, base = dst->len, flen = len;
    const char *det = src; /* the text the detectors read: src, or src folded */
    int rc = 0;

    rg->n = 0;
    if (a->mode == SL_ANON_OFF || len == 0)
        return sl_buf_append(dst, src, len);
    if (a->mode == SL_ANON_TOKENIZE && !vault)
        return -EINVAL;
    if (len > UINT_MAX)
        return SL_ETOOBIG;
    if (needs_fold((const unsigned char *)src, len)) {
        if ((flen = fold_text(s, (const unsigned char *)src, len)) == SIZE_MAX)
            return -ENOMEM;
        det = (const char *)s->fold;
        win = NULL; /* windows are offsets into src: the folded text is scanned whole (rare) */
    }
    c->p = (const unsigned char *)det;
    c->n = flen;
    c->types = a->types;
    c->nsp = 0;
    c->oom = 0;
    c->digit_skip = 0;
    c->ipv6_done = 0;
    c->dscan = 0;
    c->table_done = 0;
    c->json_brace = SIZE_MAX;
    c->nnames = 0;
    if (!win) {
        rc = scan_window(a, s, det, 0, flen);
    } else {
        for (k = 0; k < nwin && !rc; k++)
            rc = scan_window(a, s, det, win[2 * k], win[2 * k + 1]);
    }
    if (!rc)
        anon_corefer_persons(c);
    if (det != src) {
        explicit_bzero(s->fold, flen);
        for (k = 0; k < c->nsp; k++) { /* to offsets into src: a span takes the characters dropped after it */
            c->sp[k].start = s->fmap[c->sp[k].start];
            c->sp[k].end = s->fmap[c->sp[k].end];
        }
    }
    if (rc)
        return rc;
    if (c->oom)
        return -ENOMEM;
    if (c->nsp == 0) /* nothing found: the output is the input */
        return sl_buf_append(dst, src, len);
    if (c->nsp > 1)
        sort_spans(c->sp, c->nsp);
    for (k = 0; k < c->nsp;) {
        size_t st = c->sp[k].start, en = c->sp[k].end, o0;
        int type = c->sp[k].type;

        for (k++; k < c->nsp && c->sp[k].start < en; k++) {
            if (c->sp[k].end > en)
                en = c->sp[k].end;
            if (type_prio[c->sp[k].type] > type_prio[type])
                type = c->sp[k].type;
        }
        /* Never cut a token: a span glued to letters or digits grows to the whole token, so no
         * partial value is left and the text around the placeholder reads as it did. */
        while (st > pos && is_tokbyte(src[st - 1]))
            st--;
        while (en < len && is_tokbyte(src[en]))
            en++;
        while (k < c->nsp && c->sp[k].start < en) {
            if (c->sp[k].end > en)
                en = c->sp[k].end;
            k++;
        }
        if (en - st <= placeholder_at(src + st, len - st))
            continue; /* our own output (e.g. the value of "password=[REDACTED_SECRET]") */
        if ((rc = sl_buf_append(dst, src + pos, st - pos)))
            return rc;
        o0 = dst->len - base;
        if ((rc = apply(a, s, dst, type, src + st, en - st, vault)) ||
            (rc = ranges_add(rg, o0, dst->len - base)))
            return rc;
        if (counts)
            counts->n[type]++;
        pos = en;
    }
    return sl_buf_append(dst, src + pos, len - pos);
}

/* Operators must never produce text that a detector flags again (a placeholder glued to the
 * digits around it can form a new phone number, a mask's kept tail can join a neighbour...). The
 * detectors guard against the cases known; as a guarantee, after a pass that replaced anything the
 * neighbourhood of every replacement is scanned again (with the whole text as the detectors'
 * context), and what is found then is replaced too, until nothing is (at most SL_ANON_PASSES
 * passes; a text that still changes after that is redacted whole). Clean text is scanned once:
 * with nothing found, the output is the input.
 *
 * The neighbourhood: RESCAN_REACH bytes either side (more than any bounded look-around of a
 * detector: addresses read 140 bytes on, name and phone cues 40-120 back), widened to whole
 * whitespace-separated tokens (e-mail, URL, key and number parsers run over tokens of any length)
 * and so that a window starts at a line start or after a blank that follows a letter (a number
 * spaced into groups is never entered in its middle). Windows closer than RESCAN_JOIN merge. */
#ifndef SL_ANON_PASSES /* bench/redact/scan_cost.sh builds it with 1 to price the rescan */
#define SL_ANON_PASSES 4
#endif
#define RESCAN_REACH 192
#define RESCAN_JOIN 128

static bool blank(unsigned char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* A window may start at i: text start, line start, or after a blank that follows a letter. */
static bool win_start_ok(const unsigned char *p, size_t i)
{
    if (i == 0 || p[i - 1] == '\n')
        return true;
    return blank(p[i - 1]) && i >= 2 && (((p[i - 2] | 32) >= 'a' && (p[i - 2] | 32) <= 'z') || p[i - 2] >= 0x80);
}

/* A window may end at i: text end, or at a blank after a letter (nothing spaced continues). */
static bool win_end_ok(const unsigned char *p, size_t len, size_t i)
{
    if (i >= len || p[i] == '\n')
        return true;
    return blank(p[i]) && i >= 1 && (((p[i - 1] | 32) >= 'a' && (p[i - 1] | 32) <= 'z') || p[i - 1] >= 0x80);
}

/* The first valid window start at or before lo / end at or after hi. */
static size_t win_lo(const unsigned char *p, size_t lo)
{
    while (!win_start_ok(p, lo))
        lo--;
    return lo;
}

static size_t win_hi(const unsigned char *p, size_t len, size_t hi)
{
    while (!win_end_ok(p, len, hi))
        hi++;
    return hi;
}

/* Windows (pairs in rg->r, rewritten in place) around the ranges of rg in p[0, len).
 *
 * Each range gives [lo, hi) RESCAN_REACH wider, lo moved back to a valid start and hi on to a
 * valid end; a window that starts within RESCAN_JOIN of the previous one's end joins it. As the
 * ranges ascend, so do the raw ends, and "the first valid end at or after" is monotone: a run of
 * joined windows ends where the last one's raw end moves to, and only that one is moved. A raw
 * start within RESCAN_JOIN of the run's raw end joins without moving either (moving lo back and hi
 * on only brings them closer): in dense text, no boundary is looked for inside a run. */
static size_t windows(struct anon_ranges *rg, const unsigned char *p, size_t len)
{
    size_t k, nw = 0, run_lo = 0, run_hi = 0; /* run_hi: raw end of the open run */

    for (k = 0; k < rg->n; k++) {
        size_t lo = rg->r[2 * k], hi = rg->r[2 * k + 1];

        lo = lo > RESCAN_REACH ? lo - RESCAN_REACH : 0;
        hi = len - hi > RESCAN_REACH ? hi + RESCAN_REACH : len;
        if (k > 0 && lo <= run_hi + RESCAN_JOIN) {
            run_hi = hi;
            continue;
        }
        lo = win_lo(p, lo);
        if (k > 0) {
            size_t end = win_hi(p, len, run_hi);

            if (lo <= end + RESCAN_JOIN) {
                run_hi = hi;
                continue;
            }
            rg->r[2 * nw] = run_lo; /* nw < k: the pairs at k and after are read already */
            rg->r[2 * nw + 1] = end;
            nw++;
        }
        run_lo = lo;
        run_hi = hi;
    }
    if (rg->n > 0) {
        rg->r[2 * nw] = run_lo;
        rg->r[2 * nw + 1] = win_hi(p, len, run_hi);
        nw++;
    }
    return nw;
}

uint32_t sl_anon_counts_total(const struct sl_anon_counts *c)
{
    uint32_t n = 0;
    int t;

    for (t = 0; t < SL_PII__COUNT; t++)
        n += c->n[t];
    return n;
}

int sl_anon_text(const struct sl_anon *a, struct sl_anon_scratch *s, const char *src, size_t len,
                 struct sl_buf *dst, struct sl_anon_counts *counts, struct sl_anon_vault *vault)
{
    struct sl_anon_counts c1 = {{0}};
    size_t start = dst->len;
    struct sl_buf *tmp = &s->tmp;
    struct anon_ranges *rg = &s->rg[0];
    size_t hw = 0;     /* the most of tmp any pass wrote */
    bool copy = true;  /* tmp holds nothing but a copy of the text returned */
    int rc, pass;

    if ((rc = anon_pass(a, s, src, len, NULL, 0, dst, &c1, vault, rg)))
        return rc;
    if (counts)
        for (int t = 0; t < SL_PII__COUNT; t++)
            counts->n[t] += c1.n[t];
    if (!sl_anon_counts_total(&c1) || a->mode == SL_ANON_OFF)
        return 0;
    tmp->max = dst->max;
    for (pass = 1; pass < SL_ANON_PASSES; pass++) {
        struct sl_anon_counts c2 = {{0}};
        const unsigned char *p = (const unsigned char *)dst->p + start;
        size_t nw = windows(rg, p, dst->len - start);

        sl_buf_reset(tmp);
        rc = anon_pass(a, s, (const char *)p, dst->len - start, rg->r, nw, tmp, &c2, vault, &s->rg[1]);
        hw = tmp->len > hw ? tmp->len : hw;
        if (rc || !sl_anon_counts_total(&c2))
            break;
        copy = false; /* this pass's input had values in it; pieces of it may stay in tmp */
        if (counts)
            for (int t = 0; t < SL_PII__COUNT; t++)
                counts->n[t] += c2.n[t];
        dst->len = start;
        if ((rc = sl_buf_append(dst, tmp->p ? tmp->p : "", tmp->len)))
            break;
        { /* the ranges this pass replaced are where the next one looks */
            struct anon_ranges t = s->rg[0];

            s->rg[0] = s->rg[1];
            s->rg[1] = t;
            rg = &s->rg[0];
        }
    }
    if (!rc && pass == SL_ANON_PASSES) {
        /* Did not settle: nothing of this text goes out. Tokenize keeps the whole text as one
         * value, so that --restore still gives it back exactly. */
        dst->len = start;
        if (a->mode == SL_ANON_TOKENIZE && vault)
            rc = apply(a, s, dst, SL_PII_SECRET, src, len, vault);
        else
            rc = sl_buf_append(dst, "[REDACTED]", 10);
    }
    /* A rescan that found nothing wrote the text returned in dst, byte for byte: anonymized text,
     * which is not wiped per call (as the caller's own buffers). Else tmp may hold (in all of the
     * longest pass's length) text that a later pass still found values in: wipe it. */
    if (tmp->p && (rc || !copy || pass == SL_ANON_PASSES))
        explicit_bzero(tmp->p, hw);
    sl_buf_reset(tmp);
    return rc;
}

/* Placeholders made by a later pass can hold earlier placeholders: restore until nothing changes. */
int sl_anon_restore(const struct sl_anon_vault *v, const char *src, size_t len, struct sl_buf *dst)
{
    struct sl_buf a, b;
    int rc, pass;

    sl_buf_init(&a, dst->max);
    sl_buf_init(&b, dst->max);
    rc = restore_pass(v, src, len, &a);
    for (pass = 1; !rc && pass < SL_ANON_PASSES + 1; pass++) {
        sl_buf_reset(&b);
        if ((rc = restore_pass(v, a.p ? a.p : "", a.len, &b)))
            break;
        if (b.len == a.len && (!a.len || !memcmp(a.p, b.p, a.len)))
            break;
        struct sl_buf t = a;
        a = b;
        b = t;
    }
    if (!rc)
        rc = sl_buf_append(dst, a.p ? a.p : "", a.len);
    sl_buf_wipe(&a);
    sl_buf_wipe(&b);
    return rc;
}
