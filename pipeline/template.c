/* template.c: templated jobs (see template.h). The body is deep-copied, then walked; each string
 * value holding {{text}} is rebuilt in a growable buffer and set back with json_string_setn (which
 * checks UTF-8; the text came from a decoded JSON/msgpack string that was already checked).
 */
#include "template.h"

#include <stdbool.h>
#include <string.h>

#include "buf.h"

#define PH SL_TEMPLATE_PLACEHOLDER
#define PH_LEN (sizeof(PH) - 1)

static bool has_ph(const json_t *v, int depth)
{
    const char *k;
    json_t *x;
    size_t i;

    if (depth > 64)
        return false;
    if (json_is_string(v))
        return memmem(json_string_value(v), json_string_length(v), PH, PH_LEN) != NULL;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, x) {
            if (has_ph(x, depth + 1))
                return true;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) {
            if (has_ph(x, depth + 1))
                return true;
        }
    }
    return false;
}

int sl_template_parse(const char *txt, size_t len, json_t **out, struct sl_err *err)
{
    json_error_t je;
    json_t *t = json_loadb(txt, len, JSON_REJECT_DUPLICATES, &je), *v;
    const char *k;

    *out = NULL;
    if (!t)
        return sl_err_set(err, SL_ECONFIG, "", "not valid JSON (line %d): %s", je.line, je.text);
    if (!json_is_object(t)) {
        json_decref(t);
        return sl_err_set(err, SL_ECONFIG, "", "the template must be a JSON object");
    }
    json_object_foreach(t, k, v) {
        if (strcmp(k, "url") && strcmp(k, "method") && strcmp(k, "body")) {
            int rc = sl_err_set(err, SL_ECONFIG, "", "unknown key %.60s (url, method, body)", k);

            json_decref(t); /* after the message: k lives in t */
            return rc;
        }
    }
    v = json_object_get(t, "url");
    if (v && (!json_is_string(v) || json_string_value(v)[0] != '/')) {
        json_decref(t);
        return sl_err_set(err, SL_ECONFIG, "/url", "url must be a path such as /v1/chat/completions");
    }
    v = json_object_get(t, "method");
    if (v && (!json_is_string(v) || !json_string_length(v))) {
        json_decref(t);
        return sl_err_set(err, SL_ECONFIG, "/method", "method must be a string such as POST");
    }
    v = json_object_get(t, "body");
    if (!json_is_object(v) || !has_ph(v, 0)) {
        json_decref(t);
        return sl_err_set(err, SL_ECONFIG, "/body",
                          "body must be an object with " PH " in at least one string value");
    }
    *out = t;
    return 0;
}

/* Replace every {{text}} in string s with text. */
static int subst_string(json_t *s, const char *text, size_t text_len, struct sl_buf *b)
{
    const char *p = json_string_value(s), *end = p + json_string_length(s), *hit;
    int rc = 0;

    sl_buf_reset(b);
    while ((hit = memmem(p, (size_t)(end - p), PH, PH_LEN))) {
        rc |= sl_buf_append(b, p, (size_t)(hit - p));
        rc |= sl_buf_append(b, text, text_len);
        p = hit + PH_LEN;
    }
    rc |= sl_buf_append(b, p, (size_t)(end - p));
    if (rc)
        return SL_ETOOBIG;
    return json_string_setn(s, b->p ? b->p : "", b->len) ? SL_EUTF8 : 0;
}

static int subst(json_t *v, const char *text, size_t text_len, struct sl_buf *b, int depth)
{
    const char *k;
    json_t *x;
    size_t i;
    int rc;

    if (depth > 64)
        return 0;
    if (json_is_string(v) && memmem(json_string_value(v), json_string_length(v), PH, PH_LEN))
        return subst_string(v, text, text_len, b);
    if (json_is_object(v)) {
        json_object_foreach(v, k, x) {
            if ((rc = subst(x, text, text_len, b, depth + 1)))
                return rc;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) {
            if ((rc = subst(x, text, text_len, b, depth + 1)))
                return rc;
        }
    }
    return 0;
}

int sl_template_apply(const json_t *tmpl, json_t *rec, json_t **job, struct sl_err *err)
{
    json_t *text = json_object_get(rec, "text"), *j = NULL, *cid = json_object_get(rec, "custom_id");
    json_t *url = json_object_get(tmpl, "url"), *method = json_object_get(tmpl, "method");
    struct sl_buf b;
    const char *k;
    json_t *v;
    int rc;

    *job = NULL;
    json_object_foreach(rec, k, v) {
        if (strcmp(k, "custom_id") && strcmp(k, "text"))
            return sl_err_set(err, SL_ESCHEMA, "", "with --template a record holds only custom_id "
                              "and text; found another key");
    }
    if (!json_is_string(text))
        return sl_err_set(err, SL_ESCHEMA, "/text", "with --template a record needs a string text");
    if (!cid)
        return sl_err_set(err, SL_ESCHEMA, "/custom_id", "custom_id is required");
    j = json_object();
    if (!j || json_object_set(j, "custom_id", cid) ||
        json_object_set_new(j, "method", method ? json_deep_copy(method) : json_string("POST")) ||
        json_object_set_new(j, "url",
                            url ? json_deep_copy(url) : json_string("/v1/chat/completions")) ||
        json_object_set_new(j, "body", json_deep_copy(json_object_get(tmpl, "body")))) {
        json_decref(j);
        return sl_err_set(err, SL_ETOOBIG, "", "out of memory");
    }
    sl_buf_init(&b, 0);
    rc = subst(json_object_get(j, "body"), json_string_value(text), json_string_length(text), &b,
               0);
    if (!rc)
        rc = subst(json_object_get(j, "url"), json_string_value(text), json_string_length(text),
                   &b, 0);
    sl_buf_wipe(&b);
    if (rc) {
        json_decref(j);
        return sl_err_set(err, rc, "/text", "the text cannot be put into the template");
    }
    *job = j;
    return 0;
}
