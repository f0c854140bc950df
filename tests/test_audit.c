/* test_audit.c: audit lines (exact bytes), the chain check, and `sluice audit verify` on real
 * directories built by the writer and then corrupted: a flipped byte, an edited, deleted or
 * swapped record, a duplicate custom_id across shards, a wrong summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "audit.h"
#include "cmd_audit.h"
#include "fsutil.h"
#include "writer.h"

static const char zeros64[] = "0000000000000000000000000000000000000000000000000000000000000000";

/* ---- audit line format ---- */

static void test_format(void **state)
{
    struct {
        const char *custom_id, *model, *endpoint, *error_code;
        int kind, status;
        double cost;
        int email, secret, bidi;
        bool inj;
        const char *want;
    } cases[] = {
        {"t-1", "gpt-4o-mini", "/v1/chat/completions", NULL, SL_OUT_RESULT, 200, 0.00125, 2, 0, 0,
         false,
         "{\"n\":7,\"t\":\"2026-01-02T03:04:05.678Z\",\"custom_id\":\"t-1\",\"outcome\":\"result\","
         "\"input_hmac\":\"abababababababababababababababababababababababababababababababab\","
         "\"model\":\"gpt-4o-mini\",\"endpoint\":\"/v1/chat/completions\",\"status\":200,"
         "\"attempts\":2,\"latency_ms\":345,\"prompt_tokens\":10,\"completion_tokens\":5,"
         "\"cost_usd\":0.00125,\"error_code\":null,\"redactions\":{\"EMAIL\":2},\"sanitized\":{},"
         "\"injection_flagged\":false,\"prev\":\"0101010101010101010101010101010101010101010101010"
         "101010101010101\"}"},
        {NULL, NULL, NULL, "parse", SL_OUT_REJECT, 0, NAN, 0, 1, 3, true,
         "{\"n\":7,\"t\":\"2026-01-02T03:04:05.678Z\",\"custom_id\":null,\"outcome\":\"reject\","
         "\"input_hmac\":\"abababababababababababababababababababababababababababababababab\","
         "\"model\":null,\"endpoint\":null,\"status\":0,\"attempts\":2,\"latency_ms\":345,"
         "\"prompt_tokens\":10,\"completion_tokens\":5,\"cost_usd\":0,\"error_code\":\"parse\","
         "\"redactions\":{\"SECRET\":1},\"sanitized\":{\"bidi\":3,\"injection\":1},"
         "\"injection_flagged\":true,\"prev\":\"01010101010101010101010101010101010101010101010101"
         "01010101010101\"}"},
        /* quotes and a newline are escaped; invalid UTF-8 becomes '?' so the line still parses */
        {"a\"b\nc\xff\xfe", "m", "/e", "", SL_OUT_ERROR, 429, -1, 0, 0, 0, false,
         "{\"n\":7,\"t\":\"2026-01-02T03:04:05.678Z\",\"custom_id\":\"a\\\"b\\nc??\",\"outcome\":"
         "\"error\",\"input_hmac\":\"abababababababababababababababababababababababababababababab"
         "abab\",\"model\":\"m\",\"endpoint\":\"/e\",\"status\":429,\"attempts\":2,\"latency_ms\":345,"
         "\"prompt_tokens\":10,\"completion_tokens\":5,\"cost_usd\":0,\"error_code\":\"\","
         "\"redactions\":{},\"sanitized\":{},\"injection_flagged\":false,\"prev\":\"010101010101010"
         "1010101010101010101010101010101010101010101010101\"}"},
    };
    unsigned char prev[32];
    (void)state;

    memset(prev, 1, 32);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct sl_out_rec r;
        struct sl_buf b;
        json_t *o;

        memset(&r, 0, sizeof(r));
        r.kind = (enum sl_out_kind)cases[k].kind;
        r.custom_id = cases[k].custom_id;
        r.model = cases[k].model;
        r.endpoint = cases[k].endpoint;
        r.error_code = cases[k].error_code;
        r.status = cases[k].status;
        r.attempts = 2;
        r.latency_ms = 345;
        r.prompt_tokens = 10;
        r.completion_tokens = 5;
        r.cost_usd = cases[k].cost;
        r.redactions.n[SL_PII_EMAIL] = (uint32_t)cases[k].email;
        r.redactions.n[SL_PII_SECRET] = (uint32_t)cases[k].secret;
        r.sanitized.n[SL_SAN_BIDI] = (uint32_t)cases[k].bidi;
        r.sanitized.n[SL_SAN_INJECTION] = cases[k].inj;
        r.sanitized.injection_flagged = cases[k].inj;
        memset(r.input_digest, 0xab, 32);
        sl_buf_init(&b, 0);
        assert_int_equal(sl_audit_format(&b, 7, 1767323045678LL, &r, prev), 0);
        assert_string_equal(b.p, cases[k].want);
        o = json_loadb(b.p, b.len, 0, NULL);
        assert_true(json_is_object(o));
        json_decref(o);
        sl_buf_free(&b);
    }
}

/* The reused-context hasher gives the one-shot hash for lines of any length, and the per-thread
 * timestamp cache follows the clock back and forth across seconds (and ms digits are exact). */
static void test_hasher_and_time(void **state)
{
    static const struct {
        int64_t t_ms;
        int status;
        const char *t, *status_txt;
    } cases[] = {
        {1767323045678LL, 200, "\"t\":\"2026-01-02T03:04:05.678Z\"", "\"status\":200,"},
        {1767323046001LL, 0, "\"t\":\"2026-01-02T03:04:06.001Z\"", "\"status\":0,"},
        {1767323045090LL, -1, "\"t\":\"2026-01-02T03:04:05.090Z\"", "\"status\":-1,"},
        {0, 18446744, "\"t\":\"1970-01-01T00:00:00.000Z\"", "\"status\":18446744,"},
    };
    struct sl_audit_hasher h, zero = {0};
    unsigned char prev[32] = {0};
    char line[300];
    (void)state;

    assert_int_equal(sl_audit_hasher_init(&h), 0);
    memset(line, 'x', sizeof(line));
    for (size_t n = 0; n < sizeof(line); n += 37) {
        unsigned char a[32], b[32], c[32];

        line[0] = (char)n;
        sl_audit_hash(line, n, a);
        sl_audit_hasher_hash(&h, line, n, b);
        sl_audit_hasher_hash(&zero, line, n, c);
        assert_memory_equal(a, b, 32);
        assert_memory_equal(a, c, 32);
    }
    sl_audit_hasher_free(&h);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct sl_out_rec r;
        struct sl_buf b;
        json_t *o;

        memset(&r, 0, sizeof(r));
        r.kind = SL_OUT_RESULT;
        r.status = cases[k].status;
        r.prompt_tokens = UINT64_MAX;
        sl_buf_init(&b, 0);
        assert_int_equal(sl_audit_format(&b, UINT64_MAX - k, cases[k].t_ms, &r, prev), 0);
        assert_non_null(strstr(b.p, cases[k].t));
        assert_non_null(strstr(b.p, cases[k].status_txt));
        assert_non_null(strstr(b.p, "\"prompt_tokens\":18446744073709551615,"));
        o = json_loadb(b.p, b.len, JSON_DECODE_INT_AS_REAL, NULL); /* n > INT64_MAX */
        assert_true(json_is_object(o));
        assert_true(json_real_value(json_object_get(o, "status")) == (double)cases[k].status);
        json_decref(o);
        sl_buf_free(&b);
    }
}

/* Every count set, a negative status, a cost, non-ASCII and invalid UTF-8 strings: the line is
 * what the format says, built here with snprintf key by key. */
static void test_format_every_field(void **state)
{
    static const char *const pii[SL_PII__COUNT] = {
        "EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP",
        "URL_CREDENTIALS", "SECRET", "PERSON", "ADDRESS", "DATE_OF_BIRTH",
    };
    static const char *const san[SL_SAN__COUNT] = {"control", "invisible", "bidi",
                                                  "tag", "markup", "injection"};
    unsigned char prev[32];
    char want[2048], *w = want;
    struct sl_out_rec r;
    struct sl_buf b;
    int i;
    (void)state;

    memset(&r, 0, sizeof(r));
    memset(prev, 0x5c, 32);
    r.kind = SL_OUT_REJECT;
    r.custom_id = "id-\xc3\xa9\"q";
    r.model = "m\xff";
    r.endpoint = NULL;
    r.error_code = "schema.x";
    r.status = -2147483647 - 1;
    r.attempts = 4000000000u;
    r.latency_ms = 0;
    r.prompt_tokens = 1;
    r.completion_tokens = 1234567890123ULL;
    r.cost_usd = 0.000123456789;
    for (i = 0; i < SL_PII__COUNT; i++)
        r.redactions.n[i] = 4294967295u - (uint32_t)i;
    for (i = 0; i < SL_SAN__COUNT; i++)
        r.sanitized.n[i] = (uint32_t)i + 1;
    r.sanitized.injection_flagged = true;
    memset(r.input_digest, 0x0f, 32);
    w += sprintf(w, "{\"n\":%llu,\"t\":\"2026-01-02T03:04:05.009Z\",\"custom_id\":\"id-\xc3\xa9\\\"q\","
                    "\"outcome\":\"reject\",\"input_hmac\":\"",
                 18446744073709551615ULL);
    for (i = 0; i < 32; i++)
        w += sprintf(w, "0f");
    w += sprintf(w, "\",\"model\":\"m?\",\"endpoint\":null,\"status\":-2147483648,\"attempts\":4000000000,"
                    "\"latency_ms\":0,\"prompt_tokens\":1,\"completion_tokens\":1234567890123,"
                    "\"cost_usd\":%.9g,\"error_code\":\"schema.x\",\"redactions\":{",
                 0.000123456789);
    for (i = 0; i < SL_PII__COUNT; i++)
        w += sprintf(w, "%s\"%s\":%u", i ? "," : "", pii[i], 4294967295u - (unsigned)i);
    w += sprintf(w, "},\"sanitized\":{");
    for (i = 0; i < SL_SAN__COUNT; i++)
        w += sprintf(w, "%s\"%s\":%d", i ? "," : "", san[i], i + 1);
    w += sprintf(w, "},\"injection_flagged\":true,\"prev\":\"");
    for (i = 0; i < 32; i++)
        w += sprintf(w, "5c");
    sprintf(w, "\"}");
    sl_buf_init(&b, 0);
    assert_int_equal(sl_buf_append(&b, "x", 1), 0); /* appends after what the buffer holds */
    assert_int_equal(sl_audit_format(&b, UINT64_MAX, 1767323045009LL, &r, prev), 0);
    assert_string_equal(b.p + 1, want);
    assert_int_equal(b.len, 1 + strlen(want));
    sl_buf_free(&b);
    /* a line that does not fit the buffer's cap: an error, and the buffer as it was */
    sl_buf_init(&b, 300);
    assert_int_equal(sl_buf_append(&b, "x", 1), 0);
    assert_int_not_equal(sl_audit_format(&b, 1, 0, &r, prev), 0);
    assert_int_equal(b.len, 1);
    assert_string_equal(b.p, "x");
    sl_buf_free(&b);
}

/* ---- chain check on bytes ---- */

struct problems {
    size_t n;
    uint64_t rec[32];
    char msg[32][256];
};

static void on_problem(void *ud, const char *file, uint64_t record, const char *msg)
{
    struct problems *p = ud;

    (void)file;
    if (p->n < 32) {
        p->rec[p->n] = record;
        snprintf(p->msg[p->n], sizeof(p->msg[0]), "%s", msg);
    }
    p->n++;
}

static bool has_problem(const struct problems *p, uint64_t rec, const char *needle)
{
    for (size_t i = 0; i < p->n && i < 32; i++)
        if ((rec == UINT64_MAX - 1 || p->rec[i] == rec) && strstr(p->msg[i], needle))
            return true;
    return false;
}

#define NREC 10

/* NREC chained lines, lines[i] without '\n'. */
static void make_chain(char lines[NREC][1024])
{
    unsigned char prev[32] = {0};

    for (int i = 0; i < NREC; i++) {
        struct sl_out_rec r;
        struct sl_buf b;
        char id[16];

        memset(&r, 0, sizeof(r));
        snprintf(id, sizeof(id), "c-%d", i);
        r.kind = (enum sl_out_kind)(i % 3);
        r.custom_id = id;
        r.latency_ms = (uint32_t)(100 + i);
        sl_buf_init(&b, 0);
        assert_int_equal(sl_audit_format(&b, (uint64_t)i, 1767323045678LL + i, &r, prev), 0);
        assert_true(b.len < 1024);
        memcpy(lines[i], b.p, b.len + 1);
        sl_audit_hash(b.p, b.len, prev);
        sl_buf_free(&b);
    }
}

static uint64_t check_order(char lines[NREC][1024], const int *order, int n, struct problems *p,
                            unsigned char last[32])
{
    struct sl_buf all;
    uint64_t r;

    sl_buf_init(&all, 0);
    for (int i = 0; i < n; i++) {
        assert_int_equal(sl_buf_append_str(&all, lines[order[i]]), 0);
        assert_int_equal(sl_buf_append(&all, "\n", 1), 0);
    }
    memset(p, 0, sizeof(*p));
    r = sl_audit_chain_check(all.p, all.len, on_problem, p, last);
    sl_buf_free(&all);
    return r;
}

static void test_chain(void **state)
{
    static char lines[NREC][1024];
    int clean[NREC], deleted[NREC - 1], swapped[NREC];
    unsigned char last[32], want_last[32];
    struct problems p;
    (void)state;

    make_chain(lines);
    for (int i = 0; i < NREC; i++)
        clean[i] = swapped[i] = i;
    for (int i = 0, j = 0; i < NREC; i++)
        if (i != 4)
            deleted[j++] = i;
    swapped[3] = 4;
    swapped[4] = 3;
    sl_audit_hash(lines[NREC - 1], strlen(lines[NREC - 1]), want_last);

    assert_int_equal(check_order(lines, clean, NREC, &p, last), 0);
    assert_memory_equal(last, want_last, 32);
    assert_non_null(strstr(lines[0], zeros64));

    assert_true(check_order(lines, deleted, NREC - 1, &p, last) > 0);
    assert_true(has_problem(&p, 4, "prev hash mismatch (edited, deleted or reordered record)"));
    assert_true(has_problem(&p, 4, "n is 5, expected 4"));

    assert_true(check_order(lines, swapped, NREC, &p, last) > 0);
    assert_true(has_problem(&p, 3, "prev hash mismatch"));
    assert_true(has_problem(&p, 4, "prev hash mismatch"));
    assert_true(has_problem(&p, 5, "prev hash mismatch"));

    /* An edited byte (latency 105 -> 195) shows at the next record. */
    {
        char *q = strstr(lines[5], "\"latency_ms\":105");

        assert_non_null(q);
        q[14] = '9';
        assert_int_equal(check_order(lines, clean, NREC, &p, last), 1);
        assert_true(has_problem(&p, 6, "prev hash mismatch"));
        q[14] = '0';
    }
    /* An edited last record keeps the chain but changes the last hash (the journal catches it). */
    lines[NREC - 1][8] ^= 1;
    assert_int_equal(check_order(lines, clean, NREC, &p, last), 0);
    assert_memory_not_equal(last, want_last, 32);
    lines[NREC - 1][8] ^= 1;
    /* Garbage lines. */
    {
        static const char bad[] = "{\"n\":0,\"prev\":\"00\"}\nnot json\n{\"n\":2}";
        struct problems q = {0};

        assert_true(sl_audit_chain_check(bad, sizeof(bad) - 1, on_problem, &q, NULL) >= 4);
        assert_true(has_problem(&q, 1, "not a JSON object"));
        assert_true(has_problem(&q, 2, "lacks its newline"));
    }
}

/* ---- directories ---- */

static char *mkdir_tmp(void)
{
    char tmpl[] = "/tmp/sl_test_audit_XXXXXX";
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

        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
    free(dir);
}

/* A run of n jobs: results, errors every 5th, rejects every 7th (every 14th without custom_id). */
static char *build_dir(int n, const char *prefix, int offset)
{
    char *dir = mkdir_tmp();
    struct sl_writer_opts o;
    struct sl_writer *w;
    struct sl_err err;

    memset(&o, 0, sizeof(o));
    o.dir = dir;
    o.fsync = false;
    o.commit_records = 8;
    assert_int_equal(sl_writer_open(&o, &w, &err), 0);
    for (int i = 0; i < n; i++) {
        struct sl_out_rec r;
        char id[64], line[256];
        bool anon = i % 14 == 0;

        memset(&r, 0, sizeof(r));
        r.seq = (uint64_t)i;
        r.kind = i % 7 == 0 ? SL_OUT_REJECT : i % 5 == 0 ? SL_OUT_ERROR : SL_OUT_RESULT;
        snprintf(id, sizeof(id), "%s-%d", prefix, i);
        if (r.kind == SL_OUT_REJECT && anon)
            snprintf(line, sizeof(line), "{\"source\":\"jobs.jsonl:%d\",\"reason\":\"malformed\"}",
                     i + 1 + offset);
        else if (r.kind == SL_OUT_REJECT)
            snprintf(line, sizeof(line),
                     "{\"source\":\"jobs.jsonl:%d\",\"custom_id\":\"%s\",\"reason\":\"policy\"}",
                     i + 1 + offset, id);
        else
            snprintf(line, sizeof(line), "{\"id\":\"b-%d\",\"custom_id\":\"%s\",\"error\":null}",
                     i, id);
        r.line = strdup(line);
        r.line_len = strlen(line);
        r.custom_id = r.kind == SL_OUT_REJECT && anon ? NULL : id;
        assert_int_equal(sl_writer_push(w, &r), 0);
    }
    assert_int_equal(sl_writer_close(w), 0);
    sl_writer_destroy(w);
    return dir;
}

static int run_verify(const char *const *dirs, size_t n, struct problems *p)
{
    uint64_t count = 0;
    int rc;

    memset(p, 0, sizeof(*p));
    rc = sl_audit_verify_dirs(dirs, n, on_problem, p, &count);
    assert_int_equal(count, p->n);
    return rc;
}

struct lines {
    char *v[256];
    size_t n;
};

static int collect(void *ud, const char *line, size_t len)
{
    struct lines *l = ud;

    assert_true(l->n < 256);
    l->v[l->n++] = strndup(line, len);
    return 0;
}

/* Rewrite DIR/audit.jsonl.zst as one frame holding the lines in `order` (-1 ends it). */
static void rewrite_audit(const char *dir, const int *order, void (*edit)(char *line, int i))
{
    char p[4096];
    struct lines l = {0};
    struct sl_buf raw;
    size_t cap, csize;
    void *comp;
    int fd;

    snprintf(p, sizeof(p), "%s/audit.jsonl.zst", dir);
    assert_int_equal(sl_fs_zst_read_lines(p, 1 << 20, collect, &l), 0);
    sl_buf_init(&raw, 0);
    for (int i = 0; order[i] >= 0; i++) {
        if (edit)
            edit(l.v[order[i]], i);
        assert_int_equal(sl_buf_append_str(&raw, l.v[order[i]]), 0);
        assert_int_equal(sl_buf_append(&raw, "\n", 1), 0);
    }
    cap = ZSTD_compressBound(raw.len);
    comp = malloc(cap);
    csize = ZSTD_compress(comp, cap, raw.p, raw.len, 3);
    assert_false(ZSTD_isError(csize));
    fd = open(p, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, comp, csize), (ssize_t)csize);
    close(fd);
    free(comp);
    sl_buf_free(&raw);
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i]);
}

static void edit_latency(char *line, int i)
{
    char *q = strstr(line, "\"latency_ms\":0");

    if (i == 12 && q)
        q[13] = '7';
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[4096];
    FILE *f;

    snprintf(p, sizeof(p), "%s/%s", dir, name);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_verify_dirs(void **state)
{
    enum { N = 40 };
    int order[N + 1];
    struct problems p;
    char *dir;
    const char *dirs[2];
    (void)state;

    /* Clean (with and without a matching summary.json): passes. */
    dir = build_dir(N, "a", 0);
    dirs[0] = dir;
    assert_int_equal(run_verify(dirs, 1, &p), 0);
    write_file(dir, "summary.json", "{\"results\":28,\"errors\":6,\"rejects\":6,\"usd\":0}");
    assert_int_equal(run_verify(dirs, 1, &p), 0);
    /* A wrong summary. */
    write_file(dir, "summary.json", "{\"results\":29,\"errors\":6,\"rejects\":6}");
    assert_int_equal(run_verify(dirs, 1, &p), SL_ECORRUPT);
    assert_true(has_problem(&p, SL_AUDIT_NO_RECORD, "\"results\" is not the audit's count 28"));
    unlink(strcat(strcpy((char[4200]){0}, dir), "/summary.json"));

    /* A second shard with the same custom_ids. */
    dirs[1] = dir;
    assert_int_equal(run_verify(dirs, 2, &p), SL_ECORRUPT);
    assert_true(has_problem(&p, 0, "custom_id already seen in"));
    assert_true(p.n >= N);
    rm_tree(dir);

    /* A flipped byte in the compressed audit file: zstd's checksum fails. */
    dir = build_dir(N, "a", 0);
    dirs[0] = dir;
    {
        char path[4096];
        unsigned char c;
        int fd;

        snprintf(path, sizeof(path), "%s/audit.jsonl.zst", dir);
        fd = open(path, O_RDWR);
        assert_int_equal(pread(fd, &c, 1, 200), 1);
        c ^= 0x04;
        assert_int_equal(pwrite(fd, &c, 1, 200), 1);
        close(fd);
    }
    assert_int_equal(run_verify(dirs, 1, &p), SL_ECORRUPT);
    assert_true(has_problem(&p, UINT64_MAX - 1, "zstd data invalid or cut short"));
    rm_tree(dir);

    /* An edited record (recompressed, so zstd is happy): the chain breaks at the next one. */
    dir = build_dir(N, "a", 0);
    dirs[0] = dir;
    for (int i = 0; i < N; i++)
        order[i] = i;
    order[N] = -1;
    rewrite_audit(dir, order, edit_latency);
    assert_int_equal(run_verify(dirs, 1, &p), SL_ECORRUPT);
    assert_true(has_problem(&p, 13, "prev hash mismatch (edited, deleted or reordered record)"));
    rm_tree(dir);

    /* A deleted record. */
    dir = build_dir(N, "a", 0);
    dirs[0] = dir;
    for (int i = 0, j = 0; i < N; i++)
        if (i != 17)
            order[j++] = i;
    order[N - 1] = -1;
    rewrite_audit(dir, order, NULL);
    assert_int_equal(run_verify(dirs, 1, &p), SL_ECORRUPT);
    assert_true(has_problem(&p, 17, "prev hash mismatch"));
    assert_true(has_problem(&p, 17, "n is 18, expected 17"));
    assert_true(has_problem(&p, UINT64_MAX - 1, "lack an audit record"));
    rm_tree(dir);

    /* A swapped pair. */
    dir = build_dir(N, "a", 0);
    dirs[0] = dir;
    for (int i = 0; i < N; i++)
        order[i] = i;
    order[20] = 21;
    order[21] = 20;
    rewrite_audit(dir, order, NULL);
    assert_int_equal(run_verify(dirs, 1, &p), SL_ECORRUPT);
    assert_true(has_problem(&p, 20, "prev hash mismatch"));
    assert_true(has_problem(&p, 21, "prev hash mismatch"));
    assert_true(has_problem(&p, 20, "n is 21, expected 20"));
    rm_tree(dir);

    /* Two shards of one run (distinct ids and input lines): fine together; but if their
     * rejects name the same input line (with or without a custom_id: a reject is keyed by its
     * source), that line was accounted for twice. */
    {
        char *a = build_dir(N, "a", 0), *b = build_dir(N, "b", N), *c = build_dir(N, "c", 0);

        dirs[0] = a;
        dirs[1] = b;
        assert_int_equal(run_verify(dirs, 2, &p), 0);
        dirs[1] = c;
        assert_int_equal(run_verify(dirs, 2, &p), SL_ECORRUPT);
        assert_int_equal(p.n, 6); /* the rejects of lines 1, 8, 15, 22, 29 and 36 */
        assert_true(has_problem(&p, UINT64_MAX - 1, "reject's input record (source) already seen"));
        rm_tree(a);
        rm_tree(b);
        rm_tree(c);
    }
}

static void test_cmd(void **state)
{
    char *dir = build_dir(20, "c", 0);
    char *argv_ok[] = {"audit", "verify", dir, NULL};
    char *argv_usage[] = {"audit", "check", NULL};
    char *argv_nodir[] = {"audit", "verify", NULL};
    char *argv_missing[] = {"audit", "verify", "/nonexistent/sluice-dir", NULL};
    (void)state;

    assert_int_equal(sl_cmd_audit(3, argv_ok), 0);
    assert_int_equal(sl_cmd_audit(2, argv_usage), 2);
    assert_int_equal(sl_cmd_audit(2, argv_nodir), 2);
    assert_int_equal(sl_cmd_audit(3, argv_missing), 5);
    {
        char p[4096];
        int fd;

        snprintf(p, sizeof(p), "%s/results.jsonl.zst", dir);
        fd = open(p, O_WRONLY | O_APPEND);
        assert_int_equal(write(fd, "junk", 4), 4); /* an uncommitted tail */
        close(fd);
    }
    assert_int_equal(sl_cmd_audit(3, argv_ok), 5);
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_hasher_and_time),
        cmocka_unit_test(test_format_every_field),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_verify_dirs),
        cmocka_unit_test(test_cmd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
