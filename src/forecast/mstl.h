/*
 * mstl: STL, the seasonal-trend decomposition by loess of Cleveland,
 * Cleveland, McRae and Terpenning (1990), and MSTL, STL applied in turn
 * to each of several seasonal periods as R forecast's mstl() does.  The
 * MSTL forecasting family (mstl.c) stands on these.
 */
#ifndef LL_FC_MSTL_H
#define LL_FC_MSTL_H

#include <stddef.h>

#include "util/err.h"

/* STL's settings, as R's stl() names them.  The windows are loess spans in
 * observations (odd, >= 3); the degrees 0 or 1; the jumps evaluate loess
 * every jump-th point and interpolate between.  inner is the number of
 * passes of the inner loop; outer the robustness iterations (0 = none). */
typedef struct ll_stl_opts {
    int period;
    int s_window, s_degree, s_jump;
    int t_window, t_degree, t_jump;
    int l_window, l_degree, l_jump;
    int inner, outer;
} ll_stl_opts;

/* R's defaults for period and s_window (robust off): t_window the next odd
 * of ceil(1.5 period / (1 - 1.5 / s_window)), l_window the next odd of
 * period, degrees 0 / 1 / 1, jumps ceil(window / 10), inner 2, outer 0. */
void ll_stl_default(ll_stl_opts *o, int period, int s_window);

/* Decomposes y (n values, n > 2 * period) into seasonal and trend (n
 * values each, caller's arrays); the remainder is y - seasonal - trend.
 * Returns 0, LL_EINVAL for a series shorter than two periods or a period
 * < 2, or LL_ENOMEM. */
int ll_stl(const double *y, size_t n, const ll_stl_opts *o, double *seasonal,
           double *trend, ll_err *err);

/* MSTL: periods (count values) are sorted ascending and those with fewer
 * than two full periods in y (period >= n / 2) are dropped, as R does;
 * *kept receives how many remain (the first *kept of periods, sorted in
 * place).  seasonals gets *kept rows of n values (row i for periods[i]),
 * trend n values.  s_window[i] is STL's seasonal window for the i-th kept
 * period (NULL = R's 11, 15, 19, ...).  iterate passes over the periods
 * (R: 2).  Returns LL_EINVAL when no period is left. */
int ll_mstl(const double *y, size_t n, int *periods, size_t count,
            const int *s_window, int iterate, double *seasonals, double *trend,
            size_t *kept, ll_err *err);

/* The components of a fit of the MSTL family: the trend (n values) and
 * the i-th seasonal (n values; *period gets its length), NULL past the
 * last.  The pointers live as long as the fit. */
struct ll_fc_fit;
const double *ll_fc_mstl_trend(const struct ll_fc_fit *f);
const double *ll_fc_mstl_seasonal(const struct ll_fc_fit *f, size_t i,
                                  int *period);

#endif
