/*
 * canvas: a grid of character cells with a 2x4 dot raster on top, the
 * surface every text chart is drawn on.
 *
 * Dots use braille (U+2800 + bits: each cell holds 2 columns x 4 rows of
 * dots) when unicode is on; in ASCII a cell with dots shows its series'
 * marker ('*', '+', 'o', 'x', '#', '@').  Cells written with
 * ll_canvas_put/ll_canvas_text (axes, labels, bars) replace dots.
 *
 * Colours are small indices, mapped to real colours by each renderer:
 *   0 default, 1..6 series palette (blue, orange, green, red, purple, cyan),
 *   7 axes and ticks (grey), 8 reference lines, 16..23 a dark-to-bright
 *   ramp for heatmaps.  attr is a bit set of LL_CELL_BOLD / LL_CELL_DIM.
 */
#ifndef LL_CANVAS_H
#define LL_CANVAS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum { LL_CELL_BOLD = 1, LL_CELL_DIM = 2 };
enum {
    LL_COLOR_DEFAULT = 0,
    LL_COLOR_AXIS = 7,
    LL_COLOR_REF = 8,
    LL_COLOR_RAMP = 16, /* 16..23 */
    LL_COLOR_RAMP_N = 8
};

/* One character cell: the form the curses notebook draws. */
typedef struct ll_plot_cell {
    uint32_t cp; /* Unicode code point (' ' when empty) */
    uint8_t fg;  /* colour index, see above */
    uint8_t bg;  /* 0: none */
    uint8_t attr;
} ll_plot_cell;

typedef struct ll_plot_cells {
    int width, height;
    ll_plot_cell *cells; /* row-major, width * height */
} ll_plot_cells;

void ll_plot_cells_free(ll_plot_cells *c);

typedef struct ll_canvas ll_canvas;

/* A blank canvas of width x height cells; NULL with err filled when out
 * of memory. */
ll_canvas *ll_canvas_new(int width, int height, int unicode, ll_err *err);
void ll_canvas_free(ll_canvas *c);
int ll_canvas_width(const ll_canvas *c);
int ll_canvas_height(const ll_canvas *c);
int ll_canvas_unicode(const ll_canvas *c);

/* Dots, in dot coordinates (0..2*width-1, 0..4*height-1, y down); points
 * outside are clipped.  color is the series colour (1..6). */
void ll_canvas_dot(ll_canvas *c, int x, int y, int color);
/* Dash the dots that follow: only dot columns x with x % period < on are
 * drawn (period 0: solid). */
void ll_canvas_dash(ll_canvas *c, int period, int on);
/* Restrict dots to a rectangle of dot coordinates (inclusive). */
void ll_canvas_clip(ll_canvas *c, int x0, int y0, int x1, int y1);
void ll_canvas_line(ll_canvas *c, int x0, int y0, int x1, int y1, int color);
/* A vertical run of dots in one dot column (y0..y1 inclusive). */
void ll_canvas_vspan(ll_canvas *c, int x, int y0, int y1, int color);

/* Cells (clipped).  put replaces the cell's dots. */
void ll_canvas_put(ll_canvas *c, int x, int y, uint32_t cp, int fg, int bg,
                   int attr);
/* UTF-8 text from (x, y), one cell per code point; returns cells used. */
int ll_canvas_text(ll_canvas *c, int x, int y, const char *s, int fg, int attr);
/* Cells a UTF-8 string takes (its code point count). */
int ll_utf8_cells(const char *s);

/* Finish: dots become braille or markers.  The cells are copied into out
 * (freed with ll_plot_cells_free).  0 or LL_ENOMEM. */
int ll_canvas_cells(const ll_canvas *c, ll_plot_cells *out);

#endif
