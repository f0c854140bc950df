/* api.c: OpenAI-compatible bodies for the mock (chat completions, completions, embeddings).
 *
 * Responses are written with snprintf into a buffer whose size mock_api_bound computed first,
 * rather than built as jansson trees: the mock answers tens of thousands of requests a second
 * and the shapes are fixed. Parsing uses jansson. Pure, any thread.
 */
#include "api.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

static const char *const POSITIVE[] = {
    "good",      "great",     "love",      "loved",      "loves",   "excellent", "amazing",
    "awesome",   "wonderful", "fantastic", "happy",      "best",    "nice",      "perfect",
    "enjoy",     "enjoyed",   "brilliant", "delightful", "pleased", "superb",    "like",
    "recommend", "glad",      "beautiful", "helpful",
};
static const char *const NEGATIVE[] = {
    "bad",           "terrible",     "hate",   "hated", "awful",  "horrible", "worst",  "poor",
    "disappointing", "disappointed", "sad",    "angry", "broken", "useless",  "boring", "dislike",
    "annoying",      "waste",        "refund", "slow",  "rude",   "never",    "wrong",
};

static int in_list(const char *w, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(w, list[i]) == 0)
            return 1;
    return 0;
}

static int word_score(const char *w)
{
    if (in_list(w, POSITIVE, sizeof(POSITIVE) / sizeof(POSITIVE[0])))
        return 1;
    if (in_list(w, NEGATIVE, sizeof(NEGATIVE) / sizeof(NEGATIVE[0])))
        return -1;
    return 0;
}

/* Sum of word scores; words longer than the longest lexicon entry cannot match and are skipped. */
static int text_score(const char *text, size_t n)
{
    char w[16];
    size_t i, k = 0;
    int score = 0, skip = 0;

    for (i = 0; i <= n; i++) {
        char c = i < n ? text[i] : ' ';
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            if (k + 1 < sizeof(w))
                w[k++] = (char)(c | 0x20);
            else
                skip = 1;
            continue;
        }
        if (k && !skip) {
            w[k] = '\0';
            score += word_score(w);
        }
        k = 0;
        skip = 0;
    }
    return score;
}

int mock_api_label_of(const char *text, size_t n)
{
    int s = text_score(text, n);

    return s > 0 ? MOCK_LABEL_POSITIVE : s < 0 ? MOCK_LABEL_NEGATIVE : MOCK_LABEL_NEUTRAL;
}

const char *mock_api_label_str(int label)
{
    return label == MOCK_LABEL_POSITIVE   ? "positive"
           : label == MOCK_LABEL_NEGATIVE ? "negative"
                                          : "neutral";
}

/* Bytes of a content value (string, or array of parts with "text"); score its words if asked. */
static size_t content_bytes(json_t *content, int *score)
{
    size_t i, bytes = 0;
    json_t *part, *text;

    if (json_is_string(content)) {
        bytes = json_string_length(content);
        if (score)
            *score += text_score(json_string_value(content), bytes);
        return bytes;
    }
    json_array_foreach(content, i, part)
    {
        text = json_object_get(part, "text");
        if (!json_is_string(text))
            continue;
        bytes += json_string_length(text);
        if (score)
            *score += text_score(json_string_value(text), json_string_length(text));
    }
    return bytes;
}

static int label_of_score(int s)
{
    return s > 0 ? MOCK_LABEL_POSITIVE : s < 0 ? MOCK_LABEL_NEGATIVE : MOCK_LABEL_NEUTRAL;
}

static uint64_t prompt_tokens(size_t bytes, size_t n)
{
    return (bytes + 3) / 4 + 3 * (uint64_t)n + 3;
}

static int parse_chat(struct mock_api_req *r, const char **msg, const char **param)
{
    json_t *msgs = json_object_get(r->root, "messages"), *m;
    size_t i, bytes = 0;
    int last_user = 0, have_user = 0;

    *param = "messages";
    if (!msgs) {
        *msg = "'messages' is a required property";
        return -1;
    }
    if (!json_is_array(msgs)) {
        *msg = "Invalid type for 'messages': expected an array of objects.";
        return -1;
    }
    if (json_array_size(msgs) == 0) {
        *msg = "Invalid 'messages': empty array. Expected an array with minimum length 1, but "
               "got an empty array instead.";
        return -1;
    }
    json_array_foreach(msgs, i, m)
    {
        const char *role = json_string_value(json_object_get(m, "role"));
        int s = 0, is_user;
        if (!json_is_object(m) || !role) {
            *msg = "Invalid 'messages': each message must be an object with a string 'role'.";
            return -1;
        }
        is_user = strcmp(role, "user") == 0;
        bytes += content_bytes(json_object_get(m, "content"), is_user ? &s : NULL);
        if (is_user) {
            json_t *c = json_object_get(m, "content");

            last_user = s;
            have_user = 1;
            r->last_user = json_is_string(c) ? json_string_value(c) : NULL;
            r->last_user_len = json_is_string(c) ? json_string_length(c) : 0;
        }
    }
    r->label = have_user ? label_of_score(last_user) : MOCK_LABEL_NEUTRAL;
    r->prompt_tokens = prompt_tokens(bytes, json_array_size(msgs));
    r->completion_tokens = 1;
    return 0;
}

static int parse_completions(struct mock_api_req *r, const char **msg, const char **param)
{
    json_t *p = json_object_get(r->root, "prompt"), *e;
    size_t i, bytes = 0, n = 1;
    int s = 0;

    *param = "prompt";
    if (json_is_string(p)) {
        bytes = content_bytes(p, &s);
    } else if (json_is_array(p) && json_array_size(p) > 0) {
        n = json_array_size(p);
        json_array_foreach(p, i, e)
        {
            if (!json_is_string(e)) {
                *msg = "Invalid type for 'prompt': expected a string or an array of strings.";
                return -1;
            }
            s = 0;
            bytes += content_bytes(e, &s);
        }
    } else {
        *msg = p ? "Invalid type for 'prompt': expected a string or an array of strings."
                 : "'prompt' is a required property";
        return -1;
    }
    r->label = label_of_score(s);
    r->prompt_tokens = prompt_tokens(bytes, n);
    r->completion_tokens = 1;
    return 0;
}

/* An embedding input: a string, or an array of token ids (counted as tokens, not bytes). */
static int input_cost(json_t *in, size_t *bytes, uint64_t *tokens)
{
    size_t i;
    json_t *t;

    if (json_is_string(in)) {
        *bytes += json_string_length(in);
        return 0;
    }
    if (!json_is_array(in))
        return -1;
    json_array_foreach(in, i, t)
    {
        if (!json_is_integer(t))
            return -1;
    }
    *tokens += json_array_size(in);
    return 0;
}

static int parse_embeddings(struct mock_api_req *r, const char **msg, const char **param)
{
    json_t *in = json_object_get(r->root, "input"), *e;
    size_t i, bytes = 0;
    uint64_t tokens = 0;
    int bad = 0;

    *param = "input";
    *msg = "Invalid type for 'input': expected a string, an array of strings or an array of "
           "token arrays.";
    if (!in) {
        *msg = "'input' is a required property";
        return -1;
    }
    if (json_is_string(in) || (json_is_array(in) && json_is_integer(json_array_get(in, 0)))) {
        r->n_inputs = 1;
        r->single_input = 1;
        bad = input_cost(in, &bytes, &tokens);
    } else if (json_is_array(in) && json_array_size(in) > 0) {
        r->n_inputs = json_array_size(in);
        json_array_foreach(in, i, e) bad |= input_cost(e, &bytes, &tokens);
    } else {
        bad = -1;
    }
    if (bad)
        return -1;
    r->inputs = in;
    r->prompt_tokens = prompt_tokens(bytes, r->n_inputs) + tokens;
    r->completion_tokens = 0;
    return 0;
}

static uint64_t max_tokens_of(json_t *root)
{
    json_t *m = json_object_get(root, "max_completion_tokens");

    if (!json_is_integer(m))
        m = json_object_get(root, "max_tokens");
    if (json_is_integer(m) && json_integer_value(m) >= 0)
        return (uint64_t)json_integer_value(m);
    return UINT64_MAX;
}

int mock_api_parse(struct mock_api_req *r, int endpoint, const char *body, size_t len,
                   const char **err_msg, const char **err_param)
{
    json_t *model;
    uint64_t mt;
    int rc;

    memset(r, 0, sizeof(*r));
    r->endpoint = endpoint;
    *err_param = NULL;
    r->root = json_loadb(body, len, 0, NULL);
    if (!json_is_object(r->root)) {
        *err_msg = "We could not parse the JSON body of your request. (HINT: This likely means "
                   "you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
                   "payload, but what was sent was not valid JSON.)";
        goto out_fail;
    }
    model = json_object_get(r->root, "model");
    if (!json_is_string(model) || json_string_length(model) == 0) {
        *err_msg = "you must provide a model parameter";
        goto out_fail;
    }
    r->model = json_string_value(model);
    r->model_len = json_string_length(model);
    rc = endpoint == MOCK_EP_CHAT          ? parse_chat(r, err_msg, err_param)
         : endpoint == MOCK_EP_COMPLETIONS ? parse_completions(r, err_msg, err_param)
                                           : parse_embeddings(r, err_msg, err_param);
    if (rc < 0)
        goto out_fail;
    mt = endpoint == MOCK_EP_EMBEDDINGS ? UINT64_MAX : max_tokens_of(r->root);
    r->charge = r->prompt_tokens + (mt != UINT64_MAX ? mt : r->completion_tokens);
    return 0;

out_fail:
    json_decref(r->root);
    r->root = NULL;
    return -1;
}

void mock_api_req_close(struct mock_api_req *r)
{
    json_decref(r->root);
    r->root = NULL;
}

#define EMB_DIM 8
#define EMB_ITEM_BOUND (96 + EMB_DIM * 12)

size_t mock_api_bound(const struct mock_api_req *r)
{
    size_t b = 512 + mock_jsonw_str_bound(r->model_len);

    if (r->endpoint == MOCK_EP_EMBEDDINGS)
        b += r->n_inputs * EMB_ITEM_BOUND;
    if (r->echo && r->last_user)
        b += mock_jsonw_str_bound(r->last_user_len);
    return b;
}

static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* FNV-1a over a string input, or over the token ids of a token-array input. */
static uint64_t input_hash(json_t *in)
{
    uint64_t h = 0xCBF29CE484222325ull;
    size_t i, n;
    const unsigned char *p;
    json_t *t;

    if (json_is_string(in)) {
        p = (const unsigned char *)json_string_value(in);
        n = json_string_length(in);
        for (i = 0; i < n; i++)
            h = (h ^ p[i]) * 0x100000001B3ull;
        return h;
    }
    json_array_foreach(in, i, t) h = (h ^ (uint64_t)json_integer_value(t)) * 0x100000001B3ull;
    return h;
}

static size_t render_embedding(char *o, size_t idx, json_t *in)
{
    double v[EMB_DIM], norm = 0;
    uint64_t h = input_hash(in);
    size_t i, n;

    for (i = 0; i < EMB_DIM; i++) {
        v[i] = (double)(mix64(h + i) >> 11) / (double)(1ull << 53) * 2.0 - 1.0;
        norm += v[i] * v[i];
    }
    norm = norm > 0 ? sqrt(norm) : 1;
    n = (size_t)sprintf(o, "%s{\"object\":\"embedding\",\"index\":%zu,\"embedding\":[",
                        idx ? "," : "", idx);
    for (i = 0; i < EMB_DIM; i++)
        n += (size_t)sprintf(o + n, "%s%.6f", i ? "," : "", v[i] / norm);
    n += (size_t)sprintf(o + n, "]}");
    return n;
}

static size_t render_embeddings(const struct mock_api_req *r, char *dst, const char *model_js)
{
    size_t n = (size_t)sprintf(dst, "{\"object\":\"list\",\"data\":[");
    json_t *e;
    size_t i;

    if (r->single_input) {
        n += render_embedding(dst + n, 0, r->inputs);
    } else {
        json_array_foreach(r->inputs, i, e) n += render_embedding(dst + n, i, e);
    }
    n += (size_t)sprintf(
        dst + n, "],\"model\":%s,\"usage\":{\"prompt_tokens\":%llu,\"total_tokens\":%llu}}",
        model_js, (unsigned long long)r->prompt_tokens, (unsigned long long)r->prompt_tokens);
    return n;
}

size_t mock_api_render(const struct mock_api_req *r, const char *id, long long created, char *dst)
{
    char model_js[512];
    const char *model = model_js;
    char *heap = NULL;
    unsigned long long pt = r->prompt_tokens, ct = r->completion_tokens;
    size_t n, ml;

    if (mock_jsonw_str_bound(r->model_len) >= sizeof(model_js)) {
        heap = malloc(mock_jsonw_str_bound(r->model_len) + 1);
        if (!heap)
            return 0;
        model = heap;
    }
    ml = mock_jsonw_str((char *)model, r->model, r->model_len);
    ((char *)model)[ml] = '\0';
    if (r->endpoint == MOCK_EP_EMBEDDINGS)
        n = render_embeddings(r, dst, model);
    else if (r->endpoint == MOCK_EP_COMPLETIONS)
        n = (size_t)sprintf(
            dst,
            "{\"id\":\"cmpl-%s\",\"object\":\"text_completion\",\"created\":%lld,\"model\":%s,"
            "\"choices\":[{\"text\":\"%s\",\"index\":0,\"logprobs\":null,\"finish_reason\":"
            "\"stop\"}],\"usage\":{\"prompt_tokens\":%llu,\"completion_tokens\":%llu,"
            "\"total_tokens\":%llu}}",
            id, created, model, mock_api_label_str(r->label), pt, ct, pt + ct);
    else if (r->echo && r->last_user) {
        /* --echo: the content is the last user message itself (JSON-escaped), so tests can see
         * what a model would see and what comes back. */
        char *esc = malloc(mock_jsonw_str_bound(r->last_user_len) + 1);
        size_t el;

        if (!esc) {
            free(heap);
            return 0;
        }
        el = mock_jsonw_str(esc, r->last_user, r->last_user_len);
        esc[el] = '\0';
        n = (size_t)sprintf(
            dst,
            "{\"id\":\"chatcmpl-%s\",\"object\":\"chat.completion\",\"created\":%lld,\"model\":%s,"
            "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":%s,"
            "\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{"
            "\"prompt_tokens\":%llu,\"completion_tokens\":%llu,\"total_tokens\":%llu}}",
            id, created, model, esc, pt, ct, pt + ct);
        free(esc);
    } else
        n = (size_t)sprintf(
            dst,
            "{\"id\":\"chatcmpl-%s\",\"object\":\"chat.completion\",\"created\":%lld,\"model\":%s,"
            "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"%s\","
            "\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{"
            "\"prompt_tokens\":%llu,\"completion_tokens\":%llu,\"total_tokens\":%llu,"
            "\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{"
            "\"reasoning_tokens\":0}},\"system_fingerprint\":\"fp_mock0000\"}",
            id, created, model, mock_api_label_str(r->label), pt, ct, pt + ct);
    free(heap);
    return n;
}
