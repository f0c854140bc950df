/* test_libcheck.c: the run-time library version floor: boundaries on both sides, decoding in the
 * message, and that the libraries of this machine pass. Single-threaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "libcheck.h"

#define UNUSED __attribute__((unused))

static void test_libs_ok(void **state UNUSED)
{
    static const struct {
        unsigned curl;
        unsigned long ossl;
        bool ok;
        const char *msg; /* substring of why when refused */
    } cases[] = {
        {0x075800, 0x30000000ul, true, NULL},                       /* 7.88.0, 3.0.0 */
        {0x080b01, 0x30300020ul, true, NULL},                       /* 8.11.1, 3.3.2 */
        {0x0757ff, 0x30000000ul, false, "libcurl 7.87.255"},
        {0x075100, 0x30000000ul, false, "libcurl 7.81.0 is older than 7.88.0"},
        {0x075800, 0x1010117ful, false, "OpenSSL 1.1.1 is older than 3.0.0"},
        {0x075800, 0x2ffffffful, false, "OpenSSL 2.255.255"},
        {0x074000, 0x1000207ful, false, "libcurl 7.64.0"},          /* curl reported first */
        {0, 0, false, "libcurl 0.0.0"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char why[200] = "";
        bool ok = sl_libs_ok(cases[i].curl, cases[i].ossl, why, sizeof(why));

        if (ok != cases[i].ok)
            fail_msg("case %zu: ok %d", i, ok);
        if (cases[i].msg && !strstr(why, cases[i].msg))
            fail_msg("case %zu: why '%s' lacks '%s'", i, why, cases[i].msg);
    }
}

static void test_libs_runtime(void **state UNUSED)
{
    char why[200] = "";

    /* The build machine has libcurl >= 7.88 and OpenSSL 3 (the project's stated dependencies). */
    if (!sl_libs_check_runtime(why, sizeof(why)))
        fail_msg("%s", why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libs_ok),
        cmocka_unit_test(test_libs_runtime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
