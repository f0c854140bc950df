/* mp2json.h: convert one decoded msgpack object into a jansson value, for the same checks as JSONL.
 * Map keys must be strings, strings must be valid UTF-8 (jansson checks), bin/ext are refused,
 * depth is capped. On failure err says which field (JSON pointer) and why, never the content. */
#ifndef SL_MP2JSON_H
#define SL_MP2JSON_H

#include <jansson.h>
#include <msgpack.h>

#include "err.h"

SL_MUST_CHECK int sl_mp2json(const msgpack_object *o, json_t **out, struct sl_err *err);

#endif
