/*
 * render_svg: a chart as a clean, self-contained SVG document (no scripts,
 * no external fonts or files): title, axes with ticks and grid lines, axis
 * labels, legend, footnote.  Long series are reduced to a min/max pair per
 * pixel column, so a million points make a small file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot_int.h"
#include "util/fsutil.h"

#define FONT "DejaVu Sans, Helvetica, Arial, sans-serif"
#define CHAR_W 7.0 /* average advance of a 12px label, for layout */

static const char *const palette[7] = {"#1f77b4", "#1f77b4", "#ff7f0e",
                                       "#2ca02c", "#d62728", "#9467bd",
                                       "#17becf"};
/* viridis, dark to bright */
static const char *const ramp[8] = {"#440154", "#46327e", "#365c8d", "#277f8e",
                                    "#1fa187", "#4ac16d", "#a0da39", "#fde725"};

static int esc(ll_buf *b, const char *s)
{
    int rc = 0;
    for (; *s; s++) {
        switch (*s) {
        case '&':
            rc |= ll_buf_puts(b, "&amp;");
            break;
        case '<':
            rc |= ll_buf_puts(b, "&lt;");
            break;
        case '>':
            rc |= ll_buf_puts(b, "&gt;");
            break;
        case '"':
            rc |= ll_buf_puts(b, "&quot;");
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                rc |= ll_buf_putc(b, *s);
        }
    }
    return rc;
}

static int text_el(ll_buf *b, double x, double y, const char *anchor,
                   const char *extra, const char *s)
{
    int rc =
        ll_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>", x,
                      y, anchor, extra ? extra : "");
    rc |= esc(b, s);
    return rc | ll_buf_puts(b, "</text>\n");
}

typedef struct frame {
    double x0, y0, w, h; /* plot area in pixels */
    double xlo, xhi, ylo, yhi;
} frame;

static double px(const frame *f, double v)
{
    return f->x0 + (v - f->xlo) / (f->xhi - f->xlo) * f->w;
}

static double py(const frame *f, double v)
{
    return f->y0 + f->h - (v - f->ylo) / (f->yhi - f->ylo) * f->h;
}

static double clampd(double v)
{
    return v < -1e5 ? -1e5 : v > 1e5 ? 1e5 : v;
}

static int label_w(const char *s)
{
    return (int)(ll_utf8_cells(s) * CHAR_W);
}

/* A series as polyline(s); per-pixel min/max when x never decreases. */
/* Start a <polyline points="... in the series colour unless *open. */
static int open_polyline(ll_buf *b, int color, int *open)
{
    if (*open)
        return 0;
    *open = 1;
    return ll_buf_printf(b,
                         "<polyline fill=\"none\" stroke=\"%s\" "
                         "stroke-width=\"1.8\" "
                         "stroke-linejoin=\"round\" points=\"",
                         palette[color]);
}

static int svg_line(ll_buf *b, const frame *f, const ll_series *s,
                    const ll_plot_opts *o)
{
    int rc = 0, open = 0, mono = 1;
    for (size_t i = 1; i < s->n && mono; i++)
        if (s->x[i] < s->x[i - 1])
            mono = 0;
    long col = 0;
    double lo = 0, hi = 0, first = 0, last = 0;
    int have = 0;
    for (size_t i = 0; i <= s->n; i++) {
        double tx = NAN, ty = NAN;
        if (i < s->n) {
            tx = ll_axis_tx(s->x[i], o->xlog);
            ty = ll_axis_tx(s->y[i], o->ylog);
        }
        int gap = isnan(tx) || isnan(ty);
        double X = gap ? 0 : clampd(px(f, tx)), Y = gap ? 0 : clampd(py(f, ty));
        long c = (long)floor(X);
        if (mono && have && (gap || c != col)) {
            /* flush the pixel column: first, extremes, last */
            rc |= open_polyline(b, s->color, &open);
            double cx = (double)col + 0.5;
            rc |= ll_buf_printf(b, "%.1f,%.1f ", cx, first);
            if (lo != first && lo != last)
                rc |= ll_buf_printf(b, "%.1f,%.1f ", cx, lo);
            if (hi != first && hi != last && hi != lo)
                rc |= ll_buf_printf(b, "%.1f,%.1f ", cx, hi);
            if (last != first)
                rc |= ll_buf_printf(b, "%.1f,%.1f ", cx, last);
            have = 0;
        }
        if (gap) {
            if (open)
                rc |= ll_buf_puts(b, "\"/>\n");
            open = 0;
            have = 0;
            continue;
        }
        if (mono) {
            if (!have) {
                have = 1;
                col = c;
                lo = hi = first = last = Y;
            } else {
                lo = Y < lo ? Y : lo;
                hi = Y > hi ? Y : hi;
                last = Y;
            }
            continue;
        }
        rc |= open_polyline(b, s->color, &open);
        rc |= ll_buf_printf(b, "%.1f,%.1f ", X, Y);
    }
    if (open)
        rc |= ll_buf_puts(b, "\"/>\n");
    return rc;
}

static int svg_points(ll_buf *b, const frame *f, const ll_series *s,
                      const ll_plot_opts *o, double r)
{
    /* one circle per occupied pixel; dense clouds use 3-pixel cells (the
     * circles overlap anyway) so the file stays small */
    int cell = s->n > 5000 ? 3 : 1;
    int W = (int)f->w / cell + 3, H = (int)f->h / cell + 3;
    unsigned char *seen = calloc((size_t)W * (size_t)H, 1);
    if (!seen)
        return LL_ENOMEM;
    int rc = ll_buf_printf(b, "<g fill=\"%s\" fill-opacity=\"0.75\">\n",
                           palette[s->color]);
    for (size_t i = 0; i < s->n; i++) {
        double tx = ll_axis_tx(s->x[i], o->xlog);
        double ty = ll_axis_tx(s->y[i], o->ylog);
        if (isnan(tx) || isnan(ty))
            continue;
        double X = px(f, tx), Y = py(f, ty);
        int ix = (int)floor((X - f->x0) / cell) + 1;
        int iy = (int)floor((Y - f->y0) / cell) + 1;
        if (ix < 0 || iy < 0 || ix >= W || iy >= H)
            continue;
        if (seen[(size_t)iy * (size_t)W + (size_t)ix])
            continue;
        seen[(size_t)iy * (size_t)W + (size_t)ix] = 1;
        rc |= ll_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"/>\n",
                            X, Y, r);
    }
    free(seen);
    return rc | ll_buf_puts(b, "</g>\n");
}

static int body(const ll_plot *p, double W, double H, int clip_id, ll_buf *b,
                ll_err *err);

static int body_xy(const ll_plot *p, const ll_extent *e, double W, double H,
                   int clip_id, ll_buf *b)
{
    const ll_plot_opts *o = &p->o;
    int rc = 0;
    char foot[160];
    ll_extent_footnote(e, foot, sizeof foot);
    double top = p->text[LL_PLOT_TITLE] ? 40 : 16;
    double bottom =
        36 + (p->text[LL_PLOT_XLABEL] ? 20 : 0) + (foot[0] ? 16 : 0);
    frame f;
    f.xlo = e->xlo;
    f.xhi = e->xhi;
    f.ylo = e->ylo;
    f.yhi = e->yhi;
    f.y0 = top;
    f.h = H - top - bottom;
    if (f.h < 20)
        f.h = 20;
    if ((p->kind == LL_PLOT_HIST || p->kind == LL_PLOT_BAR) && isnan(o->ymax) &&
        f.yhi > 0)
        f.yhi += (f.yhi - f.ylo) * 0.05; /* headroom over the tallest bar */
    if (p->kind == LL_PLOT_LINE || p->kind == LL_PLOT_SCATTER) {
        /* a little air so data does not sit on the axes */
        double py_ = (f.yhi - f.ylo) * 0.04, px_ = (f.xhi - f.xlo) * 0.02;
        if (isnan(o->ymin))
            f.ylo -= py_;
        if (isnan(o->ymax))
            f.yhi += py_;
        if (p->kind == LL_PLOT_SCATTER && isnan(o->xmin))
            f.xlo -= px_;
        if (p->kind == LL_PLOT_SCATTER && isnan(o->xmax))
            f.xhi += px_;
    }
    ll_ticks yt;
    ll_ticks_make(f.ylo, f.yhi, o->ylog, LL_PLOT_XNUM,
                  (int)fmax(2, f.h / 40 + 1), &yt);
    int yw = 0;
    for (int i = 0; i < yt.n; i++)
        if (label_w(yt.label[i]) > yw)
            yw = label_w(yt.label[i]);
    f.x0 = yw + 14 + (p->text[LL_PLOT_YLABEL] ? 22 : 0);
    f.w = W - f.x0 - 20;
    if (f.w < 20)
        f.w = 20;

    if (p->text[LL_PLOT_TITLE])
        rc |= text_el(b, W / 2, 24, "middle",
                      " font-size=\"15\" font-weight=\"bold\"",
                      p->text[LL_PLOT_TITLE]);
    if (p->text[LL_PLOT_YLABEL]) {
        char tr[96];
        snprintf(tr, sizeof tr, " transform=\"rotate(-90 14 %.1f)\"",
                 f.y0 + f.h / 2);
        rc |= text_el(b, 14, f.y0 + f.h / 2, "middle", tr,
                      p->text[LL_PLOT_YLABEL]);
    }
    if (p->text[LL_PLOT_XLABEL])
        rc |= text_el(b, f.x0 + f.w / 2, f.y0 + f.h + 40, "middle", NULL,
                      p->text[LL_PLOT_XLABEL]);
    if (foot[0])
        rc |=
            text_el(b, 8, H - 6, "start",
                    " font-size=\"10\" fill=\"#777\" class=\"footnote\"", foot);

    /* grid and y ticks */
    rc |= ll_buf_puts(b, "<g class=\"yticks\" stroke=\"#e4e4e4\">\n");
    for (int i = 0; i < yt.n; i++) {
        double Y = py(&f, yt.v[i]);
        if (Y < f.y0 - 0.5 || Y > f.y0 + f.h + 0.5)
            continue;
        rc |= ll_buf_printf(b,
                            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                            "y2=\"%.1f\"/>\n",
                            f.x0, Y, f.x0 + f.w, Y);
    }
    rc |= ll_buf_puts(b, "</g>\n<g class=\"ylabels\" fill=\"#333\">\n");
    for (int i = 0; i < yt.n; i++) {
        double Y = py(&f, yt.v[i]);
        if (Y < f.y0 - 0.5 || Y > f.y0 + f.h + 0.5)
            continue;
        rc |= text_el(b, f.x0 - 6, Y + 4, "end", NULL, yt.label[i]);
    }
    rc |= ll_buf_puts(b, "</g>\n");

    /* x ticks: as many as fit without overlapping */
    if (p->kind != LL_PLOT_BAR) {
        ll_ticks xt;
        for (int want = (int)fmin(12, fmax(2, f.w / 60)); want >= 2; want--) {
            ll_ticks_make(f.xlo, f.xhi, o->xlog, o->x_type, want, &xt);
            if (ll_plot_x_integral(p))
                ll_ticks_integral(&xt);
            double prev = -1e9;
            int ok = 1;
            for (int i = 0; i < xt.n && ok; i++) {
                double X = px(&f, xt.v[i]), half = label_w(xt.label[i]) / 2.0;
                if (X - half < prev + 8)
                    ok = 0;
                prev = X + half;
            }
            if (ok)
                break;
        }
        rc |= ll_buf_puts(b, "<g class=\"xticks\" stroke=\"#e4e4e4\">\n");
        for (int i = 0; i < xt.n; i++) {
            double X = px(&f, xt.v[i]);
            rc |= ll_buf_printf(b,
                                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                                "y2=\"%.1f\"/>\n",
                                X, f.y0, X, f.y0 + f.h);
        }
        rc |= ll_buf_puts(b, "</g>\n<g class=\"xlabels\" fill=\"#333\">\n");
        for (int i = 0; i < xt.n; i++)
            rc |= text_el(b, px(&f, xt.v[i]), f.y0 + f.h + 18, "middle", NULL,
                          xt.label[i]);
        rc |= ll_buf_puts(b, "</g>\n");
    }
    rc |= ll_buf_printf(b,
                        "<clipPath id=\"plotarea%d\"><rect x=\"%.1f\" "
                        "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
                        "</clipPath>\n<g clip-path=\"url(#plotarea%d)\">\n",
                        clip_id, f.x0 - 3, f.y0 - 3, f.w + 6, f.h + 6, clip_id);

    const char *dash = "stroke=\"#888\" stroke-width=\"1.2\" "
                       "stroke-dasharray=\"5 4\"";
    double h = ll_axis_tx(o->hline, o->ylog);
    if (!isnan(h) && p->kind != LL_PLOT_BAR)
        rc |= ll_buf_printf(b,
                            "<line class=\"hline\" x1=\"%.1f\" y1=\"%.1f\" "
                            "x2=\"%.1f\" y2=\"%.1f\" %s/>\n",
                            f.x0, py(&f, h), f.x0 + f.w, py(&f, h), dash);
    double v = ll_axis_tx(o->vline, o->xlog);
    if (!isnan(v) && p->kind != LL_PLOT_BAR)
        rc |= ll_buf_printf(b,
                            "<line class=\"vline\" x1=\"%.1f\" y1=\"%.1f\" "
                            "x2=\"%.1f\" y2=\"%.1f\" %s/>\n",
                            px(&f, v), f.y0, px(&f, v), f.y0 + f.h, dash);
    if (o->identity) {
        double lo = fmax(f.xlo, f.ylo), hi = fmin(f.xhi, f.yhi);
        if (lo < hi)
            rc |= ll_buf_printf(b,
                                "<line class=\"identity\" x1=\"%.1f\" "
                                "y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" %s/>\n",
                                px(&f, lo), py(&f, lo), px(&f, hi), py(&f, hi),
                                dash);
    }

    if (p->kind == LL_PLOT_HIST) {
        const char *c = palette[p->ns ? p->s[0].color : 1];
        rc |= ll_buf_printf(b,
                            "<g class=\"series\" fill=\"%s\" "
                            "fill-opacity=\"0.85\" stroke=\"#fff\" "
                            "stroke-width=\"0.5\">\n",
                            c);
        for (size_t i = 0; i < e->nbins && e->points; i++) {
            double x0 = px(&f, e->edges[i]), x1 = px(&f, e->edges[i + 1]);
            double y1 = py(&f, e->counts[i]);
            rc |= ll_buf_printf(b,
                                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                                "height=\"%.1f\"/>\n",
                                x0, y1, x1 - x0, f.y0 + f.h - y1);
        }
        rc |= ll_buf_puts(b, "</g>\n");
    } else if (p->kind == LL_PLOT_BAR) {
        size_t n = p->nbars;
        double slot = n ? f.w / (double)n : f.w;
        double bw = slot * 0.7;
        double zy = py(&f, 0);
        rc |=
            ll_buf_printf(b, "<g class=\"series\" fill=\"%s\">\n", palette[1]);
        for (size_t i = 0; i < n; i++) {
            double val = p->values[i];
            if (!isfinite(val))
                continue;
            double y = py(&f, val);
            double X = f.x0 + slot * (double)i + (slot - bw) / 2;
            rc |= ll_buf_printf(b,
                                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                                "height=\"%.1f\"/>\n",
                                X, fmin(y, zy), bw, fabs(zy - y));
        }
        rc |= ll_buf_puts(b, "</g>\n");
    } else {
        for (size_t i = 0; i < p->ns; i++) {
            const ll_series *s = &p->s[i];
            rc |= ll_buf_printf(b, "<g class=\"series\" data-name=\"");
            rc |= esc(b, s->name ? s->name : "");
            rc |= ll_buf_puts(b, "\">\n");
            if (p->kind == LL_PLOT_LINE)
                rc |= svg_line(b, &f, s, o);
            if (p->kind == LL_PLOT_SCATTER)
                rc |= svg_points(b, &f, s, o, 2.5);
            else if (o->markers)
                rc |= svg_points(b, &f, s, o, 3);
            rc |= ll_buf_puts(b, "</g>\n");
        }
    }
    rc |= ll_buf_puts(b, "</g>\n");
    if (p->kind == LL_PLOT_BAR) {
        size_t n = p->nbars;
        double slot = n ? f.w / (double)n : f.w;
        int every = 1;
        double maxw = 0;
        for (size_t i = 0; i < n; i++)
            maxw = fmax(maxw, label_w(p->labels[i]));
        while (slot * every < maxw + 6 && every < (int)n)
            every++;
        rc |= ll_buf_puts(b, "<g class=\"xlabels\" fill=\"#333\">\n");
        for (size_t i = 0; i < n; i += (size_t)every)
            rc |= text_el(b, f.x0 + slot * ((double)i + 0.5), f.y0 + f.h + 18,
                          "middle", NULL, p->labels[i]);
        rc |= ll_buf_puts(b, "</g>\n");
    }
    if (!e->points)
        rc |= text_el(b, f.x0 + f.w / 2, f.y0 + f.h / 2, "middle",
                      " fill=\"#888\"", "(no data)");
    /* axes */
    rc |= ll_buf_printf(b,
                        "<path class=\"axes\" d=\"M%.1f %.1fV%.1fH%.1f\" "
                        "fill=\"none\" stroke=\"#444\"/>\n",
                        f.x0, f.y0, f.y0 + f.h, f.x0 + f.w);
    /* legend, top right inside the plot */
    if ((p->kind == LL_PLOT_LINE || p->kind == LL_PLOT_SCATTER) && p->ns > 1) {
        double lw = 0;
        for (size_t i = 0; i < p->ns; i++) {
            const char *nm = p->s[i].name ? p->s[i].name : "series";
            lw = fmax(lw, label_w(nm));
        }
        double bx = f.x0 + f.w - lw - 42, by = f.y0 + 8;
        rc |= ll_buf_printf(b,
                            "<g class=\"legend\"><rect x=\"%.1f\" y=\"%.1f\" "
                            "width=\"%.1f\" height=\"%.1f\" fill=\"#fff\" "
                            "fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n",
                            bx, by, lw + 36, 18.0 * (double)p->ns + 6);
        for (size_t i = 0; i < p->ns; i++) {
            double y = by + 15 + 18.0 * (double)i;
            rc |= ll_buf_printf(b,
                                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                                "y2=\"%.1f\" stroke=\"%s\" "
                                "stroke-width=\"2.5\"/>\n",
                                bx + 6, y - 4, bx + 24, y - 4,
                                palette[p->s[i].color]);
            char nm[64];
            if (p->s[i].name)
                snprintf(nm, sizeof nm, "%s", p->s[i].name);
            else
                snprintf(nm, sizeof nm, "series %zu", i + 1);
            rc |= text_el(b, bx + 30, y, "start", NULL, nm);
        }
        rc |= ll_buf_puts(b, "</g>\n");
    }
    return rc;
}

static int body_barh(const ll_plot *p, const ll_extent *e, double W, double H,
                     ll_buf *b)
{
    int rc = 0;
    double top = p->text[LL_PLOT_TITLE] ? 40 : 14;
    if (p->text[LL_PLOT_TITLE])
        rc |= text_el(b, W / 2, 24, "middle",
                      " font-size=\"15\" font-weight=\"bold\"",
                      p->text[LL_PLOT_TITLE]);
    size_t n = p->nbars;
    double lw = 0, vw = 0;
    char val[32];
    for (size_t i = 0; i < n; i++) {
        lw = fmax(lw, label_w(p->labels[i]));
        ll_plot_format_value(p->values[i], val, sizeof val);
        vw = fmax(vw, label_w(val));
    }
    lw = fmin(lw, W / 3);
    double bottom = 14 + (p->text[LL_PLOT_XLABEL] ? 22 : 0);
    double x0 = lw + 16, bwid = W - x0 - vw - 20;
    double rowh = n ? (H - top - bottom) / (double)n : 20;
    if (rowh > 28)
        rowh = 28;
    double span = e->yhi - e->ylo;
    double zx = x0 + (-e->ylo) / span * bwid;
    rc |= ll_buf_printf(b, "<g class=\"series\" fill=\"%s\">\n", palette[1]);
    for (size_t r = 0; r < n; r++) {
        size_t k = e->order[r];
        double v = p->values[k];
        double y = top + rowh * (double)r;
        if (isfinite(v)) {
            double len = fabs(v) / span * bwid;
            rc |= ll_buf_printf(b,
                                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                                "height=\"%.1f\"/>\n",
                                v >= 0 ? zx : zx - len, y + rowh * 0.15, len,
                                rowh * 0.7);
        }
    }
    rc |= ll_buf_puts(b, "</g>\n<g class=\"ylabels\" fill=\"#333\">\n");
    for (size_t r = 0; r < n; r++) {
        size_t k = e->order[r];
        double y = top + rowh * (double)r + rowh / 2 + 4;
        rc |= text_el(b, x0 - 8, y, "end", NULL, p->labels[k]);
    }
    rc |= ll_buf_puts(b, "</g>\n<g class=\"values\" fill=\"#555\">\n");
    for (size_t r = 0; r < n; r++) {
        size_t k = e->order[r];
        double v = p->values[k];
        double y = top + rowh * (double)r + rowh / 2 + 4;
        ll_plot_format_value(v, val, sizeof val);
        double len = isfinite(v) ? fabs(v) / span * bwid : 0;
        rc |= text_el(b, (v >= 0 || !isfinite(v) ? zx + len : zx) + 5, y,
                      "start", NULL, val);
    }
    rc |= ll_buf_puts(b, "</g>\n");
    rc |= ll_buf_printf(b,
                        "<line class=\"axes\" x1=\"%.1f\" y1=\"%.1f\" "
                        "x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n",
                        zx, top, zx, top + rowh * (double)n);
    if (p->text[LL_PLOT_XLABEL])
        rc |= text_el(b, x0 + bwid / 2, top + rowh * (double)n + 22, "middle",
                      NULL, p->text[LL_PLOT_XLABEL]);
    if (!e->points)
        rc |= text_el(b, W / 2, H / 2, "middle", " fill=\"#888\"", "(no data)");
    return rc;
}

static int body_heatmap(const ll_plot *p, const ll_extent *e, double W,
                        double H, ll_buf *b)
{
    int rc = 0;
    double top = p->text[LL_PLOT_TITLE] ? 44 : 18;
    if (p->text[LL_PLOT_TITLE])
        rc |= text_el(b, W / 2, 24, "middle",
                      " font-size=\"15\" font-weight=\"bold\"",
                      p->text[LL_PLOT_TITLE]);
    size_t rows = p->rows, cols = p->cols;
    double lw = 0;
    for (size_t i = 0; i < rows; i++)
        lw = fmax(lw, label_w(p->yl[i]));
    double left = lw + 16 + (p->text[LL_PLOT_YLABEL] ? 22 : 0);
    if (p->text[LL_PLOT_XLABEL])
        top += 20;
    top += 18; /* column labels */
    double cw = cols ? (W - left - 20) / (double)cols : 1;
    double chh = rows ? (H - top - 20) / (double)rows : 1;
    if (cw > 2 * chh)
        cw = 2 * chh; /* keep cells from stretching into bands */
    if (chh > cw)
        chh = cw;
    double lo = e->ylo, hi = e->yhi;
    if (p->text[LL_PLOT_XLABEL])
        rc |= text_el(b, left + cw * (double)cols / 2, top - 26, "middle", NULL,
                      p->text[LL_PLOT_XLABEL]);
    if (p->text[LL_PLOT_YLABEL]) {
        char tr[96];
        double cy = top + chh * (double)rows / 2;
        snprintf(tr, sizeof tr, " transform=\"rotate(-90 14 %.1f)\"", cy);
        rc |= text_el(b, 14, cy, "middle", tr, p->text[LL_PLOT_YLABEL]);
    }
    rc |= ll_buf_puts(b, "<g class=\"xlabels\" fill=\"#333\">\n");
    for (size_t j = 0; j < cols; j++)
        rc |= text_el(b, left + cw * ((double)j + 0.5), top - 6, "middle", NULL,
                      p->xl[j]);
    rc |= ll_buf_puts(b, "</g>\n<g class=\"ylabels\" fill=\"#333\">\n");
    for (size_t i = 0; i < rows; i++)
        rc |= text_el(b, left - 8, top + chh * ((double)i + 0.5) + 4, "end",
                      NULL, p->yl[i]);
    rc |= ll_buf_puts(b, "</g>\n<g class=\"cells\">\n");
    int showv = cw >= 28 && chh >= 14;
    char val[32];
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < cols; j++) {
            double v = p->m[i * cols + j];
            double x = left + cw * (double)j, y = top + chh * (double)i;
            if (!isfinite(v)) {
                rc |= ll_buf_printf(b,
                                    "<rect x=\"%.1f\" y=\"%.1f\" "
                                    "width=\"%.1f\" height=\"%.1f\" "
                                    "fill=\"#eee\"/>\n",
                                    x, y, cw, chh);
                continue;
            }
            double t = hi > lo ? (v - lo) / (hi - lo) : 1;
            int k = (int)floor(t * 7.999);
            rc |= ll_buf_printf(b,
                                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                                "height=\"%.1f\" fill=\"%s\" stroke=\"#fff\"/>"
                                "\n",
                                x, y, cw, chh, ramp[k]);
            ll_plot_format_value(v, val, sizeof val);
            if (showv && label_w(val) < cw - 4)
                rc |= text_el(b, x + cw / 2, y + chh / 2 + 5, "middle",
                              k < 5 ? " fill=\"#fff\" font-size=\"14\""
                                    : " fill=\"#111\" font-size=\"14\"",
                              val);
        }
    }
    rc |= ll_buf_puts(b, "</g>\n");
    return rc;
}

static int body_sparkline(const ll_plot *p, const ll_extent *e, double W,
                          double H, ll_buf *b)
{
    frame f = {4, 4, W - 8, H - 8, 0, 1, e->ylo, e->yhi};
    const ll_series *s = p->ns ? &p->s[0] : NULL;
    if (!s || s->n == 0)
        return LL_OK;
    f.xlo = s->x[0];
    f.xhi = s->x[s->n - 1];
    if (!(f.xlo < f.xhi))
        f.xhi = f.xlo + 1;
    ll_plot_opts o = p->o;
    o.xlog = o.ylog = 0;
    return svg_line(b, &f, s, &o);
}

static int body(const ll_plot *p, double W, double H, int clip_id, ll_buf *b,
                ll_err *err)
{
    if (p->kind == LL_PLOT_GRID) {
        int rc = 0;
        double top = 0;
        if (p->text[LL_PLOT_TITLE]) {
            rc |= text_el(b, W / 2, 22, "middle",
                          " font-size=\"16\" font-weight=\"bold\"",
                          p->text[LL_PLOT_TITLE]);
            top = 30;
        }
        size_t k = p->nkids;
        double cw = k ? W / (double)k : W;
        for (size_t i = 0; i < k; i++) {
            rc |= ll_buf_printf(b,
                                "<svg x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                                "height=\"%.1f\">\n",
                                cw * (double)i, top, cw, H - top);
            int r = body(p->kids[i], cw, H - top, clip_id * 16 + (int)i + 1, b,
                         err);
            if (r < 0)
                return r;
            rc |= r | ll_buf_puts(b, "</svg>\n");
        }
        return rc ? ll_err_set(err, LL_ENOMEM, "plot: out of memory") : 0;
    }
    ll_extent e;
    int rc = ll_extent_compute(p, &e, err);
    if (rc)
        return rc;
    switch (p->kind) {
    case LL_PLOT_BARH:
        rc = body_barh(p, &e, W, H, b);
        break;
    case LL_PLOT_HEATMAP:
        rc = body_heatmap(p, &e, W, H, b);
        break;
    case LL_PLOT_SPARKLINE:
        rc = body_sparkline(p, &e, W, H, b);
        break;
    default:
        rc = body_xy(p, &e, W, H, clip_id, b);
    }
    ll_extent_free(&e);
    return rc ? ll_err_set(err, LL_ENOMEM, "plot: out of memory") : 0;
}

int ll_plot_render_svg(const ll_plot *p, int width, int height, ll_buf *out,
                       ll_err *err)
{
    if (width <= 0)
        width = p->kind == LL_PLOT_SPARKLINE ? 240
                : p->kind == LL_PLOT_GRID ? 480 * (int)(p->nkids ? p->nkids : 1)
                                          : 640;
    if (height <= 0 && p->kind == LL_PLOT_BARH)
        height = 14 +
                 28 * (int)(p->nbars < 4    ? 4
                            : p->nbars > 20 ? 20
                                            : p->nbars) +
                 (p->text[LL_PLOT_TITLE] ? 40 : 14) +
                 (p->text[LL_PLOT_XLABEL] ? 22 : 0);
    if (height <= 0)
        height = p->kind == LL_PLOT_SPARKLINE ? 40
                 : p->kind == LL_PLOT_GRID    ? 360
                                              : 400;
    int rc = ll_buf_printf(out,
                           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                           "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                           "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                           "font-family=\"" FONT "\" font-size=\"12\">\n"
                           "<rect width=\"100%%\" height=\"100%%\" "
                           "fill=\"#fff\"/>\n",
                           width, height, width, height);
    if (rc)
        return ll_err_set(err, LL_ENOMEM, "plot: out of memory");
    rc = body(p, width, height, 1, out, err);
    if (rc)
        return rc;
    if (ll_buf_puts(out, "</svg>\n"))
        return ll_err_set(err, LL_ENOMEM, "plot: out of memory");
    return LL_OK;
}

int ll_plot_save_svg(const ll_plot *p, const char *path, int width, int height,
                     ll_err *err)
{
    ll_buf b;
    ll_buf_init(&b);
    int rc = ll_plot_render_svg(p, width, height, &b, err);
    if (rc == LL_OK)
        rc = ll_write_file_atomic(path, ll_buf_str(&b), b.len, err);
    ll_buf_free(&b);
    return rc;
}
