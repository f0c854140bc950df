/* jscan.h: the per-job JSON hot paths on yajl's validating lexer.
 *
 * jansson's parser costs ~180 instructions a byte (one character at a time through a stream
 * abstraction, a string buffer per token); yajl's lexer ~40. Every job's record is parsed once and
 * every response once, so the workers spend most of their time there. These two functions do the
 * same work as jansson's json_loadb for the inputs that matter, and give up on anything where the
 * two libraries could disagree:
 *
 * - they return SL_JSCAN_FALLBACK for every input that is not plainly valid: a syntax error,
 *   invalid UTF-8, a "\u0000" escape, a surrogate escape that is not a well-formed pair (yajl would
 *   turn it into '?' or a wrong code point; jansson refuses it), a duplicate key where jansson is
 *   told to refuse them, an integer or real out of range, a top level that is not an object, nesting
 *   deeper than jansson allows. The caller then runs jansson, which builds the same tree or reports
 *   the same error with the same words as before this module existed;
 * - otherwise the tree (sl_jscan_load) is what json_loadb(p, n, JSON_REJECT_DUPLICATES) builds:
 *   same keys in the same order, strings, integers (json_int_t), reals (strtod, as jansson), true,
 *   false, null. tests/test_jscan.c and the fuzz target compare the two on every input.
 *
 * Thread: any; no global state. json_t values come from jansson's allocator (the worker's arena
 * during a job, see jarena.h); yajl's own state from malloc, freed before returning.
 */
#ifndef SL_JSCAN_H
#define SL_JSCAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_JSCAN_FALLBACK 1

/* Parse the JSON object p[0..n) (valid UTF-8 expected; checked again) into *out. If member is not
 * NULL and the top-level object has that member, p[*vstart .. *vend) are the bytes of its value
 * (vstart > vend... never: both 0 when absent). Returns 0, SL_JSCAN_FALLBACK (use jansson), or
 * -ENOMEM. */
int sl_jscan_load(const char *p, size_t n, const char *member, json_t **out, size_t *vstart,
                  size_t *vend);

/* sl_jscan_load for text the caller has already found to be strict UTF-8 (sl_utf8_valid, or
 * sl_utf8_repair's output): the same result without checking it again (work.c checks every record
 * before parsing it). Anything else must go through sl_jscan_load. */
int sl_jscan_load_utf8(const char *p, size_t n, const char *member, json_t **out, size_t *vstart,
                       size_t *vend);

/* What finish() reads from a response body, without building a tree. */
struct sl_jscan_resp {
    /* usage.<name>: a positive integer, else 0 (as json_integer_value of a missing member) */
    uint64_t prompt_tokens, completion_tokens, total_tokens, input_tokens, output_tokens;
    char id[96]; /* the top-level "id" string if shorter than this buffer, else "" (as request_id) */
    bool has_newline; /* the body holds a raw LF or CR (between tokens: pretty-printed JSON) */
};

/* Check that p[0..n) is a JSON object that json_loadb(p, n, 0) accepts and fill *r. Returns 0,
 * SL_JSCAN_FALLBACK (not an object, or anything jansson might judge differently: use jansson), or
 * -ENOMEM. */
int sl_jscan_response(const char *p, size_t n, struct sl_jscan_resp *r);

#endif
