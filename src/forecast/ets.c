/*
 * ets: exponential smoothing as the innovations state space models of
 * Hyndman, Koehler, Ord and Snyder (error A/M, trend N/A/Ad, season
 * N/A/M), the way R's forecast::ets() fits and chooses them:
 *
 * - the initial states come from a heuristic (a classical decomposition
 *   of the first seasons, a straight line through the first values) and
 *   are then optimised together with the smoothing parameters by
 *   Nelder-Mead on the likelihood, within the "usual" bounds (alpha, beta,
 *   gamma in [1e-4, 0.9999], beta <= alpha, gamma <= 1 - alpha, phi in
 *   [0.8, 0.98]) and the admissible region of the model (a Schur-Cohn test
 *   on the characteristic polynomial of seasonal models);
 * - AutoETS tries every form allowed for the data (multiplicative error or
 *   season only for positive data, no multiplicative trend, no additive
 *   error with multiplicative season) and keeps the one with the lowest
 *   AICc;
 * - intervals are analytic: the linear models (class 1), the
 *   multiplicative-error models with additive components (class 2) and
 *   those with multiplicative season (class 3, the moment recursions of
 *   Hyndman et al. 2008, ch. 6) have closed-form forecast variances.
 *
 * The likelihood is, as in R, n log(sum e^2) for additive errors and
 * n log(sum e^2) + 2 sum log|yhat| for multiplicative (relative) errors;
 * the log-likelihood reported is -0.5 times it, so AICc values compare
 * with R's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/families.h"
#include "forecast/forecast.h"
#include "forecast/optim.h"

#define ETS_MAX_M 24
#define ETS_TOL 1e-10

/* error: 1 additive, 2 multiplicative; trend 0 none, 1 additive;
 * season 0 none, 1 additive, 2 multiplicative. */
typedef struct ets_form {
    int error, trend, season, damped;
} ets_form;

typedef struct ets_fit {
    ll_fc_fit head;
    ets_form form;
    size_t m; /* season length (1 without season) */
    double alpha, beta, gamma, phi;
    double *init;  /* initial states l, b, s1..sm */
    double *last;  /* the final states, same layout */
    double sse;    /* sum of squared innovations */
    double slog;   /* multiplicative errors: sum of log |one-step mean| */
    size_t nstate; /* 1 + trend + m * (season != 0) */
    int constant;  /* a constant series: forecasts its value, no spread */
    ll_fc_param *pbuf;
} ets_fit;

/* Scratch for one form's optimisation. */
typedef struct ets_ctx {
    ets_form form;
    size_t m;
    const double *y;
    size_t n;
    double *ring; /* m seasonal states */
    double *x0;   /* full initial state */
} ets_ctx;

static const char ets_letter[3] = {'N', 'A', 'M'};

static void form_name(const ets_form *f, char *buf, size_t cap)
{
    snprintf(buf, cap, "ETS(%c,%s,%c)", f->error == 1 ? 'A' : 'M',
             f->trend ? (f->damped ? "Ad" : "A") : "N", ets_letter[f->season]);
}

/* Run the model through y from the initial states x0 (l, b, s1..sm; s1 is
 * the season of the observation before y[0], sm that of y[0]).  Fills e
 * (innovations, relative for multiplicative errors) and xend (the final
 * states in the same layout) when not NULL.  Returns R's "lik" criterion,
 * or NAN when the filter breaks down (a forecast of zero under
 * multiplicative errors, a non-finite state). */
static double ets_filter(const ets_form *f, size_t m, double alpha, double beta,
                         double gamma, double phi, const double *x0,
                         const double *y, size_t n, double *ring, double *e,
                         double *xend)
{
    double l = x0[0], b = f->trend ? x0[1] : 0;
    size_t soff = 1 + (size_t)f->trend;
    if (f->season)
        for (size_t j = 0; j < m; j++)
            ring[j] = x0[soff + m - 1 - j];
    if (!f->damped)
        phi = 1;
    double sse = 0, slog = 0;
    size_t pos = 0;
    for (size_t t = 0; t < n; t++) {
        double q = l + phi * b;
        double p = f->season ? ring[pos] : 0;
        double mu = f->season == 1 ? q + p : f->season == 2 ? q * p : q;
        double r = y[t] - mu;
        double et;
        if (f->error == 2) {
            if (fabs(mu) < ETS_TOL)
                return NAN;
            et = r / mu;
            slog += log(fabs(mu));
        } else {
            et = r;
        }
        if (e)
            e[t] = et;
        sse += et * et;
        double dl = f->season == 2 ? r / p : r;
        l = q + alpha * dl;
        b = phi * b + beta * dl;
        if (f->season) {
            ring[pos] = p + gamma * (f->season == 2 ? r / q : r);
            if (++pos == m)
                pos = 0;
        }
        if (!isfinite(l))
            return NAN;
    }
    if (xend) {
        xend[0] = l;
        if (f->trend)
            xend[1] = b;
        if (f->season)
            for (size_t j = 0; j < m; j++) /* s1 = the newest */
                xend[soff + j] = ring[(pos + m - 1 - j) % m];
    }
    double lik = (double)n * log(sse);
    if (f->error == 2)
        lik += 2 * slog;
    return lik;
}

/* All roots of a[0] + a[1] z + ... + a[d] z^d inside the unit circle
 * (Schur-Cohn).  a is overwritten. */
static int roots_inside(double *a, size_t d)
{
    double b[ETS_MAX_M + 2];
    while (d > 0) {
        if (!(fabs(a[0]) < fabs(a[d])))
            return 0;
        double ad = a[d], a0 = a[0], scale = 0;
        for (size_t j = 0; j < d; j++) {
            b[j] = ad * a[j + 1] - a0 * a[d - 1 - j];
            scale = fmax(scale, fabs(b[j]));
        }
        if (!(scale > 0) || !isfinite(scale))
            return 0;
        d--;
        for (size_t j = 0; j <= d; j++)
            a[j] = b[j] / scale;
    }
    return 1;
}

/* R's admissible(): the region where the model forecasts forget their
 * start.  has_beta / has_gamma say which parameters the form has. */
static int ets_admissible(double alpha, double beta, int has_beta, double gamma,
                          int has_gamma, double phi, size_t m)
{
    if (phi < 0 || phi > 1 + 1e-8)
        return 0;
    if (!has_gamma) {
        if (alpha < 1 - 1 / phi || alpha > 1 + 1 / phi)
            return 0;
        if (has_beta &&
            (beta < alpha * (phi - 1) || beta > (1 + phi) * (2 - alpha)))
            return 0;
        return 1;
    }
    if (m <= 1)
        return 1;
    if (!has_beta)
        beta = 0;
    if (gamma < fmax(1 - 1 / phi - alpha, 0) || gamma > 1 + 1 / phi - alpha)
        return 0;
    double md = (double)m;
    if (alpha <
        1 - 1 / phi - gamma * (1 - md + phi + phi * md) / (2 * phi * md))
        return 0;
    if (beta < -(1 - phi) * (gamma / md + alpha))
        return 0;
    /* The characteristic polynomial, degree m + 1; roots may touch the
     * unit circle (R allows a modulus up to 1 + 1e-10), so test the
     * polynomial in z * (1 + 1e-7) for roots strictly inside. */
    double a[ETS_MAX_M + 2];
    double ab = alpha + beta - alpha * phi;
    a[0] = phi * (1 - alpha - gamma);
    a[1] = ab + gamma - 1;
    for (size_t j = 2; j < m; j++)
        a[j] = ab;
    a[m] = alpha + beta - phi;
    a[m + 1] = 1;
    double rho = 1 + 1e-7, pw = 1;
    for (size_t j = 0; j <= m + 1; j++) {
        a[j] *= pw;
        pw *= rho;
    }
    return roots_inside(a, m + 1);
}

static int ets_check(const ets_form *f, size_t m, double alpha, double beta,
                     double gamma, double phi)
{
    if (alpha < 1e-4 || alpha > 0.9999)
        return 0;
    if (f->trend && (beta < 1e-4 || beta > alpha || beta > 0.9999))
        return 0;
    if (f->damped && (phi < 0.8 || phi > 0.98))
        return 0;
    if (f->season && (gamma < 1e-4 || gamma > 1 - alpha || gamma > 0.9999))
        return 0;
    return ets_admissible(alpha, beta, f->trend, gamma, f->season != 0,
                          f->damped ? phi : 1, f->season ? m : 1);
}

/* Number of smoothing parameters of a form. */
static size_t form_nsmooth(const ets_form *f)
{
    return 1 + (size_t)(f->trend != 0) + (size_t)(f->season != 0) +
           (size_t)(f->damped != 0);
}

/* x: the smoothing parameters then l, b, s1..s(m-1). */
static void unpack(const ets_form *f, size_t m, const double *x, double *alpha,
                   double *beta, double *gamma, double *phi, double *x0)
{
    size_t k = 0;
    *alpha = x[k++];
    *beta = f->trend ? x[k++] : 0;
    *gamma = f->season ? x[k++] : 0;
    *phi = f->damped ? x[k++] : 1;
    size_t nfree = 1 + (size_t)f->trend + (f->season ? m - 1 : 0);
    memcpy(x0, x + k, nfree * sizeof *x0);
    if (f->season) {
        size_t soff = 1 + (size_t)f->trend;
        double s = 0;
        for (size_t j = 0; j + 1 < m; j++)
            s += x0[soff + j];
        x0[soff + m - 1] = (f->season == 2 ? (double)m : 0) - s;
    }
}

static double ets_objective(const double *x, size_t nx, void *vctx)
{
    (void)nx;
    ets_ctx *c = vctx;
    double alpha, beta, gamma, phi;
    unpack(&c->form, c->m, x, &alpha, &beta, &gamma, &phi, c->x0);
    if (!ets_check(&c->form, c->m, alpha, beta, gamma, phi))
        return INFINITY;
    if (c->form.season == 2) {
        size_t soff = 1 + (size_t)c->form.trend;
        for (size_t j = 0; j < c->m; j++)
            if (c->x0[soff + j] < 0)
                return INFINITY;
    }
    double lik = ets_filter(&c->form, c->m, alpha, beta, gamma, phi, c->x0,
                            c->y, c->n, c->ring, NULL, NULL);
    if (isnan(lik))
        return INFINITY;
    if (lik < -1e10)
        return -1e10;
    return lik;
}

/* Least squares of y on the columns of X (n x k, row-major, k <= 4) by the
 * normal equations; coef gets k values.  Returns 0, or -1 if singular. */
static int small_ols(const double *X, const double *y, size_t n, size_t k,
                     double *coef)
{
    double A[4][5] = {{0}};
    for (size_t t = 0; t < n; t++)
        for (size_t i = 0; i < k; i++) {
            for (size_t j = 0; j < k; j++)
                A[i][j] += X[t * k + i] * X[t * k + j];
            A[i][k] += X[t * k + i] * y[t];
        }
    for (size_t i = 0; i < k; i++) {
        size_t piv = i;
        for (size_t r = i + 1; r < k; r++)
            if (fabs(A[r][i]) > fabs(A[piv][i]))
                piv = r;
        if (fabs(A[piv][i]) < 1e-300)
            return -1;
        for (size_t j = 0; j <= k; j++) {
            double tmp = A[i][j];
            A[i][j] = A[piv][j];
            A[piv][j] = tmp;
        }
        for (size_t r = 0; r < k; r++) {
            if (r == i)
                continue;
            double fct = A[r][i] / A[i][i];
            for (size_t j = i; j <= k; j++)
                A[r][j] -= fct * A[i][j];
        }
    }
    for (size_t i = 0; i < k; i++)
        coef[i] = A[i][k] / A[i][i];
    return 0;
}

/* R's initstate(): initial l, b, s1..sm into x0.  seasadj is scratch
 * (n values). */
static int ets_initstate(const ets_form *f, size_t m, const double *y, size_t n,
                         double *x0, double *seasadj)
{
    size_t soff = 1 + (size_t)f->trend;
    if (f->season) {
        double *seas = malloc(n * sizeof *seas); /* the seasonal part */
        if (!seas)
            return LL_ENOMEM;
        if (n < 3 * m) {
            /* A line plus one Fourier pair fitted by least squares. */
            size_t k = m == 2 ? 3 : 4;
            double *X = malloc(n * k * sizeof *X), coef[4] = {0};
            if (!X) {
                free(seas);
                return LL_ENOMEM;
            }
            for (size_t t = 0; t < n; t++) {
                double tt = (double)(t + 1);
                double w = 2 * M_PI * tt / (double)m;
                X[t * k] = 1;
                X[t * k + 1] = tt;
                if (k == 4) {
                    X[t * k + 2] = sin(w);
                    X[t * k + 3] = cos(w);
                } else {
                    X[t * k + 2] = cos(w);
                }
            }
            if (small_ols(X, y, n, k, coef) < 0)
                coef[0] = y[0], coef[1] = 0;
            free(X);
            for (size_t t = 0; t < n; t++) {
                double line = coef[0] + coef[1] * (double)(t + 1);
                seas[t] = f->season == 1 ? y[t] - line : y[t] / line;
            }
        } else {
            double fig[ETS_MAX_M];
            if (ll_fc_classical_figure(y, n, m, f->season == 2, fig) < 0) {
                free(seas);
                return LL_ENOMEM;
            }
            for (size_t t = 0; t < n; t++)
                seas[t] = fig[t % m];
        }
        /* s1 = the season of position m - 1, ..., s(m-1) = position 1. */
        double sum = 0;
        for (size_t j = 0; j + 1 < m; j++) {
            double v = seas[m - 1 - j];
            if (f->season == 2)
                v = fmax(v, 0.01);
            x0[soff + j] = v;
            sum += v;
        }
        if (f->season == 2 && sum > (double)m) {
            double tot = sum + 0.01 * (double)(m - 1);
            for (size_t j = 0; j + 1 < m; j++)
                x0[soff + j] /= tot;
        }
        for (size_t t = 0; t < n; t++)
            seasadj[t] =
                f->season == 1 ? y[t] - seas[t] : y[t] / fmax(seas[t], 0.01);
        free(seas);
    } else {
        memcpy(seasadj, y, n * sizeof *y);
    }
    size_t mm = f->season ? m : 1;
    size_t maxn = 2 * mm > 10 ? 2 * mm : 10;
    if (maxn > n)
        maxn = n;
    if (!f->trend) {
        double s = 0;
        for (size_t t = 0; t < maxn; t++)
            s += seasadj[t];
        x0[0] = s / (double)maxn;
    } else {
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (size_t t = 0; t < maxn; t++) {
            double xt = (double)(t + 1);
            sx += xt, sy += seasadj[t], sxx += xt * xt;
            sxy += xt * seasadj[t];
        }
        double nn = (double)maxn;
        double slope = (nn * sxy - sx * sy) / (nn * sxx - sx * sx);
        double icpt = (sy - slope * sx) / nn;
        if (fabs(icpt + slope) < 1e-8) {
            icpt *= 1 + 1e-3;
            slope *= 1 - 1e-3;
        }
        x0[0] = icpt;
        x0[1] = slope;
    }
    if (f->season) {
        double s = 0;
        for (size_t j = 0; j + 1 < m; j++)
            s += x0[soff + j];
        x0[soff + m - 1] = (f->season == 2 ? (double)m : 0) - s;
    }
    return LL_OK;
}

/* R's initparam() with the default bounds. */
static void ets_initparam(const ets_form *f, size_t m, double *x)
{
    const double lo = 1e-4, up = 0.9999;
    size_t k = 0;
    double mm = f->season ? (double)m : 1;
    double alpha = lo + 0.2 * (up - lo) / mm;
    if (alpha > 1 || alpha < 0)
        alpha = lo + 2e-3;
    x[k++] = alpha;
    if (f->trend) {
        double ub = fmin(up, alpha);
        double beta = lo + 0.1 * (ub - lo);
        if (beta < 0 || beta > alpha)
            beta = alpha - 1e-3;
        x[k++] = beta;
    }
    if (f->season) {
        double ug = fmin(up, 1 - alpha);
        double gamma = lo + 0.05 * (ug - lo);
        if (gamma < 0 || gamma > 1 - alpha)
            gamma = 1 - alpha - 1e-3;
        x[k++] = gamma;
    }
    if (f->damped)
        x[k++] = 0.8 + 0.99 * (0.98 - 0.8);
}

static void ets_free(ll_fc_fit *f)
{
    if (!f)
        return;
    ets_fit *e = (ets_fit *)f;
    free(e->init);
    free(e->last);
    free(e->pbuf);
    free(f->fitted);
    free(e);
}

/* Class 1 and 2: forecasts by propagating the state, and the
 * coefficients c_j = H F^(j-1) G of the linear innovations form. */
static void linear_paths(const ets_fit *e, size_t h, double *mu, double *cj,
                         double *st, double *g)
{
    size_t p = e->nstate, m = e->m;
    int tr = e->form.trend, se = e->form.season;
    double phi = e->form.damped ? e->phi : 1;
    memcpy(st, e->last, p * sizeof *st);
    memset(g, 0, p * sizeof *g);
    g[0] = e->alpha;
    if (tr)
        g[1] = e->beta;
    if (se)
        g[1 + tr] = e->gamma;
    for (size_t i = 0; i < h; i++) {
        /* y = H x; x <- F x, for the state and for G alike. */
        double *vs[2] = {st, g};
        for (int w = 0; w < 2; w++) {
            double *v = vs[w];
            double out = v[0] + (tr ? phi * v[1] : 0) + (se ? v[p - 1] : 0);
            if (w == 0)
                mu[i] = out;
            else
                cj[i] = out;
            double l = v[0] + (tr ? phi * v[1] : 0);
            if (tr)
                v[1] *= phi;
            v[0] = l;
            if (se) {
                size_t soff = 1 + (size_t)tr;
                double last = v[soff + m - 1];
                memmove(v + soff + 1, v + soff, (m - 1) * sizeof *v);
                v[soff] = last;
            }
        }
    }
}

/* C = A B for D x D matrices (bt: B transposed). */
static void mat_mul(size_t D, const double *A, const double *B, int bt,
                    double *C)
{
    for (size_t i = 0; i < D; i++)
        for (size_t j = 0; j < D; j++) {
            double s = 0;
            for (size_t k = 0; k < D; k++)
                s += A[i * D + k] * (bt ? B[j * D + k] : B[k * D + j]);
            C[i * D + j] = s;
        }
}

/* A kron B: A (a x a), B (b x b). */
static void kron(const double *A, size_t a, const double *B, size_t b,
                 double *C)
{
    size_t D = a * b;
    for (size_t i = 0; i < a; i++)
        for (size_t j = 0; j < a; j++)
            for (size_t k = 0; k < b; k++)
                for (size_t l = 0; l < b; l++)
                    C[(i * b + k) * D + j * b + l] =
                        A[i * a + j] * B[k * b + l];
}

/* Class 3 (multiplicative error and season, additive or no trend): the
 * mean and variance recursions on the outer product of the level/trend
 * and season states, as R's forecast package computes them. */
static int class3(const ets_fit *e, size_t h, double *mu, double *var)
{
    size_t m = e->m, q = 1 + (size_t)(e->form.trend != 0), D = q * m;
    double s2 = e->head.sigma2;
    double F1[4] = {0}, G1[4] = {0};
    if (q == 1) {
        F1[0] = 1, G1[0] = e->alpha;
    } else {
        F1[0] = 1, F1[1] = 1, F1[2] = 0, F1[3] = e->form.damped ? e->phi : 1;
        G1[0] = G1[1] = e->alpha, G1[2] = G1[3] = e->beta;
    }
    size_t DD = D * D;
    double *buf = calloc(2 * m * m + 9 * DD + D + q * m * 2, sizeof *buf);
    if (!buf)
        return LL_ENOMEM;
    double *F2 = buf, *G2 = F2 + m * m, *F21 = G2 + m * m, *G21 = F21 + DD;
    double *K = G21 + DD, *Vh = K + DD, *T1 = Vh + DD, *T2 = T1 + DD;
    double *W = T2 + DD, *Vn = W + DD, *T3 = Vn + DD, *v = T3 + DD;
    double *Mh = v + D, *Mn = Mh + q * m;
    F2[m - 1] = 1;
    for (size_t i = 1; i < m; i++)
        F2[i * m + i - 1] = 1;
    G2[m - 1] = e->gamma;
    kron(F2, m, F1, q, F21);
    kron(G2, m, G1, q, G21);
    kron(G2, m, F1, q, T1);
    kron(F2, m, G1, q, T2);
    for (size_t i = 0; i < DD; i++)
        K[i] = T1[i] + T2[i];
    /* Mh (q x m) = (l, b)' (s1..sm), stored column-major as vec(Mh). */
    for (size_t c = 0; c < m; c++)
        for (size_t r = 0; r < q; r++)
            Mh[c * q + r] = e->last[r] * e->last[q + c];
    for (size_t i = 0; i < h; i++) {
        double mi = 0;
        for (size_t r = 0; r < q; r++)
            mi += Mh[(m - 1) * q + r];
        double hv = 0; /* H21 Vh H21': the sum of the last block */
        for (size_t a = 0; a < q; a++)
            for (size_t b = 0; b < q; b++)
                hv += Vh[((m - 1) * q + a) * D + (m - 1) * q + b];
        mu[i] = mi;
        var[i] = (1 + s2) * hv + s2 * mi * mi;
        if (i + 1 == h)
            break;
        memcpy(v, Mh, D * sizeof *v);
        /* Vn = F21 Vh F21' + s2 (F21 Vh G21' + (.)' + K (Vh + vv') K'
         *      + s2 G21 (3 Vh + 2 vv') G21') */
        mat_mul(D, F21, Vh, 0, T1);
        mat_mul(D, T1, F21, 1, Vn);
        mat_mul(D, T1, G21, 1, T2);
        for (size_t a = 0; a < D; a++)
            for (size_t b = 0; b < D; b++)
                Vn[a * D + b] += s2 * (T2[a * D + b] + T2[b * D + a]);
        for (size_t a = 0; a < D; a++)
            for (size_t b = 0; b < D; b++)
                W[a * D + b] = Vh[a * D + b] + v[a] * v[b];
        mat_mul(D, K, W, 0, T1);
        mat_mul(D, T1, K, 1, T3);
        for (size_t a = 0; a < DD; a++)
            Vn[a] += s2 * T3[a];
        for (size_t a = 0; a < D; a++)
            for (size_t b = 0; b < D; b++)
                W[a * D + b] = 3 * Vh[a * D + b] + 2 * v[a] * v[b];
        mat_mul(D, G21, W, 0, T1);
        mat_mul(D, T1, G21, 1, T3);
        for (size_t a = 0; a < DD; a++)
            Vh[a] = Vn[a] + s2 * s2 * T3[a];
        /* Mh = F1 Mh F2' + s2 G1 Mh G2' */
        for (size_t c = 0; c < m; c++)
            for (size_t r = 0; r < q; r++) {
                double s = 0;
                /* (F1 Mh F2')[r][c] = sum_a sum_b F1[r][a] Mh[a][b]
                 * F2[c][b] */
                for (size_t a = 0; a < q; a++)
                    for (size_t b = 0; b < m; b++) {
                        double mab = Mh[b * q + a];
                        s += F1[r * q + a] * mab * F2[c * m + b] +
                             s2 * G1[r * q + a] * mab * G2[c * m + b];
                    }
                Mn[c * q + r] = s;
            }
        memcpy(Mh, Mn, q * m * sizeof *Mh);
    }
    free(buf);
    return LL_OK;
}

static int ets_predict(const ll_fc_fit *f, size_t h, const double *xf,
                       const double *levels, size_t nlevels, double *mean,
                       double *lo, double *hi, ll_err *err)
{
    (void)xf;
    const ets_fit *e = (const ets_fit *)f;
    double *var = malloc(h * sizeof *var);
    double *cj = malloc(h * sizeof *cj);
    double *st = malloc(2 * e->nstate * sizeof *st);
    if (!var || !cj || !st) {
        free(var), free(cj), free(st);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    double s2 = f->sigma2;
    if (e->constant) {
        for (size_t i = 0; i < h; i++)
            mean[i] = e->last[0], var[i] = 0;
    } else if (e->form.error == 2 && e->form.season == 2) {
        if (class3(e, h, mean, var) < 0) {
            free(var), free(cj), free(st);
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        }
    } else {
        linear_paths(e, h, mean, cj, st, st + e->nstate);
        if (e->form.error == 1) {
            double acc = 0;
            for (size_t i = 0; i < h; i++) {
                var[i] = s2 * (1 + acc);
                acc += cj[i] * cj[i];
            }
        } else {
            /* theta_j = mu_j^2 + s2 sum_{i<j} c_i^2 theta_{j-i} */
            double *th = malloc(h * sizeof *th);
            if (!th) {
                free(var), free(cj), free(st);
                return ll_err_set(err, LL_ENOMEM, "out of memory");
            }
            for (size_t j = 0; j < h; j++) {
                double s = 0;
                for (size_t i = 0; i < j; i++)
                    s += cj[i] * cj[i] * th[j - 1 - i];
                th[j] = mean[j] * mean[j] + s2 * s;
                var[j] = (1 + s2) * th[j] - mean[j] * mean[j];
            }
            free(th);
        }
    }
    for (size_t l = 0; l < nlevels; l++) {
        double z = ll_fc_normal_quantile(levels[l]);
        for (size_t i = 0; i < h; i++) {
            double sd = sqrt(fmax(var[i], 0));
            lo[l * h + i] = mean[i] - z * sd;
            hi[l * h + i] = mean[i] + z * sd;
        }
    }
    free(var), free(cj), free(st);
    return LL_OK;
}

/* One step of ets_filter from the final states, with the same
 * arithmetic, so that n updates equal a restore on the n longer series. */
static int ets_update(ll_fc_fit *f, double y, const double *x, ll_err *err)
{
    (void)x;
    ets_fit *e = (ets_fit *)f;
    const ets_form *fo = &e->form;
    if (e->constant || isnan(f->loglik))
        return ll_err_set(err, LL_EINVAL,
                          "%s: a constant or broken-down fit has no states "
                          "to advance",
                          f->family->name);
    size_t m = e->m, soff = 1 + (size_t)fo->trend;
    double phi = fo->damped ? e->phi : 1;
    double l = e->last[0], b = fo->trend ? e->last[1] : 0;
    double q = l + phi * b;
    double p = fo->season ? e->last[soff + m - 1] : 0;
    double mu = fo->season == 1 ? q + p : fo->season == 2 ? q * p : q;
    double r = y - mu, et = r;
    if (fo->error == 2) {
        if (fabs(mu) < ETS_TOL)
            return ll_err_set(err, LL_ERANGE,
                              "%s: the one-step forecast is zero under "
                              "multiplicative errors",
                              f->method);
        et = r / mu;
    }
    double dl = fo->season == 2 ? r / p : r;
    double nl = q + e->alpha * dl;
    if (!isfinite(nl))
        return ll_err_set(err, LL_ERANGE, "%s: the level is no longer finite",
                          f->method);
    double *fitted = realloc(f->fitted, (f->n + 1) * sizeof *fitted);
    if (!fitted)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    f->fitted = fitted;
    fitted[f->n] = fo->error == 1 ? y - et : y / (1 + et);
    e->last[0] = nl;
    if (fo->trend)
        e->last[1] = phi * b + e->beta * dl;
    if (fo->season) {
        double sn = p + e->gamma * (fo->season == 2 ? r / q : r);
        memmove(e->last + soff + 1, e->last + soff, (m - 1) * sizeof *e->last);
        e->last[soff] = sn;
    }
    e->sse += et * et;
    if (fo->error == 2)
        e->slog += log(fabs(mu));
    f->n++;
    size_t n = f->n, nsm = form_nsmooth(fo);
    size_t nfree = nsm + 1 + (size_t)fo->trend + (fo->season ? m - 1 : 0);
    f->sigma2 = n > nfree ? e->sse / (double)(n - nfree) : (double)NAN;
    double lik = (double)n * log(e->sse) + 2 * e->slog;
    ll_fc_set_ic(f, -0.5 * lik, nfree + 1, n);
    return LL_OK;
}

static const ll_fc_fit_ops ets_ops = {ets_predict, ets_free, ets_update};

static ets_fit *ets_alloc(const ll_fc_family *fam, const ll_fc_spec *spec,
                          const ets_form *form, size_t m, size_t n)
{
    ets_fit *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->head.ops = &ets_ops;
    e->head.family = fam;
    e->head.spec = *spec;
    e->head.spec.family = fam->name;
    e->head.n = n;
    e->form = *form;
    e->m = form->season ? m : 1;
    e->nstate = 1 + (size_t)(form->trend != 0) + (form->season ? m : 0);
    e->init = calloc(e->nstate, sizeof *e->init);
    e->last = calloc(e->nstate, sizeof *e->last);
    e->pbuf = calloc(4 + e->nstate, sizeof *e->pbuf);
    e->head.fitted = calloc(n, sizeof *e->head.fitted);
    if (!e->init || !e->last || !e->pbuf || !e->head.fitted) {
        ets_free(&e->head);
        return NULL;
    }
    e->head.params = e->pbuf;
    return e;
}

static void put_param(ets_fit *e, const char *name, double v)
{
    ll_fc_param *p = &e->pbuf[e->head.nparams++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->value = v;
}

/* Fill a fit's criteria, fitted values, final states and params from its
 * parameters and initial states. */
static int ets_finish(ets_fit *e, const double *y, size_t n)
{
    double *res = malloc(n * sizeof *res);
    double *ring = malloc(e->m * sizeof *ring);
    if (!res || !ring) {
        free(res), free(ring);
        return LL_ENOMEM;
    }
    double lik = ets_filter(&e->form, e->m, e->alpha, e->beta, e->gamma, e->phi,
                            e->init, y, n, ring, res, e->last);
    double sse = 0;
    for (size_t t = 0; t < n; t++) {
        e->head.fitted[t] =
            e->form.error == 1 ? y[t] - res[t] : y[t] / (1 + res[t]);
        sse += res[t] * res[t];
    }
    size_t nsm = form_nsmooth(&e->form);
    size_t nfree =
        nsm + 1 + (size_t)e->form.trend + (e->form.season ? e->m - 1 : 0);
    e->head.sigma2 = n > nfree ? sse / (double)(n - nfree) : (double)NAN;
    ll_fc_set_ic(&e->head, -0.5 * lik, nfree + 1, n);
    e->sse = sse;
    e->slog = e->form.error == 2 ? 0.5 * (lik - (double)n * log(sse)) : 0;
    free(res), free(ring);
    char buf[24];
    form_name(&e->form, e->head.method, sizeof e->head.method);
    e->head.nparams = 0;
    put_param(e, "alpha", e->alpha);
    if (e->form.trend)
        put_param(e, "beta", e->beta);
    if (e->form.season)
        put_param(e, "gamma", e->gamma);
    if (e->form.damped)
        put_param(e, "phi", e->phi);
    put_param(e, "l", e->init[0]);
    if (e->form.trend)
        put_param(e, "b", e->init[1]);
    if (e->form.season)
        for (size_t j = 0; j < e->m; j++) {
            snprintf(buf, sizeof buf, "s%zu", j + 1);
            put_param(e, buf, e->init[1 + e->form.trend + j]);
        }
    e->head.spec.ets_model[0] = e->form.error == 1 ? 'A' : 'M';
    e->head.spec.ets_model[1] = ets_letter[e->form.trend];
    e->head.spec.ets_model[2] = ets_letter[e->form.season];
    e->head.spec.ets_model[3] = 0;
    e->head.spec.damped = e->form.damped;
    return LL_OK;
}

/* Fit one form.  Returns 0 with *out, 1 when the form does not fit the
 * data (too many parameters, no admissible start), or LL_ENOMEM. */
static int ets_fit_form(const ll_fc_family *fam, const ll_fc_spec *spec,
                        const ets_form *form, size_t m, const double *y,
                        size_t n, ets_fit **out)
{
    *out = NULL;
    size_t mm = form->season ? m : 1;
    size_t nsm = form_nsmooth(form);
    size_t nstate = 1 + (size_t)form->trend + (form->season ? mm : 0);
    size_t nx = nsm + nstate - (form->season ? 1 : 0);
    if (nx >= n - 1)
        return 1;
    double *x = malloc((nx + 2 * nstate + mm + n) * sizeof *x);
    if (!x)
        return LL_ENOMEM;
    double *x0 = x + nx, *full = x0 + nstate, *ring = full + nstate;
    double *scratch = ring + mm;
    ets_initparam(form, mm, x);
    if (ets_initstate(form, mm, y, n, full, scratch) < 0) {
        free(x);
        return LL_ENOMEM;
    }
    memcpy(x + nsm, full, (nstate - (form->season ? 1 : 0)) * sizeof *x);
    ets_ctx ctx = {*form, mm, y, n, ring, x0};
    ll_opt_opts o = {.max_iter = 2000};
    ll_opt_result r;
    if (!isfinite(ets_objective(x, nx, &ctx))) {
        free(x);
        return 1;
    }
    if (ll_opt_nelder_mead(ets_objective, &ctx, x, nx, &o, &r) < 0) {
        free(x);
        return LL_ENOMEM;
    }
    if (!isfinite(r.value)) {
        free(x);
        return 1;
    }
    ets_fit *e = ets_alloc(fam, spec, form, mm, n);
    if (!e) {
        free(x);
        return LL_ENOMEM;
    }
    unpack(form, mm, x, &e->alpha, &e->beta, &e->gamma, &e->phi, e->init);
    free(x);
    e->head.spec.season_length = spec->season_length;
    if (ets_finish(e, y, n) < 0) {
        ets_free(&e->head);
        return LL_ENOMEM;
    }
    *out = e;
    return 0;
}

static int ets_constant(const ll_fc_family *fam, const ll_fc_spec *spec,
                        const double *y, size_t n, ll_fc_fit **out, ll_err *err)
{
    ets_form form = {1, 0, 0, 0};
    ets_fit *e = ets_alloc(fam, spec, &form, 1, n);
    if (!e)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    e->constant = 1;
    e->alpha = 0.99999;
    e->init[0] = e->last[0] = y[0];
    for (size_t t = 0; t < n; t++)
        e->head.fitted[t] = y[0];
    e->head.sigma2 = 0;
    e->head.loglik = e->head.aic = e->head.aicc = e->head.bic = NAN;
    form_name(&form, e->head.method, sizeof e->head.method);
    put_param(e, "alpha", e->alpha);
    put_param(e, "l", y[0]);
    memcpy(e->head.spec.ets_model, "ANN", 4);
    e->head.spec.damped = 0;
    *out = &e->head;
    return LL_OK;
}

/* The model string of a spec, after the family's fixed choices. */
static void spec_model(const ll_fc_family *fam, const ll_fc_spec *spec,
                       char model[4], int *damped)
{
    *damped = spec->damped;
    if (strcmp(fam->name, "SES") == 0) {
        memcpy(model, "ANN", 4);
        *damped = 0;
    } else if (strcmp(fam->name, "Holt") == 0) {
        memcpy(model, "AAN", 4);
        if (*damped < 0)
            *damped = 0;
    } else if (strcmp(fam->name, "HoltWinters") == 0) {
        /* ets_model[2] carries the seasonal choice: 'M' multiplicative. */
        memcpy(model, spec->ets_model[2] == 'M' ? "MAM" : "AAA", 4);
        if (*damped < 0)
            *damped = 0;
    } else {
        if (spec->ets_model[0])
            memcpy(model, spec->ets_model, 4);
        else
            memcpy(model, "ZZZ", 4);
        model[3] = 0;
    }
}

static size_t ets_min_length(const ll_fc_spec *spec)
{
    const ll_fc_family *fam = ll_fc_family_find(spec->family);
    char model[4];
    int damped;
    if (!fam)
        fam = &ll_fc_autoets;
    spec_model(fam, spec, model, &damped);
    size_t m = spec->season_length > 1 ? (size_t)spec->season_length : 1;
    size_t npars = 2;
    if (model[1] == 'A' || model[1] == 'M')
        npars += 2;
    if ((model[2] == 'A' || model[2] == 'M') && m > 1)
        npars += m;
    if (damped == 1)
        npars += 1;
    return npars + 5;
}

static int ets_fit_family(const ll_fc_family *fam, const ll_fc_spec *spec,
                          const ll_fc_data *data, ll_fc_fit **out, ll_err *err)
{
    const double *y = data->y;
    size_t n = data->n;
    *out = NULL;
    char model[4];
    int damped;
    spec_model(fam, spec, model, &damped);
    const char *name = fam->name;
    if (strlen(model) != 3 || !strchr("AMZ", model[0]) ||
        !strchr("NAMZ", model[1]) || !strchr("NAMZ", model[2]))
        return ll_err_set(err, LL_EINVAL,
                          "%s: model must be three letters (error A/M/Z, "
                          "trend N/A/Z, season N/A/M/Z), got '%s'",
                          name, model);
    if (model[1] == 'M')
        return ll_err_set(err, LL_EINVAL,
                          "%s: a multiplicative trend (model '%s') is not "
                          "supported; use trend A with damped = true",
                          name, model);
    size_t m = spec->season_length > 1 ? (size_t)spec->season_length : 1;
    int season_forced = model[2] == 'A' || model[2] == 'M';
    if (season_forced && m == 1)
        return ll_err_set(err, LL_EINVAL,
                          "%s: a seasonal model (season %c) needs "
                          "season_length > 1",
                          name, model[2]);
    if (m > ETS_MAX_M && season_forced)
        return ll_err_set(err, LL_EINVAL,
                          "%s: season_length %zu is too long for ETS "
                          "seasonality (at most %d); use season N or MSTL",
                          name, m, ETS_MAX_M);
    if (damped == 1 && model[1] == 'N')
        return ll_err_set(err, LL_EINVAL,
                          "%s: a damped trend needs a trend (model '%s')", name,
                          model);
    if (model[0] == 'A' && model[2] == 'M')
        return ll_err_set(err, LL_EINVAL,
                          "%s: additive error with multiplicative season "
                          "(model '%s') is a forbidden combination",
                          name, model);
    double ymin = y[0], ymax = y[0];
    for (size_t t = 1; t < n; t++)
        ymin = fmin(ymin, y[t]), ymax = fmax(ymax, y[t]);
    int positive = ymin > 0;
    if (!positive && (model[0] == 'M' || model[2] == 'M'))
        return ll_err_set(err, LL_EINVAL,
                          "%s: a multiplicative error or season (model "
                          "'%s') needs positive data; the series has "
                          "values <= 0",
                          name, model);
    if (ymin == ymax && strcmp(model, "ZZZ") == 0)
        return ets_constant(fam, spec, y, n, out, err);
    int errs[2], ne = 0, trends[2], nt = 0, seas[3], ns = 0, damps[2], nd = 0;
    if (model[0] == 'Z') {
        errs[ne++] = 1;
        errs[ne++] = 2;
    } else {
        errs[ne++] = model[0] == 'A' ? 1 : 2;
    }
    if (model[1] == 'Z') {
        trends[nt++] = 0;
        trends[nt++] = 1;
    } else {
        trends[nt++] = model[1] == 'A';
    }
    int can_season = m > 1 && m <= ETS_MAX_M && n > m;
    if (model[2] == 'Z') {
        seas[ns++] = 0;
        if (can_season) {
            seas[ns++] = 1;
            seas[ns++] = 2;
        }
    } else if (model[2] == 'N' || !can_season) {
        seas[ns++] = 0;
    } else {
        seas[ns++] = model[2] == 'A' ? 1 : 2;
    }
    if (damped < 0) {
        damps[nd++] = 1;
        damps[nd++] = 0;
    } else {
        damps[nd++] = damped;
    }
    ets_fit *best = NULL;
    for (int i = 0; i < ne; i++)
        for (int j = 0; j < nt; j++)
            for (int k = 0; k < ns; k++)
                for (int l = 0; l < nd; l++) {
                    ets_form form = {errs[i], trends[j], seas[k], damps[l]};
                    if (!form.trend && form.damped)
                        continue;
                    if (form.error == 1 && form.season == 2)
                        continue;
                    if (!positive && (form.error == 2 || form.season == 2))
                        continue;
                    ets_fit *cand;
                    int rc = ets_fit_form(fam, spec, &form, m, y, n, &cand);
                    if (rc < 0) {
                        ets_free(best ? &best->head : NULL);
                        return ll_err_set(err, rc, "out of memory");
                    }
                    if (rc > 0)
                        continue;
                    if (!isnan(cand->head.aicc) &&
                        (!best || cand->head.aicc < best->head.aicc)) {
                        ets_free(best ? &best->head : NULL);
                        best = cand;
                    } else {
                        ets_free(&cand->head);
                    }
                }
    if (!best)
        return ll_err_set(err, LL_EINVAL,
                          "%s: no ETS model could be fitted to %zu "
                          "observations (model '%s')",
                          name, n, model);
    *out = &best->head;
    return LL_OK;
}

static double find_param(const ll_fc_param *p, size_t np, const char *name,
                         int *found)
{
    for (size_t i = 0; i < np; i++)
        if (strcmp(p[i].name, name) == 0) {
            *found = 1;
            return p[i].value;
        }
    *found = 0;
    return NAN;
}

static int ets_restore_family(const ll_fc_family *fam, const ll_fc_spec *spec,
                              const ll_fc_param *params, size_t np,
                              const ll_fc_data *data, ll_fc_fit **out,
                              ll_err *err)
{
    *out = NULL;
    char model[4];
    int damped;
    spec_model(fam, spec, model, &damped);
    if (!strchr("AM", model[0]) || !strchr("NA", model[1]) ||
        !strchr("NAM", model[2]) || damped < 0)
        return ll_err_set(err, LL_EINVAL,
                          "%s: restore needs a fitted form (model '%s', "
                          "damped %d)",
                          fam->name, model, damped);
    ets_form form = {model[0] == 'A' ? 1 : 2, model[1] == 'A',
                     model[2] == 'N'   ? 0
                     : model[2] == 'A' ? 1
                                       : 2,
                     damped};
    size_t m = spec->season_length > 1 ? (size_t)spec->season_length : 1;
    if (form.season && m == 1)
        return ll_err_set(err, LL_EINVAL,
                          "%s: a seasonal form needs season_length > 1",
                          fam->name);
    ets_fit *e = ets_alloc(fam, spec, &form, m, data->n);
    if (!e)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    int ok = 1, f;
    e->alpha = find_param(params, np, "alpha", &f), ok &= f;
    e->beta = form.trend ? find_param(params, np, "beta", &f) : 0;
    ok &= !form.trend || f;
    e->gamma = form.season ? find_param(params, np, "gamma", &f) : 0;
    ok &= !form.season || f;
    e->phi = form.damped ? find_param(params, np, "phi", &f) : 1;
    ok &= !form.damped || f;
    e->init[0] = find_param(params, np, "l", &f), ok &= f;
    if (form.trend)
        e->init[1] = find_param(params, np, "b", &f), ok &= f;
    for (size_t j = 0; form.season && j < e->m; j++) {
        char key[32];
        snprintf(key, sizeof key, "s%zu", j + 1);
        e->init[1 + form.trend + j] = find_param(params, np, key, &f);
        ok &= f;
    }
    if (!ok) {
        ets_free(&e->head);
        return ll_err_set(err, LL_EINVAL,
                          "%s: restore is missing a parameter of %s", fam->name,
                          model);
    }
    if (ets_finish(e, data->y, data->n) < 0) {
        ets_free(&e->head);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    *out = &e->head;
    return LL_OK;
}

#define ETS_FAMILY(sym, label)                                                 \
    static int sym##_fit(const ll_fc_spec *spec, const ll_fc_data *data,       \
                         ll_fc_fit **out, ll_err *err)                         \
    {                                                                          \
        return ets_fit_family(&sym, spec, data, out, err);                     \
    }                                                                          \
    static int sym##_restore(const ll_fc_spec *spec, const ll_fc_param *p,     \
                             size_t np, const ll_fc_data *data,                \
                             ll_fc_fit **out, ll_err *err)                     \
    {                                                                          \
        return ets_restore_family(&sym, spec, p, np, data, out, err);          \
    }                                                                          \
    const ll_fc_family sym = {label, sym##_fit, sym##_restore, ets_min_length, \
                              0};

ETS_FAMILY(ll_fc_autoets, "AutoETS")
ETS_FAMILY(ll_fc_ses, "SES")
ETS_FAMILY(ll_fc_holt, "Holt")
ETS_FAMILY(ll_fc_holtwinters, "HoltWinters")
