/*
 * xgb: gradient-boosted trees through XGBoost's C API (libxgboost).  The
 * booster is the model's state; its arrays hold the booster saved in
 * XGBoost's binary JSON (one byte per value), so a saved pipeline loads it
 * back with XGBoosterLoadModelFromBuffer.  One XGBoost thread per booster:
 * automated ML runs trials on its own threads.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "forecast/automl.h"

enum { XGB_ROUNDS = 200 };

static void booster_free(void *b)
{
    XGBoosterFree((BoosterHandle)b);
}

static int xgb_err(ll_err *err, const char *what)
{
    return ll_err_set(err, LL_EINVAL, "XGBoost: %s: %s", what,
                      XGBGetLastError());
}

static float *to_float(const double *X, size_t n)
{
    float *f = malloc((n ? n : 1) * sizeof *f);
    if (f)
        for (size_t i = 0; i < n; i++)
            f[i] = (float)X[i];
    return f;
}

static int xgb_fit(const double *X, const double *y, size_t n, size_t p,
                   uint64_t seed, ll_aml_regressor **out, ll_err *err)
{
    if (n < 2)
        return ll_err_set(err, LL_EINVAL, "XGBoost: need 2 rows, got %zu", n);
    float *xf = to_float(X, n * p), *yf = to_float(y, n);
    DMatrixHandle dm = NULL;
    BoosterHandle b = NULL;
    ll_aml_regressor *r = NULL;
    int rc = LL_OK;
    if (!xf || !yf) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    if (XGDMatrixCreateFromMat(xf, (bst_ulong)n, (bst_ulong)p, NAN, &dm)) {
        rc = xgb_err(err, "training matrix");
        goto done;
    }
    if (XGDMatrixSetFloatInfo(dm, "label", yf, (bst_ulong)n) ||
        XGBoosterCreate(&dm, 1, &b)) {
        rc = xgb_err(err, "booster");
        goto done;
    }
    char sd[32];
    snprintf(sd, sizeof sd, "%llu", (unsigned long long)(seed % 2147483647));
    const char *params[][2] = {{"objective", "reg:squarederror"},
                               {"max_depth", "6"},
                               {"eta", "0.1"},
                               {"subsample", "0.8"},
                               {"colsample_bytree", "0.8"},
                               {"nthread", "1"},
                               {"verbosity", "0"},
                               {"seed", sd}};
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        if (XGBoosterSetParam(b, params[i][0], params[i][1])) {
            rc = xgb_err(err, "parameters");
            goto done;
        }
    for (int it = 0; it < XGB_ROUNDS; it++)
        if (XGBoosterUpdateOneIter(b, it, dm)) {
            rc = xgb_err(err, "training");
            goto done;
        }
    bst_ulong len = 0;
    const char *buf = NULL;
    if (XGBoosterSaveModelToBuffer(b, "{\"format\": \"ubj\"}", &len, &buf)) {
        rc = xgb_err(err, "saving the booster");
        goto done;
    }
    r = ll_aml_regressor_alloc(&ll_aml_xgb, p, err);
    if (!r || ll_aml_regressor_add(r, "model", (size_t)len) < 0) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    for (bst_ulong i = 0; i < len; i++)
        r->arr[0][i] = (unsigned char)buf[i];
    r->impl = b;
    r->impl_free = booster_free;
    b = NULL;
done:
    if (rc) {
        ll_aml_regressor_free(r);
        r = NULL;
    }
    if (b)
        XGBoosterFree(b);
    if (dm)
        XGDMatrixFree(dm);
    free(xf);
    free(yf);
    *out = r;
    return rc;
}

static int xgb_restore(ll_aml_regressor *r, ll_err *err)
{
    if (r->narr != 1)
        return ll_err_set(err, LL_EPARSE, "XGBoost: expected one array");
    size_t len = r->arr_len[0];
    unsigned char *buf = malloc(len ? len : 1);
    if (!buf)
        return ll_err_set(err, LL_ENOMEM, "out of memory");
    for (size_t i = 0; i < len; i++) {
        double v = r->arr[0][i];
        if (!(v >= 0 && v <= 255)) {
            free(buf);
            return ll_err_set(err, LL_EPARSE,
                              "XGBoost: the saved booster is corrupt");
        }
        buf[i] = (unsigned char)v;
    }
    BoosterHandle b = NULL;
    int rc = LL_OK;
    if (XGBoosterCreate(NULL, 0, &b) ||
        XGBoosterLoadModelFromBuffer(b, buf, (bst_ulong)len) ||
        XGBoosterSetParam(b, "nthread", "1"))
        rc = xgb_err(err, "loading the booster");
    free(buf);
    if (rc) {
        if (b)
            XGBoosterFree(b);
        return rc;
    }
    r->impl = b;
    r->impl_free = booster_free;
    return LL_OK;
}

static void xgb_predict(const ll_aml_regressor *r, const double *X, size_t n,
                        double *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = NAN;
    float *xf = to_float(X, n * r->p);
    DMatrixHandle dm = NULL;
    bst_ulong len = 0;
    const float *res = NULL;
    if (xf &&
        XGDMatrixCreateFromMat(xf, (bst_ulong)n, (bst_ulong)r->p, NAN, &dm) ==
            0 &&
        XGBoosterPredict((BoosterHandle)r->impl, dm, 0, 0, 0, &len, &res) ==
            0 &&
        len == n)
        for (size_t i = 0; i < n; i++)
            out[i] = res[i];
    if (dm)
        XGDMatrixFree(dm);
    free(xf);
}

const ll_aml_reg_ops ll_aml_xgb = {
    "XGBoost", xgb_fit, xgb_predict, ll_aml_regressor_free, xgb_restore, NULL};
