/*
 * automl_int: helpers shared by the automated ML sources (not an API).
 */
#ifndef LL_FC_AUTOML_INT_H
#define LL_FC_AUTOML_INT_H

#include "forecast/automl.h"
#include "forecast/forecast.h"

/* Monotonic seconds. */
double ll_aml_now(void);
/* Metrics of CV predictions (folds x series x h) of job j. */
int ll_aml_score(const ll_aml_job *j, const double *cv, double *out,
                 ll_err *err);
/* Fold f's training rows of X (n x nf; each series from its first row
 * with every lag to its fold origin) into Xtr and their targets into
 * ytr; returns how many. */
size_t ll_aml_fold_train(const ll_aml_job *j, const double *X, size_t f,
                         double *Xtr, double *ytr);
/* Fold f's test rows of X (h a series, after its origin) into Xte. */
void ll_aml_fold_test(const ll_aml_job *j, const double *X, size_t f,
                      double *Xte);
/* CV predictions of regression model ops on feature matrix X (n x nf). */
int ll_aml_cv_regression(const ll_aml_job *j, const ll_aml_reg_ops *ops,
                         const double *X, double *cv, ll_err *err);
/* Series s's first n values (and k regressors x) for a family, placed in
 * time in days (dates, date-times) or steps. */
ll_fc_data ll_aml_fc_data(const ll_aml_table *t, size_t s, size_t n,
                          const double *x, size_t k);
/* Indices of the regressors family fam gets: the varying ones, except
 * those affine in time; none for AutoARIMA. */
size_t ll_aml_family_xreg(const ll_aml_table *t, const ll_aml_featset *fs,
                          const ll_fc_family *fam, int *idx);
/* Add a column to f (taking the column's reference) and its variants. */
int ll_aml_frame_add(ll_frame *f, const char *name, ll_column *c, ll_err *err);
int ll_aml_frame_add_num(ll_frame *f, const char *name, const double *v,
                         size_t n, ll_err *err);
int ll_aml_frame_add_str(ll_frame *f, const char *name, const char *const *v,
                         size_t n, ll_err *err);

/* The fitted pipeline (pipeline.c, pipeline_io.c). */
enum { LL_AML_P_REG, LL_AML_P_FAMILY, LL_AML_P_ENSEMBLE };

struct ll_aml_pipeline {
    char model[48];
    int kind;
    ll_aml_table *tab;
    ll_aml_featset fs;
    int season;
    size_t horizon;
    ll_aml_regressor *reg;
    struct ll_fc_fit **fits; /* per series */
    int *xi;                 /* family regressors */
    size_t nxi;
    ll_aml_pipeline **members;
    double *weights;
    size_t nmembers;
    double *sd; /* horizon values: CV RMSE per step */
};

struct ll_aml_stream_fit {
    int have;        /* params chosen */
    ll_fc_spec spec; /* as fitted: automatic choices made */
    ll_fc_param *params;
    size_t nparams;
    size_t fit_len;        /* the history's length when they were chosen */
    struct ll_fc_fit *fit; /* params run over yk (NULL: restore first) */
    double *yk;            /* the values fit has taken */
    size_t lk, capk;
    struct ll_aml_stream_fit **members; /* an ensemble's */
    size_t nmembers;
};

/* h forecasts of family pipeline p for series s with c (see
 * ll_aml_pipeline_forecast_stream): base is the spec to search with, d
 * the history (d->n values), x its regressors and the future's
 * ((d->n + h) rows of d->k). */
int ll_aml_stream_family_predict(const ll_aml_pipeline *p, size_t s,
                                 ll_aml_stream_fit *c, size_t refit_every,
                                 const ll_fc_spec *base, const ll_fc_data *d,
                                 const double *x, size_t h, double *mean,
                                 ll_err *err);
/* Give c a copy of spec and params (0 or LL_ENOMEM). */
int ll_aml_stream_fit_set(ll_aml_stream_fit *c, const ll_fc_spec *spec,
                          const ll_fc_param *params, size_t n);

/* A pipeline of model on t (a new reference) with a copy of fs. */
ll_aml_pipeline *ll_aml_pipe_new(ll_aml_table *t, const ll_aml_featset *fs,
                                 int season, const char *model);

#endif
