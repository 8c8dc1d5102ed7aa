/*
 * optim: derivative-free and quasi-Newton minimisers shared by the
 * forecasting families (ETS and Theta use Nelder-Mead as R's ets() does;
 * ARIMA uses BFGS as R's arima() does; Prophet uses L-BFGS with box
 * bounds).  Pure C, no global state, thread-safe.
 *
 * The objective returns the value at x (n parameters); it may return
 * INFINITY or NAN for an inadmissible point, which the minimisers treat
 * as worse than any finite value.  ctx is passed through.
 */
#ifndef LL_FC_OPTIM_H
#define LL_FC_OPTIM_H

#include <stddef.h>

typedef double (*ll_opt_fn)(const double *x, size_t n, void *ctx);
/* Gradient into g (n values); NULL to use central differences. */
typedef void (*ll_opt_grad)(const double *x, size_t n, double *g, void *ctx);

typedef struct ll_opt_opts {
    int max_iter;  /* 0 = the method's default (NM 2000, BFGS 100) */
    double reltol; /* 0 = 1.49e-8 (sqrt(DBL_EPSILON), R's optim) */
    double abstol; /* 0 = -INFINITY (off) */
    double step;   /* NM initial simplex step relative; 0 = 0.1 */
    const double *lower, *upper; /* box bounds (NULL = none) */
} ll_opt_opts;

typedef struct ll_opt_result {
    double value; /* objective at x */
    int iterations;
    int evaluations;
    int converged; /* 1 when the tolerance was met */
} ll_opt_result;

/* Each minimises fn from the start point in x (overwritten with the best
 * point found).  Returns 0, or LL_ENOMEM. opts may be NULL. */
int ll_opt_nelder_mead(ll_opt_fn fn, void *ctx, double *x, size_t n,
                       const ll_opt_opts *opts, ll_opt_result *res);
int ll_opt_bfgs(ll_opt_fn fn, ll_opt_grad grad, void *ctx, double *x, size_t n,
                const ll_opt_opts *opts, ll_opt_result *res);
int ll_opt_lbfgsb(ll_opt_fn fn, ll_opt_grad grad, void *ctx, double *x,
                  size_t n, const ll_opt_opts *opts, ll_opt_result *res);

#endif
