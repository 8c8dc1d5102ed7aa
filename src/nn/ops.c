/*
 * ops.c: views, elementwise ops with broadcasting, reductions, matmul,
 * joining and indexing, each with its backward.
 */
#include "nn/nn_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

/* Finish a view op: record a node if needed. */
static ll_tensor *finish(ll_tensor *out, const char *name, ll_backward_fn bw,
                         ll_tensor **in, int nin, ll_err *err)
{
    if (!out) {
        ll_oom(err, name);
        return NULL;
    }
    ll_node *n = ll_node_new(name, bw, in, nin);
    if (n)
        ll_node_attach(n, out, 0);
    return out;
}

ll_tensor *ll_contiguous(ll_tensor *t, ll_err *err)
{
    if (ll_tensor_is_contiguous(t))
        return ll_tensor_ref(t);
    return ll_clone(t, err);
}

static int bw_identity(ll_node *n, ll_err *err)
{
    return ll_node_accum(n, 0, n->gout[0], err);
}

ll_tensor *ll_clone(ll_tensor *t, ll_err *err)
{
    ll_tensor *c = ll_tensor_empty(t->ndim, t->shape, err);
    if (!c)
        return NULL;
    ll_gather_to(t, c->st->data);
    return finish(c, "Clone", bw_identity, &t, 1, err);
}
