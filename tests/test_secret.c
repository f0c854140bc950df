/* test_secret.c: the API key's handling: where it may come from, that its copy in the environment
 * is wiped, that loose key files are refused, and the endpoint rules for plain http. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http.h"
#include "secret.h"

static void env_key_is_wiped_from_the_environment(void **state)
{
    struct sl_secret s;
    char why[256];
    char *v;
    size_t n, i;

    (void)state;
    setenv("SL_TEST_KEY", "sk-test-0123456789abcdef", 1);
    v = getenv("SL_TEST_KEY");
    n = strlen(v);
    assert_int_equal(sl_secret_load(&s, NULL, "SL_TEST_KEY", "Authorization", why, sizeof(why)), 0);
    assert_string_equal(sl_secret_header(&s), "Authorization: Bearer sk-test-0123456789abcdef");
    assert_null(getenv("SL_TEST_KEY"));
    for (i = 0; i < n; i++) /* the old value's bytes, where the environment held them */
        assert_int_equal(v[i], 0);
    sl_secret_wipe(&s);
    assert_null(s.buf);
}

static void missing_or_empty_key_is_a_clear_error(void **state)
{
    struct sl_secret s;
    char why[256];

    (void)state;
    unsetenv("SL_TEST_NOKEY");
    assert_int_equal(sl_secret_load(&s, NULL, "SL_TEST_NOKEY", "Authorization", why, sizeof(why)),
                     SL_ECONFIG);
    assert_non_null(strstr(why, "SL_TEST_NOKEY"));
    setenv("SL_TEST_NOKEY", "   ", 1);
    assert_int_equal(sl_secret_load(&s, NULL, "SL_TEST_NOKEY", "Authorization", why, sizeof(why)),
                     SL_ECONFIG);
    setenv("SL_TEST_NOKEY", "sk-a\r\nX-Evil: 1", 1); /* header injection */
    assert_int_equal(sl_secret_load(&s, NULL, "SL_TEST_NOKEY", "Authorization", why, sizeof(why)),
                     SL_ECONFIG);
    assert_null(strstr(why, "sk-a"));
}

static void key_file_must_be_owner_only(void **state)
{
    char path[] = "/tmp/sl-test-key-XXXXXX";
    struct sl_secret s;
    char why[256];
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "sk-file-key\n", 12), 12);
    close(fd);
    chmod(path, 0644);
    assert_int_equal(sl_secret_load(&s, path, "UNUSED", "api-key", why, sizeof(why)), SL_ECONFIG);
    assert_non_null(strstr(why, "chmod 600"));
    assert_null(strstr(why, "sk-file-key"));
    chmod(path, 0600);
    assert_int_equal(sl_secret_load(&s, path, "UNUSED", "api-key", why, sizeof(why)), 0);
    assert_string_equal(sl_secret_header(&s), "api-key: sk-file-key");
    /* Rotation: the file changes, reload takes the new key. */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, "sk-rotated-longer-key", 21), 21);
    close(fd);
    assert_int_equal(sl_secret_reload(&s, path, "api-key", why, sizeof(why)), 0);
    assert_string_equal(sl_secret_header(&s), "api-key: sk-rotated-longer-key");
    sl_secret_wipe(&s);
    unlink(path);
}

static void endpoint_rules(void **state)
{
    static const struct {
        const char *url;
        bool allow_http;
        int want;
    } cases[] = {
        {"https://api.openai.com", false, 0},
        {"https://10.1.2.3:8443", false, 0},
        {"http://127.0.0.1:8080", false, SL_ECONFIG},
        {"http://127.0.0.1:8080", true, 0},
        {"http://localhost:11434", true, 0},
        {"http://[::1]:8000", true, 0},
        {"http://api.openai.com", true, SL_ECONFIG},
        {"http://192.0.2.1", true, SL_ECONFIG},
        {"http://127.0.0.1.evil.example", true, SL_ECONFIG},
        {"ftp://127.0.0.1", true, SL_ECONFIG},
        {"not a url", false, SL_ECONFIG},
    };
    char why[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = sl_http_check_endpoint(cases[i].url, cases[i].allow_http, why, sizeof(why));
        if (rc != cases[i].want)
            fail_msg("%s (allow_http=%d): got %d, want %d", cases[i].url, cases[i].allow_http, rc,
                     cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(env_key_is_wiped_from_the_environment),
        cmocka_unit_test(missing_or_empty_key_is_a_clear_error),
        cmocka_unit_test(key_file_must_be_owner_only),
        cmocka_unit_test(endpoint_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
