/*
 * print: frames and columns as text tables for the REPL and notebooks.
 * Column names over their types, numbers right-aligned, NA as "NA", the
 * columns that fit the width (the rest counted), long frames elided in the
 * middle, and the shape underneath.
 */
#define _POSIX_C_SOURCE 200809L
#include "frame/frame.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CELL 24

static size_t text_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

/* Cut s to at most max display columns, ending with "~" when cut. */
static void cell_text(const char *s, size_t n, char *out, size_t cap,
                      size_t max)
{
    size_t w = 0, i = 0, k = 0;
    size_t tw = text_width(s, n);
    while (i < n && k + 5 < cap) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (tw > max && w == max - 1)
                break;
            w++;
        }
        char c = s[i++];
        out[k++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    }
    if (tw > max && k + 1 < cap)
        out[k++] = '~';
    out[k] = 0;
}

/* Display text of a cell: floats with at most 6 significant digits. */
static void format_cell(const ll_column *c, int64_t i, ll_buf *out)
{
    if (c->type == LL_FLOAT && !ll_col_isna(c, i)) {
        double x = LL_F64(c)[i];
        char t[64];
        int n = ll_format_float(x, t, sizeof t);
        if (n > 9 && x == x && fabs(x) < 1e15) {
            snprintf(t, sizeof t, "%.6g", x);
            if (!strchr(t, '.') && !strchr(t, 'e') && !strchr(t, 'n'))
                strcat(t, ".0");
        }
        ll_buf_puts(out, t);
        return;
    }
    ll_col_format(c, i, out);
}

static int right_aligned(const ll_column *c)
{
    return c->type == LL_INT || c->type == LL_FLOAT || c->type == LL_BOOL;
}

static void pad(ll_buf *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ll_buf_putc(out, ' ');
}

static void put_cell(ll_buf *out, const char *s, size_t w, int right)
{
    size_t tw = text_width(s, strlen(s));
    if (right)
        pad(out, w > tw ? w - tw : 0);
    ll_buf_puts(out, s);
    if (!right)
        pad(out, w > tw ? w - tw : 0);
}

static const char *short_type(ll_dtype t)
{
    static const char *const n[] = {"bool", "int",  "float",   "str",
                                    "cat",  "date", "datetime"};
    return n[t];
}

int ll_frame_render(const ll_frame *f, int width, int max_rows, ll_buf *out)
{
    if (width < 20)
        width = 20;
    if (max_rows < 2)
        max_rows = 2;
    int64_t n = f->nrow;
    int elide = n > max_rows;
    int64_t top = elide ? max_rows / 2 : n;
    int64_t bottom = elide ? max_rows - top : 0;
    int64_t shown = top + bottom;
    int64_t *rows = malloc(sizeof(int64_t) * (size_t)(shown + 1));
    if (!rows)
        return LL_ENOMEM;
    for (int64_t i = 0; i < top; i++)
        rows[i] = i;
    for (int64_t i = 0; i < bottom; i++)
        rows[top + i] = n - bottom + i;
    /* index column */
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%lld", (long long)n);
    size_t idxw = strlen(tmp);
    /* column widths and which columns fit */
    size_t *w = calloc((size_t)f->ncol + 1, sizeof *w);
    if (!w) {
        free(rows);
        return LL_ENOMEM;
    }
    ll_buf cell;
    ll_buf_init(&cell);
    size_t used = idxw;
    int ncols = 0;
    for (int j = 0; j < f->ncol; j++) {
        const ll_column *c = f->cols[j];
        size_t cw = text_width(f->names[j], strlen(f->names[j]));
        if (cw > MAX_CELL)
            cw = MAX_CELL;
        size_t tw = strlen(short_type(c->type)) + 2;
        if (tw > cw)
            cw = tw;
        for (int64_t k = 0; k < shown; k++) {
            ll_buf_reset(&cell);
            format_cell(c, rows[k], &cell);
            size_t vw = text_width(ll_buf_str(&cell), cell.len);
            if (vw > MAX_CELL)
                vw = MAX_CELL;
            if (vw > cw)
                cw = vw;
        }
        int more = j + 1 < f->ncol;
        if (used + 2 + cw + (more ? 5 : 0) > (size_t)width && ncols > 0)
            break;
        w[j] = cw;
        used += 2 + cw;
        ncols++;
    }
    int hidden = f->ncol - ncols;
    /* header: names, then types */
    for (int line = 0; line < 2; line++) {
        pad(out, idxw);
        for (int j = 0; j < ncols; j++) {
            ll_buf_puts(out, "  ");
            if (line == 0)
                cell_text(f->names[j], strlen(f->names[j]), tmp, sizeof tmp,
                          w[j]);
            else
                snprintf(tmp, sizeof tmp, "<%s>", short_type(f->cols[j]->type));
            put_cell(out, tmp, w[j], right_aligned(f->cols[j]));
        }
        if (hidden)
            ll_buf_puts(out, "  ...");
        ll_buf_putc(out, '\n');
    }
    for (int64_t k = 0; k < shown; k++) {
        if (elide && k == top) {
            put_cell(out, "...", idxw, 1);
            for (int j = 0; j < ncols; j++) {
                ll_buf_puts(out, "  ");
                put_cell(out, "...", w[j], right_aligned(f->cols[j]));
            }
            ll_buf_putc(out, '\n');
        }
        snprintf(tmp, sizeof tmp, "%lld", (long long)rows[k] + 1);
        put_cell(out, tmp, idxw, 1);
        for (int j = 0; j < ncols; j++) {
            ll_buf_puts(out, "  ");
            ll_buf_reset(&cell);
            format_cell(f->cols[j], rows[k], &cell);
            cell_text(ll_buf_str(&cell), cell.len, tmp, sizeof tmp, w[j]);
            put_cell(out, tmp, w[j], right_aligned(f->cols[j]));
        }
        if (hidden)
            ll_buf_puts(out, "  ...");
        ll_buf_putc(out, '\n');
    }
    ll_buf_printf(out, "[%lld rows x %d columns]", (long long)n, f->ncol);
    if (hidden)
        ll_buf_printf(out, " (%d not shown)", hidden);
    ll_buf_free(&cell);
    free(w);
    free(rows);
    return out->data || out->len == 0 ? LL_OK : LL_ENOMEM;
}

int ll_col_render(const ll_column *c, const char *name, int width, int max_rows,
                  ll_buf *out)
{
    ll_frame f = {1, 1, c->len, (ll_column **)(uintptr_t)&c, NULL};
    char *names[1] = {(char *)(uintptr_t)name};
    f.names = names;
    int rc = ll_frame_render(&f, width, max_rows, out);
    if (rc)
        return rc;
    /* a column: say so instead of the frame shape */
    const char *last = strrchr(ll_buf_str(out), '[');
    if (last) {
        out->len = (size_t)(last - out->data);
        out->data[out->len] = 0;
        ll_buf_printf(out, "[Column '%s' <%s>, %lld rows]", name,
                      ll_dtype_name(c->type), (long long)c->len);
    }
    return LL_OK;
}
