/* idset.c: duplicate custom_id detection in fixed memory (design and contract in idset.h).
 * Any worker thread; inserts are serialised by the input-order turn.
 *
 * Log record: u16 length (host order; the files never outlive the process), then the id bytes.
 * Index slot: u64 keyed hash (0 = empty; the hash is never 0), u64 log offset. A table holds
 * 2^k slots, linear probing, frozen at 70% full; the next one has twice the slots. A probe reads
 * the 4 KiB page holding the home slot and goes on page by page until it meets an empty slot.
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

#define PAGE 4096u
#define SLOT 16u
#define PER_PAGE (PAGE / SLOT)
#define LV0_SLOTS ((uint64_t)1 << 16)
#define LOGBUF (64u * 1024)
#define DEFAULT_FILTER ((size_t)16 << 20)

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

static int log_append(struct sl_idset *s, const char *id, size_t len, uint64_t *off)
{
    uint16_t n = (uint16_t)len;
    int rc;

    if (s->logbuf_len + sizeof(n) + len > LOGBUF && (rc = log_flush(s)))
        return rc;
    *off = s->log_flushed + s->logbuf_len;
    memcpy(s->logbuf + s->logbuf_len, &n, sizeof(n));
    memcpy(s->logbuf + s->logbuf_len + sizeof(n), id, len);
    s->logbuf_len += sizeof(n) + len;
    return 0;
}

/* Is the id logged at off exactly (id, len)? 1 yes, 0 no, negative on a read error. */
static int log_equals(struct sl_idset *s, uint64_t off, const char *id, size_t len)
{
    const char *rec;
    uint16_t n;

    if (off >= s->log_flushed) {
        rec = s->logbuf + (off - s->log_flushed);
    } else {
        size_t want = sizeof(n) + len, got = 0;

        while (got < want) {
            ssize_t r = pread(s->log_fd, s->idbuf + got, want - got, (off_t)(off + got));

            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                return -errno;
            if (r == 0)
                break; /* a shorter id at the end of the log */
            got += (size_t)r;
        }
        if (got < sizeof(n))
            return -EIO;
        rec = s->idbuf;
        if (got < want) {
            memcpy(&n, rec, sizeof(n));
            return n == len ? -EIO : 0;
        }
    }
    memcpy(&n, rec, sizeof(n));
    return n == len && memcmp(rec + sizeof(n), id, len) == 0;
}

/* ---- the on-disk tables ---- */

static int read_page(struct sl_idset *s, uint64_t byte_off)
{
    size_t got = 0;

    s->st.page_reads++;
    while (got < PAGE) {
        ssize_t r = pread(s->idx_fd, s->page + got, PAGE - got, (off_t)(byte_off + got));

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0) { /* past the end of the file: never written, so empty */
            memset(s->page + got, 0, PAGE - got);
            break;
        }
        got += (size_t)r;
    }
    return 0;
}

/* Probe table l for (h, id). Returns 1 found, 0 not found (then *free_slot is the empty slot the
 * probe stopped at, as an index in the table), negative on error. */
static int probe(struct sl_idset *s, const struct sl_idset_level *l, uint64_t h, const char *id,
                 size_t len, uint64_t *free_slot)
{
    uint64_t mask = l->nslots - 1, i = h & mask, loaded = UINT64_MAX;
    int rc;

    for (uint64_t seen = 0; seen < l->nslots; seen++, i = (i + 1) & mask) {
        uint64_t slot[2];

        if (i / PER_PAGE != loaded) { /* nslots is a multiple of PER_PAGE: whole pages */
            loaded = i / PER_PAGE;
            if ((rc = read_page(s, (l->base + loaded * PER_PAGE) * SLOT)))
                return rc;
        }
        memcpy(slot, s->page + (i % PER_PAGE) * SLOT, SLOT);
        if (slot[0] == 0) {
            *free_slot = i;
            return 0;
        }
        if (slot[0] == h && (rc = log_equals(s, slot[1], id, len)) != 0)
            return rc; /* 1, or an error */
    }
    return -ENOSPC; /* a full table: cannot happen below 70% */
}

static int new_level(struct sl_idset *s)
{
    struct sl_idset_level *prev = s->nlv ? &s->lv[s->nlv - 1] : NULL;

    if (s->nlv == SL_IDSET_LEVELS_MAX)
        return -ENOSPC;
    s->lv[s->nlv].base = prev ? prev->base + prev->nslots : 0;
    s->lv[s->nlv].nslots = prev ? prev->nslots * 2 : LV0_SLOTS;
    s->lv[s->nlv].count = 0;
    s->nlv++;
    return 0;
}

static int insert(struct sl_idset *s, const char *id, size_t len)
{
    uint64_t h = sl_idset_hash(s->seed, id, len), slot[2], free_slot = 0;
    struct sl_idset_level *cur;
    int rc;

    if (len > SL_IDSET_ID_MAX)
        return -E2BIG;
    if (bloom_add(s, h)) {
        s->st.suspects++;
        for (unsigned k = 0; k + 1 < s->nlv; k++) {
            rc = probe(s, &s->lv[k], h, id, len, &free_slot);
            if (rc)
                return rc < 0 ? rc : 0;
        }
    }
    cur = &s->lv[s->nlv - 1];
    rc = probe(s, cur, h, id, len, &free_slot); /* finds the free slot; or the id, if a suspect */
    if (rc)
        return rc < 0 ? rc : 0;
    slot[0] = h;
    if ((rc = log_append(s, id, len, &slot[1])))
        return rc;
    if (pwrite(s->idx_fd, slot, SLOT, (off_t)((cur->base + free_slot) * SLOT)) != (ssize_t)SLOT)
        return errno ? -errno : -EIO;
    cur->count++;
    s->st.ids++;
    if (cur->count * 10 >= cur->nslots * 7)
        return new_level(s) ? -ENOSPC : 1;
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

int sl_idset_open(struct sl_idset *s, const struct sl_idset_opts *o)
{
    const char *dir = o->dir ? o->dir : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    size_t fb = o->filter_bytes ? o->filter_bytes : DEFAULT_FILTER;
    int rc;

    memset(s, 0, sizeof(*s));
    s->log_fd = s->idx_fd = -1;
    atomic_init(&s->next_seq, 0);
    atomic_init(&s->sleepers, 0);
    s->seed = o->seed;
    s->seed2 = mix(o->seed ^ 0x9e3779b97f4a7c15ULL);
    s->nblocks = fb / 64 ? fb / 64 : 1;
    /* mmap: zeroed and page-aligned, and pages cost memory only once an id touches them */
    s->bloom =
        mmap(NULL, s->nblocks * 64, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s->bloom == MAP_FAILED)
        s->bloom = NULL;
    s->logbuf = malloc(LOGBUF);
    s->page = malloc(PAGE);
    s->idbuf = malloc(2 + SL_IDSET_ID_MAX);
    if (!s->bloom || !s->logbuf || !s->page || !s->idbuf) {
        rc = -ENOMEM;
        goto fail;
    }
    if ((s->log_fd = scratch_file(dir)) < 0 || (s->idx_fd = scratch_file(dir)) < 0) {
        rc = s->log_fd < 0 ? s->log_fd : s->idx_fd;
        goto fail;
    }
    if ((rc = new_level(s)))
        goto fail;
    if (pthread_mutex_init(&s->mu, NULL)) {
        rc = -ENOMEM;
        goto fail;
    }
    if (pthread_cond_init(&s->turn, NULL)) {
        pthread_mutex_destroy(&s->mu);
        rc = -ENOMEM;
        goto fail;
    }
    return 0;
fail:
    s->nlv = 0; /* tells destroy the sync objects were not made */
    sl_idset_destroy(s);
    return rc;
}

void sl_idset_destroy(struct sl_idset *s)
{
    if (s->nlv) {
        pthread_cond_destroy(&s->turn);
        pthread_mutex_destroy(&s->mu);
        s->nlv = 0;
    }
    if (s->bloom)
        munmap(s->bloom, s->nblocks * 64);
    free(s->logbuf);
    free(s->page);
    free(s->idbuf);
    s->bloom = NULL;
    s->logbuf = s->page = s->idbuf = NULL;
    if (s->log_fd >= 0)
        close(s->log_fd);
    if (s->idx_fd >= 0)
        close(s->idx_fd);
    s->log_fd = s->idx_fd = -1;
}

/* ---- turns ---- */

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* A short spin (a turn taker is usually a few microseconds from done), then sleep. Not
 * sched_yield in the spin: measured on 20k jobs it made 43,900 calls and 5.8 s of system time,
 * because the turn taker is mostly busy for tens of microseconds (parse, sanitize), not a few. */
static void wait_turn(struct sl_idset *s, uint64_t seq)
{
    for (int spin = 0; spin < 256; spin++) {
        if (atomic_load_explicit(&s->next_seq, memory_order_acquire) >= seq)
            return;
        cpu_relax();
    }
    pthread_mutex_lock(&s->mu);
    atomic_fetch_add(&s->sleepers, 1);
    while (atomic_load(&s->next_seq) < seq)
        pthread_cond_wait(&s->turn, &s->mu);
    atomic_fetch_sub(&s->sleepers, 1);
    pthread_mutex_unlock(&s->mu);
}

static void pass_turn(struct sl_idset *s, uint64_t seq)
{
    atomic_store(&s->next_seq, seq + 1);
    /* seq_cst store then load, against the sleeper's increment then load: one of the two sees
     * the other, and the broadcast under the mutex cannot fall between its check and its wait. */
    if (atomic_load(&s->sleepers)) {
        pthread_mutex_lock(&s->mu);
        pthread_cond_broadcast(&s->turn);
        pthread_mutex_unlock(&s->mu);
    }
}

int sl_idset_insert_at(struct sl_idset *s, uint64_t seq, const char *id, size_t len)
{
    int rc = 1;

    if (atomic_load(&s->next_seq) > seq)
        return -EINVAL; /* a position called twice: the contract says once */
    wait_turn(s, seq);
    if (id && s->error)
        rc = s->error;
    else if (id)
        rc = insert(s, id, len);
    if (rc < 0 && rc != -E2BIG && !s->error)
        s->error = rc;
    if (rc == 0)
        s->st.duplicates++;
    pass_turn(s, seq);
    return rc;
}

void sl_idset_stats(const struct sl_idset *s, struct sl_idset_stats *out)
{
    *out = s->st;
}
