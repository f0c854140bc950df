/* log.c: stderr logging. Any thread. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "buf.h"

static bool g_json, g_quiet;

void sl_log_setup(bool json, bool quiet)
{
    g_json = json;
    g_quiet = quiet;
}

void sl_log(enum sl_log_level lvl, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    char msg[1024];
    va_list ap;

    if (g_quiet && lvl < SL_LOG_WARN)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (g_json) {
        struct sl_buf b;
        struct timeval tv;
        struct tm tm;
        char ts[40];

        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
        sl_buf_init(&b, 0);
        if (!sl_buf_printf(&b, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":", ts,
                           (long)(tv.tv_usec / 1000), names[lvl]) &&
            !sl_buf_append_json_str(&b, msg, strlen(msg)) && !sl_buf_append_str(&b, "}\n"))
            fputs(b.p, stderr);
        sl_buf_free(&b);
    } else {
        fprintf(stderr, "sluice: %s%s\n", lvl >= SL_LOG_ERROR ? "error: " : lvl == SL_LOG_WARN ? "warning: " : "", msg);
    }
}
