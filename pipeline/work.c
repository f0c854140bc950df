/* work.c: the CPU work on a job, on worker threads: prepare (parse -> sanitize -> anonymize ->
 * encode) and finish (validate the response, restore tokens, build the output line). No I/O here
 * except handing finished records to the writer's queue.
 */
#include "work.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framer.h"
#include "jscan.h"
#include "shard.h"
#include "mp2json.h"
#include "policy.h"
#include "template.h"

/* Reject reasons counted for the summary: a short table of code strings (a few dozen at most). */
static void count_reason(struct sl_work_ctx *c, const char *code)
{
    size_t i;

    pthread_mutex_lock(&c->reasons_mu);
    for (i = 0; i < c->n_reasons; i++)
        if (!strcmp(c->reason_name[i], code))
            break;
    if (i == c->n_reasons && i < SL_WORK_MAX_REASONS) {
        snprintf(c->reason_name[i], sizeof(c->reason_name[i]), "%s", code);
        c->n_reasons++;
    }
    if (i < SL_WORK_MAX_REASONS)
        c->reason_count[i]++;
    pthread_mutex_unlock(&c->reasons_mu);
}

static const char *frame_code(int rc, bool msgpack)
{
    if (rc == SL_ETOOBIG)
        return "size.record";
    return msgpack ? "parse.msgpack" : "parse.json";
}

#define SL_ERANGE_NUM (SL_ESCHEMA - 100) /* local: a number jansson cannot hold */

static const char *parse_code(int rc, bool msgpack)
{
    switch (rc) {
    case SL_EUTF8:
        return "utf8";
    case SL_ETOOBIG:
        return "schema.depth";
    case SL_ERANGE_NUM:
        return "schema.number";
    case SL_ESCHEMA:
        return msgpack ? "schema.msgpack" : "schema.job";
    default:
        return msgpack ? "parse.msgpack" : "parse.json";
    }
}

/* The keyed digests (input digest, idempotency key) reuse one keyed HMAC context per thread: the
 * one-shot HMAC() fetches SHA-256 and builds its contexts on every call (~25k instructions). */
static EVP_MAC_CTX *hmac_new(const unsigned char *key, size_t len)
{
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *x = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};

    EVP_MAC_free(m); /* the context keeps its own reference */
    if (x && !EVP_MAC_init(x, key, len, params)) {
        EVP_MAC_CTX_free(x);
        x = NULL;
    }
    return x;
}

static void keyed_digest(const struct sl_work_ctx *c, struct sl_work_tls *t, const void *p,
                         size_t n, unsigned char out[32])
{
    size_t olen = 0;
    unsigned int mlen = 0;

    /* EVP_MAC_init with no key restarts the MAC with the key it already has. */
    if (t->hmac && EVP_MAC_init(t->hmac, NULL, 0, NULL) && EVP_MAC_update(t->hmac, p, n) &&
        EVP_MAC_final(t->hmac, out, &olen, 32) && olen == 32)
        return;
    HMAC(EVP_sha256(), c->audit_key, sizeof(c->audit_key), p, n, out, &mlen);
}

/* sanitize's memo (sanitize.h): the worker's two caches of strings it left alone. */
static bool san_has(void *ud, const char *s, size_t n, bool inj)
{
    struct sl_work_tls *t = ud;

    return sl_strcache_has(&t->san_clean[inj], s, n);
}

static void san_put(void *ud, const char *s, size_t n, bool inj)
{
    struct sl_work_tls *t = ud;

    sl_strcache_put(&t->san_clean[inj], s, n);
}

int sl_work_tls_init(struct sl_work_ctx *c, struct sl_work_tls *t)
{
    int rc;

    memset(t, 0, sizeof(*t));
    t->san_memo = (struct sl_san_memo){san_has, san_put, t};
    sl_buf_init(&t->tmp, 0);
    if (sl_jarena_init(&t->arena, (size_t)64 << 10)) {
        /* no arena: jansson uses malloc, as without one */
    }
    t->hmac = hmac_new(c->audit_key, sizeof(c->audit_key));
    if (c->anon && (rc = sl_anon_scratch_create(c->anon, &t->scratch)))
        return rc;
    if (c->id_anon && (rc = sl_anon_scratch_create(c->id_anon, &t->id_scratch)))
        return rc;
    if (c->template_text) {
        struct sl_err err;

        if ((rc = sl_template_parse(c->template_text, c->template_len, &t->tmpl, &err)))
            return rc;
    }
    return 0;
}

void sl_work_tls_close(struct sl_work_tls *t)
{
    sl_anon_scratch_destroy(t->scratch);
    sl_anon_scratch_destroy(t->id_scratch);
    sl_buf_wipe(&t->tmp);
    EVP_MAC_CTX_free(t->hmac);
    t->hmac = NULL;
    json_decref(t->tmpl);
    t->tmpl = NULL;
    sl_jarena_free(&t->arena);
    sl_strcache_destroy(&t->clean);
    sl_strcache_destroy(&t->san_clean[0]);
    sl_strcache_destroy(&t->san_clean[1]);
}

/* What a job owns besides its buffers: the msgpack zone, the strings prepare made, the vault. */
static void free_parts(struct sl_job *j)
{
    sl_framer_rec_free_zone(j->mp_zone);
    free(j->custom_id);
    free(j->strs); /* method, path and model point into it */
    sl_anon_vault_destroy(j->vault);
}

/* A recycled buffer: wiped, kept unless it grew large (one huge job must not pin its memory). */
static void keep_buf(struct sl_buf *b, size_t keep)
{
    if (b->cap > keep) {
        sl_buf_wipe(b);
        return;
    }
    if (b->p)
        explicit_bzero(b->p, b->len);
    b->len = 0;
}

void sl_job_recycle(struct sl_job *j, size_t keep)
{
    char *raw = j->raw;
    size_t raw_cap = j->raw_cap;
    struct sl_buf body, resp;

    if (raw)
        explicit_bzero(raw, j->raw_len);
    if (raw_cap > keep) {
        free(raw);
        raw = NULL;
        raw_cap = 0;
    }
    free_parts(j);
    keep_buf(&j->body, keep);
    keep_buf(&j->resp, keep);
    body = j->body;
    resp = j->resp;
    memset(j, 0, sizeof(*j));
    j->raw = raw;
    j->raw_cap = raw_cap;
    j->body = body;
    j->resp = resp;
}

void sl_job_free(struct sl_job *j)
{
    if (!j)
        return;
    if (j->raw)
        explicit_bzero(j->raw, j->raw_len);
    free(j->raw);
    free_parts(j);
    sl_buf_wipe(&j->body);
    sl_buf_wipe(&j->resp);
    free(j);
}

void sl_work_source(const struct sl_work_ctx *c, const struct sl_job *j, char *out, size_t cap)
{
    const char *name = c->cfg->inputs[j->input_idx];

    if (!strcmp(name, "-"))
        name = "stdin";
    if (j->is_msgpack)
        snprintf(out, cap, "%s#%" PRIu64, name, j->rec_no);
    else
        snprintf(out, cap, "%s:%" PRIu64, name, j->rec_no);
}

static void hex(const unsigned char *p, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int dump_cb(const char *p, size_t n, void *ud)
{
    return sl_buf_append(ud, p, n) ? -1 : 0;
}

/* Encode v onto b (no json_dumps: its string would come from the job's arena, see jarena.h).
 * json_dumpb into the free space first (one memcpy per token); only a value larger than that goes
 * through the callback (an append per token). */
static int dump_to(const json_t *v, size_t flags, struct sl_buf *b)
{
    size_t room, n;

    if (!v)
        return SL_ETOOBIG;
    if (!sl_buf_reserve(b, 1024)) {
        room = b->cap - b->len - 1;
        n = json_dumpb(v, b->p + b->len, room, flags);
        if (n == 0 && !json_is_object(v) && !json_is_array(v))
            return SL_ETOOBIG; /* jansson encodes objects and arrays only (no JSON_ENCODE_ANY) */
        if (n > 0 && n <= room) {
            b->len += n;
            b->p[b->len] = '\0';
            return 0;
        }
    }
    return json_dump_callback(v, dump_cb, b, flags) == 0 ? 0 : SL_ETOOBIG;
}

/* Decimal of v appended to b (the line builders run once per job: no printf). */
static int append_i64(struct sl_buf *b, int64_t v)
{
    char tmp[21];
    size_t n = 0;

    if (v < 0)
        tmp[n++] = '-';
    n += sl_fmt_u64(tmp + n, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
    return sl_buf_append(b, tmp, n);
}

static void count_add(_Atomic uint64_t *dst, const uint32_t *src, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (src[i])
            atomic_fetch_add_explicit(&dst[i], src[i], memory_order_relaxed);
}

/* --output-format msgpack: the finished JSON line becomes one msgpack map with the same keys and
 * values (body a nested map). Built from the line rather than beside it so that every record kind
 * and every path (restore, errors, rejects) gets the same conversion; it costs one more parse of
 * the line, on this worker, and only in this mode. */
static int line_to_output(const struct sl_work_ctx *c, struct sl_buf *line)
{
    char *mp;
    size_t n;
    int rc;

    if (!c->cfg->out_msgpack || c->cfg->dry_run)
        return 0;
    rc = sl_json_line_to_mp(line->p ? line->p : "", line->len, &mp, &n);
    if (rc)
        return rc;
    sl_buf_wipe(line); /* it may hold restored (original) values */
    line->p = mp;
    line->len = line->cap = n;
    return 0;
}

/* Hand a record to the writer; on a sticky writer error remember it (the loop stops the run). */
static void emit(struct sl_work_ctx *c, struct sl_job *j, enum sl_out_kind kind, struct sl_buf *line,
                 const char *error_code)
{
    struct sl_out_rec r;
    int rc;

    memset(&r, 0, sizeof(r));
    rc = line_to_output(c, line);
    if (rc) {
        sl_buf_wipe(line);
        j->unwritten = true;
        int zero = 0;
        atomic_compare_exchange_strong(&c->writer_error, &zero, rc);
        return;
    }
    r.kind = kind;
    r.seq = j->seq;
    r.line = line->p;
    r.line_len = line->len;
    line->p = NULL;
    line->len = line->cap = 0;
    r.custom_id = j->custom_id;
    r.model = j->model;
    r.endpoint = j->path;
    r.error_code = error_code;
    memcpy(r.input_digest, j->input_digest, sizeof(r.input_digest));
    r.status = (int)j->status;
    r.attempts = j->attempts;
    r.latency_ms = j->latency_ms;
    r.prompt_tokens = j->prompt_tokens;
    r.completion_tokens = j->completion_tokens;
    r.cost_usd = sl_price_from_nusd(j->cost_nusd);
    r.redactions = j->redactions;
    r.sanitized = j->sanitized;
    if (!c->writer) {
        free(r.line);
        j->unwritten = true;
        return;
    }
    rc = sl_writer_push(c->writer, &r);
    if (rc) {
        j->unwritten = true;
        int zero = 0;
        atomic_compare_exchange_strong(&c->writer_error, &zero, rc);
    }
}

static void reject(struct sl_work_ctx *c, struct sl_work_tls *t, struct sl_job *j,
                   const struct sl_err *err, const char *code)
{
    const char *reason = err->reason;
    size_t clen = strlen(code);

    struct sl_buf line;
    char src[600];
    int rc = 0;

    (void)t;
    sl_work_source(c, j, src, sizeof(src));
    sl_buf_init(&line, 0);
    rc |= sl_buf_append_str(&line, "{\"source\":");
    rc |= sl_buf_append_json_str(&line, src, strlen(src));
    rc |= sl_buf_append_str(&line, ",\"custom_id\":");
    if (j->custom_id)
        rc |= sl_buf_append_json_str(&line, j->custom_id, strlen(j->custom_id));
    else
        rc |= sl_buf_append_str(&line, "null");
    /* sanitize's reasons start with their code ("size.message: ..."): keep only the sentence. */
    if (!strncmp(reason, code, clen) && reason[clen] == ':' && reason[clen + 1] == ' ')
        reason += clen + 2;
    rc |= sl_buf_append_str(&line, ",\"code\":");
    rc |= sl_buf_append_json_str(&line, code, clen);
    rc |= sl_buf_append_str(&line, ",\"reason\":");
    rc |= sl_buf_append_json_str(&line, reason, strlen(reason));
    rc |= sl_buf_append_str(&line, ",\"field\":");
    if (err->field[0])
        rc |= sl_buf_append_json_str(&line, err->field, strlen(err->field));
    else
        rc |= sl_buf_append_str(&line, "null");
    rc |= sl_buf_append_str(&line, "}");
    if (rc) {
        sl_buf_free(&line);
        return;
    }
    count_reason(c, code);
    j->outcome = SL_JOB_REJECTED;
    emit(c, j, SL_OUT_REJECT, &line, code);
}

static const char *jansson_why(const json_error_t *e)
{
    switch (json_error_code(e)) {
    case json_error_invalid_utf8:
        return "invalid UTF-8";
    case json_error_premature_end_of_input:
        return "truncated JSON";
    case json_error_end_of_input_expected:
        return "extra data after the JSON object";
    case json_error_invalid_syntax:
        return "invalid JSON syntax";
    case json_error_invalid_format:
        return "invalid JSON format";
    case json_error_wrong_type:
        return "the record is not a JSON object";
    case json_error_null_character:
        return "NUL byte in a string";
    case json_error_numeric_overflow:
        return "number out of range";
    case json_error_item_not_found:
    case json_error_index_out_of_range:
        return "missing item";
    case json_error_duplicate_key:
        return "duplicate key";
    default:
        return "invalid JSON";
    }
}

/* Keys whose string values are protocol, not content: never anonymized. */
static bool structural_key(const char *k)
{
    static const char *const keys[] = {"model", "role", "type", "encoding_format", "detail",
                                       "reasoning_effort", "tool_choice", "format", "voice",
                                       "service_tier", NULL};
    size_t i;

    for (i = 0; keys[i]; i++)
        if (!strcmp(k, keys[i]))
            return true;
    return false;
}

static int anon_tree(struct sl_work_ctx *c, struct sl_work_tls *t, struct sl_job *j, json_t *v,
                     int depth)
{
    int rc;

    if (depth > 256)
        return 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *x;

        json_object_foreach(v, k, x) {
            if (json_is_string(x) && structural_key(k))
                continue;
            if ((rc = anon_tree(c, t, j, x, depth + 1)))
                return rc;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;

        json_array_foreach(v, i, x) {
            if ((rc = anon_tree(c, t, j, x, depth + 1)))
                return rc;
        }
    } else if (json_is_string(v)) {
        const char *sv = json_string_value(v);
        size_t sn = json_string_length(v);
        uint32_t before = 0, after = 0;
        size_t i;

        /* The same system prompt in every job: scanned once per worker (strcache.h). */
        if (sl_strcache_has(&t->clean, sv, sn))
            return 0;
        for (i = 0; i < SL_PII__COUNT; i++)
            before += j->redactions.n[i];
        sl_buf_reset(&t->tmp);
        rc = sl_anon_text(c->anon, t->scratch, sv, sn, &t->tmp, &j->redactions, j->vault);
        if (rc)
            return rc;
        for (i = 0; i < SL_PII__COUNT; i++)
            after += j->redactions.n[i];
        if (after == before)
            sl_strcache_put(&t->clean, sv, sn);
        else if (json_string_setn(v, t->tmp.p ? t->tmp.p : "", t->tmp.len))
            return SL_EUTF8;
    }
    return 0;
}

static int parse_record(struct sl_work_ctx *c, struct sl_work_tls *t, struct sl_job *j,
                        json_t **out, struct sl_err *err)
{
    json_error_t je;
    const char *p = j->raw;
    size_t n = j->raw_len;
    int rc;

    if (j->is_msgpack)
        return sl_mp2json(j->mp_obj, out, err);
    sl_buf_reset(&t->tmp);
    rc = sl_sanitize_utf8(c->policy, p, n, &t->tmp, err);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        p = t->tmp.p;
        n = t->tmp.len;
    }
    {
        const char *nul = memchr(p, '\0', n);

        if (nul)
            return sl_err_set(err, SL_EPARSE, "", "NUL byte at byte %zu of the record",
                              (size_t)(nul - p));
    }
    /* yajl first (jscan.h); anything it is not sure of goes to jansson, which words the errors. The
     * body's byte range is kept only when it points into j->raw (not into a repaired copy). */
    rc = sl_jscan_load_utf8(p, n, "body", out, &t->body_off, &t->body_len); /* checked above */
    if (rc < 0)
        return sl_err_set(err, rc, "", "internal: out of memory");
    if (rc == 0) {
        t->body_len = p == j->raw ? t->body_len - t->body_off : 0;
        return 0;
    }
    t->body_off = t->body_len = 0;
    *out = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
    if (!*out && strstr(je.text, "depth"))
        return sl_err_set(err, SL_ETOOBIG, "", "nested deeper than the JSON parser allows (%d "
                          "levels) at byte %d", JSON_PARSER_MAX_DEPTH, je.position);
    if (!*out && json_error_code(&je) == json_error_numeric_overflow)
        return sl_err_set(err, SL_ERANGE_NUM, "", "number out of range at byte %d of the record",
                          je.position);
    if (!*out)
        return sl_err_set(err, json_error_code(&je) == json_error_invalid_utf8 ? SL_EUTF8
                               : json_error_code(&je) == json_error_numeric_overflow ? SL_ESCHEMA
                                                                                     : SL_EPARSE,
                          "", "%s at byte %d of the record", jansson_why(&je), je.position);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return sl_err_set(err, SL_ESCHEMA, "", "the record is not a JSON object");
    }
    return 0;
}

/* method, path and model in one allocation (j->strs): they live as long as the job, and three
 * strndups were three mallocs a job on this thread and three frees on the loop thread. A value
 * that is not a string stays NULL. -ENOMEM or 0. */
static int copy_strs(struct sl_job *j, const json_t *method, const json_t *url, const json_t *model)
{
    const json_t *v[3] = {method, url, model};
    char **dst[3] = {&j->method, &j->path, &j->model};
    size_t need = 0, i;
    char *o;

    for (i = 0; i < 3; i++)
        if (json_is_string(v[i]))
            need += json_string_length(v[i]) + 1;
    if (!need)
        return 0;
    if (!(o = j->strs = malloc(need)))
        return -ENOMEM;
    for (i = 0; i < 3; i++) {
        size_t n;

        if (!json_is_string(v[i]))
            continue;
        n = json_string_length(v[i]);
        memcpy(o, json_string_value(v[i]), n);
        o[n] = '\0';
        *dst[i] = o;
        o += n + 1;
    }
    return 0;
}

static void make_idem_key(struct sl_work_ctx *c, struct sl_work_tls *t, struct sl_job *j)
{
    /* 8-4-4-4-12 hex digits of the first 16 bytes (no snprintf: ~2k instructions a job). */
    static const unsigned char group_end[] = {4, 6, 8, 10};
    unsigned char mac[32];
    char *o = j->idem_key;
    size_t i, g = 0;

    _Static_assert(sizeof(j->idem_key) >= 37, "idem_key holds a UUID-shaped key");
    keyed_digest(c, t, j->custom_id, strlen(j->custom_id), mac);
    /* UUID-shaped, version 4-looking bits are not claimed: it is a keyed digest of the custom_id so
     * the same job keeps the same key across retries and across a resumed run. */
    for (i = 0; i < 16; i++) {
        if (g < sizeof(group_end) && i == group_end[g]) {
            *o++ = '-';
            g++;
        }
        hex(mac + i, 1, o);
        o += 2;
    }
    *o = '\0';
}

static bool custom_id_has_pii(struct sl_work_ctx *c, struct sl_work_tls *t, struct sl_job *j)
{
    struct sl_anon_counts n = {0};
    struct sl_anon_vault *v = NULL;
    size_t i;
    int rc;

    if (c->cfg->anon_mode == SL_ANON_TOKENIZE && sl_anon_vault_create(&v))
        return true;
    sl_buf_reset(&t->tmp);
    rc = sl_anon_text(c->anon, t->scratch, j->custom_id, strlen(j->custom_id), &t->tmp, &n, v);
    sl_anon_vault_destroy(v);
    if (rc)
        return true;
    for (i = 0; i < SL_PII__COUNT; i++)
        if (n.n[i])
            return true;
    return false;
}

/* Split est_tokens into prompt and output the way sanitize estimated it (the output part is the
 * job's max_*tokens times n, or the policy default; embeddings have none), then price it. */
static void estimate_cost(struct sl_work_ctx *c, struct sl_job *j, json_t *body)
{
    static const char *const keys[] = {"max_completion_tokens", "max_tokens", "max_output_tokens"};
    uint64_t out = c->policy ? c->policy->default_max_tokens : 0, n = 1;
    double usd = 0;
    json_t *v;
    size_t i;

    if (!c->prices)
        return;
    for (i = 0; i < 3; i++)
        if (json_is_integer(v = json_object_get(body, keys[i])) && json_integer_value(v) >= 0) {
            out = (uint64_t)json_integer_value(v);
            break;
        }
    if (json_is_integer(v = json_object_get(body, "n")) && json_integer_value(v) > 0)
        n = (uint64_t)json_integer_value(v);
    out = j->path && strstr(j->path, "/embeddings") ? 0 : out * n;
    if (out > j->est_tokens)
        out = j->est_tokens;
    if (sl_prices_cost(c->prices, j->model, j->est_tokens - out, out, &usd)) {
        j->est_cost_nusd = sl_price_to_nusd(usd);
        j->est_cost_state = 1;
    } else {
        j->est_cost_state = 2;
    }
}

/* --dry-run: the request line, with exactly the body bytes a real run would send. */
static void dry_emit(struct sl_work_ctx *c, struct sl_job *j)
{
    struct sl_buf line;
    int rc = 0;

    sl_buf_init(&line, 0);
    rc |= sl_buf_append_str(&line, "{\"custom_id\":");
    rc |= sl_buf_append_json_str(&line, j->custom_id, strlen(j->custom_id));
    rc |= sl_buf_append_str(&line, ",\"method\":");
    rc |= j->method ? sl_buf_append_json_str(&line, j->method, strlen(j->method))
                    : sl_buf_append_str(&line, "null");
    rc |= sl_buf_append_str(&line, ",\"url\":");
    rc |= j->path ? sl_buf_append_json_str(&line, j->path, strlen(j->path))
                  : sl_buf_append_str(&line, "null");
    rc |= sl_buf_append_str(&line, ",\"body\":");
    rc |= sl_buf_append(&line, j->body.p, j->body.len);
    rc |= sl_buf_append_str(&line, "}");
    j->outcome = SL_JOB_OK;
    j->state = SL_JOB_FINISHED;
    if (rc) {
        sl_buf_wipe(&line);
        j->unwritten = true;
        return;
    }
    emit(c, j, SL_OUT_RESULT, &line, NULL);
}

static void prepare(struct sl_work_ctx *c, struct sl_work_tls *t, struct sl_job *j);

/* --shard: a job of another process is dropped without a record (not "done before" either). */
static bool other_shard(const struct sl_work_ctx *c, struct sl_job *j)
{
    if (sl_shard_owns(c->cfg->shard_index, c->cfg->shard_count, j->custom_id))
        return false;
    j->outcome = SL_JOB_OTHER_SHARD;
    return true;
}

/* ---- admission: the id set sees jobs in input order ----
 *
 * Duplicate detection keeps the first occurrence in input order, so custom_ids reach the id set in
 * seq order, one at a time (inorder.h): a worker whose prepared job is not next parks it and goes
 * on; the worker that admits the job before it admits it too. Nobody waits (workers used to hand
 * a turn to each other job by job and sleep on a condvar: most of a run's futex calls). Admission
 * is cheap: the id insert, the counters, the READY mark. */

static void free_job(void *j)
{
    sl_job_free(j);
}

int sl_work_admit_init(struct sl_work_ctx *c, sl_work_deliver_fn deliver, void *ud)
{
    c->deliver = deliver;
    c->deliver_ud = ud;
    /* a small ring on purpose: every run of more than a few jobs grows it (tested) */
    return sl_inorder_init(&c->admission, 16);
}

void sl_work_admit_free(struct sl_work_ctx *c)
{
    sl_inorder_destroy(&c->admission, free_job); /* jobs left only if the run stopped */
}

/* The id decision and everything counted only for admitted jobs. A failure of the id set (its
 * scratch files' disk) stops the run like a writer error: the job gets no record, so a resume
 * redoes it; calling it unique or a duplicate would both be guesses. */
static void admit(struct sl_work_ctx *c, struct sl_work_tls *t, struct sl_job *j)
{
    const char *id = j->admit || j->remember_id ? j->custom_id : NULL;
    struct sl_err err;
    int rc = 1, zero = 0;

    if (!c->cfg->no_dedup) {
        rc = sl_idset_insert_at(c->ids, j->seq, id, id ? strlen(id) : 0);
        if (rc < 0 && id) {
            atomic_compare_exchange_strong(&c->writer_error, &zero, rc);
            sl_buf_wipe(&j->body);
            j->unwritten = true;
            j->outcome = SL_JOB_REJECTED;
            return;
        }
    }
    if (!j->admit)
        return;
    if (rc == 0) {
        /* The id belongs to the job that has it first: this reject is keyed by its source only,
         * so every custom_id stays in exactly one output (and audit verify agrees). */
        free(j->custom_id);
        j->custom_id = NULL;
        sl_buf_wipe(&j->body);
        sl_err_clear(&err);
        sl_err_set(&err, SL_EDUP, "/custom_id", "custom_id already used by an earlier job");
        reject(c, t, j, &err, "duplicate.custom_id");
        return;
    }
    count_add(c->redactions, j->redactions.n, SL_PII__COUNT);
    count_add(c->sanitized, j->sanitized.n, SL_SAN__COUNT);
    if (j->sanitized.injection_flagged)
        atomic_fetch_add_explicit(&c->injection_flagged, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->est_tokens, j->est_tokens, memory_order_relaxed);
    if (j->est_cost_state == 1)
        atomic_fetch_add_explicit(&c->est_cost_nusd, j->est_cost_nusd, memory_order_relaxed);
    else if (j->est_cost_state == 2)
        atomic_fetch_add_explicit(&c->est_cost_unknown, 1, memory_order_relaxed);
    if (c->cfg->dry_run) {
        dry_emit(c, j);
        return;
    }
    j->outcome = SL_JOB_OK;
    j->state = SL_JOB_READY;
}

void sl_work_prepare(struct sl_work_ctx *c, struct sl_work_tls *t, struct sl_job *j)
{
    sl_jarena_begin(&t->arena);
    prepare(c, t, j);
    sl_jarena_end(&t->arena);
    if (c->cfg->no_dedup) {
        admit(c, t, j);
        c->deliver(c->deliver_ud, j);
        return;
    }
    if (!sl_inorder_offer(&c->admission, j->seq, j))
        return; /* parked: the worker admitting j->seq - 1 takes it along */
    while (j) {
        uint64_t seq = j->seq;

        admit(c, t, j);
        c->deliver(c->deliver_ud, j);
        j = sl_inorder_next(&c->admission, seq);
    }
}

static void prepare(struct sl_work_ctx *c, struct sl_work_tls *t, struct sl_job *j)
{
    struct sl_err err;
    json_t *rec = NULL, *body;
    int rc;

    sl_err_clear(&err);
    t->body_off = t->body_len = 0;
    if (j->frame_err && other_shard(c, j))
        goto out;
    if (j->frame_err && c->writer && sl_writer_is_done(c->writer, j->seq)) {
        j->outcome = SL_JOB_SKIPPED;
        return;
    }
    if (j->frame_err) {
        sl_err_set(&err, j->frame_err, "", "%s",
                   j->frame_why ? j->frame_why : "record cannot be framed");
        reject(c, t, j, &err, frame_code(j->frame_err, j->is_msgpack));
        return;
    }
    if (!j->is_msgpack)
        keyed_digest(c, t, j->raw, j->raw_len, j->input_digest);
    rc = parse_record(c, t, j, &rec, &err);
    if (!rc) {
        json_t *cid = json_object_get(rec, "custom_id");

        if (json_is_string(cid) && json_string_length(cid) > 0 && json_string_length(cid) <= 512 &&
            strlen(json_string_value(cid)) == json_string_length(cid))
            j->custom_id = strndup(json_string_value(cid), json_string_length(cid));
        if (j->is_msgpack) {
            struct sl_buf txt;

            sl_buf_init(&txt, 0);
            if (!dump_to(rec, JSON_COMPACT | JSON_SORT_KEYS, &txt))
                keyed_digest(c, t, txt.p, txt.len, j->input_digest);
            sl_buf_wipe(&txt);
        }
    }
    if (!rc && t->tmpl) {
        /* Templated job: {"custom_id","text"} becomes the full job, before sanitize sees it. */
        json_t *job = NULL;

        rc = sl_template_apply(t->tmpl, rec, &job, &err);
        json_decref(rec);
        rec = job;
        t->body_off = t->body_len = 0; /* the body comes from the template */
    }
    if (other_shard(c, j))
        goto out;
    if (j->custom_id && c->writer && sl_writer_is_done(c->writer, j->seq)) {
        /* Done by an earlier run: admit remembers its id for duplicate detection, nothing else. */
        j->remember_id = true;
        j->outcome = SL_JOB_SKIPPED;
        goto out;
    }
    if (c->writer && sl_writer_is_done(c->writer, j->seq)) {
        j->outcome = SL_JOB_SKIPPED;
        goto out;
    }
    if (rc) {
        reject(c, t, j, &err, parse_code(rc, j->is_msgpack));
        goto out;
    }
    rc = sl_sanitize_job_memo(c->policy, rec, &j->sanitized, &j->est_tokens, &err, &t->san_memo);
    if (rc) {
        count_add(c->sanitized, j->sanitized.n, SL_SAN__COUNT);
        reject(c, t, j, &err, sl_sanitize_reason_code(&err));
        goto out;
    }
    /* custom_id passed the schema check, so it is set. It is written to every output and to the
     * audit log, so it must not carry what the anonymizer finds. */
    if (c->anon && custom_id_has_pii(c, t, j)) {
        free(j->custom_id);
        j->custom_id = NULL;
        sl_err_set(&err, SL_EPOLICY, "/custom_id",
                   "custom_id contains personal data or a secret; custom_ids are written to the "
                   "outputs and the audit log");
        reject(c, t, j, &err, "policy.custom_id_pii");
        goto out;
    }
    {
        /* One pass over the record's members for the three read here (the key of exactly that
         * length, as json_object_get; members are unique). */
        json_t *method = NULL, *url = NULL, *v;
        const char *k;
        size_t kl;

        body = NULL;
        json_object_keylen_foreach(rec, k, kl, v)
        {
            if (kl == 6 && !memcmp(k, "method", 6))
                method = v;
            else if (kl == 3 && !memcmp(k, "url", 3))
                url = v;
            else if (kl == 4 && !memcmp(k, "body", 4))
                body = v;
        }
        if (copy_strs(j, method, url, json_object_get(body, "model"))) {
            sl_err_set(&err, SL_EPOLICY, "", "out of memory");
            reject(c, t, j, &err, "internal");
            goto out;
        }
    }
    if (c->anon) {
        uint32_t before = 0, after = 0;
        size_t i;

        if (c->cfg->anon_mode == SL_ANON_TOKENIZE && !j->vault &&
            sl_anon_vault_create(&j->vault)) {
            sl_err_set(&err, SL_EPOLICY, "", "out of memory");
            reject(c, t, j, &err, "internal");
            goto out;
        }
        for (i = 0; i < SL_PII__COUNT; i++)
            before += j->redactions.n[i];
        if (anon_tree(c, t, j, body, 0)) {
            sl_err_set(&err, SL_ETOOBIG, "/body", "anonymized body exceeds the size limit");
            reject(c, t, j, &err, "size.job");
            goto out;
        }
        for (i = 0; i < SL_PII__COUNT; i++)
            after += j->redactions.n[i];
        if (after != before)
            t->body_len = 0; /* a string was replaced: encode the tree */
    }
    /* Nothing changed the body (no sanitize rewrite or dropped field, no replacement): send the
     * record's own bytes, which hold the same JSON value (numbers exactly as written), instead of
     * encoding the tree again. */
    if (t->body_len && !j->sanitized.modified && json_is_object(body)
            ? sl_buf_append(&j->body, j->raw + t->body_off, t->body_len)
            : dump_to(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15),
                      &j->body)) {
        sl_buf_wipe(&j->body);
        sl_err_set(&err, SL_ETOOBIG, "/body", "body cannot be encoded");
        reject(c, t, j, &err, "size.job");
        goto out;
    }
    make_idem_key(c, t, j);
    estimate_cost(c, j, body);
    j->admit = true; /* passed every check: only its custom_id is left to decide (admit) */
out:
    json_decref(rec);
    if (j->raw) { /* the record text is gone; the buffer goes back to the loop with the job */
        explicit_bzero(j->raw, j->raw_len);
        j->raw_len = 0;
    }
    sl_framer_rec_free_zone(j->mp_zone);
    j->mp_zone = NULL;
    j->mp_obj = NULL;
}

/* ---- finish ---- */

static uint64_t get_u64(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);

    return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

static int restore_tree(struct sl_job *j, json_t *v, struct sl_buf *tmp, int depth)
{
    int rc;

    if (depth > 256)
        return 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *x;

        json_object_foreach(v, k, x) {
            if ((rc = restore_tree(j, x, tmp, depth + 1)))
                return rc;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;

        json_array_foreach(v, i, x) {
            if ((rc = restore_tree(j, x, tmp, depth + 1)))
                return rc;
        }
    } else if (json_is_string(v) && memchr(json_string_value(v), '<', json_string_length(v))) {
        sl_buf_reset(tmp);
        if ((rc = sl_anon_restore(j->vault, json_string_value(v), json_string_length(v), tmp)))
            return rc;
        if (json_string_setn(v, tmp->p ? tmp->p : "", tmp->len))
            return SL_EUTF8;
    }
    return 0;
}

static int append_response(struct sl_buf *line, struct sl_job *j, const char *body_json,
                           size_t body_len)
{
    int rc = 0;
    const char *rid = j->rl.request_id;

    rc |= sl_buf_append_str(line, "{\"status_code\":");
    rc |= append_i64(line, j->status);
    rc |= sl_buf_append_str(line, ",\"request_id\":");
    if (rid[0])
        rc |= sl_buf_append_json_str(line, rid, strlen(rid));
    else
        rc |= sl_buf_append_str(line, "null");
    rc |= sl_buf_append_str(line, ",\"body\":");
    if (body_json)
        rc |= sl_buf_append(line, body_json, body_len);
    else
        rc |= sl_buf_append_str(line, "null");
    rc |= sl_buf_append_str(line, "}");
    return rc;
}

static int line_head(struct sl_buf *line, struct sl_job *j)
{
    char hx[25];
    int rc = 0;

    hex(j->input_digest, 12, hx);
    rc |= sl_buf_append_str(line, "{\"id\":\"batch_req_");
    rc |= sl_buf_append(line, hx, 24);
    rc |= sl_buf_append_str(line, "\",\"custom_id\":");
    rc |= sl_buf_append_json_str(line, j->custom_id, strlen(j->custom_id));
    rc |= sl_buf_append_str(line, ",\"response\":");
    return rc;
}

static void finish_error(struct sl_work_ctx *c, struct sl_job *j)
{
    struct sl_buf line, ebtxt;
    json_t *eb = NULL;
    int rc = 0;

    sl_buf_init(&line, 0);
    sl_buf_init(&ebtxt, 0);
    rc |= line_head(&line, j);
    if (j->status > 0) {
        bool have = false;

        if (j->resp.len)
            eb = json_loadb(j->resp.p, j->resp.len, 0, NULL);
        if (eb)
            have = !dump_to(eb, JSON_COMPACT | JSON_PRESERVE_ORDER, &ebtxt);
        rc |= append_response(&line, j, have ? ebtxt.p : NULL, have ? ebtxt.len : 0);
    } else {
        rc |= sl_buf_append_str(&line, "null");
    }
    rc |= sl_buf_append_str(&line, ",\"error\":{\"code\":");
    rc |= sl_buf_append_json_str(&line, j->err_code, strlen(j->err_code));
    rc |= sl_buf_append_str(&line, ",\"message\":");
    rc |= sl_buf_append_json_str(&line, j->err_msg, strlen(j->err_msg));
    rc |= sl_buf_printf(&line, ",\"attempts\":%u}}", j->attempts);
    sl_buf_wipe(&ebtxt);
    json_decref(eb);
    j->outcome = SL_JOB_FAILED;
    if (rc) {
        sl_buf_free(&line);
        return;
    }
    emit(c, j, SL_OUT_ERROR, &line, j->err_code);
}

static void finish(struct sl_work_ctx *c, struct sl_work_tls *t, struct sl_job *j);

void sl_work_finish(struct sl_work_ctx *c, struct sl_work_tls *t, struct sl_job *j)
{
    sl_jarena_begin(&t->arena);
    finish(c, t, j);
    sl_jarena_end(&t->arena);
}

/* Token counts and cost of a finished job, from its response's usage. */
static void account(struct sl_work_ctx *c, struct sl_job *j, uint64_t prompt, uint64_t completion,
                    uint64_t total)
{
    j->prompt_tokens = prompt;
    j->completion_tokens = completion;
    j->used_tokens = total ? total : prompt + completion;
    atomic_fetch_add_explicit(&c->prompt_tokens, j->prompt_tokens, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->completion_tokens, j->completion_tokens, memory_order_relaxed);
    if (c->prices) {
        double usd = 0;

        j->cost_known = sl_prices_cost(c->prices, j->model, j->prompt_tokens,
                                       j->completion_tokens, &usd);
        j->cost_nusd = sl_price_to_nusd(usd);
        atomic_fetch_add_explicit(j->cost_known ? &c->spend_nusd : &c->spend_unknown,
                                  j->cost_known ? j->cost_nusd : 1, memory_order_relaxed);
    }
}

static void finish(struct sl_work_ctx *c, struct sl_work_tls *t, struct sl_job *j)
{
    json_t *body = NULL, *usage;
    struct sl_buf line, txt;
    struct sl_jscan_resp r;
    const char *out;
    size_t out_len;
    int rc = 0;

    if (j->outcome == SL_JOB_FAILED) {
        finish_error(c, j);
        return;
    }
    sl_buf_init(&txt, 0);
    /* The common case without a tree (jscan.h): a valid object, copied into the result line as
     * received. Restoring tokens, a raw newline, or anything jscan is unsure of: jansson. */
    if (!(c->cfg->restore && j->vault) && j->resp.len &&
        sl_jscan_response(j->resp.p, j->resp.len, &r) == 0) {
        account(c, j, r.prompt_tokens + r.input_tokens, r.completion_tokens + r.output_tokens,
                r.total_tokens);
        if (!j->rl.request_id[0] && r.id[0])
            snprintf(j->rl.request_id, sizeof(j->rl.request_id), "%s", r.id);
        out = j->resp.p;
        out_len = j->resp.len;
        if (r.has_newline) {
            /* Pretty-printed (OpenAI indents its answers). In valid JSON a raw LF or CR only
             * stands between tokens (inside a string it must be escaped), so as spaces they keep
             * the value and make it one line; jscan checked the text is valid. */
            if (sl_buf_append(&txt, j->resp.p, j->resp.len)) {
                rc = -1;
            } else {
                for (size_t i = 0; i < txt.len; i++)
                    if (txt.p[i] == '\n' || txt.p[i] == '\r')
                        txt.p[i] = ' ';
                out = txt.p;
            }
        }
        goto line;
    }
    body = json_loadb(j->resp.p ? j->resp.p : "", j->resp.len, 0, NULL);
    if (!json_is_object(body)) {
        json_decref(body);
        snprintf(j->err_code, sizeof(j->err_code), "invalid_response");
        snprintf(j->err_msg, sizeof(j->err_msg),
                 "HTTP %ld response body is not a JSON object (%zu bytes)", j->status, j->resp.len);
        j->outcome = SL_JOB_RETRY;
        return;
    }
    usage = json_object_get(body, "usage");
    account(c, j, get_u64(usage, "prompt_tokens") + get_u64(usage, "input_tokens"),
            get_u64(usage, "completion_tokens") + get_u64(usage, "output_tokens"),
            get_u64(usage, "total_tokens"));
    if (!j->rl.request_id[0]) {
        json_t *id = json_object_get(body, "id");

        if (json_is_string(id) && json_string_length(id) < sizeof(j->rl.request_id))
            snprintf(j->rl.request_id, sizeof(j->rl.request_id), "%s", json_string_value(id));
    }
    if (c->cfg->restore && j->vault)
        rc = restore_tree(j, body, &t->tmp, 0);
    if (!rc && ((c->cfg->restore && j->vault) || memchr(j->resp.p, '\n', j->resp.len) ||
                memchr(j->resp.p, '\r', j->resp.len))) {
        bool ok = !dump_to(body, JSON_COMPACT | JSON_PRESERVE_ORDER, &txt);

        out = ok ? txt.p : NULL;
        out_len = ok ? txt.len : 0;
    } else {
        out = j->resp.p;
        out_len = j->resp.len;
    }
    json_decref(body);
line:
    sl_buf_init(&line, 0);
    /* One allocation for the usual line (the head, ids and wrapping are under 256 bytes plus the
     * custom_id and request id); appends still grow it if escaping makes it longer. */
    if (sl_buf_reserve(&line, out_len + strlen(j->custom_id) + strlen(j->rl.request_id) + 256)) {
        /* too large: the appends below fail the same way */
    }
    rc |= line_head(&line, j);
    rc |= append_response(&line, j, out, out_len);
    rc |= sl_buf_append_str(&line, ",\"error\":null}");
    sl_buf_wipe(&txt);
    j->outcome = SL_JOB_OK;
    j->state = SL_JOB_FINISHED;
    if (rc) {
        sl_buf_free(&line);
        snprintf(j->err_code, sizeof(j->err_code), "output_too_large");
        snprintf(j->err_msg, sizeof(j->err_msg), "the output line exceeds the size limit");
        finish_error(c, j);
        return;
    }
    emit(c, j, SL_OUT_RESULT, &line, NULL);
}
