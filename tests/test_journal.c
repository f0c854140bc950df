/* test_journal.c: the journal format: CRC-32C, encode/parse round trips, torn and invalid
 * records, the seq bound, and the file loader agreeing with the memory parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"

static void test_crc32c_vectors(void **state)
{
    static const struct {
        const char *in;
        uint32_t want;
    } cases[] = {
        {"", 0x00000000u},
        {"a", 0xC1D04330u},
        {"123456789", 0xE3069283u},
        {"The quick brown fox jumps over the lazy dog", 0x22620404u},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(sl_crc32c(0, cases[i].in, strlen(cases[i].in)), cases[i].want);
    /* incremental == one shot */
    assert_int_equal(sl_crc32c(sl_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
}

/* Build a journal of `ncommits` commits; commit i holds seqs i*per .. i*per+per-1, shuffled. */
static void build(struct sl_buf *out, int ncommits, int per, size_t *ends)
{
    struct sl_journal_commit c;
    uint64_t *seqs = malloc(sizeof(uint64_t) * (size_t)(per ? per : 1));

    memset(&c, 0, sizeof(c));
    for (int i = 0; i < ncommits; i++) {
        c.commit_no++;
        for (int j = 0; j < per; j++)
            seqs[j] = (uint64_t)(i * per + (per - 1 - j)); /* reverse: encode must sort */
        c.counts[i % 3] += (uint64_t)per;
        c.audit_n += (uint64_t)per;
        for (int f = 0; f < SL_JF__COUNT; f++)
            c.file_len[f] = (uint64_t)(100 * (i + 1) + f);
        memset(c.audit_hash, i + 1, 32);
        assert_int_equal(sl_journal_encode(&c, seqs, (size_t)per, out), 0);
        if (ends)
            ends[i] = out->len;
    }
    free(seqs);
}

static void test_round_trip(void **state)
{
    static const struct {
        int commits, per;
    } cases[] = {{0, 0}, {1, 0}, {1, 1}, {3, 5}, {10, 1000}};
    (void)state;
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct sl_buf b;
        struct sl_journal_state st;
        uint64_t total = (uint64_t)cases[k].commits * (uint64_t)cases[k].per;

        sl_buf_init(&b, 0);
        build(&b, cases[k].commits, cases[k].per, NULL);
        sl_journal_state_init(&st);
        assert_int_equal(sl_journal_parse((const uint8_t *)b.p, b.len, SL_JOURNAL_MAX_SEQ, &st), 0);
        assert_int_equal(st.records, cases[k].commits);
        assert_int_equal(st.valid_len, b.len);
        assert_int_equal(st.done.count, total);
        for (uint64_t s = 0; s < total + 70; s++)
            assert_int_equal(sl_bitmap_test(&st.done, s), s < total);
        assert_int_equal(st.last.commit_no, cases[k].commits);
        assert_int_equal(st.last.audit_n, total);
        if (cases[k].commits) {
            assert_int_equal(st.last.file_len[SL_JF_AUDIT], 100 * cases[k].commits + 3);
            assert_int_equal(st.last.audit_hash[0], cases[k].commits);
        }
        sl_journal_state_free(&st);
        sl_buf_free(&b);
    }
}

/* Every prefix (a torn write) parses to exactly the records wholly inside it. */
static void test_torn_prefixes(void **state)
{
    struct sl_buf b;
    size_t ends[4];
    (void)state;

    sl_buf_init(&b, 0);
    build(&b, 4, 7, ends);
    for (size_t cut = 0; cut <= b.len; cut++) {
        struct sl_journal_state st;
        uint64_t want = 0;

        while (want < 4 && ends[want] <= cut)
            want++;
        sl_journal_state_init(&st);
        assert_int_equal(sl_journal_parse((const uint8_t *)b.p, cut, SL_JOURNAL_MAX_SEQ, &st), 0);
        assert_int_equal(st.records, want);
        assert_int_equal(st.valid_len, want ? ends[want - 1] : 0);
        assert_int_equal(st.done.count, want * 7);
        sl_journal_state_free(&st);
    }
    sl_buf_free(&b);
}

/* A flipped byte anywhere in record 2 of 3 keeps exactly record 1. */
static void test_flipped_bytes(void **state)
{
    struct sl_buf b;
    size_t ends[3];
    (void)state;

    sl_buf_init(&b, 0);
    build(&b, 3, 4, ends);
    for (size_t pos = ends[0]; pos < ends[1]; pos++) {
        struct sl_journal_state st;

        b.p[pos] ^= 0x10;
        sl_journal_state_init(&st);
        assert_int_equal(sl_journal_parse((const uint8_t *)b.p, b.len, SL_JOURNAL_MAX_SEQ, &st), 0);
        assert_int_equal(st.records, 1);
        assert_int_equal(st.valid_len, ends[0]);
        sl_journal_state_free(&st);
        b.p[pos] ^= 0x10;
    }
    sl_buf_free(&b);
}

/* Valid CRC but breaking continuity: the record is refused. */
static void test_continuity(void **state)
{
    static const struct {
        const char *what;
        uint64_t commit_no, audit_n, count0, len0;
        size_t nseq;
    } cases[] = {
        {"ok", 2, 4, 4, 10, 2},
        {"commit number skips", 3, 4, 4, 10, 2},
        {"commit number repeats", 1, 4, 4, 10, 2},
        {"audit count off", 2, 5, 4, 10, 2},
        {"counts do not grow by k", 2, 4, 5, 10, 2},
        {"file shrinks", 2, 4, 4, 9, 2},
    };
    (void)state;
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct sl_journal_commit c;
        struct sl_journal_state st;
        struct sl_buf b;
        uint64_t seqs[2] = {0, 1};

        sl_buf_init(&b, 0);
        memset(&c, 0, sizeof(c));
        c.commit_no = 1;
        c.audit_n = 2;
        c.counts[0] = 2;
        c.file_len[0] = 10;
        assert_int_equal(sl_journal_encode(&c, seqs, 2, &b), 0);
        c.commit_no = cases[k].commit_no;
        c.audit_n = cases[k].audit_n;
        c.counts[0] = cases[k].count0;
        c.file_len[0] = cases[k].len0;
        seqs[0] = 2;
        seqs[1] = 3;
        assert_int_equal(sl_journal_encode(&c, seqs, cases[k].nseq, &b), 0);
        sl_journal_state_init(&st);
        assert_int_equal(sl_journal_parse((const uint8_t *)b.p, b.len, SL_JOURNAL_MAX_SEQ, &st), 0);
        assert_int_equal(st.records, k == 0 ? 2 : 1);
        sl_journal_state_free(&st);
        sl_buf_free(&b);
    }
}

static void test_seq_bound(void **state)
{
    struct sl_journal_commit c;
    struct sl_journal_state st;
    struct sl_buf b;
    uint64_t seqs[2] = {5, (uint64_t)1 << 40};
    (void)state;

    memset(&c, 0, sizeof(c));
    c.commit_no = 1;
    c.audit_n = 2;
    c.counts[1] = 2;
    sl_buf_init(&b, 0);
    assert_int_equal(sl_journal_encode(&c, seqs, 2, &b), 0);
    sl_journal_state_init(&st);
    assert_int_equal(sl_journal_parse((const uint8_t *)b.p, b.len, (uint64_t)1 << 20, &st), 0);
    assert_int_equal(st.records, 0); /* a seq past the bound: not applied, no huge bitmap */
    assert_null(st.done.w);
    sl_journal_state_free(&st);
    sl_buf_free(&b);
}

/* The seqs come in any order; the record is the same bytes as for the sorted list, whatever the
 * order, for a dense range (bitmap sort) and a sparse one (qsort); a repeated seq is kept. */
static void test_seq_order(void **state)
{
    enum { N = 600 };
    static uint64_t sorted[N], seqs[N];
    const char *const orders[] = {"sorted", "swapped pairs", "late stragglers", "reversed",
                                  "shuffled"};
    struct sl_journal_commit c;
    struct sl_buf want, got;
    uint64_t x = 88172645463325252ULL;
    (void)state;

    memset(&c, 0, sizeof(c));
    c.commit_no = 1;
    c.audit_n = N;
    c.counts[0] = N;
    for (size_t i = 0; i < N; i++)
        sorted[i] = 3 * i + (i % 7); /* increasing, uneven gaps */
    for (int sparse = 0; sparse < 2; sparse++) {
        if (sparse)
            for (size_t i = 0; i < N; i++)
                sorted[i] = ((uint64_t)i << 20) + (i % 5); /* a range far wider than N */
        sl_buf_init(&want, 0);
        memcpy(seqs, sorted, sizeof(seqs));
        assert_int_equal(sl_journal_encode(&c, seqs, N, &want), 0);
        for (size_t k = 0; k < sizeof(orders) / sizeof(orders[0]); k++) {
            struct sl_journal_state st;

            memcpy(seqs, sorted, sizeof(seqs));
            for (size_t i = 0; i < N; i++) {
                size_t j;
                uint64_t t;

                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                j = k == 1   ? (i % 2 ? i - 1 : i)
                    : k == 2 ? (i % 50 == 0 && i >= 20 ? i - 20 : i)
                    : k == 3 ? N - 1 - i
                    : k == 4 ? (size_t)(x % (i + 1))
                             : i;
                if (k == 3 && i >= N / 2)
                    break;
                t = seqs[i], seqs[i] = seqs[j], seqs[j] = t;
            }
            print_message("order: %s\n", orders[k]);
            sl_buf_init(&got, 0);
            assert_int_equal(sl_journal_encode(&c, seqs, N, &got), 0);
            assert_int_equal(got.len, want.len);
            assert_memory_equal(got.p, want.p, want.len);
            sl_journal_state_init(&st);
            assert_int_equal(
                sl_journal_parse((const uint8_t *)got.p, got.len, SL_JOURNAL_MAX_SEQ, &st), 0);
            assert_int_equal(st.records, 1);
            for (size_t i = 0; i < N; i++)
                assert_true(sl_bitmap_test(&st.done, sorted[i]));
            sl_journal_state_free(&st);
            sl_buf_free(&got);
        }
        sl_buf_free(&want);
    }
    {
        /* a repeat (the writer never sends one): both copies stay, in order */
        uint64_t rep[5] = {9, 7, 8, 7, 10}, dup_want[5] = {7, 7, 8, 9, 10};
        uint64_t rep2[5];

        memcpy(rep2, dup_want, sizeof(rep2));
        sl_buf_init(&want, 0);
        sl_buf_init(&got, 0);
        assert_int_equal(sl_journal_encode(&c, rep2, 5, &want), 0);
        assert_int_equal(sl_journal_encode(&c, rep, 5, &got), 0);
        assert_memory_equal(rep, dup_want, sizeof(rep));
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.p, want.p, want.len);
        sl_buf_free(&want);
        sl_buf_free(&got);
    }
}

static void test_file_load_matches_parse(void **state)
{
    char path[] = "/tmp/sl_test_journal_XXXXXX";
    struct sl_journal_state a, m;
    struct sl_buf b;
    size_t ends[5];
    int fd = mkstemp(path);
    (void)state;

    assert_true(fd >= 0);
    sl_buf_init(&b, 0);
    build(&b, 5, 300, ends);
    assert_int_equal(sl_buf_append(&b, "SLJ1\xff\xff", 6), 0); /* torn tail */
    assert_int_equal(write(fd, b.p, b.len), (ssize_t)b.len);
    sl_journal_state_init(&a);
    sl_journal_state_init(&m);
    assert_int_equal(sl_journal_load(fd, SL_JOURNAL_MAX_SEQ, &a), 0);
    assert_int_equal(sl_journal_parse((const uint8_t *)b.p, b.len, SL_JOURNAL_MAX_SEQ, &m), 0);
    assert_int_equal(a.records, 5);
    assert_int_equal(a.valid_len, ends[4]);
    assert_int_equal(m.valid_len, ends[4]);
    assert_memory_equal(&a.last, &m.last, sizeof(a.last));
    assert_int_equal(a.done.count, 1500);
    assert_int_equal(m.done.count, 1500);
    sl_journal_state_free(&a);
    sl_journal_state_free(&m);
    sl_buf_free(&b);
    close(fd);
    unlink(path);
}

/* The corpus seeds were written by an independent encoder from the format comment in journal.h. */
static void test_seeds_from_spec(void **state)
{
    static const struct {
        const char *file;
        uint64_t records, done, last_audit_len;
    } cases[] = {
        {"two_commits", 2, 5, 300},
        {"torn_tail", 1, 3, 200},
        {"empty_commit", 1, 0, 0},
        {"garbage", 0, 0, 0},
    };
    const char *src = getenv("SL_SOURCE_DIR") ? getenv("SL_SOURCE_DIR") : SL_SOURCE_DIR;
    (void)state;

    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char path[4096];
        struct sl_journal_state st;
        int fd;

        snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/journal/%s", src, cases[k].file);
        fd = open(path, O_RDONLY);
        assert_true(fd >= 0);
        sl_journal_state_init(&st);
        assert_int_equal(sl_journal_load(fd, SL_JOURNAL_MAX_SEQ, &st), 0);
        assert_int_equal(st.records, cases[k].records);
        assert_int_equal(st.done.count, cases[k].done);
        assert_int_equal(st.last.file_len[SL_JF_AUDIT], cases[k].last_audit_len);
        if (k == 0) {
            static const uint64_t want[] = {0, 1, 2, 3, 200};
            for (size_t i = 0; i < 5; i++)
                assert_true(sl_bitmap_test(&st.done, want[i]));
            assert_false(sl_bitmap_test(&st.done, 4));
        }
        sl_journal_state_free(&st);
        close(fd);
    }
}

static void test_bitmap(void **state)
{
    struct sl_bitmap bm = {0};
    static const uint64_t bits[] = {0, 63, 64, 65, 100000, 100000, 7};
    (void)state;

    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
        assert_int_equal(sl_bitmap_set(&bm, bits[i]), 0);
    assert_int_equal(bm.count, 6); /* the repeat counts once */
    assert_true(sl_bitmap_test(&bm, 100000));
    assert_false(sl_bitmap_test(&bm, 99999));
    assert_false(sl_bitmap_test(&bm, (uint64_t)1 << 50));
    sl_bitmap_free(&bm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_vectors),   cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_torn_prefixes),    cmocka_unit_test(test_flipped_bytes),
        cmocka_unit_test(test_continuity),       cmocka_unit_test(test_seq_bound),
        cmocka_unit_test(test_seq_order),
        cmocka_unit_test(test_file_load_matches_parse), cmocka_unit_test(test_bitmap),
        cmocka_unit_test(test_seeds_from_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
