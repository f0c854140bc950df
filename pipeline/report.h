/* report.h: `sluice report`: one self-contained HTML page (inline CSS and SVG, no script, no
 * external resource) describing a run from its output directory. Any thread; reads files only.
 */
#ifndef SL_REPORT_H
#define SL_REPORT_H

#include <stddef.h>

#include "buf.h"

/* Build the page for output directory dir into out (appended). Reads dir/summary.json (required),
 * dir/series.bin (optional: without it the time charts say "no data") and dir/errors.jsonl.zst
 * (optional: errors by code). Every string taken from those files is HTML-escaped. On failure
 * returns -errno, SL_EPARSE (summary.json is not a JSON object) or SL_ENOSPACE, and writes a
 * message (no file content) to why. */
SL_MUST_CHECK int sl_report_build(const char *dir, struct sl_buf *out, char *why, size_t why_cap);

#endif
