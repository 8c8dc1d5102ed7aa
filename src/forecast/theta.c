/*
 * theta: the Theta method and its optimised state space forms.
 *
 * All three first test for seasonality as R's thetaf() does (the lag-m
 * autocorrelation against its standard error under white noise, one-sided
 * at 90%, only when there are more than two full seasons) and, when
 * seasonal, divide the series by the figure of a classical multiplicative
 * decomposition; forecasts are multiplied back.
 *
 * - Theta is R's thetaf(): simple exponential smoothing fitted by least
 *   squares (alpha and the initial level, as ses()), plus a drift of half
 *   the slope of a straight line through the series; the interval width is
 *   sigma sqrt(1 + (h - 1) alpha^2).
 * - OptimizedTheta is the optimised theta model of Fiorucci et al. (2016):
 *   mu_t = l_(t-1) + (1 - 1/theta) [(1 - alpha)^(t-1) A + B (1 - (1 -
 *   alpha)^t) / alpha], l_t = alpha y_t + (1 - alpha) l_(t-1), with A and B
 *   the intercept and slope of the least squares line through the whole
 *   series; l_0, alpha and theta >= 1 minimise the squared one-step errors.
 * - DynamicOptimizedTheta updates A and B at every step with the
 *   least squares line through the observations so far.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/families.h"
#include "forecast/forecast.h"
#include "forecast/optim.h"

enum theta_kind { THETA_STD, THETA_OPT, THETA_DYN };

typedef struct theta_fit {
    ll_fc_fit head;
    enum theta_kind kind;
    size_t m;
    int seasonal;
    double *figure; /* m multiplicative season factors (seasonal) */
    double alpha, theta, l0;
    double level; /* l_n */
    double A, B;  /* line at the end (OptimizedTheta, Dynamic) */
    double drift; /* Theta: half the slope */
    ll_fc_param pbuf[8];
} theta_fit;

/* R's thetaf() seasonality test. */
static int theta_seasonal(const double *y, size_t n, size_t m)
{
    if (m <= 1 || n <= 2 * m)
        return 0;
    double mean = 0;
    for (size_t t = 0; t < n; t++)
        mean += y[t];
    mean /= (double)n;
    double c0 = 0;
    for (size_t t = 0; t < n; t++)
        c0 += (y[t] - mean) * (y[t] - mean);
    if (!(c0 > 0))
        return 0;
    double sum2 = 0, rm = 0;
    for (size_t k = 1; k <= m; k++) {
        double c = 0;
        for (size_t t = 0; t + k < n; t++)
            c += (y[t] - mean) * (y[t + k] - mean);
        double r = c / c0;
        if (k < m)
            sum2 += r * r;
        else
            rm = r;
    }
    double stat = sqrt((1 + 2 * sum2) / (double)n);
    return fabs(rm) / stat > ll_fc_qnorm(0.95);
}

/* Least squares line through (t0 + i, y[i]). */
static void line_fit(const double *y, size_t n, double t0, double *icpt,
                     double *slope)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        double x = t0 + (double)i;
        sx += x, sy += y[i], sxx += x * x, sxy += x * y[i];
    }
    double nn = (double)n, den = nn * sxx - sx * sx;
    *slope = den != 0 ? (nn * sxy - sx * sy) / den : 0;
    *icpt = (sy - *slope * sx) / nn;
}

typedef struct theta_ctx {
    enum theta_kind kind;
    const double *y;
    size_t n;
    double A, B; /* static line */
    int opt_theta;
} theta_ctx;

/* SES one-step errors (Theta): x = alpha, l0. */
static double ses_mse(const double *x, size_t nx, void *vctx)
{
    (void)nx;
    theta_ctx *c = vctx;
    double alpha = x[0], l = x[1];
    if (alpha < 1e-4 || alpha > 0.9999)
        return INFINITY;
    double sse = 0;
    for (size_t t = 0; t < c->n; t++) {
        double e = c->y[t] - l;
        sse += e * e;
        l += alpha * e;
    }
    /* As R's lik(): the likelihood is checked before the MSE. */
    if ((double)c->n * log(sse) < -1e10)
        return -1e10;
    return sse / (double)c->n;
}

/* The theta model's filter: returns the sum of squared one-step errors;
 * fills fitted (when not NULL) and the final level and line. */
static double theta_filter(enum theta_kind kind, const double *y, size_t n,
                           double l0, double alpha, double theta, double A,
                           double B, double *fitted, double *lend, double *Aend,
                           double *Bend)
{
    double l = l0, sse = 0, w = 1 - 1 / theta;
    double a = A, b = B, ybar = 0, decay = 1; /* decay = (1-alpha)^(t-1) */
    if (kind == THETA_DYN) {
        a = y[0];
        b = 0;
    }
    for (size_t i = 0; i < n; i++) {
        double t = (double)(i + 1);
        double mu = l + w * (decay * a + b * (1 - decay * (1 - alpha)) / alpha);
        if (fitted)
            fitted[i] = mu;
        double e = y[i] - mu;
        sse += e * e;
        l = alpha * y[i] + (1 - alpha) * l;
        decay *= 1 - alpha;
        if (kind == THETA_DYN) {
            /* The least squares line through y[0..i] with times 1..t. */
            if (i == 0) {
                b = 0;
            } else {
                b = ((t - 2) * b + 6 / t * (y[i] - ybar)) / (t + 1);
            }
            ybar = (i * ybar + y[i]) / t;
            a = ybar - (t + 1) / 2 * b;
        }
    }
    if (lend)
        *lend = l;
    if (Aend)
        *Aend = a;
    if (Bend)
        *Bend = b;
    return sse;
}

/* x = l0, alpha[, theta] */
static double theta_obj(const double *x, size_t nx, void *vctx)
{
    (void)nx;
    theta_ctx *c = vctx;
    double alpha = x[1], theta = c->opt_theta ? x[2] : 2;
    if (alpha < 0.1 || alpha > 0.99 || theta < 1 || theta > 1e4)
        return INFINITY;
    return theta_filter(c->kind, c->y, c->n, x[0], alpha, theta, c->A, c->B,
                        NULL, NULL, NULL, NULL) /
           (double)c->n;
}

static void theta_free(ll_fc_fit *f)
{
    theta_fit *t = (theta_fit *)f;
    free(t->figure);
    free(f->fitted);
    free(t);
}

static int theta_predict(const ll_fc_fit *f, size_t h, const double *xf,
                         const double *levels, size_t nlevels, double *mean,
                         double *lo, double *hi, ll_err *err)
{
    (void)xf, (void)err;
    const theta_fit *t = (const theta_fit *)f;
    double alpha = t->alpha;
    size_t n = f->n;
    for (size_t i = 0; i < h; i++) {
        double fc;
        if (t->kind == THETA_STD) {
            fc = t->level +
                 t->drift *
                     ((double)i + (1 - pow(1 - alpha, (double)n)) / alpha);
        } else {
            double w = 1 - 1 / t->theta;
            fc = t->level +
                 w * (pow(1 - alpha, (double)n) * t->A +
                      t->B * ((double)i +
                              (1 - pow(1 - alpha, (double)n + 1)) / alpha));
        }
        if (t->seasonal)
            fc *= t->figure[(n + i) % t->m];
        mean[i] = fc;
        double se = sqrt(f->sigma2 * (1 + (double)i * alpha * alpha));
        for (size_t l = 0; l < nlevels; l++) {
            double z = ll_fc_normal_quantile(levels[l]);
            lo[l * h + i] = fc - z * se;
            hi[l * h + i] = fc + z * se;
        }
    }
    return LL_OK;
}

static const ll_fc_fit_ops theta_ops = {theta_predict, theta_free, NULL};

static void put_param(theta_fit *t, const char *name, double v)
{
    ll_fc_param *p = &t->pbuf[t->head.nparams++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->value = v;
}

static const char *kind_name(enum theta_kind k)
{
    return k == THETA_STD   ? "Theta"
           : k == THETA_OPT ? "OptimizedTheta"
                            : "DynamicOptimizedTheta";
}

/* Fit (params == NULL) or restore (params given). */
static int theta_run(enum theta_kind kind, const ll_fc_family *fam,
                     const ll_fc_spec *spec, const ll_fc_param *params,
                     size_t nparams, const ll_fc_data *data, ll_fc_fit **out,
                     ll_err *err)
{
    size_t n = data->n;
    size_t m = spec->season_length > 1 ? (size_t)spec->season_length : 1;
    theta_fit *t = calloc(1, sizeof *t);
    double *x = malloc(n * sizeof *x);
    if (!t || !x) {
        free(t), free(x);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    t->head.ops = &theta_ops;
    t->head.family = fam;
    t->head.spec = *spec;
    t->head.spec.family = fam->name;
    t->head.n = n;
    t->head.params = t->pbuf;
    t->head.loglik = t->head.aic = t->head.aicc = t->head.bic = NAN;
    t->kind = kind;
    t->m = m;
    t->head.fitted = malloc(n * sizeof *t->head.fitted);
    if (!t->head.fitted) {
        free(x);
        theta_free(&t->head);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    memcpy(x, data->y, n * sizeof *x);
    double ymin = x[0], ymax = x[0];
    for (size_t i = 1; i < n; i++)
        ymin = fmin(ymin, x[i]), ymax = fmax(ymax, x[i]);
    int constant = ymin == ymax;
    t->seasonal = !constant && theta_seasonal(x, n, m);
    if (t->seasonal) {
        t->figure = malloc(m * sizeof *t->figure);
        if (!t->figure || ll_fc_classical_figure(x, n, m, 1, t->figure) < 0) {
            free(x);
            theta_free(&t->head);
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        }
        /* As R, near-zero season factors fall back to the non-seasonal
         * method; so do undefined ones (a zero or negative moving
         * average, which R would carry into its forecasts as NaN). */
        for (size_t j = 0; j < m; j++)
            if (!isfinite(t->figure[j]) || fabs(t->figure[j]) < 1e-4)
                t->seasonal = 0;
        if (t->seasonal)
            for (size_t i = 0; i < n; i++)
                x[i] /= t->figure[i % m];
    }
    double *fitted = t->head.fitted;
    double sse;
    size_t npar;
    const char *pnames[3] = {"alpha", "l0", "theta"};
    double pv[3] = {NAN, NAN, NAN};
    for (size_t i = 0; params && i < nparams; i++)
        for (int k = 0; k < 3; k++)
            if (strcmp(params[i].name, pnames[k]) == 0)
                pv[k] = params[i].value;
    if (params &&
        (isnan(pv[0]) || isnan(pv[1]) || (kind != THETA_STD && isnan(pv[2])))) {
        free(x);
        theta_free(&t->head);
        return ll_err_set(err, LL_EINVAL, "%s: restore needs alpha, l0%s",
                          fam->name, kind != THETA_STD ? " and theta" : "");
    }
    if (kind == THETA_STD) {
        /* ses(): alpha and l0 by least squares from R's start. */
        double p[2];
        if (params) {
            p[0] = pv[0], p[1] = pv[1];
        } else if (constant) {
            p[0] = 0.9999, p[1] = x[0];
        } else {
            size_t maxn = n < 10 ? n : 10;
            double s = 0;
            for (size_t i = 0; i < maxn; i++)
                s += x[i];
            p[0] = 1e-4 + 0.2 * (0.9999 - 1e-4);
            p[1] = s / (double)maxn;
            theta_ctx c = {kind, x, n, 0, 0, 0};
            ll_opt_opts o = {.max_iter = 2000};
            if (ll_opt_nelder_mead(ses_mse, &c, p, 2, &o, NULL) < 0) {
                free(x);
                theta_free(&t->head);
                return ll_err_set(err, LL_ENOMEM, "out of memory");
            }
        }
        t->alpha = fmax(1e-10, p[0]);
        t->l0 = p[1];
        double l = t->l0;
        sse = 0;
        for (size_t i = 0; i < n; i++) {
            double e = x[i] - l;
            fitted[i] = l;
            sse += e * e;
            l += t->alpha * e;
        }
        t->level = l;
        double icpt, slope;
        line_fit(x, n, 0, &icpt, &slope);
        t->drift = slope / 2; /* fitted values stay those of ses() */
        npar = 2;
    } else {
        double A, B;
        line_fit(x, n, 1, &A, &B);
        theta_ctx c = {kind, x, n, A, B, 1};
        double p[3];
        if (params) {
            p[0] = pv[1], p[1] = pv[0], p[2] = pv[2];
        } else if (constant) {
            p[0] = x[0] / 2, p[1] = 0.5, p[2] = 2;
        } else {
            /* Start from the standard theta model's values. */
            p[0] = x[0] / 2, p[1] = 0.5, p[2] = 2;
            ll_opt_opts o = {.max_iter = 1000};
            if (ll_opt_nelder_mead(theta_obj, &c, p, 3, &o, NULL) < 0) {
                free(x);
                theta_free(&t->head);
                return ll_err_set(err, LL_ENOMEM, "out of memory");
            }
        }
        t->l0 = p[0], t->alpha = p[1], t->theta = p[2];
        sse = theta_filter(kind, x, n, t->l0, t->alpha, t->theta, A, B, fitted,
                           &t->level, &t->A, &t->B);
        npar = 3;
    }
    if (t->seasonal)
        for (size_t i = 0; i < n; i++)
            fitted[i] *= t->figure[i % m];
    t->head.sigma2 = n > npar ? sse / (double)(n - npar) : 0;
    if (constant)
        t->head.sigma2 = 0;
    if (kind != THETA_STD) {
        /* A Gaussian likelihood of the one-step errors, for comparisons
         * between theta models. */
        double s2 = sse / (double)n;
        double ll =
            s2 > 0 ? -0.5 * (double)n * (log(2 * M_PI * s2) + 1) : (double)NAN;
        ll_fc_set_ic(&t->head, ll, npar + 1, n);
    }
    free(x);
    put_param(t, "alpha", t->alpha);
    put_param(t, "l0", t->l0);
    if (kind == THETA_STD) {
        put_param(t, "drift", t->drift);
    } else {
        put_param(t, "theta", t->theta);
        put_param(t, "A", t->A);
        put_param(t, "B", t->B);
    }
    put_param(t, "seasonal", t->seasonal);
    if (t->seasonal)
        snprintf(t->head.method, sizeof t->head.method, "%s[%zu]",
                 kind_name(kind), m);
    else
        snprintf(t->head.method, sizeof t->head.method, "%s", kind_name(kind));
    *out = &t->head;
    return LL_OK;
}

static size_t theta_min_length(const ll_fc_spec *spec)
{
    (void)spec;
    return 4;
}

#define THETA_FAMILY(sym, kind, label)                                         \
    static int sym##_fit(const ll_fc_spec *spec, const ll_fc_data *data,       \
                         ll_fc_fit **out, ll_err *err)                         \
    {                                                                          \
        return theta_run(kind, &sym, spec, NULL, 0, data, out, err);           \
    }                                                                          \
    static int sym##_restore(const ll_fc_spec *spec, const ll_fc_param *p,     \
                             size_t np, const ll_fc_data *data,                \
                             ll_fc_fit **out, ll_err *err)                     \
    {                                                                          \
        return theta_run(kind, &sym, spec, p, np, data, out, err);             \
    }                                                                          \
    const ll_fc_family sym = {label, sym##_fit, sym##_restore,                 \
                              theta_min_length, 0};

THETA_FAMILY(ll_fc_theta, THETA_STD, "Theta")
THETA_FAMILY(ll_fc_optimized_theta, THETA_OPT, "OptimizedTheta")
THETA_FAMILY(ll_fc_dynamic_optimized_theta, THETA_DYN, "DynamicOptimizedTheta")
