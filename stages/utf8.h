/* utf8.h: strict UTF-8 decoding, validation and repair (RFC 3629, Unicode 15 table 3-7).
 *
 * Strict means: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no
 * truncated sequences. Repair replaces each "maximal subpart of an ill-formed subsequence" with one
 * U+FFFD, the practice Unicode recommends (section 3.9) and WHATWG's decoder follows.
 * Pure functions over caller buffers; any thread.
 */
#ifndef SL_UTF8_H
#define SL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Decode one code point at s[0..n). Returns its length (1..4) and sets *cp, or returns the negated
 * length (-1..-3) of the maximal ill-formed subpart that starts there. n must be > 0. */
int sl_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* true if s[0..n) is strictly valid; otherwise false and *bad_off (if not NULL) is the offset of
 * the first byte that is not part of a well-formed sequence. */
bool sl_utf8_valid(const char *s, size_t n, size_t *bad_off);

/* Append s with every maximal ill-formed subpart replaced by U+FFFD (EF BF BD) to out.
 * Returns 0, or SL_ENOSPACE / -ENOMEM from the buffer (out is then partly written). */
int sl_utf8_repair(const char *s, size_t n, struct sl_buf *out);

/* Number of code points in a valid UTF-8 string (counts bytes that are not continuation bytes). */
size_t sl_utf8_count(const char *s, size_t n);

#endif
