/*
 * nn_gradcheck: finite-difference gradient checks shared by test_tensor.c
 * and test_nn.c.  The loss is sum(f(inputs) * gy) for a fixed random gy,
 * accumulated in double; numerical gradients are central differences.
 */
#ifndef LL_TEST_NN_GRADCHECK_H
#define LL_TEST_NN_GRADCHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nn/tensor.h"

typedef ll_tensor *(*gc_fn)(ll_tensor **in, void *ctx, ll_err *err);

static double gc_loss(ll_tensor *out, ll_tensor *gy)
{
    double s = 0;
    for (int64_t i = 0; i < ll_tensor_numel(out); i++)
        s += (double)ll_tensor_get(out, i) * (double)ll_tensor_get(gy, i);
    return s;
}

/* Returns the number of mismatching elements (0 = pass); prints them. */
static int gradcheck(const char *what, gc_fn f, ll_tensor **in, int nin,
                     void *ctx, double eps, double atol, double rtol)
{
    ll_err err = {0};
    for (int k = 0; k < nin; k++)
        if (in[k])
            ll_tensor_set_requires_grad(in[k], 1, &err);
    ll_tensor *out = f(in, ctx, &err);
    if (!out) {
        fprintf(stderr, "%s: forward failed: %s\n", what, err.msg);
        return 1;
    }
    ll_tensor *gy =
        ll_tensor_randn(ll_tensor_ndim(out), ll_tensor_shape(out), &err);
    if (ll_tensor_backward(out, gy, 0, &err)) {
        fprintf(stderr, "%s: backward failed: %s\n", what, err.msg);
        return 1;
    }
    ll_tensor_free(out);
    int bad = 0;
    int old = ll_grad_set_enabled(0);
    for (int k = 0; k < nin; k++) {
        if (!in[k] || !ll_tensor_requires_grad(in[k]))
            continue;
        ll_tensor *g = ll_tensor_grad(in[k]);
        float *d = ll_tensor_data(in[k]);
        for (int64_t i = 0; i < ll_tensor_numel(in[k]); i++) {
            float keep = d[i];
            d[i] = (float)((double)keep + eps);
            ll_tensor *o1 = f(in, ctx, &err);
            d[i] = (float)((double)keep - eps);
            ll_tensor *o2 = f(in, ctx, &err);
            double step = (double)(float)((double)keep + eps) -
                          (double)(float)((double)keep - eps);
            d[i] = keep;
            double num = (gc_loss(o1, gy) - gc_loss(o2, gy)) / step;
            ll_tensor_free(o1);
            ll_tensor_free(o2);
            double ana = g ? (double)ll_tensor_get(g, i) : 0.0;
            if (fabs(ana - num) > atol + rtol * fabs(num)) {
                if (bad < 5)
                    fprintf(stderr,
                            "%s: input %d element %lld: analytic %g, "
                            "numeric %g\n",
                            what, k, (long long)i, ana, num);
                bad++;
            }
        }
    }
    ll_grad_set_enabled(old);
    ll_tensor_free(gy);
    return bad;
}

#define GC_EPS 1e-3
#define GC_ATOL 5e-3
#define GC_RTOL 2e-2

#endif
