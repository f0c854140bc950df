/* svg.h: inline SVG charts and HTML escaping for `sluice report`. Pure: data in, markup appended
 * to a caller's sl_buf; no I/O, no globals, any thread.
 *
 * Every chart is accessible on its own: role="img", <title> and <desc>, axes with tick labels and
 * unit titles, each line with its own dash pattern and marker fill plus a direct text label at its
 * end (readable in black and white), limit lines dashed with their label. Every piece of text
 * (labels, titles, units) is HTML-escaped, so callers may pass untrusted strings. Each data point
 * is a <circle class="pt" data-series=...> (lines of at most SL_SVG_MAX_MARKERS points) and each
 * line a <path data-series=... data-n=N>; each bar a <rect class="bar" data-value=...>: tests and
 * tools can count them. A chart with no data says so in the plot area.
 */
#ifndef SL_SVG_H
#define SL_SVG_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define SL_SVG_MAX_MARKERS 400
#define SL_SVG_MAX_TICKS 12

struct sl_svg_line {
    const char *label; /* direct label at the line's end */
    const double *x, *y;
    size_t n;
    bool limit; /* a limit (quota): thick dashed line, no markers */
};

struct sl_svg_chart {
    const char *id;                /* data-chart attribute */
    const char *title, *desc;      /* <title>, <desc> */
    const char *x_title, *y_title; /* axis titles with units, e.g. "requests per minute" */
    const struct sl_svg_line *lines;
    size_t n_lines;
    int width, height; /* px; 0 = 900 x 320 */
};

struct sl_svg_bar {
    const char *label;
    double value;
};

struct sl_svg_bars {
    const char *id, *title, *desc;
    const char *value_title; /* x-axis title with unit, e.g. "jobs" */
    const struct sl_svg_bar *bars;
    size_t n;
    int width; /* px; 0 = 900; height follows from n */
};

/* Append s (NULL = "") with & < > " ' escaped; safe in text and in quoted attributes. */
SL_MUST_CHECK int sl_html_escape(struct sl_buf *out, const char *s);

/* "Nice" ticks (1, 2 or 5 x 10^k apart) covering [lo, hi]: ticks[0] <= lo, ticks[n-1] >= hi,
 * 2 <= n <= max_ticks + 1 (max_ticks in 2..SL_SVG_MAX_TICKS-1). integer: the step is at least 1.
 * hi <= lo (or non-finite input) is widened to one step above lo (0 if not finite). Returns n. */
size_t sl_svg_ticks(double lo, double hi, size_t max_ticks, bool integer,
                    double ticks[SL_SVG_MAX_TICKS]);

/* A short number for labels: 1234 -> "1234", 12000 -> "12k", 2500000 -> "2.5M", 0.25 -> "0.25". */
void sl_svg_fmt_num(double v, char *out, size_t cap);

/* A line chart, y from 0, x over the data's range. */
SL_MUST_CHECK int sl_svg_line_chart(struct sl_buf *out, const struct sl_svg_chart *c);
/* A horizontal bar chart (one bar per label, value printed at the bar's end), x from 0. */
SL_MUST_CHECK int sl_svg_bar_chart(struct sl_buf *out, const struct sl_svg_bars *c);

#endif
