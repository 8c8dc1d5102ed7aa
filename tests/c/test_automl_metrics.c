/* forecast/metrics: every metric against numpy/pandas on two series
 * (tests/fixtures/make_automl.py), hand-checked small cases, and the
 * regression models (linear.c, trees.c, knn.c) on exact data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/automl.h"

/* "key v v v" lines of tests/fixtures/automl/metrics.txt. */
static double fx[64][64];
static char fxk[64][32];
static size_t fxn[64], nfx;

static void load_fixture(void)
{
    const char *src = getenv("top_srcdir");
    char path[4096], line[8192];
    snprintf(path, sizeof path, "%s/tests/fixtures/automl/metrics.txt",
             src ? src : ".");
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    nfx = 0;
    while (nfx < 64 && fgets(line, sizeof line, fp)) {
        char *save = NULL, *tok = strtok_r(line, " \n", &save);
        if (!tok)
            continue;
        snprintf(fxk[nfx], sizeof fxk[nfx], "%s", tok);
        fxn[nfx] = 0;
        while ((tok = strtok_r(NULL, " \n", &save)) && fxn[nfx] < 64)
            fx[nfx][fxn[nfx]++] = strtod(tok, NULL);
        nfx++;
    }
    fclose(fp);
}

static const double *fxget(const char *key, size_t *n)
{
    for (size_t i = 0; i < nfx; i++)
        if (strcmp(fxk[i], key) == 0) {
            if (n)
                *n = fxn[i];
            return fx[i];
        }
    fail_msg("fixture key %s missing", key);
    return NULL;
}

static void test_metrics_vs_numpy(void **state)
{
    (void)state;
    load_fixture();
    size_t n = 0;
    const double *y = fxget("y", &n), *yhat = fxget("yhat", NULL);
    size_t n0 = (size_t)fxget("n0", NULL)[0];
    size_t off[3] = {0, n0, n};
    ll_aml_eval e = {2,
                     off,
                     y,
                     yhat,
                     fxget("range", NULL),
                     fxget("lrange", NULL),
                     fxget("scale", NULL)};
    double out[LL_AML_NMETRICS];
    ll_err err = {0};
    assert_int_equal(ll_aml_metrics(&e, out, &err), 0);
    for (int m = 0; m < LL_AML_NMETRICS; m++) {
        double want = fxget(ll_aml_metric_names[m], NULL)[0];
        if (fabs(out[m] - want) > 1e-12 * fmax(1, fabs(want)))
            fail_msg("%s: got %.17g, numpy %.17g", ll_aml_metric_names[m],
                     out[m], want);
    }
}

static void test_metrics_by_hand(void **state)
{
    (void)state;
    /* y 1 2 3 4, yhat 1 2 3 8: one error of 4. */
    double y[] = {1, 2, 3, 4}, p[] = {1, 2, 3, 8}, range = 3, scale = 1;
    size_t off[2] = {0, 4};
    ll_aml_eval e = {1, off, y, p, &range, NULL, &scale};
    double o[LL_AML_NMETRICS];
    ll_err err = {0};
    assert_int_equal(ll_aml_metrics(&e, o, &err), 0);
    assert_true(fabs(o[LL_AML_MAE] - 1) < 1e-15);
    assert_true(fabs(o[LL_AML_RMSE] - 2) < 1e-15);
    assert_true(fabs(o[LL_AML_NRMSE] - 2.0 / 3) < 1e-15);
    assert_true(fabs(o[LL_AML_MEDIAN_AE] - 0) < 1e-15);
    assert_true(fabs(o[LL_AML_MAPE] - 25) < 1e-12);
    assert_true(fabs(o[LL_AML_SMAPE] - 100.0 * (8.0 / 12) / 4) < 1e-12);
    assert_true(fabs(o[LL_AML_R2] - (1 - 16 / 5.0)) < 1e-12);
    assert_true(fabs(o[LL_AML_SPEARMAN] - 1) < 1e-15);
    assert_true(fabs(o[LL_AML_MASE] - 1) < 1e-15);
    /* Negative values: no log metrics. */
    double yn[] = {-2, 1}, pn[] = {-1, 1};
    size_t off2[2] = {0, 2};
    ll_aml_eval e2 = {1, off2, yn, pn, NULL, NULL, NULL};
    assert_int_equal(ll_aml_metrics(&e2, o, &err), 0);
    assert_true(isnan(o[LL_AML_RMSLE]));
    assert_true(isnan(o[LL_AML_NRMSLE]));
    assert_true(isnan(o[LL_AML_MASE]));
    /* Empty. */
    size_t off0[2] = {0, 0};
    ll_aml_eval e0 = {1, off0, y, p, NULL, NULL, NULL};
    assert_int_equal(ll_aml_metrics(&e0, o, &err), LL_EINVAL);
    assert_string_equal(err.msg, "metrics: no predictions");
}

static void test_metric_names(void **state)
{
    (void)state;
    assert_int_equal(ll_aml_metric_find("nrmse"), LL_AML_NRMSE);
    assert_int_equal(ll_aml_metric_find("spearman"), LL_AML_SPEARMAN);
    assert_int_equal(ll_aml_metric_find("accuracy"), -1);
    assert_true(ll_aml_metric_higher_better(LL_AML_R2));
    assert_false(ll_aml_metric_higher_better(LL_AML_MASE));
}

/* y = 3 + 2 x0 - x1 exactly: Ridge and ElasticNet find it; trees and KNN
 * fit a step function of x0. */
static void test_regressors(void **state)
{
    (void)state;
    enum { N = 200, P = 2 };
    double X[N * P], y[N], out[N];
    for (int i = 0; i < N; i++) {
        X[i * P] = i * 0.05;
        X[i * P + 1] = sin(i * 0.3);
        y[i] = 3 + 2 * X[i * P] - X[i * P + 1];
    }
    ll_err err = {0};
    for (size_t k = 0; ll_aml_regressors[k]; k++) {
        const ll_aml_reg_ops *ops = ll_aml_regressors[k];
        ll_aml_regressor *r = NULL;
        assert_int_equal(ops->fit(X, y, N, P, 1, &r, &err), 0);
        ops->predict(r, X, N, out);
        double q = 0;
        for (int i = 0; i < N; i++)
            q += (out[i] - y[i]) * (out[i] - y[i]);
        double rmse = sqrt(q / N);
        double bound = strcmp(ops->name, "Ridge") == 0        ? 1e-8
                       : strcmp(ops->name, "ElasticNet") == 0 ? 1e-2
                                                              : 0.5;
        if (!(rmse < bound))
            fail_msg("%s: training RMSE %g not below %g", ops->name, rmse,
                     bound);
        /* Restored from its arrays, it predicts the same. */
        ll_aml_regressor *r2 = NULL;
        assert_int_equal(
            ll_aml_regressor_restore(ops, P, (const char(*)[16])r->arr_name,
                                     r->arr, r->arr_len, r->narr, &r2, &err),
            0);
        double out2[N];
        ops->predict(r2, X, N, out2);
        assert_memory_equal(out, out2, sizeof out);
        ll_aml_regressor_free(r);
        ll_aml_regressor_free(r2);
    }
    assert_ptr_equal(ll_aml_regressor_find("KNN"), &ll_aml_knn);
    assert_null(ll_aml_regressor_find("SVM"));
    ll_aml_regressor *r = NULL;
    assert_int_equal(ll_aml_ridge.fit(X, y, 1, P, 1, &r, &err), LL_EINVAL);
    assert_string_equal(err.msg, "Ridge: need 2 rows, got 1");
}

/* ElasticNet's covariance-form coordinate descent (the Gram matrix through
 * OpenBLAS) reaches the coefficients of the plain one, which passes over
 * the rows for every coordinate: the same objective, the same penalty. */
static void test_enet_gram(void **state)
{
    (void)state;
    enum { N = 400, P = 6 };
    static double X[N * P], y[N], Z[N * P], res[N];
    uint64_t s = 7;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < P; j++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            double u = (double)(s >> 11) / 9007199254740992.0;
            /* correlated columns: many sweeps */
            X[i * P + j] = u + (j ? 0.8 * X[i * P + j - 1] : 0);
        }
        y[i] = 1 + 2 * X[i * P] - 0.5 * X[i * P + 3] + 0.01 * sin(i);
    }
    ll_err err = {0};
    ll_aml_regressor *r = NULL;
    assert_int_equal(ll_aml_enet.fit(X, y, N, P, 1, &r, &err), 0);
    const double *mean = r->arr[0], *sd = r->arr[1], *w = r->arr[2];
    double my = 0, amax = 0, ref[P] = {0};
    for (int i = 0; i < N; i++)
        my += y[i] / N;
    for (int i = 0; i < N; i++) {
        res[i] = y[i] - my;
        for (int j = 0; j < P; j++)
            Z[i * P + j] = (X[i * P + j] - mean[j]) / sd[j];
    }
    for (int j = 0; j < P; j++) {
        double c = 0;
        for (int i = 0; i < N; i++)
            c += Z[i * P + j] * res[i];
        amax = fmax(amax, fabs(c) / N);
    }
    double alpha = 1e-4 * amax / 0.5;
    for (int it = 0; it < 100000; it++) {
        double dmax = 0;
        for (int j = 0; j < P; j++) {
            double zz = 0, zr = 0;
            for (int i = 0; i < N; i++) {
                zz += Z[i * P + j] * Z[i * P + j];
                zr += Z[i * P + j] * res[i];
            }
            zz /= N;
            zr = zr / N + zz * ref[j];
            double g = alpha * 0.5;
            double nw = (zr > g    ? zr - g
                         : zr < -g ? zr + g
                                   : 0) /
                        (zz + alpha * 0.5);
            for (int i = 0; i < N; i++)
                res[i] -= (nw - ref[j]) * Z[i * P + j];
            dmax = fmax(dmax, fabs(nw - ref[j]));
            ref[j] = nw;
        }
        if (dmax < 1e-13)
            break;
    }
    for (int j = 0; j < P; j++)
        if (!(fabs(w[j] - ref[j]) < 1e-7 * (1 + fabs(ref[j]))))
            fail_msg("coefficient %d: %.12g, the row-wise descent %.12g", j,
                     w[j], ref[j]);
    ll_aml_regressor_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_vs_numpy),
        cmocka_unit_test(test_metrics_by_hand),
        cmocka_unit_test(test_metric_names),
        cmocka_unit_test(test_regressors),
        cmocka_unit_test(test_enet_gram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
