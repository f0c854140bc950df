/* test_qredis.c: the lease arithmetic of the shared quota (sl_qcredit_*) and the --quota-redis URL
 * parser. The Redis side is covered by tests/integration/redis_quota.sh. Single-threaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "qredis.h"

#define UNUSED __attribute__((unused))

static void test_qcredit_lease_size(void **state UNUSED)
{
    const struct { /* not static: ceil() is not a constant expression for clang */
        double rpm, tpm, lease_req, lease_tok;
    } cases[] = {
        /* SL_QREDIS_LEASE_S of the per-second rate, rounded up, at least 1 */
        {6000, 0, ceil(100 * SL_QREDIS_LEASE_S), 0},
        {9100, 0, ceil(9100 / 60.0 * SL_QREDIS_LEASE_S), 0},
        {60, 60, 1, 1}, /* at least one */
        {0, 0, 0, 0},   /* unlimited: no lease */
        {0, 1200000, 0, ceil(20000 * SL_QREDIS_LEASE_S)},
        {1e9, 0, ceil(1e9 / 60 * SL_QREDIS_LEASE_S), 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sl_qcredit c;

        sl_qcredit_init(&c, cases[i].rpm, cases[i].tpm);
        assert_true(c.lease_req == cases[i].lease_req);
        assert_true(c.lease_tok == cases[i].lease_tok);
        assert_true(c.req == 0 && c.tok == 0);
    }
}

static void test_qcredit_capacity(void **state UNUSED)
{
    static const struct {
        double per_min, lease;
        uint64_t burst_ms;
        unsigned n;
        double cap;
    } cases[] = {
        {6000, 5, 1000, 3, 80},  /* 100 * 0.95 - 15 */
        {6000, 5, 0, 3, 80},     /* burst 0 = 1000 ms */
        {6000, 5, 2000, 2, 180}, /* 200 * 0.95 - 10 */
        {60, 1, 1000, 4, 1},     /* never below one lease */
        {0, 0, 1000, 3, 0},      /* unlimited */
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double cap =
            sl_qcredit_capacity(cases[i].per_min, cases[i].lease, cases[i].burst_ms, cases[i].n);

        assert_true(cap > cases[i].cap - 1e-9 && cap < cases[i].cap + 1e-9);
    }
}

static void test_qcredit_take_and_want(void **state UNUSED)
{
    static const struct {
        double req, tok; /* credit before */
        uint64_t tokens; /* the job's cost */
        int can;
        double ask_req, ask_tok; /* lease 5 requests, 1000 tokens */
    } cases[] = {
        {0, 0, 10, 0, 5, 1000},     /* empty: ask whole leases */
        {5, 1000, 10, 1, 0, 0},     /* full: nothing to ask */
        {3, 600, 10, 1, 0, 0},      /* above half: no call */
        {2, 600, 10, 1, 3, 0},      /* requests under half: top up */
        {4, 400, 10, 1, 0, 600},    /* tokens under half */
        {1, 1000, 1500, 0, 4, 500}, /* big job: ask up to its cost */
        {0.5, 1000, 10, 0, 5, 0},   /* a fraction of a request does not pay */
        {1, 9.5, 10, 0, 4, 991},    /* nor a fraction short of the tokens */
        {1, 10, 10, 1, 4, 990},     /* exactly enough */
        {-1, -20, 10, 0, 6, 1020},  /* debt from a refund race is repaid first */
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sl_qcredit c;
        double ar, at;
        bool want;

        sl_qcredit_init(&c, 6000, 1200000);
        c.lease_req = 5; /* fixed here so the table does not depend on SL_QREDIS_LEASE_S */
        c.lease_tok = 1000;
        c.req = cases[i].req;
        c.tok = cases[i].tok;
        assert_int_equal(sl_qcredit_can(&c, cases[i].tokens), cases[i].can);
        want = sl_qcredit_want(&c, cases[i].tokens, &ar, &at);
        assert_int_equal(want, cases[i].ask_req > 0 || cases[i].ask_tok > 0);
        assert_true(ar == cases[i].ask_req);
        assert_true(at == cases[i].ask_tok);
        if (cases[i].can) {
            sl_qcredit_spend(&c, cases[i].tokens);
            assert_true(c.req == cases[i].req - 1);
            assert_true(c.tok == cases[i].tok - (double)cases[i].tokens);
            sl_qcredit_refund(&c, 1, cases[i].tokens);
            assert_true(c.req == cases[i].req && c.tok == cases[i].tok);
        }
    }
}

static void test_qcredit_unlimited_dimension(void **state UNUSED)
{
    struct sl_qcredit c;
    double ar, at;

    sl_qcredit_init(&c, 6000, 0); /* tokens unlimited */
    assert_true(c.lease_req >= 2 && c.lease_tok == 0);
    c.req = c.lease_req;
    assert_true(sl_qcredit_can(&c, 1000000));
    sl_qcredit_spend(&c, 1000000);
    assert_true(c.tok == 0 && c.req == c.lease_req - 1);
    assert_false(sl_qcredit_want(&c, 1000000, &ar, &at));
    assert_true(at == 0);
}

static void test_qcredit_accrue(void **state UNUSED)
{
    static const struct {
        double req, tok;
        double share;
        uint64_t dt_ms, tokens;
        double req_after, tok_after;
    } cases[] = {
        /* 6000 rpm = 0.1/ms, 1.2M tpm = 20/ms; lease 5 req, 1000 tok */
        {0, 0, 0.5, 20, 10, 1, 200}, /* half of the rate for 20 ms */
        {0, 0, 1.0 / 3, 30, 10, 1, 200},
        {0, 0, 0.5, 100000, 10, 5, 1000},     /* a long outage never builds more than a lease */
        {4, 900, 0.5, 100000, 3000, 5, 3000}, /* a big job may collect its own cost */
        {7, 2000, 0.5, 1000, 10, 7, 2000},    /* credit above a lease is kept, not cut */
        {0, 0, 0.5, 0, 10, 0, 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sl_qcredit c;

        sl_qcredit_init(&c, 6000, 1200000);
        c.lease_req = 5;
        c.lease_tok = 1000;
        c.req = cases[i].req;
        c.tok = cases[i].tok;
        sl_qcredit_accrue(&c, 6000, 1200000, cases[i].share, cases[i].dt_ms, cases[i].tokens);
        assert_true(c.req > cases[i].req_after - 1e-6 && c.req < cases[i].req_after + 1e-6);
        assert_true(c.tok > cases[i].tok_after - 1e-6 && c.tok < cases[i].tok_after + 1e-6);
    }
}

static void test_qredis_url(void **state UNUSED)
{
    static const struct {
        const char *url;
        int rc;
        const char *host;
        int port;
        const char *prefix;
    } cases[] = {
        {"redis://127.0.0.1:6380/fleet", 0, "127.0.0.1", 6380, "fleet"},
        {"redis://127.0.0.1/fleet:a_b-1.x", 0, "127.0.0.1", 6379, "fleet:a_b-1.x"},
        {"redis://localhost:7000", 0, "localhost", 7000, "sluice"},
        {"redis://localhost:7000/", 0, "localhost", 7000, "sluice"},
        {"redis://h", 0, "h", 6379, "sluice"},
        {"http://127.0.0.1:6379/x", SL_ECONFIG, NULL, 0, NULL},
        {"redis://:6379/x", SL_ECONFIG, NULL, 0, NULL},
        {"redis://h:0/x", SL_ECONFIG, NULL, 0, NULL},
        {"redis://h:65536/x", SL_ECONFIG, NULL, 0, NULL},
        {"redis://h:12ab/x", SL_ECONFIG, NULL, 0, NULL},
        {"redis://h:6379/a b", SL_ECONFIG, NULL, 0, NULL},
        {"redis://h:6379/a{b}", SL_ECONFIG, NULL, 0, NULL},
        {"", SL_ECONFIG, NULL, 0, NULL},
        {NULL, SL_ECONFIG, NULL, 0, NULL},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char host[64] = "", prefix[128] = "";
        int port = 0;

        assert_int_equal(
            sl_qredis_parse_url(cases[i].url, host, sizeof(host), &port, prefix, sizeof(prefix)),
            cases[i].rc);
        if (cases[i].rc)
            continue;
        assert_string_equal(host, cases[i].host);
        assert_int_equal(port, cases[i].port);
        assert_string_equal(prefix, cases[i].prefix);
    }
    {
        char longp[140], url[200], host[64], prefix[128];
        int port;

        memset(longp, 'p', 101);
        longp[101] = 0;
        snprintf(url, sizeof(url), "redis://h:1/%s", longp);
        assert_int_equal(
            sl_qredis_parse_url(url, host, sizeof(host), &port, prefix, sizeof(prefix)),
            SL_ECONFIG);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qcredit_lease_size),
        cmocka_unit_test(test_qcredit_capacity),
        cmocka_unit_test(test_qcredit_take_and_want),
        cmocka_unit_test(test_qcredit_unlimited_dimension),
        cmocka_unit_test(test_qcredit_accrue),
        cmocka_unit_test(test_qredis_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
