/* test_utf8.c: strict UTF-8 validation and U+FFFD repair (stages/utf8.c), table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "utf8.h"

struct vcase {
    const char *name;
    const char *in;
    size_t len;
    bool valid;
    size_t bad_off;
    const char *repaired; /* expected repair output (NULL: same as input) */
};

#define S(x) x, sizeof(x) - 1
#define FFFD "\xEF\xBF\xBD"

static const struct vcase VCASES[] = {
    {"empty", S(""), true, 0, NULL},
    {"ascii", S("hello, world"), true, 0, NULL},
    {"long ascii", S("0123456789abcdef0123456789abcdef!"), true, 0, NULL},
    {"2-byte", S("caf\xC3\xA9"), true, 0, NULL},
    {"3-byte", S("\xE2\x82\xAC"), true, 0, NULL},
    {"4-byte", S("\xF0\x9F\x98\x80"), true, 0, NULL},
    {"max U+10FFFF", S("\xF4\x8F\xBF\xBF"), true, 0, NULL},
    {"U+FFFF", S("\xEF\xBF\xBF"), true, 0, NULL},
    {"U+D7FF", S("\xED\x9F\xBF"), true, 0, NULL},
    {"NUL inside", "a\0b", 3, true, 0, NULL},
    {"overlong 2 C0 80", S("a\xC0\x80z"), false, 1, "a" FFFD FFFD "z"},
    {"overlong 2 C1 BF", S("\xC1\xBF"), false, 0, FFFD FFFD},
    {"overlong 3 E0 80 80", S("\xE0\x80\x80"), false, 0, FFFD FFFD FFFD},
    {"overlong 4 F0 80 80 80", S("\xF0\x80\x80\x80"), false, 0, FFFD FFFD FFFD FFFD},
    {"surrogate D800", S("x\xED\xA0\x80"), false, 1, "x" FFFD FFFD FFFD},
    {"surrogate DFFF", S("\xED\xBF\xBF"), false, 0, FFFD FFFD FFFD},
    {"above 10FFFF", S("\xF4\x90\x80\x80"), false, 0, FFFD FFFD FFFD FFFD},
    {"F5 lead", S("\xF5\x80\x80\x80"), false, 0, FFFD FFFD FFFD FFFD},
    {"0xFF", S("ab\xFF"), false, 2, "ab" FFFD},
    {"0xFE", S("\xFE"), false, 0, FFFD},
    {"lone continuation", S("\x80"), false, 0, FFFD},
    {"truncated 2", S("\xC3"), false, 0, FFFD},
    {"truncated 3 (one subpart)", S("\xE2\x82"), false, 0, FFFD},
    {"truncated 4 then ascii", S("\xF0\x9F\x98z"), false, 0, FFFD "z"},
    {"truncated in the middle", S("a\xE2\x82" "b\xC3\xA9"), false, 1, "a" FFFD "b\xC3\xA9"},
    {"invalid after 8 ascii", S("01234567\xC3\x28"), false, 8, "01234567" FFFD "("},
};

static void test_valid_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(VCASES) / sizeof(VCASES[0]); i++) {
        const struct vcase *c = &VCASES[i];
        size_t off = 999;
        bool ok = sl_utf8_valid(c->in, c->len, &off);

        if (ok != c->valid)
            fail_msg("case %s: valid=%d, want %d", c->name, ok, c->valid);
        if (!ok && off != c->bad_off)
            fail_msg("case %s: bad_off=%zu, want %zu", c->name, off, c->bad_off);
    }
}

static void test_repair_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(VCASES) / sizeof(VCASES[0]); i++) {
        const struct vcase *c = &VCASES[i];
        const char *want = c->repaired ? c->repaired : c->in;
        size_t wlen = c->repaired ? strlen(c->repaired) : c->len;
        struct sl_buf b;

        sl_buf_init(&b, 0);
        assert_int_equal(sl_utf8_repair(c->in, c->len, &b), 0);
        if (b.len != wlen || (wlen && memcmp(b.p, want, wlen) != 0))
            fail_msg("case %s: repair output differs", c->name);
        assert_true(sl_utf8_valid(b.p ? b.p : "", b.len, NULL));
        sl_buf_free(&b);
    }
}

/* Every code point round-trips through decode; every surrogate is refused. */
static void test_decode_all(void **state)
{
    uint32_t cp, got;
    unsigned char s[4];
    int l, n;

    (void)state;
    for (cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp < 0x80) {
            s[0] = (unsigned char)cp;
            n = 1;
        } else if (cp < 0x800) {
            s[0] = (unsigned char)(0xC0 | (cp >> 6));
            s[1] = (unsigned char)(0x80 | (cp & 0x3F));
            n = 2;
        } else if (cp < 0x10000) {
            s[0] = (unsigned char)(0xE0 | (cp >> 12));
            s[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            s[2] = (unsigned char)(0x80 | (cp & 0x3F));
            n = 3;
        } else {
            s[0] = (unsigned char)(0xF0 | (cp >> 18));
            s[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
            s[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            s[3] = (unsigned char)(0x80 | (cp & 0x3F));
            n = 4;
        }
        l = sl_utf8_decode(s, (size_t)n, &got);
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            assert_true(l < 0);
            continue;
        }
        if (l != n || got != cp)
            fail_msg("code point %x: len %d got %x", cp, l, got);
    }
}

static void test_count(void **state)
{
    (void)state;
    assert_int_equal(sl_utf8_count("", 0), 0);
    assert_int_equal(sl_utf8_count(S("caf\xC3\xA9 \xF0\x9F\x98\x80")), 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_table),
        cmocka_unit_test(test_repair_table),
        cmocka_unit_test(test_decode_all),
        cmocka_unit_test(test_count),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
