/* fuzz_ratelimit.c: libFuzzer target for header parsing, Go durations and error classification.
 * Input: byte 0-1 pick the HTTP status; the rest is fed as header lines (split at '\n'), as one
 * duration, and as a response body. Checks the invariants the scheduler relies on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long statuses[] = {0, 200, 400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 503};
    struct sl_ratelimit_view v;
    const char *s = (const char *)data;
    size_t pos = 0, n, i;
    long status = 429;
    uint64_t ms = 0;
    char code[64];
    enum sl_error_class cls;
    char *copy;

    if (size >= 2) {
        status = data[0] & 1 ? statuses[data[1] % (sizeof(statuses) / sizeof(statuses[0]))]
                             : (long)data[1] * 3;
        s += 2;
        size -= 2;
    }
    /* exact-size heap copy so ASan catches any read past the length */
    copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, s, size);

    sl_ratelimit_view_clear(&v);
    while (pos < size) {
        const char *nl = memchr(copy + pos, '\n', size - pos);

        n = nl ? (size_t)(nl - (copy + pos)) + 1 : size - pos;
        sl_ratelimit_header(&v, copy + pos, n, (int64_t)1700000000);
        pos += n;
    }
    if (v.has_rem_tok && !v.has_limit_tok && v.rem_tok == 0xdeadbeef)
        abort(); /* unreachable unless parsed; keeps the compiler from dropping the view */
    for (i = 0; i < sizeof(v.request_id) && v.request_id[i]; i++)
        if (v.request_id[i] < 0x21 || v.request_id[i] > 0x7e)
            abort();
    if (i == sizeof(v.request_id))
        abort(); /* not terminated */

    if (sl_ratelimit_parse_duration(copy, size, &ms) == 0 && size == 0)
        abort(); /* the empty string is not a duration */

    memset(code, 'Z', sizeof(code));
    cls = sl_ratelimit_classify(status, copy, size, &v, code, sizeof(code));
    if (cls != SL_ERRCLASS_RETRY && cls != SL_ERRCLASS_FATAL_JOB && cls != SL_ERRCLASS_FATAL_RUN)
        abort();
    if (!memchr(code, '\0', sizeof(code)))
        abort();
    for (i = 0; code[i]; i++) { /* only a short token ever comes out of the body */
        char c = code[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            abort();
    }
    if ((status == 401 || status == 403) && cls != SL_ERRCLASS_FATAL_RUN)
        abort();
    free(copy);
    return 0;
}
