/*
 * tensor.c: tensor lifetime, the generator, the autograd tape and views.
 * Ops live in ops.c, layers in layers.c/rnn.c, losses and optimizers in
 * loss.c/optim.c.
 */
#include "nn/nn_int.h"

#include <math.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nn/blas.h"
#include "util/rng.h"
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#include <pmmintrin.h>
#endif

/* Grad mode is per thread, so scoring threads (the scoring server's
 * workers) never see a training thread's mode or each other's. */
static _Thread_local int grad_on = 1;

/* Reference counts are atomic: a loaded model's weight tensors are shared
 * read-only by every scoring thread, and views of them take references. */
#define REF_INC(x) __atomic_add_fetch(&(x), 1, __ATOMIC_RELAXED)
#define REF_DEC(x) __atomic_sub_fetch(&(x), 1, __ATOMIC_ACQ_REL)

/* ---- buffer pool --------------------------------------------------------
 * Step activations are freed and reallocated every training step; large
 * buffers come back from this pool instead of fresh (zeroed) pages.  Sizes
 * are rounded up to powers of two from 64 KiB; at most POOL_DEPTH buffers
 * per size and POOL_CAP bytes in all are kept. */
#define POOL_MIN_LOG2 16
#define POOL_CLASSES 20
#define POOL_DEPTH 16
#define POOL_CAP ((size_t)512 << 20)

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static float *pool[POOL_CLASSES][POOL_DEPTH];
static int pool_n[POOL_CLASSES];
static size_t pool_bytes;

static int pool_class(int64_t n)
{
    size_t bytes = (size_t)(n ? n : 1) * sizeof(float);
    if (bytes < ((size_t)1 << POOL_MIN_LOG2))
        return -1;
    int c = 0;
    while (((size_t)1 << (POOL_MIN_LOG2 + c)) < bytes)
        c++;
    return c < POOL_CLASSES ? c : -1;
}

float *ll_fbuf_alloc(int64_t n)
{
    int c = pool_class(n);
    if (c < 0)
        return malloc((size_t)(n ? n : 1) * sizeof(float));
    float *p = NULL;
    pthread_mutex_lock(&pool_lock);
    if (pool_n[c] > 0) {
        pool_bytes -= (size_t)1 << (POOL_MIN_LOG2 + c);
        p = pool[c][--pool_n[c]];
    }
    pthread_mutex_unlock(&pool_lock);
    if (p)
        return p;
    return malloc((size_t)1 << (POOL_MIN_LOG2 + c));
}

float *ll_fbuf_calloc(int64_t n)
{
    float *p = ll_fbuf_alloc(n);
    if (p)
        memset(p, 0, (size_t)(n ? n : 1) * sizeof(float));
    return p;
}

void ll_fbuf_free(float *p, int64_t n)
{
    if (!p)
        return;
    int c = pool_class(n);
    size_t bytes = c < 0 ? 0 : (size_t)1 << (POOL_MIN_LOG2 + c);
    if (c < 0) {
        free(p);
        return;
    }
    pthread_mutex_lock(&pool_lock);
    int kept = pool_n[c] < POOL_DEPTH && pool_bytes + bytes <= POOL_CAP;
    if (kept) {
        pool[c][pool_n[c]++] = p;
        pool_bytes += bytes;
    }
    pthread_mutex_unlock(&pool_lock);
    if (!kept)
        free(p);
}

void ll_fbuf_trim(void)
{
    pthread_mutex_lock(&pool_lock);
    for (int c = 0; c < POOL_CLASSES; c++)
        while (pool_n[c] > 0)
            free(pool[c][--pool_n[c]]);
    pool_bytes = 0;
    pthread_mutex_unlock(&pool_lock);
}

ll_storage *ll_storage_new(int64_t n, int zero)
{
    ll_storage *st = calloc(1, sizeof *st);
    float *d = zero ? ll_fbuf_calloc(n) : ll_fbuf_alloc(n);
    if (!st || !d) {
        free(st);
        ll_fbuf_free(d, n);
        return NULL;
    }
    st->refs = 1;
    st->n = n;
    st->data = d;
    return st;
}

void ll_storage_unref(ll_storage *st)
{
    if (st && REF_DEC(st->refs) == 0) {
        ll_fbuf_free(st->data, st->n);
        free(st);
    }
}

int ll_oom(ll_err *err, const char *what)
{
    return ll_err_set(err, LL_ENOMEM, "%s: out of memory", what);
}

int64_t ll_shape_numel(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return -1;
        if (shape[i] == 0)
            n = 0;
    }
    for (int i = 0; i < ndim && n; i++) {
        if (shape[i] > LL_NUMEL_MAX / n)
            return -1;
        n *= shape[i];
    }
    return n;
}

int ll_wrap_dim(int dim, int ndim)
{
    int n = ndim == 0 ? 1 : ndim;
    if (dim < 0)
        dim += n;
    return dim < 0 || dim >= n ? -1 : dim;
}

void ll_contig_strides(int ndim, const int64_t *shape, int64_t *stride)
{
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        stride[i] = s;
        s *= shape[i];
    }
}

const char *ll_shape_str(int ndim, const int64_t *shape, char *buf, size_t size)
{
    size_t used = 0;
    used += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld",
                                 i ? ", " : "", (long long)shape[i]);
    if (used < size)
        snprintf(buf + used, size - used, "]");
    return buf;
}

ll_tensor *ll_tensor_empty(int ndim, const int64_t *shape, ll_err *err)
{
    if (ndim < 0 || ndim > LL_MAXDIM) {
        ll_err_set(err, LL_EINVAL, "tensor: %d dimensions (at most %d)", ndim,
                   LL_MAXDIM);
        return NULL;
    }
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0) {
            ll_err_set(err, LL_EINVAL, "tensor: negative size %lld",
                       (long long)shape[i]);
            return NULL;
        }
    int64_t n = ll_shape_numel(ndim, shape);
    if (n < 0) {
        char b[LL_MAXDIM * 24 + 4];
        ll_err_set(err, LL_ERANGE, "tensor: shape %s has too many elements",
                   ll_shape_str(ndim, shape, b, sizeof b));
        return NULL;
    }
    ll_tensor *t = calloc(1, sizeof *t);
    ll_storage *st = ll_storage_new(n, 0);
    if (!t || !st) {
        free(t);
        ll_storage_unref(st);
        ll_oom(err, "tensor");
        return NULL;
    }
    t->refs = 1;
    t->ndim = ndim;
    if (ndim > 0)
        memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    ll_contig_strides(ndim, shape, t->stride);
    t->numel = n;
    t->st = st;
    return t;
}

ll_tensor *ll_tensor_new(int ndim, const int64_t *shape, ll_err *err)
{
    ll_tensor *t = ll_tensor_empty(ndim, shape, err);
    if (t)
        memset(t->st->data, 0, (size_t)t->numel * sizeof(float));
    return t;
}

ll_tensor *ll_tensor_from(int ndim, const int64_t *shape, const float *data,
                          ll_err *err)
{
    ll_tensor *t = ll_tensor_empty(ndim, shape, err);
    if (t && t->numel)
        memcpy(t->st->data, data, (size_t)t->numel * sizeof(float));
    return t;
}

ll_tensor *ll_tensor_full(int ndim, const int64_t *shape, float value,
                          ll_err *err)
{
    ll_tensor *t = ll_tensor_empty(ndim, shape, err);
    if (t)
        for (int64_t i = 0; i < t->numel; i++)
            t->st->data[i] = value;
    return t;
}

ll_tensor *ll_tensor_scalar(float value, ll_err *err)
{
    return ll_tensor_full(0, NULL, value, err);
}

ll_tensor *ll_tensor_arange(double start, double stop, double step, ll_err *err)
{
    if (step == 0 || (stop - start) / step < 0) {
        ll_err_set(err, LL_EINVAL, "arange: bad range %g..%g step %g", start,
                   stop, step);
        return NULL;
    }
    double nd = ceil((stop - start) / step);
    if (!(nd <= (double)LL_NUMEL_MAX)) {
        ll_err_set(err, LL_ERANGE,
                   "arange: %g..%g step %g has too many "
                   "elements",
                   start, stop, step);
        return NULL;
    }
    int64_t n = (int64_t)nd;
    ll_tensor *t = ll_tensor_empty(1, &n, err);
    if (t)
        for (int64_t i = 0; i < n; i++)
            t->st->data[i] = (float)(start + (double)i * step);
    return t;
}

ll_tensor *ll_tensor_linspace(double start, double stop, int64_t n, ll_err *err)
{
    if (n < 0) {
        ll_err_set(err, LL_EINVAL, "linspace: negative count %lld",
                   (long long)n);
        return NULL;
    }
    ll_tensor *t = ll_tensor_empty(1, &n, err);
    if (t)
        for (int64_t i = 0; i < n; i++)
            t->st->data[i] =
                (float)(n == 1 ? start
                               : start + (stop - start) * (double)i /
                                             (double)(n - 1));
    return t;
}

/* ---- generator: xoshiro256** seeded by splitmix64 ---------------------- */

static ll_rng rng = {{0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL,
                      0x94d049bb133111ebULL, 0x2545f4914f6cdd1dULL}};

void ll_manual_seed(uint64_t seed)
{
    ll_rng_seed(&rng, seed);
}

double ll_rand_uniform(void)
{
    return ll_rng_unif(&rng);
}

double ll_rand_normal(void)
{
    return ll_rng_normal(&rng);
}

ll_tensor *ll_tensor_rand(int ndim, const int64_t *shape, ll_err *err)
{
    ll_tensor *t = ll_tensor_empty(ndim, shape, err);
    if (t)
        for (int64_t i = 0; i < t->numel; i++)
            t->st->data[i] = (float)ll_rand_uniform();
    return t;
}

ll_tensor *ll_tensor_randn(int ndim, const int64_t *shape, ll_err *err)
{
    ll_tensor *t = ll_tensor_empty(ndim, shape, err);
    if (t)
        for (int64_t i = 0; i < t->numel; i++)
            t->st->data[i] = (float)ll_rand_normal();
    return t;
}

ll_tensor *ll_tensor_randint(int64_t low, int64_t high, int ndim,
                             const int64_t *shape, ll_err *err)
{
    if (high <= low) {
        ll_err_set(err, LL_EINVAL, "randint: empty range [%lld, %lld)",
                   (long long)low, (long long)high);
        return NULL;
    }
    ll_tensor *t = ll_tensor_empty(ndim, shape, err);
    if (t)
        for (int64_t i = 0; i < t->numel; i++)
            t->st->data[i] = (float)(low + (int64_t)(ll_rng_next(&rng) %
                                                     (uint64_t)(high - low)));
    return t;
}

/* Threads asked for; 0 = OpenBLAS' default (all cores). */
static int want_threads = 0;
static int blas_threads = 0; /* what OpenBLAS is set to now */

void ll_nn_set_num_threads(int n)
{
    if (n < 1)
        n = 1;
    want_threads = n;
    blas_threads = n;
    ll_blas_set_threads(n);
}

int ll_nn_get_num_threads(void)
{
    return want_threads ? want_threads : ll_blas_get_threads();
}

/* Below this many multiply-adds a GEMM runs on one thread: waking the
 * other threads costs more than it saves (and much more on a busy machine,
 * where they spin for a core). */
#define LL_GEMM_THREAD_MIN ((int64_t)48 << 20)

void ll_sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a,
              const float *b, float beta, float *c)
{
    if (m == 0 || n == 0)
        return;
    if (want_threads == 0)
        want_threads = blas_threads = ll_blas_get_threads();
    int threads = m * n * k < LL_GEMM_THREAD_MIN ? 1 : want_threads;
    if (threads != blas_threads) {
        ll_blas_set_threads(threads);
        blas_threads = threads;
    }
    ll_blas_sgemm(ta, tb, (int)m, (int)n, (int)k, a, b, beta, c);
}

void ll_nn_ftz(void)
{
#if defined(__SSE__) || defined(__x86_64__)
    _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
    _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
#endif
}

/* ---- lifetime ----------------------------------------------------------- */

ll_tensor *ll_tensor_ref(ll_tensor *t)
{
    if (t)
        REF_INC(t->refs);
    return t;
}

static void node_unref(ll_node *n);

void ll_tensor_free(ll_tensor *t)
{
    if (!t || REF_DEC(t->refs) > 0)
        return;
    ll_storage_unref(t->st);
    ll_tensor_free(t->grad);
    node_unref(t->node);
    free(t);
}

ll_tensor *ll_tensor_view_of(ll_tensor *base, int ndim, const int64_t *shape,
                             const int64_t *stride, int64_t offset)
{
    ll_tensor *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->refs = 1;
    t->ndim = ndim;
    if (ndim > 0) {
        memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
        memcpy(t->stride, stride, (size_t)ndim * sizeof *stride);
    }
    t->offset = offset;
    t->numel = ll_shape_numel(ndim, shape);
    t->st = base->st;
    REF_INC(t->st->refs);
    return t;
}

ll_tensor *ll_alias(ll_tensor *t)
{
    return ll_tensor_view_of(t, t->ndim, t->shape, t->stride, t->offset);
}

float *ll_tensor_data(ll_tensor *t)
{
    return t->st->data + t->offset;
}

int ll_tensor_ndim(const ll_tensor *t)
{
    return t->ndim;
}

const int64_t *ll_tensor_shape(const ll_tensor *t)
{
    return t->shape;
}

const int64_t *ll_tensor_strides(const ll_tensor *t)
{
    return t->stride;
}

int64_t ll_tensor_numel(const ll_tensor *t)
{
    return t->numel;
}

int ll_tensor_is_contiguous(const ll_tensor *t)
{
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->stride[i] != s)
            return 0;
        s *= t->shape[i];
    }
    return 1;
}

float ll_tensor_get(const ll_tensor *t, int64_t flat)
{
    int64_t off = t->offset;
    for (int i = t->ndim - 1; i >= 0; i--) {
        off += (flat % t->shape[i]) * t->stride[i];
        flat /= t->shape[i];
    }
    return t->st->data[off];
}

void ll_gather_to(const ll_tensor *t, float *out)
{
    if (ll_tensor_is_contiguous(t)) {
        memcpy(out, t->st->data + t->offset, (size_t)t->numel * sizeof(float));
        return;
    }
    int64_t idx[LL_MAXDIM] = {0};
    int nd = t->ndim;
    int64_t inner = t->shape[nd - 1], is = t->stride[nd - 1];
    int64_t rows = t->numel / (inner ? inner : 1);
    for (int64_t r = 0; r < rows; r++) {
        int64_t off = t->offset;
        for (int d = 0; d < nd - 1; d++)
            off += idx[d] * t->stride[d];
        const float *src = t->st->data + off;
        for (int64_t j = 0; j < inner; j++)
            *out++ = src[j * is];
        for (int d = nd - 2; d >= 0; d--) {
            if (++idx[d] < t->shape[d])
                break;
            idx[d] = 0;
        }
    }
}

void ll_tensor_fill_(ll_tensor *t, float v)
{
    if (ll_tensor_is_contiguous(t)) {
        float *d = LL_D(t);
        for (int64_t i = 0; i < t->numel; i++)
            d[i] = v;
        return;
    }
    for (int64_t i = 0; i < t->numel; i++) {
        int64_t off = t->offset, flat = i;
        for (int k = t->ndim - 1; k >= 0; k--) {
            off += (flat % t->shape[k]) * t->stride[k];
            flat /= t->shape[k];
        }
        t->st->data[off] = v;
    }
}

/* ---- autograd ------------------------------------------------------------ */

int ll_grad_set_enabled(int on)
{
    int old = grad_on;
    grad_on = on;
    return old;
}

int ll_grad_enabled(void)
{
    return grad_on;
}

int ll_tensor_requires_grad(const ll_tensor *t)
{
    return t->requires_grad;
}

int ll_tensor_is_leaf(const ll_tensor *t)
{
    return t->node == NULL;
}

const char *ll_tensor_grad_fn(const ll_tensor *t)
{
    return t->node ? t->node->name : NULL;
}

int ll_tensor_set_requires_grad(ll_tensor *t, int on, ll_err *err)
{
    if (t->node)
        return ll_err_set(err, LL_EINVAL,
                          "requires_grad: only leaf tensors can change it "
                          "(this one comes from %s; use :detach())",
                          t->node->name);
    t->requires_grad = on != 0;
    return 0;
}

ll_tensor *ll_tensor_grad(ll_tensor *t)
{
    return t->grad;
}

void ll_tensor_set_grad(ll_tensor *t, ll_tensor *g)
{
    ll_tensor_ref(g);
    ll_tensor_free(t->grad);
    t->grad = g;
}

ll_tensor *ll_tensor_detach(ll_tensor *t, ll_err *err)
{
    ll_tensor *d = ll_alias(t);
    if (!d)
        ll_oom(err, "detach");
    return d;
}

int ll_node_wanted(ll_tensor **in, int nin)
{
    if (!grad_on)
        return 0;
    for (int k = 0; k < nin; k++)
        if (in[k] && in[k]->requires_grad)
            return 1;
    return 0;
}

void ll_node_save(ll_node *n, int i, ll_tensor *t)
{
    n->saved[i] = ll_alias(t);
    if (!n->saved[i])
        n->broken = 1;
}

ll_tensor *ll_node_check(ll_node *n, ll_tensor **in, int nin, ll_tensor *out,
                         const char *name, ll_err *err)
{
    if (!out || (n ? !n->broken : !ll_node_wanted(in, nin)))
        return out;
    ll_tensor_free(out);
    ll_oom(err, name);
    return NULL;
}

ll_node *ll_node_new(const char *name, ll_backward_fn bw, ll_tensor **in,
                     int nin)
{
    if (!ll_node_wanted(in, nin))
        return NULL;
    ll_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->refs = 0;
    n->name = name;
    n->backward = bw;
    n->nin = nin;
    for (int k = 0; k < nin; k++)
        n->in[k] = ll_tensor_ref(in[k]);
    return n;
}

void ll_node_attach(ll_node *n, ll_tensor *t, int k)
{
    t->node = n;
    t->out_idx = k;
    t->requires_grad = 1;
    n->refs++;
    if (k + 1 > n->nout)
        n->nout = k + 1;
    n->out_ndim[k] = t->ndim;
    memcpy(n->out_shape[k], t->shape, (size_t)t->ndim * sizeof(int64_t));
}

void ll_node_release(ll_node *n)
{
    for (int k = 0; k < LL_NODE_MAXSAVED; k++) {
        ll_tensor_free(n->saved[k]);
        n->saved[k] = NULL;
    }
    if (n->ctx_floats)
        ll_fbuf_free(n->ctx, n->ctx_floats);
    else
        free(n->ctx);
    n->ctx = NULL;
    n->released = 1;
}

static void node_unref(ll_node *n)
{
    if (!n || --n->refs > 0)
        return;
    ll_node_release(n);
    for (int k = 0; k < LL_NODE_MAXOUT; k++)
        ll_tensor_free(n->gout[k]);
    for (int k = 0; k < n->nin; k++)
        ll_tensor_free(n->in[k]);
    free(n);
}

int ll_node_needs(const ll_node *n, int k)
{
    return n->in[k] && n->in[k]->requires_grad;
}

/* Store g into *slot (new) or add it. */
static int accum_slot(ll_tensor **slot, ll_tensor *g, ll_err *err)
{
    if (*slot)
        return ll_add_into(*slot, g, err);
    if (g->refs == 1 && g->st->refs == 1 && g->offset == 0 &&
        ll_tensor_is_contiguous(g) && !g->node) {
        *slot = ll_tensor_ref(g);
        return 0;
    }
    ll_tensor *c = ll_tensor_empty(g->ndim, g->shape, err);
    if (!c)
        return LL_ENOMEM;
    ll_gather_to(g, c->st->data);
    *slot = c;
    return 0;
}

int ll_node_accum(ll_node *n, int k, ll_tensor *g, ll_err *err)
{
    ll_tensor *x = n->in[k];
    if (!x || !x->requires_grad)
        return 0;
    if (g->numel != x->numel) {
        char a[96], b[96];
        return ll_err_set(err, LL_EINVAL,
                          "backward of %s: gradient %s for input %s", n->name,
                          ll_shape_str(g->ndim, g->shape, a, sizeof a),
                          ll_shape_str(x->ndim, x->shape, b, sizeof b));
    }
    if (x->node)
        return accum_slot(&x->node->gout[x->out_idx], g, err);
    return accum_slot(&x->grad, g, err);
}

int ll_add_into(ll_tensor *a, ll_tensor *b, ll_err *err)
{
    (void)err;
    float *d = LL_D(a);
    if (ll_tensor_is_contiguous(a) && ll_tensor_is_contiguous(b)) {
        const float *s = LL_D(b);
        for (int64_t i = 0; i < a->numel; i++)
            d[i] += s[i];
        return 0;
    }
    for (int64_t i = 0; i < a->numel; i++) {
        int64_t off = a->offset, flat = i;
        for (int q = a->ndim - 1; q >= 0; q--) {
            off += (flat % a->shape[q]) * a->stride[q];
            flat /= a->shape[q];
        }
        a->st->data[off] += ll_tensor_get(b, i);
    }
    return 0;
}

static unsigned visit_epoch = 0;

int ll_tensor_backward(ll_tensor *t, ll_tensor *grad, int retain_graph,
                       ll_err *err)
{
    if (!t->requires_grad)
        return ll_err_set(err, LL_EINVAL,
                          "backward: the tensor does not require grad and has "
                          "no grad_fn");
    if (!grad && t->numel != 1) {
        char s[96];
        return ll_err_set(err, LL_EINVAL,
                          "backward: grad can be implicitly created only for "
                          "one-element outputs (shape %s); pass a gradient",
                          ll_shape_str(t->ndim, t->shape, s, sizeof s));
    }
    if (grad && grad->numel != t->numel) {
        char a[96], b[96];
        return ll_err_set(err, LL_EINVAL,
                          "backward: gradient shape %s does not match output "
                          "shape %s",
                          ll_shape_str(grad->ndim, grad->shape, a, sizeof a),
                          ll_shape_str(t->ndim, t->shape, b, sizeof b));
    }
    ll_tensor *g0 = grad ? ll_tensor_ref(grad)
                         : ll_tensor_full(t->ndim, t->shape, 1.0f, err);
    if (!g0)
        return LL_ENOMEM;
    int rc = 0;
    if (!t->node) {
        rc = accum_slot(&t->grad, g0, err);
        ll_tensor_free(g0);
        return rc;
    }
    /* Iterative DFS for a post-order; reversed it is the processing order. */
    size_t cap = 256, nstack = 0, norder = 0;
    ll_node **stack = malloc(cap * sizeof *stack);
    int *child = malloc(cap * sizeof *child);
    size_t ocap = 256;
    ll_node **order = malloc(ocap * sizeof *order);
    if (!stack || !child || !order) {
        rc = ll_oom(err, "backward");
        goto done;
    }
    unsigned epoch = ++visit_epoch;
    stack[nstack] = t->node;
    child[nstack++] = 0;
    t->node->visit = (int)epoch;
    while (nstack) {
        ll_node *n = stack[nstack - 1];
        int k = child[nstack - 1]++;
        if (k < n->nin) {
            ll_tensor *x = n->in[k];
            if (x && x->node && x->node->visit != (int)epoch) {
                x->node->visit = (int)epoch;
                if (nstack == cap) {
                    cap *= 2;
                    ll_node **ns = realloc(stack, cap * sizeof *stack);
                    if (ns)
                        stack = ns;
                    int *nc = realloc(child, cap * sizeof *child);
                    if (nc)
                        child = nc;
                    if (!ns || !nc) {
                        rc = ll_oom(err, "backward");
                        goto done;
                    }
                }
                stack[nstack] = x->node;
                child[nstack++] = 0;
            }
            continue;
        }
        nstack--;
        if (norder == ocap) {
            ocap *= 2;
            ll_node **no = realloc(order, ocap * sizeof *order);
            if (!no) {
                rc = ll_oom(err, "backward");
                goto done;
            }
            order = no;
        }
        order[norder++] = n;
    }
    rc = accum_slot(&t->node->gout[t->out_idx], g0, err);
    int old_mode = ll_grad_set_enabled(0);
    for (size_t i = norder; rc == 0 && i-- > 0;) {
        ll_node *n = order[i];
        int any = 0;
        for (int k = 0; k < n->nout; k++)
            if (n->gout[k])
                any = 1;
        if (!any)
            continue;
        if (n->released) {
            rc = ll_err_set(err, LL_EINVAL,
                            "backward through the graph a second time: the "
                            "saved values of %s were freed by the first "
                            "backward (pass retain_graph=true to it)",
                            n->name);
            break;
        }
        rc = n->backward(n, err);
        for (int k = 0; k < n->nout; k++) {
            ll_tensor_free(n->gout[k]);
            n->gout[k] = NULL;
        }
        if (!retain_graph)
            ll_node_release(n);
    }
    ll_grad_set_enabled(old_mode);
    for (size_t i = 0; i < norder; i++)
        for (int k = 0; k < order[i]->nout; k++) {
            ll_tensor_free(order[i]->gout[k]);
            order[i]->gout[k] = NULL;
        }
done:
    ll_tensor_free(g0);
    free(stack);
    free(child);
    free(order);
    return rc;
}
