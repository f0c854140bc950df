/* api.h: the OpenAI-compatible request/response bodies of the mock: parse a request body (with
 * jansson), count its tokens, pick the deterministic sentiment label, render the 200 body.
 *
 * Pure, any thread. A struct mock_api_req owns the parsed JSON until mock_api_req_close.
 * Token count: prompt = ceil(UTF-8 bytes of all message contents (or prompts, or embedding
 * inputs) / 4) + 3 per message + 3; completion = tokens of the label (1; 0 for embeddings);
 * quota charge = prompt + (max_tokens or max_completion_tokens if given, else completion).
 */
#ifndef MOCK_API_H
#define MOCK_API_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum { MOCK_EP_CHAT = 1, MOCK_EP_COMPLETIONS = 2, MOCK_EP_EMBEDDINGS = 3 };

enum { MOCK_LABEL_NEUTRAL = 0, MOCK_LABEL_POSITIVE = 1, MOCK_LABEL_NEGATIVE = 2 };

struct mock_api_req {
    int endpoint; /* MOCK_EP_* */
    json_t *root; /* owned */
    const char *model;
    size_t model_len;
    uint64_t prompt_tokens, completion_tokens, charge;
    int label;      /* MOCK_LABEL_* (chat: last user message; completions: last prompt) */
    json_t *inputs; /* embeddings: the "input" value (borrowed from root) */
    size_t n_inputs;
    int single_input; /* "input" is one string or one token array, not a list of them */
    const char *last_user; /* chat: the last user message when it is a string (borrowed) */
    size_t last_user_len;
    int echo;              /* --echo: answer with last_user instead of the label */
};

/* Parse body for endpoint. Returns 0, or -1 with *err_msg (a fixed English sentence that never
 * quotes input) and *err_param (the offending field or NULL): the caller answers 400. On -1
 * nothing needs closing. */
int mock_api_parse(struct mock_api_req *r, int endpoint, const char *body, size_t len,
                   const char **err_msg, const char **err_param);

void mock_api_req_close(struct mock_api_req *r);

/* Worst-case size of the rendered 200 body. */
size_t mock_api_bound(const struct mock_api_req *r);

/* Render the 200 body into dst (mock_api_bound bytes); id is a short [0-9a-f] token. */
size_t mock_api_render(const struct mock_api_req *r, const char *id, long long created, char *dst);

const char *mock_api_label_str(int label);

/* Sentiment of text by a small word lexicon: more positive than negative words = positive, the
 * reverse = negative, ties neutral. ASCII letters only make words; case-insensitive. */
int mock_api_label_of(const char *text, size_t n);

#endif
