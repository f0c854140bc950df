/* journal.c: encoding and loading of DIR/journal (format in journal.h). Pure apart from
 * sl_journal_load's reads; any thread.
 *
 * Why a CRC per record and a "continues the previous one" rule: a crash can leave a torn last
 * record, and a torn write can land garbage that happens to look like a header. The CRC catches the
 * first, the continuity rule (commit number, monotonic lengths and counts, k matching the growth)
 * makes a stale or misplaced record useless even if its CRC holds. Seqs are varint deltas after
 * sorting because a commit covers mostly consecutive positions: about one byte per job.
 */
#include "journal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- CRC-32C, reflected polynomial 0x82F63B78, table built once (a checksum, not crypto) ---- */

static uint32_t crc_table[256];
static pthread_once_t crc_once_guard;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;

        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t sl_crc32c(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *b = p;

    pthread_once(&crc_once_guard, crc_init);
    crc = ~crc;
    while (n--)
        crc = crc_table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* ---- bitmap ---- */

bool sl_bitmap_test(const struct sl_bitmap *b, uint64_t bit)
{
    uint64_t wi = bit >> 6;

    if (wi >= b->nw)
        return false;
    return (b->w[wi] >> (bit & 63)) & 1;
}

static int bitmap_grow(struct sl_bitmap *b, uint64_t bit)
{
    uint64_t need = (bit >> 6) + 1, ncap;
    uint64_t *nw;

    if (need <= b->nw)
        return 0;
    ncap = b->nw ? b->nw : 1024;
    while (ncap < need)
        ncap *= 2;
    if (ncap > SIZE_MAX / sizeof(uint64_t))
        return -ENOMEM;
    nw = realloc(b->w, (size_t)ncap * sizeof(uint64_t));
    if (!nw)
        return -ENOMEM;
    memset(nw + b->nw, 0, (size_t)(ncap - b->nw) * sizeof(uint64_t));
    b->w = nw;
    b->nw = (size_t)ncap;
    return 0;
}

int sl_bitmap_set(struct sl_bitmap *b, uint64_t bit)
{
    int rc = bitmap_grow(b, bit);
    uint64_t m = (uint64_t)1 << (bit & 63);

    if (rc)
        return rc;
    if (!(b->w[bit >> 6] & m)) {
        b->w[bit >> 6] |= m;
        b->count++;
    }
    return 0;
}

void sl_bitmap_free(struct sl_bitmap *b)
{
    free(b->w);
    b->w = NULL;
    b->nw = 0;
    b->count = 0;
}

void sl_journal_state_init(struct sl_journal_state *st)
{
    memset(st, 0, sizeof(*st));
}

void sl_journal_state_free(struct sl_journal_state *st)
{
    sl_bitmap_free(&st->done);
    sl_journal_state_init(st);
}

/* ---- little-endian helpers ---- */

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned char *put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return p + 8;
}

static uint64_t get_u64(const unsigned char **pp)
{
    const unsigned char *p = *pp;
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    *pp = p + 8;
    return v;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* The writer hands a commit's sequence numbers in arrival order: a few hundred numbers that fill
 * most of a short range (the jobs finished since the last commit), shuffled by the workers and by
 * retries. A bitmap over that range sorts them in O(n + range / 64), where qsort's merge sort was
 * ~3% of the writer's instructions (an insertion sort did not help: the order is too loose). A
 * sparse set, a wide range or a repeated number (never written by the writer, but handled) goes to
 * qsort. */
#define SORT_BITS 65536

static void sort_seqs(uint64_t *a, size_t n)
{
    uint64_t bm[SORT_BITS / 64], lo, hi, range;
    size_t i, words, k = 0;

    if (n < 2)
        return;
    lo = hi = a[0];
    for (i = 1; i < n; i++) {
        lo = a[i] < lo ? a[i] : lo;
        hi = a[i] > hi ? a[i] : hi;
    }
    range = hi - lo + 1;
    if (range == 0 || range > SORT_BITS || range / 16 > n)
        goto fallback;
    words = (size_t)((range + 63) / 64);
    memset(bm, 0, words * sizeof(bm[0]));
    for (i = 0; i < n; i++) {
        uint64_t d = a[i] - lo;

        if (bm[d / 64] & (1ULL << (d % 64)))
            goto fallback; /* a repeat: the bitmap would drop it */
        bm[d / 64] |= 1ULL << (d % 64);
    }
    for (i = 0; i < words; i++)
        for (uint64_t w = bm[i]; w; w &= w - 1)
            a[k++] = lo + 64 * i + (uint64_t)__builtin_ctzll(w);
    return;
fallback:
    qsort(a, n, sizeof(*a), cmp_u64);
}

/* ---- encode ---- */

int sl_journal_encode(const struct sl_journal_commit *c, uint64_t *seqs, size_t n,
                      struct sl_buf *out)
{
    unsigned char fixed[SL_JOURNAL_HDR + SL_JOURNAL_FIXED], *p = fixed + SL_JOURNAL_HDR;
    size_t start = out->len, plen;
    uint64_t prev = 0;
    int rc;

    if (n > (SL_JOURNAL_MAX_RECORD - SL_JOURNAL_FIXED) / 10)
        return SL_ETOOBIG; /* 10 = the longest LEB128 of a u64 */
    sort_seqs(seqs, n);
    memcpy(fixed, SL_JOURNAL_MAGIC, 4);
    p = put_u64(p, c->commit_no);
    for (int i = 0; i < SL_JF__COUNT; i++)
        p = put_u64(p, c->file_len[i]);
    p = put_u64(p, c->audit_n);
    memcpy(p, c->audit_hash, 32);
    p += 32;
    for (int i = 0; i < 3; i++)
        p = put_u64(p, c->counts[i]);
    put_u64(p, (uint64_t)n);
    rc = sl_buf_append(out, fixed, sizeof(fixed));
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        unsigned char v[10];
        uint64_t d = seqs[i] - prev;
        size_t k = 0;

        prev = seqs[i];
        do {
            v[k] = (unsigned char)(d & 0x7f);
            d >>= 7;
            if (d)
                v[k] |= 0x80;
            k++;
        } while (d);
        rc = sl_buf_append(out, v, k);
        if (rc) {
            out->len = start;
            return rc;
        }
    }
    plen = out->len - start - SL_JOURNAL_HDR;
    put_u32((unsigned char *)out->p + start + 4, (uint32_t)plen);
    put_u32((unsigned char *)out->p + start + 8,
            sl_crc32c(sl_crc32c(0, out->p + start + 4, 4), out->p + start + SL_JOURNAL_HDR, plen));
    return 0;
}

/* ---- decode ---- */

/* Read one varint; false if it runs past end or over 64 bits. */
static bool get_varint(const unsigned char **pp, const unsigned char *end, uint64_t *v)
{
    const unsigned char *p = *pp;
    uint64_t x = 0;

    for (int shift = 0; shift < 64 && p < end; shift += 7) {
        unsigned char b = *p++;

        if (shift == 63 && (b & 0x7e))
            return false;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *v = x;
            return true;
        }
    }
    return false;
}

/* Check the payload's varints against k and max_seq; return the largest seq in *maxv. */
static bool check_seqs(const unsigned char *p, const unsigned char *end, uint64_t k,
                       uint64_t max_seq, uint64_t *maxv)
{
    uint64_t cur = 0;

    for (uint64_t i = 0; i < k; i++) {
        uint64_t d;

        if (!get_varint(&p, end, &d) || d >= max_seq || cur + d >= max_seq)
            return false;
        cur += d;
    }
    *maxv = cur;
    return p == end;
}

static bool continues(const struct sl_journal_commit *prev, const struct sl_journal_commit *c,
                      uint64_t k)
{
    uint64_t sum_prev = 0, sum = 0;

    if (c->commit_no != prev->commit_no + 1)
        return false;
    for (int i = 0; i < SL_JF__COUNT; i++)
        if (c->file_len[i] < prev->file_len[i])
            return false;
    for (int i = 0; i < 3; i++) {
        if (c->counts[i] < prev->counts[i])
            return false;
        sum_prev += prev->counts[i];
        sum += c->counts[i];
    }
    return sum >= sum_prev && sum - sum_prev == k && c->audit_n >= prev->audit_n &&
           c->audit_n - prev->audit_n == k;
}

/* Validate one record (hdr: its 12 header bytes, pl: its payload) and apply it to st. Returns 1 if
 * applied, 0 if invalid, -ENOMEM. */
static int apply_record(struct sl_journal_state *st, const unsigned char *hdr,
                        const unsigned char *pl, uint32_t plen, uint64_t max_seq)
{
    const unsigned char *p = pl, *end = pl + plen;
    struct sl_journal_commit c;
    uint64_t k, maxv = 0, cur = 0;
    uint32_t crc;
    int rc;

    crc = sl_crc32c(0, hdr + 4, 4);
    crc = sl_crc32c(crc, pl, plen);
    if (crc != get_u32(hdr + 8))
        return 0;
    c.commit_no = get_u64(&p);
    for (int i = 0; i < SL_JF__COUNT; i++)
        c.file_len[i] = get_u64(&p);
    c.audit_n = get_u64(&p);
    memcpy(c.audit_hash, p, 32);
    p += 32;
    for (int i = 0; i < 3; i++)
        c.counts[i] = get_u64(&p);
    k = get_u64(&p);
    if (!continues(&st->last, &c, k) || !check_seqs(p, end, k, max_seq, &maxv))
        return 0;
    if (k > 0) {
        rc = bitmap_grow(&st->done, maxv);
        if (rc)
            return rc;
    }
    for (uint64_t i = 0; i < k; i++) {
        uint64_t d = 0;

        get_varint(&p, end, &d); /* checked above */
        cur += d;
        rc = sl_bitmap_set(&st->done, cur);
        if (rc)
            return rc;
    }
    st->last = c;
    st->records++;
    st->valid_len += SL_JOURNAL_HDR + (uint64_t)plen;
    return 1;
}

static bool header_ok(const unsigned char *hdr, uint32_t *plen)
{
    *plen = get_u32(hdr + 4);
    return memcmp(hdr, SL_JOURNAL_MAGIC, 4) == 0 && *plen >= SL_JOURNAL_FIXED &&
           *plen <= SL_JOURNAL_MAX_RECORD;
}

int sl_journal_parse(const uint8_t *p, size_t n, uint64_t max_seq, struct sl_journal_state *st)
{
    size_t off = 0;

    while (n - off >= SL_JOURNAL_HDR) {
        uint32_t plen;
        int rc;

        if (!header_ok(p + off, &plen) || n - off - SL_JOURNAL_HDR < plen)
            break;
        rc = apply_record(st, p + off, p + off + SL_JOURNAL_HDR, plen, max_seq);
        if (rc <= 0)
            return rc;
        off += SL_JOURNAL_HDR + plen;
    }
    return 0;
}

/* pread exactly n bytes; returns bytes read (< n at end of file) or -errno. */
static ssize_t pread_full(int fd, void *buf, size_t n, uint64_t off)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

int sl_journal_load(int fd, uint64_t max_seq, struct sl_journal_state *st)
{
    unsigned char hdr[SL_JOURNAL_HDR];
    unsigned char *pl = NULL;
    size_t cap = 0;
    int rc = 0;

    for (;;) {
        uint32_t plen;
        ssize_t r = pread_full(fd, hdr, sizeof(hdr), st->valid_len);

        if (r < 0) {
            rc = (int)r;
            break;
        }
        if ((size_t)r < sizeof(hdr) || !header_ok(hdr, &plen))
            break;
        if (plen > cap) {
            unsigned char *np = realloc(pl, plen);

            if (!np) {
                rc = -ENOMEM;
                break;
            }
            pl = np;
            cap = plen;
        }
        r = pread_full(fd, pl, plen, st->valid_len + SL_JOURNAL_HDR);
        if (r < 0) {
            rc = (int)r;
            break;
        }
        if ((size_t)r < plen)
            break;
        rc = apply_record(st, hdr, pl, plen, max_seq);
        if (rc <= 0)
            break;
        rc = 0;
    }
    free(pl);
    return rc < 0 ? rc : 0;
}
