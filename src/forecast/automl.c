/*
 * automl: the search.  Plan rolling-origin folds, run one trial per model
 * on worker threads (cross-validated predictions, metrics), stop on
 * timeout / exit_score / max_trials, add a Caruana ensemble, rank, refit
 * the best as a pipeline and explain it.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "forecast/automl.h"
#include "forecast/automl_int.h"
#include "forecast/forecast.h"
#include "util/signals.h"

void ll_aml_opts_init(ll_aml_opts *o)
{
    memset(o, 0, sizeof *o);
    o->metric = LL_AML_NRMSE;
    o->exit_score = LL_NAN;
    o->explain = 1;
    o->ensemble = 1;
    o->seed = 42;
}

double ll_aml_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

size_t ll_aml_model_names(const char **names, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; ll_fc_families[i] && n + 1 < cap; i++)
        names[n++] = ll_fc_families[i]->name;
    for (size_t i = 0; ll_aml_regressors[i] && n + 1 < cap; i++)
        names[n++] = ll_aml_regressors[i]->name;
    if (n + 1 < cap)
        names[n++] = LL_AML_STAT_ENSEMBLE;
    if (n + 1 < cap)
        names[n++] = LL_AML_ENSEMBLE;
    if (n < cap)
        names[n] = NULL;
    return n;
}

static int known_model(const char *name)
{
    return ll_fc_family_find(name) || ll_aml_regressor_find(name) ||
           strcmp(name, LL_AML_ENSEMBLE) == 0 ||
           strcmp(name, LL_AML_STAT_ENSEMBLE) == 0;
}

void ll_aml_job_free(ll_aml_job *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->ntrials; i++) {
        free(j->trials[i].cv);
        free(j->trials[i].members);
    }
    free(j->trials);
    free(j->order);
    free(j->origin);
    free(j->actual);
    free(j->range);
    free(j->lrange);
    free(j->scale);
    free(j->X);
    ll_aml_pipeline_free(j->pipe);
    for (size_t i = 0; i < j->nimp; i++)
        free(j->imp_name[i]);
    free(j->imp_name);
    free(j->imp_raw);
    free(j->imp);
    ll_aml_featset_free(&j->fs);
    ll_aml_table_free(j->tab);
    free(j);
}

/* ---- folds ---- */

static size_t min_train(int season)
{
    size_t m = season > 1 ? 2 * (size_t)season : 0;
    return m > 10 ? m : 10;
}

/* Plan folds: the last training position of each fold and series, and the
 * true values after it. */
static int plan_folds(ll_aml_job *j, ll_err *err)
{
    const ll_aml_table *t = j->tab;
    size_t h = j->opts.horizon;
    size_t shortest = t->len[0], si = 0;
    for (size_t s = 1; s < t->nseries; s++)
        if (t->len[s] < shortest) {
            shortest = t->len[s];
            si = s;
        }
    size_t step = j->opts.cv_step > 0 ? (size_t)j->opts.cv_step : h;
    size_t mt = min_train(j->season);
    size_t folds;
    if (j->opts.cv_folds > 0)
        folds = (size_t)j->opts.cv_folds;
    else {
        folds = 3;
        while (folds > 1 && shortest < mt + h + (folds - 1) * step)
            folds--;
    }
    size_t need = mt + h + (folds - 1) * step;
    if (shortest < need)
        return ll_err_set(err, LL_EINVAL,
                          "series %s is too short: %zu rows, but horizon %zu "
                          "with %zu fold%s %zu apart needs at least %zu",
                          t->nseries_cols ? t->keys[si] : "(all)", shortest, h,
                          folds, folds == 1 ? "" : "s", step, need);
    j->folds = folds;
    j->step = step;
    j->origin = malloc(folds * t->nseries * sizeof *j->origin);
    j->actual = malloc(folds * t->nseries * h * sizeof *j->actual);
    j->range = malloc(t->nseries * sizeof *j->range);
    j->lrange = malloc(t->nseries * sizeof *j->lrange);
    j->scale = malloc(t->nseries * sizeof *j->scale);
    if (!j->origin || !j->actual || !j->range || !j->lrange || !j->scale)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    int m = j->season > 1 ? j->season : 1;
    for (size_t s = 0; s < t->nseries; s++) {
        const double *y = t->y + t->off[s];
        size_t L = t->len[s];
        for (size_t f = 0; f < folds; f++) {
            size_t ntr = L - h - (folds - 1 - f) * step;
            j->origin[f * t->nseries + s] = ntr;
            for (size_t k = 0; k < h; k++)
                j->actual[(f * t->nseries + s) * h + k] = y[ntr + k];
        }
        /* Normalizers from the first fold's training part. */
        size_t ntr = j->origin[s];
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < ntr; i++) {
            lo = fmin(lo, y[i]);
            hi = fmax(hi, y[i]);
        }
        j->range[s] = hi - lo;
        j->lrange[s] = lo > -1 ? log1p(hi) - log1p(lo) : LL_NAN;
        double sc = 0;
        size_t cnt = 0;
        for (size_t i = (size_t)m; i < ntr; i++) {
            sc += fabs(y[i] - y[i - (size_t)m]);
            cnt++;
        }
        if (cnt == 0 || sc == 0)
            for (size_t i = 1; i < ntr; i++) {
                sc += fabs(y[i] - y[i - 1]);
                cnt++;
            }
        j->scale[s] = cnt ? sc / (double)cnt : LL_NAN;
    }
    return LL_OK;
}

/* Metrics of cv predictions (folds x series x h) against the truth. */
int ll_aml_score(const ll_aml_job *j, const double *cv, double *out,
                 ll_err *err)
{
    const ll_aml_table *t = j->tab;
    size_t h = j->opts.horizon, F = j->folds, S = t->nseries;
    size_t n = F * S * h;
    double *y = malloc(n * sizeof *y), *p = malloc(n * sizeof *p);
    size_t *off = malloc((S + 1) * sizeof *off);
    if (!y || !p || !off) {
        free(y), free(p), free(off);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    size_t q = 0;
    for (size_t s = 0; s < S; s++) {
        off[s] = q;
        for (size_t f = 0; f < F; f++)
            for (size_t k = 0; k < h; k++) {
                size_t i = (f * S + s) * h + k;
                if (!isfinite(cv[i])) {
                    free(y), free(p), free(off);
                    return ll_err_set(err, LL_ERANGE,
                                      "a non-finite prediction for series %s",
                                      t->keys[s]);
                }
                y[q] = j->actual[i];
                p[q] = cv[i];
                q++;
            }
    }
    off[S] = q;
    ll_aml_eval e = {S, off, y, p, j->range, j->lrange, j->scale};
    int rc = ll_aml_metrics(&e, out, err);
    free(y), free(p), free(off);
    return rc;
}

/* ---- one trial ---- */

size_t ll_aml_fold_train(const ll_aml_job *j, const double *X, size_t f,
                         double *Xtr, double *ytr)
{
    const ll_aml_table *t = j->tab;
    size_t nf = j->fs.nf, S = t->nseries, m = 0;
    for (size_t s = 0; s < S; s++) {
        size_t ntr = j->origin[f * S + s];
        for (size_t i = (size_t)j->fs.maxlag; i < ntr; i++) {
            size_t r = t->off[s] + i;
            memcpy(Xtr + m * nf, X + r * nf, nf * sizeof *X);
            ytr[m++] = t->y[r];
        }
    }
    return m;
}

void ll_aml_fold_test(const ll_aml_job *j, const double *X, size_t f,
                      double *Xte)
{
    const ll_aml_table *t = j->tab;
    size_t nf = j->fs.nf, h = j->opts.horizon, S = t->nseries;
    for (size_t s = 0; s < S; s++) {
        size_t ntr = j->origin[f * S + s];
        memcpy(Xte + s * h * nf, X + (t->off[s] + ntr) * nf,
               h * nf * sizeof *X);
    }
}

int ll_aml_cv_regression(const ll_aml_job *j, const ll_aml_reg_ops *ops,
                         const double *X, double *cv, ll_err *err)
{
    const ll_aml_table *t = j->tab;
    size_t nf = j->fs.nf, h = j->opts.horizon, S = t->nseries;
    double *Xtr = malloc((t->n * nf + 1) * sizeof *Xtr);
    double *ytr = malloc((t->n + 1) * sizeof *ytr);
    double *Xte = malloc((S * h * nf + 1) * sizeof *Xte);
    double *pte = malloc((S * h + 1) * sizeof *pte);
    int rc = LL_OK;
    if (!Xtr || !ytr || !Xte || !pte) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t f = 0; f < j->folds && rc == LL_OK; f++) {
        size_t m = ll_aml_fold_train(j, X, f, Xtr, ytr);
        if (m < 2) {
            rc = ll_err_set(err, LL_EINVAL,
                            "fold %zu has %zu training rows after the lags",
                            f + 1, m);
            break;
        }
        ll_aml_regressor *r = NULL;
        ll_aml_fit_ctx cx = {&j->fs, j->opts.dnn_hidden, j->opts.dnn_epochs,
                             j->deadline};
        rc = ll_aml_regressor_fit(ops, &cx, Xtr, ytr, m, nf, j->opts.seed + f,
                                  &r, err);
        if (rc)
            break;
        ll_aml_fold_test(j, X, f, Xte);
        ops->predict(r, Xte, S * h, pte);
        memcpy(cv + f * S * h, pte, S * h * sizeof *pte);
        ll_aml_regressor_free(r);
    }
done:
    free(Xtr), free(ytr), free(Xte), free(pte);
    return rc;
}

ll_fc_data ll_aml_fc_data(const ll_aml_table *t, size_t s, size_t n,
                          const double *x, size_t k)
{
    double t0 = t->t[t->off[s]], step = t->step;
    if (t->time_kind == LL_AML_TIME_DATETIME) {
        t0 /= 86400000.0;
        step /= 86400000.0;
    } else if (t->monthly)
        step = 30.4375 * t->monthly;
    ll_fc_data d = {t->y + t->off[s], n, x, k, t0, step, NULL};
    return d;
}

/* 1 when regressor j is an exact affine function of the position in every
 * series (an age or a day counter): it duplicates the trend or drift a
 * family models itself and makes its regression singular. */
static int time_affine(const ll_aml_table *t, size_t j)
{
    for (size_t s = 0; s < t->nseries; s++) {
        const double *x = t->x + t->off[s] * t->nreg + j;
        for (size_t i = 2; i < t->len[s]; i++) {
            double d2 = x[i * t->nreg] - 2 * x[(i - 1) * t->nreg] +
                        x[(i - 2) * t->nreg];
            if (fabs(d2) > 1e-9 * (fabs(x[i * t->nreg]) + 1))
                return 0;
        }
    }
    return 1;
}

size_t ll_aml_family_xreg(const ll_aml_table *t, const ll_aml_featset *fs,
                          const ll_fc_family *fam, int *idx)
{
    /* AutoARIMA searches the target alone, as AzureML's AutoArima; ARIMA
     * (regression with ARIMA errors) and Prophet take the regressors. */
    if (!fam->takes_regressors || strcmp(fam->name, "AutoARIMA") == 0)
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < fs->nf; i++)
        if (fs->f[i].kind == LL_AML_F_REG &&
            !time_affine(t, (size_t)fs->f[i].arg))
            idx[k++] = fs->f[i].arg;
    return k;
}

static int cv_family(const ll_aml_job *j, const ll_fc_family *fam, double *cv,
                     ll_err *err)
{
    const ll_aml_table *t = j->tab;
    size_t h = j->opts.horizon, S = t->nseries;
    int *xi = malloc((t->nreg + 1) * sizeof *xi);
    size_t k = xi ? ll_aml_family_xreg(t, &j->fs, fam, xi) : 0;
    double *x = malloc((t->n * k + 1) * sizeof *x);
    if (!xi || !x) {
        free(xi);
        free(x);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    for (size_t r = 0; r < t->n; r++)
        for (size_t c = 0; c < k; c++)
            x[r * k + c] = t->x[r * t->nreg + (size_t)xi[c]];
    int rc = LL_OK;
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, fam->name);
    spec.season_length = j->season > 0 ? j->season : 1;
    for (size_t f = 0; f < j->folds && rc == LL_OK; f++)
        for (size_t s = 0; s < S && rc == LL_OK; s++) {
            size_t ntr = j->origin[f * S + s];
            ll_fc_data d =
                ll_aml_fc_data(t, s, ntr, k ? x + t->off[s] * k : NULL, k);
            ll_fc_fit *fit = NULL;
            rc = ll_fc_fit_series(&spec, &d, &fit, err);
            if (rc == LL_OK)
                rc = ll_fc_predict(fit, h, k ? x + (t->off[s] + ntr) * k : NULL,
                                   NULL, 0, cv + (f * S + s) * h, NULL, NULL,
                                   err);
            ll_fc_fit_free(fit);
            if (rc && S > 1)
                ll_err_prefix(err, "series %s", t->keys[s]);
        }
    free(xi);
    free(x);
    return rc;
}

/* Caruana selection: greedily add (with replacement) the trial that most
 * improves the primary metric of the averaged CV predictions. */
static int ensemble_trial(ll_aml_job *j, ll_aml_trial *tr, ll_err *err)
{
    size_t cells = j->folds * j->tab->nseries * j->opts.horizon;
    int metric = j->opts.metric, hb = ll_aml_metric_higher_better(metric);
    size_t nok = 0;
    for (size_t i = 0; i < j->ntrials; i++)
        if (j->trials[i].ok && strcmp(j->trials[i].model, LL_AML_ENSEMBLE))
            nok++;
    if (nok < 2)
        return ll_err_set(err, LL_EINVAL,
                          "an ensemble needs two successful models, got %zu",
                          nok);
    enum { ROUNDS = 15 };
    double *sum = calloc(cells, sizeof *sum),
           *cand = malloc(cells * sizeof *cand);
    tr->members = malloc(ROUNDS * sizeof *tr->members);
    if (!sum || !cand || !tr->members) {
        free(sum);
        free(cand);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    double cur = hb ? -INFINITY : INFINITY;
    double met[LL_AML_NMETRICS];
    for (int r = 0; r < ROUNDS; r++) {
        int bi = -1;
        double bv = cur;
        for (size_t i = 0; i < j->ntrials; i++) {
            const ll_aml_trial *c = &j->trials[i];
            if (!c->ok || strcmp(c->model, LL_AML_ENSEMBLE) == 0)
                continue;
            for (size_t q = 0; q < cells; q++)
                cand[q] = (sum[q] + c->cv[q]) / (double)(r + 1);
            ll_err e2;
            if (ll_aml_score(j, cand, met, &e2))
                continue;
            double v = met[metric];
            if (isnan(v))
                continue;
            if (hb ? v > bv : v < bv) {
                bv = v;
                bi = (int)i;
            }
        }
        if (bi < 0)
            break;
        cur = bv;
        for (size_t q = 0; q < cells; q++)
            sum[q] += j->trials[bi].cv[q];
        tr->members[tr->nmembers++] = (size_t)bi;
    }
    free(cand);
    if (tr->nmembers == 0) {
        free(sum);
        return ll_err_set(err, LL_EINVAL, "no model improved the ensemble");
    }
    for (size_t q = 0; q < cells; q++)
        tr->cv[q] = sum[q] / (double)tr->nmembers;
    free(sum);
    return ll_aml_score(j, tr->cv, tr->metrics, err);
}

/* The statistical combination: equal weights on the successful trials of
 * AutoETS, AutoARIMA and Theta (at least two of them). */
static int stat_ensemble_trial(ll_aml_job *j, ll_aml_trial *tr, ll_err *err)
{
    static const char *const want[] = {"AutoETS", "AutoARIMA", "Theta"};
    size_t cells = j->folds * j->tab->nseries * j->opts.horizon;
    size_t idx[3], n = 0;
    for (size_t w = 0; w < 3; w++)
        for (size_t i = 0; i < j->ntrials; i++)
            if (j->trials[i].ok && strcmp(j->trials[i].model, want[w]) == 0)
                idx[n++] = i;
    if (n < 2)
        return ll_err_set(err, LL_EINVAL,
                          "StatisticalEnsemble needs two of AutoETS, "
                          "AutoARIMA and Theta to succeed, got %zu",
                          n);
    tr->members = malloc(n * sizeof *tr->members);
    if (!tr->members)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    for (size_t q = 0; q < cells; q++) {
        double s = 0;
        for (size_t m = 0; m < n; m++)
            s += j->trials[idx[m]].cv[q];
        tr->cv[q] = s / (double)n;
    }
    memcpy(tr->members, idx, n * sizeof *idx);
    tr->nmembers = n;
    return ll_aml_score(j, tr->cv, tr->metrics, err);
}

static void run_trial(ll_aml_job *j, ll_aml_trial *tr)
{
    ll_err err = {0};
    double t0 = ll_aml_now();
    size_t cells = j->folds * j->tab->nseries * j->opts.horizon;
    int rc;
    tr->cv = malloc(cells * sizeof *tr->cv);
    if (!tr->cv)
        rc = ll_err_set(&err, LL_ENOMEM, "out of memory");
    else if (strcmp(tr->model, LL_AML_ENSEMBLE) == 0)
        rc = ensemble_trial(j, tr, &err);
    else if (strcmp(tr->model, LL_AML_STAT_ENSEMBLE) == 0)
        rc = stat_ensemble_trial(j, tr, &err);
    else {
        const ll_aml_reg_ops *ops = ll_aml_regressor_find(tr->model);
        if (ops)
            rc = ll_aml_cv_regression(j, ops, j->X, tr->cv, &err);
        else
            rc = cv_family(j, ll_fc_family_find(tr->model), tr->cv, &err);
        if (rc == LL_OK)
            rc = ll_aml_score(j, tr->cv, tr->metrics, &err);
    }
    tr->fit_seconds = ll_aml_now() - t0;
    tr->ok = rc == LL_OK;
    if (!tr->ok) {
        snprintf(tr->error, sizeof tr->error, "%.255s", err.msg);
        for (int m = 0; m < LL_AML_NMETRICS; m++)
            tr->metrics[m] = LL_NAN;
    }
}

/* ---- workers ---- */

/* Trials run on worker threads; the calling thread coordinates: it
 * reports each finished trial (progress callback, ll_progress_report) so
 * front ends draw from the thread that owns them, and watches the timeout
 * and interrupts.  With one thread it runs the trials itself. */
typedef struct pool {
    ll_aml_job *j;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next, planned, done;
    size_t *finished; /* trial indices, in order of completion */
    size_t nfinished, reported;
    int workers; /* still running */
    double start;
    int stop;
} pool;

static int reached_exit(const ll_aml_job *j, const ll_aml_trial *tr)
{
    double x = j->opts.exit_score;
    if (!tr->ok || isnan(x))
        return 0;
    double v = tr->metrics[j->opts.metric];
    return ll_aml_metric_higher_better(j->opts.metric) ? v >= x : v <= x;
}

/* Under p->mu: 1 when no more trials may start. */
static int must_stop(pool *p)
{
    ll_aml_job *j = p->j;
    if (p->stop || p->next >= p->planned)
        return 1;
    if (j->opts.timeout > 0 && ll_aml_now() - p->start >= j->opts.timeout) {
        j->timed_out = 1;
        p->stop = 1;
    }
    if (ll_interrupted()) {
        j->interrupted = 1;
        p->stop = 1;
    }
    return p->stop;
}

/* Take the next trial, run it, queue it as finished; until told to stop. */
static int run_next(pool *p)
{
    ll_aml_job *j = p->j;
    pthread_mutex_lock(&p->mu);
    if (must_stop(p)) {
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    size_t ti = p->next++;
    pthread_mutex_unlock(&p->mu);
    run_trial(j, &j->trials[ti]);
    pthread_mutex_lock(&p->mu);
    if (reached_exit(j, &j->trials[ti])) {
        j->exited_early = 1;
        p->stop = 1;
    }
    p->finished[p->nfinished++] = ti;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return 1;
}

static void *worker(void *arg)
{
    pool *p = arg;
    while (run_next(p))
        ;
    pthread_mutex_lock(&p->mu);
    p->workers--;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Report trial tr (the calling thread's job). */
static void report(pool *p, ll_aml_trial *tr)
{
    ll_aml_job *j = p->j;
    tr->id = (int)++p->done;
    j->ntrials_run++;
    if (j->opts.progress)
        j->opts.progress(j->opts.progress_ctx, tr, p->done, p->planned);
    if (j->opts.board)
        j->opts.board(j->opts.progress_ctx, j);
    /* The best so far, for the live line. */
    int m = j->opts.metric, hb = ll_aml_metric_higher_better(m);
    const ll_aml_trial *best = NULL;
    for (size_t i = 0; i < j->ntrials; i++) {
        const ll_aml_trial *c = &j->trials[i];
        if (c->id <= 0 || !c->ok || isnan(c->metrics[m]))
            continue;
        if (!best || (hb ? c->metrics[m] > best->metrics[m]
                         : c->metrics[m] < best->metrics[m]))
            best = c;
    }
    char metrics[192];
    if (best)
        snprintf(metrics, sizeof metrics, "best %s %s %.4g | last %s%s",
                 best->model, ll_aml_metric_names[m], best->metrics[m],
                 tr->model, tr->ok ? "" : " failed");
    else
        snprintf(metrics, sizeof metrics, "last %s%s", tr->model,
                 tr->ok ? "" : " failed");
    ll_progress pr = {"automl trials",
                      (double)p->done,
                      (double)p->planned,
                      "model",
                      metrics,
                      0,
                      p->done >= p->planned};
    ll_progress_report(&pr);
}

static void run_pool(pool *p, int nt)
{
    pthread_t th[64];
    int started = 0;
    p->workers = 0;
    for (int i = 0; i < nt && nt > 1; i++) {
        pthread_mutex_lock(&p->mu);
        p->workers++;
        pthread_mutex_unlock(&p->mu);
        if (pthread_create(&th[i], NULL, worker, p) == 0)
            started++;
        else {
            pthread_mutex_lock(&p->mu);
            p->workers--;
            pthread_mutex_unlock(&p->mu);
            break;
        }
    }
    if (started == 0) {
        /* One thread: run and report in turn. */
        while (run_next(p))
            report(p, &p->j->trials[p->finished[p->reported++]]);
        return;
    }
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->reported < p->nfinished) {
            size_t ti = p->finished[p->reported++];
            pthread_mutex_unlock(&p->mu);
            report(p, &p->j->trials[ti]);
            pthread_mutex_lock(&p->mu);
        }
        if (p->workers == 0)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
        must_stop(p); /* the timeout and interrupts, while trials run */
    }
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
}

static int cmp_rank_ctx_metric;
static const ll_aml_trial *cmp_rank_ctx_trials;

static int cmp_rank(const void *a, const void *b)
{
    const ll_aml_trial *x = &cmp_rank_ctx_trials[*(const size_t *)a];
    const ll_aml_trial *y = &cmp_rank_ctx_trials[*(const size_t *)b];
    int m = cmp_rank_ctx_metric;
    int okx = x->ok && !isnan(x->metrics[m]);
    int oky = y->ok && !isnan(y->metrics[m]);
    if (okx != oky)
        return oky - okx;
    if (okx) {
        double vx = x->metrics[m], vy = y->metrics[m];
        if (ll_aml_metric_higher_better(m)) {
            vx = -vx;
            vy = -vy;
        }
        if (vx != vy)
            return vx < vy ? -1 : 1;
    }
    return (x > y) - (x < y);
}

static pthread_mutex_t rank_mu = PTHREAD_MUTEX_INITIALIZER;

static void rank_trials(ll_aml_job *j)
{
    for (size_t i = 0; i < j->ntrials; i++)
        j->order[i] = i;
    pthread_mutex_lock(&rank_mu);
    cmp_rank_ctx_metric = j->opts.metric;
    cmp_rank_ctx_trials = j->trials;
    qsort(j->order, j->ntrials, sizeof *j->order, cmp_rank);
    pthread_mutex_unlock(&rank_mu);
    j->best = -1;
    if (j->ntrials && j->trials[j->order[0]].ok)
        j->best = (int)j->order[0];
}

int ll_aml_run(const ll_frame *f, const ll_aml_opts *o, ll_aml_job **out,
               ll_err *err)
{
    *out = NULL;
    if (o->horizon < 1)
        return ll_err_set(err, LL_EINVAL, "horizon must be at least 1");
    if (o->metric < 0 || o->metric >= LL_AML_NMETRICS)
        return ll_err_set(err, LL_EINVAL, "unknown primary metric");
    for (int i = 0; i < o->nallowed; i++) {
        if (!known_model(o->allowed[i]))
            return ll_err_set(err, LL_EINVAL, "allowed: unknown model '%s'",
                              o->allowed[i]);
        const ll_aml_reg_ops *ops = ll_aml_regressor_find(o->allowed[i]);
        if (ops && ll_aml_regressor_is_dnn(ops) && !o->enable_dnn)
            return ll_err_set(err, LL_EINVAL,
                              "allowed: %s is a deep learning model; set "
                              "enable_dnn = true",
                              o->allowed[i]);
    }
    if (o->dnn_hidden < 0 || o->dnn_hidden > 1024)
        return ll_err_set(err, LL_EINVAL,
                          "dnn_hidden must be in 1..1024, got %d",
                          o->dnn_hidden);
    if (o->dnn_epochs < 0 || o->dnn_epochs > 100000)
        return ll_err_set(err, LL_EINVAL,
                          "dnn_epochs must be in 1..100000, got %d",
                          o->dnn_epochs);
    for (int i = 0; i < o->nblocked; i++)
        if (!known_model(o->blocked[i]))
            return ll_err_set(err, LL_EINVAL, "blocked: unknown model '%s'",
                              o->blocked[i]);
    ll_aml_job *j = calloc(1, sizeof *j);
    if (!j)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    j->opts = *o;
    j->best = -1;
    if (o->timeout > 0)
        j->deadline = ll_aml_now() + o->timeout;
    int rc = ll_aml_table_from_frame(f, &o->table, &j->tab, err);
    if (rc)
        goto data_fail;
    j->season =
        o->season_length > 0 ? o->season_length : ll_aml_detect_season(j->tab);
    j->opts.season_length = j->season;
    /* Folds first (they need only the season); lags need the length. */
    rc = plan_folds(j, err);
    if (rc)
        goto data_fail;
    j->opts.cv_folds = (int)j->folds;
    j->opts.cv_step = (int)j->step;
    rc = ll_aml_featset_make(j->tab, o->horizon, j->season, &j->fs, err);
    if (rc)
        goto fail;
    {
        const ll_aml_table *t = j->tab;
        size_t nf = j->fs.nf;
        j->X = malloc((t->n * nf + 1) * sizeof *j->X);
        if (!j->X) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            goto fail;
        }
        for (size_t s = 0; s < t->nseries; s++)
            for (size_t i = 0; i < t->len[s]; i++) {
                size_t r = t->off[s] + i;
                ll_aml_feature_row(t, &j->fs, s, i, t->y + t->off[s],
                                   t->x + r * t->nreg, t->t[r], j->X + r * nf);
            }
    }

    /* Candidates: families, then regression models, then the ensemble. */
    const char *names[128];
    size_t nn = ll_aml_model_names(names, 128);
    j->trials = calloc(nn + 1, sizeof *j->trials);
    j->order = calloc(nn + 1, sizeof *j->order);
    if (!j->trials || !j->order) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto fail;
    }
    int want_ens = 0, want_stat = 0;
    for (size_t i = 0; i < nn; i++) {
        int ok = o->nallowed == 0;
        for (int a = 0; a < o->nallowed; a++)
            ok |= strcmp(o->allowed[a], names[i]) == 0;
        for (int b = 0; b < o->nblocked; b++)
            if (strcmp(o->blocked[b], names[i]) == 0)
                ok = 0;
        const ll_aml_reg_ops *rops = ll_aml_regressor_find(names[i]);
        if (rops && ll_aml_regressor_is_dnn(rops) && !o->enable_dnn)
            ok = 0;
        if (!ok)
            continue;
        if (strcmp(names[i], LL_AML_ENSEMBLE) == 0) {
            want_ens = o->ensemble;
            continue;
        }
        if (strcmp(names[i], LL_AML_STAT_ENSEMBLE) == 0) {
            want_stat = o->ensemble;
            continue;
        }
        ll_aml_trial *tr = &j->trials[j->ntrials++];
        snprintf(tr->model, sizeof tr->model, "%s", names[i]);
    }
    if (j->ntrials == 0) {
        rc = ll_err_set(err, LL_EINVAL,
                        "no model left to try after allowed/blocked");
        goto fail;
    }
    size_t planned = j->ntrials;
    if (o->max_trials > 0 && (size_t)o->max_trials < planned)
        planned = (size_t)o->max_trials;
    {
        pool p = {.j = j, .planned = planned, .start = ll_aml_now()};
        p.finished = calloc(planned + 1, sizeof *p.finished);
        if (!p.finished) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            goto fail;
        }
        pthread_mutex_init(&p.mu, NULL);
        pthread_cond_init(&p.cv, NULL);
        int nt =
            o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
        if (nt < 1)
            nt = 1;
        if ((size_t)nt > planned)
            nt = (int)planned;
        if (nt > 64)
            nt = 64;
        run_pool(&p, nt);
        pthread_cond_destroy(&p.cv);
        pthread_mutex_destroy(&p.mu);
        free(p.finished);
        /* Trials never started are dropped from the leaderboard. */
        j->ntrials = p.next;
        if (want_stat && !p.stop &&
            (o->max_trials <= 0 || (size_t)o->max_trials > j->ntrials)) {
            ll_aml_trial *tr = &j->trials[j->ntrials++];
            snprintf(tr->model, sizeof tr->model, "%s", LL_AML_STAT_ENSEMBLE);
            run_trial(j, tr);
            p.planned = p.done + 1;
            report(&p, tr);
        }
        if (want_ens && j->ntrials >= 2 &&
            (o->max_trials <= 0 || (size_t)o->max_trials > j->ntrials)) {
            ll_aml_trial *tr = &j->trials[j->ntrials++];
            snprintf(tr->model, sizeof tr->model, "%s", LL_AML_ENSEMBLE);
            run_trial(j, tr);
            if (!tr->ok && tr->members == NULL &&
                strstr(tr->error, "needs two"))
                j->ntrials--; /* nothing to ensemble: no row */
            else {
                p.planned = p.done + 1;
                report(&p, tr);
            }
        }
    }
    rank_trials(j);
    if (j->best >= 0) {
        rc = ll_aml_pipeline_fit_trial(j, j->best, &j->pipe, err);
        if (rc)
            goto fail;
        if (o->explain) {
            /* Explain the best regression model (univariate families have
             * no features to permute). */
            for (size_t r = 0; r < j->ntrials; r++) {
                const ll_aml_trial *tr = &j->trials[j->order[r]];
                if (tr->ok && ll_aml_regressor_find(tr->model)) {
                    rc = ll_aml_explain(j, tr->model, err);
                    if (rc)
                        goto fail;
                    break;
                }
            }
        }
    }
    *out = j;
    return LL_OK;
data_fail:
    if (o->table.source && rc != LL_ENOMEM)
        ll_err_prefix(err, "%s", o->table.source);
fail:
    ll_aml_job_free(j);
    return rc;
}

/* ---- frames ---- */

static ll_column *num_col(const double *v, size_t n)
{
    ll_column *c = ll_col_new(LL_FLOAT, (int64_t)n, NULL);
    if (!c)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        LL_F64(c)[i] = v[i];
        if (isnan(v[i]))
            ll_col_set_na(c, (int64_t)i);
    }
    ll_col_finish(c);
    return c;
}

static ll_column *str_col(const char *const *v, size_t n)
{
    ll_strbuilder sb;
    ll_sb_init(&sb);
    for (size_t i = 0; i < n; i++) {
        int rc =
            v[i] ? ll_sb_push(&sb, v[i], strlen(v[i])) : ll_sb_push_na(&sb);
        if (rc) {
            ll_sb_free(&sb);
            return NULL;
        }
    }
    return ll_sb_finish(&sb, NULL);
}

int ll_aml_frame_add(ll_frame *f, const char *name, ll_column *c, ll_err *err)
{
    if (!c)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    int rc = ll_frame_set(f, name, c, err);
    ll_col_unref(c);
    return rc;
}

int ll_aml_frame_add_num(ll_frame *f, const char *name, const double *v,
                         size_t n, ll_err *err)
{
    return ll_aml_frame_add(f, name, num_col(v, n), err);
}

int ll_aml_frame_add_str(ll_frame *f, const char *name, const char *const *v,
                         size_t n, ll_err *err)
{
    return ll_aml_frame_add(f, name, str_col(v, n), err);
}

/* The leaderboard of the trials order[0..n), in that order. */
static ll_frame *leaderboard_of(const ll_aml_job *j, const size_t *order,
                                size_t n, ll_err *err);

ll_frame *ll_aml_leaderboard(const ll_aml_job *j, ll_err *err)
{
    return leaderboard_of(j, j->order, j->ntrials, err);
}

ll_frame *ll_aml_leaderboard_live(const ll_aml_job *j, ll_err *err)
{
    size_t *ord = calloc(j->ntrials + 1, sizeof *ord);
    if (!ord) {
        ll_err_oom(err);
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < j->ntrials; i++)
        if (j->trials[i].id > 0)
            ord[n++] = i;
    pthread_mutex_lock(&rank_mu);
    cmp_rank_ctx_metric = j->opts.metric;
    cmp_rank_ctx_trials = j->trials;
    qsort(ord, n, sizeof *ord, cmp_rank);
    pthread_mutex_unlock(&rank_mu);
    ll_frame *f = leaderboard_of(j, ord, n, err);
    free(ord);
    return f;
}

static ll_frame *leaderboard_of(const ll_aml_job *j, const size_t *order,
                                size_t n, ll_err *err)
{
    ll_frame *f = ll_frame_new(err);
    double *v = malloc((n + 1) * sizeof *v);
    const char **s = malloc((n + 1) * sizeof *s);
    if (!f || !v || !s)
        goto nomem;
    for (size_t i = 0; i < n; i++)
        v[i] = (double)(i + 1);
    {
        ll_column *c = ll_col_new(LL_INT, (int64_t)n, err);
        if (!c)
            goto nomem;
        for (size_t i = 0; i < n; i++)
            LL_I64(c)[i] = (int64_t)i + 1;
        ll_col_finish(c);
        if (ll_aml_frame_add(f, "rank", c, err))
            goto fail;
    }
    for (size_t i = 0; i < n; i++)
        s[i] = j->trials[order[i]].model;
    if (ll_aml_frame_add_str(f, "model", s, n, err))
        goto fail;
    /* The primary metric first, then the others in AzureML's order. */
    int pm = j->opts.metric;
    for (int q = -1; q < LL_AML_NMETRICS; q++) {
        int m = q < 0 ? pm : q;
        if (q >= 0 && m == pm)
            continue;
        for (size_t i = 0; i < n; i++)
            v[i] = j->trials[order[i]].metrics[m];
        if (ll_aml_frame_add_num(f, ll_aml_metric_names[m], v, n, err))
            goto fail;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = j->trials[order[i]].fit_seconds;
    if (ll_aml_frame_add_num(f, "fit_seconds", v, n, err))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const ll_aml_trial *tr = &j->trials[order[i]];
        s[i] = tr->ok ? NULL : tr->error;
    }
    if (ll_aml_frame_add_str(f, "error", s, n, err))
        goto fail;
    free(v);
    free(s);
    return f;
nomem:
    ll_err_set(err, LL_ENOMEM, "out of memory");
fail:
    free(v);
    free(s);
    ll_frame_free(f);
    return NULL;
}

ll_frame *ll_aml_explanation(const ll_aml_job *j, ll_err *err)
{
    /* Raw columns: sums of their engineered features. */
    size_t ne = j->nimp, nr = 0;
    const char **raw = calloc(ne + 1, sizeof *raw);
    double *rimp = calloc(ne + 1, sizeof *rimp);
    size_t tot = 0;
    const char **names = NULL;
    const char **kinds = NULL;
    double *imp = NULL;
    size_t *ord = NULL;
    ll_frame *f = NULL;
    if (!raw || !rimp)
        goto nomem;
    for (size_t i = 0; i < ne; i++) {
        const char *r = j->fs.f[j->imp_raw[i]].raw;
        size_t k = 0;
        while (k < nr && strcmp(raw[k], r))
            k++;
        if (k == nr)
            raw[nr++] = r;
        rimp[k] += j->imp[i];
    }
    tot = nr + ne;
    names = malloc((tot + 1) * sizeof *names);
    kinds = malloc((tot + 1) * sizeof *kinds);
    imp = malloc((tot + 1) * sizeof *imp);
    ord = malloc((tot + 1) * sizeof *ord);
    if (!names || !kinds || !imp || !ord)
        goto nomem;
    for (size_t i = 0; i < nr; i++) {
        names[i] = raw[i];
        kinds[i] = "raw";
        imp[i] = rimp[i];
    }
    for (size_t i = 0; i < ne; i++) {
        names[nr + i] = j->imp_name[i];
        kinds[nr + i] = "engineered";
        imp[nr + i] = j->imp[i];
    }
    /* Best first (stable: raw before engineered on ties). */
    for (size_t i = 0; i < tot; i++)
        ord[i] = i;
    for (size_t i = 1; i < tot; i++) {
        size_t x = ord[i], k = i;
        while (k > 0 && imp[ord[k - 1]] < imp[x]) {
            ord[k] = ord[k - 1];
            k--;
        }
        ord[k] = x;
    }
    {
        const char **n2 = malloc((tot + 1) * sizeof *n2);
        const char **k2 = malloc((tot + 1) * sizeof *k2);
        double *i2 = malloc((tot + 1) * sizeof *i2);
        if (!n2 || !k2 || !i2) {
            free(n2), free(k2), free(i2);
            goto nomem;
        }
        for (size_t i = 0; i < tot; i++) {
            n2[i] = names[ord[i]];
            k2[i] = kinds[ord[i]];
            i2[i] = imp[ord[i]];
        }
        f = ll_frame_new(err);
        int rc = !f || ll_aml_frame_add_str(f, "feature", n2, tot, err) ||
                 ll_aml_frame_add_str(f, "kind", k2, tot, err) ||
                 ll_aml_frame_add_num(f, "importance", i2, tot, err);
        free(n2), free(k2), free(i2);
        if (rc) {
            ll_frame_free(f);
            f = NULL;
            if (!err->msg[0])
                ll_err_set(err, LL_ENOMEM, "out of memory");
        }
    }
    free(raw), free(rimp), free(names), free(kinds), free(imp), free(ord);
    return f;
nomem:
    ll_err_set(err, LL_ENOMEM, "out of memory");
    free(raw), free(rimp), free(names), free(kinds), free(imp), free(ord);
    return NULL;
}

ll_frame *ll_aml_cv_frame(const ll_aml_job *j, int trial, ll_err *err)
{
    if (trial < 0 || (size_t)trial >= j->ntrials || !j->trials[trial].ok) {
        ll_err_set(err, LL_EINVAL, "no successful model to show");
        return NULL;
    }
    const ll_aml_table *t = j->tab;
    size_t h = j->opts.horizon, F = j->folds, S = t->nseries;
    size_t n = F * S * h;
    const char **key = malloc((n + 1) * sizeof *key);
    double *fold = malloc((n + 1) * sizeof *fold);
    double *step = malloc((n + 1) * sizeof *step);
    double *act = malloc((n + 1) * sizeof *act);
    double *pred = malloc((n + 1) * sizeof *pred);
    ll_frame *f = ll_frame_new(err);
    int rc = !key || !fold || !step || !act || !pred || !f;
    if (!rc) {
        size_t q = 0;
        for (size_t s = 0; s < S; s++)
            for (size_t fo = 0; fo < F; fo++)
                for (size_t k = 0; k < h; k++) {
                    size_t i = (fo * S + s) * h + k;
                    key[q] = t->keys[s];
                    fold[q] = (double)fo + 1;
                    step[q] = (double)k + 1;
                    act[q] = j->actual[i];
                    pred[q] = j->trials[trial].cv[i];
                    q++;
                }
        rc = ll_aml_frame_add_str(f, "series", key, n, err) ||
             ll_aml_frame_add_num(f, "fold", fold, n, err) ||
             ll_aml_frame_add_num(f, "step", step, n, err) ||
             ll_aml_frame_add_num(f, "actual", act, n, err) ||
             ll_aml_frame_add_num(f, "predicted", pred, n, err);
    } else
        ll_err_set(err, LL_ENOMEM, "out of memory");
    free(key), free(fold), free(step), free(act), free(pred);
    if (rc) {
        ll_frame_free(f);
        return NULL;
    }
    return f;
}
