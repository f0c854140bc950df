/* test_template.c: templated jobs: template checks, and substitution that is JSON-correct (the
 * text is put into decoded strings, so quotes, backslashes, newlines, braces and a literal
 * {{text}} inside the text cannot change the structure). Single-threaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "template.h"

#define UNUSED __attribute__((unused))

static const char tmpl_chat[] =
    "{\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"Classify.\"},"
    "{\"role\":\"user\",\"content\":\"Review: {{text}}\"}],\"max_tokens\":2,\"tags\":[\"{{text}}|{{text}}\",1]}}";

static void test_template_parse(void **state UNUSED)
{
    static const struct {
        const char *t;
        int rc;
    } cases[] = {
        {tmpl_chat, 0},
        {"{\"url\":\"/v1/embeddings\",\"method\":\"POST\",\"body\":{\"input\":\"{{text}}\"}}", 0},
        {"", SL_ECONFIG},
        {"[]", SL_ECONFIG},
        {"{}", SL_ECONFIG},
        {"{\"body\":{\"input\":\"no placeholder\"}}", SL_ECONFIG},
        {"{\"body\":{\"{{text}}\":\"key only\"}}", SL_ECONFIG},
        {"{\"body\":\"{{text}}\"}", SL_ECONFIG},
        {"{\"url\":\"v1/x\",\"body\":{\"a\":\"{{text}}\"}}", SL_ECONFIG},
        {"{\"url\":5,\"body\":{\"a\":\"{{text}}\"}}", SL_ECONFIG},
        {"{\"method\":\"\",\"body\":{\"a\":\"{{text}}\"}}", SL_ECONFIG},
        {"{\"custom_id\":\"x\",\"body\":{\"a\":\"{{text}}\"}}", SL_ECONFIG},
        {"{\"body\":{\"a\":\"{{text}\"}}", SL_ECONFIG},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *t = NULL;
        struct sl_err err;
        int rc;

        sl_err_clear(&err);
        rc = sl_template_parse(cases[i].t, strlen(cases[i].t), &t, &err);
        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d want %d (%s)", i, rc, cases[i].rc, err.reason);
        assert_true(rc ? t == NULL : t != NULL);
        json_decref(t);
    }
}

static void test_template_apply(void **state UNUSED)
{
    static const struct {
        const char *tmpl, *rec, *want; /* want NULL: expect rc */
        int rc;
    } cases[] = {
        {tmpl_chat, "{\"custom_id\":\"a\",\"text\":\"great\"}",
         "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{"
         "\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"Classify.\"},"
         "{\"role\":\"user\",\"content\":\"Review: great\"}],\"max_tokens\":2,\"tags\":[\"great|great\",1]}}",
         0},
        /* quotes, backslash, newline, braces and a literal placeholder stay text */
        {"{\"url\":\"/v1/embeddings\",\"body\":{\"input\":\"{{text}}\"}}",
         "{\"custom_id\":\"b\",\"text\":\"say \\\"hi\\\"\\\\ \\n {{text}} }]\"}",
         "{\"custom_id\":\"b\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{"
         "\"input\":\"say \\\"hi\\\"\\\\ \\n {{text}} }]\"}}",
         0},
        {"{\"method\":\"PUT\",\"body\":{\"input\":\"<{{text}}>\"}}", "{\"custom_id\":\"c\",\"text\":\"\"}",
         "{\"custom_id\":\"c\",\"method\":\"PUT\",\"url\":\"/v1/chat/completions\",\"body\":{\"input\":\"<>\"}}",
         0},
        {"{\"body\":{\"input\":\"{{text}}\"}}", "{\"custom_id\":\"d\",\"text\":\"caf\\u00e9 \\u2603\"}",
         "{\"custom_id\":\"d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"input\":\"caf\\u00e9 \\u2603\"}}",
         0},
        {tmpl_chat, "{\"custom_id\":\"e\"}", NULL, SL_ESCHEMA},
        {tmpl_chat, "{\"custom_id\":\"e\",\"text\":5}", NULL, SL_ESCHEMA},
        {tmpl_chat, "{\"text\":\"x\"}", NULL, SL_ESCHEMA},
        {tmpl_chat, "{\"custom_id\":\"e\",\"text\":\"x\",\"body\":{}}", NULL, SL_ESCHEMA},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *t, *rec, *job = NULL, *want;
        struct sl_err err;
        int rc;

        sl_err_clear(&err);
        assert_int_equal(sl_template_parse(cases[i].tmpl, strlen(cases[i].tmpl), &t, &err), 0);
        rec = json_loads(cases[i].rec, 0, NULL);
        assert_non_null(rec);
        rc = sl_template_apply(t, rec, &job, &err);
        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d want %d (%s)", i, rc, cases[i].rc, err.reason);
        if (cases[i].want) {
            want = json_loads(cases[i].want, 0, NULL);
            assert_non_null(want);
            if (!json_equal(job, want)) {
                char *got = json_dumps(job, JSON_COMPACT);

                fail_msg("case %zu: got %s", i, got);
            }
            json_decref(want);
        } else {
            assert_null(job);
        }
        /* the template is unchanged: it serves the next record */
        {
            json_t *again = json_loads(cases[i].tmpl, 0, NULL);

            assert_true(json_equal(again, t));
            json_decref(again);
        }
        json_decref(job);
        json_decref(rec);
        json_decref(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template_parse),
        cmocka_unit_test(test_template_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
