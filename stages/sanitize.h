/* sanitize.h: the policy that a job must pass before it is spent on (the sanitize stage).
 *
 * A policy (safe defaults, or a JSON file given by --policy) says which endpoints, methods and
 * models are allowed, the body schema per endpoint, size and cost caps, fields dropped or refused,
 * and what to do with each class of suspicious text (strip, escape, reject). sl_sanitize_job()
 * checks and cleans one parsed job (a jansson object, changed in place) and either accepts it or
 * fills a struct sl_err with a JSON pointer to the field and a reason; it never echoes content.
 * Pure: no I/O, no globals; the policy is read-only and shared by all threads.
 */
#ifndef SL_SANITIZE_H
#define SL_SANITIZE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

enum sl_san_class {
    SL_SAN_CONTROL,   /* C0/C1 controls other than tab and newline */
    SL_SAN_INVISIBLE, /* zero-width and other invisible format characters */
    SL_SAN_BIDI,      /* bidirectional controls (Trojan Source) */
    SL_SAN_TAG,       /* Unicode tag characters U+E0000..U+E007F */
    SL_SAN_MARKUP,    /* <script>/<style> blocks, event-handler attributes, javascript: URLs */
    SL_SAN_INJECTION, /* prompt-injection phrasing (flagged, or rejected by policy) */
    SL_SAN__COUNT
};

struct sl_san_stats {
    uint32_t n[SL_SAN__COUNT]; /* characters or constructs stripped/escaped/flagged, by class */
    bool injection_flagged;
    bool modified; /* the job's tree was changed: a string rewritten or a field dropped */
};

struct sl_policy;

/* Defaults: chat/embeddings/completions/responses/moderations endpoints, POST only, any model,
 * 1 MiB per job, invisible/control/bidi/tag stripped, script/style/handlers/javascript: removed,
 * invalid UTF-8 rejected, injections flagged (not rejected). */
SL_MUST_CHECK int sl_policy_default(struct sl_policy **out);
/* Load a JSON policy document (keys not given keep their defaults). err says where it is wrong. */
SL_MUST_CHECK int sl_policy_load(const char *text, size_t len, struct sl_policy **out,
                                 struct sl_err *err);
void sl_policy_destroy(struct sl_policy *p);

/* Bytes allowed for one input record; the reader refuses longer lines before parsing. */
size_t sl_policy_max_job_bytes(const struct sl_policy *p);

/* Before JSON parsing: if the policy says invalid UTF-8 is to be replaced, append a repaired copy
 * of line to out and return 1; if it is valid, return 0 (out untouched); if it is invalid and the
 * policy rejects it, return SL_EUTF8 with err set (field "", reason giving the byte offset). */
SL_MUST_CHECK int sl_sanitize_utf8(const struct sl_policy *p, const char *line, size_t len,
                                   struct sl_buf *out, struct sl_err *err);

/* Check and clean one job object {custom_id, method, url, body} in place. Returns 0 (accepted,
 * possibly modified; stats counts what was changed or flagged) or a negative SL_E* with err set.
 * est_tokens receives the estimated prompt tokens + max_tokens (or the endpoint default). */
SL_MUST_CHECK int sl_sanitize_job(const struct sl_policy *p, json_t *job, struct sl_san_stats *st,
                                  uint64_t *est_tokens, struct sl_err *err);

/* ---- additions (not in the original contract; nothing above changed) ---------------------- */

/* A caller's memory of strings the cleaning passes left alone. Batch jobs repeat text (the same
 * system prompt in every job); what the passes do to a string depends only on its bytes, the
 * policy and whether it is scanned for injection, so a string that came out unchanged and
 * counted nothing once does so again. has() answers for exact bytes (never a hash alone) and
 * inj; put() offers a string that was clean (the caller may keep it or not). A memo belongs to one
 * policy. Called on the sanitizing thread. */
struct sl_san_memo {
    bool (*has)(void *ud, const char *s, size_t n, bool inj);
    void (*put)(void *ud, const char *s, size_t n, bool inj);
    void *ud;
};

/* sl_sanitize_job with a memo (NULL: none): the same result, clean strings found in the memo are
 * not scanned again. */
SL_MUST_CHECK int sl_sanitize_job_memo(const struct sl_policy *p, json_t *job,
                                       struct sl_san_stats *st, uint64_t *est_tokens,
                                       struct sl_err *err, const struct sl_san_memo *memo);

/* Notes on the contract above, as implemented: sl_sanitize_job() zeroes *st and *est_tokens first
 * (stats are per job) and leaves them zero on a refusal; it allocates nothing for a job with
 * nothing to clean; it scans for injection everywhere except under system/developer messages and
 * the Responses "instructions". The pipeline parses with flags 0, so duplicate keys are
 * invisible. */

/* Every refusal's err->reason starts with a short machine code and ": ", e.g.
 * "size.message: message content longer than the policy allows". The codes are stable and are what
 * the run summary counts rejects by:
 *   schema.job schema.custom_id schema.method schema.url schema.body schema.unknown_key
 *   schema.model schema.messages schema.message schema.role schema.content schema.content_part
 *   schema.input schema.number schema.depth schema.field
 *   policy.method policy.url policy.model policy.role policy.field policy.content_part
 *   policy.max_tokens policy.n
 *   size.custom_id size.messages size.message size.input size.job size.tokens
 *   utf8 text.control text.invisible text.bidi text.tag text.markup injection internal
 *   (policy loading: policy.parse policy.key)
 * Returns the code as a static string, "" when err holds no error, "other" if unknown. */
const char *sl_sanitize_reason_code(const struct sl_err *err);

/* Name of a class for summaries and metrics: "control", "invisible", "bidi", "tag", "markup",
 * "injection". */
const char *sl_san_class_name(enum sl_san_class c);

/* The prompt-injection scan alone (used by sl_sanitize_job on cleaned text; exported for tests,
 * benchmarks and `sluice redact`). Returns the id of the first phrase that matches s[0..n) (e.g.
 * "ignore-previous", "fake-turn", "base64"), or NULL. Ignores the policy's injection mode. */
const char *sl_sanitize_injection_match(const struct sl_policy *p, const char *s, size_t n);

/* The policy's injection mode, for the pipeline's summary: "flag", "reject" or "off". */
const char *sl_policy_injection_mode(const struct sl_policy *p);

#endif
