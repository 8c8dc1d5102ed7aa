/*
 * plot_int: what chart.c shares with the renderers (render_text.c,
 * render_svg.c).  Not for use outside src/plot/.
 */
#ifndef LL_PLOT_INT_H
#define LL_PLOT_INT_H

#include "plot/plot.h"

typedef struct ll_series {
    char *name;
    double *x, *y;
    size_t n, cap;
    int color; /* 1..6 */
} ll_series;

struct ll_plot {
    ll_plot_kind kind;
    ll_plot_opts o;
    char *text[3]; /* title, xlabel, ylabel (NULL: none) */
    ll_series *s;
    size_t ns;
    char **labels; /* bars; heatmap uses xl/yl */
    double *values;
    size_t nbars;
    double *m; /* heatmap rows x cols */
    size_t rows, cols;
    char **xl, **yl;
    ll_plot **kids;
    size_t nkids;
    uint64_t id, version;
    int shown_w, shown_h; /* cells of the last text display (0: none) */
    ll_plot *live_prev, *live_next;
};

/* The data extent of a chart, after skipping what cannot be drawn.
 * Ranges are in axis space (log10 applied for log axes). */
typedef struct ll_extent {
    double xlo, xhi, ylo, yhi;
    size_t nonfinite;       /* NaN/Inf values skipped */
    size_t nonpos;          /* values <= 0 skipped on a log axis */
    size_t points;          /* values drawn */
    double *edges, *counts; /* hist */
    size_t nbins;
    size_t *order; /* barh: bar indices in drawing order */
} ll_extent;

int ll_extent_compute(const ll_plot *p, ll_extent *e, ll_err *err);
void ll_extent_free(ll_extent *e);

/* Axis transform: log10 for log axes.  NaN when v cannot be drawn. */
double ll_axis_tx(double v, int log_scale);
/* The footnote ("3 NaN/Inf values skipped"), "" when none. */
void ll_extent_footnote(const ll_extent *e, char *buf, size_t len);
/* Format a data value for bar ends and heatmap cells (%.4g-like). */
void ll_plot_format_value(double v, char *buf, size_t len);

/* 1 when every x is a whole number on a plain numeric axis (epochs,
 * indices): such charts get whole-number x ticks only. */
int ll_plot_x_integral(const ll_plot *p);
/* Drop the ticks that are not whole numbers (labels reprinted). */
struct ll_ticks;
void ll_ticks_integral(struct ll_ticks *t);

/* Tick sets for an axis: numeric, log (powers of ten) or calendar. */
typedef struct ll_ticks {
    int n;
    double v[64]; /* in axis space */
    char label[64][32];
} ll_ticks;
/* at most max_ticks ticks on [lo, hi] (axis space). */
void ll_ticks_make(double lo, double hi, int log_scale, int x_type,
                   int max_ticks, ll_ticks *t);

#endif
