/*
 * loss.c: the losses as one node each.  The forward pass computes the
 * per-element derivative along with the loss, so backward is one scale.
 */
#include "nn/layers.h"
#include "nn/nn_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *loss_name(int k)
{
    static const char *names[] = {
        "MSELoss",           "L1Loss",           "HuberLoss", "BCELoss",
        "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss"};
    return names[k];
}

static int bw_loss(ll_node *n, ll_err *err)
{
    ll_tensor *x = n->in[0];
    const float *d = n->ctx;
    ll_tensor *g = ll_contiguous(n->gout[0], err);
    ll_tensor *gx = g ? ll_tensor_empty(x->ndim, x->shape, err) : NULL;
    int rc = LL_ENOMEM;
    if (gx) {
        int red = (int)n->i[0];
        float scale = red == LL_RED_MEAN ? (float)n->f[0] : 1.0f;
        int64_t per = n->i[1]; /* elements per loss term (C for CE/NLL) */
        for (int64_t q = 0; q < gx->numel; q++) {
            float gv = red == LL_RED_NONE ? LL_D(g)[q / per] : LL_D(g)[0];
            LL_D(gx)[q] = gv * scale * d[q];
        }
        rc = ll_node_accum(n, 0, gx, err);
    }
    ll_tensor_free(g);
    ll_tensor_free(gx);
    return rc;
}

ll_tensor *ll_loss(ll_loss_kind kind, ll_tensor *input, ll_tensor *target,
                   ll_reduction red, double arg, int64_t ignore_index,
                   ll_err *err)
{
    char a[96], b[96];
    const char *name = loss_name(kind);
    int classes = kind == LL_LOSS_CE || kind == LL_LOSS_NLL;
    int64_t N, C = 1;
    if (classes) {
        if (input->ndim == 1 && target->numel == 1) {
            N = 1;
            C = input->shape[0];
        } else if (input->ndim == 2 && target->ndim == 1 &&
                   target->shape[0] == input->shape[0]) {
            N = input->shape[0];
            C = input->shape[1];
        } else {
            ll_err_set(err, LL_EINVAL,
                       "%s: input %s and target %s: expected input (N, C) "
                       "and target (N) of class indices",
                       name, ll_shape_str(input->ndim, input->shape, a, 96),
                       ll_shape_str(target->ndim, target->shape, b, 96));
            return NULL;
        }
    } else {
        if (input->ndim != target->ndim ||
            memcmp(input->shape, target->shape, (size_t)input->ndim * 8)) {
            ll_err_set(err, LL_EINVAL,
                       "%s: input shape %s and target shape %s differ", name,
                       ll_shape_str(input->ndim, input->shape, a, 96),
                       ll_shape_str(target->ndim, target->shape, b, 96));
            return NULL;
        }
        N = input->numel;
    }
    ll_tensor *xc = ll_contiguous(input, err);
    ll_tensor *tc = xc ? ll_contiguous(target, err) : NULL;
    float *d = calloc((size_t)(input->numel + 1), sizeof(float));
    double *terms = malloc((size_t)(N + 1) * sizeof(double));
    ll_tensor *out = NULL;
    if (!tc || !d || !terms) {
        ll_oom(err, name);
        goto done;
    }
    const float *x = LL_D(xc), *y = LL_D(tc);
    double total = 0;
    int64_t counted = 0;
    for (int64_t q = 0; q < N; q++) {
        double l = 0;
        if (classes) {
            float tv = y[q];
            int64_t t = (int64_t)tv;
            if (t == ignore_index) {
                terms[q] = 0;
                continue;
            }
            if (tv != floorf(tv) || t < 0 || t >= C) {
                ll_err_set(err, LL_ERANGE,
                           "%s: target %g at position %lld is not a class in "
                           "[0, %lld)",
                           name, (double)tv, (long long)q + 1, (long long)C);
                goto done;
            }
            const float *row = x + q * C;
            float *dr = d + q * C;
            if (kind == LL_LOSS_CE) {
                float m = row[0];
                for (int64_t j = 1; j < C; j++)
                    if (row[j] > m)
                        m = row[j];
                double s = 0;
                for (int64_t j = 0; j < C; j++)
                    s += exp((double)(row[j] - m));
                double lse = (double)m + log(s);
                l = lse - (double)row[t];
                for (int64_t j = 0; j < C; j++)
                    dr[j] = (float)exp((double)row[j] - lse);
                dr[t] -= 1.0f;
            } else {
                l = -(double)row[t];
                dr[t] = -1.0f;
            }
            counted++;
        } else {
            double xv = (double)x[q], yv = (double)y[q], df = xv - yv;
            switch (kind) {
            case LL_LOSS_MSE:
                l = df * df;
                d[q] = (float)(2 * df);
                break;
            case LL_LOSS_L1:
                l = fabs(df);
                d[q] = df > 0 ? 1.0f : (df < 0 ? -1.0f : 0.0f);
                break;
            case LL_LOSS_HUBER:
                if (fabs(df) <= arg) {
                    l = 0.5 * df * df;
                    d[q] = (float)df;
                } else {
                    l = arg * (fabs(df) - 0.5 * arg);
                    d[q] = (float)(df > 0 ? arg : -arg);
                }
                break;
            case LL_LOSS_BCE: {
                if (xv < 0 || xv > 1) {
                    ll_err_set(err, LL_ERANGE,
                               "%s: input %g at position %lld is not in "
                               "[0, 1]",
                               name, xv, (long long)q + 1);
                    goto done;
                }
                double lx = xv > 0 ? log(xv) : -100,
                       l1 = xv < 1 ? log1p(-xv) : -100;
                if (lx < -100)
                    lx = -100;
                if (l1 < -100)
                    l1 = -100;
                l = -(yv * lx + (1 - yv) * l1);
                double den = (1 - xv) * xv;
                d[q] = (float)((xv - yv) / (den > 1e-12 ? den : 1e-12));
                break;
            }
            default: { /* BCE with logits */
                l = (xv > 0 ? xv : 0) - xv * yv + log1p(exp(-fabs(xv)));
                double s =
                    xv >= 0 ? 1 / (1 + exp(-xv)) : exp(xv) / (1 + exp(xv));
                d[q] = (float)(s - yv);
            }
            }
            counted++;
        }
        terms[q] = l;
        total += l;
    }
    if (red == LL_RED_NONE) {
        out =
            ll_tensor_empty(classes ? (input->ndim == 1 ? 0 : 1) : input->ndim,
                            classes ? &N : input->shape, err);
        if (out)
            for (int64_t q = 0; q < N; q++)
                LL_D(out)[q] = (float)terms[q];
    } else {
        double v = red == LL_RED_MEAN
                       ? (counted ? total / (double)counted : (double)NAN)
                       : total;
        out = ll_tensor_scalar((float)v, err);
    }
    if (!out)
        goto done;
    ll_node *n = ll_node_new(name, bw_loss, &input, 1);
    if (n) {
        n->i[0] = red;
        n->i[1] = classes ? C : 1;
        n->f[0] = counted ? 1.0 / (double)counted : 0.0;
        n->ctx = d;
        d = NULL;
        ll_node_attach(n, out, 0);
    }
    out = ll_node_check(n, &input, 1, out, name, err);
done:
    free(d);
    free(terms);
    ll_tensor_free(xc);
    ll_tensor_free(tc);
    return out;
}
