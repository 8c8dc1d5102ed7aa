/*
 * canvas: cells plus a braille dot raster (see canvas.h).
 */
#include <stdlib.h>
#include <string.h>

#include "plot/canvas.h"
#include "util/err.h"

struct ll_canvas {
    int w, h, unicode;
    ll_plot_cell *cells;
    uint8_t *dots;          /* braille bit set per cell */
    uint8_t *dotcol;        /* colour of the last dot drawn in the cell */
    uint8_t *fixed;         /* 1 when the cell was put (dots hidden) */
    int cx0, cy0, cx1, cy1; /* dot clip rectangle, inclusive */
    int dash_period, dash_on;
};

/* Braille dot bits by (column, row) inside a cell. */
static const uint8_t braille_bit[4][2] = {
    {0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};

static const char ascii_marker[9] = {'*', '*', '+', 'o', 'x',
                                     '#', '@', '.', '.'};

void ll_plot_cells_free(ll_plot_cells *c)
{
    if (!c)
        return;
    free(c->cells);
    c->cells = NULL;
    c->width = c->height = 0;
}

ll_canvas *ll_canvas_new(int width, int height, int unicode, ll_err *err)
{
    if (width < 1)
        width = 1;
    if (height < 1)
        height = 1;
    ll_canvas *c = calloc(1, sizeof *c);
    if (!c) {
        ll_err_oom(err);
        return NULL;
    }
    size_t n = (size_t)width * (size_t)height;
    c->w = width;
    c->h = height;
    c->unicode = unicode;
    c->cells = calloc(n, sizeof *c->cells);
    c->dots = calloc(n, 1);
    c->dotcol = calloc(n, 1);
    c->fixed = calloc(n, 1);
    if (!c->cells || !c->dots || !c->dotcol || !c->fixed) {
        ll_canvas_free(c);
        ll_err_oom(err);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        c->cells[i].cp = ' ';
    ll_canvas_clip(c, 0, 0, 2 * width - 1, 4 * height - 1);
    return c;
}

void ll_canvas_free(ll_canvas *c)
{
    if (!c)
        return;
    free(c->cells);
    free(c->dots);
    free(c->dotcol);
    free(c->fixed);
    free(c);
}

int ll_canvas_width(const ll_canvas *c)
{
    return c->w;
}

int ll_canvas_height(const ll_canvas *c)
{
    return c->h;
}

int ll_canvas_unicode(const ll_canvas *c)
{
    return c->unicode;
}

void ll_canvas_clip(ll_canvas *c, int x0, int y0, int x1, int y1)
{
    c->cx0 = x0 < 0 ? 0 : x0;
    c->cy0 = y0 < 0 ? 0 : y0;
    c->cx1 = x1 >= 2 * c->w ? 2 * c->w - 1 : x1;
    c->cy1 = y1 >= 4 * c->h ? 4 * c->h - 1 : y1;
}

void ll_canvas_dash(ll_canvas *c, int period, int on)
{
    c->dash_period = period > 0 ? period : 0;
    c->dash_on = on;
}

void ll_canvas_dot(ll_canvas *c, int x, int y, int color)
{
    if (c->dash_period && x % c->dash_period >= c->dash_on)
        return;
    if (x < c->cx0 || y < c->cy0 || x > c->cx1 || y > c->cy1)
        return;
    size_t i = (size_t)(y / 4) * (size_t)c->w + (size_t)(x / 2);
    c->dots[i] |= braille_bit[y % 4][x % 2];
    c->dotcol[i] = (uint8_t)color;
}

void ll_canvas_vspan(ll_canvas *c, int x, int y0, int y1, int color)
{
    if (y0 > y1) {
        int t = y0;
        y0 = y1;
        y1 = t;
    }
    if (y0 < c->cy0)
        y0 = c->cy0;
    if (y1 > c->cy1)
        y1 = c->cy1;
    for (int y = y0; y <= y1; y++)
        ll_canvas_dot(c, x, y, color);
}

void ll_canvas_line(ll_canvas *c, int x0, int y0, int x1, int y1, int color)
{
    /* Bresenham; callers clip far-away ends so this stays short. */
    int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    int dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int e = dx + dy;
    for (;;) {
        ll_canvas_dot(c, x0, y0, color);
        if (x0 == x1 && y0 == y1)
            break;
        int e2 = 2 * e;
        if (e2 >= dy) {
            e += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            e += dx;
            y0 += sy;
        }
    }
}

void ll_canvas_put(ll_canvas *c, int x, int y, uint32_t cp, int fg, int bg,
                   int attr)
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h)
        return;
    size_t i = (size_t)y * (size_t)c->w + (size_t)x;
    c->cells[i].cp = cp;
    c->cells[i].fg = (uint8_t)fg;
    c->cells[i].bg = (uint8_t)bg;
    c->cells[i].attr = (uint8_t)attr;
    c->fixed[i] = 1;
}

/* Decode one UTF-8 sequence; invalid bytes come out as U+FFFD. */
static uint32_t utf8_next(const unsigned char **ps)
{
    const unsigned char *s = *ps;
    uint32_t cp;
    int extra;
    if (s[0] < 0x80) {
        *ps = s + 1;
        return s[0];
    }
    if ((s[0] & 0xE0) == 0xC0) {
        cp = s[0] & 0x1F;
        extra = 1;
    } else if ((s[0] & 0xF0) == 0xE0) {
        cp = s[0] & 0x0F;
        extra = 2;
    } else if ((s[0] & 0xF8) == 0xF0) {
        cp = s[0] & 0x07;
        extra = 3;
    } else {
        *ps = s + 1;
        return 0xFFFD;
    }
    for (int k = 1; k <= extra; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            *ps = s + k;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    *ps = s + extra + 1;
    return cp;
}

int ll_utf8_cells(const char *s)
{
    int n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        utf8_next(&p);
        n++;
    }
    return n;
}

int ll_canvas_text(ll_canvas *c, int x, int y, const char *s, int fg, int attr)
{
    int n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp = utf8_next(&p);
        if (!c->unicode && cp > 0x7E)
            cp = '?';
        ll_canvas_put(c, x + n, y, cp, fg, 0, attr);
        n++;
    }
    return n;
}

int ll_canvas_cells(const ll_canvas *c, ll_plot_cells *out)
{
    size_t n = (size_t)c->w * (size_t)c->h;
    out->cells = malloc(n * sizeof *out->cells);
    if (!out->cells)
        return LL_ENOMEM;
    out->width = c->w;
    out->height = c->h;
    for (size_t i = 0; i < n; i++) {
        ll_plot_cell cell = c->cells[i];
        if (!c->fixed[i] && c->dots[i]) {
            int col = c->dotcol[i];
            cell.fg = (uint8_t)col;
            if (c->unicode)
                cell.cp = 0x2800u + c->dots[i];
            else
                cell.cp = (uint32_t)ascii_marker[col <= 8 ? col : 1];
        }
        out->cells[i] = cell;
    }
    return LL_OK;
}
