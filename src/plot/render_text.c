/*
 * render_text: lays a chart out on a canvas of character cells, and turns
 * cells into plain UTF-8/ASCII or ANSI-coloured text.
 *
 * Layout of an x/y chart (rows top to bottom): title, y label, the plot
 * area with y ticks on the left, the x axis, x tick labels, x label,
 * legend, footnote.  Tick counts are chosen so labels never overlap.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot_int.h"

typedef struct glyphs {
    uint32_t vline, hline, corner, ytick, xtick, marker, legend, dash;
    uint32_t vbar[9];  /* 0..8 eighths from the bottom */
    uint32_t hbar[9];  /* 0..8 eighths from the left */
    uint32_t upper[9]; /* eighths from the top (coarse) */
    uint32_t shade[4];
    uint32_t spark[8];
} glyphs;

static const glyphs uni = {
    0x2502,
    0x2500,
    0x2514,
    0x2524,
    0x252C,
    0x25CF,
    0x2501,
    0x2504,
    {' ', 0x2581, 0x2582, 0x2583, 0x2584, 0x2585, 0x2586, 0x2587, 0x2588},
    {' ', 0x258F, 0x258E, 0x258D, 0x258C, 0x258B, 0x258A, 0x2589, 0x2588},
    {' ', 0x2594, 0x2594, 0x2594, 0x2580, 0x2580, 0x2580, 0x2580, 0x2588},
    {0x2591, 0x2592, 0x2593, 0x2588},
    {0x2581, 0x2582, 0x2583, 0x2584, 0x2585, 0x2586, 0x2587, 0x2588}};

static const glyphs ascii = {'|',
                             '-',
                             '+',
                             '+',
                             '+',
                             'o',
                             '*',
                             '-',
                             {' ', '_', '_', '_', '#', '#', '#', '#', '#'},
                             {' ', ' ', ' ', ' ', '#', '#', '#', '#', '#'},
                             {' ', '-', '-', '-', '#', '#', '#', '#', '#'},
                             {'.', ':', '*', '#'},
                             {'_', '.', ',', '-', '=', '+', '*', '#'}};

static const char ascii_series[7] = {'*', '*', '+', 'o', 'x', '#', '@'};

static int imin(int a, int b)
{
    return a < b ? a : b;
}

static int imax(int a, int b)
{
    return a > b ? a : b;
}

/* Text clipped to max cells (max <= 0: nothing). */
static void put_clipped(ll_canvas *c, int x, int y, const char *s, int max,
                        int fg, int attr)
{
    char buf[256];
    int n = 0;
    size_t i = 0, out = 0;
    while (s[i] && n < max && out + 5 < sizeof buf) {
        size_t start = i++;
        while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        memcpy(buf + out, s + start, i - start);
        out += i - start;
        n++;
    }
    buf[out] = '\0';
    ll_canvas_text(c, x, y, buf, fg, attr);
}

static void put_centered(ll_canvas *c, int x0, int w, int y, const char *s,
                         int fg, int attr)
{
    int len = ll_utf8_cells(s);
    int x = x0 + (w - len) / 2;
    if (x < x0)
        x = x0;
    put_clipped(c, x, y, s, w, fg, attr);
}

typedef struct area {
    int left, top, pw, ph; /* plot area in cells */
    double xlo, xhi, ylo, yhi;
} area;

static double xdot(const area *a, double v)
{
    return 2.0 * a->left + (v - a->xlo) / (a->xhi - a->xlo) * (2.0 * a->pw - 1);
}

static double ydot(const area *a, double v)
{
    return 4.0 * a->top + (a->yhi - v) / (a->yhi - a->ylo) * (4.0 * a->ph - 1);
}

static int clampdot(double d)
{
    if (d < -100000)
        return -100000;
    if (d > 100000)
        return 100000;
    return (int)lround(d);
}

/* One series as a line.  When x never decreases, points are aggregated per
 * dot column (min..max span, joined to the next column), so a million
 * points cost one pass. */
static void draw_line(ll_canvas *c, const area *a, const ll_series *s,
                      const ll_plot_opts *o)
{
    int mono = 1;
    for (size_t i = 1; i < s->n && mono; i++)
        if (s->x[i] < s->x[i - 1])
            mono = 0;
    int have = 0, col = 0, ymin = 0, ymax = 0, ylast = 0;
    int px = 0, py = 0;
    for (size_t i = 0; i < s->n; i++) {
        double tx = ll_axis_tx(s->x[i], o->xlog);
        double ty = ll_axis_tx(s->y[i], o->ylog);
        if (isnan(tx) || isnan(ty)) {
            if (mono && have)
                ll_canvas_vspan(c, col, ymin, ymax, s->color);
            have = 0; /* a gap in the line */
            continue;
        }
        int dx = clampdot(xdot(a, tx)), dy = clampdot(ydot(a, ty));
        if (!mono) {
            if (have)
                ll_canvas_line(c, px, py, dx, dy, s->color);
            else
                ll_canvas_dot(c, dx, dy, s->color);
            px = dx;
            py = dy;
            have = 1;
            continue;
        }
        if (have && dx == col) {
            if (dy < ymin)
                ymin = dy;
            if (dy > ymax)
                ymax = dy;
            ylast = dy;
            continue;
        }
        if (have) {
            ll_canvas_vspan(c, col, ymin, ymax, s->color);
            ll_canvas_line(c, col, ylast, dx, dy, s->color);
        }
        have = 1;
        col = dx;
        ymin = ymax = ylast = dy;
    }
    if (mono && have)
        ll_canvas_vspan(c, col, ymin, ymax, s->color);
}

static void draw_points(ll_canvas *c, const area *a, const ll_series *s,
                        const ll_plot_opts *o, int as_marker, const glyphs *g)
{
    for (size_t i = 0; i < s->n; i++) {
        double tx = ll_axis_tx(s->x[i], o->xlog);
        double ty = ll_axis_tx(s->y[i], o->ylog);
        if (isnan(tx) || isnan(ty))
            continue;
        double dx = xdot(a, tx), dy = ydot(a, ty);
        if (as_marker) {
            int cx = (int)floor(dx / 2), cy = (int)floor(dy / 4);
            if (cx >= a->left && cx < a->left + a->pw && cy >= a->top &&
                cy < a->top + a->ph) {
                uint32_t m =
                    g == &uni ? g->marker : (uint32_t)ascii_series[s->color];
                ll_canvas_put(c, cx, cy, m, s->color, 0, 0);
            }
        } else {
            ll_canvas_dot(c, clampdot(dx), clampdot(dy), s->color);
        }
    }
}

/* Fill eighths [a8, b8) of a column of cells, counted from the bottom of
 * the plot area. */
static void fill_column(ll_canvas *c, const area *a, int x, int a8, int b8,
                        int color, const glyphs *g)
{
    for (int k = 0; k < a->ph; k++) {
        int lo = imax(a8, 8 * k), hi = imin(b8, 8 * k + 8);
        if (hi <= lo)
            continue;
        int y = a->top + a->ph - 1 - k;
        uint32_t cp;
        if (lo == 8 * k)
            cp = g->vbar[hi - lo];
        else
            cp = g->upper[hi - lo];
        ll_canvas_put(c, x, y, cp, color, 0, 0);
    }
}

static int fits_labels(const ll_ticks *t, const area *a, int width, int *starts)
{
    int prev_end = -2;
    for (int i = 0; i < t->n; i++) {
        int col = clampdot(xdot(a, t->v[i])) / 2;
        int len = ll_utf8_cells(t->label[i]);
        int s = col - (len - 1) / 2;
        if (s + len > width)
            s = width - len;
        if (s < 0)
            s = 0;
        if (s <= prev_end + 1)
            return 0;
        starts[i] = s;
        prev_end = s + len - 1;
    }
    return 1;
}

static void draw_nodata(ll_canvas *c, const area *a)
{
    put_centered(c, a->left, a->pw, a->top + a->ph / 2, "(no data)",
                 LL_COLOR_AXIS, 0);
}

static void draw_legend(ll_canvas *c, const ll_plot *p, int x, int y, int width,
                        const glyphs *g)
{
    for (size_t i = 0; i < p->ns; i++) {
        const ll_series *s = &p->s[i];
        char name[64];
        snprintf(name, sizeof name, "%s", s->name ? s->name : "");
        if (!name[0])
            snprintf(name, sizeof name, "series %zu", i + 1);
        int need = 3 + ll_utf8_cells(name);
        if (x + need > width)
            break;
        static const uint32_t dashes[3] = {0x2501, 0x254D, 0x2509};
        uint32_t m = g != &uni ? (uint32_t)ascii_series[s->color]
                     : p->kind == LL_PLOT_LINE ? dashes[i % 3]
                                               : g->marker;
        ll_canvas_put(c, x, y, m, s->color, 0, 0);
        ll_canvas_put(c, x + 1, y, m, s->color, 0, 0);
        ll_canvas_text(c, x + 3, y, name, 0, 0);
        x += need + 3;
    }
}

/* line, scatter, hist, bar */
static void layout_xy(const ll_plot *p, const ll_extent *e, ll_canvas *c,
                      const glyphs *g)
{
    int W = ll_canvas_width(c), H = ll_canvas_height(c);
    const ll_plot_opts *o = &p->o;
    char foot[160];
    ll_extent_footnote(e, foot, sizeof foot);
    int legend =
        (p->kind == LL_PLOT_LINE || p->kind == LL_PLOT_SCATTER) && p->ns > 1;
    int row = 0;
    if (p->text[LL_PLOT_TITLE])
        put_centered(c, 0, W, row++, p->text[LL_PLOT_TITLE], 0, LL_CELL_BOLD);
    int ylab_row = -1;
    if (p->text[LL_PLOT_YLABEL])
        ylab_row = row++;
    int bottom =
        2 + (p->text[LL_PLOT_XLABEL] != NULL) + legend + (foot[0] != '\0');
    area a;
    a.top = row;
    a.ph = imax(1, H - row - bottom);
    a.xlo = e->xlo;
    a.xhi = e->xhi;
    a.ylo = e->ylo;
    a.yhi = e->yhi;

    /* y ticks: one per row at most, about every third row */
    /* y ticks: as many as keep a free row between labels */
    ll_ticks yt;
    for (int gap = 2; gap >= 1; gap--) {
        for (int want = imax(2, gap == 2 ? a.ph / 2 : a.ph); want >= 2;
             want--) {
            ll_ticks_make(a.ylo, a.yhi, o->ylog, LL_PLOT_XNUM, want, &yt);
            int ok = 1;
            for (int i = 1; i < yt.n && ok; i++)
                if (abs(clampdot(ydot(&a, yt.v[i])) / 4 -
                        clampdot(ydot(&a, yt.v[i - 1])) / 4) < gap)
                    ok = 0;
            if (ok)
                break;
        }
        /* a short chart may pack labels on adjacent rows rather than
         * show fewer than three */
        if (yt.n >= 3)
            break;
    }
    int yw = 1;
    for (int i = 0; i < yt.n; i++)
        yw = imax(yw, ll_utf8_cells(yt.label[i]));
    if (yw > W / 3)
        yw = W / 3;
    a.left = yw + 1;
    a.pw = imax(1, W - a.left - 1);
    int axis_row = a.top + a.ph;

    /* axes */
    for (int y = a.top; y < axis_row; y++)
        ll_canvas_put(c, yw, y, g->vline, LL_COLOR_AXIS, 0, 0);
    ll_canvas_put(c, yw, axis_row, g->corner, LL_COLOR_AXIS, 0, 0);
    for (int x = a.left; x < a.left + a.pw; x++)
        ll_canvas_put(c, x, axis_row, g->hline, LL_COLOR_AXIS, 0, 0);
    int last_row = -1;
    for (int i = yt.n - 1; i >= 0; i--) {
        int r = clampdot(ydot(&a, yt.v[i])) / 4; /* as the dots round */
        if (r < a.top || r >= axis_row || r == last_row)
            continue;
        last_row = r;
        ll_canvas_put(c, yw, r, g->ytick, LL_COLOR_AXIS, 0, 0);
        int len = ll_utf8_cells(yt.label[i]);
        put_clipped(c, imax(0, yw - len), r, yt.label[i], yw, 0, 0);
    }
    if (ylab_row >= 0)
        put_clipped(c, 0, ylab_row, p->text[LL_PLOT_YLABEL], W, 0, 0);

    ll_canvas_clip(c, 2 * a.left, 4 * a.top, 2 * (a.left + a.pw) - 1,
                   4 * axis_row - 1);

    if (p->kind == LL_PLOT_BAR) {
        size_t n = p->nbars;
        int gap = n > 0 && (int)n * 2 - 1 <= a.pw ? 1 : 0;
        int bw = n ? (a.pw - gap * ((int)n - 1)) / (int)n : 0;
        if (bw > 10)
            bw = 10;
        if (bw < 1)
            bw = 1;
        int shown = imin((int)n, (a.pw + gap) / (bw + gap));
        int x0 = a.left + (a.pw - (shown * bw + (shown - 1) * gap)) / 2;
        double span = a.yhi - a.ylo;
        int total8 = a.ph * 8;
        int z8 = (int)lround((0 - a.ylo) / span * total8);
        int maxlen = 1;
        for (int i = 0; i < shown; i++)
            maxlen = imax(maxlen, ll_utf8_cells(p->labels[i]));
        if (maxlen > 12)
            maxlen = 12;
        int every = 1;
        while ((bw + gap) * every < maxlen + 1 && every < shown)
            every++;
        for (int i = 0; i < shown; i++) {
            int x = x0 + i * (bw + gap);
            double v = p->values[i];
            if (isfinite(v)) {
                int v8 = (int)lround((v - a.ylo) / span * total8);
                if (v != 0 && v8 == z8)
                    v8 = v > 0 ? z8 + 1 : z8 - 1;
                for (int k = 0; k < bw; k++)
                    fill_column(c, &a, x + k, imin(z8, v8), imax(z8, v8),
                                1 + (int)(p->ns % 6), g);
            }
            if (i % every == 0) {
                int room = (bw + gap) * every - 1;
                int len = imin(ll_utf8_cells(p->labels[i]), room);
                int lx = x + (bw - len) / 2;
                if (lx < 0)
                    lx = 0;
                put_clipped(c, lx, axis_row + 1, p->labels[i], room, 0, 0);
            }
        }
        if (!e->points)
            draw_nodata(c, &a);
    } else {
        /* x ticks: as many as fit without overlapping labels */
        ll_ticks xt;
        int starts[64];
        int fitted = 0;
        /* integer x (epochs, indices) gets integer ticks only */
        int xint = ll_plot_x_integral(p);
        for (int want = imin(12, imax(2, a.pw / 4)); want >= 2; want--) {
            ll_ticks_make(a.xlo, a.xhi, o->xlog, o->x_type, want, &xt);
            if (xint)
                ll_ticks_integral(&xt);
            if (fits_labels(&xt, &a, W, starts)) {
                fitted = 1;
                break;
            }
        }
        if (!fitted) {
            ll_ticks_make(a.xlo, a.xhi, o->xlog, o->x_type, 2, &xt);
            xt.n = imin(xt.n, 1);
            if (xt.n)
                fits_labels(&xt, &a, W, starts);
        }
        for (int i = 0; i < xt.n; i++) {
            int col = clampdot(xdot(&a, xt.v[i])) / 2;
            if (col >= a.left && col < a.left + a.pw)
                ll_canvas_put(c, col, axis_row, g->xtick, LL_COLOR_AXIS, 0, 0);
            ll_canvas_text(c, starts[i], axis_row + 1, xt.label[i], 0, 0);
        }
        /* reference lines first, so data draws over them */
        double h = ll_axis_tx(o->hline, o->ylog);
        if (!isnan(h)) {
            int dy = clampdot(ydot(&a, h));
            for (int x = 2 * a.left; x < 2 * (a.left + a.pw); x++)
                if (x % 4 < 2)
                    ll_canvas_dot(c, x, dy, LL_COLOR_REF);
        }
        double v = ll_axis_tx(o->vline, o->xlog);
        if (!isnan(v)) {
            int dx = clampdot(xdot(&a, v));
            for (int y = 4 * a.top; y < 4 * axis_row; y++)
                if (y % 4 < 2)
                    ll_canvas_dot(c, dx, y, LL_COLOR_REF);
        }
        if (o->identity) {
            /* dashed, so it reads apart from the data without colour */
            double lo = fmax(a.xlo, a.ylo), hi = fmin(a.xhi, a.yhi);
            double x0 = xdot(&a, lo), y0 = ydot(&a, lo);
            double x1 = xdot(&a, hi), y1 = ydot(&a, hi);
            int steps = (int)fmax(fabs(x1 - x0), fabs(y1 - y0));
            for (int i = 0; lo < hi && i <= steps; i++)
                if (i % 6 < 3)
                    ll_canvas_dot(c, clampdot(x0 + (x1 - x0) * i / steps),
                                  clampdot(y0 + (y1 - y0) * i / steps),
                                  LL_COLOR_REF);
        }
        if (p->kind == LL_PLOT_HIST) {
            int color = p->ns ? p->s[0].color : 1;
            double maxc = a.yhi;
            for (int x = 0; x < a.pw && e->points; x++) {
                double v0 = a.xlo + (a.xhi - a.xlo) * x / a.pw;
                double v1 = a.xlo + (a.xhi - a.xlo) * (x + 1) / a.pw;
                double best = 0;
                for (size_t b = 0; b < e->nbins; b++)
                    if (e->edges[b + 1] > v0 && e->edges[b] < v1 &&
                        e->counts[b] > best)
                        best = e->counts[b];
                int h8 = (int)lround(best / maxc * a.ph * 8);
                if (best > 0 && h8 == 0)
                    h8 = 1;
                fill_column(c, &a, a.left + x, 0, h8, color, g);
            }
        } else {
            for (size_t i = 0; i < p->ns; i++) {
                const ll_series *s = &p->s[i];
                if (p->kind == LL_PLOT_LINE) {
                    /* the 2nd and 3rd series are dashed, so they read
                     * apart without colour (as in a plain-text output) */
                    if (g == &uni && i % 3 == 1)
                        ll_canvas_dash(c, 6, 4);
                    else if (g == &uni && i % 3 == 2)
                        ll_canvas_dash(c, 4, 2);
                    draw_line(c, &a, s, o);
                    ll_canvas_dash(c, 0, 0);
                }
                if (p->kind == LL_PLOT_SCATTER || o->markers)
                    draw_points(c, &a, s, o, o->markers && (int)s->n <= a.pw,
                                g);
            }
        }
        if (!e->points)
            draw_nodata(c, &a);
    }
    ll_canvas_clip(c, 0, 0, 2 * W - 1, 4 * H - 1);
    int r = axis_row + 2;
    if (p->text[LL_PLOT_XLABEL])
        put_centered(c, a.left, a.pw, r++, p->text[LL_PLOT_XLABEL], 0, 0);
    if (legend)
        draw_legend(c, p, a.left, r++, W, g);
    if (foot[0])
        put_clipped(c, 0, r, foot, W, LL_COLOR_AXIS, 0);
}

static void layout_barh(const ll_plot *p, const ll_extent *e, ll_canvas *c,
                        const glyphs *g)
{
    int W = ll_canvas_width(c), H = ll_canvas_height(c);
    char foot[160];
    ll_extent_footnote(e, foot, sizeof foot);
    int row = 0;
    if (p->text[LL_PLOT_TITLE])
        put_centered(c, 0, W, row++, p->text[LL_PLOT_TITLE], 0, LL_CELL_BOLD);
    if (p->text[LL_PLOT_YLABEL])
        put_clipped(c, 0, row++, p->text[LL_PLOT_YLABEL], W, 0, 0);
    int n = (int)p->nbars;
    int avail = H - row - (p->text[LL_PLOT_XLABEL] != NULL) - (foot[0] != 0);
    int shown = n <= avail ? n : imax(1, avail - 1);
    int more = n - shown;
    int lw = 1, vw = 1;
    char vals[256][32];
    for (int i = 0; i < shown && i < 256; i++) {
        size_t k = e->order[i];
        lw = imax(lw, ll_utf8_cells(p->labels[k]));
        ll_plot_format_value(p->values[k], vals[i], sizeof vals[i]);
        vw = imax(vw, (int)strlen(vals[i]));
    }
    if (shown > 256)
        shown = 256;
    if (lw > W / 3)
        lw = imax(1, W / 3);
    int bx = lw + 2;
    int bwid = imax(1, W - bx - vw - 1);
    double span = e->yhi - e->ylo;
    int zero = bx + (int)lround(-e->ylo / span * bwid);
    if (!e->points)
        put_centered(c, 0, W, row, "(no data)", LL_COLOR_AXIS, 0);
    for (int i = 0; i < shown; i++, row++) {
        size_t k = e->order[i];
        int len = ll_utf8_cells(p->labels[k]);
        put_clipped(c, imax(0, lw - len), row, p->labels[k], lw, 0, 0);
        ll_canvas_put(c, lw + 1, row, g->vline, LL_COLOR_AXIS, 0, 0);
        double v = p->values[k];
        if (!isfinite(v)) {
            ll_canvas_text(c, zero, row, vals[i], LL_COLOR_AXIS, 0);
            continue;
        }
        int len8 = (int)lround(fabs(v) / span * bwid * 8);
        if (v != 0 && len8 == 0)
            len8 = 1;
        int color = 1;
        int end;
        if (v >= 0) {
            int full = len8 / 8, rem = len8 % 8;
            for (int x = 0; x < full; x++)
                ll_canvas_put(c, zero + x, row, g->hbar[8], color, 0, 0);
            if (g->hbar[rem] == ' ')
                rem = full ? 0 : 8; /* ASCII: whole cells, never empty */
            if (rem)
                ll_canvas_put(c, zero + full, row, g->hbar[rem], color, 0, 0);
            end = zero + full + (rem ? 1 : 0);
        } else {
            int full = (len8 + 4) / 8;
            if (full == 0)
                full = 1;
            for (int x = 1; x <= full; x++)
                ll_canvas_put(c, zero - x, row, g->hbar[8], color, 0, 0);
            end = zero;
        }
        ll_canvas_text(c, end + 1, row, vals[i], 0, 0);
    }
    if (p->text[LL_PLOT_XLABEL])
        put_centered(c, bx, bwid, row++, p->text[LL_PLOT_XLABEL], 0, 0);
    if (more > 0) {
        char m[64];
        snprintf(m, sizeof m, "(%d more not shown)", more);
        put_clipped(c, bx, row++, m, W - bx, LL_COLOR_AXIS, 0);
    }
    if (foot[0])
        put_clipped(c, 0, row, foot, W, LL_COLOR_AXIS, 0);
}

static void layout_heatmap(const ll_plot *p, const ll_extent *e, ll_canvas *c,
                           const glyphs *g)
{
    int W = ll_canvas_width(c), H = ll_canvas_height(c);
    int row = 0;
    if (p->text[LL_PLOT_TITLE])
        put_centered(c, 0, W, row++, p->text[LL_PLOT_TITLE], 0, LL_CELL_BOLD);
    int rows = (int)p->rows, cols = (int)p->cols;
    int rl = 1;
    for (int i = 0; i < rows; i++)
        rl = imax(rl, ll_utf8_cells(p->yl[i]));
    if (p->text[LL_PLOT_YLABEL])
        rl = imax(rl, imin(12, ll_utf8_cells(p->text[LL_PLOT_YLABEL])));
    if (rl > W / 3)
        rl = imax(1, W / 3);
    int x0 = rl + 1;
    int cw = cols ? (W - x0) / cols : 1;
    if (cw > 10)
        cw = 10;
    if (cw < 1)
        cw = 1;
    if (p->text[LL_PLOT_XLABEL])
        put_centered(c, x0, cw * cols, row++, p->text[LL_PLOT_XLABEL], 0, 0);
    if (p->text[LL_PLOT_YLABEL])
        put_clipped(c, 0, row, p->text[LL_PLOT_YLABEL], rl, LL_COLOR_AXIS, 0);
    for (int j = 0; j < cols; j++)
        put_centered(c, x0 + j * cw, cw - 1, row, p->xl[j], 0, 0);
    row++;
    int avail = H - row - 1;
    int ch = rows && avail >= rows * 3 ? 3 : 1;
    double lo = e->ylo, hi = e->yhi;
    char vbuf[32];
    int showv = 1;
    for (int i = 0; i < rows * cols; i++) {
        ll_plot_format_value(p->m[i], vbuf, sizeof vbuf);
        if ((int)strlen(vbuf) > cw - 3)
            showv = 0;
    }
    for (int i = 0; i < rows; i++) {
        int y = row + i * ch;
        if (y + ch > H)
            break;
        int len = ll_utf8_cells(p->yl[i]);
        put_clipped(c, imax(0, rl - len), y + ch / 2, p->yl[i], rl, 0, 0);
        for (int j = 0; j < cols; j++) {
            double v = p->m[(size_t)i * (size_t)cols + (size_t)j];
            int x = x0 + j * cw;
            if (!isfinite(v)) {
                put_centered(c, x, cw - 1, y + ch / 2, "nan", LL_COLOR_AXIS, 0);
                continue;
            }
            double t = hi > lo ? (v - lo) / (hi - lo) : 1;
            int lvl = (int)floor(t * 3.999);
            int ramp = LL_COLOR_RAMP + (int)floor(t * 7.999);
            for (int dy = 0; dy < ch; dy++)
                for (int dx = 0; dx < cw - 1; dx++)
                    ll_canvas_put(c, x + dx, y + dy, g->shade[lvl], ramp, ramp,
                                  0);
            if (showv) {
                ll_plot_format_value(v, vbuf, sizeof vbuf);
                int vl = (int)strlen(vbuf);
                int vx = x + (cw - 1 - vl) / 2;
                ll_canvas_put(c, vx - 1, y + ch / 2, ' ', 0, ramp, 0);
                for (int k = 0; k < vl; k++)
                    ll_canvas_put(c, vx + k, y + ch / 2, (uint32_t)vbuf[k], 0,
                                  ramp, LL_CELL_BOLD);
                ll_canvas_put(c, vx + vl, y + ch / 2, ' ', 0, ramp, 0);
            }
        }
    }
    row += rows * ch;
    if (row < H && e->points) {
        char a[32], b[32];
        ll_plot_format_value(lo, a, sizeof a);
        ll_plot_format_value(hi, b, sizeof b);
        int x = x0;
        x += ll_canvas_text(c, x, row, a, LL_COLOR_AXIS, 0) + 1;
        for (int k = 0; k < 4; k++)
            ll_canvas_put(c, x++, row, g->shade[k], LL_COLOR_RAMP + k * 2 + 1,
                          0, 0);
        ll_canvas_text(c, x + 1, row, b, LL_COLOR_AXIS, 0);
        char foot[160];
        ll_extent_footnote(e, foot, sizeof foot);
        if (foot[0] && row + 1 < H)
            put_clipped(c, 0, row + 1, foot, W, LL_COLOR_AXIS, 0);
    } else if (!e->points && row < H) {
        put_centered(c, 0, W, row, "(no data)", LL_COLOR_AXIS, 0);
    }
}

static void layout_sparkline(const ll_plot *p, const ll_extent *e, ll_canvas *c,
                             const glyphs *g)
{
    int W = ll_canvas_width(c);
    int x = 0;
    if (p->text[LL_PLOT_TITLE]) {
        x = ll_utf8_cells(p->text[LL_PLOT_TITLE]);
        put_clipped(c, 0, 0, p->text[LL_PLOT_TITLE], W / 2, 0, LL_CELL_BOLD);
        x = imin(x, W / 2) + 1;
    }
    const ll_series *s = p->ns ? &p->s[0] : NULL;
    size_t n = s ? s->n : 0;
    int sw = W - x;
    if (sw < 1 || n == 0)
        return;
    int cells = (int)n < sw ? (int)n : sw;
    for (int i = 0; i < cells; i++) {
        size_t b0 = (size_t)i * n / (size_t)cells;
        size_t b1 = (size_t)(i + 1) * n / (size_t)cells;
        double sum = 0;
        size_t cnt = 0;
        for (size_t j = b0; j < b1; j++)
            if (isfinite(s->y[j])) {
                sum += s->y[j];
                cnt++;
            }
        if (!cnt)
            continue;
        double v = sum / (double)cnt;
        double t = (v - e->ylo) / (e->yhi - e->ylo);
        int lvl = (int)lround(t * 7);
        lvl = imax(0, imin(7, lvl));
        ll_canvas_put(c, x + i, 0, g->spark[lvl], s->color, 0, 0);
    }
}

static int layout(const ll_plot *p, ll_canvas *c, const glyphs *g, ll_err *err);

static void layout_grid(const ll_plot *p, ll_canvas *c, const glyphs *g,
                        ll_err *err, int *rc)
{
    int W = ll_canvas_width(c), H = ll_canvas_height(c);
    int row = 0;
    if (p->text[LL_PLOT_TITLE])
        put_centered(c, 0, W, row++, p->text[LL_PLOT_TITLE], 0, LL_CELL_BOLD);
    int k = (int)p->nkids;
    if (!k)
        return;
    int cw = imax(10, (W - 2 * (k - 1)) / k);
    for (int i = 0; i < k; i++) {
        ll_canvas *sub = ll_canvas_new(cw, imax(3, H - row), g == &uni, err);
        ll_plot_cells cells;
        if (!sub) {
            ll_err_prefix(err, "plot");
            *rc = LL_ENOMEM;
            return;
        }
        *rc = layout(p->kids[i], sub, g, err);
        if (*rc == 0 && ll_canvas_cells(sub, &cells) != LL_OK)
            *rc = ll_err_set(err, LL_ENOMEM, "plot: out of memory");
        ll_canvas_free(sub);
        if (*rc)
            return;
        int x0 = i * (cw + 2);
        for (int y = 0; y < cells.height; y++)
            for (int x = 0; x < cells.width; x++) {
                const ll_plot_cell *pc = &cells.cells[y * cells.width + x];
                if (pc->cp != ' ' || pc->bg)
                    ll_canvas_put(c, x0 + x, row + y, pc->cp, pc->fg, pc->bg,
                                  pc->attr);
            }
        ll_plot_cells_free(&cells);
    }
}

static int layout(const ll_plot *p, ll_canvas *c, const glyphs *g, ll_err *err)
{
    if (p->kind == LL_PLOT_GRID) {
        int rc = 0;
        layout_grid(p, c, g, err, &rc);
        return rc;
    }
    ll_extent e;
    int rc = ll_extent_compute(p, &e, err);
    if (rc)
        return rc;
    switch (p->kind) {
    case LL_PLOT_BARH:
        layout_barh(p, &e, c, g);
        break;
    case LL_PLOT_HEATMAP:
        layout_heatmap(p, &e, c, g);
        break;
    case LL_PLOT_SPARKLINE:
        layout_sparkline(p, &e, c, g);
        break;
    default:
        layout_xy(p, &e, c, g);
    }
    ll_extent_free(&e);
    return LL_OK;
}

int ll_plot_render_cells(const ll_plot *p, int width, int height, int unicode,
                         ll_plot_cells *out, ll_err *err)
{
    out->cells = NULL;
    out->width = out->height = 0;
    if (width < 10)
        width = 10;
    if (height < 3)
        height = 3;
    if (p->kind == LL_PLOT_SPARKLINE)
        height = 1;
    ll_canvas *c = ll_canvas_new(width, height, unicode, err);
    if (!c) {
        ll_err_prefix(err, "plot");
        return LL_ENOMEM;
    }
    int rc = layout(p, c, unicode ? &uni : &ascii, err);
    if (rc == 0 && ll_canvas_cells(c, out) != LL_OK)
        rc = ll_err_set(err, LL_ENOMEM, "plot: out of memory");
    ll_canvas_free(c);
    return rc;
}

/* ---- cells to text ---- */

static int put_utf8(ll_buf *b, uint32_t cp)
{
    char s[4];
    size_t n;
    if (cp < 0x80) {
        s[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        s[0] = (char)(0xC0 | (cp >> 6));
        s[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        s[0] = (char)(0xE0 | (cp >> 12));
        s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        s[0] = (char)(0xF0 | (cp >> 18));
        s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        s[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return ll_buf_append(b, s, n);
}

/* xterm-256 colours for the indices of canvas.h */
static int ansi_color(int idx)
{
    static const int series[7] = {0, 33, 208, 34, 160, 135, 37};
    static const int ramp[8] = {53, 61, 25, 30, 36, 77, 149, 220};
    if (idx >= 1 && idx <= 6)
        return series[idx];
    if (idx == LL_COLOR_AXIS)
        return 244;
    if (idx == LL_COLOR_REF)
        return 245;
    if (idx >= LL_COLOR_RAMP && idx < LL_COLOR_RAMP + LL_COLOR_RAMP_N)
        return ramp[idx - LL_COLOR_RAMP];
    return -1;
}

static int sgr(ll_buf *b, const ll_plot_cell *c)
{
    int rc = ll_buf_puts(b, "\x1b[0");
    if (c->attr & LL_CELL_BOLD)
        rc |= ll_buf_puts(b, ";1");
    if (c->attr & LL_CELL_DIM)
        rc |= ll_buf_puts(b, ";2");
    int fg = ansi_color(c->fg);
    if (fg < 0 && c->bg >= LL_COLOR_RAMP)
        fg = c->bg - LL_COLOR_RAMP < 5 ? 231 : 16; /* text on a ramp */
    if (fg >= 0)
        rc |= ll_buf_printf(b, ";38;5;%d", fg);
    int bg = ansi_color(c->bg);
    if (c->bg && bg >= 0)
        rc |= ll_buf_printf(b, ";48;5;%d", bg);
    return rc | ll_buf_putc(b, 'm');
}

int ll_plot_cells_text(const ll_plot_cells *cells, int color, ll_buf *out)
{
    int rc = 0;
    int rows = cells->height;
    /* trailing blank rows are dropped, like trailing blanks in a row */
    while (rows > 1) {
        const ll_plot_cell *row = &cells->cells[(rows - 1) * cells->width];
        int blank = 1;
        for (int x = 0; x < cells->width && blank; x++)
            blank = row[x].cp == ' ' && !row[x].bg;
        if (!blank)
            break;
        rows--;
    }
    for (int y = 0; y < rows; y++) {
        const ll_plot_cell *row = &cells->cells[y * cells->width];
        int end = cells->width;
        while (end > 0 && row[end - 1].cp == ' ' && !row[end - 1].bg)
            end--;
        int styled = 0;
        const ll_plot_cell *prev = NULL;
        for (int x = 0; x < end; x++) {
            const ll_plot_cell *c = &row[x];
            if (color) {
                int plain = !c->fg && !c->bg && !c->attr;
                if (!prev || c->fg != prev->fg || c->bg != prev->bg ||
                    c->attr != prev->attr) {
                    if (plain && styled) {
                        rc |= ll_buf_puts(out, "\x1b[0m");
                        styled = 0;
                    } else if (!plain) {
                        rc |= sgr(out, c);
                        styled = 1;
                    }
                }
                prev = c;
            }
            rc |= put_utf8(out, c->cp);
        }
        if (styled)
            rc |= ll_buf_puts(out, "\x1b[0m");
        rc |= ll_buf_putc(out, '\n');
    }
    return rc ? LL_ENOMEM : LL_OK;
}

int ll_plot_render_text(const ll_plot *p, int width, int height, int unicode,
                        int color, ll_buf *out, ll_err *err)
{
    ll_plot_cells cells;
    int rc = ll_plot_render_cells(p, width, height, unicode, &cells, err);
    if (rc)
        return rc;
    rc = ll_plot_cells_text(&cells, color, out);
    ll_plot_cells_free(&cells);
    if (rc)
        return ll_err_set(err, LL_ENOMEM, "plot: out of memory");
    return LL_OK;
}

int ll_plot_unicode_default(void)
{
    const char *a = getenv("LUALAB_ASCII");
    if (a && strcmp(a, "1") == 0)
        return 0;
    const char *vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) {
            return strstr(v, "UTF-8") || strstr(v, "utf-8") ||
                   strstr(v, "UTF8") || strstr(v, "utf8");
        }
    }
    return 0;
}
