/*
 * unitroot: how many differences AutoARIMA takes.  The KPSS test decides
 * the first differences d, as R forecast's ndiffs(); the strength of the
 * seasonal component of an STL decomposition decides the seasonal
 * difference D, as nsdiffs()'s default "seas" test (difference when the
 * strength exceeds 0.64).  STL here is the loess procedure of Cleveland,
 * Cleveland, McRae and Terpenning (1990) with R stl()'s defaults.
 */
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

/* ---- STL ---------------------------------------------------------- */

/* The local (degree 0 or 1) tricube-weighted fit at xs over the 1-based
 * window nleft..nright; 0 when every weight is zero. */
static int stl_est(const double *y, int n, int len, int ideg, double xs,
                   double *ys, int nleft, int nright, double *w,
                   const double *rw)
{
    double range = n - 1.0;
    double h = fmax(xs - nleft, nright - xs);
    if (len > n)
        h += (double)((len - n) / 2);
    double h9 = 0.999 * h, h1 = 0.001 * h, a = 0;
    for (int j = nleft; j <= nright; j++) {
        w[j - 1] = 0;
        double r = fabs(j - xs);
        if (r <= h9) {
            if (r <= h1)
                w[j - 1] = 1;
            else {
                double q = r / h;
                q = 1 - q * q * q;
                w[j - 1] = q * q * q;
            }
            if (rw)
                w[j - 1] *= rw[j - 1];
            a += w[j - 1];
        }
    }
    if (a <= 0)
        return 0;
    for (int j = nleft; j <= nright; j++)
        w[j - 1] /= a;
    if (h > 0 && ideg > 0) {
        a = 0;
        for (int j = nleft; j <= nright; j++)
            a += w[j - 1] * j;
        double b = xs - a, c = 0;
        for (int j = nleft; j <= nright; j++)
            c += w[j - 1] * (j - a) * (j - a);
        if (sqrt(c) > 0.001 * range) {
            b /= c;
            for (int j = nleft; j <= nright; j++)
                w[j - 1] *= b * (j - a) + 1;
        }
    }
    double s = 0;
    for (int j = nleft; j <= nright; j++)
        s += w[j - 1] * y[j - 1];
    *ys = s;
    return 1;
}

/* Loess smoothing of y (n values) with span len, evaluated every njump
 * points and linearly interpolated between. */
static void stl_ess(const double *y, int n, int len, int ideg, int njump,
                    const double *rw, double *ys, double *res)
{
    if (n < 2) {
        ys[0] = y[0];
        return;
    }
    int newnj = njump < n - 1 ? njump : n - 1;
    int nleft = 1, nright = n;
    if (len >= n) {
        for (int i = 1; i <= n; i += newnj)
            if (!stl_est(y, n, len, ideg, i, &ys[i - 1], nleft, nright, res,
                         rw))
                ys[i - 1] = y[i - 1];
    } else if (newnj == 1) {
        int nsh = (len + 1) / 2;
        nright = len;
        for (int i = 1; i <= n; i++) {
            if (i > nsh && nright != n) {
                nleft++;
                nright++;
            }
            if (!stl_est(y, n, len, ideg, i, &ys[i - 1], nleft, nright, res,
                         rw))
                ys[i - 1] = y[i - 1];
        }
    } else {
        int nsh = (len + 1) / 2;
        for (int i = 1; i <= n; i += newnj) {
            if (i < nsh) {
                nleft = 1;
                nright = len;
            } else if (i >= n - nsh + 1) {
                nleft = n - len + 1;
                nright = n;
            } else {
                nleft = i - nsh + 1;
                nright = len + i - nsh;
            }
            if (!stl_est(y, n, len, ideg, i, &ys[i - 1], nleft, nright, res,
                         rw))
                ys[i - 1] = y[i - 1];
        }
    }
    if (newnj != 1) {
        for (int i = 1; i <= n - newnj; i += newnj) {
            double delta = (ys[i + newnj - 1] - ys[i - 1]) / newnj;
            for (int j = i + 1; j <= i + newnj - 1; j++)
                ys[j - 1] = ys[i - 1] + delta * (j - i);
        }
        int k = ((n - 1) / newnj) * newnj + 1;
        if (k != n) {
            if (!stl_est(y, n, len, ideg, n, &ys[n - 1], nleft, nright, res,
                         rw))
                ys[n - 1] = y[n - 1];
            if (k != n - 1) {
                double delta = (ys[n - 1] - ys[k - 1]) / (n - k);
                for (int j = k + 1; j <= n - 1; j++)
                    ys[j - 1] = ys[k - 1] + delta * (j - k);
            }
        }
    }
}

/* Moving average of length len: n - len + 1 values. */
static void stl_ma(const double *x, int n, int len, double *ave)
{
    int newn = n - len + 1;
    double v = 0;
    for (int i = 0; i < len; i++)
        v += x[i];
    ave[0] = v / len;
    for (int j = 1, k = len, m = 0; j < newn; j++, k++, m++) {
        v = v - x[m] + x[k];
        ave[j] = v / len;
    }
}

/* Smooth each cycle-subseries and extend it one period at both ends:
 * season gets n + 2 * np values. */
static void stl_ss(const double *y, int n, int np, int ns, int isdeg,
                   int nsjump, double *season, double *w1, double *w2,
                   double *w4)
{
    for (int j = 1; j <= np; j++) {
        int k = (n - j) / np + 1;
        for (int i = 1; i <= k; i++)
            w1[i - 1] = y[(i - 1) * np + j - 1];
        stl_ess(w1, k, ns, isdeg, nsjump, NULL, w2 + 1, w4);
        int nright = ns < k ? ns : k;
        if (!stl_est(w1, k, ns, isdeg, 0, &w2[0], 1, nright, w4, NULL))
            w2[0] = w2[1];
        int nleft = k - ns + 1 > 1 ? k - ns + 1 : 1;
        if (!stl_est(w1, k, ns, isdeg, k + 1, &w2[k + 1], nleft, k, w4, NULL))
            w2[k + 1] = w2[k];
        for (int m = 1; m <= k + 2; m++)
            season[(m - 1) * np + j - 1] = w2[m - 1];
    }
}

int ll_fc_stl(const double *x, size_t nn, int period, int s_window,
              double *seasonal, double *trend, ll_err *err)
{
    if (period < 2 || nn < 2 * (size_t)period || nn > 100000000)
        return ll_err_set(err, LL_EINVAL,
                          "STL needs at least two periods of %d, got %zu "
                          "observations",
                          period, nn);
    int n = (int)nn, np = period;
    int ns = s_window < 3 ? 3 : s_window;
    if (ns % 2 == 0)
        ns++;
    int nt = (int)ceil(1.5 * np / (1 - 1.5 / ns));
    if (nt % 2 == 0)
        nt++;
    int nl = np % 2 == 0 ? np + 1 : np;
    if (nt < 3)
        nt = 3;
    if (nl < 3)
        nl = 3;
    int nsjump = (ns + 9) / 10, ntjump = (nt + 9) / 10, nljump = (nl + 9) / 10;
    int isdeg = 0, itdeg = 1, ildeg = 1;
    size_t wl = (size_t)n + 2 * (size_t)np;
    double *work = calloc(wl * 5, sizeof *work);
    if (!work)
        return ll_err_set(err, LL_ENOMEM, "out of memory in STL");
    double *w1 = work, *w2 = work + wl, *w3 = work + 2 * wl,
           *w4 = work + 3 * wl, *w5 = work + 4 * wl;
    for (int i = 0; i < n; i++)
        trend[i] = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < n; i++)
            w1[i] = x[i] - trend[i];
        stl_ss(w1, n, np, ns, isdeg, nsjump, w2, w3, w4, w5);
        stl_ma(w2, n + 2 * np, np, w3);
        stl_ma(w3, n + np + 1, np, w1);
        stl_ma(w1, n + 2, 3, w3);
        stl_ess(w3, n, nl, ildeg, nljump, NULL, w1, w5);
        for (int i = 0; i < n; i++)
            seasonal[i] = w2[np + i] - w1[i];
        for (int i = 0; i < n; i++)
            w1[i] = x[i] - seasonal[i];
        stl_ess(w1, n, nt, itdeg, ntjump, NULL, trend, w3);
    }
    free(work);
    return LL_OK;
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
