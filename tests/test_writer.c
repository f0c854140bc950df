/* test_writer.c: the output directory: round trip, commit cadence, resume after a crash, refusal
 * of a used directory, the lock, disk full (RLIMIT_FSIZE) and a throughput measurement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "fsutil.h"
#include "journal.h"
#include "writer.h"

static const char *const files[4] = {"results.jsonl.zst", "errors.jsonl.zst", "rejects.jsonl.zst",
                                     "audit.jsonl.zst"};

/* ---- helpers ---- */

static char *mkdir_tmp(void)
{
    char tmpl[] = "/tmp/sl_test_writer_XXXXXX";
    char *d = mkdtemp(tmpl);

    assert_non_null(d);
    return strdup(d);
}

static void rm_tree(char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    while (d && (e = readdir(d))) {
        char p[4096];

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
    free(dir);
}

static void path_of(char *out, size_t n, const char *dir, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

static uint64_t file_size(const char *dir, const char *name)
{
    char p[4096];
    struct stat sb;

    path_of(p, sizeof(p), dir, name);
    assert_int_equal(stat(p, &sb), 0);
    return (uint64_t)sb.st_size;
}

struct lines {
    char **v;
    size_t n, cap;
    struct sl_buf all; /* every line + '\n', for the chain check */
};

static int collect(void *ud, const char *line, size_t len)
{
    struct lines *l = ud;

    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        assert_non_null(l->v);
    }
    l->v[l->n] = strndup(line, len);
    assert_non_null(l->v[l->n]);
    l->n++;
    assert_int_equal(sl_buf_append(&l->all, line, len), 0);
    assert_int_equal(sl_buf_append(&l->all, "\n", 1), 0);
    return 0;
}

static int read_lines(const char *dir, const char *name, struct lines *l)
{
    char p[4096];

    memset(l, 0, sizeof(*l));
    sl_buf_init(&l->all, 0);
    path_of(p, sizeof(p), dir, name);
    return sl_fs_zst_read_lines(p, (size_t)1 << 24, collect, l);
}

static void free_lines(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    sl_buf_free(&l->all);
}

/* The output line of a record: ~400 bytes, deterministic from seq and kind. */
static char *make_line(uint64_t seq, int kind, size_t *len)
{
    static const char *const words[] = {"positive", "negative", "neutral", "mixed", "unclear"};
    char *p = malloc(512);
    int n;

    assert_non_null(p);
    n = snprintf(p, 512,
                 "{\"id\":\"batch_req_%016" PRIx64 "\",\"custom_id\":\"job-%" PRIu64
                 "\",\"kind\":%d,\"response\":{\"status_code\":200,\"request_id\":\"req_%08" PRIx64
                 "\",\"body\":{\"id\":\"chatcmpl-%" PRIu64 "\",\"object\":\"chat.completion\","
                 "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                 "\"assistant\",\"content\":\"%s\"},\"finish_reason\":\"stop\"}],\"usage\":{"
                 "\"prompt_tokens\":%" PRIu64 ",\"completion_tokens\":1}}},\"error\":null}",
                 seq * 2654435761u, seq, kind, seq * 40503u, seq ^ 0x5bd1e995u,
                 words[(seq * 7) % 5], 80 + seq % 50);
    *len = (size_t)n;
    return p;
}

static void fill_rec(struct sl_out_rec *r, uint64_t seq, int kind, char *idbuf, size_t idn)
{
    memset(r, 0, sizeof(*r));
    r->kind = (enum sl_out_kind)kind;
    r->seq = seq;
    r->line = make_line(seq, kind, &r->line_len);
    snprintf(idbuf, idn, "job-%" PRIu64, seq);
    r->custom_id = idbuf;
    r->model = "gpt-4o-mini";
    r->endpoint = "/v1/chat/completions";
    r->error_code = kind == SL_OUT_RESULT ? NULL : "rate_limited";
    r->status = kind == SL_OUT_RESULT ? 200 : 429;
    r->attempts = 1 + (unsigned)(seq % 3);
    r->prompt_tokens = 80 + seq % 50;
    r->completion_tokens = 1;
    r->cost_usd = 0.0000125;
    r->redactions.n[SL_PII_EMAIL] = (uint32_t)(seq % 2);
    r->sanitized.n[SL_SAN_BIDI] = (uint32_t)(seq % 3 == 0);
    memset(r->input_digest, (int)(seq & 0xff), 32);
}

static int push_one(struct sl_writer *w, uint64_t seq, int kind)
{
    struct sl_out_rec r;
    char id[32];

    fill_rec(&r, seq, kind, id, sizeof(id));
    return sl_writer_push(w, &r);
}

/* What on_commit saw. */
struct seen {
    pthread_mutex_t mu;
    struct sl_bitmap bm;
    uint64_t commits, records, last_counts[3];
    size_t sizes[64];
    int pipe_fd; /* if >= 0: write committed seqs there (the forked children) */
};

static void on_commit(void *ud, const uint64_t *seqs, size_t n, const uint64_t counts[3])
{
    struct seen *s = ud;

    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(sl_bitmap_set(&s->bm, seqs[i]), 0);
    if (s->pipe_fd >= 0 && write(s->pipe_fd, seqs, n * sizeof(*seqs)) != (ssize_t)(n * 8))
        abort();
    if (s->commits < 64)
        s->sizes[s->commits] = n;
    s->commits++;
    s->records += n;
    memcpy(s->last_counts, counts, sizeof(s->last_counts));
    pthread_mutex_unlock(&s->mu);
}

static void seen_init(struct seen *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    s->pipe_fd = -1;
}

static void seen_free(struct seen *s)
{
    sl_bitmap_free(&s->bm);
    pthread_mutex_destroy(&s->mu);
}

static uint64_t seen_commits(struct seen *s)
{
    uint64_t c;

    pthread_mutex_lock(&s->mu);
    c = s->commits;
    pthread_mutex_unlock(&s->mu);
    return c;
}

static struct sl_writer_opts opts_for(const char *dir, struct seen *s, unsigned commit_records)
{
    struct sl_writer_opts o;

    memset(&o, 0, sizeof(o));
    o.dir = dir;
    o.fsync = true;
    o.commit_records = commit_records;
    o.on_commit = on_commit;
    o.ud = s;
    return o;
}

static void load_journal(const char *dir, struct sl_journal_state *st)
{
    char p[4096];
    int fd;

    path_of(p, sizeof(p), dir, "journal");
    fd = open(p, O_RDONLY);
    assert_true(fd >= 0);
    sl_journal_state_init(st);
    assert_int_equal(sl_journal_load(fd, SL_JOURNAL_MAX_SEQ, st), 0);
    close(fd);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

    nanosleep(&ts, NULL);
}

/* ---- tests ---- */

/* Push N of each kind (interleaved), close, read every file back, check the journal. */
static void test_round_trip(void **state)
{
    enum { N = 400 };
    char *dir = mkdir_tmp();
    struct seen s;
    struct sl_writer_opts o;
    struct sl_writer *w;
    struct sl_err err;
    struct sl_journal_state st;
    struct lines l[4];
    uint64_t counts[3];
    unsigned char last[32];
    (void)state;

    seen_init(&s);
    o = opts_for(dir, &s, 64);
    assert_int_equal(sl_writer_open(&o, &w, &err), 0);
    assert_int_equal(sl_writer_done_before(w), 0);
    for (uint64_t i = 0; i < 3 * N; i++)
        assert_int_equal(push_one(w, i, (int)(i % 3)), 0);
    assert_int_equal(sl_writer_close(w), 0);
    sl_writer_counts(w, counts);
    sl_writer_destroy(w);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(counts[k], N);
        assert_int_equal(s.last_counts[k], N);
    }
    assert_int_equal(s.records, 3 * N);
    assert_int_equal(s.bm.count, 3 * N);

    for (int f = 0; f < 4; f++)
        assert_int_equal(read_lines(dir, files[f], &l[f]), 0);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(l[k].n, N);
        for (size_t j = 0; j < N; j++) {
            size_t len;
            char *want = make_line(3 * j + (size_t)k, k, &len);

            assert_string_equal(l[k].v[j], want);
            free(want);
        }
    }
    assert_int_equal(l[3].n, 3 * N);
    assert_int_equal(sl_audit_chain_check(l[3].all.p, l[3].all.len, NULL, NULL, last), 0);
    assert_non_null(strstr(l[3].v[0], "\"prev\":\"0000000000000000000000000000000000000000"));

    load_journal(dir, &st);
    assert_int_equal(st.done.count, 3 * N);
    for (uint64_t i = 0; i < 3 * N + 100; i++)
        assert_int_equal(sl_bitmap_test(&st.done, i), i < 3 * N);
    for (int f = 0; f < 4; f++)
        assert_int_equal(st.last.file_len[f], file_size(dir, files[f]));
    assert_int_equal(st.last.audit_n, 3 * N);
    assert_memory_equal(st.last.audit_hash, last, 32);
    sl_journal_state_free(&st);

    /* A resumed open sees all of it as done, and the directory verifies. */
    o.resume = true;
    assert_int_equal(sl_writer_open(&o, &w, &err), 0);
    assert_int_equal(sl_writer_done_before(w), 3 * N);
    assert_true(sl_writer_is_done(w, 0));
    assert_true(sl_writer_is_done(w, 3 * N - 1));
    assert_false(sl_writer_is_done(w, 3 * N));
    assert_int_equal(sl_writer_close(w), 0);
    sl_writer_destroy(w);
    {
        const char *dirs[1] = {dir};
        uint64_t problems = 99;

        assert_int_equal(sl_audit_verify_dirs(dirs, 1, NULL, NULL, &problems), 0);
        assert_int_equal(problems, 0);
    }
    for (int f = 0; f < 4; f++)
        free_lines(&l[f]);
    seen_free(&s);
    rm_tree(dir);
}

static void test_commit_cadence(void **state)
{
    char *dir = mkdir_tmp();
    struct seen s;
    struct sl_writer_opts o;
    struct sl_writer *w;
    struct sl_err err;
    (void)state;

    /* By count: 35 records at 10 per commit -> 10, 10, 10 while running, then 5 at close. */
    seen_init(&s);
    o = opts_for(dir, &s, 10);
    o.commit_ms = 60000;
    assert_int_equal(sl_writer_open(&o, &w, &err), 0);
    for (uint64_t i = 0; i < 35; i++)
        assert_int_equal(push_one(w, i, 0), 0);
    for (int t = 0; t < 200 && seen_commits(&s) < 3; t++)
        sleep_ms(10);
    sleep_ms(50);
    assert_int_equal(seen_commits(&s), 3);
    assert_int_equal(sl_writer_close(w), 0);
    sl_writer_destroy(w);
    assert_int_equal(s.commits, 4);
    assert_int_equal(s.sizes[0], 10);
    assert_int_equal(s.sizes[1], 10);
    assert_int_equal(s.sizes[2], 10);
    assert_int_equal(s.sizes[3], 5);
    seen_free(&s);

    /* By time: 5 records, 1000 per commit, 50 ms: committed well before close. */
    seen_init(&s);
    o = opts_for(dir, &s, 1000);
    o.commit_ms = 50;
    o.resume = true;
    assert_int_equal(sl_writer_open(&o, &w, &err), 0);
    for (uint64_t i = 35; i < 40; i++)
        assert_int_equal(push_one(w, i, 1), 0);
    for (int t = 0; t < 300 && seen_commits(&s) < 1; t++)
        sleep_ms(10);
    assert_int_equal(seen_commits(&s), 1);
    assert_int_equal(s.sizes[0], 5);
    assert_int_equal(s.last_counts[0], 35);
    assert_int_equal(s.last_counts[1], 5);
    assert_int_equal(sl_writer_close(w), 0);
    sl_writer_destroy(w);
    assert_int_equal(s.commits, 1); /* nothing left for close */
    seen_free(&s);
    rm_tree(dir);
}

/* Group commit with a gap: the first record of a run is committed at once (the queue is dry),
 * records that follow within the gap wait for it (or for close), and then commit together. */
static void test_group_gap(void **state)
{
    char *dir = mkdir_tmp();
    struct seen s;
    struct sl_writer_opts o;
    struct sl_writer *w;
    struct sl_err err;
    (void)state;

    seen_init(&s);
    o = opts_for(dir, &s, 1000);
    o.commit_ms = 60000;
    o.group_commit = true;
    o.group_gap_ms = 3000;
    assert_int_equal(sl_writer_open(&o, &w, &err), 0);
    assert_int_equal(push_one(w, 0, 0), 0);
    for (int t = 0; t < 500 && seen_commits(&s) < 1; t++)
        sleep_ms(10);
    assert_int_equal(seen_commits(&s), 1); /* not delayed: no commit before it */
    for (uint64_t i = 1; i < 6; i++)
        assert_int_equal(push_one(w, i, 0), 0);
    sleep_ms(150);
    assert_int_equal(seen_commits(&s), 1); /* within the gap: waiting */
    assert_int_equal(sl_writer_close(w), 0);
    sl_writer_destroy(w);
    assert_int_equal(s.commits, 2);
    assert_int_equal(s.sizes[0], 1);
    assert_int_equal(s.sizes[1], 5);
    seen_free(&s);

    /* A short gap passes by itself: the waiting records commit without close. */
    seen_init(&s);
    o = opts_for(dir, &s, 1000);
    o.commit_ms = 60000;
    o.group_commit = true;
    o.group_gap_ms = 30;
    o.resume = true;
    assert_int_equal(sl_writer_open(&o, &w, &err), 0);
    for (uint64_t i = 6; i < 12; i++)
        assert_int_equal(push_one(w, i, 0), 0);
    for (int t = 0; t < 500 && seen_commits(&s) < 2; t++)
        sleep_ms(10);
    assert_true(seen_commits(&s) >= 1);
    for (int t = 0; t < 500 && s.records < 6; t++)
        sleep_ms(10);
    pthread_mutex_lock(&s.mu);
    assert_int_equal(s.records, 6);
    pthread_mutex_unlock(&s.mu);
    assert_int_equal(sl_writer_close(w), 0);
    sl_writer_destroy(w);
    seen_free(&s);
    rm_tree(dir);
}

/* A child writes 250 records, 100 per commit, and dies after two commits; garbage lands after
 * every file's durable length and the journal gets a torn record; resume must cut it all off. */
static void test_resume_after_crash(void **state)
{
    char *dir = mkdir_tmp();
    struct seen s;
    struct sl_writer_opts o;
    struct sl_writer *w;
    struct sl_err err;
    struct sl_journal_state st;
    uint64_t durable[4];
    pid_t pid;
    int status;
    (void)state;

    seen_init(&s);
    o = opts_for(dir, &s, 100);
    o.commit_ms = 60000;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (sl_writer_open(&o, &w, &err) != 0)
            _exit(10);
        for (uint64_t i = 0; i < 250; i++)
            if (push_one(w, i, (int)(i % 3)) != 0)
                _exit(11);
        for (int t = 0; t < 500 && seen_commits(&s) < 2; t++)
            sleep_ms(10);
        _exit(seen_commits(&s) == 2 ? 0 : 12); /* no close: a crash */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    load_journal(dir, &st);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.done.count, 200);
    memcpy(durable, st.last.file_len, sizeof(durable));
    sl_journal_state_free(&st);
    for (int f = 0; f < 5; f++) {
        static const char junk[] = "\x28\xb5\x2f\xfd garbage after the commit, a torn frame";
        char p[4096];
        int fd;

        path_of(p, sizeof(p), dir, f < 4 ? files[f] : "journal");
        fd = open(p, O_WRONLY | O_APPEND);
        assert_true(fd >= 0);
        if (f == 4)
            assert_int_equal(write(fd, "SLJ1\x80\x00\x00\x00\x01\x02\x03", 11), 11);
        else
            assert_int_equal(write(fd, junk, sizeof(junk) - 1), (ssize_t)sizeof(junk) - 1);
        close(fd);
    }

    /* Without --resume: refused. */
    o.resume = false;
    assert_int_equal(sl_writer_open(&o, &w, &err), SL_ECONFIG);
    assert_non_null(strstr(err.reason, "holds an earlier run; use --resume"));

    o.resume = true;
    assert_int_equal(sl_writer_open(&o, &w, &err), 0);
    for (int f = 0; f < 4; f++)
        assert_int_equal(file_size(dir, files[f]), durable[f]);
    assert_int_equal(sl_writer_done_before(w), 200);
    for (uint64_t i = 0; i < 260; i++)
        assert_int_equal(sl_writer_is_done(w, i), i < 200);
    for (uint64_t i = 0; i < 250; i++)
        if (!sl_writer_is_done(w, i))
            assert_int_equal(push_one(w, i, (int)(i % 3)), 0);
    assert_int_equal(sl_writer_close(w), 0);
    sl_writer_destroy(w);

    /* Every record exactly once, in order, and every file decompresses whole. */
    for (int k = 0; k < 3; k++) {
        struct lines l;

        assert_int_equal(read_lines(dir, files[k], &l), 0);
        assert_int_equal(l.n, k == 0 ? 84 : 83);
        for (size_t j = 0; j < l.n; j++) {
            size_t len;
            char *want = make_line(3 * j + (size_t)k, k, &len);

            assert_string_equal(l.v[j], want);
            free(want);
        }
        free_lines(&l);
    }
    load_journal(dir, &st);
    assert_int_equal(st.records, 3);
    assert_int_equal(st.done.count, 250);
    assert_int_equal(st.last.audit_n, 250);
    sl_journal_state_free(&st);
    {
        const char *dirs[1] = {dir};
        uint64_t problems = 99;

        assert_int_equal(sl_audit_verify_dirs(dirs, 1, NULL, NULL, &problems), 0);
        assert_int_equal(problems, 0);
    }
    seen_free(&s);
    rm_tree(dir);
}

static void test_refuse_used_dir(void **state)
{
    static const char *const leftovers[] = {"journal", "results.jsonl.zst", "errors.jsonl.zst",
                                            "rejects.jsonl.zst", "audit.jsonl.zst"};
    (void)state;

    for (size_t k = 0; k < 5; k++) {
        char *dir = mkdir_tmp();
        char p[4096];
        struct sl_writer_opts o;
        struct sl_writer *w;
        struct sl_err err;
        int fd;

        path_of(p, sizeof(p), dir, leftovers[k]);
        fd = open(p, O_WRONLY | O_CREAT, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "x", 1), 1);
        close(fd);
        o = opts_for(dir, NULL, 0);
        o.on_commit = NULL;
        assert_int_equal(sl_writer_open(&o, &w, &err), SL_ECONFIG);
        assert_null(w);
        assert_non_null(strstr(err.reason, "holds an earlier run"));
        /* --resume without a journal starts fresh: the stray bytes are cut. */
        o.resume = true;
        assert_int_equal(sl_writer_open(&o, &w, &err), 0);
        assert_int_equal(sl_writer_done_before(w), 0);
        assert_int_equal(sl_writer_close(w), 0);
        sl_writer_destroy(w);
        assert_int_equal(file_size(dir, leftovers[k]), 0);
        rm_tree(dir);
    }
}

static void test_lock(void **state)
{
    char *dir = mkdir_tmp();
    struct sl_writer_opts o = opts_for(dir, NULL, 0);
    struct sl_writer *w1, *w2;
    struct sl_err err;
    unsigned char k1[32], k2[32];
    char p[4096];
    int fd;
    (void)state;

    o.on_commit = NULL;
    assert_int_equal(sl_writer_open(&o, &w1, &err), 0);
    o.resume = true;
    assert_int_equal(sl_writer_open(&o, &w2, &err), SL_ECONFIG);
    assert_non_null(strstr(err.reason, "another sluice run holds"));
    /* Any other open file description of DIR/lock conflicts too (as a second process would). */
    path_of(p, sizeof(p), dir, "lock");
    fd = open(p, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
    assert_int_equal(errno, EWOULDBLOCK);
    assert_int_equal(sl_writer_audit_key(w1, k1), 0);
    assert_int_equal(sl_writer_close(w1), 0);
    sl_writer_destroy(w1);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    assert_int_equal(flock(fd, LOCK_UN), 0);
    close(fd);
    /* Released: a resumed run gets in, with the same audit key (0600). */
    assert_int_equal(sl_writer_open(&o, &w2, &err), 0);
    assert_int_equal(sl_writer_audit_key(w2, k2), 0);
    assert_memory_equal(k1, k2, 32);
    assert_int_equal(sl_writer_close(w2), 0);
    sl_writer_destroy(w2);
    {
        struct stat sb;

        path_of(p, sizeof(p), dir, "audit.key");
        assert_int_equal(stat(p, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0600);
        assert_int_equal(sb.st_size, 32);
    }
    rm_tree(dir);
}

/* Incompressible ~400-byte lines, so that a small RLIMIT_FSIZE is reached quickly. */
static int push_random(struct sl_writer *w, uint64_t seq, uint64_t *rng)
{
    static const char hex[] = "0123456789abcdef";
    struct sl_out_rec r;
    char id[32];
    char *p = malloc(512);
    int n;

    if (!p)
        return -ENOMEM;
    fill_rec(&r, seq, SL_OUT_RESULT, id, sizeof(id));
    free(r.line);
    n = snprintf(p, 512, "{\"custom_id\":\"%s\",\"pad\":\"", id);
    for (int i = 0; i < 380; i++) {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        p[n++] = hex[*rng & 15];
    }
    memcpy(p + n, "\"}", 3);
    r.line = p;
    r.line_len = (size_t)n + 2;
    return sl_writer_push(w, &r);
}

/* Disk full: a child under RLIMIT_FSIZE gets a sticky EFBIG, does not die, and the journal claims
 * exactly what on_commit reported (sent over a pipe), which a resume then skips. */
static void test_disk_full(void **state)
{
    char *dir = mkdir_tmp();
    struct seen s;
    struct sl_writer_opts o;
    struct sl_writer *w;
    struct sl_err err;
    struct sl_bitmap reported = {0};
    struct lines l;
    int fds[2], status;
    uint64_t seq, nrep = 0;
    pid_t pid;
    (void)state;

    assert_int_equal(pipe(fds), 0);
    seen_init(&s);
    o = opts_for(dir, &s, 20);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {64 * 1024, 64 * 1024};
        uint64_t rng = 88172645463325252ull;
        int rc = 0, rc2;

        close(fds[0]);
        s.pipe_fd = fds[1];
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0 || sl_writer_open(&o, &w, &err) != 0)
            _exit(20);
        for (uint64_t i = 0; i < 20000 && rc == 0; i++)
            rc = push_random(w, i, &rng);
        rc2 = sl_writer_close(w);
        sl_writer_destroy(w);
        _exit(rc == -EFBIG && rc2 == -EFBIG ? 0 : 21);
    }
    close(fds[1]);
    while (read(fds[0], &seq, sizeof(seq)) == (ssize_t)sizeof(seq)) {
        assert_int_equal(sl_bitmap_set(&reported, seq), 0);
        nrep++;
    }
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status)); /* not killed by SIGXFSZ */
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(nrep > 0);
    assert_true(nrep < 20000);

    o.resume = true;
    o.on_commit = NULL;
    assert_int_equal(sl_writer_open(&o, &w, &err), 0);
    assert_int_equal(sl_writer_done_before(w), nrep);
    for (uint64_t i = 0; i < 20000; i++)
        assert_int_equal(sl_writer_is_done(w, i), sl_bitmap_test(&reported, i));
    assert_int_equal(sl_writer_close(w), 0);
    sl_writer_destroy(w);
    assert_int_equal(read_lines(dir, files[0], &l), 0);
    assert_int_equal(l.n, nrep);
    free_lines(&l);
    sl_bitmap_free(&reported);
    seen_free(&s);
    rm_tree(dir);
}

struct count_bytes {
    uint64_t lines, bytes;
};

static int count_cb(void *ud, const char *line, size_t len)
{
    struct count_bytes *c = ud;

    (void)line;
    c->lines++;
    c->bytes += len + 1;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Throughput of push -> commit with fsync, by zstd level and commit size. SL_WRITER_BENCH=1 runs
 * the full 200k-record matrix; by default a 20k-record run keeps ctest quick. */
static void test_throughput(void **state)
{
    static const struct {
        int level;
        unsigned commit;
    } cases[] = {{1, 1024}, {3, 1024}, {1, 4096}, {3, 4096}};
    bool full = getenv("SL_WRITER_BENCH") != NULL;
    uint64_t total = full ? 200000 : 20000;
    size_t ncases = full ? 4 : 1;
    (void)state;

    for (size_t k = 0; k < ncases; k++) {
        size_t kk = full ? k : 1;
        char *dir = mkdir_tmp();
        struct seen s;
        struct sl_writer_opts o;
        struct sl_writer *w;
        struct sl_err err;
        struct count_bytes raw[4] = {{0}};
        uint64_t comp = 0, rawsum = 0;
        double t0, dt;

        seen_init(&s);
        o = opts_for(dir, &s, cases[kk].commit);
        o.zstd_level = cases[kk].level;
        assert_int_equal(sl_writer_open(&o, &w, &err), 0);
        t0 = now_s();
        for (uint64_t i = 0; i < total; i++)
            assert_int_equal(push_one(w, i, i % 50 == 0 ? SL_OUT_ERROR : SL_OUT_RESULT), 0);
        assert_int_equal(sl_writer_close(w), 0);
        dt = now_s() - t0;
        sl_writer_destroy(w);
        assert_int_equal(s.records, total);
        for (int f = 0; f < 4; f++) {
            char p[4096];

            path_of(p, sizeof(p), dir, files[f]);
            assert_int_equal(sl_fs_zst_read_lines(p, (size_t)1 << 24, count_cb, &raw[f]), 0);
            comp += file_size(dir, files[f]);
            rawsum += raw[f].bytes;
        }
        assert_int_equal(raw[0].lines + raw[1].lines, total);
        printf("writer bench: %" PRIu64 " records, level %d, commit %u: %.0f records/s, %" PRIu64
               " commits, results %.1f MB -> ratio %.2f, audit ratio %.2f, all ratio %.2f\n",
               total, cases[kk].level, cases[kk].commit, (double)total / dt, s.commits,
               (double)raw[0].bytes / 1e6, (double)raw[0].bytes / (double)file_size(dir, files[0]),
               (double)raw[3].bytes / (double)file_size(dir, files[3]),
               (double)rawsum / (double)comp);
        seen_free(&s);
        rm_tree(dir);
    }
}

struct producer {
    struct sl_writer *w;
    uint64_t first, n;
    int rc;
};

static void *produce(void *arg)
{
    struct producer *pr = arg;

    for (uint64_t i = 0; i < pr->n && pr->rc == 0; i++)
        pr->rc = push_one(pr->w, pr->first + i, (int)(i % 3));
    return NULL;
}

/* Four threads push through a queue of 8: pushes block, nothing is lost or repeated. */
static void test_many_producers(void **state)
{
    enum { T = 4, PER = 2500 };
    char *dir = mkdir_tmp();
    struct seen s;
    struct sl_writer_opts o;
    struct sl_writer *w;
    struct sl_err err;
    struct producer pr[T];
    pthread_t th[T];
    const char *dirs[1] = {dir};
    uint64_t problems;
    (void)state;

    seen_init(&s);
    o = opts_for(dir, &s, 100);
    o.queue_cap = 8;
    o.fsync = false;
    assert_int_equal(sl_writer_open(&o, &w, &err), 0);
    for (int t = 0; t < T; t++) {
        pr[t] = (struct producer){w, (uint64_t)t * PER, PER, 0};
        assert_int_equal(pthread_create(&th[t], NULL, produce, &pr[t]), 0);
    }
    for (int t = 0; t < T; t++) {
        assert_int_equal(pthread_join(th[t], NULL), 0);
        assert_int_equal(pr[t].rc, 0);
    }
    assert_int_equal(sl_writer_close(w), 0);
    sl_writer_destroy(w);
    assert_int_equal(s.records, T * PER);
    assert_int_equal(s.bm.count, T * PER);
    assert_int_equal(sl_audit_verify_dirs(dirs, 1, NULL, NULL, &problems), 0);
    seen_free(&s);
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_commit_cadence),
        cmocka_unit_test(test_group_gap),
        cmocka_unit_test(test_resume_after_crash), cmocka_unit_test(test_refuse_used_dir),
        cmocka_unit_test(test_lock),           cmocka_unit_test(test_disk_full),
        cmocka_unit_test(test_many_producers), cmocka_unit_test(test_throughput),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
