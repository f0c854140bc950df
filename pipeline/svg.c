/* svg.c: line and bar charts as inline SVG (contract in svg.h). Pure; any thread.
 *
 * Layout is fixed arithmetic: a plot rectangle inside margins, y from 0 to the last nice tick
 * above the largest value, x over the data's range. Lines are distinguished by dash pattern and
 * marker fill first and by colour second, and labelled directly at their right end (labels pushed
 * apart when they would overlap), so the chart reads in greyscale and without a legend.
 */
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((rc = (x)))                                                                            \
            return rc;                                                                             \
    } while (0)

#define ML 78  /* margins: left (tick labels, y title) */
#define MR 200 /* right: direct labels */
#define MT 16
#define MB 52
#define MAX_LINES 8

static const char *const colours[] = {"#1b4f9c", "#b3400b", "#2e7d32",
                                      "#6a1b9a", "#37474f", "#ad1457"};
static const char *const dashes[] = {"none", "6 3", "2 3", "10 3 2 3", "1 1", "12 4"};

int sl_html_escape(struct sl_buf *out, const char *s)
{
    const char *p = s ? s : "", *q;
    int rc;

    for (;;) {
        q = p + strcspn(p, "&<>\"'");
        TRY(sl_buf_append(out, p, (size_t)(q - p)));
        switch (*q) {
        case '\0':
            return 0;
        case '&':
            TRY(sl_buf_append_str(out, "&amp;"));
            break;
        case '<':
            TRY(sl_buf_append_str(out, "&lt;"));
            break;
        case '>':
            TRY(sl_buf_append_str(out, "&gt;"));
            break;
        case '"':
            TRY(sl_buf_append_str(out, "&quot;"));
            break;
        default:
            TRY(sl_buf_append_str(out, "&#39;"));
            break;
        }
        p = q + 1;
    }
}

static double nice_step(double raw, bool integer)
{
    double e = pow(10, floor(log10(raw))), f = raw / e, step;

    step = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    step *= e;
    return integer && step < 1 ? 1 : step;
}

size_t sl_svg_ticks(double lo, double hi, size_t max_ticks, bool integer,
                    double ticks[SL_SVG_MAX_TICKS])
{
    double step, first;
    size_t n = 0;

    if (max_ticks < 2)
        max_ticks = 2;
    if (max_ticks > SL_SVG_MAX_TICKS - 1)
        max_ticks = SL_SVG_MAX_TICKS - 1;
    if (!isfinite(lo))
        lo = 0;
    if (!isfinite(hi) || hi <= lo)
        hi = lo + (integer ? 1 : (fabs(lo) > 0 ? fabs(lo) : 1));
    step = nice_step((hi - lo) / (double)max_ticks, integer);
    /* Rounding can leave one tick too many: widen the step until the ticks fit. */
    for (;;) {
        first = floor(lo / step) * step;
        if (ceil((hi - first) / step - 1e-9) <= (double)max_ticks)
            break;
        step = nice_step(step * 1.01, integer);
    }
    do {
        ticks[n] = first + step * (double)n;
        if (fabs(ticks[n]) < step * 1e-9)
            ticks[n] = 0;
        n++;
    } while (ticks[n - 1] < hi - step * 1e-9 && n < max_ticks + 1);
    if (n < 2) {
        ticks[1] = first + step;
        n = 2;
    }
    return n;
}

void sl_svg_fmt_num(double v, char *out, size_t cap)
{
    double a = fabs(v);

    if (!isfinite(v))
        snprintf(out, cap, "n/a");
    else if (a >= 1e9)
        snprintf(out, cap, "%.3gG", v / 1e9);
    else if (a >= 1e6)
        snprintf(out, cap, "%.3gM", v / 1e6);
    else if (a >= 1e4)
        snprintf(out, cap, "%.4gk", v / 1e3);
    else
        snprintf(out, cap, "%.4g", v);
}

static int open_svg(struct sl_buf *o, const char *id, const char *title, const char *desc, int w,
                    int h)
{
    int rc;

    TRY(sl_buf_printf(o,
                      "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"%d\" "
                      "height=\"%d\" viewBox=\"0 0 %d %d\" data-chart=\"",
                      w, h, w, h));
    TRY(sl_html_escape(o, id));
    TRY(sl_buf_append_str(o, "\" aria-labelledby=\""));
    TRY(sl_html_escape(o, id));
    TRY(sl_buf_append_str(o, "-t\"><title id=\""));
    TRY(sl_html_escape(o, id));
    TRY(sl_buf_append_str(o, "-t\">"));
    TRY(sl_html_escape(o, title));
    TRY(sl_buf_append_str(o, "</title><desc>"));
    TRY(sl_html_escape(o, desc));
    TRY(sl_buf_append_str(o, "</desc>\n"));
    return 0;
}

static int text(struct sl_buf *o, double x, double y, const char *anchor, const char *extra,
                const char *s)
{
    int rc;

    TRY(sl_buf_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>", x, y, anchor,
                      extra ? extra : ""));
    TRY(sl_html_escape(o, s));
    return sl_buf_append_str(o, "</text>\n");
}

struct frame {
    double x0, x1, y1;     /* data ranges (y0 = 0) */
    double px, py, pw, ph; /* plot rectangle */
};

static double fx(const struct frame *f, double x)
{
    return f->px + (f->x1 > f->x0 ? (x - f->x0) / (f->x1 - f->x0) : 0) * f->pw;
}

static double fy(const struct frame *f, double y)
{
    return f->py + f->ph - (f->y1 > 0 ? y / f->y1 : 0) * f->ph;
}

static int axes(struct sl_buf *o, struct frame *f, const struct sl_svg_chart *c, double xlo,
                double xhi, double ymax)
{
    double xt[SL_SVG_MAX_TICKS], yt[SL_SVG_MAX_TICKS];
    size_t nx = sl_svg_ticks(xlo, xhi, 8, false, xt), ny = sl_svg_ticks(0, ymax, 5, false, yt), i;
    char num[32];
    int rc;

    f->x0 = xt[0];
    f->x1 = xt[nx - 1];
    f->y1 = yt[ny - 1];
    TRY(sl_buf_append_str(o, "<g class=\"axes\" font-size=\"12\" fill=\"#222\">\n"));
    for (i = 0; i < ny; i++) {
        double y = fy(f, yt[i]);

        TRY(sl_buf_printf(o,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                          "stroke=\"#222\"/>\n",
                          f->px, y, f->px + f->pw, y, f->px - 5, y, f->px, y));
        sl_svg_fmt_num(yt[i], num, sizeof(num));
        TRY(text(o, f->px - 8, y + 4, "end", " class=\"tick-y\"", num));
    }
    for (i = 0; i < nx; i++) {
        double x = fx(f, xt[i]);

        TRY(sl_buf_printf(o,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                          "stroke=\"#222\"/>\n",
                          x, f->py + f->ph, x, f->py + f->ph + 5));
        sl_svg_fmt_num(xt[i], num, sizeof(num));
        TRY(text(o, x, f->py + f->ph + 19, "middle", " class=\"tick-x\"", num));
    }
    TRY(sl_buf_printf(o, "<path d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" stroke=\"#222\"/>\n",
                      f->px, f->py, f->py + f->ph, f->px + f->pw));
    TRY(text(o, f->px + f->pw / 2, f->py + f->ph + 40, "middle", " class=\"axis-title\"",
             c->x_title));
    {
        char tr[96];

        snprintf(tr, sizeof(tr), " class=\"axis-title\" transform=\"rotate(-90 16 %.1f)\"",
                 f->py + f->ph / 2);
        TRY(text(o, 16, f->py + f->ph / 2, "middle", tr, c->y_title));
    }
    return sl_buf_append_str(o, "</g>\n");
}

static int line_path(struct sl_buf *o, const struct frame *f, const struct sl_svg_line *l, size_t k)
{
    const char *col = l->limit ? "#000" : colours[k % 6];
    size_t i;
    int rc;

    if (!l->n)
        return 0;
    TRY(sl_buf_append_str(o, "<path data-series=\""));
    TRY(sl_html_escape(o, l->label));
    TRY(sl_buf_printf(o,
                      "\" data-n=\"%zu\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" "
                      "stroke-dasharray=\"%s\" d=\"",
                      l->n, col, l->limit ? "2" : "1.6", l->limit ? "9 5" : dashes[k % 6]));
    for (i = 0; i < l->n; i++)
        TRY(sl_buf_printf(o, "%c%.1f %.1f", i ? 'L' : 'M', fx(f, l->x[i]), fy(f, l->y[i])));
    TRY(sl_buf_append_str(o, "\"/>\n"));
    if (l->limit || l->n > SL_SVG_MAX_MARKERS)
        return 0;
    for (i = 0; i < l->n; i++) {
        TRY(sl_buf_append_str(o, "<circle class=\"pt\" data-series=\""));
        TRY(sl_html_escape(o, l->label));
        /* Odd lines get hollow markers: a second cue besides the dash pattern. */
        TRY(sl_buf_printf(o, "\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"%s\" stroke=\"%s\"/>\n",
                          fx(f, l->x[i]), fy(f, l->y[i]), k % 2 ? "#fff" : col, col));
    }
    return 0;
}

/* Direct labels at each line's last point, pushed apart vertically to stay readable. */
static int line_labels(struct sl_buf *o, const struct frame *f, const struct sl_svg_chart *c)
{
    double ly[MAX_LINES];
    size_t idx[MAX_LINES], n = 0, i, j;
    int rc;

    for (i = 0; i < c->n_lines && n < MAX_LINES; i++) {
        if (!c->lines[i].n)
            continue;
        ly[n] = fy(f, c->lines[i].y[c->lines[i].n - 1]) + 4;
        idx[n++] = i;
    }
    for (i = 1; i < n; i++) /* insertion sort by y */
        for (j = i; j > 0 && ly[j] < ly[j - 1]; j--) {
            double t = ly[j];
            size_t u = idx[j];

            ly[j] = ly[j - 1];
            ly[j - 1] = t;
            idx[j] = idx[j - 1];
            idx[j - 1] = u;
        }
    for (i = 1; i < n; i++)
        if (ly[i] < ly[i - 1] + 14)
            ly[i] = ly[i - 1] + 14;
    /* Pushed below the plot: move the stack back up from the bottom. */
    for (i = n; i-- > 0;) {
        double lim = i + 1 < n ? ly[i + 1] - 14 : f->py + f->ph + 4;

        if (ly[i] > lim)
            ly[i] = lim;
    }
    for (i = 0; i < n; i++) {
        const struct sl_svg_line *l = &c->lines[idx[i]];

        TRY(text(o, f->px + f->pw + 8, ly[i], "start",
                 l->limit ? " class=\"label limit\" font-weight=\"bold\"" : " class=\"label\"",
                 l->label));
    }
    return 0;
}

int sl_svg_line_chart(struct sl_buf *o, const struct sl_svg_chart *c)
{
    struct frame f;
    double xlo = INFINITY, xhi = -INFINITY, ymax = 0;
    int w = c->width ? c->width : 900, h = c->height ? c->height : 320, rc;
    size_t i, k, pts = 0;

    for (k = 0; k < c->n_lines; k++)
        for (i = 0; i < c->lines[k].n; i++) {
            double x = c->lines[k].x[i], y = c->lines[k].y[i];

            if (!isfinite(x) || !isfinite(y))
                continue;
            xlo = fmin(xlo, x);
            xhi = fmax(xhi, x);
            ymax = fmax(ymax, y);
            pts++;
        }
    if (!pts)
        xlo = xhi = 0;
    if (xlo > 0)
        xlo = 0; /* x starts at 0 too: a run's time axis begins at its start */
    f.px = ML;
    f.py = MT;
    f.pw = w - ML - MR;
    f.ph = h - MT - MB;
    TRY(open_svg(o, c->id, c->title, c->desc, w, h));
    TRY(axes(o, &f, c, xlo, xhi, ymax));
    if (!pts) {
        TRY(text(o, f.px + f.pw / 2, f.py + f.ph / 2, "middle", " class=\"empty\" font-size=\"14\"",
                 "no data"));
        return sl_buf_append_str(o, "</svg>\n");
    }
    TRY(sl_buf_append_str(o, "<g class=\"lines\">\n"));
    for (k = 0; k < c->n_lines; k++)
        TRY(line_path(o, &f, &c->lines[k], k));
    TRY(sl_buf_append_str(o, "</g>\n<g class=\"labels\" font-size=\"12\" fill=\"#111\">\n"));
    TRY(line_labels(o, &f, c));
    return sl_buf_append_str(o, "</g>\n</svg>\n");
}

int sl_svg_bar_chart(struct sl_buf *o, const struct sl_svg_bars *c)
{
    double t[SL_SVG_MAX_TICKS], vmax = 0;
    int w = c->width ? c->width : 900, lw = 230, rc;
    double pw = w - lw - 90, top = 10, bh = 22, ph = (double)(c->n ? c->n : 1) * bh;
    int h = (int)(top + ph + 52);
    size_t i, nt;
    char num[32];

    for (i = 0; i < c->n; i++)
        if (isfinite(c->bars[i].value))
            vmax = fmax(vmax, c->bars[i].value);
    nt = sl_svg_ticks(0, vmax, 6, true, t);
    TRY(open_svg(o, c->id, c->title, c->desc, w, h));
    TRY(sl_buf_append_str(o, "<g class=\"axes\" font-size=\"12\" fill=\"#222\">\n"));
    for (i = 0; i < nt; i++) {
        double x = lw + t[i] / t[nt - 1] * pw;

        TRY(sl_buf_printf(o,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                          "stroke=\"#222\"/>\n",
                          x, top, x, top + ph, x, top + ph, x, top + ph + 5));
        sl_svg_fmt_num(t[i], num, sizeof(num));
        TRY(text(o, x, top + ph + 19, "middle", " class=\"tick-x\"", num));
    }
    TRY(sl_buf_printf(o, "<path d=\"M%d %.1fV%.1fH%.1f\" fill=\"none\" stroke=\"#222\"/>\n", lw,
                      top, top + ph, lw + pw));
    TRY(text(o, lw + pw / 2, top + ph + 40, "middle", " class=\"axis-title\"", c->value_title));
    TRY(sl_buf_append_str(o, "</g>\n"));
    if (!c->n) {
        TRY(text(o, lw + pw / 2, top + ph / 2 + 5, "middle", " class=\"empty\"", "none"));
        return sl_buf_append_str(o, "</svg>\n");
    }
    TRY(sl_buf_append_str(o, "<g class=\"bars\" font-size=\"12\" fill=\"#111\">\n"));
    for (i = 0; i < c->n; i++) {
        double v = isfinite(c->bars[i].value) && c->bars[i].value > 0 ? c->bars[i].value : 0;
        double y = top + (double)i * bh, bw = v / t[nt - 1] * pw;

        TRY(text(o, lw - 8, y + bh / 2 + 4, "end", " class=\"bar-label\"", c->bars[i].label));
        TRY(sl_buf_append_str(o, "<rect class=\"bar\" data-label=\""));
        TRY(sl_html_escape(o, c->bars[i].label));
        TRY(sl_buf_printf(o,
                          "\" data-value=\"%.17g\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" "
                          "height=\"%.1f\" fill=\"#5b7db8\" stroke=\"#1b4f9c\"/>\n",
                          v, lw, y + 3, bw, bh - 6));
        sl_svg_fmt_num(c->bars[i].value, num, sizeof(num));
        TRY(text(o, lw + bw + 6, y + bh / 2 + 4, "start", " class=\"bar-value\"", num));
    }
    return sl_buf_append_str(o, "</g>\n</svg>\n");
}
