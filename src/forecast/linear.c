/*
 * linear: Ridge (penalty chosen by generalized cross-validation) and
 * ElasticNet (coordinate descent) on standardized features, and the common
 * head of every regression model (arrays of parameters, the registry).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/automl.h"
#include "nn/blas.h"

const ll_aml_reg_ops *const ll_aml_regressors[] = {
    &ll_aml_ridge,      &ll_aml_enet, &ll_aml_rf,
    &ll_aml_extratrees, &ll_aml_gbm,  &ll_aml_xgb,
    &ll_aml_knn,        &ll_aml_lstm, NULL};

int ll_aml_regressor_is_dnn(const ll_aml_reg_ops *ops)
{
    return ops == &ll_aml_lstm;
}

int ll_aml_regressor_fit(const ll_aml_reg_ops *ops, const ll_aml_fit_ctx *c,
                         const double *X, const double *y, size_t n, size_t p,
                         uint64_t seed, ll_aml_regressor **out, ll_err *err)
{
    if (ops->fit_ctx)
        return ops->fit_ctx(c, X, y, n, p, seed, out, err);
    return ops->fit(X, y, n, p, seed, out, err);
}

const ll_aml_reg_ops *ll_aml_regressor_find(const char *name)
{
    for (size_t i = 0; ll_aml_regressors[i]; i++)
        if (strcmp(ll_aml_regressors[i]->name, name) == 0)
            return ll_aml_regressors[i];
    return NULL;
}

ll_aml_regressor *ll_aml_regressor_alloc(const ll_aml_reg_ops *ops, size_t p,
                                         ll_err *err)
{
    ll_aml_regressor *r = calloc(1, sizeof *r);
    if (!r) {
        ll_err_oom(err);
        return NULL;
    }
    r->ops = ops;
    r->p = p;
    return r;
}

int ll_aml_regressor_add(ll_aml_regressor *r, const char *name, size_t len)
{
    if (r->narr >= 8)
        return -1;
    double *a = calloc(len ? len : 1, sizeof *a);
    if (!a)
        return -1;
    size_t i = r->narr++;
    strncpy(r->arr_name[i], name, sizeof r->arr_name[i] - 1);
    r->arr[i] = a;
    r->arr_len[i] = len;
    return (int)i;
}

void ll_aml_regressor_free(ll_aml_regressor *r)
{
    if (!r)
        return;
    if (r->impl && r->impl_free)
        r->impl_free(r->impl);
    for (size_t i = 0; i < r->narr; i++)
        free(r->arr[i]);
    free(r);
}

int ll_aml_regressor_restore(const ll_aml_reg_ops *ops, size_t p,
                             const char (*names)[16], double *const *arrs,
                             const size_t *lens, size_t narr,
                             ll_aml_regressor **out, ll_err *err)
{
    ll_aml_regressor *r = ll_aml_regressor_alloc(ops, p, err);
    if (!r)
        return LL_ENOMEM;
    for (size_t i = 0; i < narr; i++) {
        int k = ll_aml_regressor_add(r, names[i], lens[i]);
        if (k < 0) {
            ll_aml_regressor_free(r);
            return ll_err_set(err, LL_ENOMEM, "out of memory");
        }
        memcpy(r->arr[k], arrs[i], lens[i] * sizeof(double));
    }
    if (ops->restore) {
        int rc = ops->restore(r, err);
        if (rc) {
            ops->free(r);
            return rc;
        }
    }
    *out = r;
    return LL_OK;
}

/* ---- standardization ---- */

void ll_aml_col_stats(const double *X, size_t n, size_t p, double *mean,
                      double *sd)
{
    for (size_t j = 0; j < p; j++) {
        double m = 0, v = 0;
        for (size_t i = 0; i < n; i++)
            m += X[i * p + j];
        m /= (double)n;
        for (size_t i = 0; i < n; i++)
            v += (X[i * p + j] - m) * (X[i * p + j] - m);
        v = n > 1 ? sqrt(v / (double)(n - 1)) : 0;
        mean[j] = m;
        sd[j] = v > 1e-12 * (fabs(m) + 1) ? v : 1;
    }
}

/* Cholesky factor of the p x p SPD matrix A in place (L in the lower
 * triangle).  Returns 0, or -1 when A is not positive definite. */
static int chol_factor(double *A, size_t p)
{
    for (size_t j = 0; j < p; j++) {
        double d = A[j * p + j];
        for (size_t k = 0; k < j; k++)
            d -= A[j * p + k] * A[j * p + k];
        if (d <= 0)
            return -1;
        d = sqrt(d);
        A[j * p + j] = d;
        for (size_t i = j + 1; i < p; i++) {
            double s = A[i * p + j];
            for (size_t k = 0; k < j; k++)
                s -= A[i * p + k] * A[j * p + k];
            A[i * p + j] = s / d;
        }
    }
    return 0;
}

/* Solve L L' x = b in place with the factor of chol_factor. */
static void chol_apply(const double *A, double *b, size_t p)
{
    for (size_t i = 0; i < p; i++) {
        double s = b[i];
        for (size_t k = 0; k < i; k++)
            s -= A[i * p + k] * b[k];
        b[i] = s / A[i * p + i];
    }
    for (size_t i = p; i-- > 0;) {
        double s = b[i];
        for (size_t k = i + 1; k < p; k++)
            s -= A[k * p + i] * b[k];
        b[i] = s / A[i * p + i];
    }
}

/* Arrays: mean, sd, coef (p each), icpt (1). */
enum { A_MEAN, A_SD, A_COEF, A_ICPT };

static ll_aml_regressor *linear_alloc(const ll_aml_reg_ops *ops, size_t p)
{
    ll_aml_regressor *r = ll_aml_regressor_alloc(ops, p, NULL);
    if (!r)
        return NULL;
    if (ll_aml_regressor_add(r, "mean", p) < 0 ||
        ll_aml_regressor_add(r, "sd", p) < 0 ||
        ll_aml_regressor_add(r, "coef", p) < 0 ||
        ll_aml_regressor_add(r, "icpt", 1) < 0) {
        ll_aml_regressor_free(r);
        return NULL;
    }
    return r;
}

static void linear_predict(const ll_aml_regressor *r, const double *X, size_t n,
                           double *out)
{
    size_t p = r->p;
    const double *mean = r->arr[A_MEAN], *sd = r->arr[A_SD],
                 *coef = r->arr[A_COEF];
    for (size_t i = 0; i < n; i++) {
        double s = r->arr[A_ICPT][0];
        for (size_t j = 0; j < p; j++)
            s += coef[j] * (X[i * p + j] - mean[j]) / sd[j];
        out[i] = s;
    }
}

static int ridge_fit(const double *X, const double *y, size_t n, size_t p,
                     uint64_t seed, ll_aml_regressor **out, ll_err *err)
{
    (void)seed;
    if (n < 2)
        return ll_err_set(err, LL_EINVAL, "Ridge: need 2 rows, got %zu", n);
    ll_aml_regressor *r = linear_alloc(&ll_aml_ridge, p);
    size_t q = p ? p : 1;
    double *G = malloc(q * q * sizeof *G), *A = malloc(q * q * sizeof *A);
    double *c = malloc(q * sizeof *c), *b = malloc(q * sizeof *b);
    double *e = malloc(q * sizeof *e);
    if (!r || !G || !A || !c || !b || !e) {
        ll_aml_regressor_free(r);
        free(G), free(A), free(c), free(b), free(e);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    double *mean = r->arr[A_MEAN], *sd = r->arr[A_SD];
    ll_aml_col_stats(X, n, p, mean, sd);
    double my = 0;
    for (size_t i = 0; i < n; i++)
        my += y[i];
    my /= (double)n;
    /* Z: the standardized features; G = Z'Z (one DSYRK through OpenBLAS:
     * the O(n p^2) part), c = Z'(y - my). */
    double *Z = malloc((n * q) * sizeof *Z);
    if (!Z) {
        ll_aml_regressor_free(r);
        free(G), free(A), free(c), free(b), free(e);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    memset(c, 0, q * sizeof *c);
    for (size_t i = 0; i < n; i++) {
        double *z = Z + i * p, yc = y[i] - my;
        for (size_t j = 0; j < p; j++) {
            z[j] = (X[i * p + j] - mean[j]) / sd[j];
            c[j] += z[j] * yc;
        }
    }
    if (p)
        ll_blas_dsyrk_t((int)p, (int)n, Z, G);
    /* Penalties relative to n; pick the one with the least GCV. */
    static const double grid[] = {1e-10, 1e-7, 1e-5, 1e-3, 1e-2, 1e-1, 1, 10};
    double best_gcv = INFINITY;
    for (size_t g = 0; g < sizeof grid / sizeof grid[0]; g++) {
        double lam = grid[g] * (double)n;
        memcpy(A, G, p * p * sizeof *A);
        for (size_t j = 0; j < p; j++)
            A[j * p + j] += lam;
        if (chol_factor(A, p))
            continue;
        memcpy(b, c, p * sizeof *b);
        chol_apply(A, b, p);
        /* Degrees of freedom: tr((G + lam I)^-1 G) = p - lam tr(inv), the
         * inverse's diagonal from the one factorization. */
        double tr = 0;
        for (size_t j = 0; j < p; j++) {
            for (size_t k = 0; k < p; k++)
                e[k] = k == j;
            chol_apply(A, e, p);
            tr += e[j];
        }
        double df = (double)p - lam * tr;
        double rss = 0;
        for (size_t i = 0; i < n; i++) {
            double s = 0;
            for (size_t j = 0; j < p; j++)
                s += b[j] * Z[i * p + j];
            double d = y[i] - my - s;
            rss += d * d;
        }
        double den = (double)n - df - 1;
        if (den <= 0)
            continue;
        double gcv = (double)n * rss / (den * den);
        if (gcv < best_gcv) {
            best_gcv = gcv;
            memcpy(r->arr[A_COEF], b, p * sizeof *b);
        }
    }
    free(G), free(A), free(c), free(b), free(e), free(Z);
    if (!isfinite(best_gcv)) {
        ll_aml_regressor_free(r);
        return ll_err_set(err, LL_EINVAL,
                          "Ridge: the normal equations are singular");
    }
    r->arr[A_ICPT][0] = my;
    *out = r;
    return LL_OK;
}

static double soft(double z, double g)
{
    return z > g ? z - g : z < -g ? z + g : 0;
}

/* Coordinate descent in covariance form (glmnet's and scikit-learn's
 * "precompute"): G = Z'Z / n once, by one DSYRK through OpenBLAS (the
 * O(n p^2) part), then each coordinate update costs O(p) through
 * q = Z'r / n, the features' covariance with the residual, instead of a
 * pass over the n rows. */
static int enet_fit(const double *X, const double *y, size_t n, size_t p,
                    uint64_t seed, ll_aml_regressor **out, ll_err *err)
{
    (void)seed;
    if (n < 2)
        return ll_err_set(err, LL_EINVAL, "ElasticNet: need 2 rows, got %zu",
                          n);
    ll_aml_regressor *r = linear_alloc(&ll_aml_enet, p);
    size_t q1 = p ? p : 1;
    double *Z = malloc((n * p + 1) * sizeof *Z);
    double *G = malloc(q1 * q1 * sizeof *G), *q = malloc(q1 * sizeof *q);
    if (!r || !Z || !G || !q) {
        ll_aml_regressor_free(r);
        free(Z), free(G), free(q);
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    }
    double *mean = r->arr[A_MEAN], *sd = r->arr[A_SD], *w = r->arr[A_COEF];
    ll_aml_col_stats(X, n, p, mean, sd);
    double my = 0;
    for (size_t i = 0; i < n; i++)
        my += y[i];
    my /= (double)n;
    memset(q, 0, q1 * sizeof *q);
    for (size_t i = 0; i < n; i++) {
        double yc = y[i] - my;
        for (size_t j = 0; j < p; j++) {
            Z[i * p + j] = (X[i * p + j] - mean[j]) / sd[j];
            q[j] += Z[i * p + j] * yc;
        }
    }
    if (p)
        ll_blas_dsyrk_t((int)p, (int)n, Z, G);
    /* alpha: 1e-4 of the smallest penalty zeroing every coefficient. */
    double amax = 0;
    for (size_t j = 0; j < p; j++) {
        q[j] /= (double)n;
        amax = fmax(amax, fabs(q[j]));
        for (size_t k = 0; k < p; k++)
            G[j * p + k] /= (double)n;
    }
    const double l1 = 0.5;
    double alpha = 1e-4 * amax / l1;
    for (int it = 0; it < 1000; it++) {
        double dmax = 0;
        for (size_t j = 0; j < p; j++) {
            const double *gj = G + j * p;
            double zz = gj[j], zr = q[j] + zz * w[j];
            double nw = soft(zr, alpha * l1) / (zz + alpha * (1 - l1));
            double d = nw - w[j];
            if (d != 0) {
                for (size_t k = 0; k < p; k++)
                    q[k] -= d * gj[k];
                w[j] = nw;
            }
            dmax = fmax(dmax, fabs(d));
        }
        if (dmax < 1e-10)
            break;
    }
    r->arr[A_ICPT][0] = my;
    free(Z), free(G), free(q);
    *out = r;
    return LL_OK;
}

const ll_aml_reg_ops ll_aml_ridge = {
    "Ridge", ridge_fit, linear_predict, ll_aml_regressor_free, NULL, NULL};
const ll_aml_reg_ops ll_aml_enet = {
    "ElasticNet", enet_fit, linear_predict, ll_aml_regressor_free, NULL, NULL};
