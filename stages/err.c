/* err.c: error texts and reject details. Pure, any thread. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *sl_strerror(int rc)
{
    switch (rc) {
    case 0:
        return "success";
    case SL_EPARSE:
        return "malformed record";
    case SL_ETOOBIG:
        return "over a configured size limit";
    case SL_EUTF8:
        return "invalid UTF-8";
    case SL_ESCHEMA:
        return "schema violation";
    case SL_EPOLICY:
        return "refused by policy";
    case SL_EDUP:
        return "duplicate custom_id";
    case SL_ECONFIG:
        return "configuration error";
    case SL_EIO:
        return "I/O error";
    case SL_ECORRUPT:
        return "file does not verify";
    case SL_ENOSPACE:
        return "buffer limit reached";
    default:
        if (rc < 0 && rc > -4096)
            return strerror(-rc);
        return "unknown error";
    }
}

void sl_err_clear(struct sl_err *err)
{
    if (!err)
        return;
    err->code = 0;
    err->field[0] = '\0';
    err->reason[0] = '\0';
}

int sl_err_set(struct sl_err *err, int code, const char *field, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    err->code = code;
    snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
    va_end(ap);
    return code;
}
