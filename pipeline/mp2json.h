/* mp2json.h: msgpack <-> JSON for one record, both ways.
 *
 * sl_mp2json: one decoded msgpack object into a jansson value, for the same checks as JSONL. Map keys
 * must be strings, strings must be valid UTF-8 (jansson checks), bin/ext are refused, depth is
 * capped. On failure err says which field (JSON pointer) and why, never the content.
 *
 * sl_json2mp / sl_json_line_to_mp: the other way, for `--output-format msgpack`. A JSON object
 * becomes a map with the same keys in the same order, an array an array, a string a str, an integer
 * the smallest msgpack integer holding it (int64 range, as jansson), a real a float64, true/false
 * bool and null nil. A nested object (the response `body`) stays a nested map. Pure; any thread. */
#ifndef SL_MP2JSON_H
#define SL_MP2JSON_H

#include <jansson.h>
#include <msgpack.h>

#include "err.h"

SL_MUST_CHECK int sl_mp2json(const msgpack_object *o, json_t **out, struct sl_err *err);

/* Pack v with pk. Returns 0, SL_ETOOBIG past the depth cap, -ENOMEM if the packer's writer fails. */
SL_MUST_CHECK int sl_json2mp(const json_t *v, msgpack_packer *pk);

/* Parse one JSON text (an output line) and return its msgpack encoding in a malloc'd buffer
 * (*out, *out_len; the caller frees). SL_EPARSE if line is not JSON; the codes above otherwise. */
SL_MUST_CHECK int sl_json_line_to_mp(const char *line, size_t len, char **out, size_t *out_len);

#endif
