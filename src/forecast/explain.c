/*
 * explain: permutation importance on the CV hold-outs.  For each fold the
 * model is refitted on the fold's training rows; each engineered feature's
 * hold-out column is shuffled (5 times) and the increase of the RMSE over
 * the unshuffled hold-out is averaged over folds and repeats.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/automl.h"
#include "forecast/automl_int.h"
#include "util/rng.h"

enum { REPEATS = 5 };

static double rmse(const double *a, const double *b, size_t n)
{
    double q = 0;
    for (size_t i = 0; i < n; i++)
        q += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(q / (double)n);
}

int ll_aml_explain(ll_aml_job *j, const char *model, ll_err *err)
{
    const ll_aml_reg_ops *ops = ll_aml_regressor_find(model);
    if (!ops)
        return ll_err_set(err, LL_EINVAL,
                          "explain: '%s' is not a regression model", model);
    const ll_aml_table *t = j->tab;
    size_t nf = j->fs.nf, h = j->opts.horizon, S = t->nseries;
    size_t nte = S * h;
    double *Xtr = malloc((t->n * nf + 1) * sizeof *Xtr);
    double *ytr = malloc((t->n + 1) * sizeof *ytr);
    double *Xte = malloc((nte * nf + 1) * sizeof *Xte);
    double *yte = malloc((nte + 1) * sizeof *yte);
    double *pred = malloc((nte + 1) * sizeof *pred);
    double *col = malloc((nte + 1) * sizeof *col);
    double *imp = calloc(nf + 1, sizeof *imp);
    int rc = LL_OK;
    uint64_t seed = j->opts.seed ^ 0x5eedULL;
    if (!Xtr || !ytr || !Xte || !yte || !pred || !col || !imp) {
        rc = ll_err_set(err, LL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t f = 0; f < j->folds && rc == LL_OK; f++) {
        size_t m = ll_aml_fold_train(j, j->X, f, Xtr, ytr);
        ll_aml_fold_test(j, j->X, f, Xte);
        for (size_t s = 0; s < S; s++) {
            size_t ntr = j->origin[f * S + s];
            memcpy(yte + s * h, t->y + t->off[s] + ntr, h * sizeof *yte);
        }
        ll_aml_regressor *r = NULL;
        ll_aml_fit_ctx cx = {&j->fs, j->opts.dnn_hidden, j->opts.dnn_epochs, 0};
        rc = ll_aml_regressor_fit(ops, &cx, Xtr, ytr, m, nf, j->opts.seed + f,
                                  &r, err);
        if (rc)
            break;
        ops->predict(r, Xte, nte, pred);
        double base = rmse(pred, yte, nte);
        for (size_t c = 0; c < nf; c++) {
            for (size_t i = 0; i < nte; i++)
                col[i] = Xte[i * nf + c];
            for (int rep = 0; rep < REPEATS; rep++) {
                for (size_t i = nte; i > 1; i--) {
                    size_t k = (size_t)(ll_splitmix64(&seed) % i);
                    double tmp = Xte[(i - 1) * nf + c];
                    Xte[(i - 1) * nf + c] = Xte[k * nf + c];
                    Xte[k * nf + c] = tmp;
                }
                ops->predict(r, Xte, nte, pred);
                imp[c] += rmse(pred, yte, nte) - base;
            }
            for (size_t i = 0; i < nte; i++)
                Xte[i * nf + c] = col[i];
        }
        ll_aml_regressor_free(r);
    }
    if (rc == LL_OK) {
        j->imp_name = calloc(nf + 1, sizeof *j->imp_name);
        j->imp_raw = calloc(nf + 1, sizeof *j->imp_raw);
        j->imp = calloc(nf + 1, sizeof *j->imp);
        if (!j->imp_name || !j->imp_raw || !j->imp) {
            rc = ll_err_set(err, LL_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t c = 0; c < nf; c++) {
            j->imp_name[c] = malloc(strlen(j->fs.f[c].name) + 1);
            if (!j->imp_name[c]) {
                rc = ll_err_set(err, LL_ENOMEM, "out of memory");
                goto done;
            }
            strcpy(j->imp_name[c], j->fs.f[c].name);
            j->imp_raw[c] = (int)c;
            j->imp[c] = imp[c] / (double)(j->folds * REPEATS);
            j->nimp++;
        }
        snprintf(j->explained, sizeof j->explained, "%s", model);
    }
done:
    free(Xtr), free(ytr), free(Xte), free(yte), free(pred), free(col),
        free(imp);
    return rc;
}
