/* template.h: templated jobs (--template FILE). The template is a JSON object
 *   {"url": "/v1/chat/completions", "method": "POST", "body": {... "{{text}}" ...}}
 * ("url" and "method" optional, with those defaults; "body" required and holding the placeholder
 * {{text}} in at least one string value). An input record {"custom_id": ..., "text": ...} becomes
 * the full job {"custom_id", "method", "url", "body"} by replacing every {{text}} inside every
 * string value of the body (and of url) with the record's text. The substitution works on decoded
 * strings and the result is encoded by jansson, so quotes, backslashes or newlines in the text can
 * never change the JSON structure. Object keys are never substituted.
 *
 * Pure (jansson only). A parsed template is not shared between threads: each worker parses its
 * own copy (jansson reference counts are not atomic).
 */
#ifndef SL_TEMPLATE_H
#define SL_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

#define SL_TEMPLATE_PLACEHOLDER "{{text}}"

/* Parse and check a template. Returns 0 and a new reference in *out, or SL_ECONFIG with err. */
SL_MUST_CHECK int sl_template_parse(const char *txt, size_t len, json_t **out, struct sl_err *err);

/* Build the job from rec (borrowed; needs "custom_id" and a string "text", no other key). Returns
 * 0 and a new reference in *job, or SL_ESCHEMA with err (field names the offending key). */
SL_MUST_CHECK int sl_template_apply(const json_t *tmpl, json_t *rec, json_t **job,
                                    struct sl_err *err);

#endif
