/* test_shard.c: the FNV-1a 64 split of --shard: published test vectors (so other tools can check
 * their implementation against ours), ownership of records without custom_id, and that N shards
 * partition a set of ids exactly. Single-threaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "shard.h"

#define UNUSED __attribute__((unused))

static void test_shard_fnv_vectors(void **state UNUSED)
{
    /* From the FNV reference test suite (Fowler/Noll/Vo, FNV-1a 64). */
    static const struct {
        const char *in;
        uint64_t h;
    } cases[] = {
        {"", 0xcbf29ce484222325ULL},
        {"a", 0xaf63dc4c8601ec8cULL},
        {"b", 0xaf63df4c8601f1a5ULL},
        {"foobar", 0x85944171f73967e8ULL},
        {"\xc3\xa9", 0}, /* UTF-8 bytes hash as bytes: checked against a manual fold below */
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t want = cases[i].h;

        if (!want) {
            want = 0xcbf29ce484222325ULL;
            want = (want ^ 0xc3) * 0x100000001b3ULL;
            want = (want ^ 0xa9) * 0x100000001b3ULL;
        }
        assert_int_equal(sl_shard_hash(cases[i].in, strlen(cases[i].in)), want);
    }
}

static void test_shard_owner(void **state UNUSED)
{
    static const struct {
        unsigned index, count;
        const char *id;
        int owns;
    } cases[] = {
        {0, 0, "x", 1},
        {0, 1, "x", 1},
        {0, 1, NULL, 1},
        {0, 3, NULL, 1},
        {1, 3, NULL, 0},
        {2, 3, NULL, 0},
        /* "a" % 3: 0xaf63dc4c8601ec8c % 3 == 1 */
        {1, 3, "a", 1},
        {0, 3, "a", 0},
        {2, 3, "a", 0},
        /* "foobar": 0x85944171f73967e8 is even */
        {0, 2, "foobar", 1},
        {1, 2, "foobar", 0},
    };
    size_t i;

    assert_int_equal(0xaf63dc4c8601ec8cULL % 3, 1);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(sl_shard_owns(cases[i].index, cases[i].count, cases[i].id), cases[i].owns);
}

static void test_shard_partition(void **state UNUSED)
{
    static const unsigned counts[] = {2, 3, 7, 16};
    size_t c;

    for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        unsigned n = counts[c], per[16] = {0}, k, i;

        for (i = 0; i < 10000; i++) {
            char id[32];
            unsigned owners = 0;

            snprintf(id, sizeof(id), "job-%u", i);
            for (k = 0; k < n; k++)
                if (sl_shard_owns(k, n, id)) {
                    owners++;
                    per[k]++;
                }
            assert_int_equal(owners, 1);
        }
        /* Even spread: every shard within 15% of its fair part. */
        for (k = 0; k < n; k++) {
            assert_true(per[k] > 10000 / n * 85 / 100);
            assert_true(per[k] < 10000 / n * 115 / 100);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard_fnv_vectors),
        cmocka_unit_test(test_shard_owner),
        cmocka_unit_test(test_shard_partition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
