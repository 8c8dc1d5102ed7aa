/*
 * forecast: univariate forecasting models in C (DESIGN 5.9), no Lua.
 *
 * A model family (ETS, ARIMA, Theta, ...) is a table of two functions:
 * `fit` turns a specification and one series into a fitted model, and
 * `restore` rebuilds a fitted model from its saved parameters and the same
 * series without searching or optimising (a saved pipeline, the scoring
 * server and the streaming engine use it).  A fitted model forecasts with
 * prediction intervals through its ops table.  Families live one per file
 * (naive.c, ets.c, arima.c, theta.c, prophet.c, mstl.c, croston.c) and are
 * listed in ll_fc_families[] (registry.c); the Lua binding
 * (lua_forecast.c) and automated ML find them by name there.
 *
 * Ownership: a spec is plain data the caller owns; a fit is owned by the
 * caller and freed with ll_fc_fit_free (accepts NULL).  Every function
 * that fails returns a negative LL_E* code and fills err with a message
 * that says why ("series too short: ETS with season_length 12 needs at
 * least 25 observations, got 20").  The series name, when the caller has
 * one, is prefixed by the caller.
 *
 * Thread safety: fit, restore and predict touch no global state, so
 * different series may be fitted on different threads at once.
 */
#ifndef LL_FORECAST_H
#define LL_FORECAST_H

#include <stddef.h>

#include "util/err.h"

/* A model specification: the family's name and its options.  Options a
 * family does not use are ignored; 0 / NULL / NAN mean "not given" (the
 * family's default or automatic choice). */
typedef struct ll_fc_spec {
    const char *family; /* "AutoETS", "AutoARIMA", "Naive", ... */
    int season_length;  /* m; 0 = not given (the caller infers it) */
    /* ETS: model string "ZZZ" (error, trend, season: A/M/N/Z), damped
     * -1 = auto, 0 = no, 1 = yes.  SES/Holt/HoltWinters set these. */
    char ets_model[4];
    int damped;
    /* ARIMA: order and seasonal order; -1 = search (AutoARIMA). */
    int p, d, q, P, D, Q;
    int include_drift; /* -1 auto, 0 no, 1 yes */
    int include_mean;  /* -1 auto, 0 no, 1 yes */
    int stepwise;      /* AutoARIMA: 1 stepwise (default), 0 exhaustive */
    int approximation; /* -1 auto (n > 150 or m > 12), 0 no, 1 yes */
    /* WindowAverage / SeasonalWindowAverage. */
    int window;
    /* Prophet. */
    int yearly, weekly, daily;      /* Fourier orders; -1 auto, 0 off */
    int n_changepoints;             /* -1 = 25 */
    double changepoint_prior_scale; /* 0 = 0.05 */
    /* MSTL: up to 4 season lengths, ascending. */
    int season_lengths[4];
    int n_season_lengths;
    /* Simulation seed for intervals drawn by simulation (Prophet). */
    unsigned long long seed;
} ll_fc_spec;

/* Set every option to "not given" and family to name. */
void ll_fc_spec_init(ll_fc_spec *s, const char *family);

/* One series to fit.  y has n values, none NaN (the caller fills or
 * refuses gaps).  x, when k > 0, is n rows of k exogenous regressors,
 * row-major (x[t * k + j]); families that take none refuse k > 0.
 * t0 and step place y in time for families with calendar seasonality
 * (Prophet): the time of y[i] is t0 + i * step, in days (step 1 for
 * daily data, 7 weekly, ~30.4375 monthly) or plain steps (0 = unknown). */
typedef struct ll_fc_data {
    const double *y;
    size_t n;
    const double *x;
    size_t k;
    double t0, step;
    /* k regressor names (NULL = unnamed): ARIMA names its coefficients
     * after them. */
    const char *const *x_names;
} ll_fc_data;

/* A named parameter of a fit ("alpha", "ar1", "drift", ...). */
typedef struct ll_fc_param {
    char name[32];
    double value;
} ll_fc_param;

typedef struct ll_fc_fit ll_fc_fit;

typedef struct ll_fc_fit_ops {
    /* Forecast h steps.  xf: h rows of k future regressors (NULL when
     * k == 0).  levels: nlevels coverage levels in percent (80, 95).
     * mean: h values; lo and hi: nlevels * h values, level-major
     * (lo[l * h + i]).  lo/hi may be NULL when nlevels == 0. */
    int (*predict)(const ll_fc_fit *f, size_t h, const double *xf,
                   const double *levels, size_t nlevels, double *mean,
                   double *lo, double *hi, ll_err *err);
    void (*free)(ll_fc_fit *f);
    /* Optional: advance the fit by one new observation y (x: its k
     * regressors, NULL when k == 0) with the parameters unchanged, as if
     * the fit had been restored on the longer series: the states, n,
     * fitted, sigma2 and the criteria move on.  NULL when the family has
     * no such update (restore on the longer series instead). */
    int (*update)(ll_fc_fit *f, double y, const double *x, ll_err *err);
} ll_fc_fit_ops;

/* The common head of every fitted model.  A family allocates a larger
 * struct that begins with this one. */
struct ll_fc_fit {
    const ll_fc_fit_ops *ops;
    const struct ll_fc_family *family;
    ll_fc_spec spec; /* as fitted: automatic choices filled in */
    char method[64]; /* "ETS(M,Ad,M)", "ARIMA(0,1,1)(0,1,1)[12]" */
    double loglik, aic, aicc, bic; /* NAN where a family has none */
    double sigma2;                 /* innovation variance */
    size_t n;                      /* observations fitted */
    size_t k;                      /* regressors */
    double *fitted; /* n one-step-ahead fitted values (NAN where none) */
    ll_fc_param *params;
    size_t nparams;
};

typedef struct ll_fc_family {
    const char *name; /* as on the leaderboard: "AutoETS" */
    /* Fit spec to data.  *out is a new fit. */
    int (*fit)(const ll_fc_spec *spec, const ll_fc_data *data, ll_fc_fit **out,
               ll_err *err);
    /* Rebuild a fit from what a fit reported: its spec (automatic choices
     * already made), its params, and the same data, with no search and no
     * optimisation.  Forecasts equal the original fit's. */
    int (*restore)(const ll_fc_spec *spec, const ll_fc_param *params,
                   size_t nparams, const ll_fc_data *data, ll_fc_fit **out,
                   ll_err *err);
    /* Fewest observations fit accepts for spec (for error messages and
     * automated ML's fold planning). */
    size_t (*min_length)(const ll_fc_spec *spec);
    /* 1 when the family takes exogenous regressors. */
    int takes_regressors;
} ll_fc_family;

/* The registry: every family, NULL-terminated, and lookup by name
 * (case-sensitive; NULL when unknown). */
extern const ll_fc_family *const ll_fc_families[];
const ll_fc_family *ll_fc_family_find(const char *name);

/* Convenience wrappers over the family's functions; they check the data
 * (n > 0, no NaN, n >= min_length) before calling it. */
int ll_fc_fit_series(const ll_fc_spec *spec, const ll_fc_data *data,
                     ll_fc_fit **out, ll_err *err);
int ll_fc_predict(const ll_fc_fit *f, size_t h, const double *xf,
                  const double *levels, size_t nlevels, double *mean,
                  double *lo, double *hi, ll_err *err);
void ll_fc_fit_free(ll_fc_fit *f);
/* Residuals y - fitted into out (n values). */
void ll_fc_residuals(const ll_fc_fit *f, const double *y, double *out);

/* Shared helpers for families. */
/* The standard normal quantile for a two-sided level in percent
 * (95 -> 1.959964). */
double ll_fc_normal_quantile(double level);
/* Quantiles of the standard normal and of Student's t with df degrees of
 * freedom at probability p. */
double ll_fc_qnorm(double p);
double ll_fc_qt(double p, double df);
/* The seasonal figure of a classical decomposition (R's decompose()):
 * a centred moving average of order m as the trend, the mean detrended
 * value of each position (position 0 = y[0]), normalised to mean 0
 * (additive) or 1 (multiplicative, mult = 1).  figure gets m values.
 * Needs n >= 2m.  Returns 0 or LL_ENOMEM. */
int ll_fc_classical_figure(const double *y, size_t n, size_t m, int mult,
                           double *figure);
/* Fill missing values (NaN) of y in place: LL_FC_FILL_FFILL carries the
 * last value forward, LL_FC_FILL_INTERPOLATE joins neighbours by a
 * straight line (the end by the last value).  Leading NaNs cannot be
 * filled: *skip gets their count (the caller drops them).  With
 * LL_FC_FILL_NONE, any NaN is an error naming its position. */
enum { LL_FC_FILL_NONE, LL_FC_FILL_FFILL, LL_FC_FILL_INTERPOLATE };
int ll_fc_fill(double *y, size_t n, int mode, size_t *skip, ll_err *err);
/* Information criteria from a log-likelihood with npar parameters. */
void ll_fc_set_ic(ll_fc_fit *f, double loglik, size_t npar, size_t nobs);

#endif
