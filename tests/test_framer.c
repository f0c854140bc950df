/* test_framer.c: JSONL and msgpack framing: records, line numbers, caps, chunk boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <msgpack.h>
#include <stdio.h>
#include <string.h>

#include "framer.h"
#include "mp2json.h"

struct got {
    char text[16][64];
    uint64_t no[16];
    int err[16];
    int n;
};

static int on_rec(void *ud, struct sl_framer_rec *r)
{
    struct got *g = ud;

    if (g->n < 16) {
        g->no[g->n] = r->rec_no;
        g->err[g->n] = r->err;
        if (r->mp_obj) {
            json_t *j = NULL;
            struct sl_err e;
            char *s;

            assert_int_equal(sl_mp2json(r->mp_obj, &j, &e), 0);
            s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
            snprintf(g->text[g->n], 64, "%s", s);
            free(s);
            json_decref(j);
            sl_framer_rec_free_zone(r->mp_zone);
        } else if (!r->err) {
            snprintf(g->text[g->n], 64, "%.*s", (int)r->len, r->p);
        }
    }
    g->n++;
    return 0;
}

static void run(const char *in, size_t n, bool mp, size_t cap, size_t step, struct got *g)
{
    struct sl_framer f;
    size_t off = 0;

    memset(g, 0, sizeof(*g));
    assert_int_equal(sl_framer_init(&f, mp, cap), 0);
    while (off < n) {
        size_t k = n - off < step ? n - off : step;
        assert_int_equal(sl_framer_feed(&f, in + off, k, on_rec, g), 0);
        off += k;
    }
    assert_int_equal(sl_framer_finish(&f, on_rec, g), 0);
    sl_framer_close(&f);
}

static void jsonl_lines_and_numbers(void **state)
{
    const char in[] = "a\n\n  \r\nbb\r\nccc";
    size_t steps[] = {1, 2, 3, 100};
    struct got g;

    (void)state;
    for (size_t i = 0; i < 4; i++) {
        run(in, sizeof(in) - 1, false, 100, steps[i], &g);
        assert_int_equal(g.n, 3);
        assert_string_equal(g.text[0], "a");
        assert_int_equal(g.no[0], 1);
        assert_string_equal(g.text[1], "bb"); /* CR stripped, blank lines skipped */
        assert_int_equal(g.no[1], 4);
        assert_string_equal(g.text[2], "ccc"); /* last line without newline */
        assert_int_equal(g.no[2], 5);
    }
}

static void jsonl_over_cap_is_one_error_and_goes_on(void **state)
{
    char in[64];
    struct got g;

    (void)state;
    snprintf(in, sizeof(in), "ok\n%s\nnext\n", "0123456789abcdef0123");
    for (size_t step = 1; step < 8; step++) {
        run(in, strlen(in), false, 10, step, &g);
        assert_int_equal(g.n, 3);
        assert_int_equal(g.err[1], SL_ETOOBIG);
        assert_int_equal(g.no[1], 2);
        assert_string_equal(g.text[2], "next");
        assert_int_equal(g.no[2], 3);
    }
    run("0123456789abcdef", 16, false, 10, 3, &g); /* over cap at EOF without newline */
    assert_int_equal(g.n, 1);
    assert_int_equal(g.err[0], SL_ETOOBIG);
}

static void msgpack_objects_across_chunks(void **state)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    struct got g;

    (void)state;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    for (int i = 0; i < 3; i++) {
        msgpack_pack_map(&pk, 1);
        msgpack_pack_str_with_body(&pk, "k", 1);
        msgpack_pack_int(&pk, i);
    }
    for (size_t step = 1; step < 6; step++) {
        run(sb.data, sb.size, true, 100, step, &g);
        assert_int_equal(g.n, 3);
        assert_string_equal(g.text[2], "{\"k\":2}");
        assert_int_equal(g.no[0], 0);
        assert_int_equal(g.no[2], 2);
    }
    run(sb.data, sb.size - 1, true, 100, 4, &g); /* truncated last object */
    assert_int_equal(g.n, 3);
    assert_int_equal(g.err[2], SL_EPARSE);
    msgpack_sbuffer_destroy(&sb);
}

static void msgpack_lying_length_stops_once(void **state)
{
    const char in[] = "\x81\xa9" "custom_id" "\xdb\xff\xff\xff\xf0" "abc";
    struct got g;

    (void)state;
    run(in, sizeof(in) - 1, true, 8, 2, &g);
    assert_int_equal(g.n, 1);
    assert_true(g.err[0] == SL_ETOOBIG || g.err[0] == SL_EPARSE);
}

static void mp2json_refuses_bad_types(void **state)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_unpacked u;
    json_t *j = NULL;
    struct sl_err e;

    (void)state;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str_with_body(&pk, "body", 4);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_int(&pk, 7); /* non-string key */
    msgpack_pack_nil(&pk);
    msgpack_unpacked_init(&u);
    assert_int_equal(msgpack_unpack_next(&u, sb.data, sb.size, NULL), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(sl_mp2json(&u.data, &j, &e), SL_ESCHEMA);
    assert_string_equal(e.field, "/body");
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_bin_with_body(&pk, "xx", 2);
    msgpack_unpacked_init(&u);
    assert_int_equal(msgpack_unpack_next(&u, sb.data, sb.size, NULL), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(sl_mp2json(&u.data, &j, &e), SL_ESCHEMA);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jsonl_lines_and_numbers),
        cmocka_unit_test(jsonl_over_cap_is_one_error_and_goes_on),
        cmocka_unit_test(msgpack_objects_across_chunks),
        cmocka_unit_test(msgpack_lying_length_stops_once),
        cmocka_unit_test(mp2json_refuses_bad_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
