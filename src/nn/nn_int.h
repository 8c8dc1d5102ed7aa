/*
 * nn_int: internals shared by the nn/ sources (tensor.c, ops.c, layers.c,
 * ...).  Not for other subsystems: they use tensor.h and layers.h.
 */
#ifndef LL_NN_INT_H
#define LL_NN_INT_H

#include "nn/tensor.h"

typedef struct ll_storage {
    int refs;
    int64_t n;
    float *data;
} ll_storage;

typedef struct ll_node ll_node;

struct ll_tensor {
    int refs;
    int ndim;
    int64_t shape[LL_MAXDIM];
    int64_t stride[LL_MAXDIM];
    int64_t offset;
    int64_t numel;
    ll_storage *st;
    int requires_grad;
    ll_tensor *grad;
    ll_node *node; /* the op that made this tensor (owned ref) */
    int out_idx;   /* which output of node */
};

#define LL_NODE_MAXIN 12
#define LL_NODE_MAXOUT 3
#define LL_NODE_MAXSAVED 12

/* backward reads n->gout[k] (NULL when no gradient reached output k) and
 * hands input gradients to ll_node_accum. */
typedef int (*ll_backward_fn)(ll_node *n, ll_err *err);

struct ll_node {
    int refs;
    const char *name;
    ll_backward_fn backward;
    int nin;
    ll_tensor *in[LL_NODE_MAXIN];
    int nout;
    int64_t out_shape[LL_NODE_MAXOUT][LL_MAXDIM];
    int out_ndim[LL_NODE_MAXOUT];
    ll_tensor *gout[LL_NODE_MAXOUT];
    ll_tensor *saved[LL_NODE_MAXSAVED]; /* released after backward */
    void *ctx;          /* released after backward: free(), or */
    int64_t ctx_floats; /* ll_fbuf_free(ctx, ctx_floats) when nonzero */
    double f[8];
    int64_t i[8];
    int released;
    int visit;
    int broken; /* a saved value could not be allocated */
};

/* Make a node for an op over inputs (refs taken) if any input requires grad
 * and grad mode is on; NULL otherwise (also on OOM: err set, rc in *rc). */
ll_node *ll_node_new(const char *name, ll_backward_fn bw, ll_tensor **in,
                     int nin);
/* Attach node to output t as output number k (takes nothing; adds a ref). */
void ll_node_attach(ll_node *n, ll_tensor *t, int k);
/* Add gradient g (shape of in[k]) to input k of node n. */
int ll_node_accum(ll_node *n, int k, ll_tensor *g, ll_err *err);
/* Does input k need a gradient? */
int ll_node_needs(const ll_node *n, int k);
void ll_node_release(ll_node *n);
/* Keep a value for backward without a ref cycle: a history-free alias. */
ll_tensor *ll_alias(ll_tensor *t);
/* n->saved[i] = an alias of t; marks n broken when that fails. */
void ll_node_save(ll_node *n, int i, ll_tensor *t);
/* Would an op over these inputs record a node? */
int ll_node_wanted(ll_tensor **in, int nin);
/* After an op attached its node n (NULL when none was made) to out:
 * out, or NULL with "NAME: out of memory" in err (out released) when the
 * node was wanted but not made or is broken: an op never returns a result
 * that silently lost its history. */
ll_tensor *ll_node_check(ll_node *n, ll_tensor **in, int nin, ll_tensor *out,
                         const char *name, ll_err *err);

/* Float buffers from the pool (see tensor.c); free with the same n. */
float *ll_fbuf_alloc(int64_t n);
float *ll_fbuf_calloc(int64_t n);
void ll_fbuf_free(float *p, int64_t n);
/* Give every pooled buffer back to the system. */
void ll_fbuf_trim(void);
/* A storage of n floats (zeroed when zero); refs = 1. */
ll_storage *ll_storage_new(int64_t n, int zero);
void ll_storage_unref(ll_storage *st);

/* C (m x n) = op(A) op(B) + beta C, row-major contiguous, through OpenBLAS
 * (small products on one thread). */
void ll_sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a,
              const float *b, float beta, float *c);

/* Contiguous row-major strides for shape. */
void ll_contig_strides(int ndim, const int64_t *shape, int64_t *stride);
/* Make a tensor header over storage st (ref taken). */
ll_tensor *ll_tensor_view_of(ll_tensor *base, int ndim, const int64_t *shape,
                             const int64_t *stride, int64_t offset);
/* Uninitialised contiguous tensor. */
ll_tensor *ll_tensor_empty(int ndim, const int64_t *shape, ll_err *err);
/* Sum g down to (ndim, shape) (undoing broadcasting); new ref. */
ll_tensor *ll_sum_to(ll_tensor *g, int ndim, const int64_t *shape, ll_err *err);
/* a += b in place; shapes equal, a contiguous; b any strides. */
int ll_add_into(ll_tensor *a, ll_tensor *b, ll_err *err);
/* Copy any-strided t into contiguous out buffer. */
void ll_gather_to(const ll_tensor *t, float *out);
int ll_oom(ll_err *err, const char *what);
/* Normalise a possibly negative dim; -1 if out of range. */
int ll_wrap_dim(int dim, int ndim);

#define LL_D(t) ((t)->st->data + (t)->offset)

#endif
