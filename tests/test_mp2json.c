/* test_mp2json.c: the record encoder of --output-format msgpack (JSON line -> msgpack map), checked
 * type by type against msgpack-c's own decoder, its round trip through sl_mp2json, and the zstd
 * msgpack record reader `sluice audit verify` uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "fsutil.h"
#include "mp2json.h"

/* Encode line, decode it with msgpack-c; the caller destroys *u and frees *buf. */
static void encode(const char *line, msgpack_unpacked *u, char **buf)
{
    size_t n = 0, off = 0;

    assert_int_equal(sl_json_line_to_mp(line, strlen(line), buf, &n), 0);
    assert_true(n > 0);
    msgpack_unpacked_init(u);
    assert_int_equal(msgpack_unpack_next(u, *buf, n, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, n); /* exactly one value, no trailing bytes */
}

static const msgpack_object *get(const msgpack_object *m, const char *key)
{
    assert_int_equal(m->type, MSGPACK_OBJECT_MAP);
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        const msgpack_object_kv *kv = &m->via.map.ptr[i];

        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == strlen(key) &&
            memcmp(kv->key.via.str.ptr, key, strlen(key)) == 0)
            return &kv->val;
    }
    fail_msg("key %s missing", key);
    return NULL;
}

static void test_result_record(void **state)
{
    static const char line[] =
        "{\"id\":\"batch_req_0a1b\",\"custom_id\":\"j-\\u00e9\\u4e2d\\ud83d\\ude00\",\"response\":"
        "{\"status_code\":200,\"request_id\":null,\"body\":{\"object\":\"chat.completion\","
        "\"choices\":[{\"index\":0,\"message\":{\"content\":\"h\\u00e9\\n\\\"x\\\"\"}}],"
        "\"usage\":{\"prompt_tokens\":9223372036854775807,\"neg\":-9223372036854775808,"
        "\"t\":1.0,\"p\":0.25,\"e\":1e300,\"ok\":true,\"no\":false}}},\"error\":null}";
    msgpack_unpacked u;
    const msgpack_object *resp, *body, *usage, *o;
    char *buf;

    (void)state;
    encode(line, &u, &buf);
    assert_int_equal(u.data.type, MSGPACK_OBJECT_MAP);
    assert_int_equal(u.data.via.map.size, 4);
    /* key order is the line's */
    assert_memory_equal(u.data.via.map.ptr[0].key.via.str.ptr, "id", 2);
    assert_memory_equal(u.data.via.map.ptr[3].key.via.str.ptr, "error", 5);
    o = get(&u.data, "custom_id");
    assert_int_equal(o->type, MSGPACK_OBJECT_STR);
    assert_int_equal(o->via.str.size, strlen("j-\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80"));
    assert_memory_equal(o->via.str.ptr, "j-\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80", o->via.str.size);
    assert_int_equal(get(&u.data, "error")->type, MSGPACK_OBJECT_NIL);
    resp = get(&u.data, "response");
    o = get(resp, "status_code");
    assert_int_equal(o->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    assert_int_equal(o->via.u64, 200);
    assert_int_equal(get(resp, "request_id")->type, MSGPACK_OBJECT_NIL);
    body = get(resp, "body");
    assert_int_equal(body->type, MSGPACK_OBJECT_MAP); /* nested, not a JSON string */
    o = get(body, "choices");
    assert_int_equal(o->type, MSGPACK_OBJECT_ARRAY);
    o = get(get(&o->via.array.ptr[0], "message"), "content");
    assert_int_equal(o->type, MSGPACK_OBJECT_STR);
    assert_int_equal(o->via.str.size, 7);
    assert_memory_equal(o->via.str.ptr, "h\xc3\xa9\n\"x\"", 7);
    usage = get(body, "usage");
    o = get(usage, "prompt_tokens");
    assert_int_equal(o->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    assert_true(o->via.u64 == (uint64_t)INT64_MAX);
    o = get(usage, "neg");
    assert_int_equal(o->type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
    assert_true(o->via.i64 == INT64_MIN);
    o = get(usage, "t"); /* 1.0 stays a float */
    assert_int_equal(o->type, MSGPACK_OBJECT_FLOAT64);
    assert_true(o->via.f64 == 1.0);
    assert_true(get(usage, "p")->via.f64 == 0.25);
    assert_int_equal(get(usage, "e")->type, MSGPACK_OBJECT_FLOAT64);
    assert_true(get(usage, "e")->via.f64 == 1e300);
    assert_int_equal(get(usage, "ok")->type, MSGPACK_OBJECT_BOOLEAN);
    assert_true(get(usage, "ok")->via.boolean);
    assert_false(get(usage, "no")->via.boolean);
    msgpack_unpacked_destroy(&u);
    free(buf);
}

/* Table: each line's msgpack, read back with sl_mp2json, equals the line parsed by jansson. */
static void test_round_trip_table(void **state)
{
    static const char *const lines[] = {
        "{}",
        "{\"a\":[]}",
        "{\"source\":\"in.jsonl:3\",\"custom_id\":null,\"code\":\"bad_json\",\"reason\":\"x\","
        "\"field\":null}",
        "{\"n\":[0,1,-1,127,128,255,256,65535,65536,4294967295,4294967296,-32,-33,-129,"
        "-2147483649]}",
        "{\"f\":[0.0,-0.0,1.5,-2.75,1e-300,123456789.125]}",
        "{\"s\":[\"\",\"\\u0000nul\",\"\\ud83d\\ude00\",\"\\t\\\\\"]}",
        "{\"deep\":{\"a\":{\"b\":{\"c\":{\"d\":[[[{\"e\":null}]]]}}}}}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        json_t *want = json_loads(lines[i], JSON_ALLOW_NUL, NULL), *got = NULL;
        msgpack_unpacked u;
        struct sl_err err;
        char *buf;

        assert_non_null(want);
        encode(lines[i], &u, &buf);
        assert_int_equal(sl_mp2json(&u.data, &got, &err), 0);
        if (!json_equal(want, got))
            fail_msg("line %zu does not round-trip", i);
        json_decref(want);
        json_decref(got);
        msgpack_unpacked_destroy(&u);
        free(buf);
    }
}

static void test_refusals(void **state)
{
    char deep[300], *buf = (char *)"x";
    size_t n = 7, i;

    (void)state;
    assert_int_equal(sl_json_line_to_mp("{\"a\":", 5, &buf, &n), SL_EPARSE);
    assert_null(buf);
    assert_int_equal(n, 0);
    assert_int_equal(sl_json_line_to_mp("", 0, &buf, &n), SL_EPARSE);
    for (i = 0; i < 100; i++)
        deep[i] = '[';
    for (; i < 200; i++)
        deep[i] = ']';
    assert_int_equal(sl_json_line_to_mp(deep, 200, &buf, &n), SL_ETOOBIG);
    assert_null(buf);
}

/* ---- the zstd msgpack record reader ---- */

struct seen {
    int n;
    int64_t sum;
};

static int on_rec(void *ud, const msgpack_object *o)
{
    struct seen *s = ud;

    assert_int_equal(o->type, MSGPACK_OBJECT_MAP);
    s->n++;
    s->sum += (int64_t)o->via.map.ptr[0].val.via.u64;
    return 0;
}

/* Write n records {"i":k, "pad":...} as zstd frames of `per_frame` records; cut bytes off the end. */
static void write_file(const char *path, int n, int per_frame, size_t cut)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    char pad[3000];
    size_t cap, len = 0, start = 0;
    char *z;
    int fd;

    memset(pad, 'p', sizeof(pad));
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    cap = ZSTD_compressBound((size_t)n * 3100) + (size_t)n * 64;
    z = malloc(cap);
    assert_non_null(z);
    for (int k = 0; k < n; k++) {
        assert_int_equal(msgpack_pack_map(&pk, 2), 0);
        assert_int_equal(msgpack_pack_str_with_body(&pk, "i", 1), 0);
        assert_int_equal(msgpack_pack_int(&pk, k), 0);
        assert_int_equal(msgpack_pack_str_with_body(&pk, "pad", 3), 0);
        assert_int_equal(msgpack_pack_str_with_body(&pk, pad, (size_t)(k * 37) % sizeof(pad)), 0);
        if ((k + 1) % per_frame == 0 || k + 1 == n) {
            size_t r = ZSTD_compress(z + len, cap - len, sb.data + start, sb.size - start, 1);

            assert_false(ZSTD_isError(r));
            len += r;
            start = sb.size;
        }
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(sl_fs_write_all(fd, z, len - cut), 0);
    close(fd);
    free(z);
    msgpack_sbuffer_destroy(&sb);
}

static void test_reader(void **state)
{
    static const struct {
        int n, per_frame;
        size_t cut;
        int want_rc, min_seen;
    } cases[] = {
        {0, 1, 0, 0, 0},              /* empty file */
        {1, 1, 0, 0, 1},
        {500, 7, 0, 0, 500},          /* records cross the 128 KiB decompression chunks */
        {500, 500, 0, 0, 500},
        {500, 7, 3, SL_ECORRUPT, 0},  /* torn last frame */
    };
    char path[] = "/tmp/sl_test_mp2json_XXXXXX";
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct seen s = {0, 0};

        write_file(path, cases[i].n, cases[i].per_frame, cases[i].cut);
        assert_int_equal(sl_fs_zst_read_mp(path, 1 << 20, on_rec, &s), cases[i].want_rc);
        assert_true(s.n >= cases[i].min_seen);
        if (cases[i].want_rc == 0) {
            assert_int_equal(s.n, cases[i].n);
            assert_true(s.sum == (int64_t)cases[i].n * (cases[i].n - 1) / 2);
        }
    }
    /* a record longer than the cap */
    write_file(path, 3, 3, 0);
    {
        struct seen s = {0, 0};

        assert_int_equal(sl_fs_zst_read_mp(path, 16, on_rec, &s), SL_ETOOBIG);
    }
    /* bytes that are not msgpack (0xc1 is never used) */
    {
        unsigned char junk[] = {0x81, 0xa1, 'i', 0x01, 0xc1, 0xc1};
        size_t r, zc = ZSTD_compressBound(sizeof(junk));
        char *z = malloc(zc);
        struct seen s = {0, 0};

        r = ZSTD_compress(z, zc, junk, sizeof(junk), 1);
        assert_false(ZSTD_isError(r));
        fd = open(path, O_WRONLY | O_TRUNC);
        assert_int_equal(sl_fs_write_all(fd, z, r), 0);
        close(fd);
        free(z);
        assert_int_equal(sl_fs_zst_read_mp(path, 1 << 20, on_rec, &s), SL_ECORRUPT);
        assert_int_equal(s.n, 1);
    }
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_result_record),
        cmocka_unit_test(test_round_trip_table),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_reader),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
