/*
 * forecast: the wrappers over a family's functions and the helpers shared
 * by the families (normal and Student t quantiles, information criteria).
 */
#include "forecast/forecast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ll_fc_spec_init(ll_fc_spec *s, const char *family)
{
    memset(s, 0, sizeof *s);
    s->family = family;
    s->damped = -1;
    s->p = s->d = s->q = s->P = s->D = s->Q = -1;
    s->include_drift = -1;
    s->include_mean = -1;
    s->stepwise = 1;
    s->approximation = -1;
    s->yearly = s->weekly = s->daily = -1;
    s->n_changepoints = -1;
}

static int check_data(const ll_fc_family *fam, const ll_fc_spec *spec,
                      const ll_fc_data *data, ll_err *err)
{
    if (!data || !data->y || data->n == 0)
        return ll_err_set(err, LL_EINVAL, "%s: the series is empty", fam->name);
    for (size_t i = 0; i < data->n; i++)
        if (!isfinite(data->y[i]))
            return ll_err_set(err, LL_EINVAL,
                              "%s: the target has a missing value (NA) at "
                              "position %zu; fill or drop it first",
                              fam->name, i + 1);
    if (data->k > 0 && !fam->takes_regressors)
        return ll_err_set(err, LL_EINVAL,
                          "%s takes no exogenous regressors (got %zu)",
                          fam->name, data->k);
    if (data->k > 0 && !data->x)
        return ll_err_set(err, LL_EINVAL, "%s: regressors are missing",
                          fam->name);
    size_t need = fam->min_length ? fam->min_length(spec) : 1;
    if (data->n < need) {
        if (spec->season_length > 1)
            return ll_err_set(err, LL_EINVAL,
                              "series too short: %s with season_length %d "
                              "needs at least %zu observations, got %zu",
                              fam->name, spec->season_length, need, data->n);
        return ll_err_set(err, LL_EINVAL,
                          "series too short: %s needs at least %zu "
                          "observations, got %zu",
                          fam->name, need, data->n);
    }
    return LL_OK;
}

int ll_fc_fit_series(const ll_fc_spec *spec, const ll_fc_data *data,
                     ll_fc_fit **out, ll_err *err)
{
    *out = NULL;
    const ll_fc_family *fam = ll_fc_family_find(spec->family);
    if (!fam)
        return ll_err_set(err, LL_ENOTFOUND, "unknown forecasting model '%s'",
                          spec->family ? spec->family : "(null)");
    if (spec->season_length < 0)
        return ll_err_set(err, LL_EINVAL,
                          "%s: season_length must be >= 1, got %d", fam->name,
                          spec->season_length);
    int rc = check_data(fam, spec, data, err);
    if (rc < 0)
        return rc;
    rc = fam->fit(spec, data, out, err);
    if (rc < 0) {
        ll_fc_fit_free(*out);
        *out = NULL;
    }
    return rc;
}

int ll_fc_predict(const ll_fc_fit *f, size_t h, const double *xf,
                  const double *levels, size_t nlevels, double *mean,
                  double *lo, double *hi, ll_err *err)
{
    if (h == 0)
        return ll_err_set(err, LL_EINVAL,
                          "forecast horizon h must be >= 1, got 0");
    if (f->k > 0 && !xf)
        return ll_err_set(err, LL_EINVAL,
                          "%s was fitted with %zu regressors: the future "
                          "regressors X are missing",
                          f->method, f->k);
    for (size_t l = 0; l < nlevels; l++)
        if (!(levels[l] > 0 && levels[l] < 100))
            return ll_err_set(err, LL_EINVAL,
                              "level must be between 0 and 100, got %g",
                              levels[l]);
    return f->ops->predict(f, h, xf, levels, nlevels, mean, lo, hi, err);
}

void ll_fc_fit_free(ll_fc_fit *f)
{
    if (!f)
        return;
    f->ops->free(f);
}

void ll_fc_residuals(const ll_fc_fit *f, const double *y, double *out)
{
    for (size_t i = 0; i < f->n; i++)
        out[i] = f->fitted ? y[i] - f->fitted[i] : (double)NAN;
}

/* The standard normal quantile: a rational first guess (Acklam's
 * coefficients), refined by a Halley step on erfc. */
double ll_fc_qnorm(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    if (!(p > 0 && p < 1))
        return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
    double x;
    if (p < 0.02425) {
        double q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q +
             c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - 0.02425) {
        double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r +
             a[5]) *
            q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        double q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q +
              c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    for (int i = 0; i < 2; i++) {
        double e = 0.5 * erfc(-x / sqrt(2.0)) - p;
        double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
        x = x - u / (1 + x * u / 2);
    }
    return x;
}

double ll_fc_normal_quantile(double level)
{
    return ll_fc_qnorm(0.5 + level / 200.0);
}

/* One step of the modified Lentz method with coefficient aa: updates c
 * and d (kept off zero) and returns the factor for the fraction. */
static double lentz_step(double aa, double *c, double *d)
{
    const double tiny = 1e-300;
    *d = 1 + aa * *d;
    if (fabs(*d) < tiny)
        *d = tiny;
    *c = 1 + aa / *c;
    if (fabs(*c) < tiny)
        *c = tiny;
    *d = 1 / *d;
    return *d * *c;
}

/* The regularised incomplete beta function by its continued fraction. */
static double betacf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 300; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        h *= lentz_step(aa, &c, &d);
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        double del = lentz_step(aa, &c, &d);
        h *= del;
        if (fabs(del - 1) < 1e-15)
            break;
    }
    return h;
}

static double ibeta(double a, double b, double x)
{
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    double lbt =
        lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1) / (a + b + 2))
        return exp(lbt) * betacf(a, b, x) / a;
    return 1 - exp(lbt) * betacf(b, a, 1 - x) / b;
}

/* Student t distribution function with df degrees of freedom. */
static double pt(double t, double df)
{
    double x = df / (df + t * t);
    double tail = 0.5 * ibeta(df / 2, 0.5, x);
    return t > 0 ? 1 - tail : tail;
}

double ll_fc_qt(double p, double df)
{
    if (!(df > 0))
        return NAN;
    if (df > 1e7)
        return ll_fc_qnorm(p);
    double lo = -1, hi = 1;
    while (pt(lo, df) > p)
        lo *= 2;
    while (pt(hi, df) < p)
        hi *= 2;
    for (int i = 0; i < 200 && hi - lo > 1e-13 * fmax(1, fabs(hi)); i++) {
        double mid = 0.5 * (lo + hi);
        if (pt(mid, df) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

void ll_fc_set_ic(ll_fc_fit *f, double loglik, size_t npar, size_t nobs)
{
    double k = (double)npar, n = (double)nobs;
    f->loglik = loglik;
    f->aic = -2 * loglik + 2 * k;
    f->bic = f->aic + (log(n) - 2) * k;
    f->aicc = n - k - 1 > 0 ? f->aic + 2 * k * (k + 1) / (n - k - 1)
                            : (double)INFINITY;
}

/* Classical decomposition (R's decompose): the seasonal figure of each
 * position (position 0 = y[0]), normalised. */
int ll_fc_classical_figure(const double *y, size_t n, size_t m, int mult,
                           double *figure)
{
    size_t half = m / 2;
    double *sum = calloc(m, sizeof *sum);
    size_t *cnt = calloc(m, sizeof *cnt);
    if (!sum || !cnt) {
        free(sum), free(cnt);
        return LL_ENOMEM;
    }
    for (size_t t = half; t + half < n; t++) {
        double tr = 0;
        if (m % 2 == 0) {
            tr = 0.5 * (y[t - half] + y[t + half]);
            for (size_t j = t - half + 1; j < t + half; j++)
                tr += y[j];
        } else {
            for (size_t j = t - half; j <= t + half; j++)
                tr += y[j];
        }
        tr /= (double)m;
        sum[t % m] += mult ? y[t] / tr : y[t] - tr;
        cnt[t % m]++;
    }
    double mean = 0;
    for (size_t i = 0; i < m; i++) {
        figure[i] = cnt[i] ? sum[i] / (double)cnt[i] : (mult ? 1 : 0);
        mean += figure[i];
    }
    mean /= (double)m;
    for (size_t i = 0; i < m; i++)
        figure[i] = mult ? figure[i] / mean : figure[i] - mean;
    free(sum), free(cnt);
    return LL_OK;
}

int ll_fc_fill(double *y, size_t n, int mode, size_t *skip, ll_err *err)
{
    *skip = 0;
    if (mode == LL_FC_FILL_NONE) {
        for (size_t i = 0; i < n; i++)
            if (isnan(y[i]))
                return ll_err_set(err, LL_EINVAL,
                                  "the target has a missing value (NA) at "
                                  "position %zu; use fill = \"ffill\" or "
                                  "\"interpolate\"",
                                  i + 1);
        return LL_OK;
    }
    size_t first = 0;
    while (first < n && isnan(y[first]))
        first++;
    if (first == n)
        return ll_err_set(err, LL_EINVAL, "the target has no values");
    *skip = first;
    size_t last = first; /* the last present value */
    for (size_t i = first + 1; i < n; i++) {
        if (isnan(y[i]))
            continue;
        if (i > last + 1) {
            for (size_t j = last + 1; j < i; j++)
                y[j] = mode == LL_FC_FILL_FFILL
                           ? y[last]
                           : y[last] + (y[i] - y[last]) * (double)(j - last) /
                                           (double)(i - last);
        }
        last = i;
    }
    for (size_t j = last + 1; j < n; j++)
        y[j] = y[last];
    return LL_OK;
}
