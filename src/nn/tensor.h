/*
 * tensor: float32 tensors, views, ops and reverse-mode autograd (nn/).
 *
 * A tensor is a refcounted header (shape, strides, offset) over a refcounted
 * storage, so reshape/transpose/narrow/select/unsqueeze/expand cost no copy.
 * Every function returning ll_tensor * gives the caller one reference
 * (release it with ll_tensor_free); arguments are borrowed.  On failure NULL
 * is returned and err says why, naming the op and the shapes.
 *
 * Autograd: an op whose input requires grad records a node (the tape); the
 * result holds the node, the node holds its inputs.  ll_tensor_backward walks
 * the nodes in reverse topological order and accumulates into the .grad of
 * leaves.  Without retain_graph the saved values are released and a second
 * backward through the same nodes fails with a clear message.
 */
#ifndef LL_TENSOR_H
#define LL_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define LL_MAXDIM 8

typedef struct ll_tensor ll_tensor;

/* ---- creation and lifetime --------------------------------------------- */

/* A new contiguous float32 tensor, zero-filled. ndim 0 is a scalar. */
ll_tensor *ll_tensor_new(int ndim, const int64_t *shape, ll_err *err);
/* A new tensor holding a copy of n floats in the given shape. */
ll_tensor *ll_tensor_from(int ndim, const int64_t *shape, const float *data,
                          ll_err *err);
ll_tensor *ll_tensor_full(int ndim, const int64_t *shape, float value,
                          ll_err *err);
ll_tensor *ll_tensor_scalar(float value, ll_err *err);
ll_tensor *ll_tensor_arange(double start, double stop, double step,
                            ll_err *err);
ll_tensor *ll_tensor_linspace(double start, double stop, int64_t n,
                              ll_err *err);
/* Random tensors from the global generator (ll_manual_seed). */
ll_tensor *ll_tensor_rand(int ndim, const int64_t *shape, ll_err *err);
ll_tensor *ll_tensor_randn(int ndim, const int64_t *shape, ll_err *err);
ll_tensor *ll_tensor_randint(int64_t low, int64_t high, int ndim,
                             const int64_t *shape, ll_err *err);
/* One more reference to t (returns t). */
ll_tensor *ll_tensor_ref(ll_tensor *t);
/* Drop one reference; frees at zero.  Accepts NULL. */
void ll_tensor_free(ll_tensor *t);

/* ---- inspection --------------------------------------------------------- */

/* Pointer to the first element.  Elements are at data[sum i_k*stride_k];
 * for a contiguous tensor that is plain row-major.  Owned by t. */
float *ll_tensor_data(ll_tensor *t);
int ll_tensor_ndim(const ll_tensor *t);
const int64_t *ll_tensor_shape(const ll_tensor *t);
const int64_t *ll_tensor_strides(const ll_tensor *t);
int64_t ll_tensor_numel(const ll_tensor *t);
int ll_tensor_is_contiguous(const ll_tensor *t);
/* The element count of a shape, or -1 when a size is negative or the
 * count exceeds LL_NUMEL_MAX (its bytes would not fit in ptrdiff_t).
 * Every tensor's shape passes this; use it on shapes read from files. */
#define LL_NUMEL_MAX ((int64_t)(PTRDIFF_MAX / (ptrdiff_t)sizeof(float)))
int64_t ll_shape_numel(int ndim, const int64_t *shape);
/* "[2, 3]" into buf. */
const char *ll_shape_str(int ndim, const int64_t *shape, char *buf,
                         size_t size);
/* Append t as PyTorch prints it (render.c): one number format for the
 * whole tensor, entries right-aligned in columns, dims longer than 6
 * elided, then ", shape=[...]" and grad_fn or requires_grad:
 * "tensor([[ 1.,  2.],\n        [30.,  4.]], shape=[2, 2])". */
int ll_tensor_render(const ll_tensor *t, ll_buf *out);
/* The value at a flat row-major index (honours strides). */
float ll_tensor_get(const ll_tensor *t, int64_t flat);

/* ---- autograd ----------------------------------------------------------- */

int ll_tensor_requires_grad(const ll_tensor *t);
/* Mark a leaf as requiring grad (fails on a non-leaf). */
int ll_tensor_set_requires_grad(ll_tensor *t, int on, ll_err *err);
/* The accumulated gradient (borrowed, may be NULL). */
ll_tensor *ll_tensor_grad(ll_tensor *t);
/* Replace the gradient (g borrowed, may be NULL to clear). */
void ll_tensor_set_grad(ll_tensor *t, ll_tensor *g);
int ll_tensor_is_leaf(const ll_tensor *t);
/* Name of the op that made t ("LSTM", "Add", ...) or NULL for a leaf. */
const char *ll_tensor_grad_fn(const ll_tensor *t);
/* Run backward from t.  grad may be NULL only for a one-element t. */
int ll_tensor_backward(ll_tensor *t, ll_tensor *grad, int retain_graph,
                       ll_err *err);
/* A tensor sharing t's data with no history. */
ll_tensor *ll_tensor_detach(ll_tensor *t, ll_err *err);
/* Grad recording on/off; returns the previous mode. */
int ll_grad_set_enabled(int on);
int ll_grad_enabled(void);

/* ---- generator and runtime --------------------------------------------- */

void ll_manual_seed(uint64_t seed);
/* Uniform [0,1) and standard normal draws from the global generator. */
double ll_rand_uniform(void);
double ll_rand_normal(void);
void ll_nn_set_num_threads(int n);
int ll_nn_get_num_threads(void);
/* Flush denormals to zero (FTZ/DAZ) on this thread. */
void ll_nn_ftz(void);

/* ---- views (share storage; autograd-aware) ------------------------------ */

/* shape may contain one -1.  Copies only when t is not viewable. */
ll_tensor *ll_reshape(ll_tensor *t, int ndim, const int64_t *shape,
                      ll_err *err);
ll_tensor *ll_transpose(ll_tensor *t, int d0, int d1, ll_err *err);
ll_tensor *ll_permute(ll_tensor *t, const int *perm, ll_err *err);
ll_tensor *ll_narrow(ll_tensor *t, int dim, int64_t start, int64_t len,
                     ll_err *err);
ll_tensor *ll_select(ll_tensor *t, int dim, int64_t index, ll_err *err);
ll_tensor *ll_unsqueeze(ll_tensor *t, int dim, ll_err *err);
/* dim -1: every size-1 dim. */
ll_tensor *ll_squeeze(ll_tensor *t, int dim, ll_err *err);
ll_tensor *ll_expand(ll_tensor *t, int ndim, const int64_t *shape, ll_err *err);
/* t itself (one more ref) when contiguous, else a copy. */
ll_tensor *ll_contiguous(ll_tensor *t, ll_err *err);
ll_tensor *ll_clone(ll_tensor *t, ll_err *err);

/* ---- elementwise -------------------------------------------------------- */

typedef enum {
    LL_ADD,
    LL_SUB,
    LL_MUL,
    LL_DIV,
    LL_POW,
    LL_MAXIMUM,
    LL_MINIMUM,
    LL_EQ,
    LL_NE,
    LL_LT,
    LL_LE,
    LL_GT,
    LL_GE
} ll_binop;

/* Broadcasting binary op; comparisons give 0/1 and no gradient. */
ll_tensor *ll_binary(ll_binop op, ll_tensor *a, ll_tensor *b, ll_err *err);

typedef enum {
    LL_NEG,
    LL_EXP,
    LL_LOG,
    LL_SQRT,
    LL_ABS,
    LL_SIGMOID,
    LL_TANH,
    LL_RELU,
    LL_LEAKY_RELU, /* arg = negative slope */
    LL_ELU,        /* arg = alpha */
    LL_SOFTPLUS,
    LL_SQUARE,
    LL_POWS,  /* x^arg */
    LL_ADDS,  /* x + arg */
    LL_MULS,  /* x * arg */
    LL_RSUBS, /* arg - x */
    LL_RDIVS, /* arg / x */
    LL_CLAMP_MIN,
    LL_CLAMP_MAX,
    LL_SIN,
    LL_COS
} ll_unop;

ll_tensor *ll_unary(ll_unop op, ll_tensor *a, float arg, ll_err *err);

/* ---- reductions --------------------------------------------------------- */

typedef enum {
    LL_RSUM,
    LL_RMEAN,
    LL_RMAX,
    LL_RMIN,
    LL_RARGMAX,
    LL_RARGMIN,
    LL_RVAR, /* unbiased (correction 1) */
    LL_RSTD,
    LL_RPROD
} ll_reduce_op;

/* Along dim (keepdim keeps it as size 1); dim = LL_ALLDIMS reduces all. */
#define LL_ALLDIMS (-100)
ll_tensor *ll_reduce(ll_reduce_op op, ll_tensor *t, int dim, int keepdim,
                     ll_err *err);

/* ---- linear algebra, joining, indexing --------------------------------- */

/* (.., n, k) x (k, m) or batched (b, n, k) x (b, k, m); 1-D as vectors. */
ll_tensor *ll_matmul(ll_tensor *a, ll_tensor *b, ll_err *err);
ll_tensor *ll_cat(ll_tensor **ts, int n, int dim, ll_err *err);
ll_tensor *ll_stack(ll_tensor **ts, int n, int dim, ll_err *err);
/* Rows of t along dim picked by idx (a tensor of integral values). */
ll_tensor *ll_index_select(ll_tensor *t, int dim, ll_tensor *idx, ll_err *err);
ll_tensor *ll_softmax(ll_tensor *t, int dim, int log, ll_err *err);
/* Copy src into dst's values (shapes broadcast); no autograd. */
int ll_tensor_copy_(ll_tensor *dst, ll_tensor *src, ll_err *err);
/* Fill in place (no autograd). */
void ll_tensor_fill_(ll_tensor *t, float v);

#endif
