/* writer.c: the output directory on its own thread (contract in writer.h).
 *
 * Ownership: the writer owns every file descriptor of DIR, one ZSTD_CCtx per output file, the
 * queue and the records in it. Threads: sl_writer_push runs on any thread; everything else after
 * sl_writer_open (compression, writes, syncs, the journal, on_commit) runs on the writer thread.
 * The mutex guards the queue, the sticky error and the committed counts; the done bitmap is
 * frozen at open and read without a lock.
 *
 * Commit protocol: end the current zstd frame of every file that got data, write(2) everything,
 * fdatasync each touched file, then append the journal record and fdatasync the journal. A crash
 * anywhere before the journal's sync leaves the previous commit as the truth and a tail that resume
 * cuts off; a crash after it has nothing to redo. We could have synced the journal only (data in
 * the same record), but then every reader of results would need the journal: frames keep the
 * .zst files plain zstdcat-able files.
 *
 * Errors: the first write/sync failure (ENOSPC, EDQUOT, EFBIG, EIO, ...) becomes sticky: pending
 * records are dropped (never claimed by the journal, so a resume redoes them), pushes fail with it
 * and close returns it. SIGXFSZ is set to ignored if it still has its default action, so hitting
 * RLIMIT_FSIZE is an EFBIG and not a dead process.
 */
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "audit.h"
#include "fsutil.h"
#include "journal.h"

#define BATCH 256
#define FLUSH_BYTES ((size_t)1 << 20) /* write compressed bytes early past this, frame or not */
/* Lines are gathered uncompressed up to this (zstd's block size) and fed to zstd in one call:
 * two ZSTD_compressStream2 calls a line (the line, then its '\n') cost ~1.3k instructions a job
 * before any compressing; zstd buffers its input up to a block anyway. */
#define STAGE_BYTES ((size_t)128 << 10)

static const char *const file_names[2][SL_JF__COUNT] = {
    {"results.jsonl.zst", "errors.jsonl.zst", "rejects.jsonl.zst", "audit.jsonl.zst"},
    {"results.msgpack.zst", "errors.msgpack.zst", "rejects.msgpack.zst", "audit.jsonl.zst"}};

/* File i's name: opts.results_name (dry-run's requests.jsonl.zst) replaces the results file. */
#define FNAME(w, i)                                                                                \
    ((i) == 0 && (w)->o.results_name ? (w)->o.results_name : file_names[(w)->o.msgpack][i])

struct wfile {
    int fd;
    ZSTD_CCtx *cctx;
    uint64_t pos;      /* bytes written to the file (durable or not) */
    bool in_frame;     /* data fed since the last frame end */
    bool touched;      /* bytes written since the last commit */
    struct sl_buf out; /* compressed bytes not written yet */
    struct sl_buf stage; /* lines not fed to zstd yet (part of the current frame) */
};

/* A queued record: a copy of the caller's struct, its strings and its line stored after it. */
struct qrec {
    struct sl_out_rec r;
    char strs[];
};

struct sl_writer {
    struct sl_writer_opts o;
    int dirfd, lock_fd, jfd;
    struct wfile f[SL_JF__COUNT];
    struct sl_journal_commit cur; /* the last durable commit */
    unsigned char chain[32];      /* hash of the last audit line written (pending ones too) */
    uint64_t audit_n;
    uint64_t pend_counts[SL_OUT__COUNT];
    uint64_t *pend;
    size_t npend, pend_cap;
    struct timespec first_pend; /* CLOCK_MONOTONIC time the oldest pending record arrived */
    struct timespec last_commit; /* CLOCK_MONOTONIC end of the last commit (zero: none yet) */
    struct sl_buf line, jbuf;
    struct sl_audit_hasher hasher; /* the audit chain's SHA-256, writer thread only */
    struct sl_bitmap done;
    uint64_t done_before;
    unsigned char key[32];

    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    struct qrec **q;
    size_t qcap, qhead, qlen;
    bool gap_wait; /* the writer sleeps until a commit is due: pushes need not wake it */
    bool stopping;
    int sticky;
    uint64_t counts[SL_OUT__COUNT]; /* committed */
    pthread_t thr;
    bool thr_started, sync_ready;
};

/* ---- helpers ---- */

static void set_sticky(struct sl_writer *w, int rc)
{
    pthread_mutex_lock(&w->mu);
    if (!w->sticky)
        w->sticky = rc;
    pthread_cond_broadcast(&w->not_full);
    pthread_mutex_unlock(&w->mu);
}

static int64_t ms_since(const struct timespec *a, const struct timespec *b)
{
    return (int64_t)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static void free_qrec(struct qrec *q)
{
    if (!q)
        return;
    free(q); /* the line is part of it */
}

/* Feed src to f's stream with the given directive; output collects in f->out. */
static int zfeed(struct wfile *f, const void *src, size_t n, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = {src, n, 0};
    size_t left;

    do {
        ZSTD_outBuffer o;
        int rc = sl_buf_reserve(&f->out, ZSTD_CStreamOutSize());

        if (rc)
            return rc;
        o.dst = f->out.p + f->out.len;
        o.size = f->out.cap - f->out.len - 1;
        o.pos = 0;
        left = ZSTD_compressStream2(f->cctx, &o, &in, mode);
        if (ZSTD_isError(left))
            return SL_EIO;
        f->out.len += o.pos;
    } while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
    return 0;
}

static int flush_file(struct wfile *f)
{
    int rc;

    if (f->out.len == 0)
        return 0;
    rc = sl_fs_write_all(f->fd, f->out.p, f->out.len);
    if (rc)
        return rc;
    f->pos += f->out.len;
    f->touched = true;
    sl_buf_reset(&f->out);
    return 0;
}

/* ---- the writer thread ---- */

/* The staged lines go into the current frame. */
static int feed_stage(struct wfile *f)
{
    int rc = f->stage.len ? zfeed(f, f->stage.p, f->stage.len, ZSTD_e_continue) : 0;

    sl_buf_reset(&f->stage);
    return rc;
}

static int add_line(struct sl_writer *w, int file, const char *p, size_t n)
{
    struct wfile *f = &w->f[file];
    int rc = 0;

    if (f->stage.len && f->stage.len + n + 1 > STAGE_BYTES)
        rc = feed_stage(f);
    if (!rc)
        rc = n >= STAGE_BYTES ? zfeed(f, p, n, ZSTD_e_continue) : sl_buf_append(&f->stage, p, n);
    /* A msgpack record delimits itself; JSONL lines (and the audit file, always) end in '\n'. */
    if (!rc && !(w->o.msgpack && file != SL_JF_AUDIT))
        rc = sl_buf_append(&f->stage, "\n", 1);
    f->in_frame = true;
    if (!rc && f->stage.len >= STAGE_BYTES)
        rc = feed_stage(f);
    if (!rc && f->out.len >= FLUSH_BYTES)
        rc = flush_file(f);
    return rc;
}

static int handle(struct sl_writer *w, struct qrec *q)
{
    struct timespec now;
    int rc;

    rc = add_line(w, q->r.kind, q->r.line ? q->r.line : "", q->r.line ? q->r.line_len : 0);
    if (rc)
        return rc;
    clock_gettime(CLOCK_REALTIME, &now);
    sl_buf_reset(&w->line);
    rc = sl_audit_format(&w->line, w->audit_n, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000,
                         &q->r, w->chain);
    if (rc)
        return rc;
    rc = add_line(w, SL_JF_AUDIT, w->line.p, w->line.len);
    if (rc)
        return rc;
    sl_audit_hasher_hash(&w->hasher, w->line.p, w->line.len, w->chain);
    w->audit_n++;
    if (w->npend == w->pend_cap) {
        size_t ncap = w->pend_cap ? w->pend_cap * 2 : 1024;
        uint64_t *np = realloc(w->pend, ncap * sizeof(*np));

        if (!np)
            return -ENOMEM;
        w->pend = np;
        w->pend_cap = ncap;
    }
    if (w->npend == 0)
        clock_gettime(CLOCK_MONOTONIC, &w->first_pend);
    w->pend[w->npend++] = q->r.seq;
    w->pend_counts[q->r.kind]++;
    return 0;
}

static int commit(struct sl_writer *w)
{
    struct sl_journal_commit c = w->cur;
    int rc = 0;

    for (int i = 0; i < SL_JF__COUNT && !rc; i++) {
        struct wfile *f = &w->f[i];

        /* A file with nothing in it yet gets an empty frame, so that it is a valid zstd file that
         * zstdcat reads as empty rather than an error. */
        if (f->in_frame || f->pos == 0) {
            rc = zfeed(f, f->stage.p, f->stage.len, ZSTD_e_end);
            sl_buf_reset(&f->stage);
            f->touched = true;
        }
        f->in_frame = false;
        if (!rc)
            rc = flush_file(f);
    }
    for (int i = 0; i < SL_JF__COUNT && !rc; i++) {
        if (w->f[i].touched && w->o.fsync)
            rc = sl_fs_sync(w->f[i].fd, true);
        w->f[i].touched = false;
        c.file_len[i] = w->f[i].pos;
    }
    if (rc)
        return rc;
    c.commit_no++;
    c.audit_n = w->audit_n;
    memcpy(c.audit_hash, w->chain, 32);
    for (int k = 0; k < SL_OUT__COUNT; k++)
        c.counts[k] += w->pend_counts[k];
    sl_buf_reset(&w->jbuf);
    rc = sl_journal_encode(&c, w->pend, w->npend, &w->jbuf);
    if (!rc)
        rc = sl_fs_write_all(w->jfd, w->jbuf.p, w->jbuf.len);
    if (!rc && w->o.fsync)
        rc = sl_fs_sync(w->jfd, true);
    if (rc)
        return rc;
    w->cur = c;
    pthread_mutex_lock(&w->mu);
    memcpy(w->counts, c.counts, sizeof(w->counts));
    pthread_mutex_unlock(&w->mu);
    if (w->o.on_commit)
        w->o.on_commit(w->o.ud, w->pend, w->npend, c.counts);
    w->npend = 0;
    memset(w->pend_counts, 0, sizeof(w->pend_counts));
    clock_gettime(CLOCK_MONOTONIC, &w->last_commit);
    return 0;
}

/* A group commit may start: the gap since the last commit has passed (or there was none). */
static bool gap_passed(const struct sl_writer *w)
{
    struct timespec now;

    if (!w->o.group_gap_ms || (w->last_commit.tv_sec == 0 && w->last_commit.tv_nsec == 0))
        return true;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return ms_since(&w->last_commit, &now) >= (int64_t)w->o.group_gap_ms;
}

static void add_ms(struct timespec *t, unsigned ms)
{
    t->tv_sec += ms / 1000;
    t->tv_nsec += (long)(ms % 1000) * 1000000;
    if (t->tv_nsec >= 1000000000) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000;
    }
}

static bool due(const struct sl_writer *w)
{
    struct timespec now;

    if (w->npend == 0)
        return false;
    if (w->npend >= w->o.commit_records)
        return true;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return ms_since(&w->first_pend, &now) >= (int64_t)w->o.commit_ms;
}

/* Group commit: nothing more is queued (takes mu; called without it). */
static bool dry(struct sl_writer *w)
{
    bool empty;

    pthread_mutex_lock(&w->mu);
    empty = w->qlen == 0;
    pthread_mutex_unlock(&w->mu);
    return empty;
}

/* Wait (mu held) for records, the stop flag, or the pending records' commit deadline. */
static void wait_work(struct sl_writer *w)
{
    while (w->qlen == 0 && !w->stopping) {
        struct timespec dl = w->first_pend;

        if (w->npend == 0) {
            pthread_cond_wait(&w->not_empty, &w->mu);
            continue;
        }
        if (due(w) || (w->o.group_commit && gap_passed(w)))
            return;
        add_ms(&dl, w->o.commit_ms);
        if (w->o.group_commit) {
            struct timespec g = w->last_commit;

            add_ms(&g, w->o.group_gap_ms);
            if (g.tv_sec < dl.tv_sec || (g.tv_sec == dl.tv_sec && g.tv_nsec < dl.tv_nsec))
                dl = g;
        }
        w->gap_wait = w->o.group_commit;
        pthread_cond_timedwait(&w->not_empty, &w->mu, &dl);
        w->gap_wait = false;
    }
}

/* Process a popped batch; after the first error every record is dropped (freed). */
static void process(struct sl_writer *w, struct qrec **batch, size_t n, int *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!*err)
            *err = handle(w, batch[i]);
        free_qrec(batch[i]);
        if (!*err && w->npend >= w->o.commit_records)
            *err = commit(w);
        if (*err && w->npend) {
            w->npend = 0; /* dropped: the journal never claims them, resume redoes them */
            memset(w->pend_counts, 0, sizeof(w->pend_counts));
        }
    }
}

static void *writer_main(void *arg)
{
    struct sl_writer *w = arg;
    struct qrec *batch[BATCH];
    int err = 0;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        size_t n = 0;
        bool stop;

        wait_work(w);
        while (w->qlen > 0 && n < BATCH) {
            batch[n++] = w->q[w->qhead];
            w->qhead = (w->qhead + 1) % w->qcap;
            w->qlen--;
        }
        if (n)
            pthread_cond_broadcast(&w->not_full);
        stop = w->stopping && w->qlen == 0;
        pthread_mutex_unlock(&w->mu);

        process(w, batch, n, &err);
        if (!err && (due(w) || (stop && w->npend) || (w->npend && w->o.group_commit && gap_passed(w) && dry(w))))
            err = commit(w);
        if (err) {
            set_sticky(w, err);
            w->npend = 0;
        }
        pthread_mutex_lock(&w->mu);
        if (stop && w->qlen == 0)
            break;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- push / counts ---- */

static size_t slen(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static const char *scopy(char **dst, const char *s)
{
    char *p = *dst;
    size_t n = slen(s);

    if (!s)
        return NULL;
    memcpy(p, s, n);
    *dst += n;
    return p;
}

int sl_writer_push(struct sl_writer *w, struct sl_out_rec *r)
{
    size_t extra = slen(r->custom_id) + slen(r->model) + slen(r->endpoint) + slen(r->error_code);
    struct qrec *q;
    char *p;
    int rc;

    if (r->kind < 0 || r->kind >= SL_OUT__COUNT) {
        free(r->line);
        r->line = NULL;
        return SL_ECONFIG;
    }
    /* The line is copied in too, and the caller's buffer freed here, on the thread that allocated
     * it: one allocation crosses to the writer thread instead of two (each one a free into another
     * thread's malloc arena, under its lock, and a cold malloc for the next job's line). */
    q = r->line_len < SIZE_MAX - sizeof(*q) - extra ? malloc(sizeof(*q) + extra + r->line_len)
                                                      : NULL;
    if (!q) {
        free(r->line);
        r->line = NULL;
        return -ENOMEM;
    }
    q->r = *r;
    p = q->strs;
    q->r.custom_id = scopy(&p, r->custom_id);
    q->r.model = scopy(&p, r->model);
    q->r.endpoint = scopy(&p, r->endpoint);
    q->r.error_code = scopy(&p, r->error_code);
    if (r->line) {
        memcpy(p, r->line, r->line_len);
        q->r.line = p;
    }
    free(r->line); /* as the writer did: lines are not wiped (they are what the outputs hold) */
    r->line = NULL;

    pthread_mutex_lock(&w->mu);
    while (w->qlen == w->qcap && !w->sticky && !w->stopping)
        pthread_cond_wait(&w->not_full, &w->mu);
    rc = w->sticky ? w->sticky : w->stopping ? SL_ECONFIG : 0;
    if (!rc) {
        w->q[(w->qhead + w->qlen) % w->qcap] = q;
        w->qlen++;
        /* A writer waiting out the commit gap takes the queue when it wakes; only a filling queue
         * calls it early (one wake-up per commit instead of one per record). */
        if (!w->gap_wait || w->qlen >= BATCH)
            pthread_cond_signal(&w->not_empty);
    }
    pthread_mutex_unlock(&w->mu);
    if (rc)
        free_qrec(q);
    return rc;
}

void sl_writer_counts(const struct sl_writer *w, uint64_t counts[SL_OUT__COUNT])
{
    struct sl_writer *mw = (struct sl_writer *)w; /* the mutex is not part of the value */

    pthread_mutex_lock(&mw->mu);
    memcpy(counts, w->counts, sizeof(w->counts));
    pthread_mutex_unlock(&mw->mu);
}

bool sl_writer_is_done(const struct sl_writer *w, uint64_t seq)
{
    return sl_bitmap_test(&w->done, seq);
}

uint64_t sl_writer_done_before(const struct sl_writer *w)
{
    return w->done_before;
}

int sl_writer_audit_key(const struct sl_writer *w, unsigned char key[32])
{
    memcpy(key, w->key, 32);
    return 0;
}

/* ---- open / close ---- */

static bool exists_at(int dirfd, const char *name)
{
    return faccessat(dirfd, name, F_OK, 0) == 0;
}

static int read_key(int dirfd, unsigned char key[32], struct sl_err *err)
{
    unsigned char extra;
    ssize_t r;
    int fd = openat(dirfd, "audit.key", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    do
        r = read(fd, key, 32);
    while (r < 0 && errno == EINTR);
    if (r == 32 && read(fd, &extra, 1) != 0)
        r = -1; /* longer than a key */
    close(fd);
    if (r != 32)
        return sl_err_set(err, SL_ECORRUPT, "", "audit.key is not exactly 32 bytes");
    return 0;
}

/* Create audit.key: 32 random bytes, 0600, through a temporary file and a rename. */
static int create_key(int dirfd, unsigned char key[32], struct sl_err *err)
{
    size_t got = 0;
    int fd, rc;

    while (got < 32) {
        ssize_t r = getrandom(key + got, 32 - got, 0);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return sl_err_set(err, -errno, "", "getrandom failed for audit.key");
        got += (size_t)r;
    }
    fd = openat(dirfd, "audit.key.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return sl_err_set(err, -errno, "", "cannot create audit.key");
    rc = sl_fs_write_all(fd, key, 32);
    if (!rc)
        rc = sl_fs_sync(fd, false);
    close(fd);
    if (!rc && renameat(dirfd, "audit.key.tmp", dirfd, "audit.key") != 0)
        rc = -errno;
    if (!rc)
        rc = sl_fs_sync(dirfd, false);
    if (rc)
        return sl_err_set(err, rc, "", "cannot write audit.key: %s", sl_strerror(rc));
    return 0;
}

static int lock_dir(struct sl_writer *w, struct sl_err *err)
{
    w->lock_fd = openat(w->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (w->lock_fd < 0)
        return sl_err_set(err, -errno, "", "cannot open %s/lock: %s", w->o.dir, strerror(errno));
    if (flock(w->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return sl_err_set(err, SL_ECONFIG, "", "another sluice run holds %s", w->o.dir);
        return sl_err_set(err, -errno, "", "cannot lock %s/lock: %s", w->o.dir, strerror(errno));
    }
    return 0;
}

/* Load the journal (resume) and cut it after its last valid record. */
static int recover_journal(struct sl_writer *w, struct sl_err *err)
{
    struct sl_journal_state st;
    int rc;

    w->jfd = openat(w->dirfd, "journal", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (w->jfd < 0)
        return sl_err_set(err, -errno, "", "cannot open %s/journal: %s", w->o.dir,
                          strerror(errno));
    sl_journal_state_init(&st);
    if (w->o.resume) {
        rc = sl_journal_load(w->jfd, SL_JOURNAL_MAX_SEQ, &st);
        if (rc) {
            sl_journal_state_free(&st);
            return sl_err_set(err, rc, "", "cannot load %s/journal: %s", w->o.dir,
                              sl_strerror(rc));
        }
    }
    if (ftruncate(w->jfd, (off_t)st.valid_len) != 0 ||
        lseek(w->jfd, (off_t)st.valid_len, SEEK_SET) < 0) {
        rc = -errno;
        sl_journal_state_free(&st);
        return sl_err_set(err, rc, "", "cannot truncate %s/journal: %s", w->o.dir,
                          sl_strerror(rc));
    }
    w->cur = st.last;
    w->done = st.done; /* moved */
    w->done_before = st.done.count;
    memcpy(w->chain, st.last.audit_hash, 32);
    w->audit_n = st.last.audit_n;
    memcpy(w->counts, st.last.counts, sizeof(w->counts));
    return 0;
}

static int open_file(struct sl_writer *w, int i, struct sl_err *err)
{
    struct wfile *f = &w->f[i];
    uint64_t len = w->cur.file_len[i];
    struct stat sb;

    f->fd = openat(w->dirfd, FNAME(w, i), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (f->fd < 0 || fstat(f->fd, &sb) != 0)
        return sl_err_set(err, -errno, "", "cannot open %s/%s: %s", w->o.dir, FNAME(w, i),
                          strerror(errno));
    if ((uint64_t)sb.st_size < len)
        return sl_err_set(err, SL_ECORRUPT, "",
                          "%s/%s is shorter than its journal says: committed data was lost",
                          w->o.dir, FNAME(w, i));
    if (ftruncate(f->fd, (off_t)len) != 0 || lseek(f->fd, (off_t)len, SEEK_SET) < 0)
        return sl_err_set(err, -errno, "", "cannot truncate %s/%s: %s", w->o.dir,
                          FNAME(w, i), strerror(errno));
    f->pos = len;
    sl_buf_init(&f->out, 0);
    sl_buf_init(&f->stage, 0);
    f->cctx = ZSTD_createCCtx();
    if (!f->cctx)
        return sl_err_set(err, -ENOMEM, "", "out of memory");
    if (ZSTD_isError(ZSTD_CCtx_setParameter(f->cctx, ZSTD_c_compressionLevel, w->o.zstd_level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(f->cctx, ZSTD_c_checksumFlag, 1)))
        return sl_err_set(err, SL_ECONFIG, "", "zstd level %d is not valid", w->o.zstd_level);
    return 0;
}

static int check_fresh(struct sl_writer *w, struct sl_err *err)
{
    bool used = exists_at(w->dirfd, "journal");

    for (int i = 0; i < SL_JF__COUNT; i++)
        used = used || exists_at(w->dirfd, FNAME(w, i));
    if (used && !w->o.resume)
        return sl_err_set(err, SL_ECONFIG, "",
                          "%s holds an earlier run; use --resume to continue it, or choose an "
                          "empty directory",
                          w->o.dir);
    for (int i = 0; i < SL_JF_AUDIT; i++) {
        const char *other = file_names[!w->o.msgpack][i];

        if (exists_at(w->dirfd, other))
            return sl_err_set(err, SL_ECONFIG, "",
                              "%s holds %s: its run was written with --output-format %s; resume "
                              "it with the same format, or choose an empty directory",
                              w->o.dir, other, w->o.msgpack ? "jsonl" : "msgpack");
    }
    return 0;
}

static int start_thread(struct sl_writer *w, struct sl_err *err)
{
    pthread_condattr_t ca;
    int rc;

    w->q = calloc(w->o.queue_cap, sizeof(*w->q));
    if (!w->q)
        return sl_err_set(err, -ENOMEM, "", "out of memory");
    w->qcap = w->o.queue_cap;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->not_empty, &ca);
    pthread_cond_init(&w->not_full, NULL);
    pthread_condattr_destroy(&ca);
    w->sync_ready = true;
    rc = pthread_create(&w->thr, NULL, writer_main, w);
    if (rc)
        return sl_err_set(err, -rc, "", "cannot start the writer thread: %s", strerror(rc));
    (void)pthread_setname_np(w->thr, "sl-writer"); /* for top -H and perf */
    w->thr_started = true;
    return 0;
}

static void ignore_sigxfsz(void)
{
    struct sigaction sa;

    if (sigaction(SIGXFSZ, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL &&
        !(sa.sa_flags & SA_SIGINFO))
        signal(SIGXFSZ, SIG_IGN);
}

int sl_writer_open(const struct sl_writer_opts *o, struct sl_writer **out, struct sl_err *err)
{
    struct sl_writer *w;
    int rc;

    sl_err_clear(err);
    *out = NULL;
    if (!o || !o->dir || !*o->dir)
        return sl_err_set(err, SL_ECONFIG, "", "no output directory given");
    w = calloc(1, sizeof(*w));
    if (!w)
        return sl_err_set(err, -ENOMEM, "", "out of memory");
    w->o = *o;
    w->o.zstd_level = o->zstd_level ? o->zstd_level : 3;
    w->o.commit_records = o->commit_records ? o->commit_records : 1024;
    w->o.commit_ms = o->commit_ms ? o->commit_ms : 250;
    w->o.queue_cap = o->queue_cap ? o->queue_cap : 4096;
    w->dirfd = w->lock_fd = w->jfd = -1;
    for (int i = 0; i < SL_JF__COUNT; i++)
        w->f[i].fd = -1;
    sl_buf_init(&w->line, 0);
    sl_buf_init(&w->jbuf, 0);
    if (sl_audit_hasher_init(&w->hasher)) {
        /* left zeroed: hashing falls back to the one-shot sl_audit_hash */
    }
    w->o.dir = strdup(o->dir);
    if (!w->o.dir) {
        rc = sl_err_set(err, -ENOMEM, "", "out of memory");
        goto fail;
    }
    if (mkdir(w->o.dir, 0700) != 0 && errno != EEXIST) {
        rc = sl_err_set(err, -errno, "", "cannot create %s: %s", w->o.dir, strerror(errno));
        goto fail;
    }
    w->dirfd = open(w->o.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->dirfd < 0) {
        rc = sl_err_set(err, -errno, "", "cannot open %s: %s", w->o.dir, strerror(errno));
        goto fail;
    }
    if ((rc = lock_dir(w, err)) || (rc = check_fresh(w, err)) || (rc = recover_journal(w, err)))
        goto fail;
    for (int i = 0; i < SL_JF__COUNT; i++)
        if ((rc = open_file(w, i, err)))
            goto fail;
    rc = read_key(w->dirfd, w->key, err);
    if (rc == -ENOENT)
        rc = create_key(w->dirfd, w->key, err);
    if (rc)
        goto fail;
    if (w->o.fsync && (rc = sl_fs_sync(w->jfd, true)) == 0)
        rc = sl_fs_sync(w->dirfd, false); /* the new files' names */
    if (rc) {
        sl_err_set(err, rc, "", "cannot sync %s: %s", w->o.dir, sl_strerror(rc));
        goto fail;
    }
    ignore_sigxfsz();
    if ((rc = start_thread(w, err)))
        goto fail;
    *out = w;
    return 0;
fail:
    sl_writer_destroy(w);
    return rc;
}

int sl_writer_close(struct sl_writer *w)
{
    int rc;

    if (!w)
        return 0;
    if (w->thr_started) {
        pthread_mutex_lock(&w->mu);
        w->stopping = true;
        pthread_cond_signal(&w->not_empty);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thr, NULL);
        w->thr_started = false;
    }
    rc = w->sticky;
    for (int i = 0; i < SL_JF__COUNT; i++) {
        if (w->f[i].fd >= 0 && close(w->f[i].fd) != 0 && !rc)
            rc = -errno;
        w->f[i].fd = -1;
    }
    if (w->jfd >= 0 && close(w->jfd) != 0 && !rc)
        rc = -errno;
    w->jfd = -1;
    if (w->lock_fd >= 0)
        close(w->lock_fd); /* releases the flock */
    w->lock_fd = -1;
    return rc;
}

void sl_writer_destroy(struct sl_writer *w)
{
    if (!w)
        return;
    if (sl_writer_close(w)) {
        /* the caller ignored close's result; nothing left to report it to */
    }
    for (int i = 0; i < SL_JF__COUNT; i++) {
        ZSTD_freeCCtx(w->f[i].cctx);
        sl_buf_free(&w->f[i].out);
        sl_buf_wipe(&w->f[i].stage);
    }
    if (w->dirfd >= 0)
        close(w->dirfd);
    while (w->qlen > 0) {
        free_qrec(w->q[w->qhead]);
        w->qhead = (w->qhead + 1) % w->qcap;
        w->qlen--;
    }
    if (w->sync_ready) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->not_empty);
        pthread_cond_destroy(&w->not_full);
    }
    free(w->q);
    free(w->pend);
    sl_buf_free(&w->line);
    sl_buf_free(&w->jbuf);
    sl_audit_hasher_free(&w->hasher);
    sl_bitmap_free(&w->done);
    explicit_bzero(w->key, sizeof(w->key));
    free((char *)w->o.dir);
    free(w);
}
