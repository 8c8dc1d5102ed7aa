/*
 * automl: automated ML forecasting (DESIGN 5.9), no Lua.
 *
 * A long table (one row per series and time) becomes an ll_aml_table:
 * series sorted by time, gaps filled, the target and the known-future
 * regressors as doubles (features.c).  From it, an engineered feature set
 * (calendar parts, trend, series id, target lags and rolling windows by the
 * PACF rule, the regressors) feeds pooled regression models (linear.c,
 * trees.c, knn.c); the univariate families of forecast.h are fitted per
 * series.  automl.c cross-validates every model with rolling origins
 * (cv_folds origins cv_step apart, each forecasting horizon steps),
 * ranks them by the primary metric (metrics.c), builds a Caruana ensemble
 * (ensemble.c), refits the best on all data as a pipeline, and explains
 * it by permutation importance (explain.c).  pipeline.c saves and loads
 * a fitted pipeline as a model directory (JSON spec + safetensors).
 *
 * Ownership: every *_new / ll_aml_run result is freed with its *_free
 * (accepting NULL).  Errors: negative LL_E* with the reason in err.
 * Thread safety: trials run on threads; models touch no global state.
 */
#ifndef LL_FC_AUTOML_H
#define LL_FC_AUTOML_H

#include <stddef.h>
#include <stdint.h>

#include "frame/frame.h"
#include "util/err.h"

/* ---- metrics.c ---- */

enum {
    LL_AML_EXPLAINED_VARIANCE,
    LL_AML_MAE,
    LL_AML_MAPE,
    LL_AML_MEDIAN_AE,
    LL_AML_NMAE,
    LL_AML_NMEDAE,
    LL_AML_NRMSE,
    LL_AML_NRMSLE,
    LL_AML_R2,
    LL_AML_RMSE,
    LL_AML_RMSLE,
    LL_AML_SPEARMAN,
    LL_AML_SMAPE,
    LL_AML_MASE,
    LL_AML_NMETRICS
};

/* Names as on the leaderboard: "explained_variance", "mae", "mape",
 * "median_ae", "nmae", "normalized_median_ae", "nrmse", "nrmsle", "r2",
 * "rmse", "rmsle", "spearman", "smape", "mase". */
extern const char *const ll_aml_metric_names[LL_AML_NMETRICS];
/* Index of name, or -1. */
int ll_aml_metric_find(const char *name);
/* 1 when larger is better (r2, spearman, explained_variance). */
int ll_aml_metric_higher_better(int m);

/* Pairs of true and predicted values grouped by series: series s owns
 * [off[s], off[s + 1]).  range[s] normalizes nrmse/nmae/normalized_median_ae
 * (the range of the series' training target; 0 counts as 1); lrange[s]
 * does for nrmsle (range of log1p); scale[s] divides mase (the in-sample
 * mean absolute seasonal difference).  Normalized metrics and mase are
 * macro-averaged over series, the others pooled.  A metric that cannot be
 * computed (rmsle of negative values) is NAN. */
typedef struct ll_aml_eval {
    size_t nseries;
    const size_t *off;
    const double *y, *yhat;
    const double *range, *lrange, *scale;
} ll_aml_eval;

int ll_aml_metrics(const ll_aml_eval *e, double out[LL_AML_NMETRICS],
                   ll_err *err);

/* ---- features.c ---- */

enum { LL_AML_TIME_INT, LL_AML_TIME_DATE, LL_AML_TIME_DATETIME };

/* The table after checking, sorting and gap filling.  Series s has rows
 * [off[s], off[s] + len[s]).  t: the time of each row (days for dates, ms
 * for date-times, the integer otherwise); step: the detected frequency in
 * those units (monthly = 30.4375 days with monthly stepping).  x: n rows of
 * nreg regressors (categorical ones as codes). */
typedef struct ll_aml_table {
    char *target, *time;
    char **series_cols;
    int nseries_cols;
    int time_kind;
    int monthly; /* 1 monthly, 3 quarterly, 12 yearly steps; 0 fixed */
    double step;
    size_t nseries;
    char **keys;       /* "0", or "A|x" for several columns */
    char ***key_parts; /* nseries x nseries_cols raw values */
    int *key_is_num;   /* per series column: 1 numeric */
    size_t *off, *len;
    size_t n;
    double *y, *t;
    size_t nreg;
    char **reg_names;
    char ***reg_levels; /* per regressor: NULL numeric, else categories */
    size_t *reg_nlevels;
    double *x;
    size_t filled; /* rows inserted for missing periods */
    int refs;      /* owners; ll_aml_table_free drops one */
} ll_aml_table;

typedef struct ll_aml_table_opts {
    const char *target, *time;
    const char *const *series;
    int nseries;
    const char *const *exclude;
    int nexclude;
    /* Where the table came from (a CSV path), or NULL: ll_aml_run prefixes
     * the table's errors (columns, time stamps, lengths) with it. */
    const char *source;
} ll_aml_table_opts;

int ll_aml_table_from_frame(const ll_frame *f, const ll_aml_table_opts *o,
                            ll_aml_table **out, ll_err *err);
void ll_aml_table_free(ll_aml_table *t);
/* One more owner of t (returns t). */
ll_aml_table *ll_aml_table_ref(ll_aml_table *t);
/* The time of step k after the last row of series s (k >= 1). */
double ll_aml_table_future_time(const ll_aml_table *t, size_t s, size_t k);
/* Time v of t as text: a date, a date-time, or a step number. */
void ll_aml_table_fmt_time(const ll_aml_table *t, double v, char *out,
                           size_t cap);
/* Season length guess from the frequency (7 daily, 52 weekly, 12 monthly,
 * 4 quarterly, 24 hourly) or, for integer time, from the autocorrelation
 * of the longest series. */
int ll_aml_detect_season(const ll_aml_table *t);

/* Engineered feature kinds. */
enum {
    LL_AML_F_REG,    /* regressor arg */
    LL_AML_F_CAL,    /* calendar part arg (LL_AML_CAL_*) */
    LL_AML_F_TREND,  /* position in the series */
    LL_AML_F_SERIES, /* series code */
    LL_AML_F_LAG,    /* target at t - arg */
    LL_AML_F_RMEAN,  /* mean of the target over arg steps ending at t - h */
    LL_AML_F_RSTD    /* its standard deviation */
};
enum {
    LL_AML_CAL_YEAR,
    LL_AML_CAL_HALF,
    LL_AML_CAL_QUARTER,
    LL_AML_CAL_MONTH,
    LL_AML_CAL_WEEK,
    LL_AML_CAL_DAY,
    LL_AML_CAL_WDAY,
    LL_AML_CAL_YDAY,
    LL_AML_CAL_HOUR,
    LL_AML_NCAL
};

typedef struct ll_aml_feat {
    char name[80]; /* "Daily_Trip_Duration", "Date_month", "y_lag30" */
    char raw[80];  /* the raw column it comes from */
    int kind, arg;
} ll_aml_feat;

typedef struct ll_aml_featset {
    size_t horizon;
    int season;
    ll_aml_feat *f;
    size_t nf;
    int maxlag; /* rows before it lack some lag */
} ll_aml_featset;

/* Choose the features for horizon h and season m: calendar parts that
 * vary, trend, series code (several series), target lags h - 1 + k for the
 * lags k whose partial autocorrelation is significant (|pacf| > 1.96 /
 * sqrt(n)) in most series (at most 4), a rolling mean and std over the
 * season when lags are used, and the regressors. */
int ll_aml_featset_make(const ll_aml_table *t, size_t h, int m,
                        ll_aml_featset *fs, ll_err *err);
void ll_aml_featset_free(ll_aml_featset *fs);
/* One feature row for series s at position i (i >= len[s] for the
 * future).  y: the series' target (at least up to i - h); xrow: its
 * regressors at i; time: its time.  NAN where a lag is unavailable. */
void ll_aml_feature_row(const ll_aml_table *t, const ll_aml_featset *fs,
                        size_t s, size_t i, const double *y, const double *xrow,
                        double time, double *out);
/* Partial autocorrelations 1..K of y (Durbin-Levinson) into pacf. */
void ll_aml_pacf(const double *y, size_t n, size_t K, double *pacf);

/* ---- regression models (linear.c, trees.c, knn.c) ---- */

typedef struct ll_aml_regressor ll_aml_regressor;

/* What a fit may know beyond the matrix: the meaning of its columns (the
 * LSTM reads the target lags as a sequence), the LSTM's size and a
 * deadline (ll_aml_now() seconds, 0 none) past which training stops and
 * keeps the best weights so far. */
typedef struct ll_aml_fit_ctx {
    const ll_aml_featset *fs; /* NULL: columns without meaning */
    int hidden, epochs;       /* LSTM; 0 = defaults (16, 60) */
    double deadline;
} ll_aml_fit_ctx;

typedef struct ll_aml_reg_ops {
    const char *name; /* "Ridge", "ElasticNet", "RandomForest", ... */
    int (*fit)(const double *X, const double *y, size_t n, size_t p,
               uint64_t seed, ll_aml_regressor **out, ll_err *err);
    void (*predict)(const ll_aml_regressor *r, const double *X, size_t n,
                    double *out);
    void (*free)(ll_aml_regressor *r);
    /* Rebuild the model's state (impl) from its arrays after a load;
     * NULL when the arrays are the whole state. */
    int (*restore)(ll_aml_regressor *r, ll_err *err);
    /* The fit with its context, or NULL when fit needs none. */
    int (*fit_ctx)(const ll_aml_fit_ctx *c, const double *X, const double *y,
                   size_t n, size_t p, uint64_t seed, ll_aml_regressor **out,
                   ll_err *err);
} ll_aml_reg_ops;

/* Every fitted regressor begins with this head.  Its parameters are
 * arrays of doubles (saved as tensors by pipeline.c): nparams arrays with
 * names and lengths; a model rebuilt from them predicts the same. */
struct ll_aml_regressor {
    const ll_aml_reg_ops *ops;
    size_t p;
    size_t narr;
    char arr_name[8][16];
    double *arr[8];
    size_t arr_len[8];
    void *impl; /* a library's model (XGBoost's booster), or NULL */
    void (*impl_free)(void *impl);
};

extern const ll_aml_reg_ops ll_aml_ridge, ll_aml_enet, ll_aml_rf,
    ll_aml_extratrees, ll_aml_gbm, ll_aml_knn, ll_aml_xgb, ll_aml_lstm;
/* The deep learning models: tried only with enable_dnn. */
#define LL_AML_LSTM "LSTM"
int ll_aml_regressor_is_dnn(const ll_aml_reg_ops *ops);
/* ops->fit_ctx when there is one (c may be NULL), else ops->fit. */
int ll_aml_regressor_fit(const ll_aml_reg_ops *ops, const ll_aml_fit_ctx *c,
                         const double *X, const double *y, size_t n, size_t p,
                         uint64_t seed, ll_aml_regressor **out, ll_err *err);
/* NULL-terminated list of the regression models. */
extern const ll_aml_reg_ops *const ll_aml_regressors[];
const ll_aml_reg_ops *ll_aml_regressor_find(const char *name);
/* Rebuild a regressor from its arrays (as listed in the head). */
int ll_aml_regressor_restore(const ll_aml_reg_ops *ops, size_t p,
                             const char (*names)[16], double *const *arrs,
                             const size_t *lens, size_t narr,
                             ll_aml_regressor **out, ll_err *err);
void ll_aml_regressor_free(ll_aml_regressor *r);
/* Internal: allocate the head with room for its arrays. */
ll_aml_regressor *ll_aml_regressor_alloc(const ll_aml_reg_ops *ops, size_t p,
                                         ll_err *err);
int ll_aml_regressor_add(ll_aml_regressor *r, const char *name, size_t len);
/* Internal: the column means and standard deviations of the n x p
 * row-major X (sd 1 for a constant column), to standardize features. */
void ll_aml_col_stats(const double *X, size_t n, size_t p, double *mean,
                      double *sd);

/* ---- automl.c ---- */

typedef struct ll_aml_trial {
    int id;
    char model[48];
    int ok; /* 1 succeeded, 0 failed (error says why) */
    char error[256];
    double metrics[LL_AML_NMETRICS];
    double fit_seconds;
    double *cv;      /* nfolds x nseries x h predictions (NAN failed) */
    size_t *members; /* ensemble: trial ids (with repeats) */
    size_t nmembers;
} ll_aml_trial;

typedef struct ll_aml_job ll_aml_job;

typedef struct ll_aml_opts {
    ll_aml_table_opts table;
    size_t horizon;
    int metric;        /* LL_AML_*, default LL_AML_NRMSE */
    int season_length; /* 0 auto */
    int cv_folds;      /* 0 auto */
    int cv_step;       /* 0 auto */
    const char *const *allowed;
    int nallowed;
    const char *const *blocked;
    int nblocked;
    double exit_score; /* NAN: none */
    double timeout;    /* seconds, 0 none */
    int max_trials;    /* 0 all */
    int threads;       /* 0 = cores */
    int explain;
    int ensemble;               /* 1 default */
    int enable_dnn;             /* try the LSTM (default 0) */
    int dnn_hidden, dnn_epochs; /* its size; 0 = defaults */
    uint64_t seed;
    /* Called on the calling thread after each trial (and the trial is
     * also reported through ll_progress_report). */
    void (*progress)(void *ctx, const ll_aml_trial *t, size_t done,
                     size_t total);
    void *progress_ctx;
    /* Called on the calling thread after each trial is reported, with the
     * job as it stands, so a front end can redraw the live leaderboard
     * (ll_aml_leaderboard_live).  ctx is progress_ctx. */
    void (*board)(void *ctx, const ll_aml_job *j);
} ll_aml_opts;

void ll_aml_opts_init(ll_aml_opts *o);

typedef struct ll_aml_pipeline ll_aml_pipeline;

typedef struct ll_aml_job {
    ll_aml_opts opts; /* as run (auto choices filled in) */
    ll_aml_table *tab;
    ll_aml_featset fs;
    int season;
    size_t folds, step;
    size_t *origin; /* nfolds x nseries: training rows of each fold */
    double *actual; /* nfolds x nseries x h true values */
    double *range, *lrange, *scale; /* metric normalizers per series */
    double *X; /* n x nf engineered features of the table */
    size_t ntrials_run;
    ll_aml_trial *trials;
    size_t ntrials;
    size_t *order; /* trial indices best first */
    int best;      /* trial index, -1 none succeeded */
    int timed_out, exited_early, interrupted;
    ll_aml_pipeline *pipe;
    double deadline; /* ll_aml_now() at the timeout, 0 none */
    /* Explanation: engineered features and their raw columns. */
    char **imp_name;
    int *imp_raw;
    double *imp;
    size_t nimp;
    char explained[48]; /* model explained */
} ll_aml_job;

#define LL_AML_ENSEMBLE "VotingEnsemble"
/* The statistical combination: the plain mean of AutoETS, AutoARIMA and
 * Theta forecasts, per series (the forecasting literature's strong simple
 * baseline), from the members' own CV predictions and fits. */
#define LL_AML_STAT_ENSEMBLE "StatisticalEnsemble"

/* Every model name the search knows (families of forecast.h, then the
 * regression models, then "StatisticalEnsemble" and "VotingEnsemble"),
 * NULL-terminated into names
 * (room for cap). */
size_t ll_aml_model_names(const char **names, size_t cap);

int ll_aml_run(const ll_frame *f, const ll_aml_opts *o, ll_aml_job **out,
               ll_err *err);
void ll_aml_job_free(ll_aml_job *j);
/* Leaderboard: rank, model, one column per metric, fit_seconds, error. */
ll_frame *ll_aml_leaderboard(const ll_aml_job *j, ll_err *err);
/* The leaderboard while the search runs (from opts.board): the trials
 * reported so far, ranked as ll_aml_leaderboard ranks them, with the same
 * columns; after the search it equals ll_aml_leaderboard. */
ll_frame *ll_aml_leaderboard_live(const ll_aml_job *j, ll_err *err);
/* Explanation: feature, kind ("raw" | "engineered"), importance. */
ll_frame *ll_aml_explanation(const ll_aml_job *j, ll_err *err);
/* CV predictions of the best trial against the truth: series, fold,
 * step, actual, predicted. */
ll_frame *ll_aml_cv_frame(const ll_aml_job *j, int trial, ll_err *err);

/* ---- pipeline.c ---- */

/* Fit trial's model on the whole table (regression models on the
 * engineered features, families per series, an ensemble from its
 * members); intervals of regression models and ensembles come from the
 * trial's CV errors per step. */
int ll_aml_pipeline_fit_trial(const ll_aml_job *j, int trial,
                              ll_aml_pipeline **out, ll_err *err);
void ll_aml_pipeline_free(ll_aml_pipeline *p);
const char *ll_aml_pipeline_model(const ll_aml_pipeline *p);
const ll_aml_table *ll_aml_pipeline_table(const ll_aml_pipeline *p);
/* Forecast: with future == NULL, h steps after each series' end (refused
 * when the pipeline uses regressors); otherwise the rows of future (time,
 * series columns and regressors).  Returns a frame: series columns, time,
 * forecast, lower, upper (95%). */
ll_frame *ll_aml_pipeline_forecast(const ll_aml_pipeline *p, size_t h,
                                   const ll_frame *future, ll_err *err);
/* Forecast h steps after a new history of one series (streaming): n
 * (time, y) pairs in time order, times in the table's units (days for
 * dates, ms for date-times), placed on the series' training grid from its
 * first time.  The training values fill the positions the history does
 * not reach (gaps take the last value); the forecast starts after the
 * history's last time.  key names the series as in the table's keys (any
 * key when the pipeline has one series).  xlast (nreg values, category
 * codes) stands for the regressors of the history's new positions and of
 * every future step; NULL when the pipeline uses none.  Family models are
 * refitted on the history, regression models read their lags and windows
 * from it.  mean gets h values.  LL_ERANGE when the history is still
 * too short for the model (a family's minimum length). */
int ll_aml_pipeline_forecast_history(const ll_aml_pipeline *p, const char *key,
                                     const double *time, const double *y,
                                     size_t n, const double *xlast, size_t h,
                                     double *mean, ll_err *err);
/* A stream's fitted model for one key (pipeline_stream.c): a family's
 * parameters (the pipeline's own for the series until the first refit),
 * the fit they give on the history seen so far, advanced one observation
 * at a time where the family can (ETS) and restored on the whole history
 * otherwise; an ensemble's per member. */
typedef struct ll_aml_stream_fit ll_aml_stream_fit;
struct cJSON;
ll_aml_stream_fit *ll_aml_stream_fit_new(void);
void ll_aml_stream_fit_free(ll_aml_stream_fit *c);
/* As ll_aml_pipeline_forecast_history, but family models are not
 * refitted on every call: c keeps the parameters and the fit, and a new
 * model is searched and fitted only when the history has grown by
 * refit_every positions since the parameters were chosen (0 = never:
 * the pipeline's parameters stay).  The forecast equals a restore (no
 * search, no optimisation) of those parameters on the history. */
int ll_aml_pipeline_forecast_stream(const ll_aml_pipeline *p, const char *key,
                                    const double *time, const double *y,
                                    size_t n, const double *xlast, size_t h,
                                    size_t refit_every, ll_aml_stream_fit *c,
                                    double *mean, ll_err *err);
/* c's parameters as JSON (a new cJSON object; NULL when out of memory)
 * and back into an empty c for pipeline p (the fit is rebuilt on the
 * next forecast). */
struct cJSON *ll_aml_stream_fit_save(const ll_aml_stream_fit *c);
int ll_aml_stream_fit_load(const ll_aml_pipeline *p, const struct cJSON *o,
                           ll_aml_stream_fit *c, ll_err *err);
int ll_aml_pipeline_save(const ll_aml_pipeline *p, const char *dir,
                         ll_err *err);
int ll_aml_pipeline_load(const char *dir, ll_aml_pipeline **out, ll_err *err);

/* ---- explain.c ---- */

/* Permutation importance of the engineered features for regression model
 * name over the job's CV folds: the mean increase of RMSE when a feature's
 * hold-out column is shuffled. */
int ll_aml_explain(ll_aml_job *j, const char *model, ll_err *err);

#endif
