/* idset.c: duplicate custom_id detection in fixed memory (design and contract in idset.h).
 * One caller at a time, in input order (work.c's admission, inorder.h, guarantees both).
 *
 * Log record (host order, unaligned; the file never outlives the process): u64 previous record
 * of the same bucket (its offset + 1; 0 = none), u64 keyed hash, u16 length, the id bytes. A
 * record is either wholly in the write buffer or wholly on disk (the buffer is written whole).
 */
#include "idset.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fsutil.h"

#define REC_HDR 18u /* prev, hash, length */
#define LOGBUF (64u * 1024)
#define DEFAULT_FILTER ((size_t)8 << 20)
#define DEFAULT_HEADS ((size_t)8 << 20)

uint64_t sl_idset_hash(uint64_t seed, const char *p, size_t n)
{
    /* FNV-1a over the bytes, then a murmur3 finaliser so that the low bits index well. */
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h ? h : 1;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* ---- the filter: 512-bit blocks, 8 bits per id inside one block (one cache line) ---- */

static uint64_t *bloom_block(const struct sl_idset *s, uint64_t h, uint64_t *h2)
{
    uint64_t b = mix(h ^ s->seed2);

    *h2 = mix(b);
    return s->bloom + 8 * (uint64_t)(((unsigned __int128)b * s->nblocks) >> 64);
}

/* Set the id's bits; true if they were all set already (a suspect). */
static bool bloom_add(struct sl_idset *s, uint64_t h)
{
    uint64_t h2, *blk = bloom_block(s, h, &h2);
    bool all = true;

    uint64_t step = mix(h2) | 1;

    for (int i = 0; i < 8; i++) { /* double hashing: bit i = top 9 bits of h2 + i * step */
        unsigned bit = (unsigned)((h2 + (uint64_t)i * step) >> 55);
        uint64_t m = (uint64_t)1 << (bit & 63);

        all = all && (blk[bit >> 6] & m);
        blk[bit >> 6] |= m;
    }
    return all;
}

/* ---- the log ---- */

static int log_flush(struct sl_idset *s)
{
    int rc;

    if (!s->logbuf_len)
        return 0;
    rc = sl_fs_write_all(s->log_fd, s->logbuf, s->logbuf_len);
    if (rc)
        return rc;
    s->log_flushed += s->logbuf_len;
    s->logbuf_len = 0;
    return 0;
}

/* Append (prev, h, id) to the log; *off = where the record starts. */
static int log_append(struct sl_idset *s, uint64_t prev, uint64_t h, const char *id, size_t len,
                      uint64_t *off)
{
    uint16_t n = (uint16_t)len;
    char *p;
    int rc;

    if (s->logbuf_len + REC_HDR + len > LOGBUF && (rc = log_flush(s)))
        return rc;
    *off = s->log_flushed + s->logbuf_len;
    p = s->logbuf + s->logbuf_len;
    memcpy(p, &prev, 8);
    memcpy(p + 8, &h, 8);
    memcpy(p + 16, &n, 2);
    memcpy(p + REC_HDR, id, len);
    s->logbuf_len += REC_HDR + len;
    return 0;
}

/* The record at off: from the write buffer, or one pread of its header and (at most) len id
 * bytes, enough to compare it with an id of length len. *rec points at it; *got = bytes there.
 * 0 or negative on a read error. */
static int log_record(struct sl_idset *s, uint64_t off, size_t len, const char **rec, size_t *got)
{
    size_t want = REC_HDR + len;

    if (off >= s->log_flushed) {
        *rec = s->logbuf + (off - s->log_flushed);
        *got = want; /* the whole record is in the buffer; bytes past it are unread */
        return 0;
    }
    s->st.log_reads++;
    *rec = s->recbuf;
    *got = 0;
    while (*got < want) {
        ssize_t r = pread(s->log_fd, s->recbuf + *got, want - *got, (off_t)(off + *got));

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break; /* a shorter record at the end of the file */
        *got += (size_t)r;
    }
    return *got < REC_HDR ? -EIO : 0;
}

/* Walk the bucket's chain from its head for (h, id). 1 found, 0 not, negative on error. */
static int chain_find(struct sl_idset *s, uint64_t head, uint64_t h, const char *id, size_t len)
{
    uint64_t steps = 0;

    while (head) {
        const char *rec = s->recbuf;
        uint64_t prev, rh;
        uint16_t n;
        size_t got = 0;
        int rc;

        if (head - 1 >= s->log_flushed + s->logbuf_len || ++steps > s->st.ids)
            return -EIO; /* a chain pointing past the log, or looping: corruption */
        if ((rc = log_record(s, head - 1, len, &rec, &got)))
            return rc;
        s->st.chain_steps++;
        memcpy(&prev, rec, 8);
        memcpy(&rh, rec + 8, 8);
        memcpy(&n, rec + 16, 2);
        if (rh == h && n == len) {
            if (got < REC_HDR + len)
                return -EIO; /* the file ends inside the record */
            if (memcmp(rec + REC_HDR, id, len) == 0)
                return 1;
        }
        if (prev >= head)
            return -EIO; /* a chain only goes back in the log */
        head = prev;
    }
    return 0;
}

static int insert(struct sl_idset *s, const char *id, size_t len)
{
    uint64_t h = sl_idset_hash(s->seed, id, len), *head, off;
    int rc;

    if (len > SL_IDSET_ID_MAX)
        return -E2BIG;
    head = &s->heads[s->head_shift < 64 ? h >> s->head_shift : 0];
    if (bloom_add(s, h)) {
        s->st.suspects++;
        if ((rc = chain_find(s, *head, h, id, len)))
            return rc < 0 ? rc : 0;
    }
    if ((rc = log_append(s, *head, h, id, len, &off)))
        return rc;
    *head = off + 1;
    s->st.ids++;
    return 1;
}

/* ---- open / destroy ---- */

static int scratch_file(const char *dir)
{
    char path[4096];
    int fd;

    fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    /* No O_TMPFILE on this file system: a named file, unlinked at once. */
    snprintf(path, sizeof(path), "%s/.sluice-ids.XXXXXX", dir);
    fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0)
        return -errno;
    unlink(path);
    return fd;
}

/* Both tables are read before they are written (a filter probe, a bucket head), so with 4 KiB
 * pages a page's first touch maps the shared zero page and the write right after replaces it: a
 * copy-on-write fault whose TLB flush interrupts the other CPU (per-thread kernel profiles of a
 * 100k-job run: the workers' largest kernel cost, ~4,000 such faults, smp_call_function_many_cond).
 * Transparent huge pages make that a handful of 2 MiB faults. Memory still comes as ids touch it,
 * in 2 MiB steps: at most the tables' 16 MiB, which a large run touches anyway. Advice only: where
 * THP is off this does nothing. */
static void huge_pages(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    if (p)
        (void)madvise(p, n, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

int sl_idset_open(struct sl_idset *s, const struct sl_idset_opts *o)
{
    const char *dir = o->dir ? o->dir : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    size_t fb = o->filter_bytes ? o->filter_bytes : DEFAULT_FILTER;
    size_t hb = o->heads_bytes ? o->heads_bytes : DEFAULT_HEADS;
    unsigned k = 0;
    int rc;

    memset(s, 0, sizeof(*s));
    s->log_fd = -1;
    s->seed = o->seed;
    s->seed2 = mix(o->seed ^ 0x9e3779b97f4a7c15ULL);
    s->nblocks = fb / 64 ? fb / 64 : 1;
    while (k < 40 && ((uint64_t)8 << (k + 1)) <= hb)
        k++;
    s->nheads = (uint64_t)1 << k;
    s->head_shift = 64 - k;
    /* mmap: zeroed and page-aligned, and pages cost memory only once an id touches them */
    s->bloom =
        mmap(NULL, s->nblocks * 64, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s->bloom == MAP_FAILED)
        s->bloom = NULL;
    s->heads = mmap(NULL, s->nheads * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                    0);
    if (s->heads == MAP_FAILED)
        s->heads = NULL;
    huge_pages(s->bloom, s->nblocks * 64);
    huge_pages(s->heads, s->nheads * 8);
    s->logbuf = malloc(LOGBUF);
    s->recbuf = malloc(REC_HDR + SL_IDSET_ID_MAX);
    if (!s->bloom || !s->heads || !s->logbuf || !s->recbuf) {
        rc = -ENOMEM;
        goto fail;
    }
    if ((s->log_fd = scratch_file(dir)) < 0) {
        rc = s->log_fd;
        goto fail;
    }
    return 0;
fail:
    sl_idset_destroy(s);
    return rc;
}

void sl_idset_destroy(struct sl_idset *s)
{
    if (s->bloom)
        munmap(s->bloom, s->nblocks * 64);
    if (s->heads)
        munmap(s->heads, s->nheads * 8);
    free(s->logbuf);
    free(s->recbuf);
    s->bloom = s->heads = NULL;
    s->logbuf = s->recbuf = NULL;
    if (s->log_fd >= 0)
        close(s->log_fd);
    s->log_fd = -1;
}

int sl_idset_insert_at(struct sl_idset *s, uint64_t seq, const char *id, size_t len)
{
    int rc = 1;

    if (seq != s->next_seq)
        return -EINVAL; /* out of input order, or a position twice: the caller's contract */
    if (id && s->error)
        rc = s->error;
    else if (id)
        rc = insert(s, id, len);
    if (rc < 0 && rc != -E2BIG && !s->error)
        s->error = rc;
    if (rc == 0)
        s->st.duplicates++;
    s->next_seq = seq + 1;
    return rc;
}

void sl_idset_stats(const struct sl_idset *s, struct sl_idset_stats *out)
{
    *out = s->st;
}
