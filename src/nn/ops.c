/*
 * ops.c: views, elementwise ops with broadcasting, reductions, matmul,
 * joining and indexing, each with its backward.
 */
#include "nn/nn_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    return ll_node_check(n, in, nin, out, name, err);
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

static const char *sh(const ll_tensor *t, char *buf, size_t n)
{
    return ll_shape_str(t->ndim, t->shape, buf, n);
}

/* ---- the strided loop: up to 3 operands over one shape ----------------- */

typedef void (*row_fn)(int op, float arg, int64_t n, float *o, int64_t so,
                       const float *a, int64_t sa, const float *b, int64_t sb);

static void iter3(int nd, const int64_t *shape, float *o, const int64_t *so,
                  const float *a, const int64_t *sa, const float *b,
                  const int64_t *sb, row_fn fn, int op, float arg)
{
    if (nd == 0) {
        fn(op, arg, 1, o, 0, a, 0, b, 0);
        return;
    }
    int64_t idx[LL_MAXDIM] = {0};
    int64_t inner = shape[nd - 1];
    int64_t rows = ll_shape_numel(nd - 1, shape);
    if (inner == 0)
        return;
    for (int64_t r = 0; r < rows; r++) {
        int64_t oo = 0, oa = 0, ob = 0;
        for (int d = 0; d < nd - 1; d++) {
            oo += idx[d] * so[d];
            if (sa)
                oa += idx[d] * sa[d];
            if (sb)
                ob += idx[d] * sb[d];
        }
        fn(op, arg, inner, o + oo, so[nd - 1], a ? a + oa : NULL,
           sa ? sa[nd - 1] : 0, b ? b + ob : NULL, sb ? sb[nd - 1] : 0);
        for (int d = nd - 2; d >= 0; d--) {
            if (++idx[d] < shape[d])
                break;
            idx[d] = 0;
        }
    }
}

/* Strides of t aligned to an nd-dim broadcast shape (0 where broadcast). */
static void bstrides(const ll_tensor *t, int nd, int64_t *st)
{
    int off = nd - t->ndim;
    for (int d = 0; d < nd; d++) {
        int k = d - off;
        st[d] = (k < 0 || t->shape[k] == 1) ? 0 : t->stride[k];
    }
}

static int bshape(const ll_tensor *a, const ll_tensor *b, int *nd,
                  int64_t *shape)
{
    int n = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int d = 0; d < n; d++) {
        int ka = d - (n - a->ndim), kb = d - (n - b->ndim);
        int64_t sa = ka < 0 ? 1 : a->shape[ka], sb = kb < 0 ? 1 : b->shape[kb];
        if (sa != sb && sa != 1 && sb != 1)
            return -1;
        shape[d] = sa == 1 ? sb : sa;
    }
    *nd = n;
    return 0;
}

static void row_copy(int op, float arg, int64_t n, float *o, int64_t so,
                     const float *a, int64_t sa, const float *b, int64_t sb)
{
    (void)op, (void)arg, (void)b, (void)sb;
    for (int64_t i = 0; i < n; i++)
        o[i * so] = a[i * sa];
}

static void row_acc(int op, float arg, int64_t n, float *o, int64_t so,
                    const float *a, int64_t sa, const float *b, int64_t sb)
{
    (void)op, (void)arg, (void)b, (void)sb;
    if (so == 0) {
        float s = 0;
        for (int64_t i = 0; i < n; i++)
            s += a[i * sa];
        o[0] += s;
        return;
    }
    for (int64_t i = 0; i < n; i++)
        o[i * so] += a[i * sa];
}

int ll_tensor_copy_(ll_tensor *dst, ll_tensor *src, ll_err *err)
{
    int nd;
    int64_t shape[LL_MAXDIM], sa[LL_MAXDIM];
    if (bshape(dst, src, &nd, shape) < 0 || nd != dst->ndim ||
        ll_shape_numel(nd, shape) != dst->numel) {
        char x[96], y[96];
        return ll_err_set(err, LL_EINVAL, "copy: source %s does not fit %s",
                          sh(src, x, sizeof x), sh(dst, y, sizeof y));
    }
    bstrides(src, nd, sa);
    iter3(nd, dst->shape, LL_D(dst), dst->stride, LL_D(src), sa, NULL, NULL,
          row_copy, 0, 0);
    return 0;
}

ll_tensor *ll_sum_to(ll_tensor *g, int ndim, const int64_t *shape, ll_err *err)
{
    if (g->ndim == ndim && !memcmp(g->shape, shape, (size_t)ndim * 8))
        return ll_tensor_ref(g);
    ll_tensor *out = ll_tensor_new(ndim, shape, err);
    if (!out)
        return NULL;
    int64_t so[LL_MAXDIM];
    bstrides(out, g->ndim, so);
    iter3(g->ndim, g->shape, LL_D(out), so, LL_D(g), g->stride, NULL, NULL,
          row_acc, 0, 0);
    return out;
}

/* ---- view ops ------------------------------------------------------------ */

static int bw_reshape(ll_node *n, ll_err *err)
{
    ll_tensor *x = n->in[0];
    ll_tensor *gc = ll_contiguous(n->gout[0], err);
    if (!gc)
        return LL_ENOMEM;
    int64_t st[LL_MAXDIM];
    ll_contig_strides(x->ndim, x->shape, st);
    ll_tensor *v = ll_tensor_view_of(gc, x->ndim, x->shape, st, gc->offset);
    int rc = v ? ll_node_accum(n, 0, v, err) : ll_oom(err, "reshape");
    ll_tensor_free(v);
    ll_tensor_free(gc);
    return rc;
}

ll_tensor *ll_reshape(ll_tensor *t, int ndim, const int64_t *shape, ll_err *err)
{
    int64_t s[LL_MAXDIM], known = 1;
    int infer = -1;
    if (ndim > LL_MAXDIM) {
        ll_err_set(err, LL_EINVAL, "reshape: too many dimensions");
        return NULL;
    }
    for (int i = 0; i < ndim; i++) {
        s[i] = shape[i];
        if (s[i] == -1 && infer < 0)
            infer = i;
        else if (s[i] < 0) {
            ll_err_set(err, LL_EINVAL, "reshape: bad size %lld",
                       (long long)s[i]);
            return NULL;
        }
    }
    if (infer >= 0) {
        s[infer] = 1;
        known = ll_shape_numel(ndim, s);
        s[infer] = known > 0 ? t->numel / known : 0;
    }
    if (ll_shape_numel(ndim, s) != t->numel) {
        char a[96], b[96];
        ll_err_set(err, LL_EINVAL,
                   "reshape: cannot view %s (%lld elements) "
                   "as %s",
                   sh(t, a, sizeof a), (long long)t->numel,
                   ll_shape_str(ndim, shape, b, sizeof b));
        return NULL;
    }
    ll_tensor *base =
        ll_tensor_is_contiguous(t) ? ll_tensor_ref(t) : ll_clone(t, err);
    if (!base)
        return NULL;
    int64_t st[LL_MAXDIM];
    ll_contig_strides(ndim, s, st);
    ll_tensor *v = ll_tensor_view_of(base, ndim, s, st, base->offset);
    ll_tensor *r = finish(v, "Reshape", bw_reshape, &base, 1, err);
    ll_tensor_free(base);
    return r;
}

static int bw_permute(ll_node *n, ll_err *err)
{
    int perm[LL_MAXDIM], inv[LL_MAXDIM];
    ll_tensor *x = n->in[0];
    for (int i = 0; i < x->ndim; i++)
        perm[i] = (int)n->i[i];
    for (int i = 0; i < x->ndim; i++)
        inv[perm[i]] = i;
    int old = ll_grad_set_enabled(0);
    ll_tensor *g = ll_permute(n->gout[0], inv, err);
    ll_grad_set_enabled(old);
    int rc = g ? ll_node_accum(n, 0, g, err) : LL_ENOMEM;
    ll_tensor_free(g);
    return rc;
}

ll_tensor *ll_permute(ll_tensor *t, const int *perm, ll_err *err)
{
    int64_t s[LL_MAXDIM], st[LL_MAXDIM];
    int seen[LL_MAXDIM] = {0};
    for (int i = 0; i < t->ndim; i++) {
        if (perm[i] < 0 || perm[i] >= t->ndim || seen[perm[i]]++) {
            ll_err_set(err, LL_EINVAL, "permute: bad permutation");
            return NULL;
        }
        s[i] = t->shape[perm[i]];
        st[i] = t->stride[perm[i]];
    }
    ll_tensor *v = ll_tensor_view_of(t, t->ndim, s, st, t->offset);
    ll_tensor *r = finish(v, "Permute", bw_permute, &t, 1, err);
    if (r && r->node)
        for (int i = 0; i < t->ndim; i++)
            r->node->i[i] = perm[i];
    return r;
}

ll_tensor *ll_transpose(ll_tensor *t, int d0, int d1, ll_err *err)
{
    int perm[LL_MAXDIM];
    d0 = ll_wrap_dim(d0, t->ndim);
    d1 = ll_wrap_dim(d1, t->ndim);
    if (d0 < 0 || d1 < 0 || t->ndim == 0) {
        char a[96];
        ll_err_set(err, LL_EINVAL, "transpose: dimension out of range for %s",
                   sh(t, a, sizeof a));
        return NULL;
    }
    for (int i = 0; i < t->ndim; i++)
        perm[i] = i;
    perm[d0] = d1;
    perm[d1] = d0;
    return ll_permute(t, perm, err);
}

/* Backward of narrow/select: the gradient lands in a zero tensor. */
static int bw_narrow(ll_node *n, ll_err *err)
{
    ll_tensor *x = n->in[0];
    ll_tensor *z = ll_tensor_new(x->ndim, x->shape, err);
    if (!z)
        return LL_ENOMEM;
    int dim = (int)n->i[0];
    int64_t sh2[LL_MAXDIM];
    memcpy(sh2, x->shape, sizeof sh2);
    sh2[dim] = n->i[2];
    ll_tensor *v =
        ll_tensor_view_of(z, x->ndim, sh2, z->stride, n->i[1] * z->stride[dim]);
    int rc = LL_ENOMEM;
    if (v) {
        ll_tensor *g = n->gout[0];
        int64_t gs[LL_MAXDIM];
        if (g->ndim < x->ndim) { /* select: put the dim back */
            int k = 0;
            for (int d = 0; d < x->ndim; d++)
                gs[d] = d == dim ? 0 : g->stride[k++];
            ll_tensor *g2 = ll_tensor_view_of(g, x->ndim, sh2, gs, g->offset);
            rc = g2 ? ll_tensor_copy_(v, g2, err) : LL_ENOMEM;
            ll_tensor_free(g2);
        } else
            rc = ll_tensor_copy_(v, g, err);
        if (rc == 0)
            rc = ll_node_accum(n, 0, z, err);
    }
    ll_tensor_free(v);
    ll_tensor_free(z);
    return rc;
}

ll_tensor *ll_narrow(ll_tensor *t, int dim, int64_t start, int64_t len,
                     ll_err *err)
{
    int d = ll_wrap_dim(dim, t->ndim);
    char a[96];
    if (d < 0 || t->ndim == 0) {
        ll_err_set(err, LL_EINVAL, "narrow: dimension %d out of range for %s",
                   dim, sh(t, a, sizeof a));
        return NULL;
    }
    if (start < 0)
        start += t->shape[d];
    if (start < 0 || len < 0 || start + len > t->shape[d]) {
        ll_err_set(err, LL_ERANGE,
                   "narrow: range [%lld, %lld) out of bounds for dimension %d "
                   "of %s",
                   (long long)start, (long long)(start + len), dim,
                   sh(t, a, sizeof a));
        return NULL;
    }
    int64_t s[LL_MAXDIM];
    memcpy(s, t->shape, sizeof s);
    s[d] = len;
    ll_tensor *v = ll_tensor_view_of(t, t->ndim, s, t->stride,
                                     t->offset + start * t->stride[d]);
    ll_tensor *r = finish(v, "Narrow", bw_narrow, &t, 1, err);
    if (r && r->node) {
        r->node->i[0] = d;
        r->node->i[1] = start;
        r->node->i[2] = len;
    }
    return r;
}

ll_tensor *ll_select(ll_tensor *t, int dim, int64_t index, ll_err *err)
{
    int d = ll_wrap_dim(dim, t->ndim);
    char a[96];
    if (d < 0 || t->ndim == 0) {
        ll_err_set(err, LL_EINVAL, "select: dimension %d out of range for %s",
                   dim, sh(t, a, sizeof a));
        return NULL;
    }
    if (index < 0)
        index += t->shape[d];
    if (index < 0 || index >= t->shape[d]) {
        ll_err_set(err, LL_ERANGE,
                   "select: index %lld out of range for dimension %d of %s",
                   (long long)index, dim, sh(t, a, sizeof a));
        return NULL;
    }
    int64_t s[LL_MAXDIM], st[LL_MAXDIM];
    int k = 0;
    for (int i = 0; i < t->ndim; i++)
        if (i != d) {
            s[k] = t->shape[i];
            st[k++] = t->stride[i];
        }
    ll_tensor *v =
        ll_tensor_view_of(t, k, s, st, t->offset + index * t->stride[d]);
    ll_tensor *r = finish(v, "Select", bw_narrow, &t, 1, err);
    if (r && r->node) {
        r->node->i[0] = d;
        r->node->i[1] = index;
        r->node->i[2] = 1;
    }
    return r;
}

ll_tensor *ll_unsqueeze(ll_tensor *t, int dim, ll_err *err)
{
    if (dim < 0)
        dim += t->ndim + 1;
    if (dim < 0 || dim > t->ndim || t->ndim == LL_MAXDIM) {
        ll_err_set(err, LL_EINVAL, "unsqueeze: dimension out of range");
        return NULL;
    }
    int64_t s[LL_MAXDIM];
    for (int i = 0, k = 0; i <= t->ndim; i++)
        s[i] = i == dim ? 1 : t->shape[k++];
    return ll_reshape(t, t->ndim + 1, s, err);
}

ll_tensor *ll_squeeze(ll_tensor *t, int dim, ll_err *err)
{
    int64_t s[LL_MAXDIM];
    int k = 0;
    int d = dim == -1 ? -1 : ll_wrap_dim(dim, t->ndim);
    for (int i = 0; i < t->ndim; i++)
        if (!(t->shape[i] == 1 && (d == -1 || d == i)))
            s[k++] = t->shape[i];
    return ll_reshape(t, k, s, err);
}

static int bw_expand(ll_node *n, ll_err *err)
{
    ll_tensor *x = n->in[0];
    ll_tensor *g = ll_sum_to(n->gout[0], x->ndim, x->shape, err);
    int rc = g ? ll_node_accum(n, 0, g, err) : LL_ENOMEM;
    ll_tensor_free(g);
    return rc;
}

ll_tensor *ll_expand(ll_tensor *t, int ndim, const int64_t *shape, ll_err *err)
{
    int64_t s[LL_MAXDIM], st[LL_MAXDIM];
    char a[96], b[96];
    if (ndim < t->ndim || ndim > LL_MAXDIM)
        goto bad;
    for (int d = 0; d < ndim; d++) {
        int k = d - (ndim - t->ndim);
        int64_t ts = k < 0 ? 1 : t->shape[k];
        s[d] = shape[d] == -1 ? ts : shape[d];
        if (ts != s[d] && ts != 1)
            goto bad;
        st[d] = (k < 0 || ts != s[d]) ? 0 : t->stride[k];
    }
    if (ll_shape_numel(ndim, s) < 0) {
        ll_err_set(err, LL_EINVAL,
                   "expand: cannot expand %s to %s (too many elements)",
                   sh(t, a, sizeof a), ll_shape_str(ndim, shape, b, sizeof b));
        return NULL;
    }
    return finish(ll_tensor_view_of(t, ndim, s, st, t->offset), "Expand",
                  bw_expand, &t, 1, err);
bad:
    ll_err_set(err, LL_EINVAL, "expand: cannot expand %s to %s",
               sh(t, a, sizeof a), ll_shape_str(ndim, shape, b, sizeof b));
    return NULL;
}

/* ---- elementwise binary ------------------------------------------------- */

static float binf(int op, float x, float y)
{
    switch (op) {
    case LL_ADD:
        return x + y;
    case LL_SUB:
        return x - y;
    case LL_MUL:
        return x * y;
    case LL_DIV:
        return x / y;
    case LL_POW:
        return powf(x, y);
    case LL_MAXIMUM:
        return x >= y ? x : y;
    case LL_MINIMUM:
        return x <= y ? x : y;
    case LL_EQ:
        return (float)(x == y);
    case LL_NE:
        return (float)(x != y);
    case LL_LT:
        return (float)(x < y);
    case LL_LE:
        return (float)(x <= y);
    case LL_GT:
        return (float)(x > y);
    default:
        return (float)(x >= y);
    }
}

static void row_bin(int op, float arg, int64_t n, float *o, int64_t so,
                    const float *a, int64_t sa, const float *b, int64_t sb)
{
    (void)arg;
    if (so == 1 && sa == 1 && sb == 1) {
        switch (op) {
        case LL_ADD:
            for (int64_t i = 0; i < n; i++)
                o[i] = a[i] + b[i];
            return;
        case LL_MUL:
            for (int64_t i = 0; i < n; i++)
                o[i] = a[i] * b[i];
            return;
        case LL_SUB:
            for (int64_t i = 0; i < n; i++)
                o[i] = a[i] - b[i];
            return;
        default:
            break;
        }
    }
    for (int64_t i = 0; i < n; i++)
        o[i * so] = binf(op, a[i * sa], b[i * sb]);
}

static int accum_to(ll_node *n, int k, ll_tensor *g, ll_err *err)
{
    ll_tensor *x = n->in[k];
    ll_tensor *r = ll_sum_to(g, x->ndim, x->shape, err);
    int rc = r ? ll_node_accum(n, k, r, err) : LL_ENOMEM;
    ll_tensor_free(r);
    return rc;
}

static int bw_binary(ll_node *n, ll_err *err)
{
    ll_tensor *a = n->in[0], *b = n->in[1], *g = n->gout[0];
    int op = (int)n->i[0], rc = 0;
    ll_tensor *ga = NULL, *gb = NULL, *t1 = NULL, *t2 = NULL;
    switch (op) {
    case LL_ADD:
        ga = ll_tensor_ref(g);
        gb = ll_tensor_ref(g);
        break;
    case LL_SUB:
        ga = ll_tensor_ref(g);
        gb = ll_unary(LL_NEG, g, 0, err);
        break;
    case LL_MUL:
        ga = ll_node_needs(n, 0) ? ll_binary(LL_MUL, g, b, err) : NULL;
        gb = ll_node_needs(n, 1) ? ll_binary(LL_MUL, g, a, err) : NULL;
        break;
    case LL_DIV:
        ga = ll_binary(LL_DIV, g, b, err);
        if (ll_node_needs(n, 1)) { /* -g * a / b^2 */
            t1 = ll_binary(LL_MUL, ga, a, err);
            t2 = t1 ? ll_binary(LL_DIV, t1, b, err) : NULL;
            gb = t2 ? ll_unary(LL_NEG, t2, 0, err) : NULL;
        }
        break;
    case LL_POW: {
        ll_tensor *y = n->saved[0];
        if (ll_node_needs(n, 0)) { /* g * b * a^(b-1) = g * b * y / a */
            t1 = ll_binary(LL_MUL, g, b, err);
            ll_tensor *bm1 = ll_unary(LL_ADDS, b, -1.0f, err);
            ll_tensor *p = bm1 ? ll_binary(LL_POW, a, bm1, err) : NULL;
            ga = p && t1 ? ll_binary(LL_MUL, t1, p, err) : NULL;
            ll_tensor_free(bm1);
            ll_tensor_free(p);
        }
        if (ll_node_needs(n, 1)) {
            ll_tensor *la = ll_unary(LL_LOG, a, 0, err);
            t2 = la ? ll_binary(LL_MUL, y, la, err) : NULL;
            gb = t2 ? ll_binary(LL_MUL, g, t2, err) : NULL;
            ll_tensor_free(la);
        }
        break;
    }
    default: { /* maximum/minimum: the chosen side gets g (ties: a) */
        ll_tensor *m = ll_binary(op == LL_MAXIMUM ? LL_GE : LL_LE, a, b, err);
        if (!m)
            return LL_ENOMEM;
        ga = ll_binary(LL_MUL, g, m, err);
        ll_tensor *nm = ll_unary(LL_RSUBS, m, 1.0f, err);
        gb = nm ? ll_binary(LL_MUL, g, nm, err) : NULL;
        ll_tensor_free(nm);
        ll_tensor_free(m);
    }
    }
    if (ll_node_needs(n, 0))
        rc = ga ? accum_to(n, 0, ga, err) : LL_ENOMEM;
    if (rc == 0 && ll_node_needs(n, 1))
        rc = gb ? accum_to(n, 1, gb, err) : LL_ENOMEM;
    ll_tensor_free(ga);
    ll_tensor_free(gb);
    ll_tensor_free(t1);
    ll_tensor_free(t2);
    return rc;
}

static const char *binop_name(int op)
{
    static const char *names[] = {"Add",     "Sub",     "Mul", "Div", "Pow",
                                  "Maximum", "Minimum", "Eq",  "Ne",  "Lt",
                                  "Le",      "Gt",      "Ge"};
    return names[op];
}

ll_tensor *ll_binary(ll_binop op, ll_tensor *a, ll_tensor *b, ll_err *err)
{
    int nd;
    int64_t shape[LL_MAXDIM], sa[LL_MAXDIM], sb[LL_MAXDIM];
    if (bshape(a, b, &nd, shape) < 0) {
        char x[96], y[96];
        ll_err_set(err, LL_EINVAL,
                   "%s: shapes %s and %s cannot be broadcast together",
                   binop_name(op), sh(a, x, sizeof x), sh(b, y, sizeof y));
        return NULL;
    }
    ll_tensor *out = ll_tensor_empty(nd, shape, err);
    if (!out)
        return NULL;
    if (ll_tensor_is_contiguous(a) && ll_tensor_is_contiguous(b) &&
        a->numel == out->numel && b->numel == out->numel) {
        row_bin(op, 0, out->numel, LL_D(out), 1, LL_D(a), 1, LL_D(b), 1);
    } else if (ll_tensor_is_contiguous(a) && a->numel == out->numel &&
               b->numel == 1) {
        float *o = LL_D(out), bv = LL_D(b)[0];
        const float *x = LL_D(a);
        for (int64_t i = 0; i < out->numel; i++)
            o[i] = binf(op, x[i], bv);
    } else {
        bstrides(a, nd, sa);
        bstrides(b, nd, sb);
        iter3(nd, shape, LL_D(out), out->stride, LL_D(a), sa, LL_D(b), sb,
              row_bin, op, 0);
    }
    if (op >= LL_EQ)
        return out;
    ll_tensor *in[2] = {a, b};
    ll_node *n = ll_node_new(binop_name(op), bw_binary, in, 2);
    if (n) {
        n->i[0] = op;
        if (op == LL_POW)
            ll_node_save(n, 0, out);
        ll_node_attach(n, out, 0);
    }
    return ll_node_check(n, in, 2, out, binop_name(op), err);
}

/* ---- elementwise unary -------------------------------------------------- */

static float sigm(float x)
{
    if (x >= 0)
        return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

static float softplus(float x)
{
    return x > 20.0f ? x : log1pf(expf(x));
}

static float unf(int op, float x, float a)
{
    switch (op) {
    case LL_NEG:
        return -x;
    case LL_EXP:
        return expf(x);
    case LL_LOG:
        return logf(x);
    case LL_SQRT:
        return sqrtf(x);
    case LL_ABS:
        return fabsf(x);
    case LL_SIGMOID:
        return sigm(x);
    case LL_TANH:
        return tanhf(x);
    case LL_RELU:
        return x > 0 ? x : 0;
    case LL_LEAKY_RELU:
        return x > 0 ? x : a * x;
    case LL_ELU:
        return x > 0 ? x : a * expm1f(x);
    case LL_SOFTPLUS:
        return softplus(x);
    case LL_SQUARE:
        return x * x;
    case LL_POWS:
        return powf(x, a);
    case LL_ADDS:
        return x + a;
    case LL_MULS:
        return x * a;
    case LL_RSUBS:
        return a - x;
    case LL_RDIVS:
        return a / x;
    case LL_CLAMP_MIN:
        return x < a ? a : x;
    case LL_CLAMP_MAX:
        return x > a ? a : x;
    case LL_SIN:
        return sinf(x);
    default:
        return cosf(x);
    }
}

/* d out / d x given x, y = f(x). */
static float und(int op, float x, float y, float a)
{
    switch (op) {
    case LL_NEG:
        return -1;
    case LL_EXP:
        return y;
    case LL_LOG:
        return 1 / x;
    case LL_SQRT:
        return 0.5f / y;
    case LL_ABS:
        return x > 0 ? 1.0f : (x < 0 ? -1.0f : 0.0f);
    case LL_SIGMOID:
        return y * (1 - y);
    case LL_TANH:
        return 1 - y * y;
    case LL_RELU:
        return x > 0 ? 1.0f : 0.0f;
    case LL_LEAKY_RELU:
        return x > 0 ? 1.0f : a;
    case LL_ELU:
        return x > 0 ? 1.0f : y + a;
    case LL_SOFTPLUS:
        return sigm(x);
    case LL_SQUARE:
        return 2 * x;
    case LL_POWS:
        return a * powf(x, a - 1);
    case LL_ADDS:
        return 1;
    case LL_MULS:
        return a;
    case LL_RSUBS:
        return -1;
    case LL_RDIVS:
        return -y / x;
    case LL_CLAMP_MIN:
        return x >= a ? 1.0f : 0.0f;
    case LL_CLAMP_MAX:
        return x <= a ? 1.0f : 0.0f;
    case LL_SIN:
        return cosf(x);
    default:
        return -sinf(x);
    }
}

static const char *unop_name(int op)
{
    static const char *names[] = {
        "Neg",        "Exp",        "Log",       "Sqrt",      "Abs",
        "Sigmoid",    "Tanh",       "ReLU",      "LeakyReLU", "ELU",
        "Softplus",   "Square",     "PowScalar", "AddScalar", "MulScalar",
        "RSubScalar", "RDivScalar", "ClampMin",  "ClampMax",  "Sin",
        "Cos"};
    return names[op];
}

static int bw_unary(ll_node *n, ll_err *err)
{
    ll_tensor *xc = ll_contiguous(n->in[0], err);
    ll_tensor *gc = ll_contiguous(n->gout[0], err);
    ll_tensor *gx = ll_tensor_empty(n->in[0]->ndim, n->in[0]->shape, err);
    int rc = LL_ENOMEM;
    if (xc && gc && gx) {
        int op = (int)n->i[0];
        float a = (float)n->f[0];
        const float *x = LL_D(xc), *g = LL_D(gc), *y = LL_D(n->saved[0]);
        float *o = LL_D(gx);
        for (int64_t i = 0; i < gx->numel; i++)
            o[i] = g[i] * und(op, x[i], y[i], a);
        rc = ll_node_accum(n, 0, gx, err);
    }
    ll_tensor_free(xc);
    ll_tensor_free(gc);
    ll_tensor_free(gx);
    return rc;
}

ll_tensor *ll_unary(ll_unop op, ll_tensor *a, float arg, ll_err *err)
{
    ll_tensor *out = ll_tensor_empty(a->ndim, a->shape, err);
    if (!out)
        return NULL;
    float *o = LL_D(out);
    if (ll_tensor_is_contiguous(a)) {
        const float *x = LL_D(a);
        for (int64_t i = 0; i < out->numel; i++)
            o[i] = unf(op, x[i], arg);
    } else {
        for (int64_t i = 0; i < out->numel; i++)
            o[i] = unf(op, ll_tensor_get(a, i), arg);
    }
    ll_node *n = ll_node_new(unop_name(op), bw_unary, &a, 1);
    if (n) {
        n->i[0] = op;
        n->f[0] = (double)arg;
        ll_node_save(n, 0, out);
        ll_node_attach(n, out, 0);
    }
    return ll_node_check(n, &a, 1, out, unop_name(op), err);
}

/* ---- reductions -----------------------------------------------------------
 */

static const char *rname(int op)
{
    static const char *names[] = {"Sum",    "Mean", "Max", "Min", "Argmax",
                                  "Argmin", "Var",  "Std", "Prod"};
    return names[op];
}

/* Split t (contiguous) at dim into outer x n x inner. */
static void split3(const ll_tensor *t, int dim, int64_t *outer, int64_t *n,
                   int64_t *inner)
{
    if (dim == LL_ALLDIMS) {
        *outer = 1;
        *n = t->numel;
        *inner = 1;
        return;
    }
    *outer = ll_shape_numel(dim, t->shape);
    *n = t->shape[dim];
    *inner = ll_shape_numel(t->ndim - dim - 1, t->shape + dim + 1);
}

static int bw_reduce(ll_node *n, ll_err *err)
{
    ll_tensor *x = n->in[0];
    int op = (int)n->i[0], dim = (int)n->i[1];
    ll_tensor *xc = ll_contiguous(x, err);
    ll_tensor *gc = ll_contiguous(n->gout[0], err);
    ll_tensor *gx = ll_tensor_new(x->ndim, x->shape, err);
    int rc = LL_ENOMEM;
    if (!xc || !gc || !gx)
        goto out;
    int64_t outer, len, inner;
    split3(x, dim, &outer, &len, &inner);
    const float *xd = LL_D(xc), *g = LL_D(gc), *y = LL_D(n->saved[0]);
    const int64_t *arg = n->ctx;
    float *o = LL_D(gx);
    for (int64_t a = 0; a < outer; a++)
        for (int64_t c = 0; c < inner; c++) {
            int64_t r = a * inner + c;
            const float *xr = xd + a * len * inner + c;
            float *orow = o + a * len * inner + c;
            float gv = g[r];
            if (op == LL_RSUM || op == LL_RMEAN) {
                float v = op == LL_RSUM ? gv : gv / (float)len;
                for (int64_t j = 0; j < len; j++)
                    orow[j * inner] = v;
            } else if (op == LL_RMAX || op == LL_RMIN) {
                orow[arg[r] * inner] = gv;
            } else if (op == LL_RPROD) {
                for (int64_t j = 0; j < len; j++) {
                    double p = 1;
                    for (int64_t q = 0; q < len; q++)
                        if (q != j)
                            p *= (double)xr[q * inner];
                    orow[j * inner] = gv * (float)p;
                }
            } else { /* var, std */
                double m = 0;
                for (int64_t j = 0; j < len; j++)
                    m += (double)xr[j * inner];
                m /= (double)len;
                double scale = op == LL_RVAR
                                   ? 2.0 / (double)(len - 1)
                                   : 1.0 / ((double)(len - 1) * (double)y[r]);
                for (int64_t j = 0; j < len; j++)
                    orow[j * inner] = (float)((double)gv * scale *
                                              ((double)xr[j * inner] - m));
            }
        }
    rc = ll_node_accum(n, 0, gx, err);
out:
    ll_tensor_free(xc);
    ll_tensor_free(gc);
    ll_tensor_free(gx);
    return rc;
}

ll_tensor *ll_reduce(ll_reduce_op op, ll_tensor *t, int dim, int keepdim,
                     ll_err *err)
{
    char a[96];
    if (dim != LL_ALLDIMS) {
        int d = ll_wrap_dim(dim, t->ndim);
        if (d < 0 || t->ndim == 0) {
            ll_err_set(err, LL_EINVAL, "%s: dimension %d out of range for %s",
                       rname(op), dim, sh(t, a, sizeof a));
            return NULL;
        }
        dim = d;
    }
    int64_t outer, len, inner;
    split3(t, dim, &outer, &len, &inner);
    if (len == 0 && op != LL_RSUM && op != LL_RPROD) {
        ll_err_set(err, LL_EINVAL, "%s: empty dimension in %s", rname(op),
                   sh(t, a, sizeof a));
        return NULL;
    }
    int64_t s[LL_MAXDIM];
    int nd = 0;
    if (dim == LL_ALLDIMS) {
        if (keepdim)
            for (; nd < t->ndim; nd++)
                s[nd] = 1;
    } else
        for (int i = 0; i < t->ndim; i++) {
            if (i != dim)
                s[nd++] = t->shape[i];
            else if (keepdim)
                s[nd++] = 1;
        }
    ll_tensor *xc = ll_contiguous(t, err);
    ll_tensor *out = xc ? ll_tensor_empty(nd, s, err) : NULL;
    int64_t *arg = malloc((size_t)(outer * inner + 1) * sizeof *arg);
    if (!out || !arg) {
        ll_tensor_free(xc);
        ll_tensor_free(out);
        free(arg);
        if (!arg)
            ll_oom(err, rname(op));
        return NULL;
    }
    const float *x = LL_D(xc);
    float *o = LL_D(out);
    for (int64_t p = 0; p < outer; p++)
        for (int64_t c = 0; c < inner; c++) {
            const float *xr = x + p * len * inner + c;
            int64_t r = p * inner + c;
            if (op == LL_RMAX || op == LL_RMIN || op == LL_RARGMAX ||
                op == LL_RARGMIN) {
                int mx = op == LL_RMAX || op == LL_RARGMAX;
                int64_t best = 0;
                for (int64_t j = 1; j < len; j++) {
                    float v = xr[j * inner], b = xr[best * inner];
                    if (isnan(b))
                        break;
                    if (isnan(v) || (mx ? v > b : v < b))
                        best = j;
                }
                arg[r] = best;
                o[r] = (op == LL_RMAX || op == LL_RMIN) ? xr[best * inner]
                                                        : (float)best;
            } else if (op == LL_RPROD) {
                double pr = 1;
                for (int64_t j = 0; j < len; j++)
                    pr *= (double)xr[j * inner];
                o[r] = (float)pr;
            } else {
                double sum = 0;
                for (int64_t j = 0; j < len; j++)
                    sum += (double)xr[j * inner];
                if (op == LL_RSUM)
                    o[r] = (float)sum;
                else if (op == LL_RMEAN)
                    o[r] = (float)(sum / (double)len);
                else {
                    double m = sum / (double)len, ss = 0;
                    for (int64_t j = 0; j < len; j++) {
                        double d = (double)xr[j * inner] - m;
                        ss += d * d;
                    }
                    double var = len > 1 ? ss / (double)(len - 1) : (double)NAN;
                    o[r] = (float)(op == LL_RVAR ? var : sqrt(var));
                }
            }
        }
    ll_tensor_free(xc);
    ll_node *n = (op == LL_RARGMAX || op == LL_RARGMIN)
                     ? NULL
                     : ll_node_new(rname(op), bw_reduce, &t, 1);
    if (n) {
        n->i[0] = op;
        n->i[1] = dim;
        n->ctx = arg;
        ll_node_save(n, 0, out);
        ll_node_attach(n, out, 0);
    } else
        free(arg);
    if (op == LL_RARGMAX || op == LL_RARGMIN)
        return out;
    return ll_node_check(n, &t, 1, out, rname(op), err);
}

/* ---- matmul ------------------------------------------------------------- */

/* C (m x n) = op(A) op(B) + beta C, row-major contiguous. */

static int bw_matmul(ll_node *n, ll_err *err)
{
    ll_tensor *a = n->saved[0], *b = n->saved[1];
    ll_tensor *g = ll_contiguous(n->gout[0], err);
    if (!g)
        return LL_ENOMEM;
    int64_t batch = n->i[0], rows = n->i[1], k = n->i[2], cols = n->i[3];
    int bbatched = (int)n->i[4];
    int rc = 0;
    if (ll_node_needs(n, 0)) {
        ll_tensor *ga = ll_tensor_empty(n->in[0]->ndim, n->in[0]->shape, err);
        if (!ga)
            rc = LL_ENOMEM;
        for (int64_t q = 0; rc == 0 && q < batch; q++)
            ll_sgemm(0, 1, rows, k, cols, LL_D(g) + q * rows * cols,
                     LL_D(b) + (bbatched ? q * k * cols : 0), 0.0f,
                     LL_D(ga) + q * rows * k);
        if (rc == 0)
            rc = ll_node_accum(n, 0, ga, err);
        ll_tensor_free(ga);
    }
    if (rc == 0 && ll_node_needs(n, 1)) {
        ll_tensor *gb = ll_tensor_new(n->in[1]->ndim, n->in[1]->shape, err);
        if (!gb)
            rc = LL_ENOMEM;
        for (int64_t q = 0; rc == 0 && q < batch; q++)
            ll_sgemm(1, 0, k, cols, rows, LL_D(a) + q * rows * k,
                     LL_D(g) + q * rows * cols, bbatched ? 0.0f : 1.0f,
                     LL_D(gb) + (bbatched ? q * k * cols : 0));
        if (rc == 0)
            rc = ll_node_accum(n, 1, gb, err);
        ll_tensor_free(gb);
    }
    ll_tensor_free(g);
    return rc;
}

ll_tensor *ll_matmul(ll_tensor *a, ll_tensor *b, ll_err *err)
{
    char x[96], y[96];
    if (a->ndim == 0 || b->ndim == 0)
        goto bad;
    if (a->ndim == 1 || b->ndim == 1) {
        ll_tensor *a2 =
            a->ndim == 1 ? ll_unsqueeze(a, 0, err) : ll_tensor_ref(a);
        ll_tensor *b2 =
            b->ndim == 1 ? ll_unsqueeze(b, 1, err) : ll_tensor_ref(b);
        ll_tensor *r = a2 && b2 ? ll_matmul(a2, b2, err) : NULL;
        ll_tensor *s = r;
        if (r && a->ndim == 1) {
            s = ll_squeeze(r, r->ndim - 2, err);
            ll_tensor_free(r);
            r = s;
        }
        if (r && b->ndim == 1) {
            s = ll_squeeze(r, r->ndim - 1, err);
            ll_tensor_free(r);
        }
        ll_tensor_free(a2);
        ll_tensor_free(b2);
        return s;
    }
    int64_t k = a->shape[a->ndim - 1], cols = b->shape[b->ndim - 1];
    if (b->shape[b->ndim - 2] != k)
        goto bad;
    int64_t rows, batch;
    int bbatched = b->ndim > 2;
    if (bbatched) {
        if (a->ndim != b->ndim)
            goto bad;
        for (int d = 0; d < a->ndim - 2; d++)
            if (a->shape[d] != b->shape[d])
                goto bad;
        rows = a->shape[a->ndim - 2];
        batch = ll_shape_numel(a->ndim - 2, a->shape);
    } else {
        rows = a->numel / (k ? k : 1);
        batch = 1;
        if (k == 0)
            rows = ll_shape_numel(a->ndim - 1, a->shape);
    }
    int64_t s[LL_MAXDIM];
    memcpy(s, a->shape, sizeof s);
    s[a->ndim - 1] = cols;
    ll_tensor *ac = ll_contiguous(a, err), *bc = ll_contiguous(b, err);
    ll_tensor *out = ac && bc ? ll_tensor_new(a->ndim, s, err) : NULL;
    if (!out) {
        ll_tensor_free(ac);
        ll_tensor_free(bc);
        return NULL;
    }
    int64_t arows = bbatched ? rows : rows;
    for (int64_t q = 0; q < batch; q++)
        if (arows && cols && k)
            ll_sgemm(0, 0, arows, cols, k, LL_D(ac) + q * rows * k,
                     LL_D(bc) + q * k * cols, 0.0f,
                     LL_D(out) + q * rows * cols);
    ll_tensor *in[2] = {a, b};
    ll_node *n = ll_node_new("MatMul", bw_matmul, in, 2);
    if (n) {
        ll_node_save(n, 0, ac);
        ll_node_save(n, 1, bc);
        n->i[0] = batch;
        n->i[1] = rows;
        n->i[2] = k;
        n->i[3] = cols;
        n->i[4] = bbatched;
        ll_node_attach(n, out, 0);
    }
    ll_tensor_free(ac);
    ll_tensor_free(bc);
    return ll_node_check(n, in, 2, out, "matmul", err);
bad:
    ll_err_set(err, LL_EINVAL, "matmul: shapes %s and %s do not match",
               sh(a, x, sizeof x), sh(b, y, sizeof y));
    return NULL;
}

/* ---- cat / stack ----------------------------------------------------------
 */

static int bw_cat(ll_node *n, ll_err *err)
{
    int dim = (int)n->i[0];
    int64_t start = 0;
    int rc = 0;
    for (int k = 0; k < n->nin && rc == 0; k++) {
        int64_t len = n->in[k]->shape[dim];
        if (ll_node_needs(n, k)) {
            ll_tensor *g = ll_narrow(n->gout[0], dim, start, len, err);
            rc = g ? ll_node_accum(n, k, g, err) : LL_ENOMEM;
            ll_tensor_free(g);
        }
        start += len;
    }
    return rc;
}

static ll_tensor *cat_chunk(ll_tensor **ts, int n, int dim, ll_err *err)
{
    ll_tensor *t0 = ts[0];
    int64_t s[LL_MAXDIM];
    memcpy(s, t0->shape, sizeof s);
    s[dim] = 0;
    for (int k = 0; k < n; k++) {
        ll_tensor *t = ts[k];
        int ok = t->ndim == t0->ndim;
        for (int d = 0; ok && d < t0->ndim; d++)
            if (d != dim && t->shape[d] != t0->shape[d])
                ok = 0;
        if (!ok) {
            char x[96], y[96];
            ll_err_set(err, LL_EINVAL,
                       "cat: tensor %d has shape %s, expected %s except in "
                       "dimension %d",
                       k + 1, sh(t, x, sizeof x), sh(t0, y, sizeof y), dim);
            return NULL;
        }
        s[dim] += t->shape[dim];
    }
    ll_tensor *out = ll_tensor_empty(t0->ndim, s, err);
    if (!out)
        return NULL;
    int64_t start = 0;
    for (int k = 0; k < n; k++) {
        int64_t sub[LL_MAXDIM];
        memcpy(sub, s, sizeof sub);
        sub[dim] = ts[k]->shape[dim];
        iter3(t0->ndim, sub, LL_D(out) + start * out->stride[dim], out->stride,
              LL_D(ts[k]), ts[k]->stride, NULL, NULL, row_copy, 0, 0);
        start += sub[dim];
    }
    ll_node *node = ll_node_new("Cat", bw_cat, ts, n);
    if (node) {
        node->i[0] = dim;
        ll_node_attach(node, out, 0);
    }
    return ll_node_check(node, ts, n, out, "cat", err);
}

ll_tensor *ll_cat(ll_tensor **ts, int n, int dim, ll_err *err)
{
    if (n < 1) {
        ll_err_set(err, LL_EINVAL, "cat: no tensors");
        return NULL;
    }
    int d = ll_wrap_dim(dim, ts[0]->ndim);
    if (d < 0 || ts[0]->ndim == 0) {
        ll_err_set(err, LL_EINVAL, "cat: dimension %d out of range", dim);
        return NULL;
    }
    if (n <= LL_NODE_MAXIN)
        return cat_chunk(ts, n, d, err);
    /* More inputs than a node holds: cat in chunks, then cat the chunks. */
    int nchunks = (n + LL_NODE_MAXIN - 1) / LL_NODE_MAXIN;
    ll_tensor **parts = calloc((size_t)nchunks, sizeof *parts);
    if (!parts) {
        ll_oom(err, "cat");
        return NULL;
    }
    ll_tensor *out = NULL;
    int ok = 1;
    for (int c = 0; c < nchunks && ok; c++) {
        int lo = c * LL_NODE_MAXIN;
        int cnt = n - lo < LL_NODE_MAXIN ? n - lo : LL_NODE_MAXIN;
        parts[c] = cat_chunk(ts + lo, cnt, d, err);
        ok = parts[c] != NULL;
    }
    if (ok)
        out = ll_cat(parts, nchunks, d, err);
    for (int c = 0; c < nchunks; c++)
        ll_tensor_free(parts[c]);
    free(parts);
    return out;
}

ll_tensor *ll_stack(ll_tensor **ts, int n, int dim, ll_err *err)
{
    if (n < 1) {
        ll_err_set(err, LL_EINVAL, "stack: no tensors");
        return NULL;
    }
    ll_tensor **u = calloc((size_t)n, sizeof *u);
    if (!u) {
        ll_oom(err, "stack");
        return NULL;
    }
    ll_tensor *out = NULL;
    int k;
    for (k = 0; k < n; k++) {
        if (ts[k]->ndim != ts[0]->ndim ||
            memcmp(ts[k]->shape, ts[0]->shape, (size_t)ts[0]->ndim * 8)) {
            char x[96], y[96];
            ll_err_set(err, LL_EINVAL,
                       "stack: tensor %d has shape %s, expected %s", k + 1,
                       sh(ts[k], x, sizeof x), sh(ts[0], y, sizeof y));
            break;
        }
        if (!(u[k] = ll_unsqueeze(ts[k], dim, err)))
            break;
    }
    if (k == n)
        out = ll_cat(u, n, dim < 0 ? dim : dim, err);
    for (int q = 0; q < n; q++)
        ll_tensor_free(u[q]);
    free(u);
    return out;
}

/* ---- index_select ---------------------------------------------------------
 */

static int bw_index_select(ll_node *n, ll_err *err)
{
    ll_tensor *x = n->in[0], *idx = n->saved[0];
    int dim = (int)n->i[0];
    ll_tensor *gx = ll_tensor_new(x->ndim, x->shape, err);
    ll_tensor *g = ll_contiguous(n->gout[0], err);
    int rc = LL_ENOMEM;
    if (gx && g) {
        int64_t outer, len, inner;
        split3(x, dim, &outer, &len, &inner);
        int64_t m = idx->numel;
        for (int64_t p = 0; p < outer; p++)
            for (int64_t j = 0; j < m; j++) {
                int64_t r = (int64_t)ll_tensor_get(idx, j);
                float *dst = LL_D(gx) + (p * len + r) * inner;
                const float *src = LL_D(g) + (p * m + j) * inner;
                for (int64_t c = 0; c < inner; c++)
                    dst[c] += src[c];
            }
        rc = ll_node_accum(n, 0, gx, err);
    }
    ll_tensor_free(gx);
    ll_tensor_free(g);
    return rc;
}

ll_tensor *ll_index_select(ll_tensor *t, int dim, ll_tensor *idx, ll_err *err)
{
    char a[96];
    int d = ll_wrap_dim(dim, t->ndim);
    if (d < 0 || t->ndim == 0 || idx->ndim > 1) {
        ll_err_set(err, LL_EINVAL,
                   "index_select: need a dimension of %s and a 1-D index",
                   sh(t, a, sizeof a));
        return NULL;
    }
    int64_t outer, len, inner, m = idx->numel;
    split3(t, d, &outer, &len, &inner);
    for (int64_t j = 0; j < m; j++) {
        float v = ll_tensor_get(idx, j);
        if (v != floorf(v) || v < 0 || v >= (float)len) {
            ll_err_set(err, LL_ERANGE,
                       "index_select: index %g out of range for dimension %d "
                       "of %s",
                       (double)v, dim, sh(t, a, sizeof a));
            return NULL;
        }
    }
    int64_t s[LL_MAXDIM];
    memcpy(s, t->shape, sizeof s);
    s[d] = m;
    ll_tensor *xc = ll_contiguous(t, err);
    ll_tensor *out = xc ? ll_tensor_empty(t->ndim, s, err) : NULL;
    if (!out) {
        ll_tensor_free(xc);
        return NULL;
    }
    for (int64_t p = 0; p < outer; p++)
        for (int64_t j = 0; j < m; j++) {
            int64_t r = (int64_t)ll_tensor_get(idx, j);
            memcpy(LL_D(out) + (p * m + j) * inner,
                   LL_D(xc) + (p * len + r) * inner,
                   (size_t)inner * sizeof(float));
        }
    ll_tensor_free(xc);
    ll_node *n = ll_node_new("IndexSelect", bw_index_select, &t, 1);
    if (n) {
        n->i[0] = d;
        ll_node_save(n, 0, idx);
        ll_node_attach(n, out, 0);
    }
    return ll_node_check(n, &t, 1, out, "index_select", err);
}

/* ---- softmax --------------------------------------------------------------
 */

static int bw_softmax(ll_node *n, ll_err *err)
{
    ll_tensor *y = n->saved[0];
    ll_tensor *g = ll_contiguous(n->gout[0], err);
    ll_tensor *gx = g ? ll_tensor_empty(y->ndim, y->shape, err) : NULL;
    int rc = LL_ENOMEM;
    if (gx) {
        int64_t outer, len, inner;
        split3(y, (int)n->i[0], &outer, &len, &inner);
        int lg = (int)n->i[1];
        for (int64_t p = 0; p < outer; p++)
            for (int64_t c = 0; c < inner; c++) {
                int64_t base = p * len * inner + c;
                const float *yr = LL_D(y) + base, *gr = LL_D(g) + base;
                float *o = LL_D(gx) + base;
                double s = 0;
                for (int64_t j = 0; j < len; j++)
                    s += lg ? (double)gr[j * inner]
                            : (double)gr[j * inner] * (double)yr[j * inner];
                for (int64_t j = 0; j < len; j++)
                    o[j * inner] =
                        lg ? gr[j * inner] - expf(yr[j * inner]) * (float)s
                           : yr[j * inner] * (gr[j * inner] - (float)s);
            }
        rc = ll_node_accum(n, 0, gx, err);
    }
    ll_tensor_free(g);
    ll_tensor_free(gx);
    return rc;
}

ll_tensor *ll_softmax(ll_tensor *t, int dim, int lg, ll_err *err)
{
    int d = ll_wrap_dim(dim, t->ndim);
    if (d < 0 || t->ndim == 0) {
        char a[96];
        ll_err_set(err, LL_EINVAL, "softmax: dimension %d out of range for %s",
                   dim, sh(t, a, sizeof a));
        return NULL;
    }
    ll_tensor *xc = ll_contiguous(t, err);
    ll_tensor *out = xc ? ll_tensor_empty(t->ndim, t->shape, err) : NULL;
    if (!out) {
        ll_tensor_free(xc);
        return NULL;
    }
    int64_t outer, len, inner;
    split3(t, d, &outer, &len, &inner);
    for (int64_t p = 0; p < outer; p++)
        for (int64_t c = 0; c < inner; c++) {
            const float *x = LL_D(xc) + p * len * inner + c;
            float *o = LL_D(out) + p * len * inner + c;
            float m = -INFINITY;
            for (int64_t j = 0; j < len; j++)
                if (x[j * inner] > m)
                    m = x[j * inner];
            double s = 0;
            for (int64_t j = 0; j < len; j++)
                s += exp((double)(x[j * inner] - m));
            float ls = (float)log(s);
            for (int64_t j = 0; j < len; j++)
                o[j * inner] =
                    lg ? x[j * inner] - m - ls : expf(x[j * inner] - m - ls);
        }
    ll_tensor_free(xc);
    ll_node *n = ll_node_new(lg ? "LogSoftmax" : "Softmax", bw_softmax, &t, 1);
    if (n) {
        n->i[0] = d;
        n->i[1] = lg;
        ll_node_save(n, 0, out);
        ll_node_attach(n, out, 0);
    }
    return ll_node_check(n, &t, 1, out, "softmax", err);
}
