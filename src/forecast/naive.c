/*
 * naive: the six baselines.  Naive, SeasonalNaive and RandomWalkWithDrift
 * are random walks at lag 1 or m with the prediction intervals of R's
 * naive(), snaive() and rwf(drift = TRUE): the h-step variance is the
 * one-step residual variance times the number of whole seasons ahead, plus
 * the drift's own standard error growing with the horizon.
 * HistoricAverage is R's meanf(): the mean, with Student t intervals of
 * sd * sqrt(1 + 1/n).  WindowAverage (the mean of the last `window`
 * values) and SeasonalWindowAverage (for each position in the season, the
 * mean of that position over the last `window` seasons) take their
 * interval width from the in-sample one-step errors of the same rule.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/families.h"
#include "forecast/forecast.h"

enum base_kind {
    BASE_NAIVE,
    BASE_SNAIVE,
    BASE_MEAN,
    BASE_WINDOW,
    BASE_SWINDOW,
    BASE_DRIFT
};

typedef struct base_fit {
    ll_fc_fit head;
    enum base_kind kind;
    size_t lag;   /* the forecast repeats vals[0..lag) */
    double *vals; /* lag values */
    double drift, drift_se;
    double mse; /* one-step error variance */
    double sd;  /* HistoricAverage: sd(y), with n - 1 degrees of freedom */
    ll_fc_param pbuf[4];
} base_fit;

static void base_free(ll_fc_fit *f)
{
    base_fit *b = (base_fit *)f;
    free(b->vals);
    free(f->fitted);
    free(b);
}

static int base_predict(const ll_fc_fit *f, size_t h, const double *xf,
                        const double *levels, size_t nlevels, double *mean,
                        double *lo, double *hi, ll_err *err)
{
    (void)xf, (void)err;
    const base_fit *b = (const base_fit *)f;
    for (size_t i = 0; i < h; i++) {
        double steps = (double)(i / b->lag + 1);
        double se;
        if (b->kind == BASE_MEAN)
            se = b->sd * sqrt(1.0 + 1.0 / (double)f->n);
        else if (b->kind == BASE_WINDOW || b->kind == BASE_SWINDOW)
            se = sqrt(b->mse);
        else
            se = sqrt(b->mse * steps + pow(steps * b->drift_se, 2));
        double fc = b->vals[i % b->lag];
        if (b->kind == BASE_DRIFT)
            fc += (double)(i + 1) * b->drift;
        mean[i] = fc;
        for (size_t l = 0; l < nlevels; l++) {
            double z = b->kind == BASE_MEAN
                           ? ll_fc_qt(0.5 + levels[l] / 200.0, (double)f->n - 1)
                           : ll_fc_normal_quantile(levels[l]);
            lo[l * h + i] = fc - z * se;
            hi[l * h + i] = fc + z * se;
        }
    }
    return LL_OK;
}

static const ll_fc_fit_ops base_ops = {base_predict, base_free, NULL};

static size_t season_of(const ll_fc_spec *s)
{
    return s->season_length > 1 ? (size_t)s->season_length : 1;
}

static size_t window_of(const ll_fc_spec *s, enum base_kind kind)
{
    if (s->window > 0)
        return (size_t)s->window;
    if (kind == BASE_SWINDOW)
        return 2;
    return season_of(s) > 1 ? season_of(s) : 4;
}

static void add_param(base_fit *b, const char *name, double v)
{
    ll_fc_param *p = &b->pbuf[b->head.nparams++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->value = v;
}

static int base_fit_kind(enum base_kind kind, const ll_fc_family *fam,
                         const ll_fc_spec *spec, const ll_fc_data *data,
                         ll_fc_fit **out, ll_err *err)
{
    const double *y = data->y;
    size_t n = data->n;
    size_t m = season_of(spec);
    size_t lag = kind == BASE_SNAIVE || kind == BASE_SWINDOW ? m : 1;
    base_fit *b = calloc(1, sizeof *b);
    if (!b)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    b->head.ops = &base_ops;
    b->head.family = fam;
    b->head.spec = *spec;
    b->head.spec.family = fam->name;
    b->head.n = n;
    b->head.loglik = b->head.aic = b->head.aicc = b->head.bic = NAN;
    b->head.params = b->pbuf;
    b->kind = kind;
    b->lag = lag;
    b->vals = malloc(lag * sizeof *b->vals);
    b->head.fitted = malloc(n * sizeof *b->head.fitted);
    if (!b->vals || !b->head.fitted) {
        base_free(&b->head);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    double *fitted = b->head.fitted;
    for (size_t t = 0; t < n; t++)
        fitted[t] = NAN;
    switch (kind) {
    case BASE_NAIVE:
    case BASE_SNAIVE:
    case BASE_DRIFT: {
        /* Lag walk: fitted[t] = y[t - lag] (+ drift). */
        double sum = 0;
        size_t cnt = n - lag;
        for (size_t t = lag; t < n; t++)
            sum += y[t] - y[t - lag];
        double b0 = 0, bse = 0;
        if (kind == BASE_DRIFT) {
            b0 = sum / (double)cnt;
            double ss = 0;
            for (size_t t = lag; t < n; t++)
                ss += pow(y[t] - y[t - lag] - b0, 2);
            double s2 = cnt > 1 ? ss / (double)(cnt - 1) : 0;
            bse = sqrt(s2 / (double)cnt);
        }
        double ss = 0;
        for (size_t t = lag; t < n; t++) {
            fitted[t] = y[t - lag] + b0;
            ss += pow(y[t] - fitted[t], 2);
        }
        /* R divides by the count less one when a drift was estimated. */
        size_t dfree = cnt - (kind == BASE_DRIFT && b0 != 0);
        b->mse = dfree > 0 ? ss / (double)dfree : 0;
        b->drift = b0;
        b->drift_se = bse;
        for (size_t i = 0; i < lag; i++)
            b->vals[i] = y[n - lag + i];
        if (kind == BASE_DRIFT) {
            add_param(b, "drift", b0);
            add_param(b, "drift_se", bse);
        }
        snprintf(b->head.method, sizeof b->head.method, "%s",
                 kind == BASE_NAIVE    ? "Naive"
                 : kind == BASE_SNAIVE ? "SeasonalNaive"
                                       : "RandomWalkWithDrift");
        if (kind == BASE_SNAIVE)
            snprintf(b->head.method, sizeof b->head.method,
                     "SeasonalNaive[%zu]", m);
        break;
    }
    case BASE_MEAN: {
        double s = 0;
        for (size_t t = 0; t < n; t++)
            s += y[t];
        double mu = s / (double)n, ss = 0;
        for (size_t t = 0; t < n; t++) {
            fitted[t] = mu;
            ss += pow(y[t] - mu, 2);
        }
        b->sd = n > 1 ? sqrt(ss / (double)(n - 1)) : (double)NAN;
        b->mse = n > 0 ? ss / (double)n : 0;
        b->vals[0] = mu;
        add_param(b, "mean", mu);
        snprintf(b->head.method, sizeof b->head.method, "HistoricAverage");
        break;
    }
    case BASE_WINDOW:
    case BASE_SWINDOW: {
        size_t w = window_of(spec, kind);
        /* fitted[t]: the mean of the w values (at lag multiples) before
         * t; the last lag positions give the forecast. */
        double ss = 0;
        size_t cnt = 0;
        for (size_t t = w * lag; t <= n; t++) {
            double s = 0;
            for (size_t j = 1; j <= w; j++)
                s += y[t - j * lag];
            double v = s / (double)w;
            if (t < n) {
                fitted[t] = v;
                ss += pow(y[t] - v, 2);
                cnt++;
            }
        }
        for (size_t i = 0; i < lag; i++) {
            double s = 0;
            for (size_t j = 1; j <= w; j++)
                s += y[n + i - j * lag];
            b->vals[i] = s / (double)w;
        }
        b->mse = cnt > 0 ? ss / (double)cnt : 0;
        b->head.spec.window = (int)w;
        add_param(b, "window", (double)w);
        if (kind == BASE_WINDOW)
            snprintf(b->head.method, sizeof b->head.method,
                     "WindowAverage(%zu)", w);
        else
            snprintf(b->head.method, sizeof b->head.method,
                     "SeasonalWindowAverage(%zu)[%zu]", w, m);
        break;
    }
    }
    b->head.sigma2 = kind == BASE_MEAN ? b->sd * b->sd : b->mse;
    *out = &b->head;
    return LL_OK;
}

static size_t base_min_length(enum base_kind kind, const ll_fc_spec *s)
{
    switch (kind) {
    case BASE_NAIVE:
        return 2;
    case BASE_SNAIVE:
        return season_of(s) + 1;
    case BASE_DRIFT:
        return 3;
    case BASE_MEAN:
        return 2;
    case BASE_WINDOW:
        return window_of(s, kind) + 1;
    case BASE_SWINDOW:
        return window_of(s, kind) * season_of(s) + 1;
    }
    return 1;
}

#define BASE_FAMILY(sym, kind, label)                                          \
    static int sym##_fit(const ll_fc_spec *spec, const ll_fc_data *data,       \
                         ll_fc_fit **out, ll_err *err)                         \
    {                                                                          \
        return base_fit_kind(kind, &sym, spec, data, out, err);                \
    }                                                                          \
    static int sym##_restore(const ll_fc_spec *spec, const ll_fc_param *p,     \
                             size_t np, const ll_fc_data *data,                \
                             ll_fc_fit **out, ll_err *err)                     \
    {                                                                          \
        (void)p, (void)np;                                                     \
        return base_fit_kind(kind, &sym, spec, data, out, err);                \
    }                                                                          \
    static size_t sym##_min(const ll_fc_spec *s)                               \
    {                                                                          \
        return base_min_length(kind, s);                                       \
    }                                                                          \
    const ll_fc_family sym = {label, sym##_fit, sym##_restore, sym##_min, 0};

BASE_FAMILY(ll_fc_naive, BASE_NAIVE, "Naive")
BASE_FAMILY(ll_fc_seasonal_naive, BASE_SNAIVE, "SeasonalNaive")
BASE_FAMILY(ll_fc_historic_average, BASE_MEAN, "HistoricAverage")
BASE_FAMILY(ll_fc_window_average, BASE_WINDOW, "WindowAverage")
BASE_FAMILY(ll_fc_seasonal_window_average, BASE_SWINDOW,
            "SeasonalWindowAverage")
BASE_FAMILY(ll_fc_rw_drift, BASE_DRIFT, "RandomWalkWithDrift")
