/* secret.h: the API key. It comes from an environment variable or a key file that only its owner
 * can read, never from argv. It is held in one locked buffer (mlock: never swapped out), turned
 * into one header line, and wiped (explicit_bzero) on destroy; the environment copy is wiped as soon
 * as it is read, so /proc/PID/environ no longer shows it either. Messages never include it.
 */
#ifndef SL_SECRET_H
#define SL_SECRET_H

#include <stddef.h>

#include "err.h"

struct sl_secret {
    char *buf;   /* "<header>: <prefix><key>" */
    size_t cap;
    size_t key_off, key_len;
};

/* From file if path is set (refused if group or others can read it, or it is not a regular file),
 * else from env var `env` (wiped in place after reading). header e.g. "Authorization" (then the
 * value is "Bearer KEY") or "api-key" (value "KEY"). why receives a message on failure. */
SL_MUST_CHECK int sl_secret_load(struct sl_secret *s, const char *path, const char *env,
                                 const char *header, char *why, size_t why_cap);
/* Re-read the key file (SIGHUP rotation). On failure the old key stays. */
SL_MUST_CHECK int sl_secret_reload(struct sl_secret *s, const char *path, const char *header,
                                   char *why, size_t why_cap);
const char *sl_secret_header(const struct sl_secret *s);
void sl_secret_wipe(struct sl_secret *s);

#endif
