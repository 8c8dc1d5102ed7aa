/*
 * rnn.c: one recurrent layer (LSTM, GRU, tanh/relu RNN) over a whole
 * sequence as a single autograd node.  Forward: the input projection of all
 * steps in one GEMM, one recurrent GEMM per step, one fused gate loop that
 * keeps what backward needs.  Backward: the time loop only propagates dh/dc
 * (one GEMM per step); dW_ih, dW_hh, the biases and dX are single GEMMs
 * after the loop.
 */
#include "nn/fastmath.h"
#include "nn/layers.h"
#include "nn/nn_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { IN_X, IN_H0, IN_C0, IN_WIH, IN_WHH, IN_BIH, IN_BHH, NIN };

/* Saved state: one block, freed with the node's ctx. */
typedef struct {
    int64_t T, B, D, H, G;
    float *gates; /* T*B*G*H activated gates (LSTM/GRU) or h (RNN) */
    float *cell;  /* LSTM: c_t (T*B*H); GRU: hn = W_hn h + b_hn */
    float *hin;   /* h_{t-1} (masked) as fed to the recurrent GEMM */
    float *hprev; /* GRU: h_{t-1} unmasked */
    float *mask;  /* B*H or NULL */
    float *c0;    /* B*H (zeros when absent) */
    float *tcell; /* LSTM: tanh(c_t) (T*B*H) */
    float data[];
} rnn_ctx;

#if defined(__GNUC__) && !defined(__clang__)
#define LL_VEC __attribute__((optimize("O3")))
#else
#define LL_VEC
#endif

/* c = f*c + i*g and tanh(c), over one row of H units. */
LL_VEC static void lstm_cell_update(const float *gr, int64_t H, float *cb,
                                    float *ct, float *tct)
{
    for (int64_t j = 0; j < H; j++) {
        float cv = gr[H + j] * cb[j] + gr[j] * gr[2 * H + j];
        cb[j] = cv;
        ct[j] = cv;
        tct[j] = cv;
    }
    ll_vtanh(tct, H);
}

/* One batch row of the LSTM backward gate loop: pre-activation gate
 * gradients into dxr, dc carried to the previous step in place. */
LL_VEC static void lstm_bw_row(const float *restrict gr, int64_t H,
                               const float *restrict tct,
                               const float *restrict cp,
                               const float *restrict dhb, float *restrict dcb,
                               float *restrict dxr)
{
    for (int64_t j = 0; j < H; j++) {
        float i = gr[j], f = gr[H + j], g = gr[2 * H + j], o = gr[3 * H + j];
        float tc = tct[j];
        float dcv = dcb[j] + dhb[j] * o * (1 - tc * tc);
        dxr[j] = dcv * g * i * (1 - i);
        dxr[H + j] = dcv * cp[j] * f * (1 - f);
        dxr[2 * H + j] = dcv * i * (1 - g * g);
        dxr[3 * H + j] = dhb[j] * tc * o * (1 - o);
        dcb[j] = dcv * f;
    }
}

static int64_t tidx(int64_t s, int64_t T, int reverse)
{
    return reverse ? T - 1 - s : s;
}

LL_VEC static int bw_rnn(ll_node *n, ll_err *err)
{
    rnn_ctx *c = n->ctx;
    ll_cell cell = (ll_cell)n->i[0];
    int reverse = (int)n->i[1];
    int64_t T = c->T, B = c->B, D = c->D, H = c->H, G = c->G, GH = G * H;
    ll_tensor *x = n->saved[0], *out = n->saved[1];
    ll_tensor *w_ih = n->saved[2], *w_hh = n->saved[3];
    ll_tensor *gout = n->gout[0] ? ll_contiguous(n->gout[0], err) : NULL;
    ll_tensor *ghT = n->gout[1] ? ll_contiguous(n->gout[1], err) : NULL;
    ll_tensor *gcT = n->gout[2] ? ll_contiguous(n->gout[2], err) : NULL;
    int rc = LL_ENOMEM;
    int gru = cell == LL_CELL_GRU;
    float *dxp = ll_fbuf_alloc(T * B * GH);
    float *dhp = gru ? ll_fbuf_alloc(T * B * GH) : dxp;
    float *dh = calloc((size_t)(B * H), sizeof(float));
    float *dc = calloc((size_t)(B * H), sizeof(float));
    float *dhn = calloc((size_t)(B * H), sizeof(float));
    if (!dxp || !dhp || !dh || !dc || !dhn || (n->gout[0] && !gout) ||
        (n->gout[1] && !ghT) || (n->gout[2] && !gcT))
        goto done;
    if (ghT)
        memcpy(dh, LL_D(ghT), (size_t)(B * H) * sizeof(float));
    if (gcT)
        memcpy(dc, LL_D(gcT), (size_t)(B * H) * sizeof(float));
    const float *hseq = LL_D(out);
    for (int64_t s = T - 1; s >= 0; s--) {
        int64_t t = tidx(s, T, reverse);
        if (gout) {
            const float *go = LL_D(gout) + t * B * H;
            for (int64_t q = 0; q < B * H; q++)
                dh[q] += go[q];
        }
        float *gx = dxp + t * B * GH, *gh = dhp + t * B * GH;
        const float *ga = c->gates + t * B * GH;
        for (int64_t b = 0; b < B; b++) {
            const float *gr = ga + b * GH;
            float *dxr = gx + b * GH, *dhr = gh + b * GH;
            float *dhb = dh + b * H, *dcb = dc + b * H, *dnb = dhn + b * H;
            if (cell == LL_CELL_LSTM) {
                const float *tct = c->tcell + (t * B + b) * H;
                const float *cp =
                    s == 0 ? c->c0 + b * H
                           : c->cell + (tidx(s - 1, T, reverse) * B + b) * H;
                lstm_bw_row(gr, H, tct, cp, dhb, dcb, dxr);
            } else if (gru) {
                const float *hn = c->cell + (t * B + b) * H;
                const float *hp = c->hprev + (t * B + b) * H;
                for (int64_t j = 0; j < H; j++) {
                    float r = gr[j], z = gr[H + j], nn = gr[2 * H + j];
                    float d = dhb[j];
                    float dnp = d * (1 - z) * (1 - nn * nn);
                    float dzp = d * (hp[j] - nn) * z * (1 - z);
                    float drp = dnp * hn[j] * r * (1 - r);
                    dxr[j] = drp;
                    dxr[H + j] = dzp;
                    dxr[2 * H + j] = dnp;
                    dhr[j] = drp;
                    dhr[H + j] = dzp;
                    dhr[2 * H + j] = dnp * r;
                    dnb[j] = d * z; /* direct path to h_{t-1} */
                }
            } else {
                const float *hv = hseq + (t * B + b) * H;
                for (int64_t j = 0; j < H; j++)
                    dxr[j] = cell == LL_CELL_TANH ? dhb[j] * (1 - hv[j] * hv[j])
                                                  : (hv[j] > 0 ? dhb[j] : 0.0f);
            }
        }
        /* dh_{t-1} = dG W_hh (times the mask) (+ GRU's direct path);
         * not needed before the first step unless h0 wants a gradient */
        if (s == 0 && !ll_node_needs(n, IN_H0))
            break;
        ll_sgemm(0, 0, B, H, GH, gh, LL_D(w_hh), 0.0f, dh);
        if (c->mask)
            for (int64_t q = 0; q < B * H; q++)
                dh[q] *= c->mask[q];
        if (gru)
            for (int64_t q = 0; q < B * H; q++)
                dh[q] += dhn[q];
    }
    rc = 0;
    int64_t TB = T * B;
    if (ll_node_needs(n, IN_X)) {
        ll_tensor *gx = ll_tensor_empty(3, x->shape, err);
        if (!gx)
            rc = LL_ENOMEM;
        else {
            ll_sgemm(0, 0, TB, D, GH, dxp, LL_D(w_ih), 0.0f, LL_D(gx));
            rc = ll_node_accum(n, IN_X, gx, err);
            ll_tensor_free(gx);
        }
    }
    if (rc == 0 && ll_node_needs(n, IN_WIH)) {
        ll_tensor *gw = ll_tensor_empty(2, w_ih->shape, err);
        if (!gw)
            rc = LL_ENOMEM;
        else {
            ll_sgemm(1, 0, GH, D, TB, dxp, LL_D(x), 0.0f, LL_D(gw));
            rc = ll_node_accum(n, IN_WIH, gw, err);
            ll_tensor_free(gw);
        }
    }
    if (rc == 0 && ll_node_needs(n, IN_WHH)) {
        ll_tensor *gw = ll_tensor_empty(2, w_hh->shape, err);
        if (!gw)
            rc = LL_ENOMEM;
        else {
            ll_sgemm(1, 0, GH, H, TB, dhp, c->hin, 0.0f, LL_D(gw));
            rc = ll_node_accum(n, IN_WHH, gw, err);
            ll_tensor_free(gw);
        }
    }
    for (int k = IN_BIH; rc == 0 && k <= IN_BHH; k++) {
        if (!ll_node_needs(n, k))
            continue;
        ll_tensor *gb = ll_tensor_new(1, &GH, err);
        if (!gb) {
            rc = LL_ENOMEM;
            break;
        }
        const float *src = k == IN_BIH ? dxp : dhp;
        float *o = LL_D(gb);
        for (int64_t r = 0; r < TB; r++)
            for (int64_t j = 0; j < GH; j++)
                o[j] += src[r * GH + j];
        rc = ll_node_accum(n, k, gb, err);
        ll_tensor_free(gb);
    }
    int64_t bh[2] = {B, H};
    if (rc == 0 && ll_node_needs(n, IN_H0)) {
        ll_tensor *g = ll_tensor_from(2, bh, dh, err);
        rc = g ? ll_node_accum(n, IN_H0, g, err) : LL_ENOMEM;
        ll_tensor_free(g);
    }
    if (rc == 0 && ll_node_needs(n, IN_C0)) {
        ll_tensor *g = ll_tensor_from(2, bh, dc, err);
        rc = g ? ll_node_accum(n, IN_C0, g, err) : LL_ENOMEM;
        ll_tensor_free(g);
    }
done:
    if (rc == LL_ENOMEM && !err->msg[0])
        ll_oom(err, n->name);
    ll_tensor_free(gout);
    ll_tensor_free(ghT);
    ll_tensor_free(gcT);
    if (dhp != dxp)
        ll_fbuf_free(dhp, T * B * GH);
    ll_fbuf_free(dxp, T * B * GH);
    free(dh);
    free(dc);
    free(dhn);
    return rc;
}

static int check2(const char *name, const char *what, ll_tensor *t, int64_t d0,
                  int64_t d1, ll_err *err)
{
    if (!t)
        return 0;
    if ((d1 < 0 && (t->ndim != 1 || t->shape[0] != d0)) ||
        (d1 >= 0 && (t->ndim != 2 || t->shape[0] != d0 || t->shape[1] != d1))) {
        char a[96], b[96];
        int64_t want[2] = {d0, d1};
        return ll_err_set(err, LL_EINVAL, "%s: %s has shape %s, expected %s",
                          name, what,
                          ll_shape_str(t->ndim, t->shape, a, sizeof a),
                          ll_shape_str(d1 < 0 ? 1 : 2, want, b, sizeof b));
    }
    return 0;
}

LL_VEC int ll_rnn_layer(const char *name, ll_cell cell, ll_tensor *x,
                        ll_tensor *h0, ll_tensor *c0, ll_tensor *w_ih,
                        ll_tensor *w_hh, ll_tensor *b_ih, ll_tensor *b_hh,
                        int reverse, ll_tensor *rec_mask, ll_tensor **out,
                        ll_err *err)
{
    int64_t G = cell == LL_CELL_LSTM ? 4 : cell == LL_CELL_GRU ? 3 : 1;
    out[0] = out[1] = out[2] = NULL;
    char a[96];
    if (x->ndim != 3)
        return ll_err_set(err, LL_EINVAL,
                          "%s: input has shape %s, expected 3 dimensions "
                          "(seq, batch, features)",
                          name, ll_shape_str(x->ndim, x->shape, a, sizeof a));
    if (w_hh->ndim != 2 || w_hh->shape[0] % G)
        return ll_err_set(err, LL_EINVAL, "%s: bad weight_hh shape %s", name,
                          ll_shape_str(w_hh->ndim, w_hh->shape, a, sizeof a));
    int64_t T = x->shape[0], B = x->shape[1], D = x->shape[2];
    int64_t H = w_hh->shape[0] / G, GH = G * H;
    if (w_ih->ndim != 2 || w_ih->shape[0] != GH || w_ih->shape[1] != D) {
        char b[96];
        int64_t want[2] = {GH, D};
        return ll_err_set(
            err, LL_EINVAL,
            "%s: input has %lld features but weight_ih has shape %s "
            "(expected %s)",
            name, (long long)D,
            ll_shape_str(w_ih->ndim, w_ih->shape, a, sizeof a),
            ll_shape_str(2, want, b, sizeof b));
    }
    int rc;
    if ((rc = check2(name, "weight_hh", w_hh, GH, H, err)) ||
        (rc = check2(name, "bias_ih", b_ih, GH, -1, err)) ||
        (rc = check2(name, "bias_hh", b_hh, GH, -1, err)) ||
        (rc = check2(name, "h0", h0, B, H, err)) ||
        (rc = check2(name, "c0", c0, B, H, err)) ||
        (rc = check2(name, "recurrent mask", rec_mask, B, H, err)))
        return rc;
    size_t nf = (size_t)(T * B * GH + 4 * T * B * H + 2 * B * H);
    /* header and buffers in one pooled block */
    int64_t ctx_floats = (int64_t)((sizeof(rnn_ctx) + 3) / 4 + nf);
    rnn_ctx *c = (rnn_ctx *)(void *)ll_fbuf_alloc(ctx_floats);
    if (c)
        memset(c, 0, sizeof *c);
    ll_tensor *xc = ll_contiguous(x, err);
    ll_tensor *wih = ll_contiguous(w_ih, err), *whh = ll_contiguous(w_hh, err);
    int64_t tbh[3] = {T, B, H}, bh[2] = {B, H};
    ll_tensor *o = ll_tensor_empty(3, tbh, err);
    ll_tensor *hT = ll_tensor_empty(2, bh, err);
    ll_tensor *cT = cell == LL_CELL_LSTM ? ll_tensor_empty(2, bh, err) : NULL;
    float *hp = malloc((size_t)(B * GH + 2 * GH + 1) * sizeof(float));
    if (!c || !xc || !wih || !whh || !o || !hT || !hp ||
        (cell == LL_CELL_LSTM && !cT)) {
        rc = ll_oom(err, name);
        goto fail;
    }
    c->T = T;
    c->B = B;
    c->D = D;
    c->H = H;
    c->G = G;
    c->gates = c->data;
    c->cell = c->gates + T * B * GH;
    c->hin = c->cell + T * B * H;
    c->hprev = c->hin + T * B * H;
    c->c0 = c->hprev + T * B * H;
    float *mask = c->c0 + B * H;
    c->tcell = mask + B * H;
    if (rec_mask) {
        c->mask = mask;
        ll_gather_to(rec_mask, mask);
    }
    if (c0)
        ll_gather_to(c0, c->c0);
    else
        memset(c->c0, 0, (size_t)(B * H) * sizeof(float));
    float *h = LL_D(hT), *cs = cT ? LL_D(cT) : NULL;
    if (h0)
        ll_gather_to(h0, h);
    else
        memset(h, 0, (size_t)(B * H) * sizeof(float));
    if (cs)
        memcpy(cs, c->c0, (size_t)(B * H) * sizeof(float));
    /* Input projection of every step at once. */
    ll_sgemm(0, 1, T * B, GH, D, LL_D(xc), LL_D(wih), 0.0f, c->gates);
    float *bias_x = hp + B * GH, *bias_h = bias_x + GH;
    for (int64_t j = 0; j < GH; j++) {
        bias_h[j] = b_hh ? ll_tensor_get(b_hh, j) : 0.0f;
        bias_x[j] = (b_ih ? ll_tensor_get(b_ih, j) : 0.0f) +
                    (cell != LL_CELL_GRU ? bias_h[j] : 0.0f);
    }
    for (int64_t r = 0; r < T * B; r++) {
        float *row = c->gates + r * GH;
        for (int64_t j = 0; j < GH; j++)
            row[j] += bias_x[j];
    }
    for (int64_t s = 0; s < T; s++) {
        int64_t t = tidx(s, T, reverse);
        float *hin = c->hin + t * B * H;
        if (cell == LL_CELL_GRU)
            memcpy(c->hprev + t * B * H, h, (size_t)(B * H) * sizeof(float));
        for (int64_t q = 0; q < B * H; q++)
            hin[q] = c->mask ? h[q] * c->mask[q] : h[q];
        float *ga = c->gates + t * B * GH;
        float *ho = LL_D(o) + t * B * H;
        if (cell == LL_CELL_GRU) {
            for (int64_t b = 0; b < B; b++)
                for (int64_t j = 0; j < GH; j++)
                    hp[b * GH + j] = bias_h[j];
            ll_sgemm(0, 1, B, GH, H, hin, LL_D(whh), 1.0f, hp);
        } else if (s > 0 || h0)
            ll_sgemm(0, 1, B, GH, H, hin, LL_D(whh), 1.0f, ga);
        for (int64_t b = 0; b < B; b++) {
            float *gr = ga + b * GH, *hb = h + b * H, *hob = ho + b * H;
            if (cell == LL_CELL_LSTM) {
                float *cb = cs + b * H, *ct = c->cell + (t * B + b) * H;
                float *tct = c->tcell + (t * B + b) * H;
                ll_vsigmoid(gr, 2 * H);
                ll_vtanh(gr + 2 * H, H);
                ll_vsigmoid(gr + 3 * H, H);
                lstm_cell_update(gr, H, cb, ct, tct);
                for (int64_t j = 0; j < H; j++)
                    hb[j] = hob[j] = gr[3 * H + j] * tct[j];
            } else if (cell == LL_CELL_GRU) {
                const float *hr = hp + b * GH;
                float *hn = c->cell + (t * B + b) * H;
                for (int64_t j = 0; j < H; j++) {
                    float r = ll_fsigmoid(gr[j] + hr[j]);
                    float z = ll_fsigmoid(gr[H + j] + hr[H + j]);
                    float nn = ll_ftanh(gr[2 * H + j] + r * hr[2 * H + j]);
                    hn[j] = hr[2 * H + j];
                    gr[j] = r;
                    gr[H + j] = z;
                    gr[2 * H + j] = nn;
                    hb[j] = hob[j] = (1 - z) * nn + z * hb[j];
                }
            } else {
                for (int64_t j = 0; j < H; j++) {
                    float v = cell == LL_CELL_TANH ? ll_ftanh(gr[j])
                                                   : (gr[j] > 0 ? gr[j] : 0.0f);
                    gr[j] = v;
                    hb[j] = hob[j] = v;
                }
            }
        }
    }
    free(hp);
    hp = NULL;
    ll_tensor *in[NIN] = {x, h0, c0, w_ih, w_hh, b_ih, b_hh};
    ll_node *n = ll_node_new(name, bw_rnn, in, NIN);
    if (n) {
        n->name = cell == LL_CELL_LSTM  ? "LSTM"
                  : cell == LL_CELL_GRU ? "GRU"
                                        : "RNN";
        n->i[0] = cell;
        n->i[1] = reverse;
        n->ctx = c;
        n->ctx_floats = ctx_floats;
        c = NULL;
        ll_node_save(n, 0, xc);
        ll_node_save(n, 1, o);
        ll_node_save(n, 2, wih);
        ll_node_save(n, 3, whh);
        ll_node_attach(n, o, 0);
        ll_node_attach(n, hT, 1);
        if (cT)
            ll_node_attach(n, cT, 2);
    }
    if (n ? n->broken : ll_node_wanted(in, NIN)) {
        rc = ll_oom(err, name);
        goto fail;
    }
    ll_fbuf_free((float *)(void *)c, ctx_floats);
    ll_tensor_free(xc);
    ll_tensor_free(wih);
    ll_tensor_free(whh);
    out[0] = o;
    out[1] = hT;
    out[2] = cT;
    return 0;
fail:
    ll_fbuf_free((float *)(void *)c, ctx_floats);
    free(hp);
    ll_tensor_free(xc);
    ll_tensor_free(wih);
    ll_tensor_free(whh);
    ll_tensor_free(o);
    ll_tensor_free(hT);
    ll_tensor_free(cT);
    return rc;
}
