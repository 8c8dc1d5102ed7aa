/*
 * layers.c: Linear, Embedding, Conv1d, pooling, Dropout and LayerNorm as
 * single autograd nodes with hand-written backward.
 */
#include "nn/layers.h"
#include "nn/nn_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *sh(const ll_tensor *t, char *buf, size_t n)
{
    return ll_shape_str(t->ndim, t->shape, buf, n);
}

/* ---- Linear ---------------------------------------------------------------
 */

static int bw_linear(ll_node *n, ll_err *err)
{
    ll_tensor *x = n->saved[0], *w = n->saved[1];
    ll_tensor *g = ll_contiguous(n->gout[0], err);
    if (!g)
        return LL_ENOMEM;
    int64_t in = w->shape[1], out = w->shape[0], rows = n->i[0];
    int rc = 0;
    if (ll_node_needs(n, 0)) {
        ll_tensor *gx = ll_tensor_empty(n->in[0]->ndim, n->in[0]->shape, err);
        if (gx) {
            ll_sgemm(0, 0, rows, in, out, LL_D(g), LL_D(w), 0.0f, LL_D(gx));
            rc = ll_node_accum(n, 0, gx, err);
        } else
            rc = LL_ENOMEM;
        ll_tensor_free(gx);
    }
    if (rc == 0 && ll_node_needs(n, 1)) {
        ll_tensor *gw = ll_tensor_empty(2, w->shape, err);
        if (gw) {
            ll_sgemm(1, 0, out, in, rows, LL_D(g), LL_D(x), 0.0f, LL_D(gw));
            rc = ll_node_accum(n, 1, gw, err);
        } else
            rc = LL_ENOMEM;
        ll_tensor_free(gw);
    }
    if (rc == 0 && ll_node_needs(n, 2)) {
        ll_tensor *gb = ll_tensor_new(1, &out, err);
        if (gb) {
            float *o = LL_D(gb);
            const float *gd = LL_D(g);
            for (int64_t r = 0; r < rows; r++)
                for (int64_t j = 0; j < out; j++)
                    o[j] += gd[r * out + j];
            rc = ll_node_accum(n, 2, gb, err);
        } else
            rc = LL_ENOMEM;
        ll_tensor_free(gb);
    }
    ll_tensor_free(g);
    return rc;
}

ll_tensor *ll_linear(const char *name, ll_tensor *x, ll_tensor *w, ll_tensor *b,
                     ll_err *err)
{
    char a[96], c[96];
    if (w->ndim != 2 || (b && (b->ndim != 1 || b->shape[0] != w->shape[0]))) {
        ll_err_set(err, LL_EINVAL, "%s: weight %s and bias %s do not match",
                   name, sh(w, a, sizeof a), b ? sh(b, c, sizeof c) : "none");
        return NULL;
    }
    int64_t in = w->shape[1], out = w->shape[0];
    if (x->ndim < 1 || x->shape[x->ndim - 1] != in) {
        ll_err_set(err, LL_EINVAL,
                   "%s: input has shape %s, expected last dimension %lld", name,
                   sh(x, a, sizeof a), (long long)in);
        return NULL;
    }
    int64_t s[LL_MAXDIM];
    memcpy(s, x->shape, sizeof s);
    s[x->ndim - 1] = out;
    int64_t rows = x->numel / (in ? in : 1);
    if (in == 0)
        rows = ll_shape_numel(x->ndim - 1, x->shape);
    ll_tensor *xc = ll_contiguous(x, err), *wc = ll_contiguous(w, err);
    ll_tensor *y = xc && wc ? ll_tensor_empty(x->ndim, s, err) : NULL;
    if (!y) {
        ll_tensor_free(xc);
        ll_tensor_free(wc);
        return NULL;
    }
    float *yd = LL_D(y);
    for (int64_t j = 0; j < out; j++)
        yd[j] = b ? ll_tensor_get(b, j) : 0.0f;
    for (int64_t r = 1; r < rows; r++)
        memcpy(yd + r * out, yd, (size_t)out * sizeof(float));
    ll_sgemm(0, 1, rows, out, in, LL_D(xc), LL_D(wc), rows ? 1.0f : 0.0f, yd);
    ll_tensor *inp[3] = {x, w, b};
    ll_node *n = ll_node_new("Linear", bw_linear, inp, 3);
    if (n) {
        n->i[0] = rows;
        ll_node_save(n, 0, xc);
        ll_node_save(n, 1, wc);
        ll_node_attach(n, y, 0);
    }
    ll_tensor_free(xc);
    ll_tensor_free(wc);
    return ll_node_check(n, inp, 3, y, name, err);
}

/* ---- Embedding ------------------------------------------------------------
 */

static int bw_embedding(ll_node *n, ll_err *err)
{
    ll_tensor *w = n->in[1], *idx = n->saved[0];
    ll_tensor *g = ll_contiguous(n->gout[0], err);
    ll_tensor *gw = g ? ll_tensor_new(2, w->shape, err) : NULL;
    int rc = LL_ENOMEM;
    if (gw) {
        int64_t d = w->shape[1], pad = n->i[0];
        for (int64_t q = 0; q < idx->numel; q++) {
            int64_t r = (int64_t)LL_D(idx)[q];
            if (r == pad)
                continue;
            float *dst = LL_D(gw) + r * d;
            const float *src = LL_D(g) + q * d;
            for (int64_t j = 0; j < d; j++)
                dst[j] += src[j];
        }
        rc = ll_node_accum(n, 1, gw, err);
    }
    ll_tensor_free(g);
    ll_tensor_free(gw);
    return rc;
}

ll_tensor *ll_embedding(const char *name, ll_tensor *idx, ll_tensor *w,
                        int64_t padding_idx, ll_err *err)
{
    char a[96];
    if (w->ndim != 2 || idx->ndim >= LL_MAXDIM) {
        ll_err_set(err, LL_EINVAL, "%s: weight has shape %s, expected 2-D",
                   name, sh(w, a, sizeof a));
        return NULL;
    }
    int64_t nrows = w->shape[0], d = w->shape[1];
    ll_tensor *ic = ll_clone(idx, err);
    if (!ic)
        return NULL;
    for (int64_t q = 0; q < ic->numel; q++) {
        float v = LL_D(ic)[q];
        if (isfinite(v) && v != floorf(v)) {
            ll_err_set(err, LL_EINVAL, "%s: index %g is not an integer", name,
                       (double)v);
            ll_tensor_free(ic);
            return NULL;
        }
        if (!(v >= 0 && v < (float)nrows)) {
            ll_err_set(err, LL_ERANGE,
                       "%s: index %g out of range for %lld embeddings", name,
                       (double)v, (long long)nrows);
            ll_tensor_free(ic);
            return NULL;
        }
    }
    int64_t s[LL_MAXDIM];
    memcpy(s, idx->shape, (size_t)idx->ndim * sizeof *s);
    s[idx->ndim] = d;
    ll_tensor *wc = ll_contiguous(w, err);
    ll_tensor *y = wc ? ll_tensor_empty(idx->ndim + 1, s, err) : NULL;
    if (y)
        for (int64_t q = 0; q < ic->numel; q++)
            memcpy(LL_D(y) + q * d, LL_D(wc) + (int64_t)LL_D(ic)[q] * d,
                   (size_t)d * sizeof(float));
    ll_tensor_free(wc);
    if (!y) {
        ll_tensor_free(ic);
        return NULL;
    }
    ll_tensor *inp[2] = {NULL, w};
    ll_node *n = ll_node_new("Embedding", bw_embedding, inp, 2);
    if (n) {
        n->i[0] = padding_idx;
        ll_node_save(n, 0, ic);
        ll_node_attach(n, y, 0);
    }
    ll_tensor_free(ic);
    return ll_node_check(n, inp, 2, y, name, err);
}

/* ---- Conv1d ------------------------------------------------------------- */

typedef struct {
    int64_t B, C, L, O, K, Lout, stride, pad, dil;
} conv_geom;

static void im2col(const conv_geom *g, const float *x, float *col)
{
    for (int64_t c = 0; c < g->C; c++)
        for (int64_t k = 0; k < g->K; k++) {
            float *row = col + (c * g->K + k) * g->Lout;
            for (int64_t o = 0; o < g->Lout; o++) {
                int64_t p = o * g->stride - g->pad + k * g->dil;
                row[o] = (p >= 0 && p < g->L) ? x[c * g->L + p] : 0.0f;
            }
        }
}

static void col2im(const conv_geom *g, const float *col, float *x)
{
    for (int64_t c = 0; c < g->C; c++)
        for (int64_t k = 0; k < g->K; k++) {
            const float *row = col + (c * g->K + k) * g->Lout;
            for (int64_t o = 0; o < g->Lout; o++) {
                int64_t p = o * g->stride - g->pad + k * g->dil;
                if (p >= 0 && p < g->L)
                    x[c * g->L + p] += row[o];
            }
        }
}

static int bw_conv1d(ll_node *n, ll_err *err)
{
    conv_geom *g = n->ctx;
    ll_tensor *x = n->saved[0], *w = n->saved[1];
    ll_tensor *go = ll_contiguous(n->gout[0], err);
    int64_t CK = g->C * g->K;
    float *col = malloc((size_t)(CK * g->Lout + 1) * sizeof(float));
    ll_tensor *gx = ll_tensor_new(3, x->shape, err);
    ll_tensor *gw = ll_tensor_new(3, w->shape, err);
    ll_tensor *gb = ll_tensor_new(1, &g->O, err);
    int rc = LL_ENOMEM;
    if (!go || !col || !gx || !gw || !gb)
        goto done;
    for (int64_t b = 0; b < g->B; b++) {
        const float *gob = LL_D(go) + b * g->O * g->Lout;
        im2col(g, LL_D(x) + b * g->C * g->L, col);
        ll_sgemm(0, 1, g->O, CK, g->Lout, gob, col, 1.0f, LL_D(gw));
        for (int64_t o = 0; o < g->O; o++)
            for (int64_t l = 0; l < g->Lout; l++)
                LL_D(gb)[o] += gob[o * g->Lout + l];
        ll_sgemm(1, 0, CK, g->Lout, g->O, LL_D(w), gob, 0.0f, col);
        col2im(g, col, LL_D(gx) + b * g->C * g->L);
    }
    rc = 0;
    if (ll_node_needs(n, 0))
        rc = ll_node_accum(n, 0, gx, err);
    if (rc == 0 && ll_node_needs(n, 1))
        rc = ll_node_accum(n, 1, gw, err);
    if (rc == 0 && ll_node_needs(n, 2))
        rc = ll_node_accum(n, 2, gb, err);
done:
    free(col);
    ll_tensor_free(go);
    ll_tensor_free(gx);
    ll_tensor_free(gw);
    ll_tensor_free(gb);
    return rc;
}

ll_tensor *ll_conv1d(const char *name, ll_tensor *x, ll_tensor *w, ll_tensor *b,
                     int stride, int padding, int dilation, ll_err *err)
{
    char a[96], c[96];
    if (x->ndim != 3 || w->ndim != 3 || x->shape[1] != w->shape[1]) {
        ll_err_set(err, LL_EINVAL,
                   "%s: input has shape %s, expected (batch, %lld, length) "
                   "for weight %s",
                   name, sh(x, a, sizeof a),
                   (long long)(w->ndim == 3 ? w->shape[1] : 0),
                   sh(w, c, sizeof c));
        return NULL;
    }
    conv_geom *g = calloc(1, sizeof *g);
    if (!g) {
        ll_oom(err, name);
        return NULL;
    }
    g->B = x->shape[0];
    g->C = x->shape[1];
    g->L = x->shape[2];
    g->O = w->shape[0];
    g->K = w->shape[2];
    g->stride = stride < 1 ? 1 : stride;
    g->pad = padding < 0 ? 0 : padding;
    g->dil = dilation < 1 ? 1 : dilation;
    int64_t span = g->dil * (g->K - 1) + 1;
    g->Lout = (g->L + 2 * g->pad - span) / g->stride + 1;
    if (g->L + 2 * g->pad < span || (b && b->numel != g->O)) {
        ll_err_set(err, LL_EINVAL,
                   "%s: input length %lld is shorter than the kernel span "
                   "%lld (or bias size differs from %lld)",
                   name, (long long)g->L, (long long)span, (long long)g->O);
        free(g);
        return NULL;
    }
    int64_t CK = g->C * g->K, s[3] = {g->B, g->O, g->Lout};
    ll_tensor *xc = ll_contiguous(x, err), *wc = ll_contiguous(w, err);
    ll_tensor *y = xc && wc ? ll_tensor_empty(3, s, err) : NULL;
    float *col = malloc((size_t)(CK * g->Lout + 1) * sizeof(float));
    if (!y || !col) {
        if (!col)
            ll_oom(err, name);
        free(col);
        free(g);
        ll_tensor_free(xc);
        ll_tensor_free(wc);
        ll_tensor_free(y);
        return NULL;
    }
    for (int64_t bb = 0; bb < g->B; bb++) {
        float *yb = LL_D(y) + bb * g->O * g->Lout;
        for (int64_t o = 0; o < g->O; o++)
            for (int64_t l = 0; l < g->Lout; l++)
                yb[o * g->Lout + l] = b ? ll_tensor_get(b, o) : 0.0f;
        im2col(g, LL_D(xc) + bb * g->C * g->L, col);
        ll_sgemm(0, 0, g->O, g->Lout, CK, LL_D(wc), col, 1.0f, yb);
    }
    free(col);
    ll_tensor *inp[3] = {x, w, b};
    ll_node *n = ll_node_new("Conv1d", bw_conv1d, inp, 3);
    if (n) {
        n->ctx = g;
        g = NULL;
        ll_node_save(n, 0, xc);
        ll_node_save(n, 1, wc);
        ll_node_attach(n, y, 0);
    }
    free(g);
    ll_tensor_free(xc);
    ll_tensor_free(wc);
    return ll_node_check(n, inp, 3, y, name, err);
}

/* ---- pooling ------------------------------------------------------------ */

static int bw_pool1d(ll_node *n, ll_err *err)
{
    ll_tensor *x = n->in[0];
    ll_tensor *g = ll_contiguous(n->gout[0], err);
    ll_tensor *gx = g ? ll_tensor_new(3, x->shape, err) : NULL;
    int rc = LL_ENOMEM;
    if (gx) {
        int64_t rows = x->shape[0] * x->shape[1], L = x->shape[2];
        int64_t Lout = n->i[0], k = n->i[1], st = n->i[2], pad = n->i[3];
        const int64_t *arg = n->ctx;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t o = 0; o < Lout; o++) {
                float gv = LL_D(g)[r * Lout + o];
                if (arg) {
                    LL_D(gx)[r * L + arg[r * Lout + o]] += gv;
                    continue;
                }
                for (int64_t j = 0; j < k; j++) {
                    int64_t p = o * st - pad + j;
                    if (p >= 0 && p < L)
                        LL_D(gx)[r * L + p] += gv / (float)k;
                }
            }
        rc = ll_node_accum(n, 0, gx, err);
    }
    ll_tensor_free(g);
    ll_tensor_free(gx);
    return rc;
}

ll_tensor *ll_pool1d(const char *name, ll_tensor *x, int is_max, int k,
                     int stride, int padding, ll_err *err)
{
    char a[96];
    if (stride < 1)
        stride = k;
    if (x->ndim != 3 || k < 1 || padding < 0 || padding * 2 > k ||
        x->shape[2] + 2 * padding < k) {
        ll_err_set(err, LL_EINVAL,
                   "%s: input has shape %s, expected (batch, channels, "
                   "length >= %d)",
                   name, sh(x, a, sizeof a), k);
        return NULL;
    }
    int64_t L = x->shape[2], rows = x->shape[0] * x->shape[1];
    int64_t Lout = (L + 2 * padding - k) / stride + 1;
    int64_t s[3] = {x->shape[0], x->shape[1], Lout};
    ll_tensor *xc = ll_contiguous(x, err);
    ll_tensor *y = xc ? ll_tensor_empty(3, s, err) : NULL;
    int64_t *arg = is_max ? malloc((size_t)(rows * Lout + 1) * 8) : NULL;
    if (!y || (is_max && !arg)) {
        ll_tensor_free(xc);
        ll_tensor_free(y);
        free(arg);
        return NULL;
    }
    for (int64_t r = 0; r < rows; r++)
        for (int64_t o = 0; o < Lout; o++) {
            const float *xr = LL_D(xc) + r * L;
            double sum = 0;
            int64_t best = -1;
            for (int64_t j = 0; j < k; j++) {
                int64_t p = o * stride - padding + j;
                if (p < 0 || p >= L)
                    continue;
                if (best < 0 || xr[p] > xr[best] || isnan(xr[p]))
                    best = p;
                sum += (double)xr[p];
            }
            LL_D(y)
            [r * Lout + o] = is_max ? xr[best] : (float)(sum / (double)k);
            if (arg)
                arg[r * Lout + o] = best;
        }
    ll_tensor_free(xc);
    ll_node *n =
        ll_node_new(is_max ? "MaxPool1d" : "AvgPool1d", bw_pool1d, &x, 1);
    if (n) {
        n->i[0] = Lout;
        n->i[1] = k;
        n->i[2] = stride;
        n->i[3] = padding;
        n->ctx = arg;
        arg = NULL;
        ll_node_attach(n, y, 0);
    }
    free(arg);
    return ll_node_check(n, &x, 1, y, name, err);
}

/* ---- dropout ------------------------------------------------------------ */

ll_tensor *ll_dropout_mask(int ndim, const int64_t *shape, double p,
                           ll_err *err)
{
    ll_tensor *m = ll_tensor_empty(ndim, shape, err);
    if (!m)
        return NULL;
    float keep = p >= 1 ? 0.0f : (float)(1.0 / (1.0 - p));
    for (int64_t i = 0; i < m->numel; i++)
        LL_D(m)[i] = ll_rand_uniform() < p ? 0.0f : keep;
    return m;
}

ll_tensor *ll_dropout(ll_tensor *x, double p, int training, ll_err *err)
{
    if (p < 0 || p > 1) {
        ll_err_set(err, LL_EINVAL,
                   "Dropout: probability has to be between 0 and 1, but got "
                   "%g",
                   p);
        return NULL;
    }
    if (!training || p == 0)
        return ll_unary(LL_MULS, x, 1.0f, err);
    ll_tensor *m = ll_dropout_mask(x->ndim, x->shape, p, err);
    ll_tensor *y = m ? ll_binary(LL_MUL, x, m, err) : NULL;
    ll_tensor_free(m);
    return y;
}

/* ---- LayerNorm ------------------------------------------------------------
 */

static int bw_layer_norm(ll_node *n, ll_err *err)
{
    ll_tensor *xhat = n->saved[0];
    const float *rstd = n->ctx;
    ll_tensor *w = n->in[1];
    int64_t D = n->i[0], rows = xhat->numel / (D ? D : 1);
    ll_tensor *g = ll_contiguous(n->gout[0], err);
    ll_tensor *gx = g ? ll_tensor_empty(xhat->ndim, xhat->shape, err) : NULL;
    ll_tensor *gw = gx ? ll_tensor_new(1, &D, err) : NULL;
    ll_tensor *gb = gw ? ll_tensor_new(1, &D, err) : NULL;
    int rc = LL_ENOMEM;
    if (gb) {
        for (int64_t r = 0; r < rows; r++) {
            const float *gr = LL_D(g) + r * D, *xr = LL_D(xhat) + r * D;
            float *o = LL_D(gx) + r * D;
            double m1 = 0, m2 = 0;
            for (int64_t j = 0; j < D; j++) {
                float wj = w ? ll_tensor_get(w, j) : 1.0f;
                double dxh = (double)(gr[j] * wj);
                m1 += dxh;
                m2 += dxh * (double)xr[j];
                LL_D(gw)[j] += gr[j] * xr[j];
                LL_D(gb)[j] += gr[j];
            }
            m1 /= (double)D;
            m2 /= (double)D;
            for (int64_t j = 0; j < D; j++) {
                float wj = w ? ll_tensor_get(w, j) : 1.0f;
                o[j] = (float)((double)rstd[r] * ((double)(gr[j] * wj) - m1 -
                                                  (double)xr[j] * m2));
            }
        }
        rc = ll_node_accum(n, 0, gx, err);
        if (rc == 0)
            rc = ll_node_accum(n, 1, gw, err);
        if (rc == 0)
            rc = ll_node_accum(n, 2, gb, err);
    }
    ll_tensor_free(g);
    ll_tensor_free(gx);
    ll_tensor_free(gw);
    ll_tensor_free(gb);
    return rc;
}

ll_tensor *ll_layer_norm(const char *name, ll_tensor *x, ll_tensor *w,
                         ll_tensor *b, double eps, ll_err *err)
{
    char a[96];
    int64_t D = x->ndim ? x->shape[x->ndim - 1] : 0;
    if (D == 0 || (w && w->numel != D) || (b && b->numel != D)) {
        ll_err_set(err, LL_EINVAL,
                   "%s: input has shape %s, expected last dimension %lld", name,
                   sh(x, a, sizeof a), (long long)(w ? w->numel : D));
        return NULL;
    }
    int64_t rows = x->numel / D;
    ll_tensor *xc = ll_contiguous(x, err);
    ll_tensor *xhat = xc ? ll_tensor_empty(x->ndim, x->shape, err) : NULL;
    ll_tensor *y = xhat ? ll_tensor_empty(x->ndim, x->shape, err) : NULL;
    float *rstd = malloc((size_t)(rows + 1) * sizeof(float));
    if (!y || !rstd) {
        ll_tensor_free(xc);
        ll_tensor_free(xhat);
        ll_tensor_free(y);
        free(rstd);
        return NULL;
    }
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = LL_D(xc) + r * D;
        double m = 0, v = 0;
        for (int64_t j = 0; j < D; j++)
            m += (double)xr[j];
        m /= (double)D;
        for (int64_t j = 0; j < D; j++)
            v += ((double)xr[j] - m) * ((double)xr[j] - m);
        v /= (double)D;
        rstd[r] = (float)(1.0 / sqrt(v + eps));
        for (int64_t j = 0; j < D; j++) {
            float h = (float)(((double)xr[j] - m) * (double)rstd[r]);
            LL_D(xhat)[r * D + j] = h;
            LL_D(y)
            [r * D + j] = h * (w ? ll_tensor_get(w, j) : 1.0f) +
                          (b ? ll_tensor_get(b, j) : 0.0f);
        }
    }
    ll_tensor_free(xc);
    ll_tensor *inp[3] = {x, w, b};
    ll_node *n = ll_node_new("LayerNorm", bw_layer_norm, inp, 3);
    if (n) {
        n->i[0] = D;
        n->ctx = rstd;
        rstd = NULL;
        ll_node_save(n, 0, xhat);
        ll_node_attach(n, y, 0);
    }
    free(rstd);
    ll_tensor_free(xhat);
    return ll_node_check(n, inp, 3, y, name, err);
}
