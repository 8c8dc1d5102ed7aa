/*
 * mstl: STL and MSTL decompositions (mstl.h) and the MSTL forecasting
 * family.
 *
 * STL follows the paper's inner loop: detrend, smooth each cycle-subseries
 * by loess and extend it one period at both ends, low-pass filter that
 * (moving averages of period, period and 3, then loess), subtract to get
 * the seasonal, smooth the deseasonalised series by loess into the trend.
 * Loess is evaluated every jump-th point and interpolated linearly, as in
 * the reference implementation R's stl() calls, so the two agree to
 * rounding.
 *
 * The family `MSTL{season_lengths = {7, 365}}` forecasts as R forecast's
 * forecast(mstl(y)) / stlf(): the seasonally adjusted series (trend plus
 * remainder) by AutoETS restricted to non-seasonal forms ("ZZN"), each
 * seasonal component by repeating its last period; intervals are the
 * ETS's, shifted by the seasonal forecast.
 */
#include "forecast/mstl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/families.h"
#include "forecast/forecast.h"

static int next_odd(int x)
{
    return x % 2 == 0 ? x + 1 : x;
}

void ll_stl_default(ll_stl_opts *o, int period, int s_window)
{
    memset(o, 0, sizeof *o);
    o->period = period;
    o->s_window = s_window;
    o->s_degree = 0;
    o->t_window =
        next_odd((int)ceil(1.5 * period / (1 - 1.5 / (double)s_window)));
    o->t_degree = 1;
    o->l_window = next_odd(period);
    o->l_degree = o->t_degree;
    o->s_jump = (int)ceil(s_window / 10.0);
    o->t_jump = (int)ceil(o->t_window / 10.0);
    o->l_jump = (int)ceil(o->l_window / 10.0);
    o->inner = 2;
    o->outer = 0;
}

/* Loess at position xs (1-based coordinates; may lie outside 1..n) from
 * y[nleft-1 .. nright-1] with span len and degree 0 or 1.  w is scratch of
 * n values; rw the robustness weights when userw.  Returns 0 when every
 * weight vanished (the caller keeps its own value). */
static int loess_at(const double *y, int n, int len, int degree, double xs,
                    int nleft, int nright, double *w, int userw,
                    const double *rw, double *ys)
{
    double range = n - 1.0;
    double h = fmax(xs - nleft, nright - xs);
    if (len > n)
        h += (len - n) / 2; /* integer halving, as the reference */
    double h9 = 0.999 * h, h1 = 0.001 * h;
    double total = 0;
    for (int j = nleft; j <= nright; j++) {
        w[j - 1] = 0;
        double r = fabs(j - xs);
        if (r <= h9) {
            if (r <= h1) {
                w[j - 1] = 1;
            } else {
                double q = r / h;
                q = 1 - q * q * q;
                w[j - 1] = q * q * q;
            }
            if (userw)
                w[j - 1] *= rw[j - 1];
            total += w[j - 1];
        }
    }
    if (total <= 0)
        return 0;
    for (int j = nleft; j <= nright; j++)
        w[j - 1] /= total;
    if (h > 0 && degree > 0) {
        double a = 0;
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

/* Loess smooth of y (n values) into ys, every jump-th point and linear
 * interpolation between.  w is scratch of n values. */
static void loess_smooth(const double *y, int n, int len, int degree, int jump,
                         int userw, const double *rw, double *ys, double *w)
{
    if (n < 2) {
        ys[0] = y[0];
        return;
    }
    int step = jump < n - 1 ? jump : n - 1;
    int nleft = 1, nright = n;
    if (len >= n) {
        nleft = 1;
        nright = n;
        for (int i = 1; i <= n; i += step)
            if (!loess_at(y, n, len, degree, i, nleft, nright, w, userw, rw,
                          &ys[i - 1]))
                ys[i - 1] = y[i - 1];
    } else if (step == 1) {
        int half = (len + 1) / 2;
        nleft = 1;
        nright = len;
        for (int i = 1; i <= n; i++) {
            if (i > half && nright != n) {
                nleft++;
                nright++;
            }
            if (!loess_at(y, n, len, degree, i, nleft, nright, w, userw, rw,
                          &ys[i - 1]))
                ys[i - 1] = y[i - 1];
        }
    } else {
        int half = (len + 1) / 2;
        for (int i = 1; i <= n; i += step) {
            if (i < half) {
                nleft = 1;
                nright = len;
            } else if (i >= n - half + 1) {
                nleft = n - len + 1;
                nright = n;
            } else {
                nleft = i - half + 1;
                nright = len + i - half;
            }
            if (!loess_at(y, n, len, degree, i, nleft, nright, w, userw, rw,
                          &ys[i - 1]))
                ys[i - 1] = y[i - 1];
        }
    }
    if (step == 1)
        return;
    for (int i = 1; i <= n - step; i += step) {
        double delta = (ys[i + step - 1] - ys[i - 1]) / step;
        for (int j = i + 1; j < i + step; j++)
            ys[j - 1] = ys[i - 1] + delta * (j - i);
    }
    int k = ((n - 1) / step) * step + 1;
    if (k != n) {
        /* The last point, with the window of the last evaluated one. */
        if (!loess_at(y, n, len, degree, n, nleft, nright, w, userw, rw,
                      &ys[n - 1]))
            ys[n - 1] = y[n - 1];
        if (k != n - 1) {
            double delta = (ys[n - 1] - ys[k - 1]) / (n - k);
            for (int j = k + 1; j < n; j++)
                ys[j - 1] = ys[k - 1] + delta * (j - k);
        }
    }
}

/* Smooths each cycle-subseries of y and extends it by one value at each
 * end: season gets n + 2 * np values.  work is 4 * (n / np + 3) scratch. */
static void cycle_subseries(const double *y, int n, int np, int ns, int degree,
                            int jump, int userw, const double *rw,
                            double *season, double *work)
{
    int cap = n / np + 3;
    double *sub = work, *smooth = work + cap, *subw = work + 2 * cap,
           *scratch = work + 3 * cap;
    for (int j = 1; j <= np; j++) {
        int k = (n - j) / np + 1;
        for (int i = 1; i <= k; i++) {
            sub[i - 1] = y[(i - 1) * np + j - 1];
            if (userw)
                subw[i - 1] = rw[(i - 1) * np + j - 1];
        }
        loess_smooth(sub, k, ns, degree, jump, userw, subw, smooth + 1,
                     scratch);
        int nright = ns < k ? ns : k;
        if (!loess_at(sub, k, ns, degree, 0, 1, nright, scratch, userw, subw,
                      &smooth[0]))
            smooth[0] = smooth[1];
        int nleft = k - ns + 1 > 1 ? k - ns + 1 : 1;
        if (!loess_at(sub, k, ns, degree, k + 1, nleft, k, scratch, userw, subw,
                      &smooth[k + 1]))
            smooth[k + 1] = smooth[k];
        for (int m = 1; m <= k + 2; m++)
            season[(m - 1) * np + j - 1] = smooth[m - 1];
    }
}

/* Moving average of span len: out gets n - len + 1 values. */
static void moving_average(const double *x, int n, int len, double *out)
{
    int count = n - len + 1;
    double v = 0;
    for (int i = 0; i < len; i++)
        v += x[i];
    out[0] = v / len;
    for (int j = 1; j < count; j++) {
        v = v - x[j - 1] + x[len + j - 1];
        out[j] = v / len;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int ll_stl(const double *y, size_t n_, const ll_stl_opts *o, double *seasonal,
           double *trend, ll_err *err)
{
    if (o->period < 2)
        return ll_err_set(err, LL_EINVAL,
                          "STL needs a seasonal period >= 2, got %d",
                          o->period);
    if (n_ <= 2 * (size_t)o->period)
        return ll_err_set(err, LL_EINVAL,
                          "series too short: STL with period %d needs at "
                          "least %d observations, got %zu",
                          o->period, 2 * o->period + 1, n_);
    int n = (int)n_, np = o->period;
    int ns = next_odd(o->s_window > 3 ? o->s_window : 3);
    int nt = next_odd(o->t_window > 3 ? o->t_window : 3);
    int nl = next_odd(o->l_window > 3 ? o->l_window : 3);
    size_t ext = (size_t)n + 2 * (size_t)np;
    size_t cap = (size_t)n / (size_t)np + 3;
    double *cyc = malloc(ext * sizeof *cyc);
    double *w1 = malloc(ext * sizeof *w1), *w2 = malloc(ext * sizeof *w2);
    double *w3 = malloc(ext * sizeof *w3);
    double *rw = malloc((size_t)n * sizeof *rw);
    double *sub = malloc(4 * cap * sizeof *sub);
    if (!cyc || !w1 || !w2 || !w3 || !rw || !sub) {
        free(cyc), free(w1), free(w2), free(w3), free(rw), free(sub);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        trend[i] = 0;
        rw[i] = 1;
    }
    int userw = 0;
    for (int outer = 0;; outer++) {
        for (int pass = 0; pass < o->inner; pass++) {
            for (int i = 0; i < n; i++)
                w1[i] = y[i] - trend[i];
            cycle_subseries(w1, n, np, ns, o->s_degree, o->s_jump, userw, rw,
                            cyc, sub);
            /* Low-pass filter of the extended cycle series. */
            moving_average(cyc, n + 2 * np, np, w2);
            moving_average(w2, n + np + 1, np, w3);
            moving_average(w3, n + 2, 3, w2);
            loess_smooth(w2, n, nl, o->l_degree, o->l_jump, 0, rw, w1, w3);
            for (int i = 0; i < n; i++) {
                seasonal[i] = cyc[np + i] - w1[i];
                w2[i] = y[i] - seasonal[i];
            }
            loess_smooth(w2, n, nt, o->t_degree, o->t_jump, userw, rw, trend,
                         w3);
        }
        if (outer >= o->outer)
            break;
        /* Robustness weights: bisquare of residuals over 6 MAD. */
        for (int i = 0; i < n; i++)
            w1[i] = fabs(y[i] - trend[i] - seasonal[i]);
        memcpy(w2, w1, (size_t)n * sizeof *w2);
        /* The median absolute residual: mean of the two middle values. */
        qsort(w2, (size_t)n, sizeof *w2, cmp_double);
        double cmad = 3.0 * (w2[(n - 1) / 2] + w2[n / 2]);
        double c9 = 0.999 * cmad, c1 = 0.001 * cmad;
        for (int i = 0; i < n; i++) {
            double r = w1[i];
            if (r <= c1) {
                rw[i] = 1;
            } else if (r <= c9) {
                double u = r / cmad;
                rw[i] = (1 - u * u) * (1 - u * u);
            } else {
                rw[i] = 0;
            }
        }
        userw = 1;
    }
    free(cyc), free(w1), free(w2), free(w3), free(rw), free(sub);
    return LL_OK;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int ll_mstl(const double *y, size_t n, int *periods, size_t count,
            const int *s_window, int iterate, double *seasonals, double *trend,
            size_t *kept, ll_err *err)
{
    qsort(periods, count, sizeof *periods, cmp_int);
    size_t m = 0;
    for (size_t i = 0; i < count; i++)
        if (periods[i] > 1 && 2 * (size_t)periods[i] < n)
            periods[m++] = periods[i];
    *kept = m;
    if (m == 0)
        return ll_err_set(err, LL_EINVAL,
                          "series too short: MSTL needs two full periods of "
                          "a season (%zu observations for season length %d), "
                          "got %zu",
                          2 * (size_t)periods[0] + 1, periods[0], n);
    double *deseas = malloc(n * sizeof *deseas);
    if (!deseas)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    memcpy(deseas, y, n * sizeof *deseas);
    memset(seasonals, 0, m * n * sizeof *seasonals);
    /* With one season a second pass redoes the same STL of y. */
    if (iterate < 1 || m == 1)
        iterate = 1;
    int rc = LL_OK;
    for (int pass = 0; pass < iterate && rc == LL_OK; pass++)
        for (size_t i = 0; i < m && rc == LL_OK; i++) {
            double *season = seasonals + i * n;
            for (size_t t = 0; t < n; t++)
                deseas[t] += season[t];
            ll_stl_opts o;
            int sw = s_window ? s_window[i] : 7 + 4 * (int)(i + 1);
            ll_stl_default(&o, periods[i], sw);
            rc = ll_stl(deseas, n, &o, season, trend, err);
            for (size_t t = 0; t < n && rc == LL_OK; t++)
                deseas[t] -= season[t];
        }
    free(deseas);
    return rc;
}

/* ---- The MSTL forecasting family. ---- */

enum { MSTL_MAX = 4 };

typedef struct mstl_fit {
    ll_fc_fit head;
    ll_fc_fit *ets; /* fitted to the seasonally adjusted series */
    size_t nseasons;
    int periods[MSTL_MAX];
    double *seasonals; /* nseasons rows of n values */
    double *trend;     /* n values */
} mstl_fit;

static void mstl_free(ll_fc_fit *f)
{
    if (!f)
        return;
    mstl_fit *m = (mstl_fit *)f;
    ll_fc_fit_free(m->ets);
    free(m->seasonals);
    free(m->trend);
    free(f->fitted);
    free(f->params);
    free(f);
}

static int mstl_predict(const ll_fc_fit *f, size_t h, const double *xf,
                        const double *levels, size_t nlevels, double *mean,
                        double *lo, double *hi, ll_err *err)
{
    (void)xf;
    const mstl_fit *m = (const mstl_fit *)f;
    int rc = ll_fc_predict(m->ets, h, NULL, levels, nlevels, mean, lo, hi, err);
    if (rc < 0)
        return rc;
    size_t n = f->n;
    for (size_t i = 0; i < h; i++) {
        /* Each seasonal repeats its last period. */
        double s = 0;
        for (size_t j = 0; j < m->nseasons; j++) {
            size_t p = (size_t)m->periods[j];
            s += m->seasonals[j * n + n - p + i % p];
        }
        mean[i] += s;
        for (size_t l = 0; l < nlevels; l++) {
            lo[l * h + i] += s;
            hi[l * h + i] += s;
        }
    }
    return LL_OK;
}

static const ll_fc_fit_ops mstl_ops = {mstl_predict, mstl_free, NULL};

/* The season lengths a spec asks for: season_lengths, else season_length. */
static size_t spec_periods(const ll_fc_spec *spec, int *periods)
{
    size_t count = 0;
    for (int i = 0; i < spec->n_season_lengths && i < MSTL_MAX; i++)
        periods[count++] = spec->season_lengths[i];
    if (count == 0 && spec->season_length > 0)
        periods[count++] = spec->season_length;
    return count;
}

/* Decomposes, then fits (or, with params, restores) the ETS. */
static int mstl_build(const ll_fc_spec *spec, const ll_fc_param *params,
                      size_t nparams, const ll_fc_data *data, ll_fc_fit **out,
                      ll_err *err)
{
    if (data->k > 0)
        return ll_err_set(err, LL_EINVAL,
                          "MSTL takes no exogenous regressors (got %zu)",
                          data->k);
    int periods[MSTL_MAX];
    size_t count = spec_periods(spec, periods);
    if (count == 0)
        return ll_err_set(err, LL_EINVAL,
                          "MSTL needs season_lengths (or season_length) "
                          "greater than 1");
    for (size_t i = 0; i < count; i++)
        if (periods[i] < 2)
            return ll_err_set(err, LL_EINVAL,
                              "MSTL season lengths must be >= 2, got %d",
                              periods[i]);
    const ll_fc_family *ets_family = ll_fc_family_find("AutoETS");
    if (!ets_family)
        return ll_err_set(err, LL_ENOTFOUND,
                          "MSTL needs the AutoETS family, which is not "
                          "built in");
    size_t n = data->n;
    mstl_fit *m = calloc(1, sizeof *m);
    if (!m)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    ll_fc_fit *f = &m->head;
    f->ops = &mstl_ops;
    f->family = &ll_fc_mstl;
    f->spec = *spec;
    f->n = n;
    m->seasonals = malloc(count * n * sizeof *m->seasonals);
    m->trend = malloc(n * sizeof *m->trend);
    double *sa = malloc(n * sizeof *sa);
    f->fitted = malloc(n * sizeof *f->fitted);
    if (!m->seasonals || !m->trend || !sa || !f->fitted) {
        free(sa);
        mstl_free(f);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    int rc = ll_mstl(data->y, n, periods, count, NULL, 2, m->seasonals,
                     m->trend, &m->nseasons, err);
    if (rc < 0)
        goto fail;
    memcpy(m->periods, periods, m->nseasons * sizeof *periods);
    for (size_t t = 0; t < n; t++) {
        sa[t] = data->y[t];
        for (size_t j = 0; j < m->nseasons; j++)
            sa[t] -= m->seasonals[j * n + t];
    }
    ll_fc_spec es;
    ll_fc_spec_init(&es, "AutoETS");
    es.season_length = 1;
    if (params) {
        memcpy(es.ets_model, spec->ets_model, sizeof es.ets_model);
        es.damped = spec->damped;
    } else {
        memcpy(es.ets_model, "ZZN", 4);
    }
    ll_fc_data sad = {0};
    sad.y = sa;
    sad.n = n;
    sad.t0 = data->t0;
    sad.step = data->step;
    if (params)
        rc = ets_family->restore(&es, params, nparams, &sad, &m->ets, err);
    else
        rc = ll_fc_fit_series(&es, &sad, &m->ets, err);
    if (rc < 0) {
        ll_err_prefix(err, "MSTL, the seasonally adjusted series");
        goto fail;
    }
    /* Record the chosen form so that restore needs no search. */
    memcpy(f->spec.ets_model, m->ets->spec.ets_model, sizeof es.ets_model);
    f->spec.damped = m->ets->spec.damped;
    f->spec.n_season_lengths = (int)m->nseasons;
    memcpy(f->spec.season_lengths, m->periods,
           m->nseasons * sizeof *m->periods);
    for (size_t t = 0; t < n; t++) {
        f->fitted[t] = m->ets->fitted ? m->ets->fitted[t] : (double)NAN;
        for (size_t j = 0; j < m->nseasons; j++)
            f->fitted[t] += m->seasonals[j * n + t];
    }
    char seasons[32] = "";
    size_t used = 0;
    for (size_t j = 0; j < m->nseasons; j++)
        used += (size_t)snprintf(seasons + used, sizeof seasons - used,
                                 j ? ",%d" : "%d", m->periods[j]);
    snprintf(f->method, sizeof f->method, "MSTL(%.20s) + %.32s", seasons,
             m->ets->method);
    f->loglik = m->ets->loglik;
    f->aic = m->ets->aic;
    f->aicc = m->ets->aicc;
    f->bic = m->ets->bic;
    f->sigma2 = m->ets->sigma2;
    if (m->ets->nparams > 0) {
        f->params = malloc(m->ets->nparams * sizeof *f->params);
        if (!f->params) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            goto fail;
        }
        memcpy(f->params, m->ets->params, m->ets->nparams * sizeof *f->params);
        f->nparams = m->ets->nparams;
    }
    free(sa);
    *out = f;
    return LL_OK;
fail:
    free(sa);
    mstl_free(f);
    return rc;
}

static int mstl_fit_fn(const ll_fc_spec *spec, const ll_fc_data *data,
                       ll_fc_fit **out, ll_err *err)
{
    return mstl_build(spec, NULL, 0, data, out, err);
}

static int mstl_restore(const ll_fc_spec *spec, const ll_fc_param *params,
                        size_t nparams, const ll_fc_data *data, ll_fc_fit **out,
                        ll_err *err)
{
    static const ll_fc_param none[1];
    return mstl_build(spec, nparams ? params : none, nparams, data, out, err);
}

/* Two full periods of the shortest season, plus one. */
static size_t mstl_min_length(const ll_fc_spec *spec)
{
    int periods[MSTL_MAX];
    size_t count = spec_periods(spec, periods);
    int shortest = 0;
    for (size_t i = 0; i < count; i++)
        if (periods[i] > 1 && (shortest == 0 || periods[i] < shortest))
            shortest = periods[i];
    return shortest > 1 ? 2 * (size_t)shortest + 1 : 1;
}

const ll_fc_family ll_fc_mstl = {"MSTL", mstl_fit_fn, mstl_restore,
                                 mstl_min_length, 0};

/* Accessors for the components of an MSTL fit (tests, plots). */
const double *ll_fc_mstl_trend(const ll_fc_fit *f)
{
    return ((const mstl_fit *)f)->trend;
}

const double *ll_fc_mstl_seasonal(const ll_fc_fit *f, size_t i, int *period)
{
    const mstl_fit *m = (const mstl_fit *)f;
    if (i >= m->nseasons)
        return NULL;
    if (period)
        *period = m->periods[i];
    return m->seasonals + i * f->n;
}
