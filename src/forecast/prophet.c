/*
 * prophet: the model of Facebook's Prophet (Taylor and Letham, 2018) with
 * linear growth, fitted as its maximum a posteriori estimate.
 *
 *   y(t) = g(t) + s(t) + x(t) beta_x + e,   e ~ N(0, sigma^2)
 *
 * g is piecewise linear and continuous: rate k plus delta_j from each
 * changepoint c_j on, offset m adjusted so the pieces join.  By default 25
 * changepoints sit on history points spread evenly over the first 80% of
 * the history.  s is a sum of Fourier series of the time in days since
 * 1970-01-01: yearly (period 365.25, order 10), weekly (7, order 3), daily
 * (1, order 4), each switched on automatically as Prophet does (yearly
 * when the history spans two years, weekly when it spans two weeks at a
 * step under 7 days, daily when it spans two days at a step under a day).
 * Regressors are standardised (unless 0/1) and enter additively.
 *
 * As in Prophet, y is divided by max |y| and time scaled to [0, 1] over
 * the history; the priors are k, m ~ N(0, 5), delta ~ Laplace(0, 0.05),
 * seasonal and regressor coefficients ~ N(0, 10), sigma ~ N+(0, 0.5).
 * The MAP is found by L-BFGS with bounds (optim.h): each delta is split
 * into a positive and a negative part, both >= 0, so the Laplace prior is
 * a smooth linear penalty; sigma is profiled out (its optimum given the
 * residual sum of squares has a closed form); every parameter is scaled by
 * the root of its curvature so the problem is well conditioned.
 *
 * Intervals are simulated as Prophet's uncertainty samples: 1000 future
 * paths in which new changepoints occur at the history's average rate
 * with Laplace changes of the history's mean |delta|, plus observation
 * noise; the quantiles of the paths bound the interval.  The generator is
 * seeded by spec.seed, so a fit forecasts the same intervals every time.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/families.h"
#include "forecast/forecast.h"
#include "forecast/optim.h"
#include "forecast/prophet.h"
#include "util/rng.h"

enum { PROPHET_SAMPLES = 1000 };

static const double YEARLY_PERIOD = 365.25, WEEKLY_PERIOD = 7, DAILY_PERIOD = 1;
static const double K_PRIOR_SD = 5, BETA_PRIOR_SD = 10, SIGMA_PRIOR_SD = 0.5;

/* The design of a Prophet model on one series: everything the data and
 * the resolved spec determine, before any parameter is known. */
typedef struct design {
    size_t n;
    double t0, step; /* days; step 1 when the data gave none */
    double y_scale;
    size_t S;                  /* changepoints */
    double *cp;                /* S changepoint times, scaled */
    size_t *cp_index;          /* first history index at or after each */
    int yearly, weekly, daily; /* Fourier orders used */
    size_t nseason;      /* seasonal columns: 2 * (yearly + weekly + daily) */
    size_t k;            /* regressors */
    double *x_mu, *x_sd; /* k standardisation constants */
    size_t B;            /* nseason + k */
    double *X;           /* n x B features, row-major */
    double *t;           /* n scaled times */
    double *ys;          /* n scaled targets */
} design;

static void design_free(design *d)
{
    free(d->cp);
    free(d->cp_index);
    free(d->x_mu);
    free(d->x_sd);
    free(d->X);
    free(d->t);
    free(d->ys);
}

/* Fourier terms sin, cos of orders 1..order for the time in days. */
static void fourier_row(double day, double period, int order, double *out)
{
    for (int i = 1; i <= order; i++) {
        double a = 2.0 * M_PI * i * day / period;
        out[2 * (i - 1)] = sin(a);
        out[2 * (i - 1) + 1] = cos(a);
    }
}

/* The seasonal columns of one row at day. */
static void season_row(const design *d, double day, double *out)
{
    size_t c = 0;
    fourier_row(day, YEARLY_PERIOD, d->yearly, out + c);
    c += 2 * (size_t)d->yearly;
    fourier_row(day, WEEKLY_PERIOD, d->weekly, out + c);
    c += 2 * (size_t)d->weekly;
    fourier_row(day, DAILY_PERIOD, d->daily, out + c);
}

/* Resolves automatic choices into spec (orders, changepoint count). */
static void resolve_spec(ll_fc_spec *spec, const ll_fc_data *data)
{
    int known = data->step > 0;
    double step = known ? data->step : 1;
    double span = step * (double)(data->n - 1);
    if (spec->yearly < 0)
        spec->yearly = known && span >= 730 ? 10 : 0;
    if (spec->weekly < 0)
        spec->weekly = known && span >= 14 && step < 7 ? 3 : 0;
    if (spec->daily < 0)
        spec->daily = known && span >= 2 && step < 1 ? 4 : 0;
    if (spec->n_changepoints < 0)
        spec->n_changepoints = 25;
    size_t hist = (size_t)floor((double)data->n * 0.8);
    if ((size_t)spec->n_changepoints + 1 > hist)
        spec->n_changepoints = hist > 1 ? (int)hist - 1 : 0;
    if (!(spec->changepoint_prior_scale > 0))
        spec->changepoint_prior_scale = 0.05;
}

static int design_build(design *d, const ll_fc_spec *spec,
                        const ll_fc_data *data, ll_err *err)
{
    memset(d, 0, sizeof *d);
    size_t n = data->n;
    d->n = n;
    d->t0 = data->t0;
    d->step = data->step > 0 ? data->step : 1;
    d->yearly = spec->yearly;
    d->weekly = spec->weekly;
    d->daily = spec->daily;
    d->nseason = 2 * (size_t)(d->yearly + d->weekly + d->daily);
    d->k = data->k;
    d->B = d->nseason + d->k;
    d->S = (size_t)spec->n_changepoints;
    d->t = malloc(n * sizeof *d->t);
    d->ys = malloc(n * sizeof *d->ys);
    d->X = malloc((n * d->B > 0 ? n * d->B : 1) * sizeof *d->X);
    d->cp = malloc((d->S ? d->S : 1) * sizeof *d->cp);
    d->cp_index = malloc((d->S ? d->S : 1) * sizeof *d->cp_index);
    d->x_mu = malloc((d->k ? d->k : 1) * sizeof *d->x_mu);
    d->x_sd = malloc((d->k ? d->k : 1) * sizeof *d->x_sd);
    if (!d->t || !d->ys || !d->X || !d->cp || !d->cp_index || !d->x_mu ||
        !d->x_sd) {
        design_free(d);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    double scale = 0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(data->y[i]));
    d->y_scale = scale > 0 ? scale : 1;
    for (size_t i = 0; i < n; i++) {
        d->t[i] = n > 1 ? (double)i / (double)(n - 1) : 0;
        d->ys[i] = data->y[i] / d->y_scale;
    }
    /* Changepoints on history points: round(linspace(0, hist - 1, S + 1))
     * without the first. */
    size_t hist = (size_t)floor((double)n * 0.8);
    for (size_t j = 0; j < d->S; j++) {
        double pos = (double)(hist - 1) * (double)(j + 1) / (double)d->S;
        size_t idx = (size_t)nearbyint(pos);
        d->cp_index[j] = idx;
        d->cp[j] = d->t[idx];
    }
    for (size_t c = 0; c < d->k; c++) {
        double mu = 0, ss = 0;
        int binary = 1, constant = 1;
        for (size_t i = 0; i < n; i++) {
            double v = data->x[i * d->k + c];
            if (!isfinite(v)) {
                design_free(d);
                return ll_err_set(err, LL_EINVAL,
                                  "Prophet: regressor %zu has a missing "
                                  "value (NA) at position %zu",
                                  c + 1, i + 1);
            }
            mu += v;
            if (v != 0 && v != 1)
                binary = 0;
            if (v != data->x[c])
                constant = 0;
        }
        mu /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double v = data->x[i * d->k + c] - mu;
            ss += v * v;
        }
        if (binary || constant || n < 2) {
            d->x_mu[c] = 0;
            d->x_sd[c] = 1;
        } else {
            d->x_mu[c] = mu;
            d->x_sd[c] = sqrt(ss / (double)(n - 1));
        }
    }
    for (size_t i = 0; i < n; i++) {
        double *row = d->X + i * d->B;
        season_row(d, d->t0 + (double)i * d->step, row);
        for (size_t c = 0; c < d->k; c++)
            row[d->nseason + c] =
                (data->x[i * d->k + c] - d->x_mu[c]) / d->x_sd[c];
    }
    return LL_OK;
}

/* ---- The MAP objective. ----
 * Parameters, in scaled units u = theta * dscale: k, m, S positive parts
 * of delta, S negative parts, B betas.  sigma is profiled out. */

typedef struct objective {
    const design *d;
    double tau;
    const double *dscale; /* per parameter */
    double *theta;        /* scratch: unscaled parameters */
    double *resid;        /* n */
    double *grad;         /* scratch gradient in theta */
    size_t evaluations;
} objective;

static size_t n_params(const design *d)
{
    return 2 + 2 * d->S + d->B;
}

/* Trend plus features at the history points for parameters theta (k, m,
 * delta[S], beta[B]); deltas given as one array. */
static void history_mean(const design *d, double k, double m,
                         const double *delta, const double *beta, double *out)
{
    double rate = k, offset = m;
    size_t j = 0;
    for (size_t i = 0; i < d->n; i++) {
        while (j < d->S && d->cp_index[j] <= i) {
            rate += delta[j];
            offset -= d->cp[j] * delta[j];
            j++;
        }
        double v = rate * d->t[i] + offset;
        const double *row = d->X + i * d->B;
        for (size_t b = 0; b < d->B; b++)
            v += row[b] * beta[b];
        out[i] = v;
    }
}

/* sigma that minimises RSS / (2 s^2) + n log s + s^2 / (2 * 0.25). */
static double profile_sigma(double rss, size_t n)
{
    double nn = (double)n;
    double s2 = 2 * rss / (nn + sqrt(nn * nn + 16 * rss));
    return sqrt(fmax(s2, 1e-24));
}

/* The negative log posterior (constants dropped) at theta and sigma, the
 * residuals into resid. */
static double neg_log_posterior(const design *d, double tau,
                                const double *theta, double sigma,
                                double *delta_scratch, double *resid)
{
    size_t S = d->S;
    double k = theta[0], m = theta[1];
    const double *pos = theta + 2, *neg = theta + 2 + S,
                 *beta = theta + 2 + 2 * S;
    double l1 = 0;
    for (size_t j = 0; j < S; j++) {
        delta_scratch[j] = pos[j] - neg[j];
        l1 += pos[j] + neg[j];
    }
    history_mean(d, k, m, delta_scratch, beta, resid);
    double rss = 0;
    for (size_t i = 0; i < d->n; i++) {
        resid[i] = d->ys[i] - resid[i];
        rss += resid[i] * resid[i];
    }
    if (sigma <= 0)
        sigma = profile_sigma(rss, d->n);
    double v = rss / (2 * sigma * sigma) + (double)d->n * log(sigma) +
               sigma * sigma / (2 * SIGMA_PRIOR_SD * SIGMA_PRIOR_SD);
    v += (k * k + m * m) / (2 * K_PRIOR_SD * K_PRIOR_SD);
    v += l1 / tau;
    for (size_t b = 0; b < d->B; b++)
        v += beta[b] * beta[b] / (2 * BETA_PRIOR_SD * BETA_PRIOR_SD);
    return v;
}

static double obj_value(const double *u, size_t np, void *ctx)
{
    objective *o = ctx;
    for (size_t i = 0; i < np; i++)
        o->theta[i] = u[i] / o->dscale[i];
    o->evaluations++;
    return neg_log_posterior(o->d, o->tau, o->theta, 0, o->grad, o->resid);
}

/* The gradient with sigma at its profile optimum (envelope theorem). */
static void obj_grad(const double *u, size_t np, double *g, void *ctx)
{
    objective *o = ctx;
    const design *d = o->d;
    size_t S = d->S, n = d->n;
    for (size_t i = 0; i < np; i++)
        o->theta[i] = u[i] / o->dscale[i];
    double *delta = o->grad; /* scratch of np >= S values */
    neg_log_posterior(d, o->tau, o->theta, 0, delta, o->resid);
    double rss = 0;
    for (size_t i = 0; i < n; i++)
        rss += o->resid[i] * o->resid[i];
    double sigma = profile_sigma(rss, n);
    double inv = 1 / (sigma * sigma);
    /* d/dpred of rss / 2 sigma^2 is -resid / sigma^2 =: w. */
    const double *theta = o->theta;
    double gk = 0, gm = 0;
    for (size_t b = 0; b < np; b++)
        g[b] = 0;
    double *gbeta = g + 2 + 2 * S;
    for (size_t i = 0; i < n; i++) {
        double w = -o->resid[i] * inv;
        gk += w * d->t[i];
        gm += w;
        const double *row = d->X + i * d->B;
        for (size_t b = 0; b < d->B; b++)
            gbeta[b] += w * row[b];
    }
    /* Changepoint j acts on i >= cp_index[j]: suffix sums of w and w t. */
    double sw = 0, swt = 0;
    size_t i = n;
    for (size_t jj = S; jj-- > 0;) {
        while (i > d->cp_index[jj]) {
            i--;
            double w = -o->resid[i] * inv;
            sw += w;
            swt += w * d->t[i];
        }
        double gd = swt - d->cp[jj] * sw;
        g[2 + jj] = gd + 1 / o->tau;
        g[2 + S + jj] = -gd + 1 / o->tau;
    }
    g[0] = gk + theta[0] / (K_PRIOR_SD * K_PRIOR_SD);
    g[1] = gm + theta[1] / (K_PRIOR_SD * K_PRIOR_SD);
    for (size_t b = 0; b < d->B; b++)
        gbeta[b] += theta[2 + 2 * S + b] / (BETA_PRIOR_SD * BETA_PRIOR_SD);
    /* Chain rule to the scaled parameters. */
    for (size_t p = 0; p < np; p++)
        g[p] /= o->dscale[p];
}

/* The root of each parameter's curvature in the likelihood (at sigma 1)
 * plus its prior's. */
static void curvature_scale(const design *d, double *dscale)
{
    size_t S = d->S, n = d->n;
    double kk = 0;
    for (size_t i = 0; i < n; i++)
        kk += d->t[i] * d->t[i];
    dscale[0] = sqrt(kk + 1 / (K_PRIOR_SD * K_PRIOR_SD));
    dscale[1] = sqrt((double)n + 1 / (K_PRIOR_SD * K_PRIOR_SD));
    for (size_t j = 0; j < S; j++) {
        double s = 0;
        for (size_t i = d->cp_index[j]; i < n; i++)
            s += (d->t[i] - d->cp[j]) * (d->t[i] - d->cp[j]);
        s = sqrt(s + 1e-12);
        dscale[2 + j] = dscale[2 + S + j] = s;
    }
    for (size_t b = 0; b < d->B; b++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += d->X[i * d->B + b] * d->X[i * d->B + b];
        dscale[2 + 2 * S + b] = sqrt(s + 1 / (BETA_PRIOR_SD * BETA_PRIOR_SD));
    }
}

/* ---- The fit. ---- */

typedef struct prophet_fit {
    ll_fc_fit head;
    design d;
    double k, m, sigma; /* scaled units */
    double *delta;      /* S */
    double *beta;       /* B */
} prophet_fit;

static void prophet_free(ll_fc_fit *f)
{
    if (!f)
        return;
    prophet_fit *p = (prophet_fit *)f;
    design_free(&p->d);
    free(p->delta);
    free(p->beta);
    free(f->fitted);
    free(f->params);
    free(f);
}

/* Uniform on (0, 1). */
static double rng_uniform(ll_rng *r)
{
    return ((double)(ll_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

static double rng_normal(ll_rng *r)
{
    double u = rng_uniform(r), v = rng_uniform(r);
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static double rng_laplace(ll_rng *r, double scale)
{
    double u = rng_uniform(r) - 0.5;
    return u < 0 ? scale * log(1 + 2 * u) : -scale * log(1 - 2 * u);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile of sorted v (count values), linear between order
 * statistics (numpy's default, which Prophet uses). */
static double quantile_sorted(const double *v, size_t count, double q)
{
    double pos = q * (double)(count - 1);
    size_t lo = (size_t)floor(pos);
    if (lo + 1 >= count)
        return v[count - 1];
    double frac = pos - (double)lo;
    return v[lo] + frac * (v[lo + 1] - v[lo]);
}

static int prophet_predict(const ll_fc_fit *f, size_t h, const double *xf,
                           const double *levels, size_t nlevels, double *mean,
                           double *lo, double *hi, ll_err *err)
{
    const prophet_fit *p = (const prophet_fit *)f;
    const design *d = &p->d;
    size_t n = d->n, S = d->S;
    if (d->k > 0 && !xf)
        return ll_err_set(err, LL_EINVAL,
                          "Prophet was fitted with %zu regressors: the "
                          "future regressors X are missing",
                          d->k);
    double *row = malloc((d->B ? d->B : 1) * sizeof *row);
    double *future_t = malloc(h * sizeof *future_t);
    double *other = malloc(h * sizeof *other); /* season + regressors */
    if (!row || !future_t || !other) {
        free(row), free(future_t), free(other);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    double rate = p->k, offset = p->m;
    for (size_t j = 0; j < S; j++) {
        rate += p->delta[j];
        offset -= d->cp[j] * p->delta[j];
    }
    double dt = n > 1 ? 1.0 / (double)(n - 1) : 1.0;
    for (size_t i = 0; i < h; i++) {
        double step_index = (double)(n - 1 + i + 1);
        future_t[i] = step_index * dt;
        season_row(d, d->t0 + step_index * d->step, row);
        for (size_t c = 0; c < d->k; c++) {
            double v = xf[i * d->k + c];
            if (!isfinite(v)) {
                free(row), free(future_t), free(other);
                return ll_err_set(err, LL_EINVAL,
                                  "Prophet: future regressor %zu has a "
                                  "missing value (NA) at step %zu",
                                  c + 1, i + 1);
            }
            row[d->nseason + c] = (v - d->x_mu[c]) / d->x_sd[c];
        }
        double s = 0;
        for (size_t b = 0; b < d->B; b++)
            s += row[b] * p->beta[b];
        other[i] = s;
        mean[i] = (rate * future_t[i] + offset + s) * d->y_scale;
    }
    free(row);
    if (nlevels == 0) {
        free(future_t), free(other);
        return LL_OK;
    }
    double *sims = malloc(h * PROPHET_SAMPLES * sizeof *sims);
    double *new_t = malloc(h * sizeof *new_t);
    double *new_delta = malloc(h * sizeof *new_delta);
    if (!sims || !new_t || !new_delta) {
        free(sims), free(new_t), free(new_delta), free(future_t), free(other);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    /* Future changepoints: one chance per future step, at the history's
     * rate of changepoints per unit of scaled time. */
    double T = future_t[h - 1];
    double mean_abs_delta = 1e-8;
    for (size_t j = 0; j < S; j++)
        mean_abs_delta += fabs(p->delta[j]) / (double)S;
    size_t slots = (size_t)ceil((T - 1) / dt - 1e-9);
    double prob =
        slots > 0 ? fmin(1.0, (double)S * (T - 1) / (double)slots) : 0;
    if (S == 0)
        prob = 0;
    ll_rng r;
    ll_rng_seed(&r, f->spec.seed);
    for (size_t s = 0; s < PROPHET_SAMPLES; s++) {
        size_t changes = 0;
        for (size_t c = 0; c < slots; c++)
            if (rng_uniform(&r) < prob)
                changes++;
        for (size_t c = 0; c < changes; c++)
            new_t[c] = 1 + rng_uniform(&r) * (T - 1);
        qsort(new_t, changes, sizeof *new_t, cmp_double);
        for (size_t c = 0; c < changes; c++)
            new_delta[c] = rng_laplace(&r, mean_abs_delta);
        double srate = rate, soff = offset;
        size_t next = 0;
        for (size_t i = 0; i < h; i++) {
            while (next < changes && new_t[next] <= future_t[i]) {
                srate += new_delta[next];
                soff -= new_t[next] * new_delta[next];
                next++;
            }
            double trend = srate * future_t[i] + soff;
            double noise = rng_normal(&r) * p->sigma;
            sims[i * PROPHET_SAMPLES + s] =
                (trend + other[i] + noise) * d->y_scale;
        }
    }
    for (size_t i = 0; i < h; i++) {
        double *v = sims + i * PROPHET_SAMPLES;
        qsort(v, PROPHET_SAMPLES, sizeof *v, cmp_double);
        for (size_t l = 0; l < nlevels; l++) {
            double a = (1 - levels[l] / 100) / 2;
            lo[l * h + i] = quantile_sorted(v, PROPHET_SAMPLES, a);
            hi[l * h + i] = quantile_sorted(v, PROPHET_SAMPLES, 1 - a);
        }
    }
    free(sims), free(new_t), free(new_delta), free(future_t), free(other);
    return LL_OK;
}

static const ll_fc_fit_ops prophet_ops = {prophet_predict, prophet_free, NULL};

/* The name of beta b: yearly_sin1, weekly_cos2, daily_sin4, x1, ... */
static void beta_name(const design *d, size_t b, char *out, size_t cap)
{
    const char *kinds[] = {"yearly", "weekly", "daily"};
    int orders[] = {d->yearly, d->weekly, d->daily};
    size_t c = b;
    for (int s = 0; s < 3; s++) {
        size_t cols = 2 * (size_t)orders[s];
        if (c < cols) {
            snprintf(out, cap, "%s_%s%zu", kinds[s], c % 2 ? "cos" : "sin",
                     c / 2 + 1);
            return;
        }
        c -= cols;
    }
    snprintf(out, cap, "beta_x%zu", c + 1);
}

/* Fills the fit's common head from the parameters in p. */
static int prophet_finish(prophet_fit *p, ll_err *err)
{
    design *d = &p->d;
    ll_fc_fit *f = &p->head;
    size_t n = d->n, S = d->S;
    f->fitted = malloc(n * sizeof *f->fitted);
    size_t np = 2 + S + d->B + 1 + d->k;
    f->params = calloc(np, sizeof *f->params);
    if (!f->fitted || !f->params)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    history_mean(d, p->k, p->m, p->delta, p->beta, f->fitted);
    for (size_t i = 0; i < n; i++)
        f->fitted[i] *= d->y_scale;
    f->sigma2 = p->sigma * d->y_scale * p->sigma * d->y_scale;
    f->loglik = f->aic = f->aicc = f->bic = NAN;
    size_t c = 0;
    snprintf(f->params[c].name, sizeof f->params[c].name, "k");
    f->params[c++].value = p->k;
    snprintf(f->params[c].name, sizeof f->params[c].name, "m");
    f->params[c++].value = p->m;
    for (size_t j = 0; j < S; j++) {
        snprintf(f->params[c].name, sizeof f->params[c].name, "delta%zu",
                 j + 1);
        f->params[c++].value = p->delta[j];
    }
    for (size_t b = 0; b < d->B; b++) {
        beta_name(d, b, f->params[c].name, sizeof f->params[c].name);
        f->params[c++].value = p->beta[b];
    }
    snprintf(f->params[c].name, sizeof f->params[c].name, "sigma_obs");
    f->params[c++].value = p->sigma;
    /* Regressor effects in y's units per unit of the regressor. */
    for (size_t j = 0; j < d->k; j++) {
        snprintf(f->params[c].name, sizeof f->params[c].name, "coef_x%zu",
                 j + 1);
        f->params[c++].value =
            p->beta[d->nseason + j] * d->y_scale / d->x_sd[j];
    }
    f->nparams = c;
    char seasons[40] = "";
    size_t used = 0;
    if (d->yearly)
        used += (size_t)snprintf(seasons + used, sizeof seasons - used,
                                 ", yearly %d", d->yearly);
    if (d->weekly)
        used += (size_t)snprintf(seasons + used, sizeof seasons - used,
                                 ", weekly %d", d->weekly);
    if (d->daily)
        snprintf(seasons + used, sizeof seasons - used, ", daily %d", d->daily);
    snprintf(f->method, sizeof f->method, "Prophet(%zu changepoints%s)", S,
             seasons);
    return LL_OK;
}

static int prophet_check(const ll_fc_spec *spec, const ll_fc_data *data,
                         ll_err *err)
{
    if (data->n < 2)
        return ll_err_set(err, LL_EINVAL,
                          "series too short: Prophet needs at least 2 "
                          "observations, got %zu",
                          data->n);
    if (data->k > 0 && !data->x)
        return ll_err_set(err, LL_EINVAL, "Prophet: regressors are missing");
    if (spec->yearly > 50 || spec->weekly > 50 || spec->daily > 50)
        return ll_err_set(err, LL_EINVAL,
                          "Prophet: a Fourier order must be at most 50");
    if (spec->n_changepoints > 1000)
        return ll_err_set(err, LL_EINVAL,
                          "Prophet: changepoints must be at most 1000, got "
                          "%d",
                          spec->n_changepoints);
    return LL_OK;
}

static prophet_fit *prophet_alloc(const ll_fc_spec *spec, const design *d)
{
    prophet_fit *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->head.ops = &prophet_ops;
    p->head.family = &ll_fc_prophet;
    p->head.spec = *spec;
    p->head.n = d->n;
    p->head.k = d->k;
    p->d = *d;
    p->delta = calloc(d->S ? d->S : 1, sizeof *p->delta);
    p->beta = calloc(d->B ? d->B : 1, sizeof *p->beta);
    if (!p->delta || !p->beta) {
        free(p->delta);
        free(p->beta);
        free(p);
        return NULL;
    }
    return p;
}

static int prophet_fit_fn(const ll_fc_spec *spec_in, const ll_fc_data *data,
                          ll_fc_fit **out, ll_err *err)
{
    int rc = prophet_check(spec_in, data, err);
    if (rc < 0)
        return rc;
    ll_fc_spec spec = *spec_in;
    resolve_spec(&spec, data);
    design d;
    rc = design_build(&d, &spec, data, err);
    if (rc < 0)
        return rc;
    prophet_fit *p = prophet_alloc(&spec, &d);
    if (!p) {
        design_free(&d);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    size_t np = n_params(&d), S = d.S, n = d.n;
    double *u = calloc(np, sizeof *u), *dscale = malloc(np * sizeof *dscale);
    double *lower = malloc(np * sizeof *lower);
    double *theta = malloc(np * sizeof *theta);
    double *scratch = malloc(np * sizeof *scratch);
    double *resid = malloc(n * sizeof *resid);
    if (!u || !dscale || !lower || !theta || !scratch || !resid) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    curvature_scale(&d, dscale);
    /* Prophet's start: the line through the first and last points. */
    double k0 = d.ys[n - 1] - d.ys[0];
    u[0] = k0 * dscale[0];
    u[1] = d.ys[0] * dscale[1];
    for (size_t i = 0; i < np; i++)
        lower[i] = (i >= 2 && i < 2 + 2 * S) ? 0 : -INFINITY;
    objective o = {
        &d, spec.changepoint_prior_scale, dscale, theta, resid, scratch, 0};
    ll_opt_opts opts = {0};
    opts.max_iter = 20000;
    opts.reltol = 1e-15;
    opts.lower = lower;
    ll_opt_result res;
    double before = INFINITY;
    /* Restart until a run gains nothing: the memory of a run that stopped
     * on a poor step is discarded. */
    for (int run = 0; run < 5; run++) {
        rc = ll_opt_lbfgsb(obj_value, obj_grad, &o, u, np, &opts, &res);
        if (rc < 0) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        if (!(res.value < before - 1e-9 * (fabs(before) + 1)))
            break;
        before = res.value;
    }
    for (size_t i = 0; i < np; i++)
        theta[i] = u[i] / dscale[i];
    p->k = theta[0];
    p->m = theta[1];
    for (size_t j = 0; j < S; j++)
        p->delta[j] = theta[2 + j] - theta[2 + S + j];
    memcpy(p->beta, theta + 2 + 2 * S, d.B * sizeof *p->beta);
    double rss = 0;
    neg_log_posterior(&d, o.tau, theta, 0, scratch, resid);
    for (size_t i = 0; i < n; i++)
        rss += resid[i] * resid[i];
    p->sigma = profile_sigma(rss, n);
    rc = prophet_finish(p, err);
done:
    free(u), free(dscale), free(lower), free(theta), free(scratch);
    free(resid);
    if (rc < 0) {
        prophet_free(&p->head);
        return rc;
    }
    *out = &p->head;
    return LL_OK;
}

static int prophet_restore(const ll_fc_spec *spec, const ll_fc_param *params,
                           size_t nparams, const ll_fc_data *data,
                           ll_fc_fit **out, ll_err *err)
{
    int rc = prophet_check(spec, data, err);
    if (rc < 0)
        return rc;
    ll_fc_spec s = *spec;
    resolve_spec(&s, data);
    design d;
    rc = design_build(&d, &s, data, err);
    if (rc < 0)
        return rc;
    prophet_fit *p = prophet_alloc(&s, &d);
    if (!p) {
        design_free(&d);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    size_t found = 0, want = 2 + d.S + d.B + 1;
    p->sigma = NAN;
    for (size_t i = 0; i < nparams; i++) {
        const char *name = params[i].name;
        double v = params[i].value;
        char buf[32];
        if (strcmp(name, "k") == 0) {
            p->k = v;
            found++;
        } else if (strcmp(name, "m") == 0) {
            p->m = v;
            found++;
        } else if (strcmp(name, "sigma_obs") == 0) {
            p->sigma = v;
            found++;
        } else if (strncmp(name, "delta", 5) == 0) {
            unsigned long j = strtoul(name + 5, NULL, 10);
            if (j >= 1 && j <= d.S) {
                p->delta[j - 1] = v;
                found++;
            }
        } else {
            for (size_t b = 0; b < d.B; b++) {
                beta_name(&d, b, buf, sizeof buf);
                if (strcmp(name, buf) == 0) {
                    p->beta[b] = v;
                    found++;
                    break;
                }
            }
        }
    }
    if (found != want || !(p->sigma >= 0)) {
        prophet_free(&p->head);
        return ll_err_set(err, LL_EINVAL,
                          "Prophet restore needs %zu params (k, m, delta1.., "
                          "the seasonal and regressor betas, sigma_obs), got "
                          "%zu of them",
                          want, found);
    }
    rc = prophet_finish(p, err);
    if (rc < 0) {
        prophet_free(&p->head);
        return rc;
    }
    *out = &p->head;
    return LL_OK;
}

static size_t prophet_min_length(const ll_fc_spec *spec)
{
    (void)spec;
    return 2;
}

const ll_fc_family ll_fc_prophet = {"Prophet", prophet_fit_fn, prophet_restore,
                                    prophet_min_length, 1};

/* The negative log posterior of a Prophet fit at its parameters, in
 * Prophet's scaled units (for tests comparing with an independent
 * optimiser). */
double ll_fc_prophet_objective(const ll_fc_fit *f)
{
    const prophet_fit *p = (const prophet_fit *)f;
    const design *d = &p->d;
    size_t S = d->S, np = n_params(d);
    double *theta = calloc(np, sizeof *theta);
    double *scratch = malloc((S ? S : 1) * sizeof *scratch);
    double *resid = malloc(d->n * sizeof *resid);
    double v = NAN;
    if (theta && scratch && resid) {
        theta[0] = p->k;
        theta[1] = p->m;
        for (size_t j = 0; j < S; j++) {
            theta[2 + j] = fmax(p->delta[j], 0);
            theta[2 + S + j] = fmax(-p->delta[j], 0);
        }
        memcpy(theta + 2 + 2 * S, p->beta, d->B * sizeof *p->beta);
        v = neg_log_posterior(d, p->head.spec.changepoint_prior_scale, theta,
                              p->sigma, scratch, resid);
    }
    free(theta), free(scratch), free(resid);
    return v;
}

const double *ll_fc_prophet_changepoints(const ll_fc_fit *f, size_t *count)
{
    const prophet_fit *p = (const prophet_fit *)f;
    *count = p->d.S;
    return p->d.cp;
}
