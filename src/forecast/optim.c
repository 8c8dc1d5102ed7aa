/*
 * optim: Nelder-Mead (the variant of R's optim: one initial step for every
 * coordinate, reflection 1, expansion 2, contraction 0.5 after every
 * reflection that does not beat the best vertex, shrink toward the best
 * vertex, stop when the spread of values falls under the tolerance
 * relative to the start value), BFGS with an Armijo backtracking line search
 * (as R's vmmin) and limited-memory BFGS with box bounds by projection.
 *
 * Non-finite objective values are replaced by a huge finite value so an
 * inadmissible point always loses against an admissible one.
 */
#include "forecast/optim.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

#define OPT_BIG 1.0e35

typedef struct optim_eval {
    ll_opt_fn fn;
    void *ctx;
    const double *lower, *upper;
    int evaluations;
} optim_eval;

static double clampd(double v, const double *lo, const double *hi, size_t i)
{
    if (lo && v < lo[i])
        v = lo[i];
    if (hi && v > hi[i])
        v = hi[i];
    return v;
}

static void project(double *x, size_t n, const double *lo, const double *hi)
{
    if (!lo && !hi)
        return;
    for (size_t i = 0; i < n; i++)
        x[i] = clampd(x[i], lo, hi, i);
}

static double eval(optim_eval *e, double *x, size_t n)
{
    project(x, n, e->lower, e->upper);
    e->evaluations++;
    double v = e->fn(x, n, e->ctx);
    if (!isfinite(v))
        v = OPT_BIG;
    return v;
}

static double opt_reltol(const ll_opt_opts *o)
{
    return (o && o->reltol > 0) ? o->reltol : sqrt(DBL_EPSILON);
}

static double opt_abstol(const ll_opt_opts *o)
{
    return (o && o->abstol != 0) ? o->abstol : -INFINITY;
}

static void result_set(ll_opt_result *res, double v, int it, int ev, int conv)
{
    if (!res)
        return;
    res->value = v;
    res->iterations = it;
    res->evaluations = ev;
    res->converged = conv;
}

int ll_opt_nelder_mead(ll_opt_fn fn, void *ctx, double *x, size_t n,
                       const ll_opt_opts *opts, ll_opt_result *res)
{
    optim_eval e = {fn, ctx, opts ? opts->lower : NULL,
                    opts ? opts->upper : NULL, 0};
    /* As R's optim, max_iter bounds the number of evaluations. */
    int maxit = (opts && opts->max_iter > 0) ? opts->max_iter : 2000;
    double reltol = opt_reltol(opts), abstol = opt_abstol(opts);
    double rel_step = (opts && opts->step > 0) ? opts->step : 0.1;
    if (n == 0) {
        double v = eval(&e, x, 0);
        result_set(res, v, 0, e.evaluations, 1);
        return LL_OK;
    }
    size_t np = n + 1;
    double *p = malloc(np * n * sizeof *p); /* vertices, row-major */
    double *f = malloc(np * sizeof *f);
    double *c = malloc(n * sizeof *c);   /* centroid of all but worst */
    double *xr = malloc(n * sizeof *xr); /* reflected point */
    double *xt = malloc(n * sizeof *xt); /* trial point */
    if (!p || !f || !c || !xr || !xt) {
        free(p), free(f), free(c), free(xr), free(xt);
        return LL_ENOMEM;
    }
    project(x, n, e.lower, e.upper);
    /* One step for every coordinate: rel_step times the largest |x|. */
    double step = 0;
    for (size_t j = 0; j < n; j++)
        step = fmax(step, fabs(x[j]) * rel_step);
    if (step == 0)
        step = rel_step;
    memcpy(p, x, n * sizeof *x);
    f[0] = eval(&e, p, n);
    double convtol = reltol * (fabs(f[0]) + reltol);
    double size = 0;
    for (size_t i = 1; i < np; i++) {
        double *v = p + i * n;
        memcpy(v, x, n * sizeof *x);
        double s = step;
        int flip = (e.upper && x[i - 1] + s > e.upper[i - 1]);
        while (v[i - 1] == x[i - 1]) {
            v[i - 1] = flip ? x[i - 1] - s : x[i - 1] + s;
            s *= 10;
        }
        size += fabs(v[i - 1] - x[i - 1]);
        f[i] = eval(&e, v, n);
    }
    double oldsize = size;
    int it = 0, conv = 0;
    for (;;) {
        size_t lo = 0, hi = 0;
        for (size_t i = 1; i < np; i++) {
            if (f[i] < f[lo])
                lo = i;
            if (f[i] > f[hi])
                hi = i;
        }
        if (f[hi] <= f[lo] + convtol || f[lo] <= abstol) {
            conv = 1;
            break;
        }
        if (e.evaluations > maxit)
            break;
        it++;
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t i = 0; i < np; i++)
                if (i != hi)
                    s += p[i * n + j];
            c[j] = s / (double)n;
        }
        double *w = p + hi * n;
        for (size_t j = 0; j < n; j++)
            xr[j] = 2.0 * c[j] - w[j];
        double fr = eval(&e, xr, n);
        if (fr < f[lo]) {
            /* Expand; keep the better of the two. */
            for (size_t j = 0; j < n; j++)
                xt[j] = 2.0 * xr[j] - c[j];
            double fe = eval(&e, xt, n);
            if (fe < fr) {
                memcpy(w, xt, n * sizeof *w);
                f[hi] = fe;
            } else {
                memcpy(w, xr, n * sizeof *w);
                f[hi] = fr;
            }
            continue;
        }
        /* Otherwise contract toward the centroid from the worst vertex
         * (or from the reflection when it improved on the worst). */
        double fhi_old = f[hi];
        if (fr < f[hi]) {
            memcpy(w, xr, n * sizeof *w);
            f[hi] = fr;
        }
        for (size_t j = 0; j < n; j++)
            xt[j] = 0.5 * w[j] + 0.5 * c[j];
        double fc = eval(&e, xt, n);
        if (fc < f[hi]) {
            memcpy(w, xt, n * sizeof *w);
            f[hi] = fc;
            continue;
        }
        if (fr < fhi_old)
            continue;
        /* Shrink toward the best vertex; stop when the simplex no longer
         * gets smaller. */
        const double *b = p + lo * n;
        size = 0;
        for (size_t i = 0; i < np; i++) {
            if (i == lo)
                continue;
            double *v = p + i * n;
            for (size_t j = 0; j < n; j++) {
                v[j] = b[j] + 0.5 * (v[j] - b[j]);
                size += fabs(v[j] - b[j]);
            }
        }
        if (size < oldsize) {
            oldsize = size;
        } else {
            break;
        }
        for (size_t i = 0; i < np; i++)
            if (i != lo)
                f[i] = eval(&e, p + i * n, n);
    }
    size_t lo = 0;
    for (size_t i = 1; i < np; i++)
        if (f[i] < f[lo])
            lo = i;
    memcpy(x, p + lo * n, n * sizeof *x);
    result_set(res, f[lo], it, e.evaluations, conv);
    free(p), free(f), free(c), free(xr), free(xt);
    return LL_OK;
}

/* Central differences (one-sided at a bound), step relative to |x|. */
static void num_grad(optim_eval *e, ll_opt_grad grad, double *x, size_t n,
                     double *g, double *tmp)
{
    if (grad) {
        grad(x, n, g, e->ctx);
        for (size_t i = 0; i < n; i++)
            if (!isfinite(g[i]))
                g[i] = 0;
        return;
    }
    memcpy(tmp, x, n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        double h = 1e-3 * fmax(fabs(x[i]), 1e-2);
        double xp = x[i] + h, xm = x[i] - h;
        if (e->upper && xp > e->upper[i])
            xp = x[i];
        if (e->lower && xm < e->lower[i])
            xm = x[i];
        if (xp == xm) {
            g[i] = 0;
            continue;
        }
        tmp[i] = xp;
        double fp = eval(e, tmp, n);
        tmp[i] = xm;
        double fm = eval(e, tmp, n);
        tmp[i] = x[i];
        g[i] = (fp - fm) / (xp - xm);
        if (fp >= OPT_BIG || fm >= OPT_BIG)
            g[i] = 0;
    }
}

int ll_opt_bfgs(ll_opt_fn fn, ll_opt_grad grad, void *ctx, double *x, size_t n,
                const ll_opt_opts *opts, ll_opt_result *res)
{
    optim_eval e = {fn, ctx, opts ? opts->lower : NULL,
                    opts ? opts->upper : NULL, 0};
    int maxit = (opts && opts->max_iter > 0) ? opts->max_iter : 100;
    double reltol = opt_reltol(opts), abstol = opt_abstol(opts);
    if (n == 0) {
        result_set(res, eval(&e, x, 0), 0, e.evaluations, 1);
        return LL_OK;
    }
    double *B = malloc(n * n * sizeof *B);
    double *g = malloc(n * sizeof *g), *c = malloc(n * sizeof *c);
    double *t = malloc(n * sizeof *t), *X = malloc(n * sizeof *X);
    double *tmp = malloc(n * sizeof *tmp);
    if (!B || !g || !c || !t || !X || !tmp) {
        free(B), free(g), free(c), free(t), free(X), free(tmp);
        return LL_ENOMEM;
    }
    const double acctol = 1e-4, stepredn = 0.2;
    double f = eval(&e, x, n);
    if (f >= OPT_BIG) {
        result_set(res, f, 0, e.evaluations, 0);
        free(B), free(g), free(c), free(t), free(X), free(tmp);
        return LL_OK;
    }
    num_grad(&e, grad, x, n, g, tmp);
    int it = 0, conv = 0, reset = 1;
    while (it < maxit) {
        if (reset)
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++)
                    B[i * n + j] = i == j;
        memcpy(X, x, n * sizeof *x);
        memcpy(c, g, n * sizeof *g);
        double gradproj = 0;
        for (size_t i = 0; i < n; i++) {
            double s = 0;
            for (size_t j = 0; j < n; j++)
                s -= B[i * n + j] * g[j];
            t[i] = s;
            gradproj += s * g[i];
        }
        int accepted = 0;
        double f1 = f;
        if (gradproj < 0) {
            double step = 1.0;
            for (;;) {
                int changed = 0;
                for (size_t i = 0; i < n; i++) {
                    x[i] = X[i] + step * t[i];
                    if (8.0 + X[i] != 8.0 + x[i])
                        changed = 1;
                }
                if (!changed)
                    break;
                f1 = eval(&e, x, n);
                if (f1 <= f + gradproj * step * acctol) {
                    accepted = 1;
                    break;
                }
                step *= stepredn;
            }
        }
        if (!accepted) {
            memcpy(x, X, n * sizeof *x);
            if (reset) {
                conv = 1; /* steepest descent makes no progress either */
                break;
            }
            reset = 1;
            continue;
        }
        it++;
        double fold = f;
        f = f1;
        num_grad(&e, grad, x, n, g, tmp);
        double D1 = 0;
        for (size_t i = 0; i < n; i++) {
            t[i] = x[i] - X[i]; /* the step taken */
            c[i] = g[i] - c[i]; /* the change of gradient */
            D1 += t[i] * c[i];
        }
        reset = 0;
        if (D1 > 0) {
            double D2 = 0;
            for (size_t i = 0; i < n; i++) {
                double s = 0;
                for (size_t j = 0; j < n; j++)
                    s += B[i * n + j] * c[j];
                X[i] = s;
                D2 += s * c[i];
            }
            D2 = 1.0 + D2 / D1;
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++)
                    B[i * n + j] +=
                        (D2 * t[i] * t[j] - X[i] * t[j] - t[i] * X[j]) / D1;
        } else {
            reset = 1;
        }
        if (f <= abstol || fabs(fold - f) <= reltol * (fabs(f) + reltol)) {
            conv = 1;
            break;
        }
    }
    result_set(res, f, it, e.evaluations, conv);
    free(B), free(g), free(c), free(t), free(X), free(tmp);
    return LL_OK;
}

/* Projected limited-memory BFGS: the search direction from the two-loop
 * recursion restricted to the variables not held at a bound, a projected
 * backtracking line search, and memory pairs kept only when curvature is
 * positive. */
int ll_opt_lbfgsb(ll_opt_fn fn, ll_opt_grad grad, void *ctx, double *x,
                  size_t n, const ll_opt_opts *opts, ll_opt_result *res)
{
    enum { M = 8 };
    optim_eval e = {fn, ctx, opts ? opts->lower : NULL,
                    opts ? opts->upper : NULL, 0};
    int maxit = (opts && opts->max_iter > 0) ? opts->max_iter : 100;
    double reltol = opt_reltol(opts), abstol = opt_abstol(opts);
    if (n == 0) {
        result_set(res, eval(&e, x, 0), 0, e.evaluations, 1);
        return LL_OK;
    }
    double *S = malloc(M * n * sizeof *S), *Y = malloc(M * n * sizeof *Y);
    double *rho = malloc(M * sizeof *rho), *al = malloc(M * sizeof *al);
    double *g = malloc(n * sizeof *g), *d = malloc(n * sizeof *d);
    double *xo = malloc(n * sizeof *xo), *go = malloc(n * sizeof *go);
    double *tmp = malloc(n * sizeof *tmp);
    unsigned char *fr = malloc(n);
    if (!S || !Y || !rho || !al || !g || !d || !xo || !go || !tmp || !fr) {
        free(S), free(Y), free(rho), free(al), free(g), free(d), free(xo);
        free(go), free(tmp), free(fr);
        return LL_ENOMEM;
    }
    const double *lo = e.lower, *hi = e.upper;
    double f = eval(&e, x, n);
    num_grad(&e, grad, x, n, g, tmp);
    int mem = 0, head = 0, it = 0, conv = 0;
    while (it < maxit) {
        /* Free variables: not at a bound with the gradient pushing out. */
        double pg = 0;
        for (size_t i = 0; i < n; i++) {
            int at_lo = lo && x[i] <= lo[i] && g[i] > 0;
            int at_hi = hi && x[i] >= hi[i] && g[i] < 0;
            fr[i] = !(at_lo || at_hi);
            if (fr[i])
                pg = fmax(pg, fabs(g[i]));
        }
        if (pg < 1e-10) {
            conv = 1;
            break;
        }
        for (size_t i = 0; i < n; i++)
            d[i] = fr[i] ? -g[i] : 0;
        for (int k = 0; k < mem; k++) {
            int idx = (head - 1 - k + M) % M;
            double s = 0;
            for (size_t i = 0; i < n; i++)
                if (fr[i])
                    s += S[idx * n + i] * d[i];
            al[idx] = rho[idx] * s;
            for (size_t i = 0; i < n; i++)
                if (fr[i])
                    d[i] -= al[idx] * Y[idx * n + i];
        }
        if (mem > 0) {
            int idx = (head - 1 + M) % M;
            double sy = 0, yy = 0;
            for (size_t i = 0; i < n; i++) {
                sy += S[idx * n + i] * Y[idx * n + i];
                yy += Y[idx * n + i] * Y[idx * n + i];
            }
            if (yy > 0)
                for (size_t i = 0; i < n; i++)
                    d[i] *= sy / yy;
        }
        for (int k = mem - 1; k >= 0; k--) {
            int idx = (head - 1 - k + M) % M;
            double s = 0;
            for (size_t i = 0; i < n; i++)
                if (fr[i])
                    s += Y[idx * n + i] * d[i];
            double b = rho[idx] * s;
            for (size_t i = 0; i < n; i++)
                if (fr[i])
                    d[i] += S[idx * n + i] * (al[idx] - b);
        }
        double gd = 0;
        for (size_t i = 0; i < n; i++)
            gd += g[i] * d[i];
        if (!(gd < 0)) { /* not a descent direction: steepest descent */
            mem = 0;
            gd = 0;
            for (size_t i = 0; i < n; i++) {
                d[i] = fr[i] ? -g[i] : 0;
                gd += g[i] * d[i];
            }
        }
        memcpy(xo, x, n * sizeof *x);
        memcpy(go, g, n * sizeof *g);
        double step = 1.0, fn1 = f;
        if (it == 0 && mem == 0) {
            double dn = 0;
            for (size_t i = 0; i < n; i++)
                dn += d[i] * d[i];
            dn = sqrt(dn);
            if (dn > 1)
                step = 1.0 / dn;
        }
        int accepted = 0;
        for (int ls = 0; ls < 40; ls++) {
            for (size_t i = 0; i < n; i++)
                x[i] = clampd(xo[i] + step * d[i], lo, hi, i);
            double dec = 0;
            for (size_t i = 0; i < n; i++)
                dec += go[i] * (x[i] - xo[i]);
            fn1 = eval(&e, x, n);
            if (fn1 <= f + 1e-4 * dec) {
                accepted = 1;
                break;
            }
            step *= 0.5;
        }
        if (!accepted) {
            memcpy(x, xo, n * sizeof *x);
            if (mem == 0) {
                conv = 1;
                break;
            }
            mem = 0; /* retry once with steepest descent */
            continue;
        }
        it++;
        double fold = f;
        f = fn1;
        num_grad(&e, grad, x, n, g, tmp);
        double sy = 0;
        for (size_t i = 0; i < n; i++) {
            S[head * n + i] = x[i] - xo[i];
            Y[head * n + i] = g[i] - go[i];
            sy += S[head * n + i] * Y[head * n + i];
        }
        if (sy > 1e-12) {
            rho[head] = 1.0 / sy;
            head = (head + 1) % M;
            if (mem < M)
                mem++;
        }
        if (f <= abstol || fabs(fold - f) <= reltol * (fabs(f) + reltol)) {
            conv = 1;
            break;
        }
    }
    result_set(res, f, it, e.evaluations, conv);
    free(S), free(Y), free(rho), free(al), free(g), free(d), free(xo);
    free(go), free(tmp), free(fr);
    return LL_OK;
}
