/* tokens.h: the token estimate used to reserve quota before a job is sent.
 *
 * The estimate is deliberately simple and a little pessimistic: ceil(bytes / 4) per text, which
 * is close to the cl100k/o200k average for English and above it for most code; the scheduler
 * corrects its bucket from the response's real `usage`, so an estimate only has to be an upper-ish
 * bound that never starves the quota. Pure, any thread.
 */
#ifndef SL_TOKENS_H
#define SL_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#define SL_TOKENS_PER_MESSAGE 3 /* role and separators of one chat message */
#define SL_TOKENS_PER_REPLY 3   /* the primed assistant turn of a chat request */
#define SL_TOKENS_PER_IMAGE 1105 /* an image part: 2048x768 at high detail; settled later */

/* ceil(n / 4): the estimated tokens of n bytes of text (s may be NULL when n is 0). */
uint64_t sl_tokens_estimate_text(const char *s, size_t n);

#endif
