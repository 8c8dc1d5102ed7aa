/*
 * knn: k-nearest-neighbour regression on standardized features (Euclidean
 * distance, the mean of the k nearest training targets, k = 5).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/automl.h"

enum { KNN_K = 5 };

/* Arrays: mean, sd (p), X (n x p standardized), y (n). */
static int knn_fit(const double *X, const double *y, size_t n, size_t p,
                   uint64_t seed, ll_aml_regressor **out, ll_err *err)
{
    (void)seed;
    if (n < 1)
        return ll_err_set(err, LL_EINVAL, "KNN: no training rows");
    ll_aml_regressor *r = ll_aml_regressor_alloc(&ll_aml_knn, p, err);
    if (!r || ll_aml_regressor_add(r, "mean", p) < 0 ||
        ll_aml_regressor_add(r, "sd", p) < 0 ||
        ll_aml_regressor_add(r, "X", n * p) < 0 ||
        ll_aml_regressor_add(r, "y", n) < 0) {
        ll_aml_regressor_free(r);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    double *mean = r->arr[0], *sd = r->arr[1], *Z = r->arr[2];
    ll_aml_col_stats(X, n, p, mean, sd);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++)
            Z[i * p + j] = (X[i * p + j] - mean[j]) / sd[j];
    memcpy(r->arr[3], y, n * sizeof *y);
    *out = r;
    return LL_OK;
}

static void knn_predict(const ll_aml_regressor *r, const double *X, size_t n,
                        double *out)
{
    size_t p = r->p, m = r->arr_len[3];
    const double *mean = r->arr[0], *sd = r->arr[1], *Z = r->arr[2],
                 *y = r->arr[3];
    size_t k = m < KNN_K ? m : KNN_K;
    double z[256];
    for (size_t i = 0; i < n; i++) {
        double bd[KNN_K], by[KNN_K];
        size_t nb = 0;
        for (size_t j = 0; j < p && j < 256; j++)
            z[j] = (X[i * p + j] - mean[j]) / sd[j];
        for (size_t t = 0; t < m; t++) {
            double d = 0;
            for (size_t j = 0; j < p && j < 256; j++) {
                double e = Z[t * p + j] - z[j];
                d += e * e;
            }
            if (nb < k) {
                bd[nb] = d;
                by[nb] = y[t];
                nb++;
            } else {
                size_t w = 0;
                for (size_t q = 1; q < nb; q++)
                    if (bd[q] > bd[w])
                        w = q;
                if (d < bd[w]) {
                    bd[w] = d;
                    by[w] = y[t];
                }
            }
        }
        double s = 0;
        for (size_t q = 0; q < nb; q++)
            s += by[q];
        out[i] = nb ? s / (double)nb : 0;
    }
}

const ll_aml_reg_ops ll_aml_knn = {
    "KNN", knn_fit, knn_predict, ll_aml_regressor_free, NULL, NULL};
