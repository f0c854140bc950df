/* audit.c: building audit lines and verifying audit chains and output directories.
 * Any thread; no shared state. JSON is written with sl_buf (the key order is part of the format)
 * and read back with jansson.
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "journal.h"
#include "mp2json.h"

/* Same names as sl_pii_type_name() and the sanitize classes; kept here so the writer does not
 * depend on the stages' objects. */
static const char *const pii_names[SL_PII__COUNT] = {
    "EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP",
    "URL_CREDENTIALS", "SECRET", "PERSON", "ADDRESS", "DATE_OF_BIRTH",
};
static const char *const san_names[SL_SAN__COUNT] = {
    "control", "invisible", "bidi", "tag", "markup", "injection",
};
static const char *const outcome_names[3] = {"result", "error", "reject"};
/* Output files by format (--output-format jsonl | msgpack, and a --dry-run directory, whose
 * "results" are the requests it would have sent); the audit file is JSONL in all. */
enum { FMT_JSONL, FMT_MSGPACK, FMT_DRYRUN };
static const char *const out_files_fmt[3][3] = {
    {"results.jsonl.zst", "errors.jsonl.zst", "rejects.jsonl.zst"},
    {"results.msgpack.zst", "errors.msgpack.zst", "rejects.msgpack.zst"},
    {"requests.jsonl.zst", "errors.jsonl.zst", "rejects.jsonl.zst"}};
#define AUDIT_FILE "audit.jsonl.zst"
#define MAX_LINE ((size_t)64 << 20)

void sl_audit_hash(const char *line, size_t len, unsigned char out[32])
{
    unsigned int n = 32;

    if (!EVP_Digest(line, len, out, &n, EVP_sha256(), NULL))
        memset(out, 0, 32); /* only on allocation failure inside OpenSSL; the chain then breaks */
}

/* The writer hashes one line per job: fetching SHA-256 and building a digest context for each
 * (what EVP_Digest does) cost more than the hashing of a ~450-byte line. */
int sl_audit_hasher_init(struct sl_audit_hasher *h)
{
    h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    h->ctx = h->md ? EVP_MD_CTX_new() : NULL;
    if (!h->ctx) {
        sl_audit_hasher_free(h);
        return -ENOMEM;
    }
    return 0;
}

void sl_audit_hasher_free(struct sl_audit_hasher *h)
{
    EVP_MD_CTX_free(h->ctx);
    EVP_MD_free(h->md);
    h->ctx = NULL;
    h->md = NULL;
}

void sl_audit_hasher_hash(struct sl_audit_hasher *h, const char *line, size_t len,
                          unsigned char out[32])
{
    unsigned int n = 32;

    if (!h->ctx || !EVP_DigestInit_ex2(h->ctx, h->md, NULL) ||
        !EVP_DigestUpdate(h->ctx, line, len) || !EVP_DigestFinal_ex(h->ctx, out, &n))
        sl_audit_hash(line, len, out);
}

void sl_audit_hex(const unsigned char *p, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[p[i] >> 4];
        out[2 * i + 1] = hex[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* True if s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned char c = s[i];
        size_t k;
        uint32_t cp, min;

        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            k = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += k + 1;
    }
    return true;
}

/* A JSON string, or null for NULL. Invalid UTF-8 (caller data we cannot vouch for) is written
 * with every byte >= 0x80 as '?', so the line always parses. */
static int put_str(struct sl_buf *b, const char *s)
{
    size_t n;
    char *tmp;
    int rc;

    if (!s)
        return sl_buf_append_str(b, "null");
    n = strlen(s);
    /* The usual id, model or path: printable ASCII without '"' or '\\', copied between quotes
     * as sl_buf_append_json_str would (one scan instead of a UTF-8 pass and an escape pass). */
    {
        size_t i;

        for (i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];

            if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
                break;
        }
        if (i == n) {
            if ((rc = sl_buf_reserve(b, n + 2)))
                return rc;
            b->p[b->len] = '"';
            memcpy(b->p + b->len + 1, s, n);
            b->p[b->len + 1 + n] = '"';
            b->len += n + 2;
            b->p[b->len] = '\0';
            return 0;
        }
    }
    if (utf8_valid((const unsigned char *)s, n))
        return sl_buf_append_json_str(b, s, n);
    tmp = strdup(s);
    if (!tmp)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)tmp[i] >= 0x80)
            tmp[i] = '?';
    rc = sl_buf_append_json_str(b, tmp, n);
    free(tmp);
    return rc;
}

/* The audit line is built without printf and with one reserve per stretch of fixed-size text (it
 * is one line per job on the writer thread: appending piece by piece through sl_buf cost ~5k
 * instructions a line). Between the JSON strings (put_str, through sl_buf), text is written at
 * o, in room a stretch reserved first (w_room); w_done hands the length back to the buffer. */
#define LIT(o, s) (memcpy((o), (s), sizeof(s) - 1), (o) += sizeof(s) - 1)

static char *w_room(struct sl_buf *b, size_t n, int *rc)
{
    if (*rc || (*rc = sl_buf_reserve(b, n)))
        return NULL;
    return b->p + b->len;
}

static void w_done(struct sl_buf *b, char *o)
{
    b->len = (size_t)(o - b->p);
    b->p[b->len] = '\0';
}

/* Counts as {"NAME":v,...}, zero counts left out (at most 17 names of < 20 bytes, 10 digits). */
static char *put_counts(char *o, const char *key, size_t kn, const uint32_t *v,
                        const char *const *names, int count)
{
    bool first = true;

    memcpy(o, key, kn);
    o += kn;
    for (int i = 0; i < count; i++) {
        size_t nn;

        if (!v[i])
            continue;
        if (!first)
            *o++ = ',';
        *o++ = '"';
        nn = strlen(names[i]);
        memcpy(o, names[i], nn);
        o += nn;
        LIT(o, "\":");
        o += sl_fmt_u64(o, v[i]);
        first = false;
    }
    *o++ = '}';
    return o;
}

/* "YYYY-MM-DDTHH:MM:SS" of t (UTC), remembered per thread for the second it was made for. */
static const char *ts_text(time_t secs)
{
    static _Thread_local time_t last = (time_t)-1;
    static _Thread_local char txt[40];

    if (secs != last) {
        struct tm tm;

        gmtime_r(&secs, &tm);
        strftime(txt, sizeof(txt), "%Y-%m-%dT%H:%M:%S", &tm);
        last = secs;
    }
    return txt;
}

int sl_audit_format(struct sl_buf *out, uint64_t n, int64_t t_ms, const struct sl_out_rec *r,
                    const unsigned char prev[32])
{
    static const char *const outcome_keys[3] = {",\"outcome\":\"result\",\"input_hmac\":\"",
                                               ",\"outcome\":\"error\",\"input_hmac\":\"",
                                               ",\"outcome\":\"reject\",\"input_hmac\":\""};
    double cost = isfinite(r->cost_usd) && r->cost_usd > 0 ? r->cost_usd : 0;
    size_t start = out->len, tn;
    const char *ts;
    char *o;
    int rc = 0;

    _Static_assert(SL_PII__COUNT + SL_SAN__COUNT <= 20, "the counts fit the last stretch");
    if (r->kind < 0 || r->kind >= SL_OUT__COUNT)
        return SL_ECONFIG;
    ts = ts_text((time_t)(t_ms / 1000));
    tn = strlen(ts);
    if ((o = w_room(out, 64 + tn, &rc))) {
        LIT(o, "{\"n\":");
        o += sl_fmt_u64(o, n);
        LIT(o, ",\"t\":\"");
        memcpy(o, ts, tn);
        o += tn;
        *o++ = '.';
        *o++ = (char)('0' + (int)(t_ms % 1000) / 100);
        *o++ = (char)('0' + (int)(t_ms % 100) / 10);
        *o++ = (char)('0' + (int)(t_ms % 10));
        LIT(o, "Z\",\"custom_id\":");
        w_done(out, o);
    }
    rc = rc ? rc : put_str(out, r->custom_id);
    if ((o = w_room(out, 128, &rc))) {
        size_t kn = strlen(outcome_keys[r->kind]);

        memcpy(o, outcome_keys[r->kind], kn);
        o += kn;
        sl_audit_hex(r->input_digest, 32, o); /* writes a NUL after the 64 digits */
        o += 64;
        LIT(o, "\",\"model\":");
        w_done(out, o);
    }
    rc = rc ? rc : put_str(out, r->model);
    rc = rc ? rc : sl_buf_append(out, ",\"endpoint\":", 12);
    rc = rc ? rc : put_str(out, r->endpoint);
    if ((o = w_room(out, 256, &rc))) {
        LIT(o, ",\"status\":");
        if (r->status < 0) {
            *o++ = '-';
            o += sl_fmt_u64(o, 0 - (uint64_t)(int64_t)r->status);
        } else {
            o += sl_fmt_u64(o, (uint64_t)r->status);
        }
        LIT(o, ",\"attempts\":");
        o += sl_fmt_u64(o, r->attempts);
        LIT(o, ",\"latency_ms\":");
        o += sl_fmt_u64(o, r->latency_ms);
        LIT(o, ",\"prompt_tokens\":");
        o += sl_fmt_u64(o, r->prompt_tokens);
        LIT(o, ",\"completion_tokens\":");
        o += sl_fmt_u64(o, r->completion_tokens);
        if (cost > 0) {
            char num[40];
            int k = snprintf(num, sizeof(num), ",\"cost_usd\":%.9g", cost);

            k = k < 0 ? 0 : k >= (int)sizeof(num) ? (int)sizeof(num) - 1 : k;
            memcpy(o, num, (size_t)k);
            o += k;
        } else {
            LIT(o, ",\"cost_usd\":0");
        }
        LIT(o, ",\"error_code\":");
        w_done(out, o);
    }
    rc = rc ? rc : put_str(out, r->error_code);
    if ((o = w_room(out, 1024, &rc))) {
        o = put_counts(o, ",\"redactions\":{", 15, r->redactions.n, pii_names, SL_PII__COUNT);
        o = put_counts(o, ",\"sanitized\":{", 14, r->sanitized.n, san_names, SL_SAN__COUNT);
        if (r->sanitized.injection_flagged)
            LIT(o, ",\"injection_flagged\":true,\"prev\":\"");
        else
            LIT(o, ",\"injection_flagged\":false,\"prev\":\"");
        sl_audit_hex(prev, 32, o);
        o += 64;
        LIT(o, "\"}");
        w_done(out, o);
    }
    if (rc) {
        out->len = start;
        if (out->p)
            out->p[start] = '\0';
    }
    return rc;
}

/* ---- chain ---- */

static void problem(sl_audit_problem_cb cb, void *ud, uint64_t *count, const char *file,
                    uint64_t rec, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void problem(sl_audit_problem_cb cb, void *ud, uint64_t *count, const char *file,
                    uint64_t rec, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    (*count)++;
    if (cb)
        cb(ud, file, rec, msg);
}

void sl_audit_chain_init(struct sl_audit_chain *c, const char *file, sl_audit_problem_cb cb,
                         void *ud)
{
    memset(c, 0, sizeof(*c));
    c->file = file;
    c->cb = cb;
    c->ud = ud;
}

static void check_fields(struct sl_audit_chain *c, json_t *o, uint64_t pos)
{
    json_t *n = json_object_get(o, "n"), *prev = json_object_get(o, "prev");
    const char *oc = json_string_value(json_object_get(o, "outcome"));
    uint64_t want = c->have_n ? c->last_n + 1 : 0;
    char hex[65];
    int k;

    if (!json_is_integer(n) || json_integer_value(n) < 0) {
        problem(c->cb, c->ud, &c->problems, c->file, pos, "\"n\" missing or not a count");
        c->last_n = want;
    } else {
        c->last_n = (uint64_t)json_integer_value(n);
        if (c->last_n != want)
            problem(c->cb, c->ud, &c->problems, c->file, pos,
                    "n is %" PRIu64 ", expected %" PRIu64 " (deleted, inserted or reordered record)",
                    c->last_n, want);
    }
    c->have_n = true;
    sl_audit_hex(c->last_hash, 32, hex);
    if (!json_is_string(prev) || strcmp(json_string_value(prev), hex) != 0)
        problem(c->cb, c->ud, &c->problems, c->file, pos,
                "prev hash mismatch (edited, deleted or reordered record)");
    for (k = 0; k < 3; k++)
        if (oc && strcmp(oc, outcome_names[k]) == 0)
            break;
    if (k == 3)
        problem(c->cb, c->ud, &c->problems, c->file, pos, "\"outcome\" missing or unknown");
    else
        c->counts[k]++;
}

void sl_audit_chain_line(struct sl_audit_chain *c, const char *line, size_t len, json_t **rec)
{
    uint64_t pos = c->records;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);

    if (rec)
        *rec = NULL;
    if (!json_is_object(o)) {
        problem(c->cb, c->ud, &c->problems, c->file, pos, "not a JSON object");
        c->last_n = c->have_n ? c->last_n + 1 : 0;
        c->have_n = true;
    } else {
        check_fields(c, o, pos);
    }
    sl_audit_hash(line, len, c->last_hash);
    c->records++;
    if (rec && json_is_object(o))
        *rec = o;
    else
        json_decref(o);
}

uint64_t sl_audit_chain_check(const char *data, size_t len, sl_audit_problem_cb cb, void *ud,
                              unsigned char last_hash[32])
{
    struct sl_audit_chain c;
    size_t off = 0;

    sl_audit_chain_init(&c, AUDIT_FILE, cb, ud);
    while (off < len) {
        const char *nl = memchr(data + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (data + off)) : len - off;

        if (!nl)
            problem(cb, ud, &c.problems, c.file, c.records, "last line lacks its newline");
        sl_audit_chain_line(&c, data + off, n, NULL);
        off += n + 1;
    }
    if (last_hash)
        memcpy(last_hash, c.last_hash, 32);
    return c.problems;
}

/* ---- directory verification ---- */

/* A small open-addressing map from byte strings to a count and where the key was first seen. */
struct ent {
    char *k;
    size_t klen;
    uint64_t h;
    int64_t v;
    size_t dir;
    int file; /* 0..2 output files, 3 audit */
    uint64_t pos;
};

struct smap {
    struct ent *e;
    size_t cap, n;
};

static uint64_t fnv1a(const char *k, size_t n)
{
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
    return h;
}

static struct ent *smap_slot(struct ent *e, size_t cap, const char *k, size_t klen, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);

    while (e[i].k && !(e[i].h == h && e[i].klen == klen && memcmp(e[i].k, k, klen) == 0))
        i = (i + 1) & (cap - 1);
    return &e[i];
}

static int smap_grow(struct smap *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 1024;
    struct ent *ne = calloc(ncap, sizeof(*ne));

    if (!ne)
        return -ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->e[i].k)
            *smap_slot(ne, ncap, m->e[i].k, m->e[i].klen, m->e[i].h) = m->e[i];
    free(m->e);
    m->e = ne;
    m->cap = ncap;
    return 0;
}

/* Find or add key; a new entry gets v = 0 and the given origin. */
static int smap_get(struct smap *m, const char *k, size_t klen, size_t dir, int file,
                    uint64_t pos, struct ent **out)
{
    uint64_t h = fnv1a(k, klen);
    struct ent *e;
    int rc;

    if ((m->n + 1) * 4 > m->cap * 3 && (rc = smap_grow(m)))
        return rc;
    e = smap_slot(m->e, m->cap, k, klen, h);
    if (!e->k) {
        e->k = malloc(klen ? klen : 1);
        if (!e->k)
            return -ENOMEM;
        memcpy(e->k, k, klen);
        e->klen = klen;
        e->h = h;
        e->v = 0;
        e->dir = dir;
        e->file = file;
        e->pos = pos;
        m->n++;
    }
    *out = e;
    return 0;
}

static void smap_free(struct smap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->e[i].k);
    free(m->e);
    m->e = NULL;
    m->cap = m->n = 0;
}

struct verify {
    sl_audit_problem_cb cb;
    void *ud;
    uint64_t problems;
    const char *const *dirs;
    size_t dir;
    struct smap ids;   /* across directories: custom_id (or \1 source) -> count */
    struct smap multi; /* this directory: outcome byte + id -> output lines minus audit lines */
    int file;          /* 0..2 output files, 3 audit */
    uint64_t rec;      /* position in the current file */
    uint64_t lines[3];
    struct sl_audit_chain chain;
    char path[4096];
    char other[4096];
    bool *mp;            /* by directory: its outputs are msgpack */
    unsigned char *fmt;  /* by directory: FMT_* */
};

static const char *dir_file_name(const struct verify *v, size_t dir, int file)
{
    return file == 3 ? AUDIT_FILE : out_files_fmt[v->fmt[dir]][file];
}

static const char *file_name(const struct verify *v, int file)
{
    return dir_file_name(v, v->dir, file);
}

static void vproblem(struct verify *v, uint64_t rec, const char *msg)
{
    problem(v->cb, v->ud, &v->problems, v->path, rec, "%s", msg);
}

/* Key for the multiset: outcome, then \0 + custom_id, or \2 when there is none. */
static int multi_add(struct verify *v, int outcome, const char *id, size_t idlen, int64_t d)
{
    char stackbuf[256], *k = idlen + 2 <= sizeof(stackbuf) ? stackbuf : malloc(idlen + 2);
    size_t klen = id ? idlen + 2 : 2;
    struct ent *e;
    int rc;

    if (!k)
        return -ENOMEM;
    k[0] = (char)('0' + outcome);
    k[1] = id ? '\0' : '\2';
    if (id)
        memcpy(k + 2, id, idlen);
    rc = smap_get(&v->multi, k, klen, v->dir, v->file, v->rec, &e);
    if (!rc)
        e->v += d;
    if (k != stackbuf)
        free(k);
    return rc;
}

static int global_add(struct verify *v, const char *key, size_t klen)
{
    struct ent *e;
    int rc = smap_get(&v->ids, key, klen, v->dir, v->file, v->rec, &e);

    if (rc)
        return rc;
    if (++e->v == 2) {
        char msg[4400];

        snprintf(msg, sizeof(msg), "%s already seen in %s/%s record %" PRIu64,
                 key[0] == '\1' ? "reject's input record (source)" : "custom_id",
                 v->dirs[e->dir], dir_file_name(v, e->dir, e->file), e->pos);
        vproblem(v, v->rec, msg);
    }
    return 0;
}

/* One output record (a JSONL line or a msgpack record converted to JSON; NULL if it was neither). */
static int on_out_rec(struct verify *v, json_t *o)
{
    json_t *id = json_object_get(o, "custom_id"), *src = json_object_get(o, "source");
    int rc = 0;

    v->lines[v->file]++;
    if (!json_is_object(o)) {
        vproblem(v, v->rec, v->mp[v->dir] ? "not a msgpack map" : "not a JSON object");
    } else if (v->file == 2 && json_is_string(src)) {
        /* A reject is one input record: its source (file:line) is what must be unique. Its
         * custom_id may also be another job's (a second copy of an id that failed a check before
         * duplicate detection, which never took the id from the job that has it). */
        size_t n = json_string_length(src);
        char *k = malloc(n + 1);

        if (!k) {
            rc = -ENOMEM;
        } else {
            k[0] = '\1';
            memcpy(k + 1, json_string_value(src), n);
            rc = global_add(v, k, n + 1);
            free(k);
        }
        if (!rc)
            rc = json_is_string(id) ? multi_add(v, 2, json_string_value(id), json_string_length(id), 1)
                                    : multi_add(v, 2, NULL, 0, 1);
    } else if (json_is_string(id)) {
        rc = global_add(v, json_string_value(id), json_string_length(id));
        if (!rc)
            rc = multi_add(v, v->file, json_string_value(id), json_string_length(id), 1);
    } else {
        vproblem(v, v->rec, v->file == 2 ? "reject without custom_id or source"
                                         : "record without custom_id");
    }
    json_decref(o);
    v->rec++;
    return rc;
}

static int on_out_line(void *ud, const char *line, size_t len)
{
    return on_out_rec(ud, json_loadb(line, len, 0, NULL));
}

static int on_out_mp(void *ud, const msgpack_object *mo)
{
    struct sl_err err;
    json_t *o = NULL;

    if (sl_mp2json(mo, &o, &err) == -ENOMEM)
        return -ENOMEM;
    return on_out_rec(ud, o);
}

static int on_audit_line(void *ud, const char *line, size_t len)
{
    struct verify *v = ud;
    json_t *o = NULL, *id;
    const char *oc;
    int rc = 0;

    sl_audit_chain_line(&v->chain, line, len, &o);
    oc = json_string_value(json_object_get(o, "outcome"));
    id = json_object_get(o, "custom_id");
    for (int k = 0; oc && k < 3; k++) {
        if (strcmp(oc, outcome_names[k]) != 0)
            continue;
        rc = multi_add(v, k, json_string_value(id), json_string_length(id), -1);
        break;
    }
    json_decref(o);
    v->rec++;
    return rc;
}

/* Read one file of the directory through cb. Returns 0, or -ENOMEM (other failures are
 * problems). */
static int read_file_lines(struct verify *v, int file, sl_fs_line_cb cb)
{
    char msg[128];
    int rc;

    v->file = file;
    v->rec = 0;
    snprintf(v->path, sizeof(v->path), "%s/%s", v->dirs[v->dir], file_name(v, file));
    if (file < 3 && v->mp[v->dir])
        rc = sl_fs_zst_read_mp(v->path, MAX_LINE, on_out_mp, v);
    else
        rc = sl_fs_zst_read_lines(v->path, MAX_LINE, cb, v);
    if (rc == -ENOMEM)
        return rc;
    if (rc == -ENOENT) {
        vproblem(v, SL_AUDIT_NO_RECORD, "missing");
    } else if (rc == SL_ECORRUPT) {
        vproblem(v, v->rec, "zstd data invalid or cut short here (a torn tail, or an edit)");
    } else if (rc) {
        snprintf(msg, sizeof(msg), "cannot read: %s", sl_strerror(rc));
        vproblem(v, v->rec, msg);
    }
    return 0;
}

/* The multiset left over after adding outputs and subtracting audit records must be all zero. */
static void check_multi(struct verify *v)
{
    for (size_t i = 0; i < v->multi.cap; i++) {
        struct ent *e = &v->multi.e[i];
        char msg[128];
        int outcome;

        if (!e->k || e->v == 0)
            continue;
        outcome = e->k[0] - '0';
        snprintf(v->path, sizeof(v->path), "%s/%s", v->dirs[v->dir], file_name(v, e->file));
        if (e->v > 0)
            snprintf(msg, sizeof(msg), "%" PRId64 " %s record(s) with this custom_id lack an "
                     "audit record", e->v, outcome_names[outcome]);
        else
            snprintf(msg, sizeof(msg), "%" PRId64 " audit record(s) of outcome %s with this "
                     "custom_id have no line in %s", -e->v, outcome_names[outcome],
                     file_name(v, outcome));
        vproblem(v, e->pos, msg);
    }
    smap_free(&v->multi);
}

static void check_journal(struct verify *v)
{
    struct sl_journal_state st;
    char msg[160];
    int fd, rc;

    snprintf(v->path, sizeof(v->path), "%s/journal", v->dirs[v->dir]);
    fd = open(v->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        vproblem(v, SL_AUDIT_NO_RECORD, "missing");
        return;
    }
    sl_journal_state_init(&st);
    rc = sl_journal_load(fd, SL_JOURNAL_MAX_SEQ, &st);
    close(fd);
    if (rc) {
        snprintf(msg, sizeof(msg), "cannot load: %s", sl_strerror(rc));
        vproblem(v, SL_AUDIT_NO_RECORD, msg);
        goto out;
    }
    if (st.last.audit_n != v->chain.records) {
        snprintf(msg, sizeof(msg), "last commit holds %" PRIu64 " audit records, the file %" PRIu64,
                 st.last.audit_n, v->chain.records);
        vproblem(v, SL_AUDIT_NO_RECORD, msg);
    } else if (memcmp(st.last.audit_hash, v->chain.last_hash, 32) != 0) {
        vproblem(v, SL_AUDIT_NO_RECORD,
                 "last commit's audit hash differs from the last audit record's (edited tail)");
    }
    for (int i = 0; i < SL_JF__COUNT; i++) {
        struct stat sb;

        snprintf(v->path, sizeof(v->path), "%s/%s", v->dirs[v->dir], file_name(v, i));
        if (stat(v->path, &sb) != 0)
            continue; /* reported as missing already */
        if ((uint64_t)sb.st_size > st.last.file_len[i])
            snprintf(msg, sizeof(msg), "%" PRIu64 " bytes past the last commit (an interrupted "
                     "run: resume it)", (uint64_t)sb.st_size - st.last.file_len[i]);
        else if ((uint64_t)sb.st_size < st.last.file_len[i])
            snprintf(msg, sizeof(msg), "shorter than the journal's last commit (data lost)");
        else
            continue;
        vproblem(v, SL_AUDIT_NO_RECORD, msg);
    }
out:
    sl_journal_state_free(&st);
}

static void check_counts(struct verify *v)
{
    json_t *sum;
    char msg[200];

    for (int k = 0; k < 3; k++) {
        if (v->lines[k] == v->chain.counts[k])
            continue;
        snprintf(v->path, sizeof(v->path), "%s/%s", v->dirs[v->dir], AUDIT_FILE);
        snprintf(msg, sizeof(msg), "%" PRIu64 " records of outcome %s, but %s has %" PRIu64
                 " lines", v->chain.counts[k], outcome_names[k], file_name(v, k), v->lines[k]);
        vproblem(v, SL_AUDIT_NO_RECORD, msg);
    }
    snprintf(v->path, sizeof(v->path), "%s/summary.json", v->dirs[v->dir]);
    if (access(v->path, F_OK) != 0)
        return;
    sum = json_load_file(v->path, 0, NULL);
    if (!json_is_object(sum)) {
        vproblem(v, SL_AUDIT_NO_RECORD, "not a JSON object");
        json_decref(sum);
        return;
    }
    for (int k = 0; k < 3; k++) {
        static const char *const keys[3] = {"results", "errors", "rejects"};
        json_t *n = json_object_get(sum, keys[k]);

        if (json_is_integer(n) && (uint64_t)json_integer_value(n) == v->chain.counts[k])
            continue;
        snprintf(msg, sizeof(msg), "\"%s\" is not the audit's count %" PRIu64, keys[k],
                 v->chain.counts[k]);
        vproblem(v, SL_AUDIT_NO_RECORD, msg);
    }
    json_decref(sum);
}

/* Which output format the directory holds: by the files present. Both: a problem, and 1 (the
 * directory is not checked further: its files cannot be told apart as one run). */
static int detect_format(struct verify *v)
{
    bool has[2] = {false, false};

    for (int fmt = 0; fmt < 2; fmt++)
        for (int f = 0; f < 3; f++) {
            snprintf(v->path, sizeof(v->path), "%s/%s", v->dirs[v->dir], out_files_fmt[fmt][f]);
            has[fmt] = has[fmt] || access(v->path, F_OK) == 0;
        }
    v->mp[v->dir] = has[1];
    v->fmt[v->dir] = has[1] ? FMT_MSGPACK : FMT_JSONL;
    if (!has[1]) { /* a --dry-run directory: requests instead of results */
        snprintf(v->path, sizeof(v->path), "%s/%s", v->dirs[v->dir], out_files_fmt[FMT_JSONL][0]);
        if (access(v->path, F_OK) != 0) {
            snprintf(v->path, sizeof(v->path), "%s/%s", v->dirs[v->dir],
                     out_files_fmt[FMT_DRYRUN][0]);
            if (access(v->path, F_OK) == 0)
                v->fmt[v->dir] = FMT_DRYRUN;
        }
    }
    if (has[0] && has[1]) {
        snprintf(v->path, sizeof(v->path), "%s", v->dirs[v->dir]);
        vproblem(v, SL_AUDIT_NO_RECORD, "holds both .jsonl.zst and .msgpack.zst outputs; refusing "
                 "to verify a directory mixing two runs");
        return 1;
    }
    return 0;
}

static int verify_dir(struct verify *v)
{
    struct stat sb;
    int rc = 0;

    if (stat(v->dirs[v->dir], &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        snprintf(v->path, sizeof(v->path), "%s", v->dirs[v->dir]);
        vproblem(v, SL_AUDIT_NO_RECORD, "not a directory");
        return 0;
    }
    if ((rc = detect_format(v)) != 0)
        return rc == 1 ? 0 : rc;
    for (int f = 0; f < 3 && !rc; f++)
        rc = read_file_lines(v, f, on_out_line);
    if (rc)
        return rc;
    snprintf(v->other, sizeof(v->other), "%s/%s", v->dirs[v->dir], AUDIT_FILE);
    sl_audit_chain_init(&v->chain, v->other, v->cb, v->ud);
    rc = read_file_lines(v, 3, on_audit_line);
    v->problems += v->chain.problems;
    if (rc)
        return rc;
    check_multi(v);
    check_journal(v);
    check_counts(v);
    return 0;
}

int sl_audit_verify_dirs(const char *const *dirs, size_t ndirs, sl_audit_problem_cb cb, void *ud,
                         uint64_t *problems)
{
    struct verify *v = calloc(1, sizeof(*v));
    int rc = 0;

    if (!v)
        return -ENOMEM;
    v->mp = calloc(ndirs ? ndirs : 1, sizeof(*v->mp));
    v->fmt = calloc(ndirs ? ndirs : 1, sizeof(*v->fmt));
    if (!v->mp || !v->fmt) {
        free(v->mp);
        free(v->fmt);
        free(v);
        return -ENOMEM;
    }
    v->cb = cb;
    v->ud = ud;
    v->dirs = dirs;
    for (v->dir = 0; v->dir < ndirs && !rc; v->dir++) {
        memset(v->lines, 0, sizeof(v->lines));
        rc = verify_dir(v);
        smap_free(&v->multi);
    }
    smap_free(&v->ids);
    if (problems)
        *problems = v->problems;
    if (!rc && v->problems)
        rc = SL_ECORRUPT;
    free(v->mp);
    free(v->fmt);
    free(v);
    return rc;
}
