/*
 * croston: forecasts for intermittent demand (many zeros, occasional
 * positive orders), after Croston (1972).  Two simple exponential
 * smoothings run over the non-zero demands: one over their sizes z, one
 * over the intervals p between them (in periods); the forecast is the
 * flat rate z / p.
 *
 *   Croston          alpha 0.1 for both, as R forecast's croston(): each
 *                    smoothing starts at its first value.
 *   CrostonSBA       the same times 1 - alpha / 2 (Syntetos and Boylan's
 *                    bias correction).
 *   CrostonOptimized each alpha chosen in [0.1, 0.3] to minimise the
 *                    one-step squared errors of its own smoothing, as
 *                    statsforecast's CrostonOptimized.
 *
 * The fitted value at t is the forecast made from y[0 .. t-1] (NAN at
 * t = 0), as R's croston() reports.  Croston has no stochastic model;
 * the intervals here are mean +- z * sigma with sigma the root mean
 * squared one-step error, cut at zero below because demand is never
 * negative.  Negative values are refused.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/forecast.h"

enum { CR_CLASSIC, CR_SBA, CR_OPTIMIZED };

typedef struct croston_fit {
    ll_fc_fit head;
    double rate; /* the flat point forecast */
} croston_fit;

static void croston_free(ll_fc_fit *f)
{
    if (!f)
        return;
    free(f->fitted);
    free(f->params);
    free(f);
}

static int croston_predict(const ll_fc_fit *f, size_t h, const double *xf,
                           const double *levels, size_t nlevels, double *mean,
                           double *lo, double *hi, ll_err *err)
{
    (void)xf;
    (void)err;
    const croston_fit *c = (const croston_fit *)f;
    double sigma = sqrt(f->sigma2);
    for (size_t i = 0; i < h; i++)
        mean[i] = c->rate;
    for (size_t l = 0; l < nlevels; l++) {
        double z = ll_fc_normal_quantile(levels[l]);
        for (size_t i = 0; i < h; i++) {
            double lower = c->rate - z * sigma;
            lo[l * h + i] = lower > 0 ? lower : 0;
            hi[l * h + i] = c->rate + z * sigma;
        }
    }
    return LL_OK;
}

static const ll_fc_fit_ops croston_ops = {croston_predict, croston_free, NULL};

/* One-step squared error of simple exponential smoothing over x[0..n-1]
 * started at x[0] (the first error, at t = 1, compares x[1] with x[0]). */
static double ses_sse(const double *x, size_t n, double alpha)
{
    double level = x[0], sse = 0;
    for (size_t t = 1; t < n; t++) {
        double e = x[t] - level;
        sse += e * e;
        level += alpha * e;
    }
    return sse;
}

/* The alpha in [0.1, 0.3] with the least ses_sse, by golden-section search
 * (the SSE of SES is smooth in alpha; the bracket is narrow). */
static double ses_best_alpha(const double *x, size_t n)
{
    double a = 0.1, b = 0.3;
    if (n < 3)
        return a;
    const double g = 0.6180339887498949;
    double c = b - g * (b - a), d = a + g * (b - a);
    double fc = ses_sse(x, n, c), fd = ses_sse(x, n, d);
    while (b - a > 1e-7) {
        if (fc <= fd) {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = ses_sse(x, n, c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = ses_sse(x, n, d);
        }
    }
    /* The ends are candidates too: SSE may be monotone on the bracket. */
    double best = (a + b) / 2, fbest = ses_sse(x, n, best);
    if (ses_sse(x, n, 0.1) < fbest) {
        best = 0.1;
        fbest = ses_sse(x, n, 0.1);
    }
    if (ses_sse(x, n, 0.3) < fbest)
        best = 0.3;
    return best;
}

static int variant_of(const char *family)
{
    if (strcmp(family, "CrostonSBA") == 0)
        return CR_SBA;
    if (strcmp(family, "CrostonOptimized") == 0)
        return CR_OPTIMIZED;
    return CR_CLASSIC;
}

/* Runs the two smoothings over y with the given alphas and fills the fit:
 * rate, fitted values, sigma2 and params. */
static int croston_build(const ll_fc_family *fam, const ll_fc_spec *spec,
                         const ll_fc_data *data, double alpha_z, double alpha_p,
                         ll_fc_fit **out, ll_err *err)
{
    int variant = variant_of(fam->name);
    double factor = 1.0;
    if (variant == CR_SBA)
        factor = 1 - alpha_z / 2;
    size_t n = data->n;
    croston_fit *c = calloc(1, sizeof *c);
    if (!c)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    ll_fc_fit *f = &c->head;
    f->ops = &croston_ops;
    f->family = fam;
    f->spec = *spec;
    f->n = n;
    f->fitted = malloc(n * sizeof *f->fitted);
    f->params = calloc(4, sizeof *f->params);
    if (!f->fitted || !f->params) {
        croston_free(f);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    /* After each prefix y[0..t], the forecast for t + 1. */
    double z = 0, p = 0; /* smoothed size and interval */
    size_t demands = 0;  /* non-zero values seen */
    size_t last = 0;     /* 1-based position of the last demand */
    double rate = 0;
    double sse = 0;
    size_t nerr = 0;
    for (size_t t = 0; t < n; t++) {
        f->fitted[t] = t == 0 ? (double)NAN : rate;
        if (t > 0) {
            double e = data->y[t] - rate;
            sse += e * e;
            nerr++;
        }
        if (data->y[t] > 0) {
            double interval = (double)(t + 1 - last);
            last = t + 1;
            demands++;
            if (demands == 1) {
                z = data->y[t];
                p = interval;
            } else {
                z += alpha_z * (data->y[t] - z);
                p += alpha_p * (interval - p);
            }
            rate = factor * z / p;
        }
    }
    c->rate = rate;
    f->sigma2 = nerr > 0 ? sse / (double)nerr : 0;
    f->loglik = f->aic = f->aicc = f->bic = NAN;
    snprintf(f->method, sizeof f->method, "%s", fam->name);
    static const char *names[] = {"alpha_demand", "alpha_interval", "demand",
                                  "interval"};
    double values[] = {alpha_z, alpha_p, z, p};
    for (size_t i = 0; i < 4; i++) {
        snprintf(f->params[i].name, sizeof f->params[i].name, "%s", names[i]);
        f->params[i].value = values[i];
    }
    f->nparams = 4;
    *out = f;
    return LL_OK;
}

static int croston_check(const ll_fc_family *fam, const ll_fc_data *data,
                         ll_err *err)
{
    if (data->k > 0)
        return ll_err_set(err, LL_EINVAL, "%s takes no regressors, got %zu",
                          fam->name, data->k);
    for (size_t t = 0; t < data->n; t++)
        if (data->y[t] < 0)
            return ll_err_set(err, LL_EINVAL,
                              "%s needs non-negative demand, got %g at "
                              "position %zu",
                              fam->name, data->y[t], t + 1);
    return LL_OK;
}

/* Sizes and intervals of the non-zero demands of y, for the optimised
 * variant.  *sizes and *intervals are new arrays of *count values. */
static int demands_of(const ll_fc_data *data, double **sizes,
                      double **intervals, size_t *count)
{
    size_t n = data->n, m = 0;
    *sizes = malloc((n ? n : 1) * sizeof **sizes);
    *intervals = malloc((n ? n : 1) * sizeof **intervals);
    if (!*sizes || !*intervals) {
        free(*sizes);
        free(*intervals);
        return LL_ENOMEM;
    }
    size_t last = 0;
    for (size_t t = 0; t < n; t++)
        if (data->y[t] > 0) {
            (*sizes)[m] = data->y[t];
            (*intervals)[m] = (double)(t + 1 - last);
            last = t + 1;
            m++;
        }
    *count = m;
    return LL_OK;
}

static const ll_fc_family *family_named(const char *name);

static int croston_fit_fn(const ll_fc_spec *spec, const ll_fc_data *data,
                          ll_fc_fit **out, ll_err *err)
{
    const ll_fc_family *fam = family_named(spec->family);
    int rc = croston_check(fam, data, err);
    if (rc < 0)
        return rc;
    double alpha_z = 0.1, alpha_p = 0.1;
    if (variant_of(fam->name) == CR_OPTIMIZED) {
        double *sizes, *intervals;
        size_t m;
        if (demands_of(data, &sizes, &intervals, &m) < 0)
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        if (m > 0) {
            alpha_z = ses_best_alpha(sizes, m);
            alpha_p = ses_best_alpha(intervals, m);
        }
        free(sizes);
        free(intervals);
    }
    return croston_build(fam, spec, data, alpha_z, alpha_p, out, err);
}

static int croston_restore(const ll_fc_spec *spec, const ll_fc_param *params,
                           size_t nparams, const ll_fc_data *data,
                           ll_fc_fit **out, ll_err *err)
{
    const ll_fc_family *fam = family_named(spec->family);
    int rc = croston_check(fam, data, err);
    if (rc < 0)
        return rc;
    double alpha_z = NAN, alpha_p = NAN;
    for (size_t i = 0; i < nparams; i++) {
        if (strcmp(params[i].name, "alpha_demand") == 0)
            alpha_z = params[i].value;
        else if (strcmp(params[i].name, "alpha_interval") == 0)
            alpha_p = params[i].value;
    }
    if (!(alpha_z > 0 && alpha_z <= 1 && alpha_p > 0 && alpha_p <= 1))
        return ll_err_set(err, LL_EINVAL,
                          "%s restore needs params alpha_demand and "
                          "alpha_interval in (0, 1]",
                          fam->name);
    return croston_build(fam, spec, data, alpha_z, alpha_p, out, err);
}

static size_t croston_min_length(const ll_fc_spec *spec)
{
    (void)spec;
    return 1;
}

const ll_fc_family ll_fc_croston = {"Croston", croston_fit_fn, croston_restore,
                                    croston_min_length, 0};
const ll_fc_family ll_fc_croston_sba = {"CrostonSBA", croston_fit_fn,
                                        croston_restore, croston_min_length, 0};
const ll_fc_family ll_fc_croston_optimized = {
    "CrostonOptimized", croston_fit_fn, croston_restore, croston_min_length, 0};

static const ll_fc_family *family_named(const char *name)
{
    if (name && strcmp(name, "CrostonSBA") == 0)
        return &ll_fc_croston_sba;
    if (name && strcmp(name, "CrostonOptimized") == 0)
        return &ll_fc_croston_optimized;
    return &ll_fc_croston;
}
