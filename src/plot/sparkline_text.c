/* sparkline_text: a series as one line of block characters (plot.h). */
#include <math.h>

#include "plot/plot.h"

static const char *const blocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                      "\u2585", "\u2586", "\u2587", "\u2588"};

int ll_plot_sparkline_text(const double *v, size_t n, size_t width, ll_buf *out)
{
    if (n == 0 || width == 0)
        return LL_OK;
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i]))
            continue;
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    size_t cols = n < width ? n : width;
    int rc = LL_OK;
    for (size_t c = 0; c < cols && rc == LL_OK; c++) {
        /* the mean of the points that fall into this column */
        size_t a = c * n / cols, b = (c + 1) * n / cols;
        double sum = 0;
        size_t k = 0;
        for (size_t i = a; i < b; i++)
            if (!isnan(v[i])) {
                sum += v[i];
                k++;
            }
        if (k == 0) {
            rc = ll_buf_putc(out, ' ');
            continue;
        }
        double x = sum / (double)k;
        int level = hi > lo ? (int)lround((x - lo) / (hi - lo) * 7.0) : 3;
        rc = ll_buf_puts(out, blocks[level < 0 ? 0 : level > 7 ? 7 : level]);
    }
    return rc;
}
