/*
 * unitroot: how many differences AutoARIMA takes.  The KPSS test decides
 * the first differences d, as R forecast's ndiffs(); the strength of the
 * seasonal component of an STL decomposition decides the seasonal
 * difference D, as nsdiffs()'s default "seas" test (difference when the
 * strength exceeds 0.64).  STL here is the loess procedure of Cleveland,
 * Cleveland, McRae and Terpenning (1990) with R stl()'s defaults.
 */
#include "forecast/mstl.h"
#include "forecast/arima.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ll_fc_is_constant(const double *x, size_t n)
{
    if (n == 0)
        return 1;
    double diff = 0, mag = 0;
    for (size_t i = 0; i < n; i++) {
        diff += fabs(x[i] - x[0]);
        mag += fabs(x[i]);
    }
    diff /= (double)n;
    mag /= (double)n;
    if (isfinite(mag) && mag > 1.5e-8)
        diff /= mag;
    return diff <= 1.5e-8;
}

double ll_fc_kpss(const double *x, size_t n, int lags)
{
    if (n < 2)
        return NAN;
    if (lags < 0)
        lags = (int)trunc(3 * sqrt((double)n) / 13);
    double mean = 0;
    for (size_t i = 0; i < n; i++)
        mean += x[i];
    mean /= (double)n;
    double s = 0, num = 0, ss = 0;
    for (size_t i = 0; i < n; i++) {
        double e = x[i] - mean;
        s += e;
        num += s * s;
        ss += e * e;
    }
    double dn = (double)n;
    double denom = ss / dn;
    for (int l = 1; l <= lags && (size_t)l < n; l++) {
        double c = 0;
        for (size_t t = (size_t)l; t < n; t++)
            c += (x[t] - mean) * (x[t - (size_t)l] - mean);
        denom += 2.0 / dn * (1.0 - l / (lags + 1.0)) * c;
    }
    return num / (dn * dn) / denom;
}

int ll_fc_ndiffs(const double *x, size_t n, int max_d)
{
    /* The 5% critical value of the level KPSS test (urca's table); R
     * interpolates p-values between 0.347 (10%) and 0.463 (5%), so the
     * p-value is below 0.05 exactly when the statistic exceeds 0.463. */
    const double crit = 0.463;
    if (ll_fc_is_constant(x, n))
        return 0;
    double *w = malloc((n ? n : 1) * sizeof *w);
    if (!w)
        return 0;
    memcpy(w, x, n * sizeof *w);
    int d = 0;
    size_t len = n;
    double st = ll_fc_kpss(w, len, -1);
    int dodiff = isfinite(st) && st > crit;
    while (dodiff && d < max_d) {
        d++;
        for (size_t i = 0; i + 1 < len; i++)
            w[i] = w[i + 1] - w[i];
        len--;
        if (ll_fc_is_constant(w, len))
            break;
        st = ll_fc_kpss(w, len, -1);
        if (!isfinite(st)) {
            d--;
            break;
        }
        dodiff = st > crit;
    }
    free(w);
    return d;
}

/* ---- STL ----------------------------------------------------------
 * R's stl() with its defaults (robust off), from mstl.c: one STL in
 * lualab. */

int ll_fc_stl(const double *x, size_t nn, int period, int s_window,
              double *seasonal, double *trend, ll_err *err)
{
    ll_stl_opts o;
    ll_stl_default(&o, period, s_window);
    return ll_stl(x, nn, &o, seasonal, trend, err);
}

static double variance(const double *x, size_t n)
{
    double m = 0, s = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    return s / ((double)n - 1);
}

double ll_fc_seasonal_strength(const double *x, size_t n, int m)
{
    if (m < 2 || n <= 2 * (size_t)m)
        return NAN;
    double *buf = malloc(3 * n * sizeof *buf);
    if (!buf)
        return NAN;
    double *seas = buf, *trend = buf + n, *rem = buf + 2 * n;
    double out = NAN;
    if (ll_fc_stl(x, n, m, 11, seas, trend, NULL) == LL_OK) {
        for (size_t i = 0; i < n; i++)
            rem[i] = x[i] - seas[i] - trend[i];
        double vr = variance(rem, n);
        for (size_t i = 0; i < n; i++)
            rem[i] += seas[i];
        double vrs = variance(rem, n);
        out = 1 - vr / vrs;
        out = out < 0 ? 0 : out > 1 ? 1 : out;
    }
    free(buf);
    return out;
}

int ll_fc_nsdiffs(const double *x, size_t n, int m, int max_D)
{
    if (ll_fc_is_constant(x, n) || m < 2 || (size_t)m >= n)
        return 0;
    double st = ll_fc_seasonal_strength(x, n, m);
    if (!(st > 0.64) || max_D < 1)
        return 0;
    /* With max_D = 1 (AutoARIMA's) one seasonal difference is the most. */
    int D = 1;
    if (max_D > 1) {
        double *w = malloc(n * sizeof *w);
        if (!w)
            return D;
        size_t len = n;
        memcpy(w, x, n * sizeof *w);
        for (;;) {
            for (size_t i = 0; i + (size_t)m < len; i++)
                w[i] = w[i + (size_t)m] - w[i];
            len -= (size_t)m;
            if (ll_fc_is_constant(w, len) || len < 2 * (size_t)m || D >= max_D)
                break;
            st = ll_fc_seasonal_strength(w, len, m);
            if (!(st > 0.64))
                break;
            D++;
        }
        free(w);
    }
    return D;
}
