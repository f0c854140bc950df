/* mp2json.c: msgpack object -> jansson value. Pure; runs on workers. */
#include "mp2json.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define MP_MAX_DEPTH 64

static int conv(const msgpack_object *o, json_t **out, struct sl_err *err, char *ptr, size_t plen,
                int depth);

static void ptr_push(char *ptr, size_t plen, size_t cap, const char *seg, size_t seglen)
{
    size_t i, at = plen;

    if (at + 1 >= cap)
        return;
    ptr[at++] = '/';
    for (i = 0; i < seglen && at + 3 < cap; i++) {
        if (seg[i] == '~') {
            ptr[at++] = '~';
            ptr[at++] = '0';
        } else if (seg[i] == '/') {
            ptr[at++] = '~';
            ptr[at++] = '1';
        } else {
            ptr[at++] = seg[i];
        }
    }
    ptr[at] = '\0';
}

static int conv_map(const msgpack_object *o, json_t **out, struct sl_err *err, char *ptr,
                    size_t plen, int depth)
{
    json_t *m = json_object();
    uint32_t i;

    if (!m)
        return -12;
    for (i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        char key[1024];
        json_t *v = NULL;
        int rc;

        if (kv->key.type != MSGPACK_OBJECT_STR || kv->key.via.str.size >= sizeof(key)) {
            json_decref(m);
            return sl_err_set(err, SL_ESCHEMA, ptr[0] ? ptr : "", "map key is not a short string");
        }
        if (kv->key.via.str.size)
            memcpy(key, kv->key.via.str.ptr, kv->key.via.str.size);
        key[kv->key.via.str.size] = '\0';
        if (strlen(key) != kv->key.via.str.size) {
            json_decref(m);
            return sl_err_set(err, SL_ESCHEMA, ptr[0] ? ptr : "", "map key contains a NUL byte");
        }
        ptr_push(ptr, plen, SL_ERR_FIELD_MAX, key, kv->key.via.str.size);
        rc = conv(&kv->val, &v, err, ptr, strlen(ptr), depth + 1);
        ptr[plen] = '\0';
        if (rc) {
            json_decref(m);
            return rc;
        }
        if (json_object_get(m, key)) {
            json_decref(v);
            json_decref(m);
            return sl_err_set(err, SL_ESCHEMA, ptr[0] ? ptr : "", "duplicate map key");
        }
        if (json_object_set_new(m, key, v)) {
            json_decref(m);
            return sl_err_set(err, SL_EUTF8, ptr[0] ? ptr : "", "map key is not valid UTF-8");
        }
    }
    *out = m;
    return 0;
}

static int conv(const msgpack_object *o, json_t **out, struct sl_err *err, char *ptr, size_t plen,
                int depth)
{
    const char *field = ptr[0] ? ptr : "";
    uint32_t i;

    if (depth > MP_MAX_DEPTH)
        return sl_err_set(err, SL_ETOOBIG, field, "nested deeper than %d levels", MP_MAX_DEPTH);
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        *out = json_null();
        return 0;
    case MSGPACK_OBJECT_BOOLEAN:
        *out = json_boolean(o->via.boolean);
        return 0;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > (uint64_t)INT64_MAX)
            return sl_err_set(err, SL_ESCHEMA, field, "integer out of range");
        *out = json_integer((json_int_t)o->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        *out = json_integer((json_int_t)o->via.i64);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        if (!isfinite(o->via.f64))
            return sl_err_set(err, SL_ESCHEMA, field, "number is not finite");
        *out = json_real(o->via.f64);
        break;
    case MSGPACK_OBJECT_STR:
        *out = o->via.str.size ? json_stringn(o->via.str.ptr, o->via.str.size) : json_string("");
        if (!*out)
            return sl_err_set(err, SL_EUTF8, field, "string is not valid UTF-8");
        return 0;
    case MSGPACK_OBJECT_ARRAY: {
        json_t *a = json_array();

        if (!a)
            return -12;
        for (i = 0; i < o->via.array.size; i++) {
            json_t *v = NULL;
            char seg[16];
            int rc;

            snprintf(seg, sizeof(seg), "%u", i);
            ptr_push(ptr, plen, SL_ERR_FIELD_MAX, seg, strlen(seg));
            rc = conv(&o->via.array.ptr[i], &v, err, ptr, strlen(ptr), depth + 1);
            ptr[plen] = '\0';
            if (rc) {
                json_decref(a);
                return rc;
            }
            json_array_append_new(a, v);
        }
        *out = a;
        return 0;
    }
    case MSGPACK_OBJECT_MAP:
        return conv_map(o, out, err, ptr, plen, depth);
    default:
        return sl_err_set(err, SL_ESCHEMA, field, "binary or extension values are not allowed");
    }
    return *out ? 0 : -12;
}

int sl_mp2json(const msgpack_object *o, json_t **out, struct sl_err *err)
{
    char ptr[SL_ERR_FIELD_MAX] = "";

    *out = NULL;
    return conv(o, out, err, ptr, 0, 0);
}

/* ---- JSON -> msgpack (--output-format msgpack) ---- */

static int pack(const json_t *v, msgpack_packer *pk, int depth)
{
    const char *k;
    json_t *x;
    size_t i;
    int rc = 0;

    if (depth > MP_MAX_DEPTH)
        return SL_ETOOBIG;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        rc = msgpack_pack_map(pk, json_object_size(v));
        json_object_foreach((json_t *)v, k, x) {
            if (rc)
                break;
            rc = msgpack_pack_str_with_body(pk, k, strlen(k));
            if (!rc)
                rc = pack(x, pk, depth + 1);
        }
        break;
    case JSON_ARRAY:
        rc = msgpack_pack_array(pk, json_array_size(v));
        json_array_foreach(v, i, x) {
            if (rc)
                break;
            rc = pack(x, pk, depth + 1);
        }
        break;
    case JSON_STRING:
        rc = msgpack_pack_str_with_body(pk, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        rc = msgpack_pack_int64(pk, (int64_t)json_integer_value(v));
        break;
    case JSON_REAL:
        rc = msgpack_pack_double(pk, json_real_value(v));
        break;
    case JSON_TRUE:
        rc = msgpack_pack_true(pk);
        break;
    case JSON_FALSE:
        rc = msgpack_pack_false(pk);
        break;
    case JSON_NULL:
        rc = msgpack_pack_nil(pk);
        break;
    }
    /* -1 is the packer's write callback failing: msgpack_sbuffer's realloc. */
    return rc == -1 ? -12 : rc;
}

int sl_json2mp(const json_t *v, msgpack_packer *pk)
{
    return pack(v, pk, 0);
}

int sl_json_line_to_mp(const char *line, size_t len, char **out, size_t *out_len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    json_t *v;
    int rc;

    *out = NULL;
    *out_len = 0;
    v = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!v)
        return SL_EPARSE;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    rc = pack(v, &pk, 0);
    json_decref(v);
    if (rc) {
        msgpack_sbuffer_destroy(&sb);
        return rc;
    }
    *out_len = sb.size; /* >= 1: every JSON value packs to at least one byte */
    *out = msgpack_sbuffer_release(&sb);
    return 0;
}
