/* test_idset.c: duplicate custom_id detection in fixed memory (idset.h): no unique id is ever
 * called a duplicate even with a filter so small that nearly every id is a suspect, every true
 * duplicate is found, the first occurrence in input order wins whatever the thread timing, a
 * resumed run (input read again, done positions taking their turn) decides exactly as an
 * uninterrupted one, and the scratch files leave nothing behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "idset.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/sl_test_idset_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(dir); /* fails if a scratch file was left behind */
}

static uint64_t mix(uint64_t x) /* a bijection: distinct inputs give distinct ids */
{
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ULL;
    x ^= x >> 27;
    x *= 0x81dadef4bc2dd44dULL;
    x ^= x >> 33;
    return x;
}

static size_t id_of(uint64_t k, char *buf)
{
    /* varied lengths (1 to 40 bytes), like real custom_ids */
    int n = snprintf(buf, 64, "%" PRIx64 "-%.*s", mix(k), (int)(k % 24), "abcdefghijklmnopqrstuvwx");

    return (size_t)n;
}

static void open_set2(struct sl_idset *s, size_t filter_bytes, size_t heads_bytes, uint64_t seed)
{
    struct sl_idset_opts o = {
        .seed = seed, .filter_bytes = filter_bytes, .heads_bytes = heads_bytes, .dir = dir};

    assert_int_equal(sl_idset_open(s, &o), 0);
}

static void open_set(struct sl_idset *s, size_t filter_bytes, uint64_t seed)
{
    open_set2(s, filter_bytes, 0, seed);
}

static int entries(const char *d)
{
    DIR *dp = opendir(d);
    struct dirent *e;
    int n = 0;

    assert_non_null(dp);
    while ((e = readdir(dp)))
        n += e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
    closedir(dp);
    return n;
}

/* 2M unique ids through a 4 KiB filter (saturated at once: nearly every id is a suspect and walks
 * its bucket's chain in the log): not one is reported a duplicate. Then each of 50k of them
 * again: all are. */
static void test_no_false_duplicate_tiny_filter(void **state)
{
    const uint64_t n = 2000000, again = 50000;
    struct sl_idset s;
    struct sl_idset_stats st;
    uint64_t seq = 0;
    char id[64];

    (void)state;
    open_set(&s, 4096, 0x1234);
    assert_int_equal(entries(dir), 0); /* unlinked scratch files */
    for (uint64_t k = 0; k < n; k++) {
        size_t len = id_of(k, id);
        int rc = sl_idset_insert_at(&s, seq++, id, len);

        if (rc != 1)
            fail_msg("unique id %" PRIu64 " got %d", k, rc);
    }
    for (uint64_t k = 0; k < again; k++) {
        size_t len = id_of(mix(k) % n, id);

        assert_int_equal(sl_idset_insert_at(&s, seq++, id, len), 0);
    }
    sl_idset_stats(&s, &st);
    assert_true(st.ids == n);
    assert_true(st.duplicates == again);
    assert_true(st.suspects > n * 9 / 10); /* the filter really was useless */
    /* the walks really read the log on disk: 2M ids over 2^20 chains, a few records each */
    assert_true(st.log_reads > n / 2);
    assert_true(st.chain_steps >= st.log_reads);
    sl_idset_destroy(&s);
}

/* Table-driven: inputs with known duplicates, at a tiny and at the default filter size. The
 * expected answer comes from a brute-force comparison with every earlier id. */
static void test_every_duplicate_found(void **state)
{
    static const struct {
        size_t filter;
        uint64_t n, distinct; /* position i has id (i * 7919) % distinct, or a unique one */
        unsigned dup_every;   /* every dup_every-th position repeats an earlier id; 0: all repeat */
    } cases[] = {
        {64, 20000, 20000, 3},
        {4096, 20000, 5000, 1},   /* heavy duplication */
        {0, 20000, 20000, 10},
        {0, 30000, 7, 0},         /* nearly everything a duplicate of 7 ids */
        {64, 1, 1, 0},
    };

    (void)state;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        uint64_t n = cases[c].n, dups = 0, found = 0;
        unsigned char *seen = calloc(n + cases[c].distinct, 1);
        struct sl_idset s;
        char id[64];

        assert_non_null(seen);
        open_set(&s, cases[c].filter, c);
        for (uint64_t i = 0; i < n; i++) {
            bool rep = cases[c].dup_every == 0 || i % cases[c].dup_every == 0;
            uint64_t key = rep ? (i * 7919) % cases[c].distinct : cases[c].distinct + i;
            size_t len = id_of(key, id);
            int rc = sl_idset_insert_at(&s, i, id, len);

            if (rc != (seen[key] ? 0 : 1))
                fail_msg("case %zu position %" PRIu64 ": got %d", c, i, rc);
            dups += seen[key];
            found += rc == 0;
            seen[key] = 1;
        }
        assert_true(dups == found);
        free(seen);
        sl_idset_destroy(&s);
    }
}

/* Chains that cross the log's write buffer boundary: 64 buckets and a 64-byte filter, so every
 * id is a suspect and each chain runs from records still in the 64 KiB buffer back into records
 * already written (about 60 bytes a record: the buffer is written every ~1,100 records). After
 * each new id, the same id again (its record buffered, or just written) and one ~1,500 positions
 * back (on disk, behind buffered records of its chain): duplicates; a prefix of the id and the id
 * with its last byte changed: new. */
static void test_chain_across_write_buffer(void **state)
{
    const uint64_t n = 4000;
    struct sl_idset s;
    struct sl_idset_stats st;
    uint64_t seq = 0, dups = 0;
    char id[64];

    (void)state;
    open_set2(&s, 64, 512, 0xc0ffee);
    assert_int_equal(s.nheads, 64);
    for (uint64_t k = 0; k < n; k++) {
        /* ids of 40-ish bytes: a record of ~60 */
        int len = snprintf(id, sizeof(id), "%016" PRIx64 "-buffer-boundary-%06" PRIu64, mix(k), k);
        int rc = sl_idset_insert_at(&s, seq++, id, (size_t)len);

        if (rc != 1)
            fail_msg("unique id %" PRIu64 " got %d", k, rc);
        for (int back = 0; back < 2; back++) {
            uint64_t j = back ? (k >= 1500 ? k - 1500 : k / 2) : k;

            len = snprintf(id, sizeof(id), "%016" PRIx64 "-buffer-boundary-%06" PRIu64, mix(j), j);
            rc = sl_idset_insert_at(&s, seq++, id, (size_t)len);
            if (rc != 0)
                fail_msg("duplicate of %" PRIu64 " at %" PRIu64 " got %d", j, k, rc);
            dups++;
        }
        /* a prefix of a known id, and the id with its last byte changed: both new */
        len = snprintf(id, sizeof(id), "%016" PRIx64 "-buffer-boundary-%06" PRIu64, mix(k), k);
        assert_int_equal(sl_idset_insert_at(&s, seq++, id, (size_t)len - 1), 1);
        id[len - 1] ^= 0x40;
        assert_int_equal(sl_idset_insert_at(&s, seq++, id, (size_t)len), 1);
    }
    sl_idset_stats(&s, &st);
    assert_true(st.ids == 3 * n);
    assert_true(st.duplicates == dups);
    assert_true(st.suspects > st.ids * 9 / 10);
    assert_true(st.log_reads > 0);                   /* walks went to disk */
    assert_true(st.chain_steps - st.log_reads > n); /* and through the buffer */
    sl_idset_destroy(&s);
}

/* ---- order: positions must come in input order, each once (inorder.h orders the workers; its
 * own test races threads through it into a set) ---- */

static void test_out_of_order_refused(void **state)
{
    struct sl_idset s;
    struct sl_idset_stats st;

    (void)state;
    open_set(&s, 1024, 99);
    assert_int_equal(sl_idset_insert_at(&s, 0, "a", 1), 1);
    assert_int_equal(sl_idset_insert_at(&s, 2, "b", 1), -EINVAL); /* skips position 1 */
    assert_int_equal(sl_idset_insert_at(&s, 0, "b", 1), -EINVAL); /* position 0 again */
    assert_int_equal(sl_idset_insert_at(&s, 1, NULL, 0), 1);      /* a position without an id */
    assert_int_equal(sl_idset_insert_at(&s, 2, "a", 1), 0);       /* the refusals changed nothing */
    assert_int_equal(sl_idset_insert_at(&s, 3, "b", 1), 1);
    sl_idset_stats(&s, &st);
    assert_int_equal(st.ids, 2);
    assert_int_equal(st.duplicates, 1);
    sl_idset_destroy(&s);
}

/* ---- resume: a fresh set, the input from the start, done positions taking their turn ---- */

static void test_resume_rebuilds_the_same_answers(void **state)
{
    const uint64_t n = 40000, crash_at = 17000;
    int *ref = malloc(n * sizeof(int));
    struct sl_idset s;
    char id[64];

    (void)state;
    assert_non_null(ref);
    /* input: ids with duplicates both before and after the crash point */
    open_set(&s, 128, 7);
    for (uint64_t i = 0; i < n; i++)
        ref[i] = sl_idset_insert_at(&s, i, id, id_of(i % 25000, id));
    sl_idset_destroy(&s);
    /* interrupted run: positions below crash_at got through, then the process died */
    open_set(&s, 128, 8);
    for (uint64_t i = 0; i < crash_at; i++)
        assert_int_equal(sl_idset_insert_at(&s, i, id, id_of(i % 25000, id)), ref[i]);
    sl_idset_destroy(&s); /* the scratch files die with it */
    assert_int_equal(entries(dir), 0);
    /* resumed run (another seed, as every run): the done positions take their turn with their id
     * (work.c), the rest is decided: exactly as without the crash */
    open_set(&s, 128, 9);
    for (uint64_t i = 0; i < n; i++) {
        int rc = sl_idset_insert_at(&s, i, id, id_of(i % 25000, id));

        if (rc != ref[i])
            fail_msg("position %" PRIu64 " after resume: %d, uninterrupted %d", i, rc, ref[i]);
    }
    /* positions 25000.. repeat ids done before the crash: rejected */
    assert_int_equal(ref[25000], 0);
    assert_int_equal(ref[16999], 1);
    sl_idset_destroy(&s);
    free(ref);
}

static void test_limits(void **state)
{
    static char big[SL_IDSET_ID_MAX + 2];
    struct sl_idset s;

    (void)state;
    memset(big, 'x', sizeof(big));
    open_set(&s, 0, 1);
    assert_int_equal(sl_idset_insert_at(&s, 0, big, SL_IDSET_ID_MAX + 1), -E2BIG);
    assert_int_equal(sl_idset_insert_at(&s, 1, big, SL_IDSET_ID_MAX), 1);
    assert_int_equal(sl_idset_insert_at(&s, 2, big, SL_IDSET_ID_MAX), 0);
    assert_int_equal(sl_idset_insert_at(&s, 3, big, SL_IDSET_ID_MAX - 1), 1); /* a prefix */
    assert_int_equal(sl_idset_insert_at(&s, 4, "", 0), 1);
    assert_int_equal(sl_idset_insert_at(&s, 5, "", 0), 0);
    sl_idset_destroy(&s);
    sl_idset_destroy(&s); /* twice is fine */
    {
        struct sl_idset_opts o = {.seed = 1, .dir = "/nonexistent/sluice"};

        assert_true(sl_idset_open(&s, &o) < 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_false_duplicate_tiny_filter),
        cmocka_unit_test(test_every_duplicate_found),
        cmocka_unit_test(test_chain_across_write_buffer),
        cmocka_unit_test(test_out_of_order_refused),
        cmocka_unit_test(test_resume_rebuilds_the_same_answers),
        cmocka_unit_test(test_limits),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
