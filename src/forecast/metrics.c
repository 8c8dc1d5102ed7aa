/*
 * metrics: the regression and forecasting metrics automated ML reports,
 * with AzureML's names and conventions (normalized metrics divide by the
 * range of the target and are macro-averaged over series).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/automl.h"

const char *const ll_aml_metric_names[LL_AML_NMETRICS] = {
    "explained_variance",
    "mae",
    "mape",
    "median_ae",
    "nmae",
    "normalized_median_ae",
    "nrmse",
    "nrmsle",
    "r2",
    "rmse",
    "rmsle",
    "spearman",
    "smape",
    "mase"};

int ll_aml_metric_find(const char *name)
{
    for (int i = 0; i < LL_AML_NMETRICS; i++)
        if (strcmp(name, ll_aml_metric_names[i]) == 0)
            return i;
    return -1;
}

int ll_aml_metric_higher_better(int m)
{
    return m == LL_AML_R2 || m == LL_AML_SPEARMAN ||
           m == LL_AML_EXPLAINED_VARIANCE;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v (n values), reordering v. */
static double median(double *v, size_t n)
{
    if (n == 0)
        return LL_NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct ranked {
    double v;
    size_t i;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    return (x->v > y->v) - (x->v < y->v);
}

/* Average ranks (ties share the mean rank) of v into r. */
static int ranks(const double *v, size_t n, double *r)
{
    ranked *t = malloc((n ? n : 1) * sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < n; i++)
        t[i] = (ranked){v[i], i};
    qsort(t, n, sizeof *t, cmp_ranked);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && t[j + 1].v == t[i].v)
            j++;
        double rk = 0.5 * (double)(i + j) + 1.0;
        for (size_t k = i; k <= j; k++)
            r[t[k].i] = rk;
        i = j + 1;
    }
    free(t);
    return 0;
}

static double pearson(const double *a, const double *b, size_t n)
{
    double ma = 0, mb = 0;
    for (size_t i = 0; i < n; i++) {
        ma += a[i];
        mb += b[i];
    }
    ma /= (double)n;
    mb /= (double)n;
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    if (saa <= 0 || sbb <= 0)
        return LL_NAN;
    return sab / sqrt(saa * sbb);
}

static double norm_by(double v, double range)
{
    return range > 0 && isfinite(range) ? v / range : v;
}

int ll_aml_metrics(const ll_aml_eval *e, double out[LL_AML_NMETRICS],
                   ll_err *err)
{
    size_t n = e->off[e->nseries];
    for (int m = 0; m < LL_AML_NMETRICS; m++)
        out[m] = LL_NAN;
    if (n == 0)
        return ll_err_set(err, LL_EINVAL, "metrics: no predictions");
    double *buf = malloc(3 * n * sizeof *buf);
    if (!buf)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    double *ae = buf, *r1 = buf + n, *r2 = buf + 2 * n;

    /* Pooled metrics. */
    double sse = 0, sae = 0, sape = 0, ssmape = 0, sle = 0;
    double my = 0, me = 0;
    size_t nape = 0;
    int log_ok = 1;
    for (size_t i = 0; i < n; i++) {
        double y = e->y[i], p = e->yhat[i], d = y - p;
        sse += d * d;
        sae += fabs(d);
        ae[i] = fabs(d);
        my += y;
        me += d;
        if (y != 0) {
            sape += fabs(d / y);
            nape++;
        }
        double den = fabs(y) + fabs(p);
        ssmape += den > 0 ? 2.0 * fabs(d) / den : 0;
        if (y <= -1 || p <= -1)
            log_ok = 0;
        else {
            double l = log1p(p) - log1p(y);
            sle += l * l;
        }
    }
    my /= (double)n;
    me /= (double)n;
    double sst = 0, sde = 0;
    for (size_t i = 0; i < n; i++) {
        double y = e->y[i], d = y - e->yhat[i];
        sst += (y - my) * (y - my);
        sde += (d - me) * (d - me);
    }
    out[LL_AML_MAE] = sae / (double)n;
    out[LL_AML_RMSE] = sqrt(sse / (double)n);
    out[LL_AML_MAPE] = nape ? 100.0 * sape / (double)nape : LL_NAN;
    out[LL_AML_SMAPE] = 100.0 * ssmape / (double)n;
    out[LL_AML_RMSLE] = log_ok ? sqrt(sle / (double)n) : LL_NAN;
    if (sst > 0) {
        out[LL_AML_R2] = 1.0 - sse / sst;
        out[LL_AML_EXPLAINED_VARIANCE] = 1.0 - sde / sst;
    } else {
        out[LL_AML_R2] = sse == 0 ? 1.0 : 0.0;
        out[LL_AML_EXPLAINED_VARIANCE] = sde == 0 ? 1.0 : 0.0;
    }
    if (ranks(e->y, n, r1) || ranks(e->yhat, n, r2)) {
        free(buf);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    out[LL_AML_SPEARMAN] = n > 1 ? pearson(r1, r2, n) : LL_NAN;
    {
        double *tmp = r1; /* ae copy for the median */
        memcpy(tmp, ae, n * sizeof *tmp);
        out[LL_AML_MEDIAN_AE] = median(tmp, n);
    }

    /* Macro-averaged over series. */
    double snrmse = 0, snmae = 0, snmed = 0, snrmsle = 0, smase = 0;
    size_t ns = 0, nmase = 0;
    for (size_t s = 0; s < e->nseries; s++) {
        size_t a = e->off[s], b = e->off[s + 1];
        if (b <= a)
            continue;
        double q = 0, ab = 0, l = 0;
        for (size_t i = a; i < b; i++) {
            double d = e->y[i] - e->yhat[i];
            q += d * d;
            ab += fabs(d);
            if (log_ok) {
                double ld = log1p(e->yhat[i]) - log1p(e->y[i]);
                l += ld * ld;
            }
            r1[i - a] = fabs(d);
        }
        double cnt = (double)(b - a);
        double range = e->range ? e->range[s] : 0;
        snrmse += norm_by(sqrt(q / cnt), range);
        snmae += norm_by(ab / cnt, range);
        snmed += norm_by(median(r1, b - a), range);
        if (log_ok)
            snrmsle += norm_by(sqrt(l / cnt), e->lrange ? e->lrange[s] : 0);
        if (e->scale && e->scale[s] > 0 && isfinite(e->scale[s])) {
            smase += (ab / cnt) / e->scale[s];
            nmase++;
        }
        ns++;
    }
    if (ns) {
        out[LL_AML_NRMSE] = snrmse / (double)ns;
        out[LL_AML_NMAE] = snmae / (double)ns;
        out[LL_AML_NMEDAE] = snmed / (double)ns;
        out[LL_AML_NRMSLE] = log_ok ? snrmsle / (double)ns : LL_NAN;
    }
    out[LL_AML_MASE] = nmase ? smase / (double)nmase : LL_NAN;
    free(buf);
    return LL_OK;
}
