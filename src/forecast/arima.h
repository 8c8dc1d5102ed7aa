/*
 * arima: the ARIMA family's internals shared by arima.c, unitroot.c and
 * the tests: unit-root and seasonality tests as R forecast's ndiffs() and
 * nsdiffs() use them, and a direct fit of one fixed-order model.
 *
 * All functions are pure (no global state) and thread-safe.
 */
#ifndef LL_FC_ARIMA_H
#define LL_FC_ARIMA_H

#include <stddef.h>

#include "util/err.h"

/* 1 when x is constant as R's forecast::is.constant() sees it (all values
 * equal to the first within a relative 1.5e-8). */
int ll_fc_is_constant(const double *x, size_t n);

/* The KPSS level-stationarity statistic (urca's ur.kpss type "mu") with
 * lags Bartlett lags; lags < 0 uses R forecast's rule
 * trunc(3 * sqrt(n) / 13). */
double ll_fc_kpss(const double *x, size_t n, int lags);

/* How many first differences make x stationary by the KPSS test at the 5%
 * level (forecast::ndiffs), at most max_d. */
int ll_fc_ndiffs(const double *x, size_t n, int max_d);

/* STL decomposition (Cleveland et al. 1990) with R stl()'s defaults for a
 * given s_window (robust = FALSE): seasonal and trend get n values each.
 * Returns 0 or LL_ENOMEM / LL_EINVAL (period < 2 or n < 2 * period). */
int ll_fc_stl(const double *x, size_t n, int period, int s_window,
              double *seasonal, double *trend, ll_err *err);

/* The seasonal strength max(0, min(1, 1 - var(R) / var(R + S))) of an STL
 * decomposition with s.window 11, as forecast's mstl() and nsdiffs()
 * ("seas" test) compute it.  NAN when n <= 2 * m. */
double ll_fc_seasonal_strength(const double *x, size_t n, int m);

/* Seasonal differences (at most max_D) as forecast::nsdiffs with the
 * default "seas" test: difference while the strength exceeds 0.64. */
int ll_fc_nsdiffs(const double *x, size_t n, int m, int max_D);

/* The exact Gaussian log-likelihood (concentrated over the innovation
 * variance, as R's arima() reports it) of y under an ARIMA model with
 * order {p, d, q, P, D, Q, m} and coefficients ar, ma, sar, sma at coef.
 * fast = 0: R's Kalman filter over the full state (diffuse differencing
 * states); fast = 1: the Chandrasekhar recursions on the differenced
 * series, as the AutoARIMA search uses.  Returns 0, LL_EINVAL (bad order
 * or too few observations), LL_ERANGE (a non-stationary AR part) or
 * LL_ENOMEM. */
int ll_fc_arima_loglik(const double *y, size_t n, const int order[7],
                       const double *coef, int fast, double *loglik);

#endif
