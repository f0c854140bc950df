/* policy.c: the sanitize policy: safe defaults and the JSON policy file (docs/policy.md).
 *
 * A policy is created once (sl_policy_default or sl_policy_load) and is read-only afterwards, so
 * all worker threads share it. Loading is strict: an unknown key, a wrong type or a value out of
 * range is an error whose err->field is the JSON pointer of the offending key, so a typo in a
 * policy can never silently weaken it. Pure: no I/O (the caller reads the file).
 */
#include "policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const DEF_METHODS[] = {"POST", NULL};
static const char *const DEF_ENDPOINTS[] = {"/v1/chat/completions", "/v1/embeddings",
                                            "/v1/completions", "/v1/responses",
                                            "/v1/moderations", NULL};
static const char *const DEF_ROLES[] = {"system", "developer", "user", "assistant", "tool", NULL};
static const char *const DEF_DROP[] = {"stream", "stream_options", "user", "metadata", NULL};
static const char *const DEF_NONE[] = {NULL};

#define LIST_MAX 256     /* entries in one list */
#define LIST_ITEM_MAX 512 /* bytes in one list entry */

bool sl_strlist_has(const struct sl_strlist *l, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        if (strlen(l->v[i]) == n && memcmp(l->v[i], s, n) == 0)
            return true;
    return false;
}

static void list_free(struct sl_strlist *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int list_set(struct sl_strlist *l, const char *const *items, size_t n)
{
    struct sl_strlist nl = {NULL, 0};

    nl.v = calloc(n ? n : 1, sizeof(*nl.v));
    if (!nl.v)
        return -ENOMEM;
    for (nl.n = 0; nl.n < n; nl.n++) {
        nl.v[nl.n] = strdup(items[nl.n]);
        if (!nl.v[nl.n]) {
            list_free(&nl);
            return -ENOMEM;
        }
    }
    list_free(l);
    *l = nl;
    return 0;
}

static size_t count_items(const char *const *items)
{
    size_t n = 0;

    while (items[n])
        n++;
    return n;
}

void sl_policy_destroy(struct sl_policy *p)
{
    if (!p)
        return;
    list_free(&p->methods);
    list_free(&p->endpoints);
    list_free(&p->extra_endpoints);
    list_free(&p->models);
    list_free(&p->roles);
    list_free(&p->drop_fields);
    list_free(&p->refuse_fields);
    free(p);
}

int sl_policy_default(struct sl_policy **out)
{
    struct sl_policy *p = calloc(1, sizeof(*p));
    int rc = 0;

    *out = NULL;
    if (!p)
        return -ENOMEM;
    if ((rc = list_set(&p->methods, DEF_METHODS, count_items(DEF_METHODS))) ||
        (rc = list_set(&p->endpoints, DEF_ENDPOINTS, count_items(DEF_ENDPOINTS))) ||
        (rc = list_set(&p->extra_endpoints, DEF_NONE, 0)) ||
        (rc = list_set(&p->models, DEF_NONE, 0)) ||
        (rc = list_set(&p->roles, DEF_ROLES, count_items(DEF_ROLES))) ||
        (rc = list_set(&p->drop_fields, DEF_DROP, count_items(DEF_DROP))) ||
        (rc = list_set(&p->refuse_fields, DEF_NONE, 0)))
        goto out_destroy;
    p->action[SL_SAN_CONTROL] = SL_SAN_STRIP;
    p->action[SL_SAN_INVISIBLE] = SL_SAN_STRIP;
    p->action[SL_SAN_BIDI] = SL_SAN_STRIP;
    p->action[SL_SAN_TAG] = SL_SAN_STRIP;
    p->action[SL_SAN_MARKUP] = SL_SAN_STRIP;
    p->action[SL_SAN_INJECTION] = SL_SAN_KEEP;
    p->injection = SL_INJ_FLAG;
    p->max_job_bytes = 1u << 20;
    p->max_custom_id_bytes = 512;
    p->max_messages = 256;
    p->max_message_chars = 100000;
    p->max_depth = 32;
    p->max_est_tokens = 128000;
    p->max_output_tokens = 16384;
    p->max_n = 1;
    p->default_max_tokens = 1024;
    sl_sanitize_policy_prepare(p);
    *out = p;
    return 0;

out_destroy:
    sl_policy_destroy(p);
    return rc;
}

size_t sl_policy_max_job_bytes(const struct sl_policy *p)
{
    return (size_t)p->max_job_bytes;
}

/* ---- loading ---------------------------------------------------------------------------- */

enum kind { K_LIST, K_BOOL, K_UINT, K_ACTION, K_INJECTION, K_UTF8, K_NFC, K_TEXT };

struct key {
    const char *name;
    enum kind kind;
    size_t off;     /* offsetof the field in struct sl_policy */
    uint64_t lo, hi; /* K_UINT range */
};

#define OFF(f) offsetof(struct sl_policy, f)

static const struct key KEYS[] = {
    {"methods", K_LIST, OFF(methods), 0, 0},
    {"endpoints", K_LIST, OFF(endpoints), 0, 0},
    {"extra_endpoints", K_LIST, OFF(extra_endpoints), 0, 0},
    {"azure", K_BOOL, OFF(azure), 0, 0},
    {"allow_unknown_keys", K_BOOL, OFF(allow_unknown_keys), 0, 0},
    {"models", K_LIST, OFF(models), 0, 0},
    {"roles", K_LIST, OFF(roles), 0, 0},
    {"allow_image_parts", K_BOOL, OFF(allow_image_parts), 0, 0},
    {"allow_tools", K_BOOL, OFF(allow_tools), 0, 0},
    {"drop_fields", K_LIST, OFF(drop_fields), 0, 0},
    {"refuse_fields", K_LIST, OFF(refuse_fields), 0, 0},
    {"max_job_bytes", K_UINT, OFF(max_job_bytes), 64, 1u << 30},
    {"max_custom_id_bytes", K_UINT, OFF(max_custom_id_bytes), 1, 4096},
    {"max_messages", K_UINT, OFF(max_messages), 1, 100000},
    {"max_message_chars", K_UINT, OFF(max_message_chars), 1, 1u << 30},
    {"max_depth", K_UINT, OFF(max_depth), 4, 1000},
    {"max_est_tokens", K_UINT, OFF(max_est_tokens), 1, 100000000},
    {"max_output_tokens", K_UINT, OFF(max_output_tokens), 1, 10000000},
    {"max_n", K_UINT, OFF(max_n), 1, 128},
    {"default_max_tokens", K_UINT, OFF(default_max_tokens), 0, 10000000},
    {"text", K_TEXT, 0, 0, 0},
    {"injection", K_INJECTION, OFF(injection), 0, 0},
    {"utf8", K_UTF8, OFF(utf8_replace), 0, 0},
    {"nfc", K_NFC, 0, 0, 0},
    {NULL, K_BOOL, 0, 0, 0},
};

static const char *const TEXT_KEYS[] = {"control", "invisible", "bidi", "tag", "markup", NULL};

/* Write "/prefix/key" as an RFC 6901 pointer (~ -> ~0, / -> ~1) into field. */
static void pointer(char *field, size_t cap, const char *prefix, const char *key)
{
    size_t o = 0, i;

    o = (size_t)snprintf(field, cap, "%s/", prefix);
    for (i = 0; key[i] && o + 3 < cap; i++) {
        if (key[i] == '~' || key[i] == '/') {
            field[o++] = '~';
            field[o++] = key[i] == '~' ? '0' : '1';
        } else {
            field[o++] = key[i];
        }
    }
    field[o < cap ? o : cap - 1] = '\0';
}

static int bad(struct sl_err *err, const char *prefix, const char *key, const char *why)
{
    char field[SL_ERR_FIELD_MAX];

    pointer(field, sizeof(field), prefix, key);
    return sl_err_set(err, SL_ECONFIG, field, "policy.key: key \"%.64s\" %s", key, why);
}

static int load_list(struct sl_strlist *l, json_t *v, const char *key, struct sl_err *err)
{
    const char *items[LIST_MAX];
    size_t i;
    json_t *it;

    if (!json_is_array(v))
        return bad(err, "", key, "must be an array of strings");
    if (json_array_size(v) > LIST_MAX)
        return bad(err, "", key, "has too many entries");
    json_array_foreach(v, i, it)
    {
        if (!json_is_string(it) || json_string_length(it) == 0 ||
            json_string_length(it) > LIST_ITEM_MAX ||
            strlen(json_string_value(it)) != json_string_length(it))
            return bad(err, "", key, "entries must be non-empty strings");
        items[i] = json_string_value(it);
    }
    if (list_set(l, items, json_array_size(v)))
        return sl_err_set(err, -ENOMEM, "", "out of memory");
    return 0;
}

static int parse_action(json_t *v, enum sl_san_action *a)
{
    static const char *const names[] = {"strip", "escape", "reject", "keep"};
    size_t i;

    if (!json_is_string(v))
        return -1;
    for (i = 0; i < 4; i++)
        if (strcmp(json_string_value(v), names[i]) == 0) {
            *a = (enum sl_san_action)i;
            return 0;
        }
    return -1;
}

static int load_text(struct sl_policy *p, json_t *v, struct sl_err *err)
{
    const char *k;
    json_t *a;

    if (!json_is_object(v))
        return bad(err, "", "text", "must be an object");
    json_object_foreach(v, k, a)
    {
        size_t i;

        for (i = 0; TEXT_KEYS[i] && strcmp(TEXT_KEYS[i], k) != 0; i++)
            ;
        if (!TEXT_KEYS[i])
            return bad(err, "/text", k, "unknown key");
        if (parse_action(a, &p->action[i]))
            return bad(err, "/text", k, "must be \"strip\", \"escape\", \"reject\" or \"keep\"");
    }
    return 0;
}

static int load_key(struct sl_policy *p, const struct key *d, json_t *v, struct sl_err *err)
{
    char *base = (char *)p;
    const char *s = json_is_string(v) ? json_string_value(v) : "";

    switch (d->kind) {
    case K_LIST:
        return load_list((struct sl_strlist *)(void *)(base + d->off), v, d->name, err);
    case K_BOOL:
        if (!json_is_boolean(v))
            return bad(err, "", d->name, "must be true or false");
        *(bool *)(void *)(base + d->off) = json_is_true(v);
        return 0;
    case K_UINT:
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            (uint64_t)json_integer_value(v) < d->lo || (uint64_t)json_integer_value(v) > d->hi)
            return bad(err, "", d->name, "must be an integer within its documented range");
        *(uint64_t *)(void *)(base + d->off) = (uint64_t)json_integer_value(v);
        return 0;
    case K_INJECTION:
        if (strcmp(s, "flag") == 0)
            p->injection = SL_INJ_FLAG;
        else if (strcmp(s, "reject") == 0)
            p->injection = SL_INJ_REJECT;
        else if (strcmp(s, "off") == 0)
            p->injection = SL_INJ_OFF;
        else
            return bad(err, "", d->name, "must be \"flag\", \"reject\" or \"off\"");
        return 0;
    case K_UTF8:
        if (strcmp(s, "reject") != 0 && strcmp(s, "replace") != 0)
            return bad(err, "", d->name, "must be \"reject\" or \"replace\"");
        p->utf8_replace = strcmp(s, "replace") == 0;
        return 0;
    case K_NFC:
        if (!json_is_boolean(v))
            return bad(err, "", d->name, "must be true or false");
        p->nfc = json_is_true(v);
        return 0;
    case K_TEXT:
        return load_text(p, v, err);
    case K_ACTION:
        break;
    }
    return bad(err, "", d->name, "unsupported key");
}

int sl_policy_load(const char *text, size_t len, struct sl_policy **out, struct sl_err *err)
{
    struct sl_policy *p = NULL;
    json_error_t jerr;
    json_t *root, *v;
    const char *k;
    int rc;

    *out = NULL;
    sl_err_clear(err);
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return sl_err_set(err, SL_ECONFIG, "", "policy.parse: policy is not valid JSON (line %d)",
                          jerr.line);
    if (!json_is_object(root)) {
        rc = sl_err_set(err, SL_ECONFIG, "", "policy.parse: policy must be a JSON object");
        goto out_root;
    }
    if ((rc = sl_policy_default(&p)))
        goto out_root;
    json_object_foreach(root, k, v)
    {
        const struct key *d;

        if (k[0] == '_') /* "_comment" and friends: notes for people */
            continue;
        for (d = KEYS; d->name && strcmp(d->name, k) != 0; d++)
            ;
        if (!d->name) {
            rc = bad(err, "", k, "unknown key");
            goto out_policy;
        }
        if ((rc = load_key(p, d, v, err)))
            goto out_policy;
    }
    if (p->methods.n == 0 || p->roles.n == 0 || (p->endpoints.n + p->extra_endpoints.n == 0 &&
                                                 !p->azure)) {
        rc = sl_err_set(err, SL_ECONFIG, "", "policy.key: methods, roles and endpoints must not "
                                             "all be empty");
        goto out_policy;
    }
    json_decref(root);
    *out = p;
    return 0;

out_policy:
    sl_policy_destroy(p);
out_root:
    json_decref(root);
    return rc;
}
