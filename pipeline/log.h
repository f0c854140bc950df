/* log.h: one line per event on stderr, as text or JSON (--log-format json), never split, never
 * carrying input text, PII or the key. Thread-safe (one fprintf per line). */
#ifndef SL_LOG_H
#define SL_LOG_H

#include <stdbool.h>

enum sl_log_level { SL_LOG_DEBUG, SL_LOG_INFO, SL_LOG_WARN, SL_LOG_ERROR };

void sl_log_setup(bool json, bool quiet);
void sl_log(enum sl_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
