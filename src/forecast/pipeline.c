/*
 * pipeline: the winning featurization and model fitted on all the data,
 * its forecasts (h steps, or rows of future regressors), and its model
 * directory: MLmodel (flavor forecast), pipeline.json (the table's layout,
 * the features, the model's spec), data.safetensors (the history and the
 * model's arrays, float64).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "forecast/automl.h"
#include "forecast/automl_int.h"
#include "forecast/forecast.h"
#include "util/buf.h"
#include "util/calendar.h"

void ll_aml_pipeline_free(ll_aml_pipeline *p)
{
    if (!p)
        return;
    ll_aml_regressor_free(p->reg);
    if (p->fits)
        for (size_t s = 0; s < p->tab->nseries; s++)
            ll_fc_fit_free(p->fits[s]);
    free(p->fits);
    free(p->xi);
    for (size_t i = 0; i < p->nmembers; i++)
        ll_aml_pipeline_free(p->members[i]);
    free(p->members);
    free(p->weights);
    free(p->sd);
    ll_aml_featset_free(&p->fs);
    ll_aml_table_free(p->tab);
    free(p);
}

const char *ll_aml_pipeline_model(const ll_aml_pipeline *p)
{
    return p->model;
}

const ll_aml_table *ll_aml_pipeline_table(const ll_aml_pipeline *p)
{
    return p->tab;
}

ll_aml_pipeline *ll_aml_pipe_new(ll_aml_table *t, const ll_aml_featset *fs,
                                 int season, const char *model)
{
    ll_aml_pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    snprintf(p->model, sizeof p->model, "%s", model);
    p->tab = ll_aml_table_ref(t);
    p->season = season;
    p->horizon = fs->horizon;
    p->fs = *fs;
    p->fs.f = malloc((fs->nf + 1) * sizeof *fs->f);
    p->sd = calloc(fs->horizon + 1, sizeof *p->sd);
    if (!p->fs.f || !p->sd) {
        p->fs.nf = 0;
        ll_aml_pipeline_free(p);
        return NULL;
    }
    memcpy(p->fs.f, fs->f, fs->nf * sizeof *fs->f);
    return p;
}

/* Fit a non-ensemble model on all rows. */
static int fit_single(ll_aml_pipeline *p, const double *X, uint64_t seed,
                      const ll_aml_fit_ctx *cx, ll_err *err)
{
    const ll_aml_table *t = p->tab;
    const ll_aml_reg_ops *ops = ll_aml_regressor_find(p->model);
    if (ops) {
        p->kind = LL_AML_P_REG;
        size_t nf = p->fs.nf, m = 0;
        double *Xtr = malloc((t->n * nf + 1) * sizeof *Xtr);
        double *ytr = malloc((t->n + 1) * sizeof *ytr);
        if (!Xtr || !ytr) {
            free(Xtr), free(ytr);
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        }
        for (size_t s = 0; s < t->nseries; s++)
            for (size_t i = (size_t)p->fs.maxlag; i < t->len[s]; i++) {
                size_t r = t->off[s] + i;
                memcpy(Xtr + m * nf, X + r * nf, nf * sizeof *X);
                ytr[m++] = t->y[r];
            }
        int rc =
            ll_aml_regressor_fit(ops, cx, Xtr, ytr, m, nf, seed, &p->reg, err);
        free(Xtr), free(ytr);
        return rc;
    }
    const ll_fc_family *fam = ll_fc_family_find(p->model);
    if (!fam)
        return ll_err_set(err, LL_EINVAL, "unknown model '%s'", p->model);
    p->kind = LL_AML_P_FAMILY;
    p->fits = calloc(t->nseries, sizeof *p->fits);
    p->xi = malloc((t->nreg + 1) * sizeof *p->xi);
    if (!p->fits || !p->xi)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    p->nxi = ll_aml_family_xreg(t, &p->fs, fam, p->xi);
    size_t k = p->nxi;
    double *x = malloc((t->n * k + 1) * sizeof *x);
    if (!x)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    for (size_t r = 0; r < t->n; r++)
        for (size_t c = 0; c < k; c++)
            x[r * k + c] = t->x[r * t->nreg + (size_t)p->xi[c]];
    ll_fc_spec spec;
    ll_fc_spec_init(&spec, fam->name);
    spec.season_length = p->season > 0 ? p->season : 1;
    int rc = LL_OK;
    for (size_t s = 0; s < t->nseries && rc == LL_OK; s++) {
        ll_fc_data d =
            ll_aml_fc_data(t, s, t->len[s], k ? x + t->off[s] * k : NULL, k);
        rc = ll_fc_fit_series(&spec, &d, &p->fits[s], err);
        if (rc && t->nseries > 1)
            ll_err_prefix(err, "series %s", t->keys[s]);
    }
    free(x);
    return rc;
}

int ll_aml_pipeline_fit_trial(const ll_aml_job *j, int trial,
                              ll_aml_pipeline **out, ll_err *err)
{
    *out = NULL;
    const ll_aml_trial *tr = &j->trials[trial];
    ll_aml_pipeline *p = ll_aml_pipe_new(j->tab, &j->fs, j->season, tr->model);
    if (!p)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    /* CV RMSE per step for intervals. */
    size_t h = j->opts.horizon, S = j->tab->nseries;
    for (size_t k = 0; k < h; k++) {
        double q = 0;
        for (size_t f = 0; f < j->folds; f++)
            for (size_t s = 0; s < S; s++) {
                size_t i = (f * S + s) * h + k;
                double d = j->actual[i] - tr->cv[i];
                q += d * d;
            }
        p->sd[k] = sqrt(q / (double)(j->folds * S));
    }
    int rc = LL_OK;
    if (tr->members) {
        p->kind = LL_AML_P_ENSEMBLE;
        p->members = calloc(tr->nmembers, sizeof *p->members);
        p->weights = calloc(tr->nmembers, sizeof *p->weights);
        if (!p->members || !p->weights)
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        for (size_t i = 0; i < tr->nmembers && rc == LL_OK; i++) {
            size_t m = tr->members[i], k = 0;
            while (k < p->nmembers &&
                   strcmp(p->members[k]->model, j->trials[m].model))
                k++;
            if (k < p->nmembers) {
                p->weights[k] += 1.0 / (double)tr->nmembers;
                continue;
            }
            rc = ll_aml_pipeline_fit_trial(j, (int)m, &p->members[k], err);
            if (rc == LL_OK) {
                p->weights[k] = 1.0 / (double)tr->nmembers;
                p->nmembers++;
            }
        }
    } else {
        ll_aml_fit_ctx cx = {&j->fs, j->opts.dnn_hidden, j->opts.dnn_epochs, 0};
        rc = fit_single(p, j->X, j->opts.seed, &cx, err);
    }
    if (rc) {
        ll_err_prefix(err, "%s", tr->model);
        ll_aml_pipeline_free(p);
        return rc;
    }
    *out = p;
    return LL_OK;
}

/* Forecast series s for steps 1..hs: xf (hs x nreg raw regressors), tf
 * (hs times); mean, lo, hi (95%). */
static int pipe_predict(const ll_aml_pipeline *p, size_t s, size_t hs,
                        const double *xf, const double *tf, double *mean,
                        double *lo, double *hi, ll_err *err)
{
    const ll_aml_table *t = p->tab;
    int rc = LL_OK;
    if (p->kind == LL_AML_P_REG) {
        size_t nf = p->fs.nf;
        double *row = malloc((hs * nf + 1) * sizeof *row);
        if (!row)
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        for (size_t k = 0; k < hs; k++)
            ll_aml_feature_row(t, &p->fs, s, t->len[s] + k, t->y + t->off[s],
                               xf + k * t->nreg, tf[k], row + k * nf);
        p->reg->ops->predict(p->reg, row, hs, mean);
        free(row);
    } else if (p->kind == LL_AML_P_FAMILY) {
        size_t kx = p->nxi;
        double *x = malloc((hs * kx + 1) * sizeof *x);
        if (!x)
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        for (size_t k = 0; k < hs; k++)
            for (size_t c = 0; c < kx; c++)
                x[k * kx + c] = xf[k * t->nreg + (size_t)p->xi[c]];
        double level = 95;
        rc = ll_fc_predict(p->fits[s], hs, kx ? x : NULL, &level, 1, mean, lo,
                           hi, err);
        free(x);
        return rc;
    } else {
        double *tmp = malloc((3 * hs + 1) * sizeof *tmp);
        if (!tmp)
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        for (size_t k = 0; k < hs; k++)
            mean[k] = 0;
        for (size_t i = 0; i < p->nmembers && rc == LL_OK; i++) {
            rc = pipe_predict(p->members[i], s, hs, xf, tf, tmp, tmp + hs,
                              tmp + 2 * hs, err);
            for (size_t k = 0; k < hs && rc == LL_OK; k++)
                mean[k] += p->weights[i] * tmp[k];
        }
        free(tmp);
        if (rc)
            return rc;
    }
    double z = ll_fc_normal_quantile(95);
    for (size_t k = 0; k < hs; k++) {
        double sd = p->sd[k < p->horizon ? k : p->horizon - 1];
        lo[k] = mean[k] - z * sd;
        hi[k] = mean[k] + z * sd;
    }
    return LL_OK;
}

/* 1 when the pipeline needs future regressors. */
static int uses_regressors(const ll_aml_pipeline *p)
{
    if (p->kind == LL_AML_P_REG) {
        for (size_t i = 0; i < p->fs.nf; i++)
            if (p->fs.f[i].kind == LL_AML_F_REG)
                return 1;
        return 0;
    }
    if (p->kind == LL_AML_P_FAMILY)
        return p->nxi > 0;
    for (size_t i = 0; i < p->nmembers; i++)
        if (uses_regressors(p->members[i]))
            return 1;
    return 0;
}

/* 1 when forecasts further than the training horizon are possible. */
static int max_steps(const ll_aml_pipeline *p)
{
    if (p->kind == LL_AML_P_REG)
        return p->fs.maxlag > 0 ? (int)p->horizon : 0;
    if (p->kind == LL_AML_P_FAMILY)
        return 0;
    int m = 0;
    for (size_t i = 0; i < p->nmembers; i++) {
        int k = max_steps(p->members[i]);
        if (k && (!m || k < m))
            m = k;
    }
    return m;
}

/* The output frame from per-row arrays. */
static ll_frame *make_output(const ll_aml_pipeline *p, const size_t *ser,
                             const double *tm, const double *mean,
                             const double *lo, const double *hi, size_t n,
                             ll_err *err)
{
    const ll_aml_table *t = p->tab;
    ll_frame *f = ll_frame_new(err);
    if (!f)
        goto nomem;
    for (int c = 0; c < t->nseries_cols; c++) {
        ll_column *col;
        if (t->key_is_num[c]) {
            col = ll_col_new(LL_FLOAT, (int64_t)n, NULL);
            if (col) {
                for (size_t i = 0; i < n; i++)
                    LL_F64(col)[i] = atof(t->key_parts[ser[i]][c]);
                ll_col_finish(col);
            }
            /* Integer keys stay integers. */
            int allint = 1;
            for (size_t i = 0; col && i < n && allint; i++)
                allint = LL_F64(col)[i] == floor(LL_F64(col)[i]) &&
                         fabs(LL_F64(col)[i]) < 9e15;
            if (col && allint) {
                ll_column *ic = ll_col_new(LL_INT, (int64_t)n, NULL);
                if (ic) {
                    for (size_t i = 0; i < n; i++)
                        LL_I64(ic)[i] = (int64_t)LL_F64(col)[i];
                    ll_col_finish(ic);
                }
                ll_col_unref(col);
                col = ic;
            }
        } else {
            const char **v = malloc((n + 1) * sizeof *v);
            if (!v)
                goto nomem;
            for (size_t i = 0; i < n; i++)
                v[i] = t->key_parts[ser[i]][c];
            ll_strbuilder sb;
            ll_sb_init(&sb);
            int bad = 0;
            for (size_t i = 0; i < n && !bad; i++)
                bad = ll_sb_push(&sb, v[i], strlen(v[i]));
            free(v);
            col = bad ? NULL : ll_sb_finish(&sb, NULL);
            if (bad)
                ll_sb_free(&sb);
        }
        if (ll_aml_frame_add(f, t->series_cols[c], col, err))
            goto fail;
    }
    {
        ll_dtype ty = t->time_kind == LL_AML_TIME_DATE       ? LL_DATE
                      : t->time_kind == LL_AML_TIME_DATETIME ? LL_DATETIME
                                                             : LL_INT;
        ll_column *col = ll_col_new(ty, (int64_t)n, NULL);
        if (col) {
            for (size_t i = 0; i < n; i++) {
                if (ty == LL_DATE)
                    LL_I32(col)[i] = (int32_t)tm[i];
                else
                    LL_I64(col)[i] = (int64_t)tm[i];
            }
            ll_col_finish(col);
        }
        if (ll_aml_frame_add(f, t->time, col, err))
            goto fail;
    }
    if (ll_aml_frame_add_num(f, "forecast", mean, n, err) ||
        ll_aml_frame_add_num(f, "lower", lo, n, err) ||
        ll_aml_frame_add_num(f, "upper", hi, n, err))
        goto fail;
    return f;
nomem:
    ll_err_set(err, LL_ENOMEM, "out of memory");
fail:
    ll_frame_free(f);
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Series index of row i of future, or -1 (message in err). */
static long future_series(const ll_aml_pipeline *p, const ll_frame *fut,
                          const int *sc, int64_t i, ll_err *err)
{
    const ll_aml_table *t = p->tab;
    if (t->nseries_cols == 0)
        return 0;
    ll_buf b;
    ll_buf_init(&b);
    for (int c = 0; c < t->nseries_cols; c++) {
        if (c)
            ll_buf_putc(&b, '|');
        ll_col_format(fut->cols[sc[c]], i, &b);
    }
    ll_buf_putc(&b, 0);
    long found = -1;
    for (size_t s = 0; s < t->nseries && found < 0; s++)
        if (strcmp(t->keys[s], b.data) == 0)
            found = (long)s;
    if (found < 0) {
        /* Numeric keys may be formatted differently (0 vs 0.0). */
        for (size_t s = 0; s < t->nseries && found < 0; s++) {
            int same = 1;
            for (int c = 0; c < t->nseries_cols && same; c++) {
                const ll_column *col = fut->cols[sc[c]];
                if (t->key_is_num[c] && ll_col_is_numeric(col))
                    same = atof(t->key_parts[s][c]) == ll_col_num(col, i);
                else {
                    ll_buf one;
                    ll_buf_init(&one);
                    ll_col_format(col, i, &one);
                    ll_buf_putc(&one, 0);
                    same = strcmp(one.data, t->key_parts[s][c]) == 0;
                    ll_buf_free(&one);
                }
            }
            if (same)
                found = (long)s;
        }
    }
    if (found < 0)
        ll_err_set(err, LL_EINVAL, "future row %lld: unknown series %s",
                   (long long)i + 1, b.data);
    ll_buf_free(&b);
    return found;
}

ll_frame *ll_aml_pipeline_forecast(const ll_aml_pipeline *p, size_t h,
                                   const ll_frame *future, ll_err *err)
{
    const ll_aml_table *t = p->tab;
    size_t S = t->nseries;
    size_t *hs = calloc(S, sizeof *hs);
    double **xf = calloc(S, sizeof *xf), **tf = calloc(S, sizeof *tf);
    size_t *ser = NULL;
    double *tm = NULL, *mean = NULL, *lo = NULL, *hi = NULL;
    ll_frame *out = NULL;
    int *sc = NULL, *rc_idx = NULL;
    if (!hs || !xf || !tf) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    if (!future) {
        if (h < 1) {
            ll_err_set(err, LL_EINVAL, "h must be at least 1, got %zu", h);
            goto done;
        }
        if (uses_regressors(p)) {
            ll_buf b;
            ll_buf_init(&b);
            int first = 1;
            for (size_t i = 0; i < p->fs.nf; i++)
                if (p->fs.f[i].kind == LL_AML_F_REG) {
                    ll_buf_printf(&b, "%s%s", first ? "" : ", ",
                                  p->fs.f[i].name);
                    first = 0;
                }
            ll_err_set(err, LL_EINVAL,
                       "missing future regressors: %s (pass a frame of "
                       "future rows instead of h)",
                       b.data ? b.data : "");
            ll_buf_free(&b);
            goto done;
        }
        for (size_t s = 0; s < S; s++) {
            hs[s] = h;
            xf[s] = calloc(h * (t->nreg ? t->nreg : 1), sizeof **xf);
            tf[s] = malloc(h * sizeof **tf);
            if (!xf[s] || !tf[s]) {
                ll_err_set(err, LL_ENOMEM, "out of memory");
                goto done;
            }
            for (size_t k = 0; k < h; k++) {
                tf[s][k] = ll_aml_table_future_time(t, s, k + 1);
                /* Regressors the model ignores: their last values. */
                for (size_t r = 0; r < t->nreg; r++)
                    xf[s][k * t->nreg + r] =
                        t->x[(t->off[s] + t->len[s] - 1) * t->nreg + r];
            }
        }
    } else {
        if (future->nrow == 0) {
            ll_err_set(err, LL_EINVAL, "the future frame is empty");
            goto done;
        }
        int ct = ll_frame_find(future, t->time);
        if (ct < 0) {
            ll_err_set(err, LL_ENOTFOUND,
                       "the future frame lacks the time column '%s'", t->time);
            goto done;
        }
        sc = calloc((size_t)t->nseries_cols + 1, sizeof *sc);
        rc_idx = calloc(t->nreg + 1, sizeof *rc_idx);
        if (!sc || !rc_idx) {
            ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        for (int c = 0; c < t->nseries_cols; c++) {
            sc[c] = ll_frame_find(future, t->series_cols[c]);
            if (sc[c] < 0) {
                ll_err_set(err, LL_ENOTFOUND,
                           "the future frame lacks the series column '%s'",
                           t->series_cols[c]);
                goto done;
            }
        }
        int need = uses_regressors(p);
        for (size_t r = 0; r < t->nreg; r++) {
            rc_idx[r] = ll_frame_find(future, t->reg_names[r]);
            int used = 0;
            for (size_t i = 0; i < p->fs.nf; i++)
                used |=
                    p->fs.f[i].kind == LL_AML_F_REG && p->fs.f[i].arg == (int)r;
            if (rc_idx[r] < 0 && used && need) {
                ll_err_set(err, LL_ENOTFOUND,
                           "missing future regressor '%s' in the future "
                           "frame",
                           t->reg_names[r]);
                goto done;
            }
        }
        /* Rows per series, by time. */
        for (int64_t i = 0; i < future->nrow; i++) {
            long s = future_series(p, future, sc, i, err);
            if (s < 0)
                goto done;
            hs[s]++;
        }
        for (size_t s = 0; s < S; s++) {
            xf[s] = calloc((hs[s] + 1) * (t->nreg ? t->nreg : 1), sizeof **xf);
            tf[s] = malloc((hs[s] + 1) * sizeof **tf);
            if (!xf[s] || !tf[s]) {
                ll_err_set(err, LL_ENOMEM, "out of memory");
                goto done;
            }
        }
        const ll_column *tcol = future->cols[ct];
        for (int64_t i = 0; i < future->nrow; i++) {
            long s = future_series(p, future, sc, i, err);
            double tv = LL_NAN;
            if (!ll_col_isna(tcol, i)) {
                if (tcol->type == LL_DATE)
                    tv = LL_I32(tcol)[i];
                else if (tcol->type == LL_DATETIME)
                    tv = (double)LL_I64(tcol)[i];
                else if (tcol->type == LL_INT || tcol->type == LL_FLOAT)
                    tv = ll_col_num(tcol, i);
                else {
                    size_t n;
                    const char *str = ll_col_str(tcol, i, &n);
                    int32_t d;
                    int64_t ms;
                    if (t->time_kind == LL_AML_TIME_DATE &&
                        ll_parse_date(str, n, &d))
                        tv = d;
                    else if (ll_parse_datetime(str, n, &ms))
                        tv = t->time_kind == LL_AML_TIME_DATE
                                 ? floor((double)ms / 86400000.0)
                                 : (double)ms;
                }
            }
            if (t->time_kind == LL_AML_TIME_DATE && tcol->type == LL_DATETIME &&
                !isnan(tv))
                tv = floor(tv / 86400000.0);
            /* Its step after the series' end. */
            long k = -1;
            if (!isnan(tv))
                for (size_t q = 1; q <= hs[s] && k < 0; q++)
                    if (ll_aml_table_future_time(t, (size_t)s, q) == tv)
                        k = (long)q;
            if (k < 0) {
                char a[64], b[64];
                ll_buf v;
                ll_buf_init(&v);
                ll_col_format(tcol, i, &v);
                ll_aml_table_fmt_time(
                    t, ll_aml_table_future_time(t, (size_t)s, 1), a, sizeof a);
                ll_aml_table_fmt_time(
                    t, ll_aml_table_future_time(t, (size_t)s, hs[s]), b,
                    sizeof b);
                ll_err_set(err, LL_EINVAL,
                           "future row %lld: time %s of series %s is not one "
                           "of the %zu steps after its end (%s .. %s)",
                           (long long)i + 1, v.data ? v.data : "NA",
                           S > 1 || t->nseries_cols ? t->keys[s] : "(all)",
                           hs[s], a, b);
                ll_buf_free(&v);
                goto done;
            }
            tf[s][k - 1] = tv;
            for (size_t r = 0; r < t->nreg; r++) {
                double v = LL_NAN;
                if (rc_idx[r] >= 0) {
                    const ll_column *col = future->cols[rc_idx[r]];
                    if (!ll_col_isna(col, i)) {
                        if (t->reg_levels[r]) {
                            ll_buf cb;
                            ll_buf_init(&cb);
                            ll_col_format(col, i, &cb);
                            ll_buf_putc(&cb, 0);
                            char *key = cb.data;
                            char **hit = bsearch(&key, t->reg_levels[r],
                                                 t->reg_nlevels[r],
                                                 sizeof(char *), cmp_str);
                            v = hit ? (double)(hit - t->reg_levels[r]) : LL_NAN;
                            ll_buf_free(&cb);
                        } else
                            v = ll_col_num(col, i);
                    }
                }
                if (isnan(v))
                    v = t->x[(t->off[s] + t->len[s] - 1) * t->nreg + r];
                xf[s][(size_t)(k - 1) * t->nreg + r] = v;
            }
        }
    }
    int lim = max_steps(p);
    size_t total = 0;
    for (size_t s = 0; s < S; s++) {
        if (lim && hs[s] > (size_t)lim) {
            ll_err_set(err, LL_EINVAL,
                       "%zu steps asked, but %s forecasts at most %d steps "
                       "(the horizon it was trained for)",
                       hs[s], p->model, lim);
            goto done;
        }
        total += hs[s];
    }
    ser = malloc((total + 1) * sizeof *ser);
    tm = malloc((total + 1) * sizeof *tm);
    mean = malloc((total + 1) * sizeof *mean);
    lo = malloc((total + 1) * sizeof *lo);
    hi = malloc((total + 1) * sizeof *hi);
    if (!ser || !tm || !mean || !lo || !hi) {
        ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    size_t q = 0;
    for (size_t s = 0; s < S; s++) {
        if (!hs[s])
            continue;
        if (pipe_predict(p, s, hs[s], xf[s], tf[s], mean + q, lo + q, hi + q,
                         err))
            goto done;
        for (size_t k = 0; k < hs[s]; k++) {
            ser[q + k] = s;
            tm[q + k] = tf[s][k];
        }
        q += hs[s];
    }
    out = make_output(p, ser, tm, mean, lo, hi, total, err);
done:
    if (xf)
        for (size_t s = 0; s < S; s++)
            free(xf[s]);
    if (tf)
        for (size_t s = 0; s < S; s++)
            free(tf[s]);
    free(xf), free(tf), free(hs), free(ser), free(tm), free(mean), free(lo),
        free(hi), free(sc), free(rc_idx);
    return out;
}

/* ---- forecasts from a new history (the stream's with_forecast) ---- */

/* h forecasts of p for series s from yf/xf (len + h positions, the
 * history in [0, len)), the grid starting at t0 with step.  With a cache
 * (the stream's), families keep their fitted model between calls
 * (ll_aml_stream_family_predict); without, they are refitted. */
static int hist_predict(const ll_aml_pipeline *p, size_t s, const double *yf,
                        const double *xf, size_t len, size_t h, double t0,
                        double step, ll_aml_stream_fit *cache,
                        size_t refit_every, double *mean, ll_err *err)
{
    const ll_aml_table *t = p->tab;
    if (p->kind == LL_AML_P_REG) {
        size_t nf = p->fs.nf;
        double *row = malloc((h * nf + 1) * sizeof *row);
        if (!row)
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        for (size_t k = 0; k < h; k++)
            ll_aml_feature_row(t, &p->fs, s, len + k, yf,
                               xf ? xf + (len + k) * t->nreg : NULL,
                               t0 + (double)(len + k) * step, row + k * nf);
        p->reg->ops->predict(p->reg, row, h, mean);
        free(row);
        return LL_OK;
    }
    if (p->kind == LL_AML_P_FAMILY) {
        size_t kx = p->nxi;
        double *x = malloc(((len + h) * kx + 1) * sizeof *x);
        double *lo = malloc((2 * h + 1) * sizeof *lo);
        if (!x || !lo) {
            free(x), free(lo);
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        }
        for (size_t r = 0; r < len + h; r++)
            for (size_t c = 0; c < kx; c++)
                x[r * kx + c] = xf[r * t->nreg + (size_t)p->xi[c]];
        double d0 = t0, dstep = step;
        if (t->time_kind == LL_AML_TIME_DATETIME) {
            d0 /= 86400000.0;
            dstep /= 86400000.0;
        }
        ll_fc_data d = {.y = yf,
                        .n = len,
                        .x = kx ? x : NULL,
                        .k = kx,
                        .t0 = d0,
                        .step = dstep,
                        .x_names = NULL};
        ll_fc_spec spec;
        ll_fc_spec_init(&spec, p->model);
        spec.season_length = p->season > 0 ? p->season : 1;
        const ll_fc_family *fam = ll_fc_family_find(p->model);
        size_t need = fam && fam->min_length ? fam->min_length(&spec) : 1;
        if (len < need) {
            free(x), free(lo);
            return ll_err_set(err, LL_ERANGE,
                              "forecast: %s needs %zu values of history, "
                              "has %zu",
                              p->model, need, len);
        }
        if (cache) {
            int rc = ll_aml_stream_family_predict(p, s, cache, refit_every,
                                                  &spec, &d, x, h, mean, err);
            free(x), free(lo);
            return rc;
        }
        ll_fc_fit *fit = NULL;
        int rc = ll_fc_fit_series(&spec, &d, &fit, err);
        double level = 95;
        if (!rc)
            rc = ll_fc_predict(fit, h, kx ? x + len * kx : NULL, &level, 1,
                               mean, lo, lo + h, err);
        ll_fc_fit_free(fit);
        free(x), free(lo);
        return rc;
    }
    double *tmp = malloc((h + 1) * sizeof *tmp);
    if (!tmp)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    for (size_t k = 0; k < h; k++)
        mean[k] = 0;
    int rc = LL_OK;
    if (cache && !cache->members && p->nmembers) {
        cache->members = calloc(p->nmembers, sizeof *cache->members);
        if (cache->members)
            cache->nmembers = p->nmembers;
        for (size_t i = 0; cache->members && i < p->nmembers; i++)
            if (!(cache->members[i] = calloc(1, sizeof **cache->members)))
                rc = LL_ENOMEM;
        if (!cache->members || rc) {
            free(tmp);
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        }
    }
    for (size_t i = 0; i < p->nmembers && rc == LL_OK; i++) {
        rc = hist_predict(p->members[i], s, yf, xf, len, h, t0, step,
                          cache ? cache->members[i] : NULL, refit_every, tmp,
                          err);
        for (size_t k = 0; k < h && rc == LL_OK; k++)
            mean[k] += p->weights[i] * tmp[k];
    }
    free(tmp);
    return rc;
}

static int forecast_history(const ll_aml_pipeline *p, const char *key,
                            const double *time, const double *y, size_t n,
                            const double *xlast, size_t h, size_t refit_every,
                            ll_aml_stream_fit *cache, double *mean, ll_err *err)
{
    const ll_aml_table *t = p->tab;
    size_t s = 0;
    if (t->nseries > 1) {
        while (s < t->nseries && strcmp(t->keys[s], key) != 0)
            s++;
        if (s == t->nseries)
            return ll_err_set(err, LL_ENOTFOUND,
                              "forecast: unknown series '%s' (the pipeline "
                              "knows %zu)",
                              key, t->nseries);
    }
    if (t->monthly)
        return ll_err_set(err, LL_EINVAL,
                          "forecast: a monthly series has no fixed step for "
                          "a streamed history");
    if (h == 0)
        return LL_OK;
    if (t->nreg > 0 && !xlast && uses_regressors(p))
        return ll_err_set(err, LL_EINVAL,
                          "forecast: the pipeline uses regressors; give "
                          "their values");
    double t0 = t->t[t->off[s]], step = t->step > 0 ? t->step : 1;
    size_t lens = t->len[s];
    long last = (long)lens - 1;
    if (n > 0)
        last = lround((time[n - 1] - t0) / step);
    if (last < 0)
        return ll_err_set(err, LL_EINVAL,
                          "forecast: the history ends before the series "
                          "'%s' starts",
                          t->keys[s]);
    size_t len = (size_t)last + 1, nreg = t->nreg;
    double *yf = malloc((len + h + 1) * sizeof *yf);
    double *xf = malloc(((len + h) * nreg + 1) * sizeof *xf);
    if (!yf || !xf) {
        free(yf), free(xf);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < len + h; i++) {
        yf[i] = i < lens && i < len ? t->y[t->off[s] + i] : LL_NAN;
        for (size_t c = 0; c < nreg; c++)
            xf[i * nreg + c] = i < lens && i < len
                                   ? t->x[(t->off[s] + i) * nreg + c]
                                   : (xlast ? xlast[c] : LL_NAN);
    }
    for (size_t i = 0; i < n; i++) {
        long pos = lround((time[i] - t0) / step);
        if (pos >= 0 && pos < (long)len && !isnan(y[i]))
            yf[pos] = y[i];
    }
    /* gaps take the last value (the first known one at the start) */
    double fill = LL_NAN;
    for (size_t i = 0; i < len && isnan(fill); i++)
        fill = yf[i];
    for (size_t i = 0; i < len; i++) {
        if (isnan(yf[i]))
            yf[i] = fill;
        fill = yf[i];
    }
    int rc = isnan(fill) ? ll_err_set(err, LL_EINVAL,
                                      "forecast: the history has no value")
                         : hist_predict(p, s, yf, nreg ? xf : NULL, len, h, t0,
                                        step, cache, refit_every, mean, err);
    free(yf), free(xf);
    return rc;
}

int ll_aml_pipeline_forecast_history(const ll_aml_pipeline *p, const char *key,
                                     const double *time, const double *y,
                                     size_t n, const double *xlast, size_t h,
                                     double *mean, ll_err *err)
{
    return forecast_history(p, key, time, y, n, xlast, h, 0, NULL, mean, err);
}

int ll_aml_pipeline_forecast_stream(const ll_aml_pipeline *p, const char *key,
                                    const double *time, const double *y,
                                    size_t n, const double *xlast, size_t h,
                                    size_t refit_every,
                                    ll_aml_stream_fit *cache, double *mean,
                                    ll_err *err)
{
    return forecast_history(p, key, time, y, n, xlast, h, refit_every, cache,
                            mean, err);
}
