/*
 * render: a tensor as text, the way PyTorch prints one: one number format
 * for the whole tensor (integers as "3.", fixed "0.2500", or scientific
 * "1.0000e+09" when the nonzero finite magnitudes span more than 1000x,
 * pass 1e8 or, for fractions, fall under 1e-4), every entry right-aligned
 * to the widest nonzero finite one, nested brackets with rows aligned
 * under each other, and the middle of dims longer than 6 elided ("...",
 * as PyTorch with edgeitems 3).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn_int.h"

#define EDGE 3 /* entries kept at each end of an elided dim */

typedef struct fmt {
    int mode; /* 0 integers, 1 fixed, 2 scientific */
    int width;
} fmt;

static int shown(int64_t n, int64_t i)
{
    return n <= 2 * EDGE || i < EDGE || i >= n - EDGE;
}

static int fmt_one(const fmt *f, float v, char *s, size_t n)
{
    if (isnan(v))
        return snprintf(s, n, "nan");
    if (isinf(v))
        return snprintf(s, n, v > 0 ? "inf" : "-inf");
    if (f->mode == 0)
        return snprintf(s, n, "%.0f.", (double)v);
    if (f->mode == 1)
        return snprintf(s, n, "%.4f", (double)v);
    return snprintf(s, n, "%.4e", (double)v);
}

/* Visit the shown entries: min/max of |finite|, integrality. */
static void scan(const ll_tensor *t, int level, int64_t off, double *lo,
                 double *hi, int *ints, int *any)
{
    if (level == t->ndim) {
        float v = t->st->data[off];
        if (!isfinite(v))
            return;
        double a = fabs((double)v);
        *any = 1;
        if (v != floorf(v))
            *ints = 0;
        if (a > *hi)
            *hi = a;
        if (a > 0 && a < *lo)
            *lo = a;
        return;
    }
    int64_t n = t->shape[level];
    for (int64_t i = 0; i < n; i++)
        if (shown(n, i))
            scan(t, level + 1, off + i * t->stride[level], lo, hi, ints, any);
}

/* The width of the widest shown nonzero finite entry (PyTorch pads to it;
 * nan, inf and zeros do not count). */
static void widest(const ll_tensor *t, const fmt *f, int level, int64_t off,
                   int *w)
{
    if (level == t->ndim) {
        char s[64];
        float v = t->st->data[off];
        if (!isfinite(v) || v == 0)
            return;
        int n = fmt_one(f, v, s, sizeof s);
        if (n > *w)
            *w = n;
        return;
    }
    int64_t n = t->shape[level];
    for (int64_t i = 0; i < n; i++)
        if (shown(n, i))
            widest(t, f, level + 1, off + i * t->stride[level], w);
}

static int pad(ll_buf *b, int n)
{
    int rc = LL_OK;
    for (int k = 0; k < n && !rc; k++)
        rc = ll_buf_putc(b, ' ');
    return rc;
}

static int nested(ll_buf *b, const ll_tensor *t, const fmt *f, int level,
                  int64_t off, int indent)
{
    if (level == t->ndim) {
        char s[64];
        int n = fmt_one(f, t->st->data[off], s, sizeof s);
        return pad(b, f->width - n) || ll_buf_puts(b, s) ? LL_ENOMEM : LL_OK;
    }
    int64_t n = t->shape[level];
    int last = level == t->ndim - 1;
    int rc = ll_buf_putc(b, '[');
    for (int64_t i = 0; i < n && !rc; i++) {
        if (!shown(n, i)) {
            rc = ll_buf_puts(b, last ? " ..., " : "...,\n");
            if (!last && !rc)
                rc = pad(b, indent + 1);
            i = n - EDGE - 1;
            continue;
        }
        rc = nested(b, t, f, level + 1, off + i * t->stride[level], indent + 1);
        if (!rc && i + 1 < n) {
            /* blocks of matrices get a blank line between them */
            rc = ll_buf_puts(b, last                  ? ", "
                                : level + 2 < t->ndim ? ",\n\n"
                                                      : ",\n");
            if (!last && !rc)
                rc = pad(b, indent + 1);
        }
    }
    return rc ? rc : ll_buf_putc(b, ']');
}

int ll_tensor_render(const ll_tensor *t, ll_buf *out)
{
    double lo = INFINITY, hi = 0;
    int ints = 1, any = 0;
    scan(t, 0, t->offset, &lo, &hi, &ints, &any);
    fmt f = {1, 0};
    int wide = any && isfinite(lo) && (hi > 1e8 || hi / lo > 1000.0);
    if (ints)
        f.mode = wide ? 2 : 0;
    else if (wide || (any && lo < 1e-4))
        f.mode = 2;
    widest(t, &f, 0, t->offset, &f.width);
    const char *head = "tensor(";
    char s[LL_MAXDIM * 24 + 4];
    int rc = ll_buf_puts(out, head);
    if (!rc)
        rc = nested(out, t, &f, 0, t->offset, (int)strlen(head));
    if (!rc)
        rc = ll_buf_printf(out, ", shape=%s",
                           ll_shape_str(t->ndim, t->shape, s, sizeof s));
    if (!rc && t->node)
        rc = ll_buf_printf(out, ", grad_fn=%s", t->node->name);
    else if (!rc && t->requires_grad)
        rc = ll_buf_puts(out, ", requires_grad=true");
    return rc ? rc : ll_buf_putc(out, ')');
}
