/* jsonw.h: writing JSON string literals into caller-provided memory (output only; parsing is
 * jansson's job). Pure, any thread.
 */
#ifndef MOCK_JSONW_H
#define MOCK_JSONW_H

#include <stddef.h>

/* Worst-case bytes mock_jsonw_str writes for n input bytes (quotes included, no NUL). */
static inline size_t mock_jsonw_str_bound(size_t n)
{
    return n * 6 + 2;
}

/* Write s[0..n) as a quoted JSON string at dst (which holds mock_jsonw_str_bound(n) bytes) and
 * return the bytes written. Valid UTF-8 is kept as is (control characters, '"' and '\\' escaped);
 * a byte that is not part of valid UTF-8 is written as \u00XX (its Latin-1 reading), so the output
 * is always valid JSON. */
size_t mock_jsonw_str(char *dst, const char *s, size_t n);

#endif
