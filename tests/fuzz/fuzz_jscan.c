/* fuzz_jscan.c: differential target, yajl-based jscan against jansson on the same bytes.
 *
 * sl_jscan_load may give up (SL_JSCAN_FALLBACK) on anything; when it does not, jansson must
 * accept the input too and build the same tree (same keys in the same order, same values), and
 * the member range it reports must hold exactly the member's value. sl_jscan_response must only
 * accept what json_loadb(p, n, 0) accepts as an object, and read usage and id as work.c's jansson
 * path does. The input is used as is and with a {"body": ...} wrapper, so ranges get exercised.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"

static uint64_t get_u64(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);

    return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

static void same_tree(json_t *a, json_t *b)
{
    char *da = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    char *db = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

    if (!da || !db || strcmp(da, db) || !json_equal(a, b))
        abort();
    free(da);
    free(db);
}

static void one(const char *p, size_t n)
{
    json_t *fast = NULL, *ref;
    size_t s = 0, e = 0;
    struct sl_jscan_resp r;
    int rc;

    rc = sl_jscan_load(p, n, "body", &fast, &s, &e);
    if (rc < 0 || rc > SL_JSCAN_FALLBACK)
        abort();
    ref = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
    if (rc == 0) {
        json_t *body = json_object_get(ref, "body");

        if (!ref || !json_is_object(fast))
            abort();
        same_tree(fast, ref);
        if (body) {
            json_t *sub = json_loadb(p + s, e - s, JSON_DECODE_ANY, NULL);

            if (e <= s || !sub)
                abort();
            same_tree(sub, body);
            json_decref(sub);
        } else if (s || e) {
            abort();
        }
    }
    json_decref(fast);
    json_decref(ref);

    rc = sl_jscan_response(p, n, &r);
    if (rc < 0 || rc > SL_JSCAN_FALLBACK)
        abort();
    ref = json_loadb(p, n, 0, NULL);
    if (rc == 0) {
        json_t *u, *id;

        if (!json_is_object(ref))
            abort();
        u = json_object_get(ref, "usage");
        id = json_object_get(ref, "id");
        if (r.prompt_tokens != get_u64(u, "prompt_tokens") ||
            r.completion_tokens != get_u64(u, "completion_tokens") ||
            r.total_tokens != get_u64(u, "total_tokens") ||
            r.input_tokens != get_u64(u, "input_tokens") ||
            r.output_tokens != get_u64(u, "output_tokens"))
            abort();
        if (json_is_string(id) && json_string_length(id) < sizeof(r.id)
                ? strcmp(r.id, json_string_value(id))
                : r.id[0] != '\0')
            abort();
        if (r.has_newline != (memchr(p, '\n', n) != NULL || memchr(p, '\r', n) != NULL))
            abort();
    }
    json_decref(ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char head[] = "{\"custom_id\":\"x\",\"body\":";
    char *w;

    one((const char *)data, size);
    w = malloc(sizeof(head) + size + 1);
    if (!w)
        return 0;
    memcpy(w, head, sizeof(head) - 1);
    memcpy(w + sizeof(head) - 1, data, size);
    w[sizeof(head) - 1 + size] = '}';
    one(w, sizeof(head) + size);
    free(w);
    return 0;
}
