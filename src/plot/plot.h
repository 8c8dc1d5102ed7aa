/*
 * plot: charts described once, drawn as text, ANSI colour, a cell grid
 * (for the curses notebook) or SVG.
 *
 * A chart (ll_plot) holds a kind, its data (series of x/y, labelled bars, a
 * matrix, or child charts for a grid) and options.  Nothing is laid out until
 * a renderer is asked for a size, so one chart can be drawn at any width.
 *
 *   ll_plot *p = ll_plot_new(LL_PLOT_LINE, &err);
 *   ll_plot_add_series(p, "loss", NULL, y, n, 0);
 *   ll_plot_set_text(p, LL_PLOT_TITLE, "Training loss");
 *   ll_plot_render_text(p, 60, 16, ll_plot_unicode_default(), 0, &buf, &err);
 *
 * Live charts.  Every chart has an id (unique in the process, never reused)
 * and a version that every change bumps (append, set, new data, options).
 * A front end that shows a chart while a cell runs does this:
 *   1. in its sink's display callback, when the display's kind is "plot",
 *      remember the display record's id (the chart's, set by its
 *      __display) beside that output;
 *   2. on its redraw tick (at most ~10/s; the progress callback is a good
 *      place), if ll_plot_changes() differs from the value it saw last, look
 *      each remembered id up with ll_plot_find(id) (NULL once the chart was
 *      garbage-collected) and, when ll_plot_version() moved, re-render it
 *      with ll_plot_render_cells() into the output's place.
 * All of this runs on the thread that runs Lua; no locking is involved.
 *
 * Ownership: ll_plot_new's result is freed with ll_plot_free.  Functions
 * copy what they are given (names, labels, arrays).  Errors: LL_ENOMEM or
 * LL_EINVAL with a message in err naming the argument.
 */
#ifndef LL_PLOT_H
#define LL_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "plot/canvas.h"
#include "util/buf.h"
#include "util/err.h"

typedef enum ll_plot_kind {
    LL_PLOT_LINE,
    LL_PLOT_SCATTER,
    LL_PLOT_BAR,
    LL_PLOT_BARH,
    LL_PLOT_HIST,
    LL_PLOT_HEATMAP,
    LL_PLOT_SPARKLINE,
    LL_PLOT_GRID
} ll_plot_kind;

/* How x values are read: plain numbers, days since 1970-01-01, or
 * milliseconds since the epoch (UTC).  Dates get calendar ticks. */
enum { LL_PLOT_XNUM = 0, LL_PLOT_XDATE = 1, LL_PLOT_XDATETIME = 2 };

/* Which text ll_plot_set_text sets. */
enum { LL_PLOT_TITLE = 0, LL_PLOT_XLABEL = 1, LL_PLOT_YLABEL = 2 };

typedef struct ll_plot_opts {
    double xmin, xmax, ymin, ymax; /* axis limits; NaN: from the data */
    int xlog, ylog;                /* log10 scale (non-positive skipped) */
    int x_type;                    /* LL_PLOT_X* */
    double hline, vline;           /* reference lines; NaN: none */
    int identity;                  /* draw y = x (predicted vs true) */
    int markers;                   /* mark each data point (line charts) */
    int bins;                      /* hist: number of bins, 0: numpy "auto" */
    int sort;                      /* barh: 1 largest first (default) */
} ll_plot_opts;

typedef struct ll_plot ll_plot;

/* NULL with err filled when out of memory. */
ll_plot *ll_plot_new(ll_plot_kind kind, ll_err *err);
void ll_plot_free(ll_plot *p);
/* A deep copy; NULL with err filled when out of memory. */
ll_plot *ll_plot_clone(const ll_plot *p, ll_err *err);
ll_plot_kind ll_plot_kind_of(const ll_plot *p);
const char *ll_plot_kind_name(ll_plot_kind k); /* "line", "bar", ... */

/* The options, to change in place; call ll_plot_touch afterwards. */
ll_plot_opts *ll_plot_options(ll_plot *p);
const ll_plot_opts *ll_plot_options_const(const ll_plot *p);
void ll_plot_touch(ll_plot *p);
int ll_plot_set_text(ll_plot *p, int which, const char *s, ll_err *err);

/* Series (line, scatter, hist, sparkline).  x may be NULL: 1..n.  color 0
 * picks the next palette colour, 1..6 a fixed one.  Returns the series
 * index (>= 0) or LL_ENOMEM. */
int ll_plot_add_series(ll_plot *p, const char *name, const double *x,
                       const double *y, size_t n, int color, ll_err *err);
size_t ll_plot_nseries(const ll_plot *p);
size_t ll_plot_series_len(const ll_plot *p, size_t series);
const char *ll_plot_series_name(const ll_plot *p, size_t series); /* or NULL */
/* Add a point to a series; x NaN means "next index" (last x + 1). */
int ll_plot_append(ll_plot *p, size_t series, double x, double y, ll_err *err);
/* Drop every series (before new data from a live update). */
void ll_plot_clear_series(ll_plot *p);

/* Bars (bar, barh): labels may be NULL (1..n). */
int ll_plot_set_bars(ll_plot *p, const char *const *labels,
                     const double *values, size_t n, ll_err *err);
/* Heatmap: values row-major rows x cols; label arrays may be NULL. */
int ll_plot_set_matrix(ll_plot *p, const double *values, size_t rows,
                       size_t cols, const char *const *xlabels,
                       const char *const *ylabels, ll_err *err);
/* Grid: append a copy of child (side by side, left to right). */
int ll_plot_grid_add(ll_plot *grid, const ll_plot *child, ll_err *err);

/* ---- renderers ---- */

/* 1 when text should use Unicode: LC_ALL/LC_CTYPE/LANG names UTF-8 and
 * LUALAB_ASCII is not "1". */
int ll_plot_unicode_default(void);

/* Lay the chart out on a width x height grid of cells (the form the curses
 * notebook draws; see canvas.h for colour indices).  Sizes below 10x3 are
 * raised to that.  out->cells is freed with ll_plot_cells_free. */
int ll_plot_render_cells(const ll_plot *p, int width, int height, int unicode,
                         ll_plot_cells *out, ll_err *err);
/* Text: one line per row, trailing blanks trimmed, '\n' after each line.
 * color 1 adds ANSI 256-colour escapes. */
int ll_plot_render_text(const ll_plot *p, int width, int height, int unicode,
                        int color, ll_buf *out, ll_err *err);
/* Cells (from ll_plot_render_cells) to text, as ll_plot_render_text. */
int ll_plot_cells_text(const ll_plot_cells *cells, int color, ll_buf *out);
/* A self-contained SVG document, width x height pixels (0: 640 x 400). */
int ll_plot_render_svg(const ll_plot *p, int width, int height, ll_buf *out,
                       ll_err *err);
/* Write the SVG to path atomically. */
int ll_plot_save_svg(const ll_plot *p, const char *path, int width, int height,
                     ll_err *err);

/* ---- live updates ---- */
uint64_t ll_plot_id(const ll_plot *p);
uint64_t ll_plot_version(const ll_plot *p);
/* Bumped whenever any chart changes: a cheap "anything to redraw?" test. */
uint64_t ll_plot_changes(void);
/* The chart with this id, or NULL once freed.  Borrowed: valid until Lua
 * code runs again (a collection may free it). */
ll_plot *ll_plot_find(uint64_t id);
/* The size in cells of the chart's last text display (its __display
 * records it); 0 when it was never displayed. */
void ll_plot_set_shown_size(ll_plot *p, int width, int height);
int ll_plot_shown_size(const ll_plot *p, int *width, int *height);
/* The chart as text again, at its last display's size (color 1: ANSI), so
 * a front end can redraw a displayed chart that changed. */
int ll_plot_render_display(const ll_plot *p, int color, ll_buf *out,
                           ll_err *err);

/* ---- pieces exposed for tests and other renderers ---- */

/* Nice ticks (1-2-5 x 10^k) inside [lo, hi], at most max_ticks of them
 * (>= 2 unless lo == hi).  Returns the count written to out (<= cap) and
 * the step in *step. */
int ll_plot_ticks(double lo, double hi, int max_ticks, double *out, int cap,
                  double *step);
/* Format v for a tick with the given step ("0.1355", "200k", "1e-07"). */
void ll_plot_format_tick(double v, double step, char *buf, size_t len);
/* Calendar ticks for x_type DATE (days) or DATETIME (ms) inside [lo, hi];
 * labels[i] gets a short label, long enough to be unambiguous. */
int ll_plot_date_ticks(double lo, double hi, int x_type, int max_ticks,
                       double *out, char (*labels)[32], int cap);
/* Parse an ISO date "YYYY-MM-DD" (-> days since 1970-01-01, *x_type DATE)
 * or date-time "YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z]" (-> ms since the epoch,
 * UTC, *x_type DATETIME).  0 on success, LL_EPARSE otherwise. */
int ll_plot_parse_date(const char *s, double *v, int *x_type);
/* numpy.histogram_bin_edges(y, bins) with bins = n, or "auto" when n is 0
 * (the larger bin count of Sturges and Freedman-Diaconis).  Non-finite
 * values are ignored.  *edges has *nbins + 1 entries, *counts *nbins;
 * both freed by the caller. */
int ll_plot_hist_bins(const double *y, size_t n, int bins, double **edges,
                      double **counts, size_t *nbins, ll_err *err);

/* A series as one line of text, one of the eight Unicode block characters
 * per column (the mean of the points that fall in it; NaN points are
 * skipped, a column of only NaN is a space), at most width columns, scaled
 * from the series' min to max (a flat series sits in the middle).
 * Appends to out; LL_OK or LL_ENOMEM. */
int ll_plot_sparkline_text(const double *v, size_t n, size_t width,
                           ll_buf *out);

#endif
